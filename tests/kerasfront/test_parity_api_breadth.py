"""Reference cases made by real tf.keras 2.21 (tools/keras_cases/api_breadth.py): focal losses trained with
F1Score / FBetaScore, and the Ftrl, Lion, Adafactor and legacy (``decay``) optimizers. Each case loads
CASE_initial.h5 (so loss, metrics and optimizer come from tf.keras's file), trains with the recorded fit arguments
and must give tf.keras's history and final weights (rtol 1e-4, atol 1e-5); CASE.h5, saved after training, loads
and predicts tf.keras's outputs, and its optimizer state is that of the trained tf.keras optimizer."""
import json
import os

import numpy as np
import pytest

import kerasfront as keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference", "api_breadth")
with open(os.path.join(HERE, "manifest.json")) as _f:
    CASES = json.load(_f)["cases"]
RTOL, ATOL = 1e-4, 1e-5


def _weights(data, prefix):
    return [data[f"{prefix}{i}"] for i in range(len([k for k in data if k.startswith(prefix)]))]


@pytest.mark.parametrize("case", sorted(CASES))
def test_trains_like_tf_keras_from_its_file(case):
    keras.backend.clear_session()
    manifest = CASES[case]
    data = dict(np.load(os.path.join(HERE, f"{case}.npz")))
    model = keras.models.load_model(os.path.join(HERE, f"{case}_initial.h5"))
    for w, e in zip(model.get_weights(), _weights(data, "w0_")):
        np.testing.assert_array_equal(w, e)
    expected_optimizer = manifest["compile"]["optimizer"]["class_name"]
    legacy = expected_optimizer.startswith("legacy.")
    assert isinstance(model.optimizer, keras.optimizers.legacy.Optimizer) == legacy
    assert type(model.optimizer).__name__ == expected_optimizer.split(".")[-1]
    history = model.fit(data["train_x"], data["train_y"], verbose=0, **manifest["fit"])
    assert sorted(history.history) == sorted(manifest["history_keys"])
    for key in manifest["history_keys"]:
        np.testing.assert_allclose(np.asarray(history.history[key], np.float64), data[f"history_{key}"], rtol=RTOL,
                                   atol=ATOL, err_msg=f"{case}: history {key}")
    for i, (w, e) in enumerate(zip(model.get_weights(), _weights(data, "w1_"))):
        np.testing.assert_allclose(w, e, rtol=RTOL, atol=ATOL, err_msg=f"{case}: final weight {i}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_trained_file_loads_with_its_optimizer_state(case):
    keras.backend.clear_session()
    data = dict(np.load(os.path.join(HERE, f"{case}.npz")))
    model = keras.models.load_model(os.path.join(HERE, f"{case}.h5"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y_pred"], rtol=1e-5, atol=1e-5)
    import h5py
    with h5py.File(os.path.join(HERE, f"{case}.h5"), "r") as f:
        group = f["optimizer_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        saved = [np.asarray(group[n]) for n in names]
    assert [v.name for v in model.optimizer.variables] == names
    for name, v, s in zip(names, model.optimizer.variables, saved):
        np.testing.assert_array_equal(v.numpy(), s, err_msg=name)
