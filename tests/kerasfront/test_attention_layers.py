"""EinsumDense, MultiHeadAttention, Attention and AdditiveAttention: the shared layer test (shapes with a None
batch, weights, config round trip, float64 gradient check), masks, causal masking, dropout in training only,
attention scores, and argument errors that name the argument. Parity of numbers with tf.keras is in
test_attention_reference.py."""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.layers.einsum_dense import EinsumDense

from .layer_test_utils import layer_test


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# -- EinsumDense --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape, out_shape, weight_shapes", [
    ("ab,bc->ac", 4, "c", (2, 3), (None, 4), [(3, 4), (4,)]),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 5, 4), (None, 5, 2, 3), [(4, 2, 3), (2, 3)]),
    ("abcd,cde->abe", (None, 3), "e", (2, 5, 2, 3), (None, 5, 3), [(2, 3, 3), (3,)]),
    ("...x,xy->...y", 3, None, (2, 4, 5), (None, 4, 3), [(5, 3)]),
    ("ab...,bc->ac...", (3,), "c", (2, 4, 2, 2), (None, 3, 2, 2), [(4, 3), (3, 1, 1)]),
    ("abc,cb->ab", (4,), "b", (2, 4, 3), (None, 4), [(3, 4), (4,)]),        # a letter in all three: einsum
])
def test_einsum_dense_layer_test(equation, output_shape, bias_axes, input_shape, out_shape, weight_shapes):
    layer_test(EinsumDense, {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes,
                             "activation": "tanh"},
               input_shape=input_shape, expected_output_shape=out_shape, expected_weight_shapes=weight_shapes)


@pytest.mark.parametrize("equation, output_shape, shape", [
    ("abc,cde->abde", (None, 2, 3), (3, 4, 5)), ("abcd,cde->abe", (None, 3), (2, 4, 2, 3)),
    ("abc,dc->adb", (2, None), (3, 4, 5)), ("abcd,ced->abe", (None, 3), (2, 2, 3, 4)),
    ("ab...,bc->ac...", (3,), (2, 4, 2, 2)),
])
def test_einsum_dense_matmul_path_equals_einsum_with_gradients(equation, output_shape, shape):
    layer = EinsumDense(equation, output_shape, bias_axes=None, dtype="float64")
    x = np.random.default_rng(0).standard_normal(shape)
    layer(x)
    assert layer._plan is not None                      # these equations take the matmul path
    xt = ag.tensor(x, requires_grad=True)
    y = layer(xt)
    np.testing.assert_allclose(y.numpy(), np.einsum(equation, x, layer.kernel.numpy()), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(y.shape)
    gx, gk = ag.gradients(y, [xt, layer.kernel], grad_outputs=g)
    plan, layer._plan = layer._plan, None
    try:
        xe = ag.tensor(x, requires_grad=True)
        ye = layer(xe)
        ex, ek = ag.gradients(ye, [xe, layer.kernel], grad_outputs=g)
    finally:
        layer._plan = plan
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gk.numpy(), ek.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(equation="ab,bc", output_shape=3), "equation"),
    (dict(equation=3, output_shape=3), "equation"),
    (dict(equation="ab,bc->ad", output_shape=3), "'d'"),
    (dict(equation="ab,bcx->ac", output_shape=3), "weight dimension 'x'"),
    (dict(equation="ab,bc->ac", output_shape="3"), "output_shape"),
    (dict(equation="ab,bc->ac", output_shape=3, bias_axes="b"), "bias_axes"),
    (dict(equation="ab,bc->ac", output_shape=3, bias_axes=1), "bias_axes"),
    (dict(equation="ab,bc->ac", output_shape=3, activation="nope"), "nope"),
])
def test_einsum_dense_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        EinsumDense(**kwargs)


def test_einsum_dense_shape_mismatch_names_the_dimension():
    layer = EinsumDense("abc,cd->abd", output_shape=(7, 4))
    with pytest.raises(ValueError, match="shared dimension 'b'"):
        layer(keras.Input(shape=(5, 3)))


@pytest.mark.parametrize("equation, output_shape, built, bad, axis", [
    ("abc,cd->abd", (None, 4), (2, 5, 3), (2, 5, 2), "axis 2 .* value 3"),
    ("...x,xy->...y", 4, (2, 3), (2, 6, 5), "axis -1 .* value 3"),
    ("ab...,bc->ac...", (4,), (2, 3, 2), (2, 5, 2), "axis 1 .* value 3"),
])
def test_einsum_dense_called_again_with_another_contracted_size_names_the_axis(equation, output_shape, built, bad,
                                                                                axis):
    layer = EinsumDense(equation, output_shape)
    layer(np.ones(built, np.float32))
    with pytest.raises(ValueError, match=f"einsum_dense.*incompatible.*{axis}"):
        layer(np.ones(bad, np.float32))          # was "reshape: cannot reshape ..." on the matmul path


# -- MultiHeadAttention -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, shapes, out_shape, weights", [
    (dict(num_heads=2, key_dim=3), [(2, 4, 5), (2, 3, 5)], (None, 4, 5),
     [(5, 2, 3), (2, 3), (5, 2, 3), (2, 3), (5, 2, 3), (2, 3), (2, 3, 5), (5,)]),
    (dict(num_heads=2, key_dim=2, value_dim=3, use_bias=False, output_shape=4), [(2, 3, 5), (2, 4, 6), (2, 4, 7)],
     (None, 3, 4), [(5, 2, 2), (7, 2, 2), (6, 2, 3), (2, 3, 4)]),
    (dict(num_heads=1, key_dim=2, attention_axes=(1, 2)), [(2, 2, 3, 4), (2, 3, 2, 4)], (None, 2, 3, 4), None),
    (dict(num_heads=2, key_dim=2, attention_axes=2, output_shape=(2, 3)), [(2, 2, 3, 4), (2, 2, 2, 4)],
     (None, 2, 3, 2, 3), None),
])
def test_multi_head_attention_layer_test(kwargs, shapes, out_shape, weights):
    layer_test(layers.MultiHeadAttention, kwargs, input_shape=shapes, expected_output_shape=out_shape,
               expected_weight_shapes=weights, unpack_inputs=True)


def test_multi_head_attention_masked_and_causal_layer_test():
    layer_test(layers.MultiHeadAttention, dict(num_heads=2, key_dim=2), input_shape=[(2, 4, 3), (2, 4, 3)],
               expected_output_shape=(None, 4, 3), call_kwargs={"use_causal_mask": True}, unpack_inputs=True)


def test_multi_head_attention_scores_and_weight_names():
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=2, name="mha")
    out, scores = layer(keras.Input(shape=(4, 6)), keras.Input(shape=(5, 6)), return_attention_scores=True)
    assert (out.shape, scores.shape) == ((None, 4, 6), (None, 3, 4, 5))
    assert [w.name for w in layer.weights] == [f"mha/{p}/{k}:0" for p in ("query", "key", "value", "attention_output")
                                               for k in ("kernel", "bias")]
    q = np.random.default_rng(0).standard_normal((2, 4, 6)).astype("float32")
    out, scores = layer(q, q[:, :3], return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)


def _mha_reference(layer, q, v, keep):
    """The layer's attention written out in numpy from its weights, with a boolean (B, T, S) mask."""
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    pq = np.einsum("btd,dhk->bthk", q, wq) + bq
    pk = np.einsum("bsd,dhk->bshk", v, wk) + bk
    pv = np.einsum("bsd,dhk->bshk", v, wv) + bv
    s = np.einsum("bthk,bshk->bhts", pq / np.sqrt(wq.shape[-1]), pk)
    s = np.where(keep[:, None], s, s - 1e9)
    p = _softmax(s)
    return np.einsum("bthk,hkd->btd", np.einsum("bhts,bshk->bthk", p, pv), wo) + bo, p


def test_multi_head_attention_combines_keras_masks_causal_and_attention_mask():
    rng = np.random.default_rng(3)
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])
    emb = layers.Embedding(10, 6, mask_zero=True, dtype="float64")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dtype="float64")
    x = emb(ids)
    attention_mask = rng.random((2, 5, 5)) < 0.8
    attention_mask[..., 0] = True
    out, p = layer(x, x, attention_mask=attention_mask, use_causal_mask=True, return_attention_scores=True)
    m = ids > 0
    keep = attention_mask & m[:, :, None] & m[:, None, :] & np.tri(5, 5, dtype=bool)[None]
    ref_out, ref_p = _mha_reference(layer, x.numpy(), x.numpy(), keep)
    np.testing.assert_allclose(p.numpy(), ref_p, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    assert np.all(p.numpy()[0, :, :3, 3:] == 0)               # padded keys get no weight
    assert np.all(np.triu(p.numpy()[1], 1) == 0)              # no attention to later steps
    np.testing.assert_array_equal(keras.engine.base_layer.get_mask(out).numpy(), m)   # the query's mask passes on
    # the fused path (no scores) gives the same output
    np.testing.assert_allclose(layer(x, x, attention_mask=attention_mask, use_causal_mask=True).numpy(), ref_out,
                               rtol=1e-10, atol=1e-12)


def test_multi_head_attention_masks_flow_through_a_functional_model():
    inp = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(inp)
    out = layers.GlobalAveragePooling1D()(layers.MultiHeadAttention(2, 2)(x, x))
    model = keras.Model(inp, out)
    # padded steps are masked as keys and left out of the average: the padded sequence gives what its unpadded
    # part gives alone
    ids = np.array([[3, 1, 0, 0, 0]])
    np.testing.assert_allclose(model.predict(ids, verbose=0), model.predict(ids[:, :2], verbose=0), rtol=1e-6)
    assert not np.allclose(model.predict(ids[:, :3] + 1, verbose=0), model.predict(ids[:, :2] + 1, verbose=0))


def test_multi_head_attention_dropout_only_in_training():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((2, 6, 8)).astype("float32")
    base = layer(x, x).numpy()
    np.testing.assert_array_equal(layer(x, x, training=False).numpy(), base)
    keras.utils.set_random_seed(1)
    a = layer(x, x, training=True).numpy()
    keras.utils.set_random_seed(1)
    b = layer(x, x, training=True).numpy()
    assert not np.allclose(a, base)
    np.testing.assert_array_equal(a, b)
    _, scores = layer(x, x, training=True, return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)      # scores are before dropout


def test_multi_head_attention_dropout_gradients_match_the_dropped_weights():
    layer = layers.MultiHeadAttention(num_heads=1, key_dim=2, dropout=0.4, dtype="float64")
    x = ag.tensor(np.random.default_rng(2).standard_normal((2, 3, 4)), requires_grad=True)
    layer(x, x)

    def f(t):
        keras.utils.set_random_seed(5)
        return layer(t, t, training=True)

    assert ag.gradcheck(f, x.numpy())


@pytest.mark.filterwarnings("ignore:No training configuration")
def test_multi_head_attention_from_config_builds_weights_and_h5_round_trip(tmp_path):
    inp = keras.Input(shape=(4, 6))
    out = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(inp, inp)
    model = keras.Model(inp, out)
    clone = layers.MultiHeadAttention.from_config(model.get_layer("mha").get_config())
    assert [w.shape for w in clone.weights] == [w.shape for w in model.get_layer("mha").weights]
    path = str(tmp_path / "m.h5")
    model.save(path)
    back = keras.models.load_model(path)
    x = np.random.default_rng(0).standard_normal((3, 4, 6)).astype("float32")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    path = str(tmp_path / "m.keras")
    model.save(path)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))


def test_multi_head_attention_trains():
    inp = keras.Input(shape=(6, 4))
    x = layers.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp)
    model = keras.Model(inp, layers.Dense(1)(layers.GlobalAveragePooling1D()(x)))
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((32, 6, 4)).astype("float32")
    y = xs[:, :, 0].max(axis=1, keepdims=True)
    history = model.fit(xs, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_heads=0, key_dim=2), "num_heads"),
    (dict(num_heads=2.0, key_dim=2), "num_heads"),
    (dict(num_heads=2, key_dim=None), "key_dim"),
    (dict(num_heads=2, key_dim=2, value_dim=-1), "value_dim"),
    (dict(num_heads=2, key_dim=2, dropout=1.0), "dropout"),
    (dict(num_heads=2, key_dim=2, use_bias="yes"), "use_bias"),
    (dict(num_heads=2, key_dim=2, output_shape=(0,)), "output_shape"),
    (dict(num_heads=2, key_dim=2, attention_axes="1"), "attention_axes"),
    (dict(num_heads=2, key_dim=2, softmax_robust_masking=1), "softmax_robust_masking"),
    (dict(num_heads=2, key_dim=2, kernel_initializer="nope"), "nope"),
])
def test_multi_head_attention_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        layers.MultiHeadAttention(**kwargs)


def test_multi_head_attention_rejects_bad_calls():
    x = keras.Input(shape=(4, 6))
    with pytest.raises(TypeError, match="value"):
        layers.MultiHeadAttention(2, 2)(x)
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes=(0,))(x, x)
    with pytest.raises(ValueError, match="`value` and `key`"):
        layers.MultiHeadAttention(2, 2)(x, keras.Input(shape=(5, 6)), key=keras.Input(shape=(4, 6)))
    with pytest.raises(ValueError, match="query"):
        layers.MultiHeadAttention(2, 2)(keras.Input(shape=(6,)), keras.Input(shape=(6,)))
    built = layers.MultiHeadAttention(2, 2)
    built(np.ones((2, 4, 6), np.float32), np.ones((2, 3, 6), np.float32))
    with pytest.raises(ValueError, match='layer "key" is incompatible.*value 6.*received input with shape'):
        built(np.ones((2, 4, 6), np.float32), np.ones((2, 3, 7), np.float32))


# -- Attention and AdditiveAttention ------------------------------------------------------------------------

@pytest.mark.parametrize("cls, kwargs, shapes, weights", [
    (layers.Attention, {}, [(2, 3, 4), (2, 5, 4)], []),
    (layers.Attention, {"use_scale": True}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)], [()]),
    (layers.Attention, {"score_mode": "concat", "use_scale": True}, [(2, 3, 4), (2, 5, 4)], [(), ()]),
    (layers.AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4)], [(4,)]),
    (layers.AdditiveAttention, {"use_scale": False}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)], []),
])
def test_dense_attention_layer_test(cls, kwargs, shapes, weights):
    layer_test(cls, kwargs, input_shape=shapes, expected_output_shape=(None, 3, 4), expected_weight_shapes=weights)
    layer_test(cls, kwargs, input_shape=shapes, expected_output_shape=(None, 3, 4),
               call_kwargs={"use_causal_mask": True})


@pytest.mark.parametrize("cls, kwargs", [
    (layers.Attention, {"use_scale": True}), (layers.Attention, {"score_mode": "concat"}),
    (layers.AdditiveAttention, {}), (layers.AdditiveAttention, {"use_scale": False}),
])
def test_dense_attention_masks_and_causal_follow_the_formula(cls, kwargs):
    rng = np.random.default_rng(4)
    q, v, k = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 4)))
    qm = np.array([[True, False, True], [True, True, True]])
    vm = np.array([[True, True, False, True, False], [False, True, True, True, True]])
    layer = cls(dtype="float64", **kwargs)
    layer([q, v, k])
    layer.set_weights([w + 0.3 for w in layer.get_weights()])
    out, p = layer([q, v, k], mask=[qm, vm], use_causal_mask=True, return_attention_scores=True)
    w = {x.name.split("/")[-1][:-2]: x.numpy() for x in layer.weights}
    if cls is layers.Attention and kwargs.get("score_mode") != "concat":
        s = np.einsum("bqd,bvd->bqv", q, k) * w.get("scale", 1.0)
    elif cls is layers.Attention:
        s = w["concat_score_weight"] * np.tanh(w.get("scale", 1.0) * (q[:, :, None] + k[:, None])).sum(-1)
    else:
        s = (w.get("scale", 1.0) * np.tanh(q[:, :, None] + k[:, None])).sum(-1)
    keep = vm[:, None, :] & np.tri(3, 5, dtype=bool)
    ref_p = _softmax(np.where(keep, s, s - 1e9))
    np.testing.assert_allclose(p.numpy(), ref_p, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), (ref_p @ v) * qm[..., None], rtol=1e-10, atol=1e-12)
    assert np.array_equal(layer.compute_mask([q, v], [qm, vm]), qm)


def test_dense_attention_takes_keras_masks_of_its_inputs():
    q_in, v_in = keras.Input(shape=(3,), dtype="int32"), keras.Input(shape=(4,), dtype="int32")
    emb = layers.Embedding(10, 4, mask_zero=True)
    out = layers.Attention()([emb(q_in), emb(v_in)])
    model = keras.Model([q_in, v_in], out)
    q, v = np.array([[1, 2, 0]]), np.array([[3, 4, 0, 0]])
    got = model.predict([q, v], verbose=0)
    e = emb.get_weights()[0]
    ref = _softmax(np.where([True, True, False, False], e[q] @ e[v].transpose(0, 2, 1), -1e9)) @ e[v]
    ref[:, 2] = 0.0                                             # the padded query step outputs zeros
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [layers.Attention, layers.AdditiveAttention])
def test_dense_attention_dropout_only_in_training(cls):
    layer = cls(dropout=0.5)
    rng = np.random.default_rng(0)
    q, v = rng.standard_normal((2, 4, 3)).astype("float32"), rng.standard_normal((2, 6, 3)).astype("float32")
    base = layer([q, v]).numpy()
    np.testing.assert_array_equal(layer([q, v], training=False).numpy(), base)
    assert not np.allclose(layer([q, v], training=True).numpy(), base)


@pytest.mark.parametrize("cls, kwargs", [(layers.Attention, {}), (layers.Attention, {"use_scale": True}),
                                         (layers.AdditiveAttention, {})])
def test_dense_attention_returns_the_weights_after_dropout_in_training(cls, kwargs):
    # as tf.keras's BaseDenseAttention: the scores returned are those that multiplied the values (dropped and
    # rescaled); MultiHeadAttention returns them before dropout (its own test)
    layer = cls(dropout=0.5, **kwargs)
    rng = np.random.default_rng(0)
    q, v = rng.standard_normal((2, 4, 3)).astype("float32"), rng.standard_normal((2, 6, 3)).astype("float32")
    out, weights = layer([q, v], training=True, return_attention_scores=True)
    w = weights.numpy()
    assert (w == 0).any() and not np.allclose(w.sum(-1), 1.0)
    np.testing.assert_allclose(out.numpy(), w @ v, rtol=1e-5, atol=1e-6)
    out, weights = layer([q, v], training=False, return_attention_scores=True)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Attention(score_mode="add"), "score_mode"),
    (lambda: layers.Attention(use_scale=1), "use_scale"),
    (lambda: layers.Attention(dropout=-0.1), "dropout"),
    (lambda: layers.AdditiveAttention(use_scale=None), "use_scale"),
    (lambda: layers.AdditiveAttention(dropout="0.1"), "dropout"),
    (lambda: layers.Attention(causal="yes"), "causal"),
])
def test_dense_attention_rejects_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_dense_attention_rejects_bad_calls():
    q = np.ones((1, 2, 3), "float32")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(q)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layers.Attention()([q])
    with pytest.raises(ValueError, match="mask must be a list of length 2"):
        layers.Attention()([q, q], mask=[None, None, np.ones((1, 2), bool)][:1] + [np.ones((1, 2), bool)] * 3)


def test_deprecated_causal_argument_warns_and_masks():
    with pytest.warns(UserWarning, match="use_causal_mask"):
        layer = layers.Attention(causal=True)
    q = np.random.default_rng(0).standard_normal((1, 3, 2)).astype("float32")
    _, p = layer([q, q], return_attention_scores=True)
    assert np.all(np.triu(p.numpy()[0], 1) == 0)
