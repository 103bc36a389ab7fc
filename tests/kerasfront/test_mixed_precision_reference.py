"""Mixed precision against real tf.keras (tools/keras_cases/mixed_precision.py, fixtures in
tests/fixtures/keras_reference/mixed_precision): models built by tf.keras under "mixed_float16" and
"mixed_bfloat16" load (policies, the LossScaleOptimizer tf.keras wrapped the optimizer in), predict, and train
from their initial files to tf.keras's history and weights, skipping the same overflowing steps with the same
dynamic loss scale.

Tolerances. float16 carries 11 significant bits (a relative step of 2 ** -11 = 4.9e-4): one rounding of an
activation or a gradient is already 5e-4 relative, and numpy and TensorFlow round at different places (numpy's
float16 matmul accumulates in float32 and rounds the product once; TensorFlow's CPU kernels round differently
inside convolutions and reductions), so per-step agreement is to a few float16 steps, not to float32's 1e-7.
What holds here: predictions within 1e-3 (the final softmax runs in float32), the loss history within 1e-3
relative, and the trained weights within 2e-3 absolute (with updates of 0.01 - 0.1, a few float16 roundings of
each). mixed_bfloat16 has 8 significant bits (a step of 2 ** -8 = 3.9e-3) and kerasfront rounds to it at layer
boundaries while TensorFlow rounds after every op, so there: predictions within 1e-2, history within 1e-2
relative, weights within 2e-2.
"""
import json
import os
import warnings

import numpy as np
import pytest

import kerasfront as keras
from kerasfront import mixed_precision
from kerasfront.models import load_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference", "mixed_precision")
with open(os.path.join(FIXTURES, "manifest.json")) as _f:
    MANIFEST = json.load(_f)["cases"]
with open(os.path.join(FIXTURES, "loss_scale.json")) as _f:
    LOSS_SCALE = json.load(_f)
TOL = {"float16": dict(pred=1e-3, hist=1e-3, weights=2e-3), "bfloat16": dict(pred=1e-2, hist=1e-2, weights=2e-2)}


def _tol(case):
    return TOL["bfloat16" if "bfloat16" in case else "float16"]


def _data(case):
    return dict(np.load(os.path.join(FIXTURES, f"{case}.npz")))


def _listed(data, prefix):
    keys = sorted((k for k in data if k.startswith(prefix) and k[len(prefix):].isdigit()),
                  key=lambda k: int(k[len(prefix):]))
    return [data[k] for k in keys]


def _load(case, suffix=""):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_model(os.path.join(FIXTURES, f"{case}{suffix}.h5"))


@pytest.mark.parametrize("case", sorted(MANIFEST))
def test_tf_keras_mixed_precision_file_loads_with_its_policies_and_predicts(case):
    data = _data(case)
    model = _load(case)
    name = "mixed_bfloat16" if "bfloat16" in case else "mixed_float16"
    policies = {layer.dtype_policy.name for layer in model.layers[1:]}
    assert name in policies and policies <= {name, "float32"}
    assert all(w.dtype == np.float32 for w in model.weights)            # variables stay float32
    if name == "mixed_float16":          # tf.keras wraps only mixed_float16's optimizer (bfloat16 has float32's range)
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"
        assert model.optimizer.dynamic and model.optimizer.initial_scale == 2.0 ** 15
    else:
        assert type(model.optimizer).__name__ == "Adam"
    for g, s in zip([w.numpy() for layer in model.layers for w in layer.weights], _listed(data, "w_")):
        np.testing.assert_array_equal(g, s)
    pred = model.predict(data["x"], verbose=0)
    assert pred.dtype == np.float32                                      # the last layer has dtype="float32"
    np.testing.assert_allclose(pred, data["y_pred"], rtol=0, atol=_tol(case)["pred"])


class _Trace(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.scales, self.iterations = [], []

    def on_train_batch_end(self, batch, logs=None):
        if hasattr(self.model.optimizer, "loss_scale"):
            self.scales.append(float(self.model.optimizer.loss_scale))
            self.iterations.append(int(self.model.optimizer.iterations))


@pytest.mark.parametrize("case", sorted(MANIFEST))
def test_training_reproduces_tf_keras_history_weights_and_loss_scale(case):
    data = _data(case)
    model = _load(case, "_initial")
    trace = _Trace()
    hist = model.fit(data["train_x"], data["train_y"], verbose=0, callbacks=[trace], **MANIFEST[case]["fit"])
    tol = _tol(case)
    for key, values in hist.history.items():
        if key == "accuracy":
            continue            # a prediction at 0.5 may flip in 16-bit arithmetic; the loss carries the check
        np.testing.assert_allclose(values, data[f"history_{key}"], rtol=tol["hist"], err_msg=key)
    final = [w.numpy() for layer in model.layers for w in layer.weights]
    for g, s in zip(final, _listed(data, "w1_")):
        np.testing.assert_allclose(g, s, rtol=0, atol=tol["weights"])
    if case in LOSS_SCALE:
        assert trace.scales == LOSS_SCALE[case]["loss_scale"]
        assert trace.iterations == LOSS_SCALE[case]["iterations"]     # a skipped step still counts


def test_the_overflowing_case_skips_steps_and_the_skips_leave_the_weights():
    trace = LOSS_SCALE["mixed_float16_overflow_train"]["loss_scale"]
    assert trace[:4] == [16384.0, 8192.0, 4096.0, 2048.0]                # tf.keras halved three times
    data = _data("mixed_float16_overflow_train")
    model = _load("mixed_float16_overflow_train", "_initial")
    before = model.get_weights()
    with np.errstate(over="ignore", invalid="ignore"):
        model.fit(data["train_x"][:12], data["train_y"][:12], batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), before):                       # three skipped steps: nothing applied
        np.testing.assert_array_equal(a, b)
    assert float(model.optimizer.loss_scale) == 4096.0 and int(model.optimizer.iterations) == 3


def test_a_kerasfront_mixed_float16_file_keeps_its_policies_and_loss_scale(tmp_path):
    data = _data("mixed_float16_train")
    model = _load("mixed_float16_train", "_initial")
    model.fit(data["train_x"], data["train_y"], batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "mixed.h5")
    model.save(path)
    again = load_model(path)
    assert [layer.dtype_policy.name for layer in again.layers] == [layer.dtype_policy.name for layer in model.layers]
    assert float(again.optimizer.loss_scale) == float(model.optimizer.loss_scale) == 16384.0
    assert int(again.optimizer.iterations) == 4
    np.testing.assert_array_equal(again.predict(data["x"], verbose=0), model.predict(data["x"], verbose=0))
    assert mixed_precision.global_policy().name == "float32"            # loading never changes the global policy
