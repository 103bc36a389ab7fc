"""Parity with real tf.keras for the convolution / pooling / normalization layers: the reference cases cnn_sgd,
batchnorm_validation_split and layer_zoo_cnn of tests/fixtures/keras_reference, rebuilt in code as their manifest
`code` says, started from the recorded weights, and compared with tf.keras's history, final weights and
predictions; the trained files tf.keras saved load and predict the same.
"""
import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.test_parity_core import ATOL, FIXTURES, RTOL, _load, _run, _weights


def _cnn_sgd_model():
    return keras.Sequential([
        layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])


def test_cnn_sgd():
    _run("cnn_sgd", _cnn_sgd_model(), dict(optimizer=keras.optimizers.SGD(learning_rate=0.05),
                                           loss="categorical_crossentropy", metrics=["accuracy"]))


def _batchnorm_model():
    return keras.Sequential([
        layers.Dense(8, input_shape=(5,)),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(1),
    ])


def _batchnorm_compile():
    return dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])


def _fit_batchnorm():
    data, manifest = _load("batchnorm_validation_split")
    model = _batchnorm_model()
    model.set_weights(_weights(data, "w0_"))
    model.compile(**_batchnorm_compile())
    history = model.fit(data["train_x"], data["train_y"], verbose=0, **manifest["fit"])
    return model, history, data


# NOTE: the bias of the Dense layer in front of BatchNormalization has an exactly zero gradient (the batch mean
# removes it), so what each framework computes for it is float32 rounding noise (~1e-8), which Adam divides by
# its own square root and turns into steps of ~1e-4. That bias (weight 1), the moving mean that averages it
# (weight 4) and the validation metrics computed with that moving mean are therefore noise-driven: real tf_keras
# 2.21 re-run on the same data misses the recorded bias by 1.8e-3 and val_loss by 1.1e-4 (relative). Everything
# the noise does not reach is compared at the reference tolerance; the noise-driven values at a tolerance
# tf.keras itself meets; the exact comparison is kept below as a strict xfail.
_NOISE_DRIVEN = (1, 4)


def test_batchnorm_validation_split():
    model, history, data = _fit_batchnorm()
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    for key in ("loss", "mae"):
        np.testing.assert_allclose(history.history[key], data[f"history_{key}"], rtol=RTOL, atol=ATOL,
                                   err_msg=f"history {key}")
    for key in ("val_loss", "val_mae"):
        np.testing.assert_allclose(history.history[key], data[f"history_{key}"], rtol=1e-3, err_msg=key)
    final = model.get_weights()
    expected = _weights(data, "w1_")
    assert [w.shape for w in final] == [e.shape for e in expected]
    for i, (w, e) in enumerate(zip(final, expected)):
        if i not in _NOISE_DRIVEN:
            np.testing.assert_allclose(w, e, rtol=RTOL, atol=ATOL, err_msg=f"final weight {i}")
    # the noise-driven values stay at the noise's scale: |bias| below lr * steps, the moving mean within it
    assert np.abs(final[1]).max() < 0.01 * 12
    np.testing.assert_allclose(final[4], expected[4], atol=2e-3)


@pytest.mark.xfail(strict=True, reason="the Dense bias before BatchNormalization follows float32 rounding noise "
                                       "amplified by Adam (see the NOTE above); tf_keras itself does not reproduce "
                                       "the recorded values when re-run")
def test_batchnorm_validation_split_exact():
    _run("batchnorm_validation_split", _batchnorm_model(), _batchnorm_compile())


def _layer_zoo_cnn_model():
    inp = keras.Input(shape=(10, 10, 3))
    x = layers.ZeroPadding2D(1)(inp)
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.AveragePooling2D(2, padding="same")(x)
    x = layers.Conv2D(5, (2, 3), padding="valid", use_bias=False)(x)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.GlobalMaxPooling2D()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(4)(x)
    out = layers.Activation("softmax")(x)
    return keras.Model(inp, out)


def test_layer_zoo_cnn_rebuilt_in_code():
    data, _ = _load("layer_zoo_cnn")
    model = _layer_zoo_cnn_model()
    model.set_weights(_weights(data, "w_"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y_pred"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", ["cnn_sgd", "batchnorm_validation_split", "layer_zoo_cnn"])
def test_tf_keras_files_load_and_predict(case):
    import os
    data, _ = _load(case)
    model = keras.models.load_model(os.path.join(FIXTURES, f"{case}.h5"), compile=False)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y_pred"], rtol=1e-5, atol=1e-5)
    for w, e in zip(model.get_weights(), _weights(data, "w_")):
        np.testing.assert_array_equal(w, e)
