"""The lost-worker watcher: run as a script by ``failures.watch_this_worker`` (it imports nothing of kerasfront).

    python watchdog.py RANK SIZE PID HOST PEERS        (PEERS: rank:pid,rank:pid of the workers on this host)

It waits on its standard input, a pipe whose other end only its worker holds, and on the worker's peers on this
host (``os.pidfd_open``; polled where that is missing). The worker writes ``done`` when it exits normally
(``failed`` after it reported its own exception). When the pipe closes without either, the worker vanished:
unless a peer was seen to end strictly before (then this worker is the launcher's clean-up of the others), the
watcher prints which worker was lost. So the first worker to vanish is always named. When the watcher woke only
after a peer had ended too, it cannot tell which went first and says so, naming both.

Example:
    $ python watchdog.py 1 3 4242 node7 0:4241,2:4243 < pipe
    kerasfront.distribute: worker 1 of 3 (pid 4242 on node7) was lost ...
"""
import os
import select
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


def _open_peers(peer_pids):
    """``{fd: pid}`` of pidfds for the peers that run (empty where pidfds are missing: then they are polled)."""
    fds = {}
    for pid in peer_pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except (AttributeError, OSError):
            return {}
    return fds


def main(argv):
    rank, size, pid, host, peers = argv[1], argv[2], argv[3], argv[4], argv[5]
    peer_ranks = dict(tuple(int(v) for v in item.split(":"))[::-1] for item in peers.split(",") if item)
    peer_pids = list(peer_ranks)
    pidfds = _open_peers(peer_pids)
    poll_peers = bool(peer_pids) and not pidfds
    stdin = sys.stdin.fileno()
    data = b""
    peer_went_first = False
    while True:
        try:
            ready, _, _ = select.select([stdin] + list(pidfds), [], [], 0.02 if poll_peers else None)
        except InterruptedError:
            continue
        if stdin not in ready:
            for fd in [fd for fd in ready if fd in pidfds]:
                peer_went_first = True
                os.close(fd)
                del pidfds[fd]
            if poll_peers and not all(_alive(p) for p in peer_pids):
                peer_went_first = True
                poll_peers = False
            continue
        try:
            chunk = os.read(stdin, 64)
        except OSError:
            chunk = b""
        if chunk:
            data += chunk
            continue
        break
    if data.startswith(b"done") or data.startswith(b"failed") or peer_went_first:
        return 0
    gone = sorted(peer_ranks[p] for p in peer_pids if not _alive(p))
    who = f"kerasfront.distribute: worker {rank} of {size} (pid {pid} on {host})"
    cause = "killed by a signal, or by the system, e.g. out of memory"
    if gone:
        sys.stderr.write(f"{who} ended without finishing, at about the same time as worker(s) {gone} on this host: "
                         f"the first of them was lost ({cause}; the launcher's message gives its PID), the MPI "
                         f"launcher ended the others\n")
    else:
        sys.stderr.write(f"{who} was lost: it ended without finishing ({cause}); the MPI launcher ends the other "
                         f"workers\n")
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
