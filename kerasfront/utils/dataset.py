"""Dataset: the small batched-dataset object that the ``*_dataset_from_directory`` and
``timeseries_dataset_from_array`` utilities return, and that ``fit``, ``evaluate`` and ``predict`` take.

It is numpy underneath, not a reimplementation of ``tf.data``: an element is a numpy array, or a tuple or dict
of them; ``map`` runs a Python function on numpy values (a ``tf.*`` function will not work); a batch is the
elements stacked on a new first axis. It keeps the methods tf.keras programs call on these objects: ``map``,
``filter``, ``batch``, ``padded_batch``, ``unbatch``, ``shuffle``, ``prefetch``, ``cache``, ``take``, ``skip``,
``repeat``, ``shard``, ``as_numpy_iterator``, ``cardinality``, and ``len()``.

Iterating gives arrays that also answer ``.numpy()`` (as a ``tf.Tensor`` does), so ``images[0].numpy()``
works; ``as_numpy_iterator()`` gives plain numpy arrays.

Sharding (for data-parallel training): ``shard(num_shards, index)`` keeps every ``num_shards``-th element
starting at ``index``, as ``tf.data.Dataset.shard`` does. Shard a batched dataset to split it by batch index.
When every step up to the source can reach element ``i`` directly (file lists, array slices, ``map``,
``batch``, ``take``, ``skip``), a shard reads only its own elements; otherwise it reads all and filters.

Example:
    >>> ds = Dataset.from_tensor_slices((np.arange(5.0), np.arange(5))).batch(2)
    >>> [y.tolist() for x, y in ds.as_numpy_iterator()]
    [[0, 1], [2, 3], [4]]
    >>> int(ds.cardinality())
    3
"""
import itertools

import numpy as np

from .. import random_state

__all__ = ["AUTOTUNE", "Dataset", "HostArray", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


class HostArray(np.ndarray):
    """A numpy array that also has ``.numpy()`` (returning a plain numpy array), as a ``tf.Tensor`` has, so that
    tf.keras code written as ``batch.numpy()`` runs.

    Example:
        >>> np.arange(3).view(HostArray).numpy()
        array([0, 1, 2])
    """

    def numpy(self):
        return np.asarray(self)


# -- nested structures: an element is an array, a tuple/list of elements or a dict of elements ---------------

def _map_structure(fn, *elements):
    first = elements[0]
    if isinstance(first, dict):
        return {k: _map_structure(fn, *(e[k] for e in elements)) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(_map_structure(fn, *parts) for parts in zip(*elements))
    return fn(*elements)


def _flatten(element):
    if isinstance(element, dict):
        return [leaf for k in element for leaf in _flatten(element[k])]
    if isinstance(element, (tuple, list)):
        return [leaf for part in element for leaf in _flatten(part)]
    return [element]


def _structure_of(element):
    if isinstance(element, dict):
        return ("dict", tuple((k, _structure_of(v)) for k, v in element.items()))
    if isinstance(element, (tuple, list)):
        return (type(element).__name__, tuple(_structure_of(v) for v in element))
    return "leaf"


def _to_numpy(value):
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value)


def _plain(element):
    """Plain numpy values; a 0-d array becomes a numpy scalar (``bytes`` for a text), as tf.data gives them."""
    return _map_structure(lambda a: np.asarray(a)[()] if np.ndim(a) == 0 else np.asarray(a), element)


def _host(element):
    return _map_structure(lambda a: np.asarray(a).view(HostArray), element)


def _call(fn, element):
    """Call ``fn`` as ``tf.data`` does: a tuple element is unpacked into positional arguments."""
    if isinstance(element, tuple):
        return fn(*element)
    return fn(element)


def _check_count(value, arg, who, minimum=0, allow_minus_one=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Dataset.{who}({arg}=...): expected an int, received {value!r} of type "
                        f"{type(value).__name__}")
    if allow_minus_one and value == -1:
        return int(value)
    if value < minimum:
        extra = " (or -1)" if allow_minus_one else ""
        raise ValueError(f"Dataset.{who}({arg}=...): expected an int >= {minimum}{extra}, received {value}")
    return int(value)


class Dataset:
    """A re-iterable sequence of elements (numpy arrays, or tuples/dicts of them); see the module docstring.

    Build one with ``Dataset.from_tensor_slices(arrays)`` or get one from a ``*_dataset_from_directory`` utility;
    every method returns a new Dataset and leaves this one unchanged.

    Attributes:
        class_names: set by the directory utilities (the label names, in label order).
        file_paths: set by the directory utilities (the file of each element, in order).

    Example:
        >>> ds = Dataset.from_tensor_slices(np.arange(6)).map(lambda v: v * 10).batch(4)
        >>> [b.tolist() for b in ds.as_numpy_iterator()]
        [[0, 10, 20, 30], [40, 50]]
    """

    def __init__(self, make_iterator, cardinality, get=None, batch_size=None):
        self._make_iterator = make_iterator   # () -> iterator of elements
        self._cardinality = int(cardinality)
        self._get = get                       # i -> element i, when elements can be reached directly
        self._batch_size = batch_size         # set by batch(), read by split_dataset

    # -- building ------------------------------------------------------------------------------------------
    @classmethod
    def from_tensor_slices(cls, tensors):
        """One element per row of the given array(s): an array, a tuple of arrays or a dict of arrays, all with
        the same first dimension.

        Example:
            >>> [x.tolist() for x in Dataset.from_tensor_slices(np.eye(2)).as_numpy_iterator()]
            [[1.0, 0.0], [0.0, 1.0]]
        """
        if isinstance(tensors, (tuple, dict)):
            arrays = _map_structure(_to_numpy, tensors)
        else:       # an array, or a list taken as one array (as tf.data takes it)
            arrays = _to_numpy(tensors)
        leaves = _flatten(arrays)
        if not leaves:
            raise ValueError("Dataset.from_tensor_slices: received an empty structure; expected an array, or a "
                             "tuple or dict of arrays")
        for leaf in leaves:
            if leaf.ndim == 0:
                raise ValueError(f"Dataset.from_tensor_slices: every array needs a first (slicing) axis; received a "
                                 f"scalar {leaf!r}")
        sizes = {leaf.shape[0] for leaf in leaves}
        if len(sizes) != 1:
            raise ValueError(f"Dataset.from_tensor_slices: the arrays have different first dimensions "
                             f"{sorted(sizes)}; expected one common number of elements")
        n = sizes.pop()

        def get(i):
            return _map_structure(lambda a: a[i], arrays)

        def make_iterator():
            return (get(i) for i in range(n))
        return cls(make_iterator, n, get=get)

    @classmethod
    def zip(cls, datasets):
        """One element per position, made of the elements of each dataset (a tuple or dict of datasets); as long
        as the shortest.

        Example:
            >>> a, b = Dataset.from_tensor_slices(np.arange(3)), Dataset.from_tensor_slices(np.arange(3) * 2)
            >>> [(int(x), int(y)) for x, y in Dataset.zip((a, b)).as_numpy_iterator()]
            [(0, 0), (1, 2), (2, 4)]
        """
        if isinstance(datasets, dict):
            keys = list(datasets)
            parts = [datasets[k] for k in keys]
            pack = lambda values: dict(zip(keys, values))  # noqa: E731
        elif isinstance(datasets, (tuple, list)):
            parts = list(datasets)
            pack = tuple
        else:
            raise TypeError(f"Dataset.zip: expected a tuple or dict of Datasets, received {type(datasets).__name__}")
        for p in parts:
            if not isinstance(p, Dataset):
                raise TypeError(f"Dataset.zip: every part must be a Dataset, received {type(p).__name__}")
        cards = [p._cardinality for p in parts]
        if any(c == UNKNOWN_CARDINALITY for c in cards):
            card = UNKNOWN_CARDINALITY
        elif all(c == INFINITE_CARDINALITY for c in cards):
            card = INFINITE_CARDINALITY
        else:
            card = min(c for c in cards if c >= 0)

        def make_iterator():
            return (pack(values) for values in zip(*(iter(p) for p in parts)))
        get = None
        if all(p._get is not None for p in parts):
            def get(i):
                return pack([p._get(i) for p in parts])
        return cls(make_iterator, card, get=get)

    # -- iterating -----------------------------------------------------------------------------------------
    def _elements(self):
        return self._make_iterator()

    def __iter__(self):
        for element in self._elements():
            yield _host(element)

    def as_numpy_iterator(self):
        """The elements as plain numpy arrays (tuples and dicts kept).

        Example:
            >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(2)).as_numpy_iterator()]
            [0, 1]
        """
        for element in self._elements():
            yield _plain(element)

    def cardinality(self):
        """The number of elements as a 0-d array: ``-1`` (``INFINITE_CARDINALITY``) after ``repeat()``, ``-2``
        (``UNKNOWN_CARDINALITY``) after ``filter``/``unbatch``.

        Example:
            >>> int(Dataset.from_tensor_slices(np.arange(5)).batch(2).cardinality())
            3
        """
        return np.asarray(self._cardinality, dtype=np.int64).view(HostArray)

    def __len__(self):
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite (it was repeated); it has no len()")
        if self._cardinality == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown (after filter() or unbatch()); iterate it to count, or use "
                            "cardinality()")
        return self._cardinality

    def __bool__(self):
        return True

    def __repr__(self):
        card = {INFINITE_CARDINALITY: "infinite", UNKNOWN_CARDINALITY: "unknown"}.get(self._cardinality,
                                                                                     self._cardinality)
        return f"<kerasfront Dataset: {card} elements>"

    # -- element-wise ----------------------------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Apply a Python function to every element (a tuple element is passed as separate arguments); it gets
        and may return numpy arrays. ``num_parallel_calls`` and ``deterministic`` are accepted and ignored.

        Example:
            >>> ds = Dataset.from_tensor_slices((np.arange(3), np.arange(3))).map(lambda x, y: (x + y, y))
            >>> [int(x) for x, y in ds.as_numpy_iterator()]
            [0, 2, 4]
        """
        if not callable(map_func):
            raise TypeError(f"Dataset.map: map_func must be callable, received {type(map_func).__name__}")
        parent = self

        def apply(element):
            out = _call(map_func, element)
            return _map_structure(_to_numpy, out) if isinstance(out, (tuple, list, dict)) else _to_numpy(out)

        def make_iterator():
            return (apply(e) for e in parent._elements())
        get = (lambda i: apply(parent._get(i))) if parent._get is not None else None
        return Dataset(make_iterator, parent._cardinality, get=get, batch_size=parent._batch_size)

    def filter(self, predicate, name=None):
        """Keep the elements for which ``predicate(element)`` is true.

        Example:
            >>> evens = Dataset.from_tensor_slices(np.arange(5)).filter(lambda v: v % 2 == 0)
            >>> [int(v) for v in evens.as_numpy_iterator()]
            [0, 2, 4]
        """
        if not callable(predicate):
            raise TypeError(f"Dataset.filter: predicate must be callable, received {type(predicate).__name__}")
        parent = self

        def make_iterator():
            return (e for e in parent._elements() if bool(np.asarray(_call(predicate, e))))
        card = INFINITE_CARDINALITY if parent._cardinality == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY
        return Dataset(make_iterator, card)

    # -- batching --------------------------------------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Stack ``batch_size`` consecutive elements into one (the last batch may be smaller unless
        ``drop_remainder``). Elements of different shapes need ``padded_batch``.

        Example:
            >>> [b.shape for b in Dataset.from_tensor_slices(np.zeros((5, 2))).batch(2).as_numpy_iterator()]
            [(2, 2), (2, 2), (1, 2)]
        """
        return self._batched(batch_size, drop_remainder, "batch", _stack)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """Like ``batch``, padding every array at its end to the largest shape in the batch (or to
        ``padded_shapes``, whose ``None`` entries mean "the largest") with ``padding_values`` (default 0).

        Example:
            >>> ds = Dataset.from_tensor_slices(np.arange(3)).map(lambda n: np.ones(int(n) + 1))
            >>> next(ds.padded_batch(3).as_numpy_iterator()).tolist()
            [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
        """
        def combine(elements):
            leaves_per_element = [_flatten(e) for e in elements]
            shapes = _flatten(padded_shapes) if padded_shapes is not None else None
            pads = _flatten(padding_values) if isinstance(padding_values, (tuple, list, dict)) else None
            out = []
            for j, column in enumerate(zip(*leaves_per_element)):
                arrays = [np.asarray(a) for a in column]
                target = [max(a.shape[d] for a in arrays) for d in range(arrays[0].ndim)]
                if shapes is not None and shapes[j] is not None:
                    wanted = list(shapes[j]) if not np.isscalar(shapes[j]) else [shapes[j]]
                    for d, size in enumerate(wanted):
                        if size is not None and size >= 0:
                            if size < target[d]:
                                raise ValueError(f"Dataset.padded_batch: an element has size {target[d]} on axis {d}, "
                                                 f"larger than padded_shapes' {size}")
                            target[d] = size
                value = pads[j] if pads is not None else (padding_values if padding_values is not None else 0)
                batch = np.full([len(arrays)] + target, value, dtype=arrays[0].dtype)
                for i, a in enumerate(arrays):
                    batch[(i,) + tuple(slice(0, s) for s in a.shape)] = a
                out.append(batch)
            it = iter(out)
            return _map_structure(lambda _: next(it), elements[0])
        return self._batched(batch_size, drop_remainder, "padded_batch", combine)

    def _batched(self, batch_size, drop_remainder, who, combine):
        batch_size = _check_count(batch_size, "batch_size", who, minimum=1)
        parent = self
        n = parent._cardinality
        if n >= 0:
            card = n // batch_size if drop_remainder else -(-n // batch_size)
        else:
            card = n

        def make_iterator():
            it = parent._elements()
            while True:
                chunk = list(itertools.islice(it, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield combine(chunk)
        get = None
        if parent._get is not None and n >= 0:
            def get(i):
                stop = min((i + 1) * batch_size, n)
                return combine([parent._get(j) for j in range(i * batch_size, stop)])
        return Dataset(make_iterator, card, get=get, batch_size=batch_size)

    def unbatch(self, name=None):
        """Split every element along its first axis into separate elements (the inverse of ``batch``).

        Example:
            >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(4)).batch(3).unbatch().as_numpy_iterator()]
            [0, 1, 2, 3]
        """
        parent = self

        def make_iterator():
            for element in parent._elements():
                leaves = _flatten(element)
                sizes = {np.shape(a)[0] if np.ndim(a) else None for a in leaves}
                if None in sizes:
                    raise ValueError("Dataset.unbatch: an element holds a scalar; every array needs a first axis")
                if len(sizes) != 1:
                    raise ValueError(f"Dataset.unbatch: the arrays of one element have different first dimensions "
                                     f"{sorted(sizes)}")
                for i in range(sizes.pop()):
                    yield _map_structure(lambda a: np.asarray(a)[i], element)
        card = INFINITE_CARDINALITY if parent._cardinality == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY
        return Dataset(make_iterator, card)

    # -- order and length -----------------------------------------------------------------------------------
    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffle with a buffer of ``buffer_size`` elements, as ``tf.data`` does (a buffer at least as large as
        the dataset gives a uniform shuffle). A new order each iteration unless ``reshuffle_each_iteration=False``;
        with a ``seed`` the sequence of orders repeats from run to run (without one it follows
        ``kerasfront.utils.set_random_seed``). The orders are not those of TensorFlow's generator.

        Example:
            >>> sorted(int(v) for v in Dataset.from_tensor_slices(np.arange(5)).shuffle(5, seed=1).as_numpy_iterator())
            [0, 1, 2, 3, 4]
        """
        if buffer_size == AUTOTUNE:
            buffer_size = max(self._cardinality, 1) if self._cardinality >= 0 else 1024
        buffer_size = _check_count(buffer_size, "buffer_size", "shuffle", minimum=1)
        if seed is None:
            base = int(random_state.generator().integers(0, 2 ** 31 - 1))
        else:
            base = _check_count(seed, "seed", "shuffle")
        parent = self
        counter = itertools.count()

        def make_iterator():
            epoch = next(counter) if reshuffle_each_iteration else 0
            rng = np.random.default_rng([base, epoch])
            buffer = []
            for element in parent._elements():
                if len(buffer) < buffer_size:
                    buffer.append(element)
                    continue
                j = int(rng.integers(len(buffer)))
                out, buffer[j] = buffer[j], element
                yield out
            while buffer:
                j = int(rng.integers(len(buffer)))
                buffer[j], buffer[-1] = buffer[-1], buffer[j]
                yield buffer.pop()
        return Dataset(make_iterator, parent._cardinality, batch_size=parent._batch_size)

    def take(self, count, name=None):
        """The first ``count`` elements (all of them for ``-1``).

        Example:
            >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(5)).take(2).as_numpy_iterator()]
            [0, 1]
        """
        count = _check_count(count, "count", "take", allow_minus_one=True)
        if count == -1:
            return self
        parent = self
        n = parent._cardinality
        if n == INFINITE_CARDINALITY:
            card = count
        else:
            card = min(n, count) if n >= 0 else UNKNOWN_CARDINALITY

        def make_iterator():
            return itertools.islice(parent._elements(), count)
        get = None
        if parent._get is not None and card >= 0:
            def get(i):
                if i >= card:
                    raise IndexError(i)
                return parent._get(i)
        return Dataset(make_iterator, card, get=get, batch_size=parent._batch_size)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none for ``-1``).

        Example:
            >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(5)).skip(3).as_numpy_iterator()]
            [3, 4]
        """
        count = _check_count(count, "count", "skip", allow_minus_one=True)
        parent = self
        n = parent._cardinality
        if count == -1:
            return Dataset(lambda: iter(()), 0, get=None, batch_size=parent._batch_size)
        card = max(n - count, 0) if n >= 0 else n

        def make_iterator():
            return itertools.islice(parent._elements(), count, None)
        get = (lambda i: parent._get(i + count)) if parent._get is not None and n >= 0 else None
        return Dataset(make_iterator, card, get=get, batch_size=parent._batch_size)

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times over (forever for ``None`` or ``-1``); each pass iterates it anew (so a
        shuffle reshuffles).

        Example:
            >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(2)).repeat(2).as_numpy_iterator()]
            [0, 1, 0, 1]
        """
        if count is not None:
            count = _check_count(count, "count", "repeat", allow_minus_one=True)
        forever = count is None or count == -1
        parent = self
        n = parent._cardinality
        if forever:
            card = 0 if n == 0 else INFINITE_CARDINALITY
        else:
            card = n * count if n >= 0 else n

        def make_iterator():
            passes = itertools.count() if forever else range(count)
            for _ in passes:
                empty = True
                for element in parent._elements():
                    empty = False
                    yield element
                if empty:
                    return
        return Dataset(make_iterator, card, batch_size=parent._batch_size)

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element starting at ``index`` (as ``tf.data``); on a batched dataset this
        splits the batches among workers by batch index. Reads only its own elements when it can reach them
        directly (see the module docstring).

        Example:
            >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(7)).shard(3, 1).as_numpy_iterator()]
            [1, 4]
        """
        num_shards = _check_count(num_shards, "num_shards", "shard", minimum=1)
        index = _check_count(index, "index", "shard")
        if index >= num_shards:
            raise ValueError(f"Dataset.shard(index=...): expected 0 <= index < num_shards={num_shards}, "
                             f"received {index}")
        parent = self
        n = parent._cardinality
        card = len(range(index, n, num_shards)) if n >= 0 else n
        if parent._get is not None and n >= 0:
            def get(i):
                return parent._get(index + i * num_shards)

            def make_iterator():
                return (parent._get(j) for j in range(index, n, num_shards))
            return Dataset(make_iterator, card, get=get, batch_size=parent._batch_size)

        def make_filtered():
            return itertools.islice(parent._elements(), index, None, num_shards)
        return Dataset(make_filtered, card, batch_size=parent._batch_size)

    # -- performance hints ---------------------------------------------------------------------------------
    def prefetch(self, buffer_size, name=None):
        """Accepted for tf.keras code (``ds.prefetch(AUTOTUNE)``); elements are produced when asked for.

        Example:
            >>> ds = Dataset.from_tensor_slices(np.arange(3)).prefetch(AUTOTUNE)
        """
        if buffer_size != AUTOTUNE:
            _check_count(buffer_size, "buffer_size", "prefetch")
        return Dataset(self._make_iterator, self._cardinality, get=self._get, batch_size=self._batch_size)

    def cache(self, filename="", name=None):
        """Keep the elements of the first complete pass in memory and replay them afterwards (a ``filename``
        is not supported: the cache is always in memory).

        Example:
            >>> ds = Dataset.from_tensor_slices(np.arange(3)).map(lambda v: v * 2).cache()
            >>> list(ds.as_numpy_iterator()) == list(ds.as_numpy_iterator())
            True
        """
        if filename:
            raise ValueError(f"Dataset.cache(filename={filename!r}): kerasfront caches in memory only; call cache() "
                             f"without a filename")
        parent = self
        store = {}

        def make_iterator():
            if "elements" in store:
                yield from store["elements"]
                return
            seen = []
            for element in parent._elements():
                seen.append(element)
                yield element
            store["elements"] = seen
        return Dataset(make_iterator, parent._cardinality, get=parent._get, batch_size=parent._batch_size)


def _stack(elements):
    first = elements[0]
    structure = _structure_of(first)
    leaves = [_flatten(e) for e in elements]
    for e in elements[1:]:
        if _structure_of(e) != structure:
            raise ValueError("Dataset.batch: the elements have different structures (tuples/dicts of different "
                             "shapes); every element must have the same structure")
    out = []
    for column in zip(*leaves):
        arrays = [np.asarray(a) for a in column]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"Dataset.batch: cannot stack elements of different shapes {sorted(shapes)}; use "
                             f"padded_batch() to pad them to one shape")
        out.append(np.stack(arrays))
    it = iter(out)
    return _map_structure(lambda _: next(it), first)
