"""Legacy Adadelta (``optimizers.legacy.Adadelta``): TensorFlow's ``ResourceApplyAdadelta``.

``acc = acc * rho + g^2 (1 - rho)``; ``d = sqrt(acc_d + eps) / sqrt(acc + eps) * g``; ``w -= d * lr``;
``acc_d = acc_d * rho + d^2 (1 - rho)``. Slots: ``accum_grad`` for every variable, then ``accum_var``.

Example:
    >>> opt = Adadelta(learning_rate=1.0, rho=0.95)
"""
import numbers

import numpy as np

import autograd as ag

from ...backend import epsilon as _default_epsilon
from .optimizer_v2 import OptimizerV2

__all__ = ["Adadelta"]


class Adadelta(OptimizerV2):
    """Adadelta, pre-2.11.

    Example:
        >>> model.compile(optimizer=Adadelta(learning_rate=1.0), loss="mse")
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-07, name="Adadelta", **kwargs):
        if isinstance(rho, bool) or not (callable(rho) or isinstance(rho, numbers.Real)):
            raise ValueError(f"Adadelta(rho=...): expected a float in [0, 1], received {rho!r}")
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("rho", rho)
        self.epsilon = epsilon or _default_epsilon()

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "accum_grad")
        for var in var_list:
            self.add_slot(var, "accum_var")

    def _prepare_local(self, dtype, coefficients):
        super()._prepare_local(dtype, coefficients)
        coefficients.update(epsilon=np.dtype(dtype).type(self.epsilon), rho=self._get_hyper("rho", dtype))

    def _resource_apply_dense(self, grad, var, coefficients):
        c = var.dtype.type
        rho, eps = coefficients["rho"], coefficients["epsilon"]
        acc, acc_update = self.get_slot(var, "accum_grad"), self.get_slot(var, "accum_var")
        with ag.no_grad():
            ag.assign(acc, ag.add(ag.multiply(acc, rho), ag.multiply(ag.square(grad), c(1) - rho)))
            update = ag.multiply(ag.divide(ag.sqrt(ag.add(acc_update, eps)), ag.sqrt(ag.add(acc, eps))), grad)
            ag.assign(var, ag.subtract(var, ag.multiply(update, coefficients["lr_t"])))
            ag.assign(acc_update, ag.add(ag.multiply(acc_update, rho), ag.multiply(ag.square(update), c(1) - rho)))

    def set_weights(self, weights):
        weights = list(weights)
        if len(self._weights) == len(weights) + 1:
            weights = [np.array(0)] + weights
        super().set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "rho": self._serialize_hyperparameter("rho"), "epsilon": self.epsilon})
        return config
