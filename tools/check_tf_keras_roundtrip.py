"""Check that files written by kerasfront load in real tf.keras 2.x (and Keras 3) and predict the same numbers.

Not a test (the test suite never needs TensorFlow): a tool to run by hand where a Python with tensorflow and
tf_keras is available.

    python3 tools/check_tf_keras_roundtrip.py --tf-python /work/tfenv/bin/python [--keep DIR]

For each model below, kerasfront builds it, trains it briefly, saves ``model.h5`` (and ``model.keras``) and
``model.weights.h5`` plus inputs and predictions; the TensorFlow Python then loads them with
``tf_keras.models.load_model`` (and ``keras.saving.load_model`` for ``.keras``), compares predictions, checks the
compile state and optimizer state it restored, continues training one epoch in both frameworks and compares the
weights, and finally saves the model with tf.keras, which kerasfront loads back.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import kerasfront as keras  # noqa: E402
from kerasfront import layers  # noqa: E402


def _rng():
    return np.random.default_rng(0)


def mlp():
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(5,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    r = _rng()
    return model, r.random((32, 5), dtype=np.float32), np.eye(3, dtype=np.float32)[r.integers(0, 3, 32)]


def cnn():
    model = keras.Sequential([
        layers.Conv2D(4, 3, activation="relu", padding="same", input_shape=(8, 8, 2)),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Conv2D(3, (2, 3), strides=1),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax", kernel_regularizer=keras.regularizers.l2(0.01)),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    r = _rng()
    return model, r.random((16, 8, 8, 2), dtype=np.float32), r.integers(0, 2, 16)


def lstm():
    model = keras.Sequential([
        layers.Embedding(12, 4, input_length=6),
        layers.LSTM(5, return_sequences=True),
        layers.Bidirectional(layers.GRU(3)),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01, centered=True, momentum=0.5), loss="mse",
                  metrics=["mae"])
    r = _rng()
    return model, r.integers(0, 12, (16, 6)).astype(np.int32), r.random((16, 1), dtype=np.float32)


def multi_io():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    h = layers.Concatenate()([shared(layers.Dense(4, name="pa")(a)), layers.Dense(5, name="pb")(b)])
    h = layers.Add()([layers.Dense(6, name="h1")(h), layers.Dense(6, name="h2")(h)])
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(inputs=[a, b], outputs=[cls, reg])
    model.compile(optimizer=keras.optimizers.Adamax(learning_rate=0.01),
                  loss={"cls": "categorical_crossentropy", "reg": "mae"}, loss_weights={"cls": 1.0, "reg": 0.5},
                  metrics={"cls": ["accuracy"]})
    r = _rng()
    x = [r.random((20, 4), dtype=np.float32), r.random((20, 3), dtype=np.float32)]
    y = [np.eye(3, dtype=np.float32)[r.integers(0, 3, 20)], r.random((20, 1), dtype=np.float32)]
    return model, x, y


def nested():
    block = keras.Sequential([layers.Dense(6, activation="relu"), layers.Dense(3)], name="block")
    inp = keras.Input(shape=(4,))
    x = layers.TimeDistributed(layers.Dense(2))(layers.Reshape((2, 2))(inp))
    x = layers.LayerNormalization()(layers.Flatten()(x))
    out = layers.Softmax()(block(x))
    model = keras.Model(inp, out)
    model.compile(optimizer="adagrad", loss="categorical_crossentropy")
    r = _rng()
    return model, r.random((10, 4), dtype=np.float32), np.eye(3, dtype=np.float32)[r.integers(0, 3, 10)]


def volumes():
    model = keras.Sequential([
        layers.Conv3D(3, 2, activation="relu", padding="same", input_shape=(4, 4, 4, 2)),
        layers.MaxPooling3D(2),
        layers.Conv3DTranspose(2, 2, strides=2),
        layers.ZeroPadding3D(1),
        layers.Cropping3D(((1, 0), 1, (0, 1))),
        layers.UpSampling3D((1, 1, 2)),
        layers.Conv3D(4, 2, groups=2),
        layers.AveragePooling3D(2, padding="same"),
        layers.GlobalAveragePooling3D(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    r = _rng()
    return model, r.random((16, 4, 4, 4, 2), dtype=np.float32), np.eye(2, dtype=np.float32)[r.integers(0, 2, 16)]


def conv_lstm():
    model = keras.Sequential([
        layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, input_shape=(3, 5, 5, 1)),
        layers.ConvLSTM2D(2, 2, strides=2, go_backwards=True),
        layers.Flatten(),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="mse", metrics=["mae"])
    r = _rng()
    return model, r.random((16, 3, 5, 5, 1), dtype=np.float32), r.random((16, 1), dtype=np.float32)


def locally_connected():
    model = keras.Sequential([
        layers.LocallyConnected2D(3, 2, input_shape=(5, 5, 2)),
        layers.PReLU(shared_axes=[1, 2]),
        layers.LocallyConnected2D(2, 2, padding="same", implementation=2),
        layers.LocallyConnected2D(2, (2, 1), implementation=3),
        layers.Flatten(),
        layers.ThresholdedReLU(0.1),
        layers.Identity(),
        layers.SpectralNormalization(layers.Dense(2, activation="softmax")),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    r = _rng()
    return model, r.random((16, 5, 5, 2), dtype=np.float32), np.eye(2, dtype=np.float32)[r.integers(0, 2, 16)]


def transformer():
    inp = keras.Input(shape=(7,), dtype="int32")
    x = layers.Embedding(11, 8, mask_zero=True)(inp)
    attn = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization()(layers.Add()([x, attn]))
    x = layers.LayerNormalization()(layers.Add()([x, layers.Dense(8)(layers.Dense(16, activation="relu")(x))]))
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    r = _rng()
    ids = r.integers(1, 11, (16, 7)).astype(np.int32)
    ids[:, 5:] *= r.integers(0, 2, (16, 2))                 # some padding at the end
    return model, ids, r.integers(0, 3, 16)


def dense_attention():
    q_in, v_in = keras.Input(shape=(4, 6)), keras.Input(shape=(5, 6))
    a = layers.Attention(use_scale=True, score_mode="concat")([q_in, v_in], use_causal_mask=True)
    b = layers.AdditiveAttention()([q_in, v_in, layers.Dense(6)(v_in)])
    out = layers.Dense(1)(layers.Flatten()(layers.Concatenate()([a, b])))
    model = keras.Model([q_in, v_in], out)
    model.compile(optimizer="rmsprop", loss="mse")
    r = _rng()
    return model, [r.random((16, 4, 6), dtype=np.float32), r.random((16, 5, 6), dtype=np.float32)], \
        r.random((16, 1), dtype=np.float32)


def legacy_adam():
    model = keras.Sequential([layers.Dense(6, activation="tanh", input_shape=(5,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.legacy.Adam(learning_rate=0.02, decay=0.05, amsgrad=True),
                  loss=keras.losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.3, 0.5]),
                  metrics=[keras.metrics.F1Score(average="macro"), "accuracy"])
    r = _rng()
    return model, r.random((24, 5), dtype=np.float32), np.eye(3, dtype=np.float32)[r.integers(0, 3, 24)]


def legacy_nadam():
    model = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.legacy.Nadam(learning_rate=0.01), loss="mse",
                  metrics=[keras.metrics.R2Score()])
    r = _rng()
    return model, r.random((16, 3), dtype=np.float32), r.random((16, 1), dtype=np.float32)


def ftrl_focal():
    inp = keras.Input(shape=(4,))
    out = layers.Dense(2, activation="sigmoid")(layers.Dense(5, activation="relu")(inp))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.001),
                  loss=keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True),
                  metrics=[keras.metrics.BinaryIoU()])
    r = _rng()
    return model, r.random((16, 4), dtype=np.float32), (r.random((16, 2)) > 0.5).astype(np.float32)


def lion():
    model = keras.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Lion(learning_rate=0.003), loss="mse")
    r = _rng()
    return model, r.random((16, 3), dtype=np.float32), r.random((16, 2), dtype=np.float32)


MODELS = {"mlp": mlp, "cnn": cnn, "lstm": lstm, "multi_io": multi_io, "nested": nested, "volumes": volumes,
          "conv_lstm": conv_lstm, "locally_connected": locally_connected, "transformer": transformer,
          "dense_attention": dense_attention, "legacy_adam": legacy_adam, "legacy_nadam": legacy_nadam,
          "ftrl_focal": ftrl_focal, "lion": lion}


TF_SIDE = textwrap.dedent(r'''
    import json, os, sys, numpy as np
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras
    out = {}
    for name in json.loads(sys.argv[2]):
        d = os.path.join(sys.argv[1], name)
        data = dict(np.load(os.path.join(d, "data.npz")))
        xs = [data[k] for k in sorted(data) if k.startswith("x_")]
        ys = [data[k] for k in sorted(data) if k.startswith("y_")]
        x = xs if len(xs) > 1 else xs[0]
        y = ys if len(ys) > 1 else ys[0]
        preds = [data[k] for k in sorted(data) if k.startswith("pred_")]
        res = {}
        # NOTE: tf_keras 2.21's h5 loader does not know its own SpectralNormalization (it cannot load the files it
        # writes with one) unless it is named in custom_objects
        m = tf_keras.models.load_model(os.path.join(d, "model.h5"),
                                       custom_objects={"SpectralNormalization": tf_keras.layers.SpectralNormalization})
        p = m.predict(x, verbose=0)
        p = p if isinstance(p, list) else [p]
        res["h5_pred_err"] = max(float(np.abs(a - b).max()) for a, b in zip(p, preds))
        res["compiled"] = m.optimizer is not None and getattr(m, "compiled_loss", None) is not None
        res["optimizer"] = m.optimizer.get_config() if m.optimizer is not None else None
        res["iterations"] = int(m.optimizer.iterations.numpy())
        h = m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        res["history"] = {k: float(v[0]) for k, v in h.history.items()}
        res["weights_after"] = [w.tolist() for w in m.get_weights()]
        m.save(os.path.join(d, "from_tf.h5"))
        m.save(os.path.join(d, "from_tf.keras"))
        res["weights_pred_err"] = 0.0
        for fname in ("weights.h5", "model.weights.h5"):
            m2 = tf_keras.models.clone_model(m)
            m2.load_weights(os.path.join(d, fname))
            p2 = m2.predict(x, verbose=0)
            p2 = p2 if isinstance(p2, list) else [p2]
            res["weights_pred_err"] = max([res["weights_pred_err"]] + [float(np.abs(a - b).max())
                                                                       for a, b in zip(p2, preds)])
        try:
            import keras as k3
            m3 = k3.saving.load_model(os.path.join(d, "model.keras"))
            p3 = m3.predict(x, verbose=0)
            p3 = p3 if isinstance(p3, list) else [p3]
            res["keras3_pred_err"] = max(float(np.abs(np.asarray(a) - b).max()) for a, b in zip(p3, preds))
            np.savez(os.path.join(d, "keras3_pred.npz"), **{f"pred_{i}": np.asarray(a) for i, a in enumerate(p3)})
            m3.save(os.path.join(d, "from_keras3.keras"))
        except Exception as e:  # report, do not stop
            res["keras3_error"] = f"{type(e).__name__}: {str(e)[:300]}"
        out[name] = res
    print("RESULT" + json.dumps(out, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
''')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tf-python", default="/work/tfenv/bin/python")
    parser.add_argument("--keep", default=None, help="folder for the files (default: a temporary folder)")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="kf-tf-roundtrip-")
    names = args.only or list(MODELS)
    state = {}
    for name in names:
        keras.utils.set_random_seed(1)
        model, x, y = MODELS[name]()
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        model.save(os.path.join(d, "model.h5"))
        model.save(os.path.join(d, "model.keras"))
        model.save_weights(os.path.join(d, "weights.h5"))
        model.save_weights(os.path.join(d, "model.weights.h5"))
        preds = model.predict(x, verbose=0)
        preds = preds if isinstance(preds, list) else [preds]
        xs = x if isinstance(x, list) else [x]
        ys = y if isinstance(y, list) else [y]
        arrays = {f"x_{i}": a for i, a in enumerate(xs)}
        arrays.update({f"y_{i}": a for i, a in enumerate(ys)})
        arrays.update({f"pred_{i}": a for i, a in enumerate(preds)})
        np.savez(os.path.join(d, "data.npz"), **arrays)
        h = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        state[name] = {"history": {k: v[0] for k, v in h.history.items()},
                       "weights_after": [w for la in model.layers for w in la.get_weights()]}
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([args.tf_python, "-c", TF_SIDE, root, json.dumps(names)], capture_output=True, text=True,
                          env=env)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if not line:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        sys.exit(1)
    results = json.loads(line[0][6:])
    ok = True
    for name in names:
        res = results[name]
        mine = state[name]
        werr = max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                   for a, b in zip(res["weights_after"], mine["weights_after"]))
        herr = {k: abs(res["history"][k] - mine["history"].get(k, np.nan)) for k in res["history"]}
        back = keras.models.load_model(os.path.join(root, name, "from_tf.h5"))
        x = [np.load(os.path.join(root, name, "data.npz"))[k] for k in sorted(np.load(os.path.join(
            root, name, "data.npz")).files) if k.startswith("x_")]
        pb = back.predict(x if len(x) > 1 else x[0], verbose=0)
        pb = pb if isinstance(pb, list) else [pb]
        back_keras = {}
        for fname in ("from_tf.keras", "from_keras3.keras"):
            if not os.path.exists(os.path.join(root, name, fname)):
                continue
            try:
                mk = keras.models.load_model(os.path.join(root, name, fname))
                if fname == "from_tf.keras":   # saved after tf.keras trained one more epoch: compare weights
                    got = [w for la in mk.layers for w in la.get_weights()]
                    back_keras[fname] = float(max(np.abs(a - np.asarray(b, np.float32)).max()
                                                  for a, b in zip(got, res["weights_after"])))
                    continue
                pk = mk.predict(x if len(x) > 1 else x[0], verbose=0)
                pk = pk if isinstance(pk, list) else [pk]
                # NOTE: a file Keras 3 wrote means what Keras 3 computes from it (its 'hard_sigmoid' is not
                # tf.keras 2's): compare with Keras 3's own predictions
                ref_file = os.path.join(root, name, "keras3_pred.npz")
                ref = [np.load(ref_file)[f"pred_{i}"] for i in range(len(pk))]
                back_keras[fname] = float(max(np.abs(a - b).max() for a, b in zip(pk, ref)))
            except Exception as e:  # report, do not stop
                back_keras[fname] = f"{type(e).__name__}: {str(e)[:200]}"
        tf_w = [np.asarray(w, np.float32) for w in res["weights_after"]]
        mine_back = [w for la in back.layers for w in la.get_weights()]
        back_err = max(float(np.abs(a - b).max()) for a, b in zip(mine_back, tf_w))
        good = (res["h5_pred_err"] < 1e-5 and res["weights_pred_err"] < 1e-5 and werr < 1e-4 and back_err == 0.0
                and all(v < 1e-4 for v in herr.values()) and res["compiled"])
        ok &= good
        print(f"{name:10s} {'OK ' if good else 'BAD'} h5 pred err {res['h5_pred_err']:.2e}, weights-file pred err "
              f"{res['weights_pred_err']:.2e}, tf.keras iterations {res['iterations']}, history after resuming "
              f"{res['history']} (max diff {max(herr.values()):.1e}), weights after one more epoch max diff "
              f"{werr:.1e}, tf.keras-saved file back in kerasfront: weights diff {back_err:.1e}; keras 3 .keras: "
              f"{res.get('keras3_pred_err', res.get('keras3_error'))}; .keras files written by tf.keras / Keras 3 loaded "
              f"here (from_tf.keras: weights diff vs tf.keras after its epoch; from_keras3.keras: prediction diff vs "
              f"Keras 3's own): {back_keras}")
    print("files in", root)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
