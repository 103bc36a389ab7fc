"""Model: a Layer that can be trained (compile, fit, evaluate, predict) and inspected (summary, get_layer).

``Model(inputs=..., outputs=...)`` makes a functional model; a subclass of ``Model`` with its own ``call``
is a subclassed model.

Example:
    >>> model = Model(inputs=inp, outputs=out)
    >>> model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(x, y, epochs=3, batch_size=16)
"""
import json

from .base_layer import Layer, to_snake_case, unique_object_name


class Model(Layer):
    """The model base class: groups layers, trains them and saves them.

    ``Model(inputs, outputs, name=None)`` builds a functional model. Subclass it and define ``call`` for a
    model whose forward pass is arbitrary Python.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs
                             or (len(args) == 1 and "outputs" in kwargs)):
            from .functional import Functional
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(f"{type(self).__name__}: a subclassed Model takes no inputs/outputs; to build a "
                            f"functional model call keras.Model(inputs=..., outputs=...) directly")
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)
        super().__init__(name=name, trainable=trainable, dtype=dtype, **kwargs)
        self.stop_training = False
        self.history = None
        self.optimizer = None
        self.compiled_loss = None
        self.compiled_metrics = None
        self._is_compiled = False
        self._is_graph_network = False
        self.inputs = None
        self.outputs = None

    def _default_name(self):
        return unique_object_name(to_snake_case(type(self).__name__), zero_based=True)

    # -- structure -----------------------------------------------------------------------------------------
    @property
    def layers(self):
        """The layers this model holds (for a subclassed model: those set as attributes, in order)."""
        return [la for la in self._sublayers()]

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` of ``model.layers``.

        Example:
            >>> model.get_layer("dense_1").units
        """
        if index is not None and name is not None:
            raise ValueError(f"get_layer(): provide only a layer name or a layer index, received name={name!r} and "
                             f"index={index!r}")
        if index is not None:
            if not isinstance(index, int):
                raise TypeError(f"get_layer(index=...): expected an int, received {index!r}")
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(layers)} "
                                 f"layers.")
            return layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            import difflib
            close = difflib.get_close_matches(str(name), [la.name for la in self.layers], n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ValueError(f"No such layer: {name}. Existing layers are: {[la.name for la in self.layers]}.{hint}")
        raise ValueError("get_layer(): provide either a layer name or a layer index")

    def build(self, input_shape):
        """Build a subclassed model by running it on a placeholder batch of ``input_shape``."""
        if self._is_graph_network:
            self.built = True
            return
        if input_shape is None:
            raise ValueError("Model.build(input_shape): input_shape must be given (a tuple with the batch axis)")
        self.built = True
        self._build_input_shape = input_shape

    def call(self, inputs, training=None, mask=None):
        raise NotImplementedError(f"Model {type(self).__name__}: subclasses of Model must implement call(inputs, "
                                  f"training=None) (or build a functional model with Model(inputs, outputs))")

    # -- serialization -----------------------------------------------------------------------------------------
    def get_config(self):
        if type(self).get_config is not Model.get_config:
            return super().get_config()
        extra = self._auto_config()
        if extra is None:
            raise NotImplementedError(f"Model {type(self).__name__}: subclassed models need get_config() (and "
                                      f"from_config) to be saved; override get_config")
        config = {"name": self.name, "trainable": self.trainable}
        config.update(extra)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .functional import Functional
        if "layers" in config and "input_layers" in config and cls in (Model, Functional):
            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``model_from_json`` reads it back).

        Example:
            >>> model2 = kerasfront.models.model_from_json(model.to_json())
        """
        from ..serialization import serialize_keras_object
        data = serialize_keras_object(self)
        config = {"class_name": data["class_name"], "config": data["config"], "keras_version": "2.21.0",
                  "backend": "tensorflow"}
        return json.dumps(config, default=_json_default, **kwargs)

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on model {self.name}, but the model isn't built. "
                             f"You can build it manually via: `{self.name}.build(batch_input_shape)`, or call it "
                             f"on data first.")
        return super().count_params()


def _json_default(obj):
    import numpy as np
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
