"""The benchmark runner: every workload for every system, each in its own process, one after another.

Usage:
    python -m benchmarks                      # everything; writes benchmarks/RESULTS.md
    python -m benchmarks --quick              # few repeats, under about 2 minutes
    python -m benchmarks --only mlp,kerasfront,numpy --no-write
    python -m benchmarks --python torch=/path/to/venv/bin/python
    python -m benchmarks --threads 1          # one thread everywhere: steadier on a busy machine
    python -m benchmarks --rounds 3           # 3 processes per system and workload, taking turns
    python benchmarks/run.py --list           # systems, their interpreters and versions

``--only`` takes names separated by commas (or the flag repeated): workload names or their prefixes
(``ops``, ``mlp`` = ``mlp_step`` + ``mlp_epoch``, ``cnn``, ``lstm``, ``predict``, ``memory``) and system names
(``kerasfront``, ``numpy``, ``torch``, ``tf.keras``, ``keras3-jax``, ``hips-autograd`` and aliases such as
``tf``, ``jax``, ``hips``). Workload names filter workloads, system names filter systems.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

if __package__ in (None, ""):       # run as `python benchmarks/run.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from benchmarks import machine, report  # noqa: E402
from benchmarks.registry import ALIASES, PROBE_MARK, RESULT_MARK, SYSTEMS  # noqa: E402
from benchmarks.workloads import MEMORY_FROM, WORKLOADS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CHILD = os.path.join(HERE, "child.py")
DEFAULT_OUTPUT = os.path.join(HERE, "RESULTS.md")


# -- choosing what to run -------------------------------------------------------------------------

def select(tokens):
    """Split ``--only`` names into (workloads, systems), each in canonical order; all of a kind when none
    of that kind was named. Unknown names raise ValueError listing the valid ones."""
    workloads, systems = [], []
    for raw in tokens:
        for token in filter(None, (t.strip() for t in raw.split(","))):
            name = token.lower()
            if name in SYSTEMS or name in ALIASES:
                systems.append(ALIASES.get(name, name))
                continue
            if name == "memory":
                name = MEMORY_FROM
            matched = [w for w in WORKLOADS if w == name or w.startswith(name)]
            if not matched:
                raise ValueError(
                    f"--only: unknown name {token!r}; expected a workload ({', '.join(WORKLOADS)}, memory, or a "
                    f"prefix such as mlp) or a system ({', '.join(SYSTEMS)}, or {', '.join(sorted(ALIASES))})")
            workloads += matched
    return ([w for w in WORKLOADS if w in workloads] if workloads else list(WORKLOADS),
            [s for s in SYSTEMS if s in systems] if systems else list(SYSTEMS))


def interpreters(overrides):
    """The Python executable for each system (see registry.py for the order of lookups)."""
    venvs = os.environ.get("BENCH_VENVS")
    out = {}
    for name, system in SYSTEMS.items():
        path = overrides.get(name) or os.environ.get(f"BENCH_PYTHON_{system.key}")
        if not path and venvs and system.venv:
            candidate = os.path.join(venvs, system.venv, "bin", "python")
            if os.path.exists(candidate):
                path = candidate
        out[name] = path or sys.executable
    return out


def parse_python_overrides(items):
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        name = ALIASES.get(name.strip().lower(), name.strip().lower())
        if not sep or name not in SYSTEMS or not path:
            raise ValueError(f"--python: expected SYSTEM=PATH with SYSTEM one of {', '.join(SYSTEMS)}, "
                             f"received {item!r}")
        out[name] = path
    return out


# -- child processes ------------------------------------------------------------------------------

def child_env(system, threads=None):
    """The environment of a system's child: its own variables, no path to this repository for peers, and
    with ``threads`` the thread count of BLAS and of each framework (read by the system modules)."""
    env = dict(os.environ)
    env.update(SYSTEMS[system].env)
    if threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BENCH_THREADS"):
            env[var] = str(threads)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if not SYSTEMS[system].needs_repo:
        # NOTE: a peer must not see this repository's `autograd` (HIPS autograd has the same import name).
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                 if p and os.path.abspath(p) != REPO]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        if not paths:
            del env["PYTHONPATH"]
    return env


def _marked(stdout, mark):
    return [json.loads(line[len(mark):]) for line in stdout.splitlines() if line.startswith(mark)]


def _tail(text, n=3):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:])


def call_child(python, args, system, timeout, mark, threads=None):
    """Run child.py with ``args`` under ``python``: (its marked JSON lines, a failure dict or None)."""
    if not os.path.exists(python):
        return [], {"status": "not installed", "error": f"no interpreter at {python}"}
    try:
        done = subprocess.run([python, CHILD] + args, env=child_env(system, threads), cwd=REPO, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return _marked(out, mark), {"status": "failed", "error": f"timed out after {timeout:.0f} s"}
    found = _marked(done.stdout, mark)
    for r in found:
        if r.get("status") == "failed":
            r["stderr_tail"] = _tail(done.stderr, 8)
    failure = None
    if done.returncode != 0:
        failure = {"status": "failed",
                   "error": f"exit code {done.returncode}: {_tail(done.stderr) or _tail(done.stdout)}"}
    return found, failure


def probe(python, system, timeout=300, threads=None):
    found, failure = call_child(python, ["probe", system], system, timeout, PROBE_MARK, threads)
    return found[-1] if found else (failure or {"status": "failed", "error": "the probe printed nothing"})


def run_workloads(python, system, workloads, quick, timeout, threads=None):
    """Results of ``workloads`` run together in one child process, keyed by workload."""
    args = ["run", system, ",".join(workloads)] + (["--quick"] if quick else [])
    found, failure = call_child(python, args, system, timeout * len(workloads), RESULT_MARK, threads)
    out = {r["workload"]: r for r in found}
    for w in workloads:
        if w not in out:
            out[w] = failure or {"status": "failed", "error": "the child printed no result"}
    return out


def plan(workloads, systems, quick, rounds=1):
    """The child processes to start, in order, as (system, [workloads]) pairs.

    A full run starts one process per workload and system, workload by workload (every system measured
    close together in time). ``--quick`` starts one process per system, the mlp epoch first, to save the
    seconds each TensorFlow or JAX import costs. With ``rounds`` > 1 each of those goes ``rounds`` times,
    the systems taking turns (round 1 of every system, then round 2, ...).

    Example:
        >>> plan(["cnn_step"], ["kerasfront", "tf.keras"], False, rounds=2)
        [('kerasfront', ['cnn_step']), ('tf.keras', ['cnn_step']), ('kerasfront', ['cnn_step']), ('tf.keras', ['cnn_step'])]
    """
    if not quick:
        return [(s, [w]) for w in workloads for _ in range(rounds) for s in systems]
    ordered = sorted(workloads, key=lambda w: w != MEMORY_FROM)
    return [(s, ordered) for _ in range(rounds) for s in systems]


def combine_rounds(found):
    """One result from the results of the same system and workload in several processes: the median of
    the processes' medians (and of their peak memory), each process's median kept in ``round_medians_s``.
    A process that did not succeed decides the result.

    Example:
        >>> combine_rounds([{"status": "ok", "median_s": 3.0, "min_s": 2.0, "max_s": 4.0, "repeats": 5,
        ...                  "peak_rss_mb": 100.0}, {"status": "ok", "median_s": 1.0, "min_s": 1.0,
        ...                  "max_s": 2.0, "repeats": 5, "peak_rss_mb": 90.0}])["round_medians_s"]
        [3.0, 1.0]
    """
    if len(found) == 1:
        return found[0]
    for r in found:
        if r.get("status") != "ok":
            return r
    out = dict(found[0])
    out.update(median_s=statistics.median(r["median_s"] for r in found),
               min_s=min(r["min_s"] for r in found), max_s=max(r["max_s"] for r in found),
               repeats=sum(r["repeats"] for r in found), round_medians_s=[r["median_s"] for r in found],
               peak_rss_mb=statistics.median(r["peak_rss_mb"] for r in found),
               times_s=[t for r in found for t in r.get("times_s", [])],
               wall_s=sum(r.get("wall_s", 0.0) for r in found))
    return out


def probe_from_result(r):
    """What a probe would have said, read off a run's result (each carries its versions)."""
    if r.get("status") == "not installed":
        return {"status": "not installed", "error": r.get("error", ""), "python": r.get("python", "?")}
    return {"status": "ok", "versions": r.get("versions", {}), "python": r.get("python", "?")}


def describe_probe(p):
    if p.get("status") == "ok":
        return ", ".join(f"{k} {v}" for k, v in p.get("versions", {}).items())
    return f"{p.get('status', 'not probed')}: {p.get('error', '')}"


# -- main -----------------------------------------------------------------------------------------

def build_parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="few repeats: the whole run in about 2 minutes")
    p.add_argument("--only", action="append", default=[], metavar="NAMES",
                   help="comma-separated workload and/or system names (repeatable)")
    p.add_argument("--no-write", action="store_true", help="print the table only; leave RESULTS.md alone")
    p.add_argument("--output", default=DEFAULT_OUTPUT, help="where to write the results (default: %(default)s)")
    p.add_argument("--json", metavar="PATH", help="also write every raw result as JSON to PATH")
    p.add_argument("--python", action="append", default=[], metavar="SYSTEM=PATH",
                   help="interpreter for a system, e.g. torch=/opt/venvs/torch/bin/python (repeatable)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds allowed to one child process (default 900, 300 with --quick)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="threads for BLAS and every framework (default: theirs, all cores); "
                        "--threads 1 keeps figures steadier on a busy machine")
    p.add_argument("--rounds", type=int, default=1, metavar="N",
                   help="start each system's process N times, the systems taking turns, and report the median "
                        "of the processes' medians (this VM's speed varies from one process to the next)")
    p.add_argument("--label", help="a line printed at the top of RESULTS.md, e.g. 'contended: other jobs ran'")
    p.add_argument("--list", action="store_true", help="show each system's interpreter and versions, then stop")
    return p


def log(text):
    print(text, file=sys.stderr, flush=True)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        workloads, systems = select(args.only)
        overrides = parse_python_overrides(args.python)
    except ValueError as e:
        parser.error(str(e))
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads: expected a positive number of threads, received {args.threads}")
    if args.rounds < 1:
        parser.error(f"--rounds: expected a positive number of rounds, received {args.rounds}")
    pythons = interpreters(overrides)
    timeout = args.timeout or (300.0 if args.quick else 900.0)

    if args.list:
        for s in systems:
            p = probe(pythons[s], s, threads=args.threads)
            log(f"{s:14s} {pythons[s]}  {describe_probe(p)}")
        return 0

    meter = machine.CpuMeter()
    info = machine.describe(REPO)
    per_round = {w: {} for w in workloads}     # workload -> system -> one result per process
    probes = {}
    for s, group in plan(workloads, systems, args.quick, args.rounds):
        if probes.get(s, {}).get("status") == "not installed":
            for w in group:
                per_round[w].setdefault(s, []).append(dict(probes[s]))
            continue
        started = time.monotonic()
        for w, r in run_workloads(pythons[s], s, group, args.quick, timeout, args.threads).items():
            per_round[w].setdefault(s, []).append(r)
            probes.setdefault(s, {})
            if r.get("versions") or r.get("status") == "not installed":
                probes[s] = probe_from_result(r)
            log(f"{w:10s} {s:14s} {report.cell({w: {s: r}}, w, s)}")
        log(f"{'':10s} {s:14s} [{time.monotonic() - started:.1f} s in its process; {describe_probe(probes[s])}]")
    results = {w: {s: combine_rounds(rs) for s, rs in by_system.items()} for w, by_system in per_round.items()}
    extras = {}
    if "ops" in workloads and report.OURS in systems and probes.get(report.OURS, {}).get("status") == "ok":
        found, failure = call_child(pythons[report.OURS], ["no_grad"] + (["--quick"] if args.quick else []),
                                    report.OURS, timeout, RESULT_MARK, args.threads)
        extras["no_grad"] = found[-1] if found else failure
        log(f"{'no_grad':10s} {report.OURS:14s} {report.no_grad_summary(extras['no_grad'])}")
    usage = meter.stop()

    print(report.results_table(results, systems))
    print()
    print(report.ratio_table(results, systems))
    print()
    print(report.targets_table(results, extras))
    if usage["foreign_share"] > 0.10:
        log(f"warning: other processes used {usage['foreign_share']:.0%} of the CPU during the run; "
            f"the figures are not reliable")

    command = "python -m benchmarks" + "".join(" " + shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "cpu_usage": usage, "probes": probes, "interpreters": pythons,
                       "results": results, "extras": extras, "quick": args.quick}, f, indent=1)
    if not args.no_write:
        previous = None
        if os.path.exists(args.output):
            with open(args.output) as f:
                previous = f.read()
        text = report.render(results, probes, systems, pythons, info, usage, command, args.quick,
                             label=args.label, notes=report.kept_notes(previous), threads=args.threads,
                             scaling=report.kept_scaling(previous),
                             extras=extras, rounds=args.rounds)
        with open(args.output, "w") as f:
            f.write(text)
        log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
