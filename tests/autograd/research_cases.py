"""The functions and numpy / scipy references behind the linear-algebra, special-function, FFT and complex
rows of the gradient table (test_op_gradients.CASES).

Decompositions are checked through gauge-invariant outputs: an eigenvector or singular vector is defined
up to its sign, so the rows compare ``v * v[0]`` (each column scaled by its own first entry) or, for the
SVD, each left vector scaled by the first entry of its right vector and the other way round. Complex
results are compared as their stacked real and imaginary parts, so every row maps real arrays to real
arrays and the table's machinery (finite differences, jvp, vmap, float32) applies unchanged.
"""
import numpy as np
import scipy.linalg as sl
import scipy.special as sp

import autograd as ag


def _loop(fn, *arrays):
    """``fn`` applied matrix by matrix over the broadcast leading axes of (stacks of) matrices / vectors;
    a 1-d array is a shared vector."""
    mats = [a for a in arrays if a.ndim >= 2]
    lead = np.broadcast_shapes(*[a.shape[:-2] for a in mats]) if mats else ()
    outs = []
    for idx in np.ndindex(*lead):
        args = []
        for a in arrays:
            if a.ndim >= 2:
                args.append(np.broadcast_to(a, lead + a.shape[-2:])[idx])
            else:
                args.append(a)
        outs.append(fn(*args))
    return np.array(outs).reshape(lead + np.shape(outs[0])) if lead else outs[0]


# -- linear algebra ------------------------------------------------------------------------------------
def np_cholesky(a, upper=False):
    low = np.linalg.cholesky(np.swapaxes(a, -1, -2) if upper else a)
    return np.swapaxes(low, -1, -2) if upper else low


def ag_triangular(a, b, **kw):
    return ag.linalg.triangular_solve(a, b, **kw)


def np_triangular(a, b, lower, trans, unit_diagonal):
    if b.ndim == 1 and a.ndim > 2:
        return _loop(lambda m: sl.solve_triangular(m, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal), a)
    return _loop(lambda m, r: sl.solve_triangular(m, r, trans=trans, lower=lower, unit_diagonal=unit_diagonal), a, b)


def ag_cho_solve(c, b, lower):
    return ag.linalg.cho_solve((c, lower), b)


def np_cho_solve(c, b, lower):
    if b.ndim == 1 and c.ndim > 2:
        return _loop(lambda m: sl.cho_solve((m, lower), b), c)
    return _loop(lambda m, r: sl.cho_solve((m, lower), r), c, b)


def ag_slogdet(a):
    sign, logabs = ag.linalg.slogdet(a)
    return sign * logabs


def np_slogdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return sign * logabs


def _flat(xp, lead, *parts):
    """The parts flattened over their axes after the stack's ``lead`` axes and joined: (..., total)."""
    return xp.concatenate([xp.reshape(p, lead + (-1,)) for p in parts], axis=-1)


def ag_eigh(a, UPLO="L"):
    w, v = ag.linalg.eigh(a, UPLO)
    return _flat(ag, w.shape[:-1], w, v * v[..., :1, :])


def np_eigh(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO)
    return _flat(np, w.shape[:-1], w, v * v[..., :1, :])


def _svd_invariant(xp, u, s, vh):
    k = s.shape[-1]
    u, vh = u[..., :, :k], vh[..., :k, :]
    return _flat(xp, s.shape[:-1], s, u * xp.swapaxes(vh[..., :, :1], -1, -2), vh * xp.swapaxes(u[..., :1, :], -1, -2))


def ag_svd(a, full_matrices=True):
    return _svd_invariant(ag, *ag.linalg.svd(a, full_matrices=full_matrices))


def np_svd(a, full_matrices=True):
    return _svd_invariant(np, *np.linalg.svd(a, full_matrices=full_matrices))


def _qr_parts(xp, out, a, mode):
    if mode == "r":
        return xp.reshape(out, out.shape[:-2] + (-1,))
    q, r = out
    k = min(a.shape[-2:])
    return _flat(xp, a.shape[:-2], q[..., :, :k], r[..., :k, :])


def ag_qr(a, mode="reduced"):
    return _qr_parts(ag, ag.linalg.qr(a, mode), a, mode)


def np_qr(a, mode="reduced"):
    return _qr_parts(np, np.linalg.qr(a, mode), a, mode)


def ag_lstsq(a, b):
    x, res, rank, s = ag.linalg.lstsq(a, b)
    return ag.concatenate([ag.reshape(x, (-1,)), ag.reshape(res, (-1,)), s])


def np_lstsq(a, b):
    x, res, rank, s = np.linalg.lstsq(a, b)
    return np.concatenate([x.ravel(), res.ravel(), s])


# -- special functions ----------------------------------------------------------------------------------
def ag_logsumexp_signed(a, b, axis, keepdims):
    out, sign = ag.special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    return out * sign


def np_logsumexp_signed(a, b, axis, keepdims):
    out, sign = sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    return out * sign


# -- complex values -------------------------------------------------------------------------------------
def ag_parts(w):
    """A complex result as its real and imaginary parts, stacked on a new last axis."""
    return ag.stack([ag.real(w), ag.imag(w)], axis=-1)


def np_parts(w):
    return np.stack([np.real(w), np.imag(w)], axis=-1)


def complex_unary(ag_op, np_op, strategy):
    """A table row's (function, strategy, reference, order) for an elementwise op of one complex array
    given as (re, im)."""
    return (lambda re, im: ag_parts(ag_op(re + 1j * im)), strategy,
            lambda re, im: np_parts(np_op(re + 1j * im)), 2)


def complex_binary(ag_op, np_op, strategy):
    return (lambda ar, ai, br, bi: ag_parts(ag_op(ar + 1j * ai, br + 1j * bi)), strategy,
            lambda ar, ai, br, bi: np_parts(np_op(ar + 1j * ai, br + 1j * bi)), 2)


def ag_complex_sum(re, im, **kw):
    return ag_parts(ag.sum(re + 1j * im, **kw))


def np_complex_sum(re, im, **kw):
    return np_parts(np.sum(re + 1j * im, **kw))


def fft_row(ag_op, np_op, strategy, complex_in=True, complex_out=True):
    """A table row's (function, strategy, reference, order) for an FFT op: inputs (re, im) or (x,), output
    its parts (complex) or itself (real)."""
    def fn(*parts, **kw):
        x = parts[0] + 1j * parts[1] if complex_in else parts[0]
        out = ag_op(x, **kw)
        return ag_parts(out) if complex_out else out

    def ref(*parts, **kw):
        x = parts[0] + 1j * parts[1] if complex_in else parts[0]
        out = np_op(x, **kw)
        return np_parts(out) if complex_out else out
    return fn, strategy, ref, 2
