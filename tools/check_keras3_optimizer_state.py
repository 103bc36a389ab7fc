"""Check that the optimizer state in ``.keras`` files kerasfront writes loads in real Keras 3, as Keras 3's own.

Not a test (the test suite never needs TensorFlow or Keras): a tool to run by hand where a Python with Keras 3 is
available.

    python3 tools/check_keras3_optimizer_state.py --keras3-python /work/tfenv/bin/python [--keep DIR]

Two checks for each optimizer:

- ``resaved``: kerasfront loads ``tests/fixtures/keras3_reference/k3_opt_<name>.keras`` (written by Keras 3) and
  saves it again; Keras 3 loads that file with no warning, its optimizer holds the variables Keras 3 saved in the
  first place (``opt_var_<i>`` of the fixture), and one more epoch of ``fit`` gives the fixture's ``resume_w_<i>``
  (what Keras 3 gave from its own file): Keras 3 -> kerasfront -> Keras 3 continues as if nothing happened.
- ``kerasfront``: a model compiled and trained by kerasfront with the same optimizer is saved; Keras 3 loads it
  with no warning and its optimizer variables equal what kerasfront wrote (``keras3_variables()``).

Prints one line per case and exits 1 when any check fails.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import warnings

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import kerasfront as keras  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "keras3_reference")

KERAS3_SIDE = textwrap.dedent(r'''
    import json, os, sys, warnings
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import keras
    root, fixtures = sys.argv[1], sys.argv[2]
    out = {}
    for path in sorted(os.listdir(root)):
        if not path.endswith(".keras"):
            continue
        kind, name = path[:-len(".keras")].split("__")
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            model = keras.saving.load_model(os.path.join(root, path))
        res = {"warnings": [str(w.message)[:300] for w in record if "optimizer" in str(w.message).lower()]}
        values = [np.asarray(v.numpy()) for v in model.optimizer.variables]
        if kind == "resaved":
            ref = dict(np.load(os.path.join(fixtures, f"k3_opt_{name}.npz")))
            expected = [ref[f"opt_var_{i}"] for i in range(len([k for k in ref if k.startswith("opt_var_")]))]
        else:
            ref_arrays = dict(np.load(os.path.join(root, f"{kind}__{name}.npz")))
            expected = [ref_arrays[f"opt_var_{i}"] for i in range(len([k for k in ref_arrays
                                                                       if k.startswith("opt_var_")]))]
        res["count"] = [len(values), len(expected)]
        res["state_err"] = (max(float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max(initial=0))
                                for a, b in zip(values, expected)) if len(values) == len(expected) else None)
        if kind == "resaved":
            model.fit(ref["train_x"], ref["train_y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
            after = [np.asarray(w) for layer in model.layers for w in layer.get_weights()]
            res["resume_err"] = max(float(np.abs(a - ref[f"resume_w_{i}"]).max()) for i, a in enumerate(after))
        out[path] = res
    print("RESULT" + json.dumps(out))
''')


def _kerasfront_optimizers():
    """The kerasfront optimizers with the hyperparameters of the fixture cases (tools/make_keras3_fixtures.py)."""
    opt = keras.optimizers
    schedule = opt.schedules.ExponentialDecay(0.02, decay_steps=3, decay_rate=0.8)
    return {
        "nadam": lambda: opt.Nadam(learning_rate=0.02),
        "nadam_schedule": lambda: opt.Nadam(learning_rate=schedule, beta_1=0.85),
        "adam_amsgrad": lambda: opt.Adam(learning_rate=0.02, amsgrad=True),
        "adamw": lambda: opt.AdamW(learning_rate=0.02, weight_decay=0.05),
        "sgd": lambda: opt.SGD(learning_rate=0.05),
        "sgd_nesterov": lambda: opt.SGD(learning_rate=0.05, momentum=0.8, nesterov=True),
        "rmsprop_centered": lambda: opt.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
        "adagrad": lambda: opt.Adagrad(learning_rate=0.05),
        "adadelta": lambda: opt.Adadelta(learning_rate=1.0),
        "adamax": lambda: opt.Adamax(learning_rate=0.02),
        "ftrl": lambda: opt.Ftrl(learning_rate=0.05, l1_regularization_strength=0.01,
                                 l2_regularization_strength=0.01, l2_shrinkage_regularization_strength=0.01),
        "lion": lambda: opt.Lion(learning_rate=0.005),
        "adafactor": lambda: opt.Adafactor(learning_rate=0.05),
    }


def write_files(root):
    """kerasfront's side: the re-saved fixtures and kerasfront's own trained models, with their optimizer state."""
    for path in sorted(glob.glob(os.path.join(FIXTURES, "k3_opt_*.keras"))):
        name = os.path.basename(path)[len("k3_opt_"):-len(".keras")]
        with warnings.catch_warnings():
            warnings.simplefilter("error")       # a state kerasfront could not restore fails here
            model = keras.models.load_model(path)
        model.save(os.path.join(root, f"resaved__{name}.keras"))
    rng = np.random.default_rng(11)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    for name, make in _kerasfront_optimizers().items():
        keras.utils.set_random_seed(11)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2)])
        model.compile(optimizer=make(), loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        model.save(os.path.join(root, f"kerasfront__{name}.keras"))
        np.savez(os.path.join(root, f"kerasfront__{name}.npz"),
                 **{f"opt_var_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.optimizer.keras3_variables())})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras3-python", default="/work/tfenv/bin/python")
    parser.add_argument("--keep", default=None, help="folder for the files (default: a temporary folder)")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="kf-keras3-optimizers-")
    os.makedirs(root, exist_ok=True)
    write_files(root)
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    proc = subprocess.run([args.keras3_python, "-c", KERAS3_SIDE, root, FIXTURES], capture_output=True, text=True,
                          env=env)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if proc.returncode or not line:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        return 1
    results = json.loads(line[0][len("RESULT"):])
    failed = 0
    for path, res in results.items():
        ok = (not res["warnings"] and res["count"][0] == res["count"][1] and res["state_err"] is not None
              and res["state_err"] <= 1e-6 and res.get("resume_err", 0.0) <= 1e-5)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {path:40s} variables {res['count'][0]} (expected {res['count'][1]}), "
              f"state diff {res['state_err']}, weights diff after one more epoch in Keras 3 "
              f"{res.get('resume_err', '-')}" + (f"; warnings: {res['warnings']}" if res["warnings"] else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
