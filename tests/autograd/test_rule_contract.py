"""The rule contract: every primitive has a vjp, a jvp and a batching rule, or is on the pending list;
defjvp / defjvp_argnums / def_linear / defbatch check what they are given, and a missing rule is an
error naming the op and what to do."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag

from .pending_rules import PENDING_BATCH, PENDING_JVP

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _package_primitives():
    """name -> (has jvp, has batching rule) for every primitive the two packages define (in a fresh
    interpreter, so that primitives made by tests and docstrings do not count)."""
    code = ("import json, autograd, kerasfront\n"
            "from autograd.primitive import REGISTRY\n"
            "print(json.dumps({n: [p.has_jvp(), p.batch is not None] for n, p in REGISTRY.items()}))")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_primitive_has_its_rules_or_is_pending():
    prims = _package_primitives()
    assert len(prims) > 50
    no_jvp = {n for n, (j, _) in prims.items() if not j}
    no_batch = {n for n, (_, b) in prims.items() if not b}
    assert no_jvp <= PENDING_JVP, (
        f"primitives without a jvp rule: {sorted(no_jvp - PENDING_JVP)}; give them one with ag.defjvp (README "
        f"'How to add an op'), or add them to PENDING_JVP in tests/autograd/pending_rules.py")
    assert no_batch <= PENDING_BATCH, (
        f"primitives without a batching rule: {sorted(no_batch - PENDING_BATCH)}; give them one with ag.defbatch, "
        f"or add them to PENDING_BATCH in tests/autograd/pending_rules.py")
    assert PENDING_JVP <= no_jvp, f"these now have a jvp rule: remove them from PENDING_JVP: {sorted(PENDING_JVP - no_jvp)}"
    assert PENDING_BATCH <= no_batch, (
        f"these now have a batching rule: remove them from PENDING_BATCH: {sorted(PENDING_BATCH - no_batch)}")


def test_the_representative_set_has_all_three_rules():
    for op in (ag.exp, ag.tanh, ag.sigmoid, ag.relu, ag.add, ag.multiply, ag.divide, ag.power, ag.maximum,
               ag.matmul):
        prim = op.primitive
        assert prim.vjps and prim.has_jvp() and prim.batch is not None, prim.name
    for name in ("sum", "mean", "max", "min", "reshape", "transpose", "broadcast_to", "sum_to", "where", "clip"):
        prim = ag.REGISTRY[name]
        assert prim.has_jvp() and prim.batch is not None, name


def test_missing_rules_raise_naming_the_op_and_the_fix():
    bare = ag.primitive(lambda x: x * 2.0, name="bare_double")
    ag.defvjp(bare, lambda g, ans, x: g * 2.0)
    with pytest.raises(NotImplementedError, match=r"op 'bare_double' has no forward-mode \(jvp\) rule.*ag\.defjvp"):
        ag.jvp(bare, (np.ones(2),), (np.ones(2),))
    with pytest.raises(NotImplementedError, match=r"op 'bare_double' has no batching rule.*ag\.defbatch"):
        ag.vmap(bare)(np.ones((3, 2)))
    assert not bare.has_jvp()
    # a tangent that reaches no input costs nothing and needs no rule
    out, t = ag.jvp(lambda x, y: x * bare(y), (np.ones(2), np.ones(2)), (np.ones(2), None))
    np.testing.assert_array_equal(t.numpy(), [2.0, 2.0])


def test_registration_checks_its_arguments():
    with pytest.raises(TypeError, match="defjvp: expected a primitive"):
        ag.defjvp(np.sin, lambda t, ans, x: t)
    with pytest.raises(TypeError, match="defbatch: expected a primitive"):
        ag.defbatch(lambda x: x, lambda args, dims: None)
    prim = ag.primitive(np.sin, name="checked_sin")
    with pytest.raises(TypeError, match=r"defjvp\(checked_sin\): jvp for argument 0 must be callable"):
        ag.defjvp(prim, "cos")
    with pytest.raises(TypeError, match=r"defbatch\(checked_sin\): the batching rule must be callable"):
        ag.defbatch(prim, 3)
    with pytest.raises(TypeError, match=r"defjvp_argnums\(checked_sin\)"):
        ag.defjvp_argnums(prim, None)


def test_a_user_primitive_gets_all_three_rules():
    @ag.primitive
    def logcosh(x):
        return np.logaddexp(x, -x) - np.log(2.0)

    ag.defvjp(logcosh, lambda g, ans, x: g * ag.tanh(x))
    ag.defjvp(logcosh, lambda t, ans, x: t * ag.tanh(x))
    ag.defbatch(logcosh, lambda args, dims: (logcosh(args[0]), dims[0]))
    x = np.array([[0.3, -1.2], [2.0, 0.1]])
    _, t = ag.jvp(logcosh, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t.numpy(), np.tanh(x))
    np.testing.assert_allclose(ag.vmap(logcosh, in_axes=1)(x).numpy(), np.log(np.cosh(x)).T)
    # forward-over-reverse through the user's vjp: d/dx tanh(x) = 1 - tanh^2
    hv = ag.jvp(ag.grad(lambda z: logcosh(z).sum()), (x,), (np.ones_like(x),))[1]
    np.testing.assert_allclose(hv.numpy(), 1 - np.tanh(x) ** 2)


def test_def_linear_and_defjvp_argnums():
    scale = ag.primitive(lambda x, k: x * k, name="scale_by")
    ag.defvjp(scale, lambda g, ans, x, k: g * k, None)
    ag.def_linear(scale)
    _, t = ag.jvp(lambda x: scale(x, 3.0), (np.ones(2),), (np.array([1.0, 2.0]),))
    np.testing.assert_array_equal(t.numpy(), [3.0, 6.0])
    total = ag.primitive(lambda *xs: sum(xs), name="sum_of_all")
    ag.defvjp_argnum(total, lambda argnum, g, ans, args, kwargs: g)
    seen = []

    def joint(tangents, ans, args, kwargs):
        seen.append(tuple(t is None for t in tangents))
        return sum(t for t in tangents if t is not None)

    ag.defjvp_argnums(total, joint)
    _, t = ag.jvp(lambda a, b: total(a, b, a), (1.0, 2.0), (1.0, None))
    assert t.item() == 2.0 and seen == [(False, True, False)]


def test_a_jvp_result_of_the_wrong_shape_is_named():
    bad = ag.primitive(lambda x: x.sum(), name="bad_sum")
    ag.defvjp(bad, lambda g, ans, x: g * ag.ones_like(x))
    ag.defjvp(bad, lambda t, ans, x: t)            # should reduce t
    with pytest.raises(ValueError, match=r"jvp of op 'bad_sum' returned shape \(3,\).*output shape \(\)"):
        ag.jvp(bad, (np.ones(3),), (np.ones(3),))
