"""Adamax, as tf.keras 2.11+ (Adam with the infinity norm).

``m += (g - m)(1 - beta_1)``; ``u = max(beta_2 * u, |g|)``; ``w -= lr * m / ((1 - beta_1^t) * (u + epsilon))``.
Slots per variable: ``m`` then ``u``.

Example:
    >>> opt = Adamax(learning_rate=0.01)
"""
from autograd import inplace

from .adam import _check_betas
from .base import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adam's variant based on the infinity norm.

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        beta_1, beta_2: decay rates (0.9, 0.999).
        epsilon: added to ``u`` (1e-7).

    Example:
        >>> model.compile(optimizer=Adamax(learning_rate=2e-3), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Adamax", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        _check_betas("Adamax", beta_1, beta_2, epsilon)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._m = []
        self._u = []
        for v in var_list:
            self._m.append(self.add_variable_from_reference(v, "m"))
            self._u.append(self.add_variable_from_reference(v, "u"))
        self._built = True

    def _prepare_step(self):
        self._step = int(self._iterations.data) + 1

    def update_step(self, gradient, variable):
        i = self._index_dict[self._var_key(variable)]
        inplace.adamax_update(variable, gradient, self._m[i], self._u[i], self._lr_value(), self.beta_1,
                              self.beta_2, self.epsilon, self._step)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate), "beta_1": self.beta_1,
                       "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
