"""Functional transforms: grad, value_and_grad, vjp, jacobian, hessian, hvp, and their composition."""
import numpy as np
import pytest

import autograd as ag


def test_grad_accepts_scalars_arrays_and_tensors():
    f = lambda x: (x ** 3).sum()   # noqa: E731
    for x in (2.0, np.array([1.0, 2.0]), ag.tensor([1.0, 2.0])):
        g = ag.grad(f)(x)
        assert isinstance(g, ag.Tensor)
        np.testing.assert_allclose(g.numpy(), 3 * np.asarray(x.numpy() if isinstance(x, ag.Tensor) else x) ** 2)
    assert ag.grad(lambda x: x * 2)(3).dtype == np.float64           # integers are promoted to float64
    assert ag.grad(lambda x: (x * 2).sum())(np.ones(2, np.float32)).dtype == np.float32


def test_argnums_int_and_tuple():
    f = lambda x, y, z: x * y ** 2 + z   # noqa: E731
    assert ag.grad(f, argnums=1)(2.0, 3.0, 1.0).item() == 12.0
    gx, gz = ag.grad(f, argnums=(0, 2))(2.0, 3.0, 1.0)
    assert (gx.item(), gz.item()) == (9.0, 1.0)
    assert ag.grad(f, argnums=-1)(2.0, 3.0, 1.0).item() == 1.0
    with pytest.raises(ValueError, match="argnums"):
        ag.grad(f, argnums=3)(2.0, 3.0, 1.0)
    with pytest.raises(TypeError, match="argnums"):
        ag.grad(f, argnums="x")(2.0, 3.0, 1.0)


def test_grad_passes_keyword_arguments_through():
    assert ag.grad(lambda x, scale=1.0: x * scale)(2.0, scale=5.0).item() == 5.0


def test_value_and_grad():
    v, g = ag.value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    assert v.item() == 5.0 and not v.requires_grad
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_grad_of_non_scalar_output_points_to_jacobian():
    with pytest.raises(TypeError, match="jacobian"):
        ag.grad(lambda x: x * 2)(np.ones(3))


def test_grad_of_function_ignoring_its_input_is_zero():
    np.testing.assert_array_equal(ag.grad(lambda x: ag.tensor(3.0))(np.ones(2)).numpy(), [0.0, 0.0])


def test_grad_of_grad_composes():
    f = lambda x: x ** 4   # noqa: E731
    assert ag.grad(ag.grad(f))(2.0).item() == pytest.approx(48.0)
    assert ag.grad(ag.grad(ag.grad(f)))(2.0).item() == pytest.approx(48.0)
    assert ag.grad(lambda x: ag.grad(ag.sin)(x))(0.3).item() == pytest.approx(-np.sin(0.3))


def test_grad_inside_a_recorded_computation_stays_differentiable():
    # d/dy [ y * d/dx (x * y)**2 at x=2 ] = d/dy [ y * 2 * 2 * y**2 ] = 12 y**2
    y = ag.tensor(1.5, requires_grad=True)
    inner = ag.grad(lambda x: (x * y) ** 2)(ag.tensor(2.0))
    (y * inner).backward()
    assert y.grad.item() == pytest.approx(12 * 1.5 ** 2)


def test_vjp():
    out, back = ag.vjp(lambda x, y: x * y, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(out.numpy(), [3.0, 8.0])
    gx, gy = back(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(gx.numpy(), [3.0, 40.0])
    np.testing.assert_array_equal(gy.numpy(), [1.0, 20.0])
    gx2, _ = back(np.array([1.0, 0.0]))                  # vjp_fn can be called again
    np.testing.assert_array_equal(gx2.numpy(), [3.0, 0.0])
    with pytest.raises(ValueError, match="cotangent"):
        back(np.ones(3))


def test_jacobian_matches_analytic():
    x = np.array([0.5, -1.0, 2.0])
    A = np.arange(6.0).reshape(2, 3)
    j = ag.jacobian(lambda v: ag.tanh(ag.matmul(A, v)))(x)
    expected = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    np.testing.assert_allclose(j.numpy(), expected)
    ja, jb = ag.jacobian(lambda a, b: a * b, argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(ja.numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_array_equal(jb.numpy(), np.diag([1.0, 2.0]))
    assert ag.jacobian(lambda m: m * 2)(np.ones((2, 2))).shape == (2, 2, 2, 2)


def test_hessian_matches_analytic():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    f = lambda x: 0.5 * ag.sum(x * ag.matmul(A, x)) + ag.sum(x ** 3)   # noqa: E731
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(ag.hessian(f)(x).numpy(), A + np.diag(6 * x))


def test_hvp_matches_hessian_times_vector():
    f = lambda x: ag.sum(ag.sin(x) * x ** 2)   # noqa: E731
    x = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -2.0])
    h = np.diag(2 * np.sin(x) + 4 * x * np.cos(x) - x ** 2 * np.sin(x))
    np.testing.assert_allclose(ag.hvp(f, x, v).numpy(), h @ v)
    np.testing.assert_allclose(ag.hvp(f, x, v).numpy(), ag.hessian(f)(x).numpy() @ v)
    with pytest.raises(ValueError, match="shape"):
        ag.hvp(f, x, np.ones(2))


def test_every_transform_composes_with_the_others():
    f = lambda x: ag.sum(x ** 3)   # noqa: E731
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ag.jacobian(ag.jacobian(f))(x).numpy(), np.diag(6 * x))
    np.testing.assert_allclose(ag.jacobian(ag.grad(f))(x).numpy(), np.diag(6 * x))

    def through_vjp(v):
        _, back = ag.vjp(lambda y: y ** 3, v)
        return ag.sum(back(np.ones(2))[0])      # sum(3 v**2)
    np.testing.assert_allclose(ag.grad(through_vjp)(x).numpy(), 6 * x)
    np.testing.assert_allclose(ag.grad(lambda v: ag.sum(ag.hvp(f, v, np.ones(2))))(x).numpy(), [6.0, 6.0])
    v, g = ag.value_and_grad(lambda v: ag.sum(ag.grad(f)(v)))(x)
    assert v.item() == 15.0
    np.testing.assert_allclose(g.numpy(), 6 * x)
