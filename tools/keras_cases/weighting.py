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


@case("train")
def functional_add_loss_add_metric():
    # the keras-io training guide: a layer that logs a metric from call(), and a functional model given a
    # symbolic loss and metric (backend ops on its tensors become TFOpLambda layers)
    K = keras.backend

    class MetricLoggingLayer(layers.Layer):
        def call(self, inputs):
            self.add_metric(K.std(inputs), name="std_of_activation", aggregation="mean")
            return inputs

    rng = rng_for("functional_add_loss_add_metric")
    inputs = keras.Input(shape=(4,), name="digits")
    x1 = layers.Dense(8, activation="relu", name="dense_1")(inputs)
    x1 = MetricLoggingLayer(name="metric_logging")(x1)
    x2 = layers.Dense(8, activation="relu", name="dense_2")(x1)
    outputs = layers.Dense(3, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.add_loss(K.mean(x1) * 0.1)
    model.add_metric(K.sum(x2, axis=-1), name="sum_of_activation", aggregation="mean")
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["sparse_categorical_accuracy"])
    # NOTE: not "accuracy": the driver saves the compiled model before fit, after which tf.keras resolves
    # "accuracy" to categorical_accuracy whatever the labels (a quirk of its own)
    x = f32(50, 4, rng=rng)
    y = rng.integers(0, 3, 50).astype("int32")
    val = (f32(20, 4, rng=rng), rng.integers(0, 3, 20).astype("int32"))
    data = dict(x=x, y=y)
    fit_kw = dict(batch_size=16, epochs=3, shuffle=False, validation_data=val)
    return model, compile_kw, data, fit_kw


@case("train")
def endpoint_layer_add_metric():
    # the keras-io endpoint-layer recipe: the layer adds its loss and the result of a metric (no name)
    class LogisticEndpoint(layers.Layer):
        def __init__(self, name=None, **kwargs):
            super().__init__(name=name, **kwargs)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
            self.accuracy_fn = keras.metrics.BinaryAccuracy()

        def call(self, targets, logits, sample_weights=None):
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)
            acc = self.accuracy_fn(targets, logits, sample_weights)
            self.add_metric(acc, name="accuracy")
            return keras.activations.softmax(logits)

    rng = rng_for("endpoint_layer_add_metric")
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01))
    data = dict(x=[rng.random((40, 3)).astype("float32"), (rng.random((40, 10)) > 0.5).astype("float32")], y=None)
    fit_kw = dict(batch_size=16, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw
