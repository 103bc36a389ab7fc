"""``MeanTensor`` (the element-wise mean of equally shaped values) and ``PyMetric`` (a metric whose state is
plain Python), as tf.keras.

Example:
    >>> m = MeanTensor()
    >>> m.update_state([0, 1, 2, 3]); m.update_state([4, 5, 6, 7])
    >>> m.result()
    Tensor([2., 3., 4., 5.], dtype=float32)
"""
import numbers

import numpy as np

import autograd as ag

from ..metrics import Metric, _np
from ..utils.losses_utils import squeeze_or_expand_dimensions

__all__ = ["MeanTensor", "PyMetric"]


class MeanTensor(Metric):
    """The element-wise (weighted) mean of the values seen; every batch must have the same shape.

    Args:
        name, dtype: as every metric.
        shape: the values' shape, to make the state at once (else on the first ``update_state``).

    Example:
        >>> m = MeanTensor()
        >>> m.update_state([12, 10, 8, 6], sample_weight=[1, 0.2, 0.5, 1]); m.update_state([1, 2, 3, 4])
        >>> m.result()
        Tensor([6.5      , 3.3333333, 4.6666665, 5.       ], dtype=float32)
        >>> m.reset_state(); m.update_state([2, 4, 6, 8]); m.result()
        Tensor([2., 4., 6., 8.], dtype=float32)
        >>> MeanTensor(shape=(2,)).count
        <kerasfront.Variable 'count:0' shape=(2,) dtype=float32, numpy=[0. 0.]>
    """

    def __init__(self, name="mean_tensor", dtype=None, shape=None):
        super().__init__(name=name, dtype=dtype)
        self._shape = None
        self._total = None
        self._count = None
        self._built = False
        if shape is not None:
            try:
                dims = tuple(shape)
            except TypeError:
                dims = None
            if dims is None or any(isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral) or d < 0
                                   for d in dims):
                raise ValueError(f"MeanTensor: `shape` must be a tuple of non-negative ints or None, received "
                                 f"shape={shape!r}")
            self._build(tuple(int(d) for d in dims))

    def _build(self, shape):
        self._shape = tuple(shape)
        self._total = self.add_weight("total", shape=self._shape)
        self._count = self.add_weight("count", shape=self._shape)
        self._built = True

    @property
    def total(self):
        return self._total if self._built else None

    @property
    def count(self):
        return self._count if self._built else None

    def update_state(self, values, sample_weight=None):
        dt = self._dtype
        values = np.asarray(_np(values), dt)
        if not self._built:
            self._build(values.shape)
        elif values.shape != self._shape:
            raise ValueError(f"MeanTensor input values must always have the same shape. Expected shape (set during "
                             f"the first call): {self._shape}. Got: {values.shape}.")
        num_values = np.ones_like(values)
        if sample_weight is not None:
            _, _, sw = squeeze_or_expand_dimensions(values, sample_weight=np.asarray(_np(sample_weight), dt))
            try:
                sw = np.broadcast_to(sw, values.shape)
            except ValueError:
                raise ValueError(f"MeanTensor: sample_weight of shape {np.shape(_np(sample_weight))} cannot be "
                                 f"broadcast to values of shape {values.shape}") from None
            num_values = num_values * sw
            values = values * sw
        ag.assign_add(self._total, values)
        ag.assign_add(self._count, num_values)

    def result(self):
        if not self._built:
            raise ValueError("MeanTensor does not have any value yet. Please call the MeanTensor instance or use "
                             "`.update_state(value)` before retrieving the result.")
        total, count = self._total.data, self._count.data
        with np.errstate(divide="ignore", invalid="ignore"):
            return ag.Tensor(np.where(count == 0, np.zeros_like(total), total / np.where(count == 0, 1, count)))

    def reset_state(self):
        if self._built:
            super().reset_state()



class PyMetric(Metric):
    """A metric whose state lives in Python attributes: subclasses implement ``update_state``, ``result`` and
    ``reset_state`` (called once at construction to set the state up), as tf.keras's
    ``metrics.experimental.PyMetric``. Here every metric already runs in Python; this class keeps tf.keras
    programs that subclass it working.

    Example:
        >>> class CountAbove(PyMetric):
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.n += int(np.sum(np.asarray(y_pred) > 0.5))
        ...     def reset_state(self):
        ...         self.n = 0
        ...     def result(self):
        ...         return self.n
        >>> m = CountAbove(); m.update_state(None, [0.2, 0.7, 0.9]); m.result()
        2
    """

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError("Subclasses should implement `update_state`")

    def merge_state(self, metrics):
        raise NotImplementedError("Subclasses should implement `merge_state`")

    def reset_state(self):
        raise NotImplementedError("Subclasses should implement `reset_state`")

    def result(self):
        raise NotImplementedError("Subclasses should implement `result`")
