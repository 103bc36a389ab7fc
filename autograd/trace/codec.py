"""Writing a ``Graph`` as JSON plus named arrays, and reading it back with every part checked.

``to_json(graph)`` gives ``(document, arrays)``: a JSON-able dict and ``{key: ndarray}`` of the constants.
``from_json(document, arrays)`` rebuilds the graph and refuses, naming what it found, anything a tracer could
not have written: an op autograd does not register (or cannot check), an argument of a type a graph cannot
hold, a reference to a value not yet defined, a dtype that is not numeric, a shape or integer beyond the limits,
a constant whose array does not match its declaration. The graph it returns checks every node's output shape
against the primitive's shape rule before computing it (``shapes.check_node``), so a file cannot make an op
allocate more than the shapes it declares.

Argument encoding (JSON): a value reference ``{"$v": id}`` (a raw array: ``{"$a": id}``), a tuple
``{"$t": [...]}``, a list ``[...]``, a slice ``{"$slice": [start, stop, step]}``, ``{"$ellipsis": true}``, a dtype
``{"$dtype": "float32"}``, a numpy scalar ``{"$s": ["float32", 0.5]}``, a non-finite float ``{"$f": "nan"}``,
the batch size formula ``{"$b": [a, c]}`` (floats: ``{"$bf": [a, c, "linear" | "inverse" | "ratio", dtype, d]}``), the random
generator ``{"$rng": true}``, a scratch dict ``{"$cache": true}``, a registered struct
``{"$struct": name, "fields": [...]}``; plain numbers, strings, booleans and null as themselves.

Example:
    >>> g = ag.trace.trace(lambda x: ag.exp(x) + 1.0, [np.ones(2)])
    >>> doc, arrays = to_json(g)
    >>> from_json(doc, arrays).run([np.zeros(2)])[0]
    Tensor([2., 2.])
"""
import math

import numpy as np

from ..primitive import REGISTRY
from .graph import CACHE, RNG, STRUCTS, Batch, Graph, Node, Ref, TraceError, Value

__all__ = ["to_json", "from_json", "FORMAT", "VERSION", "DTYPES"]

FORMAT = "autograd-trace"
VERSION = 1
#: the dtypes a graph may hold
DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                    "float32", "float64"})
_MAX_INT = 2 ** 40
_MAX_STR = 256
_MAX_LIST = 65536
_MAX_DEPTH = 12
_KINDS = ("input", "param", "const", "fill", "op")
_UPDATES = ("assign", "assign_add", "assign_sub")


# -- writing ---------------------------------------------------------------------------------------------


def _enc_float(x):
    x = float(x)
    if math.isfinite(x):
        return x
    return {"$f": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _enc(x):
    t = type(x)
    if t is Ref:
        return {"$a" if x.raw else "$v": x.id}
    if x is None or t is bool or t is int or t is str:
        return x
    if t is float:
        return _enc_float(x)
    if t is Batch:
        if x.kind == "int":
            return {"$b": [int(x.a), int(x.c)]}
        return {"$bf": [_enc_float(x.a), _enc_float(x.c), x.kind, x.dtype, _enc_float(x.d)]}
    if isinstance(x, np.generic):
        value = x.item()
        return {"$s": [x.dtype.name, _enc_float(value) if isinstance(value, float) else value]}
    if hasattr(t, "_trace_name"):
        return {"$struct": t._trace_name, "fields": [_enc(v) for v in x]}
    if t is tuple:
        return {"$t": [_enc(v) for v in x]}
    if t is list:
        return [_enc(v) for v in x]
    if t is slice:
        return {"$slice": [_enc(x.start), _enc(x.stop), _enc(x.step)]}
    if x is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(x, np.dtype):
        return {"$dtype": x.name}
    if x is RNG:
        return {"$rng": True}
    if x is CACHE:
        return {"$cache": True}
    raise TraceError(f"cannot write an argument of type {t.__name__} into a graph file")


def _enc_dim(d):
    return {"$b": [int(d.a), int(d.c)]} if type(d) is Batch else int(d)


def _enc_label(label):
    if isinstance(label, (tuple, list)):
        return [str(v) for v in label]
    return str(label)


def to_json(graph, array_prefix="c"):
    """``(document, arrays)``: the graph as JSON-able data and its constants as ``{key: ndarray}``.

    Example:
        >>> doc, arrays = to_json(ag.trace.trace(lambda x: x * np.arange(2.0), [np.ones(2)]))
        >>> sorted(arrays), [n["op"] for n in doc["nodes"]]
        (['c1'], ['multiply'])
    """
    arrays = {}
    values = []
    for vid in sorted(graph.values):
        v = graph.values[vid]
        item = {"id": v.id, "kind": v.kind, "shape": [_enc_dim(d) for d in v.shape], "dtype": v.dtype.name}
        if v.name is not None:
            item["name"] = str(v.name)
        if v.kind == "const":
            key = f"{array_prefix}{v.id}"
            arrays[key] = np.array(v.array, order="C", copy=True)
            item["array"] = key
        elif v.kind == "fill":
            item["fill"] = _enc(v.fill if not isinstance(v.fill, float) else float(v.fill))
        values.append(item)
    nodes = [{"op": n.op, "args": [_enc(a) for a in n.args], "kwargs": {k: _enc(v) for k, v in n.kwargs.items()},
              "out": n.out, "scope": [_enc_label(s) for s in n.scope]} for n in graph.nodes]
    doc = {"format": FORMAT, "version": VERSION, "batch_symbolic": graph.batch_symbolic, "values": values,
           "nodes": nodes, "inputs": list(graph.inputs), "outputs": list(graph.outputs),
           "updates": [[k, p, _enc(a)] for k, p, a in graph.updates]}
    return doc, arrays


# -- reading ---------------------------------------------------------------------------------------------


def _refuse(msg):
    raise TraceError(f"graph file: {msg}; refusing to load it (the file is damaged or hostile)")


def _int(x, what, lo=-_MAX_INT, hi=_MAX_INT):
    if type(x) is not int or not lo <= x <= hi:
        _refuse(f"{what} must be an integer in [{lo}, {hi}], found {str(x)[:80]}")
    return x


def _float(x, what):
    if type(x) is dict and set(x) == {"$f"} and x["$f"] in ("nan", "inf", "-inf"):
        return float(x["$f"])
    if type(x) not in (int, float) or type(x) is bool:
        _refuse(f"{what} must be a number, found {str(x)[:80]}")
    return float(x)


def _dtype(name, what):
    if type(name) is not str or name not in DTYPES:
        _refuse(f"{what} names dtype {str(name)[:40]!r}; a graph holds only {sorted(DTYPES)}")
    return np.dtype(name)


class _Reader:
    def __init__(self, n_values):
        self.n_values = n_values
        self.defined = set()

    def ref(self, vid, what):
        _int(vid, what, 0, self.n_values - 1)
        if vid not in self.defined:
            _refuse(f"{what} reads value {vid} before it is defined")
        return vid

    def arg(self, x, what, depth=0):
        if depth > _MAX_DEPTH:
            _refuse(f"{what} nests deeper than {_MAX_DEPTH} levels")
        t = type(x)
        if x is None or t is bool:
            return x
        if t is int:
            return _int(x, what)
        if t is float:
            return x
        if t is str:
            if len(x) > _MAX_STR:
                _refuse(f"{what} holds a string of {len(x)} characters")
            return x
        if t is list:
            if len(x) > _MAX_LIST:
                _refuse(f"{what} holds a list of {len(x)} items")
            return [self.arg(v, what, depth + 1) for v in x]
        if t is not dict or len(x) not in (1, 2):
            _refuse(f"{what} holds {str(x)[:80]}, which is not an argument a tracer writes")
        keys = set(x)
        if keys == {"$v"} or keys == {"$a"}:
            (k,) = keys
            return Ref(self.ref(x[k], what), raw=k == "$a")
        if keys == {"$t"} and type(x["$t"]) is list:
            return tuple(self.arg(x["$t"], what, depth + 1))
        if keys == {"$slice"} and type(x["$slice"]) is list and len(x["$slice"]) == 3:
            parts = [self.arg(v, what, depth + 1) for v in x["$slice"]]
            for p in parts:
                if not (p is None or type(p) in (int, Batch) or (isinstance(p, np.integer))):
                    _refuse(f"{what} holds a slice bound {str(p)[:40]}")
            return slice(*parts)
        if keys == {"$ellipsis"} and x["$ellipsis"] is True:
            return Ellipsis
        if keys == {"$dtype"}:
            return _dtype(x["$dtype"], what)
        if keys == {"$rng"} and x["$rng"] is True:
            return RNG
        if keys == {"$cache"} and x["$cache"] is True:
            return CACHE
        if keys == {"$f"}:
            return _float(x, what)
        if keys == {"$s"} and type(x["$s"]) is list and len(x["$s"]) == 2:
            dtype = _dtype(x["$s"][0], what)
            value = x["$s"][1]
            if dtype.kind == "b":
                if type(value) is not bool:
                    _refuse(f"{what} holds a bool scalar {str(value)[:40]}")
                return np.bool_(value)
            if dtype.kind in "iu":
                info = np.iinfo(dtype)
                return dtype.type(_int(value, what, max(int(info.min), -_MAX_INT), min(int(info.max), _MAX_INT)))
            return dtype.type(_float(value, what))
        if keys == {"$b"}:
            a, c = self.batch_pair(x["$b"], what)
            return Batch(a, c)
        if keys == {"$bf"} and type(x["$bf"]) is list and len(x["$bf"]) == 5:
            a, c, kind, dtype, d = x["$bf"]
            if kind not in ("linear", "inverse", "ratio"):
                _refuse(f"{what} holds a batch formula of kind {str(kind)[:40]!r}")
            if dtype is not None:
                dtype = _dtype(dtype, what).name
            return Batch(_float(a, what), _float(c, what), kind=kind, dtype=dtype, d=_float(d, what))
        if keys == {"$struct", "fields"} and type(x["fields"]) is list:
            name = x["$struct"]
            entry = STRUCTS.get(name) if type(name) is str else None
            if entry is None:
                _refuse(f"{what} holds a struct {str(name)[:40]!r} that autograd does not register")
            cls = entry[0]
            if len(x["fields"]) != len(cls._fields):
                _refuse(f"{what}: struct {name!r} needs {len(cls._fields)} fields, found {len(x['fields'])}")
            fields = [self.arg(v, what, depth + 1) for v in x["fields"]]
            _plain(fields, what)
            return cls(*fields)
        _refuse(f"{what} holds {str(x)[:80]}, which is not an argument a tracer writes")

    def batch_pair(self, pair, what):
        if type(pair) is not list or len(pair) != 2:
            _refuse(f"{what} holds a malformed batch formula {str(pair)[:40]}")
        return _int(pair[0], what, -_MAX_INT, _MAX_INT), _int(pair[1], what)


def _plain(fields, what):
    """A struct holds ints, tuples of ints (pads) and nothing that refers to values."""
    for f in fields:
        if type(f) is tuple:
            _plain(list(f), what)
        elif type(f) is not int:
            _refuse(f"{what} holds a struct field {str(f)[:40]} that is not an integer")


def _dim(d, what):
    if type(d) is dict:
        if set(d) != {"$b"}:
            _refuse(f"{what} holds a malformed dimension {str(d)[:40]}")
        pair = d["$b"]
        if type(pair) is not list or len(pair) != 2:
            _refuse(f"{what} holds a malformed dimension {str(d)[:40]}")
        a, c = _int(pair[0], what, 0, _MAX_INT), _int(pair[1], what)
        if a == 0 or a * 1 + c < 0:
            _refuse(f"{what} holds a dimension {a} * batch + {c}, which is negative or constant")
        return Batch(a, c)
    return _int(d, what, 0, _MAX_INT)


def _label(label, what):
    if type(label) is str and len(label) <= _MAX_STR:
        return label
    if type(label) is list and len(label) == 2 and all(type(s) is str and len(s) <= _MAX_STR for s in label):
        return tuple(label)
    _refuse(f"{what} holds a scope label {str(label)[:60]}")


def from_json(doc, arrays, max_elements=2 ** 31):
    """The ``Graph`` written by ``to_json``, every part checked (see the module docstring).

    Args:
        doc: the JSON document (parsed).
        arrays: ``{key: ndarray}`` of the constants (already loaded: their declared shape and dtype are
            compared with the document's).
        max_elements: the most elements any value may hold at batch size 1 (and, when the graph runs, at the
            batch size it runs at).

    Example:
        >>> doc, arrays = to_json(ag.trace.trace(lambda x: ag.tanh(x), [np.ones(2)]))
        >>> doc["nodes"][0]["op"] = "os_system"
        >>> from_json(doc, arrays)
        Traceback (most recent call last):
        autograd.trace.graph.TraceError: graph file: node 0 applies op 'os_system', which autograd does not register; ...
    """
    from .shapes import RULES
    if type(doc) is not dict or doc.get("format") != FORMAT:
        _refuse(f"expected a document with format {FORMAT!r}")
    if doc.get("version") != VERSION:
        _refuse(f"version {str(doc.get('version'))[:20]} is not {VERSION}")
    for key, kind in (("values", list), ("nodes", list), ("inputs", list), ("outputs", list), ("updates", list)):
        if type(doc.get(key)) is not kind:
            _refuse(f"'{key}' must be a list")
    batch_symbolic = doc.get("batch_symbolic")
    if type(batch_symbolic) is not bool:
        _refuse("'batch_symbolic' must be true or false")
    raw_values = doc["values"]
    n = len(raw_values)
    if n > 10 ** 6 or len(doc["nodes"]) > 10 ** 6:
        _refuse(f"it holds {n} values and {len(doc['nodes'])} nodes")
    reader = _Reader(n)
    values = {}
    op_values = set()
    for i, item in enumerate(raw_values):
        what = f"value {i}"
        if type(item) is not dict or item.get("id") != i or item.get("kind") not in _KINDS:
            _refuse(f"{what} is malformed (each value needs its id, in order, and a kind among {_KINDS})")
        kind = item["kind"]
        if type(item.get("shape")) is not list or len(item["shape"]) > 32:
            _refuse(f"{what} has a malformed shape")
        shape = tuple(_dim(d, f"the shape of {what}") for d in item["shape"])
        dtype = _dtype(item.get("dtype"), what)
        size = 1
        for d in shape:
            size *= d.a + d.c if type(d) is Batch else d
        if size > max_elements:
            _refuse(f"{what} declares shape {shape}, {size} elements even at batch size 1 (the limit is "
                    f"{max_elements})")
        name = item.get("name")
        if name is not None and (type(name) is not str or len(name) > 1024):
            _refuse(f"{what} has a malformed name")
        if kind != "input" and kind != "op" and kind != "fill" and any(type(d) is Batch for d in shape):
            _refuse(f"{what} (a {kind}) cannot depend on the batch size")
        array = fill = None
        if kind == "param":
            if name is None:
                _refuse(f"{what} is a parameter without a name")
        elif kind == "const":
            key = item.get("array")
            if type(key) is not str or key not in arrays:
                _refuse(f"{what} names constant array {str(key)[:40]!r}, which the file does not hold")
            array = arrays[key]
            if not isinstance(array, np.ndarray) or array.shape != shape or array.dtype != dtype:
                _refuse(f"constant array {key!r} has shape {getattr(array, 'shape', None)} and dtype "
                        f"{getattr(array, 'dtype', None)}; the graph declares {shape} and {dtype.name}")
        elif kind == "fill":
            fill = reader.arg(item.get("fill"), what)
            if type(fill) not in (int, float, bool):
                _refuse(f"{what} is a fill with value {str(fill)[:40]}")
        if kind == "op":
            op_values.add(i)
        else:
            reader.defined.add(i)
        values[i] = Value(i, kind, shape, dtype, name=name, array=array, fill=fill)
    inputs = [reader.ref(v, "the inputs") for v in doc["inputs"]]
    if any(values[v].kind != "input" for v in inputs) or len(set(inputs)) != len(inputs) or \
            {v for v in values if values[v].kind == "input"} != set(inputs):
        _refuse("the inputs must list every input value once")
    nodes = []
    for j, item in enumerate(doc["nodes"]):
        what = f"node {j}"
        if type(item) is not dict or type(item.get("op")) is not str or type(item.get("args")) is not list or \
                type(item.get("kwargs")) is not dict or type(item.get("scope", [])) is not list:
            _refuse(f"{what} is malformed")
        op = item["op"]
        if REGISTRY.get(op) is None:
            _refuse(f"{what} applies op {op[:60]!r}, which autograd does not register")
        if op not in RULES:
            _refuse(f"{what} applies op {op!r}, which a graph file may not use (it has no shape rule to check its "
                    f"arguments against)")
        args = [reader.arg(a, f"{what} (op '{op}')") for a in item["args"]]
        kwargs = {}
        for k, v in item["kwargs"].items():
            if len(k) > 64 or not k.isidentifier():
                _refuse(f"{what} (op '{op}') has a keyword argument named {k[:40]!r}")
            kwargs[k] = reader.arg(v, f"{what} (op '{op}'), argument '{k}'")
        scope = [_label(s, what) for s in item.get("scope", [])][:64]
        out = item.get("out")
        if type(out) is not int or out not in op_values or out in reader.defined:
            _refuse(f"{what} (op '{op}') defines value {str(out)[:20]}, which is not an op value or is defined "
                    f"twice")
        reader.defined.add(out)
        nodes.append(Node(op, args, kwargs, out, scope))
    if reader.defined != set(values):
        _refuse(f"values {sorted(set(values) - reader.defined)[:10]} are never defined")
    outputs = [reader.ref(v, "the outputs") for v in doc["outputs"]]
    updates = []
    for u in doc["updates"]:
        if type(u) is not list or len(u) != 3 or u[0] not in _UPDATES:
            _refuse(f"an update is malformed: {str(u)[:60]}")
        pid = reader.ref(u[1], "an update")
        if values[pid].kind != "param":
            _refuse("an update assigns to a value that is not a parameter")
        updates.append((u[0], pid, reader.arg(u[2], "an update")))
    graph = Graph(values, nodes, inputs, outputs, updates, batch_symbolic=batch_symbolic)
    graph.checked = True
    graph.max_elements = max_elements
    return graph
