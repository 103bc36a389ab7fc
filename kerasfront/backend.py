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
import functools
import inspect
import warnings
import weakref

import numpy as np

import autograd as ag
from autograd.tape import GradientTape  # noqa: F401  (tf.GradientTape, for custom train_step methods)
from autograd.ops.reductions import _softmax_prim

from . import random_state
from .variables import Variable

# -- symbolic tensors -------------------------------------------------------------------------------

# NOTE: as tf.keras, where a TF op applied to a KerasTensor becomes a TFOpLambda layer, the K functions below
# given a symbolic tensor of the functional API hand it to the layer that records them as a graph node. The
# backend knows no layers: the layers package registers that handler, and KerasTensor answers a class flag.
_SYMBOLIC_HANDLER = [None]


def register_symbolic_handler(handler):
    """Set ``handler(tf_op_name, x, kwargs)``, called when a K function below receives a symbolic tensor.

    Example:
        >>> K.register_symbolic_handler(K.symbolic_handler())          # the layers package sets it at import
    """
    _SYMBOLIC_HANDLER[0] = handler


def symbolic_handler():
    """The handler ``register_symbolic_handler`` set (None before the layers package is imported).

    Example:
        >>> callable(K.symbolic_handler())
        True
    """
    return _SYMBOLIC_HANDLER[0]


def _symbolic_op(tf_name):
    """Make a K function also accept a KerasTensor: it then records ``tf_name`` (tf.keras's TFOpLambda function,
    with every keyword argument spelled out as tf.keras records them) instead of computing."""
    def wrap(fn):
        params = list(inspect.signature(fn).parameters.values())[1:]

        @functools.wraps(fn)
        def dispatch(x, *args, **kwargs):
            if getattr(type(x), "_keras_symbolic", False) is True and _SYMBOLIC_HANDLER[0] is not None:
                bound = {p.name: p.default for p in params}
                bound.update(zip((p.name for p in params), args))
                bound.update(kwargs)
                return _SYMBOLIC_HANDLER[0](tf_name, x, bound)
            return fn(x, *args, **kwargs)
        dispatch.tf_op_name = tf_name
        return dispatch
    return wrap


# -- configuration ----------------------------------------------------------------------------------

_CONFIG = {"epsilon": 1e-7, "floatx": "float32", "image_data_format": "channels_last"}


def backend():
    """The name of the backend: ``"tensorflow"``, the string tf.keras 2 returns.

    kerasfront runs on its own autograd engine, not on TensorFlow, but it follows TensorFlow's conventions in
    everything a program can observe: channels_last images, float32 by default, TensorFlow's numerics (the same
    losses, epsilons and weighting rules, the same numbers) and its file formats. Programs branch on this string
    to pick those conventions (``if K.backend() == "tensorflow": ...``), so it names the conventions kerasfront
    keeps; no TensorFlow is imported or needed.

    Example:
        >>> K.backend()
        'tensorflow'
    """
    return "tensorflow"


def epsilon():
    """The fuzz factor used in numeric expressions (default ``1e-7``).

    Example:
        >>> K.epsilon()
        1e-07
    """
    return _CONFIG["epsilon"]


def set_epsilon(value):
    """Set the fuzz factor returned by ``epsilon()``.

    Example:
        >>> K.set_epsilon(1e-5); K.epsilon()
        1e-05
        >>> K.set_epsilon(1e-7)
    """
    _CONFIG["epsilon"] = float(value)


def floatx():
    """The default float type as a string (``'float32'``).

    Example:
        >>> K.floatx()
        'float32'
    """
    return _CONFIG["floatx"]


def set_floatx(value):
    """Set the default float type: one of ``'float16'``, ``'float32'``, ``'float64'``.

    Example:
        >>> K.set_floatx('float64'); K.floatx()
        'float64'
        >>> K.set_floatx('float32')
    """
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx(value): expected 'float16', 'float32' or 'float64', received {value!r}")
    _CONFIG["floatx"] = str(value)


def image_data_format():
    """The image layout convention: ``'channels_last'`` (the default) or ``'channels_first'``.

    Example:
        >>> K.image_data_format()
        'channels_last'
    """
    return _CONFIG["image_data_format"]


def set_image_data_format(data_format):
    """Set the image layout convention.

    Example:
        >>> K.set_image_data_format('channels_first'); K.image_data_format()
        'channels_first'
        >>> K.set_image_data_format('channels_last')
    """
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"set_image_data_format(data_format): expected 'channels_last' or 'channels_first', "
                         f"received {data_format!r}")
    _CONFIG["image_data_format"] = str(data_format)


def cast_to_floatx(x):
    """``x`` as a numpy array of the default float type.

    Example:
        >>> K.cast_to_floatx([1, 2])
        array([1., 2.], dtype=float32)
    """
    return np.asarray(x.data if isinstance(x, ag.Tensor) else x, dtype=floatx())


# -- session, names and learning phase ----------------------------------------------------------------

_UIDS = collections.defaultdict(int)
_CLEAR_HOOKS = []
_LEARNING_PHASE = [None]


def get_uid(prefix=""):
    """A per-prefix counter starting at 1 (``get_uid('dense')`` -> 1, 2, ...); reset by ``clear_session``.

    Example:
        >>> K.get_uid('my_prefix'), K.get_uid('my_prefix')
        (1, 2)
    """
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def reset_uids():
    """Reset the counters of ``get_uid``.

    Example:
        >>> K.reset_uids(); K.get_uid('my_prefix')
        1
    """
    _UIDS.clear()


def register_clear_session_hook(fn):
    """Call ``fn()`` on every ``clear_session()`` (layer naming registers its counter reset here).

    Example:
        >>> my_counters = {"conv": 3}
        >>> _ = K.register_clear_session_hook(my_counters.clear)
        >>> K.clear_session(); my_counters
        {}
    """
    if not callable(fn):
        raise TypeError(f"register_clear_session_hook(fn): expected a callable, received {fn!r}")
    if fn not in _CLEAR_HOOKS:
        _CLEAR_HOOKS.append(fn)
    return fn


def clear_session():
    """Forget global state: layer-name counters (so names restart at ``dense``), the learning phase.

    Example:
        >>> K.clear_session(); kerasfront.layers.Dense(1).name
        'dense'
    """
    reset_uids()
    _LEARNING_PHASE[0] = None
    for fn in list(_CLEAR_HOOKS):
        fn()


def learning_phase():
    """0 (test) or 1 (train) when set with ``set_learning_phase``, else 0.

    Example:
        >>> K.learning_phase()
        0
    """
    return 0 if _LEARNING_PHASE[0] is None else _LEARNING_PHASE[0]


def set_learning_phase(value):
    """Set the global learning phase (deprecated in tf.keras; layers read their ``training`` argument).

    Example:
        >>> K.set_learning_phase(1); K.learning_phase()
        1
        >>> K.clear_session()  # back to the default
    """
    if value not in (0, 1):
        raise ValueError(f"set_learning_phase(value): expected 0 or 1, received {value!r}")
    _LEARNING_PHASE[0] = int(value)


def in_train_phase(x, alt, training=None):
    """``x`` when training (argument or learning phase), else ``alt`` (callables are called).

    Example:
        >>> K.in_train_phase(1.0, 0.0, training=True)
        1.0
        >>> K.in_train_phase(lambda: 'train', lambda: 'test', training=False)
        'test'
    """
    if training is None:
        training = learning_phase()
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """``x`` at test time, else ``alt``.

    Example:
        >>> K.in_test_phase(1.0, 0.0, training=True)
        0.0
    """
    return in_train_phase(alt, x, training=training)


def is_keras_tensor(x):
    """True for the symbolic tensors made by ``kerasfront.Input`` and layers called on them.

    Example:
        >>> K.is_keras_tensor(kerasfront.Input((2,)))
        True
        >>> K.is_keras_tensor(K.constant([1.0]))
        False
    """
    # NOTE: a protocol, not an import: the backend knows no models (KerasTensor sets the class flag)
    return getattr(type(x), "_keras_symbolic", False) is True


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
    """A constant Tensor (``dtype`` defaults to floatx for Python numbers).

    Example:
        >>> K.constant([1, 2])
        Tensor([1., 2.], dtype=float32)
        >>> K.constant(0.5, shape=(2, 2))
        Tensor([[0.5, 0.5],
                [0.5, 0.5]], dtype=float32)
    """
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
    """The value of a Variable or Tensor as a numpy array (a copy).

    Example:
        >>> K.get_value(K.constant([1.0, 2.0]))
        array([1., 2.], dtype=float32)
    """
    if isinstance(x, ag.Tensor):
        return x.data.copy()
    return np.asarray(x)


eval = get_value  # noqa: A001  (Keras's name)


def batch_get_value(tensors):
    """``[get_value(t) for t in tensors]``.

    Example:
        >>> K.batch_get_value([K.constant(1.0), K.constant([2.0])])
        [array(1., dtype=float32), array([2.], dtype=float32)]
    """
    return [get_value(t) for t in tensors]


def set_value(x, value):
    """Overwrite a Variable's value in place (shape must match).

    Example:
        >>> v = K.variable([0.0, 0.0]); K.set_value(v, [1.0, 2.0]); K.get_value(v)
        array([1., 2.], dtype=float32)
    """
    if not isinstance(x, ag.Tensor):
        raise TypeError(f"set_value(x, value): x must be a Variable, received {type(x).__name__}")
    v = np.asarray(value.data if isinstance(value, ag.Tensor) else value)
    if v.shape != x.shape:
        raise ValueError(f"set_value: value of shape {v.shape} does not match the variable's shape {x.shape}")
    ag.assign(x, v)


def batch_set_value(tuples):
    """``set_value`` for each ``(variable, value)`` pair.

    Example:
        >>> v, w = K.variable([0.0]), K.variable([0.0]); K.batch_set_value([(v, [1.0]), (w, [2.0])])
        >>> K.get_value(v), K.get_value(w)
        (array([1.], dtype=float32), array([2.], dtype=float32))
    """
    for x, value in tuples:
        set_value(x, value)


def zeros(shape, dtype=None, name=None):
    """A Variable of zeros.

    Example:
        >>> K.get_value(K.zeros((2, 3)))
        array([[0., 0., 0.],
               [0., 0., 0.]], dtype=float32)
    """
    return variable(np.zeros(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    """A Variable of ones.

    Example:
        >>> K.get_value(K.ones((2,), dtype='int32'))
        array([1, 1], dtype=int32)
    """
    return variable(np.ones(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def eye(size, dtype=None, name=None):
    """An identity-matrix Variable.

    Example:
        >>> K.get_value(K.eye(2))
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    return variable(np.eye(size, dtype=dtype or floatx()), dtype=dtype, name=name)


def zeros_like(x, dtype=None, name=None):
    """Zeros with the shape (and dtype) of ``x``.

    Example:
        >>> K.zeros_like(K.constant([[1.0, 2.0]]))
        Tensor([[0., 0.]], dtype=float32)
    """
    return ag.zeros_like(_t(x), dtype=dtype)


def ones_like(x, dtype=None, name=None):
    """Ones with the shape (and dtype) of ``x``.

    Example:
        >>> K.ones_like(K.constant([[1.0, 2.0]]))
        Tensor([[1., 1.]], dtype=float32)
    """
    return ag.ones_like(_t(x), dtype=dtype)


def int_shape(x):
    """The shape as a tuple of ints (``None`` for unknown dimensions of symbolic tensors).

    Example:
        >>> K.int_shape(K.zeros((2, 3)))
        (2, 3)
        >>> K.int_shape(kerasfront.Input((3,)))
        (None, 3)
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        shape = np.shape(x)
    return tuple(shape)


def shape(x):
    """The shape as an int32 Tensor.

    Example:
        >>> K.shape(K.zeros((2, 3)))
        Tensor([2, 3], dtype=int32)
    """
    return ag.Tensor(np.asarray(int_shape(x), dtype=np.int32))


def ndim(x):
    """The rank of ``x``.

    Example:
        >>> K.ndim(K.zeros((2, 3)))
        2
    """
    return len(int_shape(x))


def dtype(x):
    """The dtype name of ``x`` (``'float32'``).

    Example:
        >>> K.dtype(K.zeros((2,)))
        'float32'
    """
    d = getattr(x, "dtype", None)     # NOTE: no np.asarray of a symbolic tensor (KerasTensor has a dtype)
    return np.dtype(np.asarray(x).dtype if d is None else d).name


def count_params(x):
    """The number of elements of ``x``.

    Example:
        >>> K.count_params(K.zeros((2, 3)))
        6
    """
    return int(np.prod(int_shape(x), dtype=np.int64))


def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float types).

    Example:
        >>> K.cast(K.constant([1.7, -1.7]), 'int32')
        Tensor([ 1, -1], dtype=int32)
    """
    return ag.astype(_t(x), np.dtype(dtype))


# -- elementwise ----------------------------------------------------------------------------------


def _bool_to_float(x):
    x = _t(x)
    return ag.astype(x, floatx()) if x.dtype == np.bool_ else x


@_symbolic_op("math.square")
def square(x):
    """Elementwise square.

    Example:
        >>> K.square(K.constant([2.0, -3.0]))
        Tensor([4., 9.], dtype=float32)
    """
    return ag.square(x)


def sqrt(x):
    """Elementwise square root; negative inputs are clipped to 0 first, as in tf.keras.

    Example:
        >>> K.sqrt(K.constant([4.0, -1e-9]))
        Tensor([2., 0.], dtype=float32)
    """
    # NOTE: tf.keras clips at zero, so sqrt of a tiny negative rounding error gives 0, not NaN.
    return ag.sqrt(ag.clip(x, 0.0, None))


@_symbolic_op("math.abs")
def abs(x):  # noqa: A001
    """Elementwise absolute value.

    Example:
        >>> K.abs(K.constant([-2.0, 3.0]))
        Tensor([2., 3.], dtype=float32)
    """
    return ag.abs(x)


@_symbolic_op("math.exp")
def exp(x):
    """Elementwise e**x.

    Example:
        >>> K.exp(K.constant([0.0, 1.0]))
        Tensor([1.      , 2.718282], dtype=float32)
    """
    return ag.exp(x)


@_symbolic_op("math.log")
def log(x):
    """Elementwise natural logarithm.

    Example:
        >>> K.log(K.constant([1.0, np.e]))
        Tensor([0., 1.], dtype=float32)
    """
    return ag.log(x)


def pow(x, a):  # noqa: A001
    """Elementwise ``x ** a``.

    Example:
        >>> K.pow(K.constant([2.0, 3.0]), 2)
        Tensor([4., 9.], dtype=float32)
    """
    return ag.power(x, a)


def sign(x):
    """Elementwise sign.

    Example:
        >>> K.sign(K.constant([-2.0, 0.0, 3.0]))
        Tensor([-1.,  0.,  1.], dtype=float32)
    """
    return ag.sign(x)


def round(x):  # noqa: A001
    """Elementwise rounding to the nearest integer (half to even).

    Example:
        >>> K.round(K.constant([0.5, 1.5, 2.7]))
        Tensor([0., 2., 3.], dtype=float32)
    """
    return ag.round(x)


def clip(x, min_value, max_value):
    """Limit ``x`` to [min_value, max_value] (None means unbounded; max below min is raised to min).

    Example:
        >>> K.clip(K.constant([-1.0, 0.5, 2.0]), 0.0, 1.0)
        Tensor([0. , 0.5, 1. ], dtype=float32)
    """
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    x = _t(x)
    lo = None if min_value is None else np.asarray(min_value, dtype=x.dtype if x.dtype.kind == "f" else None)
    hi = None if max_value is None else np.asarray(max_value, dtype=x.dtype if x.dtype.kind == "f" else None)
    return ag.clip(x, lo, hi)


def maximum(x, y):
    """Elementwise maximum.

    Example:
        >>> K.maximum(K.constant([1.0, 4.0]), K.constant([3.0, 2.0]))
        Tensor([3., 4.], dtype=float32)
    """
    return ag.maximum(x, y)


def minimum(x, y):
    """Elementwise minimum.

    Example:
        >>> K.minimum(K.constant([1.0, 4.0]), K.constant([3.0, 2.0]))
        Tensor([1., 2.], dtype=float32)
    """
    return ag.minimum(x, y)


def equal(x, y):
    """Elementwise ``x == y`` (bool, no gradient).

    Example:
        >>> K.equal(K.constant([1.0, 2.0]), 2.0)
        Tensor([False,  True])
    """
    return ag.equal(x, y)


def not_equal(x, y):
    """Elementwise ``x != y``.

    Example:
        >>> K.not_equal(K.constant([1.0, 2.0]), 2.0)
        Tensor([ True, False])
    """
    return ag.not_equal(x, y)


def greater(x, y):
    """Elementwise ``x > y``.

    Example:
        >>> K.greater(K.constant([1.0, 2.0]), 1.0)
        Tensor([False,  True])
    """
    return ag.greater(x, y)


def greater_equal(x, y):
    """Elementwise ``x >= y``.

    Example:
        >>> K.greater_equal(K.constant([1.0, 2.0]), 1.0)
        Tensor([ True,  True])
    """
    return ag.greater_equal(x, y)


def less(x, y):
    """Elementwise ``x < y``.

    Example:
        >>> K.less(K.constant([1.0, 2.0]), 2.0)
        Tensor([ True, False])
    """
    return ag.less(x, y)


def less_equal(x, y):
    """Elementwise ``x <= y``.

    Example:
        >>> K.less_equal(K.constant([1.0, 2.0]), 2.0)
        Tensor([ True,  True])
    """
    return ag.less_equal(x, y)


def switch(condition, then_expression, else_expression):
    """Pick ``then_expression`` where ``condition`` holds, else ``else_expression`` (callables are called).

    A Python bool picks one branch; a tensor condition selects elementwise (broadcast as ``where``).

    Example:
        >>> K.switch(K.constant([True, False]), K.constant([1.0, 2.0]), K.constant([-1.0, -2.0]))
        Tensor([ 1., -2.], dtype=float32)
        >>> K.switch(False, lambda: 'then', lambda: 'else')
        'else'
    """
    then_v = then_expression() if callable(then_expression) else then_expression
    else_v = else_expression() if callable(else_expression) else else_expression
    if isinstance(condition, (bool, np.bool_)):
        return then_v if condition else else_v
    cond = _t(condition)
    if cond.dtype != np.bool_:
        cond = ag.not_equal(cond, 0)              # (ops, so that a traced graph sees the condition)
    t = _t(then_v)
    if cond.ndim < t.ndim:
        cond = ag.reshape(cond, cond.shape + (1,) * (t.ndim - cond.ndim))
    return ag.where(cond, then_v, else_v)


# -- reductions -----------------------------------------------------------------------------------


@_symbolic_op("math.reduce_mean")
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (booleans count as floats).

    Example:
        >>> K.mean(K.constant([[1.0, 2.0], [3.0, 4.0]]), axis=-1)
        Tensor([1.5, 3.5], dtype=float32)
    """
    return ag.mean(_bool_to_float(x), axis=axis, keepdims=keepdims)


@_symbolic_op("math.reduce_sum")
def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Sum over ``axis``.

    Example:
        >>> K.sum(K.constant([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        Tensor([4., 6.], dtype=float32)
    """
    return ag.sum(x, axis=axis, keepdims=keepdims)


@_symbolic_op("math.reduce_max")
def max(x, axis=None, keepdims=False):  # noqa: A001
    """Maximum over ``axis``.

    Example:
        >>> K.max(K.constant([[1.0, 5.0], [3.0, 4.0]]), axis=-1)
        Tensor([5., 4.], dtype=float32)
    """
    return ag.max(x, axis=axis, keepdims=keepdims)


@_symbolic_op("math.reduce_min")
def min(x, axis=None, keepdims=False):  # noqa: A001
    """Minimum over ``axis``.

    Example:
        >>> K.min(K.constant([[1.0, 5.0], [3.0, 4.0]]), axis=-1)
        Tensor([1., 3.], dtype=float32)
    """
    return ag.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    """Product over ``axis``.

    Example:
        >>> K.prod(K.constant([[1.0, 2.0], [3.0, 4.0]]), axis=-1)
        Tensor([ 2., 12.], dtype=float32)
    """
    return ag.prod(x, axis=axis, keepdims=keepdims)


@_symbolic_op("math.reduce_variance")
def var(x, axis=None, keepdims=False):
    """Variance over ``axis``.

    Example:
        >>> K.var(K.constant([1.0, 3.0]))
        Tensor(1., dtype=float32)
    """
    return ag.var(_bool_to_float(x), axis=axis, keepdims=keepdims)


@_symbolic_op("math.reduce_std")
def std(x, axis=None, keepdims=False):
    """Standard deviation over ``axis``.

    Example:
        >>> K.std(K.constant([1.0, 3.0]))
        Tensor(1., dtype=float32)
    """
    return ag.std(_bool_to_float(x), axis=axis, keepdims=keepdims)


def cumsum(x, axis=0):
    """Running sum along ``axis``.

    Example:
        >>> K.cumsum(K.constant([1.0, 2.0, 3.0]))
        Tensor([1., 3., 6.], dtype=float32)
    """
    return ag.cumsum(x, axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably.

    Example:
        >>> K.logsumexp(K.constant([0.0, 0.0]))
        Tensor(0.6931472, dtype=float32)
    """
    return ag.logsumexp(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    """Logical or over ``axis`` (bool).

    Example:
        >>> K.any(K.constant([[True, False], [False, False]]), axis=-1)
        Tensor([ True, False])
    """
    return ag.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    """Logical and over ``axis`` (bool).

    Example:
        >>> K.all(K.constant([[True, True], [True, False]]), axis=-1)
        Tensor([ True, False])
    """
    return ag.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    """Index of the largest value along ``axis``.

    Example:
        >>> K.argmax(K.constant([[1.0, 3.0, 2.0]]))
        Tensor([1])
    """
    return ag.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """Index of the smallest value along ``axis``.

    Example:
        >>> K.argmin(K.constant([[1.0, 3.0, 0.5]]))
        Tensor([2])
    """
    return ag.argmin(x, axis=axis)


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x**2, axis), 1e-12))``, as tf.math.l2_normalize.

    Example:
        >>> K.l2_normalize(K.constant([3.0, 4.0]), axis=-1)
        Tensor([0.6, 0.8], dtype=float32)
    """
    x = _float(x)
    sq = ag.sum(ag.square(x), axis=axis, keepdims=True)
    return ag.multiply(x, ag.divide(1.0, ag.sqrt(ag.maximum(sq, np.asarray(1e-12, x.dtype)))))


# -- shapes and products --------------------------------------------------------------------------


def reshape(x, shape):
    """``x`` with a new shape (one entry may be -1).

    Example:
        >>> K.int_shape(K.reshape(K.zeros((2, 3)), (3, -1)))
        (3, 2)
    """
    return ag.reshape(x, tuple(shape))


def transpose(x):
    """Reverse the order of the axes (the matrix transpose for 2-d).

    Example:
        >>> K.int_shape(K.transpose(K.zeros((2, 3))))
        (3, 2)
    """
    return ag.transpose(x)


def permute_dimensions(x, pattern):
    """Reorder the axes: ``pattern`` lists the source axis for each output axis.

    Example:
        >>> K.int_shape(K.permute_dimensions(K.zeros((2, 3, 4)), (0, 2, 1)))
        (2, 4, 3)
    """
    return ag.transpose(x, tuple(pattern))


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Resize a batch of images by integer factors, as tf.keras's ``K.resize_images`` (``tf.image.resize``
    with ``interpolation`` one of ``"nearest"``, ``"bilinear"``, ``"bicubic"``, ``"area"``, ``"lanczos3"``,
    ``"lanczos5"``, ``"gaussian"``, ``"mitchellcubic"``). The one resize kernel of kerasfront
    (``autograd.resize``), shared with the ``Resizing`` layer; differentiable.

    Example:
        >>> K.int_shape(K.resize_images(K.zeros((1, 2, 3, 4)), 2, 3, "channels_last", "bilinear"))
        (1, 4, 9, 4)
    """
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Invalid `data_format` argument: {data_format!r}")
    if interpolation not in ag.RESIZE_METHODS:
        raise ValueError("`interpolation` argument should be one of: " + ", ".join(f'"{m}"' for m in ag.RESIZE_METHODS)
                         + f'. Received: "{interpolation}".')
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"resize_images: expected a 4D batch of images, received shape {x.shape}")
    for name, factor in (("height_factor", height_factor), ("width_factor", width_factor)):
        if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1:
            raise ValueError(f"resize_images: {name} must be a positive int, received {factor!r}")
    if data_format == "channels_first":
        x = ag.transpose(x, (0, 2, 3, 1))
    out = ag.resize(x, (x.shape[1] * int(height_factor), x.shape[2] * int(width_factor)), method=interpolation)
    if data_format == "channels_first":
        out = ag.transpose(out, (0, 3, 1, 2))
    return out


def expand_dims(x, axis=-1):
    """Insert a size-1 axis at ``axis``.

    Example:
        >>> K.int_shape(K.expand_dims(K.zeros((2, 3))))
        (2, 3, 1)
    """
    return ag.expand_dims(x, axis)


def squeeze(x, axis):
    """Remove the size-1 axis ``axis``.

    Example:
        >>> K.int_shape(K.squeeze(K.zeros((2, 1, 3)), 1))
        (2, 3)
    """
    return ag.squeeze(x, axis)


def flatten(x):
    """All elements as a 1-d tensor.

    Example:
        >>> K.flatten(K.constant([[1.0, 2.0], [3.0, 4.0]]))
        Tensor([1., 2., 3., 4.], dtype=float32)
    """
    return ag.reshape(x, (-1,))


def batch_flatten(x):
    """``(batch, ...)`` flattened to ``(batch, prod(...))``.

    Example:
        >>> K.int_shape(K.batch_flatten(K.zeros((2, 3, 4))))
        (2, 12)
    """
    x = _t(x)
    return ag.reshape(x, (x.shape[0], -1))


def concatenate(tensors, axis=-1):
    """Join tensors along ``axis``.

    Example:
        >>> K.concatenate([K.constant([[1.0]]), K.constant([[2.0, 3.0]])])
        Tensor([[1., 2., 3.]], dtype=float32)
    """
    return ag.concatenate(list(tensors), axis=axis)


def stack(x, axis=0):
    """Stack tensors along a new ``axis``.

    Example:
        >>> K.stack([K.constant([1.0, 2.0]), K.constant([3.0, 4.0])])
        Tensor([[1., 2.],
                [3., 4.]], dtype=float32)
    """
    return ag.stack(list(x), axis=axis)


def tile(x, n):
    """Repeat ``x`` ``n`` times along each axis.

    Example:
        >>> K.tile(K.constant([[1.0, 2.0]]), (2, 1))
        Tensor([[1., 2.],
                [1., 2.]], dtype=float32)
    """
    return ag.tile(x, tuple(n) if isinstance(n, (list, tuple)) else n)


def repeat_elements(x, rep, axis):
    """Repeat each element ``rep`` times along ``axis`` (like np.repeat).

    Example:
        >>> K.repeat_elements(K.constant([1.0, 2.0]), 2, axis=0)
        Tensor([1., 1., 2., 2.], dtype=float32)
    """
    return ag.repeat(x, rep, axis=axis)


def gather(reference, indices):
    """Rows of ``reference`` picked by integer ``indices`` (gradients accumulate on repeats).

    Example:
        >>> K.gather(K.constant([[1.0, 2.0], [3.0, 4.0]]), [1, 1])
        Tensor([[3., 4.],
                [3., 4.]], dtype=float32)
    """
    ind = indices if isinstance(indices, ag.Tensor) else ag.Tensor(np.asarray(indices))
    if ind.dtype != np.int64:
        ind = ag.astype(ind, np.int64)
    return ag.take(reference, ind, axis=0)


def one_hot(indices, num_classes):
    """One-hot encoding of integer ``indices`` along a new last axis.

    Example:
        >>> K.one_hot(np.array([0, 2]), 3)
        Tensor([[1., 0., 0.],
                [0., 0., 1.]], dtype=float32)
    """
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
    """Elementwise logistic sigmoid (remembers ``x`` as the logits of the result).

    Example:
        >>> K.sigmoid(K.constant([0.0]))
        Tensor([0.5], dtype=float32)
    """
    x = _t(x)
    return _remember_logits(ag.sigmoid(x), x, "sigmoid")


def softmax(x, axis=-1):
    """Softmax over ``axis`` (remembers ``x`` as the logits of the result when ``axis`` is -1).

    Example:
        >>> K.softmax(K.constant([[0.0, 0.0]]))
        Tensor([[0.5, 0.5]], dtype=float32)
    """
    x = _t(x)
    if isinstance(axis, (tuple, list)):
        e = ag.exp(ag.subtract(x, ag.max(x, axis=tuple(axis), keepdims=True)))
        return ag.divide(e, ag.sum(e, axis=tuple(axis), keepdims=True))
    out = ag.softmax(x, axis=axis)
    if axis == -1 or axis == x.ndim - 1:
        _remember_logits(out, x, "softmax")
    return out


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with tf.keras's ``alpha``, ``max_value`` and ``threshold``.

    Args:
        x: the input tensor.
        alpha: slope for values below ``threshold`` (0 gives the plain relu).
        max_value: upper saturation value, or None for no upper bound.
        threshold: values below it are treated as negative.
    Returns:
        A Tensor of the shape of ``x``.

    Example:
        >>> K.relu(K.constant([-1.0, 0.5, 8.0]), max_value=6.0)
        Tensor([0. , 0.5, 6. ], dtype=float32)
        >>> K.relu(K.constant([-1.0, 2.0]), alpha=0.1)
        Tensor([-0.1,  2. ], dtype=float32)
    """
    x = _t(x)
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(floatx())
    if alpha != 0.0 and max_value is None and threshold == 0.0:
        return ag.leaky_relu(x, alpha=alpha)
    negative_part = None
    if alpha != 0.0:
        negative_part = ag.relu(ag.add(ag.negative(x), threshold)) if threshold != 0.0 else ag.relu(ag.negative(x))
    if threshold != 0.0:
        out = ag.multiply(x, ag.astype(ag.greater(x, threshold), dt))
    else:
        out = ag.relu(x)
    if max_value is not None:
        out = ag.clip(out, np.asarray(0, dt), np.asarray(max_value, dt))
    if negative_part is not None:
        out = ag.subtract(out, ag.multiply(negative_part, np.asarray(alpha, dt)))
    return out


def elu(x, alpha=1.0):
    """Exponential linear unit; for ``alpha != 1`` only the negative part is scaled.

    Example:
        >>> K.elu(K.constant([-1.0, 1.0]), alpha=0.5)
        Tensor([-0.31606027,  1.        ], dtype=float32)
    """
    if alpha == 1.0:
        return ag.elu(x)
    res = ag.elu(x)
    return ag.where(ag.greater(x, 0), res, ag.multiply(res, alpha))


def tanh(x):
    """Elementwise hyperbolic tangent.

    Example:
        >>> K.tanh(K.constant([0.0]))
        Tensor([0.], dtype=float32)
    """
    return ag.tanh(x)


def softplus(x):
    """``log(exp(x) + 1)``.

    Example:
        >>> K.softplus(K.constant([0.0]))
        Tensor([0.6931472], dtype=float32)
    """
    return ag.softplus(x)


def softsign(x):
    """``x / (abs(x) + 1)``.

    Example:
        >>> K.softsign(K.constant([-1.0, 3.0]))
        Tensor([-0.5 ,  0.75], dtype=float32)
    """
    return ag.divide(x, ag.add(ag.abs(x), 1.0))


def hard_sigmoid(x):
    """Keras 2's ``clip(0.2 * x + 0.5, 0, 1)``.

    Example:
        >>> K.hard_sigmoid(K.constant([-3.0, 0.0, 1.0]))
        Tensor([0. , 0.5, 0.7], dtype=float32)
    """
    x = _float(x)
    return ag.clip(ag.add(ag.multiply(x, np.asarray(0.2, x.dtype)), np.asarray(0.5, x.dtype)),
                   np.asarray(0.0, x.dtype), np.asarray(1.0, x.dtype))


def dropout(x, level, noise_shape=None, seed=None):
    """Zero entries with probability ``level`` and scale the rest by ``1 / (1 - level)``.

    Args:
        x: the input tensor.
        level: the fraction of entries to zero, in [0, 1).
        noise_shape: shape of the keep mask (broadcast against ``x``); default ``x``'s shape.
        seed: an int for a reproducible mask; default the global generator of ``random_state``.
    Returns:
        A Tensor of the shape of ``x``.

    Example:
        >>> K.dropout(K.constant([1.0, 1.0, 1.0, 1.0]), 0.5, seed=1)  # kept entries are scaled by 1 / (1 - 0.5)
        Tensor([2., 2., 0., 2.], dtype=float32)
    """
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
    pos = ag.greater_equal(logits, 0)
    relu_logits = ag.where(pos, logits, ag.zeros_like(logits))
    neg_abs = ag.where(pos, ag.negative(logits), logits)
    return ag.add(ag.subtract(relu_logits, ag.multiply(logits, labels)), ag.log1p(ag.exp(neg_abs)))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy between ``target`` and ``output`` (no reduction).

    On probabilities, as tf.keras: ``p = clip(output, eps, 1 - eps)`` and
    ``-(target * log(p + eps) + (1 - target) * log(1 - p + eps))``; on logits (``from_logits`` or an output
    made by a sigmoid) the numerically stable logits form.

    Args:
        target: tensor of 0/1 (or soft) labels.
        output: probabilities, or logits when ``from_logits``.
        from_logits: whether ``output`` holds logits.
    Returns:
        A Tensor of the shape of ``output``.

    Example:
        >>> K.binary_crossentropy(K.constant([1.0, 0.0]), K.constant([0.0, 0.0]), from_logits=True)
        Tensor([0.6931472, 0.6931472], dtype=float32)
    """
    output = _float(output)
    target = ag.astype(_t(target), output.dtype) if _t(target).dtype != output.dtype else _t(target)
    output, from_logits = _get_logits(output, from_logits, "sigmoid", "binary_crossentropy")
    if from_logits:
        if target.shape != output.shape:
            # NOTE: as tf.nn.sigmoid_cross_entropy_with_logits, which tf.keras uses on logits: no broadcasting
            raise ValueError(f"`logits` and `labels` must have the same shape, received ({output.shape} vs "
                             f"{target.shape}).")
        if _has_fused("sigmoid_cross_entropy"):
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

    Args:
        target: one-hot (or soft) labels of the shape of ``output``.
        output: probabilities, or logits when ``from_logits``.
        from_logits: whether ``output`` holds logits.
        axis: the class axis.
    Returns:
        A Tensor with ``axis`` reduced away.

    Example:
        >>> K.categorical_crossentropy(K.constant([[0.0, 1.0]]), K.constant([[0.5, 0.5]]))
        Tensor([0.6931472], dtype=float32)
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


def categorical_focal_crossentropy(target, output, alpha=0.25, gamma=2.0, from_logits=False, axis=-1):
    """Alpha-balanced focal crossentropy over ``axis`` (Lin et al., 2018), one value per sample.

    ``sum(alpha * (1 - p)^gamma * -target * log(p), axis)`` where ``p`` is ``output`` divided by its sum and
    clipped to [eps, 1 - eps] (the softmax of the logits when ``from_logits``, or of the logits behind an
    output made by a softmax). ``alpha`` is a float or one weight per class.

    Args:
        target: one-hot (or soft) labels of the shape of ``output``.
        output: probabilities, or logits when ``from_logits``.
        alpha: balancing weight (a float or a list, one per class).
        gamma: focusing exponent (0 gives ``alpha`` times the crossentropy).
        from_logits: whether ``output`` holds logits.
        axis: the class axis.
    Returns:
        A Tensor with ``axis`` reduced away.

    Example:
        >>> K.categorical_focal_crossentropy(K.constant([[0.0, 1.0]]), K.constant([[0.5, 0.5]]))
        Tensor([0.0433217], dtype=float32)
    """
    output = _float(output)
    target = _t(target)
    if target.dtype != output.dtype:
        target = ag.astype(target, output.dtype)
    if target.shape != output.shape and np.broadcast_shapes(target.shape, output.shape) != output.shape:
        raise ValueError(f"categorical_focal_crossentropy: target shape {target.shape} is not compatible with "
                         f"output shape {output.shape}")
    output, from_logits = _get_logits(output, from_logits, "softmax", "categorical_focal_crossentropy")
    if from_logits:
        output = ag.softmax(output, axis=axis)
    output = ag.divide(output, ag.sum(output, axis=axis, keepdims=True))
    eps = _eps_like(output)
    output = ag.clip(output, eps, np.asarray(1.0 - epsilon(), output.dtype))
    cce = ag.multiply(ag.negative(target), ag.log(output))
    modulating = ag.power(ag.subtract(np.asarray(1.0, output.dtype), output), np.asarray(gamma, output.dtype))
    weighting = ag.multiply(modulating, np.asarray(alpha, output.dtype))
    return ag.sum(ag.multiply(weighting, cce), axis=axis)


def binary_focal_crossentropy(target, output, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False):
    """Elementwise binary focal crossentropy (Lin et al., 2018), no reduction.

    ``(1 - p_t)^gamma * binary_crossentropy(target, output)`` with ``p_t = p`` where the label is 1 and
    ``1 - p`` where it is 0 (``p`` the sigmoid of ``output`` when ``from_logits``); with
    ``apply_class_balancing`` each value is also weighted by ``alpha`` (label 1) or ``1 - alpha`` (label 0).

    Args:
        target: 0/1 (or soft) labels.
        output: probabilities, or logits when ``from_logits``.
        apply_class_balancing: weight by ``alpha`` / ``1 - alpha``.
        alpha: the weight of the positive class.
        gamma: focusing exponent.
        from_logits: whether ``output`` holds logits.
    Returns:
        A Tensor of the shape of ``output``.

    Example:
        >>> K.binary_focal_crossentropy(K.constant([1.0, 0.0]), K.constant([0.0, 0.0]), from_logits=True)
        Tensor([0.1732868, 0.1732868], dtype=float32)
    """
    output = _float(output)
    target = _t(target)
    if target.dtype != output.dtype:
        target = ag.astype(target, output.dtype)
    one = np.asarray(1.0, output.dtype)
    sigmoidal = sigmoid(output) if from_logits else output
    p_t = ag.add(ag.multiply(target, sigmoidal), ag.multiply(ag.subtract(one, target), ag.subtract(one, sigmoidal)))
    focal_factor = ag.power(ag.subtract(one, p_t), np.asarray(gamma, output.dtype))
    focal_bce = ag.multiply(focal_factor, binary_crossentropy(target, output, from_logits=from_logits))
    if apply_class_balancing:
        a = np.asarray(alpha, output.dtype)
        weight = ag.add(ag.multiply(target, a), ag.multiply(ag.subtract(one, target), one - a))
        focal_bce = ag.multiply(weight, focal_bce)
    return focal_bce


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

    Args:
        target: integer class ids (shape of ``output`` without ``axis``).
        output: probabilities, or logits when ``from_logits``.
        from_logits: whether ``output`` holds logits.
        axis: the class axis.
        ignore_class: a class id whose entries get a loss of 0, or None.
    Returns:
        A Tensor with ``axis`` reduced away.

    Example:
        >>> K.sparse_categorical_crossentropy(np.array([1]), K.constant([[0.5, 0.5]]))
        Tensor([0.6931472], dtype=float32)
    """
    output = _float(output)
    labels = _int_labels(target)
    # NOTE: while autograd.trace records (a captured training step), the labels go through ops too, so that the
    # graph reads them from the step's inputs (the checks below still look at the numpy values)
    traced = ag.trace.active() is not None and isinstance(target, ag.Tensor)
    lab = (target if target.data.dtype.kind in "iu" else ag.astype(target, np.int64)) if traced else labels
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
        lab = ag.reshape(lab, out_shape) if traced else labels
    num_classes = output.shape[-1]
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
        if traced:
            valid = ag.not_equal(lab, ignore_class)
            lab = ag.where(valid, lab, np.zeros((), lab.dtype))
        else:
            lab = labels
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].ravel()[0]
        raise ValueError(f"sparse_categorical_crossentropy: received a label value of {bad} which is outside the "
                         f"valid range of [0, {num_classes})")
    if _has_fused("sparse_softmax_cross_entropy"):
        res = ag.sparse_softmax_cross_entropy(output, lab, axis=-1)
    else:
        if traced:
            onehot = ag.one_hot(lab, num_classes, dtype=output.dtype)
        else:
            onehot = np.zeros(output.shape, dtype=output.dtype)
            np.put_along_axis(onehot, labels[..., None], 1, axis=-1)
        res = ag.negative(ag.sum(ag.multiply(ag.log_softmax(output, axis=-1), onehot), axis=-1))
    if valid is not None:
        res = ag.multiply(res, ag.astype(valid, res.dtype) if traced else valid.astype(res.dtype))
    return res


# -- random -------------------------------------------------------------------------------------------


def _gen(seed):
    return random_state.make_generator(seed) if seed is not None else random_state.generator()


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A Tensor of normal draws.

    Example:
        >>> K.int_shape(K.random_normal((2, 3), seed=1))
        (2, 3)
    """
    dt = dtype or floatx()
    return ag.Tensor(_gen(seed).normal(mean, stddev, size=tuple(shape)).astype(dt))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """A Tensor of uniform draws in [minval, maxval).

    Example:
        >>> x = K.random_uniform((100,), minval=-1.0, maxval=1.0, seed=1)
        >>> bool(K.get_value(K.all(K.less(K.abs(x), 1.0))))
        True
    """
    dt = dtype or floatx()
    return ag.Tensor(_gen(seed).uniform(minval, maxval, size=tuple(shape)).astype(dt))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws, redrawn until within two standard deviations of the mean.

    Example:
        >>> x = K.truncated_normal((100,), stddev=0.1, seed=1)
        >>> bool(K.get_value(K.all(K.less_equal(K.abs(x), 0.2))))
        True
    """
    gen = _gen(seed)
    shape = tuple(shape)
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return ag.Tensor((out * stddev + mean).astype(dtype or floatx()))


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """A Tensor of 0/1 draws that are 1 with probability ``p``.

    Example:
        >>> K.random_bernoulli((3,), p=1.0, seed=1)
        Tensor([1., 1., 1.], dtype=float32)
    """
    return ag.Tensor((_gen(seed).random(tuple(shape)) < p).astype(dtype or floatx()))


random_binomial = random_bernoulli


# -- the rest of tf.keras's backend, one module per concern (kerasfront/_backend/) -----------------------
from ._backend.nn import *  # noqa: E402,F401,F403
from ._backend.tensor_ops import *  # noqa: E402,F401,F403
from ._backend.control_flow import *  # noqa: E402,F401,F403
from ._backend.variables import *  # noqa: E402,F401,F403
from ._backend.sparse import *  # noqa: E402,F401,F403
from ._backend.ctc import *  # noqa: E402,F401,F403
from ._backend import experimental  # noqa: E402,F401
