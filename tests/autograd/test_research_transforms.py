"""The research transforms: jacfwd, jacrev, linearize, hessian (forward-over-reverse), elementwise_grad,
stop_gradient, custom_vjp / custom_jvp in JAX's style, checkpoint (with its memory bound), and jvp
against the transposed vjp on random linear maps."""
import tracemalloc

import numpy as np
import pytest

import autograd as ag


def f_vec(x, w):
    return ag.tanh(x @ w) * ag.sum(x ** 2) + ag.exp(x[:2] @ w[:2])


def test_jacfwd_equals_jacrev_and_handles_argnums_and_tuple_outputs():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(4), rng.standard_normal((4, 3))
    assert ag.jacrev is ag.jacobian
    np.testing.assert_allclose(ag.jacfwd(f_vec)(x, w).numpy(), ag.jacrev(f_vec)(x, w).numpy(), rtol=1e-12, atol=1e-12)
    jf = ag.jacfwd(f_vec, argnums=(0, 1))(x, w)
    jr = ag.jacrev(f_vec, argnums=(0, 1))(x, w)
    assert [j.shape for j in jf] == [(3, 4), (3, 4, 3)]
    for a, b in zip(jf, jr):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    # a function of several outputs: one Jacobian per output
    j2 = ag.jacfwd(lambda x: (ag.sin(x), ag.sum(x * x)))(x)
    np.testing.assert_allclose(j2[0].numpy(), np.diag(np.cos(x)), atol=1e-15)
    np.testing.assert_allclose(j2[1].numpy(), 2 * x)
    # inside vmap: per-example Jacobians
    xs = rng.standard_normal((5, 4))
    np.testing.assert_allclose(ag.vmap(ag.jacfwd(f_vec), in_axes=(0, None))(xs, w).numpy(),
                               np.stack([ag.jacrev(f_vec)(x, w).numpy() for x in xs]), rtol=1e-12, atol=1e-12)


def test_hessian_is_forward_over_reverse_and_gives_blocks_for_several_arguments():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(4), rng.standard_normal((4, 3))
    loss = lambda x, w: ag.sum(f_vec(x, w) ** 2)   # noqa: E731
    calls = []
    original = ag.forward_mode.push_tangents

    def counted(*a, **k):
        calls.append(1)
        return original(*a, **k)

    ag.forward_mode.push_tangents = counted
    try:
        h = ag.hessian(loss)(x, w)
    finally:
        ag.forward_mode.push_tangents = original
    assert calls, "hessian pushes tangents through the gradient (forward-over-reverse)"
    np.testing.assert_allclose(h.numpy(), ag.jacrev(ag.grad(loss))(x, w).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), h.numpy().T, rtol=1e-10, atol=1e-12)
    blocks = ag.hessian(loss, argnums=(0, 1))(x, w)
    assert [[b.shape for b in row] for row in blocks] == [[(4, 4), (4, 4, 3)], [(4, 3, 4), (4, 3, 4, 3)]]
    np.testing.assert_allclose(blocks[0][1].numpy().reshape(4, 12), blocks[1][0].numpy().reshape(12, 4).T,
                               rtol=1e-10, atol=1e-12)


def test_linearize_reuses_one_evaluation():
    calls = []

    def f(x):
        calls.append(1)
        return ag.sin(x) * ag.exp(x)

    x = np.array([0.3, -1.0, 2.0])
    out, f_jvp = ag.linearize(f, x)
    np.testing.assert_allclose(out.numpy(), np.sin(x) * np.exp(x))
    for v in np.eye(3):
        np.testing.assert_allclose(f_jvp(v).numpy(), ag.jvp(f, (x,), (v,))[1].numpy(), rtol=1e-14)
    assert len(calls) == 1 + 3            # the linearization's one evaluation, and one per jvp compared
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\), expected the shape of primal 0, \(3,\)"):
        f_jvp(np.ones(2))


def test_elementwise_grad_as_hips_spells_it():
    x = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(ag.elementwise_grad(ag.sigmoid)(x).numpy(),
                               np.exp(-x) / (1 + np.exp(-x)) ** 2, rtol=1e-12)
    g = ag.elementwise_grad(lambda a, b: a * ag.sin(b), argnum=1)(x, x)
    np.testing.assert_allclose(g.numpy(), x * np.cos(x), rtol=1e-12)
    # second derivatives elementwise: d2/dx2 tanh
    d2 = ag.elementwise_grad(ag.elementwise_grad(ag.tanh))(x).numpy()
    np.testing.assert_allclose(d2, -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-12)


def test_stop_gradient_stops_gradients_and_tangents():
    f = lambda x: x * ag.stop_gradient(x * x)   # noqa: E731   d/dx = x^2, not 3 x^2
    np.testing.assert_allclose(ag.grad(lambda x: ag.sum(f(x)))(np.array([2.0])).numpy(), [4.0])
    np.testing.assert_allclose(ag.jvp(f, (np.array([2.0]),), (np.ones(1),))[1].numpy(), [4.0])
    np.testing.assert_allclose(ag.vmap(ag.grad(lambda x: f(x)))(np.array([1.0, 3.0])).numpy(), [1.0, 9.0])
    a, b = ag.stop_gradient((ag.tensor(1.0, requires_grad=True), 2.0))
    assert not a.requires_grad and not b.requires_grad and b.item() == 2.0
    params = ag.stop_gradient({"w": ag.tensor([1.0], requires_grad=True), "b": np.array([0.5])})   # as JAX maps it
    assert not params["w"].requires_grad and params["b"].numpy().tolist() == [0.5]
    with pytest.raises(TypeError, match=r"stop_gradient: expected a Tensor, an array or a number.*str"):
        ag.stop_gradient("w")


_TRANSFORMS = {
    "grad": lambda f: ag.grad(f)(1.0), "vjp": lambda f: ag.vjp(f, 1.0),
    "jacobian": lambda f: ag.jacobian(f)(np.ones(2)), "jacfwd": lambda f: ag.jacfwd(f)(np.ones(2)),
    "jvp": lambda f: ag.jvp(f, (1.0,), (1.0,)), "linearize": lambda f: ag.linearize(f, 1.0),
    "vmap": lambda f: ag.vmap(f)(np.ones(2)), "hessian": lambda f: ag.hessian(f)(np.ones(2)),
    "vmap_grad": lambda f: ag.vmap(ag.grad(f))(np.ones(2))}


@pytest.mark.parametrize("transform", sorted(_TRANSFORMS))
@pytest.mark.parametrize("returned", ["dict", "None", "str"])
def test_a_function_returning_no_tensor_is_an_error_not_a_zero_derivative(transform, returned):
    f = {"dict": lambda x: {"y": x}, "None": lambda x: None, "str": lambda x: "x"}[returned]
    if transform == "vmap" and returned != "str":      # vmap maps over dicts, None is an empty tree (as JAX)
        assert ag.vmap(lambda x: {"y": x * 2})(np.ones(2))["y"].numpy().tolist() == [2.0, 2.0]
        assert ag.vmap(lambda x: (x, None))(np.ones(2))[1] is None
        return
    with pytest.raises(TypeError, match=r"must return a Tensor.*received (dict|NoneType|str)"):
        _TRANSFORMS[transform](f)


# -- custom_vjp -------------------------------------------------------------------------------------


@ag.custom_vjp
def clip_gradient(x, lo, hi):
    return x


def _clip_fwd(x, lo, hi):
    return x, (lo, hi)


def _clip_bwd(res, g):
    lo, hi = res
    return ag.clip(g, lo, hi), None, None


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_custom_vjp_uses_its_backward_rule():
    x = np.array([1.0, 2.0, 3.0])
    g = ag.grad(lambda x: ag.sum(clip_gradient(x, -0.5, 0.5) * np.array([-2.0, 0.1, 4.0])))(x)
    np.testing.assert_allclose(g.numpy(), [-0.5, 0.1, 0.5])
    # without differentiation the function runs as written (no node, no residuals)
    out = clip_gradient(ag.tensor(x), -0.5, 0.5)
    assert out.numpy().tolist() == x.tolist() and out._ctx is None
    # per example under vmap, and forward mode falls back to the function as written
    gs = ag.vmap(ag.grad(lambda x: ag.sum(clip_gradient(x, -1.0, 1.0) * 3.0 * x)))(np.array([[0.1, 2.0], [-3.0, 0.2]]))
    np.testing.assert_allclose(gs.numpy(), [[0.6, 1.0 + 6.0], [-1.0 - 9.0, 0.6 + 0.6]])
    np.testing.assert_allclose(ag.jvp(lambda x: clip_gradient(x, -0.5, 0.5) * 4.0, (x,), (np.ones(3),))[1].numpy(),
                               [4.0, 4.0, 4.0])


def test_custom_vjp_residuals_tuple_outputs_and_second_order():
    calls = {"fwd": 0, "bwd": 0}

    @ag.custom_vjp
    def sincos(x):
        return ag.sin(x), ag.cos(x)

    def fwd(x):
        calls["fwd"] += 1
        return sincos(x), (ag.sin(x), ag.cos(x))     # calling sincos inside fwd runs the plain function

    def bwd(res, g):
        calls["bwd"] += 1
        s, c = res
        gs, gc = g
        return (gs * c - gc * s,)

    sincos.defvjp(fwd, bwd)
    x = np.array([0.3, 1.2])
    loss = lambda x: ag.sum(sincos(x)[0] * 2.0 + sincos(x)[1] ** 2)   # noqa: E731
    expected = 2 * np.cos(x) - 2 * np.cos(x) * np.sin(x)
    np.testing.assert_allclose(ag.grad(loss)(x).numpy(), expected, rtol=1e-12)
    assert calls == {"fwd": 2, "bwd": 2}
    # bwd is written with ops and its residuals keep their graph: the Hessian goes through it
    h = ag.jacrev(ag.grad(loss))(x).numpy()
    np.testing.assert_allclose(h, np.diag(-2 * np.sin(x) - 2 * np.cos(2 * x)), rtol=1e-10, atol=1e-12)


def test_custom_vjp_says_what_is_wrong():
    @ag.custom_vjp
    def f(x, y):
        return x * y

    with pytest.raises(RuntimeError, match=r"custom_vjp\(f\): no rule yet; call .defvjp"):
        f(ag.tensor(1.0, requires_grad=True), 2.0)
    f.defvjp(lambda x, y: (x * y, y), lambda y, g: (g * y,))
    with pytest.raises(ValueError, match=r"bwd must return a tuple with one cotangent per positional argument \(2\)"):
        ag.grad(f)(1.0, 2.0)
    with pytest.raises(TypeError, match="defvjp\\(fwd, bwd\\): both must be callable"):
        f.defvjp(None, None)


# -- custom_jvp --------------------------------------------------------------------------------------


@ag.custom_jvp
def log1pexp(x):
    return ag.log(1.0 + ag.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * ag.sigmoid(x)


def test_custom_jvp_rule_in_forward_and_transposed_in_reverse_mode():
    x = np.array([0.0, 2.0, 1000.0])
    with np.errstate(over="ignore"):
        _, t = ag.jvp(log1pexp, (x,), (np.ones(3),))
        g = ag.grad(lambda x: ag.sum(log1pexp(x)))(x)
    expected = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-12)        # finite at 1000, unlike the plain form
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-12)
    # second order through the rule (its sigmoid), under vmap as well
    xs = np.array([[0.0, 1.0], [-1.0, 3.0]])
    d2 = ag.vmap(ag.elementwise_grad(ag.elementwise_grad(log1pexp)))(xs).numpy()
    s = 1 / (1 + np.exp(-xs))
    np.testing.assert_allclose(d2, s * (1 - s), rtol=1e-10)
    with pytest.raises(RuntimeError, match="no rule yet"):
        ag.custom_jvp(lambda x: x)(ag.tensor(1.0, requires_grad=True))


def test_custom_jvp_with_two_arguments_and_a_constant():
    @ag.custom_jvp
    def scaled_mul(a, b, k):
        return a * b * k

    @scaled_mul.defjvp
    def _(primals, tangents):
        a, b, k = primals
        ta, tb, tk = tangents
        assert tk is None                                # a Python number gets no tangent
        return scaled_mul(a, b, k), (ta * b + a * tb) * k

    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    ga, gb = ag.grad(lambda a, b: ag.sum(scaled_mul(a, b, 2.0)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga.numpy(), 2 * b)
    np.testing.assert_allclose(gb.numpy(), 2 * a)


# -- checkpoint --------------------------------------------------------------------------------------


def _mlp_params(rng, depth, width):
    return [(rng.standard_normal((width, width)) / np.sqrt(width), rng.standard_normal(width) * 0.1)
            for _ in range(depth)]


def _block(h, *wb):
    for w, b in zip(wb[0::2], wb[1::2]):
        h = ag.tanh(h @ w + b)
    return h


def _deep_loss(flat, x, per_block, remat):
    block = ag.checkpoint(_block) if remat else _block
    h = x
    for i in range(0, len(flat), 2 * per_block):
        h = block(h, *flat[i:i + 2 * per_block])
    return ag.mean(h ** 2)


def test_checkpoint_gives_the_same_values_and_gradients():
    rng = np.random.default_rng(2)
    flat = [a for wb in _mlp_params(rng, 6, 5) for a in wb]
    x = rng.standard_normal((3, 5))
    argnums = tuple(range(len(flat)))
    plain = ag.value_and_grad(lambda *p: _deep_loss(p, x, 2, False), argnums)(*flat)
    remat = ag.value_and_grad(lambda *p: _deep_loss(p, x, 2, True), argnums)(*flat)
    assert plain[0].item() == remat[0].item()
    for a, b in zip(plain[1], remat[1]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-15)
    # closed-over weights, forward mode, second order and vmap go through it
    w = ag.tensor(rng.standard_normal((5, 5)), requires_grad=True)
    f = ag.checkpoint(lambda h: ag.sin(h @ w))
    ag.sum(f(x) ** 2).backward()
    ref = ag.grad(lambda w: ag.sum(ag.sin(x @ w) ** 2))(w.numpy())
    np.testing.assert_allclose(w.grad.numpy(), ref.numpy(), rtol=1e-12)
    v = rng.standard_normal((3, 5))
    np.testing.assert_allclose(ag.jvp(f, (x,), (v,))[1].numpy(), (np.cos(x @ w.numpy()) * (v @ w.numpy())),
                               rtol=1e-12)
    loss = lambda x: ag.sum(f(x) ** 3)   # noqa: E731
    np.testing.assert_allclose(ag.hessian(loss)(x[0]).numpy(),
                               ag.hessian(lambda x: ag.sum(ag.sin(x @ w.detach()) ** 3))(x[0]).numpy(), rtol=1e-10)
    np.testing.assert_allclose(ag.vmap(ag.grad(loss))(x).numpy(), np.stack([ag.grad(loss)(r).numpy() for r in x]),
                               rtol=1e-12)


def test_checkpoint_recomputes_random_draws_with_the_same_numbers():
    """Dropout and noise inside a checkpointed block: backward's recomputation draws what the forward drew (the
    generators' states are put back for it, as torch.utils.checkpoint does), and the program's own stream goes on
    as if nothing had been recomputed."""
    rng = np.random.default_rng(5)
    x, w0 = rng.standard_normal((6, 4)), rng.standard_normal((4, 4))

    def block(h, w, gen):
        h = ag.dropout(ag.tanh(h @ w), 0.5, gen)
        return h + 0.1 * ag.random_normal(h, gen) * h

    def loss(w, remat):
        gen = np.random.default_rng(11)
        f = ag.checkpoint(lambda h, w: block(h, w, gen)) if remat else (lambda h, w: block(h, w, gen))
        value = ag.sum(f(f(x, w), w) ** 2)
        return value, gen

    plain, remat = (ag.value_and_grad(lambda w: loss(w, r)[0])(w0) for r in (False, True))
    assert plain[0].item() == remat[0].item()
    np.testing.assert_allclose(remat[1].numpy(), plain[1].numpy(), rtol=1e-12, atol=1e-12)
    t = rng.standard_normal(w0.shape)
    np.testing.assert_allclose(ag.jvp(lambda w: loss(w, True)[0], (w0,), (t,))[1].numpy(),
                               ag.jvp(lambda w: loss(w, False)[0], (w0,), (t,))[1].numpy(), rtol=1e-12)
    w = ag.tensor(w0, requires_grad=True)
    value, gen = loss(w, True)
    value.backward()
    assert gen.random() == loss(w0, False)[1].random()     # the recomputation left the stream where it was


def _peak(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpoint_halves_the_peak_memory_of_a_50_layer_mlp():
    rng = np.random.default_rng(3)
    flat = [a for wb in _mlp_params(rng, 50, 32) for a in wb]     # 10 blocks of 5 layers
    x = rng.standard_normal((128, 32))
    argnums = tuple(range(len(flat)))
    results = {}

    def run(remat):
        results[remat] = ag.grad(lambda *p: _deep_loss(p, x, 5, remat), argnums)(*flat)

    plain, remat = _peak(lambda: run(False)), _peak(lambda: run(True))
    assert remat <= 0.5 * plain, (remat, plain)
    for a, b in zip(results[False], results[True]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-15)


# -- jvp against the transposed vjp on random linear maps ------------------------------------------------


def _linear_maps(rng):
    a = rng.standard_normal((3, 12))
    k = rng.standard_normal((2, 2, 1, 2))
    return {
        "matmul": lambda x: a @ x,
        "conv": lambda x: ag.reshape(ag.conv2d(ag.reshape(x, (1, 3, 4, 1)), k, padding="same"), (-1,)),
        "einsum_cumsum": lambda x: ag.cumsum(ag.einsum("ij,kj->ik", ag.reshape(x, (3, 4)), a[:, :4]), axis=1).ravel(),
        "index_pad_concat": lambda x: ag.concatenate([ag.pad(x[::2], (1, 2)), ag.flip(x[[0, 3, 3, 7]]),
                                                      ag.tile(x[:2], 2)]),
        "pool_take": lambda x: ag.take(ag.avg_pool2d(ag.reshape(x, (1, 3, 4, 1)), 2, strides=1).ravel(),
                                       np.array([0, 2, 2, 5])),
    }


@pytest.mark.parametrize("name", ["matmul", "conv", "einsum_cumsum", "index_pad_concat", "pool_take"])
def test_jvp_is_the_transposed_vjp_on_random_linear_maps(name):
    rng = np.random.default_rng(4)
    f = _linear_maps(rng)[name]
    x = rng.standard_normal(12)
    explicit = np.stack([f(ag.tensor(e)).numpy() for e in np.eye(12)], axis=1)      # the map's matrix
    np.testing.assert_allclose(ag.jacfwd(f)(x).numpy(), explicit, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ag.jacrev(f)(x).numpy(), explicit, rtol=1e-12, atol=1e-12)
    u, v = rng.standard_normal(explicit.shape[0]), rng.standard_normal(12)
    _, back = ag.vjp(f, x)
    assert abs(u @ ag.jvp(f, (x,), (v,))[1].numpy() - back(u)[0].numpy() @ v) < 1e-10
