"""The model workloads written once against the tf.keras API, for every Keras-like system.

``tf_keras``, Keras 3 and ``kerasfront`` take the same code: Sequential models, ``compile``,
``train_on_batch`` for steps, ``fit(verbose=0)`` for the epoch and ``predict`` for inference. Losses are
sparse categorical cross-entropy on logits; no metrics, so each system does the same work as the numpy
lower bound.

Example:
    >>> import tf_keras
    >>> bench = mlp_step(tf_keras)          # a workloads.Bench; bench.run() is one train_on_batch
"""
import numpy as np

from workloads import (ADAM, APP_MODELS, CNN_INPUT, EPOCH_SAMPLES, LAYER_NORM_EPSILON, LEARNING_RATE, LSTM_FEATURES, LSTM_STEPS,
                       LSTM_UNITS, MLP_BATCH, MLP_SIZES, N_CLASSES, PREDICT_BATCH, RMSPROP, TEXT_SEQUENCE_LENGTH,
                       TRANSFORMER_FF, TRANSFORMER_HEADS, TRANSFORMER_SEQ, TRANSFORMER_WIDTH, Bench, app_images,
                       cnn_batches, cycle,
                       lstm_batches, mlp_batches, mlp_dataset, predict_inputs, table, texts, transformer_batches)


def _loss(keras):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _adam(keras):
    return keras.optimizers.Adam(learning_rate=LEARNING_RATE, **ADAM)


def mlp_model(keras):
    """784-256-128-10 relu MLP with logits out, compiled with Adam."""
    layers = keras.layers
    hidden = [layers.Dense(n, activation="relu") for n in MLP_SIZES[1:-1]]
    model = keras.Sequential([keras.Input(shape=(MLP_SIZES[0],))] + hidden + [layers.Dense(MLP_SIZES[-1])])
    model.compile(optimizer=_adam(keras), loss=_loss(keras))
    return model


def cnn_model(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=CNN_INPUT),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(N_CLASSES)])
    model.compile(optimizer=_adam(keras), loss=_loss(keras))
    return model


def lstm_model(keras):
    layers = keras.layers
    model = keras.Sequential([keras.Input(shape=(LSTM_STEPS, LSTM_FEATURES)), layers.LSTM(LSTM_UNITS),
                              layers.Dense(N_CLASSES)])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE, **RMSPROP), loss=_loss(keras))
    return model


def transformer_model(keras):
    """One Transformer encoder block (self-attention, Add & LayerNormalization, a relu feed-forward block, Add &
    LayerNormalization) over (64, 128) sequences, averaged over the steps into 10 logits; Adam."""
    layers = keras.layers
    inp = keras.Input(shape=(TRANSFORMER_SEQ, TRANSFORMER_WIDTH))
    attn = layers.MultiHeadAttention(num_heads=TRANSFORMER_HEADS, key_dim=TRANSFORMER_WIDTH // TRANSFORMER_HEADS)(
        inp, inp)
    x = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON)(layers.Add()([inp, attn]))
    ff = layers.Dense(TRANSFORMER_WIDTH)(layers.Dense(TRANSFORMER_FF, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON)(layers.Add()([x, ff]))
    out = layers.Dense(N_CLASSES)(layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inp, out)
    model.compile(optimizer=_adam(keras), loss=_loss(keras))
    return model


def _steps(model, batches):
    batch = cycle(batches)
    return Bench(lambda: model.train_on_batch(*batch()))


def mlp_step(keras):
    return _steps(mlp_model(keras), mlp_batches())


def cnn_step(keras):
    return _steps(cnn_model(keras), cnn_batches())


def lstm_step(keras):
    return _steps(lstm_model(keras), lstm_batches())


def transformer_step(keras):
    return _steps(transformer_model(keras), transformer_batches())


def mlp_epoch(keras):
    """One epoch of ``fit(x, y, batch_size=128, verbose=0)`` (shuffled, as fit's default).

    The warm-up fits 3 epochs of a slice that meets both batch shapes the timed epoch meets (full batches of 128
    and a last one of 60 000 % 128 = 96 samples), so that no system's tracing or compiling is timed: tf.keras and
    Keras 3 trace (and compile) once per shape, kerasfront records each shape on two steps of different data
    before it replays it."""
    model = mlp_model(keras)
    x, y = mlp_dataset(EPOCH_SAMPLES)
    small = 8 * MLP_BATCH + EPOCH_SAMPLES % MLP_BATCH
    return Bench(lambda: model.fit(x, y, batch_size=MLP_BATCH, epochs=1, verbose=0),
                 warmup=lambda: model.fit(x[:small], y[:small], batch_size=MLP_BATCH, epochs=3, verbose=0))


def predict(keras):
    """``predict(x, batch_size=32, verbose=0)`` on 10 000 samples, after a warm-up on 256."""
    model = mlp_model(keras)
    x = predict_inputs()
    return Bench(lambda: np.asarray(model.predict(x, batch_size=PREDICT_BATCH, verbose=0)),
                 warmup=lambda: model.predict(x[:256], batch_size=PREDICT_BATCH, verbose=0))


def text_vectorization(keras):
    """``TextVectorization(max_tokens=20 000, output_sequence_length=32)``: adapt on the 25 000 texts, then
    vectorize them all (one eager call), as a model's input pipeline would."""
    data = texts()

    def run():
        layer = keras.layers.TextVectorization(max_tokens=20_000, output_sequence_length=TEXT_SEQUENCE_LENGTH)
        layer.adapt(data)
        return np.asarray(layer(data))
    return Bench(run)


def normalization(keras):
    """``Normalization()``: adapt on the (100 000, 32) table, then normalize it (one eager call)."""
    data = table()

    def run():
        layer = keras.layers.Normalization()
        layer.adapt(data)
        return np.asarray(layer(data))
    return Bench(run)


def application(keras, workload):
    """``keras.applications.<arch>(weights=None)`` (the ImageNet classifier, random weights) classifying one batch of
    8 224x224 images with ``predict_on_batch`` (inference mode, the compiled path where there is one)."""
    model = getattr(keras.applications, APP_MODELS[workload])(weights=None)
    x = app_images()
    return Bench(lambda: np.asarray(model.predict_on_batch(x)))
