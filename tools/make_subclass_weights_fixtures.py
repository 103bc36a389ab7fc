"""Make tests/fixtures/subclass_weights/ with real tf.keras (tf_keras 2.21): which variables a model's weight lists
hold when the model (or a layer of it) holds metric objects, in which order, and the ``.h5`` layout
``save_weights`` writes for such models.

Run with a Python that has tensorflow-cpu and tf_keras (never the project's environment):
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/make_subclass_weights_fixtures.py

It writes (read by tests/kerasfront/test_subclass_weights.py):

  reference.json  {"cases": {<case>: {"weights": [[name, shape, dtype], ...], "trainable_weights": [names],
                  "non_trainable_weights": [names], "variables": [names], "trainable_variables": [names],
                  "non_trainable_variables": [names], "get_weights": [nested lists] (small cases), "count_params": n,
                  "metrics": [names], "summary_totals": the summary's three "params:" lines, ...}},
                  "data": the inputs and initial weights the cases use, "layouts": {<file>: layout}}
      A layout is the file's root ``layer_names``, then for every group its ``weight_names`` and for every dataset
      its path and shape (``_layout`` below); kerasfront must write the same for the same model.
  tracker_model.h5   ``save_weights`` of the trained "tracker_after_fit" model (metric attributes: no group)
  nested_model.h5    ``save_weights`` of "nested": a subclassed model holding a subclassed model that holds a
                     BatchNormalization, a Dense and a metric (its group lists the metric's variables)
  nested_frozen.h5   the same model with the inner model frozen (another order inside its group)
  (the layout only) functional_nested.h5: a functional model holding a Sequential [BatchNormalization, Dense]

Every case starts from ``clear_session()`` so that layer names are reproducible; the models are defined below and
again, line for line, in the test with kerasfront.
"""
import json
import os
import tempfile

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import h5py  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "subclass_weights")


class TrackerModel(keras.Model):
    """The custom-train_step pattern: metric trackers as attributes, set between the layers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(4, activation="tanh")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.out = keras.layers.Dense(1)
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, x, training=False):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = tf.reduce_mean(keras.losses.mean_squared_error(y, y_pred))
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
        self.hidden = keras.layers.Dense(4, activation="tanh")
        self.out = keras.layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


class ContainersModel(keras.Model):
    """Metrics in a dict and a nested list, a BatchNormalization, an add_metric, a weight of the model's own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = keras.layers.Dense(3)
        self.by_name = {"m": keras.metrics.Mean(name="dict_mean")}
        self.norm = keras.layers.BatchNormalization()
        self.deep = [[keras.metrics.Sum(name="deep_sum")], keras.metrics.AUC(num_thresholds=3, name="auc")]
        self.last = keras.layers.Dense(1)
        self.scale = self.add_weight(name="scale", shape=(1,), initializer="ones")

    def call(self, x):
        y = self.last(self.norm(self.first(x)))
        self.add_metric(tf.reduce_mean(y), name="activation_mean")
        return y * self.scale


class MeanTrackingLayer(keras.layers.Layer):
    """A layer holding a Metric as an attribute (tf.keras leaves it out of the layer's weights)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tracker = keras.metrics.Mean(name="activation_tracker")

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], 2))

    def call(self, x):
        y = tf.matmul(x, self.w)
        self.tracker.update_state(y)
        return y


class HoldsTrackingLayer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.track = MeanTrackingLayer()
        self.out = keras.layers.Dense(1)

    def call(self, x):
        return self.out(self.track(x))


class Inner(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = keras.layers.BatchNormalization()
        self.tracker = keras.metrics.Mean(name="inner_tracker")
        self.dense = keras.layers.Dense(2)

    def call(self, x):
        return self.dense(self.norm(x))


class Outer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tracker = keras.metrics.Mean(name="outer_tracker")
        self.inner = Inner(name="inner")
        self.head = keras.layers.Dense(1)
        self.gain = self.add_weight(name="gain", shape=(1,), initializer="ones")

    def call(self, x):
        return self.head(self.inner(x)) * self.gain


class FunctionalWithTracker(keras.Model):
    """A functional model (made from inputs and outputs) of a subclass that sets a metric attribute."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = keras.metrics.Mean(name="functional_tracker")


def _names(ws):
    return [w.name for w in ws]


def _describe(model, values=False):
    out = {
        "weights": [[w.name, list(w.shape), w.dtype.name] for w in model.weights],
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
        out["get_weights"] = [np.asarray(v).tolist() for v in model.get_weights()]
    return out


def _layout(path):
    """The root ``layer_names``, each group's ``weight_names`` and each dataset's path and shape, in file order."""
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


def _set(variables, arrays):
    for v, a in zip(variables, arrays):
        v.assign(a)


def _data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = (x @ np.array([[0.5], [-1.0], [2.0]], "float32") + 0.1).astype("float32")
    hidden = [rng.normal(scale=0.5, size=s).astype("float32") for s in [(3, 4), (4,)]]
    out = [rng.normal(scale=0.5, size=s).astype("float32") for s in [(4, 1), (1,)]]
    return {"x": x, "y": y, "hidden": hidden, "out": out}


def main():
    os.makedirs(OUT, exist_ok=True)
    d = _data()
    x, y = d["x"], d["y"]
    cases, layouts = {}, {}

    # (a) metric trackers as attributes: before the model is built, once built, after fit; its .h5 file
    keras.backend.clear_session()
    model = TrackerModel(name="tracker_model")
    cases["tracker_unbuilt"] = _describe(model, values=True)
    model(x[:1])
    _set(model.hidden.weights, d["hidden"])
    _set(model.out.weights, d["out"])
    cases["tracker_built"] = _describe(model, values=True)
    lines = []
    model.summary(print_fn=lines.append)
    cases["tracker_built"]["summary_totals"] = [ln for ln in lines if "params:" in ln]
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    cases["tracker_after_fit"] = _describe(model, values=True)
    cases["tracker_after_fit"]["history"] = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    path = os.path.join(OUT, "tracker_model.h5")
    model.save_weights(path)
    layouts["tracker_model.h5"] = _layout(path)
    model.trainable = False
    cases["tracker_frozen"] = _describe(model)

    # (b) a subclassed model with compiled metrics only
    keras.backend.clear_session()
    model = PlainModel(name="plain_model")
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", keras.metrics.AUC(num_thresholds=3)])
    cases["compiled_subclass_before_fit"] = _describe(model)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["compiled_subclass_after_fit"] = _describe(model)

    # (c) functional and Sequential models with compiled metrics; a metric set as an attribute of either
    keras.backend.clear_session()
    inputs = keras.Input((3,), name="x")
    outputs = keras.layers.Dense(1, name="head")(keras.layers.Dense(4, name="hidden")(inputs))
    model = keras.Model(inputs, outputs, name="functional")
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", keras.metrics.AUC(num_thresholds=3)])
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["compiled_functional_after_fit"] = _describe(model)
    model.attribute_tracker = keras.metrics.Mean(name="attribute_tracker")
    cases["functional_with_attribute_metric"] = _describe(model)
    keras.backend.clear_session()
    model = keras.Sequential([keras.layers.Dense(4, input_shape=(3,)), keras.layers.Dense(1)], name="sequential")
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["compiled_sequential_after_fit"] = _describe(model)
    model.attribute_tracker = keras.metrics.Mean(name="attribute_tracker")
    cases["sequential_with_attribute_metric"] = _describe(model)
    keras.backend.clear_session()
    inputs = keras.Input((3,), name="x")
    model = FunctionalWithTracker(inputs, keras.layers.Dense(1, name="head")(inputs), name="functional_subclass")
    cases["functional_subclass_with_tracker"] = _describe(model)

    # (d) a layer holding a Metric attribute: alone, in a functional model, in a subclassed model
    keras.backend.clear_session()
    layer = MeanTrackingLayer(name="tracking")
    layer(x)
    cases["tracking_layer"] = {"weights": _names(layer.weights), "non_trainable_weights": _names(
        layer.non_trainable_weights), "n_get_weights": len(layer.get_weights())}
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, MeanTrackingLayer(name="tracking_in_functional")(inputs), name="functional_tracking")
    cases["functional_with_tracking_layer"] = _describe(model)
    model = HoldsTrackingLayer(name="holds_tracking")
    model(x[:2])
    cases["subclass_with_tracking_layer"] = _describe(model)

    # metrics in a dict and a nested list, add_metric, a BatchNormalization, a weight of the model's own; frozen
    keras.backend.clear_session()
    model = ContainersModel(name="containers")
    model(x[:2])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    cases["containers"] = _describe(model)
    model.trainable = False
    cases["containers_frozen"] = _describe(model)

    # a subclassed model nested in another: its metric's variables are in its group of the .h5 file
    keras.backend.clear_session()
    rng = np.random.default_rng(5)
    model = Outer(name="outer")
    model(x[:2])
    values = [rng.normal(size=w.shape).astype("float32") for w in model.weights]
    model.set_weights(values)
    cases["nested"] = _describe(model, values=True)
    path = os.path.join(OUT, "nested_model.h5")
    model.save_weights(path)
    layouts["nested_model.h5"] = _layout(path)
    model.inner.trainable = False
    cases["nested_inner_frozen"] = _describe(model)
    path = os.path.join(OUT, "nested_frozen.h5")
    model.save_weights(path)
    layouts["nested_frozen.h5"] = _layout(path)

    # a Sequential model inside a functional one: its group lists all its trainable weights first
    keras.backend.clear_session()
    block = keras.Sequential([keras.layers.BatchNormalization(input_shape=(3,)), keras.layers.Dense(2)], name="block")
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(block(inputs)), name="functional_nested")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "functional_nested.h5")
        model.save_weights(path)
        layouts["functional_nested.h5"] = _layout(path)

    data = {"x": x.tolist(), "y": y.tolist(), "hidden": [a.tolist() for a in d["hidden"]],
            "out": [a.tolist() for a in d["out"]]}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"tf_keras_version": keras.__version__, "data": data, "cases": cases, "layouts": layouts}, f,
                  indent=1)
    print("wrote", os.path.normpath(OUT), sorted(cases))


if __name__ == "__main__":
    main()
