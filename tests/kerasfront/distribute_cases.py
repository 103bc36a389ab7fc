"""The data-parallel cases the MPI tests run: each trains one small model, under ``MultiWorkerMirroredStrategy``
on every worker of an ``mpiexec`` job, or in one process (the reference, with the same global batches).

    mpiexec -n 2 python -m tests.kerasfront.distribute_cases OUT_DIR [CASE ...]

Every worker writes ``OUT_DIR/<case>.rank<r>.npz`` (final weights, history, evaluate and predict results);
``tests/kerasfront/test_distribute_mpi.py`` compares them with each other and with ``run_case(name)`` in one
process. The models have no dropout or noise layers (their masks differ per worker by design).

Example:
    >>> result = run_case("dense_adam")            # one process, no strategy: the reference
    >>> sorted(result)[:3]
    ['evaluate', 'history/accuracy', 'history/auc']
"""
import contextlib
import io
import json
import os
import sys

import numpy as np

import kerasfront as keras
from kerasfront import layers as L

SEED = 7


def _data(n, shape, classes=None, seed=0, one_hot=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n,) + shape).astype("float32")
    if classes is None:
        y = (x.reshape(n, -1)[:, :2] @ np.array([[0.7], [-0.4]], "float32") + 0.1).astype("float32")
        return x, y
    y = (x.reshape(n, -1)[:, 0] * 3 + rng.standard_normal(n)).astype("float32")
    y = np.digitize(y, np.linspace(-2, 2, classes - 1)).astype("int64")
    return x, (np.eye(classes, dtype="float32")[y] if one_hot else y)


def _seeded_build(build, rank):
    # every worker starts from different random weights: the strategy must give all of them worker 0's
    keras.utils.set_random_seed(SEED + rank)
    return build()


def _result(model, history, x_eval=None, y_eval=None, x_pred=None):
    out = {f"weight/{i}": w for i, w in enumerate(model.get_weights())}
    # the training-step signatures that were captured and replayed (compile's default jit_compile): the all-reduce
    # of the gradients composes with the replayed step ("info/": per worker, not compared between them)
    capture = model._step_capture
    out["info/replayed_signatures"] = np.asarray(0 if capture is None else sum(
        e.replay is not None for e in capture.entries.values()))
    for key, values in history.history.items():
        out[f"history/{key}"] = np.asarray(values, np.float64)
    if x_eval is not None:
        out["evaluate"] = np.asarray(model.evaluate(x_eval, y_eval, batch_size=16, verbose=0), np.float64)
    if x_pred is not None:
        predicted = model.predict(x_pred, batch_size=16, verbose=0)
        if isinstance(predicted, list):
            out.update({f"predict/{i}": p for i, p in enumerate(predicted)})
        else:
            out["predict"] = predicted
    return out


# -- the cases: each returns a dict of arrays ---------------------------------------------------------------


def dense_adam(strategy, rank, workers):
    """An MLP with Adam, sample and class weights, validation_split, shuffling and AUC (uneven last batch)."""
    x, y = _data(203, (6,), classes=3, seed=1, one_hot=True)
    sw = np.random.default_rng(2).random(203).astype("float32")

    def build():
        m = keras.Sequential([L.Input((6,)), L.Dense(16, activation="relu", kernel_regularizer="l2"),
                              L.Dense(3, activation="softmax")])
        m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="precision")])
        return m
    with _scope(strategy):
        model = _seeded_build(build, rank)
    keras.utils.set_random_seed(SEED)          # the same shuffles as the reference
    history = model.fit(x, y, batch_size=32, epochs=3, sample_weight=sw, class_weight={0: 1.0, 1: 2.5, 2: 0.5},
                        validation_split=0.2, shuffle=True, verbose=0)
    return _result(model, history, x[:50], y[:50], x[:37])


def two_outputs_sgd(strategy, rank, workers):
    """A two-output functional model with SGD (momentum): a mean loss and a "sum" loss with loss weights."""
    x, y = _data(150, (5,), seed=3)
    _, c = _data(150, (5,), classes=2, seed=4)

    def build():
        inp = keras.Input((5,))
        h = L.Dense(8, activation="tanh")(inp)
        out_a = L.Dense(1, name="a")(h)
        out_b = L.Dense(1, activation="sigmoid", name="b")(h)
        m = keras.Model(inp, [out_a, out_b])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss={"a": "mse", "b": keras.losses.BinaryCrossentropy(reduction="sum")},
                  loss_weights={"a": 1.0, "b": 0.2}, metrics={"b": [keras.metrics.AUC(name="auc")]})
        return m
    with _scope(strategy):
        model = _seeded_build(build, rank)
    history = model.fit(x, {"a": y, "b": c.astype("float32")}, batch_size=40, epochs=3, shuffle=False, verbose=0)
    return _result(model, history, x_pred=x[:23])


def conv_syncbn(strategy, rank, workers):
    """A CNN with BatchNormalization(synchronized=True): batch statistics of the global batch."""
    x, y = _data(70, (8, 8, 2), classes=3, seed=5)

    def build():
        m = keras.Sequential([L.Input((8, 8, 2)), L.Conv2D(4, 3, padding="same"),
                              L.BatchNormalization(synchronized=True, momentum=0.8), L.Activation("relu"),
                              L.MaxPooling2D(), L.Flatten(), L.Dense(3, activation="softmax")])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        return m
    with _scope(strategy):
        model = _seeded_build(build, rank)
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return _result(model, history, x[:30], y[:30], x[:21])


def rnn_adam(strategy, rank, workers):
    """An LSTM with Adam, validation_data and sample weights."""
    x, y = _data(90, (7, 3), classes=2, seed=6)
    sw = np.random.default_rng(7).random(90).astype("float32")

    def build():
        m = keras.Sequential([L.Input((7, 3)), L.LSTM(6), L.Dense(1, activation="sigmoid")])
        m.compile(optimizer="adam", loss="binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
        return m
    with _scope(strategy):
        model = _seeded_build(build, rank)
    history = model.fit(x[:70], y[:70].astype("float32"), sample_weight=sw[:70], batch_size=24, epochs=2,
                        validation_data=(x[70:], y[70:].astype("float32")), shuffle=False, verbose=0)
    return _result(model, history)


class _Batches(keras.utils.Sequence):
    """Batches ``[start, stop)`` of arrays, one global batch = ``group`` consecutive batches of ``size``."""

    def __init__(self, x, y, size, group=1):
        super().__init__()
        self.x, self.y, self.size, self.group = x, y, size, group

    def __len__(self):
        return -(-len(self.x) // (self.size * self.group))

    def __getitem__(self, i):
        s = slice(i * self.size * self.group, (i + 1) * self.size * self.group)
        return self.x[s], self.y[s]


def sequence_and_dataset(strategy, rank, workers):
    """A Sequence and a Dataset sharded by batch index (5 batches: the last worker's share of the last step is
    empty with 2 workers); the reference reads the same global batches (``size`` consecutive batches)."""
    x, y = _data(36, (4,), seed=8)
    size = workers

    def build():
        m = keras.Sequential([L.Input((4,)), L.Dense(5, activation="tanh"), L.Dense(1)])
        m.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="mse", metrics=["mae"])
        return m
    with _scope(strategy):
        model = _seeded_build(build, rank)
    if strategy is not None:
        seq = _Batches(x, y, 8)
        data = keras.utils.Dataset.from_tensor_slices((x, y)).batch(8)
    else:
        seq = _Batches(x, y, 8, group=size)
        data = keras.utils.Dataset.from_tensor_slices((x, y)).batch(8 * size)
    h1 = model.fit(seq, epochs=2, shuffle=False, verbose=0)
    h2 = model.fit(data, epochs=1, verbose=0)
    out = _result(model, h1)
    out["history2/loss"] = np.asarray(h2.history["loss"])
    out["predict_sequence"] = model.predict(_Batches(x, y, 8) if strategy is not None else seq, verbose=0)
    out["predict_dataset"] = model.predict(keras.utils.Dataset.from_tensor_slices(x).batch(8), verbose=0)
    out["evaluate_sequence"] = np.asarray(model.evaluate(seq, verbose=0), np.float64)
    return out


def train_on_batch_and_stop(strategy, rank, workers):
    """MirroredStrategy (the one-machine case): train_on_batch on a global batch; then a stop_training set on
    worker 1 only stops every worker."""
    x, y = _data(64, (3,), seed=9)
    if strategy is not None:
        strategy = keras.distribute.MirroredStrategy()

    def build():
        m = keras.Sequential([L.Input((3,)), L.Dense(4), L.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        return m
    with _scope(strategy):
        model = _seeded_build(build, rank)
    first = model.train_on_batch(x[:10], y[:10])

    class StopOnWorker1(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2 and (strategy is None or rank == 1):
                self.model.stop_training = True
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[StopOnWorker1()])
    out = _result(model, history)
    out["train_on_batch"] = np.asarray(first, np.float64)
    return out


def callbacks_on_worker_0_only(strategy, rank, workers):
    """Horovod's idiom ``verbose=1 if rank == 0 else 0`` and a batch-hook callback on worker 0 only: the per-batch
    collectives (the metrics' state, the stop_training decision) still line up on every worker, in fit (with its
    validation) and in evaluate."""
    x, y = _data(48, (3,), seed=14)

    class Counter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

        def on_test_batch_end(self, batch, logs=None):
            pass

    def build():
        m = keras.Sequential([L.Input((3,)), L.Dense(4, activation="tanh"), L.Dense(1)])
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return m
    with _scope(strategy):
        model = _seeded_build(build, rank)
    chief = rank == 0
    with contextlib.redirect_stdout(io.StringIO()):
        history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, shuffle=False,
                            verbose=1 if chief else 0, callbacks=[Counter()] if chief else [])
        evaluated = model.evaluate(x, y, batch_size=8, verbose=1 if chief else 0,
                                   callbacks=[Counter()] if not chief else [])
    out = _result(model, history)
    out["evaluate"] = np.asarray(evaluated, np.float64)
    return out


CASES = {f.__name__: f for f in (dense_adam, two_outputs_sgd, conv_syncbn, rnn_adam, sequence_and_dataset,
                                 train_on_batch_and_stop, callbacks_on_worker_0_only)}


@contextlib.contextmanager
def _scope(strategy):
    if strategy is None:
        yield
    else:
        with strategy.scope():
            yield


def run_case(name, strategy=None, rank=0, workers=1):
    """One case: under ``strategy`` on worker ``rank``, or the one-process reference (strategy None) reading
    the global batches of ``workers`` workers."""
    return CASES[name](strategy, rank, strategy.num_replicas_in_sync if strategy is not None else workers)


# -- what only makes sense under several workers ------------------------------------------------------------


def local_batchnorm(strategy, rank, out_dir):
    """A per-worker BatchNormalization first in the model: its statistics are those of each worker's share, and
    the moving statistics written by ModelCheckpoint and kept after fit are the workers' mean."""
    x, y = _data(48, (3,), seed=10)
    x = x * np.array([1.0, 3.0, 0.5], "float32") + np.array([0.0, 2.0, -1.0], "float32")

    def build():
        m = keras.Sequential([L.Input((3,)), L.BatchNormalization(momentum=0.5), L.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        return m
    with strategy.scope():
        model = _seeded_build(build, rank)
    ckpt = os.path.join(out_dir, "bn_ckpt.weights.h5")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(ckpt, save_weights_only=True, monitor="loss")])
    bn = model.layers[0]
    return {"moving_mean": bn.moving_mean.numpy(), "moving_variance": bn.moving_variance.numpy()}


def chief_writes(strategy, rank, out_dir):
    """Progress bar, ModelCheckpoint, CSVLogger and model.save write on worker 0 only; predict gives the whole
    prediction everywhere."""
    x, y = _data(40, (3,), seed=11)
    with strategy.scope():
        model = _seeded_build(lambda: _compiled(keras.Sequential([L.Input((3,)), L.Dense(2), L.Dense(1)])), rank)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        model.fit(x, y, batch_size=8, epochs=2, verbose=1, callbacks=[
            keras.callbacks.ModelCheckpoint(os.path.join(out_dir, f"ckpt.rank{rank}.h5"), monitor="loss"),
            keras.callbacks.CSVLogger(os.path.join(out_dir, f"log.rank{rank}.csv"))])
        model.evaluate(x, y, batch_size=8, verbose=1)
    model.save(os.path.join(out_dir, f"model.rank{rank}.h5"))
    with open(os.path.join(out_dir, f"stdout.rank{rank}.txt"), "w") as f:
        f.write(stdout.getvalue())
    return {"predict": model.predict(x, batch_size=8, verbose=0)}


def _compiled(model):
    model.compile(optimizer="sgd", loss="mse")
    return model


def disagreements(strategy, rank, out_dir):
    """Workers that disagree fail at the start of fit with a clear error (on every worker, no hang)."""
    x, y = _data(32, (3,), seed=12)
    messages = {}
    for what, units, lr, n in (("shapes", 4 + rank, 0.01, 32), ("optimizer", 4, 0.01 * (1 + rank), 32),
                               ("data", 4, 0.01, 32 - rank)):
        with strategy.scope():
            model = keras.Sequential([L.Input((3,)), L.Dense(units), L.Dense(1)])
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
        try:
            model.fit(x[:n], y[:n], batch_size=8, epochs=1, verbose=0)
            messages[what] = "no error"
        except ValueError as e:
            messages[what] = str(e)
    with strategy.scope():       # metrics with states of the same size: mean absolute and mean squared error
        model = keras.Sequential([L.Input((3,)), L.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", metrics=["mae" if rank == 0 else "mse"])
    try:
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        messages["metrics"] = "no error"
    except ValueError as e:
        messages["metrics"] = str(e)
    with strategy.scope():
        model = _compiled(keras.Sequential([L.Input((3,)), L.Dense(1)]))
    try:
        model.fit(((x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)), epochs=1, verbose=0)
        messages["generator"] = "no error"
    except ValueError as e:
        messages["generator"] = str(e)
    class CustomStep(keras.Sequential):
        def train_step(self, data):
            return super().train_step(data)
    with strategy.scope():       # a custom train_step is refused by name (its gradients would not be averaged)
        model = _compiled(CustomStep([L.Input((3,)), L.Dense(1)]))
    try:
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        messages["train_step"] = "no error"
    except NotImplementedError as e:
        messages["train_step"] = str(e)
    with open(os.path.join(out_dir, f"disagreements.rank{rank}.json"), "w") as f:
        json.dump(messages, f)
    return {}


def resume_reference(strategy, rank, out_dir):
    """The uninterrupted run the kill-and-resume test compares with (see ``backup_run``)."""
    model = backup_run(strategy, rank, os.path.join(out_dir, "unused_backup"))
    return {f"weight/{i}": w for i, w in enumerate(model.get_weights())}


MULTI_WORKER_CASES = {f.__name__: f for f in (local_batchnorm, chief_writes, disagreements, resume_reference)}


def backup_run(strategy, rank, backup_dir, kill_at=None):
    """A shuffled Adam run with BackupAndRestore; with ``kill_at=(epoch, batch)`` worker 1 kills itself there."""
    x, y = _data(60, (4,), seed=13)

    class Killer(keras.callbacks.Callback):
        epochs_run = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.epochs_run.append(epoch)

        def on_train_batch_end(self, batch, logs=None):
            if kill_at is not None and rank == 1 and (self.epoch, batch) == kill_at:
                import signal
                os.kill(os.getpid(), signal.SIGKILL)
    with strategy.scope():
        model = _seeded_build(lambda: keras.Sequential([L.Input((4,)), L.Dense(6, activation="tanh"), L.Dense(1)]),
                              rank)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mse")
    keras.utils.set_random_seed(SEED)
    model.fit(x, y, batch_size=10, epochs=4, shuffle=True, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(backup_dir), Killer()])
    model.epochs_run = list(Killer.epochs_run)
    return model


def main(argv):
    out_dir = argv[1]
    names = argv[2:] or list(CASES) + list(MULTI_WORKER_CASES)
    strategy = keras.distribute.MultiWorkerMirroredStrategy()
    rank = strategy.cluster_resolver.task_id
    for name in names:
        if name.startswith("backup:"):        # backup:<dir>[:<epoch>:<batch>]
            parts = name.split(":")
            kill_at = (int(parts[2]), int(parts[3])) if len(parts) > 2 else None
            model = backup_run(strategy, rank, parts[1], kill_at)
            np.savez(os.path.join(out_dir, f"backup.rank{rank}.npz"), epochs_run=model.epochs_run,
                     **{f"weight/{i}": w for i, w in enumerate(model.get_weights())})
            continue
        if name in CASES:
            result = run_case(name, strategy, rank)
        else:
            result = MULTI_WORKER_CASES[name](strategy, rank, out_dir)
        np.savez(os.path.join(out_dir, f"{name}.rank{rank}.npz"), **result)
    print(f"worker {rank} done", flush=True)


if __name__ == "__main__":
    main(sys.argv)
