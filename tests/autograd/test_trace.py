"""autograd.trace: a computation recorded as a graph of registered primitives (with parameters, constants and
updates), symbolic in the batch axis, replayed differentiably, written to JSON and read back with every
argument and shape checked."""
import json

import numpy as np
import pytest

import autograd as ag
from autograd.trace import Batch, TraceError


def _mlp_params():
    rng = np.random.default_rng(0)
    return {"w1": ag.Tensor(rng.standard_normal((3, 4)), requires_grad=True),
            "b1": ag.Tensor(np.zeros(4), requires_grad=True),
            "w2": ag.Tensor(rng.standard_normal((4, 2)), requires_grad=True)}


def _mlp(p):
    return lambda x: ag.matmul(ag.relu(ag.matmul(x, p["w1"]) + p["b1"]), p["w2"])


def test_a_trace_lists_primitives_by_name_with_parameters_and_replays_differentiably():
    p = _mlp_params()
    g = ag.trace.trace(_mlp(p), [np.ones((5, 3))], params=p)
    assert [n.op for n in g.nodes] == ["matmul", "add", "relu", "matmul"]
    assert sorted(g.params) == ["b1", "w1", "w2"] and not g.constants
    x = np.random.default_rng(1).standard_normal((5, 3))
    (y,) = g.run([x], params=p)
    np.testing.assert_allclose(y.numpy(), _mlp(p)(ag.Tensor(x)).numpy())
    # gradients through the replay reach the parameters, as through the original
    got = ag.gradients(ag.sum(y ** 2), [p["w1"], p["w2"]])
    want = ag.gradients(ag.sum(_mlp(p)(ag.Tensor(x)) ** 2), [p["w1"], p["w2"]])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy())
    # every node names its inputs and output; values of the other kinds are graph leaves
    for node in g.nodes:
        assert all(r in g.values for r in node.refs()) and g.values[node.out].kind == "op"


def test_what_depends_on_the_batch_becomes_a_formula_of_it():
    def fn(x):
        n = x.shape[0]
        flat = ag.reshape(x, (n * 3, -1))                       # an int a * batch + c
        h0 = ag.Tensor(np.zeros((n, 2)))                         # an array no op made: a fill
        scaled = flat * (1.0 / n)                                # a float a / batch
        ratio = scaled * ((3 * n) / (3 * n - 1))                 # BatchNormalization's n / (n - 1)
        return [ratio, h0 + 1.0]

    g = ag.trace.trace_batched(fn, lambda b: [np.ones((b, 6))])
    reshape = g.nodes[0]
    assert reshape.args[1] == (Batch(3, 0), -1)
    fills = [v for v in g.values.values() if v.kind == "fill"]
    assert len(fills) == 1 and fills[0].shape == (Batch(1, 0), 2) and fills[0].fill == 0.0
    kinds = sorted(a.kind for n in g.nodes for a in n.args if type(a) is Batch and a.kind != "int")
    assert kinds == ["inverse", "ratio"]
    for b in (1, 4, 11):                                         # sizes it was never traced at
        x = np.random.default_rng(b).random((b, 6))
        got, want = g.run([x]), fn(ag.Tensor(x))
        for a, w in zip(got, want):
            np.testing.assert_allclose(a.numpy(), w.numpy(), rtol=1e-12)


def test_a_computation_that_cannot_be_traced_once_for_all_batch_sizes_is_refused_by_name():
    with pytest.raises(TraceError, match="structure depends on the batch size"):
        ag.trace.trace_batched(lambda x: ag.exp(x) if x.shape[0] < 4 else ag.log(x) * 2.0,
                               lambda b: [np.ones((b, 2))])
    with pytest.raises(TraceError, match=r"op 'add'.*computed with numpy from the inputs' values"):
        ag.trace.trace_batched(lambda x: x + np.sort(x.numpy(), axis=0), lambda b: [np.random.rand(b, 2)])
    with pytest.raises(TraceError, match="not as a \\* batch \\+ c"):
        ag.trace.trace_batched(lambda x: ag.reshape(x, (x.shape[0] ** 2 // x.shape[0] ** 2, -1)) *
                               float(x.shape[0] ** 3), lambda b: [np.ones((b, 2))])


def test_random_draws_are_ops_of_the_graph_replayed_with_the_given_generator():
    g = ag.trace.trace_batched(lambda x: ag.dropout(x, 0.5, np.random.default_rng(0)),
                               lambda b: [np.ones((b, 8), np.float32)])
    assert "random_uniform" in g.ops()
    x = np.ones((6, 8), np.float32)
    a = g.run([x], rng=np.random.default_rng(3))[0].numpy()
    b = ag.dropout(x, 0.5, np.random.default_rng(3)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, g.run([x], rng=np.random.default_rng(4))[0].numpy())


def test_updates_made_under_no_grad_are_recorded_and_applied_on_request():
    stat = ag.Tensor(np.zeros(3))

    def fn(x):
        m = ag.mean(x, axis=0)
        with ag.no_grad():
            ag.assign(stat, stat * 0.9 + m * 0.1)
        return x - m

    g = ag.trace.trace_batched(fn, lambda b: [np.ones((b, 3))], params={"stat": stat})
    assert [(k, g.values[p].name) for k, p, _ in g.updates] == [("assign", "stat")]
    target = ag.Tensor(np.ones(3))
    g.run([np.full((4, 3), 2.0)], params={"stat": target})
    np.testing.assert_array_equal(target.numpy(), np.ones(3))              # not without apply_updates
    g.run([np.full((4, 3), 2.0)], params={"stat": target}, apply_updates=True)
    np.testing.assert_allclose(target.numpy(), np.full(3, 0.9 + 0.2))


def test_a_stop_of_the_gradient_is_kept_by_the_trace():
    w = ag.Tensor(np.array([2.0, 3.0]), requires_grad=True)
    fn = lambda x: x * w + ag.stop_gradient(w) * w                       # noqa: E731
    g = ag.trace.trace(fn, [np.ones(2)], params={"w": w})
    assert "stop_gradient" in g.ops()
    (got,) = ag.gradients(ag.sum(g.run([np.ones(2)], params={"w": w})[0]), [w])
    (want,) = ag.gradients(ag.sum(fn(ag.Tensor(np.ones(2)))), [w])
    np.testing.assert_array_equal(got.numpy(), want.numpy())          # 1 + w, not 1 + 2 w


def test_json_round_trip_gives_the_same_results():
    p = _mlp_params()
    g = ag.trace.trace_batched(lambda x: ag.softmax(_mlp(p)(x) * np.arange(2.0)), lambda b: [np.ones((b, 3))],
                               params=p)
    doc, arrays = ag.trace.to_json(g)
    back = ag.trace.from_json(json.loads(json.dumps(doc)), arrays)
    x = np.random.default_rng(2).standard_normal((9, 3))
    np.testing.assert_array_equal(back.run([x], params=p)[0].numpy(), g.run([x], params=p)[0].numpy())
    assert back.checked and not g.checked


def _doc():
    g = ag.trace.trace_batched(lambda x: ag.tile(ag.tanh(x), (1, 2)), lambda b: [np.ones((b, 3))])
    return ag.trace.to_json(g)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["nodes"][0].update(op="eval"), "op 'eval', which autograd does not register"),
    (lambda d: d["nodes"][0].update(op="conv2d_kernel_grad"), "no shape rule"),
    (lambda d: d["nodes"][0]["args"].__setitem__(0, {"$v": 2}), "before it is defined"),
    (lambda d: d["nodes"][0]["args"].append({"__reduce__": "os.system"}), "not an argument a tracer writes"),
    (lambda d: d["values"][0].update(dtype="object"), "names dtype 'object'"),
    (lambda d: d["values"][2].update(shape=[{"$b": [1, 0]}, 10 ** 12]), "elements even at batch size 1"),
    (lambda d: d["nodes"][1]["args"].__setitem__(1, {"$t": [1, 10 ** 50]}), "must be an integer"),
    (lambda d: d["nodes"][1]["kwargs"].update(geom={"$struct": "builtins.eval", "fields": []}),
     "struct 'builtins.eval' that autograd does not register"),
])
def test_a_graph_document_is_checked_part_by_part(edit, message):
    doc, arrays = _doc()
    edit(doc)
    with pytest.raises(TraceError, match=message):
        ag.trace.from_json(doc, arrays)


def test_a_checked_graph_verifies_each_shape_before_computing_it():
    doc, arrays = _doc()
    doc["nodes"][1]["args"][1] = {"$t": [1, 10 ** 9]}            # tile far beyond the declared (B, 6)
    g = ag.trace.from_json(doc, arrays)
    with pytest.raises(TraceError, match=r"op 'tile' would give shape \(2, 3000000000\).*declares \(2, 6\)"):
        g.run([np.ones((2, 3))])


def test_primitives_must_be_told_apart_by_name():
    twin = ag.primitive(lambda x: x * 3.0, name="exp")          # a user primitive reusing a registered name
    ag.defvjp(twin, lambda g, ans, x: g * 3.0)
    with pytest.raises(TraceError, match="shares its name with another registered primitive"):
        ag.trace.trace(lambda x: twin(x), [np.ones(2)])
    with pytest.raises(TraceError, match="do not nest"):
        ag.trace.trace(lambda x: ag.trace.trace(lambda y: y * 2.0, [np.ones(1)]).run([x])[0], [np.ones(1)])


def test_the_observe_flag_follows_anomaly_mode_and_the_tracer():
    from autograd.modes import STATE
    assert not STATE.observe
    with ag.detect_anomaly():
        assert STATE.observe
    assert not STATE.observe and ag.trace.active() is None
    seen = []
    ag.trace.trace(lambda x: seen.append(STATE.observe) or ag.exp(x), [np.ones(1)])
    assert seen == [True] and not STATE.observe
