"""ag.linalg beyond the gradient table: what the derivatives return where they do not exist (singular
matrices, repeated eigenvalues, full_matrices bases), the triangle that cholesky / eigh read, numpy's
results (lstsq's rank and residuals), composition with vmap, and the errors."""
import numpy as np
import pytest
import scipy.linalg as sl

import autograd as ag


def test_det_gradient_is_the_cofactor_matrix_also_at_singular_matrices():
    a = np.array([[2.0, 1.0], [4.0, 2.0]])                           # rank 1
    np.testing.assert_allclose(ag.grad(ag.linalg.det)(a).numpy(), [[2.0, -4.0], [-1.0, 2.0]], atol=1e-12)
    b = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    cof = np.array([[np.linalg.det(np.delete(np.delete(b, i, 0), j, 1)) * (-1) ** (i + j) for j in range(3)]
                    for i in range(3)])
    np.testing.assert_allclose(ag.grad(ag.linalg.det)(b).numpy(), cof, atol=1e-10)
    # a stack with one singular and one regular matrix: each gets its own cofactors
    stack = np.stack([a, np.array([[1.0, 2.0], [3.0, 4.0]])])
    g = ag.grad(lambda s: ag.sum(ag.linalg.det(s)))(stack).numpy()
    np.testing.assert_allclose(g[1], [[4.0, -3.0], [-2.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(g[0], [[2.0, -4.0], [-1.0, 2.0]], atol=1e-12)


def test_slogdet_gradient_at_a_singular_matrix_is_nan():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    sign, logabs = ag.linalg.slogdet(a)
    assert sign.item() == 0 and logabs.item() == -np.inf
    assert np.isnan(ag.grad(lambda a: ag.linalg.slogdet(a).logabsdet)(a).numpy()).all()
    stack = np.stack([a, np.eye(2) * 2.0])
    g = ag.grad(lambda s: ag.linalg.slogdet(s).logabsdet[1])(stack).numpy()
    np.testing.assert_allclose(g[1], np.eye(2) / 2.0)        # the regular matrix keeps inv(a)^T
    assert np.isnan(ag.grad(lambda s: ag.linalg.slogdet(s).logabsdet[0])(stack).numpy()[0]).all()


def test_cholesky_and_eigh_read_one_triangle_and_their_gradient_lies_in_it():
    rng = np.random.default_rng(0)
    b = rng.standard_normal((4, 4))
    spd = b @ b.T + 4 * np.eye(4)
    junk = spd + np.triu(rng.standard_normal((4, 4)) * 10, 1)
    np.testing.assert_allclose(ag.linalg.cholesky(junk).numpy(), np.linalg.cholesky(spd), atol=1e-12)
    g = ag.grad(lambda a: ag.sum(ag.linalg.cholesky(a) ** 2))(junk).numpy()
    assert np.all(np.triu(g, 1) == 0)
    gu = ag.grad(lambda a: ag.sum(ag.linalg.cholesky(a, upper=True) ** 2))(junk.T).numpy()
    np.testing.assert_allclose(gu, g.T, atol=1e-12)
    w = ag.grad(lambda a: ag.linalg.eigvalsh(a, "U")[-1])(junk.T).numpy()
    assert np.all(np.tril(w, -1) == 0)
    # a symmetric matrix built from parameters: the parameters' gradient is that of the symmetric formulas
    loss = lambda b: ag.sum(ag.log(ag.linalg.diagonal(ag.linalg.cholesky(b @ b.T + 4 * np.eye(4)))))   # noqa: E731
    np.testing.assert_allclose(ag.grad(loss)(b).numpy(), np.linalg.solve(b @ b.T + 4 * np.eye(4), b), atol=1e-12)


def test_eigh_with_a_repeated_eigenvalue_gives_the_gradient_of_eigenspace_functions():
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))
    a = q @ np.diag([1.0, 1.0, 3.0]) @ q.T

    def f(a):      # trace(a^3) through the eigendecomposition: v diag(w^3) v^T does not care which basis
        w, v = ag.linalg.eigh(a)
        return ag.sum((v * w ** 3) @ v.T * np.eye(3))

    g = ag.grad(f)(a).numpy()
    assert np.isfinite(g).all()
    expected = 3 * a @ a                                     # d trace(a^3) = 3 (a^2)^T, read from the lower triangle
    np.testing.assert_allclose(g, np.tril(expected + expected.T, -1) + np.diag(np.diag(expected)), atol=1e-10)


def test_svd_full_matrices_holds_the_completing_basis_constant():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 2))

    def f(a):           # uses the first k columns of U only: smooth, so finite differences apply
        u, s, vh = ag.linalg.svd(a, full_matrices=True)
        return ag.sum((u[:, :2] * s) @ vh) + ag.sum(s ** 3)

    assert ag.gradcheck(f, a, order=2)
    x = ag.tensor(a, requires_grad=True)
    u, s, vh = ag.linalg.svd(x, full_matrices=True)
    assert u.shape == (4, 4) and vh.shape == (2, 2)
    ag.sum(u[:, 2:]).backward()                # the extra columns' cotangent is ignored
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 2)))
    _, t = ag.jvp(lambda a: ag.linalg.svd(a).U, (a,), (np.ones((4, 2)),))
    np.testing.assert_array_equal(t.numpy()[:, 2:], 0.0)          # and their tangent is zero


def test_singular_values_of_a_rank_deficient_matrix_have_finite_gradients():
    a = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])
    g = ag.grad(lambda a: ag.linalg.svdvals(a)[0])(a).numpy()          # the largest, simple one: u1 v1^T
    u, s, vh = np.linalg.svd(a)
    np.testing.assert_allclose(g, np.outer(u[:, 0], vh[0]), atol=1e-12)
    assert np.isfinite(ag.grad(lambda a: ag.sum(ag.linalg.svd(a, full_matrices=False).U))(a).numpy()).all()


def test_lstsq_matches_numpy_for_tall_wide_and_rank_deficient_systems():
    rng = np.random.default_rng(3)
    for a in (rng.standard_normal((5, 3)), rng.standard_normal((2, 4)), np.outer([1.0, 2.0, 3.0], [1.0, 1.0])):
        b = rng.standard_normal(a.shape[0])
        x, res, rank, s = ag.linalg.lstsq(a, b)
        ex, eres, erank, es = np.linalg.lstsq(a, b)
        np.testing.assert_allclose(x.numpy(), ex, atol=1e-12)
        assert res.shape == eres.shape and rank == erank
        np.testing.assert_allclose(res.numpy(), eres, atol=1e-12)
        np.testing.assert_allclose(s.numpy(), es, atol=1e-12)
    # the gradient of the rank-deficient solution is the fixed-rank pseudo-inverse's
    a = np.outer([1.0, 2.0, 3.0], [1.0, 1.0])
    assert ag.gradcheck(lambda b: ag.linalg.lstsq(a, b).x, np.array([1.0, 0.5, -1.0]))


def test_expm_matches_scipy_across_scales_and_keeps_float32():
    rng = np.random.default_rng(4)
    for scale in (1e-3, 0.5, 10.0, 60.0):
        a = rng.standard_normal((2, 3, 3)) * scale
        np.testing.assert_allclose(ag.linalg.expm(a).numpy(), sl.expm(a), rtol=1e-11, atol=1e-300)
    out = ag.linalg.expm(np.eye(2, dtype=np.float32))
    assert out.dtype == np.float32
    # the Frechet derivative of a commuting direction: d/dt expm(a + t a) = expm(a) a
    a = rng.standard_normal((3, 3))
    np.testing.assert_allclose(ag.jvp(ag.linalg.expm, (a,), (a,))[1].numpy(), sl.expm(a) @ a, atol=1e-11)


def test_matrix_power_and_norm_orders_match_numpy():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    for n in (-2, -1, 0, 1, 2, 5):
        np.testing.assert_allclose(ag.linalg.matrix_power(a, n).numpy(), np.linalg.matrix_power(a, n), atol=1e-10)
    for order in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        assert ag.linalg.norm(a, order).item() == pytest.approx(np.linalg.norm(a, order), rel=1e-12)
    v = np.array([3.0, -4.0, 0.0])
    for order in (None, 0, 1, 2, 3, 0.5, np.inf, -np.inf):
        assert ag.linalg.norm(v, order).item() == pytest.approx(np.linalg.norm(v, order), rel=1e-12)
    assert ag.linalg.vector_norm(a, ord=1).item() == 10.0
    np.testing.assert_allclose(ag.linalg.matrix_norm(np.stack([a, 2 * a]), ord="nuc").numpy(),
                               np.linalg.norm(np.stack([a, 2 * a]), ord="nuc", axis=(-2, -1)))


def test_vmap_of_vmap_and_per_example_gradients_through_linalg():
    rng = np.random.default_rng(5)
    b = rng.standard_normal((2, 3, 4, 4))
    spd = b @ np.swapaxes(b, -1, -2) + 4 * np.eye(4)

    def logdet(a):
        return 2.0 * ag.sum(ag.log(ag.linalg.diagonal(ag.linalg.cholesky(a))))

    out = ag.vmap(ag.vmap(logdet))(spd)
    np.testing.assert_allclose(out.numpy(), np.linalg.slogdet(spd)[1], rtol=1e-12)
    grads = ag.vmap(ag.vmap(ag.grad(logdet)))(spd).numpy()
    expected = np.linalg.inv(spd)
    np.testing.assert_allclose(grads, np.tril(expected + np.swapaxes(expected, -1, -2), -1)
                               + expected * np.eye(4), rtol=1e-10, atol=1e-12)
    w = ag.vmap(lambda a: ag.linalg.eigh(a).eigenvalues, in_axes=1)(spd)
    np.testing.assert_allclose(w.numpy(), np.swapaxes(np.linalg.eigvalsh(spd), 0, 1), rtol=1e-12)


def test_numpy_functions_on_tensors_run_the_differentiable_ops():
    x = ag.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    y = np.linalg.slogdet(x).logabsdet + np.linalg.norm(x, 2) + np.trace(np.linalg.inv(x))
    y.backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("call, error, message", [
    (lambda: ag.linalg.inv(np.ones((2, 3))), ValueError, r"linalg.inv: a must be square .* \(2, 3\)"),
    (lambda: ag.linalg.inv(np.ones(3)), ValueError, r"linalg.inv: a must have at least 2 dimensions"),
    (lambda: ag.linalg.inv(np.zeros((2, 2))), np.linalg.LinAlgError, r"linalg.inv: Singular matrix"),
    (lambda: ag.linalg.cholesky(-np.eye(2)), np.linalg.LinAlgError, r"linalg.cholesky: .*positive definite"),
    (lambda: ag.linalg.solve(np.eye(2), np.ones(3)), ValueError, r"linalg.solve: b of shape \(3,\) does not match"),
    (lambda: ag.linalg.triangular_solve(np.eye(2), np.ones(2), trans="X"), ValueError, r"trans must be 0, 1, 2"),
    (lambda: ag.linalg.cho_solve(np.eye(2), np.ones(2)), TypeError, r"cho_solve: expected \(c, lower\)"),
    (lambda: ag.linalg.matrix_power(np.eye(2), 1.5), TypeError, r"matrix_power: n must be an integer"),
    (lambda: ag.linalg.norm(np.ones((2, 2)), "bad"), ValueError, r"invalid norm order 'bad' for matrices"),
    (lambda: ag.linalg.norm(np.ones(3), "fro"), ValueError, r"invalid norm order 'fro' for vectors"),
    (lambda: ag.linalg.eigh(np.eye(2), "X"), ValueError, r"UPLO must be 'L' or 'U'"),
    (lambda: ag.linalg.qr(np.eye(2), "raw"), ValueError, r"mode must be one of .*'raw' has no derivative"),
    (lambda: ag.linalg.svd(np.eye(2), hermitian=True), ValueError, r"hermitian=True is not supported"),
    (lambda: ag.diagonal(np.ones((2, 2)), axis1=1, axis2=1), ValueError, r"axis1 and axis2 cannot be the same"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
