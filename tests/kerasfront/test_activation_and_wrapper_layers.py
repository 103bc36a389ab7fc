"""PReLU, ThresholdedReLU, Identity, SpectralNormalization and AbstractRNNCell: the shared layer test, values,
weights, training-only behaviour and argument errors. (Numbers against real tf.keras: test_reference_layers3d.py.)"""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(23)


# -- PReLU ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,in_shape,alpha_shape", [
    ({"alpha_initializer": "random_normal"}, (2, 3, 4), (3, 4)),
    ({"alpha_initializer": "random_normal", "shared_axes": [1, 2]}, (2, 3, 4, 2), (1, 1, 2)),
    ({"alpha_initializer": "ones", "shared_axes": 1}, (2, 3, 4), (1, 4)),
])
def test_prelu_layer(kwargs, in_shape, alpha_shape):
    layer_test(layers.PReLU, kwargs, input_shape=in_shape, expected_output_shape=(None,) + in_shape[1:],
               expected_weight_shapes=[alpha_shape])


def test_prelu_values_and_gradients():
    layer = layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
    x = ag.Tensor(np.array([[-4.0, 0.0, 2.0]], "float32"), requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.numpy(), [[-1.0, 0.0, 2.0]])
    gx, ga = ag.gradients(ag.sum(y), [x, layer.alpha])
    np.testing.assert_array_equal(gx.numpy(), [[0.25, 0.0, 1.0]])      # 0 at 0, as relu(x) - alpha * relu(-x)
    np.testing.assert_array_equal(ga.numpy(), [-4.0, 0.0, 0.0])
    assert layer.weights[0].name.endswith("alpha:0") and layer.get_config()["shared_axes"] is None


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"shared_axes"):
        layers.PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match=r"shared axis 3 is out of range"):
        layers.PReLU(shared_axes=[3])(np.zeros((1, 2, 2), "float32"))
    with pytest.raises(ValueError, match=r"known size.*shared_axes"):
        layers.PReLU()(keras.Input((None, 3)))
    assert layers.PReLU(shared_axes=[1])(keras.Input((None, 3))).shape == (None, None, 3)


# -- ThresholdedReLU and Identity ----------------------------------------------------------------------------
def test_thresholded_relu():
    layer_test(layers.ThresholdedReLU, {"theta": 0.3}, input_shape=(2, 3, 4), expected_output_shape=(None, 3, 4))
    layer = layers.ThresholdedReLU(theta=0.3)
    np.testing.assert_array_equal(layer(np.array([[0.2, 0.3, 0.31, -1.0]], "float32")).numpy(),
                                  np.array([[0.0, 0.0, 0.31, 0.0]], "float32"))
    assert layer.get_config()["theta"] == float(np.float32(0.3))        # tf.keras casts theta to floatx
    with pytest.raises(ValueError, match=r"theta"):
        layers.ThresholdedReLU(theta=-1)
    with pytest.raises(ValueError, match=r"theta"):
        layers.ThresholdedReLU(theta=None)


def test_identity():
    out = layer_test(layers.Identity, {}, input_shape=(2, 3, 4), expected_output_shape=(None, 3, 4),
                     expected_num_weights=0)
    assert out.shape == (2, 3, 4)
    x = np.arange(6.0, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(layers.Identity()(x).numpy(), x)
    a, b = keras.Input((2,)), keras.Input((3,))
    assert [t.shape for t in layers.Identity()([a, b])] == [(None, 2), (None, 3)]


# -- SpectralNormalization -----------------------------------------------------------------------------------
def _top_singular_value(kernel):
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


def test_spectral_normalization_layer():
    layer_test(layers.SpectralNormalization, {"layer": layers.Dense(3)}, input_shape=(2, 4),
               expected_output_shape=(None, 3), expected_weight_shapes=[(4, 3), (3,), (1, 3)],
               expected_num_trainable_weights=2)
    layer_test(layers.SpectralNormalization, {"layer": layers.Conv2D(2, 2), "power_iterations": 2},
               input_shape=(2, 4, 4, 3), expected_output_shape=(None, 3, 3, 2),
               expected_weight_shapes=[(2, 2, 3, 2), (2,), (1, 2)])


def test_spectral_normalization_updates_the_kernel_only_when_training():
    keras.backend.clear_session()
    keras.utils.set_random_seed(3)      # a kernel with a clear spectral gap: 30 power iterations converge
    layer = layers.SpectralNormalization(layers.Dense(4, kernel_initializer="random_normal"))
    x = RNG.standard_normal((3, 5)).astype("float32")
    layer(x)
    assert [w.name for w in layer.weights] == ["spectral_normalization/kernel:0", "spectral_normalization/bias:0",
                                               "spectral_normalization/vector_u:0"]
    assert not layer.vector_u.trainable
    before = layer.layer.kernel.numpy()
    layer(x)
    np.testing.assert_array_equal(layer.layer.kernel.numpy(), before)
    u0 = layer.vector_u.numpy()
    # one power-iteration step, by hand
    w = before.astype(np.float64)
    v = u0 @ w.T
    v /= np.linalg.norm(v)
    u = v @ w
    u /= np.linalg.norm(u)
    sigma = (v @ w @ u.T).item()
    y = layer(x, training=True).numpy()
    np.testing.assert_allclose(layer.layer.kernel.numpy(), before / sigma, rtol=1e-5)
    np.testing.assert_allclose(layer.vector_u.numpy(), u, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y, x @ (before / sigma) + layer.layer.bias.numpy(), rtol=1e-5, atol=1e-6)
    for _ in range(30):
        layer(x, training=True)
    assert abs(_top_singular_value(layer.layer.kernel.numpy()) - 1.0) < 1e-2


def test_spectral_normalization_gradient_is_the_wrapped_layers_at_the_normalized_kernel():
    keras.utils.set_random_seed(5)
    layer = layers.SpectralNormalization(layers.Dense(2, activation="tanh", kernel_initializer="random_normal"))
    x = RNG.standard_normal((3, 4)).astype("float32")
    layer(x)
    y = layer(x, training=True)          # normalizes the kernel first, then runs the Dense on it
    g = ag.gradients(ag.sum(y), [layer.layer.kernel])[0].numpy()
    # tanh's derivative at the normalized kernel's outputs; the normalization itself is not differentiated
    np.testing.assert_allclose(g, x.T @ (1.0 - y.numpy() ** 2), rtol=1e-5, atol=1e-6)


def test_spectral_normalization_in_fit_and_embeddings():
    keras.utils.set_random_seed(4)      # the estimate's convergence depends on the drawn embeddings' spectral gap
    model = keras.Sequential([layers.SpectralNormalization(layers.Embedding(10, 4), input_shape=(3,)),
                              layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4), loss="mse")
    model.fit(RNG.integers(0, 10, (32, 3)), np.ones((32, 1), "float32"), epochs=3, batch_size=2, verbose=0)
    # 48 training steps, one power iteration each: the estimate converges, the tiny updates barely move it
    assert abs(_top_singular_value(model.layers[0].layer.embeddings.numpy()) - 1.0) < 1e-2


def test_spectral_normalization_leaves_an_all_zero_kernel_alone():
    layer = layers.SpectralNormalization(layers.Dense(2, kernel_initializer="zeros"))
    layer(np.ones((1, 3), "float32"), training=True)
    assert not np.any(layer.layer.kernel.numpy()) and np.isfinite(layer.vector_u.numpy()).all()


def test_spectral_normalization_errors():
    with pytest.raises(ValueError, match=r"power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match=r"no attribute 'kernel' nor 'embeddings'"):
        layers.SpectralNormalization(layers.LayerNormalization())(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"Layer instance"):
        layers.SpectralNormalization("dense")


# -- AbstractRNNCell -----------------------------------------------------------------------------------------
class _MinimalCell(layers.AbstractRNNCell):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units))

    def call(self, inputs, states):
        out = ag.tanh(ag.matmul(inputs, self.kernel) + ag.matmul(states[0], self.recurrent_kernel))
        return out, [out]

    def get_config(self):
        return dict(super().get_config(), units=self.units)


def test_abstract_rnn_cell_subclass_runs_in_rnn():
    rnn = layers.RNN(_MinimalCell(3), return_sequences=True)
    x = RNG.standard_normal((2, 4, 5)).astype("float32")
    y = rnn(x).numpy()
    h = np.zeros((2, 3), "float32")
    k, rk = rnn.cell.kernel.numpy(), rnn.cell.recurrent_kernel.numpy()
    for t in range(4):
        h = np.tanh(x[:, t] @ k + h @ rk)
        np.testing.assert_allclose(y[:, t], h, rtol=1e-5, atol=1e-6)
    states = rnn.cell.get_initial_state(batch_size=2, dtype="float32")
    assert [tuple(s.shape) for s in states] == [(2, 3)]
    layer_test(layers.RNN, {"cell": _MinimalCell(3)}, input_shape=(2, 4, 5), expected_output_shape=(None, 3),
               custom_objects={"_MinimalCell": _MinimalCell})


def test_abstract_rnn_cell_says_what_a_subclass_must_define():
    cell = layers.AbstractRNNCell()
    with pytest.raises(NotImplementedError, match=r"state_size"):
        cell.state_size
    with pytest.raises(NotImplementedError, match=r"output_size"):
        cell.output_size
    with pytest.raises(NotImplementedError, match=r"call\(inputs, states\)"):
        cell.call(None, None)
