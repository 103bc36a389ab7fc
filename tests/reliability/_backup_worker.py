"""A training run for the BackupAndRestore tests, run in a subprocess that the tests kill.

    python -m tests.reliability._backup_worker BACKUP_DIR OUT.npz EPOCHS [KILL_EPOCH KILL_BATCH]

Trains a small model with ``BackupAndRestore(BACKUP_DIR)``. With KILL_EPOCH/KILL_BATCH the process sends
itself SIGKILL after that training batch (no cleanup runs, as when a machine dies). A run that finishes
writes its final weights, optimizer variables and the epochs it ran to OUT.npz. It prints "started" once
training has begun and "epoch N" after each finished epoch, so a test can time a kill.
"""
import os
import signal
import sys

import numpy as np

import kerasfront as keras
from kerasfront import layers

BATCH = 8


def data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(48, 5)).astype(np.float32)
    y = (x[:, :2] * 0.5 + rng.normal(scale=0.1, size=(48, 2))).astype(np.float32)
    return x, y


def build():
    keras.utils.set_random_seed(12)
    model = keras.Sequential([layers.Dense(8, activation="tanh", input_shape=(5,)), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def optimizer_state(model):
    return [np.array(v.data if hasattr(v, "data") else v) for v in model.optimizer.variables]


class _Reporter(keras.callbacks.Callback):
    def __init__(self, kill_at=None):
        super().__init__()
        self.kill_at = kill_at
        self.epochs = []
        self._epoch = None

    def on_train_begin(self, logs=None):
        print("started", flush=True)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self.epochs.append(epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self.kill_at == (self._epoch, batch):
            os.kill(os.getpid(), signal.SIGKILL)

    def on_epoch_end(self, epoch, logs=None):
        print(f"epoch {epoch}", flush=True)


def main(argv):
    backup_dir, out_path, epochs = argv[0], argv[1], int(argv[2])
    kill_at = (int(argv[3]), int(argv[4])) if len(argv) > 3 else None
    x, y = data()
    model = build()
    reporter = _Reporter(kill_at)
    # NOTE: shuffle=False: BackupAndRestore (as tf.keras's) restores weights, optimizer and epoch, not the
    # shuffling generator, so only unshuffled runs are bit-identical to an uninterrupted one.
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0,
                        callbacks=[keras.callbacks.BackupAndRestore(backup_dir), reporter])
    weights = model.get_weights()
    opt = optimizer_state(model)
    np.savez(out_path, epochs_run=np.array(reporter.epochs), loss=np.array(history.history.get("loss", [])),
             num_weights=len(weights), **{f"w{i}": w for i, w in enumerate(weights)},
             **{f"o{i}": v for i, v in enumerate(opt)})


if __name__ == "__main__":
    main(sys.argv[1:])
