"""``kerasfront.backend`` (``import kerasfront.backend as K``): the tf.keras backend functions.

Everything here is an autograd op (or a thin wrapper of one), so custom losses and metrics written with
``K`` are differentiable. Also here: ``epsilon()``/``floatx()``, the learning phase, ``clear_session``
(with hooks other modules register, e.g. to reset layer-name counters) and the logits cache that lets
crossentropy use the logits behind a sigmoid or softmax output, as tf.keras does.

Example:
    >>> import kerasfront.backend as K
    >>> def rmse(y_true, y_pred):
    ...     return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))
"""
import collections
import warnings
import weakref

import numpy as np

import autograd as ag
from autograd.ops.reductions import _softmax_prim

from . import random_state
from .variables import Variable

# -- configuration ----------------------------------------------------------------------------------

_CONFIG = {"epsilon": 1e-7, "floatx": "float32", "image_data_format": "channels_last"}


def epsilon():
    """The fuzz factor used in numeric expressions (default ``1e-7``)."""
    return _CONFIG["epsilon"]


def set_epsilon(value):
    """Set the fuzz factor returned by ``epsilon()``."""
    _CONFIG["epsilon"] = float(value)


def floatx():
    """The default float type as a string (``'float32'``)."""
    return _CONFIG["floatx"]


def set_floatx(value):
    """Set the default float type: one of ``'float16'``, ``'float32'``, ``'float64'``."""
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx(value): expected 'float16', 'float32' or 'float64', received {value!r}")
    _CONFIG["floatx"] = str(value)


def image_data_format():
    """The image layout convention: ``'channels_last'`` (the default) or ``'channels_first'``."""
    return _CONFIG["image_data_format"]


def set_image_data_format(data_format):
    """Set the image layout convention."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"set_image_data_format(data_format): expected 'channels_last' or 'channels_first', "
                         f"received {data_format!r}")
    _CONFIG["image_data_format"] = str(data_format)


def cast_to_floatx(x):
    """``x`` as a numpy array of the default float type."""
    return np.asarray(x.data if isinstance(x, ag.Tensor) else x, dtype=floatx())


# -- session, names and learning phase ----------------------------------------------------------------

_UIDS = collections.defaultdict(int)
_CLEAR_HOOKS = []
_LEARNING_PHASE = [None]


def get_uid(prefix=""):
    """A per-prefix counter starting at 1 (``get_uid('dense')`` -> 1, 2, ...); reset by ``clear_session``."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def reset_uids():
    """Reset the counters of ``get_uid``."""
    _UIDS.clear()


def register_clear_session_hook(fn):
    """Call ``fn()`` on every ``clear_session()`` (layer naming registers its counter reset here).

    Example:
        >>> register_clear_session_hook(lambda: my_counters.clear())
    """
    if not callable(fn):
        raise TypeError(f"register_clear_session_hook(fn): expected a callable, received {fn!r}")
    if fn not in _CLEAR_HOOKS:
        _CLEAR_HOOKS.append(fn)
    return fn


def clear_session():
    """Forget global state: layer-name counters (so names restart at ``dense``), the learning phase."""
    reset_uids()
    _LEARNING_PHASE[0] = None
    for fn in list(_CLEAR_HOOKS):
        fn()


def learning_phase():
    """0 (test) or 1 (train) when set with ``set_learning_phase``, else 0."""
    return 0 if _LEARNING_PHASE[0] is None else _LEARNING_PHASE[0]


def set_learning_phase(value):
    """Set the global learning phase (deprecated in tf.keras; layers read their ``training`` argument)."""
    if value not in (0, 1):
        raise ValueError(f"set_learning_phase(value): expected 0 or 1, received {value!r}")
    _LEARNING_PHASE[0] = int(value)


def in_train_phase(x, alt, training=None):
    """``x`` when training (argument or learning phase), else ``alt`` (callables are called)."""
    if training is None:
        training = learning_phase()
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """``x`` at test time, else ``alt``."""
    return in_train_phase(alt, x, training=training)


def is_keras_tensor(x):
    """True for the symbolic tensors made by ``kerasfront.Input`` and layers called on them."""
    try:
        from .engine.input_layer import KerasTensor
    except ImportError:  # pragma: no cover - the engine is not there yet
        return getattr(x, "_keras_history", None) is not None
    return isinstance(x, KerasTensor)


# -- tensors, variables and values --------------------------------------------------------------------


def _t(x):
    return x if isinstance(x, ag.Tensor) else ag.as_tensor(np.asarray(x))


def _float(x):
    """A Tensor with a floating dtype (python numbers become floatx)."""
    if isinstance(x, ag.Tensor):
        return x if x.dtype.kind == "f" else ag.astype(x, floatx())
    arr = np.asarray(x)
    # NOTE: numpy float arrays keep their dtype (as tf.convert_to_tensor does); Python numbers and lists,
    # and integer arrays, become floatx.
    if arr.dtype.kind == "f" and (isinstance(x, (np.ndarray, np.generic))):
        return ag.as_tensor(arr)
    return ag.as_tensor(arr.astype(floatx()))


def constant(value, dtype=None, shape=None, name=None):
    """A constant Tensor (``dtype`` defaults to floatx for Python numbers)."""
    arr = np.asarray(value.data if isinstance(value, ag.Tensor) else value)
    if dtype is None and arr.dtype.kind in "fiub" and arr.dtype.kind != "b":
        dtype = floatx() if arr.dtype.kind == "f" or not isinstance(value, np.ndarray) else arr.dtype
    arr = arr.astype(dtype) if dtype is not None else arr
    if shape is not None:
        arr = np.broadcast_to(arr, tuple(shape)).copy()
    return ag.Tensor(arr)


def variable(value, dtype=None, name=None, constraint=None):
    """A Variable holding ``value`` (as ``dtype``, floatx by default).

    Example:
        >>> v = K.variable([[1, 2]]); K.get_value(v)
        array([[1., 2.]], dtype=float32)
    """
    return Variable(np.asarray(value.data if isinstance(value, ag.Tensor) else value, dtype=dtype or floatx()),
                    name=name or "Variable", constraint=constraint)


def get_value(x):
    """The value of a Variable or Tensor as a numpy array (a copy)."""
    if isinstance(x, ag.Tensor):
        return x.data.copy()
    return np.asarray(x)


eval = get_value  # noqa: A001  (Keras's name)


def batch_get_value(tensors):
    """``[get_value(t) for t in tensors]``."""
    return [get_value(t) for t in tensors]


def set_value(x, value):
    """Overwrite a Variable's value in place (shape must match)."""
    if not isinstance(x, ag.Tensor):
        raise TypeError(f"set_value(x, value): x must be a Variable, received {type(x).__name__}")
    v = np.asarray(value.data if isinstance(value, ag.Tensor) else value)
    if v.shape != x.shape:
        raise ValueError(f"set_value: value of shape {v.shape} does not match the variable's shape {x.shape}")
    ag.assign(x, v)


def batch_set_value(tuples):
    """``set_value`` for each ``(variable, value)`` pair."""
    for x, value in tuples:
        set_value(x, value)


def zeros(shape, dtype=None, name=None):
    """A Variable of zeros."""
    return variable(np.zeros(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    """A Variable of ones."""
    return variable(np.ones(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def eye(size, dtype=None, name=None):
    """An identity-matrix Variable."""
    return variable(np.eye(size, dtype=dtype or floatx()), dtype=dtype, name=name)


def zeros_like(x, dtype=None, name=None):
    """Zeros with the shape (and dtype) of ``x``."""
    return ag.zeros_like(_t(x), dtype=dtype)


def ones_like(x, dtype=None, name=None):
    """Ones with the shape (and dtype) of ``x``."""
    return ag.ones_like(_t(x), dtype=dtype)


def int_shape(x):
    """The shape as a tuple of ints (``None`` for unknown dimensions of symbolic tensors)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        shape = np.shape(x)
    return tuple(shape)


def shape(x):
    """The shape as an int32 Tensor."""
    return ag.Tensor(np.asarray(int_shape(x), dtype=np.int32))


def ndim(x):
    """The rank of ``x``."""
    return len(int_shape(x))


def dtype(x):
    """The dtype name of ``x`` (``'float32'``)."""
    return np.dtype(getattr(x, "dtype", np.asarray(x).dtype)).name


def count_params(x):
    """The number of elements of ``x``."""
    return int(np.prod(int_shape(x), dtype=np.int64))


def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float types)."""
    return ag.astype(_t(x), np.dtype(dtype))


# -- elementwise ----------------------------------------------------------------------------------


def _bool_to_float(x):
    x = _t(x)
    return ag.astype(x, floatx()) if x.dtype == np.bool_ else x


def square(x):
    """Elementwise square."""
    return ag.square(x)


def sqrt(x):
    """Elementwise square root; negative inputs are clipped to 0 first, as in tf.keras."""
    # NOTE: tf.keras clips at zero, so sqrt of a tiny negative rounding error gives 0, not NaN.
    return ag.sqrt(ag.clip(x, 0.0, None))


def abs(x):  # noqa: A001
    """Elementwise absolute value."""
    return ag.abs(x)


def exp(x):
    """Elementwise e**x."""
    return ag.exp(x)


def log(x):
    """Elementwise natural logarithm."""
    return ag.log(x)


def pow(x, a):  # noqa: A001
    """Elementwise ``x ** a``."""
    return ag.power(x, a)


def sign(x):
    """Elementwise sign."""
    return ag.sign(x)


def round(x):  # noqa: A001
    """Elementwise rounding to the nearest integer (half to even)."""
    return ag.round(x)


def clip(x, min_value, max_value):
    """Limit ``x`` to [min_value, max_value] (None means unbounded; max below min is raised to min)."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    x = _t(x)
    lo = None if min_value is None else np.asarray(min_value, dtype=x.dtype if x.dtype.kind == "f" else None)
    hi = None if max_value is None else np.asarray(max_value, dtype=x.dtype if x.dtype.kind == "f" else None)
    return ag.clip(x, lo, hi)


def maximum(x, y):
    """Elementwise maximum."""
    return ag.maximum(x, y)


def minimum(x, y):
    """Elementwise minimum."""
    return ag.minimum(x, y)


def equal(x, y):
    """Elementwise ``x == y`` (bool, no gradient)."""
    return ag.equal(x, y)


def not_equal(x, y):
    """Elementwise ``x != y``."""
    return ag.not_equal(x, y)


def greater(x, y):
    """Elementwise ``x > y``."""
    return ag.greater(x, y)


def greater_equal(x, y):
    """Elementwise ``x >= y``."""
    return ag.greater_equal(x, y)


def less(x, y):
    """Elementwise ``x < y``."""
    return ag.less(x, y)


def less_equal(x, y):
    """Elementwise ``x <= y``."""
    return ag.less_equal(x, y)


def switch(condition, then_expression, else_expression):
    """Pick ``then_expression`` where ``condition`` holds, else ``else_expression`` (callables are called).

    A Python bool picks one branch; a tensor condition selects elementwise (broadcast as ``where``).
    """
    then_v = then_expression() if callable(then_expression) else then_expression
    else_v = else_expression() if callable(else_expression) else else_expression
    if isinstance(condition, (bool, np.bool_)):
        return then_v if condition else else_v
    cond = np.asarray(condition.data if isinstance(condition, ag.Tensor) else condition).astype(bool)
    t = _t(then_v)
    if cond.ndim < t.ndim:
        cond = cond.reshape(cond.shape + (1,) * (t.ndim - cond.ndim))
    return ag.where(cond, then_v, else_v)


# -- reductions -----------------------------------------------------------------------------------


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (booleans count as floats)."""
    return ag.mean(_bool_to_float(x), axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Sum over ``axis``."""
    return ag.sum(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    """Maximum over ``axis``."""
    return ag.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """Minimum over ``axis``."""
    return ag.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    """Product over ``axis``."""
    return ag.prod(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Variance over ``axis``."""
    return ag.var(_bool_to_float(x), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Standard deviation over ``axis``."""
    return ag.std(_bool_to_float(x), axis=axis, keepdims=keepdims)


def cumsum(x, axis=0):
    """Running sum along ``axis``."""
    return ag.cumsum(x, axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    return ag.logsumexp(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    """Logical or over ``axis`` (bool)."""
    return ag.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    """Logical and over ``axis`` (bool)."""
    return ag.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    """Index of the largest value along ``axis``."""
    return ag.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """Index of the smallest value along ``axis``."""
    return ag.argmin(x, axis=axis)


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x**2, axis), 1e-12))``, as tf.math.l2_normalize."""
    x = _float(x)
    sq = ag.sum(ag.square(x), axis=axis, keepdims=True)
    return ag.multiply(x, ag.divide(1.0, ag.sqrt(ag.maximum(sq, np.asarray(1e-12, x.dtype)))))


# -- shapes and products --------------------------------------------------------------------------


def reshape(x, shape):
    """``x`` with a new shape (one entry may be -1)."""
    return ag.reshape(x, tuple(shape))


def transpose(x):
    """Reverse the order of the axes (the matrix transpose for 2-d)."""
    return ag.transpose(x)


def permute_dimensions(x, pattern):
    """Reorder the axes: ``pattern`` lists the source axis for each output axis."""
    return ag.transpose(x, tuple(pattern))


def expand_dims(x, axis=-1):
    """Insert a size-1 axis at ``axis``."""
    return ag.expand_dims(x, axis)


def squeeze(x, axis):
    """Remove the size-1 axis ``axis``."""
    return ag.squeeze(x, axis)


def flatten(x):
    """All elements as a 1-d tensor."""
    return ag.reshape(x, (-1,))


def batch_flatten(x):
    """``(batch, ...)`` flattened to ``(batch, prod(...))``."""
    x = _t(x)
    return ag.reshape(x, (x.shape[0], -1))


def concatenate(tensors, axis=-1):
    """Join tensors along ``axis``."""
    return ag.concatenate(list(tensors), axis=axis)


def stack(x, axis=0):
    """Stack tensors along a new ``axis``."""
    return ag.stack(list(x), axis=axis)


def tile(x, n):
    """Repeat ``x`` ``n`` times along each axis."""
    return ag.tile(x, tuple(n) if isinstance(n, (list, tuple)) else n)


def repeat_elements(x, rep, axis):
    """Repeat each element ``rep`` times along ``axis`` (like np.repeat)."""
    return ag.repeat(x, rep, axis=axis)


def gather(reference, indices):
    """Rows of ``reference`` picked by integer ``indices`` (gradients accumulate on repeats)."""
    ind = np.asarray(indices.data if isinstance(indices, ag.Tensor) else indices)
    return ag.take(reference, ind.astype(np.int64, copy=False), axis=0)


def one_hot(indices, num_classes):
    """One-hot encoding of integer ``indices`` along a new last axis."""
    return ag.one_hot(indices, num_classes, dtype=floatx())


def dot(x, y):
    """Matrix product; for n-d tensors sums the last axis of ``x`` with the second-to-last of ``y``.

    Example:
        >>> K.int_shape(K.dot(K.ones((2, 3, 4)), K.ones((4, 5))))
        (2, 3, 5)
    """
    return ag.dot(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample dot product: contracts ``axes[0]`` of ``x`` with ``axes[1]`` of ``y``, batch axis 0 kept.

    With 2-d inputs and ``axes=1`` the result has shape ``(batch, 1)``, as in tf.keras.

    Example:
        >>> K.int_shape(K.batch_dot(K.ones((32, 20, 1)), K.ones((32, 30, 20)), axes=(1, 2)))
        (32, 1, 30)
    """
    x, y = _t(x), _t(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"batch_dot: inputs must have rank >= 2, received shapes {x.shape} and {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"batch_dot: batch sizes differ: {x.shape[0]} and {y.shape[0]}")
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2) if y.ndim > 2 else (x.ndim - 1, y.ndim - 1)
    if isinstance(axes, (int, np.integer)):
        axes = (int(axes), int(axes))
    ax, ay = int(axes[0]) % x.ndim, int(axes[1]) % y.ndim
    if ax == 0 or ay == 0:
        raise ValueError(f"batch_dot: cannot contract the batch axis 0; received axes={axes}")
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(f"batch_dot: axis {ax} of x (size {x.shape[ax]}) does not match axis {ay} of y "
                         f"(size {y.shape[ay]}); shapes {x.shape} and {y.shape}")
    n, k = x.shape[0], x.shape[ax]
    x_rest = [i for i in range(1, x.ndim) if i != ax]
    y_rest = [i for i in range(1, y.ndim) if i != ay]
    xm = ag.reshape(ag.transpose(x, [0] + x_rest + [ax]), (n, -1, k))
    ym = ag.reshape(ag.transpose(y, [0, ay] + y_rest), (n, k, -1))
    out_shape = (n,) + tuple(x.shape[i] for i in x_rest) + tuple(y.shape[i] for i in y_rest)
    out = ag.reshape(ag.matmul(xm, ym), out_shape)
    if len(out_shape) == 1:
        out = ag.reshape(out, (n, 1))
    return out


# -- activations ---------------------------------------------------------------------------------

# NOTE: tf.keras caches the logits behind a sigmoid/softmax output (``output._keras_logits``) so that a
# crossentropy on that output is computed from the logits, without clipping. Tensors have __slots__, so the
# cache is a dict keyed by id(output), emptied by a weakref callback when the output is freed.
_LOGITS = {}


def _remember_logits(output, logits, kind):
    key = id(output)
    _LOGITS[key] = (weakref.ref(output, lambda _r, k=key: _LOGITS.pop(k, None)), logits, kind)
    return output


def _cached_logits(output, kind):
    entry = _LOGITS.get(id(output))
    if entry is not None and entry[0]() is output and entry[2] == kind:
        return entry[1]
    return None


def _get_logits(output, from_logits, kind, fn_name):
    """``(tensor, from_logits)``: the logits behind ``output`` when it came from a ``kind`` activation."""
    logits = _cached_logits(output, kind)
    if logits is None:
        ctx = output._ctx if isinstance(output, ag.Tensor) else None
        prim = _softmax_prim if kind == "softmax" else ag.sigmoid.primitive
        if type(ctx) is tuple and ctx[0] is prim and (kind == "sigmoid" or (ctx[2] or {}).get("axis", -1) == -1):
            logits = ctx[1][0]
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f"`{fn_name}` received `from_logits=True`, but the `output` argument was produced by a "
                      f"{kind} activation and thus does not represent logits. Was this intended?", stacklevel=3)
    return logits, True


def sigmoid(x):
    """Elementwise logistic sigmoid (remembers ``x`` as the logits of the result)."""
    x = _t(x)
    return _remember_logits(ag.sigmoid(x), x, "sigmoid")


def softmax(x, axis=-1):
    """Softmax over ``axis`` (remembers ``x`` as the logits of the result when ``axis`` is -1)."""
    x = _t(x)
    if isinstance(axis, (tuple, list)):
        e = ag.exp(ag.subtract(x, ag.max(x, axis=tuple(axis), keepdims=True)))
        return ag.divide(e, ag.sum(e, axis=tuple(axis), keepdims=True))
    out = ag.softmax(x, axis=axis)
    if axis == -1 or axis == x.ndim - 1:
        _remember_logits(out, x, "softmax")
    return out


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with tf.keras's ``alpha``, ``max_value`` and ``threshold``."""
    x = _t(x)
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(floatx())
    if alpha != 0.0 and max_value is None and threshold == 0.0:
        return ag.leaky_relu(x, alpha=alpha)
    negative_part = None
    if alpha != 0.0:
        negative_part = ag.relu(ag.add(ag.negative(x), threshold)) if threshold != 0.0 else ag.relu(ag.negative(x))
    if threshold != 0.0:
        out = ag.multiply(x, (x.data > threshold).astype(dt))
    else:
        out = ag.relu(x)
    if max_value is not None:
        out = ag.clip(out, np.asarray(0, dt), np.asarray(max_value, dt))
    if negative_part is not None:
        out = ag.subtract(out, ag.multiply(negative_part, np.asarray(alpha, dt)))
    return out


def elu(x, alpha=1.0):
    """Exponential linear unit; for ``alpha != 1`` only the negative part is scaled."""
    if alpha == 1.0:
        return ag.elu(x)
    res = ag.elu(x)
    xd = x.data if isinstance(x, ag.Tensor) else np.asarray(x)
    return ag.where(xd > 0, res, ag.multiply(res, alpha))


def tanh(x):
    """Elementwise hyperbolic tangent."""
    return ag.tanh(x)


def softplus(x):
    """``log(exp(x) + 1)``."""
    return ag.softplus(x)


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return ag.divide(x, ag.add(ag.abs(x), 1.0))


def hard_sigmoid(x):
    """Keras 2's ``clip(0.2 * x + 0.5, 0, 1)``."""
    x = _float(x)
    return ag.clip(ag.add(ag.multiply(x, np.asarray(0.2, x.dtype)), np.asarray(0.5, x.dtype)),
                   np.asarray(0.0, x.dtype), np.asarray(1.0, x.dtype))


def dropout(x, level, noise_shape=None, seed=None):
    """Zero entries with probability ``level`` and scale the rest by ``1 / (1 - level)``."""
    x = _t(x)
    if not 0.0 <= level < 1.0:
        raise ValueError(f"dropout(level): expected a rate in [0, 1), received {level!r}")
    gen = random_state.make_generator(seed) if seed is not None else random_state.generator()
    shape_ = x.shape if noise_shape is None else tuple(noise_shape)
    keep = (gen.random(shape_) >= level).astype(x.dtype) / np.asarray(1.0 - level, x.dtype)
    return ag.multiply(x, keep)


# -- crossentropies ---------------------------------------------------------------------------------


def _eps_like(x):
    return np.asarray(epsilon(), dtype=x.dtype)


def _has_fused(name):
    return getattr(ag, name, None) is not None


def _sigmoid_xent_logits(labels, logits):
    # NOTE: max(x, 0) - x * z + log(1 + exp(-|x|)), with the branches picked by ``where`` (as TensorFlow
    # does) so the gradient at x == 0 is sigmoid(0) - z.
    pos = logits.data >= 0
    relu_logits = ag.where(pos, logits, ag.zeros_like(logits))
    neg_abs = ag.where(pos, ag.negative(logits), logits)
    return ag.add(ag.subtract(relu_logits, ag.multiply(logits, labels)), ag.log1p(ag.exp(neg_abs)))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy between ``target`` and ``output`` (no reduction).

    On probabilities, as tf.keras: ``p = clip(output, eps, 1 - eps)`` and
    ``-(target * log(p + eps) + (1 - target) * log(1 - p + eps))``; on logits (``from_logits`` or an output
    made by a sigmoid) the numerically stable logits form.
    """
    output = _float(output)
    target = ag.astype(_t(target), output.dtype) if _t(target).dtype != output.dtype else _t(target)
    output, from_logits = _get_logits(output, from_logits, "sigmoid", "binary_crossentropy")
    if from_logits:
        if _has_fused("sigmoid_cross_entropy") and target.shape == output.shape:
            return ag.sigmoid_cross_entropy(output, target)
        return _sigmoid_xent_logits(target, output)
    eps = _eps_like(output)
    p = ag.clip(output, eps, np.asarray(1.0 - epsilon(), output.dtype))
    bce = ag.multiply(target, ag.log(ag.add(p, eps)))
    bce = ag.add(bce, ag.multiply(ag.subtract(1.0, target), ag.log(ag.add(ag.subtract(1.0, p), eps))))
    return ag.negative(bce)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy over ``axis`` (one value per sample).

    On probabilities, as tf.keras: ``output`` is divided by its sum over ``axis``, clipped to
    [eps, 1 - eps], and ``-sum(target * log(output))``; on logits (or an output made by a softmax)
    ``-sum(target * log_softmax(logits))``.
    """
    output = _float(output)
    target = _t(target)
    if target.dtype != output.dtype:
        target = ag.astype(target, output.dtype)
    if target.shape != output.shape and np.broadcast_shapes(target.shape, output.shape) != output.shape:
        raise ValueError(f"categorical_crossentropy: target shape {target.shape} is not compatible with output "
                         f"shape {output.shape}")
    output, from_logits = _get_logits(output, from_logits, "softmax", "categorical_crossentropy")
    if from_logits:
        if _has_fused("softmax_cross_entropy") and target.shape == output.shape:
            return ag.softmax_cross_entropy(output, target, axis=axis)
        return ag.negative(ag.sum(ag.multiply(target, ag.log_softmax(output, axis=axis)), axis=axis))
    output = ag.divide(output, ag.sum(output, axis=axis, keepdims=True))
    eps = _eps_like(output)
    output = ag.clip(output, eps, np.asarray(1.0 - epsilon(), output.dtype))
    return ag.negative(ag.sum(ag.multiply(target, ag.log(output)), axis=axis))


def _int_labels(target):
    t = target.data if isinstance(target, ag.Tensor) else np.asarray(target)
    if t.dtype.kind == "f":
        t = t.astype(np.int64)
    elif t.dtype.kind not in "iu":
        raise TypeError(f"sparse_categorical_crossentropy: target must hold integer class ids, received dtype "
                        f"{t.dtype}")
    return t


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1, ignore_class=None):
    """Crossentropy between integer class ids ``target`` and ``output`` over ``axis``.

    On probabilities, as tf.keras: ``log(clip(output, eps, 1 - eps))`` is treated as logits (so it is
    renormalized). ``target`` may have a trailing size-1 axis. Entries whose target equals
    ``ignore_class`` get a loss of 0.
    """
    output = _float(output)
    labels = _int_labels(target)
    output, from_logits = _get_logits(output, from_logits, "softmax", "sparse_categorical_crossentropy")
    if not from_logits:
        eps = _eps_like(output)
        output = ag.log(ag.clip(output, eps, np.asarray(1.0 - epsilon(), output.dtype)))
    rank = output.ndim
    axis = axis % rank
    if axis != rank - 1:
        output = ag.moveaxis(output, axis, -1)
    out_shape = output.shape[:-1]
    if labels.shape != out_shape:
        if labels.size != int(np.prod(out_shape, dtype=np.int64)):
            raise ValueError(f"sparse_categorical_crossentropy: target of shape {labels.shape} does not match "
                             f"output of shape {output.shape} (expected target shape {out_shape})")
        labels = labels.reshape(out_shape)
    num_classes = output.shape[-1]
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].ravel()[0]
        raise ValueError(f"sparse_categorical_crossentropy: received a label value of {bad} which is outside the "
                         f"valid range of [0, {num_classes})")
    if _has_fused("sparse_softmax_cross_entropy"):
        res = ag.sparse_softmax_cross_entropy(output, labels, axis=-1)
    else:
        onehot = np.zeros(output.shape, dtype=output.dtype)
        np.put_along_axis(onehot, labels[..., None], 1, axis=-1)
        res = ag.negative(ag.sum(ag.multiply(ag.log_softmax(output, axis=-1), onehot), axis=-1))
    if valid is not None:
        res = ag.multiply(res, valid.astype(res.dtype))
    return res


# -- random -------------------------------------------------------------------------------------------


def _gen(seed):
    return random_state.make_generator(seed) if seed is not None else random_state.generator()


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A Tensor of normal draws."""
    dt = dtype or floatx()
    return ag.Tensor(_gen(seed).normal(mean, stddev, size=tuple(shape)).astype(dt))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """A Tensor of uniform draws in [minval, maxval)."""
    dt = dtype or floatx()
    return ag.Tensor(_gen(seed).uniform(minval, maxval, size=tuple(shape)).astype(dt))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws, redrawn until within two standard deviations of the mean."""
    gen = _gen(seed)
    shape = tuple(shape)
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return ag.Tensor((out * stddev + mean).astype(dtype or floatx()))


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """A Tensor of 0/1 draws that are 1 with probability ``p``."""
    return ag.Tensor((_gen(seed).random(tuple(shape)) < p).astype(dtype or floatx()))


random_binomial = random_bernoulli
