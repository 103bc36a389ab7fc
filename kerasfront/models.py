"""``kerasfront.models``: Model, Sequential, building models from configs and JSON, saving and loading.

Example:
    >>> clone = model_from_json(model.to_json())
    >>> clone.set_weights(model.get_weights())
"""
import json
import sys
import types

from .engine.functional import Functional
from .engine.sequential import Sequential
from .engine.sharpness_aware_minimization import SharpnessAwareMinimization
from .engine.training import Model

__all__ = ["Model", "Sequential", "Functional", "model_from_json", "model_from_config", "model_from_yaml",
           "clone_model", "save_model", "load_model", "experimental"]

#: ``kerasfront.models.experimental`` (tf.keras's ``models.experimental``: ``SharpnessAwareMinimization``).
experimental = types.ModuleType(__name__ + ".experimental", "tf.keras's models.experimental: SharpnessAwareMinimization.")
experimental.SharpnessAwareMinimization = SharpnessAwareMinimization
sys.modules[experimental.__name__] = experimental


def _register_model_classes():
    from .layers import register_layer
    from .premade_models import LinearModel, WideDeepModel
    for cls in (SharpnessAwareMinimization, LinearModel, WideDeepModel):
        register_layer(cls)


_register_model_classes()


def model_from_config(config, custom_objects=None):
    """A model (or layer) from ``{"class_name": ..., "config": ...}``.

    Example:
        >>> model_from_config({"class_name": "Sequential", "config": model.get_config()})
    """
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Received: config=[...]. Did you "
                        "meant to use `Sequential.from_config(config)`?")
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"model_from_config: expected a dict with 'class_name' and 'config', received "
                         f"{str(config)[:200]}")
    from .layers import deserialize
    return deserialize(config, custom_objects=custom_objects)


def model_from_json(json_string, custom_objects=None):
    """A model from the JSON string ``model.to_json()`` wrote (weights are not included).

    Example:
        >>> model2 = model_from_json(model.to_json())
    """
    if not isinstance(json_string, (str, bytes)):
        raise TypeError(f"model_from_json(json_string): expected a JSON string, received {type(json_string).__name__}")
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as e:
        raise ValueError(f"model_from_json: the string is not valid JSON ({e})") from None
    return model_from_config(config, custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialized weights (Sequential and functional
    models are rebuilt from their config).

    Example:
        >>> clone = clone_model(model)             # same layers, new weights
        >>> clone.set_weights(model.get_weights())  # copy them to get the same outputs
    """
    if input_tensors is not None or clone_function is not None:
        raise NotImplementedError("clone_model: input_tensors and clone_function are not supported yet; use "
                                  "model_from_config(...) instead")
    from .layers import deserialize, serialize
    return deserialize(serialize(model))


def save_model(model, filepath, overwrite=True, save_format=None, **kwargs):
    """Save a model to ``filepath`` (see ``kerasfront.saving.save_model``; ``include_optimizer`` and tf.keras's
    other keywords pass through).

    Example:
        >>> save_model(model, "model.h5")           # same as model.save("model.h5"); ".keras" writes Keras 3's zip
    """
    from .saving import save_model as _save
    return _save(model, filepath, overwrite=overwrite, save_format=save_format, **kwargs)


def model_from_yaml(yaml_string, custom_objects=None):
    """Removed in tf.keras 2.6 (YAML can run arbitrary code); raises, as tf.keras does.

    Example:
        >>> model_from_yaml("...")
        Traceback (most recent call last):
        RuntimeError: Method `model_from_yaml()` has been removed due to security risk of arbitrary code execution...
    """
    raise RuntimeError("Method `model_from_yaml()` has been removed due to security risk of arbitrary code "
                       "execution. Please use `Model.to_json()` and `model_from_json()` instead.")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """Load a model saved by ``save_model`` or by tf.keras (see ``kerasfront.saving``).

    Example:
        >>> model = load_model("model.h5")
        >>> model = load_model("custom.h5", custom_objects={"ScaleLayer": ScaleLayer})
    """
    from .saving import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode, **kwargs)
