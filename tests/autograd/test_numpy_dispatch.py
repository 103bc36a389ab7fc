"""NumPy's own functions on Tensors: they return Tensors and stay differentiable, or fail by name."""
import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("call, expected_grad", [
    (lambda t: np.exp(t), lambda x: np.exp(x)),
    (lambda t: np.sum(t, axis=0), lambda x: np.ones_like(x)),
    (lambda t: np.maximum(t, 0), lambda x: (x > 0).astype(float)),
    (lambda t: np.concatenate([t, t * 2]), lambda x: np.full_like(x, 3.0)),
    (lambda t: np.where(np.asarray(t) > 0, t, 0.0), lambda x: (x > 0).astype(float)),
    (lambda t: np.einsum("ij->i", t), lambda x: np.ones_like(x)),
    (lambda t: np.tanh(t) + np.sin(t) * np.cos(t), lambda x: 1 - np.tanh(x) ** 2 + np.cos(2 * x)),
    (lambda t: np.mean(np.square(t)), lambda x: 2 * x / x.size),
    (lambda t: np.add.reduce(t, axis=1), lambda x: np.ones_like(x)),
    (lambda t: np.stack([t, t]), lambda x: np.full_like(x, 2.0)),
    (lambda t: np.matmul(t, np.ones((3, 1))), lambda x: np.ones_like(x)),
    (lambda t: np.reshape(t, (-1,)), lambda x: np.ones_like(x)),
    (lambda t: np.linalg.norm(t), lambda x: x / np.sqrt(np.sum(x * x))),
    (lambda t: np.array([[1.0, 2.0, 3.0]]) * t, lambda x: np.tile([1.0, 2.0, 3.0], (2, 1))),
])
def test_numpy_functions_return_tensors_and_stay_differentiable(call, expected_grad):
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    t = ag.tensor(x, requires_grad=True)
    out = call(t)
    assert isinstance(out, ag.Tensor) and out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), expected_grad(x))


def test_numpy_function_without_rule_raises_naming_it():
    t = ag.tensor([3.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.sort has no autograd rule"):
        np.sort(t)
    with pytest.raises(TypeError, match="numpy.median"):
        np.median(t)
    with pytest.raises(TypeError, match="numpy.arcsinh"):
        np.arcsinh(t)
    with pytest.raises(TypeError, match="in place"):
        np.exp(t, out=np.empty(3))


def test_numpy_function_without_rule_runs_when_nothing_is_differentiated():
    t = ag.tensor([3.0, 1.0, 2.0])
    s = np.sort(t)
    assert isinstance(s, ag.Tensor) and s.numpy().tolist() == [1.0, 2.0, 3.0]
    with ag.no_grad():
        assert np.median(ag.tensor([3.0, 1.0, 2.0], requires_grad=True)) == 2.0
    assert np.arcsinh(t).shape == (3,)


def test_shape_and_predicate_functions_pass_through():
    t = ag.tensor(np.ones((2, 3)), requires_grad=True)
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6
    assert np.allclose(t, 1.0) and np.array_equal(t, np.ones((2, 3)))
    assert np.argsort(ag.tensor([2.0, 1.0])).tolist() == [1, 0]
    assert np.asarray(t).shape == (2, 3)


def test_copyto_into_a_tensor_is_an_in_place_write():
    t = ag.tensor([1.0, 2.0])
    np.copyto(t, [3.0, 4.0])
    assert t.numpy().tolist() == [3.0, 4.0] and t._version == 1
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        np.copyto(w, [3.0, 4.0])
    assert w.numpy().tolist() == [1.0, 2.0]


def test_ufunc_out_and_at_into_tensors_bump_versions_or_refuse():
    x = ag.tensor([0.0, 1.0])
    out = ag.tensor(np.empty(2))
    r = np.exp(x, out=out)
    assert r is out and out._version == 1
    np.testing.assert_allclose(out.numpy(), np.exp([0.0, 1.0]))
    np.add.at(x, [0, 0], 1.0)
    assert x.numpy().tolist() == [2.0, 1.0] and x._version == 1
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="in place"):
        np.add.at(w, [0], 1.0)
    with pytest.raises(TypeError, match="in place"):
        np.exp(x, out=w)
    assert w.numpy().tolist() == [1.0, 2.0]
