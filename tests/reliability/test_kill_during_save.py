"""A save interrupted at any moment (SIGKILL, an error, Ctrl-C) leaves the previous file or the new one, and
whichever it is loads.

A subprocess saves the same path over and over (``save_weights``, and ``ModelCheckpoint`` after every batch,
whole model or weights only) and is killed at a random moment. The file left behind must load and hold exactly
the last fully written version or the one being written. (``model.save`` to .h5 / .keras killed at random is
tests/kerasfront/test_saving_safety.py's; the worker supports those modes too.)

Example:
    >>> model.save("model.h5")        # killed halfway: model.h5 is still the previous, loadable file
"""
import glob
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import kerasfront as keras
from tests.reliability import _save_worker as worker

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FILE_NAMES = {"h5": "model.h5", "keras": "model.keras", "weights": "model_weights.h5",
              "checkpoint": "ckpt.h5", "checkpoint_weights": "ckpt_weights.h5"}


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _load_checksum(mode, path):
    if mode in ("weights", "checkpoint_weights"):
        model = worker.build()
        model.load_weights(path)
    else:
        model = keras.models.load_model(path)
        assert model.optimizer is not None        # the compile arguments and optimizer state came back too
    return worker.checksum(model.get_weights())


def _kill_while_saving(mode, path, wait_for_done, delay):
    """Start the worker, wait until save number ``wait_for_done`` finished (0: until the first one started),
    sleep ``delay`` seconds, SIGKILL it; return {version: checksum} started and the set of versions done."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.reliability._save_worker", mode, str(path)], cwd=REPO,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        trigger = f"done {wait_for_done}" if wait_for_done else "start 1 "
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(trigger):
                break
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        lines.extend(proc.stdout.read().splitlines())
        stderr = proc.stderr.read()
    finally:
        proc.stdout.close()
        proc.stderr.close()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, stderr
    started, done = {}, set()
    for line in lines:
        parts = line.split()
        if parts and parts[0] == "start":
            started[int(parts[1])] = parts[2]
        elif parts and parts[0] == "done":
            done.add(int(parts[1]))
    return started, done


@pytest.mark.parametrize("mode", ["weights", "checkpoint", "checkpoint_weights"])
def test_a_save_killed_at_a_random_moment_leaves_a_loadable_old_or_new_file(mode, tmp_path):
    rng = np.random.default_rng(sorted(FILE_NAMES).index(mode))
    for attempt, wait_for_done in enumerate((0, int(rng.integers(1, 4)))):
        folder = tmp_path / f"attempt{attempt}"
        folder.mkdir()
        path = folder / FILE_NAMES[mode]
        # NOTE: one save of this ~330k-parameter model takes some 10-40 ms, so a delay of up to 40 ms lands
        # anywhere from "between two saves" to "in the middle of writing the file".
        started, done = _kill_while_saving(mode, path, wait_for_done, float(rng.uniform(0, 0.04)))
        last_done = max(done, default=0)
        allowed = {started[last_done]} if last_done else {None}
        if last_done + 1 in started:
            allowed.add(started[last_done + 1])      # the save in progress may have been renamed into place
        found = _load_checksum(mode, str(path)) if path.exists() else None
        assert found in allowed, (f"{mode}: the file holds {found}, expected one of {allowed} "
                                  f"(last finished save {last_done}, started {sorted(started)})")
        # at worst a stray temporary file is left next to it, and the next save to the same path works
        stray = [f for f in os.listdir(folder) if f != path.name]
        assert all(f.startswith("." + path.name + ".") and f.endswith(".tmp") for f in stray), stray
        model = worker.build()
        if mode in ("weights", "checkpoint_weights"):
            model.save_weights(str(path))
        else:
            model.save(str(path))
        assert _load_checksum(mode, str(path)) == worker.checksum(model.get_weights())


def _saved_model(tmp_path, name):
    model = worker.build()
    path = str(tmp_path / name)
    model.save(path) if not name.endswith("weights.h5") else model.save_weights(path)
    return model, path, open(path, "rb").read()


def _fail_on_call(monkeypatch, owner, attr, n, error):
    """Make ``owner.attr`` work normally for n - 1 calls and raise ``error`` on call n; returns the call count."""
    real = getattr(owner, attr)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            raise error
        return real(*args, **kwargs)
    monkeypatch.setattr(owner, attr, wrapper)
    return calls


def _targets():
    import zipfile

    from kerasfront.saving import hdf5_format, weights_io
    return {
        # after the architecture and the weights are in the new file, before the optimizer state
        "model.h5": (hdf5_format, "save_optimizer_weights", 1),
        # inside the open HDF5 file, before any weight is written
        "model_weights.h5": (weights_io, "save_weights_to_hdf5_group", 1),
        # after the first member of the zip archive was written
        "model.keras": (zipfile.ZipFile, "writestr", 2),
    }


@pytest.mark.parametrize("name, error", [
    ("model_weights.h5", OSError(28, "No space left on device")),
    # Ctrl-C is a BaseException: the temporary file must go on that path too
    ("model_weights.h5", KeyboardInterrupt()), ("model.h5", KeyboardInterrupt()), ("model.keras", KeyboardInterrupt()),
])
def test_a_save_failing_halfway_keeps_the_previous_file_byte_for_byte(tmp_path, monkeypatch, name, error):
    model, path, original = _saved_model(tmp_path, name)
    owner, attr, n = _targets()[name]
    saved_checksum = worker.checksum(model.get_weights())
    model.set_weights([w + 1 for w in model.get_weights()])
    calls = _fail_on_call(monkeypatch, owner, attr, n, error)
    with pytest.raises(type(error)):
        model.save(path) if not name.endswith("weights.h5") else model.save_weights(path)
    monkeypatch.undo()
    assert calls[0] == n                             # the failure really happened inside the save
    assert open(path, "rb").read() == original
    assert os.listdir(tmp_path) == [name]            # the temporary file was removed
    mode = "weights" if name.endswith("weights.h5") else "h5"
    assert _load_checksum(mode, path) == saved_checksum


def test_model_checkpoint_failing_save_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    """ModelCheckpoint whose save fails at epoch 3 (disk full): the error reaches the user and the file still
    holds epoch 2's model."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 64)).astype(np.float32)
    y = rng.normal(size=(16, 10)).astype(np.float32)
    path = str(tmp_path / "ckpt.h5")
    model = worker.build()
    snapshots = {}

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots[epoch] = worker.checksum(self.model.get_weights())
            if epoch == 2:
                from kerasfront.saving import hdf5_format
                _fail_on_call(monkeypatch, hdf5_format, "save_optimizer_weights", 1,
                              OSError(28, "No space left on device"))

    with pytest.raises(OSError, match="No space left"):
        model.fit(x, y, batch_size=8, epochs=5, verbose=0,
                  callbacks=[Snapshot(), keras.callbacks.ModelCheckpoint(path)])
    assert sorted(snapshots) == [0, 1, 2]
    monkeypatch.undo()
    assert _load_checksum("h5", path) == snapshots[1]
    assert glob.glob(str(tmp_path / ".*")) == []
