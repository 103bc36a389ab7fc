"""ONNX export (``model.export(path, format="onnx")``, ``kerasfront.onnx.export``): for every exportable layer and
for the example models, ONNX Runtime on the exported file gives ``model.predict``'s outputs within 1e-5 (float32)
at batch sizes 1 and 7 (the batch axis is dynamic); ``onnx.checker`` passes; the opset is the one asked for."""
import importlib.util
import os

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers as L

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
ort = pytest.importorskip("onnxruntime", reason="the test extra installs onnxruntime")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _seq(shape, *stack, dtype="float32", name=None):
    inp = keras.Input(shape, dtype=dtype, name=name)
    x = inp
    for layer in stack:
        x = layer(x)
    return keras.Model(inp, x)


def _merge(layer_cls, **kwargs):
    def build():
        a, b = keras.Input((4,), name="left"), keras.Input((4,), name="right")
        return keras.Model([a, b], layer_cls(**kwargs)([a, b]))
    return build


def _attention_model(layer):
    q, v = keras.Input((5, 6), name="query"), keras.Input((4, 6), name="value")
    return keras.Model([q, v], layer(q, v))


def _masked_mha():
    ids = keras.Input((7,), name="ids")
    x = L.Embedding(10, 8, mask_zero=True)(ids)
    return keras.Model(ids, L.MultiHeadAttention(2, 4)(x, x, use_causal_mask=True))


def _masked_softmax(**kwargs):
    """A Softmax over the steps given the padding mask of its ids (a Softmax reads the mask it is given)."""
    def build():
        ids = keras.Input((7,), name="ids")
        scores = L.Lambda(lambda x: x[..., 0])(L.Dense(1)(L.Embedding(10, 3, mask_zero=True)(ids)))
        return keras.Model(ids, L.Softmax(**kwargs)(scores, mask=L.Lambda(lambda x: ag.not_equal(x, 0.0))(ids)))
    return build


def _dense_attention():
    q, v = keras.Input((5, 6), name="query"), keras.Input((4, 6), name="value")
    out = L.Concatenate()([L.Attention(use_scale=True)([q, v]), L.AdditiveAttention()([q, v])])
    return keras.Model([q, v], out)


#: Keras 3's hard_sigmoid, relu6(x + 3) / 6 (a Keras 3 file's 'hard_sigmoid'); 'hard_sigmoid' is tf.keras 2's
H3 = "keras3_hard_sigmoid"

#: name -> (build, input kind): every layer the writer converts, alone or with what it needs around it
LAYERS = {
    "Dense": (lambda: _seq((5,), L.Dense(4), L.Dense(3, activation="relu", use_bias=False)), "normal"),
    "Dense_3d": (lambda: _seq((3, 5), L.Dense(2, activation="tanh")), "normal"),
    "Conv1D": (lambda: _seq((9, 3), L.Conv1D(4, 3, padding="causal", dilation_rate=2), L.Conv1D(2, 2, strides=2)),
               "normal"),
    "Conv2D": (lambda: _seq((7, 7, 3), L.Conv2D(4, 3, padding="same", activation="relu"),
                            L.Conv2D(4, 3, strides=2, groups=2), L.Conv2D(2, 2, dilation_rate=2)), "normal"),
    "Conv3D": (lambda: _seq((5, 5, 5, 2), L.Conv3D(3, 2, padding="same"), L.Conv3D(2, 2, strides=2)), "normal"),
    "Conv1DTranspose": (lambda: _seq((5, 3), L.Conv1DTranspose(2, 3, strides=2)), "normal"),
    "Conv2DTranspose": (lambda: _seq((4, 4, 2), L.Conv2DTranspose(3, 3, strides=2, padding="same"),
                                     L.Conv2DTranspose(2, 2)), "normal"),
    "DepthwiseConv": (lambda: _seq((6, 6, 3), L.DepthwiseConv2D(3, depth_multiplier=2)), "normal"),
    "DepthwiseConv1D": (lambda: _seq((8, 3), L.DepthwiseConv1D(3)), "normal"),
    "SeparableConv": (lambda: _seq((6, 6, 3), L.SeparableConv2D(4, 3, padding="same")), "normal"),
    "SeparableConv1D": (lambda: _seq((8, 3), L.SeparableConv1D(4, 3)), "normal"),
    "MaxPooling": (lambda: _seq((9, 9, 2), L.MaxPooling2D(), L.MaxPooling2D(3, strides=1, padding="same")), "normal"),
    "AveragePooling": (lambda: _seq((9, 9, 2), L.AveragePooling2D(2, padding="same"), L.AveragePooling2D(2)),
                       "normal"),
    "Pooling1D": (lambda: _seq((9, 2), L.MaxPooling1D(), L.AveragePooling1D(2, padding="same")), "normal"),
    "Pooling3D": (lambda: _seq((4, 4, 4, 2), L.MaxPooling3D(), L.AveragePooling3D(1)), "normal"),
    "GlobalPooling": (lambda: _seq((5, 5, 2), L.Conv2D(3, 1), L.GlobalAveragePooling2D(keepdims=True),
                                   L.GlobalMaxPooling2D()), "normal"),
    "GlobalPooling1D3D": (lambda: _seq((4, 4, 4, 2), L.GlobalMaxPooling3D()), "normal"),
    "BatchNormalization": (lambda: _seq((6,), L.Dense(4), L.BatchNormalization(momentum=0.5)), "normal"),
    "BatchNormalization_conv": (lambda: _seq((5, 5, 3), L.BatchNormalization(axis=-1, center=False)), "normal"),
    "LayerNormalization": (lambda: _seq((3, 6), L.LayerNormalization(), L.LayerNormalization(axis=(1, 2))),
                           "normal"),
    "GroupUnitNormalization": (lambda: _seq((5, 4), L.GroupNormalization(groups=2), L.UnitNormalization()),
                               "normal"),
    "activations": (lambda: _seq((6,), *[L.Activation(a) for a in (
        "relu", "sigmoid", "tanh", "softplus", "softsign", "selu", "elu", "exponential", "gelu", "swish",
        "hard_sigmoid", "linear", "mish", "relu6", "softmax", "log_softmax")]), "small"),
    "activation_layers": (lambda: _seq((6,), L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
                                       L.LeakyReLU(0.3), L.ELU(0.5), L.PReLU(), L.ThresholdedReLU(0.4),
                                       L.Softmax(axis=-1)), "normal"),
    "Dropout_and_noise": (lambda: _seq((6,), L.Dropout(0.5), L.GaussianNoise(0.3), L.GaussianDropout(0.3),
                                       L.AlphaDropout(0.2), L.ActivityRegularization(0.1, 0.1)), "normal"),
    "SpatialDropout": (lambda: _seq((5, 3), L.SpatialDropout1D(0.5)), "normal"),
    "Embedding": (lambda: _seq((7,), L.Embedding(10, 4), L.Flatten()), "ids"),
    "Embedding_int": (lambda: _seq((7,), L.Embedding(10, 3), dtype="int64"), "ids"),
    "Add": (_merge(L.Add), "normal"),
    "Subtract": (_merge(L.Subtract), "normal"),
    "Multiply": (_merge(L.Multiply), "normal"),
    "Average": (_merge(L.Average), "normal"),
    "Maximum": (_merge(L.Maximum), "normal"),
    "Minimum": (_merge(L.Minimum), "normal"),
    "Concatenate": (_merge(L.Concatenate), "normal"),
    "Dot": (_merge(L.Dot, axes=1), "normal"),
    "Dot_normalize": (_merge(L.Dot, axes=-1, normalize=True), "normal"),
    "Reshape_Flatten_Permute": (lambda: _seq((4, 6), L.Reshape((6, 2, 2)), L.Permute((3, 1, 2)), L.Flatten(),
                                             L.RepeatVector(2), L.Reshape((-1,))), "normal"),
    "padding_cropping_upsampling": (lambda: _seq((5, 5, 2), L.ZeroPadding2D(((1, 0), (2, 1))), L.Cropping2D(1),
                                                 L.UpSampling2D(2)), "normal"),
    "padding_cropping_upsampling_1d": (lambda: _seq((5, 2), L.ZeroPadding1D(2), L.Cropping1D((1, 2)),
                                                    L.UpSampling1D(3)), "normal"),
    "padding_cropping_upsampling_3d": (lambda: _seq((3, 3, 3, 1), L.ZeroPadding3D(1), L.Cropping3D(1),
                                                    L.UpSampling3D(2)), "normal"),
    "LSTM": (lambda: _seq((6, 3), L.LSTM(4, return_sequences=True), L.LSTM(3, go_backwards=True)), "normal"),
    "GRU": (lambda: _seq((6, 3), L.GRU(4, return_sequences=True), L.GRU(3, reset_after=False, go_backwards=True)),
            "normal"),
    "SimpleRNN": (lambda: _seq((6, 3), L.SimpleRNN(4, activation="relu", return_sequences=True)), "normal"),
    "RNN_activations": (lambda: _seq((5, 3), L.LSTM(3, activation="relu", recurrent_activation="hard_sigmoid")),
                        "normal"),
    "masked_LSTM": (lambda: _seq((7,), L.Embedding(10, 4, mask_zero=True), L.LSTM(3, return_sequences=True),
                                 L.GRU(2)), "padded_ids"),
    "masked_SimpleRNN": (lambda: _seq((6, 3), L.Masking(0.0), L.SimpleRNN(2)), "padded"),
    # Keras 3's hard_sigmoid: an activation, a Dense / Conv activation (the scalings reach both saturations), and
    # in the fused recurrences (unrolled with its own formula)
    "keras3_hard_sigmoid": (lambda: _seq((6,), L.Rescaling(4.0), L.Activation(H3), L.Rescaling(8.0, offset=-4.0),
                                         L.Dense(5, activation=H3, bias_initializer="glorot_uniform"),
                                         L.Dense(3, activation="hard_sigmoid")), "normal"),
    "keras3_hard_sigmoid_conv": (lambda: _seq((5, 5, 2), L.Rescaling(3.0), L.Conv2D(3, 2, activation=H3),
                                              L.DepthwiseConv2D(2, activation=H3)), "normal"),
    "RNN_keras3_hard_sigmoid": (lambda: _seq((6, 3), L.Rescaling(3.0),
                                             L.LSTM(4, recurrent_activation=H3, return_sequences=True),
                                             L.GRU(3, recurrent_activation=H3, go_backwards=True,
                                                   return_sequences=True),
                                             L.GRU(3, recurrent_activation=H3, reset_after=False,
                                                   return_sequences=True),
                                             L.SimpleRNN(2, activation=H3)), "normal"),
    # the fused recurrences with Keras 3's hard_sigmoid over a mask: the exported graph applies its input's mask
    "masked_RNN_keras3_hard_sigmoid": (lambda: _seq((7,), L.Embedding(10, 4, mask_zero=True),
                                                    L.LSTM(3, recurrent_activation=H3, return_sequences=True),
                                                    L.GRU(2, recurrent_activation=H3)), "padded_ids"),
    # masks read step by step (K.rnn, for an activation the fused recurrences lack): the graph applies its input's mask
    "masked_RNN_stepwise": (lambda: _seq((6, 3), L.Masking(0.0), L.SimpleRNN(3, activation="softsign",
                                                                             return_sequences=True),
                                         L.Bidirectional(L.LSTM(2, activation="softsign", return_sequences=True)),
                                         L.SimpleRNN(2, activation=H3, zero_output_for_mask=True,
                                                     return_sequences=True)), "padded"),
    # float64: relu6 and Keras 3's hard_sigmoid are a relu then a clip, which ONNX Runtime's fusion refuses in float64
    "float64_relu_clip": (lambda: _seq((6,), L.Rescaling(4.0, dtype="float64"), L.Activation("relu6", dtype="float64"),
                                       L.Dense(4, activation=H3, dtype="float64"),
                                       L.Activation(H3, dtype="float64"), dtype="float64"), "normal"),
    "float64_RNN": (lambda: _seq((5, 3), L.LSTM(3, recurrent_activation=H3, dtype="float64", return_sequences=True),
                                 L.SimpleRNN(2, activation="relu", dtype="float64"),
                                 L.Dense(2, activation="relu6", dtype="float64"), dtype="float64"), "normal"),
    "Bidirectional_TimeDistributed": (lambda: _seq((6, 3), L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                                   L.TimeDistributed(L.Dense(2))), "normal"),
    "LocallyConnected": (lambda: _seq((8, 3), L.LocallyConnected1D(2, 3)), "normal"),
    "LocallyConnected2D": (lambda: _seq((5, 5, 2), L.LocallyConnected2D(2, 2)), "normal"),
    "ConvLSTM2D": (lambda: _seq((3, 5, 5, 2), L.ConvLSTM2D(2, 3, padding="same")), "normal"),
    "SpectralNormalization": (lambda: _seq((5,), L.SpectralNormalization(L.Dense(3))), "normal"),
    "Identity_Lambda": (lambda: _seq((5,), L.Identity(), L.Lambda(lambda t: ag.tanh(t) * 2.0 - 1.0)), "normal"),
    "Conv3DTranspose": (lambda: _seq((3, 3, 3, 2), L.Conv3DTranspose(2, 2, strides=2)), "normal"),
    "MultiHeadAttention": (lambda: _attention_model(L.MultiHeadAttention(2, 3, dropout=0.2)), "normal"),
    "MultiHeadAttention_masks": (_masked_mha, "padded_ids"),
    "masked_Softmax": (_masked_softmax(), "padded_ids"),
    "masked_Softmax_robust": (_masked_softmax(robust_masking=True), "padded_ids"),
    "Attention_AdditiveAttention": (lambda: _dense_attention(), "normal"),
    "preprocessing_image": (lambda: _seq((8, 8, 3), L.Rescaling(1 / 255.0, offset=0.1), L.Resizing(5, 6),
                                         L.CenterCrop(4, 4), L.Normalization(mean=0.5, variance=2.0)), "normal"),
    "random_augmentation": (lambda: _seq((8, 8, 3), L.RandomFlip(), L.RandomRotation(0.1), L.RandomZoom(0.1),
                                         L.Conv2D(2, 3)), "normal"),
}


def _inputs(model, kind, batch):
    rng = np.random.default_rng(batch)
    xs = []
    for t in model.inputs:
        shape = (batch,) + tuple(t.shape[1:])
        if kind in ("ids", "padded_ids"):
            x = rng.integers(1, 10, shape).astype(t.dtype)
            if kind == "padded_ids":
                x[:, shape[1] // 2:] = 0
                x[0, :] = 0                                      # a fully masked sequence
        elif kind == "small":
            x = (rng.standard_normal(shape) * 0.5).astype(t.dtype)
        else:
            x = rng.standard_normal(shape).astype(t.dtype)
            if kind == "padded":
                x[:, 3:] = 0.0
        xs.append(x)
    return xs


def _check(model, kind, path, opset=17):
    proto = model.export(str(path), format="onnx", opset=opset)
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert [o.version for o in loaded.opset_import if o.domain in ("", "ai.onnx")] == [opset]
    assert [i.name for i in loaded.graph.input] == list(model.input_names)
    assert [o.name for o in loaded.graph.output] == list(model.output_names)
    assert loaded.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    consumed = {i for node in loaded.graph.node for i in node.input}
    assert [init.name for init in loaded.graph.initializer if init.name not in consumed] == []
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 7):
        xs = _inputs(model, kind, batch)
        got = session.run(None, dict(zip(model.input_names, xs)))
        want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0, batch_size=batch)
        want = want if isinstance(want, list) else [want]
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return proto


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_exportable_layer_matches_predict_in_onnx_runtime(name, tmp_path):
    keras.utils.set_random_seed(11)
    build, kind = LAYERS[name]
    model = build()
    _check(model, kind, tmp_path / f"{name}.onnx")


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(REPO, "examples", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("example", ["quickstart", "digits_cnn", "sequence_lstm"])
def test_the_example_models_export_and_match(example, tmp_path):
    keras.utils.set_random_seed(12)
    module = _example(example)
    model = module.build_model(12, 8) if example == "sequence_lstm" else module.build_model()
    model.compile("adam", "mse")
    if not model.inputs:
        model.build((None,) + tuple(model.layers[0].input_shape[1:]))
    _check(model, "small", tmp_path / f"{example}.onnx", opset=18)


def test_the_functional_api_and_opsets(tmp_path):
    keras.utils.set_random_seed(13)
    inp = keras.Input((4,), name="features")
    hidden = L.Dense(5, activation="relu", name="hidden")(inp)
    out1 = L.Dense(2, activation="softmax", name="probabilities")(hidden)
    out2 = L.Dense(1, name="score")(L.Concatenate()([hidden, inp]))
    model = keras.Model(inp, [out1, out2])
    for opset in (17, 18, 21):
        _check(model, "normal", tmp_path / f"two_heads_{opset}.onnx", opset=opset)
    proto = keras.onnx.export(model, str(tmp_path / "same.onnx"))        # the module function, opset 17
    assert proto.opset_import[0].version == 17
    with pytest.raises(ValueError, match="opset from 17 to 21"):
        keras.onnx.export(model, str(tmp_path / "x.onnx"), opset=13)


def test_a_subclassed_model_exports_from_its_calls(tmp_path):
    class Small(keras.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = L.Dense(3, activation="tanh"), L.Dense(2)

        def call(self, x):
            return self.b(self.a(x)) + x[:, :2]

    model = Small()
    model(np.zeros((1, 4), "float32"))
    model.export(str(tmp_path / "small.onnx"), format="onnx")
    session = ort.InferenceSession(str(tmp_path / "small.onnx"), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    np.testing.assert_allclose(session.run(None, {"input_1": x})[0], model.predict(x, verbose=0), atol=1e-5)


def test_export_without_a_format_explains_the_saved_model_and_names_onnx(tmp_path):
    model = keras.Sequential([L.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match=r"SavedModel.*needs TensorFlow.*format='onnx'"):
        model.export(str(tmp_path / "m"))
    with pytest.raises(ValueError, match="format='onnx' only"):
        model.export(str(tmp_path / "m"), format="tflite")
    assert not os.path.exists(tmp_path / "m")


def test_a_layer_that_cannot_be_exported_is_named_with_its_class(tmp_path):
    cube = ag.primitive(lambda x: x ** 3, name="i18_cube")
    ag.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)

    class Cube(L.Layer):
        def call(self, x):
            return cube(x)

    model = _seq((3,), L.Dense(3), Cube(name="cubed"))
    with pytest.raises(ValueError, match=r"layer 'cubed' \(Cube\) cannot be exported to ONNX.*'i18_cube'"):
        model.export(str(tmp_path / "cube.onnx"), format="onnx")
    assert not os.path.exists(tmp_path / "cube.onnx")


def test_missing_onnx_raises_an_import_error_naming_the_extra(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)
    model = keras.Sequential([L.Dense(1, input_shape=(2,))])
    with pytest.raises(ImportError, match=r'pip install "kerasfront\[onnx\]"'):
        model.export(str(tmp_path / "m.onnx"), format="onnx")


@pytest.mark.parametrize("layer, dtype", [(lambda: L.IntegerLookup(vocabulary=[3, 5, 7]), "int64"),
                                          (lambda: L.Hashing(7), "int64"),
                                          (lambda: L.Discretization(bin_boundaries=[0.3, 0.6]), "float32"),
                                          (lambda: L.CategoryEncoding(8, output_mode="multi_hot"), "int64")])
def test_layers_that_compute_on_the_host_are_refused_by_name(layer, dtype, tmp_path):
    # an IntegerLookup maps every placeholder id the tracer feeds (0 and 1) to OOV: its output looked constant,
    # and the exported file answered 1 for every id
    model = _seq((4,), layer(), dtype=dtype)
    name = model.layers[-1].name
    with pytest.raises(ValueError, match=rf"layer '{name}' \({type(model.layers[-1]).__name__}\) computes on the host"):
        model.export(str(tmp_path / "host.onnx"), format="onnx")
    assert not os.path.exists(tmp_path / "host.onnx")


def _f32(t):
    return ag.astype(t, "float32")


#: the primitives the layer models above never produce, each through a Lambda layer
PRIMITIVES = {
    "all": lambda x: _f32(ag.all(x > 0.0, axis=-1, keepdims=True)),
    "any": lambda x: _f32(ag.any(x > 0.5, axis=1)),
    "arctan": ag.arctan, "ceil": ag.ceil, "floor": ag.floor, "round": ag.round, "sign": ag.sign, "cos": ag.cos,
    "cosh": ag.cosh, "sin": ag.sin, "sinh": ag.sinh, "tan": ag.tan,
    "argmax": lambda x: _f32(ag.argmax(x, axis=-1)), "argmin": lambda x: _f32(ag.argmin(x, axis=1)),
    "cumsum": lambda x: ag.cumsum(x, axis=1), "einsum": lambda x: ag.einsum("bi,bj->bij", x, x),
    "equal": lambda x: _f32(ag.equal(ag.round(x), 1.0)), "less": lambda x: _f32(ag.less(x, 0.2)),
    "less_equal": lambda x: _f32(ag.less_equal(x, 0.2)), "greater_equal": lambda x: _f32(ag.greater_equal(x, 0.2)),
    "floor_divide": lambda x: ag.floor_divide(x * 10.0, 3.0),
    "isfinite": lambda x: _f32(ag.isfinite(ag.log(x))), "isinf": lambda x: _f32(ag.isinf(ag.log(ag.abs(x)))),
    "isnan": lambda x: _f32(ag.isnan(ag.sqrt(x))), "log": lambda x: ag.log(ag.abs(x) + 0.1),
    "log10": lambda x: ag.log10(ag.abs(x) + 0.1), "log1p": lambda x: ag.log1p(ag.abs(x)),
    "log2": lambda x: ag.log2(ag.abs(x) + 0.1),
    "logical_not_or": lambda x: _f32(ag.logical_or(ag.logical_not(x > 0.0), x > 0.5)),
    "logsumexp": lambda x: ag.logsumexp(x, axis=-1), "min": lambda x: ag.min(x, axis=-1, keepdims=True),
    "norm": lambda x: ag.norm(x, axis=-1), "prod": lambda x: ag.prod(x, axis=1), "positive": ag.positive,
    "reciprocal": lambda x: ag.reciprocal(x + 3.0), "repeat": lambda x: ag.repeat(x, 2, axis=1),
    "tile": lambda x: ag.tile(x, (1, 3)), "stop_gradient": lambda x: ag.stop_gradient(x) * 2.0,
}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_converted_primitive_matches_predict_and_leaves_no_unused_constant(name, tmp_path):
    inp = keras.Input((5,), name="x")
    model = keras.Model(inp, L.Lambda(PRIMITIVES[name])(inp))
    path = str(tmp_path / f"{name}.onnx")
    model.export(path, format="onnx")
    graph = onnx.load(path).graph
    consumed = {i for node in graph.node for i in node.input}
    assert [init.name for init in graph.initializer if init.name not in consumed] == []
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (1, 7):
        x = (np.random.default_rng(batch).standard_normal((batch, 5)) * 2).astype("float32")
        x[0, 0] = 0.0
        got, want = session.run(None, {"x": x})[0], model.predict(x, verbose=0)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)



def test_keras3_and_tf_keras2_hard_sigmoid_export_each_its_own_formula(tmp_path):
    """Keras 3's hard_sigmoid (relu6(x + 3) / 6, slope 1/6, saturating at +-3) and tf.keras 2's (clip(0.2 x + 0.5, 0,
    1), slope 0.2, saturating at +-2.5) export as their own formulas, with the same float32 roundings."""
    inp = keras.Input((13,), name="x")
    model = keras.Model(inp, [L.Activation(H3)(inp), L.Activation("hard_sigmoid")(inp)])
    path = str(tmp_path / "hard_sigmoids.onnx")
    model.export(path, format="onnx")
    x = np.linspace(-4.0, 4.0, 13, dtype=np.float32)[None].repeat(3, axis=0)
    x[1] *= 0.37
    k3, k2 = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_array_equal(k3, np.clip(x + np.float32(3), 0, 6) / np.float32(6))
    np.testing.assert_array_equal(k2, np.clip(x * np.float32(0.2) + np.float32(0.5), 0, 1))
    np.testing.assert_array_equal(k3[0, [0, 1, -2, -1]], [0, 0, 1, 1])           # x = -4, -3.33, 3.33, 4
    assert np.abs(k3 - k2).max() > 0.05
    want = model.predict(x, verbose=0)
    np.testing.assert_array_equal(k3, want[0])
    np.testing.assert_array_equal(k2, want[1])


KERAS3_FIXTURES = os.path.join(REPO, "tests", "fixtures", "keras3_reference")


@pytest.mark.parametrize("name", ["k3_rnn_hard_sigmoid", "k3_conv_lstm"])
def test_keras3_files_with_keras3_hard_sigmoid_export_with_keras3s_numbers(name, tmp_path):
    """Files Keras 3 wrote with 'hard_sigmoid' (read as keras3_hard_sigmoid) in LSTM / GRU / SimpleRNN over a padding
    mask (k3_rnn_hard_sigmoid: rows padded inside, at the end, and mostly) and in ConvLSTM2D and Dense (k3_conv_lstm)
    export; ONNX Runtime gives Keras 3's predictions."""
    model = keras.models.load_model(os.path.join(KERAS3_FIXTURES, f"{name}.keras"), compile=False)
    data = np.load(os.path.join(KERAS3_FIXTURES, f"{name}.npz"))
    assert H3 in {v for layer in model.layers for k, v in layer.get_config().items() if k.endswith("activation")}
    path = str(tmp_path / f"{name}.onnx")
    model.export(path, format="onnx")
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {model.input_names[0]: data["x"]})
    np.testing.assert_allclose(got[0], data["y_pred"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[0], model.predict(data["x"], verbose=0), rtol=1e-5, atol=1e-5)


class _FramesMask(L.Layer):
    """Passes its input on with a mask that drops the all-zero frames of a (batch, time, ...) sequence."""

    def call(self, x):
        return x

    def compute_mask(self, x, mask=None):
        return ag.not_equal(ag.sum(ag.abs(x), axis=tuple(range(2, len(x.shape)))), 0.0)


def test_a_masked_conv_lstm_applies_the_mask_of_its_input(tmp_path):
    keras.utils.set_random_seed(14)
    inp = keras.Input((4, 5, 5, 2), name="frames")
    x = L.ConvLSTM2D(2, 3, padding="same", recurrent_activation=H3, return_sequences=True)(_FramesMask()(inp))
    model = keras.Model(inp, L.ConvLSTM2D(2, 2, go_backwards=True)(x))
    path = str(tmp_path / "masked_conv_lstm.onnx")
    model.export(path, format="onnx")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(14).standard_normal((3, 4, 5, 5, 2)).astype("float32")
    x[:, 2:] = 0.0
    x[0] = 0.0                                                  # every frame masked
    x[2, 1] = 0.0                                               # a masked frame between kept ones
    np.testing.assert_allclose(session.run(None, {"frames": x})[0], model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


class _FillsMaskedSteps(L.Layer):
    """Sets the masked steps of a (batch, time, features) input to -1 and passes no mask on: with ``on_host`` it reads
    the mask's array with numpy (what a trace cannot see), else with ops."""

    def __init__(self, on_host=False, **kwargs):
        super().__init__(**kwargs)
        self.on_host = on_host
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return x
        if self.on_host:
            keep = np.asarray(mask.data, x.dtype)[..., None]
            return x * keep + (1 - keep) * np.asarray(-1.0, x.dtype)
        return ag.where(ag.expand_dims(mask, -1), x, np.asarray(-1.0, x.dtype))

    def compute_mask(self, x, mask=None):
        return None


def _mask_reader(source, on_host):
    """ids (float, the Input's default) -> Embedding(mask_zero=True), or steps -> Masking(-1.5): then the layer."""
    if source == "embedding":
        inp = keras.Input((7,), name="x")
        x = L.Embedding(10, 3, mask_zero=True)(inp)
    else:
        inp = keras.Input((6, 3), name="x")
        x = L.Masking(-1.5)(inp)
    return keras.Model(inp, L.GlobalAveragePooling1D()(_FillsMaskedSteps(on_host)(x)))


@pytest.mark.parametrize("source", ["embedding", "masking"])
def test_a_layer_reading_its_mask_on_the_host_is_refused_by_the_padded_check(source, tmp_path):
    """The placeholders a forward is traced on hold no padding (float ids are never 0, nor steps all -1.5), so a mask
    read on the host was traced as all-kept and the file ignored the padding; the check on other data now holds
    padding (0 for Embedding(mask_zero=True), a Masking layer's mask_value) and refuses the model, naming why."""
    keras.utils.set_random_seed(15)
    model = _mask_reader(source, on_host=True)
    path = tmp_path / "host_mask.onnx"
    with pytest.raises(ValueError, match=r"does not reproduce output 0 on inputs with padding \(steps of "
                                         rf"{'0' if source == 'embedding' else '-1.5'}.*reads a mask on the host"):
        model.export(str(path), format="onnx")
    assert not os.path.exists(path)
    # the same layer reading its mask with ops exports, and applies the padding of its own input
    model = _mask_reader(source, on_host=False)
    model.export(str(path), format="onnx")
    x = _inputs(model, "padded_ids" if source == "embedding" else "normal", 5)[0]
    if source == "masking":
        x[:, 4:] = -1.5
        x[1, 1] = -1.5
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
