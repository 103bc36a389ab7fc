"""``save_weights`` / ``load_weights``: tf.keras's HDF5 layout for ``.h5``, Keras 3's for ``.weights.h5``; loading
by order or by name; every mismatch is a ValueError naming the layer, the weight and both shapes (and changes
nothing), or, with ``skip_mismatch=True``, a warning listing what was skipped.
"""
import os
import warnings

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


def _mlp(hidden=4, out=2, names=("dense_a", "dense_b")):
    return keras.Sequential([layers.Dense(hidden, activation="relu", input_shape=(3,), name=names[0]),
                             layers.Dense(out, name=names[1])])


def _x():
    return np.random.default_rng(0).random((5, 3), dtype=np.float32)


def _layout(path):
    out = {}
    with h5py.File(path, "r") as f:
        for k in f.attrs:
            out[f"@{k}"] = np.asarray(f.attrs[k]).dtype.kind
        f.visititems(lambda n, o: out.__setitem__(n, (type(o).__name__, getattr(o, "shape", None))))
    return out


def test_h5_weights_file_has_tf_keras_layout(tmp_path):
    """Same attributes, groups and dataset paths as tf.keras's weights_only.h5 (built with the same names)."""
    model = _mlp(names=("dense_24", "dense_25"))
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    mine = _layout(path)
    assert mine.pop("@kerasfront_checksums") == "O"       # the one addition (saving/checksums.py)
    assert mine == _layout(os.path.join(FIXTURES, "weights_only.h5"))
    with h5py.File(path, "r") as f:
        assert list(f.attrs["layer_names"]) == ["dense_24", "dense_25"]
        assert list(f["dense_24"].attrs["weight_names"]) == ["dense_24/kernel:0", "dense_24/bias:0"]
        np.testing.assert_array_equal(f["dense_24/dense_24/kernel:0"][()], model.layers[0].kernel.numpy())
        assert f["top_level_model_weights"].attrs["weight_names"].dtype == np.float64


@pytest.mark.parametrize("name", ["w.h5", "w.hdf5", "w.weights.h5", "no_extension"])
def test_round_trip_restores_every_weight(tmp_path, name):
    model = keras.Sequential([layers.Conv1D(3, 2, input_shape=(5, 2)), layers.BatchNormalization(),
                              layers.LSTM(2), layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(np.random.default_rng(1).random((8, 5, 2), dtype=np.float32), np.ones((8, 1), np.float32),
              verbose=0)
    path = str(tmp_path / name)
    model.save_weights(path)
    other = keras.models.clone_model(model)
    other.load_weights(path)
    for a, b in zip(other.weights, model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_weights_h5_uses_the_keras3_layout(tmp_path):
    model = _mlp()
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert "layer_names" not in f.attrs
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[0].kernel.numpy())
        np.testing.assert_array_equal(f["layers/dense_1/vars/1"][()], model.layers[1].bias.numpy())


def _by_name_pair():
    source = _mlp(names=("shared", "head"))
    target = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,), name="shared"),
                               layers.Dense(7, name="other_head")])
    before = target.layers[1].kernel.numpy()
    return source, target, before


def test_by_name_loads_matching_layers_and_leaves_the_rest(tmp_path):
    source, target, before = _by_name_pair()
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    target.load_weights(path, by_name=True)
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())
    np.testing.assert_array_equal(target.layers[1].kernel.numpy(), before)


def test_layer_count_mismatch_names_both_sides_and_changes_nothing(tmp_path):
    path = str(tmp_path / "w.h5")
    _mlp().save_weights(path)
    target = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(4), layers.Dense(2)])
    before = target.get_weights()
    with pytest.raises(ValueError) as err:
        target.load_weights(path)
    msg = str(err.value)
    assert "Layer count mismatch" in msg and "3 layer(s)" in msg and "2 layer(s)" in msg
    assert "dense_a" in msg and target.layers[2].name in msg and "w.h5" in msg
    for a, b in zip(target.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_shape_mismatch_names_layer_weight_and_both_shapes_and_changes_nothing(tmp_path):
    path = str(tmp_path / "w.h5")
    _mlp(out=2).save_weights(path)
    target = _mlp(out=3, names=("first", "second"))
    before = target.get_weights()
    with pytest.raises(ValueError) as err:
        target.load_weights(path)
    msg = str(err.value)
    assert "second" in msg and "second/kernel:0" in msg and "(4, 3)" in msg and "(4, 2)" in msg
    for a, b in zip(target.get_weights(), before):
        np.testing.assert_array_equal(a, b)   # the first layer, which fits, was not loaded either


def test_skip_mismatch_loads_what_fits_and_warns_with_the_list(tmp_path):
    path = str(tmp_path / "w.h5")
    source = _mlp(out=2)
    source.save_weights(path)
    target = _mlp(out=3, names=("first", "second"))
    before_second = target.layers[1].kernel.numpy()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        target.load_weights(path, skip_mismatch=True)
    messages = [str(w.message) for w in record if "skip_mismatch" in str(w.message)]
    assert len(messages) == 1
    assert "second/kernel:0" in messages[0] and "second/bias:0" in messages[0] and "(4, 3)" in messages[0]
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())
    np.testing.assert_array_equal(target.layers[1].kernel.numpy(), before_second)


def test_skip_mismatch_by_name(tmp_path):
    path = str(tmp_path / "w.h5")
    source = _mlp(out=2, names=("a", "b"))
    source.save_weights(path)
    target = _mlp(out=5, names=("a", "b"))
    with pytest.warns(UserWarning, match="b/kernel:0"):
        target.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())


def test_weight_count_mismatch_lists_both_weight_lists(tmp_path):
    path = str(tmp_path / "w.h5")
    keras.Sequential([layers.Dense(2, input_shape=(3,), use_bias=False, name="d")]).save_weights(path)
    target = keras.Sequential([layers.Dense(2, input_shape=(3,), name="d")])
    with pytest.raises(ValueError, match=r"Weight count mismatch.*'d'.*2 weight\(s\).*holds 1"):
        target.load_weights(path)


def test_keras3_layout_mismatch_is_also_named(tmp_path):
    path = str(tmp_path / "m.weights.h5")
    _mlp(out=2).save_weights(path)
    target = _mlp(out=3, names=("first", "second"))
    before = target.get_weights()
    with pytest.raises(ValueError, match=r"second/kernel:0.*\(4, 3\).*\(4, 2\)"):
        target.load_weights(path)
    for a, b in zip(target.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_model_gets_a_clear_error(tmp_path):
    path = str(tmp_path / "w.h5")
    _mlp().save_weights(path)
    unbuilt = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.load_weights(path)


def test_subclassed_model_weights_with_own_top_level_weights(tmp_path):
    class WithScale(keras.Model):
        def __init__(self):
            super().__init__()
            self.body = layers.Dense(2)
            self.scale = self.add_weight("scale", shape=(2,), initializer="ones")

        def call(self, x):
            return self.body(x) * self.scale

    a, b = WithScale(), WithScale()
    x = _x()
    a(x)
    b(x)
    a.scale.assign(np.array([2.0, 3.0], np.float32))
    path = str(tmp_path / "sub.h5")
    a.save_weights(path)
    with h5py.File(path, "r") as f:
        assert len(f["top_level_model_weights"].attrs["weight_names"]) == 1
    b.load_weights(path)
    np.testing.assert_array_equal(b(x).numpy(), a(x).numpy())


def test_weights_of_a_full_model_file_and_a_keras_file(tmp_path):
    model = _mlp()
    model.compile("sgd", "mse")
    model.save(str(tmp_path / "m.h5"))
    model.save(str(tmp_path / "m.keras"))
    for name in ("m.h5", "m.keras"):
        target = _mlp(names=("p", "q"))
        target.load_weights(str(tmp_path / name))
        np.testing.assert_array_equal(target.predict(_x(), verbose=0), model.predict(_x(), verbose=0))


def test_bad_arguments(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save_weights(str(tmp_path / "w.keras"))
    with pytest.raises(ValueError, match="save_format"):
        model.save_weights(str(tmp_path / "w.ckpt"), save_format="tf")
    model.save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(TypeError, match="by_name"):
        model.load_weights(str(tmp_path / "w.h5"), by_name="yes")
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        model.load_weights(str(tmp_path / "missing.h5"))


def test_long_name_lists_are_split_over_several_attributes_as_tf_keras_does(tmp_path):
    """HDF5 object headers hold 64 KiB: longer name lists go to ``name0``, ``name1``... and read back whole."""
    from kerasfront.saving.h5_utils import read_str_list, write_str_list
    names = [f"layer_with_a_long_name_{i:05d}" for i in range(4000)]
    with h5py.File(tmp_path / "names.h5", "w") as f:
        write_str_list(f, "layer_names", names)
        write_str_list(f, "empty", [])
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names1" in f.attrs
        assert read_str_list(f, "layer_names", "names.h5") == names
        assert read_str_list(f, "empty", "names.h5") == []
        assert f.attrs["empty"].dtype == np.float64
