"""What the fused LSTM and GRU primitives (``lstm_fused.py``, ``gru_fused.py``) share: the time-major
input with its column of ones, Keras's column blocks laid out gate-major, and the vjps that run the
hand-written backward (or, for higher-order gradients, differentiate the recurrence rebuilt from ops).

Example:
    >>> time_major_input(np.ones((2, 3, 4)), False, True).shape   # (T * n, features + 1)
    (6, 5)
    >>> gate_major(np.ones((4, 6)), 2, (0.5, 1.0, 1.0)).shape      # three (4, 2) blocks
    (3, 4, 2)
"""
import numpy as np

from ..blas import single_threaded
from ..batching import batch_size, batched_call, bring, shape_of
from ..forward_mode import jvp_by_composition
from ..modes import STATE
from ..primitive import apply, defbatch, defjvp_argnums
from ..tensor import make_leaf
from ._make import raw
from .recurrent import _multi_vjps
from .shape import reshape, transpose


def single_threaded_blas(fn):
    """``fn`` with its matrix products in one BLAS thread (``autograd.blas``): a recurrence's per-step
    products are small, and its weight gradients are followed by the optimizer's single-threaded passes."""
    def run(*args, **kwargs):
        with single_threaded():
            return fn(*args, **kwargs)
    run.__name__, run.__qualname__, run.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    return run


def time_major_input(x, reverse, with_ones):
    """(n, T, F) -> (T * n, F [+ 1]) in processing order, with a column of ones when ``with_ones`` (so a
    bias row under the kernel is added by the projection's matmul)."""
    n, steps, f = x.shape
    xa = np.empty((steps, n, f + 1 if with_ones else f), x.dtype)
    np.copyto(xa[:, :, :f], (x[:, ::-1] if reverse else x).transpose(1, 0, 2))
    if with_ones:
        xa[:, :, f] = 1
    return xa.reshape(steps * n, -1)


def gate_major(w, units, scale, order=None):
    """(rows, G units) in Keras's column blocks -> contiguous (G, rows, units), blocks taken in ``order``
    (default: Keras's) and each multiplied by its ``scale``."""
    blocks = len(scale)
    wg = w.reshape(w.shape[0], blocks, units).transpose(1, 0, 2)
    if order is not None:
        wg = wg[list(order)]
    return np.ascontiguousarray(wg * np.asarray(scale, w.dtype)[:, None, None])


def output_cotangents(g, steps, dtype):
    """Split the packed output's cotangent (T + states, n, units): (the outputs' part, whether any output
    but the last has a gradient (else the per-step adds are skipped), the final h's gradient, which the
    last output's adds to)."""
    g = np.asarray(g, dtype=dtype)
    go = g[:steps]
    return go, bool(go[:steps - 1].any()), g[steps] + go[steps - 1]


def fused_vjps(name, nargs, backward, rebuild):
    """The vjps of a fused recurrence primitive named ``name`` over ``nargs`` arguments.

    ``backward(g, saved, reverse, need)`` returns numpy gradients from the forward's ``saved`` state;
    ``rebuild(args, reverse)`` returns the same recurrence built from autograd ops, packed batch-major
    (n, T + states, units), which is differentiated instead when a graph of the gradients is recorded
    (``create_graph=True``)."""

    def compute(g, ans, args, kw, need):
        reverse = kw.get("reverse", False)
        if STATE.grad_enabled:
            # NOTE: the hand-written backward is numpy; for higher-order gradients the recurrence is
            # rebuilt step by step from autograd ops and differentiated instead.
            from ..engine import gradients
            packed = transpose(rebuild(args, reverse), (1, 0, 2))
            ins = [a for a, nd in zip(args, need) if nd]
            grads = iter(gradients(packed, ins, grad_outputs=g, create_graph=True))
            return [next(grads) if nd else None for nd in need]
        saved = kw.get("saved")
        if not saved:
            raise RuntimeError(f"autograd: op '{name}' ran without saving its forward state; it must be called "
                               f"through {name} while recording gradients")
        grads = backward(raw(g), saved, reverse, need)
        return [make_leaf(d) if (nd and d is not None) else None for d, nd in zip(grads, need)]

    return _multi_vjps(nargs, compute)


def fused_rules(prim, ndata, rebuild):
    """Give a fused recurrence primitive over (x, *initial states, kernel, recurrent kernel, bias), the
    first ``ndata`` of them data, its forward-mode rule and its batching rule.

    The jvp pushes tangents through the recurrence rebuilt from ops (``rebuild``). Batched data with
    shared weights are more sequences (the examples merged into the batch axis, one fused call);
    per-example weights (vmap of grad) run the rebuilt recurrence on the batched values, each step's ops
    batched as a whole (no loop over the examples)."""

    def compose(args, kw):
        return transpose(rebuild(args, kw.get("reverse", False)), (1, 0, 2))   # time-major, as the primitive

    def batch(args, dims, **kw):
        if any(d is not None for d in dims[ndata:]):
            return batched_call(lambda *a: compose(a, kw), args, dims)
        size = batch_size(args, dims)
        x = bring(args[0], dims[0], size)
        _, n, steps, f = shape_of(x)
        data = [reshape(x, (size * n, steps, f))]
        data += [reshape(bring(a, d, size), (size * n, -1)) for a, d in zip(args[1:ndata], dims[1:ndata])]
        kw = dict(kw, saved={} if kw.get("saved") is not None else None)
        out = apply(prim, tuple(data) + tuple(args[ndata:]), kw)      # (T + states, B n, units)
        s = shape_of(out)
        return reshape(out, (s[0], size, n, s[2])), 1

    defjvp_argnums(prim, jvp_by_composition(compose))
    defbatch(prim, batch)
    return prim
