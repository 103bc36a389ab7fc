"""Reference cases for the attention layers, made by real tf.keras (tf_keras 2.21).

Model cases (trained three epochs, or saved for loading):
    TF_USE_LEGACY_KERAS=1 python tools/make_keras_fixtures.py tests/fixtures/keras_reference --module attention
writes tests/fixtures/keras_reference/attention/. Layer tables (EinsumDense weight and output shapes for
many equations; MultiHeadAttention, Attention and AdditiveAttention outputs and scores for set weights and
masks):
    TF_USE_LEGACY_KERAS=1 python tools/keras_cases/attention.py tests/fixtures/keras_reference/attention
writes attention_layers.json and attention_layers.npz beside them.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from make_keras_fixtures import case, keras, layers, rng_for  # noqa: E402

import numpy as np  # noqa: E402


def _padded_ids(rng, n, length, vocab, min_len):
    """Integer sequences with ids in [1, vocab) and zero padding after a random length >= min_len."""
    ids = rng.integers(1, vocab, (n, length))
    lengths = rng.integers(min_len, length + 1, n)
    ids[np.arange(length)[None, :] >= lengths[:, None]] = 0
    return ids.astype("int32")


@case("train")
def transformer_encoder():
    rng = rng_for("transformer_encoder")
    vocab, seq, dim = 20, 10, 16
    inp = keras.Input(shape=(seq,), dtype="int32")
    x = layers.Embedding(vocab, dim, mask_zero=True)(inp)
    attn = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attn]))
    ff = layers.Dense(32, activation="relu")(x)
    ff = layers.Dense(dim)(ff)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, ff]))
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inp, out)
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                      metrics=["sparse_categorical_accuracy"])
    data = dict(x=_padded_ids(rng, 48, seq, vocab, 3), y=rng.integers(0, 3, (48,)).astype("int64"))
    fit_kw = dict(batch_size=16, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def luong_attention():
    rng = rng_for("luong_attention")
    q_in = keras.Input(shape=(6,), dtype="int32")
    v_in = keras.Input(shape=(8,), dtype="int32")
    emb = layers.Embedding(15, 8, mask_zero=True)
    q, v = emb(q_in), emb(v_in)
    dot = layers.Attention(use_scale=True)([q, v])
    k = layers.Dense(8, activation="tanh")(v)
    concat = layers.Attention(score_mode="concat")([q, v, k], use_causal_mask=True)
    x = layers.Concatenate()([layers.GlobalAveragePooling1D()(dot), layers.GlobalAveragePooling1D()(concat)])
    out = layers.Dense(2, activation="softmax")(x)
    model = keras.Model([q_in, v_in], out)
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="sparse_categorical_crossentropy",
                      metrics=["sparse_categorical_accuracy"])
    data = dict(x=[_padded_ids(rng, 40, 6, 15, 2), _padded_ids(rng, 40, 8, 15, 2)],
                y=rng.integers(0, 2, (40,)).astype("int64"))
    fit_kw = dict(batch_size=10, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def additive_attention():
    rng = rng_for("additive_attention")
    q_in = keras.Input(shape=(5, 6))
    v_in = keras.Input(shape=(7, 6))
    q = layers.Masking(mask_value=0.0)(q_in)
    v = layers.Masking(mask_value=0.0)(v_in)
    a1 = layers.AdditiveAttention()([q, v])
    a2 = layers.AdditiveAttention(use_scale=False)([q, v], use_causal_mask=True)
    x = layers.Concatenate()([layers.GlobalAveragePooling1D()(a1), layers.GlobalAveragePooling1D()(a2)])
    out = layers.Dense(1)(x)
    model = keras.Model([q_in, v_in], out)
    compile_kw = dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="mse", metrics=["mae"])
    qx = rng.standard_normal((32, 5, 6)).astype("float32")
    vx = rng.standard_normal((32, 7, 6)).astype("float32")
    qx[rng.random((32, 5)) < 0.3] = 0.0                       # masked query steps
    qx[:, 0] = rng.standard_normal((32, 6))                   # every sample keeps a step to average
    vx[rng.random((32, 7)) < 0.3] = 0.0                       # masked value steps
    data = dict(x=[qx, vx], y=rng.standard_normal((32, 1)).astype("float32"))
    fit_kw = dict(batch_size=8, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("load")
def mha_options():
    """MultiHeadAttention's less common options: 2-d attention axes, output_shape, value_dim, no biases, a
    separate key, an attention mask and the scores as a second output."""
    rng = rng_for("mha_options")
    q_in = keras.Input(shape=(3, 4, 6))
    v_in = keras.Input(shape=(3, 5, 6))
    k_in = keras.Input(shape=(3, 5, 7))
    m_in = keras.Input(shape=(3, 4, 5), dtype="bool")
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, use_bias=False, output_shape=(5,),
                                    attention_axes=(2,))
    out, scores = mha(q_in, v_in, key=k_in, attention_mask=m_in, return_attention_scores=True)
    model = keras.Model([q_in, v_in, k_in, m_in], [out, scores])
    mask = rng.random((4, 3, 4, 5)) < 0.7
    mask[..., 0] = True
    data = dict(x=[rng.standard_normal((4, 3, 4, 6)).astype("float32"),
                   rng.standard_normal((4, 3, 5, 6)).astype("float32"),
                   rng.standard_normal((4, 3, 5, 7)).astype("float32"), mask])
    return model, None, data, None


# -- layer tables (python tools/keras_cases/attention.py OUT_DIR) ------------------------------------------

EINSUM_CASES = [
    ("ab,bc->ac", 64, "c", (None, 32)),
    ("abc,cd->abd", (None, 64), "d", (None, 32, 128)),
    ("...x,xy->...y", 64, "y", (None, 32, 128)),
    ("abc,cde->abde", (None, 4, 8), "de", (None, 5, 16)),
    ("abcd,cde->abe", (None, 16), "e", (None, 5, 4, 8)),
    ("abc,cde->abde", (None, 4, 8), "e", (None, 5, 16)),
    ("abc,cd->abd", (5, 7), None, (None, 5, 3)),
    ("ab...,bc->ac...", (7,), "c", (None, 3, 4, 5)),
    ("...b,bc->...c", 6, "c", (None, 2, 3, 4)),
    ("abc,bcd->ad", (6,), "d", (None, 3, 4)),
    ("abc,cb->ab", (4,), "b", (None, 4, 3)),
    ("abcd,ced->abe", (None, 9), "e", (None, 2, 3, 4)),
    ("abc,dc->abd", (5, 2), "bd", (None, 5, 3)),
]


def _einsum_table(rng):
    rows, arrays = [], {}
    for i, (equation, output_shape, bias_axes, input_shape) in enumerate(EINSUM_CASES):
        layer = layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes,
                                   bias_initializer="glorot_uniform")
        symbolic = layer(keras.Input(batch_shape=input_shape))
        x = rng.standard_normal((2,) + tuple(input_shape[1:])).astype("float32")
        arrays[f"einsum_{i}_x"] = x
        arrays[f"einsum_{i}_y"] = np.asarray(layer(x))
        for j, w in enumerate(layer.get_weights()):
            arrays[f"einsum_{i}_w{j}"] = w
        rows.append({"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes,
                     "input_shape": list(input_shape), "symbolic_output_shape": list(symbolic.shape),
                     "weight_shapes": [list(w.shape) for w in layer.get_weights()],
                     "config": layer.get_config()})
    return rows, arrays


MHA_CASES = [
    dict(kwargs=dict(num_heads=2, key_dim=3), q=(2, 4, 6), v=(2, 5, 6), key=None, mask="attention"),
    dict(kwargs=dict(num_heads=3, key_dim=2, value_dim=4, output_shape=(2, 3)), q=(2, 4, 6), v=(2, 4, 6),
         key=(2, 4, 5), mask="causal"),
    dict(kwargs=dict(num_heads=2, key_dim=2, attention_axes=(2, 3)), q=(2, 3, 4, 2, 5), v=(2, 3, 3, 2, 5), key=None,
         mask="attention"),
    dict(kwargs=dict(num_heads=2, key_dim=2, softmax_robust_masking=True), q=(2, 3, 4), v=(2, 5, 4), key=None,
         mask="attention_full_rows"),
    dict(kwargs=dict(num_heads=1, key_dim=4, use_bias=False), q=(2, 3, 4), v=(2, 3, 4), key=None, mask="keras"),
]


def _mha_table(rng):
    rows, arrays = [], {}
    for i, spec in enumerate(MHA_CASES):
        layer = layers.MultiHeadAttention(**spec["kwargs"], bias_initializer="glorot_uniform")
        q = rng.standard_normal(spec["q"]).astype("float32")
        v = rng.standard_normal(spec["v"]).astype("float32")
        k = None if spec["key"] is None else rng.standard_normal(spec["key"]).astype("float32")
        call = {}
        kind = spec["mask"]
        if kind.startswith("attention"):
            shape = spec["q"][:1] + spec["q"][1:-1][-len(spec["kwargs"].get("attention_axes", (1,))):] + \
                spec["v"][1:-1][-len(spec["kwargs"].get("attention_axes", (1,))):]
            mask = rng.random(shape) < 0.6
            if kind == "attention":
                mask[..., 0] = True
            else:
                mask[0, 1] = False                      # a fully masked query row
            call["attention_mask"] = mask
            arrays[f"mha_{i}_mask"] = mask
        elif kind == "causal":
            call["use_causal_mask"] = True
        qt, vt = q, v
        if kind == "keras":
            q[:, -1] = 0.0                              # a padded step in query and value, seen by Masking
            v[1, 1] = 0.0
            vt = layers.Masking()(v)
            qt = layers.Masking()(q)
        out, scores = layer(qt, vt, key=k, return_attention_scores=True, **call)
        arrays[f"mha_{i}_q"], arrays[f"mha_{i}_v"] = q, v
        if k is not None:
            arrays[f"mha_{i}_k"] = k
        arrays[f"mha_{i}_out"], arrays[f"mha_{i}_scores"] = np.asarray(out), np.asarray(scores)
        for j, w in enumerate(layer.get_weights()):
            arrays[f"mha_{i}_w{j}"] = w
        rows.append({"kwargs": spec["kwargs"], "mask": kind, "has_key": k is not None,
                     "weight_names": [w.name for w in layer.weights], "config": layer.get_config()})
    return rows, arrays


DENSE_ATTENTION_CASES = [
    ("Attention", dict(), dict(), "none"),
    ("Attention", dict(use_scale=True), dict(use_causal_mask=True), "masks"),
    ("Attention", dict(score_mode="concat", use_scale=True), dict(), "masks"),
    ("Attention", dict(score_mode="concat"), dict(use_causal_mask=True), "key"),
    ("AdditiveAttention", dict(), dict(), "masks"),
    ("AdditiveAttention", dict(use_scale=False), dict(use_causal_mask=True), "key"),
]


def _dense_attention_table(rng):
    rows, arrays = [], {}
    for i, (cls, kwargs, call, inputs) in enumerate(DENSE_ATTENTION_CASES):
        layer = getattr(layers, cls)(**kwargs)
        q = rng.standard_normal((2, 3, 4)).astype("float32")
        v = rng.standard_normal((2, 5, 4)).astype("float32")
        args = [q, v]
        if inputs == "key":
            args.append(rng.standard_normal((2, 5, 4)).astype("float32"))
        if inputs == "masks":
            qm = np.array([[True, True, False], [True, False, True]])
            vm = np.array([[True, False, True, True, False], [True, True, True, False, False]])
            call = dict(call, mask=[qm, vm])
            arrays[f"dense_{i}_qmask"], arrays[f"dense_{i}_vmask"] = qm, vm
        layer(args)                                          # build, then set non-trivial weights
        layer.set_weights([w + rng.uniform(0.2, 0.8, w.shape).astype("float32") for w in layer.get_weights()])
        out, scores = layer(args, return_attention_scores=True, **call)
        for j, a in enumerate(args):
            arrays[f"dense_{i}_in{j}"] = a
        for j, w in enumerate(layer.get_weights()):
            arrays[f"dense_{i}_w{j}"] = w
        arrays[f"dense_{i}_out"], arrays[f"dense_{i}_scores"] = np.asarray(out), np.asarray(scores)
        rows.append({"class_name": cls, "kwargs": kwargs, "call": {k: v for k, v in call.items() if k != "mask"},
                     "inputs": inputs, "config": layer.get_config(), "weight_names": [w.name for w in layer.weights]})
    return rows, arrays


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(11)
    rng = rng_for("attention_layers")
    tables, arrays = {"made_with": {"tf_keras": keras.__version__, "numpy": np.__version__}}, {}
    for name, make in (("einsum_dense", _einsum_table), ("multi_head_attention", _mha_table),
                       ("dense_attention", _dense_attention_table)):
        rows, arr = make(rng)
        tables[name] = rows
        arrays.update(arr)
    with open(os.path.join(out_dir, "attention_layers.json"), "w") as f:
        json.dump(tables, f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else list(o))
    np.savez_compressed(os.path.join(out_dir, "attention_layers.npz"), **arrays)
    print("attention layer tables written to", out_dir)


if __name__ == "__main__":
    main(sys.argv[1])
