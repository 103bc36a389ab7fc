"""``kerasfront.optimizers``: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion, Adafactor,
schedules, ``legacy`` (the pre-2.11 optimizers) and ``experimental``.

Names resolve as in tf.keras: ``get("adam")`` gives ``Adam()`` with defaults, a config dict rebuilds an
instance, an instance is returned as is. tf.keras's HDF5 files name the class ``"Custom>Adam"``; that
resolves to ``Adam`` too.

Example:
    >>> opt = kerasfront.optimizers.get("rmsprop")
    >>> kerasfront.optimizers.serialize(opt)["class_name"]
    'RMSprop'
"""
import sys
import types

from ..serialization import deserialize_keras_object, serialize_keras_object
from . import legacy, schedules
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .base import Optimizer
from .ftrl import Ftrl
from .lion import Lion
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Lion",
           "Adafactor", "schedules", "legacy", "experimental", "get", "serialize", "deserialize"]

_CLASSES = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion, Adafactor)
_BUILTINS = {c.__name__: c for c in _CLASSES}
_BUILTINS.update({c.__name__.lower(): c for c in _CLASSES})
_BUILTINS.update({"experimental" + c.__name__.lower(): c for c in (Adadelta, Adagrad, Adam, SGD)})
_BUILTINS["Optimizer"] = Optimizer
_LEGACY_CLASSES = (legacy.SGD, legacy.Adam, legacy.RMSprop, legacy.Adagrad, legacy.Adadelta, legacy.Adamax,
                   legacy.Nadam, legacy.Ftrl)
_LEGACY_BUILTINS = {c.__name__.lower(): c for c in _LEGACY_CLASSES}
_LEGACY_BUILTINS.update({"experimental" + c.__name__.lower(): c for c in (Adadelta, Adagrad, Adam, SGD)})
_LEGACY_BUILTINS["optimizer"] = legacy.Optimizer

#: ``kerasfront.optimizers.experimental``: tf.keras 2.21's names for the (new) optimizers.
experimental = types.ModuleType(__name__ + ".experimental",
                                "tf.keras's optimizers.experimental: the 2.11+ optimizers under their older names.")
for _cls in (Adadelta, Adafactor, Adagrad, Adam, AdamW, Adamax, Ftrl, Nadam, Optimizer, RMSprop, SGD):
    setattr(experimental, _cls.__name__, _cls)
sys.modules[experimental.__name__] = experimental

# NOTE: keys only a 2.11+ (or Keras 3) optimizer config has: a config with one of them is never a legacy one, even
# without an ``is_legacy_optimizer`` key (Keras 3 writes none).
_NEW_ONLY_KEYS = ("weight_decay", "use_ema", "ema_momentum", "ema_overwrite_frequency", "jit_compile",
                  "loss_scale_factor", "gradient_accumulation_steps")


_LOSS_SCALE_NAMES = ("LossScaleOptimizer", "LossScaleOptimizerV3", "LossScaleOptimizerV1")


def _loss_scale_optimizer_class():
    from ..mixed_precision.loss_scale_optimizer import LossScaleOptimizer
    return LossScaleOptimizer


def _is_optimizer(obj):
    return isinstance(obj, (Optimizer, legacy.Optimizer, _loss_scale_optimizer_class()))


def serialize(optimizer, use_legacy_format=False):
    """``{"class_name": "Adam", "config": {...}}`` with tf.keras's config keys (a legacy optimizer's config has
    ``decay`` and no ``is_legacy_optimizer``, as tf.keras writes it).

    Example:
        >>> serialize(SGD())["config"]["momentum"]
        0.0
        >>> serialize(legacy.SGD(decay=0.1))["config"]["decay"]
        0.1
    """
    if not _is_optimizer(optimizer):
        raise TypeError(f"optimizers.serialize: expected an Optimizer, received {type(optimizer).__name__}")
    return serialize_keras_object(optimizer)


def _from_legacy_config(config):
    """Translate a pre-2.11 config for a 2.11+ optimizer (one with no legacy version): ``lr`` -> ``learning_rate``
    and a nonzero ``decay`` -> ``InverseTimeDecay(lr, 1, decay)``, which is the legacy ``lr / (1 + decay * t)``."""
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


def _wants_legacy(config, use_legacy_optimizer):
    inner = config.get("config")
    if not isinstance(inner, dict) or not inner:
        return bool(use_legacy_optimizer)
    if "is_legacy_optimizer" in inner:
        return bool(inner["is_legacy_optimizer"])
    return not any(k in inner for k in _NEW_ONLY_KEYS)


def deserialize(config, custom_objects=None, use_legacy_format=False, **kwargs):
    """An optimizer from a config dict or a name (case-insensitive for the built-ins).

    As tf.keras: a non-empty config without ``is_legacy_optimizer`` (what tf.keras writes for a legacy
    optimizer, and every file from before 2.11) gives the ``optimizers.legacy`` class, so that its ``decay`` and
    its saved state carry on; ``use_legacy_optimizer=True`` asks for the legacy class for an empty config too.

    Args:
        config: an optimizer name (``"adam"``) or a ``{"class_name": ..., "config": {...}}`` dict.
        custom_objects: ``{name: class}`` for optimizers that are not built in.
        use_legacy_format: accepted for tf.keras compatibility (both formats read the same here).

    Returns:
        A new optimizer instance.

    Example:
        >>> opt = deserialize({"class_name": "SGD", "config": {"learning_rate": 0.5, "is_legacy_optimizer": False}})
        >>> type(opt).__module__, float(opt.learning_rate)
        ('kerasfront.optimizers.sgd', 0.5)
        >>> type(deserialize({"class_name": "Adam", "config": {"learning_rate": 0.5, "decay": 0.1}})).__module__
        'kerasfront.optimizers.legacy.adam'
    """
    use_legacy_optimizer = kwargs.pop("use_legacy_optimizer", False)
    if kwargs:
        raise TypeError(f"optimizers.deserialize: invalid keyword arguments: {kwargs}")
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        name = config["class_name"]
        short = name.split(">", 1)[-1]
        if short in _LOSS_SCALE_NAMES and name not in (custom_objects or {}):
            # NOTE: mixed_precision.LossScaleOptimizer, under the names tf.keras writes (V3 around a 2.11+
            # optimizer, the plain name around a legacy one)
            return _loss_scale_optimizer_class().from_config(config.get("config") or {}, custom_objects=custom_objects)
        if name not in (custom_objects or {}):
            legacy_wanted = _wants_legacy(config, use_legacy_optimizer)
            if legacy_wanted and short.lower() in _LEGACY_BUILTINS:
                cls = _LEGACY_BUILTINS[short.lower()]
                inner = dict(config.get("config") or {})
                inner.pop("is_legacy_optimizer", None)
                return cls.from_config(inner, custom_objects=custom_objects)
            if legacy_wanted and isinstance(config.get("config"), dict):
                config = dict(config, config=_from_legacy_config(config["config"]))
            if short.lower() in _BUILTINS:
                config = dict(config, class_name=_BUILTINS[short.lower()].__name__)
    return deserialize_keras_object(config, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="optimizer", instantiate=True)


def get(identifier, **kwargs):
    """An optimizer from a name (``'adam'``), a config dict or an instance (returned as is).

    Example:
        >>> get("sgd").get_config()["learning_rate"]
        0.009999999776482582
    """
    use_legacy_optimizer = kwargs.pop("use_legacy_optimizer", False)
    if kwargs:
        raise TypeError(f"optimizers.get: invalid keyword arguments: {kwargs}")
    if _is_optimizer(identifier):
        return identifier
    if isinstance(identifier, (dict, str)):
        return deserialize(identifier, use_legacy_optimizer=use_legacy_optimizer)
    raise ValueError(f"optimizers.get: could not interpret optimizer identifier {identifier!r} "
                     f"(expected a name such as 'adam', a config dict or an Optimizer instance)")
