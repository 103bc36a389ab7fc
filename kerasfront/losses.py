"""Losses, as in ``tf.keras.losses``: per-sample functions and ``Loss`` classes that weight and reduce them.

A loss function maps ``(y_true, y_pred)`` to one value per sample (it reduces the last axis, as Keras
does). A ``Loss`` object multiplies those by ``sample_weight`` and reduces them: with the default
``"auto"`` / ``"sum_over_batch_size"`` reduction, the sum divided by the number of elements of the
per-sample losses (tf.keras 2 semantics). Everything is built from autograd ops, so the result can be
differentiated.

Example:
    >>> loss = kerasfront.losses.CategoricalCrossentropy(from_logits=True)
    >>> round(float(loss(np.array([[0.0, 1.0]]), ag.tensor([[1.0, 3.0]]))), 4)     # -log softmax(...)[1]
    0.1269
"""
import warnings

import numpy as np

import autograd as ag

from . import backend
from .engine import arguments
from .engine.base_layer import get_mask, note_attribute_set
from .serialization import deserialize_keras_object, get_registered_name, serialize_keras_object
from .utils.losses_utils import (ReductionV2, apply_valid_mask, compute_weighted_loss,  # noqa: F401
                                 squeeze_or_expand_dimensions)

_MISSING_ATTR = object()

__all__ = ["Reduction", "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryFocalCrossentropy",
           "CategoricalFocalCrossentropy", "binary_focal_crossentropy", "categorical_focal_crossentropy", "Hinge", "SquaredHinge", "CategoricalHinge",
           "Huber", "LogCosh", "KLDivergence", "Poisson", "CosineSimilarity", "mean_squared_error",
           "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
           "squared_hinge", "categorical_hinge", "huber", "log_cosh", "kl_divergence", "poisson",
           "cosine_similarity", "get", "serialize", "deserialize"]


Reduction = ReductionV2


# -- helpers --------------------------------------------------------------------------------------


def _pred(y_pred):
    """``y_pred`` as a floating Tensor."""
    if isinstance(y_pred, ag.Tensor):
        return y_pred if y_pred.dtype.kind == "f" else ag.astype(y_pred, backend.floatx())
    arr = np.asarray(y_pred)
    if arr.dtype.kind != "f" or arr.dtype == np.float64 and not isinstance(y_pred, np.ndarray):
        arr = arr.astype(backend.floatx())
    return ag.as_tensor(arr)


def _true_like(y_true, y_pred):
    """``y_true`` cast to ``y_pred``'s dtype (as tf.cast in every Keras loss)."""
    if isinstance(y_true, ag.Tensor):
        return y_true if y_true.dtype == y_pred.dtype else ag.astype(y_true, y_pred.dtype)
    return ag.as_tensor(np.asarray(y_true, dtype=y_pred.dtype))


def _prep(y_true, y_pred):
    y_pred = _pred(y_pred)
    return _true_like(y_true, y_pred), y_pred


def _data(x):
    return x.data if isinstance(x, ag.Tensor) else np.asarray(x)


def _c(value, t):
    """A scalar constant with ``t``'s dtype (keeps float32 math float32)."""
    return np.asarray(value, dtype=t.dtype)


# -- loss functions ---------------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_pred - y_true), axis=-1)``.

    Example:
        >>> mean_squared_error(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        Tensor([0.5])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    return ag.mean(ag.square(ag.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_pred - y_true), axis=-1)``.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> mean_absolute_error(y_true, y_pred)
        Tensor([0.5, 0.5])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    return ag.mean(ag.abs(ag.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)``.

    Example:
        >>> y_true, y_pred = np.array([[1.0, 2.0]]), np.array([[1.5, 2.0]])
        >>> mean_absolute_percentage_error(y_true, y_pred)
        Tensor([25.])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    denom = ag.maximum(ag.abs(y_true), _c(backend.epsilon(), y_pred))
    diff = ag.abs(ag.divide(ag.subtract(y_true, y_pred), denom))
    return ag.multiply(ag.mean(diff, axis=-1), _c(100.0, y_pred))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> mean_squared_logarithmic_error(y_true, y_pred)
        Tensor([0.24022644, 0.24022644])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    eps = _c(backend.epsilon(), y_pred)
    first = ag.log(ag.add(ag.maximum(y_pred, eps), _c(1.0, y_pred)))
    second = ag.log(ag.add(ag.maximum(y_true, eps), _c(1.0, y_pred)))
    return ag.mean(ag.square(ag.subtract(first, second)), axis=-1)


def _maybe_convert_labels(y_true):
    # NOTE: as tf.keras, hinge losses turn {0, 1} labels into {-1, 1}; other labels are used as given. While
    # autograd.trace records (a captured step) the choice is made with ops, as tf.keras's smart_cond, so that a replay
    # decides on its own batch's labels; eagerly on the host
    if ag.trace.active() is not None:
        binary = ag.all(ag.logical_or(ag.equal(y_true, 0), ag.equal(y_true, 1)))
        return ag.where(binary, ag.subtract(ag.multiply(y_true, _c(2.0, y_true)), _c(1.0, y_true)), y_true)
    d = y_true.data
    if np.all((d == 0) | (d == 1)):
        return ag.subtract(ag.multiply(y_true, _c(2.0, y_true)), _c(1.0, y_true))
    return y_true


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)`` with {0, 1} labels mapped to {-1, 1}.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])
        >>> hinge(y_true, y_pred)
        Tensor([1.1])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return ag.mean(ag.maximum(ag.subtract(_c(1.0, y_pred), ag.multiply(y_true, y_pred)), _c(0.0, y_pred)), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`` with {0, 1} labels mapped to {-1, 1}.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])
        >>> squared_hinge(y_true, y_pred)
        Tensor([1.46])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    margin = ag.maximum(ag.subtract(_c(1.0, y_pred), ag.multiply(y_true, y_pred)), _c(0.0, y_pred))
    return ag.mean(ag.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])
        >>> categorical_hinge(y_true, y_pred)
        Tensor([1.2])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    pos = ag.sum(ag.multiply(y_true, y_pred), axis=-1)
    neg = ag.max(ag.multiply(ag.subtract(_c(1.0, y_pred), y_true), y_pred), axis=-1)
    return ag.maximum(ag.add(ag.subtract(neg, pos), _c(1.0, y_pred)), _c(0.0, y_pred))


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for ``|error| <= delta``, linear beyond: mean over the last axis.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> huber(y_true, y_pred)
        Tensor([0.25, 0.25], dtype=float32)
    """
    y_pred = _pred(y_pred)
    if y_pred.dtype != np.dtype(backend.floatx()):
        y_pred = ag.astype(y_pred, backend.floatx())
    y_true = _true_like(y_true, y_pred)
    error = ag.subtract(y_pred, y_true)
    abs_error = ag.abs(error)
    half = _c(0.5, y_pred)
    d = _c(delta, y_pred)
    quad = ag.multiply(ag.square(error), half)
    lin = ag.subtract(ag.multiply(abs_error, d), half * d * d)
    # NOTE: the branch is chosen with an op (not on the host), so that a captured step reads its own errors
    return ag.mean(ag.where(ag.less_equal(abs_error, d), quad, lin), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as ``x + softplus(-2x) - log 2``.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> log_cosh(y_true, y_pred)
        Tensor([0.21689042, 0.21689042])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    x = ag.subtract(y_pred, y_true)
    val = ag.subtract(ag.add(x, ag.softplus(ag.multiply(x, _c(-2.0, x)))), _c(np.log(2.0), x))
    return ag.mean(val, axis=-1)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [eps, 1].

    Example:
        >>> y_true, y_pred = np.array([[0.5, 0.5]]), np.array([[0.4, 0.6]])
        >>> kl_divergence(y_true, y_pred)
        Tensor([0.020411])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    eps, one = _c(backend.epsilon(), y_pred), _c(1.0, y_pred)
    y_true = ag.clip(y_true, eps, one)
    y_pred = ag.clip(y_pred, eps, one)
    return ag.sum(ag.multiply(y_true, ag.log(ag.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    Example:
        >>> y_true, y_pred = np.array([[1.0, 2.0]]), np.array([[1.0, 1.0]])
        >>> poisson(y_true, y_pred)
        Tensor([0.99999985])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    return ag.mean(ag.subtract(y_pred, ag.multiply(y_true, ag.log(ag.add(y_pred, _c(backend.epsilon(), y_pred))))),
                   axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (-1 when the vectors point the same way).

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> cosine_similarity(y_true, y_pred)
        Tensor([-0.70710678, -0.        ])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    y_true = backend.l2_normalize(y_true, axis=axis)
    y_pred = backend.l2_normalize(y_pred, axis=axis)
    return ag.negative(ag.sum(ag.multiply(y_true, y_pred), axis=axis))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy averaged over ``axis``; labels are smoothed towards 0.5 by ``label_smoothing``.

    Example:
        >>> round(float(binary_crossentropy(np.array([[1.0]]), np.array([[0.5]]))[0]), 5)     # -log(0.5 + 1e-7)
        0.69315
    """
    y_true, y_pred = _prep(y_true, y_pred)
    if label_smoothing:
        ls = _c(label_smoothing, y_pred)
        y_true = ag.add(ag.multiply(y_true, _c(1.0 - label_smoothing, y_pred)), _c(0.5, y_pred) * ls)
    return ag.mean(backend.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) ``y_true`` and ``y_pred`` over ``axis``.

    Probabilities are rescaled to sum to 1 and clipped to [1e-7, 1 - 1e-7]; an output made by a softmax
    is evaluated from its logits, as tf.keras does. ``label_smoothing`` mixes the labels with the uniform
    distribution.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0, 0.0]]), np.array([[0.05, 0.95, 0.0]])
        >>> categorical_crossentropy(y_true, y_pred)
        Tensor([0.05129329])
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: axis must be an int, received {axis!r}")
    y_true, y_pred = _prep(y_true, y_pred)
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(f"In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) with "
                      f"num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using "
                      f"'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        num_classes = y_true.shape[axis]
        y_true = ag.add(ag.multiply(y_true, _c(1.0 - label_smoothing, y_pred)),
                        _c(label_smoothing, y_pred) / _c(num_classes, y_pred))
    return backend.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                              label_smoothing=0.0, axis=-1):
    """Binary focal crossentropy (Lin et al., 2018) averaged over ``axis``.

    ``(1 - p_t)^gamma * binary_crossentropy``, which down-weights examples the model already gets right;
    ``apply_class_balancing`` also weights positives by ``alpha`` and negatives by ``1 - alpha``. Labels are
    smoothed towards 0.5 by ``label_smoothing`` first.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
        >>> binary_focal_crossentropy(y_true, y_pred, gamma=2.0)
        Tensor([0.32986457, 0.20579832])
    """
    y_true, y_pred = _prep(y_true, y_pred)
    if label_smoothing:
        ls = _c(label_smoothing, y_pred)
        y_true = ag.add(ag.multiply(y_true, _c(1.0 - label_smoothing, y_pred)), _c(0.5, y_pred) * ls)
    return ag.mean(backend.binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=apply_class_balancing,
                                                     alpha=alpha, gamma=gamma, from_logits=from_logits), axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """Categorical focal crossentropy (Lin et al., 2018) over ``axis``: one value per sample.

    ``sum(alpha * (1 - p)^gamma * -y_true * log(p))`` with ``p`` the (normalized, clipped) probabilities;
    ``alpha`` is a float or one weight per class; ``label_smoothing`` mixes the labels with the uniform
    distribution first.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), np.array([[0.05, 0.95, 0.0],
        ...                                                                           [0.1, 0.8, 0.1]])
        >>> categorical_focal_crossentropy(y_true, y_pred)
        Tensor([3.20583090e-05, 4.66273481e-01])
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_focal_crossentropy: axis must be an int, received {axis!r}")
    y_true, y_pred = _prep(y_true, y_pred)
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(f"In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, "
                      f"num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using "
                      f"'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = ag.add(ag.multiply(y_true, _c(1.0 - label_smoothing, y_pred)),
                        _c(label_smoothing, y_pred) / _c(num_classes, y_pred))
    return backend.categorical_focal_crossentropy(y_true, y_pred, alpha=alpha, gamma=gamma, from_logits=from_logits,
                                                  axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1, ignore_class=None):
    """Crossentropy between integer class ids ``y_true`` and ``y_pred`` over ``axis``.

    ``ignore_class`` gives those entries a loss of 0 (a ``Loss`` object also leaves them out of the mean).

    Example:
        >>> y_true, y_pred = np.array([1]), np.array([[0.05, 0.95, 0.0]])
        >>> sparse_categorical_crossentropy(y_true, y_pred)
        Tensor([0.05129339])
    """
    return backend.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis,
                                                   ignore_class=ignore_class)


# aliases, as tf.keras exports them
bce = BCE = binary_crossentropy
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber


# -- Loss classes -----------------------------------------------------------------------------------


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred)`` returning per-sample losses.

    ``__call__(y_true, y_pred, sample_weight=None)`` weights and reduces them per ``reduction``.

    Example:
        >>> class MyMSE(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ag.mean(ag.square(y_pred - y_true), axis=-1)
    """

    def __init__(self, reduction=Reduction.AUTO, name=None):
        Reduction.validate(reduction)
        self.reduction = reduction
        self.name = name

    def __setattr__(self, name, value):
        # a captured training step read the loss's settings while it was recorded (engine/step_capture.py)
        old = self.__dict__.get(name, _MISSING_ATTR)
        object.__setattr__(self, name, value)
        note_attribute_set(old, value)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The weighted, reduced loss: ``call``'s per-sample losses, an output mask of ``y_pred`` (and of the
        losses) applied, ``sample_weight`` matched and multiplied, then ``reduction`` (``losses_utils``)."""
        losses = self.call(y_true, y_pred)
        in_mask, out_mask = get_mask(y_pred), self._losses_mask(y_true, losses)
        if in_mask is not None and out_mask is not None:
            # NOTE: with ops while autograd.trace records (see losses_utils.apply_mask), else on the host
            traced = ag.trace.active() is not None and isinstance(in_mask, ag.Tensor) | isinstance(out_mask, ag.Tensor)
            mask = ag.logical_and(in_mask, out_mask) if traced else np.logical_and(_data(in_mask), _data(out_mask))
        else:
            mask = in_mask if out_mask is None else out_mask
        sample_weight = apply_valid_mask(losses, sample_weight, mask, self.reduction)
        return compute_weighted_loss(losses, sample_weight, reduction=self.reduction)

    def _losses_mask(self, y_true, losses):
        """A mask the loss function gives its per-sample losses (None: none)."""
        return None

    def call(self, y_true, y_pred):
        """Per-sample losses (implement in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self):
        """``{"reduction": ..., "name": ...}`` plus subclass arguments."""
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Rebuild from ``get_config()``'s dict."""
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> loss = LossFunctionWrapper(mean_absolute_error, name="mae")
    """

    def __init__(self, fn, reduction=Reduction.AUTO, name=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper(fn=...): expected a callable, received {fn!r}")
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        # NOTE: as tf.keras, a trailing size-1 axis is squeezed only when both are tensors: numpy arrays of shapes
        # (N,) and (N, 1) broadcast against each other inside the loss function, exactly as they do there.
        if isinstance(y_true, ag.Tensor) and isinstance(y_pred, ag.Tensor):
            y_pred, y_true = squeeze_or_expand_dimensions(y_pred, y_true)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _losses_mask(self, y_true, losses):
        ignore = self._fn_kwargs.get("ignore_class") if self.fn is sparse_categorical_crossentropy else None
        if ignore is None:
            return None
        # sparse crossentropy with ignore_class: the ignored labels' losses are masked out (tf.keras's _keras_mask);
        # read with ops while autograd.trace records, so that a captured step masks the labels of each batch
        if isinstance(y_true, ag.Tensor) and ag.trace.active() is not None:
            return ag.reshape(ag.not_equal(y_true, ignore), losses.shape)
        return (_data(y_true) != ignore).reshape(losses.shape)

    def get_config(self):
        config = super().get_config()
        for k, v in self._fn_kwargs.items():
            config[k] = v.item() if isinstance(v, (ag.Tensor, np.ndarray)) and np.ndim(v) == 0 else v
        config["fn"] = get_registered_name(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn_name = config.pop("fn", None)
        if cls is LossFunctionWrapper:
            if fn_name is None:
                raise ValueError("LossFunctionWrapper.from_config: the config has no 'fn'")
            config["fn"] = get(fn_name)
        return cls(**config)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors (``mean_squared_error``).

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> round(float(MeanSquaredError()(y_true, y_pred)), 4)      # the mean over samples
        0.5
        >>> model.compile(optimizer="adam", loss=MeanSquaredError())
    """

    def __init__(self, reduction=Reduction.AUTO, name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (``mean_absolute_error``).

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> round(float(MeanAbsoluteError()(y_true, y_pred)), 4)      # the mean over samples
        0.5
        >>> model.compile(optimizer="adam", loss=MeanAbsoluteError())
    """

    def __init__(self, reduction=Reduction.AUTO, name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``mean_absolute_percentage_error`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[1.0, 2.0]]), np.array([[1.5, 2.0]])
        >>> round(float(MeanAbsolutePercentageError()(y_true, y_pred)), 4)      # the mean over samples
        25.0
        >>> model.compile(optimizer="adam", loss=MeanAbsolutePercentageError())
    """

    def __init__(self, reduction=Reduction.AUTO, name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """``mean_squared_logarithmic_error`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> round(float(MeanSquaredLogarithmicError()(y_true, y_pred)), 4)      # the mean over samples
        0.2402
        >>> model.compile(optimizer="adam", loss=MeanSquaredLogarithmicError())
    """

    def __init__(self, reduction=Reduction.AUTO, name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy (``from_logits``, ``label_smoothing``, ``axis``).

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])
        >>> round(float(BinaryCrossentropy()(y_true, y_pred)), 4)      # the mean over samples
        0.9163
        >>> model.compile(optimizer="adam", loss=BinaryCrossentropy())
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=Reduction.AUTO,
                 name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy on one-hot labels (``from_logits``, ``label_smoothing``, ``axis``).

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0, 0.0]]), np.array([[0.05, 0.95, 0.0]])
        >>> round(float(CategoricalCrossentropy()(y_true, y_pred)), 4)      # the mean over samples
        0.0513
        >>> model.compile(optimizer="adam", loss=CategoricalCrossentropy())
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=Reduction.AUTO,
                 name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal crossentropy (``binary_focal_crossentropy``): crossentropy scaled by ``(1 - p_t)^gamma``.

    Args:
        apply_class_balancing: weight positives by ``alpha`` and negatives by ``1 - alpha``.
        alpha: the positive-class weight (used with ``apply_class_balancing``).
        gamma: the focusing exponent (0 gives the plain binary crossentropy).
        from_logits, label_smoothing, axis, reduction, name: as ``BinaryCrossentropy``.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(BinaryFocalCrossentropy(gamma=2.0)(y_true, y_pred)), 4)
        0.2678
        >>> model.compile(optimizer="adam", loss=BinaryFocalCrossentropy(apply_class_balancing=True))
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction=Reduction.AUTO, name="binary_focal_crossentropy"):
        _check_focal(type(self).__name__, alpha, gamma, label_smoothing, from_logits, axis,
                     apply_class_balancing=apply_class_balancing)
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal crossentropy (``categorical_focal_crossentropy``) on one-hot labels.

    Args:
        alpha: balancing weight, a float or one weight per class (default 0.25).
        gamma: the focusing exponent (default 2.0).
        from_logits, label_smoothing, axis, reduction, name: as ``CategoricalCrossentropy``.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), np.array([[0.05, 0.95, 0.0],
        ...                                                                           [0.1, 0.8, 0.1]])
        >>> round(float(CategoricalFocalCrossentropy()(y_true, y_pred)), 4)
        0.2332
        >>> model.compile(optimizer="adam", loss=CategoricalFocalCrossentropy(alpha=[0.2, 0.3, 0.5]))
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction=Reduction.AUTO, name="categorical_focal_crossentropy"):
        _check_focal(type(self).__name__, alpha, gamma, label_smoothing, from_logits, axis, per_class_alpha=True)
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.alpha = alpha
        self.gamma = gamma


def _check_focal(who, alpha, gamma, label_smoothing, from_logits, axis, apply_class_balancing=False,
                 per_class_alpha=False):
    arguments.flag(from_logits, "from_logits", who)
    arguments.flag(apply_class_balancing, "apply_class_balancing", who)
    arguments.integer(axis, "axis", who)
    if per_class_alpha and isinstance(alpha, (list, tuple, np.ndarray)):
        if np.ndim(alpha) != 1 or not len(alpha):
            raise ValueError(f"{who}: `alpha` must be a number or a list with one weight per class, received "
                             f"alpha={alpha!r}")
        for a in alpha:
            arguments.number(a, "alpha", who)
    else:
        arguments.number(alpha, "alpha", who)
    for arg, value in (("gamma", gamma), ("label_smoothing", label_smoothing)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or \
                not np.isfinite(value) or value < 0:
            raise ValueError(f"{who}({arg}=...): expected a non-negative number, received {value!r}")
    if label_smoothing > 1:
        raise ValueError(f"{who}(label_smoothing=...): expected a number in [0, 1], received {label_smoothing!r}")
    a = np.asarray(alpha) if not isinstance(alpha, bool) else None
    if a is None or a.dtype.kind not in "iuf" or a.ndim > 1 or not np.all(np.isfinite(a)):
        raise ValueError(f"{who}(alpha=...): expected a number or a list of numbers, received {alpha!r}")


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy on integer labels (``from_logits``, ``ignore_class``).

    With ``ignore_class``, the ignored entries are left out of the mean (the others are weighted by
    total / valid, as tf.keras does).

    Example:
        >>> y_true, y_pred = np.array([1]), np.array([[0.05, 0.95, 0.0]])
        >>> round(float(SparseCategoricalCrossentropy()(y_true, y_pred)), 4)      # the mean over samples
        0.0513
        >>> model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy())
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction=Reduction.AUTO,
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class


class Hinge(LossFunctionWrapper):
    """``hinge`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])
        >>> round(float(Hinge()(y_true, y_pred)), 4)      # the mean over samples
        1.1
        >>> model.compile(optimizer="adam", loss=Hinge())
    """

    def __init__(self, reduction=Reduction.AUTO, name="hinge"):
        super().__init__(hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """``squared_hinge`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])
        >>> round(float(SquaredHinge()(y_true, y_pred)), 4)      # the mean over samples
        1.46
        >>> model.compile(optimizer="adam", loss=SquaredHinge())
    """

    def __init__(self, reduction=Reduction.AUTO, name="squared_hinge"):
        super().__init__(squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """``categorical_hinge`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])
        >>> round(float(CategoricalHinge()(y_true, y_pred)), 4)      # the mean over samples
        1.2
        >>> model.compile(optimizer="adam", loss=CategoricalHinge())
    """

    def __init__(self, reduction=Reduction.AUTO, name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """``huber`` with threshold ``delta`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> round(float(Huber()(y_true, y_pred)), 4)      # the mean over samples
        0.25
        >>> model.compile(optimizer="adam", loss=Huber())
    """

    def __init__(self, delta=1.0, reduction=Reduction.AUTO, name="huber_loss"):
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class LogCosh(LossFunctionWrapper):
    """``log_cosh`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> round(float(LogCosh()(y_true, y_pred)), 4)      # the mean over samples
        0.2169
        >>> model.compile(optimizer="adam", loss=LogCosh())
    """

    def __init__(self, reduction=Reduction.AUTO, name="log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """``kl_divergence`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.5, 0.5]]), np.array([[0.4, 0.6]])
        >>> round(float(KLDivergence()(y_true, y_pred)), 4)      # the mean over samples
        0.0204
        >>> model.compile(optimizer="adam", loss=KLDivergence())
    """

    def __init__(self, reduction=Reduction.AUTO, name="kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """``poisson`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[1.0, 2.0]]), np.array([[1.0, 1.0]])
        >>> round(float(Poisson()(y_true, y_pred)), 4)      # the mean over samples
        1.0
        >>> model.compile(optimizer="adam", loss=Poisson())
    """

    def __init__(self, reduction=Reduction.AUTO, name="poisson"):
        super().__init__(poisson, reduction=reduction, name=name)


class CosineSimilarity(LossFunctionWrapper):
    """``cosine_similarity`` over ``axis`` as a Loss.

    Example:
        >>> y_true, y_pred = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])
        >>> round(float(CosineSimilarity()(y_true, y_pred)), 4)      # the mean over samples
        -0.3536
        >>> model.compile(optimizer="adam", loss=CosineSimilarity())
    """

    def __init__(self, axis=-1, reduction=Reduction.AUTO, name="cosine_similarity"):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)


_FUNCTIONS = {
    "mean_squared_error": mean_squared_error, "mean_absolute_error": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy, "hinge": hinge,
    "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge, "huber": huber, "log_cosh": log_cosh,
    "kl_divergence": kl_divergence, "poisson": poisson, "cosine_similarity": cosine_similarity,
    "bce": bce, "BCE": BCE, "mse": mse, "MSE": MSE, "mae": mae, "MAE": MAE, "mape": mape, "MAPE": MAPE,
    "msle": msle, "MSLE": MSLE, "kld": kld, "KLD": KLD, "kullback_leibler_divergence": kl_divergence,
    "logcosh": logcosh, "huber_loss": huber_loss, "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy,
}
_CLASSES = {c.__name__: c for c in (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge,
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
    SquaredHinge, CategoricalHinge, Huber, LogCosh, KLDivergence, Poisson, CosineSimilarity)}
_BUILTINS = {**_FUNCTIONS, **_CLASSES}


def is_categorical_crossentropy(loss):
    """True when ``loss`` is categorical crossentropy in any spelling (used to resolve ``'accuracy'``).

    Example:
        >>> is_categorical_crossentropy("categorical_crossentropy"), is_categorical_crossentropy("mse")
        (True, False)
    """
    return (isinstance(loss, CategoricalCrossentropy)
            or (isinstance(loss, LossFunctionWrapper) and loss.fn is categorical_crossentropy)
            or getattr(loss, "__name__", None) == "categorical_crossentropy"
            or loss == "categorical_crossentropy")


def serialize(loss, use_legacy_format=False):
    """A built-in loss function serializes to its name; a Loss object to ``{"class_name", "config"}``.
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> serialize(mse)
        'mean_squared_error'
    """
    if loss is None:
        return None
    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None, use_legacy_format=False):
    """A loss function or Loss object from a name or config dict (unknown names list close matches).
    ``use_legacy_format`` is accepted as in tf.keras; both config forms are read either way.

    Example:
        >>> deserialize("mse").__name__
        'mean_squared_error'
        >>> type(deserialize({"class_name": "Huber", "config": {"delta": 2.0}})).__name__
        'Huber'
    """
    return deserialize_keras_object(name, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="loss function", instantiate=True)


def get(identifier):
    """A loss from a name (``'mse'``), a config dict, a Loss object or any callable ``loss(y_true, y_pred)``.

    Example:
        >>> get("mse") is mean_squared_error
        True
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"losses.get: could not interpret loss function identifier {identifier!r} "
                     f"(expected a name, a config dict or a callable)")
