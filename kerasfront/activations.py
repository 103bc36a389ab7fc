"""Activation functions, as in ``tf.keras.activations``: functions of autograd Tensors.

Every function is built from autograd ops, so it is differentiable. ``sigmoid`` and ``softmax`` remember
the logits they were applied to, so that a crossentropy loss on their output can use the logits directly,
as tf.keras does (see ``kerasfront.backend``).

Example:
    >>> import kerasfront as keras
    >>> f = keras.activations.get("relu")
    >>> f(ag.tensor([-1.0, 2.0]))
    Tensor([0., 2.])
"""
import autograd as ag

from . import backend
from .serialization import (deserialize_keras_object, get_registered_name, serialize_keras_object,
                            tags_identifier_errors)

__all__ = ["relu", "sigmoid", "softmax", "tanh", "elu", "selu", "softplus", "softsign", "swish", "silu", "gelu",
           "exponential", "hard_sigmoid", "linear", "leaky_relu", "relu6", "mish", "log_softmax", "get",
           "serialize", "deserialize"]


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: ``max(x, 0)``, with Keras's options.

    ``alpha`` is the slope below ``threshold``, ``max_value`` caps the output, and values below
    ``threshold`` are zeroed (before the ``alpha`` part is subtracted).

    Example:
        >>> relu(ag.tensor([-2.0, 1.0, 9.0]), alpha=0.1, max_value=6.0)
        Tensor([-0.2,  1. ,  6. ])
    """
    return backend.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))`` (remembers its logits for crossentropy).

    Example:
        >>> sigmoid(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([0.2689414, 0.5      , 0.7310586], dtype=float32)
    """
    return backend.sigmoid(x)


def softmax(x, axis=-1):
    """Softmax over ``axis`` (an int or a tuple); the input must have rank 2 or more, as in tf.keras.

    Example:
        >>> softmax(ag.tensor([[0.0, 0.0]]))
        Tensor([[0.5, 0.5]])
    """
    x = ag.as_tensor(x)
    if x.ndim <= 1:
        raise ValueError(f"softmax: cannot apply softmax to a tensor that is 1D; received input of shape {x.shape}")
    return backend.softmax(x, axis=axis)


def tanh(x):
    """Hyperbolic tangent.

    Example:
        >>> tanh(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-0.7615942,  0.       ,  0.7615942], dtype=float32)
    """
    return ag.tanh(x)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise.

    Example:
        >>> elu(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-0.63212055,  0.        ,  1.        ], dtype=float32)
    """
    return backend.elu(x, alpha)


def selu(x):
    """Scaled exponential linear unit (Klambauer et al., 2017).

    Example:
        >>> selu(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-1.1113307,  0.       ,  1.050701 ], dtype=float32)
    """
    return ag.selu(x)


def softplus(x):
    """``log(exp(x) + 1)``.

    Example:
        >>> softplus(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([0.3132617, 0.6931472, 1.3132617], dtype=float32)
    """
    return ag.softplus(x)


def softsign(x):
    """``x / (abs(x) + 1)``.

    Example:
        >>> softsign(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-0.5,  0. ,  0.5], dtype=float32)
    """
    return ag.divide(x, ag.add(ag.abs(x), 1.0))


def swish(x):
    """``x * sigmoid(x)`` (also called silu).

    Example:
        >>> swish(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-0.2689414,  0.       ,  0.7310586], dtype=float32)
    """
    return ag.swish(x)


silu = swish


def gelu(x, approximate=False):
    """Gaussian error linear unit; the tanh approximation when ``approximate``.

    Example:
        >>> gelu(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-0.15865526,  0.        ,  0.8413447 ], dtype=float32)
    """
    return ag.gelu(x, approximate=bool(approximate))


def exponential(x):
    """``exp(x)``.

    Example:
        >>> exponential(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([0.36787942, 1.        , 2.718282  ], dtype=float32)
    """
    return ag.exp(x)


def hard_sigmoid(x):
    """Keras 2's piecewise linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``.

    Example:
        >>> hard_sigmoid(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([0.3, 0.5, 0.7], dtype=float32)
    """
    return backend.hard_sigmoid(x)


def keras3_hard_sigmoid(x):
    """Keras 3's ``hard_sigmoid``: ``relu6(x + 3) / 6`` (slope 1/6; tf.keras 2's has slope 0.2). What
    ``'hard_sigmoid'`` means in a ``.keras`` file written by Keras 3, which kerasfront reads under this name; a
    ``.keras`` file kerasfront writes names it ``'hard_sigmoid'`` again.

    Example:
        >>> keras3_hard_sigmoid(np.array([-3.0, 0.0, 1.5], dtype="float32"))
        Tensor([0.  , 0.5 , 0.75], dtype=float32)
    """
    # NOTE: the same operations in the same order as Keras 3 (relu6 of x + 3, then / 6), for identical rounding.
    return ag.divide(relu6(ag.add(x, 3.0)), 6.0)


def linear(x):
    """The identity (returns ``x`` unchanged).

    Example:
        >>> linear(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        array([-1.,  0.,  1.], dtype=float32)
    """
    return x


def leaky_relu(x, alpha=0.2):
    """``x`` for x > 0, ``alpha * x`` otherwise (tf.nn.leaky_relu's default alpha is 0.2).

    Example:
        >>> leaky_relu(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-0.2,  0. ,  1. ], dtype=float32)
    """
    return ag.leaky_relu(x, alpha=alpha)


def relu6(x):
    """``min(max(x, 0), 6)``.

    Example:
        >>> relu6(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([0., 0., 1.], dtype=float32)
    """
    return backend.relu(x, max_value=6.0)


def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019).

    Example:
        >>> mish(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-0.30340147,  0.        ,  0.8650984 ], dtype=float32)
    """
    return ag.multiply(x, ag.tanh(ag.softplus(x)))


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` over ``axis``.

    Example:
        >>> log_softmax(np.array([-1.0, 0.0, 1.0], dtype="float32"))
        Tensor([-2.4076061, -1.407606 , -0.407606 ], dtype=float32)
    """
    return ag.log_softmax(x, axis=axis)


_BUILTINS = {f.__name__: f for f in (relu, sigmoid, softmax, tanh, elu, selu, softplus, softsign, swish, gelu,
                                      exponential, hard_sigmoid, linear, leaky_relu, relu6, mish, log_softmax,
                                      keras3_hard_sigmoid)}
_BUILTINS["silu"] = swish


def _module_objects():
    objs = dict(_BUILTINS)
    try:  # activation layers (ReLU, LeakyReLU, Softmax, ...) deserialize here too, as in tf.keras
        from . import layers as _layers
        for name in ("ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU", "ThresholdedReLU", "Activation"):
            if hasattr(_layers, name):
                objs[name] = getattr(_layers, name)
    except ImportError:
        pass
    return objs


def serialize(activation, use_legacy_format=False):
    """The name of a built-in activation (``'relu'``), a registered name, or a layer's config dict.
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> serialize(relu)
        'relu'
    """
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    name = getattr(activation, "__name__", None)
    if name in _BUILTINS and _BUILTINS[name] is activation:
        return name
    if callable(activation) and not hasattr(activation, "get_config"):
        reg = get_registered_name(activation)
        if reg == "<lambda>":
            raise ValueError("serialize(activation): a lambda cannot be serialized; define a named function and "
                             "register it with @kerasfront.utils.register_keras_serializable()")
        return reg
    return serialize_keras_object(activation)


def deserialize(name, custom_objects=None, use_legacy_format=False):
    """Resolve an activation name or config dict (unknown names raise a ValueError listing close matches).
    ``use_legacy_format`` is accepted as in tf.keras; both config forms are read either way.

    Example:
        >>> deserialize("relu").__name__
        'relu'
    """
    return deserialize_keras_object(name, module_objects=_module_objects(), custom_objects=custom_objects,
                                    printable_module_name="activation function")


@tags_identifier_errors
def get(identifier):
    """An activation function from a name, a config dict or a callable; ``None`` gives ``linear``.

    Example:
        >>> get("softmax") is softmax
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"activations.get: could not interpret activation function identifier {identifier!r} "
                    f"(expected a name, a config dict or a callable)")
