"""Saves a model to one path over and over, for the kill-during-save tests (run in a subprocess and killed).

    python -m tests.reliability._save_worker MODE PATH

MODE is ``h5`` / ``keras`` (``model.save``), ``weights`` (``model.save_weights``), ``checkpoint`` /
``checkpoint_weights`` (``ModelCheckpoint`` saving after every training batch). Before each save the worker
prints ``start K CHECKSUM`` and after it ``done K``, where CHECKSUM identifies the weights being written, so
the test can tell which versions a file may legitimately hold after a kill.
"""
import sys

import numpy as np

import kerasfront as keras
from kerasfront import layers


def build():
    keras.utils.set_random_seed(21)
    model = keras.Sequential([layers.Dense(256, activation="relu", input_shape=(64,)), layers.Dense(256),
                              layers.Dense(10)])
    model.compile(optimizer="adam", loss="mse")
    return model


def checksum(weights):
    """A float64 sum that changes whenever any weight does (enough to tell saved versions apart)."""
    return repr(sum(float(np.asarray(w, np.float64).sum() * (i + 1)) for i, w in enumerate(weights)))


def _loop_saves(model, path, mode):
    shapes = [w.shape for w in model.get_weights()]
    for k in range(1, 10 ** 6):
        weights = [np.full(s, k, np.float32) for s in shapes]
        model.set_weights(weights)
        print(f"start {k} {checksum(weights)}", flush=True)
        if mode == "weights":
            model.save_weights(path)
        else:
            model.save(path)
        print(f"done {k}", flush=True)


class _Announce(keras.callbacks.Callback):
    """Placed before ModelCheckpoint (prints what it is about to write) and after it (prints that it finished);
    the two instances share one counter."""

    def __init__(self, counter, after):
        super().__init__()
        self.counter = counter
        self.after = after

    def on_train_batch_end(self, batch, logs=None):
        if self.after:
            print(f"done {self.counter[0]}", flush=True)
        else:
            self.counter[0] += 1
            print(f"start {self.counter[0]} {checksum(self.model.get_weights())}", flush=True)


def _loop_checkpoints(model, path, weights_only):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 64)).astype(np.float32)
    y = rng.normal(size=(64, 10)).astype(np.float32)
    counter = [0]
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_freq=1, save_weights_only=weights_only)
    model.fit(x, y, batch_size=8, epochs=10 ** 4, shuffle=False, verbose=0,
              callbacks=[_Announce(counter, False), checkpoint, _Announce(counter, True)])


def main(mode, path):
    model = build()
    if mode in ("h5", "keras", "weights"):
        _loop_saves(model, path, mode)
    elif mode in ("checkpoint", "checkpoint_weights"):
        _loop_checkpoints(model, path, mode == "checkpoint_weights")
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
