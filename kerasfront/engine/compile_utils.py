"""The loss and metric containers ``compile`` builds: which loss and metrics apply to which model output,
their names in the history (``loss``, ``<output>_loss``, ``accuracy``, ``<output>_accuracy``) and the
running means ``fit`` reports.

Names resolve when ``compile`` is called, so an unknown loss or metric fails there; ``'accuracy'`` /
``'acc'`` (and ``'crossentropy'`` / ``'ce'``) resolve on the first batch from the shapes of the labels and
predictions, as tf.keras does: binary when the prediction's last axis is 1, sparse when the labels have
one axis less (or a last axis of 1 against several classes), categorical otherwise.

Example:
    >>> losses = LossesContainer({"cls": "categorical_crossentropy", "reg": "mae"}, {"cls": 1.0, "reg": 0.5},
    ...                          output_names=["cls", "reg"])
"""
import numpy as np

import autograd as ag

from .. import losses as losses_mod
from .. import metrics as metrics_mod
from ..utils.losses_utils import apply_mask, match_dtype_and_rank
from .base_layer import get_mask

_ACC_NAMES = ("accuracy", "acc")
_CE_NAMES = ("crossentropy", "ce")


class MeanTracker:
    """A running weighted mean kept in Python floats (the ``loss`` entries of the logs): cheap per batch.

    Example:
        >>> tracker = MeanTracker("loss"); tracker.update_state(1.0, weight=2); tracker.update_state(4.0)
        >>> tracker.result()
        2.0
    """

    __slots__ = ("name", "total", "count")

    def __init__(self, name):
        self.name = name
        self.total = 0.0
        self.count = 0.0

    def update_state(self, value, weight=1.0):
        if isinstance(value, np.ndarray):       # a vector of losses (reduction "none")
            self.total += float(value.sum()) * weight
            self.count += weight * value.size
            return
        self.total += value * weight
        self.count += weight

    def result(self):
        return self.total / self.count if self.count else 0.0

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    reset_states = reset_state


def _structure_error(kind, value, output_names):
    return ValueError(f"compile({kind}=...): found entries that do not correspond to any model output: {value}. "
                      f"Valid model output names: {output_names}")


def map_to_outputs(value, output_names, kind, output_keys=None, broadcast=True):
    """Spread a per-output argument (a single value, a list, or a dict by output name) into a list aligned with
    ``output_names`` (None where an output has none).

    Args:
        value: one value for every output, a list with one per output, or a dict keyed by output name.
        output_names: the model's output names.
        kind: the compile argument's name ("loss", "metrics"...), for the error messages.
        output_keys: the keys of a dict-structured model output, also accepted as dict keys.
        broadcast: whether a single value applies to every output.

    Example:
        >>> map_to_outputs({"b": "mae"}, ["a", "b"], "loss"), map_to_outputs("mse", ["a", "b"], "loss")
        ([None, 'mae'], ['mse', 'mse'])
    """
    n = len(output_names)
    if isinstance(value, dict):
        keys = list(output_names)
        alias = {}
        if output_keys:
            alias = {k: i for i, k in enumerate(output_keys)}
        out = [None] * n
        unknown = []
        for k, v in value.items():
            if k in keys:
                out[keys.index(k)] = v
            elif k in alias:
                out[alias[k]] = v
            else:
                unknown.append(k)
        if unknown:
            raise _structure_error(kind, unknown, output_names)
        return out
    if isinstance(value, (list, tuple)) and kind in ("loss", "loss_weights"):
        if len(value) != n:
            raise ValueError(f"compile({kind}=...): when passing a list as {kind}, it should have one entry per model "
                             f"output. The model has {n} output(s) {output_names}, but you passed {kind} with "
                             f"{len(value)} entries: {value!r}")
        return list(value)
    if kind in ("metrics", "weighted_metrics"):
        if value is None:
            return [[] for _ in range(n)]
        if isinstance(value, (list, tuple)):
            if n > 1 and value and all(isinstance(v, (list, tuple)) or v is None for v in value):
                if len(value) != n:
                    raise ValueError(f"compile({kind}=...): a list of lists needs one list per model output "
                                     f"({n}), received {len(value)}")
                return [list(v) if v is not None else [] for v in value]
            return [list(value) for _ in range(n)]
        return [[value] for _ in range(n)]
    return [value] * n if broadcast else [value] + [None] * (n - 1)


def _loss_name(loss):
    if isinstance(loss, str):
        return loss
    if isinstance(loss, losses_mod.Loss):
        return loss.name or type(loss).__name__
    return getattr(loss, "__name__", type(loss).__name__)


def resolve_loss(loss):
    """A Loss object for a name, function or Loss (unknown names raise a ValueError listing close matches).

    Example:
        >>> resolve_loss("mse").name
        'mean_squared_error'
    """
    if loss is None:
        return None
    obj = losses_mod.get(loss)
    if isinstance(obj, losses_mod.Loss):
        return obj
    if not callable(obj):
        raise TypeError(f"compile(loss=...): expected a loss name, a function or a Loss object, received {loss!r}")
    return losses_mod.LossFunctionWrapper(obj, name=_loss_name(loss) if not isinstance(loss, str)
                                          else getattr(obj, "__name__", loss))


def is_sparse_loss(loss):
    """True for a resolved sparse categorical crossentropy: the ``SparseCategoricalCrossentropy`` object or
    the loss function itself (resolve names with ``resolve_loss`` first); its labels are class ids.

    Example:
        >>> is_sparse_loss(kerasfront.losses.SparseCategoricalCrossentropy()), is_sparse_loss("mse")
        (True, False)
    """
    if loss is None:
        return False
    if isinstance(loss, losses_mod.SparseCategoricalCrossentropy):
        return True
    fn = getattr(loss, "fn", loss)
    return fn is losses_mod.sparse_categorical_crossentropy


class LossesContainer:
    """The compiled loss: one Loss per output (or None), loss weights, and the ``loss`` / ``<output>_loss``
    running means.

    Example:
        >>> losses = LossesContainer("mse", output_names=["out"])
        >>> y_true, y_pred = ag.Tensor(np.zeros((2, 1), "float32")), ag.Tensor(np.ones((2, 1), "float32"))
        >>> float(losses([y_true], [y_pred], None).data), losses.loss_metric.result()
        (1.0, 1.0)
    """

    def __init__(self, losses, loss_weights=None, output_names=None):
        self._user_losses = losses
        self._user_loss_weights = loss_weights
        # resolve now, so that unknown names fail in compile
        self._resolved = _map_leaves(losses, resolve_loss)
        if loss_weights is not None:
            for w in (loss_weights.values() if isinstance(loss_weights, dict) else
                      loss_weights if isinstance(loss_weights, (list, tuple)) else [loss_weights]):
                if w is not None and (isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating))):
                    raise TypeError(f"compile(loss_weights=...): expected numbers, received {w!r}")
                if w is not None and not np.isfinite(w):
                    raise ValueError(f"compile(loss_weights=...): expected finite numbers, received {w!r}")
        self.loss_metric = MeanTracker("loss")
        self.per_output_metrics = []
        self.output_names = None
        self.built = False
        #: under data parallelism, ``(this worker's samples, the global batch's)`` of the step being computed
        #: (set by kerasfront.distribute), else None
        self.replica_share = None
        if output_names is not None:
            self.build(output_names)

    def build(self, output_names, output_keys=None):
        self.output_names = list(output_names)
        self.losses = map_to_outputs(self._resolved, self.output_names, "loss", output_keys)
        weights = self._user_loss_weights
        self.loss_weights = (map_to_outputs(weights, self.output_names, "loss_weights", output_keys)
                             if weights is not None else [None] * len(self.output_names))
        self.per_output_metrics = ([MeanTracker(f"{name}_loss") if loss is not None else None
                                    for name, loss in zip(self.output_names, self.losses)]
                                   if len(self.output_names) > 1 else [])
        self.built = True

    @property
    def metrics(self):
        return [self.loss_metric] + [m for m in self.per_output_metrics if m is not None]

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        """The total loss Tensor for lists of labels/predictions/sample weights aligned with the outputs (or, as a
        custom ``train_step`` passes them, a model's own ``y`` / ``y_pred`` structures); updates the running means
        (weighted by batch size).

        Example:
            >>> loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        """
        y_true, y_pred, sample_weight = aligned_with_outputs(self, y_true, y_pred, sample_weight)
        total, parts, batch = self.compute(y_true, y_pred, sample_weight, regularization_losses)
        self.update_trackers(parts, batch)
        return total

    def compute(self, y_true, y_pred, sample_weight, regularization_losses=None):
        """The total loss Tensor, and what ``update_trackers`` needs: ``parts``, one ``(output index, loss Tensor
        before its weight, batch size, loss weight, data-parallel factor or None)`` per loss (index None for the
        regularization sum), and the batch size. Only autograd ops: a captured training step records it."""
        total = None
        batch = None
        share = self.replica_share
        parts = []
        for i, loss in enumerate(self.losses):
            if loss is None:
                continue
            yt, yp = y_true[i], y_pred[i]
            if yt is None:
                raise ValueError(f"Target data is missing for output '{self.output_names[i]}': the model was compiled "
                                 f"with a loss for it, so `fit`/`evaluate` need its labels in `y`")
            sw = sample_weight[i] if sample_weight is not None else None
            # the compile-path rule (1-D labels and weights meet a (N, 1) output sample by sample), then the mask
            yt, yp, sw = match_dtype_and_rank(yt, yp, sw)
            sw = apply_mask(yp, sw, get_mask(yp))
            try:
                value = loss(yt, yp, sample_weight=sw)
            except ValueError as e:
                user_sw = sample_weight[i] if sample_weight is not None else None
                given = "" if user_sw is None else f" with `sample_weight` of shape {tuple(np.shape(user_sw))}"
                raise ValueError(f"Output '{self.output_names[i]}': the loss {_loss_name(loss)} failed on `y` of shape "
                                 f"{tuple(yt.shape)} and the model's predictions of shape {tuple(yp.shape)}{given}: "
                                 f"{e}") from e
            n = yt.shape[0] if yt.ndim else 1
            batch = n if batch is None else batch
            factor = None
            if share is not None and getattr(loss, "reduction", "auto") not in ("auto", "sum_over_batch_size"):
                # NOTE: data parallelism weights every worker's total by its share of the global batch (below); a
                # "sum" (or "none") loss is a sum over the global batch, so its part is first divided by that share
                factor = share[1] / share[0]
            w = self.loss_weights[i]
            parts.append((i, value, n, w, factor))
            if factor is not None:
                value = value * factor
            if w is not None and w != 1:
                value = value * float(w)
            total = value if total is None else total + value
        if regularization_losses:
            reg = regularization_losses[0]
            for r in regularization_losses[1:]:
                reg = reg + r
            if not isinstance(reg, ag.Tensor):
                reg = ag.Tensor(np.asarray(reg, np.float32))
            total = reg if total is None else total + reg
            # NOTE: a layer may add a per-sample loss (the OCR example's K.ctc_batch_cost, shape (batch, 1)): as in
            # tf.keras, the logs show its mean (update_trackers) and the gradient is that of its sum
            parts.append((None, reg, None, None, None))
        if total is None:
            total = ag.Tensor(np.zeros((), np.float32))
        if share is not None:
            # NOTE: data parallelism: a mean over this worker's samples weighted by local / global sums, over the
            # workers, to the mean over the global batch; the regularization losses, the same on every worker,
            # add up to one copy. The loss trackers keep the unweighted value (their state is summed).
            total = total * (share[0] / share[1])
        return total, parts, batch

    def update_trackers(self, parts, batch):
        """Add one batch's losses (``compute``'s ``parts``) to the running means ``loss`` and ``<output>_loss``."""
        self.tracked = True
        total_value = 0.0
        per_output = self.per_output_metrics
        for i, value, n, w, factor in parts:
            # NOTE: a Loss with reduction "none" gives a vector: the trackers average its entries (weighted by
            # batch size, as tf.keras's Mean does) and the gradient is that of its sum
            v = float(value.data) if value.ndim == 0 else np.asarray(value.data, np.float64)
            if factor is not None:
                v = v * factor
            if i is not None:
                if per_output:
                    per_output[i].update_state(v, n)
                if w is not None and w != 1:
                    v *= float(w)
            total_value += v
        self.loss_metric.update_state(total_value, batch if batch is not None else 1)


def _map_leaves(value, fn):
    if isinstance(value, dict):
        return {k: fn(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [fn(v) for v in value]
    return fn(value)


class _Resolved:
    """A metric name or function resolved at compile time, with what the user wrote (for its name)."""

    __slots__ = ("user", "obj")

    def __init__(self, user, obj):
        self.user = user
        self.obj = obj


def _resolve_metric_leaf(m, kind):
    """Resolve a metric name now (unknown names fail in compile); 'accuracy'-like names wait for data."""
    if m is None:
        return None
    if isinstance(m, str) and m.lower() in _ACC_NAMES + _CE_NAMES:
        return m
    if isinstance(m, metrics_mod.Metric):
        return m
    if isinstance(m, (list, tuple, dict)):
        return _map_leaves(m, lambda v: _resolve_metric_leaf(v, kind))
    try:
        obj = metrics_mod.get(m)
    except ValueError as e:
        raise ValueError(f"compile({kind}=...): {e}") from None
    return _Resolved(m, obj)


class MetricsContainer:
    """The compiled metrics: per output, the metrics (unweighted) and weighted metrics, named as tf.keras names
    them (``<output>_`` prefix with several outputs, ``weighted_`` prefix on a clash).

    Example:
        >>> y_true, y_pred = ag.Tensor(np.zeros((2, 1), "float32")), ag.Tensor(np.ones((2, 1), "float32"))
        >>> metrics = MetricsContainer(["mae"]); metrics.build(["out"], [y_true], [y_pred])
        >>> metrics.update_state([y_true], [y_pred]); [(m.name, float(m.result())) for m in metrics.metrics]
        [('mae', 1.0)]
    """

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None):
        for kind, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not isinstance(value, (list, tuple, dict, str)) and not callable(value):
                raise TypeError(f"compile({kind}=...): expected a list (or dict by output) of metric names, functions "
                                f"or Metric objects, received {value!r}")
        self._metrics_in = _resolve_metric_leaf(metrics, "metrics") if metrics is not None else None
        self._weighted_in = (_resolve_metric_leaf(weighted_metrics, "weighted_metrics")
                             if weighted_metrics is not None else None)
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        self.built = False
        self.output_names = None
        self._per_output = []
        self._per_output_weighted = []

    def build(self, output_names, y_true, y_pred, output_keys=None):
        """Create the metric objects for outputs named ``output_names``, using one batch of labels and
        predictions to resolve ``'accuracy'``."""
        self.output_names = list(output_names)
        un = map_to_outputs(self._metrics_in, self.output_names, "metrics", output_keys)
        we = map_to_outputs(self._weighted_in, self.output_names, "weighted_metrics", output_keys)
        self._per_output = []
        self._per_output_weighted = []
        for i in range(len(self.output_names)):
            yt, yp = y_true[i], y_pred[i]
            self._per_output.append([self._metric_object(m, yt, yp) for m in _flat_metrics(un[i])])
            self._per_output_weighted.append([self._metric_object(m, yt, yp) for m in _flat_metrics(we[i])])
        self._set_names()
        self.built = True

    @staticmethod
    def _metric_object(m, yt, yp):
        if m is None:
            return None
        if isinstance(m, metrics_mod.Metric):
            return m
        if isinstance(m, str):
            low = m.lower()
            yt_shape = tuple(yt.shape) if yt is not None else tuple(yp.shape)
            yp_shape = tuple(yp.shape)
            is_binary = yp_shape[-1:] == (1,)
            is_sparse = len(yt_shape) < len(yp_shape) or (yt_shape[-1:] == (1,) and yp_shape[-1:] != (1,))
            if low in _ACC_NAMES:
                fn = (metrics_mod.binary_accuracy if is_binary else metrics_mod.sparse_categorical_accuracy
                      if is_sparse else metrics_mod.categorical_accuracy)
            else:
                fn = (losses_mod.binary_crossentropy if is_binary else losses_mod.sparse_categorical_crossentropy
                      if is_sparse else losses_mod.categorical_crossentropy)
            return metrics_mod.MeanMetricWrapper(fn, name=m)
        user, obj = m.user, m.obj
        if isinstance(obj, metrics_mod.Metric):
            return obj
        if isinstance(obj, type) and issubclass(obj, metrics_mod.Metric):
            return obj()
        if isinstance(obj, losses_mod.Loss):
            name = user if isinstance(user, str) else (obj.name or type(obj).__name__)
            return metrics_mod.MeanMetricWrapper(lambda t, p, _l=obj: _l.call(t, p), name=name)
        name = user if isinstance(user, str) else getattr(obj, "__name__", None)
        if name is None:
            raise ValueError(f"Metric should be a callable with a __name__, received: {user!r}")
        return metrics_mod.MeanMetricWrapper(obj, name=name)

    def _set_names(self):
        seen = set()
        multi = len(self.output_names) > 1
        for out_name, ms, wms in zip(self.output_names, self._per_output, self._per_output_weighted):
            for m in ms:
                if m is None:
                    continue
                if multi:
                    m.name = f"{out_name}_{m.name}"
                if m.name in seen:
                    raise ValueError(f"Found two metrics with the same name: {m.name}. All the metrics added to the "
                                     f"model need to have unique names.")
                seen.add(m.name)
            for m in wms:
                if m is None:
                    continue
                if multi:
                    m.name = (f"{out_name}_weighted_{m.name}" if f"{out_name}_{m.name}" in seen
                              else f"{out_name}_{m.name}")
                elif m.name in seen:
                    m.name = f"weighted_{m.name}"
                if m.name in seen:
                    raise ValueError(f"Found two metrics with the same name: {m.name}. All the metrics added to the "
                                     f"model need to have unique names.")
                seen.add(m.name)

    @property
    def metrics(self):
        out = []
        for ms, wms in zip(self._per_output, self._per_output_weighted):
            out.extend(m for m in ms if m is not None)
            out.extend(m for m in wms if m is not None)
        return out

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Update every metric with one batch: lists aligned with the outputs, or a model's own ``y`` / ``y_pred``
        structures (a custom ``train_step``'s ``self.compiled_metrics.update_state(y, y_pred)``)."""
        y_true, y_pred, sample_weight = aligned_with_outputs(self, y_true, y_pred, sample_weight)
        with ag.no_grad():
            for i, (ms, wms) in enumerate(zip(self._per_output, self._per_output_weighted)):
                yt, yp = y_true[i], y_pred[i]
                if yt is None:
                    continue
                if not ms and not wms:
                    continue
                sw = sample_weight[i] if sample_weight is not None else None
                yt, yp, sw = match_dtype_and_rank(yt, yp, sw)
                mask = get_mask(yp)
                mask_w = None if mask is None else apply_mask(yp, None, mask)
                sw = apply_mask(yp, sw, mask)
                for m in ms:
                    m.update_state(yt, yp, sample_weight=mask_w)
                for m in wms:
                    m.update_state(yt, yp, sample_weight=sw)


def aligned_with_outputs(container, y_true, y_pred, sample_weight):
    """``y_true``, ``y_pred``, ``sample_weight`` as lists aligned with the outputs, building ``container`` on the
    first call. The fit loop passes lists already; a custom ``train_step`` passes what the model returns (a Tensor,
    a list, a dict by output name) and its labels as the data held them (Tensors or numpy arrays)."""
    if (type(y_pred) is list and container.built and (y_true is None or type(y_true) is list)
            and (sample_weight is None or type(sample_weight) is list)):
        return y_true, y_pred, sample_weight          # the fit loop's own lists: as they are (the fast path)
    if isinstance(y_pred, ag.Tensor):
        y_pred = [y_pred]
    elif isinstance(y_pred, dict):
        keys = sorted(y_pred)
        y_pred = [y_pred[k] for k in keys]
    elif isinstance(y_pred, (list, tuple)):
        y_pred = list(y_pred)
    else:
        raise TypeError(f"{type(container).__name__}: `y_pred` must be the model's outputs (a Tensor, or a list or "
                        f"dict of Tensors), received {type(y_pred).__name__}")
    n = len(y_pred)
    if not container.built:
        names = getattr(container, "pending_output_names", None) or [f"output_{i + 1}" for i in range(n)]
        keys = getattr(container, "pending_output_keys", None)
        if isinstance(container, MetricsContainer):
            yt = _per_output(y_true, names, keys, n, "y_true")
            container.build(names, yt if yt is not None else [None] * n, y_pred, keys)
        else:
            container.build(names, keys)
    names = container.output_names
    keys = getattr(container, "pending_output_keys", None)
    return (_per_output(y_true, names, keys, n, "y_true"), y_pred,
            _per_output(sample_weight, names, keys, n, "sample_weight"))


def _per_output(value, names, keys, n, arg):
    """One entry per output (Tensors; numpy labels become leaves) from a list, a dict or a single value."""
    if value is None:
        return None
    if isinstance(value, dict):
        out = [None] * n
        for k, v in value.items():
            if k in names:
                out[names.index(k)] = v
            elif keys and k in keys:
                out[keys.index(k)] = v
            else:
                raise ValueError(f"`{arg}` has an entry '{k}' that matches no model output; outputs are {names}")
    elif isinstance(value, (list, tuple)) and (n > 1 or len(value) == 1 and not np.isscalar(value[0])):
        out = list(value)
        if len(out) != n:
            raise ValueError(f"`{arg}`: the model has {n} outputs, but received a list of {len(out)} entries")
    else:
        out = [value]
        if n != 1:
            raise ValueError(f"`{arg}`: the model has {n} outputs; pass a list or a dict with one entry per output")
    return [v if v is None or isinstance(v, ag.Tensor) else ag.Tensor(np.asarray(v)) for v in out]


def _flat_metrics(ms):
    if ms is None:
        return []
    if isinstance(ms, (list, tuple)):
        out = []
        for m in ms:
            out.extend(_flat_metrics(m) if isinstance(m, list) else [m] if m is not None else [])
        return out
    return [ms]
