"""The allocator tuning applied at import: on by default on glibc, off with AUTOGRAD_MALLOC_TUNING=0."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tuned(env_value):
    env = dict(os.environ, PYTHONPATH=ROOT)
    if env_value is not None:
        env["AUTOGRAD_MALLOC_TUNING"] = env_value
    out = subprocess.run([sys.executable, "-c", "import autograd.malloc_tuning as m, autograd; print(m.TUNED)"],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc tuning applies on Linux only")
def test_tuning_is_applied_at_import_and_can_be_switched_off():
    assert _tuned(None) == "True"
    assert _tuned("0") == "False"


def test_large_temporaries_do_not_fault_fresh_pages_every_step():
    import resource

    import numpy as np

    import autograd as ag
    x = ag.tensor(np.ones((64, 26, 26, 80), np.float32), requires_grad=True)
    for _ in range(3):
        (ag.relu(x) * 2.0).sum().backward()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        (ag.relu(x) * 2.0).sum().backward()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5
    # NOTE: 35 MB temporaries (an im2col buffer's size) lie above glibc's largest adaptive mmap threshold
    # (32 MB): untuned, they come as fresh mmap pages (measured ~1 000 faults per step); tuned, ~0.
    assert faults < 100, faults
