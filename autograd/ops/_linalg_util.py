"""Helpers shared by the linear-algebra ops: matrix transpose, triangle masks, the symmetric matrix a
routine reads from one triangle, argument checks and the batching rule of ops batched over leading axes.

Example:
    >>> from autograd.ops._linalg_util import mT
    >>> mT(ag.ones((5, 2, 3))).shape
    (5, 3, 2)
"""
import numpy as np

from ..batching import Batched, _ACTIVE, shape_of, to_front
from ..tensor import Tensor, make_leaf
from .elementwise import add, multiply
from .shape import reshape, swapaxes


def mT(x):
    """The transpose of each matrix in a stack (the last two axes swapped)."""
    return swapaxes(x, -1, -2)


def dtype_of(x):
    """The dtype of a Tensor, a Batched value or an array-like."""
    if hasattr(x, "dtype"):
        return np.dtype(x.dtype)
    return np.asarray(x).dtype


def const(array, dtype):
    """A constant Tensor (no gradient) of ``dtype``."""
    return make_leaf(np.asarray(array, dtype=dtype))


def tri(n, k, dtype):
    """The constant lower-triangle mask: ones on and below diagonal ``k``."""
    return const(np.tri(n, n, k), dtype)


def eye(n, dtype):
    return const(np.eye(n), dtype)


def sym_from_triangle(x, lower=True):
    """The symmetric matrices that a routine reading only one triangle of ``x`` sees:
    ``tril(x) + tril(x, -1)^T`` (``lower``), or the same from the upper triangle."""
    if not lower:
        return sym_from_triangle(mT(x), True)
    n = shape_of(x)[-1]
    strict = multiply(x, tri(n, -1, dtype_of(x)))
    return add(add(strict, mT(strict)), multiply(x, eye(n, dtype_of(x))))


def sym_from_triangle_adjoint(g, lower=True):
    """The adjoint (transpose) of ``sym_from_triangle``: the gradient flows into the triangle read, each
    off-diagonal entry collecting the gradient of both of its mirror images."""
    if not lower:
        return mT(sym_from_triangle_adjoint(g, True))
    n = shape_of(g)[-1]
    dt = dtype_of(g)
    return add(multiply(add(g, mT(g)), tri(n, -1, dt)), multiply(g, eye(n, dt)))


def check_real(name, x):
    """Raise a TypeError naming ``name`` for complex input: the op's derivative (Hermitian transposes,
    |.|) is written for real matrices. (inv, solve, det, triangular_solve, expm, matrix_power, trace and
    diagonal are holomorphic and accept complex matrices.)"""
    if dtype_of(x).kind == "c":
        raise TypeError(f"linalg.{name}: complex matrices are not supported (its derivative is written for real "
                        f"ones); the holomorphic ops inv, solve, det, triangular_solve, expm, matrix_power, trace "
                        f"and diagonal accept them")


def check_matrix(name, shape, square=False, what="a"):
    """Raise a ValueError naming ``name`` unless ``shape`` is a (stack of) matrices (square if asked)."""
    if len(shape) < 2:
        raise ValueError(f"linalg.{name}: {what} must have at least 2 dimensions (a matrix or a stack of matrices), "
                         f"received shape {tuple(shape)}")
    if square and shape[-1] != shape[-2]:
        raise ValueError(f"linalg.{name}: {what} must be square in its last two axes, received shape {tuple(shape)}")


def as_input(x):
    """``x`` as an op argument: Tensors and batched values unchanged, anything else a constant Tensor
    (integers become float64, as numpy's linalg does)."""
    if hasattr(x, "requires_grad"):
        return x
    d = np.asarray(x)
    return make_leaf(d.astype(np.float64) if d.dtype.kind in "biu" else d)


def leading_rule(op, core_ranks):
    """The batching rule of an op batched over leading axes like numpy's linalg: the examples go on axis 0,
    and size-1 axes are added after it so that the other arguments' leading axes line up (numpy's
    broadcasting then pairs example i with example i). ``core_ranks[i]`` is the number of trailing axes that
    argument i's op works on (2 for a matrix).

    Example:
        >>> from autograd.ops._linalg_util import leading_rule
        >>> rule = leading_rule(lambda a, b: a @ b, (2, 2))
        >>> out, dim = rule((ag.ones((2, 3, 5)), ag.ones((3, 4))), (2, None))     # 5 examples of a (2, 3)
        >>> out.shape, dim
        ((5, 2, 4), 0)
    """
    def rule(args, dims, **kwargs):
        lead = max(len(shape_of(a)) - (d is not None) - r for a, d, r in zip(args, dims, core_ranks))
        new = []
        for a, d, r in zip(args, dims, core_ranks):
            if d is not None:
                a = to_front(a, d)
                s = tuple(shape_of(a))
                pad = lead - (len(s) - 1 - r)
                if pad:
                    a = reshape(a, s[:1] + (1,) * pad + s[1:])
            new.append(a)
        return op(*new, **kwargs), 0
    rule.__name__ = f"batch_{getattr(op, '__name__', 'op')}"
    return rule


def batched_call(fn, x, *args, **kwargs):
    """Run ``fn`` (an op of one stack of matrices returning a tuple of stacks) on a value batched by
    ``ag.vmap``: the examples become one more leading axis, and each result is batched on it again. Returns
    None when ``x`` is not batched.

    Example:
        >>> from autograd.ops._linalg_util import batched_call
        >>> batched_call(lambda m: (m,), ag.ones((2, 2))) is None
        True
    """
    if type(x) is not Batched:
        return None
    if x.level not in _ACTIVE:
        raise RuntimeError(f"autograd: linalg.{getattr(fn, '__name__', 'op')} received a batched value whose "
                           f"ag.vmap has already returned (it escaped through a closure, a global or an attribute)")
    outs = fn(to_front(x.val, x.bdim), *args, **kwargs)
    def wrap(o):
        return Batched(o, 0, x.level) if isinstance(o, Tensor) else o

    if isinstance(outs, tuple):
        items = [wrap(o) for o in outs]
        return type(outs)(*items) if hasattr(outs, "_fields") else tuple(items)
    return wrap(outs)
