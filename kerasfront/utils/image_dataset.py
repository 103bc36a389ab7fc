"""``image_dataset_from_directory``: a batched Dataset of images (and labels) from a folder of class folders.

Images are read with Pillow (the optional extra ``image``) when their batch is asked for, decoded as
``tf.image.decode_image`` decodes them (first frame of a GIF; grey, RGB or RGBA as asked) and resized as
``tf.image.resize`` resizes them. Files with other extensions are skipped; a file that is not a readable image
is an error naming it, raised when its batch is read.

Example:
    >>> train, val = image_dataset_from_directory("flowers", validation_split=0.2, subset="both", seed=1,
    ...                                           image_size=(180, 180), batch_size=32)
    >>> train.class_names
    ['daisy', 'roses', 'tulips']
    >>> model.fit(train, validation_data=val, epochs=3)
"""
import io

import numpy as np

from . import dataset_utils
from .image_resize import INTERPOLATIONS, resize_images
from .image_utils import pil_image, smart_resize

__all__ = ["ALLOWLIST_FORMATS", "image_dataset_from_directory", "decode_image"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _png_gray(rgb):
    """RGB to grey as libpng does it for TensorFlow's PNG decoder: weights 0.299 / 0.587 in 1/32768 (9797,
    19234, 3737), truncated."""
    r, g, b = (rgb[..., k].astype(np.int64) for k in range(3))
    return ((9797 * r + 19234 * g + 3737 * b) >> 15).astype(np.uint8)


def _jpeg(data, channels):
    """A JPEG decoded as TensorFlow decodes it (libjpeg-turbo, fast integer DCT, fancy upsampling) when the
    ``simplejpeg`` package is there (exact); otherwise with Pillow: grey is exact, colour within a few levels
    (Pillow's libjpeg uses the accurate DCT). None when neither can read it."""
    try:
        import simplejpeg
    except ImportError:
        simplejpeg = None
    if simplejpeg is not None:
        try:
            return simplejpeg.decode_jpeg(data, colorspace="GRAY" if channels == 1 else "RGB", fastdct=True,
                                          fastupsample=False)
        except (ValueError, RuntimeError):
            pass             # CMYK and other rare JPEGs: Pillow below
    if channels != 1:
        return None
    img = pil_image().open(io.BytesIO(data))
    img.draft("L", img.size)
    img.decoderconfig = (img.decoderconfig[0] if img.decoderconfig else 1, 1)   # libjpeg's fast DCT, as TF
    img.load()
    return np.asarray(img)[..., None] if img.mode == "L" else None


def decode_image(data, channels, path="<bytes>"):
    """Decode image bytes to a uint8 array ``(height, width, channels)`` as ``tf.image.decode_image`` does with
    ``expand_animations=False`` (a GIF's first frame); a ValueError naming ``path`` when the bytes are not a
    BMP, GIF, JPEG or PNG image.

    Equal to TensorFlow's decoders for PNG, BMP and GIF, and for JPEG when the optional ``simplejpeg`` package is
    installed (grey JPEGs are equal either way). Two differences, on purpose: TensorFlow refuses grey BMP/GIF and
    RGBA JPEG/GIF (these are converted here with Pillow's rules), and it fills the alpha of a low-bit-depth PNG
    without transparency with ``2**depth - 1`` (here 255).

    Example:
        >>> decode_image(open("cat.png", "rb").read(), channels=3).shape      # doctest: +SKIP
        (32, 48, 3)
    """
    Image = pil_image()
    try:
        img = Image.open(io.BytesIO(data))
        fmt = img.format
        if fmt not in ("BMP", "GIF", "JPEG", "PNG", "MPO"):
            raise ValueError(f"unknown image file format {fmt}; one of JPEG, PNG, GIF, BMP required")
        if fmt in ("JPEG", "MPO"):
            out = _jpeg(data, channels)
            if out is not None:
                if out.ndim == 2:
                    out = out[..., None]
                if channels == 4:
                    out = np.concatenate([out, np.full(out.shape[:2] + (1,), 255, np.uint8)], axis=-1)
                return out
        img.seek(0)
        img.load()
    except Exception as e:
        raise ValueError(f"Could not decode the image file {path}: it is corrupt or not a BMP, GIF, JPEG or PNG "
                         f"image ({type(e).__name__}: {e})") from None
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):       # 16-bit grey: keep the high byte
        img = Image.fromarray((np.asarray(img, dtype=np.int64) >> 8).astype(np.uint8), "L")
    if channels == 1:
        if img.mode in ("L", "LA", "1"):
            return np.asarray(img.convert("L"))[..., None]
        if fmt == "PNG":
            return _png_gray(np.asarray(img.convert("RGB")))[..., None]
        return np.asarray(img.convert("L"))[..., None]
    return np.asarray(img.convert("RGB" if channels == 3 else "RGBA"))


def load_image(path, image_size, num_channels, interpolation, crop_to_aspect_ratio):
    """One image file as the dataset yields it: decoded, resized to ``image_size``; float32 (``nearest`` keeps
    uint8, as ``tf.image.resize`` does)."""
    with open(path, "rb") as f:
        data = f.read()
    img = decode_image(data, num_channels, path)
    if crop_to_aspect_ratio:
        return smart_resize(img, image_size, interpolation=interpolation)
    return resize_images(img, image_size, interpolation)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, **kwargs):
    """A Dataset of image batches (and labels) from ``directory``, as ``tf.keras.utils.image_dataset_from_directory``.

    With ``labels="inferred"`` each subfolder of ``directory`` is a class, in sorted order (or in the order of
    ``class_names``); images may sit in nested folders. Kept extensions: bmp, gif, jpeg, jpg, png.

    Args:
        directory: the folder.
        labels: ``"inferred"``, None (images only), or a list of integer labels in sorted file-path order.
        label_mode: ``"int"`` (int32), ``"categorical"`` (one-hot float32), ``"binary"`` (float32 of shape
            ``(1,)``, exactly 2 classes) or None.
        class_names: the class folders, in label order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        batch_size: images per batch; None yields single images.
        image_size: ``(height, width)`` every image is resized to.
        shuffle: shuffle the files (with ``seed``; otherwise sorted) and, each epoch, the elements in a buffer
            of ``8 * batch_size``.
        seed: the shuffle's seed (needed with ``validation_split`` and ``shuffle``).
        validation_split: the fraction kept for validation (the last files after shuffling).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns ``[train, validation]``).
        interpolation: as ``tf.image.resize``: bilinear, nearest, bicubic, area, lanczos3, lanczos5, gaussian,
            mitchellcubic.
        follow_links: descend into symbolic links to folders.
        crop_to_aspect_ratio: crop the centre to the target's aspect ratio before resizing (``smart_resize``).

    Returns:
        A ``kerasfront.utils.Dataset`` (with ``class_names`` and ``file_paths``), or two for ``subset="both"``.
        Its elements are ``(images, labels)`` batches of numpy arrays, or images alone without labels.

    Example:
        >>> ds = image_dataset_from_directory("digits", image_size=(28, 28), color_mode="grayscale",
        ...                                   batch_size=64, shuffle=False)
    """
    if "smart_resize" in kwargs:
        crop_to_aspect_ratio = kwargs.pop("smart_resize")
    if kwargs:
        raise TypeError(f"image_dataset_from_directory: unknown keyword argument(s): {tuple(kwargs)}")
    if color_mode not in _CHANNELS:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: '
                         f"color_mode={color_mode}")
    interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(f"Value not recognized for `interpolation`: {interpolation}. Supported values "
                                  f"are: {', '.join(INTERPOLATIONS)}")
    if not isinstance(image_size, (tuple, list)) or len(image_size) != 2 or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in image_size):
        raise ValueError(f"image_dataset_from_directory(image_size=...): expected (height, width) positive ints, "
                         f"received {image_size!r}")
    pil_image()       # fail now, not at the first batch, when Pillow is missing
    size = (int(image_size[0]), int(image_size[1]))
    channels = _CHANNELS[color_mode]

    def load(path):
        return load_image(path, size, channels, interpolation, crop_to_aspect_ratio)
    return dataset_utils.make_directory_datasets(
        "image_dataset_from_directory", "image", "images", directory, labels, label_mode, class_names, batch_size,
        shuffle, seed, validation_split, subset, follow_links, ALLOWLIST_FORMATS, load)
