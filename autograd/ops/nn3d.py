"""Volumetric (3-d) window primitives in Keras's channels_last layout (batch, depth, height, width, channels):
``conv3d`` (with groups), ``conv3d_transpose``, ``max_pool3d``, ``avg_pool3d`` and ``upsample3d``.

Convolution is im2col, as the 2-d ops: one strided view of the padded input copied into a patch matrix
(M = batch * output voxels rows, kd*kh*kw*channels columns, laid out like the kernel), then one BLAS product.
Three primitives (forward, gradient for the input, gradient for the kernel) are bilinear and each other's
vjps, so ``create_graph=True`` differentiates through them to any order; pooling's forward and backward
primitives are likewise each other's adjoints. 'same' padding is TensorFlow's (extra padding after).

Example:
    >>> x = ag.tensor(np.random.rand(2, 4, 5, 5, 3), requires_grad=True)
    >>> k = ag.tensor(np.random.rand(3, 3, 3, 3, 4), requires_grad=True)
    >>> ag.conv3d(x, k, padding="same").shape
    (2, 4, 5, 5, 4)
"""
import itertools
from collections import namedtuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..batching import batch_size, bring, shape_of, to_front
from ..modes import STATE
from ..primitive import Primitive, apply, def_linear, defbatch, defjvp, defvjp
from ..tensor import Tensor
from ..trace.graph import register_struct
from ._make import raw
from .elementwise import add
from .linalg import matmul
from .nn import _ints, _lowest, _merge, _merged_rule, _padding, _rank, _same_pads, _split_batch, deconv_output_length
from .shape import _index_add_prim, broadcast_to, concatenate, getitem, pad, reshape, split, stack, transpose

__all__ = ["conv3d", "conv3d_transpose", "max_pool3d", "avg_pool3d", "upsample3d"]

_LAYOUT = "(batch, depth, height, width, channels)"

# -- geometry of a 3-d window op ------------------------------------------------------------------
#: per spatial axis (3-tuples): kernel ``k``, strides ``s``, dilation ``d``, pads ``pads`` ((before, after),
#: ...), input ``size``, output ``out``; ``c`` the input channels.
_Geom3 = namedtuple("_Geom3", "k s d pads size out c")
register_struct(_Geom3, "conv3d_geom")     # a traced graph may hold it (autograd.trace)


def _geom3(fn, shape, ksize, strides, dilation, padding):
    """The geometry of a window op over an NDHWC ``shape``; ``padding`` is 'valid', 'same' or pads."""
    size, c = tuple(shape[1:4]), shape[4]
    eff = tuple((k - 1) * d + 1 for k, d in zip(ksize, dilation))
    if padding == "same":
        pads = tuple(_same_pads(n, e, s) for n, e, s in zip(size, eff, strides))
    elif padding == "valid":
        pads = ((0, 0),) * 3
    else:
        pads = tuple(tuple(p) for p in padding)
    out = tuple((n + a + b - e) // s + 1 for n, (a, b), e, s in zip(size, pads, eff, strides))
    if min(out) < 1:
        raise ValueError(f"{fn}: the input's spatial size {size} is smaller than the (dilated) window {eff}; "
                         f"use padding='same' or a larger input")
    return _Geom3(tuple(ksize), tuple(strides), tuple(dilation), pads, size, out, c)


def _has_pad(g):
    return any(a or b for a, b in g.pads)


def _padded_shape(n, g, c=None):
    return (n,) + tuple(m + a + b for m, (a, b) in zip(g.size, g.pads)) + (g.c if c is None else c,)


def _inner(g):
    """The slices of a padded array that hold the unpadded input."""
    return (slice(None),) + tuple(slice(a, a + m) for m, (a, _) in zip(g.size, g.pads))


def _padded(x, g, fill=0):
    """``x`` with the geometry's padding added (``x`` itself when there is none)."""
    if not _has_pad(g):
        return x
    xp = np.full(_padded_shape(x.shape[0], g, x.shape[4]), fill, dtype=x.dtype)
    xp[_inner(g)] = x
    return xp


def _unpadded(xp, g):
    return xp if not _has_pad(g) else np.ascontiguousarray(xp[_inner(g)])


def _taps(g):
    """For each kernel tap (row-major over kd, kh, kw): the slices of the padded input it reads."""
    per_axis = [[slice(i * d, i * d + (o - 1) * s + 1, s) for i in range(k)]
                for k, s, d, o in zip(g.k, g.s, g.d, g.out)]
    for a, b, c in itertools.product(*per_axis):
        yield (slice(None), a, b, c)


def _is_pointwise(g):
    return g.k == (1, 1, 1) and g.s == (1, 1, 1) and not _has_pad(g)


# -- convolution: im2col and its adjoint ----------------------------------------------------------


def _im2col(x, g):
    """Patches of NDHWC ``x``: (M, kd*kh*kw*c) with M = n * od * oh * ow, each laid out (kd, kh, kw, c)."""
    n = x.shape[0]
    m = n * int(np.prod(g.out))
    if _is_pointwise(g):
        return x.reshape(m, g.c)
    xp = _padded(x, g)
    taps = int(np.prod(g.k))
    if g.c < 8:
        # NOTE: with few channels (a first layer's 1 to 3) a voxel-major copy runs an inner loop only c long;
        # the patches are built column-major instead, one (tap, channel) slab at a time, each a plain strided
        # copy, and matmul gets the transposed view (BLAS takes either order), as the 2-d op does.
        cols_t = np.empty((taps * g.c, n) + g.out, dtype=x.dtype)
        for t, sl in enumerate(_taps(g)):
            view = xp[sl]
            for ch in range(g.c):
                cols_t[t * g.c + ch] = view[..., ch]
        return cols_t.reshape(taps * g.c, m).T
    s0, s1, s2, s3, s4 = xp.strides
    view = as_strided(xp, (n,) + g.out + g.k + (g.c,),
                      (s0, s1 * g.s[0], s2 * g.s[1], s3 * g.s[2], s1 * g.d[0], s2 * g.d[1], s3 * g.d[2], s4),
                      writeable=False)
    return np.ascontiguousarray(view).reshape(m, taps * g.c)


def _conv_np(x, k, geom, saved=None):
    cols = _im2col(x, geom)
    if saved is not None:
        saved["cols"] = cols
    o = k.shape[4]
    return (cols @ k.reshape(-1, o)).reshape((x.shape[0],) + geom.out + (o,))


def _conv_dx_np(gy, k, geom):
    """The gradient of the convolution for its input (also the transposed convolution's forward)."""
    g = geom
    n, o = gy.shape[0], k.shape[4]
    g2 = gy.reshape(-1, o)
    if _is_pointwise(g):
        return (g2 @ k.reshape(g.c, o).T).reshape((n,) + g.size + (g.c,))
    taps = int(np.prod(g.k))
    # NOTE: the patch gradients come from one GEMM, (M, out) @ (out, taps * c), then each tap's slab is added
    # into the image. One product per tap instead (the 2-d op's choice) reads the output gradient 27 times
    # for a 3x3x3 kernel and was 1.5-4x slower here, channels 1 to 32 (A/B in one process, 2-core VM, noisy).
    dcols = (g2 @ k.reshape(taps * g.c, o).T).reshape((n,) + g.out + (taps, g.c))
    dxp = np.zeros(_padded_shape(n, g), dtype=dcols.dtype)
    if g.c == 1:        # adds without the unit channel axis: its 1-long inner loops cost several times more
        plane = dxp[..., 0]
        for t, sl in enumerate(_taps(g)):
            plane[sl[:4]] += dcols[..., t, 0]
    else:
        for t, sl in enumerate(_taps(g)):
            dxp[sl] += dcols[..., t, :]
    return _unpadded(dxp, g)


def _conv_dk_np(x, gy, geom, cols=None):
    """The gradient of the convolution for its kernel, shape (kd, kh, kw, c, out)."""
    if cols is None:
        cols = _im2col(x, geom)
    o = gy.shape[4]
    return (cols.T @ gy.reshape(-1, o)).reshape(geom.k + (geom.c, o))


_conv_prim = Primitive(_conv_np, "conv3d")
_conv_dx_prim = Primitive(_conv_dx_np, "conv3d_input_grad")
_conv_dk_prim = Primitive(_conv_dk_np, "conv3d_kernel_grad")


def _conv(x, k, geom, saved=None):
    return apply(_conv_prim, (x, k), {"geom": geom, "saved": saved})


def _conv_dx(gy, k, geom):
    return apply(_conv_dx_prim, (gy, k), {"geom": geom})


def _conv_dk(x, gy, geom, cols=None):
    return apply(_conv_dk_prim, (x, gy), {"geom": geom, "cols": cols})


# The three are bilinear and each other's adjoints, so every vjp is one of them (any order works).
defvjp(_conv_prim,
       lambda gy, ans, x, k, geom, saved=None: _conv_dx(gy, k, geom),
       lambda gy, ans, x, k, geom, saved=None: _conv_dk(x, gy, geom, saved.get("cols") if saved else None))
defvjp(_conv_dx_prim,
       lambda gx, ans, gy, k, geom: _conv(gx, k, geom),
       lambda gx, ans, gy, k, geom: _conv_dk(gx, gy, geom))
defvjp(_conv_dk_prim,
       lambda gk, ans, x, gy, geom, cols=None: _conv_dx(gy, gk, geom),
       lambda gk, ans, x, gy, geom, cols=None: _conv(x, gk, geom))


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", dilation_rate=(1, 1, 1), groups=1):
    """3-d convolution (cross-correlation, as tf.nn.conv3d) of NDHWC ``x`` with ``kernel`` of shape
    (kernel_d, kernel_h, kernel_w, in_channels / groups, filters); 'same' pads exactly as TensorFlow does.

    With ``groups`` > 1 the channels are split into groups convolved separately (one product each) and the
    outputs concatenated, as Keras's Conv3D(groups=...).

    Example:
        >>> conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((3, 3, 3, 2, 5)), strides=2, padding="same").shape
        (1, 2, 2, 2, 5)
    """
    fn = "conv3d"
    xd = _rank(x, 5, fn, "x", _LAYOUT)
    kd = _rank(kernel, 5, fn, "kernel", "(kernel_d, kernel_h, kernel_w, in_channels / groups, filters)")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, received {groups!r}")
    groups = int(groups)
    c, o = xd.shape[4], kd.shape[4]
    if c % groups or o % groups:
        raise ValueError(f"{fn}: input channels ({c}) and filters ({o}) must both be divisible by groups={groups}")
    if kd.shape[3] * groups != c:
        raise ValueError(f"{fn}: kernel shape {kd.shape} expects {kd.shape[3] * groups} input channels "
                         f"(in_channels / groups = {kd.shape[3]}, groups={groups}), but x has {c} (shape {xd.shape})")
    strides = _ints(strides, 3, fn, "strides")
    dilation = _ints(dilation_rate, 3, fn, "dilation_rate")
    if not isinstance(padding, tuple):
        padding = _padding(padding, fn)
    geom = _geom3(fn, xd.shape[:4] + (c // groups,), kd.shape[:3], strides, dilation, padding)
    save = STATE.grad_enabled and isinstance(kernel, Tensor) and kernel.requires_grad
    if groups == 1:
        return _conv(x, kernel, geom, {} if save else None)
    xs = split(x, groups, axis=4)
    ks = split(kernel, groups, axis=4)
    return concatenate([_conv(xg, kg, geom, {} if save else None) for xg, kg in zip(xs, ks)], axis=4)


def conv3d_transpose(x, kernel, output_shape=None, strides=(1, 1, 1), padding="valid", output_padding=None):
    """Transposed 3-d convolution (the gradient of conv3d for its input), as Keras's Conv3DTranspose.

    Args:
        x: (batch, depth, height, width, in_channels).
        kernel: (kernel_d, kernel_h, kernel_w, filters, in_channels), Keras's storage order.
        output_shape: (out_d, out_h, out_w) or (batch, out_d, out_h, out_w, filters); computed as Keras does
            from strides, padding and output_padding when None.

    Example:
        >>> conv3d_transpose(np.ones((1, 2, 3, 3, 4)), np.ones((3, 3, 3, 2, 4)), strides=2, padding="same").shape
        (1, 4, 6, 6, 2)
    """
    fn = "conv3d_transpose"
    xd = _rank(x, 5, fn, "x", "(batch, depth, height, width, in_channels)")
    kd = _rank(kernel, 5, fn, "kernel", "(kernel_d, kernel_h, kernel_w, filters, in_channels)")
    if kd.shape[4] != xd.shape[4]:
        raise ValueError(f"{fn}: kernel shape {kd.shape} expects {kd.shape[4]} input channels (its last axis), "
                         f"x has {xd.shape[4]} (shape {xd.shape})")
    strides = _ints(strides, 3, fn, "strides")
    padding = _padding(padding, fn)
    n, size = xd.shape[0], xd.shape[1:4]
    ksize, filters = kd.shape[:3], kd.shape[3]
    if output_shape is None:
        if output_padding is None:
            ops = (None,) * 3
        else:
            ops = _ints_nonneg(output_padding, fn)
            if any(p >= s for p, s in zip(ops, strides)):
                raise ValueError(f"{fn}: output_padding {output_padding!r} must be smaller than the strides "
                                 f"{strides}")
        out = tuple(deconv_output_length(m, k, padding, p, s) for m, k, p, s in zip(size, ksize, ops, strides))
    else:
        shape = tuple(int(v) for v in output_shape)
        if len(shape) == 5:
            if shape[0] != n or shape[4] != filters:
                raise ValueError(f"{fn}: output_shape {tuple(output_shape)} does not agree with batch {n} and "
                                 f"filters {filters}")
            shape = shape[1:4]
        if len(shape) != 3:
            raise ValueError(f"{fn}: output_shape must be (depth, height, width) or (batch, depth, height, width, "
                             f"filters), received {output_shape!r}")
        out = shape
    geom = _geom3(fn, (n,) + tuple(out) + (filters,), ksize, strides, (1, 1, 1), padding)
    if geom.out != tuple(size):
        raise ValueError(f"{fn}: output size {tuple(out)} is inconsistent with the input size {tuple(size)}: a "
                         f"convolution of it with these strides and padding gives {geom.out}")
    return _conv_dx(x, kernel, geom)


def _ints_nonneg(value, fn):
    vals = (value,) * 3 if isinstance(value, (int, np.integer)) else tuple(value)
    if len(vals) != 3 or any(int(v) < 0 for v in vals):
        raise ValueError(f"{fn}: output_padding must be a non-negative int or 3 of them, received {value!r}")
    return tuple(int(v) for v in vals)


# -- pooling --------------------------------------------------------------------------------------


def _pool_geom(fn, x, pool_size, strides, padding):
    xd = _rank(x, 5, fn, "x", _LAYOUT)
    pool = _ints(pool_size, 3, fn, "pool_size")
    strides = pool if strides is None else _ints(strides, 3, fn, "strides")
    return _geom3(fn, xd.shape, pool, strides, (1, 1, 1), _padding(padding, fn))


def _max_pool_np(x, geom):
    xp = _padded(x, geom, _lowest(x.dtype))
    out = None
    for sl in _taps(geom):
        if out is None:
            out = xp[sl].copy()
        else:
            np.maximum(out, xp[sl], out=out)
    return out


def _max_hits(xp, ans, geom):
    """For each tap: its slices and where it holds its window's maximum, the first tap (row-major) winning
    ties."""
    taken = None
    for sl in _taps(geom):
        hit = np.equal(xp[sl], ans)
        if taken is None:
            taken = hit.copy()
        else:
            hit &= ~taken
            taken |= hit
        yield sl, hit


def _max_pool_grad_np(gy, x, ans, geom):
    # NOTE: the gradient goes to each window's first maximum, as the 2-d op and TensorFlow's MaxPoolGrad do.
    # TensorFlow's MaxPool3DGrad instead gives the whole gradient to every element within 1e-5 of the max, so
    # the two differ only where a window holds near-ties (that rule is not a gradient: it counts g twice).
    xp = _padded(x, geom, _lowest(x.dtype))
    dxp = np.zeros(xp.shape, dtype=gy.dtype)
    for sl, hit in _max_hits(xp, ans, geom):
        dxp[sl] += gy * hit
    return _unpadded(dxp, geom)


def _max_pool_select_np(gx, x, ans, geom):
    xp = _padded(x, geom, _lowest(x.dtype))
    gp = _padded(gx, geom)
    out = np.zeros(ans.shape, dtype=gx.dtype)
    for sl, hit in _max_hits(xp, ans, geom):
        out += gp[sl] * hit
    return out


_max_pool_prim = Primitive(_max_pool_np, "max_pool3d")
_max_pool_grad_prim = Primitive(_max_pool_grad_np, "max_pool3d_grad")
_max_pool_select_prim = Primitive(_max_pool_select_np, "max_pool3d_select")
defvjp(_max_pool_prim,
       lambda g, ans, x, geom: apply(_max_pool_grad_prim, (g, raw(x), ans.data), {"geom": geom}))
defvjp(_max_pool_grad_prim,
       lambda gg, ans, gy, x, a, geom: apply(_max_pool_select_prim, (gg, x, a), {"geom": geom}), None, None)
defvjp(_max_pool_select_prim,
       lambda g, ans, gx, x, a, geom: apply(_max_pool_grad_prim, (g, x, a), {"geom": geom}), None, None)


def _counts(geom):
    """How many real (unpadded) input voxels each window covers: (od, oh, ow, 1), or a scalar."""
    if not _has_pad(geom):
        return int(np.prod(geom.k))
    per_axis = []
    for n, k, s, (before, _), o in zip(geom.size, geom.k, geom.s, geom.pads, geom.out):
        start = np.arange(o) * s - before
        per_axis.append(np.minimum(start + k, n) - np.maximum(start, 0))
    a, b, c = per_axis
    return (a[:, None, None] * b[None, :, None] * c[None, None, :])[..., None]


def _avg_pool_np(x, geom):
    xp = _padded(x, geom)
    out = None
    for sl in _taps(geom):
        if out is None:
            out = xp[sl].astype(np.result_type(x.dtype, np.float32), copy=True)
        else:
            out += xp[sl]
    # NOTE: as TensorFlow's 'same' average pooling, padded positions are not counted in the mean.
    out /= np.asarray(_counts(geom), dtype=out.dtype)
    return out


def _avg_pool_grad_np(gy, geom, n):
    gd = gy / np.asarray(_counts(geom), dtype=gy.dtype)
    dxp = np.zeros(_padded_shape(n, geom), dtype=gy.dtype)
    for sl in _taps(geom):
        dxp[sl] += gd
    return _unpadded(dxp, geom)


_avg_pool_prim = Primitive(_avg_pool_np, "avg_pool3d")
_avg_pool_grad_prim = Primitive(_avg_pool_grad_np, "avg_pool3d_grad")
defvjp(_avg_pool_prim,
       lambda g, ans, x, geom: apply(_avg_pool_grad_prim, (g,), {"geom": geom, "n": raw(x).shape[0]}))
defvjp(_avg_pool_grad_prim, lambda g, ans, gy, geom, n: apply(_avg_pool_prim, (g,), {"geom": geom}))


def max_pool3d(x, pool_size=(2, 2, 2), strides=None, padding="valid"):
    """Max pooling over NDHWC ``x`` (strides default to pool_size, as Keras's MaxPooling3D); 'same' pads
    with -inf as TensorFlow does.

    Example:
        >>> max_pool3d(np.arange(8.0).reshape(1, 2, 2, 2, 1)).shape
        (1, 1, 1, 1, 1)
    """
    return apply(_max_pool_prim, (x,), {"geom": _pool_geom("max_pool3d", x, pool_size, strides, padding)})


def avg_pool3d(x, pool_size=(2, 2, 2), strides=None, padding="valid"):
    """Average pooling over NDHWC ``x``; with 'same' padding the padded positions are left out of each mean,
    as in TensorFlow.

    Example:
        >>> avg_pool3d(np.ones((1, 3, 3, 3, 1)), 2, padding="same")[0, :, :, :, 0].shape
        (2, 2, 2)
    """
    return apply(_avg_pool_prim, (x,), {"geom": _pool_geom("avg_pool3d", x, pool_size, strides, padding)})


# -- upsampling -----------------------------------------------------------------------------------


def upsample3d(x, size=(2, 2, 2)):
    """Repeat each voxel of NDHWC ``x`` ``size`` times along depth, height and width (Keras's
    UpSampling3D).

    Example:
        >>> upsample3d(np.ones((1, 2, 3, 1, 4)), (2, 1, 3)).shape
        (1, 4, 3, 3, 4)
    """
    shape = shape_of(x)         # the shape only (no values): upsampling is reshapes, so vmap batches it
    if len(shape) != 5:
        raise ValueError(f"upsample3d: x must be 5-d {_LAYOUT}, received shape {shape}")
    sd, sh, sw = _ints(size, 3, "upsample3d", "size")
    n, d, h, w, c = shape
    y = broadcast_to(reshape(x, (n, d, 1, h, 1, w, 1, c)), (n, d, sd, h, sh, w, sw, c))
    return reshape(y, (n, d * sd, h * sh, w * sw, c))


# -- forward-mode and batching rules ---------------------------------------------------------------------
# jvps: the convolutions are bilinear (a forward's saved patches belong to its own x, so a tangent in place
# of x gets none), pooling's tangent is the selection its gradient's vjp already is, the rest is linear.
defjvp(_conv_prim,
       lambda t, ans, x, k, geom, saved=None: _conv(t, k, geom),
       lambda t, ans, x, k, geom, saved=None: _conv(x, t, geom))
def_linear(_conv_dx_prim)
defjvp(_conv_dk_prim,
       lambda t, ans, x, gy, geom, cols=None: _conv_dk(t, gy, geom),
       lambda t, ans, x, gy, geom, cols=None: _conv_dk(x, t, geom, cols))
defjvp(_max_pool_prim, lambda t, ans, x, geom: apply(_max_pool_select_prim, (t, raw(x), ans.data), {"geom": geom}))
def_linear(_max_pool_grad_prim)
def_linear(_max_pool_select_prim)
def_linear(_avg_pool_prim)
def_linear(_avg_pool_grad_prim)

# Batching: examples with a shared kernel are more volumes (merged into the batch axis, one call). With
# per-example kernels (vmap of grad) the convolution is written with ops for all examples at once: one
# strided slice per kernel tap (patches), one batched matmul, and for the input's gradient one scatter per
# tap; the number of calls depends on the kernel size, never on the number of examples.


def _example_patches(x, g):
    """(B, n, od, oh, ow, taps, c): every example's patches, from x (B, n, d, h, w, c)."""
    if _has_pad(g):
        x = pad(x, ((0, 0), (0, 0)) + tuple(g.pads) + ((0, 0),))
    return stack([getitem(x, (slice(None),) + sl) for sl in _taps(g)], axis=5)


def _example_rows(a, g, n, width):
    """(B, n * output voxels, width) from (B, n, od, oh, ow, ...)."""
    return reshape(a, (shape_of(a)[0], n * int(np.prod(g.out)), width))


def _example_kernels(k, g):
    """(B, taps * c, o) from per-example kernels (B, kd, kh, kw, c, o)."""
    s = shape_of(k)
    return reshape(k, (s[0], int(np.prod(g.k)) * g.c, s[-1]))


def _conv3d_batch(args, dims, geom, saved=None):
    (x, k), (dx, dk) = args, dims
    if dk is None:
        xm, size = _merge(x, dx)
        return _split_batch(_conv(xm, k, geom, {} if saved is not None else None), size), 0
    size = batch_size(args, dims)
    x = bring(x, dx, size)
    n = shape_of(x)[1]
    cols = _example_rows(_example_patches(x, geom), geom, n, int(np.prod(geom.k)) * geom.c)
    out = matmul(cols, _example_kernels(to_front(k, dk), geom))
    return reshape(out, (size, n) + geom.out + (shape_of(out)[-1],)), 0


def _conv3d_dx_batch(args, dims, geom):
    (gy, k), (dg, dk) = args, dims
    if dk is None:
        gm, size = _merge(gy, dg)
        return _split_batch(_conv_dx(gm, k, geom), size), 0
    size = batch_size(args, dims)
    gy = bring(gy, dg, size)
    n, o = shape_of(gy)[1], shape_of(gy)[-1]
    dcols = matmul(_example_rows(gy, geom, n, o), transpose(_example_kernels(to_front(k, dk), geom), (0, 2, 1)))
    dcols = reshape(dcols, (size, n) + geom.out + (int(np.prod(geom.k)), geom.c))
    full = (size,) + _padded_shape(n, geom)
    total = None
    for t, sl in enumerate(_taps(geom)):
        part = apply(_index_add_prim, (getitem(dcols, (Ellipsis, t, slice(None))), full, (slice(None),) + sl), {})
        total = part if total is None else add(total, part)
    return (getitem(total, (slice(None),) + _inner(geom)) if _has_pad(geom) else total), 0


def _conv3d_dk_batch(args, dims, geom, cols=None):
    (x, gy), (dx, dg) = args, dims
    size = batch_size(args, dims)
    x, gy = bring(x, dx, size), bring(gy, dg, size)
    n, o = shape_of(x)[1], shape_of(gy)[-1]
    cols = _example_rows(_example_patches(x, geom), geom, n, int(np.prod(geom.k)) * geom.c)
    dk = matmul(transpose(cols, (0, 2, 1)), _example_rows(gy, geom, n, o))
    return reshape(dk, (size,) + geom.k + (geom.c, o)), 0


defbatch(_conv_prim, _conv3d_batch)
defbatch(_conv_dx_prim, _conv3d_dx_batch)
defbatch(_conv_dk_prim, _conv3d_dk_batch)
defbatch(_max_pool_prim, _merged_rule(_max_pool_prim))
defbatch(_max_pool_grad_prim, _merged_rule(_max_pool_grad_prim))
defbatch(_max_pool_select_prim, _merged_rule(_max_pool_select_prim))
defbatch(_avg_pool_prim, _merged_rule(_avg_pool_prim))
defbatch(_avg_pool_grad_prim, _merged_rule(_avg_pool_grad_prim))
