"""A minimal SparseTensor (indices, values, dense_shape), what ``K.ctc_label_dense_to_sparse`` returns,
with ``is_sparse`` and ``to_dense``. kerasfront's layers compute on dense tensors only.

Example:
    >>> import kerasfront.backend as K
    >>> st = K.ctc_label_dense_to_sparse(np.array([[1, 2], [3, 0]]), np.array([2, 1]))
    >>> K.is_sparse(st), K.to_dense(st)
    (True, Tensor([[1, 2],
            [3, 0]]))
"""
import numpy as np

import autograd as ag

__all__ = ["SparseTensor", "is_sparse", "to_dense"]


class SparseTensor:
    """``values[i]`` sits at ``indices[i]`` (int64, (nnz, rank)) of a tensor of ``dense_shape``; the rest are 0.

    Example:
        >>> SparseTensor([[0, 1]], [5.0], (2, 2)).to_dense()
        Tensor([[0., 5.],
                [0., 0.]])
    """

    def __init__(self, indices, values, dense_shape):
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(tuple(dense_shape)))
        self.values = np.asarray(values.data if isinstance(values, ag.Tensor) else values)
        self.dense_shape = tuple(int(s) for s in dense_shape)
        if self.values.shape != (self.indices.shape[0],):
            raise ValueError(f"SparseTensor: {self.indices.shape[0]} indices but values of shape {self.values.shape}")
        if self.indices.size and (np.any(self.indices < 0) or np.any(self.indices >= np.array(self.dense_shape))):
            raise ValueError(f"SparseTensor: indices out of range for dense_shape {self.dense_shape}")

    @property
    def shape(self):
        return self.dense_shape

    @property
    def dtype(self):
        return self.values.dtype

    def to_dense(self, default_value=0):
        out = np.full(self.dense_shape, default_value, dtype=self.values.dtype)
        out[tuple(self.indices.T)] = self.values
        return ag.Tensor(out)

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices.tolist()}, values={self.values.tolist()}, "
                f"dense_shape={self.dense_shape})")


def is_sparse(tensor):
    """Whether ``tensor`` is a SparseTensor.

    Example:
        >>> K.is_sparse(K.constant([1.0]))
        False
    """
    return isinstance(tensor, SparseTensor)


def to_dense(tensor):
    """A SparseTensor as a dense Tensor; any other tensor unchanged.

    Example:
        >>> K.to_dense(K.constant([1.0]))
        Tensor([1.], dtype=float32)
    """
    return tensor.to_dense() if isinstance(tensor, SparseTensor) else tensor
