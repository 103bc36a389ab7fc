"""Legacy RMSprop (``optimizers.legacy.RMSprop``): TensorFlow's ``ResourceApplyRMSProp`` /
``ResourceApplyCenteredRMSProp`` with momentum, a plain formula without.

With momentum: ``ms += (g^2 - ms)(1 - rho)``; (centered: ``mg += (g - mg)(1 - rho)``, ``ms - mg^2`` below);
``mom = mom * momentum + g * lr / sqrt(ms + eps)``; ``w -= mom``. Without momentum: ``ms = rho * ms +
(1 - rho) g^2``; ``w -= lr * g / (sqrt(ms) + eps)`` (epsilon outside the square root). Slots: ``rms`` for every
variable, then ``momentum`` (momentum > 0), then ``mg`` (centered).

Example:
    >>> opt = RMSprop(learning_rate=1e-3, rho=0.9, momentum=0.5, centered=True)
"""
import numbers

import numpy as np

import autograd as ag

from ...backend import epsilon as _default_epsilon
from .optimizer_v2 import OptimizerV2

__all__ = ["RMSprop"]


class RMSprop(OptimizerV2):
    """RMSprop, pre-2.11.

    Example:
        >>> model.compile(optimizer=RMSprop(learning_rate=1e-3, decay=1e-4), loss="mse")
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False, name="RMSprop",
                 **kwargs):
        super().__init__(name, **kwargs)
        for arg, value in (("rho", rho), ("momentum", momentum)):
            if isinstance(value, bool) or not (callable(value) or isinstance(value, numbers.Real)):
                raise ValueError(f"RMSprop({arg}=...): expected a float, received {value!r}")
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("rho", rho)
        self._momentum = callable(momentum) or momentum > 0
        if isinstance(momentum, numbers.Real) and (momentum < 0 or momentum > 1):
            raise ValueError(f"`momentum` must be between [0, 1]. Received: momentum={momentum} (of type "
                             f"{type(momentum)}).")
        self._set_hyper("momentum", momentum)
        self.epsilon = epsilon or _default_epsilon()
        self.centered = centered

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "rms")
        if self._momentum:
            for var in var_list:
                self.add_slot(var, "momentum")
        if self.centered:
            for var in var_list:
                self.add_slot(var, "mg")

    def _prepare_local(self, dtype, coefficients):
        super()._prepare_local(dtype, coefficients)
        c = np.dtype(dtype).type
        rho = self._get_hyper("rho", dtype)
        coefficients.update(epsilon=c(self.epsilon), rho=rho, momentum=self._get_hyper("momentum", dtype),
                            one_minus_rho=c(1.0) - rho)

    def _resource_apply_dense(self, grad, var, coefficients):
        rms = self.get_slot(var, "rms")
        lr, rho, eps, one_minus_rho = (coefficients[k] for k in ("lr_t", "rho", "epsilon", "one_minus_rho"))
        with ag.no_grad():
            if self._momentum:
                mom = self.get_slot(var, "momentum")
                ag.assign(rms, ag.add(rms, ag.multiply(ag.subtract(ag.square(grad), rms), one_minus_rho)))
                denominator = rms
                if self.centered:
                    mg = self.get_slot(var, "mg")
                    ag.assign(mg, ag.add(mg, ag.multiply(ag.subtract(grad, mg), one_minus_rho)))
                    denominator = ag.subtract(rms, ag.square(mg))
                step = ag.divide(ag.multiply(grad, lr), ag.sqrt(ag.add(denominator, eps)))
                ag.assign(mom, ag.add(ag.multiply(mom, coefficients["momentum"]), step))
                ag.assign(var, ag.subtract(var, mom))
                return
            ag.assign(rms, ag.add(ag.multiply(rms, rho), ag.multiply(ag.square(grad), one_minus_rho)))
            denominator = rms
            if self.centered:
                mg = self.get_slot(var, "mg")
                ag.assign(mg, ag.add(ag.multiply(mg, rho), ag.multiply(grad, one_minus_rho)))
                denominator = ag.subtract(rms, ag.square(mg))
            step = ag.divide(ag.multiply(grad, lr), ag.add(ag.sqrt(denominator), eps))
            ag.assign(var, ag.subtract(var, step))

    def set_weights(self, weights):
        weights = list(weights)
        if len(self._weights) == len(weights) + 1:
            weights = [np.array(0)] + weights
        super().set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "rho": self._serialize_hyperparameter("rho"),
                       "momentum": self._serialize_hyperparameter("momentum"), "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
