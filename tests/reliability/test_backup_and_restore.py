"""BackupAndRestore: a run killed (SIGKILL) mid-training and started again resumes from the last finished
epoch with the same weights and optimizer state, and ends where an uninterrupted run ends.

Example:
    >>> model.fit(x, y, epochs=10, callbacks=[keras.callbacks.BackupAndRestore("backup")])
    # killed during epoch 6; the same command again runs epochs 5..9 only (epoch 4 was the last finished)
"""
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import kerasfront as keras
from tests.reliability import _backup_worker as worker

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCHS = 8


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _command(backup_dir, out_path, epochs, kill_at=None):
    cmd = [sys.executable, "-m", "tests.reliability._backup_worker", str(backup_dir), str(out_path), str(epochs)]
    if kill_at is not None:
        cmd += [str(kill_at[0]), str(kill_at[1])]
    return cmd


def _run(backup_dir, out_path, epochs, kill_at=None):
    return subprocess.run(_command(backup_dir, out_path, epochs, kill_at), cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def uninterrupted():
    """Final weights, optimizer variables and per-epoch losses of a run that was never killed."""
    x, y = worker.data()
    model = worker.build()
    history = model.fit(x, y, batch_size=worker.BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    return model.get_weights(), worker.optimizer_state(model), history.history["loss"]


def _load(out_path):
    with np.load(out_path) as d:
        weights = [d[f"w{i}"] for i in range(int(d["num_weights"]))]
        opt = [d[k] for k in sorted((k for k in d.files if k.startswith("o")), key=lambda k: int(k[1:]))]
        return weights, opt, list(d["epochs_run"]), list(d["loss"])


def _assert_same_as_uninterrupted(out_path, uninterrupted):
    weights, opt, epochs_run, losses = _load(out_path)
    ref_weights, ref_opt, ref_losses = uninterrupted
    assert len(weights) == len(ref_weights)
    for a, b in zip(weights, ref_weights):
        np.testing.assert_array_equal(a, b)
    assert len(opt) == len(ref_opt) and len(opt) > 1          # iterations + Adam's m and v per weight
    for a, b in zip(opt, ref_opt):
        np.testing.assert_array_equal(a, b)
    # the resumed run's history holds only the epochs it ran, with the uninterrupted run's numbers
    np.testing.assert_allclose(losses, ref_losses[len(ref_losses) - len(losses):], rtol=0, atol=0)
    return epochs_run


def test_killed_mid_epoch_resumes_from_the_last_finished_epoch(tmp_path, uninterrupted):
    backup, out = tmp_path / "backup", tmp_path / "out.npz"
    killed = _run(backup, out, EPOCHS, kill_at=(3, 2))          # dies after batch 2 of epoch 3
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert killed.stdout.split() == ["started", "epoch", "0", "epoch", "1", "epoch", "2"]
    assert not out.exists()
    # the latest complete backup and the one before it, no stray temporary file
    assert sorted(os.listdir(backup)) == ["training_state.npz", "training_state.previous.npz"]
    resumed = _run(backup, out, EPOCHS)
    assert resumed.returncode == 0, resumed.stderr
    epochs_run = _assert_same_as_uninterrupted(out, uninterrupted)
    assert epochs_run == list(range(3, EPOCHS))                 # epochs 0-2 were finished before the kill
    assert not backup.exists()                                  # delete_checkpoint: removed after a clean end


def test_killed_twice_still_ends_like_an_uninterrupted_run(tmp_path, uninterrupted):
    backup, out = tmp_path / "backup", tmp_path / "out.npz"
    assert _run(backup, out, EPOCHS, kill_at=(1, 0)).returncode == -signal.SIGKILL
    assert _run(backup, out, EPOCHS, kill_at=(5, 4)).returncode == -signal.SIGKILL
    resumed = _run(backup, out, EPOCHS)
    assert resumed.returncode == 0, resumed.stderr
    assert _assert_same_as_uninterrupted(out, uninterrupted) == list(range(5, EPOCHS))


def test_killed_at_random_moments_resumes_exactly(tmp_path, uninterrupted):
    """SIGKILL from outside at random points of the run (inside a batch, between epochs, while the backup is
    being written): the restarted run always ends with the uninterrupted run's weights and optimizer state."""
    rng = np.random.default_rng(2024)
    for attempt in range(3):
        backup, out = tmp_path / f"backup{attempt}", tmp_path / f"out{attempt}.npz"
        after_epoch = int(rng.integers(0, EPOCHS - 2))
        delay = float(rng.uniform(0, 0.004))
        proc = subprocess.Popen(_command(backup, out, EPOCHS), cwd=REPO, env=_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            for line in proc.stdout:
                if line.strip() == f"epoch {after_epoch}":
                    break
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.stdout.close()
            proc.wait(timeout=60)
        backup_left = backup.exists() and "training_state.npz" in os.listdir(backup)
        kept = ("training_state.npz", "training_state.previous.npz")
        stray = [f for f in os.listdir(backup) if f not in kept] if backup.exists() else []
        assert all(f.endswith(".tmp.npz") for f in stray), stray
        resumed = _run(backup, out, EPOCHS)
        assert resumed.returncode == 0, resumed.stderr
        epochs_run = _assert_same_as_uninterrupted(out, uninterrupted)
        # killed after the backup of the last epoch but before it was deleted: nothing is left to run
        assert epochs_run == list(range(epochs_run[0], EPOCHS)) if epochs_run else backup_left
        if proc.returncode != 0 and epochs_run:
            assert epochs_run[0] >= after_epoch + 1


def test_resume_restores_weights_and_optimizer_before_the_first_resumed_step(tmp_path):
    """In one process: after on_train_begin the model holds the backed-up weights, optimizer variables and
    step count, and fit starts at the epoch after the last finished one."""
    x, y = worker.data()
    backup = str(tmp_path / "backup")

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.snapshot = (self.model.get_weights(), worker.optimizer_state(self.model))
                raise KeyboardInterrupt   # stands in for a crash after the backup of epoch 1 was written

    model = worker.build()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=worker.BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(backup), Stop()])
    saved_weights, saved_opt = model.snapshot

    seen = {}

    class Inspect(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not seen:
                seen["epoch"] = epoch
                seen["weights"] = self.model.get_weights()
                seen["opt"] = worker.optimizer_state(self.model)

    fresh = worker.build()
    fresh.fit(x, y, batch_size=worker.BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(backup), Inspect()])
    assert seen["epoch"] == 2
    for a, b in zip(seen["weights"], saved_weights):
        np.testing.assert_array_equal(a, b)
    assert len(seen["opt"]) == len(saved_opt)
    for a, b in zip(seen["opt"], saved_opt):
        np.testing.assert_array_equal(a, b)
    assert int(seen["opt"][0]) == 2 * len(x) // worker.BATCH    # the step counter came back too


def test_a_finished_run_leaves_no_backup_and_the_next_run_starts_fresh(tmp_path):
    x, y = worker.data()
    backup = tmp_path / "backup"
    model = worker.build()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(backup))])
    assert not backup.exists()
    epochs = []
    worker.build().fit(x, y, epochs=2, verbose=0, callbacks=[
        keras.callbacks.BackupAndRestore(str(backup)),
        keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))])
    assert epochs == [0, 1]


def test_keep_checkpoint_when_delete_checkpoint_is_false(tmp_path):
    x, y = worker.data()
    backup = tmp_path / "backup"
    worker.build().fit(x, y, epochs=2, verbose=0,
                       callbacks=[keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)])
    assert sorted(os.listdir(backup)) == ["training_state.npz", "training_state.previous.npz"]
    epochs = []
    worker.build().fit(x, y, epochs=3, verbose=0, callbacks=[
        keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False),
        keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))])
    assert epochs == [2]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam"])
def test_resume_is_exact_for_every_optimizer(tmp_path, name):
    """Each optimizer's whole state comes back, including what lives outside its variables (Nadam's
    momentum-cache product): crash after epoch 2, resume, end with the uninterrupted run's weights."""
    x, y = worker.data()

    def build():
        model = worker.build()
        kwargs = dict(momentum=0.9) if name == "SGD" else {}
        model.compile(optimizer=getattr(keras.optimizers, name)(learning_rate=0.01, **kwargs), loss="mse")
        return model

    reference = build()
    reference.fit(x, y, batch_size=worker.BATCH, epochs=4, shuffle=False, verbose=0)

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    backup = str(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        build().fit(x, y, batch_size=worker.BATCH, epochs=4, shuffle=False, verbose=0,
                    callbacks=[keras.callbacks.BackupAndRestore(backup), Crash()])
    resumed = build()
    resumed.fit(x, y, batch_size=worker.BATCH, epochs=4, shuffle=False, verbose=0,
                callbacks=[keras.callbacks.BackupAndRestore(backup)])
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- a damaged backup -------------------------------------------------------------------------------------------

def _damage(path, where=None):
    """Flip one bit at a fraction ``where`` of the file, or (None) inside the bytes of the first kernel."""
    data = bytearray(open(path, "rb").read())
    if where is None:
        with np.load(path) as backup:
            index = data.find(backup["w0"].tobytes()) + 5
        assert index > 5
    else:
        index = int(len(data) * where)
    data[index] ^= 0x40
    open(path, "wb").write(bytes(data))


def test_a_damaged_latest_backup_is_reported_and_the_previous_one_resumes_exactly(tmp_path, uninterrupted):
    backup, out = tmp_path / "backup", tmp_path / "out.npz"
    assert _run(backup, out, EPOCHS, kill_at=(4, 1)).returncode == -signal.SIGKILL   # backups of epochs 2 and 3
    _damage(backup / "training_state.npz")
    resumed = _run(backup, out, EPOCHS)
    assert resumed.returncode == 0, resumed.stderr
    assert "training_state.npz" in resumed.stderr and "is damaged" in resumed.stderr
    assert "training_state.previous.npz" in resumed.stderr and "(epoch 3)" in resumed.stderr
    assert _assert_same_as_uninterrupted(out, uninterrupted) == list(range(3, EPOCHS))    # epoch 3 runs again


def test_damage_anywhere_in_the_latest_backup_restores_it_exactly_or_falls_back_to_the_previous(tmp_path):
    """40 single-bit flips spread over the latest backup: each restore gives the latest backup's exact state
    (the flip hit bytes that hold no data, such as a zip header's timestamps), or warns and gives the previous
    backup's exact state; never anything else."""
    x, y = worker.data()
    backup = tmp_path / "backup"
    worker.build().fit(x, y, epochs=3, batch_size=worker.BATCH, shuffle=False, verbose=0,
                       callbacks=[keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)])
    latest, previous = backup / "training_state.npz", backup / "training_state.previous.npz"
    good = latest.read_bytes()

    def restored():
        model = worker.build()
        callback = keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)
        callback.set_model(model)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            callback.on_train_begin()
        return model.get_weights(), worker.optimizer_state(model), model._resume_from_epoch, caught

    expected = {"latest": restored()[:3]}
    latest.write_bytes(previous.read_bytes())
    expected["previous"] = restored()[:3]
    assert expected["latest"][2] == 3 and expected["previous"][2] == 2
    outcomes = []
    for k in range(40):
        data = bytearray(good)
        data[(k * len(good)) // 40 + 3] ^= 0x40
        latest.write_bytes(bytes(data))
        weights, opt, epoch, caught = restored()
        which = "previous" if caught else "latest"
        if caught:
            assert "training_state.npz" in str(caught[0].message) and "is damaged" in str(caught[0].message)
        assert epoch == expected[which][2]
        for a, b in zip(weights + opt, expected[which][0] + expected[which][1]):
            np.testing.assert_array_equal(a, b)
        outcomes.append(which)
    assert outcomes.count("previous") >= 20, outcomes         # most flips hit data (the rest, zip header fields)


def test_when_every_backup_is_damaged_training_stops_with_an_error_naming_them(tmp_path):
    x, y = worker.data()
    backup = tmp_path / "backup"
    worker.build().fit(x, y, epochs=2, verbose=0,
                       callbacks=[keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)])
    _damage(backup / "training_state.npz")
    (backup / "training_state.previous.npz").write_bytes(b"")
    model = worker.build()
    before = model.get_weights()
    with pytest.raises(keras.callbacks.BackupDamagedError) as err:
        model.fit(x, y, epochs=3, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(backup))])
    assert "training_state.npz" in str(err.value) and "training_state.previous.npz" in str(err.value)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)            # nothing was trained or restored


def test_a_damaged_latest_backup_is_never_kept_as_the_previous_one(tmp_path):
    """After resuming from the previous backup, the next epoch's backup replaces the damaged latest; the good
    previous one stays beside it (rotating the damaged file into its place would leave one good backup, not two)."""
    from kerasfront.callbacks.backup_and_restore import _read_backup
    x, y = worker.data()
    backup = tmp_path / "backup"
    worker.build().fit(x, y, epochs=3, batch_size=worker.BATCH, shuffle=False, verbose=0,
                       callbacks=[keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)])
    previous = backup / "training_state.previous.npz"
    good_previous = previous.read_bytes()
    _damage(backup / "training_state.npz")
    with pytest.warns(UserWarning, match="is damaged"):
        worker.build().fit(x, y, epochs=3, batch_size=worker.BATCH, shuffle=False, verbose=0,
                           callbacks=[keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)])
    assert int(_read_backup(str(backup / "training_state.npz"))["epoch"]) == 2          # epoch 3 ran again
    assert previous.read_bytes() == good_previous                                      # still the good one
