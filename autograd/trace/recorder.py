"""Recording a computation as a ``Graph``: every primitive application while a ``Tracer`` is active.

Every op reports its result through ``primitive.observed`` when ``STATE.tracer`` is set (whether or not
gradients are being recorded, so updates made under ``no_grad`` are seen too), and ``ag.assign`` /
``assign_add`` / ``assign_sub`` report updates of parameters. Arrays are told apart by identity: the inputs,
the parameters and every op's output are values; any other array an op receives is a constant.

``trace_batched`` runs the computation at four batch sizes and keeps what changes with the batch size as a
formula of it (``Batch``): the graph then runs on any batch size. Whatever changes in another way (an array
computed with numpy from the inputs' values, a random draw outside autograd's random primitives, Python
control flow that depends on the batch) is an error naming the op and the layer.

Example:
    >>> w = ag.tensor(np.ones((3, 2)))
    >>> g = trace_batched(lambda x: ag.reshape(ag.matmul(x, w), (-1,)), lambda n: [np.ones((n, 3))],
    ...                   params={"w": w})
    >>> g.run([np.ones((5, 3))], params={"w": w})[0].shape
    (10,)
"""
import numpy as np

from ..modes import STATE, enable_grad
from ..primitive import REGISTRY
from ..tensor import Tensor, make_leaf
from .graph import CACHE, RNG, Batch, Graph, Live, Node, Ref, Scratch, TraceError, Value, _collect_refs

__all__ = ["Tracer", "trace", "trace_batched", "active"]

#: keyword arguments that hold a primitive's scratch dict (saved activations, memos), replayed fresh
CACHE_KWARGS = frozenset({"saved", "memo", "relu_memo"})


def active():
    """The tracer recording now, or None.

    Example:
        >>> active() is None
        True
    """
    return STATE.tracer


class Tracer:
    """Records primitive applications into values and nodes (use ``trace`` / ``trace_batched``, or ``capture``).

    Args:
        params: ``{name: Tensor}`` whose arrays are parameters of the graph (bound by name when it runs).
        capture: record a whole step for ``autograd.trace.capture``: state Tensors (those in ``state``, and any Tensor
            whose class sets ``_trace_state``, and any Tensor an ``assign`` updates) are bound by reference ('live'
            values), random generators by reference (``Live``), scratch dicts by identity (``Scratch``), a backward
            pass as one node per vjp call ('@vjp'), in-place updates and host callbacks as effect nodes in order
            ('@assign', '@assign_add', '@assign_sub', '@host'). What cannot be recorded does not raise: the
            computation goes on untraced and ``failure`` says why.
        state: Tensors to bind by reference in capture mode, also when an op receives their bare array.
    """

    def __init__(self, params=None, capture=False, state=()):
        self.values = {}
        self.nodes = []
        self.updates = []
        self.inputs = []
        self._by_tensor = {}
        self._by_array = {}
        self._param_tensor = {}
        self._param_array = {}
        self._keep = []
        self._scope = []
        self.capture = bool(capture)
        #: capture mode: the objects replays use by reference, by name (state Tensors, generators, callbacks)
        self.live = {}
        self._live_of = {}
        self._state_tensor = {}
        self._state_array = {}
        self._scratch = {}
        #: capture mode: the value ids whose Tensor required grad when recorded (replays wrap them alike)
        self.grad_flags = set()
        #: capture mode: why the computation could not be recorded (None: it was)
        self.failure = None
        for t in state:
            self._state_tensor[id(t)] = t
            self._state_array[id(t.data)] = t
        for name, t in (params or {}).items():
            if not isinstance(t, Tensor):
                raise TypeError(f"trace(params=...): '{name}' must be a Tensor, received {type(t).__name__}")
            self._param_tensor[id(t)] = (name, t)
            self._param_array[id(t.data)] = (name, t)

    # -- scope labels -----------------------------------------------------------------------------------
    def push_scope(self, label):
        """Label the ops recorded until ``pop_scope`` (kerasfront pushes ``(layer name, class name)``)."""
        self._scope.append(label)

    def pop_scope(self):
        self._scope.pop()

    # -- values -----------------------------------------------------------------------------------------
    def _new(self, kind, data, **extra):
        vid = len(self.values)
        self.values[vid] = Value(vid, kind, data.shape, data.dtype, **extra)
        return vid

    def _register(self, t, vid):
        self._keep.append(t)
        if isinstance(t, Tensor):
            self._by_tensor[id(t)] = vid
            self._by_array[id(t.data)] = vid
            if t.requires_grad:
                self.grad_flags.add(vid)
        else:
            self._by_array[id(t)] = vid

    # -- capture mode: objects bound by reference ---------------------------------------------------------
    def _live_name(self, obj, prefix):
        name = self._live_of.get(id(obj))
        if name is None:
            name = f"{prefix}{len(self.live)}"
            self.live[name] = obj
            self._live_of[id(obj)] = name
            self._keep.append(obj)
        return name

    def _live_value(self, t):
        """The 'live' value of state Tensor ``t`` (made on first use)."""
        vid = self._by_tensor.get(id(t))
        if vid is not None and self.values[vid].kind == "live":
            return vid
        name = self._live_name(t, "state")
        vid = self._new("live", t.data, name=name)
        self._register(t, vid)
        return vid

    def _is_state(self, t):
        # NOTE: a leaf that requires grad is a parameter someone updates between steps: read it by reference too
        return id(t) in self._state_tensor or getattr(type(t), "_trace_state", False) or (
            t.requires_grad and t._ctx is None)

    def _fail(self, message):
        """Capture mode: stop recording (the computation goes on untraced) and remember why."""
        if self.failure is None:
            self.failure = message
        if STATE.tracer is self:
            STATE.tracer = None

    def add_input(self, t, name=None):
        """Make ``t`` (a Tensor) the next input of the graph; returns its value id."""
        vid = self._new("input", t.data, name=name)
        self._register(t, vid)
        self.inputs.append(vid)
        return vid

    def _param(self, name, t):
        vid = self._new("param", t.data, name=name, array=np.array(t.data, copy=True))
        self._by_tensor[id(t)] = vid
        self._by_array[id(t.data)] = vid
        self._keep.append(t)
        return vid

    def _const(self, arr):
        arr = np.asarray(arr)
        if arr.dtype.kind not in "biuf":
            raise TraceError(f"a traced op received an array of dtype {arr.dtype}, which a graph cannot hold")
        vid = self._new("const", arr, array=np.array(arr, copy=True))
        self._register(arr, vid)
        return vid

    def ref(self, x):
        """The reference to Tensor or array ``x`` (a new constant when it is none of the graph's values)."""
        if isinstance(x, Tensor):
            vid = self._by_tensor.get(id(x))
            if vid is not None:
                return Ref(vid)
            p = self._param_tensor.get(id(x))
            if p is not None:
                return Ref(self._param(*p))
            if self.capture and self._is_state(x):
                return Ref(self._live_value(x))
            vid = self._by_array.get(id(x.data))
            if vid is not None:
                return Ref(vid)
            p = self._param_array.get(id(x.data))
            if p is not None:
                return Ref(self._param(*p))
            if self.capture:
                st = self._state_array.get(id(x.data))
                if st is not None:
                    return Ref(self._live_value(st))
            vid = self._const(x.data)
            self._by_tensor[id(x)] = vid
            self._keep.append(x)
            if x.requires_grad:
                self.grad_flags.add(vid)
            return Ref(vid)
        vid = self._by_array.get(id(x))
        if vid is None:
            p = self._param_array.get(id(x))
            if p is not None:
                vid = self._param(*p)
            elif self.capture and id(x) in self._state_array:
                vid = self._live_value(self._state_array[id(x)])
            else:
                vid = self._const(x)
        return Ref(vid, raw=True)

    # -- arguments ----------------------------------------------------------------------------------------
    def _enc(self, x, op, what):
        if isinstance(x, (Tensor, np.ndarray)):
            return self.ref(x)
        t = type(x)
        if x is None or t is bool or t is int or t is float or t is str:
            return x
        if isinstance(x, np.generic):
            if x.dtype.kind not in "biuf":
                raise TraceError(f"op '{op}' received {what} of dtype {x.dtype}, which a graph cannot hold")
            return x
        if hasattr(t, "_trace_name"):
            return t(*(self._enc(v, op, what) for v in x))
        if t is tuple:
            return tuple(self._enc(v, op, what) for v in x)
        if t is list:
            return [self._enc(v, op, what) for v in x]
        if t is slice:
            return slice(self._enc(x.start, op, what), self._enc(x.stop, op, what), self._enc(x.step, op, what))
        if x is Ellipsis:
            return x
        if isinstance(x, np.dtype):
            return x
        if isinstance(x, type) and issubclass(x, np.generic):
            return np.dtype(x)
        if isinstance(x, np.random.Generator):
            return Live(self._live_name(x, "rng")) if self.capture else RNG
        if isinstance(x, (int, float)):            # subclasses (np.float64 is caught above)
            return float(x) if isinstance(x, float) else int(x)
        raise TraceError(f"op '{op}' received {what} of type {t.__name__} ({str(x)[:60]}), which a traced graph "
                         f"cannot hold; pass arrays and plain values to primitives")

    def _enc_kwargs(self, kwargs, name):
        enc_kwargs = {}
        for k, v in (kwargs or {}).items():
            if isinstance(v, dict) and k in CACHE_KWARGS:
                if self.capture:
                    key = self._scratch.get(id(v))
                    if key is None:
                        key = self._scratch[id(v)] = len(self._scratch)
                        self._keep.append(v)
                    enc_kwargs[k] = Scratch(key)
                else:
                    enc_kwargs[k] = CACHE
            else:
                enc_kwargs[k] = self._enc(v, name, f"keyword argument '{k}'")
        return enc_kwargs

    def record(self, prim, args, kwargs, out):
        """Called by every op with its result (through ``primitive.observed``)."""
        name = prim.name
        if REGISTRY.get(name) is not prim:
            raise TraceError(f"op '{name}' shares its name with another registered primitive, so a graph could not "
                             f"tell them apart; give it a unique name (ag.primitive(fun, name=...))")
        if self.capture:
            try:
                self._record(prim, args, kwargs, out)
            except TraceError as e:
                self._fail(str(e))
            return
        self._record(prim, args, kwargs, out)

    def _record(self, prim, args, kwargs, out):
        name = prim.name
        enc_args = tuple(self._enc(a, name, f"argument {i}") for i, a in enumerate(args))
        enc_kwargs = self._enc_kwargs(kwargs, name)
        vid = self._new("op", out.data)
        self._register(out, vid)
        self.nodes.append(Node(name, enc_args, enc_kwargs, vid, tuple(self._scope)))
        if self.capture:
            for k, v in enc_kwargs.items():
                if type(v) is Scratch:
                    self._scratch_items(v, kwargs[k], (), 0)

    def _scratch_items(self, scratch, item, path, depth):
        """Capture mode: make the arrays a forward left in its scratch dict values of the graph ('@scratch' nodes
        read them back from the replay's dict), so that a vjp handing one to another primitive is recorded."""
        if isinstance(item, dict) and depth == 0:
            for k, v in item.items():
                if isinstance(k, (str, int)):
                    self._scratch_items(scratch, v, (k,), 1)
        elif isinstance(item, (list, tuple)) and depth < 3:
            for i, v in enumerate(item):
                self._scratch_items(scratch, v, path + (i,), depth + 1)
        elif isinstance(item, (Tensor, np.ndarray)):
            known = self._by_tensor.get(id(item)) if isinstance(item, Tensor) else self._by_array.get(id(item))
            if known is None and (not isinstance(item, Tensor) or id(item.data) not in self._by_array):
                data = item.data if isinstance(item, Tensor) else item
                if data.dtype.kind in "biuf":
                    vid = self._new("op", data)
                    self._register(item, vid)
                    self.nodes.append(Node("@scratch", (scratch, path), {"tensor": isinstance(item, Tensor)}, vid,
                                           tuple(self._scope)))

    def record_detach(self, src, out):
        """Called by ``Tensor.detach``: a stop of the gradient on a value of the graph becomes a
        ``stop_gradient`` node (a detached constant is the same constant)."""
        try:
            ref = self.ref(src)
        except TraceError as e:
            if not self.capture:
                raise
            self._fail(str(e))
            return
        if self.values[ref.id].kind == "const":
            self._register(out, ref.id)
            return
        prim = REGISTRY["stop_gradient"]
        vid = self._new("op", out.data)
        self._register(out, vid)
        self.nodes.append(Node(prim.name, (ref,), {}, vid, tuple(self._scope)))

    def record_update(self, kind, target, value):
        """Called by ``ag.assign`` (``kind`` 'assign', 'assign_add', 'assign_sub'); updates of tensors that are not
        parameters of the graph are not part of it and are ignored (in capture mode every update is an effect node,
        its target a live value)."""
        if self.capture:
            try:
                self._record_effect(kind, target, value)
            except TraceError as e:
                self._fail(str(e))
            return
        ref = None
        if isinstance(target, Tensor):
            vid = self._by_tensor.get(id(target))
            if vid is not None and self.values[vid].kind == "param":
                ref = vid
            elif id(target) in self._param_tensor:
                ref = self._param(*self._param_tensor[id(target)])
        if ref is None:
            return
        self.updates.append((kind, ref, self._enc(value, kind, "the assigned value")))

    def _record_effect(self, kind, target, value):
        if not isinstance(target, Tensor):
            raise TraceError(f"{kind} of a {type(target).__name__}, not a Tensor")
        vid = self._by_tensor.get(id(target))
        if vid is None:
            vid = self._live_value(target)
        elif self.values[vid].kind == "const":
            # read before as a constant: a Tensor the step updates is state, read by reference at every replay
            v = self.values[vid]
            v.kind, v.name, v.array = "live", self._live_name(target, "state"), None
        enc = self._enc(value, kind, "the assigned value")
        self.nodes.append(Node("@" + kind, (Ref(vid), enc), {}, None, tuple(self._scope)))

    def python_read(self, t, what):
        """Called when Python reads Tensor ``t``'s values (``bool``, ``float``, ``int``, ``item``, an index). In
        capture mode a value the step computed from its inputs or state stops the capture: a replay could not
        take another branch, nor recompute the number. Constants, and traces for saving, are not affected."""
        if not self.capture or self.failure is not None or STATE.tracer is not self:
            return
        vid = self._by_tensor.get(id(t))
        if vid is None:
            vid = self._by_array.get(id(t.data))
        if vid is not None and self.values[vid].kind == "const":
            return
        if vid is None and not self._is_state(t) and id(t.data) not in self._state_array:
            return                                 # made outside the step's ops: a constant of the step
        label = self._scope[-1] if self._scope else None
        where = ("" if label is None else f" in layer '{label[0]}' ({label[1]})"
                 if isinstance(label, (tuple, list)) and len(label) == 2 else f" in {label}")
        self._fail(f"the step reads a value it computed into Python ({what}{where}): a branch on the data or a "
                   f"number computed in Python cannot be replayed")

    def call_vjp(self, prim, argnum, fn, g, ans, args, kwargs):
        """Capture mode, called by the backward pass for each vjp: run ``fn`` untraced and record the call as one
        '@vjp' node (the vjp's own arithmetic, numpy included, is replayed by calling it again)."""
        if self.failure is not None or STATE.tracer is not self:
            return fn(g, ans, *args, **kwargs) if kwargs else fn(g, ans, *args)
        STATE.tracer = None
        try:
            gi = fn(g, ans, *args, **kwargs) if kwargs else fn(g, ans, *args)
        finally:
            STATE.tracer = self
        if gi is None:
            return None
        if not isinstance(gi, Tensor):
            gi = make_leaf(np.asarray(gi))
        try:
            enc = (prim.name, argnum, self.ref(g), self.ref(ans),
                   tuple(self._enc(a, prim.name, f"argument {i}") for i, a in enumerate(args)))
            enc_kwargs = self._enc_kwargs(kwargs, prim.name)
        except TraceError as e:
            self._fail(str(e))
            return gi
        vid = self._new("op", gi.data)
        self._register(gi, vid)
        self.nodes.append(Node("@vjp", enc, enc_kwargs, vid, tuple(self._scope)))
        return gi

    def record_copy(self, src, out):
        """Capture mode, called by the backward pass when it copies a gradient it hands out ('@copy')."""
        if self.failure is not None:
            return
        try:
            ref = self.ref(src)
        except TraceError as e:
            self._fail(str(e))
            return
        vid = self._new("op", out.data)
        self._register(out, vid)
        self.nodes.append(Node("@copy", (ref,), {}, vid, tuple(self._scope)))

    def host_call(self, fn, args, kwargs=None):
        """Capture mode: run ``fn(*args, **kwargs)`` untraced now and record it as an '@host' effect node, so that
        every replay calls it again with that replay's values (metric updates made inside a step: their
        bookkeeping may be Python or numpy a graph cannot hold). Returns what ``fn`` returned."""
        kwargs = kwargs or {}
        if self.failure is not None or STATE.tracer is not self:
            return fn(*args, **kwargs)
        try:
            name = self._live_name(fn, "host")
            enc = tuple(self._enc(a, "host call", f"argument {i}") for i, a in enumerate(args))
            enc_kwargs = {k: self._enc(v, "host call", f"keyword argument '{k}'") for k, v in kwargs.items()}
        except TraceError as e:
            self._fail(str(e))
            return fn(*args, **kwargs)
        STATE.tracer = None
        try:
            result = fn(*args, **kwargs)
        finally:
            STATE.tracer = self
        self.nodes.append(Node("@host", (Live(name),) + enc, enc_kwargs, None, tuple(self._scope)))
        return result

    # -- the result -----------------------------------------------------------------------------------------
    def graph(self, outputs):
        out_ids = []
        for i, o in enumerate(outputs):
            if not isinstance(o, (Tensor, np.ndarray)):
                raise TraceError(f"output {i} of the traced function is a {type(o).__name__}, not a Tensor")
            out_ids.append(self.ref(o).id)
        return Graph(self.values, self.nodes, self.inputs, out_ids, self.updates)


def _flat_outputs(out):
    if isinstance(out, Tensor):
        return [out], True
    if isinstance(out, (list, tuple)):
        return list(out), False
    raise TraceError(f"the traced function must return a Tensor or a list of Tensors, received {type(out).__name__}")


def _record(fn, inputs, params, names):
    if STATE.tracer is not None:
        raise TraceError("trace: another trace is being recorded; traces do not nest")
    tracer = Tracer(params)
    tensors = []
    for i, x in enumerate(inputs):
        t = make_leaf(np.array(x.data if isinstance(x, Tensor) else x, copy=True))
        tracer.add_input(t, names[i] if names else None)
        tensors.append(t)
    STATE.tracer = tracer
    try:
        with enable_grad():
            out = fn(*tensors)
    finally:
        STATE.tracer = None
    flat, single = _flat_outputs(out)
    return tracer.graph(flat), single


def trace(fn, inputs, params=None, input_names=None):
    """Record ``fn(*inputs)`` as a ``Graph`` of primitive applications (for these input shapes).

    Args:
        fn: a function of Tensors returning a Tensor or a list of Tensors.
        inputs: example arrays, one per argument of ``fn``.
        params: ``{name: Tensor}``: arrays that stay parameters of the graph (weights), bound by name at ``run``.
        input_names: names for the inputs (kept in the graph).

    Example:
        >>> g = trace(lambda x: ag.sum(x * x), [np.ones(3)])
        >>> g.ops(), float(g.run([np.full(3, 2.0)])[0].data)
        (['multiply', 'sum'], 12.0)
    """
    graph, _ = _record(fn, inputs, params, input_names)
    return prune(graph)


def trace_batched(fn, make_inputs, params=None, batch_sizes=(2, 3, 5, 7), input_names=None):
    """Record ``fn`` as a ``Graph`` symbolic in the batch axis (axis 0 of every input).

    ``fn`` is traced once per size in ``batch_sizes`` (four different sizes) on ``make_inputs(size)``; every shape
    and integer argument that changes with the size must be ``a * size + c``, a float may also be ``a / size + c``
    or ``(a * size + c) / (size + d)`` (a BatchNormalization's n / (n - 1)); the sizes beyond those that
    determine a formula check it. An array no op made may change only if all its entries are one value (a fill,
    such as zeros of shape (batch, units)).

    Example:
        >>> g = trace_batched(lambda x: ag.reshape(x, (-1, 2)), lambda n: [np.ones((n, 4))])
        >>> g.run([np.ones((7, 4))])[0].shape
        (14, 2)
    """
    sizes = tuple(int(b) for b in batch_sizes)
    if len(sizes) != 4 or len(set(sizes)) != 4 or min(sizes) < 1:
        raise ValueError(f"trace_batched(batch_sizes=...): expected four different positive sizes, received "
                         f"{batch_sizes!r}")
    graphs = [_record(fn, make_inputs(b), params, input_names)[0] for b in sizes]
    return prune(merge(graphs, sizes))


# -- merging traces made at several batch sizes ------------------------------------------------------------


def _isnan(v):
    return isinstance(v, (float, np.floating)) and np.isnan(v)


def _close(x, y):
    return abs(x - y) <= 1e-9 * max(1.0, abs(y))


def _fit(values, sizes, where):
    """The ``Batch`` (or plain value) that gives ``values[i]`` at ``sizes[i]``: a constant, an integer
    ``a * B + c``, or a float ``a * B + c``, ``a / B + c`` or ``(a * B + c) / (B + d)``; the sizes beyond the
    ones that determine a formula check it."""
    v0 = values[0]
    if all(type(v) is type(v0) for v in values) and (all(v == v0 for v in values) or all(_isnan(v) for v in values)):
        return v0
    shown = dict(zip(sizes, [v.item() if isinstance(v, np.generic) else v for v in values]))
    ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values)
    if ints:
        a, rem = divmod(int(values[1]) - int(v0), sizes[1] - sizes[0])
        c = int(v0) - a * sizes[0]
        if not rem and all(a * b + c == int(v) for b, v in zip(sizes, values)):
            return Batch(a, c)
        raise TraceError(f"{where} changes with the batch size ({shown}) but not as a * batch + c")
    floats = all(isinstance(v, (float, np.floating)) for v in values)
    if not floats:
        raise TraceError(f"{where} changes with the batch size ({values!r})")
    dtype = np.dtype(type(v0)).name if isinstance(v0, np.floating) else None
    if any((np.dtype(type(v)).name if isinstance(v, np.floating) else None) != dtype for v in values):
        raise TraceError(f"{where} changes its type with the batch size")
    f = [float(v) for v in values]
    bs = [float(b) for b in sizes]
    for kind, xs in (("linear", bs), ("inverse", [1.0 / b for b in bs])):
        a = (f[1] - f[0]) / (xs[1] - xs[0])
        c = f[0] - a * xs[0]
        if all(_close(a * x + c, v) for x, v in zip(xs, f)):
            return Batch(a, c, kind=kind, dtype=dtype)
    # (a B + c) / (B + d): a B + c - v d = v B for the first three sizes, checked on the others
    try:
        a, c, d = np.linalg.solve(np.array([[b, 1.0, -v] for b, v in zip(bs[:3], f[:3])]),
                                  np.array([v * b for b, v in zip(bs[:3], f[:3])]))
    except np.linalg.LinAlgError:
        a = c = d = None
    if a is not None and len(bs) > 3 and all(b + d != 0 and _close((a * b + c) / (b + d), v) for b, v in zip(bs, f)):
        return Batch(float(a), float(c), kind="ratio", dtype=dtype, d=float(d))
    raise TraceError(f"{where} changes with the batch size ({shown}) but not as a * batch + c, a / batch + c or "
                     f"(a * batch + c) / (batch + d)")


def _merge_arg(xs, sizes, where, refmaps):
    x0 = xs[0]
    t = type(x0)
    if any(type(x) is not t for x in xs):
        raise TraceError(f"{where} has another type at another batch size")
    if t is Ref:
        ids = [x.id for x in xs]
        if len(set(ids)) != 1:
            raise TraceError(f"{where} reads another value at another batch size (the computation's structure "
                             f"depends on the batch size)")
        return x0
    if t is tuple or t is list or hasattr(t, "_trace_name"):
        if any(len(x) != len(x0) for x in xs):
            raise TraceError(f"{where} has another length at another batch size")
        items = [_merge_arg([x[i] for x in xs], sizes, where, refmaps) for i in range(len(x0))]
        return t(*items) if hasattr(t, "_trace_name") else t(items)
    if t is slice:
        return slice(*[_merge_arg([getattr(x, f) for x in xs], sizes, where, refmaps) for f in ("start", "stop",
                                                                                             "step")])
    if x0 is None or x0 is Ellipsis or x0 is RNG or x0 is CACHE or t is str or isinstance(x0, np.dtype):
        if any(x != x0 for x in xs):
            raise TraceError(f"{where} changes with the batch size ({xs!r})")
        return x0
    return _fit(xs, sizes, where)


def _merge_shape(shapes, sizes, where):
    if any(len(s) != len(shapes[0]) for s in shapes):
        raise TraceError(f"{where} has another number of axes at another batch size")
    return tuple(_fit([s[i] for s in shapes], sizes, f"axis {i} of {where}") for i in range(len(shapes[0])))


def _uniform(arr):
    flat = arr.ravel()
    if flat.size == 0:
        return True, 0
    first = flat[0]
    return bool(np.all(flat == first)), first


def _merge_value(vs, sizes, users):
    v0 = vs[0]
    where = users.get(v0.id, f"value {v0.id}")
    if any(v.kind != v0.kind or v.dtype != v0.dtype or v.name != v0.name for v in vs):
        raise TraceError(f"{where}: the traced computation differs between batch sizes")
    if v0.kind in ("input", "op", "param"):
        shape = _merge_shape([v.shape for v in vs], sizes, where)
        return Value(v0.id, v0.kind, shape, v0.dtype, name=v0.name, array=v0.array)
    # a constant: the same everywhere, or one repeated value in a batch-dependent shape (a fill)
    arrays = [v.array for v in vs]
    if all(a.shape == arrays[0].shape for a in arrays) and all(
            np.array_equal(a, arrays[0], equal_nan=a.dtype.kind == "f") for a in arrays):
        return v0
    fills = [_uniform(a) for a in arrays]
    if all(ok for ok, _ in fills) and len({np.asarray(f).tobytes() for _, f in fills}) == 1 and \
            all(a.size for a in arrays):
        shape = _merge_shape([a.shape for a in arrays], sizes, where)
        return Value(v0.id, "fill", shape, v0.dtype, fill=fills[0][1].item())
    raise TraceError(f"{where} reads an array that no autograd op made and whose values change from one batch to "
                     f"the next: it was computed with numpy from the inputs' values, or drawn at random outside "
                     f"autograd's random ops; compute it with autograd ops so that it can be traced")


def merge(graphs, sizes):
    """One batch-symbolic graph from graphs of the same computation traced at ``sizes``.

    Example:
        >>> gs = [trace(lambda x: ag.reshape(x, (-1,)), [np.ones((b, 2))]) for b in (2, 3, 5)]
        >>> merge(gs, (2, 3, 5)).values[1].shape
        (Batch(2*B+0),)
    """
    g0 = graphs[0]
    if any(len(g.nodes) != len(g0.nodes) or len(g.values) != len(g0.values) for g in graphs):
        counts = [len(g.nodes) for g in graphs]
        raise TraceError(f"the traced computation applies a different number of ops at batch sizes {sizes} "
                         f"({counts}): its structure depends on the batch size, so it cannot be traced once for all "
                         f"batch sizes")
    users = {}
    for node in g0.nodes:
        for r in node.refs():
            users.setdefault(r, f"the input of {node.where()}")
        users.setdefault(node.out, f"the output of {node.where()}")
    nodes = []
    for i, group in enumerate(zip(*[g.nodes for g in graphs])):
        n0 = group[0]
        if any(n.op != n0.op or n.out != n0.out or set(n.kwargs) != set(n0.kwargs) for n in group):
            raise TraceError(f"the traced computation differs between batch sizes at its op {i} "
                             f"({[n.op for n in group]}); its structure depends on the batch size")
        where = n0.where()
        args = _merge_arg([n.args for n in group], sizes, f"an argument of {where}", None)
        kwargs = {k: _merge_arg([n.kwargs[k] for n in group], sizes, f"argument '{k}' of {where}", None)
                  for k in n0.kwargs}
        nodes.append(Node(n0.op, args, kwargs, n0.out, n0.scope))
    values = {vid: _merge_value([g.values[vid] for g in graphs], sizes, users) for vid in g0.values}
    if any(g.outputs != g0.outputs or g.inputs != g0.inputs for g in graphs):
        raise TraceError("the traced computation returns other values at another batch size")
    if any(len(g.updates) != len(g0.updates) for g in graphs):
        raise TraceError("the traced computation makes another number of updates at another batch size")
    updates = [(u[0][0], u[0][1], _merge_arg([x[2] for x in u], sizes, f"the value of update {i}", None))
               for i, u in enumerate(zip(*[g.updates for g in graphs]))]
    for i, inp in enumerate(g0.inputs):
        first = values[inp].shape[:1]
        if not first or first[0] != Batch(1, 0):
            raise TraceError(f"input {i} of the traced computation does not hold the batch on its first axis "
                             f"(shapes {[g.values[inp].shape for g in graphs]})")
    return Graph(values, nodes, g0.inputs, g0.outputs, updates, batch_symbolic=True)


def prune(graph):
    """``graph`` without the nodes and values its outputs and updates do not need, ids renumbered 0, 1, ...
    (inputs first, then parameters, constants, fills and op results in order of use).

    Example:
        >>> g = trace(lambda x: [ag.exp(x), ag.log(x)][0], [np.ones(2)])
        >>> g.ops()
        ['exp']
    """
    needed = set(graph.outputs) | set(graph.inputs)
    stack = list(needed)
    for _, pid, arg in graph.updates:
        stack.append(pid)
        refs = []
        _collect_refs([arg], refs)
        stack.extend(refs)
    producer = {n.out: n for n in graph.nodes}
    keep_nodes = set()
    while stack:
        vid = stack.pop()
        needed.add(vid)
        node = producer.get(vid)
        if node is not None and id(node) not in keep_nodes:
            keep_nodes.add(id(node))
            for r in node.refs():
                if r not in needed:
                    stack.append(r)
    nodes = [n for n in graph.nodes if id(n) in keep_nodes]
    order = list(graph.inputs)
    seen = set(order)

    def visit(vid):
        if vid not in seen:
            seen.add(vid)
            order.append(vid)

    produced = {n.out for n in nodes}
    for n in nodes:
        for r in n.refs():
            if r not in produced:
                visit(r)
    for o in graph.outputs:
        if o not in produced:
            visit(o)
    for _, pid, arg in graph.updates:
        visit(pid)
    for n in nodes:
        visit(n.out)
    # leaves first (inputs, then what the ops read in order of use), then op results in execution order
    new_id = {old: i for i, old in enumerate(order)}

    def renum(x):
        t = type(x)
        if t is Ref:
            return Ref(new_id[x.id], x.raw)
        if t is tuple or t is list:
            return t(renum(v) for v in x)
        if hasattr(t, "_trace_name"):
            return t(*(renum(v) for v in x))
        if t is slice:
            return slice(renum(x.start), renum(x.stop), renum(x.step))
        return x

    values = {}
    for old, new in new_id.items():
        v = graph.values[old]
        values[new] = Value(new, v.kind, v.shape, v.dtype, name=v.name, array=v.array, fill=v.fill)
    new_nodes = [Node(n.op, renum(n.args), {k: renum(v) for k, v in n.kwargs.items()}, new_id[n.out], n.scope)
                 for n in nodes]
    updates = [(k, new_id[p], renum(a)) for k, p, a in graph.updates]
    out = Graph(values, new_nodes, [new_id[i] for i in graph.inputs], [new_id[o] for o in graph.outputs], updates,
                batch_symbolic=graph.batch_symbolic)
    return out
