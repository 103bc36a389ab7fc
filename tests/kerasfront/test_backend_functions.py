"""Behaviour of the backend functions beyond their values (those are in test_backend_reference.py): gradients
through them, the eager K.function / placeholder / gradients, scopes, printing, variable updates, errors that
name the argument, and a CTC model trained with fit as in tf.keras's OCR example."""
import warnings

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
import kerasfront.backend as K
from kerasfront import layers


def test_window_functions_are_differentiable():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4, 3))
    k = rng.normal(size=(3, 2, 3, 2))
    assert ag.gradcheck(lambda a, b: K.conv2d(a, b, padding="same", data_format="channels_last"), x, k)
    assert ag.gradcheck(lambda a: K.pool2d(a, (2, 2), strides=(1, 2), pool_mode="avg", padding="same"), x)
    assert ag.gradcheck(lambda a, b: K.bias_add(a, b, data_format="channels_first"), x, rng.normal(size=5))
    assert ag.gradcheck(lambda a, m, v, g: K.batch_normalization(a, m, v, None, g), x, rng.normal(size=3),
                        rng.uniform(0.5, 1.0, size=3), rng.normal(size=3))
    assert ag.gradcheck(lambda a, b: K.local_conv2d(a, b, (2, 2), (1, 1), (4, 3)), x, rng.normal(size=(12, 12, 2)))
    assert ag.gradcheck(lambda a: K.cumprod(a, axis=1), x)


def test_gradients_follow_the_recorded_graph_and_can_be_differentiated_again():
    w = K.variable([1.0, 2.0])
    x = K.constant([3.0, 4.0])
    loss = K.sum(K.square(w) * x)
    gw, gx = K.gradients(loss, [w, x])
    np.testing.assert_allclose(K.get_value(gw), [6.0, 16.0])
    np.testing.assert_array_equal(K.get_value(gx), [0.0, 0.0])           # x is a constant: not connected
    (h,) = K.gradients(K.sum(gw), [w])                                   # d/dw sum(2 w x) = 2 x
    np.testing.assert_allclose(K.get_value(h), [6.0, 8.0])
    np.testing.assert_array_equal(K.get_value(K.gradients(K.sum(K.stop_gradient(w) * w), [w])[0]), [1.0, 2.0])
    a, b = K.stop_gradient([w, x])
    assert not a.requires_grad and not b.requires_grad
    with pytest.raises(TypeError, match=r"variables\[0\]"):
        K.gradients(loss, ["w"])


def test_function_and_placeholder_run_the_graph_eagerly():
    inp = keras.Input((3,))
    hidden = layers.Dense(2, kernel_initializer="ones")(inp)
    f = K.function([inp], [hidden])
    out = f([np.ones((4, 3), "float32")])
    assert isinstance(out, list) and len(out) == 1
    np.testing.assert_allclose(out[0], np.full((4, 2), 3.0))
    single = K.function(inp, hidden)(np.ones((1, 3), "float32"))
    assert isinstance(single, np.ndarray) and single.shape == (1, 2)
    both = K.function([inp], [hidden, K.sum(hidden, axis=1)])([np.ones((1, 3), "float32")])
    np.testing.assert_allclose(both[1], [6.0])
    with pytest.raises(ValueError, match="updates"):
        K.function([inp], [hidden], updates=[(hidden, hidden)])
    with pytest.raises(ValueError, match="Session keyword"):
        K.function([inp], [hidden], fetches=[])
    p = K.placeholder(shape=(None, 5), name="tokens")
    assert K.is_keras_tensor(p) and K.int_shape(p) == (None, 5) and K.dtype(p) == "float32"
    assert K.int_shape(K.placeholder(ndim=3)) == (None, None, None)
    np.testing.assert_allclose(K.function([p], [2.0 * p])([np.ones((2, 5), "float32")])[0], np.full((2, 5), 2.0))
    with pytest.raises(ValueError, match="sparse"):
        K.placeholder(shape=(None, 2), sparse=True)


def test_rnn_with_constants_nested_inputs_and_its_errors():
    def step(inputs, states):
        a, b = inputs
        h = states[0] + a * b + states[1]            # states[1] is the constant
        return h, [h]
    x = K.constant(np.ones((2, 3, 4)))
    last, outputs, states = K.rnn(step, [x, 2.0 * x], [K.constant(np.zeros((2, 4)))], constants=[K.constant(1.0)])
    np.testing.assert_allclose(K.get_value(last), np.full((2, 4), 9.0))
    assert K.int_shape(outputs) == (2, 3, 4)
    with pytest.raises(ValueError, match="at least 3-d"):
        K.rnn(step, K.constant(np.ones((2, 3))), [K.constant(np.zeros((2, 3)))])
    with pytest.raises(ValueError, match="mask must have shape"):
        K.rnn(lambda a, s: (a, [a]), x, [K.constant(np.zeros((2, 4)))], mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="returned 2 states, expected 1"):
        K.rnn(lambda a, s: (a, [a, a]), x, [K.constant(np.zeros((2, 4)))])


@pytest.mark.parametrize("zero_output, go_backwards, float_mask", [(False, False, False), (True, True, True)])
def test_rnn_traced_reads_the_mask_of_its_inputs(zero_output, go_backwards, float_mask):
    """A traced K.rnn (an ONNX file, a captured step) applies the mask computed from the data it runs on, not the
    placeholder data's (every step kept there, so the mask once vanished from the graph)."""
    w = ag.tensor(np.random.default_rng(0).normal(size=(3, 3)).astype("float32"))

    def run(x):
        keep = K.any(K.not_equal(x, 0.0), axis=-1)
        mask = K.expand_dims(K.cast(keep, "float32")) if float_mask else keep      # (samples, time, 1) floats too

        def step(x_t, states):
            h = K.softsign(K.dot(x_t, w) + states[0])
            return h, [h]
        _, outputs, states = K.rnn(step, x, [K.zeros_like(x[:, 0])], mask=mask, go_backwards=go_backwards,
                                   zero_output_for_mask=zero_output)
        return [outputs, states[0]]

    graph = ag.trace.trace_batched(run, lambda n: [np.random.default_rng(n).random((n, 5, 3), dtype="float32")])
    x = np.random.default_rng(1).normal(size=(4, 5, 3)).astype("float32")
    x[:, 3:] = 0.0
    x[1, 1] = 0.0
    x[2] = 0.0
    got = [np.asarray(getattr(v, "data", v)) for v in graph.run([x])]
    want = [K.get_value(v) for v in run(K.constant(x))]
    for g, e in zip(got, want):
        np.testing.assert_array_equal(g, e)


def test_map_fn_batches_with_vmap_and_falls_back_to_a_loop():
    elems = K.constant(np.arange(12.0).reshape(4, 3))
    np.testing.assert_allclose(K.get_value(K.map_fn(lambda r: K.sum(r * r), elems)),
                               (np.arange(12.0).reshape(4, 3) ** 2).sum(1))
    calls = []

    def branchy(row):                       # Python control flow on values: vmap cannot run it
        calls.append(1)
        return row * 2.0 if float(K.get_value(K.sum(row))) > 10 else row
    got = K.map_fn(branchy, elems)
    np.testing.assert_allclose(K.get_value(got), [[0, 1, 2], [6, 8, 10], [12, 14, 16], [18, 20, 22]])
    w = K.variable([1.0, 2.0, 3.0])
    (g,) = K.gradients(K.sum(K.map_fn(lambda r: K.sum(r * w), elems)), [w])
    np.testing.assert_allclose(K.get_value(g), np.arange(12.0).reshape(4, 3).sum(0))
    with pytest.raises(ValueError, match="leading axis"):
        K.map_fn(lambda t: t, [K.constant(np.ones(3)), K.constant(np.ones(4))])
    with pytest.raises(ValueError, match="no `initializer`"):
        K.foldl(lambda a, b: a + b, K.constant(np.ones((0, 2))))


def test_name_scope_learning_phase_scope_and_print_tensor(capsys):
    with K.name_scope("block") as outer:
        with K.name_scope("conv") as inner:
            assert (outer, inner) == ("block/", "block/conv/")
    with pytest.raises(ValueError, match="non-empty string"):
        with K.name_scope(""):
            pass
    with pytest.warns(UserWarning, match="deprecated"):
        with K.learning_phase_scope(1):
            assert K.learning_phase() == 1
    assert K.learning_phase() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="0 or 1"):
            with K.learning_phase_scope(2):
                pass
    x = K.constant(np.arange(10.0))
    assert K.print_tensor(x, message="x =") is x
    assert capsys.readouterr().out == "x = [0. 1. 2. ... 7. 8. 9.]\n"
    K.print_tensor(x, summarize=-1)
    assert capsys.readouterr().out.strip().endswith("9.]") and "..." not in capsys.readouterr().out


def test_variable_updates_random_variables_and_flags():
    v = K.variable([1.0, 2.0])
    assert K.update(v, [3.0, 4.0]) is v and K.update_sub(v, 1.0) is v
    np.testing.assert_allclose(K.get_value(K.update_add(v, [0.5, 0.5])), [2.5, 3.5])
    with pytest.raises(TypeError, match="must be a variable"):
        K.update(K.constant([1.0]), [2.0])
    with pytest.raises(ValueError, match="cannot assign"):
        K.update(v, [1.0, 2.0, 3.0])
    r = K.random_normal_variable((500,), 2.0, 0.5, seed=3, name="r")
    assert r.name == "r:0" and abs(K.get_value(r).mean() - 2.0) < 0.1 and abs(K.get_value(r).std() - 0.5) < 0.1
    np.testing.assert_array_equal(K.get_value(r), K.get_value(K.random_normal_variable((500,), 2.0, 0.5, seed=3)))
    u = K.random_uniform_variable((500,), -1.0, 3.0, dtype="float64", seed=1)
    assert u.dtype == np.float64 and K.get_value(u).min() >= -1.0 and K.get_value(u).max() < 3.0
    K.manual_variable_initialization(True)
    K.manual_variable_initialization(False)
    assert not K.experimental.is_tf_random_generator_enabled()
    K.experimental.enable_tf_random_generator()
    assert K.experimental.is_tf_random_generator_enabled()
    K.experimental.disable_tf_random_generator()


@pytest.mark.parametrize("call, match", [
    (lambda: K.conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), data_format="nhwc"), "Unknown data_format"),
    (lambda: K.conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), padding="full"), "Invalid padding"),
    (lambda: K.pool2d(np.ones((1, 4, 4, 2)), (2, 2), pool_mode="sum"), "Invalid pooling mode"),
    (lambda: K.pool2d(np.ones((1, 4, 4, 2)), (2, 2, 2)), "pool_size"),
    (lambda: K.bias_add(np.ones((2, 3)), np.ones((2, 2, 2))), "Unexpected bias dimensions"),
    (lambda: K.bias_add(np.ones((2, 3)), np.ones(4)), "does not match the channels"),
    (lambda: K.conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((3, 3, 1, 2)), (1, 3, 3)), "output_shape"),
    (lambda: K.local_conv1d(np.ones((1, 5, 2)), np.ones((4, 6, 1)), (3,), (1,)), "reads past"),
    (lambda: K.resize_volumes(np.ones((1, 2, 2, 2, 1)), 2, 2, 2, "ndhwc"), "Invalid data_format"),
    (lambda: K.repeat(np.ones((2, 3, 4)), 2), "2-d"),
    (lambda: K.repeat(np.ones((2, 3)), -2), "`n` must be a non-negative integer, received n=-2"),   # numpy's message
    (lambda: K.arange(0, 5, 0), "`step` must be a non-zero number"),                             # ZeroDivisionError
    (lambda: K.in_top_k(np.ones(3), np.array([0]), 1), "2-d"),
    (lambda: K.ctc_batch_cost(np.array([[0]]), np.ones((1, 3, 3)) / 3, np.array([[3], [3]]), np.array([[1]])),
     "batch sizes differ"),
    (lambda: K.ctc_decode(np.ones((1, 3)), np.array([3])), "batch, time, classes"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_sin_and_cos_on_symbolic_tensors_record_tf_op_layers_that_save():
    inp = keras.Input((3,))
    out = K.sin(inp) + K.cos(inp)
    model = keras.Model(inp, out)
    assert [layer.get_config()["function"] for layer in model.layers[1:3]] == ["math.sin", "math.cos"]
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.sin(x) + np.cos(x), rtol=1e-6)
    clone = keras.Model.from_config(model.get_config())
    np.testing.assert_allclose(clone.predict(x, verbose=0), np.sin(x) + np.cos(x), rtol=1e-6)


class CTCLayer(layers.Layer):
    """tf.keras's OCR example: the CTC loss added by a layer that passes the predictions through."""

    def call(self, y_true, y_pred):
        n, steps = y_pred.shape[0], y_pred.shape[1]
        input_length = np.full((n, 1), steps, "int64")
        label_length = np.sum(np.asarray(y_true.numpy()) >= 0, axis=1, keepdims=True)
        self.add_loss(K.mean(K.ctc_batch_cost(y_true, y_pred, input_length, label_length)))
        return y_pred


def test_a_ctc_model_trains_with_fit_and_decodes_its_labels():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    steps, classes = 8, 4                              # labels 0..2, blank 3
    labels = np.full((64, 3), -1, "int64")
    x = np.zeros((64, steps, classes), "float32")
    for i in range(64):
        seq = rng.integers(0, 3, rng.integers(1, 4))
        labels[i, :len(seq)] = seq
        frames = np.full(steps, 3)
        frames[1:2 * len(seq):2] = seq                   # each label in its own frame, blanks between
        x[i] = np.eye(classes)[frames] + rng.normal(0, 0.1, (steps, classes))
    features = keras.Input((steps, classes), name="features")
    label_in = keras.Input((3,), name="label", dtype="int64")
    probs = layers.Dense(classes, activation="softmax")(layers.Dense(16, activation="relu")(features))
    model = keras.Model([features, label_in], CTCLayer()(label_in, probs))
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    history = model.fit({"features": x, "label": labels}, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    predict = keras.Model(features, probs)
    decoded, _ = K.ctc_decode(predict.predict(x, verbose=0), np.full(64, steps))
    np.testing.assert_array_equal(decoded[0].numpy()[:, :3], labels)
    beam, log_prob = K.ctc_decode(predict.predict(x[:4], verbose=0), np.full(4, steps), greedy=False, beam_width=8)
    # as tf.keras: beam search reports the best prefix with repeated labels merged ((1, 1, 0) reads (1, 0))
    merged = [[c for j, c in enumerate(row) if c >= 0 and (j == 0 or c != row[j - 1])] for row in labels[:4]]
    assert labels[0].tolist() == [1, 1, 0]
    assert [[c for c in row if c >= 0] for row in beam[0].numpy().tolist()] == merged
    assert log_prob.shape == (4, 1) and np.all(log_prob.numpy() < 0)
