"""Forward mode: ``ag.jvp``, pushing tangents from the inputs to the outputs through each primitive's jvp.

``jvp(f, primals, tangents)`` runs ``f`` once, recording its primitives as reverse mode does, then visits
the recorded nodes in creation order (inputs before the ops that use them) and gives each node the sum of
its primitive's jvp rules applied to the tangents of its arguments (``defjvp``). No vjp is involved: it
is true forward mode, one tangent sweep the cost of one forward pass. Nodes that do not depend on the
inputs get no tangent (zero) and cost nothing.

The jvp rules are written with autograd ops, so the sweep is itself recorded when it has to be: the
tangents can be differentiated in reverse mode (``grad`` of ``jvp``), pushed forward again (``jvp`` of
``jvp``), and ``jvp(grad(f), ...)`` pushes tangents through the recorded backward pass
(forward-over-reverse: Hessian-vector products). Inside ``vmap``, jvp runs on the batched Tensors.

# NOTE: the sweep follows the graph recorded while ``f`` ran, so memory is that of a reverse-mode forward
# pass (the intermediates stay alive until the sweep); a streaming evaluation can replace it later without
# changing the rule contract.

Example:
    >>> import autograd as ag
    >>> out, tangent = ag.jvp(lambda x: ag.sin(x) * x, (np.array([0.0, 1.0]),), (np.ones(2),))
    >>> tangent                                   # cos(x) x + sin(x)
    Tensor([0.        , 1.38177329])
"""
import numpy as np

from .batching import from_plain, levels_of, to_plain
from .modes import STATE
from .tensor import Tensor, make_leaf


def _nodes_between(outputs, input_ids):
    """Every recorded node reachable from ``outputs`` without passing an input, in creation order."""
    seen = set()
    nodes = []
    stack = [o for o in outputs if isinstance(o, Tensor)]
    while stack:
        t = stack.pop()
        k = id(t)
        if k in seen or k in input_ids:
            continue
        seen.add(k)
        ctx = t._ctx
        if type(ctx) is not tuple:
            continue
        nodes.append(t)
        for a in ctx[1]:
            if isinstance(a, Tensor) and a.requires_grad and id(a) not in seen:
                stack.append(a)
    nodes.sort(key=lambda n: n._ctx[4])
    return nodes


def _fit_tangent(t, node, prim):
    """A jvp's result as a Tensor with the node's shape and dtype (broadcasting redone in one place)."""
    if not isinstance(t, Tensor):
        t = make_leaf(np.asarray(t))
    shape = node.data.shape
    if t.shape != shape:
        from .ops.shape import broadcast_to
        try:
            t = broadcast_to(t, shape)
        except ValueError:
            raise ValueError(f"autograd: the jvp of op '{prim.name}' returned shape {t.shape}, which does not "
                             f"broadcast to the op's output shape {shape}") from None
    if t.dtype != node.data.dtype:
        t = t.astype(node.data.dtype)
    return t


def push_tangents(outputs, inputs, tangents):
    """The tangents of ``outputs`` (recorded Tensors) given the ``tangents`` of ``inputs`` (None: zero).

    Returns a list with a Tensor or None (zero) per output. The rules run in the current recording mode
    (recorded, so differentiable, unless inside ``no_grad``).

    Example:
        >>> from autograd.forward_mode import push_tangents
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * x
        >>> with ag.no_grad():
        ...     push_tangents([y], [x], [ag.ones(2)])        # 2 x
        [Tensor([2., 4.])]
    """
    from .ops.elementwise import add
    tans = {id(x): t for x, t in zip(inputs, tangents) if t is not None}
    quiet = np.errstate(divide="ignore", invalid="ignore")   # as in backward: masked branches may warn
    quiet.__enter__()
    try:
        for node in _nodes_between(outputs, set(tans)):
            prim, args, kwargs, _, _ = node._ctx
            ts = [tans.get(id(a)) if isinstance(a, Tensor) else None for a in args]
            if all(t is None for t in ts):
                continue
            if prim.jvp_argnums is not None:
                total = prim.jvp_argnums(tuple(ts), node, args, kwargs or {})
            else:
                total = None
                for i, t in enumerate(ts):
                    if t is None:
                        continue
                    fn = prim.jvps.get(i) or prim.jvp_for(i)
                    ti = fn(t, node, *args, **kwargs) if kwargs else fn(t, node, *args)
                    if ti is not None:
                        total = ti if total is None else add(total, ti)
            if total is not None:
                tans[id(node)] = _fit_tangent(total, node, prim)
    finally:
        quiet.__exit__(None, None, None)
    return [tans.get(id(o)) for o in outputs]


def jvp_by_composition(compose):
    """The forward-mode rule (for ``defjvp_argnums``) of a fused primitive equal to ``compose(args, kwargs)``,
    a composition of ops (a recurrence unrolled step by step): the composition is built on the primitive's
    arguments and the tangents are pushed through it. True forward mode (the composition's own jvps, no
    vjp); it costs a second forward pass in ops, as the fused primitives' higher-order vjps do.

    Example:
        >>> from autograd.forward_mode import jvp_by_composition
        >>> sq = ag.primitive(lambda x: x * x, name='fused_square')
        >>> _ = ag.defvjp(sq, lambda g, ans, x: 2.0 * g * x)
        >>> _ = ag.defjvp_argnums(sq, jvp_by_composition(lambda args, kw: args[0] * args[0]))
        >>> ag.jvp(sq, (3.0,), (1.0,))
        (Tensor(9.), Tensor(6.))
    """
    def rule(tangents, ans, args, kwargs):
        recording = STATE.grad_enabled
        # NOTE: arguments without a tangent are detached unless the tangent itself is recorded (its derivative
        # with respect to them is then needed), so that the sweep does not walk the graph upstream of them.
        ins = [a.detach() if (t is None and not recording and isinstance(a, Tensor)) else a
               for a, t in zip(args, tangents)]
        STATE.grad_enabled = True
        try:
            out = compose(tuple(ins), kwargs)
        finally:
            STATE.grad_enabled = recording
        pairs = [(a, t) for a, t in zip(ins, tangents) if t is not None]
        return push_tangents([out], [a for a, _ in pairs], [t for _, t in pairs])[0]
    return rule


def _as_sequence(x, what):
    if isinstance(x, (tuple, list)):
        return tuple(x)
    raise TypeError(f"jvp({what}): expected a tuple or list with one entry per argument of f, received "
                    f"{type(x).__name__} (write ({what[:-1]},) for a single argument)")


def jvp(f, primals, tangents):
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``, in forward mode:
    returns ``(outputs, tangent_outputs)`` as JAX's ``jvp`` does.

    Args:
        f: a function of Tensors returning a Tensor or a tuple / list of Tensors.
        primals: a tuple (or list) of arguments: arrays, Python scalars or Tensors (integers become float64).
        tangents: a tuple of the same length, one tangent per primal with the primal's shape (None: zero).

    Returns:
        ``(out, tangent_out)``: Tensors, or tuples of them matching ``f``'s output.

    Example:
        >>> ag.jvp(lambda x, y: x * y, (3.0, 4.0), (1.0, 0.0))        # d/dx (x y) = y
        (Tensor(12.), Tensor(4.))
        >>> hvp = ag.jvp(ag.grad(lambda x: (x ** 3).sum()), (np.array([1.0, 2.0]),), (np.ones(2),))[1]
        >>> hvp                                                        # forward-over-reverse: 6 x
        Tensor([ 6., 12.])
    """
    if not callable(f):
        raise TypeError(f"jvp(f): expected a callable, received {f!r}")
    from .transforms import _depends_on_other_leaves, _leafify
    primals = _as_sequence(primals, "primals")
    tangents = _as_sequence(tangents, "tangents")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    # inside vmap: primals and tangents share one batched layout (see batching.to_plain)
    levels = sorted({lv for v in primals + tangents for lv in levels_of(v)})
    xs, ts, args = [], [], []
    nested = False
    for i, (p, t) in enumerate(zip(primals, tangents)):
        p_shape = np.shape(p) if not hasattr(p, "shape") else tuple(p.shape)
        if t is not None:
            t_shape = np.shape(t) if not hasattr(t, "shape") else tuple(t.shape)
            if t_shape != p_shape:
                raise ValueError(f"jvp: tangent {i} has shape {t_shape}, expected the shape of primal {i}, {p_shape}")
        x, outer = _leafify(to_plain(p, levels) if levels else p)
        nested = nested or outer
        xs.append(x)
        args.append(from_plain(x, levels))
        if t is not None:
            t = to_plain(t, levels)
            if t.dtype != x.dtype:
                t = t.astype(x.dtype)
        ts.append(t)
    prev = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        out = f(*args)
        single = not isinstance(out, (tuple, list))
        outs = [out] if single else list(out)
        out_levels = [sorted(set(levels) | set(levels_of(o))) for o in outs]
        plain = [to_plain(o, lv) for o, lv in zip(outs, out_levels)]
    finally:
        STATE.grad_enabled = prev
    create = prev and (nested or any(t is not None and t.requires_grad for t in ts)
                       or any(_depends_on_other_leaves(o, xs) for o in plain))
    STATE.grad_enabled = create
    try:
        touts = push_tangents(plain, xs, ts)
    finally:
        STATE.grad_enabled = prev
    results, tresults = [], []
    for o, t, lv in zip(plain, touts, out_levels):
        if t is None:
            t = make_leaf(np.zeros(o.shape, o.dtype if o.dtype.kind in "fc" else np.float64))
        results.append(from_plain(o if create else o.detach(), lv))
        tresults.append(from_plain(t, lv))
    if single:
        return results[0], tresults[0]
    return type(out)(results), type(out)(tresults)
