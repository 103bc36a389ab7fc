"""Recurrent cells: one time step of SimpleRNN, LSTM and GRU, and StackedRNNCells (Keras 2 names, arguments,
defaults, weight layouts and configs).

A cell has ``state_size`` (an int, or a list with one entry per state), ``output_size`` and
``call(inputs, states, training=None) -> (output, new_states)``; ``RNN`` runs it over a sequence. The built-in
cells also know how to run a whole sequence at once with autograd's fused recurrent primitives
(``_fused_sequence``), which ``RNN`` uses whenever the cell's settings allow it.

Weight layouts follow tf.keras, so weights move between the two: LSTM kernel columns are the gates i, f, c, o;
GRU columns are z, r, h, with a bias of shape (2, 3 * units) (input bias, recurrent bias) when
``reset_after=True`` (the default).

Example:
    >>> cell = LSTMCell(4)
    >>> out, (h, c) = cell(np.ones((2, 3), "float32"), [np.zeros((2, 4), "float32")] * 2)
    >>> [w.name for w in cell.weights]
    ['lstm_cell/kernel:0', 'lstm_cell/recurrent_kernel:0', 'lstm_cell/bias:0']
"""
import math

import numpy as np

import autograd as ag

from .. import activations, constraints, initializers, random_state, regularizers
from ..engine.base_layer import Layer, in_shape_inference, name_scope
from .core import _positive_int

__all__ = ["AbstractRNNCell", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


# -- argument checks ------------------------------------------------------------------------------------------
def _rate(value, arg, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or \
            not math.isfinite(float(value)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{who}: `{arg}` must be a number in [0, 1], received {arg}={value!r}")
    return float(value)


def _implementation(value, who):
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise ValueError(f"{who}: `implementation` must be 1 or 2, received implementation={value!r}")
    return 1 if value == 0 else int(value)   # Keras maps the deprecated 0 to 1


def resolve_training(training):
    """``training`` as a bool: an unset flag follows ``backend.learning_phase()`` (0 unless set), as
    Keras's dropout does.

    Example:
        >>> resolve_training(None), resolve_training(ag.Tensor(np.array(True)))
        (False, True)
    """
    if training is None:
        from .. import backend
        return backend.learning_phase() == 1
    return bool(training.data) if isinstance(training, ag.Tensor) else bool(training)


def fused_activation_name(fn):
    """The name under which autograd's fused recurrent ops know ``fn`` (None when they don't).

    Example:
        >>> fused_activation_name(activations.tanh), fused_activation_name(lambda x: x)
        ('tanh', None)
    """
    for name in ag.FUSED_ACTIVATIONS:
        if getattr(activations, name, None) is fn:
            return name
    return None


def flat_state_sizes(state_size):
    """A cell's ``state_size`` as a flat list of ints, one per state (nested lists, as StackedRNNCells has,
    are flattened in order; as in Keras, a list always means several states).

    Example:
        >>> flat_state_sizes(3), flat_state_sizes([3, [4, 5]])
        ([3], [3, 4, 5])
    """
    if isinstance(state_size, (int, np.integer)):
        return [int(state_size)]
    out = []
    for s in state_size:
        out.extend(flat_state_sizes(s))
    return out


def zero_states(state_size, batch_size, dtype):
    """Zero-filled initial states (one Tensor per state) for ``batch_size`` samples.

    Example:
        >>> [tuple(s.shape) for s in zero_states([3, 4], 2, "float32")]
        [(2, 3), (2, 4)]
    """
    return [ag.Tensor(np.zeros((batch_size, s), dtype)) for s in flat_state_sizes(state_size)]


def adopt_dtype(layer, dtype):
    """Give an unbuilt ``layer`` (and its sublayers) the dtype of the layer that owns it.

    NOTE: tf.keras leaves an inner layer's dtype alone and casts between the two; here an explicit dtype on
    the outer layer (an RNN's, a wrapper's; e.g. float64 for a gradient check) is what the inner layer computes
    in, so the two never disagree.

    Example:
        >>> cell = kerasfront.layers.LSTMCell(2); adopt_dtype(cell, "float64"); cell.dtype
        'float64'
    """
    if not isinstance(layer, Layer) or layer.built:
        return
    name = getattr(dtype, "name", dtype)
    if layer.dtype_policy.name == name:
        return
    for sub in layer._flatten_layers():
        sub._set_dtype_policy(dtype)


class AbstractRNNCell(Layer):
    """Base class for recurrent cells: a subclass implements ``call(inputs, states) -> (output, new_states)``
    and the properties ``state_size`` and ``output_size``; ``get_initial_state`` gives zero states.

    Example:
        >>> class MinimalRNNCell(AbstractRNNCell):
        ...     state_size = property(lambda self: 3)
        ...     output_size = property(lambda self: 3)
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight("kernel", (input_shape[-1], 3))
        ...     def call(self, inputs, states):
        ...         out = ag.matmul(inputs, self.kernel) + states[0]
        ...         return out, [out]
        >>> kerasfront.layers.RNN(MinimalRNNCell())(np.ones((2, 4, 5), "float32")).shape
        (2, 3)
    """

    def call(self, inputs, states):
        raise NotImplementedError(f"{type(self).__name__}: a subclass of AbstractRNNCell must implement "
                                  f"call(inputs, states) -> (output, new_states)")

    @property
    def state_size(self):
        raise NotImplementedError(f"{type(self).__name__}: a subclass of AbstractRNNCell must define the "
                                  f"`state_size` property (an int, or a list with one entry per state)")

    @property
    def output_size(self):
        raise NotImplementedError(f"{type(self).__name__}: a subclass of AbstractRNNCell must define the "
                                  f"`output_size` property")

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """Zero states for ``batch_size`` samples (or ``inputs``'s batch size), one per entry of state_size."""
        if batch_size is None:
            if inputs is None:
                raise ValueError(f"{type(self).__name__}.get_initial_state: give `inputs` or `batch_size`")
            batch_size = inputs.shape[0]
        return zero_states(self.state_size, int(batch_size), dtype or self.dtype)


# -- dropout masks shared by the time steps of one call --------------------------------------------------------
class DropoutRNNCellMixin:
    """Dropout masks for a cell's inputs and recurrent state, drawn once per sequence (the same mask at every
    time step, as Keras does) and forgotten by ``reset_dropout_mask`` before the next call.

    Example:
        >>> cell = kerasfront.layers.SimpleRNNCell(2, dropout=0.5)
        >>> cell.get_dropout_mask_for_cell(ag.Tensor(np.ones((1, 4), "float32")), training=False) is None
        True
    """

    _dp_mask = None
    _rec_dp_mask = None
    _rng = None

    def reset_dropout_mask(self):
        self._dp_mask = None

    def reset_recurrent_dropout_mask(self):
        self._rec_dp_mask = None

    def _draw_masks(self, shape, dtype, rate, training, count):
        if not 0.0 < rate < 1.0 or in_shape_inference() or not resolve_training(training):
            return False
        ones = ag.Tensor(np.ones(shape, dtype))
        gen = self._rng if self._rng is not None else random_state.generator()
        return [ag.dropout(ones, rate, gen) for _ in range(count)]

    def get_dropout_mask_for_cell(self, inputs, training, count=1):
        """``count`` masks shaped like ``inputs`` (None outside training or without dropout)."""
        if self._dp_mask is None:
            self._dp_mask = self._draw_masks(inputs.shape, inputs.dtype, self.dropout, training, count)
        return self._dp_mask or None

    def get_recurrent_dropout_mask_for_cell(self, inputs, training, count=1):
        """``count`` masks shaped like the recurrent state (None outside training or without dropout)."""
        if self._rec_dp_mask is None:
            self._rec_dp_mask = self._draw_masks(inputs.shape, inputs.dtype, self.recurrent_dropout, training, count)
        return self._rec_dp_mask or None


class _Cell(DropoutRNNCellMixin, Layer):
    """Shared configuration of the built-in cells: activation, initializers, regularizers, constraints,
    dropout."""

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        seed = kwargs.pop("seed", None)      # Keras 3's argument: a seed for this cell's dropout masks
        super().__init__(**kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"{who}: `seed` must be an int or None, received seed={seed!r}")
        self.seed = None if seed is None else int(seed)
        self._rng = random_state.make_generator(self.seed) if self.seed is not None else None
        self.units = _positive_int(units, "units", who)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(dropout, "dropout", who)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", who)
        self.bias = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """Zero states for ``batch_size`` samples (or ``inputs``'s batch size)."""
        if batch_size is None:
            batch_size = inputs.shape[0]
        return zero_states(self.state_size, int(batch_size), dtype or self.dtype)

    def _build_kernels(self, input_shape, bias_shape, bias_initializer=None):
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the last dimension of the inputs (features) must "
                             f"be known to build the cell. Received input shape {tuple(input_shape)}")
        g = self._gates * self.units
        self.kernel = self.add_weight("kernel", shape=(features, g), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", shape=(self.units, g),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=bias_shape, initializer=bias_initializer or self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def _fusable(self):
        """True when a whole sequence can run as one fused primitive: activations the primitive knows
        (dropout masks, per gate or shared, are handed to the primitive)."""
        if fused_activation_name(self.activation) is None:
            return False
        return fused_activation_name(getattr(self, "recurrent_activation", activations.sigmoid)) is not None

    def _sequence_masks(self, inputs, training):
        """This call's input and recurrent dropout masks for the fused primitive: (1 or gates, batch, size) each,
        or None. They are drawn as the step-by-step path draws them (same count and order), so both paths see
        the same masks for the same seed."""
        n, _, f = inputs.shape
        if self._dp_mask is None:
            self._dp_mask = self._draw_masks((n, f), inputs.dtype, self.dropout, training, self._gates)
        if self._rec_dp_mask is None:
            self._rec_dp_mask = self._draw_masks((n, self.units), inputs.dtype, self.recurrent_dropout, training,
                                                 self._gates)
        per_gate = getattr(self, "implementation", 2) == 1

        def stacked(masks):
            if not masks:
                return None
            return ag.stack(masks if per_gate else masks[:1])
        return stacked(self._dp_mask), stacked(self._rec_dp_mask)

    def _base_config(self):
        config = Layer.get_config(self)
        config.pop("batch_input_shape", None)
        return config

    def _seed_config(self, config):
        # NOTE: tf.keras 2 cells have no seed; it is written only when set, so default configs stay tf.keras's
        if self.seed is not None:
            config["seed"] = self.seed
        return config

    def _common_config(self):
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }

    def _tail_config(self):
        return {
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


def _states_list(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: ``h' = activation(x @ kernel + bias + h @ recurrent_kernel)``.

    Args:
        units: size of the output and state.
        activation: default ``tanh``.
        use_bias, kernel_initializer (``glorot_uniform``), recurrent_initializer (``orthogonal``),
        bias_initializer (``zeros``), *_regularizer, *_constraint: as Dense.
        dropout / recurrent_dropout: fraction of the inputs / of the state dropped during training (one mask
            per sequence).

    Example:
        >>> RNN(SimpleRNNCell(8))(np.ones((2, 5, 3), "float32")).shape
        (2, 8)
    """

    def build(self, input_shape):
        self._build_kernels(input_shape, (self.units,))

    def call(self, inputs, states, training=None):
        prev = _states_list(states)[0]
        dp = self.get_dropout_mask_for_cell(inputs, training)
        rdp = self.get_recurrent_dropout_mask_for_cell(prev, training)
        h = ag.matmul(inputs * dp[0] if dp is not None else inputs, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        if rdp is not None:
            prev = prev * rdp[0]
        out = self.activation(h + ag.matmul(prev, self.recurrent_kernel))
        return out, [out] if isinstance(states, (list, tuple)) else out

    def _fused_sequence(self, inputs, states, mask, go_backwards, zero_output, training):
        if not self._fusable():
            return None
        dm, rdm = self._sequence_masks(inputs, training)
        outputs, h = ag.simple_rnn_sequence(
            inputs, states[0], self.kernel, self.recurrent_kernel, self.bias, mask=mask, go_backwards=go_backwards,
            activation=fused_activation_name(self.activation), zero_output_for_mask=zero_output, dropout_mask=dm,
            recurrent_dropout_mask=rdm)
        return outputs, [h]

    def get_config(self):
        config = self._base_config()
        config.update({"units": self.units, "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        config.update(self._common_config())
        config.update(self._tail_config())
        return self._seed_config(config)


class LSTMCell(_Cell):
    """One step of a Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), Keras's gate order
    i, f, c, o::

        z = x @ kernel + h @ recurrent_kernel + bias
        i, f, o = recurrent_activation(z_i, z_f, z_o);  c' = f * c + i * activation(z_c);  h' = o * activation(c')

    Args:
        units: size of the output and of each state (h, c).
        activation: default ``tanh``; recurrent_activation: default ``sigmoid``.
        unit_forget_bias: add 1 to the forget gate's bias at initialization (and use ``zeros`` elsewhere).
        implementation: 2 (one fused matmul per step, default) or 1 (one per gate; Keras's choice whenever
            ``recurrent_dropout`` is set, with one dropout mask per gate).
        Others as SimpleRNNCell.

    Example:
        >>> LSTMCell(4).state_size
        [4, 4]
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        implementation = _implementation(implementation, f"LSTMCell '{self.name}'")
        # NOTE: as tf.keras, recurrent dropout needs one mask per gate, hence implementation 1
        self.implementation = 1 if self.recurrent_dropout != 0 else implementation

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        init = None
        if self.use_bias and self.unit_forget_bias:
            base, u = self.bias_initializer, self.units

            def init(shape, dtype=None, **kwargs):
                parts = [base((u,), dtype=dtype), initializers.get("ones")((u,), dtype=dtype),
                         base((2 * u,), dtype=dtype)]
                return ag.concatenate([ag.as_tensor(p) for p in parts], axis=0)
        self._build_kernels(input_shape, (4 * self.units,), init)

    def call(self, inputs, states, training=None):
        h_tm1, c_tm1 = states[0], states[1]
        u = self.units
        dp = self.get_dropout_mask_for_cell(inputs, training, count=4)
        rdp = self.get_recurrent_dropout_mask_for_cell(h_tm1, training, count=4)
        act, ract = self.activation, self.recurrent_activation
        if self.implementation == 1:
            xs = [inputs * dp[k] if dp is not None else inputs for k in range(4)]
            hs = [h_tm1 * rdp[k] if rdp is not None else h_tm1 for k in range(4)]
            z = []
            for k in range(4):
                cols = slice(k * u, (k + 1) * u)
                zk = ag.matmul(xs[k], self.kernel[:, cols]) + ag.matmul(hs[k], self.recurrent_kernel[:, cols])
                if self.bias is not None:
                    zk = zk + self.bias[cols]
                z.append(zk)
        else:
            x = inputs * dp[0] if dp is not None else inputs
            zz = ag.matmul(x, self.kernel) + ag.matmul(h_tm1, self.recurrent_kernel)
            if self.bias is not None:
                zz = zz + self.bias
            z = [zz[:, k * u:(k + 1) * u] for k in range(4)]
        i, f, o = ract(z[0]), ract(z[1]), ract(z[3])
        c = f * c_tm1 + i * act(z[2])
        h = o * act(c)
        return h, [h, c]

    def _fused_sequence(self, inputs, states, mask, go_backwards, zero_output, training):
        if not self._fusable():
            return None
        dm, rdm = self._sequence_masks(inputs, training)
        outputs, h, c = ag.lstm_sequence(
            inputs, states[0], states[1], self.kernel, self.recurrent_kernel, self.bias, mask=mask,
            go_backwards=go_backwards, activation=fused_activation_name(self.activation),
            recurrent_activation=fused_activation_name(self.recurrent_activation), zero_output_for_mask=zero_output,
            dropout_mask=dm, recurrent_dropout_mask=rdm)
        return outputs, [h, c]

    def get_config(self):
        config = self._base_config()
        config.update({"units": self.units, "activation": activations.serialize(self.activation),
                       "recurrent_activation": activations.serialize(self.recurrent_activation),
                       "use_bias": self.use_bias})
        config.update(self._common_config())
        config["unit_forget_bias"] = self.unit_forget_bias
        config.update(self._tail_config())
        config["implementation"] = self.implementation
        return self._seed_config(config)


class GRUCell(_Cell):
    """One step of a Gated Recurrent Unit (Cho et al., 2014), Keras's gate order z, r, h::

        z, r = recurrent_activation(x W_z + h U_z + b, x W_r + h U_r + b)
        hh = activation(x W_h + r * (h U_h + b_rh))      # reset_after=True (default)
        hh = activation(x W_h + (r * h) U_h + b_h)        # reset_after=False
        h' = z * h + (1 - z) * hh

    Args:
        units: size of the output and state.
        reset_after: apply the reset gate after the recurrent matmul (True, the default and cuDNN's
            convention; the bias then has shape (2, 3 * units): input bias, recurrent bias) or before it.
        activation, recurrent_activation, implementation, others: as LSTMCell.

    Example:
        >>> cell = GRUCell(3); cell.build((None, 2)); cell.bias.shape
        (2, 9)
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        implementation = _implementation(implementation, f"GRUCell '{self.name}'")
        self.implementation = 1 if self.recurrent_dropout != 0 else implementation

    def build(self, input_shape):
        self._build_kernels(input_shape, (2, 3 * self.units) if self.reset_after else (3 * self.units,))

    def call(self, inputs, states, training=None):
        h_tm1 = _states_list(states)[0]
        u = self.units
        dp = self.get_dropout_mask_for_cell(inputs, training, count=3)
        rdp = self.get_recurrent_dropout_mask_for_cell(h_tm1, training, count=3)
        act, ract = self.activation, self.recurrent_activation
        in_bias = rec_bias = None
        if self.bias is not None:
            if self.reset_after:
                in_bias, rec_bias = self.bias[0], self.bias[1]
            else:
                in_bias = self.bias
        k, rk = self.kernel, self.recurrent_kernel
        if self.implementation == 1:
            xs = [inputs * dp[g] if dp is not None else inputs for g in range(3)]
            hs = [h_tm1 * rdp[g] if rdp is not None else h_tm1 for g in range(3)]
            x = [ag.matmul(xs[g], k[:, g * u:(g + 1) * u]) for g in range(3)]
            if in_bias is not None:
                x = [x[g] + in_bias[g * u:(g + 1) * u] for g in range(3)]
            rz = ag.matmul(hs[0], rk[:, :u])
            rr = ag.matmul(hs[1], rk[:, u:2 * u])
            if rec_bias is not None:
                rz, rr = rz + rec_bias[:u], rr + rec_bias[u:2 * u]
            z = ract(x[0] + rz)
            r = ract(x[1] + rr)
            if self.reset_after:
                rh = ag.matmul(hs[2], rk[:, 2 * u:])
                if rec_bias is not None:
                    rh = rh + rec_bias[2 * u:]
                rh = r * rh
            else:
                rh = ag.matmul(r * hs[2], rk[:, 2 * u:])
            hh = act(x[2] + rh)
        else:
            xin = inputs * dp[0] if dp is not None else inputs
            mx = ag.matmul(xin, k)
            if in_bias is not None:
                mx = mx + in_bias
            if self.reset_after:
                inner = ag.matmul(h_tm1, rk)
                if rec_bias is not None:
                    inner = inner + rec_bias
            else:
                inner = ag.matmul(h_tm1, rk[:, :2 * u])
            z = ract(mx[:, :u] + inner[:, :u])
            r = ract(mx[:, u:2 * u] + inner[:, u:2 * u])
            if self.reset_after:
                rh = r * inner[:, 2 * u:]
            else:
                rh = ag.matmul(r * h_tm1, rk[:, 2 * u:])
            hh = act(mx[:, 2 * u:] + rh)
        h = z * h_tm1 + (1.0 - z) * hh
        return h, [h] if isinstance(states, (list, tuple)) else h

    def _fused_sequence(self, inputs, states, mask, go_backwards, zero_output, training):
        if not self._fusable():
            return None
        dm, rdm = self._sequence_masks(inputs, training)
        outputs, h = ag.gru_sequence(
            inputs, states[0], self.kernel, self.recurrent_kernel, self.bias, mask=mask, go_backwards=go_backwards,
            reset_after=self.reset_after, activation=fused_activation_name(self.activation),
            recurrent_activation=fused_activation_name(self.recurrent_activation), zero_output_for_mask=zero_output,
            dropout_mask=dm, recurrent_dropout_mask=rdm)
        return outputs, [h]

    def get_config(self):
        config = self._base_config()
        config.update({"units": self.units, "activation": activations.serialize(self.activation),
                       "recurrent_activation": activations.serialize(self.recurrent_activation),
                       "use_bias": self.use_bias})
        config.update(self._common_config())
        config.update(self._tail_config())
        config["implementation"] = self.implementation
        config["reset_after"] = self.reset_after
        return self._seed_config(config)


class StackedRNNCells(Layer):
    """Several cells run one after the other at each time step, as one cell (``RNN([cell1, cell2])`` makes
    one). Its states are the cells' states, in order.

    Example:
        >>> RNN(StackedRNNCells([LSTMCell(8), GRUCell(4)]))(np.ones((2, 5, 3), "float32")).shape
        (2, 4)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells '{self.name}': `cells` must be a non-empty list of cells, received "
                             f"{cells!r}")
        for cell in cells:
            _check_cell(cell, f"StackedRNNCells '{self.name}'")
        self.cells = list(cells)

    @property
    def state_size(self):
        return tuple(c.state_size for c in self.cells)

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        return size if size is not None else flat_state_sizes(last.state_size)[0]

    def _counts(self):
        return [len(flat_state_sizes(c.state_size)) for c in self.cells]

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        out = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                out.extend(_states_list(fn(inputs=inputs, batch_size=batch_size, dtype=dtype)))
            else:
                out.extend(zero_states(cell.state_size, batch_size if batch_size is not None else inputs.shape[0],
                                       dtype or self.dtype))
        return out

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                with name_scope(cell.name):
                    cell._maybe_build(shape)
            size = getattr(cell, "output_size", None)
            size = size if size is not None else flat_state_sizes(cell.state_size)[0]
            shape = (shape[0], int(size))
        self.built = True

    def reset_dropout_mask(self):
        for cell in self.cells:
            if isinstance(cell, DropoutRNNCellMixin):
                cell.reset_dropout_mask()
                cell.reset_recurrent_dropout_mask()

    def call(self, inputs, states, training=None):
        from ..engine import nest
        flat = nest.flatten(states)
        new_states = []
        pos = 0
        for cell, n in zip(self.cells, self._counts()):
            own = flat[pos:pos + n]
            pos += n
            inputs, own_new = cell(inputs, own, training=training)
            new_states.extend(_states_list(own_new))
        return inputs, new_states

    def get_config(self):
        from . import serialize
        config = super().get_config()
        config.pop("batch_input_shape", None)
        config["cells"] = [serialize(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _check_cell(cell, who):
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"{who}: a cell must have a `call(inputs, states)` method. Received: cell={cell!r}")
    if not hasattr(cell, "state_size"):
        raise ValueError(f"{who}: the RNN cell should have a `state_size` attribute (an int, or a list with one "
                         f"entry per state). Received: cell={cell!r}")
