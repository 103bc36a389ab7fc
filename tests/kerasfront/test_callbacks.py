"""Callbacks driven by a hand-written training loop over a tiny fake model (the real engine is tested
elsewhere): hook order and arguments, History, the progress bar on and off a terminal, early stopping,
checkpoints, CSV logs, learning-rate callbacks, TerminateOnNaN and BackupAndRestore."""
import csv
import io
import os
import sys

import numpy as np
import pytest

import kerasfront.callbacks as C
import kerasfront.optimizers as O
from kerasfront.utils.progbar import Progbar


class FakeModel:
    """What callbacks use of a model: weights, an optimizer, stop_training, save/save_weights."""

    def __init__(self):
        self.weights = [np.zeros((2, 2), np.float32), np.zeros(2, np.float32)]
        self.optimizer = O.SGD(learning_rate=0.1)
        self.stop_training = False
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path, overwrite=True):
        self.saved.append(("model", path))
        open(path, "w").close()

    def save_weights(self, path, overwrite=True):
        self.saved.append(("weights", path))
        open(path, "w").close()


def fit(model, callbacks, epoch_logs, steps=3, batch_logs=None, verbose=0, initial_epoch=0):
    """A minimal fit loop calling the hooks the way the engine does."""
    cbs = C.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model, verbose=verbose,
                         epochs=len(epoch_logs), steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    start = getattr(model, "_resume_from_epoch", initial_epoch)
    for epoch in range(start, len(epoch_logs)):
        cbs.on_epoch_begin(epoch)
        for b in range(steps):
            cbs.on_train_batch_begin(b)
            logs = batch_logs(epoch, b) if batch_logs else {"loss": float(epoch_logs[epoch].get("loss", 0.0))}
            cbs.on_train_batch_end(b, logs)
            if model.stop_training:
                break
        model.weights[0] = model.weights[0] + 1.0   # "training" changes the weights every epoch
        cbs.on_epoch_end(epoch, dict(epoch_logs[epoch]))
        if model.stop_training:
            break
    cbs.on_train_end()
    return model.history


def test_callback_list_calls_every_hook_with_keras_arguments():
    seen = []

    def recorder(name):
        def hook(self, *args):
            seen.append((name,) + args)
            return getattr(C.Callback, name)(self, *args)
        return hook

    hooks = [n for n in dir(C.Callback) if n.startswith("on_")]
    Recorder = type("Recorder", (C.Callback,), {n: recorder(n) for n in hooks})

    model = FakeModel()
    rec = Recorder()
    cbs = C.CallbackList([rec], model=model, verbose=0, epochs=1, steps=2)
    assert rec.model is model and rec.params == {"verbose": 0, "epochs": 1, "steps": 2}
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0, {})
    cbs.on_train_batch_end(0, {"loss": 1.0})
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 2.0})
    cbs.on_test_end({"loss": 2.0})
    cbs.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    cbs.on_train_end()
    cbs.on_predict_begin()
    cbs.on_predict_batch_end(0, {"outputs": np.zeros(2)})
    cbs.on_predict_end()
    names = [s[0] for s in seen]
    assert names[:4] == ["on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_batch_begin"]
    assert ("on_train_batch_end", 0, {"loss": 1.0}) in seen and ("on_batch_end", 0, {"loss": 1.0}) in seen
    assert ("on_epoch_end", 0, {"loss": 1.0, "val_loss": 2.0}) in seen
    assert ("on_test_batch_end", 0, {"loss": 2.0}) in seen
    assert names[-3:] == ["on_predict_begin", "on_predict_batch_end", "on_predict_end"]


def test_batch_hooks_are_skipped_when_nobody_implements_them():
    class EpochOnly(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    cbs = C.CallbackList([EpochOnly()], add_history=True)
    assert not cbs._train_batch and not cbs._test_batch and not cbs._predict_batch
    cbs = C.CallbackList([C.LambdaCallback(on_batch_end=lambda b, logs: None)])
    assert cbs._train_batch
    with pytest.raises(TypeError, match="Callback objects"):
        C.CallbackList([lambda epoch, logs: None])


def test_history_and_lambda_callback_positional_arguments():
    calls = {"epoch_begin": [], "epoch_end": [], "batch_end": [], "train_begin": 0, "train_end": 0}
    lam = C.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls["epoch_begin"].append(epoch),
        on_epoch_end=lambda e, l: calls["epoch_end"].append((e, l["loss"])),   # any parameter names
        on_batch_end=lambda b, l: calls["batch_end"].append(b),
        on_train_begin=lambda logs: calls.__setitem__("train_begin", calls["train_begin"] + 1),
        on_train_end=lambda logs: calls.__setitem__("train_end", calls["train_end"] + 1))
    model = FakeModel()
    history = fit(model, [lam], [{"loss": 0.5, "accuracy": 0.1}, {"loss": 0.25, "accuracy": 0.2}])
    assert calls == {"epoch_begin": [0, 1], "epoch_end": [(0, 0.5), (1, 0.25)], "batch_end": [0, 1, 2] * 2,
                     "train_begin": 1, "train_end": 1}
    assert history.history == {"loss": [0.5, 0.25], "accuracy": [0.1, 0.2]}
    assert history.epoch == [0, 1]
    assert model.history is history
    with pytest.raises(TypeError, match="on_epoch_ends"):
        C.LambdaCallback(on_epoch_ends=lambda e, l: None)


class _Stdout(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self._tty = tty

    def isatty(self):
        return self._tty


def _capture(monkeypatch, tty, fn):
    out = _Stdout(tty)
    monkeypatch.setattr(sys, "stdout", out)
    fn()
    return out.getvalue()


def test_progbar_off_a_terminal_prints_each_epoch_once_without_control_characters(monkeypatch):
    logs = [{"loss": 0.123456, "accuracy": 0.9}, {"loss": 0.0001, "accuracy": 0.95}]
    text = _capture(monkeypatch, False, lambda: fit(FakeModel(), [], logs, steps=32, verbose=1))
    assert "\b" not in text and "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("32/32 [==============================] - 0s ")
    assert lines[1].endswith("/step - loss: 0.1235 - accuracy: 0.9000")
    assert lines[3].endswith(" - loss: 1.0000e-04 - accuracy: 0.9500")


def test_progbar_on_a_terminal_redraws_in_place(monkeypatch):
    bar = []

    def run():
        p = Progbar(target=4, interval=0.0)
        for step in range(1, 5):
            p.update(step, [("loss", 1.0)])
        bar.append(p)

    text = _capture(monkeypatch, True, run)
    assert "\r" in text and text.endswith("\n")
    assert text.count("\n") == 1
    assert "4/4 [==============================]" in text
    assert "1/4 [======>.......................] - ETA" in text


def test_verbose_2_prints_one_line_per_epoch(monkeypatch):
    logs = [{"loss": 0.5}, {"loss": 0.25}]
    text = _capture(monkeypatch, True, lambda: fit(FakeModel(), [], logs, steps=8, verbose=2))
    lines = text.splitlines()
    assert "\b" not in text and "\r" not in text and "[" not in text
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("8/8 - 0s - loss: 0.5000 - ")
    assert lines[1].endswith("/step") and "/epoch" in lines[1]


def test_single_epoch_has_no_epoch_line_and_progbar_averages_non_stateful_values(monkeypatch):
    text = _capture(monkeypatch, False, lambda: fit(FakeModel(), [], [{"loss": 0.5}], steps=2, verbose=1))
    assert not text.startswith("Epoch")

    def run():
        p = Progbar(target=2, verbose=1)
        p.update(1, [("loss", 1.0)])
        p.update(2, [("loss", 3.0)])

    assert "loss: 2.0000" in _capture(monkeypatch, False, run)
    with pytest.raises(ValueError, match="verbose"):
        Progbar(10, verbose=3)


def test_early_stopping_patience_min_delta_and_restore_best_weights(monkeypatch):
    model = FakeModel()
    stop = C.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    losses = [1.0, 0.5, 0.6, 0.55, 0.4, 0.3]
    text = _capture(monkeypatch, False, lambda: fit(model, [stop], [{"loss": 1.0, "val_loss": v} for v in losses]))
    assert model.stop_training and stop.stopped_epoch == 3
    assert len(model.history.history["val_loss"]) == 4
    # best epoch was 1 (val_loss 0.5): weights restored to what they were at its end (two increments)
    np.testing.assert_array_equal(model.weights[0], np.full((2, 2), 2.0))
    assert "Epoch 4: early stopping" in text and "best epoch: 2." in text
    stop = C.EarlyStopping(monitor="val_loss", min_delta=0.2, patience=0)
    fit(FakeModel(), [stop], [{"val_loss": v} for v in (1.0, 0.9, 0.5)])
    assert stop.stopped_epoch == 1   # 0.9 is not an improvement by 0.2
    stop = C.EarlyStopping(monitor="val_accuracy", patience=0)   # auto mode: accuracy is maximized
    fit(FakeModel(), [stop], [{"val_accuracy": v} for v in (0.5, 0.6, 0.55)])
    assert stop.stopped_epoch == 2
    stop = C.EarlyStopping(monitor="loss", patience=2, baseline=0.1)
    fit(FakeModel(), [stop], [{"loss": v} for v in (0.5, 0.4, 0.45)])
    assert stop.stopped_epoch == 2   # improvements that do not beat the baseline do not reset the patience
    stop = C.EarlyStopping(monitor="loss", patience=2)
    fit(FakeModel(), [stop], [{"loss": v} for v in (0.5, 0.4, 0.45)])
    assert stop.stopped_epoch == 0
    with pytest.warns(UserWarning, match="not available"):
        fit(FakeModel(), [C.EarlyStopping(monitor="val_auc")], [{"loss": 1.0}])
    with pytest.raises(ValueError, match="patience"):
        C.EarlyStopping(patience=-1)


def test_model_checkpoint_formats_paths_and_saves_best_only(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "sub" / "ckpt-{epoch:02d}-{val_loss:.2f}.h5")
    ck = C.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    fit(model, [ck], [{"loss": 1, "val_loss": v} for v in (0.9, 1.2, 0.5)])
    assert [os.path.basename(p) for _, p in model.saved] == ["ckpt-01-0.90.h5", "ckpt-03-0.50.h5"]
    assert all(kind == "model" for kind, _ in model.saved)
    model = FakeModel()
    ck = C.ModelCheckpoint(str(tmp_path / "w.{epoch}.weights.h5"), save_weights_only=True)
    fit(model, [ck], [{"loss": 1}] * 2)
    assert model.saved == [("weights", str(tmp_path / "w.1.weights.h5")), ("weights", str(tmp_path / "w.2.weights.h5"))]
    model = FakeModel()
    ck = C.ModelCheckpoint(str(tmp_path / "b{epoch}-{batch}.h5"), save_freq=2)
    fit(model, [ck], [{"loss": 1}], steps=4)
    assert [os.path.basename(p) for _, p in model.saved] == ["b1-2.h5", "b1-4.h5"]
    ck = C.ModelCheckpoint(str(tmp_path / "x-{val_acc:.2f}.h5"))
    with pytest.raises(KeyError, match="val_acc"):
        fit(FakeModel(), [ck], [{"loss": 1}])
    with pytest.raises(ValueError, match="save_freq"):
        C.ModelCheckpoint("x.h5", save_freq="batch")


def test_csv_logger_writes_sorted_columns_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    fit(FakeModel(), [C.CSVLogger(str(path))], [{"loss": 0.5, "acc": 0.1}, {"loss": 0.25, "acc": 0.2}])
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "acc", "loss", "val_acc", "val_loss"]
    assert rows[1] == ["0", "0.1", "0.5", "NA", "NA"] and rows[2] == ["1", "0.2", "0.25", "NA", "NA"]
    fit(FakeModel(), [C.CSVLogger(str(path), separator=";", append=True)], [{"loss": 0.125, "acc": 0.3}])
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[3] == "0;0.3;0.125;NA;NA"


def test_reduce_lr_on_plateau_and_learning_rate_scheduler():
    model = FakeModel()
    red = C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.03)
    history = fit(model, [red], [{"loss": v} for v in (1.0, 1.0, 1.0, 1.0, 1.0)])
    # lr is logged before the reduction; no improvement for 1 epoch halves it, down to min_lr
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.03, 0.03], rel=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.03)
    model = FakeModel()
    sched = C.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    history = fit(model, [sched], [{"loss": 1.0}] * 3)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025], rel=1e-6)
    model = FakeModel()
    fit(model, [C.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], [{"loss": 1.0}] * 2)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="should be float"):
        fit(FakeModel(), [C.LearningRateScheduler(lambda epoch, lr: "fast")], [{"loss": 1.0}])
    with pytest.raises(ValueError, match="factor"):
        C.ReduceLROnPlateau(factor=1.5)


def test_terminate_on_nan_stops_at_the_bad_batch(monkeypatch):
    model = FakeModel()
    seen = []

    def batch_logs(epoch, b):
        seen.append(b)
        return {"loss": float("nan") if b == 1 else 1.0}

    text = _capture(monkeypatch, False, lambda: fit(model, [C.TerminateOnNaN()], [{"loss": 1.0}] * 3, steps=5,
                                                    batch_logs=batch_logs))
    assert model.stop_training and seen == [0, 1]
    assert "Batch 1: Invalid loss, terminating training" in text


def test_backup_and_restore_resumes_weights_optimizer_and_epoch(tmp_path):
    backup = tmp_path / "backup"
    model = FakeModel()
    opt_vars = [np.zeros(1)]

    class Crash(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("preempted")

    with pytest.raises(RuntimeError, match="preempted"):
        fit(model, [C.BackupAndRestore(str(backup)), Crash()], [{"loss": 1.0}] * 4)
    assert os.path.exists(backup / "training_state.npz")
    resumed = FakeModel()
    epochs_run = []
    fit(resumed, [C.BackupAndRestore(str(backup)),
                  C.LambdaCallback(on_epoch_begin=lambda e, logs: epochs_run.append(e))], [{"loss": 1.0}] * 4)
    assert epochs_run == [2, 3]   # epochs 0 and 1 were finished before the crash
    # weights: restored after 2 epochs of +1 each, then 2 more epochs
    np.testing.assert_array_equal(resumed.weights[0], np.full((2, 2), 4.0))
    assert not os.path.exists(backup / "training_state.npz")   # removed after a finished run
    assert opt_vars  # the fake optimizer has no variables before build; nothing to restore there
