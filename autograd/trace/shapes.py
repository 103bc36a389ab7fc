"""Shape rules: the output shape of a primitive from its arguments' shapes, computed before it runs.

A graph read from a file (``codec.from_json``) checks every node with its primitive's rule before computing it:
the rule's shape must equal the shape the graph declares (which is within the file's limits), so no argument
in a file can make an op allocate more than declared (a ``tile`` by 10**9, an outer product of two long
constants, a convolution geometry that does not match its input). Only primitives with a rule may appear in a
graph file; the rules also validate arguments the primitive's public function would have validated
(embedding ids in range, geometries rebuilt from the input's shape).

Example:
    >>> RULES["tile"]((np.ones((2, 3)),), {"reps": (2, 1)})
    (4, 3)
"""
import numpy as np

from .graph import TraceError

__all__ = ["RULES", "check_node"]

_VOID = np.dtype([])      # itemsize 0: indexing a dummy of this dtype gives numpy's result shape, allocating nothing


def _shape(x):
    return tuple(np.shape(x.data if hasattr(x, "data") and not isinstance(x, np.ndarray) else x))


def _bad(msg):
    raise TraceError(msg)


def _int_axis(axis, ndim):
    if type(axis) not in (int,) and not isinstance(axis, np.integer):
        _bad(f"axis must be an int, received {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < max(ndim, 1):
        _bad(f"axis {axis} is out of range for {ndim} axes")
    return axis % max(ndim, 1)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(_int_axis(a, ndim) for a in items)
    if len(set(out)) != len(out):
        _bad(f"axis {axis!r} repeats an axis")
    return out


def _ints(values, what, lo=0):
    if not isinstance(values, (tuple, list)):
        values = (values,)
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            _bad(f"{what} must hold integers >= {lo}, received {values!r}")
        out.append(int(v))
    return tuple(out)


def _same(args, kwargs):
    return _shape(args[0])


def _broadcast(args, kwargs):
    try:
        return tuple(np.broadcast_shapes(*[_shape(a) for a in args]))
    except ValueError as e:
        _bad(str(e))


def _reduce(args, kwargs):
    shape = _shape(args[0])
    axes = _axes(kwargs.get("axis"), len(shape))
    if kwargs.get("keepdims"):
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _along(args, kwargs):
    shape = _shape(args[0])
    if "axis" in kwargs and kwargs["axis"] is not None:
        _int_axis(kwargs["axis"], len(shape))
    return shape


def _astype(args, kwargs):
    dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None)
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        _bad(f"astype to {dtype!r}")
    return _shape(args[0])


def _matmul(args, kwargs):
    a, b = _shape(args[0]), _shape(args[1])
    if not a or not b:
        _bad("matmul of a 0-d array")
    a2 = a if len(a) > 1 else (1,) + a
    b2 = b if len(b) > 1 else b + (1,)
    if a2[-1] != b2[-2]:
        _bad(f"matmul of shapes {a} and {b}")
    batch = _broadcast([np.empty(a2[:-2], _VOID), np.empty(b2[:-2], _VOID)], {})
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _einsum(args, kwargs):
    spec = kwargs.get("spec")
    if type(spec) is not str or "->" not in spec or "." in spec:
        _bad(f"einsum spec {spec!r}")
    lhs, out = spec.split("->")
    parts = lhs.split(",")
    if len(parts) != len(args) or not all(p.isalpha() or p == "" for p in parts + [out]):
        _bad(f"einsum spec {spec!r} for {len(args)} operands")
    sizes = {}
    for part, a in zip(parts, args):
        shape = _shape(a)
        if len(shape) != len(part):
            _bad(f"einsum operand {part!r} has shape {shape}")
        for c, n in zip(part, shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                _bad(f"einsum letter {c!r} has sizes {sizes[c]} and {n}")
            if n != 1 or c not in sizes:
                sizes[c] = n
    if any(c not in sizes for c in out):
        _bad(f"einsum output letters {out!r}")
    return tuple(sizes[c] for c in out)


def _reshape(args, kwargs):
    shape = _shape(args[0])
    target = kwargs.get("shape", args[1] if len(args) > 1 else None)
    target = _ints(target, "reshape's shape", lo=-1)
    if target.count(-1) > 1:
        _bad(f"reshape to {target}")
    size = int(np.prod(shape, dtype=np.int64))
    known = int(np.prod([d for d in target if d != -1], dtype=np.int64))
    if -1 in target:
        if known == 0 or size % known:
            _bad(f"reshape of {shape} to {target}")
        target = tuple(size // known if d == -1 else d for d in target)
    elif known != size:
        _bad(f"reshape of {shape} to {target}")
    return target


def _transpose(args, kwargs):
    shape = _shape(args[0])
    axes = kwargs.get("axes", args[1] if len(args) > 1 else None)
    if axes is None:
        return shape[::-1]
    axes = _ints(axes, "transpose's axes")
    if sorted(axes) != list(range(len(shape))):
        _bad(f"transpose axes {axes} for shape {shape}")
    return tuple(shape[a] for a in axes)


def _broadcast_to(args, kwargs):
    shape = _shape(args[0])
    target = _ints(kwargs.get("shape", args[1] if len(args) > 1 else None), "broadcast_to's shape")
    if _broadcast([np.empty(shape, _VOID), np.empty(target, _VOID)], {}) != target:
        _bad(f"broadcast of {shape} to {target}")
    return target


def _sum_to(args, kwargs):
    shape = _shape(args[0])
    target = _ints(kwargs.get("shape", args[1] if len(args) > 1 else None), "sum_to's shape")
    if _broadcast([np.empty(shape, _VOID), np.empty(target, _VOID)], {}) != shape:
        _bad(f"sum of {shape} to {target}")
    return target


def _concatenate(args, kwargs):
    shapes = [_shape(a) for a in args]
    if not shapes or any(len(s) != len(shapes[0]) for s in shapes) or not shapes[0]:
        _bad(f"concatenate of shapes {shapes}")
    axis = _int_axis(kwargs.get("axis", 0), len(shapes[0]))
    for s in shapes:
        if s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            _bad(f"concatenate of shapes {shapes} along axis {axis}")
    return shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]


def _pad(args, kwargs):
    shape = _shape(args[0])
    widths = kwargs.get("pad_width", args[1] if len(args) > 1 else None)
    if not isinstance(widths, (tuple, list)) or len(widths) != len(shape):
        _bad(f"pad widths {widths!r} for shape {shape}")
    out = []
    for d, w in zip(shape, widths):
        a, b = _ints(w, "pad widths")
        out.append(d + a + b)
    return tuple(out)


def _repeat(args, kwargs):
    shape = _shape(args[0])
    repeats, axis = args[1] if len(args) > 1 else kwargs.get("repeats"), args[2] if len(args) > 2 else \
        kwargs.get("axis")
    reps = _ints(repeats.tolist() if isinstance(repeats, np.ndarray) else repeats, "repeats")
    if axis is None:
        n = int(np.prod(shape, dtype=np.int64))
        return (n * reps[0],) if len(reps) == 1 else ((sum(reps),) if len(reps) == n else _bad("repeats"))
    axis = _int_axis(axis, len(shape))
    if len(reps) == 1:
        size = shape[axis] * reps[0]
    elif len(reps) == shape[axis]:
        size = sum(reps)
    else:
        _bad(f"repeats {repeats!r} for axis of size {shape[axis]}")
    return shape[:axis] + (size,) + shape[axis + 1:]


def _tile(args, kwargs):
    shape = _shape(args[0])
    reps = _ints(kwargs.get("reps", args[1] if len(args) > 1 else None), "tile's reps")
    n = max(len(shape), len(reps))
    shape = (1,) * (n - len(shape)) + shape
    reps = (1,) * (n - len(reps)) + reps
    return tuple(d * r for d, r in zip(shape, reps))


def _flip(args, kwargs):
    shape = _shape(args[0])
    axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
    _axes(axis, len(shape))
    return shape


def _index(x):
    if isinstance(x, tuple):
        return tuple(_index(v) for v in x)
    if isinstance(x, np.ndarray) and x.dtype.kind not in "biu":
        _bad(f"an index array of dtype {x.dtype}")
    if hasattr(x, "data") and not isinstance(x, np.ndarray):
        return _index(x.data)
    return x


def _getitem(args, kwargs):
    index = _index(kwargs.get("index", args[1] if len(args) > 1 else None))
    try:
        return np.empty(_shape(args[0]), _VOID)[index].shape
    except (IndexError, TypeError, ValueError) as e:
        _bad(f"index {str(index)[:80]} for shape {_shape(args[0])}: {e}")


def _take(args, kwargs):
    shape = _shape(args[0])
    indices = np.asarray(args[1].data if hasattr(args[1], "data") and not isinstance(args[1], np.ndarray)
                         else args[1])
    axis = args[2] if len(args) > 2 else kwargs.get("axis")
    if indices.dtype.kind not in "iu":
        _bad(f"take's indices of dtype {indices.dtype}")
    n = int(np.prod(shape)) if axis is None else shape[_int_axis(axis, len(shape))]
    if indices.size and (indices.max() >= n or indices.min() < -n):
        _bad(f"take's indices are out of range for size {n}")
    if axis is None:
        return indices.shape
    axis = _int_axis(axis, len(shape))
    return shape[:axis] + indices.shape + shape[axis + 1:]


def _embedding(args, kwargs):
    params = _shape(args[0])
    ids = np.asarray(args[1].data if hasattr(args[1], "data") and not isinstance(args[1], np.ndarray) else args[1])
    if not params or ids.dtype.kind not in "iu":
        _bad(f"embedding of params {params} with ids of dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= params[0]):
        _bad(f"embedding id {ids.min() if ids.min() < 0 else ids.max()} is outside the vocabulary [0, "
             f"{params[0]})")
    return ids.shape + params[1:]


def _geom2(x_shape, k_hw, geom, groups=1):
    from ..ops.nn import _geom
    if len(x_shape) != 4:
        _bad(f"a 2-d window op on shape {x_shape}")
    if tuple(k_hw) != (geom.kh, geom.kw):
        _bad(f"the geometry's window {(geom.kh, geom.kw)} is not the kernel's {tuple(k_hw)}")
    for v in (geom.sh, geom.sw, geom.dh, geom.dw, geom.groups):
        if v < 1:
            _bad("a geometry with a stride, dilation or group count below 1")
    if min(geom.pt, geom.pb, geom.pl, geom.pr) < 0:
        _bad("a geometry with negative padding")
    try:
        rebuilt = _geom("graph", x_shape, (geom.kh, geom.kw), (geom.sh, geom.sw), (geom.dh, geom.dw),
                        ((geom.pt, geom.pb), (geom.pl, geom.pr)), geom.groups)
    except ValueError as e:
        _bad(str(e))
    if rebuilt != geom:
        _bad(f"the geometry {tuple(geom)} does not match an input of shape {x_shape}")
    return rebuilt


def _conv2d(args, kwargs):
    x, k = _shape(args[0]), _shape(args[1])
    if len(k) != 4:
        _bad(f"a conv2d kernel of shape {k}")
    g = _geom2(x, k[:2], kwargs.get("geom"))
    if k[2] * g.groups != x[3] or k[3] % g.groups:
        _bad(f"conv2d kernel {k} for input {x} with {g.groups} groups")
    if len(args) > 2 and args[2] is not None and _shape(args[2]) != (k[3],):
        _bad(f"conv2d bias of shape {_shape(args[2])} for {k[3]} filters")
    return (x[0], g.oh, g.ow, k[3])


def _dense(args, kwargs):
    x, k = _shape(args[0]), _shape(args[1])
    if len(x) != 2 or len(k) != 2 or x[1] != k[0] or _shape(args[2]) != (k[1],):
        _bad(f"dense of x {x}, kernel {k} and bias {_shape(args[2])}")
    return (x[0], k[1])


def _conv2d_transpose(args, kwargs):
    """conv2d_input_grad (Conv2DTranspose's forward): gy (n, oh, ow, filters) -> (n, h, w, c) of the geometry."""
    gy, k = _shape(args[0]), _shape(args[1])
    g = kwargs.get("geom")
    if len(gy) != 4 or len(k) != 4 or gy[3] != k[3]:
        _bad(f"a transposed convolution of {gy} with kernel {k}")
    _geom2((gy[0], g.h, g.w, g.c), k[:2], g)
    if (g.oh, g.ow) != gy[1:3] or k[2] * g.groups != g.c:
        _bad(f"the geometry {tuple(g)} does not match a transposed convolution of {gy} with kernel {k}")
    return (gy[0], g.h, g.w, g.c)


def _pool2d(args, kwargs):
    x = _shape(args[0])
    g = kwargs.get("geom")
    _geom2(x, (g.kh, g.kw), g)
    if g.groups != 1 or (g.dh, g.dw) != (1, 1):
        _bad("a pooling geometry with groups or dilation")
    return (x[0], g.oh, g.ow, x[3])


def _geom3d(x_shape, ksize, geom, channels):
    from ..ops.nn3d import _geom3
    if len(x_shape) != 5:
        _bad(f"a 3-d window op on shape {x_shape}")
    if tuple(ksize) != tuple(geom.k):
        _bad(f"the geometry's window {geom.k} is not the kernel's {tuple(ksize)}")
    for v in tuple(geom.s) + tuple(geom.d):
        if v < 1:
            _bad("a geometry with a stride or dilation below 1")
    if any(a < 0 or b < 0 for a, b in geom.pads):
        _bad("a geometry with negative padding")
    try:
        rebuilt = _geom3("graph", tuple(x_shape[:4]) + (channels,), geom.k, geom.s, geom.d, geom.pads)
    except (ValueError, TypeError) as e:
        _bad(str(e))
    if tuple(rebuilt) != tuple(geom):
        _bad(f"the geometry {tuple(geom)} does not match an input of shape {x_shape}")
    return rebuilt


def _conv3d(args, kwargs):
    x, k = _shape(args[0]), _shape(args[1])
    if len(k) != 5 or not k[3] or x[4] % k[3]:
        _bad(f"a conv3d kernel of shape {k} for input {x}")
    g = _geom3d(x, k[:3], kwargs.get("geom"), k[3])
    groups = x[4] // k[3]
    if k[4] % groups:
        _bad(f"conv3d kernel {k} for input {x}")
    return (x[0],) + tuple(g.out) + (k[4],)


def _conv3d_transpose(args, kwargs):
    gy, k = _shape(args[0]), _shape(args[1])
    g = kwargs.get("geom")
    if len(gy) != 5 or len(k) != 5 or gy[4] != k[4]:
        _bad(f"a transposed 3-d convolution of {gy} with kernel {k}")
    _geom3d((gy[0],) + tuple(g.size) + (g.c,), k[:3], g, k[3])
    if tuple(g.out) != gy[1:4]:
        _bad(f"the geometry {tuple(g)} does not match a transposed convolution of {gy}")
    return (gy[0],) + tuple(g.size) + (g.c,)


def _pool3d(args, kwargs):
    x = _shape(args[0])
    g = kwargs.get("geom")
    _geom3d(x, g.k, g, x[4] if len(x) == 5 else 0)
    return (x[0],) + tuple(g.out) + (x[4],)


def _scan(nstates, gates):
    def rule(args, kwargs):
        xp = _shape(args[0])
        states = [_shape(a) for a in args[1:1 + nstates]]
        r = _shape(args[1 + nstates])
        if len(xp) != 3 or len(r) != 2:
            _bad(f"a recurrence over projected input {xp} with recurrent kernel {r}")
        steps, n, width = xp
        units = r[0]
        if r[1] != gates * units or width != gates * units or any(s != (n, units) for s in states):
            _bad(f"a recurrence of {units} units over input {xp}, states {states}, recurrent kernel {r}")
        mask = kwargs.get("mask")
        if mask is not None and np.shape(mask) != (n, steps):
            _bad(f"a recurrence mask of shape {np.shape(mask)} for input {xp}")
        for name in ("rmask",):
            m = kwargs.get(name)
            if m is not None and np.shape(m) not in ((1, n, units), (gates, n, units)):
                _bad(f"a recurrent dropout mask of shape {np.shape(m)}")
        return (n, steps + nstates, units)
    return rule


def _fused(nstates, gates, nargs):
    def rule(args, kwargs):
        x = _shape(args[0])
        states = [_shape(a) for a in args[1:1 + nstates]]
        k, r = _shape(args[1 + nstates]), _shape(args[2 + nstates])
        if len(x) != 3 or len(k) != 2 or len(r) != 2:
            _bad(f"a fused recurrence over input {x}, kernel {k}, recurrent kernel {r}")
        n, steps, f = x
        units = r[0]
        if k != (f, gates * units) or r[1] != gates * units or any(s != (n, units) for s in states):
            _bad(f"a fused recurrence of {units} units over input {x}")
        return (steps + nstates, n, units)
    return rule


def _random(args, kwargs):
    shape = _shape(args[0])
    if kwargs.get("shape") is not None:
        return _ints(kwargs["shape"], "a random draw's shape")
    noise = kwargs.get("noise_shape")
    if noise is None:
        return shape
    if len(noise) != len(shape):
        _bad(f"noise shape {noise} for shape {shape}")
    noise = tuple(d if s is None else s for s, d in zip(noise, shape))
    if any(s not in (1, d) for s, d in zip(noise, shape)):
        _bad(f"noise shape {noise} for shape {shape}")
    return noise


def _layer_norm(args, kwargs):
    x = _shape(args[0])
    n_axes = args[3] if len(args) > 3 else kwargs.get("n_axes")
    (n_axes,) = _ints(n_axes, "layer_norm's axis count", lo=1)
    if n_axes > len(x):
        _bad(f"layer_norm over {n_axes} axes of {x}")
    for p in args[1:3]:
        if p is not None and _shape(p) != x[len(x) - n_axes:]:
            _bad(f"layer_norm's gamma / beta of shape {_shape(p)} for x {x}")
    return x


def _attention(args, kwargs):
    q, k, v = (_shape(a) for a in args[:3])
    if min(len(q), len(k), len(v)) < 2 or q[:-2] != k[:-2] or k[:-1] != v[:-1] or q[-1] != k[-1]:
        _bad(f"attention of query {q}, key {k}, value {v}")
    scores = q[:-1] + (k[-2],)
    for extra in args[4:6]:
        if extra is not None and _broadcast([np.empty(_shape(extra), _VOID), np.empty(scores, _VOID)], {}) != scores:
            _bad(f"an attention bias or dropout mask of shape {_shape(extra)} for scores {scores}")
    if len(args) > 3 and np.size(args[3].data if hasattr(args[3], "data") and not isinstance(args[3], np.ndarray)
                                else args[3]) != 1:
        _bad("an attention scale that is not a scalar")
    return q[:-1] + (v[-1],)


def _resize(args, kwargs):
    x = _shape(args[0])
    wh, ww = np.shape(kwargs.get("wh")), np.shape(kwargs.get("ww"))
    if len(x) != 4 or len(wh) != 2 or len(ww) != 2 or wh[1] != x[1] or ww[1] != x[2]:
        _bad(f"a resize of {x} with weights {wh} and {ww}")
    return (x[0], wh[0], ww[0], x[3])


def _image_transform(args, kwargs):
    x = _shape(args[0])
    index, weight, fill = kwargs.get("index"), kwargs.get("weight"), kwargs.get("fill")
    if len(x) != 4 or np.ndim(index) != 4 or np.shape(weight) != np.shape(index) or np.shape(index)[1] != x[0]:
        _bad(f"an image transform of {x} with taps {np.shape(index)}")
    out = (x[0],) + tuple(np.shape(index)[2:4]) + (x[3],)
    idx = np.asarray(index)
    if idx.dtype.kind not in "iu" or (idx.size and (idx.min() < 0 or idx.max() >= x[1] * x[2])):
        _bad("image transform taps outside the image")
    if fill is not None and np.shape(fill) != out[:3]:
        _bad(f"an image transform fill of shape {np.shape(fill)}")
    return out


def _class_axis_drop(args, kwargs):
    shape = _shape(args[0])
    axis = _int_axis(kwargs.get("axis", -1), len(shape))
    return shape[:axis] + shape[axis + 1:]


def _sigmoid_ce(args, kwargs):
    return _broadcast(args, kwargs)


_UNARY = ("negative", "positive", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "square", "reciprocal",
          "abs", "sign", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arctan", "sigmoid", "relu", "softplus",
          "leaky_relu", "erf", "isfinite", "isnan", "isinf", "logical_not", "floor", "ceil", "round", "stop_gradient")
_BROADCAST = ("add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "floor_divide", "mod",
              "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
              "where", "clip")

#: op name -> rule(args, kwargs) -> output shape
RULES = {name: _same for name in _UNARY}
RULES.update({name: _broadcast for name in _BROADCAST})
RULES.update({name: _reduce for name in ("sum", "mean", "max", "min", "prod", "logsumexp", "norm", "all", "any",
                                         "argmax", "argmin")})
RULES.update({
    "softmax": _along, "log_softmax": _along, "cumsum": _along, "astype": _astype, "matmul": _matmul, "dense_bias_relu": _dense,
    "einsum": _einsum, "reshape": _reshape, "transpose": _transpose, "broadcast_to": _broadcast_to,
    "sum_to": _sum_to, "concatenate": _concatenate, "pad": _pad, "repeat": _repeat, "tile": _tile, "flip": _flip,
    "getitem": _getitem, "take": _take, "embedding": _embedding, "conv2d": _conv2d, "conv2d_bias_relu": _conv2d,
    "max_pool": _pool2d, "avg_pool": _pool2d, "conv3d": _conv3d, "max_pool3d": _pool3d, "avg_pool3d": _pool3d,
    "lstm_sequence": _scan(2, 4), "gru_sequence": _scan(1, 3), "gru_sequence_nobias": _scan(1, 3),
    "simple_rnn_sequence": _scan(1, 1), "lstm_fused_sequence": _fused(2, 4, 6), "gru_fused_sequence": _fused(1, 3, 5),
    "random_uniform": _random, "random_normal": _random, "conv2d_input_grad": _conv2d_transpose,
    "conv3d_input_grad": _conv3d_transpose, "layer_norm": _layer_norm, "scaled_dot_product_attention": _attention,
    "resize": _resize, "image_transform": _image_transform,
    "softmax_cross_entropy": _class_axis_drop, "sparse_softmax_cross_entropy": _class_axis_drop,
    "sigmoid_cross_entropy": _sigmoid_ce,
})


def check_node(node, args, kwargs, want):
    """Raise a TraceError naming the node unless its primitive's rule gives the declared shape ``want``.

    Example:
        >>> from autograd.trace.graph import Node
        >>> check_node(Node("tile", (), {}, 0), (np.ones(2),), {"reps": (10 ** 9,)}, (4,))
        Traceback (most recent call last):
        autograd.trace.graph.TraceError: graph file: op 'tile' would give shape (2000000000,), but the graph declares (4,); ...
    """
    rule = RULES.get(node.op)
    if rule is None:
        raise TraceError(f"graph file: {node.where()} has no shape rule; refusing to run it")
    try:
        shape = tuple(int(d) for d in rule(args, kwargs))
    except TraceError as e:
        raise TraceError(f"graph file: {node.where()}: {e}; refusing to run it (the file is damaged or hostile)") \
            from None
    except (AttributeError, TypeError, ValueError, IndexError) as e:
        raise TraceError(f"graph file: {node.where()} has arguments its shape rule cannot read ({e}); refusing to "
                         f"run it (the file is damaged or hostile)") from None
    if shape != tuple(want):
        raise TraceError(f"graph file: {node.where()} would give shape {shape}, but the graph declares {tuple(want)}; "
                         f"refusing to run it (the file is damaged or hostile)")
