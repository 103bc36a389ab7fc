"""The smaller tf.keras 2.21 names issue 13 adds: RadialConstraint and RandomFourierFeatures against values made
by tf.keras (tests/fixtures/api_breadth/values.json), RemoteMonitor against a local HTTP server, BaseLogger,
callbacks.experimental, and the arguments brought in line with tf.keras (Softmax(robust_masking), Input(optional),
save_model's argument order, mnist.load_data(cache_dir), the public (de)serialization functions, Sequence's
keywords, model_from_yaml)."""
import http.server
import json
import os
import threading

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from tests.kerasfront.layer_test_utils import layer_test

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "api_breadth")
with open(os.path.join(HERE, "values.json")) as _f:
    MISC = json.load(_f)["misc"]


@pytest.mark.parametrize("case", MISC["radial_constraint"], ids=lambda c: f"k{len(c['w'])}")
def test_radial_constraint_matches_tf_keras(case):
    w = np.asarray(case["w"], np.float32)
    np.testing.assert_array_equal(keras.constraints.RadialConstraint()(w).data, np.asarray(case["out"], np.float32))
    assert keras.constraints.get("radial_constraint").__class__ is keras.constraints.RadialConstraint
    with pytest.raises(ValueError, match="rank 4"):
        keras.constraints.RadialConstraint()(np.zeros((3, 3), np.float32))


@pytest.mark.parametrize("case", MISC["random_fourier_features"], ids=lambda c: c["config"]["kernel_initializer"])
def test_random_fourier_features_match_tf_keras(case):
    layer = keras.layers.experimental.RandomFourierFeatures(**case["kwargs"])
    x = np.asarray(case["x"], np.float32)
    layer.build(x.shape)
    assert [w.name.split("/")[-1] for w in layer.weights] == [n.split("/")[-1] for n in case["weight_names"]]
    layer.set_weights([np.asarray(w, np.float32) for w in case["weights"]])
    np.testing.assert_allclose(layer(x).data, case["y"], rtol=1e-5, atol=1e-6)
    config = dict(layer.get_config(), name=None)
    assert config == dict(case["config"], name=None)


def test_random_fourier_features_goes_through_the_layer_test():
    layer_test(keras.layers.experimental.RandomFourierFeatures, {"output_dim": 5, "scale": 2.0, "trainable": True},
               input_shape=(3, 4), expected_output_shape=(None, 5), expected_weight_shapes=[(1,), (4, 5), (5,)],
               expected_num_trainable_weights=1)
    with pytest.raises(ValueError, match="output_dim"):
        keras.layers.experimental.RandomFourierFeatures(0)
    with pytest.raises(ValueError, match="kernel_initializer"):
        keras.layers.experimental.RandomFourierFeatures(4, kernel_initializer="cosine")
    with pytest.raises(ValueError, match="rank of the input"):
        keras.layers.experimental.RandomFourierFeatures(4)(np.zeros((2, 3, 4), np.float32))


class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Recorder.received.append((self.path, self.headers["Content-Type"], body.decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("as_json", [True, False])
def test_remote_monitor_posts_each_epochs_logs(as_json):
    _Recorder.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse", metrics=["mae"])
        monitor = keras.callbacks.RemoteMonitor(root=f"http://127.0.0.1:{server.server_port}", path="/epoch",
                                                send_as_json=as_json, headers={"X-Run": "7"})
        model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), epochs=2, verbose=0, callbacks=[monitor])
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Recorder.received) == 2
    path, content_type, body = _Recorder.received[1]
    assert path == "/epoch"
    if as_json:
        assert content_type == "application/json"
        data = json.loads(body)
    else:
        from urllib.parse import parse_qs
        assert content_type == "application/x-www-form-urlencoded"
        data = json.loads(parse_qs(body)["data"][0])
    assert data["epoch"] == 1 and set(data) == {"epoch", "loss", "mae"}


def test_remote_monitor_warns_when_the_server_is_unreachable():
    monitor = keras.callbacks.RemoteMonitor(root="http://127.0.0.1:9", path="/x")
    with pytest.warns(UserWarning, match="could not reach RemoteMonitor root server"):
        monitor.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(TypeError, match="headers"):
        keras.callbacks.RemoteMonitor(headers="x")


def test_base_logger_averages_batch_logs_weighted_by_size():
    logger = keras.callbacks.BaseLogger(stateful_metrics=["auc"])
    logger.set_params({"metrics": ["loss", "auc"]})
    logger.on_epoch_begin(0)
    logger.on_batch_end(0, {"size": 2, "loss": 1.0, "auc": 0.5})
    logger.on_batch_end(1, {"size": 6, "loss": 3.0, "auc": 0.7})
    logs = {}
    logger.on_epoch_end(0, logs)
    assert logs == {"loss": pytest.approx((2 * 1.0 + 6 * 3.0) / 8), "auc": 0.7}


def test_callbacks_experimental_backup_and_restore_is_the_deprecated_name(tmp_path):
    with pytest.warns(DeprecationWarning, match="deprecated"):
        cb = keras.callbacks.experimental.BackupAndRestore(str(tmp_path / "backup"))
    assert isinstance(cb, keras.callbacks.BackupAndRestore)


def test_softmax_robust_masking_replaces_masked_scores():
    x = np.array([[2e9, 1.0, 3.0]], np.float32)
    mask = np.array([[False, True, True]])
    robust = keras.layers.Softmax(robust_masking=True)(x, mask=mask).data
    np.testing.assert_allclose(robust, [[0.0, 0.11920292, 0.880797]], rtol=1e-6, atol=1e-7)
    assert keras.layers.Softmax(robust_masking=True).get_config()["robust_masking"] is True
    assert "robust_masking" not in keras.layers.Softmax().get_config()
    with pytest.raises(TypeError, match="robust_masking"):
        keras.layers.Softmax(robust_masking="yes")


def test_input_optional_and_the_full_shape_keywords():
    x = keras.Input(shape=(3,), optional=True)
    assert keras.Model(x, keras.layers.Dense(1)(x)).layers[0].get_config()["optional"] is True
    assert keras.Input(batch_shape=(4, 3)).shape == (4, 3)
    assert keras.layers.InputLayer(batch_input_shape=(None, 2)).get_config()["batch_input_shape"] == (None, 2)
    assert keras.layers.InputSpec(ndim=2, optional=True).optional is True
    with pytest.raises(TypeError, match="unknown keyword"):
        keras.Input(shape=(3,), shapes=(3,))


def test_save_model_takes_tf_keras_argument_order(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    path = str(tmp_path / "m.keras.h5")
    keras.models.save_model(model, path, True, "h5")           # overwrite, save_format (tf.keras's order)
    assert keras.models.load_model(path, compile=False, options=None).count_params() == 8
    keras.saving.save_model(model, str(tmp_path / "m2.h5"), include_optimizer=False)
    with pytest.raises(TypeError, match="unexpected keyword"):
        keras.saving.load_model(path, whatever=1)
    with pytest.raises(RuntimeError, match="model_from_yaml"):
        keras.models.model_from_yaml("a: 1")


def test_public_serialization_functions_rebuild_any_kind():
    S = keras.saving
    for obj in (keras.layers.Dense(3), keras.losses.BinaryFocalCrossentropy(gamma=3.0),
                keras.metrics.F1Score(average="macro"), keras.optimizers.Lion(learning_rate=0.01),
                keras.regularizers.L2(0.5), keras.constraints.RadialConstraint()):
        again = S.deserialize_keras_object(S.serialize_keras_object(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    assert S.deserialize_keras_object("relu") is keras.activations.relu
    assert S.deserialize_keras_object({"module": "keras.activations", "class_name": "function", "config": "tanh",
                                       "registered_name": "tanh"}) is keras.activations.tanh
    layer = S.deserialize_keras_object({"module": "keras.layers", "class_name": "Dense", "config": {"units": 2},
                                        "registered_name": None})
    assert layer.units == 2
    assert keras.utils.deserialize_keras_object is S.deserialize_keras_object
    assert keras.utils.legacy.deserialize_keras_object("L1", module_objects={"L1": keras.regularizers.L1}) is \
        keras.regularizers.L1
    with pytest.raises(ValueError, match="Unknown object"):
        S.deserialize_keras_object({"class_name": "NoSuchThing", "config": {}})
    assert S.get_custom_objects() is keras.utils.get_custom_objects()


def test_sequence_takes_keras3_keywords_only():
    class Batches(keras.utils.Sequence):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def __len__(self):
            return 1

        def __getitem__(self, i):
            return np.zeros((2, 3), "float32"), np.zeros((2, 1), "float32")

    assert Batches(workers=2).workers == 2
    with pytest.raises(TypeError, match="unexpected keyword"):
        Batches(worker=2)
    with pytest.raises(TypeError, match="positional"):
        keras.utils.Sequence(3)


def test_global_max_pooling1d_and_conv1d_transpose_defaults_are_tf_keras():
    assert keras.layers.GlobalMaxPooling1D().data_format == "channels_last"
    layer = keras.layers.Conv1DTranspose(2, 3)
    assert layer.get_config()["data_format"] == "channels_last"
    out = layer(ag.tensor(np.ones((1, 4, 2), np.float32)))
    assert out.shape == (1, 6, 2)


MODELS = {c["name"]: c for c in json.load(open(os.path.join(HERE, "values.json")))["models"]}


def _model_for(name):
    k = keras
    if name.startswith("sam"):
        inner = k.Sequential([k.layers.Dense(4, activation="tanh", input_shape=(3,)), k.layers.Dense(1)])
        return k.models.experimental.SharpnessAwareMinimization(inner, rho=0.1,
                                                                num_batch_splits=2 if name == "sam_splits" else None)
    if name == "linear_dict":
        return k.experimental.LinearModel(units=2, activation="softmax")
    if name == "linear_glorot":
        return k.experimental.LinearModel(units=1, kernel_initializer="glorot_uniform", bias_regularizer="l2")
    if name == "wide_deep":
        dnn = k.Sequential([k.layers.Dense(4, activation="relu"), k.layers.Dense(1)])
        return k.experimental.WideDeepModel(k.experimental.LinearModel(), dnn, activation="sigmoid")
    dnn = k.Sequential([k.layers.Dense(3, activation="tanh"), k.layers.Dense(2)])
    return k.experimental.WideDeepModel(k.experimental.LinearModel(units=2, kernel_regularizer="l2"), dnn)


def _optimizer(spec):
    name, lr = spec.split("_")
    return getattr(keras.optimizers, {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}[name])(learning_rate=float(lr))


def _data(value):
    if isinstance(value, dict):
        return {k: np.asarray(v, np.float32) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], list) and isinstance(value[0][0], list):
        return [np.asarray(v, np.float32) for v in value]
    return np.asarray(value, np.float32)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_with_their_own_training_step_train_like_tf_keras(name):
    case = MODELS[name]
    keras.backend.clear_session()
    x, y = _data(case["x"]), np.asarray(case["y"], np.float32)
    model = _model_for(name)
    first = {k: v[:1] for k, v in x.items()} if isinstance(x, dict) else [v[:1] for v in x] if isinstance(x, list) \
        else x[:1]
    model(first)
    model.set_weights([np.asarray(w, np.float32) for w in case["w0"]])
    kw = dict(case["compile"])
    kw["optimizer"] = [_optimizer(o) for o in kw["optimizer"]] if isinstance(kw["optimizer"], list) else \
        _optimizer(kw["optimizer"])
    model.compile(**kw)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert sorted(history.history) == sorted(case["history"])
    for key, expected in case["history"].items():
        np.testing.assert_allclose(history.history[key], expected, rtol=1e-4, atol=1e-5, err_msg=key)
    for i, (w, e) in enumerate(zip(model.get_weights(), case["w1"])):
        np.testing.assert_allclose(w, np.asarray(e, np.float32), rtol=1e-4, atol=1e-5, err_msg=f"weight {i}")
    rebuilt = keras.layers.deserialize(keras.layers.serialize(model))
    assert type(rebuilt) is type(model)


def test_premade_and_sam_arguments_are_checked():
    with pytest.raises(ValueError, match="rho"):
        keras.models.experimental.SharpnessAwareMinimization(keras.Sequential(), rho=-1.0)
    with pytest.raises(ValueError, match="num_batch_splits"):
        keras.models.experimental.SharpnessAwareMinimization(keras.Sequential(), num_batch_splits=0)
    with pytest.raises(ValueError, match="units"):
        keras.experimental.LinearModel(units=0)
    with pytest.raises(TypeError, match="dnn_model"):
        keras.experimental.WideDeepModel(keras.experimental.LinearModel(), "dnn")
    model = keras.experimental.WideDeepModel(keras.experimental.LinearModel(), keras.Sequential([keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="two optimizers"):
        model.compile(optimizer=["sgd"], loss="mse")
    linear = keras.experimental.LinearModel(units=1)
    linear({"a": np.ones((1, 2), "float32")})
    with pytest.raises(ValueError, match="Missing keys"):
        linear({"b": np.ones((1, 2), "float32")})
