"""Image resampling: resizing (TensorFlow's eight ``tf.image.resize`` methods) and projective transforms
(``ImageProjectiveTransformV3``: rotations, zooms, translations with four fill modes).

Both are linear in the pixels. A resize is separable: the output is ``Wh @ image @ Ww^T`` for each image
and channel, with one (out, in) weight matrix per axis computed once from the sizes and the method, so
the whole op is two matrix products and its vjp is the same op with the transposed matrices. A
transform gathers up to four weighted taps per output pixel; its vjp scatters them back.

Images are channels-last, ``(batch, height, width, channels)`` or one ``(height, width, channels)``.

Example:
    >>> x = ag.tensor(np.arange(16.0).reshape(1, 4, 4, 1), requires_grad=True)
    >>> ag.resize(x, (2, 2), method="area").data[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
"""
import functools
import math

import numpy as np

from ..batching import shape_of, to_front
from ..primitive import Primitive, apply, def_linear, defbatch, defjvp, defvjp

__all__ = ["resize", "resize_weights", "image_transform", "RESIZE_METHODS"]

#: the methods of ``tf.image.resize`` (all of them, as tf.keras's ``Resizing`` and ``resize_images`` take)
RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")

_F32 = np.float32


# -- one axis's weight matrix per method ------------------------------------------------------------------------

def _bilinear(in_size, out_size):
    # NOTE: ResizeBilinear with half-pixel centers, positions in float32 as TensorFlow computes them
    scale = _F32(in_size) / _F32(out_size)
    pos = (np.arange(out_size, dtype=_F32) + _F32(0.5)) * scale - _F32(0.5)
    low = np.floor(pos)
    lerp = (pos - low).astype(np.float64)
    lo = np.maximum(low.astype(np.int64), 0)
    hi = np.minimum(np.ceil(pos).astype(np.int64), in_size - 1)
    w = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(w, (rows, lo), 1.0 - lerp)
    np.add.at(w, (rows, hi), lerp)
    return w


def _nearest(in_size, out_size):
    # NOTE: ResizeNearestNeighbor with half-pixel centers: floor((i + 0.5) * scale) in float32, clamped
    scale = _F32(in_size) / _F32(out_size)
    src = np.floor((np.arange(out_size, dtype=_F32) + _F32(0.5)) * scale).astype(np.int64)
    src = np.clip(src, 0, in_size - 1)
    w = np.zeros((out_size, in_size))
    w[np.arange(out_size), src] = 1.0
    return w


_CUBIC_TABLE_SIZE = 1024


@functools.lru_cache(maxsize=1)
def _keys_cubic_table():
    # NOTE: ResizeBicubic reads Keys' cubic (a = -0.5) from a 1025-entry table, so a tap's weight is the
    # kernel at the distance rounded to 1/1024; matching TensorFlow to 1e-4 needs the same rounding.
    a = -0.5
    x = np.arange(_CUBIC_TABLE_SIZE + 1, dtype=np.float64) / _CUBIC_TABLE_SIZE
    near = (((a + 2) * x - (a + 3)) * x * x + 1).astype(_F32)
    x1 = x + 1.0
    far = (((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a).astype(_F32)
    return near.astype(np.float64), far.astype(np.float64)


def _bicubic(in_size, out_size):
    near, far = _keys_cubic_table()
    scale = _F32(in_size) / _F32(out_size)
    pos = (np.arange(out_size, dtype=_F32) + _F32(0.5)) * scale - _F32(0.5)
    base = np.floor(pos)
    delta = pos - base
    offset = np.rint(delta * _F32(_CUBIC_TABLE_SIZE)).astype(np.int64)
    base = base.astype(np.int64)
    taps = [(base - 1, far[offset]), (base, near[offset]), (base + 1, near[_CUBIC_TABLE_SIZE - offset]),
            (base + 2, far[_CUBIC_TABLE_SIZE - offset])]
    w = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    weights = np.stack([np.where((idx >= 0) & (idx < in_size), wt, 0.0) for idx, wt in taps])
    total = weights.sum(axis=0)
    weights = np.where(np.abs(total) >= 1000 * np.finfo(_F32).tiny, weights / np.where(total == 0, 1, total), weights)
    for (idx, _), wt in zip(taps, weights):
        np.add.at(w, (rows, np.clip(idx, 0, in_size - 1)), wt)
    return w


def _area(in_size, out_size):
    # NOTE: ResizeArea: each output pixel averages the input interval [i * s, (i + 1) * s), partial pixels
    # weighted by their overlap
    scale = float(_F32(in_size) / _F32(out_size))
    w = np.zeros((out_size, in_size))
    for i in range(out_size):
        start, end = i * scale, (i + 1) * scale
        for j in range(int(math.floor(start)), int(math.ceil(end))):
            overlap = min(j + 1.0, end) - max(float(j), start)
            if overlap > 0:
                w[i, min(j, in_size - 1)] += overlap / scale
    return w


def _lanczos(radius):
    def kernel(x):
        x = np.abs(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi ** 2 * x * x)
        return np.where(x > radius, 0.0, np.where(x <= 1e-3, 1.0, v))
    return kernel, float(radius)


def _gaussian_kernel(x):
    radius, sigma = 1.5, 1.5 / 3.0
    x = np.abs(x)
    return np.where(x >= radius, 0.0, np.exp(-x * x / (2.0 * sigma * sigma)))


def _mitchell_kernel(x):
    x = np.abs(x)
    outer = (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    inner = ((7.0 / 6.0) * x - 2.0) * x * x + 8.0 / 9.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, outer, inner))


_SCALE_AND_TRANSLATE = {"lanczos3": _lanczos(3), "lanczos5": _lanczos(5), "gaussian": (_gaussian_kernel, 1.5),
                        "mitchellcubic": (_mitchell_kernel, 2.0)}


def _scale_and_translate(in_size, out_size, method):
    # NOTE: ScaleAndTranslate without antialiasing (tf.image.resize's default): each output samples the
    # kernel at the taps within its radius, clamped to the image, and the weights are renormalized
    kernel, radius = _SCALE_AND_TRANSLATE[method]
    inv_scale = 1.0 / float(_F32(out_size) / _F32(in_size))
    w = np.zeros((out_size, in_size))
    for i in range(out_size):
        sample = (i + 0.5) * inv_scale
        if sample < 0 or sample > in_size:
            continue
        start = min(max(int(math.ceil(sample - radius - 0.5)), 0), in_size - 1)
        end = min(max(int(math.floor(sample + radius - 0.5)), 0), in_size - 1) + 1
        src = np.arange(start, end)
        weights = kernel(src + 0.5 - sample)
        total = weights.sum()
        if abs(total) >= 1000 * np.finfo(_F32).tiny:
            weights = weights / total
        w[i, start:end] = weights
    return w


@functools.lru_cache(maxsize=256)
def resize_weights(in_size, out_size, method):
    """The ``(out_size, in_size)`` matrix that resizes one axis with ``method`` (as ``tf.image.resize``).

    Example:
        >>> resize_weights(2, 4, "bilinear")
        array([[1.  , 0.  ],
               [0.75, 0.25],
               [0.25, 0.75],
               [0.  , 1.  ]])
    """
    if method not in RESIZE_METHODS:
        raise ValueError(f"resize: unknown interpolation method {method!r}; expected one of {RESIZE_METHODS}")
    if in_size <= 0 or out_size <= 0:
        raise ValueError(f"resize: sizes must be positive, received in_size={in_size}, out_size={out_size}")
    if method == "bilinear":
        w = _bilinear(in_size, out_size)
    elif method == "nearest":
        w = _nearest(in_size, out_size)
    elif method == "bicubic":
        w = _bicubic(in_size, out_size)
    elif method == "area":
        w = _area(in_size, out_size)
    else:
        w = _scale_and_translate(in_size, out_size, method)
    w.setflags(write=False)
    return w


# -- the separable resample primitive ---------------------------------------------------------------------------

def _resample_np(x, wh, ww):
    # x: (batch, in_h, in_w, channels) -> (batch, out_h, out_w, channels)
    wh = wh.astype(x.dtype, copy=False)
    ww = ww.astype(x.dtype, copy=False)
    t = np.matmul(wh, x.reshape(x.shape[0], x.shape[1], -1))          # (b, out_h, in_w * c)
    t = t.reshape(x.shape[0], wh.shape[0], x.shape[2], x.shape[3])
    out = np.einsum("pw,bhwc->bhpc", ww, t, optimize=True)
    return np.ascontiguousarray(out)


_resample_prim = Primitive(_resample_np, "resize")
defvjp(_resample_prim, lambda g, ans, x, wh, ww: apply(_resample_prim, (g,), {"wh": wh.T, "ww": ww.T}))
def_linear(_resample_prim)


def _merged_batch(x, dim):
    """``x`` with its vmap axis moved first and merged into the images' batch axis: ``(n * b, ...)``."""
    from .shape import reshape
    x = to_front(x, dim)
    s = shape_of(x)
    return reshape(x, (s[0] * s[1],) + tuple(s[2:])), s[0]


def _split_batch(out, n):
    from .shape import reshape
    s = shape_of(out)
    return reshape(out, (n, s[0] // n) + tuple(s[1:]))


def _resample_batch(args, dims, wh, ww):
    x, n = _merged_batch(args[0], dims[0])
    return _split_batch(apply(_resample_prim, (x,), {"wh": wh, "ww": ww}), n), 0


defbatch(_resample_prim, _resample_batch)


def resize(images, size, method="bilinear"):
    """Resize images to ``size = (height, width)`` as ``tf.image.resize(images, size, method)`` does
    (no antialiasing; half-pixel centers), differentiably.

    Args:
        images: ``(batch, height, width, channels)`` or ``(height, width, channels)``; integers are resized as
            float32.
        size: the output ``(height, width)``.
        method: one of ``RESIZE_METHODS``.

    Example:
        >>> ag.resize(np.ones((2, 4, 4, 3), np.float32), (2, 8)).shape
        (2, 2, 8, 3)
    """
    shape = shape_of(images)
    dtype = np.dtype(images.dtype if hasattr(images, "dtype") else np.asarray(images).dtype)
    if len(shape) not in (3, 4):
        raise ValueError(f"resize: expected images of rank 3 (height, width, channels) or 4 (batch, height, width, "
                         f"channels), received shape {shape}")
    try:
        out_h, out_w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f"resize: size must be (height, width), received {size!r}") from None
    if dtype.kind != "f":
        from .shape import astype
        images = astype(images, np.float32)
    unbatched = len(shape) == 3
    if unbatched:
        from .shape import expand_dims
        images = expand_dims(images, 0)
    h, w = shape[-3], shape[-2]
    out = apply(_resample_prim, (images,), {"wh": resize_weights(h, out_h, method),
                                            "ww": resize_weights(w, out_w, method)})
    if unbatched:
        from .shape import squeeze
        out = squeeze(out, 0)
    return out


# -- projective transforms --------------------------------------------------------------------------------------

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _map_coordinates(coord, size, fill_mode):
    """Fold coordinates that fall outside ``[0, size - 1]`` back in, as ImageProjectiveTransformV3 does."""
    c = coord.astype(_F32)
    if fill_mode == "constant":
        return c
    if fill_mode == "nearest":
        return np.clip(c, 0, size - 1)
    if size <= 1:
        return np.where((c < 0) | (c > size - 1), _F32(0), c)
    if fill_mode == "reflect":
        sz2 = _F32(2 * size)
        low = c < 0
        cl = sz2 * np.trunc(-c / sz2) + c
        cl = np.where(cl < -size, cl + sz2, -cl - 1)
        high = c > size - 1
        ch = c - sz2 * np.trunc(c / sz2)
        ch = np.where(ch >= size, sz2 - ch - 1, ch)
        c = np.where(low, cl, np.where(high, ch, c))
    else:  # wrap
        sz = _F32(size - 1)
        low = c < 0
        cl = c + size * (np.trunc(-c / sz) + 1)
        high = c > size - 1
        ch = c - size * np.trunc(c / sz)
        c = np.where(low, cl, np.where(high, ch, c))
    return np.clip(c, 0, size - 1).astype(_F32)


def _transform_taps(shape, transforms, interpolation, fill_mode):
    """``(index, weight, outside)``: where each output pixel reads (flat indices into one image's
    ``height * width`` pixels, shape (taps, batch, out_h, out_w)), with what weight, and the total weight
    of its taps outside the image (shape (batch, out_h, out_w)), which reads the fill value."""
    b, h, w = shape[0], shape[1], shape[2]
    t = np.asarray(transforms, dtype=_F32).reshape(-1, 8)
    if t.shape[0] == 1 and b > 1:
        t = np.repeat(t, b, axis=0)
    ys, xs = np.meshgrid(np.arange(h, dtype=_F32), np.arange(w, dtype=_F32), indexing="ij")
    a = [t[:, i, None, None] for i in range(8)]
    proj = a[6] * xs + a[7] * ys + _F32(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        in_x = (a[0] * xs + a[1] * ys + a[2]) / proj
        in_y = (a[3] * xs + a[4] * ys + a[5]) / proj
    zero_proj = proj == 0
    x = _map_coordinates(in_x, w, fill_mode)
    y = _map_coordinates(in_y, h, fill_mode)
    if interpolation == "nearest":
        # NOTE: std::round: halves away from zero
        yi = (np.sign(y) * np.floor(np.abs(y) + _F32(0.5))).astype(np.int64)
        xi = (np.sign(x) * np.floor(np.abs(x) + _F32(0.5))).astype(np.int64)
        taps = [(yi, xi, np.ones_like(x, dtype=np.float64))]
    else:
        y0, x0 = np.floor(y), np.floor(x)
        y1, x1 = y0 + 1, x0 + 1
        wy1, wx1 = (y - y0).astype(np.float64), (x - x0).astype(np.float64)
        wy0, wx0 = (y1 - y).astype(np.float64), (x1 - x).astype(np.float64)
        y0, x0, y1, x1 = (v.astype(np.int64) for v in (y0, x0, y1, x1))
        taps = [(y0, x0, wy0 * wx0), (y0, x1, wy0 * wx1), (y1, x0, wy1 * wx0), (y1, x1, wy1 * wx1)]
    index, weight, outside = [], [], []
    for yi, xi, wt in taps:
        ok = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w) & ~zero_proj
        index.append(np.where(ok, np.clip(yi, 0, h - 1) * w + np.clip(xi, 0, w - 1), 0))
        weight.append(np.where(ok, wt, 0.0))
        outside.append(np.where(ok | zero_proj, 0.0, wt))
    return np.stack(index), np.stack(weight), np.sum(outside, axis=0) + zero_proj


def _gather(x, index, weight):
    # x: (b, h*w, c); index, weight: (taps, b, oh, ow) -> (b, oh, ow, c)
    b = x.shape[0]
    out = None
    for k in range(index.shape[0]):
        flat = index[k].reshape(b, -1)
        picked = np.take_along_axis(x, flat[:, :, None], axis=1) * weight[k].reshape(b, -1, 1).astype(x.dtype)
        out = picked if out is None else out + picked
    return out


def _transform_np(x, index, weight, fill):
    b, h, w, c = x.shape
    out = _gather(x.reshape(b, h * w, c), index, weight).reshape(b, index.shape[2], index.shape[3], c)
    if fill is not None:
        out = out + fill[..., None].astype(x.dtype)
    return out


def _transform_transpose_np(g, index, weight, in_shape):
    b, h, w, c = in_shape
    gx = np.zeros((b, h * w, c), dtype=g.dtype)
    gflat = g.reshape(b, -1, c)
    rows = np.arange(b)[:, None]
    for k in range(index.shape[0]):
        np.add.at(gx, (rows, index[k].reshape(b, -1)), gflat * weight[k].reshape(b, -1, 1).astype(g.dtype))
    return gx.reshape(in_shape)


_transform_prim = Primitive(_transform_np, "image_transform")
_transform_transpose_prim = Primitive(_transform_transpose_np, "image_transform_transpose")
defvjp(_transform_prim, lambda g, ans, x, index, weight, fill: apply(
    _transform_transpose_prim, (g,), {"index": index, "weight": weight, "in_shape": tuple(shape_of(x))}))
defvjp(_transform_transpose_prim, lambda g, ans, gy, index, weight, in_shape: apply(
    _transform_prim, (g,), {"index": index, "weight": weight, "fill": None}))


def _transform_jvp(t, ans, x, index, weight, fill):
    # NOTE: linear in the pixels; the fill value is a constant term that a tangent does not carry
    return apply(_transform_prim, (t,), {"index": index, "weight": weight, "fill": None})


def _tiled(a, n, axis):
    return None if a is None else np.concatenate([a] * n, axis=axis)


def _transform_batch(args, dims, index, weight, fill):
    x, n = _merged_batch(args[0], dims[0])
    out = apply(_transform_prim, (x,), {"index": _tiled(index, n, 1), "weight": _tiled(weight, n, 1),
                                        "fill": _tiled(fill, n, 0)})
    return _split_batch(out, n), 0


def _transform_transpose_batch(args, dims, index, weight, in_shape):
    g, n = _merged_batch(args[0], dims[0])
    out = apply(_transform_transpose_prim, (g,), {"index": _tiled(index, n, 1), "weight": _tiled(weight, n, 1),
                                                  "in_shape": (in_shape[0] * n,) + tuple(in_shape[1:])})
    return _split_batch(out, n), 0


defjvp(_transform_prim, _transform_jvp)
def_linear(_transform_transpose_prim)
defbatch(_transform_prim, _transform_batch)
defbatch(_transform_transpose_prim, _transform_transpose_batch)


def image_transform(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Apply projective transforms as ``ImageProjectiveTransformV3`` does (what tf.keras's RandomRotation,
    RandomZoom and RandomTranslation call), differentiably in the pixels.

    Args:
        images: ``(batch, height, width, channels)``.
        transforms: ``(batch, 8)`` or ``(8,)``: ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps each output point
            ``(x, y)`` to the input point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with
            ``k = c0 x + c1 y + 1``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"`` for points outside the input.
        fill_value: the value outside the input with ``fill_mode="constant"``.

    Example:
        >>> shift = [1, 0, -1, 0, 1, 0, 0, 0]          # output x reads input x - 1: a shift right by one
        >>> ag.image_transform(np.arange(3.0).reshape(1, 1, 3, 1), shift, fill_mode="constant").data.ravel()
        array([0., 0., 1.])
    """
    shape = shape_of(images)
    dtype = np.dtype(images.dtype if hasattr(images, "dtype") else np.asarray(images).dtype)
    if len(shape) != 4:
        raise ValueError(f"image_transform: expected images of shape (batch, height, width, channels), received "
                         f"shape {shape}")
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"image_transform: interpolation must be 'bilinear' or 'nearest', received {interpolation!r}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"image_transform: fill_mode must be one of {_FILL_MODES}, received {fill_mode!r}")
    t = np.asarray(transforms, dtype=np.float64)
    if t.shape not in ((8,), (1, 8), (shape[0], 8)):
        raise ValueError(f"image_transform: transforms must have shape (8,) or (batch, 8) = ({shape[0]}, 8), "
                         f"received {t.shape}")
    index, weight, outside = _transform_taps(shape, t, interpolation, fill_mode)
    fill = float(fill_value) * outside if fill_value != 0 else None
    if dtype.kind != "f":
        from .shape import astype
        images = astype(images, np.float32)
    return apply(_transform_prim, (images,), {"index": index, "weight": weight, "fill": fill})
