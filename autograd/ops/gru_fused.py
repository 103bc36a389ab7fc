"""The GRU's fast path: input projection, recurrence and backward through time in one primitive.

``gru_sequence`` takes this path for Keras's default GRU (tanh and sigmoid, ``reset_after=True``, no
mask, no dropout). As ``lstm_fused.py`` for the LSTM:

- the input is laid out time-major once, with a column of ones so that the input bias (and the update
  and reset gates' recurrent bias, which adds to the same pre-activations) rides in the projection's
  matmul;
- the projection is one batched matmul straight into gate-major blocks (3, T, n, units), gate order
  z, r, h, so every per-step ufunc runs on contiguous (n, units) blocks;
- each step does one batched recurrent matmul over the three (units, units) gate kernels;
- the outputs and the final state are views of one time-major state buffer;
- the gate gradients are gathered once into Keras's (T n, 3 units) column order, so the input, kernel,
  recurrent kernel and bias gradients are one plain matmul each.

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
from ._fused_rnn import fused_rules, fused_vjps, gate_major, output_cotangents, time_major_input
from ._make import raw
from .recurrent import _GRUCell, _graph_scan, _project
from .shape import getitem, transpose

__all__ = ["gru_fused_sequence"]

# NOTE: sigmoid(z) = 0.5 tanh(z / 2) + 0.5: with the update and reset gates' columns of W, b and R halved
# (exact: a power of two) both gates are one tanh over two contiguous blocks and one affine map.
_SCALE = (0.5, 0.5, 1.0)
#: d sigmoid(z) / dz = 0.25 (1 - tanh(z / 2) ** 2); the 0.25 for the two sigmoid gate blocks
_DERIV_SCALE = (0.25, 0.25, 1.0)


def _forward(x, h0, kernel, recurrent_kernel, bias, reverse=False, saved=None):
    """Run the GRU; returns (T + 1, n, units) time-major: the outputs in processing order, then the
    final h (a view of the state buffer)."""
    dtype = np.result_type(x, kernel, recurrent_kernel, h0)
    x, h0, kernel, R = (a.astype(dtype, copy=False) for a in (x, h0, kernel, recurrent_kernel))
    n, steps, _ = x.shape
    u = R.shape[0]
    train = saved is not None
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
    rph = np.empty((steps, n, u), dtype)      # h R_h + b_rh, what the reset gate multiplies
    rec = np.empty((3, n, u), dtype)
    tmp = np.empty((n, u), dtype)
    deriv = np.empty((3, steps, n, u), dtype) if train else None
    for k in range(steps):
        np.matmul(H[k], R3, out=rec)
        zr = G[:2, k]
        zr += rec[:2]
        np.tanh(zr, out=zr)
        if train:
            # 1 - tanh ** 2: 4x the update and reset gates' derivatives (the 0.25 is applied in backward)
            d = deriv[:2, k]
            np.multiply(zr, zr, out=d)
            np.subtract(1.0, d, out=d)
        zr *= 0.5
        zr += 0.5
        if brh is None:
            np.copyto(rph[k], rec[2])
        else:
            np.add(rec[2], brh, out=rph[k])
        hh = G[2, k]
        np.multiply(zr[1], rph[k], out=tmp)
        hh += tmp
        np.tanh(hh, out=hh)
        if train:
            d = deriv[2, k]
            np.multiply(hh, hh, out=d)
            np.subtract(1.0, d, out=d)
        # h' = z h + (1 - z) hh, computed as hh + z (h - hh)
        np.subtract(H[k], hh, out=H[k + 1])
        H[k + 1] *= zr[0]
        H[k + 1] += hh
    H[steps + 1] = H[steps]
    if train:
        saved.update(xa=xa, G=G, deriv=deriv, rph=rph, H=H, kernel=kernel, R=R, dtype=dtype,
                     with_bias=bias is not None)
    return H[1:]


def _backward(g, saved, reverse, need):
    """Gradients for (x, h0, kernel, recurrent_kernel, bias) from the output's cotangent ``g``
    (T + 1, n, units); None where ``need`` is False."""
    xa, G, deriv, rph, H = (saved[k] for k in ("xa", "G", "deriv", "rph", "H"))
    kernel, R, dtype = saved["kernel"], saved["R"], saved["dtype"]
    steps, n, u = rph.shape
    go, per_step, dh = output_cotangents(g, steps, dtype)
    # NOTE: ``deriv`` holds the update and reset gates' derivative without its 0.25, so their gradients
    # below are 4x the true ones; the 0.25 is applied where they are used (R3T for dh, and the gather
    # for the parameter gradients). A power of two moves between factors without rounding.
    R3T = gate_major(R, u, _DERIV_SCALE).transpose(0, 2, 1).copy()
    # per step: the pre-activation gradients of z and r, of the candidate's recurrent part (r times the
    # candidate's) and of the candidate's input part; blocks 0-2 feed h R, blocks 0, 1, 3 feed x W
    dZ = np.empty((4, steps, n, u), dtype)
    rec = np.empty((3, n, u), dtype)
    tmp = np.empty((n, u), dtype)
    for k in range(steps - 1, -1, -1):
        z, r, hh, dz = G[0, k], G[1, k], G[2, k], dZ[:, k]
        np.subtract(H[k], hh, out=tmp)
        np.multiply(dh, tmp, out=dz[0])            # z (times h - hh)
        np.subtract(1.0, z, out=dz[3])
        dz[3] *= dh
        dz[3] *= deriv[2, k]                       # the candidate's pre-activation
        np.multiply(dz[3], rph[k], out=dz[1])      # r (times h R_h + b_rh)
        dz[:2] *= deriv[:2, k]
        np.multiply(dz[3], r, out=dz[2])           # through r * (h R_h + b_rh)
        np.multiply(dh, z, out=tmp)                # h' = z h + ...: the direct path
        dh = np.matmul(dz[:3], R3T, out=rec).sum(axis=0)
        dh += tmp
        if per_step and k:
            dh += go[k - 1]
    # NOTE: one gather of the input-side gate gradients into Keras's (T n, 3 units) column order makes the
    # input, kernel and input-bias gradients one matmul each; the recurrent side shares its z and r blocks.
    m = steps * n
    dx_keras = np.empty((m, 3, u), dtype)
    for col, (blk, scale) in enumerate(((0, 0.25), (1, 0.25), (3, 1.0))):
        np.multiply(dZ[blk].reshape(m, u), scale, out=dx_keras[:, col])
    dx_keras = dx_keras.reshape(m, 3 * u)
    d_hrec = dZ[2].reshape(m, u)                  # the candidate's recurrent-side gradient (scale 1)
    grads = [None] * 5
    if need[0]:
        dx = (dx_keras @ kernel.T).reshape(steps, n, -1).transpose(1, 0, 2)
        grads[0] = np.ascontiguousarray(dx[:, ::-1] if reverse else dx)
    grads[1] = dh
    f = kernel.shape[0]
    if need[2] or need[4]:
        dwa = xa.T @ dx_keras                     # (F [+ 1], 3 units): the input bias's gradient last
        grads[2] = np.ascontiguousarray(dwa[:f]) if saved["with_bias"] else dwa
        if saved["with_bias"]:
            db = np.empty((2, 3 * u), dtype)
            db[0] = dwa[f]
            db[1, :2 * u] = dwa[f, :2 * u]        # the folded recurrent biases of z and r
            db[1, 2 * u:] = np.ones(m, dtype) @ d_hrec
            grads[4] = db
    if need[3]:
        hp = H[:steps].reshape(m, u).T
        dr = np.empty((u, 3 * u), dtype)
        dr[:, :2 * u] = hp @ dx_keras[:, :2 * u]
        dr[:, 2 * u:] = hp @ d_hrec
        grads[3] = dr
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
