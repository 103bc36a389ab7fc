"""Layer wrappers: TimeDistributed (apply a layer to every time step) and Bidirectional (run a recurrent layer
forwards and backwards and merge the two), with Keras 2's weight names and configs.

Example:
    >>> layer = Bidirectional(LSTM(3, return_sequences=True))
    >>> layer(np.ones((2, 5, 4), "float32")).shape
    (2, 5, 6)
    >>> [w.name for w in layer.weights][:1]
    ['bidirectional/forward_lstm/lstm_cell/kernel:0']
"""
import copy

import numpy as np

import autograd as ag

from ..engine.base_layer import Layer, name_scope
from .recurrent_cells import adopt_dtype

__all__ = ["Wrapper", "TimeDistributed", "Bidirectional"]


class Wrapper(Layer):
    """Base class of layers that wrap another layer (``self.layer``).

    Args:
        layer: the wrapped Layer instance.

    Example:
        >>> wrapped = TimeDistributed(kerasfront.layers.Dense(2, name="inner"))
        >>> isinstance(wrapped, Wrapper), wrapped.layer.name
        (True, 'inner')
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `{type(self).__name__}` layer with a Layer instance "
                             f"(kerasfront.layers.Layer). Received: {layer!r}")
        explicit_dtype = kwargs.get("dtype")
        super().__init__(**kwargs)
        self.layer = layer
        if explicit_dtype is not None:
            adopt_dtype(layer, self.dtype_policy)

    def get_config(self):
        from . import serialize
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        config = copy.deepcopy(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Apply ``layer`` to every time step: an input (batch, time, ...) is folded into (batch * time, ...), run
    through the layer once, and unfolded.

    The wrapped layer's weights belong to this layer: ``time_distributed/kernel:0`` for a Dense, as tf.keras.

    Example:
        >>> TimeDistributed(Dense(8))(np.ones((32, 10, 16), "float32")).shape
        (32, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _check(self, shape):
        if len(shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer '{self.name}' should be passed an `input_shape` with at least "
                             f"3 dimensions (batch, time, ...), received: {tuple(shape)}")

    def build(self, input_shape):
        if isinstance(input_shape, list):
            raise ValueError(f"TimeDistributed layer '{self.name}' takes one input, received shapes "
                             f"{[tuple(s) for s in input_shape]}")
        shape = tuple(input_shape)
        self._check(shape)
        if not self.layer.built:
            # NOTE: built directly, with no scope of its own, so its weights are "time_distributed/kernel:0"
            self.layer._maybe_build((shape[0],) + shape[2:])
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._check(shape)
        n, t = shape[0], shape[1]
        kwargs = {}
        info = self.layer._call_info
        if info.has_training and training is not None:
            kwargs["training"] = training
        if info.has_mask and mask is not None:
            kwargs["mask"] = ag.reshape(mask, (n * t,) + tuple(mask.shape[2:]))
        folded = ag.reshape(inputs, (n * t,) + shape[2:])
        out = self.layer(folded, **kwargs)
        if isinstance(out, (list, tuple)):
            return type(out)(ag.reshape(o, (n, t) + tuple(o.shape[1:])) for o in out)
        return ag.reshape(out, (n, t) + tuple(out.shape[1:]))

    def compute_mask(self, inputs, mask=None):
        n, t = inputs.shape[0], inputs.shape[1]
        inner_mask = None if mask is None else ag.reshape(mask, (n * t,) + tuple(mask.shape[2:]))
        folded = ag.reshape(inputs, (n * t,) + tuple(inputs.shape[2:]))
        out_mask = self.layer.compute_mask(folded, inner_mask)
        if out_mask is None:
            if mask is None:
                return None
            out = mask
            while out.ndim > 2:
                out = ag.any(out, axis=-1)
            return out
        return ag.reshape(out_mask, (n, t) + tuple(out_mask.shape[1:]))


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Wrapper):
    """Run a recurrent layer over the sequence forwards and a copy of it backwards, and merge their outputs.

    Args:
        layer: an RNN layer (LSTM, GRU, SimpleRNN, RNN) or any layer with ``go_backwards``,
            ``return_sequences`` and ``return_state``; the forward copy is rebuilt from its config.
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or None (a list of the two outputs).
        backward_layer: the layer for the backward direction (default: a copy of ``layer`` with
            ``go_backwards`` flipped); it must read the sequence in the other direction.
        weights: initial weights (forward layer's, then backward layer's).

    The backward outputs are reversed in time before merging, so position t of the merged sequence sees the
    whole sequence. Weights are named ``bidirectional/forward_lstm/lstm_cell/kernel:0`` and
    ``.../backward_lstm/...``, as tf.keras. With ``return_state`` the output is followed by the forward states,
    then the backward states.

    Example:
        >>> Bidirectional(GRU(4), merge_mode="sum")(np.ones((2, 7, 3), "float32")).shape
        (2, 4)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a Layer instance "
                             f"(kerasfront.layers.Layer). Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` needs to be a Layer instance (kerasfront.layers.Layer). Received: "
                             f"{backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: merge_mode={merge_mode!r}. Merge mode should be one of "
                             f"{{'sum', 'mul', 'ave', 'concat', None}}")
        for arg in ("go_backwards", "return_sequences", "return_state"):
            if not hasattr(layer, arg):
                raise ValueError(f"Bidirectional: the wrapped layer must be a recurrent layer with a `{arg}` "
                                 f"attribute (LSTM, GRU, SimpleRNN, RNN); received {type(layer).__name__}")
        if weights is not None:
            kwargs["weights"] = weights
        super().__init__(layer, **kwargs)
        self.forward_layer = self._recreate(layer)
        if backward_layer is None:
            self.backward_layer = self._recreate(layer, go_backwards=True)
            self._backward_layer_config = None
        else:
            self.backward_layer = backward_layer
            from . import serialize
            self._backward_layer_config = serialize(backward_layer)
            if kwargs.get("dtype") is not None:
                adopt_dtype(backward_layer, self.dtype_policy)
        self.forward_layer._name = "forward_" + self.forward_layer.name
        self.backward_layer._name = "backward_" + self.backward_layer.name
        self._verify()
        for sub in (self.forward_layer, self.backward_layer):
            # NOTE: as tf.keras: masked steps output zeros when whole sequences are returned, so the reversed
            # backward outputs line up with the forward ones
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = None

    def _recreate(self, layer, go_backwards=False):
        from . import deserialize, serialize
        entry = serialize(layer)
        config = dict(entry["config"])
        if go_backwards:
            config["go_backwards"] = not config["go_backwards"]
        if self.dtype != layer.dtype:
            config["dtype"] = self.dtype
        custom = {type(layer).__name__: type(layer)}
        cell = getattr(layer, "cell", None)
        if cell is not None:
            custom[type(cell).__name__] = type(cell)
            for c in getattr(cell, "cells", []):
                custom[type(c).__name__] = type(c)
        return deserialize({"class_name": entry["class_name"], "config": config}, custom_objects=custom)

    def _verify(self):
        f, b = self.forward_layer, self.backward_layer
        if f.go_backwards == b.go_backwards:
            raise ValueError(f"Bidirectional layer '{self.name}': the forward layer and the backward layer should "
                             f"have different `go_backwards` values. forward_layer.go_backwards = {f.go_backwards}, "
                             f"backward_layer.go_backwards = {b.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            fv, bv = getattr(f, attr, None), getattr(b, attr, None)
            if fv != bv:
                raise ValueError(f"Bidirectional layer '{self.name}': the forward layer and the backward layer are "
                                 f'expected to have the same value for attribute "{attr}", got "{fv}" for the '
                                 f'forward layer and "{bv}" for the backward layer')

    def _sublayers(self):
        # the wrapped layer is only a template (rebuilt as forward_layer): its weights are not this layer's
        return [self.forward_layer, self.backward_layer]

    def build(self, input_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                with name_scope(sub.name):
                    try:
                        sub._maybe_build(input_shape)
                    except ValueError as e:
                        raise ValueError(f"Bidirectional layer '{self.name}': {e}") from e
        self.built = True

    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise TypeError(f"Layer {self.name}: __call__() is missing the 'inputs' argument")
        initial_state = kwargs.pop("initial_state", None)
        if initial_state is None:
            return super().__call__(inputs, *args, **kwargs)
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) % 2:
            raise ValueError(f"Bidirectional layer '{self.name}': `initial_state` should be a list holding the "
                             f"states of the forward layer followed by those of the backward layer (an even "
                             f"count). Received: {initial_state!r}")
        from ..engine.input_layer import KerasTensor
        if any(isinstance(s, KerasTensor) for s in initial_state):
            return super().__call__([inputs] + list(initial_state), *args, **kwargs)
        return super().__call__(inputs, *args, initial_state=list(initial_state), **kwargs)

    def call(self, inputs, training=None, mask=None, initial_state=None):
        if isinstance(inputs, (list, tuple)):
            if len(inputs) > 1:
                initial_state = list(inputs[1:])
            inputs = inputs[0]
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        kwargs = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None:
            kwargs["mask"] = mask
        f_state = b_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            f_state, b_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(inputs, initial_state=f_state, **kwargs) if f_state is not None else \
            self.forward_layer(inputs, **kwargs)
        y_rev = self.backward_layer(inputs, initial_state=b_state, **kwargs) if b_state is not None else \
            self.backward_layer(inputs, **kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            time_axis = 0 if getattr(self.forward_layer, "time_major", False) else 1
            y_rev = ag.flip(y_rev, axis=time_axis)
        if self.merge_mode == "concat":
            output = ag.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) * np.asarray(0.5, dtype=y.dtype)
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if self.merge_mode is None else mask
        else:
            output_mask = [None, None] if self.merge_mode is None else None
        if self.return_state:
            n_states = len(getattr(self.forward_layer, "states", [])) or 0
            state_mask = [None] * n_states
            if isinstance(output_mask, list):
                return output_mask + state_mask * 2
            return [output_mask] + state_mask * 2
        return output_mask

    def reset_states(self, states=None):
        """Reset the states of both directions (``states``: forward states, then backward states)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name} must be stateful to reset its states.")
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        if not isinstance(states, (list, tuple)):
            raise ValueError(f"Bidirectional layer '{self.name}': `states` must be a list or tuple, received "
                             f"{type(states).__name__}")
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        if self._backward_layer_config is not None:
            config["backward_layer"] = self._backward_layer_config
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        config = copy.deepcopy(config)
        config.pop("num_constants", None)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize(backward, custom_objects=custom_objects)
        return cls(layer, **config)
