"""A model's forward pass as an ``autograd.trace`` graph, one per input signature: what folder saving and the
ONNX writer read.

A *signature* is the structure of a call's inputs with ``(per-sample shape, dtype name)`` leaves: ``((4,),
"float32")``, a list of them, or a dict by input name. ``trace_model`` traces ``model(x, training=...)`` at four
batch sizes (``autograd.trace.trace_batched``'s 2, 3, 5 and 7) on placeholder data (floats uniform in [0, 1),
integers zero), so the graph is symbolic in the batch axis; an inference graph is then checked against the model on
other data, and on data with padding when the model makes masks from its inputs (``Embedding(mask_zero=True)``,
``Masking``: a mask read on the host would be the placeholders' all-kept one); the model's weights are its
parameters (by ``weight_names``), and with ``with_losses`` the losses the call adds (activity and weight
regularization) are extra outputs after the model's own. Tracing changes nothing: weights (a BatchNormalization's
moving statistics) and random generators are put back afterwards.

Example:
    >>> spec = signatures(model)[0]
    >>> traced = trace_model(model, spec, training=False)
    >>> traced.graph.ops()
    ['add', 'matmul', 'relu', ...]
"""
import numpy as np

import autograd as ag

from .. import random_state
from . import nest

__all__ = ["TracedForward", "trace_model", "signatures", "weight_names", "flatten_spec", "pack_inputs"]


class TracedForward:
    """A traced forward: ``graph`` plus how its flat inputs and outputs map to the model's structures.

    Attributes:
        graph: the ``autograd.trace.Graph``.
        spec: the input signature it was traced for.
        input_names: one name per graph input.
        outputs: the output structure: ``None`` (one tensor), ``["list", n]`` or ``["dict", [keys]]``.
        output_names: one name per model output.
        n_losses: how many loss outputs follow the model's outputs.
        training: the mode it was traced in.
    """

    def __init__(self, graph, spec, input_names, outputs, output_names, n_losses, training):
        self.graph, self.spec, self.input_names = graph, spec, list(input_names)
        self.outputs, self.output_names, self.n_losses, self.training = outputs, list(output_names), n_losses, training


def weight_names(model):
    """Unique names for ``model.weights``, in order (the weight's path; a repeated path gets ``_1``, ``_2``, ...).

    Example:
        >>> weight_names(model)[:2]
        ['dense/kernel', 'dense/bias']
    """
    names, seen = [], {}
    for w in model.weights:
        base = getattr(w, "path", None) or str(getattr(w, "name", "weight")).rsplit(":", 1)[0]
        name, k = base, 0
        while name in seen:
            k += 1
            name = f"{base}_{k}"
        seen[name] = True
        names.append(name)
    return names


def _leaf(spec):
    return isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], str)


def flatten_spec(spec):
    """The ``(shape, dtype)`` leaves of a signature in order (dict keys sorted, as ``nest.flatten``).

    Example:
        >>> flatten_spec({"b": ((2,), "float32"), "a": ((3,), "int64")})
        [((3,), 'int64'), ((2,), 'float32')]
    """
    if _leaf(spec):
        return [spec]
    if isinstance(spec, dict):
        return [leaf for k in sorted(spec) for leaf in flatten_spec(spec[k])]
    return [leaf for item in spec for leaf in flatten_spec(item)]


def pack_inputs(spec, flat):
    """``flat`` arranged in the signature's structure."""
    it = iter(flat)

    def build(s):
        if _leaf(s):
            return next(it)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return [build(v) for v in s]
    return build(spec)


def spec_key(spec):
    """A hashable form of a signature."""
    if _leaf(spec):
        return (tuple(spec[0]), spec[1])
    if isinstance(spec, dict):
        return ("dict", tuple((k, spec_key(spec[k])) for k in sorted(spec)))
    return ("list", tuple(spec_key(v) for v in spec))


def signatures(model):
    """The input signatures to trace: those of the model's ``Input`` s when every per-sample size is known, then
    those of the calls made so far, then the shape ``model.build`` was given.

    Example:
        >>> signatures(model)
        [((64,), 'float32')]
    """
    out, keys = [], set()

    def add(spec):
        key = spec_key(spec)
        if key not in keys:
            keys.add(key)
            out.append(spec)

    if getattr(model, "_is_graph_network", False) and model.inputs:
        leaves = []
        for t in model.inputs:
            shape = tuple(t.shape[1:])
            if any(d is None for d in shape):
                leaves = None
                break
            leaves.append((tuple(int(d) for d in shape), _dtype_name(t.dtype)))
        if leaves:
            nested = getattr(model, "_nested_inputs", None)
            if isinstance(nested, dict):
                names = list(model.input_names)
                add({k: leaves[names.index(getattr(nested[k], "name", k))] if getattr(nested[k], "name", k) in names
                     else leaves[i] for i, k in enumerate(sorted(nested))})
            else:
                add(leaves[0] if len(leaves) == 1 else leaves)
    for spec in (getattr(model, "__dict__", {}).get("_call_signatures") or {}).values():
        add(spec)
    built = getattr(model, "_build_input_shape", None)
    if built is not None and not out and isinstance(built, (tuple, list)) and built and \
            all(isinstance(d, (int, np.integer)) or d is None for d in built) and all(d is not None for d in built[1:]):
        add((tuple(int(d) for d in built[1:]), np.dtype(getattr(model, "_np_dtype", np.float32)).name))
    return out


def _dtype_name(dtype):
    """A numpy dtype's name; ``"string"`` for Keras's string dtype (which numpy does not know)."""
    if dtype in ("string", str, object, np.object_, np.str_, np.bytes_):
        return "string"
    return np.dtype(dtype).name


def _check_traceable_inputs(model, spec):
    """Strings cannot enter a graph of array primitives: a model taking them is refused by input."""
    from autograd.trace.codec import DTYPES
    for name, (shape, dtype) in zip(_input_names(model, spec), flatten_spec(spec)):
        if dtype not in DTYPES:
            raise ag.trace.TraceError(
                f"input '{name}' of model '{model.name}' has dtype {dtype!r}: a graph of autograd primitives holds "
                f"numeric and bool arrays only (the layers that take strings, such as TextVectorization and "
                f"StringLookup, run on the host), so its forward cannot be traced")


def _input_names(model, spec):
    leaves = flatten_spec(spec)
    if getattr(model, "_is_graph_network", False) and len(model.input_names) == len(leaves):
        if isinstance(spec, dict):
            return sorted(spec)
        return list(model.input_names)
    if isinstance(spec, dict):
        return sorted(spec)
    return [f"input_{i + 1}" for i in range(len(leaves))]


def _output_structure(model, out):
    if isinstance(out, ag.Tensor):
        return None, _output_names(model, 1)
    if isinstance(out, dict):
        keys = sorted(out)
        return ["dict", keys], keys
    flat = nest.flatten(out)
    return ["list", len(flat)], _output_names(model, len(flat))


def _output_names(model, n):
    names = getattr(model, "output_names", None) if getattr(model, "_is_graph_network", False) else None
    if names and len(names) == n:
        return list(names)
    if n == 1:
        return ["output_1"]
    return [f"output_{i + 1}" for i in range(n)]


def _placeholders(spec, batch, high=1):
    """Floats uniform in [0, high), integers in [0, high)."""
    rng = np.random.default_rng(1234 + batch)
    out = []
    for shape, dtype in flatten_spec(spec):
        dt = np.dtype(dtype)
        full = (batch,) + tuple(shape)
        if dt.kind == "f":
            out.append((rng.random(full) * high).astype(dt))
        elif dt.kind == "b":
            out.append(rng.random(full) < 0.5 if high > 1 else np.ones(full, dt))
        else:
            out.append(rng.integers(0, high, full).astype(dt))
    return out


def _generators(model):
    gens = [random_state.generator()]
    for layer in model._flatten_layers():
        rng = layer.__dict__.get("_rng")
        if isinstance(rng, np.random.Generator):
            gens.append(rng)
    return gens


def _padding_values(model):
    """The input values the model's mask-making layers drop (``_padding_value``: 0 for ``Embedding(mask_zero=True)``,
    a ``Masking`` layer's ``mask_value``), without repeats, in layer order.

    Example:
        >>> _padding_values(Sequential([Input((5,)), Embedding(9, 2, mask_zero=True), LSTM(3)]))
        [0]
    """
    values = []
    for layer in model._flatten_layers():
        v = getattr(layer, "_padding_value", None)
        if v is not None and not any(type(v) is type(u) and v == u for u in values):
            values.append(v)
    return values


def _fits(value, dtype):
    """Whether ``dtype`` holds ``value`` exactly (an integral value for an integer dtype; no bools)."""
    if dtype.kind == "f":
        return True
    if dtype.kind in "iu" and float(value).is_integer():
        info = np.iinfo(dtype)
        return info.min <= value <= info.max
    return False


def _padded(spec, values):
    """Check data with padding: per padding value in ``values``, three rows whose steps (axis 1) hold it over all
    their other axes, at the end (``pad_sequences(padding="post")``), at the start ("pre") and one in the middle;
    one last row has none. Inputs without a step axis, and of a dtype that cannot hold the value, are as
    ``_placeholders`` makes them.

    Example:
        >>> (_padded(((4,), "float32"), [0])[0] == 0).astype(int)
        array([[0, 0, 1, 1],
               [1, 1, 0, 0],
               [0, 0, 1, 0],
               [0, 0, 0, 0]])
    """
    xs = _placeholders(spec, 3 * len(values) + 1, high=2)
    for x, (shape, _) in zip(xs, flatten_spec(spec)):
        if not shape or not shape[0]:
            continue
        steps = shape[0]
        half = max(1, steps // 2)
        for j, v in enumerate(values):
            if not _fits(v, x.dtype):
                continue
            x[3 * j, steps - half:] = v
            x[3 * j + 1, :half] = v
            x[3 * j + 2, steps // 2] = v
    return xs


def _reproduces(model, spec, graph, params, xs):
    """The index of the first output the graph does not reproduce on ``xs`` (None when it reproduces them all)."""
    with ag.no_grad():
        out = model(pack_inputs(spec, [ag.Tensor(x) for x in xs]), training=False)
        want = [out] if isinstance(out, ag.Tensor) else nest.flatten(out)
        got = graph.run(xs, params=params)
    for i, (w, g) in enumerate(zip(want, got)):
        w, g = np.asarray(w.data, np.float64), np.asarray(g.data, np.float64)
        finite = np.abs(w[np.isfinite(w)])
        scale = max(1.0, float(finite.max(initial=0.0)))
        if w.shape != g.shape or not np.allclose(g, w, rtol=1e-4, atol=1e-5 * scale, equal_nan=True):
            return i
    return None


def _check_on_other_data(model, spec, graph, params):
    """The graph must give the model's outputs on data other than the placeholders it was traced on: a forward
    that reads its inputs' values outside autograd ops (numpy on ``.data``) would otherwise go unnoticed. When the
    model makes masks from its inputs (``Embedding(mask_zero=True)``, ``Masking``), the data also holds padding
    (``_padded``): the placeholders have none, so a layer reading its mask's array on the host (rather than with
    ops) traces the placeholders' all-kept mask as a constant, and the graph would ignore the padding."""
    bad = _reproduces(model, spec, graph, params, _placeholders(spec, 4, high=2))
    if bad is not None:
        raise ag.trace.TraceError(
            f"the traced forward of model '{model.name}' does not reproduce output {bad} on other data than it was "
            f"traced on: some layer computes on its inputs' values outside autograd ops (numpy on .data), so "
            f"a graph of primitives cannot hold it")
    values = _padding_values(model)
    if not values:
        return
    bad = _reproduces(model, spec, graph, params, _padded(spec, values))
    if bad is not None:
        shown = ", ".join(repr(v) for v in values)
        raise ag.trace.TraceError(
            f"the traced forward of model '{model.name}' does not reproduce output {bad} on inputs with padding "
            f"(steps of {shown}, the values its Embedding(mask_zero=True) / Masking layers mask): some layer reads "
            f"a mask on the host (numpy on the mask's array, a Python branch on it) rather than with autograd ops, "
            f"so the graph holds the mask of the placeholder data it was traced on and would ignore the padding; "
            f"read the mask with autograd ops (ag.where, ag.astype, ...)")


def trace_model(model, spec, training=False, with_losses=True):
    """Trace ``model(x, training=training)`` for inputs of signature ``spec`` (see the module docstring).

    Raises:
        autograd.trace.TraceError: naming the op and the layer, when the forward cannot be traced once for all
            batch sizes.
    """
    _check_traceable_inputs(model, spec)
    for layer in model._flatten_layers():
        if getattr(layer, "stateful", False):
            raise ag.trace.TraceError(
                f"layer '{layer.name}' ({type(layer).__name__}) is stateful: its states are kept between calls "
                f"outside the model's weights, for one fixed batch size, so its forward cannot be traced into a graph; "
                f"save the model as '.h5' or '.keras' instead")
    names = weight_names(model)
    weights = list(model.weights)
    params = dict(zip(names, weights))
    saved_values = [np.array(w.data, copy=True) for w in weights]
    gens = _generators(model)
    saved_states = [g.bit_generator.state for g in gens]
    info = {}

    def forward(*tensors):
        x = pack_inputs(spec, list(tensors))
        out = model(x, training=training)
        info["outputs"], info["output_names"] = _output_structure(model, out)
        flat = [out] if isinstance(out, ag.Tensor) else nest.flatten(out)
        losses = list(model.losses) if with_losses else []
        info["n_losses"] = len(losses)
        return list(flat) + [ag.as_tensor(v) for v in losses]

    input_names = _input_names(model, spec)
    try:
        graph = ag.trace.trace_batched(forward, lambda b: _placeholders(spec, b), params=params,
                                       input_names=input_names)
        if not training:
            _check_on_other_data(model, spec, graph, params)
    finally:
        for w, v in zip(weights, saved_values):
            np.copyto(w.data, v)
        for g, state in zip(gens, saved_states):
            g.bit_generator.state = state
    return TracedForward(graph, spec, input_names, info["outputs"], info["output_names"], info["n_losses"], training)
