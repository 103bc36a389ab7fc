"""Make reference cases with real tf.keras (Keras 2, the tf_keras package).

Run with a Python that has tensorflow-cpu and tf_keras installed (a throwaway venv, never the project's):
    TF_USE_LEGACY_KERAS=1 python tools/make_keras_fixtures.py tests/fixtures/keras_reference
    TF_USE_LEGACY_KERAS=1 python tools/make_keras_fixtures.py tests/fixtures/keras_reference --module weighting

Without --module it writes the original public cases (the ones in this file) to OUT_DIR. With --module NAME it
imports tools/keras_cases/NAME.py, whose cases register with the same ``@case`` decorator, and writes them to
OUT_DIR/NAME/ with a manifest of their own, so each area of the project regenerates its cases alone. Cases
in a module draw their data from ``rng_for(name)`` (seeded from the case name), so adding a case never
changes another case's data.

Each case CASE writes:
  CASE.h5          the model saved by keras.models.save_model after training
  CASE_initial.h5  (training cases) the compiled model saved before training
  CASE.npz         inputs x / x_<i>, predictions y_pred / y_pred_<i> of the trained model,
                   training data, initial and final weights, history
and manifest.json describes every case: the Keras code that built it, compile and fit
arguments, and what a conforming implementation must reproduce.
"""
import inspect
import json
import os
import sys
import textwrap

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers  # noqa: E402

rng = np.random.default_rng(1234)
CASES = {}


def case(kind, group="public"):
    def wrap(fn):
        CASES[fn.__name__] = (kind, group, fn)
        return fn
    return wrap


def onehot(n, k, rng=None):
    rng = globals()["rng"] if rng is None else rng
    return keras.utils.to_categorical(rng.integers(0, k, n), k).astype("float32")


def f32(*shape, rng=None):
    rng = globals()["rng"] if rng is None else rng
    return rng.standard_normal(shape).astype("float32")


def rng_for(name):
    """A generator seeded from a case's name: a module's cases do not depend on each other's draws."""
    return np.random.default_rng(sum(ord(c) * 31 ** i for i, c in enumerate(name)) % (2 ** 32))


# ---------------------------------------------------------------- public: training parity

@case("train")
def seed_functional():
    inp = keras.Input(shape=(3,))
    x = layers.Dense(4, activation=keras.activations.relu)(inp)
    out = layers.Dense(2, activation=keras.activations.softmax)(x)
    model = keras.Model(inputs=inp, outputs=out)
    compile_kw = dict(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    data = dict(x=f32(64, 3), y=onehot(64, 2))
    fit_kw = dict(batch_size=16, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def sequential_sgd_nesterov_mse():
    model = keras.Sequential([
        layers.Dense(8, activation="tanh", input_shape=(5,)),
        layers.Dense(1),
    ])
    compile_kw = dict(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                      loss="mse", metrics=["mae"])
    data = dict(x=f32(48, 5), y=f32(48, 1))
    fit_kw = dict(batch_size=12, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def rmsprop_centered_sparse():
    model = keras.Sequential([
        layers.Dense(6, activation="relu", input_shape=(4,)),
        layers.Dense(3, activation="softmax"),
    ])
    compile_kw = dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True),
                      loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    data = dict(x=f32(40, 4), y=rng.integers(0, 3, (40,)).astype("int64"))
    fit_kw = dict(batch_size=8, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def adagrad_binary():
    model = keras.Sequential([
        layers.Dense(5, activation="relu", input_shape=(6,)),
        layers.Dense(1, activation="sigmoid"),
    ])
    compile_kw = dict(optimizer=keras.optimizers.Adagrad(learning_rate=0.1),
                      loss="binary_crossentropy", metrics=["binary_accuracy"])
    data = dict(x=f32(40, 6), y=rng.integers(0, 2, (40, 1)).astype("float32"))
    fit_kw = dict(batch_size=10, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def logits_adam_amsgrad_clipnorm():
    model = keras.Sequential([
        layers.Dense(7, activation="elu", input_shape=(4,)),
        layers.Dense(3),
    ])
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.02, amsgrad=True, clipnorm=0.5),
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                      metrics=["categorical_accuracy"])
    data = dict(x=f32(36, 4), y=onehot(36, 3))
    fit_kw = dict(batch_size=9, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def cnn_sgd():
    model = keras.Sequential([
        layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])
    compile_kw = dict(optimizer=keras.optimizers.SGD(learning_rate=0.05),
                      loss="categorical_crossentropy", metrics=["accuracy"])
    data = dict(x=f32(32, 8, 8, 1), y=onehot(32, 3))
    fit_kw = dict(batch_size=8, epochs=2, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def lstm_rmsprop():
    model = keras.Sequential([
        layers.LSTM(6, input_shape=(5, 3)),
        layers.Dense(2, activation="softmax"),
    ])
    compile_kw = dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
                      loss="categorical_crossentropy", metrics=["accuracy"])
    data = dict(x=f32(32, 5, 3), y=onehot(32, 2))
    fit_kw = dict(batch_size=8, epochs=2, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def gru_simplernn_adam():
    model = keras.Sequential([
        layers.SimpleRNN(4, return_sequences=True, input_shape=(6, 2)),
        layers.GRU(5),
        layers.Dense(1),
    ])
    compile_kw = dict(optimizer="adam", loss="mse")
    data = dict(x=f32(24, 6, 2), y=f32(24, 1))
    fit_kw = dict(batch_size=8, epochs=2, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def batchnorm_validation_split():
    model = keras.Sequential([
        layers.Dense(8, input_shape=(5,)),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(1),
    ])
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    data = dict(x=f32(50, 5), y=f32(50, 1))
    fit_kw = dict(batch_size=10, epochs=3, shuffle=False, validation_split=0.2)
    return model, compile_kw, data, fit_kw


@case("train")
def embedding_l2_sample_weight():
    model = keras.Sequential([
        layers.Embedding(20, 4, input_length=7),
        layers.GlobalAveragePooling1D(),
        layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.l2(0.01)),
    ])
    compile_kw = dict(optimizer=keras.optimizers.Nadam(learning_rate=0.01),
                      loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    data = dict(x=rng.integers(0, 20, (30, 7)).astype("int32"), y=rng.integers(0, 3, (30,)).astype("int32"),
                sample_weight=rng.uniform(0.2, 2.0, (30,)).astype("float32"))
    fit_kw = dict(batch_size=6, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def multi_io_functional():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    h = layers.Concatenate()([shared(layers.Dense(4, name="pa")(a)), layers.Dense(5, name="pb")(b)])
    h = layers.Add()([layers.Dense(6, name="h1")(h), layers.Dense(6, name="h2")(h)])
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(inputs=[a, b], outputs=[cls, reg])
    compile_kw = dict(optimizer=keras.optimizers.Adamax(learning_rate=0.01),
                      loss={"cls": "categorical_crossentropy", "reg": "mae"},
                      loss_weights={"cls": 1.0, "reg": 0.5},
                      metrics={"cls": ["accuracy"]})
    data = dict(x=[f32(30, 4), f32(30, 3)], y=[onehot(30, 3), f32(30, 1)])
    fit_kw = dict(batch_size=10, epochs=2, shuffle=False)
    return model, compile_kw, data, fit_kw


# ---------------------------------------------------------------- public: load / predict cases

@case("load")
def layer_zoo_cnn():
    inp = keras.Input(shape=(10, 10, 3))
    x = layers.ZeroPadding2D(1)(inp)
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.AveragePooling2D(2, padding="same")(x)
    x = layers.Conv2D(5, (2, 3), padding="valid", use_bias=False)(x)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.GlobalMaxPooling2D()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(4)(x)
    out = layers.Activation("softmax")(x)
    model = keras.Model(inp, out)
    data = dict(x=f32(6, 10, 10, 3))
    return model, None, data, None


@case("load")
def layer_zoo_sequence():
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
    data = dict(x=f32(5, 8, 3))
    return model, None, data, None


@case("load")
def nested_sequential_in_functional():
    block = keras.Sequential([layers.Dense(6, activation="relu"), layers.Dense(3)], name="block")
    inp = keras.Input(shape=(4,))
    out = layers.Softmax()(block(inp))
    model = keras.Model(inp, out)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    data = dict(x=f32(5, 4))
    return model, None, data, None


@case("load")
def uncompiled_sequential():
    model = keras.Sequential([layers.Dense(3, activation="sigmoid", input_shape=(2,))])
    data = dict(x=f32(4, 2))
    return model, None, data, None


class ScaleLayer(layers.Layer):
    """A custom layer: y = x * scale, with one trainable scalar per feature."""

    def __init__(self, init_value=2.0, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],),
                                     initializer=keras.initializers.Constant(self.init_value))

    def call(self, x):
        return x * self.scale

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}


@case("load")
def custom_layer():
    model = keras.Sequential([layers.Dense(3, input_shape=(2,)), ScaleLayer(1.5, name="scale_layer")])
    model.compile(optimizer="adam", loss="mse")
    data = dict(x=f32(4, 2))
    return model, None, data, None


@case("load")
def lambda_layer_unsafe():
    model = keras.Sequential([layers.Dense(2, input_shape=(3,)), layers.Lambda(lambda t: t * 2.0)])
    data = dict(x=f32(4, 3))
    return model, None, data, None


@case("weights")
def weights_only():
    model = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])
    data = dict(x=f32(5, 3))
    return model, None, data, None


# ---------------------------------------------------------------- driver

def weights_to_dict(prefix, weights):
    return {f"{prefix}_{i}": np.asarray(w) for i, w in enumerate(weights)}


def as_list(v):
    return v if isinstance(v, list) else [v]


def describe(kw):
    """A JSON-able description of compile or fit arguments."""
    out = {}
    for k, v in (kw or {}).items():
        if isinstance(v, (keras.optimizers.Optimizer, keras.optimizers.legacy.Optimizer)):
            cfg = {kk: vv for kk, vv in v.get_config().items() if vv is not None and kk not in ("jit_compile", "is_legacy_optimizer")}
            legacy = isinstance(v, keras.optimizers.legacy.Optimizer)
            out[k] = {"class_name": ("legacy." if legacy else "") + type(v).__name__, "config": cfg}
        elif isinstance(v, list):
            out[k] = [{"class_name": type(m).__name__, "config": m.get_config()} if hasattr(m, "get_config") else m
                      for m in v]
        elif isinstance(v, keras.losses.Loss):
            out[k] = {"class_name": type(v).__name__, "config": v.get_config()}
        elif k == "validation_data":
            out[k] = "arrays in npz: val_x, val_y" + (", val_sample_weight" if len(v) > 2 else "")
        elif isinstance(v, dict):
            out[k] = {str(kk): vv for kk, vv in v.items()}
        else:
            out[k] = v
    return out


def main(out_dir, group):
    os.makedirs(out_dir, exist_ok=True)
    manifest = {"made_with": {"tf_keras": keras.__version__, "numpy": np.__version__},
                "format": __doc__, "cases": {}}
    for name, (kind, grp, fn) in CASES.items():
        if grp != group:
            continue
        keras.utils.set_random_seed(7)
        model, compile_kw, data, fit_kw = fn()
        arrays = {}
        xs = as_list(data["x"])
        entry = {"kind": kind, "code": textwrap.dedent(inspect.getsource(fn))}
        if name == "custom_layer":
            entry["code"] = textwrap.dedent(inspect.getsource(ScaleLayer)) + "\n" + entry["code"]
        if kind == "train":
            model.compile(**compile_kw)
            keras.models.save_model(model, os.path.join(out_dir, f"{name}_initial.h5"))
            arrays.update(weights_to_dict("w0", model.get_weights()))
            extra = {}
            if "sample_weight" in data:
                extra["sample_weight"] = data["sample_weight"]
                arrays["sample_weight"] = data["sample_weight"]
            if "validation_data" in fit_kw:
                validation = fit_kw["validation_data"]
                arrays["val_x"], arrays["val_y"] = validation[0], validation[1]
                if len(validation) > 2:
                    arrays["val_sample_weight"] = validation[2]
            hist = model.fit(data["x"], data["y"], verbose=0, **fit_kw, **extra)
            for k, v in hist.history.items():
                arrays[f"history_{k}"] = np.asarray(v, dtype="float64")
            arrays.update(weights_to_dict("w1", model.get_weights()))
            for i, t in enumerate(as_list(data["y"]) if data["y"] is not None else []):
                arrays[f"train_y_{i}" if isinstance(data["y"], list) else "train_y"] = t
            for i, t in enumerate(xs):
                arrays[f"train_x_{i}" if isinstance(data["x"], list) else "train_x"] = t
            entry["compile"] = describe(compile_kw)
            entry["fit"] = describe(fit_kw)
            entry["history_keys"] = sorted(hist.history)
            if isinstance(compile_kw["optimizer"], keras.optimizers.Nadam):
                entry["note"] = ("history and w1_* come from the model compiled in code; tf.keras itself drifts by "
                                 "about 2e-4 when it reloads a Nadam model before fitting, a quirk of its own")
            entry["must"] = ("load CASE_initial.h5 (compiled), fit on train_x/train_y with the fit arguments; "
                             "history and final weights w1_* match within rtol 1e-4, atol 1e-5; "
                             "then CASE.h5 loads and predicts y_pred within 1e-5")
        preds = model.predict(data["x"], verbose=0)
        for i, t in enumerate(xs):
            arrays[f"x_{i}" if isinstance(data["x"], list) else "x"] = t
        for i, p in enumerate(as_list(preds)):
            arrays[f"y_pred_{i}" if isinstance(preds, list) else "y_pred"] = p
        arrays.update(weights_to_dict("w", model.get_weights()))
        if kind == "weights":
            model.save_weights(os.path.join(out_dir, f"{name}.h5"))
            entry["must"] = "build the same architecture, load_weights(CASE.h5), predict y_pred within 1e-5"
        else:
            keras.models.save_model(model, os.path.join(out_dir, f"{name}.h5"), include_optimizer=True)
            entry.setdefault("must", "load_model(CASE.h5) and predict(x) gives y_pred within 1e-5")
        if name == "lambda_layer_unsafe":
            entry["must"] = ("load_model(CASE.h5) refuses by default with a clear error (the file holds Python "
                             "bytecode); only an explicit opt-in (safe_mode=False) may run it")
        if name == "custom_layer":
            entry["must"] = ("load_model without custom_objects raises ValueError naming ScaleLayer and "
                             "custom_objects; with custom_objects={'ScaleLayer': <an equivalent class>} "
                             "it predicts y_pred within 1e-5")
        if name == "uncompiled_sequential":
            entry["must"] += "; loading warns once that the model is not compiled (no warning with compile=False)"
        np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)
        manifest["cases"][name] = entry
        print(name, kind, "ok", flush=True)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, default=str)


def load_module(module):
    """Import tools/keras_cases/MODULE.py; its ``@case`` functions join CASES in group MODULE."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_cases", f"{module}.py")
    spec = importlib.util.spec_from_file_location(f"keras_cases_{module}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_keras_fixtures"] = sys.modules[__name__]
    spec.loader.exec_module(mod)
    for name, (kind, _, fn) in list(CASES.items()):
        if fn.__module__ == mod.__name__:
            CASES[name] = (kind, module, fn)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--module" in args:
        i = args.index("--module")
        module = args[i + 1]
        load_module(module)
        main(os.path.join(args[0], module), module)
    else:
        main(args[0], args[1] if len(args) > 1 else "public")
