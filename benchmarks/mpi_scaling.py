"""Scaling of the MLP epoch over MPI workers (issue 15): throughput, and the time spent in the gradient Allreduce.

    python -m benchmarks.mpi_scaling                  # 1 and 2 workers, the 60 000-sample epoch, 3 epochs each
    python -m benchmarks.mpi_scaling --quick          # 8 192 samples, one epoch each (a check that it runs)
    python -m benchmarks.mpi_scaling --workers 1,2,3 --json out.json --write

Each worker count is one ``mpiexec -n K`` job running ``benchmarks/systems/keras_like.py``'s MLP (784-256-128-10,
Adam, global batch 128, shuffled) under ``MultiWorkerMirroredStrategy``, one BLAS thread per worker (so one
worker is one core). Every job reports the epoch time (median), samples per second, and per step the bytes
all-reduced and the seconds inside ``all_reduce_gradients`` (waiting for the slowest worker included), and,
apart from training, the bare ``Allreduce`` of a buffer of the gradients' size (after a barrier: the transport
alone), in ms per MB. ``--write`` puts the table into benchmarks/RESULTS.md's scaling section (between its
``mpi-measured`` markers); record figures from a quiet machine only.

Example:
    $ python -m benchmarks.mpi_scaling --quick
    | workers | epoch | samples/s | speed-up | Allreduce in fit per step | ... |
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS.md")
MEASURED_START = "<!-- mpi-measured:start (written by python -m benchmarks.mpi_scaling --write) -->"
MEASURED_END = "<!-- mpi-measured:end -->"


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        raise SystemExit('mpi_scaling: no mpiexec found; pip install -e ".[mpi]" brings the MPICH wheel and its '
                         'mpiexec')
    return found


# -- inside each worker -----------------------------------------------------------------------------------------


def worker(samples, repeats):
    sys.path.insert(0, HERE)          # workloads and systems.keras_like by plain name, as the runner's children
    import numpy as np

    import kerasfront as keras
    from systems import keras_like
    from workloads import MLP_BATCH, mlp_dataset

    strategy = keras.distribute.MultiWorkerMirroredStrategy()
    size, rank = strategy.num_replicas_in_sync, strategy.cluster_resolver.task_id
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = keras_like.mlp_model(keras)
    x, y = mlp_dataset(samples)
    small = 8 * MLP_BATCH
    model.fit(x[:small], y[:small], batch_size=MLP_BATCH, epochs=1, verbose=0)       # warm-up
    helper = strategy._data_parallel(model)
    comm = strategy._communicator
    epochs, in_fit, steps, nbytes = [], [], [], 0
    for _ in range(repeats):
        if helper is not None:
            helper.stats.update(allreduce_seconds=0.0, allreduce_bytes=0, steps=0)
        comm.comm.Barrier()
        start = time.perf_counter()
        model.fit(x, y, batch_size=MLP_BATCH, epochs=1, verbose=0)
        epochs.append(time.perf_counter() - start)
        if helper is not None:
            in_fit.append(helper.stats["allreduce_seconds"])
            steps.append(helper.stats["steps"])
            nbytes = helper.stats["allreduce_bytes"] / max(helper.stats["steps"], 1)
    n_params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    bare = None
    if size > 1:
        buf = np.ones(n_params, np.float32)
        for _ in range(5):
            comm.allreduce_(buf)
        times = []
        for _ in range(50):
            comm.comm.Barrier()
            t = time.perf_counter()
            comm.allreduce_(buf)
            times.append(time.perf_counter() - t)
        bare = float(np.median(times))
    if rank == 0:
        median = float(np.median(epochs))
        mb = n_params * 4 / 1e6
        per_step = float(np.median([s / max(n, 1) for s, n in zip(in_fit, steps)])) if in_fit else 0.0
        print("RESULT " + json.dumps({
            "workers": size, "samples": samples, "epoch_s": median, "epochs_s": epochs,
            "samples_per_s": samples / median, "params": n_params, "mb_per_step": nbytes / 1e6 if in_fit else 0.0,
            "allreduce_in_fit_ms_per_step": per_step * 1e3,
            "allreduce_in_fit_share": (float(np.median(in_fit)) / median) if in_fit else 0.0,
            "allreduce_bare_ms": bare * 1e3 if bare is not None else None,
            "allreduce_bare_ms_per_mb": bare * 1e3 / mb if bare is not None else None}), flush=True)


# -- the runner ------------------------------------------------------------------------------------------------


def run(workers, samples, repeats, timeout=1800):
    results = []
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in workers:
        cmd = [_mpiexec(), "-n", str(k), sys.executable, "-m", "benchmarks.mpi_scaling", "--worker",
               "--samples", str(samples), "--repeats", str(repeats)]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)        # the launcher and every worker
            out, err = proc.communicate()
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            raise SystemExit(f"mpi_scaling: {' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
        results.append(json.loads(lines[-1][len("RESULT "):]))
    return results


def table(results):
    """The markdown table of ``run``'s results (speed-up against the first worker count)."""
    base = results[0]["samples_per_s"]
    rows = ["| workers | epoch | samples/s | speed-up | MB all-reduced per step | Allreduce in fit per step | "
            "share of the epoch in Allreduce | bare Allreduce (ms per MB) |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        bare = (f"{r['allreduce_bare_ms']:.2f} ms ({r['allreduce_bare_ms_per_mb']:.2f})"
                if r["allreduce_bare_ms"] is not None else "-")
        rows.append(f"| {r['workers']} | {r['epoch_s']:.2f} s | {r['samples_per_s']:.0f} | "
                    f"{r['samples_per_s'] / base:.2f}x | {r['mb_per_step']:.2f} | "
                    f"{r['allreduce_in_fit_ms_per_step']:.2f} ms | {r['allreduce_in_fit_share']:.0%} | {bare} |")
    return "\n".join(rows)


def write_measured(text, path=RESULTS):
    """Replace the measured table between the markers of RESULTS.md's scaling section."""
    with open(path) as f:
        content = f.read()
    start, end = content.find(MEASURED_START), content.find(MEASURED_END)
    if start < 0 or end < start:
        raise SystemExit(f"mpi_scaling --write: {path} has no {MEASURED_START!r} ... {MEASURED_END!r} block")
    content = content[:start + len(MEASURED_START)] + "\n" + text + "\n" + content[end:]
    with open(path, "w") as f:
        f.write(content)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated (default 1,2)")
    parser.add_argument("--samples", type=int, default=None, help="samples per epoch (default 60 000)")
    parser.add_argument("--repeats", type=int, default=None, help="timed epochs per worker count (default 3)")
    parser.add_argument("--quick", action="store_true", help="8 192 samples, one timed epoch")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--write", action="store_true", help="put the table into benchmarks/RESULTS.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    samples = args.samples or (8192 if args.quick else 60_000)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.worker:
        return worker(samples, repeats)
    workers = [int(k) for k in args.workers.split(",")]
    results = run(workers, samples, repeats)
    text = table(results)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.write:
        write_measured(f"Made by `python -m benchmarks.mpi_scaling {' '.join(argv or sys.argv[1:])}` on "
                       f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {samples} samples per epoch, "
                       f"median of {repeats} epochs.\n\n{text}")


if __name__ == "__main__":
    main()
