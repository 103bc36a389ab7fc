"""The GRU's fast path: input projection, recurrence and backward through time in one primitive.

``gru_sequence`` takes this path for Keras's default GRU (tanh and sigmoid, ``reset_after=True``, no
mask, no dropout). As ``lstm_fused.py`` for the LSTM:

- the input is laid out time-major once, with a column of ones so that the input bias (and the update
  and reset gates' recurrent bias, which adds to the same pre-activations) rides in the projection's
  matmul;
- the projection is one batched matmul straight into gate-major blocks (3, T, n, units), gate order
  z, r, h, so every per-step ufunc runs on contiguous (n, units) blocks;
- each step does one batched recurrent matmul over the three (units, units) gate kernels, written into
  a buffer that keeps h R_h + b_rh for the backward;
- the outputs and the final state are views of one time-major state buffer;
- every gate gradient of a step is the incoming gradient times a factor that does not depend on it: the
  backward computes the factors for all steps at once, so each step is one multiply over five blocks,
  one batched matmul and two adds;
- the input, kernel and bias gradients are one batched matmul over the z, r, h blocks and the recurrent
  kernel's one over the h, z, r blocks, put back into Keras's column order afterwards (a small copy).

Example:
    >>> x = np.random.rand(8, 20, 5).astype("float32")
    >>> W, R, b = (np.random.rand(5, 48), np.random.rand(16, 48), np.zeros((2, 48)))
    >>> outputs, h = gru_fused_sequence(x, None, W.astype("f"), R.astype("f"), b.astype("f"))
    >>> outputs.shape, h.shape
    ((8, 20, 16), (8, 16))
"""
import numpy as np

from ..batching import dtype_of, shape_of
from ..modes import STATE
from ..primitive import Primitive, apply, defvjp
from ..tensor import make_leaf
from ._fused_rnn import (fused_rules, fused_vjps, gate_major, output_cotangents, single_threaded_blas,
                         time_major_input)
from ._make import raw
from .recurrent import _GRUCell, _graph_scan, _project
from .shape import getitem, transpose

__all__ = ["gru_fused_sequence"]

# NOTE: sigmoid(z) = 0.5 tanh(z / 2) + 0.5: with the update and reset gates' columns of W, b and R halved
# (exact: a power of two) both gates are one tanh over two contiguous blocks and one affine map.
_SCALE = (0.5, 0.5, 1.0)
_UNSCALED = (1.0, 1.0, 1.0)
#: the recurrent side's gradient blocks are in the order h, z, r (then the input side's z, r, h follow
#: them in one buffer, sharing z and r: see _backward)
_REC_ORDER = (2, 0, 1)


@single_threaded_blas
def _forward(x, h0, kernel, recurrent_kernel, bias, reverse=False, saved=None):
    """Run the GRU; returns (T + 1, n, units) time-major: the outputs in processing order, then the
    final h (a view of the state buffer)."""
    dtype = np.result_type(x, kernel, recurrent_kernel, h0)
    x, h0, kernel, R = (a.astype(dtype, copy=False) for a in (x, h0, kernel, recurrent_kernel))
    n, steps, _ = x.shape
    u = R.shape[0]
    xa = time_major_input(x, reverse, bias is not None)
    brh = None
    if bias is None:
        wa = kernel
    else:
        b = bias.astype(dtype, copy=False)
        # NOTE: the update and reset gates add the recurrent bias to the same pre-activation as the input
        # bias, so both ride in the ones row; the candidate's recurrent bias is multiplied by r first and
        # is added to h R_h each step. (The sums' order differs from x W + b_in + (h R + b_rec) by rounding.)
        folded = b[0].copy()
        folded[:2 * u] += b[1, :2 * u]
        wa = np.concatenate([kernel, folded[None]], axis=0)
        brh = b[1, 2 * u:]
    G = np.matmul(xa, gate_major(wa, u, _SCALE)).reshape(3, steps, n, u)   # pre-activations, then gates
    R3 = gate_major(R, u, _SCALE)
    H = np.empty((steps + 2, n, u), dtype)    # h_0 .. h_T, then the final h (the output's tail)
    H[0] = h0
    REC = np.empty((3, steps, n, u), dtype)   # h R (+ b_rh for the candidate: what the reset gate multiplies)
    tmp = np.empty((n, u), dtype)
    for k in range(steps):
        rec = REC[:, k]
        np.matmul(H[k], R3, out=rec)
        zr = G[:2, k]
        zr += rec[:2]
        np.tanh(zr, out=zr)
        zr *= 0.5
        zr += 0.5
        rph = rec[2]
        if brh is not None:
            rph += brh
        hh = G[2, k]
        np.multiply(zr[1], rph, out=tmp)
        hh += tmp
        np.tanh(hh, out=hh)
        # h' = z h + (1 - z) hh, computed as hh + z (h - hh)
        np.subtract(H[k], hh, out=H[k + 1])
        H[k + 1] *= zr[0]
        H[k + 1] += hh
    H[steps + 1] = H[steps]
    if saved is not None:
        saved.update(xa=xa, G=G, REC=REC, H=H, kernel=kernel, R=R, dtype=dtype, with_bias=bias is not None)
    return H[1:]


@single_threaded_blas
def _backward(g, saved, reverse, need):
    """Gradients for (x, h0, kernel, recurrent_kernel, bias) from the output's cotangent ``g``
    (T + 1, n, units); None where ``need`` is False."""
    xa, G, REC, H = (saved[k] for k in ("xa", "G", "REC", "H"))
    kernel, R, dtype = saved["kernel"], saved["R"], saved["dtype"]
    _, steps, n, u = G.shape
    go, per_step, dh = output_cotangents(g, steps, dtype)
    z, r, hh, rph = G[0], G[1], G[2], REC[2]
    # NOTE: every gate gradient of a step is dh (the gradient of its output h') times a factor that does
    # not depend on dh, so the factors are computed for all steps at once and each step of the recurrence
    # is one multiply, one batched matmul and two adds. With B = (1 - z)(1 - hh^2) (dh -> the candidate's
    # pre-activation) and z' = z (1 - z), r' = r (1 - r), the blocks are, in order:
    #   0: B r                (the candidate's recurrent side, h R_h + b_rh)
    #   1: (h - hh) z'        (the update gate)
    #   2: B (h R_h + b_rh) r' (the reset gate)
    #   3: B                  (the candidate's input side)
    #   4: z                  (h' = z h + ...: the direct path)
    # so blocks 0-2 feed the recurrent matmul and blocks 1-3 the input-side gradients.
    K = np.empty((5, steps, n, u), dtype)
    tmp = np.empty((steps, n, u), dtype)
    np.subtract(1.0, z, out=K[3])
    np.multiply(z, K[3], out=K[1])
    np.subtract(H[:steps], hh, out=tmp)
    K[1] *= tmp
    np.multiply(hh, hh, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    K[3] *= tmp
    np.multiply(K[3], r, out=K[0])
    np.subtract(1.0, r, out=tmp)
    tmp *= r
    tmp *= rph
    np.multiply(tmp, K[3], out=K[2])
    np.copyto(K[4], z)
    R3T = gate_major(R, u, _UNSCALED, _REC_ORDER).transpose(0, 2, 1).copy()
    dZ = np.empty((5, steps, n, u), dtype)
    rec = np.empty((3, n, u), dtype)
    for k in range(steps - 1, -1, -1):
        dz = dZ[:, k]
        np.multiply(dh, K[:, k], out=dz)
        np.matmul(dz[:3], R3T, out=rec)
        np.add.reduce(rec, axis=0, out=dh)
        dh += dz[4]
        if per_step and k:
            dh += go[k - 1]
    m = steps * n
    dZ = dZ.reshape(5, m, u)
    d_in = dZ[1:4]                                 # z, r, h: Keras's column blocks
    grads = [None] * 5
    if need[0]:
        W3T = gate_major(kernel, u, _UNSCALED).transpose(0, 2, 1)
        dx = np.matmul(d_in, W3T).sum(axis=0).reshape(steps, n, -1).transpose(1, 0, 2)
        grads[0] = np.ascontiguousarray(dx[:, ::-1] if reverse else dx)
    grads[1] = dh
    f = kernel.shape[0]
    if need[2] or need[4]:
        dwa = np.matmul(xa.T, d_in).transpose(1, 0, 2).reshape(-1, 3 * u)   # (F [+ 1], 3 units), bias last
        grads[2] = np.ascontiguousarray(dwa[:f]) if saved["with_bias"] else dwa
        if saved["with_bias"]:
            db = np.empty((2, 3 * u), dtype)
            db[0] = dwa[f]
            db[1, :2 * u] = dwa[f, :2 * u]        # the folded recurrent biases of z and r
            np.add.reduce(dZ[0], axis=0, out=db[1, 2 * u:])
            grads[4] = db
    if need[3]:
        dr = np.matmul(H[:steps].reshape(m, u).T, dZ[:3])   # (3, u, u): h, z, r
        full = np.empty((u, 3, u), dtype)
        full[:, list(_REC_ORDER)] = dr.transpose(1, 0, 2)
        grads[3] = full.reshape(u, 3 * u)
    return grads


def _rebuild(args, reverse):
    x, h0, kernel, R, bias = args
    bias_in = None if bias is None else getitem(bias, 0)
    bias_rec = None if bias is None else getitem(bias, 1)
    return _graph_scan(_GRUCell, _project(x, kernel), [h0], R, bias_in, bias_rec, None, reverse, "tanh", "sigmoid",
                       False, True)


_gru_fused_prim = Primitive(_forward, "gru_fused_sequence")
defvjp(_gru_fused_prim, *fused_vjps("gru_fused_sequence", 5, _backward, _rebuild))
fused_rules(_gru_fused_prim, 2, _rebuild)


def gru_fused_sequence(x, h0, kernel, recurrent_kernel, bias=None, go_backwards=False):
    """Keras's default GRU (tanh, sigmoid, reset_after=True; no mask, no dropout) over a whole sequence,
    unchecked: ``gru_sequence`` validates the arguments and calls this. ``bias`` is (2, 3 * units)
    (input bias, recurrent bias) or None; ``h0`` None means zeros.

    Returns (outputs (batch, timesteps, units) in processing order, final h).

    Example:
        >>> outs, h = gru_fused_sequence(np.ones((2, 5, 3)), None, np.ones((3, 6)), np.ones((2, 6)))
        >>> outs.shape, h.shape
        ((2, 5, 2), (2, 2))
    """
    n, steps = shape_of(x)[:2]
    units = shape_of(recurrent_kernel)[0]
    if h0 is None:
        h0 = make_leaf(np.zeros((n, units), np.result_type(dtype_of(x), dtype_of(kernel))))
    opts = {"reverse": bool(go_backwards), "saved": {} if STATE.grad_enabled else None}
    packed = apply(_gru_fused_prim, (x, h0, kernel, recurrent_kernel, bias), opts)
    return transpose(getitem(packed, slice(0, steps)), (1, 0, 2)), getitem(packed, steps)
