"""Each worker's share of the data: batches ``fit``/``evaluate`` take step by step, and ``predict``'s slices.

- Arrays: every global batch (``batch_size`` samples, the last one possibly smaller, as in one process) is
  split into ``num_workers`` contiguous parts whose sizes differ by at most one; worker ``r`` takes part ``r``.
  The shuffle order of each epoch is drawn on worker 0 (from ``kerasfront.random_state``, as one process draws
  it) and broadcast, so every worker cuts the same global batches.
- A ``kerasfront.utils.Sequence`` or ``kerasfront.utils.Dataset`` is sharded by batch index: step ``t`` of
  worker ``r`` is batch ``t * num_workers + r``, so a global batch is ``num_workers`` of its batches; a
  worker whose batches ran out takes an empty share of the last steps.
- A plain Python generator cannot be split among workers deterministically: it is an error.

A step's share is published to the data-parallel helper as ``(local samples, global samples)``: the weight of
this worker's loss in the global one. An empty share yields ``EMPTY`` (``(None, None, None)``).

Example:
    >>> split_bounds(10, 3, 0), split_bounds(10, 3, 1), split_bounds(10, 3, 2)
    ((0, 4), (4, 7), (7, 10))
"""
import math

import numpy as np

from ..engine import data_adapter

__all__ = ["split_bounds", "shard_for_steps", "shard_for_predict", "EMPTY"]

EMPTY = (None, None, None)


def split_bounds(n, size, rank):
    """``(lo, hi)``: worker ``rank``'s contiguous part of ``n`` items split into ``size`` parts differing by at
    most one (the first ``n % size`` parts one longer).

    Example:
        >>> [split_bounds(5, 2, r) for r in range(2)]
        [(0, 3), (3, 5)]
    """
    base, extra = divmod(n, size)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def _count(batch):
    x = batch[0]
    return int(x[0].shape[0]) if x else 0


class ShardedArrayData(data_adapter.ArrayData):
    """``ArrayData`` cutting the same global batches on every worker and yielding this worker's part of each."""

    def __init__(self, base, helper):
        super().__init__(base.x, base.y, base.sw, base.batch_size, shuffle=base.shuffle,
                         steps_per_epoch=base.steps_per_epoch)
        self.helper = helper
        self.comm = helper.comm

    def _order(self):
        if not self.shuffle:
            return None
        if self.comm.rank == 0:
            perm = np.ascontiguousarray(super()._order(), dtype=np.int64)
        else:
            perm = np.empty(self.n, np.int64)
        return self.comm.bcast_(perm)

    def _take(self, idx):
        if isinstance(idx, slice):
            start, stop = idx.start, min(idx.stop, self.n)
            lo, hi = split_bounds(stop - start, self.comm.size, self.comm.rank)
            local, total = slice(start + lo, start + hi), stop - start
        else:
            lo, hi = split_bounds(len(idx), self.comm.size, self.comm.rank)
            local, total = idx[lo:hi], len(idx)
        self.helper.set_share(hi - lo, total)
        return EMPTY if hi == lo else super()._take(local)


class ShardedSequenceData:
    """A ``Sequence`` sharded by batch index: worker ``r`` reads batch ``order[t * K + r]`` at step ``t``."""

    def __init__(self, base, helper):
        self.sequence = base.sequence
        self.convert = base.convert
        self.shuffle = base.shuffle
        self.length = base.length
        self.steps_per_epoch = base.steps_per_epoch
        self.helper = helper
        self.comm = helper.comm
        size = self.comm.size
        self.steps = self.steps_per_epoch if self.steps_per_epoch is not None else math.ceil(self.length / size)

    def epoch(self):
        from .. import random_state
        size, rank = self.comm.size, self.comm.rank
        order = np.arange(self.length, dtype=np.int64)
        if self.shuffle:
            if rank == 0:
                random_state.generator().shuffle(order)
            self.comm.bcast_(order)
        for t in range(self.steps):
            i = t * size + rank
            batch = EMPTY
            if self.steps_per_epoch is not None or i < self.length:
                batch = self.convert(self.sequence[int(order[i % self.length])])
            count = _count(batch) if batch is not EMPTY else 0
            self.helper.set_share(count, self.helper.global_count(count))
            yield batch

    def on_epoch_end(self):
        self.sequence.on_epoch_end()

    def close(self):
        pass


class _NoBatches:
    steps = 0
    exhausted = True

    def epoch(self):
        return iter(())


class ShardedDatasetData:
    """A ``Dataset`` sharded by batch index (``dataset.shard(K, r)``); the global steps are those of the longest
    shard, the others taking empty shares once theirs ran out."""

    def __init__(self, base, helper):
        self.helper = helper
        self.comm = helper.comm
        size, rank = self.comm.size, self.comm.rank
        card = int(base.dataset.cardinality())
        shard = base.dataset.shard(size, rank)
        self.inner = (_NoBatches() if int(shard.cardinality()) == 0 else
                      data_adapter.DatasetData(shard, base.convert, steps_per_epoch=base.steps_per_epoch))
        self.steps_per_epoch = base.steps_per_epoch
        self.steps = (base.steps_per_epoch if base.steps_per_epoch is not None
                      else math.ceil(card / size) if card >= 0 else None)
        self.exhausted = False

    def epoch(self):
        stream = iter(self.inner.epoch())
        t = 0
        while self.steps is None or t < self.steps:
            try:
                batch = next(stream)
            except StopIteration:
                batch = EMPTY
            count = _count(batch) if batch is not EMPTY else 0
            total = self.helper.global_count(count)
            if total == 0:      # every worker's shard ran out
                self.exhausted = bool(getattr(self.inner, "exhausted", False))
                if self.steps is None:
                    self.steps = t
                return
            self.helper.set_share(count, total)
            yield batch
            t += 1

    def on_epoch_end(self):
        pass

    def close(self):
        pass


def shard_for_steps(data, helper, arg):
    """This worker's view of ``data`` (an ArrayData, SequenceData or DatasetData) for fit or evaluate."""
    if isinstance(data, data_adapter.ArrayData):
        size = helper.comm.size
        if data.batch_size < size:
            raise ValueError(f"`{arg}`: the global batch size {data.batch_size} is smaller than the number of workers "
                             f"({size}): every worker needs at least one sample of each global batch; pass "
                             f"batch_size >= {size}")
        return ShardedArrayData(data, helper)
    if isinstance(data, data_adapter.SequenceData):
        return ShardedSequenceData(data, helper)
    if isinstance(data, data_adapter.DatasetData):
        return ShardedDatasetData(data, helper)
    raise ValueError(f"`{arg}`: a Python generator cannot be split among the {helper.comm.size} workers "
                     f"deterministically. Under {type(helper.strategy).__name__}, pass arrays, a "
                     f"kerasfront.utils.Sequence or a kerasfront.utils.Dataset (sharded by batch index: every "
                     f"worker builds the same one and reads its own batches).")


def shard_for_predict(data, helper):
    """``(local data or None, reassemble)`` for ``predict``: arrays in contiguous blocks, Sequences and Datasets
    by batch index; ``reassemble(parts, batch_counts)`` puts every worker's rows back in the input's order."""
    size, rank = helper.comm.size, helper.comm.rank
    if isinstance(data, data_adapter.ArrayData):
        n = data.n if data.steps_per_epoch is None else min(data.n, data.steps_per_epoch * data.batch_size)
        lo, hi = split_bounds(n, size, rank)
        local = None if hi == lo else data_adapter.ArrayData([a[lo:hi] for a in data.x], None, None,
                                                             data.batch_size)
        return local, None
    if isinstance(data, data_adapter.SequenceData):
        steps = data.steps
        mine = list(range(rank, steps, size))
        local = None if not mine else _IndexedSequence(data, mine)
        return local, steps
    if isinstance(data, data_adapter.DatasetData):
        card = int(data.dataset.cardinality())
        steps = data.steps_per_epoch if data.steps_per_epoch is not None else card
        shard = data.dataset.shard(size, rank)
        if steps is not None and steps >= 0:
            shard = shard.take(len(range(rank, steps, size)))
        local = None if int(shard.cardinality()) == 0 else data_adapter.DatasetData(shard, data.convert)
        return local, steps
    raise ValueError(f"predict: a Python generator cannot be split among the {size} workers deterministically; "
                     f"pass arrays, a kerasfront.utils.Sequence or a kerasfront.utils.Dataset")


class _IndexedSequence:
    """The batches ``indices`` of a SequenceData, in that order (predict's share of a Sequence)."""

    def __init__(self, base, indices):
        self.base = base
        self.indices = indices
        self.steps = len(indices)

    def epoch(self):
        for i in self.indices:
            yield self.base.convert(self.base.sequence[i % self.base.length])

    def on_epoch_end(self):
        self.base.sequence.on_epoch_end()

    def close(self):
        pass
