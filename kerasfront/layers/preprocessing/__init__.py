"""Preprocessing layers: usable inside a model (and so saved with it) or on data before it.

One file per kind: ``numeric`` (Normalization, Discretization, CategoryEncoding), ``hashing`` (Hashing,
HashedCrossing), ``lookup`` (StringLookup, IntegerLookup), ``text`` (TextVectorization) and ``image``
(Rescaling, Resizing, CenterCrop and the random augmentations); ``base`` holds ``adapt`` and the
categorical encodings they share.

Example:
    >>> layer = kerasfront.layers.StringLookup(vocabulary=["a", "b"])
    >>> layer(np.array([["a"], ["c"]])).numpy().ravel()
    array([1, 0])
"""
import importlib.util

from .base import PreprocessingLayer
from . import numeric
from .numeric import *  # noqa: F401,F403

__all__ = ["PreprocessingLayer"] + list(numeric.__all__)

for _name in ("hashing", "lookup", "text", "image"):
    if importlib.util.find_spec(f"{__name__}.{_name}") is not None:
        _mod = importlib.import_module(f"{__name__}.{_name}")
        for _n in _mod.__all__:
            globals()[_n] = getattr(_mod, _n)
        __all__ += list(_mod.__all__)
