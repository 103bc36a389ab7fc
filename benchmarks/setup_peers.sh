#!/usr/bin/env bash
# Make one virtual environment per peer, outside the repository, in the layout the runner looks for:
#   benchmarks/setup_peers.sh [DIR]        (DIR defaults to ~/.cache/kerasfront-bench)
# then:  BENCH_VENVS=DIR python -m benchmarks
# Each peer gets its own interpreter: HIPS autograd's import name `autograd` is this project's too, and
# TensorFlow and JAX are best kept apart. A peer that fails to install is reported and skipped; the
# runner then shows it as "not installed".
# TORCH_SPEC picks the torch release (default torch==2.13.0, the CPU build the reference figures used;
# a bare `torch` from PyPI may be a multi-GB CUDA build).
set -uo pipefail
DIR="${1:-$HOME/.cache/kerasfront-bench}"
PY="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
mkdir -p "$DIR"

make_venv() {   # name, packages...
  local name="$1"; shift
  echo "== $name: $*"
  if "$PY" -m venv "$DIR/$name" && "$DIR/$name/bin/python" -m pip install --quiet "$@"; then
    echo "   ok: $DIR/$name/bin/python"
  else
    echo "   FAILED: $name (the benchmarks will show it as not installed)"
  fi
}

make_venv torch "$TORCH_SPEC" numpy
make_venv keras3 jax jaxlib keras
make_venv hips autograd numpy
make_venv tfkeras tensorflow-cpu tf-keras

echo
echo "Now run:  BENCH_VENVS=$DIR python -m benchmarks"
