"""Embedding (integer ids -> dense vectors) and Masking (skip time steps equal to a padding value), with Keras 2's
arguments, masks and configs.

Example:
    >>> emb = Embedding(10, 3, mask_zero=True)
    >>> out = emb(np.array([[4, 2, 0]]))
    >>> out.shape, emb.compute_mask(np.array([[4, 2, 0]])).numpy()
    ((1, 3, 3), array([[ True,  True, False]]))
"""
import math

import numpy as np

import autograd as ag

from .. import constraints, initializers, regularizers
from ..engine.base_layer import Layer
from .core import _positive_int

__all__ = ["Embedding", "Masking"]


class Embedding(Layer):
    """Turn non-negative integer ids into dense vectors: row ``i`` of an ``(input_dim, output_dim)`` matrix.

    Args:
        input_dim: size of the vocabulary (largest id + 1).
        output_dim: size of each vector.
        embeddings_initializer: default ``'uniform'`` (RandomUniform(-0.05, 0.05), as Keras).
        embeddings_regularizer / activity_regularizer / embeddings_constraint: as Dense's.
        mask_zero: id 0 is padding: the layer outputs a mask (False where the id is 0) that RNN layers and others
            downstream use; ``input_dim`` must then count the padding id.
        input_length: the fixed sequence length, when known (needed by Flatten -> Dense after it in a
            Sequential model); checked against the inputs.
        sparse: must be False (tf.keras's SparseTensor mode does not exist here).

    Input: ids of shape (batch, ...) (ints; floats are truncated as Keras does). Output: (batch, ..., output_dim).

    Example:
        >>> Sequential([Embedding(1000, 64, input_length=10)]).output_shape
        (None, 10, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 activity_regularizer=None, embeddings_constraint=None, mask_zero=False, input_length=None,
                 sparse=False, **kwargs):
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            if input_length is None:
                kwargs["input_shape"] = (None,)
            else:
                kwargs["input_shape"] = tuple(input_length) if isinstance(input_length, (list, tuple)) \
                    else (input_length,)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = f"Embedding layer '{self.name}'"
        if sparse:
            raise ValueError(f"{who}: sparse=True (tf.SparseTensor inputs and outputs) is not supported; pass dense "
                             f"integer ids. Received sparse={sparse!r}; use sparse=False")
        self.input_dim = _positive_int(input_dim, "input_dim", who)
        self.output_dim = _positive_int(output_dim, "output_dim", who)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        if not isinstance(mask_zero, (bool, np.bool_)):
            raise TypeError(f"{who}: `mask_zero` must be True or False, received mask_zero={mask_zero!r}")
        self.mask_zero = bool(mask_zero)
        if input_length is not None:
            lengths = input_length if isinstance(input_length, (list, tuple)) else [input_length]
            for d in lengths:
                if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d <= 0):
                    raise ValueError(f"{who}: `input_length` must be a positive int (or a list of them, or None), "
                                     f"received input_length={input_length!r}")
            input_length = list(input_length) if isinstance(input_length, (list, tuple)) else int(input_length)
        self.input_length = input_length
        self.supports_masking = self.mask_zero
        # ids stay integers: the automatic Input of a Sequential model is int32 and int lists are not cast
        self._input_dtype = "int32"
        self._keep_int_inputs = True
        # NOTE: as tf.keras, ids are not cast to a mixed policy's compute dtype (float16 holds integers exactly only
        # up to 2048); the float32 embeddings are gathered and the result cast (call)
        self._autocast = False

    def build(self, input_shape):
        self._check_length(tuple(input_shape))
        self.embeddings = self.add_weight("embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, experimental_autocast=False)
        self.built = True

    def _check_length(self, shape):
        if self.input_length is None:
            return
        expected = self.input_length if isinstance(self.input_length, list) else [self.input_length]
        got = list(shape[1:])
        ok = len(got) == len(expected) and all(e is None or g is None or e == g for e, g in zip(expected, got))
        if not ok:
            raise ValueError(f'Embedding layer "{self.name}": `input_length` is {self.input_length}, but received '
                             f"an input with shape {tuple(shape)}")

    def call(self, inputs):
        ids = inputs
        if ids.dtype.kind == "f":
            ids = ag.astype(ids, np.int64)
        out = ag.embedding(self.embeddings, ids)
        if out.dtype != self._np_dtype:
            out = ag.astype(out, self._np_dtype)
        return out

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ag.not_equal(inputs, 0)

    @property
    def _padding_value(self):
        """The input value this layer's mask drops (0 with ``mask_zero``), or None: a traced forward is checked on
        inputs holding it (``engine/traced_forward.py``)."""
        return 0 if self.mask_zero else None

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        })
        return config


class Masking(Layer):
    """Mask the time steps whose features all equal ``mask_value``: downstream layers that support masking
    (RNNs, pooling, losses) skip them, and their features are set to 0.

    Args:
        mask_value: the padding value (default 0.0).

    Example:
        >>> x = np.array([[[1., 2.], [0., 0.], [3., 0.]]], "float32")
        >>> Masking()(x); Masking().compute_mask(x).numpy()
        array([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.integer, np.floating)) or \
                math.isnan(float(mask_value)):
            raise ValueError(f"Masking layer '{self.name}': `mask_value` must be a number, received "
                             f"mask_value={mask_value!r}")
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs):
        return ag.any(ag.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)

    def call(self, inputs):
        keep = self._keep(inputs)
        return inputs * ag.astype(keep, inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return ag.any(ag.not_equal(inputs, self.mask_value), axis=-1)

    @property
    def _padding_value(self):
        """``mask_value``: a traced forward is checked on inputs holding steps of it (``engine/traced_forward.py``)."""
        return self.mask_value

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
