"""How a layer under a mixed policy computes: its floating inputs are cast to the compute dtype (the layer's
autocast, in base_layer), and while ``call`` runs, each weight made with ``experimental_autocast=True`` (the
default) is read in the compute dtype: the attribute holding the float32 Variable holds its cast instead, a
differentiable ``ag.astype`` whose gradient flows back to the Variable in float32. This is what tf.keras's
AutoCastVariable does; the sublayers a layer calls are covered too (when they share its compute dtype).

Layers that keep float32 statistics (BatchNormalization, LayerNormalization) set ``_float32_when_mixed``: they
take 16-bit inputs, compute in float32 with float32 weights and return the compute dtype, as tf.keras's do.

bfloat16 has no numpy arithmetic, so a mixed_bfloat16 layer computes in float32 on values rounded to bfloat16
(inputs, weights and outputs; see policy.py).

Example:
    >>> from kerasfront import mixed_precision
    >>> layer = kerasfront.layers.Dense(2, dtype="mixed_float16")
    >>> out = layer(np.ones((1, 3), "float32"))
    >>> out.dtype, layer.kernel.dtype
    (dtype('float16'), dtype('float32'))
"""
import numpy as np

import autograd as ag
from autograd.tensor import Tensor

from ..variables import Variable

__all__ = ["cast_weights", "restore_weights", "to_compute", "from_float32"]


def _caster(dtype_name):
    if dtype_name == "bfloat16":
        return lambda v: ag.round_to_precision(v, "bfloat16")
    dtype = np.dtype(dtype_name)
    return lambda v: ag.astype(v, dtype)


def cast_weights(layer):
    """Swap the autocast weights held by ``layer`` and its sublayers (those with its compute dtype) for their
    casts; returns what ``restore_weights`` needs to put them back.

    Example:
        >>> layer = kerasfront.layers.Dense(2, dtype="mixed_float16"); layer.build((None, 3))
        >>> undo = cast_weights(layer); layer.kernel.dtype
        dtype('float16')
        >>> restore_weights(undo); layer.kernel.dtype
        dtype('float32')
    """
    compute = layer._dtype_policy.compute_dtype
    cast = _caster(compute)
    undo = []
    for sub in layer._flatten_layers():
        ids = sub.__dict__.get("_autocast_ids")
        if not ids or sub._dtype_policy.compute_dtype != compute:
            continue
        attrs = sub.__dict__
        for key, value in list(attrs.items()):
            if isinstance(value, Variable):
                if id(value) in ids:
                    attrs[key] = cast(value)
                    undo.append((attrs, key, value))
            elif isinstance(value, list) and value and any(isinstance(v, Variable) and id(v) in ids for v in value):
                attrs[key] = [cast(v) if isinstance(v, Variable) and id(v) in ids else v for v in value]
                undo.append((attrs, key, value))
    return undo


def restore_weights(undo):
    """Put back what ``cast_weights`` swapped.

    Example:
        >>> restore_weights([])
    """
    for attrs, key, value in reversed(undo):
        attrs[key] = value


def _map_floats(x, fn):
    if isinstance(x, Tensor):
        if x.data.dtype.kind != "f":
            return x
        out = fn(x)
        if out is not x:
            _keep_mask(x, out)
        return out
    if isinstance(x, (list, tuple)):
        return type(x)(_map_floats(v, fn) for v in x)
    if isinstance(x, dict):
        return {k: _map_floats(v, fn) for k, v in x.items()}
    return x


def _keep_mask(source, cast):
    """A cast tensor keeps the Keras mask of the tensor it was cast from (tf.keras's casts keep ``_keras_mask``)."""
    from ..engine.base_layer import get_mask, set_mask     # NOTE: lazy: the engine imports this module
    mask = get_mask(source)
    if mask is not None:
        set_mask(cast, mask)


def to_compute(layer, outputs):
    """Floating outputs in the layer's compute dtype (rounded to bfloat16 for mixed_bfloat16).

    Example:
        >>> layer = kerasfront.layers.Dense(2, dtype="mixed_float16")
        >>> to_compute(layer, ag.ones(2)).dtype
        dtype('float16')
    """
    compute = layer._dtype_policy.compute_dtype
    if compute == "bfloat16":
        return _map_floats(outputs, lambda t: ag.round_to_precision(t, "bfloat16"))
    dtype = np.dtype(compute)
    return _map_floats(outputs, lambda t: t if t.data.dtype == dtype else ag.astype(t, dtype))


def from_float32(inputs):
    """16-bit floating inputs as float32 (for the layers that compute in float32 under a mixed policy).

    Example:
        >>> from_float32(ag.ones(2, dtype="float16")).dtype
        dtype('float32')
    """
    return _map_floats(inputs, lambda t: ag.astype(t, np.float32) if t.data.dtype == np.float16 else t)
