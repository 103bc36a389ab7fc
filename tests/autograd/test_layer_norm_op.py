"""ag.layer_norm beyond the gradient table (test_op_gradients.py): the same numbers as the composed ops to the
last bit, what it keeps for backward, the create_graph path against the saved one, and errors naming the argument."""
import numpy as np
import pytest

import autograd as ag


def _composed(x, gamma, beta, axes, eps):
    d = x - ag.mean(x, axis=axes, keepdims=True)
    return d * (ag.mean(ag.square(d), axis=axes, keepdims=True) + eps) ** -0.5 * gamma + beta


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_the_composed_ops_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    x, gamma, beta = (rng.standard_normal(s).astype(dtype) for s in ((4, 6, 8), (8,), (8,)))
    got = ag.layer_norm(x, gamma, beta, epsilon=1e-3).numpy()
    np.testing.assert_array_equal(got, _composed(ag.tensor(x), gamma, beta, (2,), 1e-3).numpy())
    assert got.dtype == dtype


def test_saves_the_normalized_input_and_frees_it():
    x = ag.tensor(np.random.default_rng(1).standard_normal((3, 5)), requires_grad=True)
    y = ag.layer_norm(x, epsilon=0.1)
    saved = y._ctx[2]["saved"]
    assert sorted(saved) == ["inv", "xhat"] and saved["inv"].shape == (3, 1)
    y.sum().backward()
    assert not isinstance(y._ctx, tuple)


def test_saved_and_create_graph_backward_agree():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (3, 4), (3, 4))]
    g = rng.standard_normal((2, 3, 4))
    results = []
    for create in (False, True):
        ts = [ag.tensor(a, requires_grad=True) for a in arrays]
        y = ag.layer_norm(*ts, axis=(1, 2), epsilon=1e-3)
        results.append([t.numpy() for t in ag.gradients(y, ts, grad_outputs=g, create_graph=create)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(axis=0), "axis"), (dict(axis=(0, 2)), "axis"), (dict(axis=5), "axis"), (dict(axis="a"), "axis"),
    (dict(gamma=np.ones(3)), "gamma"), (dict(beta=np.ones((4,), np.float32)), "beta"), (dict(epsilon=-1.0), "epsilon"),
])
def test_errors_name_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ag.layer_norm(np.ones((2, 3, 4)), **kwargs)
