"""Variable: a named, assignable autograd Tensor that holds a layer's or an optimizer's state.

Example:
    >>> v = Variable(np.zeros((2,), np.float32), name="dense/bias:0")
    >>> v.assign([1.0, 2.0]); v.numpy()
    array([1., 2.], dtype=float32)
"""
import weakref

import numpy as np

import autograd as ag

# every Variable alive, by id: a captured training step reads them by reference (see live_variables)
_ALIVE = weakref.WeakValueDictionary()


class Variable(ag.Tensor):
    """A leaf Tensor with a Keras name (``"dense/kernel:0"``), trainability and an optional constraint.

    Trainable floating-point variables require grad; the rest (moving statistics, optimizer slots,
    iteration counters) do not.

    Args:
        value: the initial value (array-like).
        name: the Keras name; ``":0"`` is appended when missing.
        trainable: whether training updates it.
        dtype: the dtype (default: that of ``value``, kept as given).
        constraint: a callable applied to the value after each optimizer update.

    Example:
        >>> v = Variable(np.ones(2, "float32"), name="w")
        >>> v.name, v.trainable, v.requires_grad
        ('w:0', True, True)
    """

    __slots__ = ("name", "trainable", "constraint")

    #: state: a captured step (``autograd.trace.capture``) reads a Variable by reference at every replay
    _trace_state = True

    def __init__(self, value, name="Variable:0", trainable=True, dtype=None, constraint=None):
        data = value.data if isinstance(value, ag.Tensor) else value
        arr = np.array(data, dtype=dtype, copy=True) if dtype is not None else np.array(data, copy=True)
        trainable = bool(trainable)
        super().__init__(arr, requires_grad=trainable and arr.dtype.kind == "f")
        self.name = name if ":" in name else name + ":0"
        self.trainable = trainable
        self.constraint = constraint
        _ALIVE[id(self)] = self

    @classmethod
    def deferred(cls, shape, dtype, name="Variable:0", trainable=True, constraint=None):
        """A variable of ``shape`` whose value is not allocated yet: a read-only zero view that costs no memory
        until ``assign`` (``set_weights``, ``load_weights``) gives it a value of its own (see
        ``engine.base_layer.deferred_weight_values``).

        Example:
            >>> v = Variable.deferred((1000, 1000), "float32", name="w")
            >>> v.has_value, v.assign(np.ones((1000, 1000))).has_value
            (False, True)
        """
        var = cls.__new__(cls)
        zeros = np.broadcast_to(np.zeros((), dtype=dtype), tuple(shape))
        trainable = bool(trainable)
        ag.Tensor.__init__(var, zeros, requires_grad=trainable and zeros.dtype.kind == "f")
        var.name = name if ":" in name else name + ":0"
        var.trainable = trainable
        var.constraint = constraint
        return var

    @property
    def has_value(self):
        """False for a deferred variable that has not been assigned a value yet."""
        return bool(self.data.flags.writeable)

    @property
    def path(self):
        """The name without the ``:0`` suffix (``dense/kernel``)."""
        return self.name.rsplit(":", 1)[0]

    def numpy(self):
        """A copy of the current value, as ``tf.Variable.numpy()`` gives."""
        return self.data.copy()

    def value(self):
        """The variable as a plain (non-assignable) tensor view."""
        return self.detach()

    def accepts_shape(self, shape):
        """Whether a value of ``shape`` can be assigned (loading checks this before assigning anything).

        Example:
            >>> Variable(np.zeros(2, "float32"), name="w").accepts_shape((2,))
            True
        """
        return tuple(shape) == tuple(self.shape)

    def assign(self, value):
        """Set the value in place (shape must match); returns self."""
        v = np.asarray(value.data if isinstance(value, ag.Tensor) else value)
        if v.shape != self.shape:
            raise ValueError(f"Variable '{self.name}': cannot assign a value of shape {v.shape} to a variable of "
                             f"shape {self.shape}")
        if not self.data.flags.writeable:       # a deferred variable gets its own memory now
            self.data = np.array(v, dtype=self.dtype, copy=True)
            self._version += 1
            return self
        ag.assign(self, v)
        return self

    def assign_add(self, value):
        """Add to the value in place; returns self."""
        ag.assign_add(self, value)
        return self

    def assign_sub(self, value):
        """Subtract from the value in place; returns self."""
        ag.assign_sub(self, value)
        return self

    def __repr__(self):
        return (f"<kerasfront.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={np.array2string(self.data, threshold=20)}>")


class ResizableVariable(Variable):
    """A Variable whose size may change when assigned (its rank may not): state whose size depends on the data,
    such as ``Discretization``'s quantile summary (a ``(2, None)`` variable in tf.keras).

    Example:
        >>> v = ResizableVariable(np.zeros((2, 0), "float32"), name="summary", trainable=False)
        >>> v.assign(np.ones((2, 3))).shape
        (2, 3)
    """

    __slots__ = ()

    def accepts_shape(self, shape):
        return len(tuple(shape)) == self.ndim

    def assign(self, value):
        v = np.asarray(value.data if isinstance(value, ag.Tensor) else value)
        if v.shape == self.shape:
            return super().assign(v)
        if v.ndim != self.ndim:
            raise ValueError(f"Variable '{self.name}': cannot assign a value of rank {v.ndim} (shape {v.shape}) to a "
                             f"variable of rank {self.ndim}")
        self.data = np.array(v, dtype=self.dtype, copy=True)
        self._version += 1
        return self


def live_variables():
    """Every Variable alive now (a captured training step binds them, and ops given their bare arrays, by
    reference).

    Example:
        >>> v = Variable(np.zeros(2, "float32"), name="w")
        >>> any(u is v for u in live_variables())
        True
    """
    return list(_ALIVE.values())
