"""Primitives: a numpy forward function with its vector-Jacobian products, side by side.

Every differentiable op in the package is either a primitive defined here or a composition of them.
A vjp has the staged signature ``vjp(g, ans, *args, **kwargs) -> gradient for one argument``
(``None``: no gradient). It is written with autograd ops so that ``create_graph=True`` differentiates it.

Example:
    >>> import numpy as np, autograd as ag
    >>> cube = ag.primitive(lambda x: x ** 3, name="cube")
    >>> ag.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)
    <autograd primitive cube>
    >>> ag.grad(lambda x: cube(x))(2.0)
    Tensor(12.)
"""
import os
import traceback
import weakref

import numpy as np

from .modes import STATE
from .tensor import Tensor, next_seq

_new = object.__new__
_ndarray = np.ndarray

#: every primitive by name (user primitives included), for error messages and introspection
REGISTRY = {}


class Primitive:
    """A differentiable function of numpy arrays.

    Args:
        fun: the forward numpy function; receives raw arrays in place of Tensors.
        name: the op's name in error messages (defaults to ``fun.__name__``).

    Example:
        >>> square = ag.Primitive(np.square, 'my_square')
        >>> ag.defvjp(square, lambda g, ans, x: 2 * g * x)
        <autograd primitive my_square>
        >>> ag.grad(lambda x: square(x))(3.0)
        Tensor(6.)
    """

    __slots__ = ("fun", "name", "vjps", "vjp_argnum", "freed", "__weakref__")

    def __init__(self, fun, name=None):
        if not callable(fun):
            raise TypeError(f"primitive(fun): expected a callable numpy function, received {fun!r}")
        self.fun = fun
        self.name = name or getattr(fun, "__name__", "primitive")
        self.vjps = {}
        self.vjp_argnum = None
        #: what a node's ``_ctx`` becomes once backward has freed it (names the op in the error)
        self.freed = Freed(self.name)
        REGISTRY.setdefault(self.name, self)

    def __call__(self, *args, **kwargs):
        return apply(self, args, kwargs)

    def __repr__(self):
        return f"<autograd primitive {self.name}>"

    def vjp_for(self, argnum):
        """The vjp for argument ``argnum``, raising NotImplementedError by name when there is none."""
        fn = self.vjps.get(argnum)
        if fn is not None:
            return fn
        if self.vjp_argnum is not None:
            va = self.vjp_argnum
            return lambda g, ans, *args, **kw: va(argnum, g, ans, args, kw)
        raise NotImplementedError(
            f"autograd: op '{self.name}' has no gradient rule for argument {argnum}; "
            f"define one with ag.defvjp({self.name}, ...) or stop gradients with .detach()")


class Freed:
    """Stands in a node's ``_ctx`` after backward freed what the op saved.

    Example:
        >>> x = ag.tensor([1.0], requires_grad=True); y = ag.exp(x).sum()
        >>> y.backward()
        >>> type(y._ctx).__name__, y._ctx.name
        ('Freed', 'sum')
    """

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


def apply(prim, args, kwargs):
    """Run a primitive on raw data and record it when any input requires grad (general path).

    ``args`` is a tuple (Tensors and plain values), ``kwargs`` a dict (or None) of non-Tensor options.

    Example:
        >>> from autograd.primitive import apply
        >>> x = ag.tensor([2.0], requires_grad=True)
        >>> apply(ag.exp.primitive, (x,), None)
        Tensor([7.3890561], requires_grad=True)
    """
    record = False
    raw = []
    for a in args:
        if isinstance(a, Tensor):
            raw.append(a.data)
            if a.requires_grad:
                record = True
        else:
            raw.append(a)
    out = prim.fun(*raw, **kwargs) if kwargs else prim.fun(*raw)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    t = _new(Tensor)
    t.data = out
    t.grad = None
    t._version = 0
    if record and STATE.grad_enabled:
        t.requires_grad = True
        t._ctx = (prim, tuple(args), kwargs or None,
                  tuple([a._version if isinstance(a, Tensor) else 0 for a in args]), next_seq())
    else:
        t.requires_grad = False
        t._ctx = None
    if STATE.anomaly:
        check_forward(prim, t)
    return t


def primitive(fun=None, name=None):
    """Turn a numpy function into a differentiable primitive (usable as a decorator).

    Example:
        >>> @primitive
        ... def logcosh(x):
        ...     return np.logaddexp(x, -x) - np.log(2.0)
        >>> defvjp(logcosh, lambda g, ans, x: g * ag.tanh(x))
        <autograd primitive logcosh>
    """
    if fun is None:
        return lambda f: primitive(f, name=name)
    if isinstance(fun, Primitive):
        return fun
    return Primitive(fun, name)


def defvjp(prim, *vjps, argnums=None):
    """Attach vjps to a primitive: ``defvjp(prim, vjp_arg0, vjp_arg1, ...)``.

    Each ``vjp(g, ans, *args, **kwargs)`` returns the gradient for its argument (None for none).
    ``argnums`` picks which arguments the vjps are for (default 0, 1, ...).

    Example:
        >>> mul = ag.primitive(np.multiply, name='my_mul')
        >>> ag.defvjp(mul, lambda g, ans, a, b: g * b, lambda g, ans, a, b: g * a)
        <autograd primitive my_mul>
        >>> ag.grad(lambda a, b: mul(a, b), argnums=(0, 1))(2.0, 5.0)
        (Tensor(5.), Tensor(2.))
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"defvjp: expected a primitive made by ag.primitive(...), received {type(prim).__name__}")
    argnums = range(len(vjps)) if argnums is None else argnums
    for i, fn in zip(argnums, vjps):
        if fn is not None and not callable(fn):
            raise TypeError(f"defvjp({prim.name}): vjp for argument {i} must be callable or None, received {fn!r}")
        prim.vjps[i] = fn if fn is not None else _no_grad_vjp
    return prim


def defvjp_argnum(prim, vjp):
    """One vjp for every argument: ``vjp(argnum, g, ans, args, kwargs)`` (for variadic primitives).

    Example:
        >>> total = ag.primitive(lambda *xs: sum(xs), name='total')
        >>> ag.defvjp_argnum(total, lambda argnum, g, ans, args, kwargs: g)
        <autograd primitive total>
        >>> ag.grad(lambda a, b: total(a, b, a), argnums=(0, 1))(1.0, 2.0)
        (Tensor(2.), Tensor(1.))
    """
    prim.vjp_argnum = vjp
    return prim


def _no_grad_vjp(g, ans, *args, **kwargs):
    return None


# -- anomaly detection -------------------------------------------------------------------------
# id(tensor) -> (weak reference, "file:line in function"); keyed by id because Tensor's == is elementwise.
_CREATION_SITES = {}

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_frame():
    """The innermost stack frame outside this package: the line of user code that called the op."""
    for frame in reversed(traceback.extract_stack()[:-3]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}"
    return "<unknown>"


def _forget(key):
    return lambda ref: _CREATION_SITES.pop(key, None)


def check_forward(prim, t):
    """In anomaly mode: remember where ``t`` was made, raise if the forward is not finite.

    Example:
        >>> from autograd.primitive import check_forward
        >>> check_forward(ag.exp.primitive, ag.tensor([np.inf]))
        Traceback (most recent call last):
        ...
        FloatingPointError: autograd anomaly: forward of op 'exp' produced NaN or inf (output shape (1,)), ...
    """
    site = _user_frame()
    key = id(t)
    _CREATION_SITES[key] = (weakref.ref(t, _forget(key)), site)
    d = t.data
    if d.dtype.kind in "fc" and not np.isfinite(d).all():
        raise FloatingPointError(
            f"autograd anomaly: forward of op '{prim.name}' produced NaN or inf (output shape {d.shape}), "
            f"created at {site}")


def creation_site(t):
    """Where ``t`` was created, when it was made under ``detect_anomaly`` (else None).

    Example:
        >>> from autograd.primitive import creation_site
        >>> creation_site(ag.exp(ag.tensor([1.0]))) is None
        True
        >>> with ag.detect_anomaly():
        ...     y = ag.exp(ag.tensor([1.0], requires_grad=True))
        >>> creation_site(y) is not None
        True
    """
    entry = _CREATION_SITES.get(id(t))
    if entry is not None and entry[0]() is t:
        return entry[1]
    return None
