"""Saving never damages a good file, and loading a bad or hostile file fails with an error that names the file
and what is wrong, before anything large is allocated and without running or importing anything it names.
"""
import builtins
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from kerasfront.models import load_model, save_model
from kerasfront.saving import OverwriteRefusedError, SavedFileError, limits
from tests.kerasfront.h5_edits import strip_checksums

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _model(value=None, units=4):
    model = keras.Sequential([layers.Dense(units, input_shape=(3,)), layers.Dense(2)])
    if value is not None:
        model.set_weights([np.full(w.shape, value, np.float32) for w in model.get_weights()])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture
def good_file(tmp_path):
    model = _model()
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    path = str(tmp_path / "good.h5")
    model.save(path)
    return path


def _copy(src, dst):
    """A copy to edit by hand, without kerasfront's checksums (as a crafted file comes: these tests check what
    loading does with its contents, not that the edit is detected)."""
    shutil.copy(src, dst)
    strip_checksums(str(dst))
    return str(dst)


# -- damaged and foreign files -----------------------------------------------------------------------------

def _assert_clean(err, path, *words):
    """The message names the file and the problem, and no h5py/OSError traceback is chained to it."""
    msg = str(err.value)
    assert os.path.basename(path) in msg, msg
    for w in words:
        assert w.lower() in msg.lower(), msg
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__ or err.value.__context__ is None


def test_missing_file(tmp_path):
    path = str(tmp_path / "nothing.h5")
    with pytest.raises(FileNotFoundError) as err:
        load_model(path)
    _assert_clean(err, path, "No file or directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.h5"
    path.write_bytes(b"")
    with pytest.raises(ValueError) as err:
        load_model(str(path))
    _assert_clean(err, str(path), "empty")


@pytest.mark.parametrize("fraction", [0.5, 0.05])
def test_truncated_file(tmp_path, good_file, fraction):
    data = open(good_file, "rb").read()
    path = tmp_path / "cut.h5"
    path.write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(ValueError) as err:
        load_model(str(path))
    _assert_clean(err, str(path), "truncated")


def test_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("model weights go here\n")
    with pytest.raises(ValueError) as err:
        load_model(str(path))
    _assert_clean(err, str(path), "not an HDF5 file")


def test_directory_instead_of_a_file(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        load_model(str(tmp_path))


def test_missing_model_config(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "noconfig.h5")
    with h5py.File(path, "a") as f:
        del f.attrs["model_config"]
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "model_config", "missing")


def test_model_config_that_is_not_json(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "badjson.h5")
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = b'{"class_name": "Sequential", "config": '
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "model_config", "not valid JSON")


def test_missing_weight_dataset(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "nodata.h5")
    with h5py.File(path, "a") as f:
        name = list(f["model_weights"].attrs["layer_names"])[0]
        del f[f"model_weights/{name}/{name}/kernel:0"]
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "kernel:0", "no dataset")


def test_missing_weights_group(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "nogroup.h5")
    with h5py.File(path, "a") as f:
        del f["model_weights"]
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "model_weights")


def test_layer_group_listed_but_absent(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "nolayer.h5")
    with h5py.File(path, "a") as f:
        name = list(f["model_weights"].attrs["layer_names"])[0]
        del f[f"model_weights/{name}"]
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "layer_names", "no group")


# -- sizes checked before allocating ------------------------------------------------------------------------

def test_absurd_weight_shape_fails_before_reading(tmp_path, good_file, monkeypatch):
    """A compressed dataset declaring 10^12 elements takes a few bytes on disk; loading names it and never
    reads it."""
    path = _copy(good_file, tmp_path / "absurd.h5")
    with h5py.File(path, "a") as f:
        name = list(f["model_weights"].attrs["layer_names"])[0]
        key = f"model_weights/{name}/{name}/kernel:0"
        del f[key]
        f.create_dataset(key, shape=(10 ** 6, 10 ** 6), dtype="float32", chunks=(1, 1024), compression="gzip")
    assert os.path.getsize(path) < 10 ** 6
    real_getitem = h5py.Dataset.__getitem__

    def guarded(ds, key):
        assert ds.size < 10 ** 9, "a huge dataset was read"
        return real_getitem(ds, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", guarded)
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "(1000000, 1000000)", "refusing")


def test_declared_array_larger_than_memory_or_file_is_refused():
    with pytest.raises(ValueError, match="more than this machine's memory"):
        limits.check_declared_array("f.h5", "w", (10 ** 9, 10 ** 9), np.float32)
    with pytest.raises(ValueError, match="truncated"):
        limits.check_declared_array("f.h5", "w", (1000, 1000), np.float32, file_size=10 ** 5)
    assert limits.check_declared_array("f.h5", "w", (10, 10), np.float32, file_size=10 ** 5) == 400


def test_config_asking_for_absurd_weights_fails_before_allocating(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "units.h5")
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["units"] = 10 ** 12
        f.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "(3, 1000000000000)", "refusing")


def test_config_with_absurd_input_shape_fails_before_building(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "input.h5")
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][0]["config"]["batch_input_shape"] = [None, 100000, 100000, 100]
        f.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "batch_input_shape")


def test_huge_config_string_is_refused(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "huge.h5")
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = b" " * (limits.MAX_CONFIG_BYTES + 1)
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "model_config", "MiB")


def test_huge_config_in_a_keras_archive_is_refused_unread(tmp_path, monkeypatch):
    path = str(tmp_path / "m.keras")
    _model().save(path)
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 100)
    with pytest.raises(ValueError) as err:
        load_model(path)
    _assert_clean(err, path, "config.json")


# -- nothing named by a file is imported or run -------------------------------------------------------------

def _with_layer_class(good_file, dst, class_name, module):
    path = _copy(good_file, dst)
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["class_name"] = class_name
        config["config"]["layers"][1]["module"] = module
        f.attrs["model_config"] = json.dumps(config).encode()
    return path


def test_unregistered_class_or_module_is_an_error_never_an_import(tmp_path, good_file, monkeypatch):
    path = _with_layer_class(good_file, tmp_path / "evil.h5", "Popen", "kerasfront_test_evil_module")
    real_import = builtins.__import__
    attempts = []

    def spy(name, *args, **kwargs):
        if "evil" in name or name == "subprocess":
            attempts.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", spy)
    with pytest.raises(ValueError) as err:
        load_model(path)
    assert "Popen" in str(err.value) and "custom_objects" in str(err.value)
    assert attempts == []


def test_unknown_loss_in_training_config_is_an_error_never_an_import(tmp_path, good_file):
    path = _copy(good_file, tmp_path / "loss.h5")
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["training_config"])
        config["loss"] = "os.system"
        f.attrs["training_config"] = json.dumps(config).encode()
    with pytest.raises(ValueError, match="os.system") as err:
        load_model(path)
    assert "compile=False" in str(err.value)
    model = load_model(path, compile=False)
    assert not model.is_compiled


# -- overwriting ----------------------------------------------------------------------------------------------

def test_overwrite_false_without_a_terminal_keeps_the_file_and_says_how(tmp_path, good_file):
    before = open(good_file, "rb").read()
    with pytest.raises(OverwriteRefusedError) as err:
        save_model(_model(3.0), good_file, overwrite=False)
    assert isinstance(err.value, ValueError) and isinstance(err.value, FileExistsError)
    assert "overwrite=True" in str(err.value) and "good.h5" in str(err.value)
    assert open(good_file, "rb").read() == before
    with pytest.raises(OverwriteRefusedError):
        _model(3.0).save_weights(good_file, overwrite=False)
    assert open(good_file, "rb").read() == before


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("answer", ["n", "y"])
def test_overwrite_false_on_a_terminal_asks(tmp_path, good_file, monkeypatch, capsys, answer):
    before = open(good_file, "rb").read()
    prompts = []
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(builtins, "input", lambda prompt="": prompts.append(prompt) or answer)
    save_model(_model(3.0), good_file, overwrite=False)
    assert len(prompts) == 1 and "good.h5" in prompts[0] and "overwrite" in prompts[0]
    if answer == "n":
        assert open(good_file, "rb").read() == before
    else:
        assert load_model(good_file).get_weights()[0][0, 0] == 3.0


def test_new_file_with_overwrite_false_is_written_without_asking(tmp_path):
    path = str(tmp_path / "new.h5")
    save_model(_model(1.0), path, overwrite=False)
    assert load_model(path).get_weights()[0][0, 0] == 1.0


# -- atomic replacement ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_failure_while_writing_leaves_the_previous_file(tmp_path, monkeypatch, ext):
    path = str(tmp_path / f"model{ext}")
    _model(1.0).save(path)
    before = open(path, "rb").read()
    from kerasfront.saving import hdf5_format, keras_zip

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(hdf5_format, "save_weights_to_hdf5_group", broken)
    monkeypatch.setattr(keras_zip, "write_weights_h5", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _model(2.0).save(path)
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == [f"model{ext}"]


_SAVER = r"""
import sys, numpy as np
import kerasfront as keras
from kerasfront import layers
path = sys.argv[1]
models = []
for value in (1.0, 2.0):
    m = keras.Sequential([layers.Dense(256, input_shape=(64,)), layers.Dense(256), layers.Dense(4)])
    m.set_weights([np.full(w.shape, value, np.float32) for w in m.get_weights()])
    m.compile(optimizer="adam", loss="mse")
    models.append(m)
print("ready", flush=True)
i = 0
while True:
    models[i % 2].save(path)
    i += 1
"""


@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_killed_while_saving_leaves_the_old_or_the_new_file(tmp_path, ext):
    """A process saving two models in turn to one path is killed (SIGKILL) at random moments; each time the file
    loads and holds one of the two models, complete."""
    path = str(tmp_path / f"ckpt{ext}")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rng = random.Random(0)
    seen = set()
    for _ in range(2):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, path], stdout=subprocess.PIPE, env=env, cwd=REPO)
        try:
            assert proc.stdout.readline().strip() == b"ready"
            deadline = time.time() + 10
            while not os.path.exists(path) and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.05, 0.4))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        model = load_model(path)
        values = {float(v) for w in model.get_weights() for v in np.unique(w)}
        assert values in ({1.0}, {2.0})
        seen |= values
    assert seen


def test_keras_archive_missing_a_member(tmp_path):
    path = str(tmp_path / "m.keras")
    _model().save(path)
    stripped = str(tmp_path / "stripped.keras")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stripped, "w") as dst:
        for name in src.namelist():
            if name != "model.weights.h5":
                dst.writestr(name, src.read(name))
    with pytest.raises(ValueError) as err:
        load_model(stripped)
    _assert_clean(err, stripped, "model.weights.h5")


def test_truncated_keras_archive(tmp_path):
    path = str(tmp_path / "m.keras")
    _model().save(path)
    data = open(path, "rb").read()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError) as err:
        load_model(str(cut))
    assert "cut.keras" in str(err.value)


def test_saved_file_error_is_a_value_error():
    assert issubclass(SavedFileError, ValueError)


def test_links_and_storage_outside_the_file_are_refused(tmp_path, good_file):
    """A weight may not point at data elsewhere on the machine (an external link or external raw storage)."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(12, dtype=np.float32).tobytes())
    linked = _copy(good_file, tmp_path / "linked.h5")
    other = str(tmp_path / "other.h5")
    with h5py.File(other, "w") as f:
        f.create_dataset("kernel", data=np.zeros((3, 4), np.float32))
    with h5py.File(linked, "a") as f:
        name = list(f["model_weights"].attrs["layer_names"])[0]
        key = f"model_weights/{name}/{name}/kernel:0"
        del f[key]
        f[key] = h5py.ExternalLink(other, "kernel")
    with pytest.raises(ValueError) as err:
        load_model(linked)
    _assert_clean(err, linked, "link to another file")
    external = _copy(good_file, tmp_path / "external.h5")
    with h5py.File(external, "a") as f:
        name = list(f["model_weights"].attrs["layer_names"])[0]
        key = f"model_weights/{name}/{name}/kernel:0"
        del f[key]
        f.create_dataset(key, shape=(3, 4), dtype="float32", external=[(str(secret), 0, 48)])
    with pytest.raises(ValueError) as err:
        load_model(external)
    _assert_clean(err, external, "outside the file")
