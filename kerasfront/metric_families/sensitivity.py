"""Metrics read at one point of a curve, as tf.keras: ``SensitivityAtSpecificity``,
``SpecificityAtSensitivity``, ``PrecisionAtRecall``, ``RecallAtPrecision``.

Each accumulates true/false positives and negatives at ``num_thresholds`` thresholds evenly spaced over
[0, 1] (one threshold, 0.5, when ``num_thresholds`` is 1), and returns the best value of one quantity among
the thresholds where the other reaches the given value (0 when none does).

Example:
    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
"""
import numbers

import numpy as np

import autograd as ag

from ..metrics import Metric, _confusion_counts, _confusion_counts_evenly

__all__ = ["SensitivitySpecificityBase", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
           "PrecisionAtRecall", "RecallAtPrecision"]


def _ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, np.zeros_like(a), a / np.where(b == 0, np.ones_like(b), b))


class SensitivitySpecificityBase(Metric):
    """The shared state: tp, tn, fp, fn at each threshold (subclasses define ``result``)."""

    _VALUE_ARG = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
            raise ValueError(f"{who}({self._VALUE_ARG}=...): must be in the range [0, 1]. Received: "
                             f"{self._VALUE_ARG}={value!r}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, numbers.Integral) or num_thresholds <= 0:
            raise ValueError(f"{who}(num_thresholds=...): must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds!r}")
        if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, numbers.Integral)
                                     or class_id < 0):
            raise ValueError(f"{who}(class_id=...): expected a non-negative integer or None, received {class_id!r}")
        self.value = value
        self.class_id = class_id
        n = int(num_thresholds)
        self.true_positives = self.add_weight("true_positives", shape=(n,))
        self.true_negatives = self.add_weight("true_negatives", shape=(n,))
        self.false_positives = self.add_weight("false_positives", shape=(n,))
        self.false_negatives = self.add_weight("false_negatives", shape=(n,))
        if n == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            self.thresholds = [0.0] + [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)] + [1.0]
            self._thresholds_distributed_evenly = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add this batch's counts at every threshold."""
        if self._thresholds_distributed_evenly:
            counts = _confusion_counts_evenly(y_true, y_pred, len(self.thresholds), sample_weight, self._dtype,
                                              with_epsilon=False, class_id=self.class_id)
        else:
            counts = _confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self._dtype,
                                       class_id=self.class_id)
        ag.assign_add(self.true_positives, counts["tp"])
        ag.assign_add(self.true_negatives, counts["tn"])
        ag.assign_add(self.false_positives, counts["fp"])
        ag.assign_add(self.false_negatives, counts["fn"])

    def _rates(self):
        tp, tn = self.true_positives.data, self.true_negatives.data
        fp, fn = self.false_positives.data, self.false_negatives.data
        return {"sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
                "precision": _ratio(tp, tp + fp)}

    def _find_max_under_constraint(self, constrained, dependent):
        """The largest ``dependent`` among the thresholds where ``constrained >= value`` (0 if there is none)."""
        feasible = constrained >= self._dtype.type(self.value)
        best = dependent[feasible].max() if feasible.any() else 0.0
        return ag.Tensor(np.asarray(best, self._dtype))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (tp / (tp + fn)) at thresholds where specificity (tn / (tn + fp)) >= ``specificity``.

    Example:
        >>> m = SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], sample_weight=[1, 1, 2, 2, 1])
        >>> round(float(m.result()), 4)
        0.3333
        >>> model.compile(optimizer="sgd", loss="mse", metrics=[SensitivityAtSpecificity(0.5)])
    """

    _VALUE_ARG = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)
        self.specificity = specificity
        self.num_thresholds = num_thresholds

    def result(self):
        r = self._rates()
        return self._find_max_under_constraint(r["specificity"], r["sensitivity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity at thresholds where sensitivity >= ``sensitivity``.

    Example:
        >>> m = SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _VALUE_ARG = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds

    def result(self):
        r = self._rates()
        return self._find_max_under_constraint(r["sensitivity"], r["specificity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision at thresholds where recall >= ``recall``.

    Example:
        >>> m = PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(float(m.result()), 4)
        0.5
    """

    _VALUE_ARG = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)
        self.recall = recall
        self.num_thresholds = num_thresholds

    def result(self):
        r = self._rates()
        return self._find_max_under_constraint(r["sensitivity"], r["precision"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall at thresholds where precision >= ``precision``.

    Example:
        >>> m = RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> round(float(m.result()), 4)
        0.5
    """

    _VALUE_ARG = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)
        self.precision = precision
        self.num_thresholds = num_thresholds

    def result(self):
        r = self._rates()
        return self._find_max_under_constraint(r["precision"], r["sensitivity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "precision": self.precision}
