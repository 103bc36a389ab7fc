"""``FBetaScore`` and ``F1Score``: the F-score per class, or averaged (micro, macro, weighted), as tf.keras.

A prediction counts as positive where it exceeds ``threshold``, or, without a threshold, where it equals
the row's maximum (and is not ~0). The state (true positives, false positives, false negatives and the
label support) is made on the first batch, per class, or as scalars for ``average="micro"``.

Example:
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> m.result()
    Tensor([0.5      , 0.8      , 0.6666667], dtype=float32)
"""
import numpy as np

import autograd as ag

from ..metrics import Metric, _np

__all__ = ["FBetaScore", "F1Score"]

_AVERAGES = (None, "micro", "macro", "weighted")


def _divide_no_nan(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, np.zeros_like(a), a / np.where(b == 0, np.ones_like(b), b))


class FBetaScore(Metric):
    """The F-beta score: ``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)``.

    Args:
        average: None (one score per class), ``"micro"`` (global counts), ``"macro"`` (mean of the class
            scores) or ``"weighted"`` (mean weighted by each class's support).
        beta: the weight of recall (a positive float).
        threshold: a float in (0, 1]: predictions above it are positive; None: the row's argmax is.
        name, dtype: as every metric.

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5, average="micro")
        >>> m.update_state(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.7, 0.4]]))
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(f"{who}(average=...): invalid value. Expected one of: {{None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average!r}")
        if not isinstance(beta, float):
            raise ValueError(f"{who}(beta=...): it should be a Python float. Received: beta={beta!r} of type "
                             f"'{type(beta).__name__}'")
        if not 0.0 < beta < float("inf"):
            raise ValueError(f"{who}(beta=...): it should be a finite number > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"{who}(threshold=...): it should be a Python float. Received: "
                                 f"threshold={threshold!r} of type '{type(threshold).__name__}'")
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"{who}(threshold=...): it should verify 0 < threshold <= 1. Received: "
                                 f"threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self.built = False

    def build(self, y_true_shape, y_pred_shape):
        """Make the state for ``num_classes = y_pred_shape[-1]`` (called by the first ``update_state``)."""
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). Received "
                             f"input shapes: y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}.")
        shape = (y_pred_shape[-1],) if self.average != "micro" else ()
        self.true_positives = self.add_weight("true_positives", shape=shape)
        self.false_positives = self.add_weight("false_positives", shape=shape)
        self.false_negatives = self.add_weight("false_negatives", shape=shape)
        self.intermediate_weights = self.add_weight("intermediate_weights", shape=shape)
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        dt = self._dtype
        y_true = np.asarray(_np(y_true), dtype=dt)
        y_pred = np.asarray(_np(y_pred), dtype=dt)
        if not self.built:
            self.build(y_true.shape, y_pred.shape)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true of shape {y_true.shape} is not compatible with y_pred of shape "
                             f"{y_pred.shape}")
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            pred = ((y_pred >= top) & (np.abs(y_pred) > 1e-9)).astype(dt)
        else:
            pred = (y_pred > dt.type(self.threshold)).astype(dt)
        sw = None if sample_weight is None else np.asarray(_np(sample_weight), dtype=dt)
        one = dt.type(1)

        def weighted_sum(value):
            if sw is not None:
                value = value * np.expand_dims(sw, 1)
            return value.sum(axis=self.axis, dtype=dt)

        ag.assign_add(self.true_positives, weighted_sum(pred * y_true))
        ag.assign_add(self.false_positives, weighted_sum(pred * (one - y_true)))
        ag.assign_add(self.false_negatives, weighted_sum((one - pred) * y_true))
        ag.assign_add(self.intermediate_weights, weighted_sum(y_true))

    def result(self):
        if not self.built:
            return ag.Tensor(np.zeros((), self._dtype))
        dt = self._dtype
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        precision = _divide_no_nan(tp, tp + fp)
        recall = _divide_no_nan(tp, tp + fn)
        beta_sq = dt.type(self.beta) * dt.type(self.beta)
        score = _divide_no_nan(precision * recall, beta_sq * precision + recall) * (dt.type(1) + beta_sq)
        if self.average == "weighted":
            w = self.intermediate_weights.data
            score = np.sum(score * _divide_no_nan(w, np.sum(w, dtype=dt)), dtype=dt)
        elif self.average is not None:
            score = np.mean(score, dtype=dt)
        return ag.Tensor(np.asarray(score, dt))

    def reset_state(self):
        for v in self._metric_variables:
            ag.assign(v, np.zeros(v.shape, v.dtype))

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score, the harmonic mean of precision and recall (``FBetaScore`` with ``beta=1``).

    Example:
        >>> m = F1Score(average="macro", threshold=0.5)
        >>> m.update_state(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.7, 0.4]]))
        >>> round(float(m.result()), 4)
        0.3333
        >>> model.compile(optimizer="adam", loss="mse", metrics=[F1Score(average="macro")])
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
