"""This repository: the op chain on ``autograd`` tensors directly, every model workload through the
``kerasfront`` Keras API (the same code as tf.keras's and Keras 3's, in ``keras_like``)."""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
import kerasfront  # noqa: E402

import keras_like  # noqa: E402
from workloads import (OPS_CHAIN_LENGTH, OPS_CYCLE, Bench, mlp_batches, mlp_params, ops_inputs,  # noqa: E402
                       per_example_batch)

if not os.path.abspath(ag.__file__).startswith(REPO + os.sep):
    raise ImportError(f"'autograd' resolves to {ag.__file__}, not this repository's engine; run kerasfront's "
                      f"benchmarks in an interpreter without HIPS autograd installed")


def versions():
    return {"kerasfront": getattr(kerasfront, "__version__", "?"), "autograd": getattr(ag, "__version__", "?"),
            "numpy": np.__version__}


def ops(quick=False):
    x0, c0, d0 = ops_inputs()
    x = ag.Tensor(x0, requires_grad=True)
    c, d = ag.Tensor(c0), ag.Tensor(d0)
    funcs = {"mul": lambda y: y * c, "add": lambda y: y + d, "tanh": ag.tanh, "exp": ag.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def run():
        y = x
        for f in chain:
            y = f(y)
        y.sum().backward()
        x.grad = None
    return Bench(run)


def _seeded():
    utils = getattr(kerasfront, "utils", None)
    if utils is not None and hasattr(utils, "set_random_seed"):
        utils.set_random_seed(0)
    return kerasfront


def mlp_step(quick=False):
    return keras_like.mlp_step(_seeded())


def mlp_epoch(quick=False):
    return keras_like.mlp_epoch(_seeded())


def predict(quick=False):
    return keras_like.predict(_seeded())


def cnn_step(quick=False):
    return keras_like.cnn_step(_seeded())


def lstm_step(quick=False):
    return keras_like.lstm_step(_seeded())


def transformer_step(quick=False):
    return keras_like.transformer_step(_seeded())


def text_vectorization(quick=False):
    return keras_like.text_vectorization(_seeded())


def normalization(quick=False):
    return keras_like.normalization(_seeded())


# -- function transforms on the MLP, autograd directly ----------------------------------------------------


def _logits(params, x):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = ag.relu(h @ params[i] + params[i + 1])
    return h @ params[-2] + params[-1]


def _batch_loss(params, x, y):
    return ag.mean(ag.sparse_softmax_cross_entropy(_logits(params, x), y))


def _example_loss(params, x, y):
    return ag.sparse_softmax_cross_entropy(_logits(params, x), y)


def jvp(quick=False):
    params, direction = mlp_params()
    x, y = mlp_batches()[0]

    def run():
        return ag.jvp(lambda *p: _batch_loss(list(p), x, y), tuple(params), tuple(direction))[1].numpy()
    return Bench(run)


def vmap_grad(quick=False):
    params, _ = mlp_params()
    xs, ys = per_example_batch()
    per_example = ag.vmap(ag.grad(_example_loss), in_axes=(None, 0, 0))
    return Bench(lambda: per_example(params, xs, ys))


def grad_loop(quick=False):
    params, _ = mlp_params()
    xs, ys = per_example_batch()
    one = ag.grad(_example_loss)
    return Bench(lambda: [one(params, x, y) for x, y in zip(xs, ys)])


def app_resnet50(quick=False):
    return keras_like.application(_seeded(), "app_resnet50")


def app_mobilenetv2(quick=False):
    return keras_like.application(_seeded(), "app_mobilenetv2")


def app_efficientnetb0(quick=False):
    return keras_like.application(_seeded(), "app_efficientnetb0")
