"""The documented recipe that gives an architecture the same weights and inputs in tf.keras and in kerasfront, so
that the numeric fixture holds only seeds and tf.keras's outputs (tools/make_applications_fixtures.py uses this
module too, with tf_keras; the tests use it with kerasfront). numpy only.

Weights are drawn in the model's weight order from ``np.random.default_rng(seed)``, by the weight's kind (the last
part of its name):
  - ``moving_variance`` / ``variance``: uniform in [0.5, 1.5]      - ``gamma``: uniform in [0.8, 1.2]
  - ``moving_mean`` / ``mean`` / ``beta`` / ``bias``: normal, std 0.1
  - kernels: normal, std ``sqrt(gain / fan_in)`` (fan_in: the kernel's size times its input channels; a depthwise
    kernel's size alone; gain 2 unless the case says otherwise), so that activations keep their scale
  - integer weights (Normalization's ``count``): 0
Images are ``default_rng(seed).uniform(0, 255, shape)``, image ``i`` of ``n`` scaled by ``(i + 1) / n``, float32.

Example:
    >>> values = seeded_weight_values([("dense/kernel:0", (3, 2), "float32")], seed=1)
    >>> values[0].shape, values[0].dtype
    ((3, 2), dtype('float32'))
"""
import math

import numpy as np

#: channels of the pooled features stored per sample (evenly spaced), besides the features' sum and sum of squares
STORED_FEATURES = 24


def _kind(name):
    return name.split(":")[0].rsplit("/", 1)[-1]


def seeded_weight_values(specs, seed, gain=2.0):
    """Arrays for ``specs`` = ``[(name, shape, dtype), ...]`` (the model's weights in order), drawn as described
    in the module docstring; kernels have std ``sqrt(gain / fan_in)`` (the fixture records ``gain``: swish
    networks with squeeze-and-excite gates need 2.5 for their features to still depend on the image)."""
    rng = np.random.default_rng(seed)
    out = []
    for name, shape, dtype in specs:
        shape = tuple(int(d) for d in shape)
        kind = _kind(name)
        if np.dtype(dtype).kind != "f":
            out.append(np.zeros(shape, dtype=dtype))
            continue
        if kind in ("moving_variance", "variance"):
            value = rng.uniform(0.5, 1.5, shape)
        elif kind == "gamma":
            value = rng.uniform(0.8, 1.2, shape)
        elif kind in ("moving_mean", "mean", "beta", "bias"):
            value = rng.normal(0.0, 0.1, shape)
        else:
            fan_in = math.prod(shape[:-2]) if kind == "depthwise_kernel" else math.prod(shape[:-1])
            value = rng.normal(0.0, math.sqrt(gain / max(fan_in, 1)), shape)
        out.append(value.astype(dtype))
    return out


def seeded_images(shape, seed):
    """A float32 batch of images with values in [0, 255): uniform noise, image ``i`` of ``n`` scaled by
    ``(i + 1) / n`` (so that the images differ in brightness too: pooled features of iid noise images are nearly
    the same, which would hide a network that ignores its input)."""
    x = np.random.default_rng(seed).uniform(0.0, 255.0, shape)
    scale = (np.arange(shape[0]) + 1.0) / shape[0]
    return (x * scale.reshape((-1,) + (1,) * (len(shape) - 1))).astype("float32")


def feature_summary(features):
    """What the fixture keeps of a ``(samples, channels)`` feature batch: per sample, ``STORED_FEATURES`` evenly
    spaced channels, the sum and the sum of squares of all channels (float64 lists)."""
    features = np.asarray(features, dtype=np.float64)
    picks = np.linspace(0, features.shape[1] - 1, STORED_FEATURES).round().astype(int)
    return {"channels": picks.tolist(), "values": features[:, picks].tolist(),
            "sum": features.sum(axis=1).tolist(), "sum_sq": (features ** 2).sum(axis=1).tolist()}


def check_sum(arrays):
    """A float64 checksum of arrays (the fixture records it for the inputs and weights, so that a change of numpy's
    random streams shows as such rather than as a numeric mismatch)."""
    return float(sum(float(np.asarray(a, dtype=np.float64).sum()) for a in arrays))
