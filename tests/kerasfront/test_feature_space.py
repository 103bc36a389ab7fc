"""kerasfront.utils.FeatureSpace: feature kinds, adapt on datasets and dicts, calls, the functional API, config and
saving, and the errors bad input gets (each leaving the FeatureSpace as it was). Values against tf.keras are in
test_feature_space_reference.py.
"""
import json
import warnings

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.utils import Dataset, FeatureSpace

L = keras.layers
DATA = {
    "x": np.array([0.5, 1.5, 2.0, 3.5, -1.0, 2.5], np.float32),
    "n": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], np.float32),
    "i": np.array([3, 1, 3, 7, 1, 3], np.int64),
    "s": np.array(["a", "b", "a", "c", "b", "a"]),
}


def space(**kwargs):
    features = {"x": "float", "n": "float_normalized", "i": "integer_categorical", "s": "string_categorical"}
    return FeatureSpace(features, **kwargs)


def state(fs):
    """What adapt changes: each preprocessor's vocabulary or statistics, and whether the space is ready."""
    out = {"adapted": fs._is_adapted, "built": fs.built, "encoders": sorted(fs.one_hot_encoders)}
    for name, layer in fs.preprocessors.items():
        if hasattr(layer, "get_vocabulary"):
            out[name] = layer.get_vocabulary()
        out[name + "_weights"] = [w.numpy().tolist() for w in layer.weights]
        out[name + "_built"] = layer.built
    return out


def test_kinds_make_their_layers_and_inputs():
    fs = FeatureSpace({"a": "float", "b": "float_rescaled", "c": "float_normalized", "d": "float_discretized",
                       "e": "integer_categorical", "f": "string_categorical", "g": "integer_hashed",
                       "h": "string_hashed"}, hashing_dim=5, num_discretization_bins=3)
    kinds = {name: type(layer).__name__ for name, layer in fs.preprocessors.items()}
    assert kinds == {"a": "Identity", "b": "Rescaling", "c": "Normalization", "d": "Discretization",
                     "e": "IntegerLookup", "f": "StringLookup", "g": "Hashing", "h": "Hashing"}
    assert fs.preprocessors["d"].num_bins == 3 and fs.preprocessors["g"].num_bins == 5
    assert {name: f.dtype for name, f in fs.features.items()} == {
        "a": "float32", "b": "float32", "c": "float32", "d": "float32", "e": "int64", "f": "string", "g": "int64",
        "h": "string"}
    assert all(layer.name == f"{name}_preprocessor" for name, layer in fs.preprocessors.items())
    assert {name: (t.dtype, tuple(t.shape)) for name, t in fs.inputs.items()}["f"] == ("string", (None, 1))
    with pytest.raises(ValueError, match="adapt"):
        fs.get_inputs()             # Normalization, Discretization and the lookups learn from data first


def test_concat_orders_features_then_crosses_by_name_and_one_hot_encodes():
    fs = space(crosses=[("i", "s")], crossing_dim=4)
    fs.adapt(DATA)
    out = fs(DATA).numpy()
    # i (vocab [-1, 3, 1, 7]: 4), i_X_s is last, n (1), s (vocab [UNK], a, b, c: 4), x (1)
    assert out.shape == (6, 4 + 1 + 4 + 1 + 4)
    np.testing.assert_array_equal(out[:, :4], np.eye(4)[[1, 2, 1, 3, 2, 1]])
    n = DATA["n"]
    np.testing.assert_allclose(out[:, 4], (n - n.mean()) / n.std(), rtol=1e-5)
    np.testing.assert_array_equal(out[:, 5:9], np.eye(4)[[1, 2, 1, 3, 2, 1]])
    np.testing.assert_array_equal(out[:, 9], DATA["x"])
    crossed = out[:, 10:]
    assert (crossed.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(crossed.argmax(1), fs.crossers["i_X_s"]([
        fs.preprocessors["i"](DATA["i"][:, None]), fs.preprocessors["s"](DATA["s"][:, None])]).numpy().ravel())


def test_dict_mode_keeps_int_outputs_and_unbatched_calls_squeeze():
    fs = FeatureSpace({"i": FeatureSpace.integer_categorical(output_mode="int"), "s": "string_categorical"},
                      crosses=[FeatureSpace.cross(("i", "s"), crossing_dim=5, output_mode="int")], output_mode="dict")
    fs.adapt(Dataset.from_tensor_slices({"i": DATA["i"], "s": DATA["s"]}).batch(4))
    out = fs({"i": np.array([3, 9]), "s": np.array(["c", "zz"])})
    assert list(out) == ["i", "s", "i_X_s"]
    np.testing.assert_array_equal(out["i"].numpy(), [[1], [0]])
    np.testing.assert_array_equal(out["s"].numpy(), [[0, 0, 0, 1], [1, 0, 0, 0]])
    assert out["i_X_s"].numpy().dtype == np.int64 and out["i_X_s"].shape == (2, 1)
    row = fs({"i": 3, "s": "c"})
    assert row["i"].shape == (1,) and row["s"].shape == (4,) and row["i_X_s"].shape == (1,)
    np.testing.assert_array_equal(row["s"].numpy(), out["s"].numpy()[0])


def test_calls_take_lists_columns_and_single_values():
    fs = FeatureSpace({"x": "float", "k": FeatureSpace.integer_hashed(num_bins=4)})
    a = fs({"x": [1.0, 2.0], "k": [5, 6]}).numpy()
    b = fs({"x": np.array([[1.0], [2.0]]), "k": np.array([[5.0], [6.0]])}).numpy()   # whole floats are integers
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fs({"x": 2.0, "k": 6}).numpy(), a[1])
    assert a.dtype == np.float32


def test_adapt_on_a_dataset_and_on_its_columns_agree():
    by_dataset, by_columns, batched = space(), space(), space()
    by_dataset.adapt(Dataset.from_tensor_slices(DATA))
    by_columns.adapt(DATA)
    batched.adapt(Dataset.from_tensor_slices(DATA).batch(4))
    for fs in (by_columns, batched):
        np.testing.assert_allclose(fs(DATA).numpy(), by_dataset(DATA).numpy(), rtol=1e-6)
    assert by_columns.preprocessors["s"].get_vocabulary() == ["[UNK]", "a", "b", "c"]
    # columns given as (n, 1) arrays and lists work too; extra columns are ignored by adapt, as in tf.keras
    again = space()
    again.adapt({**{k: v[:, None] for k, v in DATA.items()}, "unused": np.zeros(6)})
    np.testing.assert_allclose(again(DATA).numpy(), by_dataset(DATA).numpy(), rtol=1e-6)


def test_dataset_map_and_fit_on_encoded_features():
    fs = space()
    labels = np.array([0, 1, 0, 1, 1, 0], np.float32)
    ds = Dataset.from_tensor_slices((DATA, labels)).batch(3)
    fs.adapt(ds.map(lambda x, y: x))
    encoded = ds.map(lambda x, y: (fs(x), y))
    x, y = next(iter(encoded))
    np.testing.assert_allclose(x, fs({k: v[:3] for k, v in DATA.items()}).numpy())
    np.testing.assert_array_equal(Dataset.from_tensor_slices(DATA).batch(6).map(fs).as_numpy_iterator().__next__(),
                                  fs(DATA).numpy())
    out = L.Dense(1, activation="sigmoid")(fs.get_encoded_features())
    model = keras.Model(fs.get_inputs(), out)
    model.compile("adam", "binary_crossentropy")
    history = model.fit(DATA, labels, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(DATA, verbose=0).shape == (6, 1)


def test_a_space_with_nothing_to_adapt_works_without_adapt():
    fs = FeatureSpace({"x": "float", "h": FeatureSpace.string_hashed(num_bins=3)}, output_mode="dict")
    assert set(fs.get_inputs()) == {"x", "h"}
    out = fs({"x": [1.0], "h": ["abc"]})
    assert out["h"].shape == (1, 3) and float(out["h"].numpy().sum()) == 1.0


def test_symbolic_call_records_the_graph():
    fs = space()
    fs.adapt(DATA)
    inputs = {name: keras.Input(shape=(1,), dtype=f.dtype, name=f"raw_{name}") for name, f in fs.features.items()}
    model = keras.Model(inputs, fs(inputs))
    np.testing.assert_allclose(model.predict(DATA, verbose=0), fs(DATA).numpy(), rtol=1e-6)
    assert sorted(la.name for la in model.layers if type(la).__name__ == "InputLayer") == \
        ["raw_i", "raw_n", "raw_s", "raw_x"]


def test_given_state_is_not_adapted_again():
    fs = FeatureSpace({"d": FeatureSpace.float_discretized(num_bins=3, bin_boundaries=[0.0, 2.0]),
                       "m": FeatureSpace.feature("float32", L.Normalization(mean=1.0, variance=4.0), "float"),
                       "v": FeatureSpace.feature("string", L.StringLookup(vocabulary=["p", "q"]), "one_hot")})
    assert fs._adaptable_names() == []
    out = fs({"d": [-1.0, 1.0, 5.0], "m": [3.0, 1.0, -1.0], "v": ["q", "p", "r"]}).numpy()
    np.testing.assert_array_equal(out[:, :3], np.eye(3))
    np.testing.assert_allclose(out[:, 3], [1.0, 0.0, -1.0])
    np.testing.assert_array_equal(out[:, 4:], np.eye(3)[[2, 1, 0]])


def test_get_config_round_trip_is_json_and_rebuilds_the_same_space():
    fs = FeatureSpace({"x": FeatureSpace.float_rescaled(scale=2.0, offset=1.0), "i": "integer_categorical",
                       "s": FeatureSpace.string_hashed(num_bins=6, output_mode="int")},
                      crosses=[FeatureSpace.cross(("i", "s"), crossing_dim=7)], output_mode="dict", hashing_dim=9)
    config = json.loads(json.dumps(fs.get_config()))
    assert config["features"]["i"]["class_name"] == "Feature"
    assert config["crosses"] == [{"module": "tf_keras.src.utils.feature_space", "class_name": "Cross",
                                  "config": {"feature_names": ["i", "s"], "crossing_dim": 7, "output_mode": "one_hot"},
                                  "registered_name": "Cross"}]
    clone = FeatureSpace.from_config(config)
    assert clone.hashing_dim == 9 and clone.output_mode == "dict"
    assert clone.preprocessors["x"].scale == 2.0 and clone.preprocessors["s"].num_bins == 6
    for f in (fs, clone):
        f.adapt({"i": DATA["i"]})
    data = {"x": DATA["x"], "i": DATA["i"], "s": DATA["s"]}
    for key, value in fs(data).items():
        np.testing.assert_array_equal(clone(data)[key].numpy(), value.numpy(), err_msg=key)


def test_save_and_load_model(tmp_path):
    fs = space(crosses=[("i", "s")], crossing_dim=8)
    fs.adapt(DATA)
    path = tmp_path / "space.keras"
    fs.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, FeatureSpace)
    new = {"x": np.array([9.0], np.float32), "n": np.array([10.0], np.float32), "i": np.array([42]),
           "s": np.array(["unseen"])}
    for data in (DATA, new):
        np.testing.assert_array_equal(loaded(data).numpy(), fs(data).numpy())
    assert loaded.preprocessors["s"].get_vocabulary() == fs.preprocessors["s"].get_vocabulary()
    assert set(loaded.get_inputs()) == set(fs.features)
    with pytest.raises(ValueError, match=r"\.keras"):
        fs.save(tmp_path / "space.h5")


def test_discretized_state_survives_saving(tmp_path):
    fs = FeatureSpace({"d": FeatureSpace.float_discretized(num_bins=4)})
    values = np.random.default_rng(0).gamma(2.0, 2.0, 200).astype(np.float32)
    fs.adapt({"d": values})
    fs.save(tmp_path / "d.keras")
    loaded = keras.models.load_model(tmp_path / "d.keras")
    assert loaded.preprocessors["d"].bin_boundaries == fs.preprocessors["d"].bin_boundaries
    np.testing.assert_array_equal(loaded({"d": values}).numpy(), fs({"d": values}).numpy())


# -- bad input: a clear error, and nothing changes -------------------------------------------------------------------
def test_bad_construction_arguments():
    with pytest.raises(ValueError, match="output_mode.*'dict', 'concat'.*list"):
        space(output_mode="list")
    with pytest.raises(ValueError, match="Invalid feature type: 'floaty'.*float_normalized"):
        FeatureSpace({"a": "floaty"})
    with pytest.raises(ValueError, match=r"unknown features: \['q'\]"):
        FeatureSpace({"a": "float"}, crosses=[("a", "q")])
    with pytest.raises(ValueError, match=r"unknown features: \['q'\]"):
        FeatureSpace({"a": "float"}, crosses=[FeatureSpace.cross(("a", "q"), crossing_dim=4)])
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="crossing_dim"):
        FeatureSpace({"a": "float"}, crossing_dim=0)
    with pytest.raises(ValueError, match="'int', 'one_hot', 'float'"):
        FeatureSpace.feature("float32", L.Identity(), "dense")
    with pytest.raises(ValueError, match="'int', 'one_hot'"):
        FeatureSpace.cross(("a", "b"), crossing_dim=4, output_mode="float")
    with pytest.raises(TypeError, match="Keras layer"):
        FeatureSpace.feature("float32", lambda v: v, "float")
    with pytest.raises(ValueError, match="Cannot concatenate.*'i'.*output_mode='dict'"):
        FeatureSpace({"i": FeatureSpace.integer_categorical(output_mode="int")})
    shared = FeatureSpace.float_normalized()
    with pytest.raises(ValueError, match="share one preprocessor"):
        FeatureSpace({"a": shared, "b": shared})


def test_calls_with_unknown_or_missing_columns():
    fs = space()
    fs.adapt(DATA)
    before = fs(DATA).numpy()
    with pytest.raises(ValueError, match=r"unknown feature name\(s\) \['price'\]"):
        fs({**DATA, "price": DATA["x"]})
    with pytest.raises(ValueError, match=r"no column for the feature\(s\) \['s'\]"):
        fs({k: v for k, v in DATA.items() if k != "s"})
    with pytest.raises(ValueError, match="only be called with a dict"):
        fs(DATA["x"])
    with pytest.raises(TypeError, match="feature 'i'.*non-integer"):
        fs({**DATA, "i": DATA["x"]})
    with pytest.raises(TypeError, match="feature 'n'"):
        fs({**DATA, "n": DATA["s"]})
    np.testing.assert_array_equal(fs(DATA).numpy(), before)


@pytest.mark.parametrize("data,error,match", [
    ({k: v[:0] for k, v in DATA.items()}, ValueError, "no data"),
    (Dataset.from_tensor_slices(DATA).take(0), ValueError, "no data"),
    ({k: v for k, v in DATA.items() if k != "s"}, ValueError, r"no column for the feature\(s\) \['s'\]"),
    (Dataset.from_tensor_slices({k: v for k, v in DATA.items() if k != "i"}), ValueError, r"\['i'\]"),
    ({**DATA, "n": DATA["n"][:4]}, ValueError, "different lengths"),
    ({**DATA, "n": DATA["s"]}, TypeError, "feature 'n'"),
    (Dataset.from_tensor_slices((DATA, DATA["x"])), TypeError, r"map\(lambda x, y: x\)"),
    (Dataset.from_tensor_slices(DATA).repeat(), ValueError, "infinite"),
    ([DATA], TypeError, "Dataset of feature dicts or a dict of columns"),
])
def test_bad_adapt_data_changes_nothing(data, error, match):
    fresh = space()
    before = state(fresh)
    with pytest.raises(error, match=match):
        fresh.adapt(data)
    assert state(fresh) == before
    adapted = space()
    adapted.adapt(DATA)
    before, out = state(adapted), adapted(DATA).numpy()
    with pytest.raises(error, match=match):
        adapted.adapt(data)
    assert state(adapted) == before
    np.testing.assert_array_equal(adapted(DATA).numpy(), out)


def test_a_feature_failing_after_others_adapted_rolls_them_back():
    # the lookups adapt before Normalization meets text it cannot take: all three are put back
    fs = FeatureSpace({"i": "integer_categorical", "s": "string_categorical", "n": "float_normalized"})
    before = state(fs)
    bad = {"i": DATA["i"], "s": DATA["s"], "n": np.array([[b"1.0"]] * 6, dtype=object)}
    with pytest.raises(TypeError, match="feature 'n'"):
        fs.adapt(bad)
    assert state(fs) == before
    fs.adapt({"i": DATA["i"], "s": DATA["s"], "n": DATA["n"]})       # and works afterwards
    assert fs({"i": DATA["i"], "s": DATA["s"], "n": DATA["n"]}).shape == (6, 9)


def test_one_hot_on_a_float_output_is_refused_at_adapt():
    fs = FeatureSpace({"r": FeatureSpace.feature("float32", L.Normalization(), "one_hot")})
    before = state(fs)
    with pytest.raises(ValueError, match="Feature 'r' has `output_mode='one_hot'`.*int64"):
        fs.adapt({"r": DATA["x"]})
    assert state(fs) == before


def test_unknown_cardinality_one_hot_is_refused():
    fs = FeatureSpace({"k": FeatureSpace.feature("int64", L.Identity(dtype="int64"), "one_hot")})
    with pytest.raises(ValueError, match="Try using `output_mode='int'`"):
        fs.get_encoded_features()


def test_loading_needs_no_compile_and_warns_nothing(tmp_path):
    fs = FeatureSpace({"x": "float"})
    fs.save(tmp_path / "x.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.models.load_model(tmp_path / "x.keras")
    assert loaded({"x": [1.0]}).numpy().tolist() == [[1.0]]
