"""Reference cases made by real tf.keras for the volumetric, ConvLSTM, locally connected and parametric-activation
layers (tools/keras_cases/layers3d.py, fixtures in tests/fixtures/keras_reference/layers3d):

- every file loads and predicts tf.keras's ``y_pred`` within 1e-5, with the weights tf.keras saved;
- each ``CASE_initial.h5`` loads compiled and fit reproduces tf.keras's history and final weights (rtol 1e-4,
  atol 1e-5): Conv3D with pooling, ConvLSTM2D, LocallyConnected with PReLU, SpectralNormalization's updates;
- layer outputs and gradients (for the input and every weight) match tf.keras's where a model file cannot carry
  the case: ConvLSTM under masks, go_backwards, strides, dilation; LocallyConnected in channels_first.
"""
import json
import os
import warnings

import numpy as np
import pytest

import autograd as ag
from kerasfront import layers
from kerasfront.models import load_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference", "layers3d")
with open(os.path.join(FIXTURES, "manifest.json")) as _f:
    MANIFEST = json.load(_f)["cases"]
with open(os.path.join(FIXTURES, "outputs.json")) as _f:
    OUTPUT_CASES = json.load(_f)["cases"]
TRAIN = sorted(c for c, m in MANIFEST.items() if m["kind"] == "train")
RTOL, ATOL = 1e-4, 1e-5


def _data(case):
    return dict(np.load(os.path.join(FIXTURES, f"{case}.npz")))


def _listed(data, prefix):
    keys = sorted((k for k in data if k.startswith(prefix) and k[len(prefix):].isdigit()),
                  key=lambda k: int(k[len(prefix):]))
    return [data[k] for k in keys]


def _inputs(data, base="x"):
    xs = _listed(data, f"{base}_")
    return xs if xs else data[base]


def _load(case, suffix=""):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_model(os.path.join(FIXTURES, f"{case}{suffix}.h5"))


@pytest.mark.parametrize("case", sorted(MANIFEST))
def test_tf_keras_file_loads_and_predicts(case):
    data = _data(case)
    model = _load(case)
    stored = _listed(data, "w_")
    got = [w.numpy() for layer in model.layers for w in layer.weights]
    assert [g.shape for g in got] == [s.shape for s in stored]
    for g, s in zip(got, stored):
        np.testing.assert_array_equal(g, s)
    np.testing.assert_allclose(model.predict(_inputs(data), verbose=0), data["y_pred"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("case", TRAIN)
def test_training_reproduces_tf_keras_history_and_weights(case):
    data = _data(case)
    model = _load(case, "_initial")
    for g, s in zip(model.get_weights(), _listed(data, "w0_")):
        np.testing.assert_array_equal(g, s)
    hist = model.fit(_inputs(data, "train_x"), data["train_y"], verbose=0, **MANIFEST[case]["fit"])
    assert sorted(hist.history) == MANIFEST[case]["history_keys"]
    for key, values in hist.history.items():
        np.testing.assert_allclose(values, data[f"history_{key}"], rtol=RTOL, atol=ATOL, err_msg=key)
    final = [w.numpy() for layer in model.layers for w in layer.weights]
    for g, s in zip(final, _listed(data, "w1_")):
        np.testing.assert_allclose(g, s, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("i", range(len(OUTPUT_CASES)), ids=lambda i: f"{OUTPUT_CASES[i]['class_name']}-{i}")
def test_layer_outputs_and_gradients_match_tf_keras(i):
    spec = OUTPUT_CASES[i]
    arrays = np.load(os.path.join(FIXTURES, "outputs.npz"))
    get = lambda key: arrays[f"c{i}_{key}"]  # noqa: E731
    layer = layers.deserialize({"class_name": spec["class_name"], "config": spec["config"]})
    kwargs = {"mask": get("mask")} if spec["masked"] else {}
    x = ag.Tensor(get("x"), requires_grad=True)
    layer(x, **kwargs)
    assert [w.name for w in layer.weights] == spec["weights"]
    layer.set_weights([get(f"w{j}") for j in range(len(layer.weights))])
    outs = layer(x, **kwargs)
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == spec["outputs"]
    for j, o in enumerate(outs):
        np.testing.assert_allclose(o.numpy(), get(f"y{j}"), rtol=0, atol=1e-5)
    total = sum(ag.sum(o * get(f"u{j}")) for j, o in enumerate(outs))
    grads = ag.gradients(total, [x] + layer.trainable_weights)
    expected = [get("gx")] + [get(f"g{j}") for j in range(len(layer.trainable_weights))]
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.numpy(), e, rtol=RTOL, atol=ATOL)
