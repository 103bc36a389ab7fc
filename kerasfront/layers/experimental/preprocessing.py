"""``layers.experimental.preprocessing``: the names tf.keras 2 still exports here, the same classes as in
``kerasfront.layers``.

Example:
    >>> from kerasfront.layers.experimental.preprocessing import TextVectorization
    >>> TextVectorization is kerasfront.layers.TextVectorization
    True
"""
from ..preprocessing import (CategoryEncoding, CenterCrop, Discretization, HashedCrossing, Hashing,  # noqa: F401
                             IntegerLookup, Normalization, PreprocessingLayer, RandomContrast, RandomCrop, RandomFlip,
                             RandomHeight, RandomRotation, RandomTranslation, RandomWidth, RandomZoom, Rescaling,
                             Resizing, StringLookup, TextVectorization)

__all__ = ["CategoryEncoding", "CenterCrop", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup",
           "Normalization", "PreprocessingLayer", "RandomContrast", "RandomCrop", "RandomFlip", "RandomHeight",
           "RandomRotation", "RandomTranslation", "RandomWidth", "RandomZoom", "Rescaling", "Resizing", "StringLookup",
           "TextVectorization"]
