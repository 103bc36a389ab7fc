"""The lower bound for the Transformer workload: one encoder block written by hand in numpy.

(batch, 64, 128) -> MultiHeadAttention(4 heads, key_dim 32) self-attention -> Add -> LayerNormalization ->
Dense(256, relu) -> Dense(128) -> Add -> LayerNormalization -> GlobalAveragePooling1D -> Dense(10), sparse
softmax cross-entropy, Adam. The same model as Keras's (``benchmarks/systems/keras_like.py``): Keras's
initializers (glorot-uniform kernels, zero biases, LayerNormalization's gamma 1 and beta 0, epsilon 1e-3),
attention probabilities from ``softmax(Q K^T / sqrt(32))``, Q/K/V/output projections as one matrix each.

No autodiff, no graph: the arithmetic a framework has to do, in float32, with in-place updates where numpy
allows them. Imports numpy (and the optimizer of ``numpy_reference``) only.

Example:
    >>> step = transformer_train_step()
    >>> x = np.zeros((32, 64, 128), np.float32); y = np.zeros(32, np.int64)
    >>> loss = step(x, y)
"""
import math

import numpy as np

try:
    import numpy_reference as ref       # run as benchmarks/child.py: benchmarks/ is on sys.path
except ImportError:  # pragma: no cover - imported as a package module
    from . import numpy_reference as ref


def _glorot(rng, shape, fan_in, fan_out, dtype):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def _layer_norm(x, gamma, beta, eps):
    """LayerNormalization over the last axis; returns the output and what backward needs."""
    mean = x.mean(axis=-1, keepdims=True)
    xc = x - mean
    var = np.einsum("...i,...i->...", xc, xc)[..., None] / x.shape[-1]
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv
    return xhat * gamma + beta, (xhat, inv)


def _layer_norm_backward(g, gamma, cache):
    xhat, inv = cache
    rows = g.reshape(-1, g.shape[-1])
    dgamma = np.einsum("ij,ij->j", rows, xhat.reshape(rows.shape))
    dbeta = rows.sum(axis=0)
    gx = g * gamma
    n = g.shape[-1]
    mean_g = gx.mean(axis=-1, keepdims=True)
    mean_gx = np.einsum("...i,...i->...", gx, xhat)[..., None] / n
    dx = (gx - mean_g - xhat * mean_gx) * inv
    return dx, dgamma, dbeta


class TransformerClassifier:
    """The benchmark's encoder block and classifier head, trained with Adam."""

    def __init__(self, width=128, heads=4, ff=256, classes=10, seed=0, dtype=np.float32, learning_rate=1e-3,
                 eps=1e-3, **adam):
        rng = np.random.RandomState(seed)
        self.width, self.heads, self.key_dim, self.eps = width, heads, width // heads, eps
        d, h, k = width, heads, width // heads
        # Q, K, V kernels (width, heads * key_dim) as Keras's (width, heads, key_dim) flattened; output (h k, width)
        self.wq, self.wk, self.wv = (_glorot(rng, (d, h * k), d, h * k, dtype) for _ in range(3))
        self.bq, self.bk, self.bv = (np.zeros(h * k, dtype) for _ in range(3))
        self.wo = _glorot(rng, (h * k, d), h * k, d, dtype)
        self.bo = np.zeros(d, dtype)
        self.g1, self.b1 = np.ones(d, dtype), np.zeros(d, dtype)
        self.w1, self.c1 = _glorot(rng, (d, ff), d, ff, dtype), np.zeros(ff, dtype)
        self.w2, self.c2 = _glorot(rng, (ff, d), ff, d, dtype), np.zeros(d, dtype)
        self.g2, self.b2 = np.ones(d, dtype), np.zeros(d, dtype)
        self.wh, self.ch = _glorot(rng, (d, classes), d, classes, dtype), np.zeros(classes, dtype)
        self.params = [self.wq, self.bq, self.wk, self.bk, self.wv, self.bv, self.wo, self.bo, self.g1, self.b1,
                       self.w1, self.c1, self.w2, self.c2, self.g2, self.b2, self.wh, self.ch]
        self.optimizer = ref.Adam(self.params, learning_rate=learning_rate, **adam)

    def loss_and_grads(self, x, labels):
        n, t, d = x.shape
        h, k = self.heads, self.key_dim
        rows = x.reshape(n * t, d)
        scale = x.dtype.type(1.0 / math.sqrt(k))

        def heads(a):                                    # (n t, h k) -> (n, h, t, k)
            return a.reshape(n, t, h, k).transpose(0, 2, 1, 3)

        q = rows @ self.wq
        q += self.bq
        q *= scale                                       # Q / sqrt(k), as Keras scales the query
        kk = rows @ self.wk
        kk += self.bk
        v = rows @ self.wv
        v += self.bv
        qh, kh, vh = heads(q), heads(kk), heads(v)
        p = qh @ kh.transpose(0, 1, 3, 2)                # (n, h, t, t) scores, then probabilities
        p -= p.max(axis=-1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=-1, keepdims=True)
        ctx = (p @ vh).transpose(0, 2, 1, 3).reshape(n * t, h * k)
        a = ctx @ self.wo
        a += self.bo
        a += rows                                        # residual
        y1, ln1 = _layer_norm(a, self.g1, self.b1, self.eps)
        f = y1 @ self.w1
        f += self.c1
        np.maximum(f, 0, out=f)
        f2 = f @ self.w2
        f2 += self.c2
        f2 += y1                                         # residual
        y2, ln2 = _layer_norm(f2, self.g2, self.b2, self.eps)
        pooled = y2.reshape(n, t, d).mean(axis=1)
        logits = pooled @ self.wh
        logits += self.ch
        loss, g = ref.softmax_cross_entropy(logits, labels)

        dwh = pooled.T @ g
        dch = g.sum(axis=0)
        gp = g @ self.wh.T                               # (n, d)
        gy2 = np.broadcast_to((gp / t)[:, None, :], (n, t, d)).reshape(n * t, d)
        gf2, dg2, db2 = _layer_norm_backward(gy2, self.g2, ln2)
        dw2 = f.T @ gf2
        dc2 = gf2.sum(axis=0)
        gf = gf2 @ self.w2.T
        gf *= f > 0
        dw1 = y1.T @ gf
        dc1 = gf.sum(axis=0)
        gy1 = gf @ self.w1.T
        gy1 += gf2                                       # residual
        ga, dg1, db1 = _layer_norm_backward(gy1, self.g1, ln1)
        dwo = ctx.T @ ga
        dbo = ga.sum(axis=0)
        gctx = (ga @ self.wo.T).reshape(n, t, h, k).transpose(0, 2, 1, 3)
        dvh = p.transpose(0, 1, 3, 2) @ gctx
        dp = gctx @ vh.transpose(0, 1, 3, 2)
        dp -= np.einsum("...ij,...ij->...i", dp, p)[..., None]
        dp *= p                                          # gradient of the scores
        dqh = dp @ kh                                    # for Q / sqrt(k)
        dkh = dp.transpose(0, 1, 3, 2) @ qh

        def rows_of(a):                                  # (n, h, t, k) -> (n t, h k)
            return a.transpose(0, 2, 1, 3).reshape(n * t, h * k)

        dq, dk, dv = rows_of(dqh), rows_of(dkh), rows_of(dvh)
        dq *= scale
        dwq, dbq = rows.T @ dq, dq.sum(axis=0)
        dwk, dbk = rows.T @ dk, dk.sum(axis=0)
        dwv, dbv = rows.T @ dv, dv.sum(axis=0)
        return loss, [dwq, dbq, dwk, dbk, dwv, dbv, dwo, dbo, dg1, db1, dw1, dc1, dw2, dc2, dg2, db2, dwh, dch]

    def train_step(self, x, labels):
        """Forward, backward and one Adam update; returns the batch's mean loss."""
        loss, grads = self.loss_and_grads(x, labels)
        self.optimizer.step(grads)
        return loss


def transformer_train_step(seed=0, **sizes):
    """A ``step(x, labels)`` training the encoder block one batch at a time (Adam, learning rate 1e-3)."""
    model = TransformerClassifier(seed=seed, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **sizes)
    return model.train_step
