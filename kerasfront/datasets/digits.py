"""The UCI handwritten digits: 1797 real 8x8 grey-scale images of the digits 0..9, shipped in the package.

Data: "Optical Recognition of Handwritten Digits" (its test part), UCI Machine Learning Repository,
E. Alpaydin and C. Kaynak, 1998, licensed CC BY 4.0 (https://doi.org/10.24432/C50P49). Each image is the
count of "on" pixels in 4x4 blocks of a 32x32 bitmap, so pixel values run 0..16 (not 0..255).

The split is deterministic and stratified, with no random numbers involved: within each class, taken in
file order, evenly spaced samples go to the test set (with ``test_split=0.2``, the 5th, 10th, 15th, ...
sample of each digit), all others to the training set; both sets keep file order. The default gives 1437
training and 355 test images.

Example:
    >>> from kerasfront.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, y_train.shape, x_test.shape, int(x_train.max())
    ((1442, 8, 8), (1442,), (355, 8, 8), 16)
    >>> x_train = x_train.reshape(-1, 64).astype("float32") / 16.0   # scale to [0, 1]
"""
import gzip
import importlib.resources
import numbers

import numpy as np

__all__ = ["load_data"]

_FILE = "digits.csv.gz"
_N_PIXELS = 64
_CACHE = {}


def _read_rows():
    """All 1797 rows as a (1797, 65) uint8 array (64 pixels, then the label); read once, then cached."""
    if "rows" not in _CACHE:
        resource = importlib.resources.files("kerasfront.datasets") / "data" / _FILE
        with resource.open("rb") as raw, gzip.open(raw, "rt") as text:
            rows = np.loadtxt(text, delimiter=",", dtype=np.uint8, ndmin=2)
        if rows.shape[1] != _N_PIXELS + 1:
            raise ValueError(f"{_FILE}: expected {_N_PIXELS + 1} columns per row, found {rows.shape[1]}")
        _CACHE["rows"] = rows
    return _CACHE["rows"]


def _test_mask(labels, test_split):
    """True for rows that go to the test set: evenly spaced ranks within each class."""
    mask = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        rank = np.arange(1, len(where) + 1)
        # NOTE: rank r is a test sample when floor(r * f) steps up at r, which picks floor(n * f)
        # evenly spaced samples of the class (every 5th for f = 0.2) without any random numbers.
        picked = np.floor(rank * test_split) > np.floor((rank - 1) * test_split)
        mask[where[picked]] = True
    return mask


def load_data(test_split=0.2):
    """Load the digits as ``(x_train, y_train), (x_test, y_test)``, like ``keras.datasets.mnist.load_data()``.

    Args:
        test_split: fraction of each digit's samples that goes to the test set, strictly between 0 and 1.

    Returns:
        Two tuples of numpy arrays: ``x`` of shape ``(n, 8, 8)`` and dtype uint8 with pixel values 0..16,
        ``y`` of shape ``(n,)`` and dtype uint8 with labels 0..9. Fresh arrays on every call.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data(test_split=0.5)
        >>> len(x_train), len(x_test)
        (901, 896)
    """
    if isinstance(test_split, bool) or not isinstance(test_split, numbers.Real) \
            or not 0.0 < float(test_split) < 1.0:
        raise ValueError(
            f"digits.load_data(test_split=...): expected a number strictly between 0 and 1, "
            f"received {test_split!r}")
    rows = _read_rows()
    labels = rows[:, _N_PIXELS]
    images = rows[:, :_N_PIXELS].reshape(-1, 8, 8)
    test = _test_mask(labels, float(test_split))
    train = ~test
    return ((images[train].copy(), labels[train].copy()),
            (images[test].copy(), labels[test].copy()))
