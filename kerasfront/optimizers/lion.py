"""Lion ("EvoLved Sign Momentum", Chen et al., 2023), as tf.keras 2.11+.

``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``; ``m = beta_2 * m + (1 - beta_2) * g``. One slot ``m`` per
variable. Its steps have the size of the learning rate in every coordinate, so it wants a learning rate 3-10x
smaller than Adam's (default 1e-4).

Example:
    >>> opt = Lion(learning_rate=1e-4, beta_1=0.9, beta_2=0.99)
"""
import numbers

import autograd as ag

from .base import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """The sign of an interpolated momentum as the update.

    Args:
        learning_rate: float or LearningRateSchedule (default 0.0001).
        beta_1: interpolation between the momentum and the gradient for the update, in (0, 1] (0.9).
        beta_2: decay of the momentum (0.99).

    Example:
        >>> model.compile(optimizer=Lion(learning_rate=3e-4), loss="mse")
    """

    def __init__(self, learning_rate=0.0001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Lion", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        for arg, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"Lion({arg}=...): expected a float, received {value!r}")
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Lion: `beta_1`={beta_1} must be between ]0, 1]. Otherwise, the optimizer degenerates "
                             f"to SignSGD.")
        if not 0 <= beta_2 <= 1:
            raise ValueError(f"Lion(beta_2=...): expected a float in [0, 1], received {beta_2!r}")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self.momentums = [self.add_variable_from_reference(v, "m") for v in var_list]
        self._built = True

    def update_step(self, gradient, variable):
        m = self._slots(self.momentums, variable)
        c = variable.dtype.type
        lr, b1, b2 = c(self._lr_value()), c(self.beta_1), c(self.beta_2)
        with ag.no_grad():
            direction = ag.sign(ag.add(ag.multiply(m, b1), ag.multiply(gradient, c(1.0) - b1)))
            ag.assign(variable, ag.subtract(variable, ag.multiply(direction, lr)))
            ag.assign(m, ag.add(ag.multiply(m, b2), ag.multiply(gradient, c(1.0) - b2)))

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate), "beta_1": self.beta_1,
                       "beta_2": self.beta_2})
        return config
