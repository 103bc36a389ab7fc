"""Core layers: the shared layer test for each, plus their Keras-specific behaviour and argument errors."""
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test


def test_dense_shared():
    out = layer_test(layers.Dense, {"units": 3, "activation": "tanh"}, input_shape=(4, 5),
                     expected_output_shape=(None, 3), expected_weight_shapes=[(5, 3), (3,)])
    assert out.shape == (4, 3)


def test_dense_rank3_and_no_bias():
    layer_test(layers.Dense, {"units": 2, "use_bias": False}, input_shape=(2, 4, 5),
               expected_output_shape=(None, 4, 2), expected_weight_shapes=[(5, 2)])


def test_dense_computes_x_kernel_plus_bias():
    layer = layers.Dense(2, activation="relu")
    x = np.array([[1.0, -2.0, 0.5]], np.float32)
    layer.build((None, 3))
    k = np.arange(6, dtype=np.float32).reshape(3, 2) / 10 - 0.2
    b = np.array([0.1, -0.3], np.float32)
    layer.set_weights([k, b])
    np.testing.assert_allclose(layer(x).numpy(), np.maximum(x @ k + b, 0), rtol=1e-6)


def test_dense_bad_units_and_bad_input():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="units"):
        layers.Dense(2.5)
    layer = layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"dense.*axis -1.*value 3.*\(1, 4\)"):
        layer(np.ones((1, 4), np.float32))
    with pytest.raises(TypeError, match="not understood"):
        layers.Dense(2, kernal_initializer="zeros")


@pytest.mark.parametrize("cls,kwargs,shape,expected", [
    (layers.Activation, {"activation": "softplus"}, (3, 4), (None, 4)),
    (layers.Flatten, {}, (2, 3, 4), (None, 12)),
    (layers.Reshape, {"target_shape": (2, -1)}, (2, 3, 4), (None, 2, 6)),
    (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (None, 4, 3)),
    (layers.RepeatVector, {"n": 3}, (2, 4), (None, 3, 4)),
    (layers.Softmax, {"axis": -1}, (2, 5), (None, 5)),
    (layers.ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, (3, 4), (None, 4)),
    (layers.LeakyReLU, {}, (3, 4), (None, 4)),
    (layers.ELU, {"alpha": 0.5}, (3, 4), (None, 4)),
    (layers.Dropout, {"rate": 0.5}, (3, 4), (None, 4)),
])
def test_core_layers_shared(cls, kwargs, shape, expected):
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=expected, expected_num_weights=0)


def test_lambda_shared_with_named_function():
    def square_plus_one(x):
        return x * x + 1.0
    layer_test(layers.Lambda, {"function": square_plus_one}, input_shape=(2, 3), expected_output_shape=(None, 3),
               custom_objects={"square_plus_one": square_plus_one})


def test_lambda_bytecode_refused_in_safe_mode_and_loaded_without():
    from kerasfront.engine.safe_mode import SafeModeScope
    layer = layers.Lambda(lambda x: x * 3.0)
    config = layer.get_config()
    assert config["function_type"] == "lambda"
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    with SafeModeScope(False):
        clone = layers.Lambda.from_config(config)
    np.testing.assert_allclose(clone(np.ones((1, 2), np.float32)).numpy(), [[3.0, 3.0]])


def test_leaky_relu_keras2_default_and_relu_options():
    assert layers.LeakyReLU().alpha == pytest.approx(0.3)
    x = np.array([[-2.0, 0.1, 0.5, 3.0]], np.float32)
    np.testing.assert_allclose(layers.LeakyReLU()(x).numpy(), [[-0.6, 0.1, 0.5, 3.0]], rtol=1e-6)
    out = layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2)(x).numpy()
    np.testing.assert_allclose(out, [[0.1 * (-2.0 - 0.2), 0.1 * (0.1 - 0.2), 0.5, 1.0]], rtol=1e-6)
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-1.0)


def test_dropout_training_only_and_scaled():
    keras.utils.set_random_seed(0)
    layer = layers.Dropout(0.5)
    x = np.ones((200, 50), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    out = layer(x, training=True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert 0.4 < (out == 0).mean() < 0.6
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)


def test_softmax_mask_zeroes_masked_positions():
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    out = layers.Softmax()(x, mask=np.array([[True, True, False]])).numpy()
    np.testing.assert_allclose(out[0, 2], 0.0, atol=1e-7)
    np.testing.assert_allclose(out.sum(), 1.0, rtol=1e-6)


def test_reshape_and_permute_errors_name_the_layer():
    with pytest.raises(ValueError, match="at most one unknown"):
        layers.Reshape((-1, -1))
    inp = keras.Input((3, 4))
    with pytest.raises(ValueError, match="total size"):
        layers.Reshape((5,))(inp)
    with pytest.raises(ValueError, match="Permute"):
        layers.Permute((1, 3))


def test_flatten_channels_first_moves_channels_last():
    x = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    out = layers.Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(out, np.transpose(x, (0, 2, 3, 1)).reshape(2, -1))


def test_symbolic_arithmetic_builds_op_layers_that_round_trip():
    inp = keras.Input((3,))
    y = layers.Dense(3)(inp)
    out = (y + inp) * 2.0
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    dense = model.layers[1]
    expected = (x @ dense.kernel.numpy() + dense.bias.numpy() + x) * 2.0
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5)
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), expected, rtol=1e-5)


def test_symbolic_slicing_and_reversed_operators_round_trip():
    import json
    inp = keras.Input((3, 4))
    model = keras.Model(inp, [inp[:, 0] * 2.0 - 1.0, 1.0 - inp[:, 1, ::2]])
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    a, b = model(x)
    np.testing.assert_allclose(a.numpy(), x[:, 0] * 2 - 1)
    np.testing.assert_allclose(b.numpy(), 1 - x[:, 1, ::2])
    clone = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    for got, want in zip(clone(x), (a, b)):
        np.testing.assert_allclose(got.numpy(), want.numpy())
