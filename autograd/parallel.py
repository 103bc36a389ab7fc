"""Intra-op parallelism: one primitive's work split into a few large independent pieces (rows of the
batch, ranges of a weight) that run at the same time in the calling thread and in worker threads.

numpy releases the GIL inside its loops, copies and BLAS calls, so pieces of ~100 us and more run truly in
parallel; numpy's elementwise passes have no threads of their own, and BLAS's own threads cannot help
the passes around a product (see ``autograd.blas``). The split of a given size is always the same, the
first piece in the calling thread, so op after op each thread works on the same rows (its cache keeps
them), and the results do not depend on timing: pieces that write disjoint rows give exactly the numbers
of one call; pieces that are summed (a weight gradient over the batch's halves) give the same sum in
another order (float32 rounding), the same every run.

The number of threads is ``AUTOGRAD_NUM_THREADS``, else the user's ``OMP_NUM_THREADS`` or
``OPENBLAS_NUM_THREADS``, else the number of cores this process may use when autograd can set the BLAS
library's thread count (see ``autograd.blas``), else one; with one, every piece runs in the calling thread.
Inside a parallel region, products run in one BLAS thread each, and a region opened from a worker runs its
pieces one after another.

Example:
    >>> from autograd import parallel
    >>> out = np.empty(10)
    >>> def piece(start, stop):
    ...     out[start:stop] = np.arange(start, stop) ** 2
    >>> _ = parallel.run(piece, parallel.split(10, 1))
    >>> out[:4]
    array([0., 1., 4., 9.])
"""
import os
import queue
import threading
import time

from . import blas

__all__ = ["threads", "split", "run"]


def _default_threads():
    value = os.environ.get("AUTOGRAD_NUM_THREADS")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"AUTOGRAD_NUM_THREADS must be a positive integer, received {value!r}") from None
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        try:
            if os.environ.get(name):
                return max(1, int(os.environ[name]))      # the user's thread count, for these threads too
        except ValueError:
            pass
    if not blas.controllable():
        # NOTE: pieces side by side each call BLAS; if its thread count cannot be set to one inside them
        # (threadpoolctl missing), they would oversubscribe the cores: run every piece in the calling thread
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_THREADS = _default_threads()
_workers = []
_local = threading.local()


def threads():
    """How many threads a parallel region uses (1: none).

    Example:
        >>> from autograd import parallel
        >>> parallel.threads() >= 1
        True
    """
    return _THREADS


def set_threads(n):
    """Use ``n`` threads for the parallel regions from now on (1 runs every piece in the calling thread).

    Example:
        >>> from autograd import parallel
        >>> before = parallel.threads(); parallel.set_threads(1); parallel.threads()
        1
        >>> parallel.set_threads(before)
    """
    global _THREADS
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_threads: expected a positive int, received {n!r}")
    _THREADS = n


def split(n, min_size, parts=None):
    """``(start, stop)`` ranges covering ``range(n)`` for a parallel region: at most ``threads()`` (or
    ``parts``) of them, each at least ``min_size`` long (one range when ``n`` is too small to split).

    Example:
        >>> from autograd import parallel
        >>> parallel.split(10, 1, parts=3), parallel.split(10, 8, parts=3)
        ([(0, 4), (4, 7), (7, 10)], [(0, 10)])
    """
    k = _THREADS if parts is None else parts
    k = max(1, min(k, n // max(1, min_size)))
    base, extra = divmod(n, k)
    out, start = [], 0
    for i in range(k):
        stop = start + base + (1 if i < extra else 0)
        out.append((start, stop))
        start = stop
    return out


class _Task:
    __slots__ = ("fn", "args", "result", "error", "done")

    def __init__(self, fn, args):
        self.fn, self.args = fn, args
        self.result = self.error = None
        self.done = threading.Event()


def _worker_loop(tasks):
    _local.worker = True
    while True:
        task = tasks.get()
        try:
            task.result = task.fn(*task.args)
        except BaseException as e:         # handed to the calling thread, which raises it
            task.error = e
        task.done.set()


def _worker(i):
    while len(_workers) <= i:
        tasks = queue.SimpleQueue()
        t = threading.Thread(target=_worker_loop, args=(tasks,), name=f"autograd-parallel-{len(_workers)}",
                             daemon=True)
        t.start()
        _workers.append(tasks)
    return _workers[i]


def _forget_workers():
    # a forked child has none of its parent's threads: it starts its own when it needs them
    _workers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def run(fn, ranges):
    """Call ``fn(start, stop)`` for every range, the first in the calling thread and the others in worker
    threads at the same time; return their results in order. An exception in any piece is raised here
    (after every piece has finished).

    Example:
        >>> from autograd import parallel
        >>> parallel.run(lambda a, b: b - a, [(0, 3), (3, 10)])
        [3, 7]
    """
    if len(ranges) == 1 or _THREADS == 1 or getattr(_local, "worker", False):
        return [fn(a, b) for a, b in ranges]
    with blas.single_threaded(force=True):
        tasks = []
        for i, (a, b) in enumerate(ranges[1:]):
            task = _Task(fn, (a, b))
            _worker(i).put(task)
            tasks.append(task)
        try:
            first = fn(*ranges[0])
        finally:
            for task in tasks:
                task.done.wait()
    blas._last_region[0] = time.monotonic()
    for task in tasks:
        if task.error is not None:
            raise task.error
    return [first] + [task.result for task in tasks]
