"""Spatial reshaping layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D (Keras 2 arguments and
configs).

Example:
    >>> ZeroPadding2D(((1, 0), (2, 2)))(np.ones((1, 3, 3, 2), "float32")).shape
    (1, 4, 7, 2)
    >>> Cropping1D((1, 2))(np.ones((2, 6, 3), "float32")).shape
    (2, 3, 3)
    >>> UpSampling2D(2, interpolation="bilinear")(np.ones((1, 2, 3, 1), "float32")).shape
    (1, 4, 6, 1)
"""

import autograd as ag

from ..engine.base_layer import Layer, in_shape_inference
from ..engine.input_spec import InputSpec
from .conv_utils import normalize_data_format, normalize_tuple, pair_of_pairs, positive_int, triple_of_pairs

__all__ = ["ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D",
           "UpSampling2D", "UpSampling3D"]


def _who(layer):
    return f"{type(layer).__name__} layer '{layer.name}'"


def _spatial_axes(data_format, rank):
    return tuple(range(2, rank + 2)) if data_format == "channels_first" else tuple(range(1, rank + 1))


class ZeroPadding1D(Layer):
    """Add zeros at the start and end of the steps axis: ``padding`` an int or (left, right).

    Example:
        >>> ZeroPadding1D(2)(np.ones((1, 3, 1), "float32")).shape
        (1, 7, 1)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = normalize_tuple(padding, 2, "padding", _who(self), allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ag.pad(inputs, ((0, 0), self.padding, (0, 0)))

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding
        return config


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros: ``padding`` an int, (rows, cols) (symmetric), or ((top, bottom), (left,
    right)).

    Example:
        >>> ZeroPadding2D(1)(np.ones((1, 2, 2, 3), "float32")).shape
        (1, 4, 4, 3)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = pair_of_pairs(padding, "padding", _who(self))
        self.data_format = normalize_data_format(data_format, _who(self))
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        (t, b), (left, r) = self.padding
        if self.data_format == "channels_first":
            pads = ((0, 0), (0, 0), (t, b), (left, r))
        else:
            pads = ((0, 0), (t, b), (left, r), (0, 0))
        return ag.pad(inputs, pads)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class ZeroPadding3D(Layer):
    """Add zeros around volumes: ``padding`` an int, (depth, rows, cols) (symmetric), or three (before, after)
    pairs.

    Example:
        >>> ZeroPadding3D((1, 0, (2, 1)))(np.ones((1, 2, 2, 2, 3), "float32")).shape
        (1, 4, 2, 5, 3)
    """

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = triple_of_pairs(padding, "padding", _who(self))
        self.data_format = normalize_data_format(data_format, _who(self))
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        if self.data_format == "channels_first":
            pads = ((0, 0), (0, 0)) + self.padding
        else:
            pads = ((0, 0),) + self.padding + ((0, 0),)
        return ag.pad(inputs, pads)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


def _check_crop(layer, input_shape, axes, crops):
    for ax, (a, b) in zip(axes, crops):
        n = input_shape[ax]
        if n is not None and a + b >= n:
            raise ValueError(f"{_who(layer)}: `cropping` parameter {layer.cropping} crops {a + b} of the {n} "
                             f"entries along axis {ax}: nothing would be left. Input shape: {tuple(input_shape)}")


class Cropping1D(Layer):
    """Remove steps from the start and end: ``cropping`` an int or (start, end).

    Example:
        >>> Cropping1D(1)(np.ones((2, 5, 3), "float32")).shape
        (2, 3, 3)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = normalize_tuple(cropping, 2, "cropping", _who(self), allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        _check_crop(self, tuple(input_shape), (1,), (self.cropping,))
        self.built = True

    def call(self, inputs):
        a, b = self.cropping
        if not in_shape_inference():    # placeholder runs use made-up sizes for unknown axes
            _check_crop(self, inputs.shape, (1,), (self.cropping,))
        return inputs[:, a:inputs.shape[1] - b]

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


class Cropping2D(Layer):
    """Remove rows and columns at the edges: ``cropping`` an int, (rows, cols) (symmetric), or ((top, bottom),
    (left, right)).

    Example:
        >>> Cropping2D(((1, 0), (0, 2)))(np.ones((1, 4, 5, 3), "float32")).shape
        (1, 3, 3, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = pair_of_pairs(cropping, "cropping", _who(self))
        self.data_format = normalize_data_format(data_format, _who(self))
        self.input_spec = InputSpec(ndim=4)
        self._axes = _spatial_axes(self.data_format, 2)

    def build(self, input_shape):
        _check_crop(self, tuple(input_shape), self._axes, self.cropping)
        self.built = True

    def call(self, inputs):
        if not in_shape_inference():
            _check_crop(self, inputs.shape, self._axes, self.cropping)
        (t, b), (left, r) = self.cropping
        h, w = (inputs.shape[a] for a in self._axes)
        if self.data_format == "channels_first":
            return inputs[:, :, t:h - b, left:w - r]
        return inputs[:, t:h - b, left:w - r]

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class Cropping3D(Layer):
    """Remove voxels at the edges of volumes: ``cropping`` an int, (depth, rows, cols) (symmetric), or three
    (before, after) pairs.

    Example:
        >>> Cropping3D(((1, 0), 1, (0, 2)))(np.ones((1, 4, 5, 6, 3), "float32")).shape
        (1, 3, 3, 4, 3)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = triple_of_pairs(cropping, "cropping", _who(self))
        self.data_format = normalize_data_format(data_format, _who(self))
        self.input_spec = InputSpec(ndim=5)
        self._axes = _spatial_axes(self.data_format, 3)

    def build(self, input_shape):
        _check_crop(self, tuple(input_shape), self._axes, self.cropping)
        self.built = True

    def call(self, inputs):
        if not in_shape_inference():
            _check_crop(self, inputs.shape, self._axes, self.cropping)
        index = [slice(None)] * 5
        for ax, (a, b) in zip(self._axes, self.cropping):
            index[ax] = slice(a, inputs.shape[ax] - b)
        return inputs[tuple(index)]

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class UpSampling1D(Layer):
    """Repeat each step ``size`` times.

    Example:
        >>> UpSampling1D(3)(np.ones((2, 4, 1), "float32")).shape
        (2, 12, 1)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = positive_int(size, "size", _who(self))
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ag.upsample1d(inputs, self.size)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling2D(Layer):
    """Repeat rows and columns ``size`` times (``interpolation='nearest'``) or resize with another
    ``tf.image.resize`` method (``'bilinear'``, ``'bicubic'``, ``'area'``, ``'lanczos3'``...), through
    ``backend.resize_images``.

    Example:
        >>> UpSampling2D((2, 3))(np.ones((1, 2, 2, 1), "float32")).shape
        (1, 4, 6, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        who = _who(self)
        self.size = normalize_tuple(size, 2, "size", who)
        self.data_format = normalize_data_format(data_format, who)
        if interpolation not in ag.RESIZE_METHODS:
            raise ValueError(f"{who}: `interpolation` must be one of {ag.RESIZE_METHODS}. Received: "
                             f"interpolation={interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        x = inputs
        cf = self.data_format == "channels_first"
        if cf:
            x = ag.transpose(x, (0, 2, 3, 1))
        if self.interpolation == "nearest":
            out = ag.upsample2d(x, self.size)
        else:
            from .. import backend
            out = backend.resize_images(x, self.size[0], self.size[1], "channels_last", self.interpolation)
        if cf:
            out = ag.transpose(out, (0, 3, 1, 2))
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation})
        return config


class UpSampling3D(Layer):
    """Repeat each voxel ``size`` times along depth, rows and columns (``size`` an int or a 3-tuple).

    Example:
        >>> UpSampling3D((2, 1, 3))(np.ones((1, 2, 2, 2, 1), "float32")).shape
        (1, 4, 2, 6, 1)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = _who(self)
        self.size = normalize_tuple(size, 3, "size", who)
        self.data_format = normalize_data_format(data_format, who)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        if self.data_format == "channels_first":
            x = ag.transpose(inputs, (0, 2, 3, 4, 1))
            return ag.transpose(ag.upsample3d(x, self.size), (0, 4, 1, 2, 3))
        return ag.upsample3d(inputs, self.size)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
