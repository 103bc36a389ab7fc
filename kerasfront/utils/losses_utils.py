"""How losses and metrics meet labels, predictions and weights: the one place kerasfront decides shapes, masks,
sample and class weights and reductions, following tf.keras 2 (its ``losses_utils`` and
``compile_utils.match_dtype_and_rank``).

The pipeline, in the order a batch goes through it:

1. ``class_weight_to_sample_weight`` (host side, in ``fit``, before batching): each sample's class weight
   (class ids from integer labels, from the argmax of labels of rank 2 or more, or rounded when their last
   axis is 1) multiplies its ``sample_weight``.
2. The compile path (``model.compile``'s loss and metric containers, for every output), ``match_dtype_and_rank``:
   a ``y_true`` of rank 1 and a ``sample_weight`` of rank 1 gain a last axis when ``y_pred`` has rank 2, so
   labels of shape ``(N,)`` meet a ``(N, 1)`` output sample by sample; ``y_true`` takes ``y_pred``'s float dtype.
   An output mask multiplies the weights (``apply_mask``).
3. The direct-call rule, ``squeeze_or_expand_dimensions``: a ``LossFunctionWrapper`` called on two Tensors, and
   every metric, drop a trailing size-1 axis of ``y_pred`` (or ``y_true``) when the ranks differ by one. A Loss
   called on numpy arrays applies no rule (as tf.keras, which squeezes only when both are tensors).
4. ``compute_weighted_loss``: the per-sample losses times ``sample_weight``, whose rank is first matched to the
   losses' (a scalar stays; one axis more and size 1 is squeezed; one axis less is expanded), then reduced:
   ``"sum_over_batch_size"`` (and ``"auto"``): the weighted sum divided by the NUMBER OF LOSS ELEMENTS in this
   batch (not by the sum of the weights); ``"sum"``; ``"none"``. A mask on the losses or predictions (``apply_
   valid_mask``) gives masked entries weight 0 and valid ones ``total / valid``, so the mean is over valid ones.
5. ``weight_metric_values`` (metrics' ``update_state``): values times weights matched the same way and then
   broadcast (weights of lower rank that cannot be broadcast first reduce the values over the extra axes); a
   mean metric adds ``sum(values * w)`` to its total and ``sum(w)`` to its count, so a mean over batches of
   unequal size is a mean over samples.

The ``loss`` entry of the logs is the mean of the batches' total losses weighted by each batch's number of
samples (the first axis of ``y_true``); with data parallelism each replica's reduced loss is a mean over its own
batch, so the replicas' losses (and gradients) average with weights proportional to their batch sizes.

Example:
    >>> y_t, y_p, sw = match_dtype_and_rank(ag.tensor([1.0, 0.0]), ag.tensor([[0.9], [0.2]]), np.ones(2))
    >>> y_t.shape, sw.shape
    ((2, 1), (2, 1))
"""
import numpy as np

import autograd as ag

__all__ = ["ReductionV2", "remove_squeezable_dimensions", "squeeze_or_expand_dimensions", "match_dtype_and_rank",
           "apply_mask", "apply_valid_mask", "compute_weighted_loss", "reduce_weighted_loss",
           "broadcast_weights", "weight_metric_values", "class_weight_to_sample_weight"]


class ReductionV2:
    """How a ``Loss`` reduces weighted per-sample losses (tf.keras's ``ReductionV2``).

    Example:
        >>> ReductionV2.validate("sum")
    """

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Loss(reduction=...): expected one of {cls.all()}, received {key!r}")


# -- small helpers on Tensors or arrays --------------------------------------------------------------------


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _squeeze_last(x, what, other_shape):
    """``x`` without its last axis, which must have size 1 (a clear error otherwise, as tf.squeeze raises)."""
    shape = _shape(x)
    if shape[-1] != 1:
        raise ValueError(f"{what} of shape {shape} has one axis more than {other_shape[0]} of shape "
                         f"{tuple(other_shape[1])}, so its last axis is squeezed, but that axis has size {shape[-1]}, "
                         f"not 1")
    return ag.reshape(x, shape[:-1]) if isinstance(x, ag.Tensor) else np.reshape(x, shape[:-1])


def _expand_last(x):
    return ag.reshape(x, _shape(x) + (1,)) if isinstance(x, ag.Tensor) else np.reshape(x, _shape(x) + (1,))


def _as_weights(sample_weight, dtype):
    """``sample_weight`` cast to ``dtype``: a Tensor stays a Tensor (gradients flow into it), anything else
    becomes a numpy array (a constant)."""
    if isinstance(sample_weight, ag.Tensor):
        return sample_weight if sample_weight.dtype == dtype else ag.astype(sample_weight, dtype)
    return np.asarray(sample_weight, dtype=dtype)


# -- the two alignment rules -------------------------------------------------------------------------------


def remove_squeezable_dimensions(labels, predictions, expected_rank_diff=0):
    """Drop a trailing size-1 axis of ``predictions`` (or ``labels``) when ``rank(predictions) - rank(labels)``
    is one more (or one less) than ``expected_rank_diff``.

    Example:
        >>> labels, preds = remove_squeezable_dimensions(ag.tensor([1.0, 0.0]), ag.tensor([[0.9], [0.2]]))
        >>> preds.shape
        (2,)
    """
    ps, ls = _shape(predictions), _shape(labels)
    diff = len(ps) - len(ls)
    if diff == expected_rank_diff + 1 and ps[-1] == 1:
        predictions = ag.reshape(predictions, ps[:-1])
    elif diff == expected_rank_diff - 1 and ls[-1] == 1:
        labels = ag.reshape(labels, ls[:-1])
    return labels, predictions


def squeeze_or_expand_dimensions(y_pred, y_true=None, sample_weight=None):
    """The direct-call rule: match ``y_true`` to ``y_pred`` (a trailing size-1 axis dropped when the ranks differ
    by one, unless ``y_pred`` has exactly one axis more and a last axis above 1, as sparse labels do), then
    ``sample_weight``'s rank to ``y_pred``'s rank as given (squeezed or expanded by one axis; a scalar stays).

    Returns ``(y_pred, y_true)`` without ``sample_weight``, else ``(y_pred, y_true, sample_weight)``.

    Example:
        >>> y_pred, y_true = squeeze_or_expand_dimensions(ag.tensor([[0.9], [0.2]]), ag.tensor([1.0, 0.0]))
        >>> y_pred.shape
        (2,)
    """
    ps = _shape(y_pred)
    if y_true is not None:
        ts = _shape(y_true)
        if len(ps) - len(ts) != 1 or (ps and ps[-1] == 1):
            y_true, y_pred = remove_squeezable_dimensions(y_true, y_pred)
    if sample_weight is None:
        return y_pred, y_true
    # NOTE: as tf.keras's code (its docstring says otherwise): the weights' rank is matched to y_pred's rank
    # BEFORE a squeeze, so (N,) labels, (N, 1) predictions and (N,) weights leave weights of shape (N, 1)
    ws = _shape(sample_weight)
    if len(ws) == 0:
        return y_pred, y_true, sample_weight
    if len(ws) - len(ps) == 1:
        sample_weight = _squeeze_last(sample_weight, "sample_weight", ("the values it weights", ps))
    elif len(ps) - len(ws) == 1:
        sample_weight = _expand_last(sample_weight)
    return y_pred, y_true, sample_weight


def match_dtype_and_rank(y_t, y_p, sw):
    """The compile-path rule (``model.compile``'s losses and metrics): a rank-1 ``y_t`` and a rank-1 ``sw`` gain a
    last axis when ``y_p`` has rank 2; ``y_t`` is cast to ``y_p``'s dtype when both are floats (or both
    integers); ``sw`` is cast to ``y_p``'s dtype.

    Example:
        >>> y_t, y_p, sw = match_dtype_and_rank(ag.tensor([1, 0]), ag.tensor([[0.9], [0.2]]), None)
        >>> y_t.shape, sw
        ((2, 1), None)
    """
    rank_p = len(_shape(y_p))
    if len(_shape(y_t)) == 1 and rank_p == 2:
        y_t = _expand_last(y_t)
    if sw is not None and len(_shape(sw)) == 1 and rank_p == 2:
        sw = _expand_last(sw)
    kt, kp = np.dtype(y_t.dtype).kind, np.dtype(y_p.dtype).kind
    if (kt == "f" and kp == "f") or (kt in "iu" and kp in "iu"):
        if y_t.dtype != y_p.dtype:
            y_t = ag.astype(y_t, y_p.dtype) if isinstance(y_t, ag.Tensor) else np.asarray(y_t, y_p.dtype)
    if sw is not None:
        sw = _as_weights(sw, y_p.dtype)
    return y_t, y_p, sw


# -- masks -------------------------------------------------------------------------------------------------


def _read_with_ops(mask):
    """Whether ``mask`` is read with ops: a Tensor while ``autograd.trace`` records (a captured training step, a
    traced forward), so that the graph computes it from the step's own data. Eagerly it is read on the host."""
    return isinstance(mask, ag.Tensor) and ag.trace.active() is not None


def apply_mask(y_p, sw, mask):
    """Weights times an output's ``mask`` (the mask alone when there are no weights).

    Example:
        >>> apply_mask(ag.tensor([[1.0, 2.0]]), np.array([2.0]), np.array([[True, False]]))
        array([[2., 0.]])
    """
    if mask is None:
        return sw
    if _read_with_ops(mask):
        m = mask if mask.dtype == y_p.dtype else ag.astype(mask, y_p.dtype)
    else:
        m = np.asarray(mask.data if isinstance(mask, ag.Tensor) else mask).astype(y_p.dtype)
    if sw is None:
        return m
    sw = _as_weights(sw, m.dtype)
    m, _, sw = squeeze_or_expand_dimensions(m, sample_weight=sw)
    return ag.multiply(sw, m) if isinstance(m, ag.Tensor) else sw * m


def apply_valid_mask(losses, sw, mask, reduction):
    """``apply_mask`` for a loss: with a mean reduction the valid entries get weight ``total / valid`` (0 when
    none is valid), so the mean runs over the valid entries only.

    Example:
        >>> apply_valid_mask(ag.tensor([1.0, 3.0]), None, np.array([True, False]), "auto")
        array([2., 0.])
    """
    if mask is None:
        return sw
    mean = reduction in (ReductionV2.AUTO, ReductionV2.SUM_OVER_BATCH_SIZE)
    if _read_with_ops(mask):
        m = mask if mask.dtype == losses.dtype else ag.astype(mask, losses.dtype)
        if mean:
            # NOTE: the host branch below with ops: an all-masked batch divides by 1 instead of 0, and its weights
            # (all 0) stay 0; otherwise the same float operations, so a replayed step equals the eager one exactly
            dtype = np.dtype(losses.dtype)
            valid = ag.sum(m)
            valid = ag.where(ag.equal(valid, dtype.type(0)), dtype.type(1), valid)
            m = ag.multiply(m, ag.divide(dtype.type(m.size), valid))
        return apply_mask(losses, sw, m)
    m = np.asarray(mask.data if isinstance(mask, ag.Tensor) else mask).astype(losses.dtype)
    if mean:
        valid = m.sum()
        # NOTE: an all-masked batch gives weight 0 everywhere (tf.keras gives NaN weights and then 0 via its
        # divide_no_nan mean; the loss value is the same 0 without a NaN gradient)
        m = m * (m.size / valid) if valid else m
    return apply_mask(losses, sw, m)


# -- losses ------------------------------------------------------------------------------------------------


def reduce_weighted_loss(weighted_losses, reduction=ReductionV2.SUM_OVER_BATCH_SIZE):
    """``weighted_losses`` reduced: as they are (``"none"``), summed (``"sum"``), or summed and divided by their
    number of elements (``"sum_over_batch_size"``; 0 when there are none).

    Example:
        >>> reduce_weighted_loss(ag.tensor([1.0, 2.0, 3.0]))
        Tensor(2.)
    """
    if reduction == ReductionV2.NONE:
        return weighted_losses
    total = ag.sum(weighted_losses)
    if reduction == ReductionV2.SUM:
        return total
    n = weighted_losses.size
    if n == 0:
        return ag.Tensor(np.zeros((), weighted_losses.dtype))
    return ag.divide(total, np.asarray(n, weighted_losses.dtype))


def compute_weighted_loss(losses, sample_weight=None, reduction=ReductionV2.SUM_OVER_BATCH_SIZE):
    """Per-sample ``losses`` times ``sample_weight`` (rank matched by ``squeeze_or_expand_dimensions``, then
    broadcast), reduced by ``reduction`` (``"auto"`` is ``"sum_over_batch_size"``).

    Example:
        >>> compute_weighted_loss(np.array([1.0, 2.0, 3.0], "float32"), np.array([1.0, 0.0, 1.0], "float32"))
        Tensor(1.3333334, dtype=float32)
    """
    ReductionV2.validate(reduction)
    if reduction == ReductionV2.AUTO:
        reduction = ReductionV2.SUM_OVER_BATCH_SIZE
    if not isinstance(losses, ag.Tensor):
        losses = ag.as_tensor(np.asarray(losses))
    if losses.dtype.kind != "f":
        losses = ag.astype(losses, "float32")
    if sample_weight is not None:
        sw = _as_weights(sample_weight, losses.dtype)
        losses, _, sw = squeeze_or_expand_dimensions(losses, None, sw)
        try:
            np.broadcast_shapes(_shape(losses), _shape(sw))
        except ValueError:
            raise ValueError(f"sample_weight of shape {_shape(sample_weight)} cannot be broadcast to the per-sample "
                             f"losses of shape {_shape(losses)}") from None
        losses = ag.multiply(losses, sw)
    return reduce_weighted_loss(losses, reduction)


# -- metrics -----------------------------------------------------------------------------------------------


def _broadcastable_weights(ws, vs):
    """tf's limited weight broadcasting: a scalar, or the values' rank with each axis 1 or the values' size."""
    return len(ws) == 0 or (len(ws) == len(vs) and all(w in (1, v) for w, v in zip(ws, vs)))


def broadcast_weights(sample_weight, shape):
    """``sample_weight`` broadcast to ``shape`` under tf's limited rule (a scalar, or the same rank with each axis 1
    or equal); anything else is a ValueError.

    Example:
        >>> broadcast_weights(np.array([[1.0], [2.0]]), (2, 3)).shape
        (2, 3)
    """
    sw = np.asarray(sample_weight)
    if not _broadcastable_weights(sw.shape, tuple(shape)):
        raise ValueError(f"sample_weight of shape {sw.shape} cannot be broadcast to values of shape {tuple(shape)}: "
                         f"weights must be a scalar or have the values' rank with each axis 1 or the same size")
    return np.broadcast_to(sw, tuple(shape))


def weight_metric_values(values, sample_weight, reduce_fn):
    """``(weighted values, weights broadcast to them or as given)`` for a metric's ``update_state``.

    ``sample_weight``'s rank is matched to ``values``' (``squeeze_or_expand_dimensions``); weights that are then
    not broadcastable (a scalar, or the same rank with each axis 1 or equal) first reduce the values over their
    extra trailing axes with ``reduce_fn(values, axes)`` (a sum or a mean), as tf.keras does.

    Example:
        >>> v, w = weight_metric_values(np.array([1.0, 2.0]), np.array([[1.0], [0.0]]), None)
        >>> v, w
        (array([1., 0.]), array([1., 0.]))
    """
    values = np.asarray(values)
    sw = np.asarray(sample_weight.data if isinstance(sample_weight, ag.Tensor) else sample_weight,
                    dtype=values.dtype)
    values, _, sw = squeeze_or_expand_dimensions(values, sample_weight=sw)
    if _broadcastable_weights(sw.shape, values.shape):
        sw = np.broadcast_to(sw, values.shape)
    elif sw.ndim < values.ndim:
        values = reduce_fn(values, tuple(range(sw.ndim, values.ndim)))
    try:
        return values * sw, sw
    except ValueError:
        raise ValueError(f"sample_weight of shape {np.shape(sample_weight)} cannot be broadcast to the metric "
                         f"values of shape {values.shape}") from None


# -- class weights -----------------------------------------------------------------------------------------


def class_weight_to_sample_weight(class_weight, y, sample_weight=None):
    """Per-sample weights from ``class_weight`` (``{class id: weight}``, keys exactly ``0 .. n-1``), multiplied
    into ``sample_weight`` (host-side numpy, as tf.keras's data adapter does before batching).

    A sample's class is its integer label; for labels of rank 2 or more, the argmax over the last axis, or the
    rounded label when that axis has size 1 (binary labels of shape ``(N, 1)``).

    Example:
        >>> class_weight_to_sample_weight({0: 1.0, 1: 3.0}, np.array([0, 1, 1]))
        array([1., 3., 3.], dtype=float32)
    """
    if not isinstance(class_weight, dict):
        raise TypeError(f"`class_weight` must be a dict {{class id: weight}}, received {type(class_weight).__name__}")
    try:
        class_ids = sorted(class_weight)
    except TypeError:
        class_ids = None
    if class_ids is None or class_ids != list(range(len(class_ids))):
        raise ValueError(f"Expected `class_weight` to be a dict with keys from 0 to one less than the number of "
                         f"classes, found {class_weight}")
    for c in class_ids:
        value = class_weight[c]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"`class_weight` must map each class to a number: for class {c} expected a number, "
                             f"received {value!r} ({type(value).__name__})")
    table = np.array([class_weight[int(c)] for c in class_ids], dtype=np.float32)
    y = np.asarray(y)
    if y.ndim >= 2:
        # NOTE: as tf.keras: labels of rank 2 or more name their class by argmax over the last axis, or by
        # rounding when that axis has size 1; sparse labels of a sequence (N, T) are therefore read as rows.
        classes = np.argmax(y, axis=-1) if y.shape[-1] > 1 else np.round(y[..., 0])
    else:
        classes = np.round(y)
    classes = np.asarray(classes).astype(np.int64)
    if classes.size and (classes.min() < 0 or classes.max() >= len(table)):
        bad = classes.max() if classes.max() >= len(table) else classes.min()
        raise ValueError(f"`class_weight` must contain all classes in the data: it has weights for classes "
                         f"0..{len(table) - 1}, but the targets hold class {bad}")
    cw = table[classes]
    if sample_weight is None:
        return cw
    sw = np.asarray(sample_weight, dtype=np.float32)
    # NOTE: weights of shape (N, 1) meet class weights of shape (N,) sample by sample (tf.keras broadcasts the
    # two to (N, N) here and then fails in the loss); otherwise the class weights gain trailing axes, as tf.keras.
    while sw.ndim > cw.ndim and sw.shape[-1] == 1:
        sw = sw[..., 0]
    if cw.ndim < sw.ndim:
        cw = cw.reshape(cw.shape + (1,) * (sw.ndim - cw.ndim))
    elif sw.ndim < cw.ndim:
        sw = sw.reshape(sw.shape + (1,) * (cw.ndim - sw.ndim))
    return sw * cw
