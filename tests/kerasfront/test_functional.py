"""Functional models: several inputs and outputs (lists and dicts), shared layers, nested models, Keras's config
format (checked against configs tf.keras wrote), errors for disconnected graphs and bad calls."""
import json
import os

import h5py
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.engine.base_layer import Layer

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()
    yield


class Join(Layer):
    """A two-input test layer (concatenate along the last axis)."""

    def call(self, inputs):
        return ag.concatenate(inputs, axis=-1)


def _model_config(name):
    with h5py.File(os.path.join(FIXTURES, name), "r") as f:
        return json.loads(f.attrs["model_config"])


def _h5_weights(name, model):
    out = []
    with h5py.File(os.path.join(FIXTURES, name), "r") as f:
        g = f["model_weights"]
        for layer in model.layers:
            grp = g[layer.name]
            out.extend(grp[n][()] for n in grp.attrs["weight_names"])
    return out


def _strip_module_keys(obj):
    """tf.keras 2.13+ writes "module"/"registered_name" next to nested class_name entries; drop them."""
    if isinstance(obj, dict):
        return {k: _strip_module_keys(v) for k, v in obj.items() if k not in ("module", "registered_name")}
    if isinstance(obj, list):
        return [_strip_module_keys(v) for v in obj]
    return obj


def test_model_dispatches_to_functional_and_runs():
    inp = keras.Input(shape=(3,))
    hidden = layers.Dense(4, activation="relu")(inp)
    out = layers.Dense(2, activation="softmax")(hidden)
    model = keras.Model(inputs=inp, outputs=out)
    assert type(model).__name__ == "Functional" and isinstance(model, keras.Model)
    assert model.name == "model"
    assert [la.name for la in model.layers] == ["input_1", "dense", "dense_1"]
    assert model.input_names == ["input_1"] and model.output_names == ["dense_1"]
    y = model(np.ones((5, 3)))
    assert isinstance(y, ag.Tensor) and y.shape == (5, 2)
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-6)
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    assert model.output_shape == (None, 2) and model.input_shape == (None, 3)


def test_several_inputs_and_outputs_lists_and_dicts():
    a = keras.Input((2,), name="a")
    b = keras.Input((3,), name="b")
    h = Join()([layers.Dense(2, name="da")(a), b])
    o1 = layers.Dense(1, name="o1")(h)
    o2 = layers.Dense(2, name="o2")(h)
    model = keras.Model([a, b], [o1, o2])
    xa, xb = np.ones((4, 2), np.float32), np.ones((4, 3), np.float32)
    r1, r2 = model([xa, xb])
    assert r1.shape == (4, 1) and r2.shape == (4, 2)
    # inputs by name
    d1, d2 = model({"a": xa, "b": xb})
    np.testing.assert_allclose(d1.numpy(), r1.numpy())
    # dict outputs come back as dicts
    dict_model = keras.Model({"a": a, "b": b}, {"first": o1, "second": o2})
    out = dict_model({"a": xa, "b": xb})
    assert set(out) == {"first", "second"}
    np.testing.assert_allclose(out["second"].numpy(), r2.numpy())
    with pytest.raises(ValueError, match=r"missing data for input\(s\) \['b'\]"):
        model({"a": xa})
    with pytest.raises(ValueError, match="expects 2 input"):
        model([xa])


def test_shared_layer_reuses_weights_and_records_two_nodes():
    inp1, inp2 = keras.Input((3,)), keras.Input((3,))
    shared = layers.Dense(2, name="shared")
    model = keras.Model([inp1, inp2], Join()([shared(inp1), shared(inp2)]))
    assert len(shared.inbound_nodes) == 2
    assert len(model.weights) == 2
    x1, x2 = np.ones((1, 3), np.float32), 2 * np.ones((1, 3), np.float32)
    out = model([x1, x2]).numpy()
    np.testing.assert_allclose(out[:, 2:], shared(x2).numpy())
    config = model.get_config()
    shared_cfg = [la for la in config["layers"] if la["name"] == "shared"][0]
    assert shared_cfg["inbound_nodes"] == [[["input_1", 0, 0, {}]], [["input_2", 0, 0, {}]]]
    with pytest.raises(ValueError, match="Unknown layer: 'Join'.*custom_objects"):
        keras.Model.from_config(config)
    clone = keras.Model.from_config(config, custom_objects={"Join": Join})
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone([x1, x2]).numpy(), out)


def test_nested_model_as_layer_and_from_tf_keras_config():
    block = keras.Sequential([layers.Dense(6, activation="relu"), layers.Dense(3)], name="block")
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, layers.Softmax()(block(inp)))
    assert [la.name for la in model.layers] == ["input_1", "block", "softmax"]
    assert [w.name for w in model.weights] == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0",
                                               "dense_1/bias:0"]
    config = model.get_config()
    assert config["layers"][2]["inbound_nodes"] == [[["block", 1, 0, {}]]]
    # the same architecture written by tf.keras loads, takes its weights and predicts its numbers
    ref = _model_config("nested_sequential_in_functional.h5")
    loaded = keras.models.model_from_config(ref)
    loaded.set_weights(_h5_weights("nested_sequential_in_functional.h5", loaded))
    data = np.load(os.path.join(FIXTURES, "nested_sequential_in_functional.npz"))
    np.testing.assert_allclose(loaded.predict(data["x"], verbose=0), data["y_pred"], atol=1e-5)
    # and writes the config tf.keras wrote (modulo the module keys of nested objects)
    assert _strip_module_keys(json.loads(json.dumps(loaded.get_config()))) == _strip_module_keys(ref["config"])


def test_get_config_matches_tf_keras_for_seed_model():
    ref = _model_config("seed_functional_initial.h5")
    inp = keras.Input(shape=(3,))
    x = layers.Dense(4, activation="relu")(inp)
    out = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inp, outputs=out)
    assert _strip_module_keys(json.loads(model.to_json())["config"]) == _strip_module_keys(ref["config"])
    assert json.loads(model.to_json())["class_name"] == "Functional"


def test_to_json_round_trip_predicts_the_same():
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2)(layers.Dense(4, activation="tanh")(inp)))
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [la.name for la in clone.layers] == [la.name for la in model.layers]


def test_graph_errors():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = Join()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)
    with pytest.raises(ValueError, match='Graph disconnected: the outputs depend on Input "input_'):
        keras.Model(layers.Dense(2)(a), out)      # an intermediate input that the outputs do not come from
    with pytest.raises(TypeError, match="KerasTensors"):
        keras.Model(a, np.ones(2))
    d = layers.Dense(2, name="same")
    e = layers.Dense(2, name="same")
    with pytest.raises(ValueError, match='name "same" is used 2 times'):
        keras.Model(a, e(d(a)))


def test_model_from_an_intermediate_tensor_starts_at_a_new_input():
    # as tf.keras: Model(hidden, out) takes `hidden` as its input (the keras.io FeatureSpace program trains such a
    # model on encoded features); the layers are shared with the full model, the full graph is unchanged
    x = keras.Input((3,), name="raw")
    first, second, third = layers.Dense(4, name="first"), layers.Dense(5, name="second"), layers.Dense(2, name="third")
    hidden = first(x)
    out = third(layers.Concatenate()([second(hidden), hidden]))
    head = keras.Model(hidden, out)
    full = keras.Model(x, out)
    assert [type(la).__name__ for la in head.layers][0] == "InputLayer" and head.layers[0].name != "raw"
    assert "first" not in [la.name for la in head.layers] and "first" in [la.name for la in full.layers]
    assert tuple(head.input_shape) == (None, 4)
    data = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(head.predict(first(data).numpy(), verbose=0), full.predict(data, verbose=0), rtol=1e-6)
    head.compile("sgd", "mse")
    head.fit(np.ones((4, 4), np.float32), np.zeros((4, 2), np.float32), verbose=0)    # trains the shared layers
    np.testing.assert_allclose(head.predict(first(data).numpy(), verbose=0), full.predict(data, verbose=0), rtol=1e-6)
    rebuilt = keras.Model.from_config(head.get_config())
    assert [la.name for la in rebuilt.layers] == [la.name for la in head.layers]
    with pytest.raises(ValueError, match="not connected to the outputs"):
        keras.Model([hidden, layers.Dense(2)(x)], out)


def test_wrong_input_shape_names_model_and_shapes():
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2)(inp))
    with pytest.raises(ValueError, match=r'layer "model".*expected shape=\(None, 3\), found shape=\(2, 4\)'):
        model(np.ones((2, 4)))
    # a missing trailing axis of 1 is added, as Keras does
    inp1 = keras.Input((1,))
    m1 = keras.Model(inp1, layers.Dense(2)(inp1))
    assert m1(np.ones(4)).shape == (4, 2)


def test_layer_input_output_attributes():
    inp = keras.Input((3,))
    dense = layers.Dense(2)
    out = dense(inp)
    assert dense.input is inp and dense.output is out
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)
    assert out._keras_history.layer is dense


def test_an_input_layers_input_is_its_tensor_and_nodes_are_reachable_by_index():
    # keras.io's OCR example builds its prediction model from model.get_layer("image").input (was [])
    inp = keras.Input((3,), name="image")
    dense = layers.Dense(2, name="d")
    model = keras.Model(inp, layers.Dense(1)(dense(inp)))
    image = model.get_layer("image")
    assert image.input is inp and image.get_input_at(0) is inp
    assert image.input_shape == [(None, 3)] and image.get_input_shape_at(0) == (None, 3)     # as tf.keras
    predict = keras.Model(image.input, dense.output)
    assert predict.output_shape == (None, 2)
    second = dense(keras.Input((3,)))
    assert dense.get_output_at(1) is second and dense.get_input_at(0) is inp
    assert dense.get_input_shape_at(1) == (None, 3) and dense.get_output_shape_at(0) == (None, 2)
    with pytest.raises(ValueError, match="node 2, but the layer has only 2 inbound nodes"):
        dense.get_input_at(2)
    with pytest.raises(RuntimeError, match="never been called"):
        layers.Dense(1).get_output_at(0)


def test_subclassed_model_with_own_call():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = layers.Dense(4, activation="relu")
            self.out = layers.Dense(1)

        def call(self, x, training=None):
            return self.out(self.hidden(x))

    net = Net()
    assert net.layers == [net.hidden, net.out]
    y = net(np.ones((2, 3)))
    assert y.shape == (2, 1)
    assert len(net.weights) == 4
    assert net.get_layer("dense") is net.hidden


@pytest.mark.parametrize("case", ["seed_functional", "sequential_sgd_nesterov_mse", "multi_io_functional",
                                  "nested_sequential_in_functional", "layer_zoo_cnn", "layer_zoo_sequence",
                                  "embedding_l2_sample_weight", "batchnorm_validation_split", "uncompiled_sequential"])
def test_tf_keras_model_configs_rebuild_and_predict(case):
    """Every architecture tf.keras wrote rebuilds from its model_config alone (the functional and Sequential
    config readers), takes the file's weights in `model.layers` order and predicts tf.keras's numbers."""
    ref = _model_config(f"{case}.h5")
    model = keras.models.model_from_config(ref)
    model.set_weights(_h5_weights(f"{case}.h5", model))
    data = np.load(os.path.join(FIXTURES, f"{case}.npz"))
    xs = [data[k] for k in sorted(data) if k == "x" or k.startswith("x_")]
    ys = [data[k] for k in sorted(data) if k == "y_pred" or k.startswith("y_pred_")]
    pred = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    for p, y in zip(pred if isinstance(pred, list) else [pred], ys):
        np.testing.assert_allclose(p, y, atol=1e-5)


def test_lambda_bytecode_from_a_tf_keras_file_is_refused_unless_safe_mode_is_off():
    from kerasfront.engine.safe_mode import SafeModeScope
    ref = _model_config("lambda_layer_unsafe.h5")
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.model_from_config(ref)
    import sys
    if sys.version_info[:2] != (3, 11):
        return      # the saved bytecode is CPython 3.11's (the refusal above is what every version must show)
    with SafeModeScope(False):
        model = keras.models.model_from_config(ref)
    model.set_weights(_h5_weights("lambda_layer_unsafe.h5", model))
    data = np.load(os.path.join(FIXTURES, "lambda_layer_unsafe.npz"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y_pred"], atol=1e-5)
