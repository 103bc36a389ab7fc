"""Legacy Ftrl (``optimizers.legacy.Ftrl``): TensorFlow's ``ResourceApplyFtrl`` / ``ResourceApplyFtrlV2``.

With ``p = learning_rate_power`` and ``l2' = l2 + beta / (2 lr)``: ``g' = g + 2 * l2_shrinkage * w``;
``n' = n + g^2``; ``z += g' - (n'^-p - n^-p) / lr * w``; ``w = (l1 * sign(z) - z) / (n'^-p / lr + 2 l2')`` where
``|z| > l1``, else 0; ``n = n'``. Slots per variable: ``accumulator`` then ``linear``.

Example:
    >>> opt = Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
"""
import numpy as np

import autograd as ag

from ..ftrl import check_ftrl_arguments
from .optimizer_v2 import OptimizerV2

__all__ = ["Ftrl"]


class Ftrl(OptimizerV2):
    """FTRL-proximal, pre-2.11 (note tf.keras's argument order: ``name`` before the shrinkage strength).

    Example:
        >>> model.compile(optimizer=Ftrl(learning_rate=0.05), loss="mse")
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, name="Ftrl",
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, **kwargs):
        super().__init__(name, **kwargs)
        check_ftrl_arguments(type(self).__name__, learning_rate_power, initial_accumulator_value,
                             l1_regularization_strength, l2_regularization_strength,
                             l2_shrinkage_regularization_strength, beta)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("learning_rate_power", learning_rate_power)
        self._set_hyper("l1_regularization_strength", l1_regularization_strength)
        self._set_hyper("l2_regularization_strength", l2_regularization_strength)
        self._set_hyper("beta", beta)
        self._initial_accumulator_value = initial_accumulator_value
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "accumulator", self._initial_accumulator_value)
            self.add_slot(var, "linear")

    def _prepare_local(self, dtype, coefficients):
        super()._prepare_local(dtype, coefficients)
        for key in ("learning_rate_power", "l1_regularization_strength", "l2_regularization_strength", "beta"):
            coefficients[key] = self._get_hyper(key, dtype)
        coefficients["l2_shrinkage_regularization_strength"] = np.dtype(dtype).type(
            self._l2_shrinkage_regularization_strength)

    def _resource_apply_dense(self, grad, var, coefficients):
        c = var.dtype.type
        lr = coefficients["lr_t"]
        l1 = coefficients["l1_regularization_strength"]
        l2 = coefficients["l2_regularization_strength"] + coefficients["beta"] / (c(2.0) * lr)
        neg_power = -coefficients["learning_rate_power"]
        accum, linear = self.get_slot(var, "accumulator"), self.get_slot(var, "linear")
        with ag.no_grad():
            g = grad
            if self._l2_shrinkage_regularization_strength > 0.0:
                g = ag.add(grad, ag.multiply(var, c(2) * coefficients["l2_shrinkage_regularization_strength"]))
            new_accum = ag.add(accum, ag.multiply(grad, grad))
            # NOTE: TensorFlow's kernel takes square roots for the default power -0.5 and pow otherwise.
            root = ag.sqrt if neg_power == c(0.5) else (lambda t: ag.power(t, neg_power))
            sigma = ag.divide(ag.subtract(root(new_accum), root(accum)), lr)
            ag.assign(linear, ag.add(linear, ag.subtract(g, ag.multiply(sigma, var))))
            x = ag.subtract(ag.multiply(ag.sign(linear), l1), linear)
            y = ag.add(ag.divide(root(new_accum), lr), c(2) * l2)
            ag.assign(var, ag.where(ag.greater(ag.abs(linear), l1), ag.divide(x, y), ag.zeros_like(var)))
            ag.assign(accum, new_accum)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "initial_accumulator_value": self._initial_accumulator_value,
                       "learning_rate_power": self._serialize_hyperparameter("learning_rate_power"),
                       "l1_regularization_strength": self._serialize_hyperparameter("l1_regularization_strength"),
                       "l2_regularization_strength": self._serialize_hyperparameter("l2_regularization_strength"),
                       "beta": self._serialize_hyperparameter("beta"),
                       "l2_shrinkage_regularization_strength": self._l2_shrinkage_regularization_strength})
        return config
