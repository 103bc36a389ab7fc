"""Make FeatureSpace's reference values with real tf.keras (tf_keras 2.21).

Writes ``tests/fixtures/feature_space/``:

- ``reference.npz``: two small tables (``table_*``: numeric, integer and string columns, plus ``new_*`` rows with
  unseen values; ``heart_*``: the keras.io "structured data classification with FeatureSpace" columns and a
  label), each case's outputs (whole table, new rows, one unbatched row), and the end-to-end model's initial
  weights, trained weights and predictions.
- ``reference.json``: each case's spec (which the tests rebuild with kerasfront), adapted state (vocabularies,
  means and variances, bin boundaries), tf.keras's ``get_config()``, and the training history.
- ``kinds_concat.keras``: case ``kinds_concat``'s FeatureSpace saved by tf.keras (``FeatureSpace.save``).
- ``heart_inference.keras``: the trained keras.io-shaped inference model (dict of raw columns in, probability out)
  saved by tf.keras.

The tests compare kerasfront with these; nothing here is imported by the project or its tests.

Run (anyone can rerun it; the values do not depend on the machine):
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/make_feature_space_fixtures.py
"""
import json
import os
import zipfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras.utils import FeatureSpace  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "feature_space")
os.makedirs(OUT, exist_ok=True)
arrays, info = {}, {"cases": {}}
rng = np.random.default_rng(2024)

# -- the tables ----------------------------------------------------------------------------------------------------
N = 60
COLORS = np.array(["red", "green", "blue", "black", "white"])
CITIES = np.array([f"city{i:02d}" for i in range(12)])
table = {
    "price": rng.normal(50, 20, N).astype(np.float32),
    "rate": rng.uniform(0, 10, N).astype(np.float32),
    "weight": rng.normal(70, 12, N).astype(np.float32),
    "age": rng.uniform(18, 80, N).astype(np.float32),
    "rooms": rng.integers(1, 7, N).astype(np.int64),
    "zip": rng.integers(10000, 99999, N).astype(np.int64),
    "color": COLORS[rng.choice(5, N, p=[0.4, 0.25, 0.15, 0.12, 0.08])],
    "city": CITIES[rng.integers(0, 12, N)],
    "shade": np.array(["light", "dark", "medium"])[rng.integers(0, 3, N)],
}
new_rows = {
    "price": np.array([0.0, 120.5, -30.0, 50.0, 49.9, 75.0], np.float32),
    "rate": np.array([0.0, 10.0, 5.5, 2.2, 9.9, 3.3], np.float32),
    "weight": np.array([70.0, 40.0, 110.0, 65.5, 71.2, 80.0], np.float32),
    "age": np.array([200.0, -5.0, 18.0, 80.0, 45.0, 33.3], np.float32),
    "rooms": np.array([9, 1, 3, 0, 6, 2], np.int64),
    "zip": np.array([5, 10000, 99998, 12345, 54321, 77777], np.int64),
    "color": np.array(["purple", "red", "white", "blue", "green", ""]),
    "city": np.array(["nowhere", "city00", "city11", "city05", "CITY01", "city07"]),
    "shade": np.array(["neon", "light", "dark", "medium", "light", "dark"]),
}
for name in table:
    arrays[f"table_{name}"] = table[name]
    arrays[f"new_{name}"] = new_rows[name]

# the keras.io program's columns (heart disease), made up, with a label a small model can learn
H = 96
heart = {
    "sex": rng.integers(0, 2, H).astype(np.int64),
    "cp": rng.integers(0, 4, H).astype(np.int64),
    "fbs": rng.integers(0, 2, H).astype(np.int64),
    "restecg": rng.integers(0, 3, H).astype(np.int64),
    "exang": rng.integers(0, 2, H).astype(np.int64),
    "ca": rng.integers(0, 4, H).astype(np.int64),
    "thal": np.array(["normal", "fixed", "reversible"])[rng.integers(0, 3, H)],
    "age": rng.uniform(29, 77, H).astype(np.float32),
    "trestbps": rng.normal(131, 17, H).astype(np.float32),
    "chol": rng.normal(246, 50, H).astype(np.float32),
    "thalach": rng.normal(150, 22, H).astype(np.float32),
    "oldpeak": rng.gamma(1.0, 1.0, H).astype(np.float32),
    "slope": rng.integers(1, 4, H).astype(np.float32),
}
score = (0.8 * heart["cp"] - 1.2 * heart["exang"] + 0.04 * (heart["thalach"] - 150) - 0.6 * heart["oldpeak"]
         + 0.9 * (heart["thal"] == "normal") - 0.5 * heart["ca"])
target = (score + rng.normal(0, 0.5, H) > np.median(score)).astype(np.int64)
for name in heart:
    arrays[f"heart_{name}"] = heart[name]
arrays["heart_target"] = target


# -- cases: a spec (plain JSON) that both tf.keras here and kerasfront in the tests turn into a FeatureSpace ---------
def build(spec, fs_class, layers):
    """The FeatureSpace a spec describes (the tests hold the same function for kerasfront)."""
    features = {}
    for name, kind in spec["features"].items():
        if isinstance(kind, str):
            features[name] = kind
        elif kind["kind"] == "feature":
            layer = getattr(layers, kind["layer"])(**kind.get("layer_args", {}))
            features[name] = fs_class.feature(kind["dtype"], layer, kind["output_mode"])
        else:
            features[name] = getattr(fs_class, kind["kind"])(**kind.get("args", {}))
    crosses = [tuple(c) if isinstance(c, list) else
               fs_class.cross(tuple(c["names"]), c["crossing_dim"], c.get("output_mode", "one_hot"))
               for c in spec.get("crosses", [])]
    return fs_class(features, crosses=crosses, **spec.get("args", {}))


CASES = {
    # every kind named by string (so with the FeatureSpace's defaults), a cross, concat, adapted on single samples
    "kinds_concat": {
        "features": {"price": "float", "rate": "float_rescaled", "weight": "float_normalized",
                     "age": "float_discretized", "rooms": "integer_categorical", "zip": "integer_hashed",
                     "color": "string_categorical", "city": "string_hashed"},
        "crosses": [["rooms", "color"]],
        "args": {"output_mode": "concat", "crossing_dim": 16, "hashing_dim": 8, "num_discretization_bins": 5},
        "adapt": "unbatched"},
    # every kind as an object with arguments, a custom feature, int outputs, a three-way cross, dict, batches of 16
    "objects_dict": {
        "features": {"rate": {"kind": "float_rescaled", "args": {"scale": 0.1, "offset": -0.5}},
                     "weight": {"kind": "float_normalized"},
                     "age": {"kind": "float_discretized", "args": {"num_bins": 4, "output_mode": "int"}},
                     "rooms": {"kind": "integer_categorical", "args": {"max_tokens": 4, "num_oov_indices": 2}},
                     "zip": {"kind": "integer_hashed", "args": {"num_bins": 5, "output_mode": "int"}},
                     "color": {"kind": "string_categorical", "args": {"max_tokens": 4, "output_mode": "int"}},
                     "city": {"kind": "string_hashed", "args": {"num_bins": 6}},
                     "price": {"kind": "float"},
                     "shade": {"kind": "feature", "dtype": "string", "layer": "StringLookup",
                               "layer_args": {"output_mode": "one_hot"}, "output_mode": "float"}},
        "crosses": [{"names": ["age", "city"], "crossing_dim": 7, "output_mode": "int"},
                    {"names": ["rooms", "color", "zip"], "crossing_dim": 9}],
        "args": {"output_mode": "dict"},
        "adapt": "batched16"},
    # the keras.io program's FeatureSpace
    "heart": {
        "features": {**{name: {"kind": "integer_categorical", "args": {"num_oov_indices": 0}}
                        for name in ("sex", "cp", "fbs", "restecg", "exang", "ca")},
                     "thal": {"kind": "string_categorical", "args": {"num_oov_indices": 0}},
                     "age": {"kind": "float_discretized", "args": {"num_bins": 30}},
                     **{name: {"kind": "float_normalized"}
                        for name in ("trestbps", "chol", "thalach", "oldpeak", "slope")}},
        "crosses": [{"names": ["sex", "age"], "crossing_dim": 64}, {"names": ["thal", "ca"], "crossing_dim": 16}],
        "args": {"output_mode": "concat"},
        "adapt": "batched32_labelled"},
}


def numpy_of(value):
    value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    return value


def state_of(fs):
    """The adapted state of each preprocessor, as JSON."""
    out = {}
    for name, layer in fs.preprocessors.items():
        if isinstance(layer, (keras.layers.StringLookup, keras.layers.IntegerLookup)):
            out[name] = {"vocabulary": [v.decode() if isinstance(v, bytes) else
                                        (v.item() if hasattr(v, "item") else v) for v in layer.get_vocabulary()]}
        elif isinstance(layer, keras.layers.Normalization):
            out[name] = {"mean": numpy_of(layer.mean).ravel().tolist(),
                         "variance": numpy_of(layer.variance).ravel().tolist()}
        elif isinstance(layer, keras.layers.Discretization):
            out[name] = {"bin_boundaries": [float(b) for b in layer.bin_boundaries]}
    return out


def put_output(prefix, value):
    if isinstance(value, dict):
        for key, v in value.items():
            arrays[f"{prefix}__{key}"] = numpy_of(v)
    else:
        arrays[prefix] = numpy_of(value)


def columns(data, spec):
    return {name: data[name] for name in spec["features"]}


for case, spec in CASES.items():
    fs = build(spec, FeatureSpace, keras.layers)
    data = columns(heart if case == "heart" else table, spec)
    if spec["adapt"] == "unbatched":
        fs.adapt(tf.data.Dataset.from_tensor_slices(data))
    elif spec["adapt"] == "batched16":
        fs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(16))
    else:
        labelled = tf.data.Dataset.from_tensor_slices((data, target)).batch(32)
        fs.adapt(labelled.map(lambda x, _: x))
    put_output(f"{case}_out", fs(data))
    if case != "heart":
        put_output(f"{case}_new", fs(columns(new_rows, spec)))
    put_output(f"{case}_row", fs({name: column[3] for name, column in data.items()}))
    encoded = fs.get_encoded_features()
    info["cases"][case] = {
        "spec": spec, "state": state_of(fs), "config": fs.get_config(),
        "encoded_shape": ({k: list(v.shape) for k, v in encoded.items()} if isinstance(encoded, dict)
                          else list(encoded.shape)),
        "one_hot_encoded": sorted(fs.one_hot_encoders)}
    if case == "kinds_concat":
        fs.save(os.path.join(OUT, "kinds_concat.keras"))
    if case == "heart":
        heart_fs = fs


# -- the keras.io program, end to end ------------------------------------------------------------------------------
# NOTE: the program's Dropout(0.5) is left out of the model compared weight for weight (tf.keras's dropout masks
# cannot be reproduced); the tests also train the program with it and check that it learns.
keras.utils.set_random_seed(7)
train_ds = tf.data.Dataset.from_tensor_slices((columns(heart, CASES["heart"]), target)).batch(16)
preprocessed_train_ds = train_ds.map(lambda x, y: (heart_fs(x), y))
dict_inputs = heart_fs.get_inputs()
encoded_features = heart_fs.get_encoded_features()
x = keras.layers.Dense(32, activation="relu")(encoded_features)
predictions = keras.layers.Dense(1, activation="sigmoid")(x)
training_model = keras.Model(inputs=encoded_features, outputs=predictions)
training_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                       metrics=["accuracy"])
inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)
for i, w in enumerate(training_model.get_weights()):
    arrays[f"model_initial_{i}"] = w
history = training_model.fit(preprocessed_train_ds, epochs=3, verbose=0)
info["history"] = {k: [float(v) for v in vs] for k, vs in history.history.items()}
for i, w in enumerate(training_model.get_weights()):
    arrays[f"model_trained_{i}"] = w
arrays["model_predictions"] = inference_model.predict(columns(heart, CASES["heart"]), verbose=0)
sample = {"age": 60, "sex": 1, "cp": 1, "trestbps": 145, "chol": 233, "fbs": 1, "restecg": 2, "thalach": 150,
          "exang": 0, "oldpeak": 2.3, "slope": 3, "ca": 0, "thal": "fixed"}
info["sample"] = sample
arrays["sample_prediction"] = inference_model.predict(
    {name: tf.convert_to_tensor([value]) for name, value in sample.items()}, verbose=0)
inference_model.save(os.path.join(OUT, "heart_inference.keras"))


def deflate(path):
    """The archive rewritten with its members compressed (the same files, a fraction of the bytes)."""
    with zipfile.ZipFile(path) as zf:
        members = [(item, zf.read(item.filename)) for item in zf.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for item, data in members:
            zf.writestr(item.filename, data)


for name in ("kinds_concat.keras", "heart_inference.keras"):
    deflate(os.path.join(OUT, name))
np.savez_compressed(os.path.join(OUT, "reference.npz"), **arrays)
with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
    json.dump(info, f, indent=1, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))
print("wrote", OUT, len(arrays), "arrays")
