"""Matrix functions and norms: diagonal, trace, matrix_power, expm, norm (every order numpy has),
vector_norm, matrix_norm.

``diagonal`` and its transpose (writing a diagonal into zeros) are a pair of linear primitives, each the
other's vjp; ``expm`` is a primitive whose derivatives are read from the exponential of a block matrix
(``expm([[A, E], [0, A]])`` holds the Frechet derivative ``L(A, E)`` in its top-right block), so they
are exponentials again and can be differentiated to any order. The rest are compositions.

Example:
    >>> ag.linalg.trace(ag.tensor([[1.0, 2.0], [3.0, 4.0]]))
    Tensor(5.)
"""
import numpy as np

from ..batching import shape_of, to_front
from ..primitive import Primitive, apply, def_linear, defbatch, defjvp, defvjp
from ._linalg_util import as_input, check_matrix, const, dtype_of, eye, leading_rule, mT
from ._make import raw
from .elementwise import abs as _abs, not_equal, power
from .linalg import matmul
from .reductions import max as _max, min as _min, norm as _norm2, sum as _sum
from .shape import astype, broadcast_to, concatenate, getitem, reshape, transpose

# (``trace`` is not exported at the top level: ``ag.trace`` is the tracer; np.trace on Tensors runs it)
__all__ = ["diagonal"]
LINALG = ["diagonal", "trace", "matrix_power", "expm", "norm", "vector_norm", "matrix_norm"]


# -- diagonal -------------------------------------------------------------------------------------------
def _diag_index(shape, offset, axis1, axis2):
    n1, n2 = shape[axis1], shape[axis2]
    length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    k = np.arange(length)
    return k + max(-offset, 0), k + max(offset, 0)


def _diagonal_np(x, offset=0, axis1=0, axis2=1):
    return np.diagonal(x, offset, axis1, axis2).copy()


def _diag_scatter_np(g, shape=(), offset=0, axis1=0, axis2=1):
    out = np.zeros(shape, g.dtype)
    rows, cols = _diag_index(shape, offset, axis1, axis2)
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, cols] = g
    return out


_diagonal_prim = Primitive(_diagonal_np, "diagonal")
_diag_scatter_prim = Primitive(_diag_scatter_np, "diagonal_scatter")
defvjp(_diagonal_prim, lambda g, ans, x, **kw: apply(_diag_scatter_prim, (g,), dict(kw, shape=raw(x).shape)))
defvjp(_diag_scatter_prim, lambda g, ans, x, shape=(), **kw: apply(_diagonal_prim, (g,), kw))
def_linear(_diagonal_prim)
def_linear(_diag_scatter_prim)


def _diagonal_batch(args, dims, offset=0, axis1=0, axis2=1):
    return apply(_diagonal_prim, (to_front(args[0], dims[0]),),
                 {"offset": offset, "axis1": axis1 + 1, "axis2": axis2 + 1}), 0


def _diag_scatter_batch(args, dims, shape=(), offset=0, axis1=0, axis2=1):
    g = to_front(args[0], dims[0])
    size = shape_of(g)[0]
    return apply(_diag_scatter_prim, (g,), {"shape": (size,) + tuple(shape), "offset": offset,
                                            "axis1": axis1 + 1, "axis2": axis2 + 1}), 0


defbatch(_diagonal_prim, _diagonal_batch)
defbatch(_diag_scatter_prim, _diag_scatter_batch)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` of the 2-d slices over ``axis1`` and ``axis2``, as ``np.diagonal``: those two
    axes are removed and the diagonal becomes the last axis. (``ag.linalg.diagonal`` works on the last two
    axes, as ``np.linalg.diagonal``.)

    Example:
        >>> ag.diagonal(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), offset=1)
        Tensor([2.])
    """
    x = as_input(x)
    nd = len(shape_of(x))
    if nd < 2:
        raise ValueError(f"diagonal: expected an array of at least 2 dimensions, received shape {tuple(shape_of(x))}")
    a1, a2 = [int(a) for a in (axis1, axis2)]
    for a in (a1, a2):
        if not -nd <= a < nd:
            raise ValueError(f"diagonal: axis {a} is out of bounds for an array of {nd} dimensions")
    a1, a2 = a1 % nd, a2 % nd
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same axis ({axis1}, {axis2})")
    return apply(_diagonal_prim, (x,), {"offset": int(offset), "axis1": a1, "axis2": a2})


def trace(x, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum along the diagonal ``offset`` of the 2-d slices over ``axis1`` and ``axis2``, as ``np.trace`` (what
    ``np.trace`` runs on Tensors; ``ag.linalg.trace`` works on the last two axes, as ``np.linalg.trace``).

    Example:
        >>> np.trace(ag.tensor(np.arange(8.0).reshape(2, 2, 2)))       # over the first two axes
        Tensor([6., 8.])
    """
    out = _sum(diagonal(x, offset, axis1, axis2), axis=-1)
    return out if dtype is None else astype(out, dtype)


def linalg_diagonal(x, offset=0):
    """The diagonals of the matrices of a stack (the last two axes), as ``np.linalg.diagonal``.

    Example:
        >>> ag.linalg.diagonal(ag.tensor(np.arange(8.0).reshape(2, 2, 2)))
        Tensor([[0., 3.],
                [4., 7.]])
    """
    return diagonal(x, offset, -2, -1)


def linalg_trace(x, offset=0, dtype=None):
    """The traces of the matrices of a stack (the last two axes), as ``np.linalg.trace``.

    Example:
        >>> ag.linalg.trace(ag.tensor(np.arange(8.0).reshape(2, 2, 2)))
        Tensor([ 3., 11.])
    """
    return trace(x, offset, -2, -1, dtype)


linalg_diagonal.__name__ = "diagonal"
linalg_trace.__name__ = "trace"


# -- matrix_power ---------------------------------------------------------------------------------------
def matrix_power(a, n):
    """``a`` (a square matrix or a stack) to the integer power ``n``, as ``np.linalg.matrix_power``: repeated
    squaring with matmul; ``n = 0`` gives identities, ``n < 0`` powers of ``inv(a)``.

    Example:
        >>> ag.linalg.matrix_power(ag.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        Tensor([[1., 3.],
                [0., 1.]])
    """
    from .linalg_solve import inv
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg.matrix_power: n must be an integer, received {n!r}")
    a = as_input(a)
    shape = tuple(shape_of(a))
    check_matrix("matrix_power", shape, square=True)
    n = int(n)
    if n == 0:
        return broadcast_to(eye(shape[-1], dtype_of(a)), shape)
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while True:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            return result
        base = matmul(base, base)


# -- expm -----------------------------------------------------------------------------------------------
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0,
           1.0)
_THETA13 = 5.371920351148152


def _expm_np(a):
    # NOTE: the scaling-and-squaring method with the [13/13] Pade approximant (Higham 2005), in float64 (or
    # complex128) for every input dtype: each matrix is scaled by 2^-s so that its 1-norm is below theta_13,
    # then squared back s times (s chosen per matrix of the stack).
    x = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    n = x.shape[-1]
    if x.size == 0:
        return x.astype(a.dtype)
    norm1 = np.abs(x).sum(axis=-2).max(axis=-1)
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm1, 1e-300) / _THETA13))).astype(int)
    x = x / (2.0 ** s)[..., None, None]
    b = _PADE13
    ident = np.broadcast_to(np.eye(n), x.shape)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * ident)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for k in range(int(s.max(initial=0))):
        r = np.where((k < s)[..., None, None], r @ r, r)
    return r.astype(a.dtype, copy=False)


_expm_prim = Primitive(_expm_np, "expm")


def _frechet(a, e):
    """L(a, e), the derivative of expm at ``a`` along ``e``: the top-right block of expm([[a, e], [0, a]])."""
    shape = tuple(np.broadcast_shapes(tuple(shape_of(a)), tuple(shape_of(e))))
    a = broadcast_to(a, shape)
    e = broadcast_to(e, shape)
    n = shape[-1]
    zero = const(np.zeros(shape), dtype_of(a))
    block = concatenate([concatenate([a, e], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return getitem(expm(block), (Ellipsis, slice(0, n), slice(n, None)))


# the adjoint of E -> L(A, E) is G -> L(A^T, G)
defvjp(_expm_prim, lambda g, ans, a: _frechet(mT(a), g))
defjvp(_expm_prim, lambda t, ans, a: _frechet(a, t))


def expm(a):
    """The matrix exponential of each square matrix in ``a``, as ``scipy.linalg.expm`` (without scipy:
    scaling and squaring with the [13/13] Pade approximant). Its derivative along ``e`` is the Frechet
    derivative, read from ``expm([[a, e], [0, a]])``; its vjp is the Frechet derivative at ``a^T``.

    Example:
        >>> ag.linalg.expm(ag.tensor([[0.0, 1.0], [0.0, 0.0]]))
        Tensor([[1., 1.],
                [0., 1.]])
    """
    a = as_input(a)
    check_matrix("expm", shape_of(a), square=True)
    return apply(_expm_prim, (a,), {})


defbatch(_expm_prim, leading_rule(expm, (2,)))


# -- norms ----------------------------------------------------------------------------------------------
def _axes_tuple(axis, nd, name):
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -nd <= int(a) < nd:
            raise ValueError(f"linalg.{name}: axis {a} is out of bounds for an array of {nd} dimensions")
        out.append(int(a) % nd)
    if len(set(out)) != len(out):
        raise ValueError(f"linalg.{name}: duplicate axes {axis!r}")
    return tuple(out)


def _vector_norm(x, ord, axes, keepdims):
    if dtype_of(x).kind == "c":          # every vector norm is a function of |x|
        x = _abs(x)
    if ord is None or ord == 2:
        return _norm2(x, axis=axes, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: invalid norm order {ord!r} for vectors")
    if ord == np.inf:
        return _max(_abs(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return _min(_abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:          # the number of nonzero entries: piecewise constant, no gradient
        return _sum(astype(not_equal(x, 0), dtype_of(x)), axis=axes, keepdims=keepdims)
    if ord == 1:
        return _sum(_abs(x), axis=axes, keepdims=keepdims)
    return power(_sum(power(_abs(x), float(ord)), axis=axes, keepdims=keepdims), 1.0 / float(ord))


def _matrix_norm(x, ord, axes, keepdims):
    from .linalg_decomp import svd
    row, col = axes
    if dtype_of(x).kind == "c" and ord not in (2, -2, "nuc"):      # these are functions of |x| too
        x = _abs(x)
    if ord is None or ord == "fro":
        return _norm2(x, axis=axes, keepdims=keepdims)
    if ord in (2, -2, "nuc"):
        nd = len(shape_of(x))
        s = svd(transpose(x, [i for i in range(nd) if i not in (row, col)] + [row, col]), compute_uv=False)
        out = _sum(s, axis=-1) if ord == "nuc" else (_max(s, axis=-1) if ord == 2 else _min(s, axis=-1))
    elif ord in (1, -1, np.inf, -np.inf):
        if ord in (np.inf, -np.inf):
            row, col = col, row
        sums = _sum(_abs(x), axis=row)
        if col > row:
            col -= 1
        out = _max(sums, axis=col) if ord > 0 else _min(sums, axis=col)
    else:
        raise ValueError(f"linalg.norm: invalid norm order {ord!r} for matrices (None, 'fro', 'nuc', inf, -inf, "
                         f"1, -1, 2 or -2)")
    if keepdims:
        shape = list(shape_of(x))
        shape[axes[0]] = shape[axes[1]] = 1
        out = reshape(out, tuple(shape))
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    """A vector or matrix norm, as ``np.linalg.norm``, with every order numpy has.

    Vectors (``axis`` an int, or a 1-d ``x``): ``None``/2 (Euclidean), 1, ``inf`` (max |x|), ``-inf`` (min |x|),
    0 (the count of nonzeros, no gradient) and any other p (``sum |x|^p ^ (1/p)``). Matrices (``axis`` a pair,
    or a 2-d ``x``): ``None``/'fro', 'nuc' (sum of singular values), 1 / -1 (max / min column sum of |x|),
    ``inf`` / ``-inf`` (max / min row sum), 2 / -2 (largest / smallest singular value). With ``axis=None`` and
    ``ord=None`` every element counts (the Euclidean norm of ``x.ravel()``).

    Gradients: the Euclidean norm's is 0 at 0; max / min ties split the gradient; the spectral norms'
    follow ``svd`` (equal singular values: see there).

    Example:
        >>> ag.linalg.norm(ag.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)     # largest column sum of |x|
        Tensor(6.)
    """
    x = as_input(x)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            return _norm2(_abs(x) if dtype_of(x).kind == "c" else x, axis=None, keepdims=keepdims)
        if nd not in (1, 2):
            raise ValueError(f"linalg.norm: an order needs a 1-d or 2-d array, or axis=; received shape "
                             f"{tuple(shape_of(x))}")
        axis = tuple(range(nd))
    axes = _axes_tuple(axis, nd, "norm")
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"linalg.norm: axis must name one or two axes, received {axis!r}")


def vector_norm(x, axis=None, keepdims=False, ord=2):
    """A vector norm over ``axis`` (all axes, flattened, when None), as ``np.linalg.vector_norm``.

    Example:
        >>> ag.linalg.vector_norm(ag.tensor([[3.0, 4.0], [0.0, 0.0]]), ord=np.inf)
        Tensor(4.)
    """
    x = as_input(x)
    nd = len(shape_of(x))
    if axis is None:
        flat = reshape(x, (-1,))
        out = _vector_norm(flat, ord, (0,), False)
        return reshape(out, (1,) * nd) if keepdims else out
    return _vector_norm(x, ord, _axes_tuple(axis, nd, "vector_norm"), keepdims)


def matrix_norm(x, keepdims=False, ord="fro"):
    """A matrix norm of each matrix of a stack (the last two axes), as ``np.linalg.matrix_norm``.

    Example:
        >>> ag.linalg.matrix_norm(ag.tensor([[3.0, 0.0], [0.0, 4.0]]), ord=2)
        Tensor(4.)
    """
    x = as_input(x)
    check_matrix("matrix_norm", shape_of(x))
    nd = len(shape_of(x))
    return _matrix_norm(x, ord, (nd - 2, nd - 1), keepdims)
