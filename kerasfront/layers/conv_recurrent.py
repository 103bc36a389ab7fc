"""Convolutional LSTM layers: ConvLSTM1D, ConvLSTM2D and ConvLSTM3D (Shi et al., 2015), with tf.keras 2's
arguments, defaults, weight layouts and configs.

An LSTM whose input and recurrent transformations are convolutions: at each step ``x_t`` (a 1-, 2- or 3-d
feature map) is convolved with ``kernel`` (k..., channels, 4 * filters; with the layer's strides, padding and
dilation) and the state ``h`` with ``recurrent_kernel`` (k..., filters, 4 * filters; stride 1, 'same' padding),
gate blocks i, f, c, o as the LSTM's. The states h and c are feature maps (batch, out..., filters).

The input convolution of every step is done at once, as one big convolution over (batch * time) maps (per gate
when input dropout masks them differently), so the loop over time does only the recurrent convolution and the
gate arithmetic. Sequence options (``return_sequences``, ``return_state``, ``go_backwards``, ``stateful``,
masks, ``initial_state``) behave as for LSTM.

Example:
    >>> layer = ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(np.zeros((2, 5, 8, 8, 3), "float32")).shape
    (2, 5, 8, 8, 4)
    >>> [(w.name, w.shape) for w in layer.weights]
    [('conv_lstm2d/kernel:0', (3, 3, 3, 16)), ('conv_lstm2d/recurrent_kernel:0', (3, 3, 4, 16)), \
('conv_lstm2d/bias:0', (16,))]
"""
import types

import numpy as np

import autograd as ag

from .. import activations, constraints, initializers, random_state, regularizers
from .._backend.control_flow import step_masks
from ..engine import arguments
from ..engine.base_layer import Layer
from .conv_utils import (check_output_size, conv_output_length, normalize_data_format, normalize_padding,
                         normalize_tuple, positive_int)
from .recurrent import RNN
from .recurrent_cells import DropoutRNNCellMixin, _rate

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


class ConvLSTMCell(DropoutRNNCellMixin, Layer):
    """One step of a convolutional LSTM over ``rank``-d feature maps (the cell of ConvLSTM1D/2D/3D).

    Example:
        >>> cell = ConvLSTMCell(2, 4, 3, padding="same")
        >>> h0 = np.zeros((1, 5, 5, 4), "float32")
        >>> cell(np.ones((1, 5, 5, 3), "float32"), [h0, h0])[0].shape
        (1, 5, 5, 4)
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):
        seed = kwargs.pop("seed", None)
        super().__init__(**kwargs)
        who = self._who = f"{type(self).__name__} '{self.name}'"
        if rank not in (1, 2, 3):
            raise ValueError(f"{who}: rank {rank!r} convolutions are not implemented (1, 2 or 3)")
        self.rank = rank
        self.filters = positive_int(filters, "filters", who)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        # NOTE: tf.keras's ConvLSTM1D accepts 'causal' but then fails in its call; only these two work there
        self.padding = normalize_padding(padding, who, ("valid", "same"))
        self.data_format = normalize_data_format(data_format, who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = arguments.flag(use_bias, "use_bias", who)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = arguments.flag(unit_forget_bias, "unit_forget_bias", who)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(dropout, "dropout", who)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", who)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"{who}: `seed` must be an int or None, received seed={seed!r}")
        self.seed = None if seed is None else int(seed)
        self._rng = random_state.make_generator(self.seed) if self.seed is not None else None
        self.bias = None

    @property
    def state_size(self):
        return (self.filters, self.filters)

    @property
    def output_size(self):
        return self.filters

    def build(self, input_shape):
        c = input_shape[1 if self.data_format == "channels_first" else -1]
        if c is None:
            raise ValueError(f"{self._who}: the channel dimension of the inputs should be defined. Found None. Full "
                             f"input shape received: input_shape={tuple(input_shape)}")
        f = self.filters
        self.kernel = self.add_weight("kernel", shape=self.kernel_size + (int(c), 4 * f),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", shape=self.kernel_size + (f, 4 * f),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                base = self.bias_initializer

                def init(shape, dtype=None, **kwargs):
                    parts = [base((f,), dtype=dtype), initializers.get("ones")((f,), dtype=dtype),
                             base((2 * f,), dtype=dtype)]
                    return ag.concatenate([ag.as_tensor(p) for p in parts], axis=0)
            self.bias = self.add_weight("bias", shape=(4 * f,), initializer=init, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    # -- convolutions (channels_last inside; channels_first inputs are transposed around them) ---------------
    def _conv(self, x, kernel, strides, padding, dilation):
        rank = self.rank
        cf = self.data_format == "channels_first"
        if cf:
            x = ag.transpose(x, (0,) + tuple(range(2, rank + 2)) + (1,))
        if rank == 1:
            out = ag.conv1d(x, kernel, strides[0], padding, dilation[0])
        elif rank == 2:
            out = ag.conv2d(x, kernel, strides, padding, dilation)
        else:
            out = ag.conv3d(x, kernel, strides, padding, dilation)
        if cf:
            out = ag.transpose(out, (0, rank + 1) + tuple(range(1, rank + 1)))
        return out

    def input_conv(self, x, kernel, bias=None):
        """``x`` convolved with (a gate slice of) ``kernel`` with the layer's strides, padding and dilation."""
        out = self._conv(x, kernel, self.strides, self.padding, self.dilation_rate)
        if bias is not None:
            out = out + (ag.reshape(bias, (-1,) + (1,) * self.rank) if self.data_format == "channels_first" else bias)
        return out

    def recurrent_conv(self, h, kernel):
        """``h`` convolved with (a gate slice of) ``recurrent_kernel``: stride 1, 'same', no dilation."""
        ones = (1,) * self.rank
        return self._conv(h, kernel, ones, "same", ones)

    def _gate_split(self, z):
        axis = 1 if self.data_format == "channels_first" else -1
        return ag.split(z, 4, axis=axis)

    def _gate_kernels(self, kernel):
        return ag.split(kernel, 4, axis=self.rank + 1)

    # -- one step ---------------------------------------------------------------------------------------------
    def _recurrent_part(self, h_tm1, rec_masks):
        """The recurrent convolutions of all four gates: one convolution, or one per gate under dropout."""
        if rec_masks is None:
            return self._gate_split(self.recurrent_conv(h_tm1, self.recurrent_kernel))
        return [self.recurrent_conv(h_tm1 * m, k) for m, k in zip(rec_masks, self._gate_kernels(self.recurrent_kernel))]

    def _gates(self, zx, zh, c_tm1):
        act, ract = self.activation, self.recurrent_activation
        i = ract(zx[0] + zh[0])
        f = ract(zx[1] + zh[1])
        c = f * c_tm1 + i * act(zx[2] + zh[2])
        o = ract(zx[3] + zh[3])
        return o * act(c), c

    def _input_part(self, x, masks):
        if masks is None:
            return self._gate_split(self.input_conv(x, self.kernel, self.bias))
        biases = ag.split(self.bias, 4) if self.bias is not None else [None] * 4
        return [self.input_conv(x * m, k, b) for m, k, b in zip(masks, self._gate_kernels(self.kernel), biases)]

    def call(self, inputs, states, training=None):
        h_tm1, c_tm1 = states[0], states[1]
        masks = self.get_dropout_mask_for_cell(inputs, training, count=4)
        rec_masks = self.get_recurrent_dropout_mask_for_cell(h_tm1, training, count=4)
        h, c = self._gates(self._input_part(inputs, masks), self._recurrent_part(h_tm1, rec_masks), c_tm1)
        return h, [h, c]

    # -- a whole sequence -------------------------------------------------------------------------------------
    def _fused_sequence(self, inputs, states, mask, go_backwards, zero_output, training):
        """The recurrence over (batch, time, ...) ``inputs`` with every step's input convolution done as one
        convolution over batch * time maps (the RNN layer's hook; see RNN.call)."""
        n, steps = inputs.shape[0], inputs.shape[1]
        h, c = states[0], states[1]
        step_shape = (n,) + tuple(inputs.shape[2:])
        # the mixin reads only the shape and dtype of what it is given
        masks = self.get_dropout_mask_for_cell(types.SimpleNamespace(shape=step_shape, dtype=inputs.dtype), training,
                                               count=4)
        rec_masks = self.get_recurrent_dropout_mask_for_cell(h, training, count=4)
        folded = ag.reshape(inputs, (n * steps,) + step_shape[1:])
        if masks is not None:
            # NOTE: one mask per sample and gate, the same at every step (as tf.keras): repeated over time
            masks = [ag.reshape(ag.broadcast_to(ag.expand_dims(m, 1), (n, steps) + step_shape[1:]),
                                (n * steps,) + step_shape[1:]) for m in masks]
        zx = [ag.reshape(z, (n, steps) + tuple(z.shape[1:])) for z in self._input_part(folded, masks)]
        keep_at = step_masks(mask, n, steps, who=self._who)
        outs, prev = [], None
        for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
            h_new, c_new = self._gates([z[:, t] for z in zx], self._recurrent_part(h, rec_masks), c)
            out = h_new
            keep = keep_at(t)
            if keep is not None:
                shape = (n,) + (1,) * (h_new.ndim - 1)
                keep = keep.reshape(shape) if isinstance(keep, np.ndarray) else ag.reshape(keep, shape)
                fill = ag.zeros_like(h_new) if prev is None or zero_output else prev
                out = ag.where(keep, h_new, fill)
                h_new, c_new = ag.where(keep, h_new, h), ag.where(keep, c_new, c)
            h, c, prev = h_new, c_new, out
            outs.append(out)
        return ag.stack(outs, axis=1), [h, c]

    def get_config(self):
        config = super().get_config()
        config.pop("batch_input_shape", None)
        config.update(_cell_config(self))
        return config


def _cell_config(cell):
    config = {
        "filters": cell.filters,
        "kernel_size": cell.kernel_size,
        "strides": cell.strides,
        "padding": cell.padding,
        "data_format": cell.data_format,
        "dilation_rate": cell.dilation_rate,
        "activation": activations.serialize(cell.activation),
        "recurrent_activation": activations.serialize(cell.recurrent_activation),
        "use_bias": cell.use_bias,
        "kernel_initializer": initializers.serialize(cell.kernel_initializer),
        "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
        "bias_initializer": initializers.serialize(cell.bias_initializer),
        "unit_forget_bias": cell.unit_forget_bias,
        "kernel_regularizer": regularizers.serialize(cell.kernel_regularizer),
        "recurrent_regularizer": regularizers.serialize(cell.recurrent_regularizer),
        "bias_regularizer": regularizers.serialize(cell.bias_regularizer),
        "kernel_constraint": constraints.serialize(cell.kernel_constraint),
        "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
        "bias_constraint": constraints.serialize(cell.bias_constraint),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
    }
    if cell.seed is not None:       # NOTE: tf.keras 2 has no seed; written only when set
        config["seed"] = cell.seed
    return config


class _ConvLSTM(RNN):
    """ConvLSTM1D / 2D / 3D: an RNN over one ConvLSTMCell, with the cell's settings as its own arguments and a
    flat config (no ``cell`` entry), as tf.keras; subclasses set ``_rank``."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):
        name = type(self).__name__
        if kwargs.get("unroll"):
            raise TypeError(f"{name}: unrolling is not possible with convolutional RNNs. Received: "
                            f"unroll={kwargs['unroll']!r}")
        if kwargs.get("time_major"):
            raise ValueError(f"{name}: convolutional RNNs take batch-major inputs (batch, time, ...); time_major=True "
                             f"is not supported. Received: time_major={kwargs['time_major']!r}")
        cell = ConvLSTMCell(self._rank, filters, kernel_size, strides=strides, padding=padding,
                            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                            recurrent_activation=recurrent_activation, use_bias=use_bias,
                            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                            dropout=dropout, recurrent_dropout=recurrent_dropout, name="conv_lstm_cell",
                            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                            seed=kwargs.pop("seed", None))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)
        self._input_ndim = self._rank + 3

    # -- shapes and states ------------------------------------------------------------------------------------
    def _out_spatial(self, input_shape):
        cell = self.cell
        spatial = input_shape[3:] if cell.data_format == "channels_first" else input_shape[2:-1]
        return tuple(None if n is None else conv_output_length(n, k, cell.padding, s, d)
                     for n, k, s, d in zip(spatial, cell.kernel_size, cell.strides, cell.dilation_rate))

    def _map_shape(self, batch, spatial):
        f = self.cell.filters
        return (batch, f) + spatial if self.cell.data_format == "channels_first" else (batch,) + spatial + (f,)

    def _state_shapes(self, input_shape):
        shape = self._map_shape(input_shape[0], self._out_spatial(tuple(input_shape)))
        check_output_size(input_shape, shape, f"{type(self).__name__} layer '{self.name}'")
        return [shape, shape]

    def get_initial_state(self, inputs):
        """Zero feature maps (batch, out..., filters) for h and c."""
        shape = self._state_shapes(tuple(inputs.shape))[0]
        return [ag.Tensor(np.zeros(shape, inputs.dtype)) for _ in range(2)]

    def _stateful_zero_states(self, batch):
        shape = self._state_shapes((batch,) + tuple(self._build_input_shape[1:]))[0]
        if any(d is None for d in shape):
            raise ValueError(f"Layer {self.name}: a stateful convolutional RNN needs to know its batch size and the "
                             f"spatial size of its inputs; received input shape {self._build_input_shape}")
        return [ag.Tensor(np.zeros(shape, self.dtype)) for _ in range(2)]

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        if not self.cell.built:
            # NOTE: built with no scope of its own: the weights are "conv_lstm2d/kernel:0", as tf.keras names them
            self.cell._maybe_build((input_shape[0],) + input_shape[2:])
        self._build_input_shape = input_shape
        self._feature_shape = input_shape[2:]
        if self.stateful:
            self.reset_states()
        self.built = True

    def _static_output_shape(self, input_shape, dtype):
        """The output shape(s) when spatial sizes are unknown (engine hook; placeholders cannot stand for them), or
        None to let the engine run the layer on placeholders."""
        if all(d is not None for d in input_shape[2:]):
            return None
        state = self._map_shape(input_shape[0], self._out_spatial(input_shape))
        out = state[:1] + (input_shape[1],) + state[1:] if self.return_sequences else state
        return ([out, state, state] if self.return_state else out), self.dtype

    # -- config -----------------------------------------------------------------------------------------------
    def get_config(self):
        config = self._rnn_config()
        cell = _cell_config(self.cell)
        for key, value in cell.items():
            config[key] = value
            if key == "bias_regularizer":
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)

    # the cell's settings, readable on the layer as in tf.keras
    filters = property(lambda self: self.cell.filters)
    kernel_size = property(lambda self: self.cell.kernel_size)
    strides = property(lambda self: self.cell.strides)
    padding = property(lambda self: self.cell.padding)
    data_format = property(lambda self: self.cell.data_format)
    dilation_rate = property(lambda self: self.cell.dilation_rate)
    activation = property(lambda self: self.cell.activation)
    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    use_bias = property(lambda self: self.cell.use_bias)
    kernel_initializer = property(lambda self: self.cell.kernel_initializer)
    recurrent_initializer = property(lambda self: self.cell.recurrent_initializer)
    bias_initializer = property(lambda self: self.cell.bias_initializer)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)
    kernel_regularizer = property(lambda self: self.cell.kernel_regularizer)
    recurrent_regularizer = property(lambda self: self.cell.recurrent_regularizer)
    bias_regularizer = property(lambda self: self.cell.bias_regularizer)
    kernel_constraint = property(lambda self: self.cell.kernel_constraint)
    recurrent_constraint = property(lambda self: self.cell.recurrent_constraint)
    bias_constraint = property(lambda self: self.cell.bias_constraint)
    dropout = property(lambda self: self.cell.dropout)
    recurrent_dropout = property(lambda self: self.cell.recurrent_dropout)


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over sequences of 1-d maps (batch, time, steps, channels).

    Example:
        >>> ConvLSTM1D(2, 3)(np.zeros((2, 5, 6, 3), "float32")).shape
        (2, 4, 2)
    """

    _rank = 1


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over sequences of images (batch, time, rows, cols, channels): ``ConvLSTM2D(filters,
    kernel_size, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1), activation='tanh',
    recurrent_activation='hard_sigmoid', ..., return_sequences=False, return_state=False, go_backwards=False,
    stateful=False, dropout=0.0, recurrent_dropout=0.0)``.

    Weights: ``conv_lstm2d/kernel:0`` (kh, kw, channels, 4 filters), ``recurrent_kernel`` (kh, kw, filters,
    4 filters), ``bias`` (4 filters,), gate blocks i, f, c, o.

    Example:
        >>> ConvLSTM2D(2, 3, return_state=True)(np.zeros((2, 5, 6, 6, 3), "float32"))[2].shape
        (2, 4, 4, 2)
    """

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                         recurrent_activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         unit_forget_bias, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
                         return_sequences, return_state, go_backwards, stateful, dropout, recurrent_dropout, **kwargs)


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over sequences of volumes (batch, time, depth, rows, cols, channels).

    Example:
        >>> ConvLSTM3D(2, 3, padding="same")(np.zeros((1, 3, 4, 4, 4, 2), "float32")).shape
        (1, 4, 4, 4, 2)
    """

    _rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), activation="tanh", recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                         recurrent_activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         unit_forget_bias, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
                         return_sequences, return_state, go_backwards, stateful, dropout, recurrent_dropout, **kwargs)
