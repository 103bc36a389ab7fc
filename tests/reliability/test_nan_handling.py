"""NaN or inf during training: TerminateOnNaN stops at the bad batch and says which; detect_anomaly names the op.

Example:
    >>> model.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])
    Batch 3: Invalid loss, terminating training
    >>> with ag.detect_anomaly():
    ...     model.fit(x, y)
    FloatingPointError: autograd anomaly: forward of op 'log' produced NaN or inf ..., created at test.py:12
"""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers

BATCH = 4


def _data(n=24):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 2)).astype(np.float32)


def _model():
    keras.utils.set_random_seed(4)
    model = keras.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class _BatchRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = []
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)
        self.losses.append(logs["loss"])


# NOTE: inf in x is not among the cases: tanh(inf) = 1 keeps that batch's loss finite (the NaN appears one batch
# later, through the weights), which is what TerminateOnNaN should and does report.
@pytest.mark.parametrize("where, bad_value", [("x", np.nan), ("y", np.nan), ("y", np.inf)])
def test_terminate_on_nan_stops_at_the_batch_with_the_bad_loss(where, bad_value, capsys):
    x, y = _data()
    bad_batch = 3
    if where == "x":
        x[bad_batch * BATCH + 1, 0] = bad_value
    else:
        y[bad_batch * BATCH + 2, 1] = bad_value
    recorder = _BatchRecorder()
    model = _model()
    history = model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0,
                        callbacks=[recorder, keras.callbacks.TerminateOnNaN()])
    # the batches before the bad one trained normally; the run ended right after it, in the first epoch
    assert recorder.batches == [0, 1, 2, bad_batch]
    assert np.all(np.isfinite(recorder.losses[:bad_batch]))
    assert not np.isfinite(recorder.losses[bad_batch])
    assert len(history.history["loss"]) == 1
    assert model.stop_training
    assert f"Batch {bad_batch}: Invalid loss, terminating training" in capsys.readouterr().out


def test_without_terminate_on_nan_the_run_goes_on():
    """The stop comes from the callback: the same data without it trains every batch of every epoch."""
    x, y = _data()
    x[5, 0] = np.nan
    recorder = _BatchRecorder()
    with np.errstate(all="ignore"):
        history = _model().fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    assert len(recorder.batches) == 2 * (len(x) // BATCH)
    assert len(history.history["loss"]) == 2
    assert not np.isfinite(history.history["loss"][-1])


def test_terminate_on_nan_stops_a_diverging_run(capsys):
    """A learning rate so large that the loss overflows: the run stops at the first non-finite loss."""
    x, y = _data()
    keras.utils.set_random_seed(5)
    model = keras.Sequential([layers.Dense(8, input_shape=(3,)), layers.Dense(8), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e4), loss="mse")
    recorder = _BatchRecorder()
    with np.errstate(all="ignore"):
        model.fit(x, y, batch_size=BATCH, epochs=50, shuffle=False, verbose=0,
                  callbacks=[recorder, keras.callbacks.TerminateOnNaN()])
    first_bad = next(i for i, v in enumerate(recorder.losses) if not np.isfinite(v))
    assert len(recorder.losses) == first_bad + 1
    stopped_at = recorder.batches[-1]
    assert f"Batch {stopped_at}: Invalid loss, terminating training" in capsys.readouterr().out


def _log_model(kernel_initializer="glorot_uniform"):
    keras.utils.set_random_seed(6)
    inp = keras.Input(shape=(3,))
    hidden = layers.Dense(4, kernel_initializer=kernel_initializer)(inp)
    out = layers.Lambda(lambda t: ag.log(t), name="log_of_hidden")(hidden)   # negative inputs give NaN
    model = keras.Model(inp, out)
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("entry", ["fit", "evaluate", "predict", "call"])
def test_detect_anomaly_names_the_op_and_the_user_line_in_forward(entry):
    x, _ = _data(8)
    y = np.ones((8, 4), np.float32)
    model = _log_model()
    before = model.get_weights()
    calls = {"fit": lambda: model.fit(x, y, verbose=0), "evaluate": lambda: model.evaluate(x, y, verbose=0),
             "predict": lambda: model.predict(x, verbose=0), "call": lambda: model(x)}
    with pytest.raises(FloatingPointError) as info, ag.detect_anomaly(), np.errstate(all="ignore"):
        calls[entry]()
    message = str(info.value)
    assert "forward of op 'log'" in message
    assert "test_nan_handling.py" in message     # the Lambda's line in this file
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)      # raised before the update


def test_detect_anomaly_names_the_op_in_backward_and_keeps_the_weights():
    """sqrt at 0 is finite forward but has an infinite gradient: the backward check names 'sqrt'."""
    x, _ = _data(8)
    keras.utils.set_random_seed(7)
    inp = keras.Input(shape=(3,))
    hidden = layers.Dense(4, activation="relu", kernel_initializer="zeros")(inp)   # all zeros
    out = layers.Lambda(lambda t: ag.sqrt(t), name="sqrt_of_hidden")(hidden)
    model = keras.Model(inp, out)
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    with pytest.raises(FloatingPointError) as info, ag.detect_anomaly(), np.errstate(all="ignore"):
        model.fit(x, np.ones((8, 4), np.float32), verbose=0)
    message = str(info.value)
    assert "backward of op 'sqrt'" in message
    assert "test_nan_handling.py" in message
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_detect_anomaly_is_silent_on_finite_training_and_off_afterwards():
    x, y = _data(8)
    model = _model()
    with ag.detect_anomaly():
        history = model.fit(x, y, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    with np.errstate(all="ignore"):
        out = _log_model()(x)               # outside the block: NaN flows through without an error
    assert np.isnan(out.data).any()
