"""OrderedEnqueuer / GeneratorEnqueuer and fit's workers / use_multiprocessing / max_queue_size: batches read
ahead by threads or processes come in the same order and give the same training as reading them in place."""
import threading
import time

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence


class Batches(Sequence):
    def __init__(self, n=6, delay=0.0):
        super().__init__()
        self.n, self.delay = n, delay
        self.epochs_ended = 0
        self.rng = np.random.RandomState(0)
        self.x = self.rng.rand(n * 4, 3).astype("float32")
        self.y = self.rng.rand(n * 4, 1).astype("float32")

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay * ((i * 7) % 3))     # out-of-order completion across workers
        return self.x[4 * i:4 * i + 4], self.y[4 * i:4 * i + 4]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_ordered_enqueuer_keeps_the_order_with_threads():
    seq = Batches(delay=0.005)
    enqueuer = OrderedEnqueuer(seq, use_multiprocessing=False)
    enqueuer.start(workers=3, max_queue_size=4)
    stream = enqueuer.get()
    got = [next(stream)[0] for _ in range(2 * len(seq))]
    enqueuer.stop()
    expected = [seq[i][0] for i in range(len(seq))] * 2
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert seq.epochs_ended >= 1
    assert not enqueuer.is_running()


def test_ordered_enqueuer_shuffles_each_epoch():
    seq = Batches(n=8)
    enqueuer = OrderedEnqueuer(seq, shuffle=True)
    enqueuer.start(workers=2)
    stream = enqueuer.get()
    firsts = [float(next(stream)[0][0, 0]) for _ in range(16)]
    enqueuer.stop()
    all_firsts = sorted(float(seq[i][0][0, 0]) for i in range(8))
    assert sorted(firsts[:8]) == all_firsts and sorted(firsts[8:]) == all_firsts
    assert firsts[:8] != [float(seq[i][0][0, 0]) for i in range(8)] or firsts[8:] != firsts[:8]


def test_ordered_enqueuer_with_processes():
    seq = Batches()
    enqueuer = OrderedEnqueuer(seq, use_multiprocessing=True)
    enqueuer.start(workers=2, max_queue_size=3)
    stream = enqueuer.get()
    got = [next(stream)[1] for _ in range(len(seq))]
    enqueuer.stop()
    for i, y in enumerate(got):
        np.testing.assert_array_equal(y, seq[i][1])


def test_enqueuer_surfaces_worker_errors():
    class Broken(Batches):
        def __getitem__(self, i):
            if i == 2:
                raise KeyError("batch 2 is broken")
            return super().__getitem__(i)
    enqueuer = OrderedEnqueuer(Broken())
    enqueuer.start(workers=2)
    stream = enqueuer.get()
    with pytest.raises(KeyError, match="batch 2"):
        for _ in range(6):
            next(stream)
    assert not enqueuer.is_running()


def test_generator_enqueuer_threads_and_end():
    lock = threading.Lock()

    def safe_batches():
        values = iter(range(5))
        while True:
            with lock:
                try:
                    v = next(values)
                except StopIteration:
                    return
            yield np.full((2, 1), v)

    enqueuer = GeneratorEnqueuer(safe_batches())
    enqueuer.start(workers=1, max_queue_size=2)
    got = [int(b[0, 0]) for b in enqueuer.get()]
    enqueuer.stop()
    assert got == [0, 1, 2, 3, 4]


def test_generator_enqueuer_names_thread_unsafe_generators():
    def slow():
        while True:
            time.sleep(0.01)
            yield np.zeros(1)
    enqueuer = GeneratorEnqueuer(slow())
    enqueuer.start(workers=4, max_queue_size=8)
    with pytest.raises(RuntimeError, match="thread-safe"):
        for _ in range(50):
            next(enqueuer.get())
    enqueuer.stop()


def _trained(data, **kwargs):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    history = model.fit(data, epochs=2, verbose=0, shuffle=False, **kwargs)
    return history.history["loss"], model.get_weights()


@pytest.mark.parametrize("kwargs", [dict(workers=3), dict(workers=2, use_multiprocessing=True),
                                    dict(workers=2, max_queue_size=1)])
def test_fit_with_workers_equals_fit_in_place(kwargs):
    loss, weights = _trained(Batches())
    loss_w, weights_w = _trained(Batches(delay=0.002), **kwargs)
    np.testing.assert_allclose(loss_w, loss, rtol=1e-6)
    for a, b in zip(weights_w, weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_evaluate_and_predict_with_workers():
    seq = Batches()
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    np.testing.assert_allclose(model.evaluate(seq, workers=3, verbose=0), model.evaluate(seq, verbose=0), rtol=1e-6)

    class Inputs(Batches):
        def __getitem__(self, i):
            return super().__getitem__(i)[0]
    np.testing.assert_allclose(model.predict(Inputs(), workers=2, verbose=0), model.predict(seq.x, verbose=0),
                               rtol=1e-6)


class ThreadSafeBatches:
    """An iterator several threads may call next() on (a plain generator may not be shared so)."""

    def __init__(self):
        self.rng = np.random.RandomState(0)
        self.lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            x = self.rng.rand(4, 3)
        return x, x.sum(axis=1, keepdims=True)


def test_fit_with_a_generator_and_workers():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    history = model.fit(ThreadSafeBatches(), steps_per_epoch=5, epochs=2, workers=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("kwargs, match", [(dict(workers=-1), "workers"), (dict(workers=1.5), "workers"),
                                           (dict(max_queue_size=0), "max_queue_size"),
                                           (dict(use_multiprocessing="yes"), "use_multiprocessing")])
def test_worker_arguments_are_checked(kwargs, match):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=match):
        model.fit(Batches(), verbose=0, **kwargs)
