"""Initializers: Keras's fans and scales (checked on the statistics of large draws), seeding, shapes and
dtypes, configs, names and errors."""
import numpy as np
import pytest

import autograd as ag
from kerasfront import initializers as I
from kerasfront import random_state


def _std_of_truncated(stddev):
    return stddev * 0.87962566103423978


@pytest.mark.parametrize("shape,fans", [((), (1, 1)), ((7,), (7, 7)), ((300, 200), (300, 200)),
                                        ((3, 3, 16, 32), (144, 288)), ((5, 8, 40), (40, 200))])
def test_fans_follow_keras(shape, fans):
    assert I._compute_fans(shape) == fans


@pytest.mark.parametrize("cls,scale,mode,dist", [
    (I.GlorotUniform, 1.0, "fan_avg", "uniform"), (I.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (I.HeNormal, 2.0, "fan_in", "truncated_normal"), (I.HeUniform, 2.0, "fan_in", "uniform"),
    (I.LecunNormal, 1.0, "fan_in", "truncated_normal"), (I.LecunUniform, 1.0, "fan_in", "uniform")])
def test_variance_scaling_presets(cls, scale, mode, dist):
    shape = (3, 3, 40, 60)   # conv kernel: fans 360 / 540
    fan_in, fan_out = 360, 540
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    w = cls(seed=1)(shape).numpy()
    assert w.shape == shape and w.dtype == np.float32
    target_std = np.sqrt(scale / n)
    assert abs(w.std() - target_std) / target_std < 0.03
    if dist == "uniform":
        limit = np.sqrt(3 * scale / n)
        assert w.max() <= limit and w.min() >= -limit and w.max() > 0.98 * limit
    else:
        bound = 2 * np.sqrt(scale / n) / 0.87962566103423978
        assert np.abs(w).max() <= bound + 1e-6


def test_distributions_of_plain_initializers():
    w = I.RandomNormal(mean=1.0, stddev=0.5, seed=3)((200, 200)).numpy()
    assert abs(w.mean() - 1.0) < 0.01 and abs(w.std() - 0.5) < 0.01
    w = I.RandomUniform(minval=-2.0, maxval=3.0, seed=3)((200, 200)).numpy()
    assert w.min() >= -2.0 and w.max() < 3.0 and abs(w.mean() - 0.5) < 0.03
    w = I.TruncatedNormal(mean=0.0, stddev=1.0, seed=3)((200, 200)).numpy()
    assert np.abs(w).max() <= 2.0 and abs(w.std() - _std_of_truncated(1.0)) < 0.01
    w = I.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal", seed=3)((100, 400)).numpy()
    assert abs(w.std() - np.sqrt(3.0 / 400)) / np.sqrt(3.0 / 400) < 0.03
    ints = I.RandomUniform(0, 5, seed=1)((100,), dtype="int32").numpy()
    assert ints.dtype == np.int32 and ints.min() >= 0 and ints.max() < 5


def test_deterministic_ones():
    np.testing.assert_array_equal(I.Zeros()((2, 3)).numpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(I.Ones()((2,), dtype="float64").numpy(), np.ones(2))
    assert I.Ones()((2,), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(I.Constant(0.5)((2, 2)).numpy(), np.full((2, 2), 0.5, np.float32))
    np.testing.assert_array_equal(I.Constant([1.0, 2.0])((3, 2)).numpy(), np.tile([1.0, 2.0], (3, 1)))
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)).numpy(), 2 * np.eye(2, 3))
    q = I.Orthogonal(gain=1.5, seed=0)((6, 4)).numpy()
    np.testing.assert_allclose(q.T @ q, 2.25 * np.eye(4), atol=1e-5)
    q = I.Orthogonal(seed=0)((3, 2, 8)).numpy().reshape(6, 8)
    np.testing.assert_allclose(q @ q.T, np.eye(6), atol=1e-5)


def test_seeding():
    a = I.GlorotUniform(seed=5)((4, 4)).numpy()
    b = I.GlorotUniform(seed=5)((4, 4)).numpy()
    np.testing.assert_array_equal(a, b)
    init = I.HeNormal(seed=5)
    np.testing.assert_array_equal(init((4, 4)).numpy(), init((4, 4)).numpy())   # seeded: same every call
    random_state.set_seed(0)
    c = I.GlorotUniform()((4, 4)).numpy()
    d = I.GlorotUniform()((4, 4)).numpy()
    random_state.set_seed(0)
    np.testing.assert_array_equal(I.GlorotUniform()((4, 4)).numpy(), c)   # the global seed repeats runs
    assert not np.array_equal(c, d)   # unseeded draws differ from call to call


def test_returns_tensors_and_configs_round_trip():
    assert isinstance(I.GlorotUniform()((2, 2)), ag.Tensor)
    for init in (I.Zeros(), I.Ones(), I.Constant(0.3), I.RandomNormal(0.1, 0.2, seed=1), I.RandomUniform(seed=2),
                 I.TruncatedNormal(seed=3), I.VarianceScaling(2.0, "fan_avg", "uniform", seed=4),
                 I.GlorotUniform(), I.GlorotNormal(seed=1), I.HeNormal(), I.HeUniform(), I.LecunNormal(),
                 I.LecunUniform(), I.Orthogonal(gain=2.0), I.Identity(gain=0.5)):
        cfg = I.serialize(init)
        again = I.deserialize(cfg)
        assert type(again) is type(init) and again.get_config() == init.get_config()
    assert I.serialize(I.GlorotUniform()) == {"class_name": "GlorotUniform", "config": {"seed": None}}
    assert I.VarianceScaling().get_config() == {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal",
                                                "seed": None}


def test_names_resolve_like_tf_keras():
    for name, cls in (("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
                      ("he_normal", I.HeNormal), ("lecun_uniform", I.LecunUniform), ("zeros", I.Zeros),
                      ("ones", I.Ones), ("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
                      ("uniform", I.RandomUniform), ("truncated_normal", I.TruncatedNormal),
                      ("orthogonal", I.Orthogonal), ("identity", I.Identity), ("constant", I.Constant),
                      ("variance_scaling", I.VarianceScaling)):
        assert type(I.get(name)) is cls, name
    assert isinstance(I.get(I.HeNormal), I.HeNormal)
    assert isinstance(I.get({"class_name": "RandomNormal", "config": {"stddev": 2.0}}), I.RandomNormal)
    init = I.Ones()
    assert I.get(init) is init and I.get(None) is None


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot_unifrom'.*'glorot_uniform'"):
        I.get("glorot_unifrom")
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_max")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0)
    with pytest.raises(TypeError, match="seed"):
        I.GlorotUniform(seed="x")
    with pytest.raises(ValueError, match="two dimensions"):
        I.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="at least two"):
        I.Orthogonal()((3,))
    with pytest.raises(ValueError, match="floating"):
        I.GlorotUniform()((2, 2), dtype="int32")
    with pytest.raises(ValueError, match="cannot fill"):
        I.Constant([1.0, 2.0, 3.0])((2, 2))
