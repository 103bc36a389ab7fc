"""Losses: per-sample functions against numpy formulas and tf.keras's documented values, the Loss classes'
reduction and sample_weight semantics, the logits path behind softmax/sigmoid outputs, gradients, configs."""
import warnings

import numpy as np
import pytest

import autograd as ag
import kerasfront.losses as L
from kerasfront import activations

f32 = np.float32
EPS = 1e-7
rng = np.random.default_rng(0)
Y = rng.standard_normal((5, 3)).astype(f32)
P = rng.standard_normal((5, 3)).astype(f32)
YPOS = (rng.random((5, 3)) + 0.1).astype(f32)
PPOS = (rng.random((5, 3)) + 0.1).astype(f32)
YB = rng.integers(0, 2, (5, 3)).astype(f32)
PB = rng.random((5, 3)).astype(f32)
YC = np.eye(3, dtype=f32)[rng.integers(0, 3, 5)]
LOGITS = (rng.standard_normal((5, 3)) * 3).astype(f32)


def _np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_l2n(x):
    return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), 1e-12))


def _hinge_labels(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


NUMPY_FORMULAS = [
    ("mean_squared_error", Y, P, lambda y, p: ((p - y) ** 2).mean(-1)),
    ("mean_absolute_error", Y, P, lambda y, p: np.abs(p - y).mean(-1)),
    ("mean_absolute_percentage_error", Y, P,
     lambda y, p: 100 * np.abs((y - p) / np.maximum(np.abs(y), EPS)).mean(-1)),
    ("mean_squared_logarithmic_error", YPOS, P,
     lambda y, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2).mean(-1)),
    ("hinge", Y, P, lambda y, p: np.maximum(1 - y * p, 0).mean(-1)),
    ("hinge", YB, P, lambda y, p: np.maximum(1 - _hinge_labels(y) * p, 0).mean(-1)),
    ("squared_hinge", YB, P, lambda y, p: (np.maximum(1 - _hinge_labels(y) * p, 0) ** 2).mean(-1)),
    ("categorical_hinge", YC, P,
     lambda y, p: np.maximum(((1 - y) * p).max(-1) - (y * p).sum(-1) + 1, 0)),
    ("huber", Y, P, lambda y, p: np.where(np.abs(p - y) <= 1, 0.5 * (p - y) ** 2, np.abs(p - y) - 0.5).mean(-1)),
    ("log_cosh", Y, P, lambda y, p: np.log(np.cosh(p - y)).mean(-1)),
    ("kl_divergence", YPOS / 2, PPOS / 2,
     lambda y, p: (np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1))).sum(-1)),
    ("poisson", YPOS, PPOS, lambda y, p: (p - y * np.log(p + EPS)).mean(-1)),
    ("cosine_similarity", Y, P, lambda y, p: -(_np_l2n(y) * _np_l2n(p)).sum(-1)),
    ("binary_crossentropy", YB, PB,
     lambda y, p: -(y * np.log(np.clip(p, EPS, 1 - EPS) + EPS)
                    + (1 - y) * np.log(1 - np.clip(p, EPS, 1 - EPS) + EPS)).mean(-1)),
    ("categorical_crossentropy", YC, PPOS,
     lambda y, p: -(y * np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS))).sum(-1)),
]


@pytest.mark.parametrize("name,y,p,formula", NUMPY_FORMULAS, ids=[f"{c[0]}{i}" for i, c in enumerate(NUMPY_FORMULAS)])
def test_functions_match_numpy_formulas(name, y, p, formula):
    out = getattr(L, name)(y, p)
    assert isinstance(out, ag.Tensor)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), formula(y.astype(np.float64), p.astype(np.float64)), rtol=2e-5,
                               atol=2e-6)


def test_documented_tf_keras_values():
    # values from the tf.keras 2 docstrings
    cce = L.categorical_crossentropy([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                                     np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], f32))
    np.testing.assert_allclose(cce.numpy(), [0.0513, 2.303], atol=1e-3)
    y_true = np.array([[0.0, 1.0], [0.0, 0.0]], f32)
    y_pred = np.array([[0.6, 0.4], [0.4, 0.6]], f32)
    assert float(L.BinaryCrossentropy()(y_true, y_pred)) == pytest.approx(0.815, abs=1e-3)
    assert float(L.BinaryCrossentropy()(y_true, y_pred, sample_weight=[1, 0])) == pytest.approx(0.458, abs=1e-3)
    assert float(L.BinaryCrossentropy(reduction="sum")(y_true, y_pred)) == pytest.approx(1.630, abs=1e-3)
    np.testing.assert_allclose(L.BinaryCrossentropy(reduction="none")(y_true, y_pred).numpy(), [0.916, 0.714],
                               atol=1e-3)
    y_pred = np.array([[1.0, 1.0], [1.0, 0.0]], f32)
    mse = L.MeanSquaredError()
    assert float(mse(y_true, y_pred)) == pytest.approx(0.5)
    assert float(mse(y_true, y_pred, sample_weight=[0.7, 0.3])) == pytest.approx(0.25)
    assert float(L.MeanSquaredError(reduction="sum")(y_true, y_pred)) == pytest.approx(1.0)
    scce = L.SparseCategoricalCrossentropy()
    assert float(scce([1, 2], np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], f32))) == pytest.approx(1.177, abs=1e-3)


def test_from_logits_paths_match_the_probability_formulas():
    p = _np_softmax(LOGITS.astype(np.float64))
    out = L.categorical_crossentropy(YC, LOGITS, from_logits=True)
    np.testing.assert_allclose(out.numpy(), -(YC * np.log(p)).sum(-1), rtol=1e-5)
    labels = YC.argmax(-1)
    out = L.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True)
    np.testing.assert_allclose(out.numpy(), -np.log(p[np.arange(5), labels]), rtol=1e-5)
    s = 1 / (1 + np.exp(-LOGITS.astype(np.float64)))
    out = L.binary_crossentropy(YB, LOGITS, from_logits=True)
    np.testing.assert_allclose(out.numpy(), -(YB * np.log(s) + (1 - YB) * np.log(1 - s)).mean(-1), rtol=1e-5)


def test_sparse_crossentropy_on_probabilities_renormalizes_like_tf_keras():
    # tf.keras passes log(clip(p)) to the softmax crossentropy, so the probabilities are renormalized
    probs = np.array([[0.2, 0.2, 0.2], [0.7, 0.1, 0.1]], f32)
    out = L.sparse_categorical_crossentropy([0, 1], probs)
    c = np.clip(probs.astype(np.float64), EPS, 1 - EPS)
    expected = -np.log(c[[0, 1], [0, 1]] / c.sum(-1))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    out2 = L.sparse_categorical_crossentropy(np.array([[0], [1]]), probs)   # a trailing size-1 axis is fine
    np.testing.assert_allclose(out2.numpy(), expected, rtol=1e-6)


def test_label_smoothing():
    ls = 0.2
    out = L.categorical_crossentropy(YC, LOGITS, from_logits=True, label_smoothing=ls)
    smooth = YC * (1 - ls) + ls / 3
    np.testing.assert_allclose(out.numpy(), -(smooth * np.log(_np_softmax(LOGITS.astype(np.float64)))).sum(-1),
                               rtol=1e-5)
    out = L.binary_crossentropy(YB, LOGITS, from_logits=True, label_smoothing=ls)
    s = 1 / (1 + np.exp(-LOGITS.astype(np.float64)))
    z = YB * (1 - ls) + 0.5 * ls
    np.testing.assert_allclose(out.numpy(), -(z * np.log(s) + (1 - z) * np.log(1 - s)).mean(-1), rtol=1e-5)


def test_softmax_and_sigmoid_outputs_are_evaluated_from_their_logits():
    logits = ag.tensor(np.array([[30.0, -30.0, 0.0]], f32), requires_grad=True)
    probs = activations.softmax(logits)          # the true class has probability ~1e-13
    target = np.array([[0.0, 1.0, 0.0]], f32)
    out = L.categorical_crossentropy(target, probs)
    assert float(out.numpy()[0]) == pytest.approx(60.0, rel=1e-5)   # clipping would cap it at -log(1e-7) = 16.1
    with ag.no_grad():   # the cache works without a recorded graph too (evaluate / predict)
        probs2 = activations.softmax(logits)
        assert float(L.categorical_crossentropy(target, probs2).numpy()[0]) == pytest.approx(60.0, rel=1e-5)
    # a softmax recorded by autograd directly (a custom layer) is recognized from the graph, as tf.keras does
    direct = ag.softmax(logits)
    assert float(L.categorical_crossentropy(target, direct).numpy()[0]) == pytest.approx(60.0, rel=1e-5)
    s = activations.sigmoid(ag.tensor(np.array([[-40.0]], f32)))
    assert float(L.binary_crossentropy(np.array([[1.0]], f32), s).numpy()[0]) == pytest.approx(40.0, rel=1e-5)
    with pytest.warns(UserWarning, match="from_logits=True"):
        L.categorical_crossentropy(target, probs, from_logits=True)
    # a softmax over another axis is not a crossentropy's logits
    other = activations.softmax(ag.tensor(np.array([[0.5, 0.1], [0.2, 0.3]], f32)), axis=0)
    expected = -np.log(np.clip(other.numpy() / other.numpy().sum(-1, keepdims=True), EPS, 1 - EPS))[:, 0]
    np.testing.assert_allclose(L.categorical_crossentropy(np.array([[1, 0], [1, 0]], f32), other).numpy(),
                               expected, rtol=1e-6)


def test_loss_classes_weight_and_reduce_like_tf_keras():
    per_sample = ((P - Y) ** 2).mean(-1)
    sw = rng.random(5).astype(f32)
    assert float(L.MeanSquaredError()(Y, P, sample_weight=sw)) == pytest.approx((per_sample * sw).sum() / 5,
                                                                                 rel=1e-5)
    # a (batch, 1) weight is squeezed to the per-sample losses' rank
    assert float(L.MeanSquaredError()(Y, P, sample_weight=sw[:, None])) == pytest.approx(
        (per_sample * sw).sum() / 5, rel=1e-5)
    # per-element weights: the losses are reduced first, then each per-sample loss is weighted elementwise
    assert float(L.MeanSquaredError(reduction="sum")(Y, P, sample_weight=2.0)) == pytest.approx(
        2 * per_sample.sum(), rel=1e-5)
    none = L.MeanSquaredError(reduction="none")(Y, P, sample_weight=sw)
    np.testing.assert_allclose(none.numpy(), per_sample * sw, rtol=1e-5)
    # (batch,) targets against (batch, 1) predictions: two Tensors are aligned (a Loss called on tensors), but
    # numpy arrays broadcast to (batch, batch) inside the loss function, exactly as in tf.keras
    y1, p1 = Y[:, 0], P[:, :1]
    aligned = float(L.MeanSquaredError()(ag.tensor(y1), ag.tensor(p1)))
    assert aligned == pytest.approx(((p1[:, 0] - y1) ** 2).mean(), rel=1e-5)
    assert float(L.MeanSquaredError()(y1, p1)) == pytest.approx(((p1 - y1) ** 2).mean(), rel=1e-5)
    # sequence losses: sum over every (sample, step) divided by their count
    y3 = rng.standard_normal((2, 4, 3)).astype(f32)
    p3 = rng.standard_normal((2, 4, 3)).astype(f32)
    w3 = rng.random((2, 4)).astype(f32)
    expected = (((p3 - y3) ** 2).mean(-1) * w3).sum() / 8
    assert float(L.MeanSquaredError()(y3, p3, sample_weight=w3)) == pytest.approx(expected, rel=1e-5)
    empty = L.MeanSquaredError()(np.zeros((0, 3), f32), np.zeros((0, 3), f32))
    assert float(empty) == 0.0


def test_ignore_class_leaves_entries_out_of_the_mean():
    labels = np.array([0, 1, 2, 1, 0])
    full = L.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True).numpy()
    keep = labels != 1
    loss = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)(labels, LOGITS)
    assert float(loss) == pytest.approx(full[keep].mean(), rel=1e-5)
    per = L.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True, ignore_class=1).numpy()
    np.testing.assert_allclose(per, np.where(keep, full, 0.0), rtol=1e-6)


def test_loss_is_differentiable():
    def f(x):
        return L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(YC.astype(np.float64), x)
    assert ag.gradcheck(f, LOGITS.astype(np.float64))
    assert ag.gradcheck(lambda x: L.BinaryCrossentropy()(YB.astype(np.float64), x), PB.astype(np.float64) * 0.8 + 0.1)
    # huber computes in floatx (float32) like tf.keras, so its gradient is checked against the formula
    x = ag.tensor(P, requires_grad=True)
    (g,) = ag.gradients(L.Huber(delta=0.5)(Y, x), [x])
    e = P - Y
    np.testing.assert_allclose(g.numpy(), np.where(np.abs(e) <= 0.5, e, 0.5 * np.sign(e)) / e.size, rtol=1e-5)
    assert ag.gradcheck(lambda x: L.log_cosh(Y.astype(np.float64), x), P.astype(np.float64))
    x = ag.tensor(LOGITS, requires_grad=True)
    loss = L.SparseCategoricalCrossentropy(from_logits=True)(YC.argmax(-1), x)
    (g,) = ag.gradients(loss, [x])
    np.testing.assert_allclose(g.numpy(), (_np_softmax(LOGITS.astype(np.float64)) - YC) / 5, rtol=1e-5, atol=1e-7)
    assert g.dtype == np.float32


def test_get_serialize_deserialize():
    assert L.get("mse") is L.mean_squared_error
    assert L.get("MAE") is L.mean_absolute_error
    assert L.get("kld") is L.kl_divergence
    assert L.get("huber_loss") is L.huber
    assert isinstance(L.get("CategoricalCrossentropy"), L.CategoricalCrossentropy)
    assert L.serialize(L.mse) == "mean_squared_error"
    fn = lambda y, p: y  # noqa: E731
    assert L.get(fn) is fn
    assert L.get(None) is None
    loss = L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, name="cce")
    cfg = L.serialize(loss)
    assert cfg == {"class_name": "CategoricalCrossentropy",
                   "config": {"reduction": "auto", "name": "cce", "from_logits": True, "label_smoothing": 0.1,
                              "axis": -1, "fn": "categorical_crossentropy"}}
    again = L.deserialize(cfg)
    assert isinstance(again, L.CategoricalCrossentropy) and again.get_config() == loss.get_config()
    wrapped = L.LossFunctionWrapper(L.mean_absolute_error, name="mae", reduction="sum")
    again = L.LossFunctionWrapper.from_config(wrapped.get_config())
    assert again.fn is L.mean_absolute_error and again.reduction == "sum"
    for cls in (L.Huber, L.Hinge, L.Poisson, L.KLDivergence, L.LogCosh, L.CosineSimilarity, L.SquaredHinge,
                L.MeanSquaredLogarithmicError, L.MeanAbsolutePercentageError, L.CategoricalHinge,
                L.BinaryCrossentropy, L.SparseCategoricalCrossentropy):
        obj = cls()
        assert type(L.deserialize(L.serialize(obj))) is cls
        assert L.deserialize(L.serialize(obj)).get_config() == obj.get_config()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Unknown loss function: 'msee'.*'mse'"):
        L.get("msee")
    with pytest.raises(ValueError, match="reduction"):
        L.MeanSquaredError(reduction="mean")
    with pytest.raises(ValueError, match="label value of 3"):
        L.sparse_categorical_crossentropy([0, 3], np.ones((2, 3), f32) / 3)
    with pytest.raises(ValueError, match="sample_weight of shape"):
        L.MeanSquaredError()(Y, P, sample_weight=np.ones(4, f32))
    with pytest.raises(ValueError, match="could not interpret"):
        L.get(42)


def test_categorical_crossentropy_warns_on_a_single_class():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        L.categorical_crossentropy(np.ones((2, 1), f32), np.full((2, 1), 0.5, f32))
    assert any("binary_crossentropy" in str(w.message) for w in rec)
