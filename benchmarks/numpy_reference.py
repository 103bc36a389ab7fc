"""The lower bound: the op chain and the MLP written by hand in numpy (forward, backward, Adam).

No autodiff, no graph, no per-op objects: just the arithmetic a framework has to do, in float32, with
in-place updates where numpy allows them. Every benchmark reports kerasfront against these figures.
Imports numpy only.

Example:
    >>> import numpy as np
    >>> mlp = MLP((784, 256, 128, 10), seed=0)
    >>> x = np.random.RandomState(0).rand(128, 784).astype(np.float32)
    >>> y = np.arange(128) % 10
    >>> loss = mlp.train_step(x, y)          # forward, backward, one Adam update
    >>> mlp.predict(x, batch_size=32).shape
    (128, 10)
"""
import math

import numpy as np


# -- the op chain ---------------------------------------------------------------------------------

def ops_chain_value_and_grad(x, c, d, length=200, cycle=("mul", "add", "tanh", "exp")):
    """``sum(chain(x))`` and its gradient with respect to ``x``, by hand.

    The chain applies, in turn, ``y*c``, ``y+d``, ``tanh(y)``, ``exp(y)`` (``length`` ops in all).
    Forward keeps what backward needs (for tanh and exp, their outputs); backward walks it in reverse.
    """
    saved = []
    y = x
    for i in range(length):
        op = cycle[i % len(cycle)]
        if op == "mul":
            y = y * c
        elif op == "add":
            y = y + d
        elif op == "tanh":
            y = np.tanh(y)
            saved.append(y)
        elif op == "exp":
            y = np.exp(y)
            saved.append(y)
        else:
            raise ValueError(f"unknown op {op!r} in the chain; expected one of mul, add, tanh, exp")
    value = y.sum()
    g = np.ones_like(y)
    for i in reversed(range(length)):
        op = cycle[i % len(cycle)]
        if op == "mul":
            g = g * c
        elif op == "tanh":
            t = saved.pop()
            g = g * (1.0 - t * t)
        elif op == "exp":
            g = g * saved.pop()
    return value, g


# -- Adam and RMSprop, as tf.keras does them --------------------------------------------------------

class Adam:
    """Adam with tf.keras's defaults, updating float32 arrays in place.

    ``p -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``, as tf.keras's Adam.
    """

    def __init__(self, params, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.params = params
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        lr_t = self.lr * math.sqrt(1.0 - self.b2 ** self.t) / (1.0 - self.b1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.b1
            m += (1.0 - self.b1) * g
            v *= self.b2
            v += (1.0 - self.b2) * (g * g)
            p -= (lr_t * m) / (np.sqrt(v) + self.eps)
        if self.t % 8 == 0:
            flush_subnormals(self.m + self.v)


def flush_subnormals(arrays):
    """Zero subnormal entries, as kerasfront's optimizers (and TensorFlow's flush-to-zero) do."""
    # NOTE: without this, m of dead relu units decays into float32's subnormal range after ~750 steps and
    # every update slows ~10x: the lower bound would then measure x86 subnormal assists, not the arithmetic.
    for a in arrays:
        np.multiply(a, np.abs(a) >= np.finfo(a.dtype).tiny, out=a)


class RMSprop:
    """RMSprop with tf.keras's defaults (no momentum, not centered), in place.

    ``a = rho*a + (1-rho)*g**2;  p -= lr * g / (sqrt(a) + eps)``.
    """

    def __init__(self, params, learning_rate=1e-3, rho=0.9, epsilon=1e-7):
        self.params = params
        self.lr, self.rho, self.eps = learning_rate, rho, epsilon
        self.a = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        for p, g, a in zip(self.params, grads, self.a):
            a *= self.rho
            a += (1.0 - self.rho) * (g * g)
            p -= (self.lr * g) / (np.sqrt(a) + self.eps)
        if self.t % 8 == 0:
            flush_subnormals(self.a)


def glorot_uniform(rng, fan_in, fan_out, dtype=np.float32):
    """A (fan_in, fan_out) matrix drawn as tf.keras's default kernel initializer draws it."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


# -- the MLP ----------------------------------------------------------------------------------------

def softmax_cross_entropy(logits, labels):
    """Mean sparse softmax cross-entropy of ``logits`` (n, k) against integer ``labels`` (n,) and its
    gradient with respect to the logits."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, labels]))
    grad = exp / total
    grad[rows, labels] -= 1.0
    grad *= 1.0 / n
    return loss, grad


class MLP:
    """A relu MLP with a linear last layer, trained with softmax cross-entropy and Adam.

    Args:
        sizes: layer widths, input first, e.g. ``(784, 256, 128, 10)``.
        seed: seed of the glorot-uniform kernels (biases start at zero, as in Keras).
        dtype: float32 for benchmarks; float64 to check gradients numerically.
    """

    def __init__(self, sizes, seed=0, dtype=np.float32, learning_rate=1e-3, **adam):
        rng = np.random.RandomState(seed)
        self.weights = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.weights.append(glorot_uniform(rng, fan_in, fan_out, dtype))
            self.weights.append(np.zeros(fan_out, dtype))
        self.optimizer = Adam(self.weights, learning_rate=learning_rate, **adam)

    def forward(self, x):
        """Logits of ``x``; no bookkeeping for backward."""
        h = x
        n_layers = len(self.weights) // 2
        for i in range(n_layers):
            h = h @ self.weights[2 * i]
            h += self.weights[2 * i + 1]
            if i < n_layers - 1:
                np.maximum(h, 0, out=h)
        return h

    def loss_and_grads(self, x, labels):
        """Mean cross-entropy on the batch and the gradient of every weight (kernels and biases, in order)."""
        n_layers = len(self.weights) // 2
        activations = [x]
        h = x
        for i in range(n_layers):
            h = h @ self.weights[2 * i]
            h += self.weights[2 * i + 1]
            if i < n_layers - 1:
                np.maximum(h, 0, out=h)
                activations.append(h)
        loss, g = softmax_cross_entropy(h, labels)
        grads = [None] * len(self.weights)
        for i in reversed(range(n_layers)):
            a = activations[i]
            grads[2 * i] = a.T @ g
            grads[2 * i + 1] = g.sum(axis=0)
            if i > 0:
                g = g @ self.weights[2 * i].T
                g *= a > 0          # relu's gradient, read off its output
        return loss, grads

    def train_step(self, x, labels):
        """One step: forward, backward, Adam. Returns the batch loss."""
        loss, grads = self.loss_and_grads(x, labels)
        self.optimizer.step(grads)
        return loss

    def fit_epoch(self, x, labels, batch_size=128, rng=None):
        """One epoch over ``x`` in shuffled batches (a new permutation each epoch, as Keras's fit does)."""
        rng = rng if rng is not None else np.random
        order = rng.permutation(len(x))
        loss = None
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            loss = self.train_step(x[index], labels[index])
        return loss

    def predict(self, x, batch_size=32):
        """Logits for ``x``, computed ``batch_size`` rows at a time (as Keras's predict batches)."""
        return np.concatenate([self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
