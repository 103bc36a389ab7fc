"""IMDB movie reviews: 25 000 training and 25 000 test reviews as sequences of word indices, labelled 1
(positive) or 0 (negative), from Keras's ``imdb.npz`` (and ``imdb_word_index.json``).

The same preprocessing as tf.keras: both sets shuffled with ``seed``; each review prefixed with ``start_char``
and its word indices (1 = most frequent word) shifted by ``index_from``; reviews not shorter than ``maxlen``
dropped; words outside ``[skip_top, num_words)`` replaced by ``oov_char`` (or removed when it is None).

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data(num_words=10000)   # doctest: +SKIP
    >>> word_index = get_word_index()                                      # doctest: +SKIP
"""
import json

import numpy as np

from . import _sequences
from ._files import BASE_URL, fetch

__all__ = ["get_word_index", "load_data"]

ORIGIN = BASE_URL + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = BASE_URL + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, cache_dir=None, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word indices, and int64 labels.

    Args:
        path: the file's name in the cache.
        num_words: keep the ``num_words - 1`` most frequent words (others become ``oov_char``).
        skip_top: also replace the ``skip_top`` most frequent words.
        maxlen: drop reviews of ``maxlen`` words or more.
        seed: the shuffle's seed.
        start_char: the index that starts every review (None: none).
        oov_char: the index of replaced words (None: remove them).
        index_from: shift real word indices by this.
        cache_dir: the cache folder instead of ``$KERAS_HOME`` / ``~/.keras``.

    Example:
        >>> (x_train, y_train), _ = load_data(num_words=5000, maxlen=200)  # doctest: +SKIP
    """
    num_words = _sequences.check_kwargs(kwargs, "imdb.load_data") or num_words
    file = fetch(path, ORIGIN, file_hash=FILE_HASH, cache_dir=cache_dir, who="imdb.load_data")
    # NOTE: the reviews are object arrays, so the file is a pickle; it is read only once its sha256 is Keras's
    with np.load(file, allow_pickle=True) as f:
        x_train, labels_train = f["x_train"], f["y_train"]
        x_test, labels_test = f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, labels_train = x_train[order], labels_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, labels_test = x_test[order], labels_test[order]
    x_train = _sequences.encode(x_train, start_char, index_from)
    x_test = _sequences.encode(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _sequences.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             f"Increase maxlen.")
    xs = _sequences.limit_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(x_train)
    return ((_sequences.as_object_array(xs[:n]), labels[:n]),
            (_sequences.as_object_array(xs[n:]), labels[n:]))


def get_word_index(path="imdb_word_index.json"):
    """The dict word -> index (1 = the most frequent; add ``index_from`` to match ``load_data``'s indices).

    Example:
        >>> get_word_index()["the"]                                   # doctest: +SKIP
        1
    """
    file = fetch(path, WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH, who="imdb.get_word_index")
    with open(file) as f:
        return json.load(f)
