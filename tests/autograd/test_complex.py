"""Complex values with HIPS autograd's convention: the gradient of a real loss L of z = x + iy is
dL/dx - i dL/dy, a holomorphic f's grad is f'(z), a complex cotangent reaching a real input keeps its real
part; gradcheck takes complex inputs; forward mode, vmap and float32 / complex64 work with complex values."""
import numpy as np
import pytest

import autograd as ag

rng = np.random.default_rng(0)
z = rng.standard_normal(3) + 1j * rng.standard_normal(3)


def test_the_gradient_of_a_real_loss_is_dl_dx_minus_i_dl_dy():
    # |z|^2 = x^2 + y^2: dL/dx - i dL/dy = 2x - 2iy = 2 conj(z)
    np.testing.assert_allclose(ag.grad(lambda z: ag.sum(ag.abs(z) ** 2))(z).numpy(), 2 * np.conj(z))
    # Re(z) and Im(z): 1 and -i
    np.testing.assert_allclose(ag.grad(lambda z: ag.sum(ag.real(z)))(z).numpy(), np.ones(3))
    np.testing.assert_allclose(ag.grad(lambda z: ag.sum(ag.imag(z)))(z).numpy(), -1j * np.ones(3))
    # the same numbers by finite differences in x and in y separately
    f = lambda z: np.sum(np.abs(np.sin(z)) * np.angle(z))                   # noqa: E731
    g = ag.grad(lambda z: ag.sum(ag.abs(ag.sin(z)) * ag.angle(z)))(z).numpy()
    eps = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = eps
        dx = (f(z + e) - f(z - e)) / (2 * eps)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        assert g[k] == pytest.approx(dx - 1j * dy, rel=1e-6)


def test_a_holomorphic_function_gets_its_complex_derivative():
    np.testing.assert_allclose(ag.grad(lambda z: z * z)(1.0 + 2.0j).numpy(), 2.0 + 4.0j)
    np.testing.assert_allclose(ag.elementwise_grad(ag.exp)(z).numpy(), np.exp(z))
    np.testing.assert_allclose(ag.elementwise_grad(lambda z: ag.log(z) * z)(z).numpy(), np.log(z) + 1)
    np.testing.assert_allclose(ag.elementwise_grad(lambda z: z ** 3.0)(z).numpy(), 3 * z ** 2)


def test_real_inputs_of_complex_computations_get_real_gradients():
    x = np.array([0.3, -1.2, 2.0])
    # a real function computed through complex numbers: |e^{ix}|^2 = 1, and Re(e^{ix}) = cos x
    g = ag.grad(lambda x: ag.sum(ag.real(ag.exp(1j * x))))(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g.numpy(), -np.sin(x))
    assert ag.gradcheck(lambda x: ag.abs(ag.fft.fft(x * (1 + 0.5j))) ** 2, x, order=2)
    w = np.array([1.0 + 1.0j, 2.0 - 1.0j, 0.5j])
    np.testing.assert_allclose(ag.grad(lambda x: ag.sum(ag.real(x * w)))(x).numpy(), w.real)


def test_gradcheck_handles_complex_inputs_and_outputs():
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    for f in (lambda z: ag.exp(z) * ag.conj(z), lambda z: ag.sqrt(z) / (z + 3.0), lambda z: ag.abs(z) * ag.angle(z),
              lambda z: ag.tanh(z) ** 2.5, lambda z: ag.sum(z, axis=0), lambda z: z @ z, ag.fft.ifft2,
              ag.linalg.inv, ag.linalg.det, lambda z: ag.linalg.solve(z, z[:, 0]), ag.linalg.expm):
        assert ag.gradcheck(f, a, order=2)
    # a wrong complex rule is caught: conj's vjp without the conjugate
    bad = ag.primitive(np.conjugate, name="bad_conj")
    ag.defvjp(bad, lambda g, ans, x: g)
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(lambda z: bad(z) * z, z)


def test_complex_values_in_forward_mode_and_under_vmap():
    t = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    out, tan = ag.jvp(ag.exp, (z,), (t,))
    np.testing.assert_allclose(tan.numpy(), np.exp(z) * t)
    _, tan = ag.jvp(ag.abs, (z,), (t,))                  # d|z| = Re(conj(z) dz) / |z|
    np.testing.assert_allclose(tan.numpy(), np.real(np.conj(z) * t) / np.abs(z))
    batch = rng.standard_normal((4, 8)) + 1j * rng.standard_normal((4, 8))
    np.testing.assert_allclose(ag.vmap(ag.fft.fft)(batch).numpy(), np.fft.fft(batch), atol=1e-12)
    per_example = ag.vmap(ag.grad(lambda z: ag.sum(ag.abs(ag.fft.fft(z)) ** 2)))(batch).numpy()
    np.testing.assert_allclose(per_example, 2 * 8 * np.conj(batch), atol=1e-10)     # Parseval


def test_complex64_stays_complex64_and_tensors_have_real_imag_conj():
    x = ag.tensor(np.array([1.0 + 2.0j], np.complex64), requires_grad=True)
    y = ag.sum(ag.abs(ag.fft.fft(x * x)) ** 2)
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.complex64
    t = ag.tensor([1.0 + 2.0j])
    assert t.real.item() == 1.0 and t.imag.item() == 2.0 and t.conj().item() == 1.0 - 2.0j
    assert np.real(t).item() == 1.0 and np.conj(t).item() == 1.0 - 2.0j


def test_linear_algebra_that_is_not_holomorphic_refuses_complex_matrices():
    with pytest.raises(TypeError, match="linalg.eigh: complex matrices are not supported"):
        ag.linalg.eigh(np.eye(2) * 1j)
    with pytest.raises(TypeError, match="linalg.cholesky: complex matrices"):
        ag.linalg.cholesky(np.eye(2) + 0j)
