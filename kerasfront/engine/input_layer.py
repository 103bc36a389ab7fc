"""Input and InputLayer: the entry points of a functional model.

Example:
    >>> inp = Input(shape=(3,), name="features")
    >>> inp.shape, inp.dtype
    ((None, 3), 'float32')
"""
import numpy as np

from .base_layer import Layer, unique_object_name
from .keras_tensor import KerasTensor, TensorShape  # noqa: F401  (re-exported)
from .node import Node


def _check_shape(shape, arg, who):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (list, tuple)):
        raise TypeError(f"{who}({arg}=...): expected a tuple of ints or None, received {shape!r}")
    out = []
    for d in shape:
        if d is None:
            out.append(None)
        elif isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0:
            out.append(int(d))
        else:
            raise ValueError(f"{who}({arg}=...): every dimension must be a non-negative int or None, received "
                             f"{tuple(shape)}")
    return tuple(out)


class InputLayer(Layer):
    """The layer behind ``Input``: it holds the placeholder KerasTensor a model starts from.

    Args:
        input_shape: the shape of one sample (no batch axis).
        batch_size: a fixed batch size (usually None).
        dtype: the input's dtype name (``'float32'``; ``'int32'`` for token ids).
        batch_input_shape: the full shape including the batch axis (as written in saved configs).
        name: the layer's name (default ``input_1``, ``input_2``, ...).

    Example:
        >>> layer = InputLayer(input_shape=(3,))
        >>> layer.output.shape
        (None, 3)
    """

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None, sparse=None, name=None,
                 ragged=None, type_spec=None, optional=False, **kwargs):
        # NOTE: as tf.keras, the full shape comes in **kwargs: batch_input_shape (tf.keras) or batch_shape (Keras 3).
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        batch_shape = kwargs.pop("batch_shape", None)
        if sparse:
            raise ValueError("InputLayer(sparse=True): sparse inputs are not supported by kerasfront")
        if ragged:
            raise ValueError("InputLayer(ragged=True): ragged inputs are not supported by kerasfront; pad the "
                             "sequences (kerasfront.utils.pad_sequences) and use masking")
        if batch_shape is not None and batch_input_shape is None:
            batch_input_shape = batch_shape
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise TypeError(f"InputLayer(input_tensor=...): expected a KerasTensor, received "
                                f"{type(input_tensor).__name__}")
            batch_input_shape = tuple(input_tensor.shape)
            dtype = dtype or input_tensor.dtype
        if batch_input_shape is not None:
            if input_shape is not None:
                raise ValueError("InputLayer: give either input_shape or batch_input_shape, not both")
            batch_input_shape = _check_shape(batch_input_shape, "batch_input_shape", "InputLayer")
        elif input_shape is not None:
            batch_input_shape = (batch_size,) + _check_shape(input_shape, "input_shape", "InputLayer")
        else:
            raise ValueError("InputLayer: please provide an input_shape (the shape of one sample, e.g. (3,)) or a "
                             "batch_input_shape")
        if name is None:
            name = unique_object_name("input", zero_based=False)
        kwargs.pop("input_dim", None)
        super().__init__(name=name, dtype=dtype, **{k: v for k, v in kwargs.items() if k != "trainable"})
        self._batch_input_shape = batch_input_shape
        self.is_placeholder = True
        self.sparse = False
        self.ragged = False
        self.optional = bool(optional)
        self.built = True
        self.supports_masking = True
        tensor = KerasTensor(batch_input_shape, self.dtype, name=name)
        Node(self, call_args=(), call_kwargs={}, outputs=tensor)

    def get_config(self):
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": self.optional}

    def call(self, inputs):
        return inputs


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, tensor=None, ragged=None,
          type_spec=None, optional=False, **kwargs):
    """A symbolic input for the functional API: ``Input(shape=(3,))`` stands for a batch of shape ``(None, 3)``.

    Args:
        shape: the shape of one sample, without the batch axis (``None`` for variable sizes).
        batch_size: a fixed batch size (default None: any).
        name: a unique name (default ``input_1``, ...); with dict inputs to ``fit``, the key.
        dtype: ``'float32'`` (default), ``'int32'``/``'int64'`` for token ids.
        optional: the input may be None (as tf.keras records it).
        **kwargs: ``batch_shape`` (Keras 3) or ``batch_input_shape`` (tf.keras): the full shape with the batch axis.

    Example:
        >>> x = Input(shape=(28, 28, 1))
    """
    batch_shape = kwargs.pop("batch_shape", None)
    if kwargs.get("batch_input_shape") is not None:
        batch_shape = kwargs.pop("batch_input_shape")
    kwargs.pop("batch_input_shape", None)
    if kwargs:
        raise TypeError(f"Input(): unknown keyword argument(s) {sorted(kwargs)}; known: shape, batch_size, name, "
                        f"dtype, batch_shape")
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError("Please provide to Input a `shape` (the shape of one sample, e.g. shape=(3,)) or a "
                         "`batch_shape` argument. Note that `shape` does not include the batch dimension.")
    if shape is not None and batch_shape is not None:
        raise ValueError("Input(): give either `shape` or `batch_shape`, not both")
    if batch_shape is not None:
        layer = InputLayer(batch_input_shape=batch_shape, name=name, dtype=dtype, sparse=sparse, ragged=ragged,
                           optional=optional)
    elif tensor is not None and shape is None:
        layer = InputLayer(input_tensor=tensor, name=name, dtype=dtype, sparse=sparse, ragged=ragged,
                           optional=optional)
    else:
        layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype, sparse=sparse,
                           ragged=ragged, optional=optional)
    return layer._inbound_nodes[0].outputs
