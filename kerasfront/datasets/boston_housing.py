"""Boston housing prices: 506 samples of 13 features and the median house value (in k$), from Keras's
``boston_housing.npz``, shuffled with ``seed`` and split by ``test_split`` as tf.keras does.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data()              # doctest: +SKIP
    >>> x_train.shape                                                   # doctest: +SKIP
    (404, 13)
"""
import numpy as np

from ._files import BASE_URL, fetch

__all__ = ["load_data"]

ORIGIN = BASE_URL + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113, cache_dir=None):
    """``(x_train, y_train), (x_test, y_test)`` (float64), the last ``test_split`` of the shuffled samples
    being the test set.

    Example:
        >>> (x_train, y_train), _ = load_data(test_split=0.1, seed=0)  # doctest: +SKIP
    """
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data(test_split=...): expected a float in [0, 1), received "
                         f"{test_split!r}")
    file = fetch(path, ORIGIN, file_hash=FILE_HASH, cache_dir=cache_dir, who="boston_housing.load_data")
    with np.load(file, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
