"""``kerasfront.experimental``: tf.keras 2.21's top-level ``experimental`` names: the cosine schedules (as
``optimizers.schedules`` has them) and the premade ``LinearModel`` and ``WideDeepModel``.

Example:
    >>> kerasfront.experimental.CosineDecay is kerasfront.optimizers.schedules.CosineDecay
    True
"""
from .optimizers.schedules import CosineDecay, CosineDecayRestarts
from .premade_models import LinearModel, WideDeepModel

__all__ = ["CosineDecay", "CosineDecayRestarts", "LinearModel", "WideDeepModel"]
