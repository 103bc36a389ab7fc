"""tf.keras's premade models (``kerasfront.experimental``): ``LinearModel`` and ``WideDeepModel``.

Example:
    >>> from kerasfront.premade_models import LinearModel
    >>> LinearModel(units=2).units
    2
"""
from .linear import LinearModel
from .wide_deep import WideDeepModel

__all__ = ["LinearModel", "WideDeepModel"]
