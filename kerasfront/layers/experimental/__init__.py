"""``kerasfront.layers.experimental``: the layers tf.keras 2.21 keeps under ``layers.experimental``
(``RandomFourierFeatures``, ``EinsumDense``, ``DynamicLookup`` and ``DynamicEmbedding``, the deprecated
``SyncBatchNormalization`` and the ``preprocessing`` aliases).

Example:
    >>> kerasfront.layers.experimental.RandomFourierFeatures(4).output_dim
    4
    >>> kerasfront.layers.experimental.preprocessing.Rescaling is kerasfront.layers.Rescaling
    True
"""
from ..einsum_dense import EinsumDense
from .dynamic_embedding import DynamicEmbedding
from .dynamic_lookup import DynamicLookup
from ..kernelized import RandomFourierFeatures
from ..normalization import SyncBatchNormalization
from . import preprocessing  # noqa: F401

__all__ = ["DynamicEmbedding", "DynamicLookup", "EinsumDense", "RandomFourierFeatures", "SyncBatchNormalization"]
