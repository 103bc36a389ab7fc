"""ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D: the shared layer test, values against numpy, the argument
forms Keras accepts (normalized in the config as tf.keras does), and errors."""
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(2)


@pytest.mark.parametrize("cls,kwargs,shape,expected", [
    (layers.ZeroPadding1D, {"padding": (1, 2)}, (2, 3, 2), (None, 6, 2)),
    (layers.ZeroPadding2D, {"padding": ((1, 0), (2, 1))}, (2, 2, 3, 2), (None, 3, 6, 2)),
    (layers.ZeroPadding2D, {"padding": 1, "data_format": "channels_first"}, (2, 2, 3, 3), (None, 2, 5, 5)),
    (layers.Cropping1D, {"cropping": (1, 2)}, (2, 5, 2), (None, 2, 2)),
    (layers.Cropping2D, {"cropping": ((1, 0), (0, 2))}, (2, 3, 4, 2), (None, 2, 2, 2)),
    (layers.Cropping2D, {"cropping": 1, "data_format": "channels_first"}, (2, 2, 4, 3), (None, 2, 2, 1)),
    (layers.UpSampling1D, {"size": 3}, (2, 2, 3), (None, 6, 3)),
    (layers.UpSampling2D, {"size": (2, 3)}, (2, 2, 2, 1), (None, 4, 6, 1)),
    (layers.UpSampling2D, {"size": 2, "interpolation": "bilinear"}, (2, 2, 3, 2), (None, 4, 6, 2)),
])
def test_reshaping_layers_shared(cls, kwargs, shape, expected):
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=expected, expected_num_weights=0)


def test_padding_and_cropping_values():
    x = RNG.standard_normal((2, 3, 4, 2)).astype(np.float32)
    padded = layers.ZeroPadding2D(((1, 2), (3, 0)))(x).numpy()
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (1, 2), (3, 0), (0, 0))))
    np.testing.assert_array_equal(layers.Cropping2D(((1, 2), (3, 0)))(padded).numpy(), x)
    x1 = x[:, 0]
    padded1 = layers.ZeroPadding1D(2)(x1).numpy()
    np.testing.assert_array_equal(padded1, np.pad(x1, ((0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(layers.Cropping1D(2)(padded1).numpy(), x1)


def test_upsampling_nearest_repeats():
    x = RNG.standard_normal((2, 3, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(layers.UpSampling2D((2, 3))(x).numpy(), x.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(layers.UpSampling1D(2)(x[:, 0]).numpy(), x[:, 0].repeat(2, axis=1))


def test_upsampling_bilinear_uses_half_pixel_centers():
    """tf.image.resize (bilinear, half-pixel centers) of [0, 1] to 4 entries is [0, .25, .75, 1]; the two axes
    are interpolated independently."""
    x = np.array([0.0, 1.0], np.float32)
    img = (x[:, None] * 2 + x[None, :]).reshape(1, 2, 2, 1)
    out = layers.UpSampling2D(2, interpolation="bilinear")(img).numpy()[0, :, :, 0]
    line = np.array([0.0, 0.25, 0.75, 1.0])
    np.testing.assert_allclose(out, line[:, None] * 2 + line[None, :], rtol=1e-6)


def test_argument_forms_normalized_in_config():
    assert layers.ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 2)).get_config()["padding"] == ((1, 1), (2, 2))
    assert layers.Cropping2D(1).get_config()["cropping"] == ((1, 1), (1, 1))
    assert layers.Cropping1D(2).get_config()["cropping"] == (2, 2)
    assert layers.ZeroPadding1D((1, 2)).get_config()["padding"] == (1, 2)
    assert layers.UpSampling2D(2).get_config()["size"] == (2, 2)


@pytest.mark.parametrize("layer,keys", [
    (layers.ZeroPadding1D(), ["padding"]),
    (layers.ZeroPadding2D(), ["padding", "data_format"]),
    (layers.Cropping1D(), ["cropping"]),
    (layers.Cropping2D(), ["cropping", "data_format"]),
    (layers.UpSampling1D(), ["size"]),
    (layers.UpSampling2D(), ["size", "data_format", "interpolation"]),
])
def test_config_keys_are_tf_keras_ones(layer, keys):
    assert list(layer.get_config()) == ["name", "trainable", "dtype"] + keys


@pytest.mark.parametrize("make,match", [
    (lambda: layers.ZeroPadding2D((1, 2, 3)), "padding"),
    (lambda: layers.ZeroPadding1D(-1), "padding"),
    (lambda: layers.Cropping2D(((1, 2), (3,))), "cropping"),
    (lambda: layers.UpSampling2D(0), "size"),
    (lambda: layers.UpSampling1D(1.5), "size"),
    (lambda: layers.UpSampling2D(2, interpolation="lanczos7"), "interpolation"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_cropping_everything_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"crop_a.*\(None, 3, 2\)"):
        layers.Cropping1D((2, 1), name="crop_a")(keras.Input(shape=(3, 2)))
    with pytest.raises(ValueError, match=r"crop_b.*\(1, 4, 4, 1\)"):
        layers.Cropping2D(2, name="crop_b")(np.zeros((1, 4, 4, 1), np.float32))
    # unknown sizes are checked on real data only
    inp = keras.Input(shape=(None, 2))
    assert tuple(layers.Cropping1D(1)(inp).shape) == (None, None, 2)
