"""Whole models in tf.keras 2.x's HDF5 format (``.h5``): architecture, weights, compile arguments and
optimizer state, readable by tf.keras and written by it.

Layout (as ``tf_keras`` 2.21 writes it)::

    @keras_version = "2.21.0", @backend = "tensorflow"     UTF-8 strings
    @model_config = '{"class_name": "Functional", "config": {...}}'
    @training_config = '{"loss": ..., "metrics": ..., "optimizer_config": {...}}'   (compiled models only)
    model_weights/      the layer weights (see ``weights_io``)
    optimizer_weights/  @weight_names = ["iteration:0", "Adam/m/dense/kernel:0", ...] and one dataset each

Loading never runs code from the file unless ``safe_mode=False`` (a Lambda's bytecode), never imports a
module a config names, and checks every size before allocating it.

Example:
    >>> save_model_to_hdf5(model, "model.h5")
    >>> model2 = load_model_from_hdf5("model.h5")
"""
import contextlib
import json
import os
import warnings

import numpy as np

import autograd as ag

from .atomic_write import atomic_write, confirm_overwrite
from .checksums import LIBVER, add_checksums
from .h5_utils import (BACKEND, KERAS_VERSION, SavedFileError, dataset_shape, get_internal, h5py, is_group, open_h5,
                       read_dataset, read_str_attr, read_str_list, write_str_list)
from . import limits
from .training_config import compile_args_from_training_config, training_config_of
from .weights_io import load_weights_from_hdf5_group, save_weights_to_hdf5_group

__all__ = ["save_model_to_hdf5", "load_model_from_hdf5", "json_default", "model_config_of",
           "model_from_saved_config", "compile_from_training_config", "check_config_shapes",
           "restore_optimizer_state", "NOT_COMPILED_WARNING"]

NOT_COMPILED_WARNING = ("No training configuration found in the save file '{path}', so the model was *not* "
                        "compiled. Compile it manually.")


def json_default(obj):
    """JSON for the values configs hold besides plain types: numpy scalars and arrays, tuples, objects with a
    config. Pass it as ``json.dumps(..., default=json_default)``.

    Example:
        >>> json.dumps({"units": np.int64(3), "shape": (None, 2)}, default=json_default)
        '{"units": 3, "shape": [null, 2]}'
    """
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, ag.Tensor):
        return obj.data.tolist()
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, np.dtype):
        return obj.name
    if hasattr(obj, "get_config"):
        from ..serialization import serialize_keras_object
        return serialize_keras_object(obj)
    if callable(obj) and getattr(obj, "__name__", None):
        return obj.__name__
    raise TypeError(f"Cannot save a value of type {type(obj).__name__} ({obj!r:.80}) in the model configuration")


def _with_module_keys(value, key=None):
    """tf.keras 2.21's spelling of nested objects: an initializer, regularizer, constraint or wrapped layer held
    by a layer's config carries ``module`` and ``registered_name``; the entries of ``layers`` lists do not."""
    if isinstance(value, list):
        return [_with_module_keys(v, key) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _with_module_keys(v, k) for k, v in value.items()}
    name = out.get("class_name")
    if key not in (None, "layers") and isinstance(name, str) and isinstance(out.get("config"), dict) and \
            "module" not in out:
        from .keras_zip import _module_of
        found = _module_of(name)
        if found is not None and name not in ("Sequential", "Functional", "Model"):
            rest = {k: v for k, v in out.items() if k not in ("class_name", "config")}
            out = {"module": found[0], "class_name": name, "config": out["config"], "registered_name": None, **rest}
    return out


def model_config_of(model):
    """``{"class_name": ..., "config": model.get_config()}``, as ``model_config`` holds it.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> model_config_of(model)["class_name"]
        'Sequential'
    """
    from ..serialization import serialize_keras_object
    data = serialize_keras_object(model)
    return {"class_name": data["class_name"], "config": _with_module_keys(data["config"], None)}


def _check_savable(model):
    from ..engine.training import Model
    if not isinstance(model, Model):
        raise TypeError(f"save_model(model=...): expected a kerasfront Model, received {type(model).__name__}")
    if not getattr(model, "_is_graph_network", False):
        from ..engine.sequential import Sequential
        if isinstance(model, Sequential):
            raise ValueError(f"Cannot save Sequential model '{model.name}': its weights have not been created yet "
                             f"(no input shape is known). Give the first layer an input_shape, or call the model "
                             f"on data / model.build(input_shape) before saving.")
        raise NotImplementedError(
            f"Saving the model to HDF5 format requires the model to be a Functional model or a Sequential model. It "
            f"does not work for subclassed models (such as {type(model).__name__}), because such models are "
            f"defined via the body of a Python method, which isn't safely serializable. Save it to a folder with "
            f"model.save('path') (no extension: its traced forward loads even without the class), with "
            f"model.save('path.keras') (its class must implement get_config/from_config), or save its weights "
            f"with model.save_weights('path.h5').")


def save_model_to_hdf5(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` to ``filepath`` in tf.keras's HDF5 layout; the file is replaced atomically (a crash
    leaves the previous file or the new one, never a mix). Everything is serialized before the file is
    touched, so an unsavable model changes nothing on disk.

    Args:
        model: a Sequential or functional ``Model`` (a subclassed model raises NotImplementedError).
        filepath: the destination path.
        overwrite: replace an existing file without asking.
        include_optimizer: also save the compile arguments and the optimizer's state.

    Example:
        >>> import tempfile
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> save_model_to_hdf5(model, os.path.join(tempfile.mkdtemp(), "model.h5"))
    """
    _check_savable(model)
    path = os.fspath(filepath)
    model_config = json.dumps(model_config_of(model), default=json_default)
    training_config = training_config_of(model) if include_optimizer else None
    training_json = json.dumps(training_config, default=json_default) if training_config is not None else None
    opt_vars = list(model.optimizer.variables) if training_config is not None else []
    if not confirm_overwrite(path, overwrite):
        return
    with atomic_write(path) as tmp:
        with h5py().File(tmp, "w", libver=LIBVER) as f:
            f.attrs["keras_version"] = KERAS_VERSION
            f.attrs["backend"] = BACKEND
            f.attrs["model_config"] = model_config.encode("utf-8")
            save_weights_to_hdf5_group(f.create_group("model_weights"), model)
            if training_json is not None:
                f.attrs["training_config"] = training_json.encode("utf-8")
                if opt_vars:
                    save_optimizer_weights(f, opt_vars, model.optimizer)
            add_checksums(f)


#: optimizer state kept in Python rather than in variables (Nadam's momentum-cache product and mode), saved as a
#: JSON attribute next to the variables so that a reloaded optimizer continues exactly; tf.keras ignores it (a
#: ``.keras`` file also holds the product as Keras 3's variable: ``Optimizer.keras3_variables``).
HOST_STATE_ATTR = "kerasfront_host_state"
def optimizer_host_state(optimizer):
    """The optimizer's host-side state as a JSON string (None when it has none): its ``get_host_state()``.

    Example:
        >>> optimizer_host_state(kerasfront.optimizers.SGD()) is None
        True
    """
    getter = getattr(optimizer, "get_host_state", None)
    return getter() if callable(getter) else None


def restore_optimizer_host_state(optimizer, text):
    """Give the optimizer the state ``optimizer_host_state`` wrote (its ``set_host_state``).

    Example:
        >>> opt = kerasfront.optimizers.Nadam()
        >>> restore_optimizer_host_state(opt, '{"_u_product": ["float32", 0.5]}')
        >>> float(opt._u_product)
        0.5
    """
    setter = getattr(optimizer, "set_host_state", None)
    if callable(setter):
        setter(text)


def save_optimizer_weights(f, variables, optimizer=None):
    """Group ``optimizer_weights``: ``weight_names`` and one dataset per optimizer variable.

    Args:
        f: an HDF5 file open for writing.
        variables: the optimizer's variables (each with ``name`` and ``numpy()``).
        optimizer: the optimizer, to also store its host-side state (optional).

    Example:
        >>> import tempfile
        >>> opt = kerasfront.optimizers.SGD()
        >>> with h5py().File(os.path.join(tempfile.mkdtemp(), "o.h5"), "w") as f:
        ...     save_optimizer_weights(f, opt.variables)
        ...     print(read_str_list(f["optimizer_weights"], "weight_names", "o.h5"))
        ['iteration:0']
    """
    group = f.create_group("optimizer_weights")
    host = optimizer_host_state(optimizer) if optimizer is not None else None
    if host is not None:
        group.attrs[HOST_STATE_ATTR] = host
    names = [v.name for v in variables]
    write_str_list(group, "weight_names", names)
    for name, v in zip(names, variables):
        value = np.asarray(v.numpy())
        ds = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            ds[:] = value
        else:
            ds[()] = value


# -- loading ---------------------------------------------------------------------------------------------------

def _iter_layer_configs(config):
    """Every ``{"class_name", "config"}`` layer entry inside a model config, nested models included."""
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item and isinstance(item.get("config"), dict):
                yield item
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


def check_config_shapes(config, path):
    """Refuse input shapes whose placeholder batches could not fit in memory (a damaged or hostile config).

    Example:
        >>> check_config_shapes({"class_name": "InputLayer",
        ...                      "config": {"batch_input_shape": [None, 10 ** 6, 10 ** 6]}}, "m.h5")
        Traceback (most recent call last):
        kerasfront.saving.h5_utils.SavedFileError: File 'm.h5': ... (1e+12 elements per sample), more than ...
    """
    for item in _iter_layer_configs(config):
        cfg = item["config"]
        for key in ("batch_input_shape", "batch_shape"):
            shape = cfg.get(key)
            if not isinstance(shape, (list, tuple)):
                continue
            n = 1
            for d in list(shape)[1:]:
                if d is None:
                    continue
                if isinstance(d, bool) or not isinstance(d, int) or d < 0:
                    raise SavedFileError(f"File '{path}': layer '{cfg.get('name')}' declares {key}={shape}, which is "
                                         f"not a shape (non-negative integers or null expected)")
                n *= d
            if n > limits.MAX_INPUT_ELEMENTS:
                raise SavedFileError(f"File '{path}': layer '{cfg.get('name')}' declares {key}={shape} "
                                     f"({n:.3g} elements per sample), more than the {limits.MAX_INPUT_ELEMENTS} a model input "
                                     f"may have; refusing to build it (the file is damaged or hostile)")


def _parse_json(text, path, what):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise SavedFileError(f"File '{path}': the {what} is not valid JSON ({e}); the file is damaged") from None


def model_from_saved_config(config, path, custom_objects=None, safe_mode=True, stored_bytes=None):
    """Build the model a ``model_config`` dict describes, in safe mode unless told otherwise; errors name the
    file. With ``stored_bytes`` (what the file's weights take), weights far larger than that are refused before
    they are allocated.

    Args:
        config: the parsed ``model_config`` dict.
        path: the file's path, for the error messages.
        custom_objects: classes and functions the config names that are not built in.
        safe_mode: refuse to load Lambda bytecode.
        stored_bytes: the bytes of weights the file stores (None: no weight budget).

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> [type(l).__name__ for l in model_from_saved_config(model_config_of(model), "model.h5").layers]
        ['Dense']
    """
    from ..engine.safe_mode import SafeModeScope
    from ..models import model_from_config
    from ..serialization import custom_object_scope
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) or \
            not isinstance(config.get("config"), (dict, list)):
        raise SavedFileError(f"File '{path}': the model_config should be an object with 'class_name' and 'config', "
                             f"found {str(config)[:120]}")
    check_config_shapes(config, path)
    try:
        budget = (limits.weight_allocation_budget(path, stored_bytes) if stored_bytes is not None
                  else contextlib.nullcontext())
        with SafeModeScope(safe_mode), custom_object_scope(custom_objects or {}), budget:
            return model_from_config(config, custom_objects=custom_objects)
    except RecursionError:
        raise SavedFileError(f"File '{path}': the model_config nests too deeply to be a model") from None
    except MemoryError as e:
        # NOTE: weights are checked against the file before allocation; a weightless layer (RepeatVector(10**9),
        # UpSampling2D(size=10**5)) can still ask shape inference for an array larger than memory.
        raise SavedFileError(f"File '{path}': building the model its model_config describes needs more memory than "
                             f"this machine has ({e}); refusing it (the file is damaged or hostile)") from None
    except SavedFileError:
        raise
    except KeyError as e:
        raise SavedFileError(f"Cannot load the model in '{path}': its model_config is incomplete (missing key "
                             f"{e})") from None
    except (ValueError, TypeError) as e:
        cls = TypeError if isinstance(e, TypeError) else ValueError
        raise cls(f"Cannot load the model in '{path}': {e}") from None


def compile_from_training_config(model, training_config, path, custom_objects=None):
    """Compile ``model`` with the arguments a ``training_config`` dict records.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> compile_from_training_config(model, {"loss": "mse", "optimizer_config": {"class_name": "SGD",
        ...                                                                         "config": {}}}, "m.h5")
        >>> type(model.optimizer).__name__, model.loss
        ('SGD', 'mse')
    """
    from ..serialization import custom_object_scope
    output_names = list(getattr(model, "output_names", None) or [])
    try:
        with custom_object_scope(custom_objects or {}):
            args = compile_args_from_training_config(training_config, custom_objects, output_names)
            model.compile(**args)
    except (ValueError, TypeError) as e:
        cls = TypeError if isinstance(e, TypeError) else ValueError
        raise cls(f"Cannot compile the model loaded from '{path}' with its saved training configuration: {e}. "
                      f"Pass compile=False to load it uncompiled (or custom_objects for custom losses, metrics "
                      f"or optimizers).") from None


def restore_optimizer_state(model, group, path, file_size=None):
    """Set the optimizer's iteration counter and slots from an ``optimizer_weights`` group (built for the
    model's trainable weights first). A state that does not fit is skipped with a warning.

    Args:
        model: a compiled model.
        group: the file's ``optimizer_weights`` group.
        path: the file's path, for the error messages.
        file_size: the file's size in bytes, to refuse datasets declaring more.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "o.h5")
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> model.compile("sgd", "mse")
        >>> with h5py().File(path, "w") as f:
        ...     save_optimizer_weights(f, [kerasfront.variables.Variable(np.int64(7), name="iteration:0")])
        >>> with h5py().File(path, "r") as f:
        ...     restore_optimizer_state(model, f["optimizer_weights"], path)
        >>> int(model.optimizer.iterations)
        7
    """
    optimizer = model.optimizer
    names = read_str_list(group, "weight_names", path)
    if not names:
        return
    entries = [dataset_shape(group, n, path) for n in names]
    if len(names) == 1 and names[0].rsplit("/", 1)[-1].startswith("iter"):
        ds, shape, _ = entries[0]
        if shape == ():
            optimizer.iterations = int(read_dataset(ds, path, file_size))
            return
    if not getattr(optimizer, "_built", True):
        optimizer.build(model.trainable_weights)
    variables = list(optimizer.variables)
    pairs = None
    if len(variables) == len(entries) and all(tuple(v.shape) == s for v, (_, s, _) in zip(variables, entries)):
        pairs = [(v, ds) for v, (ds, _, _) in zip(variables, entries)]
    else:
        by_name = {n: e for n, e in zip(names, entries)}
        if all(v.name in by_name and tuple(v.shape) == by_name[v.name][1] for v in variables):
            pairs = [(v, by_name[v.name][0]) for v in variables]
    if pairs is None:
        if len(variables) != len(names):
            why = (f"the optimizer has {len(variables)} variable(s) [{', '.join(v.name for v in variables[:6])}...] "
                   f"but the file holds {len(names)} [{', '.join(names[:6])}...]")
        else:
            v, n, shape = next((v, n, s) for v, n, (_, s, _) in zip(variables, names, entries)
                               if tuple(v.shape) != s)
            why = f"variable {v.name} has shape {tuple(v.shape)} but the file's {n} has shape {shape}"
        warnings.warn(f"Could not restore the optimizer state saved in '{path}': {why}. The optimizer starts from "
                      f"a fresh state.", stacklevel=4)
        return
    values = [read_dataset(ds, path, file_size) for _, ds in pairs]
    for v, value in zip((v for v, _ in pairs), values):
        ag.assign(v, np.asarray(value, dtype=v.dtype))
    if HOST_STATE_ATTR in group.attrs:
        restore_optimizer_host_state(optimizer, read_str_attr(group, HOST_STATE_ATTR, path, limit=2 ** 16))


def _check_load_args(custom_objects, compile, safe_mode):
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"load_model(custom_objects=...): expected a dict {{'Name': class_or_function}}, received "
                        f"{type(custom_objects).__name__}")
    if not isinstance(compile, (bool, np.bool_)):
        raise TypeError(f"load_model(compile=...): expected True or False, received {compile!r}")
    if safe_mode is not None and not isinstance(safe_mode, (bool, np.bool_)):
        raise TypeError(f"load_model(safe_mode=...): expected True or False, received {safe_mode!r}")


def load_model_from_hdf5(filepath, custom_objects=None, compile=True, safe_mode=True, isolate=None):
    """A model from an HDF5 file written by ``save_model`` or tf.keras: architecture, weights, and (when the
    file has a training configuration and ``compile`` is True) compiled with the saved loss, metrics and
    optimizer, whose state is restored.

    Args:
        filepath: the ``.h5`` file.
        custom_objects: classes and functions the file names that are not built in.
        compile: compile the model with the saved training configuration, when there is one.
        safe_mode: refuse to load Lambda bytecode.
        isolate: read the HDF5 file in a child process with a time and memory limit (None: the default,
            ``limits.ISOLATE_BY_DEFAULT``); see ``isolation.py``.

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "model.h5")
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))]); model.compile("adam", "mse")
        >>> save_model_to_hdf5(model, path); type(load_model_from_hdf5(path).optimizer).__name__
        'Adam'
    """
    _check_load_args(custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    with open_h5(path, "model", isolate) as f:
        file_size = os.path.getsize(path)
        if "model_config" not in f.attrs:
            hint = (" It holds only weights (written by save_weights): build the model in code and call "
                    "model.load_weights(path)." if "layer_names" in f.attrs else "")
            raise SavedFileError(f"No model config found in the file at '{path}' (the 'model_config' attribute is "
                                 f"missing), so no model can be built from it.{hint}")
        config = _parse_json(read_str_attr(f, "model_config", path, "the model_config"), path, "model_config")
        if "model_weights" not in f:
            raise SavedFileError(f"File '{path}' has a model_config but no 'model_weights' group; the file is "
                                 f"incomplete")
        weights_group = get_internal(f, "model_weights", path)
        if not is_group(weights_group):
            raise SavedFileError(f"File '{path}': 'model_weights' should be a group")
        stored = limits.stored_weight_bytes(weights_group, path, file_size)
        model = model_from_saved_config(config, path, custom_objects, bool(safe_mode), stored)
        load_weights_from_hdf5_group(weights_group, model, path, file_size=file_size)
        if not compile:
            return model
        training_text = read_str_attr(f, "training_config", path, "the training_config", required=False)
        if training_text is None:
            warnings.warn(NOT_COMPILED_WARNING.format(path=path), stacklevel=3)
            return model
        training_config = _parse_json(training_text, path, "training_config")
        compile_from_training_config(model, training_config, path, custom_objects)
        if "optimizer_weights" in f:
            restore_optimizer_state(model, get_internal(f, "optimizer_weights", path), path, file_size)
    return model
