"""``kerasfront.utils``: to_categorical, set_random_seed, Sequence, Progbar, and the serialization registry.

Example:
    >>> kerasfront.utils.set_random_seed(0)
    >>> y = kerasfront.utils.to_categorical([0, 1, 1])
"""
from ..random_state import set_seed as _set_seed
from ..serialization import (CustomObjectScope, custom_object_scope, get_registered_name,  # noqa: F401
                             get_registered_object, register_keras_serializable)
from ..serialization import _REGISTERED
from .data_utils import PyDataset, Sequence  # noqa: F401
from .np_utils import normalize, to_categorical  # noqa: F401
from .plotting import model_to_dot, plot_history, plot_model  # noqa: F401


def set_random_seed(seed):
    """Seed every generator kerasfront uses (initializers, dropout, shuffling) and Python's and numpy's, so two
    identical runs give identical weights and history.

    Example:
        >>> set_random_seed(42)
    """
    _set_seed(seed)


def get_custom_objects():
    """The global dict of registered custom objects; adding ``{"name": obj}`` makes ``name`` loadable.

    Example:
        >>> isinstance(get_custom_objects(), dict)
        True
    """
    return _REGISTERED


def __getattr__(name):
    if name == "Progbar":
        from .progbar import Progbar
        return Progbar
    if name in ("serialize_keras_object", "deserialize_keras_object"):
        from .. import serialization
        return getattr(serialization, name)
    raise AttributeError(f"module 'kerasfront.utils' has no attribute '{name}'")
