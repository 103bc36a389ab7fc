"""Fashion-MNIST: 60 000 training and 10 000 test 28x28 grey-scale images of 10 kinds of clothing, from the four
gzipped IDX files Keras downloads (``$KERAS_HOME/datasets/fashion-mnist/``).

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data()              # doctest: +SKIP
"""
import gzip
import os

import numpy as np

from ._files import BASE_URL, fetch

__all__ = ["load_data"]

ORIGIN = BASE_URL
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz")


def _read(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data(cache_dir=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)`` and uint8 labels 0..9.

    Example:
        >>> (x_train, y_train), _ = load_data()                       # doctest: +SKIP
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(name, ORIGIN + name, cache_dir=cache_dir, cache_subdir=subdir, who="fashion_mnist.load_data")
             for name in FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
