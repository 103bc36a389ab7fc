"""Optimizers: several steps against hand-written numpy formulas of tf.keras 2.11+, slot names and order,
configs (including those tf.keras wrote into the reference HDF5 files), clipping, schedules and errors."""
import json
import os

import h5py
import numpy as np
import pytest

import autograd as ag
import kerasfront.optimizers as O
from kerasfront import constraints
from kerasfront.optimizers import schedules
from kerasfront.variables import Variable

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_reference")
f32 = np.float32
STEPS = 4


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    w0 = [rng.standard_normal((3, 4)).astype(f32), rng.standard_normal((4,)).astype(f32)]
    grads = [[rng.standard_normal(w.shape).astype(f32) for w in w0] for _ in range(STEPS)]
    return w0, grads


def _run(opt, w0, grads):
    vs = [Variable(w0[0], name="dense/kernel"), Variable(w0[1], name="dense/bias")]
    for g in grads:
        opt.apply_gradients(zip([ag.tensor(x) for x in g], vs))
    return vs


# -- numpy references (independent of the implementation: plain float32 formulas) --------------------


def ref_sgd(w, gs, lr, momentum=0.0, nesterov=False):
    w, m = w.copy(), np.zeros_like(w)
    for g in gs:
        m = f32(momentum) * m - f32(lr) * g
        w = w + (f32(momentum) * m - f32(lr) * g if nesterov else m)
    return w, [m]


def ref_adam(w, gs, lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    w, m, v, vhat = w.copy(), np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(gs, start=1):
        if wd is not None:
            w = w - w * f32(wd) * f32(lr)
        m = m + (g - m) * f32(1 - b1)
        v = v + (g * g - v) * f32(1 - b2)
        alpha = f32(lr) * np.sqrt(f32(1) - f32(b2) ** f32(t)) / (f32(1) - f32(b1) ** f32(t))
        if amsgrad:
            vhat = np.maximum(vhat, v)
        w = w - m * alpha / (np.sqrt(vhat if amsgrad else v) + f32(eps))
    return w, [m, v] + ([vhat] if amsgrad else [])


def ref_rmsprop(w, gs, lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    w, vel, mom, avg = w.copy(), np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in gs:
        vel = f32(rho) * vel + f32(1 - rho) * g * g
        if centered:
            avg = f32(rho) * avg + f32(1 - rho) * g
            den = vel - avg * avg + f32(eps)
        else:
            den = vel + f32(eps)
        inc = f32(lr) * g / np.sqrt(den)
        if momentum > 0:
            mom = f32(momentum) * mom + inc
            w = w - mom
        else:
            w = w - inc
    return w, [vel] + ([mom] if momentum > 0 else []) + ([avg] if centered else [])


def ref_adagrad(w, gs, lr, init=0.1, eps=1e-7):
    w, acc = w.copy(), np.full_like(w, init)
    for g in gs:
        acc = acc + g * g
        w = w - f32(lr) * g / np.sqrt(acc + f32(eps))
    return w, [acc]


def ref_adadelta(w, gs, lr, rho=0.95, eps=1e-7):
    w, ag2, ad2 = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for g in gs:
        ag2 = f32(rho) * ag2 + f32(1 - rho) * g * g
        delta = -np.sqrt(ad2 + f32(eps)) * g / np.sqrt(ag2 + f32(eps))
        ad2 = f32(rho) * ad2 + f32(1 - rho) * delta * delta
        w = w + f32(lr) * delta
    return w, [ag2, ad2]


def ref_adamax(w, gs, lr, b1=0.9, b2=0.999, eps=1e-7):
    w, m, u = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(gs, start=1):
        m = m + (g - m) * f32(1 - b1)
        u = np.maximum(f32(b2) * u, np.abs(g))
        w = w - f32(lr) * m / ((f32(1) - f32(b1) ** f32(t)) * (u + f32(eps)))
    return w, [m, u]


def ref_nadam(w, gs, lr, b1=0.9, b2=0.999, eps=1e-7):
    w, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    prod = f32(1.0)
    for t, g in enumerate(gs, start=1):
        u_t = f32(b1) * (f32(1) - f32(0.5) * f32(0.96) ** f32(t))
        u_t1 = f32(b1) * (f32(1) - f32(0.5) * f32(0.96) ** f32(t + 1))
        prod = prod * u_t
        prod_next = prod * u_t1
        m = m + (g - m) * f32(1 - b1)
        v = v + (g * g - v) * f32(1 - b2)
        m_hat = u_t1 * m / (f32(1) - prod_next) + (f32(1) - u_t) * g / (f32(1) - prod)
        v_hat = v / (f32(1) - f32(b2) ** f32(t))
        w = w - m_hat * f32(lr) / (np.sqrt(v_hat) + f32(eps))
    return w, [m, v]


CASES = [
    ("sgd", lambda: O.SGD(learning_rate=0.05), lambda w, g: ref_sgd(w, g, 0.05), ["m"]),
    ("sgd_momentum", lambda: O.SGD(0.05, momentum=0.9), lambda w, g: ref_sgd(w, g, 0.05, 0.9), ["m"]),
    ("sgd_nesterov", lambda: O.SGD(0.05, momentum=0.9, nesterov=True), lambda w, g: ref_sgd(w, g, 0.05, 0.9, True),
     ["m"]),
    ("adam", lambda: O.Adam(0.02), lambda w, g: ref_adam(w, g, 0.02), ["m", "v"]),
    ("adam_amsgrad", lambda: O.Adam(0.02, amsgrad=True), lambda w, g: ref_adam(w, g, 0.02, amsgrad=True),
     ["m", "v", "vhat"]),
    ("adam_betas", lambda: O.Adam(0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3),
     lambda w, g: ref_adam(w, g, 0.01, 0.8, 0.95, 1e-3), ["m", "v"]),
    ("adamw", lambda: O.AdamW(0.02, weight_decay=0.1), lambda w, g: ref_adam(w, g, 0.02, wd=0.1), ["m", "v"]),
    ("rmsprop", lambda: O.RMSprop(0.01), lambda w, g: ref_rmsprop(w, g, 0.01), ["velocity"]),
    ("rmsprop_centered_momentum", lambda: O.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
     lambda w, g: ref_rmsprop(w, g, 0.01, 0.8, 0.5, centered=True), ["velocity", "momentum", "average_gradient"]),
    ("adagrad", lambda: O.Adagrad(0.1), lambda w, g: ref_adagrad(w, g, 0.1), ["accumulator"]),
    ("adagrad_init", lambda: O.Adagrad(0.1, initial_accumulator_value=0.5), lambda w, g: ref_adagrad(w, g, 0.1, 0.5),
     ["accumulator"]),
    ("adadelta", lambda: O.Adadelta(1.0), lambda w, g: ref_adadelta(w, g, 1.0),
     ["accumulated_grad", "accumulated_delta_var"]),
    ("adamax", lambda: O.Adamax(0.01), lambda w, g: ref_adamax(w, g, 0.01), ["m", "u"]),
    ("nadam", lambda: _eager(O.Nadam(0.01)), lambda w, g: ref_nadam(w, g, 0.01), ["m", "v"]),
]


def _eager(opt):
    opt.emulate_fit_trace = False
    return opt


@pytest.mark.parametrize("name,make,ref,slot_names", CASES, ids=[c[0] for c in CASES])
def test_steps_match_numpy_formulas(name, make, ref, slot_names):
    w0, grads = _problem()
    opt = make()
    vs = _run(opt, w0, grads)
    by_name = {v.name: v for v in opt.variables}
    for i, v in enumerate(vs):
        w_ref, slots_ref = ref(w0[i], [g[i] for g in grads])
        np.testing.assert_allclose(v.numpy(), w_ref, rtol=2e-6, atol=2e-7)
        assert v.dtype == np.float32
        assert len(slots_ref) == len(slot_names)
        for slot_name, s_ref in zip(slot_names, slots_ref):
            slot = by_name[f"{opt.name}/{slot_name}/{v.path}:0"]
            assert slot.dtype == np.float32
            np.testing.assert_allclose(slot.numpy(), s_ref, rtol=2e-6, atol=2e-7)
    assert int(opt.iterations.numpy()) == STEPS
    assert len(opt.variables) == 1 + len(slot_names) * 2


def test_slot_names_and_order_follow_tf_keras():
    w0, grads = _problem()
    opt = O.Adam(amsgrad=True)
    _run(opt, w0, grads[:1])
    assert [v.name for v in opt.variables] == [
        "iteration:0", "Adam/m/dense/kernel:0", "Adam/v/dense/kernel:0", "Adam/m/dense/bias:0",
        "Adam/v/dense/bias:0", "Adam/vhat/dense/kernel:0", "Adam/vhat/dense/bias:0"]
    assert opt.iterations.dtype == np.int64
    opt = O.RMSprop(momentum=0.5, centered=True)
    _run(opt, w0, grads[:1])
    assert [v.name for v in opt.variables][1:] == [
        "RMSprop/velocity/dense/kernel:0", "RMSprop/velocity/dense/bias:0", "RMSprop/momentum/dense/kernel:0",
        "RMSprop/momentum/dense/bias:0", "RMSprop/average_gradient/dense/kernel:0",
        "RMSprop/average_gradient/dense/bias:0"]
    # SGD keeps a momentum slot even with momentum 0 (as tf.keras writes it into HDF5 files)
    opt = O.SGD(0.1)
    vs = _run(opt, w0, grads[:1])
    assert [v.name for v in opt.variables][1:] == ["SGD/m/dense/kernel:0", "SGD/m/dense/bias:0"]
    np.testing.assert_allclose(opt.variables[1].numpy(), -f32(0.1) * grads[0][0], rtol=1e-6)
    assert vs[0].numpy().dtype == np.float32
    opt = O.Adagrad(initial_accumulator_value=0.3)
    opt.build([Variable(w0[0], name="k")])
    np.testing.assert_array_equal(opt.variables[1].numpy(), np.full((3, 4), 0.3, f32))


def _file_optimizer_configs():
    configs = []
    for fname in sorted(os.listdir(FIXTURES)):
        if not fname.endswith(".h5") or fname.endswith("_initial.h5"):
            continue
        with h5py.File(os.path.join(FIXTURES, fname), "r") as f:
            tc = f.attrs.get("training_config")
            if tc is None:
                continue
            tc = json.loads(tc.decode() if isinstance(tc, bytes) else tc)
            configs.append((fname, tc["optimizer_config"]))
    return configs


def test_configs_written_by_tf_keras_round_trip():
    configs = _file_optimizer_configs()
    assert len(configs) >= 8
    for fname, cfg in configs:
        opt = O.deserialize(cfg)  # class names are "Custom>Adam" in tf_keras 2.21 files
        assert type(opt).__name__ == cfg["class_name"].split(">")[-1], fname
        assert O.serialize(opt)["config"] == cfg["config"], fname


def test_slot_variables_match_the_names_in_the_reference_files():
    with h5py.File(os.path.join(FIXTURES, "rmsprop_centered_sparse.h5"), "r") as f:
        names = []
        f["optimizer_weights"].visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    opt = O.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True)
    vs = [Variable(np.zeros((4, 6), f32), name="dense_4/kernel"), Variable(np.zeros(6, f32), name="dense_4/bias"),
          Variable(np.zeros((6, 3), f32), name="dense_5/kernel"), Variable(np.zeros(3, f32), name="dense_5/bias")]
    opt.build(vs)
    assert sorted(v.name for v in opt.variables) == sorted(names)


@pytest.mark.parametrize("make", [lambda: O.SGD(0.1, momentum=0.5, nesterov=True), lambda: O.Adam(amsgrad=True),
                                  lambda: O.AdamW(), lambda: O.RMSprop(centered=True), lambda: O.Adagrad(),
                                  lambda: O.Adadelta(), lambda: O.Adamax(), lambda: O.Nadam(clipnorm=1.0),
                                  lambda: O.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))])
def test_config_round_trip(make):
    opt = make()
    cfg = O.serialize(opt)
    again = O.deserialize(json.loads(json.dumps(cfg)))
    assert type(again) is type(opt)
    assert O.serialize(again) == cfg
    for key in ("name", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema", "ema_momentum",
                "ema_overwrite_frequency", "jit_compile", "is_legacy_optimizer", "learning_rate"):
        assert key in cfg["config"]


def test_get_resolves_names_instances_and_configs():
    assert isinstance(O.get("adam"), O.Adam)
    assert isinstance(O.get("RMSprop"), O.RMSprop)
    opt = O.SGD()
    assert O.get(opt) is opt
    # as tf.keras: a config without is_legacy_optimizer is a legacy (pre-2.11) one
    assert isinstance(O.get({"class_name": "Nadam", "config": {"learning_rate": 0.5}}), O.legacy.Nadam)
    assert isinstance(O.get({"class_name": "Nadam", "config": {"learning_rate": 0.5, "is_legacy_optimizer": False}}),
                      O.Nadam)
    assert O.get("sgd").get_config()["learning_rate"] == float(f32(0.01))


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'.*'adam'"):
        O.get("adamm")
    with pytest.raises(ValueError, match="could not interpret optimizer identifier"):
        O.get(3)


def test_bad_arguments_are_rejected_by_name():
    with pytest.raises(ValueError, match="momentum"):
        O.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="decay"):
        O.Adam(decay=0.1)
    with pytest.raises(TypeError, match="betaa"):
        O.Adam(betaa=0.1)
    with pytest.raises(ValueError, match="clipnorm.*global_clipnorm"):
        O.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(TypeError, match="learning_rate"):
        O.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="learning_rate"):
        O.Adam(learning_rate=-1.0)
    with pytest.raises(ValueError, match="beta_1"):
        O.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        O.AdamW(weight_decay=None)


def test_old_lr_keyword_and_learning_rate_variable():
    opt = O.Adam(lr=0.5)
    assert opt.learning_rate.name == "learning_rate:0"
    assert float(opt.learning_rate) == pytest.approx(0.5)
    opt.learning_rate = 0.25
    assert float(opt.lr) == pytest.approx(0.25)
    opt.lr = 0.125
    assert opt.get_config()["learning_rate"] == pytest.approx(0.125)


def test_learning_rate_schedule_is_evaluated_at_iterations():
    w0, grads = _problem()
    sched = schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.01, 0.001])
    opt = O.SGD(learning_rate=sched)
    vs = _run(opt, w0, grads)
    expected = w0[0].copy()
    for step, g in enumerate(grads):
        lr = 0.1 if step <= 1 else (0.01 if step <= 2 else 0.001)
        expected = expected - f32(lr) * g[0]
    np.testing.assert_allclose(vs[0].numpy(), expected, rtol=1e-6)
    assert float(opt.learning_rate) == pytest.approx(0.001)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.5


def test_clipnorm_clips_each_gradient_by_its_own_norm():
    w0 = [np.zeros(2, f32), np.zeros(3, f32)]
    g = [np.array([3.0, 4.0], f32), np.array([0.1, 0.0, 0.0], f32)]
    opt = O.SGD(1.0, clipnorm=1.0)
    vs = _run(opt, w0, [g])
    np.testing.assert_allclose(vs[0].numpy(), -np.array([0.6, 0.8]), rtol=1e-6)
    np.testing.assert_allclose(vs[1].numpy(), -g[1], rtol=1e-6)  # already inside the norm
    # the caller's gradients are not changed
    np.testing.assert_array_equal(g[0], [3.0, 4.0])


def test_global_clipnorm_and_clipvalue():
    w0 = [np.zeros(2, f32), np.zeros(1, f32)]
    g = [np.array([3.0, 0.0], f32), np.array([4.0], f32)]   # global norm 5
    vs = _run(O.SGD(1.0, global_clipnorm=2.5), w0, [g])
    np.testing.assert_allclose(vs[0].numpy(), [-1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(vs[1].numpy(), [-2.0], rtol=1e-6)
    vs = _run(O.SGD(1.0, clipvalue=0.5), w0, [[np.array([3.0, -0.2], f32), np.array([-4.0], f32)]])
    np.testing.assert_allclose(vs[0].numpy(), [-0.5, 0.2], rtol=1e-6)
    np.testing.assert_allclose(vs[1].numpy(), [0.5], rtol=1e-6)


def test_weight_decay_on_any_optimizer_and_exclusion():
    w = Variable(np.array([1.0, 2.0], f32), name="kernel")
    b = Variable(np.array([1.0], f32), name="bias")
    opt = O.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(ag.tensor(np.zeros(2, f32)), w), (ag.tensor(np.zeros(1, f32)), b)])
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.05, 2.0 - 0.1], rtol=1e-6)
    np.testing.assert_array_equal(b.numpy(), [1.0])


def test_none_gradients_are_skipped_with_a_warning():
    w = Variable(np.ones(2, f32), name="a")
    u = Variable(np.ones(2, f32), name="b")
    opt = O.SGD(0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(ag.tensor(np.ones(2, f32)), w), (None, u)])
    np.testing.assert_allclose(w.numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(u.numpy(), [1.0, 1.0])
    assert len(opt.variables) == 3  # slots for both variables, as tf.keras builds them


def test_bad_gradients_change_nothing():
    w = Variable(np.ones(2, f32), name="a")
    u = Variable(np.ones(3, f32), name="b")
    opt = O.Adam()
    opt.build([w, u])
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        opt.apply_gradients([(ag.tensor(np.ones(3, f32)), u), (ag.tensor(np.ones(2, f32)), u)])
    np.testing.assert_array_equal(u.numpy(), np.ones(3))
    assert int(opt.iterations.numpy()) == 0
    stranger = Variable(np.ones(2, f32), name="stranger")
    with pytest.raises(KeyError, match="stranger"):
        opt.apply_gradients([(ag.tensor(np.ones(2, f32)), stranger)])


def test_constraints_are_applied_after_the_update():
    w = Variable(np.array([1.0, -1.0], f32), name="w", constraint=constraints.NonNeg())
    O.SGD(1.0).apply_gradients([(ag.tensor(np.array([2.0, -3.0], f32)), w)])
    np.testing.assert_array_equal(w.numpy(), [0.0, 2.0])


def test_get_and_set_weights_restore_the_state():
    w0, grads = _problem()
    opt = O.Adam(0.01, amsgrad=True)
    _run(opt, w0, grads[:2])
    state = opt.get_weights()
    fresh = O.Adam(0.01, amsgrad=True)
    with pytest.raises(ValueError, match="not yet been built"):
        fresh.set_weights(state)
    fresh.build([Variable(w0[0], name="dense/kernel"), Variable(w0[1], name="dense/bias")])
    bad = list(state)
    bad[1] = np.zeros((2, 2), f32)
    with pytest.raises(ValueError, match="shape"):
        fresh.set_weights(bad)
    assert int(fresh.iterations.numpy()) == 0  # all-or-nothing
    fresh.set_weights(state)
    for a, b in zip(fresh.get_weights(), state):
        np.testing.assert_array_equal(a, b)


def test_nadam_continues_after_a_restore_as_if_uninterrupted():
    w0, grads = _problem()
    straight = _eager(O.Nadam(0.01))
    vs_straight = _run(straight, w0, grads)
    first = _eager(O.Nadam(0.01))
    vs = _run(first, w0, grads[:2])
    second = _eager(O.Nadam(0.01))
    vs2 = [Variable(vs[0].numpy(), name="dense/kernel"), Variable(vs[1].numpy(), name="dense/bias")]
    second.build(vs2)
    second.set_weights(first.get_weights())
    for g in grads[2:]:
        second.apply_gradients(zip([ag.tensor(x) for x in g], vs2))
    np.testing.assert_allclose(vs2[0].numpy(), vs_straight[0].numpy(), rtol=1e-6)


def test_apply_and_minimize():
    w = Variable(np.array([1.0, 2.0], f32), name="w")
    opt = O.SGD(0.25)
    opt.apply([ag.tensor(np.array([1.0, 1.0], f32))], [w])
    np.testing.assert_allclose(w.numpy(), [0.75, 1.75])
    opt.apply([ag.tensor(np.array([1.0, 1.0], f32))])   # the variables it was built with
    np.testing.assert_allclose(w.numpy(), [0.5, 1.5])
    opt.minimize(lambda: ag.sum(ag.square(w)), [w])   # gradient 2w
    np.testing.assert_allclose(w.numpy(), [0.25, 0.75])


def test_ema_keeps_a_moving_average_and_finalizes():
    w = Variable(np.array([0.0], f32), name="w")
    opt = O.SGD(1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(2):
        opt.apply_gradients([(ag.tensor(np.array([-1.0], f32)), w)])
    # w: 1, 2; average: 0.5 * 0 + 0.5 * 1 = 0.5, then 0.5 * 0.5 + 0.5 * 2 = 1.25
    np.testing.assert_allclose(w.numpy(), [2.0])
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [1.25])


def test_schedules_follow_their_formulas():
    e = schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    assert float(e(6)) == pytest.approx(0.1 * 0.5 ** 1.5, rel=1e-6)
    es = schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    assert float(es(6)) == pytest.approx(0.05, rel=1e-6)
    p = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [float(p(t)) for t in (0, 10, 11, 20, 21)] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1])
    c = schedules.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    for t in (0, 3, 10, 15):
        frac = min(t, 10) / 10
        assert float(c(t)) == pytest.approx(0.9 * 0.5 * (1 + np.cos(np.pi * frac)) + 0.1, rel=1e-5, abs=1e-6)
    cw = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=5)
    assert float(cw(2)) == pytest.approx(0.4, rel=1e-6)
    assert float(cw(5)) == pytest.approx(1.0, rel=1e-6)
    it = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert float(it(4)) == pytest.approx(1.0 / (1 + 0.5 * 2), rel=1e-6)
    pd = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=2.0)
    assert float(pd(5)) == pytest.approx(0.25, rel=1e-6)
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])
    cfg = schedules.serialize(c)
    assert cfg["class_name"] == "CosineDecay"
    assert float(schedules.deserialize(cfg)(3)) == pytest.approx(float(c(3)))


def test_legacy_configs_from_older_tf_keras_files_become_legacy_optimizers():
    opt = O.deserialize({"class_name": "SGD", "config": {"name": "SGD", "lr": 0.1, "decay": 0.0, "momentum": 0.9,
                                                         "nesterov": False}})
    assert isinstance(opt, O.legacy.SGD) and opt.get_config()["learning_rate"] == pytest.approx(0.1)
    opt = O.deserialize({"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.01, "decay": 0.5,
                                                          "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                                                          "amsgrad": False}})
    # legacy decay: lr / (1 + decay * iterations)
    opt.iterations = 4
    assert float(opt._decayed_lr("float32")) == pytest.approx(0.01 / (1 + 0.5 * 4), rel=1e-6)


def ref_nadam_fit(ws, gs, lr, b1=0.9, b2=0.999, eps=1e-7):
    """tf.keras's Nadam as traced inside fit (measured with tf_keras 2.21): with K variables the k-th update
    carries the counter K + 1 + k and multiplies the shared momentum-cache product by u_t unless
    counter == step + 1."""
    ws = [w.copy() for w in ws]
    ms = [np.zeros_like(w) for w in ws]
    vs = [np.zeros_like(w) for w in ws]
    k_vars = len(ws)
    prod = f32(1.0)
    for t, g_step in enumerate(gs, start=1):
        u_t = f32(b1) * (f32(1) - f32(0.5) * f32(0.96) ** f32(t))
        u_t1 = f32(b1) * (f32(1) - f32(0.5) * f32(0.96) ** f32(t + 1))
        for k, g in enumerate(g_step):
            if k_vars + 1 + k != t + 1:
                prod = f32(prod * u_t)
            ms[k] = ms[k] + (g - ms[k]) * f32(1 - b1)
            vs[k] = vs[k] + (g * g - vs[k]) * f32(1 - b2)
            m_hat = u_t1 * ms[k] / (f32(1) - prod * u_t1) + (f32(1) - u_t) * g / (f32(1) - prod)
            v_hat = vs[k] / (f32(1) - f32(b2) ** f32(t))
            ws[k] = ws[k] - m_hat * f32(lr) / (np.sqrt(v_hat) + f32(eps))
    return ws


def test_nadam_reproduces_the_momentum_cache_of_tf_keras_fit_by_default():
    rng = np.random.default_rng(5)
    w0 = [rng.standard_normal(s).astype(f32) for s in ((3, 2), (2,), (2, 2))]
    grads = [[rng.standard_normal(w.shape).astype(f32) for w in w0] for _ in range(6)]
    opt = O.Nadam(0.01)
    assert opt.emulate_fit_trace
    vs = [Variable(w, name=f"v{i}") for i, w in enumerate(w0)]
    for g in grads:
        opt.apply_gradients(zip([ag.tensor(x) for x in g], vs))
    for v, ref in zip(vs, ref_nadam_fit(w0, grads, 0.01)):
        np.testing.assert_allclose(v.numpy(), ref, rtol=2e-6, atol=2e-7)
    eager = _eager(O.Nadam(0.01))
    vs2 = [Variable(w, name=f"v{i}") for i, w in enumerate(w0)]
    for g in grads:
        eager.apply_gradients(zip([ag.tensor(x) for x in g], vs2))
    np.testing.assert_allclose(vs2[0].numpy(), ref_nadam(w0[0], [g[0] for g in grads], 0.01)[0], rtol=2e-6)
    assert not np.allclose(vs[0].numpy(), vs2[0].numpy(), rtol=1e-5)   # the two really differ
