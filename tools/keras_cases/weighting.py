"""Reference cases for weighting: 1-D binary labels (the common shape of a binary problem) with per-sample
weights, class weights and weighted validation data, trained by real tf.keras.

    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tools/make_keras_fixtures.py tests/fixtures/keras_reference \
        --module weighting

tests/kerasfront/test_parity_weighting.py rebuilds each model, loads its initial weights and must reproduce the
history (every metric, weighted and not, and the val_ entries) and the final weights (rtol 1e-4, atol 1e-5).
"""
from make_keras_fixtures import case, f32, keras, layers, rng_for


def _binary_data(name, n):
    rng = rng_for(name)
    x = f32(n, 4, rng=rng)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0.3).astype("float32")                   # shape (n,): 1-D labels
    return rng, x, y


def _model():
    return keras.Sequential([
        layers.Dense(8, activation="relu", input_shape=(4,)),
        layers.Dense(1, activation="sigmoid"),
    ])


@case("train")
def binary_1d_sample_weight():
    rng, x, y = _binary_data("binary_1d_sample_weight", 60)
    _, vx, vy = _binary_data("binary_1d_sample_weight_val", 22)
    model = _model()
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                      metrics=["accuracy", "mae"], weighted_metrics=["accuracy", "mae"])
    sw = rng.uniform(0.0, 2.0, 60).astype("float32")
    sw[y == 1] *= 0.1                                                             # positives nearly ignored
    vw = rng.uniform(0.5, 1.5, 22).astype("float32")
    data = dict(x=x, y=y, sample_weight=sw)
    fit_kw = dict(batch_size=16, epochs=3, shuffle=False, validation_data=(vx, vy, vw))
    return model, compile_kw, data, fit_kw


@case("train")
def binary_1d_class_weight():
    rng, x, y = _binary_data("binary_1d_class_weight", 60)
    _, vx, vy = _binary_data("binary_1d_class_weight_val", 22)
    model = _model()
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                      metrics=["accuracy"], weighted_metrics=["accuracy", keras.metrics.AUC(num_thresholds=20)])
    # NOTE: no sample_weight beside class_weight here: tf.keras 2.21 fails on the pair with array data (its
    # class-weight map reshapes the weights to a shape with an unknown batch size)
    vw = rng.uniform(0.5, 1.5, 22).astype("float32")
    data = dict(x=x, y=y)
    fit_kw = dict(batch_size=16, epochs=3, shuffle=False, class_weight={0: 0.25, 1: 3.0},
                  validation_data=(vx, vy, vw))
    return model, compile_kw, data, fit_kw
