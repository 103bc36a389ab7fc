"""Metrics, as in ``tf.keras.metrics``: stateful objects (``update_state`` / ``result`` / ``reset_state``)
and the per-sample metric functions.

Per-batch values are computed with autograd ops under ``ag.no_grad()``; the running state lives in small
float32 Variables updated in place (host-side accumulation), so a metric costs little per batch. Weighted
means follow tf.keras: ``total += sum(values * w)``, ``count += sum(w)`` with ``w`` broadcast to the values.
Any loss function can be used as a metric (``MeanMetricWrapper(fn)``; ``get('mae')``).

Example:
    >>> m = kerasfront.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    >>> float(m.result())
    0.5
"""
import inspect
import sys
import types
import weakref

import numpy as np

import autograd as ag

from . import backend
from .losses import (binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, kl_divergence,
                     log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                     mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from .engine import base_layer as _base_layer
from .engine.base_layer import METRICS_VERSION
from .serialization import deserialize_keras_object, get_registered_name, serialize_keras_object
from .utils.losses_utils import broadcast_weights, squeeze_or_expand_dimensions, weight_metric_values
from .variables import Variable

__all__ = ["Metric", "Reduce", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "Precision", "Recall", "AUC", "TruePositives", "TrueNegatives",
           "FalsePositives", "FalseNegatives", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CosineSimilarity",
           "LogCoshError", "Poisson", "KLDivergence", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge", "CategoricalHinge", "accuracy",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize", "F1Score", "FBetaScore", "IoU",
           "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "MeanTensor", "MeanRelativeError", "R2Score",
           "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
           "binary_focal_crossentropy", "categorical_focal_crossentropy", "experimental"]

_NEG_INF = -1e10


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _t(x, dtype=None):
    """``x`` as a Tensor (cast to ``dtype`` when given)."""
    if isinstance(x, ag.Tensor):
        if dtype is not None and x.dtype != dtype:
            return ag.astype(x, dtype)
        return x
    arr = np.asarray(x)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return ag.as_tensor(arr)


def _np(x):
    return x.data if isinstance(x, ag.Tensor) else np.asarray(x)


# -- metric functions ---------------------------------------------------------------------------------


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` (``y_pred`` cast to ``y_true``'s dtype), else 0.0.

    Example:
        >>> accuracy(np.array([1, 2, 3]), np.array([1, 2, 0]))
        Tensor([1., 1., 0.], dtype=float32)
    """
    y_true, y_pred = _t(y_true), _t(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"accuracy: y_true of shape {y_true.shape} is not compatible with y_pred of shape "
                         f"{y_pred.shape}")
    if y_pred.dtype != y_true.dtype:
        y_pred = ag.astype(y_pred, y_true.dtype)
    return ag.astype(ag.equal(y_true, y_pred), backend.floatx())


def _binary_matches(y_true, y_pred, threshold=0.5):
    y_pred = _t(y_pred)
    pred = ag.astype(ag.greater(y_pred, np.asarray(threshold, y_pred.dtype)), y_pred.dtype)
    return ag.astype(ag.equal(_t(y_true), pred), backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of ``y_true == (y_pred > threshold)``.

    Example:
        >>> binary_accuracy(np.array([[1.0], [0.0]]), np.array([[0.7], [0.6]]))
        Tensor([1., 0.], dtype=float32)
    """
    return ag.mean(_binary_matches(y_true, y_pred, threshold), axis=-1)


def _sparse_categorical_matches(y_true, y_pred):
    y_true, y_pred = _t(y_true), _t(y_pred)
    original_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim:
        y_true = ag.squeeze(y_true, -1)
        reshape = True
    pred = ag.argmax(y_pred, axis=-1)
    if pred.dtype != y_true.dtype:
        pred = ag.astype(pred, y_true.dtype)
    matches = ag.astype(ag.equal(y_true, pred), backend.floatx())
    if reshape:
        matches = ag.reshape(matches, original_shape)
    return matches


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` over the last axis.

    Example:
        >>> categorical_accuracy(np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]))
        Tensor([1., 0.], dtype=float32)
    """
    return _sparse_categorical_matches(ag.argmax(_t(y_true), axis=-1), y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label ``y_true`` equals ``argmax(y_pred)``.

    Example:
        >>> sparse_categorical_accuracy(np.array([2, 1]), np.array([[0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]))
        Tensor([1., 0.], dtype=float32)
    """
    matches = _sparse_categorical_matches(y_true, y_pred)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = ag.squeeze(matches, -1)
    return matches


def _sparse_top_k_matches(y_true, y_pred, k=5):
    # NOTE: as tf.math.in_top_k: the label is in the top k when fewer than k classes score strictly higher
    # (classes tied at the boundary all count as in the top k); a non-finite score never is.
    y_true, y_pred = _t(y_true), _t(y_pred)
    original_shape = y_true.shape
    num_classes = y_pred.shape[-1]
    if y_pred.ndim > 2:
        y_pred = ag.reshape(y_pred, (-1, num_classes))
    labels = y_true.data.reshape(-1).astype(np.int64) if y_true.ndim > 1 else y_true.data.astype(np.int64)
    target = ag.sum(ag.multiply(y_pred, ag.one_hot(labels, num_classes, dtype=y_pred.dtype)), axis=-1,
                    keepdims=True)
    higher = ag.sum(ag.astype(ag.greater(y_pred, target), np.int64), axis=-1)
    valid = ag.logical_and(ag.isfinite(ag.reshape(target, (-1,))),
                           ag.logical_and(ag.greater_equal(labels, 0), ag.less(labels, num_classes)))
    matches = ag.astype(ag.logical_and(ag.less(higher, k), valid), backend.floatx())
    if y_true.ndim > 1:
        matches = ag.reshape(matches, original_shape)
    return matches


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the class of ``argmax(y_true)`` is among the ``k`` highest scores of ``y_pred``.

    Example:
        >>> top_k_categorical_accuracy(np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]), k=2)
        Tensor([1., 1.], dtype=float32)
    """
    return _sparse_top_k_matches(ag.argmax(_t(y_true), axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` highest scores of ``y_pred``.

    Example:
        >>> sparse_top_k_categorical_accuracy(np.array([2, 1]), np.array([[0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]), k=2)
        Tensor([1., 1.], dtype=float32)
    """
    return _sparse_top_k_matches(y_true, y_pred, k)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the metric is +1 for equal directions).

    Example:
        >>> cosine_similarity(np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [2.0, 2.0]]))
        Tensor([0., 1.])
    """
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype)
    return ag.sum(ag.multiply(backend.l2_normalize(y_true, axis=axis), backend.l2_normalize(y_pred, axis=axis)),
                  axis=axis)


# aliases, as tf.keras exports them
acc = ACC = accuracy
bce = BCE = binary_crossentropy
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine_similarity


# -- base classes ----------------------------------------------------------------------------------------


def _host_update(update_state):
    """``update_state`` made a host callback of a captured training step: called while ``autograd.trace.capture``
    records (inside a layer's ``call``: ``add_metric``, a Metric called there), it runs untraced and every replay of the
    step calls it again with that replay's values, so a metric may keep its state however it likes (Python numbers,
    numpy) and is still updated on every step."""
    def wrapper(self, *args, **kwargs):
        tracer = ag.trace.active()
        if tracer is not None and tracer.capture:
            return tracer.host_call(types.MethodType(update_state, self), args, kwargs)
        return update_state(self, *args, **kwargs)
    wrapper.__name__ = update_state.__name__
    wrapper.__qualname__ = update_state.__qualname__
    wrapper.__doc__ = update_state.__doc__
    wrapper.__wrapped__ = update_state
    wrapper._host_update = True
    return wrapper


class Metric:
    """Base class: subclasses create state with ``add_weight`` and implement ``update_state`` and ``result``.

    Example:
        >>> class CountPositives(Metric):
        ...     def __init__(self, name="count_positives", **kw):
        ...         super().__init__(name=name, **kw)
        ...         self.count = self.add_weight("count")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.count.assign_add(np.sum(np.asarray(y_pred) > 0, dtype=np.float32))
        ...     def result(self):
        ...         return self.count.value()
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fn = cls.__dict__.get("update_state")
        if fn is not None and callable(fn) and not getattr(fn, "_host_update", False):
            cls.update_state = _host_update(fn)

    def __init__(self, name=None, dtype=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {sorted(kwargs)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}(name=...): expected a string, received {name!r}")
        self.name = name or _snake(type(self).__name__)
        try:
            self._dtype = np.dtype(dtype or backend.floatx())
        except TypeError:
            raise TypeError(f"{type(self).__name__}(dtype=...): expected a numpy dtype name, received {dtype!r}") \
                from None
        self._metric_variables = []
        self.stateful = True
        self.built = True
        METRICS_VERSION[0] += 1       # a layer holding this metric as an attribute tracks it (models cache)

    @property
    def dtype(self):
        """The result dtype's name (``'float32'``)."""
        return self._dtype.name

    def add_weight(self, name, shape=(), initializer="zeros", dtype=None):
        """A non-trainable state Variable (zeros unless ``initializer`` says otherwise)."""
        dt = np.dtype(dtype or self._dtype)
        if initializer in (None, "zeros"):
            value = np.zeros(shape, dt)
        else:
            from . import initializers
            value = _np(initializers.get(initializer)(shape, dtype=dt))
        v = Variable(value, name=f"{name}", trainable=False)
        self._metric_variables.append(v)
        return v

    @property
    def variables(self):
        """The state Variables, in creation order."""
        return list(self._metric_variables)

    weights = variables
    non_trainable_weights = variables

    @property
    def trainable_weights(self):
        return []

    def update_state(self, *args, **kwargs):
        """Accumulate statistics from one batch (implement in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        """The metric value from the accumulated state (implement in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self):
        """Set every state variable back to zero."""
        for v in self._metric_variables:
            ag.assign(v, np.zeros(v.shape, v.dtype))

    def reset_states(self):
        """The old name of ``reset_state``."""
        return self.reset_state()

    def merge_state(self, metrics):
        """Add the state of other metrics of the same kind to this one."""
        for m in metrics:
            if len(m.variables) != len(self._metric_variables):
                raise ValueError(f"Metric {m.name} is not compatible with {self.name}")
            for a, b in zip(self._metric_variables, m.variables):
                ag.assign_add(a, b.data)

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)`` then ``result()``; the result remembers this metric, so that
        ``layer.add_metric(result)`` tracks the metric itself (tf.keras's ``_metric_obj``)."""
        self.update_state(*args, **kwargs)
        result = self.result()
        if isinstance(result, ag.Tensor):
            _remember_result(result, self)
        return result

    def get_config(self):
        """``{"name": ..., "dtype": ...}`` plus subclass arguments."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuild from ``get_config()``'s dict."""
        return cls(**config)

    def __repr__(self):
        return f"<kerasfront.metrics.{type(self).__name__} name={self.name!r}>"


_base_layer._METRIC_TYPES = (Metric,)        # a layer tracks a Metric set as its attribute (base_layer)


# the metric that made each result of ``Metric.__call__`` (Tensors have __slots__: no ``_metric_obj`` attribute)
_RESULT_OWNERS = {}


def _forget_result(key, ref):
    entry = _RESULT_OWNERS.get(key)
    if entry is not None and entry[0] is ref:
        del _RESULT_OWNERS[key]


def _remember_result(result, metric):
    key = id(result)
    _RESULT_OWNERS[key] = (weakref.ref(result, lambda r, k=key: _forget_result(k, r)), metric)


def metric_of_result(value):
    """The Metric whose ``__call__`` returned ``value`` (None for any other value).

    Example:
        >>> m = Mean(); metric_of_result(m([1.0, 3.0])) is m
        True
    """
    entry = _RESULT_OWNERS.get(id(value))
    if entry is None or entry[0]() is not value:
        return None
    return entry[1]


class Reduce(Metric):
    """Reduces values to a ``"sum"``, a ``"weighted_mean"`` or a ``"sum_over_batch_size"``.

    Example:
        >>> total = Reduce("sum", name="total")
        >>> total.update_state([1.0, 2.0, 3.0])
        >>> float(total.result())
        6.0
    """

    _REDUCTIONS = ("sum", "weighted_mean", "sum_over_batch_size")

    def __init__(self, reduction, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if reduction not in self._REDUCTIONS:
            raise ValueError(f"Reduce(reduction=...): expected one of {self._REDUCTIONS}, received {reduction!r}")
        self.reduction = reduction
        self.total = self.add_weight("total")
        if reduction != "sum":
            self.count = self.add_weight("count")

    def update_state(self, values, sample_weight=None):
        """Accumulate ``values`` (weighted by ``sample_weight``, broadcast to them)."""
        v = _np(values)
        if isinstance(v, dict):
            raise RuntimeError("The output of a metric function can only be a single Tensor; to return a dict of "
                               "values, implement a custom Metric subclass.")
        v = np.asarray(v, dtype=self._dtype)
        sw = None
        if sample_weight is not None:
            v, sw = weight_metric_values(v, sample_weight, self._reduce_extra_axes)
        ag.assign_add(self.total, np.sum(v, dtype=self._dtype))
        if self.reduction == "sum":
            return
        if self.reduction == "weighted_mean" and sw is not None:
            n = np.sum(sw, dtype=self._dtype)
        else:
            n = self._dtype.type(v.size)
        ag.assign_add(self.count, n)

    def _reduce_extra_axes(self, values, axes):
        # NOTE: as tf.keras, values with more axes than the weights are first summed (or averaged) over them
        return values.sum(axis=axes) if self.reduction == "sum" else values.mean(axis=axes, dtype=self._dtype)

    def result(self):
        if self.reduction == "sum":
            return ag.Tensor(self.total.data.copy())
        count = self.count.data
        return ag.Tensor(self.total.data / count if count != 0 else np.zeros((), self._dtype))


class Sum(Reduce):
    """The (weighted) sum of the values seen.

    Example:
        >>> s = Sum(); s.update_state([1, 3, 5, 7]); float(s.result())
        16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(reduction="sum", name=name, dtype=dtype)


class Mean(Reduce):
    """The (weighted) mean of the values seen: ``sum(values * w) / sum(w)``.

    Example:
        >>> m = Mean(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); float(m.result())
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(reduction="weighted_mean", name=name, dtype=dtype)


def _align(y_true, y_pred):
    """The direct-call rule of ``losses_utils`` for ``(y_true, y_pred)`` (a trailing size-1 axis dropped)."""
    y_pred, y_true = squeeze_or_expand_dimensions(y_pred, y_true)
    return y_true, y_pred


class MeanMetricWrapper(Mean):
    """The weighted mean of ``fn(y_true, y_pred, **kwargs)`` over everything seen (any loss works as ``fn``).

    Example:
        >>> m = MeanMetricWrapper(mean_absolute_error, name="mae")
        >>> m.update_state([[1.0], [2.0]], [[1.5], [2.0]]); float(m.result())
        0.25
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper(fn=...): expected a callable, received {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        with ag.no_grad():
            y_true = _t(y_true, self._dtype)
            y_pred = _t(y_pred, self._dtype)
            y_true, y_pred = _align(y_true, y_pred)
            matches = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(matches, sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        for k, v in self._fn_kwargs.items():
            config[k] = v.item() if isinstance(v, (ag.Tensor, np.ndarray)) and np.ndim(v) == 0 else v
        if type(self) is MeanMetricWrapper:
            config["fn"] = get_registered_name(self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is MeanMetricWrapper:
            if fn is None:
                raise ValueError("MeanMetricWrapper.from_config: the config has no 'fn'")
            return cls(get(fn), **config)
        return cls(**config)


def _wrapper_class(class_name, fn, default_name, extra=(), doc=""):
    """A MeanMetricWrapper subclass with tf.keras's constructor ``(name=..., dtype=None, **extra)``."""
    extra_names = [k for k, _ in extra]

    def __init__(self, *args, **kwargs):
        params = dict(extra)
        order = ["name", "dtype"] + extra_names if class_name not in _K_FIRST else extra_names + ["name", "dtype"]
        if len(args) > len(order):
            raise TypeError(f"{class_name}: too many positional arguments ({len(args)})")
        values = {"name": default_name, "dtype": None, **params}
        for key, value in zip(order, args):
            values[key] = value
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{class_name}: unexpected argument {key!r}; expected one of {order}")
            values[key] = value
        MeanMetricWrapper.__init__(self, fn, name=values["name"], dtype=values["dtype"],
                                   **{k: values[k] for k in extra_names})
        for k in extra_names:
            setattr(self, k, values[k])

    # NOTE: the generated __init__ takes *args/**kwargs; its signature says what it really accepts (tf.keras's
    # arguments, order and defaults), for inspect.signature, help() and the API check.
    order = ["name", "dtype"] + extra_names if class_name not in _K_FIRST else extra_names + ["name", "dtype"]
    defaults = {"name": default_name, "dtype": None, **dict(extra)}
    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=defaults[k]) for k in order])
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


_K_FIRST = ("TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy")

Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy",
                          doc=("How often predictions equal labels exactly.\n\n"
                               "Example:\n"
                               "    >>> m = kerasfront.metrics.Accuracy()\n"
                               "    >>> m.update_state([[1], [2], [3], [4]], [[1], [2], [0], [0]])\n"
                               "    >>> float(m.result())\n"
                               "    0.5"))
BinaryAccuracy = _wrapper_class("BinaryAccuracy", _binary_matches, "binary_accuracy", (("threshold", 0.5),),
                                doc=("How often ``y_pred > threshold`` equals the binary label.\n\n"
                                     "Example:\n"
                                     "    >>> m = kerasfront.metrics.BinaryAccuracy()\n"
                                     "    >>> m.update_state([[1], [0]], [[0.7], [0.6]])\n"
                                     "    >>> float(m.result())\n"
                                     "    0.5"))
CategoricalAccuracy = _wrapper_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
                                     doc=("How often argmax(y_pred) equals argmax(y_true) (one-hot labels).\n\n"
                                          "Example:\n"
                                          "    >>> m = kerasfront.metrics.CategoricalAccuracy()\n"
                                          "    >>> m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])\n"
                                          "    >>> float(m.result())\n"
                                          "    0.5"))
SparseCategoricalAccuracy = _wrapper_class("SparseCategoricalAccuracy", _sparse_categorical_matches,
                                           "sparse_categorical_accuracy",
                                           doc=("How often argmax(y_pred) equals the integer label.\n\n"
                                                "Example:\n"
                                                "    >>> m = kerasfront.metrics.SparseCategoricalAccuracy()\n"
                                                "    >>> m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]])\n"
                                                "    >>> float(m.result())\n"
                                                "    0.5"))
TopKCategoricalAccuracy = _wrapper_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                         "top_k_categorical_accuracy", (("k", 5),),
                                         doc=("How often the one-hot target is in the top ``k`` predictions.\n\n"
                                              "Example:\n"
                                              "    >>> m = kerasfront.metrics.TopKCategoricalAccuracy(k=1)\n"
                                              "    >>> m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])\n"
                                              "    >>> float(m.result())\n"
                                              "    0.5"))
SparseTopKCategoricalAccuracy = _wrapper_class("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                               "sparse_top_k_categorical_accuracy", (("k", 5),),
                                               doc=("How often the integer target is in the top ``k`` predictions.\n\n"
                                                    "Example:\n"
                                                    "    >>> m = kerasfront.metrics.SparseTopKCategoricalAccuracy(1)\n"
                                                    "    >>> m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]])\n"
                                                    "    >>> float(m.result())\n"
                                                    "    0.5"))
MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                                  doc=("Mean of squared errors.\n\n"
                                       "Example:\n"
                                       "    >>> m = kerasfront.metrics.MeanSquaredError()\n"
                                       "    >>> m.update_state([[0.0, 1.0]], [[1.0, 1.0]])\n"
                                       "    >>> float(m.result())\n"
                                       "    0.5"))
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                                   doc=("Mean of absolute errors.\n\n"
                                        "Example:\n"
                                        "    >>> m = kerasfront.metrics.MeanAbsoluteError()\n"
                                        "    >>> m.update_state([[0.0, 1.0]], [[2.0, 1.0]])\n"
                                        "    >>> float(m.result())\n"
                                        "    1.0"))
MeanAbsolutePercentageError = _wrapper_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                             "mean_absolute_percentage_error",
                                             doc=("Mean absolute percentage error.\n\n"
                                                  "Example:\n"
                                                  "    >>> m = kerasfront.metrics.MeanAbsolutePercentageError()\n"
                                                  "    >>> m.update_state([[2.0, 4.0]], [[1.0, 4.0]])\n"
                                                  "    >>> float(m.result())\n"
                                                  "    25.0"))
MeanSquaredLogarithmicError = _wrapper_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                             "mean_squared_logarithmic_error",
                                             doc=("Mean squared logarithmic error.\n\n"
                                                  "Example:\n"
                                                  "    >>> m = kerasfront.metrics.MeanSquaredLogarithmicError()\n"
                                                  "    >>> m.update_state([[0.0, 0.0]], [[np.e - 1.0, 0.0]])\n"
                                                  "    >>> round(float(m.result()), 4)\n"
                                                  "    0.5"))
CosineSimilarity = _wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity", (("axis", -1),),
                                  doc=("Mean cosine similarity between labels and predictions.\n\n"
                                       "Example:\n"
                                       "    >>> m = kerasfront.metrics.CosineSimilarity()\n"
                                       "    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]])\n"
                                       "    >>> round(float(m.result()), 4)\n"
                                       "    0.5"))
LogCoshError = _wrapper_class("LogCoshError", log_cosh, "logcosh",
                              doc=("Mean log(cosh(error)).\n\n"
                                   "Example:\n"
                                   "    >>> m = kerasfront.metrics.LogCoshError()\n"
                                   "    >>> m.update_state([[0.0, 0.0]], [[1.0, -1.0]])\n"
                                   "    >>> round(float(m.result()), 4)\n"
                                   "    0.4338"))
Poisson = _wrapper_class("Poisson", poisson, "poisson",
                         doc=("Mean Poisson loss.\n\n"
                              "Example:\n"
                              "    >>> m = kerasfront.metrics.Poisson()\n"
                              "    >>> m.update_state([[1.0, 1.0]], [[1.0, 1.0]])\n"
                              "    >>> round(float(m.result()), 4)\n"
                              "    1.0"))
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kullback_leibler_divergence",
                              doc=("Mean Kullback-Leibler divergence.\n\n"
                                   "Example:\n"
                                   "    >>> m = kerasfront.metrics.KLDivergence()\n"
                                   "    >>> m.update_state([[1.0, 0.0]], [[0.5, 0.5]])\n"
                                   "    >>> round(float(m.result()), 4)\n"
                                   "    0.6931"))
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                    (("from_logits", False), ("label_smoothing", 0)),
                                    doc=("Mean binary crossentropy.\n\n"
                                         "Example:\n"
                                         "    >>> m = kerasfront.metrics.BinaryCrossentropy(from_logits=True)\n"
                                         "    >>> m.update_state([[1.0], [0.0]], [[0.0], [0.0]])\n"
                                         "    >>> round(float(m.result()), 4)\n"
                                         "    0.6931"))
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy", categorical_crossentropy,
                                         "categorical_crossentropy",
                                         (("from_logits", False), ("label_smoothing", 0), ("axis", -1)),
                                         doc=("Mean categorical crossentropy.\n\n"
                                              "Example:\n"
                                              "    >>> m = kerasfront.metrics.CategoricalCrossentropy()\n"
                                              "    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])\n"
                                              "    >>> round(float(m.result()), 4)\n"
                                              "    0.6931"))
SparseCategoricalCrossentropy = _wrapper_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                               "sparse_categorical_crossentropy",
                                               (("from_logits", False), ("ignore_class", None), ("axis", -1)),
                                               doc=("Mean sparse categorical crossentropy.\n\n"
                                                    "Example:\n"
                                                    "    >>> m = kerasfront.metrics.SparseCategoricalCrossentropy()\n"
                                                    "    >>> m.update_state([1], [[0.5, 0.5]])\n"
                                                    "    >>> round(float(m.result()), 4)\n"
                                                    "    0.6931"))
Hinge = _wrapper_class("Hinge", hinge, "hinge",
                       doc=("Mean hinge loss.\n\n"
                            "Example:\n"
                            "    >>> m = kerasfront.metrics.Hinge()\n"
                            "    >>> m.update_state([[1.0, -1.0]], [[0.5, -2.0]])\n"
                            "    >>> float(m.result())\n"
                            "    0.25"))
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge",
                              doc=("Mean squared hinge loss.\n\n"
                                   "Example:\n"
                                   "    >>> m = kerasfront.metrics.SquaredHinge()\n"
                                   "    >>> m.update_state([[1.0, -1.0]], [[0.5, -2.0]])\n"
                                   "    >>> float(m.result())\n"
                                   "    0.125"))
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                  doc=("Mean categorical hinge loss.\n\n"
                                       "Example:\n"
                                       "    >>> m = kerasfront.metrics.CategoricalHinge()\n"
                                       "    >>> m.update_state([[0.0, 1.0]], [[0.3, 0.6]])\n"
                                       "    >>> round(float(m.result()), 4)\n"
                                       "    0.7"))


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) mean of squared errors over every element seen.

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        >>> round(float(m.result()), 4)
        0.7071
        >>> model.compile(optimizer="adam", loss="mse", metrics=[RootMeanSquaredError()])
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        with ag.no_grad():
            y_true, y_pred = _align(_t(y_true, self._dtype), _t(y_pred, self._dtype))
            error_sq = ag.square(ag.subtract(y_pred, y_true))
        super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return ag.sqrt(super().result())


# -- confusion-matrix metrics -------------------------------------------------------------------------------


def _parse_thresholds(thresholds, default, who):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    for t in values:
        if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)) or not 0 <= t <= 1:
            raise ValueError(f"{who}(thresholds=...): threshold values must be in [0, 1], received {thresholds!r}")
    return [float(t) for t in values]


def _confusion_inputs(y_true, y_pred, sample_weight, dtype, label_weights=None):
    """Labels and predictions aligned by the direct-call rule, and the sample weights (times any label weights)
    broadcast to the predictions (None without weights), as tf.keras's confusion-matrix metrics take them."""
    y_true, y_pred = _t(y_true, dtype), _t(y_pred, dtype)
    if sample_weight is None:
        y_pred, y_true = squeeze_or_expand_dimensions(y_pred, y_true)
        sw = None
    else:
        sw = np.asarray(_np(sample_weight), dtype=dtype)
        y_pred, y_true, sw = squeeze_or_expand_dimensions(y_pred, y_true, sw)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true of shape {y_true.shape} is not compatible with y_pred of shape {y_pred.shape}")
    if sw is not None:
        sw = broadcast_weights(sw, y_pred.shape)
    if label_weights is not None:
        lw = broadcast_weights(np.asarray(label_weights, dtype).reshape((1,) * (y_pred.ndim - 1) + (-1,)),
                               y_pred.shape)
        sw = lw if sw is None else sw * lw
    return y_true, y_pred, sw


def _confusion_counts(y_true, y_pred, thresholds, sample_weight, dtype, top_k=None, class_id=None,
                      need=("tp", "fp", "tn", "fn"), clip=False, label_weights=None):
    """``{"tp": ..., ...}`` counts per threshold (a prediction is positive above the threshold)."""
    with ag.no_grad():
        y_true, y_pred, sw = _confusion_inputs(y_true, y_pred, sample_weight, dtype, label_weights)
        if clip:
            y_pred = ag.clip(y_pred, np.asarray(0.0, dtype), np.asarray(1.0, dtype))
        if top_k is not None:
            # NOTE: entries outside the top k get -1e10 (ties at the k-th value are all kept).
            kth = np.sort(y_pred.data, axis=-1)[..., -top_k][..., None]
            keep = ag.greater_equal(y_pred, kth)
            y_pred = ag.where(keep, y_pred, ag.Tensor(np.asarray(_NEG_INF, dtype)))
        if class_id is not None:
            y_true = ag.getitem(y_true, (Ellipsis, slice(class_id, class_id + 1)))
            y_pred = ag.getitem(y_pred, (Ellipsis, slice(class_id, class_id + 1)))
            if sw is not None:
                sw = sw[..., class_id:class_id + 1]
        pred = ag.reshape(y_pred, (1, -1))
        label = ag.reshape(ag.not_equal(y_true, np.asarray(0, dtype)), (1, -1))
        thr = ag.Tensor(np.asarray(thresholds, dtype).reshape(-1, 1))
        pred_pos = ag.greater(pred, thr)
        w = None if sw is None else ag.Tensor(sw.reshape(1, -1))
        out = {}
        conds = {"tp": (label, pred_pos), "fp": (ag.logical_not(label), pred_pos),
                 "fn": (label, ag.logical_not(pred_pos)), "tn": (ag.logical_not(label), ag.logical_not(pred_pos))}
        for key in need:
            a, b = conds[key]
            hits = ag.astype(ag.logical_and(a, b), dtype)
            if w is not None:
                hits = ag.multiply(hits, w)
            out[key] = ag.sum(hits, axis=1).data
        return out


def _confusion_counts_evenly(y_true, y_pred, num_thresholds, sample_weight, dtype, label_weights=None, with_epsilon=True,
                             class_id=None):
    """AUC's counts for evenly spaced thresholds in O(n): each prediction falls in one bucket, and a reverse
    cumulative sum gives the counts above every threshold (tf.keras's optimized path, same float32 math).

    ``with_epsilon``: the thresholds run from just below 0 to just above 1 (AUC's), so a prediction of 0 falls in
    the first bucket; otherwise (the thresholds 0 ... 1 of SensitivityAtSpecificity and its kin) a prediction of
    0 is above no threshold. ``class_id`` keeps only that class's column."""
    # NOTE: this is host-side bookkeeping of metric state (a weighted histogram), so it uses numpy's bincount;
    # the bucket of p is ceil(p * (T - 1)) - 1 (clipped at 0), computed in float32 exactly as tf.keras does.
    with ag.no_grad():
        y_true, y_pred, sw = _confusion_inputs(y_true, y_pred, sample_weight, dtype, label_weights)
    p = np.clip(y_pred.data, dtype.type(0), dtype.type(1))
    label = (y_true.data != 0).astype(dtype)
    w = np.ones_like(p) if sw is None else sw
    if class_id is not None:
        p, label, w = p[..., class_id], label[..., class_id], w[..., class_id]
    p, label, w = p.ravel(), label.ravel(), w.ravel()
    bucket = (np.ceil(p * dtype.type(num_thresholds - 1)) - 1).astype(np.int64)
    true_w = label * w
    false_w = (dtype.type(1) - label) * w
    total_true, total_false = true_w.sum(dtype=dtype), false_w.sum(dtype=dtype)
    if with_epsilon:
        bucket = np.maximum(bucket, 0)
    else:
        # NOTE: tf.math.unsorted_segment_sum drops the bucket -1 (a prediction of exactly 0): it is above no
        # threshold, yet still counts in the totals behind tn and fn.
        keep = bucket >= 0
        bucket, true_w, false_w = bucket[keep], true_w[keep], false_w[keep]
    tp = np.cumsum(np.bincount(bucket, true_w, minlength=num_thresholds)[::-1])[::-1].astype(dtype)
    fp = np.cumsum(np.bincount(bucket, false_w, minlength=num_thresholds)[::-1])[::-1].astype(dtype)
    return {"tp": tp, "fp": fp, "fn": total_true - tp, "tn": total_false - fp}


def _divide_no_nan(a, b):
    a, b = _t(a), _t(b)
    safe = ag.where(ag.equal(b, 0), ag.ones_like(b), b)
    return ag.where(ag.equal(b, 0), ag.zeros_like(a), ag.divide(a, safe))


class _ConfusionMatrixConditionCount(Metric):
    _COND = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5, type(self).__name__)
        self.accumulator = self.add_weight("accumulator", shape=(len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self._dtype, need=(self._COND,))
        ag.assign_add(self.accumulator, counts[self._COND])

    def result(self):
        data = self.accumulator.data
        return ag.Tensor(data[0].copy() if len(self.thresholds) == 1 else data.copy())

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives at each threshold (default 0.5).

    Example:
        >>> m = TruePositives()
        >>> m.update_state([[0], [1], [1], [0]], [[0.2], [0.9], [0.4], [0.6]])
        >>> round(float(m.result()), 4)
        1.0
        >>> model.compile(optimizer="adam", loss="mse", metrics=[TruePositives()])
    """
    _COND = "tp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives at each threshold (default 0.5).

    Example:
        >>> m = TrueNegatives()
        >>> m.update_state([[0], [1], [1], [0]], [[0.2], [0.9], [0.4], [0.6]])
        >>> round(float(m.result()), 4)
        1.0
        >>> model.compile(optimizer="adam", loss="mse", metrics=[TrueNegatives()])
    """
    _COND = "tn"


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives at each threshold (default 0.5).

    Example:
        >>> m = FalsePositives()
        >>> m.update_state([[0], [1], [1], [0]], [[0.2], [0.9], [0.4], [0.6]])
        >>> round(float(m.result()), 4)
        1.0
        >>> model.compile(optimizer="adam", loss="mse", metrics=[FalsePositives()])
    """
    _COND = "fp"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives at each threshold (default 0.5).

    Example:
        >>> m = FalseNegatives()
        >>> m.update_state([[0], [1], [1], [0]], [[0.2], [0.9], [0.4], [0.6]])
        >>> round(float(m.result()), 4)
        1.0
        >>> model.compile(optimizer="adam", loss="mse", metrics=[FalseNegatives()])
    """
    _COND = "fn"


class _PrecisionRecall(Metric):
    _OTHER = "fp"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else _NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default, type(self).__name__) if thresholds is not None \
            else [default]
        n = len(self.thresholds)
        self.true_positives = self.add_weight("true_positives", shape=(n,))
        other = "false_positives" if self._OTHER == "fp" else "false_negatives"
        setattr(self, other, self.add_weight(other, shape=(n,)))
        self._other = getattr(self, other)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self._dtype, top_k=self.top_k,
                                   class_id=self.class_id, need=("tp", self._OTHER))
        ag.assign_add(self.true_positives, counts["tp"])
        ag.assign_add(self._other, counts[self._OTHER])

    def result(self):
        res = _divide_no_nan(self.true_positives.data, self.true_positives.data + self._other.data)
        return ag.getitem(res, 0) if len(self.thresholds) == 1 else res

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)`` at each threshold (default 0.5), optionally over the ``top_k`` or one ``class_id``.

    Example:
        >>> p = Precision(); p.update_state([0, 1, 1, 1], [1, 0, 1, 1]); float(p.result())
        0.6666666865348816
    """
    _OTHER = "fp"


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)`` at each threshold (default 0.5), optionally over the ``top_k`` or one ``class_id``.

    Example:
        >>> m = Recall()
        >>> m.update_state([[0], [1], [1], [0]], [[0.2], [0.9], [0.4], [0.6]])
        >>> round(float(m.result()), 4)
        0.5
        >>> model.compile(optimizer="adam", loss="mse", metrics=[Recall()])
    """
    _OTHER = "fn"


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at ``num_thresholds`` thresholds (Keras's method).

    ROC uses the trapezoidal rule (``summation_method='interpolation'``); PR with interpolation uses Davis &
    Goadrich's interpolation, as tf.keras. ``'minoring'`` / ``'majoring'`` take lower / upper Riemann sums.

    Example:
        >>> m = AUC(num_thresholds=3); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); float(m.result())
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        curve_key = str(curve).upper().replace("PRGAIN", "PR_GAIN")
        if curve_key not in ("ROC", "PR", "PR_GAIN"):
            raise ValueError(f'AUC(curve=...): invalid value "{curve}". Expected values are ["PR", "ROC", '
                             f'"PR_GAIN"]')
        method = str(summation_method).lower()
        if method not in ("interpolation", "majoring", "minoring"):
            raise ValueError(f'AUC(summation_method=...): invalid value "{summation_method}". Expected values are '
                             f'["interpolation", "majoring", "minoring"]')
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
            full = np.array([0.0] + inner + [1.0])
            self._evenly = len(full) >= 3 and np.allclose(full, np.arange(len(full)) / (len(full) - 1),
                                                          atol=backend.epsilon())
        else:
            self._evenly = True
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"AUC(num_thresholds=...): must be an integer > 1, received {num_thresholds!r}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = backend.epsilon()
        self._thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        self.curve = curve_key
        self.summation_method = method
        super().__init__(name=name, dtype=dtype)
        if multi_label:
            raise NotImplementedError("AUC(multi_label=True) is not supported yet; compute one AUC per label")
        if num_labels:
            raise ValueError("AUC: `num_labels` is needed only when `multi_label` is True.")
        self.multi_label = False
        self.num_labels = num_labels
        if label_weights is not None:
            lw = np.asarray(label_weights, dtype=self._dtype)
            if (lw < 0).any():
                raise ValueError("AUC(label_weights=...): all values must be non-negative")
            self.label_weights = lw
        else:
            self.label_weights = None
        self._from_logits = bool(from_logits)
        shape = (self.num_thresholds,)
        self.true_positives = self.add_weight("true_positives", shape=shape)
        self.true_negatives = self.add_weight("true_negatives", shape=shape)
        self.false_positives = self.add_weight("false_positives", shape=shape)
        self.false_negatives = self.add_weight("false_negatives", shape=shape)

    @property
    def thresholds(self):
        """The thresholds used, including the two just outside [0, 1]."""
        return list(self._thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        with ag.no_grad():
            y_pred = _t(y_pred, self._dtype)
            if self._from_logits:
                y_pred = ag.sigmoid(y_pred)
        if self._evenly:
            counts = _confusion_counts_evenly(y_true, y_pred, self.num_thresholds, sample_weight, self._dtype,
                                              self.label_weights)
        else:
            counts = _confusion_counts(y_true, y_pred, self._thresholds, sample_weight, self._dtype, clip=True,
                                       label_weights=self.label_weights)
        ag.assign_add(self.true_positives, counts["tp"])
        ag.assign_add(self.true_negatives, counts["tn"])
        ag.assign_add(self.false_positives, counts["fp"])
        ag.assign_add(self.false_negatives, counts["fn"])

    def _interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = (ag.Tensor(v.data) for v in (self.true_positives, self.false_positives, self.false_negatives))
        dtp = ag.subtract(tp[:n - 1], tp[1:])
        p = ag.add(tp, fp)
        dp = ag.subtract(p[:n - 1], p[1:])
        zero = np.asarray(0, self._dtype)
        prec_slope = _divide_no_nan(dtp, ag.maximum(dp, zero))
        intercept = ag.subtract(tp[1:], ag.multiply(prec_slope, p[1:]))
        both_pos = ag.logical_and(ag.greater(p[:n - 1], zero), ag.greater(p[1:], zero))
        safe_ratio = ag.where(both_pos, _divide_no_nan(p[:n - 1], ag.maximum(p[1:], zero)), ag.ones_like(p[1:]))
        increment = _divide_no_nan(ag.multiply(prec_slope, ag.add(dtp, ag.multiply(intercept, ag.log(safe_ratio)))),
                                   ag.maximum(ag.add(tp[1:], fn[1:]), zero))
        return ag.sum(increment)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        n = self.num_thresholds
        tp, tn, fp, fn = (ag.Tensor(v.data) for v in (self.true_positives, self.true_negatives,
                                                      self.false_positives, self.false_negatives))
        recall = _divide_no_nan(tp, ag.add(tp, fn))
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, ag.add(fp, tn)), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, ag.add(tp, fp))
        else:
            scaling = _divide_no_nan(ag.add(tp, fn), ag.add(fp, tn))
            recall_gain = ag.subtract(1.0, ag.multiply(scaling, _divide_no_nan(fn, tp)))
            precision_gain = ag.subtract(1.0, ag.multiply(scaling, _divide_no_nan(fp, tp)))
            tp_zero = ag.equal(tp, 0)
            recall_gain = ag.maximum(ag.where(tp_zero, ag.zeros_like(recall_gain), recall_gain), 0.0)
            precision_gain = ag.where(tp_zero, ag.ones_like(precision_gain), precision_gain)
            x, y = recall_gain, precision_gain
        if self.summation_method == "interpolation":
            heights = ag.divide(ag.add(y[:n - 1], y[1:]), np.asarray(2.0, self._dtype))
        elif self.summation_method == "minoring":
            heights = ag.minimum(y[:n - 1], y[1:])
        else:
            heights = ag.maximum(y[:n - 1], y[1:])
        return ag.astype(ag.sum(ag.multiply(ag.subtract(x[:n - 1], x[1:]), heights)), self._dtype)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


# -- the metric families (one file each), the focal crossentropies, metrics.experimental ------------------------

# NOTE: the families build on the base classes above, so they are imported here, after them.
from .losses import binary_focal_crossentropy, categorical_focal_crossentropy  # noqa: E402
from .metric_families.f_score import F1Score, FBetaScore  # noqa: E402
from .metric_families.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU  # noqa: E402
from .metric_families.mean_tensor import MeanTensor, PyMetric  # noqa: E402
from .metric_families.regression import MeanRelativeError, R2Score  # noqa: E402
from .metric_families.sensitivity import (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,  # noqa: E402
                                          SpecificityAtSensitivity)

#: ``kerasfront.metrics.experimental`` (tf.keras's ``metrics.experimental``: ``PyMetric``).
experimental = types.ModuleType(__name__ + ".experimental", "tf.keras's metrics.experimental: PyMetric.")
experimental.PyMetric = PyMetric
sys.modules[experimental.__name__] = experimental


# -- registry ---------------------------------------------------------------------------------------------

_FUNCTIONS = {
    "accuracy": accuracy, "acc": acc, "ACC": ACC, "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy, "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy, "cosine_similarity": cosine_similarity,
    "cosine_proximity": cosine_proximity, "binary_crossentropy": binary_crossentropy, "bce": bce, "BCE": BCE,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "mean_squared_error": mean_squared_error,
    "mse": mse, "MSE": MSE, "mean_absolute_error": mean_absolute_error, "mae": mae, "MAE": MAE,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mape, "MAPE": MAPE,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": msle, "MSLE": MSLE,
    "hinge": hinge, "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge, "poisson": poisson,
    "kl_divergence": kl_divergence, "kld": kld, "KLD": KLD, "kullback_leibler_divergence": kl_divergence,
    "log_cosh": log_cosh, "logcosh": logcosh, "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy,
}
_CLASSES = {c.__name__: c for c in (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC, TruePositives, TrueNegatives,
    FalsePositives, FalseNegatives, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, RootMeanSquaredError, CosineSimilarity, LogCoshError, Poisson, KLDivergence,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
    CategoricalHinge, F1Score, FBetaScore, IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU, MeanTensor, PyMetric,
    MeanRelativeError, R2Score, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
    SpecificityAtSensitivity)}
_BUILTINS = {**_FUNCTIONS, **_CLASSES}


def serialize(metric, use_legacy_format=False):
    """A metric function serializes to its name; a Metric object to ``{"class_name", "config"}``.
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> serialize(Precision(name="p"))["class_name"]
        'Precision'
    """
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    """A metric function or Metric object from a name or config dict (unknown names list close matches).
    ``use_legacy_format`` is accepted as in tf.keras; both config forms are read either way.

    Example:
        >>> type(deserialize({"class_name": "AUC", "config": {"num_thresholds": 50}})).__name__
        'AUC'
    """
    return deserialize_keras_object(config, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="metric function", instantiate=True)


def get(identifier):
    """A metric from a name (``'mae'``, ``'AUC'``), a config dict, a Metric object or a callable.

    Example:
        >>> get("mae") is mean_absolute_error
        True
    """
    if isinstance(identifier, (dict, str)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"metrics.get: could not interpret metric identifier {identifier!r} "
                     f"(expected a name, a config dict, a Metric or a callable)")

