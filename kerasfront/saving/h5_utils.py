"""HDF5 helpers shared by model and weight files: opening a file with errors that name it, and reading and
writing attributes and datasets exactly as tf.keras 2.x does.

tf.keras writes the root ``keras_version`` / ``backend`` of a model file as UTF-8 strings, the JSON
configurations and every name list as variable-length ASCII strings, and an empty name list as an empty
float64 array (``np.asarray([])``). Name lists larger than HDF5's 64 KiB object-header limit are split into
``name0``, ``name1``, ... attributes.

Example:
    >>> with open_h5("model.h5", "model file") as f:
    ...     names = read_str_list(f["model_weights"], "layer_names", "model.h5")
"""
import contextlib
import os
import zipfile

import numpy as np

from .limits import check_config_size, check_declared_array, human_bytes

__all__ = ["HDF5_SIGNATURE", "KERAS_VERSION", "BACKEND", "h5py", "open_h5", "is_hdf5_file", "check_input_file",
           "read_str_attr", "read_str_list", "write_str_list", "read_dataset", "dataset_shape", "get_internal",
           "SavedFileError", "is_group", "is_dataset", "nfilters"]

KERAS_VERSION = "2.21.0"   # the tf.keras version whose layout these files follow
BACKEND = "tensorflow"     # what tf.keras writes; readers check it before converting weights
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HDF5_OBJECT_HEADER_LIMIT = 64512


class SavedFileError(ValueError):
    """A file that cannot be read as a Keras file (missing, empty, truncated, not HDF5, or missing a part).

    Example:
        >>> issubclass(SavedFileError, ValueError)   # so ``except ValueError`` catches it too
        True
    """


def h5py():
    """The h5py module (imported on first use, so ``import kerasfront`` stays fast).

    Example:
        >>> h5py().__name__
        'h5py'
    """
    import h5py as _h5py
    return _h5py


def is_hdf5_file(path):
    """True when ``path`` starts with the HDF5 signature (at offset 0, 512, 1024, ... as HDF5 allows).

    Args:
        path: a file path; a missing or unreadable file gives False.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5"); h5py().File(path, "w").close()
        >>> is_hdf5_file(path), is_hdf5_file(path + ".missing")
        (True, False)
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            offset = 0
            while offset + 8 <= size:
                f.seek(offset)
                if f.read(8) == HDF5_SIGNATURE:
                    return True
                offset = 512 if offset == 0 else offset * 2
    except OSError:
        return False
    return False


def check_input_file(path, what):
    """Check that ``path`` is an existing, non-empty regular file; return its size.

    Args:
        path: the file path (str, bytes or os.PathLike).
        what: what the file should hold ("model", "weights"), for the error messages.

    Returns:
        The size in bytes. Raises TypeError, FileNotFoundError or ``SavedFileError`` otherwise.

    Example:
        >>> import tempfile
        >>> check_input_file(tempfile.mkdtemp(), "model")
        Traceback (most recent call last):
        kerasfront.saving.h5_utils.SavedFileError: Cannot load the model from '...': it is a directory ...
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"filepath: expected a path (str or os.PathLike), received {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path} (cannot load the {what})")
    if os.path.isdir(path):
        raise SavedFileError(f"Cannot load the {what} from '{path}': it is a directory (a TensorFlow SavedModel?). "
                             f"kerasfront reads HDF5 files (.h5/.hdf5) and Keras 3 .keras files only.")
    size = os.path.getsize(path)
    if size == 0:
        raise SavedFileError(f"Cannot load the {what} from '{path}': the file is empty (0 bytes); it was probably "
                             f"cut off while being written")
    return size


def is_group(obj):
    """True for an HDF5 group: an h5py one, or one of a file read through ``open_h5``'s snapshot.

    Example:
        >>> is_group(h5py().File(os.path.join(tempfile.mkdtemp(), "w.h5"), "w"))
        True
    """
    from .h5_snapshot import Group
    return isinstance(obj, (h5py().Group, Group))


def is_dataset(obj):
    """True for an HDF5 dataset (h5py's or a snapshot's).

    Example:
        >>> is_dataset(None)
        False
    """
    from .h5_snapshot import Dataset
    return isinstance(obj, (h5py().Dataset, Dataset))


def nfilters(ds):
    """How many filters (compression, checksums, ...) the dataset's data passes through when read.

    Example:
        >>> with h5py().File(os.path.join(tempfile.mkdtemp(), "w.h5"), "w") as f:
        ...     print(nfilters(f.create_dataset("x", data=np.zeros(4))))
        0
    """
    if hasattr(ds, "nfilters"):
        return int(ds.nfilters)
    try:
        return int(ds.id.get_create_plist().get_nfilters())
    except Exception:  # noqa: BLE001 - h5py internals
        return 0


@contextlib.contextmanager
def open_h5(path, what, isolate=None):
    """Read ``path``'s HDF5 structure (in a child process with a time and memory limit unless ``isolate`` is
    False) and verify kerasfront's checksums when it has them; any problem is a ``SavedFileError`` naming the
    path and the reason.

    Args:
        path: the file path.
        what: what the file should hold, for the error messages.
        isolate: read the structure in a child process (None: ``limits.ISOLATE_BY_DEFAULT``).

    Returns:
        A context manager yielding the file's root group (an ``h5_snapshot.Group``: h5py's reading API, no
        HDF5 calls).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5"); h5py().File(path, "w").close()
        >>> with open_h5(path, "weights") as f:
        ...     print(f.name, list(f.keys()))
        / []
    """
    size = check_input_file(path, what)
    path = os.fspath(path)
    if not is_hdf5_file(path):
        kind = "a zip archive (a Keras 3 .keras file?)" if zipfile.is_zipfile(path) else "not an HDF5 file"
        raise SavedFileError(f"Cannot load the {what} from '{path}': the file ({human_bytes(size)}) is {kind}; "
                             f"expected an HDF5 file written by save_model/save_weights or tf.keras")
    from .h5_snapshot import open_snapshot
    with open_snapshot(path, what=what, isolate=isolate) as root:
        yield root


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _decode(value[()])
    if isinstance(value, np.bytes_):
        return bytes(value).decode("utf-8")
    return str(value)


def _attr_or_error(obj, name, path):
    try:
        return obj.attrs[name]
    except (KeyError, SavedFileError):
        raise
    except (OSError, RuntimeError, TypeError, ValueError) as e:
        raise SavedFileError(f"File '{path}': cannot read attribute '{name}' of '{obj.name}' ({e}); the file is "
                             f"damaged") from None


def read_str_attr(obj, name, path, what=None, required=True, limit=None):
    """The string attribute ``name`` of a group or file (None when absent and not required).

    # NOTE: a variable-length string's length is not known before HDF5 reads it, so a config can only be
    # bounded by the file's own size: it is read (at most the file's size) and refused before it is parsed.

    Args:
        obj: an open h5py group or file.
        name: the attribute's name.
        path: the file's path, for the error messages.
        what: how to describe the attribute in errors (default: "the '<name>' attribute").
        required: raise ``SavedFileError`` when absent (else return None).
        limit: the largest length accepted (default ``limits.MAX_CONFIG_BYTES``).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.h5")
        >>> with h5py().File(path, "w") as f:
        ...     f.attrs["backend"] = "tensorflow"
        ...     print(read_str_attr(f, "backend", path), read_str_attr(f, "model_config", path, required=False))
        tensorflow None
    """
    what = what or f"the '{name}' attribute"
    if name not in obj.attrs:
        if required:
            raise SavedFileError(f"File '{path}' has no {what} (attribute '{name}' of '{obj.name}' is missing); it "
                                 f"is not a complete Keras model file")
        return None
    value = _decode(_attr_or_error(obj, name, path))
    check_config_size(path, what, len(value), limit)
    return value


def read_str_list(group, name, path):
    """A list of names stored as attribute ``name`` (or split over ``name0``, ``name1``...) of ``group``;
    empty when absent.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     f.attrs["layer_names"] = np.asarray([b"dense", b"dense_1"])
        ...     print(read_str_list(f, "layer_names", path), read_str_list(f, "weight_names", path))
        ['dense', 'dense_1'] []
    """
    if name in group.attrs:
        values = [_attr_or_error(group, name, path)]
    else:
        values = []
        i = 0
        while f"{name}{i}" in group.attrs:
            values.append(_attr_or_error(group, f"{name}{i}", path))
            i += 1
    out = []
    for v in values:
        arr = np.asarray(v)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.size == 0:
            continue
        if arr.dtype.kind not in "OSU":
            raise SavedFileError(f"File '{path}': attribute '{name}' of '{group.name}' should hold names but holds "
                                 f"{arr.dtype} values; the file is damaged")
        out.extend(_decode(x) for x in arr.tolist())
    return out


def write_str_list(group, name, names):
    """Write ``names`` as a variable-length ASCII string array (an empty float64 array when there are none),
    split into ``name0``, ``name1``... when it exceeds the HDF5 object-header limit, as tf.keras does.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     write_str_list(f, "layer_names", ["dense", "dense_1"])
        ...     print(read_str_list(f, "layer_names", path))
        ['dense', 'dense_1']
    """
    hp = h5py()
    encoded = [n.encode("utf-8") if isinstance(n, str) else bytes(n) for n in names]
    if not encoded:
        group.attrs[name] = np.asarray([])
        return
    too_long = [n for n in encoded if len(n) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"The following names cannot be saved to HDF5 because they are larger than "
                         f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {[n[:60] for n in too_long]}")
    dtype = hp.string_dtype("ascii") if all(n.isascii() for n in encoded) else hp.string_dtype("utf-8")
    chunks = [encoded]
    n_chunks = 1
    while any(sum(len(x) + 16 for x in c) > HDF5_OBJECT_HEADER_LIMIT for c in chunks):
        n_chunks += 1
        chunks = [list(c) for c in np.array_split(np.asarray(encoded, dtype=object), n_chunks)]
    if n_chunks == 1:
        group.attrs.create(name, np.asarray(encoded, dtype=object), dtype=dtype)
    else:
        for i, c in enumerate(chunks):
            group.attrs.create(f"{name}{i}", np.asarray(c, dtype=object), dtype=dtype)


def get_internal(group, key, path):
    """``group[key]`` (None when absent), refusing links to other files: a model file is read on its own,
    never as a pointer to data elsewhere on the machine.

    Args:
        group: an open h5py group or file.
        key: a path inside ``group`` such as ``"dense/dense/kernel:0"``.
        path: the file's path, for the error messages.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     f["dense/kernel:0"] = np.zeros((2, 3))
        ...     print(get_internal(f, "dense/kernel:0", path).shape, get_internal(f, "dense/bias:0", path))
        (2, 3) None
    """
    hp = h5py()
    current = group
    parts = [p for p in key.split("/") if p]
    try:
        for i, part in enumerate(parts):
            if not is_group(current):
                return None
            link = current.get(part, getlink=True)
            if link is None:
                return None
            if isinstance(link, hp.ExternalLink):
                raise SavedFileError(f"File '{path}': '{current.name.rstrip('/')}/{part}' is a link to another file "
                                     f"('{link.filename}'); refusing to follow it")
            current = current.get(part)
    except SavedFileError:
        raise
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        raise SavedFileError(f"File '{path}': cannot open '{group.name}/{key}' ({e}); the file is damaged") from None
    return current


def dataset_shape(group, key, path):
    """``(dataset, shape, dtype)`` of the dataset at ``key`` inside ``group``, with clear errors when it is
    absent, not a dataset, or stored outside the file.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     f["dense/kernel:0"] = np.zeros((2, 3), "float32")
        ...     ds, shape, dtype = dataset_shape(f["dense"], "kernel:0", path)
        ...     print(shape, dtype)
        (2, 3) float32
    """
    obj = get_internal(group, key, path)
    if obj is None:
        raise SavedFileError(f"File '{path}': '{group.name}' lists weight '{key}' but holds no dataset at "
                             f"'{group.name}/{key}'; the file is incomplete or damaged")
    if not is_dataset(obj):
        raise SavedFileError(f"File '{path}': '{group.name}/{key}' should be a weight array but is a group")
    if obj.external or obj.is_virtual:
        raise SavedFileError(f"File '{path}': weight '{obj.name}' keeps its data outside the file (external or "
                             f"virtual storage); refusing to read it")
    return obj, tuple(obj.shape) if obj.shape is not None else (), obj.dtype


def read_dataset(ds, path, file_size=None):
    """The dataset's values as a numpy array, after checking that its declared size can be real.

    Args:
        ds: an open h5py dataset.
        path: the file's path, for the error messages.
        file_size: the file's size in bytes; an uncompressed dataset declaring more is refused.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py().File(path, "w") as f:
        ...     f["bias:0"] = np.arange(3, dtype="float32")
        ...     print(read_dataset(f["bias:0"], path))
        [0. 1. 2.]
    """
    shape = tuple(ds.shape) if ds.shape is not None else ()
    compressed = ds.compression is not None or nfilters(ds) > 0
    check_declared_array(path, ds.name, shape, ds.dtype, file_size=file_size, compressed=compressed)
    if ds.dtype.kind not in "fiub":
        raise SavedFileError(f"File '{path}': '{ds.name}' holds {getattr(ds, 'dtype_text', ds.dtype)} data, not "
                             f"numbers; the file is damaged")
    try:
        return np.asarray(ds[()])
    except SavedFileError:
        raise
    except (OSError, RuntimeError, ValueError) as e:
        raise SavedFileError(f"File '{path}': cannot read '{ds.name}' ({e}); the file is truncated or "
                             f"damaged") from None
