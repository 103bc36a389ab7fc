"""Layer normalization as one primitive: (x - mean) / sqrt(var + epsilon) * gamma + beta over trailing axes.

The forward computes exactly what the composed ops (``mean``, ``subtract``, ``square``, ``power``, ...) compute,
in the same order, so a layer switching to it keeps its numbers to the last bit; it saves the normalized input
and 1 / sqrt(var + epsilon). The backward is written once with autograd ops:

    dgamma = sum(g * xhat)    dbeta = sum(g)    dx = inv * (gg - mean(gg) - xhat * mean(gg * xhat)),  gg = g gamma

with the row means as products with a column of ones (BLAS; numpy's reductions along a short last axis are
slow). Under ``create_graph`` xhat and inv are rebuilt from x with differentiable ops, so the same code gives
exact higher-order gradients.

Example:
    >>> layer_norm(np.array([[1.0, 2.0, 3.0]]), epsilon=0.0).numpy().round(4)
    array([[-1.2247,  0.    ,  1.2247]])
"""
import numpy as np

from ..batching import batch_size, bring, dtype_of, shape_of
from ..modes import STATE
from ..primitive import Primitive, apply, defbatch, defjvp_argnums, defvjp
from ..tensor import Tensor, make_leaf
from ._make import raw
from .elementwise import multiply, power, subtract
from .linalg import matmul
from .nn import _Meta
from .recurrent import _multi_vjps
from .reductions import mean as _mean, sum as _sum
from .shape import reshape

__all__ = ["layer_norm"]


def _forward(x, gamma, beta, n_axes, epsilon, saved=None):
    axes = tuple(range(x.ndim - n_axes, x.ndim))
    d = x - x.mean(axis=axes, keepdims=True)
    inv = (np.square(d).mean(axis=axes, keepdims=True) + epsilon) ** x.dtype.type(-0.5)
    xhat = np.multiply(d, inv, out=d)
    if saved is not None:
        saved.update(xhat=xhat, inv=inv)
    out = xhat if gamma is None else xhat * gamma
    if beta is not None:
        out = out + beta if out is xhat else np.add(out, beta, out=out)
    return out if out is not xhat else out.copy()


def _normalized(x, n_axes, epsilon, saved):
    """(xhat, inv): rebuilt from x with differentiable ops under create_graph, else the forward's arrays."""
    if STATE.grad_enabled:
        axes = tuple(range(x.ndim - n_axes, x.ndim))
        d = subtract(x, _mean(x, axis=axes, keepdims=True))
        inv = power(_mean(multiply(d, d), axis=axes, keepdims=True) + epsilon, raw(x).dtype.type(-0.5))
        return multiply(d, inv), inv
    if not saved:
        raise RuntimeError("autograd: op 'layer_norm' ran without saving its forward state; call it through "
                           "ag.layer_norm while recording gradients")
    return make_leaf(saved["xhat"]), make_leaf(saved["inv"])


def _row_mean(a, size):
    """Mean over the trailing ``size`` elements of each row: a product with a column of 1 / size."""
    lead = a.shape[:a.ndim - len(size)]
    n = int(np.prod(size, dtype=np.int64))
    col = make_leaf(np.full((n, 1), 1.0 / n, raw(a).dtype))
    return reshape(matmul(reshape(a, (-1, n)), col), lead + (1,) * len(size))


def _gradients(g, ans, args, kw, need):
    x, gamma, beta, n_axes, epsilon = args
    xhat, inv = _normalized(x, n_axes, epsilon, kw.get("saved"))
    lead = tuple(range(raw(x).ndim - n_axes))
    grads = [None] * 5
    if need[1]:
        grads[1] = _sum(multiply(g, xhat), axis=lead)
    if need[2]:
        grads[2] = _sum(g, axis=lead)
    if need[0]:
        size = raw(x).shape[raw(x).ndim - n_axes:]
        gg = g if gamma is None else multiply(g, gamma)
        centered = subtract(gg, _row_mean(gg, size))
        grads[0] = multiply(inv, subtract(centered, multiply(xhat, _row_mean(multiply(gg, xhat), size))))
    return grads


_layer_norm_prim = Primitive(_forward, "layer_norm")
defvjp(_layer_norm_prim, *_multi_vjps(5, _gradients))


def _tangent(tangents, ans, args, kwargs):
    """d out = gamma * inv * (dx - mean(dx) - xhat * mean(dx * xhat)) + dgamma * xhat + dbeta (the vjp's
    formula read forward)."""
    x, gamma, beta, n_axes, epsilon = args
    tx, tg, tb = tangents[:3]
    xhat, inv = _normalized(x, n_axes, epsilon, kwargs.get("saved"))
    total = None
    if tx is not None:
        size = raw(x).shape[raw(x).ndim - n_axes:]
        centered = subtract(tx, _row_mean(tx, size))
        total = multiply(inv, subtract(centered, multiply(xhat, _row_mean(multiply(tx, xhat), size))))
        if gamma is not None:
            total = multiply(total, gamma)
    for term in (None if tg is None else multiply(tg, xhat), tb):
        if term is not None:
            total = term if total is None else total + term
    return total


def _batch(args, dims, saved=None):
    (x, gamma, beta, n_axes, epsilon), (dx, dg, db) = args, dims[:3]
    size = batch_size(args, dims)
    x = bring(x, dx, size)
    fresh = {} if saved is not None else None
    if dg is None and db is None:     # examples are more rows: the trailing (normalized) axes are unchanged
        return apply(_layer_norm_prim, (x, gamma, beta, n_axes, epsilon), {"saved": fresh}), 0
    # per-example gamma / beta (vmap of grad): normalize once, then scale and shift each example by its own
    out = apply(_layer_norm_prim, (x, None, None, n_axes, epsilon), {"saved": fresh})
    lead = (1,) * (len(shape_of(x)) - 1 - n_axes)
    if gamma is not None:
        g = bring(gamma, dg, size)
        out = multiply(out, reshape(g, (size,) + lead + tuple(shape_of(g)[1:])))
    if beta is not None:
        b = bring(beta, db, size)
        out = out + reshape(b, (size,) + lead + tuple(shape_of(b)[1:]))
    return out, 0


defjvp_argnums(_layer_norm_prim, _tangent)
defbatch(_layer_norm_prim, _batch)


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Normalize ``x`` over its trailing axes ``axis`` (an int or a tuple of the last axes), then scale by
    ``gamma`` and shift by ``beta`` (each shaped like those axes, or None), as Keras's LayerNormalization.

    Example:
        >>> x = ag.tensor(np.random.rand(2, 5, 4), requires_grad=True)
        >>> y = ag.layer_norm(x, np.ones(4), np.zeros(4))
        >>> y.shape, np.allclose(y.numpy().mean(-1), 0)
        ((2, 5, 4), True)
    """
    fn = "layer_norm"
    xd = _Meta(tuple(shape_of(x)), len(shape_of(x)), dtype_of(x))     # shapes only: vmap batches it
    if xd.dtype.kind != "f":
        raise TypeError(f"{fn}: `x` must be floating point, received dtype {xd.dtype}")
    axes = (axis,) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else tuple(axis)
    try:
        axes = sorted({int(a) % xd.ndim if -xd.ndim <= int(a) < xd.ndim else None for a in axes})
    except (TypeError, ValueError):
        axes = [None]
    if not axes or None in axes or axes != list(range(xd.ndim - len(axes), xd.ndim)):
        raise ValueError(f"{fn}: `axis` must name the last axes of x (shape {xd.shape}), received axis={axis!r}")
    n_axes = len(axes)
    shape = xd.shape[xd.ndim - n_axes:]
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p is not None and tuple(shape_of(p)) != shape:
            raise ValueError(f"{fn}: `{name}` must have the normalized axes' shape {shape}, received "
                             f"{tuple(shape_of(p))}")
        if p is not None and dtype_of(p) != xd.dtype:
            raise TypeError(f"{fn}: `{name}` must have x's dtype {xd.dtype}, received {dtype_of(p)}")
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.integer, np.floating)) or \
            not epsilon >= 0:
        raise ValueError(f"{fn}: `epsilon` must be a non-negative number, received epsilon={epsilon!r}")
    opts = {"saved": {} if STATE.grad_enabled else None}
    return apply(_layer_norm_prim, (x, gamma, beta, n_axes, xd.dtype.type(epsilon)), opts)
