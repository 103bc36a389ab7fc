"""Fused recurrent primitives: LSTM, GRU and SimpleRNN over a whole sequence, in Keras's layouts.

Each sequence op does one input projection ``x @ kernel + bias`` for all time steps (an ordinary
differentiable matmul), then runs the recurrence as one primitive: one recurrent matmul per step
forward, and a hand-written backward through time that collects the per-step gate gradients and
turns them into the recurrent kernel's gradient with one large matmul at the end.

Masking and ``go_backwards`` follow tf.keras (``backend.rnn``): at a masked step the states are
carried over unchanged and the output repeats the previous output (zeros before the first unmasked
step, or always zeros with ``zero_output_for_mask=True``); with ``go_backwards`` the sequence is read
from the end and the outputs come back in processing order.

Example:
    >>> x = np.random.rand(8, 20, 5).astype("float32")
    >>> W, R, b = (np.random.rand(5, 64), np.random.rand(16, 64), np.zeros(64))
    >>> outputs, h, c = ag.lstm_sequence(x, None, None, W.astype("f"), R.astype("f"), b.astype("f"))
    >>> outputs.shape, h.shape
    ((8, 20, 16), (8, 16))
"""
import weakref

import numpy as np

from ..batching import Batched, batch_size, batched_call, bring, dtype_of, shape_of
from ..forward_mode import jvp_by_composition
from ..modes import STATE
from ..primitive import Primitive, apply, defbatch, defjvp_argnums, defvjp
from ..tensor import Tensor, make_leaf
from . import elementwise as E
from ._make import raw
from .linalg import matmul
from .shape import astype, concatenate, getitem, reshape, stack, transpose

__all__ = ["lstm_sequence", "gru_sequence", "simple_rnn_sequence", "FUSED_ACTIVATIONS"]

# -- activations: in-place forward, in-place multiply by the derivative (read from the output) -------


def _sigmoid_(z):
    # NOTE: 0.5 * tanh(z / 2) + 0.5 is the logistic function without exp overflow and in place.
    np.multiply(z, 0.5, out=z)
    np.tanh(z, out=z)
    np.multiply(z, 0.5, out=z)
    np.add(z, 0.5, out=z)


def _d_sigmoid_(d, y, t=None):
    t = np.subtract(1.0, y, out=t)
    t *= y
    d *= t


def _d_tanh_(d, y, t=None):
    t = np.multiply(y, y, out=t)
    np.subtract(1.0, t, out=t)
    d *= t


def _hard_sigmoid_(z):
    np.multiply(z, 0.2, out=z)
    np.add(z, 0.5, out=z)
    np.clip(z, 0.0, 1.0, out=z)


def _d_hard_sigmoid_(d, y, t=None):
    d *= ((y > 0) & (y < 1)) * d.dtype.type(0.2)


def _keras3_hard_sigmoid_(z):
    # NOTE: Keras 3's hard_sigmoid, relu6(z + 3) / 6, with the operations (and so the roundings) of
    # kerasfront.activations.keras3_hard_sigmoid, the one the step-by-step path applies
    np.add(z, 3.0, out=z)
    np.maximum(z, 0, out=z)
    np.minimum(z, 6.0, out=z)
    np.divide(z, 6.0, out=z)


def _d_keras3_hard_sigmoid_(d, y, t=None):
    # NOTE: g / 6 where 0 < relu6(z + 3) < 6, as the composition's vjps (a divide, then 0/1 masks); read from the
    # output, so z + 3 == 6 exactly (where the composition's clip still passes g / 6) gives 0, as tf.nn.relu6
    np.divide(d, 6.0, out=d)
    d *= (y > 0) & (y < 1)


def _ag_keras3_hard_sigmoid(z):
    dt = dtype_of(z)
    return E.divide(E.clip(E.relu(E.add(z, dt.type(3.0))), dt.type(0.0), dt.type(6.0)), dt.type(6.0))


def _relu_(z):
    np.maximum(z, 0, out=z)


def _d_relu_(d, y, t=None):
    d *= y > 0


def _identity_(z):
    pass


def _d_identity_(d, y, t=None):
    pass


def _ag_linear(z):
    return z


#: name -> (forward in place, multiply by the derivative in place given the output (and an optional
#: scratch array shaped like it), autograd op)
_ACTIVATIONS = {
    "tanh": (np.tanh, _d_tanh_, E.tanh),
    "sigmoid": (_sigmoid_, _d_sigmoid_, E.sigmoid),
    "hard_sigmoid": (_hard_sigmoid_, _d_hard_sigmoid_, E.hard_sigmoid),
    "keras3_hard_sigmoid": (_keras3_hard_sigmoid_, _d_keras3_hard_sigmoid_, _ag_keras3_hard_sigmoid),
    "relu": (_relu_, _d_relu_, E.relu),
    "linear": (_identity_, _d_identity_, _ag_linear),
}
#: activation names the fused primitives implement (others need a per-step graph built by the caller)
FUSED_ACTIVATIONS = tuple(_ACTIVATIONS)


def _activation(name, fn, arg):
    key = "linear" if name is None else name
    if not isinstance(key, str) or key.lower() not in _ACTIVATIONS:
        raise ValueError(f"{fn}: {arg} must be one of {', '.join(FUSED_ACTIVATIONS)} (or None for linear), "
                         f"received {name!r}")
    return key.lower()


def _apply_act(name, z):
    f = _ACTIVATIONS[name][0]
    if f is np.tanh:
        np.tanh(z, out=z)
    else:
        f(z)


# -- the cells: one step forward, one step backward, over preallocated time-major buffers ---------


def _block_matmul(hm, Rm, out, u):
    """out = hm[0] Rm, or gate block by gate block out_g = hm[g] Rm_g (one mask per gate)."""
    if hm.shape[0] == 1:
        np.matmul(hm[0], Rm, out=out)
    else:
        for g in range(hm.shape[0]):
            np.matmul(hm[g], Rm[:, g * u:(g + 1) * u], out=out[:, g * u:(g + 1) * u])


def _block_matmul_T(dz, RmT, masks, u):
    """The gradient for h of ``_block_matmul(h * masks, Rm)``: sum_g (dz_g Rm_g^T) m_g, given
    ``RmT``, Rm transposed (contiguous: BLAS is slower on a transposed view)."""
    if masks is None:
        return dz @ RmT
    if masks.shape[0] == 1:
        out = dz @ RmT
        out *= masks[0]
        return out
    out = None
    for g in range(masks.shape[0]):
        part = dz[:, g * u:(g + 1) * u] @ RmT[g * u:(g + 1) * u]
        part *= masks[g]
        out = part if out is None else out + part
    return out


def _block_kernel_grad(hs, dz, u):
    """sum over steps of hs^T dz for hs (T, n, u) (one input for all gates) or (G, T, n, u) (one per
    gate block of dz (T, n, G * u))."""
    m = dz.shape[0] * dz.shape[1]
    dz2 = dz.reshape(m, -1)
    if hs.ndim == 3 or hs.shape[0] == 1:
        return hs.reshape(m, u).T @ dz2
    return np.concatenate([hs[g].reshape(m, u).T @ dz2[:, g * u:(g + 1) * u] for g in range(hs.shape[0])], axis=1)


class _Cell:
    """Shared state of a fused recurrence. ``k`` indexes processing order, ``t`` the input's time axis.

    ``rmask`` (masks, n, units), masks 1 or one per gate, multiplies h before the recurrent matmul
    (Keras's recurrent dropout); the masked states are kept for the recurrent kernel's gradient."""

    nstates = 1

    def __init__(self, xp, bias, R, act, ract, n, steps, units, dtype, train, rmask=None):
        self.xp = xp if bias is None else np.add(xp, bias)
        self.train = train
        self.R = R
        self.act, self.ract = act, ract
        self.n, self.steps, self.units, self.dtype = n, steps, units, dtype
        self.rmask = rmask
        self.hm = None if rmask is None else np.empty((rmask.shape[0], steps, n, units), dtype)

    def masked(self, k, h):
        """h times each recurrent dropout mask, (masks, n, units), kept for backward."""
        return np.multiply(h, self.rmask, out=self.hm[:, k])

    def rec(self, k, h, Rm, out):
        """out = h Rm, with recurrent dropout (h * m_g) Rm_g per gate block."""
        if self.rmask is None:
            np.matmul(h, Rm, out=out)
        else:
            _block_matmul(self.masked(k, h), Rm, out, self.units)

    def rec_T(self, dz, RmT):
        """The gradient for h of ``rec`` given the transposed kernel."""
        return _block_matmul_T(dz, RmT, self.rmask, self.units)

    def rec_kernel_grad(self, h_prev, dz):
        return _block_kernel_grad(h_prev if self.rmask is None else self.hm, dz, self.units)

    def act_(self, z):
        _apply_act(self.act, z)

    def ract_(self, z):
        _apply_act(self.ract, z)

    def dact_(self, d, y, t=None):
        _ACTIVATIONS[self.act][1](d, y, t)

    def dract_(self, d, y, t=None):
        _ACTIVATIONS[self.ract][1](d, y, t)


class _LSTMCell(_Cell):
    """i, f, c, o = split(x W + b + h R); c' = f c + i act(c~); h' = o act(c')."""

    nstates = 2

    def __init__(self, xp, bias, R, act, ract, n, steps, units, dtype, train, extra=None, rmask=None):
        self.fast = act == "tanh" and ract == "sigmoid"
        super().__init__(xp, None if self.fast else bias, R, act, ract, n, steps, units, dtype, train, rmask)
        u = units
        self.gates = np.empty((steps, n, 4 * u), dtype)
        self.tc = np.empty((steps, n, u), dtype)
        if self.fast:
            # NOTE: with Keras's default activations every gate is one tanh: sigmoid(z) =
            # 0.5 * tanh(z / 2) + 0.5. Scaling the sigmoid columns of x W + b and of R by 1/2 once lets
            # each step run one contiguous tanh over all four gates and one affine map, instead of
            # separate (strided, hence 2-3x slower) ufunc calls per gate block.
            half = np.full(4 * u, 0.5, dtype)
            half[2 * u:3 * u] = 1.0
            self.xs = np.multiply(xp, half)
            if bias is not None:
                self.xs += bias * half
            self.Rs = np.multiply(R, half)
            self.a = half
            self.b = np.where(half == 0.5, half, 0).astype(dtype)
            if train:
                # the gates' derivatives, c4 * (1 - tanh ** 2): y (1 - y) for the sigmoid gates and
                # 1 - y ** 2 for the tanh gate, kept from the forward pass for backward
                self.c4 = np.where(half == 0.5, 0.25, 1.0).astype(dtype)
                self.deriv = np.empty_like(self.gates)

    def step(self, k, t, prev, new):
        h, c = prev
        hn, cn = new
        u = self.units
        z = self.gates[k]
        if self.fast:
            self.rec(k, h, self.Rs, z)
            z += self.xs[t]
            np.tanh(z, out=z)
            if self.train:
                d = self.deriv[k]
                np.multiply(z, z, out=d)
                np.subtract(1.0, d, out=d)
                d *= self.c4
            z *= self.a
            z += self.b
        else:
            self.rec(k, h, self.R, z)
            z += self.xp[t]
            self.ract_(z[:, :2 * u])
            self.act_(z[:, 2 * u:3 * u])
            self.ract_(z[:, 3 * u:])
        tc = self.tc[k]
        np.multiply(z[:, u:2 * u], c, out=cn)
        np.multiply(z[:, :u], z[:, 2 * u:3 * u], out=tc)
        cn += tc
        if self.fast:
            np.tanh(cn, out=tc)
        else:
            np.copyto(tc, cn)
            self.act_(tc)
        np.multiply(z[:, 3 * u:], tc, out=hn)

    def begin_backward(self):
        n, u, dtype = self.n, self.units, self.dtype
        self.dz = np.empty_like(self.gates)
        self.RT = np.ascontiguousarray(self.R.T)
        self.dcb = np.empty((n, u), dtype)
        self.tmp = np.empty((n, u), dtype)

    def back(self, k, prev, dnew):
        dh, dc_in = dnew
        c_prev = prev[1]
        u = self.units
        z = self.gates[k]
        i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
        tc = self.tc[k]
        dz = self.dz[k]
        tmp = self.tmp
        dc = self.dcb
        np.multiply(dh, tc, out=dz[:, 3 * u:])
        np.multiply(dh, o, out=dc)
        self.dact_(dc, tc, tmp)
        dc += dc_in
        np.multiply(dc, g, out=dz[:, :u])
        np.multiply(dc, c_prev, out=dz[:, u:2 * u])
        np.multiply(dc, i, out=dz[:, 2 * u:3 * u])
        if self.fast:
            dz *= self.deriv[k]
        else:
            self.dract_(dz[:, :2 * u], z[:, :2 * u])
            self.dact_(dz[:, 2 * u:3 * u], g)
            self.dract_(dz[:, 3 * u:], o)
        dc_prev = np.multiply(dc, f)
        return [self.rec_T(dz, self.RT), dc_prev]

    def param_grads(self, h_prev):
        """(gradient for the projected inputs in processing order, for R, for extra parameters)."""
        return self.dz, self.rec_kernel_grad(h_prev, self.dz), None


class _LSTMGateMajorCell(_Cell):
    """The LSTM with Keras's default activations (tanh, sigmoid) and no recurrent dropout, its gates
    stored gate-major: one contiguous (n, units) block per gate and step, in the internal order
    i, f, o, c~ (the three sigmoid gates first).

    NOTE: elementwise ufuncs on the (n, units) column blocks of an (n, 4 units) row are strided and
    several times slower than on contiguous blocks; this layout makes every per-step op contiguous.
    The recurrent matmul is one batched matmul of h over the four (units, units) gate kernels. As in
    ``_LSTMCell``'s fast path every gate is one tanh (sigmoid(z) = 0.5 tanh(z / 2) + 0.5, the 1/2
    folded into the sigmoid gates' columns of x W + b and of R). Gradients are handed back in Keras's
    (T, n, 4 units) column order i, f, c, o."""

    nstates = 2
    #: internal gate block g holds Keras's gate block _PERM[g]
    _PERM = (0, 1, 3, 2)

    def __init__(self, xp, bias, R, act, ract, n, steps, units, dtype, train, extra=None, rmask=None):
        super().__init__(xp, None, R, act, ract, n, steps, units, dtype, train, None)
        u = units
        xv = xp.reshape(steps, n, 4, u).transpose(0, 2, 1, 3)      # (T, 4, n, u) view, Keras order
        self.xs = xs = np.empty((steps, 4, n, u), dtype)
        np.multiply(xv[:, 0:2], 0.5, out=xs[:, 0:2])
        np.multiply(xv[:, 3], 0.5, out=xs[:, 2])
        np.copyto(xs[:, 3], xv[:, 2])
        if bias is not None:
            b4 = bias.reshape(4, 1, u)[list(self._PERM)] * np.array([0.5, 0.5, 0.5, 1.0], dtype)[:, None, None]
            xs += b4
        r4 = R.reshape(u, 4, u).transpose(1, 0, 2)[list(self._PERM)]   # (4, u, u), internal order
        self.R4 = np.ascontiguousarray(r4 * np.array([0.5, 0.5, 0.5, 1.0], dtype)[:, None, None])
        self.gates = np.empty((steps, 4, n, u), dtype)
        self.tc = np.empty((steps, n, u), dtype)
        if train:
            self.deriv = np.empty_like(self.gates)

    def step(self, k, t, prev, new):
        h, c = prev
        hn, cn = new
        z = self.gates[k]
        np.matmul(h, self.R4, out=z)
        z += self.xs[t]
        np.tanh(z, out=z)
        if self.train:
            # the gates' derivatives: 0.25 (1 - tanh ** 2) for the sigmoid gates, 1 - tanh ** 2 for c~
            d = self.deriv[k]
            np.multiply(z, z, out=d)
            np.subtract(1.0, d, out=d)
            d[:3] *= 0.25
        s = z[:3]
        s *= 0.5
        s += 0.5
        tc = self.tc[k]
        np.multiply(z[1], c, out=cn)
        np.multiply(z[0], z[3], out=tc)
        cn += tc
        np.tanh(cn, out=tc)
        np.multiply(z[2], tc, out=hn)

    def begin_backward(self):
        n, u, dtype = self.n, self.units, self.dtype
        self.dz = np.empty_like(self.gates)
        self.R4T = np.ascontiguousarray(self.R.reshape(u, 4, u).transpose(1, 2, 0)[list(self._PERM)])
        self.dhb = np.empty((4, n, u), dtype)
        self.dcb = np.empty((n, u), dtype)
        self.tmp = np.empty((n, u), dtype)

    def back(self, k, prev, dnew):
        dh, dc_in = dnew
        c_prev = prev[1]
        z = self.gates[k]
        tc = self.tc[k]
        dz = self.dz[k]
        tmp, dc = self.tmp, self.dcb
        np.multiply(dh, tc, out=dz[2])
        np.multiply(dh, z[2], out=dc)
        _d_tanh_(dc, tc, tmp)
        dc += dc_in
        np.multiply(dc, z[3], out=dz[0])
        np.multiply(dc, c_prev, out=dz[1])
        np.multiply(dc, z[0], out=dz[3])
        dz *= self.deriv[k]
        dc_prev = np.multiply(dc, z[1])
        return [np.matmul(dz, self.R4T, out=self.dhb).sum(axis=0), dc_prev]

    def param_grads(self, h_prev):
        steps, n, u = self.steps, self.n, self.units
        dxp = np.empty((steps, n, 4, u), self.dtype)
        dv = dxp.transpose(0, 2, 1, 3)
        np.copyto(dv[:, 0:2], self.dz[:, 0:2])
        np.copyto(dv[:, 3], self.dz[:, 2])
        np.copyto(dv[:, 2], self.dz[:, 3])
        dxp = dxp.reshape(steps, n, 4 * u)
        self.dz = None
        return dxp, _block_kernel_grad(h_prev, dxp, u), None


class _GRUCell(_Cell):
    """Keras's GRU, gates z, r, h: h' = z h + (1 - z) hh, with the reset gate applied after the
    recurrent matmul (``reset_after=True``: hh = act(x_h + r * (h R_h + b_rh))) or before it
    (hh = act(x_h + (r * h) R_h))."""

    def __init__(self, xp, bias, R, act, ract, n, steps, units, dtype, train, extra=None, rmask=None):
        super().__init__(xp, bias, R, act, ract, n, steps, units, dtype, train, rmask)
        self.reset_after, self.rbias = extra
        u = units
        self.gates = np.empty((steps, n, 3 * u), dtype)
        if self.reset_after:
            self.rph = np.empty((steps, n, u), dtype)       # h R_h + b_rh
            self.rp = np.empty((n, 3 * u), dtype)
        else:
            self.rzr = np.ascontiguousarray(R[:, :2 * u])
            self.rh_kernel = np.ascontiguousarray(R[:, 2 * u:])
            self.rh = np.empty((steps, n, u), dtype)        # r * h (h times its dropout mask)
            if rmask is not None:
                self.rm_zr = rmask[:2] if rmask.shape[0] == 3 else rmask
                self.rm_h = rmask[2] if rmask.shape[0] == 3 else rmask[0]

    def step(self, k, t, prev, new):
        (h,), (hn,) = prev, new
        u = self.units
        gz = self.gates[k]
        xpt = self.xp[t]
        if self.reset_after:
            rp = self.rp
            self.rec(k, h, self.R, rp)
            if self.rbias is not None:
                rp += self.rbias
            np.add(xpt[:, :2 * u], rp[:, :2 * u], out=gz[:, :2 * u])
            self.ract_(gz[:, :2 * u])
            np.copyto(self.rph[k], rp[:, 2 * u:])
            np.multiply(gz[:, u:2 * u], self.rph[k], out=gz[:, 2 * u:])
        else:
            rh = self.rh[k]
            if self.rmask is None:
                np.matmul(h, self.rzr, out=gz[:, :2 * u])
                hh_in = h
            else:
                hm = self.masked(k, h)
                _block_matmul(hm[:2] if hm.shape[0] == 3 else hm, self.rzr, gz[:, :2 * u], u)
                hh_in = hm[-1]
            gz[:, :2 * u] += xpt[:, :2 * u]
            self.ract_(gz[:, :2 * u])
            np.multiply(gz[:, u:2 * u], hh_in, out=rh)
            np.matmul(rh, self.rh_kernel, out=gz[:, 2 * u:])
        gz[:, 2 * u:] += xpt[:, 2 * u:]
        hh = gz[:, 2 * u:]
        self.act_(hh)
        np.subtract(h, hh, out=hn)
        hn *= gz[:, :u]
        hn += hh

    def begin_backward(self):
        self.dxp = np.empty_like(self.gates)
        if self.reset_after:
            self.drp = np.empty_like(self.gates)
            self.RT = np.ascontiguousarray(self.R.T)
        else:
            self.rzrT = np.ascontiguousarray(self.rzr.T)
            self.rh_kernelT = np.ascontiguousarray(self.rh_kernel.T)

    def back(self, k, prev, dnew):
        (dh,), (h,) = dnew, prev
        u = self.units
        gz = self.gates[k]
        z, r, hh = gz[:, :u], gz[:, u:2 * u], gz[:, 2 * u:]
        da = self.dxp[k]
        np.subtract(h, hh, out=da[:, :u])
        da[:, :u] *= dh
        np.subtract(1.0, z, out=da[:, 2 * u:])
        da[:, 2 * u:] *= dh
        self.dact_(da[:, 2 * u:], hh)
        dh_prev = dh * z
        if self.reset_after:
            np.multiply(da[:, 2 * u:], self.rph[k], out=da[:, u:2 * u])
            self.dract_(da[:, u:2 * u], r)
            self.dract_(da[:, :u], z)
            drp = self.drp[k]
            np.copyto(drp[:, :2 * u], da[:, :2 * u])
            np.multiply(da[:, 2 * u:], r, out=drp[:, 2 * u:])
            dh_prev += self.rec_T(drp, self.RT)
        else:
            drh = da[:, 2 * u:] @ self.rh_kernelT
            hh_in = h if self.rmask is None else self.hm[-1, k]
            np.multiply(drh, hh_in, out=da[:, u:2 * u])
            self.dract_(da[:, u:2 * u], r)
            self.dract_(da[:, :u], z)
            drh *= r
            if self.rmask is None:
                dh_prev += drh
                dh_prev += da[:, :2 * u] @ self.rzrT
            else:
                drh *= self.rm_h
                dh_prev += drh
                dh_prev += _block_matmul_T(da[:, :2 * u], self.rzrT, self.rm_zr, u)
        return [dh_prev]

    def param_grads(self, h_prev):
        m, u = self.steps * self.n, self.units
        if self.reset_after:
            return self.dxp, self.rec_kernel_grad(h_prev, self.drp), self.drp.reshape(m, 3 * u).sum(axis=0)
        hs = h_prev if self.rmask is None else (self.hm[:2] if self.hm.shape[0] == 3 else self.hm)
        dr = np.concatenate([_block_kernel_grad(hs, self.dxp[:, :, :2 * u], u),
                             self.rh.reshape(m, u).T @ self.dxp[:, :, 2 * u:].reshape(m, u)], axis=1)
        return self.dxp, dr, None


class _SimpleRNNCell(_Cell):
    """h' = act(x W + b + h R)."""

    def __init__(self, xp, bias, R, act, ract, n, steps, units, dtype, train, extra=None, rmask=None):
        super().__init__(xp, bias, R, act, ract, n, steps, units, dtype, train, rmask)
        self.out = np.empty((steps, n, units), dtype)

    def step(self, k, t, prev, new):
        (h,), (hn,) = prev, new
        a = self.out[k]
        self.rec(k, h, self.R, a)
        a += self.xp[t]
        self.act_(a)
        np.copyto(hn, a)

    def begin_backward(self):
        self.dxp = np.empty_like(self.out)
        self.RT = np.ascontiguousarray(self.R.T)

    def back(self, k, prev, dnew):
        da = self.dxp[k]
        np.copyto(da, dnew[0])
        self.dact_(da, self.out[k])
        return [self.rec_T(da, self.RT)]

    def param_grads(self, h_prev):
        return self.dxp, self.rec_kernel_grad(h_prev, self.dxp), None


# -- the scan: masking and direction around any cell ----------------------------------------------


def _order(a, reverse):
    return a[::-1] if reverse else a


def _scan_np(cell_cls, xp, states0, R, bias, rbias, mask, reverse, act, ract, zero_output, extra, saved,
             rmask=None):
    """Run the recurrence over time-major ``xp`` (the input projection without its bias); returns
    packed (n, T + nstates, units): the outputs, then the final states."""
    steps, n, _ = xp.shape
    units = R.shape[0]
    dtype = np.result_type(xp, R, *states0)
    cast = (lambda a: None if a is None else a.astype(dtype, copy=False))
    if cell_cls is _LSTMCell and act == "tanh" and ract == "sigmoid" and rmask is None:
        cell_cls = _LSTMGateMajorCell
    cell = cell_cls(cast(xp), cast(bias), cast(R), act, ract, n, steps, units, dtype, saved is not None,
                    (extra, cast(rbias)) if extra is not None else None, cast(rmask))
    states = []
    for s0 in states0:
        buf = np.empty((steps + 1, n, units), dtype)
        buf[0] = s0
        states.append(buf)
    mk = None if mask is None else _order(mask.T, reverse)[:, :, None]    # (T, n, 1) in processing order
    outs = states[0][1:] if mk is None else np.empty((steps, n, units), dtype)
    for k in range(steps):
        t = steps - 1 - k if reverse else k
        cell.step(k, t, [s[k] for s in states], [s[k + 1] for s in states])
        if mk is not None:
            keep = ~mk[k]
            if zero_output:
                np.multiply(states[0][k + 1], mk[k], out=outs[k])
            else:
                np.copyto(outs[k], states[0][k + 1])
                np.copyto(outs[k], outs[k - 1] if k else 0, where=keep)
            for s in states:
                np.copyto(s[k + 1], s[k], where=keep)
    packed = np.empty((n, steps + len(states), units), dtype)
    packed[:, :steps] = outs.transpose(1, 0, 2)
    for j, s in enumerate(states):
        packed[:, steps + j] = s[steps]
    if saved is not None:
        saved["cell"] = cell
        saved["states"] = states
        saved["mask"] = mk
    return packed


def _scan_backward_np(g, saved, reverse, zero_output):
    """Backward through time; returns (d xp, [d initial states], d R, d input bias, d recurrent bias)."""
    cell, states, mk = saved["cell"], saved["states"], saved["mask"]
    steps, ns = cell.steps, len(states)
    dtype = cell.dtype
    g = np.asarray(g, dtype=dtype)
    gout = g[:, :steps]
    ds = [np.array(g[:, steps + j]) for j in range(ns)]
    cell.begin_backward()
    if mk is not None:
        mf = mk.astype(dtype)
    d_out = None
    for k in range(steps - 1, -1, -1):
        prev = [s[k] for s in states]
        go = gout[:, k]
        if mk is None:
            dnew = [ds[0] + go] + ds[1:]
            ds = cell.back(k, prev, dnew)
            continue
        m = mf[k]
        if d_out is not None:
            go = go + d_out
        dnew = [(ds[0] + go) * m] + [d * m for d in ds[1:]]
        carry = [d - d * m for d in ds]
        if not zero_output:
            d_out = go - go * m
        ds = [a + b for a, b in zip(cell.back(k, prev, dnew), carry)]
    dxp_k, dr, drbias = cell.param_grads(states[0][:-1])
    return _order(dxp_k, reverse), ds, dr, dxp_k.sum(axis=(0, 1)), drbias


# -- primitives with one backward for all their inputs ----------------------------------------------


def _multi_vjps(nargs, compute):
    """vjps for ``nargs`` arguments that share one computation ``compute(g, ans, args, kw, need)``
    returning a gradient per argument; it runs once per backward and is handed out argument by
    argument (the engine asks for each input's gradient in turn, right after one another).

    One slot holds the latest result, matched by (weak) identity of the output node and its cotangent;
    it is emptied once every input that requires grad has been served (an engine that prunes some of
    them leaves it until the next backward through the same kind of op replaces it)."""
    slot = [None]

    def make(i):
        def vjp(g, ans, *args, **kw):
            entry = slot[0]
            if entry is None or entry[0]() is not ans or entry[1]() is not g:
                need = [isinstance(a, Tensor) and a.requires_grad for a in args[:nargs]]
                entry = [weakref.ref(ans), weakref.ref(g), compute(g, ans, args, kw, need), sum(need)]
                slot[0] = entry
            entry[3] -= 1
            if entry[3] <= 0:
                slot[0] = None
            return entry[2][i]
        return vjp

    return [make(i) for i in range(nargs)]


def _graph_rec(h, R, rmask, u):
    """h R with recurrent dropout masks (one for all gates, or one per gate block), from autograd ops."""
    if rmask is None:
        return matmul(h, R)
    if rmask.shape[0] == 1:
        return matmul(h * rmask[0], R)
    return concatenate([matmul(h * rmask[g], R[:, g * u:(g + 1) * u]) for g in range(rmask.shape[0])], axis=1)


def _graph_scan(cell, xp, states0, R, bias, rbias, mask, reverse, act, ract, zero_output, extra, rmask=None):
    """The same recurrence as ``_scan_np`` built from autograd ops, step by step (for create_graph)."""
    if bias is not None:
        xp = xp + bias
    steps, n, _ = shape_of(xp)
    u = shape_of(R)[0]
    dtype = dtype_of(xp)
    f, fr = _ACTIVATIONS[act][2], _ACTIVATIONS[ract][2]
    states = list(states0)
    prev_out = make_leaf(np.zeros((n, u), dtype))
    outs = []
    for k in range(steps):
        t = steps - 1 - k if reverse else k
        xt = getitem(xp, t)
        h = states[0]
        if cell is _LSTMCell:
            z = xt + _graph_rec(h, R, rmask, u)
            i, fg, o = fr(z[:, :u]), fr(z[:, u:2 * u]), fr(z[:, 3 * u:])
            c = fg * states[1] + i * f(z[:, 2 * u:3 * u])
            new = [o * f(c), c]
        elif cell is _GRUCell:
            if extra:
                rp = _graph_rec(h, R, rmask, u)
                if rbias is not None:
                    rp = rp + rbias
                zr = fr(xt[:, :2 * u] + rp[:, :2 * u])
                hh = f(xt[:, 2 * u:] + zr[:, u:] * rp[:, 2 * u:])
            else:
                zr_mask = None if rmask is None else (rmask[:2] if rmask.shape[0] == 3 else rmask)
                zr = fr(xt[:, :2 * u] + _graph_rec(h, R[:, :2 * u], zr_mask, u))
                hm = h if rmask is None else h * rmask[-1]
                hh = f(xt[:, 2 * u:] + matmul(zr[:, u:] * hm, R[:, 2 * u:]))
            zg = zr[:, :u]
            new = [zg * h + (1.0 - zg) * hh]
        else:
            new = [f(xt + _graph_rec(h, R, rmask, u))]
        if mask is None:
            out = new[0]
            states = new
        else:
            m = mask[:, t][:, None]
            out = E.where(m, new[0], make_leaf(np.zeros((), dtype)) if zero_output else prev_out)
            states = [E.where(m, a, b) for a, b in zip(new, states)]
        outs.append(out)
        prev_out = out
    return concatenate([stack(outs, axis=1)] + [reshape(s, (n, 1, u)) for s in states], axis=1)


def _make_scan_prim(name, cell, nstates, has_rbias):
    """A primitive over (xp, *initial states, R, input bias or None[, recurrent bias]) returning the
    packed outputs."""
    nargs = 1 + nstates + 2 + (1 if has_rbias else 0)

    def forward(xp, *rest, mask=None, reverse=False, act="tanh", ract="sigmoid", zero_output=False,
                extra=None, saved=None, rmask=None):
        states0 = rest[:nstates]
        R, bias = rest[nstates], rest[nstates + 1]
        rbias = rest[nstates + 2] if has_rbias else None
        return _scan_np(cell, xp, states0, R, bias, rbias, mask, reverse, act, ract, zero_output, extra, saved,
                        rmask)

    def compute(g, ans, args, kw, need):
        if STATE.grad_enabled:
            # NOTE: the hand-written backward is numpy, so for create_graph=True (higher-order
            # gradients) we differentiate the same recurrence rebuilt step by step from autograd ops.
            ins = [a for a, nd in zip(args, need) if nd]
            rb = args[nstates + 3] if has_rbias else None
            graph = _graph_scan(cell, args[0], list(args[1:1 + nstates]), args[1 + nstates], args[2 + nstates], rb,
                                kw.get("mask"),
                                kw.get("reverse", False), kw.get("act", "tanh"), kw.get("ract", "sigmoid"),
                                kw.get("zero_output", False), kw.get("extra"), kw.get("rmask"))
            grads = iter(_gradients(graph, ins, g))
            return [next(grads) if nd else None for nd in need]
        saved = kw.get("saved")
        if saved is None or "cell" not in saved:
            raise RuntimeError(f"autograd: op '{name}' ran without saving its forward state; it must be called "
                               f"through its public function while recording gradients")
        dxp, ds, dr, db, drb = _scan_backward_np(raw(g), saved, kw.get("reverse", False),
                                                 kw.get("zero_output", False))
        out = [dxp] + ds + [dr, db] + ([drb] if has_rbias else [])
        return [make_leaf(o) if (nd and o is not None) else None for o, nd in zip(out, need)]

    prim = Primitive(forward, name)
    defvjp(prim, *_multi_vjps(nargs, compute))

    def compose(args, kw):
        """The recurrence built from ops (what the primitive fuses), for its jvp and per-example weights."""
        rb = args[nstates + 3] if has_rbias else None
        return _graph_scan(cell, args[0], list(args[1:1 + nstates]), args[1 + nstates], args[2 + nstates], rb,
                           kw.get("mask"), kw.get("reverse", False), kw.get("act", "tanh"), kw.get("ract", "sigmoid"),
                           kw.get("zero_output", False), kw.get("extra"), kw.get("rmask"))

    def batch(args, dims, **kw):
        size = batch_size(args, dims)
        if any(d is not None for d in dims[1 + nstates:]):
            # per-example weights (vmap of grad): the recurrence from ops, each step batched as a whole
            return batched_call(lambda *a: compose(a, kw), args, dims)
        # shared weights: the examples' sequences are more sequences, (T, B * n, ...), one fused scan
        xp = bring(args[0], dims[0], size)                                  # (B, T, n, G u)
        b, steps, n, width = shape_of(xp)
        xp = reshape(transpose(xp, (1, 0, 2, 3)), (steps, b * n, width))
        states = [reshape(bring(a, d, size), (size * n, -1)) for a, d in zip(args[1:1 + nstates], dims[1:])]
        kw = dict(kw, saved={} if kw.get("saved") is not None else None)
        if kw.get("mask") is not None:
            kw["mask"] = np.tile(kw["mask"], (size, 1))
        if kw.get("rmask") is not None:
            kw["rmask"] = np.tile(kw["rmask"], (1, size, 1))
        out = apply(prim, (xp, *states) + tuple(args[1 + nstates:]), kw)    # (B n, T + states, units)
        return reshape(out, (size, n) + tuple(shape_of(out)[1:])), 0

    defjvp_argnums(prim, jvp_by_composition(compose))
    defbatch(prim, batch)
    return prim


def _gradients(out, ins, g):
    from ..engine import gradients
    return gradients(out, ins, grad_outputs=g, create_graph=True)


_lstm_prim = _make_scan_prim("lstm_sequence", _LSTMCell, 2, False)
_gru_prim = _make_scan_prim("gru_sequence", _GRUCell, 1, True)
_gru_nobias_prim = _make_scan_prim("gru_sequence_nobias", _GRUCell, 1, False)
_rnn_prim = _make_scan_prim("simple_rnn_sequence", _SimpleRNNCell, 1, False)


# -- public functions -----------------------------------------------------------------------------


def _check_sequence(fn, x, kernel, recurrent_kernel, gates):
    xs = tuple(shape_of(x))
    if len(xs) != 3:
        raise ValueError(f"{fn}: x must be 3-d (batch, timesteps, features), received shape {xs}")
    if xs[1] == 0:
        raise ValueError(f"{fn}: x must have at least one timestep, received shape {xs}")
    ks, rs = tuple(shape_of(kernel)), tuple(shape_of(recurrent_kernel))
    if len(rs) != 2 or rs[1] != gates * rs[0]:
        raise ValueError(f"{fn}: recurrent_kernel must have shape (units, {gates} * units), received {rs}")
    units = rs[0]
    if ks != (xs[2], gates * units):
        raise ValueError(f"{fn}: kernel must have shape (features, {gates} * units) = {(xs[2], gates * units)} "
                         f"for x of shape {xs}, received {ks}")
    return xs[0], xs[1], units


def _initial(fn, arg, s, n, units, dtype):
    if s is None:
        return make_leaf(np.zeros((n, units), dtype))
    if tuple(shape_of(s)) != (n, units):
        raise ValueError(f"{fn}: {arg} must have shape (batch, units) = {(n, units)}, received {tuple(shape_of(s))}")
    return s


def _mask(fn, mask, n, steps):
    if mask is None:
        return None
    if type(mask) is Batched:    # one mask per example inside ag.vmap (see _per_example)
        m = astype(mask, bool)
        if tuple(m.shape) != (n, steps):
            raise ValueError(f"{fn}: mask must have shape (batch, timesteps) = {(n, steps)}, received "
                             f"{tuple(m.shape)}")
        return m
    if raw(mask).dtype != np.bool_:
        mask = astype(mask, np.bool_)        # an op, so that a traced graph sees where the mask came from
    m = raw(mask)
    if m.shape != (n, steps):
        raise ValueError(f"{fn}: mask must have shape (batch, timesteps) = {(n, steps)}, received {m.shape}")
    # NOTE: an all-true mask takes the unmasked (fused) path; a trace keeps the mask, whatever its values now
    return None if STATE.tracer is None and m.all() else m


def _dropout_masks(fn, arg, masks, gates, n, size, dtype):
    """Dropout masks as (1 or gates, batch, size) arrays of ``dtype`` (constants, no gradient)."""
    if masks is None:
        return None
    batched = type(masks) is Batched    # one mask per example inside ag.vmap (see _per_example)
    # NOTE: while a tracer records, a Tensor mask stays one (ops), so that the graph reads the masks it drew
    ops = batched or (STATE.tracer is not None and isinstance(masks, Tensor))
    m = masks if ops else np.asarray(raw(masks))
    if tuple(m.shape) == (n, size):
        m = reshape(m, (1, n, size)) if ops else m[None]
    if tuple(m.shape) not in ((1, n, size), (gates, n, size)):
        per_gate = f" or one per gate, ({gates}, {n}, {size})" if gates > 1 else ""
        raise ValueError(f"{fn}: {arg} must have shape (batch, {size}) = {(n, size)}{per_gate}; "
                         f"received {tuple(m.shape)}")
    return astype(m, dtype) if ops else m.astype(dtype, copy=False)


def _kwarg_mask(m):
    """A recurrent dropout mask as the primitives' keyword argument: an array (a traced Tensor's own array, which
    the tracer knows), or a Batched value inside vmap."""
    return m.data if isinstance(m, Tensor) else m


def _project(x, kernel, masks=None, units=None):
    """x @ kernel for all time steps at once, time-major: (batch, T, features) -> (T, batch,
    gates * units). One matmul; the (narrow) input is transposed rather than the (wide) projection.
    With dropout ``masks`` (1 or one per gate, batch, features) the input is multiplied by its gate's
    mask at every step (Keras's input dropout). The bias is added inside the recurrence primitive,
    fused with its first pass over the result."""
    n, steps, f = shape_of(x)
    xt = transpose(x, (1, 0, 2))
    if masks is None:
        return reshape(matmul(reshape(xt, (steps * n, f)), kernel), (steps, n, -1))
    if masks.shape[0] == 1:
        return reshape(matmul(reshape(xt * masks[0], (steps * n, f)), kernel), (steps, n, -1))
    parts = [matmul(reshape(xt * masks[g], (steps * n, f)),
                    getitem(kernel, (slice(None), slice(g * units, (g + 1) * units))))
             for g in range(masks.shape[0])]
    return reshape(concatenate(parts, axis=1), (steps, n, -1))


def _split(packed, steps, nstates):
    out = [getitem(packed, (slice(None), slice(0, steps)))]
    out += [getitem(packed, (slice(None), steps + j)) for j in range(nstates)]
    return tuple(out)


def _save():
    return {} if STATE.grad_enabled else None


def _per_example(opts, dm):
    """Whether a mask or dropout mask differs between the examples of an ag.vmap: then the recurrence is
    built from ops (each step batched) instead of calling the fused primitive, whose masks are constants."""
    return any(type(m) is Batched for m in (opts["mask"], opts["rmask"], dm))


def _composed(cell, xp, states0, R, bias, rbias, opts):
    return _graph_scan(cell, xp, states0, R, bias, rbias, opts["mask"], opts["reverse"], opts["act"], opts["ract"],
                       opts["zero_output"], opts.get("extra"), opts["rmask"])


def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, mask=None, go_backwards=False,
                  activation="tanh", recurrent_activation="sigmoid", zero_output_for_mask=False,
                  dropout_mask=None, recurrent_dropout_mask=None):
    """Keras's LSTM over a whole sequence (gate order i, f, c, o).

    Args:
        x: (batch, timesteps, features).
        h0, c0: initial states (batch, units), or None for zeros.
        kernel: (features, 4 * units); recurrent_kernel: (units, 4 * units); bias: (4 * units,) or None.
        mask: (batch, timesteps) booleans, False where a step is skipped (states carried over).
        go_backwards: read the sequence from its end; outputs are returned in processing order.
        activation, recurrent_activation: one of FUSED_ACTIVATIONS.
        zero_output_for_mask: output zeros at masked steps instead of repeating the previous output.
        dropout_mask: multiplies the input at every step before the kernel: (batch, features), or one
            per gate (4, batch, features) as Keras's LSTM with dropout (implementation 1) uses.
        recurrent_dropout_mask: multiplies h before the recurrent kernel at every step: (batch, units)
            or (4, batch, units). Masks are constants (already scaled by 1 / (1 - rate)).

    Returns:
        (outputs (batch, timesteps, units), final h (batch, units), final c (batch, units)).

    Example:
        >>> outs, h, c = lstm_sequence(np.ones((2, 5, 3)), None, None, np.ones((3, 8)), np.ones((2, 8)))
        >>> outs.shape, c.shape
        ((2, 5, 2), (2, 2))
    """
    fn = "lstm_sequence"
    n, steps, units = _check_sequence(fn, x, kernel, recurrent_kernel, 4)
    dtype = np.result_type(dtype_of(x), dtype_of(kernel))
    _check_bias(fn, bias, (4 * units,))
    dm = _dropout_masks(fn, "dropout_mask", dropout_mask, 4, n, shape_of(x)[2], dtype)
    opts = {"mask": _mask(fn, mask, n, steps), "reverse": bool(go_backwards),
            "act": _activation(activation, fn, "activation"),
            "ract": _activation(recurrent_activation, fn, "recurrent_activation"),
            "zero_output": bool(zero_output_for_mask), "saved": _save(),
            "rmask": _kwarg_mask(_dropout_masks(fn, "recurrent_dropout_mask", recurrent_dropout_mask, 4, n, units,
                                                dtype))}
    h0 = _initial(fn, "h0", h0, n, units, dtype)
    c0 = _initial(fn, "c0", c0, n, units, dtype)
    if (opts["mask"] is None and dm is None and opts["rmask"] is None and opts["act"] == "tanh"
            and opts["ract"] == "sigmoid"):
        return lstm_fused_sequence(x, h0, c0, kernel, recurrent_kernel, bias, go_backwards)
    xp = _project(x, kernel, dm, units)
    if _per_example(opts, dm):
        return _split(_composed(_LSTMCell, xp, [h0, c0], recurrent_kernel, bias, None, opts), steps, 2)
    packed = apply(_lstm_prim, (xp, h0, c0, recurrent_kernel, bias), opts)
    return _split(packed, steps, 2)


def gru_sequence(x, h0, kernel, recurrent_kernel, bias=None, mask=None, go_backwards=False, reset_after=True,
                 activation="tanh", recurrent_activation="sigmoid", zero_output_for_mask=False,
                 dropout_mask=None, recurrent_dropout_mask=None):
    """Keras's GRU over a whole sequence (gate order z, r, h; h' = z h + (1 - z) hh).

    Args:
        x: (batch, timesteps, features); h0: (batch, units) or None for zeros.
        kernel: (features, 3 * units); recurrent_kernel: (units, 3 * units).
        bias: (2, 3 * units) (input bias, recurrent bias) when ``reset_after`` (Keras's default),
            (3 * units,) otherwise; or None.
        reset_after: apply the reset gate after the recurrent matmul (True) or before it (False).
        mask, go_backwards, activation, recurrent_activation, zero_output_for_mask: as lstm_sequence.
        dropout_mask, recurrent_dropout_mask: as lstm_sequence, one for all gates or 3 (z, r, h).

    Returns:
        (outputs (batch, timesteps, units), final h (batch, units)).

    Example:
        >>> outs, h = gru_sequence(np.ones((2, 5, 3)), None, np.ones((3, 6)), np.ones((2, 6)), np.zeros((2, 6)))
        >>> outs.shape
        (2, 5, 2)
    """
    fn = "gru_sequence"
    n, steps, units = _check_sequence(fn, x, kernel, recurrent_kernel, 3)
    dtype = np.result_type(dtype_of(x), dtype_of(kernel))
    dm = _dropout_masks(fn, "dropout_mask", dropout_mask, 3, n, shape_of(x)[2], dtype)
    opts = {"mask": _mask(fn, mask, n, steps), "reverse": bool(go_backwards),
            "act": _activation(activation, fn, "activation"),
            "ract": _activation(recurrent_activation, fn, "recurrent_activation"),
            "zero_output": bool(zero_output_for_mask), "extra": bool(reset_after), "saved": _save(),
            "rmask": _kwarg_mask(_dropout_masks(fn, "recurrent_dropout_mask", recurrent_dropout_mask, 3, n, units,
                                                dtype))}
    h0 = _initial(fn, "h0", h0, n, units, dtype)
    if reset_after:
        _check_bias(fn, bias, (2, 3 * units), "when reset_after=True")
    if (reset_after and opts["mask"] is None and dm is None and opts["rmask"] is None and opts["act"] == "tanh"
            and opts["ract"] == "sigmoid"):
        return gru_fused_sequence(x, h0, kernel, recurrent_kernel, bias, go_backwards)
    xp = _project(x, kernel, dm, units)
    if _per_example(opts, dm):
        if not reset_after:
            _check_bias(fn, bias, (3 * units,), "when reset_after=False")
        bi, br = (getitem(bias, 0), getitem(bias, 1)) if reset_after and bias is not None else (bias, None)
        return _split(_composed(_GRUCell, xp, [h0], recurrent_kernel, bi, br, opts), steps, 1)
    if reset_after:
        if bias is not None:
            packed = apply(_gru_prim, (xp, h0, recurrent_kernel, getitem(bias, 0), getitem(bias, 1)), opts)
        else:
            packed = apply(_gru_nobias_prim, (xp, h0, recurrent_kernel, None), opts)
    else:
        _check_bias(fn, bias, (3 * units,), "when reset_after=False")
        packed = apply(_gru_nobias_prim, (xp, h0, recurrent_kernel, bias), opts)
    return _split(packed, steps, 1)


def simple_rnn_sequence(x, h0, kernel, recurrent_kernel, bias=None, mask=None, go_backwards=False,
                        activation="tanh", zero_output_for_mask=False, dropout_mask=None,
                        recurrent_dropout_mask=None):
    """Keras's SimpleRNN over a whole sequence: h' = activation(x kernel + bias + h recurrent_kernel).

    Args:
        x: (batch, timesteps, features); h0: (batch, units) or None for zeros.
        kernel: (features, units); recurrent_kernel: (units, units); bias: (units,) or None.
        mask, go_backwards, activation, zero_output_for_mask: as lstm_sequence.
        dropout_mask: (batch, features); recurrent_dropout_mask: (batch, units) (as Keras's SimpleRNN).

    Returns:
        (outputs (batch, timesteps, units), final h (batch, units)).

    Example:
        >>> outs, h = simple_rnn_sequence(np.ones((2, 5, 3)), None, np.ones((3, 4)), np.eye(4))
        >>> h.shape
        (2, 4)
    """
    fn = "simple_rnn_sequence"
    n, steps, units = _check_sequence(fn, x, kernel, recurrent_kernel, 1)
    dtype = np.result_type(dtype_of(x), dtype_of(kernel))
    _check_bias(fn, bias, (units,))
    dm = _dropout_masks(fn, "dropout_mask", dropout_mask, 1, n, shape_of(x)[2], dtype)
    opts = {"mask": _mask(fn, mask, n, steps), "reverse": bool(go_backwards),
            "act": _activation(activation, fn, "activation"), "ract": "sigmoid",
            "zero_output": bool(zero_output_for_mask), "saved": _save(),
            "rmask": _kwarg_mask(_dropout_masks(fn, "recurrent_dropout_mask", recurrent_dropout_mask, 1, n, units,
                                                dtype))}
    xp, h0 = _project(x, kernel, dm, units), _initial(fn, "h0", h0, n, units, dtype)
    if _per_example(opts, dm):
        return _split(_composed(_SimpleRNNCell, xp, [h0], recurrent_kernel, bias, None, opts), steps, 1)
    packed = apply(_rnn_prim, (xp, h0, recurrent_kernel, bias), opts)
    return _split(packed, steps, 1)


def _check_bias(fn, bias, shape, when=""):
    if bias is not None and tuple(shape_of(bias)) != shape:
        raise ValueError(f"{fn}: bias must have shape {shape}{' ' + when if when else ''}, "
                         f"received {tuple(shape_of(bias))}")


# the default LSTM's and GRU's fast paths (they build on the helpers above, hence imported last)
from .lstm_fused import lstm_fused_sequence  # noqa: E402
from .gru_fused import gru_fused_sequence  # noqa: E402
