"""Legacy Adamax (``optimizers.legacy.Adamax``): TensorFlow's ``ResourceApplyAdaMax``.

``m += (g - m)(1 - beta_1)``; ``v = max(beta_2 * v, |g|)``; ``w -= lr / (1 - beta_1^t) * (m / (v + epsilon))``.
Slots: ``m`` for every variable, then ``v``.

Example:
    >>> opt = Adamax(learning_rate=2e-3, decay=1e-3)
"""
import numpy as np

import autograd as ag

from ..adam import _check_betas
from ...backend import epsilon as _default_epsilon
from .optimizer_v2 import OptimizerV2

__all__ = ["Adamax"]


class Adamax(OptimizerV2):
    """Adamax (Adam with the infinity norm), pre-2.11.

    Example:
        >>> model.compile(optimizer=Adamax(learning_rate=0.002), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, name="Adamax", **kwargs):
        super().__init__(name, **kwargs)
        _check_betas(type(self).__name__, beta_1, beta_2, epsilon or 0.0)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or _default_epsilon()

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "m")
        for var in var_list:
            self.add_slot(var, "v")

    def _prepare_local(self, dtype, coefficients):
        super()._prepare_local(dtype, coefficients)
        c = np.dtype(dtype).type
        b1 = self._get_hyper("beta_1", dtype)
        coefficients.update(beta_1_t=b1, beta_2_t=self._get_hyper("beta_2", dtype),
                            beta_1_power=b1 ** c(self.iterations.data + 1), epsilon=c(self.epsilon))

    def _resource_apply_dense(self, grad, var, coefficients):
        c = var.dtype.type
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        scale = coefficients["lr_t"] / (c(1) - coefficients["beta_1_power"])
        with ag.no_grad():
            ag.assign(m, ag.add(m, ag.multiply(ag.subtract(grad, m), c(1) - coefficients["beta_1_t"])))
            ag.assign(v, ag.maximum(ag.multiply(v, coefficients["beta_2_t"]), ag.abs(grad)))
            ratio = ag.divide(m, ag.add(v, coefficients["epsilon"]))
            ag.assign(var, ag.subtract(var, ag.multiply(ratio, c(scale))))

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "beta_1": self._serialize_hyperparameter("beta_1"),
                       "beta_2": self._serialize_hyperparameter("beta_2"), "epsilon": self.epsilon})
        return config
