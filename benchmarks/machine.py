"""What the benchmarks ran on: CPU, cores, OS, Python, numpy and its BLAS, and how busy the machine was.

Example:
    >>> info = describe()
    >>> sorted(info)[:3]
    ['blas', 'commit', 'cores']
    >>> meter = CpuMeter(); _ = sum(range(10**5)); meter.stop()["foreign_share"] >= 0.0
    True
"""
import datetime
import os
import platform
import resource
import subprocess
import sys
import time


def cpu_model():
    """The processor's marketing name, from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info():
    """numpy's BLAS as a short string: the build's library and version, and at run time (when threadpoolctl
    is installed) the kernel architecture and thread count."""
    import numpy as np
    parts = []
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        if blas:
            parts.append(f"{blas.get('name', '?')} {blas.get('version', '')}".strip())
    except Exception:       # older numpy: no mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                parts.append(f"{pool.get('internal_api')} {pool.get('version')}, {pool.get('architecture')}, "
                             f"{pool.get('num_threads')} threads")
    except ImportError:
        parts.append("threadpoolctl not installed: runtime BLAS threads unknown")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE"):
        if os.environ.get(var):
            parts.append(f"{var}={os.environ[var]}")
    return "; ".join(parts) or "unknown"


def git_commit(repo):
    try:
        out = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "") if out.returncode == 0 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def describe(repo=None):
    """A dict of facts about this machine and this interpreter."""
    import numpy as np
    repo = repo or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": f"{platform.python_version()} ({sys.executable})",
        "numpy": np.__version__,
        "blas": blas_info(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(repo),
        "load_average": _load(),
    }


def _load():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "?"


def _busy_jiffies():
    """Total busy CPU time of the whole machine so far, in seconds, or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)     # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class CpuMeter:
    """Measures how much CPU other processes used while the benchmarks ran.

    ``foreign_share`` is the CPU time of everything but this process and its children, as a fraction of
    all the cores over the wall time: 0 on a quiet machine, 0.5 when other work kept half the cores busy.
    """

    def __init__(self):
        self.wall = time.monotonic()
        self.busy = _busy_jiffies()
        self.own = _own_cpu()

    def stop(self):
        wall = time.monotonic() - self.wall
        busy = _busy_jiffies()
        own = _own_cpu() - self.own
        if busy is None or self.busy is None or wall <= 0:
            return {"wall_s": wall, "foreign_share": 0.0, "known": False}
        foreign = max(0.0, (busy - self.busy) - own)
        return {"wall_s": wall, "foreign_share": foreign / (wall * (os.cpu_count() or 1)), "known": True}
