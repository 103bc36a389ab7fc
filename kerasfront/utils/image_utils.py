"""Image files and arrays: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` and ``smart_resize``,
as tf.keras has them.

Reading and writing images uses Pillow, an optional extra (``pip install "kerasfront[image]"``), imported when
first needed, as Keras uses it.

Example:
    >>> img = load_img("cat.png", target_size=(64, 64))          # a PIL image
    >>> x = img_to_array(img)                                     # float32, (64, 64, 3)
    >>> save_img("cat_small.png", x)
"""
import io
import os
import pathlib
import warnings

import numpy as np

from .image_resize import resize_images

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]

PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image():
    """``PIL.Image``, or an ImportError that names the extra to install.

    Example:
        >>> pil_image().new("RGB", (2, 2)).size
        (2, 2)
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('Reading and writing images needs Pillow: pip install "kerasfront[image]" (or pip install '
                          'Pillow)') from None
    return Image


def _data_format(data_format):
    if data_format is None:
        from .. import backend
        data_format = backend.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"data_format must be 'channels_first' or 'channels_last', received {data_format!r}")
    return data_format


def _floatx(dtype):
    if dtype is None:
        from .. import backend
        return backend.floatx()
    return dtype


def smart_resize(x, size, interpolation="bilinear"):
    """Resize an image (or a batch of images) to ``size`` without distorting it: take the largest centred crop
    with the target's aspect ratio, then resize that crop (as ``tf.keras.preprocessing.image.smart_resize``).

    Args:
        x: an array ``(height, width, channels)`` or ``(n, height, width, channels)``.
        size: ``(height, width)``.
        interpolation: ``bilinear``, ``nearest``, ``bicubic``, ``area``, ``lanczos3``, ``lanczos5``,
            ``gaussian`` or ``mitchellcubic`` (as ``tf.image.resize``).

    Returns:
        A numpy array of shape ``size + (channels,)`` (float32; ``nearest`` keeps the dtype).

    Example:
        >>> smart_resize(np.zeros((340, 500, 3)), (200, 200)).shape
        (200, 200, 3)
    """
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = np.asarray(x)
    if img.ndim not in (3, 4):
        raise ValueError(f"Expected an image array with shape `(height, width, channels)`, or `(batch_size, height, "
                         f"width, channels)`, but got input with incorrect rank, of shape {img.shape}.")
    height, width = img.shape[-3], img.shape[-2]
    target_h, target_w = int(size[0]), int(size[1])
    # NOTE: float32 products, truncated, as TensorFlow computes the crop
    crop_h = min(height, int(np.float32(width * target_h) / np.float32(target_w)))
    crop_w = min(width, int(np.float32(height * target_w) / np.float32(target_h)))
    start_h = int(np.float32(height - crop_h) / np.float32(2))
    start_w = int(np.float32(width - crop_w) / np.float32(2))
    img = img[..., start_h:start_h + crop_h, start_w:start_w + crop_w, :]
    return resize_images(img, (target_h, target_w), interpolation)


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from a 3-D array (1, 3 or 4 channels). With ``scale`` the values are stretched to 0..255.

    Example:
        >>> array_to_img(np.random.random((4, 5, 3))).size
        (5, 4)
    """
    data_format = _data_format(data_format)
    Image = pil_image()
    x = np.asarray(x, dtype=_floatx(dtype))
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:     # 32-bit integer image
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels} (expected 1, 3 or 4)")


def img_to_array(img, data_format=None, dtype=None):
    """A 3-D numpy array (float32 by default) from a PIL image; a one-band image gets a channels axis of 1.

    Example:
        >>> img_to_array(pil_image().new("L", (5, 4))).shape
        (4, 5, 1)
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=_floatx(dtype))
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else x.reshape(x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an array as an image file (the format from the extension unless ``file_format``); extra keyword
    arguments go to ``PIL.Image.save``.

    Example:
        >>> save_img("/tmp/noise.png", np.random.random((8, 8, 3)))
    """
    img = array_to_img(x, data_format=_data_format(data_format), scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, grayscale=False, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file into a PIL image.

    Args:
        path: a path (str, bytes or ``pathlib.Path``) or an ``io.BytesIO``.
        grayscale: deprecated; use ``color_mode="grayscale"``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``None`` (keep the size) or ``(height, width)``.
        interpolation: Pillow's resampling for ``target_size``: ``nearest``, ``bilinear``, ``bicubic``,
            ``hamming``, ``box`` or ``lanczos``.
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing.

    Raises:
        ValueError: an unknown ``color_mode`` or ``interpolation``, or a file that is not a readable image
            (the message names the file).

    Example:
        >>> img = load_img("cat.jpg", target_size=(224, 224))
    """
    if grayscale:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = "grayscale"
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba", received {color_mode!r}')
    if target_size is not None and interpolation not in PIL_INTERPOLATIONS:
        raise ValueError(f"Invalid interpolation method {interpolation!r} specified. Supported methods are "
                         f"{', '.join(PIL_INTERPOLATIONS)}")
    Image = pil_image()
    if isinstance(path, io.BytesIO):
        source, name = path, "<BytesIO>"
    elif isinstance(path, (pathlib.Path, bytes, str, os.PathLike)):
        name = os.fsdecode(path)
        with open(name, "rb") as f:
            source = io.BytesIO(f.read())
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    try:
        img = Image.open(source)
        img.load()
    except Exception as e:      # Pillow raises UnidentifiedImageError, OSError, SyntaxError... for bad files
        raise ValueError(f"Could not read an image from {name}: the file is corrupt or not an image "
                         f"({type(e).__name__}: {e})") from None
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if target_size is not None:
        wanted = (int(target_size[1]), int(target_size[0]))
        if img.size != wanted:
            resample = getattr(getattr(Image, "Resampling", Image), interpolation.upper())
            if keep_aspect_ratio:
                width, height = img.size
                crop_h = min(height, width * wanted[1] // wanted[0])
                crop_w = min(width, height * wanted[0] // wanted[1])
                top, left = (height - crop_h) // 2, (width - crop_w) // 2
                img = img.resize(wanted, resample, box=[left, top, left + crop_w, top + crop_h])
            else:
                img = img.resize(wanted, resample)
    return img
