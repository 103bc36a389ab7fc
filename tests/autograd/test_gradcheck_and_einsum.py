"""gradcheck itself (it must catch wrong rules) and einsum's parsing, errors and special forms."""
import numpy as np
import pytest

import autograd as ag


def _op_with_rule(name, rule):
    prim = ag.primitive(lambda x: np.sin(x), name=name)
    ag.defvjp(prim, rule)
    return prim


def test_gradcheck_passes_a_correct_rule_and_catches_a_wrong_one():
    good = _op_with_rule("sin_good", lambda g, ans, x: g * ag.cos(x))
    bad = _op_with_rule("sin_bad", lambda g, ans, x: g * ag.cos(x) * 1.01)
    x = np.linspace(-1, 1, 5)
    assert ag.gradcheck(good, x)
    with pytest.raises(ag.GradcheckError, match="analytic directional derivative"):
        ag.gradcheck(bad, x)


def test_gradcheck_order_2_catches_a_rule_that_is_not_differentiable():
    # the rule is right in value but reads raw numpy data, so its own derivative is lost
    frozen = _op_with_rule("sin_frozen", lambda g, ans, x: g * np.cos(x.numpy()))
    x = np.linspace(-1, 1, 5)
    assert ag.gradcheck(frozen, x, order=1)
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(frozen, x, order=2)


def test_gradcheck_tolerances_and_several_inputs():
    assert ag.gradcheck(lambda a, b: ag.sum(a * ag.exp(b)), np.ones(3), np.zeros(3), eps=1e-5, atol=1e-6, rtol=1e-6)
    with pytest.raises(TypeError, match="floating"):
        ag.gradcheck(lambda a: a > 0, np.ones(2))


def test_einsum_matches_numpy_on_common_specs():
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4,))
    for spec, ops in [("ij,jk->ik", (a, b)), ("ij,jk", (a, b)), ("ij,jk,k->i", (a, b, c)), ("ij->", (a,)),
                      ("ji", (a,)), ("...j,j->...", (b, c)), ("i,i", (c, c))]:
        np.testing.assert_allclose(ag.einsum(spec, *ops).numpy(), np.einsum(spec, *ops))
    np.testing.assert_allclose(ag.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(), a @ b)
    np.testing.assert_allclose(ag.einsum("ij,jk,k->i", a, b, c, optimize=True).numpy(), a @ b @ c)


def test_einsum_gradients_for_every_operand_including_optimized_paths():
    rng = np.random.default_rng(1)
    ops = [rng.standard_normal(s) for s in [(2, 3), (3, 4), (4, 2)]]
    assert ag.gradcheck(lambda *t: ag.einsum("ij,jk,ki->", *t, optimize=True), *ops, order=2)
    assert ag.gradcheck(lambda a: ag.einsum("ii->", a), rng.standard_normal((3, 3)), order=2)


def test_einsum_errors_name_the_problem():
    with pytest.raises(ValueError, match="operands"):
        ag.einsum("ij,jk->ik", np.ones((2, 2)))
    with pytest.raises(ValueError, match="axes"):
        ag.einsum("ijk->i", np.ones((2, 2)))
    with pytest.raises(ValueError, match="invalid subscripts"):
        ag.einsum("i1->i", np.ones((2, 2)))
    with pytest.raises(ValueError, match="'...'"):
        ag.einsum("...i->i", np.ones((2, 3)))
    with pytest.raises(ValueError, match="repeated"):
        ag.einsum("ij->ii", np.ones((2, 2)))
    with pytest.raises(ValueError, match="does not appear"):
        ag.einsum("ij->k", np.ones((2, 2)))
    with pytest.raises(ValueError, match="einsum"):
        ag.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((2, 3)))
