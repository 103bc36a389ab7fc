"""Parity with real tf.keras for weighting (tests/fixtures/keras_reference/weighting, made by
tools/keras_cases/weighting.py): 1-D binary labels with sample weights, class weights and weighted validation
data reproduce tf.keras's history (loss, metrics, weighted metrics, val_*) and final weights (rtol 1e-4, atol
1e-5). Also the class_weight rules tf.keras applies, against the equivalent sample weights."""
import json
import os

import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference", "weighting")
RTOL, ATOL = 1e-4, 1e-5


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()
    yield


def _load(case):
    data = dict(np.load(os.path.join(FIXTURES, f"{case}.npz")))
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        return data, json.load(f)["cases"][case]


def _weights(data, prefix):
    return [data[f"{prefix}{i}"] for i in range(len([k for k in data if k.startswith(prefix)]))]


def _model():
    return keras.Sequential([
        layers.Dense(8, activation="relu", input_shape=(4,)),
        layers.Dense(1, activation="sigmoid"),
    ])


def _run(case, compile_kw, **fit_extra):
    data, manifest = _load(case)
    model = _model()
    model.set_weights(_weights(data, "w0_"))
    model.compile(**compile_kw)
    fit = {k: v for k, v in manifest["fit"].items() if k not in ("validation_data", "class_weight")}
    history = model.fit(data["train_x"], data["train_y"], verbose=0,
                        validation_data=(data["val_x"], data["val_y"], data["val_sample_weight"]), **fit, **fit_extra)
    assert sorted(history.history) == sorted(manifest["history_keys"])
    for key in manifest["history_keys"]:
        np.testing.assert_allclose(history.history[key], data[f"history_{key}"], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{case}: history {key}")
    for i, (w, e) in enumerate(zip(model.get_weights(), _weights(data, "w1_"))):
        np.testing.assert_allclose(w, e, rtol=RTOL, atol=ATOL, err_msg=f"{case}: final weight {i}")
    return model, data


def test_binary_1d_sample_weight():
    data, _ = _load("binary_1d_sample_weight")
    assert data["train_y"].shape == (60,) and data["val_y"].shape == (22,)
    _run("binary_1d_sample_weight",
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
              metrics=["accuracy", "mae"], weighted_metrics=["accuracy", "mae"]),
         sample_weight=data["sample_weight"])


def test_binary_1d_class_weight():
    _, manifest = _load("binary_1d_class_weight")
    class_weight = {int(k): v for k, v in manifest["fit"]["class_weight"].items()}
    _run("binary_1d_class_weight",
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
              metrics=["accuracy"], weighted_metrics=["accuracy", keras.metrics.AUC(num_thresholds=20)]),
         class_weight=class_weight)


def test_zero_weight_on_positives_drives_predictions_down_as_tf_keras():
    """The issue's report: with (N,) labels and zero weight on every positive, training must learn from the
    negatives only (tf.keras drives the mean prediction towards 0; the per-batch rule left it at the base rate)."""
    rng = np.random.RandomState(13)
    x = rng.randn(400, 4).astype("float32")
    y = (x[:, 0] > 0.9).astype("float32")
    sw = np.where(y == 1, 0.0, 1.0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    before = model.test_on_batch(x, y, sample_weight=sw)
    assert before == pytest.approx(model.test_on_batch(x, y[:, None], sample_weight=sw), rel=1e-6)
    model.fit(x, y, sample_weight=sw, epochs=8, verbose=0)
    assert model.predict(x, verbose=0).mean() < 0.05 < y.mean()


# -- class_weight as tf.keras applies it ---------------------------------------------------------------------


def _fit_once(y, **kw):
    keras.utils.set_random_seed(5)
    k = y.shape[-1] if y.ndim > 1 and y.shape[-1] > 1 else 1
    model = keras.Sequential([layers.Dense(k, activation="sigmoid" if k == 1 else "softmax", input_shape=(3,))])
    model.compile(keras.optimizers.SGD(0.1), "binary_crossentropy" if k == 1 else "categorical_crossentropy")
    x = np.random.default_rng(6).random((len(y), 3)).astype("float32")
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, **kw)
    return history.history["loss"], model.get_weights()


@pytest.mark.parametrize("labels", ["1d", "n1_rounded", "onehot"])
def test_class_weight_equals_the_sample_weights_it_stands_for(labels):
    rng = np.random.default_rng(7)
    classes = rng.integers(0, 2, 10)
    y = {"1d": classes.astype("float32"),
         "n1_rounded": (classes * 0.8 + 0.1).astype("float32")[:, None],     # rounded to the class
         "onehot": np.eye(2, dtype="float32")[classes]}[labels]
    cw = {0: 0.5, 1: 2.0}
    sw = rng.uniform(0.5, 1.5, 10).astype("float32")
    per_class = np.array([0.5, 2.0], "float32")[classes]
    a = _fit_once(y, class_weight=cw, sample_weight=sw)            # the class weight multiplies sample_weight
    b = _fit_once(y, sample_weight=sw * per_class)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    for wa, wb in zip(a[1], b[1]):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)


def test_class_weight_keys_must_be_0_to_n_minus_1():
    y = np.array([0, 1, 1, 0], "float32")
    model = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile("sgd", "binary_crossentropy")
    x = np.zeros((4, 3), "float32")
    before = [w.copy() for w in model.get_weights()]
    for bad in ({1: 1.0, 2: 1.0}, {0: 1.0, 2: 1.0}, {"0": 1.0, "1": 2.0}):
        with pytest.raises(ValueError, match="Expected `class_weight` to be a dict with keys from 0 to one less than "
                                             "the number of classes, found"):
            model.fit(x, y, class_weight=bad, verbose=0)
    with pytest.raises(ValueError, match="class_weight.*all classes"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)                          # nothing trained


# -- add_loss / add_metric programs (keras-io's training guide and endpoint-layer recipe) ----------------------


K = keras.backend


class MetricLoggingLayer(layers.Layer):
    def call(self, inputs):
        self.add_metric(K.std(inputs), name="std_of_activation", aggregation="mean")
        return inputs


def _check_history(case, model, history, data, manifest):
    assert sorted(history.history) == sorted(manifest["history_keys"])
    for key in manifest["history_keys"]:
        np.testing.assert_allclose(history.history[key], data[f"history_{key}"], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{case}: history {key}")
    for i, (w, e) in enumerate(zip(model.get_weights(), _weights(data, "w1_"))):
        np.testing.assert_allclose(w, e, rtol=RTOL, atol=ATOL, err_msg=f"{case}: final weight {i}")


def test_functional_add_loss_add_metric():
    case = "functional_add_loss_add_metric"
    data, manifest = _load(case)
    inputs = keras.Input(shape=(4,), name="digits")
    x1 = layers.Dense(8, activation="relu", name="dense_1")(inputs)
    x1 = MetricLoggingLayer(name="metric_logging")(x1)
    x2 = layers.Dense(8, activation="relu", name="dense_2")(x1)
    outputs = layers.Dense(3, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.add_loss(K.mean(x1) * 0.1)
    model.add_metric(K.sum(x2, axis=-1), name="sum_of_activation", aggregation="mean")
    model.set_weights(_weights(data, "w0_"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
    fit = {k: v for k, v in manifest["fit"].items() if k != "validation_data"}
    history = model.fit(data["train_x"], data["train_y"], verbose=0, validation_data=(data["val_x"], data["val_y"]),
                        **fit)
    _check_history(case, model, history, data, manifest)
    # the file tf.keras saved (TFOpLambda, AddLoss and AddMetric layers) loads here and predicts the same
    loaded = keras.models.load_model(os.path.join(FIXTURES, f"{case}.h5"),
                                     custom_objects={"MetricLoggingLayer": MetricLoggingLayer})
    assert [type(la).__name__ for la in loaded.layers][-4:] == ["TFOpLambda", "AddLoss", "TFOpLambda", "AddMetric"]
    np.testing.assert_allclose(loaded.predict(data["x"], verbose=0), data["y_pred"], rtol=1e-5, atol=1e-6)
    logs = loaded.evaluate(data["val_x"], data["val_y"], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(data["history_val_loss"][-1], rel=1e-4)
    assert logs["sum_of_activation"] == pytest.approx(data["history_val_sum_of_activation"][-1], rel=1e-4)


class LogisticEndpoint(layers.Layer):
    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()

    def call(self, targets, logits, sample_weights=None):
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        acc = self.accuracy_fn(targets, logits, sample_weights)
        self.add_metric(acc, name="accuracy")
        return keras.activations.softmax(logits)


def test_endpoint_layer_add_metric():
    case = "endpoint_layer_add_metric"
    data, manifest = _load(case)
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.set_weights(_weights(data, "w0_"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01))
    history = model.fit([data["train_x_0"], data["train_x_1"]], verbose=0, **manifest["fit"])
    _check_history(case, model, history, data, manifest)


@pytest.mark.parametrize("bad", [{0: None, 1: 2.0}, {0: "a", 1: 2.0}, {0: [1.0], 1: 2.0}, {0: True, 1: 2.0}])
def test_class_weight_values_must_be_numbers(bad):
    """tf.keras cannot make a tensor of such values (ValueError); a None must not train as NaN weights."""
    y = np.array([0, 1, 1, 0], "float32")
    model = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile("sgd", "binary_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"`class_weight`.*class 0.*expected a number, received .*"):
        model.fit(np.zeros((4, 3), "float32"), y, class_weight=bad, verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)
