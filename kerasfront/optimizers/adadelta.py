"""Adadelta, as tf.keras 2.11+.

``acc_g = rho * acc_g + (1 - rho) g^2``; ``d = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps)``;
``acc_d = rho * acc_d + (1 - rho) d^2``; ``w += lr * d``. Slots per variable: ``accumulated_grad`` then
``accumulated_delta_var``.

Example:
    >>> opt = Adadelta(learning_rate=1.0, rho=0.95)
"""
import numbers

from autograd import inplace

from .base import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adaptive learning rates from running averages of squared gradients and squared updates.

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        rho: decay rate (0.95).
        epsilon: inside the square roots (1e-7).

    Example:
        >>> model.compile(optimizer=Adadelta(learning_rate=1.0, rho=0.95), loss="mse")
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-07, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Adadelta", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not 0 <= rho <= 1:
            raise ValueError(f"Adadelta(rho=...): expected a float in [0, 1], received {rho!r}")
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not 0 <= epsilon < float("inf"):
            raise ValueError(f"Adadelta(epsilon=...): expected a non-negative finite float, received {epsilon!r}")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._accumulated_grads = []
        self._accumulated_delta_vars = []
        for v in var_list:
            self._accumulated_grads.append(self.add_variable_from_reference(v, "accumulated_grad"))
            self._accumulated_delta_vars.append(self.add_variable_from_reference(v, "accumulated_delta_var"))
        self._built = True

    def update_step(self, gradient, variable):
        i = self._index_dict[self._var_key(variable)]
        inplace.adadelta_update(variable, gradient, self._accumulated_grads[i], self._accumulated_delta_vars[i],
                                self._lr_value(), self.rho, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate), "rho": self.rho,
                       "epsilon": self.epsilon})
        return config
