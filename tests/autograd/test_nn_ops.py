"""Neural-network primitives: forward against plain-loop references, gradients against numerical ones.

The references below are deliberately naive (Python loops over output positions, explicit bounds
checks) and compute TensorFlow's padding themselves, so they share no code with autograd/ops/nn.py.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag

RNG = np.random.default_rng(1234)


def rand(*shape):
    return RNG.standard_normal(shape)


# -- references -----------------------------------------------------------------------------------


def tf_same_pad(n, k_eff, s):
    out = -(-n // s)
    total = max((out - 1) * s + k_eff - n, 0)
    return out, total // 2


def ref_conv2d(x, k, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1):
    n, h, w, c = x.shape
    kh, kw, cg, o = k.shape
    sh, sw = strides
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "same":
        oh, pt = tf_same_pad(h, ekh, sh)
        ow, pl = tf_same_pad(w, ekw, sw)
    else:
        oh, ow, pt, pl = (h - ekh) // sh + 1, (w - ekw) // sw + 1, 0, 0
    og = o // groups
    out = np.zeros((n, oh, ow, o))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                patch = np.zeros((kh, kw, c))
                for a in range(kh):
                    for e in range(kw):
                        r, q = i * sh - pt + a * dh, j * sw - pl + e * dw
                        if 0 <= r < h and 0 <= q < w:
                            patch[a, e] = x[b, r, q]
                for grp in range(groups):
                    pg = patch[:, :, grp * cg:(grp + 1) * cg].ravel()
                    out[b, i, j, grp * og:(grp + 1) * og] = pg @ k[:, :, :, grp * og:(grp + 1) * og].reshape(-1, og)
    return out


def ref_conv2d_transpose(x, k, out_hw, strides, padding):
    """Scatter every input pixel through the kernel (k: kh, kw, filters, in)."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = k.shape
    sh, sw = strides
    oh, ow = out_hw
    pt = tf_same_pad(oh, kh, sh)[1] if padding == "same" else 0
    pl = tf_same_pad(ow, kw, sw)[1] if padding == "same" else 0
    out = np.zeros((n, oh, ow, f))
    for b in range(n):
        for i in range(h):
            for j in range(w):
                for a in range(kh):
                    for e in range(kw):
                        r, q = i * sh - pt + a, j * sw - pl + e
                        if 0 <= r < oh and 0 <= q < ow:
                            out[b, r, q] += k[a, e] @ x[b, i, j]
    return out


def ref_pool2d(x, pool, strides, padding, kind):
    n, h, w, c = x.shape
    ph, pw = pool
    sh, sw = strides
    if padding == "same":
        oh, pt = tf_same_pad(h, ph, sh)
        ow, pl = tf_same_pad(w, pw, sw)
    else:
        oh, ow, pt, pl = (h - ph) // sh + 1, (w - pw) // sw + 1, 0, 0
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, q0 = i * sh - pt, j * sw - pl
            win = x[:, max(r0, 0):min(r0 + ph, h), max(q0, 0):min(q0 + pw, w)]
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


def ref_softmax_ce(logits, labels):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -(labels * logp).sum(-1)


# -- convolution ----------------------------------------------------------------------------------
CONV_CASES = [
    # (x shape, kernel shape, strides, padding, dilation, groups)
    ((2, 5, 6, 3), (3, 3, 3, 4), (1, 1), "valid", (1, 1), 1),
    ((2, 5, 6, 3), (3, 3, 3, 4), (1, 1), "same", (1, 1), 1),
    ((2, 7, 6, 2), (3, 2, 2, 3), (2, 3), "same", (1, 1), 1),
    ((1, 8, 7, 2), (3, 3, 2, 2), (2, 2), "valid", (1, 1), 1),
    ((1, 9, 9, 2), (3, 3, 2, 3), (1, 1), "same", (2, 2), 1),
    ((1, 9, 8, 2), (2, 3, 2, 2), (1, 1), "valid", (3, 2), 1),
    ((2, 6, 6, 4), (3, 3, 2, 6), (1, 1), "same", (1, 1), 2),
    ((1, 7, 7, 6), (3, 3, 2, 3), (2, 2), "valid", (1, 1), 3),
    ((2, 4, 5, 3), (1, 1, 3, 5), (1, 1), "valid", (1, 1), 1),
    ((1, 6, 6, 9), (3, 3, 9, 2), (1, 1), "same", (1, 1), 1),   # >= 8 channels: strided-copy im2col
    ((1, 4, 4, 1), (4, 4, 1, 2), (3, 3), "same", (1, 1), 1),
]


@pytest.mark.parametrize("xs,ks,strides,padding,dilation,groups", CONV_CASES)
def test_conv2d_forward_and_gradients(xs, ks, strides, padding, dilation, groups):
    x, k = rand(*xs), rand(*ks)
    out = ag.conv2d(x, k, strides, padding, dilation, groups)
    np.testing.assert_allclose(out.data, ref_conv2d(x, k, strides, padding, dilation, groups), atol=1e-12)
    ag.gradcheck(lambda a, b: ag.conv2d(a, b, strides, padding, dilation, groups), x, k)


@pytest.mark.parametrize("xs,ks,strides,padding,dilation,groups", CONV_CASES[:7:3])
def test_conv2d_second_order(xs, ks, strides, padding, dilation, groups):
    x, k = rand(*xs), rand(*ks)
    ag.gradcheck(lambda a, b: ag.conv2d(a, b, strides, padding, dilation, groups) ** 2, x, k, order=2)


def _unfused(x, k, strides, padding, dilation, groups, bias, activation):
    out = ag.conv2d(x, k, strides, padding, dilation, groups)
    if bias is not None:
        out = out + bias
    return ag.relu(out) if activation == "relu" else out


@pytest.mark.parametrize("with_bias,activation", [(True, "relu"), (True, None), (False, "relu")])
@pytest.mark.parametrize("xs,ks,strides,padding,dilation,groups", CONV_CASES[::2])
def test_conv2d_fused_bias_relu_is_the_composition(xs, ks, strides, padding, dilation, groups, with_bias,
                                                   activation):
    x, k = rand(*xs), rand(*ks)
    b = rand(ks[3]) - 0.5 if with_bias else None
    out = ag.conv2d(x, k, strides, padding, dilation, groups, bias=b, activation=activation)
    ref = ref_conv2d(x, k, strides, padding, dilation, groups) + (0 if b is None else b)
    if activation == "relu":
        ref = np.maximum(ref, 0)
        assert (ref == 0).any() and (ref > 0).any()      # both sides of the kink are exercised
    np.testing.assert_allclose(out.data, ref, atol=1e-12)
    args = (x, k) + ((b,) if with_bias else ())

    def fused(a, kk, *bb):
        return ag.conv2d(a, kk, strides, padding, dilation, groups, bias=bb[0] if bb else None,
                         activation=activation)

    ag.gradcheck(fused, *args)
    ag.gradcheck(lambda *a: fused(*a) ** 2, *args, order=2)      # create_graph through the fused op


def test_conv2d_fused_float32_gradients_equal_the_composition():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 9, 9, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 8)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    gy = rng.standard_normal((4, 7, 7, 8)).astype(np.float32)
    grads = []
    for fn in (lambda a, kk, bb: ag.conv2d(a, kk, bias=bb, activation="relu"),
               lambda a, kk, bb: _unfused(a, kk, 1, "valid", 1, 1, bb, "relu")):
        ts = [ag.tensor(v, requires_grad=True) for v in (x, k, b)]
        y = fn(*ts)
        assert y.dtype == np.float32
        y.backward(gy)
        grads.append((y.data, *(t.grad.data for t in ts)))
    for fused, plain in zip(*grads):
        assert fused.dtype == np.float32
        np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(grads[0][0], grads[1][0])        # forward: the very same arithmetic


def test_conv2d_fused_backward_twice_with_retained_graph_uses_each_gradient():
    x, k, b = (ag.tensor(v, requires_grad=True) for v in (rand(2, 5, 5, 2), rand(3, 3, 2, 3), rand(3) - 0.5))
    y = ag.conv2d(x, k, bias=b, activation="relu")
    g1, g2 = rand(*y.shape), rand(*y.shape) - 0.5
    first = ag.gradients(y, [x, k, b], g1, retain_graph=True)
    second = ag.gradients(y, [x, k, b], g2)
    ref = _unfused(x, k, 1, "valid", 1, 1, b, "relu")
    for got, g in ((first, g1), (second, g2)):
        for a, r in zip(got, ag.gradients(ref, [x, k, b], g, retain_graph=True)):
            np.testing.assert_allclose(a.data, r.data, atol=1e-12)


@pytest.mark.parametrize("wanted", [(1,), (2,), (1, 2), (0, 2)])
@pytest.mark.parametrize("channels", [1, 9])        # column-major patches (few channels) and row-major
def test_conv2d_fused_bias_gradient_from_the_kernel_matmul(wanted, channels):
    # the bias's gradient is the last row of the kernel gradient's matmul when both are asked for, and a
    # reduction of its own otherwise: the same numbers either way, whichever subset requires grad
    x, k, b = rand(2, 6, 5, channels), rand(3, 3, channels, 4) - 0.5, rand(4) - 0.5
    gy = rand(2, 4, 3, 4) - 0.5
    leaves = [ag.tensor(v, requires_grad=(i in wanted)) for i, v in enumerate((x, k, b))]
    got = ag.gradients(ag.conv2d(*leaves[:2], bias=leaves[2], activation="relu"), [leaves[i] for i in wanted], gy)
    ref = ag.gradients(_unfused(*leaves[:2], 1, "valid", 1, 1, leaves[2], "relu"), [leaves[i] for i in wanted], gy)
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a.data, r.data, atol=1e-12)


def test_conv2d_fused_kernel_gradient_over_many_pixels():
    # a first layer's kernel gradient over many pixels (here 2 x 98 x 98, not a multiple of the 32 row
    # blocks) is summed block-wise; it equals the plain composition's
    rng = np.random.default_rng(6)
    x = ag.tensor(rng.standard_normal((2, 100, 100, 1)))
    k = ag.tensor(rng.standard_normal((3, 3, 1, 4)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(4), requires_grad=True)
    gy = rng.standard_normal((2, 98, 98, 4))
    fused = ag.gradients(ag.conv2d(x, k, bias=b, activation="relu"), [k, b], gy)
    plain = ag.gradients(_unfused(x, k, 1, "valid", 1, 1, b, "relu"), [k, b], gy)
    for f, p in zip(fused, plain):
        np.testing.assert_allclose(f.data, p.data, rtol=1e-10, atol=1e-9)


def test_conv2d_fused_with_a_bias_of_another_dtype_promotes_like_the_composition():
    x, k = rand(1, 4, 4, 2).astype(np.float32), rand(3, 3, 2, 3).astype(np.float32)
    out = ag.conv2d(x, k, bias=np.ones(3), activation="relu")
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, _unfused(x, k, 1, "valid", 1, 1, np.ones(3), "relu").data)


@pytest.mark.parametrize("kwargs,match", [({"activation": "tanh"}, "activation must be None, 'linear', 'relu', 'relu6' or 'swish'"),
                                          ({"bias": np.ones(4)}, r"bias must have shape \(filters,\) = \(3,\)")])
def test_conv2d_fused_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ag.conv2d(rand(1, 4, 4, 2), rand(3, 3, 2, 3), **kwargs)


_ACTIVATIONS = {"relu6": lambda y: ag.minimum(ag.relu(y), 6.0), "swish": ag.swish, "relu": ag.relu, None: lambda y: y}


def _assert_fused_equals(fused, plain, activation):
    """The fused inference epilogue gives the composition's numbers: exactly, except a float32 swish, whose e**-x is
    a power of 2 there (within 4e-6 relative of ag.swish; see test_fused_float32_swish_accuracy)."""
    if activation == "swish" and fused.dtype == np.float32:
        np.testing.assert_allclose(fused, plain, rtol=4e-6, atol=1e-30)
        assert not np.array_equal(fused, plain) or fused.size < 50     # the power-of-2 path ran
    else:
        np.testing.assert_array_equal(fused, plain)


def test_fused_float32_swish_accuracy():
    # a 1x1 convolution with a unit kernel: the fused epilogue's swish of x itself, against float64
    x = np.concatenate([np.linspace(-100, 100, 200_001), [0.0, -0.0, np.inf, np.nan]]).astype(np.float32)
    with ag.no_grad():
        got = ag.conv2d(x.reshape(1, 1, -1, 1), np.ones((1, 1, 1, 1), np.float32), activation="swish").data.ravel()
    x64 = x.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        want = x64 / (1 + np.exp(-x64))
    finite = np.isfinite(x) & (x > -88)
    rel = np.abs(got[finite] - want[finite]) / np.maximum(np.abs(want[finite]), 1e-38)
    assert rel.max() < 4e-6
    small = finite & (np.abs(x) < 5)
    assert (np.abs(got[small] - want[small]) / np.maximum(np.abs(want[small]), 1e-38)).max() < 4e-7
    assert np.all(got[x < -88.8] == 0) and got[-2] == np.inf and np.isnan(got[-1])    # underflow, inf, nan


@pytest.mark.parametrize("activation", ["relu6", "swish"])
@pytest.mark.parametrize("ks,strides,padding,with_bias", [((1, 1, 5, 4), 1, "valid", True),
                                                          ((3, 3, 5, 4), 2, "same", True),
                                                          ((3, 3, 5, 4), 1, "same", False)])
def test_conv2d_relu6_swish_fused_without_gradient_is_the_composition(ks, strides, padding, with_bias, activation):
    # inference (no gradient): run inside the convolution's pieces; the same float32 numbers as the composition
    x = (rand(3, 7, 7, 5) * 8 - 4).astype(np.float32)
    k, b = rand(*ks).astype(np.float32), (rand(4) * 4 - 2).astype(np.float32) if with_bias else None
    with ag.no_grad():
        fused = ag.conv2d(x, k, strides, padding, bias=b, activation=activation)
    plain = _ACTIVATIONS[activation](_unfused(x, k, strides, padding, 1, 1, b, None))
    _assert_fused_equals(fused.data, plain.data, activation)
    if activation == "relu6":
        assert fused.data.max() == 6.0 and fused.data.min() == 0.0     # both bounds reached: the clip ran


def test_conv2d_swish_with_gradient_is_differentiable():
    x, k, b = (ag.tensor(rand(*s), requires_grad=True) for s in ((2, 5, 5, 3), (3, 3, 3, 2), (2,)))
    gx, gk, gb = ag.gradients(ag.sum(ag.conv2d(x, k, bias=b, activation="swish")), [x, k, b])
    px, pk, pb = ag.gradients(ag.sum(ag.swish(ag.conv2d(x, k) + b)), [x, k, b])
    for f, p in ((gx, px), (gk, pk), (gb, pb)):
        np.testing.assert_allclose(f.data, p.data, rtol=1e-12)


@pytest.mark.parametrize("activation", [None, "relu", "relu6", "swish"])
@pytest.mark.parametrize("xs,ks,strides,padding", [((2, 9, 8, 3), (3, 3, 3, 1), 1, "same"),
                                                   ((2, 9, 8, 3), (5, 5, 3, 1), 2, "same"),
                                                   ((2, 9, 8, 3), (3, 3, 3, 2), 1, "valid"),
                                                   ((3, 6, 6, 4), (3, 3, 4, 1), (2, 1), "valid"),
                                                   ((2, 5, 11, 3), (2, 4, 3, 1), (1, 3), "valid"),
                                                   ((2, 7, 9, 2), (3, 3, 2, 1), (2, 2), "same")])
def test_depthwise_conv2d_bias_activation_fused_without_gradient_is_the_composition(xs, ks, strides, padding,
                                                                                    activation):
    # the bias and the activation run block by block inside the taps' loop: exactly the composition's numbers
    x = (rand(*xs) * 8 - 4).astype(np.float32)
    k = rand(*ks).astype(np.float32)
    b = (rand(ks[2] * ks[3]) * 4 - 2).astype(np.float32)
    with ag.no_grad():
        fused = ag.depthwise_conv2d(x, k, strides, padding, bias=b, activation=activation)
    plain = _ACTIVATIONS[activation](ag.depthwise_conv2d(x, k, strides, padding) + b)
    _assert_fused_equals(fused.data, plain.data, activation)
    # and the taps themselves (strided: read from the image's column phases) against a direct sum
    kd = ks[3]
    xp = np.asarray(x, np.float64)
    if padding == "same":
        sh, sw = (strides, strides) if isinstance(strides, int) else strides
        ph = max((-(-xs[1] // sh) - 1) * sh + ks[0] - xs[1], 0)
        pw = max((-(-xs[2] // sw) - 1) * sw + ks[1] - xs[2], 0)
        xp = np.pad(xp, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    oh, ow = plain.shape[1:3]
    direct = np.zeros((xs[0], oh, ow, xs[3], kd))
    for i in range(ks[0]):
        for j in range(ks[1]):
            direct += xp[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :, None] * k[i, j]
    with ag.no_grad():
        taps = ag.depthwise_conv2d(x, k, strides, padding)
    np.testing.assert_allclose(taps.data, direct.reshape(taps.shape), rtol=1e-5, atol=1e-5)


def test_depthwise_conv2d_bias_activation_with_gradient_and_bad_arguments():
    x, k, b = (ag.tensor(rand(*s), requires_grad=True) for s in ((2, 5, 5, 3), (3, 3, 3, 2), (6,)))
    got = ag.gradients(ag.sum(ag.depthwise_conv2d(x, k, bias=b, activation="relu6")), [x, k, b])
    want = ag.gradients(ag.sum(ag.minimum(ag.relu(ag.depthwise_conv2d(x, k) + b), 6.0)), [x, k, b])
    for f, p in zip(got, want):
        np.testing.assert_allclose(f.data, p.data, rtol=1e-12)
    with pytest.raises(ValueError, match=r"bias must have shape \(in_channels \* depth_multiplier,\) = \(6,\)"):
        ag.depthwise_conv2d(x, k, bias=np.ones(3))
    with pytest.raises(ValueError, match="activation must be None, 'linear', 'relu', 'relu6' or 'swish'"):
        ag.depthwise_conv2d(x, k, activation="tanh")


@settings(max_examples=15)
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3), o=st.integers(1, 3),
       kh=st.integers(1, 3), kw=st.integers(1, 3), s=st.integers(1, 3), d=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same"]))
def test_conv2d_matches_reference_over_shapes(h, w, c, o, kh, kw, s, d, padding):
    if padding == "valid" and ((kh - 1) * d + 1 > h or (kw - 1) * d + 1 > w):
        with pytest.raises(ValueError, match="smaller than the"):
            ag.conv2d(rand(1, h, w, c), rand(kh, kw, c, o), s, padding, d)
        return
    x, k = rand(2, h, w, c), rand(kh, kw, c, o)
    np.testing.assert_allclose(ag.conv2d(x, k, s, padding, d).data, ref_conv2d(x, k, (s, s), padding, (d, d)),
                               atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("strides,dilation", [(1, 1), (2, 1), (1, 2)])
def test_conv1d(padding, strides, dilation):
    x, k = rand(2, 9, 3), rand(3, 3, 2)
    out = ag.conv1d(x, k, strides, padding, dilation)
    if padding == "causal":
        xp = np.concatenate([np.zeros((2, 2 * dilation, 3)), x], axis=1)
        ref = ref_conv2d(xp[:, None], k[None], (1, strides), "valid", (1, dilation))[:, 0]
    else:
        ref = ref_conv2d(x[:, None], k[None], (1, strides), padding, (1, dilation))[:, 0]
    np.testing.assert_allclose(out.data, ref, atol=1e-12)
    if padding == "causal":   # output t sees inputs up to t only
        assert out.shape[1] == -(-9 // strides)
        x2 = x.copy()
        x2[:, 5:] += 1.0
        np.testing.assert_allclose(ag.conv1d(x2, k, strides, padding, dilation).data[:, :-(-5 // strides)],
                                   out.data[:, :-(-5 // strides)])
    ag.gradcheck(lambda a, b: ag.conv1d(a, b, strides, padding, dilation), x, k)


def test_conv1d_groups():
    x, k = rand(2, 7, 4), rand(3, 2, 6)
    ref = ref_conv2d(x[:, None], k[None], (1, 1), "same", (1, 1), 2)[:, 0]
    np.testing.assert_allclose(ag.conv1d(x, k, padding="same", groups=2).data, ref, atol=1e-12)
    ag.gradcheck(lambda a, b: ag.conv1d(a, b, padding="same", groups=2), x, k)


@pytest.mark.parametrize("layout", ["contiguous", "strided"])    # x itself, or every other channel of a wider array
@pytest.mark.parametrize("dm", [1, 2])                           # one filter a channel: the einsum taps
@pytest.mark.parametrize("strides,padding,dilation", [(1, "same", 1), (2, "valid", 1), (1, "valid", 2),
                                                      (1, "same", 2), ((1, 2), "same", 1)])
def test_depthwise_conv2d(strides, padding, dilation, dm, layout):
    x = rand(2, 7, 6, 3) if layout == "contiguous" else rand(2, 7, 6, 6)[..., ::2]
    k = rand(3, 3, 3, dm)
    strides = strides if isinstance(strides, tuple) else (strides, strides)
    out = ag.depthwise_conv2d(x, k, strides, padding, dilation)
    # reference: channel c convolved alone with its depth_multiplier filters, output channel c*dm + m
    ref = np.concatenate([ref_conv2d(x[..., c:c + 1], k[:, :, c:c + 1], strides, padding, (dilation,) * 2)
                          for c in range(3)], axis=-1)
    np.testing.assert_allclose(out.data, ref, atol=1e-12)
    ag.gradcheck(lambda a, b: ag.depthwise_conv2d(a, b, strides, padding, dilation), x, k)


def test_separable_conv2d():
    x, dk, pk = rand(2, 6, 6, 3), rand(3, 3, 3, 2), rand(1, 1, 6, 4)
    out = ag.separable_conv2d(x, dk, pk, padding="same")
    ref = ref_conv2d(ref_conv2d(x, dk.reshape(3, 3, 1, 6), padding="same", groups=3), pk)
    np.testing.assert_allclose(out.data, ref, atol=1e-12)
    ag.gradcheck(lambda a, b, c: ag.separable_conv2d(a, b, c, padding="same"), x, dk, pk)


TRANSPOSE_CASES = [
    # (input hw, kernel size, strides, padding, output_padding, expected output hw (Keras's formula))
    ((3, 4), 3, 2, "same", None, (6, 8)),
    ((3, 4), 3, 2, "valid", None, (7, 9)),
    ((3, 3), 3, 2, "valid", 1, (8, 8)),
    ((4, 3), 3, 2, "same", 1, (8, 6)),
    ((3, 3), 2, 3, "valid", None, (9, 9)),
    ((3, 2), 5, 1, "same", None, (3, 2)),
]


@pytest.mark.parametrize("hw,k,s,padding,out_pad,out_hw", TRANSPOSE_CASES)
def test_conv2d_transpose(hw, k, s, padding, out_pad, out_hw):
    x, kern = rand(2, *hw, 3), rand(k, k, 2, 3)
    out = ag.conv2d_transpose(x, kern, strides=s, padding=padding, output_padding=out_pad)
    assert out.shape == (2,) + out_hw + (2,)
    np.testing.assert_allclose(out.data, ref_conv2d_transpose(x, kern, out_hw, (s, s), padding), atol=1e-12)
    ag.gradcheck(lambda a, b: ag.conv2d_transpose(a, b, strides=s, padding=padding, output_padding=out_pad),
                 x, kern)


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    # <conv2d(y, k), x> == <y, conv2d_transpose(x, k)> for every y, x
    y, k = rand(2, 7, 8, 2), rand(3, 3, 2, 3)
    x = rand(2, 4, 4, 3)
    lhs = np.sum(ag.conv2d(y, k, 2, "same").data * x)
    rhs = np.sum(y * ag.conv2d_transpose(x, k, output_shape=(7, 8), strides=2, padding="same").data)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
    ag.gradcheck(lambda a, b: ag.conv2d_transpose(a, b, (2, 7, 8, 2), 2, "same") ** 2, x, k, order=2)


def test_conv1d_transpose():
    x, k = rand(2, 4, 3), rand(3, 2, 3)
    out = ag.conv1d_transpose(x, k, strides=2)
    assert out.shape == (2, 9, 2)
    ref = ref_conv2d_transpose(x[:, None], k[None], (1, 9), (1, 2), "valid")[:, 0]
    np.testing.assert_allclose(out.data, ref, atol=1e-12)
    ag.gradcheck(lambda a, b: ag.conv1d_transpose(a, b, strides=2, padding="same"), x, k)


def test_conv_keeps_float32_and_frozen_inputs():
    x = ag.tensor(rand(2, 5, 5, 3).astype(np.float32), requires_grad=True)
    k = ag.tensor(rand(3, 3, 3, 4).astype(np.float32))          # frozen kernel: only dx is needed
    y = ag.conv2d(x, k, padding="same")
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and k.grad is None
    kk = ag.tensor(k.data, requires_grad=True)                  # frozen input: only dk is needed
    ag.conv2d(x.data, kk, strides=2).sum().backward()
    assert kk.grad.dtype == np.float32 and kk.grad.shape == (3, 3, 3, 4)


def test_conv_errors_name_the_argument():
    x, k = np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4))
    with pytest.raises(ValueError, match="kernel shape .* expects 2 input channels"):
        ag.conv2d(x, np.ones((3, 3, 2, 4)))
    with pytest.raises(ValueError, match="padding must be one of"):
        ag.conv2d(x, k, padding="full")
    with pytest.raises(ValueError, match="strides must be positive"):
        ag.conv2d(x, k, strides=0)
    with pytest.raises(ValueError, match="x must be 4-d"):
        ag.conv2d(np.ones((5, 5, 3)), k)
    with pytest.raises(ValueError, match="divisible by groups=2"):
        ag.conv2d(x, np.ones((3, 3, 1, 4)), groups=2)
    with pytest.raises(ValueError, match="output_padding"):
        ag.conv2d_transpose(x, np.ones((3, 3, 2, 3)), strides=2, output_padding=2)
    with pytest.raises(ValueError, match="inconsistent"):
        ag.conv2d_transpose(x, np.ones((3, 3, 2, 3)), output_shape=(20, 20), strides=2, padding="same")


# -- pooling --------------------------------------------------------------------------------------
POOL_CASES = [
    ((2, 6, 6, 2), 2, None, "valid"),
    ((2, 7, 7, 2), 2, None, "valid"),
    ((2, 7, 7, 2), 2, None, "same"),
    ((1, 8, 9, 3), 3, 2, "same"),
    ((1, 8, 9, 1), (2, 3), (1, 2), "same"),
    ((1, 6, 5, 2), 3, 1, "valid"),
]


@pytest.mark.parametrize("xs,pool,strides,padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d(xs, pool, strides, padding, kind):
    x = rand(*xs)
    fn = ag.max_pool2d if kind == "max" else ag.avg_pool2d
    p = (pool, pool) if isinstance(pool, int) else pool
    s = p if strides is None else ((strides, strides) if isinstance(strides, int) else strides)
    np.testing.assert_allclose(fn(x, pool, strides, padding).data, ref_pool2d(x, p, s, padding, kind), atol=1e-12)
    ag.gradcheck(lambda a: fn(a, pool, strides, padding), x)
    ag.gradcheck(lambda a: fn(a, pool, strides, padding) ** 2, x, order=2)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool1d(kind, padding):
    x = rand(2, 9, 3)
    fn = ag.max_pool1d if kind == "max" else ag.avg_pool1d
    ref = ref_pool2d(x[:, None], (1, 3), (1, 2), padding, kind)[:, 0]
    np.testing.assert_allclose(fn(x, 3, 2, padding).data, ref, atol=1e-12)
    ag.gradcheck(lambda a: fn(a, 3, 2, padding), x)


def test_max_pool_gradient_goes_to_the_first_maximum_as_in_tensorflow():
    x = ag.tensor(np.array([[1.0, 1.0], [1.0, 1.0]]).reshape(1, 2, 2, 1), requires_grad=True)
    ag.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data.ravel(), [1, 0, 0, 0])
    # overlapping windows each route to their own first maximum
    x = ag.tensor(np.array([[3.0, 3, 3], [3, 3, 3], [0, 0, 0]]).reshape(1, 3, 3, 1), requires_grad=True)
    ag.max_pool2d(x, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.data.ravel(), [1, 1, 0, 1, 1, 0, 0, 0, 0])


def ref_max_pool_grad(x, gy, pool):
    """Gradient of non-overlapping max pooling ('valid', strides = pool): each window's gradient goes to
    its first (row-major) maximum, as TensorFlow's MaxPoolGrad; no gradient to a window holding NaN."""
    (ph, pw), dx = pool, np.zeros_like(x)
    for b in range(x.shape[0]):
        for i in range(gy.shape[1]):
            for j in range(gy.shape[2]):
                for ch in range(x.shape[3]):
                    win = x[b, i * ph:(i + 1) * ph, j * pw:(j + 1) * pw, ch]
                    if not np.isnan(win).any():
                        r, c = divmod(int(np.argmax(win)), pw)
                        dx[b, i * ph + r, j * pw + c, ch] = gy[b, i, j, ch]
    return dx


@pytest.mark.parametrize("shape,pool", [((3, 8, 8, 4), (2, 2)), ((2, 11, 9, 3), (2, 2)), ((2, 9, 7, 2), (3, 2)),
                                        ((1, 5, 6, 2), (1, 3)), ((2, 6, 5, 2), (2, 1)), ((1, 3, 3, 2), (1, 1))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiling_max_pool_gradient_goes_to_each_windows_first_maximum(shape, pool, dtype):
    # small integers after relu: many ties (all-zero windows too), and 'valid' remainders when sizes are odd
    x = np.maximum(np.random.default_rng(1).integers(-3, 3, shape), 0).astype(dtype)
    xt = ag.tensor(x, requires_grad=True)
    y = ag.max_pool2d(xt, pool)
    np.testing.assert_array_equal(y.data, ref_pool2d(x, pool, pool, "valid", "max"))
    gy = np.random.default_rng(2).standard_normal(y.shape).astype(dtype)
    y.backward(gy)
    assert xt.grad.dtype == dtype
    np.testing.assert_array_equal(xt.grad.data, ref_max_pool_grad(x, gy, pool))


@pytest.mark.parametrize("chunk_bytes", [1, 300])
def test_tiling_max_pool_in_batch_chunks_equals_one_pass(monkeypatch, chunk_bytes):
    # the forward and backward run over the batch in cache-sized chunks; tiny chunks give the same results
    from autograd.ops import nn as nn_ops
    x = np.maximum(np.random.default_rng(4).integers(-3, 3, (5, 7, 6, 3)), 0).astype(np.float32)
    gy = np.random.default_rng(5).standard_normal((5, 3, 3, 3)).astype(np.float32)
    monkeypatch.setattr(nn_ops, "_CHUNK_BYTES", chunk_bytes)
    assert nn_ops._chunk_images(x) < 5
    xt = ag.tensor(x, requires_grad=True)
    y = ag.max_pool2d(xt, 2)
    np.testing.assert_array_equal(y.data, ref_pool2d(x, (2, 2), (2, 2), "valid", "max"))
    y.backward(gy)
    np.testing.assert_array_equal(xt.grad.data, ref_max_pool_grad(x, gy, (2, 2)))


def test_tiling_max_pool_sends_no_gradient_into_a_nan_window():
    x = np.random.default_rng(3).standard_normal((1, 4, 4, 2))
    x[0, 1, 1, 0] = np.nan
    xt = ag.tensor(x, requires_grad=True)
    ag.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(xt.grad.data, ref_max_pool_grad(x, np.ones((1, 2, 2, 2)), (2, 2)))
    assert xt.grad.data[0, :2, :2, 0].sum() == 0


def test_avg_pool_same_ignores_padding():
    out = ag.avg_pool2d(np.ones((1, 3, 3, 1)), 2, padding="same")
    np.testing.assert_array_equal(out.data, np.ones((1, 2, 2, 1)))


@settings(max_examples=15)
@given(h=st.integers(1, 7), w=st.integers(1, 7), p=st.integers(1, 3), s=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), kind=st.sampled_from(["max", "avg"]))
def test_pool2d_matches_reference_over_shapes(h, w, p, s, padding, kind):
    fn = ag.max_pool2d if kind == "max" else ag.avg_pool2d
    x = rand(2, h, w, 2)
    if padding == "valid" and (p > h or p > w):
        with pytest.raises(ValueError, match="smaller than the"):
            fn(x, p, s, padding)
        return
    np.testing.assert_allclose(fn(x, p, s, padding).data, ref_pool2d(x, (p, p), (s, s), padding, kind), atol=1e-12)


def test_pool_keeps_float32():
    x = ag.tensor(rand(1, 4, 4, 2).astype(np.float32), requires_grad=True)
    y = ag.max_pool2d(x, 2) + ag.avg_pool2d(x, 2, padding="same")
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


# -- upsampling -----------------------------------------------------------------------------------


def test_upsample2d_and_1d():
    x = rand(2, 3, 4, 2)
    out = ag.upsample2d(x, (2, 3))
    np.testing.assert_array_equal(out.data, np.repeat(np.repeat(x, 2, axis=1), 3, axis=2))
    ag.gradcheck(lambda a: ag.upsample2d(a, (2, 3)) ** 2, x, order=2)
    x1 = rand(2, 3, 2)
    np.testing.assert_array_equal(ag.upsample1d(x1, 3).data, np.repeat(x1, 3, axis=1))
    ag.gradcheck(lambda a: ag.upsample1d(a, 3), x1)
    with pytest.raises(ValueError, match="interpolation"):
        ag.upsample2d(x, 2, interpolation="bilinear")


# -- dropout --------------------------------------------------------------------------------------


def test_dropout_zeroes_at_rate_and_scales_the_rest():
    x = ag.tensor(np.ones((200, 100), np.float32), requires_grad=True)
    y = ag.dropout(x, 0.3, np.random.default_rng(0))
    assert y.dtype == np.float32
    vals = np.unique(y.data)
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y.data == 0).mean() - 0.3) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)          # the gradient is the scaled mask
    again = ag.dropout(x, 0.3, np.random.default_rng(0))
    np.testing.assert_array_equal(again.data, y.data)           # the generator alone decides the mask


def test_dropout_noise_shape_and_rate_zero():
    x = np.ones((4, 5, 6))
    y = ag.dropout(x, 0.5, np.random.default_rng(1), noise_shape=(None, 1, 6)).data
    assert np.all(y == y[:, :1, :])                            # one draw shared along axis 1
    assert 0 < (y == 0).mean() < 1
    np.testing.assert_array_equal(ag.dropout(x, 0.0, np.random.default_rng(1)).data, x)
    ag.gradcheck(lambda a: ag.dropout(a, 0.4, np.random.default_rng(3)), rand(3, 4))


def test_dropout_errors():
    with pytest.raises(ValueError, match="rate must be a number in"):
        ag.dropout(np.ones(3), 1.0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy random Generator"):
        ag.dropout(np.ones(3), 0.5, 0)
    with pytest.raises(ValueError, match="noise_shape"):
        ag.dropout(np.ones((3, 4)), 0.5, np.random.default_rng(0), noise_shape=(3, 2))


# -- embedding ------------------------------------------------------------------------------------


def test_embedding_lookup_and_accumulating_gradient():
    params = ag.tensor(rand(5, 3), requires_grad=True)
    ids = np.array([[0, 2, 2], [4, 2, 0]])
    out = ag.embedding(params, ids)
    np.testing.assert_array_equal(out.data, params.data[ids])
    out.sum().backward()
    np.testing.assert_array_equal(params.grad.data[:, 0], [2, 0, 3, 0, 1])   # repeated ids accumulate
    ag.gradcheck(lambda p: ag.embedding(p, ids) ** 2, params.data, order=2)
    np.testing.assert_array_equal(ag.embedding(params, ids.astype(np.float32)).data, out.data)


def test_embedding_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match="id 5 is outside the vocabulary"):
        ag.embedding(np.ones((5, 2)), [1, 5])
    with pytest.raises(ValueError, match="id -1"):
        ag.embedding(np.ones((5, 2)), [-1])


# -- cross-entropies ------------------------------------------------------------------------------


def test_softmax_cross_entropy_values_and_exact_gradient():
    logits, labels = rand(6, 5) * 3, RNG.dirichlet(np.ones(5), 6)
    x = ag.tensor(logits, requires_grad=True)
    loss = ag.softmax_cross_entropy(x, labels)
    np.testing.assert_allclose(loss.data, ref_softmax_ce(logits, labels), rtol=1e-12)
    loss.sum().backward()
    sm = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, sm - labels, atol=1e-12)
    ag.gradcheck(lambda a, b: ag.softmax_cross_entropy(a, b), logits, labels * 1.7)   # also unnormalised labels
    ag.gradcheck(lambda a, b: ag.softmax_cross_entropy(a, b), logits, labels, order=2)
    # another class axis
    np.testing.assert_allclose(ag.softmax_cross_entropy(logits.T, labels.T, axis=0).data, loss.data, rtol=1e-12)


def test_sparse_softmax_cross_entropy():
    logits, ids = rand(6, 5), RNG.integers(0, 5, 6)
    x = ag.tensor(logits, requires_grad=True)
    loss = ag.sparse_softmax_cross_entropy(x, ids)
    np.testing.assert_allclose(loss.data, ref_softmax_ce(logits, np.eye(5)[ids]), rtol=1e-12)
    loss.sum().backward()
    sm = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, sm - np.eye(5)[ids], atol=1e-12)
    ag.gradcheck(lambda a: ag.sparse_softmax_cross_entropy(a, ids), logits, order=2)
    with pytest.raises(ValueError, match="label 5 is outside the 5 classes"):
        ag.sparse_softmax_cross_entropy(logits, np.full(6, 5))
    with pytest.raises(ValueError, match="labels must have the logits' shape"):
        ag.sparse_softmax_cross_entropy(logits, ids[:, None])


def test_sigmoid_cross_entropy():
    logits, labels = rand(4, 3) * 3, RNG.random((4, 3))
    x = ag.tensor(logits, requires_grad=True)
    loss = ag.sigmoid_cross_entropy(x, labels)
    p = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(loss.data, -labels * np.log(p) - (1 - labels) * np.log(1 - p), rtol=1e-10)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, p - labels, atol=1e-12)
    ag.gradcheck(lambda a, b: ag.sigmoid_cross_entropy(a, b), logits, labels, order=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropies_finite_for_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype)
    onehot = np.array([[0, 1, 0], [1, 0, 0]], dtype)
    for fn, lab in ((ag.softmax_cross_entropy, onehot), (ag.sparse_softmax_cross_entropy, np.array([1, 0])),
                    (ag.sigmoid_cross_entropy, onehot)):
        x = ag.tensor(logits, requires_grad=True)
        loss = fn(x, lab)
        loss.sum().backward()
        assert loss.dtype == dtype and x.grad.dtype == dtype
        assert np.all(np.isfinite(loss.data)) and np.all(np.isfinite(x.grad.data))
    np.testing.assert_allclose(ag.softmax_cross_entropy(logits, onehot).data, [2e4, 2e4], rtol=1e-6)
    x = ag.tensor(logits, requires_grad=True)
    ag.softmax_cross_entropy(x, onehot).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[1, -1, 0], [-1, 0, 1]], atol=1e-6)   # softmax - labels
    np.testing.assert_allclose(ag.sigmoid_cross_entropy(np.array([1e4, -1e4], dtype), np.zeros(2, dtype)).data,
                               [1e4, 0.0])


def test_cross_entropy_shape_errors():
    with pytest.raises(ValueError, match="same shape"):
        ag.softmax_cross_entropy(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="same shape"):
        ag.sigmoid_cross_entropy(np.ones((2, 3)), np.ones((3,)))


def test_fused_cross_entropies_accept_python_lists():
    np.testing.assert_allclose(ag.sigmoid_cross_entropy([1e4, -1e4, 0.0], [0.0, 0.0, 1.0]).numpy(),
                               [1e4, 0.0, np.log(2.0)])
    np.testing.assert_allclose(ag.softmax_cross_entropy([[0.0, 0.0]], [[1.0, 0.0]]).numpy(), [np.log(2.0)])


@pytest.mark.parametrize("pool,strides,padding", [(2, None, "valid"), (3, 2, "same"), ((2, 3), None, "valid")])
@pytest.mark.parametrize("second_consumer", [False, True])
def test_max_pool_over_fused_conv_relu_masks_the_pooled_gradient(pool, strides, padding, second_consumer):
    # max_pool2d(conv2d(..., activation="relu")) hands the conv its pre-activation gradient directly; the
    # gradients are the composition's, also when the conv's output has a second consumer (then the
    # engine sums two gradients and the conv masks the sum itself)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 8, 2))
    k = rng.standard_normal((3, 3, 2, 4))
    b = rng.standard_normal(4) * 0.5
    gy_seed = rng.standard_normal(100)

    def run(conv):
        leaves = [ag.tensor(v, requires_grad=True) for v in (x, k, b)]
        y = conv(*leaves)
        out = ag.max_pool2d(y, pool, strides, padding)
        loss = (out * gy_seed[:out.size].reshape(out.shape)).sum()
        if second_consumer:
            loss = loss + (y * y).sum() * 0.1
        return out, ag.gradients(loss, leaves)

    out, fused = run(lambda a, kk, bb: ag.conv2d(a, kk, bias=bb, activation="relu"))
    assert (out.data == 0).any() and (out.data > 0).any()     # windows on both sides of relu's kink
    _, plain = run(lambda a, kk, bb: ag.relu(ag.conv2d(a, kk) + bb))
    for f, p in zip(fused, plain):
        np.testing.assert_allclose(f.data, p.data, atol=1e-12)
    ag.gradcheck(lambda a, kk, bb: ag.max_pool2d(ag.conv2d(a, kk, bias=bb, activation="relu"), pool, strides,
                                                 padding) ** 2, x, k, b, order=2)


@pytest.mark.parametrize("ks", [(1, 1, 4, 6), (3, 3, 4, 6)])
def test_conv2d_swish_over_many_product_blocks_is_the_composition(ks):
    # 2 x 50 x 47 = 4700 rows a piece: the product and its epilogue run in blocks of rows, the last one partial
    rng = np.random.default_rng(9)
    x = rng.normal(0, 2, (2, 50, 47, 4)).astype(np.float32)
    k, b = rng.normal(0, 1, ks).astype(np.float32), rng.normal(0, 1, 6).astype(np.float32)
    with ag.no_grad():
        fused = ag.conv2d(x, k, padding="same", bias=b, activation="swish")
        scaled = ag.scaled_pointwise_conv2d(x, np.ones((2, 1, 1, 4), np.float32), k, bias=b, activation="swish") \
            if ks[0] == 1 else fused
    plain = ag.swish(ag.conv2d(x, k, padding="same") + b)
    _assert_fused_equals(fused.data, plain.data, "swish")
    np.testing.assert_allclose(scaled.data, plain.data, rtol=4e-6, atol=1e-6)
