"""keras.preprocessing.image and the image helpers against tf.keras 2.21: ImageDataGenerator transforms with
given parameters, its random draws for the same numpy seeds, flow / flow_from_directory / flow_from_dataframe
batches, fit's feature-wise statistics and ZCA; load_img / img_to_array / array_to_img / save_img;
tf.image.resize's eight kernels and smart_resize."""
import os

import numpy as np
import pandas as pd
import pytest

import kerasfront as keras
from kerasfront.preprocessing import image
from kerasfront.utils import image_resize
from kerasfront.utils.image_resize import INTERPOLATIONS, resize_images, resize_weights

from .data_fixtures import INFO, REF, tree

X = REF["idg_x"]
Y = REF["idg_y"]
PARAMS = INFO["idg_params"]


def _full_generator():
    full = dict(INFO["idg_full"])
    full["brightness_range"] = tuple(full["brightness_range"])
    return image.ImageDataGenerator(**full)


@pytest.mark.parametrize("fill", ["nearest", "constant", "reflect", "wrap"])
@pytest.mark.parametrize("index", range(8))
def test_apply_transform_equals_tf_keras(fill, index):
    gen = image.ImageDataGenerator(fill_mode=fill, cval=7.0)
    out = gen.apply_transform(X[index % 6].copy(), PARAMS[index])
    np.testing.assert_allclose(out, REF[f"idg_apply_{fill}_{index}"], rtol=1e-5, atol=1e-3)


def test_apply_transform_channels_first_and_spline_order():
    gen = image.ImageDataGenerator(data_format="channels_first")
    np.testing.assert_allclose(gen.apply_transform(X[0].transpose(2, 0, 1).copy(), PARAMS[4]), REF["idg_apply_cf"],
                               rtol=1e-5, atol=1e-3)
    gen = image.ImageDataGenerator(interpolation_order=3)
    np.testing.assert_allclose(gen.apply_transform(X[1].copy(), PARAMS[0]), REF["idg_apply_order3"], rtol=1e-5,
                               atol=1e-3)


def test_random_transform_parameters_equal_tf_keras_for_the_same_seed():
    gen = _full_generator()
    for seed, expected in zip((0, 1, 2), INFO["idg_random_params"]):
        got = gen.get_random_transform((7, 8, 3), seed=seed)
        assert {k: (None if v is None else pytest.approx(float(v))) for k, v in got.items()} == expected
    listgen = image.ImageDataGenerator(width_shift_range=[-2, 0, 3], height_shift_range=0.1)
    for seed, expected in zip((3, 4), INFO["idg_random_params_list"]):
        got = listgen.get_random_transform((7, 8, 3), seed=seed)
        assert {k: (None if v is None else pytest.approx(float(v))) for k, v in got.items()} == expected


def test_flow_batches_equal_tf_keras():
    gen = _full_generator()
    it = gen.flow(X, Y, batch_size=4, shuffle=True, seed=1)
    for i in range(3):
        bx, by = next(it)
        np.testing.assert_allclose(bx, REF[f"idg_flow_next_{i}_x"], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(by, REF[f"idg_flow_next_{i}_y"])
    it = gen.flow(X, Y, batch_size=4, shuffle=True, seed=5)
    np.random.seed(0)
    for i in range(len(it)):
        bx, by = it[i]
        np.testing.assert_allclose(bx, REF[f"idg_flow_item_{i}_x"], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(by, REF[f"idg_flow_item_{i}_y"])


def test_flow_with_extra_inputs_sample_weights_and_subsets():
    it = image.ImageDataGenerator().flow([X, np.arange(6) * 2], Y, sample_weight=np.arange(6) / 10.0, batch_size=5,
                                         shuffle=False)
    (bx, bm), by, bw = next(it)
    np.testing.assert_array_equal(bx, REF["idg_flow_misc_x"])
    np.testing.assert_array_equal(bm, REF["idg_flow_misc_m"])
    np.testing.assert_array_equal(bw, REF["idg_flow_misc_w"])
    split = image.ImageDataGenerator(validation_split=0.5)
    ys = np.array([0, 1, 0, 1, 0, 1])
    for subset in ("training", "validation"):
        bx, by = next(split.flow(X, ys, batch_size=6, shuffle=False, subset=subset))
        np.testing.assert_array_equal(bx, REF[f"idg_subset_{subset}_x"])
        np.testing.assert_array_equal(by, REF[f"idg_subset_{subset}_y"])
    with pytest.raises(ValueError, match="different number of classes"):
        split.flow(X, np.array([0, 0, 0, 1, 1, 1]), subset="training")


def test_fit_statistics_equal_tf_keras():
    stats = image.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    stats.fit(X)
    np.testing.assert_allclose(stats.mean, REF["idg_fit_mean"], rtol=1e-6)
    np.testing.assert_allclose(stats.std, REF["idg_fit_std"], rtol=1e-6)
    np.testing.assert_allclose(stats.standardize(X[:2].copy()), REF["idg_fit_standardized"], rtol=1e-5, atol=1e-5)
    aug = image.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rotation_range=10,
                                   horizontal_flip=True, rescale=0.5)
    aug.fit(X, augment=True, rounds=2, seed=3)
    np.testing.assert_allclose(aug.mean, REF["idg_fitaug_mean"], rtol=1e-5)
    np.testing.assert_allclose(aug.std, REF["idg_fitaug_std"], rtol=1e-5)
    zca = image.ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-3)
    zca.fit(REF["idg_zca_x"])
    np.testing.assert_allclose(zca.zca_whitening_matrix, REF["idg_zca_matrix"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(zca.standardize(REF["idg_zca_x"].copy()), REF["idg_zca_standardized"], rtol=1e-3,
                               atol=1e-3)
    sample = image.ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    np.testing.assert_allclose(sample.standardize(X[:2].copy()), REF["idg_samplewise"], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="rank 4"):
        stats.fit(X[0])


def test_random_functions_equal_tf_keras_for_the_same_seed():
    np.random.seed(3)
    checks = [("idg_fn_rotation", lambda: image.random_rotation(X[0].copy(), 40, row_axis=0, col_axis=1,
                                                                channel_axis=2)),
              ("idg_fn_shift", lambda: image.random_shift(X[0].copy(), 0.2, 0.3, row_axis=0, col_axis=1,
                                                          channel_axis=2)),
              ("idg_fn_shear", lambda: image.random_shear(X[0].copy(), 20, row_axis=0, col_axis=1, channel_axis=2)),
              ("idg_fn_zoom", lambda: image.random_zoom(X[0].copy(), (0.7, 1.2), row_axis=0, col_axis=1,
                                                        channel_axis=2)),
              ("idg_fn_channel_shift", lambda: image.random_channel_shift(X[0].copy(), 30.0, channel_axis=2)),
              ("idg_fn_brightness", lambda: image.random_brightness(X[0].copy(), (0.5, 1.5)))]
    for key, fn in checks:
        np.testing.assert_allclose(fn(), REF[key], rtol=1e-5, atol=1e-3, err_msg=key)
    np.testing.assert_allclose(image.apply_brightness_shift(X[1].copy() * 2 - 100, 1.3, scale=False),
                               REF["idg_fn_brightness_noscale"], rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name, kwargs", [
    ("categorical", dict(class_mode="categorical")), ("binary", dict(class_mode="binary")),
    ("sparse_gray", dict(class_mode="sparse", color_mode="grayscale")),
    ("input_bilinear", dict(class_mode="input", interpolation="bilinear")),
    ("none_keep", dict(class_mode=None, keep_aspect_ratio=True, interpolation="bicubic"))])
def test_flow_from_directory_equals_tf_keras(name, kwargs):
    it = image.ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(tree("images"), target_size=(5, 4),
                                                                         batch_size=20, shuffle=False, **kwargs)
    entry = INFO[f"ffd_{name}"]
    assert [f.replace(os.sep, "/") for f in it.filenames] == entry["filenames"]
    assert it.class_indices == entry["class_indices"] and it.classes.tolist() == entry["classes"]
    batch = next(it)
    x = batch[0] if isinstance(batch, tuple) else batch
    np.testing.assert_allclose(x, REF[f"ffd_{name}_x"], rtol=1e-6, atol=1e-6)
    if isinstance(batch, tuple):
        np.testing.assert_array_equal(batch[1], REF[f"ffd_{name}_y"])


def test_flow_from_directory_with_augmentation_and_subsets_equal_tf_keras():
    it = _full_generator().flow_from_directory(tree("images"), target_size=(6, 6), batch_size=3, shuffle=True,
                                               seed=2, class_mode="sparse")
    for i in range(2):
        bx, by = next(it)
        np.testing.assert_allclose(bx, REF[f"ffd_aug_{i}_x"], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(by, REF[f"ffd_aug_{i}_y"])
    split = image.ImageDataGenerator(validation_split=0.5)
    for subset in ("training", "validation"):
        it = split.flow_from_directory(tree("images"), target_size=(3, 3), shuffle=False, subset=subset)
        assert [f.replace(os.sep, "/") for f in it.filenames] == INFO[f"ffd_subset_{subset}"]


@pytest.mark.parametrize("name, kwargs", [("categorical", dict(y_col="label")),
                                          ("binary_weighted", dict(y_col="label", class_mode="binary",
                                                                   weight_col="w")),
                                          ("raw", dict(y_col="score", class_mode="raw"))])
def test_flow_from_dataframe_equals_tf_keras(name, kwargs):
    df = pd.DataFrame(INFO["dataframe"])
    with pytest.warns(UserWarning, match="2 invalid image filename"):
        it = image.ImageDataGenerator(rescale=1 / 255.0).flow_from_dataframe(
            df, directory=tree("images"), x_col="file", target_size=(4, 4), shuffle=False, batch_size=10, **kwargs)
    assert it.filenames == INFO[f"ffdf_{name}"]["filenames"]
    batch = next(it)
    np.testing.assert_allclose(batch[0], REF[f"ffdf_{name}_x"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(batch[1], REF[f"ffdf_{name}_y"])
    if f"ffdf_{name}_w" in REF:
        np.testing.assert_array_equal(batch[2], REF[f"ffdf_{name}_w"])


def test_flow_trains_a_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Flatten(input_shape=(7, 8, 3)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(_full_generator().flow(X, Y, batch_size=3, seed=0), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("kwargs, match", [(dict(zoom_range="big"), "zoom_range"),
                                           (dict(brightness_range=0.5), "brightness_range"),
                                           (dict(data_format="nhwc"), "data_format"),
                                           (dict(validation_split=1.5), "validation_split"),
                                           (dict(fill_mode="mirror"), "fill_mode")])
def test_image_data_generator_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        image.ImageDataGenerator(**kwargs)


def test_iterator_argument_errors():
    gen = image.ImageDataGenerator()
    with pytest.raises(ValueError, match="rank 4"):
        gen.flow(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="same length"):
        gen.flow(X, Y[:2])
    with pytest.raises(ValueError, match="class_mode"):
        gen.flow_from_directory(tree("images"), class_mode="onehot")
    with pytest.raises(ValueError, match="color mode"):
        gen.flow_from_directory(tree("images"), color_mode="cmyk")


# -- image files --------------------------------------------------------------------------------------------------

FILES = {"png": ("images", "cats", "c1.png"), "jpg": ("images", "cats", "c2.jpg"),
         "gray": ("images", "cats", "c3.PNG"), "rgba": ("images", "dogs", "d2.png")}


@pytest.mark.parametrize("name", sorted(FILES))
def test_load_img_and_img_to_array_equal_tf_keras(name):
    path = os.path.join(tree(FILES[name][0]), *FILES[name][1:])
    for mode in ("rgb", "grayscale", "rgba"):
        got = keras.utils.img_to_array(keras.utils.load_img(path, color_mode=mode))
        np.testing.assert_array_equal(got, REF[f"load_{name}_{mode}"])
        assert got.dtype == np.float32
    for interp in ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"):
        got = keras.utils.img_to_array(keras.utils.load_img(path, target_size=(5, 3), interpolation=interp))
        np.testing.assert_array_equal(got, REF[f"load_{name}_{interp}"])
    got = keras.utils.img_to_array(keras.utils.load_img(path, target_size=(3, 5), keep_aspect_ratio=True,
                                                        interpolation="bilinear"))
    np.testing.assert_array_equal(got, REF[f"load_{name}_keep"])


def test_img_to_array_array_to_img_save_img():
    path = os.path.join(tree("images"), "cats", "c1.png")
    np.testing.assert_array_equal(keras.utils.img_to_array(keras.utils.load_img(path), data_format="channels_first"),
                                  REF["img_to_array_cf"])
    arr = X[0] / 255.0 * 3 - 1
    np.testing.assert_array_equal(np.asarray(keras.utils.array_to_img(arr)), REF["array_to_img_True"])
    np.testing.assert_array_equal(np.asarray(keras.utils.array_to_img(X[0], scale=False)), REF["array_to_img_False"])
    np.testing.assert_array_equal(np.asarray(keras.utils.array_to_img(X[0][..., :1] * 2)), REF["array_to_img_gray"])
    np.testing.assert_array_equal(np.asarray(keras.utils.array_to_img(X[0][..., :1] * 10, scale=False)),
                                  REF["array_to_img_gray_int"])
    with pytest.raises(ValueError, match="rank 3"):
        keras.utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channel"):
        keras.utils.array_to_img(np.zeros((2, 2, 2)))


def test_save_img_round_trip(tmp_path):
    x = np.random.RandomState(0).randint(0, 256, size=(5, 6, 3)).astype("float32")
    keras.utils.save_img(str(tmp_path / "a.png"), x, scale=False)
    back = keras.utils.img_to_array(keras.utils.load_img(str(tmp_path / "a.png")))
    np.testing.assert_array_equal(back, x)
    rgba = np.concatenate([x, np.full((5, 6, 1), 255.0)], axis=-1)
    with pytest.warns(UserWarning, match="RGBA"):
        keras.utils.save_img(str(tmp_path / "b.jpg"), rgba, file_format="jpeg")
    assert keras.utils.load_img(str(tmp_path / "b.jpg")).size == (6, 5)


def test_load_img_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(ValueError, match="broken.jpg"):
        keras.utils.load_img(str(bad))
    good = os.path.join(tree("images"), "cats", "c1.png")
    with pytest.raises(ValueError, match="color_mode"):
        keras.utils.load_img(good, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        keras.utils.load_img(good, target_size=(2, 2), interpolation="cubic")
    with pytest.raises(TypeError, match="path-like"):
        keras.utils.load_img(123)


# -- resizing -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", INTERPOLATIONS)
def test_resize_equals_tf_image_resize(method):
    img = REF["resize_input"]
    for h, w in ((3, 4), (9, 11), (5, 7), (2, 13)):
        expected = REF[f"resize_{method}_{h}_{w}"]
        got = resize_images(img, (h, w), method)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-4)     # on 0..255 values
        batch = resize_images(np.stack([img, img]), (h, w), method)
        np.testing.assert_array_equal(batch[1], got)


def test_resize_weights_rows_sum_to_one():
    for method in INTERPOLATIONS:
        for n_in, n_out in ((5, 3), (4, 9), (7, 7)):
            np.testing.assert_allclose(resize_weights(n_in, n_out, method).sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="interpolation"):
        resize_weights(3, 4, "cubic")
    with pytest.raises(NotImplementedError, match="interpolation"):
        image_resize.resize_images(np.zeros((3, 3, 1)), (2, 2), "cubic")


def test_smart_resize_equals_tf_keras():
    np.testing.assert_allclose(keras.utils.smart_resize(X[0], (5, 3)), REF["smart_resize"], atol=2e-4)
    np.testing.assert_array_equal(image.smart_resize(X[:2], (4, 9), interpolation="nearest"),
                                  REF["smart_resize_batch"])
    with pytest.raises(ValueError, match="rank"):
        keras.utils.smart_resize(np.zeros((3, 3)), (2, 2))
