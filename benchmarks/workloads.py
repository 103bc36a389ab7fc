"""The benchmark workloads: names, sizes, timing protocol and the synthetic data every system gets.

Imports numpy only, so that it loads in every peer's interpreter. Data comes from the legacy
``np.random.RandomState`` (its stream is frozen across numpy versions), so each system, whatever numpy
its interpreter has, trains on the very same float32 arrays.

Example:
    >>> from workloads import WORKLOADS, mlp_batches
    >>> WORKLOADS["mlp_step"].title
    'mlp step (784-256-128-10, Adam, batch 128)'
    >>> x, y = mlp_batches()[0]
    >>> x.shape, x.dtype, y.dtype
    ((128, 784), dtype('float32'), dtype('int64'))
"""
from collections import namedtuple

import numpy as np

SEED = 1234

# Sizes shared by every system.
OPS_SHAPE = (16, 16)
OPS_CHAIN_LENGTH = 200          # elementwise ops, cycling through OPS_CYCLE, then one sum
OPS_CYCLE = ("mul", "add", "tanh", "exp")   # y*c, y+d, tanh(y), exp(y): stays bounded, every op a primitive
MLP_SIZES = (784, 256, 128, 10)
MLP_BATCH = 128
EPOCH_SAMPLES = 60_000
PREDICT_SAMPLES = 10_000
PREDICT_BATCH = 32
CNN_BATCH = 64
CNN_INPUT = (28, 28, 1)
LSTM_BATCH = 64
LSTM_STEPS = 50
LSTM_FEATURES = 32
LSTM_UNITS = 64
TRANSFORMER_BATCH = 32
TRANSFORMER_SEQ = 64
TRANSFORMER_WIDTH = 128         # model width: the input's features and every residual stream
TRANSFORMER_HEADS = 4           # key_dim = width / heads = 32
TRANSFORMER_FF = 256
LAYER_NORM_EPSILON = 1e-3       # Keras's LayerNormalization default (PyTorch's is 1e-5: set to this)
N_CLASSES = 10
TEXT_SAMPLES = 25_000          # short texts for TextVectorization's adapt + apply
TEXT_WORDS = (4, 16)           # words per text, drawn uniformly
TEXT_VOCABULARY = 5_000        # distinct words, Zipf-like frequencies
TEXT_SEQUENCE_LENGTH = 32
TABLE_SHAPE = (100_000, 32)    # Normalization's adapt + apply
PER_EXAMPLE_BATCH = 32         # examples whose gradients vmap_grad / grad_loop compute one by one
APP_BATCH = 8                  # keras.applications inference: images per call
APP_SIZE = 224                 # ... of 224x224x3, values in [0, 255)
APP_MODELS = {"app_resnet50": "ResNet50", "app_mobilenetv2": "MobileNetV2", "app_efficientnetb0": "EfficientNetB0"}
LEARNING_RATE = 1e-3
ADAM = dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7)      # tf.keras defaults
RMSPROP = dict(rho=0.9, epsilon=1e-7)                    # tf.keras defaults, no momentum, not centered

# How each workload is timed: `warmup` untimed runs, then `repeats` timed runs; the figure is the median.
# `unit` is what one run does. Quick mode keeps the same work per run and repeats less.
Workload = namedtuple("Workload", "name title unit warmup repeats quick_warmup quick_repeats")
WORKLOADS = {w.name: w for w in (
    Workload("ops", f"ops ({OPS_CHAIN_LENGTH} elementwise ops on (16, 16), fwd+bwd)", "chain", 20, 200, 5, 30),
    Workload("mlp_step", "mlp step (784-256-128-10, Adam, batch 128)", "step", 10, 100, 3, 20),
    Workload("mlp_epoch", "mlp epoch (60 000 samples, batch 128)", "epoch", 0, 3, 0, 1),
    Workload("cnn_step", "cnn step (2x Conv2D+MaxPool, Dense, Adam, batch 64)", "step", 3, 30, 2, 5),
    Workload("lstm_step", "lstm step (LSTM(64) over 50x32, Dense, RMSprop, batch 64)", "step", 3, 30, 2, 5),
    Workload("transformer_step", f"transformer step (encoder block, seq {TRANSFORMER_SEQ}, width {TRANSFORMER_WIDTH}, "
             f"{TRANSFORMER_HEADS} heads, ff {TRANSFORMER_FF}, Adam, batch {TRANSFORMER_BATCH})", "step", 3, 30, 2, 5),
    Workload("predict", "predict (mlp, 10 000 samples, batch 32)", "call", 0, 3, 0, 1),
    Workload("text_vectorization", "TextVectorization adapt + apply (25 000 short texts)", "adapt+call", 1, 5, 0, 1),
    Workload("normalization", "Normalization adapt + apply ((100 000, 32) table)", "adapt+call", 1, 5, 0, 1),
    Workload("jvp", "jvp (mlp loss along a weight direction, forward mode, batch 128)", "call", 5, 50, 2, 10),
    Workload("vmap_grad", "vmap(grad) (mlp per-example gradients, 32 examples)", "call", 3, 30, 2, 5),
    Workload("grad_loop", "grad in a Python loop (the same 32 per-example gradients)", "call", 2, 10, 1, 3),
)}
WORKLOADS.update({name: Workload(name, f"{arch} inference ({APP_SIZE}x{APP_SIZE}, batch {APP_BATCH}, random weights)",
                                 "call", 1, 5, 1, 2) for name, arch in APP_MODELS.items()})
# Derived rows: not run on their own, read off another workload's process.
MEMORY_FROM = "mlp_epoch"

N_STEP_BATCHES = 4      # step workloads cycle through this many distinct batches


class NotAvailable(Exception):
    """Raised by a system that has no implementation of a workload (shown as 'not available')."""


class Bench:
    """What a system hands the runner for one workload.

    Args:
        run: zero-argument callable doing one timed unit (one step, one epoch, one predict call).
        warmup: optional zero-argument callable run once before timing (compilation, tracing, caches);
            when absent the runner calls ``run`` the workload's warm-up number of times.
    """

    __slots__ = ("run", "warmup")

    def __init__(self, run, warmup=None):
        self.run = run
        self.warmup = warmup


def _rng(offset):
    return np.random.RandomState(SEED + offset)


def ops_inputs():
    """``x`` in [-1, 1] and the constants ``c`` (near 1) and ``d`` (small) of the op chain, float32 (16, 16)."""
    rng = _rng(0)
    x = rng.uniform(-1.0, 1.0, OPS_SHAPE).astype(np.float32)
    c = rng.uniform(0.9, 1.1, OPS_SHAPE).astype(np.float32)
    d = rng.uniform(-0.1, 0.1, OPS_SHAPE).astype(np.float32)
    return x, c, d


def _uniform_float32(rng, shape, chunk_rows=2048):
    """``rng.random_sample(shape)`` as float32, drawn in chunks of rows.

    NOTE: drawing in chunks gives the same numbers as one call (the stream is sequential) but never holds
    the whole float64 array, whose size would otherwise set the peak memory the benchmark reports.
    """
    out = np.empty(shape, np.float32)
    for start in range(0, shape[0], chunk_rows):
        stop = min(start + chunk_rows, shape[0])
        out[start:stop] = rng.random_sample((stop - start,) + tuple(shape[1:]))
    return out


def _classification(rng, n, feature_shape):
    x = _uniform_float32(rng, (n,) + tuple(feature_shape))
    y = rng.randint(0, N_CLASSES, size=n).astype(np.int64)
    return x, y


def mlp_batches():
    """``N_STEP_BATCHES`` (x, y) batches of 128 samples of 784 features in [0, 1), labels 0..9 (int64)."""
    rng = _rng(1)
    return [_classification(rng, MLP_BATCH, (MLP_SIZES[0],)) for _ in range(N_STEP_BATCHES)]


def mlp_dataset(n=EPOCH_SAMPLES):
    """The epoch's training set: ``n`` samples (60 000 by default)."""
    return _classification(_rng(2), n, (MLP_SIZES[0],))


def predict_inputs():
    """The 10 000 samples the mlp predicts."""
    return _uniform_float32(_rng(3), (PREDICT_SAMPLES, MLP_SIZES[0]))


def cnn_batches():
    """``N_STEP_BATCHES`` (x, y) batches of 64 images of shape (28, 28, 1), channels last."""
    rng = _rng(4)
    return [_classification(rng, CNN_BATCH, CNN_INPUT) for _ in range(N_STEP_BATCHES)]


def lstm_batches():
    """``N_STEP_BATCHES`` (x, y) batches of 64 sequences of 50 steps of 32 features."""
    rng = _rng(5)
    return [_classification(rng, LSTM_BATCH, (LSTM_STEPS, LSTM_FEATURES)) for _ in range(N_STEP_BATCHES)]


def transformer_batches():
    """``N_STEP_BATCHES`` (x, y) batches of 32 sequences of 64 steps of 128 features in [0, 1), labels 0..9."""
    rng = _rng(6)
    return [_classification(rng, TRANSFORMER_BATCH, (TRANSFORMER_SEQ, TRANSFORMER_WIDTH))
            for _ in range(N_STEP_BATCHES)]


def texts():
    """``TEXT_SAMPLES`` short texts of 4-15 words drawn from ``TEXT_VOCABULARY`` made-up words with Zipf-like
    frequencies, with capitals and punctuation for the standardization to remove (a numpy array of str)."""
    rng = _rng(6)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(letters[rng.randint(0, 26, size=rng.randint(2, 9))]) for _ in range(TEXT_VOCABULARY)]
    weights = 1.0 / np.arange(1, TEXT_VOCABULARY + 1)
    weights /= weights.sum()
    lengths = rng.randint(TEXT_WORDS[0], TEXT_WORDS[1], size=TEXT_SAMPLES)
    picks = rng.choice(TEXT_VOCABULARY, size=int(lengths.sum()), p=weights)
    out, start = [], 0
    for n in lengths:
        chosen = [words[i] for i in picks[start:start + n]]
        start += n
        out.append(" ".join(chosen).capitalize() + ("." if n % 3 else "!"))
    return np.array(out)


def table():
    """The ``TABLE_SHAPE`` float32 table Normalization adapts to and normalizes (columns of different scales)."""
    rng = _rng(7)
    x = _uniform_float32(rng, TABLE_SHAPE)
    return x * np.arange(1, TABLE_SHAPE[1] + 1, dtype=np.float32) + np.float32(3.0)


def mlp_params():
    """[W1, b1, W2, b2, W3, b3] of the 784-256-128-10 MLP for the transform workloads (Glorot-uniform,
    small biases), float32, and a direction of the same shapes for the jvp."""
    rng = _rng(8)
    params, direction = [], []
    for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        limit = np.sqrt(6.0 / (a + b))
        params += [rng.uniform(-limit, limit, (a, b)).astype(np.float32),
                   rng.uniform(-0.1, 0.1, b).astype(np.float32)]
    for p in params:
        direction.append(rng.standard_normal(p.shape).astype(np.float32))
    return params, direction


def per_example_batch():
    """``PER_EXAMPLE_BATCH`` samples of 784 features and their labels, for per-example gradients."""
    return _classification(_rng(9), PER_EXAMPLE_BATCH, (MLP_SIZES[0],))


def app_images():
    """The batch the applications classify: ``APP_BATCH`` images of ``APP_SIZE`` x ``APP_SIZE`` x 3 in [0, 255),
    channels last."""
    return _uniform_float32(_rng(8), (APP_BATCH, APP_SIZE, APP_SIZE, 3)) * np.float32(255.0)


def cycle(items):
    """A zero-argument callable returning the items in turn, for step workloads."""
    state = [0]
    n = len(items)

    def next_item():
        i = state[0]
        state[0] = (i + 1) % n
        return items[i]
    return next_item


def batch_slices(n, batch_size):
    """``slice`` objects covering ``range(n)`` in batches (the last one may be short)."""
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
