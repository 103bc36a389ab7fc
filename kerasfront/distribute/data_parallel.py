"""The seam between training and a multi-worker strategy: what ``fit``, ``evaluate`` and ``predict`` ask of it.

``Model`` reaches this helper only through ``strategy._data_parallel(model)`` (None in one process) and asks:

- ``shard(data)``: this worker's share of every global batch (``sharding``), and ``callbacks(...)``: the
  callbacks of this worker (the chief's file writers and progress bar are silent stand-ins elsewhere);
- ``begin(...)``: check that every worker runs the same model, optimizer and data (a clear error otherwise),
  then ``sync_state(...)``: weights, optimizer state and the epoch to resume from, as worker 0 has them;
- ``all_reduce_gradients(grads)``: one in-place ``Allreduce`` of a flat buffer per step. Each worker's loss
  was already weighted by its share of the global batch (``LossesContainer.replica_share``), so the sum is
  the gradient one process computes on the whole global batch;
- ``reduced_logs(...)``: the logs computed from the metrics' state summed over the workers (sums, counts,
  confusion matrices, AUC buckets), so every worker logs what one process would; the moving statistics of
  BatchNormalization are averaged in the same buffer;
- ``agree(flag)``: one ``stop_training`` decision for all; ``predict(...)``: the whole prediction everywhere.

Example:
    >>> helper = strategy._data_parallel(model)        # None unless mpiexec started several workers
    >>> grads = helper.all_reduce_gradients(grads)
"""
import json
import time

import numpy as np

from autograd.tensor import make_leaf

from . import collective_ops, sharding

__all__ = ["DataParallel", "CHIEF_ONLY_CALLBACKS"]

#: callbacks that write files or print, run by worker 0 only (silent stand-ins elsewhere keep the hook calls,
#: and so the collectives they imply, the same on every worker)
CHIEF_ONLY_CALLBACKS = ("ProgbarLogger", "ModelCheckpoint", "CSVLogger", "BackupAndRestore", "TensorBoard",
                        "RemoteMonitor")


class _SilentStandIn:
    """Stands for a chief-only callback on the other workers: the same batch hooks, no effect."""

    def __init__(self, callback):
        self._callback = callback

    def __getattr__(self, name):
        if name.startswith("on_"):
            return _noop
        return getattr(self._callback, name)

    def set_params(self, params):
        self._callback.set_params(params)

    def set_model(self, model):
        # NOTE: not the callback's own set_model: TensorBoard's writes the Keras graph there (an event file in
        # log_dir/train), which only the chief may write; the attribute is all a silent stand-in needs to hand on.
        self._callback.model = model

    def _implements_train_batch_hooks(self):
        return self._callback._implements_train_batch_hooks()

    def _implements_test_batch_hooks(self):
        return self._callback._implements_test_batch_hooks()

    def _implements_predict_batch_hooks(self):
        return self._callback._implements_predict_batch_hooks()


def _noop(*args, **kwargs):
    return None


def _is_chief_only(callback):
    return any(cls.__name__ in CHIEF_ONLY_CALLBACKS and cls.__module__.startswith("kerasfront")
               for cls in type(callback).__mro__)


class DataParallel:
    """Data parallelism for one model under one multi-worker strategy (made by ``strategy._data_parallel``).

    Args:
        strategy: the ``MultiWorkerMirroredStrategy``.
        model: the model it trains.

    Example:
        >>> helper = DataParallel(strategy, model); helper.comm.size
        2
    """

    def __init__(self, strategy, model):
        self.strategy = strategy
        self.model = model
        self.comm = strategy._communicator
        self.share = None
        self._trace = None
        self._recording = []
        self._buffers = {}
        self._layout_checked = False
        self._synced = False
        #: time spent in the gradient Allreduce, bytes reduced and steps taken (for benchmarks)
        self.stats = {"allreduce_seconds": 0.0, "allreduce_bytes": 0, "steps": 0}

    # -- data ------------------------------------------------------------------------------------------
    def shard(self, data, arg="x"):
        """This worker's view of ``data`` (an ArrayData, SequenceData or DatasetData) for fit or evaluate."""
        return sharding.shard_for_steps(data, self, arg) if data is not None else None

    def set_share(self, local, total):
        """Publish this step's share: ``local`` of the ``total`` samples of the global batch."""
        self.share = (local, total)
        self._recording = []
        collective_ops._STEP[0] = self
        loss = getattr(self.model, "compiled_loss", None)
        if loss is not None:
            loss.replica_share = (local, total) if local else None

    def global_count(self, count):
        """The sum of every worker's ``count`` (the global batch size of a Sequence or Dataset step)."""
        buf = np.array([count], np.int64)
        return int(self.comm.allreduce_(buf)[0])

    def finish(self):
        """Leave the step state (end of fit, evaluate or an on-batch call)."""
        self.share = None
        collective_ops._STEP[0] = None
        loss = getattr(self.model, "compiled_loss", None)
        if loss is not None:
            loss.replica_share = None

    # -- callbacks -------------------------------------------------------------------------------------
    def callbacks(self, callbacks, verbose):
        """``(callbacks, add_progbar)`` for this worker: unchanged on the chief; elsewhere the chief-only ones
        (progress bar, checkpoints, CSV, backups, TensorBoard) become silent stand-ins with the same hooks."""
        from ..callbacks import Callback, CallbackList, ProgbarLogger
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, CallbackList):
            callbacks = list(callbacks.callbacks)
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        else:
            callbacks = list(callbacks)
        if self.comm.rank == 0:
            return callbacks, verbose != 0
        out = [_stand_in(cb) if isinstance(cb, Callback) and _is_chief_only(cb) else cb for cb in callbacks]
        if verbose != 0 and not any(isinstance(cb, ProgbarLogger) for cb in callbacks):
            out.append(_stand_in(ProgbarLogger(count_mode="steps")))
        return out, False

    def agree_on_batch_hooks(self, callbacks):
        """Run the batch hooks of ``callbacks`` (a CallbackList) on every worker when any worker has them: each
        batch hook reads the logs, a collective (the metrics' state), so workers whose callbacks differ
        (``verbose=1 if rank == 0 else 0``, a callback given to worker 0 only) must still call them together."""
        flags = np.array([callbacks._train_batch, callbacks._test_batch], np.int64)
        self.comm.allreduce_(flags)
        callbacks._train_batch, callbacks._test_batch = bool(flags[0]), bool(flags[1])
        return callbacks

    # -- start: agreement and state --------------------------------------------------------------------
    def begin(self, what, data=None, validation=None, **record):
        """Check that every worker runs the same model, optimizer, compile and data; a ValueError naming the
        first worker that differs (raised on every worker, so none waits forever)."""
        self._layout_checked = False
        if data is not None:
            record.update(_data_record(data))
        if validation is not None:
            record.update({f"validation {k}": v for k, v in _data_record(validation).items()})
        mine = self._signature(what, record)
        every = self.comm.allgather_obj(mine)
        chief = every[0]
        problems = []
        for rank, theirs in enumerate(every[1:], 1):
            for key in chief:
                if _comparable(key, theirs.get(key)) != _comparable(key, chief[key]):
                    problems.append(_describe(key, chief[key], theirs.get(key), rank))
                    break
        if problems:
            raise ValueError(f"{what}: the {self.comm.size} workers do not agree, so their steps could not be "
                             "combined: " + "; ".join(problems) + ". Every worker must build the same model, "
                             "compile it the same way and pass data of the same size.")

    def _signature(self, what, record):
        model = self.model
        sig = {"model weights": [(w.name, tuple(w.shape), w.dtype.name) for w in model.weights]}
        opt = getattr(model, "optimizer", None)
        if opt is not None:
            sig["optimizer"] = dict(json.loads(json.dumps(opt.get_config(), sort_keys=True, default=repr)),
                                    **{"class": type(opt).__name__})
        losses = getattr(getattr(model, "compiled_loss", None), "_resolved", None)
        if losses is not None:
            from ..engine.nest import flatten
            sig["loss"] = [None if loss is None else f"{type(loss).__name__}:{getattr(loss, 'name', '')}:"
                           f"{getattr(loss, 'reduction', '')}" for loss in flatten(losses)]
        sig[f"{what} data"] = {k: v for k, v in record.items()}
        return sig

    def sync_state(self, initial_epoch=0):
        """Give every worker worker 0's weights and optimizer state; returns worker 0's ``initial_epoch``
        (after ``BackupAndRestore`` restored a backup there)."""
        model, comm = self.model, self.comm
        self.average_replica_weights()
        self._bcast_arrays(model.weights)
        self._synced = True
        opt = getattr(model, "optimizer", None)
        if opt is not None:
            info = comm.bcast_obj((bool(getattr(opt, "_built", False)), len(list(opt.variables)),
                                   opt.get_host_state() if hasattr(opt, "get_host_state") else None))
            built, count, host = info
            if built:
                if not getattr(opt, "_built", False):
                    opt.build(list(model.trainable_weights))
                variables = list(opt.variables)
                if len(variables) != count:
                    raise ValueError(f"The optimizer of worker {comm.rank} has {len(variables)} variables and worker "
                                     f"0's has {count}: the workers' optimizers differ")
                self._bcast_arrays(variables)
                if host is not None and comm.rank != 0:
                    opt.set_host_state(host)
        return int(comm.bcast_obj(int(initial_epoch)))

    def _bcast_arrays(self, variables):
        import autograd as ag
        groups = {}
        for v in variables:
            groups.setdefault(v.dtype.str, []).append(v)
        for dtype, vs in groups.items():
            buf = np.concatenate([v.data.ravel() for v in vs]) if vs else np.empty(0, dtype)
            self.comm.bcast_(buf)
            if self.comm.rank != 0:
                o = 0
                for v in vs:
                    n = v.data.size
                    ag.assign(v, buf[o:o + n].reshape(v.shape))
                    o += n

    def shard_batch(self, xb, yb, swb):
        """This worker's part of one global batch (``train_on_batch``), its share published."""
        if not self._synced:
            self.sync_state()
        n = int(xb[0].shape[0])
        lo, hi = sharding.split_bounds(n, self.comm.size, self.comm.rank)
        self.set_share(hi - lo, n)
        if hi == lo:
            return sharding.EMPTY

        def part(arrays):
            return None if arrays is None else [None if a is None else a[lo:hi] for a in arrays]
        return part(xb), part(yb), part(swb)

    # -- the training step -----------------------------------------------------------------------------
    def step_all_reduce(self, array):
        """Sum ``array`` over the workers inside a step (a synchronized BatchNormalization's moments), recording
        its shape so that a worker with an empty share can make the same calls."""
        self._recording.append((array.shape, array.dtype))
        return self.comm.allreduce_(array)

    def all_reduce_gradients(self, grads):
        """The gradients summed over the workers: one flat in-place ``Allreduce`` per dtype."""
        start = time.perf_counter()
        groups = {}
        for i, g in enumerate(grads):
            data = np.asarray(g) if isinstance(g, np.ndarray) else g.data
            groups.setdefault(data.dtype.str, []).append((i, data))
        out = [None] * len(grads)
        nbytes = 0
        for key, items in groups.items():
            total = sum(d.size for _, d in items)
            buf = self._buffer(key, total)
            o = 0
            for _, d in items:
                buf[o:o + d.size] = d.ravel()
                o += d.size
            self.comm.allreduce_(buf)
            nbytes += buf.nbytes
            o = 0
            for i, d in items:
                out[i] = make_leaf(buf[o:o + d.size].reshape(d.shape))
                o += d.size
        self.stats["allreduce_seconds"] += time.perf_counter() - start
        self.stats["allreduce_bytes"] += nbytes
        self.stats["steps"] += 1
        self._trace = self._recording
        collective_ops._STEP[0] = None
        return out

    def _buffer(self, dtype, size):
        buf = self._buffers.get(dtype)
        if buf is None or buf.size != size:
            buf = self._buffers[dtype] = np.empty(size, np.dtype(dtype))
        return buf

    def empty_train_step(self):
        """This worker's share of the global batch is empty: take part in the step's collectives with zeros
        and apply the same update as the others."""
        model = self.model
        if self._trace is None:
            if any(getattr(layer, "synchronized", False) for layer in model._flatten_layers()):
                raise ValueError(f"Worker {self.comm.rank} has no samples in its first global batch, and the model "
                                 f"has a BatchNormalization(synchronized=True) whose statistics every worker must "
                                 f"compute together: pass more data, or a batch size of at least the number of "
                                 f"workers ({self.comm.size})")
            self._trace = []
        for shape, dtype in self._trace:
            self.comm.allreduce_(np.zeros(shape, dtype))
        variables = model._train_vars
        if variables:
            grads = self.all_reduce_gradients([np.zeros(v.shape, v.dtype) for v in variables])
            model.optimizer.apply(grads, variables)
        collective_ops._STEP[0] = None

    # -- metrics and logs ------------------------------------------------------------------------------
    def _mean_weights(self):
        out = []
        for layer in self.model._flatten_layers():
            fn = getattr(layer, "_replica_mean_weights", None)
            if fn is not None:
                out.extend(fn())
        return out

    def reduced_logs(self, local_logs):
        """``local_logs()`` computed from the metrics' state summed over the workers (then the local state is
        put back, to go on accumulating); BatchNormalization's moving statistics are averaged on the way."""
        import autograd as ag
        metrics = self.model.metrics
        pieces, slots = [], []
        for m in metrics:
            variables = getattr(m, "variables", None)
            if variables is None:           # the loss trackers: Python floats
                pieces.append(np.array([m.total, m.count], np.float64))
                slots.append((m, None))
            else:
                for v in variables:
                    pieces.append(np.asarray(v.data, np.float64).ravel())
                    slots.append((m, v))
        means = self._mean_weights()
        pieces.extend(np.asarray(v.data, np.float64).ravel() for v in means)
        buf = np.concatenate(pieces) if pieces else np.zeros(0)
        if not self._layout_checked:
            self._check_layout(len(buf), [_metric_record(m) for m in metrics], len(means))
        self.comm.allreduce_(buf)
        saved = []
        o = 0
        for m, v in slots:
            if v is None:
                saved.append((m, None, (m.total, m.count)))
                m.total, m.count = float(buf[o]), float(buf[o + 1])
                o += 2
            else:
                saved.append((m, v, v.data.copy()))
                ag.assign(v, buf[o:o + v.data.size].reshape(v.shape).astype(v.dtype))
                o += v.data.size
        for v in means:
            ag.assign(v, (buf[o:o + v.data.size] / self.comm.size).reshape(v.shape).astype(v.dtype))
            o += v.data.size
        try:
            return local_logs()
        finally:
            for m, v, value in saved:
                if v is None:
                    m.total, m.count = value
                else:
                    ag.assign(v, value)

    def _check_layout(self, length, records, means):
        every = self.comm.allgather_obj((length, records, means))
        for rank, theirs in enumerate(every[1:], 1):
            if (theirs[0], _comparable_metrics(theirs[1]), theirs[2]) != (
                    every[0][0], _comparable_metrics(every[0][1]), every[0][2]):
                raise ValueError(f"The workers' metrics differ, so their states cannot be summed: worker 0 has "
                                 f"{_metric_names(every[0][1])} ({every[0][0]} numbers of state), worker {rank} has "
                                 f"{_metric_names(theirs[1])} ({theirs[0]} numbers); compile the model the same way "
                                 f"on every worker")
        self._layout_checked = True

    def average_replica_weights(self):
        """Average BatchNormalization's moving statistics over the workers (before evaluating or saving)."""
        import autograd as ag
        means = self._mean_weights()
        if not means:
            return
        buf = np.concatenate([np.asarray(v.data, np.float64).ravel() for v in means])
        self.comm.allreduce_(buf)
        o = 0
        for v in means:
            ag.assign(v, (buf[o:o + v.data.size] / self.comm.size).reshape(v.shape).astype(v.dtype))
            o += v.data.size

    def agree(self, flag):
        """True on every worker when ``flag`` is true on any (``stop_training``)."""
        return self.comm.allreduce_max(1 if flag else 0) > 0

    # -- predict ---------------------------------------------------------------------------------------
    def predict(self, data, callbacks):
        """The whole prediction on every worker: each predicts its share, then the parts are gathered."""
        from ..engine import nest
        self.average_replica_weights()
        local, steps = sharding.shard_for_predict(data, self)
        counts = []
        result = None
        if local is not None:
            inner = local.epoch

            def counted():
                for batch in inner():
                    counts.append(int(batch[0][0].shape[0]))
                    yield batch
            local.epoch = counted
            callbacks.set_params(dict(callbacks.params, steps=local.steps))    # the progress bar counts this share
            result = self.model._predict_loop(local, callbacks)
        flat = nest.flatten(result) if result is not None else None
        meta = None if flat is None else (nest.map_structure(lambda a: None, result),
                                          [(a.shape[1:], a.dtype.str) for a in flat])
        every = self.comm.allgather_obj((meta, counts))
        template = next((m for m, _ in every if m is not None), None)
        if template is None:
            raise ValueError("predict: the input produced no batches (an empty generator or Sequence?)")
        structure, shapes = template
        if flat is None:
            flat = [np.empty((0,) + tuple(shape), np.dtype(dtype)) for shape, dtype in shapes]
        gathered = [self.comm.allgatherv(a) for a in flat]
        if steps is not None:          # sharded by batch index: put the batches back in their order
            gathered = [a[_batch_order(every, steps, self.comm.size)] for a in gathered]
        if not isinstance(structure, (list, tuple, dict)):
            return gathered[0]
        return nest.pack_sequence_as(structure, gathered)


def _metric_record(metric):
    """``(name, what it computes)`` of one metric for the workers' agreement check: its class, its configuration
    but the name (names may hold process-local layer names) and the shapes of its state."""
    try:
        config = dict(metric.get_config())
    except Exception:      # a metric whose configuration cannot be read: its class and state still count
        config = {}
    config.pop("name", None)
    named = lambda v: getattr(v, "__name__", type(v).__name__)      # noqa: E731  (never an address)
    config = json.loads(json.dumps(config, sort_keys=True, default=named))
    shapes = [list(np.shape(v.data)) for v in (getattr(metric, "variables", None) or [])]
    return metric.name, [type(metric).__name__, config, shapes]


def _comparable_metrics(records):
    return [what for _, what in records]


def _metric_names(records):
    return [f"{name} ({what[0]}{''.join(f', {k}={v}' for k, v in what[1].items() if k == 'fn')})"
            for name, what in records]


def _data_record(data):
    """What every worker's data must agree on (sizes, steps, shuffling), for ``begin``'s check."""
    record = {"kind": type(data).__name__.replace("Sharded", ""), "steps": getattr(data, "steps", None)}
    for attr in ("n", "batch_size", "shuffle", "length"):
        if hasattr(data, attr):
            record[{"n": "samples"}.get(attr, attr)] = getattr(data, attr)
    return record


def _batch_order(every, steps, size):
    """Row indices putting batch ``i`` (worker ``i % size``'s batch ``i // size``) back at position ``i``."""
    starts, offset = [], 0
    for _, counts in every:
        pos = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64) + offset
        starts.append(pos)
        offset += int(sum(counts))
    rows = []
    for i in range(steps):
        w, j = i % size, i // size
        if j < len(every[w][1]):
            rows.append(np.arange(starts[w][j], starts[w][j + 1]))
    return np.concatenate(rows) if rows else np.zeros(0, np.int64)


_STAND_IN = []


def _stand_in(callback):
    if not _STAND_IN:
        from ..callbacks import Callback

        class StandIn(_SilentStandIn, Callback):
            """A chief-only callback's silent stand-in on another worker."""
        _STAND_IN.append(StandIn)
    return _STAND_IN[0](callback)


def _comparable(key, value):
    """What must agree: the weights' shapes and dtypes, not their names (each process numbers its layers)."""
    if key == "model weights" and isinstance(value, list):
        return [v[1:] for v in value]
    return value


def _describe(key, chief, theirs, rank):
    if key == "model weights" and isinstance(chief, list) and isinstance(theirs, list):
        if len(chief) != len(theirs):
            return (f"worker {rank}'s model has {len(theirs)} weights and worker 0's has {len(chief)} "
                    f"(worker 0: {[c[0] for c in chief][:6]}, worker {rank}: {[t[0] for t in theirs][:6]})")
        for c, t in zip(chief, theirs):
            if c[1:] != t[1:]:
                return (f"the model weight {c[0]!r} has shape {c[1]} ({c[2]}) on worker 0 and {t[0]!r} has shape "
                        f"{t[1]} ({t[2]}) on worker {rank}")
    if isinstance(chief, dict) and isinstance(theirs, dict):
        diff = sorted(k for k in set(chief) | set(theirs) if chief.get(k) != theirs.get(k))
        detail = ", ".join(f"{k}={chief.get(k)!r} on worker 0 but {theirs.get(k)!r} on worker {rank}" for k in diff)
        return f"the {key}: {detail}"
    return f"the {key}: {chief!r} on worker 0 but {theirs!r} on worker {rank}"
