"""The Tensor: a numpy array, whether it requires grad, its accumulated grad, and the op that made it.

A Tensor made by an op while recording remembers ``(primitive, inputs, kwargs, input versions)``
in ``_ctx``; a leaf has ``_ctx = None``. Operator methods only delegate to ops.

Example:
    >>> import autograd as ag
    >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    Tensor([2., 4.])
"""
import itertools

import numpy as np

from .modes import STATE

_new = object.__new__

#: creation counter of recorded nodes: an op's output always gets a larger number than its inputs,
#: so the backward pass visits nodes in decreasing order without sorting the graph first.
next_seq = itertools.count().__next__


def _is_float_dtype(dtype):
    return dtype.kind in "fc"


class Tensor:
    """An n-d array that records the operations applied to it for reverse-mode differentiation.

    Args:
        data: array-like (numpy array, list, scalar or Tensor; a Tensor's data is shared).
        requires_grad: record ops on this tensor so that gradients flow to it (floating dtypes only).
        dtype: optional numpy dtype to convert ``data`` to.

    Example:
        >>> t = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
        >>> t.shape
        (2, 3)
    """

    __slots__ = ("data", "requires_grad", "grad", "_ctx", "_version", "__weakref__")
    __array_priority__ = 1000.0

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, (list, tuple)) and STATE.grad_enabled and _holds_graph(data):
            raise TypeError(
                "Tensor(data): the list holds tensors that require grad; building a new tensor from them would "
                "drop their gradients: use ag.stack(...) or ag.concatenate(...) instead")
        if dtype is not None:
            arr = np.asarray(data, dtype=dtype)
        else:
            arr = np.asarray(data)
        if arr.dtype == object or arr.dtype.kind in "USV":
            raise TypeError(
                f"Tensor(data): expected numeric data, received an array of dtype {arr.dtype} "
                f"(strings, objects or ragged lists cannot be differentiated)")
        if requires_grad and not _is_float_dtype(arr.dtype):
            raise TypeError(
                f"Tensor(requires_grad=True): only floating-point tensors can require grad, "
                f"received dtype {arr.dtype}; convert first, e.g. .astype('float32')")
        self.data = arr
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._ctx = None
        self._version = 0

    # -- attributes ---------------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def T(self):
        return self.transpose()

    @property
    def is_leaf(self):
        """True for tensors made by the user, not by a recorded op."""
        return self._ctx is None

    def numpy(self):
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            if copy is False:
                raise ValueError(f"np.asarray(Tensor, dtype={dtype}, copy=False): converting from "
                                 f"{self.data.dtype} needs a copy")
            return self.data.astype(dtype)
        if copy:
            return self.data.copy()
        return self.data

    def __getstate__(self):
        # NOTE: pickling keeps the values, requires_grad and grad (and a subclass's own attributes), never
        # the recorded graph, whose ops may be lambdas; an unpickled tensor is a leaf.
        state = {"data": self.data, "requires_grad": self.requires_grad, "grad": self.grad}
        for cls in type(self).__mro__:
            if cls is Tensor:
                break
            for name in getattr(cls, "__slots__", ()):
                if name not in state and name != "__weakref__" and hasattr(self, name):
                    state[name] = getattr(self, name)
        if hasattr(self, "__dict__"):
            state.update(self.__dict__)
        return state

    def __setstate__(self, state):
        self._ctx = None
        self._version = 0
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def item(self):
        """The single element as a Python scalar."""
        if STATE.tracer is not None:
            STATE.tracer.python_read(self, "item()")
        if self.data.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted, shape is {self.shape}")
        return self.data.item()

    def tolist(self):
        if STATE.tracer is not None:
            STATE.tracer.python_read(self, "tolist()")
        return self.data.tolist()

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.data.dtype not in (np.float64, np.int64, np.bool_):
            extra += f", dtype={self.data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # NOTE: a step being captured (autograd.trace.capture) cannot replay Python that reads its values (a branch
    # on the data, a number computed in Python): these conversions tell the tracer, which stops that capture
    def __bool__(self):
        if STATE.tracer is not None:
            STATE.tracer.python_read(self, "bool()")
        return bool(self.data)

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def _scalar(self, what):
        if STATE.tracer is not None:
            STATE.tracer.python_read(self, f"{what}()")
        if self.data.size != 1:
            raise TypeError(f"{what}(): only a tensor with one element can be converted to a Python scalar, "
                            f"shape is {self.shape}")
        return self.data.item()

    def __format__(self, spec):
        if spec and self.data.size == 1:
            return format(self.data.item(), spec)
        return format(repr(self), spec)

    def __index__(self):
        if STATE.tracer is not None:
            STATE.tracer.python_read(self, "an index")
        return self.data.__index__()

    __hash__ = object.__hash__

    # -- graph ----------------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            grad: the cotangent of ``self`` (required unless self has one element).
            retain_graph: keep the recorded graph so backward can run through it again.
            create_graph: record the backward pass itself, for higher-order gradients.
        """
        from .engine import backward
        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad(self):
        """Forget the accumulated gradient (sets ``grad`` to None)."""
        self.grad = None

    def detach(self):
        """A new leaf sharing this tensor's data, not connected to any graph."""
        t = _new(Tensor)
        t.data = self.data
        t.requires_grad = False
        t.grad = None
        t._ctx = None
        t._version = 0
        if STATE.observe and STATE.tracer is not None:     # a trace keeps the stop of the gradient
            STATE.tracer.record_detach(self, t)
        return t

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use .detach() instead")
        if requires_grad and not _is_float_dtype(self.data.dtype):
            raise TypeError(f"requires_grad_(): only floating-point tensors can require grad, dtype is {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def __setitem__(self, index, value):
        if STATE.grad_enabled and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
            raise RuntimeError(
                "in-place item assignment on a tensor that requires grad (or with a value that requires grad) "
                "cannot be differentiated; build the result with ag.where / ag.concatenate, or use ag.no_grad()")
        self.data[index] = value.data if isinstance(value, Tensor) else value
        self._version += 1

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .numpy_dispatch import array_ufunc
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from .numpy_dispatch import array_function
        return array_function(func, types, args, kwargs)


def _holds_graph(items):
    for item in items:
        if isinstance(item, Tensor):
            if item.requires_grad:
                return True
        elif isinstance(item, (list, tuple)) and _holds_graph(item):
            return True
    return False


def make_leaf(data):
    """Wrap an ndarray as a constant Tensor without validation (internal, hot path).

    Example:
        >>> from autograd.tensor import make_leaf
        >>> make_leaf(np.array([1.0, 2.0]))
        Tensor([1., 2.])
    """
    t = _new(Tensor)
    t.data = data
    t.requires_grad = False
    t.grad = None
    t._ctx = None
    t._version = 0
    return t


def constant(x, what):
    """``x`` (a number or an array-like) as a constant Tensor; a TypeError that starts with ``what`` for a value
    that is not numeric (a dict, None, a string), which would otherwise become an object array.

    Example:
        >>> from autograd.tensor import constant
        >>> constant(2.0, "f")
        Tensor(2.)
        >>> constant(None, "grad: the function must return a Tensor")
        Traceback (most recent call last):
        ...
        TypeError: grad: the function must return a Tensor, received NoneType
    """
    try:
        data = np.asarray(x)
    except ValueError:           # ragged nested lists
        data = None
    if data is None or data.dtype == object or data.dtype.kind in "USV":
        raise TypeError(f"{what}, received {type(x).__name__}")
    return make_leaf(data)


def make_node(data, ctx):
    """Wrap an ndarray produced by a recorded op (internal).

    ``ctx`` is ``(primitive, args, kwargs, versions)``; the node's creation number is appended here.

    Example:
        >>> from autograd.tensor import make_node
        >>> x = ag.tensor([2.0], requires_grad=True)
        >>> y = make_node(x.data * 3, (ag.multiply.primitive, (x, 3.0), None, (x._version,)))
        >>> y.backward(np.ones(1)); x.grad
        Tensor([3.])
    """
    t = _new(Tensor)
    t.data = data
    t.requires_grad = True
    t.grad = None
    t._ctx = (ctx[0], ctx[1], ctx[2], ctx[3], next_seq()) if len(ctx) == 4 else ctx
    t._version = 0
    return t


def tensor(data, requires_grad=False, dtype=None):
    """Make a Tensor over a copy of ``data`` (like ``np.array``; ``Tensor(...)`` shares a numpy array).

    Example:
        >>> tensor([1.0, 2.0], requires_grad=True)
        Tensor([1., 2.], requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (list, tuple)) and STATE.grad_enabled and _holds_graph(data):
        return Tensor(data)   # raises, naming ag.stack
    return Tensor(np.array(data, dtype=dtype), requires_grad=requires_grad)


def as_tensor(x):
    """Return ``x`` if it is a Tensor, else a constant Tensor over ``np.asarray(x)``.

    Example:
        >>> ag.as_tensor([1, 2])
        Tensor([1, 2])
        >>> t = ag.tensor([1.0]); ag.as_tensor(t) is t
        True
    """
    if isinstance(x, Tensor):
        return x
    return make_leaf(np.asarray(x))
