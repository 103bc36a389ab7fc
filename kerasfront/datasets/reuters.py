"""Reuters newswires: 11 228 newswires as sequences of word indices, labelled with one of 46 topics, from
Keras's ``reuters.npz`` (and ``reuters_word_index.json``); split into training and test by ``test_split``.

The same preprocessing as tf.keras (see ``imdb``): shuffled with ``seed``, ``start_char``, ``index_from``,
``maxlen``, ``num_words``, ``skip_top``, ``oov_char``.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data(num_words=10000)   # doctest: +SKIP
    >>> get_label_names()[3]
    'earn'
"""
import json

import numpy as np

from . import _sequences
from ._files import BASE_URL, fetch

__all__ = ["get_label_names", "get_word_index", "load_data"]

ORIGIN = BASE_URL + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = BASE_URL + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

_LABELS = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
           "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
           "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
           "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
           "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3, cache_dir=None, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word indices, and int64 topic labels;
    the last ``test_split`` of the shuffled newswires are the test set.

    Example:
        >>> (x_train, y_train), _ = load_data(num_words=10000, test_split=0.2)   # doctest: +SKIP
    """
    num_words = _sequences.check_kwargs(kwargs, "reuters.load_data") or num_words
    if not 0 <= test_split < 1:
        raise ValueError(f"reuters.load_data(test_split=...): expected a float in [0, 1), received {test_split!r}")
    file = fetch(path, ORIGIN, file_hash=FILE_HASH, cache_dir=cache_dir, who="reuters.load_data")
    # NOTE: the newswires are object arrays, so the file is a pickle; it is read only once its sha256 is Keras's
    with np.load(file, allow_pickle=True) as f:
        xs, labels = f["x"], f["y"]
    rng = np.random.RandomState(seed)
    order = np.arange(len(xs))
    rng.shuffle(order)
    xs, labels = xs[order], labels[order]
    xs = _sequences.encode(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.drop_long(maxlen, xs, labels)
    xs = _sequences.limit_words(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return ((_sequences.as_object_array(xs[:n]), np.array(labels[:n])),
            (_sequences.as_object_array(xs[n:]), np.array(labels[n:])))


def get_word_index(path="reuters_word_index.json"):
    """The dict word -> index (1 = the most frequent).

    Example:
        >>> get_word_index()["the"]                                   # doctest: +SKIP
        1
    """
    file = fetch(path, WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH, who="reuters.get_word_index")
    with open(file) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, in label order.

    Example:
        >>> len(get_label_names()), get_label_names()[0]
        (46, 'cocoa')
    """
    return _LABELS
