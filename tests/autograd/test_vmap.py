"""Batching (``ag.vmap``): every op of the gradient table against a Python loop, per-example gradients,
composition with grad, jvp and itself, one primitive call per batch, and the transform's API."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag

from .strategies import seeds
from .test_forward_mode import primitives_used
from .test_op_gradients import CASES

B = 3


def _loop(f, arrays, mapped, axes):
    outs = []
    for k in range(B):
        args = [np.take(a, k, axis=ax) if m else a for a, m, ax in zip(arrays, mapped, axes)]
        outs.append(f(*[ag.tensor(a) for a in args]).numpy())
    return np.stack(outs)


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=10)
@given(data=st.data())
def test_vmap_matches_a_python_loop(case, data):
    arrays, kwargs = data.draw(case.args, label="inputs and options")
    rng = np.random.default_rng(data.draw(seeds, label="batch"))
    mapped = data.draw(st.lists(st.booleans(), min_size=len(arrays), max_size=len(arrays)).filter(any),
                       label="mapped")
    axes = [data.draw(st.integers(0, a.ndim), label="in_axis") if m else None for a, m in zip(arrays, mapped)]
    # examples keep each input's domain: positive stays positive, no new ties or zeros
    scales = 1.0 + 0.25 * rng.permutation(B)
    batched = [np.moveaxis(np.stack([a * s for s in scales]), 0, ax) if m else a
               for a, m, ax in zip(arrays, mapped, axes)]

    def f(*xs):
        return case.fn(*xs, **kwargs)

    assert not {p.name for p in primitives_used(f, arrays) if p.batch is None}
    expected = _loop(f, batched, mapped, axes)
    got = ag.vmap(f, in_axes=tuple(axes))(*batched)
    assert isinstance(got, ag.Tensor) and got.dtype == expected.dtype
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)
    # per-example gradients of <u, f>: the batched forward differentiated as it was recorded
    u = rng.standard_normal(expected.shape[1:])
    diff = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    per_example = ag.grad(lambda *xs: ag.sum(f(*xs) * u), argnums=diff)
    got = ag.vmap(per_example, in_axes=tuple(axes))(*batched)
    for j, i in enumerate(diff):
        expected = np.stack([per_example(*[np.take(a, k, axis=ax) if m else a
                                           for a, m, ax in zip(batched, mapped, axes)])[j].numpy()
                             for k in range(B)])
        np.testing.assert_allclose(got[j].numpy(), expected, rtol=1e-10, atol=1e-12)


# -- per-example gradients of small networks --------------------------------------------------------


def mlp_loss(w1, b1, w2, b2, x, y):
    h = ag.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    return ag.mean((ag.sigmoid(logits) - y) ** 2) + 1e-3 * ag.sum(w1 * w1)


def _mlp(rng):
    return [rng.standard_normal((5, 8)), rng.standard_normal(8), rng.standard_normal((8, 2)), rng.standard_normal(2)]


PARAMS = (0, 1, 2, 3)
SHARED = (None,) * 4


def test_vmap_grad_gives_the_per_example_gradients_of_an_mlp():
    rng = np.random.default_rng(0)
    params, xs, ys = _mlp(rng), rng.standard_normal((6, 5)), rng.random((6, 2))
    grads = ag.vmap(ag.grad(mlp_loss, argnums=PARAMS), in_axes=SHARED + (0, 0))(*params, xs, ys)
    assert isinstance(grads, tuple) and [g.shape for g in grads] == [(6,) + np.shape(p) for p in params]
    for k in range(6):
        for g, r in zip(grads, ag.grad(mlp_loss, argnums=PARAMS)(*params, xs[k], ys[k])):
            np.testing.assert_allclose(g.numpy()[k], r.numpy(), rtol=1e-12, atol=1e-14)
    # the mean of the per-example gradients is the gradient of the mean loss
    batch_loss = lambda *p: ag.mean(ag.vmap(mlp_loss, in_axes=SHARED + (0, 0))(*p, xs, ys))   # noqa: E731
    for g, r in zip(grads, ag.grad(batch_loss, argnums=PARAMS)(*params)):
        np.testing.assert_allclose(g.numpy().mean(axis=0), r.numpy(), rtol=1e-12, atol=1e-14)
    # a list argument: in_axes=None applies to each array in it
    listed = ag.vmap(lambda p, x, y: mlp_loss(*p, x, y), in_axes=(None, 0, 0))(params, xs, ys)
    np.testing.assert_allclose(listed.numpy(), [mlp_loss(*params, x, y).item() for x, y in zip(xs, ys)])


def convnet_loss(k1, b1, k2, w, b, x, y):
    """A small conv net on one image: conv+bias+relu (the fused primitive), max pooling, a strided conv
    with two groups, average pooling, a dense layer and the sparse cross-entropy."""
    h = ag.conv2d(x[None], k1, padding="same", bias=b1, activation="relu")
    h = ag.max_pool2d(h, 2)
    h = ag.tanh(ag.conv2d(h, k2, strides=2, padding="same", groups=2))
    h = ag.avg_pool2d(h, 2, padding="same")
    return ag.sum(ag.sparse_softmax_cross_entropy(ag.reshape(h, (1, -1)) @ w + b, y[None]))


def test_vmap_grad_gives_the_per_example_gradients_of_a_conv_net():
    rng = np.random.default_rng(6)
    params = [rng.standard_normal((3, 3, 2, 4)) * 0.5, rng.standard_normal(4) * 0.1,
              rng.standard_normal((3, 3, 2, 6)) * 0.5,
              rng.standard_normal((6, 3)), rng.standard_normal(3)]
    xs, ys = rng.standard_normal((5, 6, 6, 2)), rng.integers(0, 3, 5)
    argnums = tuple(range(5))
    grads = ag.vmap(ag.grad(convnet_loss, argnums=argnums), in_axes=(None,) * 5 + (0, 0))(*params, xs, ys)
    for k in range(5):
        for g, r in zip(grads, ag.grad(convnet_loss, argnums=argnums)(*params, xs[k], ys[k])):
            assert np.abs(r.numpy()).max() > 0
            np.testing.assert_allclose(g.numpy()[k], r.numpy(), rtol=1e-10, atol=1e-12)
    # per-example losses in one call, and their Hessian-vector products (vmap of forward-over-reverse)
    losses = ag.vmap(convnet_loss, in_axes=(None,) * 5 + (0, 0))(*params, xs, ys)
    np.testing.assert_allclose(losses.numpy(), [convnet_loss(*params, x, y).item() for x, y in zip(xs, ys)], rtol=1e-12)
    v = rng.standard_normal(params[2].shape)

    def hvp_k2(x, y):
        return ag.jvp(ag.grad(lambda k2: convnet_loss(params[0], params[1], k2, params[3], params[4], x, y)),
                      (params[2],), (v,))[1]

    hv = ag.vmap(hvp_k2)(xs, ys)
    for k in range(5):
        np.testing.assert_allclose(hv.numpy()[k], hvp_k2(xs[k], ys[k]).numpy(), rtol=1e-9, atol=1e-12)


def rnn_loss(emb, kernel, rkernel, bias, w, ids, mask, y):
    """An embedding, a GRU over the masked sequence and a logistic output, for one sequence."""
    outs, h = ag.gru_sequence(ag.embedding(emb, ids[None]), None, kernel, rkernel, bias, mask=mask[None])
    return ag.sum(ag.sigmoid_cross_entropy(h @ w, y[None]))


def test_vmap_grad_of_a_recurrent_net_with_per_example_lengths():
    rng = np.random.default_rng(7)
    params = [rng.standard_normal((6, 3)), rng.standard_normal((3, 6)) * 0.5, rng.standard_normal((2, 6)) * 0.5,
              rng.standard_normal((2, 6)) * 0.1, rng.standard_normal((2, 1))]
    ids, ys = rng.integers(0, 6, (4, 5)), rng.random((4, 1))
    mask = np.arange(5)[None, :] < np.array([[5], [3], [1], [4]])      # sequences of lengths 5, 3, 1, 4
    argnums = tuple(range(5))
    f = ag.vmap(ag.grad(rnn_loss, argnums=argnums), in_axes=(None,) * 5 + (0, 0, 0))
    grads = f(*params, ids, mask, ys)
    for k in range(4):
        for g, r in zip(grads, ag.grad(rnn_loss, argnums=argnums)(*params, ids[k], mask[k], ys[k])):
            np.testing.assert_allclose(g.numpy()[k], r.numpy(), rtol=1e-10, atol=1e-12)


def test_per_example_gradient_norms_clip_like_dp_sgd():
    rng = np.random.default_rng(1)
    params, xs, ys = _mlp(rng), rng.standard_normal((4, 5)), rng.random((4, 2))

    def norm_of_grad(x, y):
        return ag.sqrt(sum(ag.sum(g * g) for g in ag.grad(mlp_loss, argnums=PARAMS)(*params, x, y)))

    norms = ag.vmap(norm_of_grad)(xs, ys)
    expected = [np.sqrt(sum(np.sum(g.numpy() ** 2) for g in ag.grad(mlp_loss, argnums=PARAMS)(*params, x, y)))
                for x, y in zip(xs, ys)]
    np.testing.assert_allclose(norms.numpy(), expected, rtol=1e-12)


def test_vmap_of_vmap_and_in_axes_out_axes():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 2, 5))
    # pairwise products: the outer vmap maps a's axis 0 and b's axis 1, the inner one a's rows
    f = ag.vmap(ag.vmap(lambda r, m: ag.tanh(r @ m), in_axes=(0, None)), in_axes=(0, 1), out_axes=2)
    out = f(a, b)
    expected = np.stack([np.tanh(a[i] @ b[:, i]) for i in range(2)], axis=2)
    assert out.shape == (3, 5, 2)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    # a double vmap of grad: per-example gradients for a grid of examples
    w = rng.standard_normal((4, 5))
    g = ag.vmap(ag.vmap(ag.grad(lambda w, x: ag.sum(ag.sin(x @ w))), in_axes=(None, 0)), in_axes=(None, 0))(w, a)
    ref = np.stack([np.stack([ag.grad(lambda w: ag.sum(ag.sin(a[i, j] @ w)))(w).numpy() for j in range(3)])
                    for i in range(2)])
    np.testing.assert_allclose(g.numpy(), ref, rtol=1e-12)


def test_outputs_that_do_not_depend_on_the_batch_and_out_axes_none():
    xs = np.arange(6.0).reshape(3, 2)
    c = ag.tensor([1.0, 2.0])
    both = ag.vmap(lambda x: (x * 2.0, c * 3.0))(xs)
    np.testing.assert_array_equal(both[1].numpy(), np.tile([3.0, 6.0], (3, 1)))
    shared = ag.vmap(lambda x: (x * 2.0, c * 3.0), out_axes=(0, None))(xs)[1]
    np.testing.assert_array_equal(shared.numpy(), [3.0, 6.0])
    with pytest.raises(ValueError, match="out_axes=None.*differs between examples"):
        ag.vmap(lambda x: x * 2.0, out_axes=None)(xs)
    d = ag.vmap(lambda x: {"s": ag.sum(x), "x": x}, out_axes={"s": 0, "x": 1})(xs)
    np.testing.assert_array_equal(d["s"].numpy(), xs.sum(1))
    np.testing.assert_array_equal(d["x"].numpy(), xs.T)


def test_vmap_composes_with_jvp_both_ways():
    rng = np.random.default_rng(3)
    w, xs, v = rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    f = lambda w, x: ag.sum(ag.tanh(x @ w) ** 2)   # noqa: E731
    ref = np.array([ag.jvp(lambda w: f(w, x), (w,), (v,))[1].item() for x in xs])
    inner = ag.vmap(lambda x: ag.jvp(lambda w: f(w, x), (w,), (v,))[1])(xs)
    outer = ag.jvp(lambda w: ag.vmap(f, in_axes=(None, 0))(w, xs), (w,), (v,))[1]
    np.testing.assert_allclose(inner.numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(outer.numpy(), ref, rtol=1e-12)
    # batched tangents: a Jacobian in forward mode, one column per example of the batch
    vs = rng.standard_normal((5, 3, 2))
    cols = ag.vmap(lambda v: ag.jvp(lambda w: f(w, xs[0]), (w,), (v,))[1])(vs)
    g = ag.grad(lambda w: f(w, xs[0]))(w).numpy()
    np.testing.assert_allclose(cols.numpy(), np.einsum("kij,ij->k", vs, g), rtol=1e-12)


def test_vmap_of_jacobian_and_hessian():
    f = lambda x: ag.sum(ag.tanh(x) ** 2 * ag.exp(x))   # noqa: E731
    xs = np.random.default_rng(4).standard_normal((3, 4))
    np.testing.assert_allclose(ag.vmap(ag.hessian(f))(xs).numpy(), np.stack([ag.hessian(f)(x).numpy() for x in xs]),
                               rtol=1e-12)
    g = lambda x: ag.sigmoid(x) * ag.sum(x)   # noqa: E731
    np.testing.assert_allclose(ag.vmap(ag.jacobian(g))(xs).numpy(), np.stack([ag.jacobian(g)(x).numpy() for x in xs]),
                               rtol=1e-12)


def _count_nodes(out):
    seen, stack = set(), [out]
    while stack:
        t = stack.pop()
        if type(t._ctx) is tuple and id(t) not in seen:
            seen.add(id(t))
            stack.extend(a for a in t._ctx[1] if isinstance(a, ag.Tensor))
    return len(seen)


def test_the_number_of_primitive_calls_does_not_grow_with_the_batch():
    rng = np.random.default_rng(5)
    params = [ag.tensor(p, requires_grad=True) for p in _mlp(rng)]
    counts = []
    for n in (2, 7, 30):
        out = ag.vmap(mlp_loss, in_axes=SHARED + (0, 0))(*params, rng.standard_normal((n, 5)), rng.random((n, 2)))
        counts.append(_count_nodes(ag.sum(out)))
    assert counts[0] == counts[1] == counts[2] and counts[0] < 40


def _count_all(out):
    return sum(_count_nodes(o) for o in (out if isinstance(out, tuple) else (out,)))


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=3)
@given(data=st.data())
def test_no_op_calls_its_primitives_once_per_example(case, data):
    """vmap and vmap(grad) of every op in the table record the same graph for 2 and for 5 examples: one
    primitive call per batch, whatever its size (the backward primitives included, through the recorded
    gradient). No primitive falls back to a Python loop over the examples."""
    arrays, kwargs = data.draw(case.args, label="inputs and options")

    def f(*xs):
        return case.fn(*xs, **kwargs)

    diff = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    per_example = ag.grad(lambda *xs: ag.sum(f(*xs)), argnums=diff)
    counts = []
    for size in (2, 5):
        xs = [ag.tensor(np.stack([a * (1.0 + 0.125 * k) for k in range(size)]), requires_grad=True) for a in arrays]
        counts.append((_count_all(ag.vmap(f)(*xs)), _count_all(ag.vmap(per_example)(*xs))))
    assert counts[0] == counts[1], counts


def test_vmap_checks_its_arguments_and_names_what_is_wrong():
    with pytest.raises(TypeError, match="vmap\\(f\\): expected a callable"):
        ag.vmap(None)
    with pytest.raises(TypeError, match="in_axes"):
        ag.vmap(ag.exp, in_axes="0")
    with pytest.raises(ValueError, match="disagree on the batch size: sizes \\[2, 3\\]"):
        ag.vmap(ag.add)(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="no argument is mapped"):
        ag.vmap(ag.exp, in_axes=None)(np.ones(2))
    with pytest.raises(ValueError, match="in_axes 2 is out of range for an argument of shape \\(2, 3\\)"):
        ag.vmap(ag.exp, in_axes=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="2 entries for a call with 1"):
        ag.vmap(ag.exp, in_axes=(0, 0))(np.ones(2))
    with pytest.raises(TypeError, match="values of a batched tensor"):
        ag.vmap(lambda x: x * 2 if x > 0 else x)(np.ones(3))
    with pytest.raises(RuntimeError, match="inside ag.vmap: use ag.grad"):
        ag.vmap(lambda x: x.backward())(np.ones(3))
    kept = []
    ag.vmap(lambda x: kept.append(x) or x)(np.ones(3))
    with pytest.raises(RuntimeError, match="op 'exp' received a batched value whose ag.vmap has already returned"):
        ag.exp(kept[0])


def test_inside_vmap_a_value_looks_like_one_example():
    seen = []

    def f(x, y):
        seen.append((x.shape, x.ndim, x.dtype, len(x), y.shape))
        return (x.T @ y).reshape(-1) + np.ones(3, np.float32)

    out = ag.vmap(f, in_axes=(1, None))(np.ones((2, 5, 3), np.float32), np.ones((2, 1), np.float32))
    assert seen == [((2, 3), 2, np.float32, 2, (2, 1))]
    assert out.shape == (5, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.full((5, 3), 3.0))
    np.testing.assert_array_equal((np.ones(3) - ag.vmap(lambda x: x)(np.ones((2, 3)))).numpy(), np.zeros((2, 3)))


def test_per_example_indices_labels_and_keyword_arguments():
    rng = np.random.default_rng(8)
    xs, idx = rng.standard_normal((4, 5, 3)), rng.integers(0, 5, (4, 2))
    # an index array that differs between examples: one gather for the batch, gradients scattered back
    np.testing.assert_array_equal(ag.vmap(lambda x, i: x[i])(xs, idx).numpy(),
                                  np.stack([x[i] for x, i in zip(xs, idx)]))
    taken = ag.vmap(lambda x, i: ag.take(x, i, axis=1), in_axes=(None, 0))(ag.tensor(xs[0]), idx % 3)
    np.testing.assert_array_equal(taken.numpy(), np.stack([np.take(xs[0], i % 3, axis=1) for i in idx]))
    g = ag.vmap(ag.grad(lambda x, i: ag.sum(x[i[0]] ** 2)))(xs, idx)
    np.testing.assert_allclose(g.numpy(), np.stack([ag.grad(lambda x: ag.sum(x[i[0]] ** 2))(x).numpy()
                                                     for x, i in zip(xs, idx)]))
    # labels, one-hot codes and argmax per example
    labels = np.array([2, 0, 1, 2])
    logits = rng.standard_normal((4, 3))
    np.testing.assert_allclose(ag.vmap(ag.sparse_softmax_cross_entropy)(logits, labels).numpy(),
                               [ag.sparse_softmax_cross_entropy(z, y).item() for z, y in zip(logits, labels)])
    np.testing.assert_array_equal(ag.vmap(lambda y: ag.one_hot(y, 3))(labels).numpy(), np.eye(3)[labels])
    np.testing.assert_array_equal(ag.vmap(ag.argmax)(logits).numpy(), logits.argmax(axis=1))
    # keyword arguments: arrays mapped over axis 0, flags and numbers passed as they are
    out = ag.vmap(lambda x, scale=1.0, shift=None, square=False: (x * x if square else x) * scale + shift)(
        xs, scale=2.0, shift=xs[:, 0], square=True)
    np.testing.assert_allclose(out.numpy(), np.stack([x * x * 2.0 + x[0] for x in xs]))
    with pytest.raises(ValueError, match="disagree on the batch size"):
        ag.vmap(lambda x, shift=None: x + shift)(xs, shift=np.ones((3, 3)))


def test_a_boolean_mask_per_example_selects_or_says_why_it_cannot():
    xs = np.array([[1.0, -2.0, 3.0], [-1.0, 2.0, -3.0]])
    # the same number of elements in every example: stacked as a loop would
    np.testing.assert_array_equal(ag.vmap(lambda x: x[x < 5.0])(xs).numpy(), xs)
    # different numbers: ragged results cannot be stacked, and the error says what to write instead
    with pytest.raises(ValueError, match=r"boolean mask.*selects 2, 1 elements.*ag\.where"):
        ag.vmap(lambda x: ag.sum(x[x > 0]))(xs)
