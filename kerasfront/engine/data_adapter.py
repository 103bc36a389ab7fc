"""Turning what users pass to ``fit`` / ``evaluate`` / ``predict`` into batches.

Arrays (and lists or dicts of arrays) are checked once, up front (numeric, not ragged, not empty, the same
number of samples everywhere), cast once (floating data to float32) and then sliced batch by batch without
copies when not shuffled. Python generators and ``kerasfront.utils.Sequence`` yield batches that are
converted one at a time; with ``workers > 1`` or ``use_multiprocessing`` they are read ahead by an enqueuer
(``kerasfront.utils.OrderedEnqueuer`` / ``GeneratorEnqueuer``). A ``kerasfront.utils.Dataset`` (what the
``*_dataset_from_directory`` utilities return) is iterated anew each epoch.

Example:
    >>> data = ArrayData([x], [y], None, batch_size=32, shuffle=False)
    >>> for xb, yb, swb in data.epoch(): ...
"""
import inspect
import math
import warnings

import numpy as np

from .. import random_state
from ..utils.batches import pack_x_y_sample_weight, unpack_batch, unpack_x_y_sample_weight  # noqa: F401
from ..utils.data_utils import Sequence
from ..utils.dataset import INFINITE_CARDINALITY, Dataset


def check_array(value, arg, float_dtype=np.float32):
    """``value`` as a numeric numpy array, or a TypeError/ValueError naming ``arg``: None, strings, objects,
    ragged lists and empty arrays are refused. Floating data becomes ``float_dtype``.

    Args:
        value: a numpy array, list of numbers or Tensor.
        arg: the argument's name (``"x"``, ``"y"``...), for the error messages.
        float_dtype: the dtype floating data is cast to.

    Example:
        >>> check_array([[1, 2]], "x"), check_array([1.5], "x").dtype
        (array([[1, 2]]), dtype('float32'))
    """
    if value is None:
        raise ValueError(f"`{arg}` is None: expected a numeric array (numpy array, list of numbers or Tensor)")
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except ValueError:
            raise ValueError(f"`{arg}` looks like a ragged nested list (its rows have different lengths); expected a "
                             f"rectangular array. Pad the rows to one length first.") from None
    if arr.dtype == object:
        raise TypeError(f"`{arg}` has dtype object (a ragged list, or mixed Python objects); expected a numeric "
                        f"array of shape (samples, ...)")
    if arr.dtype.kind in "USV":
        raise TypeError(f"`{arg}` holds strings (dtype {arr.dtype}); expected numbers. Encode text as numbers first "
                        f"(e.g. token ids)")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"`{arg}` has unsupported dtype {arr.dtype}; expected floats, ints or bools")
    if arr.ndim == 0:
        raise ValueError(f"`{arg}` is a scalar; expected an array with a samples axis first, shape (samples, ...)")
    if arr.shape[0] == 0:
        raise ValueError(f"`{arg}` is empty (shape {arr.shape}); expected at least one sample")
    if arr.dtype.kind == "f" and arr.dtype != float_dtype:
        arr = arr.astype(float_dtype)
    elif arr.dtype.kind == "b":
        arr = arr.astype(float_dtype)
    return arr


def check_string_array(value, arg):
    """``value`` as a numpy object array of ``str`` for a model input of dtype ``"string"``, or a
    TypeError/ValueError naming ``arg`` (numbers, ragged lists and empty arrays are refused).

    Example:
        >>> check_string_array(["a b", "c"], "x")
        array(['a b', 'c'], dtype=object)
    """
    from .strings import to_string_array
    if value is None:
        raise ValueError(f"`{arg}` is None: expected an array of strings")
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiubc":
        raise TypeError(f"`{arg}` goes to an input of dtype string but holds numbers (dtype {value.dtype})")
    arr = to_string_array(value, arg)
    if arr.ndim == 0:
        raise ValueError(f"`{arg}` is a single string; expected an array with a samples axis first, shape (samples, ...)")
    if arr.shape[0] == 0:
        raise ValueError(f"`{arg}` is empty (shape {arr.shape}); expected at least one sample")
    return arr


def check_input_array(value, arg, float_dtype=np.float32):
    """A model input before the model knows its dtype: strings (as ``check_string_array``) or numbers (as
    ``check_array``).

    Example:
        >>> check_input_array(["a"], "x").dtype, check_input_array([1.5], "x").dtype
        (dtype('O'), dtype('float32'))
    """
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.dtype.kind in "USO"):
        try:
            probe = value if isinstance(value, np.ndarray) else np.asarray(value)
        except ValueError:
            probe = None
        if probe is not None and probe.dtype.kind in "US":
            return check_string_array(probe, arg)
        if probe is not None and probe.dtype == object and probe.size and all(
                isinstance(v, (str, bytes)) for v in probe.flat):
            return check_string_array(probe, arg)
    return check_array(value, arg, float_dtype)


def num_samples(arrays):
    """The number of samples (first-axis length of the first array; 0 for no arrays).

    Example:
        >>> num_samples([np.zeros((5, 2))]), num_samples([])
        (5, 0)
    """
    return arrays[0].shape[0] if arrays else 0


def check_cardinality(x_list, y_list, sw_list):
    """The common number of samples, or a ValueError listing every size.

    Example:
        >>> check_cardinality([np.zeros((5, 2))], [np.zeros(5)], [])
        5
    """
    sizes = {}
    for name, arrays in (("x", x_list), ("y", y_list), ("sample_weight", sw_list)):
        if arrays:
            got = [a.shape[0] for a in arrays if a is not None]
            if got:
                sizes[name] = got
    flat = {s for v in sizes.values() for s in v}
    if len(flat) > 1:
        detail = "\n".join(f"  {k} sizes: {', '.join(str(s) for s in v)}" for k, v in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous:\n{detail}\nMake sure all arrays contain the same number of "
                         f"samples.")
    return flat.pop() if flat else 0


def is_generator_like(data):
    """True for generators and iterators (not arrays, lists, tuples or dicts).

    Example:
        >>> is_generator_like(i for i in range(2)), is_generator_like([1, 2])
        (True, False)
    """
    return inspect.isgenerator(data) or (hasattr(data, "__next__") and hasattr(data, "__iter__")
                                         and not isinstance(data, (np.ndarray, list, tuple, dict)))


def is_dataset(data):
    """True for a ``kerasfront.utils.Dataset`` (what the ``*_dataset_from_directory`` utilities return).

    Example:
        >>> is_dataset(Dataset.from_tensor_slices(np.arange(3))), is_dataset([1, 2])
        (True, False)
    """
    return isinstance(data, Dataset)


def uses_enqueuer(workers, use_multiprocessing):
    """Whether generator / Sequence batches are read ahead by worker threads or processes (as tf.keras: more than
    one worker, or any workers with ``use_multiprocessing``).

    Example:
        >>> uses_enqueuer(1, False), uses_enqueuer(4, False), uses_enqueuer(1, True), uses_enqueuer(0, True)
        (False, True, True, False)
    """
    return workers > 1 or (workers > 0 and bool(use_multiprocessing))


def check_worker_args(workers, use_multiprocessing, max_queue_size, who):
    """A ValueError naming the argument when ``workers`` or ``max_queue_size`` is not a fitting int.

    Example:
        >>> check_worker_args(2, False, 10, "fit")
    """
    for name, value, minimum in (("workers", workers, 0), ("max_queue_size", max_queue_size, 1)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{who}({name}=...): expected an int >= {minimum}, received {value!r}")
    if not isinstance(use_multiprocessing, (bool, np.bool_)):
        raise ValueError(f"{who}(use_multiprocessing=...): expected True or False, received {use_multiprocessing!r}")


def is_batch_source(data):
    """True for inputs that yield whole batches: a generator or iterator, a Sequence, or a Dataset.

    Example:
        >>> is_batch_source(iter([])), is_batch_source(np.zeros(3))
        (True, False)
    """
    return is_sequence(data) or is_dataset(data) or is_generator_like(data)


def is_sequence(data):
    """True for a ``kerasfront.utils.Sequence`` (or PyDataset) instance.

    Example:
        >>> is_sequence([1, 2])
        False
    """
    return isinstance(data, Sequence)


class ArrayData:
    """Batches sliced from arrays: one pass per epoch, or ``steps_per_epoch`` batches from an endless stream of
    passes (each reshuffled when ``shuffle``).

    Args:
        x, y, sw: lists of arrays (inputs, targets, sample weights; ``y`` and ``sw`` may be None).
        batch_size: samples per batch (the last batch of a pass may be smaller).
        shuffle: False, True (shuffle samples) or ``"batch"`` (shuffle within and across batch-sized chunks).
        steps_per_epoch: batches per epoch (None: one pass).

    Example:
        >>> data = ArrayData([np.arange(5)], None, None, batch_size=2)
        >>> [x[0].tolist() for x, y, sw in data.epoch()]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, x, y, sw, batch_size, shuffle=False, steps_per_epoch=None):
        self.x, self.y, self.sw = x, y, sw
        self.n = check_cardinality(x, y, sw)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.steps_per_pass = max(1, math.ceil(self.n / batch_size))
        self.steps_per_epoch = steps_per_epoch
        self.steps = steps_per_epoch if steps_per_epoch is not None else self.steps_per_pass
        self._stream = None

    def _slice_all(self, arrays, idx):
        if arrays is None:
            return None
        if isinstance(idx, slice):
            return [None if a is None else a[idx] for a in arrays]
        return [None if a is None else a.take(idx, axis=0) for a in arrays]

    def _order(self):
        """The sample order of one pass: None (as stored) or a permutation (``shuffle``)."""
        n, bs = self.n, self.batch_size
        if not self.shuffle:
            return None
        perm = random_state.generator().permutation(n)
        if self.shuffle == "batch":
            starts = list(range(0, n, bs))
            random_state.generator().shuffle(starts)
            order = np.arange(n)
            perm = np.concatenate([random_state.generator().permutation(order[s:s + bs]) for s in starts])
        return perm

    def _take(self, idx):
        """The ``(x, y, sample_weight)`` lists of the samples ``idx`` (a slice or an index array)."""
        return self._slice_all(self.x, idx), self._slice_all(self.y, idx), self._slice_all(self.sw, idx)

    def _one_pass(self):
        n, bs = self.n, self.batch_size
        order = self._order()
        for start in range(0, n, bs):
            yield self._take(slice(start, start + bs) if order is None else order[start:start + bs])

    def epoch(self):
        """The batches of one epoch."""
        if self.steps_per_epoch is None:
            yield from self._one_pass()
            return
        for _ in range(self.steps_per_epoch):
            if self._stream is None:
                self._stream = self._one_pass()
            try:
                yield next(self._stream)
            except StopIteration:
                self._stream = self._one_pass()
                yield next(self._stream)

    def on_epoch_end(self):
        pass

    def close(self):
        pass


class GeneratorData:
    """Batches pulled from a Python generator (``steps_per_epoch`` of them per epoch, or until it ends).

    Args:
        generator: any iterable of batches.
        convert: turns one item into the ``(x, y, sample_weight)`` lists the training loop takes.
        steps_per_epoch: batches per epoch (None: until the generator ends).
        arg: the argument's name, for the error messages.

    Example:
        >>> data = GeneratorData(iter([1, 2, 3]), convert=lambda item: item * 10, steps_per_epoch=2)
        >>> list(data.epoch())
        [10, 20]
    """

    def __init__(self, generator, convert, steps_per_epoch=None, arg="x", workers=1, use_multiprocessing=False,
                 max_queue_size=10):
        self.generator = iter(generator)
        self.convert = convert
        self.steps_per_epoch = steps_per_epoch
        self.steps = steps_per_epoch
        self.exhausted = False
        self.arg = arg
        self.enqueuer = None
        if uses_enqueuer(workers, use_multiprocessing):     # started with the first epoch, stopped by close()
            from ..utils.enqueuers import GeneratorEnqueuer
            self.enqueuer = GeneratorEnqueuer(self.generator, use_multiprocessing=use_multiprocessing)
            self._start = dict(workers=workers, max_queue_size=max_queue_size)

    def close(self):
        """Stop the worker threads or processes, if any."""
        if self.enqueuer is not None:
            self.enqueuer.stop()

    def epoch(self):
        if self.enqueuer is not None and not self.enqueuer.is_running() and self.enqueuer.stop_signal is None:
            self.enqueuer.start(**self._start)
            self.generator = self.enqueuer.get()
        count = 0
        while self.steps_per_epoch is None or count < self.steps_per_epoch:
            try:
                item = next(self.generator)
            except StopIteration:
                self.exhausted = True
                if count == 0 or self.steps_per_epoch is not None:
                    warnings.warn("Your input ran out of data; interrupting training. Make sure that your dataset or "
                                  "generator can generate at least `steps_per_epoch * epochs` batches.", stacklevel=4)
                return
            count += 1
            yield self.convert(item)
        if self.steps is None:
            self.steps = count

    def on_epoch_end(self):
        pass


class SequenceData:
    """Batches indexed from a ``kerasfront.utils.Sequence`` (its order shuffled per epoch when ``shuffle``).

    Args:
        sequence: the ``Sequence`` (needs ``__len__`` and ``__getitem__``).
        convert: turns one item into the ``(x, y, sample_weight)`` lists the training loop takes.
        shuffle: visit the batches in a new random order each epoch.
        steps_per_epoch: batches per epoch (None: ``len(sequence)``).

    Example:
        >>> class Halves(kerasfront.utils.Sequence):
        ...     def __len__(self): return 2
        ...     def __getitem__(self, i): return np.arange(4)[2 * i:2 * i + 2]
        >>> [batch.tolist() for batch in SequenceData(Halves(), convert=lambda item: item).epoch()]
        [[0, 1], [2, 3]]
    """

    def __init__(self, sequence, convert, shuffle=False, steps_per_epoch=None, workers=1, use_multiprocessing=False,
                 max_queue_size=10):
        self.sequence = sequence
        self.convert = convert
        self.shuffle = bool(shuffle)
        try:
            length = len(sequence)
        except TypeError:
            raise TypeError(f"{type(sequence).__name__} must implement __len__()") from None
        if length <= 0:
            raise ValueError(f"The Sequence {type(sequence).__name__} is empty (len() == {length}); it must yield at "
                             f"least one batch")
        self.length = length
        self.steps = steps_per_epoch if steps_per_epoch is not None else length
        self.steps_per_epoch = steps_per_epoch
        self.enqueuer = None
        if uses_enqueuer(workers, use_multiprocessing):
            # NOTE: as in tf.keras, the enqueuer runs epoch after epoch on its own and calls on_epoch_end itself
            # once every batch of an epoch was taken; fit's epochs take `steps` batches from its stream.
            from ..utils.enqueuers import OrderedEnqueuer
            self.enqueuer = OrderedEnqueuer(sequence, use_multiprocessing=use_multiprocessing, shuffle=self.shuffle)
            self._start = dict(workers=workers, max_queue_size=max_queue_size)     # at the first epoch

    def close(self):
        """Stop the worker threads or processes, if any."""
        if self.enqueuer is not None:
            self.enqueuer.stop()

    def epoch(self):
        if self.enqueuer is not None:
            if self.enqueuer.stop_signal is None:
                self.enqueuer.start(**self._start)
                self._stream = self.enqueuer.get()
            for _ in range(self.steps):
                yield self.convert(next(self._stream))
            return
        order = list(range(self.length))
        if self.shuffle:
            random_state.generator().shuffle(order)
        for i in range(self.steps):
            yield self.convert(self.sequence[order[i % self.length]])

    def on_epoch_end(self):
        if self.enqueuer is None:
            self.sequence.on_epoch_end()


class DatasetData:
    """Batches from a ``kerasfront.utils.Dataset``: each epoch iterates it anew (so its shuffles reshuffle), or,
    with ``steps_per_epoch`` different from its length, takes that many batches from one running iterator
    (as tf.keras does).

    Args:
        dataset: the Dataset (its elements are batches: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``).
        convert: turns one element into the ``(x, y, sample_weight)`` lists the training loop takes.
        steps_per_epoch: batches per epoch (None: one pass; required for an infinite dataset).
        arg: the argument's name, for the error messages.

    Example:
        >>> ds = Dataset.from_tensor_slices(np.arange(4)).batch(2)
        >>> [b.tolist() for b in DatasetData(ds, convert=lambda item: item).epoch()]
        [[0, 1], [2, 3]]
    """

    def __init__(self, dataset, convert, steps_per_epoch=None, arg="x"):
        self.dataset = dataset
        self.convert = convert
        self.steps_per_epoch = steps_per_epoch
        card = int(dataset.cardinality())
        if card == INFINITE_CARDINALITY and steps_per_epoch is None:
            raise ValueError(f"When providing an infinite dataset (after repeat()) as `{arg}`, you must specify the "
                             f"number of steps to run (steps_per_epoch in fit, steps in evaluate and predict)")
        if card == 0:
            raise ValueError(f"`{arg}` is an empty Dataset (it yields no batches)")
        self.steps = steps_per_epoch if steps_per_epoch is not None else (card if card >= 0 else None)
        self.recreate = steps_per_epoch is None or steps_per_epoch == card
        self.exhausted = False
        self._stream = None

    def epoch(self):
        if self.recreate:
            count = 0
            for element in self.dataset.as_numpy_iterator():
                yield self.convert(element)
                count += 1
                if self.steps_per_epoch is not None and count >= self.steps_per_epoch:
                    break
            if self.steps is None:
                self.steps = count
            return
        if self._stream is None:
            self._stream = self.dataset.as_numpy_iterator()
        for count in range(self.steps_per_epoch):
            try:
                element = next(self._stream)
            except StopIteration:
                self.exhausted = True
                warnings.warn("Your input ran out of data; interrupting training. Make sure that your dataset or "
                              "generator can generate at least `steps_per_epoch * epochs` batches. You may need to "
                              "use the repeat() function when building your dataset.", stacklevel=4)
                return
            yield self.convert(element)

    def on_epoch_end(self):
        pass

    def close(self):
        pass


def train_validation_split(arrays_lists, validation_split):
    """Split each list of arrays into (train, validation), the validation part being the LAST fraction of the
    samples, taken before any shuffling (as Keras does).

    Example:
        >>> train_validation_split([[np.arange(5)]], 0.4)
        ([[array([0, 1, 2])]], [[array([3, 4])]])
    """
    n = None
    for arrays in arrays_lists:
        if arrays:
            n = arrays[0].shape[0]
            break
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {split_at} samples, which is not sufficient to split it into a "
                         f"validation and training set as specified by `validation_split={validation_split}`. Either "
                         f"provide more data, or a different value for the `validation_split` argument.")
    train = [None if arrays is None else [None if a is None else a[:split_at] for a in arrays]
             for arrays in arrays_lists]
    val = [None if arrays is None else [None if a is None else a[split_at:] for a in arrays]
           for arrays in arrays_lists]
    return train, val
