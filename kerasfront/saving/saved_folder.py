"""Models saved to a folder: ``model.save("my_model")`` (no extension) and ``load_model("my_model")``.

tf.keras writes a TensorFlow SavedModel under that spelling; kerasfront writes a folder of its own, documented
here, that needs neither TensorFlow nor the model's class to load::

    my_model/
      README.md                what wrote the folder and how to load it
      kerasfront_model.json    the description: format version, the model's class and config (when it has
                               one), training config, weight names / shapes / dtypes, optimizer state layout,
                               the input signatures
      weights.npz              the weights, w0, w1, ... in model.weights order
      optimizer.npz            the optimizer's variables o0, o1, ... (compiled models, include_optimizer=True)
      graphs.json              for each input signature called so far: the forward pass traced into a graph of
                               autograd primitives (autograd.trace), in inference and in training mode
      graph_constants.npz      the constant arrays those graphs use

``load_model`` rebuilds the model from its config and class when it can (the class is built in, registered,
or in ``custom_objects``); otherwise it revives an inference-and-training model from the graphs alone
(``RevivedModel``: predict, __call__, evaluate, fit). Loading runs no code from the folder: configs resolve only
through kerasfront's registries (a Lambda's bytecode only with ``safe_mode=False``), the graphs apply only
primitives autograd registers, with every argument checked and every shape checked before it is computed,
and every array's declared size is checked before it is read.

Example:
    >>> model.save("my_model")
    >>> reloaded = kerasfront.models.load_model("my_model")
"""
import json
import os
import shutil
import tempfile
import warnings

import numpy as np

import autograd as ag

from . import limits
from .h5_utils import KERAS_VERSION, SavedFileError
from .npz_io import read_npz, write_npz

__all__ = ["save_model_to_folder", "load_model_from_folder", "is_model_folder", "is_tf_saved_model", "MANIFEST",
           "FORMAT"]

MANIFEST = "kerasfront_model.json"
GRAPHS = "graphs.json"
FORMAT = "kerasfront-saved-model"
VERSION = 1
_TF_MARKERS = ("saved_model.pb", "saved_model.pbtxt")

_README = """# A Keras model saved by kerasfront

Written by kerasfront {version} (`model.save("{name}")`): the model `{model_name}` (class `{class_name}`).

Load it with:

```python
import kerasfront as keras
model = keras.models.load_model("{name}")
```

kerasfront rebuilds the model from its config when its class is available (built in, registered with
`keras.utils.register_keras_serializable`, or passed as `custom_objects={{"{class_name}": {class_name}}}`);
otherwise it revives it from the traced graphs in `graphs.json`, which predict, evaluate and train without the
class. No code stored here runs when the folder is loaded.

Contents: `kerasfront_model.json` (description, config, weight names), `weights.npz`, `optimizer.npz` (optimizer
state, when saved), `graphs.json` and `graph_constants.npz` (the forward pass as a graph of autograd primitives,
one per input signature: {signatures}). This is not a TensorFlow SavedModel: TensorFlow cannot read it.
"""


def is_tf_saved_model(path):
    """Whether ``path`` is a TensorFlow SavedModel folder.

    Example:
        >>> is_tf_saved_model(tempfile.mkdtemp())
        False
    """
    return os.path.isdir(path) and any(os.path.isfile(os.path.join(path, m)) for m in _TF_MARKERS)


def is_model_folder(path):
    """Whether ``path`` is a folder written by ``save_model_to_folder``."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, MANIFEST))


# -- writing -------------------------------------------------------------------------------------------------


def _model_config(model):
    """The model's config for the manifest, or (None, why) when it has none."""
    from .hdf5_format import json_default, model_config_of
    try:
        config = model_config_of(model)
        text = json.dumps(config, default=json_default)
    except (NotImplementedError, TypeError, ValueError) as e:
        return None, f"{type(e).__name__}: {e}"
    return json.loads(text), None


def _trace_all(model, has_config):
    """``(specs, [(spec, inference, training or None, why no training graph)], why no graph at all or None)``.

    A forward that cannot be traced is an error for a model without a config (nothing else could rebuild it);
    with a config the folder is written without graphs (it then loads only with the model's classes). A
    training-mode forward that cannot be traced (random augmentation drawn outside autograd's random ops) leaves
    a revived model that predicts but cannot be trained, and says why."""
    from ..engine.traced_forward import signatures, trace_model
    specs = signatures(model)
    if not specs:
        raise ValueError(f"Cannot save model '{model.name}' to a folder: no input signature is known yet. Call the "
                         f"model on data (or model.build(input_shape), or fit it) before saving, so that its forward "
                         f"pass can be traced.")
    forwards = []
    for spec in specs:
        try:
            inference = trace_model(model, spec, training=False)
        except ag.trace.TraceError as e:
            if not has_config:
                raise ValueError(f"Cannot save model '{model.name}' to a folder: it has no config, and its forward "
                                 f"pass for inputs {spec} cannot be traced into a graph of autograd primitives: {e}") \
                    from None
            warnings.warn(f"Saving model '{model.name}': its forward pass cannot be traced ({e}); the folder holds its "
                          f"config and weights and will load only where its classes are available.", stacklevel=4)
            return specs, [], str(e)
        try:
            training, why = trace_model(model, spec, training=True), None
        except ag.trace.TraceError as e:
            training, why = None, str(e)
        forwards.append((spec, inference, training, why))
    return specs, forwards, None


def _same_graph(a, b):
    """Whether two traced forwards are the same computation (a model without Dropout or BatchNormalization
    traces the same graph in both modes: it is then stored once)."""
    (doc_a, arr_a), (doc_b, arr_b) = ag.trace.to_json(a.graph), ag.trace.to_json(b.graph)
    return (json.dumps(doc_a, sort_keys=True) == json.dumps(doc_b, sort_keys=True) and a.n_losses == b.n_losses
            and all(np.array_equal(arr_a[k], arr_b[k]) for k in arr_a))


def _forward_doc(traced, prefix, arrays):
    doc, consts = ag.trace.to_json(traced.graph, array_prefix=prefix)
    arrays.update(consts)
    return {"graph": doc, "input_names": traced.input_names, "outputs": traced.outputs,
            "output_names": traced.output_names, "n_losses": traced.n_losses}


def _spec_json(spec):
    if isinstance(spec, tuple):
        return {"shape": list(spec[0]), "dtype": spec[1]}
    if isinstance(spec, dict):
        return {"dict": {k: _spec_json(v) for k, v in spec.items()}}
    return {"list": [_spec_json(v) for v in spec]}


def save_model_to_folder(model, path, overwrite=True, include_optimizer=True):
    """Write ``model`` to the folder ``path`` (see the module docstring). Everything is traced and serialized
    first, then written to a temporary folder next to ``path`` and moved into place, so a model that cannot be
    saved changes nothing on disk.

    Example:
        >>> save_model_to_folder(model, "my_model")
    """
    from ..engine.training import Model
    from ..engine.traced_forward import weight_names
    from .atomic_write import ask_to_proceed_with_overwrite
    from .training_config import training_config_of
    if not isinstance(model, Model):
        raise TypeError(f"save_model(model=...): expected a kerasfront Model, received {type(model).__name__}")
    path = os.fspath(path)
    if os.path.exists(path) and not (is_model_folder(path) or (os.path.isdir(path) and not os.listdir(path))):
        raise FileExistsError(f"Cannot save the model to folder '{path}': it exists and is not a model folder "
                              f"written by kerasfront; choose another path (nothing was changed)")
    config, config_error = _model_config(model)
    specs, forwards, untraced = _trace_all(model, config is not None)
    names = weight_names(model)
    trainable_ids = {id(w) for w in model.trainable_weights}
    weights = list(model.weights)
    from .hdf5_format import json_default
    training_config = training_config_of(model) if include_optimizer else None
    if training_config is not None:
        training_config = json.loads(json.dumps(training_config, default=json_default))
    optimizer = getattr(model, "optimizer", None) if training_config is not None else None
    opt_vars = list(optimizer.variables) if optimizer is not None and getattr(optimizer, "_built", True) else []
    graph_arrays = {}
    graphs = []
    for i, (spec, inference, training, why) in enumerate(forwards):
        entry = {"signature": _spec_json(spec), "inference": _forward_doc(inference, f"s{i}_inference_", graph_arrays)}
        if training is None:
            entry["training"] = {"unavailable": why}
        elif _same_graph(inference, training):
            entry["training"] = "same"
        else:
            entry["training"] = _forward_doc(training, f"s{i}_training_", graph_arrays)
        graphs.append(entry)
    manifest = {
        "format": FORMAT, "version": VERSION, "keras_version": KERAS_VERSION, "written_by": f"kerasfront {_version()}",
        "model_name": model.name, "class_name": type(model).__name__, "model_config": config,
        "config_error": config_error, "training_config": training_config,
        "input_signatures": [_spec_json(s) for s in specs],
        "weights": [{"name": n, "keras_name": w.name, "shape": list(w.shape), "dtype": w.dtype.name,
                     "trainable": id(w) in trainable_ids} for n, w in zip(names, weights)],
        "optimizer": None if optimizer is None else {
            "variables": [{"name": v.name, "shape": list(v.shape), "dtype": v.dtype.name} for v in opt_vars],
            "host_state": optimizer.get_host_state() if hasattr(optimizer, "get_host_state") else None},
    }
    manifest_text = json.dumps(manifest, indent=1, default=json_default)
    graphs_text = json.dumps({"forwards": graphs, "unavailable": untraced})
    if os.path.exists(path) and not overwrite:
        if not ask_to_proceed_with_overwrite(path):
            return
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(path))}.", suffix=".tmp", dir=parent)
    try:
        with open(os.path.join(tmp, MANIFEST), "w") as f:
            f.write(manifest_text)
        with open(os.path.join(tmp, GRAPHS), "w") as f:
            f.write(graphs_text)
        write_npz(os.path.join(tmp, "weights.npz"), {f"w{i}": w.data for i, w in enumerate(weights)})
        if optimizer is not None:
            write_npz(os.path.join(tmp, "optimizer.npz"), {f"o{i}": v.data for i, v in enumerate(opt_vars)})
        write_npz(os.path.join(tmp, "graph_constants.npz"), graph_arrays)
        sigs = ", ".join(str(f[0]) for f in forwards) or f"none ({untraced})"
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(_README.format(version=_version(), name=os.path.basename(os.path.abspath(path)),
                                   model_name=model.name, class_name=type(model).__name__, signatures=sigs))
        _replace_folder(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace_folder(tmp, path):
    """Move the finished folder ``tmp`` to ``path``, replacing a previous model folder there."""
    if not os.path.exists(path):
        os.replace(tmp, path)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(path))}.", suffix=".old",
                           dir=os.path.dirname(os.path.abspath(path)))
    os.rmdir(old)
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _version():
    import autograd
    return getattr(autograd, "__version__", "0")


# -- reading -------------------------------------------------------------------------------------------------


def _read_json(path, what):
    size = os.path.getsize(path)
    limits.check_config_size(path, what, size)
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise SavedFileError(f"File '{path}': {what} is not valid JSON ({type(e).__name__}: {str(e)[:200]}); the "
                             f"folder is damaged") from None


def _refuse(path, msg):
    raise SavedFileError(f"Folder '{path}': {msg}; refusing to load it (the folder is damaged or hostile)")


def _spec_from_json(item, path, depth=0):
    if depth > 8 or not isinstance(item, dict) or len(item) not in (1, 2):
        _refuse(path, "an input signature is malformed")
    if set(item) == {"shape", "dtype"}:
        shape, dtype = item["shape"], item["dtype"]
        if not isinstance(shape, list) or len(shape) > 16 or not all(
                type(d) is int and 0 <= d <= limits.MAX_INPUT_ELEMENTS for d in shape):
            _refuse(path, f"an input signature has shape {str(shape)[:60]}")
        n = int(np.prod(shape, dtype=np.float64))
        if n > limits.MAX_INPUT_ELEMENTS:
            _refuse(path, f"an input signature declares {n:.3g} elements per sample")
        if dtype not in ag.trace.codec.DTYPES:
            _refuse(path, f"an input signature has dtype {str(dtype)[:40]!r}")
        return (tuple(shape), dtype)
    if set(item) == {"list"} and isinstance(item["list"], list) and len(item["list"]) <= 256:
        return [_spec_from_json(v, path, depth + 1) for v in item["list"]]
    if set(item) == {"dict"} and isinstance(item["dict"], dict) and len(item["dict"]) <= 256:
        return {str(k): _spec_from_json(v, path, depth + 1) for k, v in item["dict"].items()}
    _refuse(path, "an input signature is malformed")


def _forward_from_json(entry, spec, training, path, arrays, param_specs):
    from ..engine.traced_forward import TracedForward
    if not isinstance(entry, dict) or not isinstance(entry.get("graph"), dict):
        _refuse(path, "a traced forward is malformed")
    try:
        graph = ag.trace.from_json(entry["graph"], arrays, max_elements=limits.MAX_INPUT_ELEMENTS)
    except ag.trace.TraceError as e:
        raise SavedFileError(f"Folder '{path}', {GRAPHS}: {e}") from None
    for name, value in graph.params.items():
        want = param_specs.get(name)
        if want is None or tuple(want[0]) != value.shape or want[1] != value.dtype.name:
            _refuse(path, f"a graph reads parameter {name[:80]!r}, which the weights do not hold with shape "
                          f"{value.shape} and dtype {value.dtype.name}")
    outputs = entry.get("outputs")
    if not (outputs is None or (isinstance(outputs, list) and len(outputs) == 2 and outputs[0] in ("list", "dict"))):
        _refuse(path, "a traced forward has a malformed output structure")
    names = entry.get("output_names")
    inames = entry.get("input_names")
    n_losses = entry.get("n_losses")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or \
            not isinstance(inames, list) or not all(isinstance(n, str) for n in inames) or \
            type(n_losses) is not int or not 0 <= n_losses <= len(graph.outputs) or \
            len(names) != len(graph.outputs) - n_losses or len(inames) != len(graph.inputs):
        _refuse(path, "a traced forward's names or counts do not match its graph")
    if outputs is not None and outputs[0] == "dict" and (not isinstance(outputs[1], list) or
                                                        len(outputs[1]) != len(names)):
        _refuse(path, "a traced forward's output keys do not match its graph")
    from ..engine.traced_forward import flatten_spec
    leaves = flatten_spec(spec)
    if len(leaves) != len(graph.inputs) or any(
            graph.values[v].dtype.name != dt or len(graph.values[v].shape) != len(s) + 1 or
            tuple(graph.values[v].shape[1:]) != tuple(s) for v, (s, dt) in zip(graph.inputs, leaves)):
        _refuse(path, "a traced forward's inputs do not match its signature")
    return TracedForward(graph, spec, inames, outputs, names, n_losses, training)


def _dry_run(forward, path, params):
    """Run a graph once at batch size 1 on zeros: every node's arguments and shapes are checked here, at load
    time, rather than at the first prediction."""
    from ..engine.traced_forward import flatten_spec
    xs = [np.zeros((1,) + tuple(s), dt) for s, dt in flatten_spec(forward.spec)]
    try:
        with ag.no_grad(), np.errstate(all="ignore"):
            forward.graph.run(xs, params=params, rng=np.random.default_rng(0))
    except ag.trace.TraceError as e:
        raise SavedFileError(f"Folder '{path}', {GRAPHS}: {e}") from None


def _read_manifest(path):
    manifest_path = os.path.join(path, MANIFEST)
    m = _read_json(manifest_path, MANIFEST)
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        _refuse(path, f"{MANIFEST} is not a kerasfront model description")
    if m.get("version") != VERSION:
        raise SavedFileError(f"Folder '{path}' was written in version {str(m.get('version'))[:20]} of kerasfront's "
                             f"folder format; this kerasfront reads version {VERSION}")
    weights = m.get("weights")
    if not isinstance(weights, list):
        _refuse(path, "the weight list is missing")
    seen = set()
    for w in weights:
        if not isinstance(w, dict) or not isinstance(w.get("name"), str) or not isinstance(w.get("keras_name"), str) \
                or not isinstance(w.get("shape"), list) or w.get("dtype") not in ag.trace.codec.DTYPES or \
                not isinstance(w.get("trainable"), bool) or w["name"] in seen or \
                not all(type(d) is int and d >= 0 for d in w["shape"]) or len(w["shape"]) > 32:
            _refuse(path, f"a weight entry is malformed: {str(w)[:120]}")
        seen.add(w["name"])
    return m


def load_model_from_folder(path, custom_objects=None, compile=True, safe_mode=True):
    """The model in folder ``path`` (see the module docstring): rebuilt from its config and class when possible,
    else revived from its traced graphs (with a warning saying why).

    Example:
        >>> model = load_model_from_folder("my_model")
    """
    from .hdf5_format import NOT_COMPILED_WARNING, _check_load_args
    _check_load_args(custom_objects, compile, safe_mode)
    path = os.fspath(path)
    if is_tf_saved_model(path) and not is_model_folder(path):
        raise SavedFileError(f"'{path}' is a TensorFlow SavedModel folder (it holds saved_model.pb), which needs "
                             f"TensorFlow to read; kerasfront cannot load it. In TensorFlow, load it with "
                             f"tf.keras.models.load_model('{path}') and save it as HDF5 (model.save('model.h5')), "
                             f"which kerasfront loads.")
    if not is_model_folder(path):
        raise SavedFileError(f"Cannot load a model from folder '{path}': it holds no {MANIFEST}, so it was not "
                             f"written by kerasfront's model.save('{os.path.basename(path)}') (kerasfront reads such "
                             f"folders, .h5 files and .keras files)")
    manifest = _read_manifest(path)
    wspecs = manifest["weights"]
    arrays = read_npz(os.path.join(path, "weights.npz"),
                      {f"w{i}": (tuple(w["shape"]), w["dtype"]) for i, w in enumerate(wspecs)})
    values = [arrays[f"w{i}"] for i in range(len(wspecs))]
    model = None
    why = manifest.get("config_error") or "the model has no config"
    config = manifest.get("model_config")
    stored = sum(v.nbytes for v in values)
    forwards = None
    if config is not None:
        try:
            model = _rebuild(config, path, custom_objects, safe_mode, stored, values, manifest)
        except (ValueError, TypeError, NotImplementedError) as e:
            why = str(e)
            model = None
    if model is None:
        forwards = _read_forwards(path, manifest, wspecs, values)
        from .revived import RevivedModel
        weights = [(w["name"], w["keras_name"], v, w["trainable"]) for w, v in zip(wspecs, values)]
        model = RevivedModel(str(manifest.get("model_name") or "model")[:200], weights, forwards,
                             str(manifest.get("class_name") or "Model")[:200])
        warnings.warn(f"Loading '{path}': the model of class {str(manifest.get('class_name'))[:80]} could not be "
                      f"rebuilt from its config ({why[:300]}), so it was revived from its traced graphs: predict, "
                      f"evaluate and fit work; pass custom_objects to get the original class back.", stacklevel=3)
    if not compile:
        return model
    training_config = manifest.get("training_config")
    if training_config is None:
        warnings.warn(NOT_COMPILED_WARNING.format(path=path), stacklevel=3)
        return model
    from .hdf5_format import compile_from_training_config
    compile_from_training_config(model, training_config, path, custom_objects)
    _restore_optimizer(model, manifest, path)
    return model


def _read_forwards(path, manifest, wspecs, values):
    doc = _read_json(os.path.join(path, GRAPHS), GRAPHS)
    entries = doc.get("forwards") if isinstance(doc, dict) else None
    if isinstance(entries, list) and not entries and isinstance(doc.get("unavailable"), str):
        raise SavedFileError(f"Folder '{path}': the model cannot be revived without its classes: its forward pass "
                             f"could not be traced when it was saved ({doc['unavailable'][:300]}). Pass its classes "
                             f"in custom_objects.")
    if not isinstance(entries, list) or not entries or len(entries) > 64:
        _refuse(path, f"{GRAPHS} holds no traced forward")
    declared = {}
    for e in entries:
        for mode in ("inference", "training"):
            item = e.get(mode) if isinstance(e, dict) else None
            if isinstance(item, dict) and isinstance(item.get("graph"), dict):
                for v in item["graph"].get("values", []):
                    if isinstance(v, dict) and v.get("kind") == "const" and isinstance(v.get("array"), str):
                        shape = v.get("shape")
                        if not isinstance(shape, list) or not all(type(d) is int for d in shape) or \
                                v.get("dtype") not in ag.trace.codec.DTYPES:
                            _refuse(path, f"a graph constant is malformed: {str(v)[:80]}")
                        declared[v["array"]] = (tuple(shape), v["dtype"])
    consts = read_npz(os.path.join(path, "graph_constants.npz"), declared)
    param_specs = {w["name"]: (w["shape"], w["dtype"]) for w in wspecs}
    params = {w["name"]: ag.Tensor(v) for w, v in zip(wspecs, values)}
    forwards = []
    for e in entries:
        spec = _spec_from_json(e.get("signature"), path)
        inference = _forward_from_json(e.get("inference"), spec, False, path, consts, param_specs)
        t = e.get("training")
        unavailable = None
        if isinstance(t, dict) and set(t) == {"unavailable"} and isinstance(t["unavailable"], str):
            training, unavailable = None, t["unavailable"][:500]
        else:
            training = inference if t == "same" else _forward_from_json(t, spec, True, path, consts, param_specs)
            if training.output_names != inference.output_names or training.outputs != inference.outputs:
                _refuse(path, "a signature's training and inference forwards disagree on their outputs")
        _dry_run(inference, path, params)
        if training is not None and training is not inference:
            _dry_run(training, path, params)
        forwards.append({"spec": spec, "inference": inference, "training": training,
                         "training_unavailable": unavailable})
    return forwards


def _rebuild(config, path, custom_objects, safe_mode, stored, values, manifest):
    """The model built from its config with its weights set, or an error saying why it cannot be."""
    from .hdf5_format import model_from_saved_config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = model_from_saved_config(config, path, custom_objects, bool(safe_mode), stored)
    if not model._holds_layer_weights() and values:
        # a subclassed model creates its weights on its first call: run it once on the first saved signature (kept
        # in the manifest whether or not the forward could be traced)
        from ..engine.traced_forward import flatten_spec, pack_inputs
        signatures = manifest.get("input_signatures")
        if not isinstance(signatures, list) or not signatures:
            _refuse(path, f"{MANIFEST} holds no input signature")
        spec = _spec_from_json(signatures[0], path)
        xs = [ag.Tensor(np.zeros((1,) + tuple(s), dt)) for s, dt in flatten_spec(spec)]
        with ag.no_grad():
            model(pack_inputs(spec, xs), training=False)
    if len(model.weights) != len(values) or any(tuple(w.shape) != v.shape for w, v in zip(model.weights, values)):
        raise ValueError(f"the model built from the config has {len(model.weights)} weights that do not match the "
                         f"{len(values)} saved ones")
    model.set_weights(values)
    return model


def _restore_optimizer(model, manifest, path):
    info = manifest.get("optimizer")
    if not isinstance(info, dict) or not isinstance(info.get("variables"), list) or not info["variables"]:
        return
    specs = info["variables"]
    for v in specs:
        if not isinstance(v, dict) or not isinstance(v.get("shape"), list) or v.get("dtype") not in \
                ag.trace.codec.DTYPES or not all(type(d) is int and d >= 0 for d in v["shape"]):
            _refuse(path, f"an optimizer variable entry is malformed: {str(v)[:80]}")
    optimizer = model.optimizer
    if not getattr(optimizer, "_built", True):
        optimizer.build(model.trainable_weights)
    variables = list(optimizer.variables)
    if len(variables) != len(specs) or any(tuple(v.shape) != tuple(s["shape"]) for v, s in zip(variables, specs)):
        warnings.warn(f"Could not restore the optimizer state saved in '{path}': the optimizer has {len(variables)} "
                      f"variables, the folder holds {len(specs)} that do not match. The optimizer starts from a "
                      f"fresh state.", stacklevel=4)
        return
    arrays = read_npz(os.path.join(path, "optimizer.npz"),
                      {f"o{i}": (tuple(s["shape"]), s["dtype"]) for i, s in enumerate(specs)})
    for i, v in enumerate(variables):
        ag.assign(v, np.asarray(arrays[f"o{i}"], dtype=v.dtype))
    host = info.get("host_state")
    if isinstance(host, str) and len(host) < 2 ** 16 and hasattr(optimizer, "set_host_state"):
        optimizer.set_host_state(host)
