"""BatchNormalization and LayerNormalization: the shared layer test, training and inference outputs against
numpy, tf.keras's moving-statistics rules (biased batch variance, or the unbiased one where tf.keras runs its
fused kernel), frozen layers, masks, no updates during shape inference, weight order, configs, errors."""
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(3)


def _data(shape, scale=2.0, shift=1.0):
    return (RNG.standard_normal(shape) * scale + shift).astype(np.float32)


@pytest.mark.parametrize("kwargs,shape,weights,training", [
    ({}, (4, 3), [(3,)] * 4, True),
    ({}, (4, 3), [(3,)] * 4, None),
    ({"axis": 1, "center": False}, (3, 2, 4), [(2,)] * 3, True),
    ({"scale": False, "momentum": 0.5}, (3, 2, 2, 3), [(3,)] * 3, True),
    ({"axis": [1, 3]}, (3, 2, 2, 3), [(1, 2, 1, 3)] * 4, True),
])
def test_batch_normalization_shared(kwargs, shape, weights, training):
    layer_test(layers.BatchNormalization, kwargs, input_shape=shape, expected_output_shape=(None,) + shape[1:],
               expected_weight_shapes=weights, expected_num_trainable_weights=len(weights) - 2, training=training)


@pytest.mark.parametrize("kwargs,shape,weights", [
    ({}, (2, 5), [(5,), (5,)]),
    ({"axis": [1, 2], "epsilon": 1e-5}, (2, 3, 4), [(3, 4), (3, 4)]),
    ({"axis": 1, "center": False}, (2, 3, 4), [(3,)]),
])
def test_layer_normalization_shared(kwargs, shape, weights):
    layer_test(layers.LayerNormalization, kwargs, input_shape=shape, expected_output_shape=(None,) + shape[1:],
               expected_weight_shapes=weights)


def _bn_with_params(shape, **kwargs):
    layer = layers.BatchNormalization(**kwargs)
    layer(np.zeros(shape, np.float32))
    c = layer.gamma.shape
    gamma, beta = RNG.uniform(0.5, 2, c).astype(np.float32), RNG.standard_normal(c).astype(np.float32)
    mm, mv = RNG.standard_normal(c).astype(np.float32), RNG.uniform(0.5, 2, c).astype(np.float32)
    layer.set_weights([gamma, beta, mm, mv])
    return layer, gamma, beta, mm, mv


@pytest.mark.parametrize("shape,fused", [((6, 5), False), ((4, 3, 5), False), ((4, 3, 3, 5), True),
                                         ((2, 2, 3, 2, 5), True)])
def test_batch_norm_training_step(shape, fused):
    """Output uses the batch mean and biased variance; the moving mean moves by (1 - momentum); the moving
    variance takes the biased batch variance, or the unbiased one (n / (n - 1)) where tf.keras uses its fused
    kernel (4-d and 5-d inputs normalized over the last axis)."""
    layer, gamma, beta, mm, mv = _bn_with_params(shape, momentum=0.9)
    x = _data(shape)
    red = tuple(range(len(shape) - 1))
    mean, var = x.mean(red), x.var(red)
    y = layer(x, training=True).numpy()
    np.testing.assert_allclose(y, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, rtol=1e-5, atol=1e-5)
    n = x.size // x.shape[-1]
    batch_var = var * n / (n - 1) if fused else var
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.9 * mm + 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 * mv + 0.1 * batch_var, rtol=1e-5, atol=1e-6)


def test_batch_norm_channels_first_axis_and_float64_are_not_fused_alike():
    x = _data((4, 3, 3, 2))
    ax1, *_ = _bn_with_params((4, 3, 3, 2), axis=1, momentum=0.0)        # fused in tf.keras: unbiased
    ax1(x, training=True)
    n = x.size // 3
    np.testing.assert_allclose(ax1.moving_variance.numpy(), x.var((0, 2, 3)) * n / (n - 1), rtol=1e-5)
    ax2, *_ = _bn_with_params((4, 3, 3, 2), axis=2, momentum=0.0)        # not fused: biased
    ax2(x, training=True)
    np.testing.assert_allclose(ax2.moving_variance.numpy(), x.var((0, 1, 3)), rtol=1e-5)
    f64 = layers.BatchNormalization(momentum=0.0, dtype="float64")     # tf.keras fuses float32 only
    f64(x.astype(np.float64), training=True)
    np.testing.assert_allclose(f64.moving_variance.numpy(), x.var((0, 1, 2)), rtol=1e-6)


def test_batch_norm_inference_uses_moving_statistics():
    layer, gamma, beta, mm, mv = _bn_with_params((5, 4))
    x = _data((5, 4))
    expected = gamma * (x - mm) / np.sqrt(mv + 1e-3) + beta
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer(x, training=False).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), mm)


def test_frozen_batch_norm_runs_in_inference_mode():
    layer, gamma, beta, mm, mv = _bn_with_params((5, 4))
    layer.trainable = False
    x = _data((5, 4))
    np.testing.assert_allclose(layer(x, training=True).numpy(), gamma * (x - mm) / np.sqrt(mv + 1e-3) + beta,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), mm)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_moving_statistics_accumulate_over_steps():
    layer = layers.BatchNormalization(momentum=0.8)
    mm, mv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = _data((8, 3))
        layer(x, training=True)
        mm = mm - (mm - x.mean(0)) * 0.2
        mv = mv - (mv - x.var(0)) * 0.2
    np.testing.assert_allclose(layer.moving_mean.numpy(), mm, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), mv, rtol=1e-5)


def test_shape_inference_and_predict_leave_moving_statistics_alone():
    inp = keras.Input(shape=(3,))
    bn = layers.BatchNormalization()
    model = keras.Model(inp, bn(inp, training=True))
    assert bn.moving_mean.numpy().tolist() == [0, 0, 0] and bn.moving_variance.numpy().tolist() == [1, 1, 1]
    model.predict(_data((4, 3)), verbose=0)            # training=True was fixed at the call: it updates
    assert not np.allclose(bn.moving_mean.numpy(), 0)
    plain = layers.BatchNormalization()
    model = keras.Sequential([keras.Input(shape=(3,)), plain])
    model.predict(_data((4, 3)), verbose=0)
    np.testing.assert_array_equal(plain.moving_mean.numpy(), 0)


def test_fit_updates_moving_statistics_and_trains_gamma_beta():
    model = keras.Sequential([layers.BatchNormalization(input_shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x, y = _data((16, 2), shift=3.0), _data((16, 1))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * x.mean(0), rtol=1e-5)
    assert not np.allclose(bn.gamma.numpy(), 1.0) and not np.allclose(bn.beta.numpy(), 0.0)


def test_masked_batch_norm_uses_unmasked_entries():
    x = _data((2, 4, 3))
    mask = np.array([[True, True, False, False], [True, True, True, False]])
    layer = layers.BatchNormalization(momentum=0.0, center=False, scale=False)
    y = layer(x, training=True, mask=mask).numpy()
    sel = x[mask]
    np.testing.assert_allclose(y, (x - sel.mean(0)) / np.sqrt(sel.var(0) + 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), sel.var(0), rtol=1e-5)


def test_batch_norm_weight_order_names_and_trainability():
    layer = layers.BatchNormalization(name="bn")
    layer(np.zeros((2, 3), np.float32))
    assert [w.name for w in layer.weights] == ["bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]
    assert [w.trainable for w in layer.weights] == [True, True, False, False]
    model = keras.Sequential([layers.Dense(3, input_shape=(2,)), layers.BatchNormalization(), layers.Dense(1)])
    assert [w.shape for w in model.get_weights()] == [(2, 3), (3,), (3,), (3,), (3,), (3,), (3, 1), (1,)]


def test_layer_normalization_values():
    x = _data((3, 4, 5))
    layer = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    layer(x)
    gamma, beta = RNG.standard_normal((4, 5)).astype(np.float32), RNG.standard_normal((4, 5)).astype(np.float32)
    layer.set_weights([gamma, beta])
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(layer(x).numpy(), gamma * (x - mean) / np.sqrt(var + 1e-5) + beta, rtol=1e-5,
                               atol=1e-5)
    mid = layers.LayerNormalization(axis=1)
    mid(x)
    g = RNG.standard_normal(4).astype(np.float32)
    mid.set_weights([g, np.zeros(4, np.float32)])
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(mid(x).numpy(), g[:, None] * (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)


def test_configs_are_tf_keras_ones():
    bn = layers.BatchNormalization()
    assert list(bn.get_config()) == ["name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
                                     "beta_initializer", "gamma_initializer", "moving_mean_initializer",
                                     "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
                                     "beta_constraint", "gamma_constraint"]
    assert (bn.get_config()["axis"], bn.get_config()["momentum"], bn.get_config()["epsilon"]) == (-1, 0.99, 1e-3)
    bn(np.zeros((2, 3, 4), np.float32))
    assert bn.get_config()["axis"] == [2]          # tf.keras stores the resolved axes once built
    ln = layers.LayerNormalization()
    assert list(ln.get_config()) == ["name", "trainable", "dtype", "axis", "epsilon", "center", "scale",
                                     "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                                     "beta_constraint", "gamma_constraint"]
    assert ln.get_config()["epsilon"] == 1e-3


@pytest.mark.parametrize("make,err,match", [
    (lambda: layers.BatchNormalization(momentum=1.5), ValueError, "momentum"),
    (lambda: layers.BatchNormalization(epsilon=-1.0), ValueError, "epsilon"),
    (lambda: layers.BatchNormalization(axis="last"), TypeError, "axis"),
    (lambda: layers.BatchNormalization(renorm=True), ValueError, "renorm"),
    (lambda: layers.BatchNormalization(virtual_batch_size=2), ValueError, "virtual_batch_size"),
    (lambda: layers.LayerNormalization(epsilon="small"), ValueError, "epsilon"),
])
def test_bad_arguments(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_shape_errors_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"bn_a.*axis.*\(None, 3\)"):
        layers.BatchNormalization(axis=2, name="bn_a")(keras.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"bn_b.*undefined.*\(None, None\)"):
        layers.BatchNormalization(name="bn_b")(keras.Input(shape=(None,)))
    with pytest.raises(ValueError, match=r"ln_a.*axis"):
        layers.LayerNormalization(axis=3, name="ln_a")(keras.Input(shape=(3, 4)))
    bn = layers.BatchNormalization(name="bn_c")
    bn(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="bn_c"):
        bn(np.zeros((2, 4), np.float32))


@pytest.mark.parametrize("cls,kwargs,shape,weights", [
    (layers.GroupNormalization, {"groups": 2}, (2, 3, 4), [(4,), (4,)]),
    (layers.GroupNormalization, {"groups": 3, "axis": 1, "scale": False}, (2, 6, 2), [(6,)]),
    (layers.GroupNormalization, {"groups": -1}, (2, 2, 2, 3), [(3,), (3,)]),
    (layers.UnitNormalization, {}, (2, 3), []),
    (layers.UnitNormalization, {"axis": [1, 2]}, (2, 3, 2), []),
])
def test_group_and_unit_normalization_shared(cls, kwargs, shape, weights):
    layer_test(cls, kwargs, input_shape=shape, expected_output_shape=(None,) + shape[1:],
               expected_weight_shapes=weights)


def test_group_normalization_values():
    """Channels split into consecutive groups, each normalized over its channels and the other non-batch axes."""
    x = _data((2, 5, 6))
    layer = layers.GroupNormalization(groups=3, epsilon=1e-5)
    layer(x)
    gamma, beta = RNG.standard_normal(6).astype(np.float32), RNG.standard_normal(6).astype(np.float32)
    layer.set_weights([gamma, beta])
    g = x.reshape(2, 5, 3, 2)
    ref = ((g - g.mean((1, 3), keepdims=True)) / np.sqrt(g.var((1, 3), keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(layer(x).numpy(), ref * gamma + beta, rtol=1e-5, atol=1e-5)
    first = layers.GroupNormalization(groups=1, axis=1, center=False, scale=False)(x).numpy()
    np.testing.assert_allclose(first, (x - x.mean((1, 2), keepdims=True)) / np.sqrt(x.var((1, 2), keepdims=True)
                                                                                   + 1e-3), rtol=1e-5, atol=1e-5)


def test_unit_normalization_values_and_zero_rows():
    x = _data((3, 4))
    x[1] = 0.0
    out = layers.UnitNormalization()(x).numpy()
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(out[[0, 2]], (x / np.maximum(norms, 1e-30))[[0, 2]], rtol=1e-6)
    np.testing.assert_array_equal(out[1], 0.0)


def test_group_and_unit_normalization_configs_and_errors():
    assert list(layers.GroupNormalization().get_config()) == [
        "name", "trainable", "dtype", "groups", "axis", "epsilon", "center", "scale", "beta_initializer",
        "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"]
    assert layers.GroupNormalization().get_config()["groups"] == 32
    assert list(layers.UnitNormalization().get_config()) == ["name", "trainable", "dtype", "axis"]
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"gn_a.*channels \(6\).*groups \(4\)"):
        layers.GroupNormalization(groups=4, name="gn_a")(keras.Input(shape=(3, 6)))
