"""The backend functions (K.*) and CTC against values made by real tf.keras (tools/make_backend_fixtures.py,
tests/fixtures/backend/values.json): convolutions, pooling, normalization, padding, locally connected
products, K.rnn, folds and map_fn, ctc_batch_cost with its gradient, ctc_decode greedy and beam search."""
import json
import os

import numpy as np
import pytest

import autograd as ag
import kerasfront.backend as K

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "fixtures", "backend", "values.json")) as _f:
    REF = json.load(_f)


def dec(v):
    """JSON back to arrays (``{"array": ...}``), tuples (lists of ints) and shared inputs."""
    if isinstance(v, dict) and "array" in v:
        return np.array(v["array"], dtype=v["dtype"])
    if isinstance(v, dict) and "shared" in v:
        return dec(REF["shared"][v["shared"]])
    if isinstance(v, dict):
        return {k: dec(x) for k, x in v.items()}
    if isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        return tuple(v)
    if isinstance(v, list):
        return [dec(x) for x in v]
    return v


def value(x):
    return x.numpy() if isinstance(x, ag.Tensor) else np.asarray(x)


def _case_id(case):
    return f"{case['fn']}-{json.dumps(case['kwargs'], sort_keys=True)}"


FUNCTION_CASES = [c for c in REF["functions"] if c["fn"] not in ("ctc_label_dense_to_sparse", "moving_average_update")]


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=[f"{i}-{c['fn']}" for i, c in enumerate(FUNCTION_CASES)])
def test_function_matches_tf_keras(case):
    args = [K.constant(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in dec(case["args"])]
    got = getattr(K, case["fn"])(*args, **dec(case["kwargs"]))
    want = dec(case["out"])
    if case["fn"] == "normalize_batch_in_training":
        for g, w in zip(got, want):
            np.testing.assert_allclose(value(g), w, rtol=1e-5, atol=1e-5)
        return
    got = value(got)
    assert got.shape == want.shape
    assert got.dtype == want.dtype or (want.dtype.kind == got.dtype.kind == "i")
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


def test_ctc_label_dense_to_sparse_and_moving_average_update_match_tf_keras():
    case = next(c for c in REF["functions"] if c["fn"] == "ctc_label_dense_to_sparse")
    st = K.ctc_label_dense_to_sparse(*dec(case["args"]))
    indices, values, shape = dec(case["out"])
    np.testing.assert_array_equal(st.indices, indices)
    np.testing.assert_array_equal(st.values, values)
    assert st.dense_shape == tuple(shape)
    assert K.is_sparse(st) and not K.is_sparse(K.constant([1.0]))
    np.testing.assert_array_equal(K.to_dense(st).numpy(), [[1, 2, 0], [0, 0, 0], [7, 8, 9]])
    case = next(c for c in REF["functions"] if c["fn"] == "moving_average_update")
    start, target, momentum = dec(case["args"])
    v = K.variable(start)
    assert K.moving_average_update(v, target, momentum) is v
    np.testing.assert_allclose(K.get_value(v), dec(case["out"]), rtol=1e-6)


@pytest.mark.parametrize("case", REF["rnn"], ids=lambda c: json.dumps(c["kwargs"]) + ("-mask" if c["mask"] else ""))
def test_rnn_matches_tf_keras(case):
    w, u = K.constant(dec(case["W"])), K.constant(dec(case["U"]))

    def step(x, states):
        h = K.tanh(K.dot(x, w) + K.dot(states[0], u))
        return h, [h]
    mask = None if case["mask"] is None else np.array(case["mask"])
    last, outputs, states = K.rnn(step, K.constant(dec(case["inputs"])), [K.constant(dec(case["initial"]))],
                                  mask=mask, **case["kwargs"])
    np.testing.assert_allclose(value(last), dec(case["last"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value(outputs), dec(case["outputs"]), rtol=1e-5, atol=1e-6)
    assert len(states) == 1
    np.testing.assert_allclose(value(states[0]), dec(case["states"])[0], rtol=1e-5, atol=1e-6)


FOLD_FUNCTIONS = {
    "foldl_sub": lambda e: K.foldl(lambda a, b: a - b, e),
    "foldr_sub": lambda e: K.foldr(lambda a, b: a - b, e),
    "foldl_init": lambda e: K.foldl(lambda a, b: a * 0.5 + K.sum(b), e, initializer=K.constant(1.0)),
    "foldr_init": lambda e: K.foldr(lambda a, b: a * 0.5 + K.sum(b), e, initializer=K.constant(1.0)),
    "map_square_sum": lambda e: K.map_fn(lambda r: K.sum(r * r), e),
    "map_tuple": lambda e: K.map_fn(lambda t: t[0] * t[1], (e, K.reverse(e, 0)), dtype="float32"),
}


@pytest.mark.parametrize("case", REF["folds"], ids=lambda c: c["name"])
def test_folds_and_map_fn_match_tf_keras(case):
    got = FOLD_FUNCTIONS[case["name"]](K.constant(dec(case["elems"])))
    np.testing.assert_allclose(value(got), dec(case["out"]), rtol=1e-5, atol=1e-6)


# -- CTC -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["ctc_cost"], ids=lambda c: str(len(c["y_pred"]["array"][0])) + "-steps")
def test_ctc_batch_cost_and_its_gradient_match_tf_keras(case):
    y_pred = ag.tensor(dec(case["y_pred"]), requires_grad=True)
    loss = K.ctc_batch_cost(dec(case["y_true"]), y_pred, dec(case["input_length"]), dec(case["label_length"]))
    want = dec(case["loss"])
    assert loss.shape == want.shape and loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-5)          # inf where tf.keras gives inf
    finite = ag.where(np.isfinite(loss.numpy()), loss, np.zeros_like(loss.numpy()))
    ag.sum(finite).backward()
    grad = y_pred.grad.numpy()
    if y_pred.shape[1] < 100:
        np.testing.assert_allclose(grad, dec(case["grad"]), rtol=1e-4, atol=1e-4)
        return
    # NOTE: over 120 frames TensorFlow's float32 recursion loses digits: its gradient is up to ~12% off the
    # float64 one where y_pred is tiny (the gradient there is (softmax - posterior) / y_pred). kerasfront runs the
    # recursion in float64 whatever the input dtype, so its float32 gradient matches float64 inputs' to 1e-4.
    y64 = ag.tensor(dec(case["y_pred"]).astype(np.float64), requires_grad=True)
    ag.sum(K.ctc_batch_cost(dec(case["y_true"]), y64, dec(case["input_length"]), dec(case["label_length"]))).backward()
    exact = y64.grad.numpy()
    np.testing.assert_allclose(grad, exact, rtol=1e-4, atol=1e-4)
    tf_error = np.max(np.abs(dec(case["grad"]) - exact) / (np.abs(exact) + 1e-3))
    assert np.max(np.abs(grad - exact) / (np.abs(exact) + 1e-3)) < tf_error / 100
    np.testing.assert_allclose(grad, dec(case["grad"]), rtol=0.15, atol=1e-3)


@pytest.mark.parametrize("case", REF["ctc_decode"],
                         ids=lambda c: "greedy" if c["greedy"] else f"beam{c['beam_width']}-top{c['top_paths']}")
def test_ctc_decode_matches_tf_keras(case):
    decoded, log_prob = K.ctc_decode(dec(case["y_pred"]), dec(case["input_length"]), greedy=case["greedy"],
                                     beam_width=case["beam_width"], top_paths=case["top_paths"])
    want = [dec(d) for d in case["decoded"]]
    assert len(decoded) == len(want)
    for got, w in zip(decoded, want):
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), w)
    np.testing.assert_allclose(log_prob.numpy(), dec(case["log_prob"]), rtol=1e-5, atol=1e-5)
