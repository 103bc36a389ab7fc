"""Make tests/fixtures/weights_h5/ with real tf.keras 2.21 (``tf_keras``) and Keras 3: ``.weights.h5`` files of the
same models saved by each, and the weights they hold.

Run with a Python that has tensorflow-cpu, tf_keras and keras 3 (never the project's environment):
    TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/make_weights_h5_fixtures.py

tf_keras 2.21's ``save_weights("m.weights.h5")`` walks a model's attributes (properties included) in reverse
alphabetical order, so a subclassed model's layers land under ``layers/<class>`` (its ``layers`` property) and its
metric attributes under ``metrics/<class>`` or their own name, where Keras 3 writes each layer under its attribute
name and no metrics. Sequential and functional models get the same layout from both.

It writes (read by tests/kerasfront/test_weights_h5_layouts.py):

  tfk_<case>.weights.h5  tf_keras 2.21's file of each case
  k3_<case>.weights.h5   Keras 3's file of each case
  expected.npz           ``tfk/<case>/<i>`` and ``k3/<case>/<i>``: the values of each model's ``weights`` in order
                         (Keras 3's lists no metric variables), and ``x`` / ``tfk/<case>/y``: an input and tf_keras's
                         prediction for it
  expected.json          {"<framework>/<case>": {"names": [...], "layout": [every dataset path in the file]}}

The cases (each defined again, line for line, in the test with kerasfront): "sequential", "functional" (a Dense, a
BatchNormalization, a Dense), "subclass" (Dense attributes ``d1`` and ``out``, a BatchNormalization ``bn``, a list
``blocks`` of two Dense layers, Mean trackers ``loss_tracker`` and ``tracker``), "nested" (a functional model holding
a Sequential with a BatchNormalization), "subclass_nested" (a subclassed model holding a Sequential, a functional
model and a Dense).
"""
import json
import os

import numpy as np

os.environ["TF_USE_LEGACY_KERAS"] = "1"
import h5py  # noqa: E402
import keras as keras3  # noqa: E402
import tf_keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "weights_h5")


def make_cases(keras):
    """``{case: model}``, built, for the Keras module ``keras`` (tf_keras or Keras 3)."""
    layers = keras.layers

    class Subclass(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = layers.Dense(3)
            self.bn = layers.BatchNormalization()
            self.blocks = [layers.Dense(3, activation="tanh"), layers.Dense(3)]
            self.out = layers.Dense(2)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.tracker = keras.metrics.Mean(name="tracker")

        def call(self, x, training=False):
            h = self.bn(self.d1(x), training=training)
            for block in self.blocks:
                h = block(h)
            return self.out(h)

    class SubclassNested(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = keras.Sequential([layers.Dense(3), layers.BatchNormalization()])
            i = keras.Input((3,))
            self.encoder = keras.Model(i, layers.Dense(3, activation="relu")(i))
            self.head = layers.Dense(2)

        def call(self, x, training=False):
            return self.head(self.encoder(self.inner(x, training=training)))

    cases = {}
    cases["sequential"] = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization(),
                                            layers.Dense(2)])
    i = keras.Input((4,))
    cases["functional"] = keras.Model(i, layers.Dense(2)(layers.BatchNormalization()(layers.Dense(3)(i))))
    cases["subclass"] = Subclass()
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization()])
    i = keras.Input((4,))
    cases["nested"] = keras.Model(i, layers.Dense(2)(inner(i)))
    cases["subclass_nested"] = SubclassNested()
    x = np.zeros((2, 4), np.float32)
    for model in cases.values():
        model(x)
    return cases


def fill(model, rng):
    """Give every variable a distinct value (BatchNormalization's variance positive), trackers some state."""
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        values.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
    model.set_weights(values)


def layout(path):
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    arrays = {"x": np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)}
    meta = {}
    for tag, keras in (("tfk", tf_keras), ("k3", keras3)):
        rng = np.random.default_rng(0)
        for case, model in make_cases(keras).items():
            fill(model, rng)
            path = os.path.join(OUT, f"{tag}_{case}.weights.h5")
            if os.path.exists(path):
                os.remove(path)
            model.save_weights(path)
            for j, w in enumerate(model.weights):
                arrays[f"{tag}/{case}/{j}"] = np.asarray(w.numpy())
            if tag == "tfk":
                arrays[f"{tag}/{case}/y"] = np.asarray(model(arrays["x"], training=False))
            meta[f"{tag}/{case}"] = {"names": [w.name for w in model.weights], "layout": layout(path)}
    meta["versions"] = {"tf_keras": tf_keras.__version__, "keras": keras3.__version__}
    np.savez_compressed(os.path.join(OUT, "expected.npz"), **arrays)
    with open(os.path.join(OUT, "expected.json"), "w") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
