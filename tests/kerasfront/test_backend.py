"""kerasfront.backend (K): values against numpy, differentiability, configuration, variables, session hooks."""
import numpy as np
import pytest

import autograd as ag
import kerasfront.backend as K
from kerasfront.variables import Variable

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4)).astype(np.float32)
Y = rng.standard_normal((3, 4)).astype(np.float32)


def test_elementwise_and_reductions_match_numpy():
    cases = [
        (K.square(X), X ** 2), (K.sqrt(np.abs(X)), np.sqrt(np.abs(X))), (K.abs(X), np.abs(X)), (K.exp(X), np.exp(X)),
        (K.log(np.abs(X)), np.log(np.abs(X))), (K.pow(np.abs(X), 1.5), np.abs(X) ** 1.5),
        (K.maximum(X, Y), np.maximum(X, Y)), (K.minimum(X, Y), np.minimum(X, Y)), (K.sign(X), np.sign(X)),
        (K.round(X), np.round(X)), (K.clip(X, -0.5, 0.5), np.clip(X, -0.5, 0.5)),
        (K.mean(X, axis=1), X.mean(1)), (K.sum(X, axis=0, keepdims=True), X.sum(0, keepdims=True)),
        (K.max(X, axis=-1), X.max(-1)), (K.min(X), X.min()), (K.prod(X, axis=1), X.prod(1)),
        (K.std(X, axis=0), X.std(0)), (K.var(X), X.var()), (K.cumsum(X, axis=1), X.cumsum(1)),
        (K.logsumexp(X, axis=1), np.log(np.exp(X).sum(1))), (K.argmax(X), X.argmax(-1)),
        (K.argmin(X, axis=0), X.argmin(0)), (K.any(X > 1.0, axis=1), (X > 1.0).any(1)),
        (K.all(X > -5.0), (X > -5.0).all()), (K.equal(X, X), np.ones_like(X, bool)),
        (K.greater(X, Y), X > Y), (K.less_equal(X, Y), X <= Y),
        (K.l2_normalize(X, axis=1), X / np.sqrt((X ** 2).sum(1, keepdims=True))),
        (K.sigmoid(X), 1 / (1 + np.exp(-X))), (K.tanh(X), np.tanh(X)), (K.softplus(X), np.log1p(np.exp(X))),
        (K.softsign(X), X / (1 + np.abs(X))), (K.relu(X, max_value=0.5), np.clip(X, 0, 0.5)),
        (K.elu(X, 0.5), np.where(X > 0, X, 0.5 * (np.exp(X) - 1))),
        (K.hard_sigmoid(X), np.clip(0.2 * X + 0.5, 0, 1)),
        (K.softmax(X), np.exp(X) / np.exp(X).sum(-1, keepdims=True)),
    ]
    for i, (got, expected) in enumerate(cases):
        assert isinstance(got, ag.Tensor), i
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6, err_msg=f"case {i}")
    assert K.mean(X > 0).dtype == np.float32   # booleans are averaged as floats
    assert float(K.sqrt(np.float32(-1e-9))) == 0.0   # tf.keras clips at zero before the square root
    np.testing.assert_array_equal(K.clip(X, 1.0, 0.5).numpy(), np.full_like(X, 1.0))   # max < min: raised to min


def test_shape_functions():
    assert K.int_shape(X) == (3, 4) and K.ndim(X) == 2
    np.testing.assert_array_equal(K.shape(X).numpy(), [3, 4])
    assert K.reshape(X, (4, 3)).shape == (4, 3)
    np.testing.assert_array_equal(K.transpose(X).numpy(), X.T)
    np.testing.assert_array_equal(K.permute_dimensions(np.ones((2, 3, 4)), (2, 0, 1)).shape, (4, 2, 3))
    assert K.expand_dims(X).shape == (3, 4, 1) and K.squeeze(np.ones((3, 1)), 1).shape == (3,)
    assert K.concatenate([X, Y]).shape == (3, 8) and K.stack([X, Y]).shape == (2, 3, 4)
    assert K.flatten(X).shape == (12,) and K.batch_flatten(np.ones((2, 3, 4))).shape == (2, 12)
    np.testing.assert_array_equal(K.tile(np.array([[1, 2]]), (2, 1)).numpy(), [[1, 2], [1, 2]])
    np.testing.assert_array_equal(K.repeat_elements(np.array([[1, 2]]), 2, axis=1).numpy(), [[1, 1, 2, 2]])
    np.testing.assert_array_equal(K.gather(X, [2, 0]).numpy(), X[[2, 0]])
    np.testing.assert_array_equal(K.one_hot(np.array([0, 2]), 3).numpy(), [[1, 0, 0], [0, 0, 1]])
    assert K.dtype(X) == "float32" and K.count_params(X) == 12


def test_dot_and_batch_dot():
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(K.dot(a, b).numpy(), a @ b, rtol=1e-5)
    np.testing.assert_allclose(K.dot(X, Y.T).numpy(), X @ Y.T, rtol=1e-5)
    x = rng.standard_normal((32, 20, 1)).astype(np.float32)
    y = rng.standard_normal((32, 30, 20)).astype(np.float32)
    out = K.batch_dot(x, y, axes=(1, 2))
    assert K.int_shape(out) == (32, 1, 30)
    np.testing.assert_allclose(out.numpy(), np.einsum("bik,bji->bkj", x, y), rtol=1e-4, atol=1e-5)
    v = K.batch_dot(X, Y, axes=1)
    np.testing.assert_allclose(v.numpy(), (X * Y).sum(1, keepdims=True), rtol=1e-5)
    m = K.batch_dot(a, rng.standard_normal((2, 4, 6)).astype(np.float32))
    assert m.shape == (2, 3, 6)
    with pytest.raises(ValueError, match="does not match"):
        K.batch_dot(a, np.ones((2, 4, 6), np.float32), axes=(1, 1))
    with pytest.raises(ValueError, match="batch axis"):
        K.batch_dot(X, Y, axes=(1, 0))
    with pytest.raises(ValueError, match="batch sizes"):
        K.batch_dot(X, Y[:2])


def test_crossentropies_follow_tf_keras():
    a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    b = np.array([[0.9, 0.05, 0.05], [0.05, 0.89, 0.06], [0.05, 0.01, 0.94]], np.float32)
    np.testing.assert_allclose(K.categorical_crossentropy(a, b).numpy(), [0.10536, 0.11653, 0.06188], atol=1e-5)
    np.testing.assert_allclose(K.categorical_crossentropy(a, a).numpy(), [0.0, 0.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(K.sparse_categorical_crossentropy(np.array([0, 1, 2]), b).numpy(),
                               [0.10536, 0.11653, 0.06188], atol=1e-5)
    p = np.array([[0.3, 0.9]], np.float32)
    t = np.array([[0.0, 1.0]], np.float32)
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(K.binary_crossentropy(t, p).numpy(),
                               -(t * np.log(pc + 1e-7) + (1 - t) * np.log(1 - pc + 1e-7)), rtol=1e-6)
    z = np.array([[-1.0, 2.0]], np.float32)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(K.binary_crossentropy(t, z, from_logits=True).numpy(),
                               -(t * np.log(s) + (1 - t) * np.log(1 - s)), rtol=1e-5)


def test_custom_loss_written_with_k_is_differentiable():
    def rmse(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

    assert ag.gradcheck(lambda p: rmse(Y.astype(np.float64), p), X.astype(np.float64))
    x = ag.tensor(X, requires_grad=True)
    (g,) = ag.gradients(K.sum(K.categorical_crossentropy(K.softmax(Y), K.softmax(x))), [x])
    assert g.shape == X.shape and g.dtype == np.float32


def test_switch():
    np.testing.assert_array_equal(K.switch(X > 0, X, K.zeros_like(X)).numpy(), np.where(X > 0, X, 0))
    assert K.switch(True, lambda: 1, lambda: 2) == 1
    col = np.array([True, False, True])
    np.testing.assert_array_equal(K.switch(col, X, Y).numpy(), np.where(col[:, None], X, Y))


def test_configuration():
    assert K.epsilon() == 1e-7 and K.floatx() == "float32" and K.image_data_format() == "channels_last"
    K.set_epsilon(1e-5)
    try:
        assert K.epsilon() == 1e-5
    finally:
        K.set_epsilon(1e-7)
    with pytest.raises(ValueError, match="float16"):
        K.set_floatx("int8")
    with pytest.raises(ValueError, match="channels_last"):
        K.set_image_data_format("nhwc")
    assert K.cast_to_floatx([1, 2]).dtype == np.float32
    assert K.cast(X, "float64").dtype == np.float64


def test_variables_and_values():
    v = K.variable([[1, 2]], name="v")
    assert isinstance(v, Variable) and v.dtype == np.float32 and v.name == "v:0"
    K.set_value(v, [[3, 4]])
    np.testing.assert_array_equal(K.get_value(v), [[3, 4]])
    np.testing.assert_array_equal(K.eval(v), [[3, 4]])
    assert K.batch_get_value([v, v])[1].shape == (1, 2)
    with pytest.raises(ValueError, match="shape"):
        K.set_value(v, [1, 2, 3])
    np.testing.assert_array_equal(K.get_value(v), [[3, 4]])
    assert K.zeros((2,)).dtype == np.float32 and float(K.ones((2,)).numpy().sum()) == 2.0
    assert K.eye(2).shape == (2, 2)
    assert K.constant(1.5).dtype == np.float32
    assert K.constant([1, 2], dtype="int32").dtype == np.int32
    assert K.ones_like(X).shape == X.shape


def test_random_draws_are_seeded():
    a = K.random_normal((3, 3), seed=4)
    b = K.random_normal((3, 3), seed=4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    u = K.random_uniform((1000,), minval=2.0, maxval=3.0, seed=1).numpy()
    assert u.dtype == np.float32 and u.min() >= 2.0 and u.max() < 3.0
    t = K.truncated_normal((1000,), stddev=2.0, seed=1).numpy()
    assert np.abs(t).max() <= 4.0
    bern = K.random_bernoulli((1000,), p=0.3, seed=1).numpy()
    assert set(np.unique(bern)) <= {0.0, 1.0} and 0.25 < bern.mean() < 0.35


def test_clear_session_resets_uids_and_calls_hooks():
    calls = []
    hook = K.register_clear_session_hook(lambda: calls.append(1))
    K.register_clear_session_hook(hook)   # registering twice calls it once
    assert K.get_uid("dense") >= 1
    K.clear_session()
    assert K.get_uid("dense") == 1 and K.get_uid("dense") == 2
    assert calls == [1]
    with pytest.raises(TypeError, match="callable"):
        K.register_clear_session_hook("not callable")


def test_learning_phase():
    assert K.learning_phase() == 0
    K.set_learning_phase(1)
    try:
        assert K.learning_phase() == 1
        assert K.in_train_phase(lambda: "train", "test") == "train"
    finally:
        K.clear_session()
    assert K.in_train_phase("train", "test") == "test"
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(2)
