"""Ftrl ("Follow The Regularized Leader", McMahan et al., 2013), as tf.keras 2.11+.

With ``p = learning_rate_power`` and ``l2' = l2 + beta / (2 lr)``:
``g' = g + 2 * l2_shrinkage * w``; ``n' = n + g^2``; ``z += g' - (n'^-p - n^-p) / lr * w``;
``w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 l2')``; ``n = n'``. Slots per variable: ``accumulator`` (``n``,
starting at ``initial_accumulator_value``) then ``linear`` (``z``).

Example:
    >>> opt = Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
"""
import numbers

import numpy as np

import autograd as ag

from .base import Optimizer

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """FTRL-proximal, for shallow models with large sparse features (and L1 sparsity).

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        learning_rate_power: how the per-coordinate learning rate shrinks (<= 0; -0.5).
        initial_accumulator_value: starting value of the accumulators (>= 0; 0.1).
        l1_regularization_strength, l2_regularization_strength: (>= 0; 0).
        l2_shrinkage_regularization_strength: an L2 penalty on the weights added to the gradient (>= 0; 0).
        beta: added to the denominator as ``beta / (2 lr)`` (0).

    Example:
        >>> model.compile(optimizer=Ftrl(learning_rate=0.05, l1_regularization_strength=1e-3), loss="mse")
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name="Ftrl", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        check_ftrl_arguments(type(self).__name__, learning_rate_power, initial_accumulator_value,
                             l1_regularization_strength, l2_regularization_strength,
                             l2_shrinkage_regularization_strength, beta)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._accumulators = []
        self._linears = []
        for v in var_list:
            self._accumulators.append(self.add_variable_from_reference(
                v, "accumulator", initial_value=np.full(v.shape, self.initial_accumulator_value, v.dtype)))
            self._linears.append(self.add_variable_from_reference(v, "linear"))
        self._built = True

    def update_step(self, gradient, variable):
        i = self._index_dict[self._var_key(variable)]
        dt = variable.dtype
        lr = dt.type(self._lr_value())
        c = dt.type
        with ag.no_grad():
            accum, linear = self._accumulators[i], self._linears[i]
            neg_power = c(-self.learning_rate_power)
            l2_reg = c(self.l2_regularization_strength) + c(self.beta) / (c(2.0) * lr)
            grad_to_use = ag.add(gradient, ag.multiply(variable, c(2 * self.l2_shrinkage_regularization_strength)))
            new_accum = ag.add(accum, ag.square(gradient))
            sigma = ag.divide(ag.subtract(ag.power(new_accum, neg_power), ag.power(accum, neg_power)), lr)
            ag.assign(linear, ag.add(linear, ag.subtract(grad_to_use, ag.multiply(sigma, variable))))
            quadratic = ag.add(ag.divide(ag.power(new_accum, neg_power), lr), c(2) * l2_reg)
            l1 = c(self.l1_regularization_strength)
            clipped = ag.clip(linear, -l1, l1)
            ag.assign(variable, ag.divide(ag.subtract(clipped, linear), quadratic))
            ag.assign(accum, new_accum)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate),
                       "learning_rate_power": self.learning_rate_power,
                       "initial_accumulator_value": self.initial_accumulator_value,
                       "l1_regularization_strength": self.l1_regularization_strength,
                       "l2_regularization_strength": self.l2_regularization_strength,
                       "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                       "beta": self.beta})
        return config


def check_ftrl_arguments(who, learning_rate_power, initial_accumulator_value, l1, l2, l2_shrinkage, beta):
    """The argument checks both Ftrl optimizers (new and legacy) make, with tf.keras's messages."""
    for arg, value in (("learning_rate_power", learning_rate_power),
                       ("initial_accumulator_value", initial_accumulator_value),
                       ("l1_regularization_strength", l1), ("l2_regularization_strength", l2),
                       ("l2_shrinkage_regularization_strength", l2_shrinkage), ("beta", beta)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{who}({arg}=...): expected a float, received {value!r}")
    if initial_accumulator_value < 0.0:
        raise ValueError(f"{who}: `initial_accumulator_value` needs to be positive or zero. Received: "
                         f"initial_accumulator_value={initial_accumulator_value}.")
    if learning_rate_power > 0.0:
        raise ValueError(f"{who}: `learning_rate_power` needs to be negative or zero. Received: "
                         f"learning_rate_power={learning_rate_power}.")
    for arg, value in (("l1_regularization_strength", l1), ("l2_regularization_strength", l2),
                       ("l2_shrinkage_regularization_strength", l2_shrinkage)):
        if value < 0.0:
            raise ValueError(f"{who}: `{arg}` needs to be positive or zero. Received: {arg}={value}.")
