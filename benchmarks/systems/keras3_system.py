"""Keras 3 with the JAX backend; the op chain as ``jax.value_and_grad`` of ``keras.ops`` calls, not jitted
(eager, as the other systems run it). The transform workloads (jvp, vmap_grad, grad_loop) use JAX directly,
compiled with ``jax.jit`` as JAX users write them."""
import os

os.environ["KERAS_BACKEND"] = "jax"
if os.environ.get("BENCH_THREADS") == "1":
    # NOTE: XLA on the CPU takes no thread count; this pair of flags is its documented single-thread mode.
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_like  # noqa: E402
from workloads import (OPS_CHAIN_LENGTH, OPS_CYCLE, Bench, mlp_batches, mlp_params, ops_inputs,  # noqa: E402
                       per_example_batch)

keras.utils.set_random_seed(0)


def versions():
    return {"keras": keras.__version__, "jax": jax.__version__, "backend": keras.backend.backend(),
            "numpy": np.__version__, "threads": "1" if os.environ.get("BENCH_THREADS") == "1" else "default"}


def ops(quick=False):
    x0, c0, d0 = ops_inputs()
    x, c, d = (jax.numpy.asarray(a) for a in (x0, c0, d0))
    kops = keras.ops
    funcs = {"mul": lambda y: kops.multiply(y, c), "add": lambda y: kops.add(y, d), "tanh": kops.tanh,
             "exp": kops.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def f(y):
        for g in chain:
            y = g(y)
        return kops.sum(y)
    value_and_grad = jax.value_and_grad(f)

    def run():
        value, grad = value_and_grad(x)
        return grad.block_until_ready()
    return Bench(run)


def mlp_step(quick=False):
    return keras_like.mlp_step(keras)


def mlp_epoch(quick=False):
    return keras_like.mlp_epoch(keras)


def predict(quick=False):
    return keras_like.predict(keras)


def cnn_step(quick=False):
    return keras_like.cnn_step(keras)


def lstm_step(quick=False):
    return keras_like.lstm_step(keras)


def transformer_step(quick=False):
    return keras_like.transformer_step(keras)


# -- function transforms on the MLP: jax.jit of jax.jvp / jax.vmap(jax.grad), JAX directly -----------------


def _logits(params, x):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = jax.nn.relu(h @ params[i] + params[i + 1])
    return h @ params[-2] + params[-1]


def _example_loss(params, x, y):
    return -jax.nn.log_softmax(_logits(params, x))[y]


def jvp(quick=False):
    params, direction = (tuple(jax.numpy.asarray(a) for a in arrays) for arrays in mlp_params())
    x, y = (jax.numpy.asarray(a) for a in mlp_batches()[0])

    def loss(*p):
        return jax.numpy.mean(jax.vmap(_example_loss, in_axes=(None, 0, 0))(p, x, y))

    pushed = jax.jit(lambda p, v: jax.jvp(loss, p, v)[1])
    return Bench(lambda: pushed(params, direction).block_until_ready())


def vmap_grad(quick=False):
    params = [jax.numpy.asarray(a) for a in mlp_params()[0]]
    xs, ys = (jax.numpy.asarray(a) for a in per_example_batch())
    per_example = jax.jit(jax.vmap(jax.grad(_example_loss), in_axes=(None, 0, 0)))
    return Bench(lambda: jax.block_until_ready(per_example(params, xs, ys)))


def grad_loop(quick=False):
    params = [jax.numpy.asarray(a) for a in mlp_params()[0]]
    xs, ys = per_example_batch()
    one = jax.jit(jax.grad(_example_loss))
    return Bench(lambda: jax.block_until_ready([one(params, x, y) for x, y in zip(xs, ys)]))
