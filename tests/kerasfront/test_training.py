"""compile / fit / evaluate / predict / *_on_batch / summary: arguments, history keys, data kinds, and the errors
that must come before any weight changes."""
import io
import contextlib
import math

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()
    yield


def _data(n=32, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(np.int64) % k
    return x, labels, keras.utils.to_categorical(labels, k)


def _model(d=3, k=2, activation="softmax"):
    inp = keras.Input((d,))
    h = layers.Dense(4, activation="relu")(inp)
    return keras.Model(inp, layers.Dense(k, activation=activation)(h))


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


# -- compile -------------------------------------------------------------------------------------------------
def test_compile_resolves_names_and_rejects_unknown_ones_with_close_matches():
    model = _model()
    with pytest.raises(ValueError, match="(?s)optimizer.*adamm.*adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="(?s)categorical_crossentropyy.*categorical_crossentropy"):
        model.compile(optimizer="adam", loss="categorical_crossentropyy")
    with pytest.raises(ValueError, match="(?s)metrics.*'accuarcy'.*Did you mean: 'accuracy'"):
        model.compile(optimizer="adam", loss="mse", metrics=["accuarcy"])
    with pytest.raises(ValueError, match="do not correspond to any model output"):
        model.compile(optimizer="adam", loss={"nope": "mse"})
    with pytest.raises(TypeError, match="Invalid keyword"):
        model.compile(optimizer="adam", loss="mse", metrix=["mae"])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.mean_squared_error, metrics=["mae"])
    assert model.optimizer.get_config()["name"] == "SGD"


def test_fit_before_compile_is_an_error():
    model = _model()
    x, _, y = _data()
    with pytest.raises(RuntimeError, match="must compile your model"):
        model.fit(x, y, verbose=0)
    with pytest.raises(RuntimeError, match="must compile"):
        model.evaluate(x, y, verbose=0)


# -- history and metric names ------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["accuracy", "acc"])
def test_history_keys_as_spelled_and_accuracy_resolution(spelling):
    x, labels, onehot = _data()
    model = _model()
    model.compile("adam", "categorical_crossentropy", metrics=[spelling])
    history = model.fit(x, onehot, batch_size=8, epochs=2, verbose=0, validation_split=0.25)
    assert list(history.history) == ["loss", spelling, f"val_loss", f"val_{spelling}"]
    assert history.epoch == [0, 1] and history.params["epochs"] == 2 and history.params["steps"] == 3
    assert model.history is history
    # accuracy equals categorical accuracy of the predictions on the training part, after the last epoch?
    # (it is the running mean during the epoch, so compare evaluate instead)
    loss, acc = model.evaluate(x, onehot, verbose=0)
    pred = model.predict(x, verbose=0)
    assert acc == pytest.approx(np.mean(pred.argmax(1) == labels))
    # sparse labels and a single sigmoid unit pick the sparse and the binary accuracy
    sparse_model = _model()
    sparse_model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    sparse_model.fit(x, labels, verbose=0)
    _, acc = sparse_model.evaluate(x, labels, verbose=0)
    assert acc == pytest.approx(np.mean(sparse_model.predict(x, verbose=0).argmax(1) == labels))
    binary = _model(k=1, activation="sigmoid")
    binary.compile("adam", "binary_crossentropy", metrics=["acc"])
    binary.fit(x, labels[:, None].astype(np.float32), verbose=0)
    _, acc = binary.evaluate(x, labels[:, None].astype(np.float32), verbose=0)
    assert acc == pytest.approx(np.mean((binary.predict(x, verbose=0)[:, 0] > 0.5) == labels))


def test_epoch_loss_is_batch_size_weighted_mean_with_regularization():
    x, _, y = _data(n=10)
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.1))(inp))
    model.compile(keras.optimizers.SGD(learning_rate=0.0), "mse")
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    kernel, bias = model.get_weights()
    pred = x @ kernel + bias
    per_batch = [np.mean((pred[s:s + 4] - y[s:s + 4]) ** 2) for s in (0, 4, 8)]
    reg = 0.1 * np.sum(kernel ** 2)
    expected = (4 * per_batch[0] + 4 * per_batch[1] + 2 * per_batch[2]) / 10 + reg
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert model.evaluate(x, y, verbose=0, batch_size=4) == pytest.approx(expected, rel=1e-5)


def test_multi_output_names_and_dict_data():
    a = keras.Input((3,), name="a")
    h = layers.Dense(4, activation="relu")(a)
    cls = layers.Dense(2, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(a, [cls, reg])
    model.compile("adam", loss={"cls": "categorical_crossentropy", "reg": "mse"}, loss_weights=[1.0, 0.5],
                  metrics={"cls": ["accuracy"], "reg": ["mae"]}, weighted_metrics=["mae"])
    x, _, onehot = _data()
    target = x[:, :1] * 2
    history = model.fit({"a": x}, {"cls": onehot, "reg": target}, epochs=1, verbose=0)
    assert list(history.history) == ["loss", "cls_loss", "reg_loss", "cls_accuracy", "cls_mae", "reg_mae",
                                     "reg_weighted_mae"]
    logs = model.evaluate(x, [onehot, target], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-5)
    assert model.metrics_names == list(logs)
    with pytest.raises(ValueError, match="2 outputs"):
        model.fit(x, onehot, verbose=0)


def test_sample_weight_equals_class_weight_and_scales_loss():
    x, labels, onehot = _data(n=16)
    weights = {0: 1.0, 1: 3.0}
    sw = np.where(labels == 1, 3.0, 1.0).astype(np.float32)
    results = []
    for kw in ({"class_weight": weights}, {"sample_weight": sw}):
        keras.utils.set_random_seed(1)
        model = _model()
        model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
        results.append((model.fit(x, onehot, batch_size=4, epochs=2, shuffle=False, verbose=0, **kw).history,
                        model.get_weights()))
    assert results[0][0]["loss"] == pytest.approx(results[1][0]["loss"], rel=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    model = _model()
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match="class_weight.*all classes"):
        model.fit(x, onehot, class_weight={0: 1.0}, verbose=0)


# -- reproducibility, shuffling, splits ---------------------------------------------------------------------
def test_set_random_seed_makes_runs_identical():
    x, _, y = _data()
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(123)
        model = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dropout(0.3), layers.Dense(2)])
        model.compile("adam", keras.losses.CategoricalCrossentropy(from_logits=True))
        h = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=True)
        runs.append((h.history["loss"], model.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, _, y = _data(n=20)
    model = _model()
    model.compile(keras.optimizers.SGD(0.0), "categorical_crossentropy")
    history = model.fit(x, y, validation_split=0.25, epochs=1, verbose=0, shuffle=True)
    expected = model.evaluate(x[15:], y[15:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match=r"validation_split.*\[0, 1\)"):
        model.fit(x, y, validation_split=1.0, verbose=0)
    with pytest.raises(ValueError, match="not sufficient to split"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)


def test_validation_data_and_freq_and_initial_epoch():
    x, _, y = _data()
    model = _model()
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(x, y, validation_data=(x[:8], y[:8]), validation_freq=2, epochs=4, initial_epoch=1,
                        verbose=0)
    assert history.epoch == [1, 2, 3]
    assert len(history.history["loss"]) == 3 and len(history.history["val_loss"]) == 2   # after epochs 2 and 4
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=(x,), verbose=0)


# -- data kinds ----------------------------------------------------------------------------------------------
def test_generators_and_sequences():
    x, _, y = _data(n=24)

    def gen():
        while True:
            for s in range(0, 24, 8):
                yield x[s:s + 8], y[s:s + 8]

    class Batches(keras.utils.Sequence):
        def __init__(self):
            super().__init__()
            self.epochs_seen = 0

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return x[8 * i:8 * i + 8], y[8 * i:8 * i + 8]

        def on_epoch_end(self):
            self.epochs_seen += 1

    results = []
    for data, kw in ((gen(), {"steps_per_epoch": 3}), (Batches(), {}), (x, {"batch_size": 8})):
        keras.utils.set_random_seed(5)
        model = _model()
        model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
        fit_kw = dict(kw, epochs=2, verbose=0, shuffle=False)
        history = model.fit(data, y if isinstance(data, np.ndarray) else None, **fit_kw)
        results.append((history.history["loss"], model.get_weights()))
        if isinstance(data, Batches):
            assert data.epochs_seen == 2
    for other in results[1:]:
        np.testing.assert_allclose(other[0], results[0][0], rtol=1e-6)
    seq = Batches()
    assert model.evaluate(seq, verbose=0) == pytest.approx(model.evaluate(x, y, batch_size=8, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(seq, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        model.fit(gen(), y, steps_per_epoch=1, verbose=0)


def test_finite_generator_without_steps_runs_one_epoch_of_it():
    x, _, y = _data(n=16)
    model = _model()
    model.compile("sgd", "categorical_crossentropy")
    gen = ((x[s:s + 4], y[s:s + 4]) for s in range(0, 16, 4))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(gen, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_steps_per_epoch_with_arrays_continues_across_epochs():
    x, _, y = _data(n=12)
    model = _model()
    model.compile(keras.optimizers.SGD(0.0), "categorical_crossentropy")
    history = model.fit(x, y, batch_size=4, steps_per_epoch=2, epochs=3, shuffle=False, verbose=0)
    losses = [model.evaluate(x[s:s + 4], y[s:s + 4], verbose=0) for s in (0, 4, 8)]
    # epochs see batches (0, 1), (2, 0), (1, 2)
    expected = [(losses[0] + losses[1]) / 2, (losses[2] + losses[0]) / 2, (losses[1] + losses[2]) / 2]
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-6)


# -- evaluate / predict / single batches --------------------------------------------------------------------
def test_evaluate_predict_and_batch_methods():
    x, labels, y = _data()
    model = _model()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    assert model.metrics_names == []
    before = _snapshot(model)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and _unchanged(model, before)
    assert model.metrics_names == ["loss", "accuracy"]
    pred = model.predict(x, batch_size=5, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (32, 2) and pred.dtype == np.float32
    np.testing.assert_allclose(pred, model(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:4]), pred[:4], rtol=1e-6)
    loss, acc = model.test_on_batch(x[:8], y[:8])
    assert _unchanged(model, before)
    assert loss == pytest.approx(model.evaluate(x[:8], y[:8], verbose=0)[0], rel=1e-6)
    out = model.train_on_batch(x[:8], y[:8], return_dict=True)
    assert out["loss"] == pytest.approx(loss, rel=1e-6)        # the loss before the update
    assert not _unchanged(model, before)


def test_predict_records_no_graph():
    x, _, _ = _data()
    model = _model()
    out = model.predict(x, verbose=0)
    assert isinstance(out, np.ndarray)
    with ag.no_grad():
        pass
    y = model.predict_on_batch(x)
    assert isinstance(y, np.ndarray)
    # evaluate/predict run under no_grad: the outputs they produce do not require grad
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs):
            seen.append(ag.is_grad_enabled())
            return inputs

    inp = keras.Input((3,))
    probe_model = keras.Model(inp, Probe()(inp))
    probe_model.compile("sgd", "mse")
    seen.clear()
    probe_model.predict(x, verbose=0)
    probe_model.evaluate(x, x, verbose=0)
    assert seen and not any(seen)


def test_verbose_modes_output():
    x, _, y = _data(n=16)
    model = _model()
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    for verbose, check in ((0, lambda s: s == ""), (2, lambda s: "Epoch 1/2" in s and "\r" not in s and "\b" not in s),
                           (1, lambda s: "Epoch 1/2" in s and "\b" not in s)):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            model.fit(x, y, epochs=2, batch_size=8, verbose=verbose)
        assert check(buf.getvalue()), (verbose, buf.getvalue())


# -- errors before any weight changes ------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,exc,pattern", [
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size=-3), ValueError, "batch_size"),
    (dict(batch_size=2.5), TypeError, "batch_size"),
    (dict(epochs=-1), ValueError, "epochs"),
    (dict(validation_split=-0.1), ValueError, "validation_split"),
    (dict(verbose=3), ValueError, "verbose"),
    (dict(steps_per_epoch=0), ValueError, "steps_per_epoch"),
])
def test_bad_fit_arguments(kwargs, exc, pattern):
    x, _, y = _data()
    model = _model()
    model.compile("adam", "categorical_crossentropy")
    before = _snapshot(model)
    with pytest.raises(exc, match=pattern):
        model.fit(x, y, **kwargs)
    assert _unchanged(model, before) and model.optimizer.iterations.numpy() == 0


@pytest.mark.parametrize("x,y,exc,pattern", [
    (np.ones((10, 3)), np.ones((9, 2)), ValueError, r"(?s)cardinality.*x sizes: 10.*y sizes: 9"),
    (np.ones((10, 4)), np.ones((10, 2)), ValueError, r"expected shape=\(None, 3\), found shape=\(None, 4\)"),
    (np.ones((10, 3, 1, 1)), np.ones((10, 2)), ValueError, r"expected shape=\(None, 3\)"),
    (np.array([["a", "b", "c"]] * 4), np.ones((4, 2)), TypeError, "`x` holds strings"),
    (np.array([object()] * 4), np.ones((4, 2)), TypeError, "dtype object"),
    ([[1.0, 2.0, 3.0], [1.0, 2.0]], np.ones((2, 2)), ValueError, "ragged"),
    (None, np.ones((4, 2)), ValueError, "`x` is None"),
    (np.ones((0, 3)), np.ones((0, 2)), ValueError, "empty"),
    (np.ones((4, 3)), None, ValueError, "Target data is missing"),
])
def test_bad_data_fails_before_training(x, y, exc, pattern):
    model = _model()
    model.compile("adam", "categorical_crossentropy")
    before = _snapshot(model)
    with pytest.raises(exc, match=pattern):
        model.fit(x, y, verbose=0)
    assert _unchanged(model, before)


def test_sparse_labels_out_of_range_fail_before_training():
    x, labels, _ = _data()
    model = _model(k=2)
    model.compile("adam", "sparse_categorical_crossentropy")
    before = _snapshot(model)
    bad = labels.copy()
    bad[3] = 2
    with pytest.raises(ValueError, match=r"label value of 2.*\[0, 2\)"):
        model.fit(x, bad, verbose=0)
    with pytest.raises(ValueError, match="integer class ids"):
        model.fit(x, labels + 0.5, verbose=0)
    assert _unchanged(model, before)


def test_terminate_on_nan_stops_at_the_bad_batch():
    x, _, y = _data(n=16)
    x = x.copy()
    x[9] = np.nan
    model = _model()
    model.compile("sgd", "categorical_crossentropy")
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN()])
    assert model.stop_training and len(history.history["loss"]) == 1
    assert math.isnan(history.history["loss"][0])


def test_stop_training_from_a_callback():
    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    x, _, y = _data()
    model = _model()
    model.compile("sgd", "categorical_crossentropy")
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[StopAfterFirstEpoch()])
    assert history.epoch == [0]


def test_lazily_built_sequential_and_subclassed_models_train():
    x, labels, y = _data()
    seq = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2, activation="softmax")])
    seq.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    h = seq.fit(x, y, epochs=2, verbose=0)
    assert seq.built and len(h.history["accuracy"]) == 2

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(4, activation="relu")
            self.b = layers.Dense(2)

        def call(self, inputs, training=None):
            return self.b(self.a(inputs))

    net = Net()
    net.compile(keras.optimizers.SGD(0.5), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    first = net.evaluate(x, labels, verbose=0)[0] if net.built else None
    h = net.fit(x, labels, epochs=10, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert first is None or h.history["loss"][-1] < first
    assert net.predict(x, verbose=0).shape == (32, 2)


def test_summary_and_count_params():
    model = _model()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0] == 'Model: "model"'
    assert " input_1 (InputLayer)        [(None, 3)]               0" in text
    assert " dense (Dense)               (None, 4)                 16" in text
    assert "Total params: 26 (104.00 Byte)" in text and "Non-trainable params: 0 (0.00 Byte)" in text
    assert model.count_params() == 26
    assert model.get_layer(index=1).name == "dense" and model.get_layer("dense_1").units == 2
    with pytest.raises(ValueError, match="No such layer: dens.*Did you mean: dense"):
        model.get_layer("dens")
    with pytest.raises(ValueError, match="only has 3 layers"):
        model.get_layer(index=7)


def test_mistyped_top_level_name_suggests_the_submodule():
    with pytest.raises(AttributeError, match=r"kerasfront\.layers\.Dense"):
        keras.Dense  # noqa: B018
    with pytest.raises(AttributeError, match=r"kerasfront\.optimizers\.Adam"):
        keras.Adam  # noqa: B018


def test_output_masks_weight_losses_and_metrics_as_tf_keras():
    """An output carrying a mask (Embedding(mask_zero=True) -> Dense) averages the loss over unmasked steps only;
    numbers recorded with tf_keras 2.21 on the same model and data."""
    x = np.array([[1, 2, 0, 0], [3, 4, 5, 0], [6, 0, 0, 0]])
    y = np.random.default_rng(0).standard_normal((3, 4, 1)).astype("float32")
    inp = keras.Input((None,), dtype="int32")
    emb = layers.Embedding(10, 3, mask_zero=True, embeddings_initializer="ones")(inp)
    model = keras.Model(inp, layers.Dense(1, kernel_initializer="ones")(emb))
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == pytest.approx({"loss": 9.021285057067871, "mae": 2.9300308227539062,
                                  "weighted_mae": 2.9300308227539062}, rel=1e-6)
    logs = model.evaluate(x, y, sample_weight=np.array([1.0, 2.0, 0.5]), verbose=0, return_dict=True)
    assert logs == pytest.approx({"loss": 11.601239204406738, "mae": 2.9300308227539062,
                                  "weighted_mae": 2.7762813568115234}, rel=1e-6)


def test_class_weight_applies_to_the_training_part_of_a_validation_split():
    """Numbers recorded with tf_keras 2.21 on the same model, data and arguments."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 20)]
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2, activation="softmax", kernel_initializer="ones")(inp))
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    history = model.fit(x, y, batch_size=5, epochs=2, validation_split=0.25, class_weight={0: 1.0, 1: 4.0},
                        shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [1.865911, 1.354385], atol=2e-6)
    np.testing.assert_allclose(history.history["val_loss"], [0.83659, 0.961792], atol=2e-6)
