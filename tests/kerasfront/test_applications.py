"""keras.applications against real tf.keras (fixtures made by tools/make_applications_fixtures.py with tf_keras 2.21;
no TensorFlow here).

- every architecture (and the family options): the model name, layer names, ordered weight names, shapes, dtypes and
  trainability and the output shape equal tf_keras's. The models are built with deferred weight values
  (``engine.base_layer.deferred_weight_values``: no weight memory, no initializer run) at tf_keras's smallest input
  size, so that all ~120 builds take seconds;
- one member per family, with weights drawn by tests/kerasfront/applications_reference.py in the model's weight
  order: the pooled features (``include_top=False, pooling="avg"``) equal tf_keras's within 1e-4;
- a weights file written by tf_keras's ``save_weights`` (MobileNet alpha=0.35) loads and gives tf_keras's outputs;
- ``weights="imagenet"``: the file names, URLs and hashes tf_keras asks get_file for (download stubbed out), Keras's
  cache, the error offline, EfficientNet's extra ImageNet rescaling; preprocess_input and decode_predictions.

    python tools/make_applications_fixtures.py tests/fixtures/applications --check   (every case, with a report)
"""
import contextlib
import hashlib
import json
import lzma
import os
import shutil
import urllib.error
import warnings

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.applications import _weights, efficientnet, imagenet_utils
from kerasfront.engine.base_layer import deferred_weight_values
from kerasfront.engine.training import Model
from kerasfront.utils import data_utils

from tests.kerasfront import applications_reference as REF

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "applications")

with lzma.open(os.path.join(FIXTURES, "shapes.json.xz"), "rt") as _f:
    _SHAPES = json.load(_f)
SHAPE_CASES = _SHAPES["cases"]
FAMILIES = _SHAPES["families"]


def load_numerics(name="numerics.json"):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


NUMERICS = load_numerics()
with open(os.path.join(FIXTURES, "weight_files.json")) as _f:
    FILE_CASES = json.load(_f)["cases"]


def _kwargs(kwargs):
    out = dict(kwargs)
    if out.get("input_shape") is not None:
        out["input_shape"] = tuple(out["input_shape"])
    return out


@contextlib.contextmanager
def _pretrained_stubbed():
    """``weights="imagenet"`` without a file: get_file answers a dummy path and loading does nothing."""
    saved = (data_utils.get_file, Model.load_weights)
    data_utils.get_file = lambda *a, **k: "stub.h5"
    Model.load_weights = lambda self, *a, **k: None
    try:
        yield
    finally:
        data_utils.get_file, Model.load_weights = saved


def build(fn, kwargs, deferred=True):
    keras.backend.clear_session()
    stub = _pretrained_stubbed() if kwargs.get("weights") not in (None,) else contextlib.nullcontext()
    with stub, (deferred_weight_values() if deferred else contextlib.nullcontext()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`input_shape` is undefined", UserWarning)   # ImageNet sizes differ
        return getattr(keras.applications, fn)(**_kwargs(kwargs))


def describe(model):
    return {"model_name": model.name, "layers": [la.name for la in model.layers],
            "weights": [[w.name, list(w.shape), w.dtype.name, bool(w.trainable)] for w in model.weights],
            "output_shape": list(model.output_shape)}


def _first_difference(ours, theirs):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            return f"first difference at #{i}: kerasfront {a!r}, tf_keras {b!r}"
    return f"kerasfront has {len(ours)}, tf_keras {len(theirs)} (the shorter is a prefix of the longer)"


def check_shape_case(case):
    """Build ``case`` and compare it with tf_keras's description (an AssertionError says what differs)."""
    got = describe(build(case["fn"], case["kwargs"]))
    for key in ("model_name", "output_shape"):
        assert got[key] == case[key], f"{key}: kerasfront {got[key]!r}, tf_keras {case[key]!r}"
    for key in ("weights", "layers"):
        assert got[key] == case[key], f"{key}: " + _first_difference(got[key], case[key])


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c["id"] for c in SHAPE_CASES])
def test_architecture_matches_tf_keras(case):
    check_shape_case(case)


def test_every_architecture_of_tf_keras_is_in_the_manifest():
    from tests.kerasfront.test_api_coverage import API
    names = {n for n, v in API["applications"].items() if v.get("kind") == "function"}
    assert names == {c["fn"] for c in SHAPE_CASES if c["id"].endswith("/top")}
    assert all(hasattr(keras.applications, n) for n in names)


# -- numerics --------------------------------------------------------------------------------------------------------
def seeded_model(fn, kwargs, seed, quantum=None, gain=2.0):
    model = build(fn, kwargs)
    specs = [(w.name, tuple(w.shape), w.dtype.name) for w in model.weights]
    values = REF.seeded_weight_values(specs, seed, gain)
    if quantum:
        values = [((v / quantum).round() * quantum).astype(v.dtype) if v.dtype.kind == "f" else v for v in values]
    model.set_weights(values)
    return model, values


def compare_features(features, expected):
    """The max error of ``features`` against the fixture's summary, relative to the features' scale."""
    got = REF.feature_summary(features)
    want = np.asarray(expected["values"])
    scale = max(1.0, float(np.abs(want).max()))
    err = float(np.abs(np.asarray(got["values"]) - want).max()) / scale
    n = features.shape[1]
    err_sum = max(abs(a - b) / (scale * n) for a, b in zip(got["sum"], expected["sum"]))
    err_sq = max(abs(a - b) / max(b, 1e-12) for a, b in zip(got["sum_sq"], expected["sum_sq"]))
    return max(err, err_sum, err_sq / 2)


def check_numeric_case(case):
    model, values = seeded_model(case["fn"], case["kwargs"], case["weight_seed"], case.get("weight_quantum"),
                                 case.get("kernel_gain", 2.0))
    assert len(values) == case["weights_count"]
    assert REF.check_sum(values) == pytest.approx(case["weight_checksum"], rel=1e-9), \
        "the seeded weights differ from tf_keras's run (numpy's random streams changed?)"
    images = REF.seeded_images(case["input_shape"], case["input_seed"])
    assert REF.check_sum([images]) == pytest.approx(case["input_checksum"], rel=1e-9)
    features = np.asarray(model.predict(images, verbose=0), dtype=np.float64)
    # non-degenerate: random weights through a deep net can saturate to a constant
    assert np.isfinite(features).all()
    assert features.std() > 1e-3 * max(1.0, np.abs(features).max()), f"degenerate features (std {features.std()})"
    assert np.abs(features[0] - features[1]).max() > 1e-2 * np.abs(features).max(), "both images give one output"
    # well-conditioned: a 1e-6 change of the input moves the features far less than the tolerance (random weights
    # scaled too far make a network chaotic, where no two frameworks' float32 sums could agree)
    again = np.asarray(model.predict(images * np.float32(1 + 1e-6), verbose=0), dtype=np.float64)
    assert np.abs(again - features).max() < 1e-5 * np.abs(features).max(), "chaotic: 1e-6 in changes the output"
    err = compare_features(features, case["features"])
    assert err <= 1e-4, f"{case['fn']}: the pooled features differ from tf_keras's by {err:.2e} (relative)"
    return err


@pytest.mark.parametrize("case", NUMERICS["cases"], ids=[c["fn"] for c in NUMERICS["cases"]])
def test_pooled_features_equal_tf_keras(case):
    check_numeric_case(case)


def test_numeric_cases_cover_every_family():
    assert sorted(c["family"] for c in NUMERICS["cases"]) == sorted(FAMILIES)
    members = [name for names in FAMILIES.values() for name in names]
    assert sorted(members) == sorted({c["fn"] for c in SHAPE_CASES if c["id"].endswith("/top")})


# -- a weights file written by tf_keras ---------------------------------------------------------------------------
def _tf_keras_mobilenet_file(tmp_path):
    path = tmp_path / "mobilenet_alpha035.weights.h5"
    with lzma.open(os.path.join(FIXTURES, "mobilenet_alpha035.weights.h5.xz"), "rb") as f, open(path, "wb") as g:
        shutil.copyfileobj(f, g)
    return str(path)


def test_tf_keras_save_weights_file_loads(tmp_path):
    case = NUMERICS["file_case"]
    path = _tf_keras_mobilenet_file(tmp_path)
    keras.backend.clear_session()
    model = keras.applications.MobileNet(**_kwargs(case["kwargs"]))
    model.load_weights(path)
    specs = [(w.name, tuple(w.shape), w.dtype.name) for w in model.weights]
    q = case["weight_quantum"]
    expected = [((v / q).round() * q).astype(v.dtype)
                for v in REF.seeded_weight_values(specs, case["weight_seed"], case["kernel_gain"])]
    for w, v in zip(model.weights, expected):
        np.testing.assert_array_equal(w.numpy(), v, err_msg=w.name)
    images = REF.seeded_images(case["input_shape"], case["input_seed"])
    features = np.asarray(model.predict(images, verbose=0), dtype=np.float64)
    assert compare_features(features, case["features"]) <= 1e-4
    # weights=<path> loads the same file while building
    keras.backend.clear_session()
    direct = keras.applications.MobileNet(**dict(_kwargs(case["kwargs"]), weights=path))
    np.testing.assert_array_equal(direct.predict(images, verbose=0), model.predict(images, verbose=0))


# -- weights="imagenet": tf.keras's file names, URLs and hashes ------------------------------------------------------
class _Asked(Exception):
    pass


def _asked_for(fn, kwargs, monkeypatch):
    calls = []

    def fake_get_file(fname=None, origin=None, cache_subdir="datasets", file_hash=None, **rest):
        calls.append({"fname": fname, "origin": origin, "cache_subdir": cache_subdir, "file_hash": file_hash})
        raise _Asked()
    monkeypatch.setattr(data_utils, "get_file", fake_get_file)
    keras.backend.clear_session()
    with pytest.raises(_Asked), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`input_shape` is undefined", UserWarning)   # ImageNet sizes differ
        getattr(keras.applications, fn)(**_kwargs(kwargs))
    return calls


def test_pretrained_file_table_equals_tf_keras(monkeypatch):
    """Every pretrained variant asks get_file for tf_keras's file (name, URL, cache folder, hash), before building
    anything (the download is stubbed out)."""
    assert len(FILE_CASES) > 150
    for case in FILE_CASES:
        calls = _asked_for(case["fn"], case["kwargs"], monkeypatch)
        want = {k: case[k] for k in ("fname", "origin", "cache_subdir", "file_hash")}
        assert calls == [want], (case["fn"], case["kwargs"])


def _standin(tmp_path, fn, kwargs, fname, seed=3):
    """A weights file for ``fn(**kwargs)`` saved by kerasfront into a fresh Keras cache, as ``fname``."""
    keras.backend.clear_session()
    model = getattr(keras.applications, fn)(**_kwargs(dict(kwargs, weights=None)))
    specs = [(w.name, tuple(w.shape), w.dtype.name) for w in model.weights]
    model.set_weights(REF.seeded_weight_values(specs, seed))
    cache = tmp_path / "keras_home" / "models"
    cache.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(cache / fname))
    return model, str(cache / fname)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """A fresh KERAS_HOME and no network: a download fails as it would offline."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    attempts = []

    def no_network(url, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(data_utils, "urlretrieve", no_network)
    return attempts


def test_imagenet_weights_are_read_from_keras_cache(offline, tmp_path):
    kwargs = {"alpha": 0.25, "include_top": False, "input_shape": (128, 128, 3)}
    reference, _ = _standin(tmp_path, "MobileNet", kwargs, "mobilenet_2_5_128_tf_no_top.h5")
    keras.backend.clear_session()
    model = keras.applications.MobileNet(weights="imagenet", **kwargs)
    assert offline == []          # found in the cache: no download tried
    for a, b in zip(model.weights, reference.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_cached_file_with_the_right_hash_is_used(offline, tmp_path, monkeypatch):
    kwargs = {"include_top": False, "input_shape": (32, 32, 3)}
    _, path = _standin(tmp_path, "MobileNetV3Small", kwargs,
                       "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5")
    with open(path, "rb") as f:
        md5 = hashlib.md5(f.read()).hexdigest()
    from kerasfront.applications import mobilenet_v3
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_224_1.0_float", ("unused", md5))
    keras.backend.clear_session()
    with pytest.warns(UserWarning, match="224"):
        model = keras.applications.MobileNetV3Small(weights="imagenet", **kwargs)
    assert offline == [] and all(w.has_value for w in model.weights)


def test_offline_without_the_file_names_it_and_where_to_put_it(offline):
    with pytest.raises(OSError) as info:
        keras.applications.ResNet50(weights="imagenet", include_top=False)
    message = str(info.value)
    fname = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert fname in message and "4d473c1dd8becc155b73f8504c6f6626" in message
    assert os.path.join(os.environ["KERAS_HOME"], "models", fname) in message
    assert "https://storage.googleapis.com/tensorflow/keras-applications/resnet/" + fname in message
    assert offline == ["https://storage.googleapis.com/tensorflow/keras-applications/resnet/" + fname]


def test_cached_file_with_a_wrong_hash_is_fetched_again(offline, tmp_path):
    kwargs = {"include_top": False, "input_shape": (32, 32, 3)}
    _standin(tmp_path, "MobileNetV3Small", kwargs, "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5")
    with pytest.raises(OSError, match="weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"), \
            pytest.warns(UserWarning, match="224"):
        keras.applications.MobileNetV3Small(weights="imagenet", **kwargs)
    assert len(offline) == 1     # the stale file was not used: a fresh download was tried


def test_efficientnet_imagenet_adds_tf_keras_rescaling_step(offline, tmp_path, monkeypatch):
    """tf.keras's EfficientNet built for ImageNet weights multiplies the normalized input by 1/sqrt(std); with
    weights=None (or a path) it does not. Same weights, different outputs, by exactly that step."""
    kwargs = {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"}
    plain, path = _standin(tmp_path, "EfficientNetB0", kwargs, "efficientnetb0_notop.h5")
    with open(path, "rb") as f:
        monkeypatch.setitem(efficientnet.WEIGHTS_HASHES, "b0", ("unused", hashlib.md5(f.read()).hexdigest()))
    keras.backend.clear_session()
    pretrained = keras.applications.EfficientNetB0(weights="imagenet", **kwargs)
    names = [la.name for la in pretrained.layers]
    assert names[:4] == ["input_1", "rescaling", "normalization", "tf.math.multiply"]
    assert "tf.math.multiply" not in [la.name for la in plain.layers]
    keras.backend.clear_session()
    by_path = keras.applications.EfficientNetB0(weights=path, **kwargs)
    assert "tf.math.multiply" not in [la.name for la in by_path.layers]
    images = REF.seeded_images((2, 32, 32, 3), 5)
    np.testing.assert_allclose(by_path.predict(images, verbose=0), plain.predict(images, verbose=0), rtol=1e-6)
    assert np.abs(pretrained.predict(images, verbose=0) - plain.predict(images, verbose=0)).max() > 1e-3
    norm = Model(pretrained.input, pretrained.get_layer("normalization").output).predict(images, verbose=0)
    scaled = Model(pretrained.input, pretrained.get_layer("tf.math.multiply").output).predict(images, verbose=0)
    np.testing.assert_allclose(scaled, norm / np.sqrt([0.229, 0.224, 0.225]), rtol=1e-6)


# -- argument checks -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,kwargs,match", [
    ("ResNet50", {"weights": "imagnet"}, "`weights` argument"),
    ("VGG16", {"weights": "imagenet", "classes": 10}, "classes"),
    ("MobileNet", {"weights": "imagenet", "alpha": 0.3}, "alpha"),
    ("MobileNet", {"weights": "imagenet", "depth_multiplier": 2}, "depth multiplier"),
    ("MobileNetV2", {"weights": "imagenet", "alpha": 0.6}, "alpha"),
    ("MobileNetV3Small", {"weights": "imagenet", "alpha": 0.75, "minimalistic": True}, "alpha"),
    ("ResNetRS50", {"weights": "imagenet-i224"}, "imagenet-i160"),
    ("InceptionV3", {"weights": None, "input_shape": (64, 64, 3)}, "at least 75x75"),
    ("ResNet50", {"weights": "imagenet", "input_shape": (200, 200, 3)}, "should be \\(224, 224, 3\\)"),
    ("ResNet50", {"weights": None, "input_shape": (None, None, 3)}, "static `input_shape`"),
    ("DenseNet121", {"weights": "imagenet", "classifier_activation": "relu"}, "softmax"),
    ("ResNet50", {"weights": None, "nonsense": 1}, "Unknown argument"),
    ("ResNet50", {"weights": None, "input_tensor": np.zeros((1, 32, 32, 3))}, "symbolic tensor"),
])
def test_bad_arguments_get_clear_errors(fn, kwargs, match, offline):
    with pytest.raises(ValueError, match=match):
        getattr(keras.applications, fn)(**kwargs)
    assert offline == []       # refused before any download


def test_input_tensor_and_layers_module():
    keras.backend.clear_session()
    inp = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inp)
    with deferred_weight_values():
        model = keras.applications.ResNet50(weights=None, include_top=False, input_tensor=x, pooling="avg",
                                            layers=keras.layers)
    assert model.inputs[0] is inp and model.output_shape == (None, 2048)
    assert model.layers[1].name == "rescaling"


def test_deferred_weights_cost_no_memory_until_assigned():
    keras.backend.clear_session()
    with deferred_weight_values():
        model = keras.applications.ConvNeXtXLarge(weights=None, input_shape=(32, 32, 3))
    assert model.count_params() == 350196968
    kernels = [w for w in model.weights if w.data.strides == (0,) * w.ndim]
    assert len(kernels) == len(model.weights) and not any(w.has_value for w in model.weights)
    w = model.weights[0]
    w.assign(np.ones(w.shape))
    assert w.has_value and w.numpy().sum() == w.size


def test_deferred_weights_cannot_be_trained_until_they_have_values():
    keras.backend.clear_session()
    with deferred_weight_values():
        model = keras.applications.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), classes=3)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.zeros((2, 32, 32, 3), "float32"), np.zeros((2,), "int64")
    with pytest.raises(ValueError, match="no values yet"):
        model.fit(x, y, verbose=0)
    model.set_weights([np.full(w.shape, 0.01, w.dtype) for w in model.weights])
    model.fit(x, y, verbose=0)


# -- preprocess_input and decode_predictions --------------------------------------------------------------------------
PREPROCESS = NUMERICS["preprocess"]


@pytest.mark.parametrize("module", sorted(m for m in PREPROCESS["outputs"] if m != "imagenet_utils_3d"))
def test_preprocess_input_equals_tf_keras(module):
    fn = getattr(keras.applications, module).preprocess_input
    images = REF.seeded_images(PREPROCESS["shape"], PREPROCESS["seed"])
    for layout in ("channels_last", "channels_first"):
        x = images if layout == "channels_last" else images.transpose(0, 3, 1, 2)
        want = np.asarray(PREPROCESS["outputs"][module][f"{layout}|numpy"], dtype=np.float32)
        given = x.copy()
        got = fn(given, data_format=layout)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
        inp = keras.Input(x.shape[1:])
        model = Model(inp, fn(inp, data_format=layout))
        want = np.asarray(PREPROCESS["outputs"][module][f"{layout}|symbolic"], dtype=np.float32)
        np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-4)


def test_preprocess_input_modes_and_in_place():
    images = REF.seeded_images(PREPROCESS["shape"], PREPROCESS["seed"])
    for mode, want in PREPROCESS["outputs"]["imagenet_utils_3d"].items():
        x = images[0].copy()
        np.testing.assert_allclose(imagenet_utils.preprocess_input(x, mode=mode), want, rtol=1e-5, atol=1e-4)
    x = images.copy()
    out = keras.applications.resnet_v2.preprocess_input(x)
    assert out is x and x.max() <= 1.0           # a float array is scaled in place, as tf.keras does
    ints = np.full((1, 2, 2, 3), 255, dtype=np.uint8)
    assert keras.applications.mobilenet.preprocess_input(ints).dtype == np.float32
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(images, mode="caffee")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(images, data_format="channels_middle")


@pytest.fixture
def class_index(tmp_path, monkeypatch, offline):
    """A stand-in imagenet_class_index.json in Keras's cache (its md5 made the expected one)."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "keras_home" / "models" / "imagenet_class_index.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(index))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(path.read_bytes()).hexdigest())
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    return index


def test_decode_predictions_reads_the_class_index_from_keras_cache(class_index, offline):
    preds = np.zeros((2, 1000), "float32")
    preds[0, [7, 3, 999]] = [0.5, 0.3, 0.2]
    preds[1, 42] = 1.0
    decoded = keras.applications.vgg16.decode_predictions(preds, top=3)
    assert decoded[0] == [("n00000007", "class_7", 0.5), ("n00000003", "class_3", 0.3),
                          ("n00000999", "class_999", pytest.approx(0.2))]
    assert decoded[1][0][:2] == ("n00000042", "class_42") and len(decoded[1]) == 3
    assert offline == []
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        keras.applications.resnet.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_without_the_class_index(offline, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    with pytest.raises(OSError, match="imagenet_class_index.json"):
        keras.applications.efficientnet.decode_predictions(np.zeros((1, 1000)))
