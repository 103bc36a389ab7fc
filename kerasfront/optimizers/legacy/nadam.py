"""Legacy Nadam (``optimizers.legacy.Nadam``), tf.keras's pre-2.11 formula.

With the momentum schedule ``mu_t = beta_1 (1 - 0.5 * 0.96^(decay * t))`` (``decay`` is the schedule decay,
0.004) and the running product ``M`` kept in the ``momentum_cache`` variable (``M_t = M_{t-1} mu_t``):
``g' = g / (1 - M_t)``; ``m = beta_1 m + (1 - beta_1) g``; ``m' = m / (1 - M_t mu_{t+1})``;
``v = beta_2 v + (1 - beta_2) g^2``; ``v' = v / (1 - beta_2^t)``; ``w -= lr ((1 - mu_t) g' + mu_{t+1} m') /
(sqrt(v') + epsilon)``. The learning rate is not decayed. State: ``iter``, ``momentum_cache``, then ``m`` for
every variable, then ``v``.

Example:
    >>> opt = Nadam(learning_rate=2e-3)
"""
import numpy as np

import autograd as ag

from .. import schedules
from ..adam import _check_betas
from ...backend import epsilon as _default_epsilon
from .optimizer_v2 import OptimizerV2

__all__ = ["Nadam"]


class Nadam(OptimizerV2):
    """Nadam (Adam with Nesterov momentum), pre-2.11. ``schedule_decay`` (default 0.004) sets the momentum
    schedule; a ``decay`` argument is replaced by it, as in tf.keras.

    Example:
        >>> model.compile(optimizer=Nadam(learning_rate=2e-3), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, name="Nadam", **kwargs):
        kwargs["decay"] = kwargs.pop("schedule_decay", 0.004)
        learning_rate = kwargs.get("lr", learning_rate)
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            raise ValueError("The Nadam optimizer does not support tf.keras.optimizers.LearningRateSchedules as the "
                             "learning rate.")
        super().__init__(name, **kwargs)
        _check_betas(type(self).__name__, beta_1, beta_2, epsilon or 0.0)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or _default_epsilon()
        self._m_cache = None

    def _create_slots(self, var_list):
        if self._m_cache is None:
            dtype = var_list[0].dtype if var_list else np.float32
            self._m_cache = self.add_weight("momentum_cache", shape=(), dtype=dtype, initializer="ones",
                                            trainable=False)
            self._weights.append(self._m_cache)
        for var in var_list:
            self.add_slot(var, "m")
        for var in var_list:
            self.add_slot(var, "v")

    def _prepare_local(self, dtype, coefficients):
        c = np.dtype(dtype).type
        lr = self._get_hyper("learning_rate", dtype)
        b1, b2 = self._get_hyper("beta_1", dtype), self._get_hyper("beta_2", dtype)
        step, next_step = c(self.iterations.data + 1), c(self.iterations.data + 2)
        decay_base, decay = c(0.96), c(self._initial_decay)
        m_t = b1 * (c(1.0) - c(0.5) * decay_base ** (decay * step))
        m_t_1 = b1 * (c(1.0) - c(0.5) * decay_base ** (decay * next_step))
        m_schedule_new = c(self._m_cache.data) * m_t
        if np.dtype(dtype) == self._m_cache.dtype:
            ag.assign(self._m_cache, m_schedule_new)
        m_schedule_next = m_schedule_new * m_t_1
        coefficients.update(lr_t=lr, epsilon=c(self.epsilon), beta_1_t=b1, beta_2_t=b2, m_t=m_t, m_t_1=m_t_1,
                            one_minus_beta_1_t=c(1) - b1, one_minus_beta_2_t=c(1) - b2, one_minus_m_t=c(1.0) - m_t,
                            one_minus_m_schedule_new=c(1.0) - m_schedule_new,
                            one_minus_m_schedule_next=c(1.0) - m_schedule_next,
                            v_t_prime_denominator=c(1.0) - b2 ** step)

    def _resource_apply_dense(self, grad, var, coefficients):
        k = coefficients
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        with ag.no_grad():
            g_prime = ag.divide(grad, k["one_minus_m_schedule_new"])
            ag.assign(m, ag.add(ag.multiply(m, k["beta_1_t"]), ag.multiply(grad, k["one_minus_beta_1_t"])))
            m_t_prime = ag.divide(m, k["one_minus_m_schedule_next"])
            ag.assign(v, ag.add(ag.multiply(v, k["beta_2_t"]), ag.multiply(ag.square(grad), k["one_minus_beta_2_t"])))
            v_t_prime = ag.divide(v, k["v_t_prime_denominator"])
            m_t_bar = ag.add(ag.multiply(g_prime, k["one_minus_m_t"]), ag.multiply(m_t_prime, k["m_t_1"]))
            step = ag.divide(ag.multiply(m_t_bar, k["lr_t"]), ag.add(ag.sqrt(v_t_prime), k["epsilon"]))
            ag.assign(var, ag.subtract(var, step))

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter("learning_rate"), "decay": self._initial_decay,
                       "beta_1": self._serialize_hyperparameter("beta_1"),
                       "beta_2": self._serialize_hyperparameter("beta_2"), "epsilon": self.epsilon})
        return config
