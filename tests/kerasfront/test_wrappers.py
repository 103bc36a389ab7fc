"""Bidirectional and TimeDistributed: the shared layer test, tf.keras's weight names and configs, merge modes,
masks, states and errors."""
import json
import os

import h5py
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# -- Bidirectional ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("merge_mode,expected", [("concat", (None, 4, 6)), ("sum", (None, 4, 3)),
                                                 ("mul", (None, 4, 3)), ("ave", (None, 4, 3)),
                                                 (None, [(None, 4, 3), (None, 4, 3)])])
def test_bidirectional_shared(merge_mode, expected):
    layer_test(layers.Bidirectional, {"layer": layers.LSTM(3, return_sequences=True), "merge_mode": merge_mode},
               input_shape=(2, 4, 2), expected_output_shape=expected, expected_num_weights=6)


def test_bidirectional_return_state_and_gru_shared():
    outs = layer_test(layers.Bidirectional, {"layer": layers.GRU(2, return_state=True)}, input_shape=(2, 4, 3),
                      expected_output_shape=[(None, 4), (None, 2), (None, 2)])
    np.testing.assert_allclose(outs[0], np.concatenate([outs[1], outs[2]], axis=-1))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_forward_and_reversed_backward(merge_mode):
    x = _x(2, 5, 3)
    layer = layers.Bidirectional(layers.SimpleRNN(4, return_sequences=True), merge_mode=merge_mode)
    out = layer(x)
    fwd = layers.SimpleRNN(4, return_sequences=True)
    fwd(x)
    fwd.set_weights(layer.forward_layer.get_weights())
    bwd = layers.SimpleRNN(4, return_sequences=True)
    bwd(x)
    bwd.set_weights(layer.backward_layer.get_weights())
    y = fwd(x).numpy()
    y_rev = bwd(x[:, ::-1]).numpy()[:, ::-1]        # the backward direction's outputs, back in time order
    want = {"concat": np.concatenate([y, y_rev], -1), "sum": y + y_rev, "mul": y * y_rev, "ave": (y + y_rev) / 2,
            None: [y, y_rev]}[merge_mode]
    got = [o.numpy() for o in out] if merge_mode is None else out.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_bidirectional_weight_names_and_config_match_tf_keras():
    with h5py.File(os.path.join(FIXTURES, "layer_zoo_sequence.h5"), "r") as f:
        model_config = json.loads(f.attrs["model_config"])
        names = []
        f["model_weights"]["bidirectional"].visititems(
            lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    entry = next(e for e in model_config["config"]["layers"] if e["class_name"] == "Bidirectional")
    layer = layers.deserialize({"class_name": "Bidirectional", "config": entry["config"]})
    layer(np.ones((2, 4, 4), np.float32))
    assert sorted(w.name for w in layer.weights) == sorted(names)
    assert [w.name for w in layer.weights][:3] == ["bidirectional/forward_lstm_1/lstm_cell/kernel:0",
                                                   "bidirectional/forward_lstm_1/lstm_cell/recurrent_kernel:0",
                                                   "bidirectional/forward_lstm_1/lstm_cell/bias:0"]
    strip = {"module", "registered_name", "build_config"}
    expected = entry["config"]
    expected["layer"] = {k: v for k, v in expected["layer"].items() if k not in strip}
    expected["layer"]["config"] = {k: (v if not isinstance(v, dict) else {kk: vv for kk, vv in v.items()
                                                                          if kk not in strip})
                                   for k, v in expected["layer"]["config"].items()}
    assert json.loads(json.dumps(layer.get_config(), default=list)) == expected
    assert layer.forward_layer.name == "forward_lstm_1" and layer.backward_layer.name == "backward_lstm_1"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards


def test_bidirectional_custom_backward_layer_round_trip():
    fwd = layers.LSTM(3, name="fw")
    bwd = layers.LSTM(3, go_backwards=True, name="bw")
    layer = layers.Bidirectional(fwd, backward_layer=bwd, merge_mode="sum", name="bidirectional")
    x = _x(2, 4, 2)
    out = layer(x).numpy()
    config = json.loads(json.dumps(layer.get_config(), default=list))
    assert config["backward_layer"]["config"]["name"] == "bw"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = layers.deserialize({"class_name": "Bidirectional", "config": config})
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), out, rtol=1e-6)
    assert [w.name for w in layer.weights][3] == "bidirectional/backward_bw/lstm_cell/kernel:0"


def test_bidirectional_masking_and_initial_state():
    ids = np.array([[3, 1, 4, 0, 0], [5, 9, 2, 6, 1]])
    emb = layers.Embedding(10, 3, mask_zero=True)
    bi = layers.Bidirectional(layers.GRU(2, return_sequences=True))
    out = bi(emb(ids)).numpy()
    # padded steps output zeros in both directions (Keras's zero_output_for_mask under Bidirectional)
    np.testing.assert_array_equal(out[0, 3:], 0.0)
    short = bi(emb(ids[:1, :3])).numpy()
    np.testing.assert_allclose(out[0, :3], short[0], rtol=1e-5, atol=1e-6)
    # the mask survives the layer
    from kerasfront.engine.base_layer import get_mask
    seq = bi(emb(ids))
    np.testing.assert_array_equal(get_mask(seq).numpy(), ids != 0)
    # initial states: forward states first, then backward ones
    layer = layers.Bidirectional(layers.LSTM(2))
    x = _x(2, 3, 3)
    states = [_x(2, 2, seed=i) for i in range(4)]
    with_states = layer(x, initial_state=states).numpy()
    fwd = layer.forward_layer(x, initial_state=states[:2]).numpy()
    bwd = layer.backward_layer(x, initial_state=states[2:]).numpy()
    np.testing.assert_allclose(with_states, np.concatenate([fwd, bwd], -1), rtol=1e-6)
    with pytest.raises(ValueError, match="even"):
        layer(x, initial_state=states[:3])


def test_bidirectional_trains_in_a_model():
    model = keras.Sequential([layers.Bidirectional(layers.LSTM(3), input_shape=(5, 2)), layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    x, y = _x(16, 5, 2), _x(16, 1, seed=1)
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 8


def test_bidirectional_errors():
    with pytest.raises(ValueError, match="merge_mode='max'"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="Layer instance"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="recurrent layer"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match=r"Bidirectional layer 'bi_err'.*ndim=3, found ndim=2.*\(None, 5\)"):
        layers.Bidirectional(layers.LSTM(2), name="bi_err")(keras.Input((5,)))


# -- TimeDistributed ---------------------------------------------------------------------------------------------
def test_time_distributed_shared():
    out = layer_test(layers.TimeDistributed, {"layer": layers.Dense(3, activation="tanh")}, input_shape=(2, 4, 5),
                     expected_output_shape=(None, 4, 3), expected_weight_shapes=[(5, 3), (3,)])
    assert out.shape == (2, 4, 3)


def test_time_distributed_applies_the_layer_at_every_step():
    x = _x(2, 3, 4, 5)
    layer = layers.TimeDistributed(layers.Dense(2), name="time_distributed")
    out = layer(x).numpy()
    assert [w.name for w in layer.weights] == ["time_distributed/kernel:0", "time_distributed/bias:0"]
    k, b = layer.get_weights()
    np.testing.assert_allclose(out, x @ k + b, rtol=1e-5, atol=1e-6)
    flat = layers.TimeDistributed(layers.Flatten())
    assert flat(x).shape == (2, 3, 20)


def test_time_distributed_masks():
    from kerasfront.engine.base_layer import get_mask
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    emb = layers.Embedding(5, 4, mask_zero=True)
    td = layers.TimeDistributed(layers.Dense(2))
    out = td(emb(ids))
    np.testing.assert_array_equal(get_mask(out).numpy(), ids != 0)
    # a mask of higher rank is reduced to (batch, time) when the inner layer makes none
    flat = layers.TimeDistributed(layers.Flatten())
    m = np.ones((2, 3, 4), bool)
    m[1, 2] = False
    np.testing.assert_array_equal(flat.compute_mask(_x(2, 3, 4, 2), ag.Tensor(m)).numpy(), m.any(-1))
    # the inner layer's own mask comes back with the time axis
    inner = layers.TimeDistributed(layers.Masking(0.0))
    x = _x(2, 3, 4, 2)
    x[0, 1, 2] = 0.0
    mask = inner.compute_mask(x)
    assert mask.shape == (2, 3, 4) and not mask.numpy()[0, 1, 2] and mask.numpy().sum() == 23


def test_time_distributed_errors():
    with pytest.raises(ValueError, match=r"time_distributed_e.*at least 3 dimensions.*\(None, 4\)"):
        layers.TimeDistributed(layers.Dense(2), name="time_distributed_e")(keras.Input((4,)))
    with pytest.raises(ValueError, match="Layer instance"):
        layers.TimeDistributed(lambda x: x)
