"""Optimizer state in Keras 3's ``.keras`` files: every Keras 3 optimizer's saved variables (Nadam's momentum product,
Adafactor's placeholders, SGD without momentum's empty slot list) are restored, training continues with Keras 3's
numbers (tests/fixtures/keras3_reference/k3_opt_*, made by tools/make_keras3_fixtures.py), kerasfront writes the
same layout back, and a state that does not fit warns with what was expected and found and changes nothing.
"""
import glob
import io
import os
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront.models import load_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras3_reference")
CASES = sorted(os.path.basename(p)[len("k3_opt_"):-len(".keras")]
               for p in glob.glob(os.path.join(FIXTURES, "k3_opt_*.keras")))


def _fixture(name):
    return os.path.join(FIXTURES, f"k3_opt_{name}.keras"), dict(np.load(os.path.join(FIXTURES, f"k3_opt_{name}.npz")))


def _saved_optimizer_vars(path):
    """The datasets under ``optimizer/vars`` of a ``.keras`` archive, in order."""
    with zipfile.ZipFile(path) as zf:
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            group = f["optimizer/vars"]
            return [group[k][()] for k in sorted(group, key=int)]


def _load_quietly(path):
    """``load_model`` with every warning an error: a state that is not restored fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_model(path)


def test_every_keras3_optimizer_has_a_case():
    assert {"nadam", "nadam_schedule", "adafactor", "sgd", "sgd_nesterov", "adam_amsgrad", "adamw", "rmsprop_centered",
            "adagrad", "adadelta", "adamax", "ftrl", "lion"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_keras3_optimizer_state_is_restored_as_saved(name):
    path, data = _fixture(name)
    model = _load_quietly(path)
    expected = [data[f"opt_var_{i}"] for i in range(len([k for k in data if k.startswith("opt_var_")]))]
    restored = [np.asarray(v.numpy()) for v in model.optimizer.keras3_variables()]
    assert len(restored) == len(expected)
    for got, want in zip(restored, expected):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert int(model.optimizer.iterations.numpy()) == int(data["iterations"]) == 4


@pytest.mark.parametrize("name", CASES)
def test_training_continues_with_keras3s_numbers(name):
    """One more epoch (4 steps) after loading gives the weights and loss Keras 3 gave from its own file."""
    path, data = _fixture(name)
    model = _load_quietly(path)
    history = model.fit(data["train_x"], data["train_y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], data["resume_loss"], rtol=1e-5)
    after = [w.numpy() for layer in model.layers for w in layer.weights]
    assert len([k for k in data if k.startswith("resume_w_")]) == len(after) == 4
    for i, got in enumerate(after):
        np.testing.assert_allclose(got, data[f"resume_w_{i}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["nadam", "nadam_schedule"])
def test_nadam_takes_keras3s_momentum_product(name):
    """Keras 3's Nadam saves the running product u_1 ... u_t last; the restored optimizer continues from it with the
    formula (Keras 3's fit), not with tf.keras 2's traced counter."""
    path, data = _fixture(name)
    model = _load_quietly(path)
    opt = model.optimizer
    last = max(int(k[len("opt_var_"):]) for k in data if k.startswith("opt_var_"))
    product = data[f"opt_var_{last}"]
    assert product.shape == () and 0 < float(product) < 1
    assert opt._u_product == product and opt._u_product.dtype == np.float32
    assert opt.emulate_fit_trace is False
    model.train_on_batch(data["train_x"][:4], data["train_y"][:4])
    # the product advanced by u_5 = beta_1 (1 - 0.5 * 0.96^5), in float32
    u_5 = np.float32(opt.beta_1) * (np.float32(1) - np.float32(0.5) * np.float32(0.96) ** np.float32(5))
    np.testing.assert_allclose(opt._u_product, product * u_5, rtol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_kerasfront_writes_keras3s_layout_back(name, tmp_path):
    """Loaded and saved again, the archive's optimizer state is the one Keras 3 wrote (count, order, shapes, dtypes,
    values): Keras 3 reads it as its own (tools/check_keras3_optimizer_state.py checks with Keras 3 itself)."""
    path, _ = _fixture(name)
    model = _load_quietly(path)
    out = str(tmp_path / "again.keras")
    model.save(out)
    original, written = _saved_optimizer_vars(path), _saved_optimizer_vars(out)
    assert len(written) == len(original)
    for got, want in zip(written, original):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def _nadam_model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Nadam(learning_rate=0.02), loss="mse")
    return model


def _xy():
    rng = np.random.default_rng(5)
    return rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)


def test_kerasfront_nadam_archive_holds_the_product_and_resumes_exactly(tmp_path):
    """kerasfront's own Nadam (tf.keras 2's traced-fit product by default) writes the formula's product P_t where
    Keras 3 reads it, and its own product and mode beside it, so that it continues exactly as without saving."""
    x, y = _xy()
    model = _nadam_model()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "nadam.keras")
    model.save(path)
    saved = _saved_optimizer_vars(path)
    assert len(saved) == 2 + 2 * 4 + 1
    beta_1, prod = np.float32(0.9), np.float32(1)
    for t in range(1, 5):
        prod = prod * (beta_1 * (np.float32(1) - np.float32(0.5) * np.float32(0.96) ** np.float32(t)))
    np.testing.assert_allclose(saved[-1], prod, rtol=1e-6)
    loaded = _load_quietly(path)
    assert loaded.optimizer.emulate_fit_trace is True
    h1 = loaded.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    h2 = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert h1.history == h2.history
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.save(path)                    # saved again 4 steps later: P_8
    for t in range(5, 9):
        prod = prod * (beta_1 * (np.float32(1) - np.float32(0.5) * np.float32(0.96) ** np.float32(t)))
    np.testing.assert_allclose(_saved_optimizer_vars(path)[-1], prod, rtol=1e-6)


@pytest.mark.parametrize("optimizer, shapes", [
    # Keras 3's lists for Dense(3) -> Dense(2) on 4 features (as its own files of the same optimizers hold them)
    (lambda: keras.optimizers.Nadam(0.02), [(), (), (4, 3), (4, 3), (3,), (3,), (3, 2), (3, 2), (2,), (2,), ()]),
    (lambda: keras.optimizers.SGD(0.05), [(), ()]),
    (lambda: keras.optimizers.Adafactor(0.05),
     [(), (), (4,), (3,), (4, 3), (), (), (3,), (3,), (2,), (3, 2), (), (), (2,)]),
])
def test_kerasfront_trained_optimizers_write_keras3s_list(optimizer, shapes, tmp_path):
    x, y = _xy()
    model = _nadam_model()
    model.compile(optimizer=optimizer(), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    saved = _saved_optimizer_vars(path)
    assert [a.shape for a in saved] == shapes
    placeholders = [a for a, shape in zip(saved[2:], shapes[2:]) if shape == ()]
    if isinstance(model.optimizer, keras.optimizers.Adafactor):
        assert len(placeholders) == 4 and all(a.dtype == np.int32 and a == 0 for a in placeholders)


def test_nadam_restored_from_keras3_stays_in_keras3s_mode_through_kerasfront_files(tmp_path):
    path, data = _fixture("nadam")
    model = _load_quietly(path)
    again = str(tmp_path / "again.keras")
    model.save(again)
    reloaded = _load_quietly(again)
    assert reloaded.optimizer.emulate_fit_trace is False
    assert reloaded.optimizer._u_product == model.optimizer._u_product
    reloaded.fit(data["train_x"], data["train_y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    for i, got in enumerate(w.numpy() for layer in reloaded.layers for w in layer.weights):
        np.testing.assert_allclose(got, data[f"resume_w_{i}"], rtol=1e-5, atol=1e-6)


def test_a_file_in_kerasfronts_former_nadam_layout_still_loads(tmp_path):
    """Files kerasfront wrote before it followed Keras 3's layout hold no product variable: still restored."""
    x, y = _xy()
    model = _nadam_model()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "old.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        group = f["optimizer/vars"]
        del group[str(len(group) - 1)]          # the product, which the former layout did not have
        del f.attrs["kerasfront_checksums"]     # changed on purpose
    clone = _nadam_model()
    clone.optimizer.build(clone.trainable_weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clone.load_weights(path)
    for a, b in zip(clone.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    h1 = clone.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    h2 = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert h1.history == h2.history


@pytest.mark.parametrize("optimizer, file_case, expected", [
    (lambda: keras.optimizers.Adamax(0.01), "nadam", "Adamax 'Adamax' expects 10 variable(s)"),
    (lambda: keras.optimizers.Adafactor(0.01), "adam_amsgrad",
     "the first that differs is variable 2: expected Adafactor/r/"),
])
def test_state_that_does_not_fit_warns_and_changes_nothing(optimizer, file_case, expected):
    path, _ = _fixture(file_case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_model(path, compile=False)
    model.compile(optimizer=optimizer(), loss="mse")
    x, y = _xy()
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    before = [np.array(v.numpy()) for v in model.optimizer.variables]
    with pytest.warns(UserWarning, match="Could not restore the optimizer state") as record:
        model.load_weights(path)
    message = str(record[0].message)
    assert expected in message and "the file holds" in message and "fresh state" in message
    after = [np.asarray(v.numpy()) for v in model.optimizer.variables]
    assert len(after) == len(before)
    for a, b in zip(after, before):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations.numpy()) == 2


def test_host_state_keeps_nadams_mode():
    opt = keras.optimizers.Nadam()
    opt.emulate_fit_trace = False
    fresh = keras.optimizers.Nadam()
    fresh.set_host_state(opt.get_host_state())
    assert fresh.emulate_fit_trace is False
    fresh.set_host_state('{"emulate_fit_trace": ["bool", 1]}')    # not a boolean: ignored
    assert fresh.emulate_fit_trace is False
