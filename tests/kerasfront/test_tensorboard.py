"""callbacks.TensorBoard: event files read back with tensorboard's own reader hold tf.keras's runs, tags and
steps (tests/fixtures/tensorboard/layout.json, made by tools/make_tensorboard_fixtures.py), the values of
``history``, the learning rate of the schedule, the weight histograms and the Keras model graph."""
import glob
import json
import os
import sys
import warnings

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.callbacks import tensorboard as tb_module

pytest.importorskip("tensorboard", reason="the test extra installs tensorboard")
from tensorboard.backend.event_processing import event_file_loader  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "tensorboard", "layout.json")


def _event_files(log_dir, run):
    files = glob.glob(os.path.join(log_dir, run, "events.out.tfevents.*"))
    return sorted(files, key=lambda p: int(p.split(".")[-2]))


def _read(path):
    """[(tag, step, plugin, value array)] of one event file."""
    out = []
    for event in event_file_loader.EventFileLoader(path).Load():
        if event.WhichOneof("what") != "summary":
            continue
        for v in event.summary.value:
            out.append((v.tag, int(event.step), v.metadata.plugin_data.plugin_name, tensor_util.make_ndarray(v.tensor)))
    return out


def _layout(log_dir):
    return {run: [sorted([t, s, p] for t, s, p, _ in _read(f)) for f in _event_files(log_dir, run)]
            for run in ("train", "validation")}


def _run_reference_code(log_dir):
    keras.backend.clear_session()          # layer names as in a fresh tf.keras session: dense, dense_1
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((40, 4)).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    model = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(keras.optimizers.SGD(schedule), "binary_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit(x, y, epochs=2, batch_size=10, validation_split=0.25, verbose=0,
                            callbacks=[keras.callbacks.TensorBoard(log_dir, histogram_freq=1, update_freq=2,
                                                                   write_images=True)])
        evaluated = model.evaluate(x, y, verbose=0, callbacks=[keras.callbacks.TensorBoard(log_dir)],
                                   return_dict=True)
    return model, history, evaluated, schedule


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    log_dir = str(tmp_path_factory.mktemp("tb"))
    return (log_dir,) + _run_reference_code(log_dir)


def test_runs_tags_and_steps_match_tf_keras(reference_run):
    log_dir = reference_run[0]
    with open(FIXTURE) as f:
        expected = json.load(f)["layout"]
    assert _layout(log_dir) == expected


def test_epoch_scalars_hold_the_history_and_validation_goes_to_its_own_run(reference_run):
    log_dir, model, history, evaluated, schedule = reference_run
    train = _read(_event_files(log_dir, "train")[0])
    val = _read(_event_files(log_dir, "validation")[0])
    for key, values in history.history.items():
        run, tag = (val, "epoch_" + key[4:]) if key.startswith("val_") else (train, "epoch_" + key)
        found = [(s, float(v)) for t, s, _, v in run if t == tag]
        assert [s for s, _ in found] == [0, 1]
        np.testing.assert_allclose([v for _, v in found], values, rtol=1e-6)
    # the learning rate of the schedule after each epoch's 3 steps
    lrs = [float(v) for t, _, _, v in train if t == "epoch_learning_rate"]
    np.testing.assert_allclose(lrs, [0.1 * 0.5 ** (3 / 10), 0.1 * 0.5 ** (6 / 10)], rtol=1e-6)
    # evaluate's own callback: the results at the optimizer's iteration count
    last = _read(_event_files(log_dir, "validation")[1])
    got = {t: (s, float(v)) for t, s, _, v in last}
    assert got["evaluation_loss_vs_iterations"][0] == 6
    np.testing.assert_allclose(got["evaluation_loss_vs_iterations"][1], evaluated["loss"], rtol=1e-6)
    np.testing.assert_allclose(got["evaluation_accuracy_vs_iterations"][1], evaluated["accuracy"], rtol=1e-6)


def test_histograms_count_every_weight_of_the_final_model(reference_run):
    log_dir, model = reference_run[:2]
    train = _read(_event_files(log_dir, "train")[0])
    for layer in model.layers:
        for w in layer.weights:
            tag = w.name.replace(":", "_") + "/histogram"
            rows = [v for t, s, _, v in train if t == tag and s == 1]
            assert len(rows) == 1, tag
            h = rows[0]
            values = w.numpy().ravel()
            assert h.shape == (30, 3) and h[:, 2].sum() == values.size
            assert h[0, 0] == pytest.approx(values.min()) and h[-1, 1] == pytest.approx(values.max())


def test_batch_scalars_every_update_freq_batches(reference_run):
    log_dir = reference_run[0]
    train = _read(_event_files(log_dir, "train")[0])
    steps = [s for t, s, _, _ in train if t == "batch_loss"]
    assert steps == [2, 4, 6]
    # at the end of the second epoch the running loss is the epoch's loss
    final = [float(v) for t, s, _, v in train if t == "batch_loss" and s == 6][0]
    epoch = [float(v) for t, s, _, v in train if t == "epoch_loss" and s == 1][0]
    assert final == pytest.approx(epoch)


def test_weight_images_are_pngs(reference_run):
    from PIL import Image
    import io
    log_dir = reference_run[0]
    train = _read(_event_files(log_dir, "train")[0])
    kernel = [v for t, s, p, v in train if t == "dense/kernel_0/image" and s == 0][0]
    width, height = int(kernel[0]), int(kernel[1])
    img = Image.open(io.BytesIO(kernel[2]))
    assert (width, height) == (4, 3) and img.size == (4, 3)      # the (4, 3) kernel, longer side across


def test_keras_graph_is_the_model_json_tensorboard_can_draw(reference_run):
    from tensorboard.plugins.graph import keras_util
    log_dir, model = reference_run[:2]
    train = _read(_event_files(log_dir, "train")[0])
    (blob,) = [v for t, _, p, v in train if t == "keras" and p == "graph_keras_model"]
    config = json.loads(blob[0].decode())
    assert config == json.loads(model.to_json())
    graph = keras_util.keras_model_to_graph_def(config)
    names = {node.name for node in graph.node}
    assert any(n.endswith("dense") for n in names) and any(n.endswith("dense_1") for n in names)


def test_steps_per_second_are_logged_per_epoch_and_per_batch(tmp_path):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(np.ones((8, 2), "float32"), np.ones((8, 1), "float32"), epochs=2, batch_size=4, verbose=0,
                  callbacks=[keras.callbacks.TensorBoard(str(tmp_path), write_steps_per_second=True,
                                                         update_freq="batch", write_graph=False)])
    events = _read(_event_files(str(tmp_path), "train")[0])
    per_epoch = [(s, float(v)) for t, s, _, v in events if t == "epoch_steps_per_second"]
    per_batch = [s for t, s, _, v in events if t == "batch_steps_per_second"]
    assert [s for s, _ in per_epoch] == [0, 1] and all(v > 0 for _, v in per_epoch)
    assert per_batch == [1, 2, 3, 4]
    assert "keras" not in {t for t, *_ in events}


def test_subclassed_model_writes_no_keras_graph_but_its_scalars(tmp_path):
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(1)

        def call(self, x):
            return self.d(x)

    model = Tiny()
    model.compile("sgd", "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit(np.ones((8, 2), "float32"), np.ones((8, 1), "float32"), epochs=2, verbose=0,
                            callbacks=[keras.callbacks.TensorBoard(str(tmp_path))])
    events = _read(_event_files(str(tmp_path), "train")[0])
    assert "keras" not in {t for t, *_ in events}
    np.testing.assert_allclose([float(v) for t, _, _, v in events if t == "epoch_loss"], history.history["loss"],
                               rtol=1e-6)
    assert not os.path.exists(tmp_path / "validation")


def test_arguments_are_checked_and_what_needs_tensorflow_is_said_once(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(str(tmp_path), update_freq=0)
    with pytest.raises(ValueError, match="profile_batch"):
        keras.callbacks.TensorBoard(str(tmp_path), profile_batch=(5, 2))
    with pytest.raises(ValueError, match="histogram_freq"):
        keras.callbacks.TensorBoard(str(tmp_path), histogram_freq=-1)
    with pytest.raises(ValueError, match="Unrecognized arguments.*write_everything"):
        keras.callbacks.TensorBoard(str(tmp_path), write_everything=True)
    assert keras.callbacks.TensorBoard(str(tmp_path), update_freq="batch").update_freq == 1
    monkeypatch.setattr(tb_module, "_SAID", set())
    with pytest.warns(UserWarning, match="profiling needs TensorFlow"):
        keras.callbacks.TensorBoard(str(tmp_path), profile_batch=(2, 3))
    with pytest.warns(UserWarning, match="TensorFlow checkpoint"):
        keras.callbacks.TensorBoard(str(tmp_path), embeddings_freq=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # said once: the second time is silent
        assert keras.callbacks.TensorBoard(str(tmp_path), profile_batch="2,4", embeddings_freq=1)._stop_batch == 4


def test_missing_tensorboard_raises_an_import_error_naming_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard.summary.writer.event_file_writer", None)
    with pytest.raises(ImportError, match=r'pip install "kerasfront\[tensorboard\]"'):
        keras.callbacks.TensorBoard(str(tmp_path))


def test_weight_images_have_tf_keras_pixels_for_every_kernel_shape(tmp_path):
    """tests/fixtures/tensorboard/weight_images.json (tools/make_tensorboard_image_fixtures.py): the PNGs
    tf.keras writes for biases, dense, Conv1D/2D/3D kernels with values over and beyond [0, 1]."""
    from PIL import Image
    import io
    with open(os.path.join(os.path.dirname(FIXTURE), "weight_images.json")) as f:
        fixture = json.load(f)
    writer = tb_module.SummaryWriter(str(tmp_path))
    callback = keras.callbacks.TensorBoard(str(tmp_path), write_graph=False)
    for name, shape in fixture["shapes"].items():
        n = int(np.prod(shape))
        values = (np.arange(n, dtype=np.float32) * np.float32(1.5 / max(n - 1, 1)) - np.float32(0.25)).reshape(shape)
        callback._log_weight_as_image(writer, values, name, 0)
    writer.close()
    got = {t: v for t, _, _, v in _read(glob.glob(os.path.join(str(tmp_path), "events.out.tfevents.*"))[0])}
    for name, want in fixture["images"].items():
        if want is None:
            assert name not in got, name
            continue
        blob = got[name]
        assert (int(blob[0]), int(blob[1])) == (want["width"], want["height"]), name
        images = [np.asarray(Image.open(io.BytesIO(b))) for b in blob[2:]]
        assert len(images) == len(want["images"]), name
        for img, expected in zip(images, want["images"]):
            np.testing.assert_array_equal(img, np.asarray(expected, np.uint8), err_msg=name)
