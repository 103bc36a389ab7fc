"""RMSprop, as tf.keras 2.11+.

``vel = rho * vel + (1 - rho) g^2``; centered: ``avg = rho * avg + (1 - rho) g`` and the denominator is
``vel - avg^2 + eps``, else ``vel + eps``; ``inc = lr * g / sqrt(denominator)``; with momentum
``mom = momentum * mom + inc`` and ``w -= mom``, else ``w -= inc``. Slots: ``velocity`` for every variable,
then ``momentum`` (only when momentum > 0), then ``average_gradient`` (only when centered).

Example:
    >>> opt = RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True)
"""
from autograd import inplace

from .base import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        rho: discounting factor of the squared-gradient average (0.9).
        momentum: momentum (0).
        epsilon: inside the square root (1e-7).
        centered: normalize by the estimated variance of the gradient.

    Example:
        >>> model.compile(optimizer=RMSprop(learning_rate=1e-3, rho=0.9, momentum=0.0, centered=True), loss="mse")
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=100, jit_compile=True, name="RMSprop", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        for arg, value in (("rho", rho), ("momentum", momentum), ("epsilon", epsilon)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf") \
                    or (arg == "rho" and value > 1):
                expected = "a float in [0, 1]" if arg == "rho" else "a non-negative finite float"
                raise ValueError(f"RMSprop({arg}=...): expected {expected}, received {value!r}")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = bool(centered)

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list] \
            if self.momentum > 0 else []
        self._average_gradients = [self.add_variable_from_reference(v, "average_gradient") for v in var_list] \
            if self.centered else []
        self._built = True

    def update_step(self, gradient, variable):
        i = self._index_dict[self._var_key(variable)]
        inplace.rmsprop_update(variable, gradient, self._velocities[i], self._lr_value(), self.rho, self.epsilon,
                               momentum=self.momentum,
                               momentum_slot=self._momentums[i] if self.momentum > 0 else None,
                               average_grad=self._average_gradients[i] if self.centered else None)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate), "rho": self.rho,
                       "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return config
