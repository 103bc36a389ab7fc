"""The systems the benchmarks compare: how to find each one's interpreter and how to start it.

Plain data, no imports beyond the standard library: the runner and every child process read it.

Each system runs in its own interpreter so that HIPS autograd (import name ``autograd``, the same as this
project's engine), TensorFlow and JAX never share a process with each other or with this project. The
interpreter of a system is, in order: ``--python NAME=PATH`` on the command line, the environment variable
``BENCH_PYTHON_<KEY>``, ``$BENCH_VENVS/<venv>/bin/python`` when that file exists (the layout
``benchmarks/setup_peers.sh`` makes), else the interpreter running the benchmarks.

Example:
    >>> SYSTEMS["torch"].env_var
    'BENCH_PYTHON_TORCH'
"""
from collections import namedtuple

# name: shown in tables; key: env-var suffix; module: file in benchmarks/systems/; venv: folder under
# $BENCH_VENVS; env: variables set in the child; needs_repo: the child may import this repository.
System = namedtuple("System", "name key module venv env needs_repo description")


def _system(name, key, module, venv, env=None, needs_repo=False, description=""):
    return System(name, key, module, venv, dict(env or {}), needs_repo, description)


SYSTEMS = {s.name: s for s in (
    _system("kerasfront", "KERASFRONT", "kerasfront_system", None, needs_repo=True,
            description="this repository: kerasfront models (autograd directly for ops)"),
    _system("numpy", "NUMPY", "numpy_system", None,
            description="numpy by hand: forward, backward and optimizer written out (the lower bound)"),
    _system("torch", "TORCH", "torch_system", "torch",
            description="PyTorch eager, torch.set_num_threads(os.cpu_count())"),
    _system("tf.keras", "TFKERAS", "tfkeras_system", "tfkeras",
            env={"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
            description="tf.keras 2 (the tf_keras package) on TensorFlow"),
    _system("keras3-jax", "KERAS3", "keras3_system", "keras3", env={"KERAS_BACKEND": "jax"},
            description="Keras 3 with the JAX backend"),
    _system("hips-autograd", "HIPS", "hips_system", "hips",
            description="HIPS autograd (pip install autograd) with hand-written optimizers"),
)}

# Names users may type for a system (after lower-casing).
ALIASES = {
    "kf": "kerasfront", "ours": "kerasfront",
    "np": "numpy", "pytorch": "torch",
    "tf": "tf.keras", "tfkeras": "tf.keras", "tf_keras": "tf.keras", "tensorflow": "tf.keras",
    "keras3": "keras3-jax", "jax": "keras3-jax",
    "hips": "hips-autograd",
}

RESULT_MARK = "BENCH_RESULT "
PROBE_MARK = "BENCH_PROBE "
