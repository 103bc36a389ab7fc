"""Built-in data sets, loaded the way ``tf.keras.datasets`` loads them.

- ``digits``: 1797 real 8x8 handwritten digits shipped inside the package (no download).
- ``mnist``: reads the standard ``mnist.npz`` when you have the file (no download either).

Example:
    >>> from kerasfront.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, x_train.dtype
    ((1442, 8, 8), dtype('uint8'))
"""
from . import digits, mnist

__all__ = ["digits", "mnist"]
