"""The lost-worker watcher: run as a script by ``failures.watch_this_worker`` (it imports nothing of kerasfront).

    python watchdog.py RANK SIZE PID HOST PEER_PIDS

It blocks reading its standard input, a pipe whose other end only the worker holds. The worker writes
``done`` when it exits normally (``failed`` after it reported its own exception). When the pipe closes without
either, the worker vanished; if its peers on this host are all still alive it was the first to go (the others
are the launcher's clean-up), and the watcher prints which worker was lost.

Example:
    $ python watchdog.py 1 3 4242 node7 4241,4243 < pipe
    kerasfront.distribute: worker 1 of 3 (pid 4242 on node7) was lost ...
"""
import os
import sys


def _alive(pid):
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    if os.path.isdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def main(argv):
    rank, size, pid, host, peers = argv[1], argv[2], argv[3], argv[4], argv[5]
    peer_pids = [int(p) for p in peers.split(",") if p]
    data = b""
    stdin = sys.stdin.buffer
    while True:
        try:
            chunk = os.read(stdin.fileno(), 64)
        except InterruptedError:
            continue
        except OSError:
            chunk = b""
        if not chunk:
            break
        data += chunk
    if data.startswith(b"done") or data.startswith(b"failed"):
        return 0
    if not all(_alive(p) for p in peer_pids):
        return 0        # a peer went first: this worker is being cleaned up by the launcher
    sys.stderr.write(f"kerasfront.distribute: worker {rank} of {size} (pid {pid} on {host}) was lost: it ended "
                     f"without finishing (killed by a signal, or by the system, e.g. out of memory); the MPI "
                     f"launcher ends the other workers\n")
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
