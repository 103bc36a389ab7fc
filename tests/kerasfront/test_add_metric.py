"""``add_metric`` as tf_keras 2.21 has it (inside ``call`` eagerly and while a functional model is built, and on a
functional model's symbolic tensors), and the Keras 2 spellings programs still call: ``fit_generator``,
``evaluate_generator``, ``predict_generator`` and ``backend.backend()``."""
import warnings

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()
    yield


class LogisticEndpoint(layers.Layer):
    """The keras-io endpoint-layer recipe: the layer adds its own loss and a metric's result, without a name."""

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        self.add_metric(self.accuracy_fn(targets, logits, sample_weights))
        return keras.activations.softmax(logits)


def _endpoint_model():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    return keras.Model(inputs=[inputs, targets], outputs=predictions), logits


def _data(n=30):
    rng = np.random.default_rng(0)
    return {"inputs": rng.random((n, 3)).astype("float32"),
            "targets": (rng.random((n, 10)) > 0.5).astype("float32")}


def test_endpoint_recipe_tracks_the_metric_object_itself_and_reports_it_each_epoch(capsys):
    model, logits = _endpoint_model()
    assert model.metrics_names == ["binary_accuracy"]          # the layer's metric, before compile (tf.keras)
    model.add_metric(logits * 2, name="double_logit")
    model.compile(optimizer=keras.optimizers.SGD(0.0), metrics=None)
    data = _data()
    history = model.fit(data, epochs=2, batch_size=8, verbose=2, validation_data=(data,))
    assert list(history.history) == ["loss", "binary_accuracy", "double_logit", "val_loss", "val_binary_accuracy",
                                     "val_double_logit"]
    assert model.metrics_names == ["loss", "binary_accuracy", "double_logit"]
    assert "double_logit" in capsys.readouterr().out                  # in the progress line
    endpoint = model.get_layer("predictions")
    assert endpoint.accuracy_fn in model.metrics                     # tracked itself, not wrapped in a Mean
    # the learning rate is 0: every epoch (reset in between) sees the same predictions
    dense = model.get_layer("dense")
    z = data["inputs"] @ dense.kernel.numpy() + dense.bias.numpy()
    accuracy = ((z > 0.5) == (data["targets"] > 0.5)).mean()          # BinaryAccuracy thresholds at 0.5
    np.testing.assert_allclose(history.history["binary_accuracy"], [accuracy] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["val_binary_accuracy"], [accuracy] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["double_logit"], [(2 * z).mean()] * 2, rtol=1e-5)
    logs = model.evaluate(data, batch_size=7, verbose=0, return_dict=True)
    assert logs["double_logit"] == pytest.approx((2 * z).mean(), rel=1e-5)


def test_add_metric_in_call_averages_each_batch_value_and_resets_each_epoch():
    class Summing(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="ones")

        def call(self, x):
            y = self.dense(x)
            self.add_metric(ag.sum(y), name="batch_sum", aggregation="mean")
            return y

    model = Summing()
    model.compile(keras.optimizers.SGD(0.0), "mse")
    x = np.arange(10, dtype="float32").reshape(5, 2)
    history = model.fit(x, np.zeros((5, 1), "float32"), batch_size=2, epochs=2, shuffle=False, verbose=0)
    per_batch = [x[0:2].sum(), x[2:4].sum(), x[4:5].sum()]             # a Mean of one value per batch
    assert list(history.history) == ["loss", "batch_sum"]
    np.testing.assert_allclose(history.history["batch_sum"], [np.mean(per_batch)] * 2, rtol=1e-6)
    assert model.metrics_names == ["loss", "batch_sum"]


def test_add_metric_errors_are_tf_keras_errors():
    model, logits = _endpoint_model()
    with pytest.raises(ValueError, match="Please provide a name for your metric"):
        model.add_metric(logits)
    with pytest.raises(TypeError, match="Unknown keyword arguments.*Expected `aggregation`"):
        model.add_metric(logits, name="x", reduction="sum")
    with pytest.raises(ValueError, match="Expected a symbolic Tensor for the metric value"):
        model.add_metric(ag.tensor([1.0, 2.0]), name="x")
    mean = keras.metrics.Mean()
    with pytest.raises(ValueError, match="Expected a symbolic Tensor"):       # tf.keras checks this first
        model.add_metric(mean([1.0, 2.0]))
    layer = layers.Dense(2)
    with pytest.raises(ValueError, match="Expected a symbolic Tensor"):
        layer.add_metric(ag.tensor(1.0), name="outside_call")
    assert model.metrics_names == ["binary_accuracy"]                   # the failed calls added nothing


def test_symbolic_add_metric_is_part_of_the_saved_model(tmp_path):
    inp = keras.Input(shape=(4,))
    hidden = layers.Dense(3, activation="relu", name="hidden")(inp)
    out = layers.Dense(1, name="out")(hidden)
    model = keras.Model(inp, out)
    model.add_metric(hidden, name="hidden_mean")
    assert [la.name for la in model.layers][-1] == "add_metric"
    model.compile("sgd", "mse")
    x = np.random.default_rng(1).random((12, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    h = model.get_layer("hidden")
    hidden_mean = np.maximum(x @ h.kernel.numpy() + h.bias.numpy(), 0).mean()
    logs = model.evaluate(x, np.zeros((12, 1), "float32"), batch_size=5, verbose=0, return_dict=True)
    assert logs["hidden_mean"] == pytest.approx(hidden_mean, rel=1e-5)
    path = str(tmp_path / "m.h5")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [la.name for la in loaded.layers] == [la.name for la in model.layers]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    logs = loaded.evaluate(x, np.zeros((12, 1), "float32"), batch_size=5, verbose=0, return_dict=True)
    assert logs["hidden_mean"] == pytest.approx(hidden_mean, rel=1e-5)


def test_generator_spellings_warn_and_equal_fit_evaluate_predict():
    rng = np.random.default_rng(2)
    x, y = rng.random((12, 3)).astype("float32"), rng.random((12, 1)).astype("float32")

    def batches():
        while True:
            for i in range(0, 12, 4):
                yield x[i:i + 4], y[i:i + 4]

    def model():
        keras.utils.set_random_seed(3)
        m = keras.Sequential([layers.Dense(2, activation="tanh", input_shape=(3,)), layers.Dense(1)])
        m.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
        return m

    a, b = model(), model()
    with pytest.warns(UserWarning, match="`Model.fit_generator` is deprecated.*Please use `Model.fit`"):
        ha = a.fit_generator(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    hb = b.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert ha.history == hb.history
    with pytest.warns(UserWarning, match="`Model.evaluate_generator` is deprecated"):
        ea = a.evaluate_generator(batches(), steps=3)
    assert ea == b.evaluate(batches(), steps=3, verbose=0)
    with pytest.warns(UserWarning, match="`Model.predict_generator` is deprecated"):
        pa = a.predict_generator((xb for xb, _ in batches()), steps=3)
    np.testing.assert_array_equal(pa, b.predict(x, verbose=0))


def test_backend_is_tensorflow_and_says_why():
    assert keras.backend.backend() == "tensorflow"
    doc = keras.backend.backend.__doc__
    assert "channels_last" in doc and "float32" in doc and "conventions" in doc
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert keras.backend.image_data_format() == "channels_last"


def test_backend_ops_on_symbolic_tensors_and_symbolic_add_loss(tmp_path):
    """The training guide's functional model: K ops on its tensors become TFOpLambda layers (saved as tf.keras
    saves them), model.add_loss adds an AddLoss layer whose value joins the loss."""
    K = keras.backend
    inputs = keras.Input(shape=(4,), name="digits")
    x1 = layers.Dense(3, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(2, name="predictions")(x1)
    model = keras.Model(inputs, outputs)
    std = K.std(x1)
    assert std._keras_history.layer.get_config()["function"] == "math.reduce_std"
    model.add_loss(K.mean(x1) * 0.5)
    model.add_metric(std, name="std_of_activation", aggregation="mean")
    assert [type(la).__name__ for la in model.layers][-5:] == ["TFOpLambda", "TFOpLambda", "AddLoss", "TFOpLambda",
                                                             "AddMetric"]
    config = model.get_config()
    entry = [la for la in config["layers"] if la["config"].get("function") == "math.reduce_std"][0]
    assert entry["inbound_nodes"] == [["dense_1", 0, 0, {"axis": None, "keepdims": False}]]   # tf.keras's form
    model.compile("sgd", keras.losses.MeanSquaredError())
    x = np.random.default_rng(4).random((6, 4)).astype("float32")
    y = np.zeros((6, 2), "float32")
    d1 = model.get_layer("dense_1")
    h1 = np.maximum(x @ d1.kernel.numpy() + d1.bias.numpy(), 0)
    mse = float(((model.predict(x, verbose=0) - y) ** 2).mean())
    logs = model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(mse + 0.5 * h1.mean(), rel=1e-5)
    assert logs["std_of_activation"] == pytest.approx(h1.std(), rel=1e-5)
    path = str(tmp_path / "guide.h5")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.evaluate(x, y, batch_size=6, verbose=0, return_dict=True) == pytest.approx(logs, rel=1e-6)
    with pytest.raises(NotImplementedError, match="functional model"):
        layers.Dense(2).add_loss(x1)


def test_compile_takes_the_keras_2_keywords_tf_keras_still_takes():
    """tf_keras 2.21's compile drops ``cloning`` and ``experimental_run_tf_function`` (legacy, never used), takes
    ``sample_weight_mode``, and refuses a ``distribute`` or ``target_tensors`` value (ValueError), as here."""
    model = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", cloning=False, experimental_run_tf_function=False, sample_weight_mode="temporal",
                  target_tensors=None, distribute=None)
    assert model.loss == "mse"
    model.compile("sgd", "mae")
    for key in ("target_tensors", "distribute"):
        with pytest.raises(ValueError, match=f"`{key}` argument.*Received: \\[1\\]"):
            model.compile("adam", "mse", **{key: [1]})
        assert model.loss == "mae"                                     # the failed compile changed nothing
    with pytest.raises(TypeError, match=r"Invalid keyword argument\(s\) in `compile\(\)`: \['metric'\]"):
        model.compile("adam", "mse", metric=["mae"])


def test_a_metric_set_as_an_attribute_after_training_is_tracked():
    """tf.keras tracks a Metric assigned to a model or layer attribute at any time (here after a fit, with an
    object made before it); ``model.metrics`` must not keep serving a list cached before the assignment."""
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="ones")

        def call(self, x):
            y = self.dense(x)
            if hasattr(self, "tracker"):
                self.tracker.update_state(y)
            return y

    model = Net()
    model.compile(keras.optimizers.SGD(0.0), "mse")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    tracker = keras.metrics.Mean(name="tracker_mean")
    model.fit(x, y, verbose=0)
    assert model.metrics_names == ["loss"]
    model.tracker = tracker
    assert model.metrics_names == ["loss", "tracker_mean"]
    assert model.fit(x, y, verbose=0).history["tracker_mean"] == [pytest.approx(2.0)]
    del model.tracker
    assert model.metrics_names == ["loss"]
    model.dense.trackers = [tracker]                                  # a list on a sublayer, as tf.keras
    assert model.metrics_names == ["loss", "tracker_mean"]
