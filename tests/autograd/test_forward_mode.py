"""Forward mode (``ag.jvp``): every op of the gradient table against central differences and against its
vjp transposed, forward-over-reverse and reverse-over-forward, and the transform's API."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd.primitive import REGISTRY

from .strategies import seeds
from .test_op_gradients import CASES


def primitives_used(f, arrays):
    """The primitives on the recorded path from ``arrays`` to ``f(*arrays)``."""
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    out = f(*xs)
    found, stack, seen = set(), [out], set()
    while stack:
        t = stack.pop()
        ctx = getattr(t, "_ctx", None)
        if type(ctx) is not tuple or id(t) in seen:
            continue
        seen.add(id(t))
        found.add(ctx[0])
        stack.extend(a for a in ctx[1] if isinstance(a, ag.Tensor))
    return found


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=10)
@given(data=st.data())
def test_jvp_matches_finite_differences_and_the_transposed_vjp(case, data):
    arrays, kwargs = data.draw(case.args, label="inputs and options")
    rng = np.random.default_rng(data.draw(seeds, label="directions"))

    def f(*xs):
        return case.fn(*xs, **kwargs)

    vs = tuple(rng.standard_normal(a.shape) for a in arrays)
    assert all(p.has_jvp() for p in primitives_used(f, arrays))
    out, t = ag.jvp(f, arrays, vs)
    np.testing.assert_allclose(out.numpy(), f(*[ag.tensor(a) for a in arrays]).numpy(), rtol=1e-12, atol=1e-12)
    assert t.shape == out.shape and t.dtype == out.dtype and not t.requires_grad
    eps = 1e-6
    plus = f(*[ag.tensor(a + eps * v) for a, v in zip(arrays, vs)]).numpy()
    minus = f(*[ag.tensor(a - eps * v) for a, v in zip(arrays, vs)]).numpy()
    np.testing.assert_allclose(t.numpy(), (plus - minus) / (2 * eps), rtol=1e-4, atol=1e-6)
    # <u, J v> == <J^T u, v>
    u = rng.standard_normal(out.shape)
    _, back = ag.vjp(f, *arrays)
    lhs = float(np.sum(u * t.numpy()))
    rhs = float(sum(np.sum(g.numpy() * v) for g, v in zip(back(u), vs)))
    assert abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs))


@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 2], ids=repr)
@settings(max_examples=5)
@given(data=st.data())
def test_forward_over_reverse_matches_the_reverse_hvp(case, data):
    """jvp of the gradient of <u, f> pushes tangents through the recorded backward pass."""
    arrays, kwargs = data.draw(case.args, label="inputs and options")
    rng = np.random.default_rng(data.draw(seeds, label="directions"))
    out0 = case.fn(*[ag.tensor(a) for a in arrays], **kwargs)
    u = rng.standard_normal(out0.shape)

    def inner(*xs):
        return ag.sum(case.fn(*xs, **kwargs) * u)

    argnums = tuple(range(len(arrays)))
    vs = tuple(rng.standard_normal(a.shape) for a in arrays)
    grad_f = ag.grad(inner, argnums=argnums)
    used = primitives_used(lambda *xs: ag.stack([ag.sum(g) for g in
                                                 ag.grad(inner, argnums=argnums)(*xs)]), arrays)
    assert all(p.has_jvp() for p in used)   # the backward primitives included
    _, hv = ag.jvp(grad_f, arrays, vs)
    # reverse-over-reverse reference: d/dx <grad, v>
    ref = ag.grad(lambda *xs: sum(ag.sum(g * v) for g, v in zip(grad_f(*xs), vs)), argnums=argnums)(*arrays)
    for a, b in zip(hv, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-9)


def smooth(x, w):
    return ag.sum(ag.tanh(x @ w) ** 2 * ag.exp(-x @ w / 4.0)) + ag.mean(ag.sigmoid(w)) * ag.sum(x * x)


def test_hessian_vector_products_agree_in_all_three_modes():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    v = rng.standard_normal((4, 3))
    f = lambda x: smooth(x, w)   # noqa: E731
    fwd_rev = ag.jvp(ag.grad(f), (x,), (v,))[1]
    rev_rev = ag.hvp(f, x, v)
    rev_fwd = ag.grad(lambda x: ag.jvp(f, (x,), (v,))[1])(x)          # reverse-over-forward
    np.testing.assert_allclose(fwd_rev.numpy(), rev_rev.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rev_fwd.numpy(), rev_rev.numpy(), rtol=1e-10, atol=1e-12)
    # and the full Hessian, column by column in forward mode
    H = ag.hessian(f)(x).numpy().reshape(12, 12)
    cols = [ag.jvp(ag.grad(f), (x,), (e.reshape(4, 3),))[1].numpy().ravel() for e in np.eye(12)]
    np.testing.assert_allclose(np.stack(cols, axis=1), H, rtol=1e-10, atol=1e-12)


def test_jvp_of_jvp_is_the_second_directional_derivative():
    f = lambda x: ag.sum(ag.sin(x) * x ** 2)   # noqa: E731
    x, v = np.array([0.3, -1.1, 2.0]), np.array([1.0, 0.5, -2.0])
    second = ag.jvp(lambda x: ag.jvp(f, (x,), (v,))[1], (x,), (v,))[1]
    d2 = (2 - x ** 2) * np.sin(x) + 4 * x * np.cos(x)      # d2/dx2 of x^2 sin x
    np.testing.assert_allclose(second.item(), np.sum(d2 * v * v), rtol=1e-12)


def test_tuple_outputs_none_tangents_and_closures():
    w = ag.tensor([2.0, 3.0])
    out, t = ag.jvp(lambda x, y: (x * w, ag.sum(y), x + 1.0), (np.ones(2), np.ones(3)), (np.array([1.0, 0.0]), None))
    assert isinstance(out, tuple) and isinstance(t, tuple) and len(t) == 3
    np.testing.assert_array_equal(t[0].numpy(), [2.0, 0.0])
    assert t[1].item() == 0.0 and t[1].shape == ()
    np.testing.assert_array_equal(t[2].numpy(), [1.0, 0.0])
    # an output that does not depend on the inputs has a zero tangent
    _, t = ag.jvp(lambda x: w * 2.0, (1.0,), (1.0,))
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0])


def test_jvp_keeps_float32_and_promotes_integers():
    _, t = ag.jvp(lambda x: ag.tanh(x) @ x, (np.ones(3, np.float32),), (np.ones(3, np.float32),))
    assert t.dtype == np.float32
    out, t = ag.jvp(lambda x: x * x, (np.arange(3),), (np.ones(3),))
    assert out.dtype == t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), [0.0, 2.0, 4.0])


def test_jvp_connects_to_an_outer_graph():
    w = ag.tensor(np.array([0.5, -1.0]), requires_grad=True)
    _, t = ag.jvp(lambda x: ag.sum(ag.exp(x * w)), (np.ones(2),), (np.ones(2),))
    assert t.requires_grad                     # d/dw of the directional derivative flows back to w
    t.backward()
    np.testing.assert_allclose(w.grad.numpy(), np.exp(w.numpy()) * (1 + w.numpy()))


def test_jvp_checks_its_arguments():
    with pytest.raises(TypeError, match="jvp\\(f\\): expected a callable"):
        ag.jvp(3, (1.0,), (1.0,))
    with pytest.raises(TypeError, match="jvp\\(primals\\): expected a tuple"):
        ag.jvp(ag.exp, np.ones(2), (np.ones(2),))
    with pytest.raises(ValueError, match="1 primals but 2 tangents"):
        ag.jvp(ag.exp, (np.ones(2),), (np.ones(2), np.ones(2)))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(3,\), expected the shape of primal 0, \(2,\)"):
        ag.jvp(ag.exp, (np.ones(2),), (np.ones(3),))


def test_the_representative_rules_are_registered_by_name():
    assert REGISTRY["matmul"].jvps and REGISTRY["reshape"].jvps and REGISTRY["concatenate"].jvp_argnums
