"""Functional models: ``Model(inputs, outputs)`` over the graph of nodes recorded by symbolic layer calls.

The graph is walked once when the model is made: layers are ordered as Keras orders them (deepest first,
ties by discovery order from the outputs), and an execution plan (a flat list of layer calls reading and
writing numbered slots) is precomputed so a forward pass costs one Python loop over the layers.

Example:
    >>> inp = Input(shape=(3,))
    >>> out = Dense(2, activation="softmax")(Dense(4, activation="relu")(inp))
    >>> model = Model(inputs=inp, outputs=out)
    >>> [layer.name for layer in model.layers]
    ['input_1', 'dense', 'dense_1']
"""
import collections
import copy

import numpy as np

import autograd as ag
from autograd.tensor import Tensor

from . import nest, strings
from .input_layer import InputLayer
from .input_spec import InputSpec
from .base_layer import STRUCTURE_VERSION
from .keras_tensor import KerasTensor
from .training import Model


def make_node_key(layer_name, node_index):
    """The key naming one call (node) of a layer, as Keras writes it.

    Example:
        >>> make_node_key("dense", 0)
        'dense_ib-0'
    """
    return f"{layer_name}_ib-{node_index}"


def _node_of(t):
    layer, node_index, _ = t._keras_history
    return layer._inbound_nodes[node_index]


def map_graph_network(inputs, outputs):
    """Walk the graph from ``outputs`` back to ``inputs`` (lists of KerasTensors).

    Returns ``(network_nodes, nodes_by_depth, layers, layers_by_depth)`` as Keras computes them: a node's
    depth is its longest distance to an output; layers are listed deepest first, ties broken by the order
    a depth-first walk from the outputs meets them.

    Example:
        >>> x = kerasfront.Input((2,), name="x"); y = kerasfront.layers.Dense(3, name="d")(x)
        >>> nodes, nodes_by_depth, layers, layers_by_depth = map_graph_network([x], [y])
        >>> [layer.name for layer in layers], sorted(nodes_by_depth)
        (['x', 'd'], [0, 1])
    """
    finished, in_progress = set(), set()
    order = []                      # nodes, inputs before users
    layer_indices = {}
    for out in outputs:
        root = _node_of(out)
        if root in finished:
            continue
        layer_indices.setdefault(root.layer, len(layer_indices))
        in_progress.add(root)
        stack = [[root, 0]]
        while stack:
            frame = stack[-1]
            node, i = frame
            deps = [] if node.is_input else node.keras_inputs
            if i < len(deps):
                frame[1] = i + 1
                child = _node_of(deps[i])
                if child in finished:
                    continue
                if child in in_progress:
                    raise ValueError(f"The tensor {deps[i]!r} at layer '{node.layer.name}' is part of a cycle.")
                layer_indices.setdefault(child.layer, len(layer_indices))
                in_progress.add(child)
                stack.append([child, 0])
            else:
                stack.pop()
                in_progress.discard(node)
                finished.add(node)
                order.append(node)

    network_nodes = {make_node_key(n.layer.name, n.layer._inbound_nodes.index(n)) for n in order}
    nodes_depths, layers_depths = {}, {}
    for node in reversed(order):
        depth = nodes_depths.setdefault(node, 0)
        depth = max(depth, layers_depths.get(node.layer, 0))   # a shared layer sits at its deepest use
        layers_depths[node.layer] = depth
        nodes_depths[node] = depth
        for parent in node.parent_nodes:
            nodes_depths[parent] = max(depth + 1, nodes_depths.get(parent, 0))
    for inp in inputs:                      # inputs not connected to any output
        layer = inp._keras_history.layer
        if layer not in layers_depths:
            layers_depths[layer] = 0
            layer_indices[layer] = -1
            nodes_depths[layer._inbound_nodes[0]] = 0
            network_nodes.add(make_node_key(layer.name, 0))

    nodes_by_depth = collections.defaultdict(list)
    for node, depth in nodes_depths.items():
        nodes_by_depth[depth].append(node)
    layers_by_depth = collections.defaultdict(list)
    for layer, depth in layers_depths.items():
        layers_by_depth[depth].append(layer)
    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda la: layer_indices[la]))

    # every node must be computable from the inputs
    computable = {id(t) for t in inputs}
    seen_layers = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                continue
            for t in node.keras_inputs:
                if id(t) not in computable:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {t!r} at layer \"{node.layer.name}\". "
                        f"The following previous layers were accessed without issue: {seen_layers}. Pass every "
                        f"Input the outputs depend on in `inputs=`.")
            for t in node.flat_outputs:
                computable.add(id(t))
            seen_layers.append(node.layer.name)

    names = collections.Counter(layer.name for layer in layers)
    for name, count in names.items():
        if count > 1:
            raise ValueError(f'The name "{name}" is used {count} times in the model. All layer names should be unique.')
    return network_nodes, nodes_by_depth, layers, layers_by_depth


def clone_graph_from(inputs, outputs):
    """``(inputs, outputs)`` rewired so that a model can start at intermediate tensors, as tf.keras allows:
    each of ``inputs`` that a layer (not ``Input``) produced is replaced by a new ``Input`` of its shape and
    dtype, and every layer call between ``inputs`` and ``outputs`` is recorded again on copies of its tensors
    (the layers are shared, not copied; the original graph is left as it was).

    Example:
        >>> x = kerasfront.Input((3,)); h = kerasfront.layers.Dense(4)(x); y = kerasfront.layers.Dense(1)(h)
        >>> new_inputs, new_outputs = clone_graph_from(h, y)
        >>> type(new_inputs._keras_history.layer).__name__, tuple(new_outputs.shape)
        ('InputLayer', (None, 1))
    """
    from .input_layer import Input
    from .node import Node
    end_ids = {id(t) for t in nest.flatten(inputs)}
    found, visited, nodes = set(), set(), []
    queue = collections.deque(_node_of(t) for t in nest.flatten(outputs))
    while queue:
        node = queue.popleft()
        if id(node) in visited:
            continue
        visited.add(id(node))
        nodes.append(node)
        for t in node.keras_inputs:
            if id(t) in end_ids:
                found.add(id(t))
                continue
            parent = _node_of(t)
            if parent.is_input:
                raise ValueError(f"Graph disconnected: the outputs depend on Input \"{parent.layer.name}\" ({t!r}), "
                                 f"which is not among the model's `inputs=`. Pass it in `inputs=` too.")
            queue.append(parent)
    missing = [t for t in nest.flatten(inputs) if id(t) not in found]
    if missing:
        raise ValueError(f"Model(inputs=...): the input tensor(s) {missing} are not connected to the outputs (no "
                         f"output is computed from them)")
    copies = {}

    def copy(t):
        if not isinstance(t, KerasTensor):
            return t
        if id(t) not in copies:
            c = KerasTensor(t.shape, t.dtype, name=t.name)
            c._keras_history = t._keras_history
            copies[id(t)] = c
        return copies[id(t)]

    def new_input(t):
        if _node_of(t).is_input:
            copies[id(t)] = t
            return t
        copies[id(t)] = Input(tensor=KerasTensor(t.shape, t.dtype))
        return copies[id(t)]

    new_inputs = nest.map_structure(new_input, inputs)
    new_outputs = nest.map_structure(copy, outputs)
    # NOTE: parents first (the reverse of the walk from the outputs), so each copied tensor's history is final
    # before a later call reads it
    for node in reversed(nodes):
        Node(node.layer, call_args=nest.map_structure(copy, node.call_args),
             call_kwargs=nest.map_structure(copy, node.call_kwargs), outputs=nest.map_structure(copy, node.outputs))
    return new_inputs, new_outputs


def _should_skip_first_node(layer):
    """A functional model's node 0 links its own inputs to its outputs and is not part of outer configs."""
    if isinstance(layer, Functional):
        return bool(layer._layers) and isinstance(layer._layers[0], InputLayer) if layer._is_graph_network \
            else True
    return False


def _starts_inside_a_graph(inputs, outputs):
    """True when some of ``inputs`` are KerasTensors that a layer, not ``Input``, produced."""
    flat = nest.flatten(inputs) + nest.flatten(outputs)
    if not all(isinstance(t, KerasTensor) and t._keras_history is not None for t in flat):
        return False        # _init_graph_network names what is wrong
    return not all(_node_of(t).is_input for t in nest.flatten(inputs))


#: functions ``(plan, output_slots) -> plan`` that rewrite a model's execution plan for inference (no gradient
#: recorded, not training); kerasfront.layers registers the batch-norm folding (layers/inference_folding.py)
_INFERENCE_REWRITERS = []


def register_inference_rewriter(fn):
    """Add a rewrite of execution plans used when no gradient is recorded and the model is not training.

    Example:
        >>> register_inference_rewriter(lambda plan, output_slots: plan)    # a rewrite that changes nothing
    """
    if fn not in _INFERENCE_REWRITERS:
        _INFERENCE_REWRITERS.append(fn)
    return fn


def _inference_mode():
    from .. import backend
    from .base_layer import current_training
    return not ag.is_grad_enabled() and current_training() is not True and backend.learning_phase() != 1


class Functional(Model):
    """A model defined by a graph of layers: ``Model(inputs=..., outputs=...)``.

    Args:
        inputs: a KerasTensor from ``Input``, or a list or dict of them.
        outputs: KerasTensors computed from ``inputs`` (one, a list or a dict).
        name: the model's name (default ``model``, ``model_1``, ...).

    Example:
        >>> inp = kerasfront.Input(shape=(4,))
        >>> model = kerasfront.Model(inputs=inp, outputs=kerasfront.layers.Dense(2)(inp))
        >>> type(model).__name__, model.output_shape
        ('Functional', (None, 2))
    """

    _pushes_name_scope = False

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._is_graph_network = False
        self._layers = []
        self._autocast = False
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs=..., outputs=...): both inputs and outputs are needed for a functional "
                                 "model")
            if _starts_inside_a_graph(inputs, outputs):
                # as tf.keras: a model may start at the output of a layer (a new Input takes its place)
                inputs, outputs = clone_graph_from(inputs, outputs)
            self._init_graph_network(inputs, outputs)

    def _default_name(self):
        from .base_layer import unique_object_name
        return unique_object_name("model", zero_based=True)

    # -- graph -----------------------------------------------------------------------------------------------
    def _init_graph_network(self, inputs, outputs):
        if isinstance(inputs, list) and len(nest.flatten(inputs)) == 1:
            inputs = inputs[0]
        if isinstance(outputs, list) and len(nest.flatten(outputs)) == 1:
            outputs = outputs[0]
        for what, struct in (("inputs", inputs), ("outputs", outputs)):
            for t in nest.flatten(struct):
                if not isinstance(t, KerasTensor):
                    raise TypeError(f"Model({what}=...): expected KerasTensors (from keras.Input(...) and layer calls), "
                                    f"received {type(t).__name__}: {t!r:.80}")
        flat_inputs = nest.flatten(inputs)
        for t in flat_inputs:
            layer = t._keras_history.layer
            if not isinstance(layer, InputLayer):
                raise ValueError(f"Model inputs must come from `keras.Input` (thus holding past layer metadata). "
                                 f"Received an input that is the output of layer \"{layer.name}\" "
                                 f"({type(layer).__name__}).")
        if len({id(t) for t in flat_inputs}) != len(flat_inputs):
            raise ValueError("Model(inputs=...): the same Input is passed more than once")
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = flat_inputs
        self.outputs = nest.flatten(outputs)
        self._is_graph_network = True
        self.built = True
        self._build_input_shape = nest.map_structure(lambda t: tuple(t.shape), inputs)
        self._input_layers = [t._keras_history.layer for t in self.inputs]
        self._input_coordinates = [tuple(t._keras_history) for t in self.inputs]
        self._output_layers = [t._keras_history.layer for t in self.outputs]
        self._output_coordinates = [tuple(t._keras_history) for t in self.outputs]
        nodes, nodes_by_depth, layers, _ = map_graph_network(self.inputs, self.outputs)
        self._network_nodes = nodes
        self._nodes_by_depth = nodes_by_depth
        self._layers = layers
        self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self.input_spec = [InputSpec(shape=(None,) + tuple(t.shape[1:]), allow_last_axis_squeeze=True,
                                     name=t._keras_history.layer.name) for t in self.inputs]
        self._input_dtypes = [strings.numpy_dtype(t.dtype) for t in self.inputs]
        self._compile_plan()
        from .node import Node
        # node 0 of a functional model links its own inputs to its outputs (as in Keras)
        Node(self, call_args=(self._nested_inputs,), call_kwargs={}, outputs=nest.map_structure(
            lambda t: KerasTensor(t.shape, t.dtype), self._nested_outputs))

    def _graph_network_add_metric(self, value, aggregation, name):
        """``model.add_metric(symbolic_tensor, name=...)``: an ``AddMetric`` layer on ``value`` joins the graph
        (run with every forward pass, saved with the model) without becoming an output."""
        from .base_layer import AddMetric
        layer = AddMetric(aggregation, name, dtype=value.dtype)
        self._insert_ancillary([layer(value)])

    def _graph_network_add_loss(self, value):
        """``model.add_loss(symbolic_tensor)``: an ``AddLoss`` layer on ``value`` joins the graph, so the value is
        added to the loss on every forward pass (and saved with the model)."""
        from .base_layer import AddLoss
        layer = AddLoss(unconditional=False, dtype=value.dtype)
        self._insert_ancillary([layer(value)])

    def _insert_ancillary(self, tensors):
        """Make the layers computing ``tensors`` (from this model's inputs) part of the graph, after its layers."""
        extra = list(getattr(self, "_ancillary_outputs", ())) + list(tensors)
        nodes, nodes_by_depth, layers, _ = map_graph_network(self.inputs, self.outputs + extra)
        known = {id(la) for la in self._layers}
        self._layers = self._layers + [la for la in layers if id(la) not in known]
        self._network_nodes = nodes
        self._nodes_by_depth = nodes_by_depth
        self._ancillary_outputs = extra
        self._compile_plan()

    def _compile_plan(self):
        """Number every tensor and list the layer calls in execution order (deepest nodes first)."""
        slots = {}
        for t in self.inputs:
            slots.setdefault(id(t), len(slots))
        plan = []
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                if node.is_input:
                    continue
                for t in node.flat_outputs:
                    slots.setdefault(id(t), len(slots))
                out_slots = [slots[id(t)] for t in node.flat_outputs]
                single = None
                args = node.call_args
                if (len(args) == 1 and isinstance(args[0], KerasTensor)
                        and not any(isinstance(v, KerasTensor) for v in nest.flatten(node.call_kwargs))):
                    single = slots[id(args[0])]

                def slot_of(t):
                    return ("__slot__", slots[id(t)]) if isinstance(t, KerasTensor) else t
                packed_args = None if single is not None else nest.map_structure(slot_of, list(args))
                packed_kwargs = nest.map_structure(slot_of, node.call_kwargs) if node.call_kwargs else None
                out_structure = None if isinstance(node.outputs, KerasTensor) else node.outputs
                plan.append((node.layer, single, packed_args, packed_kwargs, out_slots, out_structure))
        self._plan = plan
        self._n_slots = len(slots)
        self._output_slots = [slots[id(t)] for t in self.outputs]
        self._input_slots = [slots[id(t)] for t in self.inputs]

    @property
    def input(self):
        """The model's input KerasTensor(s), as given to ``Model(inputs=...)``."""
        if not self._is_graph_network:
            return super().input
        return self._nested_inputs

    @property
    def output(self):
        """The model's output KerasTensor(s), as given to ``Model(outputs=...)``."""
        if not self._is_graph_network:
            return super().output
        return self._nested_outputs

    @property
    def input_shape(self):
        if not self._is_graph_network:
            return super().input_shape
        return nest.map_structure(lambda t: tuple(t.shape), self._nested_inputs)

    @property
    def output_shape(self):
        if not self._is_graph_network:
            return super().output_shape
        return nest.map_structure(lambda t: tuple(t.shape), self._nested_outputs)

    @property
    def layers(self):
        """The model's layers in Keras's order (InputLayers included)."""
        return list(self._layers)

    def _sublayers(self):
        return self._layers

    def _weight_owners(self):
        # NOTE: as tf.keras: the layers, then the metrics set as attributes of the model after it was made
        return list(self._layers) + self._dedup(self._attribute_metrics())

    # -- calling -------------------------------------------------------------------------------------------
    def _conform_input(self, x, i):
        """One model input as a Tensor of the Input's dtype (and rank, for a missing/extra last axis of 1)."""
        ref = self.inputs[i]
        dtype = self._input_dtypes[i]
        if dtype == object:
            # a string input: text stays a numpy object array of str (see engine/strings.py)
            if isinstance(x, Tensor) or (isinstance(x, np.ndarray) and x.dtype.kind not in "USO"):
                raise TypeError(f'Model "{self.name}" input "{self.input_names[i]}" has dtype string: expected '
                                f"strings, received numbers of dtype {x.dtype}")
            x = strings.to_string_array(x, f'Model "{self.name}" input "{self.input_names[i]}"')
            rank = len(ref.shape)
            if x.ndim == rank - 1 and ref.shape[-1] == 1:
                x = x[..., None]
            elif x.ndim == rank + 1 and x.shape[-1] == 1:
                x = x[..., 0]
            return x
        if isinstance(x, Tensor):
            if x.data.dtype != dtype:
                x = ag.astype(x, dtype)
        else:
            arr = np.asarray(x)
            if arr.dtype.kind not in "fiub":
                raise TypeError(f'Model "{self.name}" input "{self.input_names[i]}": expected numeric data, received '
                                f"an array of dtype {arr.dtype}")
            if arr.dtype != dtype:
                arr = arr.astype(dtype)
            x = ag.Tensor(arr)
        rank = len(ref.shape)
        if x.ndim == rank - 1 and ref.shape[-1] == 1:
            x = ag.expand_dims(x, -1)
        elif x.ndim == rank + 1 and x.shape[-1] == 1:
            x = ag.squeeze(x, -1)
        return x

    def _flatten_call_inputs(self, inputs):
        """The call's inputs as a list aligned with ``self.inputs`` (dicts matched by input name)."""
        if isinstance(inputs, dict) and not isinstance(self._nested_inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f'Model "{self.name}": missing data for input(s) {missing}; the dict has keys '
                                 f"{sorted(inputs)} and the model's inputs are named {self.input_names}")
            flat = [inputs[n] for n in self.input_names]
        elif isinstance(inputs, dict):
            missing = [k for k in self._nested_inputs if k not in inputs]
            if missing:
                raise ValueError(f'Model "{self.name}": missing data for input(s) {missing}; expected keys '
                                 f"{sorted(self._nested_inputs)}, received {sorted(inputs)}")
            flat = [inputs[k] for k in sorted(self._nested_inputs)]
        elif isinstance(inputs, (list, tuple)):
            flat = nest.flatten(inputs) if len(self.inputs) > 1 or len(inputs) == 1 else [inputs]
        else:
            flat = [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it received {len(flat)} '
                             f"input tensors. Inputs: {self.input_names}")
        return flat

    def __call__(self, *args, **kwargs):
        if not self._is_graph_network:
            return super().__call__(*args, **kwargs)
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise TypeError(f"Model {self.name}: __call__() is missing the 'inputs' argument")
        from .base_layer import _contains_keras_tensor
        if _contains_keras_tensor(inputs):
            return self._symbolic_call(inputs, args, kwargs)
        flat = self._flatten_call_inputs(inputs)
        flat = [self._conform_input(x, i) for i, x in enumerate(flat)]
        from .input_spec import assert_input_compatibility
        assert_input_compatibility(self.input_spec, [tuple(x.shape) for x in flat], self.name)
        return self._eager_call(flat, args, kwargs, False)

    def call(self, inputs, training=None, mask=None):
        """Run the graph on ``inputs`` (a list aligned with ``self.inputs`` or the model's input structure)."""
        if (type(inputs) is list and len(inputs) == len(self.inputs)
                and all(type(x) is Tensor or strings.is_string_array(x) for x in inputs)):
            flat = inputs
        else:
            flat = [self._conform_input(x, i) for i, x in enumerate(self._flatten_call_inputs(inputs))]
        return self._run_graph(flat)

    def _inference_plan(self):
        """The plan rewritten for inference (cached until the model's structure or weights change)."""
        key = (id(self._plan), STRUCTURE_VERSION[0])
        cached = getattr(self, "_inference_plan_cache", None)
        if cached is None or cached[0] != key:
            plan = self._plan
            for rewrite in _INFERENCE_REWRITERS:
                plan = rewrite(plan, self._output_slots)
            cached = self._inference_plan_cache = (key, plan)
        return cached[1]

    def _run_graph(self, flat_inputs):
        values = [None] * self._n_slots
        for s, x in zip(self._input_slots, flat_inputs):
            values[s] = x
        plan = self._inference_plan() if _INFERENCE_REWRITERS and _inference_mode() else self._plan
        for layer, single, packed_args, packed_kwargs, out_slots, out_structure in plan:
            if single is not None:
                x = values[single]
                kwargs = _fill(packed_kwargs, values) if packed_kwargs else {}
                out = layer._eager_call(x, (), kwargs, False)
            else:
                args = _fill(packed_args, values)
                kwargs = _fill(packed_kwargs, values) if packed_kwargs else {}
                out = layer._eager_call(args[0], tuple(args[1:]), kwargs, False)
            if out_structure is None:
                values[out_slots[0]] = out
            else:
                for s, o in zip(out_slots, nest.flatten(out)):
                    values[s] = o
        outs = [values[s] for s in self._output_slots]
        if isinstance(self._nested_outputs, KerasTensor):
            return outs[0]
        return nest.pack_sequence_as(self._nested_outputs, outs)

    def compute_output_shape(self, input_shape):
        return nest.map_structure(lambda t: tuple(t.shape), self._nested_outputs)

    def _static_output_shape(self, input_shape, dtype):
        """The output shape of a symbolic call on one input, found by walking the graph layer by layer, each with
        its own shape rule (engine hook): a placeholder batch of the whole model cannot stand for unknown image
        sizes, and running a large nested model (a pretrained base) on it would cost a forward pass."""
        if not self._is_graph_network or len(self.inputs) != 1 or not isinstance(self._nested_outputs, KerasTensor):
            return None
        values = [None] * self._n_slots
        values[self._input_slots[0]] = KerasTensor(input_shape, strings.dtype_name(dtype))
        for layer, single, packed_args, packed_kwargs, out_slots, out_structure in self._plan:
            if single is not None:
                inputs, args = values[single], ()
            else:
                filled = _fill(packed_args, values)
                inputs, args = filled[0], tuple(filled[1:])
            kwargs = _fill(packed_kwargs, values) if packed_kwargs else {}
            shapes, dtypes, _ = layer._infer_outputs(inputs, args, kwargs)
            for slot, shape, out_dtype in zip(out_slots, shapes, dtypes):
                values[slot] = KerasTensor(shape, out_dtype)
        out = values[self._output_slots[0]]
        return tuple(out.shape), out.dtype

    # -- config ----------------------------------------------------------------------------------------------
    def get_config(self):
        """Keras's functional config: ``name``, ``trainable``, ``layers`` (each with ``inbound_nodes``),
        ``input_layers``, ``output_layers``."""
        if not self._is_graph_network:
            return super().get_config()
        from ..serialization import serialize_keras_object
        config = {"name": self.name, "trainable": self.trainable}
        conversion = {}
        for layer in self._layers:
            kept = 1 if _should_skip_first_node(layer) else 0
            for i, node in enumerate(layer._inbound_nodes):
                key = make_node_key(layer.name, i)
                if key in self._network_nodes:
                    conversion[key] = kept
                    kept += 1
        layer_configs = []
        for layer in self._layers:
            inbound = []
            for i, node in enumerate(layer._inbound_nodes):
                key = make_node_key(layer.name, i)
                if key in self._network_nodes and not node.is_input:
                    inbound.append(node.serialize(make_node_key, conversion))
            entry = serialize_keras_object(layer)
            entry = {"class_name": entry["class_name"], "config": entry["config"], "name": layer.name,
                     "inbound_nodes": inbound}
            layer_configs.append(entry)
        config["layers"] = layer_configs

        def coords(tensors_layers, coordinates, nested):
            refs = []
            for layer, node_index, tensor_index in coordinates:
                key = make_node_key(layer.name, node_index)
                refs.append([layer.name, conversion.get(key, 0), tensor_index])
            packed = nest.pack_sequence_as(nested, refs) if nest.is_nested(nested) else [refs[0]]
            return packed

        config["input_layers"] = coords(self._input_layers, self._input_coordinates,
                                        _as_ref_structure(self._nested_inputs))
        config["output_layers"] = coords(self._output_layers, self._output_coordinates,
                                         _as_ref_structure(self._nested_outputs))
        return copy.deepcopy(config)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a functional model from ``get_config()``'s dict (or a config read from a Keras file)."""
        from ..layers import deserialize as deserialize_layer
        from ..serialization import custom_object_scope
        if not isinstance(config, dict) or "layers" not in config:
            raise ValueError(f"Functional.from_config: expected a dict with 'layers', 'input_layers' and "
                             f"'output_layers', received {str(config)[:200]}")
        with custom_object_scope(custom_objects or {}):
            inputs, outputs, created = reconstruct_from_config(config, deserialize_layer, custom_objects)
            model = cls(inputs=inputs, outputs=outputs, name=config.get("name"),
                        trainable=config.get("trainable", True))
            # layers that reach no output (AddMetric layers of model.add_metric) are ancillary: reconnect them
            in_model = {id(la) for la in model._layers}
            ancillary = [t for la in created.values() if id(la) not in in_model
                         for node in la._inbound_nodes for t in nest.flatten(node.outputs)]
            for t in ancillary:                # one at a time: model.layers keeps the file's order
                model._insert_ancillary([t])
        return model


def _as_ref_structure(nested):
    """The structure of a model's inputs/outputs with placeholders (lists stay lists)."""
    if isinstance(nested, KerasTensor):
        return nested
    return nested


def _fill(structure, values):
    if isinstance(structure, tuple) and len(structure) == 2 and structure[0] == "__slot__":
        return values[structure[1]]
    if isinstance(structure, dict):
        return {k: _fill(v, values) for k, v in structure.items()}
    if isinstance(structure, list):
        return [_fill(v, values) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_fill(v, values) for v in structure)
    return structure


def _is_ref(x):
    """``[name, node_index, tensor_index]`` or ``[name, node_index, tensor_index, kwargs]``."""
    return (isinstance(x, (list, tuple)) and len(x) in (3, 4) and isinstance(x[0], str)
            and isinstance(x[1], int) and isinstance(x[2], (int, np.integer)) and
            (len(x) == 3 or isinstance(x[3], dict)))


def _map_refs(fn, data):
    if _is_ref(data):
        return fn(data)
    if isinstance(data, dict):
        return {k: _map_refs(fn, v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_map_refs(fn, v) for v in data]
    return data


def _flat_refs(data):
    out = []
    _map_refs(lambda r: out.append(r), data)
    return out


def reconstruct_from_config(config, deserialize_layer, custom_objects=None, created_layers=None):
    """Create the layers of a functional config and call them as its ``inbound_nodes`` say.

    Returns ``(inputs, outputs, created_layers)``. Nodes whose inputs do not exist yet are retried after the
    others (a layer shared at several depths).

    Args:
        config: a functional model's config (``layers``, ``input_layers``, ``output_layers``).
        deserialize_layer: turns one layer entry into a Layer (e.g. ``kerasfront.layers.deserialize``).
        custom_objects: passed on to ``deserialize_layer``.
        created_layers: layers already created, by name (filled in and returned).

    Example:
        >>> x = kerasfront.Input((2,), name="x"); model = kerasfront.Model(x, kerasfront.layers.Dense(3, name="d")(x))
        >>> inputs, outputs, created = reconstruct_from_config(model.get_config(), kerasfront.layers.deserialize)
        >>> sorted(created), outputs[0].shape
        (['d', 'x'], (None, 3))
    """
    created = created_layers if created_layers is not None else collections.OrderedDict()
    node_index_map = {}
    node_count = {}
    unprocessed = collections.OrderedDict()

    def get_node_index(layer, config_index):
        if isinstance(layer, InputLayer):
            return 0
        return node_index_map.get((layer.name, config_index))

    def tensor_for(ref):
        layer = created.get(ref[0])
        if layer is None:
            raise ValueError(f"model config: a node refers to layer '{ref[0]}', which the config does not define")
        idx = get_node_index(layer, ref[1])
        if idx is None:
            raise IndexError
        return nest.flatten(layer._inbound_nodes[idx].outputs)[ref[2]]

    def process_node(layer, node_data):
        refs = _flat_refs(node_data)
        kwargs = {}
        tensors = []
        for ref in refs:
            if ref[0] == "_CONSTANT_VALUE":
                tensors.append(ref[2])
                kwargs = ref[3] if len(ref) == 4 else {}
                continue
            try:
                tensors.append(tensor_for(ref))
                if len(ref) == 4 and ref[3]:
                    kwargs = _map_refs(tensor_for, ref[3])
            except IndexError:
                return False
        if isinstance(node_data, dict):
            call_inputs = _map_refs(lambda r: tensor_for(r), node_data)
        elif node_data and isinstance(node_data[0], str):          # one reference, unwrapped (TFOpLambda)
            call_inputs = tensors[0]
        else:
            call_inputs = tensors[0] if len(tensors) == 1 and not getattr(
                layer, "_preserve_input_structure_in_config", False) else tensors
        outputs = layer(call_inputs, **kwargs)
        node_index_map[(layer.name, node_count[layer])] = nest.flatten(outputs)[0]._keras_history.node_index
        node_count[layer] += 1
        return True

    for layer_data in config["layers"]:
        name = layer_data.get("name") or layer_data.get("config", {}).get("name")
        if name in created:
            layer = created[name]
        else:
            layer = deserialize_layer(layer_data, custom_objects=custom_objects)
            created[name] = layer
        node_count[layer] = int(_should_skip_first_node(layer))
        unprocessed[layer] = list(layer_data.get("inbound_nodes", []))

    progress = True
    while unprocessed and progress:
        progress = False
        for layer_data in config["layers"]:
            name = layer_data.get("name") or layer_data.get("config", {}).get("name")
            layer = created[name]
            pending = unprocessed.get(layer)
            if pending is None:
                continue
            while pending:
                if process_node(layer, pending[0]):
                    pending.pop(0)
                    progress = True
                else:
                    break
            if not pending:
                del unprocessed[layer]
    if unprocessed:
        raise ValueError(f"model config: cannot connect layers {[la.name for la in unprocessed]}: their inputs are "
                         f"never produced (the config is malformed)")

    def endpoints(key):
        data = config[key]
        tensors = []
        for ref in _flat_refs(data):
            layer = created.get(ref[0])
            if layer is None:
                raise ValueError(f"model config: {key} names layer '{ref[0]}', which the config does not define")
            idx = get_node_index(layer, ref[1])
            tensors.append(nest.flatten(layer._inbound_nodes[idx].outputs)[ref[2]])
        if isinstance(data, dict):
            return _map_refs(lambda r: tensors.pop(0), data)
        return tensors

    return endpoints("input_layers"), endpoints("output_layers"), created
