"""The ONNX writer: a model's traced inference graph (``autograd.trace``), node by node, through one table from
autograd primitives to ONNX operators.

``export_onnx(model, path, opset=17)`` traces ``model(x, training=False)`` symbolic in the batch axis (so the
file has a dynamic batch dimension named ``batch``), converts every primitive with ``CONVERTERS`` and checks
the result with ``onnx.checker``. Inputs and outputs carry the model's names. Layouts are NHWC as in Keras;
convolutions and poolings are wrapped in transposes to ONNX's NCHW (ONNX Runtime fuses them away). Recurrent
layers (LSTM, GRU, SimpleRNN, masked or not, in either direction) are unrolled over their time steps. Dropout
and the other training-only layers are absent from an inference trace. A primitive without a conversion is an
error naming the layer and its class.

Opset 17 is the default and the lowest accepted (LayerNormalization-era opset; the reductions are written for
17 and for 18+, where their axes became inputs).

Example:
    >>> export_onnx(model, "model.onnx")
    >>> import onnxruntime as ort
    >>> sess = ort.InferenceSession("model.onnx")
    >>> sess.run(None, {"input_1": x})[0].shape
"""
import os

import numpy as np

import autograd as ag
from autograd.trace import Batch, Ref

__all__ = ["export_onnx", "CONVERTERS", "DEFAULT_OPSET", "MIN_OPSET", "MAX_OPSET", "ExportError"]

DEFAULT_OPSET = 17
MIN_OPSET = 17
MAX_OPSET = 21


class ExportError(ValueError):
    """A model (or a layer of it) that cannot be written to ONNX."""


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as e:
        raise ImportError(f"Exporting to ONNX needs the `onnx` package, which could not be imported ({e}); install "
                          f"it with: pip install \"kerasfront[onnx]\" (or pip install onnx)") from None
    return onnx, helper, numpy_helper


class _Builder:
    """Collects ONNX nodes and initializers while the graph's nodes are converted."""

    def __init__(self, graph, opset, onnx_mods):
        self.graph = graph
        self.opset = opset
        self.onnx, self.helper, self.numpy_helper = onnx_mods
        self.nodes = []
        self.inits = []
        self.names = {}
        self._used = set()
        self._consts = {}
        self._batch = None
        self.scope = "graph"

    # -- names and constants ----------------------------------------------------------------------------
    def fresh(self, hint):
        base = "".join(c if c.isalnum() or c in "_/.-" else "_" for c in str(hint)) or "t"
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name

    def const(self, array, hint="const"):
        array = np.asarray(array)
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 64 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.fresh(hint)
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(array) if array.ndim else array, name))
        if key is not None:
            self._consts[key] = name
        return name

    def add(self, op, inputs, n_out=1, hint=None, **attrs):
        outs = [self.fresh(f"{self.scope}/{hint or op}") for _ in range(n_out)]
        self.nodes.append(self.helper.make_node(op, list(inputs), outs, name=self.fresh(f"{self.scope}/{op}_node"),
                                                **attrs))
        return outs[0] if n_out == 1 else outs

    # -- values -----------------------------------------------------------------------------------------
    def dtype(self, arg):
        return self.graph.values[arg.id].dtype if type(arg) is Ref else np.asarray(arg).dtype

    def shape(self, arg):
        return self.graph.values[arg.id].shape

    def value(self, vid):
        """The ONNX name of value ``vid``; weights, constants and fills become initializers / nodes on first use
        (a weight only ever read transposed is stored transposed, once)."""
        name = self.names.get(vid)
        if name is not None:
            return name
        value = self.graph.values[vid]
        if value.kind == "param":
            name = self.const(value.array, value.name)
        elif value.kind == "const":
            name = self.const(value.array, f"const_{vid}")
        elif value.kind == "fill":
            scope, self.scope = self.scope, "fill"
            name = self.add("ConstantOfShape", [self.ints(value.shape)], hint=f"fill_{vid}",
                            value=self.numpy_helper.from_array(np.asarray([value.fill], value.dtype)))
            self.scope = scope
        else:
            raise ExportError(f"value {vid} read before it is computed")
        self.names[vid] = name
        return name

    def operand(self, arg, dtype):
        """An ONNX name for a node argument: a value, or a literal made a constant of ``dtype``."""
        if type(arg) is Ref:
            return self.value(arg.id)
        if type(arg) is Batch:
            raise ExportError("a batch-dependent number used as a tensor")
        return self.const(np.asarray(arg, dtype=dtype))

    def batch(self):
        """The int64 tensor [batch] read from the first input's shape."""
        if self._batch is None:
            self._batch = self.add("Shape", [self.value(self.graph.inputs[0])], hint="batch", start=0, end=1)
        return self._batch

    def ints(self, values, hint="shape"):
        """A 1-d int64 tensor of ``values`` (plain ints or ``Batch`` formulas of the batch size)."""
        values = [v for v in values]
        if all(type(v) is not Batch for v in values):
            return self.const(np.asarray([int(v) for v in values], np.int64), hint)
        parts = []
        for v in values:
            if type(v) is Batch:
                term = self.batch()
                if v.a != 1:
                    term = self.add("Mul", [term, self.const(np.asarray([v.a], np.int64))])
                if v.c:
                    term = self.add("Add", [term, self.const(np.asarray([v.c], np.int64))])
                parts.append(term)
            else:
                parts.append(self.const(np.asarray([int(v)], np.int64)))
        return self.add("Concat", parts, hint=hint, axis=0)

    def reduce(self, op, x, axes, keepdims):
        """``op`` (ReduceSum, ReduceMean, ...) over ``axes`` (None: all), in the form the opset wants."""
        if axes is None:
            return self.add(op, [x], keepdims=int(keepdims))
        axes = [int(a) for a in axes]
        if op == "ReduceSum" or self.opset >= 18:
            return self.add(op, [x, self.const(np.asarray(axes, np.int64))], keepdims=int(keepdims))
        return self.add(op, [x], axes=axes, keepdims=int(keepdims))

    def relu(self, x, dtype):
        """``max(x, 0)``: ONNX's Relu, or ``Max(x, 0)`` in float64."""
        # NOTE: ONNX Runtime's Relu-Clip fusion rejects a float64 Clip and the file then fails to load
        # (microsoft/onnxruntime#11836, #23116; relu6 and Keras 3's hard_sigmoid are a relu and a clip): Max(x, 0)
        # is not fused, and it is numpy's relu (np.maximum) exactly, NaN included
        if np.dtype(dtype) == np.float64:
            return self.add("Max", [x, self.const(np.zeros((), np.float64))], hint="Relu")
        return self.add("Relu", [x])

    def squeeze(self, x, axes):
        return self.add("Squeeze", [x, self.const(np.asarray(axes, np.int64))])

    def unsqueeze(self, x, axes):
        return self.add("Unsqueeze", [x, self.const(np.asarray(axes, np.int64))])

    def slice(self, x, starts, ends, axes, steps=None):
        ins = [x, self.ints(starts, "starts"), self.ints(ends, "ends"), self.const(np.asarray(axes, np.int64))]
        if steps is not None:
            ins.append(self.const(np.asarray(steps, np.int64)))
        return self.add("Slice", ins)

    def cols(self, x, lo, hi):
        """``x[..., lo:hi]`` of a 2-d tensor."""
        return self.slice(x, [lo], [hi], [1])


_ONNX_DTYPES = {"float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7, "bool": 9,
                "float16": 10, "float64": 11, "uint32": 12, "uint64": 13}

#: primitive name -> converter(builder, node, out_value) returning the output's ONNX name
CONVERTERS = {}


def converts(*names):
    def register(fn):
        for n in names:
            CONVERTERS[n] = fn
        return fn
    return register


def _first_dtype(b, args):
    for a in args:
        if type(a) is Ref:
            return b.dtype(a)
    return np.dtype(np.float32)


_UNARY = {"negative": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "reciprocal": "Reciprocal", "abs": "Abs",
          "sign": "Sign", "sin": "Sin", "cos": "Cos", "tan": "Tan", "tanh": "Tanh", "sinh": "Sinh", "cosh": "Cosh",
          "arctan": "Atan", "sigmoid": "Sigmoid", "relu": "Relu", "softplus": "Softplus", "erf": "Erf",
          "positive": "Identity", "isnan": "IsNaN", "isinf": "IsInf", "logical_not": "Not", "floor": "Floor",
          "ceil": "Ceil", "round": "Round", "stop_gradient": "Identity"}
_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "power": "Pow", "maximum": "Max",
           "minimum": "Min", "equal": "Equal", "less": "Less", "less_equal": "LessOrEqual", "greater": "Greater",
           "greater_equal": "GreaterOrEqual", "logical_and": "And", "logical_or": "Or"}


@converts(*_UNARY)
def _unary(b, node, out):
    x = b.operand(node.args[0], None)
    if node.op == "round" and node.kwargs.get("decimals", 0):
        raise ExportError("round with decimals")
    if node.op == "relu":
        return b.relu(x, out.dtype)
    return b.add(_UNARY[node.op], [x])


@converts("square")
def _square(b, node, out):
    x = b.operand(node.args[0], None)
    return b.add("Mul", [x, x])


@converts("expm1", "log1p", "log2", "log10", "isfinite", "leaky_relu", "swish")
def _composite_unary(b, node, out):
    x = b.operand(node.args[0], None)
    dt = b.dtype(node.args[0])
    if node.op == "expm1":
        return b.add("Sub", [b.add("Exp", [x]), b.const(np.asarray(1, dt))])
    if node.op == "log1p":
        return b.add("Log", [b.add("Add", [x, b.const(np.asarray(1, dt))])])
    if node.op in ("log2", "log10"):
        return b.add("Div", [b.add("Log", [x]), b.const(np.asarray(np.log(2.0 if node.op == "log2" else 10.0), dt))])
    if node.op == "isfinite":
        return b.add("Not", [b.add("Or", [b.add("IsNaN", [x]), b.add("IsInf", [x])])])
    if node.op == "swish":
        return b.add("Mul", [x, b.add("Sigmoid", [x])])
    return b.add("LeakyRelu", [x], alpha=float(node.kwargs.get("alpha", 0.2)))


@converts(*_BINARY)
def _binary(b, node, out):
    dt = _first_dtype(b, node.args)
    a, c = (b.operand(v, dt) for v in node.args[:2])
    return b.add(_BINARY[node.op], [a, c])


@converts("not_equal")
def _not_equal(b, node, out):
    dt = _first_dtype(b, node.args)
    a, c = (b.operand(v, dt) for v in node.args[:2])
    return b.add("Not", [b.add("Equal", [a, c])])


@converts("floor_divide")
def _floor_divide(b, node, out):
    dt = _first_dtype(b, node.args)
    if dt.kind != "f":
        raise ExportError("integer floor_divide")
    a, c = (b.operand(v, dt) for v in node.args[:2])
    return b.add("Floor", [b.add("Div", [a, c])])


@converts("where")
def _where(b, node, out):
    cond = b.operand(node.args[0], np.bool_)
    if type(node.args[0]) is Ref and b.dtype(node.args[0]) != np.bool_:
        cond = b.add("Cast", [cond], to=_ONNX_DTYPES["bool"])
    x, y = (b.operand(v, out.dtype) for v in node.args[1:3])
    return b.add("Where", [cond, x, y])


@converts("clip")
def _clip(b, node, out):
    dt = b.dtype(node.args[0])
    x = b.operand(node.args[0], dt)
    lo, hi = node.args[1], node.args[2]
    ins = [x, "" if lo is None else b.operand(lo, dt), "" if hi is None else b.operand(hi, dt)]
    for i, v in ((1, lo), (2, hi)):
        if type(v) is Ref and b.dtype(v) != dt:
            ins[i] = b.add("Cast", [ins[i]], to=_ONNX_DTYPES[dt.name])
        elif type(v) is Ref and len(b.shape(v)) > 0:
            raise ExportError("clip with array bounds")
    return b.add("Clip", ins)


_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin", "prod": "ReduceProd",
           "logsumexp": "ReduceLogSumExp", "norm": "ReduceL2"}


@converts(*_REDUCE)
def _reduce(b, node, out):
    x = b.operand(node.args[0], None)
    return b.reduce(_REDUCE[node.op], x, node.kwargs.get("axis"), node.kwargs.get("keepdims", False))


@converts("all", "any")
def _all_any(b, node, out):
    x = b.add("Cast", [b.operand(node.args[0], None)], to=_ONNX_DTYPES["int32"])
    r = b.reduce("ReduceMin" if node.op == "all" else "ReduceMax", x, node.kwargs.get("axis"),
                 node.kwargs.get("keepdims", False))
    return b.add("Cast", [r], to=_ONNX_DTYPES["bool"])


@converts("argmax", "argmin")
def _arg(b, node, out):
    x = b.operand(node.args[0], None)
    axis = node.kwargs.get("axis")
    keep = int(bool(node.kwargs.get("keepdims", False)))
    if axis is None:
        x = b.add("Reshape", [x, b.const(np.asarray([-1], np.int64))])
        axis = 0
    return b.add("ArgMax" if node.op == "argmax" else "ArgMin", [x], axis=int(axis), keepdims=keep)


@converts("softmax", "log_softmax")
def _softmax(b, node, out):
    x = b.operand(node.args[0], None)
    axis = node.kwargs.get("axis", -1)
    return b.add("Softmax" if node.op == "softmax" else "LogSoftmax", [x], axis=int(axis))


@converts("cumsum")
def _cumsum(b, node, out):
    x = b.operand(node.args[0], None)
    axis = node.kwargs.get("axis", node.args[1] if len(node.args) > 1 else None)
    if axis is None:
        x = b.add("Reshape", [x, b.const(np.asarray([-1], np.int64))])
        axis = 0
    return b.add("CumSum", [x, b.const(np.asarray(int(axis), np.int64))])


@converts("astype")
def _astype(b, node, out):
    x = b.operand(node.args[0], None)
    if out.dtype.name not in _ONNX_DTYPES:
        raise ExportError(f"a cast to {out.dtype}")
    # NOTE: float -> int casts truncate toward zero in ONNX Runtime, as numpy's astype does
    return b.add("Cast", [x], to=_ONNX_DTYPES[out.dtype.name])


@converts("matmul")
def _matmul(b, node, out):
    return b.add("MatMul", [b.operand(node.args[0], None), b.operand(node.args[1], None)])


@converts("dense_bias_relu")
def _dense(b, node, out):
    y = b.add("MatMul", [b.operand(node.args[0], None), b.operand(node.args[1], None)])
    y = b.add("Add", [y, b.operand(node.args[2], None)])
    return b.relu(y, out.dtype) if node.kwargs.get("relu") else y


@converts("einsum")
def _einsum(b, node, out):
    return b.add("Einsum", [b.operand(a, None) for a in node.args], equation=node.kwargs["spec"])


def _arg_or_kw(node, i, name, default=None):
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(name, default)


@converts("reshape")
def _reshape(b, node, out):
    x = b.operand(node.args[0], None)
    target = tuple(_arg_or_kw(node, 1, "shape"))
    if any(type(d) is not Batch and int(d) == 0 for d in target):
        return b.add("Reshape", [x, b.ints(target)], allowzero=1)
    return b.add("Reshape", [x, b.ints(target)])


@converts("transpose")
def _transpose(b, node, out):
    x = b.operand(node.args[0], None)
    axes = _arg_or_kw(node, 1, "axes")
    if axes is None:
        axes = list(range(len(b.shape(node.args[0]))))[::-1]
    return b.add("Transpose", [x], perm=[int(a) for a in axes])


@converts("broadcast_to")
def _broadcast_to(b, node, out):
    return b.add("Expand", [b.operand(node.args[0], None), b.ints(tuple(_arg_or_kw(node, 1, "shape")))])


@converts("sum_to")
def _sum_to(b, node, out):
    x = b.operand(node.args[0], None)
    src = b.shape(node.args[0])
    target = tuple(_arg_or_kw(node, 1, "shape"))
    lead = len(src) - len(target)
    axes = list(range(lead)) + [lead + i for i, (t, s) in enumerate(zip(target, src[lead:])) if t == 1 and s != 1]
    if axes:
        x = b.reduce("ReduceSum", x, axes, True)
    return b.add("Reshape", [x, b.ints(target)])


@converts("concatenate")
def _concatenate(b, node, out):
    return b.add("Concat", [b.operand(a, out.dtype) for a in node.args], axis=int(node.kwargs.get("axis", 0)))


@converts("pad")
def _pad(b, node, out):
    x = b.operand(node.args[0], None)
    widths = _arg_or_kw(node, 1, "pad_width")
    pads = [int(w[0]) for w in widths] + [int(w[1]) for w in widths]
    value = node.kwargs.get("constant_values", _arg_or_kw(node, 2, "constant_values", 0))
    return b.add("Pad", [x, b.const(np.asarray(pads, np.int64)), b.const(np.asarray(value, b.dtype(node.args[0])))])


@converts("tile")
def _tile(b, node, out):
    x = b.operand(node.args[0], None)
    reps = list(_arg_or_kw(node, 1, "reps"))
    ndim = len(b.shape(node.args[0]))
    if len(reps) < ndim:
        reps = [1] * (ndim - len(reps)) + reps
    elif len(reps) > ndim:
        x = b.unsqueeze(x, list(range(len(reps) - ndim)))
    return b.add("Tile", [x, b.ints(reps)])


@converts("repeat")
def _repeat(b, node, out):
    x = b.operand(node.args[0], None)
    repeats, axis = _arg_or_kw(node, 1, "repeats"), _arg_or_kw(node, 2, "axis")
    if axis is None or not isinstance(repeats, (int, np.integer)):
        raise ExportError("repeat without an axis or with per-element counts")
    shape = list(b.shape(node.args[0]))
    axis = int(axis) % len(shape)
    x = b.unsqueeze(x, [axis + 1])
    expanded = shape[:axis + 1] + [int(repeats)] + shape[axis + 1:]
    x = b.add("Expand", [x, b.ints(expanded)])
    return b.add("Reshape", [x, b.ints(list(out.shape))])


@converts("flip")
def _flip(b, node, out):
    x = b.operand(node.args[0], None)
    axis = _arg_or_kw(node, 1, "axis")
    ndim = len(b.shape(node.args[0]))
    axes = list(range(ndim)) if axis is None else [int(a) % ndim for a in (axis if isinstance(axis, (tuple, list))
                                                                           else (axis,))]
    big = np.iinfo(np.int64).max
    return b.slice(x, [-1] * len(axes), [-big] * len(axes), axes, [-1] * len(axes))


@converts("getitem")
def _getitem(b, node, out):
    x = b.operand(node.args[0], None)
    index = _arg_or_kw(node, 1, "index")
    shape = list(b.shape(node.args[0]))
    items = list(index) if isinstance(index, tuple) else [index]
    if any(type(i) is Ref or isinstance(i, (list, np.ndarray)) for i in items):
        arrays = [i for i in items if type(i) is Ref]
        if len(arrays) == 1 and len(items) >= 1 and all(type(i) is slice and i == slice(None) for i in items
                                                        if type(i) is not Ref):
            axis = next(k for k, i in enumerate(items) if type(i) is Ref)
            idx = b.value(arrays[0].id)
            if b.dtype(arrays[0]).kind in "iu":
                return b.add("Gather", [x, idx], axis=axis)
        raise ExportError("advanced indexing other than one integer array")
    if Ellipsis in items:
        k = items.index(Ellipsis)
        fill = len(shape) - (len([i for i in items if i is not None]) - 1)
        items = items[:k] + [slice(None)] * fill + items[k + 1:]
    starts, ends, axes, steps, squeeze, new_axes = [], [], [], [], [], []
    dim = 0
    out_pos = 0
    for item in items:
        if item is None:
            new_axes.append(out_pos)
            out_pos += 1
            continue
        if type(item) is slice:
            if item != slice(None):
                step = 1 if item.step is None else item.step
                big = np.iinfo(np.int64).max
                start = item.start if item.start is not None else (0 if step > 0 else -1)
                stop = item.stop if item.stop is not None else (big if step > 0 else -big)
                starts.append(start)
                ends.append(stop)
                axes.append(dim)
                steps.append(step)
            out_pos += 1
        else:
            k = int(item)
            starts.append(k)
            ends.append(k + 1 if k != -1 else np.iinfo(np.int64).max)
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
        dim += 1
    if axes:
        x = b.slice(x, starts, ends, axes, steps if any(s != 1 for s in steps) else None)
    if squeeze:
        x = b.squeeze(x, squeeze)
    if new_axes:
        x = b.unsqueeze(x, new_axes)
    if not axes and not squeeze and not new_axes:
        x = b.add("Identity", [x])
    return x


@converts("take")
def _take(b, node, out):
    x = b.operand(node.args[0], None)
    idx = b.operand(node.args[1], np.int64)
    axis = _arg_or_kw(node, 2, "axis")
    if axis is None:
        x = b.add("Reshape", [x, b.const(np.asarray([-1], np.int64))])
        axis = 0
    return b.add("Gather", [x, idx], axis=int(axis))


@converts("embedding")
def _embedding(b, node, out):
    params = b.operand(node.args[0], None)
    ids = b.operand(node.args[1], np.int64)
    if b.dtype(node.args[1]) != np.int64:
        ids = b.add("Cast", [ids], to=_ONNX_DTYPES["int64"])
    return b.add("Gather", [params, ids], axis=0)


# -- convolutions and poolings: NHWC around NCHW operators --------------------------------------------------

def _to_channels_first(b, x, rank):
    return b.add("Transpose", [x], perm=[0, rank + 1] + list(range(1, rank + 1)))


def _to_channels_last(b, x, rank):
    return b.add("Transpose", [x], perm=[0] + list(range(2, rank + 2)) + [1])


def _kernel_oihw(b, arg, rank):
    """(k..., in/groups, out) -> (out, in/groups, k...): a weight is transposed once, a computed kernel by a node."""
    perm = [rank + 1, rank] + list(range(rank))
    v = b.graph.values[arg.id] if type(arg) is Ref else None
    if v is not None and v.kind in ("param", "const") and v.array is not None:
        return b.const(np.transpose(v.array, perm), "kernel")
    return b.add("Transpose", [b.operand(arg, None)], perm=perm)


def _geom_attrs(g, rank):
    if rank == 2:
        return {"kernel_shape": [g.kh, g.kw], "strides": [g.sh, g.sw], "dilations": [g.dh, g.dw],
                "pads": [g.pt, g.pl, g.pb, g.pr]}
    return {"kernel_shape": list(g.k), "strides": list(g.s), "dilations": list(g.d),
            "pads": [p[0] for p in g.pads] + [p[1] for p in g.pads]}


@converts("conv2d", "conv2d_bias_relu", "conv3d")
def _conv(b, node, out):
    rank = 3 if node.op == "conv3d" else 2
    g = node.kwargs["geom"]
    x = _to_channels_first(b, b.operand(node.args[0], None), rank)
    ins = [x, _kernel_oihw(b, node.args[1], rank)]
    if node.op == "conv2d_bias_relu" and node.args[2] is not None:
        ins.append(b.operand(node.args[2], None))
    attrs = _geom_attrs(g, rank)
    if rank == 2:
        groups = g.groups
    else:
        groups = b.shape(node.args[0])[-1] // b.shape(node.args[1])[3]
    y = b.add("Conv", ins, group=int(groups), **attrs)
    if node.op == "conv2d_bias_relu" and node.kwargs.get("relu"):
        y = b.relu(y, out.dtype)
    return _to_channels_last(b, y, rank)


@converts("conv3d_input_grad")
def _conv3d_transpose(b, node, out):
    """Conv3DTranspose's forward: a 3-d transposed convolution."""
    g = node.kwargs["geom"]
    x = _to_channels_first(b, b.operand(node.args[0], None), 3)
    w = _kernel_oihw(b, node.args[1], 3)
    full = [(o - 1) * s + (k - 1) * d + 1 - p0 - p1 for o, s, k, d, (p0, p1) in zip(g.out, g.s, g.k, g.d, g.pads)]
    extra = [n - f for n, f in zip(g.size, full)]
    if min(extra) < 0:
        raise ExportError("a transposed convolution that crops its output")
    y = b.add("ConvTranspose", [x, w], kernel_shape=list(g.k), strides=list(g.s), dilations=list(g.d),
              pads=[p[0] for p in g.pads] + [p[1] for p in g.pads], output_padding=extra)
    return _to_channels_last(b, y, 3)


@converts("conv2d_input_grad")
def _conv_transpose(b, node, out):
    """The gradient of a convolution with respect to its input is a transposed convolution (Conv2DTranspose)."""
    g = node.kwargs["geom"]
    x = _to_channels_first(b, b.operand(node.args[0], None), 2)
    w = _kernel_oihw(b, node.args[1], 2)       # (out, in/groups, kh, kw): ConvTranspose reads it as (C, M/g, ...)
    full = [(g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.pt - g.pb,
            (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.pl - g.pr]
    extra = [g.h - full[0], g.w - full[1]]
    if min(extra) < 0:
        raise ExportError("a transposed convolution that crops its output")
    y = b.add("ConvTranspose", [x, w], group=int(g.groups), kernel_shape=[g.kh, g.kw], strides=[g.sh, g.sw],
              dilations=[g.dh, g.dw], pads=[g.pt, g.pl, g.pb, g.pr], output_padding=extra)
    return _to_channels_last(b, y, 2)


@converts("max_pool", "avg_pool", "max_pool3d", "avg_pool3d")
def _pool(b, node, out):
    rank = 3 if node.op.endswith("3d") else 2
    g = node.kwargs["geom"]
    x = _to_channels_first(b, b.operand(node.args[0], None), rank)
    attrs = _geom_attrs(g, rank)
    attrs.pop("dilations")
    if node.op.startswith("max"):
        y = b.add("MaxPool", [x], **attrs)
    else:
        y = b.add("AveragePool", [x], count_include_pad=0, **attrs)
    return _to_channels_last(b, y, rank)


@converts("layer_norm")
def _layer_norm(b, node, out):
    """LayerNormalization, the operator opset 17 brought (Keras's formula: (x - mean) / sqrt(var + epsilon))."""
    x, gamma, beta, n_axes, epsilon = node.args[:5]
    shape = b.shape(x)
    dt = b.dtype(x)
    scale = b.operand(gamma, dt) if gamma is not None else b.const(np.ones(shape[len(shape) - int(n_axes):], dt))
    ins = [b.operand(x, dt), scale] + ([b.operand(beta, dt)] if beta is not None else [])
    return b.add("LayerNormalization", ins, axis=-int(n_axes), epsilon=float(epsilon))


@converts("scaled_dot_product_attention")
def _attention(b, node, out):
    """softmax(Q scale K^T + bias) V over the last two axes (MultiHeadAttention, Attention)."""
    q, k, v, scale, bias, keep = node.args[:6]
    if keep is not None:
        raise ExportError("attention dropout (a training-mode graph)")
    dt = b.dtype(q)
    ndim = len(b.shape(k))
    qs = b.add("Mul", [b.operand(q, dt), b.operand(scale, dt)])
    kt = b.add("Transpose", [b.operand(k, dt)], perm=list(range(ndim - 2)) + [ndim - 1, ndim - 2])
    scores = b.add("MatMul", [qs, kt])
    if bias is not None:
        scores = b.add("Add", [scores, b.operand(bias, dt)])
    return b.add("MatMul", [b.add("Softmax", [scores], axis=-1), b.operand(v, dt)])


@converts("resize")
def _resize(b, node, out):
    """Resizing's separable resample: two products with constant weight matrices (every tf.image method)."""
    x = b.operand(node.args[0], None)
    dt = b.dtype(node.args[0])
    wh = _array_arg(b, node.kwargs["wh"]).astype(dt)
    ww = _array_arg(b, node.kwargs["ww"]).astype(dt)
    t = b.add("Einsum", [b.const(wh, "resize_h"), x], equation="ph,nhwc->npwc")
    return b.add("Einsum", [b.const(ww, "resize_w"), t], equation="qw,npwc->npqc")


def _array_arg(b, arg):
    if type(arg) is Ref:
        v = b.graph.values[arg.id]
        if v.kind != "const":
            raise ExportError("resize weights computed in the graph")
        return v.array
    return np.asarray(arg)


# -- recurrent layers: unrolled over the time steps ----------------------------------------------------------

def _act(b, name, z, dtype):
    if name == "tanh":
        return b.add("Tanh", [z])
    if name == "sigmoid":
        return b.add("Sigmoid", [z])
    if name == "hard_sigmoid":
        return b.add("HardSigmoid", [z], alpha=0.2, beta=0.5)
    if name == "keras3_hard_sigmoid":
        # NOTE: relu6(z + 3) / 6 as the recurrence computes it (an add, max 0, min 6, a division): ONNX's
        # HardSigmoid(alpha=1/6, beta=0.5) would multiply by a rounded 1/6 and round differently
        dt = np.dtype(dtype)
        r = b.relu(b.add("Add", [z, b.const(np.asarray(3.0, dt))]), dt)
        return b.add("Div", [b.add("Min", [r, b.const(np.asarray(6.0, dt))]), b.const(np.asarray(6.0, dt))])
    if name == "relu":
        return b.relu(z, dtype)
    if name == "linear":
        return z
    raise ExportError(f"the recurrent activation {name!r}")


def _unroll(b, cell, xp, steps, states, R, rbias, u, mask, reverse, act, ract, zero_output, reset_after, dtype):
    """Keras's recurrence, one step at a time from ONNX operators (the same formulas as ``_graph_scan``):
    returns (outputs in processing order, final states)."""
    def activate(name, z):
        return _act(b, name, z, dtype)

    outs = []
    prev = None
    for k in range(steps):
        t = steps - 1 - k if reverse else k
        xt = b.add("Gather", [xp, b.const(np.asarray(t, np.int64))], axis=0)
        h = states[0]
        if cell == "lstm":
            z = b.add("Add", [xt, b.add("MatMul", [h, R])])
            i, f, o = (activate(ract, b.cols(z, lo, hi)) for lo, hi in ((0, u), (u, 2 * u), (3 * u, 4 * u)))
            c = b.add("Add", [b.add("Mul", [f, states[1]]), b.add("Mul", [i, activate(act, b.cols(z, 2 * u, 3 * u))])])
            new = [b.add("Mul", [o, activate(act, c)]), c]
        elif cell == "gru":
            if reset_after:
                rp = b.add("MatMul", [h, R])
                if rbias is not None:
                    rp = b.add("Add", [rp, rbias])
                zr = activate(ract, b.add("Add", [b.cols(xt, 0, 2 * u), b.cols(rp, 0, 2 * u)]))
                hh = activate(act, b.add("Add", [b.cols(xt, 2 * u, 3 * u),
                                                 b.add("Mul", [b.cols(zr, u, 2 * u), b.cols(rp, 2 * u, 3 * u)])]))
            else:
                zr = activate(ract, b.add("Add", [b.cols(xt, 0, 2 * u), b.add("MatMul", [h, b.cols(R, 0, 2 * u)])]))
                hh = activate(act, b.add("Add", [b.cols(xt, 2 * u, 3 * u),
                                                 b.add("MatMul", [b.add("Mul", [b.cols(zr, u, 2 * u), h]),
                                                                  b.cols(R, 2 * u, 3 * u)])]))
            zg = b.cols(zr, 0, u)
            one = b.const(np.ones((), dtype))
            new = [b.add("Add", [b.add("Mul", [zg, h]), b.add("Mul", [b.add("Sub", [one, zg]), hh])])]
        else:
            new = [activate(act, b.add("Add", [xt, b.add("MatMul", [h, R])]))]
        if mask is None:
            out = new[0]
            states = new
        else:
            m = b.unsqueeze(b.add("Gather", [mask, b.const(np.asarray(t, np.int64))], axis=1), [1])
            zero = b.const(np.zeros((), dtype))
            if zero_output:
                out = b.add("Where", [m, new[0], zero])
            else:
                if prev is None:
                    prev = b.add("Mul", [new[0], zero])          # zeros shaped like an output
                out = b.add("Where", [m, new[0], prev])
            states = [b.add("Where", [m, a, s]) for a, s in zip(new, states)]
        outs.append(out)
        prev = out
    return outs, states


_SCANS = {"lstm_sequence": ("lstm", 2, 4, False), "gru_sequence": ("gru", 1, 3, True),
          "gru_sequence_nobias": ("gru", 1, 3, False), "simple_rnn_sequence": ("rnn", 1, 1, False)}


@converts(*_SCANS)
def _scan(b, node, out):
    cell, nstates, gates, has_rbias = _SCANS[node.op]
    kw = node.kwargs
    if kw.get("rmask") is not None:
        raise ExportError("recurrent dropout masks (a training-mode graph)")
    xp = b.operand(node.args[0], None)
    steps = b.shape(node.args[0])[0]
    states = [b.operand(a, None) for a in node.args[1:1 + nstates]]
    R = b.operand(node.args[1 + nstates], None)
    u = b.shape(node.args[1 + nstates])[0]
    bias = node.args[2 + nstates]
    if bias is not None:
        xp = b.add("Add", [xp, b.operand(bias, None)])
    rbias = b.operand(node.args[3 + nstates], None) if has_rbias and node.args[3 + nstates] is not None else None
    mask = kw.get("mask")
    mask_name = b.value(mask.id) if type(mask) is Ref else None
    if mask is not None and mask_name is None:
        mask_name = b.const(np.asarray(mask, np.bool_))
    reset_after = node.op == "gru_sequence" or bool(kw.get("extra"))
    outs, states = _unroll(b, cell, xp, steps, states, R, rbias, u, mask_name, bool(kw.get("reverse")),
                           kw.get("act", "tanh"), kw.get("ract", "sigmoid"), bool(kw.get("zero_output")),
                           reset_after, out.dtype)
    parts = [b.unsqueeze(o, [1]) for o in outs] + [b.unsqueeze(s, [1]) for s in states]
    return b.add("Concat", parts, axis=1)


@converts("lstm_fused_sequence", "gru_fused_sequence")
def _fused(b, node, out):
    lstm = node.op == "lstm_fused_sequence"
    nstates = 2 if lstm else 1
    x = b.operand(node.args[0], None)
    n_steps = b.shape(node.args[0])[1]
    states = [b.operand(a, None) for a in node.args[1:1 + nstates]]
    kernel = b.operand(node.args[1 + nstates], None)
    R = b.operand(node.args[2 + nstates], None)
    u = b.shape(node.args[2 + nstates])[0]
    bias = node.args[3 + nstates]
    xp = b.add("MatMul", [b.add("Transpose", [x], perm=[1, 0, 2]), kernel])      # (T, n, gates * u)
    rbias = None
    if bias is not None:
        bname = b.operand(bias, None)
        if lstm:
            xp = b.add("Add", [xp, bname])
        else:
            xp = b.add("Add", [xp, b.squeeze(b.slice(bname, [0], [1], [0]), [0])])
            rbias = b.squeeze(b.slice(bname, [1], [2], [0]), [0])
    outs, states = _unroll(b, "lstm" if lstm else "gru", xp, n_steps, states, R, rbias, u, None,
                           bool(node.kwargs.get("reverse")), "tanh", "sigmoid", False, True, out.dtype)
    parts = [b.unsqueeze(o, [0]) for o in outs] + [b.unsqueeze(s, [0]) for s in states]
    return b.add("Concat", parts, axis=0)


# -- the model ----------------------------------------------------------------------------------------------

def _layer_of(node):
    if node.scope:
        label = node.scope[-1]
        if isinstance(label, (tuple, list)) and len(label) == 2:
            return label
    return None


def _value_info(helper, name, value):
    dims = ["batch" if type(d) is Batch and (d.a, d.c) == (1, 0) else (None if type(d) is Batch else int(d))
            for d in value.shape]
    return helper.make_tensor_value_info(name, _ONNX_DTYPES[value.dtype.name], dims)


def to_onnx_model(traced, opset=DEFAULT_OPSET, name="model"):
    """An ``onnx.ModelProto`` from a ``TracedForward`` of a model's inference pass.

    Raises:
        ExportError: naming the layer and its class for a primitive with no conversion.
    """
    onnx_mods = _onnx()
    onnx, helper, numpy_helper = onnx_mods
    graph = traced.graph
    b = _Builder(graph, opset, onnx_mods)
    inputs = []
    for vid, iname in zip(graph.inputs, traced.input_names):
        value = graph.values[vid]
        if value.dtype.name not in _ONNX_DTYPES:
            raise ExportError(f"input '{iname}' has dtype {value.dtype}, which ONNX cannot hold")
        b.names[vid] = b.fresh(iname)
        inputs.append(_value_info(helper, b.names[vid], value))
    for node in graph.nodes:
        layer = _layer_of(node)
        b.scope = layer[0] if layer else "graph"
        conv = CONVERTERS.get(node.op)
        if conv is None:
            where = f"layer '{layer[0]}' ({layer[1]})" if layer else "the model"
            raise ExportError(f"{where} cannot be exported to ONNX: it applies the autograd op '{node.op}', which has "
                              f"no ONNX conversion in kerasfront.export.onnx.CONVERTERS")
        try:
            b.names[node.out] = conv(b, node, graph.values[node.out])
        except ExportError as e:
            where = f"layer '{layer[0]}' ({layer[1]})" if layer else "the model"
            raise ExportError(f"{where} cannot be exported to ONNX: its op '{node.op}' uses {e}, which kerasfront's "
                              f"ONNX writer does not convert") from None
    outputs = []
    n_out = len(graph.outputs) - traced.n_losses
    for vid, oname in zip(graph.outputs[:n_out], traced.output_names):
        final = b.fresh(oname)
        b.nodes.append(helper.make_node("Identity", [b.value(vid)], [final], name=b.fresh(f"{oname}/output")))
        outputs.append(_value_info(helper, final, graph.values[vid]))
    onnx_graph = helper.make_graph(b.nodes, name, inputs, outputs, initializer=b.inits)
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="kerasfront", producer_version=getattr(ag, "__version__", "0"))
    model.doc_string = f"Exported by kerasfront from Keras model '{name}' (opset {opset})."
    return model


def export_onnx(model, filepath, opset=None, input_signature=None, verbose=False):
    """Write ``model``'s inference pass to ``filepath`` as ONNX (see the module docstring).

    Args:
        model: a built kerasfront Model (Sequential, functional or subclassed).
        filepath: the ``.onnx`` file to write.
        opset: the ONNX opset, 17 (default) to 21.
        input_signature: the per-sample input shapes and dtypes to export for (default: the model's inputs, or
            its first call): ``((28, 28, 1), "float32")``, or a list / dict of them.

    Returns:
        the ``onnx.ModelProto`` written.

    Example:
        >>> export_onnx(model, "model.onnx", opset=17)
    """
    from ..engine.traced_forward import signatures, trace_model
    onnx, _, _ = _onnx()
    opset = DEFAULT_OPSET if opset is None else opset
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"export(opset=...): expected an ONNX opset from {MIN_OPSET} to {MAX_OPSET}, received "
                         f"{opset!r}")
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"export(filepath=...): expected a path, received {type(filepath).__name__}")
    if input_signature is None:
        specs = signatures(model)
        if not specs:
            raise ValueError(f"Cannot export model '{model.name}': its input shapes are not known yet; call it on "
                             f"data first, or pass input_signature=((...per-sample shape...), 'float32')")
        spec = specs[0]
    else:
        spec = _normalize_signature(input_signature)
    try:
        traced = trace_model(model, spec, training=False, with_losses=False)
    except ag.trace.TraceError as e:
        raise ExportError(f"Cannot export model '{model.name}' to ONNX: its forward pass cannot be traced: {e}") \
            from None
    proto = to_onnx_model(traced, int(opset), name=model.name)
    onnx.checker.check_model(proto)
    path = os.fspath(filepath)
    from ..saving.atomic_write import atomic_write
    with atomic_write(path) as tmp:
        onnx.save(proto, tmp)
    if verbose:
        print(f"Saved ONNX model (opset {opset}) to {path}")
    return proto


def _normalize_signature(sig):
    if isinstance(sig, tuple) and len(sig) == 2 and isinstance(sig[1], str):
        return (tuple(int(d) for d in sig[0]), np.dtype(sig[1]).name)
    if isinstance(sig, dict):
        return {k: _normalize_signature(v) for k, v in sig.items()}
    if isinstance(sig, list):
        return [_normalize_signature(v) for v in sig]
    raise TypeError(f"export(input_signature=...): expected ((per-sample shape), dtype), or a list or dict of them, "
                    f"received {sig!r}")
