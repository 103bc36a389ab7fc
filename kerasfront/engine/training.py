"""Model: a Layer that can be trained (compile, fit, evaluate, predict) and inspected (summary, get_layer).

``Model(inputs=..., outputs=...)`` makes a functional model; a subclass of ``Model`` with its own ``call``
is a subclassed model.

Example:
    >>> model = Model(inputs=inp, outputs=out)
    >>> model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(x, y, epochs=3, batch_size=16)
"""
import contextlib
import json
import warnings

import numpy as np

import autograd as ag
from autograd.tensor import Tensor, make_leaf

from . import data_adapter, nest, strings
from .base_layer import (_CTX, METRICS_VERSION, STRUCTURE_VERSION, Layer, _metrics_in, to_snake_case,
                         unique_object_name)
from ..utils.losses_utils import class_weight_to_sample_weight
from .compile_utils import LossesContainer, MetricsContainer, is_sparse_loss
from .input_spec import assert_input_compatibility


class Model(Layer):
    """The model base class: groups layers, trains them and saves them.

    ``Model(inputs, outputs, name=None)`` builds a functional model. Subclass it and define ``call`` for a
    model whose forward pass is arbitrary Python.

    Args:
        inputs: the ``Input`` KerasTensor(s) of a functional model.
        outputs: the KerasTensor(s) computed from ``inputs``.
        name: the model's name (default ``model``, ``model_1``, ...).

    Example:
        >>> inp = kerasfront.Input(shape=(2,))
        >>> model = kerasfront.Model(inp, kerasfront.layers.Dense(1)(inp))
        >>> model.predict(np.ones((4, 2)), verbose=0).shape
        (4, 1)
    """

    _rounds_bfloat16_outputs = False

    #: the data-parallel helper of the fit/evaluate running now (None in one process); see ``_data_parallel``
    _active_dp = None

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs
                             or (len(args) == 1 and "outputs" in kwargs)):
            from .functional import Functional
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            # a subclass calling super().__init__(inputs, outputs): it becomes a functional model (as in Keras)
            from .functional import Functional
            if not isinstance(self, Functional):
                self.__class__ = _functional_subclass(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)
        super().__init__(name=name, trainable=trainable, dtype=dtype, **kwargs)
        self.stop_training = False
        self.history = None
        self.optimizer = None
        self.compiled_loss = None
        self.compiled_metrics = None
        self._is_compiled = False
        self._step_capture = None
        self._is_graph_network = False
        self.inputs = None
        self.outputs = None
        self._capture_strategy()

    def _capture_strategy(self):
        """A model made (or compiled) inside ``strategy.scope()`` keeps that strategy for fit/evaluate/predict."""
        from .. import distribute
        if not distribute.has_strategy():
            return
        current, previous = distribute.get_strategy(), self.__dict__.get("_distribution_strategy")
        if previous is not None and previous is not current:
            raise ValueError(f"Model {self.name} was created under {previous!r}, but is being compiled under "
                             f"{current!r}: compile it in the scope of the strategy it was created in")
        self.__dict__["_distribution_strategy"] = current

    def _default_name(self):
        return unique_object_name(to_snake_case(type(self).__name__), zero_based=True)

    _records_signatures = True

    def _note_signature(self, inputs):
        """Remember the structure, per-sample shapes and dtypes of a top-level call (``model.save`` to a folder
        traces the forward for each one)."""
        sigs = self.__dict__.get("_call_signatures")
        if sigs is None:
            sigs = self.__dict__["_call_signatures"] = {}
        key = (inputs.data.shape[1:], inputs.data.dtype.str) if type(inputs) is Tensor else _signature_key(inputs)
        if key is not None and key not in sigs and len(sigs) < 64:
            sigs[key] = _signature_spec(inputs)

    # -- compile -------------------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=None, jit_compile=None, **kwargs):
        """Configure training: the optimizer, the loss (per output: a list or a dict by output name), metrics
        and loss weights. Names resolve now: an unknown name raises a ValueError listing close matches.

        Example:
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        """
        from .. import optimizers
        self._capture_strategy()
        legacy = {"sample_weight_mode", "experimental_steps_per_execution", "target_tensors", "distribute",
                  "pss_evaluation_shards", "auto_scale_loss", "cloning", "experimental_run_tf_function"}
        unknown = [k for k in kwargs if k not in legacy]
        if unknown:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {sorted(unknown)}. Valid keyword arguments "
                            f"include: optimizer, loss, metrics, loss_weights, weighted_metrics, run_eagerly, "
                            f"steps_per_execution, jit_compile")
        # NOTE: as tf_keras 2.21: these two Keras 2 arguments are accepted only when None
        if kwargs.get("distribute") is not None:
            raise ValueError(f"`distribute` argument in compile is not available in TF 2.0. Please create the model "
                             f"under the `strategy.scope()`. Received: {kwargs['distribute']}.")
        if kwargs.get("target_tensors") is not None:
            raise ValueError(f"`target_tensors` argument is not supported when executing eagerly. Received: "
                             f"{kwargs['target_tensors']}.")
        if steps_per_execution is not None and (isinstance(steps_per_execution, bool) or not isinstance(
                steps_per_execution, (int, np.integer)) or steps_per_execution < 1):
            raise ValueError(f"compile(steps_per_execution=...): expected a positive int, received "
                             f"{steps_per_execution!r}")
        _check_jit_compile(jit_compile, run_eagerly)
        try:
            opt = optimizers.get(optimizer)
        except ValueError as e:
            raise ValueError(f"compile(optimizer=...): {e}") from None
        try:
            compiled_loss = LossesContainer(loss, loss_weights)
        except ValueError as e:
            msg = str(e)
            raise ValueError(msg if msg.startswith("compile(") else f"compile(loss=...): {msg}") from None
        compiled_metrics = MetricsContainer(metrics, weighted_metrics)
        names = self._output_names_list()
        if names is not None:
            compiled_loss.build(names, self._output_keys())
            # check the per-output structure of metrics now (their objects are made on the first batch)
            from .compile_utils import map_to_outputs
            for kind, value in (("metrics", compiled_metrics._metrics_in),
                                ("weighted_metrics", compiled_metrics._weighted_in)):
                map_to_outputs(value, names, kind, self._output_keys())
        if self._dtype_policy.name == "mixed_float16":
            # NOTE: as tf.keras: a model made under mixed_float16 trains with loss scaling
            from ..mixed_precision import LossScaleOptimizer
            if not isinstance(opt, LossScaleOptimizer):
                opt = LossScaleOptimizer(opt)
        # a custom train_step calls these containers before fit has built them: the names they will take
        compiled_loss.pending_output_names = compiled_metrics.pending_output_names = names
        compiled_loss.pending_output_keys = compiled_metrics.pending_output_keys = self._output_keys()
        self.optimizer = opt
        self.compiled_loss = compiled_loss
        self.compiled_metrics = compiled_metrics
        self.loss = loss
        self._compile_args = {"optimizer": optimizer, "loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                              "weighted_metrics": weighted_metrics}
        self._run_eagerly = run_eagerly
        self._steps_per_execution = steps_per_execution or 1
        self._jit_compile = jit_compile
        self._reset_step_capture()
        self._is_compiled = True
        self.stop_training = False

    @property
    def distribute_strategy(self):
        """The strategy this model was compiled under (``kerasfront.distribute.get_strategy()`` otherwise)."""
        from .. import distribute
        return self.__dict__.get("_distribution_strategy") or distribute.get_strategy()

    def _data_parallel(self):
        """The one seam to distribution: the strategy's data-parallel helper (None in one process)."""
        strategy = self.__dict__.get("_distribution_strategy")
        return None if strategy is None else strategy._data_parallel(self)

    def _writes_files(self):
        """False on the workers of a multi-worker strategy other than worker 0 (the chief writes files)."""
        strategy = self.__dict__.get("_distribution_strategy")
        return strategy is None or strategy._is_chief

    @property
    def is_compiled(self):
        return self._is_compiled

    @property
    def run_eagerly(self):
        """Whether ``fit`` runs every training step eagerly (settable; the steps are captured otherwise)."""
        return bool(getattr(self, "_run_eagerly", None))

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = value
        self._reset_step_capture()

    @property
    def jit_compile(self):
        """What ``compile(jit_compile=...)`` was given (settable): True or None (the default, as Keras 3's
        ``"auto"``) capture the training step once per input signature and replay it; False keeps it eager."""
        return getattr(self, "_jit_compile", None)

    @jit_compile.setter
    def jit_compile(self, value):
        _check_jit_compile(value, getattr(self, "_run_eagerly", None))
        self._jit_compile = value
        self._reset_step_capture()

    def _reset_step_capture(self):
        """Forget the captured training steps (compile, run_eagerly and jit_compile start over)."""
        from .step_capture import TrainStepCapture, capture_enabled
        jit = getattr(self, "_jit_compile", None)
        self._step_capture = (TrainStepCapture(self, explicit=jit is True)
                              if capture_enabled(jit, getattr(self, "_run_eagerly", None)) else None)

    # -- weights ---------------------------------------------------------------------------------------------
    def _weight_owners(self):
        """What the model's weights are gathered from, in order, as tf.keras's Model does: for a subclassed model
        the layers and the metrics set as its attributes (``self.loss_tracker = Mean(name="loss")``; in lists,
        tuples and dicts too), in the order they were assigned. Functional and Sequential models override it.
        Metrics given to ``compile`` or made by ``add_metric`` are not attributes: their variables are not the
        model's weights.

        Example (a model whose ``__init__`` sets ``self.hidden = Dense(4)``, ``self.loss_tracker = Mean()``,
        ``self.out = Dense(1)``):
            >>> [type(o).__name__ for o in model._weight_owners()]
            ['Dense', 'Mean', 'Dense']
        """
        out = []
        for key, value in self.__dict__.items():
            if key in self._NOT_SUBLAYER_ATTRS:
                continue
            metrics_tracked = key not in self._NOT_TRACKED_METRIC_ATTRS
            if isinstance(value, Layer):
                out.append(value)
            elif isinstance(value, (list, tuple, dict)):
                # NOTE: layers are found one level deep, as _sublayers() finds them; metrics at any depth
                for v in (value.values() if isinstance(value, dict) else value):
                    if isinstance(v, Layer):
                        out.append(v)
                    elif metrics_tracked:
                        out.extend(_metrics_in(v, 1))
            elif metrics_tracked:
                out.extend(_metrics_in(value))
        return out

    @property
    def weights(self):
        """tf.keras's Model order: each layer's (or metric tracker's) weights in turn (a BatchNormalization's
        gamma, beta, moving_mean, moving_variance stay together), then the model's own; ``get_weights`` and
        ``set_weights`` use it."""
        out = []
        for owner in self._weight_owners():
            out.extend(owner.weights)
        return self._dedup(out + self._trainable_weights + self._non_trainable_weights)

    @property
    def trainable_weights(self):
        """Each layer's trainable weights in turn, then the model's own (empty when the model is frozen)."""
        if not self._trainable:
            return []
        out = []
        for owner in self._weight_owners():
            out.extend(owner.trainable_weights)
        return self._dedup(out + self._trainable_weights)

    @property
    def non_trainable_weights(self):
        """Each layer's (and metric tracker's) non-trainable weights in turn, then the model's own; a frozen
        model lists every trainable weight first, as tf.keras does."""
        owners = self._weight_owners()
        out = []
        for owner in owners:
            out.extend(owner.non_trainable_weights)
        if self._trainable:
            return self._dedup(out + self._non_trainable_weights)
        trainable = []
        for owner in owners:
            trainable.extend(owner.trainable_weights)
        return self._dedup(trainable + self._trainable_weights + out + self._non_trainable_weights)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def _get_compile_args(self, user_metrics=True):
        """The arguments ``compile`` was called with (the saving code writes them as ``training_config``)."""
        self._assert_compiled("_get_compile_args")
        args = dict(self._compile_args)
        args["optimizer"] = self.optimizer
        return args

    def _assert_compiled(self, what):
        if not self._is_compiled:
            raise RuntimeError("You must compile your model before training/testing. Use `model.compile(optimizer, "
                               "loss)`.")

    @property
    def metrics(self):
        """The loss trackers and compiled metrics (after the first batch of fit/evaluate)."""
        out = []
        # NOTE: like tf.keras, the compiled ones are listed only once the first batch of fit/evaluate built them;
        # then come the metrics of the layers (add_metric, or Metric attributes)
        if self._is_compiled and self.compiled_metrics is not None:
            # a custom step may call compiled_loss without the compiled metrics: its trackers are listed then
            if self.compiled_metrics.built or getattr(self.compiled_loss, "tracked", False):
                out.extend(self.compiled_loss.metrics)
            if self.compiled_metrics.built:
                out.extend(self.compiled_metrics.metrics)
        out.extend(self._layer_metrics())
        return out

    def _layer_metrics(self):
        """The metrics of every layer (and of the model itself), cached until a layer or metric is added."""
        key = (STRUCTURE_VERSION[0], METRICS_VERSION[0])
        cache = self.__dict__.get("_layer_metrics_cache")
        if cache is not None and cache[0] == key:
            return cache[1]
        out, seen = [], set()
        for layer in self._flatten_layers():
            for m in layer._own_metrics():
                if id(m) not in seen:
                    seen.add(id(m))
                    out.append(m)
        self._layer_metrics_cache = (key, out)
        return out

    @property
    def metrics_names(self):
        """The names of ``metrics``: ``['loss', 'accuracy']``."""
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Reset every metric's running state."""
        for m in self.metrics:
            m.reset_state()

    def reset_states(self):
        """Zero the states of every stateful layer (stateful RNNs), as tf.keras's ``Model.reset_states``."""
        for layer in self._flatten_layers(include_self=False):
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    # -- structure of data -------------------------------------------------------------------------------
    def _output_names_list(self):
        if self._is_graph_network:
            return list(self.output_names)
        return getattr(self, "_probed_output_names", None)

    def _output_keys(self):
        nested = getattr(self, "_nested_outputs", None)
        if isinstance(nested, dict):
            return sorted(nested)
        return None

    def _flatten_outputs(self, out):
        if isinstance(out, Tensor):
            return [out]
        return nest.flatten(out)

    def _flatten_x(self, x, arg="x"):
        """The model's inputs as a list of checked numpy arrays (dicts matched by input name)."""
        if self._is_graph_network:
            names = self.input_names
            if isinstance(x, dict):
                keys = sorted(self._nested_inputs) if isinstance(self._nested_inputs, dict) else names
                missing = [k for k in keys if k not in x]
                if missing:
                    raise ValueError(f"`{arg}` is missing data for input(s) {missing}: the dict has keys {sorted(x)} "
                                     f"and the model's inputs are {keys}")
                flat = [x[k] for k in keys]
                labels = [f"{arg}['{k}']" for k in keys]
            elif isinstance(x, (list, tuple)) and len(self.inputs) > 1:
                if len(x) != len(self.inputs):
                    raise ValueError(f"`{arg}`: the model has {len(self.inputs)} inputs {names}, but received a list "
                                     f"of {len(x)} arrays")
                flat = list(x)
                labels = [f"{arg}[{i}]" for i in range(len(flat))]
            elif isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], (np.ndarray, Tensor)):
                flat, labels = [x[0]], [arg]
            else:
                if len(self.inputs) > 1:
                    raise ValueError(f"`{arg}`: the model has {len(self.inputs)} inputs {names}; pass a list or a dict "
                                     f"of {len(self.inputs)} arrays")
                flat, labels = [x], [arg]
            arrays = []
            for i, (a, label) in enumerate(zip(flat, labels)):
                dtype = self._input_dtypes[i]
                if dtype == object:
                    arr = data_adapter.check_string_array(a, label)
                else:
                    arr = data_adapter.check_array(a, label, float_dtype=dtype if dtype.kind == "f" else np.float32)
                if arr.dtype != dtype:
                    arr = arr.astype(dtype)
                ref = self.inputs[i].shape
                if arr.ndim == len(ref) - 1 and ref[-1] == 1:
                    arr = arr[..., None]
                elif arr.ndim == len(ref) + 1 and arr.shape[-1] == 1:
                    arr = arr[..., 0]  # as model(x) and tf.keras: an extra last axis of size 1 is squeezed
                arrays.append(arr)
            from .input_spec import assert_input_compatibility
            try:
                assert_input_compatibility(self.input_spec, [(None,) + a.shape[1:] for a in arrays], self.name)
            except ValueError as e:
                raise ValueError(f"`{arg}`: {e}") from None
            return arrays
        if isinstance(x, dict):
            self._x_structure = {k: None for k in x}
            flat = [x[k] for k in sorted(x)]
            labels = [f"{arg}['{k}']" for k in sorted(x)]
        elif isinstance(x, (list, tuple)):
            self._x_structure = [None] * len(x)
            flat = list(x)
            labels = [f"{arg}[{i}]" for i in range(len(flat))]
        else:
            self._x_structure = None
            flat, labels = [x], [arg]
        return [data_adapter.check_input_array(a, label) for a, label in zip(flat, labels)]

    def _to_model_inputs(self, arrays):
        # NOTE: text stays a numpy object array (autograd Tensors hold numbers; see engine/strings.py)
        tensors = [a if a.dtype == object else make_leaf(a) for a in arrays]
        if self._is_graph_network:
            return tensors
        struct = getattr(self, "_x_structure", None)
        if struct is None:
            return tensors[0]
        return nest.pack_sequence_as(struct, tensors)

    def _flatten_y(self, y, arg="y", names=None):
        """Labels (or sample weights) as a list aligned with the outputs (dicts matched by output name)."""
        names = names or self._output_names_list()
        n = len(names)
        keys = self._output_keys()
        if isinstance(y, dict):
            out = [None] * n
            for k, v in y.items():
                if k in names:
                    out[names.index(k)] = v
                elif keys and k in keys:
                    out[keys.index(k)] = v
                else:
                    raise ValueError(f"`{arg}` has an entry '{k}' that matches no model output; outputs are {names}")
            labels = [f"{arg}['{nm}']" for nm in names]
        elif isinstance(y, (list, tuple)) and n > 1:
            if len(y) != n:
                raise ValueError(f"`{arg}`: the model has {n} outputs {names}, but received a list of {len(y)} arrays")
            out = list(y)
            labels = [f"{arg}[{i}]" for i in range(n)]
        elif isinstance(y, (list, tuple)) and len(y) == 1 and isinstance(y[0], (np.ndarray, Tensor)):
            out, labels = [y[0]], [arg]
        else:
            if n > 1:
                raise ValueError(f"`{arg}`: the model has {n} outputs {names}; pass a list or a dict with one array per "
                                 f"output")
            out, labels = [y], [arg]
        return [None if a is None else data_adapter.check_array(a, label) for a, label in zip(out, labels)]

    def _probe(self, x_arrays):
        """Run a subclassed model on two samples (building it) to learn how many outputs it has."""
        if type(self).call is Model.call and any(self._overrides(m) for m in ("train_step", "test_step",
                                                                                 "predict_step")):
            # NOTE: as tf.keras, a model with its own steps may have no call (the guide's GAN): one output assumed
            self._probed_output_names = ["output_1"]
            self._probed_output_shapes = None
            return
        with ag.no_grad():
            out = self(self._to_model_inputs([a[:2] for a in x_arrays]))
        flat = self._flatten_outputs(out)
        self._probed_output_names = [f"output_{i + 1}" for i in range(len(flat))]
        self._probed_output_shapes = [tuple(t.shape) for t in flat]

    def _prepare_for_data(self, x_arrays):
        """Build an unbuilt model from the data's shapes (Sequential without input_shape, subclassed models)."""
        if not self._is_graph_network and hasattr(self, "_build_graph_for_shape"):     # a Sequential
            a = x_arrays[0]
            self._build_graph_for_shape((None,) + a.shape[1:], "float32" if a.dtype.kind == "f" else
                                        strings.dtype_name(a.dtype))
        if not self._is_graph_network and getattr(self, "_probed_output_names", None) is None:
            self._probe(x_arrays)

    def _check_labels(self, y_arrays):
        """Sparse crossentropy labels must be whole class ids within the output's number of classes."""
        if self.compiled_loss is None or not self.compiled_loss.built:
            return
        shapes = ([tuple(t.shape) for t in self.outputs] if self._is_graph_network
                  else getattr(self, "_probed_output_shapes", None))
        for i, loss in enumerate(self.compiled_loss.losses):
            if not is_sparse_loss(loss) or y_arrays[i] is None or shapes is None:
                continue
            n_classes = shapes[i][-1]
            y = y_arrays[i]
            if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
                raise ValueError(f"`y` (output '{self.compiled_loss.output_names[i]}'): sparse_categorical_crossentropy "
                                 f"expects integer class ids, found non-integer values such as "
                                 f"{y[~(np.isfinite(y) & (y == np.round(y)))].ravel()[:3].tolist()}")
            ignore = getattr(loss, "ignore_class", None)
            vals = y if ignore is None else y[y != ignore]
            if not vals.size or n_classes is None:
                continue
            lo, hi = vals.min(), vals.max()
            if lo < 0 or hi >= n_classes:
                bad = hi if hi >= n_classes else lo
                raise ValueError(f"`y` (output '{self.compiled_loss.output_names[i]}'): received a label value of "
                                 f"{bad} which is outside the valid range of [0, {n_classes}) for "
                                 f"sparse_categorical_crossentropy (the model's output has {n_classes} classes)")

    def _make_data(self, x, y, sample_weight, batch_size, shuffle, steps, class_weight=None, arg="x",
                   need_y=True, workers=1, use_multiprocessing=False, max_queue_size=10):
        """An ArrayData / GeneratorData / SequenceData / DatasetData for ``fit``, ``evaluate`` or ``predict``."""
        if data_adapter.is_batch_source(x):
            kind = "Dataset" if data_adapter.is_dataset(x) else "generator or Sequence"
            if y is not None:
                raise ValueError(f"`y` argument is not supported when using a {kind} as input (its batches already "
                                 f"hold the targets); received y of type {type(y).__name__}")
            if sample_weight is not None:
                raise ValueError(f"`sample_weight` argument is not supported when using a {kind} as input: yield "
                                 f"(x, y, sample_weight) batches instead")
            if batch_size is not None:
                raise ValueError(f"The `batch_size` argument must not be specified for a {kind} input (it yields "
                                 f"batches already); received batch_size={batch_size}")

            def convert(item):
                return self._convert_batch(item, class_weight, need_y)
            if data_adapter.is_dataset(x):
                return data_adapter.DatasetData(x, convert, steps_per_epoch=steps, arg=arg)
            if data_adapter.is_sequence(x):
                return data_adapter.SequenceData(x, convert, shuffle=shuffle, steps_per_epoch=steps, workers=workers,
                                                 use_multiprocessing=use_multiprocessing,
                                                 max_queue_size=max_queue_size)
            return data_adapter.GeneratorData(x, convert, steps_per_epoch=steps, arg=arg, workers=workers,
                                              use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        if x is None:
            raise ValueError(f"`{arg}` is None: pass the input data (a numpy array, a list or dict of arrays, a "
                             f"generator, a kerasfront.utils.Sequence or a kerasfront.utils.Dataset)")
        x_arrays = self._flatten_x(x, arg)
        self._prepare_for_data(x_arrays)
        y_arrays = sw_arrays = None
        if y is not None:
            y_arrays = self._flatten_y(y, "y" if arg == "x" else arg.replace("x", "y"))
        elif need_y and self._needs_targets():
            where = ("in `validation_data` (pass (x_val, y_val))" if arg.startswith("validation_data")
                     else "to be passed in `fit()`/`evaluate()` (the `y` argument)")
            raise ValueError(f"Target data is missing. Your model was compiled with loss={self.loss!r}, and therefore "
                             f"expects target data {where}.")
        if sample_weight is not None:
            sw_arrays = self._flatten_y(sample_weight, "sample_weight")
        if class_weight is not None:
            sw_arrays = _apply_class_weight(class_weight, y_arrays, sw_arrays)
        data_adapter.check_cardinality(x_arrays, y_arrays, sw_arrays)
        if y_arrays is not None:
            self._check_labels(y_arrays)
        return data_adapter.ArrayData(x_arrays, y_arrays, sw_arrays, batch_size or 32, shuffle=shuffle,
                                      steps_per_epoch=steps)

    def _needs_targets(self):
        return (self._is_compiled and self.compiled_loss is not None and
                any(loss is not None for loss in nest.flatten(self.compiled_loss._resolved)))

    def _convert_batch(self, item, class_weight=None, need_y=True):
        x, y, sw = data_adapter.unpack_batch(item, "batch")
        x_arrays = self._flatten_x(x, "x (batch)")
        self._prepare_for_data(x_arrays)
        y_arrays = self._flatten_y(y, "y (batch)") if y is not None else None
        sw_arrays = self._flatten_y(sw, "sample_weight (batch)") if sw is not None else None
        if class_weight is not None and y_arrays is not None:
            sw_arrays = _apply_class_weight(class_weight, y_arrays, sw_arrays)
        data_adapter.check_cardinality(x_arrays, y_arrays, sw_arrays)
        return x_arrays, y_arrays, sw_arrays

    # -- steps ---------------------------------------------------------------------------------------------
    def _regularization_losses(self):
        out = [fn() for fn in self._reg_fns] if self._reg_fns else []
        if _CTX.step_losses:
            out.extend(_CTX.step_losses)
        return out

    def _build_containers(self, y, y_pred):
        names = self._output_names_list()
        if not self.compiled_loss.built:
            self.compiled_loss.build(names, self._output_keys())
        if not self.compiled_metrics.built:
            self.compiled_metrics.build(names, y if y is not None else [None] * len(y_pred), y_pred,
                                        self._output_keys())

    def _train_step(self, xb, yb, swb, eager=False):
        """One training step: the computation (captured and replayed, or eager: ``engine/step_capture.py``), then
        the loss trackers, the gradient reduction, the optimizer's update and the metrics, always eager."""
        if xb is None:               # data parallel: this worker's share of the global batch is empty
            return self._active_dp.empty_train_step()
        capture = None if eager else self._step_capture
        result = capture.train_step(xb, yb, swb) if capture is not None else self._train_compute(xb, yb, swb)
        self.compiled_loss.update_trackers(result.parts, result.batch)
        if result.grads is not None:
            self.optimizer.apply(self._reduce_gradients(result.grads), self._train_vars)
        y = [None] * len(result.y_pred) if yb is None else [None if a is None else make_leaf(a) for a in yb]
        self.compiled_metrics.update_state(y, result.y_pred, swb)

    def _train_compute(self, xb, yb, swb):
        """The eager training step's arithmetic (the reference a captured step replays): forward with
        ``training=True``, the compiled loss plus regularization, the gradients of the trainable weights.
        Returns a ``StepResult``; changes no weight (the optimizer applies the gradients after)."""
        from .step_capture import StepResult
        x = self._to_model_inputs(xb)
        y = None if yb is None else [None if a is None else make_leaf(a) for a in yb]
        out = self._eager_call(x, (), {"training": True}, False)
        y_pred = self._flatten_outputs(out)
        if not self.compiled_metrics.built or not self.compiled_loss.built:
            self._build_containers(y, y_pred)
        if y is None:
            y = [None] * len(y_pred)
        # sample weights as Tensors: the loss reads them through ops (a captured step takes them as inputs)
        sw = None if swb is None else [None if a is None else make_leaf(a) for a in swb]
        total, parts, batch = self.compiled_loss.compute(y, y_pred, sw, self._regularization_losses())
        if not self._has_any_loss and not total.requires_grad and self._train_vars:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        grads = None
        if self._train_vars and total.requires_grad:
            loss = total if total.ndim == 0 else ag.sum(total)
            scale = getattr(self.optimizer, "get_scaled_loss", None)       # LossScaleOptimizer: apply() unscales
            if scale is None:
                grads = ag.gradients(loss, self._train_vars)
            else:
                with np.errstate(over="ignore", invalid="ignore"):        # an overflow skips the step, by design
                    grads = ag.gradients(scale(loss), self._train_vars)
        return StepResult(total, parts, batch, y_pred, grads)

    def _reduce_gradients(self, grads):
        """The one seam between the training step and data parallelism: the gradients as the optimizer must see
        them (averaged over the workers when training is distributed; as they are in one process). Eager and
        captured steps both call it, between their computation and the optimizer."""
        dp = self._active_dp
        return grads if dp is None else dp.all_reduce_gradients(grads)

    def _test_step(self, xb, yb, swb):
        if xb is None:               # data parallel: this worker's share of the global batch is empty
            return
        x = self._to_model_inputs(xb)
        y = None if yb is None else [None if a is None else make_leaf(a) for a in yb]
        with ag.no_grad():
            out = self._eager_call(x, (), {"training": False}, False)
            y_pred = self._flatten_outputs(out)
            if not self.compiled_metrics.built or not self.compiled_loss.built:
                self._build_containers(y, y_pred)
            if y is None:
                y = [None] * len(y_pred)
            self.compiled_loss(y, y_pred, swb, self._regularization_losses())
            self.compiled_metrics.update_state(y, y_pred, swb)

    # -- the public steps (tf.keras's train_step / test_step / predict_step, overridable) -------------------
    def train_step(self, data):
        """One training step on ``data`` (``x``, ``(x, y)`` or ``(x, y, sample_weight)``, as the data yields it);
        returns the logs ``{metric name: value}``. Override it to customize what ``fit`` does (tf.keras's guide
        "Customizing what happens in fit()"); ``fit`` then calls it eagerly for every batch.

        Example:
            >>> class CustomModel(kerasfront.Model):
            ...     def train_step(self, data):
            ...         x, y = data
            ...         with ag.GradientTape() as tape:
            ...             y_pred = self(x, training=True)
            ...             loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            ...         grads = tape.gradient(loss, self.trainable_variables)
            ...         self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            ...         self.compiled_metrics.update_state(y, y_pred)
            ...         return {m.name: m.result() for m in self.metrics}
        """
        self._train_step(*self._step_arrays(data, "train_step"), eager=True)
        return self.get_metrics_result()

    def test_step(self, data):
        """One evaluation step on ``data``: the compiled loss and metrics of ``self(x, training=False)``; returns
        the logs. Override it to customize ``evaluate`` (and ``fit``'s validation).

        Example:
            >>> def test_step(self, data):
            ...     x, y = data
            ...     y_pred = self(x, training=False)
            ...     self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            ...     self.compiled_metrics.update_state(y, y_pred)
            ...     return {m.name: m.result() for m in self.metrics}
        """
        self._test_step(*self._step_arrays(data, "test_step"))
        return self.get_metrics_result()

    def predict_step(self, data):
        """The model's outputs for one batch (``self(x, training=False)``); override it to customize ``predict``.

        Example:
            >>> def predict_step(self, data):
            ...     return ag.softmax(self(data, training=False))
        """
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """The total loss of one batch: the compiled loss plus the regularization losses (updates the loss
        trackers), as tf.keras's ``compute_loss``.

        Example:
            >>> loss = self.compute_loss(x, y, y_pred, sample_weight)
        """
        self._assert_compiled("compute_loss")
        return self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)

    def compute_metrics(self, x, y, y_pred, sample_weight):
        """Update the compiled metrics with one batch; returns ``get_metrics_result()``.

        Example:
            >>> return self.compute_metrics(x, y, y_pred, sample_weight)
        """
        self._assert_compiled("compute_metrics")
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{name: result}`` of every metric in ``metrics`` (floats; arrays for multi-valued metrics)."""
        return self._metric_logs()

    def _step_arrays(self, data, where):
        """The flat numpy arrays the internal steps take, from the ``data`` a public step received."""
        x, y, sw = data_adapter.unpack_x_y_sample_weight(data)
        host = lambda v: v.data if isinstance(v, Tensor) else v  # noqa: E731
        x, y, sw = (None if v is None else nest.map_structure(host, v) for v in (x, y, sw))
        x_arrays = self._flatten_x(x, f"{where}: x")
        self._prepare_for_data(x_arrays)
        y_arrays = self._flatten_y(y, f"{where}: y") if y is not None else None
        sw_arrays = self._flatten_y(sw, f"{where}: sample_weight") if sw is not None else None
        return x_arrays, y_arrays, sw_arrays

    def _overrides(self, method):
        """Whether this model's class overrides ``train_step`` / ``test_step`` / ``predict_step``."""
        return getattr(type(self), method) is not getattr(Model, method)

    def _step_data(self, xb, yb, swb):
        """The batch as a custom step receives it: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``, in the model's
        input and output structures, as Tensors."""
        x = self._to_model_inputs(xb)
        if self._is_graph_network and len(xb) == 1:
            x = x[0]
        y = None if yb is None else self._pack_outputs([None if a is None else make_leaf(a) for a in yb])
        sw = None if swb is None else self._pack_outputs([None if a is None else make_leaf(a) for a in swb])
        return data_adapter.pack_x_y_sample_weight(x, y, sw)

    def _pack_outputs(self, values):
        if len(values) == 1:
            return values[0]
        keys = self._output_keys()
        if keys is not None:
            return dict(zip(keys, values))
        return values

    def _custom_step(self, method, xb, yb, swb):
        """Call the user's ``train_step`` / ``test_step`` on one batch (eagerly) and check the logs it returns."""
        logs = getattr(self, method)(self._step_data(xb, yb, swb))
        if not isinstance(logs, dict):
            raise TypeError(f"{type(self).__name__}.{method} must return a dict of logs {{metric name: value}} (e.g. "
                            f"{{m.name: m.result() for m in self.metrics}}), received {type(logs).__name__}")
        out = {}
        for k, v in logs.items():
            v = v.data if isinstance(v, Tensor) else np.asarray(v)
            if v.dtype.kind not in "biuf":
                raise TypeError(f"{type(self).__name__}.{method} returned a log {k!r} that is not a number or an "
                                f"array of numbers: {logs[k]!r}")
            out[k] = float(v) if v.ndim == 0 else v.copy()
        return out

    def _refuse_custom_steps_in_parallel(self, dp, where):
        """A custom step under data parallelism would train each worker on its own share without averaging the
        gradients: refused, by name."""
        if dp is None:
            return
        methods = {"fit": ("train_step", "test_step"), "evaluate": ("test_step",), "predict": ("predict_step",),
                   "train_on_batch": ("train_step",), "test_on_batch": ("test_step",)}[where]
        for method in methods:
            if self._overrides(method):
                raise NotImplementedError(
                    f"{type(self).__name__} overrides `{method}`, which {where}() does not support under a "
                    f"multi-worker {type(self.distribute_strategy).__name__} (the gradients of a custom step would "
                    f"not be averaged over the workers): train it in one process, or use the default `{method}`")

    def _logs(self):
        if self._active_dp is not None:      # data parallel: from the metrics' state summed over the workers
            return self._active_dp.reduced_logs(self._metric_logs)
        return self._metric_logs()

    def _metric_logs(self):
        logs = {}
        for m in self.metrics:
            r = m.result()
            r = r.data if isinstance(r, Tensor) else np.asarray(r)
            # NOTE: as tf.keras, a metric with several thresholds or one value per class (F1Score(average=None))
            # logs its array.
            logs[m.name] = float(r) if r.ndim == 0 else r.copy()
        return logs

    def _prepare_training(self):
        """Cache what every step needs: trainable variables, regularization callables (recomputed only when
        weights were added or trainability changed since)."""
        key = (STRUCTURE_VERSION[0], id(self.compiled_loss))
        if getattr(self, "_prepared_key", None) == key:
            return
        self._prepared_key = key
        self._train_vars = self.trainable_weights
        self._reg_fns = [fn for layer in self._flatten_layers() for fn in layer._callable_losses]
        self._has_any_loss = self._needs_targets()

    # -- fit -----------------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1,
            max_queue_size=10, workers=1, use_multiprocessing=False):
        """Train for ``epochs`` passes over the data; returns the ``History`` (``history.history["loss"]``...).

        Args:
            x, y: arrays (lists or dicts of arrays for several inputs/outputs), or a generator / Sequence /
                ``kerasfront.utils.Dataset`` yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches (then ``y``
                is None).
            batch_size: samples per step (default 32; not for generators).
            epochs: the epoch to stop at (training runs epochs ``initial_epoch .. epochs - 1``).
            verbose: ``"auto"``/1 progress bar, 2 one line per epoch, 0 silent.
            callbacks: ``kerasfront.callbacks.Callback`` objects.
            validation_split: the last fraction of the arrays to hold out (taken before shuffling).
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``, or a generator/Sequence.
            shuffle: reshuffle the training arrays each epoch (``"batch"``: shuffle batch-sized chunks).
            class_weight: ``{class_id: weight}`` multiplying the loss of each sample of that class.
            sample_weight: per-sample loss weights.
            steps_per_epoch / validation_steps: batches per epoch / per validation run.
            validation_freq: validate every N epochs (an int) or at the listed epochs (1-based).
            max_queue_size / workers / use_multiprocessing: for a generator or Sequence, read up to
                ``max_queue_size`` batches ahead with ``workers`` threads (processes with
                ``use_multiprocessing``) when ``workers > 1`` or ``use_multiprocessing``; ``workers=0`` or ``1``
                reads them in the training thread. Ignored for arrays and Datasets.

        Example:
            >>> history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2)
            >>> history.history["val_loss"]
        """
        self._assert_compiled("fit")
        verbose = _check_verbose(verbose, "fit")
        _check_batch_size(batch_size, "batch_size")
        _check_int(epochs, "epochs", minimum=0)
        _check_int(initial_epoch, "initial_epoch", minimum=0)
        if steps_per_epoch is not None:
            _check_int(steps_per_epoch, "steps_per_epoch", minimum=1)
        if validation_steps is not None:
            _check_int(validation_steps, "validation_steps", minimum=1)
        _check_batch_size(validation_batch_size, "validation_batch_size")
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.integer,
                                                                                   np.floating)) \
                or not 0.0 <= float(validation_split) < 1.0:
            raise ValueError(f"fit(validation_split=...): expected a float in [0, 1), received {validation_split!r}")
        if isinstance(validation_freq, (list, tuple, set)):
            val_epochs = {int(e) for e in validation_freq}
            should_validate = lambda epoch: (epoch + 1) in val_epochs  # noqa: E731
        else:
            _check_int(validation_freq, "validation_freq", minimum=1)
            should_validate = lambda epoch: (epoch + 1) % validation_freq == 0  # noqa: E731
        if shuffle not in (True, False, "batch") and not isinstance(shuffle, (bool, np.bool_)):
            raise ValueError(f"fit(shuffle=...): expected True, False or 'batch', received {shuffle!r}")
        if class_weight is not None and not isinstance(class_weight, dict):
            raise TypeError(f"fit(class_weight=...): expected a dict {{class_id: weight}}, received "
                            f"{type(class_weight).__name__}")
        data_adapter.check_worker_args(workers, use_multiprocessing, max_queue_size, "fit")
        workers_args = dict(workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)

        val_data = None
        if validation_split and validation_data is None:
            if data_adapter.is_batch_source(x):
                raise ValueError(f"`validation_split` is only supported for Tensors or NumPy arrays, found "
                                 f"{type(x).__name__}; pass validation_data instead")
            train = self._make_data(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
            (tx, ty, tsw), (vx, vy, vsw) = data_adapter.train_validation_split([train.x, train.y, train.sw],
                                                                               float(validation_split))
            if class_weight is not None:      # as tf.keras: class weights apply to the training part only
                tsw = _apply_class_weight(class_weight, ty, tsw)
            train_data = data_adapter.ArrayData(tx, ty, tsw, batch_size or 32, shuffle=shuffle,
                                                steps_per_epoch=steps_per_epoch)
            val_data = data_adapter.ArrayData(vx, vy, vsw, validation_batch_size or batch_size or 32,
                                              steps_per_epoch=validation_steps)
        else:
            train_data = self._make_data(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, class_weight,
                                         **workers_args)
            if validation_data is not None:
                if data_adapter.is_batch_source(validation_data):
                    val_data = self._make_data(validation_data, None, None, None, False, validation_steps,
                                               arg="validation_data", **workers_args)
                else:
                    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (1, 2, 3):
                        raise ValueError("fit(validation_data=...): expected a tuple (x_val,), (x_val, y_val) or "
                                         "(x_val, y_val, val_sample_weight), or a generator/Sequence; received "
                                         f"{type(validation_data).__name__}"
                                         + (f" of length {len(validation_data)}" if isinstance(
                                             validation_data, (tuple, list)) else ""))
                    vx, vy, vsw = data_adapter.unpack_x_y_sample_weight(tuple(validation_data))
                    val_data = self._make_data(vx, vy, vsw, validation_batch_size or batch_size, False,
                                               validation_steps, arg="validation_data x")

        dp = self._data_parallel()
        try:
            self._refuse_custom_steps_in_parallel(dp, "fit")
            if dp is not None:          # each worker takes its share of every global batch
                train_data, val_data = dp.shard(train_data), dp.shard(val_data, "validation_data")
            return self._fit_loop(train_data, val_data, epochs, initial_epoch, verbose, callbacks, should_validate,
                                  dp)
        finally:
            train_data.close()
            if val_data is not None:
                val_data.close()
            if dp is not None:
                self._active_dp = None
                dp.finish()

    def _fit_loop(self, train_data, val_data, epochs, initial_epoch, verbose, callbacks, should_validate, dp=None):
        from ..callbacks import CallbackList
        self._prepare_training()
        if getattr(self, "_run_eagerly", None) and hasattr(self.optimizer, "emulate_fit_trace"):
            self.optimizer.emulate_fit_trace = False  # Nadam: tf.keras's eager formula, not its traced fit's
        callbacks, add_progbar = dp.callbacks(callbacks, verbose) if dp is not None else (callbacks, verbose != 0)
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=add_progbar, model=self,
                                 verbose=verbose, epochs=epochs, steps=train_data.steps)
        if dp is not None:
            dp.agree_on_batch_hooks(callbacks)
        train_hooks = getattr(callbacks, "_train_batch", True)
        self.stop_training = False
        if dp is not None:
            dp.begin("fit", data=train_data, validation=val_data, epochs=epochs, initial_epoch=initial_epoch)
        callbacks.on_train_begin()
        # BackupAndRestore restored a backup in on_train_begin: resume after the last epoch it finished
        initial_epoch = getattr(self, "_resume_from_epoch", initial_epoch)
        if dp is not None:           # every worker starts from worker 0's weights, optimizer state and epoch
            initial_epoch = dp.sync_state(initial_epoch)
            self._active_dp = dp
        logs = {}
        custom = self._overrides("train_step")
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            step = 0
            step_logs = None
            for xb, yb, swb in train_data.epoch():
                if train_hooks:
                    callbacks.on_train_batch_begin(step)
                if custom:
                    step_logs = self._custom_step("train_step", xb, yb, swb)
                else:
                    self._train_step(xb, yb, swb)
                if train_hooks:
                    callbacks.on_train_batch_end(step, dict(step_logs) if custom else self._logs())
                step += 1
                if dp is not None and train_hooks:
                    self.stop_training = dp.agree(self.stop_training)
                if self.stop_training:
                    break
            if step == 0 and getattr(train_data, "exhausted", False):
                break
            # NOTE: as tf.keras, a custom train_step's epoch logs are those its last batch returned
            epoch_logs = dict(step_logs) if custom and step_logs is not None else self._logs()
            if val_data is not None and should_validate(epoch):
                val_logs = self._evaluate_loop(val_data, callbacks)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            train_data.on_epoch_end()
            logs = epoch_logs
            if dp is not None:
                self.stop_training = dp.agree(self.stop_training)
            if self.stop_training:
                break
        if hasattr(self.optimizer, "finalize_variable_values"):
            self.optimizer.finalize_variable_values(self._train_vars)
        callbacks.on_train_end(logs)
        return self.history

    # -- evaluate --------------------------------------------------------------------------------------------
    def _evaluate_loop(self, data, callbacks):
        self.reset_metrics()
        test_hooks = getattr(callbacks, "_test_batch", True)
        callbacks.on_test_begin()
        step = 0
        custom = self._overrides("test_step")
        step_logs = None
        for xb, yb, swb in data.epoch():
            if test_hooks:
                callbacks.on_test_batch_begin(step)
            if custom:       # NOTE: not under no_grad: as in tf.keras, a custom test_step may use a GradientTape
                step_logs = self._custom_step("test_step", xb, yb, swb)
            else:
                self._test_step(xb, yb, swb)
            if test_hooks:
                callbacks.on_test_batch_end(step, dict(step_logs) if custom else self._logs())
            step += 1
        data.on_epoch_end()
        logs = dict(step_logs) if custom and step_logs is not None else self._logs()
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, max_queue_size=10, workers=1, use_multiprocessing=False, return_dict=False):
        """The loss and metrics on the data: a scalar (loss only), a list in ``metrics_names`` order, or a dict
        with ``return_dict=True``. Runs without recording a graph.

        Example:
            >>> loss, acc = model.evaluate(x_test, y_test, verbose=0)
        """
        from ..callbacks import CallbackList
        self._assert_compiled("evaluate")
        verbose = _check_verbose(verbose, "evaluate")
        _check_batch_size(batch_size, "batch_size")
        if steps is not None:
            _check_int(steps, "steps", minimum=1)
        data_adapter.check_worker_args(workers, use_multiprocessing, max_queue_size, "evaluate")
        data = self._make_data(x, y, sample_weight, batch_size, False, steps, workers=workers,
                               use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        dp, outer_dp = self._data_parallel(), self._active_dp
        try:
            self._refuse_custom_steps_in_parallel(dp, "evaluate")
            self._prepare_training()
            callbacks, add_progbar = (dp.callbacks(callbacks, verbose) if dp is not None
                                      else (callbacks, verbose != 0))
            if dp is not None:           # each worker evaluates its share of every batch; the metrics are summed
                data = dp.shard(data)
                dp.begin("evaluate", data=data)
                dp.sync_state()
                self._active_dp = dp
            cbs = CallbackList(callbacks, add_progbar=add_progbar, model=self, verbose=verbose, epochs=1,
                               steps=data.steps)
            if dp is not None:
                dp.agree_on_batch_hooks(cbs)
            logs = self._evaluate_loop(data, cbs)
        finally:
            data.close()
            if dp is not None:
                self._active_dp = outer_dp
                if outer_dp is None:
                    dp.finish()
        if return_dict:
            return logs
        return self._logs_in_order(logs)

    def _logs_in_order(self, logs):
        """The logs as evaluate returns them without return_dict: ``metrics_names`` order, then the other keys
        sorted (tf.keras's order for a custom test_step's logs); a scalar when there is one."""
        names = self.metrics_names
        values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    # -- predict ---------------------------------------------------------------------------------------------
    def _predict_loop(self, data, callbacks):
        outputs = None
        hooks = getattr(callbacks, "_predict_batch", True)
        callbacks.on_predict_begin()
        step = 0
        structure = None
        custom = self._overrides("predict_step")
        with (contextlib.nullcontext() if custom else ag.no_grad()):    # a custom predict_step may use a tape
            for xb, _, _ in data.epoch():
                if hooks:
                    callbacks.on_predict_batch_begin(step)
                if custom:
                    out = self.predict_step(self._step_data(xb, None, None))
                else:
                    out = self._eager_call(self._to_model_inputs(xb), (), {"training": False}, False)
                flat = self._flatten_outputs(out)
                if structure is None:
                    structure = out
                    outputs = [[] for _ in flat]
                host = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in flat]   # text: numpy already
                for acc, t in zip(outputs, host):
                    acc.append(t)
                if hooks:
                    callbacks.on_predict_batch_end(step, {"outputs": host})
                step += 1
        data.on_epoch_end()
        callbacks.on_predict_end()
        if outputs is None:
            raise ValueError("predict: the input produced no batches (an empty generator or Sequence?)")
        arrays = [np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0] for parts in outputs]
        if isinstance(structure, Tensor):
            return arrays[0]
        return nest.pack_sequence_as(structure, arrays)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, max_queue_size=10, workers=1,
                use_multiprocessing=False):
        """The model's outputs on ``x`` as numpy arrays (batched, ``training=False``, no graph recorded).

        Example:
            >>> probs = model.predict(x_test, batch_size=256, verbose=0)
        """
        from ..callbacks import CallbackList
        verbose = _check_verbose(verbose, "predict")
        _check_batch_size(batch_size, "batch_size")
        if steps is not None:
            _check_int(steps, "steps", minimum=1)
        data_adapter.check_worker_args(workers, use_multiprocessing, max_queue_size, "predict")
        if data_adapter.is_batch_source(x):
            data = self._make_data(x, None, None, batch_size, False, steps, need_y=False, workers=workers,
                                   use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        else:
            if x is None:
                raise ValueError("`x` is None: pass the input data to predict()")
            x_arrays = self._flatten_x(x, "x")
            self._prepare_for_data(x_arrays)
            data = data_adapter.ArrayData(x_arrays, None, None, batch_size or 32, steps_per_epoch=steps)
        dp = self._data_parallel()
        try:
            self._refuse_custom_steps_in_parallel(dp, "predict")
            callbacks, add_progbar = (dp.callbacks(callbacks, verbose) if dp is not None
                                      else (callbacks, verbose != 0))
            cbs = CallbackList(callbacks, add_progbar=add_progbar, model=self, verbose=verbose, epochs=1,
                               steps=data.steps)
            if dp is not None:           # each worker predicts its share; every worker gets the whole result
                dp.sync_state()
                return dp.predict(data, cbs)
            return self._predict_loop(data, cbs)
        finally:
            data.close()

    # -- the Keras 2 generator spellings (deprecated in tf.keras, still there) ------------------------------
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """``fit`` on a generator or Sequence, with tf.keras's deprecation warning (``fit`` takes generators).

        Example:
            >>> history = model.fit_generator(batches(), steps_per_epoch=10, epochs=2)
        """
        warnings.warn("`Model.fit_generator` is deprecated and will be removed in a future version. Please use "
                      "`Model.fit`, which supports generators.", stacklevel=2)
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, max_queue_size=max_queue_size,
                        workers=workers, use_multiprocessing=use_multiprocessing, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        """``evaluate`` on a generator or Sequence, with tf.keras's deprecation warning.

        Example:
            >>> loss = model.evaluate_generator(batches(), steps=5)
        """
        warnings.warn("`Model.evaluate_generator` is deprecated and will be removed in a future version. Please use "
                      "`Model.evaluate`, which supports generators.", stacklevel=2)
        return self.evaluate(generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
                             use_multiprocessing=use_multiprocessing, verbose=verbose, callbacks=callbacks)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        """``predict`` on a generator or Sequence, with tf.keras's deprecation warning.

        Example:
            >>> probs = model.predict_generator(batches(), steps=5)
        """
        warnings.warn("`Model.predict_generator` is deprecated and will be removed in a future version. Please use "
                      "`Model.predict`, which supports generators.", stacklevel=2)
        return self.predict(generator, steps=steps, max_queue_size=max_queue_size, workers=workers,
                            use_multiprocessing=use_multiprocessing, verbose=verbose, callbacks=callbacks)

    # -- single batches -------------------------------------------------------------------------------------
    def _single_batch(self, x, y, sample_weight, class_weight, need_y):
        x_arrays = self._flatten_x(x, "x")
        self._prepare_for_data(x_arrays)
        y_arrays = self._flatten_y(y, "y") if y is not None else None
        if y_arrays is None and need_y and self._needs_targets():
            raise ValueError(f"Target data is missing. Your model was compiled with loss={self.loss!r}, and therefore "
                             f"expects target data (the `y` argument).")
        sw_arrays = self._flatten_y(sample_weight, "sample_weight") if sample_weight is not None else None
        if class_weight is not None:
            sw_arrays = _apply_class_weight(class_weight, y_arrays, sw_arrays)
        data_adapter.check_cardinality(x_arrays, y_arrays, sw_arrays)
        if y_arrays is not None:
            self._check_labels(y_arrays)
        return x_arrays, y_arrays, sw_arrays

    def _return_logs(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        self._assert_compiled("train_on_batch")
        xb, yb, swb = self._single_batch(x, y, sample_weight, class_weight, True)
        self._prepare_training()
        if reset_metrics:
            self.reset_metrics()
        dp = self._data_parallel()
        self._refuse_custom_steps_in_parallel(dp, "train_on_batch")
        if dp is None:
            if self._overrides("train_step"):
                logs = self._custom_step("train_step", xb, yb, swb)
                return logs if return_dict else self._logs_in_order(logs)
            self._train_step(xb, yb, swb)
            return self._return_logs(return_dict)
        outer_dp, self._active_dp = self._active_dp, dp    # the batch is global: each worker trains on its share
        try:
            self._train_step(*dp.shard_batch(xb, yb, swb))
            return self._return_logs(return_dict)
        finally:
            self._active_dp = outer_dp
            if outer_dp is None:
                dp.finish()

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """The loss (and metrics) on one batch, without training."""
        self._assert_compiled("test_on_batch")
        xb, yb, swb = self._single_batch(x, y, sample_weight, None, True)
        self._prepare_training()
        if reset_metrics:
            self.reset_metrics()
        if self._overrides("test_step"):
            self._refuse_custom_steps_in_parallel(self._data_parallel(), "test_on_batch")
            logs = self._custom_step("test_step", xb, yb, swb)
            return logs if return_dict else self._logs_in_order(logs)
        self._test_step(xb, yb, swb)
        return self._return_logs(return_dict)

    def predict_on_batch(self, x):
        """The model's outputs on one batch, as numpy arrays."""
        x_arrays = self._flatten_x(x, "x")
        self._prepare_for_data(x_arrays)
        if self._overrides("predict_step"):
            out = self.predict_step(self._step_data(x_arrays, None, None))
        else:
            with ag.no_grad():
                out = self._eager_call(self._to_model_inputs(x_arrays), (), {"training": False}, False)
        if isinstance(out, Tensor):
            return out.data
        return nest.map_structure(lambda t: t.data if isinstance(t, Tensor) else t, out)

    # -- saving (kerasfront.saving does the work) ---------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
        """Save architecture, weights, compile arguments and optimizer state (``.h5``; ``.keras`` as Keras 3).

        Example:
            >>> model.save("model.h5")
        """
        if not self._writes_files():       # under a multi-worker strategy, worker 0 writes
            return None
        from ..saving import save_model
        return save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                          save_format=save_format, **kwargs)

    def export(self, filepath, format=None, opset=None, input_signature=None, verbose=False, **kwargs):
        """Export the inference pass for serving: ``model.export("model.onnx", format="onnx")`` (Keras 3's
        spelling; ``kerasfront.onnx.export`` is the same). tf.keras's ``export(filepath)`` writes a TensorFlow
        SavedModel, which needs TensorFlow: without ``format`` this raises an error saying so.

        Example:
            >>> model.export("model.onnx", format="onnx", opset=17)
        """
        if kwargs:
            raise TypeError(f"export: unexpected keyword argument(s) {sorted(kwargs)}")
        if format is None or (isinstance(format, str) and format.lower() in ("tf_saved_model", "tf", "saved_model")):
            raise ValueError("model.export(filepath) writes a TensorFlow SavedModel in tf.keras, which needs "
                             "TensorFlow; kerasfront exports ONNX instead: model.export('model.onnx', format='onnx') "
                             "(serve it with ONNX Runtime). To keep a model for kerasfront, use model.save(path).")
        if not isinstance(format, str) or format.lower() != "onnx":
            raise ValueError(f"model.export(format=...): kerasfront exports format='onnx' only, received {format!r}")
        if not self._writes_files():       # under a multi-worker strategy, worker 0 writes
            return None
        from ..export.onnx import export_onnx
        return export_onnx(self, filepath, opset=opset, input_signature=input_signature, verbose=verbose)

    def save_weights(self, filepath, overwrite=True, save_format=None, options=None):
        """Save only the weights, in tf.keras's HDF5 layout."""
        if not self._writes_files():
            return None
        from ..saving import save_weights
        return save_weights(self, filepath, overwrite=overwrite, save_format=save_format)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, options=None, isolate=None):
        """Load weights saved by ``save_weights`` (or by tf.keras), by layer order or ``by_name``; ``isolate``
        as for ``kerasfront.models.load_model`` (read the HDF5 file in a time- and memory-limited child)."""
        from ..saving import load_weights
        return load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch, isolate=isolate)

    # -- summary ---------------------------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print Keras's table of layers, output shapes and parameter counts (and the totals).

        Example:
            >>> model.summary()
        """
        from .summary_utils import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)


    # -- structure -----------------------------------------------------------------------------------------
    @property
    def layers(self):
        """The layers this model holds (for a subclassed model: those set as attributes, in order)."""
        return [la for la in self._sublayers()]

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` of ``model.layers``.

        Example:
            >>> model.get_layer("dense_1").units
        """
        if index is not None and name is not None:
            raise ValueError(f"get_layer(): provide only a layer name or a layer index, received name={name!r} and "
                             f"index={index!r}")
        if index is not None:
            if not isinstance(index, int):
                raise TypeError(f"get_layer(index=...): expected an int, received {index!r}")
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(layers)} "
                                 f"layers.")
            return layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            import difflib
            close = difflib.get_close_matches(str(name), [la.name for la in self.layers], n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ValueError(f"No such layer: {name}. Existing layers are: {[la.name for la in self.layers]}.{hint}")
        raise ValueError("get_layer(): provide either a layer name or a layer index")

    def build(self, input_shape):
        """Build a subclassed model by running it on a placeholder batch of ``input_shape``."""
        if self._is_graph_network:
            self.built = True
            return
        if input_shape is None:
            raise ValueError("Model.build(input_shape): input_shape must be given (a tuple with the batch axis)")
        if self.built and getattr(self, "_built_by_placeholder", False):
            return
        from .base_layer import _SCOPES

        def placeholder(shape):
            if not isinstance(shape, (tuple, list)) or not all(d is None or isinstance(d, (int, np.integer))
                                                                 for d in shape):
                raise ValueError(f"Model.build(input_shape): expected a shape tuple such as (None, 3) (or a list / "
                                 f"dict of them), received {input_shape!r}")
            return make_leaf(np.zeros(tuple(1 if d is None else int(d) for d in shape), self._np_dtype))
        if isinstance(input_shape, dict):
            x = {k: placeholder(v) for k, v in input_shape.items()}
        elif isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            x = [placeholder(v) for v in input_shape]
        else:
            x = placeholder(input_shape)
        self.built = True
        self._built_by_placeholder = True
        self._build_input_shape = input_shape
        # run the forward pass once on a placeholder batch so that the sublayers create their weights
        pushed = not (_SCOPES and _SCOPES[-1] == self.name)
        if pushed:
            _SCOPES.append(self.name)
        prev = _CTX.shape_inference
        _CTX.shape_inference = True
        try:
            with ag.no_grad(), np.errstate(all="ignore"):
                self.call(x)
        finally:
            _CTX.shape_inference = prev
            if pushed:
                _SCOPES.pop()

    # NOTE: as in tf.keras, the first __call__ does not run this default build (the call itself creates the
    # weights); only an explicit model.build(shape) runs a placeholder batch through the model.
    build._skip_in_call = True

    def call(self, inputs, training=None, mask=None):
        raise NotImplementedError(f"Model {type(self).__name__}: subclasses of Model must implement call(inputs, "
                                  f"training=None) (or build a functional model with Model(inputs, outputs))")

    # -- serialization -----------------------------------------------------------------------------------------
    def get_config(self):
        if type(self).get_config is not Model.get_config:
            return super().get_config()
        extra = self._auto_config()
        if extra is None:
            raise NotImplementedError(f"Model {type(self).__name__}: subclassed models need get_config() (and "
                                      f"from_config) to be saved; override get_config")
        config = {"name": self.name, "trainable": self.trainable}
        config.update(extra)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .functional import Functional
        if "layers" in config and "input_layers" in config and cls in (Model, Functional):
            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``model_from_json`` reads it back).

        Example:
            >>> model2 = kerasfront.models.model_from_json(model.to_json())
        """
        from ..serialization import serialize_keras_object
        data = serialize_keras_object(self)
        config = {"class_name": data["class_name"], "config": data["config"], "keras_version": "2.21.0",
                  "backend": "tensorflow"}
        return json.dumps(config, default=_json_default, **kwargs)

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on model {self.name}, but the model isn't built. "
                             f"You can build it manually via: `{self.name}.build(batch_input_shape)`, or call it "
                             f"on data first.")
        return super().count_params()


def _signature_key(inputs):
    """A hashable key of a call's inputs: per-sample shapes and dtypes, in their structure (None: not arrays)."""
    if isinstance(inputs, Tensor):
        return (inputs.data.shape[1:], inputs.data.dtype.str)
    if isinstance(inputs, (list, tuple)):
        keys = tuple(_signature_key(v) for v in inputs)
        return None if any(k is None for k in keys) else ("list", keys)
    if isinstance(inputs, dict):
        keys = tuple((k, _signature_key(inputs[k])) for k in sorted(inputs))
        return None if any(k[1] is None for k in keys) else ("dict", keys)
    return None


def _signature_spec(inputs):
    """The structure of a call's inputs with ``(per-sample shape, dtype name)`` leaves."""
    if isinstance(inputs, Tensor):
        return (tuple(int(d) for d in inputs.data.shape[1:]), inputs.data.dtype.name)
    if isinstance(inputs, (list, tuple)):
        return [_signature_spec(v) for v in inputs]
    return {k: _signature_spec(inputs[k]) for k in sorted(inputs)}


_FUNCTIONAL_SUBCLASSES = {}


def _functional_subclass(cls):
    """``cls`` with Functional mixed in (same name), for subclasses that pass inputs/outputs to Model."""
    from .functional import Functional
    sub = _FUNCTIONAL_SUBCLASSES.get(cls)
    if sub is None:
        sub = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        _FUNCTIONAL_SUBCLASSES[cls] = sub
    return sub


def _json_default(obj):
    import numpy as np
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _check_jit_compile(jit_compile, run_eagerly):
    if not (jit_compile is None or isinstance(jit_compile, (bool, np.bool_)) or jit_compile == "auto"):
        raise ValueError(f"compile(jit_compile=...): expected True, False, None or 'auto', received {jit_compile!r}")
    if run_eagerly and jit_compile is True:
        raise ValueError("You cannot enable `run_eagerly` and `jit_compile` at the same time.")


def _check_verbose(verbose, where):
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if isinstance(verbose, (bool, np.bool_)):
        return int(verbose)
    if not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}(verbose=...): expected 'auto', 0, 1 or 2, received {verbose!r}")
    return int(verbose)


def _check_int(value, arg, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{arg}` must be an integer, received {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{arg}` must be >= {minimum}, received {arg}={value}")


def _check_batch_size(batch_size, arg):
    if batch_size is None:
        return
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"`{arg}` must be a positive integer, received {batch_size!r} ({type(batch_size).__name__})")
    if batch_size <= 0:
        raise ValueError(f"`{arg}` must be a positive integer, received {arg}={batch_size}")


def _apply_class_weight(class_weight, y_arrays, sw_arrays):
    """The outputs' sample weights with ``class_weight`` multiplied in (``losses_utils.class_weight_to_sample_weight``;
    single-output models only, as tf.keras)."""
    if y_arrays is None:
        raise ValueError("`class_weight` needs the targets `y` to find each sample's class")
    if len(y_arrays) > 1:
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    sw = sw_arrays[0] if sw_arrays is not None else None
    return [class_weight_to_sample_weight(class_weight, y_arrays[0], sw)]
