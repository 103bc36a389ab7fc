"""Preprocessing layers in use: the shared layer test, string inputs through models, training end to end from
raw strings and raw pixels with save / reload, tf.keras files that hold these layers, bad input, and
statistical checks of the random augmentations."""
import os

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from tests.kerasfront.layer_test_utils import layer_test

L = keras.layers
HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "preprocessing")
REF = np.load(os.path.join(HERE, "reference.npz"))


def arr(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


# -- the shared layer test ------------------------------------------------------------------------------------------
STRINGS = np.array([["a b"], ["c a"], ["d"]], dtype=object)


@pytest.mark.parametrize("cls,kwargs,data,shape,grad", [
    (L.Normalization, {"mean": [1.0, 2.0], "variance": [4.0, 1.0]}, np.random.default_rng(0).random((3, 2)),
     (None, 2), True),
    (L.Rescaling, {"scale": 0.5, "offset": 1.0}, np.random.default_rng(0).random((2, 3, 3, 2)), (None, 3, 3, 2), True),
    (L.Resizing, {"height": 2, "width": 5, "interpolation": "bicubic"}, np.random.default_rng(0).random((2, 4, 4, 1)),
     (None, 2, 5, 1), True),
    (L.CenterCrop, {"height": 2, "width": 2}, np.random.default_rng(0).random((2, 4, 3, 1)), (None, 2, 2, 1), True),
    (L.Discretization, {"bin_boundaries": [0.2, 0.6]}, np.random.default_rng(0).random((3, 2)), (None, 2), False),
    (L.CategoryEncoding, {"num_tokens": 4, "output_mode": "count"}, np.array([[0, 1, 1], [3, 2, 0]]), (None, 4), False),
    (L.Hashing, {"num_bins": 5}, STRINGS, (None, 1), False),
    (L.StringLookup, {"vocabulary": ["a b", "d"]}, STRINGS, (None, 1), False),
    (L.IntegerLookup, {"vocabulary": [4, 9], "output_mode": "multi_hot"}, np.array([[4, 1], [9, 9], [0, 0]]),
     (None, 3), False),
    (L.TextVectorization, {"vocabulary": ["a", "b", "c"], "output_sequence_length": 3}, STRINGS, (None, 3), False),
    (L.RandomFlip, {"seed": 1}, np.random.default_rng(0).random((2, 3, 3, 1)), (None, 3, 3, 1), True),
    (L.RandomRotation, {"factor": 0.2, "seed": 1}, np.random.default_rng(0).random((2, 4, 4, 1)), (None, 4, 4, 1), True),
    (L.RandomZoom, {"height_factor": 0.2, "seed": 1}, np.random.default_rng(0).random((2, 4, 4, 1)), (None, 4, 4, 1),
     True),
    (L.RandomTranslation, {"height_factor": 0.2, "width_factor": 0.1, "seed": 1},
     np.random.default_rng(0).random((2, 4, 4, 1)), (None, 4, 4, 1), True),
    (L.RandomContrast, {"factor": 0.3, "seed": 1}, np.random.default_rng(0).random((2, 4, 4, 1)), (None, 4, 4, 1),
     True),
    (L.RandomBrightness, {"factor": 0.3, "seed": 1}, np.random.default_rng(0).random((2, 4, 4, 1)), (None, 4, 4, 1),
     True),
    (L.RandomCrop, {"height": 2, "width": 3, "seed": 1}, np.random.default_rng(0).random((2, 4, 4, 1)),
     (None, 2, 3, 1), True),
    (L.RandomHeight, {"factor": 0.3, "seed": 1}, np.random.default_rng(0).random((2, 4, 4, 1)), (None, None, 4, 1),
     True),
    (L.RandomWidth, {"factor": 0.3, "seed": 1}, np.random.default_rng(0).random((2, 4, 4, 1)), (None, 4, None, 1),
     True),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_shared_layer_test(cls, kwargs, data, shape, grad):
    if data.dtype.kind == "f":
        data = data.astype(np.float32)
    random = cls.__name__.startswith("Random")     # inference: the identity (or RandomCrop's resize)
    layer_test(cls, kwargs, input_data=data, expected_output_shape=shape, expected_num_trainable_weights=0,
               gradcheck=grad, call_kwargs={"training": False} if random else None)


def test_hashed_crossing_layer_test():
    layer_test(L.HashedCrossing, {"num_bins": 7}, input_shape=[(3, 1), (3, 1)], input_dtype=["int64", "int64"],
               expected_output_shape=(None, 1), gradcheck=False)


def test_augmentations_are_differentiable_when_training():
    x = np.random.default_rng(1).random((2, 5, 5, 2))
    for layer in (L.RandomRotation(0.2, seed=3, dtype="float64"), L.RandomZoom(0.3, seed=3, dtype="float64"),
                  L.RandomFlip(seed=3, dtype="float64")):
        seed_state = layer._rng.bit_generator.state

        def fn(t, layer=layer, seed_state=seed_state):
            layer._rng.bit_generator.state = seed_state     # the same draw each time
            return layer(t, training=True)
        ag.gradcheck(fn, x)


# -- string inputs through models -----------------------------------------------------------------------------------
def test_string_input_flows_through_fit_evaluate_predict():
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(1,), dtype="string")
    assert inp.dtype == "string"
    x = L.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot")(inp)
    out = L.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inp, out)
    model.compile("adam", "binary_crossentropy")
    words = np.array(["a", "b", "c", "zz"] * 8)
    y = (words == "a").astype("float32")
    history = model.fit(words, y, epochs=3, batch_size=8, verbose=0)      # a 1-D array of str, last axis added
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(model.evaluate(words[:, None], y, verbose=0))
    assert model.predict(list(words[:4]), verbose=0).shape == (4, 1)      # a list of str
    assert model(np.array([[b"a"], [b"b"]])).shape == (2, 1)              # bytes are decoded


def test_string_outputs_and_sequential_from_strings():
    model = keras.Sequential([L.StringLookup(vocabulary=["x", "y"]), L.Lambda(lambda t: t * 10)])
    assert model.predict(np.array([["y"], ["q"]]), verbose=0).ravel().tolist() == [20, 0]
    inp = keras.Input((2,), dtype="int64")
    inverse = keras.Model(inp, L.StringLookup(vocabulary=["x", "y"], invert=True)(inp))
    assert inverse.output.dtype == "string"
    assert inverse.predict(np.array([[1, 2], [0, 1]]), verbose=0).tolist() == [["x", "y"], ["[UNK]", "x"]]


def test_string_and_number_mismatches_are_named():
    inp = keras.Input((1,), dtype="string")
    model = keras.Model(inp, L.Hashing(4)(inp))
    with pytest.raises(TypeError, match="dtype string"):
        model.predict(np.array([[1.0]]), verbose=0)
    num = keras.Input((1,))
    dense = keras.Model(num, L.Dense(1)(num))
    with pytest.raises(TypeError, match="strings"):
        dense.predict(np.array([["a"]]), verbose=0)
    with pytest.raises(TypeError, match="preprocessing layers"):
        L.Dense(1)(np.array([["a"]]))


# -- end to end: raw strings, raw pixels -------------------------------------------------------------------------
def _text_data(n=96):
    rng = np.random.default_rng(0)
    good = ["great", "fine", "love", "nice"]
    bad = ["awful", "bad", "hate", "poor"]
    texts, labels = [], []
    for i in range(n):
        pos = i % 2 == 0
        words = list(rng.choice(good if pos else bad, 3)) + list(rng.choice(["the", "a", "movie", "film"], 2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + "!")
        labels.append(float(pos))
    return np.array(texts), np.array(labels, np.float32)


@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_text_classifier_trains_from_raw_strings_and_reloads(tmp_path, ext):
    keras.utils.set_random_seed(1)
    texts, labels = _text_data()
    vectorize = L.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(texts)
    inp = keras.Input((1,), dtype="string")
    x = L.Embedding(20, 8)(vectorize(inp))
    x = L.GlobalAveragePooling1D()(x)
    out = L.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inp, out)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(texts, labels, epochs=25, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    path = str(tmp_path / f"text{ext}")
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(texts, verbose=0), model.predict(texts, verbose=0), rtol=1e-6)
    assert reloaded.layers[1].get_vocabulary() == vectorize.get_vocabulary()


@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_image_model_trains_from_raw_pixels_and_reloads(tmp_path, ext):
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(0)
    labels = (np.arange(64) % 2).astype("float32")
    pixels = (rng.integers(0, 156, (64, 6, 6, 3)) + 100 * labels[:, None, None, None]).astype("uint8")
    norm = L.Normalization()
    norm.adapt(pixels.reshape(-1, 3).astype("float32") / 255.0)
    inp = keras.Input((6, 6, 3))
    x = L.Rescaling(1 / 255.0)(inp)
    x = norm(x)
    x = L.RandomFlip("horizontal", seed=3)(x)
    x = L.GlobalAveragePooling2D()(x)
    out = L.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(pixels, labels, epochs=20, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.85
    path = str(tmp_path / f"img{ext}")
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(pixels, verbose=0), model.predict(pixels, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(reloaded.layers[2].mean.numpy().ravel(), norm.mean.numpy().ravel())


# -- files written by tf.keras ---------------------------------------------------------------------------------------
def test_tf_keras_h5_with_preprocessing_layers_loads_and_predicts_the_same():
    model = keras.models.load_model(os.path.join(HERE, "tf_keras_model.h5"), compile=False)
    texts = np.array([["the cat sat"], ["a dog ran far"], ["the end"], ["cats and dogs"]])
    table = REF["norm_table"]
    outs = model.predict([texts, table[:4], REF["img"][:1].repeat(4, axis=0), table[:4, :1]], verbose=0)
    for i, got in enumerate(outs):
        np.testing.assert_allclose(got, REF[f"tf_model_h5_out{i}"], rtol=1e-5, atol=1e-6)


def test_tf_keras_keras_file_with_adapted_lookups_loads_and_predicts_the_same():
    model = keras.models.load_model(os.path.join(HERE, "tf_keras_model.keras"), compile=False)
    outs = model.predict([REF["tf_model_keras_word"], REF["tf_model_keras_ids"]], verbose=0)
    for i, got in enumerate(outs):
        np.testing.assert_allclose(got, REF[f"tf_model_keras_out{i}"], rtol=1e-6)


# -- bad input changes nothing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [L.Normalization(), L.Discretization(num_bins=3), L.StringLookup(),
                                   L.IntegerLookup(), L.TextVectorization()], ids=lambda la: type(la).__name__)
def test_adapt_on_empty_data_raises_and_changes_nothing(layer):
    with pytest.raises(ValueError, match="no data"):
        layer.adapt(np.zeros((0, 2)) if type(layer).__name__ in ("Normalization", "Discretization", "IntegerLookup")
                    else np.array([], dtype=str))
    with pytest.raises(ValueError, match="no data"):
        layer.adapt(iter([]))
    assert not layer.is_adapted and not layer.built


def test_lookups_without_oov_indices_take_symbolic_inputs():
    # a symbolic call must not run the layer on placeholder values: they are out of the vocabulary
    words, ids = keras.Input((1,), dtype="string"), keras.Input((1,), dtype="int64")
    model = keras.Model([words, ids], [L.StringLookup(vocabulary=["x", "y"], num_oov_indices=0)(words),
                                       L.IntegerLookup(vocabulary=[7, 9], num_oov_indices=0, output_mode="one_hot")(ids)])
    assert [tuple(o.shape) for o in model.outputs] == [(None, 1), (None, 2)]
    a, b = model.predict([np.array([["y"], ["x"]]), np.array([[9], [7]])], verbose=0)
    assert a.ravel().tolist() == [1, 0] and b.tolist() == [[0, 1], [1, 0]]


def test_failed_build_in_adapt_is_undone():
    # the first adapt builds the layer; when it fails after building, the layer is unbuilt again, with no weights
    norm = L.Normalization()
    with pytest.raises(ValueError, match="shape"):
        norm.adapt(iter([np.ones((2, 2)), np.ones((2, 3))]))     # built on the first batch, the second does not fit
    assert not norm.built and norm.weights == []
    norm.adapt(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert len(norm.weights) == 3


def test_failed_adapt_leaves_the_previous_state():
    lookup = L.StringLookup()
    lookup.adapt(np.array(["a", "b", "a"]))
    before = lookup.get_vocabulary()
    with pytest.raises(TypeError, match="strings"):
        lookup.adapt(np.array([1.0, 2.0]))
    assert lookup.get_vocabulary() == before
    norm = L.Normalization()
    norm.adapt(np.array([[1.0, 2.0], [3.0, 4.0]]))
    mean = norm.mean.numpy().copy()
    with pytest.raises(ValueError, match="NaN"):
        norm.adapt(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="shape"):
        norm.adapt(np.ones((2, 3)))
    np.testing.assert_array_equal(norm.mean.numpy(), mean)
    assert int(norm.count.numpy()) == 2


def test_bad_vocabularies_raise_and_change_nothing(tmp_path):
    layer = L.StringLookup(vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="repeated term.*'x'"):
        layer.set_vocabulary(["x", "y", "x"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        layer.set_vocabulary([])
    with pytest.raises(ValueError, match="mask token"):
        L.StringLookup(mask_token="", vocabulary=["a", ""])
    with pytest.raises(ValueError, match="larger than the maximum"):
        layer2 = L.StringLookup(max_tokens=3)
        layer2.set_vocabulary(["a", "b", "c"])
    with pytest.raises(ValueError, match="does not exist"):
        layer.set_vocabulary(str(tmp_path / "missing.txt"))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n", encoding="utf-8")
    layer.set_vocabulary(str(path))
    assert layer.get_vocabulary() == ["[UNK]", "x", "y", "z"]
    with pytest.raises(ValueError, match="Cannot adapt"):
        layer.adapt(np.array(["q"]))


@pytest.mark.parametrize("make,match", [
    (lambda: L.Normalization(mean=1.0), "both `mean` and `variance`"),
    (lambda: L.Normalization(axis="x"), "axis"),
    (lambda: L.Discretization(num_bins=3, bin_boundaries=[0.0]), "Both"),
    (lambda: L.Discretization(bin_boundaries=[1.0, 0.0]), "sorted"),
    (lambda: L.CategoryEncoding(), "num_tokens must be set"),
    (lambda: L.Hashing(0), "num_bins"),
    (lambda: L.Hashing(3, salt="x"), "salt"),
    (lambda: L.Hashing(3, sparse=True), "sparse"),
    (lambda: L.StringLookup(output_mode="bag"), "output_mode"),
    (lambda: L.StringLookup(invert=True, output_mode="count"), "invert"),
    (lambda: L.IntegerLookup(max_tokens=1), "max_tokens"),
    (lambda: L.TextVectorization(output_mode="count", output_sequence_length=3), "output_sequence_length"),
    (lambda: L.TextVectorization(standardize="upper"), "standardize"),
    (lambda: L.TextVectorization(ragged=True), "ragged"),
    (lambda: L.Resizing(2, 2, interpolation="cubic"), "interpolation"),
    (lambda: L.RandomRotation(0.1, fill_mode="mirror"), "fill_mode"),
    (lambda: L.RandomRotation(0.1, interpolation="bicubic"), "interpolation"),
    (lambda: L.RandomFlip("diagonal"), "mode"),
    (lambda: L.RandomTranslation(2.0, 0.0), "height_factor"),
    (lambda: L.RandomContrast(-0.1), "factor"),
    (lambda: L.RandomBrightness(2.0), "factor"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=match):
        make()


@pytest.mark.parametrize("make", [
    lambda: L.CategoryEncoding(3, sparse=True),
    lambda: L.Hashing(3, output_mode="one_hot", sparse=True),
    lambda: L.HashedCrossing(3, output_mode="one_hot", sparse=True),
    lambda: L.Discretization(bin_boundaries=[0.0], output_mode="one_hot", sparse=True),
    lambda: L.StringLookup(vocabulary=["a"], output_mode="multi_hot", sparse=True),
    lambda: L.IntegerLookup(vocabulary=[1], output_mode="multi_hot", sparse=True),
    lambda: L.TextVectorization(output_mode="multi_hot", sparse=True),
], ids=["CategoryEncoding", "Hashing", "HashedCrossing", "Discretization", "StringLookup", "IntegerLookup",
        "TextVectorization"])
def test_sparse_true_is_refused_naming_the_layer_and_the_argument(make):
    """Every tf.keras preprocessing layer that takes ``sparse`` refuses ``sparse=True`` (no sparse tensors here)
    with the dense spelling that gives the same values."""
    with pytest.raises(ValueError, match=r"\w+\(sparse=True\): kerasfront has no sparse tensors; use sparse=False"):
        make()


def test_bad_call_inputs_are_named():
    with pytest.raises(ValueError, match="num_tokens"):
        L.CategoryEncoding(3)(np.array([[0, 5]]))
    with pytest.raises(TypeError, match="strings or integers|string or integer"):
        L.Hashing(3)(np.array([[0.5]]))
    with pytest.raises(RuntimeError, match="vocabulary before calling"):
        L.StringLookup(output_mode="multi_hot")(np.array([["a"]]))
    with pytest.raises(ValueError, match="at least two inputs"):
        L.HashedCrossing(3)([np.array([1])])
    with pytest.raises(ValueError, match="rank"):
        L.Resizing(2, 2)(np.ones((2, 3)))


# -- statistics of the random augmentations ---------------------------------------------------------------------
def test_random_flip_flips_each_image_with_probability_one_half():
    x = np.random.default_rng(0).random((4000, 2, 3, 1)).astype("float32")
    out = L.RandomFlip("horizontal", seed=5)(x, training=True).numpy()
    flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(out == x, axis=(1, 2, 3))
    assert np.all(flipped | kept)
    assert abs(flipped.mean() - 0.5) < 0.03
    both = L.RandomFlip(seed=5)(x, training=True).numpy()
    vertical = np.all(both == x[:, ::-1], axis=(1, 2, 3)) | np.all(both == x[:, ::-1, ::-1], axis=(1, 2, 3))
    assert abs(vertical.mean() - 0.5) < 0.03
    np.testing.assert_array_equal(L.RandomFlip(seed=5)(x, training=False).numpy(), x)


def test_seeded_augmentations_repeat_and_inference_is_the_identity():
    x = np.random.default_rng(0).random((3, 8, 8, 2)).astype("float32")
    for make in (lambda: L.RandomRotation(0.3, seed=9), lambda: L.RandomZoom(0.3, seed=9),
                 lambda: L.RandomTranslation(0.2, 0.2, seed=9), lambda: L.RandomContrast(0.4, seed=9),
                 lambda: L.RandomBrightness(0.2, seed=9), lambda: L.RandomCrop(5, 5, seed=9)):
        a, b = make(), make()
        np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
        if not isinstance(a, L.RandomCrop):
            np.testing.assert_array_equal(a(x, training=False).numpy(), x)
            assert not np.allclose(a(x, training=True).numpy(), x)


def test_random_rotation_angles_are_uniform_in_the_range():
    # a rotated image of a small bright square shows where it went: its angle about the center
    size = 41
    x = np.zeros((600, size, size, 1), "float32")
    x[:, 19:22, 34:37, 0] = 1.0                 # 15 pixels right of the center
    out = L.RandomRotation(0.125, fill_mode="constant", seed=2)(x, training=True).numpy()[..., 0]
    rows, cols = np.mgrid[:size, :size] - 20
    total = out.sum(axis=(1, 2))
    ys = (out * rows).sum(axis=(1, 2)) / total
    xs = (out * cols).sum(axis=(1, 2)) / total
    angles = np.arctan2(-ys, xs) / (2 * np.pi)
    assert angles.min() > -0.13 and angles.max() < 0.13
    assert abs(angles.mean()) < 0.015 and abs(np.std(angles) - 0.25 / np.sqrt(12)) < 0.01


def test_random_crop_positions_and_translation_shifts_are_uniform():
    x = np.arange(10, dtype="float32").reshape(1, 1, 10, 1)
    layer = L.RandomCrop(1, 1, seed=4)
    starts = [int(layer(x, training=True).numpy().ravel()[0]) for _ in range(2000)]
    counts = np.bincount(starts, minlength=10)
    assert counts.min() > 150 and counts.max() < 250
    img = np.zeros((2000, 1, 21, 1), "float32")
    img[:, 0, 10, 0] = 1.0
    out = L.RandomTranslation(0.0, 0.2, fill_mode="constant", interpolation="nearest", seed=4)(img, training=True)
    shifts = np.argmax(out.numpy()[:, 0, :, 0], axis=1) - 10
    assert shifts.min() >= -5 and shifts.max() <= 5 and abs(shifts.mean()) < 0.2


def test_random_contrast_and_brightness_draws_cover_their_ranges():
    x = np.random.default_rng(0).uniform(50, 150, (1, 6, 6, 1)).astype("float32")
    layer = L.RandomContrast((0.2, 0.5), seed=6)
    mean = x.mean()
    factors = []
    for _ in range(400):
        out = layer(x, training=True).numpy()
        factors.append(np.polyfit((x - mean).ravel(), (out - mean).ravel(), 1)[0])
    factors = np.array(factors)
    assert factors.min() >= 0.8 - 1e-4 and factors.max() <= 1.5 + 1e-4
    assert abs(factors.mean() - 1.15) < 0.03
    pixels = np.full((3000, 1, 1, 1), 100.0, "float32")
    deltas = L.RandomBrightness((-0.1, 0.3), seed=6)(pixels, training=True).numpy().ravel() - 100.0
    assert deltas.min() >= -25.5 - 1e-3 and deltas.max() <= 76.5 + 1e-3
    assert abs(deltas.mean() - 25.5) < 2.0


def test_random_contrast_uses_each_images_channel_means_and_clips_to_0_255():
    """tf.keras's RandomContrast is tf.image.random_contrast (one factor per call, each image's and channel's
    mean over height and width) followed by a clip to [0, 255]; a draw cannot be fixed in tf.keras (a factor range
    of width 0 is the identity), so the formula is checked here on the factor each call drew."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 255, (3, 5, 4, 2)).astype("float32")
    x[0, :, :, 1] = rng.uniform(100, 110, (5, 4))            # an unclipped channel: the drawn factor shows there
    layer = L.RandomContrast((0.0, 0.9), seed=11)              # factors in [1, 1.9]: the other channels clip
    for _ in range(3):
        out = layer(x, training=True).numpy()
        channel = x[0, :, :, 1]
        factor = np.polyfit((channel - channel.mean()).ravel(), (out[0, :, :, 1] - channel.mean()).ravel(), 1)[0]
        assert 1.0 - 1e-4 <= factor <= 1.9 + 1e-4
        mean = x.mean(axis=(1, 2), keepdims=True)
        expected = np.clip((x - mean) * factor + mean, 0.0, 255.0)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)
        assert out.min() == 0.0 and out.max() == 255.0          # the clip was reached


def test_augmentations_run_in_fit_and_not_in_predict():
    keras.utils.set_random_seed(0)
    seen = []

    class Spy(L.Layer):
        def call(self, inputs):
            seen.append(inputs.numpy().copy())
            return inputs

    inp = keras.Input((1, 4, 1))
    flipped = L.RandomFlip("horizontal", seed=1)(inp)
    model = keras.Model(inp, L.Dense(1)(L.Flatten()(Spy()(flipped))))
    model.compile("sgd", "mse")
    x = np.tile(np.arange(4, dtype="float32").reshape(1, 1, 4, 1), (64, 1, 1, 1))
    model.fit(x, np.zeros(64), batch_size=64, epochs=1, verbose=0)
    trained = seen[-1]
    assert 0 < np.mean(trained[:, 0, 0, 0] == 3) < 1
    model.predict(x, batch_size=64, verbose=0)
    np.testing.assert_array_equal(seen[-1], x)


def test_up_sampling_and_resize_images_share_the_kernel():
    x = np.random.default_rng(0).random((1, 3, 4, 2)).astype("float32")
    for method in ("bilinear", "bicubic", "area", "lanczos3"):
        up = L.UpSampling2D((2, 3), interpolation=method)(x).numpy()
        np.testing.assert_allclose(up, ag.resize(x, (6, 12), method=method).numpy(), rtol=1e-6)
        np.testing.assert_allclose(keras.backend.resize_images(x, 2, 3, "channels_last", method).numpy(), up)


@pytest.mark.parametrize("name", ["kerasfront.layers.preprocessing.base", "kerasfront.layers.preprocessing.numeric",
                                  "kerasfront.layers.preprocessing.hashing", "kerasfront.layers.preprocessing.lookup",
                                  "kerasfront.layers.preprocessing.text", "kerasfront.layers.preprocessing.image",
                                  "kerasfront.engine.strings", "autograd.ops.image"])
def test_docstring_examples(name):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(name), extraglobs={"np": np, "ag": ag, "kerasfront": keras},
                             report=False, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 5, f"{name}: {result}"


@pytest.mark.parametrize("module, make, extra", [
    ("farmhash", lambda: L.Hashing(3), "hashing"),
    ("siphashc", lambda: L.Hashing(3, salt=5), "hashing"),
    ("PIL", lambda: keras.utils.load_img("any.png"), "image"),
])
def test_missing_optional_packages_name_their_extra(monkeypatch, module, make, extra):
    import sys
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf'pip install "kerasfront\[{extra}\]"'):
        make()


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("shape", [(2, 5, 4, 3), (3, 6, 2), (2, 5, 4, 20)])   # few channels (the row loop), many
def test_normalization_of_a_few_channels_is_the_per_channel_formula_exactly(shape, invert):
    rng = np.random.default_rng(3)
    x = (rng.random(shape) * 255).astype(np.float32)
    mean, var = rng.random(shape[-1]) * 100, rng.random(shape[-1]) * 50 + 1
    layer = L.Normalization(mean=mean, variance=var, invert=invert)
    xt = ag.tensor(x, requires_grad=True)
    y = layer(xt)
    m = mean.astype(np.float32)
    sd = np.sqrt(var.astype(np.float32))
    want = m + x * sd if invert else (x - m) / sd
    np.testing.assert_array_equal(arr(y), want)
    assert arr(y).shape == shape
    (g,) = ag.gradients(ag.sum(y * np.arange(y.size, dtype=np.float32).reshape(shape)), [xt])
    np.testing.assert_allclose(g.data, np.arange(y.size, dtype=np.float32).reshape(shape) * (sd if invert else 1 / sd),
                               rtol=1e-6)


@pytest.mark.parametrize("axis", [None, 1, (1, 3)])
def test_normalization_over_other_axes_of_images_keeps_its_broadcast(axis):
    # only statistics of the last axis alone take the row loop; a scalar or other axes broadcast as given
    x = (np.random.default_rng(4).random((2, 5, 4, 3)) * 10).astype(np.float32)
    layer = L.Normalization(axis=axis)
    layer.adapt(x)
    keep = () if axis is None else ((axis,) if isinstance(axis, int) else axis)
    reduce = tuple(a for a in range(4) if a not in keep)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axis=reduce, keepdims=True), x64.var(axis=reduce, keepdims=True)
    np.testing.assert_allclose(arr(layer(x)), (x - mean) / np.sqrt(var), rtol=2e-5, atol=2e-5)
