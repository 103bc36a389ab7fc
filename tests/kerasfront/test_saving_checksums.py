"""kerasfront's ``.h5`` files carry a CRC-32 of every dataset and attribute (saving/checksums.py): a changed
weight, optimizer weight, ``model_config``, ``training_config`` or name list is an error naming the file and
the part, never a model with other numbers. tf.keras's files carry none and load as before; ``.keras`` files
rely on the zip's CRC.
"""
import json
import os
import shutil
import zipfile

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from kerasfront.saving import SavedFileError
from kerasfront.saving.checksums import CHECKSUM_ATTR, add_checksums, verify_checksums
from kerasfront.saving.h5_snapshot import open_snapshot
from tests.kerasfront.h5_edits import strip_checksums

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


def _model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([layers.Dense(4, input_shape=(3,), name="hidden"), layers.BatchNormalization(name="bn"),
                              layers.Dense(2, name="out")])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    model = _model()
    paths = {"model": str(folder / "model.h5"), "weights": str(folder / "weights.h5"),
             "keras3_weights": str(folder / "model.weights.h5"), "archive": str(folder / "model.keras")}
    model.save(paths["model"])
    model.save_weights(paths["weights"])
    model.save_weights(paths["keras3_weights"])
    model.save(paths["archive"])
    return model, paths


def _copy(src, tmp_path, name):
    dst = str(tmp_path / name)
    shutil.copy(src, dst)
    return dst


def _entries(path):
    with h5py.File(path, "r") as f:
        lines = [x.decode() if isinstance(x, bytes) else x for x in f.attrs[CHECKSUM_ATTR]]
    return [json.loads(line) for line in lines]


def _contents(path):
    """Every (kind, object, attribute) an .h5 file holds, as h5py sees it."""
    out = set()
    with h5py.File(path, "r") as f:
        def add(name, obj):
            where = "/" + name if name else "/"
            out.update(("a", where, a) for a in obj.attrs)
            if isinstance(obj, h5py.Dataset):
                out.add(("d", where, None))
        add("", f)
        f.visititems(add)
    out.discard(("a", "/", CHECKSUM_ATTR))
    return out


@pytest.mark.parametrize("which", ["model", "weights", "keras3_weights"])
def test_every_dataset_and_attribute_has_a_checksum(saved, which):
    _, paths = saved
    entries = _entries(paths[which])
    assert entries[0] == ["kerasfront-checksums", 1, "crc32"]
    covered = {(e[0], e[1], e[2] if e[0] == "a" else None) for e in entries[1:]}
    assert covered == _contents(paths[which])
    if which == "model":
        for needed in [("a", "/", "model_config"), ("a", "/", "training_config"),
                       ("a", "/model_weights", "layer_names"), ("a", "/model_weights/hidden", "weight_names"),
                       ("d", "/model_weights/hidden/hidden/kernel:0", None), ("a", "/optimizer_weights", "weight_names"),
                       ("d", "/optimizer_weights/iteration:0", None)]:
            assert needed in covered


def test_files_are_written_in_the_hdf5_1_8_format_whose_metadata_has_checksums(saved):
    _, paths = saved
    for which in ("model", "weights", "keras3_weights"):
        with open(paths[which], "rb") as fh:
            head = fh.read(9)
        assert head[:8] == b"\x89HDF\r\n\x1a\n" and head[8] == 2, which     # superblock version 2


def _flip_weight_byte(path, dataset, index=1):
    with h5py.File(path, "r") as f:
        offset = f[dataset].id.get_offset()
    with open(path, "r+b") as fh:
        fh.seek(offset + index)
        byte = fh.read(1)
        fh.seek(offset + index)
        fh.write(bytes([byte[0] ^ 0x10]))


@pytest.mark.parametrize("which,dataset", [("model", "/model_weights/hidden/hidden/kernel:0"),
                                           ("model", "/optimizer_weights/Adam/m/out/bias:0"),
                                           ("weights", "/bn/bn/moving_variance:0")])
def test_a_changed_weight_byte_is_an_error_naming_the_file_and_the_weight(saved, tmp_path, which, dataset):
    model, paths = saved
    path = _copy(paths[which], tmp_path, "damaged.h5")
    _flip_weight_byte(path, dataset)
    with pytest.raises(SavedFileError) as err:
        if which == "model":
            keras.models.load_model(path)
        else:
            keras.models.clone_model(model).load_weights(path)
    message = str(err.value)
    assert path in message and f"dataset '{dataset}' (changed" in message, message
    assert "1 part(s)" in message


def test_without_checksums_the_same_damage_loads_silently_as_other_numbers(saved, tmp_path):
    """What the checksums prevent: a tf.keras-style file (no checksums) with the same flipped byte loads."""
    model, paths = saved
    path = _copy(paths["model"], tmp_path, "unprotected.h5")
    strip_checksums(path)
    _flip_weight_byte(path, "/model_weights/hidden/hidden/kernel:0")
    loaded = keras.models.load_model(path)
    assert not np.array_equal(loaded.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())


def _edit_attr(path, obj, name, change):
    with h5py.File(path, "r+") as f:
        f[obj].attrs[name] = change(f[obj].attrs[name])


@pytest.mark.parametrize("obj,name,change", [
    ("/", "training_config", lambda v: v.replace('"mse"', '"mae"')),
    ("/", "model_config", lambda v: v.replace('"units": 4', '"units": 5')),
    ("/model_weights", "layer_names", lambda v: np.asarray(list(v)[::-1], dtype=object)),
    ("/model_weights/out", "weight_names", lambda v: np.asarray(list(v)[::-1], dtype=object)),
])
def test_a_changed_config_or_name_list_is_an_error_naming_it(saved, tmp_path, obj, name, change):
    _, paths = saved
    path = _copy(paths["model"], tmp_path, "edited.h5")
    with h5py.File(path, "r") as f:
        before = f[obj].attrs[name]
    _edit_attr(path, obj, name, lambda v: change(v.decode() if isinstance(v, bytes) else v))
    with h5py.File(path, "r") as f:
        assert not np.array_equal(np.asarray(f[obj].attrs[name]), np.asarray(before))      # the edit happened
    with pytest.raises(SavedFileError, match=f"attribute '{name}' of '{obj}' \\(changed"):
        keras.models.load_model(path)


def test_a_missing_weight_is_named(saved, tmp_path):
    _, paths = saved
    path = _copy(paths["weights"], tmp_path, "missing.h5")
    with h5py.File(path, "r+") as f:
        del f["out/out/bias:0"]
    with pytest.raises(SavedFileError, match="dataset '/out/out/bias:0' \\(missing\\)"):
        keras.models.clone_model(saved[0]).load_weights(path)


def test_a_damaged_checksum_record_is_an_error(saved, tmp_path):
    _, paths = saved
    path = _copy(paths["model"], tmp_path, "record.h5")
    with h5py.File(path, "r+") as f:
        lines = list(f.attrs[CHECKSUM_ATTR])
        f.attrs[CHECKSUM_ATTR] = np.asarray(lines[:1] + ["not json"] + lines[2:], dtype=object)
    with pytest.raises(SavedFileError, match="checksum record"):
        keras.models.load_model(path)


@pytest.mark.parametrize("which", ["model", "weights", "keras3_weights"])
def test_undamaged_files_load_the_same_numbers(saved, which):
    model, paths = saved
    if which == "model":
        loaded = keras.models.load_model(paths[which])
        for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
            np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))
    else:
        loaded = keras.models.clone_model(model)
        loaded.load_weights(paths[which])
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_tf_keras_files_carry_no_checksums_and_load_as_before():
    path = os.path.join(FIXTURES, "cnn_sgd.h5")
    with open_snapshot(path) as root:
        assert verify_checksums(root, path) is False
    with h5py.File(path, "r") as f:
        expected = f["model_weights/conv2d/conv2d/kernel:0"][()]
    np.testing.assert_array_equal(keras.models.load_model(path).layers[0].kernel.numpy(), expected)


LONG = "a_group_with_a_long_name" * 8


def test_a_checksum_list_over_64_kb_is_split_as_tf_keras_splits_attributes(tmp_path):
    path = str(tmp_path / "many.h5")
    with h5py.File(path, "w", libver=("v108", "v108")) as f:
        for i in range(500):
            f[f"{LONG}_{i:05d}/weight_{i}"] = np.full(2, i, np.float32)
        add_checksums(f)
    with h5py.File(path, "r") as f:
        parts = sorted(a for a in f.attrs if a.startswith(CHECKSUM_ATTR))
        assert CHECKSUM_ATTR not in parts and len(parts) >= 2
        assert all(sum(len(x) + 16 for x in f.attrs[p]) <= 64512 for p in parts)
    with open_snapshot(path) as root:
        assert verify_checksums(root, path) is True
    _flip_weight_byte(path, f"/{LONG}_00499/weight_499", index=0)
    with pytest.raises(SavedFileError, match="weight_499' \\(changed"):
        with open_snapshot(path):
            pass


def test_rewriting_the_checksums_replaces_all_parts(tmp_path):
    path = str(tmp_path / "twice.h5")
    with h5py.File(path, "w", libver=("v108", "v108")) as f:
        for i in range(500):
            f[f"{LONG}_{i:05d}/w"] = np.zeros(1, np.float32)
        add_checksums(f)
        for i in range(480):
            del f[f"{LONG}_{i:05d}"]
        add_checksums(f)
    with h5py.File(path, "r") as f:
        assert [a for a in f.attrs if a.startswith(CHECKSUM_ATTR)] == [CHECKSUM_ATTR]
    with open_snapshot(path) as root:
        assert verify_checksums(root, path) is True


def test_a_damaged_keras_archive_is_caught_by_the_zip_crc(saved, tmp_path):
    _, paths = saved
    path = _copy(paths["archive"], tmp_path, "damaged.keras")
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("model.weights.h5")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    with open(path, "r+b") as fh:
        fh.seek(start + info.file_size // 2)
        byte = fh.read(1)
        fh.seek(start + info.file_size // 2)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(SavedFileError, match="Bad CRC-32") as err:
        keras.models.load_model(path)
    assert path in str(err.value)


@pytest.mark.parametrize("weights_only", [False, True])
def test_a_damaged_latest_modelcheckpoint_is_reported_and_the_one_before_still_loads(tmp_path, weights_only):
    """Resuming from ModelCheckpoint's files: the damaged latest is an error naming it, never other numbers."""
    model = _model()
    pattern = str(tmp_path / "ckpt-{epoch:02d}.h5")
    model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), epochs=3, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(pattern, monitor="loss", save_weights_only=weights_only)])
    latest, before = str(tmp_path / "ckpt-03.h5"), str(tmp_path / "ckpt-02.h5")
    root = "/" if weights_only else "/model_weights/"
    _flip_weight_byte(latest, f"{root}out/out/kernel:0")

    def load(path):
        if weights_only:
            target = keras.models.clone_model(model)
            target.load_weights(path)
            return target
        return keras.models.load_model(path)

    with pytest.raises(SavedFileError) as err:
        load(latest)
    assert latest in str(err.value) and "kernel:0' (changed" in str(err.value)
    assert len(load(before).get_weights()) == len(model.get_weights())


def test_a_keras_archive_naming_an_unknown_compression_method_is_refused_by_name(saved, tmp_path):
    """Found by tools/fuzz_model_files.py: zipfile raises NotImplementedError for such a member."""
    _, paths = saved
    path = _copy(paths["archive"], tmp_path, "method.keras")
    data = bytearray(open(path, "rb").read())
    entry = data.find(b"PK\x01\x02")
    while entry >= 0 and data[entry + 46:entry + 46 + 11] != b"config.json":
        entry = data.find(b"PK\x01\x02", entry + 1)
    assert entry >= 0
    data[entry + 10:entry + 12] = (99).to_bytes(2, "little")        # the central directory's compression method
    open(path, "wb").write(bytes(data))
    with pytest.raises(SavedFileError, match="compression method") as err:
        keras.models.load_model(path)
    assert path in str(err.value)
