"""The LSTM's fast path: input projection, recurrence and backward through time in one primitive.

``lstm_sequence`` takes this path for Keras's default LSTM (tanh and sigmoid, no mask, no dropout),
which is what most models train. Compared with the general scan in ``recurrent.py``:

- the input is laid out time-major once, in a buffer whose row k is [x_k, 1, h_k] (the 1 when there is
  a bias): each step's pre-activations x_k W + b + h_k R are one batched matmul against the stacked
  weights, written straight into gate-major blocks (4, T, n, units) in the internal gate order
  o, i, f, c~, and each step writes h_(k+1) into the next row;
- sigmoid(z) = 0.5 tanh(z / 2) + 0.5: one tanh over all four gate blocks and one affine map on three;
- the backward computes every factor that does not depend on the incoming gradients for all steps at
  once, so each step of the recurrence is five multiplies and one batched matmul;
- the weight gradients (kernel, bias and recurrent kernel) are one matmul of the state buffer against
  the gate gradients, put back into Keras's column order i, f, c, o afterwards (a small copy).

Example:
    >>> x = np.random.rand(8, 20, 5).astype("float32")
    >>> W, R, b = (np.random.rand(5, 64), np.random.rand(16, 64), np.zeros(64))
    >>> outputs, h, c = lstm_fused_sequence(x, None, None, W.astype("f"), R.astype("f"), b.astype("f"))
    >>> outputs.shape, h.shape
    ((8, 20, 16), (8, 16))
"""
import numpy as np

from ..batching import dtype_of, shape_of
from ..modes import STATE
from ..primitive import Primitive, apply, defvjp
from ..tensor import make_leaf
from ._fused_rnn import fused_rules, fused_vjps, gate_major, output_cotangents, single_threaded_blas
from ._make import raw
from .recurrent import _LSTMCell, _graph_scan, _project
from .shape import getitem, transpose

__all__ = ["lstm_fused_sequence"]

#: internal gate block g holds Keras's gate block _PERM[g] (Keras: i, f, c, o; internal: o, i, f, c~): the
#: three sigmoid gates are contiguous for the forward's affine map, and the three gates whose gradients are
#: the cell state's gradient times something (i, f, c~) are contiguous for the backward's one multiply
_PERM = (3, 0, 1, 2)
# NOTE: sigmoid(z) = 0.5 tanh(z / 2) + 0.5, so with the sigmoid gates' columns of W, b and R halved
# (exact: a power of two) each step runs one tanh over all four gate blocks and one affine map on three.
_SCALE = (0.5, 0.5, 0.5, 1.0)
_UNSCALED = (1.0, 1.0, 1.0, 1.0)


def _gate_major(w, units, scale):
    """(rows, 4 units) in Keras's column order -> contiguous (4, rows, units) in internal order, each
    block multiplied by its ``scale``."""
    return gate_major(w, units, scale, _PERM)


@single_threaded_blas
def _forward(x, h0, c0, kernel, recurrent_kernel, bias, reverse=False, saved=None):
    """Run the LSTM; returns (T + 2, n, units) time-major: the outputs in processing order, then the
    final h and the final c."""
    dtype = np.result_type(x, kernel, recurrent_kernel, h0, c0)
    x, h0, c0, kernel, R = (a.astype(dtype, copy=False) for a in (x, h0, c0, kernel, recurrent_kernel))
    n, steps, f = x.shape
    u = R.shape[0]
    # NOTE: row k of XH is [x_k, 1, h_k] (the 1 when there is a bias), so each step's pre-activations
    # x_k W + b + h_k R are one matmul against the stacked weights, written straight into the gate
    # blocks, and the weight gradients later are one matmul against XH too. Step k writes h_(k+1) into
    # row k + 1.
    fa = f + 1 if bias is not None else f
    XH = np.empty((steps + 1, n, fa + u), dtype)
    np.copyto(XH[:steps, :, :f], (x[:, ::-1] if reverse else x).transpose(1, 0, 2))
    if bias is not None:
        XH[:steps, :, f] = 1
    XH[steps, :, :fa] = 0
    XH[0, :, fa:] = h0
    stacked = [kernel, R] if bias is None else [kernel, bias.astype(dtype, copy=False)[None], R]
    WR = _gate_major(np.concatenate(stacked, axis=0), u, _SCALE)    # (4, fa + u, u)
    A = np.empty((4, steps, n, u), dtype)     # the gates' activations, internal order
    C = np.empty((steps + 1, n, u), dtype)    # c_0 .. c_T
    C[0] = c0
    TC = np.empty((steps, n, u), dtype)       # tanh(c_1) .. tanh(c_T)
    for k in range(steps):
        z = A[:, k]
        np.matmul(XH[k], WR, out=z)
        np.tanh(z, out=z)
        s = z[:3]
        s *= 0.5
        s += 0.5
        c, t = C[k + 1], TC[k]
        np.multiply(z[2], C[k], out=c)
        np.multiply(z[1], z[3], out=t)
        c += t
        np.tanh(c, out=t)
        np.multiply(z[0], t, out=XH[k + 1, :, fa:])
    out = np.empty((steps + 2, n, u), dtype)
    out[:steps] = XH[1:, :, fa:]
    out[steps] = XH[steps, :, fa:]
    out[steps + 1] = C[steps]
    if saved is not None:
        saved.update(XH=XH, A=A, C=C, TC=TC, kernel=kernel, R=R, dtype=dtype)
    return out


@single_threaded_blas
def _backward(g, saved, reverse, need):
    """Gradients for (x, h0, c0, kernel, recurrent_kernel, bias) from the output's cotangent ``g``
    (T + 2, n, units); None where ``need`` is False."""
    XH, A, C, TC = (saved[k] for k in ("XH", "A", "C", "TC"))
    kernel, R, dtype = saved["kernel"], saved["R"], saved["dtype"]
    steps, n, u = TC.shape
    f = kernel.shape[0]
    fa = XH.shape[2] - u
    go, per_step, dh = output_cotangents(g, steps, dtype)
    dc = np.array(g[steps + 1], dtype=dtype)
    # NOTE: every factor that does not depend on the incoming gradients is computed for all steps at
    # once, so that each step of the recurrence below is five multiplies and one matmul:
    #   d o   = dh * tanh(c) o'                         (Q)
    #   w     = dh * o (1 - tanh(c)^2) + dc              (P: the cell state's gradient)
    #   d i, d f, d c~ = w * (c~ i', c_prev f', i c~')  (M)
    #   dc    = w * f
    # with o', i', f' = s (1 - s) for the sigmoid gates and c~' = 1 - c~^2.
    D = np.empty((4, steps, n, u), dtype)
    S = A[:3]
    np.subtract(1.0, S, out=D[:3])
    D[:3] *= S
    np.multiply(A[3], A[3], out=D[3])
    np.subtract(1.0, D[3], out=D[3])
    D[0] *= TC
    D[1] *= A[3]
    D[2] *= C[:steps]
    D[3] *= A[1]
    P = np.multiply(TC, TC)
    np.subtract(1.0, P, out=P)
    P *= A[0]
    Q, M, F = D[0], D[1:], A[2]
    R4T = _gate_major(R, u, _UNSCALED).transpose(0, 2, 1).copy()
    dZ = np.empty((4, steps, n, u), dtype)          # gate-major gradients of the pre-activations
    w, rec = np.empty((n, u), dtype), np.empty((4, n, u), dtype)
    for k in range(steps - 1, -1, -1):
        dz = dZ[:, k]
        np.multiply(dh, Q[k], out=dz[0])
        np.multiply(dh, P[k], out=w)
        w += dc
        np.multiply(w, F[k], out=dc)
        np.multiply(w, M[:, k], out=dz[1:])
        np.matmul(dz, R4T, out=rec)
        np.add.reduce(rec, axis=0, out=dh)
        if per_step and k:
            dh += go[k - 1]
    m = steps * n
    dZ = dZ.reshape(4, m, u)
    grads = [None] * 6
    if need[0]:
        W4T = _gate_major(kernel, u, _UNSCALED).transpose(0, 2, 1)
        dx = np.matmul(dZ, W4T).sum(axis=0).reshape(steps, n, f).transpose(1, 0, 2)
        grads[0] = np.ascontiguousarray(dx[:, ::-1] if reverse else dx)
    grads[1], grads[2] = dh, dc
    if need[3] or need[4] or need[5]:
        # one matmul for the kernel, bias and recurrent kernel, then back to Keras's column blocks
        dwr = np.matmul(XH[:steps].reshape(m, fa + u).T, dZ)      # (4, fa + u, u)
        full = np.empty((fa + u, 4, u), dtype)
        full[:, list(_PERM)] = dwr.transpose(1, 0, 2)
        full = full.reshape(fa + u, 4 * u)
        grads[3] = full[:f]
        grads[4] = full[fa:]
        if fa > f:
            grads[5] = full[f]
    return grads


def _rebuild(args, reverse):
    x, h0, c0, kernel, R, bias = args
    return _graph_scan(_LSTMCell, _project(x, kernel), [h0, c0], R, bias, None, None, reverse, "tanh", "sigmoid",
                       False, None)


_lstm_fused_prim = Primitive(_forward, "lstm_fused_sequence")
defvjp(_lstm_fused_prim, *fused_vjps("lstm_fused_sequence", 6, _backward, _rebuild))
fused_rules(_lstm_fused_prim, 3, _rebuild)


def lstm_fused_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, go_backwards=False):
    """Keras's default LSTM (tanh, sigmoid; no mask, no dropout) over a whole sequence, unchecked:
    ``lstm_sequence`` validates the arguments and calls this. ``h0``/``c0`` None mean zeros.

    Returns (outputs (batch, timesteps, units) in processing order, final h, final c).

    Example:
        >>> outs, h, c = lstm_fused_sequence(np.ones((2, 5, 3)), None, None, np.ones((3, 8)), np.ones((2, 8)))
        >>> outs.shape, c.shape
        ((2, 5, 2), (2, 2))
    """
    n, steps = shape_of(x)[:2]
    units = shape_of(recurrent_kernel)[0]
    dtype = np.result_type(dtype_of(x), dtype_of(kernel))
    zeros = None
    if h0 is None or c0 is None:
        zeros = make_leaf(np.zeros((n, units), dtype))
    opts = {"reverse": bool(go_backwards), "saved": {} if STATE.grad_enabled else None}
    packed = apply(_lstm_fused_prim, (x, zeros if h0 is None else h0, zeros if c0 is None else c0, kernel,
                                      recurrent_kernel, bias), opts)
    outputs = transpose(getitem(packed, slice(0, steps)), (1, 0, 2))
    return outputs, getitem(packed, steps), getitem(packed, steps + 1)
