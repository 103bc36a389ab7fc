"""Limits that keep a hostile or damaged file from exhausting memory while it is read.

A file can declare a weight of 10^12 elements (a chunked, compressed dataset of any declared size takes a
few bytes on disk) or carry a configuration string of gigabytes. Every size is checked against these limits
before anything of that size is allocated.

Example:
    >>> check_declared_array("w.h5", "dense/dense/kernel:0", (10**6, 10**6), np.dtype("float32"))
    Traceback (most recent call last):
    ValueError: ... declares shape (1000000, 1000000) ...
"""
import contextlib
import os
import threading

import numpy as np

__all__ = ["MAX_CONFIG_BYTES", "MAX_INPUT_ELEMENTS", "memory_limit_bytes", "check_declared_array",
           "check_config_size", "human_bytes", "weight_allocation_budget", "stored_weight_bytes",
           "ISOLATE_BY_DEFAULT", "ISOLATED_READ_STALL_SECONDS", "ISOLATED_READ_SECONDS",
           "ISOLATED_READ_BYTES_PER_SECOND", "ISOLATED_READ_MEMORY_BYTES", "isolated_read_seconds",
           "isolated_read_memory"]

#: the largest JSON configuration string accepted (model_config, training_config, config.json)
MAX_CONFIG_BYTES = 64 * 2 ** 20
#: the largest number of elements one sample of a model input may declare (shape inference runs the model
#: on small placeholder batches of this size)
MAX_INPUT_ELEMENTS = 2 ** 28

#: what ``load_model`` / ``load_weights`` do when ``isolate`` is not given: read HDF5 files in a child process
#: (see ``isolation.py``)
ISOLATE_BY_DEFAULT = True
#: the isolated reader is stopped when it makes no progress (one more object or chunk read) for this long: a
#: call into HDF5 that loops never returns, while a large file keeps reporting progress
ISOLATED_READ_STALL_SECONDS = 5.0
#: and in any case after this many seconds ...
ISOLATED_READ_SECONDS = 60.0
#: ... plus one second per this many bytes of file (it reads chunked or compressed datasets itself)
ISOLATED_READ_BYTES_PER_SECOND = 16 * 2 ** 20
#: the memory the isolated reader may use beyond what the process used when it started, plus twice the file
ISOLATED_READ_MEMORY_BYTES = 2 ** 30


def human_bytes(n):
    """``1536`` -> ``'1.5 KiB'``.

    Example:
        >>> human_bytes(1536), human_bytes(100)
        ('1.5 KiB', '100 bytes')
    """
    n = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def memory_limit_bytes():
    """The machine's physical memory (one array larger than this can never be loaded).

    Example:
        >>> memory_limit_bytes() > 2 ** 20
        True
    """
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2 ** 40


def _count(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def isolated_read_seconds(file_size):
    """The isolated reader's overall time limit for a file of ``file_size`` bytes (it is stopped sooner when it
    makes no progress for ``ISOLATED_READ_STALL_SECONDS``).

    Example:
        >>> isolated_read_seconds(0) == ISOLATED_READ_SECONDS
        True
    """
    return float(ISOLATED_READ_SECONDS) + float(file_size) / float(ISOLATED_READ_BYTES_PER_SECOND)


def isolated_read_memory(file_size):
    """The isolated reader's memory budget (bytes) for a file of ``file_size`` bytes.

    Example:
        >>> isolated_read_memory(10) == ISOLATED_READ_MEMORY_BYTES + 20
        True
    """
    return int(ISOLATED_READ_MEMORY_BYTES) + 2 * int(file_size)


def check_declared_array(path, where, shape, dtype, file_size=None, compressed=False):
    """Refuse an array whose declared size cannot be real: larger than the machine's memory, or (stored
    without compression) larger than the file that holds it. Returns the number of bytes.

    Args:
        path: the file's path, for the error message.
        where: the array's name inside the file.
        shape: its declared shape.
        dtype: its declared dtype.
        file_size: the file's size in bytes (None: not compared).
        compressed: whether the array is stored compressed (then it may be larger than the file).

    Example:
        >>> check_declared_array("w.h5", "dense/kernel:0", (2, 3), np.dtype("float32"))
        24
    """
    try:
        itemsize = np.dtype(dtype).itemsize
    except TypeError:
        raise ValueError(f"File '{path}': '{where}' holds data of type {dtype}, which is not a numeric array; the "
                         f"file is damaged or was not written by Keras") from None
    nbytes = _count(shape) * itemsize
    limit = memory_limit_bytes()
    if nbytes > limit:
        raise ValueError(f"File '{path}': '{where}' declares shape {tuple(shape)} ({_count(shape):.3g} elements, "
                         f"{human_bytes(nbytes)}), more than this machine's memory ({human_bytes(limit)}); refusing "
                         f"to load it (the file is damaged or hostile)")
    if file_size is not None and not compressed and nbytes > file_size:
        raise ValueError(f"File '{path}': '{where}' declares shape {tuple(shape)} ({human_bytes(nbytes)}) but the "
                         f"whole file is {human_bytes(file_size)}; the file is truncated or damaged")
    return nbytes


def check_config_size(path, what, nbytes, limit=None):
    """Refuse a configuration string longer than ``MAX_CONFIG_BYTES`` (or ``limit`` when given).

    Example:
        >>> check_config_size("m.h5", "the model config", 2048, limit=1024)
        Traceback (most recent call last):
        ValueError: File 'm.h5': the model config is 2.0 KiB long, more than the 1.0 KiB ...
    """
    limit = MAX_CONFIG_BYTES if limit is None else limit  # read at call time: users may raise it
    if nbytes > limit:
        raise ValueError(f"File '{path}': {what} is {human_bytes(nbytes)} long, more than the {human_bytes(limit)} "
                         f"a model configuration may take; refusing to parse it (the file is damaged or hostile). "
                         f"Raise kerasfront.saving.limits.MAX_CONFIG_BYTES if the file is trusted.")


#: room for weights a loaded model creates beyond those its file stores (factor, then bytes)
BUDGET_FACTOR = 2
BUDGET_SLACK_BYTES = 64 * 2 ** 20


@contextlib.contextmanager
def weight_allocation_budget(path, stored_bytes):
    """While building a model from a file's config, refuse any weight that would take the total beyond what
    the file stores (times ``BUDGET_FACTOR``, plus ``BUDGET_SLACK_BYTES``): a config asking for
    ``Dense(10**12)`` fails before that memory is touched. Only the calling thread is checked.

    Example:
        >>> with weight_allocation_budget("model.h5", 4096):
        ...     model = model_from_config(config)
    """
    from ..engine import base_layer
    from .h5_utils import SavedFileError
    budget = int(stored_bytes) * BUDGET_FACTOR + BUDGET_SLACK_BYTES
    state = {"used": 0}
    thread = threading.get_ident()

    def check(layer, name, shape, dtype):
        if threading.get_ident() != thread:
            return
        try:
            nbytes = _count(shape) * np.dtype(dtype).itemsize
        except TypeError:
            return
        state["used"] += nbytes
        if state["used"] > budget:
            raise SavedFileError(
                f"File '{path}': its model configuration asks layer '{layer.name}' for a weight '{name}' of shape "
                f"{tuple(shape)} ({human_bytes(nbytes)}); with it the model's weights would take "
                f"{human_bytes(state['used'])}, far more than the {human_bytes(stored_bytes)} of weights the file "
                f"stores. Refusing to build it (the file is damaged or hostile).")

    base_layer.WEIGHT_ALLOCATION_CHECKS.append(check)
    try:
        yield
    finally:
        base_layer.WEIGHT_ALLOCATION_CHECKS.remove(check)


def stored_weight_bytes(group, path, file_size=None):
    """The bytes the datasets under an HDF5 ``group`` declare, each checked to be possible first.

    Example:
        >>> import os, tempfile, h5py
        >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
        >>> with h5py.File(path, "w") as f:
        ...     f["dense/kernel:0"] = np.zeros((2, 3), "float32")
        ...     print(stored_weight_bytes(f, path))
        24
    """
    from .h5_utils import is_dataset, nfilters
    total = [0]

    def visit(name, obj):
        if is_dataset(obj):
            shape = tuple(obj.shape) if obj.shape is not None else ()
            total[0] += check_declared_array(path, obj.name, shape, obj.dtype, file_size=file_size,
                                             compressed=nfilters(obj) > 0)

    group.visititems(visit)
    return total[0]
