"""Merge layers and their functional forms: the shared layer test, values against numpy, Keras's broadcasting
of lower-rank inputs, masks, configs and errors."""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.engine.base_layer import get_mask
from tests.kerasfront.layer_test_utils import layer_test


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


ELEMENTWISE = [
    (layers.Add, lambda a: a[0] + a[1] + a[2]),
    (layers.Multiply, lambda a: a[0] * a[1] * a[2]),
    (layers.Average, lambda a: (a[0] + a[1] + a[2]) / 3),
    (layers.Maximum, lambda a: np.maximum(np.maximum(a[0], a[1]), a[2])),
    (layers.Minimum, lambda a: np.minimum(np.minimum(a[0], a[1]), a[2])),
]


@pytest.mark.parametrize("cls,fn", ELEMENTWISE)
def test_elementwise_shared_and_values(cls, fn):
    out = layer_test(cls, {}, input_shape=[(2, 3, 4)] * 3, expected_output_shape=(None, 3, 4),
                     expected_num_weights=0)
    data = [np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32) for _ in range(3)]
    got = cls()([ag.Tensor(d) for d in data]).numpy()
    np.testing.assert_allclose(got, fn(data), rtol=1e-6)
    assert out.shape == (2, 3, 4)


def test_subtract_and_broadcasting_like_keras():
    layer_test(layers.Subtract, {}, input_shape=[(2, 4), (2, 4)], expected_output_shape=(None, 4))
    a, b = _x(2, 5, 4), _x(2, 4, seed=1)
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b[:, None, :], rtol=1e-6)
    # a size-1 axis broadcasts; the lower-rank input gets its new axes after the batch axis
    c = _x(2, 1, 4, seed=2)
    np.testing.assert_allclose(layers.Add()([a, c]).numpy(), a + c, rtol=1e-6)
    assert layers.add([keras.Input((5, 4)), keras.Input((4,))]).shape == (None, 5, 4)


def test_concatenate_shared_and_axes():
    out = layer_test(layers.Concatenate, {"axis": 1}, input_shape=[(2, 3, 4), (2, 1, 4)],
                     expected_output_shape=(None, 4, 4))
    assert out.shape == (2, 4, 4)
    a, b = _x(2, 3), _x(2, 5, seed=1)
    np.testing.assert_array_equal(layers.Concatenate()([a, b]).numpy(), np.concatenate([a, b], -1))
    assert layers.Concatenate(axis=-2).get_config()["axis"] == -2


def test_dot_shared_values_and_normalize():
    layer_test(layers.Dot, {"axes": 1}, input_shape=[(3, 4), (3, 4)], expected_output_shape=(None, 1))
    layer_test(layers.Dot, {"axes": (1, 2), "normalize": True}, input_shape=[(2, 3, 4), (2, 5, 3)],
               expected_output_shape=(None, 4, 5))
    a, b = _x(3, 4), _x(3, 4, seed=1)
    np.testing.assert_allclose(layers.Dot(axes=1)([a, b]).numpy(), np.sum(a * b, 1, keepdims=True), rtol=1e-5)
    cos = np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(layers.Dot(axes=-1, normalize=True)([a, b]).numpy()[:, 0], cos, rtol=1e-5)
    x, y = _x(2, 3, 4), _x(2, 5, 3, seed=1)
    np.testing.assert_allclose(layers.Dot(axes=(1, 2))([x, y]).numpy(), np.einsum("bij,bkj->bik", x.transpose(0, 2, 1),
                                                                                   y), rtol=1e-5, atol=1e-6)
    config = layers.Dot(axes=[1, 2], normalize=True, name="dot_cfg").get_config()
    assert config == {"name": "dot_cfg", "trainable": True, "dtype": "float32", "axes": [1, 2], "normalize": True}


def test_functional_forms_build_graphs():
    a, b = keras.Input((4,)), keras.Input((4,))
    outs = [layers.add([a, b]), layers.subtract([a, b]), layers.multiply([a, b]), layers.average([a, b]),
            layers.maximum([a, b]), layers.minimum([a, b]), layers.concatenate([a, b]), layers.dot([a, b], axes=1),
            layers.concatenate([a, b], axis=1, name="cat")]
    assert [tuple(o.shape) for o in outs] == [(None, 4)] * 6 + [(None, 8), (None, 1), (None, 8)]
    model = keras.Model([a, b], outs)
    x, y = _x(3, 4), _x(3, 4, seed=1)
    res = model.predict([x, y], verbose=0)
    np.testing.assert_allclose(res[0], x + y, rtol=1e-6)
    np.testing.assert_allclose(res[1], x - y, rtol=1e-6)
    np.testing.assert_allclose(res[4], np.maximum(x, y))
    assert model.layers[-1].name == "cat"


def test_merge_masks():
    ids1 = np.array([[1, 2, 0], [3, 0, 0]])
    ids2 = np.array([[1, 0, 4], [3, 3, 0]])
    emb = layers.Embedding(5, 2, mask_zero=True)
    e1, e2 = emb(ids1), emb(ids2)
    added = layers.Add()([e1, e2])
    np.testing.assert_array_equal(get_mask(added).numpy(), (ids1 != 0) & (ids2 != 0))
    cat = layers.Concatenate(axis=1)([e1, e2])
    np.testing.assert_array_equal(get_mask(cat).numpy(), np.concatenate([ids1 != 0, ids2 != 0], 1))
    plain = ag.Tensor(_x(2, 3, 2))
    cat_last = layers.Concatenate()([e1, plain])
    np.testing.assert_array_equal(get_mask(cat_last).numpy(), ids1 != 0)
    assert get_mask(layers.Dot(axes=2)([e1, e2])) is None
    assert layers.Add().compute_mask([e1, e2], [None, None]) is None


def test_merge_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"add_err.*incompatible shapes.*\(None, 3\).*\(None, 4\)"):
        layers.Add(name="add_err")([keras.Input((3,)), keras.Input((4,))])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(keras.Input((3,)))
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([keras.Input((3,))] * 3)
    with pytest.raises(ValueError, match=r"cat_err.*matching shapes.*\(None, 3, 4\), \(None, 2, 5\)"):
        layers.Concatenate(axis=1, name="cat_err")([keras.Input((3, 4)), keras.Input((2, 5))])
    with pytest.raises(ValueError, match=r"dot_err.*axis values 4.*!= 5"):
        layers.Dot(axes=1, name="dot_err")([keras.Input((4,)), keras.Input((5,))])
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="axes"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([ag.Tensor(_x(2, 3)), ag.Tensor(_x(3, 3))])
