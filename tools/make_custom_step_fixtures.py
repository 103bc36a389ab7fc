"""Make tests/fixtures/custom_train_step/guide_step.json with real tf.keras (tf_keras 2.21).

The keras.io guide "Customizing what happens in fit()" pattern: a Model subclass whose train_step computes the
loss under a GradientTape, tracks it with its own Mean metric listed in a ``metrics`` property, and a custom
test_step; fit with validation, then evaluate. The fixture holds the data, the initial weights, the history,
the final weights and evaluate's result.

Run:
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/make_custom_step_fixtures.py
"""
import json
import os

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "custom_train_step", "guide_step.json")


class GuideModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(4, activation="tanh")
        self.out = keras.layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, x, training=False):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = keras.losses.mean_squared_error(y, y_pred)
            loss = tf.reduce_mean(loss * sw) if sw is not None else tf.reduce_mean(loss)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(tf.reduce_mean(keras.losses.mean_squared_error(y, y_pred)))
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def main():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = (x @ np.array([[0.5], [-1.0], [2.0]], "float32") + 0.1).astype("float32")
    sw = rng.uniform(0.5, 1.5, size=(24,)).astype("float32")
    xv, yv = x[:8] * 0.5, y[:8] * 0.5
    model = GuideModel()
    model(x[:1])
    # NOTE: tf.keras's get_weights also lists the metric trackers' variables: the fixture holds the layers' own
    trainable = model.hidden.weights + model.out.weights
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in trainable]
    for v, w in zip(trainable, weights):
        v.assign(w)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    history = model.fit(x, y, sample_weight=sw, batch_size=8, epochs=3, shuffle=False, verbose=0,
                        validation_data=(xv, yv))
    evaluated = model.evaluate(xv, yv, batch_size=4, verbose=0, return_dict=True)
    data = {
        "x": x.tolist(), "y": y.tolist(), "sample_weight": sw.tolist(), "x_val": xv.tolist(), "y_val": yv.tolist(),
        "initial_weights": [w.tolist() for w in weights],
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "final_weights": [w.numpy().tolist() for w in trainable],
        "evaluate": {k: float(v) for k, v in evaluated.items()},
    }
    with open(OUT, "w") as f:
        json.dump(data, f)
    print("wrote", os.path.normpath(OUT), data["history"], data["evaluate"])


if __name__ == "__main__":
    main()
