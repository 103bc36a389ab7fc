"""KerasTensor: a symbolic tensor (shape with a None batch axis, dtype) flowing through the functional API.

Calling a layer on KerasTensors records a ``Node`` and returns new KerasTensors; ``Model(inputs, outputs)``
walks those nodes. A KerasTensor holds no values.

Example:
    >>> x = Input(shape=(3,))
    >>> x.shape
    (None, 3)
"""
import collections


class TensorShape(tuple):
    """A shape tuple that also answers ``as_list()`` and ``rank`` (as ``tf.TensorShape`` does).

    Example:
        >>> shape = TensorShape((None, 3))
        >>> shape.as_list(), shape.rank
        ([None, 3], 2)
    """

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)


KerasHistory = collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])
KerasHistory.__doc__ = """Where a KerasTensor came from: ``(layer, node_index, tensor_index)``.

Example:
    >>> x = kerasfront.Input(shape=(3,), name="x")
    >>> x._keras_history.layer.name, x._keras_history.node_index, x._keras_history.tensor_index
    ('x', 0, 0)
"""


class KerasTensor:
    """A symbolic tensor: ``shape`` (None for unknown sizes), ``dtype`` name and the layer call that made it.

    Args:
        shape: the shape, with None for unknown sizes (usually the batch axis).
        dtype: the dtype name.
        name: an optional name.

    Example:
        >>> KerasTensor((None, 3))
        <KerasTensor: shape=(None, 3) dtype=float32>
    """

    __slots__ = ("_shape", "dtype", "_keras_history", "name", "__weakref__")
    #: what ``backend.is_keras_tensor`` looks for (the backend imports nothing from the engine)
    _keras_symbolic = True

    def __init__(self, shape, dtype="float32", name=None):
        self._shape = TensorShape(None if d is None else int(d) for d in shape)
        self.dtype = str(dtype)
        self._keras_history = None
        self.name = name

    @property
    def shape(self):
        return self._shape

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def node(self):
        """The Node that produced this tensor."""
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self):
        by = f" (created by layer '{self._keras_history.layer.name}')" if self._keras_history is not None else ""
        return f"<KerasTensor: shape={tuple(self._shape)} dtype={self.dtype}{by}>"

    def __len__(self):
        raise TypeError(f"len() of a symbolic KerasTensor is not defined (shape {tuple(self._shape)}); use "
                        f"x.shape[0]")

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"You are passing {self!r}, an intermediate Keras symbolic input/output, to a function that needs real "
            f"values (numpy or autograd ops). Symbolic tensors only flow through Keras layers: wrap the computation "
            f"in a layer, e.g. keras.layers.Lambda(lambda t: ...)(x).")

    def __bool__(self):
        raise TypeError(f"The truth value of a symbolic KerasTensor ({self!r}) is not defined.")

    # arithmetic on symbolic tensors builds a Lambda layer, as tf.keras builds an op layer
    def _op(self, other, fn, name, reverse=False):
        from ..layers.core import _OpLambda
        if isinstance(other, KerasTensor):
            return _OpLambda(fn, name=None, op_name=name, n_inputs=2, reverse=reverse)([self, other])
        return _OpLambda(fn, name=None, op_name=name, constant=other, reverse=reverse)(self)

    def __add__(self, o):
        return self._op(o, "operator_add", "add")

    def __radd__(self, o):
        return self._op(o, "operator_add", "add", reverse=True)

    def __sub__(self, o):
        return self._op(o, "subtract", "subtract")

    def __rsub__(self, o):
        return self._op(o, "subtract", "subtract", reverse=True)

    def __mul__(self, o):
        return self._op(o, "multiply", "multiply")

    def __rmul__(self, o):
        return self._op(o, "multiply", "multiply", reverse=True)

    def __truediv__(self, o):
        return self._op(o, "divide", "truediv")

    def __rtruediv__(self, o):
        return self._op(o, "divide", "truediv", reverse=True)

    def __pow__(self, o):
        return self._op(o, "power", "pow")

    def __neg__(self):
        return self._op(-1.0, "multiply", "negative")

    def __getitem__(self, index):
        from ..layers.core import _OpLambda
        return _OpLambda("getitem", op_name="getitem", constant=index)(self)

    __hash__ = object.__hash__
