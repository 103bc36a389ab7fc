"""Reference cases for the breadth of tf.keras 2's API (issue 13): focal losses trained with F1Score, and the
Ftrl, Lion, Adafactor and legacy optimizers (``decay``) trained.

    TF_USE_LEGACY_KERAS=1 python tools/make_keras_fixtures.py tests/fixtures/keras_reference --module api_breadth

writes tests/fixtures/keras_reference/api_breadth/; tests/kerasfront/test_parity_api_breadth.py replays every case
from its CASE_initial.h5 (so the loss, the metrics and the optimizer come from the file) and compares history and
final weights (rtol 1e-4, atol 1e-5), then loads CASE.h5 and compares predictions.
"""
from make_keras_fixtures import case, keras, layers, rng_for


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype("float32")


def _multi_label(rng, n, k):
    return (rng.random((n, k)) > 0.6).astype("float32")


def _onehot(rng, n, k):
    return keras.utils.to_categorical(rng.integers(0, k, n), k).astype("float32")


@case("train")
def binary_focal_f1():
    rng = rng_for("binary_focal_f1")
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                              layers.Dense(3, activation="sigmoid")])
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                      loss=keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=2.0),
                      metrics=[keras.metrics.F1Score(average="macro", threshold=0.5), "binary_accuracy"])
    data = dict(x=_f32(rng, 64, 6), y=_multi_label(rng, 64, 3))
    return model, compile_kw, data, dict(batch_size=16, epochs=3, shuffle=False)


@case("train")
def categorical_focal_f1_logits():
    rng = rng_for("categorical_focal_f1_logits")
    model = keras.Sequential([layers.Dense(8, activation="tanh", input_shape=(5,)), layers.Dense(4)])
    compile_kw = dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
                      loss=keras.losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.2, 0.3, 0.4], gamma=1.5,
                                                                     from_logits=True, label_smoothing=0.1),
                      metrics=[keras.metrics.F1Score(average="weighted"), keras.metrics.FBetaScore(beta=2.0,
                                                                                                  average="micro")])
    data = dict(x=_f32(rng, 60, 5), y=_onehot(rng, 60, 4))
    return model, compile_kw, data, dict(batch_size=12, epochs=3, shuffle=False)


@case("train")
def ftrl_binary():
    rng = rng_for("ftrl_binary")
    model = keras.Sequential([layers.Dense(6, activation="relu", input_shape=(8,)),
                              layers.Dense(1, activation="sigmoid")])
    compile_kw = dict(optimizer=keras.optimizers.Ftrl(learning_rate=0.2, l1_regularization_strength=0.001,
                                                      l2_regularization_strength=0.01),
                      loss="binary_crossentropy", metrics=["accuracy", keras.metrics.PrecisionAtRecall(0.5)])
    data = dict(x=_f32(rng, 64, 8), y=(rng.random((64, 1)) > 0.5).astype("float32"))
    return model, compile_kw, data, dict(batch_size=16, epochs=3, shuffle=False)


@case("train")
def lion_regression():
    rng = rng_for("lion_regression")
    model = keras.Sequential([layers.Dense(8, activation="tanh", input_shape=(4,)), layers.Dense(2)])
    compile_kw = dict(optimizer=keras.optimizers.Lion(learning_rate=0.003, weight_decay=0.01), loss="mse",
                      metrics=[keras.metrics.R2Score(), "mae"])
    data = dict(x=_f32(rng, 48, 4), y=_f32(rng, 48, 2))
    return model, compile_kw, data, dict(batch_size=16, epochs=3, shuffle=False)


@case("train")
def adafactor_classifier():
    rng = rng_for("adafactor_classifier")
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                              layers.Dense(3, activation="softmax")])
    compile_kw = dict(optimizer=keras.optimizers.Adafactor(learning_rate=0.05), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    data = dict(x=_f32(rng, 48, 5), y=_onehot(rng, 48, 3))
    return model, compile_kw, data, dict(batch_size=16, epochs=3, shuffle=False)


@case("train")
def legacy_adam_decay():
    rng = rng_for("legacy_adam_decay")
    model = keras.Sequential([layers.Dense(8, activation="tanh", input_shape=(5,)),
                              layers.Dense(3, activation="softmax")])
    compile_kw = dict(optimizer=keras.optimizers.legacy.Adam(learning_rate=0.02, decay=0.05),
                      loss="categorical_crossentropy", metrics=["accuracy"])
    data = dict(x=_f32(rng, 64, 5), y=_onehot(rng, 64, 3))
    return model, compile_kw, data, dict(batch_size=16, epochs=3, shuffle=False)


@case("train")
def legacy_sgd_nesterov_decay():
    rng = rng_for("legacy_sgd_nesterov_decay")
    model = keras.Sequential([layers.Dense(6, activation="relu", input_shape=(4,)), layers.Dense(1)])
    compile_kw = dict(optimizer=keras.optimizers.legacy.SGD(learning_rate=0.05, momentum=0.9, nesterov=True,
                                                            decay=0.01, clipnorm=1.0),
                      loss="mse", metrics=[keras.metrics.MeanRelativeError(normalizer=2.0)])
    data = dict(x=_f32(rng, 48, 4), y=_f32(rng, 48, 1))
    return model, compile_kw, data, dict(batch_size=8, epochs=3, shuffle=False)


@case("train")
def legacy_rmsprop_centered():
    rng = rng_for("legacy_rmsprop_centered")
    model = keras.Sequential([layers.Dense(6, activation="relu", input_shape=(4,)),
                              layers.Dense(3, activation="softmax")])
    compile_kw = dict(optimizer=keras.optimizers.legacy.RMSprop(learning_rate=0.01, momentum=0.5, centered=True,
                                                                decay=0.01),
                      loss="categorical_crossentropy", metrics=[keras.metrics.OneHotMeanIoU(num_classes=3)])
    data = dict(x=_f32(rng, 48, 4), y=_onehot(rng, 48, 3))
    return model, compile_kw, data, dict(batch_size=16, epochs=3, shuffle=False)
