"""Value tables from real tf.keras for the focal losses, the newer metrics and the optimizers (new and legacy).

Run with the throwaway Python that has tensorflow + tf_keras (never the project's):
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/make_api_breadth_fixtures.py \
        tests/fixtures/api_breadth

Writes OUT_DIR/values.json:
  "losses":     [{"class_name", "config", "y_true", "y_pred", "sample_weight", "value", "per_sample"}]
                (``per_sample``: the loss function with the same arguments, no reduction)
  "metrics":    [{"class_name", "config", "batches": [[y_true, y_pred, sample_weight], ...], "results": [...]}]
                (``results[i]``: ``result()`` after the first i + 1 batches; ``config``: ``get_config()``)
  "optimizers": [{"module": "optimizers" | "optimizers.legacy", "class_name", "kwargs", "weights",
                  "gradients" (per step), "final" (weights after the steps), "slots" ({name: value}),
                  "config" (``get_config()`` as JSON)}]
  "misc":       RadialConstraint outputs; RandomFourierFeatures weight names, weights, input and output
  "models":     SharpnessAwareMinimization, LinearModel and WideDeepModel: initial weights, compile arguments
                (optimizers as "name_learningrate"), data, history of fit(batch_size=8, epochs=2, shuffle=False)
                and final weights
and OUT_DIR/legacy_adam_resume.h5 with OUT_DIR/legacy_resume.npz: a model trained 2 epochs with
``optimizers.legacy.Adam(decay=...)`` and saved, then (in tf.keras) loaded and trained one more epoch; the npz
holds the data, the history of that epoch and the weights after it. tests/kerasfront/test_api_breadth_values.py
checks kerasfront against all of it.
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _json(v):
    # NOTE: float32 values are written with the shortest digits that read back to the same float32 (smaller files).
    if isinstance(v, np.ndarray) and v.dtype == np.float32:
        return np.asarray([float(str(x)) for x in v.ravel()], dtype=object).reshape(v.shape).tolist()
    if isinstance(v, np.float32):
        return float(str(v))
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    if isinstance(v, dict):
        return {k: _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    return v


def loss_cases(rng):
    """(class name, config) pairs; the inputs are drawn per case."""
    f32 = np.float32
    bin_true = (rng.random((6, 3)) > 0.5).astype(f32)
    bin_prob = rng.uniform(0.02, 0.98, (6, 3)).astype(f32)
    bin_logit = rng.normal(0, 2, (6, 3)).astype(f32)
    cat_true = np.eye(4, dtype=f32)[rng.integers(0, 4, 5)]
    cat_prob = rng.dirichlet(np.ones(4), 5).astype(f32)
    cat_logit = rng.normal(0, 2, (5, 4)).astype(f32)
    sw6 = rng.uniform(0, 2, 6).astype(f32)
    sw5 = rng.uniform(0, 2, 5).astype(f32)
    out = []
    for cfg, logits, sw in [({}, False, None), ({"gamma": 0.0}, False, None), ({"gamma": 3.5}, False, sw6),
                            ({"apply_class_balancing": True, "alpha": 0.4}, False, None),
                            ({"from_logits": True}, True, None), ({"from_logits": True, "label_smoothing": 0.2}, True, sw6),
                            ({"label_smoothing": 0.1, "apply_class_balancing": True}, False, None),
                            ({"reduction": "sum"}, False, sw6), ({"reduction": "none"}, True, None)]:
        if cfg.get("reduction") == "none":
            cfg = dict(cfg, from_logits=True)
        out.append(("BinaryFocalCrossentropy", cfg, bin_true, bin_logit if logits else bin_prob, sw))
    for cfg, logits, sw in [({}, False, None), ({"gamma": 0.0, "alpha": 1.0}, False, None),
                            ({"alpha": [0.1, 0.2, 0.3, 0.4]}, False, sw5), ({"from_logits": True}, True, None),
                            ({"from_logits": True, "label_smoothing": 0.1, "gamma": 1.5}, True, sw5),
                            ({"reduction": "sum", "label_smoothing": 0.3}, False, None)]:
        out.append(("CategoricalFocalCrossentropy", cfg, cat_true, cat_logit if logits else cat_prob, sw))
    return out


def make_losses(keras, rng):
    out = []
    for name, cfg, y_true, y_pred, sw in loss_cases(rng):
        loss = getattr(keras.losses, name)(**cfg)
        value = loss(y_true, y_pred, sample_weight=sw).numpy()
        fn_cfg = {k: v for k, v in loss.get_config().items() if k not in ("name", "reduction", "fn")}
        fn = keras.losses.binary_focal_crossentropy if name.startswith("Binary") else \
            keras.losses.categorical_focal_crossentropy
        per_sample = fn(y_true, y_pred, **fn_cfg).numpy()
        out.append({"class_name": name, "config": _json(loss.get_config()), "y_true": _json(y_true),
                    "y_pred": _json(y_pred), "sample_weight": _json(sw), "value": _json(value),
                    "per_sample": _json(per_sample)})
    return out


def metric_cases(rng):
    f32 = np.float32

    def multi_hot(n, k):
        return (rng.random((n, k)) > 0.5).astype(f32)

    def probs(n, k):
        return rng.random((n, k)).astype(f32)

    def onehot(n, k):
        return np.eye(k, dtype=f32)[rng.integers(0, k, n)]

    def batches(make, count=2, weighted=False):
        out = []
        for _ in range(count):
            y_true, y_pred = make()
            sw = rng.uniform(0, 2, len(y_true)).astype(f32) if weighted else None
            out.append([y_true, y_pred, sw])
        return out

    cases = []
    for cfg in ({}, {"average": "micro"}, {"average": "macro", "threshold": 0.5}, {"average": "weighted"},
                {"threshold": 0.3}):
        cases.append(("F1Score", cfg, batches(lambda: (multi_hot(6, 3), probs(6, 3)), weighted=cfg == {})))
    for cfg in ({"beta": 2.0, "average": "macro"}, {"beta": 0.5, "threshold": 0.6}):
        cases.append(("FBetaScore", cfg, batches(lambda: (multi_hot(6, 3), probs(6, 3)), weighted=True)))
    for cfg in ({}, {"class_aggregation": None}, {"class_aggregation": "variance_weighted_average"},
                {"num_regressors": 2}):
        cases.append(("R2Score", cfg, batches(lambda: (rng.normal(size=(7, 2)).astype(f32),
                                                       rng.normal(size=(7, 2)).astype(f32)), weighted=cfg == {})))
    ints = lambda n, k: rng.integers(0, k, n).astype(f32)  # noqa: E731
    cases.append(("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, batches(lambda: (ints(8, 3), ints(8, 3)),
                                                                              weighted=True)))
    cases.append(("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 0},
                  batches(lambda: (ints(8, 4), ints(8, 4)))))
    cases.append(("MeanIoU", {"num_classes": 3}, batches(lambda: (ints(8, 3), ints(8, 3)))))
    cases.append(("MeanIoU", {"num_classes": 3, "sparse_y_pred": False},
                  batches(lambda: (ints(8, 3), probs(8, 3)), weighted=True)))
    cases.append(("BinaryIoU", {}, batches(lambda: (ints(8, 2), rng.random(8).astype(f32)))))
    cases.append(("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3},
                  batches(lambda: (ints(8, 2), rng.random(8).astype(f32)), weighted=True)))
    cases.append(("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 1]},
                  batches(lambda: (onehot(8, 3), probs(8, 3)))))
    cases.append(("OneHotMeanIoU", {"num_classes": 3}, batches(lambda: (onehot(8, 3), probs(8, 3)), weighted=True)))
    binary = lambda: ((rng.random((10, 1)) > 0.5).astype(f32), rng.random((10, 1)).astype(f32))  # noqa: E731
    for name, value in (("SensitivityAtSpecificity", "specificity"), ("SpecificityAtSensitivity", "sensitivity"),
                        ("PrecisionAtRecall", "recall"), ("RecallAtPrecision", "precision")):
        cases.append((name, {value: 0.6}, batches(binary)))
        cases.append((name, {value: 0.4, "num_thresholds": 7}, batches(binary, weighted=True)))
        cases.append((name, {value: 0.5, "num_thresholds": 1}, batches(binary)))
        cases.append((name, {value: 0.5, "class_id": 1}, batches(lambda: (multi_hot(6, 3), probs(6, 3)))))
    cases.append(("MeanRelativeError", {"normalizer": [1.0, 2.0, 0.0, 4.0]},
                  batches(lambda: (rng.normal(size=4).astype(f32), rng.normal(size=4).astype(f32)), weighted=True)))
    return cases


def make_metrics(keras, rng):
    out = []
    for name, cfg, batches in metric_cases(rng):
        metric = getattr(keras.metrics, name)(**cfg)
        results = []
        for y_true, y_pred, sw in batches:
            metric.update_state(y_true, y_pred, sample_weight=sw)
            results.append(np.asarray(metric.result().numpy()))
        out.append({"class_name": name, "kwargs": _json(cfg), "config": _json(metric.get_config()),
                    "batches": _json(batches), "results": _json(results)})
    mt = keras.metrics.MeanTensor()
    batches = [[rng.normal(size=(2, 3)).astype(np.float32), rng.uniform(0, 1, (2, 1)).astype(np.float32)],
               [rng.normal(size=(2, 3)).astype(np.float32), None]]
    results = []
    for values, sw in batches:
        mt.update_state(values, sample_weight=sw)
        results.append(mt.result().numpy())
    out.append({"class_name": "MeanTensor", "kwargs": {}, "config": _json(mt.get_config()), "batches": _json(batches),
                "results": _json(results)})
    return out


def optimizer_cases(keras):
    schedules = keras.optimizers.schedules
    new, old = "optimizers", "optimizers.legacy"
    return [
        (new, "Ftrl", {"learning_rate": 0.1}),
        (new, "Ftrl", {"learning_rate": 0.05, "learning_rate_power": -0.7, "initial_accumulator_value": 0.5,
                       "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
                       "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}),
        (new, "Lion", {"learning_rate": 0.01}),
        (new, "Lion", {"learning_rate": 0.003, "beta_1": 0.95, "beta_2": 0.98, "weight_decay": 0.1}),
        (new, "Adafactor", {"learning_rate": 0.05}),
        (new, "Adafactor", {"learning_rate": 0.5, "relative_step": False, "clip_threshold": 0.5,
                            "beta_2_decay": -0.5}),
        (new, "Adam", {"learning_rate": 0.01, "adaptive_epsilon": True, "epsilon": 0.01}),
        (new, "SGD", {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 3}),
        (old, "SGD", {"learning_rate": 0.1}),
        (old, "SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "decay": 0.05}),
        (old, "SGD", {"learning_rate": 0.1, "momentum": 0.5, "clipvalue": 0.5, "clipnorm": 0.8}),
        (old, "Adam", {"learning_rate": 0.01, "decay": 0.1}),
        (old, "Adam", {"learning_rate": 0.01, "amsgrad": True, "global_clipnorm": 1.0}),
        (old, "Adam", {"learning_rate": schedules.ExponentialDecay(0.02, 2, 0.5), "decay": 0.01}),
        (old, "RMSprop", {"learning_rate": 0.01, "decay": 0.01}),
        (old, "RMSprop", {"learning_rate": 0.01, "rho": 0.8, "centered": True}),
        (old, "RMSprop", {"learning_rate": 0.01, "momentum": 0.5}),
        (old, "RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "epsilon": 0.001}),
        (old, "Adagrad", {"learning_rate": 0.1, "decay": 0.01}),
        (old, "Adadelta", {"learning_rate": 1.0, "rho": 0.9}),
        (old, "Adamax", {"learning_rate": 0.02, "decay": 0.02}),
        (old, "Nadam", {"learning_rate": 0.01}),
        (old, "Ftrl", {"learning_rate": 0.1, "decay": 0.1}),
        (old, "Ftrl", {"learning_rate": 0.05, "learning_rate_power": -0.7, "initial_accumulator_value": 0.5,
                       "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
                       "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}),
    ]


def make_optimizers(keras, tf, rng, steps=5):
    out = []
    for module, name, kwargs in optimizer_cases(keras):
        mod = keras.optimizers.legacy if module.endswith("legacy") else keras.optimizers
        opt = getattr(mod, name)(**kwargs)
        w0 = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
        grads = [[rng.normal(size=w.shape).astype(np.float32) for w in w0] for _ in range(steps)]
        vs = [tf.Variable(w0[0], name="dense/kernel"), tf.Variable(w0[1], name="dense/bias")]
        for g in grads:
            opt.apply_gradients(zip([tf.constant(x) for x in g], vs))
        if getattr(opt, "use_ema", False):
            opt.finalize_variable_values(vs)
        variables = opt.variables() if callable(opt.variables) else opt.variables
        slots = {v.name: v.numpy() for v in variables}
        config = {k: (v if not hasattr(v, "get_config") else keras.optimizers.schedules.serialize(v))
                  for k, v in opt.get_config().items()}
        described = {k: (keras.optimizers.schedules.serialize(v) if hasattr(v, "get_config") else v)
                     for k, v in kwargs.items()}
        out.append({"module": module, "class_name": name, "kwargs": _json(described), "weights": _json(w0),
                    "gradients": _json(grads), "final": _json([v.numpy() for v in vs]), "slots": _json(slots),
                    "config": _json(config)})
    return out


def make_misc(keras, tf, rng):
    """RadialConstraint on kernels of sizes 2-5; RandomFourierFeatures' weights (names, order), input, output."""
    radial = []
    for k in (2, 3, 4, 5):
        w = rng.normal(size=(k, k, 2, 3)).astype(np.float32)
        radial.append({"w": _json(w), "out": _json(keras.constraints.RadialConstraint()(tf.constant(w)).numpy())})
    rff = []
    for kwargs in ({"output_dim": 5}, {"output_dim": 4, "kernel_initializer": "laplacian", "scale": 2.0}):
        layer = keras.layers.experimental.RandomFourierFeatures(**kwargs)
        x = rng.normal(size=(3, 6)).astype(np.float32)
        y = layer(x).numpy()
        rff.append({"kwargs": kwargs, "config": _json(layer.get_config()), "weight_names": [w.name for w in layer.weights],
                    "weights": _json(layer.get_weights()), "x": _json(x), "y": _json(y)})
    return {"radial_constraint": radial, "random_fourier_features": rff}


def model_cases(keras):
    """(name, build(keras) -> model, compile kwargs, input kind): the models with their own training steps."""
    L = keras.layers

    def sam(splits):
        def build(k):
            inner = k.Sequential([k.layers.Dense(4, activation="tanh", input_shape=(3,)), k.layers.Dense(1)])
            return k.models.experimental.SharpnessAwareMinimization(inner, rho=0.1, num_batch_splits=splits)
        return build

    def wide_deep(k):
        dnn = k.Sequential([k.layers.Dense(4, activation="relu"), k.layers.Dense(1)])
        return k.experimental.WideDeepModel(k.experimental.LinearModel(), dnn, activation="sigmoid")

    def wide_deep_two_inputs(k):
        dnn = k.Sequential([k.layers.Dense(3, activation="tanh"), k.layers.Dense(2)])
        linear = k.experimental.LinearModel(units=2, kernel_regularizer="l2")
        return k.experimental.WideDeepModel(linear, dnn)

    del L
    return [
        ("sam", sam(None), dict(optimizer="sgd_0.05", loss="mse", metrics=["mae"]), "x3"),
        ("sam_splits", sam(2), dict(optimizer="adam_0.01", loss="mse"), "x3"),
        ("linear_dict", lambda k: k.experimental.LinearModel(units=2, activation="softmax"),
         dict(optimizer="sgd_0.1", loss="categorical_crossentropy", metrics=["accuracy"]), "dict"),
        ("linear_glorot", lambda k: k.experimental.LinearModel(units=1, kernel_initializer="glorot_uniform",
                                                               bias_regularizer="l2"),
         dict(optimizer="sgd_0.05", loss="mse"), "x3"),
        ("wide_deep", wide_deep, dict(optimizer=["sgd_0.1", "adam_0.01"], loss="binary_crossentropy",
                                      metrics=["accuracy"]), "x4"),
        ("wide_deep_two_inputs", wide_deep_two_inputs, dict(optimizer="rmsprop_0.01", loss="mse"), "pair"),
    ]


def make_optimizer(keras, spec):
    """``"adam_0.01"`` -> ``keras.optimizers.Adam(learning_rate=0.01)``."""
    name, lr = spec.split("_")
    cls = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}[name]
    return getattr(keras.optimizers, cls)(learning_rate=float(lr))


def make_models(keras, rng):
    out = []
    for name, build, compile_kw, kind in model_cases(keras):
        keras.utils.set_random_seed(11)
        n = 32
        if kind == "dict":
            x = {"a": rng.normal(size=(n, 3)).astype(np.float32), "b": rng.normal(size=(n, 2)).astype(np.float32)}
            y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, n)]
            first = {k: v[:1] for k, v in x.items()}
        elif kind == "pair":
            x = [rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 5)).astype(np.float32)]
            y = rng.normal(size=(n, 2)).astype(np.float32)
            first = [v[:1] for v in x]
        else:
            x = rng.normal(size=(n, int(kind[1:]))).astype(np.float32)
            y = (rng.random((n, 1)) > 0.5).astype(np.float32) if name.startswith("wide") else \
                rng.normal(size=(n, 1)).astype(np.float32)
            first = x[:1]
        model = build(keras)
        model(first)
        w0 = model.get_weights()
        kw = dict(compile_kw)
        kw["optimizer"] = [make_optimizer(keras, o) for o in kw["optimizer"]] if isinstance(kw["optimizer"], list) \
            else make_optimizer(keras, kw["optimizer"])
        model.compile(**kw)
        hist = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        out.append({"name": name, "compile": compile_kw, "x": _json(x), "y": _json(y), "w0": _json(w0),
                    "history": _json({k: np.asarray(v) for k, v in hist.history.items()}),
                    "w1": _json(model.get_weights())})
    return out


def make_legacy_resume(keras, out_dir, rng):
    """A model trained with legacy Adam(decay), saved; then loaded and trained one epoch more (tf.keras)."""
    keras.utils.set_random_seed(3)
    x = rng.normal(size=(48, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 48)]
    model = keras.Sequential([keras.layers.Dense(6, activation="tanh", input_shape=(5,)),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.legacy.Adam(learning_rate=0.02, decay=0.05),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    path = os.path.join(out_dir, "legacy_adam_resume.h5")
    keras.models.save_model(model, path)
    reloaded = keras.models.load_model(path)
    hist = reloaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    arrays = {"x": x, "y": y, "history_loss": np.asarray(hist.history["loss"]),
              "history_accuracy": np.asarray(hist.history["accuracy"]),
              "iterations": np.asarray(reloaded.optimizer.iterations.numpy())}
    for i, w in enumerate(reloaded.get_weights()):
        arrays[f"w_{i}"] = w
    np.savez(os.path.join(out_dir, "legacy_resume.npz"), **arrays)


def main(out_dir):
    import tensorflow as tf
    import tf_keras as keras
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20240611)
    data = {"made_with": {"tf_keras": keras.__version__, "numpy": np.__version__},
            "format": __doc__,
            "losses": make_losses(keras, rng), "metrics": make_metrics(keras, rng),
            "optimizers": make_optimizers(keras, tf, rng), "misc": make_misc(keras, tf, rng),
            "models": make_models(keras, rng)}
    with open(os.path.join(out_dir, "values.json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    make_legacy_resume(keras, out_dir, rng)
    print(f"{len(data['losses'])} losses, {len(data['metrics'])} metrics, {len(data['optimizers'])} optimizers -> "
          f"{out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
