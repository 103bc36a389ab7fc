"""Whole models saved by kerasfront in tf.keras's HDF5 format: the file has tf.keras 2.21's exact layout and
configs, and loading it gives back the architecture, the weights, the compile arguments and the optimizer's
state, so that training resumes exactly where it stopped.
"""
import json
import os
import warnings

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from kerasfront.models import load_model, save_model
from kerasfront.saving.hdf5_format import model_config_of
from tests.kerasfront.h5_edits import strip_checksums

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _seed_model():
    inp = keras.Input(shape=(3,), name="input_1")
    x = layers.Dense(4, activation="relu", name="dense")(inp)
    out = layers.Dense(2, activation="softmax", name="dense_1")(x)
    model = keras.Model(inputs=inp, outputs=out, name="model")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _signature(path):
    """Every attribute (with its HDF5 type: class, variable length, character set, shape), group and dataset
    (shape, dtype) of a file, values left out."""
    out = {}

    def attrs(obj, prefix):
        for name in obj.attrs:
            aid = h5py.h5a.open(obj.id, name.encode())
            t = aid.get_type()
            kind = (t.get_class(), t.is_variable_str(), t.get_cset()) if isinstance(t, h5py.h5t.TypeStringID) \
                else (t.get_class(), np.dtype(aid.dtype).str)
            out[f"{prefix}@{name}"] = (kind, aid.get_space().shape)

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = ("dataset", obj.shape, obj.dtype.str)
        else:
            out[name] = ("group",)
        attrs(obj, name)

    with h5py.File(path, "r") as f:
        attrs(f, "")
        f.visititems(visit)
    return out


def test_file_layout_and_configs_are_those_tf_keras_writes(tmp_path):
    """The same model, compiled and trained as tf.keras did for seed_functional.h5: every attribute, group and
    dataset has the same name, HDF5 type and shape; model_config and training_config are the same JSON."""
    model = _seed_model()
    r = _rng()
    model.fit(r.random((64, 3), dtype=np.float32), np.eye(2, dtype=np.float32)[r.integers(0, 2, 64)],
              batch_size=16, epochs=3, shuffle=False, verbose=0)
    path = str(tmp_path / "seed.h5")
    model.save(path)
    ref_path = os.path.join(FIXTURES, "seed_functional.h5")
    mine = _signature(path)
    # the one addition: kerasfront's checksums (a string list tf.keras ignores; see saving/checksums.py)
    assert mine.pop("@kerasfront_checksums")[0][:2] == (h5py.h5t.STRING, True)
    assert mine == _signature(ref_path)
    with h5py.File(path, "r") as mine, h5py.File(ref_path, "r") as ref:
        assert mine.attrs["model_config"] == ref.attrs["model_config"]
        assert json.loads(mine.attrs["training_config"]) == json.loads(ref.attrs["training_config"])
        assert mine.attrs["keras_version"] == ref.attrs["keras_version"]
        assert list(mine["model_weights"].attrs["layer_names"]) == list(ref["model_weights"].attrs["layer_names"])
        assert list(mine["optimizer_weights"].attrs["weight_names"]) == \
            list(ref["optimizer_weights"].attrs["weight_names"])
        assert int(mine["optimizer_weights/iteration:0"][()]) == 12


def _without_build_config(value):
    if isinstance(value, dict):
        return {k: _without_build_config(v) for k, v in value.items() if k != "build_config"}
    if isinstance(value, list):
        return [_without_build_config(v) for v in value]
    return value


REFERENCE_MODELS = sorted(f[:-3] for f in os.listdir(FIXTURES)
                          if f.endswith(".h5") and f not in ("weights_only.h5", "lambda_layer_unsafe.h5",
                                                             "custom_layer.h5"))


@pytest.mark.parametrize("case", REFERENCE_MODELS)
def test_model_config_of_every_reference_model_is_what_tf_keras_wrote(case):
    """Every layer is written with Keras's class name and config keys: loading a tf.keras file and serializing
    the model again gives tf.keras's model_config (``build_config`` hints that tf.keras adds to wrapped layers
    are left out of the comparison; loading does not use them)."""
    path = os.path.join(FIXTURES, f"{case}.h5")
    with h5py.File(path, "r") as f:
        ref = json.loads(f.attrs["model_config"])
    model = load_model(path, compile=False)
    mine = json.loads(json.dumps(model_config_of(model)))
    assert _without_build_config(mine) == _without_build_config(ref)


def _multi_io_model():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    h = layers.Concatenate()([layers.Dense(4, activation="tanh")(a), layers.Dense(5)(b)])
    h = layers.BatchNormalization()(h)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(inputs=[a, b], outputs=[cls, reg])
    r = _rng(1)
    x = [r.random((24, 4), dtype=np.float32), r.random((24, 3), dtype=np.float32)]
    y = [np.eye(3, dtype=np.float32)[r.integers(0, 3, 24)], r.random((24, 1), dtype=np.float32)]
    return model, x, y


def _sequential_model(optimizer):
    model = keras.Sequential([layers.Dense(6, activation="relu", input_shape=(5,),
                                           kernel_regularizer=keras.regularizers.l2(0.01)),
                              layers.Dense(3, activation="softmax")])
    r = _rng(2)
    return model, r.random((30, 5), dtype=np.float32), r.integers(0, 3, 30)


OPTIMIZERS = {
    "adam_amsgrad": lambda: keras.optimizers.Adam(learning_rate=0.02, amsgrad=True, clipnorm=1.0),
    "sgd_nesterov": lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop_centered": lambda: keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "nadam": lambda: keras.optimizers.Nadam(learning_rate=0.01),
    "adagrad": lambda: keras.optimizers.Adagrad(learning_rate=0.1),
    "adamax": lambda: keras.optimizers.Adamax(learning_rate=0.01),
    "adadelta": lambda: keras.optimizers.Adadelta(learning_rate=1.0),
    "adamw_schedule": lambda: keras.optimizers.AdamW(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=3, decay_rate=0.5),
        weight_decay=0.01),
}


def _weights(model):
    return [w.numpy() for la in model.layers for w in la.weights]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_fit_save_load_fit_equals_uninterrupted_training(tmp_path, name, ext):
    """shuffle=False: 1 epoch, save, load, 1 more epoch == 2 epochs in one go (weights, history keys and values)."""
    keras.utils.set_random_seed(3)
    model, x, y = _sequential_model(None)
    start = model.get_weights()
    model.compile(optimizer=OPTIMIZERS[name](), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
    full = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    expected = _weights(model)

    keras.utils.set_random_seed(3)
    model2, _, _ = _sequential_model(None)
    model2.set_weights(start)
    model2.compile(optimizer=OPTIMIZERS[name](), loss="sparse_categorical_crossentropy",
                   metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
    first = model2.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / f"ckpt{ext}")
    model2.save(path)
    resumed = load_model(path)
    second = resumed.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert list(second.history) == list(full.history) == list(first.history)
    for key in full.history:
        np.testing.assert_allclose([first.history[key][0], second.history[key][0]], full.history[key], rtol=1e-6,
                                   err_msg=key)
    for a, b in zip(_weights(resumed), expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(resumed.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 8


@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_multi_output_model_resumes_with_the_same_history_keys(tmp_path, ext):
    model, x, y = _multi_io_model()
    model.compile(optimizer=keras.optimizers.Adamax(learning_rate=0.01),
                  loss={"cls": "categorical_crossentropy", "reg": "mae"}, loss_weights={"cls": 1.0, "reg": 0.5},
                  metrics={"cls": ["accuracy"], "reg": ["mse"]}, weighted_metrics={"cls": ["accuracy"]})
    first = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / f"multi{ext}")
    save_model(model, path)
    loaded = load_model(path)
    assert loaded._compile_args["loss_weights"] == {"cls": 1.0, "reg": 0.5}
    h_loaded = loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_orig = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert list(h_loaded.history) == list(h_orig.history) == list(first.history)
    assert "cls_accuracy" in h_loaded.history and "cls_weighted_accuracy" in h_loaded.history
    for key in h_orig.history:
        np.testing.assert_allclose(h_loaded.history[key], h_orig.history[key], rtol=1e-6, err_msg=key)
    for a, b in zip(_weights(loaded), _weights(model)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_loaded_model_predicts_the_same_and_keeps_layer_classes_and_names(tmp_path):
    inp = keras.Input(shape=(6, 3))
    x = layers.Conv1D(4, 3, padding="causal", activation="relu")(inp)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.TimeDistributed(layers.Dense(2))(x)
    x = layers.LayerNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(1, activation="sigmoid")(layers.Dropout(0.3)(x))
    model = keras.Model(inp, out)
    data = _rng(4).random((5, 6, 3), dtype=np.float32)
    path = str(tmp_path / "zoo.h5")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_model(path)
    assert [type(la).__name__ for la in loaded.layers] == [type(la).__name__ for la in model.layers]
    assert [la.name for la in loaded.layers] == [la.name for la in model.layers]
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_include_optimizer_false_writes_no_training_config(tmp_path):
    model = _seed_model()
    path = str(tmp_path / "noopt.h5")
    save_model(model, path, include_optimizer=False)
    with h5py.File(path, "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded = load_model(path)
    assert not loaded.is_compiled
    assert sum("not* compiled" in str(w.message) for w in record) == 1


def test_uncompiled_model_round_trips_uncompiled(tmp_path):
    model = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    path = str(tmp_path / "plain.h5")
    model.save(path)
    loaded = load_model(path, compile=False)
    assert not loaded.is_compiled
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_custom_objects_round_trip_through_registration(tmp_path):
    @keras.utils.register_keras_serializable(package="test_saving_hdf5")
    class Doubler(layers.Layer):
        def call(self, x):
            return x * 2.0

    @keras.utils.register_keras_serializable(package="test_saving_hdf5")
    def halved_mse(y_true, y_pred):
        return keras.losses.mean_squared_error(y_true, y_pred) * 0.5

    model = keras.Sequential([layers.Dense(2, input_shape=(3,)), Doubler()])
    model.compile(optimizer="sgd", loss=halved_mse)
    path = str(tmp_path / "custom.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        assert '"class_name": "test_saving_hdf5>Doubler"' in f.attrs["model_config"]
        assert json.loads(f.attrs["training_config"])["loss"] == "test_saving_hdf5>halved_mse"
    loaded = load_model(path)
    x = _rng(5).random((4, 3), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    y = _rng(6).random((4, 2), dtype=np.float32)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_subclassed_model_is_refused_for_hdf5_with_the_alternatives(tmp_path):
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    model = Tiny()
    model(np.zeros((1, 3), np.float32))
    path = tmp_path / "sub.h5"
    with pytest.raises(NotImplementedError, match="save_weights"):
        model.save(str(path))
    assert not path.exists()


def test_unbuilt_sequential_is_refused_before_any_file_is_written(tmp_path):
    model = keras.Sequential([layers.Dense(2)])
    path = tmp_path / "unbuilt.h5"
    with pytest.raises(ValueError, match="input_shape"):
        model.save(str(path))
    assert not path.exists()


def test_bad_arguments_are_named(tmp_path):
    model = _seed_model()
    with pytest.raises(ValueError, match="save_format"):
        model.save(str(tmp_path / "x"), save_format="tflite")
    model.save(str(tmp_path / "folder"), save_format="tf")        # tf.keras's spelling: kerasfront's model folder
    assert os.path.isfile(tmp_path / "folder" / "kerasfront_model.json")
    with pytest.raises(TypeError, match="filepath"):
        save_model(model, 3)
    with pytest.raises(TypeError, match="include_optimizer"):
        save_model(model, str(tmp_path / "x.h5"), include_optimizer="yes")
    model.save(str(tmp_path / "ok.h5"))
    with pytest.raises(TypeError, match="custom_objects"):
        load_model(str(tmp_path / "ok.h5"), custom_objects=["Dense"])
    with pytest.raises(TypeError, match="compile"):
        load_model(str(tmp_path / "ok.h5"), compile="no")


def test_plain_and_custom_prefixed_optimizer_class_names_both_load(tmp_path):
    """tf_keras 2.21 writes ``Custom>Adam``, older tf.keras ``Adam``: both give an Adam with the saved settings."""
    model = _seed_model()
    model.optimizer.learning_rate = 0.005
    path = tmp_path / "opt.h5"
    model.save(path)
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["training_config"])
        assert config["optimizer_config"]["class_name"] == "Custom>Adam"
        config["optimizer_config"]["class_name"] = "Adam"
        f.attrs["training_config"] = json.dumps(config).encode()
        strip_checksums(f)                                 # as an older tf.keras writes it: no checksums
    loaded = load_model(path)
    assert type(loaded.optimizer).__name__ == "Adam"
    assert loaded.optimizer.learning_rate.numpy() == np.float32(0.005)


def test_paths_and_non_ascii_layer_names(tmp_path):
    inp = keras.Input(shape=(2,), name="entrée")
    out = layers.Dense(2, name="dénse")(inp)
    model = keras.Model(inp, out)
    path = tmp_path / "ünïcode.h5"   # a pathlib.Path
    model.save(path)
    loaded = load_model(path, compile=False)
    assert [la.name for la in loaded.layers] == ["entrée", "dénse"]
    np.testing.assert_array_equal(loaded.layers[1].kernel.numpy(), model.layers[1].kernel.numpy())
    model.save_weights(tmp_path / "w.h5")
    loaded.load_weights(tmp_path / "w.h5")
