"""One batch's structure: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``, packed and unpacked as
tf.keras does (for custom ``train_step`` methods and generators).

Example:
    >>> unpack_x_y_sample_weight(pack_x_y_sample_weight("x", "y"))
    ('x', 'y', None)
"""

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch given as ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sw)``; the
    inverse of ``pack_x_y_sample_weight``. Public as ``kerasfront.utils.unpack_x_y_sample_weight``.

    Example:
        >>> unpack_x_y_sample_weight((1, 2))
        (1, 2, None)
    """
    return unpack_batch(data)


def unpack_batch(data, arg="data"):
    """``unpack_x_y_sample_weight`` whose error names the argument ``arg`` the batch came from.

    Example:
        >>> unpack_batch((1, 2, 3), "batch")
        (1, 2, 3)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"{arg}: expected a tuple (x,), (x, y) or (x, y, sample_weight), received a tuple of "
                     f"{len(data)} elements")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch ``x``, ``(x, y)`` or ``(x, y, sample_weight)`` that ``unpack_x_y_sample_weight`` takes apart
    (``x`` alone comes back as ``(x,)`` when it is a tuple or list, so it is not read as ``(x, y)``). Public as
    ``kerasfront.utils.pack_x_y_sample_weight``.

    Example:
        >>> pack_x_y_sample_weight(1, 2)
        (1, 2)
        >>> pack_x_y_sample_weight(1)
        1
    """
    if y is None:
        if isinstance(x, (list, tuple)):
            return (x,)
        return x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)
