"""Reference cases for the volumetric, convolutional-recurrent, locally connected and parametric-activation layers
(issue 13), made by real tf.keras.

Model cases (trained histories and weights, files to load):
    TF_USE_LEGACY_KERAS=1 python tools/make_keras_fixtures.py tests/fixtures/keras_reference --module layers3d
Layer outputs and gradients that a model file cannot carry (ConvLSTM under a mask, go_backwards, strides and
dilation; LocallyConnected in channels_first), written to tests/fixtures/keras_reference/layers3d/outputs.*:
    TF_USE_LEGACY_KERAS=1 python tools/keras_cases/layers3d.py tests/fixtures/keras_reference/layers3d
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from make_keras_fixtures import case, f32, keras, layers, onehot, rng_for  # noqa: E402

import numpy as np  # noqa: E402

# ---------------------------------------------------------------- training parity


@case("train")
def conv3d_pool_train():
    rng = rng_for("conv3d_pool_train")
    model = keras.Sequential([
        layers.Conv3D(4, 3, activation="relu", padding="same", input_shape=(6, 6, 6, 1)),
        layers.MaxPooling3D(2),
        layers.Conv3D(3, 2, strides=(1, 2, 1), activation="tanh"),
        layers.AveragePooling3D(2, strides=1, padding="same"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    data = dict(x=f32(24, 6, 6, 6, 1, rng=rng), y=onehot(24, 3, rng=rng))
    fit_kw = dict(batch_size=8, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def conv_lstm2d_train():
    rng = rng_for("conv_lstm2d_train")
    model = keras.Sequential([
        layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True, input_shape=(4, 6, 6, 2)),
        layers.ConvLSTM2D(2, 2, strides=2, go_backwards=True),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])
    compile_kw = dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    data = dict(x=f32(16, 4, 6, 6, 2, rng=rng), y=onehot(16, 2, rng=rng))
    fit_kw = dict(batch_size=8, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def locally_connected_prelu_train():
    rng = rng_for("locally_connected_prelu_train")
    model = keras.Sequential([
        layers.LocallyConnected1D(4, 3, padding="same", implementation=3, input_shape=(7, 3)),
        layers.PReLU(alpha_initializer=keras.initializers.Constant(0.2), shared_axes=[1]),
        layers.LocallyConnected1D(3, 2, strides=2, implementation=2),
        layers.LocallyConnected1D(2, 2, implementation=1, activation="tanh"),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])
    compile_kw = dict(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    data = dict(x=f32(20, 7, 3, rng=rng), y=onehot(20, 2, rng=rng))
    fit_kw = dict(batch_size=5, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


@case("train")
def spectral_normalization_train():
    rng = rng_for("spectral_normalization_train")
    model = keras.Sequential([
        layers.SpectralNormalization(layers.Dense(6, activation="tanh"), input_shape=(5,)),
        layers.SpectralNormalization(layers.Dense(1), power_iterations=2),
    ])
    compile_kw = dict(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    data = dict(x=f32(24, 5, rng=rng), y=f32(24, 1, rng=rng))
    fit_kw = dict(batch_size=6, epochs=3, shuffle=False)
    return model, compile_kw, data, fit_kw


# ---------------------------------------------------------------- files to load and predict


@case("load")
def volumes_zoo():
    rng = rng_for("volumes_zoo")
    inp = keras.Input(shape=(4, 5, 6, 2))
    x = layers.ZeroPadding3D((1, (0, 1), 2))(inp)
    x = layers.Conv3D(4, (2, 3, 2), strides=(2, 1, 1), groups=2, activation="tanh",
                      bias_initializer="random_normal")(x)
    x = layers.SpatialDropout3D(0.3)(x)
    x = layers.Conv3D(4, 2, dilation_rate=(1, 2, 1), padding="same", use_bias=False)(x)
    x = layers.Conv3DTranspose(3, 3, strides=(1, 2, 2), padding="same", bias_initializer="random_normal")(x)
    x = layers.Conv3DTranspose(2, 2, strides=2, output_padding=(1, 0, 1))(x)
    x = layers.Cropping3D(((0, 1), 1, (2, 0)))(x)
    x = layers.UpSampling3D((1, 2, 1))(x)
    x = layers.AveragePooling3D((2, 3, 2), strides=1, padding="same")(x)
    x = layers.MaxPooling3D(2, padding="same")(x)
    a = layers.GlobalMaxPooling3D()(x)
    b = layers.GlobalAveragePooling3D(keepdims=True)(x)
    b = layers.Flatten()(b)
    out = layers.Dense(3)(layers.Concatenate()([a, b]))
    model = keras.Model(inp, out)
    return model, None, dict(x=f32(3, 4, 5, 6, 2, rng=rng)), None


@case("load")
def locally_connected_zoo():
    rng = rng_for("locally_connected_zoo")
    bias = "random_normal"
    a = keras.Input(shape=(8, 3))
    x1 = layers.LocallyConnected1D(3, 3, activation="relu", bias_initializer=bias)(a)
    x1 = layers.LocallyConnected1D(2, 2, strides=2, padding="same", implementation=2, bias_initializer=bias)(x1)
    x1 = layers.LocallyConnected1D(2, 3, padding="same", implementation=3, bias_initializer=bias)(x1)
    b = keras.Input(shape=(6, 5, 2))
    x2 = layers.LocallyConnected2D(3, (2, 3), bias_initializer=bias)(b)
    x2 = layers.LocallyConnected2D(2, 2, strides=(2, 1), padding="same", implementation=2, bias_initializer=bias)(x2)
    x2 = layers.LocallyConnected2D(2, 3, padding="same", implementation=3, use_bias=False)(x2)
    x3 = layers.Permute((3, 1, 2))(b)
    x3 = layers.LocallyConnected2D(2, 2, data_format="channels_first", implementation=2, bias_initializer=bias)(x3)
    x3 = layers.LocallyConnected2D(2, (1, 2), data_format="channels_first", implementation=3,
                                   bias_initializer=bias)(x3)
    x3 = layers.LocallyConnected2D(1, 2, data_format="channels_first", bias_initializer=bias)(x3)
    flat = [layers.Flatten()(t) for t in (x1, x2, x3)]
    out = layers.Dense(2)(layers.Concatenate()(flat))
    model = keras.Model([a, b], out)
    return model, None, dict(x=[f32(4, 8, 3, rng=rng), f32(4, 6, 5, 2, rng=rng)]), None


@case("load")
def activations_zoo():
    rng = rng_for("activations_zoo")
    inp = keras.Input(shape=(5, 4))
    x = layers.Dense(6)(inp)
    x = layers.PReLU(alpha_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=3))(x)
    x = layers.ThresholdedReLU(theta=0.2)(x)
    x = layers.Identity()(x)
    x = layers.Dense(4)(x)
    x = layers.PReLU(alpha_initializer=keras.initializers.RandomUniform(-1, 1, seed=4), shared_axes=1)(x)
    x = layers.Flatten()(x)
    out = layers.SpectralNormalization(layers.Dense(3), power_iterations=3)(x)
    model = keras.Model(inp, out)
    return model, None, dict(x=f32(6, 5, 4, rng=rng)), None


@case("load")
def conv_lstm_1d_3d():
    rng = rng_for("conv_lstm_1d_3d")
    a = keras.Input(shape=(3, 7, 2))
    x1 = layers.ConvLSTM1D(3, 3, return_sequences=True, go_backwards=True, dropout=0.2,
                           recurrent_activation="sigmoid", bias_initializer="random_normal")(a)
    x1 = layers.ConvLSTM1D(2, 2, strides=2, padding="same")(x1)
    b = keras.Input(shape=(2, 3, 4, 3, 2))
    x2, h, c = layers.ConvLSTM3D(2, 2, padding="same", return_state=True, recurrent_dropout=0.1)(b)
    flat = [layers.Flatten()(t) for t in (x1, x2, c)]
    out = layers.Dense(2)(layers.Concatenate()(flat))
    model = keras.Model([a, b], out)
    return model, None, dict(x=[f32(4, 3, 7, 2, rng=rng), f32(4, 2, 3, 4, 3, 2, rng=rng)]), None


# ---------------------------------------------------------------- layer outputs and gradients

#: (class name, constructor arguments, input shape, masked) for main()
OUTPUT_CASES = [
    ("ConvLSTM2D", dict(filters=2, kernel_size=3), (2, 4, 5, 6, 3), False),
    ("ConvLSTM2D", dict(filters=2, kernel_size=(2, 3), padding="same", return_sequences=True, go_backwards=True),
     (2, 4, 5, 6, 3), True),
    ("ConvLSTM2D", dict(filters=3, kernel_size=3, strides=2, padding="same", return_state=True), (2, 3, 5, 6, 2),
     False),
    ("ConvLSTM2D", dict(filters=2, kernel_size=2, dilation_rate=2, return_sequences=True, activation="relu",
                        recurrent_activation="sigmoid", unit_forget_bias=False), (2, 3, 5, 6, 2), True),
    ("ConvLSTM1D", dict(filters=2, kernel_size=3, padding="same", go_backwards=True, use_bias=False),
     (2, 4, 7, 3), True),
    ("ConvLSTM3D", dict(filters=2, kernel_size=(2, 3, 2), strides=(1, 2, 1), return_state=True), (1, 3, 4, 5, 4, 2),
     False),
    ("LocallyConnected1D", dict(filters=2, kernel_size=3, data_format="channels_first", implementation=1),
     (2, 3, 7), False),
    ("LocallyConnected1D", dict(filters=2, kernel_size=4, strides=3, padding="same", data_format="channels_first",
                                implementation=3), (2, 3, 7), False),
    ("LocallyConnected2D", dict(filters=2, kernel_size=(3, 2), strides=(1, 2), padding="same",
                                data_format="channels_first", implementation=2), (2, 3, 5, 6), False),
]


def main(out_dir):
    """Outputs of OUTPUT_CASES on random inputs and weights, and the gradients of sum(outputs * u) for the
    weights and the input, in ``outputs.npz`` / ``outputs.json``."""
    import tensorflow as tf
    os.makedirs(out_dir, exist_ok=True)
    rng = rng_for("layers3d_outputs")
    arrays, described = {}, []
    for i, (cls, kwargs, shape, masked) in enumerate(OUTPUT_CASES):
        keras.utils.set_random_seed(7 + i)
        layer = getattr(layers, cls)(bias_initializer="random_normal", **kwargs)
        x = tf.constant(f32(*shape, rng=rng))
        call_kw = {}
        if masked:
            m = rng.random(shape[:2]) < 0.7
            m[:, 0] = True
            call_kw["mask"] = tf.constant(m)
            arrays[f"c{i}_mask"] = m
        with tf.GradientTape() as tape:
            tape.watch(x)
            outs = layer(x, **call_kw)
            outs = outs if isinstance(outs, list) else [outs]
            us = [rng.standard_normal(o.shape).astype("float32") for o in outs]
            total = tf.add_n([tf.reduce_sum(o * u) for o, u in zip(outs, us)])
        grads = tape.gradient(total, [x] + layer.trainable_weights)
        arrays[f"c{i}_x"] = x.numpy()
        for j, (o, u) in enumerate(zip(outs, us)):
            arrays[f"c{i}_y{j}"], arrays[f"c{i}_u{j}"] = o.numpy(), u
        for j, w in enumerate(layer.get_weights()):
            arrays[f"c{i}_w{j}"] = w
        arrays[f"c{i}_gx"] = grads[0].numpy()
        for j, g in enumerate(grads[1:]):
            arrays[f"c{i}_g{j}"] = g.numpy()
        described.append({"class_name": cls, "config": layer.get_config(), "outputs": len(outs),
                          "weights": [w.name for w in layer.weights], "masked": masked})
        print(cls, kwargs, "ok", flush=True)
    np.savez_compressed(os.path.join(out_dir, "outputs.npz"), **arrays)
    with open(os.path.join(out_dir, "outputs.json"), "w") as f:
        json.dump({"made_with": {"tf_keras": keras.__version__}, "format": main.__doc__, "cases": described}, f,
                  indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
