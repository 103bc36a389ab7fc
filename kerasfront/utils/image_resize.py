"""Resizing images on the host as ``tf.image.resize`` does (``antialias=False``), for the data utilities
(``image_dataset_from_directory``, ``smart_resize``).

Every method is separable: resizing is ``W_rows @ image @ W_cols.T`` with one weight matrix per axis, which
``resize_weights(in_size, out_size, method)`` builds. The matrices follow TensorFlow's kernels:

- ``bilinear``: half-pixel centres, source ``(i + 0.5) * in/out - 0.5``, edges clamped.
- ``nearest``: source ``floor((i + 0.5) * in/out)`` (computed in float32, as TensorFlow does); rows are
  gathered, so the dtype is kept.
- ``bicubic``: Keys' cubic with ``a = -0.5``, half-pixel centres, the fraction rounded to 1/1024 (TensorFlow's
  coefficient table), taps outside the image dropped and the rest renormalized.
- ``area``: each output pixel averages the input area it covers.
- ``lanczos3``, ``lanczos5``, ``gaussian``, ``mitchellcubic``: TensorFlow's ``scale_and_translate`` kernels
  (normalized taps within the kernel's radius).

Example:
    >>> resize_images(np.arange(4.0).reshape(2, 2, 1), (4, 4), "bilinear")[..., 0]
    array([[0.  , 0.25, 0.75, 1.  ],
           [0.5 , 0.75, 1.25, 1.5 ],
           [1.5 , 1.75, 2.25, 2.5 ],
           [2.  , 2.25, 2.75, 3.  ]], dtype=float32)
"""
import math

import numpy as np

__all__ = ["INTERPOLATIONS", "resize_images", "resize_weights"]

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")

_TABLE_SIZE = 1024
_F32 = np.float32


def _bicubic_table(a=-0.5):
    """TensorFlow's float32 table of Keys' cubic weights at distances i/1024 (even slots) and 1 + i/1024 (odd)."""
    x = (np.arange(_TABLE_SIZE + 1, dtype=np.float64) / _TABLE_SIZE).astype(_F32)
    a = _F32(a)
    near = ((a + _F32(2)) * x - (a + _F32(3))) * x * x + _F32(1)
    x1 = x + _F32(1)
    far = ((a * x1 - _F32(5) * a) * x1 + _F32(8) * a) * x1 - _F32(4) * a
    return near.astype(_F32), far.astype(_F32)


def _bilinear(in_size, out_size):
    w = np.zeros((out_size, in_size))
    scale = _F32(in_size) / _F32(out_size)
    for i in range(out_size):
        src = (_F32(i) + _F32(0.5)) * scale - _F32(0.5)
        low = math.floor(src)
        lerp = float(src - _F32(low))
        lo, hi = max(low, 0), min(math.ceil(src), in_size - 1)
        w[i, lo] += 1.0 - lerp
        w[i, hi] += lerp
    return w


def _nearest_index(in_size, out_size):
    scale = _F32(in_size) / _F32(out_size)
    src = np.floor((np.arange(out_size, dtype=_F32) + _F32(0.5)) * scale).astype(np.int64)
    return np.clip(src, 0, in_size - 1)


def _bicubic(in_size, out_size):
    near, far = _bicubic_table()
    w = np.zeros((out_size, in_size))
    scale = _F32(in_size) / _F32(out_size)
    for i in range(out_size):
        src = (_F32(i) + _F32(0.5)) * scale - _F32(0.5)
        floor = math.floor(src)
        offset = int(np.rint(float(src - _F32(floor)) * _TABLE_SIZE))
        taps = (far[offset], near[offset], near[_TABLE_SIZE - offset], far[_TABLE_SIZE - offset])
        weights = []
        for k, weight in enumerate(taps):
            j = floor - 1 + k
            weights.append((j, float(weight) if 0 <= j < in_size else 0.0))
        total = sum(v for _, v in weights)
        for j, v in weights:
            if 0 <= j < in_size:
                w[i, j] += v / total if abs(total) >= 1000 * np.finfo(_F32).tiny else v
    return w


def _area(in_size, out_size):
    w = np.zeros((out_size, in_size))
    scale = _F32(in_size) / _F32(out_size)
    for i in range(out_size):
        start, end = _F32(i) * scale, _F32(i + 1) * scale
        for j in range(math.floor(start), math.ceil(end)):
            if j < start:
                cover = scale if j + 1 > end else _F32(j + 1) - start
            else:
                cover = end - _F32(j) if j + 1 > end else _F32(1)
            w[i, min(max(j, 0), in_size - 1)] += float(cover)
        w[i] /= float(scale)
    return w


def _lanczos(radius):
    def kernel(x):
        x = abs(x)
        if x > radius:
            return 0.0
        if x <= 1e-3:
            return 1.0
        return radius * math.sin(math.pi * x) * math.sin(math.pi * x / radius) / (math.pi * math.pi * x * x)
    return kernel, float(radius)


def _gaussian():
    radius, sigma = 1.5, 0.5

    def kernel(x):
        x = abs(x)
        return 0.0 if x >= radius else math.exp(-x * x / (2.0 * sigma * sigma))
    return kernel, radius


def _mitchell():
    def kernel(x):
        x = abs(x)
        if x >= 2.0:
            return 0.0
        if x >= 1.0:
            return (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
        return (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0
    return kernel, 2.0


_SAMPLED = {"lanczos3": lambda: _lanczos(3), "lanczos5": lambda: _lanczos(5), "gaussian": _gaussian,
            "mitchellcubic": _mitchell}


def _sampled(in_size, out_size, method):
    """TensorFlow's ``scale_and_translate`` spans without antialiasing (kernel scale 1)."""
    kernel, radius = _SAMPLED[method]()
    w = np.zeros((out_size, in_size))
    inv_scale = _F32(1.0) / (_F32(out_size) / _F32(in_size))
    for i in range(out_size):
        sample = (_F32(i) + _F32(0.5)) * inv_scale
        if sample < 0 or sample > in_size:
            continue
        start = math.ceil(float(sample - _F32(radius) - _F32(0.5)))
        end = math.floor(float(sample + _F32(radius) - _F32(0.5)))
        start, end = min(max(start, 0), in_size - 1), min(max(end, 0), in_size - 1) + 1
        taps = [kernel(float(_F32(j) + _F32(0.5) - sample)) for j in range(start, end)]
        total = sum(taps)
        if abs(total) >= 1000 * np.finfo(_F32).tiny:
            w[i, start:end] = np.asarray(taps) / total
    return w


def resize_weights(in_size, out_size, method="bilinear"):
    """The ``(out_size, in_size)`` float64 matrix that resizes one axis the way ``tf.image.resize`` does.

    Example:
        >>> resize_weights(2, 4, "bilinear")
        array([[1.  , 0.  ],
               [0.75, 0.25],
               [0.25, 0.75],
               [0.  , 1.  ]])
    """
    _check_method(method)
    if method == "nearest":
        w = np.zeros((out_size, in_size))
        w[np.arange(out_size), _nearest_index(in_size, out_size)] = 1.0
        return w
    if method == "bilinear":
        return _bilinear(in_size, out_size)
    if method == "bicubic":
        return _bicubic(in_size, out_size)
    if method == "area":
        return _area(in_size, out_size)
    return _sampled(in_size, out_size, method)


def _check_method(method):
    if method not in INTERPOLATIONS:
        raise NotImplementedError(f"Value not recognized for `interpolation`: {method!r}. Supported values are: "
                                  f"{', '.join(INTERPOLATIONS)}")


def resize_images(images, size, interpolation="bilinear"):
    """Resize an image ``(height, width, channels)`` or a batch ``(n, height, width, channels)`` to
    ``size = (height, width)`` as ``tf.image.resize`` does: float32 out, except ``"nearest"``, which keeps the
    dtype.

    Example:
        >>> resize_images(np.zeros((4, 6, 3), "uint8"), (2, 3), "nearest").dtype
        dtype('uint8')
    """
    interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
    _check_method(interpolation)
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"resize_images: expected an image (height, width, channels) or a batch (n, height, width, "
                         f"channels), received shape {images.shape}")
    if len(size) != 2 or any(int(s) <= 0 for s in size):
        raise ValueError(f"resize_images: size must be 2 positive ints (height, width), received {size!r}")
    out_h, out_w = int(size[0]), int(size[1])
    h, w = images.shape[-3], images.shape[-2]
    if interpolation == "nearest":
        rows, cols = _nearest_index(h, out_h), _nearest_index(w, out_w)
        return np.take(np.take(images, rows, axis=-3), cols, axis=-2)
    wr, wc = resize_weights(h, out_h, interpolation), resize_weights(w, out_w, interpolation)
    x = images.astype(np.float64)
    out = np.einsum("yi,...ijc->...yjc", wr, x)
    out = np.einsum("xj,...yjc->...yxc", wc, out)
    return out.astype(np.float32)
