"""Argument checking shared by the convolution, pooling and reshaping layers (Keras's ``conv_utils``).

Every helper takes ``who`` (e.g. ``"Conv2D layer 'conv2d'"``) so its errors name the layer, the argument and
the value received.

Example:
    >>> normalize_tuple(3, 2, "kernel_size", "Conv2D layer 'conv2d'")
    (3, 3)
    >>> normalize_padding("SAME", "Conv2D layer 'conv2d'")
    'same'
"""
import numpy as np

from autograd.ops.nn import conv_output_length  # noqa: F401  (re-exported: one formula for every layer)


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def normalize_tuple(value, n, arg, who, allow_zero=False):
    """``value`` (an int or an iterable of ``n`` ints) as a tuple of ``n`` ints, each > 0 (>= 0 with
    ``allow_zero``); otherwise a ValueError naming ``arg``.

    Example:
        >>> normalize_tuple((2, 3), 2, "strides", "Conv2D layer 'c'")
        (2, 3)
    """
    if _is_int(value):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(f"{who}: the `{arg}` argument must be a tuple of {n} integers. "
                             f"Received: {arg}={value!r}") from None
        if len(out) != n or not all(_is_int(v) for v in out):
            raise ValueError(f"{who}: the `{arg}` argument must be a tuple of {n} integers. "
                             f"Received: {arg}={value!r}")
        out = tuple(int(v) for v in out)
    bad = [v for v in out if (v < 0 if allow_zero else v <= 0)]
    if bad:
        req = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{who}: the `{arg}` argument must be a tuple of {n} integers. Received {arg}={value!r}, "
                         f"including {set(bad)} that does not satisfy the requirement `{req}`.")
    return out


def normalize_padding(value, who, allowed=("valid", "same")):
    """A padding name in lower case, one of ``allowed``; otherwise a ValueError.

    Example:
        >>> conv_utils.normalize_padding('SAME', 'Conv2D')
        'same'
    """
    p = value.lower() if isinstance(value, str) else value
    if p not in allowed:
        raise ValueError(f"{who}: the `padding` argument must be one of {', '.join(repr(a) for a in allowed)}. "
                         f"Received: padding={value!r}")
    return p


def normalize_data_format(value, who):
    """``'channels_last'`` or ``'channels_first'``; None gives ``backend.image_data_format()``.

    Example:
        >>> conv_utils.normalize_data_format(None, 'Conv2D')
        'channels_last'
    """
    if value is None:
        from .. import backend
        return backend.image_data_format()
    v = value.lower() if isinstance(value, str) else value
    if v not in ("channels_last", "channels_first"):
        raise ValueError(f"{who}: the `data_format` argument must be one of 'channels_first', 'channels_last'. "
                         f"Received: data_format={value!r}")
    return v


def positive_int(value, arg, who):
    """``value`` as an int > 0, or a ValueError naming ``arg``.

    Example:
        >>> conv_utils.positive_int(3, 'filters', 'Conv2D')
        3
    """
    if not _is_int(value) or value <= 0:
        raise ValueError(f"{who}: invalid value for argument `{arg}`. Expected a strictly positive integer. "
                         f"Received {arg}={value!r}")
    return int(value)


def pair_of_pairs(value, arg, who):
    """Keras's 2-d padding/cropping forms: an int ``p`` -> ((p, p), (p, p)); ``(a, b)`` -> ((a, a), (b, b));
    ``((t, b), (l, r))`` as given. Every entry an int >= 0.

    Example:
        >>> conv_utils.pair_of_pairs(1, 'padding', 'ZeroPadding2D')
        ((1, 1), (1, 1))
        >>> conv_utils.pair_of_pairs((1, 2), 'padding', 'ZeroPadding2D')
        ((1, 1), (2, 2))
    """
    if _is_int(value):
        if value < 0:
            raise ValueError(f"{who}: `{arg}` must be non-negative, received {arg}={value!r}")
        return ((int(value),) * 2,) * 2
    try:
        parts = tuple(value)
    except TypeError:
        parts = None
    if parts is None or len(parts) != 2:
        raise ValueError(f"{who}: `{arg}` should have two elements (an int, a tuple of 2 ints, or a tuple of 2 "
                         f"tuples of 2 ints). Received: {arg}={value!r}")
    out = []
    for i, p in enumerate(parts):
        if _is_int(p):
            out.append((int(p), int(p)))
        else:
            out.append(normalize_tuple(p, 2, f"{arg}[{i}]", who, allow_zero=True))
        if out[-1][0] < 0 or out[-1][1] < 0:
            raise ValueError(f"{who}: `{arg}` must be non-negative, received {arg}={value!r}")
    return tuple(out)


def triple_of_pairs(value, arg, who):
    """Keras's 3-d padding/cropping forms: an int ``p`` -> ((p, p),) * 3; ``(a, b, c)`` -> ((a, a), (b, b), (c, c));
    three pairs as given. Every entry an int >= 0.

    Example:
        >>> conv_utils.triple_of_pairs((1, 2, (0, 3)), 'padding', 'ZeroPadding3D')
        ((1, 1), (2, 2), (0, 3))
    """
    if _is_int(value):
        if value < 0:
            raise ValueError(f"{who}: `{arg}` must be non-negative, received {arg}={value!r}")
        return ((int(value),) * 2,) * 3
    try:
        parts = tuple(value)
    except TypeError:
        parts = None
    if parts is None or len(parts) != 3:
        raise ValueError(f"{who}: `{arg}` should have 3 elements (an int, a tuple of 3 ints, or a tuple of 3 "
                         f"tuples of 2 ints). Received: {arg}={value!r}")
    ordinal = ("1st", "2nd", "3rd")
    return tuple(normalize_tuple(p, 2, f"{ordinal[i]} entry of {arg}", who, allow_zero=True)
                 for i, p in enumerate(parts))


def check_output_size(in_shape, out_shape, who):
    """A ValueError naming the layer and both shapes when a known output dimension is <= 0.

    Example:
        >>> conv_utils.check_output_size((None, 5, 5, 3), (None, 3, 3, 8), 'Conv2D')  # fine: nothing happens
    """
    if any(d is not None and d <= 0 for d in out_shape):
        raise ValueError(f"{who}: one of the dimensions in the output is <= 0 due to downsampling. Consider "
                         f"increasing the input size. Received input shape {tuple(in_shape)} which would produce "
                         f"output shape {tuple(out_shape)} with a zero or negative value in a dimension.")
