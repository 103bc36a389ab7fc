"""Metrics: tf.keras's documented values, weighted-mean accumulation against numpy, confusion-matrix metrics and
AUC against an independent numpy computation, reset, configs and name resolution."""
import numpy as np
import pytest

import autograd as ag
import kerasfront.metrics as M
from kerasfront import losses

f32 = np.float32
rng = np.random.default_rng(3)


def test_documented_tf_keras_values():
    m = M.Mean()
    m.update_state([1, 3, 5, 7])
    assert float(m.result()) == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    m = M.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert float(m.result()) == 0.75
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == 0.5
    m = M.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = M.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    assert float(m.result()) == 0.5
    m = M.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = M.TopKCategoricalAccuracy(k=1)
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert float(m.result()) == 0.5
    m = M.RootMeanSquaredError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    assert float(m.result()) == pytest.approx(0.70710677)
    m = M.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(m.result()) == pytest.approx(2 / 3)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(m.result()) == 1.0
    m = M.Recall()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(m.result()) == pytest.approx(2 / 3)
    m = M.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(m.result()) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == pytest.approx(1.0)


def test_weighted_mean_accumulates_over_batches_like_numpy():
    y = rng.standard_normal((3, 8, 4)).astype(f32)
    p = rng.standard_normal((3, 8, 4)).astype(f32)
    w = rng.random((3, 8)).astype(f32)
    m = M.MeanSquaredError()
    for i in range(3):
        m.update_state(y[i], p[i], sample_weight=w[i])
    per = ((p - y) ** 2).mean(-1)
    assert float(m.result()) == pytest.approx((per * w).sum() / w.sum(), rel=1e-6)
    assert m.result().dtype == np.float32
    # weights of shape (batch, 1) and per-timestep weights on (batch, time, features) values
    m = M.MeanAbsoluteError()
    m.update_state(y[0], p[0], sample_weight=w[0][:, None])
    assert float(m.result()) == pytest.approx((np.abs(p[0] - y[0]).mean(-1) * w[0]).sum() / w[0].sum(), rel=1e-6)
    mean = M.Mean()
    mean.update_state(y, sample_weight=w)   # weights broadcast over the last axis
    assert float(mean.result()) == pytest.approx((y * w[..., None]).sum() / (w.sum() * 4), rel=1e-5)
    s = M.Sum()
    s.update_state(y[0], sample_weight=w[0][:, None])
    assert float(s.result()) == pytest.approx((y[0] * w[0][:, None]).sum(), rel=1e-5)


def test_any_loss_works_as_a_metric():
    y = np.eye(3, dtype=f32)[[0, 2, 1, 1]]
    p = rng.random((4, 3)).astype(f32)
    m = M.get("categorical_crossentropy")
    assert m is losses.categorical_crossentropy
    wrapper = M.MeanMetricWrapper(m, name="cce")
    wrapper.update_state(y, p)
    assert float(wrapper.result()) == pytest.approx(float(losses.CategoricalCrossentropy()(y, p)), rel=1e-6)
    cls = M.CategoricalCrossentropy(from_logits=True)
    cls.update_state(y, p)
    assert float(cls.result()) == pytest.approx(float(losses.CategoricalCrossentropy(from_logits=True)(y, p)),
                                                rel=1e-6)
    custom = M.MeanMetricWrapper(lambda yt, yp: ag.mean(ag.abs(yp - yt), axis=-1) * 2.0, name="twice_mae")
    custom.update_state(y, p)
    assert float(custom.result()) == pytest.approx(2 * np.abs(p - y).mean(), rel=1e-6)


def test_metric_updates_record_no_graph():
    x = ag.tensor(rng.random((4, 3)).astype(f32), requires_grad=True)
    m = M.CategoricalCrossentropy()
    m.update_state(np.eye(3, dtype=f32)[[0, 1, 2, 0]], ag.softmax(x))
    assert not m.result().requires_grad
    assert not m.total.requires_grad


def _np_confusion(y, p, thresholds, w=None):
    w = np.ones_like(p) if w is None else np.broadcast_to(w, p.shape)
    label = y.ravel() != 0
    pred = p.ravel()[None, :] > np.asarray(thresholds, np.float64)[:, None]
    w = w.ravel()[None, :]
    return {"tp": (w * (label & pred)).sum(1), "fp": (w * (~label & pred)).sum(1),
            "fn": (w * (label & ~pred)).sum(1), "tn": (w * (~label & ~pred)).sum(1)}


def test_precision_recall_and_counts_against_numpy():
    y = rng.integers(0, 2, (40, 1)).astype(f32)
    p = rng.random((40, 1)).astype(f32)
    w = rng.random(40).astype(f32)
    thresholds = [0.25, 0.5, 0.75]
    c = _np_confusion(y, p, thresholds, w[:, None])
    prec = M.Precision(thresholds=thresholds)
    rec = M.Recall(thresholds=thresholds)
    for start in (0, 20):
        sl = slice(start, start + 20)
        prec.update_state(y[sl], p[sl], sample_weight=w[sl])
        rec.update_state(y[sl], p[sl], sample_weight=w[sl])
    np.testing.assert_allclose(prec.result().numpy(), c["tp"] / (c["tp"] + c["fp"]), rtol=1e-5)
    np.testing.assert_allclose(rec.result().numpy(), c["tp"] / (c["tp"] + c["fn"]), rtol=1e-5)
    for cls, key in ((M.TruePositives, "tp"), (M.FalsePositives, "fp"), (M.TrueNegatives, "tn"),
                     (M.FalseNegatives, "fn")):
        m = cls(thresholds=thresholds)
        m.update_state(y, p)
        np.testing.assert_allclose(m.result().numpy(), _np_confusion(y, p, thresholds)[key])
    empty = M.Precision()
    assert float(empty.result()) == 0.0   # no positives predicted yet: 0, not NaN


def test_precision_top_k_and_class_id():
    y = np.array([[0, 0, 1, 1], [1, 0, 0, 0]], f32)
    p = np.array([[0.1, 0.4, 0.3, 0.2], [0.5, 0.1, 0.3, 0.05]], f32)
    m = M.Precision(top_k=2)       # top 2 of row 0: classes 1, 2 (one hit); row 1: classes 0, 2 (one hit)
    m.update_state(y, p)
    assert float(m.result()) == pytest.approx(0.5)
    m = M.Recall(class_id=2)       # class 2: label [1, 0], predicted > 0.5: [no, no]
    m.update_state(y, p)
    assert float(m.result()) == 0.0


def _np_auc(y, p, n, curve="ROC", w=None):
    thresholds = [0.0 - 1e-7] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0 + 1e-7]
    c = _np_confusion(y, np.clip(p, 0, 1), thresholds, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.nan_to_num(c["tp"] / (c["tp"] + c["fn"]))
        if curve == "ROC":
            x, yy = np.nan_to_num(c["fp"] / (c["fp"] + c["tn"])), recall
        else:
            x, yy = recall, np.nan_to_num(c["tp"] / (c["tp"] + c["fp"]))
    return float(np.sum((x[:-1] - x[1:]) * (yy[:-1] + yy[1:]) / 2))


def test_auc_roc_against_trapezoids_and_pr_variants():
    y = rng.integers(0, 2, (60,)).astype(f32)
    p = np.clip(y * 0.3 + rng.random(60) * 0.7, 0, 1).astype(f32)
    w = rng.random(60).astype(f32)
    m = M.AUC()
    m.update_state(y[:30], p[:30], sample_weight=w[:30])
    m.update_state(y[30:], p[30:], sample_weight=w[30:])
    assert float(m.result()) == pytest.approx(_np_auc(y, p, 200, w=w), rel=1e-5)
    pr = M.AUC(curve="PR", summation_method="majoring", num_thresholds=50)
    pr.update_state(y, p)
    thresholds = [0.0 - 1e-7] + [(i + 1) / 49 for i in range(48)] + [1.0 + 1e-7]
    c = _np_confusion(y, p, thresholds)
    recall = c["tp"] / (c["tp"] + c["fn"])
    with np.errstate(invalid="ignore"):
        precision = np.nan_to_num(c["tp"] / (c["tp"] + c["fp"]))
    expected = np.sum((recall[:-1] - recall[1:]) * np.maximum(precision[:-1], precision[1:]))
    assert float(pr.result()) == pytest.approx(expected, rel=1e-5)
    interp = M.AUC(curve="PR")   # Davis & Goadrich interpolation: close to, not equal to, the trapezoids
    interp.update_state(y, p)
    assert 0.0 < float(interp.result()) <= 1.0
    assert abs(float(interp.result()) - _np_auc(y, p, 200, curve="PR")) < 0.05
    uneven = M.AUC(thresholds=[0.1, 0.25, 0.7])   # counted by comparisons instead of buckets
    uneven.update_state(y, p, sample_weight=w)
    c = _np_confusion(y, p, [-1e-7, 0.1, 0.25, 0.7, 1 + 1e-7], w)
    fpr, tpr = c["fp"] / (c["fp"] + c["tn"]), c["tp"] / (c["tp"] + c["fn"])
    assert float(uneven.result()) == pytest.approx(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2), rel=1e-5)
    logits = M.AUC(from_logits=True)
    logits.update_state(y, np.log(p + 1e-3) - np.log1p(-p + 1e-3))
    assert float(logits.result()) == pytest.approx(float(M.AUC()(y, p)), abs=0.02)


def test_reset_state_and_merge_state():
    a, b = M.Mean(), M.Mean()
    a.update_state([1.0, 2.0])
    b.update_state([3.0, 4.0, 5.0])
    a.merge_state([b])
    assert float(a.result()) == pytest.approx(3.0)
    a.reset_state()
    assert float(a.result()) == 0.0
    assert [v.name for v in a.variables] == ["total:0", "count:0"]


def test_functions():
    y = np.array([[0, 1, 0], [1, 0, 0]], f32)
    p = np.array([[0.2, 0.7, 0.1], [0.3, 0.6, 0.1]], f32)
    np.testing.assert_array_equal(M.categorical_accuracy(y, p).numpy(), [1, 0])
    np.testing.assert_array_equal(M.sparse_categorical_accuracy(np.array([1, 1]), p).numpy(), [1, 1])
    np.testing.assert_array_equal(M.sparse_categorical_accuracy(np.array([[1], [0]]), p).numpy(), [1, 0])
    np.testing.assert_array_equal(M.top_k_categorical_accuracy(y, p, k=2).numpy(), [1, 1])
    np.testing.assert_array_equal(M.binary_accuracy(np.array([[1, 0]], f32), np.array([[0.6, 0.6]], f32)).numpy(),
                                  [0.5])
    np.testing.assert_array_equal(M.accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])).numpy(), [1, 0, 1])
    # ties at the k-th score all count as in the top k, as tf.math.in_top_k
    np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy([2], np.array([[0.5, 0.5, 0.5]], f32), k=1)
                                  .numpy(), [1])
    assert M.cosine_similarity(np.array([[1.0, 0.0]], f32), np.array([[2.0, 0.0]], f32)).numpy()[0] == \
        pytest.approx(1.0)


def test_configs_round_trip():
    for m in (M.Mean(name="m"), M.Sum(), M.Accuracy(), M.BinaryAccuracy(threshold=0.7), M.CategoricalAccuracy(),
              M.SparseCategoricalAccuracy(), M.TopKCategoricalAccuracy(k=3), M.SparseTopKCategoricalAccuracy(k=2),
              M.Precision(thresholds=[0.2, 0.4], class_id=1), M.Recall(top_k=3), M.AUC(curve="PR"),
              M.AUC(thresholds=[0.3, 0.6]), M.MeanSquaredError(), M.RootMeanSquaredError(), M.CosineSimilarity(axis=0),
              M.BinaryCrossentropy(from_logits=True), M.CategoricalCrossentropy(label_smoothing=0.1),
              M.SparseCategoricalCrossentropy(ignore_class=0), M.KLDivergence(), M.LogCoshError(), M.Hinge()):
        cfg = M.serialize(m)
        again = M.deserialize(cfg)
        assert type(again) is type(m)
        assert again.get_config() == m.get_config()
    assert M.BinaryAccuracy(threshold=0.7).get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                                             "threshold": 0.7}
    assert M.TopKCategoricalAccuracy(3).get_config()["k"] == 3
    w = M.MeanMetricWrapper(M.categorical_accuracy, name="accuracy")
    cfg = w.get_config()
    assert cfg == {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}
    again = M.MeanMetricWrapper.from_config(cfg)
    assert again._fn is M.categorical_accuracy


def test_names_resolve_like_tf_keras():
    assert M.get("mae") is losses.mean_absolute_error
    assert M.get("acc") is M.accuracy
    assert M.get("accuracy") is M.accuracy
    assert M.get("cosine_proximity") is M.cosine_similarity
    assert isinstance(M.get("AUC"), M.AUC)
    assert isinstance(M.get({"class_name": "Precision", "config": {"thresholds": 0.3}}), M.Precision)
    assert M.Precision().name == "precision" and M.AUC().name == "auc"
    assert M.KLDivergence().name == "kullback_leibler_divergence" and M.LogCoshError().name == "logcosh"
    with pytest.raises(ValueError, match="Unknown metric function: 'acuracy'.*'accuracy'"):
        M.get("acuracy")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="thresholds"):
        M.Precision(thresholds=[1.5])
    with pytest.raises(ValueError, match="num_thresholds"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")
    with pytest.raises(TypeError, match="fn"):
        M.MeanMetricWrapper("mae")
    with pytest.raises(ValueError, match="sample_weight of shape"):
        M.Mean().update_state(np.ones((2, 3)), sample_weight=np.ones((4, 5)))
    with pytest.raises(ValueError, match="not compatible"):
        M.accuracy(np.ones(3), np.ones(4))
