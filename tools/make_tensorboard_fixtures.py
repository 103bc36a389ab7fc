"""Record which TensorBoard summaries tf.keras writes, and where, for the kerasfront TensorBoard tests.

Run with a Python that has tensorflow-cpu, tf_keras and tensorboard installed (never the project's venv):
    TF_USE_LEGACY_KERAS=1 python tools/make_tensorboard_fixtures.py tests/fixtures/tensorboard/layout.json

It trains the small model below with ``TensorBoard(histogram_freq=1, update_freq=2, write_images=True)`` and a
learning-rate schedule, then evaluates with a second TensorBoard callback, reads every event file back and writes,
per run directory (``train``, ``validation``) and per fit/evaluate call, the sorted ``[tag, step, plugin]``
triples. tf.keras writes batch scalars only when some callback asks for batch hooks, so ``verbose=1`` (the
progress bar) is used. The op-level graph (``__run_graph__``, and the bare ``graph_def`` event) is TensorFlow's
and is left out: kerasfront does not write it.
"""
import glob
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tensorboard.backend.event_processing import event_file_loader  # noqa: E402

#: the same model, data and arguments the test uses (tests/kerasfront/test_tensorboard.py)
CODE = """
x = np.random.default_rng(0).random((40, 4)).astype("float32")
y = (x.sum(axis=1) > 2).astype("float32")
model = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=(4,)),
                          keras.layers.Dense(1, activation="sigmoid")])
schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
model.compile(keras.optimizers.SGD(schedule), "binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=10, validation_split=0.25, verbose=1,
          callbacks=[keras.callbacks.TensorBoard(log_dir, histogram_freq=1, update_freq=2, write_images=True)])
model.evaluate(x, y, verbose=0, callbacks=[keras.callbacks.TensorBoard(log_dir)])
"""


def read_layout(log_dir):
    """{run: [[[tag, step, plugin], ...] per event file, in the order the files were made]}."""
    out = {}
    for run in ("train", "validation"):
        files = sorted(glob.glob(os.path.join(log_dir, run, "events.out.tfevents.*")),
                       key=lambda p: int(p.split(".")[-2]))
        entries = []
        for path in files:
            items = []
            for event in event_file_loader.EventFileLoader(path).Load():
                if event.WhichOneof("what") != "summary":
                    continue
                for value in event.summary.value:
                    if value.tag == "__run_graph__":
                        continue
                    items.append([value.tag, int(event.step), value.metadata.plugin_data.plugin_name])
            entries.append(sorted(items))
        out[run] = entries
    return out


def main(out_path):
    keras.utils.set_random_seed(0)
    with tempfile.TemporaryDirectory() as log_dir:
        exec(CODE, {"np": np, "keras": keras, "log_dir": log_dir})
        layout = read_layout(log_dir)
    with open(out_path, "w") as f:
        json.dump({"made_by": f"tf_keras {keras.__version__}", "code": CODE.strip(), "layout": layout}, f, indent=1)
        f.write("\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/tensorboard/layout.json")
