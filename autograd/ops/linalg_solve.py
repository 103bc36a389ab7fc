"""Linear systems and determinants, batched over leading axes as numpy's linalg: inv, solve,
triangular_solve, cholesky, cho_solve, det, slogdet, pinv, lstsq. Each primitive has its vjp, jvp and
batching rule side by side; the rules are written with these same ops (triangular solves, products), so
they can be differentiated again.

Example:
    >>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> ag.grad(lambda a: ag.linalg.slogdet(a).logabsdet)(a)       # inv(a)^T
    Tensor([[ 0.27272727, -0.09090909],
            [-0.09090909,  0.36363636]])
"""
import collections

import numpy as np

from ..batching import Batched, shape_of, to_front
from ..primitive import Primitive, apply, defbatch, defjvp, defvjp
from ._linalg_util import (as_input, batched_call, check_matrix, check_real, const, dtype_of, eye, leading_rule, mT,
                           sym_from_triangle, sym_from_triangle_adjoint, tri)
from ._make import raw
from .elementwise import add, multiply, negative, subtract, where
from .linalg import matmul
from .reductions import sum as _sum
from ..tensor import make_leaf
from .shape import expand_dims, getitem, reshape

__all__ = ["inv", "solve", "triangular_solve", "cholesky", "cho_solve", "det", "slogdet", "pinv", "lstsq"]

SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])
LstsqResult = collections.namedtuple("LstsqResult", ["x", "residuals", "rank", "singular_values"])


def _named(name, fn, *args, **kwargs):
    """numpy's LinAlgError with the op's name and the shapes in front."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as e:
        raise np.linalg.LinAlgError(f"linalg.{name}: {e} (shapes {[np.shape(a) for a in args]})") from None


def _as_matrix_column(b):
    """A vector right-hand side (numpy treats ``b`` as a vector exactly when it is 1-d) as a column."""
    return reshape(b, tuple(shape_of(b)) + (1,))


# -- inv ------------------------------------------------------------------------------------------------
_inv_prim = Primitive(lambda a: _named("inv", np.linalg.inv, a), "inv")
defvjp(_inv_prim, lambda g, ans, a: negative(matmul(mT(ans), matmul(g, mT(ans)))))
defjvp(_inv_prim, lambda t, ans, a: negative(matmul(ans, matmul(t, ans))))


def inv(a):
    """The inverse of each square matrix in ``a`` (shape (..., n, n)), as ``np.linalg.inv``.

    A singular matrix raises numpy's LinAlgError (naming the op), in the forward pass as numpy does.

    Example:
        >>> ag.linalg.inv(ag.tensor([[2.0, 0.0], [0.0, 4.0]]))
        Tensor([[0.5 , 0.  ],
                [0.  , 0.25]])
    """
    a = as_input(a)
    check_matrix("inv", shape_of(a), square=True)
    return apply(_inv_prim, (a,), {})


defbatch(_inv_prim, leading_rule(inv, (2,)))


# -- solve ----------------------------------------------------------------------------------------------
def _solve_np(a, b):
    return _named("solve", np.linalg.solve, a, b)


_solve_prim = Primitive(_solve_np, "solve")


def _solve_matrix(a, b):
    return apply(_solve_prim, (a, b), {})


def _solve_vjp_b(g, ans, a, b):
    return _solve_matrix(mT(a), g)


def _solve_vjp_a(g, ans, a, b):
    return negative(matmul(_solve_matrix(mT(a), g), mT(ans)))


defvjp(_solve_prim, _solve_vjp_a, _solve_vjp_b)
defjvp(_solve_prim, lambda t, ans, a, b: negative(_solve_matrix(a, matmul(t, ans))),
       lambda t, ans, a, b: _solve_matrix(a, t))
defbatch(_solve_prim, leading_rule(_solve_matrix, (2, 2)))


def solve(a, b):
    """Solve ``a @ x = b`` for ``x``, as ``np.linalg.solve``: ``a`` (..., n, n); ``b`` a vector (n,) when
    it is 1-d, else a stack of matrices (..., n, k); leading axes broadcast.

    Example:
        >>> ag.linalg.solve(ag.tensor([[2.0, 0.0], [0.0, 4.0]]), ag.tensor([1.0, 1.0]))
        Tensor([0.5 , 0.25])
    """
    a, b = as_input(a), as_input(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    check_matrix("solve", sa, square=True)
    if len(sb) == 1:
        if sb[0] != sa[-1]:
            raise ValueError(f"linalg.solve: b of shape {sb} does not match a of shape {sa}")
        x = _solve_matrix(a, _as_matrix_column(b))
        return reshape(x, tuple(shape_of(x))[:-1])
    check_matrix("solve", sb, what="b")
    if sb[-2] != sa[-1]:
        raise ValueError(f"linalg.solve: b of shape {sb} does not match a of shape {sa} (b's second-to-last axis "
                         f"must be n = {sa[-1]}; a 1-d b is a vector)")
    return _solve_matrix(a, b)


# -- triangular_solve -----------------------------------------------------------------------------------
def _triangle_np(a, lower, unit_diagonal):
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        n = a.shape[-1]
        t = t * (1 - np.eye(n, dtype=a.dtype)) + np.eye(n, dtype=a.dtype)
    return t


def _trisolve_np(a, b, lower=False, trans=False, unit_diagonal=False):
    # NOTE: numpy has no triangular solver, and scipy is not a run-time dependency: the triangle is solved by
    # LU (np.linalg.solve), O(n^3) rather than O(n^2), with the same result to rounding.
    t = _triangle_np(a, lower, unit_diagonal)
    if trans:
        t = np.swapaxes(t, -1, -2)
    return _named("triangular_solve", np.linalg.solve, t, b)


_trisolve_prim = Primitive(_trisolve_np, "triangular_solve")


def _tri_mask(n, lower, unit_diagonal, dtype):
    """The entries of ``a`` that triangular_solve reads, as a constant 0/1 mask."""
    m = np.tri(n, n, -1 if unit_diagonal else 0)
    return const(m if lower else m.T, dtype)


def _trisolve(a, b, lower, trans, unit_diagonal):
    return apply(_trisolve_prim, (a, b), {"lower": lower, "trans": trans, "unit_diagonal": unit_diagonal})


def _trisolve_vjp_b(g, ans, a, b, lower=False, trans=False, unit_diagonal=False):
    return _trisolve(a, g, lower, not trans, unit_diagonal)


def _trisolve_vjp_a(g, ans, a, b, lower=False, trans=False, unit_diagonal=False):
    gm = negative(matmul(_trisolve(a, g, lower, not trans, unit_diagonal), mT(ans)))   # d/d op(T(a))
    if trans:
        gm = mT(gm)
    return multiply(gm, _tri_mask(shape_of(a)[-1], lower, unit_diagonal, dtype_of(gm)))


def _trisolve_jvp_a(t, ans, a, b, lower=False, trans=False, unit_diagonal=False):
    dt = multiply(t, _tri_mask(shape_of(a)[-1], lower, unit_diagonal, dtype_of(t)))
    if trans:
        dt = mT(dt)
    return negative(_trisolve(a, matmul(dt, ans), lower, trans, unit_diagonal))


defvjp(_trisolve_prim, _trisolve_vjp_a, _trisolve_vjp_b)
defjvp(_trisolve_prim, _trisolve_jvp_a,
       lambda t, ans, a, b, lower=False, trans=False, unit_diagonal=False: _trisolve(a, t, lower, trans, unit_diagonal))
defbatch(_trisolve_prim, leading_rule(lambda a, b, **kw: apply(_trisolve_prim, (a, b), kw), (2, 2)))

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def triangular_solve(a, b, lower=False, trans=0, unit_diagonal=False):
    """Solve ``op(T) x = b`` where ``T`` is the lower (``lower=True``) or upper triangle of ``a`` and ``op``
    is the identity (``trans=0`` / 'N') or the transpose (1 / 'T', 2 / 'C'), as ``scipy.linalg.solve_triangular``;
    only that triangle of ``a`` is read (and gets a gradient); ``unit_diagonal`` takes its diagonal as ones.
    Batched over leading axes; ``b`` is a vector when 1-d, else (..., n, k).

    Example:
        >>> L = ag.tensor([[2.0, 0.0], [1.0, 1.0]])
        >>> ag.linalg.triangular_solve(L, ag.tensor([2.0, 3.0]), lower=True)
        Tensor([1., 2.])
    """
    if trans not in _TRANS:
        raise ValueError(f"linalg.triangular_solve: trans must be 0, 1, 2, 'N', 'T' or 'C', received {trans!r}")
    a, b = as_input(a), as_input(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    check_matrix("triangular_solve", sa, square=True)
    if trans in (2, "C"):
        check_real("triangular_solve (trans='C')", a)
    opts = (bool(lower), _TRANS[trans], bool(unit_diagonal))
    if len(sb) == 1:
        if sb[0] != sa[-1]:
            raise ValueError(f"linalg.triangular_solve: b of shape {sb} does not match a of shape {sa}")
        x = _trisolve(a, _as_matrix_column(b), *opts)
        return reshape(x, tuple(shape_of(x))[:-1])
    check_matrix("triangular_solve", sb, what="b")
    if sb[-2] != sa[-1]:
        raise ValueError(f"linalg.triangular_solve: b of shape {sb} does not match a of shape {sa}")
    return _trisolve(a, b, *opts)


# -- cholesky -------------------------------------------------------------------------------------------
def _cholesky_np(a, upper=False):
    if upper:        # the factor of the upper triangle, U = L^T (numpy's upper=, also on numpy 1.x)
        return np.swapaxes(_named("cholesky", np.linalg.cholesky, np.swapaxes(a, -1, -2)), -1, -2)
    return _named("cholesky", np.linalg.cholesky, a)


_cholesky_prim = Primitive(_cholesky_np, "cholesky")


def _phi(x):
    """The strictly lower triangle of x plus half its diagonal."""
    n = shape_of(x)[-1]
    dt = dtype_of(x)
    return add(multiply(x, tri(n, -1, dt)), multiply(x, const(0.5 * np.eye(n), dt)))


def _cholesky_jvp(t, ans, a, upper=False):
    # dL = L phi(L^-1 dS L^-T), dS the symmetric matrix read from the triangle (Murray 2016, eq. 8)
    L = mT(ans) if upper else ans
    ds = sym_from_triangle(t, lower=not upper)
    y = _trisolve(L, ds, True, False, False)
    x = mT(_trisolve(L, mT(y), True, False, False))
    dl = matmul(L, _phi(x))
    return mT(dl) if upper else dl


def _cholesky_vjp(g, ans, a, upper=False):
    # the transpose of the jvp: P = L^-T phi(L^T G) L^-1, then into the triangle read
    L = mT(ans) if upper else ans
    gl = mT(g) if upper else g
    z = _phi(matmul(mT(L), gl))
    w = _trisolve(L, z, True, True, False)
    p = mT(_trisolve(L, mT(w), True, True, False))
    return sym_from_triangle_adjoint(p, lower=not upper)


defvjp(_cholesky_prim, _cholesky_vjp)
defjvp(_cholesky_prim, _cholesky_jvp)


def cholesky(a, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix in ``a``, as ``np.linalg.cholesky``:
    ``L`` lower-triangular with ``a = L @ L.T`` (or, with ``upper=True``, ``U = L.T``).

    As numpy (LAPACK) does, only the lower triangle of ``a`` is read (the upper one with ``upper=True``):
    the gradient is that of this function, so it lies in that triangle, each off-diagonal entry carrying
    the gradient of both mirror entries. For an ``a`` built symmetric from parameters, the parameters'
    gradients are those of the symmetric formulas. A matrix that is not positive definite raises
    numpy's LinAlgError.

    Example:
        >>> ag.linalg.cholesky(ag.tensor([[4.0, 2.0], [2.0, 5.0]]))
        Tensor([[2., 0.],
                [1., 2.]])
    """
    a = as_input(a)
    check_real("cholesky", a)
    check_matrix("cholesky", shape_of(a), square=True)
    return apply(_cholesky_prim, (a,), {"upper": bool(upper)})


defbatch(_cholesky_prim, leading_rule(cholesky, (2,)))


def cho_solve(c_and_lower, b):
    """Solve ``a x = b`` given the Cholesky factor of ``a``, as ``scipy.linalg.cho_solve``:
    ``c_and_lower = (c, lower)``, ``c`` the factor (lower: ``a = c c^T``; upper: ``a = c^T c``).
    Two triangular solves, so the gradient flows to ``c`` and to ``b``.

    Example:
        >>> L = ag.linalg.cholesky(ag.tensor([[4.0, 2.0], [2.0, 5.0]]))
        >>> ag.linalg.cho_solve((L, True), ag.tensor([6.0, 7.0]))
        Tensor([1., 1.])
    """
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise TypeError(f"linalg.cho_solve: expected (c, lower), the factor and whether it is lower-triangular, "
                        f"received {type(c_and_lower).__name__}")
    c, lower = c_and_lower
    c, b = as_input(c), as_input(b)
    check_real("cho_solve", c)
    vector = len(shape_of(b)) == 1
    if vector:       # a vector right-hand side stays one through both solves (not a stack of 1-row matrices)
        b = _as_matrix_column(b)
    if lower:
        x = triangular_solve(c, triangular_solve(c, b, lower=True), lower=True, trans=1)
    else:
        x = triangular_solve(c, triangular_solve(c, b, lower=False, trans=1), lower=False)
    return reshape(x, tuple(shape_of(x))[:-1]) if vector else x


# -- det / slogdet --------------------------------------------------------------------------------------
_det_prim = Primitive(lambda a: np.asarray(np.linalg.det(a)), "det")


def _adjugate_np(a):
    """adj(a) for each matrix of the stack, from the SVD (defined at singular matrices too)."""
    u, s, vh = np.linalg.svd(a)
    n = a.shape[-1]
    others = np.where(np.eye(n, dtype=bool), 1.0, s[..., None, :])            # row i: s with s_i -> 1
    cof = np.prod(others, axis=-1)                                             # prod_{j != i} s_j
    sign = np.linalg.det(u) * np.linalg.det(vh)         # adj(M) = det(M) M^H for the unitary factors
    vh_h, u_h = np.conj(np.swapaxes(vh, -1, -2)), np.conj(np.swapaxes(u, -1, -2))
    return sign[..., None, None] * vh_h @ (cof[..., :, None] * u_h)


def _cofactor(a, ans):
    """The cofactor matrix adj(a)^T = det(a) inv(a)^T (the derivative of det), differentiable where a is
    invertible; at the singular matrices of the stack, the adjugate from the SVD as a constant."""
    singular = raw(ans) == 0
    if not singular.any():
        try:
            return multiply(expand_dims(expand_dims(ans, -1), -1), mT(inv(a)))
        except np.linalg.LinAlgError:        # det underflowed to a nonzero value but LU found a zero pivot
            singular = np.ones(singular.shape, bool)
    ad = raw(a)
    adj_t = const(np.swapaxes(_adjugate_np(ad if ad.dtype.kind == "c" else ad.astype(np.float64)), -1, -2), ad.dtype)
    if singular.all():
        return adj_t
    mask = const(singular[..., None, None], bool)
    safe = where(mask, eye(shape_of(a)[-1], dtype_of(a)), a)
    return where(mask, adj_t, multiply(expand_dims(expand_dims(ans, -1), -1), mT(inv(safe))))


defvjp(_det_prim, lambda g, ans, a: multiply(expand_dims(expand_dims(g, -1), -1), _cofactor(a, ans)))
defjvp(_det_prim, lambda t, ans, a: _sum(multiply(t, _cofactor(a, ans)), axis=(-2, -1)))


def det(a):
    """The determinant of each square matrix in ``a``, as ``np.linalg.det``.

    Its gradient is the cofactor matrix ``adj(a)^T`` (``det(a) inv(a)^T``), also at a singular matrix, where
    it is computed from the SVD (and is then held constant: derivatives of second order there are zero).

    Example:
        >>> ag.grad(ag.linalg.det)(np.array([[2.0, 1.0], [4.0, 2.0]]))      # singular: adj(a)^T
        Tensor([[ 2., -4.],
                [-1.,  2.]])
    """
    a = as_input(a)
    check_matrix("det", shape_of(a), square=True)
    return apply(_det_prim, (a,), {})


defbatch(_det_prim, leading_rule(det, (2,)))


def _slogdet_np(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.stack([np.asarray(sign, a.dtype), np.asarray(logabs, a.dtype)], axis=-1)


_slogdet_prim = Primitive(_slogdet_np, "slogdet")


def _inv_or_nan(a, ans):
    """inv(a), with NaN for the matrices of the stack that are singular (sign 0)."""
    singular = raw(ans)[..., 0] == 0
    if not singular.any():
        return inv(a)
    n = shape_of(a)[-1]
    mask = const(singular[..., None, None], bool)
    safe = where(mask, eye(n, dtype_of(a)), a)
    return where(mask, const(np.nan, dtype_of(a)), inv(safe))


def _slogdet_vjp(g, ans, a):
    gl = getitem(g, (Ellipsis, 1))
    return multiply(expand_dims(expand_dims(gl, -1), -1), mT(_inv_or_nan(a, ans)))


def _slogdet_jvp(t, ans, a):
    d = _sum(multiply(mT(_inv_or_nan(a, ans)), t), axis=(-2, -1))                    # trace(inv(a) t)
    return multiply(expand_dims(d, -1), const([0.0, 1.0], dtype_of(d)))


defvjp(_slogdet_prim, _slogdet_vjp)
defjvp(_slogdet_prim, _slogdet_jvp)
defbatch(_slogdet_prim, leading_rule(lambda a: apply(_slogdet_prim, (a,), {}), (2,)))


def slogdet(a):
    """Sign and log of the absolute determinant of each square matrix, as ``np.linalg.slogdet``: a named
    tuple ``(sign, logabsdet)``. ``sign`` carries no gradient; ``logabsdet``'s is ``inv(a)^T``. At an exactly
    singular matrix (sign 0, logabsdet -inf) that gradient does not exist and is returned as NaN.

    Example:
        >>> ag.linalg.slogdet(ag.tensor([[-2.0, 0.0], [0.0, 3.0]]))
        SlogdetResult(sign=Tensor(-1.), logabsdet=Tensor(1.79175947))
    """
    out = batched_call(slogdet, a)
    if out is not None:
        return out
    a = as_input(a)
    check_real("slogdet", a)
    check_matrix("slogdet", shape_of(a), square=True)
    packed = apply(_slogdet_prim, (a,), {})
    return SlogdetResult(getitem(packed, (Ellipsis, 0)).detach(), getitem(packed, (Ellipsis, 1)))


# -- pinv / lstsq ---------------------------------------------------------------------------------------
def _pinv_np(a, **options):
    return np.linalg.pinv(a, **options)


_pinv_prim = Primitive(_pinv_np, "pinv")


def _complements(a, p):
    """(I - a p, I - p a): the projectors onto the complements of a's range and row space."""
    m, n = shape_of(a)[-2:]
    dt = dtype_of(a)
    return subtract(eye(m, dt), matmul(a, p)), subtract(eye(n, dt), matmul(p, a))


def _pinv_jvp(t, ans, a, **options):
    # the derivative of the pseudo-inverse at fixed rank (Golub & Pereyra 1973)
    p = ans
    qa, qp = _complements(a, p)
    tt = mT(t)
    return add(add(negative(matmul(p, matmul(t, p))), matmul(matmul(p, mT(p)), matmul(tt, qa))),
               matmul(qp, matmul(tt, matmul(mT(p), p))))


def _pinv_vjp(g, ans, a, **options):
    p = ans
    qa, qp = _complements(a, p)
    gt = mT(g)
    return add(add(negative(matmul(mT(p), matmul(g, mT(p)))), matmul(qa, matmul(gt, matmul(p, mT(p))))),
               matmul(matmul(mT(p), p), matmul(gt, qp)))


defvjp(_pinv_prim, _pinv_vjp)
defjvp(_pinv_prim, _pinv_jvp)
defbatch(_pinv_prim, leading_rule(lambda a, **kw: apply(_pinv_prim, (a,), kw), (2,)))

_UNSET = object()


def pinv(a, rcond=None, hermitian=False, *, rtol=_UNSET):
    """The Moore-Penrose pseudo-inverse of each matrix in ``a`` (..., m, n), as ``np.linalg.pinv`` (same
    ``rcond`` / ``rtol`` cut-off of small singular values).

    The derivative is that of the pseudo-inverse at fixed rank (singular values below the cut-off stay
    zero); where the rank changes (a singular value crossing the cut-off) the pseudo-inverse is not
    continuous and this one-sided derivative is what is returned.

    Example:
        >>> ag.linalg.pinv(ag.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]))
        Tensor([[1. , 0. , 0. ],
                [0. , 0.5, 0. ]])
    """
    a = as_input(a)
    check_real("pinv", a)
    check_matrix("pinv", shape_of(a))
    opts = {}
    if rcond is not None:
        opts["rcond"] = rcond
    if hermitian:
        opts["hermitian"] = True
    if rtol is not _UNSET:
        opts["rtol"] = rtol
    return apply(_pinv_prim, (a,), opts)


def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a @ x = b``, as ``np.linalg.lstsq``: a named tuple ``(x, residuals,
    rank, singular_values)``. ``x = pinv(a) @ b`` with numpy's cut-off (``rcond``, default ``eps * max(m, n)``),
    so it has the pseudo-inverse's derivative; ``residuals`` (the squared residual norms, only when ``a`` has
    full column rank and more rows than columns, as numpy) and ``singular_values`` are differentiable too,
    ``rank`` is an integer. Stacks of matrices are accepted as well (``rank`` is then an array, and the
    residuals are returned when every matrix has full column rank).

    Example:
        >>> a = ag.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
        >>> ag.linalg.lstsq(a, ag.tensor([1.0, 2.0, 4.0])).x
        Tensor([0.83333333, 1.5       ])
    """
    vec = len(shape_of(b)) == 1
    return _lstsq(a, b, rcond, vec)


def _lstsq(a, b, rcond, vec):
    batched = [x for x in (a, b) if type(x) is Batched]
    if batched:        # inside ag.vmap: the examples become a leading axis of the stacks
        level = max(x.level for x in batched)

        def front(x):
            return to_front(x.val, x.bdim) if type(x) is Batched and x.level == level else x

        out = _lstsq(front(a), front(b), rcond, vec)
        a_mapped = type(a) is Batched and a.level == level

        def wrap(o, mapped=True):
            return Batched(o, 0, level) if mapped else o

        res = out.residuals
        res = wrap(res) if tuple(shape_of(res)) != (0,) else res
        rank = wrap(make_leaf(np.asarray(out.rank)), a_mapped) if a_mapped else out.rank
        return LstsqResult(wrap(out.x), res, rank, wrap(out.singular_values, a_mapped))
    from .linalg_decomp import svd
    a, b = as_input(a), as_input(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    check_real("lstsq", a)
    check_matrix("lstsq", sa)
    m, n = sa[-2:]
    if (vec and sb[-1] != m) or (not vec and (len(sb) < 2 or sb[-2] != m)):
        raise ValueError(f"linalg.lstsq: b of shape {sb} does not match a of shape {sa} (b needs {m} rows)")
    if vec:
        b = _as_matrix_column(b)
    dt = np.result_type(dtype_of(a), dtype_of(b))
    cut = np.finfo(dt).eps * max(m, n) if rcond is None else rcond
    s = svd(a, compute_uv=False)
    sd = raw(s)
    big = sd.max(axis=-1, keepdims=True) if sd.shape[-1] else np.zeros(sd.shape[:-1] + (1,))
    rank = np.sum(sd > cut * big, axis=-1)
    x = matmul(apply(_pinv_prim, (a,), {"rcond": cut}), b)
    if np.all(rank == n) and m > n:
        r = subtract(b, matmul(a, x))
        res = _sum(multiply(r, r), axis=-2)
    else:
        res = const(np.zeros((0,)), dt)
    if vec:
        x = reshape(x, tuple(shape_of(x))[:-1])
    return LstsqResult(x, res, int(rank) if np.ndim(rank) == 0 else rank, s)
