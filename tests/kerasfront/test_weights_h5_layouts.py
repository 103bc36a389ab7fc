"""``load_weights("*.weights.h5")`` reads the files tf.keras 2.21 (``tf_keras``) and Keras 3 write, whose layouts
differ for subclassed models (tf.keras 2: ``layers/dense/vars``, ``metrics/mean/vars``; Keras 3: ``d1/vars``), with
the same weights and values; a file fitting neither layout is refused by name and changes nothing.

Files, weights and predictions come from real tf.keras and Keras 3 (tests/fixtures/weights_h5/, made by
tools/make_weights_h5_fixtures.py, whose models are defined again here line for line).
"""
import json
import os

import h5py
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from kerasfront.saving.weights_h5_layouts import keras3_paths, tf_keras_paths

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "weights_h5")
EXPECTED = np.load(os.path.join(FIXTURES, "expected.npz"))
with open(os.path.join(FIXTURES, "expected.json")) as _f:
    META = json.load(_f)
CASES = ["sequential", "functional", "subclass", "nested", "subclass_nested"]


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


def make_model(case):
    if case == "sequential":
        model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization(), layers.Dense(2)])
    elif case == "functional":
        i = keras.Input((4,))
        model = keras.Model(i, layers.Dense(2)(layers.BatchNormalization()(layers.Dense(3)(i))))
    elif case == "subclass":
        model = Subclass()
    elif case == "nested":
        inner = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.BatchNormalization()])
        i = keras.Input((4,))
        model = keras.Model(i, layers.Dense(2)(inner(i)))
    else:
        model = SubclassNested()
    model(np.zeros((2, 4), np.float32))
    return model


def fixture(tag, case):
    return os.path.join(FIXTURES, f"{tag}_{case}.weights.h5")


def compared_weights(model, tag):
    """The model's weights in the order the saving framework listed them (Keras 3 lists no metric variables)."""
    weights = list(model.weights)
    if tag == "k3":
        tracker_vars = {id(v) for m in model.metrics for v in m.variables}
        weights = [w for w in weights if id(w) not in tracker_vars]
    return weights


@pytest.mark.parametrize("tag", ["tfk", "k3"])
@pytest.mark.parametrize("case", CASES)
def test_reads_the_weights_tf_keras_and_keras3_write(tag, case):
    model = make_model(case)
    model.load_weights(fixture(tag, case))
    weights = compared_weights(model, tag)
    names = META[f"{tag}/{case}"]["names"]
    assert len(weights) == len(names)
    for j, w in enumerate(weights):
        np.testing.assert_array_equal(np.asarray(w.numpy()), EXPECTED[f"{tag}/{case}/{j}"], err_msg=names[j])
    if tag == "tfk":
        y = np.asarray(model.predict(EXPECTED["x"], verbose=0))
        np.testing.assert_allclose(y, EXPECTED[f"tfk/{case}/y"], rtol=1e-5, atol=1e-5)


def test_tf_keras_trackers_are_restored():
    """tf.keras 2 saves a subclassed model's Mean trackers (``metrics/mean`` for ``loss_tracker``, ``tracker``)."""
    model = make_model("subclass")
    model.load_weights(fixture("tfk", "subclass"))
    names = META["tfk/subclass"]["names"]
    assert names[-4:] == ["total:0", "count:0", "total:0", "count:0"]
    values = [float(EXPECTED[f"tfk/subclass/{j}"]) for j in range(len(names) - 4, len(names))]
    got = [float(np.asarray(v.numpy())) for m in (model.loss_tracker, model.tracker) for v in m.variables]
    assert got == pytest.approx(values)
    assert float(model.loss_tracker.result()) == pytest.approx(values[0] / values[1])


def _dataset_paths(placed):
    out = []
    for path, obj in placed:
        variables = list(obj.variables) if isinstance(obj, keras.metrics.Metric) else \
            list(obj._trainable_weights) + list(obj._non_trainable_weights)
        out += [f"{path}/vars/{j}" if path else f"vars/{j}" for j in range(len(variables))]
    return sorted(out)


@pytest.mark.parametrize("case", CASES)
def test_paths_match_the_layouts_tf_keras_and_keras3_write(case):
    model = make_model(case)
    assert _dataset_paths(tf_keras_paths(model)) == META[f"tfk/{case}"]["layout"]
    placed = [(p, o) for p, o in keras3_paths(model) if not isinstance(o, keras.metrics.Metric)]
    assert _dataset_paths(placed) == META[f"k3/{case}"]["layout"]


def test_kerasfront_files_keep_their_layout_and_read_back(tmp_path):
    model = make_model("subclass")
    model.load_weights(fixture("tfk", "subclass"))
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert "d1/vars" in f and "blocks/dense_1/vars" in f and "out/vars" in f and "layers" not in f
    again = make_model("subclass")
    again.load_weights(path)
    for a, b in zip(compared_weights(model, "k3"), compared_weights(again, "k3")):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))


def test_a_file_fitting_no_layout_is_refused_and_changes_nothing(tmp_path):
    path = str(tmp_path / "other.weights.h5")
    with h5py.File(fixture("tfk", "subclass"), "r") as src, h5py.File(path, "w") as dst:
        for name in src:
            src.copy(src[name], dst, name=name)
        del dst["layers/dense_2"]            # the third Dense of the list (tf.keras 2's name for blocks[1])
    model = make_model("subclass")
    before = [np.asarray(w.numpy()).copy() for w in model.weights]
    with pytest.raises(ValueError) as info:
        model.load_weights(path)
    msg = str(info.value)
    assert "fits no layout" in msg
    assert "kerasfront's and Keras 3's layouts expect the group 'blocks/dense/vars' for layer" in msg
    assert "tf.keras 2.21's layout expects the group 'layers/dense_2/vars'" in msg
    assert "['layers', 'metrics', 'out', 'tracker', 'vars']" in msg
    for b, w in zip(before, model.weights):
        np.testing.assert_array_equal(b, np.asarray(w.numpy()))


def test_skip_mismatch_keeps_reading_what_fits(tmp_path):
    """With skip_mismatch, a file fitting no layout is read in kerasfront's layout, the missing layers skipped."""
    model = make_model("subclass")
    with pytest.warns(UserWarning, match="skipped"):
        model.load_weights(fixture("tfk", "subclass_nested"), skip_mismatch=True)
