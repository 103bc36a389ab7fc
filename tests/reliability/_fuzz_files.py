"""Damaged-file fuzzing: copies of saved model files with random bytes overwritten, each loaded with a time
limit, every outcome classified. Shared by the CI test (``test_fuzz_damaged_files.py``, a few dozen mutations)
and the campaign script (``tools/fuzz_model_files.py``, thousands).

A worker process loads many files one after the other (a process start costs more than a load) and reports
each result as one JSON line; the parent gives every load its own time limit, and a worker that hangs or
crashes is killed and replaced, its current file counted as a hang or a crash:

    python -m tests.reliability._fuzz_files JOBS.json

Outcomes:
    same     loaded, and every weight, optimizer variable, config and compile argument is the original's
    changed  loaded, but something differs from the original (the failure checksums exist to prevent)
    error    a clean error: a ValueError / TypeError / OSError / KeyError whose message names the file
    unclean  an error of another type, or one whose message does not name the file
    hang     no result within the time limit
    crash    the worker died (a signal, or an exit without a result)

Example:
    >>> refs = make_references(folder)
    >>> jobs = make_jobs(refs, folder, per_kind=40, seed=0)
    >>> results = run_jobs(jobs, timeout=20)
"""
import json
import os
import select
import signal
import subprocess
import sys
import time
import warnings

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: the file kinds written by kerasfront (their loads must never give changed numbers)
KERASFRONT_KINDS = ("h5_model", "h5_weights", "keras_model")
CLEAN_ERRORS = (ValueError, TypeError, OSError, KeyError)


def _keras():
    sys.path.insert(0, REPO) if REPO not in sys.path else None
    import kerasfront
    return kerasfront


def reference_model():
    """A small model with the parts a file holds: several layers (Dense, BatchNormalization's non-trainable
    weights), a compiled loss and metric, and Adam's state after a few steps."""
    keras = _keras()
    layers = keras.layers
    keras.utils.set_random_seed(7)
    model = keras.Sequential([layers.Dense(6, activation="relu", input_shape=(4,), name="hidden"),
                              layers.BatchNormalization(name="norm"), layers.Dense(3, name="out")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(7)
    model.fit(rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 3)).astype(np.float32),
              batch_size=8, epochs=1, verbose=0)
    return model


def fingerprint(model, with_compile=True):
    """Everything that decides a loaded model's numbers, in a comparable form."""
    state = {"config": json.dumps(model.get_config(), sort_keys=True, default=str),
             "weights": [np.asarray(w) for w in model.get_weights()]}
    optimizer = getattr(model, "optimizer", None) if with_compile else None
    if optimizer is not None:
        state["optimizer"] = (type(optimizer).__name__, json.dumps(optimizer.get_config(), sort_keys=True,
                                                                   default=str))
        state["optimizer_variables"] = [np.asarray(getattr(v, "data", v)) for v in optimizer.variables]
        state["loss"] = json.dumps(getattr(model, "loss", None), sort_keys=True, default=str)
        metrics = getattr(model, "compiled_metrics", None)
        state["metrics"] = json.dumps(getattr(metrics, "_user_metrics", None) if metrics is not None else None,
                                      sort_keys=True, default=str)
    return state


def differences(a, b):
    """The names of the parts in which two fingerprints differ."""
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y) or any(np.shape(p) != np.shape(q) or np.asarray(p).dtype != np.asarray(q).dtype
                                       or not np.array_equal(p, q, equal_nan=True) for p, q in zip(x, y)):
                out.append(key)
        elif x != y:
            out.append(key)
    return out


def make_references(folder):
    """Save the reference model as each file kind; returns ``{kind: path}`` plus the architecture to load
    weights into (``folder/reference.json``) and the expected fingerprints (``folder/reference.npz``)."""
    keras = _keras()
    model = reference_model()
    refs = {"h5_model": os.path.join(folder, "ref_model.h5"),
            "h5_weights": os.path.join(folder, "ref_weights.h5"),
            "keras_model": os.path.join(folder, "ref_model.keras")}
    model.save(refs["h5_model"])
    model.save_weights(refs["h5_weights"])
    model.save(refs["keras_model"])
    with open(os.path.join(folder, "reference.json"), "w") as fh:
        json.dump({"architecture": model.to_json()}, fh)
    tf_keras_file = os.path.join(REPO, "tests", "fixtures", "keras_reference", "cnn_sgd.h5")
    if os.path.exists(tf_keras_file):
        refs["tf_h5_model"] = tf_keras_file
    del keras
    return refs


def mutate(data, rng, max_bytes=20):
    """``data`` with 1 to ``max_bytes`` random bytes overwritten by random values (as a bad disk or a bad
    download does), and the list of ``(offset, old, new)`` changes that actually differ."""
    out = bytearray(data)
    changes = []
    for _ in range(int(rng.integers(1, max_bytes + 1))):
        i = int(rng.integers(0, len(out)))
        new = int(rng.integers(0, 256))
        if out[i] != new:
            changes.append((i, out[i], new))
        out[i] = new
    return bytes(out), changes


def make_jobs(refs, folder, per_kind, seed, kinds=None):
    """``per_kind`` mutated copies of each reference file, written to ``folder``; returns the job list."""
    rng = np.random.default_rng(seed)
    jobs = []
    for kind in kinds or sorted(refs):
        with open(refs[kind], "rb") as fh:
            data = fh.read()
        ext = ".keras" if kind.startswith("keras") else ".h5"
        for i in range(per_kind):
            damaged, changes = mutate(data, rng)
            path = os.path.join(folder, f"{kind}_{seed}_{i}{ext}")
            with open(path, "wb") as fh:
                fh.write(damaged)
            jobs.append({"id": f"{kind}_{seed}_{i}", "kind": kind, "path": path, "ref": refs[kind],
                         "changed_bytes": len(changes)})
    return jobs


# -- the worker ----------------------------------------------------------------------------------------------

def _weights_model(folder):
    keras = _keras()
    with open(os.path.join(folder, "reference.json")) as fh:
        model = keras.models.model_from_json(json.load(fh)["architecture"])
    keras.utils.set_random_seed(99)                   # other initial values than the saved ones
    return model


def _load(kind, path, ref_folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "h5_weights":
            model = _weights_model(ref_folder)
            model.load_weights(path)
            return fingerprint(model, with_compile=False)
        return fingerprint(_keras().models.load_model(path))


def load_one(job, cache):
    """Load one damaged file and classify the outcome (see the module docstring)."""
    ref_folder = os.path.dirname(job["ref"])
    if job["ref"] not in cache:
        cache[job["ref"]] = _load(job["kind"], job["ref"], ref_folder)
    path = job["path"]
    try:
        got = _load(job["kind"], path, ref_folder)
    except CLEAN_ERRORS as e:
        message = str(e)
        clean = os.path.basename(path) in message
        return {"outcome": "error" if clean else "unclean", "type": type(e).__name__, "message": message[:400]}
    except Exception as e:  # noqa: BLE001 - every other error is a finding
        return {"outcome": "unclean", "type": type(e).__name__, "message": str(e)[:400]}
    diff = differences(cache[job["ref"]], got)
    return {"outcome": "changed" if diff else "same", "differs": diff}


def worker(jobs_path):
    """Load every job of ``jobs_path`` (a JSON list) in turn, printing ``start ID`` and then one JSON result.
    ``KERASFRONT_FUZZ_ISOLATE=0`` in the environment loads with ``isolate=False``."""
    with open(jobs_path) as fh:
        jobs = json.load(fh)
    if os.environ.get("KERASFRONT_FUZZ_ISOLATE") == "0":
        from kerasfront.saving import limits
        limits.ISOLATE_BY_DEFAULT = False
    cache = {}
    for job in jobs:
        print(f"start {job['id']}", flush=True)
        result = load_one(job, cache)
        result["id"] = job["id"]
        print(json.dumps(result), flush=True)


# -- the parent ------------------------------------------------------------------------------------------------

def _spawn(jobs, folder, env_extra):
    jobs_path = os.path.join(folder, f"jobs_{os.getpid()}_{time.monotonic_ns()}.json")
    with open(jobs_path, "w") as fh:
        json.dump(jobs, fh)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "tests.reliability._fuzz_files", jobs_path], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)             # the worker and any reader it forked
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_jobs(jobs, folder, timeout=20.0, env_extra=None, progress=None):
    """Run ``jobs`` in worker processes, each load limited to ``timeout`` seconds; returns ``{id: result}``
    (every result also has ``seconds``: how long the load took)."""
    results = {}
    pending = list(jobs)
    while pending:
        proc = _spawn(pending, folder, env_extra)
        buf = b""
        current, started = None, None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + 120.0              # the worker's start (imports, reference loads)
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0:
                _kill(proc)
                if current is not None:
                    results[current] = {"id": current, "outcome": "hang", "seconds": time.monotonic() - started}
                break
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                proc.wait()
                if current is not None:
                    results[current] = {"id": current, "outcome": "crash", "returncode": proc.returncode,
                                        "seconds": time.monotonic() - started}
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                if text.startswith("start "):
                    current, started = text[6:], time.monotonic()
                    deadline = started + timeout
                elif text.startswith("{"):
                    result = json.loads(text)
                    result["seconds"] = time.monotonic() - started
                    results[result["id"]] = result
                    if progress is not None:
                        progress(result)
                    current = None
                    deadline = time.monotonic() + timeout
        proc.stdout.close()
        os.remove(proc.args[-1])
        pending = [j for j in pending if j["id"] not in results]
        if current is not None and progress is not None and current in results:
            progress(results[current])
    return results


def summarize(jobs, results):
    """``{kind: {outcome: count}}``."""
    out = {}
    for job in jobs:
        outcome = results.get(job["id"], {}).get("outcome", "missing")
        out.setdefault(job["kind"], {}).setdefault(outcome, 0)
        out[job["kind"]][outcome] += 1
    return out


if __name__ == "__main__":
    worker(sys.argv[1])
