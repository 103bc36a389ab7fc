"""Long runs do not leak: repeated predict calls and build/compile/fit cycles keep resident memory flat, and
predict / evaluate record no autograd graph (nothing they make outlives them).

Example of what must hold:
    >>> for _ in range(1000):
    ...     model.predict(one_sample, verbose=0)       # resident memory grows by well under 50 MB
"""
import gc
import resource
import weakref

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.engine import base_layer

RSS_BOUND_MB = 50


def _rss_mb():
    """Resident memory now (VmRSS), falling back to the peak (ru_maxrss) where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _live_tensors():
    """The number of autograd Tensors alive (gc tracks them: they hold references)."""
    return sum(1 for o in gc.get_objects() if isinstance(o, ag.Tensor))


def _masked_lstm_model():
    keras.utils.set_random_seed(31)
    inp = keras.Input(shape=(6,), dtype="int32")
    hidden = layers.Embedding(20, 8, mask_zero=True)(inp)
    hidden = layers.LSTM(8)(hidden)
    out = layers.Dense(3, activation="softmax")(layers.Dropout(0.2)(hidden))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_a_thousand_predict_calls_on_one_sample_keep_memory_flat():
    model = _masked_lstm_model()
    sample = np.array([[3, 5, 0, 7, 1, 0]])
    expected = model.predict(sample, verbose=0)
    for _ in range(50):                                   # warm-up: caches, allocator pools
        model.predict(sample, verbose=0)
    gc.collect()
    rss_before, tensors_before, masks_before = _rss_mb(), _live_tensors(), len(base_layer._MASKS)
    for _ in range(1000):
        out = model.predict(sample, verbose=0)
    gc.collect()
    growth = _rss_mb() - rss_before
    assert growth < RSS_BOUND_MB, f"1000 predict calls grew resident memory by {growth:.1f} MB"
    assert _live_tensors() == tensors_before             # no Tensor made by predict survives it
    assert len(base_layer._MASKS) == masks_before        # the mask side table does not grow
    np.testing.assert_array_equal(out, expected)          # and predict is still deterministic


def _cycle(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([layers.Dense(32, activation="relu", input_shape=(10,)), layers.BatchNormalization(),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 10)).astype(np.float32)
    y = np.arange(64) % 3
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[keras.callbacks.EarlyStopping(patience=3)])
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    return history.history["loss"][-1]


def test_twenty_build_compile_fit_cycles_keep_memory_flat():
    for seed in range(3):                                 # warm-up
        _cycle(seed)
    gc.collect()
    rss_before, tensors_before = _rss_mb(), _live_tensors()
    losses = [_cycle(seed) for seed in range(20)]
    gc.collect()
    growth = _rss_mb() - rss_before
    assert growth < RSS_BOUND_MB, f"20 build/compile/fit cycles grew resident memory by {growth:.1f} MB"
    assert _live_tensors() == tensors_before             # every model, weight and graph of the cycles is gone
    assert np.all(np.isfinite(losses))


class _Probe(layers.Layer):
    """Passes its input through an autograd op and remembers how the result was recorded."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.records = []

    def call(self, inputs):
        out = inputs * 1.0
        self.records.append((out.requires_grad, out._ctx is not None, weakref.ref(out)))
        return out


def _probed_model():
    keras.utils.set_random_seed(32)
    probe = _Probe()
    inp = keras.Input(shape=(4,))
    out = layers.Dense(2)(probe(layers.Dense(5, activation="relu")(inp)))
    model = keras.Model(inp, out)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    probe.records.clear()                                 # forget the symbolic call
    return model, probe


X = np.linspace(-1, 1, 40, dtype=np.float32).reshape(10, 4)
Y = np.linspace(0, 1, 20, dtype=np.float32).reshape(10, 2)


@pytest.mark.parametrize("entry", ["predict", "evaluate", "predict_on_batch", "test_on_batch"])
def test_predict_and_evaluate_record_no_graph(entry):
    model, probe = _probed_model()
    calls = {"predict": lambda: model.predict(X, batch_size=4, verbose=0),
             "evaluate": lambda: model.evaluate(X, Y, batch_size=4, verbose=0),
             "predict_on_batch": lambda: model.predict_on_batch(X),
             "test_on_batch": lambda: model.test_on_batch(X, Y)}
    gc.disable()                                          # survivors must not depend on the cycle collector
    try:
        result = calls[entry]()
        assert probe.records
        assert all(not requires_grad and not has_graph for requires_grad, has_graph, _ in probe.records)
        assert all(ref() is None for _, _, ref in probe.records)    # nothing made inside survives the call
    finally:
        gc.enable()
    for r in (result if isinstance(result, list) else [result]):
        assert not isinstance(r, ag.Tensor)                # numbers or numpy arrays come back, not Tensors
    assert all(w.grad is None for w in model.weights)


def test_fit_records_a_graph_and_frees_it_after_each_step():
    """The same probe sees recorded tensors during fit (so the check above can fail), and none of them
    outlives fit."""
    model, probe = _probed_model()
    gc.disable()
    try:
        model.fit(X, Y, batch_size=4, epochs=2, verbose=0)
        assert len(probe.records) == 6
        assert all(requires_grad and has_graph for requires_grad, has_graph, _ in probe.records)
        assert all(ref() is None for _, _, ref in probe.records)
    finally:
        gc.enable()
    assert all(w.grad is None for w in model.weights)     # gradients are handed to the optimizer, not kept
