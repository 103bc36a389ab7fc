"""One tracer: a computation recorded as a graph of autograd primitives, symbolic in the batch axis.

``trace(fn, inputs)`` records every primitive ``fn`` applies; ``trace_batched(fn, make_inputs)`` records it at
four batch sizes and keeps what depends on the batch size as a formula, so that the graph runs on any batch
size. A ``Graph`` is a small, general structure: values (inputs, named parameters, constants), a list of
primitive applications by registered name with their arguments and output value ids, the outputs, and the
in-place updates the computation made to parameters (moving statistics). ``Graph.run`` replays it through the
primitives, so the result is differentiable; ``to_json`` / ``from_json`` write and read it with every argument
checked (a graph from a file runs only registered primitives, with checked arguments and shapes).

kerasfront's revivable model folders and its ONNX writer read these graphs. ``capture(fn, inputs)`` records a whole
step as it runs, its backward pass included (one node per vjp call) and its in-place updates, and
``Captured.compile()`` makes it a ``Replay``: one generated function that reruns the step's numpy calls without
rebuilding anything (kerasfront's ``compile(jit_compile=...)`` training step).

Example:
    >>> import numpy as np, autograd as ag
    >>> w = ag.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    >>> g = ag.trace.trace_batched(lambda x: ag.tanh(ag.matmul(x, w)), lambda n: [np.ones((n, 3), np.float32)],
    ...                            params={"w": w})
    >>> [n.op for n in g.nodes], g.values[g.inputs[0]].shape
    (['matmul', 'tanh'], (Batch(1*B+0), 3))
    >>> y = g.run([np.zeros((7, 3), np.float32)], params={"w": w})[0]
    >>> y.shape, y.requires_grad
    ((7, 2), True)
"""
from .capture import Captured, capture
from .codec import from_json, to_json
from .graph import CACHE, RNG, Batch, Graph, Live, Node, Ref, Scratch, TraceError, Value, register_struct
from .recorder import Tracer, active, merge, prune, trace, trace_batched
from .replay import Replay

__all__ = ["trace", "trace_batched", "capture", "Captured", "Replay", "Graph", "Node", "Value", "Ref", "Batch", "RNG",
           "CACHE", "Live", "Scratch", "TraceError", "Tracer", "active", "merge", "prune", "to_json", "from_json",
           "register_struct"]
