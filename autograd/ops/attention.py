"""Scaled dot-product attention as one primitive: softmax(Q K^T * scale + mask) V, with dropout.

``scaled_dot_product_attention`` runs the forward in a few in-place numpy passes and saves the attention
probabilities P (laid out key-major) and Q * scale (K and V too when they had to be copied to contiguous
memory; the dropped P is recomputed). Its backward is written once with autograd ops:

    dV = (P * keep)^T g            dP = (g V^T) * keep          dS = P * (dP - rowsum(dP * P))
    dQ = (dS K) * scale            dK = dS^T (Q * scale)        dscale = sum((dS K) * Q)

Under ``create_graph`` P is rebuilt from Q and K with differentiable ops, so the same code gives exact
higher-order gradients; otherwise P is the saved array and the ops cost what numpy costs.

Masks follow tf.keras: ``mask`` is True (or 1) where a query may attend to a key, and the rest get
-1e9 added to their scores (float16: its lowest value, -65504), as tf.keras's MultiHeadAttention and
Attention layers do. A row whose keys are all masked therefore attends evenly to them in float32.

Example:
    >>> q, k, v = np.ones((2, 5, 4)), np.ones((2, 7, 4)), np.arange(2 * 7 * 3.0).reshape(2, 7, 3)
    >>> scaled_dot_product_attention(q, k, v).shape
    (2, 5, 3)
"""
import math

import numpy as np

from ..batching import Batched, batch_size, batched_call, bring, dtype_of, shape_of
from ..forward_mode import jvp_by_composition
from ..modes import STATE
from ..primitive import Primitive, apply, defbatch, defjvp_argnums, defvjp
from ..tensor import Tensor, make_leaf
from ._make import raw
from .elementwise import greater_equal, multiply, subtract, where
from .linalg import matmul
from .nn import _Meta
from .recurrent import _multi_vjps
from .reductions import softmax, sum as _sum
from .random import DRAW_LOG, note_draw, random_uniform
from .shape import astype, swapaxes

__all__ = ["scaled_dot_product_attention", "attention_mask_bias", "causal_mask"]

_NEG_FLOAT16 = -65504.0
_NEG = -1e9


def large_negative(dtype):
    """What masked scores get added: -1e9, or float16's lowest value (-1e9 is -inf in float16).

    Example:
        >>> large_negative(np.float32), large_negative(np.float16)
        (-1000000000.0, -65504.0)
    """
    return _NEG_FLOAT16 if np.dtype(dtype) == np.float16 else _NEG


def causal_mask(q_len, k_len):
    """The (q_len, k_len) boolean lower-triangular mask: query i attends to keys 0..i (tf.keras's
    ``band_part(ones, -1, 0)``).

    Example:
        >>> causal_mask(3, 3).astype(int)
        array([[1, 0, 0],
               [1, 1, 0],
               [1, 1, 1]])
    """
    return np.tri(q_len, k_len, dtype=bool)


def attention_mask_bias(mask, dtype):
    """The additive bias of a mask: 0 where ``mask`` is True (1), -1e9 where it is False (0), as
    tf.keras's ``(1 - mask) * large_negative``; numeric masks in between give what tf.keras gives.

    Example:
        >>> attention_mask_bias(np.array([True, False]), np.float32)
        array([ 0.e+00, -1.e+09], dtype=float32)
    """
    m = np.asarray(raw(mask))
    dtype = np.dtype(dtype)
    neg = dtype.type(large_negative(dtype))
    if m.dtype == bool:
        return np.where(m, dtype.type(0), neg)
    return (dtype.type(1) - m.astype(dtype)) * neg


# -- the primitive --------------------------------------------------------------------------------


def _t(a):
    return np.swapaxes(a, -1, -2)


def _forward(q, k, v, scale, bias, keep, saved=None):
    # NOTE: batched products of strided operands (heads taken as a view of a (B, T, H, d) projection) run about 1.5x
    # slower than of contiguous ones, so the operands are made contiguous once, here, and kept for backward.
    layout = q
    q, k, v = np.ascontiguousarray(q), np.ascontiguousarray(k), np.ascontiguousarray(v)
    qs = q * scale
    # NOTE: the scores are laid out key-major, S^T (..., Tk, Tq): the softmax's max and sum then run over axis -2,
    # which numpy does as whole-row vector operations (along a short last axis it is about twice as slow), and the
    # sum is a product with a row of ones (a BLAS call).
    st = np.matmul(k, _t(qs))
    if bias is not None:
        st += _t(bias)
    st -= st.max(axis=-2, keepdims=True)
    np.exp(st, out=st)
    st /= np.matmul(np.ones((1, st.shape[-2]), st.dtype), st)      # st is now P^T, the probabilities
    if saved is not None:
        saved.update(PT=st, qs=qs, k=k, v=v)
    # NOTE: the output takes the query's memory layout (a (B, H, T, d) view of a (B, T, H, d) projection stays one),
    # so that the caller's transpose back is contiguous again; matmul writes into the strided rows directly.
    out = np.empty_like(layout, shape=layout.shape[:-1] + (v.shape[-1],))
    np.matmul(_t(st if keep is None else st * _t(keep)), v, out=out)
    return out


def _operands(q, k, v, scale, bias, g, saved):
    """(Q * scale, K, V, P^T, g): differentiable ops of the inputs under create_graph (P rebuilt), else the
    forward's saved arrays (contiguous) as constants."""
    if STATE.grad_enabled:
        qs = multiply(q, scale)
        scores = matmul(qs, swapaxes(k, -1, -2))
        if bias is not None:
            scores = scores + bias
        return qs, k, v, swapaxes(softmax(scores, axis=-1), -1, -2), g
    if not saved:
        raise RuntimeError("autograd: op 'scaled_dot_product_attention' ran without saving its forward state; call "
                           "it through ag.scaled_dot_product_attention while recording gradients")
    return (make_leaf(saved["qs"]), make_leaf(saved["k"]), make_leaf(saved["v"]), make_leaf(saved["PT"]),
            make_leaf(np.ascontiguousarray(raw(g))))


def _gradients(g, ans, args, kw, need):
    q, _, _, scale, bias, keep = args
    keep = None if keep is None else raw(keep)
    qs, k, v, pt, g = _operands(q, args[1], args[2], scale, bias, g, kw.get("saved"))
    keep_t = None if keep is None else _t(keep)
    grads = [None] * 6
    if need[2]:
        grads[2] = matmul(pt if keep is None else multiply(pt, keep_t), g)          # P^T g
    if need[0] or need[1] or need[3]:
        dpt = matmul(v, swapaxes(g, -1, -2))                                        # (g V^T)^T
        if keep is not None:
            dpt = multiply(dpt, keep_t)
        ones = make_leaf(np.ones((1, pt.shape[-2]), pt.dtype))
        dst = multiply(pt, subtract(dpt, matmul(ones, multiply(dpt, pt))))          # dS^T
        if need[0] or need[3]:
            dqs = matmul(swapaxes(dst, -1, -2), k)
            if need[0]:
                grads[0] = multiply(dqs, scale)
            if need[3]:
                grads[3] = _sum(multiply(dqs, q))
        if need[1]:
            grads[1] = matmul(dst, qs)
    return grads


_sdpa_prim = Primitive(_forward, "scaled_dot_product_attention")
defvjp(_sdpa_prim, *_multi_vjps(6, _gradients))


# -- the public function ----------------------------------------------------------------------------


def _composed(q, k, v, scale, bias, keep):
    """The same attention from separate ops, returning the probabilities too (return_weights=True)."""
    scores = matmul(multiply(q, scale), swapaxes(k, -1, -2))
    if bias is not None:
        scores = scores + bias
    p = softmax(scores, axis=-1)
    return matmul(p if keep is None else multiply(p, keep), v), p


def _check(query, key, value, fn):
    qd, kd, vd = (_Meta(tuple(shape_of(a)), len(shape_of(a)), dtype_of(a)) for a in (query, key, value))
    for name, a in (("query", qd), ("key", kd), ("value", vd)):
        if a.ndim < 2:
            raise ValueError(f"{fn}: `{name}` must have at least 2 axes (..., length, features), received shape "
                             f"{a.shape}")
        if a.dtype.kind != "f":
            raise TypeError(f"{fn}: `{name}` must be floating point, received dtype {a.dtype}")
    if not qd.dtype == kd.dtype == vd.dtype:
        raise TypeError(f"{fn}: `query`, `key` and `value` must share one dtype, received {qd.dtype}, {kd.dtype} "
                        f"and {vd.dtype}")
    if not qd.shape[:-2] == kd.shape[:-2] == vd.shape[:-2]:
        raise ValueError(f"{fn}: `query`, `key` and `value` must have the same leading (batch) axes, received "
                         f"shapes {qd.shape}, {kd.shape} and {vd.shape}")
    if qd.shape[-1] != kd.shape[-1]:
        raise ValueError(f"{fn}: `query` and `key` must have the same feature size (last axis), received shapes "
                         f"{qd.shape} and {kd.shape}")
    if kd.shape[-2] != vd.shape[-2]:
        raise ValueError(f"{fn}: `key` and `value` must have the same length (second-to-last axis), received "
                         f"shapes {kd.shape} and {vd.shape}")
    return qd.shape[:-1] + (kd.shape[-2],), qd.dtype


def scaled_dot_product_attention(query, key, value, mask=None, scale=None, causal=False, dropout_rate=0.0,
                                 rng=None, return_weights=False):
    """softmax(query key^T * scale + mask) value over the last two axes, as one differentiable op.

    Args:
        query: (..., Tq, d); key: (..., Tk, d); value: (..., Tk, dv), the same leading axes and float dtype.
        mask: None, or booleans (or 1/0) broadcastable to (..., Tq, Tk): True where a query may attend to a
            key. Masked scores get -1e9 added, as in tf.keras.
        scale: a number, or a 0-d Tensor (it then gets a gradient, as Keras's ``Attention(use_scale=True)``
            weight); default 1 / sqrt(d). Q is scaled before the product, as tf.keras's MultiHeadAttention.
        causal: also mask keys after each query's own position (lower-triangular over (Tq, Tk)).
        dropout_rate: drop this fraction of the probabilities (inverted dropout, as Keras), drawing from
            ``rng`` (a numpy Generator); 0 means none.
        return_weights: also return the probabilities (..., Tq, Tk), before dropout; then the result is
            computed by separate ops so that both outputs have gradients.

    Returns:
        (..., Tq, dv), or (output, probabilities) with ``return_weights``.

    Example:
        >>> q = ag.tensor(np.random.rand(2, 4, 3, 8), requires_grad=True)
        >>> out = ag.scaled_dot_product_attention(q, q, q, causal=True)
        >>> out.shape
        (2, 4, 3, 8)
        >>> out.sum().backward(); q.grad.shape
        (2, 4, 3, 8)
    """
    fn = "scaled_dot_product_attention"
    score_shape, dtype = _check(query, key, value, fn)
    if scale is None:
        d = shape_of(query)[-1]
        scale = dtype.type(1.0 / math.sqrt(d)) if d else dtype.type(1.0)
    elif isinstance(scale, (Tensor, Batched)):
        if scale.ndim != 0:
            raise ValueError(f"{fn}: a Tensor `scale` must be 0-d, received shape {scale.shape}")
        if scale.dtype != dtype:
            raise TypeError(f"{fn}: `scale` must have the inputs' dtype {dtype}, received {scale.dtype}")
    elif isinstance(scale, np.ndarray) and scale.ndim == 0 and scale.dtype.kind in "iuf":
        scale = dtype.type(scale)          # a 0-d array (a constant, as a number)
    elif isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)) or \
            not math.isfinite(float(scale)):
        raise ValueError(f"{fn}: `scale` must be a finite number or a 0-d Tensor, received scale={scale!r}")
    else:
        scale = dtype.type(scale)
    bias = None
    if mask is not None:
        md = np.asarray(raw(mask))
        try:
            fits = np.broadcast_shapes(md.shape, score_shape) == score_shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{fn}: `mask` of shape {md.shape} does not broadcast to the scores' shape "
                             f"{score_shape} (..., Tq, Tk)")
        if md.dtype != bool and md.dtype.kind not in "iuf":
            raise TypeError(f"{fn}: `mask` must be boolean or numeric, received dtype {md.dtype}")
        if STATE.tracer is not None:
            # traced: from ops, so that the graph sees where the mask came from (the same numbers)
            neg = dtype.type(large_negative(dtype))
            mt = mask if isinstance(mask, Tensor) else make_leaf(md)
            bias = where(mt, dtype.type(0), neg) if md.dtype == bool else \
                multiply(subtract(dtype.type(1), astype(mt, dtype)), neg)
        else:
            bias = attention_mask_bias(md, dtype)
    if causal:
        tri = attention_mask_bias(causal_mask(score_shape[-2], score_shape[-1]), dtype)
        bias = tri if bias is None else bias + tri
    keep = None
    if isinstance(dropout_rate, bool) or not isinstance(dropout_rate, (int, float, np.integer, np.floating)) or \
            not 0.0 <= float(dropout_rate) < 1.0:
        raise ValueError(f"{fn}: `dropout_rate` must be a number in [0, 1), received dropout_rate={dropout_rate!r}")
    if dropout_rate > 0:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{fn}: dropout needs `rng`, a numpy random Generator (np.random.default_rng(seed)), "
                            f"received {type(rng).__name__}")
        if STATE.tracer is not None:
            # NOTE: traced: from ops (a random primitive, a comparison, a cast), so that the graph holds the draw
            # itself; the numbers are those of the numpy lines below
            draw = random_uniform(query, rng, shape=score_shape,
                                  dtype=np.float64 if dtype == np.float64 else np.float32)
            keep = multiply(astype(greater_equal(draw, float(dropout_rate)), dtype),
                            dtype.type(1.0 / (1.0 - float(dropout_rate))))
        else:
            if DRAW_LOG:
                note_draw(rng)
            draw = rng.random(score_shape, dtype=np.float64 if dtype == np.float64 else np.float32)
            keep = (draw >= dropout_rate).astype(dtype)
            keep *= dtype.type(1.0 / (1.0 - float(dropout_rate)))
    if return_weights:
        return _composed(query, key, value, scale, bias, keep)
    opts = {"saved": {} if STATE.grad_enabled else None}
    return apply(_sdpa_prim, (query, key, value, scale, bias, keep), opts)


# -- forward-mode and batching rules ------------------------------------------------------------------------


def _composition(args, kwargs):
    return _composed(*args)[0]


def _batch(args, dims, saved=None):
    (q, k, v, scale, bias, keep), (dq, dk, dv, ds) = args, dims[:4]
    if ds is not None or dims[4] is not None or dims[5] is not None:
        # a per-example scale (vmap of grad of a trainable scale): the attention from ops, batched as a whole
        return batched_call(lambda *a: _composition(a, None), args, dims)
    size = batch_size(args, dims)
    # examples are one more leading axis; the mask's bias and the dropout keep-mask broadcast over it
    out = apply(_sdpa_prim, (bring(q, dq, size), bring(k, dk, size), bring(v, dv, size), scale, bias, keep),
                {"saved": {} if saved is not None else None})
    return out, 0


# the tangent is pushed through the same attention written with ops (matmul, softmax): true forward mode
defjvp_argnums(_sdpa_prim, jvp_by_composition(_composition))
defbatch(_sdpa_prim, _batch)
