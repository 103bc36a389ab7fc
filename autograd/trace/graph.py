"""The traced graph: values (inputs, parameters, constants, fills), primitive applications, outputs, updates.

A ``Graph`` is a flat list of ``Node`` s in execution order. Every array is a *value* with an integer id:

- ``inputs``: ids of the graph's inputs, in order (``values[i].kind == "input"``);
- ``params``: values bound by name when the graph runs (a model's weights), never baked in;
- constants: arrays the computation used that no traced op made (``values[i].array``);
- fills: constant arrays whose shape depends on the batch size and whose entries are all one value (an RNN's
  zero initial state), made again at each run;
- op values: each ``Node`` applies the primitive registered as ``node.op`` to ``node.args`` / ``node.kwargs``
  and defines the value ``node.out``.

Arguments are nested Python data in which ``Ref(id)`` stands for a value, ``Batch(a, c)`` for the integer
``a * batch + c`` (a graph traced with ``trace_batched`` is symbolic in the batch axis), ``RNG`` for the random
generator given to ``run`` and ``CACHE`` for a primitive's scratch dict. ``updates`` are in-place assignments the
forward made to parameters (a BatchNormalization's moving statistics): ``(kind, param id, argument)``.

Example:
    >>> g = ag.trace.trace(lambda x: ag.exp(x) * 2.0, [np.ones(3)])
    >>> [n.op for n in g.nodes]
    ['exp', 'multiply']
    >>> g.run([np.zeros(3)])[0]
    Tensor([2., 2., 2.])
"""
import numpy as np

from ..modes import STATE, no_grad
from ..primitive import REGISTRY, apply
from ..tensor import Tensor, make_leaf

__all__ = ["Graph", "Node", "Value", "Ref", "Batch", "RNG", "CACHE", "Live", "Scratch", "TraceError", "STRUCTS",
           "register_struct",
           "batch_value"]


class TraceError(ValueError):
    """A computation that cannot be traced, or a graph that cannot be run (the message names the op)."""


class Ref:
    """A reference to the value with id ``id`` inside a node's arguments; ``raw``: the op received the bare
    array (no gradient flows through it), not a Tensor."""

    __slots__ = ("id", "raw")

    def __init__(self, id, raw=False):
        self.id = id
        self.raw = bool(raw)

    def __eq__(self, other):
        return type(other) is Ref and other.id == self.id and other.raw == self.raw

    def __hash__(self):
        return hash(("Ref", self.id, self.raw))

    def __repr__(self):
        return f"Ref({self.id}{', raw' if self.raw else ''})"


class Batch:
    """A number that depends on the batch size B: the integer ``a * B + c`` (``kind='int'``), or a float
    ``a * B + c``, ``a / B + c`` or ``(a * B + c) / (B + d)`` (``kind`` 'linear', 'inverse', 'ratio'; ``dtype`` the
    numpy scalar type it had, or None for a Python float).

    Example:
        >>> Batch(3, 0).value(4), Batch(1.0, 0.0, kind="inverse").value(4), Batch(1.0, 0.0, "ratio", d=-1.0).value(5)
        (12, 0.25, 1.25)
    """

    __slots__ = ("a", "c", "kind", "dtype", "d")

    def __init__(self, a, c, kind="int", dtype=None, d=0.0):
        self.a, self.c, self.kind, self.dtype, self.d = a, c, kind, dtype, d

    def value(self, batch):
        if self.kind == "int":
            return self.a * batch + self.c
        if self.kind == "linear":
            v = self.a * batch + self.c
        elif self.kind == "inverse":
            v = self.a / batch + self.c
        else:
            v = (self.a * batch + self.c) / (batch + self.d)
        return np.dtype(self.dtype).type(v) if self.dtype is not None else float(v)

    def _key(self):
        return (self.a, self.c, self.kind, self.dtype, self.d)

    def __eq__(self, other):
        return type(other) is Batch and self._key() == other._key()

    def __hash__(self):
        return hash(("Batch",) + self._key())

    def __repr__(self):
        if self.kind == "int":
            return f"Batch({self.a}*B+{self.c})"
        if self.kind == "ratio":
            return f"Batch(({self.a}*B+{self.c})/(B+{self.d}))"
        return f"Batch({self.a}{'*B' if self.kind == 'linear' else '/B'}+{self.c})"


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __reduce__(self):
        return self.name


#: the random generator handed to ``Graph.run`` (dropout masks, noise)
RNG = _Sentinel("RNG")
#: a primitive's scratch dict (saved activations): a fresh ``{}`` when gradients are recorded, else None
CACHE = _Sentinel("CACHE")

#: argument types other than plain data a primitive may take (geometry tuples): name -> (class, check)
STRUCTS = {}


def register_struct(cls, name, check=None):
    """Let ``cls`` (a namedtuple of plain values) appear in traced arguments as ``name``; ``check(obj, args)``
    validates one rebuilt from a file against the node's decoded positional arguments (raise ValueError).

    Example:
        >>> from collections import namedtuple
        >>> Window = namedtuple("Window", "size stride")
        >>> register_struct(Window, "demo_window")
    """
    STRUCTS[name] = (cls, check)
    cls._trace_name = name


def batch_value(x, batch):
    """``x`` with every ``Batch`` inside it replaced by its value for ``batch``.

    Example:
        >>> batch_value((Batch(2, 0), 5), 3)
        (6, 5)
    """
    if type(x) is Batch:
        return x.value(batch)
    if type(x) is tuple:
        return tuple(batch_value(v, batch) for v in x)
    if type(x) is list:
        return [batch_value(v, batch) for v in x]
    return x


class Live:
    """In a captured step (``autograd.trace.capture``): an object the replay uses by reference, looked up by
    ``name`` in the capture's ``live`` table (a random generator, a host callback)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return type(other) is Live and other.name == self.name

    def __hash__(self):
        return hash(("Live", self.name))

    def __repr__(self):
        return f"Live({self.name!r})"


class Scratch:
    """In a captured step: the scratch dict (saved activations, memos) a primitive's forward filled and its vjps
    read, number ``key``; each replay gives the forward a fresh dict and hands the same one to its vjps."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __eq__(self, other):
        return type(other) is Scratch and other.key == self.key

    def __hash__(self):
        return hash(("Scratch", self.key))

    def __repr__(self):
        return f"Scratch({self.key})"


class Value:
    """One array of the graph: ``kind`` is 'input', 'param', 'const', 'fill' or 'op' (a captured step also has
    'live': a state Tensor read by reference at each replay, named ``name`` in the capture's ``live`` table);
    ``shape`` may hold ``Batch`` dims; ``name`` is a parameter's name (or an input's); ``array`` a constant's
    data; ``fill`` the entry of a fill.
    """

    __slots__ = ("id", "kind", "shape", "dtype", "name", "array", "fill")

    def __init__(self, id, kind, shape, dtype, name=None, array=None, fill=None):
        self.id, self.kind, self.shape, self.dtype = id, kind, tuple(shape), np.dtype(dtype)
        self.name, self.array, self.fill = name, array, fill

    def shape_for(self, batch):
        return tuple(batch_value(d, batch) for d in self.shape)

    def __repr__(self):
        extra = f" {self.name!r}" if self.name is not None else ""
        return f"<{self.kind} {self.id}{extra} {self.shape} {self.dtype.name}>"


class Node:
    """One primitive application: ``out = REGISTRY[op](*args, **kwargs)``; ``scope`` is the path of labels
    (kerasfront: ``(layer name, class name)`` pairs) active when it ran, for messages and exporters."""

    __slots__ = ("op", "args", "kwargs", "out", "scope")

    def __init__(self, op, args, kwargs, out, scope=()):
        self.op, self.args, self.kwargs, self.out, self.scope = op, tuple(args), dict(kwargs), out, tuple(scope)

    def refs(self):
        """The ids of the values this node reads (in its arguments and keyword arguments)."""
        out = []
        _collect_refs(self.args, out)
        _collect_refs(list(self.kwargs.values()), out)
        return out

    def where(self):
        """``op 'name'`` plus the innermost scope label, for messages."""
        if self.scope:
            label = self.scope[-1]
            if isinstance(label, (tuple, list)) and len(label) == 2:
                return f"op '{self.op}' in layer '{label[0]}' ({label[1]})"
            return f"op '{self.op}' in {label}"
        return f"op '{self.op}'"

    def __repr__(self):
        return f"Node({self.op}, out={self.out})"


def _collect_refs(x, out):
    t = type(x)
    if t is Ref:
        out.append(x.id)
    elif t is tuple or t is list:
        for v in x:
            _collect_refs(v, out)
    elif t is slice:
        _collect_refs([x.start, x.stop, x.step], out)
    elif t is dict:
        _collect_refs(list(x.values()), out)
    elif hasattr(t, "_trace_name"):
        _collect_refs(list(x), out)


class Graph:
    """A traced computation (see the module docstring); ``run`` replays it through ``apply``, so the result is
    differentiable with respect to the inputs and the parameters.

    Attributes:
        values: ``{id: Value}``.
        nodes: ``[Node]`` in execution order.
        inputs, outputs: value ids.
        updates: ``[(kind, param id, argument)]``, kind 'assign', 'assign_add' or 'assign_sub'.
        batch_symbolic: whether shapes and arguments are written in terms of the batch size.
    """

    def __init__(self, values, nodes, inputs, outputs, updates=(), batch_symbolic=False):
        self.values = dict(values)
        self.nodes = list(nodes)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.updates = list(updates)
        self.batch_symbolic = bool(batch_symbolic)
        #: set by the file reader: check every node's output shape before it is computed, and every value's size
        self.checked = False
        self.max_elements = None

    # -- inspection ---------------------------------------------------------------------------------------
    @property
    def params(self):
        """``{name: Value}`` of the parameters the graph reads."""
        return {v.name: v for v in self.values.values() if v.kind == "param"}

    @property
    def constants(self):
        """``{id: ndarray}`` of the constant arrays."""
        return {v.id: v.array for v in self.values.values() if v.kind == "const"}

    def ops(self):
        """The sorted names of the primitives the graph applies."""
        return sorted({n.op for n in self.nodes})

    def __repr__(self):
        return (f"<autograd.trace.Graph: {len(self.inputs)} inputs, {len(self.params)} params, {len(self.nodes)} "
                f"nodes, {len(self.outputs)} outputs>")

    # -- running ------------------------------------------------------------------------------------------
    def batch_of(self, inputs):
        """The batch size ``inputs`` give (checked against every input's recorded shape)."""
        if not self.batch_symbolic:
            return None
        batch = None
        for vid, x in zip(self.inputs, inputs):
            shape = self.values[vid].shape
            for d, n in zip(shape, np.shape(x)):
                if type(d) is Batch and d.a:
                    b, rem = divmod(n - d.c, d.a)
                    if rem or b < 0 or (batch is not None and b != batch):
                        raise TraceError(f"the graph's inputs disagree on the batch size (input shapes "
                                         f"{[tuple(np.shape(v)) for v in inputs]})")
                    batch = b
        return batch

    def run(self, inputs, params=None, rng=None, apply_updates=False):
        """Compute the outputs for ``inputs`` (arrays or Tensors, in ``self.inputs`` order).

        Args:
            params: ``{name: Tensor}`` for every parameter (default: the arrays seen when tracing, as constants).
            rng: a numpy Generator for random primitives (default: a fresh one).
            apply_updates: perform the recorded in-place updates on ``params`` (training-mode statistics).

        Returns:
            the list of output Tensors.
        """
        if len(inputs) != len(self.inputs):
            raise TraceError(f"the graph takes {len(self.inputs)} inputs, received {len(inputs)}")
        batch = self.batch_of(inputs)
        if self.max_elements is not None:
            for v in self.values.values():
                n = int(np.prod(v.shape_for(batch), dtype=np.float64))
                if n > self.max_elements:
                    raise TraceError(f"value {v.id} of the graph would hold {n} elements at batch size {batch}, "
                                     f"more than the {self.max_elements} allowed; use a smaller batch")
        env = {}
        for vid, x in zip(self.inputs, inputs):
            v = self.values[vid]
            t = x if isinstance(x, Tensor) else make_leaf(np.asarray(x))
            want = v.shape_for(batch)
            if t.data.shape != want or t.data.dtype != v.dtype:
                raise TraceError(f"graph input {self.inputs.index(vid)} ({v.name or vid}) expects shape "
                                 f"{_show(v.shape)} and dtype {v.dtype.name}, received shape {t.data.shape} and "
                                 f"dtype {t.data.dtype}")
            env[vid] = t
        for v in self.values.values():
            if v.kind == "param":
                p = (params or {}).get(v.name)
                if p is None:
                    if params is not None or v.array is None:
                        raise TraceError(f"the graph reads parameter '{v.name}', which was not given")
                    p = make_leaf(v.array)
                elif not isinstance(p, Tensor):
                    p = make_leaf(np.asarray(p))
                if p.data.shape != v.shape or p.data.dtype != v.dtype:
                    raise TraceError(f"parameter '{v.name}' has shape {p.data.shape} and dtype {p.data.dtype}; the "
                                     f"graph expects {v.shape} and {v.dtype.name}")
                env[v.id] = p
            elif v.kind == "const":
                env[v.id] = make_leaf(v.array)
            elif v.kind == "fill":
                env[v.id] = make_leaf(np.full(v.shape_for(batch), v.fill, dtype=v.dtype))
        if rng is None:
            rng = np.random.default_rng()
        from .shapes import check_node
        for node in self.nodes:
            prim = REGISTRY.get(node.op)
            if prim is None:
                raise TraceError(f"the graph applies {node.where()}, which autograd does not register")
            args = tuple(_decode(a, env, batch, rng, top=True) for a in node.args)
            kwargs = {k: _decode(v, env, batch, rng, top=False) for k, v in node.kwargs.items()}
            out_value = self.values[node.out]
            want = out_value.shape_for(batch)
            if self.checked:
                check_node(node, args, kwargs, want)
            try:
                out = apply(prim, args, kwargs)
            except (ValueError, TypeError, IndexError) as e:
                raise TraceError(f"{node.where()} failed: {e}") from None
            if out.data.shape != want or out.data.dtype != out_value.dtype:
                raise TraceError(f"{node.where()} gave shape {out.data.shape} and dtype {out.data.dtype}; the graph "
                                 f"records {_show(out_value.shape)} and {out_value.dtype.name}")
            env[node.out] = out
        if apply_updates and self.updates:
            from ..inplace import assign, assign_add, assign_sub
            fns = {"assign": assign, "assign_add": assign_add, "assign_sub": assign_sub}
            with no_grad():
                for kind, pid, arg in self.updates:
                    value = _decode(arg, env, batch, rng, top=False)
                    fns[kind](env[pid], value)
        return [env[o] for o in self.outputs]


def _show(shape):
    return "(" + ", ".join("batch" if type(d) is Batch and (d.a, d.c) == (1, 0) else
                           (repr(d) if type(d) is Batch else str(d)) for d in shape) + ("," if len(shape) == 1 else "") \
        + ")"


def _decode(x, env, batch, rng, top):
    """A node argument ready for the primitive: top-level references become Tensors (gradients flow through
    them), nested ones raw arrays (index arrays, masks: the wrappers unwrapped them too)."""
    t = type(x)
    if t is Ref:
        v = env[x.id]
        return v if top and not x.raw else v.data
    if t is Batch:
        return x.value(batch)
    if t is tuple:
        return tuple(_decode(v, env, batch, rng, False) for v in x)
    if t is list:
        return [_decode(v, env, batch, rng, False) for v in x]
    if t is slice:
        return slice(_decode(x.start, env, batch, rng, False), _decode(x.stop, env, batch, rng, False),
                     _decode(x.step, env, batch, rng, False))
    if x is RNG:
        return rng
    if x is CACHE:
        return {} if STATE.grad_enabled else None
    if hasattr(t, "_trace_name"):
        return t(*(_decode(v, env, batch, rng, False) for v in x))
    return x
