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

from .batching import Batched, from_plain, levels_of, to_plain
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
        if t.dtype.kind == "c" and node.data.dtype.kind != "c":
            from .ops.elementwise import real
            t = real(t)
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
    from .transforms import _depends_on_other_leaves, _leafify, _output
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
        outs = [o if isinstance(o, (Tensor, Batched)) else _output(o, "jvp") for o in ([out] if single else out)]
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


def _moved_jacobian(cols, n, in_shape, nb):
    """Columns ``(n, *batch, *out)`` of a forward-mode Jacobian as ``(*batch, *out, *in)``."""
    from .ops.shape import reshape, transpose
    s = tuple(cols.shape)
    out_shape = s[1:]
    m = int(np.prod(out_shape, dtype=np.int64))
    flat = transpose(reshape(cols, (n, m)), (1, 0))
    return reshape(flat, out_shape + tuple(in_shape))


def jacfwd(f, argnums=0):
    """Return a function computing the Jacobian of ``f`` in forward mode, of shape ``out.shape + arg.shape``:
    the jvps along every basis direction of the argument, batched into one pass (``vmap`` of ``jvp``), as
    JAX's ``jacfwd``. Cheaper than ``jacrev`` (``ag.jacobian``) when the argument has fewer elements than the
    output. A tuple ``argnums`` gives a tuple of Jacobians; a function returning a tuple gives one entry per
    output.

    Example:
        >>> ag.jacfwd(lambda x: x * x * 2.0)(np.array([1.0, 3.0]))      # diag(4 x)
        Tensor([[ 4.,  0.],
                [ 0., 12.]])
    """
    if not callable(f):
        raise TypeError(f"jacfwd(f): expected a callable, received {f!r}")
    from .batching import shape_of, vmap
    from .transforms import _as_argnums

    def wrapped(*args, **kwargs):
        single, nums = _as_argnums(argnums, len(args), "jacfwd")
        per_arg = []
        for i in nums:
            x = args[i]
            if not isinstance(x, Tensor) and not hasattr(x, "shape"):
                x = np.asarray(x, dtype=np.float64)
            in_shape = tuple(shape_of(x))
            n = int(np.prod(in_shape, dtype=np.int64))
            dtype = x.dtype if x.dtype.kind in "fc" else np.dtype(np.float64)
            basis = np.eye(n, dtype=dtype).reshape((n,) + in_shape)

            def push(v, i=i, x=x):
                rest = list(args)

                def fi(xi):
                    rest[i] = xi
                    return f(*rest, **kwargs)
                return jvp(fi, (x,), (v,))[1]

            cols = vmap(push)(basis)
            outs = cols if isinstance(cols, tuple) else (cols,)
            per_arg.append(tuple(_moved_jacobian(c, n, in_shape, 0) for c in outs) if isinstance(cols, tuple)
                           else _moved_jacobian(cols, n, in_shape, 0))
        if single:
            return per_arg[0]
        if isinstance(per_arg[0], tuple):      # several outputs: outputs first, then arguments (as JAX)
            return tuple(tuple(p[k] for p in per_arg) for k in range(len(per_arg[0])))
        return tuple(per_arg)

    wrapped.__name__ = f"jacfwd({getattr(f, '__name__', 'f')})"
    return wrapped


def linearize(f, *primals):
    """Evaluate ``f(*primals)`` once and return ``(out, f_jvp)``: ``f_jvp(*tangents)`` pushes tangents
    through the recorded evaluation without running ``f`` again (each call costs one tangent sweep), as
    JAX's ``linearize``. Use it for many jvps at one point (Newton-Krylov, a Jacobian column at a time).

    Example:
        >>> out, f_jvp = ag.linearize(lambda x: ag.exp(x) * x, np.array([0.0, 1.0]))
        >>> f_jvp(np.array([1.0, 0.0])), f_jvp(np.array([0.0, 1.0]))     # (1 + x) e^x along each axis
        (Tensor([1., 0.]), Tensor([0.        , 5.43656366]))
    """
    if not callable(f):
        raise TypeError(f"linearize(f): expected a callable, received {f!r}")
    from .transforms import _depends_on_other_leaves, _leafify, _output
    levels = sorted({lv for p in primals for lv in levels_of(p)})
    xs, args, shapes = [], [], []
    nested = False
    for p in primals:
        shapes.append(np.shape(p) if not hasattr(p, "shape") else tuple(p.shape))
        x, outer = _leafify(to_plain(p, levels) if levels else p)
        nested = nested or outer
        xs.append(x)
        args.append(from_plain(x, levels))
    prev = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        out = f(*args)
        single = not isinstance(out, (tuple, list))
        outs = [o if isinstance(o, (Tensor, Batched)) else _output(o, "linearize") for o in ([out] if single else out)]
        plain = [to_plain(o, levels) for o in outs]
    finally:
        STATE.grad_enabled = prev
    create = prev and (nested or any(_depends_on_other_leaves(o, xs) for o in plain))

    def f_jvp(*tangents):
        if len(tangents) != len(xs):
            raise ValueError(f"linearize: f_jvp takes {len(xs)} tangents (one per primal), received {len(tangents)}")
        ts = []
        for i, (t, shape, x) in enumerate(zip(tangents, shapes, xs)):
            if t is None:
                ts.append(None)
                continue
            t_shape = tuple(t.shape) if hasattr(t, "shape") else np.shape(t)
            if t_shape != shape:
                raise ValueError(f"linearize: tangent {i} has shape {t_shape}, expected the shape of primal {i}, "
                                 f"{shape}")
            t = to_plain(t, levels)
            ts.append(t if t.dtype == x.dtype else t.astype(x.dtype))
        was = STATE.grad_enabled
        STATE.grad_enabled = create or any(t is not None and t.requires_grad for t in ts)
        try:
            touts = push_tangents(plain, xs, ts)
        finally:
            STATE.grad_enabled = was
        res = [from_plain(t if t is not None else make_leaf(np.zeros(o.shape, o.dtype)), levels)
               for t, o in zip(touts, plain)]
        return res[0] if single else type(out)(res)

    results = [from_plain(o if create else o.detach(), levels) for o in plain]
    return (results[0] if single else type(out)(results)), f_jvp
