"""image/text/audio_dataset_from_directory against tf.keras 2.21 on the same small trees (file order, labels,
class names, decoded and resized pixels, texts, padded audio), the split and shuffle rules, and bad input."""
import os
import shutil

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.utils import Dataset
from kerasfront.utils.dataset_utils import index_directory
from kerasfront.utils.image_dataset import decode_image

from .data_fixtures import INFO, REF, TREES, rel, tree

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _all(ds):
    xs, ys = [], []
    for batch in ds.as_numpy_iterator():
        if isinstance(batch, tuple):
            xs.append(batch[0])
            ys.append(batch[1])
        else:
            xs.append(batch)
    return np.concatenate(xs), (np.concatenate(ys) if ys else None)


# -- images -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(INFO["decode"]))
def test_decode_image_equals_tensorflow(key):
    entry = INFO["decode"][key]
    with open(os.path.join(TREES, entry["path"]), "rb") as f:
        got = decode_image(f.read(), entry["channels"])
    expected = REF[key]
    assert got.dtype == np.uint8 and got.shape == expected.shape
    if entry["path"].endswith("d3.png") and entry["channels"] == 4:
        # NOTE: a documented difference: TensorFlow fills the alpha of this 4-bit palette PNG with 2**4 - 1
        np.testing.assert_array_equal(got[..., :3], expected[..., :3])
        assert expected[..., 3].max() == 15 and got[..., 3].min() == 255
        return
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", ["rgb_bilinear_int", "gray_nearest_categorical", "rgba_bicubic_binary",
                                  "rgb_area_crop", "gray_bilinear_nolabels", "rgb_lanczos3", "rgb_nearest"])
def test_image_dataset_equals_tf_keras(name):
    entry = INFO[f"img_{name}"]
    kwargs = {"rgb_bilinear_int": dict(color_mode="rgb", interpolation="bilinear", label_mode="int"),
              "gray_nearest_categorical": dict(color_mode="grayscale", interpolation="nearest",
                                               label_mode="categorical"),
              "rgba_bicubic_binary": dict(color_mode="rgba", interpolation="bicubic", label_mode="binary"),
              "rgb_area_crop": dict(color_mode="rgb", interpolation="area", crop_to_aspect_ratio=True),
              "gray_bilinear_nolabels": dict(color_mode="grayscale", interpolation="bilinear", labels=None),
              "rgb_lanczos3": dict(color_mode="rgb", interpolation="lanczos3"),
              "rgb_nearest": dict(color_mode="rgb", interpolation="nearest")}[name]
    ds = keras.utils.image_dataset_from_directory(tree(entry["tree"]), batch_size=3, image_size=(4, 5),
                                                  shuffle=False, **kwargs)
    assert isinstance(ds, Dataset)
    assert rel(ds.file_paths) == entry["file_paths"]
    assert ds.class_names == entry["class_names"]
    x, y = _all(ds)
    expected = REF[f"img_{name}_x"]
    assert x.dtype == expected.dtype and x.shape == expected.shape
    if kwargs["color_mode"] == "rgba":       # d3.png's alpha: see test_decode_image_equals_tensorflow
        d3 = [i for i, p in enumerate(entry["file_paths"]) if p.endswith("d3.png")]
        x, expected = x.copy(), expected.copy()
        x[d3, ..., 3] = expected[d3, ..., 3] = 0
    np.testing.assert_allclose(x, expected, atol=2e-4, rtol=0)
    if f"img_{name}_y" in REF:
        np.testing.assert_array_equal(y, REF[f"img_{name}_y"])
        assert y.dtype == REF[f"img_{name}_y"].dtype
    else:
        assert y is None


def test_image_listing_and_shuffle_order_equal_tf_keras():
    expected = INFO["img_index_seed11"]
    paths, labels, names = index_directory(tree("images"), "inferred", formats=IMAGE_FORMATS, shuffle=True,
                                           seed=11)
    assert rel(paths) == expected["paths"] and labels.tolist() == expected["labels"]
    assert names == expected["class_names"] == ["cats", "dogs"]
    assert not any(".hidden" in p or p.endswith(".txt") for p in rel(paths))


def test_image_subset_both_splits_as_tf_keras():
    train, val = keras.utils.image_dataset_from_directory(tree("images"), batch_size=2, image_size=(3, 3), seed=7,
                                                          validation_split=0.3, subset="both")
    assert rel(train.file_paths) == INFO["img_split_both"]["train"]
    assert rel(val.file_paths) == INFO["img_split_both"]["val"]
    assert train.class_names == val.class_names == ["cats", "dogs"]
    assert not set(train.file_paths) & set(val.file_paths)
    for subset, part in (("training", train), ("validation", val)):
        alone = keras.utils.image_dataset_from_directory(tree("images"), batch_size=2, image_size=(3, 3), seed=7,
                                                         validation_split=0.3, subset=subset)
        assert alone.file_paths == part.file_paths


def test_image_given_labels_and_unbatched():
    expected = INFO["img_given_labels"]
    labels = [5, 4, 3, 2, 1, 0, 7, 8, 9, 6]
    ds = keras.utils.image_dataset_from_directory(tree("images"), labels=labels, batch_size=None, image_size=(2, 2),
                                                  shuffle=True, seed=3)
    assert rel(ds.file_paths) == expected["paths"]
    assert ds.class_names == expected["class_names"]
    items = list(ds.as_numpy_iterator())
    assert sorted(int(y) for _, y in items) == expected["labels"]
    assert items[0][0].shape == (2, 2, 3)
    assert labels == [5, 4, 3, 2, 1, 0, 7, 8, 9, 6]       # the caller's list is not reordered


def test_image_shuffle_reorders_each_epoch_but_keeps_the_pairs():
    ds = keras.utils.image_dataset_from_directory(tree("images"), batch_size=2, image_size=(3, 3), seed=1)
    first = [tuple(y.tolist()) for _, y in ds.as_numpy_iterator()]
    second = [tuple(y.tolist()) for _, y in ds.as_numpy_iterator()]
    pairs = sorted((float(x.sum()), int(y)) for xb, yb in ds.as_numpy_iterator() for x, y in zip(xb, yb))
    plain = keras.utils.image_dataset_from_directory(tree("images"), batch_size=2, image_size=(3, 3), shuffle=False)
    assert pairs == sorted((float(x.sum()), int(y)) for xb, yb in plain.as_numpy_iterator() for x, y in zip(xb, yb))
    assert sorted(sum(first, ())) == sorted(sum(second, ()))


def test_image_dataset_trains_a_model():
    keras.utils.set_random_seed(0)
    ds = keras.utils.image_dataset_from_directory(tree("images"), batch_size=4, image_size=(6, 6), seed=0,
                                                  label_mode="binary")
    model = keras.Sequential([keras.layers.Flatten(input_shape=(6, 6, 3)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate(ds, verbose=0)).all()
    assert model.predict(ds, verbose=0).shape == (9, 1)


# -- bad input ----------------------------------------------------------------------------------------------------

def _copy(tmp_path, name="images"):
    target = tmp_path / name
    shutil.copytree(tree(name), target)
    return target


def test_class_folders_without_images_are_an_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "readme.md").write_text("neither an image nor a .txt file")
    with pytest.raises(ValueError, match=r"No images found in directory .*Allowed format"):
        keras.utils.image_dataset_from_directory(str(tmp_path))
    with pytest.raises(ValueError, match=r"No text files found in directory .*class folders hold none"):
        keras.utils.text_dataset_from_directory(str(tmp_path))
    with pytest.raises(ValueError, match=r"No audio files found"):
        keras.utils.audio_dataset_from_directory(str(tmp_path))


def test_missing_directory_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        keras.utils.image_dataset_from_directory(str(tmp_path / "nope"))


def test_corrupt_image_is_named_when_its_batch_is_read(tmp_path):
    root = _copy(tmp_path)
    bad = root / "cats" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    ds = keras.utils.image_dataset_from_directory(str(root), batch_size=2, image_size=(3, 3), shuffle=False)
    assert str(bad) in ds.file_paths
    with pytest.raises(ValueError, match="broken.png"):
        list(ds.as_numpy_iterator())


def test_non_image_files_are_skipped(tmp_path):
    root = _copy(tmp_path)
    (root / "cats" / "data.csv").write_text("1,2,3")
    (root / "dogs" / "notes.TXT").write_text("hello")
    ds = keras.utils.image_dataset_from_directory(str(root), batch_size=4, image_size=(3, 3), shuffle=False)
    assert len(ds.file_paths) == 9
    assert not any(p.lower().endswith((".csv", ".txt")) for p in ds.file_paths)


@pytest.mark.parametrize("kwargs, match", [
    (dict(label_mode="binary", labels="inferred"), None),
    (dict(color_mode="cmyk"), "color_mode"),
    (dict(label_mode="sparse"), "label_mode"),
    (dict(labels="folders"), "labels"),
    (dict(labels=[0, 1], class_names=["a"]), "class_names"),
    (dict(class_names=["cats", "birds"]), "class_names"),
    (dict(validation_split=0.2, subset="training"), "seed"),
    (dict(validation_split=0.2, subset="train", seed=1), "subset"),
    (dict(subset="training"), "validation_split"),
    (dict(validation_split=1.5, subset="training", seed=1), "validation_split"),
    (dict(labels=[0, 1, 2]), "lengths of `labels`"),
    (dict(image_size=(0, 3)), "image_size"),
    (dict(image_size=32), r"image_size=...\): expected \(height, width\)"),
    (dict(interpolation="cubic"), "interpolation"),
    (dict(batch_size=0), "batch_size"),
    (dict(bogus=1), "bogus"),
])
def test_image_dataset_argument_errors(kwargs, match):
    if match is None:        # binary with exactly two classes works
        ds = keras.utils.image_dataset_from_directory(tree("images"), image_size=(2, 2), **kwargs)
        assert ds.class_names == ["cats", "dogs"]
        return
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=match):
        keras.utils.image_dataset_from_directory(tree("images"), image_size=kwargs.pop("image_size", (2, 2)),
                                                 **kwargs)


def test_binary_needs_two_classes(tmp_path):
    root = _copy(tmp_path)
    (root / "birds").mkdir()
    shutil.copy(tree("images") + "/cats/c1.png", root / "birds" / "b.png")
    with pytest.raises(ValueError, match="exactly 2"):
        keras.utils.image_dataset_from_directory(str(root), label_mode="binary")


def test_class_names_set_the_label_order():
    ds = keras.utils.image_dataset_from_directory(tree("images"), class_names=["dogs", "cats"], image_size=(2, 2),
                                                  shuffle=False, batch_size=None)
    labels = [int(y) for _, y in ds.as_numpy_iterator()]
    assert ds.class_names == ["dogs", "cats"]
    assert labels == [1, 1, 1, 1, 0, 0, 0, 0, 0]


# -- texts --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", [("default", {}), ("max5", {"max_length": 5}),
                                          ("categorical", {"label_mode": "categorical"}),
                                          ("binary", {"label_mode": "binary"})])
def test_text_dataset_equals_tf_keras(name, kwargs):
    entry = INFO[f"txt_{name}"]
    ds = keras.utils.text_dataset_from_directory(tree("texts"), batch_size=3, shuffle=False, **kwargs)
    texts, labels = [], []
    for x, y in ds.as_numpy_iterator():
        assert x.dtype == object
        texts += [t.hex() for t in x]
        labels.append(y)
    assert texts == entry["texts"]
    y = np.concatenate(labels)
    np.testing.assert_array_equal(y, REF[f"txt_{name}_y"])
    assert y.dtype == REF[f"txt_{name}_y"].dtype
    assert ds.class_names == entry["class_names"]
    assert all(p.endswith(".txt") for p in ds.file_paths)


def test_text_subset_both_equals_tf_keras():
    expected = INFO["txt_split_both"]
    train, val = keras.utils.text_dataset_from_directory(tree("texts"), batch_size=2, seed=5, validation_split=0.4,
                                                         subset="both")
    assert sorted(t.hex() for x, _ in train.as_numpy_iterator() for t in x) == expected["train"]
    assert sorted(t.hex() for x, _ in val.as_numpy_iterator() for t in x) == expected["val"]
    assert train.class_names == expected["class_names"]


def test_text_batches_answer_numpy_like_tensors():
    ds = keras.utils.text_dataset_from_directory(tree("texts"), batch_size=2, shuffle=False)
    texts, labels = next(iter(ds))
    assert texts.numpy()[0] == b"Terrible film. Boring, too long!"
    assert labels.numpy().tolist() == [0, 0]


# -- audio --------------------------------------------------------------------------------------------------------

def test_audio_padded_batches_equal_tf_keras():
    ds = keras.utils.audio_dataset_from_directory(tree("audio"), batch_size=2, shuffle=False)
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == INFO["wav_padded_batches"]
    for i, (x, y) in enumerate(batches):
        np.testing.assert_array_equal(x, REF[f"wav_padded_{i}_x"])
        assert x.dtype == np.float32
        np.testing.assert_array_equal(y, REF[f"wav_padded_{i}_y"])


def test_audio_fixed_length_equals_tf_keras():
    ds = keras.utils.audio_dataset_from_directory(tree("audio"), batch_size=2, shuffle=False,
                                                  output_sequence_length=6, label_mode="categorical")
    x, y = _all(ds)
    np.testing.assert_array_equal(x, REF["wav_len6_x"])
    np.testing.assert_array_equal(y, REF["wav_len6_y"])
    assert ds.class_names == INFO["wav_class_names"]


@pytest.mark.parametrize("kwargs, match", [(dict(ragged=True), "ragged"), (dict(sampling_rate=16000), "sampling_rate"),
                                           (dict(ragged=True, output_sequence_length=4), "ragged"),
                                           (dict(output_sequence_length=0), "output_sequence_length")])
def test_audio_unsupported_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.utils.audio_dataset_from_directory(tree("audio"), **kwargs)


def test_audio_rejects_8_bit_wav_by_name(tmp_path):
    import wave
    (tmp_path / "a").mkdir()
    with wave.open(str(tmp_path / "a" / "eight.wav"), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(1)
        f.setframerate(8000)
        f.writeframes(bytes(range(10)))
    ds = keras.utils.audio_dataset_from_directory(str(tmp_path), batch_size=1)
    with pytest.raises(ValueError, match="eight.wav.*16-bit"):
        list(ds.as_numpy_iterator())


def test_jpeg_without_simplejpeg_is_close_and_grey_stays_exact(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "simplejpeg", None)       # import fails: Pillow decodes
    for key, entry in INFO["decode"].items():
        if not entry["path"].endswith((".jpg", ".jpeg")):
            continue
        with open(os.path.join(TREES, entry["path"]), "rb") as f:
            got = decode_image(f.read(), entry["channels"]).astype(int)
        difference = np.abs(got - REF[key]).max()
        if entry["channels"] == 1:
            assert difference == 0
        else:
            assert 0 < difference <= 8       # Pillow's libjpeg uses the accurate DCT, TensorFlow the fast one
