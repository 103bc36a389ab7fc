"""Loads hostile files under a hard memory limit, for the untrusted-file tests (run in a subprocess).

    python -m tests.reliability._hostile_loader HEADROOM_MB CASES.json

CASES.json is a list of ``[kind, path]`` with kind ``model`` (``load_model``), ``weights`` or
``weights_by_name`` (``load_weights`` into the small model of ``build()``). The address space is limited to
what the process uses after imports plus HEADROOM_MB, so an attempt to allocate what the file declares fails
here as it would exhaust memory elsewhere. One JSON line per case: ``{"path", "outcome", "type", "message"}``
where outcome is ``loaded``, ``refused`` (ValueError/TypeError) or ``crashed`` (anything else).
"""
import json
import resource
import sys
import warnings

import h5py  # noqa: F401  (imported before the limit, as a loaded application would have it)
import numpy as np

import kerasfront as keras
from kerasfront import layers


def build():
    keras.utils.set_random_seed(51)
    model = keras.Sequential([layers.Dense(3, input_shape=(2,), name="dense"), layers.Dense(1, name="dense_1")])
    model.compile(optimizer="adam", loss="mse")
    return model


def _virtual_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def main(headroom_mb, cases_path):
    with open(cases_path) as f:
        cases = json.load(f)
    model = build()
    model.predict(np.zeros((1, 2), np.float32), verbose=0)      # warm every code path used below
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_virtual_bytes() + int(headroom_mb) * 2 ** 20, hard))
    for kind, path in cases:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind == "model":
                    keras.models.load_model(path)
                else:
                    build().load_weights(path, by_name=kind == "weights_by_name")
            result = {"outcome": "loaded", "type": None, "message": ""}
        except (ValueError, TypeError) as e:
            result = {"outcome": "refused", "type": type(e).__name__, "message": str(e)}
        except BaseException as e:  # noqa: B902 - MemoryError and anything else is what the test looks for
            result = {"outcome": "crashed", "type": type(e).__name__, "message": str(e)[:500]}
        result["path"] = path
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
