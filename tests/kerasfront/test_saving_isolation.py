"""Loading reads an HDF5 file's structure in a child process with a time and memory limit (saving/isolation.py):
a file that makes the HDF5 library loop (``fixtures/damaged_files/hdf5_heap_loop.h5``, HDFGroup/hdf5#1707),
crash or allocate without bound is an error naming the file within seconds, and the parent process never calls
HDF5 on the file.
"""
import os
import signal
import time

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from kerasfront.saving import SavedFileError, h5_reader, isolation, limits
from kerasfront.saving.h5_snapshot import DataSource, decode_frame, open_snapshot
from tests.kerasfront.h5_edits import strip_checksums

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
HEAP_LOOP = os.path.join(FIXTURES, "damaged_files", "hdf5_heap_loop.h5")
CNN = os.path.join(FIXTURES, "keras_reference", "cnn_sgd.h5")
needs_fork = pytest.mark.skipif(isolation.default_start_method() != "fork", reason="the forked reader (Linux)")


@pytest.fixture
def saved(tmp_path):
    keras.utils.set_random_seed(5)
    model = keras.Sequential([layers.Dense(3, input_shape=(2,), name="d"), layers.Dense(1, name="e")])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0)
    paths = {"h5": str(tmp_path / "m.h5"), "keras": str(tmp_path / "m.keras"), "weights": str(tmp_path / "w.h5")}
    model.save(paths["h5"])
    model.save(paths["keras"])
    model.save_weights(paths["weights"])
    return model, paths


def _same(a, b):
    assert len(a.get_weights()) == len(b.get_weights())
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)


def test_the_heap_loop_file_is_refused_within_ten_seconds():
    start = time.monotonic()
    with pytest.raises(SavedFileError) as err:
        keras.models.load_model(HEAP_LOOP)
    assert time.monotonic() - start < 10
    assert HEAP_LOOP in str(err.value) and "loop forever" in str(err.value)


def test_load_weights_from_the_heap_loop_file_is_refused(monkeypatch):
    monkeypatch.setattr(limits, "ISOLATED_READ_STALL_SECONDS", 2.0)      # the default is timed above
    model = keras.models.load_model(CNN, compile=False)           # the architecture the damaged file had
    before = model.get_weights()
    start = time.monotonic()
    with pytest.raises(SavedFileError, match="hdf5_heap_loop.h5"):
        model.load_weights(HEAP_LOOP)
    assert time.monotonic() - start < 10
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)                      # nothing changed


@pytest.mark.parametrize("kind", ["h5", "keras", "weights"])
def test_isolated_and_in_process_reading_give_the_same_model(saved, kind):
    model, paths = saved
    for isolate in (True, False):
        if kind == "weights":
            loaded = keras.models.clone_model(model)
            loaded.load_weights(paths[kind], isolate=isolate)
        else:
            loaded = keras.models.load_model(paths[kind], isolate=isolate)
            assert int(loaded.optimizer.iterations) == 1
        _same(loaded, model)


@pytest.mark.parametrize("isolate", ["yes", 1])
def test_isolate_must_be_a_bool(saved, isolate):
    with pytest.raises(TypeError, match="isolate"):
        keras.models.load_model(saved[1]["h5"], isolate=isolate)


def test_the_spawned_reader_gives_the_same_model_and_refuses_the_loop(saved, monkeypatch):
    """The reader used where fork is unsafe (macOS, Windows): a new interpreter running h5_reader.py."""
    model, paths = saved
    monkeypatch.setattr(isolation, "START_METHOD", "spawn")
    _same(keras.models.load_model(paths["h5"]), model)
    _same(keras.models.load_model(paths["keras"]), model)
    monkeypatch.setattr(limits, "ISOLATED_READ_STALL_SECONDS", 2.0)
    with pytest.raises(SavedFileError, match="made no progress for 2 s"):
        keras.models.load_model(HEAP_LOOP)


@needs_fork
def test_a_crash_of_the_reader_is_an_error_naming_the_file(saved, monkeypatch):
    monkeypatch.setattr(h5_reader, "describe_source", lambda *a, **k: os.kill(os.getpid(), signal.SIGSEGV))
    with pytest.raises(SavedFileError) as err:
        keras.models.load_model(saved[1]["h5"])
    assert saved[1]["h5"] in str(err.value) and "crashed" in str(err.value) and "SIGSEGV" in str(err.value)


@needs_fork
def test_a_reader_that_stops_making_progress_is_stopped(saved, monkeypatch):
    monkeypatch.setattr(h5_reader, "describe_source", lambda *a, **k: time.sleep(60))
    monkeypatch.setattr(limits, "ISOLATED_READ_STALL_SECONDS", 0.5)
    start = time.monotonic()
    with pytest.raises(SavedFileError, match="made no progress"):
        keras.models.load_model(saved[1]["h5"])
    assert time.monotonic() - start < 5


@needs_fork
def test_a_reader_that_progresses_forever_is_stopped_by_the_overall_limit(saved, monkeypatch):
    def busy(source, memory_budget, progress):
        while True:
            progress()
            time.sleep(0.01)

    monkeypatch.setattr(h5_reader, "describe_source", busy)
    monkeypatch.setattr(limits, "ISOLATED_READ_SECONDS", 1.0)
    with pytest.raises(SavedFileError, match="did not finish within 1 s"):
        keras.models.load_model(saved[1]["h5"])


@needs_fork
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="the address-space limit needs /proc")
def test_the_reader_memory_is_capped(saved, monkeypatch):
    def hungry(*args, **kwargs):
        return bytes(8 * 2 ** 30)                              # 8 GiB: beyond the reader's cap

    monkeypatch.setattr(h5_reader, "describe_source", hungry)
    monkeypatch.setattr(limits, "ISOLATED_READ_MEMORY_BYTES", 64 * 2 ** 20)
    with pytest.raises(SavedFileError, match="more memory than the isolated reader may use") as err:
        keras.models.load_model(saved[1]["h5"])
    assert saved[1]["h5"] in str(err.value)


@needs_fork
def test_the_parent_never_calls_hdf5_on_the_file(saved, tmp_path, monkeypatch):
    log = tmp_path / "opens.txt"
    real_init = h5py.File.__init__

    def spy(self, name, *args, **kwargs):
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real_init(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.File, "__init__", spy)
    keras.models.load_model(saved[1]["h5"])
    keras.models.load_model(saved[1]["keras"])
    pids = log.read_text().split()
    assert len(pids) == 2 and str(os.getpid()) not in pids


@pytest.mark.parametrize("frame", [b"", b"garbage", h5_reader.MAGIC + b"\xff" * 8,
                                   h5_reader.frame({"root": {"kind": "group", "links": "x"}}, []),
                                   h5_reader.frame({"root": {"kind": "group", "links": {
                                       "w": {"kind": "dataset", "shape": [4], "dtype": "<f4", "raw": [0, 99]}}}}, [])])
def test_a_description_that_does_not_fit_is_refused_by_name(tmp_path, frame):
    """The parent trusts nothing the child sends: a wrong frame is an error naming the file, never a crash."""
    path = str(tmp_path / "x.h5")
    with open(path, "wb") as fh:
        fh.write(b"\0" * 64)
    with pytest.raises(SavedFileError, match="x.h5"):
        root = decode_frame(frame, path, DataSource(path=path))
        root["w"][()]


def test_chunked_and_compressed_weights_are_read_by_the_reader(saved, tmp_path):
    """Datasets that are not stored as plain bytes (chunked, gzip) are read in the child and sent whole."""
    model, paths = saved
    path = str(tmp_path / "gzip.h5")
    with h5py.File(paths["weights"], "r") as src, h5py.File(path, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                dst.create_dataset(name, data=obj[()], chunks=obj.shape or None,
                                   compression="gzip" if obj.shape else None)
            else:
                dst.require_group(name)
            for key, value in obj.attrs.items():
                dst[name].attrs[key] = value
        src.visititems(copy)
    strip_checksums(path)
    with open_snapshot(path) as root:
        assert root["d/d/kernel:0"].layout == "chunked" and "data" in root["d/d/kernel:0"]._entry
    loaded = keras.models.clone_model(model)
    loaded.load_weights(path)
    _same(loaded, model)
