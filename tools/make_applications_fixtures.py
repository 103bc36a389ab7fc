"""Make the keras.applications fixtures with real tf.keras (tf_keras 2.21): what every architecture builds, which
weight file each pretrained variant reads, and the outputs of one seeded member per family.

Run with a Python that has tensorflow-cpu and tf_keras (never the project's environment):
    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tools/make_applications_fixtures.py tests/fixtures/applications
(about ten minutes: it builds every architecture; ``--only=shapes,files,numerics,file`` remakes those parts.)
``--check`` instead compares kerasfront (from this checkout, run with the project's Python) against the fixtures
for every case, with a report; with ``--all-numerics``, the numerics of EVERY architecture rather than one per
family, from a numerics_all.json that tf_keras makes first (not kept in the repository: ~70 full models):
    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tools/make_applications_fixtures.py /tmp/apps --only=numerics \
        --all-numerics
    /work/venv/bin/python tools/make_applications_fixtures.py /tmp/apps --check --all-numerics

It writes to OUT_DIR:
  shapes.json.xz   {"families": {family: [constructor names]}, "cases": [{"id", "fn", "kwargs", "model_name", "layers": [names], "weights": [[name, shape,
                   dtype, trainable]], "output_shape"}]}: each case built with weights=None (the pretrained-only
                   ones with weights="imagenet" and the file stubbed out, kwargs["weights"] == "imagenet" then);
                   kwargs hold JSON values (input_shape as a list). xz-compressed: 6 MB of JSON in 72 KB.
  weight_files.json {"cases": [{"fn", "kwargs", "fname", "origin", "cache_subdir", "file_hash"}]}: the arguments
                   tf_keras passes to get_file for each pretrained variant (its download stubbed out).
  numerics.json    {"recipe": "tests/kerasfront/applications_reference.py", "cases": [{"fn", "kwargs",
                   "weight_seed", "weight_checksum", "input_seed", "input_shape", "input_checksum", "features"}]}:
                   the model with include_top=False, pooling="avg" and the seeded weights, run on the seeded
                   images; "features" is applications_reference.feature_summary of its output.
                   "preprocess": each family's preprocess_input on seeded images (see preprocess_cases).
  mobilenet_alpha035.weights.h5.xz  MobileNet(alpha=0.35, include_top=False, weights=None, input_shape=(32, 32, 3))
                   with the seeded weights (seed 35, rounded to multiples of 1/16 so that the file compresses), saved
                   by tf_keras's save_weights, xz-compressed (200 KB); numerics.json's "file_case" holds its outputs.
"""
import importlib.util
import json
import lzma
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _reference():
    spec = importlib.util.spec_from_file_location(
        "applications_reference", os.path.join(ROOT, "tests", "kerasfront", "applications_reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REF = _reference()

# -- the architectures ---------------------------------------------------------------------------------------------
FAMILIES = {
    "vgg": ["VGG16", "VGG19"],
    "resnet": ["ResNet50", "ResNet101", "ResNet152"],
    "resnet_v2": ["ResNet50V2", "ResNet101V2", "ResNet152V2"],
    "xception": ["Xception"],
    "inception_v3": ["InceptionV3"],
    "inception_resnet_v2": ["InceptionResNetV2"],
    "mobilenet": ["MobileNet"],
    "mobilenet_v2": ["MobileNetV2"],
    "mobilenet_v3": ["MobileNetV3Small", "MobileNetV3Large"],
    "densenet": ["DenseNet121", "DenseNet169", "DenseNet201"],
    "nasnet": ["NASNetMobile", "NASNetLarge"],
    "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
    "efficientnet_v2": [f"EfficientNetV2{s}" for s in ("B0", "B1", "B2", "B3", "S", "M", "L")],
    "convnext": [f"ConvNeXt{s}" for s in ("Tiny", "Small", "Base", "Large", "XLarge")],
    "regnetx": [f"RegNetX{n}" for n in ("002", "004", "006", "008", "016", "032", "040", "064", "080", "120", "160",
                                        "320")],
    "regnety": [f"RegNetY{n}" for n in ("002", "004", "006", "008", "016", "032", "040", "064", "080", "120", "160",
                                        "320")],
    "resnet_rs": [f"ResNetRS{n}" for n in (50, 101, 152, 200, 270, 350, 420)],
}
#: the smallest image side each architecture accepts (tf.keras's min_size)
MIN_SIZE = {"Xception": 71, "InceptionV3": 75, "InceptionResNetV2": 75}
#: the numeric case of each family: its representative and the image side it runs at
NUMERIC = {"vgg": ("VGG16", 32), "resnet": ("ResNet50", 32), "resnet_v2": ("ResNet50V2", 32),
           "xception": ("Xception", 71), "inception_v3": ("InceptionV3", 75),
           "inception_resnet_v2": ("InceptionResNetV2", 75), "mobilenet": ("MobileNet", 32),
           "mobilenet_v2": ("MobileNetV2", 32), "mobilenet_v3": ("MobileNetV3Small", 32),
           "densenet": ("DenseNet121", 32), "nasnet": ("NASNetMobile", 32), "efficientnet": ("EfficientNetB0", 32),
           "efficientnet_v2": ("EfficientNetV2B0", 32), "convnext": ("ConvNeXtTiny", 32),
           "regnetx": ("RegNetX002", 32), "regnety": ("RegNetY002", 32), "resnet_rs": ("ResNetRS50", 32)}
#: kernel gain of the seeded weights by architecture, else by family (default 2), chosen (by trying, with the
#: kerasfront side) so that the test's checks hold with a margin: the features must depend on the image (the two
#: images' features differ by over 1e-2 of their scale) and not be chaotic (a 1e-6 change of the input moves them
#: by under 1e-5). The deeper EfficientNets and ResNet-RSs sit on a sharp edge between the two: at the family's gain
#: a deep member is chaotic (1e-6 in, 1e-1 out, no two frameworks' float32 sums can agree), a little lower its
#: swish and sigmoid gates make every image give the same features.
GAIN = {"efficientnet": 2.5, "EfficientNetB1": 2.3, "EfficientNetB4": 2.2, "EfficientNetB5": 2.1,
        "EfficientNetB6": 2.0, "EfficientNetB7": 1.85,
        "efficientnet_v2": 1.75, "EfficientNetV2B1": 1.5, "EfficientNetV2B2": 1.5, "EfficientNetV2B3": 1.5,
        "EfficientNetV2S": 1.4, "EfficientNetV2M": 1.35, "EfficientNetV2L": 1.15,
        "MobileNetV2": 1.75, "resnet_rs": 1.5, "ResNetRS101": 1.25, "ResNetRS152": 1.0, "ResNetRS200": 1.0,
        "ResNetRS270": 1.0, "ResNetRS350": 1.0, "ResNetRS420": 1.0}
ALL = [name for names in FAMILIES.values() for name in names]
FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}


def small(name):
    side = MIN_SIZE.get(name, 32)
    return [side, side, 3]


def shape_cases():
    """``(id, fn, kwargs)`` of the shape manifest (kwargs JSON-ready)."""
    cases = []
    for name in ALL:         # every architecture with its classifier, at its smallest input
        cases.append((f"{name}/top", name, {"weights": None, "input_shape": small(name)}))
    for family, names in FAMILIES.items():
        first = names[0]
        # the default input (the true classifier shapes, the model names with the size), where cheap to build
        if first not in ("NASNetMobile",):
            cases.append((f"{first}/default", first, {"weights": None}))
        # no classifier and unknown image size: the 4-d feature map
        cases.append((f"{first}/notop", first, {"weights": None, "include_top": False}))
        cases.append((f"{first}/max", first, {"weights": None, "include_top": False, "pooling": "max",
                                              "input_shape": small(first)}))
        cases.append((f"{first}/classes", first, {"weights": None, "classes": 7, "classifier_activation": None,
                                                  "input_shape": small(first)}))
    cases += [
        ("NASNetMobile/default", "NASNetMobile", {"weights": None}),
        ("MobileNet/alpha", "MobileNet", {"weights": None, "alpha": 0.5, "depth_multiplier": 2, "dropout": 0.1,
                                          "input_shape": [128, 128, 3]}),
        ("MobileNet/alpha035", "MobileNet", {"weights": None, "alpha": 0.35, "include_top": False,
                                             "input_shape": [32, 32, 3]}),
        ("MobileNetV2/alpha14", "MobileNetV2", {"weights": None, "alpha": 1.4, "input_shape": [96, 96, 3]}),
        ("MobileNetV2/alpha035", "MobileNetV2", {"weights": None, "alpha": 0.35, "include_top": False,
                                                 "input_shape": [64, 48, 3]}),
        ("MobileNetV3Small/minimalistic", "MobileNetV3Small", {"weights": None, "minimalistic": True,
                                                               "alpha": 0.75, "input_shape": [32, 32, 3]}),
        ("MobileNetV3Large/options", "MobileNetV3Large", {"weights": None, "alpha": 1.25, "dropout_rate": 0.0,
                                                          "include_preprocessing": False,
                                                          "input_shape": [32, 32, 3]}),
        ("MobileNetV3Large/minimalistic", "MobileNetV3Large", {"weights": None, "minimalistic": True,
                                                               "include_top": False, "pooling": "avg"}),
        ("EfficientNetV2B0/nopre", "EfficientNetV2B0", {"weights": None, "include_preprocessing": False,
                                                        "input_shape": [32, 32, 3]}),
        ("EfficientNetV2B0/gray", "EfficientNetV2B0", {"weights": None, "include_top": False,
                                                       "input_shape": [32, 32, 1]}),
        ("EfficientNetV2S/notop", "EfficientNetV2S", {"weights": None, "include_top": False, "pooling": "avg"}),
        ("ConvNeXtTiny/nopre", "ConvNeXtTiny", {"weights": None, "include_preprocessing": False,
                                                "include_top": False, "pooling": "avg",
                                                "input_shape": [32, 32, 3]}),
        ("ConvNeXtTiny/named", "ConvNeXtTiny", {"weights": None, "model_name": "my_convnext",
                                                "input_shape": [32, 32, 3]}),
        ("RegNetY002/nopre", "RegNetY002", {"weights": None, "include_preprocessing": False,
                                            "input_shape": [32, 32, 3]}),
        ("ResNetRS50/nopre", "ResNetRS50", {"weights": None, "include_preprocessing": False,
                                            "input_shape": [32, 32, 3]}),
        ("ResNetRS200/notop", "ResNetRS200", {"weights": None, "include_top": False, "pooling": "avg",
                                              "input_shape": [32, 32, 3]}),
        ("DenseNet121/gray", "DenseNet121", {"weights": None, "include_top": False, "input_shape": [40, 40, 1]}),
        # built with weights="imagenet" (the file stubbed out): EfficientNet's extra rescaling step
        ("EfficientNetB0/imagenet", "EfficientNetB0", {"weights": "imagenet", "include_top": False,
                                                        "input_shape": [32, 32, 3]}),
        ("EfficientNetB3/imagenet-top", "EfficientNetB3", {"weights": "imagenet"}),
        ("MobileNet/imagenet", "MobileNet", {"weights": "imagenet", "alpha": 0.25, "include_top": False,
                                             "input_shape": [96, 80, 3]}),
    ]
    return cases


def weight_file_cases():
    """``(fn, kwargs)`` of every pretrained variant whose get_file call is recorded."""
    cases = []
    for name in ALL:
        for top in (True, False):
            kwargs = {"weights": "imagenet", "include_top": top}
            if not top:
                kwargs["input_shape"] = small(name) if name not in ("NASNetMobile", "NASNetLarge") else None
                if kwargs["input_shape"] is None:
                    del kwargs["input_shape"]
            cases.append((name, kwargs))
    for alpha in (0.25, 0.5, 0.75, 1.0):
        for rows in (128, 160, 192, 224):
            cases.append(("MobileNet", {"weights": "imagenet", "alpha": alpha, "input_shape": [rows, rows, 3]}))
        cases.append(("MobileNet", {"weights": "imagenet", "alpha": alpha, "include_top": False,
                                    "input_shape": [100, 120, 3]}))
    for alpha in (0.35, 0.5, 0.75, 1.0, 1.3, 1.4):
        for rows in (96, 128, 160, 192, 224):
            cases.append(("MobileNetV2", {"weights": "imagenet", "alpha": alpha, "include_top": rows != 224,
                                          "input_shape": [rows, rows, 3]}))
    for name in ("MobileNetV3Small", "MobileNetV3Large"):
        for alpha, minimalistic in ((0.75, False), (1.0, False), (1.0, True)):
            for top in (True, False):
                cases.append((name, {"weights": "imagenet", "alpha": alpha, "minimalistic": minimalistic,
                                     "include_top": top, "input_shape": [224, 224, 3]}))
    for depth, sizes in ((101, (160, 192)), (152, (192, 224, 256)), (350, (256, 320))):
        for size in sizes:
            for top in (True, False):
                cases.append((f"ResNetRS{depth}", {"weights": f"imagenet-i{size}", "include_top": top}))
    return cases


# -- tf_keras side ----------------------------------------------------------------------------------------------------
def _tf():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tf_keras
    tf.get_logger().setLevel("ERROR")
    return tf, tf_keras


def _tf_kwargs(kwargs):
    out = dict(kwargs)
    if out.get("input_shape") is not None:
        out["input_shape"] = tuple(out["input_shape"])
    return out


def _describe(model):
    return {"model_name": model.name, "layers": [la.name for la in model.layers],
            "weights": [[w.name, list(w.shape), w.dtype.name, bool(w.trainable)] for w in model.weights],
            "output_shape": list(model.output_shape)}


class _Stubbed(Exception):
    pass


def _stub_get_file(data_utils, record, load=False):
    """Replace tf_keras's get_file (and, with ``load``, Model.load_weights) so nothing is downloaded."""
    from tf_keras.src.engine import training

    def fake_get_file(fname=None, origin=None, cache_subdir="datasets", file_hash=None, **kwargs):
        record.append({"fname": fname, "origin": origin, "cache_subdir": cache_subdir, "file_hash": file_hash})
        if not load:
            raise _Stubbed()
        return "stub.h5"

    saved = (data_utils.get_file, training.Model.load_weights)
    data_utils.get_file = fake_get_file
    if load:
        training.Model.load_weights = lambda self, path, *a, **k: None
    return lambda: (setattr(data_utils, "get_file", saved[0]), setattr(training.Model, "load_weights", saved[1]))


def make_shapes(out_dir):
    tf, keras = _tf()
    from tf_keras.src.utils import data_utils
    results = []
    for case_id, fn, kwargs in shape_cases():
        keras.backend.clear_session()
        start = time.time()
        restore = _stub_get_file(data_utils, [], load=True) if kwargs.get("weights") == "imagenet" else None
        try:
            model = getattr(keras.applications, fn)(**_tf_kwargs(kwargs))
        finally:
            if restore:
                restore()
        entry = {"id": case_id, "fn": fn, "kwargs": kwargs}
        entry.update(_describe(model))
        results.append(entry)
        print(f"{case_id}: {len(entry['weights'])} weights, {time.time() - start:.1f} s", flush=True)
        del model
    with lzma.open(os.path.join(out_dir, "shapes.json.xz"), "wt", preset=9 | lzma.PRESET_EXTREME) as f:
        json.dump({"families": FAMILIES, "cases": results}, f, separators=(",", ":"))


def make_files(out_dir):
    tf, keras = _tf()
    from tf_keras.src.utils import data_utils
    results = []
    for fn, kwargs in weight_file_cases():
        keras.backend.clear_session()
        record = []
        restore = _stub_get_file(data_utils, record)
        try:
            getattr(keras.applications, fn)(**_tf_kwargs(kwargs))
        except _Stubbed:
            pass
        finally:
            restore()
        assert len(record) == 1, (fn, kwargs, record)
        results.append({"fn": fn, "kwargs": kwargs, **record[0]})
        print(fn, kwargs, record[0]["fname"], flush=True)
    _write_case_lines(os.path.join(out_dir, "weight_files.json"), results)


def _write_case_lines(path, cases):
    """``{"cases": [...]}`` with one case per line (small, and readable in a diff)."""
    with open(path, "w") as f:
        f.write('{"cases": [\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")


def _seeded_model(keras, fn, kwargs, seed, quantum=None, gain=2.0):
    model = getattr(keras.applications, fn)(**_tf_kwargs(kwargs))
    specs = [(w.name, tuple(w.shape), w.dtype.name) for w in model.weights]
    values = REF.seeded_weight_values(specs, seed, gain)
    if quantum:
        values = [(v / quantum).round() * quantum if v.dtype.kind == "f" else v for v in values]
        values = [v.astype(s[2]) for v, s in zip(values, specs)]
    model.set_weights(values)
    for layer in model._flatten_layers():
        layer.finalize_state()       # NOTE: what load_weights does (Normalization reads its weights again)
    return model, values


def numeric_case(keras, fn, side, seed, input_seed, quantum=None, **extra):
    kwargs = {"weights": None, "include_top": False, "pooling": "avg", "input_shape": [side, side, 3], **extra}
    keras.backend.clear_session()
    gain = GAIN.get(fn, GAIN.get(FAMILY_OF[fn], 2.0))
    model, values = _seeded_model(keras, fn, kwargs, seed, quantum, gain)
    shape = [2, side, side, 3]
    images = REF.seeded_images(shape, input_seed)
    features = model.predict(images, verbose=0)
    return model, {"fn": fn, "kwargs": kwargs, "weight_seed": seed, "weight_quantum": quantum, "kernel_gain": gain,
                   "weight_checksum": REF.check_sum(values), "input_seed": input_seed, "input_shape": shape,
                   "input_checksum": REF.check_sum([images]), "features": REF.feature_summary(features),
                   "feature_std": float(features.std()), "weights_count": len(values)}


def preprocess_cases(keras):
    """tf.keras's preprocess_input of every family on one seeded batch: numpy input, symbolic input, and the
    channels_first layout ({family module: {"<layout>|numpy" or "<layout>|symbolic": nested list}})."""
    images = REF.seeded_images((1, 3, 4, 3), 77)
    out = {}
    for module in ("vgg16", "resnet50", "resnet_v2", "xception", "inception_v3", "densenet", "mobilenet_v3",
                   "efficientnet", "convnext", "imagenet_utils"):
        fn = getattr(keras.applications, module).preprocess_input
        entry = {}
        for layout in ("channels_last", "channels_first"):
            x = images if layout == "channels_last" else images.transpose(0, 3, 1, 2)
            entry[f"{layout}|numpy"] = fn(x.copy(), data_format=layout).tolist()
            inp = keras.Input(x.shape[1:])
            model = keras.Model(inp, fn(inp, data_format=layout))
            entry[f"{layout}|symbolic"] = model.predict(x, verbose=0).tolist()
        out[module] = entry
    entry = {}
    for mode in ("caffe", "tf", "torch"):
        entry[mode] = keras.applications.imagenet_utils.preprocess_input(images[0].copy(), mode=mode).tolist()
    out["imagenet_utils_3d"] = entry
    rounded = json.loads(json.dumps(out), parse_float=lambda v: round(float(v), 5))
    return {"seed": 77, "shape": [1, 3, 4, 3], "outputs": rounded}


def make_numerics(out_dir, all_numerics=False):
    tf, keras = _tf()
    cases = []
    chosen = [(name, small(name)[0]) for name in ALL] if all_numerics else list(NUMERIC.values())
    for k, (fn, side) in enumerate(chosen):
        start = time.time()
        _, entry = numeric_case(keras, fn, side, seed=1000 + k, input_seed=2000 + k)
        entry["family"] = FAMILY_OF[fn]
        cases.append(entry)
        print(f"{fn}: feature std {entry['feature_std']:.4g}, {time.time() - start:.1f} s", flush=True)
    path = os.path.join(out_dir, "numerics_all.json" if all_numerics else "numerics.json")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
    _write_numerics(path, {"recipe": "tests/kerasfront/applications_reference.py", "cases": cases,
                           "file_case": old.get("file_case"), "preprocess": preprocess_cases(keras)})


def _write_numerics(path, data):
    """numerics.json: one case per line."""
    with open(path, "w") as f:
        f.write('{"recipe": %s,\n"cases": [\n' % json.dumps(data["recipe"]))
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in data["cases"]))
        f.write('\n],\n"file_case": %s,\n' % json.dumps(data["file_case"], separators=(",", ":")))
        f.write('"preprocess": %s}\n' % json.dumps(data["preprocess"], separators=(",", ":")))


def make_file(out_dir):
    tf, keras = _tf()
    model, entry = numeric_case(keras, "MobileNet", 32, seed=35, input_seed=350, quantum=1.0 / 16, alpha=0.35)
    raw = os.path.join(out_dir, "mobilenet_alpha035.weights.h5")
    model.save_weights(raw)
    with open(raw, "rb") as f, lzma.open(raw + ".xz", "wb", preset=9 | lzma.PRESET_EXTREME) as g:
        g.write(f.read())
    os.remove(raw)
    path = os.path.join(out_dir, "numerics.json")
    with open(path) as f:
        data = json.load(f)
    data["file_case"] = entry
    _write_numerics(path, data)
    print("file case: feature std", entry["feature_std"], os.path.getsize(raw + ".xz"), "bytes")


# -- the kerasfront side (--check) ------------------------------------------------------------------------------------
def check(out_dir, all_numerics=False):
    """Compare kerasfront with every case of the fixtures, reporting each difference."""
    sys.path.insert(0, ROOT)
    import tests.kerasfront.test_applications as tests     # the same comparisons as the tests, over every case
    failures = 0
    for case in tests.SHAPE_CASES:
        try:
            tests.check_shape_case(case)
        except AssertionError as e:
            failures += 1
            print(f"SHAPES {case['id']}: {e}")
    with open(os.path.join(out_dir, "numerics_all.json" if all_numerics else "numerics.json")) as f:
        numerics = json.load(f)
    for case in numerics["cases"]:
        try:
            err = tests.check_numeric_case(case)
            print(f"numerics {case['fn']}: max relative error {err:.2e}")
        except AssertionError as e:
            failures += 1
            print(f"NUMERICS {case['fn']}: {e}")
    print(f"{failures} failure(s)")
    return failures


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = [a for a in argv if a.startswith("--")]
    out_dir = args[0] if args else os.path.join(ROOT, "tests", "fixtures", "applications")
    all_numerics = "--all-numerics" in flags
    if "--check" in flags:
        return 1 if check(out_dir, all_numerics) else 0
    os.makedirs(out_dir, exist_ok=True)
    only = next((a.split("=", 1)[1].split(",") for a in flags if a.startswith("--only=")),
                ["shapes", "files", "numerics", "file"])
    if "shapes" in only:
        make_shapes(out_dir)
    if "files" in only:
        make_files(out_dir)
    if "numerics" in only:
        make_numerics(out_dir, all_numerics)
    if "file" in only:
        make_file(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
