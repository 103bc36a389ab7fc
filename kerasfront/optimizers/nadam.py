"""Nadam (Adam with Nesterov momentum), as tf.keras 2.11+.

With the momentum schedule ``u_t = beta_1 (1 - 0.5 * 0.96^t)`` and its running product ``P_t = u_1 ... u_t``:
``m += (g - m)(1 - beta_1)``; ``v += (g^2 - v)(1 - beta_2)``;
``m_hat = u_{t+1} m / (1 - P_{t+1}) + (1 - u_t) g / (1 - P_t)``; ``v_hat = v / (1 - beta_2^t)``;
``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``. Slots per variable: ``m`` then ``v``.

tf.keras keeps ``P`` in a variable that it advances once per step through a Python counter compared with
``iterations``. Inside ``model.fit`` (a traced ``tf.function``) that counter is read when the train step is
traced, not when it runs, so at run time the product is advanced again for every variable except the one
whose traced counter matches the step, and ``fit`` gives other numbers than the formula above. Measured with
tf_keras 2.21: the train step is traced twice on the first call, so with K variables the k-th update
(from 0) carries the counter K + 1 + k, and reuses the product only at step t = K + k; the product starts
at 1 when the optimizer is built and is not saved. This optimizer reproduces that by default, so training
matches tf.keras's ``fit``; set ``emulate_fit_trace = False`` for the formula above (what tf.keras gives with
``run_eagerly=True``).

Keras 3 keeps ``P_t`` in a variable, advanced once per step, and saves it after the slots (``.keras`` files). So
its ``fit`` gives the formula above, and a Nadam restored from a Keras 3 file continues as Keras 3 does: from the
product the file holds, with ``emulate_fit_trace = False``. Files kerasfront writes hold ``P_t`` there too (what
Keras 3 reads), and kerasfront's own product and mode beside it (``get_host_state``), so that kerasfront continues
exactly as it would have.

Example:
    >>> opt = Nadam(learning_rate=0.01)
"""
import numpy as np

from autograd import inplace

from .adam import _check_betas
from .base import Optimizer
from .keras3_state import Keras3State

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2015).

    Args:
        learning_rate: float or LearningRateSchedule (default 0.001).
        beta_1, beta_2: decay rates (0.9, 0.999).
        epsilon: added to the denominator (1e-7).

    Attributes:
        emulate_fit_trace: reproduce the momentum-cache product of tf.keras's traced ``fit`` (default True);
            False gives the eager formula.

    Example:
        >>> model.compile(optimizer=Nadam(learning_rate=2e-3), loss="mse")
    """

    _HOST_STATE_NAMES = ("_u_product", "_u_product_step", "_graph_base", "emulate_fit_trace")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name="Nadam", **kwargs):
        super().__init__(name=name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, jit_compile=jit_compile, **kwargs)
        _check_betas("Nadam", beta_1, beta_2, epsilon)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.emulate_fit_trace = True
        self._u_product = np.float32(1.0)
        self._u_product_step = 0
        self._graph_base = None

    def build(self, var_list):
        super().build(var_list)
        if self._built:
            return
        self._momentums = []
        self._velocities = []
        for v in var_list:
            self._momentums.append(self.add_variable_from_reference(v, "m"))
            self._velocities.append(self.add_variable_from_reference(v, "v"))
        self._dtype = np.dtype(var_list[0].dtype) if var_list else np.dtype(np.float32)
        self._built = True

    def _prepare_step(self):
        step = int(self._iterations.data) + 1
        self._step = step
        if not self.emulate_fit_trace:
            self._prepare_eager(step)
            return
        # NOTE: tf.keras's traced behaviour (see the module docstring): the counters are fixed by the (second)
        # trace of the first step, K + 1 + k for the k-th of K updates; the shared product is multiplied by
        # u_t once per update whose counter differs from step + 1.
        if self._graph_base is None:
            self._graph_base = 1 + getattr(self, "_num_updates", len(self._var_list))
        self._graph_counter = self._graph_base
        u_t, u_t1, _, _ = inplace.nadam_coefficients(step, self.beta_1, 1.0, self._dtype)
        self._u_t, self._u_t1 = u_t, u_t1

    def _prepare_eager(self, step):
        self._coefficients = inplace.nadam_coefficients(step, self.beta_1, self._eager_product(step - 1),
                                                        self._dtype)
        self._u_product = self._coefficients[2]
        self._u_product_step = step

    def _eager_product(self, step):
        """``P_step = u_1 ... u_step`` of the formula (1 at step 0)."""
        if not self.emulate_fit_trace and self._u_product_step == step:
            return self._u_product
        # NOTE: the running product is host state (tf.keras keeps it outside the saved variables); after a restore
        # without it or a jump in iterations it is recomputed from step 1, in float32 as it was built. The last one
        # computed is kept, so that saving every epoch of a long run in the traced mode costs that epoch's steps only.
        beta_1, start, prod = getattr(self, "_product_memo", (self.beta_1, 0, np.float32(1.0)))
        if start > step or beta_1 != self.beta_1:
            start, prod = 0, np.float32(1.0)
        for t in range(start + 1, step + 1):
            new = inplace.nadam_coefficients(t, self.beta_1, prod, self._dtype)[2]
            if new == prod:
                break       # a fixed point (0, or a subnormal that rounds back): u_t only grows towards beta_1 < 1
            prod = new
        self._product_memo = (self.beta_1, step, prod)
        return prod

    def _keras3_slots(self):
        slots = super()._keras3_slots()
        if self._built:
            slots.append(Keras3State(f"{self.name}/momentum_product", (), self._dtype,
                                     get=lambda: self._eager_product(int(self._iterations.data)),
                                     set=self._take_keras3_product))
        return slots

    def _take_keras3_product(self, value):
        """A product Keras 3 saved: continue as Keras 3 does, with the formula (``iterations`` is loaded first)."""
        self.emulate_fit_trace = False
        self._u_product = self._dtype.type(value)
        self._u_product_step = int(self._iterations.data)
        self._graph_base = None

    def _graph_coefficients(self):
        counter = self._graph_counter
        self._graph_counter += 1
        if counter != self._step + 1:
            self._u_product = self._dtype.type(self._u_product * self._u_t)
        prod_t = self._u_product
        return self._u_t, self._u_t1, prod_t, self._dtype.type(prod_t * self._u_t1)

    def update_step(self, gradient, variable):
        i = self._index_dict[self._var_key(variable)]
        coefficients = self._graph_coefficients() if self.emulate_fit_trace else self._coefficients
        inplace.nadam_update(variable, gradient, self._momentums[i], self._velocities[i], self._lr_value(),
                             self.beta_1, self.beta_2, self.epsilon, self._step, coefficients)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate": self._serialize_hyperparameter(self._learning_rate), "beta_1": self.beta_1,
                       "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
