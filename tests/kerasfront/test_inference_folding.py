"""Prediction folds BatchNormalization into the convolution before it (kerasfront/layers/inference_folding.py):
the folded plan gives the layers' own numbers, is used only where nothing can tell, and follows weight changes."""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.layers.inference_folding import FoldedConvBatchNorm, FoldedScaledPointwiseConv


def _model(extra_output=False):
    keras.backend.clear_session()
    x = inp = keras.Input((9, 9, 3))
    x = layers.Conv2D(8, 3, padding="same", name="c1")(x)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.ReLU(name="r1")(x)
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False, name="d2")(x)
    bn2 = layers.BatchNormalization(name="bn2")(x)
    x = layers.Activation("swish", name="s2")(bn2)
    x = layers.Conv2D(6, 1, use_bias=False, name="c3")(x)
    x = layers.BatchNormalization(name="bn3")(x)
    x = layers.ReLU(6.0, name="r3")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, [x, bn2] if extra_output else x)
    rng = np.random.default_rng(0)
    values = []
    for w in model.weights:
        kind = w.name.split("/")[-1].split(":")[0]
        if kind == "moving_variance":
            values.append(rng.uniform(0.5, 1.5, w.shape).astype("float32"))
        else:
            values.append(rng.normal(0.0, 0.5, w.shape).astype("float32"))
    model.set_weights(values)
    return model


def _unfolded(model, x):
    """The layers' own numbers: a call that records a gradient never takes the folded plan."""
    out = model(ag.tensor(x), training=False)
    return [np.asarray(o.numpy()) for o in out] if isinstance(out, list) else np.asarray(out.numpy())


def _folded_steps(model):
    return [step[0] for step in model._inference_plan() if isinstance(step[0], FoldedConvBatchNorm)]


def test_predict_folds_and_gives_the_layers_numbers():
    model = _model()
    x = np.random.default_rng(1).normal(0, 50, (4, 9, 9, 3)).astype("float32")
    folded = _folded_steps(model)
    assert [(f.conv.name, f.bn.name, f.act_layer.name) for f in folded] == [("c1", "bn1", "r1"), ("d2", "bn2", "s2"),
                                                                            ("c3", "bn3", "r3")]
    got = model.predict(x, verbose=0)
    want = _unfolded(model, x)
    assert np.abs(want).max() > 1.0 and want.std() > 0.1
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_an_output_read_elsewhere_stays_a_step_of_its_own():
    model = _model(extra_output=True)
    # bn2's output is a model output: d2 -> bn2 still folds (the step writes bn2's output), its swish does not
    assert [(f.conv.name, f.bn.name, f.act_layer and f.act_layer.name) for f in _folded_steps(model)] == [
        ("c1", "bn1", "r1"), ("d2", "bn2", None), ("c3", "bn3", "r3")]
    x = np.random.default_rng(2).normal(0, 50, (2, 9, 9, 3)).astype("float32")
    for got, want in zip(model.predict(x, verbose=0), _unfolded(model, x)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_new_weights_refold():
    model = _model()
    x = np.random.default_rng(3).normal(0, 50, (2, 9, 9, 3)).astype("float32")
    before = model.predict(x, verbose=0)
    bn = model.get_layer("bn3")
    bn.moving_mean.assign(bn.moving_mean.numpy() + 1.0)
    after = model.predict(x, verbose=0)
    assert np.abs(after - before).max() > 1e-3
    np.testing.assert_allclose(after, _unfolded(model, x), rtol=1e-5, atol=1e-5 * np.abs(after).max())


def test_a_trace_sees_the_layers_not_the_in_place_folding():
    """A tracer (model folders, ONNX) records ops only: the folded step's in-place shift and activation would be
    missing from the graph, so it runs the layers themselves."""
    model = _model()
    x, other = np.random.default_rng(4).normal(0, 50, (2, 2, 9, 9, 3)).astype("float32")
    with ag.no_grad():
        graph = ag.trace.trace(lambda t: model(t), [x])
        replay = np.asarray(graph.run([other])[0].numpy())
    want = _unfolded(model, other)
    np.testing.assert_allclose(replay, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_training_uses_the_batch_statistics():
    model = _model()
    x = np.random.default_rng(5).normal(0, 50, (4, 9, 9, 3)).astype("float32")
    with ag.no_grad():
        training = model(x, training=True).numpy()
    assert np.abs(training - model.predict(x, verbose=0)).max() > 1e-3


def test_a_mixed_precision_model_predicts_in_float16_as_its_layers_do():
    from kerasfront import mixed_precision
    mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _model()
        x = np.random.default_rng(6).normal(0, 50, (2, 9, 9, 3)).astype("float32")
        got, want = model.predict(x, verbose=0), _unfolded(model, x)
    finally:
        mixed_precision.set_global_policy("float32")
    assert want.dtype == np.float16
    np.testing.assert_array_equal(got, want)


def _padded_model(two_readers=False):
    """MobileNetV2 / EfficientNet / ResNet50 style: ZeroPadding2D then a "valid" stride-2 convolution."""
    keras.backend.clear_session()
    x = inp = keras.Input((10, 10, 3))
    x = layers.ZeroPadding2D(((3, 3), (3, 3)), name="conv1_pad")(x)
    x = layers.Conv2D(8, 7, strides=2, name="conv1")(x)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.ReLU(name="r1")(x)
    pad = layers.ZeroPadding2D(((0, 1), (0, 1)), name="block_pad")(x)
    x = layers.DepthwiseConv2D(3, strides=2, padding="valid", use_bias=False, name="dw")(pad)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.ReLU(6.0, name="r2")(x)
    x = layers.ZeroPadding2D(((1, 2), (1, 2)), name="dw5_pad")(x)
    x = layers.DepthwiseConv2D(5, strides=2, padding="valid", use_bias=False, name="dw5")(x)
    x = layers.BatchNormalization(name="bn3")(x)
    x = layers.Activation("swish", name="s3")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = x
    if two_readers:
        outputs = [x, layers.GlobalAveragePooling2D()(pad)]
    model = keras.Model(inp, outputs)
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if "moving_variance" in w.name
                       else rng.normal(0.0, 0.5, w.shape).astype("float32") for w in model.weights])
    return model


def _predict_without_pad_folding(model, x, monkeypatch):
    from kerasfront.layers import inference_folding
    monkeypatch.setattr(inference_folding, "FOLD_PADDING", False)
    model._inference_plan_cache = None
    try:
        assert all(f.pad_layer is None for f in _folded_steps(model))
        return model.predict(x, verbose=0)
    finally:
        monkeypatch.undo()
        model._inference_plan_cache = None


def test_zero_padding_joins_the_valid_convolution_after_it_with_the_same_bits(monkeypatch):
    model = _padded_model()
    folded = _folded_steps(model)
    assert [(f.pad_layer and f.pad_layer.name, f.conv.name) for f in folded] == [
        ("conv1_pad", "conv1"), ("block_pad", "dw"), ("dw5_pad", "dw5")]
    assert not any(type(step[0]) is layers.ZeroPadding2D for step in model._inference_plan())
    x = np.random.default_rng(7).normal(0, 50, (5, 10, 10, 3)).astype("float32")
    got = model.predict(x, verbose=0)
    assert np.abs(got).max() > 0.1
    np.testing.assert_array_equal(got, _predict_without_pad_folding(model, x, monkeypatch))
    want = _unfolded(model, x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_a_padded_tensor_read_twice_keeps_its_padding_layer(monkeypatch):
    model = _padded_model(two_readers=True)
    assert [(f.pad_layer and f.pad_layer.name, f.conv.name) for f in _folded_steps(model)] == [
        ("conv1_pad", "conv1"), (None, "dw"), ("dw5_pad", "dw5")]
    assert sum(type(step[0]) is layers.ZeroPadding2D for step in model._inference_plan()) == 1
    x = np.random.default_rng(8).normal(0, 50, (3, 10, 10, 3)).astype("float32")
    for got, want in zip(model.predict(x, verbose=0), _predict_without_pad_folding(model, x, monkeypatch)):
        np.testing.assert_array_equal(got, want)


def test_a_trace_of_a_padded_model_runs_the_padding_layer():
    model = _padded_model()
    x, other = np.random.default_rng(9).normal(0, 50, (2, 2, 10, 10, 3)).astype("float32")
    with ag.no_grad():
        graph = ag.trace.trace(lambda t: model(t), [x])
        replay = np.asarray(graph.run([other])[0].numpy())
    want = _unfolded(model, other)
    np.testing.assert_allclose(replay, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


# -- squeeze-and-excitation's rescaling folded into the projection after it ----------------------------------------
def _se_model(scale_shape="per_image", extra_output=False, act=None):
    """EfficientNet's block tail: x -> squeeze (mean) -> excite (two 1x1 convs) -> x * scale -> 1x1 conv -> bn."""
    keras.backend.clear_session()
    x = inp = keras.Input((6, 5, 4))
    x = layers.Conv2D(8, 3, padding="same", name="expand")(x)
    if scale_shape == "per_image":
        s = layers.GlobalAveragePooling2D()(x)
        s = layers.Reshape((1, 1, 8))(s)
        s = layers.Conv2D(2, 1, activation="swish", name="se_reduce")(s)
        s = layers.Conv2D(8, 1, activation="sigmoid", name="se_expand")(s)
    else:                                                           # a full-size second factor: no folding
        s = layers.Conv2D(8, 1, activation="sigmoid", name="gate")(x)
    m = layers.Multiply(name="se_excite")([x, s])
    y = layers.Conv2D(5, 1, padding="same", use_bias=False, name="project_conv")(m)
    y = layers.BatchNormalization(name="project_bn")(y)
    if act:
        y = layers.Activation(act, name="project_act")(y)
    model = keras.Model(inp, [y, m] if extra_output else y)
    rng = np.random.default_rng(2)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if "moving_variance" in w.name
                       else rng.normal(0.0, 0.7, w.shape).astype("float32") for w in model.weights])
    return model


def _scaled_steps(model):
    return [step[0] for step in model._inference_plan() if isinstance(step[0], FoldedScaledPointwiseConv)]


@pytest.mark.parametrize("act", [None, "swish", "relu"])
def test_the_se_rescaling_folds_into_the_projection_with_the_layers_numbers(act):
    model = _se_model(act=act)
    x = np.random.default_rng(3).normal(0, 2, (5, 6, 5, 4)).astype("float32")
    steps = _scaled_steps(model)
    assert [(s.multiply.name, s.folded.conv.name, s.folded.bn.name) for s in steps] == [
        ("se_excite", "project_conv", "project_bn")]
    assert not any(getattr(step[0], "name", None) == "se_excite" for step in model._inference_plan())
    got = model.predict(x, verbose=0)
    want = _unfolded(model, x)
    assert want.std() > 0.1
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())


def test_a_rescaled_tensor_read_elsewhere_or_a_full_size_factor_is_not_folded():
    x = np.random.default_rng(4).normal(0, 2, (3, 6, 5, 4)).astype("float32")
    read_twice = _se_model(extra_output=True)
    assert _scaled_steps(read_twice) == []
    for got, want in zip(read_twice.predict(x, verbose=0), _unfolded(read_twice, x)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())
    full = _se_model(scale_shape="full")
    steps = _scaled_steps(full)          # the pair is planned, but a full-size factor runs the multiply layer
    assert len(steps) == 1 and steps[0]._split([ag.tensor(x), ag.tensor(x)]) is None
    np.testing.assert_allclose(full.predict(x, verbose=0), _unfolded(full, x), rtol=1e-5, atol=1e-6)


def test_scaled_pointwise_conv2d_is_the_composition_and_checks_its_arguments():
    rng = np.random.default_rng(5)
    x, s = rng.normal(size=(3, 4, 5, 6)).astype("float32"), rng.uniform(0, 1, (3, 1, 1, 6)).astype("float32")
    k, b = rng.normal(size=(1, 1, 6, 7)).astype("float32"), rng.normal(size=7).astype("float32")
    for act in (None, "relu6", "swish"):
        with ag.no_grad():
            fused = ag.scaled_pointwise_conv2d(x, s, k, bias=b, activation=act)
            plain = ag.conv2d(x * s, k, bias=b, activation=act)
        np.testing.assert_allclose(fused.data, plain.data, rtol=1e-5, atol=1e-6)
        assert not np.array_equal(fused.data, plain.data) or act == "relu6"     # the folded kernel ran
    xt, st = ag.tensor(x.astype(np.float64), requires_grad=True), ag.tensor(s.astype(np.float64), requires_grad=True)
    got = ag.gradients(ag.sum(ag.scaled_pointwise_conv2d(xt, st, k.astype(np.float64), activation="swish")), [xt, st])
    want = ag.gradients(ag.sum(ag.conv2d(xt * st, k.astype(np.float64), activation="swish")), [xt, st])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.data, w.data)
    with pytest.raises(ValueError, match=r"scale must have shape \(batch, 1, 1, channels\) = \(3, 1, 1, 6\)"):
        ag.scaled_pointwise_conv2d(x, s[:, :, :, :3], k)
    with pytest.raises(ValueError, match=r"kernel must have shape \(1, 1, 6, filters\)"):
        ag.scaled_pointwise_conv2d(x, s, np.ones((3, 3, 6, 7), np.float32))
    with pytest.raises(ValueError, match=r"bias must have shape \(filters,\) = \(7,\)"):
        ag.scaled_pointwise_conv2d(x, s, k, bias=np.ones(6, np.float32))
