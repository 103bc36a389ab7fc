"""K's elementwise and shape functions that autograd provides under another name: sin, cos, cumprod,
arange, repeat, reverse, in_top_k.

Example:
    >>> import kerasfront.backend as K
    >>> K.reverse(K.arange(4), 0)
    Tensor([3, 2, 1, 0], dtype=int32)
"""
import numpy as np

import autograd as ag

from .. import backend as K

__all__ = ["sin", "cos", "cumprod", "arange", "repeat", "reverse", "in_top_k"]


@K._symbolic_op("math.sin")
def sin(x):
    """Elementwise sine.

    Example:
        >>> K.sin(K.constant([0.0]))
        Tensor([0.], dtype=float32)
    """
    return ag.sin(K._float(x))


@K._symbolic_op("math.cos")
def cos(x):
    """Elementwise cosine.

    Example:
        >>> K.cos(K.constant([0.0]))
        Tensor([1.], dtype=float32)
    """
    return ag.cos(K._float(x))


def cumprod(x, axis=0):
    """Running product along ``axis`` (gradients exact where ``x`` has zeros).

    Example:
        >>> K.cumprod(K.constant([1.0, 2.0, 3.0]))
        Tensor([1., 2., 6.], dtype=float32)
    """
    return ag.cumprod(K._t(x), axis=axis)


def arange(start, stop=None, step=1, dtype="int32"):
    """``start, start + step, ...`` below ``stop`` (one argument: 0 .. start - 1; a negative one: empty).

    Example:
        >>> K.arange(1, 7, 2, dtype="float32")
        Tensor([1., 3., 5.], dtype=float32)
    """
    if isinstance(step, bool) or not isinstance(step, (int, float, np.integer, np.floating)) or step == 0:
        raise ValueError(f"arange: `step` must be a non-zero number, received step={step!r}")
    if stop is None and start < 0:
        start = 0
    values = np.arange(0, start, step) if stop is None else np.arange(start, stop, step)
    return ag.Tensor(values.astype(dtype))


def repeat(x, n):
    """A 2-d ``x`` (batch, features) repeated ``n`` times along a new axis 1: (batch, n, features).

    Example:
        >>> K.int_shape(K.repeat(K.ones((2, 3)), 4))
        (2, 4, 3)
    """
    x = K._t(x)
    if x.ndim != 2:
        raise ValueError(f"repeat: x must be 2-d (batch, features), received shape {x.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"repeat: `n` must be a non-negative integer, received n={n!r}")
    return ag.tile(ag.expand_dims(x, 1), (1, int(n), 1))


def reverse(x, axes):
    """``x`` with the order of its entries reversed along ``axes`` (an int or a list).

    Example:
        >>> K.reverse(K.constant([[1.0, 2.0], [3.0, 4.0]]), axes=1)
        Tensor([[2., 1.],
                [4., 3.]], dtype=float32)
    """
    axes = (int(axes),) if isinstance(axes, (int, np.integer)) else tuple(int(a) for a in axes)
    return ag.flip(K._t(x), axis=axes)


def in_top_k(predictions, targets, k):
    """Whether each row's target class is among its ``k`` largest predictions (bool, one per row).

    Classes tied with the k-th largest count as in the top k, and a row with a non-finite prediction is
    False, as tf.math.in_top_k.

    Example:
        >>> K.in_top_k(K.constant([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]), np.array([2, 0]), 1)
        Tensor([False,  True])
    """
    p = K._t(predictions)
    if p.ndim != 2:
        raise ValueError(f"in_top_k: predictions must be 2-d (batch, classes), received shape {p.shape}")
    t = np.asarray(targets.data if isinstance(targets, ag.Tensor) else targets).astype(np.int64).reshape(-1)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"in_top_k: {t.shape[0]} targets for {p.shape[0]} rows of predictions")
    rows = np.arange(p.shape[0])
    valid = (t >= 0) & (t < p.shape[1])
    target = ag.expand_dims(p[rows, np.where(valid, t, 0)], 1)
    above = ag.sum(ag.astype(ag.greater(p, target), np.int64), axis=1)
    finite = ag.all(ag.isfinite(p), axis=1)
    return ag.logical_and(ag.logical_and(ag.less(above, int(k)), finite), ag.Tensor(valid))
