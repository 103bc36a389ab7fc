"""Checks of constructor arguments that name the argument, what was expected and what was received.

Example:
    >>> flag(True, "use_bias", "Conv3D layer 'conv3d'")
    True
    >>> number(0.5, "ema_momentum", "Adam", low=0.0, high=1.0)
    0.5
    >>> flag("yes", "use_bias", "Conv3D layer 'conv3d'")
    Traceback (most recent call last):
    ...
    TypeError: Conv3D layer 'conv3d': `use_bias` must be True or False, received use_bias='yes'
"""
import math
import numbers

import numpy as np

__all__ = ["flag", "number", "integer"]


def flag(value, arg, who):
    """``value`` as a bool; a TypeError naming ``arg`` unless it is True or False (numpy's bools too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: `{arg}` must be True or False, received {arg}={value!r}")
    return bool(value)


def number(value, arg, who, low=None, high=None, allow_none=False):
    """``value`` as a finite real number in [low, high] (either bound optional); None passes with
    ``allow_none``. A ValueError names ``arg``, the range and the value."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value) or \
            (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            want = f"a number in [{low}, {high}]"
        elif low is not None:
            want = f"a number >= {low}"
        elif high is not None:
            want = f"a number <= {high}"
        else:
            want = "a finite number"
        raise ValueError(f"{who}: `{arg}` must be {want}{' or None' if allow_none else ''}, received {arg}={value!r}")
    return value


def integer(value, arg, who, low=None, allow_none=False):
    """``value`` as an int >= ``low`` (optional); None passes with ``allow_none``. A ValueError names ``arg``."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or \
            (low is not None and value < low):
        want = "an integer" + (f" >= {low}" if low is not None else "") + (" or None" if allow_none else "")
        raise ValueError(f"{who}: `{arg}` must be {want}, received {arg}={value!r}")
    return int(value)
