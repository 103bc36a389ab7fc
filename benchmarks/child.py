"""Runs workloads of one system in this interpreter and prints each result as one JSON line.

Several workloads in one process share its imports and its peak-memory reading (``ru_maxrss`` only
grows), so the runner gives a process one workload, except under ``--quick``, where it runs a system's
workloads together with the mlp epoch first (its memory figure is then still its own).

Started by the runner as ``python benchmarks/child.py run SYSTEM WORKLOAD[,WORKLOAD...] [--quick]`` or
``python benchmarks/child.py probe SYSTEM``. It is run as a script, so ``sys.path`` starts at
``benchmarks/`` and never at the repository root: a peer's own ``autograd`` (HIPS) is not shadowed by
this project's. Only the kerasfront system adds the repository root, in its own module.

Example:
    $ python benchmarks/child.py run numpy mlp_step --quick
    BENCH_RESULT {"system": "numpy", "workload": "mlp_step", "status": "ok", "median_s": 0.0021, ...}
"""
import importlib.util
import json
import os
import platform
import resource
import statistics
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMS_DIR = os.path.join(HERE, "systems")
if HERE not in sys.path:
    sys.path.insert(0, HERE)
if SYSTEMS_DIR not in sys.path:
    sys.path.insert(1, SYSTEMS_DIR)

from registry import PROBE_MARK, RESULT_MARK, SYSTEMS  # noqa: E402
from workloads import WORKLOADS, NotAvailable  # noqa: E402


def peak_rss_mb():
    """Peak resident memory of this process so far, in MB (10**6 bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024      # bytes on macOS, KiB on Linux
    return peak * scale / 1e6


def load_system(name):
    system = SYSTEMS[name]
    path = os.path.join(SYSTEMS_DIR, system.module + ".py")
    spec = importlib.util.spec_from_file_location(system.module, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[system.module] = module
    spec.loader.exec_module(module)
    return module


def time_workload(module, workload, quick):
    """Set up, warm up, then time the workload's repeats; returns the list of seconds per run."""
    spec = WORKLOADS[workload]
    maker = getattr(module, workload, None)
    if maker is None:
        raise NotAvailable(f"{module.__name__} has no {workload} workload")
    bench = maker(quick=quick)
    warmup, repeats = (spec.quick_warmup, spec.quick_repeats) if quick else (spec.warmup, spec.repeats)
    if bench.warmup is not None:
        bench.warmup()
    else:
        for _ in range(max(warmup, 1)):
            bench.run()
    clock = time.perf_counter
    times = []
    for _ in range(repeats):
        start = clock()
        bench.run()
        times.append(clock() - start)
    return times


def run(system, workloads, quick):
    """Time each workload in turn in this process, printing one result line after each."""
    module, load_error, versions = None, None, {}
    try:
        module = load_system(system)
        versions = module.versions()
    except ImportError as e:
        load_error = ("not installed", f"{type(e).__name__}: {e}".splitlines()[0][:300])
    except Exception as e:
        traceback.print_exc()
        load_error = ("failed", f"{type(e).__name__}: {e}".splitlines()[0][:300])
    for workload in workloads:
        result = {"system": system, "workload": workload, "quick": quick, "python": platform.python_version(),
                  "versions": versions}
        started = time.perf_counter()
        try:
            if load_error:
                result.update(status=load_error[0], error=load_error[1])
                continue
            times = time_workload(module, workload, quick)
            result.update(status="ok", median_s=statistics.median(times), min_s=min(times),
                          max_s=max(times), repeats=len(times), times_s=times)
        except NotAvailable as e:
            result.update(status="n/a", error=str(e))
        except Exception as e:      # reported as "failed: ..." in the table; the traceback goes to stderr
            traceback.print_exc()
            result.update(status="failed", error=f"{type(e).__name__}: {e}".splitlines()[0][:300])
        finally:
            result["wall_s"] = time.perf_counter() - started
            result["peak_rss_mb"] = peak_rss_mb()
            print(RESULT_MARK + json.dumps(result), flush=True)


def probe(system):
    """Import the system's packages and report their versions, or why they are not installed."""
    result = {"system": system, "python": platform.python_version(), "executable": sys.executable}
    try:
        module = load_system(system)
        result.update(status="ok", versions=module.versions())
    except ImportError as e:
        result.update(status="not installed", error=f"{type(e).__name__}: {e}".splitlines()[0][:300])
    except Exception as e:
        traceback.print_exc()
        result.update(status="failed", error=f"{type(e).__name__}: {e}".splitlines()[0][:300])
    print(PROBE_MARK + json.dumps(result), flush=True)


def no_grad(quick):
    """bench_ops.py's figures for autograd ops under ``no_grad`` against the bare numpy calls."""
    result = {"system": "kerasfront", "workload": "no_grad", "quick": quick}
    try:
        import bench_ops
        result.update(status="ok", ratios=bench_ops.no_grad_ratios(quick))
    except (ImportError, AttributeError) as e:
        result.update(status="n/a", error=f"benchmarks/bench_ops.py: {type(e).__name__}: {e}")
    except Exception as e:
        traceback.print_exc()
        result.update(status="failed", error=f"{type(e).__name__}: {e}".splitlines()[0][:300])
    print(RESULT_MARK + json.dumps(result), flush=True)


def main(argv):
    usage = ("usage: child.py run SYSTEM WORKLOAD[,WORKLOAD...] [--quick] | child.py probe SYSTEM | "
             "child.py no_grad [--quick]")
    workloads = argv[2].split(",") if len(argv) >= 3 else []
    if len(argv) >= 2 and argv[0] == "probe" and argv[1] in SYSTEMS:
        probe(argv[1])
    elif argv and argv[0] == "no_grad":
        no_grad("--quick" in argv[1:])
    elif argv and argv[0] == "run" and argv[1] in SYSTEMS and workloads and all(w in WORKLOADS for w in workloads):
        run(argv[1], workloads, "--quick" in argv[3:])
    else:
        print(f"{usage}\nsystems: {', '.join(SYSTEMS)}\nworkloads: {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
