"""``kerasfront.layers.experimental``: the layers tf.keras 2.21 keeps under ``layers.experimental``
(``RandomFourierFeatures`` here; EinsumDense, SyncBatchNormalization and the preprocessing layers as their issues
land).

Example:
    >>> kerasfront.layers.experimental.RandomFourierFeatures(4).output_dim
    4
"""
from ..kernelized import RandomFourierFeatures

__all__ = ["RandomFourierFeatures"]
