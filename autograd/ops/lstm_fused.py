"""The LSTM's fast path: input projection, recurrence and backward through time in one primitive.

``lstm_sequence`` takes this path for Keras's default LSTM (tanh and sigmoid, no mask, no dropout),
which is what most models train. Compared with the general scan in ``recurrent.py`` it saves all but
one copy between layouts:

- the input is laid out time-major once, with a column of ones so that the bias rides in the input
  projection's matmul (and its gradient in the kernel gradient's matmul);
- the projection is one batched matmul straight into gate-major blocks (4, T, n, units), in the
  internal gate order i, f, o, c~, so every per-step ufunc runs on contiguous (n, units) blocks;
- states are written into one time-major buffer whose tail is the op's output, so the outputs, the
  final h and the final c are views of it;
- the gate gradients are gathered once into Keras's (T n, 4 units) column order i, f, c, o, so the
  input, kernel, recurrent kernel and bias gradients are one plain matmul each.

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
from ._fused_rnn import fused_rules, fused_vjps, gate_major, output_cotangents, time_major_input
from ._make import raw
from .recurrent import _LSTMCell, _graph_scan, _project
from .shape import getitem, transpose

__all__ = ["lstm_fused_sequence"]

#: internal gate block g holds Keras's gate block _PERM[g] (Keras: i, f, c, o; internal: i, f, o, c~)
_PERM = (0, 1, 3, 2)
# NOTE: sigmoid(z) = 0.5 tanh(z / 2) + 0.5, so with the sigmoid gates' columns of W, b and R halved
# (exact: a power of two) each step runs one tanh over all four gate blocks and one affine map on three.
_SCALE = (0.5, 0.5, 0.5, 1.0)
#: d sigmoid(z) / dz = 0.25 (1 - tanh(z / 2) ** 2); the 0.25 for the sigmoid gate blocks
_DERIV_SCALE = (0.25, 0.25, 0.25, 1.0)


def _gate_major(w, units, scale):
    """(rows, 4 units) in Keras's column order -> contiguous (4, rows, units) in internal order, each
    block multiplied by its ``scale``."""
    return gate_major(w, units, scale, _PERM)


def _forward(x, h0, c0, kernel, recurrent_kernel, bias, reverse=False, saved=None):
    """Run the LSTM; returns (T + 2, n, units) time-major: the outputs in processing order, then the
    final h and the final c (a view of the state buffer)."""
    dtype = np.result_type(x, kernel, recurrent_kernel, h0, c0)
    x, h0, c0, kernel, R = (a.astype(dtype, copy=False) for a in (x, h0, c0, kernel, recurrent_kernel))
    n, steps, _ = x.shape
    u = R.shape[0]
    train = saved is not None
    xa = time_major_input(x, reverse, bias is not None)
    wa = kernel if bias is None else np.concatenate([kernel, bias.astype(dtype, copy=False)[None]], axis=0)
    gates = np.matmul(xa, _gate_major(wa, u, _SCALE)).reshape(4, steps, n, u)   # x W + b, then the gates
    R4 = _gate_major(R, u, _SCALE)
    H = np.empty((steps + 3, n, u), dtype)    # h_0 .. h_T, then the final h and c (the output's tail)
    C = np.empty((steps + 1, n, u), dtype)
    H[0], C[0] = h0, c0
    tc = np.empty((steps, n, u), dtype)       # tanh(c_t)
    rec = np.empty((4, n, u), dtype)
    deriv = np.empty((4, steps, n, u), dtype) if train else None
    for k in range(steps):
        z = gates[:, k]
        np.matmul(H[k], R4, out=rec)
        z += rec
        np.tanh(z, out=z)
        if train:
            # 1 - tanh ** 2: the c~ gate's derivative, and 4x the sigmoid gates' (see _backward)
            d = deriv[:, k]
            np.multiply(z, z, out=d)
            np.subtract(1.0, d, out=d)
        s = z[:3]
        s *= 0.5
        s += 0.5
        t = tc[k]
        np.multiply(z[1], C[k], out=C[k + 1])
        np.multiply(z[0], z[3], out=t)
        C[k + 1] += t
        np.tanh(C[k + 1], out=t)
        np.multiply(z[2], t, out=H[k + 1])
    H[steps + 1] = H[steps]
    H[steps + 2] = C[steps]
    if train:
        saved.update(xa=xa, gates=gates, deriv=deriv, tc=tc, H=H, C=C, kernel=kernel, R=R, dtype=dtype)
    return H[1:]


def _backward(g, saved, reverse, need):
    """Gradients for (x, h0, c0, kernel, recurrent_kernel, bias) from the output's cotangent ``g``
    (T + 2, n, units); None where ``need`` is False."""
    xa, gates, deriv, tc, H, C = (saved[k] for k in ("xa", "gates", "deriv", "tc", "H", "C"))
    kernel, R, dtype = saved["kernel"], saved["R"], saved["dtype"]
    steps, n, u = tc.shape
    go, per_step, dh = output_cotangents(g, steps, dtype)
    dc = np.array(g[steps + 1], dtype=dtype)
    # NOTE: the sigmoid gates' derivative is 0.25 (1 - tanh(z / 2) ** 2); ``deriv`` holds it without the
    # 0.25, so their gate gradients below are 4x the true ones, and the 0.25 is applied where they are
    # used: in R4T for dh, and when they are gathered for the parameter gradients. A power of two moves
    # between factors without any rounding, so the numbers are bit for bit those of scaling first.
    R4T = _gate_major(R, u, _DERIV_SCALE).transpose(0, 2, 1).copy()
    dZ = np.empty((4, steps, n, u), dtype)          # gate-major gradients for the pre-activations
    work, tmp, rec = np.empty((n, u), dtype), np.empty((n, u), dtype), np.empty((4, n, u), dtype)
    for k in range(steps - 1, -1, -1):
        z, t, dz = gates[:, k], tc[k], dZ[:, k]
        np.multiply(dh, t, out=dz[2])              # o
        np.multiply(dh, z[2], out=work)            # through h = o tanh(c)
        np.multiply(t, t, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        work *= tmp
        work += dc
        np.multiply(work, z[3], out=dz[0])         # i
        np.multiply(work, C[k], out=dz[1])         # f
        np.multiply(work, z[0], out=dz[3])         # c~
        dz *= deriv[:, k]
        np.multiply(work, z[1], out=dc)            # for c_{k-1}
        dh = np.matmul(dz, R4T, out=rec).sum(axis=0)
        if per_step and k:
            dh += go[k - 1]
    # NOTE: one copy of the gate gradients into Keras's (T n, 4 units) column order makes every
    # parameter gradient one plain matmul (about twice as fast as four per-gate matmuls each).
    dz_keras = np.empty((steps * n, 4, u), dtype)
    for gi, p in enumerate(_PERM):
        np.multiply(dZ[gi].reshape(steps * n, u), _DERIV_SCALE[gi], out=dz_keras[:, p])
    dz_keras = dz_keras.reshape(steps * n, 4 * u)
    grads = [None] * 6
    if need[0]:
        dx = (dz_keras @ kernel.T).reshape(steps, n, -1).transpose(1, 0, 2)
        grads[0] = np.ascontiguousarray(dx[:, ::-1] if reverse else dx)
    grads[1], grads[2] = dh, dc
    if need[3] or need[5]:
        dwa = xa.T @ dz_keras                  # (F [+ 1], 4 units): the bias's gradient last
        f = kernel.shape[0]
        grads[3] = np.ascontiguousarray(dwa[:f]) if dwa.shape[0] > f else dwa
        if dwa.shape[0] > f:
            grads[5] = dwa[f].copy()
    if need[4]:
        grads[4] = H[:steps].reshape(steps * n, u).T @ dz_keras
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
