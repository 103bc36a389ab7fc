"""Keras 3's ``.keras`` format: a zip archive holding ``metadata.json``, ``config.json`` and
``model.weights.h5``.

``config.json`` is the model's serialized config (``{"module", "class_name", "config", "registered_name",
"compile_config"}``); ``model.weights.h5`` holds each object's own variables at ``<path>/vars/0``, ``1``, ...,
where the path follows Keras 3's walk of the model: ``layers/<snake_case class name>`` for each layer of a
Sequential or functional model (``dense``, ``dense_1``... numbered within the list, whatever the layers'
names), then each sublayer under the attribute that holds it (``layers/lstm/cell``), and ``optimizer`` for the
optimizer (iterations, learning rate, then its slots).

Reading accepts what Keras 3 itself writes for the layers kerasfront has: its configs are translated to the
tf.keras 2 spellings (``batch_shape`` -> ``batch_input_shape``, dtype policies -> dtype names, call
arguments of ``inbound_nodes`` -> node lists).

Example:
    >>> save_model_to_keras_file(model, "model.keras")
    >>> model2 = load_model_from_keras_file("model.keras")
"""
import contextlib
import datetime
import io
import json
import os
import re
import shutil
import struct
import tempfile
import warnings
import zipfile
import zlib

import numpy as np

import autograd as ag

from ..engine import nest
from .atomic_write import atomic_write, confirm_overwrite
from .h5_utils import SavedFileError, check_input_file, h5py, is_dataset, is_group, read_dataset
from . import keras3_ops, limits
from .limits import check_config_size, human_bytes, memory_limit_bytes

__all__ = ["save_model_to_keras_file", "load_model_from_keras_file", "load_weights_from_keras_file",
           "load_weights_from_keras3_h5", "to_keras3_config", "from_keras3_config"]

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
FORMAT_VERSION = "3.0.0"   # the Keras 3 saving format this follows
_IN_MEMORY_LIMIT = 256 * 2 ** 20


def _snake(name):
    """Keras 3's ``to_snake_case`` (``LSTMCell`` -> ``lstm_cell``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# -- walking a model the way Keras 3 does ---------------------------------------------------------------------

def _own_variables(obj):
    return list(getattr(obj, "_trainable_weights", [])) + list(getattr(obj, "_non_trainable_weights", []))


def _children(layer):
    """``(path name, layer or [layers], tf.keras 2 alias or None)``: a model's ``layers`` first, then public attributes
    holding layers, and the private ones a class names in ``_saved_sublayers`` (attribute -> Keras 3's name, as
    MultiHeadAttention's ``_query_dense`` -> ``query_dense``), sorted by name."""
    from ..engine.base_layer import Layer
    out = []
    if getattr(layer, "_is_graph_network", False) or hasattr(layer, "_seq_layers"):
        out.append(("layers", list(layer.layers), None))
    skip = {"layers", "_inbound_nodes", "_outbound_nodes"}
    private = dict(getattr(type(layer), "_saved_sublayers", {}))
    for attr in sorted(vars(layer)):
        if (attr.startswith("_") and attr not in private) or attr in skip:
            continue
        value = vars(layer)[attr]
        name, alias = (private[attr], attr) if attr in private else (attr, None)
        if isinstance(value, Layer):
            out.append((name, value, alias))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
            out.append((name, list(value), alias))
        elif isinstance(value, dict) and value and all(isinstance(v, Layer) for v in value.values()):
            out.append((name, list(value.values()), alias))
    return sorted(out, key=lambda c: (c[0] != "layers", c[0])) if private else out


def walk_layers(model, aliases=False):
    """``[(path, layer)]`` for the model and every layer in it, each once, with Keras 3's paths; with ``aliases``
    ``[(path, tf.keras 2 path, layer)]``, the second path differing where tf.keras 2 names a sublayer otherwise.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> [path for path, layer in walk_layers(model)]
        ['', 'layers/dense']
    """
    out, seen = [], set()

    def visit(obj, path, alias):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        out.append((path, alias, obj))
        for attr, child, old in _children(obj):
            base = f"{path}/{attr}" if path else attr
            base_alias = f"{alias}/{old or attr}" if alias else (old or attr)
            if isinstance(child, list):
                used = {}
                for item in child:
                    name = _snake(type(item).__name__)
                    if name in used:
                        used[name] += 1
                        name = f"{name}_{used[name]}"
                    else:
                        used[name] = 0
                    visit(item, f"{base}/{name}", f"{base_alias}/{name}")
            else:
                visit(child, base, base_alias)

    visit(model, "", "")
    return out if aliases else [(path, obj) for path, _, obj in out]


def _optimizer_variables(optimizer):
    """Keras 3's order: iterations, the learning rate (unless it is a schedule), then the slots as Keras 3 lays them
    out (the optimizer's ``keras3_variables()``: Nadam's momentum product, Adafactor's placeholders...)."""
    keras3_variables = getattr(optimizer, "keras3_variables", None)
    return list(keras3_variables()) if callable(keras3_variables) else _own_optimizer_variables(optimizer)


def _own_optimizer_variables(optimizer):
    """kerasfront's own order: iterations, the learning rate (unless it is a schedule), then ``variables``' slots
    (what files written by kerasfront before it followed Keras 3's layout hold)."""
    variables = list(optimizer.variables)
    lr = getattr(optimizer, "_learning_rate", None)
    if isinstance(lr, ag.Tensor):
        variables.insert(1, lr)
    return variables


# -- configs ----------------------------------------------------------------------------------------------------

_MODEL_MODULES = {"Sequential": ("keras", None), "Functional": ("keras.src.models.functional", "Functional"),
                  "Model": ("keras.src.models.functional", "Functional"), "FeatureSpace": ("keras.utils", None)}


def _module_of(class_name):
    """Keras 3's ``(module, registered_name)`` for a built-in class name (None when it is not built in)."""
    if class_name in _MODEL_MODULES:
        return _MODEL_MODULES[class_name]
    from .. import constraints, initializers, layers, losses, metrics, regularizers
    from ..optimizers import _BUILTINS as optimizer_classes
    from ..optimizers import schedules
    for module, registry in (("keras.layers", layers._REGISTRY), ("keras.initializers", initializers._BUILTINS),
                             ("keras.regularizers", regularizers._BUILTINS), ("keras.constraints", constraints._BUILTINS),
                             ("keras.optimizers.schedules", schedules._BUILTINS),
                             ("keras.optimizers", optimizer_classes), ("keras.losses", losses._CLASSES),
                             ("keras.metrics", metrics._CLASSES)):
        if class_name in registry:
            return module, None
    return None


#: config keys of tf.keras 2 that Keras 3's constructors reject
_RNN_KEYS = ("time_major", "implementation")
_KERAS2_ONLY_KEYS = {"LSTM": _RNN_KEYS, "GRU": _RNN_KEYS, "SimpleRNN": _RNN_KEYS, "LSTMCell": _RNN_KEYS,
                     "GRUCell": _RNN_KEYS, "SimpleRNNCell": _RNN_KEYS, "RNN": _RNN_KEYS,
                     "ConvLSTM1D": ("time_major",), "ConvLSTM2D": ("time_major",), "ConvLSTM3D": ("time_major",),
                     # transposed convolutions here always have groups=1, which Keras 3 takes no argument for
                     "Conv1DTranspose": ("groups",), "Conv2DTranspose": ("groups",), "Conv3DTranspose": ("groups",),
                     # Keras 3 builds MultiHeadAttention on its first call and has no robust-masking switch
                     "MultiHeadAttention": ("query_shape", "key_shape", "value_shape", "softmax_robust_masking")}
_OPTIMIZER_KEYS = ("jit_compile", "is_legacy_optimizer")


def found_in_optimizers(class_name):
    """True when ``class_name`` names a built-in optimizer.

    Example:
        >>> found_in_optimizers("Adam"), found_in_optimizers("Dense")
        (True, False)
    """
    from ..optimizers import _BUILTINS
    return isinstance(class_name, str) and class_name in _BUILTINS


def _is_builtin_loss_class(class_name):
    from .. import losses
    return isinstance(class_name, str) and class_name in losses._CLASSES and \
        class_name not in ("Loss", "LossFunctionWrapper")


_MODEL_CLASSES = ("Sequential", "Functional", "Model")


def _shift_nested_model_nodes(fconfig, delta):
    """Renumber references to nested models that have their own inputs: tf.keras 2 counts the node that
    connects a built model to its own Input (node 0), Keras 3 does not, so ``["block", 1, 0]`` in one is
    ``["block", 0, 0]`` in the other."""
    if not isinstance(fconfig, dict) or not isinstance(fconfig.get("layers"), list):
        return fconfig
    nested = set()
    for entry in fconfig["layers"]:
        if not isinstance(entry, dict) or entry.get("class_name") not in _MODEL_CLASSES:
            continue
        inner = entry.get("config") or {}
        sub = inner.get("layers") or []
        if entry.get("class_name") != "Sequential" or (sub and isinstance(sub[0], dict) and
                                                         sub[0].get("class_name") == "InputLayer"):
            nested.add(entry.get("name", inner.get("name")))
    if not nested:
        return fconfig

    def fix(ref):
        if isinstance(ref, list) and len(ref) >= 3 and ref[0] in nested and isinstance(ref[1], int):
            return [ref[0], max(0, ref[1] + delta)] + list(ref[2:])
        return ref

    out = dict(fconfig)
    layers = []
    for entry in fconfig["layers"]:
        nodes = entry.get("inbound_nodes") if isinstance(entry, dict) else None
        if isinstance(nodes, list):
            entry = dict(entry, inbound_nodes=[[fix(r) for r in node] if isinstance(node, list) else node
                                               for node in nodes])
        layers.append(entry)
    out["layers"] = layers
    for key in ("input_layers", "output_layers"):
        refs = fconfig.get(key)
        if isinstance(refs, list):
            out[key] = [fix(r) for r in refs] if refs and isinstance(refs[0], list) else fix(refs)
    return out


def to_keras3_config(config):
    """Add Keras 3's ``module`` / ``registered_name`` keys to every object entry of a tf.keras 2 config (a
    custom class keeps its registration name, which Keras 3 looks up in its own registry).

    Example:
        >>> to_keras3_config({"class_name": "Dense", "config": {"units": 3}})
        {'module': 'keras.layers', 'class_name': 'Dense', 'config': {'units': 3}, 'registered_name': None}
    """
    if isinstance(config, list):
        return [to_keras3_config(v) for v in config]
    if not isinstance(config, dict):
        return config
    out = {k: (dict(_KERAS3_HARD_SIGMOID) if _is_activation_key(k) and v == "keras3_hard_sigmoid"
               else to_keras3_config(v)) for k, v in config.items()}
    name = out.get("class_name")
    if name == "Keras3Operation" and isinstance(out.get("config"), dict) and "op" in out["config"]:
        return keras3_ops.operation_entry_to_keras3(out)
    if name in ("Functional", "Model"):
        out["config"] = _shift_nested_model_nodes(out.get("config"), -1)
    inner = out.get("config")
    if isinstance(name, str) and isinstance(inner, dict) and "batch_input_shape" in inner:
        # NOTE: Keras 3 layers take no input shape (the model's InputLayer has it, as ``batch_shape``).
        inner = dict(inner)
        shape = inner.pop("batch_input_shape")
        if name == "InputLayer":
            inner["batch_shape"] = shape
        out["config"] = inner
    if name == "BatchNormalization" and isinstance(inner, dict) and isinstance(inner.get("axis"), list) and \
            len(inner["axis"]) == 1:
        out["config"] = dict(out["config"], axis=inner["axis"][0])   # Keras 3 takes one int
    if _is_builtin_loss_class(name) and isinstance(out.get("config"), dict):
        # NOTE: Keras 3's loss classes take no "fn" and know no "auto" reduction (its default is the same mean).
        cfg = {k: v for k, v in out["config"].items() if k != "fn"}
        if cfg.get("reduction") == "auto":
            cfg["reduction"] = "sum_over_batch_size"
        out["config"] = cfg
    drop = _KERAS2_ONLY_KEYS.get(name) or (_OPTIMIZER_KEYS if found_in_optimizers(name) else ())
    if drop and isinstance(out.get("config"), dict):
        out["config"] = {k: v for k, v in out["config"].items() if k not in drop}
    if isinstance(name, str) and isinstance(out.get("config"), dict) and "module" not in out:
        found = _module_of(name)
        module, registered = found if found else (None, name)
        rest = {k: v for k, v in out.items() if k not in ("class_name", "config")}
        out = {"module": module, "class_name": name, "config": out["config"], "registered_name": registered, **rest}
    return out


def _register_keras3_operation():
    from .. import layers
    layers._REGISTRY.setdefault("Keras3Operation", keras3_ops.Keras3Operation)


def _keras_history(arg):
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        history = arg.get("config", {}).get("keras_history")
        if isinstance(history, (list, tuple)) and len(history) == 3:
            return list(history)
    return None


def _tensor_refs(value):
    """``value`` with each serialized Keras 3 tensor replaced by tf.keras 2's ``[layer, node, tensor]`` reference."""
    h = _keras_history(value)
    if h is not None:
        return h
    if isinstance(value, dict) and value.get("class_name") != "__keras_tensor__":
        return {k: _tensor_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tensor_refs(v) for v in value]
    return value


def _call_arg_names(class_name):
    """The names of a built-in layer's call arguments after the first (for positional tensors in Keras 3 nodes)."""
    from .. import layers
    cls = layers._REGISTRY.get(class_name)
    if cls is None:
        return ()
    from ..engine.base_layer import _call_info
    return tuple(_call_info(cls).arg_names[1:])


def _convert_node(node, class_name=None):
    """A Keras 3 node ``{"args": [...], "kwargs": {...}}`` as tf.keras 2's ``[[layer, node, tensor, kwargs], ...]``:
    positional arguments after the first become keyword arguments (MultiHeadAttention's ``value``), and tensors
    among the keyword arguments become references."""
    if not isinstance(node, dict) or "args" not in node:
        return node
    args = list(node.get("args") or [])
    # NOTE: Keras 3 records the call's ``training``/``mask`` defaults; fit and predict set them here.
    kwargs = {k: v for k, v in (node.get("kwargs") or {}).items() if k != "training" and (k != "mask" or v is not None)}
    if len(args) > 1:
        names = _call_arg_names(class_name)
        if len(names) < len(args) - 1:
            raise ValueError(f"a node of layer class {class_name!r} passes {len(args)} positional arguments, more than "
                             f"its call takes")
        kwargs = dict(zip(names, args[1:]), **kwargs)
    kwargs = _tensor_refs(kwargs)
    refs = []
    first = args[0] if args else None
    candidates = first if isinstance(first, (list, tuple)) and first and _keras_history(first[0]) else [first]
    for a in candidates:
        h = _keras_history(a)
        if h is None:
            raise ValueError(f"a node argument is not a Keras tensor: {str(a)[:120]}")
        refs.append(h + [{}])
    if refs:
        refs[0][3] = kwargs
    return refs


#: arguments Keras 3 added, dropped when they hold the value that means "as in tf.keras 2"
_KERAS3_DEFAULTS = {"quantization_config": None, "lora_rank": None, "lora_alpha": None, "input_axes": None,
                    "output_axes": None, "use_cudnn": "auto", "loss_scale_factor": None,
                    "gradient_accumulation_steps": None, "synchronized": False, "seed": None,
                    "rms_scaling": False, "use_gate": False, "sliding_window": None}


#: how a ``.keras`` file kerasfront writes names Keras 3's hard_sigmoid: as Keras 3 serializes its own function
#: (Keras 3 reads it as its ``hard_sigmoid``); a plain ``"hard_sigmoid"`` in kerasfront's files is tf.keras 2's
_KERAS3_HARD_SIGMOID = {"module": "keras.activations", "class_name": "function", "config": "hard_sigmoid",
                        "registered_name": "hard_sigmoid"}


def _is_activation_key(key):
    return isinstance(key, str) and key.endswith("activation")


def from_keras3_config(config, keras3_nodes=False, keras3_semantics=False):
    """Translate a Keras 3 config into the tf.keras 2 spellings kerasfront reads (a no-op on tf.keras 2
    configs); ``keras3_nodes``: node indices count as Keras 3 counts them (files written for Keras 3);
    ``keras3_semantics``: names mean what they mean in Keras 3 (files written by Keras 3 itself): its
    ``'hard_sigmoid'`` activation is read as ``'keras3_hard_sigmoid'`` (in files written for Keras 3 by kerasfront,
    only the function form ``{"module": "keras.activations", "class_name": "function", ...}`` means that).

    Example:
        >>> from_keras3_config({"module": "keras.layers", "class_name": "Dense", "config": {"units": 3},
        ...                     "registered_name": None})
        {'class_name': 'Dense', 'config': {'units': 3}}
    """
    if isinstance(config, list):
        return [from_keras3_config(v, keras3_nodes, keras3_semantics) for v in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") in ("DTypePolicy", "Policy") and isinstance(config.get("config"), dict):
        return config["config"].get("name", "float32")
    if config.get("class_name") == "function" and isinstance(config.get("config"), str):
        return config["config"]   # a function saved by name (tf.keras's .keras files)
    if keras3_ops.is_keras3_operation_entry(config):
        _register_keras3_operation()
        config = keras3_ops.operation_entry_from_keras3(config)
    out = {}
    for k, v in config.items():
        if k in ("module", "registered_name", "build_config", "compile_config", "shared_object_id"):
            continue
        if k in _KERAS3_DEFAULTS and _KERAS3_DEFAULTS[k] == v:
            continue
        if k == "inbound_nodes" and isinstance(v, list):
            out[k] = [_convert_node(n, config.get("class_name")) for n in v]
            continue
        out[k] = from_keras3_config(v, keras3_nodes, keras3_semantics)
        if _is_activation_key(k) and out[k] == "hard_sigmoid" and \
                (keras3_semantics or (keras3_nodes and isinstance(v, dict) and v.get("module") == "keras.activations")):
            # NOTE: Keras 3's hard_sigmoid is relu6(x + 3) / 6, tf.keras 2's clip(0.2 x + 0.5, 0, 1): same name,
            # other numbers.
            out[k] = "keras3_hard_sigmoid"
    if "batch_shape" in out and "batch_input_shape" not in out and isinstance(out.get("name"), str):
        out["batch_input_shape"] = out.pop("batch_shape")
    if keras3_nodes and out.get("class_name") in ("Functional", "Model"):
        out["config"] = _shift_nested_model_nodes(out.get("config"), +1)
    return out


def _keras3_tensor_nodes(fconfig, model):
    """Write the nodes of a functional config that pass tensors as keyword arguments (MultiHeadAttention's
    ``value``, ``key``, ``attention_mask``) in Keras 3's form ``{"args": [...], "kwargs": {...}}`` with serialized
    tensors: Keras 3 reads tensors only there (in tf.keras 2's lists it would call the layer with plain lists)."""
    from ..engine.functional import _is_ref
    if not isinstance(fconfig, dict) or not isinstance(fconfig.get("layers"), list):
        return

    def spec(ref):
        try:
            node = model.get_layer(ref[0])._inbound_nodes[ref[1]]
            t = nest.flatten(node.outputs)[ref[2]]
            return list(t.shape), str(t.dtype)
        except (ValueError, IndexError, AttributeError, TypeError):
            return None

    def tensor(ref):
        found = spec(ref)
        if found is None:
            raise LookupError(ref)
        return {"class_name": "__keras_tensor__", "config": {"shape": found[0], "dtype": found[1],
                                                              "keras_history": list(ref[:3])}}

    def convert(value):
        if _is_ref(value):
            return tensor(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    def has_ref(value):
        return _is_ref(value) or (isinstance(value, dict) and any(has_ref(v) for v in value.values())) or \
            (isinstance(value, list) and any(has_ref(v) for v in value))

    for layer in fconfig["layers"]:
        nodes = layer.get("inbound_nodes")
        if not isinstance(nodes, list):
            continue
        for i, node in enumerate(nodes):
            if not (isinstance(node, list) and node and _is_ref(node[0]) and len(node[0]) == 4
                    and has_ref(node[0][3])):
                continue
            try:
                first = [tensor(r) for r in node]
                nodes[i] = {"args": [first[0] if len(first) == 1 else first], "kwargs": convert(node[0][3])}
            except LookupError:
                continue
        if layer.get("class_name") in ("Functional", "Model"):
            _keras3_tensor_nodes(layer.get("config"), model.get_layer(layer["config"].get("name"))
                                 if isinstance(layer.get("config"), dict) else model)


def _json_shape(shape):
    if isinstance(shape, dict):
        return {k: _json_shape(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple, dict)) for s in shape):
        return [_json_shape(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def _build_from_config(model, build_config, path):
    """Create the weights of a model that its config leaves unbuilt (a subclassed model) by calling it once on
    zeros of the saved input shape, as Keras 3's ``build_from_config`` does; an object with its own
    ``build_from_config`` (a FeatureSpace) builds itself."""
    if hasattr(model, "build_from_config"):
        if build_config is not None:
            try:
                model.build_from_config(build_config)
            except (ValueError, TypeError) as e:
                raise SavedFileError(f"File '{path}': its build_config does not fit the saved object ({e})") from None
        return
    shape = (build_config or {}).get("input_shape") if isinstance(build_config, dict) else None
    if model._holds_layer_weights() or shape is None:
        return

    def zeros(s):
        dims = [1 if d is None else int(d) for d in s]
        for d in dims:
            if d < 0 or d > limits.MAX_INPUT_ELEMENTS:
                raise SavedFileError(f"File '{path}': build_config input_shape {s} is not a valid shape")
        if int(np.prod(dims)) > limits.MAX_INPUT_ELEMENTS:
            raise SavedFileError(f"File '{path}': build_config input_shape {s} is too large to build the model")
        return np.zeros(dims, np.float32)

    if isinstance(shape, dict):
        batch = {k: zeros(v) for k, v in shape.items()}
    elif shape and all(isinstance(s, list) for s in shape):
        batch = [zeros(s) for s in shape]
    else:
        batch = zeros(shape)
    with ag.no_grad():
        model(batch)


def _json_bytes(obj):
    from .hdf5_format import json_default
    return json.dumps(obj, default=json_default, indent=None).encode("utf-8")


def _compile_config(model):
    from .training_config import _serialize_nested
    if not getattr(model, "_is_compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    from ..serialization import serialize_keras_object
    args = getattr(model, "_compile_args", {})
    return to_keras3_config({
        "optimizer": serialize_keras_object(model.optimizer), "loss": _serialize_nested(args.get("loss")),
        "loss_weights": _serialize_nested(args.get("loss_weights")), "metrics": _serialize_nested(args.get("metrics")),
        "weighted_metrics": _serialize_nested(args.get("weighted_metrics")), "run_eagerly": False,
        "steps_per_execution": 1, "jit_compile": False})


# -- saving ---------------------------------------------------------------------------------------------------

def _write_vars(group, variables):
    for i, v in enumerate(variables):
        value = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
        ds = group.create_dataset(str(i), value.shape, dtype=value.dtype)
        if value.shape:
            ds[:] = value
        else:
            ds[()] = value


def write_weights_h5(f, model, optimizer=None):
    """Keras 3's ``model.weights.h5`` layout into the open HDF5 file ``f``.

    Args:
        f: an HDF5 file open for writing.
        model: the model whose variables are written (each layer's at ``<path>/vars/0``, ``1``, ...).
        optimizer: also write its variables under ``optimizer/vars`` (optional).

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> with h5py().File(os.path.join(tempfile.mkdtemp(), "w.h5"), "w") as f:
        ...     write_weights_h5(f, model); print(sorted(f["layers/dense/vars"]))
        ['0', '1']
    """
    links = []
    # NOTE: an object saved in tf.keras 2's form (a FeatureSpace: Keras 3's differs) keeps the state of layers that
    # move it into their config for Keras 3 (Discretization's summary, ``_keras3_config``) in their variables
    keras2_form = getattr(model, "_saved_in_keras2_form", False)
    for path, alias, obj in walk_layers(model, aliases=True):
        group = f.require_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = obj.name
        if hasattr(obj, "_save_own_variables") and not (keras2_form and hasattr(obj, "_keras3_config")):
            # a layer that names its variables as Keras does (a lookup's ``idf_weights``)
            store = {}
            obj._save_own_variables(store)
            for key, value in store.items():
                value = np.asarray(value)
                ds = group.create_dataset(str(key), value.shape, dtype=value.dtype)
                if value.shape:
                    ds[:] = value
                else:
                    ds[()] = value
        else:
            _write_vars(group, _own_variables(obj))
        if alias != path:
            links.append((path, alias))
    for path, alias in links:
        # NOTE: tf.keras 2 reads this sublayer under another name (MultiHeadAttention's ``_query_dense``, Keras 3's
        # ``query_dense``): a hard link gives the group both names, so both read the file, with no data copied
        parent, _, name = alias.rpartition("/")
        if name not in f.require_group(parent):
            f[alias] = f[path]
    if optimizer is not None:
        from .hdf5_format import HOST_STATE_ATTR, optimizer_host_state
        group = f.require_group("optimizer/vars")
        group.attrs["name"] = optimizer.name
        host = optimizer_host_state(optimizer)
        if host is not None:
            group.attrs[HOST_STATE_ATTR] = host
        _write_vars(group, _optimizer_variables(optimizer))


def save_model_to_keras_file(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` as a Keras 3 ``.keras`` archive (replaced atomically).

    Args:
        model: a ``Model`` (Sequential, functional, or subclassed with ``get_config``).
        filepath: the destination path.
        overwrite: replace an existing file without asking.
        include_optimizer: also save the compile arguments and the optimizer's variables.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> save_model_to_keras_file(model, os.path.join(tempfile.mkdtemp(), "model.keras"))
    """
    from ..engine.training import Model
    from ..serialization import serialize_keras_object
    from ..utils.feature_space import FeatureSpace
    from .hdf5_format import _check_savable
    if not isinstance(model, (Model, FeatureSpace)):
        raise TypeError(f"save_model(model=...): expected a kerasfront Model, received {type(model).__name__}")
    if getattr(model, "_is_graph_network", False):
        _check_savable(model)
    data = serialize_keras_object(model)
    _apply_keras3_configs(model, data["config"])
    _warn_keras2_hard_sigmoid(data["config"], path_of=filepath)
    config = to_keras3_config({"class_name": data["class_name"], "config": data["config"]})
    if getattr(model, "_is_graph_network", False):
        _keras3_tensor_nodes(config["config"], model)
    build_shape = getattr(model, "_build_input_shape", None)
    if hasattr(model, "get_build_config"):
        config["build_config"] = model.get_build_config()
    elif build_shape is not None:
        config["build_config"] = {"input_shape": _json_shape(build_shape)}
    compile_config = _compile_config(model) if include_optimizer else None
    if compile_config is not None:
        config["compile_config"] = compile_config
    config_bytes = _json_bytes(config)
    metadata = _json_bytes({"keras_version": FORMAT_VERSION, "date_saved":
                            datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"), "producer": "kerasfront"})
    optimizer = model.optimizer if compile_config is not None else None
    path = os.fspath(filepath)
    if not confirm_overwrite(path, overwrite):
        return
    with atomic_write(path) as tmp:
        buf = io.BytesIO()
        with h5py().File(buf, "w") as f:
            write_weights_h5(f, model, optimizer)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(METADATA_FILE, metadata)
            zf.writestr(CONFIG_FILE, config_bytes)
            zf.writestr(WEIGHTS_FILE, buf.getvalue())
            for name, data in _assets_of(model).items():
                zf.writestr(name, data)


def _warn_keras2_hard_sigmoid(config, path_of):
    """Warn when the archive names tf.keras 2's ``'hard_sigmoid'``: Keras 3 reads that name as its own
    ``relu6(x + 3) / 6`` and would predict other numbers (tf.keras 2.21 and kerasfront read it right)."""
    found = []

    def visit(value, owner):
        if isinstance(value, dict):
            cfg = value.get("config")
            name = cfg.get("name", owner) if isinstance(cfg, dict) else owner
            for k, v in value.items():
                if _is_activation_key(k) and v == "hard_sigmoid":
                    found.append(f"{name}.{k}")
                else:
                    visit(v, name)
        elif isinstance(value, list):
            for v in value:
                visit(v, owner)

    visit(config, None)
    if found:
        warnings.warn(f"'{os.fspath(path_of)}': {', '.join(found[:5])}{' ...' if len(found) > 5 else ''} use "
                      f"tf.keras 2's 'hard_sigmoid' (clip(0.2 * x + 0.5, 0, 1)); Keras 3 reads the name 'hard_sigmoid' "
                      f"as relu6(x + 3) / 6, so Keras 3 will predict different numbers from this file (kerasfront and "
                      f"tf.keras 2.21 read it as saved). For a file Keras 3 computes the same, use another "
                      f"activation (e.g. 'sigmoid', Keras 3's ConvLSTM default) or kerasfront's "
                      f"'keras3_hard_sigmoid'.", UserWarning, stacklevel=3)


def _apply_keras3_configs(model, config):
    """Let layers whose Keras 3 config differs from tf.keras 2's rewrite their entry (``_keras3_config``):
    Discretization keeps its adapted boundaries in the config there, not in a variable."""
    entries = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(entries, list):
        return
    layers = list(getattr(model, "layers", []))
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            continue
        name = entry.get("name", entry["config"].get("name"))
        match = [la for la in layers if la.name == name]
        if not match:
            continue
        layer = match[0]
        if hasattr(layer, "_keras3_config"):
            entry["config"] = layer._keras3_config(entry["config"])
        elif getattr(layer, "layers", None) is not None:
            _apply_keras3_configs(layer, entry["config"])


def _assets_of(model):
    """``{"assets/<path>/<file>": bytes}``: the files layers keep beside their variables (a lookup layer's
    ``vocabulary.txt``), at the paths Keras writes them."""
    out = {}
    for path, obj in walk_layers(model):
        if hasattr(obj, "_save_assets"):
            for name, text in obj._save_assets().items():
                out[f"assets/{path}/{name}" if path else f"assets/{name}"] = text.encode("utf-8") \
                    if isinstance(text, str) else bytes(text)
    return out


def _load_assets(zf, model, path):
    """Give each layer that keeps files (``_load_assets``) the ones the archive holds at its path."""
    names = set(zf.namelist())
    for layer_path, obj in walk_layers(model):
        if not hasattr(obj, "_load_assets"):
            continue
        prefix = f"assets/{layer_path}/" if layer_path else "assets/"
        files = {}
        for name in names:
            if name.startswith(prefix) and "/" not in name[len(prefix):]:
                info = zf.getinfo(name)
                files[name[len(prefix):]] = _read_member(zf, info, path, limits.MAX_CONFIG_BYTES).decode(
                    "utf-8", errors="replace")
        if files:
            obj._load_assets(files)


# -- loading --------------------------------------------------------------------------------------------------

#: what ``zipfile`` raises on a damaged archive: besides BadZipFile, a damaged header can name a compression
#: method that does not exist (NotImplementedError), claim encryption (RuntimeError) or hold bad deflate data
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
              RuntimeError, zlib.error, struct.error)

def _member(zf, name, path, required=True):
    try:
        return zf.getinfo(name)
    except KeyError:
        if required:
            raise SavedFileError(f"File '{path}' is a zip archive without '{name}', so it is not a complete Keras "
                                 f"'.keras' file (it holds {zf.namelist()[:6]})") from None
        return None


def _read_member(zf, info, path, limit):
    if info.file_size > limit:
        raise SavedFileError(f"File '{path}': '{info.filename}' is {human_bytes(info.file_size)} uncompressed, more "
                             f"than the {human_bytes(limit)} allowed; refusing to read it (damaged or hostile file)")
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except ZIP_ERRORS as e:
        raise SavedFileError(f"File '{path}': cannot read '{info.filename}' from the archive ({e}); the file is "
                             f"truncated or damaged") from None
    if len(data) > limit:
        raise SavedFileError(f"File '{path}': '{info.filename}' is longer than the {human_bytes(limit)} allowed")
    return data


class _WeightsFile:
    """``model.weights.h5`` of an archive, read (isolated unless ``isolate`` is False) from memory, or from a
    temporary file when large; ``f`` is its root group."""

    def __init__(self, zf, path, isolate=None):
        self.path = path
        info = _member(zf, WEIGHTS_FILE, path)
        limit = memory_limit_bytes()
        if info.file_size > limit:
            raise SavedFileError(f"File '{path}': '{WEIGHTS_FILE}' is {human_bytes(info.file_size)}, more than this "
                                 f"machine's memory; refusing to load it")
        self.size = info.file_size
        self._tmpdir = None
        self._stack = contextlib.ExitStack()
        try:
            if info.file_size <= _IN_MEMORY_LIMIT:
                data, source = _read_member(zf, info, path, _IN_MEMORY_LIMIT), None
            else:
                self._tmpdir = tempfile.mkdtemp(prefix="kerasfront-load-")
                try:
                    data, source = None, zf.extract(info, self._tmpdir)
                except ZIP_ERRORS as e:
                    raise SavedFileError(f"File '{path}': cannot read '{WEIGHTS_FILE}' from the archive ({e}); the "
                                         f"file is truncated or damaged") from None
            from .h5_snapshot import open_snapshot
            self.f = self._stack.enter_context(open_snapshot(source, data=data, what="model weights",
                                                             isolate=isolate, name=path))
        except BaseException:
            self.close()
            raise

    def close(self):
        self._stack.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


def _vars_of(f, path, file_path, alias=None):
    from .h5_utils import dataset_shape, get_internal
    group = get_internal(f, f"{path}/vars" if path else "vars", file_path)
    if group is None and alias and alias != path:
        group = get_internal(f, f"{alias}/vars", file_path)       # a tf.keras 2 file names the sublayer so
    if group is None:
        return []
    if not is_group(group):
        raise SavedFileError(f"File '{file_path}': '{group.name}' should be a group of variables")
    keys = sorted((k for k in group.keys()), key=lambda k: int(k) if k.isdigit() else 1 << 60)
    return [dataset_shape(group, k, file_path)[0] for k in keys]


def _has_vars_group(f, path):
    name = f"{path}/vars" if path else "vars"
    return name in f and is_group(f[name])


def _layout_of(f, model, file_path, skip_mismatch=False):
    """``(entries, metrics)``: ``entries`` pairs each layer with the paths its variables may sit at, ``metrics`` pairs
    metrics with their paths (tf.keras 2's layout only: Keras 3 saves none).

    The layout kerasfront writes is tried first, then Keras 3's own (a subclassed model's attribute named after
    ``"layers"``, such as ``out``, under ``layers/dense_3``), then tf.keras 2.21's (``layers/dense`` for ``d1``): the
    first whose groups are all in the file is read. When none fits, a ValueError says which group each layout
    expected and what the file holds, and nothing is loaded (with ``skip_mismatch``: kerasfront's layout, the
    layers it misses skipped with a warning)."""
    from ..metrics import Metric
    from .weights_h5_layouts import keras3_paths, tf_keras_paths

    def needs_group(layer):
        return not hasattr(layer, "_load_own_variables") and bool(_own_variables(layer))

    def first_missing(entries):
        placed = {id(layer): paths for paths, layer in entries}
        for path, layer in walk_layers(model):
            if needs_group(layer) and not any(_has_vars_group(f, p) for p in placed.get(id(layer), ())):
                return placed.get(id(layer), (None,))[0], layer
        return None

    own = [((path, alias), layer) for path, alias, layer in walk_layers(model, aliases=True)]
    tried = {}
    for label, entries, metrics in (
            ("kerasfront's", own, []),
            ("Keras 3's", [((p,), o) for p, o in keras3_paths(model)], []),
            ("tf.keras 2.21's", *_split_metrics(tf_keras_paths(model), Metric))):
        missing = first_missing(entries)
        if missing is None:
            return entries, metrics
        tried.setdefault((missing[0], id(missing[1])), ([], missing))[0].append(label)
    if skip_mismatch:
        return own, []
    expected = "; ".join(
        " and ".join(labels) + (" layouts expect " if len(labels) > 1 else " layout expects ")
        + (f"the group '{path + '/vars' if path else 'vars'}'" if path is not None else "no group (it does not "
           "reach it)") + f" for layer '{layer.name}'" for labels, (path, layer) in tried.values())
    raise ValueError(
        f"Cannot load the weights in '{file_path}' into model '{model.name}': the file fits no layout of a "
        f"'.weights.h5' file for this model. {expected}. The file's top-level groups are {sorted(f.keys())}. Nothing "
        f"was loaded; check that the model is built like the one that saved the file.")


def _split_metrics(placed, metric_class):
    return ([((path,), obj) for path, obj in placed if not isinstance(obj, metric_class)],
            [(path, obj) for path, obj in placed if isinstance(obj, metric_class)])


def _plan_keras3(f, model, file_path, skip_mismatch, entries=None):
    """``(pairs, skipped)``: every (variable, dataset) assignment, checked for count and shape first."""
    pairs, skipped = [], []
    if entries is None:
        entries = [((path, alias), layer) for path, alias, layer in walk_layers(model, aliases=True)]

    def mismatch(msg):
        if not skip_mismatch:
            raise ValueError(msg)
        skipped.append(msg)

    for paths, layer in entries:
        if hasattr(layer, "_load_own_variables"):
            continue    # read by name in _load_named_variables
        path = paths[0]
        variables = _own_variables(layer)
        datasets = _vars_of(f, path, file_path, paths[-1])
        where = f"layer '{layer.name}' (at '{path or '/'}' in the file '{file_path}')"
        if len(datasets) != len(variables):
            mismatch(f"Weight count mismatch for {where}: the layer has {len(variables)} variable(s) "
                     f"[{', '.join(f'{v.name} {tuple(v.shape)}' for v in variables) or 'none'}], the file holds "
                     f"{len(datasets)} [{', '.join(f'{d.name} {tuple(d.shape)}' for d in datasets) or 'none'}]")
            continue
        for v, ds in zip(variables, datasets):
            if not is_dataset(ds):
                raise SavedFileError(f"File '{file_path}': '{ds.name}' should be a variable array but is a group")
            shape = tuple(ds.shape or ())
            if not (v.accepts_shape(shape) if hasattr(v, "accepts_shape") else shape == tuple(v.shape)):
                mismatch(f"Shape mismatch in {where} for weight {v.name}: the model expects shape {tuple(v.shape)}, "
                         f"the file holds shape {tuple(ds.shape or ())} (dataset '{ds.name}')")
                continue
            pairs.append((v, ds))
    return pairs, skipped


def _plan_metrics(f, metrics, file_path):
    """The (variable, dataset) pairs of the metrics whose state the file holds with the same count and shapes
    (tf.keras 2 saves a tracker's ``total`` / ``count``; a metric the file lacks or holds otherwise keeps its own)."""
    pairs = []
    for path, metric in metrics:
        if not _has_vars_group(f, path):
            continue
        variables = list(metric.variables)
        datasets = _vars_of(f, path, file_path)
        if len(datasets) == len(variables) and all(
                is_dataset(d) and tuple(d.shape or ()) == tuple(v.shape) for v, d in zip(variables, datasets)):
            pairs.extend(zip(variables, datasets))
    return pairs


def _load_named_variables(f, model, file_path, size, entries=None):
    """Layers that name their variables as Keras does get them as a dict (``{"idf_weights": array}``)."""
    from .h5_utils import get_internal
    if entries is None:
        entries = [((path,), layer) for path, layer in walk_layers(model)]
    for paths, layer in entries:
        if not hasattr(layer, "_load_own_variables"):
            continue
        path = paths[0]
        group = get_internal(f, f"{path}/vars" if path else "vars", file_path)
        if group is None or not is_group(group):
            continue
        store = {}
        for key in group.keys():
            ds = group[key]
            if is_dataset(ds):
                store[key] = read_dataset(ds, file_path, size)
        if store:
            layer._load_own_variables(store)


def _assign(pairs, file_path, size):
    values = [read_dataset(ds, file_path, size) for _, ds in pairs]
    for (v, _), value in zip(pairs, values):
        if hasattr(v, "accepts_shape"):
            v.assign(np.asarray(value, dtype=v.dtype))
        else:
            ag.assign(v, np.asarray(value, dtype=v.dtype))


def load_weights_from_keras3_h5(model, f, file_path, skip_mismatch=False, size=None):
    """Load a Keras 3 weights file (``model.weights.h5`` layout, open as ``f``) into ``model``.

    Args:
        model: a built model with the file's architecture.
        f: the open HDF5 file.
        file_path: its path, for the error messages.
        skip_mismatch: skip (with a warning) weights whose count or shape differ instead of raising.
        size: the file's size in bytes, to refuse datasets declaring more.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     write_weights_h5(f, model)
        >>> with h5py().File(path, "r") as f:
        ...     load_weights_from_keras3_h5(model, f, path)
    """
    if not model._holds_layer_weights() and "layers" in f:
        raise ValueError(f"Cannot load the weights in '{file_path}' into model '{model.name}': the model has no "
                         f"weights yet (it is not built). Call it on data or call model.build(input_shape) first.")
    entries, metrics = _layout_of(f, model, file_path, skip_mismatch)
    pairs, skipped = _plan_keras3(f, model, file_path, skip_mismatch, entries)
    _assign(pairs + _plan_metrics(f, metrics, file_path), file_path, size)
    _load_named_variables(f, model, file_path, size, entries)
    if "optimizer" in f and getattr(model, "optimizer", None) is not None:
        _restore_optimizer(model, f, file_path, size)
    if skipped:
        warnings.warn(f"load_weights('{file_path}', skip_mismatch=True) skipped {len(skipped)} mismatch(es):\n  "
                      + "\n  ".join(skipped), stacklevel=3)


def _restore_optimizer(model, f, file_path, size):
    datasets = _vars_of(f, "optimizer", file_path)
    if not datasets:
        return
    optimizer = model.optimizer
    lr = getattr(optimizer, "_learning_rate", None)
    has_lr = isinstance(lr, ag.Tensor)
    if len(datasets) <= 1 + has_lr and all(tuple(d.shape or ()) == () for d in datasets):
        # an optimizer saved before its first step: its counters only
        values = [read_dataset(d, file_path, size) for d in datasets]
        optimizer.iterations = int(values[0])
        if has_lr and len(values) == 2:
            ag.assign(lr, np.asarray(values[1], dtype=lr.dtype))
        return
    if not getattr(optimizer, "_built", True):
        optimizer.build(model.trainable_weights)
    keras3_layout = _optimizer_variables(optimizer)
    own_layout = _own_optimizer_variables(optimizer)
    pairs = _match_optimizer_layout(keras3_layout, datasets, has_lr)
    if pairs is None and [id(v) for v in own_layout] != [id(v) for v in keras3_layout]:
        pairs = _match_optimizer_layout(own_layout, datasets, has_lr)   # a file kerasfront wrote before
    if pairs is None:
        warnings.warn(f"Could not restore the optimizer state saved in '{file_path}': "
                      f"{_layout_difference(optimizer, keras3_layout, datasets)}. Nothing was loaded into the "
                      f"optimizer: it starts from a fresh state.", stacklevel=4)
        return
    _assign(pairs, file_path, size)
    from .h5_utils import read_str_attr
    from .hdf5_format import HOST_STATE_ATTR, restore_optimizer_host_state
    group = f["optimizer/vars"]
    if HOST_STATE_ATTR in group.attrs:
        restore_optimizer_host_state(optimizer, read_str_attr(group, HOST_STATE_ATTR, file_path, limit=2 ** 16))


def _match_optimizer_layout(variables, datasets, has_lr):
    """The ``(variable, dataset)`` pairs when the file's optimizer datasets fit ``variables`` (None otherwise)."""
    if has_lr and len(datasets) == len(variables) - 1:
        variables = [variables[0]] + variables[2:]   # a file written with a schedule: no learning-rate variable
    elif not has_lr and len(datasets) == len(variables) + 1 and len(datasets) > 1 and datasets[1].shape == ():
        datasets = [datasets[0]] + datasets[2:]      # the file has a learning rate, this optimizer a schedule
    if len(datasets) != len(variables) or any(tuple(d.shape or ()) != tuple(v.shape)
                                              for v, d in zip(variables, datasets)):
        return None
    return list(zip(variables, datasets))


def _layout_difference(optimizer, variables, datasets):
    """What the optimizer expected and what the file holds, for the warning of a state that does not fit."""
    head = (f"{type(optimizer).__name__} '{getattr(optimizer, 'name', '?')}' expects {len(variables)} variable(s) "
            f"for this model (iterations, the learning rate unless it is a schedule, then its slots as Keras 3 "
            f"saves them), the file holds {len(datasets)}")
    for i, (v, d) in enumerate(zip(variables, datasets)):
        if tuple(d.shape or ()) != tuple(v.shape):
            name = getattr(v, "name", None) or f"#{i}"
            return (f"{head}; the first that differs is variable {i}: expected {name} of shape {tuple(v.shape)}, "
                    f"found shape {tuple(d.shape or ())}")
    return head


def _archive_origin(zf, path):
    """``(for_keras3, by_keras3)``: whether ``metadata.json`` says the archive was written for Keras 3's format
    (not by tf.keras 2, ``keras_version`` 2.x), and by Keras 3 itself (not by kerasfront, whose names keep their
    tf.keras 2 meaning)."""
    info = _member(zf, METADATA_FILE, path, required=False)
    if info is None:
        return True, True
    try:
        meta = json.loads(_read_member(zf, info, path, 2 ** 20))
    except (ValueError, SavedFileError):
        return True, True
    meta = meta if isinstance(meta, dict) else {}
    for_keras3 = not str(meta.get("keras_version", "3")).startswith("2")
    return for_keras3, for_keras3 and meta.get("producer") != "kerasfront"


def _open_archive(path):
    check_input_file(path, "model")
    try:
        return zipfile.ZipFile(path, "r")
    except ZIP_ERRORS as e:
        raise SavedFileError(f"Cannot load the model from '{path}': it is not a readable '.keras' zip archive ({e}); "
                             f"the file is truncated or damaged") from None


def load_model_from_keras_file(filepath, custom_objects=None, compile=True, safe_mode=True, isolate=None):
    """A model from a ``.keras`` archive (written by kerasfront or by Keras 3 for the layers kerasfront has).

    Args:
        filepath: the ``.keras`` file.
        custom_objects: classes and functions the file names that are not built in.
        compile: compile the model with the saved compile configuration, when there is one.
        safe_mode: refuse to load Lambda bytecode.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras"); save_model_to_keras_file(model, path)
        >>> type(load_model_from_keras_file(path, compile=False)).__name__
        'Sequential'
    """
    from .hdf5_format import (NOT_COMPILED_WARNING, _check_load_args, _parse_json, compile_from_training_config,
                              model_from_saved_config)
    _check_load_args(custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    with _open_archive(path) as zf:
        info = _member(zf, CONFIG_FILE, path)
        check_config_size(path, f"'{CONFIG_FILE}'", info.file_size)
        text = _read_member(zf, info, path, limits.MAX_CONFIG_BYTES).decode("utf-8", errors="replace")
        raw = _parse_json(text, path, CONFIG_FILE)
        if not isinstance(raw, dict):
            raise SavedFileError(f"File '{path}': '{CONFIG_FILE}' should hold a JSON object")
        compile_config = raw.get("compile_config")
        keras3, by_keras3 = _archive_origin(zf, path)
        config = from_keras3_config({"class_name": raw.get("class_name"), "config": raw.get("config")}, keras3,
                                    by_keras3)
        weights = _WeightsFile(zf, path, isolate)
        try:
            stored = limits.stored_weight_bytes(weights.f, path, weights.size)
            model = model_from_saved_config(config, path, custom_objects, bool(safe_mode), stored)
            with limits.weight_allocation_budget(path, stored):
                _build_from_config(model, raw.get("build_config"), path)
            entries, metrics = _layout_of(weights.f, model, path)
            pairs, _ = _plan_keras3(weights.f, model, path, False, entries)
            _assign(pairs + _plan_metrics(weights.f, metrics, path), path, weights.size)
            _load_named_variables(weights.f, model, path, weights.size, entries)
            _load_assets(zf, model, path)
            if not compile or not hasattr(model, "compile"):
                return model        # a FeatureSpace has nothing to compile
            if not compile_config:
                warnings.warn(NOT_COMPILED_WARNING.format(path=path), stacklevel=3)
                return model
            training_config = {"optimizer_config": compile_config.get("optimizer"),
                               "loss": compile_config.get("loss"), "metrics": compile_config.get("metrics"),
                               "weighted_metrics": compile_config.get("weighted_metrics"),
                               "loss_weights": compile_config.get("loss_weights")}
            training_config = from_keras3_config(training_config)
            compile_from_training_config(model, training_config, path, custom_objects)
            _restore_optimizer(model, weights.f, path, weights.size)
        finally:
            weights.close()
    return model


def load_weights_from_keras_file(model, filepath, skip_mismatch=False, isolate=None):
    """Load the weights stored in a ``.keras`` archive into ``model``.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras"); save_model_to_keras_file(model, path)
        >>> load_weights_from_keras_file(model, path)
    """
    path = os.fspath(filepath)
    with _open_archive(path) as zf:
        weights = _WeightsFile(zf, path, isolate)
        try:
            load_weights_from_keras3_h5(model, weights.f, path, skip_mismatch=skip_mismatch, size=weights.size)
        finally:
            weights.close()
