"""Derivative rules for a whole function written with ops, and rematerialisation:
``ag.custom_vjp`` and ``ag.custom_jvp`` in JAX's style, and ``ag.checkpoint``.

Each records one node for the function's output instead of the graph of its ops: the node's vjp and jvp
are the user's rules (custom_vjp, custom_jvp) or a recomputation of the function (checkpoint). Next to
``ag.primitive`` / ``ag.defvjp`` (rules for a numpy function), these take a function of Tensors.

Inside ``ag.vmap`` the arguments are laid out with the examples first (``batching.to_plain``) and the
user's per-example rules run under vmaps of their own over those axes, so the rules are written for one
example, as the function is.

Example:
    >>> @ag.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (ag.clip(g, -1.0, 1.0),))
    >>> ag.grad(lambda x: ag.sum(clip_gradient(x) * 5.0))(np.ones(2))
    Tensor([1., 1.])
"""
import contextlib
import functools
import itertools

import numpy as np

from .batching import Batched, from_plain, levels_of, to_plain, vmap
from .engine import gradients
from .forward_mode import jvp_by_composition, push_tangents
from .modes import STATE
from .ops.random import DRAW_LOG
from .primitive import Primitive, defbatch, defjvp_argnums, defvjp_argnum
from .tensor import Tensor, constant, make_leaf, make_node, next_seq

__all__ = ["custom_vjp", "custom_jvp", "checkpoint", "stop_gradient"]


def stop_gradient(x):
    """``x`` as a constant: no gradient (and no tangent) flows through it, as JAX's ``stop_gradient`` and
    ``Tensor.detach()``. Arrays and numbers become constant Tensors; tuples, lists and dicts are mapped.

    Example:
        >>> ag.grad(lambda x: x * ag.stop_gradient(x))(3.0)     # d/dx (x * c) with c = x held fixed
        Tensor(3.)
    """
    if isinstance(x, (tuple, list)):
        return type(x)(stop_gradient(v) for v in x)
    if isinstance(x, dict):
        return {k: stop_gradient(v) for k, v in x.items()}
    if isinstance(x, (Tensor, Batched)):
        return x.detach()
    return constant(x, "stop_gradient: expected a Tensor, an array or a number (or a tuple, list or dict of them)")


# -- the layout shared by the three: levels, per-example functions, packed outputs -----------------------


def _is_array(a):
    return isinstance(a, (Tensor, Batched))


class _Layout:
    """The arguments of one call as the node sees them: Tensors laid out ``(batch sizes..., *one example)``
    inside vmap (no batch axes outside), and ``per_example(fn)``, which maps a function written for one
    example over those axes."""

    def __init__(self, args):
        self.levels = sorted({lv for a in args for lv in levels_of(a)})
        self.depth = len(self.levels)
        self.tensor = [_is_array(a) for a in args]
        self.plain = tuple(to_plain(a, self.levels) if t else a for a, t in zip(args, self.tensor))

    def per_example(self, fn, axes=None):
        if not self.depth:
            return fn
        axes = tuple(0 if t else None for t in self.tensor) if axes is None else axes
        for _ in range(self.depth):
            fn = vmap(fn, in_axes=axes)
        return fn

    def example_shape(self, x):
        return tuple(x.shape[self.depth:])


def _outputs(out, what):
    single = not isinstance(out, (tuple, list))
    outs = [out] if single else list(out)
    for o in outs:
        if not isinstance(o, (Tensor, Batched)):
            raise TypeError(f"{what}: the function must return a Tensor or a tuple of Tensors, received "
                            f"{type(o).__name__}")
    return single, outs


def _pack(outs, depth):
    """One Tensor holding every output (flattened after the batch axes and joined), for a one-output node."""
    from .ops.shape import concatenate, reshape
    if len(outs) == 1:
        return outs[0]
    return concatenate([reshape(o, tuple(o.shape[:depth]) + (-1,)) for o in outs], axis=depth)


def _unpack(packed, shapes, depth):
    from .ops.shape import getitem, reshape
    if len(shapes) == 1:
        return [packed]
    out, start = [], 0
    lead = tuple(packed.shape[:depth])
    for s in shapes:
        n = int(np.prod(s, dtype=np.int64))
        out.append(reshape(getitem(packed, (Ellipsis, slice(start, start + n))), lead + s))
        start += n
    return out


def _node(prim, data, args, kwargs):
    return make_node(data, (prim, tuple(args), kwargs, tuple(a._version if isinstance(a, Tensor) else 0
                                                            for a in args)))


def _result(node, layout, single, shapes):
    outs = [from_plain(o, layout.levels) for o in _unpack(node, shapes, layout.depth)]
    return outs[0] if single else tuple(outs)


def _needs_node(layout):
    return STATE.grad_enabled and any(isinstance(a, Tensor) and a.requires_grad for a in layout.plain)


def _shared_vjp(compute):
    """A ``defvjp_argnum`` rule computing every argument's cotangent once per backward (``compute(g, ans,
    args, kwargs)`` -> one entry per argument) and handing them out one by one."""
    def vjp(argnum, g, ans, args, kwargs):
        memo = kwargs["memo"]
        if memo.get("g") is not g:
            memo["g"], memo["grads"] = g, compute(g, ans, args, kwargs)
        return memo["grads"][argnum]
    return vjp


def _no_batching(args, dims, **kwargs):
    raise RuntimeError("autograd: a custom-rule node met ag.vmap directly; call the decorated function inside "
                       "vmap instead (its rules are mapped over the examples)")


def _zeros_for(x):
    return make_leaf(np.zeros(x.shape, x.dtype if x.dtype.kind in "fc" else np.float64))


# -- custom_vjp --------------------------------------------------------------------------------------


class custom_vjp:
    """A function of Tensors with its own reverse-mode rule, as JAX's ``jax.custom_vjp``:

    ``f.defvjp(fwd, bwd)``: ``fwd(*args)`` returns ``(out, residuals)``; ``bwd(residuals, g)`` returns a
    tuple with one cotangent per positional argument (None: no gradient), ``g`` having the output's
    structure. Without differentiation ``f`` runs as written. ``bwd`` is written with ops, so it can be
    differentiated again (``create_graph``, ``hessian``). Forward mode (``jvp``) differentiates ``f`` as
    written; inside ``vmap``, ``fwd`` and ``bwd`` are mapped over the examples.

    Example:
        >>> @ag.custom_vjp
        ... def safe_log1pexp(x):
        ...     return ag.softplus(x)
        >>> safe_log1pexp.defvjp(lambda x: (safe_log1pexp(x), x), lambda x, g: (g * ag.sigmoid(x),))
        >>> ag.grad(lambda x: ag.sum(safe_log1pexp(x)))(np.array([0.0, 100.0]))
        Tensor([0.5, 1. ])
    """

    def __init__(self, fun):
        if not callable(fun):
            raise TypeError(f"custom_vjp(fun): expected a callable, received {fun!r}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = self.bwd = None
        self._inside = 0     # > 0 while fwd runs: a call of f there is the plain function (as in JAX)
        self.prim = Primitive(lambda *a, **k: None, f"custom_vjp({getattr(fun, '__name__', 'f')})")
        defvjp_argnum(self.prim, _shared_vjp(self._cotangents))
        defjvp_argnums(self.prim, jvp_by_composition(
            lambda args, kw: _pack(_outputs(kw["layout"].per_example(self.fun)(*args), "custom_vjp")[1],
                                   kw["layout"].depth)))
        defbatch(self.prim, _no_batching)

    def defvjp(self, fwd, bwd):
        """Set the rule: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, g) -> tuple of cotangents``."""
        if not callable(fwd) or not callable(bwd):
            raise TypeError(f"{self.prim.name}.defvjp(fwd, bwd): both must be callable, received {fwd!r} and {bwd!r}")
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise RuntimeError(f"{self.prim.name}: no rule yet; call .defvjp(fwd, bwd) before using it")
        layout = _Layout(args)
        if self._inside or not _needs_node(layout):
            return self.fun(*args)
        # NOTE: fwd runs while recording, so that residuals keep their graph back to the inputs (bwd can
        # then be differentiated again); the graph of fwd's own output is dropped, the node stands for it.
        result = layout.per_example(lambda *a: self._fwd_checked(a))(*layout.plain)
        out, residuals = result
        single, outs = _outputs(out, self.prim.name)
        shapes = [layout.example_shape(o) for o in outs]
        packed = _pack(outs, layout.depth)
        node = _node(self.prim, packed.data, layout.plain,
                     {"layout": layout, "residuals": residuals, "shapes": shapes, "single": single, "memo": {}})
        return _result(node, layout, single, shapes)

    def _fwd_checked(self, args):
        self._inside += 1
        try:
            res = self.fwd(*args)
        finally:
            self._inside -= 1
        if not (isinstance(res, tuple) and len(res) == 2):
            raise TypeError(f"{self.prim.name}: fwd must return a pair (out, residuals), received {type(res).__name__}")
        return res

    def _cotangents(self, g, ans, args, kwargs):
        layout, shapes, single = kwargs["layout"], kwargs["shapes"], kwargs["single"]
        n = len(args)

        def bwd(residuals, *gs):
            ct = gs[0] if single else tuple(gs)
            grads = self.bwd(residuals, ct)
            if not isinstance(grads, (tuple, list)) or len(grads) != n:
                raise ValueError(f"{self.prim.name}: bwd must return a tuple with one cotangent per positional "
                                 f"argument ({n}), received {grads!r:.80}")
            # None (no gradient) as zeros of the argument's shape, so that vmap can stack the results
            return tuple(_zeros_for(a) if gi is None and layout.tensor[i] else gi for i, (gi, a) in
                         enumerate(zip(grads, per_arg))) if layout.depth else tuple(grads)

        per_arg = [make_leaf(np.zeros(layout.example_shape(a), a.dtype)) if layout.tensor[i] else None
                   for i, a in enumerate(args)]
        gs = _unpack(g, shapes, layout.depth)
        axes = (0,) * (1 + len(gs))
        grads = layout.per_example(bwd, axes)(kwargs["residuals"], *gs)
        return [gi if layout.tensor[i] else None for i, gi in enumerate(grads)]


# -- custom_jvp --------------------------------------------------------------------------------------


class custom_jvp:
    """A function of Tensors with its own forward-mode rule, as JAX's ``jax.custom_jvp``:

    ``@f.defjvp`` over ``rule(primals, tangents) -> (out, tangent_out)`` (tangents of non-float arguments
    are None). Reverse mode transposes the rule (it must be linear in the tangents, as JAX requires): the
    gradient is the reverse-mode derivative of the rule's tangent output with respect to the tangents.
    Without differentiation ``f`` runs as written.

    Example:
        >>> @ag.custom_jvp
        ... def log1pexp(x):
        ...     return ag.log(1.0 + ag.exp(x))
        >>> @log1pexp.defjvp
        ... def log1pexp_jvp(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return log1pexp(x), t * ag.sigmoid(x)          # finite where exp(x) overflows
        >>> with np.errstate(over="ignore"):       # the value overflows to inf at 1000; the rule's gradient does not
        ...     ag.grad(lambda x: ag.sum(log1pexp(x)))(np.array([0.0, 1000.0]))
        Tensor([0.5, 1. ])
    """

    def __init__(self, fun):
        if not callable(fun):
            raise TypeError(f"custom_jvp(fun): expected a callable, received {fun!r}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.rule = None
        self._inside = 0     # > 0 while the rule runs: a call of f there is the plain function
        self.prim = Primitive(lambda *a, **k: None, f"custom_jvp({getattr(fun, '__name__', 'f')})")
        defjvp_argnums(self.prim, self._tangent)
        defvjp_argnum(self.prim, _shared_vjp(self._transposed))
        defbatch(self.prim, _no_batching)

    def defjvp(self, rule):
        """Set the rule ``rule(primals, tangents) -> (out, tangent_out)``; returns it (usable as a decorator)."""
        if not callable(rule):
            raise TypeError(f"{self.prim.name}.defjvp(rule): expected a callable, received {rule!r}")
        self.rule = rule
        return rule

    def __call__(self, *args):
        if self.rule is None:
            raise RuntimeError(f"{self.prim.name}: no rule yet; decorate a rule with @{self.fun.__name__}.defjvp")
        layout = _Layout(args)
        if self._inside or not _needs_node(layout):
            return self.fun(*args)
        prev = STATE.grad_enabled
        STATE.grad_enabled = False     # the node stands for the function's graph: none is kept
        try:
            out = layout.per_example(self.fun)(*layout.plain)
        finally:
            STATE.grad_enabled = prev
        single, outs = _outputs(out, self.prim.name)
        shapes = [layout.example_shape(o) for o in outs]
        node = _node(self.prim, _pack(outs, layout.depth).data, layout.plain,
                     {"layout": layout, "shapes": shapes, "single": single, "memo": {}})
        return _result(node, layout, single, shapes)

    def _tangent_of(self, args, tangents, layout):
        """The rule's packed tangent output, mapped over the examples; None tangents for non-float args."""
        n = len(args)

        def rule(*pt):
            primals, ts = pt[:n], pt[n:]
            ts = tuple(None if (t is None or not layout.tensor[i]) else t for i, t in enumerate(ts))
            self._inside += 1
            try:
                res = self.rule(tuple(primals), ts)
            finally:
                self._inside -= 1
            if not (isinstance(res, tuple) and len(res) == 2):
                raise TypeError(f"{self.prim.name}: the jvp rule must return a pair (out, tangent_out)")
            return _pack(_outputs(res[1], self.prim.name)[1], 0)

        full = [t if t is not None or not layout.tensor[i] else _zeros_for(a)
                for i, (a, t) in enumerate(zip(args, tangents))]
        axes = tuple(0 if t else None for t in layout.tensor) * 2
        return layout.per_example(rule, axes)(*args, *full)

    def _tangent(self, tangents, ans, args, kwargs):
        return self._tangent_of(args, tangents, kwargs["layout"])

    def _transposed(self, g, ans, args, kwargs):
        # the rule is linear in the tangents: its transpose is its gradient with respect to them
        layout = kwargs["layout"]
        create = STATE.grad_enabled
        STATE.grad_enabled = True
        try:
            ts = [Tensor(np.zeros(a.shape, a.dtype), requires_grad=True) if t and a.dtype.kind in "fc" else None
                  for a, t in zip(args, layout.tensor)]
            tout = self._tangent_of(args, ts, layout)
        finally:
            STATE.grad_enabled = create
        wanted = [t for t in ts if t is not None]
        if not isinstance(tout, Tensor) or not tout.requires_grad:
            return [None] * len(args)
        grads = iter(gradients(tout, wanted, grad_outputs=g, create_graph=create))
        return [next(grads) if t is not None else None for t in ts]


# -- checkpoint ------------------------------------------------------------------------------------------

_checkpoint_names = itertools.count()


def checkpoint(f):
    """``f`` rematerialised: its forward keeps no intermediate results, only its inputs (and the Tensors it
    closes over); backward runs it again, recording, and differentiates that. The same values and
    gradients as ``f``, for the price of a second forward pass: checkpointing each block of a deep network
    bounds memory by one block's intermediates plus the blocks' inputs (``jax.checkpoint``,
    ``torch.utils.checkpoint``). ``f`` takes Tensors and returns a Tensor or a tuple of them. Random draws inside
    ``f`` (dropout, ``random_normal``) are drawn again with the same numbers: the numpy Generators ``f`` drew from
    are put back to their states of the forward for the recomputation, then left where they were.

    Example:
        >>> w = ag.tensor(np.full((3, 3), 0.1), requires_grad=True)
        >>> block = ag.checkpoint(lambda h: ag.tanh(h @ w))
        >>> loss = ag.sum(block(block(np.ones((2, 3)))))
        >>> loss.backward(); w.grad.shape
        (3, 3)
    """
    if not callable(f):
        raise TypeError(f"checkpoint(f): expected a callable, received {f!r}")
    prim = Primitive(lambda *a, **k: None, f"checkpoint({getattr(f, '__name__', 'f')})#{next(_checkpoint_names)}")

    def run(args, kw):
        """f on the node's arguments (mapped over the examples inside vmap): (single, shapes, packed output)."""
        layout = kw["layout"]
        single, outs = _outputs(layout.per_example(f)(*args[:kw["nargs"]]), prim.name)
        return single, [layout.example_shape(o) for o in outs], _pack(outs, layout.depth)

    def cotangents(g, ans, args, kw):
        # recompute while recording: fresh inputs (connected to the node's when the gradient is itself
        # recorded) and the closed-over Tensors as they are
        from .ops.elementwise import positive
        nargs = kw["nargs"]
        create = STATE.grad_enabled
        STATE.grad_enabled = True
        try:
            ins = [(positive(a) if create else Tensor(a.data, requires_grad=True))
                   if isinstance(a, Tensor) and a.requires_grad else a for a in args[:nargs]]
            with _same_draws(kw["draws"]):
                out = run(tuple(ins), kw)[2]
        finally:
            STATE.grad_enabled = create
        diff = [isinstance(i, Tensor) and i.requires_grad for i in ins]
        if not out.requires_grad:
            return [None] * len(args)
        grads = iter(gradients(out, [i for i, d in zip(ins, diff) if d] + list(args[nargs:]), grad_outputs=g,
                               create_graph=create))
        return [next(grads) if d else None for d in diff] + [next(grads) for _ in args[nargs:]]

    defvjp_argnum(prim, _shared_vjp(cotangents))
    def recomputed(args, kw):
        with _same_draws(kw["draws"]):
            return run(args, kw)[2]

    defjvp_argnums(prim, jvp_by_composition(recomputed))
    defbatch(prim, _no_batching)

    @functools.wraps(f)
    def wrapped(*args):
        if not STATE.grad_enabled:
            return f(*args)
        layout = _Layout(args)
        kw = {"layout": layout, "nargs": len(args), "memo": {}, "draws": {}}
        start = next_seq()
        DRAW_LOG.append(kw["draws"])
        try:
            single, shapes, out = run(layout.plain, kw)
        finally:
            DRAW_LOG.pop()
        if not out.requires_grad:
            return _result(out, layout, single, shapes)
        outer = _outer_tensors(out, start, layout.plain)
        # NOTE: the graph just recorded is dropped here (only the output's data is kept), so the block's
        # intermediates are freed before the next block runs; backward records it again.
        node = _node(prim, out.data, layout.plain + tuple(outer), kw)
        return _result(node, layout, single, shapes)

    return wrapped


@contextlib.contextmanager
def _same_draws(draws):
    """The numpy Generators of ``draws`` (id -> (generator, state before the forward's first draw)) back at those
    states while a checkpoint recomputes its forward, then where they were (torch's preserve_rng_state)."""
    now = [(g, g.bit_generator.state) for g, _ in draws.values()]
    for g, state in draws.values():
        g.bit_generator.state = state
    try:
        yield
    finally:
        for g, state in now:
            g.bit_generator.state = state


def _outer_tensors(out, start, own):
    """The Tensors requiring grad that ``out`` depends on and that were made before the call (creation
    number below ``start``): the closed-over weights, which the checkpoint node must list as inputs."""
    own_ids = {id(a) for a in own}
    found, seen, stack = [], set(), [out]
    while stack:
        t = stack.pop()
        ctx = t._ctx
        if type(ctx) is not tuple:
            continue
        for a in ctx[1]:
            if not isinstance(a, Tensor) or not a.requires_grad or id(a) in seen:
                continue
            seen.add(id(a))
            actx = a._ctx
            if actx is None or (type(actx) is tuple and actx[4] < start):
                if id(a) not in own_ids:
                    found.append(a)
            else:
                stack.append(a)
    return found
