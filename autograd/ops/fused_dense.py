"""A dense layer's affine map and relu in one primitive: ``relu(x @ kernel + bias)`` (Dense layers use it).

Example:
    >>> import numpy as np, autograd as ag
    >>> ag.dense(np.ones((2, 3)), np.ones((3, 4)), bias=np.array([-4.0, -3.0, 0.0, 1.0]), activation="relu")[0]
    Tensor([0., 0., 3., 4.])
"""
import numpy as np

from .. import blas as _blas
from ..batching import dtype_of, shape_of, to_front
from ..modes import STATE
from ..primitive import Primitive, apply, defbatch, defjvp_argnums, defvjp
from ..tensor import make_leaf
from ._make import raw
from .elementwise import add, multiply, relu as _relu
from .linalg import matmul
from .reductions import sum as _sum
from .shape import reshape, transpose

__all__ = ["dense"]

# NOTE: fused for speed only, and bit-identical to the composition relu(matmul(x, kernel) + bias): the same
# product, then the bias added and relu applied in place on the product's fresh output (no second and third
# array, fewer replayed ops in a captured step). The backward masks the cotangent once (relu's gradient,
# 0 at 0 as ag.relu, read off the output: out > 0 exactly where x @ kernel + bias > 0) and shares it between
# the three vjps through ``memo``.


def _dense_np(x, kernel, bias, relu, memo=None):
    out = _blas.matmul(x, kernel)      # a fresh array, ours to change in place
    np.add(out, bias, out=out)
    if relu:
        np.maximum(out, 0, out=out)
    return out


def _masked(g, ans, relu, memo):
    """The cotangent of the pre-activation, computed once per backward (shared through ``memo``)."""
    if not relu:
        return g
    if STATE.grad_enabled:             # create_graph: stay differentiable
        return multiply(g, ans.data > 0)
    hit = memo.get("g") if memo is not None else None
    if hit is not None and hit[0] is g:
        return hit[1]
    gp = make_leaf(raw(g) * (ans.data > 0))
    if memo is not None:
        memo["g"] = (g, gp)
    return gp


def _dx(g, ans, x, kernel, bias, relu, memo=None):
    gp = _masked(g, ans, relu, memo)
    if STATE.grad_enabled:
        return matmul(gp, transpose(kernel))
    return make_leaf(_blas.matmul(raw(gp), raw(kernel).T))


def _dkernel(g, ans, x, kernel, bias, relu, memo=None):
    gp = _masked(g, ans, relu, memo)
    if STATE.grad_enabled:
        return matmul(transpose(x), gp)
    return make_leaf(_blas.matmul(raw(x).T, raw(gp)))


def _dbias(g, ans, x, kernel, bias, relu, memo=None):
    gp = _masked(g, ans, relu, memo)
    if STATE.grad_enabled:
        return _sum(gp, axis=0)
    return make_leaf(raw(gp).sum(axis=0))


_dense_prim = Primitive(_dense_np, "dense_bias_relu")
defvjp(_dense_prim, _dx, _dkernel, _dbias)


def _dense_jvp(tangents, ans, args, kwargs):
    # relu(x @ kernel + bias): the three tangents' sum, masked once by relu's derivative (0 at 0, as the vjp)
    tx, tk, tb = tangents
    x, kernel, _ = args
    total = None
    for term in (None if tx is None else matmul(tx, kernel), None if tk is None else matmul(x, tk), tb):
        if term is not None:
            total = term if total is None else add(total, term)
    return multiply(total, ans.data > 0) if kwargs["relu"] else total


defjvp_argnums(_dense_prim, _dense_jvp)


def _dense_batch(args, dims, relu, memo=None):
    # under vmap: the composition (batched matmul, broadcast bias), the same numbers as the fused op
    (x, kernel, bias), (dx, dk, db) = args, dims
    out = matmul(x if dx is None else to_front(x, dx), kernel if dk is None else to_front(kernel, dk))
    if db is not None:
        bias = reshape(to_front(bias, db), (shape_of(bias)[db], 1, -1))
    out = add(out, bias)
    return (_relu(out) if relu else out), 0


defbatch(_dense_prim, _dense_batch)


def dense(x, kernel, bias=None, activation=None):
    """``activation(x @ kernel + bias)`` for ``x`` (batch, in), ``kernel`` (in, units), ``bias`` (units,) or None,
    ``activation`` None / 'linear' or 'relu': one primitive with the bias and relu applied in place; the same
    numbers as the composition.

    Example:
        >>> dense(np.ones((1, 2)), np.ones((2, 3)), bias=np.array([-3.0, 0.0, 1.0]), activation="relu")
        Tensor([[0., 2., 3.]])
    """
    if activation not in (None, "linear", "relu"):
        raise ValueError(f"dense: activation must be None, 'linear' or 'relu', received {activation!r}")
    relu = activation == "relu"
    xs, ks = tuple(shape_of(x)), tuple(shape_of(kernel))
    if len(xs) != 2 or len(ks) != 2 or xs[1] != ks[0]:
        raise ValueError(f"dense: x must be (batch, in) and kernel (in, units), received shapes {xs} and {ks}")
    if bias is not None and tuple(shape_of(bias)) != (ks[1],):
        raise ValueError(f"dense: bias must have shape (units,) = {(ks[1],)}, received shape {tuple(shape_of(bias))}")
    if bias is None or dtype_of(bias) != np.result_type(dtype_of(x), dtype_of(kernel)) or dtype_of(bias).kind != "f":
        out = matmul(x, kernel)        # the composition: another dtype would promote the sum
        out = out if bias is None else add(out, bias)
        return _relu(out) if relu else out
    return apply(_dense_prim, (x, kernel, bias), {"relu": relu, "memo": {} if STATE.grad_enabled else None})
