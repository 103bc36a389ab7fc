"""The shared layer test every layer goes through: output shape (symbolic with a None batch, and eager),
weight count and shapes, config round trip (JSON, rebuild, same outputs), functional-model round trip, and a
float64 gradient check of the call with respect to its inputs and trainable weights.

Example (in a test file):
    >>> from tests.kerasfront.layer_test_utils import layer_test
    >>> layer_test(Dense, {"units": 3}, input_shape=(4, 5), expected_output_shape=(None, 3),
    ...            expected_weight_shapes=[(5, 3), (3,)])
"""
import json

import numpy as np

import autograd as ag
import kerasfront as keras
from kerasfront import layers as klayers


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _is_multi(shape):
    return isinstance(shape, list) or (isinstance(shape, tuple) and shape and isinstance(shape[0], (list, tuple)))


def _make_data(input_shape, input_dtype, rng):
    shapes = list(input_shape) if _is_multi(input_shape) else [input_shape]
    dtypes = list(input_dtype) if isinstance(input_dtype, (list, tuple)) else [input_dtype] * len(shapes)
    out = []
    for s, d in zip(shapes, dtypes):
        if np.dtype(d).kind in "iu":
            out.append(rng.integers(0, 3, size=s).astype(d))
        else:
            out.append(rng.standard_normal(s).astype(d))
    return out, shapes, dtypes


def _as_tensor(d):
    """A numeric array as a Tensor; text stays a numpy object array (see engine/strings.py)."""
    return d if d.dtype.kind in "USO" else ag.Tensor(d)


def _outputs_list(out):
    return [o.numpy() if isinstance(o, ag.Tensor) else np.asarray(o) for o in _as_list(out)]


def _directional_gradcheck(fn, float_inputs, weights, eps=1e-6, atol=1e-6, rtol=1e-4, n_directions=3, seed=0):
    """Check d/d(inputs, weights) of ``fn(*inputs)`` against central differences in float64 (weights are
    perturbed in place and restored)."""
    rng = np.random.default_rng(seed)
    xs = [np.asarray(x, np.float64) for x in float_inputs]
    w0 = [w.numpy().copy() for w in weights]

    def run(inputs):
        return [o for o in _as_list(fn(*[ag.Tensor(x) for x in inputs]))]

    base = run(xs)
    us = [rng.standard_normal(o.shape) for o in base]
    leaves = [ag.Tensor(x, requires_grad=True) for x in xs]
    outs = _as_list(fn(*leaves))
    total = sum(ag.sum(o * u) for o, u in zip(outs, us) if isinstance(o, ag.Tensor) and o.requires_grad)
    targets = leaves + list(weights)
    if isinstance(total, ag.Tensor) and total.requires_grad:
        grads = ag.gradients(total, targets)
        grads = [np.zeros(t.shape) if g is None else g.numpy() for g, t in zip(grads, targets)]
    else:
        grads = [np.zeros(t.shape) for t in targets]
    for _ in range(n_directions):
        vs = [rng.standard_normal(t.shape) for t in targets]
        vx, vw = vs[:len(xs)], vs[len(xs):]

        def shifted(sign):
            for w, base_w, v in zip(weights, w0, vw):
                w.assign(base_w + sign * eps * v)
            res = run([x + sign * eps * v for x, v in zip(xs, vx)])
            return sum(float(np.sum(u * o.numpy())) for u, o in zip(us, res))

        numeric = (shifted(1.0) - shifted(-1.0)) / (2 * eps)
        for w, base_w in zip(weights, w0):
            w.assign(base_w)
        analytic = float(sum(np.sum(g * v) for g, v in zip(grads, vs)))
        assert abs(analytic - numeric) <= atol + rtol * abs(numeric), (
            f"gradient check failed: analytic directional derivative {analytic:.10g}, numerical {numeric:.10g}")


def layer_test(layer_cls, kwargs=None, input_shape=(2, 3), input_dtype="float32", input_data=None,
               expected_output_shape=None, expected_output_dtype=None, expected_num_weights=None,
               expected_weight_shapes=None, expected_num_trainable_weights=None, call_kwargs=None, training=None,
               gradcheck=True, gradcheck_inputs=True, custom_objects=None, seed=0, grad_atol=1e-6, grad_rtol=1e-4,
               unpack_inputs=False):
    """Run the shared checks on ``layer_cls(**kwargs)`` and return its eager output (numpy, or a list).

    Args:
        layer_cls: the layer class.
        kwargs: constructor arguments.
        input_shape: a concrete input shape including the batch axis, or a list of shapes for several inputs.
        input_dtype: dtype of the generated data (``'int32'`` for ids), or a list.
        input_data: arrays to use instead of random normal data (a list for several inputs).
        expected_output_shape: the symbolic output shape, with ``None`` for the batch axis (a list for
            several outputs).
        expected_num_weights / expected_weight_shapes / expected_num_trainable_weights: weight checks.
        call_kwargs: extra keyword arguments for the call (e.g. ``{"training": True}``).
        training: passed to the eager model call.
        gradcheck: run the float64 gradient check (turn off for random or non-differentiable layers).
        gradcheck_inputs: include the (floating) inputs in the gradient check, not only the weights.
        unpack_inputs: pass several inputs as separate positional arguments, ``layer(query, value)``, rather
            than as one list (for layers such as MultiHeadAttention).
    """
    kwargs = dict(kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    rng = np.random.default_rng(seed)
    if input_data is not None:
        data = [np.asarray(d) for d in _as_list(input_data)] if _is_multi(input_shape) or isinstance(
            input_data, list) else [np.asarray(input_data)]
        shapes = [d.shape for d in data]
        dtypes = [d.dtype.name for d in data]
    else:
        data, shapes, dtypes = _make_data(input_shape, input_dtype, rng)
    multi = len(data) > 1 or _is_multi(input_shape)

    def call(target, ins, **kw):
        if multi and unpack_inputs:
            return target(*ins, **kw)
        return target(ins if multi else ins[0], **kw)

    # -- symbolic call: output shape with a None batch axis ------------------------------------------------
    layer = layer_cls(**kwargs)
    sym_in = [keras.Input(batch_shape=(None,) + tuple(s[1:]), dtype=d) for s, d in zip(shapes, dtypes)]
    sym_out = call(layer, sym_in, **call_kwargs)
    sym_shapes = [tuple(t.shape) for t in _as_list(sym_out)]
    if expected_output_shape is not None:
        expected = [tuple(s) for s in expected_output_shape] if isinstance(expected_output_shape, list) else \
            [tuple(expected_output_shape)]
        assert sym_shapes == expected, f"{layer_cls.__name__}: symbolic output shape {sym_shapes} != {expected}"

    # -- weights ---------------------------------------------------------------------------------------------
    assert layer.built, f"{layer_cls.__name__} is not built after being called"
    if expected_num_weights is not None:
        assert len(layer.weights) == expected_num_weights, (
            f"{layer_cls.__name__}: {len(layer.weights)} weights, expected {expected_num_weights}")
    if expected_weight_shapes is not None:
        got = [tuple(w.shape) for w in layer.weights]
        assert got == [tuple(s) for s in expected_weight_shapes], f"{layer_cls.__name__}: weight shapes {got}"
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    for w in layer.weights:
        assert w.name.startswith(layer.name + "/") or "/" in w.name, f"weight name {w.name} lacks the layer scope"
        assert w.dtype == np.dtype(layer.dtype) or w.dtype.kind != "f"

    # -- eager call, through a functional model and directly -------------------------------------------------
    model = keras.Model(sym_in if multi else sym_in[0], sym_out)
    model_out = _outputs_list(model(data if multi else data[0], training=training))
    direct_kwargs = dict(call_kwargs)
    if training is not None:
        direct_kwargs["training"] = training
    direct_out = _outputs_list(call(layer, [_as_tensor(d) for d in data] if multi else data, **direct_kwargs))
    for sym_shape, out in zip(sym_shapes, model_out):
        assert len(sym_shape) == out.ndim and all(s is None or s == o for s, o in zip(sym_shape, out.shape)), (
            f"{layer_cls.__name__}: eager output shape {out.shape} does not fit the symbolic shape {sym_shape}")
        assert sym_shape[0] is None, f"{layer_cls.__name__}: the batch axis of the output should be None"
        if expected_output_dtype is not None:
            assert out.dtype == np.dtype(expected_output_dtype), f"output dtype {out.dtype}"
        elif out.dtype.kind == "f":
            assert out.dtype == np.dtype(layer.dtype), f"{layer_cls.__name__}: output dtype {out.dtype}"
    deterministic = not training and not call_kwargs.get("training")
    if deterministic:
        for a, b in zip(model_out, direct_out):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)

    # -- config round trip -------------------------------------------------------------------------------
    config = layer.get_config()
    text = json.dumps(config, default=lambda o: o.tolist() if hasattr(o, "tolist") else list(o))
    config_json = json.loads(text)
    clone = klayers.deserialize({"class_name": layer_cls.__name__, "config": config_json},
                                custom_objects=custom_objects)
    assert type(clone) is layer_cls
    assert json.dumps(clone.get_config(), sort_keys=True, default=list) == json.dumps(
        config_json, sort_keys=True, default=list), f"{layer_cls.__name__}: config changed in a round trip"
    clone_in = [keras.Input(batch_shape=(None,) + tuple(s[1:]), dtype=d) for s, d in zip(shapes, dtypes)]
    clone_model = keras.Model(clone_in if multi else clone_in[0], call(clone, clone_in, **call_kwargs))
    clone.set_weights(layer.get_weights())
    if deterministic:
        for a, b in zip(model_out, _outputs_list(clone_model(data if multi else data[0]))):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    # the functional model holding the layer round-trips too
    rebuilt = keras.Model.from_config(json.loads(json.dumps(model.get_config(), default=list)),
                                      custom_objects=custom_objects)
    assert [la.name for la in rebuilt.layers] == [la.name for la in model.layers]

    # -- float64 gradient check --------------------------------------------------------------------------
    if gradcheck:
        config64 = dict(config_json, dtype="float64")
        config64.pop("batch_input_shape", None)
        layer64 = klayers.deserialize({"class_name": layer_cls.__name__, "config": config64},
                                      custom_objects=custom_objects)
        data64 = [d.astype(np.float64) if d.dtype.kind == "f" else d for d in data]
        call(layer64, [_as_tensor(d) for d in data64], **call_kwargs)
        layer64.set_weights([w.astype(np.float64) if w.dtype.kind == "f" else w for w in layer.get_weights()])
        float_idx = [i for i, d in enumerate(data64) if d.dtype.kind == "f"] if gradcheck_inputs else []

        def fn(*float_inputs):
            ins = [_as_tensor(d) for d in data64]
            for i, t in zip(float_idx, float_inputs):
                ins[i] = t
            kw = dict(call_kwargs)
            if training is not None:
                kw["training"] = training
            return call(layer64, ins, **kw)

        _directional_gradcheck(fn, [data64[i] for i in float_idx], layer64.trainable_weights,
                               atol=grad_atol, rtol=grad_rtol, seed=seed)
    return model_out if len(model_out) > 1 else model_out[0]
