"""Legacy SGD (``optimizers.legacy.SGD``): TensorFlow's ``ResourceApplyKerasMomentum`` /
``ResourceApplyGradientDescent``.

``accum = accum * momentum - g * lr``; ``w += accum`` (Nesterov: ``w += accum * momentum - g * lr``); without
momentum ``w -= g * lr``. A ``momentum`` slot per variable only when momentum > 0.

Example:
    >>> opt = SGD(learning_rate=0.1, momentum=0.9, decay=1e-3)
"""
import numbers

import autograd as ag

from .optimizer_v2 import OptimizerV2

__all__ = ["SGD"]


class SGD(OptimizerV2):
    """Gradient descent with momentum, pre-2.11 (``decay`` supported).

    Args:
        learning_rate: float, LearningRateSchedule or callable (0.01).
        momentum: in [0, 1] (0).
        nesterov: Nesterov momentum.
        name: the state variables' prefix.
        **kwargs: ``decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``lr``.

    Example:
        >>> model.compile(optimizer=SGD(learning_rate=0.01, momentum=0.9, decay=1e-4), loss="mse")
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        if isinstance(momentum, bool) or not (callable(momentum) or isinstance(momentum, numbers.Real)):
            raise ValueError(f"SGD(momentum=...): expected a float in [0, 1], received {momentum!r}")
        self._momentum = callable(momentum) or momentum > 0
        if isinstance(momentum, numbers.Real) and (momentum < 0 or momentum > 1):
            raise ValueError(f"`momentum` must be between [0, 1]. Received: momentum={momentum} (of type "
                             f"{type(momentum)}).")
        self._set_hyper("momentum", momentum)
        self.nesterov = nesterov

    def _create_slots(self, var_list):
        if self._momentum:
            for var in var_list:
                self.add_slot(var, "momentum")

    def _prepare_local(self, dtype, coefficients):
        super()._prepare_local(dtype, coefficients)
        coefficients["momentum"] = self._get_hyper("momentum", dtype)

    def _resource_apply_dense(self, grad, var, coefficients):
        lr = coefficients["lr_t"]
        with ag.no_grad():
            if not self._momentum:
                ag.assign(var, ag.subtract(var, ag.multiply(grad, lr)))
                return
            accum = self.get_slot(var, "momentum")
            momentum = coefficients["momentum"]
            ag.assign(accum, ag.subtract(ag.multiply(accum, momentum), ag.multiply(grad, lr)))
            if self.nesterov:
                step = ag.subtract(ag.multiply(accum, momentum), ag.multiply(grad, lr))
                ag.assign(var, ag.add(var, step))
            else:
                ag.assign(var, ag.add(var, accum))

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "momentum": self._serialize_hyperparameter("momentum"), "nesterov": self.nesterov})
        return config
