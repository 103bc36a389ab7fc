"""Reductions over axes: sum, mean, var, std, max, min, prod, cumsum, logsumexp, softmax, log_softmax.

Every reduction takes ``axis`` (None, an int or a tuple) and ``keepdims`` like numpy.

Example:
    >>> x = ag.tensor([[1.0, 3.0], [3.0, 2.0]], requires_grad=True)
    >>> ag.max(x).backward(); x.grad          # the tie splits the gradient: halves summing to 1
    Tensor([[0. , 0.5], [0.5, 0. ]])
"""
import builtins

import numpy as np

_ndarray = np.ndarray
_new = object.__new__

from ..batching import Batched, batch_apply, reduction_rule, shape_of, to_front
from ..modes import STATE
from ..primitive import Primitive, apply, def_linear, defbatch, defjvp, defvjp, observed
from ..tensor import Tensor, make_leaf, next_seq
from ._make import raw
from .elementwise import divide, exp, multiply, sqrt, square, subtract, where
from .shape import broadcast_to, flip, getitem, pad, reshape
from .shape import reshape as _reshape

__all__ = [
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "cumsum", "cumprod",
    "logsumexp", "softmax", "log_softmax", "norm", "all", "any",
]


def _axes(axis, ndim):
    """``axis`` (None, an int or a sequence, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        if -ndim <= axis < ndim:
            return (int(axis) % ndim,)
        axis = (axis,)
    out = set()
    for a in axis:
        a = int(a)
        if a < -ndim or a >= ndim:
            raise ValueError(f"axis {a} is out of bounds for a tensor of rank {ndim}")
        out.add(a % ndim)
    return tuple(sorted(out))


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _restore(g, x_shape, axis, keepdims):
    """Reshape a reduced gradient so it broadcasts against the input (undoing keepdims=False)."""
    if keepdims:
        return g
    return reshape(g, _keep_shape(x_shape, _axes(axis, len(x_shape))))


# -- the reduction wrapper ------------------------------------------------------------------------


def _reduction(fun, prim, name, nonempty=False):
    """``op(x, axis=None, keepdims=False)`` running ``fun`` (a numpy reduction) and recording ``prim``.

    Written out like the elementwise wrappers (no general ``apply``): numpy's own ``np.sum`` costs
    about 3 us on a small array, most of it Python-level dispatch that ``np.add.reduce`` skips.
    """
    state = STATE

    def op(x, axis=None, keepdims=False):
        if isinstance(x, Tensor):
            xd = x.data
            rec = x.requires_grad and state.grad_enabled
        else:
            if type(x) is Batched:   # inside ag.vmap: axes are those of one example
                return batch_apply(prim, (x,), {"axis": None if axis is None else _axes(axis, x.ndim),
                                                "keepdims": keepdims})
            xd = np.asarray(x)
            rec = False
        if axis is not None:
            axis = _axes(axis, xd.ndim)
        if nonempty:
            _check_nonempty(xd, axis, name)
        out = fun(xd, axis=axis, keepdims=keepdims)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        t = _new(Tensor)
        t.data = out
        t.grad = None
        t._version = 0
        if rec:
            t.requires_grad = True
            t._ctx = (prim, (x,), {"axis": axis, "keepdims": keepdims}, (x._version,), next_seq())
        else:
            t.requires_grad = False
            t._ctx = None
        if state.observe:
            observed(prim, (x,), {"axis": axis, "keepdims": keepdims}, t)
        return t

    op.__name__ = op.__qualname__ = name
    return op


# -- sum / mean -----------------------------------------------------------------------------------
_sum_prim = Primitive(np.add.reduce, "sum")
defvjp(_sum_prim, lambda g, ans, x, axis=None, keepdims=False:
       broadcast_to(_restore(g, raw(x).shape, axis, keepdims), raw(x).shape))
sum = _reduction(np.add.reduce, _sum_prim, "sum")
def_linear(_sum_prim)
defbatch(_sum_prim, reduction_rule(sum))
sum.__doc__ = """Sum of elements over ``axis`` (None: all; an int or a tuple), keeping reduced axes with ``keepdims``.

    Example:
        >>> ag.sum(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        Tensor([4., 6.])
    """


def _count(shape, axis):
    n = 1
    for a in _axes(axis, len(shape)):
        n *= shape[a]
    return n


_mean_prim = Primitive(np.ndarray.mean, "mean")
defvjp(_mean_prim, lambda g, ans, x, axis=None, keepdims=False: broadcast_to(
    divide(_restore(g, raw(x).shape, axis, keepdims), float(builtins.max(_count(raw(x).shape, axis), 1))),
    raw(x).shape))
mean = _reduction(np.ndarray.mean, _mean_prim, "mean")
def_linear(_mean_prim)
defbatch(_mean_prim, reduction_rule(mean))
mean.__doc__ = """Mean of elements over ``axis`` (None: all; an int or a tuple).

    Example:
        >>> ag.mean(ag.tensor([1.0, 2.0, 6.0]))
        Tensor(3.)
    """


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis`` (divides by n - ddof).

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.var(x, axis=0)
        Tensor([1., 1.])
    """
    d = subtract(x, mean(x, axis=axis, keepdims=True))
    n = _count(shape_of(x), axis)
    s = sum(square(d), axis=axis, keepdims=keepdims)
    return divide(s, float(builtins.max(n - ddof, 0)))


def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation over ``axis``.

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.std(x)
        Tensor(1.11803399)
    """
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


# -- max / min ------------------------------------------------------------------------------------


def _extreme_vjp(g, ans, x, axis=None, keepdims=False):
    # NOTE: ties share the gradient equally, so the gradient over the tied entries sums to g.
    xd = raw(x)
    a = ans.data if keepdims else ans.data.reshape(_keep_shape(xd.shape, _axes(axis, xd.ndim)))
    mask = (xd == a).astype(g.dtype)
    mask /= mask.sum(axis=axis, keepdims=True)
    return multiply(broadcast_to(_restore(g, xd.shape, axis, keepdims), xd.shape), mask)


def _extreme_jvp(t, ans, x, axis=None, keepdims=False):
    # the transpose of _extreme_vjp: the mean of the tangents of the tied extreme entries
    xd = raw(x)
    a = ans.data if keepdims else ans.data.reshape(_keep_shape(xd.shape, _axes(axis, xd.ndim)))
    mask = (xd == a).astype(t.dtype)
    mask /= mask.sum(axis=axis, keepdims=True)
    return sum(multiply(t, mask), axis=axis, keepdims=keepdims)


def _check_nonempty(xd, axis, name):
    shape = shape_of(xd)
    if 0 in shape and (axis is None or builtins.any(shape[a] == 0 for a in axis)):
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {shape} over axis {axis}")


_max_prim = Primitive(np.maximum.reduce, "max")
defvjp(_max_prim, _extreme_vjp)
_min_prim = Primitive(np.minimum.reduce, "min")
defvjp(_min_prim, _extreme_vjp)
max = _reduction(np.maximum.reduce, _max_prim, "max", nonempty=True)
max.__doc__ = """Largest element over ``axis``; tied maxima split the gradient equally (it sums to 1).

    Example:
        >>> ag.max(ag.tensor([[1.0, 5.0], [7.0, 2.0]]), axis=1)
        Tensor([5., 7.])
    """
min = _reduction(np.minimum.reduce, _min_prim, "min", nonempty=True)
defjvp(_max_prim, _extreme_jvp)
defjvp(_min_prim, _extreme_jvp)
defbatch(_max_prim, reduction_rule(max))
defbatch(_min_prim, reduction_rule(min))
min.__doc__ = """Smallest element over ``axis``; tied minima split the gradient equally (it sums to 1).

    Example:
        >>> ag.min(ag.tensor([[1.0, 5.0], [7.0, 2.0]]), axis=1)
        Tensor([1., 2.])
    """


amax = max
amin = min


def _nodiff_reduction(fun, name, doc, axis_kind):
    """A no-gradient reduction (argmax, all, ...) as a primitive, so that a tracer sees it; ``axis_kind`` is
    'int' (one axis or None) or 'axes' (a tuple, as ``sum``)."""
    prim = Primitive(lambda x, axis=None, keepdims=False: np.asarray(fun(x, axis=axis, keepdims=keepdims)), name)
    defvjp(prim, None)
    defjvp(prim, None)
    state = STATE

    def op(x, axis=None, keepdims=False):
        if type(x) is Batched:
            return batch_apply(prim, (x,), {"axis": axis, "keepdims": keepdims})
        xd = raw(x)
        if axis is not None:
            axis = _axes(axis, xd.ndim)
            if axis_kind == "int":
                if len(axis) != 1:
                    raise ValueError(f"{name}: axis must be one int or None, received {axis!r}")
                axis = axis[0]
        out = make_leaf(np.asarray(fun(xd, axis=axis, keepdims=keepdims)))
        if state.observe:
            observed(prim, (x,), {"axis": axis, "keepdims": keepdims}, out)
        return out

    def rule(args, dims, axis=None, keepdims=False):
        x = to_front(args[0], dims[0])
        if axis is None:
            if axis_kind == "int":
                flat = x if x.ndim == 1 else _reshape(x, (x.shape[0], -1))
                out = op(flat, axis=1)
                return (_reshape(out, (x.shape[0],) + (1,) * (x.ndim - 1)) if keepdims else out), 0
            axis = tuple(range(x.ndim - 1))
        axes = _axes(axis, x.ndim - 1)
        if axis_kind == "int":
            return op(x, axis=axes[0] + 1, keepdims=keepdims), 0
        return op(x, axis=tuple(a + 1 for a in axes), keepdims=keepdims), 0

    defbatch(prim, rule)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.primitive = prim
    return op


argmax = _nodiff_reduction(np.argmax, "argmax", """Index of the largest element (no gradient).

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.argmax(x, axis=1)
        Tensor([1, 1])
    """, "int")
argmin = _nodiff_reduction(np.argmin, "argmin", """Index of the smallest element (no gradient).

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.argmin(x, axis=0)
        Tensor([0, 0])
    """, "int")


# -- prod -----------------------------------------------------------------------------------------


def _prod_partials(ans, x, axis, keepdims):
    """d prod / d x_i, shaped like x: the product of the other entries of x_i's slice.

    NOTE: ans / x fails at zeros; the product of the *other* entries is used where x == 0 (it is
    nonzero only when that entry is the single zero of its slice)."""
    xd = raw(x)
    ab = broadcast_to(_restore(ans, xd.shape, axis, keepdims), xd.shape)
    zero = xd == 0
    if not zero.any():
        return divide(ab, x)
    ones = make_leaf(np.ones((), xd.dtype))
    x_nz = where(zero, ones, x)
    prod_nz = prod(x_nz, axis=axis, keepdims=True)
    nzeros = zero.sum(axis=axis, keepdims=True)
    return where(zero, multiply(prod_nz, (nzeros == 1).astype(xd.dtype)), divide(ab, x_nz))


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    gb = broadcast_to(_restore(g, raw(x).shape, axis, keepdims), raw(x).shape)
    return multiply(gb, _prod_partials(ans, x, axis, keepdims))


def _prod_jvp(t, ans, x, axis=None, keepdims=False):
    return sum(multiply(t, _prod_partials(ans, x, axis, keepdims)), axis=axis, keepdims=keepdims)


_prod_prim = Primitive(lambda x, axis=None, keepdims=False: np.prod(x, axis=axis, keepdims=keepdims), "prod")
defvjp(_prod_prim, _prod_vjp)
defjvp(_prod_prim, _prod_jvp)


def prod(x, axis=None, keepdims=False):
    """Product of elements over ``axis`` (correct gradients with zeros present).

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.prod(x, axis=1)
        Tensor([ 2., 12.])
    """
    axis = _axes(axis, len(shape_of(x))) if axis is not None else None
    return apply(_prod_prim, (x,), {"axis": axis, "keepdims": keepdims})


defbatch(_prod_prim, reduction_rule(prod))


# -- cumulative and log-sum-exp family ------------------------------------------------------------
_cumsum_prim = Primitive(lambda x, axis: np.cumsum(x, axis=axis), "cumsum")
defvjp(_cumsum_prim, lambda g, ans, x, axis: flip(cumsum(flip(g, axis), axis), axis))
def_linear(_cumsum_prim)


def cumsum(x, axis=None):
    """Running sum along ``axis`` (over the flattened tensor when None).

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.cumsum(x, axis=1)
        Tensor([[1., 3.],
                [3., 7.]])
    """
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    return apply(_cumsum_prim, (x, _axes(int(axis), len(shape_of(x)))[0]), {})


def _cumsum_batch(args, dims):
    x, axis = args
    return cumsum(to_front(x, dims[0]), axis + 1), 0


defbatch(_cumsum_prim, _cumsum_batch)


def _lse_np(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


_lse_prim = Primitive(_lse_np, "logsumexp")
defvjp(_lse_prim, lambda g, ans, x, axis=None, keepdims=False: multiply(
    broadcast_to(_restore(g, raw(x).shape, axis, keepdims), raw(x).shape),
    exp(subtract(x, _restore(ans, raw(x).shape, axis, keepdims)))))
# the tangent is the softmax-weighted mean of the input's tangent over the reduced axes
defjvp(_lse_prim, lambda t, ans, x, axis=None, keepdims=False: sum(
    multiply(t, exp(subtract(x, _restore(ans, raw(x).shape, axis, keepdims)))), axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False, b=None, return_sign=False):
    """log(sum(exp(x))) over ``axis``, without overflow; with scipy's weights ``b`` (log(sum(b * exp(x))),
    differentiable in ``b`` too) and ``return_sign`` (see ``ag.special.logsumexp``).

    Example:
        >>> ag.logsumexp(ag.tensor([0.0, 0.0]))        # log 2
        Tensor(0.69314718)
        >>> ag.logsumexp(ag.tensor([0.0, 0.0]), b=ag.tensor([0.5, 1.5]))      # log 2 again
        Tensor(0.69314718)
    """
    if b is not None or return_sign:
        from .special import weighted_logsumexp
        return weighted_logsumexp(x, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    axis = _axes(axis, len(shape_of(x)))
    _check_nonempty(x, axis, "logsumexp")
    return apply(_lse_prim, (x,), {"axis": axis, "keepdims": keepdims})


defbatch(_lse_prim, reduction_rule(logsumexp))


def _softmax_np(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


_softmax_prim = Primitive(_softmax_np, "softmax")
# the Jacobian diag(s) - s s^T is symmetric: the vjp read with the tangent in place of g is the jvp
defvjp(_softmax_prim, lambda g, ans, x, axis=-1: multiply(
    ans, subtract(g, sum(multiply(g, ans), axis=axis, keepdims=True))))
defjvp(_softmax_prim, lambda t, ans, x, axis=-1: multiply(
    ans, subtract(t, sum(multiply(t, ans), axis=axis, keepdims=True))))


def _axis_batch(op):
    """The batching rule of ``op(x, axis=...)`` acting along one axis of each example."""
    def rule(args, dims, axis=-1):
        x = to_front(args[0], dims[0])
        return op(x, axis=axis % (len(shape_of(x)) - 1) + 1), 0
    return rule


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, computed stably.

    Example:
        >>> ag.softmax(ag.tensor([[0.0, 0.0, 0.0]]), axis=-1)
        Tensor([[0.33333333, 0.33333333, 0.33333333]])
    """
    return apply(_softmax_prim, (x,), {"axis": axis})


defbatch(_softmax_prim, _axis_batch(softmax))


def _log_softmax_np(x, axis=-1):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


_log_softmax_prim = Primitive(_log_softmax_np, "log_softmax")
defvjp(_log_softmax_prim, lambda g, ans, x, axis=-1: subtract(
    g, multiply(exp(ans), sum(g, axis=axis, keepdims=True))))
defjvp(_log_softmax_prim, lambda t, ans, x, axis=-1: subtract(
    t, sum(multiply(exp(ans), t), axis=axis, keepdims=True)))


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``, computed stably.

    Example:
        >>> ag.log_softmax(ag.tensor([0.0, 0.0]))
        Tensor([-0.69314718, -0.69314718])
    """
    return apply(_log_softmax_prim, (x,), {"axis": axis})


defbatch(_log_softmax_prim, _axis_batch(log_softmax))


def _norm2_np(x, axis=None, keepdims=False):
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _norm2_vjp(g, ans, x, axis=None, keepdims=False):
    # NOTE: d|x|/dx = x / |x|, taken as 0 where |x| = 0 (a subgradient) rather than the NaN of 0 / 0.
    xd = raw(x)
    gb = _restore(g, xd.shape, axis, keepdims)
    nb = _restore(ans, xd.shape, axis, keepdims)
    pos = nb.data > 0
    if pos.all():
        return multiply(divide(gb, nb), x)
    safe = where(pos, nb, make_leaf(np.ones((), nb.dtype)))
    return where(pos, multiply(divide(gb, safe), x), make_leaf(np.zeros((), xd.dtype)))


def _norm2_jvp(t, ans, x, axis=None, keepdims=False):
    # <x, t> / |x|, taken as 0 where |x| = 0 (the transpose of the vjp's subgradient)
    dot = sum(multiply(x, t), axis=axis, keepdims=keepdims)
    pos = ans.data > 0
    if pos.all():
        return divide(dot, ans)
    safe = where(pos, ans, make_leaf(np.ones((), ans.dtype)))
    return where(pos, divide(dot, safe), make_leaf(np.zeros((), ans.dtype)))


_norm2_prim = Primitive(_norm2_np, "norm")
defvjp(_norm2_prim, _norm2_vjp)
defjvp(_norm2_prim, _norm2_jvp)


def norm(x, ord=None, axis=None, keepdims=False):
    """Euclidean (ord None, 2 or 'fro') or ord-1 norm over ``axis`` (all axes when None); the gradient
    of the Euclidean norm at 0 is 0.

    Example:
        >>> ag.norm(ag.tensor([3.0, 4.0]))
        Tensor(5.)
    """
    axis = _axes(axis, len(shape_of(x))) if axis is not None else None
    if ord in (None, 2, "fro"):
        return apply(_norm2_prim, (x,), {"axis": axis, "keepdims": keepdims})
    if ord == 1:
        from .elementwise import abs as _abs
        return sum(_abs(x), axis=axis, keepdims=keepdims)
    raise ValueError(f"norm: ord must be None, 1, 2 or 'fro', received {ord!r}")


defbatch(_norm2_prim, reduction_rule(lambda x, axis=None, keepdims=False:
                                     apply(_norm2_prim, (x,), {"axis": axis, "keepdims": keepdims})))



all = _nodiff_reduction(np.all, "all", """True where every element is truthy (no gradient).

    Example:
        >>> ag.all(ag.tensor([True, False]))
        Tensor(False)
    """, "axes")
any = _nodiff_reduction(np.any, "any", """True where any element is truthy (no gradient).

    Example:
        >>> ag.any(ag.tensor([True, False]))
        Tensor(True)
    """, "axes")


def cumprod(x, axis=0):
    """Running product along ``axis``.

    Composed of log2(n) products with a shifted copy (a Hillis-Steele scan: after pass k every entry holds
    the product of the 2**k entries ending at it), so its gradient is exact where ``x`` has zeros (no
    division by x) and its higher-order, forward-mode and batching rules come from multiply's and pad's.

    Example:
        >>> x = ag.tensor([1.0, 2.0, 0.0, 3.0], requires_grad=True)
        >>> ag.cumprod(x)
        Tensor([1., 2., 0., 0.], requires_grad=True)
        >>> ag.cumprod(x).sum().backward(); x.grad        # d/dx2 of x0 x1 x2 (1 + x3) is 2 * 4
        Tensor([3., 1., 8., 0.])
    """
    nd = len(shape_of(x))
    if nd == 0:
        return x
    axis = _axes(int(axis), nd)[0]
    n = shape_of(x)[axis]
    y = x if isinstance(x, (Tensor, Batched)) else make_leaf(np.asarray(x))
    k = 1
    while k < n:
        head = tuple(slice(0, n - k) if a == axis else slice(None) for a in range(nd))
        widths = tuple((k, 0) if a == axis else (0, 0) for a in range(nd))
        y = multiply(y, pad(getitem(y, head), widths, constant_values=1))
        k *= 2
    return y
