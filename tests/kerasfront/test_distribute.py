"""kerasfront.distribute in one process: the strategy API as tf.distribute spells it, the ImportError without
mpi4py, BatchNormalization(synchronized=True) against tf.keras, the pieces the MPI jobs rely on (batch splits,
the differentiable all-reduce, the lost-worker watcher). The multi-process behaviour is in test_distribute_mpi.py.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import distribute, layers
from kerasfront.distribute import sharding
from tests.kerasfront.layer_test_utils import layer_test

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "sync_batchnorm", "reference.npz")


def _model():
    model = keras.Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


# -- the strategy API -------------------------------------------------------------------------------------------


def test_default_strategy_needs_nothing_installed_and_has_one_replica(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)         # as if mpi4py were not installed
    strategy = distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1 and not distribute.has_strategy()
    assert strategy.cluster_resolver.task_type == "worker" and strategy.cluster_resolver.task_id == 0
    with strategy.scope():
        assert distribute.get_strategy() is strategy and not distribute.has_strategy()
    model = _model()
    assert model.distribute_strategy is strategy


@pytest.mark.parametrize("cls", ["MultiWorkerMirroredStrategy", "MirroredStrategy"])
def test_without_mpi4py_the_strategies_say_what_to_install(monkeypatch, cls):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r'pip install "kerasfront\[mpi\]"'):
        getattr(distribute, cls)()


def _has_mpi4py():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


# the test extra installs the mpi extra, so CI runs these
requires_mpi = pytest.mark.skipif(not _has_mpi4py(), reason='needs the mpi extra: pip install -e ".[mpi]"')


@requires_mpi
def test_one_worker_strategy_trains_exactly_as_no_strategy():
    strategy = distribute.MultiWorkerMirroredStrategy()
    assert strategy.num_replicas_in_sync == 1 and strategy.cluster_resolver.task_id == 0
    assert strategy.cluster_resolver.task_type == "worker" and strategy.should_checkpoint
    x = np.random.default_rng(0).standard_normal((37, 3)).astype("float32")
    y = x[:, :1] * 2.0
    results = []
    for scoped in (False, True):
        keras.utils.set_random_seed(3)
        if scoped:
            with strategy.scope():
                assert distribute.has_strategy() and distribute.get_strategy() is strategy
                model = _model()
            assert not distribute.has_strategy()
            assert model.distribute_strategy is strategy
        else:
            model = _model()
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        results.append((model.get_weights(), history.history["loss"]))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(a, b)
    assert results[0][1] == results[1][1]


@requires_mpi
def test_scopes_of_two_strategies_do_not_mix():
    a, b = distribute.MultiWorkerMirroredStrategy(), distribute.MirroredStrategy()
    with a.scope():
        with a.scope():
            assert distribute.get_strategy() is a
        with pytest.raises(ValueError, match="Mixing different tf.distribute.Strategy objects"):
            with b.scope():
                pass
    assert distribute.get_strategy() is not a


@requires_mpi
def test_custom_training_loops_are_not_provided():
    strategy = distribute.MultiWorkerMirroredStrategy()
    for call in (lambda: strategy.run(lambda: None), lambda: strategy.experimental_distribute_dataset(None),
                 lambda: strategy.distribute_datasets_from_function(None), lambda: strategy.reduce("SUM", 1, None)):
        with pytest.raises(NotImplementedError, match="distributes Model.fit, evaluate and predict"):
            call()


@requires_mpi
def test_strategy_arguments_are_checked():
    with pytest.raises(TypeError, match="MPIClusterResolver"):
        distribute.MultiWorkerMirroredStrategy(cluster_resolver="grpc://host:2222")
    with pytest.raises(ValueError, match=r"one replica per process.*1 process\(es\) but 2 device\(s\)"):
        distribute.MirroredStrategy(devices=["/cpu:0", "/cpu:1"])
    strategy = distribute.MirroredStrategy(devices=["/cpu:0"])
    assert strategy.num_replicas_in_sync == 1 and strategy.devices == ("/cpu:0",)
    assert distribute.MPIClusterResolver().cluster_spec()["worker"][0].endswith(f"/{os.getpid()}")


# -- synchronized BatchNormalization ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["conv", "masked"])
def test_synchronized_batchnorm_matches_tf_keras_in_one_process(case):
    with np.load(FIXTURE) as d:
        ref = {k.split("/", 1)[1]: d[k] for k in d.files if k.startswith(case + "/")}
    layer = layers.BatchNormalization(synchronized=True, momentum=0.9)
    layer.build(ref["x"].shape)
    layer.gamma.assign(ref["gamma"])
    layer.beta.assign(ref["beta"])
    x = ag.Tensor(ref["x"], requires_grad=True)
    kwargs = {"mask": ag.Tensor(ref["mask"])} if "mask" in ref else {}
    out = layer(x, training=True, **kwargs)
    grads = ag.gradients(ag.sum(out * ref["r"]), [x, layer.gamma, layer.beta])
    np.testing.assert_allclose(out.numpy(), ref["out"], rtol=1e-5, atol=1e-5)
    # NOTE: synchronized, tf.keras takes its non-fused path even for 4-d inputs: the moving variance blends the
    # biased batch variance (the fused kernel would take the unbiased one)
    np.testing.assert_allclose(layer.moving_mean.numpy(), ref["moving_mean"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), ref["moving_variance"], rtol=1e-5, atol=1e-6)
    for got, name in zip(grads, ("dx", "dgamma", "dbeta")):
        np.testing.assert_allclose(got.numpy(), ref[name], rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("cls,kwargs", [(layers.BatchNormalization, {"synchronized": True}),
                                        (layers.experimental.SyncBatchNormalization, {"momentum": 0.5})])
def test_synchronized_batchnorm_shared(cls, kwargs):
    layer_test(cls, kwargs, input_shape=(3, 2, 2, 3), expected_output_shape=(None, 2, 2, 3),
               expected_weight_shapes=[(3,)] * 4, expected_num_trainable_weights=2, training=True)


def test_sync_batchnorm_arguments_and_config():
    with pytest.raises(ValueError, match="`fused=True` is not supported when `synchronized=True`"):
        layers.BatchNormalization(synchronized=True, fused=True)
    with pytest.raises(TypeError, match="synchronized"):
        layers.BatchNormalization(synchronized="yes")
    with pytest.warns(UserWarning, match="SyncBatchNormalization` endpoint is deprecated"):
        import kerasfront.layers.normalization as norm
        norm._WARNED_SYNC.clear()
        layer = layers.experimental.SyncBatchNormalization()
    assert layer.synchronized and layer.fused is False
    # as tf.keras: the config has no `synchronized` key; the class name keeps SyncBatchNormalization's
    assert "synchronized" not in layer.get_config()
    again = layers.deserialize(layers.serialize(layer))
    assert type(again).__name__ == "SyncBatchNormalization" and again.synchronized
    assert layers.BatchNormalization()._replica_mean_weights() == []        # unbuilt
    built = layers.BatchNormalization()
    built.build((2, 3))
    assert [w.name for w in built._replica_mean_weights()] == [built.moving_mean.name, built.moving_variance.name]
    assert layer._replica_mean_weights() == []         # synchronized: the same statistics on every worker


def test_all_reduce_sum_is_the_identity_outside_a_data_parallel_step():
    from kerasfront.distribute.collective_ops import all_reduce_sum
    x = np.random.default_rng(1).standard_normal((3, 2))
    ag.gradcheck(lambda t: all_reduce_sum(t) * t, [x])
    np.testing.assert_array_equal(all_reduce_sum(ag.Tensor(x)).numpy(), x)


# -- the pieces of the data-parallel path --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 5, 16, 17, 31])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_split_bounds_cover_the_batch_in_order_with_sizes_differing_by_at_most_one(n, size):
    parts = [sharding.split_bounds(n, size, r) for r in range(size)]
    assert parts[0][0] == 0 and parts[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    sizes = [hi - lo for lo, hi in parts]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


def test_batch_order_puts_batches_sharded_by_index_back():
    from kerasfront.distribute.data_parallel import _batch_order
    # 5 batches over 2 workers: worker 0 read batches 0, 2, 4 (3, 3 and 1 rows), worker 1 batches 1, 3
    every = [(None, [3, 3, 1]), (None, [3, 3])]
    rows = np.concatenate([np.arange(0, 3), np.arange(6, 9), np.arange(12, 13), np.arange(3, 6), np.arange(9, 12)])
    np.testing.assert_array_equal(rows[_batch_order(every, 5, 2)], np.arange(13))


def test_the_loss_weighted_by_a_share_adds_up_to_the_global_batch_loss():
    # the rule the gradients rely on: sum over workers of share * (mean over the worker's samples) = global mean;
    # a "sum" loss is a sum over the global batch, the regularization added once
    rng = np.random.default_rng(2)
    y, p = rng.random((10, 1)).astype("float32"), rng.random((10, 1)).astype("float32")
    from kerasfront.engine.compile_utils import LossesContainer
    for loss in ("mse", keras.losses.MeanSquaredError(reduction="sum")):
        whole = LossesContainer(loss, output_names=["out"])
        want = float(whole([ag.Tensor(y)], [ag.Tensor(p)], None, [ag.Tensor(np.float32(0.5))]).data)
        parts = LossesContainer(loss, output_names=["out"])
        got = 0.0
        for lo, hi in (sharding.split_bounds(10, 3, r) for r in range(3)):
            parts.replica_share = (hi - lo, 10)
            got += float(parts([ag.Tensor(y[lo:hi])], [ag.Tensor(p[lo:hi])], None, [ag.Tensor(np.float32(0.5))]).data)
        assert got == pytest.approx(want, rel=1e-6)
        # the loss trackers keep the values whose batch-size-weighted mean is the global batch's total loss
        assert parts.loss_metric.result() == pytest.approx(whole.loss_metric.result(), rel=1e-6)


def test_random_state_round_trips_and_refuses_junk():
    from kerasfront import random_state
    random_state.set_seed(4)
    text = random_state.get_state()
    a = random_state.generator().permutation(20)
    random_state.set_state(text)
    np.testing.assert_array_equal(random_state.generator().permutation(20), a)
    with pytest.raises(ValueError, match="random_state.set_state"):
        random_state.set_state("{not json")


class Interrupted(Exception):
    pass


def test_backup_and_restore_resumes_shuffled_epochs_exactly(tmp_path):
    x = np.random.default_rng(5).standard_normal((40, 3)).astype("float32")
    y = x[:, :1] - x[:, 1:2]

    def run(backup, stop_at=None, seed=9):
        keras.utils.set_random_seed(seed)
        model = _model()
        keras.utils.set_random_seed(11)

        class Interrupt(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_end(self, batch, logs=None):
                if (self.epoch, batch) == stop_at:
                    raise Interrupted
        model.fit(x, y, batch_size=8, epochs=4, shuffle=True, verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(str(backup)), Interrupt()])
        return model.get_weights()
    uninterrupted = run(tmp_path / "a")
    with pytest.raises(Interrupted):
        run(tmp_path / "b", stop_at=(2, 1))
    resumed = run(tmp_path / "b", seed=123)     # another process: other initial weights and random state
    for a, b in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(a, b)


# -- the lost-worker watcher ---------------------------------------------------------------------------------------


WATCHDOG = os.path.join(os.path.dirname(distribute.__file__), "watchdog.py")


def _watch(peers, message):
    proc = subprocess.Popen([sys.executable, "-S", "-E", WATCHDOG, "1", "3", "4242", "node7", peers],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = proc.communicate(message, timeout=30)
    return proc.returncode, err.decode()


def test_watchdog_is_silent_after_a_normal_exit_or_a_reported_failure():
    assert _watch("", b"done") == (0, "")
    assert _watch("", b"failed") == (0, "")


def test_watchdog_names_a_worker_that_vanished():
    code, err = _watch(f"0:{os.getpid()}", b"")          # the peer (this process) still runs
    assert code == 0 and "worker 1 of 3 (pid 4242 on node7) was lost" in err


def test_watchdog_says_when_it_cannot_tell_which_worker_went_first():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    code, err = _watch(f"2:{dead.pid}", b"")
    assert "worker 1 of 3 (pid 4242 on node7) ended without finishing, at about the same time as worker(s) [2]" \
        in err


@requires_mpi
def test_a_model_keeps_the_strategy_it_was_made_in_and_cannot_be_compiled_in_another():
    a, b = distribute.MultiWorkerMirroredStrategy(), distribute.MultiWorkerMirroredStrategy()
    with a.scope():
        model = keras.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")        # compiled outside: the model still belongs to `a`
    assert model.distribute_strategy is a
    with b.scope():
        with pytest.raises(ValueError, match="was created under .* but is being compiled under"):
            model.compile(optimizer="sgd", loss="mse")
    functional = keras.Model(*(lambda i: (i, layers.Dense(2)(i)))(keras.Input((3,))))
    assert functional.distribute_strategy is distribute.get_strategy()


def test_on_other_workers_every_file_writer_is_a_silent_stand_in_and_the_rest_run(tmp_path):
    """Worker 0 (tf.distribute's chief) alone writes: on any other worker the progress bar, ModelCheckpoint,
    CSVLogger, BackupAndRestore, TensorBoard and RemoteMonitor keep their hooks (so the collectives line up) but
    write nothing, while EarlyStopping and the user's callbacks run as given (the MPI jobs check the files of
    the first three; this checks the mapping for all of them without MPI)."""
    from types import SimpleNamespace

    from kerasfront.distribute.data_parallel import CHIEF_ONLY_CALLBACKS, DataParallel
    cb = keras.callbacks
    writers = [cb.ProgbarLogger(), cb.ModelCheckpoint(str(tmp_path / "ckpt.h5")), cb.CSVLogger(str(tmp_path / "l.csv")),
               cb.BackupAndRestore(str(tmp_path / "backup")), cb.TensorBoard(str(tmp_path / "logs")),
               cb.RemoteMonitor()]
    assert sorted(type(w).__name__ for w in writers) == sorted(CHIEF_ONLY_CALLBACKS)
    others = [cb.EarlyStopping(monitor="loss"), cb.LambdaCallback()]
    chief, progbar = DataParallel.callbacks(SimpleNamespace(comm=SimpleNamespace(rank=0)), writers + others, 1)
    assert chief == writers + others and progbar
    worker, progbar = DataParallel.callbacks(SimpleNamespace(comm=SimpleNamespace(rank=1)), writers + others, 1)
    assert not progbar
    assert worker[len(writers):] == others                      # the same objects: their decisions are made here
    model = _model()
    for stand_in, original in zip(worker, writers):
        assert stand_in is not original and isinstance(stand_in, keras.callbacks.Callback)
        stand_in.set_model(model)
        for hook in ("on_train_begin", "on_epoch_begin", "on_train_batch_end", "on_epoch_end", "on_train_end"):
            args = (0, {"loss": 1.0}) if "epoch" in hook or "batch" in hook else ({"loss": 1.0},)
            getattr(stand_in, hook)(*args)
    assert os.listdir(tmp_path) == []                           # nothing written by the stand-ins
    # verbose on another worker: a silent progress bar stands in (its hooks kept), none is added to print
    worker, progbar = DataParallel.callbacks(SimpleNamespace(comm=SimpleNamespace(rank=2)), [], 1)
    assert not progbar and len(worker) == 1 and type(worker[0]._callback).__name__ == "ProgbarLogger"
