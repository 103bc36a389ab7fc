"""The Optimizer base class, with tf.keras 2.11+ ("new optimizer") semantics.

An optimizer owns an ``iterations`` counter (an int64 Variable named ``iteration:0``), a learning rate
(a float32 Variable, or a schedule evaluated at ``iterations`` before each update) and slot Variables
made in ``build(var_list)``, named ``"<optimizer>/<slot>/<variable path>:0"`` (``Adam/m/dense/kernel:0``).
``variables`` lists the counter first, then the slots in creation order: the order tf.keras writes them
to an HDF5 file.

``apply_gradients(grads_and_vars)``: builds the slots on first use, drops ``None`` gradients, clips
(``clipnorm`` per gradient, ``global_clipnorm`` over all, ``clipvalue``), applies decoupled
``weight_decay`` (``w -= w * wd * lr``), calls ``update_step`` for each variable (fused in-place kernels
from ``autograd.inplace``), every 8 steps zeroes subnormal slot entries (TensorFlow flushes them to zero),
updates the EMA if asked, adds one to ``iterations`` and applies each variable's ``constraint``.

Example:
    >>> opt = kerasfront.optimizers.SGD(learning_rate=0.1)
    >>> w = kerasfront.variables.Variable(np.ones(2, np.float32), name="w")
    >>> opt.apply_gradients([(ag.tensor(np.ones(2, np.float32)), w)]); w.numpy()
    array([0.9, 0.9], dtype=float32)
"""
import math
import warnings

import numpy as np

import autograd as ag
from autograd import inplace

from ..engine import arguments
from ..serialization import serialize_keras_object
from ..variables import Variable
from . import schedules as _schedules

# NOTE: every 8 steps the slots' subnormal entries are zeroed (see autograd.inplace.flush_subnormals): an entry
# stays subnormal (slow) for at most 8 steps, at an eighth of the cost of flushing every step.
_FLUSH_EVERY = 8

_LEGACY_KWARGS = ("decay", "gradient_aggregator", "gradient_transformers")


class CallableList(list):
    """A list that also answers ``opt.variables()`` (tf.keras allows both spellings).

    Example:
        >>> names = CallableList(["iteration", "m"])
        >>> names() == names == ["iteration", "m"]
        True
    """

    def __call__(self):
        return self


def _check_clip(value, arg, who):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or \
            not math.isfinite(value) or value < 0:
        raise ValueError(f"{who}({arg}=...): expected a non-negative number or None, received {value!r}")
    return value


def _raw(x):
    return x.data if isinstance(x, ag.Tensor) else np.asarray(x)


def _var_label(v):
    return getattr(v, "name", None) or f"<tensor shape={getattr(v, 'shape', '?')}>"


class Optimizer:
    """Base class of every optimizer; subclasses implement ``build(var_list)`` and ``update_step(grad, var)``.

    Args:
        name: prefix of the slot variables' names.
        weight_decay: decoupled weight decay factor (0 or None: off; the optimizers default to None).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient entry to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global norm (not with ``clipnorm``).
        use_ema, ema_momentum, ema_overwrite_frequency: keep an exponential moving average of the weights.
        jit_compile: accepted for compatibility (there is no XLA here; reported as False).

    Example:
        >>> w = kerasfront.Variable(np.zeros(2, "float32"), name="w")
        >>> kerasfront.optimizers.SGD(learning_rate=0.1).apply_gradients([(np.ones(2, "float32"), w)])
        <kerasfront.Variable 'iteration:0' shape=() dtype=int64, numpy=1>
        >>> w.numpy()
        array([-0.1, -0.1], dtype=float32)
    """

    def __init__(self, name, weight_decay=0, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True, **kwargs):
        who = type(self).__name__
        if not isinstance(name, str) or not name:
            raise ValueError(f"{who}(name=...): expected a non-empty string, received {name!r}")
        self.name = name
        if weight_decay is not None:
            _check_clip(weight_decay, "weight_decay", who)
        self.weight_decay = weight_decay
        self.clipnorm = _check_clip(clipnorm, "clipnorm", who)
        self.clipvalue = _check_clip(clipvalue, "clipvalue", who)
        self.global_clipnorm = _check_clip(global_clipnorm, "global_clipnorm", who)
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError(f"{who}: at most one of `clipnorm` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, global_clipnorm={global_clipnorm}.")
        # NOTE: tf.keras checks the two EMA settings only with use_ema=True; checked always here, so that a bad value
        # fails where it is written rather than when EMA is switched on
        self.use_ema = arguments.flag(use_ema, "use_ema", who)
        arguments.number(ema_momentum, "ema_momentum", who, low=0.0, high=1.0)
        arguments.integer(ema_overwrite_frequency, "ema_overwrite_frequency", who, low=1, allow_none=True)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.jit_compile = False  # NOTE: tf.keras reports False without a GPU; there is no XLA here.
        self._variables = []
        self._iterations = Variable(np.zeros((), np.int64), name="iteration", trainable=False)
        self._variables.append(self._iterations)
        self._learning_rate = None
        self._lr_kwarg = kwargs.pop("lr", None)
        self._process_kwargs(kwargs)
        self._index_dict = {}
        self._built = False
        self._warned_missing = False

    def _process_kwargs(self, kwargs):
        kwargs.pop("is_legacy_optimizer", None)
        kwargs.pop("mesh", None)
        who = type(self).__name__
        for k in kwargs:
            if k in _LEGACY_KWARGS:
                raise ValueError(f"{who}: `{k}` is deprecated in the new Keras optimizer; please check the docstring "
                                 f"for valid arguments (use a learning-rate schedule instead of `decay`).")
            raise TypeError(f"{who}: `{k}` is not a valid argument; expected learning_rate, the optimizer's own "
                            f"hyperparameters, name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, "
                            f"ema_momentum, ema_overwrite_frequency or jit_compile")

    # -- learning rate ------------------------------------------------------------------------------

    def _build_learning_rate(self, learning_rate):
        """Store ``learning_rate`` (the old ``lr`` keyword wins when given) as a Variable or a schedule."""
        if self._lr_kwarg is not None:
            learning_rate = self._lr_kwarg
        who = type(self).__name__
        if isinstance(learning_rate, _schedules.LearningRateSchedule):
            self._current_learning_rate = Variable(
                np.asarray(_raw(learning_rate(self._iterations)), np.float32), name="current_learning_rate",
                trainable=False)
            return learning_rate
        if isinstance(learning_rate, ag.Tensor):
            learning_rate = learning_rate.data
        try:
            value = float(learning_rate)
        except (TypeError, ValueError):
            raise TypeError(f"{who}(learning_rate=...): expected a float or a LearningRateSchedule, received "
                            f"{learning_rate!r}") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{who}(learning_rate=...): expected a non-negative finite number, received "
                             f"{learning_rate!r}")
        return Variable(np.asarray(value, np.float32), name="learning_rate", trainable=False)

    @property
    def learning_rate(self):
        """The learning rate: a float32 Variable (or, with a schedule, the value at the last step)."""
        lr = self._learning_rate
        if lr is None:
            raise ValueError("Missing learning rate, please set self.learning_rate at optimizer creation time.")
        if isinstance(lr, _schedules.LearningRateSchedule):
            return self._current_learning_rate
        return lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, _schedules.LearningRateSchedule):
            self._learning_rate = value
            self._current_learning_rate = Variable(np.asarray(_raw(value(self._iterations)), np.float32),
                                                   name="current_learning_rate", trainable=False)
            return
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                            "constructor argument, hence its learning rate is not settable. If you need the "
                            "learning rate to be settable, you should instantiate the optimizer with a float "
                            "`learning_rate` argument.")
        try:
            v = float(_raw(value))
        except (TypeError, ValueError):
            raise TypeError(f"learning_rate: expected a float or a LearningRateSchedule, received {value!r}") from None
        if self._learning_rate is None:
            self._learning_rate = Variable(np.asarray(v, np.float32), name="learning_rate", trainable=False)
        else:
            ag.assign(self._learning_rate, np.float32(v))

    lr = learning_rate  # the tf.keras 1 spelling, readable and settable

    def _compute_current_learning_rate(self):
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            ag.assign(self._current_learning_rate, np.float32(_raw(self._learning_rate(self._iterations))))

    def _lr_value(self):
        """The current learning rate as a float32 scalar (what update steps use)."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return self._current_learning_rate.data[()]
        return lr.data[()]

    # -- state ----------------------------------------------------------------------------------------

    @property
    def iterations(self):
        """The number of update steps taken (an int64 Variable named ``iteration:0``)."""
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        if self._built:
            raise RuntimeError("Cannot set `iterations` to a new Variable after the optimizer weights have been "
                               "created (after the first apply_gradients); set it before.")
        if isinstance(value, Variable):
            self._variables[0] = value
            self._iterations = value
        else:
            ag.assign(self._iterations, np.int64(_raw(value)))

    @property
    def variables(self):
        """``[iterations, slot variables in creation order]`` (callable too, as in tf.keras)."""
        return CallableList(self._variables)

    weights = variables

    def get_weights(self):
        """The values of ``variables`` as numpy arrays."""
        return [v.numpy() for v in self._variables]

    def set_weights(self, weights):
        """Set ``variables`` from numpy arrays (the optimizer must be built; shapes must match; all-or-nothing)."""
        if not self._built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Please "
                             "call `optimizer.build(trainable_variables)` to create the optimizer weights before "
                             "calling `set_weights()`.")
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(f"set_weights: the optimizer has {len(self._variables)} variables "
                             f"({', '.join(v.name for v in self._variables[:4])}...) but {len(weights)} values "
                             f"were given")
        arrays = []
        for v, w in zip(self._variables, weights):
            a = np.asarray(_raw(w))
            if a.shape != v.shape:
                raise ValueError(f"Optimizer variable {v.name} has shape {v.shape} not compatible with provided "
                                 f"weight shape {a.shape}.")
            arrays.append(a)
        for v, a in zip(self._variables, arrays):
            ag.assign(v, a)

    def save_own_variables(self, store):
        """Write each variable's value to ``store["0"]``, ``store["1"]``, ..."""
        for i, v in enumerate(self._variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store):
        """Read the values written by ``save_own_variables`` (skipped with a warning on a count mismatch)."""
        if len(store.keys()) != len(self._variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it has "
                          f"{len(self._variables)} variables whereas the saved optimizer has {len(store.keys())} "
                          f"variables.")
            return
        for i, v in enumerate(self._variables):
            ag.assign(v, np.asarray(store[str(i)]))

    # -- building ----------------------------------------------------------------------------------------

    def _var_key(self, variable):
        return id(variable)

    def build(self, var_list):
        """Index ``var_list`` (subclasses then create their slots and set ``self._built``)."""
        if self._built:
            return
        self._var_list = list(var_list)
        deferred = [v.name for v in self._var_list if getattr(v, "has_value", True) is False]
        if deferred:
            raise ValueError(f"{self.name}: cannot train weights that have no values yet ({len(deferred)} built under "
                             f"deferred_weight_values(), e.g. {deferred[0]}): load them (load_weights, set_weights) "
                             f"or build the model outside that context")
        self._index_dict = {self._var_key(v): i for i, v in enumerate(self._var_list)}
        if self.use_ema:
            self._model_variables_moving_average = [
                self.add_variable_from_reference(v, "average", initial_value=_raw(v)) for v in self._var_list]

    def _slot_name(self, model_variable, variable_name):
        path = getattr(model_variable, "path", None)
        if path is None:
            name = getattr(model_variable, "name", None)
            path = name.rsplit(":", 1)[0] if name else f"variable_{len(self._variables)}"
        return f"{self.name}/{variable_name}/{path}"

    def add_variable_from_reference(self, model_variable, variable_name, shape=None, initial_value=None):
        """A non-trainable slot Variable shaped (and typed) like ``model_variable``, zeros unless
        ``initial_value`` is given; appended to ``variables``."""
        dtype = model_variable.dtype
        if initial_value is None:
            value = np.zeros(model_variable.shape if shape is None else shape, dtype=dtype)
        else:
            value = np.array(_raw(initial_value), dtype=dtype)
        v = Variable(value, name=self._slot_name(model_variable, variable_name), trainable=False)
        self._variables.append(v)
        return v

    def add_variable(self, shape, dtype=None, initializer="zeros", name=None):
        """A non-trainable Variable of ``shape`` made by ``initializer``; appended to ``variables``."""
        from .. import initializers
        init = initializers.get(initializer) if isinstance(initializer, (str, dict)) else initializer
        value = init(tuple(shape or ()), dtype=dtype or "float32")
        v = Variable(_raw(value), name=name or "Variable", trainable=False)
        self._variables.append(v)
        return v

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leave the given variables (or those whose name matches a regex in ``var_names``) out of weight decay."""
        if self._built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_from_weight_decay = {self._var_key(v) for v in (var_list or [])}
        self._exclude_from_weight_decay_names = list(var_names or [])

    def _use_weight_decay(self, variable):
        import re
        if self._var_key(variable) in getattr(self, "_exclude_from_weight_decay", ()):
            return False
        name = getattr(variable, "name", "") or ""
        return not any(re.search(p, name) for p in getattr(self, "_exclude_from_weight_decay_names", ()))

    # -- updating -------------------------------------------------------------------------------------

    def update_step(self, gradient, variable):
        """Update ``variable`` in place from ``gradient`` (implement in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step(gradient, variable)")

    def _prepare_step(self):
        """Per-step work before the variables are updated (subclasses override; called once per step)."""

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [inplace.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return inplace.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [inplace.clip_by_value(g, self.clipvalue) for g in grads]
        return grads

    def _apply_weight_decay(self, variables):
        if not self.weight_decay:
            return
        lr = self._lr_value()
        for v in variables:
            if self._use_weight_decay(v):
                inplace.decay_weights(v, lr, self.weight_decay)

    def _check_pairs(self, grads_and_vars):
        """Validate every pair before anything changes: known variable, matching shape, float dtype."""
        out = []
        missing = []
        for g, v in grads_and_vars:
            if g is None:
                missing.append(v)
                continue
            if not isinstance(v, ag.Tensor):
                raise TypeError(f"apply_gradients: expected (gradient, variable) pairs with Variables, received "
                                f"{type(v).__name__} as a variable")
            if self._var_key(v) not in self._index_dict:
                raise KeyError(f"The optimizer cannot recognize variable {_var_label(v)}. This usually means you are "
                               f"trying to call the optimizer to update different parts of the model separately. "
                               f"Please call `optimizer.build(variables)` with the full list of trainable variables "
                               f"before the training loop.")
            gd = _raw(g)
            if gd.shape != v.shape:
                raise ValueError(f"apply_gradients: the gradient for variable {_var_label(v)} has shape {gd.shape}, "
                                 f"but the variable has shape {v.shape}")
            if gd.dtype != v.dtype:
                g = ag.Tensor(gd.astype(v.dtype))
            out.append((g, v))
        if missing and not self._warned_missing:
            self._warned_missing = True
            warnings.warn(f"Gradients do not exist for variables {[_var_label(v) for v in missing]} when minimizing "
                          f"the loss. If you're using `model.compile()`, did you forget to provide a `loss` argument?",
                          stacklevel=3)
        return out

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False, **kwargs):
        """Apply ``(gradient, variable)`` pairs (``None`` gradients are skipped); returns ``iterations``.

        Example:
            >>> opt.apply_gradients(zip(grads, model.trainable_variables))
        """
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            return self._iterations
        self._compute_current_learning_rate()
        if not self._built:
            self.build([v for _, v in grads_and_vars])
        pairs = self._check_pairs(grads_and_vars)
        if not pairs:
            return self._iterations
        grads = [g for g, _ in pairs]
        variables = [v for _, v in pairs]
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables)
        self._num_updates = len(variables)
        self._prepare_step()
        for g, v in zip(grads, variables):
            self.update_step(g, v)
        if self._iterations.data % _FLUSH_EVERY == 0:
            inplace.flush_subnormals(self._variables[1:])
        if self.use_ema:
            self._update_ema(variables)
        ag.assign_add(self._iterations, 1)
        for v in variables:
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                with ag.no_grad():
                    ag.assign(v, _raw(constraint(v)))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Keras 3's spelling: ``apply(grads, trainable_variables)``; without variables, those it was built with."""
        if trainable_variables is None:
            if not self._built:
                raise ValueError("apply(grads): pass trainable_variables the first time (the optimizer is not built)")
            trainable_variables = self._var_list
        grads, trainable_variables = list(grads), list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"apply: received {len(grads)} gradients for {len(trainable_variables)} variables")
        return self.apply_gradients(zip(grads, trainable_variables))

    def compute_gradients(self, loss, var_list, tape=None):
        """``[(gradient, variable)]`` of ``loss`` (a scalar Tensor or a callable returning one)."""
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        value = loss() if callable(loss) else loss
        if not isinstance(value, ag.Tensor) or value.size != 1:
            raise ValueError(f"compute_gradients: the loss must be a scalar Tensor, received {value!r}")
        # NOTE: with a GradientTape (tf.keras's minimize(loss, var_list, tape=tape)) a variable the loss does not
        # reach gets None (skipped by apply_gradients, with its warning), as in tf.keras
        grads = tape.gradient(value, var_list) if tape is not None else ag.gradients(value, var_list)
        return list(zip(grads, var_list))

    def minimize(self, loss, var_list, tape=None):
        """Compute the gradients of ``loss`` for ``var_list`` and apply them."""
        return self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    def _update_ema(self, variables):
        for v in variables:
            avg = self._model_variables_moving_average[self._index_dict[self._var_key(v)]]
            inplace.ema_update(avg, v, self.ema_momentum)
        if self.ema_overwrite_frequency and (int(self._iterations.data) + 1) % self.ema_overwrite_frequency == 0:
            self._overwrite_model_variables_with_average_value(variables)

    def _overwrite_model_variables_with_average_value(self, var_list):
        for v in var_list:
            ag.assign(v, self._model_variables_moving_average[self._index_dict[self._var_key(v)]].data)

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, overwrite the weights with their moving averages (fit does this at the end)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    # -- Keras 3's saved state ---------------------------------------------------------------------------

    def keras3_variables(self):
        """The state in the order Keras 3 saves it (``.keras`` and ``.weights.h5`` files): ``iterations``, the
        learning rate (unless it is a schedule), then the slots as Keras 3 lays them out, with a `Keras3State`
        where Keras 3 saves state kerasfront keeps elsewhere (Nadam's momentum product) or has none of
        (Adafactor's placeholders). ``variables`` stays tf.keras 2's list (its HDF5 files).

        Example:
            >>> [v.name for v in kerasfront.optimizers.SGD(momentum=0.9).keras3_variables()]
            ['iteration:0', 'learning_rate:0']
        """
        out = [self._iterations]
        if isinstance(self._learning_rate, ag.Tensor):
            out.append(self._learning_rate)
        return out + self._keras3_slots()

    def _keras3_slots(self):
        """Keras 3's slots: by default kerasfront's own, in creation order (the EMA averages first)."""
        return list(self._variables[1:])

    # -- host-side state ----------------------------------------------------------------------------------

    #: attributes that hold state in Python rather than in variables (Nadam's momentum-cache product)
    _HOST_STATE_NAMES = ()

    def get_host_state(self):
        """The state kept outside ``variables``, as a JSON string (None when there is none): files and
        ``BackupAndRestore`` store it beside the variables so that a restored optimizer continues exactly.

        Example:
            >>> kerasfront.optimizers.SGD().get_host_state() is None
            True
        """
        import json
        state = {}
        for name in self._HOST_STATE_NAMES:
            value = getattr(self, name, None)
            if isinstance(value, bool):
                state[name] = ["bool", value]      # a mode (Nadam's emulate_fit_trace)
            elif isinstance(value, (int, float, np.integer, np.floating)):
                state[name] = [type(value).__name__ if isinstance(value, np.generic) else None,
                               value.item() if isinstance(value, np.generic) else value]
        return json.dumps(state) if state else None

    def set_host_state(self, text):
        """Take back the state ``get_host_state`` gave (unknown or malformed entries are ignored)."""
        import json
        try:
            state = json.loads(text)
        except (TypeError, ValueError):
            return
        if not isinstance(state, dict):
            return
        for name in self._HOST_STATE_NAMES:
            entry = state.get(name)
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], (int, float))):
                continue
            kind, value = entry
            if kind == "bool":
                if not isinstance(value, bool):
                    continue
            elif kind in ("float32", "float64", "float16"):
                value = np.dtype(kind).type(value)
            elif isinstance(kind, str) and kind.startswith("int"):
                value = int(value)
            setattr(self, name, value)

    # -- config -----------------------------------------------------------------------------------------

    def _serialize_hyperparameter(self, value):
        if isinstance(value, _schedules.LearningRateSchedule):
            return serialize_keras_object(value)
        if isinstance(value, ag.Tensor):
            return float(value.data)
        if callable(value):
            return value()
        return value

    def get_config(self):
        """The constructor arguments with tf.keras's keys (the learning rate as a float or a schedule config)."""
        return {"name": self.name, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum, "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "jit_compile": self.jit_compile, "is_legacy_optimizer": False}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from ``get_config()``'s dict (a schedule config for ``learning_rate`` is deserialized)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def _slots(self, slots, variable):
        return slots[self._index_dict[self._var_key(variable)]]

    def __repr__(self):
        return f"<kerasfront.optimizers.{type(self).__name__} name={self.name!r}>"
