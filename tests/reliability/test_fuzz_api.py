"""Fuzzing the public API with hypothesis: layer arguments, input shapes and dtypes, compile and fit arguments.

Whatever is drawn, a call either works or raises the documented ValueError / TypeError, and a call that works
on finite data with accepted arguments gives finite numbers (no silent NaN). Junk values (None, NaN, strings,
negative sizes, wrong tuples) are mixed into every argument. Sizes stay small so that runs take seconds.

Example of a property checked:
    >>> layers.Conv2D(filters=2, kernel_size=(1, 2, 3))   # ValueError naming kernel_size, never IndexError
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasfront as keras
from kerasfront import layers

DOCUMENTED = (ValueError, TypeError)
NAN = float("nan")

JUNK = st.sampled_from([-1, 0, 1.5, NAN, float("inf"), None, "bogus", (), (1, 2, 3), True, [], -0.5, 2, 3])
ACTIVATIONS = ["relu", "sigmoid", "softmax", "tanh", "linear", None, "gelu", "selu", "elu", "swish", "hard_sigmoid",
               "softplus", "softsign", "exponential", "bogus", 3]
# NOTE: 'exponential' is left out of recurrent layers: exp(exp(...)) through time overflows float32 for ordinary
# inputs, as it does in tf.keras, so an inf there is arithmetic, not a bug.
RNN_ACTIVATIONS = [a for a in ACTIVATIONS if a != "exponential"]
INITIALIZERS = ["glorot_uniform", "zeros", "ones", "he_normal", "orthogonal", "lecun_normal", "identity",
                "truncated_normal", None, "bogus", 3]
REGULARIZERS = [None, "l1", "l2", "l1_l2", "bogus", 3]
CONSTRAINTS = [None, "max_norm", "non_neg", "unit_norm", "bogus", 3]
PADDINGS = ["valid", "same", "causal", "full", "bogus", None, 3]

# layer -> (input rank, {argument: plausible values}, arguments always given)
LAYERS = {
    "Dense": (2, dict(units=[1, 2, 3], activation=ACTIVATIONS, use_bias=[True, False], kernel_initializer=INITIALIZERS,
                      bias_initializer=INITIALIZERS, kernel_regularizer=REGULARIZERS, kernel_constraint=CONSTRAINTS),
              dict(units=2)),
    "Conv1D": (3, dict(filters=[1, 2], kernel_size=[1, 2, 3, (2,)], strides=[1, 2], padding=PADDINGS,
                       dilation_rate=[1, 2], activation=ACTIVATIONS, groups=[1, 2],
                       data_format=["channels_last", "channels_first", "bogus"]), dict(filters=2, kernel_size=1)),
    "Conv2D": (4, dict(filters=[1, 2], kernel_size=[1, 2, (1, 2)], strides=[1, 2, (2, 1)], padding=PADDINGS,
                       dilation_rate=[1, 2], activation=ACTIVATIONS, data_format=["channels_last", "channels_first"]),
               dict(filters=2, kernel_size=1)),
    "Conv1DTranspose": (3, dict(filters=[1, 2], kernel_size=[1, 2, 3], strides=[1, 2], padding=PADDINGS,
                                output_padding=[None, 0, 1]), dict(filters=2, kernel_size=1)),
    "Conv2DTranspose": (4, dict(filters=[1, 2], kernel_size=[1, 2, 3], strides=[1, 2], padding=PADDINGS,
                                output_padding=[None, 0, 1], dilation_rate=[1, 2]), dict(filters=2, kernel_size=1)),
    "DepthwiseConv2D": (4, dict(kernel_size=[1, 2], depth_multiplier=[1, 2], strides=[1, 2], padding=PADDINGS),
                        dict(kernel_size=1)),
    "SeparableConv1D": (3, dict(filters=[1, 2], kernel_size=[1, 2], depth_multiplier=[1, 2], padding=PADDINGS,
                                strides=[1, 2]), dict(filters=2, kernel_size=1)),
    "SeparableConv2D": (4, dict(filters=[1, 2], kernel_size=[1, 2], depth_multiplier=[1, 2], padding=PADDINGS,
                                strides=[1, 2]), dict(filters=2, kernel_size=1)),
    "MaxPooling1D": (3, dict(pool_size=[1, 2, 3], strides=[None, 1, 2], padding=PADDINGS), {}),
    "AveragePooling2D": (4, dict(pool_size=[1, 2, (1, 2)], strides=[None, 1, 2], padding=PADDINGS), {}),
    "MaxPooling2D": (4, dict(pool_size=[1, 2, (2, 1)], strides=[None, 1, 2], padding=PADDINGS), {}),
    "GlobalAveragePooling1D": (3, dict(keepdims=[True, False]), {}),
    "GlobalMaxPooling2D": (4, dict(keepdims=[True, False]), {}),
    "Dropout": (2, dict(rate=[0.0, 0.5, 0.99], noise_shape=[None, (1, 1)], seed=[None, 1]), dict(rate=0.5)),
    "SpatialDropout1D": (3, dict(rate=[0.0, 0.5]), dict(rate=0.5)),
    "GaussianNoise": (2, dict(stddev=[0.0, 0.1, 1.0]), dict(stddev=0.1)),
    "GaussianDropout": (2, dict(rate=[0.0, 0.1, 0.5]), dict(rate=0.1)),
    "AlphaDropout": (2, dict(rate=[0.0, 0.1, 0.5]), dict(rate=0.1)),
    "ActivityRegularization": (2, dict(l1=[0.0, 0.1], l2=[0.0, 0.1]), {}),
    "BatchNormalization": (2, dict(axis=[-1, 1, 0], momentum=[0.0, 0.9, 0.99], epsilon=[1e-3, 1e-5],
                                   center=[True, False], scale=[True, False]), {}),
    "LayerNormalization": (3, dict(axis=[-1, 1, (1, 2)], epsilon=[1e-3], center=[True, False],
                                   scale=[True, False]), {}),
    "GroupNormalization": (3, dict(groups=[1, 2, 4], axis=[-1], epsilon=[1e-3]), {}),
    "UnitNormalization": (3, dict(axis=[-1, 1, (1, 2)]), {}),
    "Embedding": (2, dict(input_dim=[5, 10], output_dim=[1, 3], mask_zero=[True, False], input_length=[None, 3]),
                  dict(input_dim=5, output_dim=2)),
    "LSTM": (3, dict(units=[1, 2], activation=RNN_ACTIVATIONS, recurrent_activation=RNN_ACTIVATIONS,
                     return_sequences=[True, False], go_backwards=[True, False], dropout=[0.0, 0.3],
                     recurrent_dropout=[0.0, 0.3], unroll=[False, True], unit_forget_bias=[True, False]),
             dict(units=2)),
    "GRU": (3, dict(units=[1, 2], reset_after=[True, False], return_sequences=[True, False], dropout=[0.0, 0.3],
                    recurrent_dropout=[0.0, 0.3], activation=RNN_ACTIVATIONS), dict(units=2)),
    "SimpleRNN": (3, dict(units=[1, 2], activation=RNN_ACTIVATIONS, return_sequences=[True, False],
                          dropout=[0.0, 0.3]), dict(units=2)),
    "Activation": (2, dict(activation=ACTIVATIONS), dict(activation="relu")),
    "ReLU": (2, dict(max_value=[None, 1.0, 6], negative_slope=[0.0, 0.1], threshold=[0.0, 0.5]), {}),
    "LeakyReLU": (2, dict(alpha=[0.3, 0.0, 1.0]), {}),
    "ELU": (2, dict(alpha=[1.0, 0.5]), {}),
    "Softmax": (2, dict(axis=[-1, 1, 0]), {}),
    "Flatten": (3, dict(data_format=[None, "channels_last", "channels_first"]), {}),
    "Reshape": (3, dict(target_shape=[(-1,), (2, -1), (6,), (3, 2)]), dict(target_shape=(-1,))),
    "Permute": (3, dict(dims=[(2, 1), (1, 2), (1, 1)]), dict(dims=(2, 1))),
    "RepeatVector": (2, dict(n=[1, 2, 3]), dict(n=2)),
    "ZeroPadding1D": (3, dict(padding=[0, 1, (1, 2)]), {}),
    "ZeroPadding2D": (4, dict(padding=[0, 1, ((1, 0), (0, 1)), (1, 2)]), {}),
    "Cropping1D": (3, dict(cropping=[0, 1, (1, 0)]), {}),
    "Cropping2D": (4, dict(cropping=[0, 1, ((1, 0), (0, 1))]), {}),
    "UpSampling1D": (3, dict(size=[1, 2]), {}),
    "UpSampling2D": (4, dict(size=[1, 2, (1, 2)], interpolation=["nearest", "bilinear", "bogus"]), {}),
    "Masking": (3, dict(mask_value=[0.0, 1.0]), {}),
}


@st.composite
def _layer_kwargs(draw, name):
    _, plausible, always = LAYERS[name]
    kwargs = dict(always)
    for arg, values in plausible.items():
        choice = draw(st.sampled_from(["skip", "plausible", "plausible", "junk"]))
        if choice == "plausible":
            kwargs[arg] = draw(st.sampled_from(values))
        elif choice == "junk":
            # NOTE: epsilon = 0 is accepted as in tf.keras, and a normalization over a constant slice (one
            # element per group, a batch of one) then divides 0 by 0 there too; other junk must be refused.
            kwargs[arg] = draw(JUNK.filter(lambda v: not (arg == "epsilon" and v == 0)))
    return kwargs


def _finite(values):
    return all(np.all(np.isfinite(np.asarray(v, dtype=np.float64))) for v in values)


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_layer_arguments_and_shapes(name, data):
    """Construct with drawn arguments, call eagerly on a drawn input, round-trip the config."""
    rank = LAYERS[name][0]
    kwargs = data.draw(_layer_kwargs(name), label="kwargs")
    try:
        layer = getattr(layers, name)(**kwargs)
    except DOCUMENTED:
        return
    shape = [data.draw(st.integers(1, 3), label="batch")] + \
        [data.draw(st.integers(1, 5), label=f"dim{i}") for i in range(rank - 1)]
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))
    x = rng.integers(0, 5, size=shape[:2]) if name == "Embedding" else rng.normal(size=shape).astype(np.float32)
    training = data.draw(st.booleans(), label="training")
    try:
        out = layer(x, training=training)
    except DOCUMENTED:
        return
    outputs = out if isinstance(out, (list, tuple)) else [out]
    assert _finite([o.data for o in outputs]), f"{name}({kwargs}) gave non-finite output on input {x.shape}"
    # a layer that could be made can be saved: its config rebuilds an equivalent layer
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


LOSSES = ["mse", "mae", "mape", "msle", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "huber", "log_cosh",
          "kl_divergence", "poisson", "cosine_similarity", "bogus", None]
PROBABILITY_LOSSES = {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                      "kl_divergence", "poisson"}
METRICS = ["accuracy", "acc", "mae", "mse", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "AUC", "precision", "recall", "bogus", None, "crossentropy"]
OPTIMIZERS = ["sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "adamw", "bogus"]


def _labels(kind, n, rng):
    ids = rng.integers(0, 3, size=n)
    return {"sparse": ids, "onehot": np.eye(3, dtype=np.float32)[ids],
            # NOTE: strictly positive targets, so that percentage errors (mape) stay bounded
            "positive": rng.uniform(0.5, 1.5, size=(n, 3)).astype(np.float32),
            "binary": (rng.uniform(size=(n, 3)) > 0.5).astype(np.float32)}[kind]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compile_and_fit_arguments(data):
    """Drawn compile arguments (loss, metrics, optimizer, loss_weights) and fit arguments (batch_size, epochs,
    validation, shuffle, weights, steps): documented errors only, and finite history/evaluate/predict."""
    loss = data.draw(st.one_of(st.sampled_from(LOSSES), JUNK), label="loss")
    metrics = data.draw(st.one_of(st.lists(st.sampled_from(METRICS), max_size=2), JUNK), label="metrics")
    optimizer = data.draw(st.one_of(st.sampled_from(OPTIMIZERS), JUNK), label="optimizer")
    extra = {}
    if data.draw(st.booleans(), label="with loss_weights"):
        extra["loss_weights"] = data.draw(st.one_of(st.sampled_from([[1.0], [0.5], [2.0]]), JUNK), label="lw")
    # NOTE: losses and metrics on probabilities are given probabilities (a linear or relu output fed to a
    # crossentropy is NaN in tf.keras too); every other loss also sees unbounded outputs.
    probabilities = ((isinstance(loss, str) and loss in PROBABILITY_LOSSES)
                     or (isinstance(metrics, list) and "crossentropy" in metrics))
    activation = data.draw(st.sampled_from(["softmax", "sigmoid"] if probabilities else
                                           ["softmax", "sigmoid", None, "relu"]), label="activation")
    keras.utils.set_random_seed(data.draw(st.integers(0, 100), label="init seed"))
    model = keras.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)),
                              layers.Dense(3, activation=activation)])
    try:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, **extra)
    except DOCUMENTED:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="data seed"))
    n = data.draw(st.integers(1, 12), label="samples")
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = _labels(data.draw(st.sampled_from(["sparse", "onehot", "positive", "binary"]), label="labels"), n, rng)
    fit_kwargs = dict(verbose=0,
                      batch_size=data.draw(st.one_of(st.sampled_from([None, 1, 2, 5, 100]), JUNK), label="batch"),
                      epochs=data.draw(st.one_of(st.integers(0, 2), JUNK), label="epochs"),
                      shuffle=data.draw(st.one_of(st.sampled_from([True, False, "batch"]), JUNK), label="shuffle"))
    optional = {
        "validation_split": st.one_of(st.sampled_from([0.0, 0.2, 0.5, 0.9]), JUNK),
        "sample_weight": st.just(rng.uniform(0, 2, size=n).astype(np.float32)),
        "class_weight": st.one_of(st.just({0: 1.0, 1: 2.0, 2: 0.5}), JUNK),
        "steps_per_epoch": st.one_of(st.integers(1, 3), JUNK),
        "initial_epoch": st.one_of(st.integers(0, 3), JUNK),
        "validation_data": st.one_of(st.just((x, y)), JUNK),
        "validation_freq": st.one_of(st.integers(1, 2), JUNK),
    }
    for arg, strategy in optional.items():
        if data.draw(st.booleans(), label=f"with {arg}"):
            fit_kwargs[arg] = data.draw(strategy, label=arg)
    try:
        with np.errstate(all="ignore"):
            history = model.fit(x, y, **fit_kwargs)
            results = model.evaluate(x, y, verbose=0, return_dict=True)
            predictions = model.predict(x, verbose=0)
    except DOCUMENTED:
        return
    assert _finite(history.history.values()), history.history
    assert _finite(results.values()), results
    assert _finite([predictions]) and predictions.shape == (n, 3)
    assert _finite(model.get_weights())


DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint64", "bool",
          "complex64", "U3", "O", "datetime64[s]", "V4"]


def _models():
    keras.utils.set_random_seed(41)
    inp = keras.Input(shape=(4,))
    dense = keras.Model(inp, layers.Dense(2)(layers.Dense(3, activation="relu")(inp)))
    inp = keras.Input(shape=(5, 3))
    recurrent = keras.Model(inp, layers.Dense(2)(layers.LSTM(3)(inp)))
    lazy = keras.Sequential([layers.Dense(3), layers.Dense(2)])     # built by the first data it sees
    return {"dense": dense, "recurrent": recurrent, "lazy": lazy}


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_input_shapes_and_dtypes(data):
    """Arrays of any rank (sizes 0-5) and dtype (numbers, bools, complex, strings, objects, dates, raw bytes)
    through every entry point: documented errors only, finite float32 results of the right batch size."""
    models = _models()
    model = models[data.draw(st.sampled_from(sorted(models)), label="model")]
    model.compile(optimizer="adam", loss="mse")
    shape = tuple(data.draw(st.lists(st.integers(0, 5), max_size=4), label="shape"))
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))
    if dtype in ("U3", "O", "datetime64[s]", "V4"):
        x = np.zeros(shape, dtype=dtype)
    else:
        x = (np.abs(rng.normal(size=shape)) * 3).astype(dtype)
    n = shape[0] if shape else 1
    y = rng.normal(size=(n, 2)).astype(np.float32)
    entry = data.draw(st.sampled_from(["predict", "fit", "evaluate", "call", "train_on_batch", "predict_on_batch"]),
                      label="entry")
    calls = {"predict": lambda: model.predict(x, verbose=0),
             "fit": lambda: model.fit(x, y, verbose=0).history["loss"],
             "evaluate": lambda: model.evaluate(x, y, verbose=0),
             "call": lambda: model(x).data,
             "train_on_batch": lambda: model.train_on_batch(x, y),
             "predict_on_batch": lambda: model.predict_on_batch(x)}
    try:
        result = np.asarray(calls[entry]())
    except DOCUMENTED:
        return
    assert _finite([result]), (entry, dtype, shape, result)
    if entry in ("predict", "predict_on_batch", "call"):
        assert result.dtype == np.float32 and result.shape[0] == n and result.shape[-1] == 2


OPTIMIZER_ARGS = {
    "SGD": dict(momentum=st.floats(0, 1), nesterov=st.booleans()),
    "Adam": dict(beta_1=st.floats(0, 0.999), beta_2=st.floats(0.5, 0.9999), amsgrad=st.booleans()),
    "AdamW": dict(weight_decay=st.floats(0, 0.1), beta_1=st.floats(0, 0.999)),
    # NOTE: rho is drawn from [0.5, 1]: centered RMSprop with rho near 0 estimates the gradient variance as
    # g^2 - g^2 = 0, so each step is lr * g / sqrt(epsilon), which diverges (in tf.keras too).
    "RMSprop": dict(rho=st.floats(0.5, 1), momentum=st.floats(0, 0.99), centered=st.booleans()),
    "Adagrad": dict(initial_accumulator_value=st.floats(0, 1)),
    "Adadelta": dict(rho=st.floats(0, 1)),
    "Adamax": dict(beta_1=st.floats(0, 0.999), beta_2=st.floats(0.5, 0.9999)),
    "Nadam": dict(beta_1=st.floats(0, 0.999), beta_2=st.floats(0.5, 0.9999)),
}
# junk without positive numbers: a learning rate of 3 is valid, and diverging with it is arithmetic
OPTIMIZER_JUNK = st.sampled_from([-1, -0.5, NAN, float("inf"), -float("inf"), None, "bogus", (), [], True, "0.1j"])
# NOTE: the valid ranges are the usual ones (learning rate <= 0.1, beta_2 >= 0.5): with beta_2 = 0 and a learning
# rate of 1, Adam's step m / (|g| + epsilon) for a weight whose gradient just became 0 is ~1e6 and the run
# diverges, as it would in tf.keras; that is arithmetic, not a silent error.
COMMON_ARGS = dict(learning_rate=st.floats(0, 0.1), clipnorm=st.one_of(st.none(), st.floats(0.01, 10)),
                   clipvalue=st.one_of(st.none(), st.floats(0.01, 10)))


@pytest.mark.parametrize("name", sorted(OPTIMIZER_ARGS))
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_optimizer_hyperparameters(name, data):
    """Each hyperparameter is drawn from its valid range or from junk (NaN, inf, negative, strings...):
    construction fails with a documented error, or a few training steps keep the weights finite."""
    kwargs = {}
    for arg, valid in {**COMMON_ARGS, **OPTIMIZER_ARGS[name]}.items():
        choice = data.draw(st.sampled_from(["skip", "valid", "valid", "junk"]), label=f"{arg} kind")
        if choice != "skip":
            kwargs[arg] = data.draw(valid if choice == "valid" else OPTIMIZER_JUNK, label=arg)
    # NOTE: epsilon is drawn positive: with epsilon = 0 a weight whose gradient is exactly 0 (a dead relu
    # unit) divides 0 by 0 in Adam-like rules, in tf.keras as here.
    if name != "SGD" and data.draw(st.booleans(), label="with epsilon"):
        kwargs["epsilon"] = data.draw(st.one_of(st.floats(1e-10, 1.0), OPTIMIZER_JUNK), label="epsilon")
    try:
        optimizer = getattr(keras.optimizers, name)(**kwargs)
    except DOCUMENTED:
        return
    keras.utils.set_random_seed(7)
    model = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert _finite(history.history["loss"]), (kwargs, history.history)
    assert _finite(model.get_weights()), kwargs
    # and the configuration rebuilds the same optimizer
    config = optimizer.get_config()
    assert type(optimizer).from_config(config).get_config() == config
