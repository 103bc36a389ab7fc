"""LossScaleOptimizer: an optimizer wrapper that multiplies the loss by a scale before differentiation and
divides the gradients by it after, so that small float16 gradients do not flush to zero; with dynamic scaling
(the default) a step whose gradients hold inf or nan is skipped and halves the scale, and every
``dynamic_growth_steps`` finite steps double it, as tf.keras does.

``fit`` scales and unscales by itself: a model compiled under the "mixed_float16" policy gets its optimizer
wrapped, as in tf.keras. In a custom loop, as tf.keras:

    scaled = opt.get_scaled_loss(loss)
    grads = opt.get_unscaled_gradients(ag.gradients(scaled, variables))
    opt.apply_gradients(zip(grads, variables))

or Keras 3's spelling, ``opt.apply(ag.gradients(opt.scale_loss(loss), variables), variables)`` (``apply``
takes the scaled gradients).

Files: the inner optimizer's variables are what tf.keras saves; the scale and its counter are kept as
host state beside them (tf.keras ignores it and restarts the scale), so a kerasfront model reloads exactly.

Example:
    >>> opt = LossScaleOptimizer(kerasfront.optimizers.SGD(0.1))
    >>> float(opt.loss_scale), opt.dynamic_growth_steps
    (32768.0, 2000)
"""
import json

import numpy as np

import autograd as ag

from .. import optimizers
from ..variables import Variable

__all__ = ["LossScaleOptimizer"]

_DEFAULT_INITIAL_SCALE = 2.0 ** 15
_DEFAULT_GROWTH_STEPS = 2000


def _is_inner(optimizer):
    return isinstance(optimizer, (optimizers.Optimizer, optimizers.legacy.Optimizer))


class LossScaleOptimizer:
    """Loss scaling around ``inner_optimizer`` (a new or a legacy optimizer).

    Args:
        inner_optimizer: the optimizer that applies the (unscaled, finite) gradients.
        dynamic: adjust the scale as training goes (True), or keep ``initial_scale`` fixed.
        initial_scale: the first scale (default 2 ** 15 when dynamic; required when not).
        dynamic_growth_steps: finite steps between doublings of the scale (default 2000; dynamic only).

    Example:
        >>> opt = LossScaleOptimizer(kerasfront.optimizers.SGD(1.0), initial_scale=4.0)
        >>> w = kerasfront.Variable(np.array([1.0], "float32"), name="w")
        >>> opt.apply_gradients([(ag.tensor(np.array([np.inf], "float32")), w)])   # skipped, scale halved
        >>> w.numpy(), float(opt.loss_scale)
        (array([1.], dtype=float32), 2.0)
    """

    def __init__(self, inner_optimizer=None, dynamic=True, initial_scale=None, dynamic_growth_steps=None, *args,
                 **kwargs):
        # NOTE: tf.keras's signature is (*args, **kwargs) (a metaclass picks the class); these are what it reads
        if args or kwargs:
            raise TypeError(f"LossScaleOptimizer: unexpected argument(s) {list(args) + sorted(kwargs)}; it takes "
                            f"inner_optimizer, dynamic, initial_scale and dynamic_growth_steps")
        if inner_optimizer is None:
            raise TypeError("LossScaleOptimizer: missing the `inner_optimizer` argument (the optimizer to wrap)")
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError(f"LossScaleOptimizer cannot wrap another LossScaleOptimizer, but got: {inner_optimizer}")
        if not _is_inner(inner_optimizer):
            raise TypeError(f'"inner_optimizer" must be an instance of Optimizer, but got: {inner_optimizer}.')
        if not isinstance(dynamic, bool):
            raise TypeError(f'"dynamic" argument to LossScaleOptimizer.__init__ must be a bool, but got: '
                            f"{dynamic!r}")
        if getattr(inner_optimizer, "_is_wrapped_by_loss_scale_optimizer", False):
            raise ValueError('"inner_optimizer" is already wrapped by a LossScaleOptimizer. An optimizer can only be '
                             "wrapped by a single LossScaleOptimizer")
        if dynamic:
            initial_scale = _DEFAULT_INITIAL_SCALE if initial_scale is None else initial_scale
            dynamic_growth_steps = _DEFAULT_GROWTH_STEPS if dynamic_growth_steps is None else dynamic_growth_steps
            if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, (int, np.integer)) \
                    or dynamic_growth_steps < 1:
                raise ValueError(f'"dynamic_growth_steps" must be a positive int, but got: {dynamic_growth_steps!r}')
        else:
            if initial_scale is None:
                raise ValueError('"initial_scale" must be specified if "dynamic" is False')
            if dynamic_growth_steps is not None:
                raise ValueError(f'"dynamic_growth_steps" must be None if "dynamic" is False, but got: '
                                 f"{dynamic_growth_steps}")
        try:
            initial_scale = float(initial_scale)
        except (TypeError, ValueError):
            raise ValueError(f'"initial_scale" must be a positive number, but got: {initial_scale!r}') from None
        if not np.isfinite(initial_scale) or initial_scale <= 0:
            raise ValueError(f'"initial_scale" must be a positive number, but got: {initial_scale!r}')
        self._optimizer = inner_optimizer
        inner_optimizer._is_wrapped_by_loss_scale_optimizer = True
        self._dynamic = dynamic
        self._initial_scale = initial_scale
        self._growth_steps = int(dynamic_growth_steps) if dynamic else None
        self._scale = Variable(np.float32(initial_scale), name="current_loss_scale", trainable=False)
        self._counter = Variable(np.int64(0), name="good_steps", trainable=False)

    # -- the scale -------------------------------------------------------------------------------------------
    @property
    def inner_optimizer(self):
        """The wrapped optimizer."""
        return self._optimizer

    @property
    def dynamic(self):
        """Whether the scale adapts."""
        return self._dynamic

    @property
    def loss_scale(self):
        """The current scale (a float32 0-d Tensor)."""
        return ag.Tensor(self._scale.data.copy())

    @property
    def dynamic_counter(self):
        """Finite steps since the scale last changed (None when not dynamic)."""
        return self._counter if self._dynamic else None

    @property
    def initial_scale(self):
        return self._initial_scale

    @property
    def dynamic_growth_steps(self):
        return self._growth_steps

    def get_scaled_loss(self, loss):
        """``loss`` times the scale (a callable loss gives a callable).

        Example:
            >>> LossScaleOptimizer(kerasfront.optimizers.SGD(), initial_scale=8.0).get_scaled_loss(ag.tensor(0.5))
            Tensor(4.)
        """
        if callable(loss) and not isinstance(loss, ag.Tensor):
            return lambda: self.get_scaled_loss(loss())
        loss = loss if isinstance(loss, ag.Tensor) else ag.as_tensor(np.asarray(loss, np.float32))
        return ag.multiply(loss, np.asarray(self._scale.data, dtype=loss.dtype))

    scale_loss = get_scaled_loss          # Keras 3's name

    def get_unscaled_gradients(self, grads):
        """Each gradient times 1 / scale (None stays None).

        Example:
            >>> opt = LossScaleOptimizer(kerasfront.optimizers.SGD(), initial_scale=8.0)
            >>> opt.get_unscaled_gradients([ag.tensor([4.0]), None])
            [Tensor([0.5]), None]
        """
        reciprocal = 1.0 / float(self._scale.data)
        return [None if g is None else ag.multiply(g, np.asarray(reciprocal, dtype=np.asarray(
            g.data if isinstance(g, ag.Tensor) else g).dtype)) for g in grads]

    def _update_scale(self, grads):
        """tf.keras's dynamic update; returns whether the step's gradients are all finite."""
        finite = all(bool(np.isfinite(g.data if isinstance(g, ag.Tensor) else np.asarray(g)).all())
                     for g in grads if g is not None)
        if not self._dynamic:
            return True           # NOTE: a fixed scale applies every step, finite or not, as tf.keras
        if finite:
            if int(self._counter.data) + 1 >= self._growth_steps:
                doubled = np.float32(self._scale.data * 2)
                if np.isfinite(doubled):
                    self._scale.assign(doubled)
                self._counter.assign(np.int64(0))
            else:
                self._counter.assign_add(np.int64(1))
        else:
            self._counter.assign(np.int64(0))
            self._scale.assign(np.maximum(np.float32(self._scale.data / 2), np.float32(1)))
        return finite

    # -- steps -----------------------------------------------------------------------------------------------
    def compute_gradients(self, loss, var_list, tape=None):
        """``[(unscaled gradient, variable)]`` of ``loss``, differentiated scaled."""
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        value = loss() if callable(loss) else loss
        with np.errstate(over="ignore", invalid="ignore"):       # an overflow skips the step, by design
            grads = ag.gradients(self.get_scaled_loss(value), var_list)
        return list(zip(self.get_unscaled_gradients(grads), var_list))

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False, **kwargs):
        """Apply unscaled ``(gradient, variable)`` pairs unless one holds inf or nan; then only the scale
        changes (and the iteration count, as tf.keras)."""
        pairs = list(grads_and_vars)
        if not pairs:
            return None
        if not getattr(self._optimizer, "_built", True):
            self._optimizer.build([v for _, v in pairs])
        if self._update_scale([g for g, _ in pairs]):
            self._optimizer.apply_gradients(pairs)
        else:
            ag.assign_add(self._optimizer.iterations, 1)
        return None

    def apply(self, grads, trainable_variables=None):
        """Keras 3's ``apply``: ``grads`` are the gradients of the scaled loss; they are unscaled and applied."""
        if trainable_variables is None:
            trainable_variables = self._optimizer._var_list
        grads, trainable_variables = list(grads), list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"apply: received {len(grads)} gradients for {len(trainable_variables)} variables")
        return self.apply_gradients(zip(self.get_unscaled_gradients(grads), trainable_variables))

    def minimize(self, loss, var_list, tape=None):
        """Scale, differentiate, unscale and apply (or skip)."""
        return self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    # -- what the inner optimizer holds ----------------------------------------------------------------------
    @property
    def iterations(self):
        return self._optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        self._optimizer.iterations = value

    @property
    def variables(self):
        """The inner optimizer's variables (what tf.keras saves in files)."""
        return self._optimizer.variables

    @property
    def _built(self):
        return getattr(self._optimizer, "_built", True)

    def build(self, var_list):
        return self._optimizer.build(var_list)

    @property
    def learning_rate(self):
        return self._optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._optimizer.learning_rate = value

    lr = learning_rate

    def get_weights(self):
        return self._optimizer.get_weights()

    def set_weights(self, weights):
        return self._optimizer.set_weights(weights)

    def finalize_variable_values(self, var_list):
        if hasattr(self._optimizer, "finalize_variable_values"):
            self._optimizer.finalize_variable_values(var_list)

    def __getattr__(self, name):
        # the inner optimizer's other attributes (use_ema, name, clipnorm, ...), as tf.keras's delegation
        if name.startswith("__") or name == "_optimizer":
            raise AttributeError(name)
        return getattr(self._optimizer, name)

    def get_host_state(self):
        """The scale, its counter and the inner optimizer's host state, as JSON."""
        inner = getattr(self._optimizer, "get_host_state", lambda: None)()
        return json.dumps({"loss_scale": float(self._scale.data), "good_steps": int(self._counter.data),
                           "inner": inner})

    def set_host_state(self, text):
        state = json.loads(text)
        if not isinstance(state, dict) or "loss_scale" not in state:
            getattr(self._optimizer, "set_host_state", lambda t: None)(text)
            return
        self._scale.assign(np.float32(state["loss_scale"]))
        self._counter.assign(np.int64(state.get("good_steps", 0)))
        if state.get("inner") is not None:
            getattr(self._optimizer, "set_host_state", lambda t: None)(state["inner"])

    # -- config ----------------------------------------------------------------------------------------------
    @property
    def _tf_keras_class_name(self):
        """The class name tf.keras writes in files: V3 around a new optimizer, the plain name around a legacy one."""
        return "LossScaleOptimizer" if isinstance(self._optimizer, optimizers.legacy.Optimizer) \
            else "LossScaleOptimizerV3"

    def get_config(self):
        return {"inner_optimizer": optimizers.serialize(self._optimizer), "dynamic": self._dynamic,
                "initial_scale": self._initial_scale, "dynamic_growth_steps": self._growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = config.pop("inner_optimizer", None)
        if inner is None:
            raise ValueError(f"LossScaleOptimizer config has no 'inner_optimizer': {sorted(config)}")
        if "loss_scale" in config:                      # tf 2.3's LossScaleOptimizerV1 config
            scale = config.pop("loss_scale")
            if isinstance(scale, dict) and scale.get("class_name") == "DynamicLossScale":
                c = scale.get("config", {})
                config.update(dynamic=True, initial_scale=c.get("initial_loss_scale"),
                              dynamic_growth_steps=c.get("increment_period"))
            else:
                config.update(dynamic=False, initial_scale=scale)
        if not _is_inner(inner):
            inner = optimizers.deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return f"<kerasfront.mixed_precision.LossScaleOptimizer inner={self._optimizer!r}>"
