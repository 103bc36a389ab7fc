"""Arrays in ``.npz`` files, read defensively: every member's header is checked against what the caller expects
(shape and dtype) and against the limits before its data is read, and nothing is unpickled.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> write_npz(path, {"w0": np.ones((2, 3), "float32")})
    >>> read_npz(path, {"w0": ((2, 3), "float32")})["w0"].shape
    (2, 3)
"""
import os
import zipfile

import numpy as np

from . import limits
from .h5_utils import SavedFileError

__all__ = ["write_npz", "read_npz", "NUMERIC_DTYPES"]

#: the dtypes an array in a model folder may have
NUMERIC_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                            "float16", "float32", "float64"})


def write_npz(path, arrays):
    """Write ``{key: array}`` to ``path`` (uncompressed, as ``np.savez``).

    Example:
        >>> write_npz(os.path.join(tempfile.mkdtemp(), "a.npz"), {"x": np.zeros(2)})
    """
    for key, a in arrays.items():
        a = np.asarray(a)
        if a.dtype.name not in NUMERIC_DTYPES:
            raise TypeError(f"cannot save array '{key}' of dtype {a.dtype}: only numeric arrays are saved")
    with open(path, "wb") as f:
        np.savez(f, **{k: np.array(v, order="C", copy=True) for k, v in arrays.items()})


def _header(fp, where, path):
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"version {version}")
    except ValueError as e:
        raise SavedFileError(f"File '{path}': '{where}' is not a readable numpy array ({e}); the file is damaged") \
            from None
    return tuple(shape), fortran, np.dtype(dtype)


def read_npz(path, expected):
    """``{key: ndarray}`` for every key of ``expected`` (``{key: (shape, dtype name)}``), each checked first:
    present, the declared shape and dtype, numeric, within the machine's memory and the file's size. Members
    not expected are ignored (never read).

    Raises:
        SavedFileError: naming the file and the array.

    Example:
        >>> read_npz(path, {"w0": ((2, 4), "float32")})
        Traceback (most recent call last):
        kerasfront.saving.h5_utils.SavedFileError: File '...w.npz': array 'w0' has shape (2, 3) and dtype float32; ...
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise SavedFileError(f"File '{path}' is missing")
    file_size = os.path.getsize(path)
    out = {}
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise SavedFileError(f"File '{path}' is not a readable .npz archive ({e}); the folder is damaged") from None
    with zf:
        members = {info.filename: info for info in zf.infolist()}
        for key, (shape, dtype) in expected.items():
            info = members.get(key + ".npy")
            if info is None:
                raise SavedFileError(f"File '{path}' does not hold the array '{key}'; the folder is damaged or "
                                     f"incomplete")
            with zf.open(info) as fp:
                got_shape, fortran, got_dtype = _header(fp, key, path)
                if got_dtype.name not in NUMERIC_DTYPES or got_dtype.hasobject:
                    raise SavedFileError(f"File '{path}': array '{key}' has dtype {got_dtype}, not a numeric dtype; "
                                         f"refusing to read it (the file is damaged or hostile)")
                limits.check_declared_array(path, key, got_shape, got_dtype, file_size=file_size,
                                            compressed=info.compress_type != zipfile.ZIP_STORED)
                if got_shape != tuple(shape) or got_dtype != np.dtype(dtype) or fortran:
                    raise SavedFileError(f"File '{path}': array '{key}' has shape {got_shape} and dtype {got_dtype}; "
                                         f"the folder's description says {tuple(shape)} and {np.dtype(dtype).name}; "
                                         f"the folder is damaged")
                nbytes = int(np.prod(got_shape, dtype=np.int64)) * got_dtype.itemsize
                data = fp.read(nbytes + 1)
                if len(data) != nbytes:
                    raise SavedFileError(f"File '{path}': array '{key}' holds {len(data)} bytes of data, not the "
                                         f"{nbytes} its header declares; the file is damaged")
            out[key] = np.frombuffer(data, dtype=got_dtype).reshape(got_shape).copy()
    return out
