"""Make the synchronized BatchNormalization reference: tf.keras's ``BatchNormalization(synchronized=True)`` in one
process (its synchronized path runs with a one-replica all-reduce: E[x^2] - E[x]^2, the non-fused moving update).

Run with a Python that has tensorflow-cpu and tf_keras (never the project's environment):
    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tools/make_sync_batchnorm_fixtures.py tests/fixtures/sync_batchnorm

It writes OUT_DIR/reference.npz, for each case ``c`` in ("conv", "masked"):
  c/x, c/gamma, c/beta, c/r: the input, the affine weights set before the call, and the cotangent r;
  c/mask (masked only): the (batch, time) mask passed to the layer;
  c/out: the output of one call with training=True; c/moving_mean, c/moving_variance: after that call
  (momentum 0.9); c/dx, c/dgamma, c/dbeta: the gradients of sum(out * r).
"""
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402


def case(x, mask=None, seed=0):
    rng = np.random.default_rng(seed)
    channels = x.shape[-1]
    gamma = rng.uniform(0.5, 1.5, channels).astype("float32")
    beta = rng.normal(size=channels).astype("float32")
    layer = keras.layers.BatchNormalization(synchronized=True, momentum=0.9)
    layer.build(x.shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    r = rng.normal(size=x.shape).astype("float32")
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        kwargs = {} if mask is None else {"mask": tf.constant(mask)}
        out = layer(xt, training=True, **kwargs)
        loss = tf.reduce_sum(out * r)
    dx, dgamma, dbeta = tape.gradient(loss, [xt, layer.gamma, layer.beta])
    result = {"x": x, "gamma": gamma, "beta": beta, "r": r, "out": out.numpy(), "dx": dx.numpy(),
              "dgamma": dgamma.numpy(), "dbeta": dbeta.numpy(), "moving_mean": layer.moving_mean.numpy(),
              "moving_variance": layer.moving_variance.numpy()}
    if mask is not None:
        result["mask"] = mask
    return result


def main(out_dir):
    rng = np.random.default_rng(42)
    conv = (rng.normal(size=(6, 4, 4, 3)) * [1.0, 3.0, 0.2] + [0.5, -2.0, 4.0]).astype("float32")
    seq = (rng.normal(size=(4, 5, 2)) * [2.0, 0.5] + [1.0, -1.0]).astype("float32")
    mask = rng.random((4, 5)) > 0.3
    mask[:, 0] = True
    arrays = {}
    for name, result in (("conv", case(conv, seed=1)), ("masked", case(seq, mask, seed=2))):
        arrays.update({f"{name}/{k}": v for k, v in result.items()})
    os.makedirs(out_dir, exist_ok=True)
    np.savez_compressed(os.path.join(out_dir, "reference.npz"), **arrays)
    print(f"wrote {os.path.join(out_dir, 'reference.npz')} ({len(arrays)} arrays)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/sync_batchnorm")
