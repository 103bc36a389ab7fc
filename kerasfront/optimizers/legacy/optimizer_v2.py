"""The pre-2.11 optimizer base class, ``optimizers.legacy.Optimizer`` (tf.keras's ``OptimizerV2``).

What differs from the new optimizers (``optimizers.Optimizer``):

- ``decay``: the learning rate at step ``t`` (0-based) is ``lr / (1 + decay * t)``; ``lr`` is also accepted.
- Hyperparameters (``learning_rate``, ``beta_1``, ``momentum``, ...) are float32 Variables (readable and settable
  as attributes, ``K.set_value(opt.lr, ...)`` works); ``get_config`` gives them as float32 numbers, as tf.keras.
- The state layout that ``.h5`` files hold: ``{name}/iter:0`` first, then each slot kind for every variable in
  turn, named ``{name}/{variable path}/{slot}:0`` (``Adam/dense/kernel/m:0``).
- Gradients are clipped by value, then by norm, then by global norm (each when set), then passed through
  ``gradient_transformers``; there is no weight decay or EMA.
- The update formulas are those of TensorFlow's fused training ops (``ResourceApplyAdam`` ...), in float32.

Example:
    >>> opt = kerasfront.optimizers.legacy.SGD(learning_rate=0.1, decay=0.5)
    >>> w = kerasfront.variables.Variable(np.ones(2, np.float32), name="w")
    >>> for _ in range(2):
    ...     _ = opt.apply_gradients([(np.ones(2, np.float32), w)])
    >>> w.numpy()                                    # 1 - 0.1 - 0.1 / (1 + 0.5)
    array([0.8333333, 0.8333333], dtype=float32)
"""
import math
import warnings

import numpy as np

import autograd as ag
from autograd import inplace

from ...serialization import serialize_keras_object
from ...variables import Variable
from .. import schedules as _schedules
from ..base import CallableList

__all__ = ["OptimizerV2"]

_ALLOWED_KWARGS = ("clipnorm", "clipvalue", "lr", "decay", "global_clipnorm")
# NOTE: as the new optimizers: subnormal slot entries are zeroed every 8 steps (TensorFlow's kernels flush them).
_FLUSH_EVERY = 8


def _raw(x):
    return x.data if isinstance(x, ag.Tensor) else np.asarray(x)


class OptimizerV2:
    """Base class of the legacy optimizers; subclasses define ``_create_slots``, ``_prepare_local`` and
    ``_resource_apply_dense``.

    Args:
        name: the prefix of the state variables' names.
        gradient_aggregator: a function of the ``(gradient, variable)`` list applied first (None: unchanged).
        gradient_transformers: functions of the ``(gradient, variable)`` list applied after clipping.
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``lr`` (the old name of ``learning_rate``) and
            ``decay`` (inverse-time decay of the learning rate per step).

    Example:
        >>> opt = kerasfront.optimizers.legacy.Adam(learning_rate=1e-3, decay=1e-4, clipnorm=1.0)
        >>> opt.get_config()["decay"]
        0.0001
    """

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, name, gradient_aggregator=None, gradient_transformers=None, **kwargs):
        who = type(self).__name__
        for k in kwargs:
            if k not in _ALLOWED_KWARGS:
                raise TypeError(f"Unexpected keyword argument passed to optimizer: {k}. Allowed kwargs are "
                                f"{set(_ALLOWED_KWARGS)}.")
            value = kwargs[k]
            if value is not None and not isinstance(value, _schedules.LearningRateSchedule) and not callable(value):
                if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or \
                        not math.isfinite(value):
                    raise ValueError(f"{who}({k}=...): expected a number, received {value!r}")
                if value < 0:
                    raise ValueError(f"Expected {k} >= 0, received: {value}")
            if k == "lr":
                warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.", stacklevel=3)
        if not isinstance(name, str) or not name:
            raise ValueError(f"{who}(name=...): expected a non-empty string, received {name!r}")
        object.__setattr__(self, "_hyper", {})
        self._name = name
        self._slots = {}
        self._slot_names = []
        self._weights = []
        self._iterations = None
        self._built = False
        decay = kwargs.pop("decay", 0.0)
        self._initial_decay = decay
        self.gradient_aggregator = gradient_aggregator
        self.gradient_transformers = list(gradient_transformers or [])
        clipnorm, global_clipnorm = kwargs.pop("clipnorm", None), kwargs.pop("global_clipnorm", None)
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"Cannot accept both `clipnorm` and `global_clipnorm`. Received: `clipnorm`={clipnorm}, "
                             f"`global_clipnorm`={global_clipnorm}.")
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = kwargs.pop("clipvalue", None)

    # -- hyperparameters ----------------------------------------------------------------------------------

    def _set_hyper(self, name, value):
        """Store a hyperparameter: a schedule or callable as is, a number in a float32 Variable."""
        hyper = self._hyper
        if isinstance(value, _schedules.LearningRateSchedule) or (callable(value) and not isinstance(value, ag.Tensor)):
            hyper[name] = value
            return
        try:
            number = float(_raw(value))
        except (TypeError, ValueError):
            raise TypeError(f"{type(self).__name__}({name}=...): expected a float, a LearningRateSchedule or a "
                            f"callable, received {value!r}") from None
        if isinstance(hyper.get(name), Variable):
            ag.assign(hyper[name], np.float32(number))
        else:
            hyper[name] = Variable(np.asarray(number, np.float32), name=name, trainable=False)

    def _get_hyper(self, name, dtype=None):
        """The hyperparameter's current value (a schedule is returned as is; a callable is called)."""
        value = self._hyper[name]
        if isinstance(value, _schedules.LearningRateSchedule):
            return value
        if callable(value) and not isinstance(value, ag.Tensor):
            value = value()
        if dtype is not None:
            return np.dtype(dtype).type(_raw(value))
        return value

    def __getattr__(self, name):
        hyper = self.__dict__.get("_hyper", {})
        if name == "lr":
            name = "learning_rate"
        if name in hyper:
            return self._get_hyper(name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name == "lr":
            name = "learning_rate"
        if name in self.__dict__.get("_hyper", {}):
            self._set_hyper(name, value)
        else:
            object.__setattr__(self, name, value)

    def _serialize_hyperparameter(self, name):
        value = self._hyper[name]
        if isinstance(value, _schedules.LearningRateSchedule):
            return serialize_keras_object(value)
        if callable(value) and not isinstance(value, ag.Tensor):
            return value()
        if isinstance(value, ag.Tensor):
            return np.float32(value.data)
        return value

    def _decayed_lr(self, var_dtype):
        """The learning rate for this step: the schedule at ``iterations``, divided by ``1 + decay * iterations``."""
        dt = np.dtype(var_dtype)
        lr = self._hyper["learning_rate"]
        step = dt.type(self.iterations.data)
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr_t = dt.type(_raw(lr(self.iterations)))
        else:
            lr_t = self._get_hyper("learning_rate", dt)
        if self._initial_decay > 0.0:
            lr_t = lr_t / (dt.type(1) + dt.type(self._initial_decay) * step)
        return dt.type(lr_t)

    # -- state ------------------------------------------------------------------------------------------------

    @property
    def iterations(self):
        """The number of steps taken: an int64 Variable named ``{name}/iter:0``, made on first use."""
        if self._iterations is None:
            self._iterations = Variable(np.zeros((), np.int64), name=f"{self._name}/iter", trainable=False)
            self._weights.insert(0, self._iterations)
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        if isinstance(value, Variable) and self._iterations is None:
            self._iterations = value
            self._weights.insert(0, value)
            return
        if isinstance(value, Variable):
            raise RuntimeError("Cannot set `iterations` to a new Variable after the Optimizer weights have been "
                               "created.")
        ag.assign(self.iterations, np.int64(_raw(value)))

    @property
    def variables(self):
        """``[iterations, (momentum cache,) slots]`` in the order tf.keras saves them (callable too, as tf.keras's
        ``variables()`` method)."""
        return CallableList(self._weights)

    @property
    def weights(self):
        """The same as ``variables``."""
        return CallableList(self._weights)

    def get_weights(self):
        """The values of ``weights`` as numpy arrays."""
        return [v.numpy() for v in self._weights]

    def set_weights(self, weights):
        """Set ``weights`` from numpy arrays (same order and shapes; all-or-nothing)."""
        weights = list(weights)
        params = self._weights
        if len(params) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on optimizer {self._name} with a weight list of length "
                             f"{len(weights)}, but the optimizer was expecting {len(params)} weights. Provided "
                             f"weights: {str(weights)[:50]}...")
        arrays = []
        for v, w in zip(params, weights):
            a = np.asarray(_raw(w))
            if a.shape != v.shape:
                raise ValueError(f"Optimizer weight shape {v.shape} not compatible with provided weight shape "
                                 f"{a.shape}")
            arrays.append(a)
        for v, a in zip(params, arrays):
            ag.assign(v, a)

    def _var_key(self, var):
        return id(var)

    def add_slot(self, var, slot_name, initializer="zeros", shape=None):
        """The ``slot_name`` Variable of ``var`` (made on first call: zeros, a constant or an initializer)."""
        if slot_name not in self._slot_names:
            self._slot_names.append(slot_name)
        slots = self._slots.setdefault(self._var_key(var), {})
        if slot_name in slots:
            return slots[slot_name]
        shape = tuple(var.shape) if shape is None else tuple(shape)
        if isinstance(initializer, str) and initializer == "zeros":
            value = np.zeros(shape, var.dtype)
        elif isinstance(initializer, (int, float, np.integer, np.floating)):
            value = np.full(shape, initializer, var.dtype)
        else:
            from ... import initializers
            value = _raw(initializers.get(initializer)(shape, dtype=var.dtype))
        path = getattr(var, "path", None) or (getattr(var, "name", None) or "variable").rsplit(":", 1)[0]
        slot = Variable(np.asarray(value, var.dtype), name=f"{self._name}/{path}/{slot_name}", trainable=False)
        slots[slot_name] = slot
        self._weights.append(slot)
        return slot

    def get_slot(self, var, slot_name):
        """The ``slot_name`` Variable of ``var`` (KeyError naming what exists when there is none)."""
        slots = self._slots.get(self._var_key(var), {})
        if slot_name not in slots:
            raise KeyError(f"Slot {slot_name!r} was not created for variable {getattr(var, 'name', var)}; this "
                           f"optimizer's slots are {self._slot_names}")
        return slots[slot_name]

    def get_slot_names(self):
        """The slot kinds this optimizer made (``['m', 'v']`` for Adam)."""
        return list(self._slot_names)

    def add_weight(self, name, shape, dtype=None, initializer="zeros", trainable=None, synchronization=None,
                   aggregation=None):
        """A state Variable that is not a slot (not appended to ``weights``; Nadam appends its own)."""
        dt = np.dtype(dtype or "float32")
        if initializer == "zeros":
            value = np.zeros(shape, dt)
        elif initializer == "ones":
            value = np.ones(shape, dt)
        else:
            from ... import initializers
            value = _raw(initializers.get(initializer)(tuple(shape), dtype=dt))
        return Variable(np.asarray(value, dt), name=f"{self._name}/{name}", trainable=bool(trainable))

    def _create_all_weights(self, var_list):
        _ = self.iterations
        self._create_slots(var_list)
        self._built = True

    def build(self, var_list):
        """Make the iteration counter and the slots of ``var_list`` (what the first ``apply_gradients`` does)."""
        self._create_all_weights(list(var_list))

    def _create_slots(self, var_list):
        """Make the slots of ``var_list`` (subclasses; none by default)."""

    # -- updating ---------------------------------------------------------------------------------------------

    def _prepare_local(self, dtype, coefficients):
        """Per-step coefficients shared by every variable of ``dtype`` (subclasses add theirs)."""
        coefficients["lr_t"] = self._decayed_lr(dtype)

    def _resource_apply_dense(self, grad, var, coefficients):
        raise NotImplementedError(f"{type(self).__name__} must implement _resource_apply_dense(grad, var, "
                                  f"coefficients)")

    def _transform_gradients(self, grads_and_vars):
        if self.clipvalue is not None:
            grads_and_vars = [(inplace.clip_by_value(g, self.clipvalue), v) for g, v in grads_and_vars]
        if self.clipnorm is not None:
            grads_and_vars = [(inplace.clip_by_norm(g, self.clipnorm), v) for g, v in grads_and_vars]
        if self.global_clipnorm is not None:
            clipped = inplace.clip_by_global_norm([g for g, _ in grads_and_vars], self.global_clipnorm)
            grads_and_vars = list(zip(clipped, [v for _, v in grads_and_vars]))
        for fn in self.gradient_transformers:
            grads_and_vars = list(fn(grads_and_vars))
        return grads_and_vars

    def _check_pairs(self, grads_and_vars):
        pairs, missing = [], []
        for g, v in grads_and_vars:
            if not isinstance(v, ag.Tensor):
                raise TypeError(f"apply_gradients: expected (gradient, variable) pairs with Variables, received "
                                f"{type(v).__name__} as a variable")
            if g is None:
                missing.append(v)
                continue
            gd = _raw(g)
            if gd.shape != v.shape:
                raise ValueError(f"apply_gradients: the gradient for variable {getattr(v, 'name', '?')} has shape "
                                 f"{gd.shape}, but the variable has shape {v.shape}")
            pairs.append((ag.Tensor(gd.astype(v.dtype, copy=False)), v))
        if not pairs:
            raise ValueError(f"No gradients provided for any variable: "
                             f"{[getattr(v, 'name', '?') for _, v in grads_and_vars]}.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {[getattr(v, 'name', '?') for v in missing]} when "
                          f"minimizing the loss. If you're using `model.compile()`, did you forget to provide a "
                          f"`loss` argument?", stacklevel=3)
        return pairs

    def apply_gradients(self, grads_and_vars, name=None, experimental_aggregate_gradients=True):
        """Apply ``(gradient, variable)`` pairs: clip, update every variable, then add one to ``iterations``.

        Example:
            >>> opt.apply_gradients(zip(grads, model.trainable_variables))
        """
        pairs = self._check_pairs(list(grads_and_vars))
        if self.gradient_aggregator is not None and experimental_aggregate_gradients:
            pairs = list(self.gradient_aggregator(pairs))
        self._create_all_weights([v for _, v in pairs])
        pairs = self._transform_gradients(pairs)
        coefficients = {}
        for g, v in pairs:
            dt = np.dtype(v.dtype)
            if dt not in coefficients:
                coefficients[dt] = {}
                self._prepare_local(dt, coefficients[dt])
        for g, v in pairs:
            self._resource_apply_dense(g, v, coefficients[np.dtype(v.dtype)])
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                with ag.no_grad():
                    ag.assign(v, _raw(constraint(v)))
        if int(self.iterations.data) % _FLUSH_EVERY == 0:
            inplace.flush_subnormals(self._weights[1:])
        ag.assign_add(self.iterations, 1)
        return self.iterations

    def apply(self, grads, trainable_variables):
        """``apply_gradients(zip(grads, trainable_variables))`` (the spelling ``Model.fit`` uses)."""
        grads, trainable_variables = list(grads), list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"apply: received {len(grads)} gradients for {len(trainable_variables)} variables")
        return self.apply_gradients(zip(grads, trainable_variables))

    def get_gradients(self, loss, params):
        """The gradients of the scalar ``loss`` for ``params`` (clipped as configured)."""
        params = list(params)
        grads = ag.gradients(loss, params)
        if None in grads:
            raise ValueError("An operation has `None` for gradient. Please make sure that all of your ops have a "
                             "gradient defined (i.e. are differentiable).")
        return [g for g, _ in self._transform_gradients(list(zip(grads, params)))]

    def minimize(self, loss, var_list, grad_loss=None, name=None, tape=None):
        """Compute the gradients of ``loss`` (a scalar Tensor or a callable returning one) and apply them."""
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        value = loss() if callable(loss) else loss
        if not isinstance(value, ag.Tensor) or value.size != 1:
            raise ValueError(f"minimize: the loss must be a scalar Tensor, received {value!r}")
        grads = tape.gradient(value, var_list) if tape is not None else ag.gradients(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def get_host_state(self):
        """None: a legacy optimizer keeps all its state in ``variables`` (Nadam's cache included)."""
        return None

    def set_host_state(self, text):
        """Nothing to take back (see ``get_host_state``)."""

    # -- config -------------------------------------------------------------------------------------------

    def get_config(self):
        """``{"name", "clipnorm"/"clipvalue"/"global_clipnorm" (when set)}`` plus the subclass's arguments."""
        config = {"name": self._name}
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from ``get_config()``'s dict (``lr`` is read as ``learning_rate``; a schedule config is
        deserialized)."""
        config = dict(config)
        config.pop("is_legacy_optimizer", None)
        if "lr" in config:
            config["learning_rate"] = config.pop("lr")
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    @property
    def name(self):
        """The optimizer's name (the prefix of its state variables)."""
        return self._name

    def __repr__(self):
        return f"<kerasfront.optimizers.legacy.{type(self).__name__} name={self._name!r}>"
