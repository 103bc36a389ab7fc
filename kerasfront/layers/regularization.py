"""Regularization layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization (Dropout itself is in ``core``). The random layers act only when training (``fit`` or
``training=True``) and draw from their own generator when given a ``seed``, else from the global one
(``kerasfront.utils.set_random_seed``).

Example:
    >>> layer = SpatialDropout1D(0.5, seed=1)
    >>> y = layer(np.ones((2, 4, 3), "float32"), training=True)   # whole channels are 0 or 2 for every step
"""
import math

import numpy as np

import autograd as ag

from .. import random_state, regularizers
from ..engine.base_layer import Layer, in_shape_inference
from ..engine.input_spec import InputSpec
from .conv_utils import normalize_data_format
from .core import Dropout

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
           "AlphaDropout", "ActivityRegularization"]


def _training(training):
    if training is None:
        from .. import backend
        return backend.learning_phase() == 1
    return bool(training)


def _seed_arg(seed, who):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"{who}: seed must be an int or None, received seed={seed!r}")
    return None if seed is None else int(seed)


def _rate_arg(rate, who):
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) or \
            not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{who}: invalid value received for argument `rate`. Expected a float value in [0, 1). "
                         f"Received: rate={rate!r}")
    return float(rate)


def _as(x, dtype):
    return x if x.dtype == dtype else ag.astype(x, dtype)


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per (sample, channel), shared by every step / pixel."""

    _ndim = 3

    def __init__(self, rate, **kwargs):
        super().__init__(rate, **kwargs)
        self.input_spec = InputSpec(ndim=self._ndim)

    def _noise_shape(self, inputs):
        raise NotImplementedError

    def call(self, inputs, training=None):
        if not _training(training) or self.rate == 0.0 or in_shape_inference():
            return inputs
        rng = self._rng if self._rng is not None else random_state.generator()
        return ag.dropout(inputs, self.rate, rng, noise_shape=self._noise_shape(inputs))


class SpatialDropout1D(_SpatialDropout):
    """Drop whole channels of (batch, steps, channels) inputs: noise shape (batch, 1, channels).

    Example:
        >>> SpatialDropout1D(0.2)(np.ones((2, 5, 3), "float32"), training=True).shape
        (2, 5, 3)
    """

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])


class SpatialDropout2D(_SpatialDropout):
    """Drop whole feature maps of 4-d inputs: noise shape (batch, 1, 1, channels) (channels_last) or
    (batch, channels, 1, 1) (channels_first). As in tf.keras, ``data_format`` is not part of the config.

    Example:
        >>> SpatialDropout2D(0.2)(np.ones((2, 4, 4, 3), "float32"), training=True).shape
        (2, 4, 4, 3)
    """

    _ndim = 4

    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = normalize_data_format(data_format, f"SpatialDropout2D layer '{self.name}'")

    def _noise_shape(self, inputs):
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            return (n, inputs.shape[1], 1, 1)
        return (n, 1, 1, inputs.shape[3])


class SpatialDropout3D(_SpatialDropout):
    """Drop whole feature volumes of 5-d inputs: noise shape (batch, 1, 1, 1, channels) (channels_last) or
    (batch, channels, 1, 1, 1) (channels_first). As in tf.keras, ``data_format`` is not part of the config.

    Example:
        >>> SpatialDropout3D(0.2)(np.ones((2, 3, 4, 4, 3), "float32"), training=True).shape
        (2, 3, 4, 4, 3)
    """

    _ndim = 5

    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = normalize_data_format(data_format, f"SpatialDropout3D layer '{self.name}'")

    def _noise_shape(self, inputs):
        n = inputs.shape[0]
        if self.data_format == "channels_first":
            return (n, inputs.shape[1], 1, 1, 1)
        return (n, 1, 1, 1, inputs.shape[4])


class GaussianNoise(Layer):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` when training (identity otherwise).

    Example:
        >>> GaussianNoise(0.1, seed=0)(np.zeros((2, 3), "float32"), training=True).shape
        (2, 3)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = f"GaussianNoise layer '{self.name}'"
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float, np.integer, np.floating)) or \
                not math.isfinite(float(stddev)) or stddev < 0:
            raise ValueError(f"{who}: `stddev` must be a non-negative number, received stddev={stddev!r}")
        self.stddev = float(stddev)
        self.seed = _seed_arg(seed, who)
        self._rng = random_state.make_generator(self.seed) if self.seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not _training(training) or in_shape_inference():
            return inputs
        rng = self._rng if self._rng is not None else random_state.generator()
        noise = ag.random_normal(inputs, rng, dtype=np.float64 if inputs.dtype == np.float64 else np.float32)
        return inputs + _as(noise * self.stddev, inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(Layer):
    """Multiply by Gaussian noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))`` when training.

    Example:
        >>> GaussianDropout(0.2, seed=0)(np.ones((2, 3), "float32"), training=True).shape
        (2, 3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = f"GaussianDropout layer '{self.name}'"
        self.rate = _rate_arg(rate, who)
        self.seed = _seed_arg(seed, who)
        self._rng = random_state.make_generator(self.seed) if self.seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not _training(training) or self.rate == 0.0 or in_shape_inference():
            return inputs
        rng = self._rng if self._rng is not None else random_state.generator()
        noise = ag.random_normal(inputs, rng, dtype=np.float64 if inputs.dtype == np.float64 else np.float32)
        return inputs * _as(noise * math.sqrt(self.rate / (1.0 - self.rate)) + 1.0, inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class AlphaDropout(Layer):
    """Dropout for self-normalizing (selu) networks: dropped entries are set to selu's negative saturation value
    and the result is scaled and shifted so mean and variance are kept: ``a * (x * keep + alpha' * (1 - keep)) + b``.

    Example:
        >>> AlphaDropout(0.2, seed=0)(np.zeros((2, 3), "float32"), training=True).shape
        (2, 3)
    """

    _ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = f"AlphaDropout layer '{self.name}'"
        self.rate = _rate_arg(rate, who)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = _seed_arg(seed, who)
        self._rng = random_state.make_generator(self.seed) if self.seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not _training(training) or not 0.0 < self.rate < 1.0 or in_shape_inference():
            return inputs
        rng = self._rng if self._rng is not None else random_state.generator()
        draw = ag.random_uniform(inputs, rng, noise_shape=self.noise_shape, dtype=np.float64)
        keep = ag.astype(ag.greater_equal(draw, self.rate), inputs.dtype)
        rate, alpha_p = self.rate, self._ALPHA_P
        a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        # NOTE: folded into one multiply and one add: a * (x * keep + alpha_p * (1 - keep)) + b
        return inputs * _as(keep * a, inputs.dtype) + _as((1.0 - keep) * (a * alpha_p) + b, inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class ActivityRegularization(Layer):
    """Identity that adds ``l1 * sum(|x|) + l2 * sum(x**2)`` (divided by the batch size, as Keras) to the
    model's losses.

    Example:
        >>> layer = ActivityRegularization(l2=0.01)
        >>> _ = layer(np.ones((2, 3), "float32"))
        >>> float(layer.losses[0])       # 0.01 * 6 / 2
        0.03
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        who = "ActivityRegularization layer"
        for arg, v in (("l1", l1), ("l2", l2)):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or \
                    not math.isfinite(float(v)) or v < 0:
                raise ValueError(f"{who}: `{arg}` must be a non-negative number, received {arg}={v!r}")
        super().__init__(activity_regularizer=regularizers.L1L2(l1=float(l1), l2=float(l2)), **kwargs)
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
