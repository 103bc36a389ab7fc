"""What safe loading costs: ``load_model`` / ``load_weights`` with the HDF5 file read in a child process
(``isolate=True``, the default) against in this process (``isolate=False``), and ``save`` with kerasfront's
checksums against without them.

Models of four sizes, saved as ``.h5`` (and ``.keras`` for the small one):

- ``small``: a 3-layer MLP (a few KB), where the fixed cost of starting the reader shows most;
- ``cnn``: the convolutional model of ``workloads.py``'s cnn_step (about 1 MB);
- ``deep``: 200 small Dense layers (many HDF5 objects: the reader's per-object cost);
- ``wide``: 4 Dense layers of 2048 units (about 100 MB with Adam's slots: the cost of reading bytes).

Each pair is timed in alternating rounds (so background load hits both alike) and the median of each side is
kept; ratios measured on a busy machine are noisy. The forked reader is what Linux uses; ``spawn`` (a new
interpreter, used on macOS and Windows) is timed once on the small model.

Run ``python benchmarks/bench_loading.py [--quick] [--sizes small,cnn]``; ``run(quick=False) -> dict`` gives
the figures.

Example:
    >>> from benchmarks.bench_loading import run
    >>> figures = run(quick=True, sizes=("small",))
    >>> sorted(figures["small"])
    ['bytes', 'load_model_h5', 'load_model_keras', 'load_weights_h5', 'save_h5']
"""
import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import kerasfront as keras  # noqa: E402
from kerasfront import layers  # noqa: E402
from kerasfront.saving import hdf5_format, isolation, weights_io  # noqa: E402

SIZES = ("small", "cnn", "deep", "wide")


def _compiled(model, x, y):
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    return model


def build(size):
    """The model of ``size``, compiled with Adam and trained one step (so its file holds optimizer slots)."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    if size == "small":
        model = keras.Sequential([layers.Dense(32, activation="relu", input_shape=(16,)), layers.Dense(32),
                                  layers.Dense(4)])
        return _compiled(model, rng.normal(size=(8, 16)).astype("float32"), rng.normal(size=(8, 4)).astype("float32"))
    if size == "cnn":
        model = keras.Sequential([layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
                                  layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
                                  layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10)])
        return _compiled(model, rng.normal(size=(4, 28, 28, 1)).astype("float32"),
                         rng.normal(size=(4, 10)).astype("float32"))
    if size == "deep":
        model = keras.Sequential([layers.Dense(8, input_shape=(8,))] + [layers.Dense(8) for _ in range(199)])
        return _compiled(model, rng.normal(size=(4, 8)).astype("float32"), rng.normal(size=(4, 8)).astype("float32"))
    if size == "wide":
        model = keras.Sequential([layers.Dense(2048, input_shape=(512,))] + [layers.Dense(2048) for _ in range(2)]
                                 + [layers.Dense(16)])
        return _compiled(model, rng.normal(size=(4, 512)).astype("float32"),
                         rng.normal(size=(4, 16)).astype("float32"))
    raise ValueError(f"size: expected one of {SIZES}, received {size!r}")


@contextlib.contextmanager
def _without_checksums():
    """Saving as before this change: no checksum pass (for the A/B of the save cost only)."""
    saved = hdf5_format.add_checksums, weights_io.add_checksums
    hdf5_format.add_checksums = weights_io.add_checksums = lambda f: None
    try:
        yield
    finally:
        hdf5_format.add_checksums, weights_io.add_checksums = saved


def _ab(a, b, rounds):
    """Medians (seconds) of ``a()`` and ``b()`` timed in alternating rounds."""
    ta, tb = [], []
    for _ in range(rounds):
        for fn, out in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(ta), statistics.median(tb)


def _pair(label_a, label_b, a, b, rounds):
    sa, sb = _ab(a, b, rounds)
    return {label_a + "_ms": round(sa * 1e3, 2), label_b + "_ms": round(sb * 1e3, 2),
            "extra_ms": round((sa - sb) * 1e3, 2), "ratio": round(sa / sb, 3)}


def measure(size, folder, rounds):
    """The figures of one model size."""
    model = build(size)
    h5 = os.path.join(folder, f"{size}.h5")
    weights = os.path.join(folder, f"{size}_weights.h5")
    model.save(h5)
    model.save_weights(weights)
    other = keras.models.clone_model(model)
    out = {"bytes": os.path.getsize(h5)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["load_model_h5"] = _pair("isolated", "in_process", lambda: keras.models.load_model(h5, isolate=True),
                                     lambda: keras.models.load_model(h5, isolate=False), rounds)
        out["load_weights_h5"] = _pair("isolated", "in_process", lambda: other.load_weights(weights, isolate=True),
                                       lambda: other.load_weights(weights, isolate=False), rounds)

        def plain_save():
            with _without_checksums():
                model.save(h5)

        out["save_h5"] = _pair("with_checksums", "without", lambda: model.save(h5), plain_save, rounds)
        if size == "small":
            path = os.path.join(folder, "small.keras")
            model.save(path)
            out["load_model_keras"] = _pair("isolated", "in_process",
                                            lambda: keras.models.load_model(path, isolate=True),
                                            lambda: keras.models.load_model(path, isolate=False), rounds)
    return out


def spawn_figure(folder, rounds):
    """Milliseconds of an isolated ``load_model`` of the small model with the spawned reader (macOS, Windows)."""
    model = build("small")
    path = os.path.join(folder, "spawn.h5")
    model.save(path)
    method = isolation.START_METHOD
    isolation.START_METHOD = "spawn"
    try:
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            keras.models.load_model(path)
            times.append(time.perf_counter() - t0)
    finally:
        isolation.START_METHOD = method
    return round(statistics.median(times) * 1e3, 1)


def run(quick=False, sizes=SIZES):
    """``{size: figures, "spawn_small_ms": ...}``."""
    folder = tempfile.mkdtemp(prefix="kerasfront-bench-loading-")
    try:
        figures = {}
        for size in sizes:
            rounds = (5 if quick else 21) if size != "wide" else (2 if quick else 7)
            figures[size] = measure(size, folder, rounds)
        figures["spawn_small_ms"] = spawn_figure(folder, 2 if quick else 5)
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _table(figures):
    lines = ["| model | file | what | isolated / with checksums | in-process / without | extra | ratio |",
             "|---|---|---|---|---|---|---|"]
    for size, fig in figures.items():
        if not isinstance(fig, dict):
            continue
        for what in ("load_model_h5", "load_weights_h5", "load_model_keras", "save_h5"):
            if what in fig:
                a, b = [v for k, v in fig[what].items() if k.endswith("_ms")][:2]
                lines.append(f"| {size} | {fig['bytes'] / 1e6:.2f} MB | {what} | {a} ms | {b} ms | "
                             f"{fig[what]['extra_ms']} ms | {fig[what]['ratio']}x |")
    lines.append(f"\nspawned reader (macOS/Windows), small model: {figures.get('spawn_small_ms')} ms per load_model")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated subset of " + ",".join(SIZES))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick, sizes=tuple(s for s in args.sizes.split(",") if s))
    print(json.dumps(figures, indent=1) if args.json else _table(figures))


if __name__ == "__main__":
    main()
