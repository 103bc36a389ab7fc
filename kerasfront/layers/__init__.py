"""``kerasfront.layers``: every layer class, and the registry configs and files resolve layer names in.

Each layer module (core.py here; conv.py, pooling.py, ... as they exist) lists its public names in
``__all__``; they are exported here and every Layer subclass among them is registered under its class name,
so ``deserialize({"class_name": "Dense", "config": {...}})`` and HDF5 loading find it. A custom layer is
found through ``custom_objects`` or ``@kerasfront.utils.register_keras_serializable()``.

Example:
    >>> layer = deserialize({"class_name": "Dense", "config": {"units": 3}})
    >>> layer.units
    3
"""
import importlib
import importlib.util

from ..engine.base_layer import AddLoss, AddMetric, Layer
from ..engine.input_layer import Input, InputLayer
from ..engine.input_spec import InputSpec
from ..engine.keras_tensor import KerasTensor
from . import core
from .core import *  # noqa: F401,F403

#: class name -> layer class, for deserialization
_REGISTRY = {"Layer": Layer, "InputLayer": InputLayer, "AddMetric": AddMetric, "AddLoss": AddLoss}

# layer modules owned by other files; each is imported (and registered) when it exists
_MODULES = ("activation", "conv", "pooling", "normalization", "regularization", "recurrent", "embedding", "merge",
            "wrappers", "reshaping", "einsum_dense", "attention", "preprocessing", "locally_connected", "noise",
            "convolutional", "rnn", "conv_recurrent", "spectral_normalization", "kernelized")


def _export(module):
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name)
        globals()[name] = obj
        if isinstance(obj, type) and issubclass(obj, Layer):
            _REGISTRY[obj.__name__] = obj


_export(core)
for _mod in _MODULES:
    if importlib.util.find_spec(f"{__name__}.{_mod}") is not None:
        _export(importlib.import_module(f"{__name__}.{_mod}"))


from . import experimental  # noqa: E402,F401  (layers.experimental.preprocessing.* aliases)
from . import inference_folding  # noqa: E402,F401  (registers the batch-norm folding for prediction)


def register_layer(cls):
    """Add a Layer subclass to the built-in registry (for layer modules outside this package).

    Example:
        >>> @register_layer
        ... class MyLayer(Layer): ...
    """
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer: expected a Layer subclass, received {cls!r}")
    _REGISTRY[cls.__name__] = cls
    return cls


def _builtin_objects():
    from ..engine.functional import Functional
    from ..engine.sequential import Sequential
    from ..engine.training import Model
    from ..utils.feature_space import FeatureSpace
    objs = dict(_REGISTRY)
    # NOTE: FeatureSpace is saved on its own as tf.keras saves it (a ``.keras`` file whose object is the FeatureSpace)
    objs.update({"Functional": Functional, "Model": Model, "Sequential": Sequential, "FeatureSpace": FeatureSpace})
    return objs


def serialize(layer, use_legacy_format=False):
    """``{"class_name": ..., "config": ...}`` for a layer (or model).
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> config = kerasfront.layers.serialize(kerasfront.layers.Dropout(0.5))
        >>> config['class_name'], config['config']['rate']
        ('Dropout', 0.5)
    """
    from ..serialization import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    """Rebuild a layer (or model) from ``{"class_name", "config"}``; unknown class names raise a ValueError
    that names the class and says to pass it in ``custom_objects``. ``use_legacy_format`` is accepted as in
    tf.keras; both config forms are read either way.

    Example:
        >>> deserialize(serialize(Dense(2))).units
        2
    """
    import inspect

    from ..serialization import custom_object_scope, get_registered_object, unknown_object_error
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"layers.deserialize: expected a dict with 'class_name' and 'config', received "
                         f"{str(config)[:200]}")
    class_name = config["class_name"]
    objs = _builtin_objects()
    with custom_object_scope(custom_objects or {}):
        cls = get_registered_object(class_name, custom_objects, objs)
        if cls is None and config.get("registered_name"):
            cls = get_registered_object(config["registered_name"], custom_objects, objs)
        if cls is None:
            raise unknown_object_error(class_name, "layer", objs)
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"layers.deserialize: '{class_name}' does not name a Layer class (found {cls!r})")
        layer_config = config.get("config", {})
        params = inspect.signature(cls.from_config).parameters
        if "custom_objects" in params:
            return cls.from_config(layer_config, custom_objects=custom_objects)
        return cls.from_config(layer_config)


def get(identifier):
    """A layer from a layer instance or a config dict.

    Example:
        >>> layer = kerasfront.layers.get({'class_name': 'Dropout', 'config': {'rate': 0.25}})
        >>> type(layer).__name__, layer.rate
        ('Dropout', 0.25)
    """
    if isinstance(identifier, Layer):
        return identifier
    return deserialize(identifier)


# NOTE: layers.experimental (RandomFourierFeatures, ...): its layers are registered for loading, not exported here.
from . import experimental  # noqa: E402
from .experimental.dynamic_embedding import DynamicEmbedding as _DynamicEmbedding  # noqa: E402
from .experimental.dynamic_lookup import DynamicLookup as _DynamicLookup  # noqa: E402
from .kernelized import RandomFourierFeatures as _RandomFourierFeatures  # noqa: E402
from .normalization import SyncBatchNormalization as _SyncBatchNormalization  # noqa: E402

_REGISTRY["RandomFourierFeatures"] = _RandomFourierFeatures
_REGISTRY["DynamicEmbedding"] = _DynamicEmbedding
_REGISTRY["DynamicLookup"] = _DynamicLookup
_REGISTRY["SyncBatchNormalization"] = _SyncBatchNormalization
