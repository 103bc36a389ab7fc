"""The backward pass: push cotangents from the outputs to the inputs through each op's vjps.

Every recorded node carries a creation number (``_ctx[4]``) larger than those of its inputs, so visiting
nodes from a max-heap of creation numbers reaches each node only after all of its users: no recursion and
no separate sorting pass, whatever the depth of the graph. Cotangents accumulate in a dict keyed by node
identity and are popped as they are used; unless ``retain_graph`` is set each node forgets its inputs
once its vjps have run, so saved arrays are freed and a second backward through it raises an error
naming ``retain_graph``.

Example:
    >>> x = ag.tensor(3.0, requires_grad=True)
    >>> (gx,) = ag.gradients(x * x, [x])
    >>> gx
    Tensor(6.)
"""
from heapq import heappop, heappush

import numpy as np

from .modes import STATE
from .primitive import creation_site
from .tensor import Tensor, make_leaf


def unbroadcast(grad, shape):
    """Bring ``grad`` to ``shape``: sum over the axes numpy broadcasting added or stretched (the one place
    this is done); a smaller gradient (say a scalar from a vjp) is broadcast up first.

    Example:
        >>> unbroadcast(ag.ones((4, 2, 3)), (2, 1)).shape
        (2, 1)
    """
    gs = grad.shape
    if gs == shape:
        return grad
    from .ops.shape import broadcast_to, sum_to
    n = len(shape)
    if len(gs) < n or any(s != 1 and s != d for s, d in zip(shape, gs[len(gs) - n:])):
        full = np.broadcast_shapes(gs, shape)
        if full != gs:
            grad = broadcast_to(grad, full)
    return sum_to(grad, shape)


def _fit(grad, target, prim, argnum):
    """Turn a vjp's result into a Tensor with the target's shape and dtype."""
    if not isinstance(grad, Tensor):
        grad = make_leaf(np.asarray(grad))
    tshape = target.data.shape
    if grad.data.shape != tshape:
        try:
            grad = unbroadcast(grad, tshape)
        except ValueError:
            raise ValueError(
                f"autograd: the vjp of op '{prim.name}' for argument {argnum} returned shape {grad.shape}, "
                f"which cannot be reduced to the argument's shape {tshape}") from None
    if grad.data.dtype != target.data.dtype:
        if grad.data.dtype.kind == "c" and target.data.dtype.kind != "c":
            # a real input of a complex result: the real part is its gradient (HIPS autograd's convention)
            from .ops.elementwise import real
            grad = real(grad)
        grad = grad.astype(target.data.dtype)
    return grad


def _check_backward(prim, node, argnum, g):
    d = g.data
    if d.dtype.kind in "fc" and not np.isfinite(d).all():
        site = creation_site(node) or "<unknown: created outside detect_anomaly>"
        raise FloatingPointError(
            f"autograd anomaly: backward of op '{prim.name}' produced NaN or inf in the gradient for "
            f"argument {argnum} (shape {d.shape}); the op was created at {site}")


def _freed_error(ctx, node):
    return RuntimeError(
        f"autograd: trying to backward through op '{ctx.name}' (output shape {node.data.shape}) a second time, "
        f"but its saved arrays were freed by the first backward; pass retain_graph=True to the first backward "
        f"(.backward(retain_graph=True) or ag.gradients(..., retain_graph=True)) to keep them")


def _reaching(roots, target_ids):
    """For every node reachable from ``roots``: whether a target is that node or lies upstream of it.

    Iterative post-order walk (no recursion); used to skip the parts of the graph that lead to no target.
    """
    memo = {}
    stack = list(roots)
    while stack:
        t = stack[-1]
        k = id(t)
        if k in memo:
            stack.pop()
            continue
        ctx = t._ctx
        if type(ctx) is not tuple:
            memo[k] = k in target_ids
            stack.pop()
            continue
        pending = False
        for a in ctx[1]:
            if isinstance(a, Tensor) and a.requires_grad and id(a) not in memo:
                stack.append(a)
                pending = True
        if pending:
            continue
        stack.pop()
        r = k in target_ids
        if not r:
            for a in ctx[1]:
                if isinstance(a, Tensor) and a.requires_grad and memo[id(a)]:
                    r = True
                    break
        memo[k] = r
    return memo


def run_backward(roots, root_grads, targets=None, retain_graph=False, create_graph=False):
    """Propagate ``root_grads`` (Tensors shaped like ``roots``) back through the recorded graph.

    With ``targets`` None, gradients accumulate into ``.grad`` of every leaf that requires grad.
    Otherwise nothing is accumulated, only the parts of the graph that lead to a target are visited,
    and the gradients of ``targets`` are returned (None where no gradient reaches a target).

    Example:
        >>> from autograd.engine import run_backward
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True); y = (x * x).sum()
        >>> run_backward([y], [ag.tensor(1.0)], targets=[x])
        [Tensor([2., 4.])]
        >>> x.grad is None  # with targets nothing accumulates
        True
    """
    target_ids = reach = None
    if targets is not None:
        target_ids = {id(t) for t in targets}
        # NOTE: when every target is a leaf (the usual "gradients of the loss w.r.t. the weights"), no target
        # can lie upstream of another and every reachable node leads to some leaf, so the pruning walk would
        # cost more than it saves; gradients reaching other leaves are simply dropped.
        if any(t._ctx is not None for t in targets):
            reach = _reaching(roots, target_ids)
    grads = {}
    heap = []
    leaves = []
    results = {}
    for r, g in zip(roots, root_grads):
        k = id(r)
        prev = grads.get(k)
        if prev is not None:
            grads[k] = prev + g
            continue
        grads[k] = g
        ctx = r._ctx
        if ctx is None:
            leaves.append(r)
        elif type(ctx) is tuple:
            heappush(heap, (-ctx[4], r))
        else:
            raise _freed_error(ctx, r)
    anomaly = STATE.anomaly
    # a tracer capturing a step (autograd.trace.capture) records each vjp call as one node
    capture = STATE.tracer if STATE.tracer is not None and STATE.tracer.capture else None
    prev_mode = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    # NOTE: in anomaly mode the ops inside a vjp are not checked one by one (a vjp may pass through inf
    # on purpose, e.g. a where-guarded sqrt); the vjp's result is checked instead, naming the primitive.
    STATE.anomaly = False
    # NOTE: divisions by zero and invalid values met while pushing gradients through the branch a `where`
    # did not take are masked out again (see elementwise._zero_where_g_zero); numpy's warnings about them
    # would only be noise, so they are off during backward. detect_anomaly reports real non-finite grads.
    quiet = np.errstate(divide="ignore", invalid="ignore")
    quiet.__enter__()
    try:
        while heap:
            node = heappop(heap)[1]
            key = id(node)
            g = grads.pop(key)
            if target_ids is not None and key in target_ids:
                results[key] = g
            prim, args, kwargs, versions, _ = node._ctx
            vjps = prim.vjps
            i = -1
            for a in args:
                i += 1
                if not isinstance(a, Tensor):
                    continue
                if a._version != versions[i]:
                    raise RuntimeError(
                        f"autograd: an input of op '{prim.name}' (argument {i}, shape {a.shape}) was modified "
                        f"in place after it was saved for backward (version {versions[i]} -> {a._version}); "
                        f"copy it before modifying it, or modify it after backward")
                if not a.requires_grad:
                    continue
                ak = id(a)
                if reach is not None and not reach.get(ak):
                    continue
                fn = vjps.get(i) or prim.vjp_for(i)
                if capture is None:
                    gi = fn(g, node, *args, **kwargs) if kwargs else fn(g, node, *args)
                else:
                    gi = capture.call_vjp(prim, i, fn, g, node, args, kwargs)
                if gi is None:
                    continue
                if isinstance(gi, Tensor):
                    gd = gi.data
                    ad = a.data
                    # (dtype objects of arrays made by numpy are shared, so `is` settles the common case)
                    if gd.shape != ad.shape or (gd.dtype is not ad.dtype and gd.dtype != ad.dtype):
                        gi = _fit(gi, a, prim, i)
                else:
                    gi = _fit(gi, a, prim, i)
                if anomaly:
                    _check_backward(prim, node, i, gi)
                prev = grads.get(ak)
                if prev is None:
                    grads[ak] = gi
                    actx = a._ctx
                    if actx is None:
                        leaves.append(a)
                    elif type(actx) is tuple:
                        heappush(heap, (-actx[4], a))
                    else:
                        raise _freed_error(actx, a)
                else:
                    grads[ak] = prev + gi
            if not retain_graph:
                node._ctx = prim.freed
        given = set()
        for leaf in leaves:
            key = id(leaf)
            g = grads.pop(key)
            if target_ids is not None:
                if key in target_ids:
                    results[key] = g if create_graph else _own(g, given)
            elif leaf.grad is None:
                leaf.grad = g if create_graph else _own(g, given)
            else:
                leaf.grad = leaf.grad + g
    finally:
        quiet.__exit__(None, None, None)
        STATE.grad_enabled = prev_mode
        STATE.anomaly = anomaly
    if targets is None:
        return None
    out = []
    for t in targets:
        g = results.get(id(t))
        if g is not None and not create_graph and t._ctx is not None:
            g = _own(g, given)
        out.append(g)
    return out


def _own(g, given):
    """A constant gradient whose array is writable and not shared with another returned gradient.

    Vjps may pass one array on to several inputs (``a + b``) or return read-only broadcast views
    (``sum``); a gradient handed to the user must be safe to modify in place.
    """
    d = g.data
    copied = id(d) in given or not d.flags.writeable
    if copied:
        d = d.copy()
    given.add(id(d))
    if g.requires_grad or copied:
        out = make_leaf(d)
        if copied and STATE.tracer is not None and STATE.tracer.capture:
            STATE.tracer.record_copy(g, out)
        return out
    return g


def _root_grad(t, grad):
    if grad is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"backward(): the output has shape {t.shape}; gradients can be created implicitly only for "
                f"outputs with one element: pass grad= (a cotangent of that shape), or reduce it first (.sum())")
        return make_leaf(np.ones(t.shape, dtype=t.dtype))
    g = grad if isinstance(grad, Tensor) else make_leaf(np.array(grad, dtype=t.dtype))
    if g.shape != t.shape:
        raise ValueError(f"backward(grad=...): grad has shape {g.shape}, expected the output's shape {t.shape}")
    if g.dtype != t.dtype:
        g = g.astype(t.dtype)
    return g


def backward(t, grad=None, retain_graph=False, create_graph=False):
    """Accumulate gradients of ``t`` into the ``.grad`` of the leaves it depends on.

    Example:
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> ag.backward((x * x).sum()); x.grad
        Tensor([2., 4.])
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"backward: expected a Tensor, received {type(t).__name__}")
    if not t.requires_grad:
        raise RuntimeError(
            "backward(): the tensor does not require grad and has no recorded graph; make an input with "
            "requires_grad=True (and compute outside ag.no_grad())")
    run_backward([t], [_root_grad(t, grad)], None, retain_graph=retain_graph or create_graph,
                 create_graph=create_graph)


def gradients(outputs, inputs, grad_outputs=None, retain_graph=False, create_graph=False, allow_unused=True):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated into ``.grad``).

    Args:
        outputs: a Tensor or a list of Tensors.
        inputs: a Tensor or a list of Tensors (leaves or intermediate results).
        grad_outputs: cotangents for the outputs (default ones for single-element outputs).
        retain_graph: keep the graph for another backward pass (implied by create_graph).
        create_graph: record the backward pass for higher-order gradients.
        allow_unused: when False, an input the outputs do not depend on is an error.

    Returns:
        a list with one Tensor per input (zeros where the input does not affect the outputs).

    Example:
        >>> x = ag.tensor(2.0, requires_grad=True)
        >>> ag.gradients(x ** 3, [x])
        [Tensor(12.)]
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradients(inputs): input {i} must be a Tensor, received {type(t).__name__}")
    if grad_outputs is None:
        gos = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        gos = [grad_outputs]
    else:
        gos = list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"gradients(grad_outputs): expected {len(outs)} cotangents (one per output), "
                         f"received {len(gos)}")
    roots, rgrads = [], []
    for o, go in zip(outs, gos):
        if isinstance(o, Tensor) and o.requires_grad:
            roots.append(o)
            rgrads.append(_root_grad(o, go))
    if roots:
        res = run_backward(roots, rgrads, ins, retain_graph=retain_graph or create_graph,
                           create_graph=create_graph)
    else:
        res = [None] * len(ins)
    out = []
    for t, g in zip(ins, res):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"gradients: an input of shape {t.shape} does not affect the outputs "
                                   f"(pass allow_unused=True to get zeros for it)")
            g = make_leaf(np.zeros(t.shape, dtype=t.dtype))
        out.append(g)
    return out
