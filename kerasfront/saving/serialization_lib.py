"""tf.keras's public (de)serialization functions, ``saving.serialize_keras_object`` and
``saving.deserialize_keras_object`` (also in ``utils``), and ``utils.legacy``'s older pair.

``deserialize_keras_object(config)`` rebuilds any built-in or registered object from its config without being
told its kind: a config's ``module`` (``"keras.layers"``, ``"keras.losses"``, ...) picks the registry first,
then every kerasfront registry is searched (layers, losses, metrics, optimizers, schedules, initializers,
regularizers, constraints, activations). A name resolves only through these registries, custom objects and
registrations: a config never imports a module.

Example:
    >>> from kerasfront.saving import serialize_keras_object, deserialize_keras_object
    >>> reg = deserialize_keras_object(serialize_keras_object(kerasfront.regularizers.L2(0.5)))
    >>> type(reg).__name__, float(reg.l2)
    ('L2', 0.5)
"""

from .. import serialization as _internal

__all__ = ["serialize_keras_object", "deserialize_keras_object", "legacy_serialize_keras_object",
           "legacy_deserialize_keras_object"]


def _registries():
    """``[(module prefix, {name: object})]`` in search order."""
    from .. import activations, constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from ..optimizers import schedules
    from ..utils.feature_space import FeatureSpace
    return [("keras.layers", layers._REGISTRY), ("keras.utils", {"FeatureSpace": FeatureSpace}), ("keras.models", layers._REGISTRY),
            ("keras.losses", losses._BUILTINS), ("keras.metrics", metrics._BUILTINS),
            ("keras.optimizers.schedules", schedules._BUILTINS), ("keras.optimizers", optimizers._BUILTINS),
            ("keras.initializers", initializers._BUILTINS), ("keras.regularizers", regularizers._BUILTINS),
            ("keras.constraints", constraints._BUILTINS), ("keras.activations", activations._module_objects())]


def _module_objects(module=None):
    """Every registry merged into one dict, the one ``module`` names taking precedence."""
    merged = {}
    preferred = None
    for prefix, registry in reversed(_registries()):
        if isinstance(module, str) and (module == prefix or module.startswith(prefix + ".") or
                                        module.replace(".src", "").startswith(prefix)):
            preferred = registry
        merged.update(registry)
    if preferred is not None:
        merged.update(preferred)
    return merged


def serialize_keras_object(obj):
    """A JSON-able description of ``obj``: a name for a function, ``{"class_name", "config"}`` for an object
    (None and plain values as themselves).

    Example:
        >>> serialize_keras_object(kerasfront.activations.relu)
        'relu'
    """
    return _internal.serialize_keras_object(obj)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a config (or a name) describes, whatever its kind.

    Args:
        config: ``{"class_name", "config"(, "module", "registered_name")}``, a name, or None.
        custom_objects: ``{name: class_or_function}`` for objects that are not built in.
        safe_mode: refuse to rebuild code stored in a config (a ``Lambda``'s bytecode).
        **kwargs: ``module_objects`` and ``printable_module_name``, as tf.keras's legacy form takes them.

    Example:
        >>> deserialize_keras_object({"class_name": "Dense", "config": {"units": 3}}).units
        3
        >>> deserialize_keras_object("relu") is kerasfront.activations.relu
        True
    """
    module_objects = kwargs.pop("module_objects", None)
    printable_module_name = kwargs.pop("printable_module_name", "object")
    if kwargs:
        raise TypeError(f"deserialize_keras_object: unexpected keyword argument(s) {sorted(kwargs)}")
    if config is None:
        return None
    from ..engine.safe_mode import SafeModeScope
    if isinstance(config, dict) and config.get("class_name") == "function":
        # Keras 3's form of a function: {"class_name": "function", "config": "relu", "module": "keras.activations"}
        config = config.get("registered_name") or config.get("config")
    module = config.get("module") if isinstance(config, dict) else None
    objects = module_objects if module_objects is not None else _module_objects(module)
    with SafeModeScope(bool(safe_mode)), _internal.custom_object_scope(custom_objects or {}):
        return _internal.deserialize_keras_object(config, module_objects=objects, custom_objects=custom_objects,
                                                  printable_module_name=printable_module_name)


def legacy_serialize_keras_object(instance):
    """tf.keras's pre-2.13 serializer (``utils.legacy.serialize_keras_object``): ``{"class_name", "config"}``.

    Example:
        >>> legacy_serialize_keras_object(kerasfront.regularizers.L1(0.1))["class_name"]
        'L1'
    """
    return _internal.serialize_keras_object(instance)


def legacy_deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                                    printable_module_name="object"):
    """tf.keras's pre-2.13 deserializer (``utils.legacy.deserialize_keras_object``): ``module_objects`` is the
    registry to look names up in (every kerasfront registry when None).

    Example:
        >>> legacy_deserialize_keras_object("L2", module_objects={"L2": kerasfront.regularizers.L2}).__name__
        'L2'
    """
    objects = module_objects if module_objects is not None else _module_objects()
    return _internal.deserialize_keras_object(identifier, module_objects=objects, custom_objects=custom_objects,
                                              printable_module_name=printable_module_name)


