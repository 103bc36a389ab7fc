"""CIFAR-10: 50 000 training and 10 000 test 32x32 colour images of 10 classes, from Keras's
``cifar-10-batches-py`` (the tar.gz Keras downloads, extracted in ``$KERAS_HOME/datasets``).

Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data()              # doctest: +SKIP
    >>> x_train.shape, y_train.shape                                   # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1))
"""
import os

import numpy as np

from ._cifar import load_batch
from ._files import fetch

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data(cache_dir=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)`` (channels first when
    ``backend.image_data_format()`` says so) and uint8 labels ``(n, 1)``.

    Example:
        >>> (x_train, y_train), _ = load_data()                       # doctest: +SKIP
    """
    from .. import backend
    path = fetch("cifar-10-batches-py", ORIGIN, file_hash=FILE_HASH, cache_dir=cache_dir, untar=True,
                 who="cifar10.load_data")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(y) for _, y in parts]).astype("uint8").reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_test = np.asarray(y_test).reshape(-1, 1).astype(y_train.dtype)
    if backend.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test)
