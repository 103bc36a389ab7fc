"""SpatialDropout1D/2D, GaussianNoise, GaussianDropout, ActivityRegularization: identity at inference, the
right noise structure and statistics when training, seeds, the activity penalty in fit's loss, configs, errors."""
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test


@pytest.mark.parametrize("cls,kwargs,shape", [
    (layers.SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
    (layers.SpatialDropout2D, {"rate": 0.5}, (2, 3, 3, 4)),
    (layers.GaussianNoise, {"stddev": 0.3}, (2, 3)),
    (layers.GaussianDropout, {"rate": 0.3}, (2, 3)),
    (layers.ActivityRegularization, {"l1": 0.1, "l2": 0.2}, (2, 3)),
])
def test_regularization_layers_shared_and_identity_at_inference(cls, kwargs, shape):
    out = layer_test(cls, kwargs, input_shape=shape, expected_output_shape=(None,) + shape[1:],
                     expected_num_weights=0)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(cls(**kwargs)(x, training=False).numpy(), x)


@pytest.mark.parametrize("cls,kwargs,shape", [
    (layers.SpatialDropout1D, {"rate": 0.4, "seed": 3}, (2, 3, 4)),
    (layers.SpatialDropout2D, {"rate": 0.4, "seed": 3}, (2, 3, 3, 4)),
    (layers.GaussianNoise, {"stddev": 0.3, "seed": 3}, (2, 3)),
    (layers.GaussianDropout, {"rate": 0.3, "seed": 3}, (2, 3)),
])
def test_training_gradients_through_the_drawn_noise(cls, kwargs, shape):
    """With a seed each layer instance draws the same noise on its first call, so the float64 gradient check
    runs against a fixed mask (the rebuilt float64 layer reseeds too)."""
    class Reseeded(cls):
        def call(self, inputs, training=None):
            self._rng = np.random.default_rng(kwargs["seed"])
            return super().call(inputs, training=training)
    layer_test(Reseeded, kwargs, input_shape=shape, expected_output_shape=(None,) + shape[1:], training=True,
               custom_objects={"Reseeded": Reseeded})


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((64, 5, 6), np.float32)
    y = layers.SpatialDropout1D(0.5, seed=0)(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert (y == y[:, :1]).all()                      # one draw per (sample, channel), shared by the steps
    assert 0.35 < (y == 0).mean() < 0.65
    x2 = np.ones((32, 3, 3, 5), np.float32)
    y2 = layers.SpatialDropout2D(0.5, seed=0)(x2, training=True).numpy()
    assert (y2 == y2[:, :1, :1]).all() and set(np.unique(y2)) == {0.0, 2.0}
    y3 = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=0)(x2, training=True).numpy()
    assert (y3 == y3[:, :, :1, :1]).all()


def test_gaussian_layers_statistics():
    x = np.ones((200, 100), np.float32)
    noise = layers.GaussianNoise(0.5, seed=1)(x, training=True).numpy() - 1.0
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.5) < 0.02
    y = layers.GaussianDropout(0.2, seed=1)(x, training=True).numpy()
    assert abs(y.mean() - 1.0) < 0.02 and abs(y.std() - np.sqrt(0.2 / 0.8)) < 0.02
    assert y.dtype == np.float32


def test_seeded_layers_repeat_and_differ_between_calls():
    a = layers.GaussianNoise(1.0, seed=5)
    b = layers.GaussianNoise(1.0, seed=5)
    x = np.zeros((3, 4), np.float32)
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    assert not np.array_equal(first, a(x, training=True).numpy())


def test_activity_regularization_adds_the_penalty_divided_by_batch():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / 2
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-6)
    model = keras.Sequential([keras.Input(shape=(2,)), layers.ActivityRegularization(l2=1.0)])
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(x, np.zeros_like(x), verbose=0)
    np.testing.assert_allclose(loss, (x ** 2).mean() + (x ** 2).sum() / 2, rtol=1e-5)


@pytest.mark.parametrize("layer,keys", [
    (layers.SpatialDropout1D(0.5), ["rate", "noise_shape", "seed"]),
    (layers.SpatialDropout2D(0.5), ["rate", "noise_shape", "seed"]),
    (layers.GaussianNoise(0.1), ["stddev", "seed"]),
    (layers.GaussianDropout(0.1), ["rate", "seed"]),
    (layers.ActivityRegularization(), ["l1", "l2"]),
])
def test_config_keys_are_tf_keras_ones(layer, keys):
    assert list(layer.get_config()) == ["name", "trainable", "dtype"] + keys


@pytest.mark.parametrize("make,err,match", [
    (lambda: layers.SpatialDropout1D(1.0), ValueError, "rate"),
    (lambda: layers.GaussianDropout(-0.1), ValueError, "rate"),
    (lambda: layers.GaussianNoise(-1.0), ValueError, "stddev"),
    (lambda: layers.GaussianNoise(0.1, seed="x"), TypeError, "seed"),
    (lambda: layers.ActivityRegularization(l1=-1.0), ValueError, "l1"),
    (lambda: layers.SpatialDropout2D(0.1, data_format="NHWC"), ValueError, "data_format"),
])
def test_bad_arguments(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_spatial_dropout_rank_error_names_layer():
    with pytest.raises(ValueError, match=r"sd_a"):
        layers.SpatialDropout1D(0.5, name="sd_a")(keras.Input(shape=(3,)))


def test_alpha_dropout_keeps_selu_statistics_and_is_identity_at_inference():
    x = np.random.default_rng(0).standard_normal((400, 250)).astype(np.float32)
    layer = layers.AlphaDropout(0.2, seed=0)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    assert y.dtype == np.float32
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    dropped_value = np.float32(0.2 * 1.7580993408473766 * ((0.8 * (1 + 0.2 * 1.7580993408473766 ** 2)) ** -0.5) -
                               1.7580993408473766 * ((0.8 * (1 + 0.2 * 1.7580993408473766 ** 2)) ** -0.5))
    assert 0.15 < np.isclose(y, dropped_value, atol=1e-6).mean() < 0.25
    assert list(layer.get_config()) == ["name", "trainable", "dtype", "rate", "seed"]
    shared = layers.AlphaDropout(0.5, noise_shape=(None, 1), seed=1)(np.zeros((4, 6), np.float32), training=True)
    assert (shared.numpy() == shared.numpy()[:, :1]).all()
