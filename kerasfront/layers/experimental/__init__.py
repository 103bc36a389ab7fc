"""``kerasfront.layers.experimental``: the layers tf.keras 2.21 keeps under ``layers.experimental``
(``RandomFourierFeatures``, ``EinsumDense`` and the ``preprocessing`` aliases; SyncBatchNormalization as its issue
lands).

Example:
    >>> kerasfront.layers.experimental.RandomFourierFeatures(4).output_dim
    4
    >>> kerasfront.layers.experimental.preprocessing.Rescaling is kerasfront.layers.Rescaling
    True
"""
from ..einsum_dense import EinsumDense
from ..kernelized import RandomFourierFeatures
from . import preprocessing  # noqa: F401

__all__ = ["EinsumDense", "RandomFourierFeatures"]
