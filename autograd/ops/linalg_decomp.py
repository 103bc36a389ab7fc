"""Matrix decompositions with derivatives: eigh, svd, qr (batched over leading axes as numpy's linalg).

Each is one primitive whose forward packs the factors into one array (the engine's primitives have one
output); the public function unpacks them and returns numpy's named tuple. The vjp and jvp are the
standard matrix-calculus formulas, written with autograd ops so that they can be differentiated again.

Where the derivative is undefined (equal eigenvalues or singular values, zero singular values, a
rank-deficient QR) the docstrings say what is returned.

Example:
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> ag.grad(lambda a: ag.linalg.eigh(a).eigenvalues[1])(a)     # v v^T of the top eigenvector, lower triangle
    Tensor([[0.2763932 , 0.        ],
            [0.89442719, 0.7236068 ]])
"""
import collections

import numpy as np

from ..batching import shape_of
from ..primitive import Primitive, apply, defbatch, defjvp, defvjp
from ._linalg_util import (as_input, batched_call, check_matrix, check_real, const, dtype_of, eye, leading_rule, mT,
                           sym_from_triangle, sym_from_triangle_adjoint, tri)
from ._make import raw
from .elementwise import add, divide, multiply, subtract, where
from .linalg import matmul
from .linalg_solve import _trisolve
from .reductions import sum as _sum
from .shape import concatenate, expand_dims, getitem, reshape

__all__ = ["eigh", "eigvalsh", "svd", "svdvals", "qr"]

EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = collections.namedtuple("QRResult", ["Q", "R"])

_ELL = Ellipsis


def _inverse_gaps(w, square):
    """F[i, j] = 1 / (w_j - w_i) (of the squares with ``square``), and 0 on the diagonal and wherever the two
    values are equal to working precision (there the derivative is undefined; see the docstrings)."""
    v = multiply(w, w) if square else w
    diff = subtract(expand_dims(v, -2), expand_dims(v, -1))
    vd = raw(v)
    n = vd.shape[-1]
    scale = np.max(np.abs(vd), axis=-1, keepdims=True)[..., None] if vd.size else np.zeros(vd.shape[:-1] + (1, 1))
    tol = np.finfo(vd.dtype).eps * max(n, 1) * np.maximum(scale, np.finfo(vd.dtype).tiny)
    ok = np.abs(raw(diff)) > tol
    okt = const(ok, bool)
    safe = where(okt, diff, const(1.0, vd.dtype))
    return where(okt, divide(const(1.0, vd.dtype), safe), const(0.0, vd.dtype))


def _diag_matrix(d):
    """diag(d) for a stack of vectors d (..., n)."""
    n = shape_of(d)[-1]
    return multiply(expand_dims(d, -2), eye(n, dtype_of(d)))


def _diag_part(x):
    """The diagonal of each matrix in a stack (..., n, n) -> (..., n)."""
    n = shape_of(x)[-1]
    return _sum(multiply(x, eye(n, dtype_of(x))), axis=-1)


# -- eigh -----------------------------------------------------------------------------------------------
def _eigh_np(a, lower=True):
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return np.concatenate([w[..., None, :], v], axis=-2)


_eigh_prim = Primitive(_eigh_np, "eigh")


def _eigh_parts(packed):
    return getitem(packed, (_ELL, 0, slice(None))), getitem(packed, (_ELL, slice(1, None), slice(None)))


def _eigh_jvp(t, ans, a, lower=True):
    w, v = _eigh_parts(ans)
    m = matmul(mT(v), matmul(sym_from_triangle(t, lower), v))
    dw = _diag_part(m)
    dv = matmul(v, multiply(_inverse_gaps(w, False), m))
    return concatenate([expand_dims(dw, -2), dv], axis=-2)


def _eigh_vjp(g, ans, a, lower=True):
    w, v = _eigh_parts(ans)
    gw, gv = _eigh_parts(g)
    inner = add(_diag_matrix(gw), multiply(_inverse_gaps(w, False), matmul(mT(v), gv)))
    return sym_from_triangle_adjoint(matmul(v, matmul(inner, mT(v))), lower)


defvjp(_eigh_prim, _eigh_vjp)
defjvp(_eigh_prim, _eigh_jvp)
defbatch(_eigh_prim, leading_rule(lambda a, **kw: apply(_eigh_prim, (a,), kw), (2,)))


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of each symmetric matrix in ``a``, as
    ``np.linalg.eigh``: a named tuple ``(eigenvalues, eigenvectors)``.

    Only the triangle named by ``UPLO`` is read (as numpy), and the gradient lies in that triangle (see
    ``cholesky``). Where two eigenvalues are equal (to working precision) the eigenvectors of that
    eigenvalue are not unique and their derivative does not exist: the terms ``1 / (w_j - w_i)`` of those
    pairs are taken as 0, which gives the exact gradient of every function that depends on the
    eigenvectors only through the eigenspaces (``v f(w) v^T``, projectors) and of the eigenvalues.

    Example:
        >>> w, v = ag.linalg.eigh(ag.tensor([[2.0, 0.0], [0.0, 1.0]]))
        >>> w
        Tensor([1., 2.])
    """
    out = batched_call(eigh, a, UPLO)
    if out is not None:
        return EighResult(*out)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', received {UPLO!r}")
    a = as_input(a)
    check_real("eigh", a)
    check_matrix("eigh", shape_of(a), square=True)
    return EighResult(*_eigh_parts(apply(_eigh_prim, (a,), {"lower": UPLO == "L"})))


def eigvalsh(a, UPLO="L"):
    """The eigenvalues (ascending) of each symmetric matrix in ``a``, as ``np.linalg.eigvalsh``; their
    gradient is ``v_i v_i^T`` in the triangle read (see ``eigh``).

    Example:
        >>> ag.linalg.eigvalsh(ag.tensor([[2.0, 1.0], [1.0, 2.0]]))
        Tensor([1., 3.])
    """
    return eigh(a, UPLO).eigenvalues


# -- svd ------------------------------------------------------------------------------------------------
def _svd_sizes(shape, full_matrices):
    m, n = shape[-2:]
    k = min(m, n)
    return m, n, k, (m if full_matrices else k), (n if full_matrices else k)


def _svd_np(a, full_matrices=False):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    lead = a.shape[:-2]
    return np.concatenate([u.reshape(lead + (-1,)), s, vh.reshape(lead + (-1,))], axis=-1)


_svd_prim = Primitive(_svd_np, "svd")


def _svd_parts(packed, shape, full_matrices, reduced=True):
    """U, s, Vh from the packed array; with ``reduced``, only the first k columns of U and rows of Vh."""
    m, n, k, ku, kv = _svd_sizes(shape, full_matrices)
    lead = tuple(shape_of(packed))[:-1]
    u = reshape(getitem(packed, (_ELL, slice(0, m * ku))), lead + (m, ku))
    s = getitem(packed, (_ELL, slice(m * ku, m * ku + k)))
    vh = reshape(getitem(packed, (_ELL, slice(m * ku + k, None))), lead + (kv, n))
    if reduced and ku != k:
        u = getitem(u, (_ELL, slice(None), slice(0, k)))
    if reduced and kv != k:
        vh = getitem(vh, (_ELL, slice(0, k), slice(None)))
    return u, s, vh


def _inverse_or_zero(s):
    sd = raw(s)
    big = sd.max(axis=-1, keepdims=True) if sd.shape[-1] else np.zeros(sd.shape[:-1] + (1,))
    ok = sd > np.finfo(sd.dtype).eps * max(sd.shape[-1], 1) * big
    okt = const(ok, bool)
    return where(okt, divide(const(1.0, sd.dtype), where(okt, s, const(1.0, sd.dtype))), const(0.0, sd.dtype))


def _svd_jvp(t, ans, a, full_matrices=False):
    shape = tuple(shape_of(a))
    m, n, k, ku, kv = _svd_sizes(shape, full_matrices)
    u, s, vh = _svd_parts(ans, shape, full_matrices)
    v = mT(vh)
    dp = matmul(mT(u), matmul(t, v))
    ds = _diag_part(dp)
    f = _inverse_gaps(s, True)
    s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)       # X * s_row: X S;  s_col * X: S X
    du = matmul(u, multiply(f, add(multiply(dp, s_row), multiply(s_col, mT(dp)))))
    dv = matmul(v, multiply(f, add(multiply(s_col, dp), multiply(mT(dp), s_row))))
    sinv = expand_dims(_inverse_or_zero(s), -2)
    dt = dtype_of(t)
    if m > k:
        du = add(du, matmul(subtract(eye(m, dt), matmul(u, mT(u))), multiply(matmul(t, v), sinv)))
    if n > k:
        dv = add(dv, matmul(subtract(eye(n, dt), matmul(v, mT(v))), multiply(matmul(mT(t), u), sinv)))
    dvh = mT(dv)
    lead = tuple(shape_of(du))[:-2]
    if ku > k:        # the columns completing U to a basis: constant (see svd's docstring)
        du = concatenate([du, const(np.zeros(lead + (m, ku - k)), dt)], axis=-1)
    if kv > k:
        dvh = concatenate([dvh, const(np.zeros(lead + (kv - k, n)), dt)], axis=-2)
    return concatenate([reshape(du, lead + (-1,)), ds, reshape(dvh, lead + (-1,))], axis=-1)


def _svd_vjp(g, ans, a, full_matrices=False):
    shape = tuple(shape_of(a))
    m, n, k, ku, kv = _svd_sizes(shape, full_matrices)
    u, s, vh = _svd_parts(ans, shape, full_matrices)
    gu, gs, gvh = _svd_parts(g, shape, full_matrices)
    v, gv = mT(vh), mT(gvh)
    f = _inverse_gaps(s, True)
    j = multiply(f, matmul(mT(u), gu))
    kk = multiply(f, matmul(mT(v), gv))
    s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)
    inner = add(add(_diag_matrix(gs), multiply(add(j, mT(j)), s_row)), multiply(s_col, add(kk, mT(kk))))
    out = matmul(u, matmul(inner, vh))
    sinv = expand_dims(_inverse_or_zero(s), -2)
    dt = dtype_of(g)
    if m > k:
        out = add(out, matmul(matmul(subtract(eye(m, dt), matmul(u, mT(u))), multiply(gu, sinv)), vh))
    if n > k:
        out = add(out, matmul(multiply(u, sinv), matmul(mT(gv), subtract(eye(n, dt), matmul(v, vh)))))
    return out


defvjp(_svd_prim, _svd_vjp)
defjvp(_svd_prim, _svd_jvp)
defbatch(_svd_prim, leading_rule(lambda a, **kw: apply(_svd_prim, (a,), kw), (2,)))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The singular value decomposition of each matrix in ``a`` (..., m, n), as ``np.linalg.svd``:
    ``(U, S, Vh)`` with ``a = U @ diag(S) @ Vh`` (a named tuple), or only ``S`` with ``compute_uv=False``.

    Derivatives: where two singular values are equal the singular vectors are not unique; the terms
    ``1 / (s_j^2 - s_i^2)`` of those pairs are taken as 0 (exact for functions of the singular values and
    of the singular subspaces); where a singular value is 0 the terms ``1 / s_i`` are taken as 0. With
    ``full_matrices=True`` and m != n, the extra columns of ``U`` (rows of ``Vh``) are an arbitrary basis of
    a complement: they are held constant (their tangent is 0 and their cotangent is ignored, as torch does).
    The singular values alone always have the gradient ``U diag(g) Vh``.

    Example:
        >>> ag.linalg.svd(ag.tensor([[3.0, 0.0], [0.0, -2.0]]), compute_uv=False)
        Tensor([3., 2.])
    """
    if hermitian:
        raise ValueError("linalg.svd: hermitian=True is not supported; use linalg.eigh for symmetric matrices")
    out = batched_call(svd, a, full_matrices, compute_uv)
    if out is not None:
        return SVDResult(*out) if compute_uv else out
    a = as_input(a)
    shape = tuple(shape_of(a))
    check_real("svd", a)
    check_matrix("svd", shape)
    full = bool(full_matrices) and compute_uv
    packed = apply(_svd_prim, (a,), {"full_matrices": full})
    u, s, vh = _svd_parts(packed, shape, full, reduced=False)
    return SVDResult(u, s, vh) if compute_uv else s


def svdvals(x):
    """The singular values of each matrix (descending), as ``np.linalg.svdvals``.

    Example:
        >>> ag.linalg.svdvals(ag.tensor([[0.0, 2.0], [1.0, 0.0]]))
        Tensor([2., 1.])
    """
    return svd(x, compute_uv=False)


# -- qr -------------------------------------------------------------------------------------------------
def _qr_np(a, complete=False):
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    lead = a.shape[:-2]
    return np.concatenate([q.reshape(lead + (-1,)), r.reshape(lead + (-1,))], axis=-1)


_qr_prim = Primitive(_qr_np, "qr")


def _qr_parts(packed, shape, complete, reduced=True):
    m, n = shape[-2:]
    kq = m if complete else n              # the primitive is used with m >= n only
    lead = tuple(shape_of(packed))[:-1]
    q = reshape(getitem(packed, (_ELL, slice(0, m * kq))), lead + (m, kq))
    r = reshape(getitem(packed, (_ELL, slice(m * kq, None))), lead + (kq, n))
    if reduced and kq != n:
        q = getitem(q, (_ELL, slice(None), slice(0, n)))
        r = getitem(r, (_ELL, slice(0, n), slice(None)))
    return q, r


def _right_solve_r(x, r, trans):
    """x R^-1 (or x R^-T with ``trans``) for the upper-triangular R."""
    return mT(_trisolve(r, mT(x), False, not trans, False))


def _qr_jvp(t, ans, a, complete=False):
    shape = tuple(shape_of(a))
    m, n = shape[-2:]
    q, r = _qr_parts(ans, shape, complete)
    dt = dtype_of(t)
    c = matmul(mT(q), _right_solve_r(t, r, False))
    low = multiply(c, tri(n, -1, dt))
    omega = subtract(low, mT(low))
    dr = matmul(subtract(c, omega), r)
    dq = add(subtract(_right_solve_r(t, r, False), matmul(q, c)), matmul(q, omega))
    lead = tuple(shape_of(dq))[:-2]
    if complete and m > n:        # the columns completing Q, and R's zero rows: constant
        dq = concatenate([dq, const(np.zeros(lead + (m, m - n)), dt)], axis=-1)
        dr = concatenate([dr, const(np.zeros(lead + (m - n, n)), dt)], axis=-2)
    return concatenate([reshape(dq, lead + (-1,)), reshape(dr, lead + (-1,))], axis=-1)


def _qr_vjp(g, ans, a, complete=False):
    shape = tuple(shape_of(a))
    n = shape[-1]
    q, r = _qr_parts(ans, shape, complete)
    gq, gr = _qr_parts(g, shape, complete)
    dt = dtype_of(g)
    mm = subtract(matmul(gr, mT(r)), matmul(mT(q), gq))
    up = multiply(mm, mT(tri(n, 0, dt)))                                    # triu(M)
    sym = add(up, mT(multiply(mm, mT(tri(n, -1, dt)))))                     # triu(M) + triu(M, 1)^T
    return _right_solve_r(add(gq, matmul(q, sym)), r, True)


defvjp(_qr_prim, _qr_vjp)
defjvp(_qr_prim, _qr_jvp)
defbatch(_qr_prim, leading_rule(lambda a, **kw: apply(_qr_prim, (a,), kw), (2,)))

_QR_MODES = ("reduced", "complete", "r")


def qr(a, mode="reduced"):
    """The QR decomposition of each matrix in ``a`` (..., m, n), as ``np.linalg.qr``: ``(Q, R)`` (a named
    tuple) for ``mode='reduced'`` or ``'complete'``, ``R`` alone for ``mode='r'``.

    Derivatives need R invertible (``a`` of full column rank for m >= n, its first m columns for m < n);
    a rank-deficient ``a`` raises numpy's LinAlgError in the derivative. With ``mode='complete'`` and m > n,
    the columns of Q beyond n (a basis of the complement) and R's zero rows are held constant.

    Example:
        >>> q, r = ag.linalg.qr(ag.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> r
        Tensor([[-5. , -2.2],
                [ 0. ,  0.4]])
    """
    if mode not in _QR_MODES:
        raise ValueError(f"linalg.qr: mode must be one of {_QR_MODES} (mode='raw' has no derivative), "
                         f"received {mode!r}")
    out = batched_call(qr, a, mode)
    if out is not None:
        return QRResult(*out) if mode != "r" else out
    a = as_input(a)
    shape = tuple(shape_of(a))
    check_real("qr", a)
    check_matrix("qr", shape)
    m, n = shape[-2:]
    if m < n:
        # a = [x y] with x square: Q R1 = x (the same Householder steps numpy takes), R2 = Q^T y
        q, r1 = qr(getitem(a, (_ELL, slice(None), slice(0, m))))
        r = concatenate([r1, matmul(mT(q), getitem(a, (_ELL, slice(None), slice(m, None))))], axis=-1)
    else:
        q, r = _qr_parts(apply(_qr_prim, (a,), {"complete": mode == "complete"}), shape, mode == "complete",
                         reduced=False)
    return r if mode == "r" else QRResult(q, r)
