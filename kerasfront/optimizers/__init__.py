"""``kerasfront.optimizers``: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam and schedules.

Names resolve as in tf.keras: ``get("adam")`` gives ``Adam()`` with defaults, a config dict rebuilds an
instance, an instance is returned as is. tf.keras's HDF5 files name the class ``"Custom>Adam"``; that
resolves to ``Adam`` too.

Example:
    >>> opt = kerasfront.optimizers.get("rmsprop")
    >>> kerasfront.optimizers.serialize(opt)["class_name"]
    'RMSprop'
"""
from ..serialization import deserialize_keras_object, serialize_keras_object
from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .base import Optimizer
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "schedules",
           "get", "serialize", "deserialize"]

_CLASSES = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam)
_BUILTINS = {c.__name__: c for c in _CLASSES}
_BUILTINS.update({c.__name__.lower(): c for c in _CLASSES})
_BUILTINS["Optimizer"] = Optimizer


def serialize(optimizer):
    """``{"class_name": "Adam", "config": {...}}`` with tf.keras's config keys.

    Example:
        >>> serialize(SGD())["config"]["momentum"]
        0.0
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize: expected an Optimizer, received {type(optimizer).__name__}")
    return serialize_keras_object(optimizer)


_LEGACY_ONLY_KEYS = ("decay", "lr", "is_legacy_optimizer")


def _from_legacy_config(config):
    """Translate a pre-2.11 ("legacy") optimizer config: ``lr`` -> ``learning_rate`` and a nonzero ``decay``
    -> ``InverseTimeDecay(lr, 1, decay)``, which is the legacy ``lr / (1 + decay * iterations)``."""
    cfg = dict(config)
    cfg.pop("is_legacy_optimizer", None)
    if "lr" in cfg:
        cfg.setdefault("learning_rate", cfg.pop("lr"))
        cfg.pop("lr", None)
    decay = cfg.pop("decay", 0.0) or 0.0
    if decay and not isinstance(cfg.get("learning_rate"), dict):
        cfg["learning_rate"] = schedules.InverseTimeDecay(cfg.get("learning_rate", 0.001), decay_steps=1,
                                                          decay_rate=decay)
    return cfg


def deserialize(config, custom_objects=None):
    """An optimizer from a config dict or a name (case-insensitive for the built-ins).

    Configs written by tf.keras before 2.11 (``is_legacy_optimizer`` true or absent, ``lr``/``decay`` keys)
    become the corresponding optimizer here, with ``decay`` expressed as an InverseTimeDecay schedule.

    Args:
        config: an optimizer name (``"adam"``) or a ``{"class_name": ..., "config": {...}}`` dict.
        custom_objects: ``{name: class}`` for optimizers that are not built in.

    Returns:
        A new optimizer instance.

    Example:
        >>> opt = deserialize({"class_name": "SGD", "config": {"learning_rate": 0.5}})
        >>> type(opt).__name__, float(opt.learning_rate)
        ('SGD', 0.5)
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if isinstance(config, dict) and isinstance(config.get("config"), dict) and config["config"] and \
            (config["config"].get("is_legacy_optimizer", True) or any(k in config["config"] for k in ("lr", "decay"))):
        config = dict(config, config=_from_legacy_config(config["config"]))
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        name = config["class_name"]
        short = name.split(">", 1)[-1]
        if short.lower() in _BUILTINS and name not in (custom_objects or {}):
            config = dict(config, class_name=_BUILTINS[short.lower()].__name__)
    return deserialize_keras_object(config, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="optimizer", instantiate=True)


def get(identifier, **kwargs):
    """An optimizer from a name (``'adam'``), a config dict or an instance (returned as is).

    Example:
        >>> get("sgd").get_config()["learning_rate"]
        0.009999999776482582
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, (dict, str)):
        return deserialize(identifier)
    raise ValueError(f"optimizers.get: could not interpret optimizer identifier {identifier!r} "
                     f"(expected a name such as 'adam', a config dict or an Optimizer instance)")
