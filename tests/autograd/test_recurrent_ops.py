"""Fused recurrent primitives against step-by-step numpy references, and their gradients.

The references follow tf.keras's ``backend.rnn`` literally: at a masked step the states are kept and
the output repeats the previous output (zeros before any unmasked step, or always zeros with
``zero_output_for_mask``); ``go_backwards`` reads the sequence from its end and returns the outputs in
that (processing) order.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag

RNG = np.random.default_rng(7)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def keras3_hard_sigmoid(z):
    return np.clip(z + 3.0, 0.0, 6.0) / 6.0


ACTS = {"tanh": np.tanh, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "keras3_hard_sigmoid": keras3_hard_sigmoid,
        "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}


def lstm_cell(x, states, W, R, b, act, ract):
    h, c = states
    z = x @ W + h @ R + (0 if b is None else b)
    i, f, g, o = np.split(z, 4, axis=-1)
    c = ACTS[ract](f) * c + ACTS[ract](i) * ACTS[act](g)
    h = ACTS[ract](o) * ACTS[act](c)
    return h, [h, c]


def gru_cell(x, states, W, R, b, act, ract, reset_after):
    (h,) = states
    u = h.shape[-1]
    if reset_after:
        bi, br = (0, 0) if b is None else (b[0], b[1])
        xz, xr, xh = np.split(x @ W + bi, 3, axis=-1)
        rz, rr, rh = np.split(h @ R + br, 3, axis=-1)
        z, r = ACTS[ract](xz + rz), ACTS[ract](xr + rr)
        hh = ACTS[act](xh + r * rh)
    else:
        xz, xr, xh = np.split(x @ W + (0 if b is None else b), 3, axis=-1)
        z = ACTS[ract](xz + h @ R[:, :u])
        r = ACTS[ract](xr + h @ R[:, u:2 * u])
        hh = ACTS[act](xh + (r * h) @ R[:, 2 * u:])
    h = z * h + (1 - z) * hh
    return h, [h]


def rnn_cell(x, states, W, R, b, act, ract):
    h = ACTS[act](x @ W + states[0] @ R + (0 if b is None else b))
    return h, [h]


def ref_rnn(cell, x, states, mask, go_backwards, zero_output):
    n, steps, _ = x.shape
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    prev_out = np.zeros_like(states[0])
    outs = []
    for t in order:
        out, new = cell(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            out = np.where(m, out, 0.0 if zero_output else prev_out)
            new = [np.where(m, a, s) for a, s in zip(new, states)]
        outs.append(out)
        prev_out, states = out, new
    return [np.stack(outs, axis=1)] + states


def weights(kind, f, u, reset_after=True, use_bias=True):
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    W = RNG.standard_normal((f, gates * u)) * 0.6
    R = RNG.standard_normal((u, gates * u)) * 0.6
    if not use_bias:
        return W, R, None
    b = RNG.standard_normal((2, gates * u) if kind == "gru" and reset_after else (gates * u,)) * 0.5
    return W, R, b


def run_fused(kind, x, states, W, R, b, **kw):
    if kind == "lstm":
        return ag.lstm_sequence(x, states[0], states[1], W, R, b, **kw)
    if kind == "gru":
        return ag.gru_sequence(x, states[0], W, R, b, **kw)
    return ag.simple_rnn_sequence(x, states[0], W, R, b, **kw)


def run_ref(kind, x, states, W, R, b, mask=None, go_backwards=False, zero_output_for_mask=False,
            activation="tanh", recurrent_activation="sigmoid", reset_after=True):
    if kind == "lstm":
        cell = lambda xt, s: lstm_cell(xt, s, W, R, b, activation, recurrent_activation)  # noqa: E731
    elif kind == "gru":
        cell = lambda xt, s: gru_cell(xt, s, W, R, b, activation, recurrent_activation, reset_after)  # noqa: E731
    else:
        cell = lambda xt, s: rnn_cell(xt, s, W, R, b, activation, None)  # noqa: E731
    return ref_rnn(cell, x, list(states), mask, go_backwards, zero_output_for_mask)


def case(kind, n=3, steps=5, f=4, u=3, **kw):
    x = RNG.standard_normal((n, steps, f))
    states = [RNG.standard_normal((n, u)) for _ in range(2 if kind == "lstm" else 1)]
    return x, states


MASK = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 0, 1], [1, 1, 1, 0, 0]], bool)   # leading, inner, trailing gaps


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask,zero_output", [(None, False), (MASK, False), (MASK, True)])
def test_forward_and_gradients(kind, go_backwards, mask, zero_output):
    x, states = case(kind)
    W, R, b = weights(kind, 4, 3)
    kw = dict(mask=mask, go_backwards=go_backwards, zero_output_for_mask=zero_output)
    got = run_fused(kind, x, states, W, R, b, **kw)
    want = run_ref(kind, x, states, W, R, b, **kw)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)

    def loss(x, *rest):
        outs = run_fused(kind, x, rest[:-3], *rest[-3:], **kw)
        return sum((o * np.cos(np.arange(o.size)).reshape(o.shape)).sum() for o in outs)
    ag.gradcheck(loss, x, *states, W, R, b)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_gru_reset_after_variants(reset_after, use_bias):
    x, states = case("gru")
    W, R, b = weights("gru", 4, 3, reset_after, use_bias)
    got = ag.gru_sequence(x, states[0], W, R, b, mask=MASK, reset_after=reset_after)
    want = run_ref("gru", x, states, W, R, b, mask=MASK, reset_after=reset_after)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    args = (x, states[0], W, R) + ((b,) if use_bias else ())
    ag.gradcheck(lambda x, h, W, R, *b: sum(
        (o ** 2).sum() for o in ag.gru_sequence(x, h, W, R, b[0] if b else None, go_backwards=True,
                                                reset_after=reset_after)), *args)


@pytest.mark.parametrize("kind,act,ract", [("lstm", "relu", "hard_sigmoid"), ("lstm", "linear", "tanh"),
                                           ("gru", "relu", "hard_sigmoid"), ("rnn", "relu", None),
                                           ("rnn", "sigmoid", None), ("lstm", "tanh", "keras3_hard_sigmoid"),
                                           ("gru", "tanh", "keras3_hard_sigmoid"), ("rnn", "keras3_hard_sigmoid", None)])
def test_other_activations(kind, act, ract):
    x, states = case(kind)
    if "keras3_hard_sigmoid" in (act, ract):
        x = x * 3.0                                   # both saturations (beyond +-3) are reached
    W, R, b = weights(kind, 4, 3)
    kw = {"activation": act}
    if ract:
        kw["recurrent_activation"] = ract
    got = run_fused(kind, x, states, W, R, b, mask=MASK, **kw)
    want = run_ref(kind, x, states, W, R, b, mask=MASK, **kw)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    ag.gradcheck(lambda x, *s: sum((o ** 2).sum() for o in run_fused(kind, x, s, W, R, b, **kw)), x, *states)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_second_order_through_the_recurrence(kind):
    x, states = case(kind, n=2, steps=3, f=2, u=2)
    W, R, b = weights(kind, 2, 2)
    mask = np.array([[1, 0, 1], [1, 1, 1]], bool)

    def loss(x, *rest):
        outs = run_fused(kind, x, rest[:-3], *rest[-3:], mask=mask, go_backwards=True)
        return sum((o ** 2).sum() for o in outs)
    ag.gradcheck(loss, x, *states, W, R, b, order=2)


def test_backward_twice_and_partial_requirements():
    x, states = case("lstm")
    W, R, b = weights("lstm", 4, 3)
    xt = ag.tensor(x, requires_grad=True)
    Rt = ag.tensor(R, requires_grad=True)
    outs, h, c = ag.lstm_sequence(xt, states[0], states[1], W, Rt, b)   # only x and R require grad
    loss = (outs ** 2).sum() + (c * 3).sum()
    loss.backward(retain_graph=True)
    gx, gr = xt.grad.data.copy(), Rt.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(xt.grad.data, 2 * gx)
    np.testing.assert_allclose(Rt.grad.data, 2 * gr)
    # the same gradients as the whole graph rebuilt from autograd ops (create_graph path)
    xs = ag.tensor(x, requires_grad=True)
    Rs = ag.tensor(R, requires_grad=True)
    outs, h, c = ag.lstm_sequence(xs, states[0], states[1], W, Rs, b)
    g1 = ag.gradients((outs ** 2).sum() + (c * 3).sum(), [xs, Rs], create_graph=True)
    np.testing.assert_allclose(g1[0].data, gx, atol=1e-12)
    np.testing.assert_allclose(g1[1].data, gr, atol=1e-12)


def test_float32_stays_float32_and_no_grad_records_nothing():
    x = ag.tensor(RNG.standard_normal((2, 4, 3)).astype(np.float32), requires_grad=True)
    W, R, b = (a.astype(np.float32) for a in weights("lstm", 3, 5))
    outs, h, c = ag.lstm_sequence(x, None, None, W, R, b)
    assert outs.dtype == h.dtype == c.dtype == np.float32
    assert outs.shape == (2, 4, 5) and h.shape == c.shape == (2, 5)
    np.testing.assert_allclose(outs.data[:, -1], h.data)
    outs.sum().backward()
    assert x.grad.dtype == np.float32
    with ag.no_grad():
        o2, _, _ = ag.lstm_sequence(x, None, None, W, R, b)
    assert not o2.requires_grad
    np.testing.assert_allclose(o2.data, outs.data, rtol=1e-6)


@settings(max_examples=10)
@given(n=st.integers(1, 3), steps=st.integers(1, 4), f=st.integers(1, 3), u=st.integers(1, 3),
       kind=st.sampled_from(["lstm", "gru", "rnn"]), go_backwards=st.booleans(), seed=st.integers(0, 99))
def test_recurrences_over_shapes(n, steps, f, u, kind, go_backwards, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, f))
    states = [rng.standard_normal((n, u)) for _ in range(2 if kind == "lstm" else 1)]
    W, R, b = weights(kind, f, u)
    mask = rng.random((n, steps)) > 0.3
    got = run_fused(kind, x, states, W, R, b, mask=mask, go_backwards=go_backwards)
    want = run_ref(kind, x, states, W, R, b, mask=mask, go_backwards=go_backwards)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    ag.gradcheck(lambda x, W, R: sum((o ** 2).sum() for o in run_fused(kind, x, states, W, R, b, mask=mask,
                                                                        go_backwards=go_backwards)), x, W, R)


def test_errors_name_the_argument():
    x = np.ones((2, 3, 4))
    W, R, b = weights("lstm", 4, 3)
    with pytest.raises(ValueError, match="x must be 3-d"):
        ag.lstm_sequence(np.ones((3, 4)), None, None, W, R, b)
    with pytest.raises(ValueError, match=r"kernel must have shape \(features, 4 \* units\)"):
        ag.lstm_sequence(x, None, None, W[:3], R, b)
    with pytest.raises(ValueError, match="recurrent_kernel must have shape"):
        ag.lstm_sequence(x, None, None, W, R[:, :6], b)
    with pytest.raises(ValueError, match="bias must have shape"):
        ag.lstm_sequence(x, None, None, W, R, b[:5])
    with pytest.raises(ValueError, match="h0 must have shape"):
        ag.lstm_sequence(x, np.ones((3, 3)), None, W, R, b)
    with pytest.raises(ValueError, match="mask must have shape"):
        ag.lstm_sequence(x, None, None, W, R, b, mask=np.ones((2, 4)))
    with pytest.raises(ValueError, match="recurrent_activation must be one of"):
        ag.lstm_sequence(x, None, None, W, R, b, recurrent_activation="softsign")
    Wg, Rg, bg = weights("gru", 4, 3)
    with pytest.raises(ValueError, match=r"bias must have shape \(3, 9\)|bias must have shape \(9,\)"):
        ag.gru_sequence(x, None, Wg, Rg, bg, reset_after=False)


# -- dropout masks (Keras's implementation 1: one mask per gate, the same at every step) ------------


def masked_ref(kind, x, states, W, R, b, dmask, rmask, reset_after=True):
    """Step-by-step reference with per-gate input and recurrent masks (or one mask for all gates)."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    u = R.shape[0]
    dm = [dmask[min(g, len(dmask) - 1)] for g in range(gates)]
    rm = [rmask[min(g, len(rmask) - 1)] for g in range(gates)]
    outs = []
    states = list(states)
    for t in range(x.shape[1]):
        xs = [x[:, t] * dm[g] @ W[:, g * u:(g + 1) * u] for g in range(gates)]
        h = states[0]
        if kind == "lstm":
            bb = np.split(b, 4)
            pre = [xs[g] + bb[g] + (h * rm[g]) @ R[:, g * u:(g + 1) * u] for g in range(4)]
            c = sigmoid(pre[1]) * states[1] + sigmoid(pre[0]) * np.tanh(pre[2])
            h = sigmoid(pre[3]) * np.tanh(c)
            states = [h, c]
        elif kind == "gru":
            if reset_after:
                bi, br = np.split(b[0], 3), np.split(b[1], 3)
                rec = [(h * rm[g]) @ R[:, g * u:(g + 1) * u] + br[g] for g in range(3)]
                z = sigmoid(xs[0] + bi[0] + rec[0])
                r = sigmoid(xs[1] + bi[1] + rec[1])
                hh = np.tanh(xs[2] + bi[2] + r * rec[2])
            else:
                bi = np.split(b, 3)
                z = sigmoid(xs[0] + bi[0] + (h * rm[0]) @ R[:, :u])
                r = sigmoid(xs[1] + bi[1] + (h * rm[1]) @ R[:, u:2 * u])
                hh = np.tanh(xs[2] + bi[2] + (r * h * rm[2]) @ R[:, 2 * u:])
            h = z * h + (1 - z) * hh
            states = [h]
        else:
            h = np.tanh(xs[0] + b + (h * rm[0]) @ R)
            states = [h]
        outs.append(h)
    return [np.stack(outs, axis=1)] + states


@pytest.mark.parametrize("kind,reset_after", [("lstm", True), ("gru", True), ("gru", False), ("rnn", True)])
@pytest.mark.parametrize("per_gate", [True, False])
def test_dropout_masks(kind, reset_after, per_gate):
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind] if per_gate else 1
    x, states = case(kind)
    W, R, b = weights(kind, 4, 3, reset_after)
    dmask = (RNG.random((gates, 3, 4)) > 0.3) / 0.7
    rmask = (RNG.random((gates, 3, 3)) > 0.4) / 0.6
    kw = dict(dropout_mask=dmask if per_gate else dmask[0], recurrent_dropout_mask=rmask if per_gate else rmask[0])
    if kind == "gru":
        kw["reset_after"] = reset_after
    got = run_fused(kind, x, states, W, R, b, **kw)
    want = masked_ref(kind, x, states, W, R, b, dmask, rmask, reset_after)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    ag.gradcheck(lambda x, *rest: sum((o ** 2).sum() for o in run_fused(kind, x, rest[:-3], *rest[-3:], **kw)),
                 x, *states, W, R, b)


def test_dropout_masks_second_order_and_errors():
    x, states = case("gru", n=2, steps=3, f=2, u=2)
    W, R, b = weights("gru", 2, 2, reset_after=False)
    kw = dict(reset_after=False, dropout_mask=(RNG.random((3, 2, 2)) > 0.5) * 2.0,
              recurrent_dropout_mask=(RNG.random((3, 2, 2)) > 0.5) * 2.0)
    ag.gradcheck(lambda x, h, W, R: sum((o ** 2).sum() for o in ag.gru_sequence(x, h, W, R, b, **kw)),
                 x, states[0], W, R, order=2)
    with pytest.raises(ValueError, match=r"recurrent_dropout_mask must have shape \(batch, 2\)"):
        ag.gru_sequence(x, None, W, R, b, reset_after=False, recurrent_dropout_mask=np.ones((4, 2, 2)))
    with pytest.raises(ValueError, match="dropout_mask must have shape"):
        ag.simple_rnn_sequence(x, None, W[:, :2], R[:, :2], None, dropout_mask=np.ones((3, 2, 2)))


def test_gradients_for_some_inputs_only():
    # asking for an intermediate's gradient lets the engine skip the other inputs of the fused op
    x, states = case("lstm")
    W, R, b = weights("lstm", 4, 3)
    leaves = [ag.tensor(a, requires_grad=True) for a in (x, states[0], states[1], W, R, b)]
    mid = leaves[0] * 1.0
    outs, h, c = ag.lstm_sequence(mid, *leaves[1:])
    (g_mid,) = ag.gradients((outs ** 2).sum(), [mid])
    outs, h, c = ag.lstm_sequence(leaves[0] * 1.0, *leaves[1:])
    full = ag.gradients((outs ** 2).sum(), leaves)
    np.testing.assert_allclose(g_mid.data, full[0].data, atol=1e-12)
    eps = 1e-6
    Rp = R.copy()
    Rp[0, 0] += eps
    num = ((ag.lstm_sequence(x, states[0], states[1], W, Rp, b)[0].data ** 2).sum()
           - (ag.lstm_sequence(x, states[0], states[1], W, R, b)[0].data ** 2).sum()) / eps
    np.testing.assert_allclose(full[4].data[0, 0], num, rtol=1e-4)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("use", ["h", "c", "outputs", "last_output"])
def test_default_lstm_takes_the_fused_path_and_its_gradients_hold(use_bias, go_backwards, use):
    # no mask, no dropout, tanh/sigmoid: one primitive with projection and bias inside (lstm_fused.py),
    # whichever of its outputs the loss reads
    from autograd.ops import lstm_fused
    x, states = case("lstm")
    W, R, b = weights("lstm", 4, 3, use_bias=use_bias)
    outs, h, c = ag.lstm_sequence(ag.tensor(x, requires_grad=True), *states, W, R, b, go_backwards=go_backwards)
    packed = h._ctx[1][0]
    assert packed._ctx[0] is lstm_fused._lstm_fused_prim
    want = run_ref("lstm", x, states, W, R, b if use_bias else np.zeros(12), go_backwards=go_backwards)
    for g, w in zip((outs, h, c), want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    wts = np.cos(np.arange(x.shape[0] * x.shape[1] * 3))

    def loss(x, h0, c0, W, R, *bias):
        outs, h, c = ag.lstm_sequence(x, h0, c0, W, R, bias[0] if bias else None, go_backwards=go_backwards)
        pick = {"h": h, "c": c, "outputs": outs, "last_output": outs[:, -1]}[use]
        return (pick * wts[:pick.size].reshape(pick.shape)).sum()
    ag.gradcheck(loss, x, *states, W, R, *([b] if use_bias else []))
    ag.gradcheck(loss, x, *states, W, R, *([b] if use_bias else []), order=2)


def test_fused_lstm_mixed_dtypes_and_zero_states():
    # float32 input with float64 weights computes in float64, as the general path; None states are zeros
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    W, R, b = weights("lstm", 4, 5)
    outs, h, c = ag.lstm_sequence(x, None, None, W, R, b)
    assert outs.dtype == np.float64
    want = run_ref("lstm", x.astype(np.float64), [np.zeros((2, 5))] * 2, W, R, b)
    np.testing.assert_allclose(c.data, want[2], atol=1e-12)


@settings(max_examples=10)
@given(n=st.integers(1, 3), steps=st.integers(1, 4), f=st.integers(1, 3), u=st.integers(1, 3),
       go_backwards=st.booleans(), use_bias=st.booleans(), seed=st.integers(0, 99))
def test_fused_lstm_over_shapes(n, steps, f, u, go_backwards, use_bias, seed):
    # the default LSTM's fused path (no mask) against the step-by-step reference, down to single steps,
    # single units and a batch of one
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, f))
    states = [rng.standard_normal((n, u)) for _ in range(2)]
    W, R, b = weights("lstm", f, u, use_bias=use_bias)
    got = ag.lstm_sequence(x, *states, W, R, b, go_backwards=go_backwards)
    want = run_ref("lstm", x, states, W, R, b if use_bias else np.zeros(4 * u), go_backwards=go_backwards)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    ag.gradcheck(lambda x, h0, c0, W, R: sum((o ** 2).sum() for o in ag.lstm_sequence(
        x, h0, c0, W, R, b, go_backwards=go_backwards)), x, *states, W, R)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("use", ["h", "outputs", "last_output"])
def test_default_gru_takes_the_fused_path_and_its_gradients_hold(use_bias, go_backwards, use):
    # reset_after=True, tanh/sigmoid, no mask, no dropout: one primitive (gru_fused.py)
    from autograd.ops import gru_fused
    x, states = case("gru")
    W, R, b = weights("gru", 4, 3, use_bias=use_bias)
    outs, h = ag.gru_sequence(ag.tensor(x, requires_grad=True), states[0], W, R, b, go_backwards=go_backwards)
    assert h._ctx[1][0]._ctx[0] is gru_fused._gru_fused_prim
    want = run_ref("gru", x, states, W, R, b, go_backwards=go_backwards)
    for g, w in zip((outs, h), want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    wts = np.cos(np.arange(x.shape[0] * x.shape[1] * 3))

    def loss(x, h0, W, R, *bias):
        outs, h = ag.gru_sequence(x, h0, W, R, bias[0] if bias else None, go_backwards=go_backwards)
        pick = {"h": h, "outputs": outs, "last_output": outs[:, -1]}[use]
        return (pick * wts[:pick.size].reshape(pick.shape)).sum()
    ag.gradcheck(loss, x, states[0], W, R, *([b] if use_bias else []))
    ag.gradcheck(loss, x, states[0], W, R, *([b] if use_bias else []), order=2)


@settings(max_examples=10)
@given(n=st.integers(1, 3), steps=st.integers(1, 4), f=st.integers(1, 3), u=st.integers(1, 3),
       go_backwards=st.booleans(), use_bias=st.booleans(), seed=st.integers(0, 99))
def test_fused_gru_over_shapes(n, steps, f, u, go_backwards, use_bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, f))
    h0 = rng.standard_normal((n, u))
    W, R, b = weights("gru", f, u, use_bias=use_bias)
    got = ag.gru_sequence(x, h0, W, R, b, go_backwards=go_backwards)
    want = run_ref("gru", x, [h0], W, R, b, go_backwards=go_backwards)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-12)
    ag.gradcheck(lambda x, h0, W, R: sum((o ** 2).sum() for o in ag.gru_sequence(
        x, h0, W, R, b, go_backwards=go_backwards)), x, h0, W, R)


def test_fused_gru_bias_gradient_and_float32():
    # the (2, 3 units) bias's gradient, input row and recurrent row, through the folded ones row
    x = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    W, R, b = (a.astype(np.float32) for a in weights("gru", 3, 5))
    bt = ag.tensor(b, requires_grad=True)
    outs, h = ag.gru_sequence(x, None, W, R, bt)
    assert outs.dtype == h.dtype == np.float32
    (outs.sum() + (h * 2).sum()).backward()
    assert bt.grad.dtype == np.float32
    b64 = ag.tensor(b.astype(np.float64), requires_grad=True)
    o64, h64 = ag.gru_sequence(x.astype(np.float64), None, W.astype(np.float64), R.astype(np.float64), b64)
    (o64.sum() + (h64 * 2).sum()).backward()
    np.testing.assert_allclose(bt.grad.data, b64.grad.data, rtol=1e-4, atol=1e-5)
    assert np.abs(bt.grad.data[1]).sum() > 0 and not np.allclose(bt.grad.data[0, 10:], bt.grad.data[1, 10:])


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_keras3_hard_sigmoid_recurrence_rebuilt_from_ops_gives_the_fused_gradients(kind):
    """create_graph=True differentiates the recurrence rebuilt from autograd ops (relu6(z + 3) / 6 as an add, a relu,
    a clip and a division): the same gradients as the fused backward."""
    x, states = case(kind)
    x = x * 3.0
    W, R, b = weights(kind, 4, 3)
    kw = {"activation": "keras3_hard_sigmoid"} if kind == "rnn" else {"recurrent_activation": "keras3_hard_sigmoid"}
    grads = []
    for create_graph in (False, True):
        xt, Rt = ag.tensor(x, requires_grad=True), ag.tensor(R, requires_grad=True)
        outs = run_fused(kind, xt, states, W, Rt, b, mask=MASK, **kw)
        loss = sum((o ** 2).sum() for o in outs)
        grads.append([g.data for g in ag.gradients(loss, [xt, Rt], create_graph=create_graph)])
    for a, b_ in zip(*grads):
        np.testing.assert_allclose(b_, a, atol=1e-12)
