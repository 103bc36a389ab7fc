"""Array helpers for labels: ``to_categorical``, ``to_ordinal`` and ``normalize``.

Example:
    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
"""
import numpy as np


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels (shape ``y.shape + (num_classes,)``, a trailing axis of 1 dropped).

    Args:
        y: integer labels in ``[0, num_classes)``.
        num_classes: number of classes (default ``max(y) + 1``).
        dtype: the result's dtype.

    Returns:
        A numpy array of 0s and 1s of dtype ``dtype``.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    y, input_shape, num_classes = _integer_labels(y, num_classes, "to_categorical")
    out = np.zeros((y.shape[0], int(num_classes)), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out.reshape(input_shape + (int(num_classes),))


def _integer_labels(y, num_classes, who):
    """``y`` flattened to int64 labels, the shape to give back (a trailing axis of 1 dropped) and the number of
    classes (checked, or ``max(y) + 1``); errors name ``who``."""
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{who}(y): labels must be whole numbers, received non-integer values")
        y = y.astype("int64")
    if y.dtype.kind not in "iub":
        raise TypeError(f"{who}(y): expected integer class labels, received an array of dtype {y.dtype}")
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = input_shape[:-1]
    y = y.ravel().astype("int64")
    if y.size and y.min() < 0:
        raise ValueError(f"{who}(y): labels must be non-negative, found {y.min()}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes <= 0:
        raise ValueError(f"{who}(num_classes=...): expected a positive int, received {num_classes!r}")
    if y.size and y.max() >= num_classes:
        raise ValueError(f"{who}(y): label {int(y.max())} is out of range for num_classes={num_classes} "
                         f"(labels must be in [0, {num_classes}))")
    return y, input_shape, int(num_classes)


def to_ordinal(y, num_classes=None, dtype="float32"):
    """Ordinal encoding of integer class labels: class ``k`` of ``n`` becomes ``k`` ones followed by ``n - 1 - k``
    zeros (shape ``y.shape + (num_classes - 1,)``, a trailing axis of 1 dropped), for ordinal regression.

    Args:
        y: integer labels in ``[0, num_classes)``.
        num_classes: number of classes (default ``max(y) + 1``).
        dtype: the result's dtype.

    Example:
        >>> to_ordinal([0, 1, 2, 3], num_classes=4)
        array([[0., 0., 0.],
               [1., 0., 0.],
               [1., 1., 0.],
               [1., 1., 1.]], dtype=float32)
    """
    y, input_shape, num_classes = _integer_labels(y, num_classes, "to_ordinal")
    steps = np.arange(max(num_classes - 1, 0))
    out = (steps[None, :] < y[:, None]).astype(dtype)
    return out.reshape(input_shape + (max(num_classes - 1, 0),))


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero).

    Args:
        x: a numpy array (or array-like).
        axis: the axis along which each vector is normalized.
        order: the norm's order (2: Euclidean), as in ``np.linalg.norm``.

    Returns:
        A numpy array of ``x``'s shape.

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
