"""Embedding and Masking: the shared layer test, lookups, masks, the tf.keras config, regularizers, constraints
and errors."""
import json
import os

import h5py
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.engine.base_layer import get_mask
from tests.kerasfront.layer_test_utils import layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


def test_embedding_shared():
    ids = np.array([[0, 3, 5, 1], [2, 2, 4, 0], [5, 1, 0, 3]], np.int32)
    out = layer_test(layers.Embedding, {"input_dim": 6, "output_dim": 3}, input_data=ids,
                     expected_output_shape=(None, 4, 3), expected_weight_shapes=[(6, 3)])
    assert out.shape == (3, 4, 3)


def test_embedding_looks_up_rows_and_initializes_uniformly():
    layer = layers.Embedding(50, 4, name="embedding")
    ids = np.array([[1, 7, 7], [0, 49, 3]])
    out = layer(ids).numpy()
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(out, table[ids])
    assert [w.name for w in layer.weights] == ["embedding/embeddings:0"]
    assert out.dtype == np.float32
    assert np.all(np.abs(table) <= 0.05) and table.std() > 0.01          # 'uniform': RandomUniform(-0.05, 0.05)
    # float ids are truncated to ints, as Keras casts them
    np.testing.assert_array_equal(layer(ids.astype(np.float32) + 0.4).numpy(), out)


def test_embedding_gradient_accumulates_repeated_ids():
    model = keras.Sequential([layers.Embedding(5, 2, input_length=3)])
    model.compile(keras.optimizers.SGD(1.0), "mse")
    before = model.get_weights()[0].copy()
    ids = np.array([[1, 1, 4]])
    model.train_on_batch(ids, np.zeros((1, 3, 2), np.float32))
    after = model.get_weights()[0]
    # d mean((E[ids])^2) / dE[i] = 2 * count(i) * E[i] / 6
    expected = before.copy()
    expected[1] -= 2 * 2 * before[1] / 6
    expected[4] -= 2 * 1 * before[4] / 6
    np.testing.assert_allclose(after, expected, rtol=1e-5, atol=1e-7)


def test_embedding_mask_zero_and_sequential_input():
    model = keras.Sequential([layers.Embedding(10, 3, mask_zero=True, input_length=4)])
    assert model.inputs[0].dtype == "int32" and model.output_shape == (None, 4, 3)
    emb = model.layers[0]
    ids = np.array([[4, 2, 0, 0], [1, 0, 3, 0]])
    out = emb(ids)
    np.testing.assert_array_equal(get_mask(out).numpy(), ids != 0)
    np.testing.assert_array_equal(emb.compute_mask(ids).numpy(), ids != 0)
    assert layers.Embedding(10, 3).compute_mask(ids) is None
    # a list of ids stays integer
    np.testing.assert_array_equal(emb([[4, 2, 0, 0]]).numpy(), out.numpy()[:1])


def test_embedding_config_equals_tf_keras_file():
    with h5py.File(os.path.join(FIXTURES, "embedding_l2_sample_weight.h5"), "r") as f:
        model_config = json.loads(f.attrs["model_config"])
    entry = next(e for e in model_config["config"]["layers"] if e["class_name"] == "Embedding")
    layer = layers.deserialize({"class_name": "Embedding", "config": entry["config"]})
    got = json.loads(json.dumps(layer.get_config(), default=list))

    def strip(c):
        if isinstance(c, dict):
            return {k: strip(v) for k, v in c.items() if k not in ("module", "registered_name")}
        return c
    assert got == strip(entry["config"])
    assert layers.Embedding(3, 2).get_config()["batch_input_shape"] == (None, None)


def test_embedding_regularizer_constraint_and_input_length():
    layer = layers.Embedding(4, 2, embeddings_regularizer=keras.regularizers.l2(0.1),
                             embeddings_constraint=keras.constraints.NonNeg(), embeddings_initializer="ones")
    layer(np.array([[1, 2]]))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0].numpy(), 0.1 * 8, rtol=1e-6)
    assert layer.weights[0].constraint is not None
    fixed = layers.Embedding(4, 2, input_length=3, name="emb3")
    with pytest.raises(ValueError, match=r"emb3.*input_length.*3.*\(None, 5\)"):
        fixed(keras.Input((5,), dtype="int32"))


def test_embedding_errors():
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        layers.Embedding(3, -1)
    with pytest.raises(TypeError, match="mask_zero"):
        layers.Embedding(3, 2, mask_zero="yes")
    with pytest.raises(ValueError, match="input_length"):
        layers.Embedding(3, 2, input_length=0)
    layer = layers.Embedding(3, 2)
    with pytest.raises(ValueError, match=r"id 3 is outside the vocabulary \[0, 3\)"):
        layer(np.array([[0, 3]]))


def test_masking_shared_and_values():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]], [[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]]], np.float32)
    # (random data: a finite difference at an exactly masked step would flip the mask)
    layer_test(layers.Masking, {"mask_value": 0.0}, input_shape=(2, 3, 2), expected_output_shape=(None, 3, 2),
               expected_num_weights=0)
    np.testing.assert_array_equal(layers.Masking()(x).numpy(), x)
    xt = ag.Tensor(x, requires_grad=True)
    (grad,) = ag.gradients(ag.sum(layers.Masking(mask_value=5.0)(xt) * 3.0), [xt])
    np.testing.assert_array_equal(grad.numpy()[:, :, 0], [[3, 3, 3], [3, 3, 0]])
    layer = layers.Masking(mask_value=5.0)
    y = layer(x)
    np.testing.assert_array_equal(get_mask(y).numpy(), [[True, True, True], [True, True, False]])
    np.testing.assert_array_equal(y.numpy()[1, 2], [0.0, 0.0])     # masked steps are zeroed
    assert layer.get_config()["mask_value"] == 5.0
    with pytest.raises(ValueError, match="mask_value"):
        layers.Masking(mask_value="pad")


def test_embedding_sparse_is_refused():
    assert layers.Embedding(3, 2, sparse=False).input_dim == 3
    with pytest.raises(ValueError, match="sparse=True"):
        layers.Embedding(3, 2, sparse=True)
