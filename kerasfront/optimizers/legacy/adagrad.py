"""Legacy Adagrad (``optimizers.legacy.Adagrad``): TensorFlow's ``ResourceApplyAdagradV2``.

``acc += g^2``; ``w -= g * lr / (sqrt(acc) + epsilon)`` (epsilon outside the square root, unlike the new
Adagrad). The ``accumulator`` slot starts at ``initial_accumulator_value``.

Example:
    >>> opt = Adagrad(learning_rate=0.1, decay=1e-3)
"""
import numbers

import numpy as np

import autograd as ag

from ...backend import epsilon as _default_epsilon
from .optimizer_v2 import OptimizerV2

__all__ = ["Adagrad"]


class Adagrad(OptimizerV2):
    """Adagrad, pre-2.11.

    Example:
        >>> model.compile(optimizer=Adagrad(learning_rate=0.05), loss="mse")
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-07, name="Adagrad", **kwargs):
        if isinstance(initial_accumulator_value, bool) or not isinstance(initial_accumulator_value, numbers.Real) \
                or initial_accumulator_value < 0.0:
            raise ValueError(f"initial_accumulator_value must be non-negative: {initial_accumulator_value!r}")
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon or _default_epsilon()

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "accumulator", self._initial_accumulator_value)

    def _prepare_local(self, dtype, coefficients):
        super()._prepare_local(dtype, coefficients)
        coefficients["epsilon"] = np.dtype(dtype).type(self.epsilon)

    def _resource_apply_dense(self, grad, var, coefficients):
        acc = self.get_slot(var, "accumulator")
        with ag.no_grad():
            ag.assign(acc, ag.add(acc, ag.square(grad)))
            step = ag.divide(ag.multiply(grad, coefficients["lr_t"]), ag.add(ag.sqrt(acc), coefficients["epsilon"]))
            ag.assign(var, ag.subtract(var, step))

    def set_weights(self, weights):
        weights = list(weights)
        if len(self._weights) == len(weights) + 1:
            weights = [np.array(0)] + weights
        super().set_weights(weights)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.setdefault("initial_accumulator_value", 0.1)
        return super().from_config(config, custom_objects)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "initial_accumulator_value": self._initial_accumulator_value, "epsilon": self.epsilon})
        return config
