"""Sequential: a functional model built one layer at a time.

With ``input_shape=`` on the first layer (or an ``Input`` added first) the graph grows with each ``add``;
otherwise it is built on the first data the model sees (``model(x)``, ``fit``, ``build``).

Example:
    >>> model = Sequential([Dense(8, activation="tanh", input_shape=(5,)), Dense(1)])
    >>> model.layers[0].name, model.output_shape
    ('dense', (None, 1))
"""
import numpy as np

from . import nest, strings
from .base_layer import Layer, _contains_keras_tensor, unique_object_name
from .functional import Functional
from .input_layer import Input, InputLayer
from .keras_tensor import KerasTensor


class Sequential(Functional):
    """A linear stack of layers.

    Args:
        layers: a list of layers to add in order.
        name: the model's name (default ``sequential``, ``sequential_1``, ...).

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> model.output_shape, model.count_params()
        ((None, 3), 9)
    """

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self._seq_layers = []
        self._chain = []          # output KerasTensor after each entry of _seq_layers (graph mode)
        if layers is not None:
            if isinstance(layers, Layer):
                layers = [layers]
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"Sequential(layers=...): expected a list of layers, received {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    def _default_name(self):
        return unique_object_name("sequential", zero_based=True)

    # -- structure -----------------------------------------------------------------------------------------
    @property
    def layers(self):
        """The added layers (the automatic InputLayer is left out, as in Keras)."""
        return [la for la in self._seq_layers if not isinstance(la, InputLayer)]

    def _sublayers(self):
        return self._seq_layers

    def _weight_owners(self):
        # NOTE: tf.keras's Sequential does not track its attributes: a metric set on it is not among its weights
        return list(self._seq_layers)

    def add(self, layer):
        """Append a layer (or an ``Input``) to the stack.

        Example:
            >>> model.add(Dense(4, activation="relu"))
        """
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history.layer, InputLayer):
            layer = layer._keras_history.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Received: layer={layer!r:.100} of "
                            f"type {type(layer).__name__}.")
        for existing in self._seq_layers:
            if existing.name == layer.name:
                raise ValueError(f'All layers added to a Sequential model should have unique names. Name "{layer.name}" '
                                 f"is already the name of a layer in this model. Update the `name` argument to pass "
                                 f"a unique name.")
        if isinstance(layer, InputLayer) and self._seq_layers:
            raise ValueError(f"Sequential model {self.name}: an InputLayer can only be the first layer")
        if not self._seq_layers:
            if isinstance(layer, InputLayer):
                self._seq_layers.append(layer)
                self._chain.append(layer._inbound_nodes[0].outputs)
                self._reset_graph()
                return
            batch_shape = getattr(layer, "_batch_input_shape", None)
            if batch_shape is None and isinstance(layer, Functional) and layer._is_graph_network \
                    and len(layer.inputs) == 1:
                batch_shape = tuple(layer.inputs[0].shape)
            if batch_shape is not None:
                x = Input(batch_shape=batch_shape, dtype=_input_dtype(layer), name=layer.name + "_input")
                self._seq_layers.append(x._keras_history.layer)
                self._chain.append(x)
        if self._chain:
            y = layer(self._chain[-1])
            if isinstance(y, (list, tuple, dict)):
                raise ValueError(f"All layers in a Sequential model should have a single output tensor. For "
                                 f"multi-output layers, use the functional API. Layer {layer.name} returned "
                                 f"{len(nest.flatten(y))} outputs.")
            self._seq_layers.append(layer)
            self._chain.append(y)
            self._reset_graph()
        else:
            self._seq_layers.append(layer)
            self.built = False

    def pop(self):
        """Remove the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        self._seq_layers.pop()
        if self._chain:
            self._chain.pop()
        if not self.layers:
            self._is_graph_network = False
            self._layers = []
            self.outputs = None
            self.inputs = None
            self.built = False
            if self._seq_layers:   # only the InputLayer is left
                self._reset_graph()
        elif self._chain:
            self._reset_graph()

    def _reset_graph(self):
        from .base_layer import STRUCTURE_VERSION
        STRUCTURE_VERSION[0] += 1
        internal_only = all(getattr(n, "_is_internal_link", False) for n in self._inbound_nodes)
        if internal_only:
            self._inbound_nodes = []
        self._init_graph_network(self._chain[0], self._chain[-1])
        self._inbound_nodes[-1]._is_internal_link = True

    # -- building ------------------------------------------------------------------------------------------
    def _build_graph_for_shape(self, input_shape, dtype=None):
        if not self._seq_layers:
            raise ValueError(f"Sequential model {self.name} has no layers; add layers before using it")
        input_shape = tuple(input_shape)
        first = self._seq_layers[0]
        x = Input(batch_shape=(None,) + input_shape[1:], dtype=dtype or _input_dtype(first),
                  name=first.name + "_input")
        chain = [x]
        y = x
        for layer in self._seq_layers:
            y = layer(y)
            if isinstance(y, (list, tuple, dict)):
                raise ValueError(f"All layers in a Sequential model should have a single output tensor; layer "
                                 f"{layer.name} returned {len(nest.flatten(y))} outputs.")
            chain.append(y)
        self._seq_layers.insert(0, x._keras_history.layer)
        self._chain = chain
        self._reset_graph()

    def build(self, input_shape=None):
        """Create the weights for inputs of ``input_shape`` (with the batch axis, e.g. ``(None, 5)``)."""
        if self._is_graph_network:
            return
        if input_shape is None:
            raise ValueError(f"Sequential model {self.name}: you must provide an `input_shape` argument to build().")
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        self._build_graph_for_shape(tuple(input_shape))

    def __call__(self, *args, **kwargs):
        if not self._is_graph_network:
            inputs = args[0] if args else kwargs.get("inputs")
            if inputs is None:
                raise TypeError(f"Model {self.name}: __call__() is missing the 'inputs' argument")
            if _contains_keras_tensor(inputs):
                if not isinstance(inputs, KerasTensor):
                    raise ValueError(f"Sequential model {self.name} takes one input tensor, received "
                                     f"{len(nest.flatten(inputs))}")
                self._build_graph_for_shape(tuple(inputs.shape), inputs.dtype)
            else:
                # NOTE: numpy arrays and scalars have a .data buffer too; only Tensors hold their array there
                arr = inputs.data if hasattr(inputs, "data") and not isinstance(inputs, (np.ndarray, np.generic)) \
                    else np.asarray(inputs)
                if isinstance(arr, (list, tuple)):
                    raise ValueError(f"Sequential model {self.name} takes one input tensor, received a list")
                if arr.dtype.kind in "US" or (arr.dtype == object and arr.size and isinstance(arr.flat[0], str)):
                    dtype = strings.STRING
                else:
                    dtype = "float32" if arr.dtype.kind == "f" else arr.dtype.name
                    dtype = dtype if arr.dtype.kind in "fiub" else None
                self._build_graph_for_shape(tuple(arr.shape), dtype)
        return super().__call__(*args, **kwargs)

    # -- config ----------------------------------------------------------------------------------------------
    def get_config(self):
        """Keras's Sequential config: ``{"name": ..., "layers": [{"class_name", "config"}, ...]}``."""
        from ..serialization import serialize_keras_object
        layers = []
        for layer in self._seq_layers:
            entry = serialize_keras_object(layer)
            layers.append({"class_name": entry["class_name"], "config": entry["config"]})
        import copy
        return copy.deepcopy({"name": self.name, "layers": layers})

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize as deserialize_layer
        from ..serialization import custom_object_scope
        if isinstance(config, dict) and "layers" in config:
            name = config.get("name")
            layer_configs = config["layers"]
            build_input_shape = config.get("build_input_shape")
        elif isinstance(config, list):
            name, layer_configs, build_input_shape = None, config, None
        else:
            raise ValueError(f"Sequential.from_config: expected a dict with 'layers', received {str(config)[:200]}")
        with custom_object_scope(custom_objects or {}):
            model = cls(name=name)
            for layer_config in layer_configs:
                model.add(deserialize_layer(layer_config, custom_objects=custom_objects))
        if not model._is_graph_network and build_input_shape:
            model.build(build_input_shape)
        return model


def _input_dtype(layer):
    """The dtype of the Input created for ``layer``: int for layers that take ids, else the layer's dtype."""
    dt = getattr(layer, "_input_dtype", None)
    if dt is not None:
        return dt
    if layer.dtype == strings.STRING:
        return strings.STRING
    return layer.dtype if np.dtype(layer.dtype).kind == "f" else "float32"
