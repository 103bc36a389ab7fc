"""Value tables from real tf.keras for the backend functions (K.*) and CTC.

Run with the throwaway Python that has tensorflow + tf_keras (never the project's):
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/make_backend_fixtures.py \
        tests/fixtures/backend

Writes OUT_DIR/values.json:
  "functions": [{"fn", "args", "kwargs", "out"}]: ``K.<fn>(*args, **kwargs)`` and its value; arrays are
               {"array": nested list, "dtype": name}, lists of ints stand for tuples, and {"shared": name}
               is the array "shared"[name] (inputs used by several cases, stored once)
  "rnn":       [{"inputs", "initial", "W", "U", "mask", "kwargs", "last", "outputs", "states"}]: K.rnn with the step
               ``h = tanh(x W + h U)``, output h
  "folds":     foldl / foldr / map_fn of fixed Python functions (see FOLD_FUNCTIONS in the test)
  "ctc_cost":  [{"y_true", "y_pred", "input_length", "label_length", "loss", "grad"}]: K.ctc_batch_cost and the
               gradient of its sum with respect to y_pred
  "ctc_decode": [{"y_pred", "input_length", "greedy", "beam_width", "top_paths", "decoded", "log_prob"}]
tests/kerasfront/test_backend_reference.py checks kerasfront against all of it.
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def enc(v):
    """JSON for arrays (shortest float32 digits), tuples and numbers."""
    if hasattr(v, "numpy"):
        v = v.numpy()
    if isinstance(v, np.ndarray):
        # NOTE: float32 values are written with the shortest digits that read back to the same float32;
        # inf and nan as Python's json writes them (Infinity, NaN)
        if v.dtype == np.float32:
            data = np.asarray([float(str(x)) for x in v.ravel()], dtype=object).reshape(v.shape).tolist()
        else:
            data = v.tolist()
        return {"array": data, "dtype": v.dtype.name}
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    return v


def f32(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def function_cases(rng):
    """(fn, args, kwargs): arrays as numpy, options as in tf.keras's calls."""
    x1 = f32(rng, 2, 9, 3)
    x2 = f32(rng, 2, 7, 6, 3)
    x2cf = np.transpose(x2, (0, 3, 1, 2)).copy()
    x3 = f32(rng, 1, 4, 5, 4, 2)
    k1 = f32(rng, 3, 3, 4)
    k2 = f32(rng, 3, 2, 3, 5)
    k3 = f32(rng, 2, 3, 2, 2, 3)
    dk = f32(rng, 3, 3, 3, 2)
    pk = f32(rng, 1, 1, 6, 4)
    tk = f32(rng, 3, 3, 4, 3)              # conv2d_transpose: (kh, kw, filters, in)
    cases = [
        ("conv1d", [x1, k1], {}), ("conv1d", [x1, k1], {"padding": "same", "strides": 2}),
        ("conv1d", [x1, k1], {"padding": "causal", "dilation_rate": 2}),
        ("conv1d", [np.transpose(x1, (0, 2, 1)).copy(), k1], {"padding": "same", "data_format": "channels_first"}),
        ("conv2d", [x2, k2], {}), ("conv2d", [x2, k2], {"strides": (2, 2), "padding": "same"}),
        ("conv2d", [x2, k2], {"dilation_rate": (2, 1)}),
        ("conv2d", [x2cf, k2], {"padding": "same", "data_format": "channels_first"}),
        ("conv2d_transpose", [x2, tk, (2, 14, 12, 4)], {"strides": (2, 2), "padding": "same"}),
        ("conv2d_transpose", [x2, tk, (2, 15, 13, 4)], {"strides": (2, 2), "padding": "valid"}),
        ("conv2d_transpose", [x2cf, tk, (2, 4, 9, 8)], {"data_format": "channels_first"}),
        ("separable_conv2d", [x2, dk, pk], {}), ("separable_conv2d", [x2, dk, pk], {"padding": "same",
                                                                                     "strides": (2, 2)}),
        ("depthwise_conv2d", [x2, dk], {"padding": "same"}),
        ("depthwise_conv2d", [x2cf, dk], {"data_format": "channels_first", "dilation_rate": (1, 2)}),
        ("conv3d", [x3, k3], {}), ("conv3d", [x3, k3], {"padding": "same", "strides": (2, 1, 2)}),
        ("conv3d", [np.transpose(x3, (0, 4, 1, 2, 3)).copy(), k3], {"data_format": "channels_first"}),
        ("pool2d", [x2, (2, 2)], {}), ("pool2d", [x2, (3, 2)], {"strides": (2, 2), "padding": "same"}),
        ("pool2d", [x2, (2, 3)], {"strides": (2, 1), "pool_mode": "avg", "padding": "same"}),
        ("pool2d", [x2cf, (2, 2)], {"strides": (2, 2), "data_format": "channels_first", "pool_mode": "avg"}),
        ("pool3d", [x3, (2, 2, 2)], {"strides": (2, 2, 2)}),
        ("pool3d", [x3, (2, 3, 2)], {"padding": "same", "pool_mode": "avg"}),
        ("bias_add", [x2, f32(rng, 3)], {}), ("bias_add", [x2cf, f32(rng, 3)], {"data_format": "channels_first"}),
        ("bias_add", [x2, f32(rng, 7, 6, 3)], {}),
        ("bias_add", [x2cf, f32(rng, 7, 6, 3)], {"data_format": "channels_first"}),
        ("bias_add", [f32(rng, 4, 3), f32(rng, 3)], {}),
        ("batch_normalization", [f32(rng, 4, 3), f32(rng, 3), np.abs(f32(rng, 3)) + 0.5, f32(rng, 3),
                                 f32(rng, 3)], {}),
        ("batch_normalization", [x2, f32(rng, 3), np.abs(f32(rng, 3)) + 0.5, None, f32(rng, 3)], {"epsilon": 0.01}),
        ("batch_normalization", [x2cf, f32(rng, 3), np.abs(f32(rng, 3)) + 0.5, f32(rng, 3), f32(rng, 3)],
         {"axis": 1}),
        ("batch_normalization", [x1, f32(rng, 3), np.abs(f32(rng, 3)) + 0.5, None, None], {"epsilon": 0.1}),
        ("normalize_batch_in_training", [x2, f32(rng, 3), f32(rng, 3), [0, 1, 2]], {}),
        ("normalize_batch_in_training", [x1, None, f32(rng, 3), [0, 1]], {"epsilon": 0.1}),
        ("normalize_batch_in_training", [x1, f32(rng, 9), None, [0, 2]], {}),
        ("temporal_padding", [x1, (2, 1)], {}),
        ("spatial_2d_padding", [x2, ((1, 0), (2, 3))], {}),
        ("spatial_2d_padding", [x2cf, ((1, 2), (0, 1))], {"data_format": "channels_first"}),
        ("spatial_3d_padding", [x3, ((1, 0), (0, 2), (1, 1))], {}),
        ("resize_volumes", [x3[:, :2, :2, :3], 2, 1, 3, "channels_last"], {}),
        ("local_conv1d", [x1, f32(rng, 4, 9, 2), (3,), (2,)], {}),
        ("local_conv2d", [x2, f32(rng, 6, 12, 4), (2, 2), (3, 2), (2, 3)], {}),
        ("local_conv2d", [x2cf, f32(rng, 9, 12, 2), (2, 2), (2, 2), (3, 3)], {"data_format": "channels_first"}),
        ("cumprod", [f32(rng, 3, 5)], {"axis": 1}), ("cumprod", [np.array([[1.0, 2.0, 0.0, 3.0]], np.float32)], {}),
        ("arange", [5], {}), ("arange", [-3], {}), ("arange", [1, 7, 2], {"dtype": "float32"}),
        ("repeat", [f32(rng, 2, 3), 4], {}),
        ("reverse", [f32(rng, 2, 3, 4), [0, 2]], {}), ("reverse", [f32(rng, 2, 3), 1], {}),
        ("in_top_k", [np.array([[1.0, 2.0, 2.0, 0.0], [0.1, 0.5, 0.3, 0.2], [3.0, 1.0, 0.0, 0.0],
                                [np.nan, 1.0, 0.0, 0.0]], np.float32), np.array([1, 0, 0, 1], np.int32), 1], {}),
        ("in_top_k", [f32(rng, 6, 5), np.array([0, 1, 2, 3, 4, 0], np.int32), 3], {}),
        ("sin", [f32(rng, 2, 3)], {}), ("cos", [f32(rng, 2, 3)], {}),
    ]
    shared = {"x1": x1, "x2": x2, "x2cf": x2cf, "x3": x3}
    return cases, shared


def main(out_dir):
    import tensorflow as tf
    import tf_keras as keras
    K = keras.backend
    rng = np.random.default_rng(2024)
    out = {"functions": [], "rnn": [], "folds": [], "ctc_cost": [], "ctc_decode": []}

    cases, shared = function_cases(rng)
    out["shared"] = enc(shared)
    for fn, args, kwargs in cases:
        tf_args = [tf.constant(a) if isinstance(a, np.ndarray) else a for a in args]
        value = getattr(K, fn)(*tf_args, **kwargs)
        if fn == "normalize_batch_in_training":
            value = list(value)
        refs = [{"shared": next(k for k, v in shared.items() if v is a)} if any(v is a for v in shared.values())
                else enc(a) for a in args]
        out["functions"].append({"fn": fn, "args": refs, "kwargs": enc(kwargs), "out": enc(value)})
    st = K.ctc_label_dense_to_sparse(tf.constant([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), tf.constant([2, 0, 3]))
    out["functions"].append({"fn": "ctc_label_dense_to_sparse",
                             "args": enc([np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), np.array([2, 0, 3])]),
                             "kwargs": {}, "out": enc([st.indices, st.values, st.dense_shape])})
    v = K.variable(np.array([1.0, -2.0, 0.5], np.float32))
    K.moving_average_update(v, tf.constant([3.0, 3.0, 3.0]), 0.9)
    out["functions"].append({"fn": "moving_average_update", "args": enc([np.array([1.0, -2.0, 0.5], np.float32),
                                                                          np.array([3.0, 3.0, 3.0], np.float32), 0.9]),
                             "kwargs": {}, "out": enc(v.numpy())})

    # -- K.rnn: h = tanh(x W + h U) -------------------------------------------------------------------
    for kwargs, masked in [({}, False), ({"go_backwards": True}, False), ({}, True),
                           ({"zero_output_for_mask": True}, True), ({"go_backwards": True}, True),
                           ({"return_all_outputs": False}, True), ({"time_major": True}, False)]:
        x = f32(rng, 3, 5, 4)
        if kwargs.get("time_major"):
            x = np.transpose(x, (1, 0, 2)).copy()
        h0, w, u = f32(rng, 3, 2), f32(rng, 4, 2), f32(rng, 2, 2)
        mask = (rng.random((3, 5)) > 0.35) if masked else None
        if masked:
            mask[:, 0] = mask[:, 0] & (np.arange(3) > 0)     # a masked first step in item 0

        def step(x_t, states, w=w, u=u):
            h = tf.tanh(tf.matmul(x_t, w) + tf.matmul(states[0], u))
            return h, [h]
        last, outputs, states = K.rnn(step, tf.constant(x), [tf.constant(h0)],
                                      mask=None if mask is None else tf.constant(mask), **kwargs)
        out["rnn"].append({"inputs": enc(x), "initial": enc(h0), "W": enc(w), "U": enc(u),
                           "mask": None if mask is None else mask.tolist(), "kwargs": kwargs, "last": enc(last),
                           "outputs": enc(outputs), "states": enc(list(states))})

    # -- folds and map_fn (the functions are named; the test defines the same ones) ---------------------
    elems = f32(rng, 4, 3)
    folds = {"foldl_sub": lambda: K.foldl(lambda a, b: a - b, tf.constant(elems)),
             "foldr_sub": lambda: K.foldr(lambda a, b: a - b, tf.constant(elems)),
             "foldl_init": lambda: K.foldl(lambda a, b: a * 0.5 + tf.reduce_sum(b), tf.constant(elems),
                                           initializer=tf.constant(1.0)),
             "foldr_init": lambda: K.foldr(lambda a, b: a * 0.5 + tf.reduce_sum(b), tf.constant(elems),
                                           initializer=tf.constant(1.0)),
             "map_square_sum": lambda: K.map_fn(lambda r: tf.reduce_sum(r * r), tf.constant(elems)),
             "map_tuple": lambda: K.map_fn(lambda t: t[0] * t[1], (tf.constant(elems), tf.constant(elems[::-1])),
                                           dtype=tf.float32)}
    for name, run in folds.items():
        out["folds"].append({"name": name, "elems": enc(elems), "out": enc(run())})

    # -- CTC ---------------------------------------------------------------------------------------------
    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True)).astype(np.float32)

    def ctc_case(y_true, logits, input_length, label_length):
        y_pred = tf.constant(softmax(logits))
        with tf.GradientTape() as tape:
            tape.watch(y_pred)
            loss = K.ctc_batch_cost(tf.constant(y_true), y_pred, tf.constant(input_length),
                                    tf.constant(label_length))
            total = tf.reduce_sum(tf.where(tf.math.is_finite(loss), loss, tf.zeros_like(loss)))
        grad = tape.gradient(total, y_pred)
        out["ctc_cost"].append({"y_true": enc(y_true), "y_pred": enc(y_pred), "input_length": enc(input_length),
                                "label_length": enc(label_length), "loss": enc(loss), "grad": enc(grad)})

    n, steps, classes = 4, 12, 6
    ctc_case(rng.integers(0, classes - 1, (n, 5)).astype(np.float32), f32(rng, n, steps, classes, scale=2.0),
             np.full((n, 1), steps, np.int64), rng.integers(1, 6, (n, 1)))
    ctc_case(np.array([[1, 1, 2, 2, 0], [3, 3, 3, 0, 0], [0, 3, 0, 3, 0]], np.int32), f32(rng, 3, 10, 5),
             np.array([[10], [7], [9]]), np.array([[4], [3], [5]]))
    ctc_case(np.array([[2, 2, 2, -1], [1, 2, 1, 2]], np.int32), f32(rng, 2, 4, 4),
             np.array([[3], [4]]), np.array([[3], [4]]))           # item 0 cannot fit its repeats: inf
    ctc_case(rng.integers(0, 5, (1, 20)).astype(np.int32), f32(rng, 1, 120, 6, scale=4.0),
             np.array([[120]]), np.array([[20]]))    # long: the probability is far below float32's range

    def decode_case(logits, input_length, greedy, beam_width=100, top_paths=1, probs=None):
        y_pred = probs if probs is not None else softmax(logits)
        decoded, log_prob = K.ctc_decode(tf.constant(y_pred), tf.constant(input_length), greedy=greedy,
                                         beam_width=beam_width, top_paths=top_paths)
        out["ctc_decode"].append({"y_pred": enc(y_pred), "input_length": enc(input_length), "greedy": greedy,
                                  "beam_width": beam_width, "top_paths": top_paths,
                                  "decoded": [enc(d) for d in decoded], "log_prob": enc(log_prob)})

    logits = f32(rng, 4, 10, 5, scale=1.5)
    lengths = np.array([10, 7, 10, 3], np.int32)
    decode_case(logits, lengths, True)
    for width, top in [(1, 1), (3, 2), (10, 3), (100, 1), (100, 4)]:
        decode_case(logits, lengths, False, width, top)
    flat = f32(rng, 3, 8, 4, scale=0.3)                         # near-uniform: many competing prefixes
    decode_case(flat, np.array([8, 8, 5], np.int32), False, 5, 3)
    decode_case(flat, np.array([8, 8, 5], np.int32), True)
    # "a blank a": the best prefix is (a, a), which TensorFlow's merge_repeated reports as (a)
    peaks = np.full((1, 5, 3), 0.05, np.float32)
    for t, c in enumerate([0, 2, 0, 2, 1]):
        peaks[0, t, c] = 0.9
    decode_case(None, np.array([5], np.int32), False, 4, 2, probs=peaks)
    decode_case(None, np.array([5], np.int32), True, probs=peaks)
    # small random cases with narrow beams: which prefixes survive depends on the order TensorFlow tries them in
    for _ in range(24):
        steps, classes = int(rng.integers(3, 10)), int(rng.integers(3, 7))
        width = int(rng.integers(1, 7))
        decode_case(f32(rng, 2, steps, classes, scale=float(rng.choice([0.5, 1.5, 3.0]))),
                    rng.integers(1, steps + 1, 2).astype(np.int32), False, width, int(rng.integers(1, width + 1)))

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "values.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", os.path.join(out_dir, "values.json"), {k: len(v) for k, v in out.items()})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/backend")
