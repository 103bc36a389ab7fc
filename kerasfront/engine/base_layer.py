"""Layer: the base class of every Keras layer and model.

A layer stores its validated configuration in ``__init__``, creates its weights in ``build(input_shape)``
with ``add_weight``, computes in ``call(inputs, training=None, mask=None)`` with autograd ops, and
round-trips through ``get_config()`` / ``from_config()``. Calling a layer on a symbolic ``KerasTensor``
(from ``Input``) records a ``Node`` (the functional API); calling it on arrays or Tensors runs it.

Example:
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight("w", shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, inputs):
    ...         return inputs * self.w
    >>> Scale()(np.ones((2, 3), "float32")).shape
    (2, 3)
"""
import contextlib
import functools
import inspect
import json
import re
import types
import weakref

import numpy as np

import autograd as ag
from autograd.modes import STATE as _AG_STATE
from autograd.tensor import Tensor

from ..variables import Variable
from . import nest, strings
from .input_spec import InputSpec, assert_input_compatibility  # noqa: F401  (re-exported for layer authors)

# ---------------------------------------------------------------------------------------------------------
# unique names ("dense", "dense_1", ...), reset by backend.clear_session()
# ---------------------------------------------------------------------------------------------------------
_UIDS = {}


def to_snake_case(name):
    """``"BatchNormalization"`` -> ``"batch_normalization"``, ``"Conv2D"`` -> ``"conv2d"`` (Keras's rule; digits
    after capitals stay attached: ``"ConvLSTM2D"`` -> ``"conv_lstm2d"``).

    Example:
        >>> to_snake_case("BatchNormalization"), to_snake_case("Conv2D"), to_snake_case("ConvLSTM2D")
        ('batch_normalization', 'conv2d', 'conv_lstm2d')
    """
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return "private" + s if s.startswith("_") else s


def unique_object_name(base, zero_based=True):
    """The next free name for ``base``: ``base``, ``base_1``, ... (or ``base_1``, ``base_2`` when not
    zero-based, as Keras names inputs).

    Example:
        >>> unique_object_name("doc_example"), unique_object_name("doc_example")
        ('doc_example', 'doc_example_1')
    """
    n = _UIDS.get(base, 0)
    _UIDS[base] = n + 1
    if zero_based:
        return base if n == 0 else f"{base}_{n}"
    return f"{base}_{n + 1}"


def reset_name_uids():
    """Forget every name counter (``clear_session`` calls this).

    Example:
        >>> reset_name_uids()
        >>> unique_object_name("dense")
        'dense'
    """
    _UIDS.clear()


#: bumped whenever weights are created or trainability changes, so models can cache their variable lists
STRUCTURE_VERSION = [0]
#: bumped whenever add_metric tracks a new metric, or a Metric is set on or removed from a layer's attribute
#: (models cache the list of their layers' metrics)
METRICS_VERSION = [0]
#: bumped whenever a layer's (or a loss's) attribute is set to a plain Python value (a number, a string, a bool,
#: None, a tuple of them) other than the one it held: a captured training step (engine/step_capture.py) read the
#: old value while it was recorded, and checks its layers' values again when this moves
ATTRIBUTE_VERSION = [0]
_MISSING = object()
_PLAIN_TYPES = (bool, int, float, str, type(None), np.bool_, np.number)


_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)


def is_plain_value(value):
    """True for the Python values a step may read from an attribute as constants: numbers, strings, bools,
    None, tuples of them (``layer.rate``, ``layer.strides``), and functions (``layer.activation``)."""
    if isinstance(value, tuple):
        return all(isinstance(v, _PLAIN_TYPES) for v in value)
    return isinstance(value, _PLAIN_TYPES) or isinstance(value, _FUNCTION_TYPES)


def note_attribute_set(old, value):
    """Move ``ATTRIBUTE_VERSION`` when an attribute changes from ``old`` to a different plain ``value``."""
    if is_plain_value(value) and (type(old) is not type(value) or not _plain_equal(old, value)):
        ATTRIBUTE_VERSION[0] += 1


def _plain_equal(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


#: the Metric base class, set by ``metrics.py`` when it is imported (the engine does not import metrics)
_METRIC_TYPES = ()


def _holds_metric(value):
    """True for a Metric, or a list, tuple or dict holding one at any depth (what a layer tracks as its
    metrics)."""
    if not isinstance(value, (list, tuple, dict)):
        return isinstance(value, _METRIC_TYPES)       # NOTE: the common case, on every attribute set: no generator
    for _ in _metrics_in(value):
        return True
    return False


def _metrics_in(value, depth=0):
    """The Metrics in an attribute's value, in order: the value itself, or those held by lists, tuples and dict
    values nested in it (tf.keras flattens an attribute's structure to find them).

    Example:
        >>> m = kerasfront.metrics.Mean(); list(_metrics_in({"a": [m]})) == [m]
        True
    """
    if isinstance(value, _METRIC_TYPES):
        yield value
    elif depth < _MAX_NESTING and isinstance(value, (list, tuple, dict)):
        for v in (value.values() if isinstance(value, dict) else value):
            # NOTE: plain values (numbers, strings, arrays) are by far the most common items: skip them quickly
            if isinstance(v, (list, tuple, dict)) or isinstance(v, _METRIC_TYPES):
                yield from _metrics_in(v, depth + 1)


#: how deep nested lists / tuples / dicts of an attribute are searched for Metrics (a guard against cycles)
_MAX_NESTING = 8


# ---------------------------------------------------------------------------------------------------------
# name scopes: weights are named "<scope>/.../<weight>:0"
# ---------------------------------------------------------------------------------------------------------
_SCOPES = []
#: callables ``check(layer, name, shape, dtype)`` run before a weight's memory is allocated (kerasfront.saving
#: uses one to refuse absurd weight shapes in a loaded config before they exhaust memory)
WEIGHT_ALLOCATION_CHECKS = []
#: while true (inside ``deferred_weight_values()``), add_weight makes weights without values
_DEFERRED_VALUES = [False]


@contextlib.contextmanager
def deferred_weight_values():
    """Create weights without allocating or initializing their values (a shape-only build).

    Inside, ``add_weight`` gives each weight a read-only zero view of its shape (no memory, no initializer
    run): the model has its layers, weight names, shapes and output shapes (``summary()``, ``count_params()``)
    at no memory cost. ``set_weights`` / ``load_weights`` / ``Variable.assign`` then give a weight a value
    of its own; until then it reads as zeros and cannot be updated in place (training it is an error).
    ``keras.applications`` builds this way when the values come from a file anyway.

    Example:
        >>> with deferred_weight_values():
        ...     model = kerasfront.applications.ConvNeXtXLarge(weights=None)   # 350M weights, no memory
        >>> model.count_params()
        350196968
    """
    previous = _DEFERRED_VALUES[0]
    _DEFERRED_VALUES[0] = True
    try:
        yield
    finally:
        _DEFERRED_VALUES[0] = previous


@contextlib.contextmanager
def name_scope(name):
    """Prefix the names of weights created inside with ``name/`` (LSTM uses it for ``lstm/lstm_cell/...``).

    Example:
        >>> with name_scope(self.cell.name):
        ...     self.cell.build(input_shape)
    """
    _SCOPES.append(name)
    try:
        yield
    finally:
        _SCOPES.pop()


def current_name_scope():
    """The active scope path, ``"a/b"`` (empty string outside any scope).

    Example:
        >>> current_name_scope()
        ''
    """
    return "/".join(_SCOPES)


# ---------------------------------------------------------------------------------------------------------
# call context: training flag inherited by nested calls, call depth, shape inference, added losses
# ---------------------------------------------------------------------------------------------------------
class _CallContext:
    __slots__ = ("training", "depth", "shape_inference", "loss_epoch", "step_losses")

    def __init__(self):
        self.training = None
        self.depth = 0
        self.shape_inference = False
        self.loss_epoch = 0
        self.step_losses = []


_CTX = _CallContext()


def in_shape_inference():
    """True while a layer runs on a placeholder batch to infer output shapes (a symbolic call).

    Layers with side effects (moving statistics, random draws) should skip them then.

    Example:
        >>> in_shape_inference()
        False
    """
    return _CTX.shape_inference


def current_training():
    """The ``training`` value set by an enclosing call (None when no caller set one).

    Example:
        >>> current_training() is None
        True
    """
    return _CTX.training


# ---------------------------------------------------------------------------------------------------------
# masks: an eager tensor's mask, kept beside it (Tensors have __slots__, so no ``_keras_mask`` attribute)
# ---------------------------------------------------------------------------------------------------------
_MASKS = {}


def _forget_mask(key, ref):
    entry = _MASKS.get(key)
    if entry is not None and entry[0] is ref:
        del _MASKS[key]


def set_mask(tensor, mask):
    """Attach ``mask`` (a boolean Tensor, or None to remove) to ``tensor``.

    Example:
        >>> t = ag.Tensor(np.ones(2, "float32"))
        >>> set_mask(t, ag.Tensor(np.array([True, False])))
        >>> get_mask(t)
        Tensor([ True, False])
    """
    key = id(tensor)
    if mask is None:
        if _MASKS:
            entry = _MASKS.get(key)
            if entry is not None and entry[0]() is tensor:
                del _MASKS[key]
        return
    _MASKS[key] = (weakref.ref(tensor, lambda r, k=key: _forget_mask(k, r)), mask)


def get_mask(tensor):
    """The mask attached to ``tensor`` by the layer that made it (None when it has none).

    Example:
        >>> get_mask(ag.Tensor(np.ones(2, "float32"))) is None
        True
    """
    if not _MASKS:
        return None
    entry = _MASKS.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


# ---------------------------------------------------------------------------------------------------------
# what a layer's ``call`` accepts, found once per class
# ---------------------------------------------------------------------------------------------------------
class _CallInfo:
    __slots__ = ("has_training", "has_mask", "var_kwargs", "arg_names", "overrides_compute_mask")


_CALL_INFO = {}


def _call_info(cls):
    info = _CALL_INFO.get(cls)
    if info is None:
        info = _CallInfo()
        params = list(inspect.signature(cls.call).parameters.values())[1:]
        names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        info.var_kwargs = any(p.kind == p.VAR_KEYWORD for p in params)
        info.has_training = "training" in names
        info.has_mask = "mask" in names
        info.arg_names = names
        info.overrides_compute_mask = cls.compute_mask is not Layer.compute_mask
        _CALL_INFO[cls] = info
    return info


_ALLOWED_KWARGS = frozenset({"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights",
                             "activity_regularizer", "autocast", "implementation"})
_FLOAT_DTYPES = ("float16", "float32", "float64", "bfloat16")


def _mixed_precision_policy():
    from ..mixed_precision import policy
    return policy


def _mixed_precision_autocast():
    from ..mixed_precision import autocast
    return autocast


def _dtype_name(dtype, layer_desc):
    if dtype is None:
        return "float32"
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    if strings.is_string_dtype(dtype):
        return strings.STRING
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"{layer_desc}: dtype must be a dtype name such as 'float32', received {dtype!r}") from None
    return name


def _is_keras_tensor(x):
    from .input_layer import KerasTensor
    return isinstance(x, KerasTensor)


def _contains_keras_tensor(x):
    from .input_layer import KerasTensor
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_keras_tensor(v) for v in x)
    if isinstance(x, dict):
        return any(_contains_keras_tensor(v) for v in x.values())
    return False


def _shape_structure(x):
    """Shapes of a structure of tensors: a tuple for one, a list of tuples for several."""
    if isinstance(x, (list, tuple)):
        return [_shape_structure(v) for v in x]
    if isinstance(x, dict):
        return {k: _shape_structure(v) for k, v in x.items()}
    return tuple(x.shape)


def _json_safe(value):
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


_NO_IDENTIFIER = object()


def _name_the_argument(error, init, layer, args, kwargs):
    """Prefix ``error`` (from an initializer / regularizer / constraint / activation ``get``, which knows the bad
    identifier but not the argument) with the layer and the constructor argument that held the identifier; the
    outermost constructor that received it names it last (ConvLSTM2D rather than the cell it makes)."""
    identifier = getattr(error, "identifier", _NO_IDENTIFIER)
    if identifier is _NO_IDENTIFIER or not error.args:
        return
    try:
        bound = inspect.signature(init).bind(layer, *args, **kwargs).arguments
    except TypeError:
        return
    named = []
    for key, value in bound.items():
        items = value.items() if isinstance(value, dict) and key == "kwargs" else [(key, value)]
        named.extend(k for k, v in items if v is identifier)
    if not named:
        return
    if not hasattr(error, "unnamed_message"):
        error.unnamed_message = error.args[0]
    error.args = (f"{type(layer).__name__}: `{named[0]}`={identifier!r}: {error.unnamed_message}",) + error.args[1:]


def _names_identifier_errors(init):
    """Wrap a layer class's ``__init__`` so that an unknown initializer, regularizer, constraint or activation
    names the argument it was given as (``Conv3D: `kernel_initializer`='nope': Unknown initializer ...``)."""
    if getattr(init, "_names_identifier_errors", False):
        return init

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except (ValueError, TypeError) as e:
            _name_the_argument(e, init, self, args, kwargs)
            raise
    __init__._names_identifier_errors = True
    return __init__


class Layer:
    """Base class of every layer (and of ``Model``).

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; default ``snake_case(ClassName)`` made unique (``dense``, ``dense_1``...).
        dtype: the dtype of the weights and computations (default ``'float32'``).
        input_shape / batch_input_shape / input_dim / batch_size: on the first layer of a Sequential model,
            the shape of its input (without / with the batch axis).
        activity_regularizer: a regularizer applied to the layer's output, added to ``losses``.

    Subclasses implement ``build(input_shape)``, ``call(inputs, training=None, mask=None)`` and
    ``get_config()``.

    Example:
        >>> class Double(Layer):
        ...     def call(self, inputs):
        ...         return inputs * 2
        >>> Double()(np.ones((1, 2), "float32"))
        Tensor([[2., 2.]], dtype=float32)
    """

    # NOTE: bfloat16 compute is simulated by rounding a layer's outputs; a model's outputs are its layers'
    # (a float32 output layer stays unrounded), so Model turns this off
    _rounds_bfloat16_outputs = True

    #: layers push their own name as weight-name scope while they build; functional models do not
    _pushes_name_scope = True
    #: layers that take text (numpy object arrays of str, see ``engine/strings.py``) set this to True
    _accepts_strings = False
    #: models note the input signatures they are called with (what saving to a folder traces)
    _records_signatures = False

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj._init_args = (args, kwargs)
        return obj

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _names_identifier_errors(cls.__dict__["__init__"])

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        cls_name = type(self).__name__
        for key in kwargs:
            if key not in _ALLOWED_KWARGS:
                raise TypeError(f"{cls_name}: keyword argument not understood: '{key}'. Known keyword arguments "
                                f"of every layer: {sorted(_ALLOWED_KWARGS)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{cls_name}(name=...): expected a string, received {name!r}")
        # NOTE: tf.keras accepts '/' in names (DenseNet's "conv1/conv", MobileNetV3's "Conv/BatchNorm"): HDF5 files
        # keep such a layer in nested groups, which reading by the same path finds again
        if name is not None and not name:
            raise ValueError(f"{cls_name}(name=...): expected a non-empty name, received {name!r}")
        if not isinstance(trainable, (bool, np.bool_)):
            raise TypeError(f"{cls_name}(trainable=...): expected True or False, received {trainable!r}")
        self._name = name if name is not None else self._default_name()
        self._trainable = bool(trainable)
        self._set_dtype_policy(dtype)
        # NOTE: as tf.keras's autocast: only a layer computing in floats casts floating inputs to its dtype
        self._autocast = bool(kwargs.get("autocast", True)) and self._np_dtype.kind == "f"
        self.dynamic = dynamic
        self.built = False
        self._build_input_shape = None
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._callable_losses = []
        self._metrics = []
        self._eager_losses = []
        self._loss_epoch = -1
        self._inbound_nodes = []
        self._outbound_nodes = []
        if not hasattr(self, "supports_masking"):
            self.supports_masking = False
        if not hasattr(self, "input_spec"):
            self.input_spec = None
        self._call_info = _call_info(type(self))
        # input shape given to the first layer of a Sequential model
        batch_input_shape = kwargs.get("batch_input_shape")
        if "input_dim" in kwargs and "input_shape" not in kwargs:
            kwargs["input_shape"] = (kwargs["input_dim"],)
        if batch_input_shape is None and kwargs.get("input_shape") is not None:
            input_shape = kwargs["input_shape"]
            if isinstance(input_shape, (int, np.integer)):
                input_shape = (int(input_shape),)
            if not isinstance(input_shape, (list, tuple)):
                raise TypeError(f"{cls_name}(input_shape=...): expected a tuple of ints (without the batch axis), "
                                f"received {input_shape!r}")
            batch_input_shape = (kwargs.get("batch_size"),) + tuple(input_shape)
        self._batch_input_shape = tuple(batch_input_shape) if batch_input_shape is not None else None
        if self._batch_input_shape is not None:
            for d in self._batch_input_shape:
                if d is not None and (not isinstance(d, (int, np.integer)) or d < 0):
                    raise ValueError(f"{cls_name}: input_shape must hold non-negative ints or None, received "
                                     f"{self._batch_input_shape[1:]}")
        self._initial_weights = kwargs.get("weights")
        act = kwargs.get("activity_regularizer")
        if act is not None:
            from .. import regularizers
            act = regularizers.get(act)
        self._activity_regularizer = act

    def _default_name(self):
        return unique_object_name(to_snake_case(type(self).__name__), zero_based=True)

    # -- basic attributes ----------------------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    def _set_dtype_policy(self, dtype):
        """Take ``dtype`` (None: the global policy; a dtype, a policy name, a Policy or its config) as the layer's
        dtype policy: weights in its variable dtype, computations in its compute dtype."""
        policy = _mixed_precision_policy().layer_policy(dtype, f"{type(self).__name__}(dtype=...)")
        self._dtype_policy = policy
        self._mixed = policy.is_mixed
        self._dtype = policy.variable_dtype
        # NOTE: bfloat16 is carried in float32 arrays (rounded at the layer's boundaries; mixed_precision.autocast)
        self._np_dtype = np.dtype("float32") if policy.compute_dtype == "bfloat16" else \
            strings.numpy_dtype(policy.compute_dtype)

    @property
    def dtype(self):
        """The dtype of the layer's weights (``'float32'``, also under the mixed policies), as tf.keras."""
        return self._dtype

    @property
    def compute_dtype(self):
        """The dtype the layer computes in (``'float16'`` under "mixed_float16")."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self._dtype

    @property
    def dtype_policy(self):
        """The layer's ``mixed_precision.Policy``."""
        return self._dtype_policy

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        from .. import regularizers
        self._activity_regularizer = regularizers.get(value) if value is not None else None

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"Layer {self.name}: trainable must be True or False, received {value!r}")
        for layer in self._flatten_layers():
            layer._trainable = bool(value)
        STRUCTURE_VERSION[0] += 1

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} name={self.name}, built={self.built}>"

    # NOTE: as tf.keras, a Metric set as an attribute (at any time) is tracked: the models' cached metric lists
    # are refreshed when one is set, replaced or deleted
    def __setattr__(self, name, value):
        old = self.__dict__.get(name, _MISSING)
        object.__setattr__(self, name, value)
        if _holds_metric(value) or _holds_metric(old):
            METRICS_VERSION[0] += 1
        note_attribute_set(old, value)

    def __delattr__(self, name):
        old = self.__dict__.get(name)
        object.__delattr__(self, name)
        if _holds_metric(old):
            METRICS_VERSION[0] += 1

    # -- sublayers ---------------------------------------------------------------------------------------
    _NOT_SUBLAYER_ATTRS = frozenset({"_inbound_nodes", "_outbound_nodes", "_init_args", "_call_info"})

    def _sublayers(self):
        """Layers held by this one as attributes (or in lists/tuples/dicts of attributes), in the order they
        were assigned."""
        out = []
        for key, value in self.__dict__.items():
            if key in self._NOT_SUBLAYER_ATTRS:
                continue
            if isinstance(value, Layer):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.extend(v for v in value if isinstance(v, Layer))
            elif isinstance(value, dict):
                out.extend(v for v in value.values() if isinstance(v, Layer))
        return out

    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer and every layer it holds, depth first, each once."""
        seen = set()
        if include_self:
            seen.add(id(self))
            yield self
        stack = list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen or layer is self:
                continue
            seen.add(id(layer))
            yield layer
            if recursive:
                stack.extend(reversed(layer._sublayers()))

    @property
    def submodules(self):
        return list(self._flatten_layers(include_self=False))

    # -- weights -------------------------------------------------------------------------------------------
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                   constraint=None, use_resource=None, synchronization=None, aggregation=None, **kwargs):
        """Create a weight Variable named ``"<scope>/<name>:0"`` and track it.

        Args:
            name: the weight's name (``"kernel"``); the layer's name scope is prepended.
            shape: a tuple of ints (default ``()``).
            dtype: default the layer's dtype.
            initializer: a name, an initializer object or callable ``(shape, dtype) -> Tensor``
                (default ``glorot_uniform`` for floats, ``zeros`` otherwise).
            regularizer: a name, object or callable ``w -> scalar``; its value joins ``layer.losses``.
            trainable: whether training updates it (default True).
            constraint: a callable ``w -> w'`` applied after each optimizer update.

        Example:
            >>> self.kernel = self.add_weight("kernel", (in_dim, self.units), initializer="glorot_uniform")
        """
        desc = f"Layer {self.name}: add_weight(name={name!r})"
        if name is None:
            name = "Variable"
        if not isinstance(name, str):
            raise TypeError(f"Layer {self.name}: add_weight(name=...) expected a string, received {name!r}")
        shape = () if shape is None else shape
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        try:
            shape = tuple(int(d) for d in shape)
        except (TypeError, ValueError):
            raise ValueError(f"{desc}: shape must be a tuple of ints, received {shape!r} (a None dimension usually "
                             f"means the layer was built on an input whose feature size is unknown)") from None
        if any(d < 0 for d in shape):
            raise ValueError(f"{desc}: shape must hold non-negative ints, received {shape}")
        dtype = _dtype_name(dtype, desc) if dtype is not None else self._dtype
        if dtype == strings.STRING:
            raise TypeError(f"{desc}: weights hold numbers; give a numeric dtype (the layer's dtype is 'string')")
        is_float = np.dtype(dtype).kind == "f"
        autocast = bool(kwargs.pop("experimental_autocast", True))
        if trainable is None:
            trainable = True
        if not is_float:
            trainable = False  # NOTE: only floating-point weights can be differentiated
        from .. import initializers
        if initializer is None:
            initializer = "glorot_uniform" if is_float else "zeros"
        init = initializers.get(initializer)
        for check in WEIGHT_ALLOCATION_CHECKS:
            check(self, name, shape, dtype)
        if constraint is not None:
            from .. import constraints
            constraint = constraints.get(constraint)
        full_name = "/".join(_SCOPES + [name]) + ":0"
        if _DEFERRED_VALUES[0]:
            var = Variable.deferred(shape, dtype, name=full_name, trainable=trainable, constraint=constraint)
        else:
            value = init(shape, dtype=dtype)
            value = value.data if isinstance(value, Tensor) else np.asarray(value, dtype=dtype)
            if value.shape != shape:
                raise ValueError(f"{desc}: the initializer returned shape {value.shape}, expected {shape}")
            var = Variable(value, name=full_name, trainable=trainable, dtype=dtype, constraint=constraint)
        if autocast and is_float and self._mixed:
            # NOTE: read in the compute dtype while the layer runs (tf.keras's AutoCastVariable; see
            # mixed_precision/autocast.py)
            self.__dict__.setdefault("_autocast_ids", set()).add(id(var))
        if trainable:
            self._trainable_weights.append(var)
        else:
            self._non_trainable_weights.append(var)
        STRUCTURE_VERSION[0] += 1
        if regularizer is not None:
            from .. import regularizers
            reg = regularizers.get(regularizer)
            self._callable_losses.append(lambda reg=reg, var=var: reg(var))
        return var

    add_variable = add_weight

    @staticmethod
    def _dedup(weights):
        seen = set()
        out = []
        for w in weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def trainable_weights(self):
        """Weights updated by training: this layer's, then its sublayers' (empty when not trainable)."""
        if not self._trainable:
            return []
        out = list(self._trainable_weights)
        for layer in self._sublayers():
            out.extend(layer.trainable_weights)
        return self._dedup(out)

    @property
    def non_trainable_weights(self):
        """Weights training does not update (all of them when the layer is frozen)."""
        if self._trainable:
            out = list(self._non_trainable_weights)
            for layer in self._sublayers():
                out.extend(layer.non_trainable_weights)
        else:
            out = self._trainable_weights + self._non_trainable_weights
            for layer in self._sublayers():
                out.extend(layer.weights)
        return self._dedup(out)

    @property
    def weights(self):
        """All weights: trainable first, then non-trainable (Keras's order, as saved in files)."""
        return self._dedup(self.trainable_weights + self.non_trainable_weights)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def _holds_layer_weights(self):
        """True once this layer or one of its sublayers has created a weight. A model's metric trackers hold
        variables from the start (they are in ``model.weights``), so this, not ``weights``, tells whether a
        subclassed model has been built.

        Example:
            >>> kerasfront.layers.Dense(2)._holds_layer_weights()
            False
        """
        if self._trainable_weights or self._non_trainable_weights:
            return True
        return any(layer._holds_layer_weights() for layer in self._sublayers())

    def get_weights(self):
        """The weights' values as numpy arrays, in ``weights`` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Set every weight from a list of arrays (``get_weights`` order); checks count and shapes first,
        so a bad list changes nothing."""
        params = self.weights
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"Layer {self.name}: set_weights(weights) expected a list of arrays, received "
                            f"{type(weights).__name__}")
        if len(weights) != len(params):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self.name}" with a weight list of length '
                f"{len(weights)}, but the layer was expecting {len(params)} weights"
                + (" (is the layer built?)" if not self.built else "")
                + f". Expected shapes: {[tuple(p.shape) for p in params]}")
        arrays = []
        for p, w in zip(params, weights):
            a = np.asarray(w.data if isinstance(w, Tensor) else w)
            if not (p.accepts_shape(a.shape) if hasattr(p, "accepts_shape") else a.shape == p.shape):
                raise ValueError(f'Layer "{self.name}" weight "{p.name}" has shape {tuple(p.shape)}, which is not '
                                 f"compatible with the provided weight shape {a.shape}")
            if a.dtype.kind not in "fiub":
                raise TypeError(f'Layer "{self.name}" weight "{p.name}": expected a numeric array, received dtype '
                                f"{a.dtype}")
            arrays.append(a)
        for p, a in zip(params, arrays):
            p.assign(a)

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer {self.name}, but the layer isn't built. "
                             f"You can build it manually via: `{self.name}.build(batch_input_shape)`.")
        return int(sum(int(np.prod(w.shape, dtype=np.int64)) for w in self.weights))

    # -- losses --------------------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss (a Tensor, or a zero-argument callable computed when ``losses`` is read).

        Losses added during ``call`` belong to the latest outermost call and join the training loss.
        """
        if callable(loss) and not isinstance(loss, Tensor):
            self._callable_losses.append(loss)
            return
        ctx = _CTX
        if ctx.shape_inference:
            return
        if _is_keras_tensor(loss):
            if getattr(self, "_is_graph_network", False):
                self._graph_network_add_loss(loss)          # model.add_loss(symbolic): an AddLoss layer
                return
            raise NotImplementedError(f"Layer {self.name}: add_loss() of a symbolic tensor is supported on a "
                                      f"functional model (model.add_loss(...)); in a layer, add the loss inside "
                                      f"its call() instead")
        if not isinstance(loss, Tensor):
            loss = ag.Tensor(np.asarray(loss, dtype=self._np_dtype))
        if self._loss_epoch != ctx.loss_epoch:
            self._eager_losses = []
            self._loss_epoch = ctx.loss_epoch
        self._eager_losses.append(loss)
        ctx.step_losses.append(loss)

    # -- metrics -------------------------------------------------------------------------------------------
    def add_metric(self, value, name=None, **kwargs):
        """Track ``value`` as a metric of this layer, as tf.keras's ``add_metric``: shown in the progress bar,
        the logs and ``history`` (``val_`` in validation), averaged over the epoch and reset each epoch.

        Inside ``call``: the result of calling a ``Metric`` (``self.add_metric(self.acc(y, p))``, ``name`` may be
        None) tracks that metric itself; any other value (a name is required) is averaged by a ``Mean`` named
        ``name``. On a functional model, outside any call: a symbolic tensor of its graph becomes part of the
        model (an ``AddMetric`` layer). ``aggregation`` is the only keyword accepted (the values are averaged).

        Example:
            >>> class ActivityMean(kerasfront.layers.Layer):
            ...     def call(self, inputs):
            ...         self.add_metric(ag.mean(inputs), name="activity_mean")
            ...         return inputs
        """
        from ..metrics import Mean, metric_of_result
        from .input_layer import KerasTensor
        keys = list(kwargs)
        if len(keys) > 1 or (len(keys) == 1 and keys[0] != "aggregation"):
            raise TypeError(f"Unknown keyword arguments: {kwargs.keys()}. Expected `aggregation`.")
        metric_obj = metric_of_result(value)
        is_symbolic = isinstance(value, KerasTensor)
        in_call = _CTX.depth > 0
        if name is None and metric_obj is None:
            raise ValueError("Please provide a name for your metric like `self.add_metric(tf.reduce_sum(inputs), "
                             "name='mean_activation')`")
        if metric_obj is not None:
            name = metric_obj.name
        if not in_call and not is_symbolic:
            raise ValueError(f"Expected a symbolic Tensor for the metric value, received: {value!r:.200}")
        if in_call or not getattr(self, "_is_graph_network", False):
            own = self.__dict__.setdefault("_metrics", [])
            existing = [m for m in own if m.name == name]
            if existing:
                metric = existing[0]
            else:
                metric = metric_obj if metric_obj is not None else Mean(
                    name=name, dtype=getattr(value, "dtype", None))
                own.append(metric)
                METRICS_VERSION[0] += 1
            # NOTE: a value computed on a placeholder batch (a symbolic call) creates the metric but adds nothing
            if metric_obj is None and not _CTX.shape_inference:
                with ag.no_grad():
                    metric.update_state(value)
            return
        if metric_obj is not None:
            raise ValueError("Using the result of calling a `Metric` object when calling `add_metric` on a "
                             "Functional Model is not supported. Please pass the Tensor to monitor directly.")
        self._graph_network_add_metric(value, "mean", name)

    #: attributes the framework sets that hold metrics a user did not set as attributes: ``add_metric``'s, and
    #: ``compile``'s arguments (tf.keras does not track either as attribute metrics)
    _NOT_TRACKED_METRIC_ATTRS = frozenset({"_metrics", "_compile_args", "_layer_metrics_cache"})

    def _attribute_metrics(self):
        """The Metric objects this layer holds as attributes (directly, or in lists, tuples and dicts), in the
        order they were assigned: tf.keras tracks them."""
        out = []
        for key, value in self.__dict__.items():
            if key not in self._NOT_TRACKED_METRIC_ATTRS and key not in self._NOT_SUBLAYER_ATTRS:
                out.extend(_metrics_in(value))
        return out

    def _own_metrics(self):
        """The Metric objects this layer holds as attributes (tf.keras tracks them), then those ``add_metric``
        made."""
        out = self._dedup(self._attribute_metrics())
        out.extend(m for m in self.__dict__.get("_metrics", ()) if not any(m is o for o in out))
        return out

    @property
    def metrics(self):
        """The metrics of this layer and its sublayers (attributes and ``add_metric``)."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._own_metrics())
        return out

    @property
    def losses(self):
        """Regularization losses of this layer and its sublayers: weight regularizers (computed now) and the
        losses added during the latest call."""
        out = []
        epoch = _CTX.loss_epoch
        for layer in self._flatten_layers():
            if layer._eager_losses and layer._loss_epoch == epoch:
                out.extend(layer._eager_losses)
            for fn in layer._callable_losses:
                out.append(fn())
        return out

    # -- build / call ----------------------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (a tuple with ``None`` batch, or a list of them).
        The base version only records the shape."""
        self._build_input_shape = input_shape
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The computation, written with autograd ops. The base layer returns its inputs."""
        return inputs

    def compute_mask(self, inputs, mask=None):
        """The mask of the output: the input mask for layers that support masking, else None."""
        if not self.supports_masking:
            return None
        return mask

    def _maybe_build(self, input_shape):
        if self.built:
            return
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, _flat_shapes_of(input_shape), self.name)
        if not getattr(type(self).build, "_skip_in_call", False):
            self.build(input_shape)
        self.built = True
        if self._build_input_shape is None:
            self._build_input_shape = input_shape
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def _convert(self, x):
        """Turn arrays, lists and numbers into Tensors; cast floating inputs to the layer's dtype."""
        if isinstance(x, Tensor):
            if self._autocast and x.data.dtype.kind == "f" and x.data.dtype != self._np_dtype:
                return ag.astype(x, self._np_dtype)
            return x
        if isinstance(x, np.ndarray):
            kind = x.dtype.kind
            if kind == "f":
                if x.dtype != self._np_dtype and self._autocast:
                    x = x.astype(self._np_dtype)
                return ag.Tensor(x)
            if kind in "iub":
                return ag.Tensor(x)
            if kind in "USO" and self._accepts_strings:
                return strings.to_string_array(x, f"Layer {self.name} inputs")
            raise TypeError(f"Layer {self.name}: expected numeric input, received an array of dtype {x.dtype}"
                            + (" (only preprocessing layers such as TextVectorization or StringLookup take strings)"
                               if kind in "USO" else ""))
        if isinstance(x, dict):
            return {k: self._convert(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)) and _has_arrays(x):
            return type(x)(self._convert(v) for v in x)
        if x is None:
            return None
        try:
            arr = np.asarray(x)
        except ValueError:
            raise ValueError(f"Layer {self.name}: cannot turn the input into an array (ragged nested lists?): "
                             f"{_short_repr(x)}") from None
        if arr.dtype.kind == "f" or (arr.dtype.kind in "iu" and self._np_dtype.kind == "f"
                                     and not getattr(self, "_keep_int_inputs", False)):
            arr = arr.astype(self._np_dtype)
        if arr.dtype.kind in "USO" and self._accepts_strings:
            return strings.to_string_array(arr, f"Layer {self.name} inputs")
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"Layer {self.name}: expected numeric input, received {_short_repr(x)} "
                            f"(dtype {arr.dtype})")
        return ag.Tensor(arr)

    def __call__(self, *args, **kwargs):
        """Run the layer on Tensors/arrays, or record a node when called on KerasTensors."""
        if args:
            inputs = args[0]
            args = args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise TypeError(f"Layer {self.name}: __call__() is missing the 'inputs' argument")
        if type(inputs) is not Tensor and (_contains_keras_tensor(inputs) or
                                           any(_contains_keras_tensor(a) for a in args) or
                                           any(_contains_keras_tensor(v) for v in kwargs.values())):
            return self._symbolic_call(inputs, args, kwargs)
        if type(inputs) is not Tensor:
            inputs = self._convert(inputs)
        return self._eager_call(inputs, args, kwargs, True)

    def _eager_call(self, inputs, args, kwargs, check):
        """Run ``call`` on converted inputs: build on first use, resolve ``training`` and ``mask``, record the
        output mask and the activity regularization."""
        ctx = _CTX
        top_inputs = None
        if ctx.depth == 0 and not ctx.shape_inference:
            ctx.loss_epoch += 1
            ctx.step_losses = []
            if self._records_signatures:
                top_inputs = inputs         # its signature is remembered once the call has succeeded
        pushed = False
        if not self.built:
            if self._pushes_name_scope:
                _SCOPES.append(self._name)
                pushed = True
            try:
                self._maybe_build(_shape_structure(inputs))
            except BaseException:
                _SCOPES.pop() if pushed else None
                raise
        elif check and self.input_spec is not None:
            assert_input_compatibility(self.input_spec, _flat_shapes(inputs), self._name)
        if self._autocast:
            # NOTE: as tf.keras's autocast: floating inputs take the layer's dtype (ints are left alone)
            if type(inputs) is Tensor:
                d = inputs.data.dtype
                if d != self._np_dtype and d.kind == "f":
                    inputs = _cast_keeping_mask(inputs, self._np_dtype)
            elif isinstance(inputs, (list, tuple)):
                inputs = _autocast_list(inputs, self._np_dtype)
        info = self._call_info
        prev_training = ctx.training
        training = kwargs.get("training")
        if training is not None:
            if not info.has_training and not info.var_kwargs:
                del kwargs["training"]
            ctx.training = bool(training) if not isinstance(training, Tensor) else bool(training.data)
        elif info.has_training:
            if "training" in kwargs:
                del kwargs["training"]
            if ctx.training is not None:
                kwargs["training"] = ctx.training
        elif "training" in kwargs:
            del kwargs["training"]
        input_mask = None
        if _MASKS and (info.has_mask or self.supports_masking or info.overrides_compute_mask):
            input_mask = kwargs.get("mask")
            if input_mask is None:
                input_mask = _masks_of(inputs)
                if input_mask is not None and info.has_mask:
                    kwargs["mask"] = input_mask
        elif info.has_mask:
            input_mask = kwargs.get("mask")
        mixed = self._mixed
        if mixed:
            autocast = _mixed_precision_autocast()
            if self._dtype_policy.compute_dtype == "bfloat16" and self._autocast:
                inputs = autocast.to_compute(self, inputs)
            elif getattr(self, "_float32_when_mixed", False):
                inputs = autocast.from_float32(inputs)
            undo = autocast.cast_weights(self)
        ctx.depth += 1
        tracer = _AG_STATE.tracer
        if tracer is not None:          # autograd.trace is recording: label the ops with this layer
            tracer.push_scope((self._name, type(self).__name__))
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            ctx.depth -= 1
            ctx.training = prev_training
            if tracer is not None:
                tracer.pop_scope()
            if pushed:
                _SCOPES.pop()
            if mixed:
                autocast.restore_weights(undo)
        if mixed and (getattr(self, "_float32_when_mixed", False) or
                      (self._dtype_policy.compute_dtype == "bfloat16" and self._rounds_bfloat16_outputs)):
            outputs = autocast.to_compute(self, outputs)
        if info.overrides_compute_mask or (self.supports_masking and input_mask is not None):
            out_mask = self.compute_mask(inputs, input_mask)
            if out_mask is not None:
                if isinstance(outputs, (list, tuple)):
                    masks = out_mask if isinstance(out_mask, (list, tuple)) else [out_mask] * len(outputs)
                    for o, m in zip(outputs, masks):
                        set_mask(o, m)
                else:
                    set_mask(outputs, out_mask)
        if self._activity_regularizer is not None and not ctx.shape_inference:
            for out in nest.flatten(outputs):
                batch = out.shape[0] if out.ndim else 1
                self.add_loss(self._activity_regularizer(out) / float(max(batch, 1)))
        if top_inputs is not None:
            self._note_signature(top_inputs)
        return outputs

    # -- symbolic calls (functional API) -------------------------------------------------------------------
    def _symbolic_call(self, inputs, args, kwargs):
        from .input_layer import KerasTensor
        from .node import Node
        pushed = False
        if not self.built and self._pushes_name_scope:
            _SCOPES.append(self._name)
            pushed = True
        try:
            if not self.built:
                shapes = nest.map_structure(lambda t: tuple(t.shape) if isinstance(t, KerasTensor) else
                                            tuple(np.shape(t)), inputs)
                self._maybe_build(shapes)
            elif self.input_spec is not None:
                assert_input_compatibility(self.input_spec, _flat_shapes(inputs), self._name)
            out_shapes, out_dtypes, structure = self._infer_outputs(inputs, args, kwargs)
        finally:
            if pushed:
                _SCOPES.pop()
        flat_out = [KerasTensor(s, d) for s, d in zip(out_shapes, out_dtypes)]
        outputs = nest.pack_sequence_as(structure, flat_out)
        Node(self, call_args=(inputs,) + tuple(args), call_kwargs=dict(kwargs), outputs=outputs)
        return outputs

    def _infer_outputs(self, inputs, args, kwargs):
        """Output shapes and dtypes of a symbolic call, found by running the layer on placeholder batches.

        Every unknown dimension is filled with 2, then with 3; an output dimension that changes between the
        two runs is unknown (None) in the output.
        """
        from .input_layer import KerasTensor
        static = getattr(self, "_static_output_shape", None)
        if static is not None and isinstance(inputs, KerasTensor) and not args:
            # NOTE: layers whose output size is a formula of the input's (convolutions, pooling) give it directly:
            # placeholders of size 2 and 3 cannot stand for unknown spatial sizes (a 5-wide kernel does not fit
            # them, and 2 // 2 == 3 // 2 would make an unknown pooled size look known)
            found = static(tuple(inputs.shape), strings.numpy_dtype(inputs.dtype))
            if found is not None:
                shapes, dtype = found
                if isinstance(shapes, list):        # several outputs (a recurrent layer's output and states)
                    return ([tuple(s) for s in shapes], [strings.dtype_name(dtype)] * len(shapes),
                            [inputs] * len(shapes))
                return [tuple(shapes)], [strings.dtype_name(dtype)], inputs
        structure = (inputs, args, kwargs)
        has_unknown = any(d is None for t in nest.flatten(structure) if isinstance(t, KerasTensor) for d in t.shape)
        runs = []
        for fill in ((2, 3) if has_unknown else (2,)):
            def placeholder(t, fill=fill):
                if not isinstance(t, KerasTensor):
                    return t
                shape = tuple(fill if d is None else d for d in t.shape)
                if t.dtype == strings.STRING:
                    return strings.placeholder(shape)
                return ag.Tensor(np.zeros(shape, dtype=t.dtype))
            d_inputs = nest.map_structure(placeholder, inputs)
            d_args = nest.map_structure(placeholder, list(args))
            d_kwargs = {k: nest.map_structure(placeholder, v) for k, v in kwargs.items()}
            prev = _CTX.shape_inference
            _CTX.shape_inference = True
            try:
                with ag.no_grad(), np.errstate(all="ignore"):
                    out = self._eager_call(d_inputs, tuple(d_args), d_kwargs, False)
            except (ValueError, TypeError, IndexError) as e:
                in_shapes = [tuple(t.shape) for t in nest.flatten(inputs) if isinstance(t, KerasTensor)]
                msg = (f'Exception encountered when calling layer "{self.name}" (type {type(self).__name__}) on '
                       f"inputs of shape {in_shapes[0] if len(in_shapes) == 1 else in_shapes}: {e}")
                try:
                    err = type(e)(msg)
                except Exception:
                    err = ValueError(msg)
                raise err from e
            finally:
                _CTX.shape_inference = prev
            runs.append(out)
        flat = [nest.flatten(r) for r in runs]
        shapes, dtypes = [], []
        for i, t in enumerate(flat[0]):
            if not isinstance(t, Tensor) and not strings.is_string_array(t):
                t = ag.Tensor(np.asarray(t))
            shape = tuple(t.shape)
            if len(flat) > 1:
                other = tuple(np.shape(flat[1][i]))
                shape = tuple(None if (len(other) == len(shape) and a != b) else a for a, b in zip(shape, other))
            shapes.append(shape)
            dtypes.append(strings.dtype_name(t.dtype))
        return shapes, dtypes, runs[0]

    def compute_output_shape(self, input_shape):
        """The output shape for inputs of ``input_shape`` (found by a placeholder run unless overridden)."""
        from .input_layer import KerasTensor

        def to_kt(s):
            return KerasTensor(tuple(s), self._dtype)
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            kts = [to_kt(s) for s in input_shape]
        else:
            kts = to_kt(input_shape)
        if not self.built:
            self._maybe_build(input_shape if not isinstance(kts, list) else [tuple(s) for s in input_shape])
        shapes, _, structure = self._infer_outputs(kts, (), {})
        packed = nest.pack_sequence_as(structure, shapes)
        return packed

    # -- inbound/outbound nodes ------------------------------------------------------------------------------
    def _node_inputs(self, node):
        """A node's input tensors; an Input's own node gives its tensor, as tf.keras's ``Layer.input``."""
        return [node.outputs] if node.is_input else node.input_tensors

    def _node_at(self, node_index, what):
        if not self._inbound_nodes:
            raise RuntimeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        if isinstance(node_index, bool) or not isinstance(node_index, int) or \
                not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Asked to get {what} at node {node_index!r}, but the layer has only "
                             f"{len(self._inbound_nodes)} inbound nodes.")
        return self._inbound_nodes[node_index]

    def _single_node_attr(self, attr, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no {what} to return.")
        if len(self._inbound_nodes) > 1 and attr in ("input", "output"):
            raise AttributeError(f"Layer {self.name} has multiple inbound nodes, hence the notion of \"layer {what}\" "
                                 f"is ill-defined. Use `get_{what}_at(node_index)` instead.")
        node = self._inbound_nodes[0]
        if attr == "input":
            return nest.unnest_if_single(self._node_inputs(node))
        return node.outputs

    @property
    def input(self):
        """The symbolic input of the layer (when it was called once in a functional graph)."""
        return self._single_node_attr("input", "input")

    @property
    def output(self):
        """The symbolic output of the layer (when it was called once in a functional graph)."""
        return self._single_node_attr("output", "output")

    def get_input_at(self, node_index):
        """The input tensor(s) of the layer's ``node_index``-th call (one tensor, or a list)."""
        return nest.unnest_if_single(self._node_inputs(self._node_at(node_index, "input")))

    def get_output_at(self, node_index):
        """The output tensor(s) of the layer's ``node_index``-th call."""
        return self._node_at(node_index, "output").outputs

    def get_input_shape_at(self, node_index):
        """The input shape(s) of the layer's ``node_index``-th call."""
        return _shape_structure(self.get_input_at(node_index))

    def get_output_shape_at(self, node_index):
        """The output shape(s) of the layer's ``node_index``-th call."""
        return _shape_structure(self.get_output_at(node_index))

    @property
    def input_shape(self):
        if not self._inbound_nodes:
            if self._build_input_shape is not None:
                return self._build_input_shape
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has no defined input '
                                 f"shape.")

        def shape(node):
            tensors = self._node_inputs(node)
            # NOTE: as tf.keras, an Input's input shape is a list of one shape: [(None, 4)]
            return _shape_structure(tensors[0] if len(tensors) == 1 and not node.is_input else tensors)
        shapes = {str(shape(n)) for n in self._inbound_nodes}
        if len(shapes) > 1:
            raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes with different input shapes.')
        return shape(self._inbound_nodes[0])

    @property
    def output_shape(self):
        if not self._inbound_nodes:
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has no defined output '
                                 f"shape.")
        shapes = [_shape_structure(n.outputs) for n in self._inbound_nodes]
        if any(s != shapes[0] for s in shapes[1:]):
            raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes with different output shapes.')
        return shapes[0]

    @property
    def inbound_nodes(self):
        return self._inbound_nodes

    @property
    def outbound_nodes(self):
        return self._outbound_nodes

    # -- config --------------------------------------------------------------------------------------------
    def get_config(self):
        """The layer's constructor arguments as a JSON-able dict (``from_config`` rebuilds the layer)."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": _mixed_precision_policy().serialize(self._dtype_policy)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        cls = type(self)
        if cls.get_config is Layer.get_config and cls.__init__ is not Layer.__init__:
            extra = self._auto_config()
            if extra is None:
                raise NotImplementedError(
                    f"Layer {cls.__name__} has arguments in `__init__` that cannot be saved automatically "
                    f"and therefore needs to override `get_config()`, returning a dict of them.")
            for k, v in extra.items():
                config.setdefault(k, v)
        return config

    def _auto_config(self):
        """The constructor's arguments as recorded by ``__new__``, when they are all JSON-able."""
        args, kwargs = getattr(self, "_init_args", ((), {}))
        try:
            bound = inspect.signature(type(self).__init__).bind(None, *args, **kwargs)
        except TypeError:
            return None
        out = {}
        for k, v in list(bound.arguments.items())[1:]:
            param = inspect.signature(type(self).__init__).parameters[k]
            if param.kind == param.VAR_KEYWORD:
                for kk, vv in v.items():
                    out[kk] = vv
            elif param.kind == param.VAR_POSITIONAL:
                if v:
                    return None
            else:
                out[k] = v
        if not _json_safe(out):
            return None
        return out

    @classmethod
    def from_config(cls, config):
        """Rebuild a layer from ``get_config()``'s dict."""
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
                            f"Exception encountered: {e}") from None


def _cast_keeping_mask(tensor, dtype):
    """``tensor`` cast to ``dtype``, carrying its Keras mask (as tf.keras's autocast keeps ``_keras_mask``)."""
    out = ag.astype(tensor, dtype)
    mask = get_mask(tensor)
    if mask is not None:
        set_mask(out, mask)
    return out


def _autocast_list(inputs, dtype):
    out = [_cast_keeping_mask(t, dtype) if isinstance(t, Tensor) and t.data.dtype != dtype and t.data.dtype.kind == "f"
           else t for t in inputs]
    return type(inputs)(out) if any(a is not b for a, b in zip(out, inputs)) else inputs


def _has_arrays(x):
    for v in x:
        if isinstance(v, (Tensor, np.ndarray, dict)):
            return True
        if isinstance(v, (list, tuple)) and _has_arrays(v):
            return True
    return False


def _short_repr(x, n=80):
    r = repr(x)
    return r if len(r) <= n else r[:n] + "..."


def _flat_shapes(x):
    return [tuple(t.shape) for t in nest.flatten(x) if t is not None and hasattr(t, "shape")]


def _flat_shapes_of(shape_structure):
    """A shape structure (tuple, or list/dict of tuples) as a flat list of tuples."""
    if isinstance(shape_structure, dict):
        return [tuple(shape_structure[k]) for k in sorted(shape_structure)]
    if isinstance(shape_structure, list) or (isinstance(shape_structure, tuple) and shape_structure and
                                             isinstance(shape_structure[0], (list, tuple))):
        out = []
        for s in shape_structure:
            out.extend(_flat_shapes_of(s) if s and isinstance(s[0], (list, tuple, dict)) else [tuple(s)])
        return out
    return [tuple(shape_structure)]


def _masks_of(inputs):
    if isinstance(inputs, Tensor):
        return get_mask(inputs)
    if isinstance(inputs, (list, tuple)):
        masks = [get_mask(t) if isinstance(t, Tensor) else None for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


class AddLoss(Layer):
    """The layer ``model.add_loss(symbolic_tensor)`` inserts into a functional model: it passes its input through
    and adds it to the model's losses on every forward pass.

    Example:
        >>> AddLoss(unconditional=False).get_config()["unconditional"]
        False
    """

    def __init__(self, unconditional=False, **kwargs):
        kwargs["autocast"] = False            # as tf.keras: a loss keeps its dtype
        super().__init__(**kwargs)
        self.unconditional = unconditional

    def call(self, inputs):
        self.add_loss(inputs)
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"unconditional": self.unconditional})
        return config


class AddMetric(Layer):
    """The layer ``model.add_metric(symbolic_tensor, name=...)`` inserts into a functional model: it passes its
    input through and tracks it as the metric ``metric_name`` (``aggregation`` ``"mean"`` or None).

    Example:
        >>> layer = AddMetric("mean", "feature_mean")
        >>> layer.get_config()["metric_name"]
        'feature_mean'
    """

    def __init__(self, aggregation=None, metric_name=None, **kwargs):
        super().__init__(**kwargs)
        self.aggregation = aggregation
        self.metric_name = metric_name

    def call(self, inputs):
        self.add_metric(inputs, aggregation=self.aggregation, name=self.metric_name)
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"aggregation": self.aggregation, "metric_name": self.metric_name})
        return config
