"""CIFAR-100: 50 000 training and 10 000 test 32x32 colour images with 100 fine (or 20 coarse) labels, from
Keras's ``cifar-100-python`` (the tar.gz Keras downloads, extracted in ``$KERAS_HOME/datasets``).

Example:
    >>> (x_train, y_train), _ = load_data(label_mode="coarse")         # doctest: +SKIP
"""
import os

import numpy as np

from ._cifar import load_batch
from ._files import fetch

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine", cache_dir=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)`` and int64 labels ``(n, 1)``
    (as tf.keras gives them), fine (0..99) or coarse (0..19).

    Example:
        >>> (x_train, y_train), _ = load_data()                       # doctest: +SKIP
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    from .. import backend
    path = fetch("cifar-100-python", ORIGIN, file_hash=FILE_HASH, cache_dir=cache_dir, untar=True,
                 who="cifar100.load_data")
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=label_mode + "_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=label_mode + "_labels")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    if backend.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
