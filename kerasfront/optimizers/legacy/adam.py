"""Legacy Adam (``optimizers.legacy.Adam``): TensorFlow's ``ResourceApplyAdam`` (and ``...WithAmsgrad``).

At step t, with the (decayed) learning rate ``lr``: ``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)``;
``m += (g - m)(1 - beta_1)``; ``v += (g^2 - v)(1 - beta_2)``; (amsgrad: ``vhat = max(vhat, v)``);
``w -= m * alpha / (sqrt(v or vhat) + epsilon)``. Slots: ``m`` for every variable, then ``v``, then (amsgrad)
``vhat``.

Example:
    >>> opt = Adam(learning_rate=1e-3, decay=1e-4)
"""
import numpy as np

import autograd as ag

from ..adam import _check_betas
from ...backend import epsilon as _default_epsilon
from .optimizer_v2 import OptimizerV2

__all__ = ["Adam"]


class Adam(OptimizerV2):
    """Adam, pre-2.11 (``decay`` supported).

    Args:
        learning_rate: float, LearningRateSchedule or callable (0.001).
        beta_1, beta_2: decay rates of the moment estimates (0.9, 0.999).
        epsilon: added to the denominator (1e-7; 0 or None gives ``backend.epsilon()``).
        amsgrad: the AMSGrad variant.
        name: the state variables' prefix.
        **kwargs: ``decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``lr``.

    Example:
        >>> model.compile(optimizer=Adam(learning_rate=0.01, decay=0.1), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False, name="Adam",
                 **kwargs):
        super().__init__(name, **kwargs)
        _check_betas(type(self).__name__, beta_1, beta_2, epsilon or 0.0)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or _default_epsilon()
        self.amsgrad = amsgrad

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "m")
        for var in var_list:
            self.add_slot(var, "v")
        if self.amsgrad:
            for var in var_list:
                self.add_slot(var, "vhat")

    def _prepare_local(self, dtype, coefficients):
        super()._prepare_local(dtype, coefficients)
        c = np.dtype(dtype).type
        step = c(self.iterations.data + 1)
        b1, b2 = self._get_hyper("beta_1", dtype), self._get_hyper("beta_2", dtype)
        coefficients.update(beta_1_t=b1, beta_2_t=b2, beta_1_power=b1 ** step, beta_2_power=b2 ** step,
                            epsilon=c(self.epsilon))

    def _resource_apply_dense(self, grad, var, coefficients):
        c = var.dtype.type
        one = c(1)
        b1, b2 = coefficients["beta_1_t"], coefficients["beta_2_t"]
        alpha = coefficients["lr_t"] * np.sqrt(one - coefficients["beta_2_power"]) / (one - coefficients["beta_1_power"])
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        with ag.no_grad():
            ag.assign(m, ag.add(m, ag.multiply(ag.subtract(grad, m), one - b1)))
            ag.assign(v, ag.add(v, ag.multiply(ag.subtract(ag.square(grad), v), one - b2)))
            denominator = v
            if self.amsgrad:
                vhat = self.get_slot(var, "vhat")
                ag.assign(vhat, ag.maximum(vhat, v))
                denominator = vhat
            step = ag.divide(ag.multiply(m, c(alpha)), ag.add(ag.sqrt(denominator), coefficients["epsilon"]))
            ag.assign(var, ag.subtract(var, step))

    def set_weights(self, weights):
        weights = list(weights)
        num_vars = (len(self._weights) - 1) // 2
        if len(weights) == 3 * num_vars + 1:
            weights = weights[:len(self._weights)]
        super().set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "beta_1": self._serialize_hyperparameter("beta_1"),
                       "beta_2": self._serialize_hyperparameter("beta_2"), "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config
