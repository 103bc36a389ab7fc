"""SpectralNormalization: a wrapper that keeps a layer's kernel at spectral norm ~1 (Miyato et al., 2018), as
tf.keras 2 does it.

At every training call the wrapped layer's ``kernel`` (or an Embedding's ``embeddings``), seen as a matrix
(-1, last axis), is divided in place by its largest singular value, estimated by ``power_iterations`` steps of
power iteration from the stored non-trainable vector ``vector_u`` (which is updated too); then the layer runs.
Outside training the layer runs with its weights as they are. As in tf.keras the normalization is an update,
not part of the differentiated computation: the gradient is the wrapped layer's at the normalized kernel.

Weights: the wrapped layer's (named under the wrapper: ``spectral_normalization/kernel:0``), then
``spectral_normalization/vector_u:0`` of shape (1, kernel.shape[-1]).

Example:
    >>> layer = SpectralNormalization(kerasfront.layers.Dense(3))
    >>> layer(np.ones((2, 4), "float32"), training=True).shape
    (2, 3)
    >>> [w.name for w in layer.weights]
    ['spectral_normalization/kernel:0', 'spectral_normalization/bias:0', 'spectral_normalization/vector_u:0']
"""
import numpy as np

import autograd as ag

from .. import initializers
from ..engine.base_layer import in_shape_inference
from .recurrent_cells import resolve_training
from .wrappers import Wrapper

__all__ = ["SpectralNormalization"]


def _l2_normalize(v):
    # NOTE: tf.math.l2_normalize's guard: v / sqrt(max(sum(v^2), 1e-12))
    return v / ag.sqrt(ag.maximum(ag.sum(v * v), 1e-12))


class SpectralNormalization(Wrapper):
    """Spectral normalization of a layer with a ``kernel`` (Dense, Conv*) or ``embeddings`` (Embedding).

    Args:
        layer: the Layer to wrap.
        power_iterations: power-iteration steps per training call (an int >= 1, default 1).

    Example:
        >>> layer = SpectralNormalization(kerasfront.layers.Conv2D(2, 3), power_iterations=2)
        >>> layer(np.ones((1, 5, 5, 3), "float32")).shape
        (1, 3, 3, 2)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, (int, np.integer)) or \
                power_iterations <= 0:
            raise ValueError(f"SpectralNormalization layer '{self.name}': `power_iterations` should be an integer "
                             f"greater than zero. Received: power_iterations={power_iterations!r}")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        if not self.layer.built:
            # NOTE: built directly, with no scope of its own: "spectral_normalization/kernel:0", as tf.keras
            self.layer._maybe_build(tuple(input_shape))
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"SpectralNormalization layer '{self.name}': {type(self.layer).__name__} object has no "
                             f"attribute 'kernel' nor 'embeddings'")
        self.kernel = kernel
        # NOTE: tf.keras tracks the kernel as a variable of the wrapper too (its own variables are kernel and
        # vector_u in a .weights.h5 / .keras file); ``weights`` lists each variable once either way
        (self._trainable_weights if kernel.trainable else self._non_trainable_weights).append(kernel)
        self.vector_u = self.add_weight("vector_u", shape=(1, kernel.shape[-1]),
                                        initializer=initializers.TruncatedNormal(stddev=0.02), trainable=False,
                                        dtype=kernel.dtype)
        self.built = True

    def call(self, inputs, training=None):
        if resolve_training(training) and not in_shape_inference():
            self._update_weights()
        return self.layer(inputs)

    def _update_weights(self):
        kernel = self.kernel
        if not bool(ag.any(kernel != 0)):
            return                      # an all-zero kernel stays as it is (tf.keras skips it too)
        with ag.no_grad():
            w = ag.reshape(kernel, (-1, kernel.shape[-1]))
            u = self.vector_u.value()
            for _ in range(self.power_iterations):
                v = _l2_normalize(ag.matmul(u, w.T))
                u = _l2_normalize(ag.matmul(v, w))
            sigma = ag.matmul(ag.matmul(v, w), u.T)
            kernel.assign(ag.reshape(w / sigma, kernel.shape))
            self.vector_u.assign(u)

    def compute_mask(self, inputs, mask=None):
        return self.layer.compute_mask(inputs, mask)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
