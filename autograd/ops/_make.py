"""Fast wrappers that turn a numpy function into a recorded op with one or two tensor inputs.

The general path (``primitive.apply``) loops over a tuple of arguments; these fixed-arity wrappers skip
that loop and build the output Tensor inline, which matters for the per-op overhead of small
elementwise ops (a 16x16 ``np.add`` costs well under a microsecond, so every attribute lookup shows).

An elementwise op gets its forward-mode rule and its batching rule here too: its Jacobian is diagonal,
so the vjp written as ``g * f'(x)`` read with the tangent ``t`` in place of ``g`` is its jvp (pass
``jvp=`` only when the vjp is not of that form), and every elementwise op batches the same way
(``batching.elementwise_rule``).

Example:
    >>> cube = unary_op(lambda x: x ** 3, "cube", lambda g, ans, x: g * 3 * x ** 2)
    >>> cube(ag.tensor(2.0))
    Tensor(8.)
"""
import inspect

import numpy as np

from ..batching import Batched, batch_apply, elementwise_rule
from ..modes import STATE
from ..primitive import Primitive, defbatch, defjvp, defvjp, observed
from ..tensor import Tensor, next_seq

_ndarray = np.ndarray
_asarray = np.asarray
_new = object.__new__


def _takes_options(fun):
    """Whether ``fun`` accepts arguments beyond the array (then the op passes keyword options on)."""
    if isinstance(fun, np.ufunc):
        return False
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return True
    return len(params) > 1


def unary_op(fun, name, vjp, doc=None, jvp=None):
    """An elementwise op of one tensor: ``op(x)``, or ``op(x, **options)`` when ``fun`` takes options (they
    are passed to ``fun`` and to the rules as keywords). ``jvp(t, ans, x)`` defaults to ``vjp`` (see the
    module docstring); the batching rule is the elementwise one.

    Example:
        >>> from autograd.ops._make import unary_op
        >>> cube = unary_op(lambda x: x ** 3, 'cube', lambda g, ans, x: g * 3 * x ** 2)
        >>> ag.grad(lambda x: cube(x))(2.0), ag.jvp(cube, (2.0,), (1.0,))[1]
        (Tensor(12.), Tensor(12.))
    """
    prim = Primitive(fun, name)
    defvjp(prim, vjp)
    defjvp(prim, vjp if jvp is None else jvp)
    state = STATE

    if _takes_options(fun):
        def op(x, **kwargs):
            if isinstance(x, Tensor):
                out = fun(x.data, **kwargs)
                rec = state.grad_enabled and x.requires_grad
            else:
                if type(x) is Batched:
                    return batch_apply(prim, (x,), kwargs)
                out = fun(_asarray(x), **kwargs)
                rec = False
            if type(out) is not _ndarray:
                out = _asarray(out)
            t = _new(Tensor)
            t.data = out
            t.grad = None
            t._version = 0
            if rec:
                t.requires_grad = True
                t._ctx = (prim, (x,), kwargs or None, (x._version,), next_seq())
            else:
                t.requires_grad = False
                t._ctx = None
            if state.observe:
                observed(prim, (x,), kwargs, t)
            return t
    else:
        def op(x):
            if isinstance(x, Tensor):
                out = fun(x.data)
                rec = state.grad_enabled and x.requires_grad
            else:
                if type(x) is Batched:
                    return batch_apply(prim, (x,), None)
                out = fun(_asarray(x))
                rec = False
            if type(out) is not _ndarray:
                out = _asarray(out)
            t = _new(Tensor)
            t.data = out
            t.grad = None
            t._version = 0
            if rec:
                t.requires_grad = True
                t._ctx = (prim, (x,), None, (x._version,), next_seq())
            else:
                t.requires_grad = False
                t._ctx = None
            if state.observe:
                observed(prim, (x,), None, t)
            return t

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = doc
    op.primitive = prim
    defbatch(prim, elementwise_rule(op))
    return op


def _shape_error(prim, e, ad, bd):
    msg = str(e)
    if not msg.startswith(prim.name):
        msg = f"{prim.name}: {msg}"
    return ValueError(f"{msg} (operand shapes {np.shape(ad)} and {np.shape(bd)})")


def _binary(fun, prim, swap):
    """The call of a binary op; with ``swap`` it is the reflected form ``op(b, a)`` (for ``__radd__``)."""
    state = STATE

    def op(a, b):
        if swap:
            a, b = b, a
        if not state.grad_enabled:
            # nothing is recorded: the shortest path from the arrays to the result (an exact type test first: it
            # costs less than isinstance, and most operands are plain Tensors)
            if type(a) is Tensor or isinstance(a, Tensor):
                ad = a.data
            elif type(a) is Batched:
                return batch_apply(prim, (a, b), None)
            else:
                ad = a
            if type(b) is Tensor or isinstance(b, Tensor):
                bd = b.data
            elif type(b) is Batched:
                return batch_apply(prim, (a, b), None)
            else:
                bd = b
            try:
                out = fun(ad, bd)
            except ValueError as e:
                raise _shape_error(prim, e, raw(a), raw(b)) from None
            if type(out) is not _ndarray:
                out = _asarray(out)
            t = _new(Tensor)
            t.data = out
            t.grad = None
            t._version = 0
            t.requires_grad = False
            t._ctx = None
            if state.observe:
                observed(prim, (a, b), None, t)
            return t
        if isinstance(a, Tensor):
            ad = a.data
            ra = a.requires_grad
            va = a._version
        else:
            if type(a) is Batched:
                return batch_apply(prim, (a, b), None)
            ad = a
            ra = False
            va = 0
        if isinstance(b, Tensor):
            bd = b.data
            rb = b.requires_grad
            vb = b._version
        else:
            if type(b) is Batched:
                return batch_apply(prim, (a, b), None)
            bd = b
            rb = False
            vb = 0
        try:
            out = fun(ad, bd)
        except ValueError as e:
            raise _shape_error(prim, e, ad, bd) from None
        if type(out) is not _ndarray:
            out = _asarray(out)
        t = _new(Tensor)
        t.data = out
        t.grad = None
        t._version = 0
        if ra or rb:
            t.requires_grad = True
            t._ctx = (prim, (a, b), None, (va, vb), next_seq())
        else:
            t.requires_grad = False
            t._ctx = None
        if state.observe:
            observed(prim, (a, b), None, t)
        return t

    return op


def binary_op(fun, name, vjp_a, vjp_b, doc=None, jvp_a=None, jvp_b=None, batch=None):
    """An op of two tensors with numpy broadcasting (vjps may return broadcast shapes; jvps may return any
    shape that broadcasts to the output's). ``jvp_a`` / ``jvp_b`` default to the vjps, and ``batch`` to
    the elementwise batching rule: pass them for an op that is not elementwise (matmul).

    The returned function has a ``reflected`` attribute: the same op with its arguments swapped, used for
    Tensor's reflected operators (``2 - t``) without an extra Python call.

    Example:
        >>> from autograd.ops._make import binary_op
        >>> hyp = binary_op(np.hypot, 'hypot', lambda g, ans, a, b: g * a / ans, lambda g, ans, a, b: g * b / ans)
        >>> hyp(ag.tensor([3.0]), 4.0), hyp.reflected(4.0, ag.tensor([3.0]))
        (Tensor([5.]), Tensor([5.]))
    """
    prim = Primitive(fun, name)
    defvjp(prim, vjp_a, vjp_b)
    defjvp(prim, vjp_a if jvp_a is None else jvp_a, vjp_b if jvp_b is None else jvp_b)
    op = _binary(fun, prim, False)
    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = doc
    op.primitive = prim
    rop = _binary(fun, prim, True)
    rop.__name__ = f"__r{name}__"
    rop.__qualname__ = rop.__name__
    op.reflected = rop
    defbatch(prim, elementwise_rule(op) if batch is None else batch)
    return op


def raw(x):
    """The ndarray behind ``x`` (a Tensor or array-like; a Batched value inside vmap raises, naming vmap).

    Example:
        >>> from autograd.ops._make import raw
        >>> raw(ag.tensor([1.0])), raw([1, 2])
        (array([1.]), array([1, 2]))
    """
    return x.data if isinstance(x, Tensor) else np.asarray(x)
