"""ConvLSTM1D / 2D / 3D: the shared layer test, the sequence path against the cell's own step, masks, states,
stateful use, dropout, channels_first, configs and argument errors. (Numbers and gradients against real tf.keras:
test_reference_layers3d.py.)"""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(11)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


@pytest.mark.parametrize("cls,kwargs,in_shape,out_shape,weights", [
    (layers.ConvLSTM2D, {"filters": 2, "kernel_size": 2}, (2, 3, 4, 4, 2), (None, 3, 3, 2),
     [(2, 2, 2, 8), (2, 2, 2, 8), (8,)]),
    (layers.ConvLSTM2D, {"filters": 2, "kernel_size": 2, "return_sequences": True, "return_state": True,
                         "padding": "same", "strides": (1, 2)}, (2, 3, 4, 4, 2),
     [(None, 3, 4, 2, 2), (None, 4, 2, 2), (None, 4, 2, 2)], None),
    (layers.ConvLSTM1D, {"filters": 2, "kernel_size": 2, "go_backwards": True, "dilation_rate": 2},
     (2, 3, 5, 2), (None, 3, 2), [(2, 2, 8), (2, 2, 8), (8,)]),
    (layers.ConvLSTM3D, {"filters": 1, "kernel_size": 2, "data_format": "channels_first", "use_bias": False},
     (2, 2, 2, 3, 3, 3), (None, 1, 2, 2, 2), [(2, 2, 2, 2, 4), (2, 2, 2, 1, 4)]),
])
def test_conv_lstm_layer(cls, kwargs, in_shape, out_shape, weights):
    layer_test(cls, dict(kwargs, bias_initializer="random_normal"), input_shape=in_shape,
               expected_output_shape=out_shape, expected_weight_shapes=weights)


def test_weights_are_named_as_tf_keras_names_them():
    keras.backend.clear_session()
    layer = layers.ConvLSTM2D(4, 3)
    layer(np.zeros((1, 2, 5, 5, 3), "float32"))
    assert [w.name for w in layer.weights] == ["conv_lstm2d/kernel:0", "conv_lstm2d/recurrent_kernel:0",
                                               "conv_lstm2d/bias:0"]
    np.testing.assert_array_equal(layer.weights[2].numpy(), [0] * 4 + [1] * 4 + [0] * 8)   # unit_forget_bias


@pytest.mark.parametrize("go_backwards", [False, True])
def test_sequence_path_equals_the_cells_own_steps(go_backwards):
    """The layer folds every step's input convolution into one; the cell's ``call`` does one step at a time."""
    layer = layers.ConvLSTM2D(3, (2, 3), strides=(2, 1), padding="same", return_sequences=True,
                              go_backwards=go_backwards, bias_initializer="random_normal")
    x = _x(2, 4, 5, 4, 2)
    seq = layer(x).numpy()
    h = c = ag.Tensor(np.zeros((2, 3, 4, 3), "float32"))
    steps = range(3, -1, -1) if go_backwards else range(4)
    for i, t in enumerate(steps):
        out, (h, c) = layer.cell.call(ag.Tensor(x[:, t]), [h, c])
        np.testing.assert_allclose(seq[:, i], out.numpy(), rtol=1e-5, atol=1e-6)


def test_masked_steps_carry_the_states_and_repeat_the_output():
    layer = layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True, return_state=True)
    x = _x(2, 4, 5, 1)
    mask = np.array([[True, False, True, True], [True, True, True, False]])
    seq, h, c = (t.numpy() for t in layer(x, mask=mask))
    np.testing.assert_array_equal(seq[0, 1], seq[0, 0])
    np.testing.assert_array_equal(seq[1, 3], seq[1, 2])
    np.testing.assert_array_equal(h[1], seq[1, 2])
    unmasked = layer(x[:1, [0, 2, 3]])[0].numpy()
    np.testing.assert_allclose(unmasked[0, -1], seq[0, -1], rtol=1e-5, atol=1e-6)


def test_channels_first_is_channels_last_transposed():
    x = _x(2, 3, 4, 5, 2)
    last = layers.ConvLSTM2D(2, 2, strides=(1, 2), return_sequences=True, bias_initializer="random_normal")
    first = layers.ConvLSTM2D(2, 2, strides=(1, 2), return_sequences=True, data_format="channels_first")
    want = last(x).numpy()
    xf = np.moveaxis(x, -1, 2)
    first(xf)
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(np.moveaxis(first(xf).numpy(), 2, -1), want, rtol=1e-5, atol=1e-6)


def test_initial_state_is_used_and_checked():
    layer = layers.ConvLSTM2D(2, 3, padding="same")
    x = _x(2, 3, 4, 4, 1)
    zeros = np.zeros((2, 4, 4, 2), "float32")
    base = layer(x).numpy()
    np.testing.assert_allclose(layer(x, initial_state=[zeros, zeros]).numpy(), base, rtol=1e-6)
    other = layer(x, initial_state=[zeros + 0.5, zeros - 0.5]).numpy()
    assert np.abs(other - base).max() > 1e-3
    with pytest.raises(ValueError, match=r"initial state 0 must have shape \(2, 4, 4, 2\)"):
        layer(x, initial_state=[np.zeros((2, 2), "float32")] * 2)


def test_stateful_layer_carries_states_between_batches_and_resets():
    model = keras.Sequential([layers.ConvLSTM2D(2, 2, stateful=True, batch_input_shape=(2, 3, 4, 4, 1))])
    x = _x(2, 3, 4, 4, 1)
    first = model.predict(x, verbose=0)
    second = model.predict(x, verbose=0)
    assert np.abs(first - second).max() > 1e-4
    assert [tuple(s.shape) for s in model.layers[0].states] == [(2, 3, 3, 2)] * 2
    model.layers[0].reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)
    with pytest.raises(ValueError, match=r"expected shape=\(2, 3, 3, 2\)"):
        model.layers[0].reset_states([np.zeros((2, 2), "float32")] * 2)


def test_dropout_acts_only_when_training_with_masks_fixed_for_the_sequence():
    layer = layers.ConvLSTM2D(2, 2, dropout=0.5, recurrent_dropout=0.4, seed=1)
    x = _x(2, 3, 4, 4, 2)
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())
    trained = layer(x, training=True).numpy()
    masks, rec_masks = layer.cell._dp_mask, layer.cell._rec_dp_mask     # one per gate, for the whole sequence
    assert [tuple(m.shape) for m in masks] == [(2, 4, 4, 2)] * 4
    assert [tuple(m.shape) for m in rec_masks] == [(2, 3, 3, 2)] * 4
    h = c = ag.Tensor(np.zeros((2, 3, 3, 2), "float32"))
    for t in range(3):                  # the cell's own steps, with the same (cached) masks, agree
        h, (_, c) = layer.cell.call(ag.Tensor(x[:, t]), [h, c], training=True)
    np.testing.assert_allclose(h.numpy(), trained, rtol=1e-5, atol=1e-6)
    assert np.abs(trained - layer(x).numpy()).max() > 1e-4
    layer_test(layers.ConvLSTM1D, {"filters": 2, "kernel_size": 2, "dropout": 0.3, "recurrent_dropout": 0.3},
               input_shape=(2, 3, 4, 2), expected_output_shape=(None, 3, 2), training=True, gradcheck=False)


def test_symbolic_shapes_with_unknown_time_and_space():
    assert layers.ConvLSTM2D(2, 3)(keras.Input((None, None, None, 3))).shape == (None, None, None, 2)
    assert layers.ConvLSTM2D(2, 3, strides=2, return_sequences=True)(keras.Input((None, 9, None, 3))).shape == \
        (None, None, 4, None, 2)
    out = layers.ConvLSTM3D(2, 2, return_state=True)(keras.Input((None, 3, 3, 3, 1)))
    assert [o.shape for o in out] == [(None, 2, 2, 2, 2)] * 3
    out = layers.ConvLSTM2D(2, 3, return_state=True, return_sequences=True)(keras.Input((None, None, 7, 3)))
    assert [o.shape for o in out] == [(None, None, None, 5, 2), (None, None, 5, 2), (None, None, 5, 2)]


def test_config_is_flat_in_tf_keras_order_and_round_trips():
    layer = layers.ConvLSTM2D(3, (2, 3), strides=2, padding="same", return_sequences=True, dropout=0.1)
    config = layer.get_config()
    assert "cell" not in config
    assert list(config)[3:] == [
        "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major", "filters",
        "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "recurrent_activation",
        "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias",
        "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout"]
    assert config["recurrent_activation"] == "hard_sigmoid" and config["kernel_size"] == (2, 3)
    clone = layers.ConvLSTM2D.from_config(config)
    assert clone.get_config() == config
    assert clone.filters == 3 and clone.strides == (2, 2) and clone.dropout == 0.1


@pytest.mark.parametrize("make,error,match", [
    (lambda: layers.ConvLSTM2D(2, 3, unroll=True), TypeError, r"[Uu]nrolling is not possible"),
    (lambda: layers.ConvLSTM2D(2, 3, time_major=True), ValueError, r"time_major"),
    (lambda: layers.ConvLSTM1D(2, 3, padding="causal"), ValueError, r"padding"),
    (lambda: layers.ConvLSTM2D(0, 3), ValueError, r"filters"),
    (lambda: layers.ConvLSTM2D(2, (3, 3, 3)), ValueError, r"kernel_size"),
    (lambda: layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2), ValueError, r"dilation_rate > 1"),
    (lambda: layers.ConvLSTM2D(2, 3, dropout=1.5), ValueError, r"dropout"),
    (lambda: layers.ConvLSTM2D(2, 3, recurrent_dropout=-0.1), ValueError, r"recurrent_dropout"),
    (lambda: layers.ConvLSTM3D(2, 3, data_format="NDHWC"), ValueError, r"data_format"),
    (lambda: layers.ConvLSTM2D(2, 3, return_sequences="yes"), TypeError, r"return_sequences"),
    (lambda: layers.ConvLSTM1D(2, 3, use_bias="no"), TypeError, r"`use_bias` must be True or False"),
    (lambda: layers.ConvLSTM3D(2, 3, unit_forget_bias=None), TypeError, r"`unit_forget_bias`"),
    # the layer and the argument named, not the cell it makes
    (lambda: layers.ConvLSTM2D(2, 3, recurrent_activation="sigmoidd"), ValueError,
     r"^ConvLSTM2D: `recurrent_activation`='sigmoidd': Unknown activation function"),
])
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_input_rank_and_unknown_channels_are_refused():
    with pytest.raises(ValueError, match=r"expected ndim=5"):
        layers.ConvLSTM2D(2, 3)(np.zeros((2, 3, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r"channel dimension"):
        layers.ConvLSTM2D(2, 3)(keras.Input((3, 5, 5, None)))


def test_a_kernel_larger_than_the_maps_is_refused_naming_the_shapes():
    # was numpy's "negative dimensions are not allowed" from the zero initial states
    with pytest.raises(ValueError, match=r"ConvLSTM2D layer .* Received input shape \(1, 3, 5, 5, 2\) which would "
                                         r"produce output shape \(1, -1, -1, 2\)"):
        layers.ConvLSTM2D(2, 7)(np.zeros((1, 3, 5, 5, 2), "float32"))
    unknown = keras.Sequential([keras.Input((None, None, None, 2)), layers.ConvLSTM2D(2, 7)])
    with pytest.raises(ValueError, match=r"output is <= 0"):
        unknown(np.zeros((1, 3, 5, 5, 2), "float32"))
    assert unknown(np.zeros((1, 3, 7, 8, 2), "float32")).shape == (1, 1, 2, 2)
