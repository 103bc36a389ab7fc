"""Data sets, loaded the way ``tf.keras.datasets`` loads them.

- ``digits``: 1797 real 8x8 handwritten digits shipped inside the package (no download).
- ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``, ``boston_housing``: read from
  the files Keras downloads, in Keras's cache folder (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``),
  so a machine that ever ran Keras has them; downloaded there (hash checked) when missing, with the same
  splits, dtypes and preprocessing as tf.keras.

Example:
    >>> from kerasfront.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, x_train.dtype
    ((1442, 8, 8), dtype('uint8'))
"""
from . import boston_housing, cifar10, cifar100, digits, fashion_mnist, imdb, mnist, reuters

__all__ = ["boston_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb", "mnist", "reuters"]
