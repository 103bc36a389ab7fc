"""Capturing a whole step (forward, backward, in-place updates) while it runs, to replay it without rebuilding it.

``capture(fn, inputs, state=...)`` runs ``fn(*inputs)`` for real, with a tracer in capture mode recording it: every
primitive it applies, each vjp call of the backward pass as one node (the vjp is called again on replay, so a vjp
that computes with numpy is replayed exactly), in-place updates and host callbacks as effect nodes in order, state
Tensors and random generators by reference. It returns ``fn``'s result and a ``Captured``: the graph, the objects it
holds by reference, and ``failure`` (why it could not be recorded, or None). ``Captured.compile()`` turns it into a
``Replay`` (``autograd.trace.replay``): one generated Python function that calls the primitives' numpy functions and
the vjps in the recorded order.

What a graph cannot see is Python: a value computed with numpy from the inputs (a constant of the graph), a branch
taken on the data. ``Captured.differs(other)`` compares two captures of the same step made on different data: a
difference (another op, another constant) means the step cannot be replayed and names where.

Example:
    >>> w = ag.tensor(np.ones((3, 2)), requires_grad=True)
    >>> def step(x):
    ...     loss = ag.sum(ag.tanh(ag.matmul(x, w)))
    ...     return [loss] + ag.gradients(loss, [w])
    >>> out, cap = ag.trace.capture(step, [np.ones((4, 3))])
    >>> cap.failure is None
    True
    >>> replay = cap.compile()
    >>> loss, gw = replay([np.zeros((4, 3))])
    >>> float(loss.data), gw.shape
    (0.0, (3, 2))
"""
import types

import numpy as np

from ..modes import STATE, enable_grad
from ..tensor import Tensor, make_leaf
from .graph import TraceError
from .recorder import Tracer

__all__ = ["capture", "Captured"]


class Captured:
    """A recorded step: ``graph`` (values, nodes, inputs, outputs), ``live`` (``{name: object}`` used by reference),
    ``grad_flags`` (value ids whose Tensors required grad), ``failure`` (None, or why it could not be recorded)."""

    def __init__(self, graph, live, grad_flags, failure):
        self.graph, self.live, self.grad_flags, self.failure = graph, live, frozenset(grad_flags), failure

    def compile(self):
        """The ``Replay`` of this step (a generated function; see ``autograd.trace.replay``)."""
        from .replay import Replay
        if self.failure is not None:
            raise TraceError(f"this step could not be captured: {self.failure}")
        return Replay(self)

    def differs(self, other):
        """None when ``other`` (a capture of the same step on other data) recorded the same computation; else
        where they differ. Constants must hold the same numbers, live objects must be the same objects."""
        a, b = self.graph, other.graph
        if self.failure is not None or other.failure is not None:
            return self.failure or other.failure
        if len(a.nodes) != len(b.nodes) or len(a.values) != len(b.values):
            return (f"the step applied {len(a.nodes)} ops the first time and {len(b.nodes)} the second time: its "
                    f"structure depends on the data")
        if a.inputs != b.inputs or a.outputs != b.outputs:
            return "the step's outputs are other values the second time"
        for vid, va in a.values.items():
            vb = b.values.get(vid)
            if vb is None or va.kind != vb.kind or va.dtype != vb.dtype or va.shape != vb.shape:
                return f"value {vid} is {va!r} the first time and {vb!r} the second time"
            if va.kind == "const" and not (va.array.shape == vb.array.shape and np.array_equal(
                    va.array, vb.array, equal_nan=va.array.dtype.kind == "f")):
                return (f"{_user_of(a, vid)} reads an array that no autograd op made and whose values changed from "
                        f"one step to the next (computed with numpy from the data or the weights, or drawn outside "
                        f"autograd's random ops)")
        for name, obj in self.live.items():
            if not _same_object(obj, other.live.get(name)):
                return f"the step uses another object the second time ({name}: {obj!r:.80})"
        for i, (na, nb) in enumerate(zip(a.nodes, b.nodes)):
            if na.op != nb.op or na.out != nb.out or not _same(na.args, nb.args) or not _same(na.kwargs, nb.kwargs):
                return f"op {i} of the step is {na.where()} the first time and {nb.where()} the second time"
        return None


def _user_of(graph, vid):
    for node in graph.nodes:
        if vid in node.refs():
            return node.where()
    return f"value {vid}"


def _same_object(a, b):
    if a is b:
        return True
    return type(a) is types.MethodType and type(b) is types.MethodType and a == b


def _same(x, y):
    tx = type(x)
    if tx is not type(y):
        return False
    if tx is tuple or tx is list or hasattr(tx, "_trace_name"):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y))
    if tx is dict:
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if tx is slice:
        return _same((x.start, x.stop, x.step), (y.start, y.stop, y.step))
    if tx is float or isinstance(x, np.floating):
        return x == y or (x != x and y != y)
    try:
        return bool(x == y)
    except (TypeError, ValueError):
        return False


def capture(fn, inputs, state=()):
    """Run ``fn(*inputs)`` and record it for replay; returns ``(fn's result, Captured)``.

    Args:
        fn: a function of Tensors returning a list of Tensors (the step's results: losses, outputs, gradients).
        inputs: arrays or Tensors, the step's data (a replay takes arrays of the same shapes and dtypes).
        state: Tensors to read by reference at every replay also where an op received only their bare array
            (Tensors whose class sets ``_trace_state`` and Tensors the step assigns to are state anyway).

    Recording never stops the computation: what cannot be recorded sets ``Captured.failure`` and the rest of the
    step runs untraced. Gradients are recorded as one node per vjp call.

    Example:
        >>> out, cap = ag.trace.capture(lambda x: [ag.exp(x)], [np.zeros(2)])
        >>> [n.op for n in cap.graph.nodes], cap.compile()([np.ones(2)])[0].data
        (['exp'], array([2.71828183, 2.71828183]))
    """
    if STATE.tracer is not None:
        raise TraceError("capture: another trace is being recorded; traces do not nest")
    tracer = Tracer(capture=True, state=state)
    tensors = []
    for x in inputs:
        t = x if isinstance(x, Tensor) else make_leaf(np.asarray(x))
        tracer.add_input(t)
        tensors.append(t)
    STATE.tracer = tracer
    try:
        with enable_grad():
            out = fn(*tensors)
    finally:
        STATE.tracer = None
    graph = None
    if tracer.failure is None:
        flat = [out] if isinstance(out, Tensor) else list(out)
        try:
            graph = tracer.graph(flat)
        except TraceError as e:
            tracer.failure = str(e)
    return out, Captured(graph, dict(tracer.live), tracer.grad_flags, tracer.failure)

