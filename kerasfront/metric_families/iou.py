"""Intersection-over-union metrics, as tf.keras: ``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``,
``OneHotMeanIoU``.

Each keeps a ``(num_classes, num_classes)`` confusion matrix (rows: true class, columns: predicted class),
weighted by ``sample_weight``; the IoU of a class is ``tp / (tp + fp + fn)`` read from it, and the result is
the mean over the target classes that occur (classes whose denominator is 0 are left out).

Example:
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
"""
import numbers

import numpy as np

import autograd as ag

from ..engine import arguments
from ..metrics import Metric, _np

__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]


def _check_num_classes(who, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"{who}(num_classes=...): expected a positive integer, received {num_classes!r}")
    return int(num_classes)


class _IoUBase(Metric):
    """The shared confusion-matrix state and update of the IoU metrics."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True,
                 axis=-1):
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        self.num_classes = _check_num_classes(who, num_classes)
        self.ignore_class = arguments.integer(ignore_class, "ignore_class", who, allow_none=True)
        self.sparse_y_true = arguments.flag(sparse_y_true, "sparse_y_true", who)
        self.sparse_y_pred = arguments.flag(sparse_y_pred, "sparse_y_pred", who)
        self.axis = arguments.integer(axis, "axis", who)
        self.total_cm = self.add_weight("total_confusion_matrix", shape=(self.num_classes, self.num_classes))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the (weighted) confusion matrix of this batch."""
        y_true, y_pred = _np(y_true), _np(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        dt = self._dtype
        y_true = np.asarray(y_true, dt).reshape(-1)
        y_pred = np.asarray(y_pred, dt).reshape(-1)
        if y_true.size != y_pred.size:
            raise ValueError(f"{self.name}: y_true has {y_true.size} entries but y_pred has {y_pred.size}")
        sw = None
        if sample_weight is not None:
            sw = np.asarray(_np(sample_weight), dt)
            sw = np.broadcast_to(sw, y_true.shape) if sw.ndim == 0 else sw.reshape(-1)
            if sw.size != y_true.size:
                raise ValueError(f"{self.name}: sample_weight has {sw.size} entries but y_true has {y_true.size}")
        if self.ignore_class is not None:
            keep = y_true != dt.type(self.ignore_class)
            y_true, y_pred = y_true[keep], y_pred[keep]
            if sw is not None:
                sw = sw[keep]
        # NOTE: as tf.math.confusion_matrix, labels are truncated to int64; one outside [0, num_classes) is an error.
        t, p = y_true.astype(np.int64), y_pred.astype(np.int64)
        for what, v in (("labels (y_true)", t), ("predictions (y_pred)", p)):
            if v.size and (v.min() < 0 or v.max() >= self.num_classes):
                bad = v[(v < 0) | (v >= self.num_classes)][0]
                raise ValueError(f"{self.name}: {what} must be in [0, num_classes={self.num_classes}), found {bad}")
        cm = np.bincount(t * self.num_classes + p, weights=sw, minlength=self.num_classes ** 2)
        ag.assign_add(self.total_cm, cm.reshape(self.num_classes, self.num_classes).astype(dt))

    def reset_state(self):
        ag.assign(self.total_cm, np.zeros(self.total_cm.shape, self.total_cm.dtype))


class IoU(_IoUBase):
    """The IoU of the classes in ``target_class_ids``, averaged over those that occur.

    Args:
        num_classes: the number of classes (the confusion matrix is num_classes x num_classes).
        target_class_ids: the classes to average over (one id gives that class's IoU).
        name, dtype: as every metric.
        ignore_class: a label whose entries are left out (e.g. a "void" class).
        sparse_y_true, sparse_y_pred: False when the labels / predictions hold one score per class (argmax
            over ``axis`` is taken).
        axis: the class axis of dense labels or predictions.

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
        >>> round(float(m.result()), 4)
        0.3333
        >>> model.compile(optimizer="sgd", loss="mse", metrics=[IoU(num_classes=2, target_class_ids=[0])])
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        try:
            ids = list(target_class_ids)
        except TypeError:
            raise ValueError(f"{type(self).__name__}(target_class_ids=...): expected a list or tuple of class ids, "
                             f"received {target_class_ids!r}") from None
        if not ids or any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in ids):
            raise ValueError(f"{type(self).__name__}(target_class_ids=...): expected a non-empty list of integer "
                             f"class ids, received {target_class_ids!r}")
        if max(ids) >= self.num_classes or min(ids) < 0:
            bad = max(ids) if max(ids) >= self.num_classes else min(ids)
            raise ValueError(f"{type(self).__name__}(target_class_ids={target_class_ids!r}): Target class id {bad} is "
                             f"out of range, which is [0, {self.num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self):
        dt = self._dtype
        cm = self.total_cm.data
        tp = np.diagonal(cm).astype(dt)
        denominator = cm.sum(axis=0, dtype=dt) + cm.sum(axis=1, dtype=dt) - tp
        tp, denominator = tp[self.target_class_ids], denominator[self.target_class_ids]
        valid = np.sum(denominator != 0, dtype=dt)
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(denominator == 0, dt.type(0), tp / np.where(denominator == 0, dt.type(1), denominator))
            total = np.sum(iou, dtype=dt)
            return ag.Tensor(np.asarray(total / valid if valid else 0, dt))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions are class 1 where ``y_pred >= threshold``.

    Args:
        target_class_ids: which of the two classes to average over (default both, ``(0, 1)``).
        threshold: the cut between class 0 and class 1 (0.5).

    Example:
        >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        arguments.number(threshold, "threshold", "BinaryIoU")
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(_np(y_pred), self._dtype)
        y_pred = (y_pred >= self._dtype.type(self.threshold)).astype(self._dtype)
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those that occur).

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
        >>> model.compile(optimizer="sgd", loss="mse", metrics=[MeanIoU(num_classes=2)])
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True,
                 axis=-1):
        num_classes = _check_num_classes("MeanIoU", num_classes)
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred,
                         axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU with one-hot labels (and, unless ``sparse_y_pred``, one score per class in the predictions).

    Example:
        >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state(np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]),
        ...                np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]))
        >>> round(float(m.result()), 4)
        0.1667
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids, "name": self.name,
                "dtype": self.dtype, "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """The mean IoU over all classes, with one-hot labels.

    Example:
        >>> m = OneHotMeanIoU(num_classes=3)
        >>> m.update_state(np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]),
        ...                np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]))
        >>> round(float(m.result()), 4)
        0.1111
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
