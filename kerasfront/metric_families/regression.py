"""Regression metrics beyond the loss wrappers, as tf.keras: ``R2Score`` and ``MeanRelativeError``.

Example:
    >>> m = R2Score()
    >>> m.update_state(np.array([[1.0], [4.0], [3.0]]), np.array([[2.0], [4.0], [4.0]]))
    >>> round(float(m.result()), 4)
    0.5714
"""
import warnings

import numpy as np

import autograd as ag

from ..metrics import Mean, Metric, _align, _np, _t

__all__ = ["R2Score", "MeanRelativeError"]

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination, ``1 - SS_res / SS_tot`` per output column, then aggregated.

    Args:
        class_aggregation: ``"uniform_average"`` (the mean over columns), ``"variance_weighted_average"``
            (weighted by each column's variance) or None (one score per column).
        num_regressors: the number of independent variables, for the adjusted R2 (0: plain R2).
        name, dtype: as every metric.

    Example:
        >>> m = R2Score(class_aggregation=None)
        >>> m.update_state(np.array([[1.0, 0.0], [2.0, 1.0]]), np.array([[1.5, 0.0], [2.0, 0.5]]))
        >>> m.result()
        Tensor([0.5, 0.5], dtype=float32)
        >>> m = R2Score(class_aggregation="variance_weighted_average")
        >>> m.update_state(np.array([[1.0, 0.0], [3.0, 1.0]]), np.array([[1.5, 0.0], [3.0, 0.5]]))
        >>> round(float(m.result()), 4)
        0.8
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(f"R2Score(class_aggregation=...): invalid value. Expected one of {_AGGREGATIONS}. "
                             f"Received: class_aggregation={class_aggregation!r}")
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, (int, np.integer)) or num_regressors < 0:
            raise ValueError(f"R2Score(num_regressors=...): expected an integer >= 0. Received: "
                             f"num_regressors={num_regressors!r}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_weight("num_samples", dtype="int32")
        self.built = False

    def build(self, y_true_shape, y_pred_shape):
        """Make the per-column state (called by the first ``update_state``)."""
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                             f"y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}.")
        n = y_pred_shape[-1]
        self.squared_sum = self.add_weight("squared_sum", shape=(n,))
        self.sum = self.add_weight("sum", shape=(n,))
        self.total_mse = self.add_weight("residual", shape=(n,))
        self.count = self.add_weight("count", shape=(n,))
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        dt = self._dtype
        y_true = np.asarray(_np(y_true), dt)
        y_pred = np.asarray(_np(y_pred), dt)
        if not self.built:
            self.build(y_true.shape, y_pred.shape)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"R2Score: y_true of shape {y_true.shape} is not compatible with y_pred of shape "
                             f"{y_pred.shape}")
        sw = np.asarray(1 if sample_weight is None else _np(sample_weight), dt)
        if sw.ndim == 1:
            sw = sw[:, None]
        try:
            sw = np.broadcast_to(sw, y_true.shape)
        except ValueError:
            raise ValueError(f"R2Score: sample_weight of shape {np.shape(_np(sample_weight))} cannot be broadcast to "
                             f"y_true of shape {y_true.shape}") from None
        weighted = y_true * sw
        ag.assign_add(self.sum, weighted.sum(axis=0, dtype=dt))
        ag.assign_add(self.squared_sum, (y_true * weighted).sum(axis=0, dtype=dt))
        ag.assign_add(self.total_mse, (np.square(y_true - y_pred) * sw).sum(axis=0, dtype=dt))
        ag.assign_add(self.count, sw.sum(axis=0, dtype=dt))
        ag.assign_add(self.num_samples, np.int32(y_true.size))

    def result(self):
        dt = self._dtype
        if not self.built:
            return ag.Tensor(np.zeros((), dt))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.data / self.count.data
            total = self.squared_sum.data - self.sum.data * mean
            raw = dt.type(1) - self.total_mse.data / total
        raw = np.where(np.isinf(raw), dt.type(0), raw).astype(dt)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw, dtype=dt)
        elif self.class_aggregation == "variance_weighted_average":
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.sum(total * raw, dtype=dt) / np.sum(total, dtype=dt)
        else:
            score = raw
        if self.num_regressors != 0:
            n_samples = int(self.num_samples.data)
            if self.num_regressors > n_samples - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. Falling back to "
                              "standard R2 score.", stacklevel=2)
            elif self.num_regressors == n_samples - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                              stacklevel=2)
            else:
                n, p = np.float32(n_samples), np.float32(self.num_regressors)
                score = np.float32(1) - (np.float32(1) - score) * (n - np.float32(1)) / (n - p - np.float32(1))
        return ag.Tensor(np.asarray(score, dt))

    def reset_state(self):
        for v in self._metric_variables:
            ag.assign(v, np.zeros(v.shape, v.dtype))

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


class MeanRelativeError(Mean):
    """The (weighted) mean of ``|y_true - y_pred| / normalizer`` (0 where the normalizer is 0).

    Args:
        normalizer: what each error is divided by (broadcast to the predictions).
        name, dtype: as every metric.

    Example:
        >>> m = MeanRelativeError(normalizer=[1, 3, 2, 3])
        >>> m.update_state([1, 3, 2, 3], [2, 4, 6, 8])
        >>> round(float(m.result()), 4)
        1.25
    """

    def __init__(self, normalizer, name=None, dtype=None):
        super().__init__(name=name or "mean_relative_error", dtype=dtype)
        try:
            self.normalizer = np.asarray(_np(normalizer), self._dtype)
        except (TypeError, ValueError):
            raise ValueError(f"MeanRelativeError(normalizer=...): expected numbers, received {normalizer!r}") from None

    def update_state(self, y_true, y_pred, sample_weight=None):
        with ag.no_grad():
            y_true, y_pred = _align(_t(y_true, self._dtype), _t(y_pred, self._dtype))
        y_true, y_pred = y_true.data, y_pred.data
        normalizer = self.normalizer
        # NOTE: as tf.keras's remove_squeezable_dimensions: a trailing size-1 axis is dropped where ranks differ by 1.
        if y_pred.ndim - normalizer.ndim == 1 and y_pred.shape[-1] == 1:
            y_pred = y_pred[..., 0]
        elif normalizer.ndim - y_pred.ndim == 1 and normalizer.shape[-1] == 1:
            normalizer = normalizer[..., 0]
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true of shape {y_true.shape} is not compatible with y_pred of shape "
                             f"{y_pred.shape}")
        err = np.abs(y_true - y_pred)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(normalizer == 0, self._dtype.type(0), err / np.where(normalizer == 0, 1, normalizer))
        super().update_state(rel.astype(self._dtype), sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "normalizer": self.normalizer.tolist()}
