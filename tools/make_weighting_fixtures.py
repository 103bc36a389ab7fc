"""Make the weighting tables: every built-in loss and metric evaluated by real tf.keras (tf_keras 2.21) on both
of its paths, over target shapes, sample_weight shapes, reductions and options.

Run with a Python that has tensorflow-cpu and tf_keras (never the project's environment):
    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tools/make_weighting_fixtures.py tests/fixtures/weighting
(a few minutes; ``--only=reduce`` or ``--only=losses,metrics`` remakes those sections and keeps the others).

It writes OUT_DIR/weighting_tables.json (read by tests/kerasfront/test_weighting_tables.py):

  "inputs":  {"y|<kind>|<shape>": [...], "p|<kind>|<shape>": [...], "sw|<weights>|<shape>": [...]}: float32
             arrays as nested lists (integer labels as whole floats).
  "losses":  losses[<loss>][<options as JSON>][<shape>] = {"kind": <data kind>, "fn": v,
                                                           "w": {<weights>: {"direct": {<reduction>: v},
                                                                             "numpy": v, "compile": {<reduction>: v}}}}
      "fn":      the loss function ``fn(y, p, **options)`` (per-sample values, no weights)
      "direct":  a Loss object called on tensors, ``Cls(reduction=..., **options)(y, p, sample_weight=sw)``
      "numpy":   the same object (reduction "auto") called on numpy arrays (tf.keras squeezes only tensors)
      "compile": ``model.compile(loss=...)`` then ``evaluate(p, y, sample_weight=sw, batch_size=N)`` on an identity
                 model, so the loss sees y_pred = p: the function, the string name and the Loss class (reduction
                 "auto") give one value; other reductions are the Loss class's. Scalar weights only go "direct".
      "sum_over_batch_size" is not stored: the script checks that tf.keras gives exactly the "auto" value.
  "reduce":  reduce["Mean" | "Sum" | "MeanTensor"][<value shape>][<weights>] = v: ``update_state(values[b],
             sample_weight=sw[b])`` over the batches in "reduce_batches" (inputs "v|<value shape>",
             "sw|r<weights>|<value shape>")
  "metrics": metrics[<metric>][<shape>] = {"kind": <data kind>, "w": {<weights>: {"direct": v, "compile": v}}}
      "direct":  ``m.update_state(y[b], p[b], sample_weight=sw[b])`` over batches of 4, 4 and 2 samples, then
                 ``m.result()`` (the factories are in "metric_factories")
      "compile": ``compile(metrics=[spec], weighted_metrics=[spec])`` and ``evaluate(..., batch_size=4)`` on the
                 same 10 samples: ``[unweighted, weighted]`` (specs in "metric_compile_specs"; "obj": the factory)
An expected value is a number, a nested list, or {"error": "<tf.keras exception type>"} where tf.keras raises
(kerasfront must raise a ValueError there).
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.get_logger().setLevel("ERROR")
N, K, T = 5, 3, 2          # losses: batch, classes, time steps
NM = 10                    # metrics: samples, in batches of 4, 4, 2
BATCHES = [(0, 4), (4, 8), (8, 10)]

# target shapes: name -> (y_true shape, y_pred shape) without the batch axis
SHAPES = {
    "n_n": ((), ()), "n_n1": ((), (1,)), "n1_n1": ((1,), (1,)), "n1_n": ((1,), ()), "nk_nk": ((K,), (K,)),
    "nt_nt": ((T,), (T,)), "nt_nt1": ((T,), (T, 1)), "ntk_ntk": ((T, K), (T, K)),
    # sparse labels
    "n_nk": ((), (K,)), "n1_nk": ((1,), (K,)), "nt_ntk": ((T,), (T, K)), "nt1_ntk": ((T, 1), (T, K)),
}
DENSE = ["n_n", "n_n1", "n1_n1", "n1_n", "nk_nk", "nt_nt", "nt_nt1", "ntk_ntk"]
SPARSE = ["n_nk", "n1_nk", "nt_ntk", "nt1_ntk"]
WEIGHTS = ["none", "scalar", "n", "n1", "nt"]
REDUCTIONS = ["auto", "sum", "none", "sum_over_batch_size"]

# name -> (class, function, string, data kind, shapes, option sets (JSON strings) beyond the default "{}")
LOSSES = {
    "mean_squared_error": ("MeanSquaredError", "mean_squared_error", "mse", "reg", DENSE, []),
    "mean_absolute_error": ("MeanAbsoluteError", "mean_absolute_error", "mae", "reg", DENSE, []),
    "mean_absolute_percentage_error": ("MeanAbsolutePercentageError", "mean_absolute_percentage_error", "mape",
                                       "reg", DENSE, []),
    "mean_squared_logarithmic_error": ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "msle",
                                       "pos", DENSE, []),
    "binary_crossentropy": ("BinaryCrossentropy", "binary_crossentropy", "binary_crossentropy", "binary", DENSE,
                            [{"from_logits": True}, {"label_smoothing": 0.2},
                             {"from_logits": True, "label_smoothing": 0.1}]),
    "categorical_crossentropy": ("CategoricalCrossentropy", "categorical_crossentropy", "categorical_crossentropy",
                                 "onehot", ["nk_nk", "ntk_ntk", "n1_n1", "n_n1"],
                                 [{"from_logits": True}, {"label_smoothing": 0.2},
                                  {"from_logits": True, "label_smoothing": 0.1}]),
    "sparse_categorical_crossentropy": ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy",
                                        "sparse_categorical_crossentropy", "sparse", SPARSE,
                                        [{"from_logits": True}, {"ignore_class": 1}]),
    "hinge": ("Hinge", "hinge", "hinge", "signs", DENSE, []),
    "squared_hinge": ("SquaredHinge", "squared_hinge", "squared_hinge", "signs", DENSE, []),
    "categorical_hinge": ("CategoricalHinge", "categorical_hinge", "categorical_hinge", "onehot",
                          ["nk_nk", "ntk_ntk", "n1_n1", "n_n1"], []),
    "huber": ("Huber", "huber", "huber_loss", "reg", DENSE, [{"delta": 0.5}]),
    "log_cosh": ("LogCosh", "log_cosh", "logcosh", "reg", DENSE, []),
    "kl_divergence": ("KLDivergence", "kl_divergence", "kld", "dist", ["nk_nk", "ntk_ntk", "n1_n1", "n_n1"], []),
    "poisson": ("Poisson", "poisson", "poisson", "pos", DENSE, []),
    "cosine_similarity": ("CosineSimilarity", "cosine_similarity", "cosine_similarity", "reg", DENSE, []),
    "binary_focal_crossentropy": ("BinaryFocalCrossentropy", "binary_focal_crossentropy",
                                  "binary_focal_crossentropy", "binary", DENSE,
                                  [{"from_logits": True}, {"label_smoothing": 0.2},
                                   {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
                                   {"from_logits": True, "apply_class_balancing": True}]),
    "categorical_focal_crossentropy": ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy",
                                       "categorical_focal_crossentropy", "onehot",
                                       ["nk_nk", "ntk_ntk", "n1_n1", "n_n1"],
                                       [{"from_logits": True}, {"label_smoothing": 0.2},
                                        {"alpha": 0.4, "gamma": 1.0}]),
}


def draw(kind, shape, rng, batch):
    """(y_true, y_pred) of a data kind for a target-shape case."""
    ys, ps = SHAPES[shape]
    ys, ps = (batch,) + ys, (batch,) + ps
    if kind == "reg":
        return rng.standard_normal(ys), rng.standard_normal(ps)
    if kind == "pos":
        return rng.uniform(0.0, 2.0, ys), rng.uniform(0.1, 2.0, ps)
    if kind == "binary":
        return rng.integers(0, 2, ys).astype(float), rng.uniform(0.05, 0.95, ps)
    if kind == "signs":
        return rng.integers(0, 2, ys).astype(float), rng.standard_normal(ps) * 1.5
    if kind == "logits":
        return rng.integers(0, 2, ys).astype(float), rng.standard_normal(ps) * 2
    if kind in ("onehot", "dist", "onehot_logits"):
        k = ys[-1] if len(ys) > 1 else 1
        y = np.eye(k)[rng.integers(0, k, ys[:-1] if len(ys) > 1 else ys)] if len(ys) > 1 else np.ones(ys)
        if kind == "dist":
            y = rng.uniform(0.05, 1.0, ys)
            y = y / y.sum(-1, keepdims=True) if len(ys) > 1 else y
        if kind == "onehot_logits":
            return y, rng.standard_normal(ps) * 2
        p = rng.uniform(0.05, 1.0, ps)
        return y, (p / p.sum(-1, keepdims=True) if len(ps) > 1 else p)
    if kind in ("sparse", "sparse_logits"):
        y = rng.integers(0, K, ys).astype(float)
        if kind == "sparse_logits":
            return y, rng.standard_normal(ps) * 2
        p = rng.uniform(0.05, 1.0, ps)
        return y, p / p.sum(-1, keepdims=True)
    raise KeyError(kind)


def weights_for(weights, shape, rng, batch):
    """A sample_weight array for a weights case (None when it does not apply to the shape)."""
    if weights == "none":
        return None
    if weights == "scalar":
        return np.float32(2.5)
    if weights == "n":
        return rng.uniform(0.0, 2.0, (batch,))
    if weights == "n1":
        return rng.uniform(0.0, 2.0, (batch, 1))
    if weights == "nt":
        return rng.uniform(0.0, 2.0, (batch, T)) if shape.startswith("nt") else None
    raise KeyError(weights)


def seeded(text):
    """A generator seeded from a name, so an input never depends on the order the tables are made in."""
    return np.random.default_rng(sum(ord(c) * 31 ** i for i, c in enumerate(text)) % (2 ** 32))


def run(fn):
    try:
        out = fn()
    except Exception as e:       # noqa: BLE001 - every tf.keras failure is recorded by its type
        return {"error": type(e).__name__}
    out = np.asarray(out, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        return {"error": "non-finite"}
    return round_tree(out.tolist())


def round_tree(v):
    if isinstance(v, list):
        return [round_tree(x) for x in v]
    return float(f"{v:.8g}")


class Store:
    def __init__(self):
        self.inputs = {}

    def put(self, key, arr):
        if arr is None:
            return None
        # NOTE: inputs are rounded to 3 decimals so that the JSON stays short and reads back as the same float32
        arr = np.asarray(np.round(np.asarray(arr, dtype=np.float64), 3), dtype=np.float32)
        if key in self.inputs:
            assert np.array_equal(np.asarray(self.inputs[key], np.float32), arr), key
        self.inputs[key] = np.round(arr.astype(np.float64), 3).tolist()
        return arr


def identity_model(p_shape):
    inp = keras.Input(shape=p_shape)
    return keras.Model(inp, keras.layers.Activation("linear")(inp))


def loss_tables(store):
    out = {}
    rng = np.random.default_rng(20261207)
    data = {}
    models = {}
    for name, (cls_name, fn_name, string, kind, shapes, options) in LOSSES.items():
        cls = getattr(keras.losses, cls_name)
        fn = getattr(keras.losses, fn_name)
        for opt in [{}] + options:
            opt_key = json.dumps(opt, sort_keys=True, separators=(",", ":"))
            k = kind
            if opt.get("from_logits"):
                k = {"binary": "logits", "onehot": "onehot_logits", "sparse": "sparse_logits"}[kind]
            for shape in shapes:
                if (k, shape) not in data:
                    data[(k, shape)] = draw(k, shape, rng, N)
                y, p = (store.put(f"{w}|{k}|{shape}", a) for w, a in zip("yp", data[(k, shape)]))
                entry = out.setdefault(name, {}).setdefault(opt_key, {})[shape] = {"kind": k, "w": {}}
                entry["fn"] = run(lambda: fn(y, p, **opt))
                p_shape = SHAPES[shape][1]
                if p_shape not in models:
                    models[p_shape] = identity_model(p_shape)
                model = models[p_shape]
                for weights in WEIGHTS:
                    sw = weights_for(weights, shape, seeded(f"{weights}|{shape}"), N)
                    sw = store.put(f"sw|{weights}|{shape}", sw)
                    if weights != "none" and sw is None:
                        continue
                    cell = entry["w"][weights] = {"direct": {}}
                    swt = None if sw is None else tf.constant(sw)
                    for reduction in REDUCTIONS:
                        if opt and reduction not in ("auto", "none"):
                            continue
                        obj = cls(reduction=reduction, **opt)
                        value = run(lambda: obj(tf.constant(y), tf.constant(p), sample_weight=swt))
                        if reduction == "sum_over_batch_size":
                            assert value == cell["direct"]["auto"], (name, shape, weights)
                        else:
                            cell["direct"][reduction] = value
                        if reduction == "auto":
                            cell["numpy"] = run(lambda: obj(y, p, sample_weight=sw))
                        if weights == "scalar" or (opt and reduction != "auto"):
                            continue
                        loss_arg = obj if (reduction != "auto" or opt) else string

                        def compiled():
                            model.compile(loss=loss_arg)
                            kw = {} if sw is None else {"sample_weight": sw}
                            return model.evaluate(p, y, batch_size=N, verbose=0, **kw)
                        value = run(compiled)
                        if reduction == "sum_over_batch_size":
                            assert value == cell["compile"]["auto"], (name, shape, weights)
                        else:
                            cell.setdefault("compile", {})[reduction] = value
        print(name, flush=True)
    return out


# name -> (factory source evaluated with `keras` in scope, data kind, shapes, compile spec or None)
METRICS = {
    "Accuracy": ("keras.metrics.Accuracy()", "classes", ["n_n", "n_n1", "n1_n1", "nt_nt"], "obj"),
    "BinaryAccuracy": ("keras.metrics.BinaryAccuracy(threshold=0.4)", "binary", ["n_n1", "n1_n1", "nk_nk",
                                                                                  "nt_nt1"], "accuracy"),
    "CategoricalAccuracy": ("keras.metrics.CategoricalAccuracy()", "onehot", ["nk_nk", "ntk_ntk"], "accuracy"),
    "SparseCategoricalAccuracy": ("keras.metrics.SparseCategoricalAccuracy()", "sparse", SPARSE, "accuracy"),
    "TopKCategoricalAccuracy": ("keras.metrics.TopKCategoricalAccuracy(k=2)", "onehot", ["nk_nk"],
                                "top_k_categorical_accuracy"),
    "SparseTopKCategoricalAccuracy": ("keras.metrics.SparseTopKCategoricalAccuracy(k=2)", "sparse",
                                      ["n_nk", "n1_nk"], "sparse_top_k_categorical_accuracy"),
    "Precision": ("keras.metrics.Precision(thresholds=[0.3, 0.6])", "binary", ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "Recall": ("keras.metrics.Recall()", "binary", ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "PrecisionTopK": ("keras.metrics.Precision(top_k=2)", "binary", ["nk_nk"], "obj"),
    "RecallClassId": ("keras.metrics.Recall(class_id=1, thresholds=0.4)", "binary", ["nk_nk"], "obj"),
    "AUC": ("keras.metrics.AUC(num_thresholds=20)", "binary", ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "AUC_PR": ("keras.metrics.AUC(curve='PR', thresholds=[0.2, 0.5, 0.7])", "binary", ["n_n1", "nk_nk"], "obj"),
    "TruePositives": ("keras.metrics.TruePositives(thresholds=[0.3, 0.7])", "binary", ["n_n1", "nk_nk"], "obj"),
    "TrueNegatives": ("keras.metrics.TrueNegatives()", "binary", ["n_n1", "nk_nk"], "obj"),
    "FalsePositives": ("keras.metrics.FalsePositives()", "binary", ["n_n1", "nk_nk"], "obj"),
    "FalseNegatives": ("keras.metrics.FalseNegatives()", "binary", ["n_n1", "nk_nk"], "obj"),
    "MeanSquaredError": ("keras.metrics.MeanSquaredError()", "reg", DENSE, "mse"),
    "MeanAbsoluteError": ("keras.metrics.MeanAbsoluteError()", "reg", DENSE, "mae"),
    "MeanAbsolutePercentageError": ("keras.metrics.MeanAbsolutePercentageError()", "reg", ["n_n1", "nk_nk"],
                                    "mape"),
    "MeanSquaredLogarithmicError": ("keras.metrics.MeanSquaredLogarithmicError()", "pos", ["n_n1", "nk_nk"],
                                    "msle"),
    "RootMeanSquaredError": ("keras.metrics.RootMeanSquaredError()", "reg", ["n_n1", "n1_n1", "nk_nk", "nt_nt"],
                             "obj"),
    "CosineSimilarity": ("keras.metrics.CosineSimilarity()", "reg", ["nk_nk", "n_n1", "ntk_ntk"], "obj"),
    "LogCoshError": ("keras.metrics.LogCoshError()", "reg", ["n_n1", "nk_nk"], "logcosh"),
    "Poisson": ("keras.metrics.Poisson()", "pos", ["n_n1", "nk_nk"], "poisson"),
    "KLDivergence": ("keras.metrics.KLDivergence()", "dist", ["nk_nk"], "kullback_leibler_divergence"),
    "BinaryCrossentropy": ("keras.metrics.BinaryCrossentropy(label_smoothing=0.1)", "binary",
                           ["n_n1", "n1_n1", "nk_nk"], "binary_crossentropy"),
    "CategoricalCrossentropy": ("keras.metrics.CategoricalCrossentropy()", "onehot", ["nk_nk", "ntk_ntk"],
                                "crossentropy"),
    "SparseCategoricalCrossentropy": ("keras.metrics.SparseCategoricalCrossentropy()", "sparse", SPARSE,
                                      "crossentropy"),
    "Hinge": ("keras.metrics.Hinge()", "signs", ["n_n1", "nk_nk"], "hinge"),
    "SquaredHinge": ("keras.metrics.SquaredHinge()", "signs", ["n_n1", "nk_nk"], "squared_hinge"),
    "CategoricalHinge": ("keras.metrics.CategoricalHinge()", "onehot", ["nk_nk"], "categorical_hinge"),
    # the families issue 13 added (appended: the draws above stay the same). The focal crossentropies go through
    # compile as MeanMetricWrapper objects: tf_keras 2.21 cannot resolve their string names as metrics (TypeError)
    "F1Score": ("keras.metrics.F1Score()", "binary", ["nk_nk", "n1_n1"], "obj"),
    "F1ScoreMacro": ("keras.metrics.F1Score(average='macro', threshold=0.5)", "binary", ["nk_nk"], "obj"),
    "F1ScoreMicro": ("keras.metrics.F1Score(average='micro', threshold=0.4)", "binary", ["nk_nk", "n1_n1"], "obj"),
    "FBetaScoreWeighted": ("keras.metrics.FBetaScore(average='weighted', beta=2.0)", "binary", ["nk_nk"], "obj"),
    "R2Score": ("keras.metrics.R2Score()", "reg", ["nk_nk", "n1_n1", "n_n1"], "obj"),
    "R2ScoreRaw": ("keras.metrics.R2Score(class_aggregation=None, num_regressors=1)", "reg", ["nk_nk"], "obj"),
    "R2ScoreVarianceWeighted": ("keras.metrics.R2Score(class_aggregation='variance_weighted_average')", "reg",
                                ["nk_nk"], "obj"),
    "IoU": ("keras.metrics.IoU(num_classes=3, target_class_ids=[0, 2])", "classes", ["n_n", "n_n1", "n1_n1",
                                                                                    "nt_nt"], "obj"),
    "MeanIoU": ("keras.metrics.MeanIoU(num_classes=3)", "classes", ["n_n", "n_n1", "n1_n1", "nt_nt"], "obj"),
    "MeanIoUIgnoreClass": ("keras.metrics.MeanIoU(num_classes=3, ignore_class=1)", "classes", ["n_n1", "nt_nt"],
                           "obj"),
    "IoUDensePredictions": ("keras.metrics.IoU(num_classes=3, target_class_ids=[1], sparse_y_pred=False)",
                            "sparse", ["n_nk", "n1_nk", "nt_ntk"], "obj"),
    "BinaryIoU": ("keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.4)", "binary",
                  ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "OneHotIoU": ("keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])", "onehot", ["nk_nk", "ntk_ntk"],
                  "obj"),
    "OneHotMeanIoU": ("keras.metrics.OneHotMeanIoU(num_classes=3)", "onehot", ["nk_nk", "ntk_ntk"], "obj"),
    "PrecisionAtRecall": ("keras.metrics.PrecisionAtRecall(recall=0.5, num_thresholds=20)", "binary",
                          ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "RecallAtPrecision": ("keras.metrics.RecallAtPrecision(precision=0.6, num_thresholds=20)", "binary",
                          ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "SensitivityAtSpecificity": ("keras.metrics.SensitivityAtSpecificity(specificity=0.5, num_thresholds=20)",
                                 "binary", ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "SpecificityAtSensitivity": ("keras.metrics.SpecificityAtSensitivity(sensitivity=0.5, num_thresholds=20)",
                                 "binary", ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "SpecificityAtSensitivityClassId": ("keras.metrics.SpecificityAtSensitivity(sensitivity=0.4, class_id=1, "
                                        "num_thresholds=20)", "binary", ["nk_nk"], "obj"),
    "MeanRelativeError": ("keras.metrics.MeanRelativeError(normalizer=[1.5, 0.5, 2.0])", "reg", ["nk_nk", "ntk_ntk"],
                          "obj"),
    # NOTE: no (N,) outputs here: inside tf.function tf_keras squeezes an output of unknown batch size against the
    # scalar normalizer and then refuses it (a graph-only artifact; eagerly it gives the direct path's value)
    "MeanRelativeErrorScalar": ("keras.metrics.MeanRelativeError(normalizer=2.0)", "reg",
                                ["n_n1", "n1_n1", "nt_nt"], "obj"),
    "MeanMetricWrapper": ("keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, threshold=0.3)", "binary",
                          ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "BinaryFocalCrossentropyMetric": ("keras.metrics.MeanMetricWrapper(keras.metrics.binary_focal_crossentropy, "
                                      "gamma=1.0)", "binary", ["n_n1", "n1_n1", "nk_nk"], "obj"),
    "CategoricalFocalCrossentropyMetric": ("keras.metrics.MeanMetricWrapper("
                                           "keras.metrics.categorical_focal_crossentropy)", "onehot", ["nk_nk"],
                                           "obj"),
}


def metric_tables(store):
    out = {}
    rng = np.random.default_rng(20261208)
    models = {}
    cache = {}
    for name, (factory, kind, shapes, spec) in METRICS.items():
        for shape in shapes:
            k = kind
            if (kind, shape) in cache:
                data = cache[(kind, shape)]
            elif kind == "classes":
                ys, ps = SHAPES[shape]
                y = rng.integers(0, 3, (NM,) + ys).astype(float)
                p = np.where(rng.random((NM,) + ps) < 0.6, y.reshape((NM,) + ps), rng.integers(0, 3, (NM,) + ps))
                data = (y, p.astype(float))
            else:
                data = draw(kind, shape, rng, NM)
            cache[(kind, shape)] = data
            y, p = (store.put(f"{w}|m{k}|{shape}", a) for w, a in zip("yp", data))
            entry = out.setdefault(name, {})[shape] = {"kind": f"m{k}", "w": {}}
            for weights in ["none", "n", "n1", "nt"]:
                sw = store.put(f"sw|m{weights}|{shape}", weights_for(weights, shape, seeded(f"m{weights}|{shape}"), NM))
                if weights != "none" and sw is None:
                    continue
                cell = entry["w"][weights] = {}

                def direct():
                    m = eval(factory)
                    for a, b in BATCHES:
                        m.update_state(y[a:b], p[a:b], sample_weight=None if sw is None else sw[a:b])
                    return m.result()
                cell["direct"] = run(direct)
                p_shape = SHAPES[shape][1]
                if p_shape not in models:
                    models[p_shape] = identity_model(p_shape)
                model = models[p_shape]

                def compiled():
                    if spec == "obj":
                        ms, wms = [eval(factory)], [eval(factory)]
                    else:
                        ms, wms = [spec], [spec]
                    kw = {} if sw is None else {"sample_weight": sw}
                    try:
                        model.compile(loss=None, metrics=ms, weighted_metrics=wms)
                        logs = model.evaluate(p, y, batch_size=4, verbose=0, return_dict=True, **kw)
                    except tf.errors.OperatorNotAllowedInGraphError:
                        # NOTE: a Python branch on a tensor (R2Score's num_regressors check) fails only inside
                        # tf.function; the value eagerly is what the metric defines
                        ms, wms = ([eval(factory)], [eval(factory)]) if spec == "obj" else ([spec], [spec])
                        model.compile(loss=None, metrics=ms, weighted_metrics=wms, run_eagerly=True)
                        logs = model.evaluate(p, y, batch_size=4, verbose=0, return_dict=True, **kw)
                    names = [n for n in logs if n != "loss"]
                    assert len(names) == 2, logs
                    return [logs[names[0]], logs[names[1]]]
                cell["compile"] = run(compiled)
        print(name, flush=True)
    return out


# value shapes for Mean, Sum and MeanTensor, whose update_state takes values (and weights) only
VALUE_SHAPES = {"n": (NM,), "nt": (NM, T), "ntk": (NM, T, K)}
# MeanTensor averages element by element, so its updates must have one shape: two batches of 5
REDUCE_BATCHES = {"Mean": BATCHES, "Sum": BATCHES, "MeanTensor": [(0, 5), (5, 10)]}


def reduce_tables(store):
    """Mean and Sum over the same unequal batches (MeanTensor over two equal ones): weights of lower rank than the values are matched, broadcast
    or (when tf's limited broadcasting refuses them) first reduce the values over their extra axes."""
    out = {}
    rng = np.random.default_rng(20261209)
    for vshape, shape in VALUE_SHAPES.items():
        values = store.put(f"v|{vshape}", rng.standard_normal(shape))
        for weights, wshape in (("none", None), ("scalar", ()), ("n", (NM,)), ("n1", (NM, 1)), ("nt", (NM, T)),
                                ("ntk", (NM, T, K))):
            if wshape is not None and len(wshape) > len(shape):
                continue
            sw = None if wshape is None else store.put(f"sw|r{weights}|{vshape}", seeded(f"r{weights}|{vshape}").uniform(
                0.0, 2.0, wshape))
            for name in REDUCE_BATCHES:
                def direct():
                    m = getattr(keras.metrics, name)()
                    for a, b in REDUCE_BATCHES[name]:
                        w = None if sw is None else (sw if sw.ndim == 0 else sw[a:b])
                        m.update_state(values[a:b], sample_weight=w)
                    return m.result()
                out.setdefault(name, {}).setdefault(vshape, {})[weights] = run(direct)
    return out


def main(out_dir, sections):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "weighting_tables.json")
    store = Store()
    tables = {}
    if set(sections) != {"losses", "metrics", "reduce"} and os.path.exists(path):
        with open(path) as f:                   # remake only the sections asked for, keep the others
            tables = json.load(f)
        store.inputs = tables.get("inputs", {})
    tables.update({"made_with": {"tf_keras": keras.__version__, "tensorflow": tf.__version__,
                                 "numpy": np.__version__}, "format": __doc__})
    for section, make in (("losses", loss_tables), ("metrics", metric_tables), ("reduce", reduce_tables)):
        if section in sections:
            tables[section] = make(store)
    tables["metric_factories"] = {name: v[0] for name, v in METRICS.items()}
    tables["metric_compile_specs"] = {name: v[3] for name, v in METRICS.items()}
    tables["loss_spellings"] = {name: v[:3] for name, v in LOSSES.items()}
    tables["reduce_batches"] = REDUCE_BATCHES
    tables["inputs"] = store.inputs
    with open(path, "w") as f:
        json.dump(tables, f, separators=(",", ":"), sort_keys=True)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--only=")]
    main(args[0] if args else "tests/fixtures/weighting",
         only[0].split(",") if only else ["losses", "metrics", "reduce"])
