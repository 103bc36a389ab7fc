"""Loading files from others: nothing in a file runs unless ``safe_mode=False``, and a file that declares
absurd sizes fails with an error naming the file instead of exhausting memory.

Complements tests/kerasfront/test_saving_safety.py (truncated files, huge config strings, Dense(10**12) in an
.h5 config, unregistered classes in .h5): here the hostile files are loaded under a hard address-space limit
(so an allocation attempt fails loudly instead of passing on a big machine), cover weightless layers, the
.keras format and load_weights, and code execution is detected by its side effect (a marker file).

Example:
    >>> keras.models.load_model("from_a_stranger.keras")
    ValueError: Cannot load the model in 'from_a_stranger.keras': ... holds Python bytecode ... safe_mode=False
"""
import io
import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.h5_edits import strip_checksums
from tests.reliability import _hostile_loader as loader

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADROOM_MB = 768


# -- small models to corrupt --------------------------------------------------------------------------------

def _repeat_model():
    keras.utils.set_random_seed(52)
    inp = keras.Input(shape=(4,))
    out = layers.Flatten()(layers.RepeatVector(2, name="repeat")(layers.Dense(3)(inp)))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    return model


def _image_model():
    keras.utils.set_random_seed(53)
    inp = keras.Input(shape=(4, 4, 1))
    x = layers.UpSampling2D(2, name="up")(layers.Conv2D(1, 1)(inp))
    x = layers.ZeroPadding2D(1, name="pad")(x)
    x = layers.Conv2DTranspose(1, 2, strides=2, name="deconv")(x)
    model = keras.Model(inp, layers.GlobalAveragePooling2D()(x))
    model.compile(optimizer="sgd", loss="mse")
    return model


def _embedding_model():
    keras.utils.set_random_seed(54)
    inp = keras.Input(shape=(3,), dtype="int32")
    model = keras.Model(inp, layers.Dense(1)(layers.Flatten()(layers.Embedding(5, 2, name="embed")(inp))))
    model.compile(optimizer="adam", loss="mse")
    return model


def _saved(model, path):
    model.save(str(path))
    return str(path)


def _layer_config(config, name):
    for layer in config["config"]["layers"]:
        if layer["config"].get("name") == name:
            return layer["config"]
    raise KeyError(name)


def _edit_h5_config(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config)
        f.attrs["model_config"] = json.dumps(config).encode()
        strip_checksums(f)                       # a crafted file: no checksums (or matching ones)
    return str(dst)


def _edit_keras(src, dst, edit_config=None, edit_weights=None, raw_config=None):
    with zipfile.ZipFile(src) as z:
        members = {name: z.read(name) for name in z.namelist()}
    if edit_config is not None:
        config = json.loads(members["config.json"])
        edit_config(config)
        members["config.json"] = json.dumps(config).encode()
    if raw_config is not None:
        members["config.json"] = raw_config
    if edit_weights is not None:
        buf = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buf, "r+") as f:
            edit_weights(f)
        members["model.weights.h5"] = buf.getvalue()
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return str(dst)


def _absurd_dataset(group, key):
    """Replace ``group[key]`` by a compressed dataset declaring 10**12 float32 (a few bytes on disk)."""
    del group[key]
    group.create_dataset(key, shape=(10 ** 6, 10 ** 6), dtype="float32", chunks=(1, 1024), compression="gzip")


def _nested(depth=100000):
    return ("[" * depth + "]" * depth).encode()


def _set(name, **values):
    return lambda config: _layer_config(config, name).update(values)


@pytest.fixture(scope="module")
def hostile_results(tmp_path_factory):
    """Build every hostile file, load them all in one memory-limited subprocess, return {path: result}."""
    d = tmp_path_factory.mktemp("hostile")
    repeat_h5 = _saved(_repeat_model(), d / "repeat.h5")
    image_h5 = _saved(_image_model(), d / "image.h5")
    embed_h5 = _saved(_embedding_model(), d / "embed.h5")
    repeat_keras = _saved(_repeat_model(), d / "repeat.keras")
    dense = loader.build()
    dense.fit(np.zeros((2, 2), np.float32), np.zeros((2, 1), np.float32), verbose=0)   # optimizer state saved
    dense_h5 = _saved(dense, d / "dense.h5")
    dense_keras = _saved(dense, d / "dense.keras")
    dense.save_weights(str(d / "weights.h5"))

    def optimizer_slot(f):
        group = f["optimizer_weights"]
        name = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]][1]
        _absurd_dataset(group, name)

    def weights_kernel(f):
        _absurd_dataset(f["dense/dense"], "kernel:0")

    shutil.copy(dense_h5, d / "optimizer.h5")
    with h5py.File(d / "optimizer.h5", "r+") as f:
        optimizer_slot(f)
        strip_checksums(f)
    shutil.copy(d / "weights.h5", d / "weights_absurd.h5")
    with h5py.File(d / "weights_absurd.h5", "r+") as f:
        weights_kernel(f)
        strip_checksums(f)
    shutil.copy(dense_h5, d / "nested.h5")
    with h5py.File(d / "nested.h5", "r+") as f:
        f.attrs["model_config"] = _nested()
        strip_checksums(f)

    cases = {
        "repeat_vector_1e9": ("model", _edit_h5_config(repeat_h5, d / "a.h5", _set("repeat", n=10 ** 9))),
        "upsampling_1e5": ("model", _edit_h5_config(image_h5, d / "b.h5", _set("up", size=[10 ** 5, 10 ** 5]))),
        "zero_padding_1e5": ("model", _edit_h5_config(image_h5, d / "c.h5",
                                                      _set("pad", padding=[[10 ** 5, 10 ** 5], [10 ** 5, 10 ** 5]]))),
        "transposed_strides_1e5": ("model", _edit_h5_config(image_h5, d / "e.h5",
                                                            _set("deconv", strides=[10 ** 5, 10 ** 5]))),
        "embedding_input_dim_1e10": ("model", _edit_h5_config(embed_h5, d / "f.h5",
                                                              _set("embed", input_dim=10 ** 10))),
        "keras_dense_units_1e12": ("model", _edit_keras(dense_keras, d / "g.keras", edit_config=lambda c: (
            _layer_config(c, "dense").update(units=10 ** 12)))),
        "keras_absurd_weight_dataset": ("model", _edit_keras(dense_keras, d / "h.keras", edit_weights=lambda f: (
            _absurd_dataset(f["layers/dense/vars"], "0")))),
        "keras_repeat_vector_1e9": ("model", _edit_keras(repeat_keras, d / "i.keras", edit_config=lambda c: (
            _layer_config(c, "repeat").update(n=10 ** 9)))),
        "keras_nested_config": ("model", _edit_keras(dense_keras, d / "j.keras", raw_config=_nested())),
        "h5_nested_config": ("model", str(d / "nested.h5")),
        "weights_absurd_dataset": ("weights", str(d / "weights_absurd.h5")),
        "weights_absurd_dataset_by_name": ("weights_by_name", str(d / "weights_absurd.h5")),
        "optimizer_absurd_slot": ("model", str(d / "optimizer.h5")),
    }
    cases_path = d / "cases.json"
    cases_path.write_text(json.dumps(list(cases.values())))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "tests.reliability._hostile_loader", str(HEADROOM_MB),
                           str(cases_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    by_path = {}
    for line in proc.stdout.splitlines():
        result = json.loads(line)
        by_path[result["path"]] = result
    return {name: by_path[path] for name, (_, path) in cases.items()}


REFUSED = ["repeat_vector_1e9", "upsampling_1e5", "zero_padding_1e5", "transposed_strides_1e5",
           "embedding_input_dim_1e10", "keras_dense_units_1e12", "keras_absurd_weight_dataset",
           "keras_repeat_vector_1e9", "keras_nested_config", "h5_nested_config", "weights_absurd_dataset",
           "weights_absurd_dataset_by_name"]


@pytest.mark.parametrize("case", REFUSED)
def test_absurd_sizes_are_refused_with_an_error_naming_the_file(hostile_results, case):
    result = hostile_results[case]
    assert result["outcome"] == "refused", result
    assert os.path.basename(result["path"]) in result["message"], result


def test_an_absurd_optimizer_slot_never_reaches_an_allocation(hostile_results):
    """The optimizer state does not match the model, so it is skipped (with a warning) or refused; either way
    nothing of the declared size is allocated."""
    assert hostile_results["optimizer_absurd_slot"]["outcome"] in ("loaded", "refused"), \
        hostile_results["optimizer_absurd_slot"]


# -- nothing from a file runs ---------------------------------------------------------------------------------

@pytest.fixture
def marker(tmp_path):
    """A path that code from a file would create if it ran."""
    return tmp_path / "code_from_the_file_ran"


@pytest.mark.parametrize("ext", ["h5", "keras"])
def test_lambda_bytecode_runs_only_with_safe_mode_false(tmp_path, marker, ext):
    touch = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]")   # noqa: S307
    inp = keras.Input(shape=(2,))
    model = keras.Model(inp, layers.Lambda(touch)(inp))
    marker.unlink()                                       # building the model in this test ran it once
    path = _saved(model, tmp_path / f"lambda.{ext}")
    with pytest.raises(ValueError) as err:
        keras.models.load_model(path)
    assert "safe_mode=False" in str(err.value) and os.path.basename(path) in str(err.value)
    assert not marker.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                   # safe_mode=False warns about the bytecode
        keras.models.load_model(path, safe_mode=False)
    assert marker.exists()                                # the marker does detect execution


@pytest.fixture
def evil_module(tmp_path, monkeypatch):
    """A module on sys.path that writes a marker when imported: any import of a name from a file shows."""
    folder = tmp_path / "site"
    folder.mkdir()
    imported = tmp_path / "evil_module_was_imported"
    (folder / "kerasfront_evil_plugin.py").write_text(
        f"import pathlib\npathlib.Path({str(imported)!r}).touch()\n"
        "class Evil:\n    pass\n\ndef run(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(folder))
    yield imported
    sys.modules.pop("kerasfront_evil_plugin", None)


def _layer_config_entry(config, name):
    for layer in config["config"]["layers"]:
        if layer["config"].get("name") == name:
            return layer
    raise KeyError(name)


EDITS = {
    "layer_class_from_module": lambda c: _layer_config_entry(c, "dense").update(
        class_name="Evil", module="kerasfront_evil_plugin", registered_name="kerasfront_evil_plugin>Evil"),
    "activation_by_dotted_path": lambda c: _layer_config(c, "dense").update(activation="kerasfront_evil_plugin.run"),
    "activation_object_from_module": lambda c: _layer_config(c, "dense").update(
        activation={"class_name": "run", "module": "kerasfront_evil_plugin", "config": {},
                    "registered_name": "kerasfront_evil_plugin>run"}),
    "initializer_from_module": lambda c: _layer_config(c, "dense").update(
        kernel_initializer={"class_name": "Evil", "module": "kerasfront_evil_plugin", "config": {}}),
    "regularizer_by_dotted_path": lambda c: _layer_config(c, "dense").update(
        kernel_regularizer="kerasfront_evil_plugin.run"),
}


@pytest.mark.parametrize("safe_mode", [True, False])
@pytest.mark.parametrize("ext", ["h5", "keras"])
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_names_in_a_file_are_never_imported(tmp_path, evil_module, edit, ext, safe_mode):
    """A class, activation, initializer or regularizer named by module path is an error naming it, and the
    module is not imported, even with safe_mode=False."""
    source = _saved(loader.build(), tmp_path / f"dense.{ext}")
    if ext == "h5":
        path = _edit_h5_config(source, tmp_path / "evil.h5", EDITS[edit])
    else:
        path = _edit_keras(source, tmp_path / "evil.keras", edit_config=EDITS[edit])
    with pytest.raises((ValueError, TypeError)) as err:
        keras.models.load_model(path, safe_mode=safe_mode)
    message = str(err.value)
    assert os.path.basename(path) in message
    assert "Evil" in message or "kerasfront_evil_plugin" in message or "run" in message
    assert not evil_module.exists()
    assert "kerasfront_evil_plugin" not in sys.modules


@pytest.mark.parametrize("where", ["optimizer", "loss", "metric"])
def test_training_config_names_are_never_imported(tmp_path, evil_module, where):
    path = _saved(loader.build(), tmp_path / "dense.h5")
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["training_config"])
        if where == "optimizer":
            config["optimizer_config"] = {"class_name": "kerasfront_evil_plugin.Evil", "config": {}}
        elif where == "loss":
            config["loss"] = {"class_name": "Evil", "module": "kerasfront_evil_plugin", "config": {}}
        else:
            config["metrics"] = ["kerasfront_evil_plugin.run"]
        f.attrs["training_config"] = json.dumps(config).encode()
        strip_checksums(f)
    with pytest.raises(ValueError) as err:
        keras.models.load_model(path)
    assert "compile=False" in str(err.value)
    assert not evil_module.exists() and "kerasfront_evil_plugin" not in sys.modules
    assert not keras.models.load_model(path, compile=False).is_compiled


class _Payload:
    """Unpickling this would run code: it rebuilds itself by calling pathlib.Path(marker).touch()."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import pathlib
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_backup_and_restore_never_unpickles_its_backup(tmp_path, marker):
    """A backup file replaced by one holding a pickled object is refused before anything of it is used."""
    backup = tmp_path / "backup"
    backup.mkdir()
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload(marker)
    np.savez(backup / "training_state.npz", num_weights=np.array(1), num_optimizer_variables=np.array(0),
             epoch=np.array(0), w0=payload, allow_pickle=True)
    model = loader.build()
    before = model.get_weights()
    with pytest.raises(ValueError, match="pickle"):
        model.fit(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32), epochs=2, verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(str(backup))])
    assert not marker.exists()
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
