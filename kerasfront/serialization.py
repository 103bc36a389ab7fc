"""Name resolution for every kind of Keras object: one registry per kind plus user registrations.

Each kind (layers, losses, metrics, optimizers, activations, initializers, regularizers, constraints)
keeps a dict of its built-in objects and calls ``deserialize_keras_object`` with it. A name that is
neither built in, registered with ``register_keras_serializable`` nor passed in ``custom_objects`` is an
error listing close matches; a config is never an instruction to import a module.

Example:
    >>> @register_keras_serializable(package="my_pkg")
    ... class Scale(Layer): ...
    >>> get_registered_name(Scale)
    'my_pkg>Scale'
"""
import difflib
import functools
import inspect
import threading

_REGISTERED = {}          # "package>Name" -> object
_REGISTERED_NAMES = {}    # object -> "package>Name"
_SCOPE = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``"package>name"`` so that files naming it load.

    Example:
        >>> @register_keras_serializable(package="demo")
        ... def my_loss(y_true, y_pred): ...
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable(package=...): expected a string without '>', received "
                         f"{package!r}")

    def decorator(obj):
        reg_name = name or getattr(obj, "__name__", None)
        if not reg_name:
            raise ValueError(f"register_keras_serializable: cannot find a name for {obj!r}; pass name=")
        key = f"{package}>{reg_name}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"register_keras_serializable: class {obj.__name__} must define get_config()")
        _REGISTERED[key] = obj
        _REGISTERED_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` is saved under: its registration key, else its class or function name.

    Example:
        >>> serialization.get_registered_name(kerasfront.layers.Dense)
        'Dense'
        >>> serialization.get_registered_name(kerasfront.activations.relu)
        'relu'
    """
    if obj in _REGISTERED_NAMES:
        return _REGISTERED_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Look ``name`` up in the custom-object scope, ``custom_objects``, the registrations, then
    ``module_objects``; None when absent.

    Example:
        >>> def swish_x(x):
        ...     return x
        >>> serialization.get_registered_object('swish_x', custom_objects={'swish_x': swish_x}) is swish_x
        True
        >>> serialization.get_registered_object('no_such_thing') is None
        True
    """
    scopes = getattr(_SCOPE, "stack", [])
    for scope in reversed(scopes):
        if name in scope:
            return scope[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    short = name.split(">", 1)[-1]
    if custom_objects and short in custom_objects:
        return custom_objects[short]
    if module_objects and name in module_objects:
        return module_objects[name]
    if module_objects and short in module_objects:
        return module_objects[short]
    return None


def get_custom_objects():
    """The global dict of registered custom objects; adding ``{"name": obj}`` makes ``name`` loadable.

    Example:
        >>> isinstance(serialization.get_custom_objects(), dict)
        True
    """
    return _REGISTERED


class custom_object_scope:
    """Within this block, names in the given dicts resolve when deserializing.

    Example:
        >>> with custom_object_scope({"ScaleLayer": ScaleLayer}):
        ...     model = load_model("model.h5")
    """

    def __init__(self, *dicts):
        merged = {}
        for d in dicts:
            merged.update(d or {})
        self._objects = merged

    def __enter__(self):
        if not hasattr(_SCOPE, "stack"):
            _SCOPE.stack = []
        _SCOPE.stack.append(self._objects)
        return self

    def __exit__(self, *exc):
        _SCOPE.stack.pop()
        return False


CustomObjectScope = custom_object_scope


def serialize_keras_object(obj):
    """A JSON-able description: a plain name for functions, ``{"class_name", "config"}`` for objects.

    Example:
        >>> serialization.serialize_keras_object(kerasfront.activations.relu)
        'relu'
        >>> serialization.serialize_keras_object(kerasfront.regularizers.L2(0.5))
        {'class_name': 'L2', 'config': {'l2': 0.5}}
    """
    if obj is None:
        return None
    if isinstance(obj, (str, int, float, bool)):
        return obj
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return get_registered_name(obj).split(">", 1)[-1] if obj not in _REGISTERED_NAMES else \
            _REGISTERED_NAMES[obj]
    if hasattr(obj, "get_config"):
        cls = type(obj)
        return {"class_name": get_registered_name(cls) if cls in _REGISTERED_NAMES else cls.__name__,
                "config": obj.get_config()}
    raise ValueError(f"cannot serialize {obj!r}: it is neither a function nor an object with get_config()")


def unknown_object_error(name, kind, module_objects):
    """A ValueError for a name that does not resolve, with close matches and the way to fix it.

    Example:
        >>> err = serialization.unknown_object_error('rleu', 'activation', {'relu': None, 'elu': None})
        >>> type(err).__name__, "Did you mean: 'relu'?" in str(err)
        ('ValueError', True)
    """
    candidates = list(module_objects or {}) + list(_REGISTERED)
    close = difflib.get_close_matches(str(name), candidates, n=4, cutoff=0.6)
    hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(
        f"Unknown {kind}: '{name}'.{hint} If it is a custom {kind}, pass it in custom_objects={{'{name}': ...}} "
        f"or register it with @kerasfront.utils.register_keras_serializable().")


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object", instantiate=False):
    """Turn a name or a ``{"class_name", "config"}`` dict back into the object it names.

    Classes are instantiated with ``cls.from_config(config)`` (or ``cls(**config)``); a bare name returns the
    registered function or class itself, the class instantiated with no arguments when ``instantiate``
    (``'Adam'`` -> ``Adam()``, as losses, metrics, optimizers, initializers and the rest want).

    Example:
        >>> reg = serialization.deserialize_keras_object({'class_name': 'L2', 'config': {'l2': 0.5}},
        ...         module_objects={'L2': kerasfront.regularizers.L2})
        >>> float(reg.l2)
        0.5
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(f"cannot deserialize {printable_module_name}: {identifier!r} has no 'class_name'")
        class_name = identifier["class_name"]
        config = identifier.get("config", {})
        obj = get_registered_object(class_name, custom_objects, module_objects)
        if obj is None:
            reg = identifier.get("registered_name")
            if reg:
                obj = get_registered_object(reg, custom_objects, module_objects)
        if obj is None:
            raise unknown_object_error(class_name, printable_module_name, module_objects)
        if not inspect.isclass(obj):
            return obj
        if hasattr(obj, "from_config"):
            try:
                return obj.from_config(config)
            except TypeError as e:
                from_config_params = inspect.signature(obj.from_config).parameters
                if "custom_objects" in from_config_params:
                    return obj.from_config(config, custom_objects=custom_objects)
                raise TypeError(f"cannot rebuild {printable_module_name} '{class_name}' from its config: {e}") \
                    from None
        return obj(**config)
    if isinstance(identifier, str):
        obj = get_registered_object(identifier, custom_objects, module_objects)
        if obj is None:
            raise unknown_object_error(identifier, printable_module_name, module_objects)
        return obj() if instantiate and inspect.isclass(obj) else obj
    if callable(identifier):
        return identifier() if instantiate and inspect.isclass(identifier) else identifier
    raise TypeError(f"cannot interpret {printable_module_name} identifier {identifier!r} "
                    f"(expected a name, a config dict or a callable)")


def tags_identifier_errors(get):
    """Decorate a kind's ``get``: the ValueError / TypeError it raises carries ``identifier`` (what it could not
    resolve), so that a layer's constructor can name the argument that held it (``Layer`` does).

    Example:
        >>> try:
        ...     kerasfront.initializers.get("nope")
        ... except ValueError as e:
        ...     e.identifier
        'nope'
    """
    @functools.wraps(get)
    def tagged(identifier):
        try:
            return get(identifier)
        except (ValueError, TypeError) as e:
            if not hasattr(e, "identifier"):
                e.identifier = identifier
            raise
    return tagged

