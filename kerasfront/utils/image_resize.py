"""Resizing images on the host as ``tf.image.resize`` does (``antialias=False``), for the data utilities
(``image_dataset_from_directory``, ``smart_resize``).

Every method is separable: resizing is ``W_rows @ image @ W_cols.T`` with one weight matrix per axis. The
matrices are autograd's (``autograd.ops.image.resize_weights``, the one resize kernel that ``ag.resize``, the
``Resizing`` layer and ``backend.resize_images`` use too); here they are applied to numpy images on the host,
accumulating in float64. They follow TensorFlow's kernels:

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
import numpy as np

from autograd.ops.image import RESIZE_METHODS as INTERPOLATIONS, resize_weights

__all__ = ["INTERPOLATIONS", "resize_images", "resize_weights"]


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
    wr, wc = resize_weights(h, out_h, interpolation), resize_weights(w, out_w, interpolation)
    if interpolation == "nearest":
        # NOTE: each row of a nearest matrix holds one 1: gather those pixels, so the dtype is kept
        return np.take(np.take(images, wr.argmax(axis=1), axis=-3), wc.argmax(axis=1), axis=-2)
    x = images.astype(np.float64)
    out = np.einsum("yi,...ijc->...yjc", wr, x)
    out = np.einsum("xj,...yjc->...yxc", wc, out)
    return out.astype(np.float32)
