"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization and UnitNormalization,
numerically as tf.keras 2.x.

BatchNormalization keeps tf.keras's weight order (gamma, beta, moving_mean, moving_variance), normalizes with
the batch's mean and (biased) variance when training and with the moving statistics otherwise, and updates the
moving statistics after each training call: ``moving -= (moving - batch) * (1 - momentum)``.

Example:
    >>> bn = BatchNormalization()
    >>> y = bn(np.random.rand(8, 3).astype("float32"), training=True)
    >>> [w.name for w in bn.weights]
    ['batch_normalization/gamma:0', 'batch_normalization/beta:0', 'batch_normalization/moving_mean:0',
     'batch_normalization/moving_variance:0']
"""
import math

import numpy as np

import autograd as ag

from .. import constraints, initializers, regularizers
from ..engine.base_layer import Layer, in_shape_inference
from ..engine.input_spec import InputSpec

# NOTE: SyncBatchNormalization lives under layers.experimental only (as in tf.keras), so it is not exported here
__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"]


def _float_arg(value, arg, who, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or \
            not math.isfinite(float(value)):
        raise ValueError(f"{who}: `{arg}` must be a finite number, received {arg}={value!r}")
    value = float(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{who}: `{arg}` must be in [{low}, {high}], received {arg}={value!r}")
    return value


def _axis_arg(axis, who):
    """An int, or a list of ints (tuples become lists, as tf.keras stores them)."""
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        return [int(a) for a in axis]
    raise TypeError(f"{who}: expected an int or a non-empty list of ints for `axis`, received axis={axis!r}")


def _validate_axis(axis, input_shape, who):
    """``axis`` as a sorted list of non-negative axes of ``input_shape`` (each defined); ValueError otherwise."""
    rank = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"{who}: invalid value for `axis` argument: {axis!r}. Expected -{rank} <= axis < "
                             f"{rank} for an input of shape {tuple(input_shape)}")
        out.append(a % rank)
    if len(set(out)) != len(out):
        raise ValueError(f"{who}: duplicate axis in `axis`={axis!r} for an input of shape {tuple(input_shape)}")
    for a in out:
        if input_shape[a] is None:
            raise ValueError(f"{who}: input has undefined `axis` dimension. Received input with shape "
                             f"{tuple(input_shape)} and axis={tuple(out)}")
    return out


class _Normalization(Layer):
    """Shared parts: gamma/beta weights over ``axis`` and their config."""

    #: under a mixed policy: float32 weights read as they are, 16-bit inputs normalized in float32 and the result
    #: returned in the compute dtype (tf.keras's BatchNormalization and LayerNormalization do the same)
    _float32_when_mixed = True

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                 gamma_regularizer, beta_constraint, gamma_constraint, **kwargs):
        super().__init__(**kwargs)
        who = self._who = f"{type(self).__name__} layer '{self.name}'"
        self.axis = _axis_arg(axis, who)
        self.epsilon = _float_arg(epsilon, "epsilon", who, low=0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _build_affine(self, param_shape):
        self.gamma = self.add_weight("gamma", shape=param_shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                     dtype=self.dtype, trainable=True,
                                     experimental_autocast=not self._float32_when_mixed) if self.scale else None
        self.beta = self.add_weight("beta", shape=param_shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                    dtype=self.dtype, trainable=True,
                                    experimental_autocast=not self._float32_when_mixed) if self.center else None

    @staticmethod
    def _param_layout(axes, input_shape):
        """The weights' shape, and the shape that broadcasts them against the input (None: as they are)."""
        rank = len(input_shape)
        full = tuple(input_shape[i] if i in axes else 1 for i in range(rank))
        if axes == list(range(rank - len(axes), rank)):
            return tuple(input_shape[i] for i in axes), None     # trailing axes: broadcast as they are
        return tuple(input_shape[i] for i in axes), full

    def _affine_config(self):
        return {
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class BatchNormalization(_Normalization):
    """Normalize each feature over the batch: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
        axis: the feature axis (or a list of them), default -1 (channels_last).
        momentum: of the moving averages, default 0.99.
        epsilon: added to the variance, default 1e-3.
        center / scale: learn ``beta`` / ``gamma``.

    When training (``fit``, or ``training=True``) the batch statistics are used and the moving ones updated;
    otherwise (``predict``, ``evaluate``, or a frozen layer with ``trainable=False``) the moving ones are used.
    For 4-d and 5-d float32 inputs normalized over their first or last feature axis, tf.keras runs its fused
    kernel, whose moving variance takes the unbiased batch variance (n / (n - 1)); this layer does the same.
    A mask (e.g. from ``Embedding(mask_zero=True)``) restricts the statistics to the unmasked entries (not for
    the fused case, as in tf.keras).

    Example:
        >>> bn = BatchNormalization(momentum=0.9)
        >>> bn(np.random.rand(16, 4).astype("float32"), training=True).shape
        (16, 4)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None,
                 virtual_batch_size=None, adjustment=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        who = self._who
        self.momentum = _float_arg(momentum, "momentum", who, low=0.0, high=1.0)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        for arg, value, unset in (("renorm", renorm, not renorm), ("virtual_batch_size", virtual_batch_size,
                                                                    virtual_batch_size is None),
                                  ("adjustment", adjustment, adjustment is None)):
            if not unset:
                default = False if arg == "renorm" else None
                raise ValueError(f"{who}: `{arg}` is not supported (only its default {default!r}). "
                                 f"Received: {arg}={value!r}")
        del renorm_clipping, renorm_momentum
        if fused not in (None, True, False):
            raise TypeError(f"{who}: `fused` must be None, True or False, received fused={fused!r}")
        if not isinstance(synchronized, (bool, np.bool_)):
            raise TypeError(f"{who}: `synchronized` must be True or False, received synchronized={synchronized!r}")
        if synchronized and fused:
            raise ValueError("`fused=True` is not supported when `synchronized=True`.")
        self.synchronized = bool(synchronized)
        self.fused = False if self.synchronized else fused

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        axes = _validate_axis(self.axis, input_shape, self._who)
        if self.fused and (rank not in (4, 5) or axes not in ([1], [rank - 1])):
            raise ValueError(f"{self._who}: `fused=True` needs a 4-d or 5-d input normalized over axis 1 or "
                             f"{rank - 1}. Received input shape {input_shape} and axis={axes}")
        self.axis = axes
        self._reduce = tuple(i for i in range(rank) if i not in axes)
        # NOTE: which path tf.keras takes decides the moving variance update (see the class docstring)
        self._fused_stats = (self.fused is not False and rank in (4, 5) and axes in ([1], [rank - 1])
                             and self.dtype in ("float16", "float32") and not self.synchronized)
        if len(axes) == 1:
            param_shape = (input_shape[axes[0]],)
            self._bshape = None if axes[0] == rank - 1 else tuple(
                input_shape[i] if i == axes[0] else 1 for i in range(rank))
        else:     # several axes: tf.keras keeps the weights in the input's rank
            param_shape = tuple(input_shape[i] if i in axes else 1 for i in range(rank))
            self._bshape = None
        self._build_affine(param_shape)
        self.moving_mean = self.add_weight("moving_mean", shape=param_shape, initializer=self.moving_mean_initializer,
                                           dtype=self.dtype, trainable=False, experimental_autocast=False)
        self.moving_variance = self.add_weight("moving_variance", shape=param_shape,
                                               initializer=self.moving_variance_initializer, dtype=self.dtype,
                                               trainable=False, experimental_autocast=False)
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})
        self.built = True

    def _b(self, t):
        return t if self._bshape is None or t is None else ag.reshape(t, self._bshape)

    def _moments(self, x, mask):
        red = self._reduce
        if self.synchronized:
            return self._global_moments(x, mask)
        if mask is None or self._fused_stats:
            mean = ag.mean(x, axis=red, keepdims=True)
            d = x - mean
            return mean, d, ag.mean(ag.square(d), axis=red, keepdims=True)
        w = ag.astype(mask, x.dtype)
        w = ag.reshape(w, w.shape + (1,) * (x.ndim - w.ndim))
        # NOTE: as tf.nn.weighted_moments: sums of the weights broadcast to x; all-masked gives mean 0
        count = ag.maximum(ag.sum(ag.broadcast_to(w, x.shape), axis=red, keepdims=True), 1.0)
        mean = ag.sum(x * w, axis=red, keepdims=True) / count
        d = x - mean
        return mean, d, ag.sum(ag.square(d) * w, axis=red, keepdims=True) / count

    def _global_moments(self, x, mask):
        """The moments over the global batch of a data-parallel step (the local batch anywhere else): sums of
        ``x``, ``x**2`` and the count, all-reduced over the workers together, as tf.keras's synchronized path."""
        from ..distribute.collective_ops import all_reduce_sum
        red = self._reduce
        if mask is not None:
            w = ag.astype(mask, x.dtype)
            w = ag.reshape(w, w.shape + (1,) * (x.ndim - w.ndim))
            y = x * w
            count = ag.sum(ag.broadcast_to(w, x.shape), axis=red, keepdims=True)
        else:
            y = x
            shape = tuple(1 if i in red else d for i, d in enumerate(x.shape))
            count = ag.Tensor(np.full(shape, x.size // max(int(np.prod(shape)), 1), x.dtype))
        sums = all_reduce_sum(ag.stack([ag.sum(y, axis=red, keepdims=True),
                                        ag.sum(ag.square(y), axis=red, keepdims=True), count]))
        # NOTE: as tf.keras: var = E[x^2] - E[x]^2 (clipped at 0), 0 where nothing was counted
        n = ag.maximum(sums[2], 1.0)
        mean = sums[0] / n
        var = ag.maximum(sums[1] / n - ag.square(mean), 0.0)
        return mean, x - mean, var

    def _replica_mean_weights(self):
        """The weights data parallelism averages over the workers (tf.distribute's ON_READ / MEAN): the moving
        statistics of a per-worker BatchNormalization (a synchronized one has the same ones everywhere)."""
        if self.synchronized or not self.built:
            return []
        return [self.moving_mean, self.moving_variance]

    def call(self, inputs, training=None, mask=None):
        if training is None:
            from .. import backend
            training = backend.learning_phase() == 1
        if not self.trainable:       # NOTE: a frozen BatchNormalization runs in inference mode (TF2 behaviour)
            training = False
        eps = self.epsilon
        gamma, beta = self._b(self.gamma), self._b(self.beta)
        if training:
            mean, d, var = self._moments(inputs, mask)
            inv = (var + eps) ** -0.5
            out = d * (inv * gamma if gamma is not None else inv)
            if beta is not None:
                out = out + beta
            if not in_shape_inference():
                self._update_moving(mean, var, inputs)
            return out
        mm, mv = self._b(self.moving_mean), self._b(self.moving_variance)
        inv = (mv + eps) ** -0.5
        if gamma is not None:
            inv = inv * gamma
        shift = -mm * inv if beta is None else beta - mm * inv
        return inputs * inv + shift

    def _update_moving(self, mean, var, inputs):
        shape = self.moving_mean.shape
        with ag.no_grad():
            mean = ag.reshape(mean, shape)
            var = ag.reshape(var, shape)
            decay = 1.0 - self.momentum
            if self._fused_stats:
                # NOTE: the fused kernel blends with factor 1 - momentum and the unbiased batch variance
                n = inputs.size // max(var.size, 1)
                var = var * (n / max(n - 1, 1))
                self.moving_mean.assign(self.moving_mean * (1.0 - decay) + mean * decay)
                self.moving_variance.assign(self.moving_variance * (1.0 - decay) + var * decay)
            else:
                self.moving_mean.assign(self.moving_mean - (self.moving_mean - mean) * decay)
                self.moving_variance.assign(self.moving_variance - (self.moving_variance - var) * decay)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon, "center": self.center,
                       "scale": self.scale})
        affine = self._affine_config()
        config.update({
            "beta_initializer": affine["beta_initializer"],
            "gamma_initializer": affine["gamma_initializer"],
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": affine["beta_regularizer"],
            "gamma_regularizer": affine["gamma_regularizer"],
            "beta_constraint": affine["beta_constraint"],
            "gamma_constraint": affine["gamma_constraint"],
        })
        return config


class SyncBatchNormalization(BatchNormalization):
    """Deprecated (``layers.experimental``): ``BatchNormalization(synchronized=True)``, whose batch statistics
    are those of the global batch when ``fit`` runs under a multi-worker strategy.

    Example:
        >>> bn = kerasfront.layers.experimental.SyncBatchNormalization(momentum=0.9)
        >>> bn.synchronized
        True
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        if "synchronized" in kwargs:
            raise TypeError("SyncBatchNormalization: unexpected argument `synchronized` (it is always True)")
        if not _WARNED_SYNC:
            _WARNED_SYNC.append(True)
            import warnings
            warnings.warn("`tf.keras.layers.experimental.SyncBatchNormalization` endpoint is deprecated and will be "
                          "removed in a future release. Please use `tf.keras.layers.BatchNormalization` with "
                          "parameter `synchronized` set to True.", stacklevel=2)
        super().__init__(axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         moving_mean_initializer=moving_mean_initializer,
                         moving_variance_initializer=moving_variance_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, synchronized=True, **kwargs)


_WARNED_SYNC = []


class LayerNormalization(_Normalization):
    """Normalize each sample over ``axis`` (default the last): ``gamma * (x - mean) / sqrt(var + epsilon) +
    beta``, with gamma and beta of the shape of the normalized axes.

    Example:
        >>> LayerNormalization()(np.random.rand(2, 5).astype("float32")).shape
        (2, 5)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = _validate_axis(self.axis, input_shape, self._who)
        self.axis = axes
        self._axes_t = tuple(sorted(axes))
        param_shape, self._bshape = self._param_layout(axes, input_shape)
        self._build_affine(param_shape)
        self.built = True

    def call(self, inputs):
        axes = self._axes_t
        if self._bshape is None and inputs.dtype == np.dtype(self.dtype):
            # NOTE: normalized axes are the trailing ones: the fused op computes the same numbers in fewer passes
            return ag.layer_norm(inputs, self.gamma, self.beta, axis=axes, epsilon=self.epsilon)
        mean = ag.mean(inputs, axis=axes, keepdims=True)
        d = inputs - mean
        inv = (ag.mean(ag.square(d), axis=axes, keepdims=True) + self.epsilon) ** -0.5
        out = d * inv
        if self.gamma is not None:
            out = out * (self.gamma if self._bshape is None else ag.reshape(self.gamma, self._bshape))
        if self.beta is not None:
            out = out + (self.beta if self._bshape is None else ag.reshape(self.beta, self._bshape))
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale})
        config.update(self._affine_config())
        return config


class GroupNormalization(_Normalization):
    """Normalize each sample over groups of channels: the ``axis`` channels are split into ``groups`` consecutive
    groups and each group is normalized over its channels and every other non-batch axis; gamma and beta have one
    entry per channel. ``groups=-1`` is one group per channel (instance normalization).
    Under a mixed policy it computes in the compute dtype, as tf.keras's.

    Example:
        >>> GroupNormalization(groups=2)(np.random.rand(2, 5, 4).astype("float32")).shape
        (2, 5, 4)
    """

    _float32_when_mixed = False

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if not isinstance(self.axis, int):
            raise TypeError(f"{self._who}: `axis` must be one int for GroupNormalization, received axis={axis!r}")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or (groups < 1 and groups != -1):
            raise ValueError(f"{self._who}: `groups` must be a positive int (or -1 for one group per channel), "
                             f"received groups={groups!r}")
        self.groups = int(groups)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        (axis,) = _validate_axis(self.axis, input_shape, self._who)
        if axis == 0:
            raise ValueError(f"{self._who}: `axis` cannot be the batch axis, received axis={self.axis}")
        c = input_shape[axis]
        groups = c if self.groups == -1 else self.groups
        if groups > c or c % groups:
            raise ValueError(f"{self._who}: the number of channels ({c}) must be a multiple of the number of groups "
                             f"({groups}) and at least as large. Input shape: {input_shape}")
        self._g = groups
        self._axis_n = axis
        self._bshape = None if axis == len(input_shape) - 1 else tuple(
            c if i == axis else 1 for i in range(len(input_shape)))
        self._build_affine((c,))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={axis: c})
        self.built = True

    def call(self, inputs):
        axis, g = self._axis_n, self._g
        shape = inputs.shape
        grouped = ag.reshape(inputs, shape[:axis] + (g, shape[axis] // g) + shape[axis + 1:])
        red = tuple(i for i in range(1, grouped.ndim) if i != axis)
        mean = ag.mean(grouped, axis=red, keepdims=True)
        d = grouped - mean
        out = ag.reshape(d * (ag.mean(ag.square(d), axis=red, keepdims=True) + self.epsilon) ** -0.5, shape)
        if self.gamma is not None:
            out = out * (self.gamma if self._bshape is None else ag.reshape(self.gamma, self._bshape))
        if self.beta is not None:
            out = out + (self.beta if self._bshape is None else ag.reshape(self.beta, self._bshape))
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                       "scale": self.scale})
        config.update(self._affine_config())
        return config


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis``: ``x / sqrt(max(sum(x**2), 1e-12))`` (as
    ``tf.linalg.l2_normalize``).

    Example:
        >>> UnitNormalization()(np.array([[3.0, 4.0]], "float32")).numpy()
        array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg(axis, f"UnitNormalization layer '{self.name}'")
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if not all(-rank <= a < rank for a in axes):
            raise ValueError(f"UnitNormalization layer '{self.name}': invalid `axis` {self.axis!r} for an input of "
                             f"shape {input_shape}")
        self._axes_t = tuple(sorted(a % rank for a in axes))
        self.built = True

    def call(self, inputs):
        squares = ag.sum(ag.square(inputs), axis=self._axes_t, keepdims=True)
        # NOTE: the floor on the squared norm keeps an all-zero sample at zero instead of NaN, as TensorFlow does
        return inputs * ag.maximum(squares, 1e-12) ** -0.5

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
