"""SGD with optional (Nesterov) momentum, as tf.keras 2.11+.

``m = -g * lr + m * momentum``; ``w += m`` (Nesterov: ``w += -g * lr + m * momentum``). One slot ``m`` per
variable, even with momentum 0 (it then holds ``-g * lr``), as tf.keras keeps it.

Example:
    >>> opt = SGD(learning_rate=0.05, momentum=0.9, nesterov=True)
"""
from autograd import inplace

from .base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent (with momentum).

    Args:
        learning_rate: float or LearningRateSchedule (default 0.01).
        momentum: in [0, 1] (default 0).
        nesterov: use Nesterov momentum.

    Example:
        >>> opt = SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
        >>> model.compile(optimizer=opt, loss="mse")        # or optimizer="sgd" for the defaults
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="SGD", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD(momentum=...): `momentum` must be between [0, 1], received {momentum!r}")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.momentum = momentum
        self.nesterov = bool(nesterov)

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self.momentums = [self.add_variable_from_reference(v, "m") for v in var_list]
        self._built = True

    def _keras3_slots(self):
        # NOTE: Keras 3 makes no momentum slots when momentum is 0 (tf.keras 2, and kerasfront, always do)
        slots = super()._keras3_slots()
        if self.momentum or not self._built:
            return slots
        momentums = {id(m) for m in self.momentums}
        return [v for v in slots if id(v) not in momentums]

    def update_step(self, gradient, variable):
        m = self._slots(self.momentums, variable)
        inplace.sgd_update(variable, gradient, self._lr_value(), m=m, momentum=self.momentum, nesterov=self.nesterov)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate),
                       "momentum": self.momentum, "nesterov": self.nesterov})
        return config
