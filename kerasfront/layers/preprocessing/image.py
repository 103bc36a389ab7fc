"""Image preprocessing and augmentation layers, channels-last, on a batch ``(batch, height, width,
channels)`` or one image ``(height, width, channels)``.

``Rescaling``, ``Resizing`` and ``CenterCrop`` always apply. The ``Random*`` augmentations apply only when
training (in ``fit``, or when called with ``training=True``; a direct call defaults to training, as in
tf.keras) and return their input unchanged otherwise. Each draws from its own generator when given a
``seed`` (two layers with the same seed draw the same), else from kerasfront's global one
(``kerasfront.utils.set_random_seed``). Resizing uses the one resize kernel (``autograd.resize``, shared
with ``backend.resize_images``); rotations, zooms and translations use ``autograd.image_transform``
(TensorFlow's projective transform, with its fill modes); both are differentiable.

Example:
    >>> flip = RandomFlip("horizontal", seed=0)
    >>> flip(np.ones((2, 4, 4, 3)), training=False).shape
    (2, 4, 4, 3)
"""
import numpy as np

import autograd as ag

from ... import random_state
from ...engine.base_layer import Layer, in_shape_inference
from .base import who

__all__ = ["Rescaling", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomTranslation", "RandomRotation",
           "RandomZoom", "RandomContrast", "RandomBrightness", "RandomHeight", "RandomWidth"]

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_TRANSFORM_INTERPOLATIONS = ("nearest", "bilinear")


def _images(layer, inputs, dtype=None):
    """The input as a floating Tensor of rank 3 or 4 (integers are cast, as tf.keras casts them)."""
    x = inputs if isinstance(inputs, ag.Tensor) else ag.Tensor(np.asarray(inputs))
    if x.ndim not in (3, 4):
        raise ValueError(f"{who(layer)}: expected images of rank 4 (batch, height, width, channels) or 3 (height, "
                         f"width, channels), received rank {x.ndim}, shape {x.shape}")
    dtype = np.dtype(dtype or layer._np_dtype)
    if x.dtype != dtype:
        x = ag.astype(x, dtype)
    return x


def _check_size(value, arg, cls):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{cls}: `{arg}` must be a positive int, received {value!r}")
    return int(value)


def _interpolation(value, cls, allowed=ag.RESIZE_METHODS):
    if not isinstance(value, str) or value.lower() not in allowed:
        raise NotImplementedError(f"{cls}: value not recognized for `interpolation`: {value!r}. Supported values are: "
                                  f"{list(allowed)}")
    return value.lower()


def _check_fill(fill_mode, interpolation, cls):
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(f"{cls}: unknown `fill_mode` {fill_mode!r}. Only `reflect`, `wrap`, `constant` and "
                                  f"`nearest` are supported.")
    if interpolation not in _TRANSFORM_INTERPOLATIONS:
        raise NotImplementedError(f"{cls}: unknown `interpolation` {interpolation!r}. Only `nearest` and `bilinear` "
                                  f"are supported.")


def _seed(seed, cls):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"{cls}: seed must be an int or None, received seed={seed!r}")
    return None if seed is None else int(seed)


def _bounds(factor, arg, cls, symmetric=True):
    """``(lower, upper)`` from a factor given as one number (``-f, f``) or a pair."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, (int, float, np.number)) and not isinstance(f, bool)
                                       for f in factor):
            raise ValueError(f"{cls}: `{arg}` must be a number or a pair of numbers, received {factor!r}")
        return float(factor[0]), float(factor[1])
    if isinstance(factor, bool) or not isinstance(factor, (int, float, np.number)):
        raise ValueError(f"{cls}: `{arg}` must be a number or a pair of numbers, received {factor!r}")
    return (-float(factor), float(factor)) if symmetric else (float(factor), float(factor))


def smart_resize(images, size, interpolation="bilinear"):
    """Resize to ``size`` without distorting the aspect ratio: crop the largest centered window of the
    target aspect ratio, then resize it (tf.keras's ``smart_resize``).

    Example:
        >>> smart_resize(np.ones((1, 4, 8, 3), np.float32), (2, 2)).shape
        (1, 2, 2, 3)
    """
    x = images if isinstance(images, ag.Tensor) else ag.Tensor(np.asarray(images))
    height, width = x.shape[-3], x.shape[-2]
    target_h, target_w = size
    crop_h = min(height, int(np.float32(width * target_h) / np.float32(target_w)))
    crop_w = min(width, int(np.float32(height * target_w) / np.float32(target_h)))
    start_h = int(np.float32(height - crop_h) / np.float32(2))
    start_w = int(np.float32(width - crop_w) / np.float32(2))
    if (crop_h, crop_w) != (height, width):
        x = x[..., start_h:start_h + crop_h, start_w:start_w + crop_w, :]
    return ag.resize(x, size, method=interpolation)


class _SameShapeLayer(Layer):
    """A layer whose output has its input's shape, in the layer's dtype."""

    def _static_output_shape(self, input_shape, dtype):
        return input_shape, self._dtype

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _RandomLayer(_SameShapeLayer):
    """An augmentation: random when training, the identity otherwise."""

    def __init__(self, seed=None, **kwargs):
        kwargs.pop("rng_type", None)        # tf.keras's choice of TensorFlow generator; one generator here
        kwargs.pop("force_generator", None)
        super().__init__(**kwargs)
        self.seed = _seed(seed, type(self).__name__)
        self._rng = random_state.make_generator(self.seed) if self.seed is not None else None

    def _generator(self):
        return self._rng if self._rng is not None else random_state.generator()

    def _active(self, training):
        if isinstance(training, ag.Tensor):
            training = bool(training.data)
        return bool(training) and not in_shape_inference()


class Rescaling(_SameShapeLayer):
    """Multiply by ``scale`` and add ``offset``: ``Rescaling(1 / 255)`` maps pixels to ``[0, 1]``,
    ``Rescaling(1 / 127.5, offset=-1)`` to ``[-1, 1]``. Applied in training and inference alike; integer
    inputs give float outputs.

    Args:
        scale: the factor (a number, or per-channel values that broadcast against the input).
        offset: added after scaling (default 0).

    The interface other parts build on: ``scale`` and ``offset`` attributes and ``get_config()`` with those
    two keys, as tf.keras's.

    Example:
        >>> Rescaling(1 / 255)(np.array([[0, 255]], np.uint8)).numpy()
        array([[0., 1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            arr = np.asarray(value)
            if arr.dtype.kind not in "fiu" or not np.all(np.isfinite(arr)):
                raise ValueError(f"Rescaling({name}=...): expected a finite number (or per-channel numbers), received "
                                 f"{value!r}")
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        x = inputs if inputs.dtype == self._np_dtype else ag.astype(inputs, self._np_dtype)
        scale = np.asarray(self.scale, dtype=self._np_dtype)
        offset = np.asarray(self.offset, dtype=self._np_dtype)
        return x * scale + offset

    def get_config(self):
        config = super().get_config()
        config.update({"scale": _json(self.scale), "offset": _json(self.offset)})
        return config


def _json(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


class Resizing(Layer):
    """Resize images to ``(height, width)`` with one of ``tf.image.resize``'s methods (the same values as
    tf.keras: bilinear, nearest, bicubic, area, lanczos3, lanczos5, gaussian, mitchellcubic).

    Args:
        height, width: the output size.
        interpolation: the method (default ``"bilinear"``).
        crop_to_aspect_ratio: crop the largest centered window of the target aspect ratio first, so the
            image is not distorted.

    Example:
        >>> Resizing(2, 3)(np.ones((1, 4, 4, 3), np.float32)).shape
        (1, 2, 3, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, **kwargs):
        cls = type(self).__name__
        self.height = _check_size(height, "height", cls)
        self.width = _check_size(width, "width", cls)
        self.interpolation = interpolation
        self._method = _interpolation(interpolation, cls)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        super().__init__(**kwargs)

    def call(self, inputs):
        # NOTE: tf.keras resizes in float32 (float64 layers keep float64)
        wide = np.float64 if self._np_dtype == np.float64 else np.float32
        x = _images(self, inputs, wide if self._method != "nearest" else None)
        size = (self.height, self.width)
        if self.crop_to_aspect_ratio:
            out = smart_resize(x, size, self._method)
        else:
            out = ag.resize(x, size, method=self._method)
        return out if out.dtype == self._np_dtype else ag.astype(out, self._np_dtype)

    def _static_output_shape(self, input_shape, dtype):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            return None
        shape[-3], shape[-2] = self.height, self.width
        return tuple(shape), self._dtype

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[-3], shape[-2] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio})
        return config


class CenterCrop(Layer):
    """Crop the central ``(height, width)`` window; an image smaller than that is resized (keeping its
    aspect ratio by cropping, as ``smart_resize``) instead.

    Example:
        >>> CenterCrop(2, 2)(np.arange(16.0).reshape(1, 4, 4, 1)).numpy()[0, :, :, 0]
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, **kwargs):
        cls = type(self).__name__
        self.height = _check_size(height, "height", cls)
        self.width = _check_size(width, "width", cls)
        super().__init__(**kwargs)

    def call(self, inputs):
        x = _images(self, inputs)
        h_diff, w_diff = x.shape[-3] - self.height, x.shape[-2] - self.width
        if h_diff >= 0 and w_diff >= 0:
            top, left = h_diff // 2, w_diff // 2
            return x[..., top:top + self.height, left:left + self.width, :]
        out = smart_resize(x, (self.height, self.width))
        return out if out.dtype == self._np_dtype else ag.astype(out, self._np_dtype)

    _static_output_shape = Resizing._static_output_shape
    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


class RandomCrop(_RandomLayer):
    """When training, crop a random ``(height, width)`` window (one position for the whole batch); at inference
    (or when the image is smaller), resize as ``smart_resize`` does.

    Example:
        >>> RandomCrop(2, 2, seed=1)(np.ones((3, 5, 5, 1)), training=True).shape
        (3, 2, 2, 1)
    """

    def __init__(self, height, width, seed=None, **kwargs):
        cls = type(self).__name__
        self.height = _check_size(height, "height", cls)
        self.width = _check_size(width, "width", cls)
        super().__init__(seed=seed, **kwargs)

    def call(self, inputs, training=True):
        x = _images(self, inputs)
        h_diff, w_diff = x.shape[-3] - self.height, x.shape[-2] - self.width
        if self._active(training) and h_diff >= 0 and w_diff >= 0:
            rng = self._generator()
            top = int(rng.integers(0, h_diff + 1))
            left = int(rng.integers(0, w_diff + 1))
            return x[..., top:top + self.height, left:left + self.width, :]
        if h_diff == 0 and w_diff == 0:
            return x
        out = smart_resize(x, (self.height, self.width))
        return out if out.dtype == self._np_dtype else ag.astype(out, self._np_dtype)

    _static_output_shape = Resizing._static_output_shape
    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "seed": self.seed})
        return config


HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(_RandomLayer):
    """When training, flip each image left-right and/or top-bottom with probability 1/2 (each direction
    drawn on its own).

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"`` (default).

    Example:
        >>> RandomFlip("vertical", seed=0)(np.zeros((2, 3, 3, 1)), training=True).shape
        (2, 3, 3, 1)
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if mode not in (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode!r}; expected "
                             f"'horizontal', 'vertical' or 'horizontal_and_vertical'")
        self.mode = mode
        self.horizontal = mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL)
        self.vertical = mode in (VERTICAL, HORIZONTAL_AND_VERTICAL)

    def call(self, inputs, training=True):
        x = _images(self, inputs)
        if not self._active(training):
            return x
        rng = self._generator()
        batch = (x.shape[0],) if x.ndim == 4 else ()
        for flip, axis in ((self.horizontal, -2), (self.vertical, -3)):
            if not flip:
                continue
            chosen = rng.random(batch) < 0.5
            if not np.any(chosen):
                continue
            flipped = ag.flip(x, axis=axis)
            if np.all(chosen):
                x = flipped
            else:
                x = ag.where(chosen.reshape(batch + (1, 1, 1)), flipped, x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "seed": self.seed})
        return config


class _TransformLayer(_RandomLayer):
    """Augmentations applied as a projective transform with tf.keras's fill modes and interpolations."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_fill(fill_mode, interpolation, type(self).__name__)
        if isinstance(fill_value, bool) or not isinstance(fill_value, (int, float, np.number)):
            raise ValueError(f"{type(self).__name__}: fill_value must be a number, received {fill_value!r}")
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation

    def _matrices(self, batch, height, width):
        raise NotImplementedError

    def call(self, inputs, training=True):
        x = _images(self, inputs)
        if not self._active(training):
            return x
        unbatched = x.ndim == 3
        if unbatched:
            x = ag.expand_dims(x, 0)
        transforms = self._matrices(x.shape[0], x.shape[1], x.shape[2])
        out = ag.image_transform(x, transforms, interpolation=self.interpolation, fill_mode=self.fill_mode,
                                 fill_value=float(self.fill_value))
        if out.dtype != self._np_dtype:
            out = ag.astype(out, self._np_dtype)
        return ag.squeeze(out, 0) if unbatched else out

    def _fill_config(self):
        return {"fill_mode": self.fill_mode, "fill_value": self.fill_value, "interpolation": self.interpolation,
                "seed": self.seed}


def _uniform(rng, low, high, size):
    # NOTE: drawn in float32, as tf.random.uniform; low == high gives exactly that value
    if low == high:
        return np.full(size, np.float32(low), dtype=np.float32)
    return (np.float32(low) + rng.random(size, dtype=np.float32) * np.float32(high - low)).astype(np.float32)


class RandomTranslation(_TransformLayer):
    """When training, shift each image by a random fraction of its height and width.

    Args:
        height_factor, width_factor: a fraction ``f`` (shifts in ``[-f, f]``) or a pair ``(low, high)``, each
            within ``[-1, 1]``; positive values shift down / right.
        fill_mode, fill_value, interpolation: what fills the uncovered area (``"reflect"``, ``"wrap"``,
            ``"constant"`` with ``fill_value``, ``"nearest"``) and how pixels are sampled.

    Example:
        >>> RandomTranslation((0.5, 0.5), 0.0, fill_mode="constant")(np.ones((1, 4, 1, 1)), training=True).numpy().ravel()
        array([0., 0., 1., 1.], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        cls = type(self).__name__
        self.height_lower, self.height_upper = _bounds(height_factor, "height_factor", cls)
        self.width_lower, self.width_upper = _bounds(width_factor, "width_factor", cls)
        for arg, (lo, hi), value in (("height_factor", (self.height_lower, self.height_upper), height_factor),
                                     ("width_factor", (self.width_lower, self.width_upper), width_factor)):
            if hi < lo:
                raise ValueError(f"`{arg}` cannot have upper bound less than lower bound, got {value}")
            if abs(lo) > 1.0 or abs(hi) > 1.0:
                raise ValueError(f"`{arg}` argument must have values between [-1, 1]. Received: {arg}={value}")
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor

    def _matrices(self, batch, height, width):
        rng = self._generator()
        dy = _uniform(rng, self.height_lower, self.height_upper, batch) * np.float32(height)
        dx = _uniform(rng, self.width_lower, self.width_upper, batch) * np.float32(width)
        m = np.zeros((batch, 8), np.float32)
        m[:, 0] = 1
        m[:, 2] = -dx
        m[:, 4] = 1
        m[:, 5] = -dy
        return m

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor, **self._fill_config()})
        return config


class RandomRotation(_TransformLayer):
    """When training, rotate each image by a random angle, a fraction of a full turn.

    Args:
        factor: ``f`` (angles in ``[-f * 2pi, f * 2pi]``) or a pair ``(low, high)``; positive is
            counter-clockwise.
        fill_mode, fill_value, interpolation: as ``RandomTranslation``.

    Example:
        >>> RandomRotation((0.5, 0.5))(np.arange(4.0).reshape(1, 2, 2, 1), training=True).numpy().ravel().round(4)
        array([3., 2., 1., 0.], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        self.lower, self.upper = _bounds(factor, "factor", type(self).__name__)
        if self.upper < self.lower:
            raise ValueError(f"`factor` argument cannot have a negative value. Received: factor={factor}")
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.factor = factor

    def _matrices(self, batch, height, width):
        angles = _uniform(self._generator(), self.lower * 2.0 * np.pi, self.upper * 2.0 * np.pi, batch)
        h, w = np.float32(height), np.float32(width)
        cos, sin = np.cos(angles), np.sin(angles)
        x_offset = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / np.float32(2.0)
        y_offset = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / np.float32(2.0)
        m = np.zeros((batch, 8), np.float32)
        m[:, 0], m[:, 1], m[:, 2] = cos, -sin, x_offset
        m[:, 3], m[:, 4], m[:, 5] = sin, cos, y_offset
        return m

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, **self._fill_config()})
        return config


class RandomZoom(_TransformLayer):
    """When training, zoom each image in or out by a random factor per axis.

    Args:
        height_factor: ``f`` (zoom in ``[-f, f]``) or ``(low, high)`` within ``[-1, 1]``; positive zooms out.
        width_factor: the same for the width; None (default) keeps the aspect ratio (the height's zoom).
        fill_mode, fill_value, interpolation: as ``RandomTranslation``.

    Example:
        >>> RandomZoom(0.2, seed=0)(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        cls = type(self).__name__
        self.height_lower, self.height_upper = _bounds(height_factor, "height_factor", cls)
        if abs(self.height_lower) > 1.0 or abs(self.height_upper) > 1.0:
            raise ValueError(f"`height_factor` argument must have values between [-1, 1]. Received: "
                             f"height_factor={height_factor}")
        if width_factor is not None:
            self.width_lower, self.width_upper = _bounds(width_factor, "width_factor", cls)
            if self.width_lower < -1.0 or self.width_upper < -1.0:
                raise ValueError(f"`width_factor` argument must have values larger than -1. Received: "
                                 f"width_factor={width_factor}")
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor

    def _matrices(self, batch, height, width):
        rng = self._generator()
        zy = _uniform(rng, 1.0 + self.height_lower, 1.0 + self.height_upper, batch)
        zx = zy if self.width_factor is None else _uniform(rng, 1.0 + self.width_lower, 1.0 + self.width_upper, batch)
        h, w = np.float32(height), np.float32(width)
        m = np.zeros((batch, 8), np.float32)
        m[:, 0], m[:, 2] = zx, (w - np.float32(1.0)) / np.float32(2.0) * (np.float32(1.0) - zx)
        m[:, 4], m[:, 5] = zy, (h - np.float32(1.0)) / np.float32(2.0) * (np.float32(1.0) - zy)
        return m

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor, **self._fill_config()})
        return config


class RandomContrast(_RandomLayer):
    """When training, scale each channel's deviation from its mean by a random factor in
    ``[1 - lower, 1 + upper]`` (one factor per call, as tf.keras draws it), then clip to ``[0, 255]``.

    Args:
        factor: ``f`` (factors in ``[1 - f, 1 + f]``) or ``(lower, upper)``, non-negative.

    Example:
        >>> RandomContrast(0.5, seed=0)(np.full((1, 2, 2, 1), 7.0), training=True).numpy().ravel()
        array([7., 7., 7., 7.], dtype=float32)
    """

    def __init__(self, factor, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.lower, self.upper = _bounds(factor, "factor", type(self).__name__, symmetric=False)
        if self.lower < 0.0 or self.upper < 0.0 or self.lower > 1.0:
            raise ValueError(f"`factor` argument cannot have negative values or values greater than 1.Received: "
                             f"factor={factor}")
        self.factor = factor

    def call(self, inputs, training=True):
        x = _images(self, inputs)
        if not self._active(training):
            return x
        f = _uniform(self._generator(), 1.0 - self.lower, 1.0 + self.upper, ())
        mean = ag.mean(x, axis=(-3, -2), keepdims=True)
        out = (x - mean) * np.asarray(f, dtype=x.dtype) + mean
        return ag.clip(out, 0, 255)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config


class RandomBrightness(_RandomLayer):
    """When training, add a random amount to each image: a fraction of ``value_range``'s span drawn in
    ``factor``, then clip to ``value_range``.

    Args:
        factor: ``f`` (in ``[-f, f]``) or ``(low, high)``, within ``[-1, 1]``.
        value_range: the pixels' range (default ``(0, 255)``).

    Example:
        >>> RandomBrightness((0.5, 0.5), value_range=(0, 1))(np.full((1, 1, 1, 1), 0.25), training=True).numpy()
        array([[[[0.75]]]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        message = "The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(message + f"Got {factor}")
            bounds = sorted(float(f) for f in factor)
        elif isinstance(factor, (int, float, np.number)) and not isinstance(factor, bool):
            bounds = [-abs(float(factor)), abs(float(factor))]
        else:
            raise ValueError(message + f"Got {factor}")
        if any(f > 1.0 or f < -1.0 for f in bounds):
            raise ValueError(message + f"Got {factor}")
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. Got {value_range}")
        self._factor = bounds
        self._value_range = sorted(value_range)

    def call(self, inputs, training=True):
        x = _images(self, inputs)
        if not self._active(training):
            return x
        shape = (x.shape[0], 1, 1, 1) if x.ndim == 4 else (1, 1, 1)
        delta = _uniform(self._generator(), self._factor[0], self._factor[1], shape)
        delta = (delta * np.float32(self._value_range[1] - self._value_range[0])).astype(x.dtype)
        return ag.clip(x + delta, self._value_range[0], self._value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self._factor, "value_range": self._value_range, "seed": self.seed})
        return config


class _RandomSize(_RandomLayer):
    _axis = -3

    def __init__(self, factor, interpolation="bilinear", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        cls = type(self).__name__
        self.lower, self.upper = _bounds(factor, "factor", cls)
        if self.upper < self.lower:
            raise ValueError(f"`factor` argument cannot have an upper bound lesser than the lower bound. Received: "
                             f"factor={factor}")
        if self.lower < -1.0 or self.upper < -1.0:
            raise ValueError(f"`factor` argument must have values larger than -1. Received: factor={factor}")
        self.factor = factor
        self.interpolation = interpolation
        self._method = _interpolation(interpolation, cls)

    def call(self, inputs, training=True):
        x = _images(self, inputs)
        if not self._active(training):
            return x
        f = _uniform(self._generator(), 1.0 + self.lower, 1.0 + self.upper, ())
        size = [x.shape[-3], x.shape[-2]]
        size[self._axis + 3] = int(f * np.float32(size[self._axis + 3]))
        if size[self._axis + 3] < 1:
            raise ValueError(f"{who(self)}: the random factor {float(f):.3g} gives an empty image")
        out = ag.resize(x, tuple(size), method=self._method)
        return out if out.dtype == self._np_dtype else ag.astype(out, self._np_dtype)

    def _static_output_shape(self, input_shape, dtype):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            return None
        shape[self._axis] = None
        return tuple(shape), self._dtype

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._axis] = None
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "interpolation": self.interpolation, "seed": self.seed})
        return config


class RandomHeight(_RandomSize):
    """When training, resize the batch to a random height: ``height * (1 + f)``, ``f`` drawn in ``factor``
    (one draw per call).

    Args:
        factor: ``f`` (in ``[-f, f]``) or ``(low, high)``, above -1.
        interpolation: the resize method (default ``"bilinear"``).

    Example:
        >>> RandomHeight((0.5, 0.5))(np.ones((1, 4, 4, 1)), training=True).shape
        (1, 6, 4, 1)
    """

    _axis = -3


class RandomWidth(_RandomSize):
    """When training, resize the batch to a random width: ``width * (1 + f)``, ``f`` drawn in ``factor``.

    Example:
        >>> RandomWidth((-0.5, -0.5))(np.ones((1, 4, 4, 1)), training=True).shape
        (1, 4, 2, 1)
    """

    _axis = -2
