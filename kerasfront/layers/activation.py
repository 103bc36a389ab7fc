"""Activation layers with weights or thresholds: PReLU (a learned slope for negative inputs) and ThresholdedReLU
(Keras 2 names, arguments, defaults, weights and configs; ReLU, LeakyReLU, ELU and Softmax are in ``core``).

Example:
    >>> layer = PReLU(shared_axes=[1])
    >>> layer(np.array([[[-2.0, 1.0]], [[3.0, -1.0]]], "float32")).shape
    (2, 1, 2)
    >>> [(w.name, w.shape) for w in layer.weights]
    [('p_re_lu/alpha:0', (1, 2))]
"""
import numpy as np

import autograd as ag

from .. import constraints, initializers, regularizers
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from .core import _number

__all__ = ["PReLU", "ThresholdedReLU"]


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with ``alpha`` a learned array of the
    input's shape (without the batch axis); axes listed in ``shared_axes`` share one slope (size 1).

    Args:
        alpha_initializer: default ``'zeros'`` (the layer starts as a ReLU).
        alpha_regularizer, alpha_constraint: for the weight ``alpha``.
        shared_axes: an int or a list of axes (1 is the first axis after the batch), e.g. ``[1, 2]`` to share
            one slope per channel of an image.

    Example:
        >>> PReLU(alpha_initializer=kerasfront.initializers.Constant(0.5))(np.array([[-2.0, 3.0]], "float32")).numpy()
        array([[-1.,  3.]], dtype=float32)
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            for a in axes:
                if isinstance(a, bool) or not isinstance(a, (int, np.integer)) or a < 1:
                    raise ValueError(f"PReLU layer '{self.name}': `shared_axes` must be axes >= 1 (axis 0 is the "
                                     f"batch), received shared_axes={shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        param_shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a >= len(input_shape):
                raise ValueError(f"PReLU layer '{self.name}': shared axis {a} is out of range for inputs of shape "
                                 f"{input_shape}")
            param_shape[a - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU layer '{self.name}': every axis that does not share its slope must have a "
                             f"known size; received input shape {input_shape} with shared_axes={self.shared_axes} "
                             f"(list the unknown axes in shared_axes)")
        self.alpha = self.add_weight("alpha", shape=tuple(param_shape), initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in (self.shared_axes or ())}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        # NOTE: relu(x) - alpha * relu(-x), as tf.keras, so the gradient at 0 is tf.keras's (0 for x and alpha)
        return ag.relu(inputs) - self.alpha * ag.relu(-inputs)

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config


class ThresholdedReLU(Layer):
    """``x`` where ``x > theta``, 0 elsewhere (``theta >= 0``, default 1.0).

    Example:
        >>> ThresholdedReLU(theta=1.0)(np.array([[0.5, 1.0, 2.0]], "float32"))
        Tensor([[0., 0., 2.]], dtype=float32)
    """

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        who = f"ThresholdedReLU layer '{self.name}'"
        if theta is None:
            raise ValueError(f"{who}: theta of a Thresholded ReLU layer cannot be None, expecting a float")
        # NOTE: stored rounded to float32, as tf.keras casts it to floatx (configs then match)
        self.theta = float(np.float32(_number(theta, "theta", who, minimum=0.0)))
        self.supports_masking = True

    def call(self, inputs):
        return inputs * ag.astype(inputs > self.theta, inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config["theta"] = self.theta
        return config
