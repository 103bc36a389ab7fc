"""The lower bound for the CNN and LSTM workloads: both models written by hand in numpy.

CNN: 28x28x1 -> Conv2D(32, 3, relu) -> MaxPool 2 -> Conv2D(64, 3, relu) -> MaxPool 2 -> Flatten ->
Dense(10), sparse softmax cross-entropy, Adam. Convolution is im2col (a strided view copied into a
patch matrix, one matmul); its input gradient is one matmul and a scatter over the 9 kernel taps.

LSTM: LSTM(64) over 50 steps of 32 features -> Dense(10) on the last output, RMSprop. One input
projection for all steps, one recurrent matmul per step, backward through time by hand.

No autodiff, no graph: the arithmetic a framework has to do, in float32. Imports numpy (and the
optimizers of ``numpy_reference``) only.

Example:
    >>> step = cnn_step_fn(batch=64)      # one forward + backward + Adam update per call
    >>> step()
    >>> train = lstm_train_step()
    >>> loss = train(np.zeros((64, 50, 32), np.float32), np.zeros(64, np.int64))
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

try:
    import numpy_reference as ref       # run as benchmarks/child.py: benchmarks/ is on sys.path
except ImportError:  # pragma: no cover - imported as a package module
    from . import numpy_reference as ref


def _glorot(rng, shape, fan_in, fan_out):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


# -- CNN ------------------------------------------------------------------------------------------


def im2col(x, k):
    """Valid k x k patches of NHWC ``x`` as a (n*oh*ow, k*k*c) matrix (stride 1)."""
    n, h, w, c = x.shape
    oh, ow = h - k + 1, w - k + 1
    s0, s1, s2, s3 = x.strides
    view = as_strided(x, (n, oh, ow, k, k, c), (s0, s1, s2, s1, s2, s3), writeable=False)
    return np.ascontiguousarray(view).reshape(n * oh * ow, k * k * c)


def col2im(dcols, shape, k):
    """The adjoint of ``im2col``: add each patch gradient back into an image of ``shape``."""
    n, h, w, c = shape
    oh, ow = h - k + 1, w - k + 1
    d = dcols.reshape(n, oh, ow, k, k, c)
    dx = np.zeros(shape, dcols.dtype)
    for i in range(k):
        for j in range(k):
            dx[:, i:i + oh, j:j + ow] += d[:, :, :, i, j]
    return dx


def maxpool2(x):
    """2x2 max pooling, stride 2, valid (a trailing odd row/column is dropped, as Keras does)."""
    n, h, w, c = x.shape
    xr = x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
    return xr.max(axis=(2, 4)), xr


def maxpool2_backward(g, xr, out, shape):
    """Route ``g`` to the maxima of each window (ties are not split: they only arise between relu zeros,
    whose gradient the relu then drops)."""
    n, h, w, c = shape
    mask = xr == out[:, :, None, :, None, :]
    dx = np.zeros(shape, g.dtype)
    dx[:, :h // 2 * 2, :w // 2 * 2] = (mask * g[:, :, None, :, None, :]).reshape(n, h // 2 * 2, w // 2 * 2, c)
    return dx


class CNN:
    """The benchmark's CNN with glorot-uniform kernels and zero biases, trained with Adam."""

    def __init__(self, seed=0, learning_rate=1e-3, **adam):
        rng = np.random.RandomState(seed)
        self.k1 = _glorot(rng, (3, 3, 1, 32), 9, 9 * 32)
        self.b1 = np.zeros(32, np.float32)
        self.k2 = _glorot(rng, (3, 3, 32, 64), 9 * 32, 9 * 64)
        self.b2 = np.zeros(64, np.float32)
        self.w3 = _glorot(rng, (5 * 5 * 64, 10), 5 * 5 * 64, 10)
        self.b3 = np.zeros(10, np.float32)
        self.params = [self.k1, self.b1, self.k2, self.b2, self.w3, self.b3]
        self.optimizer = ref.Adam(self.params, learning_rate=learning_rate, **adam)

    def loss_and_grads(self, x, labels):
        n = x.shape[0]
        cols1 = im2col(x, 3)                                          # (n*26*26, 9)
        a1 = cols1 @ self.k1.reshape(9, 32)
        a1 += self.b1
        np.maximum(a1, 0, out=a1)
        a1 = a1.reshape(n, 26, 26, 32)
        p1, p1r = maxpool2(a1)                                        # (n, 13, 13, 32)
        cols2 = im2col(p1, 3)                                         # (n*11*11, 288)
        a2 = cols2 @ self.k2.reshape(288, 64)
        a2 += self.b2
        np.maximum(a2, 0, out=a2)
        a2 = a2.reshape(n, 11, 11, 64)
        p2, p2r = maxpool2(a2)                                        # (n, 5, 5, 64)
        flat = p2.reshape(n, -1)
        logits = flat @ self.w3
        logits += self.b3
        loss, g = ref.softmax_cross_entropy(logits, labels)
        dw3 = flat.T @ g
        db3 = g.sum(axis=0)
        g = (g @ self.w3.T).reshape(p2.shape)
        g = maxpool2_backward(g, p2r, p2, a2.shape)
        g *= a2 > 0
        g2 = g.reshape(-1, 64)
        dk2 = (cols2.T @ g2).reshape(self.k2.shape)
        db2 = g2.sum(axis=0)
        g = col2im(g2 @ self.k2.reshape(288, 64).T, p1.shape, 3)
        g = maxpool2_backward(g, p1r, p1, a1.shape)
        g *= a1 > 0
        g1 = g.reshape(-1, 32)
        dk1 = (cols1.T @ g1).reshape(self.k1.shape)
        db1 = g1.sum(axis=0)
        return loss, [dk1, db1, dk2, db2, dw3, db3]

    def train_step(self, x, labels):
        """Forward, backward and one Adam update; returns the batch's mean loss."""
        loss, grads = self.loss_and_grads(x, labels)
        self.optimizer.step(grads)
        return loss


# -- LSTM -----------------------------------------------------------------------------------------


def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5


class LSTMClassifier:
    """LSTM(units) over the sequence, Dense(classes) on its last output, RMSprop; Keras's gate order
    i, f, c, o, its initializers (glorot kernel, orthogonal recurrent kernel, forget bias 1)."""

    def __init__(self, features=32, units=64, classes=10, seed=0, learning_rate=1e-3, **rmsprop):
        rng = np.random.RandomState(seed)
        self.units = units
        self.W = _glorot(rng, (features, 4 * units), features, 4 * units)
        q, r = np.linalg.qr(rng.standard_normal((4 * units, units)))
        self.R = (q * np.sign(np.diag(r))).T.astype(np.float32)
        self.b = np.zeros(4 * units, np.float32)
        self.b[units:2 * units] = 1.0
        self.Wd = _glorot(rng, (units, classes), units, classes)
        self.bd = np.zeros(classes, np.float32)
        self.params = [self.W, self.R, self.b, self.Wd, self.bd]
        self.optimizer = ref.RMSprop(self.params, learning_rate=learning_rate, **rmsprop)

    def loss_and_grads(self, x, labels):
        n, steps, f = x.shape
        u = self.units
        xt = np.ascontiguousarray(x.transpose(1, 0, 2))                 # time-major (T, n, F)
        gates = (xt.reshape(steps * n, f) @ self.W).reshape(steps, n, 4 * u)
        gates += self.b
        hs = np.zeros((steps + 1, n, u), np.float32)
        cs = np.zeros((steps + 1, n, u), np.float32)
        tcs = np.empty((steps, n, u), np.float32)
        for t in range(steps):
            z = gates[t]
            z += hs[t] @ self.R
            z[:, :2 * u] = _sigmoid(z[:, :2 * u])
            z[:, 2 * u:3 * u] = np.tanh(z[:, 2 * u:3 * u])
            z[:, 3 * u:] = _sigmoid(z[:, 3 * u:])
            cs[t + 1] = z[:, u:2 * u] * cs[t] + z[:, :u] * z[:, 2 * u:3 * u]
            tcs[t] = np.tanh(cs[t + 1])
            hs[t + 1] = z[:, 3 * u:] * tcs[t]
        logits = hs[steps] @ self.Wd + self.bd
        loss, g = ref.softmax_cross_entropy(logits, labels)
        dWd = hs[steps].T @ g
        dbd = g.sum(axis=0)
        dh = g @ self.Wd.T
        dc = np.zeros((n, u), np.float32)
        dz = np.empty_like(gates)
        for t in range(steps - 1, -1, -1):
            z = gates[t]
            i, fg, gg, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            tc = tcs[t]
            dc = dc + dh * o * (1.0 - tc * tc)
            d = dz[t]
            d[:, :u] = dc * gg * i * (1.0 - i)
            d[:, u:2 * u] = dc * cs[t] * fg * (1.0 - fg)
            d[:, 2 * u:3 * u] = dc * i * (1.0 - gg * gg)
            d[:, 3 * u:] = dh * tc * o * (1.0 - o)
            dc = dc * fg
            dh = d @ self.R.T
        dz2 = dz.reshape(steps * n, 4 * u)
        dW = xt.reshape(steps * n, f).T @ dz2
        dR = hs[:-1].reshape(steps * n, u).T @ dz2
        db = dz2.sum(axis=0)
        return loss, [dW, dR, db, dWd, dbd]

    def train_step(self, x, labels):
        """Forward, backward through time and one RMSprop update; returns the batch's mean loss."""
        loss, grads = self.loss_and_grads(x, labels)
        self.optimizer.step(grads)
        return loss


# -- what the benchmark runner calls --------------------------------------------------------------


def cnn_train_step(seed=0):
    """A ``step(x, labels)`` training the CNN one batch at a time (Adam, learning rate 1e-3)."""
    model = CNN(seed=seed, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    return model.train_step


def lstm_train_step(seed=0):
    """A ``step(x, labels)`` training the LSTM classifier one batch at a time (RMSprop, learning rate 1e-3)."""
    model = LSTMClassifier(seed=seed, learning_rate=1e-3, rho=0.9, epsilon=1e-7)
    return model.train_step


def _synthetic(batch, shape, seed):
    rng = np.random.RandomState(seed)
    return rng.random_sample((batch,) + shape).astype(np.float32), rng.randint(0, 10, batch).astype(np.int64)


def cnn_step_fn(batch=64, seed=0):
    """A zero-argument callable doing one CNN training step on a fixed synthetic batch."""
    step = cnn_train_step(seed)
    x, y = _synthetic(batch, (28, 28, 1), seed)
    return lambda: step(x, y)


def lstm_step_fn(batch=64, seed=0):
    """A zero-argument callable doing one LSTM training step on a fixed synthetic batch."""
    step = lstm_train_step(seed)
    x, y = _synthetic(batch, (50, 32), seed)
    return lambda: step(x, y)
