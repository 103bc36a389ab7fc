"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D ('valid' and 'same'), GlobalMaxPooling1D/2D/3D,
GlobalAveragePooling1D/2D/3D (``keepdims``; GlobalAveragePooling1D averages only unmasked steps), and Keras's
alias names (MaxPool2D, AvgPool3D, GlobalAvgPool2D, ...).

'same' pooling pads as TensorFlow does (extra padding after); average pooling leaves padded positions out of
each mean, as TensorFlow does.

Example:
    >>> MaxPooling2D(2)(np.zeros((1, 5, 5, 3), "float32")).shape
    (1, 2, 2, 3)
    >>> AveragePooling1D(3, strides=1, padding="same")(np.zeros((2, 4, 3), "float32")).shape
    (2, 4, 3)
"""
import numpy as np

import autograd as ag
from autograd.modes import STATE

from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from .conv_utils import (check_output_size, conv_output_length, normalize_data_format, normalize_padding,
                         normalize_tuple)

__all__ = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalAveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
           "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
           "GlobalAvgPool2D", "GlobalAvgPool3D"]


class _Pooling(Layer):
    """Windowed pooling over the spatial axes; subclasses set ``_rank`` and implement ``_pool(x)`` on
    channels_last ``x``."""

    _rank = 2

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = self._who = f"{type(self).__name__} layer '{self.name}'"
        rank = self._rank
        if data_format is None and rank == 1:
            data_format = "channels_last"
        self.data_format = normalize_data_format(data_format, who)
        self.pool_size = normalize_tuple(pool_size, rank, "pool_size", who)
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, rank, "strides", who)
        self.padding = normalize_padding(padding, who)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._channels_first = self.data_format == "channels_first"

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[2:] if self._channels_first else input_shape[1:-1]
        out = [None if n is None else conv_output_length(n, k, self.padding, s)
               for n, k, s in zip(spatial, self.pool_size, self.strides)]
        check_output_size(input_shape, (input_shape[0],) + tuple(out), self._who)
        self.built = True

    def _static_output_shape(self, input_shape, dtype):
        """The output shape of a symbolic call, from the size formula (engine hook), or None to let the engine
        run the layer on placeholders."""
        spatial = input_shape[2:] if self._channels_first else input_shape[1:-1]
        if dtype.kind != "f":
            return None
        out = tuple(None if n is None else conv_output_length(n, k, self.padding, s)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        shape = input_shape[:2] + out if self._channels_first else input_shape[:1] + out + input_shape[-1:]
        return shape, self.dtype

    def call(self, inputs):
        x = inputs
        rank = self._rank
        if self._channels_first:
            x = ag.transpose(x, (0,) + tuple(range(2, rank + 2)) + (1,))
        out = self._pool(x)
        if self._channels_first:
            out = ag.transpose(out, (0, rank + 1) + tuple(range(1, rank + 1)))
        return out

    def _pool(self, x):
        raise NotImplementedError

    def get_config(self):
        config = super().get_config()
        if self._rank == 1:   # Keras's 1-d pooling configs list strides first
            config.update({"strides": self.strides, "pool_size": self.pool_size, "padding": self.padding,
                           "data_format": self.data_format})
        else:
            config.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                           "data_format": self.data_format})
        return config


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps (strides default to pool_size).

    Example:
        >>> MaxPooling1D(2)(np.arange(8.0, dtype="float32").reshape(1, 4, 2)).numpy()[0]
        array([[2., 3.], [6., 7.]], dtype=float32)
    """

    _rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pool(self, x):
        return ag.max_pool1d(x, self.pool_size, self.strides, self.padding)


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of (rows, cols): ``MaxPooling2D(pool_size=(2, 2), strides=None,
    padding='valid', data_format=None)``.

    Example:
        >>> MaxPooling2D((2, 2), strides=1, padding="same")(np.zeros((1, 3, 3, 1), "float32")).shape
        (1, 3, 3, 1)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pool(self, x):
        return ag.max_pool2d(x, self.pool_size, self.strides, self.padding)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps; with 'same' padding, padded steps are not counted.

    Example:
        >>> AveragePooling1D(2)(np.ones((1, 4, 2), "float32")).shape
        (1, 2, 2)
    """

    _rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pool(self, x):
        return ag.avg_pool1d(x, self.pool_size, self.strides, self.padding)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of (rows, cols); with 'same' padding, padded positions are not counted.

    Example:
        >>> AveragePooling2D(2, padding="same")(np.ones((1, 3, 3, 1), "float32")).numpy()[0, :, :, 0]
        array([[1., 1.], [1., 1.]], dtype=float32)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pool(self, x):
        return ag.avg_pool2d(x, self.pool_size, self.strides, self.padding)


class MaxPooling3D(_Pooling):
    """Max over ``pool_size`` windows of (depth, rows, cols): ``MaxPooling3D(pool_size=(2, 2, 2), strides=None,
    padding='valid', data_format=None)``.

    NOTE: the gradient goes to each window's first maximum; tf.keras's MaxPool3D gradient also goes to every
    other element within 1e-5 of the maximum, so the two differ only on such near-ties.

    Example:
        >>> MaxPooling3D(2)(np.zeros((1, 4, 4, 5, 3), "float32")).shape
        (1, 2, 2, 2, 3)
    """

    _rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pool(self, x):
        return ag.max_pool3d(x, self.pool_size, self.strides, self.padding)


class AveragePooling3D(_Pooling):
    """Mean over ``pool_size`` windows of (depth, rows, cols); with 'same' padding, padded positions are not
    counted.

    Example:
        >>> AveragePooling3D(2, padding="same")(np.ones((1, 3, 3, 3, 1), "float32")).shape
        (1, 2, 2, 2, 1)
    """

    _rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pool(self, x):
        return ag.avg_pool3d(x, self.pool_size, self.strides, self.padding)


# -- global pooling ------------------------------------------------------------------------------------------
def _spatial_mean(x, axes, channels_first, keepdims):
    """The mean over the spatial ``axes`` of ``x`` (batch, spatial..., channels) or (batch, channels, spatial...).

    NOTE: in inference (no gradient recorded, no tracer watching) a float32 / float64 mean is a product with a row of
    ones, then a division by the count: numpy's mean over the middle axes of (batch, pixels, channels) adds pixel
    rows one after another (~1.7 ms for a (8, 112, 112, 32) batch), the BLAS product runs 3-9x faster and, adding
    in blocks, is ~3x closer to the float64 mean (relative error 1.5e-6 against 4.7e-6 over 12544 pixels).
    Elsewhere ag.mean runs, so gradients, traced graphs and exported files keep the plain reduction."""
    if ag.is_grad_enabled() or STATE.observe or x.dtype not in (np.float32, np.float64) or None in x.shape:
        return ag.mean(x, axis=axes, keepdims=keepdims)
    shape = x.shape
    n, count = shape[0], int(np.prod([shape[a] for a in axes]))
    c = shape[1] if channels_first else shape[-1]
    ones = np.ones((count, 1) if channels_first else (1, count), dtype=x.dtype)
    if channels_first:
        total = ag.matmul(ag.reshape(x, (n, c, count)), ones)
    else:
        total = ag.matmul(ones, ag.reshape(x, (n, count, c)))
    out = total / np.asarray(count, x.dtype)
    return ag.reshape(out, tuple(1 if a in axes else d for a, d in enumerate(shape)) if keepdims else (n, c))


class _GlobalPooling(Layer):
    """Reduce every spatial axis (``keepdims`` keeps them with size 1)."""

    _rank = 2

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        who = self._who = f"{type(self).__name__} layer '{self.name}'"
        if data_format is None and self._rank == 1:
            data_format = "channels_last"
        self.data_format = normalize_data_format(data_format, who)
        if not isinstance(keepdims, bool):
            raise TypeError(f"{who}: `keepdims` must be True or False, received keepdims={keepdims!r}")
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self._rank + 2)
        rank = self._rank
        self._axes = tuple(range(2, rank + 2)) if self.data_format == "channels_first" else tuple(range(1, rank + 1))

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps axis: (batch, steps, features) -> (batch, features).

    Example:
        >>> GlobalMaxPooling1D()(np.zeros((2, 5, 3), "float32")).shape
        (2, 3)
    """

    _rank = 1

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)

    def call(self, inputs):
        return ag.max(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over rows and columns: (batch, rows, cols, channels) -> (batch, channels).

    Example:
        >>> GlobalMaxPooling2D(keepdims=True)(np.zeros((2, 4, 4, 3), "float32")).shape
        (2, 1, 1, 3)
    """

    def call(self, inputs):
        return ag.max(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps axis; with a mask (e.g. from ``Embedding(mask_zero=True)``) only unmasked steps are
    averaged, as Keras does.

    Example:
        >>> GlobalAveragePooling1D()(np.ones((2, 5, 3), "float32")).shape
        (2, 3)
    """

    _rank = 1

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        axis = self._axes[0]
        if mask is None:
            return ag.mean(inputs, axis=axis, keepdims=self.keepdims)
        m = ag.astype(mask, inputs.dtype)
        m = ag.expand_dims(m, 1 if self.data_format == "channels_first" else 2)
        # NOTE: a sample whose steps are all masked divides 0 by 0 (NaN), as Keras does
        return ag.sum(inputs * m, axis=axis, keepdims=self.keepdims) / ag.sum(m, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over rows and columns: (batch, rows, cols, channels) -> (batch, channels).

    Example:
        >>> GlobalAveragePooling2D()(np.ones((2, 4, 4, 3), "float32")).shape
        (2, 3)
    """

    def call(self, inputs):
        return _spatial_mean(inputs, self._axes, self.data_format == "channels_first", self.keepdims)


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over depth, rows and columns: (batch, depth, rows, cols, channels) -> (batch, channels).

    Example:
        >>> GlobalMaxPooling3D()(np.zeros((2, 3, 4, 4, 3), "float32")).shape
        (2, 3)
    """

    _rank = 3

    def call(self, inputs):
        return ag.max(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over depth, rows and columns: (batch, depth, rows, cols, channels) -> (batch, channels).

    Example:
        >>> GlobalAveragePooling3D(keepdims=True)(np.ones((2, 3, 4, 4, 3), "float32")).shape
        (2, 1, 1, 1, 3)
    """

    _rank = 3

    def call(self, inputs):
        return _spatial_mean(inputs, self._axes, self.data_format == "channels_first", self.keepdims)


# Keras's alias names
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
