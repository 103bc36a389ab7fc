"""The attention layers against files and tables written by real tf.keras (tests/fixtures/keras_reference/attention,
made by tools/keras_cases/attention.py): the Transformer encoder block, Attention and AdditiveAttention models
train to tf.keras's history and final weights; every file loads and predicts; kerasfront's own file of each model
has tf.keras's layout (layer groups, weight names and order, config); and the layers reproduce tf.keras's outputs,
attention scores, weight shapes and configs for set weights and masks.
"""
import json
import os
import warnings

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from kerasfront.models import load_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference", "attention")
with open(os.path.join(FIXTURES, "manifest.json")) as _f:
    MANIFEST = json.load(_f)["cases"]
with open(os.path.join(FIXTURES, "attention_layers.json")) as _f:
    TABLES = json.load(_f)
ARRAYS = dict(np.load(os.path.join(FIXTURES, "attention_layers.npz")))
TRAIN = sorted(c for c, m in MANIFEST.items() if m["kind"] == "train")
CASES = sorted(MANIFEST)
RTOL, ATOL = 1e-4, 1e-5


def _path(name):
    return os.path.join(FIXTURES, name)


def _data(case):
    return dict(np.load(_path(f"{case}.npz")))


def _listed(data, prefix):
    keys = sorted((k for k in data if k.startswith(prefix) and k[len(prefix):].isdigit()),
                  key=lambda k: int(k[len(prefix):]))
    return [data[k] for k in keys]


def _inputs(data, base="x"):
    xs = _listed(data, f"{base}_")
    return xs if xs else data[base]


def _weights(model):
    """Weights in tf.keras's ``model.get_weights()`` order: layer by layer."""
    return [w.numpy() for layer in model.layers for w in layer.weights]


def _load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_model(path, **kw)


def _predict_matches(model, data):
    pred = model.predict(_inputs(data), verbose=0)
    pred = pred if isinstance(pred, list) else [pred]
    expected = _listed(data, "y_pred_") or [data["y_pred"]]
    assert len(pred) == len(expected)
    for p, e in zip(pred, expected):
        np.testing.assert_allclose(p, e, rtol=0, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_tf_keras_file_loads_and_predicts(case):
    data = _data(case)
    model = _load(_path(f"{case}.h5"))
    _predict_matches(model, data)
    stored = _listed(data, "w_")
    got = _weights(model)
    assert len(got) == len(stored)
    for g, s in zip(got, stored):
        np.testing.assert_array_equal(g, s)


@pytest.mark.parametrize("case", TRAIN)
def test_initial_file_fit_reproduces_tf_keras_history_and_weights(case):
    data = _data(case)
    model = _load(_path(f"{case}_initial.h5"))
    assert model.is_compiled
    history = model.fit(_inputs(data, "train_x"), data["train_y"], verbose=0, **MANIFEST[case]["fit"])
    epochs = MANIFEST[case]["fit"]["epochs"]
    assert sorted(history.history) == sorted(MANIFEST[case]["history_keys"])
    for key in MANIFEST[case]["history_keys"]:
        got = np.asarray(history.history[key])
        assert got.shape == (epochs,)
        np.testing.assert_allclose(got, data[f"history_{key}"], rtol=RTOL, atol=ATOL, err_msg=key)
    final, expected = _weights(model), _listed(data, "w1_")
    assert len(final) == len(expected)
    for i, (w, e) in enumerate(zip(final, expected)):
        np.testing.assert_allclose(w, e, rtol=RTOL, atol=ATOL, err_msg=f"weight {i}")


def _layer_groups(path):
    """{layer name: [weight names]} of the file's model_weights, and its model config's layers."""
    with h5py.File(path, "r") as f:
        group = f["model_weights"]
        names = {}
        for layer in group.attrs["layer_names"]:
            layer = layer.decode() if isinstance(layer, bytes) else layer
            ws = group[layer].attrs["weight_names"]
            names[layer] = [w.decode() if isinstance(w, bytes) else w for w in ws]
            for w in names[layer]:
                assert group[layer][w].shape is not None
        config = json.loads(f.attrs["model_config"])
    return names, config


@pytest.mark.parametrize("case", CASES)
def test_kerasfront_file_has_tf_keras_layout(case, tmp_path):
    """The file kerasfront writes for the model holds the groups, weight names, weight order and layer configs
    of tf.keras's own file, and reloads to the same predictions (tf.keras itself reads these files: checked
    by hand with tf_keras 2.21, see the report)."""
    data = _data(case)
    model = _load(_path(f"{case}.h5"))
    out = str(tmp_path / f"{case}.h5")
    model.save(out)
    ours, our_config = _layer_groups(out)
    theirs, their_config = _layer_groups(_path(f"{case}.h5"))
    assert ours == theirs
    ours_layers = {la["config"]["name"]: la for la in our_config["config"]["layers"]}
    for layer in their_config["config"]["layers"]:
        mine = ours_layers[layer["config"]["name"]]
        assert mine["class_name"] == layer["class_name"]
        if layer["class_name"] in ("MultiHeadAttention", "Attention", "AdditiveAttention"):
            for key, value in layer["config"].items():
                if not isinstance(value, dict):
                    assert mine["config"][key] == value, (layer["config"]["name"], key)
            assert mine["inbound_nodes"] == layer["inbound_nodes"]
    _predict_matches(_load(out), data)


# -- layer tables ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("i", range(len(TABLES["einsum_dense"])))
def test_einsum_dense_matches_tf_keras(i):
    row = TABLES["einsum_dense"][i]
    layer = layers.EinsumDense(row["equation"], output_shape=row["output_shape"], bias_axes=row["bias_axes"])
    symbolic = layer(keras.Input(batch_shape=tuple(row["input_shape"])))
    assert list(symbolic.shape) == row["symbolic_output_shape"]
    assert [list(w.shape) for w in layer.get_weights()] == row["weight_shapes"]
    layer.set_weights([ARRAYS[f"einsum_{i}_w{j}"] for j in range(len(row["weight_shapes"]))])
    np.testing.assert_allclose(layer(ARRAYS[f"einsum_{i}_x"]).numpy(), ARRAYS[f"einsum_{i}_y"], rtol=1e-5, atol=1e-5)
    config = layer.get_config()
    for key, value in row["config"].items():
        if key != "name" and not isinstance(value, dict):
            assert config[key] == value, key


@pytest.mark.parametrize("i", range(len(TABLES["multi_head_attention"])))
def test_multi_head_attention_matches_tf_keras(i):
    row = TABLES["multi_head_attention"][i]
    kw = dict(row["kwargs"])
    for k in ("output_shape", "attention_axes"):
        if isinstance(kw.get(k), list):
            kw[k] = tuple(kw[k])
    layer = layers.MultiHeadAttention(**kw, name=row["config"]["name"])
    q, v = ARRAYS[f"mha_{i}_q"], ARRAYS[f"mha_{i}_v"]
    key = ARRAYS[f"mha_{i}_k"] if row["has_key"] else None
    call = {}
    if row["mask"].startswith("attention"):
        call["attention_mask"] = ARRAYS[f"mha_{i}_mask"]
    elif row["mask"] == "causal":
        call["use_causal_mask"] = True
    qt, vt = q, v
    if row["mask"] == "keras":
        qt, vt = layers.Masking()(q), layers.Masking()(v)
    layer(qt, vt, key=key, **call)
    assert [w.name for w in layer.weights] == row["weight_names"]
    layer.set_weights([ARRAYS[f"mha_{i}_w{j}"] for j in range(len(row["weight_names"]))])
    out, scores = layer(qt, vt, key=key, return_attention_scores=True, **call)
    np.testing.assert_allclose(out.numpy(), ARRAYS[f"mha_{i}_out"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), ARRAYS[f"mha_{i}_scores"], rtol=1e-5, atol=1e-6)
    config = layer.get_config()
    for key_, value in row["config"].items():
        if not isinstance(value, dict):
            assert config[key_] == value, key_


@pytest.mark.parametrize("i", range(len(TABLES["dense_attention"])))
def test_dense_attention_matches_tf_keras(i):
    row = TABLES["dense_attention"][i]
    layer = getattr(layers, row["class_name"])(**row["kwargs"], name=row["config"]["name"])
    args = [ARRAYS[f"dense_{i}_in{j}"] for j in range(3) if f"dense_{i}_in{j}" in ARRAYS]
    call = dict(row["call"])
    if row["inputs"] == "masks":
        call["mask"] = [ARRAYS[f"dense_{i}_qmask"], ARRAYS[f"dense_{i}_vmask"]]
    layer(args)
    assert [w.name for w in layer.weights] == row["weight_names"]
    layer.set_weights([ARRAYS[f"dense_{i}_w{j}"] for j in range(len(row["weight_names"]))])
    out, scores = layer(args, return_attention_scores=True, **call)
    np.testing.assert_allclose(out.numpy(), ARRAYS[f"dense_{i}_out"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), ARRAYS[f"dense_{i}_scores"], rtol=1e-5, atol=1e-6)
    assert layer.get_config() == row["config"]
