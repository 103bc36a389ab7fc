"""How many threads the BLAS library may use for autograd's matrix products.

numpy hands every matrix product to its BLAS library (OpenBLAS in numpy's wheels), which splits a product
over all its threads once it is bigger than a small fixed size, and whose threads keep spinning for a while
after each product. Next to ``autograd.parallel``'s regions (the convolutions and poolings, whose pieces run
in threads of their own) those spinning threads take the cores the pieces need; elsewhere the split pays.
Measured on the 2-core AMD EPYC benchmark VM (2026-12-07), the same process alternating between settings:
MLP step 1.99 ms with its products in the library's two threads, 2.60 ms in one; Transformer encoder step
24.5 vs 32.6 ms; the CNN step 11.9 ms with the convolutions' and its small Dense products in one thread,
18.8 ms with them split. (On the Intel VM of 2026-11-29 one thread was faster for the MLP too, 2.18 vs
2.48 ms: where that holds, set ``AUTOGRAD_BLAS_LARGE_WORK``.)

So autograd runs the products of its convolution ops (``matmul_single``), a loop of small products such
as a recurrence's steps (``single_threaded()``), and every product within half a second of a parallel region
(a model with convolutions: one split Dense product at the end of a MobileNetV2 forward slowed the next
forward's pieces by ~40%) in one BLAS thread; every other product (``matmul``) runs in the library's threads,
or in one thread when it has fewer than ``LARGE_WORK`` multiply-adds in all (4 Mi
unless the environment variable ``AUTOGRAD_BLAS_LARGE_WORK`` sets it: a CNN's small Dense products were the
ones whose spinning threads slowed its pooling, 11.9 ms a step at 4 Mi against 18.8 ms at 0, while the
MLP's and the Transformer's products, 4 Mi and larger, gain from the split). The policy is off (numpy's behaviour
unchanged) when the library is not OpenBLAS with its thread-count functions, when it runs one thread anyway,
when the user chose a thread count (``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS`` or ``OMP_NUM_THREADS``
set), and with ``AUTOGRAD_BLAS_POLICY=0``. Products of the user's own numpy code are never affected: the
thread count is restored after each product. The library is found with threadpoolctl (the optional ``speed``
extra); without it the policy is off.

Example:
    >>> from autograd import blas
    >>> blas.matmul(np.ones((2, 3)), np.ones((3, 4))).shape
    (2, 4)
    >>> with blas.single_threaded():
    ...     y = np.ones((4, 4)) @ np.ones((4, 4))
"""
import ctypes
import os
import time

import numpy as np



def _large_work_from_environment():
    value = os.environ.get("AUTOGRAD_BLAS_LARGE_WORK", "").strip()
    try:
        return max(0, int(value)) if value else 4 << 20
    except ValueError:
        raise ValueError("AUTOGRAD_BLAS_LARGE_WORK must be a whole number of multiply-adds, "
                         f"received {value!r}") from None


#: plain products (``matmul``) with fewer multiply-adds (per matrix) than this run in one thread
LARGE_WORK = _large_work_from_environment()
# NOTE: OpenBLAS itself runs products of at most 65536 * 4 multiply-adds in one thread (its
# GEMM_MULTITHREAD_THRESHOLD): below that nothing is switched.
_LIBRARY_SINGLE = 65536 * 4
_USER_SETTINGS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")

# NOTE: OpenBLAS's threads spin for a while after a product split over them; where autograd.parallel's
# regions ran within this many seconds (a model with convolutions), plain products stay in one thread too
REGION_RECENT_SECONDS = 0.5
_last_region = [-1e9]     # time.monotonic() at the end of the last parallel region (parallel.run sets it)

_get = _set = None        # the library's functions while the policy is in effect
_lib_get = _lib_set = None  # the library's functions, whether or not the policy is in effect


def _find_openblas():
    """The get/set thread-count functions of the OpenBLAS library numpy loaded, or (None, None).

    The library is found by threadpoolctl (the ``speed`` extra: ``pip install "kerasfront[speed]"``), which
    knows where every BLAS and OpenMP runtime of the process lives; without it the policy is off and numpy
    behaves as it always does. The two functions are then called through ctypes directly: ~0.3 us a call,
    where threadpoolctl's own setter takes ~3.5 us, which a product of a small model would feel.
    """
    try:
        import threadpoolctl
    except ImportError:
        return None, None
    try:
        controllers = threadpoolctl.ThreadpoolController().select(internal_api="openblas").lib_controllers
    except Exception:           # noqa: BLE001 (a broken runtime must not stop autograd from importing)
        return None, None
    for controller in controllers:
        lib = getattr(controller, "dynlib", None)
        if lib is None:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]
                return get, put
    return None, None


def _init():
    """Find the library's thread-count functions, and whether the policy applies (see the module's docstring)."""
    global _get, _set, _lib_get, _lib_set
    _get = _set = _lib_get = _lib_set = None
    _lib_get, _lib_set = _find_openblas()
    if (_lib_get is None or os.environ.get("AUTOGRAD_BLAS_POLICY", "1") == "0"
            or any(os.environ.get(name) for name in _USER_SETTINGS)):
        return
    if _lib_get() > 1:
        _get, _set = _lib_get, _lib_set


_init()


def active():
    """Whether the policy is in effect in this process.

    Example:
        >>> from autograd import blas
        >>> blas.active() in (True, False)
        True
    """
    return _get is not None


def controllable():
    """Whether autograd can set the BLAS library's thread count (OpenBLAS found through threadpoolctl), which
    ``autograd.parallel`` needs to run its pieces side by side without oversubscribing the cores.

    Example:
        >>> from autograd import blas
        >>> blas.controllable() in (True, False)
        True
    """
    return _lib_get is not None


def single_threaded_product(m, k, n):
    """Whether a product of an (m, k) by a (k, n) matrix runs in one BLAS thread under the policy.

    Example:
        >>> from autograd import blas
        >>> blas.single_threaded_product(8192, 8192, 8192)
        False
    """
    return _LIBRARY_SINGLE < m * k * n < LARGE_WORK


def matmul(a, b, out=None):
    """``np.matmul(a, b)`` (``out`` as numpy's) with the thread count the policy gives a plain product.

    Example:
        >>> from autograd import blas
        >>> blas.matmul(np.eye(2), np.arange(4.0).reshape(2, 2))
        array([[0., 1.],
               [2., 3.]])
    """
    if _get is None or getattr(a, "size", 0) * getattr(b, "size", 0) <= _LIBRARY_SINGLE:   # see _product
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    return _product(a, b, out, LARGE_WORK)


def matmul_single(a, b, out=None):
    """``np.matmul(a, b)`` in one BLAS thread under the policy: for the products of the convolution ops, which
    run between ``autograd.parallel``'s regions (the library's spinning threads would slow the regions down).

    Example:
        >>> from autograd import blas
        >>> blas.matmul_single(np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
    """
    return _product(a, b, out, None)


def _product(a, b, out, below):
    get = _get
    # NOTE: a product's work (below) is at most a.size * b.size: when that is within what the library runs in one
    # thread anyway, nothing is switched, and the cost of this check is two attribute reads (a (16, 16) product:
    # ~0.15 us over numpy's 1 us, where the shape reads of the work count took ~0.5 us)
    if get is not None and getattr(a, "size", 0) * getattr(b, "size", 0) > _LIBRARY_SINGLE and \
            getattr(a, "ndim", 0) >= 2 and getattr(b, "ndim", 0) >= 2:
        # NOTE: a batched product's work is all its matrices' (the library splits the batch, not each matrix):
        # batch * m * k * n = max(a.size * n, b.size * m), broadcasting included
        work = max(a.size * b.shape[-1], b.size * a.shape[-2])
        if _LIBRARY_SINGLE < work and (below is None or work < below or
                                       time.monotonic() - _last_region[0] < REGION_RECENT_SECONDS):
            threads = get()
            if threads > 1:
                _set(1)
                try:
                    return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
                finally:
                    _set(threads)
    return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)


class single_threaded:
    """Context manager: the products inside run in one BLAS thread (when the policy is active, or always with
    ``force``: autograd.parallel's regions, whose pieces run in threads of their own); for a loop of small
    products, such as a recurrence's steps, at the cost of one switch.

    Example:
        >>> from autograd import blas
        >>> with blas.single_threaded():
        ...     y = np.ones((64, 97)) @ np.ones((97, 256))
    """

    __slots__ = ("_threads", "_force")

    def __init__(self, force=False):
        self._force = force

    def __enter__(self):
        self._threads = 0
        get = _lib_get if self._force else _get
        if get is not None:
            threads = get()
            if threads > 1:
                (_lib_set if self._force else _set)(1)
                self._threads = threads
        return self

    def __exit__(self, *exc):
        if self._threads:
            (_lib_set if self._force else _set)(self._threads)
        return False
