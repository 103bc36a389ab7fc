"""A failing worker ends the whole job, and the output names it.

Two cases, installed once per process when a strategy has more than one worker:

- An uncaught Python exception on a worker: the traceback is printed, then a line naming the worker, then
  ``MPI_Abort`` ends every worker (without it the others would wait in their next collective forever).
- A worker that vanishes (killed by a signal, by the out-of-memory killer): the MPI launcher kills the others
  at once, but MPICH's launcher names only the lost process's PID. So worker 0 prints which PID is which
  worker when the strategy starts, and each worker starts a small watcher process (``watchdog.py``, in a
  session of its own) that reads a pipe from its worker: at a normal exit the worker writes ``done``; when the
  pipe closes without it, and no peer on the host was seen to end first, the watcher prints which worker was
  lost. The launcher waits for the watcher's output (it holds the same stderr) and forwards it.

Example:
    >>> watch_this_worker(communicator, [("host", 101), ("host", 102)])    # once, inside the strategy
"""
import atexit
import os
import subprocess
import sys

__all__ = ["watch_this_worker"]

_INSTALLED = []


def watch_this_worker(communicator, table):
    """Install the exception hook and start the watcher for this worker (idempotent).

    Args:
        communicator: the job's ``Communicator``.
        table: ``[(host, pid), ...]`` of every worker in rank order.
    """
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    rank, size = communicator.rank, communicator.size
    _install_excepthook(communicator)
    if rank == 0:       # which process is which worker: MPICH's launcher names a lost process by its PID only
        workers = ", ".join(f"worker {r} pid {p} on {h}" for r, (h, p) in enumerate(table))
        sys.stderr.write(f"kerasfront.distribute: {size} workers: {workers}\n")
        sys.stderr.flush()
    host, pid = table[rank]
    peers = [f"{r}:{p}" for r, (h, p) in enumerate(table) if h == host and r != rank]
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "watchdog.py")
    try:
        read_end, write_end = os.pipe()
        proc = subprocess.Popen([sys.executable, "-S", "-E", script, str(rank), str(size), str(pid), host,
                                 ",".join(peers)], stdin=read_end, stdout=subprocess.DEVNULL,
                                start_new_session=True)
        os.close(read_end)
    except OSError as e:      # the job still runs; only the naming of a lost worker is missing
        sys.stderr.write(f"kerasfront.distribute: worker {rank}: could not start the lost-worker watcher ({e})\n")
        return
    _WATCHER[:] = [proc, write_end]
    atexit.register(_tell_watcher, b"done")


_WATCHER = []


def _tell_watcher(message):
    if not _WATCHER:
        return
    proc, fd = _WATCHER
    _WATCHER.clear()
    try:
        os.write(fd, message)
        os.close(fd)
    except OSError:
        pass


def _install_excepthook(communicator):
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        previous(exc_type, exc, tb)
        _tell_watcher(b"failed")
        try:
            sys.stderr.write(f"kerasfront.distribute: worker {communicator.rank} of {communicator.size} failed with "
                             f"{exc_type.__name__}; ending every worker of the job (MPI_Abort)\n")
            sys.stderr.flush()
        finally:
            communicator.abort(1)

    sys.excepthook = hook
