"""kerasfront: the Keras 2 (tf.keras) API built on autograd.

Example:
    >>> import kerasfront as keras
    >>> inp = keras.Input(shape=(3,))
    >>> out = keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(4, activation="relu")(inp))
    >>> model = keras.Model(inputs=inp, outputs=out)
"""
import difflib
import importlib

from . import backend as _backend
from .engine import base_layer as _base_layer
from .engine.input_layer import Input, InputLayer  # noqa: F401
from .engine.training import Model
from .engine.sequential import Sequential
from .engine.functional import Functional  # noqa: F401
from .variables import Variable  # noqa: F401
from . import layers  # noqa: F401

__version__ = "0.1.0"

_backend.register_clear_session_hook(_base_layer.reset_name_uids)
_backend.register_functional_api(Input, Model)

_SUBMODULES = ("activations", "backend", "callbacks", "constraints", "datasets", "initializers", "layers", "losses",
               "metrics", "models", "optimizers", "regularizers", "saving", "utils", "engine", "random_state",
               "serialization", "mixed_precision", "preprocessing", "applications", "experimental", "onnx", "export",
               "distribute")

__all__ = ["Input", "Model", "Sequential", "Variable"] + [m for m in _SUBMODULES if m not in (
    "random_state", "serialization", "mixed_precision", "preprocessing", "applications", "experimental", "export",
    "distribute")]


def __getattr__(name):
    """Import submodules on first use; a mistyped name gets a suggestion (``kerasfront.Dense`` ->
    ``kerasfront.layers.Dense``)."""
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'kerasfront' has no attribute '{name}' (kerasfront.{name} is not part of "
                                 f"this version)") from None
    if name.startswith("__"):
        raise AttributeError(name)
    hints = []
    for sub in ("layers", "losses", "metrics", "optimizers", "callbacks", "activations", "initializers",
                "regularizers", "constraints", "models", "utils", "backend"):
        try:
            mod = importlib.import_module(f"{__name__}.{sub}")
        except ImportError:
            continue
        if hasattr(mod, name):
            hints.append(f"kerasfront.{sub}.{name}")
    if not hints:
        close = difflib.get_close_matches(name, list(__all__), n=3)
        hints = [f"kerasfront.{c}" for c in close]
    hint = f" Did you mean: {', '.join(hints)}?" if hints else ""
    raise AttributeError(f"module 'kerasfront' has no attribute '{name}'.{hint}")
