"""Adagrad, as tf.keras 2.11+: ``acc += g^2``; ``w -= lr * g / sqrt(acc + epsilon)``.

The ``accumulator`` slot starts at ``initial_accumulator_value`` (0.1).

Example:
    >>> opt = Adagrad(learning_rate=0.1)
"""
import numbers

import numpy as np

from autograd import inplace

from .base import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Per-parameter learning rates scaled by the accumulated squared gradients.

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        initial_accumulator_value: starting value of the accumulators (0.1, must be >= 0).
        epsilon: inside the square root (1e-7).

    Example:
        >>> model.compile(optimizer=Adagrad(learning_rate=0.01, initial_accumulator_value=0.1), loss="mse")
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Adagrad", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        for arg, value in (("initial_accumulator_value", initial_accumulator_value), ("epsilon", epsilon)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < float("inf"):
                raise ValueError(f"Adagrad({arg}=...): expected a non-negative finite float, received {value!r}")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._accumulators = [
            self.add_variable_from_reference(v, "accumulator",
                                             initial_value=np.full(v.shape, self.initial_accumulator_value, v.dtype))
            for v in var_list]
        self._built = True

    def update_step(self, gradient, variable):
        acc = self._slots(self._accumulators, variable)
        inplace.adagrad_update(variable, gradient, acc, self._lr_value(), self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate),
                       "initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config
