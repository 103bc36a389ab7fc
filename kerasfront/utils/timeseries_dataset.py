"""``timeseries_dataset_from_array``: sliding windows over an array, batched, as tf.keras makes them.

Window ``k`` starts at ``start_index + k * sequence_stride`` and holds ``sequence_length`` steps taken every
``sampling_rate`` steps; its target is ``targets[start_index + k * sequence_stride]``. Windows come in order,
or shuffled with ``np.random.RandomState(seed)`` as tf.keras shuffles their starts (then, as tf.keras does,
through a shuffle buffer).

Example:
    >>> ds = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3, batch_size=4)
    >>> next(ds.as_numpy_iterator()).tolist()
    [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
"""
import numpy as np

from .dataset import Dataset
from .dataset_utils import batch_and_shuffle

__all__ = ["timeseries_dataset_from_array"]


def _check_int(value, name, minimum=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"timeseries_dataset_from_array({name}=...): expected an int, received {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be {minimum} or greater. Received: {name}={value}")
    return int(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """A Dataset of sliding windows over ``data`` (and their targets), as
    ``tf.keras.utils.timeseries_dataset_from_array``.

    Args:
        data: an array (or list) whose first axis is time.
        targets: the target of each time step (window ``k`` gets the target of its first step), or None.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between the steps taken within a window.
        batch_size: windows per batch (None: single windows).
        shuffle: shuffle the windows (with ``seed``).
        seed: the shuffle's seed.
        start_index, end_index: use only ``data[start_index:end_index]``.

    Returns:
        A ``kerasfront.utils.Dataset`` of ``windows`` or ``(windows, targets)`` batches, in ``data``'s dtype.

    Example:
        >>> x, y = np.arange(100), np.arange(100) * 10
        >>> ds = timeseries_dataset_from_array(x, y, sequence_length=5, sequence_stride=2, batch_size=8)
        >>> windows, t = next(ds.as_numpy_iterator())
        >>> windows[1].tolist(), int(t[1])
        ([2, 3, 4, 5, 6], 20)
    """
    data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError("timeseries_dataset_from_array: `data` must have a time axis; received a scalar")
    n = len(data)
    sequence_length = _check_int(sequence_length, "sequence_length", 1)
    sequence_stride = _check_int(sequence_stride, "sequence_stride")
    sampling_rate = _check_int(sampling_rate, "sampling_rate")
    if batch_size is not None:
        _check_int(batch_size, "batch_size", 1)
    if start_index:
        start_index = _check_int(start_index, "start_index")
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {n}")
    if end_index:
        end_index = _check_int(end_index, "end_index")
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: start_index={start_index}, "
                             f"and end_index={end_index} ")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sampling_rate >= n:
        raise ValueError(f"`sampling_rate` must be lower than the length of the data. Received: "
                         f"sampling_rate={sampling_rate}, for data of length {n}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}")
    if sequence_stride >= n:
        raise ValueError(f"`sequence_stride` must be lower than the length of the data. Received: "
                         f"sequence_stride={sequence_stride}, for data of length {n}")
    start_index = start_index or 0
    end_index = end_index or n
    if targets is not None:
        targets = np.asarray(targets)
        if targets.ndim == 0:
            raise ValueError("timeseries_dataset_from_array: `targets` must have a time axis; received a scalar")

    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    window = np.arange(sequence_length) * sampling_rate
    span = data[start_index:end_index]
    if len(starts) and starts.max() + window[-1] >= len(span):
        raise ValueError(f"timeseries_dataset_from_array: the windows reach past the data (length {len(span)} after "
                         f"start_index/end_index); lower sequence_length or sampling_rate")
    # NOTE: the shuffle buffer and the batches are made of window starts, and each batch gathers its windows with
    # one fancy index: the same windows in the same order as shuffling and stacking the windows themselves (the
    # buffer's draws depend only on the count), without a Python call and a stack per window
    target_span = targets[start_index:end_index] if targets is not None else None

    def gather(s):
        s = np.asarray(s, dtype=np.int64)
        x = span[s[..., None] + window]
        return x if target_span is None else (x, target_span[s])
    return batch_and_shuffle(Dataset.from_tensor_slices(starts), batch_size, shuffle, seed).map(gather)
