"""Write tests/fixtures/keras3_reference: small models saved by real Keras 3 (``.keras`` and ``.weights.h5``) and by
tf.keras 2.21 (its own ``.keras`` format), with inputs and predictions, for the tests of kerasfront's readers.

Run with a Python that has tensorflow, keras 3 and tf_keras (not part of the test suite):

    /work/tfenv/bin/python tools/make_keras3_fixtures.py tests/fixtures/keras3_reference [--only k3_attention]

``--only NAME[,NAME...]`` rewrites those Keras 3 cases alone (and their manifest entries), leaving the other files as
they are; ``--only optimizers`` rewrites every ``k3_opt_*`` case.

The ``k3_opt_<name>`` cases are one tiny model trained by each Keras 3 optimizer (its saved state: Nadam's momentum
product, Adafactor's placeholders for unfactored variables...), saved as ``.keras`` only.
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def keras3_cases(keras):
    layers = keras.layers
    rng = np.random.default_rng(0)
    cases = {}

    keras.utils.set_random_seed(0)
    # NOTE: BatchNormalization first: a bias feeding it gets only rounding noise as gradient, which Adam amplifies
    # differently in every implementation.
    seq = keras.Sequential([keras.Input((5,)), layers.BatchNormalization(), layers.Dense(8, activation="relu"),
                            layers.Dense(3, activation="softmax")])
    seq.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                metrics=["accuracy"])
    x = rng.random((16, 5), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    seq.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["k3_sequential"] = (seq, {"x": x, "train_x": x, "train_y": y})

    keras.utils.set_random_seed(1)
    a = keras.Input((6, 2), name="seq_in")
    b = keras.Input((3,), name="vec_in")
    h = layers.Conv1D(4, 3, padding="same", activation="relu")(a)
    h = layers.Bidirectional(layers.GRU(3))(layers.LSTM(4, return_sequences=True)(h))
    h = layers.Concatenate()([h, layers.Dense(2)(b)])
    out = layers.Dense(1, activation="sigmoid")(layers.LayerNormalization()(h))
    fun = keras.Model([a, b], out)
    fun.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="binary_crossentropy")
    xa, xb = rng.random((8, 6, 2), dtype=np.float32), rng.random((8, 3), dtype=np.float32)
    yy = rng.integers(0, 2, (8, 1)).astype(np.float32)
    fun.fit([xa, xb], yy, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["k3_functional_rnn"] = (fun, {"x_0": xa, "x_1": xb, "train_x_0": xa, "train_x_1": xb, "train_y": yy})

    keras.utils.set_random_seed(2)
    block = keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="tanh"), layers.Dense(2)], name="block")
    inp = keras.Input((4,))
    nested = keras.Model(inp, layers.Softmax()(block(inp)))
    cases["k3_nested"] = (nested, {"x": rng.random((4, 4), dtype=np.float32)})

    keras.utils.set_random_seed(4)
    arng = np.random.default_rng(4)
    q_in, v_in = keras.Input((5, 8), name="query"), keras.Input((6, 8), name="value")
    key = layers.Dense(8, activation="tanh")(v_in)
    h = layers.MultiHeadAttention(num_heads=2, key_dim=4)(q_in, v_in, key=key, use_causal_mask=True)
    h = layers.LayerNormalization()(layers.Add()([q_in, h]))
    h = layers.Attention(use_scale=True)([h, v_in])
    out = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling1D()(h))
    att = keras.Model([q_in, v_in], out)
    att.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy")
    xq, xv = arng.random((8, 5, 8), dtype=np.float32), arng.random((8, 6, 8), dtype=np.float32)
    ya = np.eye(2, dtype=np.float32)[arng.integers(0, 2, 8)]
    att.fit([xq, xv], ya, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["k3_attention"] = (att, {"x_0": xq, "x_1": xv, "train_x_0": xq, "train_x_1": xv, "train_y": ya})

    # Embedding(mask_zero=True): Keras 3 saves the mask's ops (not_equal, and Add's logical_or) as operation nodes
    keras.utils.set_random_seed(5)
    trng = np.random.default_rng(5)
    ids_in = keras.Input((6,), dtype="int32")
    h = layers.Embedding(9, 8, mask_zero=True)(ids_in)
    h = layers.LayerNormalization()(layers.Add()([h, layers.MultiHeadAttention(2, 4)(h, h, use_causal_mask=True)]))
    h = layers.Add()([h, layers.Dense(8)(layers.Dense(12, activation="relu")(h))])
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(h))
    ids = trng.integers(1, 9, (6, 6)).astype(np.int32)
    ids[:, 4:] *= trng.integers(0, 2, (6, 2)).astype(np.int32)     # padding at the end of some rows
    cases["k3_transformer"] = (keras.Model(ids_in, out), {"x": ids})

    # 'hard_sigmoid' is Keras 3's relu6(x + 3) / 6 here (tf.keras 2's is clip(0.2 x + 0.5, 0, 1))
    keras.utils.set_random_seed(6)
    crng = np.random.default_rng(6)
    conv = keras.Sequential([keras.Input((3, 5, 5, 1)),
                             layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True,
                                               recurrent_activation="hard_sigmoid", bias_initializer="glorot_uniform"),
                             layers.ConvLSTM2D(2, 2, strides=2, go_backwards=True),
                             layers.Flatten(), layers.Dense(2, activation="hard_sigmoid")])
    cases["k3_conv_lstm"] = (conv, {"x": crng.normal(size=(4, 3, 5, 5, 1)).astype(np.float32)})

    # Keras 3's hard_sigmoid inside LSTM / GRU / SimpleRNN over a padding mask (Embedding's mask_zero), and as a
    # Dense activation: read as kerasfront's 'keras3_hard_sigmoid', exported to ONNX
    keras.utils.set_random_seed(7)
    hrng = np.random.default_rng(7)
    rnn = keras.Sequential([keras.Input((6,), dtype="int32"), layers.Embedding(9, 4, mask_zero=True),
                            layers.LSTM(4, recurrent_activation="hard_sigmoid", return_sequences=True,
                                        bias_initializer="glorot_uniform"),
                            layers.GRU(3, recurrent_activation="hard_sigmoid", return_sequences=True,
                                       bias_initializer="glorot_uniform"),
                            layers.SimpleRNN(3, activation="hard_sigmoid"),
                            layers.Dense(2, activation="hard_sigmoid")])
    ids = hrng.integers(1, 9, (5, 6)).astype(np.int32)
    ids[1:, 3:] *= hrng.integers(0, 2, (4, 3)).astype(np.int32)     # padding inside and at the end of rows
    ids[0, 2:] = 0
    cases["k3_rnn_hard_sigmoid"] = (rnn, {"x": ids})
    cases.update(optimizer_cases(keras))
    return cases


def optimizer_cases(keras):
    """``k3_opt_<name>``: Dense(3, tanh) -> Dense(2) (a kernel of rank 2 and a bias of rank 1 per layer), mse, one
    epoch of 4 steps by each optimizer before saving, so that every slot (and Nadam's product) holds state."""
    opt = keras.optimizers
    schedule = opt.schedules.ExponentialDecay(0.02, decay_steps=3, decay_rate=0.8)
    makers = {
        "nadam": lambda: opt.Nadam(learning_rate=0.02),
        "nadam_schedule": lambda: opt.Nadam(learning_rate=schedule, beta_1=0.85),
        "adam_amsgrad": lambda: opt.Adam(learning_rate=0.02, amsgrad=True),
        "adamw": lambda: opt.AdamW(learning_rate=0.02, weight_decay=0.05),
        "sgd": lambda: opt.SGD(learning_rate=0.05),
        "sgd_nesterov": lambda: opt.SGD(learning_rate=0.05, momentum=0.8, nesterov=True),
        "rmsprop_centered": lambda: opt.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
        "adagrad": lambda: opt.Adagrad(learning_rate=0.05),
        "adadelta": lambda: opt.Adadelta(learning_rate=1.0),
        "adamax": lambda: opt.Adamax(learning_rate=0.02),
        "ftrl": lambda: opt.Ftrl(learning_rate=0.05, l1_regularization_strength=0.01,
                                 l2_regularization_strength=0.01, l2_shrinkage_regularization_strength=0.01),
        "lion": lambda: opt.Lion(learning_rate=0.005),
        "adafactor": lambda: opt.Adafactor(learning_rate=0.05),
    }
    rng = np.random.default_rng(7)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    cases = {}
    for name, make in makers.items():
        keras.utils.set_random_seed(7)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2)])
        model.compile(optimizer=make(), loss="mse")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        cases[f"k3_opt_{name}"] = (model, {"x": x, "train_x": x, "train_y": y})
    return cases


def main():
    out_dir = sys.argv[1]
    only = set(sys.argv[sys.argv.index("--only") + 1].split(",")) if "--only" in sys.argv else None
    only_optimizers = only is not None and "optimizers" in only
    os.makedirs(out_dir, exist_ok=True)
    manifest = {}
    if only is not None:
        with open(os.path.join(out_dir, "manifest.json")) as f:
            manifest = json.load(f)
    import keras
    for name, (model, data) in keras3_cases(keras).items():
        if only is not None and name not in only and not (only_optimizers and name.startswith("k3_opt_")):
            continue
        xs = [data[k] for k in sorted(data) if k.startswith("x")]
        pred = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        model.save(os.path.join(out_dir, f"{name}.keras"))
        files = [f"{name}.keras", f"{name}.npz"]
        if not name.startswith("k3_opt_"):
            model.save_weights(os.path.join(out_dir, f"{name}.weights.h5"))
            files.insert(1, f"{name}.weights.h5")
        arrays = dict(data, y_pred=np.asarray(pred))
        opt = getattr(model, "optimizer", None)
        if opt is not None and opt.built:
            arrays["iterations"] = np.asarray(int(opt.iterations.numpy()))
            # the optimizer's variables as Keras 3 saved them (what a reloaded optimizer must hold)
            arrays.update({f"opt_var_{i}": np.asarray(v.numpy()) for i, v in enumerate(opt.variables)})
            # one more epoch after saving: what a reloaded model must reproduce
            tx = [data[k] for k in sorted(data) if k.startswith("train_x")]
            h = model.fit(tx if len(tx) > 1 else tx[0], data["train_y"], batch_size=4, epochs=1, shuffle=False,
                          verbose=0)
            arrays["resume_loss"] = np.asarray(h.history["loss"][0])
            after = [w for layer in model.layers for w in layer.get_weights()]
            arrays.update({f"resume_w_{i}": w for i, w in enumerate(after)})
        np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)
        manifest[name] = {"made_with": f"keras {keras.__version__}", "files": files}

    if only is not None:
        with open(os.path.join(out_dir, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
        return
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras
    tf_keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    inp = tf_keras.Input((4,))
    h = tf_keras.layers.Dense(6, activation="relu")(inp)
    out = tf_keras.layers.Dense(2, activation="softmax")(h)
    model = tf_keras.Model(inp, out)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = rng.random((8, 4), dtype=np.float32)
    y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 8)]
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.save(os.path.join(out_dir, "tfk_functional.keras"))
    np.savez(os.path.join(out_dir, "tfk_functional.npz"), x=x, train_y=y, y_pred=model.predict(x, verbose=0),
             iterations=np.asarray(int(model.optimizer.iterations.numpy())))
    manifest["tfk_functional"] = {"made_with": f"tf_keras {tf_keras.__version__}",
                                  "files": ["tfk_functional.keras", "tfk_functional.npz"]}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
