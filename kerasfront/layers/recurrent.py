"""Recurrent layers: RNN (any cell), SimpleRNN, LSTM and GRU, with Keras 2's arguments, masking, states and
configs.

``RNN(cell)`` runs a cell over the time axis of ``(batch, timesteps, features)`` inputs. The built-in cells
(SimpleRNNCell, LSTMCell, GRUCell) run the whole sequence as one fused autograd primitive with a hand-written
backward through time whenever their activations are ones the primitive knows (tanh, sigmoid, hard_sigmoid,
relu, linear), dropout and recurrent dropout included; otherwise, and for custom cells, the cell is called step
by step.

Masks (from ``Embedding(mask_zero=True)`` or ``Masking``) follow tf.keras: at a masked step the states are
carried over and the output repeats the previous output (zeros with ``zero_output_for_mask``, which
Bidirectional sets when it returns sequences).

Example:
    >>> layer = LSTM(6, return_sequences=True, return_state=True)
    >>> seq, h, c = layer(np.ones((2, 5, 3), "float32"))
    >>> seq.shape, h.shape
    ((2, 5, 6), (2, 6))
    >>> [w.name for w in layer.weights]
    ['lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0']
"""
import inspect

import numpy as np

import autograd as ag

from .. import backend, regularizers
from ..engine.base_layer import Layer, in_shape_inference, name_scope
from .recurrent_cells import (AbstractRNNCell, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, _check_cell,
                              _states_list, adopt_dtype, flat_state_sizes, zero_states)

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU", "AbstractRNNCell", "SimpleRNNCell", "LSTMCell", "GRUCell",
           "StackedRNNCells"]


def _is_keras_tensor(x):
    from ..engine.input_layer import KerasTensor
    return isinstance(x, KerasTensor)


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class RNN(Layer):
    """Run a recurrent cell over a sequence.

    Args:
        cell: an object with ``call(inputs, states) -> (output, new_states)`` and ``state_size`` (an int, or a
            list with one entry per state), usually a Layer; or a list of cells (stacked, see StackedRNNCells).
        return_sequences: return the output of every time step (batch, timesteps, units) instead of the last.
        return_state: also return the final states: ``[output, state_1, ...]``.
        go_backwards: read the sequence from its end (outputs come back in processing order, as Keras).
        stateful: the final states of a batch are the initial states of the next one (needs a fixed batch size:
            ``batch_input_shape`` / ``Input(batch_shape=...)``); ``reset_states()`` zeroes them.
        unroll: accepted for compatibility; the loop is never unrolled.
        time_major: inputs are (timesteps, batch, features).
        zero_output_for_mask: output zeros at masked steps instead of the previous output.

    Call arguments: ``inputs``, ``mask`` (batch, timesteps) booleans, ``training``, ``initial_state`` (a list
    of tensors, one per state), ``constants`` (extra inputs handed to the cell at every step, for cells whose
    ``call`` takes ``constants``).

    Example:
        >>> class MinimalRNNCell(Layer):
        ...     state_size = 4
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight("kernel", (input_shape[-1], 4))
        ...     def call(self, inputs, states):
        ...         out = ag.tanh(ag.matmul(inputs, self.kernel) + states[0])
        ...         return out, [out]
        >>> RNN(MinimalRNNCell())(np.ones((2, 5, 3), "float32")).shape
        (2, 4)
    """

    #: exact input rank of the built-in recurrent layers (None: 3 or more, for custom cells)
    _input_ndim = None

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, time_major=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell, type(self).__name__)
        self.zero_output_for_mask = bool(kwargs.pop("zero_output_for_mask", False))
        num_constants = kwargs.pop("num_constants", 0)
        if "input_shape" not in kwargs and ("input_dim" in kwargs or "input_length" in kwargs):
            kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim", None))
        kwargs.pop("input_length", None)
        explicit_dtype = kwargs.get("dtype")
        super().__init__(**kwargs)
        if explicit_dtype is not None:
            adopt_dtype(cell, self.dtype_policy)
        for arg, value in (("return_sequences", return_sequences), ("return_state", return_state),
                           ("go_backwards", go_backwards), ("stateful", stateful), ("unroll", unroll),
                           ("time_major", time_major)):
            if not isinstance(value, (bool, np.bool_)) and value not in (0, 1):
                raise TypeError(f"{type(self).__name__} layer '{self.name}': `{arg}` must be True or False, received "
                                f"{arg}={value!r}")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.supports_masking = True
        self.input_spec = None
        self._states = None
        self._feature_shape = None
        self._num_constants = int(num_constants or 0)
        self._cell_kwargs = None

    # -- states ---------------------------------------------------------------------------------------------
    @property
    def _state_sizes(self):
        return flat_state_sizes(self.cell.state_size)

    @property
    def states(self):
        """The stateful layer's current states (a list of Tensors), or ``[None, ...]`` before they exist."""
        if self._states is None:
            return [None] * len(self._state_sizes)
        return self._states

    @states.setter
    def states(self, states):
        self._states = states

    def get_initial_state(self, inputs):
        """Zero states (or the cell's ``get_initial_state``) for the batch of ``inputs``."""
        batch = inputs.shape[1] if self.time_major else inputs.shape[0]
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            return zero_states(self.cell.state_size, batch, inputs.dtype)
        # Keras 2 cells take (inputs, batch_size, dtype); Keras 3 cells take batch_size only
        offered = {"inputs": None, "batch_size": batch, "dtype": inputs.dtype}
        accepts = self._initial_state_parameters(fn)
        kwargs = offered if accepts is None else {k: v for k, v in offered.items() if k in accepts}
        states = [self._as_state(s) for s in _states_list(fn(**kwargs))]
        return states

    def _initial_state_parameters(self, fn):
        """The names of ``fn``'s parameters, or None when it takes ``**kwargs``; read once per function
        (``inspect.signature`` costs ~0.15 ms, more than the rest of a small model's call)."""
        key = getattr(fn, "__func__", fn)
        cached = getattr(self, "_initial_state_signature", None)
        if cached is not None and cached[0] is key:
            return cached[1]
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        accepts = None if any(p.kind == p.VAR_KEYWORD for p in params.values()) else frozenset(params)
        self._initial_state_signature = (key, accepts)
        return accepts

    def reset_states(self, states=None):
        """Set a stateful layer's states to zeros, or to ``states`` (arrays, one per state)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name} must be stateful to reset its states (it was created with "
                                 f"stateful=False).")
        batch = self._stateful_batch_size()
        if states is None:
            self._set_states(self._stateful_zero_states(batch))
            return
        values = list(states) if isinstance(states, (list, tuple)) else [states]
        zeros = self._stateful_zero_states(batch)
        if len(values) != len(zeros):
            raise ValueError(f"Layer {self.name} expects {len(zeros)} states, but it received {len(values)} state "
                             f"values. States received: {values}")
        new = []
        for i, (v, z) in enumerate(zip(values, zeros)):
            arr = np.asarray(v.data if isinstance(v, ag.Tensor) else v)
            if arr.shape != z.shape:
                raise ValueError(f"State {i} is incompatible with layer {self.name}: expected shape={z.shape} but "
                                 f"found shape={arr.shape}")
            new.append(ag.Tensor(arr.astype(self.dtype)))
        self._set_states(new)

    def _set_states(self, values):
        """Make ``values`` (Tensors) the states: written into the current state Tensors in place when they have the
        same shapes and dtypes (as tf.keras assigns its state Variables; a captured training step reads them by
        reference), else those Tensors replace them."""
        cur = self._states
        if cur is not None and len(cur) == len(values) and all(
                c.shape == v.shape and c.dtype == np.dtype(self._np_dtype) for c, v in zip(cur, values)):
            with ag.no_grad():
                for c, v in zip(cur, values):
                    ag.assign(c, v)
            return
        self._states = [ag.Tensor(np.array(v.data, dtype=self._np_dtype)) for v in values]

    def _stateful_zero_states(self, batch):
        """Zero states for a stateful layer's ``batch`` (one (batch, size) Tensor per state)."""
        return zero_states(self.cell.state_size, batch, self.dtype)

    def _state_shapes(self, input_shape):
        """The shape each state must have for inputs of the batch-major ``input_shape``: (batch, size)
        (convolutional RNNs add the spatial axes)."""
        return [(input_shape[0], size) for size in self._state_sizes]

    def _stateful_batch_size(self):
        shape = self._build_input_shape
        if isinstance(shape, list):
            shape = shape[0]
        batch = None
        if shape is not None:
            batch = shape[1] if self.time_major else shape[0]
        if not batch:
            raise ValueError(
                f"Layer {self.name}: a stateful RNN needs to know its batch size. Specify the batch size of your "
                f"input tensors: in a Sequential model pass `batch_input_shape=(batch, timesteps, features)` to "
                f"the first layer; in the functional API pass `batch_shape=` to Input. Received input shape "
                f"{shape}")
        return int(batch)

    # -- building -------------------------------------------------------------------------------------------
    def _check_rank(self, shape):
        rank = len(shape)
        want = self._input_ndim
        if (want is not None and rank != want) or rank < 3:
            expected = f"ndim={want}" if want is not None else "min_ndim=3"
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected {expected}, '
                             f"found ndim={rank}. Full shape received: {_fmt(shape)}")
        built = self._feature_shape
        if built is not None and any(b is not None and b != d for b, d in zip(built, shape[2:])):
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected the features '
                             f"of each step to have shape {_fmt(built)} (as when the layer was built), but received "
                             f"input with shape {_fmt(shape)}")

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        batch = input_shape[1] if self.time_major else input_shape[0]
        step_shape = (batch,) + input_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            with name_scope(self.cell.name):
                self.cell._maybe_build(step_shape)
        elif not isinstance(self.cell, Layer) and hasattr(self.cell, "build"):
            self.cell.build(step_shape)
        self._build_input_shape = input_shape
        self._feature_shape = input_shape[2:]
        if self.stateful:
            self.reset_states()
        self.built = True

    # -- calling --------------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise TypeError(f"Layer {self.name}: __call__() is missing the 'inputs' argument")
        initial_state = kwargs.pop("initial_state", None)
        constants = kwargs.pop("constants", None)
        if initial_state is None and constants is None:
            return super().__call__(inputs, *args, **kwargs)
        if initial_state is not None and not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        if constants is not None and not isinstance(constants, (list, tuple)):
            constants = [constants]
        extras = list(initial_state or []) + list(constants or [])
        symbolic = [_is_keras_tensor(t) for t in extras]
        if any(symbolic):
            if not all(symbolic) or not _is_keras_tensor(inputs):
                raise ValueError(f"Layer {self.name}: the initial state or constants of an RNN layer cannot be "
                                 f"specified with a mix of Keras tensors (from Input or a layer) and other tensors. "
                                 f"Received: initial_state={initial_state}, constants={constants}")
            # NOTE: as tf.keras, symbolic states and constants become extra inputs of the node, so the model's
            # config lists them as inbound tensors ([x, h0, c0]).
            self._num_constants = len(constants or [])
            return super().__call__([inputs] + extras, *args, **kwargs)
        if initial_state is not None:
            kwargs["initial_state"] = list(initial_state)
        if constants is not None:
            kwargs["constants"] = list(constants)
        return super().__call__(inputs, *args, **kwargs)

    def _as_state(self, s):
        if isinstance(s, ag.Tensor):
            return s if s.dtype == self._np_dtype or s.dtype.kind != "f" else ag.astype(s, self._np_dtype)
        return ag.Tensor(np.asarray(s, dtype=self._np_dtype))

    def _process_inputs(self, inputs, initial_state, constants):
        if isinstance(inputs, (list, tuple)):
            rest = list(inputs[1:])
            if self._num_constants:
                constants = rest[len(rest) - self._num_constants:]
                rest = rest[:len(rest) - self._num_constants]
            if rest:
                initial_state = rest
            inputs = inputs[0]
        if initial_state is not None and not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        self._check_rank(inputs.shape)
        if self.stateful and not in_shape_inference():
            if self._states is None:
                self.reset_states()
            # NOTE: read as copies (an op): the states are updated in place at the end of this call, and the
            # backward pass must see the values this batch started from
            current = [ag.positive(s) for s in self._states]
            if initial_state is None:
                initial_state = current
            elif ag.trace.active() is not None and len(initial_state) == len(current):
                # NOTE: tf.keras's cond (the kept states once any is nonzero, else initial_state) with ops while
                # autograd.trace records, so that a replayed step takes the branch of its own states (after
                # reset_states, initial_state again); eagerly a host branch
                kept = ag.any(ag.not_equal(current[0], 0))
                for s in current[1:]:
                    kept = ag.logical_or(kept, ag.any(ag.not_equal(s, 0)))
                initial_state = [ag.where(kept, c, s) for c, s in zip(current, initial_state)]
            elif any(bool(np.any(s.data)) for s in current):
                initial_state = current
            if current[0].shape[0] != (inputs.shape[1] if self.time_major else inputs.shape[0]):
                raise ValueError(f"Layer {self.name} is stateful with batch size {current[0].shape[0]}, but it "
                                 f"received a batch of shape {tuple(inputs.shape)}")
        elif initial_state is None:
            initial_state = self.get_initial_state(inputs)
        initial_state = [self._as_state(s) for s in initial_state]
        sizes = self._state_sizes
        if len(initial_state) != len(sizes):
            raise ValueError(f"Layer {self.name} has {len(sizes)} states but was passed {len(initial_state)} initial "
                             f"states. Received: initial_state shapes {[tuple(s.shape) for s in initial_state]}")
        shape = tuple(inputs.shape)
        if self.time_major:
            shape = (shape[1], shape[0]) + shape[2:]
        for i, (s, want) in enumerate(zip(initial_state, self._state_shapes(shape))):
            if tuple(s.shape) != tuple(want):
                raise ValueError(f"Layer {self.name}: initial state {i} must have shape {tuple(want)} (batch, state "
                                 f"size), received shape {tuple(s.shape)}")
        if constants is not None:
            constants = [c if isinstance(c, ag.Tensor) else ag.Tensor(np.asarray(c, self._np_dtype))
                         for c in constants]
        return inputs, initial_state, constants

    def _reset_dropout_masks(self):
        reset = getattr(self.cell, "reset_dropout_mask", None)
        if reset is not None:
            reset()
        reset_rec = getattr(self.cell, "reset_recurrent_dropout_mask", None)
        if reset_rec is not None:
            reset_rec()

    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        inputs, states, constants = self._process_inputs(inputs, initial_state, constants)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.time_major:
            inputs = ag.swapaxes(inputs, 0, 1)
            if mask is not None:
                mask = ag.swapaxes(mask, 0, 1)
        self._reset_dropout_masks()
        result = None
        fused = getattr(self.cell, "_fused_sequence", None)
        if fused is not None and constants is None:
            result = fused(inputs, states, mask, self.go_backwards, self.zero_output_for_mask, training)
        if result is not None:
            outputs, new_states = result
            if mask is not None and self.zero_output_for_mask:
                last = outputs[:, -1]
            else:
                last = new_states[0]    # the last output equals the final h unless masked steps output zeros
        else:
            outputs, last, new_states = self._step_loop(inputs, states, mask, training, constants)
        if self.stateful and not in_shape_inference():
            # NOTE: states carried between batches hold values only; no gradient flows across batches
            self._set_states(new_states)
        output = outputs if self.return_sequences else last
        if self.return_sequences and self.time_major:
            output = ag.swapaxes(output, 0, 1)
        if self.return_state:
            return [output] + list(new_states)
        return output

    def _cell_caller(self, training, constants):
        """A function ``(x_t, states) -> (output, [states])`` calling the cell with what its ``call`` takes."""
        cell = self.cell
        if self._cell_kwargs is None:
            try:
                params = inspect.signature(cell.call).parameters
            except (TypeError, ValueError):
                params = {}
            self._cell_kwargs = ("training" in params, "constants" in params)
        takes_training, takes_constants = self._cell_kwargs
        kwargs = {}
        if takes_training:
            kwargs["training"] = training
        if constants is not None:
            if not takes_constants:
                raise ValueError(f"Layer {self.name}: RNN cell {cell!r} does not support constants (its call() has "
                                 f"no `constants` argument). Received: constants={constants}")
            kwargs["constants"] = constants
        fn = cell if isinstance(cell, Layer) else cell.call

        def step(x, states):
            out, new = fn(x, states, **kwargs)
            return out, _states_list(new)
        return step

    def _step_loop(self, inputs, states, mask, training, constants):
        """The recurrence one step at a time (custom cells, activations the fused primitives lack): K.rnn."""
        step = self._cell_caller(training, constants)
        if mask is not None and tuple(np.shape(mask)) != tuple(inputs.shape[:2]):
            raise ValueError(f"Layer {self.name}: the mask must have shape (batch, timesteps) = "
                             f"{tuple(inputs.shape[:2])}, received {tuple(np.shape(mask))}")

        def checked_step(x, current):
            out, new = step(x, list(current))
            if len(new) != len(current):
                raise ValueError(f"Layer {self.name}: the cell returned {len(new)} states, expected {len(current)} "
                                 f"(its state_size is {self.cell.state_size})")
            return out, new

        last, outputs, new_states = backend.rnn(checked_step, inputs, states, go_backwards=self.go_backwards,
                                                mask=mask, zero_output_for_mask=self.zero_output_for_mask,
                                                return_all_outputs=self.return_sequences)
        return (outputs if self.return_sequences else None), last, new_states

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_sizes)
        return output_mask

    # -- config ---------------------------------------------------------------------------------------------
    def _rnn_config(self):
        config = Layer.get_config(self)
        config.update({"return_sequences": self.return_sequences, "return_state": self.return_state,
                       "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                       "time_major": self.time_major})
        if self._num_constants:
            config["num_constants"] = self._num_constants
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = self.zero_output_for_mask
        return config

    def get_config(self):
        from . import serialize
        config = self._rnn_config()
        config["cell"] = serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


class _BuiltinRNN(RNN):
    """SimpleRNN / LSTM / GRU: an RNN owning one built-in cell, with the cell's settings as its own arguments
    and in its config (Keras's flat layout, without a ``cell`` entry)."""

    _input_ndim = 3

    def _cell_args(self, kwargs):
        implementation = kwargs.pop("implementation", 2)
        kwargs.pop("use_cudnn", None)        # Keras 3's switch; there is no cuDNN here
        return {"dtype": kwargs.get("dtype"), "trainable": kwargs.get("trainable", True),
                "implementation": implementation, "seed": kwargs.pop("seed", None)}

    def get_config(self):
        config = self._rnn_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        for key, value in cell_config.items():
            config[key] = value
            if key == "bias_regularizer":
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if config.get("implementation") == 0:
            config["implementation"] = 1
        return cls(**config)

    # the cell's settings, readable on the layer as in Keras
    units = property(lambda self: self.cell.units)
    activation = property(lambda self: self.cell.activation)
    use_bias = property(lambda self: self.cell.use_bias)
    kernel_initializer = property(lambda self: self.cell.kernel_initializer)
    recurrent_initializer = property(lambda self: self.cell.recurrent_initializer)
    bias_initializer = property(lambda self: self.cell.bias_initializer)
    kernel_regularizer = property(lambda self: self.cell.kernel_regularizer)
    recurrent_regularizer = property(lambda self: self.cell.recurrent_regularizer)
    bias_regularizer = property(lambda self: self.cell.bias_regularizer)
    kernel_constraint = property(lambda self: self.cell.kernel_constraint)
    recurrent_constraint = property(lambda self: self.cell.recurrent_constraint)
    bias_constraint = property(lambda self: self.cell.bias_constraint)
    dropout = property(lambda self: self.cell.dropout)
    recurrent_dropout = property(lambda self: self.cell.recurrent_dropout)


_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major")


class SimpleRNN(_BuiltinRNN):
    """Fully connected RNN whose output is fed back as its state: ``h' = tanh(x W + h U + b)``.

    Args:
        units: size of the output and state.
        activation, use_bias, initializers, regularizers, constraints, dropout, recurrent_dropout: see
            SimpleRNNCell (``activity_regularizer`` applies to the output).
        return_sequences, return_state, go_backwards, stateful, unroll, time_major: see RNN.

    Weights: ``simple_rnn/simple_rnn_cell/kernel:0`` (features, units), ``recurrent_kernel`` (units, units),
    ``bias`` (units,).

    Example:
        >>> SimpleRNN(4, return_sequences=True)(np.ones((2, 6, 2), "float32")).shape
        (2, 6, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 time_major=False, **kwargs):
        kwargs.pop("implementation", None)
        kwargs.pop("use_cudnn", None)
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype"),
                             trainable=kwargs.get("trainable", True), name="simple_rnn_cell",
                             seed=kwargs.pop("seed", None))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, time_major=time_major,
                         activity_regularizer=activity_regularizer, **kwargs)


class LSTM(_BuiltinRNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), numerically as tf.keras.

    Args:
        units: size of the output and of the states h, c.
        activation (``tanh``), recurrent_activation (``sigmoid``), use_bias, initializers (kernel
            ``glorot_uniform``, recurrent ``orthogonal``, bias ``zeros``), unit_forget_bias (True: forget-gate
            bias starts at 1), regularizers, constraints, dropout, recurrent_dropout, implementation: see
            LSTMCell.
        return_sequences, return_state, go_backwards, stateful, unroll, time_major: see RNN.

    Weights: ``lstm/lstm_cell/kernel:0`` (features, 4 units), ``recurrent_kernel`` (units, 4 units), ``bias``
    (4 units,), gate columns i, f, c, o. With the default activations the sequence runs as one fused primitive.

    Example:
        >>> model = Sequential([LSTM(6, input_shape=(5, 3)), Dense(2, activation="softmax")])
        >>> model.predict(np.zeros((4, 5, 3), "float32"), verbose=0).shape
        (4, 2)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, time_major=False, unroll=False, **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                        unit_forget_bias=unit_forget_bias, bias_initializer=bias_initializer,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, name="lstm_cell", **self._cell_args(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, time_major=time_major,
                         activity_regularizer=activity_regularizer, **kwargs)

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)
    implementation = property(lambda self: self.cell.implementation)


class GRU(_BuiltinRNN):
    """Gated Recurrent Unit (Cho et al., 2014), numerically as tf.keras.

    Args:
        units: size of the output and state.
        reset_after: True (default; bias shape (2, 3 units), the cuDNN-compatible variant) or False (bias
            (3 units,)).
        activation (``tanh``), recurrent_activation (``sigmoid``), others: see GRUCell and RNN.

    Weights: ``gru/gru_cell/kernel:0`` (features, 3 units), ``recurrent_kernel`` (units, 3 units), ``bias``;
    gate columns z, r, h. With the default activations the sequence runs as one fused primitive.

    Example:
        >>> GRU(5, reset_after=False)(np.ones((2, 6, 4), "float32")).shape
        (2, 5)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, reset_after=True, **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, name="gru_cell", **self._cell_args(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, time_major=time_major,
                         activity_regularizer=activity_regularizer, **kwargs)

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    implementation = property(lambda self: self.cell.implementation)
    reset_after = property(lambda self: self.cell.reset_after)
