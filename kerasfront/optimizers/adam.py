"""Adam and AdamW, as tf.keras 2.11+.

At step t: ``m += (g - m)(1 - beta_1)``; ``v += (g^2 - v)(1 - beta_2)``;
``w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)``; with ``amsgrad`` the running
maximum ``vhat`` of ``v`` replaces ``v`` in the denominator. Slots: ``m`` and ``v`` for each variable in turn,
then (amsgrad) ``vhat`` for each. AdamW is Adam with decoupled weight decay (default 0.004) applied
before the step: ``w -= w * weight_decay * lr``.

Example:
    >>> opt = Adam(learning_rate=0.02, amsgrad=True, clipnorm=0.5)
"""
import numpy as np

from autograd import inplace

from ..engine import arguments
from .base import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014) with tf.keras 2.11+'s update (epsilon outside the square root, "epsilon hat").

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        beta_1, beta_2: decay rates of the first and second moment estimates (0.9, 0.999).
        epsilon: added to the denominator (1e-7).
        adaptive_epsilon: scale ``epsilon`` by ``sqrt(1 - beta_2^t)`` (the paper's epsilon rather than Keras's
            "epsilon hat"; tf.keras leaves it out of ``get_config``).
        amsgrad: use the AMSGrad variant.

    Example:
        >>> model.compile(optimizer=Adam(learning_rate=1e-3, amsgrad=True, clipnorm=1.0), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, adaptive_epsilon=False,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True, name="Adam", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        _check_betas(type(self).__name__, beta_1, beta_2, epsilon)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.adaptive_epsilon = arguments.flag(adaptive_epsilon, "adaptive_epsilon", type(self).__name__)
        self.amsgrad = arguments.flag(amsgrad, "amsgrad", type(self).__name__)

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._momentums = []
        self._velocities = []
        for v in var_list:
            self._momentums.append(self.add_variable_from_reference(v, "m"))
            self._velocities.append(self.add_variable_from_reference(v, "v"))
        if self.amsgrad:
            self._velocity_hats = [self.add_variable_from_reference(v, "vhat") for v in var_list]
        self._built = True

    def _prepare_step(self):
        self._step = int(self._iterations.data) + 1
        self._lr_now = self._lr_value()
        self._epsilon_now = self.epsilon
        if getattr(self, "adaptive_epsilon", False):
            f = np.float32
            self._epsilon_now = f(self.epsilon) * np.sqrt(f(1) - f(self.beta_2) ** f(self._step))

    def update_step(self, gradient, variable):
        i = self._index_dict[self._var_key(variable)]
        inplace.adam_update(variable, gradient, self._momentums[i], self._velocities[i], self._lr_now, self.beta_1,
                            self.beta_2, self._epsilon_now, self._step,
                            vhat=self._velocity_hats[i] if self.amsgrad else None)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate), "beta_1": self.beta_1,
                       "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``w -= w * weight_decay * lr`` before each step.

    Args:
        weight_decay: the decay factor (default 0.004; required).

    Example:
        >>> model.compile(optimizer=AdamW(learning_rate=1e-3, weight_decay=0.004), loss="mse")
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="AdamW", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: missing value of `weight_decay` which is required and must be a float value.")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, name=name,
                         **kwargs)

    def get_config(self):
        config = super().get_config()
        # tf.keras lists weight_decay right after learning_rate for AdamW
        ordered = {k: config[k] for k in config if k not in ("beta_1", "beta_2", "epsilon", "amsgrad")}
        ordered.update({"weight_decay": self.weight_decay, "beta_1": self.beta_1, "beta_2": self.beta_2,
                        "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return ordered


def _check_betas(who, beta_1, beta_2, epsilon):
    for arg, value in (("beta_1", beta_1), ("beta_2", beta_2)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise ValueError(f"{who}({arg}=...): expected a float in [0, 1), received {value!r}")
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 <= epsilon < float("inf"):
        raise ValueError(f"{who}(epsilon=...): expected a non-negative finite float, received {epsilon!r}")
