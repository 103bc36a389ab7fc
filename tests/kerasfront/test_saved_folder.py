"""model.save("folder") / load_model("folder"): the models of the keras.io saving guide (a subclassed
CustomModel, a functional model with a Lambda layer, a model with a custom layer) save to a folder, load after
their classes are gone (revived from the traced graphs: checked in a fresh interpreter that never defined them),
predict the same on the saved batch size and another, and train on as the original would."""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# -- the three models of the "must hold" list -----------------------------------------------------------------

def _custom_model_class():
    class CustomModel(keras.Model):                 # the keras.io saving guide's subclassed model
        def __init__(self, hidden_units):
            super().__init__()
            self.hidden_units = hidden_units
            self.dense_layers = [layers.Dense(u) for u in hidden_units]

        def call(self, inputs):
            x = inputs
            for layer in self.dense_layers:
                x = layer(x)
            return x

        def get_config(self):
            return {"hidden_units": self.hidden_units}

        @classmethod
        def from_config(cls, config):
            return cls(**config)
    return CustomModel


def _scale_layer_class():
    class Scale(layers.Layer):
        """A custom layer with a regularized weight."""

        def build(self, input_shape):
            self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones",
                                         regularizer=keras.regularizers.l2(0.01))

        def call(self, inputs):
            return ag.multiply(inputs, self.scale)
    return Scale


def _models():
    keras.utils.set_random_seed(3)
    CustomModel = _custom_model_class()
    custom = CustomModel([16, 16, 10])
    custom.compile("adam", "mse")
    inp = keras.Input((32,))
    x = layers.Lambda(lambda t: t * 2.0 - 1.0)(inp)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.25)(x)
    lam = keras.Model(inp, layers.Dense(10)(x))
    lam.compile("sgd", "mse")
    Scale = _scale_layer_class()
    inp = keras.Input((32,))
    with_layer = keras.Model(inp, layers.Dense(10)(Scale()(inp)))
    with_layer.compile("rmsprop", "mse")
    return {"custom_model": custom, "lambda_layer": lam, "custom_layer": with_layer}


def _data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 32)).astype("float32"), rng.random((n, 10)).astype("float32")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """{name: (folder, original model)} after one epoch of training (optimizer state to save)."""
    d = tmp_path_factory.mktemp("folders")
    out = {}
    x, y = _data()
    for name, model in _models().items():
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        path = str(d / name)
        model.save(path)
        out[name] = (path, model)
    return out


def test_the_folder_holds_the_documented_files(saved):
    path, model = saved["custom_model"]
    assert sorted(os.listdir(path)) == ["README.md", "graph_constants.npz", "graphs.json", "kerasfront_model.json",
                                        "optimizer.npz", "weights.npz"]
    readme = open(os.path.join(path, "README.md")).read()
    assert "kerasfront" in readme and 'load_model("custom_model")' in readme
    manifest = json.load(open(os.path.join(path, "kerasfront_model.json")))
    assert manifest["class_name"] == "CustomModel" and manifest["model_config"] == {"name": model.name,
                                                                                   "trainable": True,
                                                                                   "hidden_units": [16, 16, 10]} \
        or manifest["model_config"]["config"]["hidden_units"] == [16, 16, 10]
    assert [w["shape"] for w in manifest["weights"]] == [list(w.shape) for w in model.weights]


@pytest.mark.parametrize("name", ["custom_model", "lambda_layer", "custom_layer"])
def test_revived_without_the_class_predicts_the_same_and_trains_on_as_the_original(saved, name):
    path, model = saved[name]
    with pytest.warns(UserWarning, match="revived from its traced graphs"):
        revived = keras.models.load_model(path)
    assert type(revived).__name__ == "RevivedModel"
    x, y = _data(12, seed=1)
    for batch in (4, 12, 1):    # fit's batch size, and sizes the tracer never ran (it runs 2, 3, 5 and 7)
        np.testing.assert_allclose(revived.predict(x[:batch], verbose=0), model.predict(x[:batch], verbose=0),
                                   rtol=0, atol=1e-6)
    np.testing.assert_allclose(revived(x[:3]).numpy(), model(x[:3]).numpy(), atol=1e-6)
    np.testing.assert_allclose(revived.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-5)
    assert int(revived.optimizer.iterations) == int(model.optimizer.iterations) == 3
    # fine-tuning: the same steps (dropout draws and batch statistics included) give the same weights
    clone = keras.models.load_model(path, custom_objects=_custom_objects(name)) if name != "lambda_layer" else \
        keras.models.load_model(path, safe_mode=False)
    assert type(clone).__name__ != "RevivedModel"
    keras.utils.set_random_seed(7)
    h_orig = clone.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    keras.utils.set_random_seed(7)
    h_rev = revived.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_rev.history["loss"], h_orig.history["loss"], rtol=1e-5)
    for a, b in zip(revived.get_weights(), clone.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert h_rev.history["loss"][-1] < h_rev.history["loss"][0] or name == "lambda_layer"


def _custom_objects(name):
    return {"CustomModel": _custom_model_class()} if name == "custom_model" else {"Scale": _scale_layer_class()}


def test_with_the_class_the_original_model_comes_back_with_its_optimizer_state(saved):
    path, model = saved["custom_model"]
    CustomModel = _custom_model_class()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.models.load_model(path, custom_objects={"CustomModel": CustomModel})
    assert isinstance(loaded, CustomModel) and loaded.hidden_units == [16, 16, 10]
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_in_a_fresh_interpreter_that_never_defined_the_classes(saved, tmp_path):
    """The real "classes deleted" case: a new process loads, predicts (two batch sizes) and trains."""
    x, y = _data(12, seed=2)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    expected = {name: model.predict(x, verbose=0) for name, (_, model) in saved.items()}
    code = (
        "import json, sys, warnings, numpy as np\n"
        "import kerasfront as keras\n"
        "warnings.simplefilter('ignore')\n"
        "x = np.load(sys.argv[1]); y = np.load(sys.argv[2]); out = {}\n"
        "for name, path in json.loads(sys.argv[3]).items():\n"
        "    m = keras.models.load_model(path)\n"
        "    p = m.predict(x, verbose=0); q = m.predict(x[:5], verbose=0)\n"
        "    h = m.fit(x, y, epochs=3, batch_size=4, verbose=0)\n"
        "    np.save(sys.argv[4] + name + '.npy', p)\n"
        "    out[name] = [type(m).__name__, float(np.abs(p[:5] - q).max()), h.history['loss']]\n"
        "print(json.dumps(out))\n")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    paths = {name: path for name, (path, _) in saved.items()}
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"),
                           json.dumps(paths), str(tmp_path) + os.sep], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in saved:
        kind, batch_diff, losses = result[name]
        assert kind == "RevivedModel"
        np.testing.assert_allclose(np.load(tmp_path / f"{name}.npy"), expected[name], atol=1e-6)
        assert batch_diff <= 1e-6
        assert all(np.isfinite(losses))
        assert losses[-1] < losses[0] or name == "lambda_layer"      # (dropout makes its three epochs noisy)


def test_multi_input_dict_outputs_and_masked_rnn_revive(tmp_path):
    keras.utils.set_random_seed(4)
    ids = keras.Input((6,), name="ids")
    feats = keras.Input((3,), name="feats")
    seq = layers.LSTM(4)(layers.Embedding(9, 5, mask_zero=True)(ids))
    merged = layers.Concatenate()([seq, layers.Dense(4)(feats)])
    model = keras.Model({"ids": ids, "feats": feats},
                        {"cls": layers.Dense(2, activation="softmax", name="cls")(merged),
                         "reg": layers.Dense(1, name="reg")(merged)})
    model.compile("adam", {"cls": "sparse_categorical_crossentropy", "reg": "mse"})
    rng = np.random.default_rng(0)
    x = {"ids": rng.integers(0, 9, (10, 6)).astype("float32"), "feats": rng.random((10, 3)).astype("float32")}
    x["ids"][:, 4:] = 0                                            # padded sequences: the mask matters
    path = str(tmp_path / "two_heads")
    model.save(path)
    assert type(keras.models.load_model(path)).__name__ == "Functional"      # built-in layers: rebuilt
    revived = _force_revive(path)
    assert type(revived).__name__ == "RevivedModel"
    got, want = revived.predict(x, verbose=0), model.predict(x, verbose=0)
    assert sorted(got) == ["cls", "reg"]
    for k in got:
        np.testing.assert_allclose(got[k], want[k], atol=1e-6)
    y = {"cls": rng.integers(0, 2, 10), "reg": rng.random((10, 1)).astype("float32")}
    revived.fit(x, y, epochs=1, verbose=0)


def _force_revive(path):
    """Load a folder as if no class could be rebuilt (the manifest without its config)."""
    manifest_path = os.path.join(path, "kerasfront_model.json")
    manifest = json.load(open(manifest_path))
    manifest["model_config"] = None
    json.dump(manifest, open(manifest_path, "w"))
    with pytest.warns(UserWarning, match="revived"):
        return keras.models.load_model(path)


def test_built_in_models_are_rebuilt_from_their_config(tmp_path):
    model = keras.Sequential([layers.Dense(3, input_shape=(4,), activation="tanh"), layers.Dense(1)])
    model.compile("adam", "mse")
    path = str(tmp_path / "seq")
    model.save(path, save_format="tf")                 # tf.keras's spelling of a folder
    loaded = keras.models.load_model(path)
    assert type(loaded).__name__ == "Sequential" and loaded.is_compiled
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_revived_model_saves_again_and_says_it_has_no_config(saved, tmp_path):
    path, model = saved["custom_model"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        revived = keras.models.load_model(path)
    with pytest.raises(NotImplementedError, match="revived from its traced graphs"):
        revived.get_config()
    again = str(tmp_path / "again")
    revived.save(again)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twice = keras.models.load_model(again)
    x, _ = _data(4)
    np.testing.assert_allclose(twice.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match=r"saved with: \[\(\(32,\), 'float32'\)\]"):
        revived(np.ones((2, 7), "float32"))


def test_a_tensorflow_saved_model_folder_is_refused_saying_so(tmp_path):
    folder = tmp_path / "tf_model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"\x08\x01")
    with pytest.raises(ValueError, match="TensorFlow SavedModel.*saved_model.pb.*HDF5"):
        keras.models.load_model(str(folder))
    with pytest.raises(ValueError, match="not written by kerasfront"):
        keras.models.load_model(str(tmp_path))


def test_saving_refuses_what_it_cannot_do_and_changes_nothing(tmp_path):
    CustomModel = _custom_model_class()
    never_called = CustomModel([2])
    with pytest.raises(ValueError, match="no input signature is known yet"):
        never_called.save(str(tmp_path / "m"))
    assert not os.path.exists(tmp_path / "m")
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"meow")
    model = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(FileExistsError, match="not a model folder"):
        model.save(str(other))
    assert os.listdir(other) == ["cat.jpg"]
    model.save(str(tmp_path / "m"))
    model.layers[0].kernel.assign(np.full((2, 1), 3.0, "float32"))
    model.save(str(tmp_path / "m"))                    # replaces the previous folder
    np.testing.assert_array_equal(keras.models.load_model(str(tmp_path / "m"), compile=False).get_weights()[0],
                                  np.full((2, 1), 3.0, "float32"))
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []


def test_attention_with_masks_and_dropout_revives_and_trains_as_the_original(tmp_path):
    keras.utils.set_random_seed(8)
    ids = keras.Input((6,))
    x = layers.Embedding(12, 8, mask_zero=True)(ids)
    x = layers.MultiHeadAttention(2, 4, dropout=0.2)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization()(x)
    model = keras.Model(ids, layers.Dense(1)(layers.GlobalAveragePooling1D()(x)))
    model.compile("adam", "mse")
    rng = np.random.default_rng(1)
    xs = rng.integers(0, 12, (8, 6)).astype("float32")
    xs[:, 4:] = 0
    ys = rng.random((8, 1)).astype("float32")
    path = str(tmp_path / "attention")
    model.save(path)
    revived = _force_revive(path)
    np.testing.assert_allclose(revived.predict(xs, verbose=0), model.predict(xs, verbose=0), atol=1e-6)
    keras.utils.set_random_seed(9)
    h1 = model.fit(xs, ys, epochs=2, batch_size=4, shuffle=False, verbose=0)
    keras.utils.set_random_seed(9)
    h2 = revived.fit(xs, ys, epochs=2, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(h2.history["loss"], h1.history["loss"], rtol=1e-5)


def test_random_augmentation_revives_for_inference_and_says_why_it_cannot_train(tmp_path):
    keras.utils.set_random_seed(10)
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.RandomRotation(0.2), layers.Flatten(), layers.Dense(2)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).random((3, 6, 6, 1)).astype("float32")
    path = str(tmp_path / "augmented")
    model.save(path)
    revived = _force_revive(path)
    np.testing.assert_allclose(revived.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="without a training-mode graph.*cannot be called with training=True"):
        revived.fit(x, np.zeros((3, 2), "float32"), verbose=0)


def test_a_model_that_cannot_be_traced_keeps_its_config_and_says_so(tmp_path):
    model = keras.Sequential([layers.SimpleRNN(2, stateful=True, batch_input_shape=(2, 3, 1))])
    model(np.zeros((2, 3, 1), "float32"))
    path = str(tmp_path / "stateful")
    with pytest.warns(UserWarning, match=r"layer 'simple_rnn.*' \(SimpleRNN\) is stateful.*load only where its "
                                         r"classes are available"):
        model.save(path)
    loaded = keras.models.load_model(path, compile=False)          # built-in classes: rebuilt from the config
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    manifest = json.load(open(os.path.join(path, "kerasfront_model.json")))
    manifest["model_config"] = None
    json.dump(manifest, open(os.path.join(path, "kerasfront_model.json"), "w"))
    with pytest.raises(ValueError, match="cannot be revived without its classes.*stateful"):
        keras.models.load_model(path)


def test_saving_aliases_of_tf_keras_saving():
    from kerasfront import saving
    for name in ("custom_object_scope", "get_custom_objects", "register_keras_serializable", "serialize_keras_object",
                 "deserialize_keras_object", "get_registered_name", "get_registered_object"):
        assert callable(getattr(saving, name)), name
    assert saving.get_custom_objects() is keras.utils.get_custom_objects()

    @saving.register_keras_serializable(package="demo_i18")
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2.0

    assert saving.get_registered_name(Twice) == "demo_i18>Twice"
    assert saving.get_registered_object("demo_i18>Twice") is Twice
    with saving.custom_object_scope({"Thrice": Twice}):
        assert saving.get_registered_object("Thrice") is Twice
    data = saving.serialize_keras_object(layers.Dense(2))
    assert saving.deserialize_keras_object(data, module_objects={"Dense": layers.Dense}).units == 2


def test_a_model_taking_strings_saves_its_config_and_vocabulary_and_says_why_it_has_no_graph(tmp_path):
    vectorize = layers.TextVectorization(max_tokens=8, output_sequence_length=4)
    vectorize.adapt(["the cat sat", "the dog ran", "a cat ran"])
    inp = keras.Input((1,), dtype="string")
    x = layers.GlobalAveragePooling1D()(layers.Embedding(8, 3)(vectorize(inp)))
    model = keras.Model(inp, layers.Dense(1)(x))
    texts = np.array([["the cat ran"], ["a dog"]])
    path = str(tmp_path / "strings")
    with pytest.warns(UserWarning, match=r"input 'input_\d+' .* has dtype 'string'.*load only where its classes"):
        model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    assert loaded.layers[1].get_vocabulary() == vectorize.get_vocabulary()
    np.testing.assert_array_equal(loaded.predict(texts, verbose=0), model.predict(texts, verbose=0))


def test_a_model_calling_a_lookup_is_not_revived_from_a_wrong_graph(tmp_path):
    # the tracer feeds ids 0 and 1, which an IntegerLookup maps to OOV: its output looked constant, and the
    # revived model answered the same for every id
    class Lookup(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.lookup = layers.IntegerLookup(vocabulary=[3, 5, 7])
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(ag.astype(self.lookup(x), "float32"))

    model = Lookup()
    x = np.array([[3, 5], [7, 9]])
    model(x)
    path = str(tmp_path / "lookup")
    with pytest.warns(UserWarning, match=r"layer 'integer_lookup.*' \(IntegerLookup\) computes on the host"):
        model.save(path)
    with pytest.raises(ValueError, match="cannot be revived without its classes.*IntegerLookup"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"Lookup": Lookup}, compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


class _ZeroesMaskedStepsOnTheHost(layers.Layer):
    """Sets the masked steps to -1 reading the mask's array with numpy (what a trace cannot see)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return x
        keep = np.asarray(mask.data, x.dtype)[..., None]
        return x * keep - (1 - keep)

    def compute_mask(self, x, mask=None):
        return None


def test_a_model_reading_a_mask_on_the_host_is_not_revived_from_a_graph_ignoring_the_padding(tmp_path):
    # the placeholders it is traced on have no padding: the graph held an all-kept mask, and the revived model
    # ignored the padding of its inputs; the check on data with padding now keeps the graph out of the folder
    ids = keras.Input((6,))
    out = layers.GlobalAveragePooling1D()(_ZeroesMaskedStepsOnTheHost()(layers.Embedding(9, 3, mask_zero=True)(ids)))
    model = keras.Model(ids, out)
    path = str(tmp_path / "host_mask")
    with pytest.warns(UserWarning, match=r"does not reproduce output 0 on inputs with padding.*reads a mask on the "
                                         r"host.*load only where its classes are available"):
        model.save(path)
    with pytest.raises(ValueError, match="cannot be revived without its classes.*inputs with padding"):
        keras.models.load_model(path)
    x = np.array([[3, 5, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]], "float32")
    loaded = keras.models.load_model(path, custom_objects={"_ZeroesMaskedStepsOnTheHost": _ZeroesMaskedStepsOnTheHost},
                                     compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_a_failed_call_does_not_become_a_signature_to_save(tmp_path):
    CustomModel = _custom_model_class()
    model = CustomModel([4, 2])
    model(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError):
        model(np.zeros((2, 5), "float32"))            # 5 features do not fit the (3, 4) kernel
    path = str(tmp_path / "after_a_failed_call")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                # a recorded (2, 5) call would make the trace fail and warn
        model.save(path)
    manifest = json.load(open(os.path.join(path, "kerasfront_model.json")))
    assert manifest["input_signatures"] == [{"shape": [3], "dtype": "float32"}]
    with pytest.raises(NotImplementedError, match=r"to a folder with model.save\('path'\) \(no extension"):
        model.save(str(tmp_path / "subclassed.h5"))


def test_paths_where_tf_keras_writes_a_saved_model_become_folders(tmp_path):
    # tf.keras 2.21 writes HDF5 only for .h5 / .hdf5 and a SavedModel for every other path (model.ckpt, v1.0)
    from kerasfront.saving import get_format
    assert [get_format(p) for p in ("m.h5", "m.hdf5", "m.keras", "m", "m.ckpt", "run/v1.0", "m.tf")] == \
        ["h5", "h5", "keras", "folder", "folder", "folder", "folder"]
    assert get_format("m.h5", save_format="tensorflow") == "folder" and get_format("m", save_format="keras_v3") == \
        "keras"
    model = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    path = str(tmp_path / "model.ckpt")
    model.save(path)
    assert os.path.isdir(path) and os.path.isfile(os.path.join(path, "kerasfront_model.json"))
    np.testing.assert_array_equal(keras.models.load_model(path, compile=False).get_weights()[0],
                                  model.get_weights()[0])
