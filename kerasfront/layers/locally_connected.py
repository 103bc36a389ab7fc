"""Locally connected layers: LocallyConnected1D and LocallyConnected2D, a convolution whose weights are not
shared (every output position has its own filter bank), with tf.keras 2's three ``implementation``s and their
weight layouts, so files move between the two:

==============  ==================================================================  ==========================
implementation  kernel (channels_last; channels_first in brackets)                  padding
==============  ==================================================================  ==========================
1 (default)     (output positions, prod(kernel_size) * in_channels, filters)        'valid' only
2               input spatial + (in,) + output spatial + (filters,) [(in,) + input  'valid', 'same'
                spatial + (filters,) + output spatial], masked to each window
3               (connections,): the nonzeros of a sparse (outputs, inputs) matrix   'valid', 'same'
==============  ==================================================================  ==========================

The bias is (output spatial..., filters). Whatever the implementation, the computation is one gather of every
output position's window and one batched matmul over positions (the windows with 'same' padding are cut at the
borders, as tf.keras connects them, with zeros standing in for the missing inputs).

Example:
    >>> layer = LocallyConnected1D(2, 3)
    >>> layer(np.ones((4, 6, 3), "float32")).shape
    (4, 4, 2)
    >>> [(w.name, w.shape) for w in layer.weights]
    [('locally_connected1d/kernel:0', (4, 9, 2)), ('locally_connected1d/bias:0', (4, 2))]
"""
import itertools

import numpy as np

import autograd as ag

from .. import activations, constraints, initializers, regularizers
from ..engine import arguments
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from .conv_utils import (check_output_size, conv_output_length, normalize_data_format, normalize_padding,
                         normalize_tuple, positive_int)

__all__ = ["LocallyConnected1D", "LocallyConnected2D"]


def _windows(in_shape, kernel_size, strides, padding):
    """For each output position (row-major): the ranges of input positions it reads, per axis, as tf.keras's
    ``conv_connected_inputs`` (a window of ``k`` starting k // 2 before the position times the stride with
    'same' padding, cut at the borders)."""
    out_shape = tuple(conv_output_length(n, k, padding, s) for n, k, s in zip(in_shape, kernel_size, strides))
    for pos in itertools.product(*map(range, out_shape)):
        ranges = []
        for n, k, s, p in zip(in_shape, kernel_size, strides, pos):
            left = k // 2
            center = p * s + (left if padding == "valid" else 0)
            ranges.append(range(max(0, center - left), min(n, center + k - left)))
        yield pos, ranges


class _LocallyConnected(Layer):
    """LocallyConnected1D / 2D; subclasses set ``_rank``."""

    _rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, implementation=1, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = self._who = f"{type(self).__name__} layer '{self.name}'"
        rank = self._rank
        self.filters = positive_int(filters, "filters", who)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        self.padding = normalize_padding(padding, who)
        if isinstance(implementation, bool) or implementation not in (1, 2, 3):
            raise ValueError(f"{who}: `implementation` must be 1, 2 or 3. Received: implementation={implementation!r}")
        self.implementation = int(implementation)
        if self.padding != "valid" and self.implementation == 1:
            raise ValueError(f"{who}: invalid border mode for {type(self).__name__} (only \"valid\" is supported if "
                             f"implementation is 1; implementations 2 and 3 also take \"same\"). Received: "
                             f"padding={padding!r}")
        self.data_format = normalize_data_format(data_format, who)
        self.activation = activations.get(activation)
        self.use_bias = arguments.flag(use_bias, "use_bias", who)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._channels_first = self.data_format == "channels_first"

    # -- building ---------------------------------------------------------------------------------------------
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = self._rank
        if self._channels_first:
            c, spatial = input_shape[1], tuple(input_shape[2:])
        else:
            c, spatial = input_shape[-1], tuple(input_shape[1:-1])
        if c is None or any(n is None for n in spatial):
            raise ValueError(f"{self._who}: the spatial dimensions and the channels of the inputs must be fully "
                             f"defined (the weights depend on them), but the layer received inputs of shape "
                             f"{input_shape}")
        out = tuple(conv_output_length(n, k, self.padding, s)
                    for n, k, s in zip(spatial, self.kernel_size, self.strides))
        check_output_size(input_shape, out, self._who)
        self._in_spatial, self._out_spatial, self._in_channels = spatial, out, int(c)
        kernel_shape = self._kernel_shape_and_plan(spatial, int(c), out)
        self.kernel = self.add_weight("kernel", shape=kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=out + (self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=rank + 2, axes={1 if self._channels_first else -1: int(c)})
        self.built = True

    def _kernel_shape_and_plan(self, spatial, c, out):
        """The kernel's shape for this implementation, and the gather plan: ``self._in_idx`` (P, K), the flat
        input indices each output position reads (the input's size, pointing at an appended zero, where a
        window cut at the border has fewer), and ``self._k_idx`` (P, K, filters), where each (position, input,
        filter) weight sits in the flattened kernel (None for implementation 1, whose kernel is (P, K, filters)
        already). Inputs are read in the order of implementation 1's features: (window..., channel) for
        channels_last, (channel, window...) for channels_first."""
        f, rank, cf = self.filters, self._rank, self._channels_first
        windows = list(_windows(spatial, self.kernel_size, self.strides, self.padding))
        n_pos = len(windows)
        width = max(int(np.prod([len(r) for r in ranges])) for _, ranges in windows) * c
        where = np.zeros((n_pos, width, rank), dtype=np.int64)     # the input position of each read
        chan = np.zeros((n_pos, width), dtype=np.int64)
        valid = np.zeros((n_pos, width), dtype=bool)
        for p, (_, ranges) in enumerate(windows):
            cells = np.array(list(itertools.product(*ranges)), dtype=np.int64).reshape(-1, rank)
            k = len(cells) * c
            if cf:
                where[p, :k] = np.tile(cells, (c, 1))
                chan[p, :k] = np.repeat(np.arange(c), len(cells))
            else:
                where[p, :k] = np.repeat(cells, c, axis=0)
                chan[p, :k] = np.tile(np.arange(c), len(cells))
            valid[p, :k] = True
        axes = [where[..., a] for a in range(rank)]
        in_parts = [chan] + axes if cf else axes + [chan]
        in_total = int(np.prod(spatial)) * c
        in_idx = np.ravel_multi_index(in_parts, ((c,) + spatial) if cf else (spatial + (c,)))
        self._in_idx = np.where(valid, in_idx, in_total)
        self._padded_windows = not valid.all()
        if self.implementation == 1:
            self._k_idx = None
            return (n_pos, width, f)
        pos = np.array([w[0] for w in windows], dtype=np.int64).reshape(n_pos, rank)
        grid = (n_pos, width, f)
        fil = np.broadcast_to(np.arange(f), grid)
        pos_parts = [np.broadcast_to(pos[:, None, a:a + 1], grid) for a in range(rank)]
        read_parts = [np.broadcast_to(part[..., None], grid) for part in in_parts]
        valid3 = np.broadcast_to(valid[..., None], grid)
        if self.implementation == 2:
            shape = ((c,) + spatial + (f,) + out) if cf else (spatial + (c,) + out + (f,))
            k_idx = np.ravel_multi_index(read_parts + ([fil] + pos_parts if cf else pos_parts + [fil]), shape)
            self._k_idx = np.where(valid3, k_idx, int(np.prod(shape)))       # missing reads: the appended zero
            return shape
        # implementation 3: the kernel holds the nonzeros of an (outputs, inputs) matrix, in the order of
        # tf.keras's sorted (output index, input index) pairs
        out_idx = np.ravel_multi_index([fil] + pos_parts if cf else pos_parts + [fil],
                                       ((f,) + out) if cf else (out + (f,)))
        keys = out_idx * in_total + np.broadcast_to(self._in_idx[..., None], grid)
        order = np.sort(keys[valid3])
        self._k_idx = np.where(valid3, np.searchsorted(order, keys), order.size)
        return (order.size,)

    # -- calling ----------------------------------------------------------------------------------------------
    def _local_kernel(self):
        """The kernel as (positions, window, filters)."""
        if self._k_idx is None:
            return self.kernel
        flat = ag.reshape(self.kernel, (-1,))
        if self._padded_windows:
            flat = ag.concatenate([flat, ag.zeros((1,), dtype=flat.dtype)])
        return ag.take(flat, self._k_idx)

    def call(self, inputs):
        n = inputs.shape[0]
        x = ag.reshape(inputs, (n, -1))
        if self._padded_windows:
            x = ag.concatenate([x, ag.zeros((n, 1), dtype=x.dtype)], axis=1)
        patches = ag.take(x, self._in_idx, axis=1)                           # (batch, P, K)
        out = ag.matmul(ag.transpose(patches, (1, 0, 2)), self._local_kernel())  # (P, batch, filters)
        out = ag.reshape(ag.transpose(out, (1, 0, 2)), (n,) + self._out_spatial + (self.filters,))
        rank = self._rank
        if self._channels_first:
            out = ag.transpose(out, (0, rank + 1) + tuple(range(1, rank + 1)))
            if self.bias is not None:
                # NOTE: tf.keras's bias_add reshapes (not transposes) the (spatial..., filters) bias to
                # (1, filters, spatial...) for channels_first; the same here, so files give the same numbers
                out = out + ag.reshape(self.bias, (1, self.filters) + self._out_spatial)
        elif self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "implementation": self.implementation,
        })
        return config


class LocallyConnected1D(_LocallyConnected):
    """Locally connected layer over (batch, steps, channels): ``LocallyConnected1D(filters, kernel_size,
    strides=1, padding='valid', data_format=None, activation=None, use_bias=True, ..., implementation=1)``.

    Example:
        >>> LocallyConnected1D(2, 3, padding="same", implementation=3)(np.ones((1, 5, 2), "float32")).shape
        (1, 5, 2)
    """

    _rank = 1


class LocallyConnected2D(_LocallyConnected):
    """Locally connected layer over (batch, rows, cols, channels): ``LocallyConnected2D(filters, kernel_size,
    strides=(1, 1), padding='valid', data_format=None, ..., implementation=1)``.

    Example:
        >>> LocallyConnected2D(2, 3, implementation=2)(np.ones((1, 5, 6, 3), "float32")).shape
        (1, 3, 4, 2)
    """

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, implementation=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, implementation, **kwargs)
