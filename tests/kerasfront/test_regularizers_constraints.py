"""Regularizers and constraints: penalties and projections against numpy, gradients, configs and names."""
import numpy as np
import pytest

import autograd as ag
from kerasfront import constraints as C
from kerasfront import regularizers as R

W = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)


def test_penalties_match_numpy():
    assert float(R.L1(0.1)(W)) == pytest.approx(0.1 * np.abs(W).sum(), rel=1e-6)
    assert float(R.L2(0.1)(W)) == pytest.approx(0.1 * (W ** 2).sum(), rel=1e-6)
    assert float(R.L1L2(l1=0.1, l2=0.2)(W)) == pytest.approx(0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum(), rel=1e-6)
    assert float(R.L1L2()(W)) == 0.0
    assert R.L2(0.1)(ag.tensor(W)).dtype == np.float32
    # Keras 2 defaults: 0.01, stored as float32
    assert R.get("l2").get_config() == {"l2": float(np.float32(0.01))}
    assert R.get("l1").get_config() == {"l1": float(np.float32(0.01))}
    assert R.l1_l2().get_config() == {"l1": float(np.float32(0.01)), "l2": float(np.float32(0.01))}
    assert R.get("l1_l2").get_config() == R.l1_l2().get_config()
    assert R.L2(l=0.5).get_config() == {"l2": 0.5}


def test_penalties_are_differentiable():
    w = ag.tensor(W, requires_grad=True)
    (g,) = ag.gradients(R.L1L2(l1=0.1, l2=0.2)(w), [w])
    np.testing.assert_allclose(g.numpy(), 0.1 * np.sign(W) + 0.4 * W, rtol=1e-5)
    assert ag.gradcheck(R.OrthogonalRegularizer(factor=0.5), W.astype(np.float64))


def test_orthogonal_regularizer():
    q = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))[0]
    assert float(R.OrthogonalRegularizer(1.0)(q)) == pytest.approx(0.0, abs=1e-6)
    rows = W / np.linalg.norm(W, axis=1, keepdims=True)
    prod = np.abs(rows @ rows.T) * (1 - np.eye(4))
    assert float(R.OrthogonalRegularizer(0.2)(W)) == pytest.approx(0.2 * 0.5 * prod.sum() / 6, rel=1e-5)


def test_constraints_match_numpy():
    norms = np.sqrt((W ** 2).sum(0, keepdims=True))
    out = C.MaxNorm(1.0)(ag.tensor(W)).numpy()
    np.testing.assert_allclose(out, W * np.clip(norms, 0, 1.0) / (norms + 1e-7), rtol=1e-6)
    assert np.all(np.sqrt((out ** 2).sum(0)) <= 1.0 + 1e-6)
    out = C.MaxNorm(1.0, axis=1)(W).numpy()
    assert np.all(np.sqrt((out ** 2).sum(1)) <= 1.0 + 1e-6)
    np.testing.assert_array_equal(C.NonNeg()(W).numpy(), W * (W >= 0))
    np.testing.assert_allclose(C.UnitNorm()(W).numpy(), W / (norms + 1e-7), rtol=1e-6)
    mm = C.MinMaxNorm(min_value=1.5, max_value=2.0, rate=0.5)(W).numpy()
    desired = 0.5 * np.clip(norms, 1.5, 2.0) + 0.5 * norms
    np.testing.assert_allclose(mm, W * desired / (norms + 1e-7), rtol=1e-6)
    assert C.Constraint()(W) is W


def test_configs_and_names():
    for obj in (R.L1(0.3), R.L2(0.2), R.L1L2(0.1, 0.2), R.OrthogonalRegularizer(0.1, "columns")):
        again = R.deserialize(R.serialize(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    for obj in (C.MaxNorm(3, axis=1), C.NonNeg(), C.UnitNorm(axis=[0, 1]), C.MinMaxNorm(0.5, 1.5, 0.7, 1)):
        again = C.deserialize(C.serialize(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    assert C.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert C.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    for name, cls in (("max_norm", C.MaxNorm), ("non_neg", C.NonNeg), ("unit_norm", C.UnitNorm),
                      ("min_max_norm", C.MinMaxNorm), ("MaxNorm", C.MaxNorm), ("maxnorm", C.MaxNorm)):
        assert type(C.get(name)) is cls
    assert R.get(None) is None and C.get(None) is None
    fn = lambda w: w  # noqa: E731
    assert C.get(fn) is fn and R.get(fn) is fn


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Unknown regularizer: 'l3'"):
        R.get("l3")
    with pytest.raises(ValueError, match="Unknown constraint: 'non_negative'.*'non_neg'"):
        C.get("non_negative")
    with pytest.raises(ValueError, match="l2"):
        R.L2("big")
    with pytest.raises(ValueError, match="finite"):
        R.L1(float("nan"))
    with pytest.raises(TypeError, match="not recognized"):
        R.L2(l3=0.1)
    with pytest.raises(ValueError, match="mode"):
        R.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="rank 2"):
        R.OrthogonalRegularizer()(np.ones((2, 2, 2), np.float32))
    with pytest.raises(ValueError, match="max_value"):
        C.MinMaxNorm(min_value=2.0, max_value=1.0)


@pytest.mark.parametrize("module,name,cls", [
    ("losses", "Huber", "Huber"), ("metrics", "AUC", "AUC"), ("optimizers", "Adam", "Adam"),
    ("initializers", "HeNormal", "HeNormal"), ("regularizers", "L2", "L2"), ("constraints", "NonNeg", "NonNeg")])
def test_deserialize_instantiates_a_named_or_given_class(module, name, cls):
    # a bare class name or the class itself deserializes to an instance; a function name stays a function
    import kerasfront as keras
    mod = getattr(keras, module)
    assert type(mod.deserialize(name)).__name__ == cls
    assert type(mod.deserialize(getattr(mod, cls))).__name__ == cls
    assert keras.losses.deserialize("mse") is keras.losses.mean_squared_error
