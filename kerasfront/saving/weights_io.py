"""Layer weights in tf.keras 2.x's HDF5 layout: ``model.save_weights`` / ``model.load_weights``, and the
``model_weights`` group of a full model file.

Layout of a group holding a model's weights (the file root for ``save_weights``, ``/model_weights`` in a model
file)::

    @layer_names = ["input_1", "dense", "dense_1"]       every layer of model.layers, in order
    @backend = "tensorflow", @keras_version = "2.21.0"
    dense/    @weight_names = ["dense/kernel:0", "dense/bias:0"]
    dense/dense/kernel:0, dense/dense/bias:0              one dataset per weight, at <layer>/<weight name>
    input_1/  @weight_names = []                          (an empty float64 array)
    top_level_model_weights/  @weight_names = []          weights the model itself owns

Loading pairs the file's layers that have weights with the model's layers that have weights, in order (or
by layer name with ``by_name=True``), checks every count and shape first and only then assigns, so a
mismatch changes nothing.

Example:
    >>> save_weights(model, "w.h5")
    >>> load_weights(model2, "w.h5")
"""
import os
import warnings
import zipfile

import numpy as np

from .atomic_write import atomic_write, confirm_overwrite
from .checksums import LIBVER, add_checksums
from .h5_utils import (BACKEND, KERAS_VERSION, SavedFileError, dataset_shape, get_internal, h5py, is_group, open_h5,
                       read_dataset, read_str_list, write_str_list)

__all__ = ["save_weights", "load_weights", "save_weights_to_hdf5_group", "load_weights_from_hdf5_group",
           "load_weights_from_hdf5_group_by_name"]


def _layer_weights(layer):
    """The weights of one layer in the order tf.keras saves them: trainable, then non-trainable."""
    # NOTE: for a plain layer that is ``layer.weights``; a nested model's ``weights`` go layer by layer instead (a
    # BatchNormalization's moving statistics next to its gamma and beta, a metric tracker's variables where it was
    # set), while tf.keras's files list all its trainable weights first (a frozen nested model: all of them in turn)
    return layer._dedup(list(layer.trainable_weights) + list(layer.non_trainable_weights))


def _own_weights(model):
    """Weights created by the model itself (not by its layers): the ``top_level_model_weights``."""
    return list(getattr(model, "_trainable_weights", [])) + list(getattr(model, "_non_trainable_weights", []))


def _unique_dataset_names(weights):
    """Each weight's name, made unique inside its layer (two weights called ``w`` become ``w:0``, ``w_1:0``)."""
    names, seen = [], set()
    for w in weights:
        name = getattr(w, "name", None) or "Variable:0"
        base, _, suffix = name.rpartition(":")
        if not base:
            base, suffix = name, "0"
        candidate, i = name, 1
        while candidate in seen:
            candidate = f"{base}_{i}:{suffix}"
            i += 1
        seen.add(candidate)
        names.append(candidate)
    return names


def save_subset_weights_to_hdf5_group(group, weights):
    """Write ``weights`` into ``group``: attribute ``weight_names`` and one dataset per weight.

    Example:
        >>> import tempfile
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,), name="d")])
        >>> with h5py().File(os.path.join(tempfile.mkdtemp(), "w.h5"), "w") as f:
        ...     save_subset_weights_to_hdf5_group(f.create_group("d"), model.layers[0].weights)
        ...     print(read_str_list(f["d"], "weight_names", "w.h5"))
        ['d/kernel:0', 'd/bias:0']
    """
    names = _unique_dataset_names(weights)
    write_str_list(group, "weight_names", names)
    for name, w in zip(names, weights):
        value = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
        ds = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            ds[:] = value
        else:
            ds[()] = value


def save_weights_to_hdf5_group(group, model):
    """Write every layer's weights (and the model's own) into ``group`` in tf.keras's layout.

    Example:
        >>> import tempfile
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,), name="d")])
        >>> with h5py().File(os.path.join(tempfile.mkdtemp(), "w.h5"), "w") as f:
        ...     save_weights_to_hdf5_group(f, model); print(read_str_list(f, "layer_names", "w.h5"))
        ['d']
    """
    layers = list(model.layers)
    names = [la.name for la in layers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"Cannot save the weights of model '{model.name}': several layers share the name(s) {dupes}; "
                         f"layer names must be unique within a model")
    write_str_list(group, "layer_names", names)
    group.attrs["backend"] = BACKEND.encode("utf-8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf-8")
    # NOTE: tf.keras creates the groups sorted by name (strictly growing names avoid HDF5 prefix issues).
    for layer in sorted(layers, key=lambda la: la.name):
        save_subset_weights_to_hdf5_group(group.create_group(layer.name), _layer_weights(layer))
    save_subset_weights_to_hdf5_group(group.create_group("top_level_model_weights"), _own_weights(model))


# -- loading ---------------------------------------------------------------------------------------------------

def _file_layers(group, path):
    """``[(name, group, weight_names)]`` for every layer listed in ``group``'s ``layer_names``."""
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        raise SavedFileError(f"File '{path}' holds no layer weights: '{group.name}' has no 'layer_names' attribute "
                             f"(it is not a file written by save_weights/save_model)")
    out = []
    for name in read_str_list(group, "layer_names", path):
        g = get_internal(group, name, path)
        if g is None or not is_group(g):
            raise SavedFileError(f"File '{path}': 'layer_names' lists layer '{name}' but '{group.name}' has no group "
                                 f"'{name}'; the file is incomplete or damaged")
        out.append((name, g, read_str_list(g, "weight_names", path)))
    return out


def _shape_str(shape):
    return str(tuple(int(d) for d in shape))


def _describe(weights):
    return ", ".join(f"{w.name} {_shape_str(w.shape)}" for w in weights) or "none"


def _describe_file(g, names, path):
    parts = []
    for n in names:
        try:
            _, shape, _ = dataset_shape(g, n, path)
            parts.append(f"{n} {_shape_str(shape)}")
        except SavedFileError:
            parts.append(f"{n} (missing)")
    return ", ".join(parts) or "none"


def _in_file_order(variables, wnames):
    """``variables`` paired with the file's weight names ``wnames``: in order, as tf.keras pairs them, unless the
    names are the variables' own names in another order; then each variable goes with its own name.

    Example:
        >>> from kerasfront.variables import Variable
        >>> a, b = Variable(np.zeros(2), name="bn/gamma:0"), Variable(np.zeros(3), name="d/kernel:0")
        >>> [v.name for v in _in_file_order([a, b], ["d/kernel:0", "bn/gamma:0"])]
        ['d/kernel:0', 'bn/gamma:0']
    """
    # NOTE: a nested model's weights in a file are its trainable weights, then its non-trainable ones, so their order
    # changes with its trainable flag (tf.keras writes a frozen nested model's BatchNormalization statistics next to
    # gamma and beta), and earlier kerasfront versions wrote them layer by layer: the names still pair them
    names = _unique_dataset_names(variables)
    if names == list(wnames) or len(set(wnames)) != len(wnames) or set(names) != set(wnames):
        return variables
    by_name = dict(zip(names, variables))
    return [by_name[n] for n in wnames]


class _Plan:
    """Assignments checked before any is made: ``(variable, dataset)`` pairs and the mismatches skipped."""

    def __init__(self, path, skip_mismatch):
        self.path = path
        self.skip_mismatch = skip_mismatch
        self.pairs = []
        self.skipped = []

    def mismatch(self, message):
        if not self.skip_mismatch:
            raise ValueError(message)
        self.skipped.append(message)

    def add_layer(self, where, g, wnames, variables):
        """Stage the weights of one layer; ``where`` names it on both sides (``layer #1 (named ...)``)."""
        path = self.path
        if len(wnames) != len(variables):
            self.mismatch(f"Weight count mismatch for {where}: the layer has {len(variables)} weight(s) "
                          f"[{_describe(variables)}], the file holds {len(wnames)} [{_describe_file(g, wnames, path)}]")
            return
        variables = _in_file_order(variables, wnames)
        staged = []
        for var, wname in zip(variables, wnames):
            ds, shape, dtype = dataset_shape(g, wname, path)
            if not (var.accepts_shape(shape) if hasattr(var, "accepts_shape") else tuple(shape) == tuple(var.shape)):
                self.mismatch(f"Shape mismatch in {where} for weight {var.name}: the model expects shape "
                              f"{_shape_str(var.shape)}, the file holds shape {_shape_str(shape)} (dataset "
                              f"'{g.name}/{wname}')")
                continue
            if dtype.kind not in "fiub":
                raise SavedFileError(f"File '{path}': weight '{g.name}/{wname}' holds {dtype} data, not numbers")
            staged.append((var, ds))
        self.pairs.extend(staged)

    def apply(self, file_size):
        values = [read_dataset(ds, self.path, file_size) for _, ds in self.pairs]
        for (var, _), value in zip(self.pairs, values):
            var.assign(value.astype(var.dtype, copy=False))
        if self.skipped:
            warnings.warn(f"load_weights('{self.path}', skip_mismatch=True) skipped {len(self.skipped)} "
                          f"mismatch(es):\n  " + "\n  ".join(self.skipped), stacklevel=4)


def _check_model_has_weights(model, file_layers, path):
    if not model._holds_layer_weights() and any(w for _, _, w in file_layers):
        raise ValueError(f"Cannot load the weights in '{path}' into model '{model.name}': the model has no weights "
                         f"yet (it is not built). Call the model on a batch of data, or call "
                         f"model.build(input_shape), before load_weights.")


def _plan_top_level(plan, group, model):
    if "top_level_model_weights" not in group:
        return
    g = get_internal(group, "top_level_model_weights", plan.path)
    names = read_str_list(g, "weight_names", plan.path)
    own = _own_weights(model)
    if names or own:
        plan.add_layer(f"the weights of model '{model.name}' itself (top_level_model_weights in the file "
                       f"'{plan.path}')", g, names, own)


def load_weights_from_hdf5_group(group, model, path, skip_mismatch=False, file_size=None):
    """Load the weights in ``group`` into ``model``, pairing layers with weights in order.

    Args:
        group: the open HDF5 group holding the weights (the file root, or ``model_weights``).
        model: a built model with the same layers.
        path: the file's path, for the error messages.
        skip_mismatch: skip (with a warning) layers whose weights differ in count or shape instead of raising.
        file_size: the file's size in bytes, to refuse datasets declaring more.

    Example:
        >>> import tempfile
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,), name="d")])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     save_weights_to_hdf5_group(f, model)
        >>> with h5py().File(path, "r") as f:
        ...     load_weights_from_hdf5_group(f, model, path)
    """
    file_layers = _file_layers(group, path)
    _check_model_has_weights(model, file_layers, path)
    with_weights = [(n, g, w) for n, g, w in file_layers if w]
    model_layers = [la for la in model.layers if _layer_weights(la)]
    plan = _Plan(path, skip_mismatch)
    if len(with_weights) != len(model_layers):
        plan.mismatch(f"Layer count mismatch when loading weights from file '{path}': the model has "
                      f"{len(model_layers)} layer(s) with weights {[la.name for la in model_layers]}, the file holds "
                      f"weights for {len(with_weights)} layer(s) {[n for n, _, _ in with_weights]}. Pass "
                      f"by_name=True to match layers by name, or skip_mismatch=True to load the layers that fit.")
    for k, (layer, (fname, g, wnames)) in enumerate(zip(model_layers, with_weights)):
        plan.add_layer(f"layer #{k} (named '{layer.name}' in the current model, '{fname}' in the file '{path}')", g,
                       wnames, _layer_weights(layer))
    _plan_top_level(plan, group, model)
    plan.apply(file_size)


def load_weights_from_hdf5_group_by_name(group, model, path, skip_mismatch=False, file_size=None):
    """Load the weights in ``group`` into the layers of ``model`` that have the same name; layers of either
    side without a counterpart are left alone. Arguments as for ``load_weights_from_hdf5_group``.

    Example:
        >>> import tempfile
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,), name="d")])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     save_weights_to_hdf5_group(f, model)
        >>> other = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,), name="d")])
        >>> with h5py().File(path, "r") as f:
        ...     load_weights_from_hdf5_group_by_name(f, other, path)
        >>> np.array_equal(other.get_weights()[0], model.get_weights()[0])
        True
    """
    file_layers = _file_layers(group, path)
    _check_model_has_weights(model, file_layers, path)
    index = {}
    for layer in model.layers:
        index.setdefault(layer.name, []).append(layer)
    plan = _Plan(path, skip_mismatch)
    for k, (fname, g, wnames) in enumerate(file_layers):
        for layer in index.get(fname, []):
            variables = _layer_weights(layer)
            if not variables and not wnames:
                continue
            plan.add_layer(f"layer #{k} (named '{fname}' in the current model and in the file '{path}')", g, wnames,
                           variables)
    _plan_top_level(plan, group, model)
    plan.apply(file_size)


def _weights_group(f, path):
    """The group of ``f`` holding layer weights in the tf.keras layout, or None for a Keras 3 weights file."""
    if "layer_names" in f.attrs or "layer_names0" in f.attrs:
        return f
    if "model_weights" in f:
        return get_internal(f, "model_weights", path)
    if "layers" in f or "vars" in f:
        return None
    raise SavedFileError(f"File '{path}' holds no model weights: it has neither a 'layer_names' attribute (a "
                         f"save_weights file) nor a 'model_weights' group (a save_model file)")


def _check_bool(value, arg):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"load_weights({arg}=...): expected True or False, received {value!r}")


def load_weights(model, filepath, by_name=False, skip_mismatch=False, isolate=None):
    """Load weights saved by ``save_weights`` or ``save_model`` (kerasfront, tf.keras 2.x, or a Keras 3
    ``.keras`` / ``.weights.h5`` file) into ``model``.

    Args:
        by_name: match layers by name instead of by order (layers without a counterpart are left alone).
        skip_mismatch: skip (with a warning listing them) layers whose weight count or shapes differ, instead
            of raising a ValueError.
        isolate: read the HDF5 file in a child process with a time and memory limit (None: the default,
            ``limits.ISOLATE_BY_DEFAULT``).

    Example:
        >>> load_weights(model, "weights.h5", by_name=True)
    """
    _check_bool(by_name, "by_name")
    _check_bool(skip_mismatch, "skip_mismatch")
    from .h5_utils import check_input_file
    size = check_input_file(filepath, "weights")
    path = os.fspath(filepath)
    if zipfile.is_zipfile(path):
        from .keras_zip import load_weights_from_keras_file
        return load_weights_from_keras_file(model, path, skip_mismatch=skip_mismatch, isolate=isolate)
    with open_h5(path, "weights", isolate) as f:
        group = _weights_group(f, path)
        if group is None:
            from .keras_zip import load_weights_from_keras3_h5
            return load_weights_from_keras3_h5(model, f, path, skip_mismatch=skip_mismatch)
        if by_name:
            load_weights_from_hdf5_group_by_name(group, model, path, skip_mismatch, size)
        else:
            load_weights_from_hdf5_group(group, model, path, skip_mismatch, size)


def save_weights(model, filepath, overwrite=True, save_format=None, options=None):
    """Write ``model``'s weights to ``filepath``, replacing it atomically.

    A name ending in ``.weights.h5`` gets the layout Keras 3 and tf.keras 2.13+ use for that extension
    (``layers/<layer>/vars/0``, ..., and the optimizer's variables when it has them); any other name gets
    tf.keras 2.x's classic HDF5 layout (``layer_names``, ``<layer>/<layer>/kernel:0``), which every tf.keras
    version and Keras 3 (for ``.h5``) read.

    Example:
        >>> save_weights(model, "weights.h5")
        >>> save_weights(model, "model.weights.h5")     # the Keras 3 layout
    """
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"save_weights(filepath=...): expected a path, received {type(filepath).__name__}")
    path = os.fspath(filepath)
    if save_format not in (None, "h5", "hdf5"):
        raise ValueError(f"save_weights(save_format=...): expected 'h5' (or None), received {save_format!r}; the "
                         f"TensorFlow checkpoint format is not available in kerasfront")
    if path.endswith(".keras"):
        raise ValueError(f"save_weights: '{path}' ends in '.keras', which is the extension of whole-model files; "
                         f"use model.save('{path}') for the model, or a '.weights.h5' / '.h5' path for the weights")
    if not model._holds_layer_weights() and model.layers and not model.built:
        raise ValueError(f"save_weights: model '{model.name}' has no weights yet (it is not built); call it on data "
                         f"or call model.build(input_shape) first")
    if not confirm_overwrite(path, overwrite):
        return
    with atomic_write(path) as tmp:
        with h5py().File(tmp, "w", libver=LIBVER) as f:
            if path.endswith(".weights.h5"):
                from .keras_zip import write_weights_h5
                optimizer = getattr(model, "optimizer", None)
                write_weights_h5(f, model, optimizer if getattr(optimizer, "_built", False) else None)
            else:
                save_weights_to_hdf5_group(f, model)
            add_checksums(f)
