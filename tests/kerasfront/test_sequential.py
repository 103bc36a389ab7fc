"""Sequential: add/pop, input_shape on the first layer, lazy building on the first data, Keras's config
format (checked against tf.keras's), errors."""
import json
import os

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()
    yield


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("module", "registered_name")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def test_input_shape_builds_immediately():
    model = keras.Sequential([layers.Dense(8, activation="tanh", input_shape=(5,)), layers.Dense(1)])
    assert model.built and model.name == "sequential"
    assert [la.name for la in model.layers] == ["dense", "dense_1"]
    assert model.input_shape == (None, 5) and model.output_shape == (None, 1)
    assert [w.shape for w in model.weights] == [(5, 8), (8,), (8, 1), (1,)]
    assert model.count_params() == 5 * 8 + 8 + 8 + 1


def test_lazy_build_on_first_data_and_build():
    model = keras.Sequential([layers.Dense(3), layers.Dense(2)])
    assert not model.built and model.weights == []
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()
    out = model(np.ones((4, 6)))
    assert out.shape == (4, 2) and model.built
    assert model.layers[0].kernel.shape == (6, 3)
    assert model.inputs[0].shape == (None, 6)
    other = keras.Sequential([layers.Dense(3)])
    other.build((None, 7))
    assert other.layers[0].kernel.shape == (7, 3)


def test_add_pop_and_input():
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(3))
    model.add(layers.Dense(2))
    assert model.output_shape == (None, 2)
    model.pop()
    assert [la.name for la in model.layers] == ["dense"]
    assert model.output_shape == (None, 3)
    assert model(np.ones((1, 4))).shape == (1, 3)
    model.add(layers.Dense(5))
    assert model(np.ones((1, 4))).shape == (1, 5)
    with pytest.raises(TypeError, match="must be an instance of class Layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(1, name="dense"))
    empty = keras.Sequential()
    with pytest.raises(TypeError, match="no layers"):
        empty.pop()


def test_layers_with_several_outputs_are_refused():
    class Two(layers.Layer):
        def call(self, x):
            return [x, x]

    with pytest.raises(ValueError, match="single output tensor"):
        keras.Sequential([layers.Dense(2, input_shape=(3,)), Two()])


def test_config_matches_tf_keras_and_round_trips():
    with h5py.File(os.path.join(FIXTURES, "sequential_sgd_nesterov_mse_initial.h5"), "r") as f:
        ref = json.loads(f.attrs["model_config"])
    keras.backend.clear_session()
    for _ in range(2):          # tf.keras had made two Dense layers before this model
        layers.Dense(1)
    model = keras.Sequential([layers.Dense(8, activation="tanh", input_shape=(5,)), layers.Dense(1)])
    assert json.loads(model.to_json())["class_name"] == "Sequential"
    ours = json.loads(json.dumps(model.get_config()))
    ref_cfg = dict(ref["config"], name="sequential")
    assert _strip(ours) == _strip(ref_cfg)
    clone = keras.Sequential.from_config(ours)
    assert [la.name for la in clone.layers] == ["dense_2", "dense_3"]
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_lazily_built_config_holds_the_inferred_input_layer():
    model = keras.Sequential([layers.Dense(2)], name="block")
    model(np.ones((1, 3)))
    config = model.get_config()
    assert config["layers"][0] == {"class_name": "InputLayer", "config": {
        "batch_input_shape": (None, 3), "dtype": "float32", "sparse": False, "ragged": False,
        "name": "dense_input", "optional": False}}
    unbuilt = keras.Sequential([layers.Dense(2)])
    assert [c["class_name"] for c in unbuilt.get_config()["layers"]] == ["Dense"]
    rebuilt = keras.Sequential.from_config(unbuilt.get_config())
    assert not rebuilt.built


def test_wrong_feature_size_names_shapes():
    model = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(1, 4\)"):
        model(np.ones((1, 4)))


def test_sequential_inside_sequential():
    inner = keras.Sequential([layers.Dense(3, activation="relu")], name="inner")
    outer = keras.Sequential([keras.Input((2,)), inner, layers.Dense(1)])
    assert outer(np.ones((4, 2))).shape == (4, 1)
    assert len(outer.weights) == 4
    clone = keras.Sequential.from_config(outer.get_config())
    clone.set_weights(outer.get_weights())
    np.testing.assert_allclose(clone(np.ones((4, 2))).numpy(), outer(np.ones((4, 2))).numpy())
