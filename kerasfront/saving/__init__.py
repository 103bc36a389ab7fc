"""``kerasfront.saving``: save and load whole models and their weights.

Formats, chosen by the file name's extension as Keras does:

- ``.h5`` / ``.hdf5`` (and any other name): tf.keras 2.x's HDF5 file, readable by tf.keras (``tf_keras``) and
  by Keras 3's legacy loader; tf.keras's own files load here.
- ``.keras``: Keras 3's zip archive (``metadata.json``, ``config.json``, ``model.weights.h5``).
- a path without an extension (or ``save_format="tf"``): a folder in kerasfront's own format
  (``saved_folder``): config, weights, optimizer state and the forward pass traced into a graph of autograd
  primitives, so that it loads even without the model's class (tf.keras writes a TensorFlow SavedModel under
  that spelling; kerasfront cannot, and a SavedModel folder given to ``load_model`` is an error saying so).

Loading looks at the file's content, not its name. Files are written to a temporary file and renamed into
place, so a crash never leaves a damaged file where a good one was. Loading is safe by default: no code
from a file runs unless ``safe_mode=False``, names resolve only through kerasfront's registries and
``custom_objects``, and sizes are checked before anything is allocated.

Damaged and hostile files: the HDF5 C library can loop forever, crash or exhaust memory on a damaged or
crafted file, which no check in Python can stop once the call is made. So the file's structure is read in a
child process with a time and memory limit (``isolation.py``; ``isolate=False`` reads in this process, for
trusted files), and the parent reads the weights' bytes itself. kerasfront's ``.h5`` files also carry a
CRC-32 of every dataset and attribute (``checksums.py``), checked on loading: accidental damage is an error
naming what changed. A crafted file can carry matching checksums; isolation and safe mode are what protect
against those.

Example:
    >>> kerasfront.models.save_model(model, "model.h5")
    >>> model = kerasfront.models.load_model("model.h5", custom_objects={"ScaleLayer": ScaleLayer})
"""
import os
import zipfile

from .atomic_write import OverwriteRefusedError, ask_to_proceed_with_overwrite, atomic_write  # noqa: F401
from .h5_utils import SavedFileError, check_input_file, is_hdf5_file
from .serialization_lib import deserialize_keras_object, serialize_keras_object  # noqa: F401
from ..serialization import (custom_object_scope, get_custom_objects, get_registered_name,  # noqa: F401
                             get_registered_object, register_keras_serializable)

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "SavedFileError", "OverwriteRefusedError",
           "atomic_write", "ask_to_proceed_with_overwrite", "get_format", "serialize_keras_object",
           "deserialize_keras_object", "custom_object_scope", "get_custom_objects", "get_registered_name",
           "get_registered_object", "register_keras_serializable"]

_H5_EXTENSIONS = (".h5", ".hdf5")


def get_format(filepath, save_format=None):
    """``'keras'`` for a ``.keras`` path (or ``save_format='keras'``), ``'h5'`` for ``.h5`` / ``.hdf5`` (or
    ``save_format='h5'``), else ``'folder'`` (where tf.keras writes a SavedModel: ``save_format='tf'``, a path
    without an extension, or with another one such as ``model.ckpt`` or ``v1.0``).

    Example:
        >>> get_format("model.keras"), get_format("my_model"), get_format("model.h5"), get_format("model.ckpt")
        ('keras', 'folder', 'h5', 'folder')
    """
    if save_format is not None:
        if not isinstance(save_format, str) or save_format.lower() not in ("h5", "hdf5", "keras", "keras_v3", "tf",
                                                                           "tensorflow"):
            raise ValueError(f"save_format: expected 'h5', 'keras', 'tf' (a model folder) or None, received "
                             f"{save_format!r}")
        fmt = save_format.lower()
        if fmt in ("tf", "tensorflow"):
            return "folder"
        return "h5" if fmt in ("h5", "hdf5") else "keras"
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        return "keras"
    if path.endswith(_H5_EXTENSIONS) and not os.path.isdir(path):
        return "h5"
    return "folder"


def save_model(model, filepath, overwrite=True, save_format=None, include_optimizer=True, signatures=None,
               options=None, save_traces=True, **kwargs):
    """Save ``model`` (architecture, weights, compile arguments and optimizer state) to ``filepath``.

    Args:
        filepath: ``*.h5`` / ``*.hdf5`` for tf.keras's HDF5 format, ``*.keras`` for Keras 3's zip format, any other
            path (where tf.keras writes a SavedModel) for a model folder (``saved_folder``).
        overwrite: replace an existing file without asking (False: ask on the terminal, or raise an
            ``OverwriteRefusedError`` when there is none).
        save_format: force ``'h5'``, ``'keras'`` or ``'tf'`` (a model folder) regardless of the extension.
        include_optimizer: also save the compile arguments and optimizer state.
        signatures, options, save_traces: tf.keras's SavedModel arguments, accepted and unused (kerasfront writes
            no SavedModel).

    Example:
        >>> save_model(model, "model.h5")
    """
    if kwargs:
        raise TypeError(f"save_model: unexpected keyword argument(s) {sorted(kwargs)}")
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"save_model(filepath=...): expected a path (str or os.PathLike), received "
                        f"{type(filepath).__name__}")
    if not isinstance(include_optimizer, bool):
        raise TypeError(f"save_model(include_optimizer=...): expected True or False, received {include_optimizer!r}")
    fmt = get_format(filepath, save_format)
    if fmt == "folder":
        from .saved_folder import save_model_to_folder
        return save_model_to_folder(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    if fmt == "keras":
        from .keras_zip import save_model_to_keras_file
        return save_model_to_keras_file(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    from .hdf5_format import save_model_to_hdf5
    return save_model_to_hdf5(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, isolate=None, **kwargs):
    """Load a model saved by ``save_model`` (kerasfront) or by tf.keras 2.x / Keras 3.

    Args:
        custom_objects: ``{"Name": class_or_function}`` for custom layers, losses, metrics, activations.
        compile: compile the model with the saved loss, metrics and optimizer (restoring its state); a file
            without them loads uncompiled with a warning.
        safe_mode: refuse to run code stored in the file (a ``Lambda`` layer's bytecode); pass False only for
            files you trust.
        isolate: read the HDF5 file (a ``.h5`` file, or a ``.keras`` archive's weights) in a child process with
            a time and memory limit, so that a damaged or hostile file that makes the HDF5 library loop, crash
            or exhaust memory is an error, not a hang (see ``kerasfront.saving.isolation``). None means
            ``kerasfront.saving.limits.ISOLATE_BY_DEFAULT`` (True). False saves about 10 ms per load on Linux
            (a few hundred ms elsewhere) and is only for files you trust.
        **kwargs: ``options`` (tf.keras's SavedModel load options), accepted and unused.

    Example:
        >>> model = load_model("model.h5")
        >>> model.predict(x)
    """
    kwargs.pop("options", None)
    if kwargs:
        raise TypeError(f"load_model: unexpected keyword argument(s) {sorted(kwargs)}")
    if isinstance(filepath, (str, bytes, os.PathLike)) and os.path.isdir(filepath):
        # a model folder holds no HDF5 (JSON and .npz arrays, each checked before it is read): nothing to isolate
        from .saved_folder import load_model_from_folder
        return load_model_from_folder(os.fspath(filepath), custom_objects=custom_objects, compile=compile,
                                      safe_mode=safe_mode)
    check_input_file(filepath, "model")
    path = os.fspath(filepath)
    if zipfile.is_zipfile(path) and not is_hdf5_file(path):
        from .keras_zip import load_model_from_keras_file
        return load_model_from_keras_file(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode,
                                          isolate=isolate)
    from .hdf5_format import load_model_from_hdf5
    return load_model_from_hdf5(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode,
                                isolate=isolate)


def save_weights(model, filepath, overwrite=True, save_format=None, options=None):
    """Save ``model``'s weights in tf.keras's HDF5 layout (``.weights.h5``: Keras 3's layout; see ``weights_io``).

    Args:
        model: a built model.
        filepath: the file to write (written to a temporary file first, then renamed into place).
        overwrite: False keeps an existing file (asking on a terminal, else raising).

    Example:
        >>> import os, tempfile
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(2, input_shape=(3,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> save_weights(model, path); os.path.exists(path)
        True
    """
    from .weights_io import save_weights as _save
    return _save(model, filepath, overwrite=overwrite, save_format=save_format, options=options)


def load_weights(model, filepath, by_name=False, skip_mismatch=False, options=None, isolate=None):
    """Load weights from ``filepath`` into ``model`` (see ``weights_io``); nothing changes if any shape differs.

    Args:
        model: a model with the saved architecture (built, or buildable from its input shapes).
        filepath: an HDF5 weights file written by kerasfront or tf.keras.
        by_name: match layers by name instead of by order.
        skip_mismatch: with ``by_name``, skip (and warn about) weights whose shapes differ.
        isolate: read the HDF5 file in a child process with a time and memory limit (see ``load_model``).

    Example:
        >>> import os, tempfile
        >>> a = kerasfront.Sequential([kerasfront.layers.Dense(2, input_shape=(3,))])
        >>> b = kerasfront.Sequential([kerasfront.layers.Dense(2, input_shape=(3,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> save_weights(a, path); load_weights(b, path)
        >>> all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
        True
    """
    from .weights_io import load_weights as _load
    return _load(model, filepath, by_name=by_name, skip_mismatch=skip_mismatch, isolate=isolate)
