"""kerasfront.mixed_precision: policies (names, errors, configs, the global policy), layers under a mixed policy
(float16 computation, float32 variables and gradients, normalization in float32, embeddings not rounded,
configs), the LossScaleOptimizer (scaling, skipped steps, growth, configs under tf.keras's names, compile's
wrapping, custom loops) and bfloat16 (ag.round_to_precision)."""
import sys

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers, mixed_precision, optimizers
from kerasfront.mixed_precision import LossScaleOptimizer, Policy


@pytest.fixture(autouse=True)
def _float32_policy_after():
    yield
    mixed_precision.set_global_policy(None)


# -- policies --------------------------------------------------------------------------------------------


def test_policies_name_their_dtypes_and_round_trip_through_configs():
    for name, compute, variable in [("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32"),
                                    ("float64", "float64", "float64"), ("float16", "float16", "float16")]:
        p = Policy(name)
        assert (p.name, p.compute_dtype, p.variable_dtype) == (name, compute, variable)
        assert repr(p) == f'<Policy "{name}">'
        assert Policy.from_config(p.get_config()).name == name
    with pytest.raises(ValueError, match="Cannot convert value mixed_int8 to a mixed precision Policy"):
        Policy("mixed_int8")
    with pytest.raises(TypeError, match="'name' must be a string, but got: 3"):
        Policy(3)
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        Policy("bfloat16")


def test_the_global_policy_is_what_new_layers_take():
    assert mixed_precision.global_policy().name == "float32"
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy().name == "mixed_float16"
    dense = layers.Dense(2)
    pinned = layers.Dense(2, dtype="float32")
    assert (dense.dtype, dense.compute_dtype, dense.variable_dtype) == ("float32", "float16", "float32")
    assert pinned.compute_dtype == "float32"
    mixed_precision.set_global_policy(Policy("float64"))
    assert layers.Dense(1).dtype == "float64"
    mixed_precision.set_global_policy(None)
    assert mixed_precision.global_policy().name == "float32" and layers.Dense(1).compute_dtype == "float32"
    with pytest.raises(ValueError, match="floating-point policies.*int32"):
        mixed_precision.set_global_policy("int32")
    with pytest.raises(TypeError, match=r"Dense\(dtype=...\)"):
        layers.Dense(2, dtype="no_such_dtype")


# -- layers under mixed_float16 --------------------------------------------------------------------------


def test_a_mixed_layer_computes_in_float16_and_trains_float32_weights():
    layer = layers.Dense(3, activation="relu", dtype="mixed_float16")
    x = ag.tensor(np.random.default_rng(0).normal(size=(4, 5)).astype("float32"))
    y = layer(x)
    assert y.dtype == np.float16
    assert layer.kernel.dtype == np.float32 and layer.bias.dtype == np.float32
    assert isinstance(layer.kernel, keras.Variable)                       # the attribute is the Variable again
    want = np.maximum(x.numpy().astype(np.float16) @ layer.kernel.numpy().astype(np.float16)
                      + layer.bias.numpy().astype(np.float16), 0)
    np.testing.assert_array_equal(y.numpy(), want)
    grads = ag.gradients(ag.sum(ag.astype(y, "float32")), [layer.kernel, layer.bias])
    assert [g.dtype for g in grads] == [np.float32, np.float32]
    assert layer.get_config()["dtype"] == {"module": "keras.mixed_precision", "class_name": "Policy",
                                           "config": {"name": "mixed_float16"}, "registered_name": None}
    clone = layers.Dense.from_config(layer.get_config())
    assert clone.dtype_policy.name == "mixed_float16"
    assert layers.Dense(2).get_config()["dtype"] == "float32"


def test_nested_layers_and_recurrent_cells_compute_in_float16():
    mixed_precision.set_global_policy("mixed_float16")
    lstm = layers.Bidirectional(layers.LSTM(3, return_sequences=True))
    out = lstm(np.ones((2, 4, 5), "float32"))
    assert out.dtype == np.float16 and all(w.dtype == np.float32 for w in lstm.weights)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    q = np.random.default_rng(1).normal(size=(2, 4, 6)).astype("float32")
    assert mha(q, q).dtype == np.float16 and all(w.dtype == np.float32 for w in mha.weights)
    custom = layers.SimpleRNN(2, activation=lambda t: ag.tanh(t) * 0.5)       # the step loop (K.rnn)
    assert custom(np.ones((2, 3, 4), "float32")).dtype == np.float16


def test_normalization_computes_in_float32_and_returns_float16():
    mixed_precision.set_global_policy("mixed_float16")
    bn, ln = layers.BatchNormalization(), layers.LayerNormalization()
    x = np.random.default_rng(2).normal(300.0, 50.0, size=(16, 4)).astype("float32")   # squares overflow float16
    y = bn(x, training=True)
    assert y.dtype == np.float16 and np.all(np.isfinite(y.numpy()))
    assert bn.moving_variance.dtype == np.float32
    var16 = x.astype(np.float16).astype(np.float32).var(axis=0)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * var16, rtol=1e-5)     # float32 statistics
    z = ln(x)
    assert z.dtype == np.float16 and np.all(np.isfinite(z.numpy()))
    np.testing.assert_allclose(z.numpy().mean(axis=1), 0.0, atol=2e-3)


def test_embedding_ids_are_not_rounded_to_float16():
    mixed_precision.set_global_policy("mixed_float16")
    emb = layers.Embedding(5000, 2)
    ids = np.array([[4097.0, 3.0]], "float32")                             # 4097 is not a float16 number
    out = emb(ids)
    assert out.dtype == np.float16 and emb.embeddings.dtype == np.float32
    np.testing.assert_array_equal(out.numpy()[0, 0], emb.embeddings.numpy()[4097].astype(np.float16))


# -- loss scaling ----------------------------------------------------------------------------------------


def _var(value):
    return keras.Variable(np.asarray(value, "float32"), name="w")


def test_scaling_unscaling_and_skipped_steps():
    opt = LossScaleOptimizer(optimizers.SGD(1.0), initial_scale=8.0, dynamic_growth_steps=2)
    assert float(opt.get_scaled_loss(ag.tensor(np.float32(0.5)))) == 4.0
    assert opt.scale_loss is not None and float(opt.get_scaled_loss(lambda: ag.tensor(1.0))()) == 8.0
    g, none = opt.get_unscaled_gradients([ag.tensor(np.array([8.0], "float32")), None])
    assert none is None and g.numpy().tolist() == [1.0]
    w = _var([1.0])
    for bad in (np.inf, np.nan):
        opt.apply_gradients([(ag.tensor(np.array([bad], "float32")), w)])
        assert w.numpy().tolist() == [1.0]
    assert float(opt.loss_scale) == 2.0 and int(opt.iterations) == 2 and int(opt.dynamic_counter.numpy()) == 0
    opt.apply_gradients([(ag.tensor(np.array([0.25], "float32")), w)])
    assert w.numpy().tolist() == [0.75] and float(opt.loss_scale) == 2.0
    opt.apply_gradients([(ag.tensor(np.array([0.25], "float32")), w)])    # the second finite step doubles it
    assert float(opt.loss_scale) == 4.0 and int(opt.dynamic_counter.numpy()) == 0 and int(opt.iterations) == 4
    for _ in range(5):
        opt.apply_gradients([(ag.tensor(np.array([np.inf], "float32")), w)])
    assert float(opt.loss_scale) == 1.0                                   # never below 1
    # Keras 3's apply takes the gradients of the scaled loss
    opt2 = LossScaleOptimizer(optimizers.SGD(1.0), initial_scale=4.0)
    w2 = _var([1.0])
    opt2.apply([ag.tensor(np.array([2.0], "float32"))], [w2])
    assert w2.numpy().tolist() == [0.5]
    fixed = LossScaleOptimizer(optimizers.SGD(1.0), dynamic=False, initial_scale=3.0)
    assert fixed.dynamic_counter is None and fixed.dynamic_growth_steps is None
    fixed.apply_gradients([(ag.tensor(np.array([np.inf], "float32")), w2)])
    assert np.isinf(w2.numpy()[0]) and float(fixed.loss_scale) == 3.0    # a fixed scale applies every step


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(inner_optimizer="sgd"), TypeError, "must be an instance of Optimizer"),
    (dict(dynamic="yes"), TypeError, "must be a bool"),
    (dict(dynamic=False), ValueError, '"initial_scale" must be specified'),
    (dict(dynamic=False, initial_scale=2.0, dynamic_growth_steps=5), ValueError, "must be None"),
    (dict(initial_scale=-1.0), ValueError, "positive number"),
    (dict(dynamic_growth_steps=0), ValueError, "positive int"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    kwargs.setdefault("inner_optimizer", optimizers.SGD())
    with pytest.raises(error, match=match):
        LossScaleOptimizer(**kwargs)
    inner = optimizers.Adam()
    LossScaleOptimizer(inner)
    with pytest.raises(ValueError, match="already wrapped"):
        LossScaleOptimizer(inner)


def test_configs_under_tf_keras_names_and_attribute_delegation():
    opt = LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=64.0, dynamic_growth_steps=10)
    config = optimizers.serialize(opt)["config"]
    assert config["inner_optimizer"]["class_name"] == "Adam" and config["initial_scale"] == 64.0
    for name in ("LossScaleOptimizerV3", "LossScaleOptimizer"):
        again = optimizers.deserialize({"class_name": name, "config": config})
        assert isinstance(again, LossScaleOptimizer) and again.dynamic_growth_steps == 10
        assert type(again.inner_optimizer).__module__ == "kerasfront.optimizers.adam"
    legacy = LossScaleOptimizer(optimizers.legacy.SGD(0.1))
    from kerasfront.saving.training_config import optimizer_config_of
    assert optimizer_config_of(opt)["class_name"] == "LossScaleOptimizerV3"
    assert optimizer_config_of(legacy)["class_name"] == "LossScaleOptimizer"
    v1 = optimizers.deserialize({"class_name": "LossScaleOptimizerV1", "config": {
        "inner_optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.1}},
        "loss_scale": {"class_name": "DynamicLossScale", "config": {"initial_loss_scale": 128.0,
                                                                   "increment_period": 5}}}})
    assert v1.initial_scale == 128.0 and v1.dynamic_growth_steps == 5
    assert float(opt.learning_rate) == pytest.approx(0.01)
    opt.learning_rate = 0.5
    assert float(opt.inner_optimizer.learning_rate) == 0.5 and opt.name == opt.inner_optimizer.name


def test_compile_wraps_only_mixed_float16_models_and_a_custom_loop_works():
    mixed_precision.set_global_policy("mixed_float16")
    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(1, dtype="float32")(layers.Dense(4)(inp)))
    model.compile("sgd", "mse")
    assert isinstance(model.optimizer, LossScaleOptimizer)
    model.compile(LossScaleOptimizer(optimizers.SGD(), initial_scale=2.0), "mse")
    assert model.optimizer.initial_scale == 2.0                           # not wrapped twice
    mixed_precision.set_global_policy("mixed_bfloat16")
    inp = keras.Input((3,))
    other = keras.Model(inp, layers.Dense(1)(inp))
    other.compile("sgd", "mse")
    assert not isinstance(other.optimizer, LossScaleOptimizer)
    # tf.keras's custom training loop
    opt = LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=256.0)
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    before = [w.numpy() for w in model.trainable_weights]
    loss = ag.mean(ag.square(model(x) - y))
    scaled = opt.get_scaled_loss(loss)
    grads = opt.get_unscaled_gradients(ag.gradients(scaled, model.trainable_weights))
    opt.apply_gradients(zip(grads, model.trainable_weights))
    assert all(np.any(w.numpy() != b) for w, b in zip(model.trainable_weights, before))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_keras_masks_survive_the_casts_of_a_mixed_model(policy):
    """A float32 output layer after mixed ones (its autocast) and every mixed_bfloat16 layer (rounding its inputs)
    cast their inputs: the casts keep the Keras masks, so a padded query row of MultiHeadAttention is masked as in
    float32 and the loss and metrics see the Embedding's mask (they were lost: tf.keras's numbers differed)."""
    pytest.importorskip("ml_dtypes") if policy == "mixed_bfloat16" else None
    mixed_precision.set_global_policy(policy)
    tok = keras.Input((5,), dtype="int32")
    h = layers.Embedding(10, 4, mask_zero=True)(tok)
    mha = layers.MultiHeadAttention(2, 2)
    out = layers.Dense(3, dtype="float32")(mha(h, h))
    model = keras.Model(tok, out)
    model.compile("sgd", "mse")
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    _, scores = mha(model.layers[1](x), model.layers[1](x), return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(scores.numpy(), np.float32)[0, :, 3], 0.2, atol=2e-3)   # fully masked row
    y = np.ones((2, 5, 3), np.float32)
    pred = model.predict(x, verbose=0)
    keep = (x != 0)[..., None]
    masked_mse = ((pred - y) ** 2).mean(-1, keepdims=True)[keep].sum() / keep.sum()
    assert model.evaluate(x, y, verbose=0) == pytest.approx(masked_mse, rel=1e-5)


# -- bfloat16 --------------------------------------------------------------------------------------------


def test_a_mixed_bfloat16_functional_model_leaves_its_float32_output_unrounded():
    pytest.importorskip("ml_dtypes")
    mixed_precision.set_global_policy("mixed_bfloat16")
    inp = keras.Input((4,))
    hidden = layers.Dense(8)
    last = layers.Dense(3, dtype="float32")
    model = keras.Model(inp, last(hidden(inp)))
    x = np.random.default_rng(0).random((6, 4)).astype("float32")
    out = model(x).numpy()
    np.testing.assert_array_equal(out, last(hidden(x)).numpy())     # was rounded to bfloat16 by the model
    assert not _is_bfloat16(out) and _is_bfloat16(hidden(x).numpy())


def _is_bfloat16(values):
    bits = np.asarray(values, np.float32).view(np.uint32)
    return bool(np.all(bits & 0xFFFF == 0))


def test_round_to_precision_rounds_values_and_gradients():
    x = ag.tensor(np.array([1.0 + 2 ** -9, 3.14159, -0.1], np.float32), requires_grad=True)
    y = ag.round_to_precision(x, "bfloat16")
    assert y.dtype == np.float32 and _is_bfloat16(y.numpy())
    np.testing.assert_array_equal(y.numpy(), [1.0, 3.140625, -0.10009765625])
    ag.sum(y * np.float32(1.0 + 2 ** -10)).backward()
    assert _is_bfloat16(x.grad.numpy()) and x.grad.numpy().tolist() == [1.0, 1.0, 1.0]
    np.testing.assert_array_equal(ag.round_to_precision(np.array([0.1]), "float16").numpy(),
                                  np.float16(0.1).astype(np.float64))
    assert ag.gradcheck(lambda a: ag.round_to_precision(a, "float64") * a, np.array([0.3, -2.0]), order=2)
    np.testing.assert_array_equal(ag.vmap(lambda a: ag.round_to_precision(a, "float16"))(np.ones((3, 2)) / 3).numpy(),
                                  np.full((3, 2), np.float16(1 / 3), np.float64))
    with pytest.raises(ValueError, match="floating-point format"):
        ag.round_to_precision(np.ones(2), "int8")


def test_mixed_bfloat16_layers_carry_bfloat16_values_in_float32():
    layer = layers.Dense(3, activation="tanh", dtype="mixed_bfloat16")
    x = np.random.default_rng(3).normal(size=(2, 4)).astype("float32")
    y = layer(x)
    assert layer.compute_dtype == "bfloat16" and y.dtype == np.float32 and _is_bfloat16(y.numpy())
    assert layer.kernel.dtype == np.float32 and not _is_bfloat16(layer.kernel.numpy())
    import ml_dtypes
    b16 = ml_dtypes.bfloat16
    r = lambda a: np.asarray(a, np.float32).astype(b16).astype(np.float32)        # noqa: E731
    want = r(np.tanh(r(x) @ r(layer.kernel.numpy()) + r(layer.bias.numpy())))
    np.testing.assert_array_equal(y.numpy(), want)


def test_bfloat16_without_ml_dtypes_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)
    with pytest.raises(ImportError, match=r'kerasfront\[bfloat16\]'):
        ag.round_to_precision(np.ones(2, np.float32), "bfloat16")
