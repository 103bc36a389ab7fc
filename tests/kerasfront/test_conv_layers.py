"""Convolution layers: the shared layer test, outputs against plain-loop references (TensorFlow's 'same'
padding, causal padding, dilation, groups, Keras's transposed-convolution sizes, depthwise channel order),
tf.keras's config keys and weight layouts, and argument / shape errors that name the layer."""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.conv_reference import (conv1d_ref, conv2d_ref, conv2d_transpose_ref,
                                             depthwise_conv2d_ref)
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(0)


def _run(layer, x, weights=None):
    """Build ``layer`` on ``x``, give it random (or the given) weights, return (output, weights)."""
    layer(x)
    if weights is None:
        weights = [RNG.standard_normal(w.shape).astype(np.float32) for w in layer.weights]
    layer.set_weights(weights)
    return layer(x).numpy(), weights


# -- shared layer test -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs,shape,expected,weights", [
    (layers.Conv1D, {"filters": 3, "kernel_size": 2}, (2, 5, 2), (None, 4, 3), [(2, 2, 3), (3,)]),
    (layers.Conv1D, {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 6, 2),
     (None, 6, 2), [(3, 2, 2), (2,)]),
    (layers.Conv1D, {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "groups": 2}, (2, 5, 2),
     (None, 3, 4), [(2, 1, 4), (4,)]),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "padding": "same", "strides": 2, "activation": "tanh"},
     (2, 5, 4, 2), (None, 3, 2, 2), [(3, 3, 2, 2), (2,)]),
    (layers.Conv2D, {"filters": 2, "kernel_size": (2, 3), "dilation_rate": 2, "use_bias": False}, (2, 5, 6, 1),
     (None, 3, 2, 2), [(2, 3, 1, 2)]),
    (layers.Conv2D, {"filters": 4, "kernel_size": 2, "groups": 2}, (2, 3, 3, 2), (None, 2, 2, 4),
     [(2, 2, 1, 4), (4,)]),
    (layers.Conv2D, {"filters": 2, "kernel_size": 2, "data_format": "channels_first"}, (2, 3, 4, 4),
     (None, 2, 3, 3), [(2, 2, 3, 2), (2,)]),
    (layers.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 3, 2), (None, 7, 2),
     [(3, 2, 2), (2,)]),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 2, 3, 3),
     (None, 4, 6, 2), [(3, 3, 2, 3), (2,)]),
    (layers.Conv2DTranspose, {"filters": 1, "kernel_size": 2, "strides": 2, "output_padding": 1}, (2, 2, 2, 2),
     (None, 5, 5, 1), [(2, 2, 1, 2), (1,)]),
    (layers.DepthwiseConv1D, {"kernel_size": 2, "depth_multiplier": 2}, (2, 4, 2), (None, 3, 4), [(2, 2, 2), (4,)]),
    (layers.DepthwiseConv2D, {"kernel_size": 2, "depth_multiplier": 2, "padding": "same"}, (2, 3, 3, 2),
     (None, 3, 3, 4), [(2, 2, 2, 2), (4,)]),
    (layers.SeparableConv1D, {"filters": 3, "kernel_size": 2, "padding": "causal"}, (2, 4, 2), (None, 4, 3),
     [(2, 2, 1), (1, 2, 3), (3,)]),
    (layers.SeparableConv2D, {"filters": 3, "kernel_size": 2, "depth_multiplier": 2}, (2, 3, 3, 2),
     (None, 2, 2, 3), [(2, 2, 2, 2), (1, 1, 4, 3), (3,)]),
])
def test_conv_layers_shared(cls, kwargs, shape, expected, weights):
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=expected, expected_weight_shapes=weights)


def test_unknown_length_gives_none_steps():
    inp = keras.Input(shape=(None, 3))
    assert tuple(layers.Conv1D(2, 3, padding="causal")(inp).shape) == (None, None, 2)


# -- numbers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,shape", [
    ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 7, 6, 3)),
    ({"kernel_size": (2, 4), "strides": 2, "padding": "same"}, (2, 8, 8, 3)),
    ({"kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 7, 7, 2)),
    ({"kernel_size": (2, 3), "strides": (1, 2)}, (2, 6, 7, 3)),
    ({"kernel_size": 3, "groups": 3, "filters": 6}, (2, 6, 6, 3)),
])
def test_conv2d_matches_loop_reference(kwargs, shape):
    kwargs = dict({"filters": 4}, **kwargs)
    x = RNG.standard_normal(shape).astype(np.float32)
    y, (k, b) = _run(layers.Conv2D(**kwargs), x)
    ks = layers.Conv2D(**kwargs)
    ref = conv2d_ref(x, k, ks.strides, ks.padding, ks.dilation_rate, ks.groups) + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3, "padding": "causal", "dilation_rate": 2},
    {"kernel_size": 4, "padding": "same", "strides": 2},
    {"kernel_size": 3},
    {"kernel_size": 2, "groups": 3, "filters": 3},
])
def test_conv1d_matches_loop_reference(kwargs):
    kwargs = dict({"filters": 4, "activation": "relu"}, **kwargs)
    x = RNG.standard_normal((2, 9, 3)).astype(np.float32)
    y, (k, b) = _run(layers.Conv1D(**kwargs), x)
    ks = layers.Conv1D(**kwargs)
    ref = np.maximum(conv1d_ref(x, k, ks.strides[0], ks.padding, ks.dilation_rate[0], ks.groups) + b, 0)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_causal_output_ignores_the_future():
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = RNG.standard_normal((1, 10, 3)).astype(np.float32)
    y1, w = _run(layer, x)
    x2 = x.copy()
    x2[:, 6:] += 5.0
    np.testing.assert_array_equal(layer(x2).numpy()[:, :6], y1[:, :6])
    assert not np.allclose(layer(x2).numpy()[:, 6:], y1[:, 6:])


@pytest.mark.parametrize("kwargs,shape,out_hw", [
    ({"kernel_size": 3, "strides": 2}, (2, 4, 5, 4), (9, 11)),
    ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 5, 4), (8, 10)),
    ({"kernel_size": 4, "strides": 2, "padding": "same"}, (2, 4, 5, 4), (8, 10)),
    ({"kernel_size": 2, "strides": 3}, (1, 3, 2, 2), (9, 6)),
    ({"kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 4, 5, 4), (10, 12)),
    ({"kernel_size": 3, "strides": 3, "padding": "same", "output_padding": 2}, (2, 4, 5, 4), (12, 15)),
])
def test_conv2d_transpose_matches_scatter_reference(kwargs, shape, out_hw):
    layer = layers.Conv2DTranspose(3, **kwargs)
    x = RNG.standard_normal(shape).astype(np.float32)
    y, (k, b) = _run(layer, x)
    assert y.shape == (shape[0],) + out_hw + (3,)
    assert k.shape == layer.kernel_size + (3, shape[-1])      # (kh, kw, filters, in), as tf.keras
    ref = conv2d_transpose_ref(x, k, layer.strides, layer.padding, layer.output_padding) + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_conv1d_transpose_is_the_2d_one_on_a_row():
    x = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    y, (k, b) = _run(layers.Conv1DTranspose(2, 3, strides=2, padding="same"), x)
    ref = conv2d_transpose_ref(x[:, None], k[None], (1, 2), "same")[:, 0] + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2},
    {"kernel_size": (2, 3)},
    {"kernel_size": 2, "dilation_rate": 2, "depth_multiplier": 3},
])
def test_depthwise_conv2d_matches_reference_and_channel_order(kwargs):
    layer = layers.DepthwiseConv2D(**kwargs)
    x = RNG.standard_normal((2, 7, 7, 3)).astype(np.float32)
    y, (k, b) = _run(layer, x)
    assert k.shape == layer.kernel_size + (3, layer.depth_multiplier)
    ref = depthwise_conv2d_ref(x, k, layer.strides, layer.padding, layer.dilation_rate) + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_separable_conv2d_is_depthwise_then_pointwise():
    layer = layers.SeparableConv2D(4, 3, depth_multiplier=2, padding="same")
    x = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)
    y, (dk, pk, b) = _run(layer, x)
    assert [w.name for w in layer.weights] == [f"{layer.name}/depthwise_kernel:0", f"{layer.name}/pointwise_kernel:0",
                                               f"{layer.name}/bias:0"]
    assert pk.shape == (1, 1, 6, 4)
    ref = depthwise_conv2d_ref(x, dk, (1, 1), "same", (1, 1)) @ pk[0, 0] + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_separable_conv1d_causal_and_depthwise_conv1d():
    x = RNG.standard_normal((2, 8, 3)).astype(np.float32)
    y, (dk, pk, b) = _run(layers.SeparableConv1D(4, 3, padding="causal"), x)
    xp = np.pad(x, ((0, 0), (2, 0), (0, 0)))
    ref = depthwise_conv2d_ref(xp[:, None], dk[None], (1, 1), "valid", (1, 1))[:, 0] @ pk[0] + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    y, (dk, b) = _run(layers.DepthwiseConv1D(3, depth_multiplier=2), x)
    ref = depthwise_conv2d_ref(x[:, None], dk[None], (1, 1), "valid", (1, 1))[:, 0] + b
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_channels_first_equals_transposed_channels_last():
    x = RNG.standard_normal((2, 6, 5, 3)).astype(np.float32)
    last, w = _run(layers.Conv2D(4, 3, strides=2, padding="same"), x)
    first, _ = _run(layers.Conv2D(4, 3, strides=2, padding="same", data_format="channels_first"),
                    x.transpose(0, 3, 1, 2), w)
    np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), rtol=1e-6, atol=1e-6)


def test_extra_batch_axes_are_folded():
    x = RNG.standard_normal((2, 3, 5, 5, 2)).astype(np.float32)
    layer = layers.Conv2D(4, 3)
    y, w = _run(layer, x)
    assert y.shape == (2, 3, 3, 3, 4)
    np.testing.assert_allclose(y[1], layer(x[1]).numpy(), rtol=1e-6, atol=1e-6)


def test_float32_stays_float32_and_bias_is_added_once():
    layer = layers.Conv2D(2, 1, bias_initializer="ones", kernel_initializer="zeros")
    y = layer(np.ones((1, 2, 2, 3), np.float32))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), np.ones((1, 2, 2, 2)))


@pytest.mark.parametrize("activation,use_bias,data_format", [
    ("relu", True, "channels_last"), ("relu", False, "channels_last"), (None, True, "channels_last"),
    ("relu", True, "channels_first"), (keras.activations.relu, True, "channels_last")])
def test_conv2d_with_fused_bias_and_relu_equals_the_composition(activation, use_bias, data_format):
    # Conv2D hands its bias and relu to ag.conv2d: outputs and every gradient must be conv, + bias, relu
    x = RNG.standard_normal((3, 6, 7, 2)).astype(np.float32)
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    fused = layers.Conv2D(4, 3, activation=activation, use_bias=use_bias, data_format=data_format)
    plain = layers.Conv2D(4, 3, use_bias=False, data_format=data_format)
    _, w = _run(fused, x)
    _run(plain, x, w[:1])
    bias_shape = (1, 4, 1, 1) if data_format == "channels_first" else (4,)
    bias = ag.tensor(w[1].reshape(bias_shape), requires_grad=True) if use_bias else None

    def composed(t):
        y = plain(t)
        y = y + bias if use_bias else y
        return ag.relu(y) if activation is not None else y

    results = []
    for layer, fn in ((fused, fused), (plain, composed)):
        xt = ag.tensor(x, requires_grad=True)
        y = fn(xt)
        wrt = [xt, layer.kernel] + ([fused.bias if layer is fused else bias] if use_bias else [])
        results.append([y.numpy()] + [g.numpy().ravel() for g in ag.gradients((y * y).sum(), wrt)])
    if activation is not None:
        assert (results[0][0] == 0).any() and (results[0][0] > 0).any()
    np.testing.assert_array_equal(results[0][0], results[1][0])
    for got, ref in zip(results[0][1:], results[1][1:]):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-4)


def test_trains_in_a_model():
    model = keras.Sequential([layers.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 2)),
                              layers.Conv2DTranspose(2, 2, strides=2), layers.SeparableConv2D(2, 3),
                              layers.DepthwiseConv2D(3), layers.Flatten(), layers.Dense(1)])
    x = RNG.standard_normal((8, 6, 6, 2)).astype(np.float32)
    y = RNG.standard_normal((8, 1)).astype(np.float32)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


# -- configs -------------------------------------------------------------------------------------------------
_CONV_KEYS = ["name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format",
              "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
              "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"]
_DEPTHWISE_KEYS = ["name", "trainable", "dtype", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                   "groups", "activation", "use_bias", "bias_initializer", "bias_regularizer", "activity_regularizer",
                   "bias_constraint", "depth_multiplier", "depthwise_initializer", "depthwise_regularizer",
                   "depthwise_constraint"]
_SEPARABLE_KEYS = _CONV_KEYS + ["depth_multiplier", "depthwise_initializer", "pointwise_initializer",
                                "depthwise_regularizer", "pointwise_regularizer", "depthwise_constraint",
                                "pointwise_constraint"]


@pytest.mark.parametrize("layer,keys", [
    (layers.Conv1D(4, 3), _CONV_KEYS),
    (layers.Conv2D(4, 3), _CONV_KEYS),
    (layers.Conv1DTranspose(4, 3), _CONV_KEYS + ["output_padding"]),
    (layers.Conv2DTranspose(4, 3), _CONV_KEYS + ["output_padding"]),
    (layers.DepthwiseConv1D(3), _DEPTHWISE_KEYS),
    (layers.DepthwiseConv2D(3), _DEPTHWISE_KEYS),
    (layers.SeparableConv1D(4, 3), _SEPARABLE_KEYS),
    (layers.SeparableConv2D(4, 3), _SEPARABLE_KEYS),
])
def test_config_keys_are_tf_keras_ones(layer, keys):
    """The key lists are tf_keras 2.21's ``get_config()`` of the same layers."""
    config = layer.get_config()
    assert sorted(config) == sorted(keys)
    rank = 1 if "1D" in type(layer).__name__ else 2
    assert config["kernel_size"] == (3,) * rank and config["strides"] == (1,) * rank
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    assert config["activation"] == "linear"


def test_config_values_normalized_like_keras():
    config = layers.Conv2D(4.0, [3, 2], strides=1, padding="SAME", activation="relu").get_config()
    assert (config["filters"], config["kernel_size"], config["strides"], config["padding"]) == (4, (3, 2), (1, 1),
                                                                                              "same")
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["activation"] == "relu"


def test_aliases_are_the_same_classes():
    assert layers.Convolution2D is layers.Conv2D and layers.Convolution1D is layers.Conv1D
    assert layers.Conv2DTranspose is layers.Convolution2DTranspose is layers.Deconvolution2D
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


# -- errors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: layers.Conv2D(0, 3), "filters"),
    (lambda: layers.Conv2D(4, 0), "kernel_size"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), "kernel_size"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), "Causal|causal"),
    (lambda: layers.Conv2D(4, 3, padding="full"), "padding"),
    (lambda: layers.Conv2D(4, 3, groups=3), "groups"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), "data_format"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output padding"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"conv_a.*\(None, 2, 2, 1\)"):
        layers.Conv2D(2, 3, name="conv_a")(keras.Input(shape=(2, 2, 1)))
    with pytest.raises(ValueError, match=r"conv_b.*groups=2.*3 channels"):
        layers.Conv2D(2, 3, groups=2, name="conv_b")(keras.Input(shape=(5, 5, 3)))
    with pytest.raises(ValueError, match=r"conv_c.*channel dimension.*None"):
        layers.Conv1D(2, 3, name="conv_c")(keras.Input(shape=(5, None)))
    layer = layers.Conv2D(2, 3, name="conv_d")
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"conv_d"):
        layer(np.zeros((1, 5, 5, 4), np.float32))


def test_unknown_spatial_sizes_stay_unknown():
    """Symbolic calls on unknown lengths: a kernel wider than the engine's placeholder batches still works, and
    the output sizes are None (not a size guessed from placeholders)."""
    inp = keras.Input(shape=(None, 8))
    x = layers.Conv1D(4, 5)(inp)
    assert tuple(x.shape) == (None, None, 4)
    x = layers.Conv1D(3, 3, strides=3, padding="same")(x)
    assert tuple(x.shape) == (None, None, 3)
    model = keras.Model(inp, layers.GlobalMaxPooling1D()(x))
    for steps in (7, 20):
        assert model.predict(np.zeros((2, steps, 8), np.float32), verbose=0).shape == (2, 3)
    img = keras.Input(shape=(None, 6, 3))
    y = layers.Conv2DTranspose(2, 3, strides=2)(layers.DepthwiseConv2D(5, depth_multiplier=2)(img))
    assert tuple(y.shape) == (None, None, 5, 2)
    y = layers.Conv2D(2, 3, data_format="channels_first")(keras.Input(shape=(3, None, 8)))
    assert tuple(y.shape) == (None, 2, None, 6)
