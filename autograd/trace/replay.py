"""A captured step compiled to one Python function: what replaying it costs is the numpy calls and little else.

``Replay(captured)`` (``Captured.compile()``) generates the source of a function of the step's input arrays that
calls, in the recorded order, each primitive's numpy function on raw arrays, each recorded vjp on Tensors (the same
functions, with the same arguments, as the backward pass called), the in-place updates and host callbacks, and
returns the outputs as Tensors. No Tensor graph is built, no backward pass is scheduled, no layer code runs; each
local is deleted after its last use, so arrays are freed as early as in the eager step. Ops whose results nothing
needs are left out, except random draws (a replay draws from the same generators, in the same order, as the step
it was captured from).

The numbers are those of the eager step: the same numpy functions on the same arrays in the same order.

Example:
    >>> w = ag.tensor(np.full((2, 1), 0.5), requires_grad=True)
    >>> def step(x):
    ...     y = ag.matmul(x, w)
    ...     return [y] + ag.gradients(ag.sum(y * y), [w])
    >>> _, cap = ag.trace.capture(step, [np.ones((3, 2))])
    >>> y, gw = cap.compile()([np.full((3, 2), 2.0)])
    >>> y.data.ravel(), gw.data.ravel()
    (array([2., 2., 2.]), array([24., 24.]))
"""
import numpy as np

from ..inplace import assign, assign_add, assign_sub
from ..modes import STATE
from ..primitive import REGISTRY
from ..tensor import Tensor
from .graph import Live, Ref, Scratch, TraceError

__all__ = ["Replay"]

_new = object.__new__
_EFFECTS = ("@assign", "@assign_add", "@assign_sub", "@host")


def _t0(a):
    t = _new(Tensor)
    t.data = a
    t.requires_grad = False
    t.grad = None
    t._ctx = None
    t._version = 0
    return t


def _t1(a):
    t = _new(Tensor)
    t.data = a
    t.requires_grad = True
    t.grad = None
    t._ctx = None
    t._version = 0
    return t


def _leafify(x, where):
    if x is None:
        raise TraceError(f"replay: {where} gave no gradient, though it gave one when the step was captured")
    return _t0(np.asarray(x))


def _dynamic(x):
    t = type(x)
    if t is Ref or t is Live or t is Scratch:
        return True
    if t is tuple or t is list or hasattr(t, "_trace_name"):
        return any(_dynamic(v) for v in x)
    if t is slice:
        return _dynamic(x.start) or _dynamic(x.stop) or _dynamic(x.step)
    if t is dict:
        return any(_dynamic(v) for v in x.values())
    return False


def _walk(x, fn):
    t = type(x)
    if t is Ref or t is Live or t is Scratch:
        fn(x)
    elif t is tuple or t is list or hasattr(t, "_trace_name"):
        for v in x:
            _walk(v, fn)
    elif t is slice:
        for v in (x.start, x.stop, x.step):
            _walk(v, fn)
    elif t is dict:
        for v in x.values():
            _walk(v, fn)


class _Gen:
    """The code generator (one use): ``source`` and the namespace it runs in."""

    def __init__(self, captured):
        self.cap = captured
        self.g = captured.graph
        self.ns = {"_nd": np.ndarray, "_asarray": np.asarray, "_t0": _t0, "_t1": _t1, "_Tensor": Tensor,
                   "_leafify": _leafify, "_assign": assign, "_assign_add": assign_add, "_assign_sub": assign_sub,
                   "_isinstance": isinstance}
        self._consts = {}
        self.need_a, self.need_t = set(), set()
        self.used = None

    # -- what to run ------------------------------------------------------------------------------------------
    def _is_effect(self, node):
        if node.op in _EFFECTS:
            return True
        found = []
        _walk((node.args, node.kwargs), lambda r: found.append(r) if type(r) is Live and isinstance(
            self.cap.live[r.name], np.random.Generator) else None)
        return bool(found)

    def kept_nodes(self):
        nodes = self.g.nodes
        producer = {n.out: i for i, n in enumerate(nodes) if n.out is not None}
        creator = {}
        for i, n in enumerate(nodes):
            if not n.op.startswith("@"):
                _walk(n.kwargs, lambda r, i=i: creator.setdefault(r.key, i) if type(r) is Scratch else None)
        stack = [producer[o] for o in self.g.outputs if o in producer]
        stack += [i for i, n in enumerate(nodes) if self._is_effect(n)]
        keep = set()
        while stack:
            i = stack.pop()
            if i in keep:
                continue
            keep.add(i)
            n = nodes[i]

            def dep(r):
                if type(r) is Ref and r.id in producer:
                    stack.append(producer[r.id])
                elif type(r) is Scratch:
                    stack.append(creator[r.key])
            _walk((n.args, n.kwargs), dep)
        return [i for i in range(len(nodes)) if i in keep], creator

    # -- names ------------------------------------------------------------------------------------------------
    def const(self, obj):
        key = id(obj)
        name = self._consts.get(key)
        if name is None:
            name = f"K{len(self._consts)}"
            self._consts[key] = name
            self.ns[name] = obj
        return name

    def _use(self, name):
        if self.used is not None:
            self.used.add(name)
        return name

    def array(self, vid):
        v = self.g.values[vid]
        if v.kind == "const":
            return self.const(v.array)
        if v.kind == "live":
            return self.const(self.cap.live[v.name]) + ".data"
        self.need_a.add(vid)
        return self._use(f"a{vid}")

    def tensor(self, vid):
        v = self.g.values[vid]
        if v.kind == "const":
            name = f"TC{vid}"
            if name not in self.ns:
                self.ns[name] = (_t1 if vid in self.cap.grad_flags else _t0)(v.array)
            return name
        if v.kind == "live":
            return self.const(self.cap.live[v.name])
        self.need_t.add(vid)
        return self._use(f"t{vid}")

    # -- expressions ------------------------------------------------------------------------------------------
    def ex(self, x, mode):
        """Source of argument ``x``; ``mode``: 'array' or 'tensor' for a reference here, 'as-given' (a bare
        array where the op received one, a Tensor where it received a Tensor)."""
        t = type(x)
        if t is Ref:
            if mode == "array" or (mode == "as-given" and x.raw):
                return self.array(x.id)
            return self.tensor(x.id)
        if t is Live:
            return self.const(self.cap.live[x.name])
        if t is Scratch:
            return self._use(f"s{x.key}")
        if not _dynamic(x):
            if x is None or t is bool or t is int or t is str:
                return repr(x)
            return self.const(x)
        if t is tuple:
            return "(" + "".join(self.ex(v, "as-given") + ", " for v in x) + ")"
        if t is list:
            return "[" + ", ".join(self.ex(v, "as-given") for v in x) + "]"
        if t is slice:
            return f"slice({self.ex(x.start, 'as-given')}, {self.ex(x.stop, 'as-given')}, {self.ex(x.step, 'as-given')})"
        if t is dict:
            return "{" + ", ".join(f"{k!r}: {self.ex(v, 'as-given')}" for k, v in x.items()) + "}"
        return f"{self.const(t)}(" + ", ".join(self.ex(v, "as-given") for v in x) + ")"

    def kwargs(self, kw):
        return "".join(f", {k}={self.ex(v, 'as-given')}" for k, v in kw.items())

    # -- statements -------------------------------------------------------------------------------------------
    def node_code(self, i, n):
        """The statements of node ``n`` (a list of lines) and the local it defines ('a' or 't' form), if any."""
        op = n.op
        if op == "@vjp":
            prim_name, argnum, g, ans, fargs = n.args
            prim = REGISTRY[prim_name]
            fn = prim.vjps.get(argnum) or prim.vjp_for(argnum)
            call = (f"{self.const(fn)}({self.ex(g, 'tensor')}, {self.ex(ans, 'tensor')}"
                    + "".join(", " + self.ex(a, "as-given") for a in fargs) + self.kwargs(n.kwargs) + ")")
            where = self.const(f"the vjp of op '{prim_name}' for argument {argnum}")
            return [f"t{n.out} = {call}",
                    f"if not _isinstance(t{n.out}, _Tensor): t{n.out} = _leafify(t{n.out}, {where})"], "t"
        if op == "@copy":
            return [f"t{n.out} = _t0({self.ex(n.args[0], 'array')}.copy())"], "t"
        if op == "@scratch":
            scratch, path = n.args
            src = self._use(f"s{scratch.key}") + "".join(f"[{p!r}]" for p in path)
            return [f"{'t' if n.kwargs.get('tensor') else 'a'}{n.out} = {src}"], ("t" if n.kwargs.get("tensor") else "a")
        if op in ("@assign", "@assign_add", "@assign_sub"):
            target, value = n.args
            return [f"_{op[1:]}({self.ex(target, 'tensor')}, {self.ex(value, 'as-given')})"], None
        if op == "@host":
            fn, *args = n.args
            return [f"{self.ex(fn, 'as-given')}(" + ", ".join(self.ex(a, "as-given") for a in args)
                    + self.kwargs(n.kwargs) + ")"], None
        prim = REGISTRY.get(op)
        if prim is None:
            raise TraceError(f"the captured step applies {n.where()}, which autograd does not register")
        lines = []
        _walk(n.kwargs, lambda r: lines.append(f"s{r.key} = {{}}") if type(r) is Scratch and
              self.creator.get(r.key) == i else None)
        call = (f"{self.const(prim.fun)}(" + ", ".join(self.ex(a, "array") for a in n.args) + self.kwargs(n.kwargs)
                + ")")
        lines += [f"a{n.out} = {call}", f"if a{n.out}.__class__ is not _nd: a{n.out} = _asarray(a{n.out})"]
        return lines, "a"

    def generate(self):
        g = self.g
        order, self.creator = self.kept_nodes()
        # pass 1: each kept node's code and the locals it reads
        bodies = []
        for i in order:
            self.used = set()
            lines, form = self.node_code(i, g.nodes[i])
            bodies.append((i, lines, form, self.used))
        self.bodies = bodies
        self.used = set()
        out_exprs = []
        for o in g.outputs:
            v = g.values[o]
            if v.kind in ("const", "live", "input"):      # never hand out an array the replay does not own
                out_exprs.append(f"_t0({self.array(o)}.copy())")
            else:
                out_exprs.append(self.tensor(o))
        out_used = self.used
        self.used = None
        # conversions between the two forms, right where a value is made
        lines = ["def _replay(inputs):"]
        names = [f"a{vid}" for vid in g.inputs]
        lines.append(f"    {', '.join(names) + (',' if len(names) == 1 else '')} = inputs" if names else "    pass")
        for vid in g.inputs:
            if vid in self.need_t:
                lines.append(f"    t{vid} = {'_t1' if vid in self.cap.grad_flags else '_t0'}(a{vid})")
        last = {}
        for k, (i, _, _, used) in enumerate(bodies):
            for name in used:
                last[name] = k
        for name in out_used:
            last[name] = len(bodies)
        for k, (i, body, form, used) in enumerate(bodies):
            n = g.nodes[i]
            for line in body:
                lines.append("    " + line)
            if form == "a" and n.out in self.need_t:
                lines.append(f"    t{n.out} = {'_t1' if n.out in self.cap.grad_flags else '_t0'}(a{n.out})")
            elif form == "t" and n.out in self.need_a:
                lines.append(f"    a{n.out} = t{n.out}.data")
            dead = sorted(name for name, at in last.items() if at == k)
            if form is not None:
                defined = [f"{form}{n.out}"]
                if form == "a" and n.out in self.need_t:
                    defined.append(f"t{n.out}")
                elif form == "t" and n.out in self.need_a:
                    defined.append(f"a{n.out}")
                dead += [name for name in defined if name not in last]
            if dead:
                lines.append("    del " + ", ".join(dead))
        lines.append("    return [" + ", ".join(out_exprs) + "]")
        return "\n".join(lines) + "\n"


class Replay:
    """A captured step as one generated function: ``replay(inputs)`` -> the outputs as Tensors (see the module
    docstring). ``source`` is the generated code (for reading, and for profiles).

    Example:
        >>> _, cap = ag.trace.capture(lambda x: [ag.exp(x) * 2.0], [np.zeros(3)])
        >>> cap.compile()([np.zeros(3)])[0]
        Tensor([2., 2., 2.])
    """

    def __init__(self, captured):
        gen = _Gen(captured)
        self.source = gen.generate()
        ns = gen.ns
        exec(compile(self.source, "<autograd.trace replay>", "exec"), ns)
        self._fn = ns["_replay"]
        g = captured.graph
        self.input_specs = [(g.values[v].shape, g.values[v].dtype) for v in g.inputs]
        #: how many recorded nodes the replay runs (the others were not needed)
        self.n_nodes = len(gen.bodies)

    def __call__(self, inputs, check=True):
        """The outputs for ``inputs`` (arrays of the captured shapes and dtypes, in order)."""
        inputs = [x.data if isinstance(x, Tensor) else x for x in inputs]
        if check:
            if len(inputs) != len(self.input_specs):
                raise TraceError(f"replay: the step takes {len(self.input_specs)} inputs, received {len(inputs)}")
            for i, (x, (shape, dtype)) in enumerate(zip(inputs, self.input_specs)):
                if not isinstance(x, np.ndarray) or x.shape != shape or x.dtype != dtype:
                    raise TraceError(f"replay: input {i} must be an array of shape {shape} and dtype {dtype.name}, "
                                     f"received {type(x).__name__} {getattr(x, 'shape', '')} "
                                     f"{getattr(x, 'dtype', '')}")
        prev = STATE.grad_enabled
        STATE.grad_enabled = False
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return self._fn(inputs)
        finally:
            STATE.grad_enabled = prev
