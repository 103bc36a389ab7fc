"""Per-op overhead of the autograd engine.

Two figures, both on small (16, 16) float32 arrays where Python overhead, not arithmetic, dominates:

1. ``chain``: the op chain of ``workloads.py`` (200 elementwise ops cycling ``y*c``, ``y+d``, ``tanh``,
   ``exp``, then ``sum``), forward plus backward, in microseconds per op; next to it the same arithmetic
   written by hand in numpy (the lower bound), and PyTorch eager / HIPS autograd when their interpreters
   are found (``BENCH_PYTHON_TORCH`` / ``BENCH_PYTHON_HIPS``, or ``$BENCH_VENVS/{torch,hips}``; torch also
   when importable here).
2. ``no_grad``: for a few ops, the cost of the autograd op under ``ag.no_grad()`` divided by the bare numpy
   call on the same arrays (1.0 would be no overhead at all). The two are timed in alternating rounds and
   the best round of each is kept, so background load hits both alike.

Run ``python benchmarks/bench_ops.py [--quick] [--cpu-time]``; ``run(quick=False) -> dict`` gives the
figures to the benchmark runner.

Example:
    >>> from benchmarks.bench_ops import run
    >>> figures = run(quick=True)
    >>> sorted(figures)
    ['chain', 'no_grad', 'peers']
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from workloads import OPS_CHAIN_LENGTH, OPS_CYCLE, ops_inputs  # noqa: E402


#: wall-clock by default; ``--cpu-time`` counts only this process's CPU time, which keeps the figures
#: usable on a machine other processes keep busy (descheduled time is not counted, cache sharing still is)
_clock = time.perf_counter


def _best(fn, number, rounds):
    """Best (smallest) mean seconds per call over ``rounds`` rounds of ``number`` calls."""
    best = float("inf")
    clock = _clock
    for _ in range(rounds):
        t0 = clock()
        for _ in range(number):
            fn()
        best = min(best, (clock() - t0) / number)
    return best


def _best_pair(fa, fb, number, rounds):
    """Best mean seconds per call of ``fa`` and of ``fb``, timed in alternating rounds."""
    ba = bb = float("inf")
    for _ in range(rounds):
        ba = min(ba, _best(fa, number, 1))
        bb = min(bb, _best(fb, number, 1))
    return ba, bb


# -- the chain ----------------------------------------------------------------------------------------

def _autograd_chain():
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    import autograd as ag
    x0, c0, d0 = ops_inputs()
    x = ag.Tensor(x0, requires_grad=True)
    c, d = ag.Tensor(c0), ag.Tensor(d0)
    funcs = {"mul": lambda y: y * c, "add": lambda y: y + d, "tanh": ag.tanh, "exp": ag.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def forward():
        y = x
        for f in chain:
            y = f(y)
        return y.sum()

    def run():
        forward().backward()
        x.grad = None

    return run, forward


def _numpy_chain():
    from numpy_reference import ops_chain_value_and_grad
    x, c, d = ops_inputs()
    return lambda: ops_chain_value_and_grad(x, c, d, OPS_CHAIN_LENGTH, OPS_CYCLE)


def _torch_chain():
    import torch
    torch.set_num_threads(1)
    x0, c0, d0 = ops_inputs()
    x = torch.tensor(x0, requires_grad=True)
    c, d = torch.tensor(c0), torch.tensor(d0)
    funcs = {"mul": lambda y: y * c, "add": lambda y: y + d, "tanh": torch.tanh, "exp": torch.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def run():
        y = x
        for f in chain:
            y = f(y)
        y.sum().backward()
        x.grad = None
    return run


def _hips_chain():
    import autograd.numpy as anp
    from autograd import grad
    if not hasattr(anp, "tanh") or os.path.abspath(anp.__file__).startswith(REPO + os.sep):
        raise ImportError("HIPS autograd is not the 'autograd' importable here")
    x, c, d = ops_inputs()
    funcs = {"mul": lambda y: y * c, "add": lambda y: y + d, "tanh": anp.tanh, "exp": anp.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def f(y):
        for fn in chain:
            y = fn(y)
        return anp.sum(y)
    g = grad(f)
    return lambda: g(x)


def _per_op_us(seconds):
    return seconds / OPS_CHAIN_LENGTH * 1e6


def chain_figures(quick=False):
    """Microseconds per op (forward + backward) of autograd and of hand-written numpy, timed alternately."""
    number, rounds = (5, 5) if quick else (20, 15)
    run, forward = _autograd_chain()
    reference = _numpy_chain()
    for _ in range(3):
        run()
        reference()
    t_ag, t_np = _best_pair(run, reference, number, rounds)
    t_fwd = _best(forward, number, rounds)
    return {"autograd_us_per_op": _per_op_us(t_ag), "autograd_forward_us_per_op": _per_op_us(t_fwd),
            "numpy_us_per_op": _per_op_us(t_np), "ratio_to_numpy": t_ag / t_np}


# -- no_grad overhead ---------------------------------------------------------------------------------

def no_grad_ratios(quick=False):
    """For each op: (autograd under no_grad) / (bare numpy), on (16, 16) float32 arrays."""
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    import autograd as ag
    rng = np.random.RandomState(0)
    a = rng.uniform(-1, 1, (16, 16)).astype(np.float32)
    b = rng.uniform(-1, 1, (16, 16)).astype(np.float32)
    ta, tb = ag.Tensor(a), ag.Tensor(b)
    cases = {
        "add (a + b)": (lambda: ta + tb, lambda: a + b),
        "multiply (a * 2.0)": (lambda: ta * 2.0, lambda: a * 2.0),
        "exp": (lambda: ag.exp(ta), lambda: np.exp(a)),
        "tanh": (lambda: ag.tanh(ta), lambda: np.tanh(a)),
        "relu": (lambda: ag.relu(ta), lambda: np.maximum(a, 0)),
        "sum": (lambda: ag.sum(ta), lambda: np.sum(a)),
        "matmul": (lambda: ta @ tb, lambda: a @ b),
    }
    number, rounds = (2000, 5) if quick else (10000, 15)
    out = {}
    with ag.no_grad():
        for name, (f_ag, f_np) in cases.items():
            t_ag, t_np = _best_pair(f_ag, f_np, number, rounds)
            out[name] = {"autograd_us": t_ag * 1e6, "numpy_us": t_np * 1e6, "ratio": t_ag / t_np}
    return out


# -- peers (their own interpreters) -------------------------------------------------------------------

PEERS = {"torch": _torch_chain, "hips": _hips_chain}


def _peer_python(name):
    env = os.environ.get(f"BENCH_PYTHON_{name.upper()}")
    if env:
        return env
    venvs = os.environ.get("BENCH_VENVS")
    if venvs:
        path = os.path.join(venvs, name, "bin", "python")
        if os.path.exists(path):
            return path
    return None


def _peer_figure(name, quick):
    """us/op of a peer, measured in its own interpreter (HIPS autograd cannot share ours)."""
    python = _peer_python(name)
    if python is None:
        if name == "torch":
            try:
                run = _torch_chain()
            except ImportError:
                return None
            run()
            number, rounds = (5, 5) if quick else (20, 15)
            return _per_op_us(_best(run, number, rounds))
        return None
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmd = [python, os.path.abspath(__file__), "--peer", name] + (["--quick"] if quick else []) + \
        (["--cpu-time"] if _clock is time.process_time else [])
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])["us_per_op"]


def peer_figures(quick=False):
    return {name: _peer_figure(name, quick) for name in PEERS}


def run(quick=False):
    """All figures as a dict: ``chain`` (us/op), ``no_grad`` (ratios to numpy), ``peers`` (us/op or None)."""
    return {"chain": chain_figures(quick), "no_grad": no_grad_ratios(quick), "peers": peer_figures(quick)}


def _print(figures):
    c = figures["chain"]
    print(f"op chain: {OPS_CHAIN_LENGTH} ops ({', '.join(OPS_CYCLE)}) on (16, 16) float32, forward + backward")
    print(f"  autograd       {c['autograd_us_per_op']:7.2f} us/op   (forward alone {c['autograd_forward_us_per_op']:.2f})")
    print(f"  numpy by hand  {c['numpy_us_per_op']:7.2f} us/op   (autograd / numpy = {c['ratio_to_numpy']:.2f}x)")
    for name, us in figures["peers"].items():
        print(f"  {name:<14} " + (f"{us:7.2f} us/op" if us is not None else "   not available"))
    print("no_grad: autograd op / bare numpy call, (16, 16) float32")
    for name, r in figures["no_grad"].items():
        print(f"  {name:<20} {r['ratio']:5.2f}x   ({r['autograd_us']:.2f} us vs {r['numpy_us']:.2f} us)")


def main(argv=None):
    global _clock
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    if "--cpu-time" in argv:
        _clock = time.process_time
    if "--peer" in argv:
        name = argv[argv.index("--peer") + 1]
        fn = PEERS[name]()
        fn()
        number, rounds = (5, 5) if quick else (20, 15)
        print(json.dumps({"us_per_op": _per_op_us(_best(fn, number, rounds))}))
        return
    _print(run(quick))


if __name__ == "__main__":
    main()
