"""The Tensor object: construction, attributes, conversions, operators, comparisons and indexing."""
import numpy as np
import pytest

import autograd as ag


def test_attributes():
    t = ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float32
    assert len(t) == 2
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.numpy(), t.numpy().T)
    assert t.is_leaf and not (t * 2).is_leaf
    assert t.grad is None


def test_construction_and_dtype():
    assert ag.Tensor([1, 2]).dtype == np.int64
    assert ag.Tensor([1, 2], dtype="float32").dtype == np.float32
    a = np.ones(3)
    assert ag.Tensor(a).numpy() is a                     # Tensor shares, tensor copies
    assert not np.shares_memory(ag.tensor(a).numpy(), a)
    assert ag.as_tensor(ag.Tensor(a)).numpy() is a
    with pytest.raises(TypeError, match="numeric"):
        ag.Tensor(["a", "b"])
    assert ag.zeros((2, 2)).numpy().sum() == 0 and ag.ones(3, requires_grad=True).requires_grad
    assert ag.zeros_like(ag.tensor(np.ones(2, np.float32))).dtype == np.float32


def test_numpy_conversions():
    t = ag.tensor([[1.0, 2.0]])
    assert isinstance(np.asarray(t), np.ndarray)
    np.testing.assert_array_equal(np.asarray(t), [[1.0, 2.0]])
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert t.tolist() == [[1.0, 2.0]]
    assert ag.tensor(3.5).item() == 3.5
    assert float(ag.tensor([2.0])) == 2.0 and int(ag.tensor(3)) == 3
    with pytest.raises(ValueError, match="one element"):
        t.item()
    assert f"{ag.tensor(2.0):.2f}" == "2.00"


def test_iteration_yields_rows_that_carry_gradients():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].numpy().tolist() == [3.0, 4.0]
    (rows[0] * 2 + rows[1] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 2.0], [3.0, 3.0]])
    with pytest.raises(TypeError, match="0-d"):
        iter(ag.tensor(1.0)).__next__()
    with pytest.raises(TypeError, match="0-d"):
        len(ag.tensor(1.0))


def test_repr_shows_values_dtype_and_requires_grad():
    assert repr(ag.tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(ag.tensor([1.0], requires_grad=True)) == "Tensor([1.], requires_grad=True)"
    assert "dtype=float32" in repr(ag.tensor(np.ones(2, np.float32)))


def test_detach_item_astype():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), [2.0, 4.0])
    h = x.astype(np.float32)
    assert h.dtype == np.float32 and h.requires_grad
    (h * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    i = x.astype("int32")
    assert i.dtype == np.int32 and not i.requires_grad


def test_operators_and_reflected_forms():
    x = ag.tensor([1.0, 2.0])
    np.testing.assert_array_equal((1 + x).numpy(), [2, 3])
    np.testing.assert_array_equal((1 - x).numpy(), [0, -1])
    np.testing.assert_array_equal((2 * x).numpy(), [2, 4])
    np.testing.assert_array_equal((2 / x).numpy(), [2, 1])
    np.testing.assert_array_equal((2 ** x).numpy(), [2, 4])
    np.testing.assert_array_equal((x ** 2).numpy(), [1, 4])
    np.testing.assert_array_equal((-x).numpy(), [-1, -2])
    np.testing.assert_array_equal(abs(-x).numpy(), [1, 2])
    np.testing.assert_array_equal((7 // x).numpy(), [7, 3])
    np.testing.assert_array_equal((x % 2).numpy(), [1, 0])
    m = ag.tensor(np.eye(2))
    np.testing.assert_array_equal((np.ones((1, 2)) @ m).numpy(), [[1, 1]])
    np.testing.assert_array_equal((m @ np.ones(2)).numpy(), [1, 1])
    np.testing.assert_array_equal((np.array([1.0, 2.0]) + x).numpy(), [2, 4])
    assert isinstance(np.array([1.0, 2.0]) + x, ag.Tensor)


def test_comparisons_give_boolean_tensors_without_gradient():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r, expected in [(x > 2, [0, 0, 1]), (x >= 2, [0, 1, 1]), (x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]),
                        (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1])]:
        assert r.dtype == np.bool_ and not r.requires_grad
        np.testing.assert_array_equal(r.numpy(), np.array(expected, bool))
    assert hash(x) == id(x) // 16 or isinstance(hash(x), int)   # usable as dict key
    assert {x: 1}[x] == 1


def test_indexing_forms():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = ag.tensor(a)
    for index in [1, -1, (1, 2), slice(None, None, -1), (Ellipsis, 1), (None, 0), (0, None, slice(1, 3)),
                  np.array([1, 0, 1]), (slice(None), np.array([0, 2])), a > 10, ag.tensor(a > 5),
                  [0, 1], (1, Ellipsis, None)]:
        key = index.numpy() if isinstance(index, ag.Tensor) else index
        np.testing.assert_array_equal(t[index].numpy(), a[key])
    with pytest.raises(IndexError, match="shape"):
        t[5]


def test_methods_mirror_functions():
    x = ag.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    pairs = [("exp", ag.exp), ("log1p", None), ("sigmoid", ag.sigmoid), ("relu", ag.relu), ("tanh", ag.tanh),
             ("elu", ag.elu), ("selu", ag.selu), ("gelu", ag.gelu), ("leaky_relu", ag.leaky_relu),
             ("softplus", ag.softplus), ("abs", ag.abs), ("square", ag.square), ("sign", ag.sign),
             ("sin", ag.sin), ("cos", ag.cos), ("sum", ag.sum), ("mean", ag.mean), ("max", ag.max),
             ("logsumexp", ag.logsumexp), ("softmax", ag.softmax), ("flatten", ag.flatten)]
    for name, fn in pairs:
        if fn is not None:
            np.testing.assert_allclose(getattr(x, name)().numpy(), fn(x).numpy())
    np.testing.assert_array_equal(x.reshape(3, 2).numpy(), x.numpy().reshape(3, 2))
    np.testing.assert_array_equal(x.reshape((3, 2)).numpy(), x.numpy().reshape(3, 2))
    np.testing.assert_array_equal(x.transpose(1, 0).numpy(), x.numpy().T)
    np.testing.assert_array_equal(x.sum(axis=0, keepdims=True).numpy(), x.numpy().sum(0, keepdims=True))
    np.testing.assert_array_equal(x.clip(-0.5, 0.5).numpy(), np.clip(x.numpy(), -0.5, 0.5))
    np.testing.assert_array_equal(x.maximum(0).numpy(), np.maximum(x.numpy(), 0))
    np.testing.assert_array_equal(x.where(x > 0, 0.0).numpy(), np.where(x.numpy() > 0, x.numpy(), 0))
    np.testing.assert_array_equal(x.power(2).numpy(), x.numpy() ** 2)
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [2, 2])
    assert [p.shape for p in x.split(3, axis=1)] == [(2, 1)] * 3
    assert x.concatenate([x, x], axis=0).shape == (6, 3) and x.stack([x]).shape == (2, 2, 3)
    np.testing.assert_allclose(x.einsum("ij,kj->ik", x).numpy(), x.numpy() @ x.numpy().T)
    assert ag.tensor([0, 2]).one_hot(3).numpy().tolist() == [[1, 0, 0], [0, 0, 1]]
    for name in ["exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "sign", "sin", "cos", "tanh", "sigmoid",
                 "relu", "softplus", "elu", "selu", "leaky_relu", "gelu", "maximum", "minimum", "clip", "where",
                 "power", "sum", "mean", "var", "std", "max", "min", "prod", "argmax", "cumsum", "logsumexp",
                 "softmax", "log_softmax", "reshape", "transpose", "swapaxes", "expand_dims", "squeeze",
                 "broadcast_to", "concatenate", "stack", "split", "pad", "repeat", "tile", "flip", "take", "one_hot",
                 "matmul", "dot", "tensordot", "einsum", "astype", "detach", "zero_grad", "item", "backward"]:
        assert callable(getattr(ag.Tensor, name)), name          # every op of the issue is also a method


def test_one_hot_and_argmax_have_no_gradient():
    oh = ag.one_hot([0, 2, 5], 3)
    np.testing.assert_array_equal(oh.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert oh.dtype == np.float32 and not oh.requires_grad
    x = ag.tensor([1.0, 3.0], requires_grad=True)
    assert not ag.argmax(x).requires_grad and ag.argmax(x).item() == 1


def test_clear_errors_for_bad_shapes():
    with pytest.raises(ValueError, match="reshape"):
        ag.reshape(ag.tensor(np.ones(6)), (4, 2))
    with pytest.raises(ValueError, match="matmul"):
        ag.matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="concatenate"):
        ag.concatenate([np.ones((2, 3)), np.ones((2, 2))], axis=0)
    with pytest.raises(ValueError, match="out of bounds"):
        ag.sum(ag.tensor(np.ones(3)), axis=2)
    with pytest.raises(ValueError, match="empty"):
        ag.max(ag.tensor(np.ones((0, 2))))
    with pytest.raises(TypeError, match="integers"):
        ag.take(ag.tensor(np.ones(3)), np.array([0.5]))
    with pytest.raises(ValueError, match="pad_width"):
        ag.pad(ag.tensor(np.ones((2, 2))), [(1, 2, 3)])


def test_pickle_and_deepcopy_keep_values_and_grad_but_not_the_graph():
    import copy
    import pickle
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.exp(x) * 2
    y.sum().backward(retain_graph=True)
    y2 = pickle.loads(pickle.dumps(y))
    np.testing.assert_array_equal(y2.numpy(), y.numpy())
    assert y2.is_leaf and y2.requires_grad
    x2 = copy.deepcopy(x)
    np.testing.assert_array_equal(x2.grad.numpy(), x.grad.numpy())
    assert not np.shares_memory(x2.numpy(), x.numpy())
    x2.grad = None
    (x2 * 3).sum().backward()
    np.testing.assert_array_equal(x2.grad.numpy(), [3.0, 3.0])


def test_constructors():
    assert ag.full((2,), 3.0).numpy().tolist() == [3.0, 3.0]
    np.testing.assert_array_equal(ag.eye(2).numpy(), np.eye(2))
    assert ag.arange(0.0, 1.0, 0.25).numpy().tolist() == [0.0, 0.25, 0.5, 0.75]
    assert ag.ones((2, 2), dtype="float32", requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        ag.arange(3, requires_grad=True)


def test_pickling_a_subclass_keeps_its_own_attributes():
    import copy

    class Named(ag.Tensor):
        __slots__ = ("name",)

    t = Named(np.ones(2), requires_grad=True)
    t.name = "w"
    c = copy.deepcopy(t)
    assert type(c) is Named and c.name == "w" and c.requires_grad and c.is_leaf


def test_building_a_tensor_from_a_list_of_graph_tensors_is_refused():
    a = ag.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="stack"):
        ag.tensor([a * 2, a * 3])
    with pytest.raises(TypeError, match="stack"):
        ag.Tensor([[a], [a]])
    assert ag.tensor([ag.tensor(1.0), 2.0]).numpy().tolist() == [1.0, 2.0]   # constants are fine
    with ag.no_grad():
        assert ag.tensor([a, a]).shape == (2,)
