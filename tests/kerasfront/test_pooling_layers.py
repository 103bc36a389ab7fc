"""Pooling layers: the shared layer test, windows against a plain-loop reference ('same' pads as TensorFlow and
averages only real entries), global pooling with keepdims and masks, tf.keras's config keys, and errors."""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.conv_reference import pool2d_ref
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(1)


@pytest.mark.parametrize("cls,kwargs,shape,expected", [
    (layers.MaxPooling1D, {}, (2, 5, 3), (None, 2, 3)),
    (layers.MaxPooling1D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 4, 3), (None, 4, 3)),
    (layers.AveragePooling1D, {"pool_size": 2, "padding": "same"}, (2, 5, 3), (None, 3, 3)),
    (layers.MaxPooling2D, {"pool_size": (2, 3), "strides": 1}, (2, 4, 4, 2), (None, 3, 2, 2)),
    (layers.MaxPooling2D, {"padding": "same"}, (2, 3, 5, 2), (None, 2, 3, 2)),
    (layers.AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 4, 2), (None, 3, 2, 2)),
    (layers.AveragePooling2D, {"data_format": "channels_first"}, (2, 3, 4, 4), (None, 3, 2, 2)),
    (layers.GlobalMaxPooling1D, {}, (2, 4, 3), (None, 3)),
    (layers.GlobalAveragePooling1D, {"keepdims": True}, (2, 4, 3), (None, 1, 3)),
    (layers.GlobalMaxPooling2D, {}, (2, 3, 4, 2), (None, 2)),
    (layers.GlobalAveragePooling2D, {"data_format": "channels_first", "keepdims": True}, (2, 3, 4, 2),
     (None, 3, 1, 1)),
])
def test_pooling_layers_shared(cls, kwargs, shape, expected):
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=expected, expected_num_weights=0)


@pytest.mark.parametrize("kind,cls", [("max", layers.MaxPooling2D), ("avg", layers.AveragePooling2D)])
@pytest.mark.parametrize("kwargs,shape", [
    ({"pool_size": 2}, (2, 7, 6, 3)),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 6, 3)),
    ({"pool_size": 2, "padding": "same"}, (2, 5, 5, 3)),
    ({"pool_size": (3, 2), "strides": (1, 2), "padding": "same"}, (1, 4, 5, 2)),
    ({"pool_size": 4, "strides": 3}, (1, 9, 8, 2)),
])
def test_pool2d_matches_loop_reference(kind, cls, kwargs, shape):
    layer = cls(**kwargs)
    x = RNG.standard_normal(shape).astype(np.float32)
    ref = pool2d_ref(x, layer.pool_size, layer.strides, layer.padding, kind)
    np.testing.assert_allclose(layer(x).numpy(), ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind,cls", [("max", layers.MaxPooling1D), ("avg", layers.AveragePooling1D)])
@pytest.mark.parametrize("kwargs", [{}, {"pool_size": 3, "strides": 1, "padding": "same"},
                                    {"pool_size": 3, "strides": 2}])
def test_pool1d_is_the_2d_pool_on_a_row(kind, cls, kwargs):
    layer = cls(**kwargs)
    x = RNG.standard_normal((2, 8, 3)).astype(np.float32)
    ref = pool2d_ref(x[:, None], (1,) + layer.pool_size, (1,) + layer.strides, layer.padding, kind)[:, 0]
    np.testing.assert_allclose(layer(x).numpy(), ref, rtol=1e-6, atol=1e-6)


def test_same_average_counts_only_real_entries():
    out = layers.AveragePooling2D(2, padding="same")(np.ones((1, 3, 3, 1), np.float32)).numpy()
    np.testing.assert_array_equal(out, np.ones((1, 2, 2, 1)))


def test_max_pool_gradient_goes_to_the_maximum():
    x = ag.Tensor(np.array([[[[1.0], [3.0]], [[2.0], [0.0]]]], np.float32), requires_grad=True)
    ag.sum(layers.MaxPooling2D(2)(x)).backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, :, :, 0], [[0, 1], [0, 0]])


def test_global_pooling_values_and_channels_first():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(layers.GlobalMaxPooling2D(data_format="channels_first")(x).numpy(),
                               x.max(axis=(2, 3)), rtol=1e-6)
    np.testing.assert_allclose(layers.GlobalMaxPooling1D(keepdims=True)(x[:, 0]).numpy(),
                               x[:, 0].max(axis=1, keepdims=True), rtol=1e-6)


def test_global_average_pooling1d_averages_unmasked_steps():
    ids = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    emb = layers.Embedding(5, 3, mask_zero=True)
    gap = layers.GlobalAveragePooling1D()
    vectors = emb(ids)
    out = gap(vectors).numpy()
    v = vectors.numpy()
    np.testing.assert_allclose(out, [v[0, :2].mean(axis=0), v[1, :1].mean(axis=0)], rtol=1e-6)
    explicit = gap(vectors, mask=np.array([[True, False, True, False], [True, True, True, True]])).numpy()
    np.testing.assert_allclose(explicit, [v[0, [0, 2]].mean(axis=0), v[1].mean(axis=0)], rtol=1e-6)
    # the mask stops here, as in Keras
    inp = keras.Input(shape=(4,), dtype="int32")
    model = keras.Model(inp, layers.GlobalAveragePooling1D()(layers.Embedding(5, 3, mask_zero=True)(inp)))
    assert model.predict(ids, verbose=0).shape == (2, 3)


def test_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D and layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D


@pytest.mark.parametrize("layer,keys", [
    (layers.MaxPooling1D(), ["strides", "pool_size", "padding", "data_format"]),
    (layers.AveragePooling2D(), ["pool_size", "padding", "strides", "data_format"]),
    (layers.GlobalAveragePooling1D(), ["data_format", "keepdims"]),
    (layers.GlobalMaxPooling2D(), ["data_format", "keepdims"]),
])
def test_config_keys_are_tf_keras_ones(layer, keys):
    """tf_keras 2.21's keys; 1-d pools store (2,) tuples and strides default to the pool size."""
    config = layer.get_config()
    assert list(config) == ["name", "trainable", "dtype"] + keys
    if "pool_size" in keys:
        rank = 1 if "1D" in type(layer).__name__ else 2
        assert config["pool_size"] == config["strides"] == (2,) * rank


@pytest.mark.parametrize("make,match", [
    (lambda: layers.MaxPooling2D(0), "pool_size"),
    (lambda: layers.MaxPooling2D(2, strides=(1, 2, 3)), "strides"),
    (lambda: layers.AveragePooling1D(2, padding="causal"), "padding"),
    (lambda: layers.GlobalAveragePooling2D(data_format="NCHW"), "data_format"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_shape_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"pool_a.*\(None, 2, 2, 1\)"):
        layers.MaxPooling2D(3, name="pool_a")(keras.Input(shape=(2, 2, 1)))
    with pytest.raises(ValueError, match=r"pool_b.*ndim"):
        layers.MaxPooling2D(2, name="pool_b")(keras.Input(shape=(4, 4)))


def test_unknown_spatial_sizes_stay_unknown():
    """2 // 2 == 3 // 2: the pooled size of an unknown length must not be guessed from placeholder batches."""
    assert tuple(layers.MaxPooling1D(2)(keras.Input(shape=(None, 3))).shape) == (None, None, 3)
    assert tuple(layers.AveragePooling2D(4)(keras.Input(shape=(None, 9, 3))).shape) == (None, None, 2, 3)
    assert tuple(layers.MaxPooling2D(2, data_format="channels_first")(keras.Input(shape=(3, 8, None))).shape) == \
        (None, 3, 4, None)


@pytest.mark.parametrize("cls,shape", [("GlobalAveragePooling2D", (3, 9, 7, 5)),
                                       ("GlobalAveragePooling3D", (2, 4, 5, 3, 6))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_global_average_pooling_in_inference_is_the_mean(cls, shape, data_format, keepdims, dtype):
    # inference runs a product with a row of ones (see pooling._spatial_mean); with a gradient, ag.mean itself
    x = (np.random.default_rng(5).random(shape) * 4 + 1).astype(dtype)
    layer = getattr(keras.layers, cls)(data_format=data_format, keepdims=keepdims, dtype=dtype)
    axes = tuple(range(2, len(shape))) if data_format == "channels_first" else tuple(range(1, len(shape) - 1))
    want = x.astype(np.float64).mean(axis=axes, keepdims=keepdims)
    with ag.no_grad():
        fast = layer(x)
    xt = ag.tensor(x, requires_grad=True)
    plain = layer(xt)
    assert fast.dtype == plain.dtype == x.dtype and fast.shape == plain.shape == want.shape
    np.testing.assert_allclose(np.asarray(fast.data), want, rtol=1e-6 if dtype == "float32" else 1e-13)
    np.testing.assert_array_equal(np.asarray(plain.data), ag.mean(x, axis=axes, keepdims=keepdims).data)
    (g,) = ag.gradients(ag.sum(plain), [xt])
    np.testing.assert_allclose(g.data, np.full(shape, 1 / np.prod([shape[a] for a in axes])), rtol=1e-6)
