"""Recurrent layers (SimpleRNN, LSTM, GRU, RNN with custom and stacked cells): the shared layer test, Keras's
weight layouts and configs, the fused path against the step-by-step path and against numpy formulas, masking,
go_backwards, states (initial, returned, stateful), dropout, and argument errors."""
import json
import os

import h5py
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.engine.base_layer import Layer
from tests.kerasfront.layer_test_utils import layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class MinimalRNNCell(Layer):
    """The custom cell of Keras's RNN docs: ``h' = tanh(x W + h U)``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", shape=(self.units, self.units))

    def call(self, inputs, states):
        out = ag.tanh(ag.matmul(inputs, self.kernel) + ag.matmul(states[0], self.recurrent_kernel))
        return out, [out]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


# the built-in cells without their fused sequence method: RNN then runs them step by step
class LoopLSTMCell(layers.LSTMCell):
    _fused_sequence = None


class LoopGRUCell(layers.GRUCell):
    _fused_sequence = None


class LoopSimpleRNNCell(layers.SimpleRNNCell):
    _fused_sequence = None


# -- the shared layer test ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs,expected,weights", [
    (layers.SimpleRNN, {"units": 3}, (None, 3), [(2, 3), (3, 3), (3,)]),
    (layers.SimpleRNN, {"units": 3, "return_sequences": True, "go_backwards": True}, (None, 4, 3),
     [(2, 3), (3, 3), (3,)]),
    (layers.LSTM, {"units": 3}, (None, 3), [(2, 12), (3, 12), (12,)]),
    (layers.LSTM, {"units": 2, "return_sequences": True, "use_bias": False}, (None, 4, 2), [(2, 8), (2, 8)]),
    (layers.LSTM, {"units": 2, "activation": "softsign", "recurrent_activation": "hard_sigmoid"}, (None, 2),
     [(2, 8), (2, 8), (8,)]),
    (layers.GRU, {"units": 3}, (None, 3), [(2, 9), (3, 9), (2, 9)]),
    (layers.GRU, {"units": 3, "reset_after": False, "go_backwards": True}, (None, 3), [(2, 9), (3, 9), (9,)]),
    (layers.GRU, {"units": 2, "activation": "elu", "return_sequences": True}, (None, 4, 2),
     [(2, 6), (2, 6), (2, 6)]),
])
def test_recurrent_shared(cls, kwargs, expected, weights):
    out = layer_test(cls, kwargs, input_shape=(3, 4, 2), expected_output_shape=expected,
                     expected_weight_shapes=weights)
    assert np.all(np.isfinite(out))


def test_return_state_shared():
    outs = layer_test(layers.LSTM, {"units": 3, "return_state": True}, input_shape=(2, 4, 2),
                      expected_output_shape=[(None, 3), (None, 3), (None, 3)])
    np.testing.assert_allclose(outs[0], outs[1])          # the output is the final h


def test_rnn_custom_cell_shared():
    layer_test(layers.RNN, {"cell": MinimalRNNCell(3), "return_sequences": True}, input_shape=(2, 4, 2),
               expected_output_shape=(None, 4, 3), expected_weight_shapes=[(2, 3), (3, 3)],
               custom_objects={"MinimalRNNCell": MinimalRNNCell})


def test_rnn_stacked_cells_shared():
    layer = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], name="rnn")
    layer(np.ones((2, 4, 5), np.float32))
    assert [w.name for w in layer.weights] == [
        "rnn/stacked_rnn_cells/lstm_cell/kernel:0", "rnn/stacked_rnn_cells/lstm_cell/recurrent_kernel:0",
        "rnn/stacked_rnn_cells/lstm_cell/bias:0", "rnn/stacked_rnn_cells/gru_cell/kernel:0",
        "rnn/stacked_rnn_cells/gru_cell/recurrent_kernel:0", "rnn/stacked_rnn_cells/gru_cell/bias:0"]
    layer_test(layers.RNN, {"cell": [layers.SimpleRNNCell(3), layers.LSTMCell(2)], "return_state": True},
               input_shape=(2, 4, 2), expected_output_shape=[(None, 2), (None, 3), (None, 2), (None, 2)])


# -- weight layouts and configs as tf.keras ------------------------------------------------------------------
def test_weight_names_and_lstm_forget_bias():
    lstm = layers.LSTM(4, name="lstm")
    lstm(np.ones((2, 3, 5), np.float32))
    assert [w.name for w in lstm.weights] == ["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0",
                                              "lstm/lstm_cell/bias:0"]
    np.testing.assert_array_equal(lstm.weights[2].numpy(), [0] * 4 + [1] * 4 + [0] * 8)
    # the orthogonal recurrent initializer: each gate's (4, 4) block... the whole (4, 16) matrix has orthonormal rows
    r = lstm.weights[1].numpy()
    np.testing.assert_allclose(r @ r.T, np.eye(4), atol=1e-5)
    no_forget = layers.LSTM(2, unit_forget_bias=False, bias_initializer="ones")
    no_forget(np.ones((1, 2, 3), np.float32))
    np.testing.assert_array_equal(no_forget.cell.bias.numpy(), np.ones(8))
    rnn = layers.SimpleRNN(2, name="simple_rnn")
    rnn(np.ones((1, 2, 3), np.float32))
    assert [w.name for w in rnn.weights][0] == "simple_rnn/simple_rnn_cell/kernel:0"
    gru = layers.GRU(2, name="gru")
    gru(np.ones((1, 2, 3), np.float32))
    assert [(w.name, w.shape) for w in gru.weights] == [
        ("gru/gru_cell/kernel:0", (3, 6)), ("gru/gru_cell/recurrent_kernel:0", (2, 6)), ("gru/gru_cell/bias:0", (2, 6))]


def _strip(config):
    """A tf.keras config without the keys only tf.keras writes (module, registered_name, build_config)."""
    if isinstance(config, dict):
        return {k: _strip(v) for k, v in config.items() if k not in ("module", "registered_name", "build_config")}
    if isinstance(config, list):
        return [_strip(v) for v in config]
    return config


@pytest.mark.parametrize("case,class_name", [("lstm_rmsprop", "LSTM"), ("gru_simplernn_adam", "GRU"),
                                             ("gru_simplernn_adam", "SimpleRNN")])
def test_config_equals_tf_keras_file(case, class_name):
    with h5py.File(os.path.join(FIXTURES, f"{case}.h5"), "r") as f:
        model_config = json.loads(f.attrs["model_config"])
    entry = next(e for e in model_config["config"]["layers"] if e["class_name"] == class_name)
    expected = _strip(entry["config"])
    layer = layers.deserialize({"class_name": class_name, "config": entry["config"]})
    got = json.loads(json.dumps(layer.get_config(), default=list))
    assert got == expected
    assert list(got) == list(expected)        # the same key order, as tf.keras writes it


def test_cell_configs_round_trip():
    for cell in (layers.SimpleRNNCell(3, dropout=0.1), layers.LSTMCell(3, implementation=1),
                 layers.GRUCell(3, reset_after=False, recurrent_dropout=0.2)):
        config = cell.get_config()
        clone = type(cell).from_config(json.loads(json.dumps(config)))
        assert clone.get_config() == config
    assert layers.LSTMCell(3, recurrent_dropout=0.2).get_config()["implementation"] == 1   # as tf.keras
    rnn = layers.RNN(layers.LSTMCell(2), zero_output_for_mask=True, name="rnn")
    config = rnn.get_config()
    assert config["zero_output_for_mask"] is True and config["cell"]["class_name"] == "LSTMCell"
    assert layers.deserialize({"class_name": "RNN", "config": config}).zero_output_for_mask


# -- numbers ---------------------------------------------------------------------------------------------------
def _lstm_numpy(x, k, r, b, h, c):
    u = r.shape[0]
    outs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ k + h @ r + b
        i, f, g, o = _sigmoid(z[:, :u]), _sigmoid(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), _sigmoid(z[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), h, c


def _gru_numpy(x, k, r, b, h, reset_after):
    u = r.shape[0]
    outs = []
    for t in range(x.shape[1]):
        if reset_after:
            xz = x[:, t] @ k + b[0]
            hr = h @ r + b[1]
            z, rr = _sigmoid(xz[:, :u] + hr[:, :u]), _sigmoid(xz[:, u:2 * u] + hr[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + rr * hr[:, 2 * u:])
        else:
            xz = x[:, t] @ k + b
            z = _sigmoid(xz[:, :u] + h @ r[:, :u])
            rr = _sigmoid(xz[:, u:2 * u] + h @ r[:, u:2 * u])
            hh = np.tanh(xz[:, 2 * u:] + (rr * h) @ r[:, 2 * u:])
        h = z * h + (1 - z) * hh
        outs.append(h)
    return np.stack(outs, 1), h


def _randomize(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer.get_weights()


def test_lstm_matches_numpy_formula():
    x = _x(3, 5, 4)
    layer = layers.LSTM(6, return_sequences=True, return_state=True)
    layer(x)
    k, r, b = _randomize(layer)
    seq, h, c = layer(x)
    ref = _lstm_numpy(x.astype(np.float64), k, r, b, np.zeros((3, 6)), np.zeros((3, 6)))
    for got, want in zip((seq, h, c), ref):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_numpy_formula(reset_after):
    x = _x(3, 5, 4)
    layer = layers.GRU(6, return_sequences=True, reset_after=reset_after)
    layer(x)
    k, r, b = _randomize(layer)
    ref, _ = _gru_numpy(x.astype(np.float64), k, r, b, np.zeros((3, 6)), reset_after)
    np.testing.assert_allclose(layer(x).numpy(), ref, rtol=1e-5, atol=1e-6)


def test_simple_rnn_matches_numpy_formula():
    x = _x(2, 4, 3)
    layer = layers.SimpleRNN(5, activation="relu")
    layer(x)
    k, r, b = _randomize(layer)
    h = np.zeros((2, 5))
    for t in range(4):
        h = np.maximum(x[:, t] @ k + h @ r + b, 0)
    np.testing.assert_allclose(layer(x).numpy(), h, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fused_cls,loop_cls,kwargs", [
    (layers.LSTMCell, LoopLSTMCell, {}),
    (layers.GRUCell, LoopGRUCell, {}),
    (layers.GRUCell, LoopGRUCell, {"reset_after": False}),
    (layers.SimpleRNNCell, LoopSimpleRNNCell, {}),
    (layers.LSTMCell, LoopLSTMCell, {"activation": "relu", "recurrent_activation": "hard_sigmoid", "use_bias": False}),
    (layers.GRUCell, LoopGRUCell, {"use_bias": False, "recurrent_activation": "linear"}),
    # Keras 3's hard_sigmoid (what a Keras 3 file's 'hard_sigmoid' is): both branches of its saturation are reached
    (layers.LSTMCell, LoopLSTMCell, {"recurrent_activation": "keras3_hard_sigmoid"}),
    (layers.GRUCell, LoopGRUCell, {"recurrent_activation": "keras3_hard_sigmoid"}),
    (layers.GRUCell, LoopGRUCell, {"recurrent_activation": "keras3_hard_sigmoid", "reset_after": False}),
    (layers.SimpleRNNCell, LoopSimpleRNNCell, {"activation": "keras3_hard_sigmoid"}),
])
@pytest.mark.parametrize("go_backwards,zero_output", [(False, False), (True, False), (True, True)])
def test_fused_path_equals_step_loop(fused_cls, loop_cls, kwargs, go_backwards, zero_output):
    """Outputs, final states and gradients agree between the fused primitive and the cell stepped in a loop,
    with a mask that skips steps at the start, middle and end."""
    x = _x(3, 6, 4)
    if "keras3_hard_sigmoid" in kwargs.values():
        x *= 4.0                                # pre-activations beyond +-3 too: both saturations are reached
    mask = np.ones((3, 6), bool)
    mask[0, :2] = False
    mask[1, 3] = False
    mask[2, 4:] = False
    results = []
    for cls in (fused_cls, loop_cls):
        layer = layers.RNN(cls(5, **kwargs), return_sequences=True, return_state=True, go_backwards=go_backwards,
                           zero_output_for_mask=zero_output)
        layer(x)
        _randomize(layer, seed=3)
        xt = ag.Tensor(x, requires_grad=True)
        outs = layer(xt, mask=ag.Tensor(mask))
        total = sum(ag.sum(o * np.linspace(-1, 1, o.size).reshape(o.shape).astype(np.float32)) for o in outs)
        grads = ag.gradients(total, [xt] + layer.trainable_weights)
        results.append(([o.numpy() for o in outs], [g.numpy() for g in grads]))
    (o1, g1), (o2, g2) = results
    for a, b in zip(o1 + g1, o2 + g2):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_lstm_layer_takes_the_fused_primitive():
    """The default LSTM records one lstm_sequence node per call, not a graph per time step."""
    layer = layers.LSTM(4)
    x = ag.Tensor(_x(2, 30, 3), requires_grad=True)
    out = layer(x)
    names, stack, seen = [], [out], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t._ctx is None:
            continue
        seen.add(id(t))
        prim, args = t._ctx[0], t._ctx[1]
        names.append(prim.name)
        stack.extend(a for a in args if isinstance(a, ag.Tensor))
    assert "lstm_fused_sequence" in names
    assert len(names) < 12, f"{len(names)} graph nodes for one LSTM call over 30 steps: {names}"


@pytest.mark.parametrize("layer, fused", [
    (lambda: layers.LSTM(4, recurrent_activation="keras3_hard_sigmoid"), "lstm_sequence"),
    (lambda: layers.GRU(4, recurrent_activation="keras3_hard_sigmoid"), "gru_sequence"),
    (lambda: layers.SimpleRNN(4, activation="keras3_hard_sigmoid"), "simple_rnn_sequence"),
])
def test_keras3_hard_sigmoid_takes_the_fused_recurrence(layer, fused):
    """Keras 3's hard_sigmoid (a Keras 3 file's 'hard_sigmoid') runs in the fused recurrences, not step by step."""
    out = layer()(ag.Tensor(_x(2, 30, 3), requires_grad=True))
    names, stack, seen = [], [out], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t._ctx is None:
            continue
        seen.add(id(t))
        names.append(t._ctx[0].name)
        stack.extend(a for a in t._ctx[1] if isinstance(a, ag.Tensor))
    assert fused in names
    assert len(names) < 12, f"{len(names)} graph nodes for one call over 30 steps: {names}"


# -- masks, direction and states ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_mask_zero_embedding_skips_padding(cls):
    """Right- and left-padded sequences give the same final output as the unpadded ones."""
    ids = np.array([[3, 1, 4, 0, 0], [0, 0, 2, 7, 1]])
    emb = layers.Embedding(8, 3, mask_zero=True)
    rnn = cls(4)
    model = keras.Sequential([emb, rnn])
    out = model.predict(ids, verbose=0)
    short0 = rnn(emb(ids[:1, :3])).numpy()
    short1 = rnn(emb(ids[1:, 2:])).numpy()
    np.testing.assert_allclose(out, np.concatenate([short0, short1]), rtol=1e-5, atol=1e-6)


def test_masking_layer_and_sequence_mask_propagation():
    x = _x(2, 5, 3)
    x[0, 3:] = 0.0
    inp = keras.Input((5, 3))
    seq = layers.LSTM(4, return_sequences=True)(layers.Masking(0.0)(inp))
    last = layers.SimpleRNN(2)(seq)
    model = keras.Model(inp, [seq, last])
    s, out = model.predict(x, verbose=0)
    # masked steps repeat the last unmasked output; the next RNN sees the mask and stops at step 3
    np.testing.assert_allclose(s[0, 3], s[0, 2])
    np.testing.assert_allclose(s[0, 4], s[0, 2])
    rnn2 = model.layers[-1]
    np.testing.assert_allclose(out[:1], rnn2(s[:1, :3]).numpy(), rtol=1e-5, atol=1e-6)


def test_go_backwards_reads_reversed_sequence():
    x = _x(2, 5, 3)
    fwd = layers.GRU(4, return_sequences=True)
    bwd = layers.GRU(4, return_sequences=True, go_backwards=True)
    fwd(x)
    bwd(x)
    bwd.set_weights(fwd.get_weights())
    np.testing.assert_allclose(bwd(x).numpy(), fwd(x[:, ::-1]).numpy(), rtol=1e-6, atol=1e-7)


def test_time_major():
    x = _x(2, 5, 3)
    layer = layers.LSTM(4, return_sequences=True)
    tm = layers.LSTM(4, return_sequences=True, time_major=True)
    layer(x)
    tm(x.transpose(1, 0, 2))
    tm.set_weights(layer.get_weights())
    np.testing.assert_allclose(tm(x.transpose(1, 0, 2)).numpy().transpose(1, 0, 2), layer(x).numpy(), rtol=1e-6)


def test_initial_state_eager_and_symbolic():
    x = _x(2, 4, 3)
    h0, c0 = _x(2, 5, seed=1), _x(2, 5, seed=2)
    layer = layers.LSTM(5, return_state=True)
    out, h, c = layer(x, initial_state=[h0, c0])
    out_zero = layer(x)[0]
    assert not np.allclose(out.numpy(), out_zero.numpy())
    # the same through a functional model whose states are inputs; its config lists them as inbound tensors
    xi, hi, ci = keras.Input((4, 3)), keras.Input((5,)), keras.Input((5,))
    y = layer(xi, initial_state=[hi, ci])
    model = keras.Model([xi, hi, ci], y[0])
    np.testing.assert_allclose(model.predict([x, h0, c0], verbose=0), out.numpy(), rtol=1e-6)
    config = model.get_config()
    inbound = next(e for e in config["layers"] if e["class_name"] == "LSTM")["inbound_nodes"][0]
    assert [ref[0] for ref in inbound] == [model.layers[0].name, model.layers[1].name, model.layers[2].name]
    with pytest.raises(ValueError, match=r"lstm.*2 states.*1 initial"):
        layer(x, initial_state=[h0])
    with pytest.raises(ValueError, match=r"initial state 0 must have shape \(2, 5\)"):
        layer(x, initial_state=[h0[:, :3], c0])


def test_stateful_carries_states_between_batches():
    x = _x(2, 6, 3)
    full = layers.GRU(4)
    full(x)
    model = keras.Sequential([layers.GRU(4, stateful=True, batch_input_shape=(2, 3, 3))])
    rnn = model.layers[0]
    rnn.set_weights(full.get_weights())
    model.predict(x[:, :3], batch_size=2, verbose=0)
    second = model.predict(x[:, 3:], batch_size=2, verbose=0)
    np.testing.assert_allclose(second, full(x).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rnn.states[0].numpy(), second, rtol=1e-6)
    rnn.reset_states()
    assert not np.any(rnn.states[0].numpy())
    np.testing.assert_allclose(model.predict(x[:, 3:], batch_size=2, verbose=0), full(x[:, 3:]).numpy(), rtol=1e-5,
                               atol=1e-6)
    rnn.reset_states([np.ones((2, 4), np.float32)])
    np.testing.assert_array_equal(rnn.states[0].numpy(), np.ones((2, 4)))
    with pytest.raises(ValueError, match="State 0 is incompatible"):
        rnn.reset_states([np.ones((3, 4))])
    with pytest.raises(ValueError, match="needs to know its batch size"):
        keras.Sequential([layers.LSTM(2, stateful=True, input_shape=(3, 3))])
    with pytest.raises(AttributeError, match="stateful"):
        layers.LSTM(2).reset_states()


# -- dropout ----------------------------------------------------------------------------------------------------
def test_dropout_one_mask_per_sequence_and_inference_unchanged():
    x = _x(4, 5, 6)
    keras.utils.set_random_seed(0)
    layer = layers.SimpleRNN(3, dropout=0.5, return_sequences=True)
    plain = layers.SimpleRNN(3, return_sequences=True)
    layer(x)
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy())            # inference: no dropout
    out = layer(x, training=True).numpy()
    mask = layer.cell._dp_mask[0].numpy()
    assert mask.shape == (4, 6) and set(np.unique(mask)) <= {0.0, 2.0}
    # the same (batch, features) mask multiplies every time step
    np.testing.assert_allclose(out, plain(x * mask[:, None, :]).numpy(), rtol=1e-5, atol=1e-6)


def test_recurrent_dropout_per_gate_masks():
    x = _x(3, 4, 2)
    keras.utils.set_random_seed(1)
    layer = layers.LSTM(3, recurrent_dropout=0.4, dropout=0.3)
    assert layer.implementation == 1
    plain = layers.LSTM(3)
    layer(x)
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), rtol=1e-6)
    a, b = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert not np.allclose(a, b) and not np.allclose(a, plain(x).numpy())
    assert len(layer.cell._rec_dp_mask) == 4 and layer.cell._rec_dp_mask[0].shape == (3, 3)
    model = keras.Sequential([layers.GRU(2, recurrent_dropout=0.5, input_shape=(4, 2)), layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(x, np.ones((3, 1), np.float32), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize("fused_cls,loop_cls,kwargs", [
    (layers.LSTMCell, LoopLSTMCell, {"dropout": 0.3, "recurrent_dropout": 0.4}),
    (layers.LSTMCell, LoopLSTMCell, {"dropout": 0.3}),
    (layers.LSTMCell, LoopLSTMCell, {"dropout": 0.3, "implementation": 1}),
    (layers.GRUCell, LoopGRUCell, {"dropout": 0.2, "recurrent_dropout": 0.5}),
    (layers.GRUCell, LoopGRUCell, {"recurrent_dropout": 0.5, "reset_after": False}),
    (layers.SimpleRNNCell, LoopSimpleRNNCell, {"dropout": 0.25, "recurrent_dropout": 0.5}),
])
def test_fused_dropout_equals_step_loop(fused_cls, loop_cls, kwargs):
    """With the same seed both paths draw the same masks (shared or per gate) and compute the same outputs and
    gradients in training."""
    x = _x(3, 5, 4)
    results = []
    for cls in (fused_cls, loop_cls):
        layer = layers.RNN(cls(4, **kwargs), return_sequences=True)
        layer(x)
        _randomize(layer, seed=5)
        keras.utils.set_random_seed(7)
        xt = ag.Tensor(x, requires_grad=True)
        out = layer(xt, training=True)
        grads = ag.gradients(ag.sum(out * out), [xt] + layer.trainable_weights)
        results.append([out.numpy()] + [g.numpy() for g in grads])
        assert not np.allclose(out.numpy(), layer(x).numpy())      # dropout was active
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


# -- errors -----------------------------------------------------------------------------------------------------
def test_argument_and_shape_errors():
    with pytest.raises(ValueError, match=r"units.*Received: units=0"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match=r"dropout.*\[0, 1\].*1.5"):
        layers.GRU(2, dropout=1.5)
    with pytest.raises(ValueError, match="implementation"):
        layers.LSTM(2, implementation=3)
    with pytest.raises(TypeError, match="return_sequences"):
        layers.SimpleRNN(2, return_sequences="yes")
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match=r'layer "my_lstm".*expected ndim=3, found ndim=2.*\(None, 5\)'):
        layers.LSTM(2, name="my_lstm")(keras.Input((5,)))
    layer = layers.GRU(2, name="my_gru")
    layer(np.ones((1, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"my_gru.*ndim=3.*ndim=4"):
        layer(np.ones((1, 3, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"my_gru.*features of each step to have shape \(4,\).*\(1, 3, 5\)"):
        layer(np.ones((1, 3, 5), np.float32))
    with pytest.raises(ValueError, match="features"):
        layers.LSTM(2)(keras.Input((3, None)))


def test_keras3_seed_and_use_cudnn_arguments():
    x = _x(2, 4, 3)
    a = layers.LSTM(3, dropout=0.5, seed=11, use_cudnn=False)
    b = layers.LSTM(3, dropout=0.5, seed=11)
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(a(x, training=True).numpy(), b(x, training=True).numpy())   # seeded masks
    config = a.get_config()
    assert config["seed"] == 11 and "use_cudnn" not in config
    assert layers.deserialize({"class_name": "LSTM", "config": config}).cell.seed == 11
    assert "seed" not in layers.GRU(2).get_config()          # tf.keras 2 configs have no seed
    with pytest.raises(TypeError, match="seed"):
        layers.SimpleRNN(2, seed="x")


class ConstantCell(Layer):
    """A cell with constants, as Keras's RNN docs describe: ``h' = h + x W + c``."""

    state_size = 2

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", shape=(input_shape[-1], 2), initializer="ones")

    def call(self, inputs, states, constants):
        out = states[0] + ag.matmul(inputs, self.kernel) + constants[0]
        return out, [out]


def test_rnn_constants_eager_and_symbolic():
    x = np.ones((2, 3, 4), np.float32)
    c = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    layer = layers.RNN(ConstantCell())
    np.testing.assert_allclose(layer(x, constants=[c]).numpy(), 3 * (4 + c))
    xi, ci = keras.Input((3, 4)), keras.Input((2,))
    model = keras.Model([xi, ci], layers.RNN(ConstantCell())(xi, constants=ci))
    np.testing.assert_allclose(model.predict([x, c], verbose=0), 3 * (4 + c))
    with pytest.raises(ValueError, match="does not support constants"):
        layers.RNN(MinimalRNNCell(2))(x, constants=[c])


def test_model_reset_states_zeroes_stateful_layers():
    model = keras.Sequential([layers.LSTM(3, stateful=True, return_sequences=True, batch_input_shape=(2, 4, 3)),
                              layers.Bidirectional(layers.GRU(2, stateful=True)), layers.Dense(1)])
    x = _x(2, 4, 3)
    first = model.predict(x, batch_size=2, verbose=0)
    assert not np.allclose(model.predict(x, batch_size=2, verbose=0), first)     # states carried over
    model.reset_states()
    assert not np.any(model.layers[0].states[0].numpy())
    assert not np.any(model.layers[1].forward_layer.states[0].numpy())
    np.testing.assert_allclose(model.predict(x, batch_size=2, verbose=0), first, rtol=1e-6)


class OnesStateCell(MinimalRNNCell):
    """A custom cell with Keras 3's ``get_initial_state(batch_size)``: its states start at ones."""

    def get_initial_state(self, batch_size=None):
        return [np.ones((batch_size, self.units), np.float32)]


def test_custom_cell_initial_state_method():
    x = _x(2, 3, 4)
    layer = layers.RNN(OnesStateCell(3), return_state=True)
    out, h = layer(x)
    plain = layers.RNN(MinimalRNNCell(3))
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(out.numpy(), plain(x, initial_state=[np.ones((2, 3), np.float32)]).numpy(), rtol=1e-6)
    assert not np.allclose(out.numpy(), plain(x).numpy())


class Keras2StateCell(MinimalRNNCell):
    """Keras 2's ``get_initial_state(inputs, batch_size, dtype)``: states start at twos."""

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        return [np.full((batch_size, self.units), 2.0, dtype)]


class KwargsStateCell(MinimalRNNCell):
    def get_initial_state(self, **kwargs):
        return [np.full((kwargs["batch_size"], self.units), 3.0, np.float32)]


@pytest.mark.parametrize("cell_cls,value", [(OnesStateCell, 1.0), (Keras2StateCell, 2.0), (KwargsStateCell, 3.0)])
def test_custom_cell_initial_state_signatures_over_calls(cell_cls, value):
    # the method's signature is read once and reused: later calls (other batch sizes) still get its states
    layer = layers.RNN(cell_cls(3), return_state=True)
    plain = layers.RNN(MinimalRNNCell(3))
    for batch in (2, 5, 2):
        x = _x(batch, 3, 4)
        out, _ = layer(x)
        plain(x)
        plain.set_weights(layer.get_weights())
        start = [np.full((batch, 3), value, np.float32)]
        np.testing.assert_allclose(out.numpy(), plain(x, initial_state=start).numpy(), rtol=1e-6)
