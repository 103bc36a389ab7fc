"""The Layer base class: names, weights and their names, freezing, set_weights errors, losses, the training flag,
masks, configs and input checks."""
import json

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.engine.base_layer import Layer, get_mask, name_scope


@pytest.fixture(autouse=True)
def fresh_names():
    keras.backend.clear_session()
    yield


class Scale(Layer):
    """A test layer: one weight per feature, a training-dependent offset, an activity loss."""

    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def build(self, input_shape):
        self.w = self.add_weight("w", shape=(input_shape[-1],), initializer="ones",
                                 regularizer=keras.regularizers.l2(0.5))
        self.count = self.add_weight("count", shape=(), initializer="zeros", trainable=False)

    def call(self, inputs, training=None):
        out = inputs * self.w
        if training:
            out = out + self.offset
        self.add_loss(ag.sum(out) * 0.0 + 1.0)
        return out

    def get_config(self):
        config = super().get_config()
        config["offset"] = self.offset
        return config


def test_unique_names_per_class_reset_by_clear_session():
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.LeakyReLU().name == "leaky_re_lu"
    assert Scale().name == "scale"
    assert layers.Dense(1, name="custom").name == "custom"
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"
    assert keras.Input((2,)).name == "input_1"


def test_weights_named_by_scope_created_on_first_call_and_ordered():
    layer = Scale(name="sc")
    assert not layer.built and layer.weights == []
    layer(np.ones((2, 3), np.float32))
    assert layer.built
    assert [w.name for w in layer.weights] == ["sc/w:0", "sc/count:0"]
    assert [w.name for w in layer.trainable_weights] == ["sc/w:0"]
    assert [w.name for w in layer.non_trainable_weights] == ["sc/count:0"]
    assert layer.count_params() == 4


def test_nested_name_scope_for_cells():
    class Outer(Layer):
        def build(self, input_shape):
            self.cell = layers.Dense(2, name="inner_cell")
            with name_scope(self.cell.name):
                self.cell.build(input_shape)

        def call(self, inputs):
            return self.cell(inputs)

    outer = Outer(name="outer")
    outer(np.ones((1, 3), np.float32))
    assert [w.name for w in outer.weights] == ["outer/inner_cell/kernel:0", "outer/inner_cell/bias:0"]


def test_subclassed_model_weights_are_scoped_by_model_name():
    class MyModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    m = MyModel()
    m(np.zeros((1, 3), np.float32))
    assert m.name == "my_model"
    assert [w.name for w in m.weights] == ["my_model/dense/kernel:0", "my_model/dense/bias:0"]


def test_freezing_moves_weights_to_non_trainable():
    inp = keras.Input((3,))
    inner = layers.Dense(2)
    model = keras.Model(inp, layers.Dense(1)(inner(inp)))
    assert len(model.trainable_weights) == 4
    inner.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and len(model.weights) == 4
    assert all(not la.trainable for la in model.layers)


def test_frozen_layer_is_not_updated_by_fit():
    inp = keras.Input((3,))
    frozen = layers.Dense(4, name="frozen")
    model = keras.Model(inp, layers.Dense(1)(frozen(inp)))
    frozen.trainable = False
    model.compile("sgd", "mse")
    before = frozen.get_weights()
    other_before = model.layers[-1].get_weights()
    model.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0, epochs=2)
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(other_before[0], model.layers[-1].get_weights()[0])


def test_set_weights_checks_count_and_shapes_before_changing_anything():
    layer = layers.Dense(2)
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"dense.*length 1.*expecting 2"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"dense.*bias:0.*\(2,\).*\(3,\)"):
        layer.set_weights([np.ones((3, 2)), np.ones((3,))])
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    layer.set_weights([np.ones((3, 2)), np.full((2,), 5.0)])
    np.testing.assert_array_equal(layer.bias.numpy(), [5.0, 5.0])


def test_losses_hold_regularization_and_call_losses():
    layer = Scale()
    x = np.ones((2, 3), np.float32)
    layer(x)
    values = sorted(float(v.data) for v in layer.losses)
    # l2(0.5) on w = ones(3) is 0.5 * 3; the add_loss value is 1
    assert values == pytest.approx([1.0, 1.5])
    layer(x)
    assert len(layer.losses) == 2      # call losses are replaced by the latest call, not accumulated


def test_activity_regularizer_divided_by_batch_size():
    layer = layers.Dense(2, kernel_initializer="ones", activity_regularizer=keras.regularizers.l1(0.1))
    out = layer(np.ones((4, 3), np.float32))
    (loss,) = layer.losses
    assert float(loss.data) == pytest.approx(0.1 * float(np.abs(out.numpy()).sum()) / 4, rel=1e-6)


def test_training_flag_propagates_to_sublayers():
    class Wrapper(keras.Model):
        def __init__(self):
            super().__init__()
            self.scale = Scale(offset=10.0)

        def call(self, x, training=None):
            return self.scale(x)

    m = Wrapper()
    x = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(m(x).numpy(), [[1.0, 1.0]])
    np.testing.assert_allclose(m(x, training=True).numpy(), [[11.0, 11.0]])
    np.testing.assert_allclose(m(x, training=False).numpy(), [[1.0, 1.0]])


def test_masks_flow_to_layers_that_take_them():
    class MakeMask(Layer):
        def compute_mask(self, inputs, mask=None):
            return ag.not_equal(inputs, 0)

    class ReadMask(Layer):
        def call(self, inputs, mask=None):
            return inputs if mask is None else ag.where(mask, inputs, ag.zeros_like(inputs) - 1.0)

    x = np.array([[1.0, 0.0, 2.0]], np.float32)
    masked = MakeMask()(x)
    assert get_mask(masked) is not None
    np.testing.assert_array_equal(ReadMask()(masked).numpy(), [[1.0, -1.0, 2.0]])
    # a layer that supports masking passes it on; one that does not drops it
    assert get_mask(layers.Activation("linear")(masked)) is not None
    assert get_mask(layers.Dense(2)(masked)) is not None       # Dense supports masking in Keras 2
    assert get_mask(layers.Flatten()(masked)) is None
    # the same flow inside a functional model
    inp = keras.Input((3,))
    model = keras.Model(inp, ReadMask()(MakeMask()(inp)))
    np.testing.assert_array_equal(model(x).numpy(), [[1.0, -1.0, 2.0]])


def test_numpy_inputs_become_float32_and_ints_stay():
    out = layers.Dense(2)(np.ones((1, 3), np.float64))
    assert out.dtype == np.float32
    seen = {}

    class Probe(Layer):
        def call(self, inputs):
            seen["dtype"] = inputs.dtype
            return inputs

    Probe()(np.array([[1, 2]], np.int32))
    assert seen["dtype"] == np.int32


def test_config_round_trip_and_auto_config():
    layer = Scale(offset=2.5, name="s")
    config = layer.get_config()
    assert config == {"name": "s", "trainable": True, "dtype": "float32", "offset": 2.5}
    assert Scale.from_config(json.loads(json.dumps(config))).offset == 2.5

    class NoGetConfig(Layer):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

    assert NoGetConfig(units=7).get_config()["units"] == 7

    class Unserializable(Layer):
        def __init__(self, fn, **kwargs):
            super().__init__(**kwargs)
            self.fn = fn

    with pytest.raises(NotImplementedError, match="get_config"):
        Unserializable(object()).get_config()


def test_constructor_argument_errors_name_the_problem():
    with pytest.raises(TypeError, match="not understood: 'unit'"):
        layers.Dense(2, unit=3)
    with pytest.raises(TypeError, match="trainable"):
        layers.Dense(2, trainable="yes")
    with pytest.raises(TypeError, match="name"):
        layers.Dense(2, name=5)
    with pytest.raises(TypeError, match="dtype"):
        layers.Dense(2, dtype="not_a_dtype")


def test_input_spec_errors_name_layer_and_shapes():
    layer = layers.Dense(3)
    layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r'layer "dense".*axis -1.*value 4.*\(2, 5\)'):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"min_ndim=2, found ndim=1"):
        layers.Dense(2)(np.ones((3,), np.float32))
    inp = keras.Input((4,))
    layer2 = layers.Dense(2)
    layer2(inp)
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4"):
        layer2(keras.Input((5,)))


def test_compute_output_shape_and_symbolic_shapes():
    assert layers.Dense(5).compute_output_shape((None, 3)) == (None, 5)
    x = keras.Input((None, 4))
    y = layers.Dense(2)(x)
    assert y.shape == (None, None, 2)
    assert layers.Reshape((2, 2))(keras.Input((4,))).shape == (None, 2, 2)


def test_dtype_float64_layer_computes_in_float64():
    layer = layers.Dense(2, dtype="float64")
    out = layer(np.ones((1, 3), np.float32))
    assert out.dtype == np.float64 and layer.kernel.dtype == np.float64
    assert layer.get_config()["dtype"] == "float64"


def test_autocast_inside_graphs_and_int_inputs_to_dense():
    inp = keras.Input((3,), dtype="int32")
    model = keras.Model(inp, layers.Dense(2)(inp))
    assert model(np.ones((1, 3), np.int32)).dtype == np.float32
    inp = keras.Input((3,))
    wide = layers.Dense(2, dtype="float64")(inp)
    assert wide.dtype == "float64"
    model = keras.Model(inp, layers.Dense(2)(wide))
    assert model(np.ones((1, 3))).dtype == np.float32


def test_a_per_sample_add_loss_logs_its_mean_and_trains_on_its_sum():
    """keras.io's OCR example adds K.ctc_batch_cost's (batch, 1) losses unreduced: tf.keras logs their mean and
    differentiates their sum (was a TypeError converting the vector to a float)."""
    class PerSample(Layer):
        def call(self, inputs):
            self.add_loss(ag.sum(inputs * inputs, axis=1, keepdims=True))
            return inputs

    inp = keras.Input((2,))
    dense = layers.Dense(2, kernel_initializer="ones", use_bias=False)
    model = keras.Model(inp, PerSample()(dense(inp)))
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    x = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [2.0, 0.0]], np.float32)
    out = x @ np.ones((2, 2))
    assert model.evaluate(x, batch_size=4, verbose=0) == pytest.approx(np.mean((out ** 2).sum(1)), rel=1e-6)
    model.fit(x, batch_size=4, epochs=1, verbose=0)
    grad_of_sum = 2 * x.T @ out                          # d/dW of sum over samples of |x W|^2
    np.testing.assert_allclose(dense.kernel.numpy(), np.ones((2, 2)) - 0.01 * grad_of_sum, rtol=1e-6)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Dense(2, kernel_initializer="glorot"), r"^Dense: `kernel_initializer`='glorot': Unknown"),
    (lambda: layers.Dense(2, activity_regularizer=3), r"^Dense: `activity_regularizer`=3: regularizers.get"),
    (lambda: layers.LSTM(2, recurrent_constraint={"a": 1}), r"^LSTM: `recurrent_constraint`=\{'a': 1\}"),
    (lambda: layers.MultiHeadAttention(2, 2, bias_initializer="zeroes"), r"MultiHeadAttention: `bias_initializer`"),
    (lambda: Scale(name="s", activity_regularizer="l3"), r"^Scale: `activity_regularizer`='l3'"),      # via kwargs
])
def test_an_unknown_initializer_regularizer_constraint_or_activation_names_the_argument(make, match):
    """The kinds' ``get`` know the bad identifier, not the argument: the layer's constructor names it (the
    outermost one that received it)."""
    with pytest.raises((ValueError, TypeError), match=match):
        make()

