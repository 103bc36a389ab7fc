"""Ops that move, copy or select elements: reshape, transpose, broadcast, concatenate, pad, index, ...

Example:
    >>> x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    >>> ag.concatenate([x, x[:, :1]], axis=1).shape
    (2, 4)
"""
import numpy as np

from ..batching import Batched, bring, batch_size, elementwise_rule, peek, shape_of, to_front
from ..modes import STATE
from ..primitive import Primitive, apply, def_linear, defbatch, defjvp, defjvp_argnums, defvjp, defvjp_argnum
from ..tensor import Tensor, make_leaf
from ._make import raw

__all__ = [
    "astype", "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "flatten", "sum_to",
    "broadcast_to", "concatenate", "stack", "split", "pad", "repeat", "tile", "flip", "getitem", "take",
    "one_hot",
]


def _norm_axis(axis, ndim):
    if axis < -ndim or axis >= ndim:
        raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {ndim}")
    return axis % ndim


def _as_shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


# -- dtype ----------------------------------------------------------------------------------------
_astype_prim = Primitive(lambda x, dtype: x.astype(dtype, copy=False), "astype")
def _astype_vjp(g, ans, x, dtype):
    xd = raw(x)
    if raw(g).dtype.kind == "c" and xd.dtype.kind != "c":      # real -> complex: the real part flows back
        from .elementwise import real
        g = real(g)
    return astype(g, xd.dtype)


defvjp(_astype_prim, _astype_vjp)
def_linear(_astype_prim)


def astype(x, dtype):
    """Convert to ``dtype``; the gradient is converted back to the input's dtype.

    Example:
        >>> ag.astype(ag.tensor([1.5, 2.5]), np.float32)
        Tensor([1.5, 2.5], dtype=float32)
    """
    if type(x) is Batched:
        return apply(_astype_prim, (x, np.dtype(dtype)), {})
    xd = raw(x)
    if xd.dtype == np.dtype(dtype) and isinstance(x, Tensor):
        return x
    if (not (isinstance(x, Tensor) and x.requires_grad) or np.dtype(dtype).kind not in "fc") and not STATE.observe:
        return make_leaf(xd.astype(dtype))      # nothing to record and no tracer to tell: numpy's own cast
    return apply(_astype_prim, (x, np.dtype(dtype)), {})


# -- reshape family -------------------------------------------------------------------------------
_reshape_prim = Primitive(lambda x, shape: np.reshape(x, shape), "reshape")
defvjp(_reshape_prim, lambda g, ans, x, shape: reshape(g, raw(x).shape))
def_linear(_reshape_prim)


def reshape(x, shape, *more):
    """Give the data a new shape with the same number of elements (-1 infers one size):
    ``reshape(x, (2, 3))`` or ``reshape(x, 2, 3)``.

    Example:
        >>> ag.reshape(ag.tensor(np.arange(6.0)), (2, 3))
        Tensor([[0., 1., 2.],
                [3., 4., 5.]])
    """
    shape = _as_shape((shape,) + more if more else shape)
    xs = shape_of(x)
    if xs == shape and isinstance(x, (Tensor, Batched)):
        return x
    try:
        return apply(_reshape_prim, (x, shape), {})
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {xs} ({int(np.prod(xs))} elements) "
                         f"into shape {shape}") from None


def _inverse_perm(axes):
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return tuple(inv)


_transpose_prim = Primitive(lambda x, axes: np.transpose(x, axes), "transpose")
defvjp(_transpose_prim, lambda g, ans, x, axes: transpose(g, _inverse_perm(axes)))
def_linear(_transpose_prim)


def transpose(x, axes=None):
    """Permute axes (reverse them when ``axes`` is None).

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.transpose(x)
        Tensor([[1., 3.],
                [2., 4.]])
    """
    nd = len(shape_of(x))
    if axes is None:
        axes = tuple(range(nd))[::-1]
    else:
        axes = tuple(_norm_axis(int(a), nd) for a in axes)
        if sorted(axes) != list(range(nd)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {nd} axes")
    return apply(_transpose_prim, (x, axes), {})


def swapaxes(x, axis1, axis2):
    """Exchange two axes.

    Example:
        >>> ag.swapaxes(ag.zeros((2, 3, 4)), 0, 2).shape
        (4, 3, 2)
    """
    nd = len(shape_of(x))
    perm = list(range(nd))
    a, b = _norm_axis(axis1, nd), _norm_axis(axis2, nd)
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    """Move one axis to a new position.

    Example:
        >>> ag.moveaxis(ag.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    nd = len(shape_of(x))
    src = _norm_axis(source, nd)
    dst = _norm_axis(destination, nd)
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``.

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.expand_dims(v, 0)
        Tensor([[1., 2., 3.]])
    """
    shape = list(shape_of(x))
    shape.insert(_norm_axis(axis, len(shape) + 1), 1)
    return reshape(x, tuple(shape))


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``).

    Example:
        >>> ag.squeeze(ag.zeros((1, 3, 1))).shape
        (3,)
    """
    shape = shape_of(x)
    if axis is None:
        axes = {i for i, s in enumerate(shape) if s == 1}
    else:
        axes = {_norm_axis(a, len(shape)) for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)}
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1 (shape {shape})")
    return reshape(x, tuple(s for i, s in enumerate(shape) if i not in axes))


def flatten(x):
    """All elements as a 1-d tensor.

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.flatten(x)
        Tensor([1., 2., 3., 4.])
    """
    return reshape(x, (-1,))


# -- broadcasting ---------------------------------------------------------------------------------


def _sum_to_np(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        out = out.reshape(out.shape[lead:])
    if out.shape != tuple(shape):
        raise ValueError(f"cannot sum shape {x.shape} down to {shape}")
    return out


_sum_to_prim = Primitive(_sum_to_np, "sum_to")
defvjp(_sum_to_prim, lambda g, ans, x, shape: broadcast_to(g, raw(x).shape))
def_linear(_sum_to_prim)


def sum_to(x, shape):
    """Sum a broadcast tensor back down to ``shape`` (the inverse of ``broadcast_to``).

    Example:
        >>> ag.sum_to(ag.ones((2, 3)), (1, 3))
        Tensor([[2., 2., 2.]])
    """
    shape = _as_shape(shape)
    if shape_of(x) == shape:
        return x
    return apply(_sum_to_prim, (x, shape), {})


_broadcast_prim = Primitive(lambda x, shape: np.broadcast_to(x, shape), "broadcast_to")
defvjp(_broadcast_prim, lambda g, ans, x, shape: sum_to(g, raw(x).shape))
def_linear(_broadcast_prim)


def broadcast_to(x, shape):
    """A read-only broadcast view of ``x`` with ``shape``.

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.broadcast_to(v, (2, 3))
        Tensor([[1., 2., 3.],
                [1., 2., 3.]])
    """
    shape = _as_shape(shape)
    xs = shape_of(x)
    if xs == shape and isinstance(x, (Tensor, Batched)):
        return x
    try:
        np.broadcast_shapes(xs, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {xs} to {shape}") from None
    return apply(_broadcast_prim, (x, shape), {})


# -- joining and splitting ------------------------------------------------------------------------
_concat_prim = Primitive(lambda *xs, axis: np.concatenate(xs, axis=axis), "concatenate")


def _concat_vjp(i, g, ans, args, kw):
    axis = kw["axis"]
    start = sum(raw(a).shape[axis] for a in args[:i])
    stop = start + raw(args[i]).shape[axis]
    index = [slice(None)] * ans.ndim
    index[axis] = slice(start, stop)
    return getitem(g, tuple(index))


defvjp_argnum(_concat_prim, _concat_vjp)


def _concat_jvp(tangents, ans, args, kwargs):
    # linear in all arguments together: the concatenation of the tangents, zeros where an argument has none
    parts = [t if t is not None else make_leaf(np.zeros(raw(a).shape, ans.dtype)) for t, a in zip(tangents, args)]
    return apply(_concat_prim, tuple(parts), kwargs)


defjvp_argnums(_concat_prim, _concat_jvp)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (``axis=None`` flattens them first).

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.concatenate([v, v])
        Tensor([1., 2., 3., 1., 2., 3.])
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: expected at least one tensor, received an empty sequence")
    if axis is None:
        tensors = [flatten(t) for t in tensors]
        axis = 0
    nd = len(shape_of(tensors[0]))
    if nd == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated")
    axis = _norm_axis(axis, nd)
    shapes = [tuple(shape_of(t)) for t in tensors]
    for s in shapes:
        if len(s) != nd or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            raise ValueError(f"concatenate: shapes {shapes} do not match except along axis {axis}")
    return apply(_concat_prim, tuple(tensors), {"axis": axis})


def stack(tensors, axis=0):
    """Join same-shape tensors along a new axis.

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.stack([v, v], axis=0)
        Tensor([[1., 2., 3.],
                [1., 2., 3.]])
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected at least one tensor, received an empty sequence")
    shapes = {tuple(shape_of(t)) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, received {sorted(shapes)}")
    nd = len(next(iter(shapes))) + 1
    axis = _norm_axis(axis, nd)
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into pieces along ``axis`` (a count of equal sections or a list of split points).

    Example:
        >>> ag.split(ag.tensor([1.0, 2.0, 3.0, 4.0]), 2)
        [Tensor([1., 2.]), Tensor([3., 4.])]
    """
    xs = shape_of(x)
    axis = _norm_axis(axis, len(xs))
    n = xs[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(f"split: axis {axis} of size {n} cannot be split into {k} equal sections")
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index = [slice(None)] * len(xs)
        index[axis] = slice(lo, hi)
        out.append(getitem(x, tuple(index)))
    return out


def _pad_np(x, pad_width, constant_values=0):
    if np.ndim(constant_values) == 0 and constant_values == 0:
        # NOTE: np.pad's generic path is several times slower than a zeroed array and one slice assignment
        out = np.zeros(tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pad_width)), dtype=x.dtype)
        out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape, pad_width))] = x
        return out
    return np.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _pad_vjp(g, ans, x, pad_width, constant_values=0):
    index = tuple(slice(lo, lo + s) for (lo, _), s in zip(pad_width, raw(x).shape))
    return getitem(g, index)


_pad_prim = Primitive(_pad_np, "pad")
defvjp(_pad_prim, _pad_vjp)
# NOTE: the padding value is a constant, so the tangent is padded with zeros (not constant_values)
defjvp(_pad_prim, lambda t, ans, x, pad_width, constant_values=0: apply(_pad_prim, (t, pad_width), {}))


def pad(x, pad_width, mode="constant", constant_values=0):
    """Pad with a constant (``pad_width`` as in ``np.pad``); only mode 'constant' is differentiable.

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.pad(v, (1, 2))
        Tensor([0., 1., 2., 3., 0., 0.])
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, received mode={mode!r}")
    nd = len(shape_of(x))
    if nd == 0:
        return x
    try:
        pw = np.broadcast_to(np.asarray(pad_width, dtype=int), (nd, 2))
    except ValueError:
        raise ValueError(f"pad(pad_width): expected an int, a (before, after) pair or one pair per axis for a "
                         f"tensor of rank {nd}, received {pad_width!r}") from None
    if (pw < 0).any():
        raise ValueError(f"pad(pad_width): widths must be >= 0, received {pad_width!r}")
    pw = tuple((int(a), int(b)) for a, b in pw)
    return apply(_pad_prim, (x, pw), {"constant_values": constant_values})


def _repeat_vjp(g, ans, x, repeats, axis):
    xd = raw(x)
    if axis is None:
        flat = reshape(g, (xd.size, int(repeats))) if np.ndim(repeats) == 0 else None
        if flat is not None:
            return reshape(sum_axis(flat, 1), xd.shape)
        return reshape(_segment_sum(g, np.repeat(np.arange(xd.size), repeats), xd.size, 0), xd.shape)
    if np.ndim(repeats) == 0:
        shp = xd.shape[:axis] + (xd.shape[axis], int(repeats)) + xd.shape[axis + 1:]
        return sum_axis(reshape(g, shp), axis + 1)
    return _segment_sum(g, np.repeat(np.arange(xd.shape[axis]), repeats), xd.shape[axis], axis)


_repeat_prim = Primitive(lambda x, repeats, axis: np.repeat(x, repeats, axis=axis), "repeat")
defvjp(_repeat_prim, _repeat_vjp)
def_linear(_repeat_prim)


def repeat(x, repeats, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (flattened when None).

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.repeat(v, 2)
        Tensor([1., 1., 2., 2., 3., 3.])
    """
    if axis is not None:
        axis = _norm_axis(axis, len(shape_of(x)))
    if np.ndim(repeats) != 0:
        repeats = tuple(int(r) for r in np.asarray(repeats))
    else:
        repeats = int(repeats)
    return apply(_repeat_prim, (x, repeats, axis), {})


def _tile_vjp(g, ans, x, reps):
    xd = raw(x)
    nd = max(len(reps), xd.ndim)
    shape = (1,) * (nd - xd.ndim) + xd.shape
    reps = (1,) * (nd - len(reps)) + tuple(reps)
    inter = []
    for r, s in zip(reps, shape):
        inter += [r, s]
    summed = reshape(g, tuple(inter))
    summed = sum_axis(summed, tuple(range(0, 2 * nd, 2)))
    return reshape(summed, xd.shape)


_tile_prim = Primitive(lambda x, reps: np.tile(x, reps), "tile")
defvjp(_tile_prim, _tile_vjp)
def_linear(_tile_prim)


def tile(x, reps):
    """Repeat the whole tensor ``reps`` times along each axis.

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.tile(v, 2)
        Tensor([1., 2., 3., 1., 2., 3.])
    """
    reps = _as_shape(reps)
    return apply(_tile_prim, (x, reps), {})


_flip_prim = Primitive(lambda x, axis: np.flip(x, axis), "flip")
defvjp(_flip_prim, lambda g, ans, x, axis: flip(g, axis))
def_linear(_flip_prim)


def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None).

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.flip(v)
        Tensor([3., 2., 1.])
    """
    return apply(_flip_prim, (x, axis), {})


# -- indexing -------------------------------------------------------------------------------------


def _unwrap_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray([i.data if isinstance(i, Tensor) else i for i in index])
    return index


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items)


def _index_add_np(g, shape, index):
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g  # basic indexing selects each element at most once
    else:
        np.add.at(out, index, g)  # NOTE: repeated integer indices accumulate
    return out


_index_add_prim = Primitive(_index_add_np, "index_add")
defvjp(_index_add_prim, lambda g, ans, x, shape, index: getitem(g, index))
def_linear(_index_add_prim)

_getitem_prim = Primitive(lambda x, index: x[index], "getitem")
defvjp(_getitem_prim, lambda g, ans, x, index: apply(_index_add_prim, (g, raw(x).shape, index), {}))
def_linear(_getitem_prim)


def getitem(x, index):
    """``x[index]`` with ints, slices, Ellipsis, None, integer arrays and boolean masks.

    Example:
        >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.getitem(x, (slice(None), 0))                  # x[:, 0]
        Tensor([1., 3.])
    """
    index = _unwrap_index(index)
    # NOTE: a loop, not any(genexpr): this test runs on every x[...] (a generator would double the op's overhead)
    if type(index) is tuple:
        for i in index:
            if type(i) is Batched:
                return _getitem_per_example(x, index)
    elif type(index) is Batched:
        return _getitem_per_example(x, (index,))
    try:
        return apply(_getitem_prim, (x, index), {})
    except IndexError as e:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {shape_of(x)}: {e}") from None


def _getitem_per_example(x, items):
    """``x[index]`` inside ag.vmap where some index arrays differ between examples: each example's index is
    turned into flat positions (numpy index arithmetic on the concrete indices), and one gather reads all
    examples at once (``take`` for a shared ``x``, one advanced index otherwise)."""
    levels = {i.level for i in items if type(i) is Batched}
    if len(levels) > 1:
        raise NotImplementedError("autograd: an index batched by two nested vmaps at once is not supported")
    level = levels.pop()
    fronted = []
    size = None
    for i in items:
        if type(i) is Batched:
            v = raw(to_front(i.val, i.bdim)) if not type(i.val) is Batched else None
            if v is None:
                raise NotImplementedError("autograd: an index batched by two nested vmaps at once is not supported")
            size = v.shape[0]
            fronted.append(v)
        else:
            fronted.append(i)
    shape = tuple(shape_of(x))
    cells = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    parts = [cells[tuple(v[b] if type(i) is Batched else v for i, v in zip(items, fronted))] for b in range(size)]
    if len({p.shape for p in parts}) > 1:       # only a boolean mask can give each example its own length
        counts = ", ".join(str(p.size) for p in parts[:8]) + (", ..." if size > 8 else "")
        raise ValueError(f"autograd: x[mask] inside ag.vmap with a boolean mask that differs between examples "
                         f"selects {counts} elements in the examples, so the results cannot be stacked into one "
                         f"batch; keep the shape and zero the rest: ag.where(mask, x, 0.0) (then ag.sum, ...)")
    pos = np.stack(parts)
    if type(x) is Batched and x.level == level:
        flat = reshape(to_front(x.val, x.bdim), (size, -1))
        out = getitem(flat, (np.arange(size).reshape((size,) + (1,) * (pos.ndim - 1)), pos))
    else:
        out = take(reshape(x, (-1,)), pos)
    return Batched(out, 0, level)


def _take_np(x, indices, axis):
    return np.take(x, indices, axis=axis)


def _take_vjp(g, ans, x, indices, axis):
    xd = raw(x)
    if axis is None:
        return reshape(_segment_sum(flatten(g), np.ravel(indices), xd.size, 0), xd.shape)
    return _segment_sum(g, indices, xd.shape[axis], axis)


_take_prim = Primitive(_take_np, "take")
defvjp(_take_prim, _take_vjp)
def_linear(_take_prim)


def take(x, indices, axis=None):
    """Select entries by integer ``indices`` along ``axis``; repeated indices accumulate gradients.

    Example:
        >>> v = ag.tensor([1.0, 2.0, 3.0])
        >>> ag.take(v, np.array([2, 0]))
        Tensor([3., 1.])
    """
    ind = peek(indices)     # every example's indices inside ag.vmap: checked all at once
    if ind.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers, received dtype {ind.dtype}")
    xs = shape_of(x)
    if axis is not None:
        axis = _norm_axis(axis, len(xs))
    n = int(np.prod(xs, dtype=np.int64)) if axis is None else xs[axis]
    if ind.size and (ind.max() >= n or ind.min() < -n):
        raise IndexError(f"take: indices range [{ind.min()}, {ind.max()}] is out of bounds for size {n}")
    return apply(_take_prim, (x, indices if type(indices) is Batched else ind, axis), {})


def _segment_sum_np(g, indices, n, axis):
    # sum slices of g into n rows of the output along axis, as np.add.at with take's layout
    indices = np.asarray(indices)
    gm = np.moveaxis(g, list(range(axis, axis + indices.ndim)), list(range(indices.ndim)))
    gm = gm.reshape((indices.size,) + gm.shape[indices.ndim:])
    out = np.zeros((n,) + gm.shape[1:], dtype=g.dtype)
    np.add.at(out, indices.ravel() % max(n, 1), gm)
    return np.moveaxis(out, 0, axis)


_segment_prim = Primitive(_segment_sum_np, "segment_sum")
defvjp(_segment_prim, lambda g, ans, x, indices, n, axis: take(g, indices, axis=axis))
def_linear(_segment_prim)


def _segment_sum(g, indices, n, axis):
    indices = indices if type(indices) is Batched else np.asarray(indices)
    return apply(_segment_prim, (g, indices, int(n), int(axis)), {})


def one_hot(indices, depth, dtype=np.float32):
    """Rows of the identity: ``one_hot([0, 2], 3)`` is ``[[1, 0, 0], [0, 0, 1]]`` (no gradient).

    Example:
        >>> ag.one_hot(np.array([0, 2]), 3)
        Tensor([[1., 0., 0.],
                [0., 0., 1.]], dtype=float32)
    """
    if type(indices) is Batched:   # inside ag.vmap: the new axis is last, the batch axis stays where it is
        return Batched(one_hot(indices.val, depth, dtype), indices.bdim, indices.level)
    ind = raw(indices)
    if ind.dtype.kind not in "iu":
        if ind.dtype.kind == "f" and np.all(np.mod(ind, 1) == 0):
            ind = ind.astype(np.int64)
        else:
            raise TypeError(f"one_hot: indices must be integers, received dtype {ind.dtype}")
    if STATE.tracer is not None:
        # traced: from ops, so that the graph sees the indices (out-of-range rows are zeros here too)
        from .elementwise import equal
        idx = indices if raw(indices).dtype.kind in "iu" else astype(indices, np.int64)
        return astype(equal(expand_dims(idx, -1), np.arange(int(depth))), dtype)
    out = np.zeros(ind.shape + (int(depth),), dtype=dtype)
    valid = (ind >= 0) & (ind < depth)
    np.put_along_axis(out, np.where(valid, ind, 0)[..., None], valid[..., None].astype(dtype), axis=-1)
    return make_leaf(out)


def sum_axis(x, axis):
    """Sum over ``axis`` (internal helper for vjps; the public op lives in reductions).

    Example:
        >>> from autograd.ops.shape import sum_axis
        >>> sum_axis(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), 0)
        Tensor([4., 6.])
    """
    from .reductions import sum as _sum
    return _sum(x, axis=axis)



# -- batching rules (ag.vmap): the batch axis goes first, the per-example arguments follow it ---------


def _reshape_batch(args, dims):
    x = to_front(args[0], dims[0])
    return reshape(x, shape_of(x)[:1] + args[1]), 0


def _transpose_batch(args, dims):
    (x, axes), d = args, dims[0]
    return transpose(x, (d,) + tuple(a if a < d else a + 1 for a in axes)), 0


def _broadcast_batch(args, dims):
    (x, shape) = args
    x = to_front(x, dims[0])
    s = shape_of(x)
    if len(s) - 1 < len(shape):
        x = reshape(x, s[:1] + (1,) * (len(shape) - len(s) + 1) + s[1:])
    return broadcast_to(x, s[:1] + shape), 0


def _sum_to_batch(args, dims):
    (x, shape) = args
    x = to_front(x, dims[0])
    lead = len(shape_of(x)) - 1 - len(shape)
    if lead:
        x = sum_axis(x, tuple(range(1, lead + 1)))
    return sum_to(x, shape_of(x)[:1] + shape), 0


defbatch(_reshape_prim, _reshape_batch)
defbatch(_transpose_prim, _transpose_batch)
defbatch(_broadcast_prim, _broadcast_batch)
defbatch(_sum_to_prim, _sum_to_batch)
defbatch(_astype_prim, elementwise_rule(lambda x, dtype: apply(_astype_prim, (x, dtype), {})))


# -- batching rules of the joining, padding, repeating and indexing ops ------------------------------


def _concat_batch(args, dims, axis):
    size = batch_size(args, dims)
    return concatenate([bring(a, d, size) for a, d in zip(args, dims)], axis=axis + 1), 0


def _pad_batch(args, dims, constant_values=0):
    x, pw = args
    return apply(_pad_prim, (to_front(x, dims[0]), ((0, 0),) + tuple(pw)), {"constant_values": constant_values}), 0


def _flatten_examples(x):
    """(B, *example) -> (B, size of an example)."""
    return reshape(x, (shape_of(x)[0], -1))


def _repeat_batch(args, dims):
    x, repeats, axis = args
    x = to_front(x, dims[0])
    if axis is None:
        return repeat(_flatten_examples(x), repeats, axis=1), 0
    return repeat(x, repeats, axis=axis + 1), 0


def _tile_batch(args, dims):
    x, reps = args
    x = to_front(x, dims[0])
    s = shape_of(x)
    nd = max(len(reps), len(s) - 1)
    # np.tile pads the shorter of reps and the example's shape with leading ones; done here explicitly
    x = reshape(x, s[:1] + (1,) * (nd - len(s) + 1) + s[1:])
    return tile(x, (1,) + (1,) * (nd - len(reps)) + tuple(reps)), 0


def _flip_batch(args, dims):
    x, axis = args
    x = to_front(x, dims[0])
    nd = len(shape_of(x)) - 1
    if axis is None:
        axes = tuple(range(1, nd + 1))
    elif isinstance(axis, (int, np.integer)):
        axes = _norm_axis(int(axis), nd) + 1
    else:
        axes = tuple(_norm_axis(int(a), nd) + 1 for a in axis)
    return flip(x, axes), 0


def _is_array_index(item):
    return isinstance(item, (np.ndarray, list, bool, np.bool_)) and not (isinstance(item, np.ndarray) and
                                                                        item.ndim == 0 and item.dtype != bool)


def _batch_axis_after_index(index):
    """Where a leading batch axis lands in ``x[(slice(None),) + index]``: axis 0, unless the index's advanced
    parts (arrays, and integers next to them) are separated by a slice, an Ellipsis or None, in which case
    numpy puts their broadcast dimensions first and the batch axis after them."""
    items = index if isinstance(index, tuple) else (index,)
    if not any(_is_array_index(i) for i in items):
        return 0
    adv = [k for k, i in enumerate(items) if _is_array_index(i) or isinstance(i, (int, np.integer))]
    if adv[-1] - adv[0] + 1 == len(adv):
        return 0
    nds = [1 if np.asarray(items[k]).dtype == bool else np.ndim(items[k]) for k in adv]
    return max(nds)


def _prefixed(index):
    return (slice(None),) + (index if isinstance(index, tuple) else (index,))


def _getitem_batch(args, dims):
    x, index = args
    if dims[1] is not None:
        raise NotImplementedError("autograd: getitem's primitive takes a shared index; ag.getitem (x[index]) "
                                  "handles per-example index arrays itself")
    return getitem(to_front(x, dims[0]), _prefixed(index)), _batch_axis_after_index(index)


def _index_add_batch(args, dims):
    g, shape, index = args
    size = shape_of(g)[dims[0]]
    g = moveaxis(g, dims[0], _batch_axis_after_index(index))
    return apply(_index_add_prim, (g, (size,) + tuple(shape), _prefixed(index)), {}), 0


def _batch_arange(size, ndim):
    """0, 1, ..., size - 1 along axis 0 of an int array with ``ndim`` axes (for per-example gathers)."""
    return np.arange(size).reshape((size,) + (1,) * (ndim - 1))


def _take_batch(args, dims):
    x, ind, axis = args
    size = batch_size(args, dims)
    if dims[1] is None:
        x = to_front(x, dims[0])
        if axis is None:
            return take(_flatten_examples(x), ind, axis=1), 0
        return take(x, ind, axis=axis + 1), 0
    # per-example indices: one gather with the example number as a first advanced index
    ind = to_front(ind, dims[1])
    if type(ind) is Batched:
        raise NotImplementedError("autograd: take with indices batched by two nested vmaps at once is not supported")
    ind = raw(ind)
    x = bring(x, dims[0], size)
    rows = _batch_arange(size, ind.ndim)
    if axis is None:
        return getitem(_flatten_examples(x), (rows, ind)), 0
    nd = len(shape_of(x)) - 1
    moved = moveaxis(x, axis + 1, 1)                                 # (B, n, pre..., post...)
    out = getitem(moved, (rows, ind))                                # (B, *ind, pre..., post...)
    k = ind.ndim - 1
    perm = (0,) + tuple(range(1 + k, 1 + k + axis)) + tuple(range(1, 1 + k)) + \
        tuple(range(1 + k + axis, k + nd))
    return transpose(out, perm), 0


def _segment_batch(args, dims):
    g, indices, n, axis = args
    if dims[1] is None:
        return _segment_sum(to_front(g, dims[0]), indices, n, axis + 1), 0
    # per-example segment ids: example b's ids shifted by b * n, the examples next to the id axes
    size = batch_size(args, dims)
    ids = raw(to_front(indices, dims[1]))
    ids = ids + (np.arange(size) * n).reshape((size,) + (1,) * (ids.ndim - 1))
    g = moveaxis(bring(g, dims[0], size), 0, axis)                  # (pre..., B, ids..., post...)
    out = _segment_sum(g, ids, size * n, axis)                        # (pre..., B n, post...)
    s = shape_of(out)
    return reshape(out, s[:axis] + (size, n) + s[axis + 1:]), axis


defbatch(_concat_prim, _concat_batch)
defbatch(_pad_prim, _pad_batch)
defbatch(_repeat_prim, _repeat_batch)
defbatch(_tile_prim, _tile_batch)
defbatch(_flip_prim, _flip_batch)
defbatch(_getitem_prim, _getitem_batch)
defbatch(_index_add_prim, _index_add_batch)
defbatch(_take_prim, _take_batch)
defbatch(_segment_prim, _segment_batch)
