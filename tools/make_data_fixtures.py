"""Make the data-utility fixtures with real tf.keras (tf_keras 2.21): what kerasfront.utils, .preprocessing and
.datasets must reproduce.

Run with a Python that has tensorflow-cpu, tf_keras, Pillow, scipy and pandas (never the project's):
    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tools/make_data_fixtures.py tests/fixtures/data_utils

It writes, under OUT_DIR:
  trees/images, trees/texts, trees/audio   small class folders in the real formats (PNG, JPEG, BMP, GIF, text,
                                           16-bit WAV), with a non-image file, a nested folder and a hidden one
  reference.npz                            arrays tf.keras produced (images, windows, matrices, transforms...)
  reference.json                           lists, strings (bytes as hex), file paths (relative to trees/)
Data set loaders run on small files in each real format, written here from the arrays stored under
``ds_input_*`` (the tests write the same files from them); ``get_file`` is pointed at those files.
"""
import gzip
import json
import os
import pickle
import random
import shutil
import sys
import tempfile
import wave

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from PIL import Image  # noqa: E402

ARRAYS = {}
INFO = {}


def put(name, value):
    ARRAYS[name] = np.asarray(value)


def note(name, value):
    INFO[name] = value


def rel(paths, root):
    return [os.path.relpath(os.fsdecode(p), root).replace(os.sep, "/") for p in paths]


# -- input trees --------------------------------------------------------------------------------------------------

def write_image_tree(root):
    rng = np.random.RandomState(0)

    def rgb(h, w):
        return rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
    os.makedirs(os.path.join(root, "cats", "sub"))
    os.makedirs(os.path.join(root, "dogs"))
    os.makedirs(os.path.join(root, ".hidden"))
    Image.fromarray(rgb(6, 9)).save(os.path.join(root, "cats", "c1.png"))
    Image.fromarray(rgb(7, 5)).save(os.path.join(root, "cats", "c2.jpg"), quality=90)
    Image.fromarray(rng.randint(0, 256, size=(5, 5)).astype(np.uint8), "L").save(os.path.join(root, "cats", "c3.PNG"))
    Image.fromarray(rgb(4, 6)).save(os.path.join(root, "cats", "sub", "c4.bmp"))
    with open(os.path.join(root, "cats", "notes.txt"), "w") as f:
        f.write("not an image\n")
    Image.fromarray(rgb(5, 7)).convert("P", palette=Image.Palette.ADAPTIVE, colors=8).save(
        os.path.join(root, "dogs", "d1.gif"))
    rgba = np.concatenate([rgb(6, 6), rng.randint(0, 256, size=(6, 6, 1)).astype(np.uint8)], axis=-1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(root, "dogs", "d2.png"))
    Image.fromarray(rgb(5, 8)).convert("P", palette=Image.Palette.ADAPTIVE, colors=6).save(
        os.path.join(root, "dogs", "d3.png"))
    la = np.stack([rng.randint(0, 256, size=(6, 4)), rng.randint(0, 256, size=(6, 4))], -1).astype(np.uint8)
    Image.fromarray(la, "LA").save(os.path.join(root, "dogs", "d4.png"))
    Image.fromarray(rgb(8, 8)).save(os.path.join(root, "dogs", "d5.jpeg"), quality=95)
    Image.fromarray(rgb(3, 3)).save(os.path.join(root, ".hidden", "h.png"))


TEXTS = {
    "neg/a.txt": "Terrible film. Boring, too long!",
    "neg/b.txt": "Not good at all",
    "neg/deep/c.txt": "Caf\u00e9 cr\u00e8me: meh\nsecond line",
    "neg/skip.md": "not a text file for the loader",
    "pos/d.txt": "Loved it, loved it.",
    "pos/e.txt": "",
    "pos/f.txt": "Great acting \u2014 great story",
    "pos/g.txt": "Fine.",
}


def write_text_tree(root):
    for name, text in TEXTS.items():
        path = os.path.join(root, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def write_wav(path, samples, rate=8000):
    samples = np.asarray(samples, dtype="<i2")
    if samples.ndim == 1:
        samples = samples[:, None]
    with wave.open(path, "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(samples.tobytes())


def write_audio_tree(root):
    rng = np.random.RandomState(1)
    os.makedirs(os.path.join(root, "no"))
    os.makedirs(os.path.join(root, "yes"))
    for name, n in (("no/a.wav", 7), ("no/b.wav", 4), ("yes/c.wav", 9), ("yes/d.wav", 5), ("yes/e.wav", 6)):
        write_wav(os.path.join(root, *name.split("/")), rng.randint(-32768, 32768, size=n))
    with open(os.path.join(root, "yes", "readme.txt"), "w") as f:
        f.write("skipped")


# -- utils --------------------------------------------------------------------------------------------------------

def all_batches(ds):
    xs, ys = [], []
    for batch in ds.as_numpy_iterator():
        if isinstance(batch, tuple):
            xs.append(batch[0])
            ys.append(batch[1])
        else:
            xs.append(batch)
    return np.concatenate(xs), (np.concatenate(ys) if ys else None)


def write_png_tree(root, source):
    """The PNG files of the image tree only (TensorFlow decodes grey BMP/GIF and RGBA JPEG/GIF not at all)."""
    for folder, _, files in os.walk(source):
        for name in files:
            if name.lower().endswith((".png", ".txt")) and ".hidden" not in folder:
                target = os.path.join(root, os.path.relpath(folder, source))
                os.makedirs(target, exist_ok=True)
                shutil.copy(os.path.join(folder, name), os.path.join(target, name))


def decode_images(trees):
    root = os.path.join(trees, "images")
    out = {}
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(".txt"):
                continue
            path = os.path.join(folder, name)
            data = open(path, "rb").read()
            for channels in (1, 3, 4):
                try:
                    img = tf.image.decode_image(data, channels=channels, expand_animations=False).numpy()
                except tf.errors.InvalidArgumentError:
                    continue
                key = f"decode_{len(out)}"
                put(key, img)
                out[key] = {"path": rel([path], trees)[0], "channels": channels}
    note("decode", out)


def image_datasets(trees):
    configs = {
        "rgb_bilinear_int": dict(color_mode="rgb", interpolation="bilinear", label_mode="int"),
        "gray_nearest_categorical": dict(color_mode="grayscale", interpolation="nearest", label_mode="categorical"),
        "rgba_bicubic_binary": dict(color_mode="rgba", interpolation="bicubic", label_mode="binary"),
        "rgb_area_crop": dict(color_mode="rgb", interpolation="area", crop_to_aspect_ratio=True),
        "gray_bilinear_nolabels": dict(color_mode="grayscale", interpolation="bilinear", labels=None),
        "rgb_lanczos3": dict(color_mode="rgb", interpolation="lanczos3"),
        "rgb_nearest": dict(color_mode="rgb", interpolation="nearest"),
    }
    for name, kw in configs.items():
        tree = "images" if kw["color_mode"] == "rgb" else "images_png"
        root = os.path.join(trees, tree)
        ds = keras.utils.image_dataset_from_directory(root, batch_size=3, image_size=(4, 5), shuffle=False, **kw)
        x, y = all_batches(ds)
        put(f"img_{name}_x", x)
        if y is not None:
            put(f"img_{name}_y", y)
        note(f"img_{name}", {"file_paths": rel(ds.file_paths, trees), "class_names": ds.class_names, "tree": tree})
    root = os.path.join(trees, "images")
    train, val = keras.utils.image_dataset_from_directory(root, batch_size=2, image_size=(3, 3), seed=7,
                                                          validation_split=0.3, subset="both")
    note("img_split_both", {"train": rel(train.file_paths, trees), "val": rel(val.file_paths, trees)})
    paths, labels, names = keras.src.utils.dataset_utils.index_directory(
        root, "inferred", formats=(".bmp", ".gif", ".jpeg", ".jpg", ".png"), shuffle=True, seed=11)
    note("img_index_seed11", {"paths": rel(paths, trees), "labels": [int(v) for v in labels], "class_names": names})
    ds = keras.utils.image_dataset_from_directory(root, labels=[5, 4, 3, 2, 1, 0, 7, 8, 9, 6], batch_size=None,
                                                  image_size=(2, 2), shuffle=True, seed=3)
    note("img_given_labels", {"paths": rel(ds.file_paths, trees), "class_names": [int(c) for c in ds.class_names],
                              "labels": sorted(int(y) for _, y in ds.as_numpy_iterator())})


def text_datasets(trees):
    root = os.path.join(trees, "texts")
    for name, kw in {"default": {}, "max5": {"max_length": 5}, "categorical": {"label_mode": "categorical"},
                     "binary": {"label_mode": "binary"}}.items():
        ds = keras.utils.text_dataset_from_directory(root, batch_size=3, shuffle=False, **kw)
        texts, labels = [], []
        for x, y in ds.as_numpy_iterator():
            texts += [t.hex() for t in x]
            labels.append(y)
        put(f"txt_{name}_y", np.concatenate(labels))
        note(f"txt_{name}", {"texts": texts, "class_names": ds.class_names,
                             "file_paths": rel(ds.file_paths, trees) if hasattr(ds, "file_paths") else None})
    train, val = keras.utils.text_dataset_from_directory(root, batch_size=2, seed=5, validation_split=0.4,
                                                         subset="both")
    texts_train = sorted(t.hex() for x, _ in train.as_numpy_iterator() for t in x)
    texts_val = sorted(t.hex() for x, _ in val.as_numpy_iterator() for t in x)
    note("txt_split_both", {"train": texts_train, "val": texts_val, "class_names": train.class_names})


def audio_datasets(trees):
    root = os.path.join(trees, "audio")
    ds = keras.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False)
    for i, (x, y) in enumerate(ds.as_numpy_iterator()):
        put(f"wav_padded_{i}_x", x)
        put(f"wav_padded_{i}_y", y)
    note("wav_padded_batches", i + 1)
    ds = keras.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False, output_sequence_length=6,
                                                  label_mode="categorical")
    x, y = all_batches(ds)
    put("wav_len6_x", x)
    put("wav_len6_y", y)
    note("wav_class_names", ds.class_names)


def timeseries():
    data = np.arange(30, dtype="float64").reshape(15, 2)
    targets = np.arange(15) * 10
    put("ts_data", data)
    put("ts_targets", targets)
    configs = {
        "basic": dict(sequence_length=3, batch_size=4),
        "stride_rate": dict(sequence_length=3, sequence_stride=2, sampling_rate=2, batch_size=2),
        "range": dict(sequence_length=2, start_index=3, end_index=12, batch_size=5),
        "nobatch": dict(sequence_length=4, sequence_stride=3, batch_size=None),
    }
    for name, kw in configs.items():
        for with_targets in (True, False):
            ds = keras.utils.timeseries_dataset_from_array(data, targets if with_targets else None, **kw)
            if kw.get("batch_size") is None:
                items = list(ds.as_numpy_iterator())
                x = np.stack([i[0] if with_targets else i for i in items])
                y = np.stack([i[1] for i in items]) if with_targets else None
            else:
                x, y = all_batches(ds)
            key = f"ts_{name}_{'t' if with_targets else 'n'}"
            put(key + "_x", x)
            if y is not None:
                put(key + "_y", y)
    ds = keras.utils.timeseries_dataset_from_array(data, targets, sequence_length=3, batch_size=4, shuffle=True,
                                                   seed=9)
    x, y = all_batches(ds)
    order = np.lexsort(x.reshape(len(x), -1).T[::-1])
    put("ts_shuffled_sorted_x", x[order])
    put("ts_shuffled_sorted_y", y[order])
    note("ts_configs", configs)


def pad():
    seqs = [[1], [2, 3], [4, 5, 6], [], [7, 8, 9, 10, 11]]
    configs = [{}, {"maxlen": 3}, {"padding": "post"}, {"truncating": "post", "maxlen": 2},
               {"value": -1, "padding": "post", "truncating": "post", "maxlen": 4}, {"dtype": "float32", "value": 0.5},
               {"maxlen": 7}]
    out = []
    for kw in configs:
        out.append({"kwargs": kw, "result": keras.utils.pad_sequences(seqs, **kw).tolist(),
                    "dtype": str(keras.utils.pad_sequences(seqs, **kw).dtype)})
    steps = [np.arange(6).reshape(3, 2), np.arange(4).reshape(2, 2) + 10]
    put("pad_steps", keras.utils.pad_sequences(steps, maxlen=4, padding="post"))
    strings = [["a", "b"], ["c"]]
    note("pad_strings", keras.utils.pad_sequences(strings, dtype=object, value="<pad>").tolist())
    note("pad_input", seqs)
    note("pad_cases", out)
    put("pad_float_input_trunc", keras.utils.pad_sequences([[1.7, 2.2], [3.9]], maxlen=2))


def tokenizer():
    Tokenizer = keras.preprocessing.text.Tokenizer
    texts = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs, cats and DOGS?",
             "the end", "Tab\tseparated\nand new lines"]
    new = ["the cat and the unicorn", "homework, homework", "", "DOGS sat"]
    configs = {"default": {}, "num_words": {"num_words": 5}, "oov": {"oov_token": "<OOV>", "num_words": 6},
               "char": {"char_level": True}, "nolower": {"lower": False}, "split": {"split": ",", "filters": "!"}}
    out = {}
    for name, kw in configs.items():
        tok = Tokenizer(**kw)
        tok.fit_on_texts(texts)
        seqs = tok.texts_to_sequences(new)
        entry = {"word_index": tok.word_index, "word_index_items": list(tok.word_index.items()),
                 "word_counts_items": list(tok.word_counts.items()), "word_counts": dict(tok.word_counts),
                 "word_docs": dict(tok.word_docs), "index_docs": {str(k): v for k, v in tok.index_docs.items()},
                 "sequences": seqs, "fit_sequences": tok.texts_to_sequences(texts),
                 "texts_back": tok.sequences_to_texts(seqs + [[1, 2, 99, 3]]), "json": tok.to_json(),
                 "document_count": tok.document_count}
        out[name] = entry
        for mode in ("binary", "count", "tfidf", "freq"):
            put(f"tok_{name}_{mode}", tok.texts_to_matrix(new, mode=mode))
    tok = Tokenizer(num_words=6)
    tok.fit_on_sequences([[1, 2, 2], [3], [2, 5, 5, 1]])
    put("tok_seq_tfidf", tok.sequences_to_matrix([[1, 2, 3, 4, 5, 5], [2]], mode="tfidf"))
    tok = Tokenizer()
    tok.fit_on_texts([["Hello", "World"], ["hello", "there"]])
    out["lists"] = {"word_index": tok.word_index, "sequences": tok.texts_to_sequences([["HELLO", "x"]])}
    note("tok_texts", texts)
    note("tok_new", new)
    note("tok_configs", configs)
    note("tok", out)
    text = "Hello, World! It's a\ttest -- of (filters).  Done"
    note("t2ws", {"text": text, "default": keras.preprocessing.text.text_to_word_sequence(text),
                  "nolower": keras.preprocessing.text.text_to_word_sequence(text, lower=False),
                  "custom": keras.preprocessing.text.text_to_word_sequence(text, filters="!", split="-")})
    note("hashing_md5", keras.preprocessing.text.hashing_trick(text, 17, hash_function="md5"))


def sequence_tools():
    seq = keras.preprocessing.sequence
    table = seq.make_sampling_table(12, sampling_factor=0.05)
    put("sampling_table", table)
    sentence = [1, 2, 0, 3, 4, 5, 1, 6, 7, 0, 2]
    cases = [dict(window_size=2, negative_samples=0.0, shuffle=False),
             dict(window_size=1, negative_samples=1.0, shuffle=True, seed=4),
             dict(window_size=3, negative_samples=0.5, shuffle=True, seed=1, categorical=True),
             dict(window_size=2, negative_samples=1.0, shuffle=False, sampling_table=table.tolist())]
    out = []
    for i, kw in enumerate(cases):
        random.seed(100 + i)
        couples, labels = seq.skipgrams(sentence, vocabulary_size=8, **kw)
        out.append({"kwargs": kw, "couples": couples, "labels": labels, "python_seed": 100 + i})
    note("skipgrams_sentence", sentence)
    note("skipgrams", out)
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(20) * 3
    gens = {"basic": dict(length=3, batch_size=4), "stride_rate": dict(length=4, sampling_rate=2, stride=3,
                                                                        batch_size=2),
            "range_reverse": dict(length=2, start_index=2, end_index=15, reverse=True, batch_size=5),
            "shuffle": dict(length=3, shuffle=True, batch_size=4)}
    for name, kw in gens.items():
        gen = seq.TimeseriesGenerator(data, targets, **kw)
        np.random.seed(21)
        put(f"tsg_{name}_len", len(gen))
        for i in range(len(gen)):
            x, y = gen[i]
            put(f"tsg_{name}_{i}_x", x)
            put(f"tsg_{name}_{i}_y", y)
    note("tsg_configs", gens)
    note("tsg_json", json.loads(seq.TimeseriesGenerator(data[:6].tolist(), targets[:6].tolist(), length=2).to_json()))
    put("tsg_data", data)
    put("tsg_targets", targets)


def image_generator(trees):
    img = keras.preprocessing.image
    rng = np.random.RandomState(0)
    x = (rng.rand(6, 7, 8, 3) * 255).astype("float32")
    y = np.array([0, 1, 0, 1, 1, 0])
    put("idg_x", x)
    put("idg_y", y)
    params = [{"theta": 30}, {"tx": 1.5, "ty": -2}, {"shear": 12}, {"zx": 0.8, "zy": 1.25},
              {"theta": -20, "tx": 1, "ty": 1, "shear": 5, "zx": 1.1, "zy": 0.9, "flip_horizontal": True},
              {"flip_vertical": True, "channel_shift_intensity": 20.0}, {"brightness": 0.6},
              {"theta": 45, "zx": 1.3, "zy": 1.3}]
    for fill in ("nearest", "constant", "reflect", "wrap"):
        gen = img.ImageDataGenerator(fill_mode=fill, cval=7.0)
        for i, p in enumerate(params):
            put(f"idg_apply_{fill}_{i}", gen.apply_transform(x[i % 6].copy(), p))
    gen_cf = img.ImageDataGenerator(data_format="channels_first")
    put("idg_apply_cf", gen_cf.apply_transform(x[0].transpose(2, 0, 1).copy(), params[4]))
    gen_o3 = img.ImageDataGenerator(interpolation_order=3)
    put("idg_apply_order3", gen_o3.apply_transform(x[1].copy(), params[0]))
    note("idg_params", params)

    full = dict(rotation_range=25, width_shift_range=0.2, height_shift_range=2, shear_range=8, zoom_range=0.15,
                channel_shift_range=10.0, horizontal_flip=True, vertical_flip=True, brightness_range=(0.7, 1.2),
                fill_mode="reflect", rescale=1 / 255.0)
    gen = img.ImageDataGenerator(**full)
    note("idg_full", {k: list(v) if isinstance(v, tuple) else v for k, v in full.items()})
    note("idg_random_params", [{k: (None if v is None else float(v)) for k, v in
                                gen.get_random_transform((7, 8, 3), seed=s).items()} for s in (0, 1, 2)])
    listgen = img.ImageDataGenerator(width_shift_range=[-2, 0, 3], height_shift_range=0.1)
    note("idg_random_params_list", [{k: (None if v is None else float(v)) for k, v in
                                     listgen.get_random_transform((7, 8, 3), seed=s).items()} for s in (3, 4)])
    it = gen.flow(x, y, batch_size=4, shuffle=True, seed=1)
    for i in range(3):
        bx, by = next(it)
        put(f"idg_flow_next_{i}_x", bx)
        put(f"idg_flow_next_{i}_y", by)
    it = gen.flow(x, y, batch_size=4, shuffle=True, seed=5)
    np.random.seed(0)
    for i in range(len(it)):
        bx, by = it[i]
        put(f"idg_flow_item_{i}_x", bx)
        put(f"idg_flow_item_{i}_y", by)
    sw = np.arange(6) / 10.0
    it = img.ImageDataGenerator().flow([x, np.arange(6) * 2], y, sample_weight=sw, batch_size=5, shuffle=False)
    (bx, bm), by, bw = next(it)
    put("idg_flow_misc_x", bx)
    put("idg_flow_misc_m", bm)
    put("idg_flow_misc_w", bw)

    stats = img.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    stats.fit(x)
    put("idg_fit_mean", stats.mean)
    put("idg_fit_std", stats.std)
    put("idg_fit_standardized", stats.standardize(x[:2].copy()))
    aug = img.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rotation_range=10,
                                 horizontal_flip=True, rescale=0.5)
    aug.fit(x, augment=True, rounds=2, seed=3)
    put("idg_fitaug_mean", aug.mean)
    put("idg_fitaug_std", aug.std)
    small = (rng.rand(6, 3, 3, 1) * 10).astype("float32")
    zca = img.ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-3)
    zca.fit(small)
    put("idg_zca_x", small)
    put("idg_zca_matrix", zca.zca_whitening_matrix)
    put("idg_zca_standardized", zca.standardize(small.copy()))
    sample = img.ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    put("idg_samplewise", sample.standardize(x[:2].copy()))
    split = img.ImageDataGenerator(validation_split=0.5)
    ys = np.array([0, 1, 0, 1, 0, 1])
    for subset in ("training", "validation"):
        bx, by = next(split.flow(x, ys, batch_size=6, shuffle=False, subset=subset))
        put(f"idg_subset_{subset}_x", bx)
        put(f"idg_subset_{subset}_y", by)

    np.random.seed(3)
    put("idg_fn_rotation", img.random_rotation(x[0].copy(), 40, row_axis=0, col_axis=1, channel_axis=2))
    put("idg_fn_shift", img.random_shift(x[0].copy(), 0.2, 0.3, row_axis=0, col_axis=1, channel_axis=2))
    put("idg_fn_shear", img.random_shear(x[0].copy(), 20, row_axis=0, col_axis=1, channel_axis=2))
    put("idg_fn_zoom", img.random_zoom(x[0].copy(), (0.7, 1.2), row_axis=0, col_axis=1, channel_axis=2))
    put("idg_fn_channel_shift", img.random_channel_shift(x[0].copy(), 30.0, channel_axis=2))
    put("idg_fn_brightness", img.random_brightness(x[0].copy(), (0.5, 1.5)))
    put("idg_fn_brightness_noscale", img.apply_brightness_shift(x[1].copy() * 2 - 100, 1.3, scale=False))

    root = os.path.join(trees, "images")
    flows = {"categorical": dict(class_mode="categorical"), "binary": dict(class_mode="binary"),
             "sparse_gray": dict(class_mode="sparse", color_mode="grayscale"),
             "input_bilinear": dict(class_mode="input", interpolation="bilinear"),
             "none_keep": dict(class_mode=None, keep_aspect_ratio=True, interpolation="bicubic")}
    plain = img.ImageDataGenerator(rescale=1 / 255.0)
    for name, kw in flows.items():
        it = plain.flow_from_directory(root, target_size=(5, 4), batch_size=20, shuffle=False, **kw)
        batch = next(it)
        put(f"ffd_{name}_x", batch[0] if isinstance(batch, tuple) else batch)
        if isinstance(batch, tuple):
            put(f"ffd_{name}_y", batch[1])
        note(f"ffd_{name}", {"filenames": [f.replace(os.sep, "/") for f in it.filenames],
                             "class_indices": it.class_indices, "classes": it.classes.tolist()})
    it = gen.flow_from_directory(root, target_size=(6, 6), batch_size=3, shuffle=True, seed=2,
                                 class_mode="sparse")
    for i in range(2):
        bx, by = next(it)
        put(f"ffd_aug_{i}_x", bx)
        put(f"ffd_aug_{i}_y", by)
    splitgen = img.ImageDataGenerator(validation_split=0.5)
    for subset in ("training", "validation"):
        it = splitgen.flow_from_directory(root, target_size=(3, 3), shuffle=False, subset=subset)
        note(f"ffd_subset_{subset}", [f.replace(os.sep, "/") for f in it.filenames])
    df = pd.DataFrame({"file": ["cats/c1.png", "dogs/d2.png", "cats/sub/c4.bmp", "dogs/missing.png",
                                "cats/notes.txt", "dogs/d5.jpeg"],
                       "label": ["cat", "dog", "cat", "dog", "cat", "dog"],
                       "w": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})
    note("dataframe", {k: df[k].tolist() for k in df.columns})
    for name, kw in {"categorical": dict(y_col="label"), "binary_weighted": dict(y_col="label", class_mode="binary",
                                                                                  weight_col="w"),
                     "raw": dict(y_col="score", class_mode="raw")}.items():
        it = plain.flow_from_dataframe(df, directory=root, x_col="file", target_size=(4, 4), shuffle=False,
                                       batch_size=10, **kw)
        batch = next(it)
        put(f"ffdf_{name}_x", batch[0])
        put(f"ffdf_{name}_y", batch[1])
        if len(batch) == 3:
            put(f"ffdf_{name}_w", batch[2])
        note(f"ffdf_{name}", {"filenames": it.filenames})

    files = {"png": os.path.join(root, "cats", "c1.png"), "jpg": os.path.join(root, "cats", "c2.jpg"),
             "gray": os.path.join(root, "cats", "c3.PNG"), "rgba": os.path.join(root, "dogs", "d2.png")}
    for name, path in files.items():
        for mode in ("rgb", "grayscale", "rgba"):
            put(f"load_{name}_{mode}", keras.utils.img_to_array(keras.utils.load_img(path, color_mode=mode)))
        for interp in ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"):
            put(f"load_{name}_{interp}", keras.utils.img_to_array(
                keras.utils.load_img(path, target_size=(5, 3), interpolation=interp)))
        put(f"load_{name}_keep", keras.utils.img_to_array(
            keras.utils.load_img(path, target_size=(3, 5), keep_aspect_ratio=True, interpolation="bilinear")))
    put("img_to_array_cf", keras.utils.img_to_array(keras.utils.load_img(files["png"]), data_format="channels_first"))
    arr = x[0] / 255.0 * 3 - 1
    for scale in (True, False):
        im = keras.utils.array_to_img(arr if scale else x[0], scale=scale)
        put(f"array_to_img_{scale}", np.asarray(im))
    put("array_to_img_gray", np.asarray(keras.utils.array_to_img(x[0][..., :1] * 2)))
    put("array_to_img_gray_int", np.asarray(keras.utils.array_to_img(x[0][..., :1] * 10, scale=False)))
    put("smart_resize", keras.preprocessing.image.smart_resize(x[0], (5, 3)))
    put("smart_resize_batch", keras.preprocessing.image.smart_resize(x[:2], (4, 9), interpolation="nearest"))


def resize():
    rng = np.random.RandomState(5)
    img = rng.randint(0, 256, size=(5, 7, 2)).astype("uint8")
    put("resize_input", img)
    for m in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"):
        for (h, w) in ((3, 4), (9, 11), (5, 7), (2, 13)):
            put(f"resize_{m}_{h}_{w}", tf.image.resize(img, (h, w), method=m).numpy())


def misc():
    note("to_ordinal", {"y": [0, 2, 1, 3], "out": keras.utils.to_ordinal([0, 2, 1, 3]).tolist(),
                        "y2": [[1], [0]], "out2": keras.utils.to_ordinal([[1], [0]], num_classes=3).tolist()})
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    left, right = keras.utils.split_dataset((x, y), left_size=0.6, shuffle=True, seed=2)
    note("split_arrays", {"left": [[a.tolist() for a in item] for item in left.as_numpy_iterator()],
                          "right": [[a.tolist() for a in item] for item in right.as_numpy_iterator()]})
    left, right = keras.utils.split_dataset(x, right_size=3)
    note("split_single", {"left": [a.tolist() for a in left.as_numpy_iterator()],
                          "right": [a.tolist() for a in right.as_numpy_iterator()]})
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(3)
    left, right = keras.utils.split_dataset(ds, left_size=4, shuffle=True, seed=9)
    note("split_batched", {"left": [[a.tolist() for a in item] for item in left.as_numpy_iterator()],
                           "right": [[a.tolist() for a in item] for item in right.as_numpy_iterator()]})


# -- data sets ----------------------------------------------------------------------------------------------------

def dataset_inputs():
    rng = np.random.RandomState(42)
    put("ds_input_mnist_x_train", rng.randint(0, 256, size=(5, 28, 28)).astype("uint8"))
    put("ds_input_mnist_y_train", rng.randint(0, 10, size=5).astype("uint8"))
    put("ds_input_mnist_x_test", rng.randint(0, 256, size=(3, 28, 28)).astype("uint8"))
    put("ds_input_mnist_y_test", rng.randint(0, 10, size=3).astype("uint8"))
    for part, n in (("train", 4), ("test", 2)):
        put(f"ds_input_fashion_x_{part}", rng.randint(0, 256, size=(n, 28, 28)).astype("uint8"))
        put(f"ds_input_fashion_y_{part}", rng.randint(0, 10, size=n).astype("uint8"))
    for part, n in (("train", 4), ("test", 3)):
        put(f"ds_input_cifar100_x_{part}", rng.randint(0, 256, size=(n, 3072)).astype("uint8"))
        put(f"ds_input_cifar100_fine_{part}", rng.randint(0, 100, size=n))
        put(f"ds_input_cifar100_coarse_{part}", rng.randint(0, 20, size=n))
    for b in range(1, 6):
        put(f"ds_input_cifar10_x_data_batch_{b}", rng.randint(0, 256, size=(2, 3072)).astype("uint8"))
        put(f"ds_input_cifar10_y_data_batch_{b}", rng.randint(0, 10, size=2))
    put("ds_input_cifar10_x_test_batch", rng.randint(0, 256, size=(3, 3072)).astype("uint8"))
    put("ds_input_cifar10_y_test_batch", rng.randint(0, 10, size=3))

    def reviews(n, top):
        return [rng.randint(1, top, size=rng.randint(2, 9)).tolist() for _ in range(n)]
    note("ds_input_imdb", {"x_train": reviews(8, 30), "y_train": rng.randint(0, 2, size=8).tolist(),
                           "x_test": reviews(6, 30), "y_test": rng.randint(0, 2, size=6).tolist()})
    note("ds_input_reuters", {"x": reviews(10, 25), "y": rng.randint(0, 46, size=10).tolist()})
    put("ds_input_boston_x", rng.rand(20, 13) * 100)
    put("ds_input_boston_y", rng.rand(20) * 50)


def object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = [list(v) for v in lists]
    return out


def write_dataset_files(folder):
    """The small data set files, in Keras's formats, from the ds_input_* arrays (the tests do the same)."""
    A = ARRAYS
    np.savez(os.path.join(folder, "mnist.npz"), **{k: A[f"ds_input_mnist_{k}"] for k in
                                                    ("x_train", "y_train", "x_test", "y_test")})
    fm = os.path.join(folder, "fashion-mnist")
    os.makedirs(fm, exist_ok=True)
    for part, prefix in (("train", "train"), ("test", "t10k")):
        x, y = A[f"ds_input_fashion_x_{part}"], A[f"ds_input_fashion_y_{part}"]
        with gzip.open(os.path.join(fm, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(np.array([2049, len(y)], ">i4").tobytes() + y.tobytes())
        with gzip.open(os.path.join(fm, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(np.array([2051, len(x), 28, 28], ">i4").tobytes() + x.tobytes())
    c100 = os.path.join(folder, "cifar-100-python")
    os.makedirs(c100, exist_ok=True)
    for part in ("train", "test"):
        with open(os.path.join(c100, part), "wb") as f:
            pickle.dump({b"data": A[f"ds_input_cifar100_x_{part}"],
                         b"fine_labels": A[f"ds_input_cifar100_fine_{part}"].tolist(),
                         b"coarse_labels": A[f"ds_input_cifar100_coarse_{part}"].tolist()}, f)
    c10 = os.path.join(folder, "cifar-10-batches-py")
    os.makedirs(c10, exist_ok=True)
    for name in [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]:
        with open(os.path.join(c10, name), "wb") as f:
            pickle.dump({b"data": A[f"ds_input_cifar10_x_{name}"], b"labels": A[f"ds_input_cifar10_y_{name}"].tolist()},
                        f)
    imdb = INFO["ds_input_imdb"]
    np.savez(os.path.join(folder, "imdb.npz"), x_train=object_array(imdb["x_train"]),
             y_train=np.array(imdb["y_train"]), x_test=object_array(imdb["x_test"]), y_test=np.array(imdb["y_test"]))
    reuters = INFO["ds_input_reuters"]
    np.savez(os.path.join(folder, "reuters.npz"), x=object_array(reuters["x"]), y=np.array(reuters["y"]))
    np.savez(os.path.join(folder, "boston_housing.npz"), x=A["ds_input_boston_x"], y=A["ds_input_boston_y"])


def datasets():
    dataset_inputs()
    folder = tempfile.mkdtemp()
    write_dataset_files(folder)

    def fake_get_file(fname=None, origin=None, untar=False, cache_subdir="datasets", **kwargs):
        if cache_subdir != "datasets":
            return os.path.join(folder, os.path.basename(cache_subdir), fname)
        return os.path.join(folder, fname)
    import tf_keras.src.datasets.boston_housing as bh
    import tf_keras.src.datasets.cifar100 as c100
    import tf_keras.src.datasets.fashion_mnist as fm
    import tf_keras.src.datasets.imdb as imdb
    import tf_keras.src.datasets.mnist as mn
    import tf_keras.src.datasets.reuters as rt
    from tf_keras.src.datasets import cifar
    for mod in (bh, c100, fm, imdb, mn, rt):
        mod.get_file = fake_get_file

    def put_pair(prefix, data):
        (a, b), (c, d) = data
        for k, v in (("x_train", a), ("y_train", b), ("x_test", c), ("y_test", d)):
            if v.dtype == object:
                note(f"{prefix}_{k}", [list(map(int, s)) for s in v])
                note(f"{prefix}_{k}_dtype", "object")
            else:
                put(f"{prefix}_{k}", v)
    put_pair("ds_mnist", mn.load_data())
    put_pair("ds_fashion", fm.load_data())
    put_pair("ds_cifar100_fine", c100.load_data())
    put_pair("ds_cifar100_coarse", c100.load_data(label_mode="coarse"))
    for name in ("data_batch_1", "test_batch"):
        data, labels = cifar.load_batch(os.path.join(folder, "cifar-10-batches-py", name))
        put(f"ds_cifar10_batch_{name}_x", data)
        put(f"ds_cifar10_batch_{name}_y", np.asarray(labels))
    imdb_cases = {"default": {}, "num_words": {"num_words": 10}, "skip_maxlen": {"skip_top": 3, "maxlen": 6},
                  "seed_nostart": {"seed": 5, "start_char": None, "oov_char": None, "num_words": 12},
                  "index0": {"index_from": 0, "skip_top": 2}}
    for name, kw in imdb_cases.items():
        put_pair(f"ds_imdb_{name}", imdb.load_data(**kw))
    note("ds_imdb_cases", imdb_cases)
    reuters_cases = {"default": {}, "split": {"test_split": 0.35, "seed": 1, "num_words": 15},
                     "maxlen": {"maxlen": 7, "oov_char": None, "skip_top": 4}}
    for name, kw in reuters_cases.items():
        put_pair(f"ds_reuters_{name}", rt.load_data(**kw))
    note("ds_reuters_cases", reuters_cases)
    for name, kw in {"default": {}, "split": {"test_split": 0.35, "seed": 4}}.items():
        put_pair(f"ds_boston_{name}", bh.load_data(**kw))
    shutil.rmtree(folder)


def main(out_dir):
    trees = os.path.join(out_dir, "trees")
    if os.path.exists(trees):
        shutil.rmtree(trees)
    write_image_tree(os.path.join(trees, "images"))
    write_png_tree(os.path.join(trees, "images_png"), os.path.join(trees, "images"))
    write_text_tree(os.path.join(trees, "texts"))
    write_audio_tree(os.path.join(trees, "audio"))
    decode_images(trees)
    image_datasets(trees)
    text_datasets(trees)
    audio_datasets(trees)
    timeseries()
    pad()
    tokenizer()
    sequence_tools()
    image_generator(trees)
    resize()
    misc()
    datasets()
    np.savez_compressed(os.path.join(out_dir, "reference.npz"), **ARRAYS)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(INFO, f, indent=0, sort_keys=True)
    print(f"wrote {len(ARRAYS)} arrays and {len(INFO)} entries to {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "data_utils"))
