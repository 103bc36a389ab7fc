"""Bad input to fit / evaluate / predict / train_on_batch is refused before any weight changes.

Each case asserts the exception type, that the message names the argument together with what was expected
and what was received, and that the weights and the optimizer's step counter are exactly as before.

Example of a refused call:
    >>> model.fit(np.ones((10, 5)), y)
    ValueError: `x`: Input 0 of layer "sequential" is incompatible with the layer: expected shape=(None, 3),
    found shape=(None, 5)
"""
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers

N = 10
X = np.linspace(-1, 1, N * 3, dtype=np.float32).reshape(N, 3)
Y = np.linspace(0, 1, N * 2, dtype=np.float32).reshape(N, 2)
LABELS = np.array([0, 1] * (N // 2))


def _model(loss="mse", activation=None):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                              layers.Dense(2, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


def _assert_refused(model, call, exc_type, fragments):
    """``call(model)`` raises ``exc_type`` whose message holds every fragment; nothing in the model moved."""
    before = [w.copy() for w in model.get_weights()]
    steps_before = int(np.asarray(model.optimizer.iterations))
    with pytest.raises(exc_type) as info:
        call(model)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from the message: {message}"
    after = model.get_weights()
    assert len(before) == len(after)
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert int(np.asarray(model.optimizer.iterations)) == steps_before
    return message


FIT_CASES = {
    # name: (call, exception, fragments naming the argument, the expectation and what was received)
    "x_rank_too_low": (lambda m: m.fit(X[:, 0], Y, verbose=0), ValueError, ["`x`", "(None, 3)", "(None,)"]),
    "x_rank_too_high": (lambda m: m.fit(np.ones((N, 3, 2), np.float32), Y, verbose=0), ValueError,
                        ["`x`", "(None, 3)", "(None, 3, 2)"]),
    "x_feature_size": (lambda m: m.fit(np.ones((N, 5), np.float32), Y, verbose=0), ValueError,
                       ["`x`", "(None, 3)", "(None, 5)"]),
    "x_y_sample_counts": (lambda m: m.fit(X, Y[:7], verbose=0), ValueError, ["x sizes: 10", "y sizes: 7"]),
    "sample_weight_count": (lambda m: m.fit(X, Y, sample_weight=np.ones(4), verbose=0), ValueError,
                            ["sample_weight sizes: 4", "x sizes: 10"]),
    "y_feature_size": (lambda m: m.fit(X, np.ones((N, 3), np.float32), verbose=0), ValueError,
                       ["`y`", "(10, 3)", "(10, 2)"]),
    "x_strings": (lambda m: m.fit(np.array([["a", "b", "c"]] * N), Y, verbose=0), TypeError,
                  ["`x`", "strings", "<U1"]),
    "y_strings": (lambda m: m.fit(X, np.array([["a", "b"]] * N), verbose=0), TypeError, ["`y`", "strings"]),
    "x_objects": (lambda m: m.fit(np.array([object()] * N), Y, verbose=0), TypeError, ["`x`", "dtype object"]),
    "x_ragged_list": (lambda m: m.fit([[1.0, 2.0, 3.0]] * (N - 1) + [[1.0, 2.0]], Y, verbose=0), ValueError,
                      ["`x`", "ragged", "rectangular"]),
    "x_complex": (lambda m: m.fit(X.astype(np.complex64), Y, verbose=0), TypeError, ["`x`", "complex64"]),
    "x_none": (lambda m: m.fit(None, Y, verbose=0), ValueError, ["`x`", "None"]),
    "y_none": (lambda m: m.fit(X, None, verbose=0), ValueError, ["`y`", "loss='mse'"]),
    "x_scalar": (lambda m: m.fit(3.0, Y, verbose=0), ValueError, ["`x`", "scalar"]),
    "x_empty": (lambda m: m.fit(np.ones((0, 3), np.float32), np.ones((0, 2), np.float32), verbose=0), ValueError,
                ["`x`", "empty", "(0, 3)"]),
    "batch_size_zero": (lambda m: m.fit(X, Y, batch_size=0, verbose=0), ValueError,
                        ["batch_size", "positive", "batch_size=0"]),
    "batch_size_negative": (lambda m: m.fit(X, Y, batch_size=-4, verbose=0), ValueError,
                            ["batch_size", "positive", "-4"]),
    "batch_size_float": (lambda m: m.fit(X, Y, batch_size=2.5, verbose=0), TypeError, ["batch_size", "2.5"]),
    "epochs_negative": (lambda m: m.fit(X, Y, epochs=-1, verbose=0), ValueError, ["epochs", ">= 0", "-1"]),
    "epochs_string": (lambda m: m.fit(X, Y, epochs="3", verbose=0), TypeError, ["epochs", "integer", "'3'"]),
    "validation_split_one": (lambda m: m.fit(X, Y, validation_split=1.0, verbose=0), ValueError,
                             ["validation_split", "[0, 1)", "1.0"]),
    "validation_split_negative": (lambda m: m.fit(X, Y, validation_split=-0.1, verbose=0), ValueError,
                                  ["validation_split", "[0, 1)", "-0.1"]),
    "validation_split_above_one": (lambda m: m.fit(X, Y, validation_split=1.5, verbose=0), ValueError,
                                   ["validation_split", "[0, 1)", "1.5"]),
    "validation_data_features": (lambda m: m.fit(X, Y, validation_data=(np.ones((4, 5), np.float32), Y[:4]),
                                                 verbose=0), ValueError,
                                 ["validation_data", "(None, 3)", "(None, 5)"]),
    "validation_data_not_a_pair": (lambda m: m.fit(X, Y, validation_data=X, verbose=0), ValueError,
                                   ["validation_data", "(x_val, y_val)", "ndarray"]),
    "initial_epoch_negative": (lambda m: m.fit(X, Y, initial_epoch=-2, verbose=0), ValueError,
                               ["initial_epoch", ">= 0", "-2"]),
    "steps_per_epoch_zero": (lambda m: m.fit(X, Y, steps_per_epoch=0, verbose=0), ValueError,
                             ["steps_per_epoch", ">= 1", "0"]),
    "shuffle_word": (lambda m: m.fit(X, Y, shuffle="yes", verbose=0), ValueError, ["shuffle", "'batch'", "'yes'"]),
    "verbose_three": (lambda m: m.fit(X, Y, verbose=3), ValueError, ["verbose", "0, 1 or 2", "3"]),
    "class_weight_list": (lambda m: m.fit(X, Y, class_weight=[1.0, 2.0], verbose=0), TypeError,
                          ["class_weight", "dict", "list"]),
    "sample_weight_shape": (lambda m: m.fit(X, Y, sample_weight=np.ones((N, 5)), verbose=0), ValueError,
                            ["`sample_weight`", "(10, 5)"]),
    "unknown_keyword": (lambda m: m.fit(X, Y, epoch=3, verbose=0), TypeError, ["epoch"]),
}


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_fit_refuses_bad_input_before_touching_weights(case):
    call, exc_type, fragments = FIT_CASES[case]
    _assert_refused(_model(), call, exc_type, fragments)


OTHER_CASES = {
    "evaluate_feature_size": (lambda m: m.evaluate(np.ones((N, 5), np.float32), Y, verbose=0), ValueError,
                              ["`x`", "(None, 3)", "(None, 5)"]),
    "evaluate_counts": (lambda m: m.evaluate(X, Y[:3], verbose=0), ValueError, ["x sizes: 10", "y sizes: 3"]),
    "evaluate_batch_size": (lambda m: m.evaluate(X, Y, batch_size=0, verbose=0), ValueError, ["batch_size", "0"]),
    "predict_feature_size": (lambda m: m.predict(np.ones((2, 4), np.float32), verbose=0), ValueError,
                             ["`x`", "(None, 3)", "(None, 4)"]),
    "predict_none": (lambda m: m.predict(None, verbose=0), ValueError, ["`x`", "None"]),
    "predict_empty": (lambda m: m.predict(np.ones((0, 3), np.float32), verbose=0), ValueError,
                      ["`x`", "empty", "(0, 3)"]),
    "predict_strings": (lambda m: m.predict(np.array([["a", "b", "c"]]), verbose=0), TypeError, ["`x`", "strings"]),
    "predict_batch_size": (lambda m: m.predict(X, batch_size=-1, verbose=0), ValueError, ["batch_size", "-1"]),
    "train_on_batch_counts": (lambda m: m.train_on_batch(X, Y[:3]), ValueError, ["x sizes: 10", "y sizes: 3"]),
    "train_on_batch_features": (lambda m: m.train_on_batch(np.ones((N, 2), np.float32), Y), ValueError,
                                ["`x`", "(None, 3)", "(None, 2)"]),
    "train_on_batch_none": (lambda m: m.train_on_batch(None, Y), ValueError, ["`x`", "None"]),
    "test_on_batch_y_shape": (lambda m: m.test_on_batch(X, np.ones((N, 4), np.float32)), ValueError,
                              ["`y`", "(10, 4)", "(10, 2)"]),
}


@pytest.mark.parametrize("case", sorted(OTHER_CASES))
def test_evaluate_predict_and_single_batches_refuse_bad_input(case):
    call, exc_type, fragments = OTHER_CASES[case]
    _assert_refused(_model(), call, exc_type, fragments)


@pytest.mark.parametrize("labels, fragments", [
    (np.array([0, 1, 2, 0, 1, 0, 1, 0, 1, 0]), ["`y`", "2", "[0, 2)"]),
    (np.array([0, 1, -1, 0, 1, 0, 1, 0, 1, 0]), ["`y`", "-1", "[0, 2)"]),
    (np.full(N, 0.5), ["`y`", "integer class ids", "0.5"]),
    (np.array([0, 1, 7, 0, 1, 0, 1, 0, 1, 0]).reshape(N, 1), ["`y`", "7", "[0, 2)"]),
])
@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy",
                                  keras.losses.SparseCategoricalCrossentropy(from_logits=True)])
def test_sparse_labels_out_of_range_are_refused(labels, fragments, loss):
    activation = "softmax" if isinstance(loss, str) else None
    _assert_refused(_model(loss, activation), lambda m: m.fit(X, labels, verbose=0), ValueError, fragments)


def test_sparse_labels_out_of_range_refused_in_evaluate_and_train_on_batch():
    model = _model("sparse_categorical_crossentropy", "softmax")
    bad = np.array([0, 1, 5, 0, 1, 0, 1, 0, 1, 0])
    _assert_refused(model, lambda m: m.evaluate(X, bad, verbose=0), ValueError, ["`y`", "5", "[0, 2)"])
    _assert_refused(model, lambda m: m.train_on_batch(X, bad), ValueError, ["`y`", "5", "[0, 2)"])


def test_multi_output_model_names_the_output_with_bad_labels():
    keras.utils.set_random_seed(2)
    inp = keras.Input(shape=(3,))
    hidden = layers.Dense(4, activation="relu")(inp)
    out_a = layers.Dense(2, name="a")(hidden)
    out_b = layers.Dense(3, activation="softmax", name="b")(hidden)
    model = keras.Model(inp, [out_a, out_b])
    model.compile("sgd", loss={"a": "mse", "b": "sparse_categorical_crossentropy"})
    _assert_refused(model, lambda m: m.fit(X, {"a": Y, "b": np.full(N, 3)}, verbose=0), ValueError,
                    ["`y`", "'b'", "3", "[0, 3)"])
    _assert_refused(model, lambda m: m.fit(X, [Y], verbose=0), ValueError, ["`y`", "2 outputs", "1 arrays"])
    _assert_refused(model, lambda m: m.fit(X, {"a": Y, "c": LABELS}, verbose=0), ValueError,
                    ["`y`", "'c'", "['a', 'b']"])


def test_multi_input_model_names_the_missing_and_mismatched_inputs():
    keras.utils.set_random_seed(3)
    in_1 = keras.Input(shape=(3,), name="left")
    in_2 = keras.Input(shape=(2,), name="right")
    out = layers.Dense(2)(layers.Concatenate()([in_1, in_2]))
    model = keras.Model([in_1, in_2], out)
    model.compile("adam", "mse")
    _assert_refused(model, lambda m: m.fit({"left": X}, Y, verbose=0), ValueError, ["`x`", "right"])
    _assert_refused(model, lambda m: m.fit([X], Y, verbose=0), ValueError, ["`x`", "2 inputs", "1 arrays"])
    _assert_refused(model, lambda m: m.fit([X, X], Y, verbose=0), ValueError, ["`x`", "(None, 2)", "(None, 3)"])
    _assert_refused(model, lambda m: m.fit([X, X[:4, :2]], Y, verbose=0), ValueError,
                    ["x sizes: 10, 4"])


def test_a_refused_call_leaves_the_model_usable():
    """After a refused fit, a correct fit trains as if the refused call never happened."""
    reference = _model()
    reference.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    model = _model()
    for call, exc_type, _ in FIT_CASES.values():
        with pytest.raises(exc_type):
            call(model)
    model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_an_extra_last_axis_of_size_one_is_accepted_as_tf_keras_does():
    """x of shape (n, 3, 1) for Input(shape=(3,)) is squeezed (tf.keras's input conforming), not refused."""
    model = _model()
    expected = model.predict(X, verbose=0)
    np.testing.assert_array_equal(model.predict(X[..., None], verbose=0), expected)
    history = model.fit(X[..., None], Y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
