"""An entry of ``Optimizer.keras3_variables()`` for state that Keras 3 saves as a variable but kerasfront keeps
elsewhere (Nadam's momentum product, a Python number) or not at all (Adafactor's scalar placeholders for the
variables it does not factor). It reads and writes like a variable (``shape``, ``dtype``, ``numpy()``,
``assign()``), so the ``.keras`` reader and writer treat every entry alike.

Example:
    >>> box = {"p": np.float32(0.5)}
    >>> state = Keras3State("momentum_product", (), "float32", get=lambda: box["p"], set=lambda v: box.update(p=v))
    >>> state.assign(np.float32(0.25)); float(state.numpy())
    0.25
"""
import numpy as np

__all__ = ["Keras3State", "keras3_placeholder"]


class Keras3State:
    """A value saved in Keras 3's optimizer variable list, read with ``get()`` and restored with ``set(value)``.

    Args:
        name: what it is, for messages (``"Nadam/momentum_product"``).
        shape: its shape in the file.
        dtype: its dtype in the file.
        get: a function giving the current value.
        set: a function taking the loaded value (cast to ``dtype``); None: the loaded value is ignored.

    Example:
        >>> Keras3State("r/bias", (), "int32", get=lambda: 0).numpy()
        array(0, dtype=int32)
    """

    __slots__ = ("name", "shape", "dtype", "_get", "_set")

    def __init__(self, name, shape, dtype, get, set=None):
        self.name = name
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._get = get
        self._set = set

    def numpy(self):
        """The value to save, as an array of ``shape`` and ``dtype``."""
        return np.asarray(self._get(), dtype=self.dtype).reshape(self.shape)

    def accepts_shape(self, shape):
        """True when a saved value of ``shape`` can be loaded here."""
        return tuple(shape) == self.shape

    def assign(self, value):
        """Take the loaded ``value`` (ignored when there is no ``set``)."""
        if self._set is not None:
            self._set(np.asarray(value, dtype=self.dtype).reshape(self.shape))

    def __repr__(self):
        return f"<Keras3State {self.name} shape={self.shape} dtype={self.dtype}>"


def keras3_placeholder(name):
    """The scalar int32 0 Keras 3 saves in place of a slot it does not make (Adafactor's ``r`` and ``c`` of a
    variable of rank < 2); loading ignores its value.

    Example:
        >>> keras3_placeholder("Adafactor/r/dense/bias").numpy()
        array(0, dtype=int32)
    """
    return Keras3State(name, (), "int32", get=lambda: 0)
