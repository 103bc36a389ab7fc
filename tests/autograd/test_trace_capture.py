"""autograd.trace.capture / Replay: a whole step (forward, backward as vjp calls, in-place updates, host callbacks)
recorded while it runs and replayed by one generated function with the eager step's numbers, exactly."""
import numpy as np
import pytest

import autograd as ag
from autograd.trace import TraceError


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return [ag.Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True),
            ag.Tensor(np.zeros(4, np.float32), requires_grad=True),
            ag.Tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)]


def _step(p):
    def step(x):
        h = ag.relu(ag.matmul(x, p[0]) + p[1])                       # the bias broadcasts: sum_to in backward
        loss = ag.mean(ag.tanh(ag.matmul(h, p[2])) ** 2)
        return [loss] + ag.gradients(loss, p)
    return step


def _data(seed, shape=(5, 3)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_a_replay_gives_the_eager_steps_numbers_exactly_on_new_data():
    p = _params()
    _, cap = ag.trace.capture(_step(p), [_data(1)])
    assert cap.failure is None
    ops = [n.op for n in cap.graph.nodes]
    assert "@vjp" in ops and "matmul" in ops and "sum_to" in ops     # the backward is recorded vjp by vjp
    replay = cap.compile()
    for seed in (2, 3):
        x = _data(seed)
        got = replay([x])
        want = _step(p)(ag.Tensor(x))
        assert len(got) == len(want) == 4
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a.data, b.data)
            assert a.data.dtype == b.data.dtype == np.float32


def test_weights_are_read_by_reference_at_every_replay():
    p = _params()
    _, cap = ag.trace.capture(_step(p), [_data(1)])
    replay = cap.compile()
    x = _data(4)
    before = replay([x])[0].data.copy()
    with ag.no_grad():
        ag.assign_sub(p[2], 0.5 * p[2].data)                         # an optimizer's in-place update
    after = replay([x])[0].data
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, _step(p)(ag.Tensor(x))[0].data)


_np_vjp_calls = []
_softsign = ag.primitive(lambda x: x / (1.0 + np.abs(x)), name="capture_test_softsign")


def _softsign_vjp(g, ans, x):
    _np_vjp_calls.append(1)
    return g.data / (1.0 + np.abs(x.data)) ** 2          # numpy on the arrays: the replay must call it again


ag.defvjp(_softsign, _softsign_vjp)


def test_a_vjp_that_computes_with_numpy_is_replayed_by_calling_it():
    w = ag.Tensor(np.linspace(-1, 1, 6).reshape(3, 2), requires_grad=True)

    def step(x):
        loss = ag.sum(_softsign(ag.matmul(x, w)))
        return [loss] + ag.gradients(loss, [w])

    _, cap = ag.trace.capture(step, [np.ones((4, 3))])
    replay = cap.compile()
    calls = len(_np_vjp_calls)
    x = _data(5, (4, 3)).astype(np.float64)
    got = replay([x])
    assert len(_np_vjp_calls) == calls + 1
    np.testing.assert_array_equal(got[1].data, step(ag.Tensor(x))[1].data)


def test_saved_activations_of_fused_ops_are_handed_from_the_replayed_forward_to_its_vjps():
    rng = np.random.default_rng(0)
    k = ag.Tensor(rng.standard_normal((3, 3, 2, 4)).astype(np.float32), requires_grad=True)
    b = ag.Tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)

    def step(x):
        h = ag.conv2d(x, k, bias=b, activation="relu")              # conv + bias + relu: scratch dicts
        loss = ag.sum(ag.max_pool2d(h, 2) ** 2)                     # max pooling reads the conv's memo
        return [loss] + ag.gradients(loss, [k, b])

    _, cap = ag.trace.capture(step, [rng.random((2, 8, 8, 2)).astype(np.float32)])
    assert cap.failure is None
    replay = cap.compile()
    for seed in (1, 2):
        x = np.random.default_rng(seed).random((2, 8, 8, 2)).astype(np.float32)
        for a, w in zip(replay([x]), step(ag.Tensor(x))):
            np.testing.assert_array_equal(a.data, w.data)


def test_random_draws_are_fresh_on_every_replay_from_the_same_generator_as_eager():
    w = ag.Tensor(np.ones((4, 4), np.float32), requires_grad=True)
    gen = np.random.default_rng(7)

    def step(x):
        loss = ag.sum(ag.dropout(ag.matmul(x, w), 0.5, gen))
        return [loss] + ag.gradients(loss, [w])

    x = np.ones((8, 4), np.float32)
    _, cap = ag.trace.capture(step, [x])
    replay = cap.compile()
    twin = np.random.default_rng(0)
    twin.bit_generator.state = gen.bit_generator.state
    first, second = replay([x]), replay([x])
    assert not np.array_equal(first[1].data, second[1].data)         # a frozen mask would repeat
    gen.bit_generator.state = twin.bit_generator.state               # eager, from the same point of the stream
    for got, want in ((first, step(ag.Tensor(x))), (second, step(ag.Tensor(x)))):
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a.data, b.data)


def test_in_place_updates_are_replayed_in_order_on_the_live_tensors():
    stat = ag.Tensor(np.zeros(3))
    count = ag.Tensor(np.zeros(()))

    def step(x):
        m = ag.mean(x, axis=0)
        out = x - stat                                               # reads the statistic before the update
        with ag.no_grad():
            ag.assign(stat, stat * 0.9 + m * 0.1)
            ag.assign_add(count, 1.0)
        return [ag.sum(out * stat)]                                  # and after it

    _, cap = ag.trace.capture(step, [np.ones((4, 3))])
    assert [n.op for n in cap.graph.nodes if n.op.startswith("@")] == ["@assign", "@assign_add"]
    replay = cap.compile()
    s0, c0 = stat.data.copy(), count.data.copy()
    xs = [_data(s, (4, 3)).astype(np.float64) for s in (1, 2, 3)]
    got = [replay([x])[0].data for x in xs]
    replayed = (stat.data.copy(), count.data.copy())
    ag.assign(stat, s0)
    ag.assign(count, c0)
    want = [step(ag.Tensor(x))[0].data for x in xs]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(replayed[0], stat.data)
    assert float(replayed[1]) == float(count.data) == 4.0


def test_host_callbacks_run_again_on_every_replay_with_its_values():
    seen = []

    def step(x):
        y = ag.exp(x)
        ag.trace.active().host_call(lambda v, scale=1.0: seen.append(float(np.sum(v.data)) * scale), (y,),
                                    {"scale": 2.0})
        return [y]

    _, cap = ag.trace.capture(step, [np.zeros(2)])
    assert seen == [4.0]
    cap.compile()([np.ones(2)])
    assert seen == [4.0, pytest.approx(4 * np.e)]


def test_two_captures_that_differ_name_what_depends_on_the_data():
    def numpy_inside(x):
        return [x + np.sort(x.data, axis=0)]                          # an array no op made: a constant

    def branch(x):
        return [ag.exp(x) if float(x.data.sum()) > 0 else ag.sin(x)]

    for fn, message in ((numpy_inside, "reads an array that no autograd op made"),
                        (branch, "op 0 of the step is op 'exp' the first time and op 'sin'")):
        _, a = ag.trace.capture(fn, [_data(1)])
        _, same = ag.trace.capture(fn, [_data(1)])
        _, other = ag.trace.capture(fn, [-np.abs(_data(2))])
        assert a.differs(same) is None                                # the same data shows nothing
        assert message in a.differs(other)


def test_what_cannot_be_recorded_leaves_the_computation_running_and_says_why():
    odd = ag.primitive(lambda x, f: x * f.scale, name="capture_test_odd")

    class Scale:
        scale = 3.0

    def step(x):
        return [ag.exp(odd(x, Scale()))]

    out, cap = ag.trace.capture(step, [np.zeros(2)])
    np.testing.assert_array_equal(out[0].data, np.ones(2))            # computed all the same
    assert "capture_test_odd" in cap.failure and "Scale" in cap.failure
    assert ag.trace.active() is None
    with pytest.raises(TraceError, match="could not be captured"):
        cap.compile()


def test_a_replay_checks_its_inputs():
    _, cap = ag.trace.capture(lambda x: [ag.exp(x)], [np.zeros((2, 3), np.float32)])
    replay = cap.compile()
    with pytest.raises(TraceError, match=r"input 0 must be an array of shape \(2, 3\) and dtype float32"):
        replay([np.zeros((3, 3), np.float32)])
    with pytest.raises(TraceError, match="takes 1 inputs, received 2"):
        replay([np.zeros((2, 3), np.float32)] * 2)


def test_a_replay_leaves_out_what_its_outputs_do_not_need_but_keeps_random_draws():
    gen = np.random.default_rng(0)

    def step(x):
        ag.log(x)                                                      # unused
        ag.dropout(x, 0.5, gen)                                        # unused, but it advances the stream
        return [ag.exp(x)]

    _, cap = ag.trace.capture(step, [np.ones(4)])
    replay = cap.compile()
    assert "log" not in replay.source.replace("_replay", "")
    state = gen.bit_generator.state["state"]["state"]
    replay([np.ones(4)])
    assert gen.bit_generator.state["state"]["state"] != state


@pytest.mark.parametrize("read", [bool, float, int, lambda t: t.item(), lambda t: t.tolist(),
                                  lambda t: [False, True][ag.astype(t, np.int64)]],
                         ids=["bool", "float", "int", "item", "tolist", "index"])
def test_reading_a_value_of_the_step_into_python_stops_the_capture(read):
    w = ag.Tensor(np.ones(1, np.float32), requires_grad=True)
    limit = ag.Tensor(np.zeros((), np.float32))                     # made outside the step: a constant, fine

    def step(x):
        assert float(limit) == 0.0 and not bool(limit) and limit.item() == 0   # a constant's value: fine
        s = ag.sum(x * w)
        s = s * 2.0 if read(ag.reshape(ag.greater(s, 0.0), ())) else s       # a branch on the data
        return [s]
    _, cap = ag.trace.capture(lambda x: [x * 2.0] if float(limit) == 0.0 else [x], [np.ones(1, np.float32)])
    assert cap.failure is None
    out, cap = ag.trace.capture(step, [np.ones(1, np.float32)])
    assert float(out[0].data) == 2.0                                # the step ran on
    assert cap.failure is not None and "reads a value it computed into Python" in cap.failure
    with pytest.raises(TraceError, match="could not be captured"):
        cap.compile()
    # the same read of a weight (state, read by reference at every replay) stops it too
    _, cap = ag.trace.capture(lambda x: [x * 2.0] if read(ag.reshape(ag.greater(w, 0.0), ())) else [x], [np.ones(1)])
    assert cap.failure is not None and "into Python" in cap.failure
