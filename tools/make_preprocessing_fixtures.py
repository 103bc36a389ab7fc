"""Make the preprocessing layers' reference values with real tf.keras (tf_keras 2.21).

Writes ``tests/fixtures/preprocessing/reference.npz`` (arrays) and ``reference.json`` (vocabularies, bin
boundaries and configs): adapted state, outputs, inverse lookups, hashing bins, resizes and the
augmentations with the randomness taken out (a factor ``(a, a)`` draws exactly ``a``). The tests compare
kerasfront with them; nothing here is imported by the project or its tests.

Run (anyone can rerun it; the values do not depend on the machine):
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/make_preprocessing_fixtures.py
"""
import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "preprocessing")
L = keras.layers
arrays, info = {}, {}
rng = np.random.default_rng(1234)


def put(name, value):
    value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    if value.dtype == object:
        value = np.array([v.decode("utf-8") if isinstance(v, bytes) else v for v in value.ravel()]).reshape(value.shape)
    if value.dtype.kind == "S":
        value = np.char.decode(value, "utf-8")
    arrays[name] = value


def vocab(layer):
    return [v.decode("utf-8") if isinstance(v, bytes) else (v.item() if hasattr(v, "item") else v)
            for v in layer.get_vocabulary()]


# -- Normalization -----------------------------------------------------------------------------------------------
table = rng.normal(3.0, 2.0, (70, 3)).astype(np.float32)
cube = rng.uniform(-1, 4, (20, 3, 4)).astype(np.float32)
put("norm_table", table)
put("norm_cube", cube)
for name, axis, data in (("last", -1, table), ("none", None, table), ("cube12", (1, 2), cube), ("cube1", 1, cube)):
    layer = L.Normalization(axis=axis)
    layer.adapt(data)
    put(f"norm_{name}_out", layer(data[:5]))
    put(f"norm_{name}_mean", layer.adapt_mean)
    put(f"norm_{name}_variance", layer.adapt_variance)
    inv = L.Normalization(axis=axis, invert=True)
    inv.adapt(data)
    put(f"norm_{name}_invert", inv(data[:5]))
put("norm_given_out", L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])(table[:5]))

# -- Discretization ----------------------------------------------------------------------------------------------
values = rng.gamma(2.0, 2.0, (300, 1)).astype(np.float32)
put("disc_values", values)
layer = L.Discretization(num_bins=5)
layer.adapt(values)
info["disc_adapted_boundaries"] = [float(b) for b in layer.bin_boundaries]
put("disc_adapted_out", layer(values[:20]))
put("disc_summary", layer.summary)
layer = L.Discretization(num_bins=4, epsilon=0.05)
layer.adapt(values[:100])
info["disc_eps_boundaries"] = [float(b) for b in layer.bin_boundaries]
grid = np.array([[-1.0, 0.0, 0.5], [1.0, 1.5, 9.0]], np.float32)
put("disc_grid", grid)
for mode in ("int", "one_hot", "multi_hot", "count"):
    layer = L.Discretization(bin_boundaries=[0.0, 0.5, 1.5], output_mode=mode)
    put(f"disc_given_{mode}", layer(grid if mode != "one_hot" else grid[:, :1]))

# -- CategoryEncoding --------------------------------------------------------------------------------------------
ids = np.array([[0, 1, 1, 3], [2, 2, 2, 0]])
put("cat_ids", ids)
for mode in ("multi_hot", "count"):
    put(f"cat_{mode}", L.CategoryEncoding(num_tokens=5, output_mode=mode)(ids))
put("cat_one_hot", L.CategoryEncoding(num_tokens=5, output_mode="one_hot")(np.array([3, 0, 4])))
put("cat_one_hot_col", L.CategoryEncoding(num_tokens=5, output_mode="one_hot")(np.array([[3], [0], [4]])))
put("cat_weights", np.array([[0.5, 1.0, 2.0, 1.5], [1.0, 1.0, 1.0, 3.0]], np.float32))
put("cat_count_weighted", L.CategoryEncoding(num_tokens=5, output_mode="count")(ids, count_weights=arrays["cat_weights"]))

# -- Hashing, HashedCrossing -------------------------------------------------------------------------------------
words = np.array([["a"], ["hello"], ["1"], [""], ["café"], ["日本語"], ["The Quick Brown Fox"], ["-5"]])
numbers = np.array([[1], [-5], [0], [123456789], [2 ** 40], [-(2 ** 62)], [7], [42]], np.int64)
put("hash_words", words)
put("hash_numbers", numbers)
for name, kwargs in (("plain", {}), ("salt_int", {"salt": 133}), ("salt_pair", {"salt": [7, 2 ** 40]}),
                     ("mask", {"mask_value": "hello"})):
    put(f"hash_words_{name}", L.Hashing(num_bins=97, **kwargs)(words))
put("hash_numbers_plain", L.Hashing(num_bins=1000)(numbers))
put("hash_numbers_salt", L.Hashing(num_bins=1000, salt=[1, 2])(numbers))
put("hash_numbers_mask", L.Hashing(num_bins=10, mask_value=0)(numbers))
put("hash_multi_hot", L.Hashing(num_bins=6, output_mode="multi_hot")(np.array([["a", "b", "c"], ["d", "d", "e"]])))
put("hash_count", L.Hashing(num_bins=6, output_mode="count")(np.array([["a", "b", "c"], ["d", "d", "e"]])))
cross_a = np.array(["a", "b", "café", "a"])
cross_b = np.array([1, 2, -3, 2 ** 50], np.int64)
cross_c = np.array(["x", "y", "z", "x"])
put("cross_a", cross_a)
put("cross_b", cross_b)
put("cross_c", cross_c)
put("cross_ab", L.HashedCrossing(num_bins=1000)((cross_a, cross_b)))
put("cross_abc", L.HashedCrossing(num_bins=2 ** 31)((cross_a, cross_b, cross_c)))
put("cross_bb", L.HashedCrossing(num_bins=50)((cross_b, cross_b)))
put("cross_one_hot", L.HashedCrossing(num_bins=7, output_mode="one_hot")((cross_a[:, None], cross_c[:, None])))

# -- StringLookup, IntegerLookup ------------------------------------------------------------------------------------
tokens = rng.choice(["red", "green", "blue", "cyan", "pink", "grey", "teal", "gold"], size=(40, 3),
                    p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03])
tokens[0, 0] = "[UNK]"
tokens[1, 1] = ""
queries = np.array([["red", "zzz", "gold"], ["", "blue", "qq"]])
put("sl_tokens", tokens)
put("sl_queries", queries)
for name, kwargs in (("plain", {}), ("max", {"max_tokens": 5}), ("oov2", {"num_oov_indices": 2}),
                     ("mask", {"mask_token": ""}), ("mask_oov3", {"mask_token": "", "num_oov_indices": 3}),
                     ("oov0", {"num_oov_indices": 0, "mask_token": ""})):
    layer = L.StringLookup(**kwargs)
    layer.adapt(tokens)
    info[f"sl_{name}_vocab"] = vocab(layer)
    if name != "oov0":
        put(f"sl_{name}_int", layer(queries))
# NOTE: tf.keras's tf_idf adapt fails on dense rows with repeated tokens (its per-row unique has ragged
# results), so those rows hold distinct tokens
palette = np.array(["red", "green", "blue", "cyan", "pink", "grey", "teal", "gold"])
distinct = np.stack([rng.permutation(palette)[:3] for _ in range(25)])
put("sl_distinct", distinct)
for mode in ("one_hot", "multi_hot", "count", "tf_idf"):
    layer = L.StringLookup(output_mode=mode, max_tokens=6, pad_to_max_tokens=(mode == "count"))
    layer.adapt(tokens if mode != "tf_idf" else distinct)
    put(f"sl_{mode}", layer(queries if mode != "one_hot" else queries[:, :1]))
    if mode == "tf_idf":
        put("sl_tf_idf_weights", layer.idf_weights)
given = ["red", "blue", "gold"]
put("sl_given_int", L.StringLookup(vocabulary=given)(queries))
put("sl_given_tfidf", L.StringLookup(vocabulary=given, output_mode="tf_idf", idf_weights=[0.5, 1.0, 2.0])(queries))
put("sl_invert", L.StringLookup(vocabulary=given, invert=True)(np.array([[0, 1, 2], [3, 4, 1]])))
put("sl_invert_mask", L.StringLookup(vocabulary=given, invert=True, mask_token="", num_oov_indices=2)(
    np.array([[0, 1, 2], [3, 4, 5]])))

ints = rng.choice([3, 8, 15, 42, 7, 1000], size=(30, 2), p=[0.3, 0.25, 0.2, 0.1, 0.1, 0.05]).astype(np.int64)
iq = np.array([[3, 99, 42], [0, 1000, -4]], np.int64)
put("il_ints", ints)
put("il_queries", iq)
for name, kwargs in (("plain", {}), ("mask", {"mask_token": 0}), ("oov3", {"num_oov_indices": 3, "mask_token": 0}),
                     ("max", {"max_tokens": 4})):
    layer = L.IntegerLookup(**kwargs)
    layer.adapt(ints)
    info[f"il_{name}_vocab"] = vocab(layer)
    put(f"il_{name}_int", layer(iq))
layer = L.IntegerLookup(output_mode="multi_hot")
layer.adapt(ints)
put("il_multi_hot", layer(iq))
put("il_invert", L.IntegerLookup(vocabulary=[12, 36, 7], invert=True)(np.array([[0, 1, 2, 3, 9]])))

# -- TextVectorization -------------------------------------------------------------------------------------------
texts = np.array([
    "The cat sat on the mat.", "A dog! A DOG? a dog...", "It's raining cats & dogs", "Hello, World", "hello world",
    "Café au lait, s'il vous plaît", "   spaces   everywhere   ", "tabs\tand\nnewlines", "Émile ÉCRIT", "",
    "one two three four five six seven", "the the the", "x-ray y_z (a) [b] {c}", "numbers 123 and 4.5", "日本 語",
    "Mixed CASE words Words WORDS", "end.", "again the cat", "the mat", "cats, dogs and mats"])
queries_t = np.array(["the cat and the dog", "unknown words only", "", "Hello there world!"])
put("tv_texts", texts)
put("tv_queries", queries_t)
for name, kwargs in (("int", {"max_tokens": 20, "output_sequence_length": 6}), ("int_ragged", {}),
                     ("ngrams", {"ngrams": 2, "max_tokens": 30}), ("multi_hot", {"output_mode": "multi_hot"}),
                     ("count", {"output_mode": "count", "max_tokens": 12, "pad_to_max_tokens": True}),
                     ("tf_idf", {"output_mode": "tf_idf", "max_tokens": 15}),
                     ("char", {"split": "character", "output_sequence_length": 10}),
                     ("lower", {"standardize": "lower", "output_sequence_length": 5}),
                     ("none", {"standardize": None, "output_sequence_length": 5}),
                     ("strip", {"standardize": "strip_punctuation", "output_sequence_length": 5}),
                     ("ngrams13", {"ngrams": (1, 3), "output_mode": "count"})):
    layer = L.TextVectorization(**kwargs)
    layer.adapt(texts)
    info[f"tv_{name}_vocab"] = vocab(layer)
    put(f"tv_{name}_out", layer(queries_t))
    if name == "tf_idf":
        put("tv_tf_idf_weights", layer._lookup_layer.idf_weights)
put("tv_col_out", L.TextVectorization(vocabulary=["the", "cat", "dog"], output_sequence_length=4)(queries_t[:, None]))

# -- image layers ------------------------------------------------------------------------------------------------
images = rng.uniform(0, 1, (2, 7, 9, 3)).astype(np.float32)
put("img", images)
for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"):
    for h, w in ((3, 4), (11, 13), (5, 17)):
        put(f"resize_{method}_{h}_{w}", L.Resizing(h, w, interpolation=method)(images))
    put(f"resize_{method}_crop", L.Resizing(4, 4, interpolation=method, crop_to_aspect_ratio=True)(images))
put("resize_backend_bilinear", keras.backend.resize_images(tf.constant(images), 2, 3, "channels_last", "bilinear"))
put("resize_backend_bicubic_cf", keras.backend.resize_images(tf.constant(np.transpose(images, (0, 3, 1, 2))), 2, 2,
                                                             "channels_first", "bicubic"))
put("center_crop", L.CenterCrop(4, 5)(images))
put("center_crop_up", L.CenterCrop(9, 8)(images))
put("random_crop_inference", L.RandomCrop(4, 6)(images, training=False))
put("rescaling", L.Rescaling(1 / 127.5, offset=-1)(np.arange(12, dtype=np.uint8).reshape(1, 2, 2, 3) * 20))
for fill in ("reflect", "wrap", "constant", "nearest"):
    for interp in ("bilinear", "nearest"):
        kw = {"fill_mode": fill, "interpolation": interp, "fill_value": 0.5}
        put(f"rotation_{fill}_{interp}", L.RandomRotation((0.1, 0.1), **kw)(images, training=True))
        put(f"zoom_{fill}_{interp}", L.RandomZoom((0.3, 0.3), (-0.2, -0.2), **kw)(images, training=True))
        put(f"translation_{fill}_{interp}", L.RandomTranslation((0.3, 0.3), (-0.25, -0.25), **kw)(images,
                                                                                                 training=True))
put("rotation_big", L.RandomRotation((-0.35, -0.35))(images, training=True))
put("zoom_out_same", L.RandomZoom((0.5, 0.5))(images, training=True))
put("brightness", L.RandomBrightness((0.2, 0.2), value_range=(0, 1))(images, training=True))
put("height", L.RandomHeight((0.4, 0.4))(images, training=True))
put("width", L.RandomWidth((-0.3, -0.3), interpolation="bicubic")(images, training=True))
put("flip_inference", L.RandomFlip()(images, training=False))

os.makedirs(OUT, exist_ok=True)
np.savez_compressed(os.path.join(OUT, "reference.npz"), **arrays)
with open(os.path.join(OUT, "reference.json"), "w") as f:
    json.dump({"made_with": f"tf_keras {keras.__version__}, tensorflow {tf.__version__}", **info}, f, indent=1,
              ensure_ascii=False)
print(f"wrote {len(arrays)} arrays and {len(info)} records to {os.path.abspath(OUT)}")

# -- model files written by tf.keras that hold these layers (loaded by the tests) --------------------------------
keras.utils.set_random_seed(7)
model_texts = np.array([["the cat sat"], ["a dog ran far"], ["the end"], ["cats and dogs"]])
text_in = keras.Input((1,), dtype="string", name="text")
tv = L.TextVectorization(max_tokens=12, output_sequence_length=5, vocabulary=["the", "cat", "dog", "a", "ran"])
emb = L.GlobalAveragePooling1D()(L.Embedding(12, 4)(tv(text_in)))
tfidf = L.StringLookup(vocabulary=["cat", "dog"], output_mode="tf_idf", idf_weights=[0.7, 1.3])
num_in = keras.Input((3,), name="num")
norm = L.Normalization()
norm.adapt(table)
disc = L.Discretization(num_bins=3)
disc.adapt(table[:, :1])
img_in = keras.Input((7, 9, 3), name="img")
img = L.GlobalAveragePooling2D()(L.Resizing(4, 4)(L.RandomFlip()(L.Rescaling(2.0, offset=-1.0)(img_in))))
bin_in = keras.Input((1,), name="bin")
merged = L.Concatenate()([emb, norm(num_in), img])
tf_model = keras.Model([text_in, num_in, img_in, bin_in], [L.Dense(2)(merged), disc(bin_in), tfidf(text_in)])
tf_model.save(os.path.join(OUT, "tf_keras_model.h5"))
model_inputs = [model_texts, table[:4], images[:1].repeat(4, axis=0), table[:4, :1]]
for i, p in enumerate(tf_model.predict(model_inputs, verbose=0)):
    put(f"tf_model_h5_out{i}", p)

sl = L.StringLookup(max_tokens=6)
sl.adapt(tokens)
il = L.IntegerLookup(output_mode="count")
il.adapt(ints)
tvk = L.TextVectorization(output_mode="tf_idf", max_tokens=10)
tvk.adapt(texts)
word_in = keras.Input((1,), dtype="string", name="word")
id_in = keras.Input((2,), dtype="int64", name="ids")
keras_model = keras.Model([word_in, id_in], [sl(word_in), il(id_in), tvk(word_in)])
keras_model.save(os.path.join(OUT, "tf_keras_model.keras"))
word_queries = np.array([["red"], ["zzz"], ["the cat"], ["gold"]])
id_queries = ints[:4]
put("tf_model_keras_word", word_queries)
put("tf_model_keras_ids", id_queries)
for i, p in enumerate(keras_model.predict([word_queries, id_queries], verbose=0)):
    put(f"tf_model_keras_out{i}", p)
np.savez_compressed(os.path.join(OUT, "reference.npz"), **arrays)
print("wrote tf_keras_model.h5 and tf_keras_model.keras")
