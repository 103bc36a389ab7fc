"""compile(jit_compile=...): the training step captured once per input signature and replayed (the default), with
the numbers of the eager step (jit_compile=False), exactly, in the hard cases: dropout and noise, learning-rate
schedules and callbacks, trainable toggled, recompiling, partial batches, stateful RNNs, add_metric, loss scaling,
the gradient reduction seam, and steps that cannot be captured."""
import warnings

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers as L

SCCE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _data(shape, n=38, classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + shape).astype("float32"), rng.integers(0, classes, n)


def _twins(make, compile_kw=None, **fit_kw):
    """The same model trained eagerly and captured (same seed): [(model, histories)] for jit False, None."""
    out = []
    for jit in (False, None):
        keras.utils.set_random_seed(0)
        model = make()
        kw = dict(optimizer="adam", loss=SCCE, metrics=["accuracy"])
        kw.update(compile_kw or {})
        if callable(kw["optimizer"]):
            kw["optimizer"] = kw["optimizer"]()
        model.compile(jit_compile=jit, **kw)
        out.append(model)
    return out


def _assert_same(eager, captured):
    for a, b in zip(eager.get_weights(), captured.get_weights()):
        np.testing.assert_array_equal(a, b)


def _replayed(model):
    """The signatures whose steps are being replayed (the capture proved them)."""
    cap = model._step_capture
    return sorted(k[3] for k, e in cap.entries.items() if e.replay is not None)


def _fit_both(models, x, y, between=None, **fit_kw):
    histories = []
    for m in models:
        keras.utils.set_random_seed(1)                          # the same draws (shuffling, dropout) for both
        h = [m.fit(x, y, verbose=0, **fit_kw).history]
        if between is not None:
            between(m)
            h.append(m.fit(x, y, verbose=0, **fit_kw).history)
        histories.append(h)
    assert histories[0] == histories[1]
    _assert_same(*models)
    return histories


def _mlp(dropout=0.5, noise=0.1):
    return lambda: keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(dropout),
                                     L.GaussianNoise(noise), L.Dense(3)])


@pytest.mark.parametrize("make, shape", [
    (_mlp(), (6,)),
    (lambda: keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(3, 3, activation="relu"), L.BatchNormalization(),
                               L.MaxPooling2D(2), L.Flatten(), L.Dense(3)]), (6, 6, 1)),
    (lambda: keras.Sequential([keras.Input((4, 3)), L.LSTM(5, dropout=0.2, recurrent_dropout=0.2), L.Dense(3)]),
     (4, 3)),
    (lambda: keras.Model(*(lambda i: (i, L.Dense(3)(L.GlobalAveragePooling1D()(L.LayerNormalization()(
        L.MultiHeadAttention(2, 2, dropout=0.2)(i, i))))))(keras.Input((4, 4)))), (4, 4)),
], ids=["mlp_dropout_noise", "cnn_batchnorm", "lstm_dropout", "attention"])
def test_captured_training_equals_eager_training_exactly(make, shape):
    x, y = _data(shape)
    models = _twins(make)
    _fit_both(models, x, y, batch_size=8, epochs=4)            # 38 samples: batches of 8 and a last one of 6
    # both batch shapes were captured and replayed (each is recorded twice, on different data, first)
    assert [s[0][0][0] for s in _replayed(models[1])] == [6, 8]
    assert not models[0]._step_capture if models[0]._step_capture is None else True


def test_dropout_draws_a_fresh_mask_on_every_replayed_step():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), L.Dropout(0.5), L.Dense(3)])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=SCCE)
    batches = [_data((6,), n=8, seed=s) for s in (1, 2)]
    # the weights never change (learning rate 0): a frozen mask would give the same loss for the same batch
    losses = [model.train_on_batch(*batches[i % 2]) for i in range(12)]
    assert _replayed(model)
    assert len(set(losses[6::2])) == 3 and len(set(losses[7::2])) == 3


@pytest.mark.parametrize("compile_kw, callbacks", [
    (dict(optimizer=lambda: keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5))), []),
    ({}, [keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)]),
    ({}, [keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10.0)]),
], ids=["schedule", "LearningRateScheduler", "ReduceLROnPlateau"])
def test_the_learning_rate_changes_reach_replayed_steps(compile_kw, callbacks):
    x, y = _data((6,))
    models = _twins(_mlp(), compile_kw)
    _fit_both(models, x, y, batch_size=8, epochs=4, callbacks=callbacks)
    assert _replayed(models[1])
    lr = models[1].optimizer.learning_rate
    assert float(lr.data if hasattr(lr, "data") else lr) < 0.05


def test_toggling_trainable_and_recompiling_start_the_capture_over():
    x, y = _data((6,))

    def freeze(m):
        m.layers[0].trainable = False
        m._frozen = m.layers[0].get_weights()

    models = _twins(_mlp())
    _fit_both(models, x, y, between=freeze, batch_size=8, epochs=3)
    for a, b in zip(models[1]._frozen, models[1].layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)                    # frozen while replayed

    def recompile(m):
        m.compile(optimizer="sgd", loss=SCCE, jit_compile=m.jit_compile)

    models = _twins(_mlp())
    before = models[1]._step_capture
    _fit_both(models, x, y, between=recompile, batch_size=8, epochs=3)
    assert models[1]._step_capture is not before and _replayed(models[1])


def test_stateful_rnn_states_carry_over_through_replayed_steps():
    x, y = _data((4, 3), n=32)

    def make():
        return keras.Sequential([keras.Input(batch_shape=(8, 4, 3)), L.GRU(5, stateful=True), L.Dense(3)])

    models = _twins(make)
    _fit_both(models, x, y, between=lambda m: m.reset_states(), batch_size=8, epochs=3, shuffle=False)
    assert _replayed(models[1])
    state = models[1].layers[0].states[0]
    assert np.abs(state.data).sum() > 0
    models[1].reset_states()
    assert not np.any(state.data)                               # zeroed in place: the replay reads this Tensor


class _ActivityMean(L.Layer):
    def call(self, x):
        self.add_metric(ag.mean(x), name="activity_mean")
        return x


def test_add_metric_inside_a_replayed_step_is_updated_every_step():
    x, y = _data((6,))
    models = _twins(lambda: keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), _ActivityMean(),
                                              L.Dense(3)]))
    (eager,), (captured,) = _fit_both(models, x, y, batch_size=8, epochs=4)
    assert _replayed(models[1])
    values = captured["activity_mean"]
    assert len(set(values)) == 4                               # a value per epoch, not the recording's


def test_loss_scaling_and_skipped_steps_work_through_replayed_steps():
    from kerasfront import mixed_precision
    x, y = _data((6,))
    x = x * 100                                                   # float16 gradients overflow at large scales
    models = []
    for jit in (False, None):
        mixed_precision.set_global_policy("mixed_float16")
        try:
            keras.utils.set_random_seed(0)
            model = keras.Sequential([keras.Input((6,)), L.Dense(8, activation="relu"), L.Dense(3),
                                      L.Activation("linear", dtype="float32")])
            opt = mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.01), initial_scale=2.0 ** 16)
            model.compile(optimizer=opt, loss=SCCE, jit_compile=jit)
        finally:
            mixed_precision.set_global_policy("float32")
        models.append(model)
    first = models[1].get_weights()
    _fit_both(models, x, y, batch_size=8, epochs=4)
    eager, captured = models
    assert _replayed(captured)
    # each skipped step halves the scale: at least four skipped, so replayed steps skipped too (steps 1 to 3 are
    # eager or recorded); then steps that apply
    scale = float(captured.optimizer.loss_scale.data)
    assert scale == float(eager.optimizer.loss_scale.data) <= 2.0 ** 12
    assert any(not np.array_equal(a, b) for a, b in zip(first, captured.get_weights()))


def test_replayed_steps_go_through_the_gradient_reduction_seam():
    x, y = _data((6,))
    models = _twins(_mlp())
    calls = []
    for m in models:
        def reduce(grads, m=m):
            calls.append(m)
            return [g * 0.5 for g in grads]                      # what an all-reduce of 2 workers would average
        m._reduce_gradients = reduce
    _fit_both(models, x, y, batch_size=8, epochs=3)
    assert _replayed(models[1])
    assert calls.count(models[1]) == calls.count(models[0]) == 15


class _NumpyInside(L.Layer):
    def call(self, x):
        return x - x.data.mean(axis=0)                          # numpy on the data: not capturable


def test_a_step_that_cannot_be_captured_stays_eager_and_says_why():
    x, y = _data((6,))

    def make():
        return keras.Sequential([keras.Input((6,)), _NumpyInside(), L.Dense(3)])

    models = _twins(make)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # the default ("auto") does not warn
        _fit_both(models, x, y, batch_size=8, epochs=4)
    assert not _replayed(models[1])
    (reason,) = set(models[1]._jit_fallbacks.values())
    assert "_numpy_inside" in reason and "computed with numpy" in reason
    keras.utils.set_random_seed(0)
    model = make()
    model.compile(optimizer="adam", loss=SCCE, jit_compile=True)
    with pytest.warns(UserWarning, match="jit_compile=True.*runs eagerly"):
        model.fit(x, y, batch_size=8, epochs=4, verbose=0)


def test_jit_compile_arguments_are_checked_and_settable():
    model = _mlp()()
    with pytest.raises(ValueError, match="jit_compile=...\\): expected True, False, None or 'auto', received 'yes'"):
        model.compile(loss="mse", jit_compile="yes")
    with pytest.raises(ValueError, match="cannot enable `run_eagerly` and `jit_compile`"):
        model.compile(loss="mse", run_eagerly=True, jit_compile=True)
    model.compile(loss=SCCE)
    assert model.jit_compile is None and model._step_capture is not None
    model.jit_compile = False
    assert model._step_capture is None
    model.run_eagerly, model.jit_compile = True, None
    assert model.run_eagerly and model._step_capture is None
    x, y = _data((6,))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)           # eager all along


class _SetRate(keras.callbacks.Callback):
    """Sets a Python attribute the step reads (a Dropout's rate), the optimizer's learning rate as a float, and
    stops training, from inside fit."""

    def __init__(self, batch):
        super().__init__()
        self.batch = batch

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.batch:
            self.model.layers[1].rate = 0.0
            self.model.optimizer.learning_rate = 0.25
        if batch == 2 * self.batch:
            self.model.stop_training = True


def test_python_values_changed_between_replayed_steps_reach_them():
    x, y = _data((6,), n=80)
    # a Dropout's rate (a Python float the recorded step read as a constant), the learning rate set as a float
    # and stop_training, all from a callback in the middle of an epoch
    models = _twins(_mlp(dropout=0.5, noise=0.0))
    _fit_both(models, x, y, batch_size=8, epochs=2, callbacks=[_SetRate(4)])
    assert models[1].optimizer.iterations.data == 9           # stopped after batch 8 of the first epoch
    assert models[1].layers[1].rate == 0.0 and _replayed(models[1])
    # between fit calls, set back: the replays recorded with rate 0.0 are stale again
    models = _twins(_mlp(dropout=0.5, noise=0.0))
    _fit_both(models, x, y, between=lambda m: setattr(m.layers[1], "rate", 0.9), batch_size=8, epochs=2)
    assert _replayed(models[1])


def test_a_python_value_that_keeps_changing_leaves_every_step_eager():
    x, y = _data((6,), n=80)

    class Anneal(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.model.layers[1].rate = 0.5 / (1 + batch % 5)

    models = _twins(_mlp(dropout=0.5, noise=0.0))
    _fit_both(models, x, y, batch_size=8, epochs=3, callbacks=[Anneal()])
    assert not _replayed(models[1])
    assert "dropout" in models[1]._step_capture.off and ".rate changed" in models[1]._step_capture.off


class _BranchOnData(L.Layer):
    def call(self, x):
        if ag.mean(x) > 0.5:                                    # Python control flow on a value of the step
            return x * 2.0
        return x


def test_python_control_flow_on_the_steps_values_stays_eager():
    x, y = _data((6,), n=48)
    x[:16] += 1.0                                              # the first batches take the branch, the rest do not
    models = _twins(lambda: keras.Sequential([keras.Input((6,)), _BranchOnData(), L.Dense(3)]))
    _fit_both(models, x, y, batch_size=8, epochs=2, shuffle=False)
    assert not _replayed(models[1])
    (reason,) = set(models[1]._jit_fallbacks.values())
    assert "reads a value it computed into Python (bool() in layer" in reason and "(_BranchOnData)" in reason


class _CountsCalls(L.Layer):
    def call(self, x):
        self.calls = getattr(self, "calls", 0) + 1               # a Python counter the replay would not move
        return x * (2.0 if self.calls > 6 else 1.0)


class _ActivityLoss(L.Layer):
    def call(self, x):
        self.add_loss(0.01 * ag.mean(ag.square(x)))             # bookkeeping of add_loss is not such an effect
        return x


def test_a_step_with_python_effects_stays_eager_and_add_loss_is_replayed():
    x, y = _data((6,))
    models = _twins(lambda: keras.Sequential([keras.Input((6,)), _CountsCalls(), L.Dense(3)]))
    _fit_both(models, x, y, batch_size=8, epochs=3)
    assert not _replayed(models[1])
    (reason,) = set(models[1]._jit_fallbacks.values())
    assert "the step sets" in reason and ".calls" in reason
    models = _twins(lambda: keras.Sequential([keras.Input((6,)), L.Dense(4), _ActivityLoss(), L.Dense(3)]))
    _fit_both(models, x, y, batch_size=8, epochs=3)
    assert _replayed(models[1]) and not getattr(models[1], "_jit_fallbacks", None)


@pytest.mark.parametrize("make", [
    lambda: keras.Sequential([keras.Input((7,)), L.Embedding(20, 4, mask_zero=True), L.LSTM(5), L.Dense(3)]),
    lambda: keras.Sequential([keras.Input((7,)), L.Embedding(20, 4, mask_zero=True),
                              L.Bidirectional(L.GRU(4, return_sequences=True)), L.GlobalAveragePooling1D(),
                              L.Dense(3)]),
    # an activation the fused recurrences lack: the steps run one by one (K.rnn), the mask read with ops
    lambda: keras.Sequential([keras.Input((7,)), L.Embedding(20, 4, mask_zero=True),
                              L.LSTM(5, activation="softsign"), L.Dense(3)]),
    lambda: keras.Sequential([keras.Input((7,)), L.Embedding(20, 4, mask_zero=True),
                              L.LSTM(5, recurrent_activation="keras3_hard_sigmoid"), L.Dense(3)]),
], ids=["embedding_mask_lstm", "embedding_mask_bidirectional_gru", "embedding_mask_stepwise_lstm",
        "embedding_mask_keras3_hard_sigmoid_lstm"])
def test_masks_computed_from_each_batch_are_replayed_exactly(make):
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 20, (40, 7))
    for i, n in enumerate(rng.integers(0, 7, 40)):
        tokens[i, 7 - n:] = 0                                  # padding that differs from batch to batch
    models = _twins(make)
    _fit_both(models, tokens, rng.integers(0, 3, 40), batch_size=8, epochs=3)
    assert _replayed(models[1]) and not getattr(models[1], "_jit_fallbacks", None)


def test_a_layers_function_swapped_between_fits_reaches_the_replayed_steps():
    x, y = _data((6,))
    models = _twins(_mlp(dropout=0.0, noise=0.0))
    _fit_both(models, x, y, between=lambda m: setattr(m.layers[0], "activation", keras.activations.tanh),
              batch_size=8, epochs=3)
    assert _replayed(models[1])


def _squeeze_last(x):
    return x[..., 0]


def _not_padding(ids):
    return ag.not_equal(ids, 0.0)


def _softmax_over_steps():
    """Scores per step, a Softmax over the steps given the padding mask explicitly, then a Dense (the mask stops at
    the Lambda, so only the Softmax reads it)."""
    ids = keras.Input((7,))
    scores = L.Lambda(_squeeze_last)(L.Dense(1)(L.Embedding(20, 3, mask_zero=True)(ids)))
    weights = L.Softmax()(scores, mask=L.Lambda(_not_padding)(ids))
    return keras.Model(ids, L.Dense(3)(L.Lambda(lambda w: w * 1.0)(weights)))


def _padded_after_unpadded(n_clean=32, n=56, steps=7, seed=0):
    """Token ids whose first ``n_clean`` rows have no padding (the batches a capture records and proves with) and
    whose other rows are padded at the end, each by its own length."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 20, (n, steps))
    for i in range(n_clean, n):
        tokens[i, rng.integers(1, steps):] = 0
    return tokens, rng


@pytest.mark.parametrize("case", ["softmax_mask", "loss_mask_of_the_output", "ignore_class"])
def test_masks_read_by_layers_and_losses_follow_batches_padded_after_the_recorded_ones(case):
    """The recorded batches have no padding, the later ones do: a mask a layer or the compiled loss read as an array
    would be replayed as the recorded all-kept constant (the loss of padded steps counted, the Softmax over padding)."""
    tokens, rng = _padded_after_unpadded()
    compile_kw = None
    if case == "softmax_mask":
        make, y = _softmax_over_steps, rng.integers(0, 3, len(tokens))
    elif case == "loss_mask_of_the_output":
        # one label per step: the output's mask (Embedding -> SimpleRNN(return_sequences) -> Dense) weights the loss
        make, y = (lambda: keras.Sequential([keras.Input((7,)), L.Embedding(20, 4, mask_zero=True),
                                             L.SimpleRNN(5, return_sequences=True), L.Dense(3)]),
                   rng.integers(0, 3, tokens.shape))
    else:
        # no mask: the loss leaves out the labels equal to ignore_class (the padded steps)
        make = lambda: keras.Sequential([keras.Input((7,)), L.Embedding(20, 4), L.Dense(3)])  # noqa: E731
        y = np.where(tokens == 0, -1, rng.integers(0, 3, tokens.shape))
        compile_kw = {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)}
    models = _twins(make, compile_kw)
    _fit_both(models, tokens, y, batch_size=8, epochs=2, shuffle=False)
    assert _replayed(models[1]) and not getattr(models[1], "_jit_fallbacks", None)


def test_a_stateful_rnn_given_an_initial_state_takes_it_again_after_reset_states_in_replayed_steps():
    """tf.keras's rule: a stateful RNN called with ``initial_state`` starts from it while its kept states are all
    zero (after ``reset_states``), else from its kept states; replayed steps follow the states of their own step."""
    rng = np.random.default_rng(3)
    x, s0, y = (rng.standard_normal((8, 5, 3)).astype("float32"), rng.standard_normal((8, 4)).astype("float32"),
                rng.integers(0, 3, 8))
    results = []
    for jit in (False, None):
        keras.utils.set_random_seed(0)
        xi, si = keras.Input(batch_shape=(8, 5, 3)), keras.Input(batch_shape=(8, 4))
        model = keras.Model([xi, si], L.Dense(3)(L.SimpleRNN(4, stateful=True)(xi, initial_state=[si])))
        model.compile("sgd", SCCE, jit_compile=jit)
        losses = []
        for step in range(8):
            if step == 5:
                model.reset_states()
            losses.append(model.train_on_batch([x, s0 * (step + 1)], y))
        results.append((model, losses))
    (eager, eager_losses), (captured, captured_losses) = results
    assert eager_losses == captured_losses
    _assert_same(eager, captured)
    assert _replayed(captured)


@pytest.mark.parametrize("loss", ["huber", "hinge"])
def test_losses_that_branch_on_the_data_branch_per_replayed_batch(loss):
    """Huber's quadratic-or-linear choice per error and the hinge losses' {0, 1} -> {-1, 1} label conversion (made
    only when a batch's labels are all 0 or 1, as tf.keras) are read with ops: Huber steps are captured (they stayed
    eager, the choice being an array computed on the host), and a hinge replay converts only the batches that are
    binary (here the first 32 samples' labels are {0, 1}, the others {-1, 1})."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((56, 4)).astype("float32")
    y = (rng.standard_normal((56, 2)) * 3).astype("float32")
    if loss == "hinge":
        y = np.where(y > 0, 1.0, np.where(np.arange(56)[:, None] < 32, 0.0, -1.0)).astype("float32")
    models = _twins(lambda: keras.Sequential([keras.Input((4,)), L.Dense(2)]), {"loss": loss, "metrics": []})
    _fit_both(models, x, y, batch_size=8, epochs=2, shuffle=False)
    assert _replayed(models[1]) and not getattr(models[1], "_jit_fallbacks", None)


class _CTCLoss(L.Layer):
    """The CTC loss of its (batch, time, classes) softmax input against labels and label lengths (model inputs),
    added with add_loss (the keras.io OCR example's CTCLayer); every frame counts."""

    def call(self, y_pred, labels, label_length):
        frames = ag.Tensor(np.full((y_pred.shape[0], 1), y_pred.shape[1], "int64"))
        self.add_loss(ag.mean(keras.backend.ctc_batch_cost(labels, y_pred, frames, label_length)))
        return y_pred


def test_ctc_label_lengths_are_read_from_each_replayed_batch():
    """The recorded batches' labels all have the full length, the later ones shorter: lengths read on the host were
    the recorded batches' in every replay (the loss of labels padded past their length counted)."""
    def make():
        x, labels, lengths = keras.Input((8, 3)), keras.Input((3,), dtype="int64"), keras.Input((1,), dtype="int64")
        return keras.Model([x, labels, lengths], _CTCLoss()(L.Dense(5, activation="softmax")(x), labels, lengths))

    rng = np.random.default_rng(5)
    x, labels = rng.standard_normal((56, 8, 3)).astype("float32"), rng.integers(0, 4, (56, 3))
    lengths = np.full((56, 1), 3)
    lengths[32:, 0] = rng.integers(1, 4, 24)
    models = _twins(make, {"loss": None, "metrics": []})
    _fit_both(models, [x, labels, lengths], None, batch_size=8, epochs=2, shuffle=False)
    assert _replayed(models[1]) and not getattr(models[1], "_jit_fallbacks", None)
