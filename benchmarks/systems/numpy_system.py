"""numpy by hand: the lower bound. The op chain and the MLP from ``numpy_reference``; the CNN (im2col) and
the LSTM (unfused) from ``numpy_reference_nn`` when that file is present; the Transformer encoder block from
``numpy_reference_transformer``."""
import numpy as np

import numpy_reference as ref
from workloads import (ADAM, EPOCH_SAMPLES, LEARNING_RATE, MLP_BATCH, MLP_SIZES, OPS_CHAIN_LENGTH,
                       OPS_CYCLE, PREDICT_BATCH, Bench, NotAvailable, cnn_batches, cycle, lstm_batches,
                       mlp_batches, mlp_dataset, mlp_params, ops_inputs, per_example_batch, predict_inputs,
                       transformer_batches)


def versions():
    return {"numpy": np.__version__}


def ops(quick=False):
    x, c, d = ops_inputs()
    return Bench(lambda: ref.ops_chain_value_and_grad(x, c, d, OPS_CHAIN_LENGTH, OPS_CYCLE))


def _mlp():
    return ref.MLP(MLP_SIZES, seed=0, learning_rate=LEARNING_RATE, **ADAM)


def mlp_step(quick=False):
    model = _mlp()
    batch = cycle(mlp_batches())

    def step():
        x, y = batch()
        model.train_step(x, y)
    return Bench(step)


def mlp_epoch(quick=False):
    model = _mlp()
    x, y = mlp_dataset(EPOCH_SAMPLES)
    rng = np.random.RandomState(0)
    small = 8 * MLP_BATCH
    return Bench(lambda: model.fit_epoch(x, y, MLP_BATCH, rng),
                 warmup=lambda: model.fit_epoch(x[:small], y[:small], MLP_BATCH, rng))


def predict(quick=False):
    model = _mlp()
    x = predict_inputs()
    return Bench(lambda: model.predict(x, PREDICT_BATCH), warmup=lambda: model.predict(x[:256], PREDICT_BATCH))


def _nn_reference():
    try:
        import numpy_reference_nn
    except ImportError as e:
        raise NotAvailable(f"benchmarks/numpy_reference_nn.py is not importable ({e})") from None
    return numpy_reference_nn


def cnn_step(quick=False):
    nn = _nn_reference()
    maker = getattr(nn, "cnn_train_step", None)
    if maker is None:
        raise NotAvailable("numpy_reference_nn has no cnn_train_step")
    step_fn = maker()
    batch = cycle(cnn_batches())
    return Bench(lambda: step_fn(*batch()))


def lstm_step(quick=False):
    nn = _nn_reference()
    maker = getattr(nn, "lstm_train_step", None)
    if maker is None:
        raise NotAvailable("numpy_reference_nn has no lstm_train_step")
    step_fn = maker()
    batch = cycle(lstm_batches())
    return Bench(lambda: step_fn(*batch()))


def transformer_step(quick=False):
    try:
        import numpy_reference_transformer
    except ImportError as e:
        raise NotAvailable(f"benchmarks/numpy_reference_transformer.py is not importable ({e})") from None
    step_fn = numpy_reference_transformer.transformer_train_step()
    batch = cycle(transformer_batches())
    return Bench(lambda: step_fn(*batch()))


# -- the transform workloads by hand ---------------------------------------------------------------------


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def jvp(quick=False):
    """The tangent of the batch loss pushed through the MLP layer by layer, written out."""
    params, direction = mlp_params()
    x, y = mlp_batches()[0]

    def run():
        h, t = x, np.zeros_like(x)
        for i in range(0, len(params), 2):
            w, b, dw, db = params[i], params[i + 1], direction[i], direction[i + 1]
            z, dz = h @ w + b, t @ w + h @ dw + db
            if i < len(params) - 2:
                mask = z > 0
                h, t = z * mask, dz * mask
            else:
                h, t = z, dz
        p = _softmax(h)
        p[np.arange(len(y)), y] -= 1.0
        return np.sum(p * t) / len(y)
    return Bench(run)


def vmap_grad(quick=False):
    """Every example's gradient at once: one forward, one backward with the batch kept, outer products per
    example for the weights (the lower bound of the batched engines)."""
    params, _ = mlp_params()
    xs, ys = per_example_batch()

    def run():
        hs, zs = [xs], []
        for i in range(0, len(params), 2):
            z = hs[-1] @ params[i] + params[i + 1]
            zs.append(z)
            hs.append(np.maximum(z, 0) if i < len(params) - 2 else z)
        g = _softmax(hs[-1])
        g[np.arange(len(ys)), ys] -= 1.0
        grads = [None] * len(params)
        for i in range(len(params) - 2, -1, -2):
            grads[i] = hs[i // 2][:, :, None] * g[:, None, :]
            grads[i + 1] = g
            if i:
                g = (g @ params[i].T) * (zs[i // 2 - 1] > 0)
        return grads
    return Bench(run)
