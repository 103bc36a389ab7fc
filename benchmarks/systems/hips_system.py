"""HIPS autograd (``pip install autograd``): models written as functions of a parameter list with
``autograd.numpy``, gradients by ``autograd.grad``, optimizers by hand (``numpy_reference.Adam`` and
``RMSprop``). Convolution is im2col over nine shifted slices and one matrix product (HIPS's own
``autograd.scipy.signal.convolve``, an einsum over strided windows, took 4.5 s a step here, 10x more);
the LSTM is unrolled over time."""
import numpy as onp

import autograd
import autograd.numpy as anp

import numpy_reference as ref
from workloads import (ADAM, CNN_INPUT, EPOCH_SAMPLES, LEARNING_RATE, LSTM_FEATURES, LSTM_UNITS, MLP_BATCH,
                       MLP_SIZES, N_CLASSES, OPS_CHAIN_LENGTH, OPS_CYCLE, PREDICT_BATCH, RMSPROP, Bench,
                       cnn_batches, cycle, lstm_batches, mlp_batches, mlp_dataset, mlp_params, ops_inputs,
                       per_example_batch, predict_inputs)

if not hasattr(autograd, "numpy") or not hasattr(autograd, "grad") or not hasattr(anp, "tanh"):
    raise ImportError("the importable 'autograd' is not HIPS autograd (it has no autograd.numpy)")


def versions():
    from importlib.metadata import version
    return {"autograd": version("autograd"), "numpy": onp.__version__}


def ops(quick=False):
    x, c, d = ops_inputs()
    funcs = {"mul": lambda y: y * c, "add": lambda y: y + d, "tanh": anp.tanh, "exp": anp.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def f(y):
        for g in chain:
            y = g(y)
        return anp.sum(y)
    grad = autograd.grad(f)
    return Bench(lambda: grad(x))


def _cross_entropy(logits, labels):
    # NOTE: logsumexp written out (autograd.scipy needs scipy); shifting by the row max keeps exp finite.
    rows = onp.arange(len(labels))
    shifted = logits - anp.max(logits, axis=1, keepdims=True)
    return anp.mean(anp.log(anp.sum(anp.exp(shifted), axis=1)) - shifted[rows, labels])


def _dense_params(rng, sizes):
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [ref.glorot_uniform(rng, a, b), onp.zeros(b, onp.float32)]
    return params


def _mlp_forward(params, x):
    h = x
    n = len(params) // 2
    for i in range(n):
        h = anp.dot(h, params[2 * i]) + params[2 * i + 1]
        if i < n - 1:
            h = anp.maximum(h, 0.0)
    return h


def _trainer(loss, params, optimizer):
    grad = autograd.grad(loss)

    def step(x, y):
        optimizer.step(grad(params, x, y))
    return step


def _mlp_trainer():
    params = _dense_params(onp.random.RandomState(0), MLP_SIZES)
    step = _trainer(lambda p, x, y: _cross_entropy(_mlp_forward(p, x), y), params,
                    ref.Adam(params, LEARNING_RATE, **ADAM))
    return params, step


def mlp_step(quick=False):
    _, step = _mlp_trainer()
    batch = cycle(mlp_batches())
    return Bench(lambda: step(*batch()))


def mlp_epoch(quick=False):
    _, step = _mlp_trainer()
    x, y = mlp_dataset(EPOCH_SAMPLES)
    rng = onp.random.RandomState(0)

    def epoch(n=len(x)):
        order = rng.permutation(n)
        for start in range(0, n, MLP_BATCH):
            index = order[start:start + MLP_BATCH]
            step(x[index], y[index])
    return Bench(epoch, warmup=lambda: epoch(8 * MLP_BATCH))


def predict(quick=False):
    params, _ = _mlp_trainer()
    x = predict_inputs()

    def run(data=x):
        return onp.concatenate([_mlp_forward(params, data[i:i + PREDICT_BATCH])
                                for i in range(0, len(data), PREDICT_BATCH)])
    return Bench(run, warmup=lambda: run(x[:256]))


def _conv3x3_relu(x, kernel, bias):
    """Valid 3x3 convolution, channels last, as one matrix product over the nine shifted slices."""
    n, h, w, _ = x.shape
    cols = anp.concatenate([x[:, i:i + h - 2, j:j + w - 2, :] for i in range(3) for j in range(3)], axis=3)
    out = anp.dot(anp.reshape(cols, (n * (h - 2) * (w - 2), -1)), kernel) + bias
    return anp.maximum(anp.reshape(out, (n, h - 2, w - 2, -1)), 0.0)


def _maxpool2(x):
    """2x2 max pooling, channels last; an odd size is cropped first, as Keras's 'valid' pooling does."""
    n, h, w, c = x.shape
    h2, w2 = h // 2, w // 2
    if (h, w) != (2 * h2, 2 * w2):
        # NOTE: only crop when needed: HIPS's slice gradient scatters with np.add.at, which is slow.
        x = x[:, :2 * h2, :2 * w2, :]
    return anp.max(anp.max(anp.reshape(x, (n, h2, 2, w2, 2, c)), axis=4), axis=2)


def _cnn_forward(params, x):
    k1, b1, k2, b2, k3, b3 = params
    h = _maxpool2(_conv3x3_relu(x, k1, b1))
    h = _maxpool2(_conv3x3_relu(h, k2, b2))
    return anp.dot(anp.reshape(h, (h.shape[0], -1)), k3) + b3


def cnn_step(quick=False):
    rng = onp.random.RandomState(0)
    h, w, c = CNN_INPUT
    side = (((h - 2) // 2) - 2) // 2
    params = [ref.glorot_uniform(rng, 9 * c, 32), onp.zeros(32, onp.float32),
              ref.glorot_uniform(rng, 9 * 32, 64), onp.zeros(64, onp.float32),
              ref.glorot_uniform(rng, 64 * side * side, N_CLASSES), onp.zeros(N_CLASSES, onp.float32)]
    step = _trainer(lambda p, x, y: _cross_entropy(_cnn_forward(p, x), y), params,
                    ref.Adam(params, LEARNING_RATE, **ADAM))
    batch = cycle(cnn_batches())
    return Bench(lambda: step(*batch()))


def _sigmoid(z):
    return 0.5 * (anp.tanh(0.5 * z) + 1.0)


def _lstm_forward(params, x):
    w_in, w_rec, bias, k_out, b_out = params
    n, steps, features = x.shape
    units = w_rec.shape[0]
    # One input projection for all steps, then one recurrent product per step (gates in Keras's order i, f, c, o).
    projected = anp.reshape(anp.dot(anp.reshape(x, (n * steps, features)), w_in) + bias, (n, steps, 4 * units))
    h = onp.zeros((n, units), onp.float32)
    c = onp.zeros((n, units), onp.float32)
    for t in range(steps):
        z = projected[:, t, :] + anp.dot(h, w_rec)
        i, f = _sigmoid(z[:, :units]), _sigmoid(z[:, units:2 * units])
        g, o = anp.tanh(z[:, 2 * units:3 * units]), _sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * anp.tanh(c)
    return anp.dot(h, k_out) + b_out


def lstm_step(quick=False):
    rng = onp.random.RandomState(0)
    params = [ref.glorot_uniform(rng, LSTM_FEATURES, 4 * LSTM_UNITS), ref.glorot_uniform(rng, LSTM_UNITS, 4 * LSTM_UNITS),
              onp.zeros(4 * LSTM_UNITS, onp.float32), ref.glorot_uniform(rng, LSTM_UNITS, N_CLASSES),
              onp.zeros(N_CLASSES, onp.float32)]
    step = _trainer(lambda p, x, y: _cross_entropy(_lstm_forward(p, x), y), params,
                    ref.RMSprop(params, LEARNING_RATE, **RMSPROP))
    batch = cycle(lstm_batches())
    return Bench(lambda: step(*batch()))


# -- function transforms on the MLP: HIPS's forward mode (make_jvp) and grad; it has no vmap ---------------


def jvp(quick=False):
    params, direction = mlp_params()
    x, y = mlp_batches()[0]
    pushed = autograd.make_jvp(lambda p: _cross_entropy(_mlp_forward(p, x), y))(params)
    return Bench(lambda: pushed(direction)[1])


def grad_loop(quick=False):
    params, _ = mlp_params()
    xs, ys = per_example_batch()
    one = autograd.grad(lambda p, x, y: _cross_entropy(_mlp_forward(p, x[None]), y[None]))
    return Bench(lambda: [one(params, x, y) for x, y in zip(xs, ys)])
