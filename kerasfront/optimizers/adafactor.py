"""Adafactor (Shazeer & Stern, 2018), as tf.keras 2.11+.

At step t, with ``rho = min(lr, 1 / sqrt(t))`` (``lr`` itself first capped at ``1 / sqrt(t)`` when
``relative_step`` and the learning rate is not a schedule), ``alpha = max(epsilon_2, rms(w)) * rho`` and
``beta_2 = 1 - t^beta_2_decay``: the squared gradient plus ``epsilon_1`` is averaged, for a variable of rank 2 or
more, into factored row and column statistics ``r`` and ``c`` (``v = r / mean(r) x c``), else into a full
``v``; ``u = g / sqrt(v)`` is clipped to an RMS of ``clip_threshold`` and ``w -= alpha * u``.
Slots, as tf.keras names them: ``r`` and ``c`` (only for rank >= 2) then ``v``, for each variable in turn.

Example:
    >>> opt = Adafactor(learning_rate=0.01)
"""
import numbers

import numpy as np

import autograd as ag

from . import schedules
from ..engine import arguments
from .base import Optimizer
from .keras3_state import keras3_placeholder

__all__ = ["Adafactor"]


def _rms(x):
    return ag.sqrt(ag.mean(ag.square(x)))


class Adafactor(Optimizer):
    """Adam-like updates with factored second moments (memory sublinear in the matrix size).

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        beta_2_decay: exponent of the second-moment decay schedule (-0.8).
        epsilon_1: added to the squared gradient (1e-30).
        epsilon_2: lower bound of the weights' RMS in the step size (1e-3).
        clip_threshold: the update's RMS is clipped to this (1.0).
        relative_step: cap the learning rate at ``1 / sqrt(step)`` (True).

    Example:
        >>> model.compile(optimizer=Adafactor(learning_rate=0.01), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True, name="Adafactor",
                 **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        for arg, value in (("beta_2_decay", beta_2_decay), ("epsilon_1", epsilon_1), ("epsilon_2", epsilon_2),
                           ("clip_threshold", clip_threshold)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
                raise ValueError(f"Adafactor({arg}=...): expected a finite float, received {value!r}")
        for arg, value in (("epsilon_1", epsilon_1), ("epsilon_2", epsilon_2)):
            if value < 0:
                raise ValueError(f"Adafactor({arg}=...): expected a non-negative float, received {value!r}")
        if clip_threshold <= 0:
            raise ValueError(f"Adafactor(clip_threshold=...): expected a positive float, received {clip_threshold!r}")
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = arguments.flag(relative_step, "relative_step", "Adafactor")

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._r, self._c, self._v = [], [], []
        for v in var_list:
            if len(v.shape) < 2:
                # NOTE: as tf.keras, a variable of rank < 2 has no factored statistics (and nothing is saved for them).
                self._r.append(None)
                self._c.append(None)
            else:
                self._r.append(self.add_variable_from_reference(v, "r", shape=v.shape[:-1]))
                self._c.append(self.add_variable_from_reference(v, "c", shape=v.shape[:-2] + v.shape[-1:]))
            self._v.append(self.add_variable_from_reference(v, "v"))
        self._built = True

    def _keras3_slots(self):
        # NOTE: Keras 3 saves r, c, v per variable, with a scalar int32 placeholder for the r and c of a variable of
        # rank < 2 (which kerasfront, as tf.keras, does not make)
        averages = list(getattr(self, "_model_variables_moving_average", None) or []) if self.use_ema else []
        if not self._built:
            return averages
        slots = []
        for var, r, col, v in zip(self._var_list, self._r, self._c, self._v):
            slots += [r if r is not None else keras3_placeholder(self._slot_name(var, "r")),
                      col if col is not None else keras3_placeholder(self._slot_name(var, "c")), v]
        return averages + slots

    def _prepare_step(self):
        self._step = int(self._iterations.data) + 1

    def update_step(self, gradient, variable):
        i = self._index_dict[self._var_key(variable)]
        c = variable.dtype.type
        lr = c(self._lr_value())
        step = c(self._step)
        inv_sqrt_step = c(1) / np.sqrt(step)
        if not isinstance(self._learning_rate, schedules.LearningRateSchedule) and self.relative_step:
            lr = min(lr, inv_sqrt_step)
        rho = min(lr, inv_sqrt_step)
        r, col, v = self._r[i], self._c[i], self._v[i]
        with ag.no_grad():
            alpha = ag.multiply(ag.maximum(_rms(variable), c(self.epsilon_2)), rho)
            regulated = ag.add(ag.square(gradient), c(self.epsilon_1))
            beta_2 = c(1) - np.power(step, c(self.beta_2_decay))
            one_minus = c(1) - beta_2
            if r is not None:
                ag.assign(r, ag.add(ag.multiply(r, beta_2), ag.multiply(ag.mean(regulated, axis=-1), one_minus)))
                ag.assign(col, ag.add(ag.multiply(col, beta_2), ag.multiply(ag.mean(regulated, axis=-2), one_minus)))
                row = ag.divide(r, ag.mean(r, axis=-1, keepdims=True))
                ag.assign(v, ag.multiply(ag.expand_dims(row, -1), ag.expand_dims(col, -2)))
            else:
                ag.assign(v, ag.add(ag.multiply(v, beta_2), ag.multiply(regulated, one_minus)))
            u = ag.divide(gradient, ag.sqrt(v))
            u_hat = ag.divide(u, ag.maximum(ag.divide(_rms(u), c(self.clip_threshold)), c(1)))
            ag.assign(variable, ag.subtract(variable, ag.multiply(u_hat, alpha)))

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate),
                       "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                       "clip_threshold": self.clip_threshold, "relative_step": self.relative_step})
        return config
