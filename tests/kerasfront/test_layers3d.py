"""Volumetric layers: Conv3D, Conv3DTranspose, MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D,
GlobalAveragePooling3D, UpSampling3D, ZeroPadding3D, Cropping3D, SpatialDropout3D and their aliases, through the
shared layer test, channels_first against channels_last, and argument errors that name the argument.
(Numbers against real tf.keras: test_reference_layers3d.py.)"""
import warnings

import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("kwargs,in_shape,out_shape,weights", [
    ({"filters": 2, "kernel_size": 2}, (2, 3, 4, 3, 2), (None, 2, 3, 2, 2), [(2, 2, 2, 2, 2), (2,)]),
    ({"filters": 4, "kernel_size": (1, 2, 2), "groups": 2, "padding": "same", "strides": (1, 2, 1)},
     (2, 3, 4, 3, 2), (None, 3, 2, 3, 4), [(1, 2, 2, 1, 4), (4,)]),
    ({"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1, 1), "use_bias": False, "activation": "tanh"},
     (2, 3, 3, 3, 1), (None, 1, 2, 2, 2), [(2, 2, 2, 1, 2)]),
])
def test_conv3d_layer(kwargs, in_shape, out_shape, weights):
    layer_test(layers.Conv3D, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
               expected_weight_shapes=weights)


@pytest.mark.parametrize("kwargs,in_shape,out_shape", [
    ({"filters": 2, "kernel_size": 2, "strides": 2}, (2, 2, 2, 3, 3), (None, 4, 4, 6, 2)),
    ({"filters": 3, "kernel_size": 3, "strides": (1, 2, 2), "padding": "same", "output_padding": (0, 1, 0)},
     (1, 2, 2, 2, 2), (None, 2, 4, 3, 3)),
    ({"filters": 1, "kernel_size": (2, 1, 3), "padding": "valid"}, (2, 2, 2, 2, 2), (None, 3, 2, 4, 1)),
])
def test_conv3d_transpose_layer(kwargs, in_shape, out_shape):
    c = in_shape[-1]
    layer_test(layers.Conv3DTranspose, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
               expected_weight_shapes=[tuple(np.broadcast_to(kwargs["kernel_size"], 3)) + (kwargs["filters"], c),
                                       (kwargs["filters"],)])


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape", [
    (layers.MaxPooling3D, {}, (2, 4, 4, 5, 2), (None, 2, 2, 2, 2)),
    (layers.MaxPooling3D, {"pool_size": (2, 1, 3), "strides": 1, "padding": "same"}, (2, 2, 3, 4, 1),
     (None, 2, 3, 4, 1)),
    (layers.AveragePooling3D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 3, 4, 5, 2), (None, 2, 2, 3, 2)),
    (layers.AveragePooling3D, {"pool_size": (1, 2, 2)}, (2, 3, 4, 5, 2), (None, 3, 2, 2, 2)),
    (layers.GlobalMaxPooling3D, {}, (2, 3, 2, 2, 3), (None, 3)),
    (layers.GlobalAveragePooling3D, {"keepdims": True}, (2, 3, 2, 2, 3), (None, 1, 1, 1, 3)),
    (layers.UpSampling3D, {"size": (1, 2, 3)}, (2, 2, 2, 2, 2), (None, 2, 4, 6, 2)),
    (layers.ZeroPadding3D, {"padding": (1, (0, 2), 0)}, (2, 2, 2, 2, 2), (None, 4, 4, 2, 2)),
    (layers.Cropping3D, {"cropping": (1, (0, 2), 0)}, (2, 3, 4, 2, 2), (None, 1, 2, 2, 2)),
])
def test_window_and_reshaping_layers(cls, kwargs, in_shape, out_shape):
    if cls is layers.MaxPooling3D:
        # distinct values: the numerical gradient of a max is meaningful away from ties
        data = RNG.permutation(np.prod(in_shape)).reshape(in_shape).astype("float32") * 0.1
        layer_test(cls, kwargs, input_data=data, expected_output_shape=out_shape, expected_num_weights=0)
    else:
        layer_test(cls, kwargs, input_shape=in_shape, expected_output_shape=out_shape, expected_num_weights=0)


def test_spatial_dropout3d_drops_whole_channels_only_when_training():
    layer_test(layers.SpatialDropout3D, {"rate": 0.5}, input_shape=(2, 3, 2, 2, 4),
               expected_output_shape=(None, 3, 2, 2, 4), gradcheck=False)
    layer = layers.SpatialDropout3D(0.5, seed=3)
    x = np.ones((4, 2, 3, 2, 6), "float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    per_channel = y.reshape(4, -1, 6)
    assert set(np.unique(y)) <= {0.0, 2.0} and (per_channel == per_channel[:, :1]).all()
    assert 0 < (y == 0).mean() < 1
    y = layers.SpatialDropout3D(0.5, data_format="channels_first", seed=3)(np.ones((4, 6, 2, 3, 2), "float32"),
                                                                          training=True).numpy()
    assert (y.reshape(4, 6, -1) == y.reshape(4, 6, -1)[:, :, :1]).all()
    assert "data_format" not in layers.SpatialDropout3D(0.5).get_config()       # as tf.keras


@pytest.mark.parametrize("make", [
    lambda df: layers.Conv3D(3, (2, 1, 2), strides=(1, 1, 2), padding="same", data_format=df),
    lambda df: layers.Conv3DTranspose(2, 2, strides=2, data_format=df),
    lambda df: layers.MaxPooling3D(2, padding="same", data_format=df),
    lambda df: layers.AveragePooling3D((1, 2, 2), data_format=df),
    lambda df: layers.GlobalAveragePooling3D(data_format=df, keepdims=True),
    lambda df: layers.UpSampling3D((2, 1, 2), data_format=df),
    lambda df: layers.ZeroPadding3D((0, 1, (1, 2)), data_format=df),
    lambda df: layers.Cropping3D((0, 1, (1, 0)), data_format=df),
])
def test_channels_first_is_channels_last_transposed(make):
    x = RNG.standard_normal((2, 3, 3, 4, 5)).astype("float32")
    last, first = make("channels_last"), make("channels_first")
    want = last(x)
    first(np.moveaxis(x, -1, 1))
    first.set_weights(last.get_weights())
    got = first(np.moveaxis(x, -1, 1)).numpy()
    np.testing.assert_allclose(np.moveaxis(got, 1, -1), want.numpy(), rtol=1e-5, atol=1e-6)


def test_conv3d_folds_extra_batch_axes_as_tf_keras():
    layer = layers.Conv3D(2, 3, activation="relu")
    x = RNG.standard_normal((2, 3, 5, 5, 5, 1)).astype("float32")
    y = layer(x).numpy()
    assert y.shape == (2, 3, 3, 3, 3, 2)
    np.testing.assert_allclose(y[1, 2], layer(x[1, 2][None]).numpy()[0], rtol=1e-6, atol=1e-6)


def test_aliases_are_the_same_classes():
    assert layers.Convolution3D is layers.Conv3D
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.MaxPool3D is layers.MaxPooling3D and layers.AvgPool3D is layers.AveragePooling3D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D
    assert layers.deserialize({"class_name": "Conv3D", "config": {"filters": 2, "kernel_size": 1}}).filters == 2


def test_conv3d_transpose_ignores_dilation_as_tf_keras_with_a_warning():
    with pytest.warns(UserWarning, match="dilation_rate"):
        layer = layers.Conv3DTranspose(2, 2, dilation_rate=2)
    assert layer(np.ones((1, 2, 2, 2, 1), "float32")).shape == (1, 3, 3, 3, 2)
    config = layer.get_config()
    assert "dilation_rate" not in config and config["groups"] == 1 and config["output_padding"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Conv3DTranspose(2, 2)


def test_conv3d_model_trains_and_round_trips_through_h5(tmp_path):
    model = keras.Sequential([
        layers.Conv3D(2, 2, activation="relu", input_shape=(4, 4, 4, 1)),
        layers.MaxPooling3D(),
        layers.UpSampling3D(),
        layers.ZeroPadding3D(1),
        layers.Conv3DTranspose(1, 2, strides=2),
        layers.GlobalMaxPooling3D(),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    x, y = RNG.standard_normal((8, 4, 4, 4, 1)).astype("float32"), RNG.standard_normal((8, 1)).astype("float32")
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.h5")
    back = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.Conv3D(2, (2, 2)), r"kernel_size.*tuple of 3"),
    (lambda: layers.Conv3D(0, 2), r"filters"),
    (lambda: layers.Conv3D(2, 2, padding="causal"), r"causal padding is only supported"),
    (lambda: layers.Conv3D(2, 2, strides=2, dilation_rate=2), r"strides > 1.*dilation_rate > 1"),
    (lambda: layers.Conv3D(3, 2, groups=2), r"divisible by the number of groups"),
    (lambda: layers.Conv3D(2, 2, data_format="NDHWC"), r"data_format"),
    (lambda: layers.Conv3DTranspose(2, 2, groups=2), r"groups=1"),
    (lambda: layers.Conv3DTranspose(2, 2, strides=2, output_padding=2), r"output padding"),
    (lambda: layers.MaxPooling3D((2, 2)), r"pool_size"),
    (lambda: layers.AveragePooling3D(2, padding="full"), r"padding"),
    (lambda: layers.GlobalMaxPooling3D(keepdims="yes"), r"keepdims"),
    (lambda: layers.UpSampling3D((2, 0, 1)), r"size"),
    (lambda: layers.ZeroPadding3D((1, 2)), r"`padding` should have 3 elements"),
    (lambda: layers.ZeroPadding3D((1, 2, -1)), r"3rd entry of padding"),
    (lambda: layers.Cropping3D((1, (1, 2, 3), 0)), r"2nd entry of cropping"),
    (lambda: layers.SpatialDropout3D(1.5), r"rate"),
    (lambda: layers.Conv3D(2, 2, use_bias="no"), r"`use_bias` must be True or False"),     # was bool("no")
    (lambda: layers.Conv3DTranspose(2, 2, kernel_regularizer="l3"), r"Conv3DTranspose: `kernel_regularizer`='l3'"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_shape_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Cropping3D.*nothing would be left"):
        layers.Cropping3D(((1, 1), 0, 0))(np.ones((1, 2, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"output is <= 0"):
        layers.Conv3D(1, 3)(keras.Input((2, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=5|ndim"):
        layers.MaxPooling3D()(np.ones((1, 4, 4, 1), "float32"))
