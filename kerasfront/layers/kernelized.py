"""``RandomFourierFeatures`` (``layers.experimental``), as tf.keras: random features whose inner products
approximate a shift-invariant kernel (Rahimi & Recht, 2007).

``cos(x @ (W / scale) + b)`` with ``W`` fixed random (standard normal for the ``"gaussian"`` kernel, standard
Cauchy for ``"laplacian"``), ``b`` uniform in [0, 2 pi), and ``scale`` one trainable non-negative number
(default ``sqrt(input_dim / 2)`` for the gaussian kernel, 1 for the laplacian one).

Example:
    >>> layer = RandomFourierFeatures(output_dim=8)
    >>> layer(np.zeros((2, 3), "float32")).shape
    (2, 8)
"""
import numbers

import numpy as np

import autograd as ag

from .. import initializers
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from ..random_state import make_generator

__all__ = []          # exported from layers.experimental, as in tf.keras

_KERNELS = ("gaussian", "laplacian")


class RandomFourierFeatures(Layer):
    """Map inputs ``(batch, input_dim)`` to ``(batch, output_dim)`` random Fourier features.

    Args:
        output_dim: the number of features.
        kernel_initializer: ``"gaussian"``, ``"laplacian"`` or an initializer for the random matrix.
        scale: the initial kernel scale (a positive float; default from the kernel and input size).
        trainable: whether the scale is trained.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.Input(shape=(4,)), RandomFourierFeatures(16),
        ...                                kerasfront.layers.Dense(2)])
    """

    def __init__(self, output_dim, kernel_initializer="gaussian", scale=None, trainable=False, name=None, **kwargs):
        if isinstance(output_dim, bool) or not isinstance(output_dim, numbers.Integral) or output_dim <= 0:
            raise ValueError(f"`output_dim` should be a positive integer. Received: {output_dim!r}")
        if isinstance(kernel_initializer, str) and kernel_initializer.lower() not in _KERNELS:
            raise ValueError(f"Unsupported `kernel_initializer`: {kernel_initializer} Expected one of: "
                             f"{list(_KERNELS)}")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, numbers.Real) or scale <= 0.0):
            raise ValueError(f"When provided, `scale` should be a positive float. Received: {scale!r}")
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.output_dim = int(output_dim)
        self.kernel_initializer = kernel_initializer
        self.scale = scale

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"The rank of the input tensor should be 2. Received input with rank {len(input_shape)} "
                             f"instead. Full input shape received: {input_shape}")
        if input_shape[1] is None:
            raise ValueError(f"The last dimension of the input tensor should be defined. Found `None`. Full input "
                             f"shape received: {input_shape}")
        input_dim = int(input_shape[1])
        self.input_spec = InputSpec(ndim=2, axes={1: input_dim})
        shape = (input_dim, self.output_dim)
        init = self.kernel_initializer
        if isinstance(init, str) and init.lower() == "gaussian":
            init = initializers.RandomNormal(stddev=1.0)
        elif isinstance(init, str):
            # NOTE: standard Cauchy samples by the inverse CDF, drawn once (tf.keras draws them with numpy too).
            probs = make_generator().uniform(0.0, 1.0, size=shape)
            init = initializers.Constant(np.tan(np.pi * (probs - 0.5)))
        self.unscaled_kernel = self.add_weight(name="unscaled_kernel", shape=shape, dtype=self.dtype, initializer=init,
                                               trainable=False)
        self.bias = self.add_weight(name="bias", shape=(self.output_dim,), dtype=self.dtype,
                                    initializer=initializers.RandomUniform(minval=0.0, maxval=2 * np.pi),
                                    trainable=False)
        if self.scale is None:
            self.scale = float(np.sqrt(input_dim / 2.0)) if isinstance(self.kernel_initializer, str) and \
                self.kernel_initializer.lower() == "gaussian" else 1.0
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=(1,), dtype=self.dtype,
                                            initializer=initializers.Constant(self.scale), trainable=True,
                                            constraint="NonNeg")
        super().build(input_shape)

    def call(self, inputs):
        dt = np.dtype(self.dtype)
        x = ag.astype(inputs, dt) if inputs.dtype != dt else inputs
        kernel = ag.multiply(ag.divide(dt.type(1.0), self.kernel_scale), self.unscaled_kernel)
        return ag.cos(ag.add(ag.matmul(x, kernel), self.bias))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"RandomFourierFeatures: expected an input shape (batch, input_dim) with input_dim "
                             f"defined, received {input_shape}")
        return input_shape[:-1] + (self.output_dim,)

    def get_config(self):
        kernel_initializer = self.kernel_initializer
        if not isinstance(kernel_initializer, str):
            kernel_initializer = initializers.serialize(kernel_initializer)
        config = super().get_config()
        config.update({"output_dim": self.output_dim, "kernel_initializer": kernel_initializer, "scale": self.scale})
        return config
