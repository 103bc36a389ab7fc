"""Turns benchmark results into tables, ratios, the issue's targets (met or missed, by how much) and
``RESULTS.md``.

``results`` maps ``workload -> system -> result dict`` (the JSON a child printed, or a stand-in with
``status`` "not installed" / "not run"); ``probes`` maps ``system -> probe dict``.

Example:
    >>> r = {"mlp_step": {"kerasfront": {"status": "ok", "median_s": 0.003},
    ...                   "numpy": {"status": "ok", "median_s": 0.0025}}}
    >>> [t.status for t in evaluate_targets(r) if t.key == "mlp_step_vs_numpy"]
    ['met']
"""
import re
from collections import namedtuple

from .registry import SYSTEMS
from .workloads import MEMORY_FROM, OPS_CHAIN_LENGTH, WORKLOADS

OURS = "kerasfront"
PEERS = ("torch", "tf.keras", "keras3-jax", "hips-autograd")
ROWS = list(WORKLOADS) + ["memory"]
ROW_TITLES = dict({name: w.title for name, w in WORKLOADS.items()},
                  memory="memory (peak RSS of the mlp epoch process)")

NOTES_START = "<!-- notes:start (kept when RESULTS.md is rewritten) -->"
NOTES_END = "<!-- notes:end -->"
DEFAULT_NOTES = ("Write here, for each missed target, what the profile shows is the cause. The harness keeps "
                 "this section when it rewrites the file.")
SCALING_START = "<!-- scaling:start (kept when RESULTS.md is rewritten) -->"
SCALING_END = "<!-- scaling:end -->"
DEFAULT_SCALING = ("Measured by `python -m benchmarks.mpi_scaling --write` (issue 15); the harness keeps this section "
                   "when it rewrites the file.")

REFERENCE = """\
| workload | numpy by hand | PyTorch eager | tf.keras | Keras 3-JAX | HIPS autograd |
|---|---|---|---|---|---|
| ops, 200 ops fwd+bwd | 0.78 ms (fwd only) | 2.3 ms | 27 ms eager | 119 ms eager | 4.9 ms |
| mlp step | 2.5 ms | 4.2 ms | 11.8 ms | 5.0 ms | 4.9 ms |
| mlp epoch | 1.24 s (loop) | 1.9 s (loop) | 3.6 s (fit) | 2.9 s (fit) | 2.2 s (loop) |
| cnn step | 52 ms (im2col) | 28 ms | 46 ms | 69 ms | 95 ms |
| lstm step | 36 ms (unfused) | 13.5 ms | 27 ms | 15 ms | 105 ms |

Peak memory of the mlp run: numpy 284 MB, PyTorch 556 MB, tf.keras 1187 MB."""


# -- reading results ----------------------------------------------------------------------------------

def value(results, row, system):
    """The figure of one cell: median seconds, or peak MB for the memory row; None when not measured."""
    r = results.get(MEMORY_FROM if row == "memory" else row, {}).get(system)
    if not r or r.get("status") != "ok":
        return None
    return r.get("peak_rss_mb") if row == "memory" else r.get("median_s")


def format_seconds(s):
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms" if s < 0.1 else f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def _short(text, limit=60):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def cell(results, row, system):
    """The table text of one cell."""
    r = results.get(MEMORY_FROM if row == "memory" else row, {}).get(system)
    if r is None:
        return "not run"
    status = r.get("status")
    if status == "ok":
        if row == "memory":
            return f"{r['peak_rss_mb']:.0f} MB"
        text = format_seconds(r["median_s"])
        if row == "ops":
            text += f" ({r['median_s'] / OPS_CHAIN_LENGTH * 1e6:.1f} us/op)"
        return text
    if status == "n/a":
        return "not available"
    if status == "not installed":
        return "not installed"
    if status == "not run":
        return "not run"
    return "failed: " + _short(r.get("error", "?"), 40)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def results_table(results, systems):
    """Markdown table: one row per workload, one column per system."""
    rows = [[ROW_TITLES[row]] + [cell(results, row, s) for s in systems]
            for row in ROWS if (MEMORY_FROM if row == "memory" else row) in results]
    return _table(["workload"] + list(systems), rows)


def ratio_table(results, systems, base=OURS):
    """Markdown table of ``base``'s figure divided by each other system's (below 1: ``base`` is faster)."""
    others = [s for s in systems if s != base]
    rows = []
    for row in ROWS:
        if (MEMORY_FROM if row == "memory" else row) not in results:
            continue
        ours = value(results, row, base)
        line = [ROW_TITLES[row]]
        for s in others:
            theirs = value(results, row, s)
            line.append(f"{ours / theirs:.2f}x" if ours and theirs else "-")
        rows.append(line)
    return _table([f"{base} / system"] + others, rows)


def lower_bound_table(results, systems):
    """Markdown table of each system's figure divided by the numpy lower bound's."""
    others = [s for s in systems if s != "numpy"]
    rows = []
    for row in ROWS:
        if (MEMORY_FROM if row == "memory" else row) not in results:
            continue
        base = value(results, row, "numpy")
        line = [ROW_TITLES[row]]
        for s in others:
            theirs = value(results, row, s)
            line.append(f"{theirs / base:.2f}x" if base and theirs else "-")
        rows.append(line)
    return _table(["system / numpy"] + others, rows)


# -- targets --------------------------------------------------------------------------------------

Target = namedtuple("Target", "key text status detail")
# A target compares kerasfront's figure on `row` with `factor` times each reference (a system name, or a
# number of seconds/MB); it is met when kerasfront's figure is at most that, for every reference.
_TARGETS = (
    ("ops_per_op", "ops: at most 10 us per op, forward + backward", "ops", [(10e-6 * OPS_CHAIN_LENGTH, 1.0)]),
    ("ops_vs_torch", "ops: faster than PyTorch eager", "ops", [("torch", 1.0)]),
    ("ops_vs_hips", "ops: under half of HIPS autograd", "ops", [("hips-autograd", 0.5)]),
    ("mlp_step_vs_numpy", "mlp step: at most 1.25x the numpy lower bound", "mlp_step", [("numpy", 1.25)]),
    ("mlp_step_vs_peers", "mlp step: faster than every peer", "mlp_step", [(p, 1.0) for p in PEERS]),
    ("mlp_epoch_vs_numpy", "mlp epoch: fit at most 1.1x the numpy loop (issue 19)", "mlp_epoch", [("numpy", 1.1)]),
    ("mlp_epoch_vs_peers", "mlp epoch: faster than every peer (tf.keras's and Keras 3's fit included)",
     "mlp_epoch", [(p, 1.0) for p in PEERS]),
    ("cnn_vs_keras", "cnn step: faster than tf.keras and Keras 3-JAX", "cnn_step",
     [("tf.keras", 1.0), ("keras3-jax", 1.0)]),
    ("cnn_vs_numpy", "cnn step: at most 1.5x the numpy im2col version (issue 4)", "cnn_step", [("numpy", 1.5)]),
    ("cnn_vs_torch", "cnn step (aim): as fast as PyTorch", "cnn_step", [("torch", 1.0)]),
    ("lstm_vs_keras", "lstm step: faster than tf.keras and Keras 3-JAX", "lstm_step",
     [("tf.keras", 1.0), ("keras3-jax", 1.0)]),
    ("lstm_vs_torch", "lstm step (aim): as fast as PyTorch", "lstm_step", [("torch", 1.0)]),
    ("transformer_vs_keras", "transformer step: faster than tf.keras and Keras 3-JAX", "transformer_step",
     [("tf.keras", 1.0), ("keras3-jax", 1.0)]),
    ("transformer_vs_torch", "transformer step: at most PyTorch's (issue 19)", "transformer_step",
     [("torch", 1.0)]),
    ("predict_vs_keras", "predict: faster than tf.keras's and Keras 3-JAX's predict", "predict",
     [("tf.keras", 1.0), ("keras3-jax", 1.0)]),
    ("memory_vs_numpy", "memory: mlp epoch peak RSS within 1.2x the numpy run's", "memory", [("numpy", 1.2)]),
    ("text_vectorization_vs_tf", "TextVectorization adapt + apply: not slower than tf.keras (issue 14)",
     "text_vectorization", [("tf.keras", 1.0)]),
    ("normalization_vs_tf", "Normalization adapt + apply: not slower than tf.keras (issue 14)", "normalization",
     [("tf.keras", 1.0)]),
    ("app_resnet50_vs_tf", "ResNet50 inference (224x224, batch 8): within 1.5x of tf.keras (issue 17)",
     "app_resnet50", [("tf.keras", 1.5)]),
    ("app_mobilenetv2_vs_tf", "MobileNetV2 inference: within 1.5x of tf.keras (issue 17)", "app_mobilenetv2",
     [("tf.keras", 1.5)]),
    ("app_efficientnetb0_vs_tf", "EfficientNetB0 inference: within 1.5x of tf.keras (issue 17)",
     "app_efficientnetb0", [("tf.keras", 1.5)]),
)


def _fmt(row, x):
    return f"{x:.0f} MB" if row == "memory" else format_seconds(x)


def evaluate_targets(results):
    """One ``Target`` per goal of issue 6: status 'met', 'missed', 'partly measured' or 'not measured'."""
    out = []
    for key, text, row, refs in _TARGETS:
        if (MEMORY_FROM if row == "memory" else row) not in results:
            continue
        ours = value(results, row, OURS)
        if ours is None:
            out.append(Target(key, text, "not measured", "kerasfront has no figure"))
            continue
        parts, missed, unmeasured = [], [], []
        for ref, factor in refs:
            base = ref if isinstance(ref, float) else value(results, row, ref)
            name = _fmt(row, ref) if isinstance(ref, float) else ref
            if base is None:
                unmeasured.append(name)
                continue
            limit = base * factor
            ratio = ours / limit
            if isinstance(ref, float):
                limit_text = f"limit {_fmt(row, limit)}"
            elif factor != 1.0:
                limit_text = f"{factor:g}x {name} = {_fmt(row, limit)}"
            else:
                limit_text = f"{name} {_fmt(row, limit)}"
            if ratio <= 1.0:
                parts.append(f"met: {_fmt(row, ours)} vs {limit_text} ({ratio:.2f}x)")
            else:
                missed.append(name)
                parts.append(f"MISSED: {_fmt(row, ours)} vs {limit_text}, over by {(ratio - 1) * 100:.0f}%")
        if unmeasured:
            parts.append("no figure for " + ", ".join(unmeasured))
        if missed:
            status = "missed"
        elif not parts or len(unmeasured) == len(refs):
            status = "not measured"
        elif unmeasured:
            status = "partly measured"
        else:
            status = "met"
        out.append(Target(key, text, status, "; ".join(parts)))
    return out


NO_GRAD_LIMIT = 1.5


def no_grad_target(extra):
    """Issue 2's target: under no_grad an autograd op costs at most 1.5x the bare numpy call."""
    text = f"no_grad: an op costs at most {NO_GRAD_LIMIT:g}x the bare numpy call (issue 2, bench_ops.py)"
    if not extra or extra.get("status") != "ok":
        why = (extra or {}).get("error", "not run")
        return Target("no_grad", text, "not measured", _short(why, 120))
    over = {op: r["ratio"] for op, r in extra["ratios"].items() if r["ratio"] > NO_GRAD_LIMIT}
    worst = max(extra["ratios"].items(), key=lambda kv: kv[1]["ratio"])
    if over:
        detail = "MISSED: " + ", ".join(f"{op} {ratio:.2f}x (over by {(ratio / NO_GRAD_LIMIT - 1) * 100:.0f}%)"
                                        for op, ratio in over.items())
        return Target("no_grad", text, "missed", detail)
    return Target("no_grad", text, "met", f"met: worst is {worst[0]} at {worst[1]['ratio']:.2f}x")


def no_grad_summary(extra):
    if not extra or extra.get("status") != "ok":
        return f"{(extra or {}).get('status', 'not run')}: {(extra or {}).get('error', '')}"
    return ", ".join(f"{op} {r['ratio']:.2f}x" for op, r in extra["ratios"].items())


def no_grad_table(extra):
    if not extra or extra.get("status") != "ok":
        return f"Not measured: {(extra or {}).get('error', 'the ops workload or kerasfront was not run')}."
    rows = [[op, f"{r['autograd_us']:.2f} us", f"{r['numpy_us']:.2f} us", f"{r['ratio']:.2f}x"]
            for op, r in extra["ratios"].items()]
    return _table(["op on (16, 16) float32", "autograd under no_grad", "bare numpy", "ratio"], rows)


def targets_table(results, extras=None):
    targets = evaluate_targets(results)
    if "ops" in results and extras is not None and "no_grad" in extras:
        targets.append(no_grad_target(extras["no_grad"]))
    return _table(["target", "status", "detail"], [[t.text, t.status, t.detail] for t in targets])


# -- RESULTS.md -----------------------------------------------------------------------------------

def kept_notes(previous_text, start=NOTES_START, end=NOTES_END, default=DEFAULT_NOTES):
    """The hand-written notes section of an earlier RESULTS.md (or the block between other markers), or the
    default prompt."""
    if previous_text:
        m = re.search(re.escape(start) + r"\n(.*?)\n?" + re.escape(end), previous_text, re.S)
        if m and m.group(1).strip():
            return m.group(1).strip()
    return default


def kept_scaling(previous_text):
    """The scaling section (issue 15: measured by benchmarks/mpi_scaling.py, and the cost model) of an earlier
    RESULTS.md."""
    return kept_notes(previous_text, SCALING_START, SCALING_END, DEFAULT_SCALING)


def problems(results, probes, systems):
    """Lines naming each failed, unavailable or uninstalled cell with its full error."""
    lines = []
    for s in systems:
        p = probes.get(s, {})
        if p.get("status") != "ok":
            lines.append(f"- {s}: {p.get('status', 'not probed')}: {p.get('error', '')}".rstrip(": "))
    for w, by_system in results.items():
        for s in systems:
            r = by_system.get(s)
            if r and r.get("status") in ("failed", "n/a"):
                lines.append(f"- {w} / {s}: {'failed' if r['status'] == 'failed' else 'not available'}: "
                             f"{r.get('error', '?')}")
    return "\n".join(lines) or "None."


def systems_table(probes, systems, interpreters):
    rows = []
    for s in systems:
        p = probes.get(s, {})
        versions = ", ".join(f"{k} {v}" for k, v in (p.get("versions") or {}).items())
        status = p.get("status", "not probed")
        rows.append([s, SYSTEMS[s].description, f"`{interpreters.get(s, '?')}` (Python {p.get('python', '?')})",
                     versions if status == "ok" else f"{status}: {_short(p.get('error', ''), 80)}"])
    return _table(["system", "what", "interpreter", "versions"], rows)


def render(results, probes, systems, interpreters, machine, meter, command, quick, label=None, notes=None,
           threads=None, extras=None, rounds=1, scaling=None):
    """The whole RESULTS.md text."""
    warnings = []
    share = meter.get("foreign_share", 0.0)
    if label:
        warnings.append(f"> **{label}**")
    if share > 0.10:
        warnings.append(f"> **CONTENDED MACHINE: other processes used {share:.0%} of the CPU during this run; "
                        f"the figures are not reliable. Rerun on a quiet machine.**")
    if quick:
        warnings.append("> **QUICK RUN (`--quick`): few repeats; figures are indicative only.**")
    m = machine
    parts = [
        "# Benchmark results", "",
        *([*warnings, ""] if warnings else []),
        f"Made by `{command}` on {m['date']}, commit {m['commit']}. Medians over repeated runs after warm-up; "
        "lower is better. " + ("Each system ran its workloads in one process of its own (the mlp epoch first), "
                               "one system after another." if quick else
                               "Each system ran each workload in a process of its own, one after another.")
        + (f" Each figure is the median over {rounds} such processes per system, the systems taking turns "
           f"(the median of the processes' medians)." if rounds > 1 else ""), "",
        "## Machine", "",
        f"- CPU: {m['cpu']}, {m['cores']} cores",
        f"- OS: {m['os']}",
        f"- Python (runner): {m['python']}",
        f"- numpy (runner): {m['numpy']}; BLAS: {m['blas']}",
        f"- Load average at start: {m['load_average']}; CPU used by other processes during the run: "
        f"{share:.0%}" + ("" if meter.get("known", True) else " (unknown on this OS)"),
        "- Threads: " + (f"{threads} for BLAS and every framework (`--threads {threads}`)" if threads else
                         "each library's default (all cores)"),
        f"- Wall time of the run: {meter.get('wall_s', 0):.0f} s", "",
        "## Systems", "",
        systems_table(probes, systems, interpreters), "",
        "## Results", "",
        results_table(results, systems), "",
        "## kerasfront relative to each system", "",
        "kerasfront's figure divided by the system's: below 1.00x kerasfront is faster (or smaller).", "",
        ratio_table(results, systems), "",
        "## Each system relative to the numpy lower bound", "",
        "The system's figure divided by the hand-written numpy one (1.00x is the lower bound).", "",
        lower_bound_table(results, systems), "",
        "## Targets (the issues that set them: 6, 13, 14, 17, 19)", "",
        targets_table(results, extras or {}), "",
        *(["## Per-op overhead under no_grad (benchmarks/bench_ops.py)", "",
           "Best of alternating rounds, as bench_ops.py times them.", "",
           no_grad_table((extras or {}).get("no_grad")), ""] if "ops" in results else []),
        "## Failures, unavailable workloads and missing peers", "",
        problems(results, probes, systems), "",
        "## Notes", "",
        NOTES_START, notes or DEFAULT_NOTES, NOTES_END, "",
        "## Training on several workers: measured scaling and the all-reduce cost model (issue 15)", "",
        SCALING_START, scaling or DEFAULT_SCALING, SCALING_END, "",
        "## How each system runs the workloads", "",
        "- Data: float32, synthetic, from `np.random.RandomState` with fixed seeds (`benchmarks/workloads.py`), the "
        "same arrays for every system. Losses are sparse softmax cross-entropy on logits; no metrics.",
        "- Step workloads cycle through 4 distinct batches; the epoch is 60 000 samples in shuffled batches of 128 "
        "(`fit(verbose=0)` for Keras-likes, a loop otherwise); predict is 10 000 samples in batches of 32.",
        "- Keras-likes (kerasfront, tf.keras, Keras 3) share one script (`benchmarks/systems/keras_like.py`): "
        "`train_on_batch` for steps, `fit` for the epoch, `predict` for inference. Before the epoch is timed, each "
        "one's `fit` is warmed up on both batch shapes the epoch meets (full batches of 128 and the last one of 96): "
        "no tracing or compiling (nor kerasfront's step capture) is timed.",
        "- ops: kerasfront and PyTorch use their tensors; tf.keras a `GradientTape` in eager mode; Keras 3 "
        "`jax.value_and_grad` of `keras.ops` calls, not jitted; HIPS `autograd.grad`; numpy a hand-written "
        "forward and backward.",
        "- Memory: peak resident set size (`ru_maxrss`) of the process that ran the mlp epoch, data included.", "",
        "## Reference figures measured before the project existed (issue 6, same kind of 2-core machine)", "",
        REFERENCE, "",
    ]
    return "\n".join(parts)
