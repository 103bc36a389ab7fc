"""Data parallelism on real MPI jobs: ``mpiexec -n 2`` and ``-n 3`` on this machine (loopback), few launches,
each under a timeout.

Every case of ``tests/kerasfront/distribute_cases.py`` runs on every worker in one launch per worker count; the
test process then checks that the workers' final weights are bit-identical to each other and equal to a
one-process run on the same global batches within float32 reduction-order rounding: ``|a - b| <= TOL * (1 +
|b|)`` with ``TOL = 2e-6`` (a few float32 ulps; the sums over a global batch are added in another order; measured
up to 2e-7). The same holds for the history (loss, accuracy, AUC, precision, validation), evaluate and predict.
Two more launches kill a worker mid-epoch and resume the job with BackupAndRestore.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.kerasfront import distribute_cases as cases

pytest.importorskip("mpi4py", reason='the MPI tests need the mpi extra: pip install -e ".[mpi]" (the test extra '
                                      'includes it)')

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOL = 2e-6
LAUNCH_TIMEOUT = 240


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        pytest.fail('mpi4py is installed but no mpiexec was found: install the mpi extra (pip install -e ".[mpi]", '
                    'which brings the MPICH wheel and its mpiexec)')
    return found


def launch(n, out_dir, *names, timeout=LAUNCH_TIMEOUT):
    """Run ``distribute_cases`` on ``n`` workers; returns (the completed process, seconds)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [_mpiexec(), "-n", str(n), sys.executable, "-m", "tests.kerasfront.distribute_cases", str(out_dir),
           *names]
    start = time.monotonic()
    # a session of its own: on a timeout the launcher and every worker go together (nothing may hang CI)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} did not finish in {timeout} s (killed):\n{out[-2000:]}\n{err[-4000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), time.monotonic() - start


_JOBS = {}


def run_job(n, tmp_path_factory):
    """One launch of every case on ``n`` workers (once per test session): ``(n, out_dir)``."""
    if n not in _JOBS:
        out = tmp_path_factory.mktemp(f"mpi{n}")
        proc, _ = launch(n, out)
        assert proc.returncode == 0, f"mpiexec -n {n} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        _JOBS[n] = (n, out)
    return _JOBS[n]


@pytest.fixture(scope="module", params=[2, 3], ids=["2 workers", "3 workers"])
def job(request, tmp_path_factory):
    return run_job(request.param, tmp_path_factory)


_REFERENCES = {}


def reference(name, n):
    if (name, n) not in _REFERENCES:
        _REFERENCES[name, n] = cases.run_case(name, workers=n)
    return _REFERENCES[name, n]


def load(out, name, n):
    results = []
    for rank in range(n):
        with np.load(os.path.join(out, f"{name}.rank{rank}.npz")) as d:
            results.append({k: d[k] for k in d.files})
    return results


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_same_numbers_as_one_process(job, name):
    n, out = job
    workers = load(out, name, n)
    ref = reference(name, n)
    assert sorted(workers[0]) == sorted(ref)
    for key in ref:
        if key.startswith("info/"):
            continue
        for rank in range(1, n):       # one identical update everywhere
            np.testing.assert_array_equal(workers[rank][key], workers[0][key], err_msg=f"{key}: worker {rank}")
        got, want = workers[0][key], np.asarray(ref[key])
        assert got.shape == want.shape, key
        err = np.max(np.abs(got - want) / (1 + np.abs(want))) if want.size else 0.0
        assert err <= TOL, f"{name} {key}: relative difference {err:.2e} > {TOL} (workers {got}, one process {want})"


def test_replayed_training_steps_go_through_the_gradient_all_reduce(job):
    n, out = job
    for name in ("dense_adam", "two_outputs_sgd"):
        workers = load(out, name, n)
        # every worker replayed its captured step (and test_same_numbers_as_one_process holds for them)
        assert all(int(w["info/replayed_signatures"]) >= 1 for w in workers), name


def test_per_worker_batchnorm_statistics_are_averaged(job):
    n, out = job
    workers = load(out, "local_batchnorm", n)
    for w in workers[1:]:
        np.testing.assert_array_equal(w["moving_mean"], workers[0]["moving_mean"])
        np.testing.assert_array_equal(w["moving_variance"], workers[0]["moving_variance"])
    # BatchNormalization comes first, so its batch statistics are those of the raw inputs: the mean over the
    # workers of their moving averages follows each step's mean of the workers' statistics
    x, _ = cases._data(48, (3,), seed=10)
    x = x * np.array([1.0, 3.0, 0.5], "float32") + np.array([0.0, 2.0, -1.0], "float32")
    mean, var = np.zeros(3), np.ones(3)
    global_var = np.ones(3)
    for start in range(0, 48, 16):
        batch = x[start:start + 16].astype(np.float64)
        parts = [batch[lo:hi] for lo, hi in (_bounds(16, n, r) for r in range(n))]
        mean = 0.5 * mean + 0.5 * np.mean([p.mean(0) for p in parts], axis=0)
        var = 0.5 * var + 0.5 * np.mean([p.var(0) for p in parts], axis=0)
        global_var = 0.5 * global_var + 0.5 * batch.var(0)
    np.testing.assert_allclose(workers[0]["moving_mean"], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(workers[0]["moving_variance"], var, rtol=1e-5, atol=1e-6)
    assert np.max(np.abs(var - global_var)) > 1e-2        # per-worker statistics, not the global batch's
    # the checkpoint written (by worker 0) at the end of the epoch holds the same averaged statistics
    import kerasfront as keras
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.BatchNormalization(momentum=0.5),
                              keras.layers.Dense(1)])
    model.load_weights(os.path.join(out, "bn_ckpt.weights.h5"))
    np.testing.assert_allclose(model.layers[0].moving_variance.numpy(), var, rtol=1e-5, atol=1e-6)


def _bounds(n, size, rank):
    from kerasfront.distribute.sharding import split_bounds
    return split_bounds(n, size, rank)


def test_only_worker_0_writes_and_every_worker_gets_the_whole_prediction(job):
    import kerasfront as keras
    n, out = job
    files = sorted(os.listdir(out))
    for stem in ("ckpt", "log", "model"):
        written = [f for f in files if f.startswith(f"{stem}.rank")]
        assert len(written) == 1 and ".rank0." in written[0], written
    with open(os.path.join(out, "stdout.rank0.txt")) as f:
        progress = f.read()
    assert "Epoch 1/2" in progress and "Epoch 2/2" in progress and "loss:" in progress
    for rank in range(1, n):
        with open(os.path.join(out, f"stdout.rank{rank}.txt")) as f:
            assert f.read() == ""
    with open(os.path.join(out, "log.rank0.csv")) as f:
        assert f.readline().strip() == "epoch,loss,val_loss" and len(f.readlines()) == 2
    model = keras.models.load_model(os.path.join(out, "model.rank0.h5"))
    x, _ = cases._data(40, (3,), seed=11)
    expected = model.predict(x, verbose=0)
    for result in load(out, "chief_writes", n):
        assert result["predict"].shape == (40, 1)
        np.testing.assert_allclose(result["predict"], expected, rtol=1e-6, atol=1e-6)


def test_workers_that_disagree_fail_at_the_start_with_a_clear_error(job):
    n, out = job
    for rank in range(n):
        with open(os.path.join(out, f"disagreements.rank{rank}.json")) as f:
            messages = json.load(f)
        assert "do not agree" in messages["shapes"] and "has shape (3, 4)" in messages["shapes"], messages
        assert "(3, 5)" in messages["shapes"] and "on worker 1" in messages["shapes"]
        assert "do not agree" in messages["optimizer"] and "learning_rate" in messages["optimizer"]
        assert "on worker 1" in messages["optimizer"]
        assert "generator cannot be split" in messages["generator"] and "Sequence" in messages["generator"]
        assert "the fit data: samples=32 on worker 0 but 31 on worker 1" in messages["data"], messages["data"]
        assert "metrics differ" in messages["metrics"] and "mean_absolute_error" in messages["metrics"], messages
        assert "overrides `train_step`" in messages["train_step"], messages["train_step"]
        assert "MultiWorkerMirroredStrategy" in messages["train_step"], messages["train_step"]


def test_a_lost_worker_ends_the_job_and_a_relaunch_resumes_where_it_was(tmp_path, tmp_path_factory):
    _, out = run_job(2, tmp_path_factory)      # its resume_reference case: the same run, never interrupted
    backup = tmp_path / "backup"
    killed, seconds = launch(2, tmp_path, f"backup:{backup}:2:1", timeout=120)
    output = killed.stdout + killed.stderr
    assert killed.returncode != 0
    assert seconds < 60, f"the job took {seconds:.0f} s to end after worker 1 was killed"
    # the watcher of worker 1 names it ("was lost"; or, when it woke after the launcher's clean-up, "at about the
    # same time as" the others); worker 0 printed which PID is which worker, the PID MPICH's launcher reports
    assert "worker 1 of 2 (pid" in output and "ended without finishing" in output, output[-3000:]
    assert set(re.findall(r"worker (\d+) of 2 \(pid \d+ on \S+\) was lost", output)) <= {"1"}
    pid = re.search(r"worker 1 pid (\d+) on", output).group(1)
    assert f"worker 1 of 2 (pid {pid} " in output
    assert "training_state.npz" in os.listdir(backup)          # written by worker 0 at the end of epoch 1
    resumed, _ = launch(2, tmp_path, f"backup:{backup}", timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    reference_weights = load(out, "resume_reference", 2)[0]
    for rank in range(2):
        with np.load(tmp_path / f"backup.rank{rank}.npz") as d:
            assert list(d["epochs_run"]) == [2, 3]           # killed in epoch 2: the backup of epoch 1 was kept
            for key, want in reference_weights.items():
                np.testing.assert_array_equal(d[key], want, err_msg=key)
    assert not backup.exists()           # deleted by worker 0 once training finished
