"""Primitives: a numpy forward function with its derivative and batching rules, side by side.

Every differentiable op in the package is either a primitive defined here or a composition of them.
A primitive provides four things (the rule contract; README "How to add an op"):

- forward: ``fun(*arrays, **options)`` on plain numpy arrays;
- vjp (reverse mode), per argument: ``vjp(g, ans, *args, **kwargs)`` -> the cotangent of that argument
  (``None``: no gradient), given the output's cotangent ``g``; registered with ``defvjp``;
- jvp (forward mode), per argument: ``jvp(t, ans, *args, **kwargs)`` -> the output's tangent caused by
  the tangent ``t`` of that argument (``None``: zero; any shape that broadcasts to the output's);
  registered with ``defjvp`` (or ``defjvp_argnums`` / ``def_linear``);
- batching rule: ``rule(args, dims, **kwargs)`` -> ``(out, out_dim)``, where ``dims[i]`` is the axis of
  ``args[i]`` holding the examples (None: not batched); registered with ``defbatch``.

The vjp and jvp are written with autograd ops (not raw numpy), so that they can be differentiated again
(``create_graph=True``, forward-over-reverse); the batching rule is written with autograd ops too, so
that it composes with ``grad`` and with an outer ``vmap``.

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

from .batching import Batched, batch_apply
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

    __slots__ = ("fun", "name", "vjps", "vjp_argnum", "jvps", "jvp_argnums", "batch", "freed", "__weakref__")

    def __init__(self, fun, name=None):
        if not callable(fun):
            raise TypeError(f"primitive(fun): expected a callable numpy function, received {fun!r}")
        self.fun = fun
        self.name = name or getattr(fun, "__name__", "primitive")
        self.vjps = {}
        self.vjp_argnum = None
        #: forward-mode rules: one per argument (``defjvp``), or one for all arguments (``defjvp_argnums``)
        self.jvps = {}
        self.jvp_argnums = None
        #: the batching rule used by ``ag.vmap`` (``defbatch``)
        self.batch = None
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

    def jvp_for(self, argnum):
        """The jvp for argument ``argnum``, raising NotImplementedError by name when there is none."""
        fn = self.jvps.get(argnum)
        if fn is not None:
            return fn
        raise NotImplementedError(
            f"autograd: op '{self.name}' has no forward-mode (jvp) rule for argument {argnum}, so ag.jvp cannot "
            f"push a tangent through it; define one with ag.defjvp({self.name}, ...) (see README 'How to add an "
            f"op')")

    def has_jvp(self):
        """Whether forward mode can go through every argument that has a vjp (for the registry check)."""
        if self.jvp_argnums is not None:
            return True
        if self.vjp_argnum is not None:
            return False
        return bool(self.jvps) and set(self.vjps) <= set(self.jvps)


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
    batched = False
    raw = []
    for a in args:
        if isinstance(a, Tensor):
            raw.append(a.data)
            if a.requires_grad:
                record = True
        else:
            if type(a) is Batched:
                batched = True
            raw.append(a)
    if batched:  # inside ag.vmap: the primitive's batching rule runs instead
        return batch_apply(prim, args, kwargs)
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
    if STATE.observe:
        observed(prim, args, kwargs, t)
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


def defjvp(prim, *jvps, argnums=None):
    """Attach forward-mode rules to a primitive: ``defjvp(prim, jvp_arg0, jvp_arg1, ...)``.

    Each ``jvp(t, ans, *args, **kwargs)`` returns the output's tangent caused by the tangent ``t`` of its
    argument (None for none); ``ag.jvp`` calls it only for arguments whose tangent is not zero and sums
    what the rules return. The result may have any shape that broadcasts to the output's (it is broadcast
    and cast to the output's dtype in one place). Write it with autograd ops so that it can itself be
    differentiated (reverse-over-forward) and so that a vjp built from this primitive can be pushed
    forward (forward-over-reverse). ``None`` in place of a rule: the output does not depend on that
    argument smoothly (an index, a mask). ``argnums`` picks the arguments (default 0, 1, ...).

    Example:
        >>> mul = ag.primitive(np.multiply, name='my_mul2')
        >>> _ = ag.defvjp(mul, lambda g, ans, a, b: g * b, lambda g, ans, a, b: g * a)
        >>> ag.defjvp(mul, lambda t, ans, a, b: t * b, lambda t, ans, a, b: a * t)
        <autograd primitive my_mul2>
        >>> ag.jvp(lambda a, b: mul(a, b), (2.0, 5.0), (1.0, 0.0))     # (a b, d/da a b)
        (Tensor(10.), Tensor(5.))
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"defjvp: expected a primitive made by ag.primitive(...), received {type(prim).__name__}")
    argnums = range(len(jvps)) if argnums is None else argnums
    for i, fn in zip(argnums, jvps):
        if fn is not None and not callable(fn):
            raise TypeError(f"defjvp({prim.name}): jvp for argument {i} must be callable or None, received {fn!r}")
        prim.jvps[i] = fn if fn is not None else _zero_jvp
    return prim


def defjvp_argnums(prim, jvp):
    """One forward-mode rule for all arguments at once: ``jvp(tangents, ans, args, kwargs)``, where
    ``tangents[i]`` is argument i's tangent or None where it is zero (for variadic primitives, and for
    fused ones whose tangents share work).

    Example:
        >>> total = ag.primitive(lambda *xs: sum(xs), name='total2')
        >>> _ = ag.defvjp_argnum(total, lambda argnum, g, ans, args, kwargs: g)
        >>> ag.defjvp_argnums(total, lambda ts, ans, args, kwargs: sum(t for t in ts if t is not None))
        <autograd primitive total2>
        >>> ag.jvp(lambda a, b: total(a, b, a), (1.0, 2.0), (1.0, 10.0))[1]
        Tensor(12.)
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"defjvp_argnums: expected a primitive made by ag.primitive(...), "
                        f"received {type(prim).__name__}")
    if not callable(jvp):
        raise TypeError(f"defjvp_argnums({prim.name}): the rule must be callable, received {jvp!r}")
    prim.jvp_argnums = jvp
    return prim


def def_linear(prim):
    """Forward-mode rules for a primitive linear in each tensor argument separately (reshape, transpose,
    sum, getitem; matmul and einsum are bilinear): the jvp for argument i is the primitive itself with
    the tangent in place of argument i, as HIPS autograd's ``def_linear``. Call it after ``defvjp``: the
    arguments with a vjp are the ones that get a jvp.

    Example:
        >>> double = ag.primitive(lambda x: 2.0 * x, name='double')
        >>> _ = ag.defvjp(double, lambda g, ans, x: 2.0 * g)
        >>> ag.def_linear(double)
        <autograd primitive double>
        >>> ag.jvp(double, (3.0,), (1.0,))
        (Tensor(6.), Tensor(2.))
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"def_linear: expected a primitive made by ag.primitive(...), received {type(prim).__name__}")

    def linear(argnum):
        def jvp(t, ans, *args, **kwargs):
            args = args[:argnum] + (t,) + args[argnum + 1:]
            return apply(prim, args, kwargs)
        return jvp

    nargs = max(list(prim.vjps) + [0]) + 1
    return defjvp(prim, *[linear(i) if prim.vjps.get(i) is not _no_grad_vjp else None for i in range(nargs)])


def defbatch(prim, rule):
    """Attach the batching rule ``ag.vmap`` uses: ``rule(args, dims, **kwargs) -> (out, out_dim)``.

    ``args`` are the primitive's arguments with every example stacked along axis ``dims[i]`` (None: that
    argument is the same for all examples); the rule returns the result for all examples at once and
    the axis holding them (None if the result is the same for all). Write it with autograd ops on
    ``args`` (not raw numpy), so that ``grad`` differentiates through it and an outer ``vmap`` batches
    it again; shapes are read with ``np.shape``-like ``x.shape``. ``ag.batching`` has helpers:
    ``elementwise_rule(op)``, ``reduction_rule(op)``, ``to_front(x, dim)``.

    Example:
        >>> cube = ag.primitive(lambda x: x ** 3, name='cube_b')
        >>> ag.defbatch(cube, lambda args, dims: (cube(args[0]), dims[0]))     # elementwise: same axis
        <autograd primitive cube_b>
        >>> ag.vmap(cube)(np.array([1.0, 2.0]))
        Tensor([1., 8.])
    """
    if not isinstance(prim, Primitive):
        raise TypeError(f"defbatch: expected a primitive made by ag.primitive(...), received {type(prim).__name__}")
    if not callable(rule):
        raise TypeError(f"defbatch({prim.name}): the batching rule must be callable, received {rule!r}")
    prim.batch = rule
    return prim


def _zero_jvp(t, ans, *args, **kwargs):
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


def observed(prim, args, kwargs, t):
    """Report one op's result: to the anomaly check and to the active tracer (``autograd.trace``).

    Every op calls this after computing ``t`` when ``STATE.observe`` is set (one flag for both, so the
    fast paths pay one test).

    Example:
        >>> from autograd.primitive import observed
        >>> observed(ag.exp.primitive, (1.0,), None, ag.tensor(2.718))    # neither is on: nothing happens
    """
    if STATE.anomaly:
        check_forward(prim, t)
    tracer = STATE.tracer
    if tracer is not None:
        tracer.record(prim, args, kwargs, t)


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
