"""ag.dense: relu(x @ kernel + bias) as one primitive, bit-identical to the composition in every mode."""
import numpy as np
import pytest

import autograd as ag


def _args(seed=0, n=5, i=7, u=6, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, i)).astype(dtype), rng.standard_normal((i, u)).astype(dtype),
            rng.standard_normal(u).astype(dtype))


def _composed(x, k, b, relu=True):
    out = ag.matmul(x, k) + b
    return ag.relu(out) if relu else out


@pytest.mark.parametrize("relu", [True, False])
def test_forward_and_gradients_bit_identical_to_composition(relu):
    x, k, b = _args()
    act = "relu" if relu else None
    np.testing.assert_array_equal(ag.dense(x, k, b, act).data, _composed(x, k, b, relu).data)
    loss_fused = lambda x, k, b: ag.sum(ag.dense(x, k, b, act) ** 2)   # noqa: E731
    loss_comp = lambda x, k, b: ag.sum(_composed(x, k, b, relu) ** 2)   # noqa: E731
    for a, c in zip(ag.grad(loss_fused, (0, 1, 2))(x, k, b), ag.grad(loss_comp, (0, 1, 2))(x, k, b)):
        np.testing.assert_array_equal(a.data, c.data)


def test_second_order_and_jvp_match_composition():
    x, k, b = _args(1, dtype=np.float64)
    f = lambda k: ag.sum(ag.dense(x, k, b, "relu") ** 3)   # noqa: E731
    g = lambda k: ag.sum(_composed(x, k, b) ** 3)   # noqa: E731
    np.testing.assert_allclose(ag.hessian(f)(k).data, ag.hessian(g)(k).data, rtol=1e-12, atol=1e-12)
    tangents = tuple(np.ones_like(a) for a in (x, k, b))
    _, t_fused = ag.jvp(lambda *a: ag.dense(*a, activation="relu"), (x, k, b), tangents)
    _, t_comp = ag.jvp(lambda *a: _composed(*a), (x, k, b), tangents)
    np.testing.assert_allclose(t_fused.data, t_comp.data, rtol=1e-12)


@pytest.mark.parametrize("axes", [(0, None, None), (None, 0, None), (None, None, 0), (0, 0, 0)])
def test_vmap_matches_per_example_loop(axes):
    x, k, b = _args(2, dtype=np.float64)
    stacked = [np.stack([a * (j + 1) for j in range(3)]) if ax == 0 else a for a, ax in zip((x, k, b), axes)]
    out = ag.vmap(lambda *a: ag.dense(*a, activation="relu"), in_axes=axes)(*stacked)
    for j in range(3):
        one = [s[j] if ax == 0 else s for s, ax in zip(stacked, axes)]
        np.testing.assert_allclose(out.data[j], _composed(*one).data, rtol=1e-12)


def test_trace_records_one_primitive():
    x, k, b = _args()
    graph = ag.trace.trace(lambda x: ag.dense(x, k, b, "relu"), [x])
    assert graph.ops() == ["dense_bias_relu"]
    np.testing.assert_array_equal(graph.run([2 * x])[0].data, _composed(2 * x, k, b).data)


def test_bad_arguments_raise_clear_errors():
    x, k, b = _args()
    with pytest.raises(ValueError, match="activation must be"):
        ag.dense(x, k, b, "tanh")
    with pytest.raises(ValueError, match=r"kernel \(in, units\)"):
        ag.dense(x, k.T, b)
    with pytest.raises(ValueError, match=r"bias must have shape \(units,\)"):
        ag.dense(x, k, b[:-1])
