"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda, Identity, and the
activation layers Softmax, ReLU, LeakyReLU, ELU (Keras 2 names, arguments, defaults and configs).

Example:
    >>> layer = Dense(4, activation="relu")
    >>> layer(np.ones((2, 3), "float32")).shape
    (2, 4)
    >>> [w.name for w in layer.weights]
    ['dense/kernel:0', 'dense/bias:0']
"""
import base64
import inspect
import marshal
import math
import types

import numpy as np

import autograd as ag

from .. import activations, backend, constraints, initializers, random_state, regularizers
from ..engine.base_layer import Layer, in_shape_inference
from ..engine.input_layer import InputLayer  # noqa: F401  (re-exported)
from ..engine.input_spec import InputSpec
from ..engine.safe_mode import in_safe_mode

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda", "Softmax",
           "ReLU", "LeakyReLU", "ELU", "Identity", "InputLayer", "TFOpLambda"]


def _positive_int(value, arg, layer):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Received an invalid value for `{arg}` in {layer}, expected a positive integer. Received: "
                         f"{arg}={value!r}")
    return int(value)


def _number(value, arg, layer, minimum=None, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or \
            not math.isfinite(float(value)):
        raise ValueError(f"{layer}: `{arg}` must be a finite number, received {arg}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer}: `{arg}` cannot be below {minimum}, received {arg}={value!r}")
    return float(value)


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
        units: output size (positive int).
        activation: name or callable (default: linear).
        use_bias: add a bias vector.
        kernel_initializer / bias_initializer: default ``glorot_uniform`` / ``zeros``.
        kernel_regularizer / bias_regularizer / activity_regularizer: penalties added to ``losses``.
        kernel_constraint / bias_constraint: applied after each optimizer step.

    Inputs of rank > 2 are multiplied along their last axis.

    Example:
        >>> layer = Dense(8, activation="tanh")
        >>> layer(kerasfront.Input(shape=(5,))).shape
        (None, 8)
        >>> [w.shape for w in layer.get_weights()]          # kernel (5, 8) and bias (8,)
        [(5, 8), (8,)]
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = _positive_int(units, "units", f"Dense layer '{self.name}'")
        self.activation = activations.get(activation)
        self._linear = self.activation is activations.linear
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        last = input_shape[-1] if len(input_shape) else None
        if last is None:
            raise ValueError(f"The last dimension of the inputs to a Dense layer ('{self.name}') should be defined. "
                             f"Found None. Full input shape received: {tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", shape=(last, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      dtype=self.dtype, trainable=True)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        dtype=self.dtype, trainable=True)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.built = True

    def call(self, inputs):
        if inputs.dtype != self.kernel.dtype:
            inputs = ag.astype(inputs, self.kernel.dtype)     # integer inputs (ids, counts), as tf.keras's Dense
        if inputs.ndim > 2:
            # NOTE: fold the leading axes into one so the kernel's gradient is one matrix product
            lead = inputs.shape[:-1]
            out = ag.matmul(ag.reshape(inputs, (-1, inputs.shape[-1])), self.kernel)
            if self.bias is not None:
                out = out + self.bias
            out = ag.reshape(out, lead + (self.units,))
        elif self._linear or self.activation is activations.relu:
            # NOTE: one primitive (bias and relu in place on the product), bit-identical to the composition
            return ag.dense(inputs, self.kernel, self.bias, None if self._linear else "relu")
        else:
            out = ag.matmul(inputs, self.kernel)
            if self.bias is not None:
                out = out + self.bias
        if self._linear:
            return out
        return self.activation(out)

    def _static_output_shape(self, input_shape, dtype):
        """The output shape of a symbolic call (engine hook): no placeholder matrix product for it."""
        if not self.built or len(input_shape) < 2 or dtype.kind not in "fiu":
            return None
        return tuple(input_shape[:-1]) + (self.units,), self.kernel.dtype

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class Activation(Layer):
    """Apply an activation function: ``Activation("relu")``.

    Example:
        >>> x = kerasfront.Input(shape=(4,))
        >>> Activation("relu")(x).shape
        (None, 4)
        >>> Activation("sigmoid")(np.array([[0.0]], dtype="float32"))
        Tensor([[0.5]], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Zero a fraction ``rate`` of the inputs during training and scale the rest by ``1 / (1 - rate)``.

    Args:
        rate: fraction to drop, in [0, 1).
        noise_shape: shape of the binary mask (None entries take the input's size), e.g. ``(None, 1, C)`` to
            drop whole channels for every timestep.
        seed: a seed for this layer's own generator (default: the global one, see ``set_random_seed``).

    Inactive at inference (``training`` False or unset), as in Keras.

    Example:
        >>> layer = Dropout(0.5)
        >>> layer(np.ones((1, 4), dtype="float32"))                  # inference: unchanged
        Tensor([[1., 1., 1., 1.]], dtype=float32)
        >>> y = layer(np.ones((1, 1000), dtype="float32"), training=True)   # training: half zeroed, the rest doubled
        >>> sorted(set(y.numpy().ravel().tolist()))
        [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) or \
                not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Invalid value received for argument `rate` of Dropout layer '{self.name}'. Expected a "
                             f"float value in [0, 1). Received: rate={rate!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"Dropout layer '{self.name}': seed must be an int or None, received {seed!r}")
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self._rng = random_state.make_generator(seed) if seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training is None:
            from .. import backend
            training = backend.learning_phase() == 1
        if not training or self.rate == 0.0 or in_shape_inference():
            return inputs
        rng = self._rng if self._rng is not None else random_state.generator()
        return ag.dropout(inputs, self.rate, rng, noise_shape=self.noise_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


def _check_data_format(data_format, layer):
    if data_format is None:
        from .. import backend
        return backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', received "
                         f"{data_format!r}")
    return data_format


class Flatten(Layer):
    """Flatten every axis but the batch axis: ``(N, 4, 4, 3) -> (N, 48)``.

    With ``data_format='channels_first'`` the channels axis is moved last first, so the order matches
    channels_last models.

    Example:
        >>> Flatten()(kerasfront.Input(shape=(3, 4))).shape
        (None, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _check_data_format(data_format, f"Flatten layer '{self.name}'")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ag.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        n = inputs.shape[0]
        if inputs.ndim == 1:
            return ag.reshape(inputs, (n, 1))
        return ag.reshape(inputs, (n, -1))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1): ``Reshape((3, 4))``.

    Example:
        >>> Reshape((3, 4))(kerasfront.Input(shape=(12,))).shape
        (None, 3, 4)
        >>> Reshape((-1, 2))(kerasfront.Input(shape=(12,))).shape
        (None, 6, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, (int, np.integer)):
            target_shape = (int(target_shape),)
        if not isinstance(target_shape, (list, tuple)) or not all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and (d > 0 or d == -1)
                for d in target_shape):
            raise ValueError(f"Reshape layer '{self.name}': target_shape must be a tuple of positive ints (one may be "
                             f"-1), received {target_shape!r}")
        if sum(1 for d in target_shape if d == -1) > 1:
            raise ValueError(f"Reshape layer '{self.name}': there must be at most one unknown dimension (-1) in "
                             f"target_shape, received {tuple(target_shape)}")
        self.target_shape = tuple(int(d) for d in target_shape)

    def build(self, input_shape):
        self._check_size(input_shape[1:])
        self.built = True

    def _check_size(self, sample_shape):
        if any(d is None for d in sample_shape):
            return
        total = int(np.prod(sample_shape, dtype=np.int64))
        known = int(np.prod([d for d in self.target_shape if d != -1], dtype=np.int64))
        ok = total % known == 0 if -1 in self.target_shape else total == known
        if not ok:
            raise ValueError(f"Reshape layer '{self.name}': total size of the new array must be unchanged, "
                             f"input_shape = {list(sample_shape)}, output_shape = {list(self.target_shape)}")

    def call(self, inputs):
        self._check_size(inputs.shape[1:])
        return ag.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permute the axes of each sample: ``Permute((2, 1))`` swaps the two non-batch axes (1-based, as Keras).

    Example:
        >>> Permute((2, 1))(kerasfront.Input(shape=(10, 64))).shape
        (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dims, (list, tuple)) or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer '{self.name}'. The set of indices "
                             f"in `dims` must be consecutive and start from 1. Received dims={dims!r}")
        self.dims = tuple(int(d) for d in dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ag.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """Repeat a ``(N, D)`` input ``n`` times: ``(N, n, D)``.

    Example:
        >>> RepeatVector(3)(kerasfront.Input(shape=(32,))).shape
        (None, 3, 32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive_int(n, "n", f"RepeatVector layer '{self.name}'")
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        b, d = inputs.shape
        return ag.broadcast_to(ag.expand_dims(inputs, 1), (b, self.n, d))

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


class Softmax(Layer):
    """Softmax over ``axis`` (masked positions get zero probability when a mask is given; ``robust_masking``
    replaces their scores by a large negative instead of adding one).

    Example:
        >>> Softmax()(np.array([[0.0, 0.0]], dtype="float32"))
        Tensor([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis=-1, robust_masking=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, list):
            axis = tuple(axis)
        if not isinstance(axis, (int, np.integer, tuple)) or isinstance(axis, bool):
            raise TypeError(f"Softmax layer '{self.name}': axis must be an int or a tuple of ints, received {axis!r}")
        if not isinstance(robust_masking, (bool, np.bool_)):
            raise TypeError(f"Softmax layer '{self.name}': robust_masking must be True or False, received "
                            f"{robust_masking!r}")
        self.axis = axis
        self.robust_masking = bool(robust_masking)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            # NOTE: the mask is read with ops (not its array on the host), so that a traced forward (an ONNX export,
            # a captured training step) applies the mask of its own input; the numbers are numpy's
            mask = mask if isinstance(mask, ag.Tensor) else np.asarray(mask)
            big = 3e4 if inputs.dtype == np.float16 else 1e9
            if self.robust_masking:
                # NOTE: robust masking replaces the masked scores (adding -1e9 to scores near 1e9 could lose them)
                keep = mask if mask.dtype == np.bool_ else ag.greater(mask, 0.5)
                inputs = ag.where(ag.broadcast_to(keep, inputs.shape), inputs, np.asarray(-big, dtype=inputs.dtype))
            else:
                # NOTE: a large negative (not -inf) keeps fully masked rows finite, as Keras does
                drop = ag.subtract(inputs.dtype.type(1.0), ag.astype(mask, inputs.dtype))
                inputs = inputs + ag.multiply(drop, inputs.dtype.type(-big))
        if isinstance(self.axis, tuple):
            return ag.exp(inputs - ag.logsumexp(inputs, axis=self.axis, keepdims=True))
        return ag.softmax(inputs, axis=int(self.axis))

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        if self.robust_masking:
            config["robust_masking"] = True
        return config


class ReLU(Layer):
    """Rectified linear unit with Keras's options: ``f(x) = max_value`` for ``x >= max_value``, ``x`` for
    ``threshold <= x < max_value``, ``negative_slope * (x - threshold)`` otherwise.

    Example:
        >>> ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 9.0]], dtype="float32"))
        Tensor([[0., 3., 6.]], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        who = f"ReLU layer '{self.name}'"
        self.max_value = _number(max_value, "max_value", who, minimum=0.0, allow_none=True)
        self.negative_slope = _number(negative_slope, "negative_slope", who, minimum=0.0)
        self.threshold = _number(threshold, "threshold", who, minimum=0.0)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise (Keras 2 default ``alpha=0.3``; ``negative_slope`` is the
    Keras 3 spelling).

    Example:
        >>> LeakyReLU(alpha=0.1)(np.array([[-10.0, 1.0]], dtype="float32"))
        Tensor([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, alpha=0.3, negative_slope=None, **kwargs):
        super().__init__(**kwargs)
        if negative_slope is not None:
            alpha = negative_slope
        if alpha is None:
            raise ValueError(f"LeakyReLU layer '{self.name}': the alpha value cannot be None")
        # NOTE: stored rounded to float32, as tf.keras casts it (so configs match: 0.30000001192092896)
        self.alpha = float(np.float32(_number(alpha, "alpha", f"LeakyReLU layer '{self.name}'", minimum=0.0)))
        self.supports_masking = True

    def call(self, inputs):
        return ag.leaky_relu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ELU(Layer):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Example:
        >>> ELU(alpha=1.0)(np.array([[0.0, 2.0]], dtype="float32"))
        Tensor([[0., 2.]], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError(f"ELU layer '{self.name}': alpha of an ELU layer cannot be None")
        self.alpha = float(np.float32(_number(alpha, "alpha", f"ELU layer '{self.name}'")))
        self.supports_masking = True

    def call(self, inputs):
        return ag.elu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Identity(Layer):
    """Return the inputs unchanged (a placeholder layer; nested inputs come back in the same structure).

    Example:
        >>> Identity()(np.array([[1.0, 2.0]], "float32"))
        Tensor([[1., 2.]], dtype=float32)
    """

    def call(self, inputs):
        return inputs


# -- Lambda ------------------------------------------------------------------------------------------------
def _serialize_function(fn):
    """``(payload, function_type, module)``: a name for named functions, marshalled bytecode for lambdas."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
        closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
        return [code, fn.__defaults__, closure], "lambda", fn.__module__
    from ..serialization import get_registered_name
    return get_registered_name(fn), "function", getattr(fn, "__module__", None)


def _deserialize_lambda(payload, layer_name, what):
    if in_safe_mode():
        raise ValueError(
            f"Requested the deserialization of the {what} of Lambda layer '{layer_name}', which holds Python bytecode "
            f"(a `lambda`). Loading it would run arbitrary code from the file, so it is refused in safe mode. If you "
            f"trust the source of this file, pass `safe_mode=False` to the loading function (or call "
            f"kerasfront.engine.safe_mode.enable_unsafe_deserialization()).")
    code, defaults, closure = (list(payload) + [None, None])[:3]
    try:
        raw = base64.b64decode(code.encode("ascii"))
        code_obj = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError(f"Lambda layer '{layer_name}': cannot read the saved bytecode of its {what} (was it saved "
                         f"by another Python version?): {e}") from None
    if closure:
        closure = tuple(types.CellType(c) for c in closure)
    import builtins
    glob = {"__builtins__": builtins}
    return types.FunctionType(code_obj, glob, code_obj.co_name, tuple(defaults) if defaults else None, closure)


def _deserialize_named_function(name, layer_name, what):
    from ..serialization import get_registered_object
    obj = get_registered_object(name)
    if obj is None:
        obj = getattr(activations, name, None) if isinstance(name, str) and not name.startswith("_") else None
    if obj is None or not callable(obj):
        raise ValueError(f"Lambda layer '{layer_name}': unknown {what} '{name}'. Pass it in "
                         f"custom_objects={{'{name}': {name}}} when loading, or register it with "
                         f"@kerasfront.utils.register_keras_serializable().")
    return obj


class Lambda(Layer):
    """Wrap an expression of autograd ops as a layer: ``Lambda(lambda x: x ** 2)``.

    Args:
        function: called as ``function(inputs, **arguments)`` (``mask``/``training`` passed when it accepts
            them).
        output_shape: unused for computation (shapes are inferred by running the function); kept for configs.
        mask: a mask (or callable ``(inputs, mask) -> mask``) for the output.
        arguments: extra keyword arguments for ``function``.

    A model holding a ``lambda`` saves its bytecode, which loads only with ``safe_mode=False``.

    Example:
        >>> double = Lambda(lambda t: t * 2.0)
        >>> double(np.array([[1.0, 2.0]], dtype="float32"))
        Tensor([[2., 4.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda layer '{self.name}': function must be callable, received {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_mask = "mask" in params
        self._fn_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_mask:
            kwargs["mask"] = mask
        if self._fn_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = super().get_config()
        payload, ftype, module = _serialize_function(self.function)
        config.update({"function": payload, "function_type": ftype, "module": module})
        if callable(self._output_shape):
            payload, otype, omodule = _serialize_function(self._output_shape)
            config.update({"output_shape": payload, "output_shape_type": otype, "output_shape_module": omodule})
        else:
            config.update({"output_shape": self._output_shape, "output_shape_type": "raw",
                           "output_shape_module": None})
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.get("name", "lambda")
        ftype = config.pop("function_type", "function")
        payload = config.pop("function")
        config.pop("module", None)
        if ftype == "lambda":
            function = _deserialize_lambda(payload, name, "function")
        else:
            function = _deserialize_named_function(payload, name, "function")
        otype = config.pop("output_shape_type", "raw")
        oshape = config.pop("output_shape", None)
        config.pop("output_shape_module", None)
        if otype == "lambda" and oshape is not None:
            oshape = _deserialize_lambda(oshape, name, "output_shape")
        elif otype == "function" and oshape is not None:
            oshape = _deserialize_named_function(oshape, name, "output_shape")
        return cls(function, output_shape=oshape, **config)


# -- operators on symbolic tensors (x + y, x * 2, x[:, 0]) --------------------------------------------------
# NOTE: ``x + y`` on symbolic tensors is ``tf.__operators__.add`` in tf.keras (``tf.math.add`` is what an
# explicit tf.math.add call records); both are read back
_OPS = {"operator_add": ("__operators__.add", ag.add), "add": ("math.add", ag.add),
        "subtract": ("math.subtract", ag.subtract),
        "multiply": ("math.multiply", ag.multiply), "divide": ("math.truediv", ag.divide),
        "power": ("math.pow", ag.power), "getitem": ("__operators__.getitem", None)}
# ops of one tensor with keyword arguments (axis, keepdims): the K functions that accept symbolic tensors
_UNARY_OPS = {"math.square": "square", "math.abs": "abs", "math.exp": "exp", "math.log": "log",
              "math.reduce_mean": "mean", "math.reduce_sum": "sum", "math.reduce_max": "max",
              "math.reduce_min": "min", "math.reduce_variance": "var", "math.reduce_std": "std",
              "math.sin": "sin", "math.cos": "cos"}
_OPS.update({f"unary:{tf_name}": (tf_name, None) for tf_name in _UNARY_OPS})


def _slice_to_config(index):
    def one(i):
        if isinstance(i, slice):
            return {"start": i.start, "stop": i.stop, "step": i.step}
        if i is Ellipsis:
            return {"ellipsis": True}
        if i is None:
            return {"newaxis": True}
        return int(i)
    return [one(i) for i in index] if isinstance(index, tuple) else one(index)


def _slice_from_config(spec):
    def one(i):
        if isinstance(i, dict):
            if i.get("ellipsis"):
                return Ellipsis
            if i.get("newaxis"):
                return None
            return slice(i.get("start"), i.get("stop"), i.get("step"))
        return i
    return tuple(one(i) for i in spec) if isinstance(spec, list) else one(spec)


class TFOpLambda(Layer):
    """The layer tf.keras makes for arithmetic and slicing on symbolic tensors (``x + y``, ``2 * x``,
    ``x[:, 0]``); its config names the op (``"math.add"``) as tf.keras writes it.

    Example:
        >>> y = 2 * kerasfront.Input(shape=(3,))
        >>> type(y._keras_history.layer).__name__, y._keras_history.layer.get_config()["function"]
        ('TFOpLambda', 'math.multiply')
    """

    #: its nodes are saved as tf.keras saves them (the input structure kept: one tensor is one reference)
    _preserve_input_structure_in_config = True

    def __init__(self, function, **kwargs):
        name = kwargs.pop("name", None)
        by_tf_name = {v[0]: k for k, v in _OPS.items()}
        if function not in by_tf_name:
            raise ValueError(f"TFOpLambda: unsupported op {function!r}; supported: {sorted(by_tf_name)}")
        self._op = by_tf_name[function]
        super().__init__(name=name or _unique_op_name("tf." + function), **kwargs)
        self.function = function

    def call(self, x, y=None, name=None, slice_spec=None, reverse=False, axis=None, keepdims=False):
        if self._op == "getitem":
            return x[_slice_from_config(slice_spec)]
        if self.function in _UNARY_OPS:
            fn = getattr(backend, _UNARY_OPS[self.function])
            return fn(x, axis=axis, keepdims=keepdims) if self.function.startswith("math.reduce") else fn(x)
        fn = _OPS[self._op][1]
        if not isinstance(y, ag.Tensor):
            y = np.asarray(y, dtype=x.dtype if np.asarray(y).dtype.kind in "fi" else None)
        return fn(y, x) if reverse else fn(x, y)

    def get_config(self):
        config = super().get_config()
        config["function"] = self.function
        return config


def _symbolic_backend_op(tf_name, x, kwargs):
    """A K function called on a KerasTensor: a TFOpLambda node, as tf.keras records it."""
    return TFOpLambda(tf_name)(x, **kwargs)


backend.register_symbolic_handler(_symbolic_backend_op)


def _unique_op_name(base):
    from ..engine.base_layer import unique_object_name
    return unique_object_name(base, zero_based=True)


def _OpLambda(op, name=None, op_name=None, n_inputs=1, constant=None, reverse=False):
    """Build the TFOpLambda for one operator on a KerasTensor and return a caller taking the inputs."""
    layer = TFOpLambda(_OPS[op][0], name=name)

    def call(inputs):
        if op == "getitem":
            return layer(inputs, slice_spec=_slice_to_config(constant))
        if n_inputs == 2:
            x, y = inputs
            return layer(x, y=y, name=None) if not reverse else layer(y, y=x, name=None)
        if reverse:
            return layer(inputs, y=constant, name=None, reverse=True)
        return layer(inputs, y=constant, name=None)
    return call
