"""Node: one call of a layer on symbolic inputs, the edge of the functional graph.

``layer._inbound_nodes[i]`` is the i-th call of ``layer``; each output KerasTensor's ``_keras_history`` is
``(layer, node_index, tensor_index)``. ``serialize`` writes Keras's ``inbound_nodes`` entry:
``[["dense", 0, 0, {}]]``.

Example:
    >>> y = Dense(2)(Input((3,)))
    >>> y._keras_history.layer._inbound_nodes[0].layer.name
    'dense'
"""
import json

from . import nest
from .keras_tensor import KerasHistory, KerasTensor


class Node:
    """A layer called on ``call_args`` / ``call_kwargs`` (holding KerasTensors), producing ``outputs``.

    Args:
        layer: the layer that was called.
        call_args, call_kwargs: the call's positional and keyword arguments (KerasTensors inside).
        outputs: the KerasTensor(s) the call returned.

    Example:
        >>> out = kerasfront.layers.Dense(2, name="d")(kerasfront.Input(shape=(3,), name="x"))
        >>> node = out._keras_history.layer.inbound_nodes[0]
        >>> node.layer.name, node.inbound_layers.name, node.is_input
        ('d', 'x', False)
    """

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.is_input = not self.call_args and not self.call_kwargs
        # NOTE: keyword arguments in the order they were given (a rebuilt model's config lists them in call-signature
        # order), as tf.keras walks them: it decides the order of model.layers among equally deep layers
        self.keras_inputs = [t for t in nest.flatten(list(self.call_args) + list(self.call_kwargs.values()))
                             if isinstance(t, KerasTensor)]
        first = self.call_args[0] if self.call_args else None
        self.input_tensors = [t for t in nest.flatten(first) if isinstance(t, KerasTensor)]
        self.flat_outputs = nest.flatten(outputs)
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.flat_outputs):
            t._keras_history = KerasHistory(layer, node_index, i)
            if t.name is None:
                t.name = layer.name
        for t in self.keras_inputs:
            t._keras_history.layer._outbound_nodes.append(self)

    @property
    def parent_nodes(self):
        """The nodes that produced this node's inputs."""
        return [t._keras_history.layer._inbound_nodes[t._keras_history.node_index] for t in self.keras_inputs]

    @property
    def inbound_layers(self):
        layers = [t._keras_history.layer for t in self.input_tensors]
        return layers[0] if len(layers) == 1 else layers

    @property
    def output_tensors(self):
        return self.outputs

    def serialize(self, make_node_key, node_conversion_map):
        """Keras's ``inbound_nodes`` entry for this call: ``[[layer_name, node_index, tensor_index, kwargs],
        ...]`` (one entry per tensor of the first argument; other arguments go into ``kwargs``)."""
        arg_names = self.layer._call_info.arg_names[1:]
        kwargs = dict(zip(arg_names, self.call_args[1:]))
        kwargs.update(self.call_kwargs)

        def ref(t):
            layer, node_index, tensor_index = t._keras_history
            new_index = node_conversion_map.get(make_node_key(layer.name, node_index), 0)
            return layer, new_index, tensor_index

        def ser_kwarg(v):
            if isinstance(v, KerasTensor):
                layer, idx, t_idx = ref(v)
                return [layer.name, idx, t_idx]
            return v

        kwargs = nest.map_structure(ser_kwarg, kwargs)
        try:
            json.dumps(kwargs)
        except (TypeError, ValueError):
            kwargs = {}
        first = self.call_args[0] if self.call_args else []

        def ser_first(t):
            if isinstance(t, KerasTensor):
                layer, idx, t_idx = ref(t)
                return [layer.name, idx, t_idx, kwargs]
            return ["_CONSTANT_VALUE", -1, t, kwargs]

        if isinstance(first, KerasTensor) and getattr(self.layer, "_preserve_input_structure_in_config", False):
            return ser_first(first)             # as tf.keras writes TFOpLambda nodes: the reference alone
        if isinstance(first, (list, tuple)):
            return [ser_first(t) for t in nest.flatten(first)]
        if isinstance(first, dict):
            return {k: ser_first(v) for k, v in first.items()}
        return [ser_first(first)]
