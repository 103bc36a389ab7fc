"""The backward pass: accumulation, graph freeing, deep graphs, dtypes and the classic identities."""
import gc
import warnings
import weakref

import numpy as np
import pytest

import autograd as ag


def test_x_times_x_gives_2x():
    x = ag.tensor([1.5, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, -4.0, 6.0])


def test_a_minus_a_gives_zero():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    (a - a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])


def test_equal_valued_leaves_get_separate_gradients():
    a = ag.tensor([2.0, 2.0], requires_grad=True)
    b = ag.tensor([2.0, 2.0], requires_grad=True)
    (a * 3.0 + b * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 4.0])


def test_max_over_ties_splits_gradient_summing_to_one():
    x = ag.tensor([1.0, 3.0, 3.0, 3.0, 0.0], requires_grad=True)
    ag.max(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / 3, 1 / 3, 1 / 3, 0])
    assert x.grad.numpy().sum() == pytest.approx(1.0)
    m = ag.tensor([[2.0, 2.0], [1.0, 5.0]], requires_grad=True)
    ag.min(m, axis=1).sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), [[0.5, 0.5], [1.0, 0.0]])


def test_elementwise_maximum_tie_splits_in_half():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([1.0, 0.0], requires_grad=True)
    ag.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0])


def test_where_does_not_leak_nan_from_branch_not_taken():
    x = ag.tensor(1.0, requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = ag.sum(ag.where(x >= 0, x, ag.sqrt(-x)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # and backward does not warn about the masked branch
        y.backward()
    assert x.grad.item() == 1.0
    # the same through log and division, where the untaken branch is inf
    z = ag.tensor([2.0, 0.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = ag.where(z > 0, ag.log(z), z * 0).sum()
    y.backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.5, 0.0])


def test_x_to_the_fourth_second_order_through_create_graph():
    x = ag.tensor(1.5, requires_grad=True)
    y = x ** 4
    (g,) = ag.gradients(y, [x], create_graph=True)
    assert g.item() == pytest.approx(4 * 1.5 ** 3)
    assert g.requires_grad
    g.backward()
    assert x.grad.item() == pytest.approx(12 * 1.5 ** 2)


def test_backward_create_graph_accumulates_differentiable_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad
    x.zero_grad()
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.0, 2.0]))


def test_grad_accumulates_across_backward_calls_and_zero_grad_resets():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])
    x.zero_grad()
    assert x.grad is None
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_gradients_keep_the_input_dtype():
    x = ag.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    w = np.full((3,), 0.5, np.float64)          # a float64 constant promotes the forward result
    y = (x * w).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32
    h = ag.tensor(np.ones(3, np.float16), requires_grad=True)
    (ag.exp(h) * 2.0).sum().backward()
    assert h.grad.dtype == np.float16


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        ag.tensor([1, 2, 3], requires_grad=True)
    t = ag.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad_()
    assert not (t * 2.5).requires_grad


def _chain(n):
    x = ag.tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    return x, y


def test_backward_through_100000_ops_without_recursion():
    x, y = _chain(100_000)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 1.0000001 ** 100_000))


def test_backward_frees_saved_arrays_and_second_backward_names_retain_graph():
    x = ag.tensor(np.ones(4), requires_grad=True)
    mid = ag.exp(x)
    ref = weakref.ref(mid)
    loss = ag.sin(mid).sum()
    del mid
    gc.collect()
    assert ref() is not None            # the graph keeps the intermediate alive for backward
    loss.backward()
    gc.collect()
    assert ref() is None                # ... and backward let go of it
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_retain_graph_keeps_saved_arrays_for_a_second_backward():
    x = ag.tensor(np.ones(4), requires_grad=True)
    mid = ag.exp(x)
    ref = weakref.ref(mid)
    loss = ag.sin(mid).sum()
    del mid
    loss.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(np.e) * np.e)


def test_modifying_a_saved_input_in_place_raises_before_wrong_gradients():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    c = ag.tensor([3.0, 4.0])
    loss = (w * c).sum()
    c[0] = 10.0                          # c was saved for w's gradient
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    loss2 = (w * w).sum()
    ag.assign_add(w, [1.0, 1.0])
    with pytest.raises(RuntimeError, match="multiply.*in place"):
        loss2.backward()


def test_setitem_on_a_tensor_that_requires_grad_is_refused():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 3.0
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    with ag.no_grad():
        w[0] = 3.0
    assert w.numpy()[0] == 3.0


def test_backward_of_non_scalar_needs_a_cotangent():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="one element"):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 30.0])
    with pytest.raises(ValueError, match="shape"):
        (x * 3).backward(np.ones(3))


def test_backward_on_a_constant_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor([1.0]).sum().backward()


def test_leaf_gradients_are_writable_and_not_shared():
    a = ag.tensor(np.ones(3), requires_grad=True)
    b = ag.tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()              # add passes one array to both; sum's vjp is a broadcast view
    assert a.grad.numpy().flags.writeable and b.grad.numpy().flags.writeable
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[:] = 7.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])
    ga, gb = ag.gradients((a + b).sum(), [a, b])
    assert not np.shares_memory(ga.numpy(), gb.numpy()) and ga.numpy().flags.writeable


def test_gradients_returns_without_touching_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor(3.0, requires_grad=True)
    gx, gy = ag.gradients((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 3.0])
    assert gy.item() == 3.0
    assert x.grad is None and y.grad is None


def test_gradients_with_respect_to_intermediate_and_its_input():
    x = ag.tensor(2.0, requires_grad=True)
    h = x * x                              # h depends on x; y depends on both
    y = h * x
    gx, gh = ag.gradients(y, [x, h])
    assert gh.item() == 2.0                # dy/dh = x
    assert gx.item() == 12.0               # total derivative d(x**3)/dx = 3 x**2


def test_gradients_unused_input_gives_zeros_or_raises():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    unused = ag.tensor([5.0], requires_grad=True)
    gx, gu = ag.gradients((x * 2).sum(), [x, unused])
    np.testing.assert_array_equal(gu.numpy(), [0.0])
    with pytest.raises(RuntimeError, match="does not affect"):
        ag.gradients((x * 2).sum(), [x, unused], allow_unused=False)


def test_gradients_with_several_outputs_and_cotangents():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ag.gradients([x * 2, x ** 2], [x], grad_outputs=[np.array([1.0, 1.0]), np.array([1.0, 0.5])])
    np.testing.assert_array_equal(g.numpy(), [2 + 2 * 1.0, 2 + 0.5 * 4.0])
    with pytest.raises(ValueError, match="cotangents"):
        ag.gradients([x * 2, x * 3], [x], grad_outputs=[np.ones(2)])


def test_gradients_for_an_intermediate_only_visit_the_part_of_the_graph_that_reaches_it():
    calls = []
    spy = ag.primitive(lambda v: v * 1.0, name="spy")
    ag.defvjp(spy, lambda g, ans, v: calls.append(1) or g)
    x = ag.tensor([1.0], requires_grad=True)
    w = ag.tensor([1.0], requires_grad=True)
    hidden = x * 2
    loss = (hidden * 3 + spy(w)).sum()
    (gh,) = ag.gradients(loss, [hidden], retain_graph=True)
    assert gh.numpy().tolist() == [3.0]
    assert calls == []
    ag.gradients(loss, [w])
    assert calls == [1]


def test_broadcast_gradients_are_summed_back():
    a = ag.tensor(np.ones((2, 1, 3)), requires_grad=True)
    b = ag.tensor(np.ones((4, 1)), requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 1, 3), 4.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full((4, 1), 6.0))


def test_unbroadcast_sums_and_expands():
    g = ag.tensor(np.ones((4, 2, 3)))
    assert ag.unbroadcast(g, (2, 1)).shape == (2, 1)
    assert ag.unbroadcast(g, (2, 1)).numpy()[0, 0] == 12.0
    assert ag.unbroadcast(ag.tensor(2.0), (2, 2)).numpy().tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_repeated_integer_indices_accumulate():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    y = ag.tensor(np.ones((3, 2)), requires_grad=True)
    ag.take(y, [2, 2], axis=0).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0, 0], [0, 0], [2, 2]])


def test_boolean_mask_indexing_gradient():
    x = ag.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    sel = x[x > 0]
    np.testing.assert_array_equal(sel.numpy(), [1.0, 4.0])
    (sel * 10).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[10.0, 0.0], [0.0, 10.0]])


def test_prod_gradient_with_zeros():
    x = ag.tensor([2.0, 0.0, 3.0], requires_grad=True)
    ag.prod(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 6.0, 0.0])
    y = ag.tensor([0.0, 0.0, 3.0], requires_grad=True)
    ag.prod(y).backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 0.0])


def test_norm_gradient_at_zero_is_zero_not_nan():
    x = ag.tensor(np.zeros(3), requires_grad=True)
    ag.norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_sigmoid_and_softplus_are_finite_for_huge_inputs():
    x = ag.tensor(np.array([-1e4, -100.0, 0.0, 100.0, 1e4], np.float32), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = ag.sigmoid(x)
        (s + ag.softplus(x)).sum().backward()
    assert np.isfinite(s.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(s.numpy(), [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-30)
