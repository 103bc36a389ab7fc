"""MNIST from the standard ``mnist.npz`` file (keys ``x_train``, ``y_train``, ``x_test``, ``y_test``).

Nothing is downloaded: this reads the file you already have, from the path you give or from the Keras
cache folder (``$KERAS_HOME/datasets/`` when ``KERAS_HOME`` is set, otherwise ``~/.keras/datasets/``),
the place where ``tf.keras`` keeps its own copy after its first download.

Example:
    >>> from kerasfront.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()          # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                                     # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""
import os

import numpy as np

__all__ = ["load_data", "cache_dir"]

_KEYS = ("x_train", "y_train", "x_test", "y_test")
_SOURCE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def cache_dir():
    """The folder ``load_data`` looks in for a bare file name: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``.

    Example:
        >>> os.path.join(cache_dir(), "mnist.npz")   # where load_data() looks for the file by default
    """
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets")


def _candidates(path):
    path = os.fspath(path)
    found = [os.path.expanduser(path)]
    if not os.path.isabs(found[0]):
        found.append(os.path.join(cache_dir(), path))
    return found


def load_data(path="mnist.npz"):
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)`` from an existing ``mnist.npz``.

    Args:
        path: the file, as a path (absolute, or relative to the working directory) or a bare name looked up
            in the Keras cache folder (see ``cache_dir()``).

    Returns:
        Two tuples of numpy arrays, as stored in the file (the standard file: ``x`` uint8 of shape
        ``(n, 28, 28)``, ``y`` uint8 of shape ``(n,)``; 60 000 training and 10 000 test images).

    Raises:
        FileNotFoundError: when the file is in none of the places looked at; the message lists them and
            says where to put the file.
        ValueError: when the file lacks one of the four keys, or an x and its y differ in length.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data("/data/mnist.npz")   # doctest: +SKIP
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"mnist.load_data(path=...): expected a file path (str or os.PathLike), "
                        f"received {type(path).__name__}")
    candidates = _candidates(path)
    existing = [c for c in candidates if os.path.isfile(c)]
    if not existing:
        looked = "\n  ".join(os.path.abspath(c) for c in candidates)
        raise FileNotFoundError(
            f"mnist.load_data: no MNIST file found; looked at:\n  {looked}\n"
            f"kerasfront does not download data sets. Get the standard mnist.npz (for example from "
            f"{_SOURCE}) and either put it at {os.path.join(cache_dir(), 'mnist.npz')} or pass its "
            f"location: mnist.load_data(path='/path/to/mnist.npz').")
    file = existing[0]
    with np.load(file, allow_pickle=False) as data:
        missing = [k for k in _KEYS if k not in data.files]
        if missing:
            raise ValueError(f"mnist.load_data: {file} lacks the key(s) {missing}; expected the keys "
                             f"{list(_KEYS)}, found {sorted(data.files)}")
        x_train, y_train, x_test, y_test = (data[k] for k in _KEYS)
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if len(x) != len(y):
            raise ValueError(f"mnist.load_data: {file} has {len(x)} x_{name} images but {len(y)} "
                             f"y_{name} labels; expected the same number")
    return (x_train, y_train), (x_test, y_test)
