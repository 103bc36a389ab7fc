"""Metric objects among a model's weights, as tf.keras 2 lists them: a subclassed model's metric attributes (the
custom-``train_step`` trackers) are in ``weights``/``get_weights``/``set_weights``, in the order they were set
between the layers; compiled metrics, ``add_metric``'s and a plain layer's metric attributes are not. The ``.h5``
files of ``save_weights`` hold the layers' weights only (a nested model's group holds its trackers).

Expected lists, values and file layouts come from real tf.keras (tests/fixtures/subclass_weights/, made by
tools/make_subclass_weights_fixtures.py, whose models are defined again here line for line).
"""
import json
import os

import h5py
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "subclass_weights")
with open(os.path.join(FIXTURES, "reference.json")) as _f:
    REF = json.load(_f)
CASES = REF["cases"]
X = np.asarray(REF["data"]["x"], np.float32)
Y = np.asarray(REF["data"]["y"], np.float32)


class TrackerModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(4, activation="tanh")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.out = layers.Dense(1)
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, x, training=False):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        with ag.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = ag.mean(keras.losses.mean_squared_error(y, y_pred))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


class PlainModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(4, activation="tanh")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


class ContainersModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(3)
        self.by_name = {"m": keras.metrics.Mean(name="dict_mean")}
        self.norm = layers.BatchNormalization()
        self.deep = [[keras.metrics.Sum(name="deep_sum")], keras.metrics.AUC(num_thresholds=3, name="auc")]
        self.last = layers.Dense(1)
        self.scale = self.add_weight(name="scale", shape=(1,), initializer="ones")

    def call(self, x):
        y = self.last(self.norm(self.first(x)))
        self.add_metric(ag.mean(y), name="activation_mean")
        return y * self.scale


class MeanTrackingLayer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tracker = keras.metrics.Mean(name="activation_tracker")

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], 2))

    def call(self, x):
        y = ag.matmul(x, self.w)
        self.tracker.update_state(y)
        return y


class HoldsTrackingLayer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.track = MeanTrackingLayer()
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.track(x))


class Inner(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.BatchNormalization()
        self.tracker = keras.metrics.Mean(name="inner_tracker")
        self.dense = layers.Dense(2)

    def call(self, x):
        return self.dense(self.norm(x))


class Outer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tracker = keras.metrics.Mean(name="outer_tracker")
        self.inner = Inner(name="inner")
        self.head = layers.Dense(1)
        self.gain = self.add_weight(name="gain", shape=(1,), initializer="ones")

    def call(self, x):
        return self.head(self.inner(x)) * self.gain


class FunctionalWithTracker(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = keras.metrics.Mean(name="functional_tracker")


def _names(ws):
    return [w.name for w in ws]


def _describe(model, values=False):
    out = {
        "weights": [[w.name, list(w.shape), np.dtype(w.dtype).name] for w in model.weights],
        "trainable_weights": _names(model.trainable_weights),
        "non_trainable_weights": _names(model.non_trainable_weights),
        "variables": _names(model.variables),
        "trainable_variables": _names(model.trainable_variables),
        "non_trainable_variables": _names(model.non_trainable_variables),
        "n_get_weights": len(model.get_weights()),
        "metrics": [m.name for m in model.metrics],
    }
    if getattr(model, "built", False):
        out["count_params"] = int(model.count_params())
    if values:
        out["get_weights"] = model.get_weights()
    return out


def _f32(values):
    return [np.asarray(v, np.float32) for v in values]


def _tracker_model():
    """TrackerModel built, with the fixture's initial layer weights."""
    model = TrackerModel(name="tracker_model")
    model(X[:1])
    model.hidden.set_weights(_f32(REF["data"]["hidden"]))
    model.out.set_weights(_f32(REF["data"]["out"]))
    return model


def _outer():
    keras.backend.clear_session()
    model = Outer(name="outer")
    model(X[:2])
    return model


@pytest.fixture(scope="module")
def described():
    """Every case of the fixture, made with kerasfront exactly as tools/make_subclass_weights_fixtures.py makes it
    with tf.keras."""
    cases = {}
    keras.backend.clear_session()
    model = TrackerModel(name="tracker_model")
    cases["tracker_unbuilt"] = _describe(model, values=True)
    model(X[:1])
    model.hidden.set_weights(_f32(REF["data"]["hidden"]))
    model.out.set_weights(_f32(REF["data"]["out"]))
    cases["tracker_built"] = _describe(model, values=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    cases["tracker_after_fit"] = _describe(model, values=True)
    cases["tracker_after_fit"]["history"] = history.history
    model.trainable = False
    cases["tracker_frozen"] = _describe(model)

    keras.backend.clear_session()
    model = PlainModel(name="plain_model")
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", keras.metrics.AUC(num_thresholds=3)])
    cases["compiled_subclass_before_fit"] = _describe(model)
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["compiled_subclass_after_fit"] = _describe(model)

    keras.backend.clear_session()
    inputs = keras.Input((3,), name="x")
    outputs = layers.Dense(1, name="head")(layers.Dense(4, name="hidden")(inputs))
    model = keras.Model(inputs, outputs, name="functional")
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", keras.metrics.AUC(num_thresholds=3)])
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["compiled_functional_after_fit"] = _describe(model)
    model.attribute_tracker = keras.metrics.Mean(name="attribute_tracker")
    cases["functional_with_attribute_metric"] = _describe(model)
    keras.backend.clear_session()
    model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(1)], name="sequential")
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["compiled_sequential_after_fit"] = _describe(model)
    model.attribute_tracker = keras.metrics.Mean(name="attribute_tracker")
    cases["sequential_with_attribute_metric"] = _describe(model)
    keras.backend.clear_session()
    inputs = keras.Input((3,), name="x")
    model = FunctionalWithTracker(inputs, layers.Dense(1, name="head")(inputs), name="functional_subclass")
    cases["functional_subclass_with_tracker"] = _describe(model)

    keras.backend.clear_session()
    layer = MeanTrackingLayer(name="tracking")
    layer(X)
    cases["tracking_layer"] = {"weights": _names(layer.weights), "non_trainable_weights": _names(
        layer.non_trainable_weights), "n_get_weights": len(layer.get_weights())}
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, MeanTrackingLayer(name="tracking_in_functional")(inputs), name="functional_tracking")
    cases["functional_with_tracking_layer"] = _describe(model)
    model = HoldsTrackingLayer(name="holds_tracking")
    model(X[:2])
    cases["subclass_with_tracking_layer"] = _describe(model)

    keras.backend.clear_session()
    model = ContainersModel(name="containers")
    model(X[:2])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["containers"] = _describe(model)
    model.trainable = False
    cases["containers_frozen"] = _describe(model)

    model = _outer()
    model.set_weights(_f32(CASES["nested"]["get_weights"]))
    cases["nested"] = _describe(model, values=True)
    model.inner.trainable = False
    cases["nested_inner_frozen"] = _describe(model)
    return cases


@pytest.mark.parametrize("case", sorted(CASES))
def test_weight_lists_match_tf_keras(described, case):
    """Names, shapes, dtypes and order of weights / variables (all, trainable, non-trainable), the length of
    get_weights, count_params and the metrics, case by case."""
    expected, got = CASES[case], described[case]
    for key in expected:
        if key in ("get_weights", "history", "summary_totals"):
            continue
        assert got[key] == expected[key], f"{case}: {key}"


@pytest.mark.parametrize("case", ["tracker_unbuilt", "tracker_built", "tracker_after_fit", "nested"])
def test_get_weights_values_match_tf_keras(described, case):
    """The values too, the metric trackers' running totals after fit included."""
    got, expected = described[case]["get_weights"], CASES[case]["get_weights"]
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, np.asarray(e, np.float32), rtol=1e-5, atol=1e-6, err_msg=f"{case} #{i}")
    if case == "tracker_after_fit":
        for key, values in CASES[case]["history"].items():
            np.testing.assert_allclose(described[case]["history"][key], values, rtol=1e-5, err_msg=key)


def test_set_weights_takes_a_list_made_by_tf_keras():
    keras.backend.clear_session()
    model = TrackerModel(name="tracker_model")
    model(X[:1])
    values = _f32(CASES["tracker_after_fit"]["get_weights"])
    model.set_weights(values)
    for got, expected in zip(model.get_weights(), values):
        np.testing.assert_array_equal(got, expected)
    # the trackers' state came with it: their results are those of tf.keras's last epoch
    assert float(model.loss_tracker.result().data) == pytest.approx(CASES["tracker_after_fit"]["history"]["loss"][-1],
                                                                     rel=1e-6)
    assert float(model.mae_metric.result().data) == pytest.approx(CASES["tracker_after_fit"]["history"]["mae"][-1],
                                                                   rel=1e-6)


def test_set_weights_with_a_bad_list_says_why_and_changes_nothing():
    model = _tracker_model()
    model.loss_tracker.update_state([2.0, 4.0])
    before = model.get_weights()
    layer_only = model.hidden.get_weights() + model.out.get_weights()      # the list without the trackers
    with pytest.raises(ValueError, match=r"weight list of length 4, but the layer was expecting 8 weights"):
        model.set_weights(layer_only)
    bad_shape = [np.zeros_like(w) for w in before]
    bad_shape[2] = np.zeros((2,), np.float32)                              # loss_tracker's total is a scalar
    with pytest.raises(ValueError, match=r'weight "total:0" has shape \(\), which is not compatible with the '
                                         r"provided weight shape \(2,\)"):
        model.set_weights(bad_shape)
    for got, expected in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, expected)
    assert float(model.loss_tracker.result().data) == 3.0


def _layout(path):
    def strs(a):
        return [x.decode() if isinstance(x, bytes) else str(x) for x in np.asarray(a).ravel()]
    with h5py.File(path, "r") as f:
        out = {"layer_names": strs(f.attrs["layer_names"]), "groups": {}, "datasets": {}}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out["datasets"][name] = list(obj.shape)
            elif "weight_names" in obj.attrs:
                out["groups"][name] = strs(obj.attrs["weight_names"])
        f.visititems(visit)
    return out


def test_h5_of_a_model_with_trackers_is_laid_out_as_tf_keras_and_loads_both_ways(tmp_path):
    """The trackers are not layers: neither file holds them, and loading leaves them as they are."""
    keras.backend.clear_session()
    model = _tracker_model()
    model.set_weights(_f32(CASES["tracker_after_fit"]["get_weights"]))
    path = str(tmp_path / "kf.h5")
    model.save_weights(path)
    assert _layout(path) == REF["layouts"]["tracker_model.h5"]

    keras.backend.clear_session()
    other = _tracker_model()
    other.loss_tracker.update_state([5.0])
    other.load_weights(os.path.join(FIXTURES, "tracker_model.h5"))
    trained = _f32(CASES["tracker_after_fit"]["get_weights"])
    got = other.get_weights()
    for i in (0, 1, 4, 5):                                      # the layers' weights: tf.keras's trained values
        np.testing.assert_array_equal(got[i], trained[i])
    np.testing.assert_array_equal(got[2:4], [5.0, 1.0])        # loss_tracker total, count: untouched
    np.testing.assert_array_equal(got[6:8], [0.0, 0.0])        # mae_metric: untouched
    other.load_weights(path)
    for g, e in zip(other.get_weights(), model.get_weights()[:2] + got[2:4] + model.get_weights()[4:6] + got[6:]):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("inner_frozen", [False, True])
def test_nested_model_h5_holds_its_trackers_in_its_group_as_tf_keras(tmp_path, inner_frozen):
    """A subclassed model inside another: its group lists its trainable weights, then its non-trainable ones (its
    tracker's total and count among them), as tf.keras writes them, frozen or not."""
    name = "nested_frozen.h5" if inner_frozen else "nested_model.h5"
    values = _f32(CASES["nested"]["get_weights"])
    model = _outer()
    model.set_weights(values)
    model.inner.trainable = not inner_frozen
    path = str(tmp_path / name)
    model.save_weights(path)
    assert _layout(path) == REF["layouts"][name]
    with h5py.File(path, "r") as f:
        assert float(f["inner/total:0"][()]) == values[6] and float(f["inner/count:0"][()]) == values[7]

    other = _outer()
    other.load_weights(os.path.join(FIXTURES, name))
    got = other.get_weights()
    np.testing.assert_array_equal(got[:2], [0.0, 0.0])         # the outer tracker is not in the file
    for g, e in zip(got[2:], values[2:]):
        np.testing.assert_array_equal(g, e)


def test_a_nested_sequential_models_group_lists_its_trainable_weights_first(tmp_path):
    keras.backend.clear_session()
    block = keras.Sequential([layers.BatchNormalization(input_shape=(3,)), layers.Dense(2)], name="block")
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, layers.Dense(1, name="head")(block(inputs)), name="functional_nested")
    path = str(tmp_path / "functional_nested.h5")
    model.save_weights(path)
    assert _layout(path) == REF["layouts"]["functional_nested.h5"]
    other = keras.models.clone_model(model)
    other.load_weights(path)
    for g, e in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(g, e)


def test_nested_model_file_loads_whether_the_nested_model_was_frozen_or_not():
    """tf.keras lists a frozen nested model's weights in another order; the names pair them (tf.keras itself
    pairs by position and refuses such a file, or worse, loads it wrongly where the shapes agree)."""
    values = _f32(CASES["nested"]["get_weights"])
    for name, frozen in (("nested_frozen.h5", False), ("nested_model.h5", True)):
        model = _outer()
        model.inner.trainable = not frozen
        model.load_weights(os.path.join(FIXTURES, name))
        for g, e in zip(model.get_weights()[2:], values[2:]):
            np.testing.assert_array_equal(g, e)


def test_weight_files_of_an_unbuilt_model_with_trackers_still_say_it_is_not_built(tmp_path):
    """The trackers' variables exist before the model is built: they do not make it look built."""
    keras.backend.clear_session()
    model = _tracker_model()
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    unbuilt = TrackerModel(name="tracker_model")
    assert len(unbuilt.weights) == 4
    with pytest.raises(ValueError, match="has no weights yet"):
        unbuilt.load_weights(path)
    with pytest.raises(ValueError, match="has no weights yet"):
        unbuilt.save_weights(str(tmp_path / "unbuilt.h5"))


def test_keras3_weights_file_and_restore_best_weights_keep_working_with_trackers(tmp_path):
    keras.backend.clear_session()
    model = _tracker_model()
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    other = _tracker_model()
    other.hidden.set_weights([np.zeros_like(w) for w in other.hidden.get_weights()])
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    model.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[stop])
    assert len(model.get_weights()) == 8


def test_summary_counts_the_trackers_as_non_trainable_params():
    keras.backend.clear_session()
    model = _tracker_model()
    lines = []
    model.summary(print_fn=lines.append)
    assert [ln for ln in lines if "params:" in ln] == CASES["tracker_built"]["summary_totals"]
