"""kerasfront.utils data helpers against tf.keras 2.21: pad_sequences, to_ordinal, timeseries windows,
split_dataset, get_file (cache, hashes, archives, file:// downloads), interactive logging, pack/unpack,
get_source_inputs and warmstart_embedding_matrix."""
import gzip
import hashlib
import io
import logging
import os
import tarfile
import zipfile

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.utils import Dataset

from .data_fixtures import INFO, REF


# -- pad_sequences ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", INFO["pad_cases"], ids=lambda c: str(c["kwargs"]))
def test_pad_sequences_equals_tf_keras(case):
    out = keras.utils.pad_sequences(INFO["pad_input"], **case["kwargs"])
    assert out.tolist() == case["result"]
    assert str(out.dtype) == case["dtype"]


def test_pad_sequences_steps_strings_and_float_truncation():
    steps = [np.arange(6).reshape(3, 2), np.arange(4).reshape(2, 2) + 10]
    np.testing.assert_array_equal(keras.utils.pad_sequences(steps, maxlen=4, padding="post"), REF["pad_steps"])
    assert keras.utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>").tolist() == INFO["pad_strings"]
    np.testing.assert_array_equal(keras.utils.pad_sequences([[1.7, 2.2], [3.9]], maxlen=2),
                                  REF["pad_float_input_trunc"])
    assert keras.preprocessing.sequence.pad_sequences is keras.utils.pad_sequences


def test_pad_sequences_edge_cases():
    assert keras.utils.pad_sequences([]).shape == (0, 0)
    assert keras.utils.pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    np.testing.assert_array_equal(keras.utils.pad_sequences(np.array([[1, 2], [3, 4]]), maxlen=3),
                                  [[0, 1, 2], [0, 3, 4]])


@pytest.mark.parametrize("sequences, kwargs, match", [
    ([[1, 2], 3], {}, "non-iterable at position 1"),
    ([[1, 2], "abc"], {}, "position 1 is the string"),
    ([[1, 2], [3, [4, 5]]], {}, "position 1"),
    ([[[1, 2], [3]]], {}, "ragged"),
    ([[1, 2]], {"padding": "middle"}, "Padding type"),
    ([[1, 2]], {"truncating": "both"}, "Truncating type"),
    ([[1, 2]], {"maxlen": -1}, "maxlen"),
    ([[1, 2]], {"maxlen": 2.5}, "maxlen"),
    ([[1, 2]], {"value": "x"}, "dtype=object"),
    (5, {}, "must be iterable"),
])
def test_pad_sequences_bad_input_is_a_clear_error(sequences, kwargs, match):
    before = repr(sequences)
    with pytest.raises(ValueError, match=match):
        keras.utils.pad_sequences(sequences, **kwargs)
    assert repr(sequences) == before


# -- to_ordinal ---------------------------------------------------------------------------------------------------

def test_to_ordinal_equals_tf_keras():
    entry = INFO["to_ordinal"]
    assert keras.utils.to_ordinal(entry["y"]).tolist() == entry["out"]
    assert keras.utils.to_ordinal(entry["y2"], num_classes=3).tolist() == entry["out2"]
    assert keras.utils.to_ordinal([1, 0], dtype="int32").dtype == np.int32
    with pytest.raises(ValueError, match="out of range"):
        keras.utils.to_ordinal([3], num_classes=3)
    with pytest.raises(ValueError, match="non-negative"):
        keras.utils.to_ordinal([-1])


# -- timeseries ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["basic", "stride_rate", "range", "nobatch"])
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_windows_equal_tf_keras(name, with_targets):
    kwargs = INFO["ts_configs"][name]
    data, targets = REF["ts_data"], REF["ts_targets"]
    ds = keras.utils.timeseries_dataset_from_array(data, targets if with_targets else None, **kwargs)
    items = list(ds.as_numpy_iterator())
    key = f"ts_{name}_{'t' if with_targets else 'n'}"
    if kwargs.get("batch_size") is None:
        x = np.stack([i[0] if with_targets else i for i in items])
        y = np.stack([i[1] for i in items]) if with_targets else None
    else:
        x = np.concatenate([i[0] if with_targets else i for i in items])
        y = np.concatenate([i[1] for i in items]) if with_targets else None
    np.testing.assert_array_equal(x, REF[key + "_x"])
    assert x.dtype == REF[key + "_x"].dtype
    if with_targets:
        np.testing.assert_array_equal(y, REF[key + "_y"])


def test_timeseries_shuffle_gives_the_same_windows_in_another_order():
    ds = keras.utils.timeseries_dataset_from_array(REF["ts_data"], REF["ts_targets"], sequence_length=3,
                                                   batch_size=4, shuffle=True, seed=9)
    x = np.concatenate([b[0] for b in ds.as_numpy_iterator()])
    y = np.concatenate([b[1] for b in ds.as_numpy_iterator()])
    order = np.lexsort(x.reshape(len(x), -1).T[::-1])
    np.testing.assert_array_equal(x[order], REF["ts_shuffled_sorted_x"])
    plain = np.concatenate([b[0] for b in keras.utils.timeseries_dataset_from_array(
        REF["ts_data"], None, sequence_length=3, batch_size=4).as_numpy_iterator()])
    assert not np.array_equal(x, plain)
    assert len(y) == len(x)


@pytest.mark.parametrize("batch_size", [4, None])
def test_timeseries_batches_gather_the_windows_a_shuffle_of_windows_gives(batch_size):
    # the windows of each batch are gathered at once from shuffled window starts: the same windows, in the same
    # order and structure, as shuffling and batching the windows one by one
    data, targets = REF["ts_data"], REF["ts_targets"]
    kwargs = dict(sequence_length=3, sequence_stride=2, sampling_rate=2, batch_size=batch_size, shuffle=True, seed=9)
    got = list(keras.utils.timeseries_dataset_from_array(data, targets, **kwargs).as_numpy_iterator())
    starts = np.arange(0, len(data) - 4, 2)
    np.random.RandomState(9).shuffle(starts)
    one_by_one = keras.utils.Dataset.from_tensor_slices((np.stack([data[s + np.arange(0, 6, 2)] for s in starts]),
                                                         targets[starts]))
    one_by_one = one_by_one.shuffle(32 if batch_size else 1024, seed=9)
    want = list((one_by_one.batch(batch_size) if batch_size else one_by_one).as_numpy_iterator())
    assert len(got) == len(want)
    for (gx, gy), (wx, wy) in zip(got, want):
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)
        assert gx.dtype == wx.dtype and np.shape(gy) == np.shape(wy)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sequence_stride=0), "sequence_stride"), (dict(sampling_rate=0), "sampling_rate"),
    (dict(start_index=20), "start_index"), (dict(end_index=20), "end_index"),
    (dict(start_index=5, end_index=4), "end_index"), (dict(sequence_stride=15), "sequence_stride"),
    (dict(sequence_length=0), "sequence_length"),
])
def test_timeseries_bad_arguments(kwargs, match):
    kwargs.setdefault("sequence_length", 3)
    with pytest.raises(ValueError, match=match):
        keras.utils.timeseries_dataset_from_array(np.arange(15), None, **kwargs)


def test_timeseries_dataset_trains_a_model():
    keras.utils.set_random_seed(0)
    series = np.sin(np.arange(200) / 5.0).astype("float32")[:, None]
    ds = keras.utils.timeseries_dataset_from_array(series[:-5], series[5:, 0], sequence_length=5, batch_size=16)
    model = keras.Sequential([keras.layers.Flatten(input_shape=(5, 1)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(ds, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# -- split_dataset ------------------------------------------------------------------------------------------------

def test_split_dataset_equals_tf_keras():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    left, right = keras.utils.split_dataset((x, y), left_size=0.6, shuffle=True, seed=2)
    assert [[a.tolist() for a in item] for item in left.as_numpy_iterator()] == INFO["split_arrays"]["left"]
    assert [[a.tolist() for a in item] for item in right.as_numpy_iterator()] == INFO["split_arrays"]["right"]
    left, right = keras.utils.split_dataset(x, right_size=3)
    assert [a.tolist() for a in left.as_numpy_iterator()] == INFO["split_single"]["left"]
    assert [a.tolist() for a in right.as_numpy_iterator()] == INFO["split_single"]["right"]
    batched = Dataset.from_tensor_slices((x, y)).batch(3)
    left, right = keras.utils.split_dataset(batched, left_size=4, shuffle=True, seed=9)
    assert [[a.tolist() for a in item] for item in left.as_numpy_iterator()] == INFO["split_batched"]["left"]
    assert [[a.tolist() for a in item] for item in right.as_numpy_iterator()] == INFO["split_batched"]["right"]


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, ValueError, "At least one"), ({"left_size": 0, "right_size": 0}, ValueError, "zero"),
    ({"left_size": 1.5}, ValueError, "left_size"), ({"left_size": 10}, ValueError, "left_size"),
    ({"left_size": 0.6, "right_size": 0.6}, ValueError, "greater than 1"), ({"left_size": "half"}, TypeError, "left"),
    ({"left_size": 6, "right_size": 6}, ValueError, "smaller"),
])
def test_split_dataset_bad_sizes(kwargs, error, match):
    with pytest.raises(error, match=match):
        keras.utils.split_dataset(np.arange(10), **kwargs)


def test_split_dataset_bad_inputs():
    with pytest.raises(ValueError, match="different lengths"):
        keras.utils.split_dataset((np.arange(4), np.arange(5)), left_size=2)
    with pytest.raises(TypeError, match="must be either"):
        keras.utils.split_dataset("abc", left_size=1)
    with pytest.raises(ValueError, match="empty"):
        keras.utils.split_dataset([], left_size=1)


# -- get_file -----------------------------------------------------------------------------------------------------

def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_get_file_downloads_file_urls_into_the_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    source = tmp_path / "src" / "data.bin"
    source.parent.mkdir()
    source.write_bytes(b"payload" * 100)
    path = keras.utils.get_file(origin=source.as_uri(), file_hash=_sha256(source.read_bytes()))
    assert path == str(tmp_path / "kh" / "datasets" / "data.bin")
    assert open(path, "rb").read() == b"payload" * 100
    assert "Downloading data from" in capsys.readouterr().out
    source.write_bytes(b"changed")        # cached now: not fetched again
    assert keras.utils.get_file("data.bin", origin=source.as_uri()) == path
    assert open(path, "rb").read() == b"payload" * 100


def test_get_file_cache_dir_and_subdir_and_md5(tmp_path):
    source = tmp_path / "f.txt"
    source.write_bytes(b"abc")
    md5 = hashlib.md5(b"abc").hexdigest()
    path = keras.utils.get_file("copy.txt", origin=source.as_uri(), md5_hash=md5, cache_dir=str(tmp_path / "c"),
                                cache_subdir="models")
    assert path == str(tmp_path / "c" / "models" / "copy.txt")
    assert keras.utils.validate_file(path, md5) and keras.utils.validate_file(path, _sha256(b"abc"))
    assert not keras.utils.validate_file(path, "0" * 64)


def test_get_file_redownloads_a_stale_cached_file(tmp_path):
    source = tmp_path / "good.bin"
    source.write_bytes(b"good data")
    cache = tmp_path / "cache"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "good.bin").write_bytes(b"truncated")
    path = keras.utils.get_file("good.bin", origin=source.as_uri(), file_hash=_sha256(b"good data"),
                                cache_dir=str(cache))
    assert open(path, "rb").read() == b"good data"


def test_get_file_hash_mismatch_after_download_is_an_error(tmp_path):
    source = tmp_path / "x.bin"
    source.write_bytes(b"x")
    with pytest.raises(ValueError, match="sha256|auto|hash"):
        keras.utils.get_file("x.bin", origin=source.as_uri(), file_hash="f" * 64, cache_dir=str(tmp_path / "c"))


def test_get_file_failed_download_names_where_to_put_the_file(tmp_path):
    with pytest.raises(OSError) as info:
        keras.utils.get_file("missing.npz", origin=(tmp_path / "nowhere.npz").as_uri(), cache_dir=str(tmp_path))
    assert "URL fetch failure" in str(info.value)
    assert str(tmp_path / "datasets" / "missing.npz") in str(info.value)
    assert not (tmp_path / "datasets" / "missing.npz").exists()
    assert not (tmp_path / "datasets" / "missing.npz.part").exists()


def test_get_file_extracts_tar_and_zip(tmp_path):
    payload = tmp_path / "payload"
    payload.mkdir()
    (payload / "a.txt").write_text("A")
    tar_path = tmp_path / "folder.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(payload / "a.txt", arcname="folder/a.txt")
    zip_path = tmp_path / "zipped.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("zipped/b.txt", "B")
    cache = tmp_path / "cache"
    keras.utils.get_file(origin=tar_path.as_uri(), extract=True, cache_dir=str(cache))
    assert (cache / "datasets" / "folder" / "a.txt").read_text() == "A"
    keras.utils.get_file(origin=zip_path.as_uri(), extract=True, cache_dir=str(cache))
    assert (cache / "datasets" / "zipped" / "b.txt").read_text() == "B"
    folder = keras.utils.get_file("folder", origin=tar_path.as_uri(), untar=True, cache_dir=str(tmp_path / "u"))
    assert os.path.isfile(os.path.join(folder, "a.txt"))


def test_get_file_skips_archive_members_outside_the_folder(tmp_path):
    tar_path = tmp_path / "evil.tar"
    with tarfile.open(tar_path, "w") as tar:
        for name in ("../escape.txt", "ok/inside.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"hi"))
    cache = tmp_path / "cache"
    with pytest.warns(UserWarning, match="escape.txt"):
        keras.utils.get_file(origin=tar_path.as_uri(), extract=True, cache_dir=str(cache))
    assert (cache / "datasets" / "ok" / "inside.txt").exists()
    assert not (cache / "escape.txt").exists()


def test_get_file_needs_an_origin():
    with pytest.raises(ValueError, match="origin"):
        keras.utils.get_file("x")


def test_get_file_shows_a_progress_bar(tmp_path, capsys):
    source = tmp_path / "big.bin"
    source.write_bytes(gzip.compress(os.urandom(50000)))
    keras.utils.get_file(origin=source.as_uri(), cache_dir=str(tmp_path / "c"))
    out = capsys.readouterr().out
    assert "Downloading data from" in out and "/" in out.splitlines()[-1]


# -- logging, batches, graph helpers ------------------------------------------------------------------------------

def test_interactive_logging_switches_to_python_logging(capsys, caplog):
    assert keras.utils.is_interactive_logging_enabled()
    keras.utils.disable_interactive_logging()
    try:
        assert not keras.utils.is_interactive_logging_enabled()
        model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse")
        with caplog.at_level(logging.INFO, logger="kerasfront"):
            model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, verbose=2)
        assert capsys.readouterr().out == ""
        assert any("loss" in r.getMessage() for r in caplog.records)
    finally:
        keras.utils.enable_interactive_logging()
    assert keras.utils.is_interactive_logging_enabled()


def test_pack_and_unpack_x_y_sample_weight():
    x, y, sw = np.zeros(2), np.ones(2), np.full(2, 0.5)
    assert keras.utils.pack_x_y_sample_weight(x) is x
    assert keras.utils.pack_x_y_sample_weight((x, x)) == ((x, x),)
    assert keras.utils.unpack_x_y_sample_weight(keras.utils.pack_x_y_sample_weight((x, x)))[0] == (x, x)
    packed = keras.utils.pack_x_y_sample_weight(x, y, sw)
    assert keras.utils.unpack_x_y_sample_weight(packed) == (x, y, sw)
    assert keras.utils.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    with pytest.raises(ValueError, match="4 elements"):
        keras.utils.unpack_x_y_sample_weight((x, y, sw, sw))


def test_get_source_inputs_walks_back_to_the_inputs():
    a = keras.Input(shape=(3,))
    b = keras.Input(shape=(3,))
    shared = keras.layers.Dense(3)
    out = keras.layers.Add()([shared(a), shared(b), a])
    sources = keras.utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert keras.utils.get_source_inputs(a) == [a]
    plain = np.zeros(3)
    assert keras.utils.get_source_inputs(plain) is plain


def test_warmstart_embedding_matrix_keeps_shared_rows():
    keras.utils.set_random_seed(3)
    base = np.arange(8, dtype="float32").reshape(4, 2)
    out = keras.utils.warmstart_embedding_matrix(["[UNK]", "a", "b", "c"], ["[UNK]", "c", "new", "a", "other"],
                                                 base, new_embeddings_initializer="zeros")
    arr = out.numpy()
    assert arr.shape == (5, 2) and arr.dtype == np.float32
    np.testing.assert_array_equal(arr, [[0, 1], [6, 7], [0, 0], [2, 3], [0, 0]])
    uniform = keras.utils.warmstart_embedding_matrix(["a"], ["a", "z"], base[:1]).numpy()
    assert np.all(np.abs(uniform[1]) <= 0.05) and np.any(uniform[1] != 0)
    with pytest.raises(ValueError, match="one row per token"):
        keras.utils.warmstart_embedding_matrix(["a", "b"], ["a"], base)
