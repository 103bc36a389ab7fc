"""Built-in data sets: the shipped digits (shapes, dtypes, a deterministic stratified split) and mnist.npz reading."""
import gzip
import os

import numpy as np
import pytest

from kerasfront.datasets import digits, mnist

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


# -- mnist ----------------------------------------------------------------------------------------

def _write_npz(path, n_train=6, n_test=4, drop=None, y_len=None):
    rng = np.random.RandomState(0)
    arrays = {
        "x_train": rng.randint(0, 256, size=(n_train, 28, 28)).astype(np.uint8),
        "y_train": rng.randint(0, 10, size=(y_len or n_train,)).astype(np.uint8),
        "x_test": rng.randint(0, 256, size=(n_test, 28, 28)).astype(np.uint8),
        "y_test": rng.randint(0, 10, size=(n_test,)).astype(np.uint8),
    }
    if drop:
        arrays.pop(drop)
    np.savez(path, **arrays)
    return arrays


def test_mnist_reads_a_given_path(tmp_path):
    arrays = _write_npz(tmp_path / "small.npz")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=str(tmp_path / "small.npz"))
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")):
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8
    assert x_train.shape == (6, 28, 28) and x_test.shape == (4, 28, 28)


def test_mnist_accepts_pathlike(tmp_path):
    _write_npz(tmp_path / "m.npz")
    (x_train, _), _ = mnist.load_data(tmp_path / "m.npz")
    assert x_train.shape == (6, 28, 28)


def test_mnist_default_looks_in_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.chdir(tmp_path)
    os.makedirs(tmp_path / "kh" / "datasets")
    arrays = _write_npz(tmp_path / "kh" / "datasets" / "mnist.npz", n_train=3)
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert mnist.cache_dir() == str(tmp_path / "kh" / "datasets")


def test_mnist_cache_defaults_to_home_dot_keras(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist.cache_dir() == os.path.join(str(tmp_path), ".keras", "datasets")


def test_mnist_missing_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data()
    message = str(info.value)
    assert os.path.join(str(tmp_path / "empty"), "datasets", "mnist.npz") in message
    assert "path=" in message and "does not download" in message


def test_mnist_missing_key_is_a_clear_error(tmp_path):
    _write_npz(tmp_path / "bad.npz", drop="y_test")
    with pytest.raises(ValueError, match="y_test"):
        mnist.load_data(str(tmp_path / "bad.npz"))


def test_mnist_length_mismatch_is_a_clear_error(tmp_path):
    _write_npz(tmp_path / "bad.npz", n_train=5, y_len=4)
    with pytest.raises(ValueError, match="5 x_train images but 4 y_train"):
        mnist.load_data(str(tmp_path / "bad.npz"))


def test_mnist_rejects_non_path():
    with pytest.raises(TypeError, match="path"):
        mnist.load_data(path=3)
