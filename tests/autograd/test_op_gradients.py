"""Property tests: every op's forward against numpy and its gradient against central differences.

One line per op in ``CASES``: a name, the function under test (``fn(*arrays, **options)``), the strategy
drawing its float64 inputs and options (tests/autograd/strategies.py: shapes drawn with 0-d, size-1 and
empty axes where meaningful, values inside the op's domain), a numpy reference for the forward value
(or None), and the gradient order to check (2 for the smooth ops: ``ag.gradcheck(order=2)``).
"""
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pytest
import scipy.linalg as _sl
import scipy.special as _sp
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd.ops import nn as _nn, nn3d as _nn3d
from autograd.ops.linalg_functions import trace as _ag_trace      # np.trace's spelling (ag.trace is the tracer)
from autograd.primitive import apply

from . import research_cases as R, strategies as S, strategies_research as SR

try:
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover
    _scipy_erf = np.vectorize(math.erf, otypes=[np.float64])


@dataclass
class Case:
    name: str
    fn: Callable
    args: st.SearchStrategy
    ref: Optional[Callable] = None
    order: int = 1

    def __repr__(self):
        return self.name


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_gelu(x):
    return 0.5 * x * (1.0 + _scipy_erf(x / np.sqrt(2.0)))


def _np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _np_lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis if axis is not None else tuple(range(x.ndim)))


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_split(x, sections, axis):
    return np.concatenate([p * (i + 1) for i, p in enumerate(np.split(x, sections, axis=axis))], axis=axis)


def _ag_split(x, sections, axis):
    return ag.concatenate([p * (i + 1) for i, p in enumerate(ag.split(x, sections, axis=axis))], axis=axis)


def _np_attention(q, k, v, scale=None, mask=None, causal=False):
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = (q * scale) @ np.swapaxes(k, -1, -2)
    keep = np.ones(s.shape[-2:], bool) if mask is None else mask
    if causal:
        keep = keep & np.tri(s.shape[-2], s.shape[-1], dtype=bool)
    return _np_softmax(np.where(keep, s, s - 1e9), -1) @ v


def _np_layer_norm(x, *params, axis=-1, epsilon=1e-3, has_gamma=False, has_beta=False):
    axes = (axis,) if isinstance(axis, int) else axis
    d = x - x.mean(axis=axes, keepdims=True)
    out = d / np.sqrt((d * d).mean(axis=axes, keepdims=True) + epsilon)
    params = list(params)
    if has_gamma:
        out = out * params.pop(0)
    return out + params.pop(0) if has_beta else out


def _ag_layer_norm(x, *params, axis=-1, epsilon=1e-3, has_gamma=False, has_beta=False):
    params = list(params)
    gamma = params.pop(0) if has_gamma else None
    return ag.layer_norm(x, gamma, params.pop(0) if has_beta else None, axis=axis, epsilon=epsilon)


_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)


# -- numpy references and wrappers for the neural-network ops ----------------------------------------


def _np_padded(x, ksize, strides, dilation, padding, fill=0.0):
    """x padded as TensorFlow pads for 'same' (extra after), and the output size."""
    n, h, w, c = x.shape
    ek = [(k - 1) * d + 1 for k, d in zip(ksize, dilation)]
    if padding == "same":
        pads = []
        for size, e, s in zip((h, w), ek, strides):
            total = max((-(-size // s) - 1) * s + e - size, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=fill)
    out = [(x.shape[1 + i] - ek[i]) // strides[i] + 1 for i in range(2)]
    return x, ek, out


def _np_windows(x, ksize, strides, dilation, padding, fill=0.0):
    """(n, oh, ow, kh, kw, c) windows of x, one Python loop over output pixels (a slow, plain reference)."""
    xp, ek, (oh, ow) = _np_padded(x, ksize, strides, dilation, padding, fill)
    out = np.empty((x.shape[0], oh, ow, ksize[0], ksize[1], x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = xp[:, i * strides[0]:i * strides[0] + ek[0]:dilation[0],
                              j * strides[1]:j * strides[1] + ek[1]:dilation[1]]
    return out


def _np_conv2d(x, k, strides, padding, dilation_rate, groups):
    win = _np_windows(x, k.shape[:2], strides, dilation_rate, padding)
    cg, og = k.shape[2], k.shape[3] // groups
    return np.concatenate([np.einsum("nijabc,abco->nijo", win[..., g * cg:(g + 1) * cg], k[..., g * og:(g + 1) * og])
                           for g in range(groups)], axis=-1)


def _np_conv2d_relu(x, k, b, **kw):
    return np.maximum(_np_conv2d(x, k, **kw) + b, 0)


def _np_dense_relu(x, k, b):
    return np.maximum(x @ k + b, 0)


def _np_max_pool(x, pool_size, strides, padding):
    return _np_windows(x, pool_size, strides, (1, 1), padding, -np.inf).max(axis=(3, 4))


def _np_avg_pool(x, pool_size, strides, padding):
    return np.nanmean(_np_windows(x, pool_size, strides, (1, 1), padding, np.nan), axis=(3, 4))


def _geom(shape, ksize, strides, dilation, padding):
    return _nn._geom("test", tuple(shape), ksize, strides, dilation, padding)


def _conv_kernel_grad(x, gy, ksize, strides, dilation, padding, hw, c):
    return _nn._conv_dk(x, gy, _geom(x.shape, ksize, strides, dilation, padding))


def _conv_input_grad(gy, k, ksize, strides, dilation, padding, hw, c):
    return _nn._conv_dx(gy, k, _geom((gy.shape[0],) + hw + (c,), ksize, strides, dilation, padding))


def _pool_grad(prim, x, gy, pool_size, strides, padding):
    """max_pool_grad (the maxima of x found by max_pool2d) or avg_pool_grad (x gives the geometry only)."""
    geom = _geom(x.shape, pool_size, strides, (1, 1), padding)
    if prim is _nn._avg_pool_grad_prim:
        return apply(prim, (gy,), {"geom": geom, "n": x.shape[0]})
    return apply(prim, (gy, x, ag.max_pool2d(x, pool_size, strides, padding).detach()), {"geom": geom})


def _max_pool_select(gx, x, pool_size, strides, padding):
    geom = _geom(x.shape, pool_size, strides, (1, 1), padding)
    return apply(_nn._max_pool_select_prim, (gx, x, ag.max_pool2d(x, pool_size, strides, padding).detach()),
                 {"geom": geom})


def _conv3d_backward(x, k, strides, padding, dilation_rate, groups):
    """The 3-d convolution's kernel gradient at the cotangent conv3d(x, k), plus its input gradient at that
    cotangent and k (the first group's channels): both backward primitives in one smooth function."""
    x = x[..., :k.shape[3]]
    geom = _nn3d._geom3("test", tuple(x.shape), k.shape[:3], strides, dilation_rate, padding)
    gy = _nn3d._conv(x, k, geom)
    return ag.sum(_nn3d._conv_dk(x, gy, geom)) + _nn3d._conv_dx(gy, k, geom)


def _pool3d_backward(x, pool_size, strides, padding):
    """max_pool3d's gradient and selection and avg_pool3d's gradient, applied to functions of x."""
    geom = _nn3d._pool_geom("test", x, pool_size, strides, padding)
    a = ag.max_pool3d(x, pool_size, strides, padding).detach()
    gy = ag.sin(ag.max_pool3d(x, pool_size, strides, padding)) + ag.avg_pool3d(x, pool_size, strides, padding)
    back = apply(_nn3d._max_pool_grad_prim, (gy, x, a), {"geom": geom})
    back = back + apply(_nn3d._avg_pool_grad_prim, (gy,), {"geom": geom, "n": x.shape[0]})
    picked = apply(_nn3d._max_pool_select_prim, (x * x, x, a), {"geom": geom})
    return ag.concatenate([ag.reshape(back, (-1,)), ag.reshape(picked, (-1,))])


def _np_embedding_grad(gy, ids, vocab):
    out = np.zeros((vocab,) + gy.shape[ids.ndim:])
    np.add.at(out, ids.ravel(), gy.reshape((ids.size,) + out.shape[1:]))
    return out


def _np_log_softmax(x, axis):
    return np.log(_np_softmax(x, axis))


def _np_sparse_ce(logits, labels, axis):
    picked = np.take_along_axis(_np_log_softmax(logits, axis), np.expand_dims(labels, axis), axis=axis)
    return -np.squeeze(picked, axis=axis)


def _packed(outputs, *states):
    """A recurrent layer's outputs and final states as one (n, T * units + states * units) tensor."""
    return ag.concatenate([ag.reshape(outputs, (outputs.shape[0], -1))] + list(states), axis=1)


def _lstm(x, k, r, b, **kw):
    return _packed(*ag.lstm_sequence(x, None, None, k, r, b, **kw))


def _gru(x, k, r, b, **kw):
    return _packed(*ag.gru_sequence(x, None, k, r, b, reset_after=b.ndim == 2, **kw))


def _simple_rnn(x, k, r, b, **kw):
    return _packed(*ag.simple_rnn_sequence(x, None, k, r, b, **kw))


CASES = [
    # -- arithmetic, operators and their reflected forms --------------------------------------------
    Case("add", ag.add, S.binary(), np.add, 2),
    Case("subtract", ag.subtract, S.binary(), np.subtract, 2),
    Case("multiply", ag.multiply, S.binary(), np.multiply, 2),
    Case("divide", ag.divide, S.binary("real", "away0"), np.divide, 2),
    Case("power", ag.power, S.binary("positive", "real"), np.power, 2),
    Case("power_int_exponent", lambda x: x ** 3, S.unary(), lambda x: x ** 3, 2),
    Case("rpow", lambda x: 2.0 ** x, S.unary(), lambda x: 2.0 ** x, 2),
    Case("operators", lambda a, b: (a + b) * a - b / 2.0 + 1.0 - (-a), S.binary(),
         lambda a, b: (a + b) * a - b / 2.0 + 1.0 - (-a), 2),
    Case("reflected", lambda x: 3.0 - 2.0 * x + 1.0 / (x * x + 1.0), S.unary(),
         lambda x: 3.0 - 2.0 * x + 1.0 / (x * x + 1.0), 2),
    Case("maximum", ag.maximum, S.binary("grid_a", "grid_b"), np.maximum, 2),
    Case("minimum", ag.minimum, S.binary("grid_a", "grid_b"), np.minimum, 2),
    Case("mod", ag.mod, S.binary("real", "positive"), np.mod),
    Case("floor_divide", ag.floor_divide, S.binary("real", "positive"), np.floor_divide),
    Case("negative", ag.negative, S.unary(), np.negative, 2),
    Case("positive", ag.positive, S.unary(), np.positive, 2),
    # -- exp / log family -------------------------------------------------------------------------------
    Case("exp", ag.exp, S.unary(), np.exp, 2),
    Case("expm1", ag.expm1, S.unary(), np.expm1, 2),
    Case("log", ag.log, S.unary("positive"), np.log, 2),
    Case("log1p", ag.log1p, S.unary("positive"), np.log1p, 2),
    Case("log2", ag.log2, S.unary("positive"), np.log2, 2),
    Case("log10", ag.log10, S.unary("positive"), np.log10, 2),
    Case("sqrt", ag.sqrt, S.unary("positive"), np.sqrt, 2),
    Case("square", ag.square, S.unary(), np.square, 2),
    Case("reciprocal", ag.reciprocal, S.unary("away0"), np.reciprocal, 2),
    Case("abs", ag.abs, S.unary("away0"), np.abs, 2),
    Case("sign", lambda x: ag.sign(x) * x, S.unary("away0"), lambda x: np.sign(x) * x, 2),
    # -- trigonometry -----------------------------------------------------------------------------------
    Case("sin", ag.sin, S.unary(), np.sin, 2),
    Case("cos", ag.cos, S.unary(), np.cos, 2),
    Case("tan", ag.tan, S.unary("unit"), np.tan, 2),
    Case("tanh", ag.tanh, S.unary(), np.tanh, 2),
    Case("sinh", ag.sinh, S.unary(), np.sinh, 2),
    Case("cosh", ag.cosh, S.unary(), np.cosh, 2),
    Case("arctan", ag.arctan, S.unary(), np.arctan, 2),
    Case("erf", ag.erf, S.unary(), _scipy_erf, 2),
    # -- activations ------------------------------------------------------------------------------------
    Case("sigmoid", ag.sigmoid, S.unary(), _np_sigmoid, 2),
    Case("relu", ag.relu, S.unary("away0"), lambda x: np.maximum(x, 0), 2),
    Case("softplus", ag.softplus, S.unary(), lambda x: np.log1p(np.exp(x)), 2),
    Case("elu", ag.elu, S.unary("away0"), _np_elu, 2),
    Case("elu_alpha", lambda x: ag.elu(x, alpha=0.5), S.unary("away0"), lambda x: _np_elu(x, 0.5), 2),
    Case("selu", ag.selu, S.unary("away0"), lambda x: _SELU[1] * _np_elu(x, _SELU[0]), 2),
    Case("leaky_relu", lambda x: ag.leaky_relu(x, alpha=0.3), S.unary("away0"),
         lambda x: np.where(x > 0, x, 0.3 * x), 2),
    Case("gelu", ag.gelu, S.unary(), _np_gelu, 2),
    Case("gelu_tanh", lambda x: ag.gelu(x, approximate=True), S.unary(),
         lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))), 2),
    Case("swish", ag.swish, S.unary(), lambda x: x * _np_sigmoid(x), 2),
    Case("hard_sigmoid", ag.hard_sigmoid, S.unary(), lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    # -- selection --------------------------------------------------------------------------------------
    Case("clip", lambda x: ag.clip(x, -0.5, 1.0), S.unary("grid_a"), lambda x: np.clip(x, -0.5, 1.0), 2),
    Case("clip_one_sided", lambda x: ag.clip(x, None, 0.5), S.unary("grid_a"), lambda x: np.minimum(x, 0.5)),
    Case("where", lambda a, b, cond: ag.where(cond, a, b), S.where_args(),
         lambda a, b, cond: np.where(cond, a, b), 2),
    # -- reductions -------------------------------------------------------------------------------------
    Case("sum", ag.sum, S.reduction(min_side=0), np.sum, 2),
    Case("mean", ag.mean, S.reduction(), np.mean, 2),
    Case("var", ag.var, S.reduction(min_side=2, min_dims=1, ddof=True), np.var, 2),
    Case("std", ag.std, S.reduction("distinct", min_side=2, min_dims=1), np.std, 2),
    Case("prod", ag.prod, S.reduction("away0"), np.prod, 2),
    Case("max", ag.max, S.reduction("distinct"), np.max),
    Case("min", ag.min, S.reduction("distinct"), np.min),
    Case("logsumexp", ag.logsumexp, S.reduction(), _np_lse, 2),
    Case("norm", lambda x, axis, keepdims: ag.norm(x, axis=axis, keepdims=keepdims), S.reduction("away0"),
         lambda x, axis, keepdims: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)), 2),
    Case("cumsum", ag.cumsum, S.along_axis(), np.cumsum, 2),
    Case("cumsum_flat", ag.cumsum, S.unary(min_side=1), np.cumsum, 2),
    Case("cumprod", ag.cumprod, S.along_axis(), np.cumprod, 2),
    Case("softmax", ag.softmax, S.along_axis(), _np_softmax, 2),
    Case("log_softmax", ag.log_softmax, S.along_axis(), lambda x, axis: np.log(_np_softmax(x, axis)), 2),
    # -- shape ------------------------------------------------------------------------------------------
    Case("astype", lambda x: ag.astype(ag.astype(x, np.longdouble) * 3.0, x.dtype), S.unary(),
         lambda x: x * 3.0, 2),
    Case("reshape", ag.reshape, S.reshaped(), np.reshape, 2),
    Case("transpose", ag.transpose, S.permutation(), np.transpose, 2),
    Case("T", lambda x: x.T, S.unary(), lambda x: x.T, 2),
    Case("swapaxes", lambda x, a, b: ag.swapaxes(x, a, b), S.two_axes(), lambda x, a, b: np.swapaxes(x, a, b), 2),
    Case("moveaxis", lambda x, a, b: ag.moveaxis(x, a, b), S.two_axes(), lambda x, a, b: np.moveaxis(x, a, b), 2),
    Case("expand_dims", lambda x, axis: ag.expand_dims(x, axis), S.new_axis(),
         lambda x, axis: np.expand_dims(x, axis)),
    Case("squeeze", ag.squeeze, S.unary(), np.squeeze, 2),
    Case("broadcast_to", ag.broadcast_to, S.broadcast_target(), np.broadcast_to, 2),
    Case("sum_to", ag.sum_to, S.summed_to(), None, 2),
    Case("concatenate", lambda *xs, axis: ag.concatenate(xs, axis=axis), S.joined(),
         lambda *xs, axis: np.concatenate(xs, axis=axis), 2),
    Case("stack", lambda *xs, axis: ag.stack(xs, axis=axis), S.joined(same_shape=True),
         lambda *xs, axis: np.stack(xs, axis=axis), 2),
    Case("split", _ag_split, S.split_args(), _np_split, 2),
    Case("pad", ag.pad, S.padded(), np.pad, 2),
    Case("repeat", ag.repeat, S.repeated(), np.repeat, 2),
    Case("tile", ag.tile, S.tiled(), np.tile, 2),
    Case("flip", ag.flip, S.flipped(), np.flip, 2),
    Case("take", ag.take, S.taken(), np.take, 2),
    Case("getitem_basic", lambda x, index: x[index], S.basic_index(), lambda x, index: x[index], 2),
    Case("getitem_advanced", lambda x, index: x[index], S.advanced_index(), lambda x, index: x[index], 2),
    Case("iteration", lambda x: ag.stack([r * (i + 1) for i, r in enumerate(x)]) if len(x) else x,
         S.unary(min_dims=1, min_side=1), lambda x: x * (np.arange(len(x)) + 1.0).reshape((-1,) + (1,) * (x.ndim - 1)),
         2),
    # -- products ---------------------------------------------------------------------------------------
    Case("matmul", ag.matmul, S.matmul_pair(), np.matmul, 2),
    Case("matmul_operator", lambda a, b: a @ b, S.matmul_pair(), np.matmul, 2),
    Case("dot", ag.dot, S.dot_pair(), np.dot, 2),
    Case("tensordot", ag.tensordot, S.tensordot_pair(), np.tensordot, 2),
    Case("outer", ag.outer, S.binary(min_side=1), np.outer, 2),
    Case("inner", ag.inner, S.inner_pair(), np.inner, 2),
    Case("einsum", lambda *xs, spec: ag.einsum(spec, *xs), S.einsum_case(),
         lambda *xs, spec: np.einsum(spec, *xs), 2),
    # -- linear algebra (ag.linalg): references tests/autograd/research_cases.py ---------------------------
    Case("linalg.inv", ag.linalg.inv, SR.square(), np.linalg.inv, 2),
    Case("linalg.solve", ag.linalg.solve, SR.solve_args(), np.linalg.solve, 2),
    Case("linalg.triangular_solve", R.ag_triangular, SR.triangular_args(), R.np_triangular, 2),
    Case("linalg.cholesky", ag.linalg.cholesky, SR.square("spd", option="upper"), R.np_cholesky, 2),
    Case("linalg.cho_solve", R.ag_cho_solve, SR.cho_solve_args(), R.np_cho_solve, 2),
    Case("linalg.det", ag.linalg.det, SR.square(), np.linalg.det, 2),
    Case("linalg.slogdet", R.ag_slogdet, SR.square(), R.np_slogdet, 2),
    Case("linalg.eigh", R.ag_eigh, SR.square("distinct", option="UPLO"), R.np_eigh, 2),
    Case("linalg.eigvalsh", ag.linalg.eigvalsh, SR.square("distinct", option="UPLO"), np.linalg.eigvalsh, 2),
    Case("linalg.svd", R.ag_svd, SR.rect(option="full_matrices"), R.np_svd, 2),
    Case("linalg.svdvals", ag.linalg.svdvals, SR.rect(), lambda a: np.linalg.svd(a, compute_uv=False), 2),
    Case("linalg.qr", R.ag_qr, SR.rect(option="mode"), R.np_qr, 2),
    Case("linalg.pinv", ag.linalg.pinv, SR.rect(), np.linalg.pinv, 2),
    Case("linalg.lstsq", R.ag_lstsq, SR.lstsq_args(), R.np_lstsq, 2),
    Case("linalg.norm", ag.linalg.norm, SR.norm_args(), np.linalg.norm, 2),
    Case("linalg.matrix_power", ag.linalg.matrix_power, SR.matrix_power_args(), np.linalg.matrix_power, 2),
    Case("linalg.expm", ag.linalg.expm, SR.square("expm"), _sl.expm, 2),
    Case("linalg.trace", ag.linalg.trace, SR.diagonal_args(last_two=True),
         lambda x, offset: np.trace(x, offset, -2, -1), 2),
    Case("linalg.diagonal", ag.linalg.diagonal, SR.diagonal_args(last_two=True),
         lambda x, offset: np.diagonal(x, offset, -2, -1), 2),
    Case("trace", _ag_trace, SR.diagonal_args(), np.trace, 2),
    Case("diagonal", ag.diagonal, SR.diagonal_args(), np.diagonal, 2),
    # -- special functions (ag.special), against scipy.special ------------------------------------------
    Case("special.gammaln", ag.special.gammaln, SR.special_unary("gamma"), _sp.gammaln, 2),
    Case("special.digamma", ag.special.digamma, SR.special_unary("psi"), _sp.digamma, 2),
    Case("special.polygamma", lambda x, n: ag.special.polygamma(n, x), SR.special_unary("psi", n=st.integers(1, 3)),
         lambda x, n: _sp.polygamma(n, x), 2),
    Case("special.erfinv", ag.special.erfinv, SR.special_unary("open_unit"), _sp.erfinv, 2),
    Case("special.erfc", ag.special.erfc, SR.special_unary("wide"), _sp.erfc, 2),
    Case("special.log_ndtr", ag.special.log_ndtr, SR.special_unary("wide"), _sp.log_ndtr, 2),
    Case("special.ndtr", ag.special.ndtr, SR.special_unary("wide"), _sp.ndtr, 2),
    Case("special.ndtri", ag.special.ndtri, SR.special_unary("probability"), _sp.ndtri, 2),
    Case("special.logit", ag.special.logit, SR.special_unary("probability"), _sp.logit, 2),
    Case("special.expit", ag.special.expit, S.unary(), _sp.expit, 2),
    Case("special.xlogy", ag.special.xlogy, S.binary("real", "positive"), _sp.xlogy, 2),
    Case("special.xlog1py", ag.special.xlog1py, S.binary("real", "positive"), _sp.xlog1py, 2),
    Case("special.logsumexp_b", lambda a, b, **kw: ag.special.logsumexp(a, b=b, **kw), SR.logsumexp_args(),
         lambda a, b, **kw: _sp.logsumexp(a, b=b, **kw), 2),
    Case("logsumexp_b", lambda a, b, **kw: ag.logsumexp(a, b=b, **kw), SR.logsumexp_args(),
         lambda a, b, **kw: _sp.logsumexp(a, b=b, **kw), 2),
    Case("special.logsumexp_sign", R.ag_logsumexp_signed, SR.logsumexp_args(signed=True), R.np_logsumexp_signed, 2),
    # -- complex values (HIPS autograd's convention): rows take real and imaginary parts, return both -----
    Case("complex.exp", *R.complex_unary(ag.exp, np.exp, SR.complex_parts(S.unary()))),
    Case("complex.log", *R.complex_unary(ag.log, np.log, SR.complex_parts(S.unary("positive")))),
    Case("complex.sqrt", *R.complex_unary(ag.sqrt, np.sqrt, SR.complex_parts(S.unary("positive")))),
    Case("complex.sin", *R.complex_unary(ag.sin, np.sin, SR.complex_parts(S.unary()))),
    Case("complex.tanh", *R.complex_unary(ag.tanh, np.tanh, SR.complex_parts(S.unary("unit"), "unit"))),
    Case("complex.reciprocal", *R.complex_unary(ag.reciprocal, np.reciprocal, SR.complex_parts(S.unary("away0")))),
    Case("complex.square", *R.complex_unary(ag.square, np.square, SR.complex_parts(S.unary()))),
    Case("complex.power", *R.complex_unary(lambda z: z ** 2.5, lambda z: z ** 2.5,
                                           SR.complex_parts(S.unary("positive")))),
    Case("complex.abs", *R.complex_unary(ag.abs, np.abs, SR.complex_parts(S.unary("away0")))),
    Case("complex.angle", *R.complex_unary(ag.angle, np.angle, SR.complex_parts(S.unary("positive")))),
    Case("complex.conj", *R.complex_unary(ag.conj, np.conj, SR.complex_parts(S.unary()))),
    Case("complex.multiply", *R.complex_binary(ag.multiply, np.multiply, SR.complex_parts(S.binary()))),
    Case("complex.divide", *R.complex_binary(ag.divide, np.divide, SR.complex_parts(S.binary("real", "away0")))),
    Case("complex.matmul", *R.complex_binary(ag.matmul, np.matmul, SR.complex_parts(S.matmul_pair()))),
    Case("complex.sum", R.ag_complex_sum, SR.complex_parts(S.reduction()), R.np_complex_sum, 2),
    # -- FFTs (ag.fft), against np.fft --------------------------------------------------------------------
    Case("fft.fft", *R.fft_row(ag.fft.fft, np.fft.fft, SR.fft_args())),
    Case("fft.fft_real_input", *R.fft_row(ag.fft.fft, np.fft.fft, SR.fft_args(False), complex_in=False)),
    Case("fft.ifft", *R.fft_row(ag.fft.ifft, np.fft.ifft, SR.fft_args())),
    Case("fft.rfft", *R.fft_row(ag.fft.rfft, np.fft.rfft, SR.fft_args(False), complex_in=False)),
    Case("fft.irfft", *R.fft_row(ag.fft.irfft, np.fft.irfft, SR.fft_args(half_spectrum=True), complex_out=False)),
    Case("fft.fft2", *R.fft_row(ag.fft.fft2, np.fft.fft2, SR.fft_args(two_d=True))),
    Case("fft.ifft2", *R.fft_row(ag.fft.ifft2, np.fft.ifft2, SR.fft_args(two_d=True))),
    Case("fft.rfft2", *R.fft_row(ag.fft.rfft2, np.fft.rfft2, SR.fft_args(False, two_d=True), complex_in=False)),
    Case("fft.irfft2", *R.fft_row(ag.fft.irfft2, np.fft.irfft2, SR.fft_args(two_d=True, half_spectrum=True),
                                  complex_out=False)),
    # depthwise (groups == channels: its own tap-by-tap kernels); reference in tests/autograd/test_nn_ops.py
    Case("depthwise_conv2d", ag.depthwise_conv2d, S.depthwise_conv2d_args(), None, 2),
    # -- volumetric (3-d) windows: references in tests/autograd/test_nn3d_ops.py --------------------------
    Case("conv3d", ag.conv3d, S.conv3d_args(), None, 2),
    Case("conv3d_transpose", ag.conv3d_transpose, S.conv3d_transpose_args(), None, 2),
    Case("max_pool3d", ag.max_pool3d, S.pool3d_args("distinct"), None, 2),
    Case("avg_pool3d", ag.avg_pool3d, S.pool3d_args(), None, 2),
    Case("upsample3d", ag.upsample3d, S.upsample3d_args(), None, 2),
    Case("conv3d_backward", _conv3d_backward, S.conv3d_args(), None, 2),
    Case("pool3d_backward", _pool3d_backward, S.pool3d_args("distinct"), None, 2),
    # -- fused ------------------------------------------------------------------------------------------
    Case("scaled_dot_product_attention", ag.scaled_dot_product_attention, S.attention_args(), _np_attention, 2),
    Case("attention_trainable_scale", lambda q, k, v, s, **kw: ag.scaled_dot_product_attention(q, k, v, scale=s, **kw),
         S.attention_args(with_scale_input=True), lambda q, k, v, s, **kw: _np_attention(q, k, v, scale=s, **kw), 2),
    Case("layer_norm", _ag_layer_norm, S.layer_norm_args(), _np_layer_norm, 2),
    Case("ctc_loss", lambda x, **kw: ag.ctc_loss(x, **kw), S.ctc_args(), None, 2),
    # rounding to float64 is the identity: the line checks the rules' plumbing (test_mixed_precision.py: bfloat16)
    Case("round_to_precision", lambda x: ag.round_to_precision(x, "float64") * x, S.unary(), np.square, 2),
    Case("attention_dropout", lambda q, k, v, **kw: ag.scaled_dot_product_attention(
        q, k, v, dropout_rate=0.4, rng=np.random.default_rng(5), **kw), S.attention_args(), None, 2),
    # -- images -------------------------------------------------------------------------------------------
    Case("resize", ag.resize, S.resized(), None, 2),
    Case("image_transform", ag.image_transform, S.transformed(), None, 2),
    # -- neural-network ops and the backward primitives their vjps call ---------------------------------
    Case("conv2d", ag.conv2d, S.conv_args(), _np_conv2d, 2),
    Case("conv2d_bias_relu", lambda x, k, b, **kw: ag.conv2d(x, k, bias=b, activation="relu", **kw),
         S.conv_args(bias=True, domain="away0"), _np_conv2d_relu, 2),
    Case("dense_bias_relu", lambda x, k, b: ag.dense(x, k, b, "relu"), S.dense_args(), _np_dense_relu, 2),
    Case("conv2d_kernel_grad", _conv_kernel_grad, S.conv_grad_args("image"), None, 2),
    Case("conv2d_input_grad", _conv_input_grad, S.conv_grad_args("cotangent"), None, 2),
    Case("max_pool2d", ag.max_pool2d, S.pool_args(), _np_max_pool, 2),
    Case("avg_pool2d", ag.avg_pool2d, S.pool_args("real"), _np_avg_pool, 2),
    Case("max_pool_grad", lambda x, gy, **kw: _pool_grad(_nn._max_pool_grad_prim, x, gy, **kw),
         S.pool_args(cotangent=True), None, 2),
    Case("max_pool_select", lambda x, **kw: _max_pool_select(x * 2.0 + 1.0, x, **kw), S.pool_args(), None, 2),
    Case("avg_pool_grad", lambda x, gy, **kw: _pool_grad(_nn._avg_pool_grad_prim, x, gy, **kw),
         S.pool_args("real", cotangent=True), None, 2),
    Case("embedding", lambda p, ids: ag.embedding(p, ids), S.embedding_args(),
         lambda p, ids: np.take(p, ids, axis=0), 2),
    Case("embedding_grad", lambda gy, ids, vocab: apply(_nn._embedding_grad_prim, (gy, ids, vocab), {}),
         S.embedding_args(cotangent=True), _np_embedding_grad, 2),
    Case("softmax_cross_entropy", lambda z, y, axis: ag.softmax_cross_entropy(z, y, axis=axis), S.class_scores(),
         lambda z, y, axis: -np.sum(y * _np_log_softmax(z, axis), axis=axis), 2),
    Case("sparse_softmax_cross_entropy", lambda z, labels, axis: ag.sparse_softmax_cross_entropy(z, labels, axis),
         S.class_scores("sparse"), _np_sparse_ce, 2),
    Case("sigmoid_cross_entropy", ag.sigmoid_cross_entropy, S.class_scores("sigmoid"),
         lambda x, z: np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))), 2),
    Case("lstm_sequence", _lstm, S.sequence_args(4), None, 2),
    Case("lstm_sequence_masked", _lstm, S.sequence_args(4, masked=True), None, 2),
    Case("gru_sequence", _gru, S.sequence_args(3, lambda u: (2, 3 * u)), None, 2),
    Case("gru_sequence_reset_before", _gru, S.sequence_args(3, masked=True), None, 2),
    Case("gru_sequence_masked", _gru, S.sequence_args(3, lambda u: (2, 3 * u), masked=True), None, 2),
    Case("simple_rnn_sequence", _simple_rnn, S.sequence_args(1, masked=True), None, 2),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
@given(data=st.data())
def test_gradient_matches_numerical(case, data):
    arrays, kwargs = data.draw(case.args, label="inputs and options")

    def f(*xs):
        return case.fn(*xs, **kwargs)

    if case.ref is not None:
        out = f(*[ag.tensor(a) for a in arrays])
        np.testing.assert_allclose(out.numpy(), case.ref(*arrays, **kwargs), rtol=1e-9, atol=1e-12)
    assert ag.gradcheck(f, *arrays, order=case.order)


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=5)
@given(data=st.data())
def test_float32_stays_float32(case, data):
    arrays, kwargs = data.draw(case.args, label="inputs and options")
    xs = [ag.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    out = case.fn(*xs, **kwargs)
    assert out.dtype == np.float32
    if out.requires_grad:
        grads = ag.gradients(out, xs, grad_outputs=np.ones(out.shape, np.float32))
        assert [g.dtype for g in grads] == [np.float32] * len(xs)
        assert [g.shape for g in grads] == [x.shape for x in xs]
