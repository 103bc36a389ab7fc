"""Convolution layers: Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D (and the aliases Convolution1D/2D/3D, ...),
with Keras 2's arguments, defaults, weight shapes and configs.

Kernels are stored as tf.keras stores them, so weights move between the two unchanged:
Conv: (k..., in / groups, filters); transposed: (k..., filters, in); depthwise: (k..., in, depth_multiplier);
separable: depthwise_kernel (k..., in, depth_multiplier), pointwise_kernel (1..., in * depth_multiplier, filters).
The arithmetic is autograd's im2col convolutions (``ag.conv2d``, ``ag.conv3d`` and friends); 'same' padding follows
TensorFlow.

Example:
    >>> layer = Conv2D(8, 3, padding="same", activation="relu")
    >>> layer(np.zeros((2, 5, 5, 3), "float32")).shape
    (2, 5, 5, 8)
    >>> [w.name for w in layer.weights]
    ['conv2d/kernel:0', 'conv2d/bias:0']
"""
import warnings

import autograd as ag
from autograd.ops.nn import deconv_output_length

from .. import activations, constraints, initializers, regularizers
from ..engine import arguments
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from .conv_utils import (check_output_size, conv_output_length, normalize_data_format, normalize_padding,
                         normalize_tuple, positive_int)

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D",
           "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "Convolution1D", "Convolution2D", "Convolution3D",
           "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose", "Deconvolution2D",
           "SeparableConvolution1D", "SeparableConvolution2D"]


class _Conv(Layer):
    """What every convolution layer shares: argument checks, bias, activation, data formats, extra batch axes.

    Subclasses set ``_rank``, may set ``_causal_ok`` / ``_transposed`` and implement ``_build_kernels(c)`` and
    ``_convolve(x)`` (x channels_last with exactly one batch axis).
    """

    _rank = 2
    _causal_ok = False
    _transposed = False
    #: ``_convolve(x, bias=..., activation=None | 'relu')`` adds the bias and applies relu itself
    _fuses_bias_relu = False
    #: the output size depends on ``dilation_rate`` (not for Conv3DTranspose, which ignores it as tf.keras)
    _dilates = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = self._who = f"{type(self).__name__} layer '{self.name}'"
        rank = self._rank
        if filters is not None:
            if isinstance(filters, float) and filters.is_integer():
                filters = int(filters)
            filters = positive_int(filters, "filters", who)
        self.filters = filters
        self.groups = positive_int(groups or 1, "groups", who)     # NOTE: tf.keras reads 0 or None as 1
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        allowed = ("valid", "same", "causal") if self._causal_ok else ("valid", "same")
        if isinstance(padding, str) and padding.lower() == "causal" and not self._causal_ok:
            raise ValueError(f"{who}: causal padding is only supported for `Conv1D` and `SeparableConv1D`. "
                             f"Received: padding={padding!r}")
        self.padding = normalize_padding(padding, who, allowed)
        if data_format is None and rank == 1:
            data_format = "channels_last"     # NOTE: Keras's 1-d layers default to channels_last, not the backend's
        self.data_format = normalize_data_format(data_format, who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        if self.filters is not None and self.filters % self.groups:
            raise ValueError(f"{who}: the number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={self.groups}, filters={self.filters}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self._linear = self.activation is activations.linear
        self.use_bias = arguments.flag(use_bias, "use_bias", who)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        self._channels_first = self.data_format == "channels_first"

    # -- shapes ---------------------------------------------------------------------------------------------
    def _spatial_out(self, lengths):
        out = []
        for i, n in enumerate(lengths):
            if n is None:
                out.append(None)
            elif self._transposed:
                op = None if getattr(self, "output_padding", None) is None else self.output_padding[i]
                out.append(deconv_output_length(n, self.kernel_size[i], self.padding, op, self.strides[i],
                                                self.dilation_rate[i] if self._dilates else 1))
            else:
                out.append(conv_output_length(n, self.kernel_size[i], self.padding, self.strides[i],
                                              self.dilation_rate[i]))
        return out

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = self._rank
        c_axis = -rank - 1 if self._channels_first else -1
        c = input_shape[c_axis]
        if c is None:
            raise ValueError(f"{self._who}: the channel dimension of the inputs should be defined. The input_shape "
                             f"received is {input_shape}, where axis {c_axis} is the channel dimension, which was "
                             f"found to be `None`.")
        if c % self.groups:
            raise ValueError(f"{self._who}: the number of input channels must be evenly divisible by the number of "
                             f"groups. Received groups={self.groups}, but the input has {c} channels (full input "
                             f"shape is {input_shape}).")
        spatial = input_shape[-rank:] if self._channels_first else input_shape[-rank - 1:-1]
        check_output_size(input_shape, input_shape[:-rank - 1] + tuple(self._spatial_out(spatial)), self._who)
        self._build_kernels(int(c))
        out_c = self._out_c = self._out_channels(int(c))
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=(out_c,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        dtype=self.dtype, trainable=True)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=rank + 2, axes={c_axis: c})
        self.built = True

    def _static_output_shape(self, input_shape, dtype):
        """The output shape of a symbolic call, from the size formula (engine hook): placeholder batches cannot
        stand for unknown spatial sizes, and running the convolution only to learn a shape would cost a
        forward pass at full size for every layer of a large model (None: let the engine run it)."""
        rank = self._rank
        spatial = input_shape[-rank:] if self._channels_first else input_shape[-rank - 1:-1]
        if not self.built or len(input_shape) != rank + 2:
            return None
        out = tuple(self._spatial_out(spatial))
        lead = tuple(input_shape[:-rank - 1])
        shape = lead + ((self._out_c,) + out if self._channels_first else out + (self._out_c,))
        return shape, self.dtype

    def _out_channels(self, c):
        return self.filters

    def _build_kernels(self, c):
        raise NotImplementedError

    def _convolve(self, x):
        raise NotImplementedError

    # -- call -----------------------------------------------------------------------------------------------
    def call(self, inputs):
        rank = self._rank
        x = inputs
        lead = None
        if x.ndim > rank + 2:          # extra batch axes, folded into one (as Keras's Conv)
            lead = x.shape[:-rank - 1]
            x = ag.reshape(x, (-1,) + x.shape[-rank - 1:])
        if self._channels_first:
            x = ag.transpose(x, (0,) + tuple(range(2, rank + 2)) + (1,))
        if self._fuses_bias_relu and (self._linear or self.activation is activations.relu):
            # NOTE: ag.conv2d adds the bias and applies relu inside the op: the composition's numbers with
            # two fewer output-sized arrays and one gradient mask for kernel, bias and input
            out = self._convolve(x, bias=self.bias, activation=None if self._linear else "relu")
        else:
            out = self._convolve(x)
            if self.bias is not None:
                out = out + self.bias
            if not self._linear:
                out = self.activation(out)
        if self._channels_first:
            out = ag.transpose(out, (0, rank + 1) + tuple(range(1, rank + 1)))
        if lead is not None:
            out = ag.reshape(out, lead + out.shape[1:])
        return out

    # -- config ---------------------------------------------------------------------------------------------
    def _base_config(self):
        config = super().get_config()
        config.update({
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        })
        return config

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters
        config.update(self._base_config())
        config.update({
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class _PlainConv(_Conv):
    """Conv1D / Conv2D: kernel (k..., in / groups, filters)."""

    def _build_kernels(self, c):
        self.kernel = self.add_weight("kernel", shape=self.kernel_size + (c // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, dtype=self.dtype, trainable=True)


class Conv1D(_PlainConv):
    """1-d convolution over (batch, steps, channels): ``Conv1D(filters, kernel_size, strides=1, padding='valid',
    data_format='channels_last', dilation_rate=1, groups=1, activation=None, use_bias=True, ...)``.

    ``padding='causal'`` pads only on the left, so output step t sees inputs up to t (WaveNet style).

    Example:
        >>> Conv1D(4, 3, padding="causal", dilation_rate=2)(np.zeros((2, 10, 3), "float32")).shape
        (2, 10, 4)
    """

    _rank = 1
    _causal_ok = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        return ag.conv1d(x, self.kernel, self.strides[0], self.padding, self.dilation_rate[0], self.groups)


class Conv2D(_PlainConv):
    """2-d convolution over (batch, rows, cols, channels): ``Conv2D(filters, kernel_size, strides=(1, 1),
    padding='valid', data_format=None, dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, ...)``.

    Example:
        >>> Conv2D(4, (3, 3), strides=2, padding="same")(np.zeros((1, 7, 7, 2), "float32")).shape
        (1, 4, 4, 4)
    """

    _rank = 2
    _fuses_bias_relu = True

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, x, bias=None, activation=None):
        return ag.conv2d(x, self.kernel, self.strides, self.padding, self.dilation_rate, self.groups, bias=bias,
                         activation=activation)


class Conv3D(_PlainConv):
    """3-d convolution over volumes (batch, depth, rows, cols, channels): ``Conv3D(filters, kernel_size,
    strides=(1, 1, 1), padding='valid', data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
    use_bias=True, ...)``; kernel (kd, kh, kw, in / groups, filters), bias (filters,). Extra leading batch axes
    (a batch of videos of volumes) are folded into one, as tf.keras does.

    Example:
        >>> Conv3D(2, 3, activation="relu")(np.zeros((4, 8, 8, 8, 1), "float32")).shape
        (4, 6, 6, 6, 2)
    """

    _rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        return ag.conv3d(x, self.kernel, self.strides, self.padding, self.dilation_rate, self.groups)


# -- transposed convolutions ---------------------------------------------------------------------------------
class _ConvTranspose(_Conv):
    """Conv1DTranspose / Conv2DTranspose: kernel (k..., filters, in); ``output_padding`` as Keras."""

    _transposed = True

    def __init__(self, filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                 activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer, kernel_constraint, bias_constraint, groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        if self.groups != 1:
            raise ValueError(f"{self._who}: transposed convolutions support only groups=1. Received: "
                             f"groups={groups!r}")
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = normalize_tuple(output_padding, self._rank, "output_padding", self._who,
                                                  allow_zero=True)
            for s, p in zip(self.strides, self.output_padding):
                if p >= s:
                    raise ValueError(f"{self._who}: strides must be greater than output padding. Received "
                                     f"strides={self.strides}, output_padding={self.output_padding}.")

    def _build_kernels(self, c):
        self.kernel = self.add_weight("kernel", shape=self.kernel_size + (self.filters, c),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, dtype=self.dtype, trainable=True)

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-d convolution (the gradient of Conv1D for its input), kernel (k, filters, in).

    Example:
        >>> Conv1DTranspose(2, 3, strides=2)(np.zeros((1, 4, 3), "float32")).shape
        (1, 9, 2)
    """

    _rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        op = None if self.output_padding is None else self.output_padding[0]
        return ag.conv1d_transpose(x, self.kernel, None, self.strides[0], self.padding, op, self.dilation_rate[0])


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-d convolution ("deconvolution"), kernel (kh, kw, filters, in); the output size follows
    Keras: ``in * stride`` for 'same', ``in * stride + max(k - stride, 0)`` for 'valid', or with
    ``output_padding``: ``(in - 1) * stride + k - 2 * pad + output_padding``.

    Example:
        >>> Conv2DTranspose(2, 3, strides=2, padding="same")(np.zeros((1, 3, 3, 4), "float32")).shape
        (1, 6, 6, 2)
    """

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        return ag.conv2d_transpose(x, self.kernel, None, self.strides, self.padding, self.output_padding,
                                   self.dilation_rate)


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-d convolution, kernel (kd, kh, kw, filters, in); output sizes as Conv2DTranspose's.

    NOTE: as tf.keras, ``dilation_rate`` is accepted but not applied (tf.keras passes none to
    ``conv3d_transpose`` and leaves it out of the config); a value other than 1 warns.

    Example:
        >>> Conv3DTranspose(2, 3, strides=2, padding="same")(np.zeros((1, 2, 3, 3, 4), "float32")).shape
        (1, 4, 6, 6, 2)
    """

    _rank = 3
    _dilates = False

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        if max(self.dilation_rate) > 1:
            warnings.warn(f"{self._who}: dilation_rate={self.dilation_rate} is not applied (tf.keras's "
                          f"Conv3DTranspose ignores it too, and leaves it out of its config)", stacklevel=2)

    def _convolve(self, x):
        return ag.conv3d_transpose(x, self.kernel, None, self.strides, self.padding, self.output_padding)

    def get_config(self):
        config = super().get_config()
        config.pop("dilation_rate")
        return config


# -- depthwise and separable ---------------------------------------------------------------------------------
def _as_2d(x):
    """(n, w, c) -> (n, 1, w, c): 1-d layers run as 2-d ones with a unit row axis."""
    n, w, c = x.shape
    return ag.reshape(x, (n, 1, w, c))


def _from_2d(y):
    return ag.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


def _causal_pad(x, kernel, dilation):
    """Left-pad (n, w, c) so a 'valid' convolution becomes causal."""
    return ag.pad(x, ((0, 0), ((kernel - 1) * dilation, 0), (0, 0)))


class _DepthwiseConv(_Conv):
    """DepthwiseConv1D / 2D: one kernel (k..., in, depth_multiplier); output channel c * multiplier + m."""

    def __init__(self, kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                 use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                 activity_regularizer, depthwise_constraint, bias_constraint, groups=1, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, "glorot_uniform", bias_initializer, None, bias_regularizer, activity_regularizer,
                         None, bias_constraint, **kwargs)
        if self.groups != 1:
            raise ValueError(f"{self._who}: depthwise convolutions take no `groups` (every input channel is its own "
                             f"group). Received: groups={groups!r}")
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", self._who)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _out_channels(self, c):
        return c * self.depth_multiplier

    def _build_kernels(self, c):
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (c, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, dtype=self.dtype, trainable=True)

    def get_config(self):
        config = self._base_config()
        config.update({
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        })
        return config


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-d convolution: each input channel convolved with its own ``depth_multiplier`` filters;
    depthwise_kernel (k, in, depth_multiplier).

    Example:
        >>> DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((2, 8, 3), "float32")).shape
        (2, 6, 6)
    """

    _rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        k = self.depthwise_kernel
        y = ag.depthwise_conv2d(_as_2d(x), ag.reshape(k, (1,) + k.shape), (1, self.strides[0]), self.padding,
                                (1, self.dilation_rate[0]))
        return _from_2d(y)


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-d convolution: ``DepthwiseConv2D(kernel_size, strides=(1, 1), padding='valid',
    depth_multiplier=1, ...)``; depthwise_kernel (kh, kw, in, depth_multiplier), bias (in * depth_multiplier,).

    Example:
        >>> DepthwiseConv2D(3, depth_multiplier=2)(np.zeros((1, 5, 5, 3), "float32")).shape
        (1, 3, 3, 6)
    """

    _rank = 2

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        return ag.depthwise_conv2d(x, self.depthwise_kernel, self.strides, self.padding, self.dilation_rate)


class _SeparableConv(_Conv):
    """SeparableConv1D / 2D: a depthwise convolution, then a 1x1 one; weights depthwise_kernel,
    pointwise_kernel, bias (in that order, as tf.keras)."""

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                 activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                 depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                 depthwise_constraint, pointwise_constraint, bias_constraint, kernel_initializer="glorot_uniform",
                 kernel_regularizer=None, kernel_constraint=None, groups=1, **kwargs):
        # NOTE: tf.keras's configs also carry kernel_initializer/regularizer/constraint (from its base class);
        # they are accepted and saved back, but the separable kernels use the depthwise_/pointwise_ ones.
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        if self.groups != 1:
            raise ValueError(f"{self._who}: separable convolutions support only groups=1. Received: groups={groups!r}")
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", self._who)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _build_kernels(self, c):
        ones = (1,) * self._rank
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (c, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, dtype=self.dtype, trainable=True)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", shape=ones + (c * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, dtype=self.dtype, trainable=True)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        })
        return config


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1-d convolution (padding 'valid', 'same' or 'causal').

    Example:
        >>> SeparableConv1D(4, 3, padding="causal")(np.zeros((2, 8, 3), "float32")).shape
        (2, 8, 4)
    """

    _rank = 1
    _causal_ok = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        padding = self.padding
        if padding == "causal":
            x = _causal_pad(x, self.kernel_size[0], self.dilation_rate[0])
            padding = "valid"
        dk, pk = self.depthwise_kernel, self.pointwise_kernel
        y = ag.separable_conv2d(_as_2d(x), ag.reshape(dk, (1,) + dk.shape), ag.reshape(pk, (1,) + pk.shape),
                                (1, self.strides[0]), padding, (1, self.dilation_rate[0]))
        return _from_2d(y)


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2-d convolution: ``SeparableConv2D(filters, kernel_size, strides=(1, 1),
    padding='valid', data_format=None, dilation_rate=(1, 1), depth_multiplier=1, ...)``; weights
    depthwise_kernel (kh, kw, in, depth_multiplier), pointwise_kernel (1, 1, in * depth_multiplier, filters), bias.

    Example:
        >>> SeparableConv2D(4, 3)(np.zeros((1, 5, 5, 3), "float32")).shape
        (1, 3, 3, 4)
    """

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)

    def _convolve(self, x):
        return ag.separable_conv2d(x, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
                                   self.dilation_rate)


# Keras's alias names (the classes are the same; configs carry the canonical class names)
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Conv2DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
