"""Numeric features: ``Normalization`` (standardize with an adapted or given mean and variance),
``Discretization`` (bucket into bins, quantile boundaries adapted as tf.keras computes them) and
``CategoryEncoding`` (one-hot, multi-hot or count encoding of integer ids).

Example:
    >>> norm = Normalization()
    >>> norm.adapt(np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0]]))
    >>> norm(np.array([[0.0, 7.0, 4.0]])).numpy()
    array([[-1., -1., -1.]], dtype=float32)
"""
import numpy as np

import autograd as ag

from ... import backend
from ...variables import ResizableVariable
from .base import COUNT, INT, MULTI_HOT, ONE_HOT, PreprocessingLayer, check_choice, check_no_sparse, \
    encode_categorical, encoded_shape, host, refuse_tracing, to_array, who

__all__ = ["Normalization", "Discretization", "CategoryEncoding"]


def _listify(x):
    if isinstance(x, ag.Tensor):
        x = x.data
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _finite_numbers(layer, batch):
    """One batch of adapt data as a numeric numpy array, or an error naming the layer (strings, NaN, inf)."""
    arr = to_array(batch, what=f"{who(layer)}.adapt(data)")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{who(layer)}.adapt(data): expected numbers, received dtype {arr.dtype}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{who(layer)}.adapt(data): the data holds NaN or infinite values")
    return arr


class Normalization(PreprocessingLayer):
    """Shift and scale inputs to zero mean and unit variance: ``(x - mean) / sqrt(variance)`` (or the
    inverse with ``invert=True``), with the statistics given or computed by ``adapt``.

    Args:
        axis: the axis (or axes) that keep a separate mean and variance per index (default ``-1``, the
            features); ``None`` for one scalar mean and variance.
        mean, variance: given statistics (both or neither), broadcast to the kept axes' shape.
        invert: apply the inverse, ``mean + x * sqrt(variance)``.

    The interface other parts build on: ``adapt(data)``, the ``mean`` / ``variance`` tensors (the
    statistics broadcast to the input's rank) and the weights ``mean``, ``variance`` and ``count`` (int64)
    that adapting fills and files save, as tf.keras names them.

    Example:
        >>> layer = Normalization(mean=3.0, variance=2.0)
        >>> layer(np.array([[1.0], [3.0]])).numpy().ravel()
        array([-1.4142135,  0.       ], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                                     for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"{cls}(axis=...): expected an int, a tuple of ints or None, received {axis!r}")
        self.axis = axis
        if isinstance(mean, ag.Tensor) or isinstance(variance, ag.Tensor):
            raise ValueError(f"{cls} does not support passing a Variable or Tensor for `mean` or `variance`; pass "
                             f"numbers, lists or numpy arrays")
        if (mean is not None) != (variance is not None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. Got mean: {mean} "
                             f"and variance: {variance}")
        for name, value in (("mean", mean), ("variance", variance)):
            if value is not None:
                arr = np.asarray(value)
                if arr.dtype.kind not in "fiu" or not np.all(np.isfinite(arr)):
                    raise ValueError(f"{cls}({name}=...): expected finite numbers, received {value!r}")
        if variance is not None and np.any(np.asarray(variance) < 0):
            raise ValueError(f"{cls}(variance=...): a variance cannot be negative, received {variance!r}")
        self.input_mean = mean
        self.input_variance = variance
        if not isinstance(invert, (bool, np.bool_)):
            raise TypeError(f"{cls}(invert=...): expected True or False, received {invert!r}")
        self.invert = bool(invert)
        self._stats = None

    def build(self, input_shape):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            raise ValueError("Normalization only accepts a single input. If you are passing a python list or tuple as "
                             "a single input, please convert to a numpy array.")
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Found ndim: `{ndim}`, axis: "
                             f"{self.axis}")
        self._keep_axis = sorted(a if a >= 0 else a + ndim for a in self.axis)
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have known shape. Got axis: {self.axis}, input "
                                 f"shape: {list(input_shape)}, with unknown axis at index: {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", shape, initializer="ones", trainable=False)
            self.count = self.add_weight("count", (), dtype="int64", initializer="zeros", trainable=False)
        else:
            try:
                mean = np.broadcast_to(np.asarray(self.input_mean, np.float64), shape)
                variance = np.broadcast_to(np.asarray(self.input_variance, np.float64), shape)
            except ValueError:
                raise ValueError(f"{who(self)}: mean {np.shape(self.input_mean)} and variance "
                                 f"{np.shape(self.input_variance)} cannot be broadcast to the shape of the kept axes "
                                 f"{shape} (axis={self.axis}, input shape {input_shape})") from None
            self._set_constants(mean, variance)
        super().build(input_shape)

    def _set_constants(self, mean, variance):
        dtype = self._np_dtype
        mean = ag.Tensor(np.asarray(mean, dtype).reshape(self._broadcast_shape))
        variance = ag.Tensor(np.asarray(variance, dtype).reshape(self._broadcast_shape))
        # NOTE: as tf.keras: the scale is max(sqrt(variance), epsilon), computed in the layer's dtype
        scale = ag.Tensor(np.maximum(np.sqrt(variance.data), dtype.type(backend.epsilon())))
        self._constants = (mean, variance, scale)

    def _current(self):
        """``(mean, variance, scale)`` broadcast to the input's rank; recomputed when the adapted weights
        change (adapt, set_weights, loading a file)."""
        if self.input_mean is None:
            key = (id(self.adapt_mean.data), self.adapt_mean._version, id(self.adapt_variance.data),
                   self.adapt_variance._version)
            if getattr(self, "_constants_key", None) != key:
                self._set_constants(self.adapt_mean.data, self.adapt_variance.data)
                self._constants_key = key
        return self._constants

    @property
    def mean(self):
        """The mean broadcast to the input's rank (a Tensor), as ``call`` uses it."""
        if not self.built:
            raise AttributeError(f"{who(self)} is not built yet: it has no mean (adapt it or call it first)")
        return self._current()[0]

    @property
    def variance(self):
        """The variance broadcast to the input's rank (a Tensor), as ``call`` uses it."""
        if not self.built:
            raise AttributeError(f"{who(self)} is not built yet: it has no variance (adapt it or call it first)")
        return self._current()[1]

    # -- adapt ------------------------------------------------------------------------------------------------
    def _adapt_input(self, batch):
        return _finite_numbers(self, batch)

    def update_state(self, data):
        if self.input_mean is not None:
            raise ValueError(f"Cannot `adapt` a Normalization layer that is initialized with static `mean` and "
                             f"`variance`, you passed mean {self.input_mean} and variance {self.input_variance}.")
        if not self.built:
            raise RuntimeError("`build` must be called before `update_state`.")
        data = self._adapt_input(data)
        if data.ndim != len(self._broadcast_shape) or any(
                data.shape[d] != self._broadcast_shape[d] for d in self._keep_axis):
            raise ValueError(f"{who(self)}.adapt(data): the data has shape {data.shape}, the layer was built for "
                             f"inputs of shape {self._build_input_shape}")
        # NOTE: statistics are merged in float64 (Chan et al.'s pairwise update), so the result does not depend
        # on how the data is batched; tf.keras merges float32 running averages batch by batch.
        x = data.astype(np.float64)
        n = int(np.prod([x.shape[d] for d in self._reduce_axis], dtype=np.int64)) if self._reduce_axis else 1
        mean = x.mean(axis=self._reduce_axis) if self._reduce_axis else x
        var = x.var(axis=self._reduce_axis) if self._reduce_axis else np.zeros_like(x)
        if self._stats is None:
            count, total_mean, total_var = 0, np.zeros_like(mean), np.zeros_like(var)
        else:
            count, total_mean, total_var = self._stats
        new_count = count + n
        w = n / new_count
        delta = mean - total_mean
        merged_mean = total_mean + delta * w
        merged_var = total_var * (1 - w) + var * w + delta * delta * w * (1 - w)
        self._stats = (new_count, merged_mean, merged_var)
        self.adapt_mean.assign(merged_mean.astype(self.adapt_mean.dtype))
        self.adapt_variance.assign(merged_var.astype(self.adapt_variance.dtype))
        self.count.assign(np.int64(new_count))

    def reset_state(self):
        if self.input_mean is not None or not self.built:
            return
        self._stats = None
        self.adapt_mean.assign(np.zeros(self.adapt_mean.shape))
        self.adapt_variance.assign(np.ones(self.adapt_variance.shape))
        self.count.assign(np.int64(0))

    def finalize_state(self):
        """Nothing to do: ``mean`` and ``variance`` follow the adapted weights."""

    # -- call -------------------------------------------------------------------------------------------------
    def call(self, inputs):
        x = inputs
        if x.dtype != self._np_dtype:
            x = ag.astype(x, self._np_dtype)
        mean, _, scale = self._current()
        shape = x.shape
        if (len(shape) >= 3 and mean.shape == (1,) * (len(shape) - 1) + (shape[-1],) and 1 < shape[-1] < 16
                and shape[-2] > 1 and None not in shape):
            # NOTE: a few channels normalized on the last axis (an image's 3): numpy's loop over a (..., w, 3)
            # array broadcast against (3,) runs 3 values at a time (~7 ms for a batch of 8 224x224 images). The
            # same arithmetic on each value with (..., w * 3) rows against the statistics repeated w times runs
            # one long vector loop: the same numbers, ~2x faster.
            w = shape[-2]
            rows = ag.reshape(x, shape[:-2] + (w * shape[-1],))
            mean_row, scale_row = (ag.tile(ag.reshape(t, (-1,)), w) for t in (mean, scale))
            out = mean_row + rows * scale_row if self.invert else (rows - mean_row) / scale_row
            return ag.reshape(out, shape)
        if self.invert:
            return mean + x * scale
        return (x - mean) / scale

    def _static_output_shape(self, input_shape, dtype):
        return input_shape, self._dtype

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": list(self.axis), "invert": self.invert, "mean": _listify(self.input_mean),
                       "variance": _listify(self.input_variance)})
        return config


# -- Discretization's approximate quantiles (tf.keras's algorithm, so the boundaries match) ----------------------

def _summarize(values, epsilon):
    values = np.sort(np.asarray(values, np.float32).reshape(-1), kind="stable")
    elements = np.float32(values.size)
    num_buckets = np.float32(1.0 / epsilon)
    increment = int(np.float32(elements / num_buckets))
    step = max(increment, 1)
    boundaries = values[increment::step]
    weights = np.ones_like(boundaries) * np.float32(step)
    return np.stack([boundaries, weights])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype(np.float32)


def _merge_summaries(prev, new, epsilon):
    merged = np.concatenate((prev, new), axis=1)
    merged = merged[:, np.argsort(merged[0], kind="stable")]
    return _compress(merged, epsilon)


class Discretization(PreprocessingLayer):
    """Bucket continuous values into bins: ``bin_boundaries=[0.0, 1.0]`` gives bins ``(-inf, 0)``,
    ``[0, 1)`` and ``[1, inf)``; ``adapt`` finds ``num_bins`` bins of equal counts with tf.keras's approximate
    quantile algorithm (the same boundaries for the same data).

    Args:
        bin_boundaries: the sorted boundaries (give these, or ``num_bins`` and ``adapt``).
        num_bins: the number of bins ``adapt`` makes.
        epsilon: the quantile approximation's error tolerance (default 0.01).
        output_mode: ``"int"`` (bin ids, int64), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.

    Example:
        >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-1.0, 0.5, 2.0]])).numpy()
        array([[0, 1, 2]])
    """

    _adapt_batch_size = 32

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, **kwargs):
        cls = type(self).__name__
        if "bins" in kwargs:
            bins = kwargs.pop("bins")
            if isinstance(bins, int) and num_bins is None:
                num_bins = bins
            elif bin_boundaries is None:
                bin_boundaries = bins
        check_choice(output_mode, (INT, ONE_HOT, MULTI_HOT, COUNT), "output_mode", cls)
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == INT else backend.floatx()
        elif output_mode == INT and np.dtype(str(getattr(kwargs["dtype"], "name", kwargs["dtype"]))).kind not in "iu":
            kwargs["dtype"] = "int64"
        super().__init__(**kwargs)
        if output_mode == INT and self._np_dtype.kind not in "iu":
            raise ValueError(f"When `output_mode='int'`, `dtype` should be an integer type. Received: "
                             f"dtype={kwargs['dtype']}")
        check_no_sparse(sparse, cls)
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer))
                                     or num_bins < 0):
            raise ValueError(f"`num_bins` must be greater than or equal to 0. You passed `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None and len(bin_boundaries) == num_bins - 1:
            num_bins = None     # NOTE: Keras 3 files hold both (adapted boundaries and the number of bins)
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. You passed "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if not isinstance(epsilon, (int, float, np.floating)) or not 0 < float(epsilon) <= 1:
            raise ValueError(f"{cls}(epsilon=...): expected a number in (0, 1], received {epsilon!r}")
        bin_boundaries = _listify(bin_boundaries)
        if bin_boundaries is not None:
            arr = np.asarray(bin_boundaries, dtype=np.float64)
            if arr.ndim != 1 or not np.all(np.isfinite(arr)):
                raise ValueError(f"{cls}(bin_boundaries=...): expected a flat list of finite numbers, received "
                                 f"{bin_boundaries!r}")
            if np.any(np.diff(arr) < 0):
                raise ValueError(f"{cls}(bin_boundaries=...): the boundaries must be sorted, received {bin_boundaries}")
        self.input_bin_boundaries = bin_boundaries
        self.bin_boundaries = bin_boundaries if bin_boundaries is not None else []
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False

    def build(self, input_shape):
        super().build(input_shape)
        if self.input_bin_boundaries is not None:
            return
        summary = self.add_weight("summary", (2, 0), dtype="float32", initializer="zeros", trainable=False)
        summary.__class__ = ResizableVariable   # NOTE: its width grows with the data, as tf.keras's (2, None)
        self.summary = summary

    def _adapt_input(self, batch):
        return _finite_numbers(self, batch)

    def update_state(self, data):
        if self.input_bin_boundaries is not None:
            raise ValueError(f"Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             f"use `num_bins` instead. You passed `bin_boundaries={self.input_bin_boundaries}`.")
        if not self.num_bins:
            raise ValueError(f"{who(self)}.adapt: set `num_bins` (the number of bins to compute) to adapt the layer")
        if not self.built:
            raise RuntimeError("`build` must be called before `update_state`.")
        summary = _summarize(self._adapt_input(data), self.epsilon)
        self.summary.assign(_merge_summaries(summary, self.summary.data, self.epsilon))

    def finalize_state(self):
        self._boundaries()

    def _boundaries(self):
        """The bin boundaries: given, or computed from the adapted summary (again whenever it changes:
        adapt, set_weights, loading a file)."""
        if self.input_bin_boundaries is not None or not self.built:
            return self.bin_boundaries
        key = (id(self.summary.data), self.summary._version)
        if getattr(self, "_summary_key", None) != key:
            summary = self.summary.data
            self.bin_boundaries = [] if summary.shape[1] == 0 else \
                _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()
            self._summary_key = key
        return self.bin_boundaries

    def reset_state(self):
        if self.input_bin_boundaries is not None or not self.built:
            return
        self.summary.assign(np.zeros((2, 0), np.float32))

    def call(self, inputs):
        refuse_tracing(self)
        x = host(inputs)
        if x.dtype.kind not in "fiu":
            raise TypeError(f"{who(self)}: expected numeric inputs, received dtype {x.dtype}")
        # NOTE: tf's Bucketize compares with float32 boundaries; a value equal to a boundary goes above it
        bounds = self._boundaries()
        boundaries = np.asarray(bounds, dtype=np.float32)
        values = x.astype(np.float32) if x.dtype.kind == "f" else x
        indices = np.searchsorted(boundaries, values, side="right")
        out = encode_categorical(indices, self.output_mode, len(bounds) + 1, self._np_dtype,
                                 who_=who(self))
        return ag.Tensor(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # NOTE: tf.keras 2 keeps the adapted state in the ``summary`` variable (.h5 files, as here); Keras 3 keeps
    # the boundaries in the config and no variable, which is how ``.keras`` files (Keras 3's format) hold it
    def _keras3_config(self, config):
        config = {k: v for k, v in config.items() if k != "trainable"}
        if self.input_bin_boundaries is None and self.built:
            config["bin_boundaries"] = list(self._boundaries())
        return config

    def _save_own_variables(self, store):
        pass

    def _load_own_variables(self, store):
        if self.input_bin_boundaries is None and self.built and "0" in store:
            self.summary.assign(np.asarray(store["0"], np.float32))
            self._boundaries()      # bin_boundaries from the loaded summary

    def get_config(self):
        config = super().get_config()
        config.update({"bin_boundaries": self.input_bin_boundaries, "num_bins": self.num_bins,
                       "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse})
        return config


class CategoryEncoding(PreprocessingLayer):
    """Encode integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of ids (the output's last size).
        output_mode: ``"multi_hot"`` (default; ``"binary"`` is its old name), ``"one_hot"`` or ``"count"``
            (``count_weights`` may weight each id when called).

    Example:
        >>> CategoryEncoding(num_tokens=4, output_mode="count")(np.array([[0, 1, 1]])).numpy()
        array([[1., 2., 0., 0.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        cls = type(self).__name__
        if "max_tokens" in kwargs:
            num_tokens = kwargs.pop("max_tokens")
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = backend.floatx()
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = MULTI_HOT
        check_choice(output_mode, (COUNT, ONE_HOT, MULTI_HOT), "output_mode", cls)
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is not known "
                             "beforehand, use the IntegerLookup layer instead.")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, (int, np.integer)) or num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        check_no_sparse(sparse, cls)
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs, count_weights=None):
        refuse_tracing(self)
        x = host(inputs)
        if x.dtype.kind not in "iuf":
            raise TypeError(f"{who(self)}: expected integer ids, received dtype {x.dtype}")
        if count_weights is not None and self.output_mode != COUNT:
            raise ValueError(f"`count_weights` is not used when `output_mode` is not `'count'`. Received "
                             f"`count_weights={count_weights}`.")
        if x.size and (x.min() < 0 or x.max() >= self.num_tokens):
            raise ValueError(f"Input values must be in the range 0 <= values < num_tokens with "
                             f"num_tokens={self.num_tokens}; received values in [{x.min()}, {x.max()}]")
        weights = None if count_weights is None else host(count_weights)
        return ag.Tensor(encode_categorical(x, self.output_mode, self.num_tokens, self._np_dtype,
                                            count_weights=weights, who_=who(self)))

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode, "sparse": self.sparse})
        return config
