"""Fast wrappers that turn a numpy function into a recorded op with one or two tensor inputs.

The general path (``Primitive.__call__``) loops over arguments; these fixed-arity wrappers skip that
loop, which matters for the per-op overhead of small elementwise ops.
"""
import numpy as np

from ..modes import STATE
from ..primitive import Primitive, check_forward, defvjp
from ..tensor import Tensor, make_leaf, make_node

_ndarray = np.ndarray


def unary_op(fun, name, vjp, doc=None):
    """An op of one tensor (extra keyword arguments are passed to ``fun`` and the vjp)."""
    prim = Primitive(fun, name)
    defvjp(prim, vjp)

    def op(x, **kwargs):
        if isinstance(x, Tensor):
            out = fun(x.data, **kwargs) if kwargs else fun(x.data)
            if type(out) is not _ndarray:
                out = np.asarray(out)
            if x.requires_grad and STATE.grad_enabled:
                t = make_node(out, (prim, (x,), kwargs or None, (x._version,)))
            else:
                t = make_leaf(out)
        else:
            out = fun(np.asarray(x), **kwargs)
            t = make_leaf(out if type(out) is _ndarray else np.asarray(out))
        if STATE.anomaly:
            check_forward(prim, t)
        return t

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = doc
    op.primitive = prim
    return op


def binary_op(fun, name, vjp_a, vjp_b, doc=None):
    """An op of two tensors with numpy broadcasting (vjps may return broadcast shapes)."""
    prim = Primitive(fun, name)
    defvjp(prim, vjp_a, vjp_b)

    def op(a, b):
        if isinstance(a, Tensor):
            ad = a.data
            ra = a.requires_grad
            va = a._version
        else:
            ad = a
            ra = False
            va = 0
        if isinstance(b, Tensor):
            bd = b.data
            rb = b.requires_grad
            vb = b._version
        else:
            bd = b
            rb = False
            vb = 0
        out = fun(ad, bd)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if (ra or rb) and STATE.grad_enabled:
            t = make_node(out, (prim, (a, b), None, (va, vb)))
        else:
            t = make_leaf(out)
        if STATE.anomaly:
            check_forward(prim, t)
        return t

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = doc
    op.primitive = prim
    return op


def raw(x):
    """The ndarray behind ``x`` (a Tensor or array-like)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)
