"""Parity with real tf.keras for the sequence layers: the recorded train cases (LSTM + RMSprop, SimpleRNN + GRU +
Adam, Embedding + sample weights + L2 + Nadam) rebuilt in code from ``w0_*`` reproduce tf.keras's history and
final weights ``w1_*`` (rtol 1e-4, atol 1e-5), and models rebuilt with a file's trained weights ``w_*`` predict
its ``y_pred`` within 1e-5 (including the layer zoo: causal Conv1D, pooling, Bidirectional LSTM,
TimeDistributed, LayerNormalization, reshaping layers).
"""
import os

import numpy as np

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.test_parity_core import _load, _run, _weights

PRED_ATOL = 1e-5


def _lstm_model():
    return keras.Sequential([
        layers.LSTM(6, input_shape=(5, 3)),
        layers.Dense(2, activation="softmax"),
    ])


def _gru_model():
    return keras.Sequential([
        layers.SimpleRNN(4, return_sequences=True, input_shape=(6, 2)),
        layers.GRU(5),
        layers.Dense(1),
    ])


def _embedding_model():
    return keras.Sequential([
        layers.Embedding(20, 4, input_length=7),
        layers.GlobalAveragePooling1D(),
        layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.l2(0.01)),
    ])


def _predicts(case, model):
    data, _ = _load(case)
    model.set_weights(_weights(data, "w_"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y_pred"], atol=PRED_ATOL, rtol=0,
                               err_msg=f"{case}: predictions")


def test_lstm_rmsprop_trains_as_tf_keras():
    model, _ = _run("lstm_rmsprop", _lstm_model(),
                    dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="categorical_crossentropy",
                         metrics=["accuracy"]))
    lstm = model.layers[0]
    assert [w.name for w in model.weights][:3] == [f"{lstm.name}/lstm_cell/{n}:0" for n in
                                                   ("kernel", "recurrent_kernel", "bias")]


def test_gru_simplernn_adam_trains_as_tf_keras():
    _run("gru_simplernn_adam", _gru_model(), dict(optimizer="adam", loss="mse"))


def test_trained_recurrent_models_predict_as_tf_keras():
    _predicts("lstm_rmsprop", _lstm_model())
    _predicts("gru_simplernn_adam", _gru_model())
    _predicts("embedding_l2_sample_weight", _embedding_model())


def test_embedding_l2_sample_weight_trains_as_tf_keras():
    _run("embedding_l2_sample_weight", _embedding_model(),
         dict(optimizer=keras.optimizers.Nadam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
              metrics=["sparse_categorical_accuracy"]), sample_weight="sample_weight")


def test_embedding_l2_sample_weight_matches_tf_keras_eager_run():
    """The same case against tf.keras 2.21 run with ``run_eagerly=True`` (recorded by running it on the same
    data, initial weights and arguments), where Nadam is the plain formula: kerasfront's Nadam with
    ``emulate_fit_trace=False``. Sample weights, the L2 penalty, Embedding gradients with repeated ids and pooling
    agree with tf.keras's eager run too."""
    data, manifest = _load("embedding_l2_sample_weight")
    model = _embedding_model()
    model.set_weights(_weights(data, "w0_"))
    optimizer = keras.optimizers.Nadam(learning_rate=0.01)
    optimizer.emulate_fit_trace = False
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    history = model.fit(data["train_x"], data["train_y"], sample_weight=data["sample_weight"], verbose=0,
                        **manifest["fit"])
    np.testing.assert_allclose(history.history["loss"], [1.175652265548706, 1.1587363481521606, 1.1447241306304932],
                               rtol=1e-5)
    sums = [float(np.abs(w).sum()) for w in model.get_weights()]
    np.testing.assert_allclose(sums, [3.900716781616211, 4.004178047180176, 0.17296768724918365], rtol=1e-4)


def test_run_eagerly_true_gives_tf_keras_eager_nadam():
    """compile(run_eagerly=True) makes fit use Nadam's eager formula, as tf.keras's eager run does."""
    data, manifest = _load("embedding_l2_sample_weight")
    model = _embedding_model()
    model.set_weights(_weights(data, "w0_"))
    model.compile(optimizer=keras.optimizers.Nadam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    history = model.fit(data["train_x"], data["train_y"], sample_weight=data["sample_weight"], verbose=0,
                        **manifest["fit"])
    assert model.optimizer.emulate_fit_trace is False
    np.testing.assert_allclose(history.history["loss"], [1.175652265548706, 1.1587363481521606, 1.1447241306304932],
                               rtol=1e-5)


def test_layer_zoo_sequence_predicts_as_tf_keras():
    inp = keras.Input(shape=(8, 3))
    x = layers.Conv1D(4, 3, padding="causal", activation="relu")(inp)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.TimeDistributed(layers.Dense(2))(x)
    x = layers.LayerNormalization()(x)
    x = layers.Permute((2, 1))(x)
    x = layers.Flatten()(x)
    x = layers.RepeatVector(2)(x)
    x = layers.Reshape((2, 4, 2))(x)
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inp, out)
    assert [tuple(w.shape) for w in model.weights] == [
        (3, 3, 4), (4,), (4, 12), (3, 12), (12,), (4, 12), (3, 12), (12,), (6, 2), (2,), (2,), (2,), (2, 1), (1,)]
    _predicts("layer_zoo_sequence", model)


def test_loads_tf_keras_file_with_states_masking_and_custom_backward_layer():
    """A tf.keras file (tests/fixtures/recurrent_tf_keras/README.md) with LSTM initial states as model inputs,
    Masking, return_state, Bidirectional(GRU) with a custom backward GRU (reset_after=False) and RNN over stacked
    cells loads and predicts as tf.keras did."""
    folder = os.path.join(os.path.dirname(__file__), "..", "fixtures", "recurrent_tf_keras")
    data = np.load(os.path.join(folder, "states_masking_bidirectional.npz"))
    model = keras.models.load_model(os.path.join(folder, "states_masking_bidirectional.h5"), compile=False)
    bi = next(la for la in model.layers if isinstance(la, layers.Bidirectional))
    assert not bi.backward_layer.cell.reset_after and bi.merge_mode == "mul"
    pred = model.predict([data["x"], data["h0"], data["c0"]], verbose=0)
    np.testing.assert_allclose(pred, data["pred"], atol=PRED_ATOL, rtol=0)
