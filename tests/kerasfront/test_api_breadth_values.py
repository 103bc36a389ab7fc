"""The focal losses, the newer metrics and the optimizers (new and legacy) against value tables made by real
tf.keras 2.21 (tools/make_api_breadth_fixtures.py): values, results after each batch, configs, final weights and
every saved slot after five steps; and a tf.keras file saved with a legacy optimizer loads and resumes."""
import json
import os

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront.variables import Variable

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "api_breadth")
with open(os.path.join(HERE, "values.json")) as _f:
    VALUES = json.load(_f)


def _arr(v):
    return None if v is None else np.asarray(v, dtype=np.float32)


def _f32(value):
    """A config with every float rounded to float32 (the fixture writes float32 numbers in their shortest form)."""
    if isinstance(value, dict):
        # tf.keras 2.21 writes nested objects with "module" and "registered_name" too; kerasfront reads both forms
        return {k: _f32(v) for k, v in value.items() if k not in ("module", "registered_name")}
    if isinstance(value, list):
        return [_f32(v) for v in value]
    if isinstance(value, float):
        return float(np.float32(value))
    return value


def _id(entry):
    return f"{entry['class_name']}-{json.dumps(entry.get('kwargs', entry.get('config')), sort_keys=True)[:60]}"


@pytest.mark.parametrize("case", VALUES["losses"], ids=_id)
def test_focal_losses_match_tf_keras(case):
    config = dict(case["config"])
    loss = keras.losses.deserialize({"class_name": case["class_name"], "config": config})
    assert loss.get_config() == case["config"]
    y_true, y_pred, sw = _arr(case["y_true"]), _arr(case["y_pred"]), _arr(case["sample_weight"])
    value = loss(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(value.data, case["value"], rtol=1e-5, atol=1e-6)
    fn = keras.losses.get(case["config"]["fn"])
    kw = {k: v for k, v in case["config"].items() if k not in ("name", "reduction", "fn")}
    np.testing.assert_allclose(fn(y_true, y_pred, **kw).data, case["per_sample"], rtol=1e-5, atol=1e-6)


def test_focal_losses_differentiate_and_validate():
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    logits = ag.tensor(np.array([[0.3, -1.0], [2.0, 0.5]]), requires_grad=True)
    for loss in (keras.losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True),
                 keras.losses.CategoricalFocalCrossentropy(from_logits=True, alpha=[0.3, 0.7])):
        ag.gradcheck(lambda z: loss(y_true, z), logits.data)
    with pytest.raises(ValueError, match="gamma"):
        keras.losses.BinaryFocalCrossentropy(gamma=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        keras.losses.CategoricalFocalCrossentropy(alpha="big")
    with pytest.raises(ValueError, match="label_smoothing"):
        keras.losses.CategoricalFocalCrossentropy(label_smoothing=1.5)
    for make, error, match in (
            (lambda: keras.losses.BinaryFocalCrossentropy(alpha=[0.2, 0.8]), ValueError, "`alpha` must be a finite"),
            (lambda: keras.losses.BinaryFocalCrossentropy(from_logits="yes"), TypeError, "`from_logits`"),
            (lambda: keras.losses.BinaryFocalCrossentropy(apply_class_balancing=None), TypeError,
             "`apply_class_balancing` must be True or False, received apply_class_balancing=None"),
            (lambda: keras.losses.CategoricalFocalCrossentropy(alpha=[]), ValueError, "one weight per class"),
            (lambda: keras.losses.CategoricalFocalCrossentropy(alpha=[0.2, float("nan")]), ValueError, "alpha=nan"),
            (lambda: keras.losses.CategoricalFocalCrossentropy(axis=1.5), ValueError, "`axis` must be an integer")):
        with pytest.raises(error, match=match):       # were accepted (a list alpha broadcast into a wrong loss)
            make()
    assert keras.losses.CategoricalFocalCrossentropy(alpha=(0.2, 0.8)).alpha == (0.2, 0.8)
    assert keras.losses.get("binary_focal_crossentropy") is keras.losses.binary_focal_crossentropy
    assert keras.metrics.get("categorical_focal_crossentropy") is keras.losses.categorical_focal_crossentropy


@pytest.mark.parametrize("case", VALUES["metrics"], ids=_id)
def test_metrics_match_tf_keras(case):
    metric = getattr(keras.metrics, case["class_name"])(**case["kwargs"])
    for batch, expected in zip(case["batches"], case["results"]):
        if case["class_name"] == "MeanTensor":
            values, sw = batch
            metric.update_state(_arr(values), sample_weight=_arr(sw))
        else:
            y_true, y_pred, sw = batch
            metric.update_state(_arr(y_true), _arr(y_pred), sample_weight=_arr(sw))
        np.testing.assert_allclose(np.asarray(metric.result().data), expected, rtol=1e-5, atol=1e-6)
    # NOTE: tf.keras numbers the default names of same-class metrics in a session (io_u, io_u_1): names aside
    config, expected = (_f32(dict(c, name=None)) for c in (json.loads(json.dumps(metric.get_config())), case["config"]))
    assert config == expected
    rebuilt = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()
    metric.reset_state()
    assert metric.variables and all(np.all(v.data == 0) for v in metric.variables)


def test_metrics_validate_their_arguments():
    M = keras.metrics
    for make, match in ((lambda: M.F1Score(average="mean"), "average"), (lambda: M.FBetaScore(beta=2), "beta"),
                        (lambda: M.F1Score(threshold=1.5), "threshold"), (lambda: M.IoU(2, [0, 2]), "out of range"),
                        (lambda: M.MeanIoU(num_classes=0), "num_classes"),
                        (lambda: M.R2Score(class_aggregation="mean"), "class_aggregation"),
                        (lambda: M.R2Score(num_regressors=-1), "num_regressors"),
                        (lambda: M.PrecisionAtRecall(1.5), "recall"),
                        (lambda: M.SensitivityAtSpecificity(0.5, num_thresholds=0), "num_thresholds")):
        with pytest.raises(ValueError, match=match):
            make()
    m = M.MeanIoU(num_classes=2)
    with pytest.raises(ValueError, match="num_classes"):
        m.update_state([0, 2], [0, 1])
    assert np.all(m.total_cm.data == 0)          # nothing changed
    with pytest.raises(ValueError, match="2D"):
        M.F1Score().update_state(np.ones(3), np.ones(3))
    # were accepted (an axis or flag of any type, a nan beta) or failed later in numpy without the argument's name
    for make, error, match in ((lambda: M.IoU(3, [0], axis="last"), ValueError, "`axis` must be an integer"),
                               (lambda: M.MeanIoU(3, sparse_y_true="no"), TypeError, "`sparse_y_true`"),
                               (lambda: M.OneHotIoU(3, [0], ignore_class=[1]), ValueError, "`ignore_class`"),
                               (lambda: M.BinaryIoU(threshold=float("nan")), ValueError, "`threshold`"),
                               (lambda: M.IoU(2, [0, 2]), ValueError, r"target_class_ids=\[0, 2\]"),
                               (lambda: M.FBetaScore(beta=float("nan")), ValueError, "beta"),
                               (lambda: M.F1Score(threshold=float("nan")), ValueError, "threshold"),
                               (lambda: M.MeanTensor(shape=3), ValueError, "`shape` must be a tuple"),
                               (lambda: M.MeanTensor(shape=(2, -1)), ValueError, r"shape=\(2, -1\)")):
        with pytest.raises(error, match=match):
            make()
    assert M.MeanTensor(shape=(2, 3)).total.shape == (2, 3)
    with pytest.raises(ValueError, match="same shape"):
        t = M.MeanTensor()
        t.update_state([1.0, 2.0])
        t.update_state([1.0, 2.0, 3.0])


def test_new_metrics_train_in_fit_and_log_per_class_arrays():
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("adam", "categorical_crossentropy",
                  metrics=[keras.metrics.F1Score(), keras.metrics.OneHotMeanIoU(num_classes=3),
                           keras.metrics.RecallAtPrecision(0.5)])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert history.history["f1_score"][0].shape == (3,)
    assert isinstance(history.history["one_hot_mean_io_u"][0], float)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "f1_score", "one_hot_mean_io_u", "recall_at_precision"}


def _optimizer(case):
    module = keras.optimizers.legacy if case["module"].endswith("legacy") else keras.optimizers
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = keras.optimizers.schedules.deserialize(kwargs["learning_rate"])
    return getattr(module, case["class_name"])(**kwargs)


@pytest.mark.parametrize("case", VALUES["optimizers"], ids=lambda c: f"{c['module']}.{_id(c)}")
def test_optimizer_steps_match_tf_keras(case):
    opt = _optimizer(case)
    vs = [Variable(np.asarray(case["weights"][0], np.float32), name="dense/kernel"),
          Variable(np.asarray(case["weights"][1], np.float32), name="dense/bias")]
    for grads in case["gradients"]:
        opt.apply_gradients(zip([ag.tensor(np.asarray(g, np.float32)) for g in grads], vs))
    opt.finalize_variable_values(vs) if hasattr(opt, "finalize_variable_values") else None
    for v, expected in zip(vs, case["final"]):
        np.testing.assert_allclose(v.data, expected, rtol=2e-5, atol=2e-6)
    saved = {v.name: v.data for v in opt.variables}
    assert list(saved) == list(case["slots"])          # names and order: what an .h5 file holds
    for name, expected in case["slots"].items():
        np.testing.assert_allclose(saved[name], expected, rtol=2e-5, atol=2e-6, err_msg=name)
    config = json.loads(json.dumps(opt.get_config(), default=lambda o: o.item() if hasattr(o, "item") else o))
    assert _f32(config) == _f32(case["config"])


def test_legacy_configs_deserialize_to_legacy_optimizers_as_tf_keras_does():
    O = keras.optimizers
    opt = O.deserialize({"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.01, "decay": 0.5,
                                                          "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                                                          "amsgrad": False}})
    assert isinstance(opt, O.legacy.Adam) and opt.get_config()["decay"] == 0.5
    opt = O.deserialize({"class_name": "SGD", "config": {"name": "SGD", "lr": 0.1, "momentum": 0.9}})
    assert isinstance(opt, O.legacy.SGD) and float(opt.learning_rate) == pytest.approx(0.1)
    assert isinstance(O.get("adam"), O.Adam) and isinstance(O.get("adam", use_legacy_optimizer=True), O.legacy.Adam)
    new = O.deserialize(O.serialize(O.Adam(learning_rate=0.5)))
    assert type(new) is O.Adam
    # a Keras 3 config has no is_legacy_optimizer but new-only keys: still the new optimizer
    k3 = O.deserialize({"class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.01, "weight_decay": None,
                                                         "use_ema": False, "beta_1": 0.9}})
    assert type(k3) is O.Adam
    # a legacy config for a class with no legacy version: decay becomes the equivalent schedule
    adamw = O.deserialize({"class_name": "AdamW", "config": {"learning_rate": 0.01, "decay": 0.5,
                                                             "weight_decay": 0.01, "is_legacy_optimizer": True}})
    assert float(adamw._learning_rate(4)) == pytest.approx(0.01 / 3)
    assert O.experimental.Adam is O.Adam and O.legacy.Optimizer is O.legacy.OptimizerV2
    with pytest.raises(TypeError, match="Unexpected keyword argument"):
        O.legacy.Adam(weight_decay=0.1)
    with pytest.raises(ValueError, match="decay"):
        O.Adam(decay=0.1)
    with pytest.raises(ValueError, match="momentum"):
        O.legacy.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="beta_1"):
        O.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        O.Ftrl(learning_rate_power=0.5)
    # the newer arguments: EMA settings checked even with use_ema=False (were accepted: ema_momentum="nope")
    for make, error, match in ((lambda: O.Lion(use_ema="yes"), TypeError, "`use_ema` must be True or False"),
                               (lambda: O.Ftrl(ema_momentum="nope"), ValueError, "`ema_momentum` must be a number"),
                               (lambda: O.Adafactor(ema_overwrite_frequency=0), ValueError,
                                "`ema_overwrite_frequency` must be an integer >= 1 or None"),
                               (lambda: O.Adafactor(relative_step=None), TypeError, "`relative_step`"),
                               (lambda: O.Adam(adaptive_epsilon=1), TypeError, "`adaptive_epsilon`"),
                               (lambda: O.Adam(use_ema=True, ema_momentum=1.5), ValueError, "ema_momentum=1.5")):
        with pytest.raises(error, match=match):
            make()
    assert O.Adam(use_ema=True, ema_overwrite_frequency=3).get_config()["ema_overwrite_frequency"] == 3


def test_legacy_hyperparameters_are_variables_that_callbacks_can_set():
    opt = keras.optimizers.legacy.RMSprop(learning_rate=0.1, decay=0.01)
    keras.backend.set_value(opt.lr, 0.05)
    assert float(opt.learning_rate) == pytest.approx(0.05)
    opt.learning_rate = 0.02
    assert float(keras.backend.get_value(opt.lr)) == pytest.approx(0.02)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.1), "mse")
    history = model.fit(np.ones((8, 2), "float32"), np.ones((8, 1), "float32"), epochs=3, verbose=0,
                        callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    assert history.history["lr"] == pytest.approx([0.05, 0.025, 0.0125])


def test_a_tf_keras_file_with_a_legacy_optimizer_loads_resumes_and_is_written_back_in_the_legacy_layout(tmp_path):
    data = np.load(os.path.join(HERE, "legacy_resume.npz"))
    model = keras.models.load_model(os.path.join(HERE, "legacy_adam_resume.h5"))
    assert isinstance(model.optimizer, keras.optimizers.legacy.Adam)
    assert model.optimizer.get_config()["decay"] == pytest.approx(0.05)
    assert int(model.optimizer.iterations.data) == 6
    history = model.fit(data["x"], data["y"], batch_size=16, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], data["history_loss"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(history.history["accuracy"], data["history_accuracy"], rtol=1e-4, atol=1e-5)
    assert int(model.optimizer.iterations.data) == int(data["iterations"])
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, data[f"w_{i}"], rtol=1e-4, atol=1e-5)
    path = str(tmp_path / "resaved.h5")
    model.save(path)
    import h5py
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["optimizer_weights"].attrs["weight_names"]]
        training = json.loads(f.attrs["training_config"])
        with h5py.File(os.path.join(HERE, "legacy_adam_resume.h5"), "r") as g:
            tf_names = [n.decode() if isinstance(n, bytes) else n for n in g["optimizer_weights"].attrs["weight_names"]]
            tf_training = json.loads(g.attrs["training_config"])
    assert names == tf_names and names[0] == "Adam/iter:0" and names[1].endswith("/kernel/m:0")
    assert training["optimizer_config"]["class_name"] == tf_training["optimizer_config"]["class_name"] == "Adam"
    assert sorted(training["optimizer_config"]["config"]) == sorted(tf_training["optimizer_config"]["config"])
    again = keras.models.load_model(path)
    for a, b in zip(again.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
