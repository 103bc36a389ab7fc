"""``keras.preprocessing.sequence``: ``pad_sequences``, ``TimeseriesGenerator``, ``skipgrams`` and
``make_sampling_table``, as tf.keras has them (the same numbers for the same seeds: ``skipgrams`` draws from
Python's ``random``, ``TimeseriesGenerator(shuffle=True)`` from numpy's global generator).

Example:
    >>> gen = TimeseriesGenerator(np.arange(10), np.arange(10), length=3, batch_size=2)
    >>> x, y = gen[0]
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3]], [3, 4])
"""
import json
import random

import numpy as np

from ..utils.data_utils import Sequence
from ..utils.sequence_utils import pad_sequences

__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams"]


class TimeseriesGenerator(Sequence):
    """Batches of windows over a time series, for ``fit`` (a ``Sequence``).

    Sample ``k`` is ``data[row - length:row:sampling_rate]`` with target ``targets[row]``, for rows from
    ``start_index + length`` to ``end_index`` (inclusive) every ``stride`` rows.

    Args:
        data: the series (first axis is time).
        targets: the target of each time step (same length as ``data``).
        length: how many steps back each window reaches.
        sampling_rate: steps between the steps taken within a window.
        stride: steps between consecutive windows.
        start_index, end_index: the first and last rows used (``end_index`` default: the last).
        shuffle: draw each batch's rows at random (numpy's global generator) instead of in order.
        reverse: windows in reverse time order.
        batch_size: windows per batch.

    Example:
        >>> len(TimeseriesGenerator(np.arange(20), np.arange(20), length=5, batch_size=4))
        4
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError(f"Data and targets have to be of same length. Data length is {len(data)} while target "
                             f"length is {len(targets)}")
        for name, value, minimum in (("length", length, 1), ("sampling_rate", sampling_rate, 1),
                                     ("stride", stride, 1), ("batch_size", batch_size, 1),
                                     ("start_index", start_index, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
                raise ValueError(f"TimeseriesGenerator({name}=...): expected an int >= {minimum}, received {value!r}")
        super().__init__()
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index={self.end_index}` is disallowed, "
                             f"as no part of the sequence would be left to be used as current step.")

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self):
        """The generator's arguments, ``data`` and ``targets`` as JSON strings (as tf.keras writes them)."""
        def as_json(value, what):
            if type(value).__module__ == np.__name__:
                value = value.tolist()
            try:
                return json.dumps(value)
            except TypeError as e:
                raise TypeError(f"{what} not JSON Serializable:", value) from e
        return {"data": as_json(self.data, "Data"), "targets": as_json(self.targets, "Targets"),
                "length": self.length, "sampling_rate": self.sampling_rate, "stride": self.stride,
                "start_index": self.start_index, "end_index": self.end_index, "shuffle": self.shuffle,
                "reverse": self.reverse, "batch_size": self.batch_size}

    def to_json(self, **kwargs):
        """``{"class_name": "TimeseriesGenerator", "config": ...}`` as a JSON string."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def make_sampling_table(size, sampling_factor=1e-05):
    """The probability of keeping the word of each frequency rank (rank 0 counts as 1), for ``skipgrams``: Zipf's
    law with word2vec's subsampling formula.

    Example:
        >>> make_sampling_table(5).round(4).tolist()
        [0.0032, 0.0032, 0.0055, 0.0074, 0.0091]
    """
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """Word2vec training pairs from a sequence of word indices: ``(word, context)`` pairs within ``window_size``
    labelled 1, and ``negative_samples`` times as many random pairs labelled 0 (index 0 is skipped as padding).

    Args:
        sequence: word indices.
        vocabulary_size: one more than the largest index (negatives are drawn from 1..vocabulary_size-1).
        window_size: how far a context word may be.
        negative_samples: negatives per positive (0 for none).
        shuffle: shuffle the pairs (with ``seed``; Python's ``random``).
        categorical: labels ``[0, 1]`` / ``[1, 0]`` instead of ``1`` / ``0``.
        sampling_table: keep-probabilities per index (``make_sampling_table``).
        seed: the shuffle's seed.

    Returns:
        ``(couples, labels)``: lists.

    Example:
        >>> skipgrams([1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
        ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
    """
    couples, labels = [], []
    positive, negative = ([0, 1], [1, 0]) if categorical else (1, 0)
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j == i:
                continue
            wj = sequence[j]
            if not wj:
                continue
            couples.append([wi, wj])
            labels.append(positive)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, int(vocabulary_size - 1))] for i in range(count)]
        labels += [negative] * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels
