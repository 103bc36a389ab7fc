"""Model.train_step / test_step / predict_step overrides (tf.keras's guide "Customizing what happens in fit()"),
the pieces an override uses (compiled_loss, compiled_metrics, compute_loss, optimizer.apply_gradients/minimize,
its own metric trackers) and ag.GradientTape.

The guide's pattern is checked against kerasfront's own default fit (same weights and history) and against real
tf.keras (tests/fixtures/custom_train_step/guide_step.json, made by tools/make_custom_step_fixtures.py).
"""
import json
import os

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "custom_train_step", "guide_step.json")


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1)) + 0.3).astype("float32")
    return x, y


class GuideModel(keras.Model):
    """The guide's first example: compiled loss and metrics inside a GradientTape step."""

    def train_step(self, data):
        x, y = data
        with ag.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def _functional(cls, seed=3, regularizer=None):
    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=(5,))
    hidden = layers.Dense(4, activation="tanh", kernel_regularizer=regularizer)(inp)
    model = cls(inp, layers.Dense(1)(hidden))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def _assert_same_training(a, b, ha, hb):
    assert ha.history.keys() == hb.history.keys()
    for key in hb.history:
        np.testing.assert_allclose(ha.history[key], hb.history[key], rtol=1e-6, atol=1e-7)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


def test_guide_train_step_trains_like_the_default_fit():
    x, y = _data()
    custom, default = _functional(GuideModel, regularizer="l2"), _functional(keras.Model, regularizer="l2")
    h_custom = custom.fit(x, y, batch_size=8, epochs=3, verbose=0, validation_split=0.25, shuffle=False)
    h_default = default.fit(x, y, batch_size=8, epochs=3, verbose=0, validation_split=0.25, shuffle=False)
    assert set(h_custom.history) == {"loss", "mae", "val_loss", "val_mae"}
    _assert_same_training(custom, default, h_custom, h_default)
    assert custom.metrics_names == ["loss", "mae"]            # the loss tracker first


def test_train_step_is_called_for_every_batch_eagerly_and_the_default_keeps_its_capture():
    calls = []

    class Counting(keras.Model):
        def train_step(self, data):
            calls.append(type(data[0]).__name__)
            return super().train_step(data)
    x, y = _data(24)
    model = _functional(Counting)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert calls == ["Tensor"] * 6
    assert not model._step_capture.entries                  # the override runs eagerly: nothing was captured
    default = _functional(keras.Model)
    default.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert any(e.replay is not None for e in default._step_capture.entries.values())   # the default replays


def test_super_train_step_returns_the_logs_and_matches_the_default():
    class Super(keras.Model):
        def train_step(self, data):
            logs = super().train_step(data)
            assert set(logs) == {"loss", "mae"} and all(isinstance(v, float) for v in logs.values())
            return logs
    x, y = _data()
    a, b = _functional(Super), _functional(keras.Model)
    _assert_same_training(a, b, a.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False),
                          b.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False))


class TrackerModel(keras.Model):
    """The guide's "going lower-level" example: no compiled loss, its own Mean tracker in `metrics`."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.seen_sample_weight = []

    def call(self, x, training=False):
        return self.dense(x)

    def train_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        self.seen_sample_weight.append(None if sw is None else np.array(sw.data))
        with ag.GradientTape() as tape:
            y_pred = self(x, training=True)
            per_sample = keras.losses.mean_squared_error(y, y_pred)
            loss = ag.mean(per_sample * sw) if sw is not None else ag.mean(per_sample)
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(ag.mean(keras.losses.mean_squared_error(y, y_pred)))
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def test_own_loss_tracker_is_reset_every_epoch_and_sample_weight_reaches_the_step():
    x, y = _data(16)
    sw = np.linspace(0.5, 2.0, 16).astype("float32")
    model = TrackerModel()
    model.compile(optimizer=keras.optimizers.SGD(0.0))       # no update: every epoch sees the same losses
    history = model.fit(x, y, sample_weight=sw, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(history.history["loss"][2], rel=1e-6)
    np.testing.assert_array_equal(model.seen_sample_weight[0], sw[:8])
    np.testing.assert_array_equal(model.seen_sample_weight[1], sw[8:])
    pred = model.predict(x, verbose=0)[:, 0]
    per_sample = (pred - y[:, 0]) ** 2
    expected = np.mean([np.mean(per_sample[:8] * sw[:8]), np.mean(per_sample[8:] * sw[8:])])
    assert history.history["loss"][1] == pytest.approx(expected, rel=1e-5)


def test_guide_step_matches_tf_keras():
    with open(FIXTURE) as f:
        ref = json.load(f)
    f32 = lambda v: np.asarray(v, np.float32)  # noqa: E731

    class GuideTwoLayer(TrackerModel):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(4, activation="tanh")

        def call(self, x, training=False):
            return self.dense(self.hidden(x))
    model = GuideTwoLayer()
    model(f32(ref["x"])[:1])
    weights = [f32(w) for w in ref["initial_weights"]]          # hidden kernel, bias; output kernel, bias
    model.hidden.set_weights(weights[:2])
    model.dense.set_weights(weights[2:])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    history = model.fit(f32(ref["x"]), f32(ref["y"]), sample_weight=f32(ref["sample_weight"]), batch_size=8,
                        epochs=3, shuffle=False, verbose=0, validation_data=(f32(ref["x_val"]), f32(ref["y_val"])))
    assert set(history.history) == set(ref["history"])
    for key, values in ref["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    for w, expected in zip(model.hidden.get_weights() + model.dense.get_weights(), ref["final_weights"]):
        np.testing.assert_allclose(w, f32(expected), rtol=1e-5, atol=1e-6)
    logs = model.evaluate(f32(ref["x_val"]), f32(ref["y_val"]), batch_size=4, verbose=0, return_dict=True)
    for key, value in ref["evaluate"].items():
        assert logs[key] == pytest.approx(value, rel=1e-5, abs=1e-6)


def test_custom_test_step_is_used_by_evaluate_and_by_fit_validation():
    calls = []

    class Halved(keras.Model):
        def test_step(self, data):
            x, y = data
            calls.append(len(x.data))
            y_pred = self(x, training=False)
            self.compiled_loss(y, y_pred * 0.5)
            return {"loss": self.metrics[0].result(), "half": 0.5}
    x, y = _data(20)
    model = _functional(Halved)
    loss, half = model.evaluate(x, y, batch_size=8, verbose=0)
    assert calls == [8, 8, 4] and half == 0.5
    expected = np.mean((model.predict(x, verbose=0) * 0.5 - y) ** 2)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(expected, rel=1e-5),
                                                                   "half": 0.5}
    history = model.fit(x, y, batch_size=10, epochs=1, verbose=0, validation_data=(x, y))
    assert history.history["val_half"] == [0.5] and "val_mae" not in history.history
    assert model.test_on_batch(x, y, return_dict=True)["half"] == 0.5


def test_predict_step_override_is_used_by_predict_and_predict_on_batch():
    class Doubled(keras.Model):
        def predict_step(self, data):
            return {"double": self(data, training=False) * 2.0, "plain": self(data, training=False)}
    x, _ = _data(10)
    model = _functional(Doubled)
    out = model.predict(x, batch_size=4, verbose=0)
    plain = keras.Model.predict(_functional(keras.Model), x, verbose=0)
    np.testing.assert_allclose(out["plain"], plain, rtol=1e-6)
    np.testing.assert_allclose(out["double"], 2 * plain, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x)["double"], 2 * plain, rtol=1e-6)


def test_compute_loss_and_compute_metrics_as_keras_spells_them():
    class Computing(keras.Model):
        def train_step(self, data):
            x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
            with ag.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred, sw)
            self.optimizer.apply_gradients(zip(tape.gradient(loss, self.trainable_variables),
                                               self.trainable_variables))
            return self.compute_metrics(x, y, y_pred, sw)
    x, y = _data()
    sw = np.linspace(0.1, 1.0, 40).astype("float32")
    a, b = _functional(Computing), _functional(keras.Model)
    _assert_same_training(a, b, a.fit(x, y, sample_weight=sw, batch_size=8, epochs=2, verbose=0, shuffle=False),
                          b.fit(x, y, sample_weight=sw, batch_size=8, epochs=2, verbose=0, shuffle=False))
    logs = a.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "mae"}


def test_gan_like_step_with_two_optimizers():
    class GAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.generator = keras.Sequential([layers.Input((2,)), layers.Dense(3)])
            self.discriminator = keras.Sequential([layers.Input((3,)), layers.Dense(1)])
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, real):
            n = real.shape[0]
            noise = ag.tensor(np.random.default_rng(n).normal(size=(n, 2)).astype("float32"))
            fake = self.generator(noise)
            both = ag.concatenate([fake, real], axis=0)
            labels = ag.tensor(np.concatenate([np.ones((n, 1)), np.zeros((n, 1))]).astype("float32"))
            with ag.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(both))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            with ag.GradientTape() as tape:
                g_loss = self.loss_fn(ag.tensor(np.zeros((n, 1), np.float32)), self.discriminator(self.generator(noise)))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
    keras.utils.set_random_seed(0)
    gan = GAN()
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2),
                keras.losses.BinaryCrossentropy(from_logits=True))
    real = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")
    g0, d0 = gan.generator.get_weights(), gan.discriminator.get_weights()
    history = gan.fit(real, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert set(history.history) == {"d_loss", "g_loss"} and len(history.history["d_loss"]) == 2
    assert all(np.isfinite(history.history["g_loss"]))
    assert all(not np.array_equal(a, b) for a, b in zip(g0, gan.generator.get_weights()))
    assert all(not np.array_equal(a, b) for a, b in zip(d0, gan.discriminator.get_weights()))
    assert int(gan.d_optimizer.iterations.numpy()) == 8 and int(gan.g_optimizer.iterations.numpy()) == 8


def test_train_step_must_return_a_dict():
    class Bad(keras.Model):
        def train_step(self, data):
            return 1.0
    x, y = _data(8)
    with pytest.raises(TypeError, match=r"Bad.train_step must return a dict of logs.*received float"):
        _functional(Bad).fit(x, y, verbose=0)


# -- GradientTape ------------------------------------------------------------------------------------------------


def test_gradient_tape_gradients_watch_and_unconnected_sources():
    w = ag.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    unused = ag.tensor(np.array([3.0], np.float32), requires_grad=True)
    c = ag.tensor(np.float32(3.0))
    with ag.GradientTape() as tape:
        tape.watch(c)
        y = ag.sum(w * w) * c
    gw, (gu, gc) = tape.gradient(y, [w, [unused, c]])
    np.testing.assert_allclose(gw.data, [6.0, 12.0])
    assert gu is None and float(gc.data) == pytest.approx(5.0)
    with ag.GradientTape() as tape:
        z = w * 3.0                                 # a non-scalar target: the gradient of its sum, as TF
    np.testing.assert_allclose(tape.gradient(z, w).data, [3.0, 3.0])
    with ag.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = ag.sum(w * unused)
    gw, gu = tape.gradient(y, [w, unused])
    assert gu is None and np.allclose(gw.data, [3.0, 3.0])
    assert keras.backend.GradientTape is ag.GradientTape


def test_gradient_tape_persistent_and_non_persistent():
    x = ag.tensor(np.float32(2.0), requires_grad=True)
    with ag.GradientTape() as tape:
        y = x * x
    assert float(tape.gradient(y, x).data) == 4.0
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used to compute one set"):
        tape.gradient(y, x)
    with ag.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x).data) == 4.0 and float(tape.gradient(z, x).data) == 12.0


def test_gradient_tape_nested_gives_second_derivatives():
    x = ag.tensor(np.float32(3.0))
    with ag.GradientTape() as outer:
        outer.watch(x)
        with ag.GradientTape() as inner:
            inner.watch(x)
            y = x * x * x
        dy = inner.gradient(y, x)
    assert float(dy.data) == pytest.approx(27.0) and float(outer.gradient(dy, x).data) == pytest.approx(18.0)


def test_gradient_tape_bad_arguments_are_clear_errors_and_leave_the_tape_usable():
    x = ag.tensor(np.float32(2.0), requires_grad=True)
    with ag.GradientTape() as tape:
        y = x * x
    with pytest.raises(TypeError, match="`target` must be a Tensor .* received str"):
        tape.gradient("loss", x)
    with pytest.raises(TypeError, match="`target` is None"):
        tape.gradient(None, x)
    with pytest.raises(TypeError, match="`sources` must be a Tensor .* received int"):
        tape.gradient(y, 3)
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, x, unconnected_gradients="ones")
    with pytest.raises(ValueError, match="only floating-point Tensors can be watched"):
        tape.watch(ag.tensor(np.array([1, 2])))
    assert float(tape.gradient(y, x).data) == 4.0     # the failed calls did not use up the tape


def test_custom_test_and_predict_steps_may_use_a_tape():
    class Saliency(keras.Model):
        def test_step(self, data):
            x, y = data
            with ag.GradientTape() as tape:
                loss = self.compiled_loss(y, self(x, training=False))
            grads = tape.gradient(loss, self.trainable_variables)
            return {"grad_norm": float(sum(ag.sum(g * g).data for g in grads)) ** 0.5}

        def predict_step(self, data):
            x = ag.tensor(data.data)
            with ag.GradientTape() as tape:
                tape.watch(x)
                out = ag.sum(self(x, training=False))
            return tape.gradient(out, x)
    x, y = _data(8)
    model = _functional(Saliency)
    assert model.evaluate(x, y, batch_size=8, verbose=0) > 0.0
    saliency = model.predict(x, verbose=0)
    assert saliency.shape == (8, 5) and np.abs(saliency).sum() > 0


def test_a_log_that_is_not_a_number_is_a_clear_error():
    class Texty(keras.Model):
        def train_step(self, data):
            return {"note": "hello"}
    x, y = _data(8)
    with pytest.raises(TypeError, match=r"Texty.train_step returned a log 'note' that is not a number"):
        _functional(Texty).fit(x, y, verbose=0)


def test_two_outputs_custom_step_with_loss_weights_matches_the_default_fit():
    class TwoOutputs(keras.Model):
        def train_step(self, data):
            x, y = data
            assert isinstance(y, list) and len(y) == 2
            with ag.GradientTape() as tape:
                y_pred = self(x, training=True)
                # labels as numpy arrays, as a user may pass them
                loss = self.compiled_loss([y[0].data, y[1].data], y_pred, regularization_losses=self.losses)
            self.optimizer.apply_gradients(zip(tape.gradient(loss, self.trainable_variables),
                                               self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return self.get_metrics_result()

    def build(cls):
        keras.utils.set_random_seed(0)
        inp = keras.Input((3,))
        hidden = layers.Dense(4)(inp)
        model = cls(inp, [layers.Dense(1, name="a")(hidden), layers.Dense(2, name="b")(hidden)])
        model.compile("sgd", ["mse", "mae"], metrics=["mae"], loss_weights=[1.0, 0.5])
        return model
    rng = np.random.default_rng(4)
    x = rng.random((16, 3)).astype("float32")
    y = [rng.random((16, 1)).astype("float32"), rng.random((16, 2)).astype("float32")]
    a, b = build(TwoOutputs), build(keras.Model)
    ha = a.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    hb = b.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert set(ha.history) == {"loss", "a_loss", "b_loss", "a_mae", "b_mae"}
    _assert_same_training(a, b, ha, hb)
