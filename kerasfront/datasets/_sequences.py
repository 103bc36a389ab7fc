"""What the IMDB and Reuters loaders share: word indices shifted by ``index_from`` behind a ``start_char``,
long reviews dropped with ``maxlen``, rare or too-frequent words replaced by ``oov_char`` (or removed)."""
import logging

import numpy as np


def encode(xs, start_char, index_from):
    """Each sequence shifted by ``index_from``, behind ``start_char`` when it is not None."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def drop_long(maxlen, xs, labels):
    """The sequences shorter than ``maxlen`` and their labels."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_words(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char``, or are removed when it is None."""
    if not num_words:
        num_words = max(max(x) for x in xs if len(x)) if any(len(x) for x in xs) else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def as_object_array(xs):
    """A 1-D object array of lists (as tf.keras returns them, even when all have one length)."""
    out = np.empty(len(xs), dtype=object)
    out[:] = xs
    return out


def check_kwargs(kwargs, who):
    """``nb_words`` (the old name of ``num_words``) or an error for an unknown keyword."""
    num_words = kwargs.pop("nb_words", None)
    if num_words is not None:
        logging.warning("The `nb_words` argument in `load_data` has been renamed `num_words`.")
    if kwargs:
        raise TypeError(f"{who}: unrecognized keyword arguments: {kwargs}.")
    return num_words
