"""Keras 3's ``.keras`` archives: kerasfront writes them (chosen by the extension) with Keras 3's members and
weight layout, reads its own back with compile state and optimizer state, and reads files written by real
Keras 3 and tf.keras 2.21 (tests/fixtures/keras3_reference): same predictions, and one more epoch of training
gives the numbers the original framework gave.
"""
import io
import json
import os
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from kerasfront.models import load_model, save_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras3_reference")


def _npz(name):
    return dict(np.load(os.path.join(FIXTURES, f"{name}.npz")))


def _xs(data, prefix="x"):
    xs = [data[k] for k in sorted(data) if k == prefix or (k.startswith(prefix + "_") and k[len(prefix) + 1:].isdigit())]
    return xs if len(xs) > 1 else xs[0]


def _model():
    inp = keras.Input(shape=(4,))
    h = layers.Dense(5, activation="relu")(inp)
    h = layers.Reshape((5, 1))(h)
    h = layers.LSTM(3)(h)
    out = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data():
    r = np.random.default_rng(0)
    return r.random((12, 4), dtype=np.float32), np.eye(2, dtype=np.float32)[r.integers(0, 2, 12)]


def test_extension_chooses_the_format(tmp_path):
    model = _model()
    model.save(str(tmp_path / "a.keras"))
    model.save(str(tmp_path / "a.h5"))
    save_model(model, str(tmp_path / "forced"), save_format="keras")
    assert zipfile.is_zipfile(tmp_path / "a.keras") and zipfile.is_zipfile(tmp_path / "forced")
    assert h5py.is_hdf5(tmp_path / "a.h5") and not zipfile.is_zipfile(tmp_path / "a.h5")


def test_archive_members_and_weight_layout_are_keras3s(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=4, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
        meta = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    assert meta["keras_version"].startswith("3.") and "date_saved" in meta
    assert config["class_name"] == "Functional" and config["module"] == "keras.src.models.functional"
    dense = config["config"]["layers"][1]
    assert dense["module"] == "keras.layers" and dense["class_name"] == "Dense"
    assert config["config"]["layers"][0]["config"]["batch_shape"] == [None, 4]
    assert config["compile_config"]["loss"] == "categorical_crossentropy"
    assert config["compile_config"]["metrics"] == ["accuracy"]
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    with h5py.File(io.BytesIO(weights), "r") as f:
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[1].kernel.numpy())
        assert f["layers/dense/vars"].attrs["name"] == model.layers[1].name
        assert len(f["layers/lstm/cell/vars"]) == 3 and len(f["layers/lstm/vars"]) == 0
        assert "layers/input_layer/vars" in f and "layers/reshape/vars" in f
        opt = f["optimizer/vars"]
        assert int(opt["0"][()]) == 3                            # iterations
        assert opt["1"][()] == np.float32(0.01)                  # learning rate
        assert len(opt) == 2 + 2 * len(model.trainable_weights)  # then m, v per variable


def test_round_trip_restores_compile_and_optimizer_state(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        assert a.name == b.name
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    h1 = loaded.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    h2 = model.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    assert h1.history == h2.history


def test_uncompiled_and_include_optimizer_false(tmp_path):
    model = _model()
    path = str(tmp_path / "plain.keras")
    model.save(path, include_optimizer=False)
    with zipfile.ZipFile(path) as zf:
        assert "compile_config" not in json.loads(zf.read("config.json"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded = load_model(path)
    assert not loaded.is_compiled
    assert sum("not* compiled" in str(w.message) for w in record) == 1
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        load_model(path, compile=False)
    assert record == []


def test_nested_sequential_round_trips(tmp_path):
    block = keras.Sequential([layers.Dense(3, activation="relu", input_shape=(4,)), layers.Dense(2)], name="block")
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, layers.Softmax()(block(inp)))
    path = str(tmp_path / "nested.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
    softmax = [la for la in config["config"]["layers"] if la["class_name"] == "Softmax"][0]
    assert softmax["inbound_nodes"][0][0][:2] == ["block", 0]   # Keras 3 numbers the nested model's node 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_model(path)
    x = _data()[0]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["k3_sequential", "k3_functional_rnn", "k3_nested", "tfk_functional", "k3_attention",
                                  "k3_transformer", "k3_conv_lstm", "k3_rnn_hard_sigmoid"])
def test_files_written_by_keras3_and_tf_keras_load_and_predict(name):
    data = _npz(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_model(os.path.join(FIXTURES, f"{name}.keras"))
    np.testing.assert_allclose(model.predict(_xs(data), verbose=0), data["y_pred"], rtol=0, atol=1e-5)
    if "iterations" in data:
        assert model.is_compiled
        assert int(model.optimizer.iterations.numpy()) == int(data["iterations"])


@pytest.mark.parametrize("name", ["k3_sequential", "k3_functional_rnn", "k3_attention"])
def test_keras3_file_resumes_training_as_keras3_did(name):
    """The optimizer state Keras 3 saved (its learning-rate variable included) is restored: one more epoch
    gives Keras 3's loss and weights."""
    data = _npz(name)
    model = load_model(os.path.join(FIXTURES, f"{name}.keras"))
    history = model.fit(_xs(data, "train_x"), data["train_y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], data["resume_loss"], rtol=1e-5)
    after = [w.numpy() for la in model.layers for w in la.weights]
    expected = [data[f"resume_w_{i}"] for i in range(len(after))]
    assert len([k for k in data if k.startswith("resume_w_")]) == len(after)
    # NOTE: k3_attention: the key projection's bias shifts every score of a query row by the same amount, so its true
    # gradient is 0 and both frameworks move it by Adam-amplified rounding noise (~1e-6), each by its own
    atol = 1e-5 if name == "k3_attention" else 1e-6
    for a, e in zip(after, expected):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=atol)


@pytest.mark.parametrize("name", ["k3_sequential", "k3_functional_rnn", "k3_attention", "k3_conv_lstm",
                                  "k3_rnn_hard_sigmoid"])
def test_keras3_weights_file_loads_into_the_same_architecture(name):
    data = _npz(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = load_model(os.path.join(FIXTURES, f"{name}.keras"), compile=False)
    model = keras.models.clone_model(reference)
    model.load_weights(os.path.join(FIXTURES, f"{name}.weights.h5"))
    np.testing.assert_allclose(model.predict(_xs(data), verbose=0), data["y_pred"], rtol=0, atol=1e-5)


def test_multi_head_attention_archive_is_readable_by_keras3_and_tf_keras(tmp_path):
    """Keras 3 saves MultiHeadAttention's projections as ``query_dense``..., tf.keras 2 as ``_query_dense``...: the
    file has both names for one group; tensors passed by keyword (``value``, ``key``) are written in Keras 3's node
    form, which Keras 3 needs to call the layer on tensors."""
    q_in, v_in = keras.Input((3, 4), name="q"), keras.Input((5, 4), name="v")
    out = layers.MultiHeadAttention(2, 2, name="mha")(q_in, v_in, key=layers.Dense(4, name="dense")(v_in),
                                                     use_causal_mask=True)
    model = keras.Model([q_in, v_in], out)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    mha = model.get_layer("mha")
    with h5py.File(io.BytesIO(weights), "r") as f:
        for attr, name in (("_query_dense", "query_dense"), ("_output_dense", "output_dense")):
            group = f[f"layers/multi_head_attention/{name}"]
            assert f[f"layers/multi_head_attention/{attr}"] == group
            np.testing.assert_array_equal(group["vars/0"][()], getattr(mha, attr).kernel.numpy())
    (node,) = [la for la in config["config"]["layers"] if la["class_name"] == "MultiHeadAttention"][0]["inbound_nodes"]
    assert node["args"][0]["config"]["keras_history"] == ["q", 0, 0]
    assert node["kwargs"]["value"]["class_name"] == "__keras_tensor__"
    assert node["kwargs"]["key"]["config"]["keras_history"][0] == "dense"
    assert node["kwargs"]["use_causal_mask"] is True
    x = [np.random.default_rng(0).random((2, 3, 4), dtype=np.float32),
         np.random.default_rng(1).random((2, 5, 4), dtype=np.float32)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = load_model(path)
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_tf_keras_sublayer_names_load_too(tmp_path):
    """A weights file naming the projections as tf.keras 2 does (``_query_dense`` only) loads."""
    q_in = keras.Input((3, 4))
    model = keras.Model(q_in, layers.MultiHeadAttention(2, 2)(q_in, q_in))
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        for attr, name in (("_query_dense", "query_dense"), ("_key_dense", "key_dense"),
                           ("_value_dense", "value_dense"), ("_output_dense", "output_dense")):
            del f[f"layers/multi_head_attention/{name}"]
            assert attr in f["layers/multi_head_attention"]
    clone = keras.models.clone_model(model)
    clone.load_weights(path)
    for a, b in zip(clone.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@keras.utils.register_keras_serializable(package="test_saving_keras_zip")
class _Subclassed(keras.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(4, activation="tanh")
        self.out = layers.Dense(units)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {"units": self.units, "name": self.name}


def test_subclassed_model_with_get_config_round_trips(tmp_path):
    """The archive records the input shape (``build_config``); loading calls the model once to create its
    weights, then fills them and the optimizer state."""
    model = _Subclassed(3)
    x = _data()[0]
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((12, 3), np.float32), verbose=0, batch_size=4)
    path = tmp_path / "sub.keras"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, _Subclassed) and loaded.units == 3
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 3


def _k3_config(name):
    with zipfile.ZipFile(os.path.join(FIXTURES, f"{name}.keras")) as zf:
        return json.loads(zf.read("config.json"))


def test_keras3_mask_operation_nodes_load_as_layers_and_round_trip(tmp_path):
    """Keras 3 saves Embedding(mask_zero=True)'s ``ops.not_equal(ids, 0)`` and Add's ``ops.logical_or`` of masks as
    operation nodes (module ``keras.src.ops.numpy``, two positional arguments, one a constant): they load as
    Keras3Operation layers computing the same mask, and are written back in Keras 3's form."""
    data = _npz("k3_transformer")
    model = load_model(os.path.join(FIXTURES, "k3_transformer.keras"), compile=False)
    ops = {la.name: la.op for la in model.layers if type(la).__name__ == "Keras3Operation"}
    assert ops == {"not_equal": "NotEqual", "logical_or": "LogicalOr", "logical_or_1": "LogicalOr"}
    mask = model.get_layer("not_equal").output
    assert str(mask.dtype) == "bool"
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y_pred"], rtol=0, atol=1e-5)
    path = str(tmp_path / "again.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        written = {e["name"]: e for e in json.loads(zf.read("config.json"))["config"]["layers"]}
    assert {k: (written[k]["module"], written[k]["class_name"], written[k]["config"]) for k in ops} == {
        k: ("keras.src.ops.numpy", op, {"name": k}) for k, op in ops.items()}
    again = load_model(path, compile=False)
    np.testing.assert_allclose(again.predict(data["x"], verbose=0), data["y_pred"], rtol=0, atol=1e-5)


def test_unsupported_keras3_operation_is_refused_by_name(tmp_path):
    config = _k3_config("k3_transformer")
    for entry in config["config"]["layers"]:
        if entry["class_name"] == "NotEqual":
            entry["class_name"] = entry["registered_name"] = "Digamma"
    path = str(tmp_path / "op.keras")
    with zipfile.ZipFile(os.path.join(FIXTURES, "k3_transformer.keras")) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, json.dumps(config) if info.filename == "config.json" else src.read(info))
    with pytest.raises(ValueError, match=r"Keras 3 operation 'Digamma'.*not_equal.*does not support"):
        load_model(path, compile=False)


def test_keras3_hard_sigmoid_is_read_as_keras3_computes_it():
    """'hard_sigmoid' in a file Keras 3 wrote is its relu6(x + 3) / 6 (tf.keras 2's is clip(0.2 x + 0.5, 0, 1))."""
    model = load_model(os.path.join(FIXTURES, "k3_conv_lstm.keras"), compile=False)
    assert model.layers[0].get_config()["recurrent_activation"] == "keras3_hard_sigmoid"
    assert model.layers[1].get_config()["recurrent_activation"] == "sigmoid"
    assert model.layers[-1].get_config()["activation"] == "keras3_hard_sigmoid"
    f = keras.activations.get("keras3_hard_sigmoid")
    np.testing.assert_allclose(f(np.array([-4.0, -1.5, 0.0, 1.2, 3.5], "float32")).numpy(),
                               [0.0, 0.25, 0.5, 0.7, 1.0], rtol=1e-6)


def test_conv_lstm_archive_has_keras3s_layout_and_keras3_hard_sigmoid(tmp_path):
    """A ConvLSTM model kerasfront writes has the variables Keras 3 wrote for it (paths, order, shapes, values) and
    names Keras 3's hard_sigmoid as Keras 3 serializes that function, so Keras 3 computes the same; kerasfront reads
    it back as Keras 3's hard_sigmoid, without the warning for tf.keras 2's."""
    from kerasfront.saving.keras_zip import _KERAS3_HARD_SIGMOID
    data = _npz("k3_conv_lstm")
    model = load_model(os.path.join(FIXTURES, "k3_conv_lstm.keras"), compile=False)
    path = str(tmp_path / "conv.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(path)

    def datasets(f):
        found = {}
        f.visititems(lambda n, o: found.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
        return found
    with zipfile.ZipFile(path) as zf:
        entries = json.loads(zf.read("config.json"))["config"]["layers"]
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            ours = datasets(f)
    with zipfile.ZipFile(os.path.join(FIXTURES, "k3_conv_lstm.keras")) as zf:
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            theirs = datasets(f)
    assert sorted(ours) == sorted(theirs)
    for name, value in theirs.items():
        np.testing.assert_array_equal(ours[name], value, err_msg=name)
    conv = [e for e in entries if e["class_name"] == "ConvLSTM2D"]
    assert conv[0]["config"]["recurrent_activation"] == _KERAS3_HARD_SIGMOID
    assert conv[1]["config"]["recurrent_activation"] == "sigmoid"
    back = load_model(path, compile=False)
    assert back.layers[0].get_config()["recurrent_activation"] == "keras3_hard_sigmoid"
    np.testing.assert_allclose(back.predict(data["x"], verbose=0), data["y_pred"], rtol=0, atol=1e-5)


def test_tf_keras2_hard_sigmoid_in_a_keras_archive_warns_and_keeps_its_meaning(tmp_path):
    """Keras 3 would read tf.keras 2's 'hard_sigmoid' as its own: saving says so, naming the layer; kerasfront
    reads its own file back with tf.keras 2's function."""
    model = keras.Sequential([layers.ConvLSTM1D(2, 2, recurrent_activation="hard_sigmoid", input_shape=(3, 4, 1),
                                                name="clstm"), layers.Flatten(), layers.Dense(1)])
    path = str(tmp_path / "k2.keras")
    with pytest.warns(UserWarning, match=r"clstm\.recurrent_activation.*Keras 3 reads the name 'hard_sigmoid'"):
        model.save(path)
    x = np.random.default_rng(0).random((2, 3, 4, 1), dtype=np.float32)
    back = load_model(path, compile=False)
    assert back.get_layer("clstm").get_config()["recurrent_activation"] == "hard_sigmoid"
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
