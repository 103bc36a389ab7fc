"""Read an HDF5 file's structure in a child process with a time and a memory limit.

The HDF5 C library can loop forever (HDFGroup/hdf5#1707: a damaged global heap), crash, or allocate without
bound on a damaged or crafted file, and no check in Python can stop a call that never returns. So loading
does not call HDF5 in its own process: a child process runs ``h5_reader`` on the file and sends back a
description of everything in it (a frame). The child reports progress as it goes (one byte every few objects)
and is killed when it makes none for ``limits.ISOLATED_READ_STALL_SECONDS`` (5 s: a call into HDF5 that loops
never returns) or runs past ``limits.isolated_read_seconds(size)`` (60 s plus 1 s per 16 MB); its address
space is capped at what it inherited plus ``limits.isolated_read_memory(size)``; a child that dies or is killed
is an error naming the file. The parent then reads the weights' bytes itself, at the offsets the frame gives,
without HDF5, and decodes the frame without unpickling anything.

On Linux the child is forked (about 10 ms; h5py's lock is held across the fork so no other thread is inside
HDF5 at that moment); elsewhere it is a new interpreter running ``h5_reader.py`` (a few hundred ms).
``isolate=False`` runs the same reader in this process: no process start, and no protection.

Example:
    >>> data = read_frame(path="model.h5")              # the frame h5_reader wrote, or SavedFileError
"""
import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import warnings

from . import h5_reader, limits
from .h5_utils import SavedFileError

__all__ = ["read_frame", "START_METHOD", "default_start_method"]


def default_start_method():
    """``"fork"`` on Linux, ``"spawn"`` elsewhere (where forking a process that has started threads is unsafe).

    Example:
        >>> default_start_method() in ("fork", "spawn")
        True
    """
    return "fork" if sys.platform.startswith("linux") and hasattr(os, "fork") else "spawn"


#: how the isolated reader starts: "fork" or "spawn" (tests set it to check both)
START_METHOD = default_start_method()


def _timeout_message(path, stalled, seconds):
    what = (f"made no progress for {limits.ISOLATED_READ_STALL_SECONDS:g} s" if stalled
            else f"did not finish within {seconds:.0f} s")
    knob = "ISOLATED_READ_STALL_SECONDS" if stalled else "ISOLATED_READ_SECONDS"
    return (f"Cannot load '{path}': reading its HDF5 structure {what}, so the reader was stopped. A damaged or "
            f"hostile HDF5 file can make the HDF5 library loop forever (HDFGroup/hdf5#1707); refusing the file. "
            f"(For a trusted file on a very slow disk, raise kerasfront.saving.limits.{knob}.)")


class _Clock:
    """The reader's deadline: ``stall`` seconds after the last progress, ``total`` seconds after the start."""

    def __init__(self, total):
        self.start = self.last = time.monotonic()
        self.total = total
        self.stalled = False

    def progress(self):
        self.last = time.monotonic()

    def remaining(self):
        now = time.monotonic()
        stall_left = self.last + limits.ISOLATED_READ_STALL_SECONDS - now
        total_left = self.start + self.total - now
        self.stalled = stall_left < total_left
        return min(stall_left, total_left)


def _signal_name(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def _crash_message(path, what):
    return (f"Cannot load '{path}': the HDF5 library crashed while reading it (the isolated reader {what}); the "
            f"file is damaged or hostile")


def _fork_child(source, budget, write_fd):
    """In the forked child: describe (a ``.`` written for each bit of progress), write the frame, and leave
    without running any cleanup of the parent's."""
    try:
        import faulthandler
        import gc
        faulthandler.disable()                      # a crash here is the parent's to report, not a traceback
        # NOTE: a collection would walk (and so copy, page by page) the parent's whole heap; the child lives
        # for milliseconds and its memory is capped, so it never collects.
        gc.disable()
        h5_reader.limit_memory(budget)
        try:
            data = h5_reader.describe_source(source, memory_budget=budget // 2,
                                             progress=lambda: os.write(write_fd, h5_reader.PROGRESS))
        except MemoryError:
            data = h5_reader.frame({"error": "MemoryError: the reader ran out of its memory budget",
                                    "memory": True}, [])
        except BaseException as e:  # noqa: BLE001 - reported to the parent, which names the file
            data = h5_reader.frame({"error": f"{type(e).__name__}: {e}"[:2000]}, [])
        view = memoryview(data)
        while view:
            n = os.write(write_fd, view[:1 << 20])
            view = view[n:]
    finally:
        os._exit(0)


def _collect(read_fd, clock, max_bytes, on_timeout):
    """Everything written to ``read_fd`` until it closes, without the progress marks before the frame;
    ``on_timeout()`` and None when the clock runs out, None as well when more than ``max_bytes`` arrive."""
    chunks, total = [], 0
    while True:
        remaining = clock.remaining()
        if remaining <= 0:
            on_timeout()
            return None
        ready, _, _ = select.select([read_fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(read_fd, 1 << 20)
        if not chunk:
            return b"".join(chunks).lstrip(h5_reader.PROGRESS)
        clock.progress()
        total += len(chunk)
        if total > max_bytes:
            return None
        chunks.append(chunk)


def _read_forked(source, path, budget, seconds):
    import h5py._objects
    read_fd, write_fd = os.pipe()
    try:
        with h5py._objects.phil, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)   # "fork() in a multi-threaded process"
            pid = os.fork()
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:                                               # the child
        os.close(read_fd)
        _fork_child(source, budget, write_fd)
    os.close(write_fd)
    timed_out = []

    def kill():
        timed_out.append(True)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    clock = _Clock(seconds)
    try:
        data = _collect(read_fd, clock, budget + (64 << 20), kill)
        if data is None and not timed_out:
            kill()
            timed_out.clear()
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise SavedFileError(_timeout_message(path, clock.stalled, seconds))
    if data is None:
        raise SavedFileError(f"Cannot load '{path}': the isolated HDF5 reader sent more than "
                             f"{limits.human_bytes(budget)}; refusing the file")
    if status != 0:
        what = (f"was killed by signal {_signal_name(os.WTERMSIG(status))}" if os.WIFSIGNALED(status)
                else f"exited with status {os.WEXITSTATUS(status)}")
        raise SavedFileError(_crash_message(path, what))
    return data


#: the time a spawned reader may take to start (import numpy and h5py) before its reading time counts
SPAWN_START_SECONDS = 60.0


class _PipeReader:
    """Reads a child's standard output in a thread (``select`` does not work on pipes everywhere): ``ready`` is
    set when the first byte arrives, ``done`` at the end of the stream or past ``max_bytes``."""

    def __init__(self, stream, max_bytes, clock):
        import threading
        self.stream, self.max_bytes, self.clock = stream, max_bytes, clock
        self.chunks, self.total, self.overflow = [], 0, False
        self.ready, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                chunk = self.stream.read1(1 << 20) if hasattr(self.stream, "read1") else self.stream.read(1 << 20)
                if not chunk:
                    break
                self.ready.set()
                self.clock.progress()
                self.total += len(chunk)
                if self.total > self.max_bytes:
                    self.overflow = True
                    break
                self.chunks.append(chunk)
        except (OSError, ValueError):
            pass
        finally:
            self.ready.set()
            self.done.set()


def _read_spawned(source, path, budget, seconds):
    tmpdir = None
    proc = None
    try:
        if not isinstance(source, str):
            tmpdir = tempfile.mkdtemp(prefix="kerasfront-read-")
            target = os.path.join(tmpdir, "weights.h5")
            with open(target, "wb") as fh:
                fh.write(bytes(source))
            source = target
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if isinstance(p, str) and p)
        cmd = [sys.executable, h5_reader.__file__, source, str(int(budget))]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=env)
        clock = _Clock(seconds)
        reader = _PipeReader(proc.stdout, budget + (64 << 20), clock)
        finished = False
        if reader.ready.wait(SPAWN_START_SECONDS):
            clock = reader.clock = _Clock(seconds)             # the reading starts once the imports are done
            while not finished and clock.remaining() > 0:
                finished = reader.done.wait(max(0.0, min(clock.remaining(), 0.5)))
        if not finished:
            proc.kill()
            proc.wait()
            raise SavedFileError(_timeout_message(path, clock.stalled, seconds))
        if reader.overflow:
            proc.kill()
        proc.wait()
        data = b"".join(reader.chunks)
        data = data[:len(h5_reader.READY)] + data[len(h5_reader.READY):].lstrip(h5_reader.PROGRESS)
        if reader.overflow:
            raise SavedFileError(f"Cannot load '{path}': the isolated HDF5 reader sent more than "
                                 f"{limits.human_bytes(budget)}; refusing the file")
        if proc.returncode != 0 or not data.startswith(h5_reader.READY):
            code = proc.returncode
            what = (f"was killed by signal {_signal_name(-code)}" if code is not None and code < 0
                    else f"exited with status {code}" if code else "sent no description")
            raise SavedFileError(_crash_message(path, what))
        return data[len(h5_reader.READY):]
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if tmpdir is not None:
            import shutil
            shutil.rmtree(tmpdir, ignore_errors=True)


def read_frame(path, data=None, isolate=True, name=None):
    """The frame ``h5_reader`` writes for the file at ``path`` (or for ``data``, the bytes of an HDF5 file),
    read in a child process with a time and memory limit when ``isolate``.

    Args:
        path: the file's path (read unless ``data`` is given).
        data: the file's bytes (a member of a ``.keras`` archive).
        isolate: run the reader in a child process (False: in this process, unprotected).
        name: how messages name the file (default ``path``).

    Example:
        >>> frame = read_frame("model.h5")
    """
    source = data if data is not None else path
    size = len(data) if data is not None else os.path.getsize(path)
    path = name or path
    if not isolate:
        return h5_reader.describe_source(source, memory_budget=limits.memory_limit_bytes())
    budget = limits.isolated_read_memory(size)
    seconds = limits.isolated_read_seconds(size)
    if START_METHOD == "fork":
        return _read_forked(source, path, budget, seconds)
    return _read_spawned(source, path, budget, seconds)
