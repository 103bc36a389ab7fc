"""Built-in data sets: the shipped digits (shapes, dtypes, a deterministic stratified split), and the
keras.datasets loaders against tf.keras 2.21 on small files in each real format written here (npz, gzipped
IDX, CIFAR pickles and tar.gz, JSON), read from Keras's cache, fetched through get_file, or missing."""
import gzip
import hashlib
import os
import pickle
import tarfile

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.datasets import (boston_housing, cifar10, cifar100, digits, fashion_mnist, imdb, mnist,
                                 reuters)

from .data_fixtures import INFO, REF

PACKAGED_CSV = os.path.join(os.path.dirname(__file__), "..", "..", "kerasfront", "datasets", "data", "digits.csv.gz")


def _raw_rows():
    with gzip.open(PACKAGED_CSV, "rt") as f:
        return np.array([[int(v) for v in line.split(",")] for line in f if line.strip()])


# -- digits ---------------------------------------------------------------------------------------

def test_digits_shapes_dtypes_and_value_ranges():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1442, 8, 8) and y_train.shape == (1442,)
    assert x_test.shape == (355, 8, 8) and y_test.shape == (355,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
    assert x_train.min() == 0 and x_train.max() == 16
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_digits_split_is_a_partition_of_the_file_rows_in_file_order():
    rows = _raw_rows()
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert len(x_train) + len(x_test) == len(rows) == 1797
    flat = rows[:, :64].reshape(-1, 8, 8)
    labels = rows[:, 64]
    # Rebuild the split from its documented rule: the 5th, 10th, ... sample of each digit is a test sample.
    is_test = np.zeros(len(rows), bool)
    for d in range(10):
        where = np.flatnonzero(labels == d)
        is_test[where[4::5]] = True
    np.testing.assert_array_equal(x_test, flat[is_test])
    np.testing.assert_array_equal(y_test, labels[is_test])
    np.testing.assert_array_equal(x_train, flat[~is_test])
    np.testing.assert_array_equal(y_train, labels[~is_test])


def test_digits_split_is_stratified_and_deterministic():
    (_, y_train), (_, y_test) = digits.load_data()
    counts_test = np.bincount(y_test, minlength=10)
    counts_all = counts_test + np.bincount(y_train, minlength=10)
    np.testing.assert_array_equal(counts_test, counts_all // 5)
    (x2, y2), (x3, y3) = digits.load_data()
    np.testing.assert_array_equal(y2, y_train)
    np.testing.assert_array_equal(y3, y_test)


def test_digits_test_split_changes_the_fraction():
    (x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.5)
    assert len(x_train) + len(x_test) == 1797
    counts_test = np.bincount(y_test, minlength=10)
    counts_all = counts_test + np.bincount(y_train, minlength=10)
    np.testing.assert_array_equal(counts_test, counts_all // 2)


def test_digits_returns_fresh_arrays():
    (x_train, _), _ = digits.load_data()
    x_train[:] = 99
    (again, _), _ = digits.load_data()
    assert again.max() == 16


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, "0.2", None, True])
def test_digits_rejects_bad_test_split(bad):
    with pytest.raises(ValueError, match="test_split"):
        digits.load_data(test_split=bad)


def test_digits_file_is_package_data():
    import importlib.resources
    res = importlib.resources.files("kerasfront.datasets") / "data" / "digits.csv.gz"
    assert res.is_file()


# -- the small files, in Keras's formats --------------------------------------------------------------------------

def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = [list(v) for v in lists]
    return out


def _write(folder, name):
    """Write data set ``name``'s small input files into ``folder`` (Keras's cache layout); return the path."""
    os.makedirs(folder, exist_ok=True)
    if name == "mnist":
        path = os.path.join(folder, "mnist.npz")
        np.savez(path, **{k: REF[f"ds_input_mnist_{k}"] for k in ("x_train", "y_train", "x_test", "y_test")})
        return path
    if name == "fashion":
        fm = os.path.join(folder, "fashion-mnist")
        os.makedirs(fm, exist_ok=True)
        for part, prefix in (("train", "train"), ("test", "t10k")):
            x, y = REF[f"ds_input_fashion_x_{part}"], REF[f"ds_input_fashion_y_{part}"]
            with gzip.open(os.path.join(fm, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
                f.write(np.array([2049, len(y)], ">i4").tobytes() + y.tobytes())
            with gzip.open(os.path.join(fm, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
                f.write(np.array([2051, len(x), 28, 28], ">i4").tobytes() + x.tobytes())
        return fm
    if name == "cifar100":
        path = os.path.join(folder, "cifar-100-python")
        os.makedirs(path, exist_ok=True)
        for part in ("train", "test"):
            with open(os.path.join(path, part), "wb") as f:
                pickle.dump({b"data": REF[f"ds_input_cifar100_x_{part}"],
                             b"fine_labels": REF[f"ds_input_cifar100_fine_{part}"].tolist(),
                             b"coarse_labels": REF[f"ds_input_cifar100_coarse_{part}"].tolist()}, f)
        return path
    if name == "cifar10":
        path = os.path.join(folder, "cifar-10-batches-py")
        os.makedirs(path, exist_ok=True)
        for batch in [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]:
            with open(os.path.join(path, batch), "wb") as f:
                pickle.dump({b"data": REF[f"ds_input_cifar10_x_{batch}"],
                             b"labels": REF[f"ds_input_cifar10_y_{batch}"].tolist()}, f)
        return path
    if name == "imdb":
        data = INFO["ds_input_imdb"]
        path = os.path.join(folder, "imdb.npz")
        np.savez(path, x_train=_object_array(data["x_train"]), y_train=np.array(data["y_train"]),
                 x_test=_object_array(data["x_test"]), y_test=np.array(data["y_test"]))
        return path
    if name == "reuters":
        data = INFO["ds_input_reuters"]
        path = os.path.join(folder, "reuters.npz")
        np.savez(path, x=_object_array(data["x"]), y=np.array(data["y"]))
        return path
    if name == "boston":
        path = os.path.join(folder, "boston_housing.npz")
        np.savez(path, x=REF["ds_input_boston_x"], y=REF["ds_input_boston_y"])
        return path
    raise KeyError(name)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache ($KERAS_HOME) and no way to download: origins point at a missing local file."""
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    nowhere = (tmp_path / "offline" / "missing").as_uri()
    for module in (mnist, imdb, reuters, boston_housing, cifar10, cifar100):
        monkeypatch.setattr(module, "ORIGIN", nowhere)
    monkeypatch.setattr(fashion_mnist, "ORIGIN", nowhere + "/")
    return home


def _check_pair(prefix, data):
    (x_train, y_train), (x_test, y_test) = data
    for key, got in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        if f"{prefix}_{key}_dtype" in INFO:
            assert got.dtype == object and got.ndim == 1
            assert [list(map(int, s)) for s in got] == INFO[f"{prefix}_{key}"]
        else:
            expected = REF[f"{prefix}_{key}"]
            assert got.dtype == expected.dtype, (key, got.dtype, expected.dtype)
            np.testing.assert_array_equal(got, expected)


# -- mnist, fashion_mnist -----------------------------------------------------------------------------------------

def test_mnist_reads_keras_cache_and_equals_tf_keras(keras_home, monkeypatch):
    path = _write(str(keras_home / "datasets"), "mnist")
    monkeypatch.setattr(mnist, "FILE_HASH", _sha256(path))
    _check_pair("ds_mnist", mnist.load_data())


def test_mnist_is_fetched_through_get_file_with_its_hash(tmp_path, keras_home, monkeypatch):
    source = _write(str(tmp_path / "server"), "mnist")
    monkeypatch.setattr(mnist, "ORIGIN", "file://" + source)
    monkeypatch.setattr(mnist, "FILE_HASH", _sha256(source))
    _check_pair("ds_mnist", mnist.load_data())
    assert os.path.isfile(keras_home / "datasets" / "mnist.npz")
    monkeypatch.setattr(mnist, "FILE_HASH", "0" * 64)      # Keras's hash differs: the download is refused
    os.remove(keras_home / "datasets" / "mnist.npz")
    with pytest.raises(ValueError, match="hash"):
        mnist.load_data()


def test_missing_and_offline_names_the_file_and_where_to_put_it(keras_home):
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data()
    message = str(info.value)
    assert "mnist.npz" in message and str(keras_home / "datasets" / "mnist.npz") in message
    assert "KERAS_HOME" in message
    with pytest.raises(FileNotFoundError, match=r"cifar-10-batches-py\.tar\.gz"):
        cifar10.load_data()
    with pytest.raises(FileNotFoundError, match="imdb.npz"):
        imdb.load_data()


def test_a_cached_file_with_another_hash_is_not_read(keras_home):
    _write(str(keras_home / "datasets"), "mnist")        # not Keras's real file: its sha256 differs
    with pytest.raises(FileNotFoundError, match="mnist.npz"):
        mnist.load_data()


def test_cache_dir_argument(tmp_path, keras_home, monkeypatch):
    path = _write(str(tmp_path / "elsewhere" / "datasets"), "boston")
    monkeypatch.setattr(boston_housing, "FILE_HASH", _sha256(path))
    _check_pair("ds_boston_default", boston_housing.load_data(cache_dir=str(tmp_path / "elsewhere")))


def test_fashion_mnist_equals_tf_keras(keras_home):
    _write(str(keras_home / "datasets"), "fashion")
    _check_pair("ds_fashion", fashion_mnist.load_data())


# -- cifar --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_equals_tf_keras(keras_home, label_mode):
    _write(str(keras_home / "datasets"), "cifar100")
    _check_pair(f"ds_cifar100_{label_mode}", cifar100.load_data(label_mode=label_mode))
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


def test_cifar100_from_the_downloaded_tar(tmp_path, keras_home, monkeypatch):
    folder = _write(str(tmp_path / "build"), "cifar100")
    archive = tmp_path / "server" / "cifar-100-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-100-python")
    monkeypatch.setattr(cifar100, "ORIGIN", archive.as_uri())
    monkeypatch.setattr(cifar100, "FILE_HASH", _sha256(archive))
    _check_pair("ds_cifar100_fine", cifar100.load_data())
    assert (keras_home / "datasets" / "cifar-100-python" / "train").is_file()


def test_cifar10_matches_tf_keras_batches_and_layout(keras_home):
    _write(str(keras_home / "datasets"), "cifar10")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8 and y_test.dtype == np.uint8
    np.testing.assert_array_equal(x_train[:2], REF["ds_cifar10_batch_data_batch_1_x"].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:2, 0], REF["ds_cifar10_batch_data_batch_1_y"])
    np.testing.assert_array_equal(x_test, REF["ds_cifar10_batch_test_batch_x"].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test[:, 0], REF["ds_cifar10_batch_test_batch_y"])
    expected = np.concatenate([REF[f"ds_input_cifar10_x_data_batch_{b}"] for b in range(1, 6)])
    np.testing.assert_array_equal(x_train, expected.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    keras.backend.set_image_data_format("channels_first")
    try:
        (x_cf, _), _ = cifar10.load_data()
    finally:
        keras.backend.set_image_data_format("channels_last")
    assert x_cf.shape == (10, 3, 32, 32)


# -- imdb, reuters, boston ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(INFO["ds_imdb_cases"]))
def test_imdb_equals_tf_keras(keras_home, monkeypatch, name):
    path = _write(str(keras_home / "datasets"), "imdb")
    monkeypatch.setattr(imdb, "FILE_HASH", _sha256(path))
    _check_pair(f"ds_imdb_{name}", imdb.load_data(**INFO["ds_imdb_cases"][name]))


def test_imdb_arguments(keras_home, monkeypatch):
    path = _write(str(keras_home / "datasets"), "imdb")
    monkeypatch.setattr(imdb, "FILE_HASH", _sha256(path))
    with pytest.raises(ValueError, match="maxlen"):
        imdb.load_data(maxlen=1)
    with pytest.raises(TypeError, match="unrecognized"):
        imdb.load_data(words=3)
    (x_old, _), _ = imdb.load_data(nb_words=10)
    (x_new, _), _ = imdb.load_data(num_words=10)
    assert [list(s) for s in x_old] == [list(s) for s in x_new]


def test_word_indices(keras_home, monkeypatch):
    folder = keras_home / "datasets"
    folder.mkdir(parents=True)
    for module, name in ((imdb, "imdb_word_index.json"), (reuters, "reuters_word_index.json")):
        (folder / name).write_text('{"the": 1, "and": 2}')
        monkeypatch.setattr(module, "WORD_INDEX_HASH", hashlib.md5(b'{"the": 1, "and": 2}').hexdigest())
        assert module.get_word_index() == {"the": 1, "and": 2}


@pytest.mark.parametrize("name", sorted(INFO["ds_reuters_cases"]))
def test_reuters_equals_tf_keras(keras_home, monkeypatch, name):
    path = _write(str(keras_home / "datasets"), "reuters")
    monkeypatch.setattr(reuters, "FILE_HASH", _sha256(path))
    _check_pair(f"ds_reuters_{name}", reuters.load_data(**INFO["ds_reuters_cases"][name]))


def test_reuters_label_names():
    names = reuters.get_label_names()
    assert len(names) == 46 and names[:4] == ("cocoa", "grain", "veg-oil", "earn") and names[-1] == "lead"


@pytest.mark.parametrize("name, kwargs", [("default", {}), ("split", {"test_split": 0.35, "seed": 4})])
def test_boston_housing_equals_tf_keras(keras_home, monkeypatch, name, kwargs):
    path = _write(str(keras_home / "datasets"), "boston")
    monkeypatch.setattr(boston_housing, "FILE_HASH", _sha256(path))
    _check_pair(f"ds_boston_{name}", boston_housing.load_data(**kwargs))
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


def test_the_keras_urls_and_hashes_are_tf_keras_ones():
    assert mnist.ORIGIN == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert mnist.FILE_HASH == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert cifar10.FILE_HASH.startswith("6d958be0") and cifar100.FILE_HASH.startswith("85cd44d0")
    assert imdb.FILE_HASH.startswith("69664113") and reuters.FILE_HASH.startswith("d6586e69")
    assert boston_housing.FILE_HASH.startswith("f553886a")
