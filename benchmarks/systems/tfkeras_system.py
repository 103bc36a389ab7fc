"""tf.keras 2 (the ``tf_keras`` package) on TensorFlow; the op chain in eager mode under a GradientTape."""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

import keras_like  # noqa: E402
from workloads import OPS_CHAIN_LENGTH, OPS_CYCLE, Bench, ops_inputs  # noqa: E402

tf_keras.utils.set_random_seed(0)
if os.environ.get("BENCH_THREADS"):
    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ["BENCH_THREADS"]))
    tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["BENCH_THREADS"]))


def versions():
    return {"tf_keras": tf_keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__,
            "threads": os.environ.get("BENCH_THREADS", "default")}


def ops(quick=False):
    x0, c0, d0 = ops_inputs()
    x = tf.Variable(x0)
    c, d = tf.constant(c0), tf.constant(d0)
    funcs = {"mul": lambda y: y * c, "add": lambda y: y + d, "tanh": tf.tanh, "exp": tf.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def run():
        with tf.GradientTape() as tape:
            y = x
            for f in chain:
                y = f(y)
            total = tf.reduce_sum(y)
        return tape.gradient(total, x)
    return Bench(run)


def mlp_step(quick=False):
    return keras_like.mlp_step(tf_keras)


def mlp_epoch(quick=False):
    return keras_like.mlp_epoch(tf_keras)


def predict(quick=False):
    return keras_like.predict(tf_keras)


def cnn_step(quick=False):
    return keras_like.cnn_step(tf_keras)


def lstm_step(quick=False):
    return keras_like.lstm_step(tf_keras)


def transformer_step(quick=False):
    return keras_like.transformer_step(tf_keras)


def text_vectorization(quick=False):
    return keras_like.text_vectorization(tf_keras)


def normalization(quick=False):
    return keras_like.normalization(tf_keras)


def app_resnet50(quick=False):
    return keras_like.application(tf_keras, "app_resnet50")


def app_mobilenetv2(quick=False):
    return keras_like.application(tf_keras, "app_mobilenetv2")


def app_efficientnetb0(quick=False):
    return keras_like.application(tf_keras, "app_efficientnetb0")
