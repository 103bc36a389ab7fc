"""In-place updates of tensor data, outside any graph: what optimizers use to change weights.

Each bumps the tensor's version, so a graph that saved the old values refuses to backward through them.

Example:
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> ag.assign_sub(w, [0.5, 0.5]); w
    Tensor([0.5, 1.5], requires_grad=True)
"""
import numpy as np

from .tensor import Tensor


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _check(t, value, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor to update, received {type(t).__name__}")
    v = np.asarray(_data(value))
    if v.shape != t.shape and np.broadcast_shapes(v.shape, t.shape) != t.shape:
        raise ValueError(f"{name}: value of shape {v.shape} does not fit the tensor's shape {t.shape}")
    return v


def assign(t, value):
    """Overwrite ``t``'s data with ``value`` (cast to ``t``'s dtype); returns ``t``."""
    v = _check(t, value, "assign")
    np.copyto(t.data, v, casting="unsafe")
    t._version += 1
    return t


def assign_add(t, value):
    """``t += value`` in place; returns ``t``."""
    v = _check(t, value, "assign_add")
    np.add(t.data, v, out=t.data, casting="unsafe")
    t._version += 1
    return t


def assign_sub(t, value):
    """``t -= value`` in place; returns ``t``."""
    v = _check(t, value, "assign_sub")
    np.subtract(t.data, v, out=t.data, casting="unsafe")
    t._version += 1
    return t
