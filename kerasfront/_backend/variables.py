"""K's functions on variables: in-place updates (update, update_add, update_sub, moving_average_update),
random variables, and manual_variable_initialization (a TF1 session setting, kept as a flag).

Example:
    >>> import kerasfront.backend as K
    >>> v = K.variable([1.0, 2.0])
    >>> K.get_value(K.update_add(v, [1.0, 1.0]))
    array([2., 3.], dtype=float32)
"""
import numpy as np

import autograd as ag

from .. import backend as K
from ..variables import Variable

__all__ = ["update", "update_add", "update_sub", "moving_average_update", "random_normal_variable",
           "random_uniform_variable", "manual_variable_initialization"]

_MANUAL_VAR_INIT = [False]


def _variable(x, fn):
    if not isinstance(x, Variable):
        raise TypeError(f"{fn}: `x` must be a variable (K.variable or a layer weight), received {type(x).__name__}")
    return x


def _value(value, x):
    v = value.data if isinstance(value, ag.Tensor) else value
    return np.asarray(v, dtype=x.dtype)


def update(x, new_x):
    """Set the variable ``x`` to ``new_x``; returns ``x``.

    Example:
        >>> K.get_value(K.update(K.variable([1.0]), [5.0]))
        array([5.], dtype=float32)
    """
    return _variable(x, "update").assign(_value(new_x, x))


def update_add(x, increment):
    """Add ``increment`` to the variable ``x`` in place; returns ``x``.

    Example:
        >>> K.get_value(K.update_add(K.variable([1.0]), [2.0]))
        array([3.], dtype=float32)
    """
    return _variable(x, "update_add").assign_add(_value(increment, x))


def update_sub(x, decrement):
    """Subtract ``decrement`` from the variable ``x`` in place; returns ``x``.

    Example:
        >>> K.get_value(K.update_sub(K.variable([1.0]), [2.0]))
        array([-1.], dtype=float32)
    """
    return _variable(x, "update_sub").assign_sub(_value(decrement, x))


def moving_average_update(x, value, momentum):
    """``x = x * momentum + value * (1 - momentum)``, in place (as ``x -= (x - value) * (1 - momentum)``, the
    order tf.keras computes it in); returns ``x``.

    Example:
        >>> K.get_value(K.moving_average_update(K.variable([1.0, 2.0]), [3.0, 3.0], 0.9))
        array([1.2, 2.1], dtype=float32)
    """
    x = _variable(x, "moving_average_update")
    v = _value(value, x)
    m = np.asarray(momentum, dtype=x.dtype)
    return x.assign_sub((x.data - v) * (np.asarray(1, x.dtype) - m))


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable of normal draws with ``mean`` and standard deviation ``scale``.

    Example:
        >>> K.int_shape(K.random_normal_variable((2, 3), 0.0, 1.0, seed=1))
        (2, 3)
    """
    return K.variable(K.random_normal(shape, mean, scale, dtype=dtype or K.floatx(), seed=seed),
                      dtype=dtype or K.floatx(), name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable of uniform draws in [low, high).

    Example:
        >>> v = K.random_uniform_variable((100,), -1.0, 1.0, seed=1)
        >>> bool(np.all(np.abs(K.get_value(v)) < 1.0))
        True
    """
    return K.variable(K.random_uniform(shape, low, high, dtype=dtype or K.floatx(), seed=seed),
                      dtype=dtype or K.floatx(), name=name)


def manual_variable_initialization(value):
    """Record whether variables are initialized by hand (a TF1 session setting: kerasfront's variables always
    hold their initial values, so it changes nothing else).

    Example:
        >>> K.manual_variable_initialization(False)
    """
    _MANUAL_VAR_INIT[0] = bool(value)
