"""Per-example gradients with ag.vmap: the core of differentially private SGD (DP-SGD, Abadi et al. 2016).

DP-SGD bounds how much any one training example can move the model: every example's gradient is clipped
to norm C before the batch's gradients are summed, and Gaussian noise of scale sigma * C is added to the
sum. That needs each example's own gradient, not the batch mean that backpropagation gives. Here
``ag.vmap(ag.grad(loss))`` computes all of them in one call, one primitive call per op for the whole batch
(batched matmuls in place of a Python loop over the examples):

  1. per-example gradients of a small MLP on the digits, checked against a Python loop, and timed;
  2. their norms, clipping to C and the noisy sum: a DP-SGD step;
  3. training with DP-SGD, then the test accuracy next to plain SGD's.

(The privacy budget epsilon of a run follows from sigma, the sampling rate and the number of steps with a
moments / RDP accountant; that bookkeeping is outside this example.)

Run:
    python examples/per_example_gradients.py
    python examples/per_example_gradients.py --epochs 20 --noise 1.1 --clip 1.0

Set KERASFRONT_EXAMPLE_FAST=1 for a shorter run (what the tests do).
"""
import argparse
import os
import sys
import time

import numpy as np

import autograd as ag
from kerasfront.datasets import digits     # only to load the data (numpy arrays)


def init_params(rng, sizes=(64, 64, 10)):
    """[W1, b1, W2, b2, ...] of a tanh MLP (Glorot-uniform weights, zero biases)."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params += [rng.uniform(-limit, limit, (fan_in, fan_out)), np.zeros(fan_out)]
    return params


def logits(params, x):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = ag.tanh(h @ params[i] + params[i + 1])
    return h @ params[-2] + params[-1]


def example_loss(params, x, y):
    """The cross-entropy of ONE example (x: 64 pixels, y: its class): the function vmap maps."""
    return ag.sparse_softmax_cross_entropy(logits(params, x), y)


def per_example_grads(params, xs, ys):
    """Every example's gradient, stacked: a list with one (batch, *weight shape) array per weight."""
    return ag.vmap(ag.grad(example_loss), in_axes=(None, 0, 0))(params, xs, ys)


def global_norms(grads):
    """Each example's gradient norm over all weights: sqrt(sum over weights of |g_w|^2), shape (batch,)."""
    return ag.sqrt(sum(ag.sum(ag.reshape(g * g, (g.shape[0], -1)), axis=1) for g in grads))


def dp_sgd_step(params, xs, ys, clip, noise, lr, rng):
    """One DP-SGD step: clip each example's gradient to norm <= clip, add N(0, (noise * clip)^2) to the sum,
    divide by the batch size, step. Returns the new parameters and the examples' norms before clipping."""
    grads = per_example_grads(params, xs, ys)
    norms = global_norms(grads)
    scale = ag.minimum(1.0, clip / ag.maximum(norms, 1e-12))        # (batch,): 1 for small gradients
    new = []
    for p, g in zip(params, grads):
        clipped = g * ag.reshape(scale, (-1,) + (1,) * (g.ndim - 1))
        total = ag.sum(clipped, axis=0).numpy() + rng.normal(0.0, noise * clip, size=np.shape(p))
        new.append(p - lr * total / len(xs))
    return new, norms.numpy()


def sgd_step(params, xs, ys, lr):
    batch_loss = lambda *p: ag.mean(ag.sparse_softmax_cross_entropy(logits(list(p), xs), ys))   # noqa: E731
    grads = ag.grad(batch_loss, argnums=tuple(range(len(params))))(*params)
    return [p - lr * g.numpy() for p, g in zip(params, grads)]


def accuracy(params, x, y):
    return float(np.mean(np.argmax(logits(params, x).numpy(), axis=1) == y))


def main(argv=None):
    fast = os.environ.get("KERASFRONT_EXAMPLE_FAST") == "1"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6 if fast else 30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--clip", type=float, default=1.0, help="C: the largest norm an example's gradient keeps")
    parser.add_argument("--noise", type=float, default=1.0, help="sigma: noise scale, in units of C")
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype(np.float64) / 16.0
    x_test = x_test.reshape(-1, 64).astype(np.float64) / 16.0
    rng = np.random.default_rng(args.seed)
    params = init_params(rng)

    # 1. per-example gradients in one call, against a loop over the examples
    xs, ys = x_train[:args.batch_size], y_train[:args.batch_size]
    start = time.perf_counter()
    batched = per_example_grads(params, xs, ys)
    t_vmap = time.perf_counter() - start
    start = time.perf_counter()
    looped = [ag.grad(example_loss)(params, x, y) for x, y in zip(xs, ys)]
    t_loop = time.perf_counter() - start
    diff = max(float(np.max(np.abs(batched[k].numpy()[i] - looped[i][k].numpy())))
               for i in range(len(xs)) for k in range(len(params)))
    print(f"per-example gradients of {len(xs)} examples: shapes {[tuple(g.shape) for g in batched]}")
    print(f"max difference from the loop: {diff:.3e}")
    print(f"time: vmap {t_vmap * 1e3:.1f} ms, Python loop {t_loop * 1e3:.1f} ms ({t_loop / t_vmap:.1f}x)")

    # 2. norms and clipping
    norms = global_norms(batched).numpy()
    print(f"per-example gradient norms: min {norms.min():.3f}, median {np.median(norms):.3f}, max {norms.max():.3f}")
    clipped = global_norms([g * np.minimum(1.0, args.clip / norms).reshape((-1,) + (1,) * (g.ndim - 1))
                            for g in batched]).numpy()
    print(f"largest norm after clipping to C = {args.clip}: {clipped.max():.6f}")

    # 3. DP-SGD against plain SGD, same batches
    dp_params, sgd_params = [p.copy() for p in params], [p.copy() for p in params]
    steps_per_epoch = len(x_train) // args.batch_size
    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        fraction_clipped = []
        for s in range(steps_per_epoch):
            idx = order[s * args.batch_size:(s + 1) * args.batch_size]
            dp_params, norms = dp_sgd_step(dp_params, x_train[idx], y_train[idx], args.clip, args.noise, args.lr, rng)
            sgd_params = sgd_step(sgd_params, x_train[idx], y_train[idx], args.lr)
            fraction_clipped.append(np.mean(norms > args.clip))
        print(f"epoch {epoch + 1}/{args.epochs}: DP-SGD test accuracy {accuracy(dp_params, x_test, y_test):.4f}, "
              f"clipped {np.mean(fraction_clipped):.2f} of the examples")
    print(f"DP-SGD test accuracy: {accuracy(dp_params, x_test, y_test):.4f} "
          f"(noise sigma {args.noise}, clip C {args.clip})")
    print(f"SGD test accuracy: {accuracy(sgd_params, x_test, y_test):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
