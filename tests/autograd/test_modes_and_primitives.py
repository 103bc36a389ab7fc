"""Recording modes (no_grad, enable_grad, set_grad_enabled, detect_anomaly) and user primitives."""
import numpy as np
import pytest

import autograd as ag


def test_no_grad_records_nothing():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        y = ag.exp(x) * 2 + x
        z = ag.sum(y, axis=0)
        w = ag.concatenate([x, y])
    for t in (y, z, w):
        assert not t.requires_grad and t._ctx is None
    assert ag.is_grad_enabled()
    with pytest.raises(RuntimeError, match="does not require grad"):
        z.backward()


def test_enable_grad_inside_no_grad_and_decorator_forms():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        with ag.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad

    @ag.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and ag.is_grad_enabled()
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with pytest.raises(TypeError, match="bool"):
        ag.set_grad_enabled("no")


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with ag.no_grad():
            1 / 0
    assert ag.is_grad_enabled()


def test_detect_anomaly_names_the_op_and_where_it_was_created_in_forward():
    x = ag.tensor([-1.0, 1.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match=r"forward of op 'log'.*test_modes_and_primitives\.py"):
            ag.log(x)
    with np.errstate(invalid="ignore"):
        ag.log(x)                       # outside the block nothing is checked


def test_detect_anomaly_names_the_op_in_backward():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        y = ag.sqrt(x).sum()            # forward is finite; d sqrt / dx at 0 is inf
        with pytest.raises(FloatingPointError,
                           match=r"backward of op 'sqrt'.*created at .*test_modes_and_primitives\.py"):
            y.backward()


def test_user_primitive_with_vjp_composes_and_has_higher_order_gradients():
    @ag.primitive
    def logcosh(x):
        return np.logaddexp(x, -x) - np.log(2.0)

    assert logcosh.name == "logcosh" and "logcosh" in ag.REGISTRY

    ag.defvjp(logcosh, lambda g, ans, x: g * ag.tanh(x))
    x = np.array([-1.0, 0.3, 2.0])
    np.testing.assert_allclose(logcosh(ag.tensor(x)).numpy(), np.log(np.cosh(x)))
    g = ag.grad(lambda t: ag.sum(logcosh(t * 2.0)))(x)
    np.testing.assert_allclose(g.numpy(), 2 * np.tanh(2 * x))
    h = ag.grad(lambda t: ag.sum(ag.grad(lambda s: ag.sum(logcosh(s)))(t)))(x)
    np.testing.assert_allclose(h.numpy(), 1 - np.tanh(x) ** 2)
    assert ag.gradcheck(lambda t: logcosh(ag.sin(t)) * t, x, order=2)


def test_user_primitive_with_several_arguments_and_keyword_options():
    scaled_dot = ag.primitive(lambda a, b, scale=1.0: scale * np.dot(a, b), name="scaled_dot")
    ag.defvjp(scaled_dot,
              lambda g, ans, a, b, scale=1.0: g * b * scale,
              lambda g, ans, a, b, scale=1.0: g * a * scale)
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    ga, gb = ag.grad(lambda x, y: scaled_dot(x, y, scale=2.0), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga.numpy(), 2 * b)
    np.testing.assert_array_equal(gb.numpy(), 2 * a)


def test_primitive_without_a_rule_fails_by_name():
    cube = ag.primitive(lambda x: x ** 3, name="cube_without_rule")
    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="cube_without_rule.*defvjp"):
        cube(x).sum().backward()
    # a None vjp marks an argument as having no gradient
    ag.defvjp(cube, None)
    assert ag.gradients(cube(x).sum(), [x])[0].numpy().tolist() == [0.0]
    with pytest.raises(TypeError, match="primitive"):
        ag.defvjp(lambda x: x, lambda g, ans, x: g)
    with pytest.raises(TypeError, match="callable"):
        ag.defvjp(cube, "not a function")


def test_vjp_returning_wrong_shape_is_reported_by_op_name():
    bad = ag.primitive(lambda x: x * 2.0, name="bad_shape")
    ag.defvjp(bad, lambda g, ans, x: ag.tensor(np.ones(5)))
    with pytest.raises(ValueError, match="bad_shape.*shape"):
        bad(ag.tensor(np.ones(3), requires_grad=True)).sum().backward()


def test_defvjp_argnum_for_variadic_primitives():
    total = ag.primitive(lambda *xs: sum(xs), name="variadic_total")
    ag.defvjp_argnum(total, lambda i, g, ans, args, kwargs: g * (i + 1))
    xs = [ag.tensor(1.0, requires_grad=True) for _ in range(3)]
    total(*xs).backward()
    assert [x.grad.item() for x in xs] == [1.0, 2.0, 3.0]
