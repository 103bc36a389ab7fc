"""Reference cases for mixed precision (issue 13), made by real tf.keras: models built under the "mixed_float16"
(and "mixed_bfloat16") policy, compiled (tf.keras wraps the optimizer in a LossScaleOptimizer), trained and saved.

Model cases:
    TF_USE_LEGACY_KERAS=1 python tools/make_keras_fixtures.py tests/fixtures/keras_reference --module mixed_precision
The dynamic loss scale batch by batch for each mixed_float16 case (run after the above: it trains each case from
its initial file), written to tests/fixtures/keras_reference/mixed_precision/loss_scale.json:
    TF_USE_LEGACY_KERAS=1 python tools/keras_cases/mixed_precision.py tests/fixtures/keras_reference/mixed_precision
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from make_keras_fixtures import case, f32, keras, layers, onehot, rng_for  # noqa: E402

import numpy as np  # noqa: E402

mixed_precision = keras.mixed_precision


def _under(policy, build):
    """``build()`` with the global policy set to ``policy`` (put back afterwards)."""
    mixed_precision.set_global_policy(policy)
    try:
        return build()
    finally:
        mixed_precision.set_global_policy("float32")


def _mlp():
    inp = keras.Input(shape=(6,))
    x = layers.Dense(16, activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(12, activation="tanh")(x)
    x = layers.LayerNormalization()(x)
    x = layers.Dense(3)(x)
    out = layers.Activation("softmax", dtype="float32")(x)
    return keras.Model(inp, out)


@case("train")
def mixed_float16_train():
    rng = rng_for("mixed_float16_train")
    model = _under("mixed_float16", _mlp)
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    data = dict(x=f32(32, 6, rng=rng), y=onehot(32, 3, rng=rng))
    fit_kw = dict(batch_size=8, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def mixed_float16_sequence_train():
    rng = rng_for("mixed_float16_sequence_train")

    def build():
        inp = keras.Input(shape=(10,), dtype="int32")
        x = layers.Embedding(50, 8)(inp)
        x = layers.Conv1D(6, 3, activation="relu", padding="same")(x)
        x = layers.GlobalAveragePooling1D()(x)
        out = layers.Dense(1, activation="sigmoid", dtype="float32")(x)
        return keras.Model(inp, out)
    model = _under("mixed_float16", build)
    compile_kw = dict(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="binary_crossentropy",
                      metrics=["accuracy"])
    data = dict(x=rng.integers(0, 50, (24, 10)).astype("int32"), y=(rng.random((24, 1)) > 0.5).astype("float32"))
    fit_kw = dict(batch_size=8, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def mixed_float16_overflow_train():
    """The scaled gradients overflow float16 at first: tf.keras skips those steps and halves the scale."""
    rng = rng_for("mixed_float16_overflow_train")

    def build():
        inp = keras.Input(shape=(4,))
        x = layers.Dense(8, activation="relu", kernel_initializer=keras.initializers.Constant(0.5))(inp)
        out = layers.Dense(1, dtype="float32", kernel_initializer=keras.initializers.Constant(0.5))(x)
        return keras.Model(inp, out)
    model = _under("mixed_float16", build)
    compile_kw = dict(optimizer=keras.optimizers.SGD(learning_rate=1e-5), loss="mse")
    data = dict(x=(f32(16, 4, rng=rng) * 2.0), y=(f32(16, 1, rng=rng) * 10.0))
    fit_kw = dict(batch_size=4, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def mixed_bfloat16_train():
    rng = rng_for("mixed_bfloat16_train")
    model = _under("mixed_bfloat16", _mlp)
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    data = dict(x=f32(32, 6, rng=rng), y=onehot(32, 3, rng=rng))
    fit_kw = dict(batch_size=8, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


class _LossScaleTrace(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.scales, self.iterations = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.scales.append(float(self.model.optimizer.loss_scale))
        self.iterations.append(int(self.model.optimizer.iterations))


def main(out_dir):
    """The loss scale and iteration count after each batch of every mixed_float16 case, trained from its initial
    file as the test trains it."""
    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)["cases"]
    out = {}
    for name, entry in sorted(manifest.items()):
        if not name.startswith("mixed_float16"):
            continue
        data = np.load(os.path.join(out_dir, f"{name}.npz"))
        model = keras.models.load_model(os.path.join(out_dir, f"{name}_initial.h5"))
        trace = _LossScaleTrace()
        model.fit(data["train_x"], data["train_y"], verbose=0, callbacks=[trace], **entry["fit"])
        out[name] = {"loss_scale": trace.scales, "iterations": trace.iterations,
                     "initial_scale": float(model.optimizer.initial_scale),
                     "dynamic_growth_steps": int(model.optimizer.dynamic_growth_steps)}
    with open(os.path.join(out_dir, "loss_scale.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.join(out_dir, "loss_scale.json"), {k: v["loss_scale"] for k, v in out.items()})


if __name__ == "__main__":
    main(sys.argv[1])
