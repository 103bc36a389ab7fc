"""FeatureSpace against real tf.keras: tests/fixtures/feature_space/ was made by tf_keras 2.21
(tools/make_feature_space_fixtures.py); each case rebuilds the tool's FeatureSpace from its spec with kerasfront,
adapts it the same way and compares adapted state, outputs and config, and the keras.io "structured data
classification with FeatureSpace" program trains to the same weights and predicts the same.
"""
import json
import os
import warnings

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.utils import Dataset, FeatureSpace

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "feature_space")
REF = np.load(os.path.join(HERE, "reference.npz"))
with open(os.path.join(HERE, "reference.json"), encoding="utf-8") as _f:
    INFO = json.load(_f)
CASES = INFO["cases"]


def build(spec, fs_class, layers):
    """The FeatureSpace a spec describes (the same function as the tool's, for kerasfront)."""
    features = {}
    for name, kind in spec["features"].items():
        if isinstance(kind, str):
            features[name] = kind
        elif kind["kind"] == "feature":
            layer = getattr(layers, kind["layer"])(**kind.get("layer_args", {}))
            features[name] = fs_class.feature(kind["dtype"], layer, kind["output_mode"])
        else:
            features[name] = getattr(fs_class, kind["kind"])(**kind.get("args", {}))
    crosses = [tuple(c) if isinstance(c, list) else
               fs_class.cross(tuple(c["names"]), c["crossing_dim"], c.get("output_mode", "one_hot"))
               for c in spec.get("crosses", [])]
    return fs_class(features, crosses=crosses, **spec.get("args", {}))


def columns(case, prefix):
    source = "heart" if case == "heart" and prefix == "table" else prefix
    return {name: REF[f"{source}_{name}"] for name in CASES[case]["spec"]["features"]}


def adapted(case, how=None):
    spec = CASES[case]["spec"]
    fs = build(spec, FeatureSpace, keras.layers)
    data = columns(case, "table")
    how = how or spec["adapt"]
    if how == "unbatched":
        fs.adapt(Dataset.from_tensor_slices(data))
    elif how == "dict":
        fs.adapt(data)
    elif how == "batched16":
        fs.adapt(Dataset.from_tensor_slices(data).batch(16))
    else:
        fs.adapt(Dataset.from_tensor_slices((data, REF["heart_target"])).batch(32).map(lambda x, _: x))
    return fs


def assert_output(got, prefix):
    if isinstance(got, dict):
        keys = [k.split("__", 1)[1] for k in REF.files if k.startswith(prefix + "__")]   # in tf.keras's order
        assert list(got) == keys, prefix
        for key, value in got.items():
            assert_output(value, f"{prefix}__{key}")
        return
    want = REF[prefix]
    got = got.numpy()
    assert got.shape == want.shape, f"{prefix}: shape {got.shape} != {want.shape}"
    if want.dtype.kind == "f":
        assert got.dtype == np.float32, prefix
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=prefix)
    else:
        assert got.dtype.kind == "i", prefix
        np.testing.assert_array_equal(got, want, err_msg=prefix)


def assert_state(fs, case):
    for name, state in CASES[case]["state"].items():
        layer = fs.preprocessors[name]
        if "vocabulary" in state:
            assert layer.get_vocabulary() == state["vocabulary"], name
        elif "mean" in state:
            np.testing.assert_allclose(layer.mean.numpy().ravel(), state["mean"], rtol=1e-5, err_msg=name)
            np.testing.assert_allclose(layer.variance.numpy().ravel(), state["variance"], rtol=1e-5, err_msg=name)
        else:
            np.testing.assert_allclose(layer.bin_boundaries, state["bin_boundaries"], rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("case", sorted(CASES))
def test_adapted_state_and_outputs_match_tf_keras(case):
    fs = adapted(case)
    assert_state(fs, case)
    assert_output(fs(columns(case, "table")), f"{case}_out")
    if case != "heart":
        assert_output(fs(columns(case, "new")), f"{case}_new")       # unseen categories, values out of range
    row = {name: column[3] for name, column in columns(case, "table").items()}
    assert_output(fs(row), f"{case}_row")                            # one unbatched sample
    encoded = fs.get_encoded_features()
    shape = {k: list(v.shape) for k, v in encoded.items()} if isinstance(encoded, dict) else list(encoded.shape)
    assert shape == CASES[case]["encoded_shape"]
    assert sorted(fs.one_hot_encoders) == CASES[case]["one_hot_encoded"]


def test_adapt_on_a_dict_of_columns_is_adapt_on_its_samples():
    fs = adapted("kinds_concat", how="dict")
    assert_state(fs, "kinds_concat")
    assert_output(fs(columns("kinds_concat", "new")), "kinds_concat_new")


def _plain(config):
    return json.loads(json.dumps(config))


#: preprocessor config keys whose values depend on how the layer was made, not on what it does
_VARYING_KEYS = {"name", "batch_input_shape", "vocabulary", "vocabulary_size", "build_config", "idf_weights"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_get_config_has_tf_keras_structure(case):
    fs = adapted(case)
    got, want = _plain(fs.get_config()), CASES[case]["config"]
    assert list(got) == list(want)
    assert got["crosses"] == want["crosses"]
    for key in ("output_mode", "crossing_dim", "hashing_dim", "num_discretization_bins"):
        assert got[key] == want[key], key
    assert list(got["features"]) == list(want["features"])
    for name, entry in want["features"].items():
        mine = got["features"][name]
        for key in ("module", "class_name", "registered_name"):
            assert mine[key] == entry[key], (name, key)
        assert {k: v for k, v in mine["config"].items() if k != "preprocessor"} == \
            {k: v for k, v in entry["config"].items() if k != "preprocessor"}, name
        pre, tf_pre = mine["config"]["preprocessor"], entry["config"]["preprocessor"]
        assert pre["class_name"] == tf_pre["class_name"], name
        for key, value in tf_pre["config"].items():
            if key not in _VARYING_KEYS:
                assert pre["config"].get(key) == value, (name, key)
        if isinstance(CASES[case]["spec"]["features"][name], str):
            assert pre["config"]["name"] == tf_pre["config"]["name"] == f"{name}_preprocessor"
    clone = FeatureSpace.from_config(json.loads(json.dumps(fs.get_config())))
    assert _plain(clone.get_config())["features"].keys() == got["features"].keys()


def test_feature_space_saved_by_tf_keras_loads_and_encodes_the_same():
    loaded = keras.models.load_model(os.path.join(HERE, "kinds_concat.keras"))
    assert isinstance(loaded, FeatureSpace)
    assert_state(loaded, "kinds_concat")
    # NOTE: tf.keras 2.21 itself loses the adapted Discretization boundaries when it reloads this file (it restores
    # the quantile summary but never recomputes the boundaries); kerasfront recomputes them, so all values match
    assert_output(loaded(columns("kinds_concat", "table")), "kinds_concat_out")
    assert_output(loaded(columns("kinds_concat", "new")), "kinds_concat_new")


# -- the keras.io program, end to end -----------------------------------------------------------------------------
def _heart_program(dropout):
    """The keras.io program's shape: adapt on the features of a labelled dataset, preprocess it with map, train a
    model on the encoded features, predict with the inference model on raw columns."""
    feature_space = adapted("heart")
    train_ds = Dataset.from_tensor_slices((columns("heart", "table"), REF["heart_target"])).batch(16)
    preprocessed_train_ds = train_ds.map(lambda x, y: (feature_space(x), y))
    dict_inputs = feature_space.get_inputs()
    encoded_features = feature_space.get_encoded_features()
    x = keras.layers.Dense(32, activation="relu")(encoded_features)
    if dropout:
        x = keras.layers.Dropout(0.5)(x)
    predictions = keras.layers.Dense(1, activation="sigmoid")(x)
    training_model = keras.Model(inputs=encoded_features, outputs=predictions)
    training_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                           metrics=["accuracy"])
    inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)
    return feature_space, preprocessed_train_ds, training_model, inference_model


def test_keras_io_program_trains_to_tf_keras_weights_and_saves(tmp_path):
    _, train_ds, training_model, inference_model = _heart_program(dropout=False)
    training_model.set_weights([REF[f"model_initial_{i}"] for i in range(4)])
    history = training_model.fit(train_ds, epochs=3, verbose=0)
    for key, values in INFO["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-4, atol=1e-5, err_msg=key)
    for i, w in enumerate(training_model.get_weights()):
        np.testing.assert_allclose(w, REF[f"model_trained_{i}"], rtol=1e-4, atol=1e-5)
    raw = columns("heart", "table")
    predicted = inference_model.predict(raw, verbose=0)
    np.testing.assert_allclose(predicted, REF["model_predictions"], rtol=1e-4, atol=1e-5)
    sample = {name: np.array([value]) for name, value in INFO["sample"].items()}
    np.testing.assert_allclose(inference_model.predict(sample, verbose=0), REF["sample_prediction"], rtol=1e-4,
                               atol=1e-5)
    # the inference model holds the FeatureSpace's layers: saved with them, and reloaded, it predicts the same
    for name in ("inference.keras", "inference.h5"):
        inference_model.save(tmp_path / name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # not compiled
            reloaded = keras.models.load_model(tmp_path / name)
        np.testing.assert_array_equal(reloaded.predict(raw, verbose=0), predicted, err_msg=name)
        np.testing.assert_array_equal(reloaded.predict(sample, verbose=0), inference_model.predict(sample, verbose=0))


def test_keras_io_inference_model_saved_by_tf_keras_predicts_the_same():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = keras.models.load_model(os.path.join(HERE, "heart_inference.keras"), compile=False)
    np.testing.assert_allclose(model.predict(columns("heart", "table"), verbose=0), REF["model_predictions"],
                               rtol=1e-5, atol=1e-6)
    sample = {name: np.array([value]) for name, value in INFO["sample"].items()}
    np.testing.assert_allclose(model.predict(sample, verbose=0), REF["sample_prediction"], rtol=1e-5, atol=1e-6)


def test_keras_io_program_with_dropout_learns():
    keras.utils.set_random_seed(3)
    _, train_ds, training_model, inference_model = _heart_program(dropout=True)
    history = training_model.fit(train_ds, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    predicted = inference_model.predict(columns("heart", "table"), verbose=0).ravel()
    assert np.mean((predicted > 0.5) == (REF["heart_target"] == 1)) > 0.85
