"""MNIST: 60 000 training and 10 000 test 28x28 grey-scale digits, from Keras's ``mnist.npz``.

Read from Keras's cache (``$KERAS_HOME/datasets/mnist.npz``, default ``~/.keras/datasets``), where tf.keras
keeps it; downloaded there (sha256 checked) when missing.

Example:
    >>> from kerasfront.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()          # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                                     # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""
import numpy as np

from ._files import BASE_URL, fetch

__all__ = ["load_data"]

ORIGIN = BASE_URL + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path="mnist.npz", cache_dir=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)`` in 0..255 and uint8 labels 0..9.

    Args:
        path: the file's name in the cache (an absolute path is used as it is; its hash is still checked).
        cache_dir: the cache folder instead of ``$KERAS_HOME`` / ``~/.keras``.

    Example:
        >>> (x_train, y_train), _ = load_data()                       # doctest: +SKIP
    """
    file = fetch(path, ORIGIN, file_hash=FILE_HASH, cache_dir=cache_dir, who="mnist.load_data")
    with np.load(file, allow_pickle=False) as data:
        missing = [k for k in _KEYS if k not in data.files]
        if missing:
            raise ValueError(f"mnist.load_data: {file} lacks the key(s) {missing}; expected the keys {list(_KEYS)}, "
                             f"found {sorted(data.files)}")
        x_train, y_train, x_test, y_test = (data[k] for k in _KEYS)
    return (x_train, y_train), (x_test, y_test)
