"""The backward pass: sort the recorded graph without recursion and push cotangents through vjps.

Cotangents accumulate in a dict keyed by node identity and are popped as they are used; unless
``retain_graph`` is set, each node forgets its inputs once its vjps have run, so saved arrays are freed
and a second backward through it raises an error naming ``retain_graph``.

Example:
    >>> x = ag.tensor(3.0, requires_grad=True)
    >>> (gx,) = ag.gradients(x * x, [x])
    >>> gx
    Tensor(6.)
"""
import numpy as np

from .modes import STATE
from .primitive import creation_site
from .tensor import Tensor, make_leaf


class _Freed:
    """Stands in a node's ``_ctx`` after backward freed it."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


def _toposort(roots, stop_ids):
    """Nodes reachable from ``roots`` (through inputs that require grad), inputs before users."""
    order = []
    seen = set()
    for root in roots:
        if id(root) in seen:
            continue
        stack = [(root, False)]
        while stack:
            t, expanded = stack.pop()
            if expanded:
                order.append(t)
                continue
            if id(t) in seen:
                continue
            seen.add(id(t))
            stack.append((t, True))
            ctx = t._ctx
            if ctx is not None and type(ctx) is tuple and (stop_ids is None or id(t) not in stop_ids):
                for a in ctx[1]:
                    if isinstance(a, Tensor) and a.requires_grad and id(a) not in seen:
                        stack.append((a, False))
    return order


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (undoing numpy broadcasting); the one place this is done."""
    if grad.shape == shape:
        return grad
    from .ops.shape import sum_to
    return sum_to(grad, shape)


def _fit(grad, target, prim, argnum):
    """Turn a vjp's result into a Tensor with the target's shape and dtype."""
    if not isinstance(grad, Tensor):
        grad = make_leaf(np.asarray(grad))
    if grad.shape != target.shape:
        try:
            grad = unbroadcast(grad, target.shape)
        except ValueError:
            raise ValueError(
                f"autograd: the vjp of op '{prim.name}' for argument {argnum} returned shape {grad.shape}, "
                f"which cannot be reduced to the argument's shape {target.shape}") from None
    if grad.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    return grad


def _check_backward(prim, node, argnum, g):
    d = g.data
    if d.dtype.kind in "fc" and not np.isfinite(d).all():
        site = creation_site(node) or "<unknown: created outside detect_anomaly>"
        raise FloatingPointError(
            f"autograd anomaly: backward of op '{prim.name}' produced NaN or inf in the gradient for "
            f"argument {argnum} (shape {d.shape}); the op was created at {site}")


def run_backward(roots, root_grads, targets=None, retain_graph=False, create_graph=False):
    """Propagate ``root_grads`` from ``roots``.

    With ``targets`` None, gradients accumulate into ``.grad`` of every leaf that requires grad.
    Otherwise nothing is accumulated and the gradients of ``targets`` are returned (None where no
    gradient reaches a target).
    """
    stop_ids = None if targets is None else {id(t) for t in targets}
    order = _toposort(roots, stop_ids)
    grads = {}
    for r, g in zip(roots, root_grads):
        prev = grads.get(id(r))
        grads[id(r)] = g if prev is None else prev + g
    results = {}
    anomaly = STATE.anomaly
    prev_mode = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    try:
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if stop_ids is not None and id(node) in stop_ids:
                results[id(node)] = g
                continue
            ctx = node._ctx
            if ctx is None:
                if stop_ids is None:
                    if not create_graph:
                        g = g.detach()
                    node.grad = g if node.grad is None else node.grad + g
                continue
            if type(ctx) is _Freed:
                raise RuntimeError(
                    f"autograd: trying to backward through op '{ctx.name}' a second time, but its saved "
                    f"arrays were freed by the first backward; pass retain_graph=True to the first "
                    f"backward (or .backward(retain_graph=True)) to keep them")
            prim, args, kwargs, versions = ctx
            kw = kwargs or {}
            for i, a in enumerate(args):
                if not (isinstance(a, Tensor) and a.requires_grad):
                    continue
                if a._version != versions[i]:
                    raise RuntimeError(
                        f"autograd: an input of op '{prim.name}' (argument {i}, shape {a.shape}) was modified "
                        f"in place after it was saved for backward (version {versions[i]} -> {a._version}); "
                        f"clone it before modifying, or modify it after backward")
                gi = prim.vjp_for(i)(g, node, *args, **kw)
                if gi is None:
                    continue
                gi = _fit(gi, a, prim, i)
                if anomaly:
                    _check_backward(prim, node, i, gi)
                key = id(a)
                prev = grads.get(key)
                grads[key] = gi if prev is None else prev + gi
            if not retain_graph:
                node._ctx = _Freed(prim.name)
    finally:
        STATE.grad_enabled = prev_mode
    if targets is None:
        return None
    return [results.get(id(t)) for t in targets]


def _root_grad(t, grad):
    if grad is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"backward(): the output has shape {t.shape}; gradients can be created implicitly only for "
                f"outputs with one element: pass grad= (a cotangent of that shape), or reduce it first (.sum())")
        return make_leaf(np.ones(t.shape, dtype=t.dtype))
    g = grad if isinstance(grad, Tensor) else make_leaf(np.asarray(grad, dtype=t.dtype))
    if g.shape != t.shape:
        raise ValueError(f"backward(grad=...): grad has shape {g.shape}, expected the output's shape {t.shape}")
    return g


def backward(t, grad=None, retain_graph=False, create_graph=False):
    """Accumulate gradients of ``t`` into the ``.grad`` of the leaves it depends on."""
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
        inputs: a list of Tensors that require grad.
        grad_outputs: cotangents for the outputs (default ones for single-element outputs).
        create_graph: record the backward pass for higher-order gradients.

    Returns:
        a list with one Tensor per input (zeros where the input does not affect the outputs).
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        gos = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        gos = [grad_outputs]
    else:
        gos = list(grad_outputs)
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
                raise RuntimeError(f"gradients: an input of shape {t.shape} does not affect the outputs")
            g = make_leaf(np.zeros(t.shape, dtype=t.dtype))
        out.append(g)
    return out
