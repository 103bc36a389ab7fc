"""Volumetric primitives (conv3d, conv3d_transpose, max/avg_pool3d, upsample3d): forward against plain-loop
references that compute TensorFlow's padding themselves (no code shared with autograd/ops/nn3d.py); the
gradients are in the hypothesis table (test_op_gradients.py)."""
import itertools

import numpy as np
import pytest

import autograd as ag

RNG = np.random.default_rng(33)


def tf_same(n, k_eff, s):
    out = -(-n // s)
    return out, max((out - 1) * s + k_eff - n, 0) // 2


def out_and_pad(size, ks, strides, dilation, padding):
    eff = [(k - 1) * d + 1 for k, d in zip(ks, dilation)]
    if padding == "same":
        return zip(*[tf_same(n, e, s) for n, e, s in zip(size, eff, strides)])
    return [(n - e) // s + 1 for n, e, s in zip(size, eff, strides)], [0, 0, 0]


def ref_conv3d(x, k, strides=(1, 1, 1), padding="valid", dilation=(1, 1, 1)):
    n, size, _ = x.shape[0], x.shape[1:4], x.shape[4]
    outs, pads = out_and_pad(size, k.shape[:3], strides, dilation, padding)
    out = np.zeros((n,) + tuple(outs) + (k.shape[4],))
    for pos in itertools.product(*map(range, outs)):
        for tap in itertools.product(*map(range, k.shape[:3])):
            src = [p * s - pd + t * d for p, s, pd, t, d in zip(pos, strides, pads, tap, dilation)]
            if all(0 <= q < m for q, m in zip(src, size)):
                out[(slice(None),) + pos] += x[(slice(None),) + tuple(src)] @ k[tap]
    return out


def ref_pool3d(x, pool, strides, padding, kind):
    size = x.shape[1:4]
    outs, pads = out_and_pad(size, pool, strides, (1, 1, 1), padding)
    out = np.zeros((x.shape[0],) + tuple(outs) + (x.shape[4],))
    for pos in itertools.product(*map(range, outs)):
        lo = [p * s - pd for p, s, pd in zip(pos, strides, pads)]
        win = x[(slice(None),) + tuple(slice(max(a, 0), min(a + k, m)) for a, k, m in zip(lo, pool, size))]
        out[(slice(None),) + pos] = win.max(axis=(1, 2, 3)) if kind == "max" else win.mean(axis=(1, 2, 3))
    return out


@pytest.mark.parametrize("xs,ks,strides,padding,dilation", [
    ((2, 4, 5, 3, 2), (2, 3, 2, 2, 3), (1, 1, 1), "valid", (1, 1, 1)),
    ((1, 5, 4, 4, 9), (3, 3, 3, 9, 2), (2, 1, 2), "same", (1, 1, 1)),      # >= 8 channels: strided im2col
    ((1, 5, 5, 5, 2), (2, 2, 2, 2, 2), (1, 1, 1), "same", (2, 1, 2)),
    ((2, 3, 3, 3, 2), (1, 1, 1, 2, 4), (1, 1, 1), "valid", (1, 1, 1)),      # pointwise
    ((1, 4, 4, 4, 1), (4, 4, 4, 1, 2), (3, 3, 3), "same", (1, 1, 1)),
])
def test_conv3d_matches_a_plain_loop(xs, ks, strides, padding, dilation):
    x, k = RNG.standard_normal(xs), RNG.standard_normal(ks)
    got = ag.conv3d(x, k, strides, padding, dilation).numpy()
    np.testing.assert_allclose(got, ref_conv3d(x, k, strides, padding, dilation), rtol=1e-12, atol=1e-12)


def test_conv3d_groups_convolve_each_channel_group_with_its_filters():
    x, k = RNG.standard_normal((1, 4, 3, 4, 4)), RNG.standard_normal((2, 2, 2, 2, 6))
    got = ag.conv3d(x, k, padding="same", groups=2).numpy()
    want = np.concatenate([ref_conv3d(x[..., :2], k[..., :3], padding="same"),
                           ref_conv3d(x[..., 2:], k[..., 3:], padding="same")], axis=-1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strides,padding", [((2, 1, 2), "same"), ((1, 2, 1), "valid"), ((2, 2, 2), "valid")])
def test_conv3d_transpose_is_the_adjoint_of_conv3d(strides, padding):
    x, k = RNG.standard_normal((2, 5, 4, 6, 3)), RNG.standard_normal((3, 2, 3, 3, 4))
    y = ag.conv3d(x, k, strides, padding).numpy()
    g = RNG.standard_normal(y.shape)
    xt = ag.conv3d_transpose(g, k, output_shape=x.shape[1:4], strides=strides, padding=padding).numpy()
    np.testing.assert_allclose(np.sum(y * g), np.sum(x * xt), rtol=1e-12)


@pytest.mark.parametrize("size,k,s,padding,output_padding,expected", [
    ((2, 3, 3), 3, 2, "same", None, (4, 6, 6)),
    ((2, 3, 3), 3, 2, "valid", None, (5, 7, 7)),
    ((3, 3, 3), 3, 2, "same", 1, (6, 6, 6)),
    ((2, 2, 2), (1, 2, 3), 1, "valid", None, (2, 3, 4)),
])
def test_conv3d_transpose_output_sizes_follow_keras(size, k, s, padding, output_padding, expected):
    kernel = np.ones((k,) * 3 + (2, 4) if isinstance(k, int) else k + (2, 4))
    out = ag.conv3d_transpose(np.ones((1,) + size + (4,)), kernel, strides=s, padding=padding,
                              output_padding=output_padding)
    assert out.shape == (1,) + expected + (2,)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool,strides,padding", [
    ((2, 2, 2), None, "valid"), ((3, 2, 2), (1, 2, 1), "valid"), ((2, 2, 2), None, "same"),
    ((3, 3, 2), (2, 1, 2), "same"),
])
def test_pool3d_matches_a_plain_loop(kind, pool, strides, padding):
    x = RNG.standard_normal((2, 5, 4, 3, 2))
    fn = ag.max_pool3d if kind == "max" else ag.avg_pool3d
    got = fn(x, pool, strides, padding).numpy()
    np.testing.assert_allclose(got, ref_pool3d(x, pool, strides or pool, padding, kind), rtol=1e-12, atol=1e-12)


def test_max_pool3d_gradient_goes_to_each_windows_first_maximum():
    x = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 0.0, 0.0, 0.0]).reshape(1, 2, 2, 2, 1)
    t = ag.tensor(x, requires_grad=True)
    ag.max_pool3d(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy().ravel(), [0, 1, 0, 0, 0, 0, 0, 0])


def test_pool3d_and_conv3d_keep_float32():
    x = ag.tensor(RNG.standard_normal((1, 3, 3, 3, 2)).astype(np.float32), requires_grad=True)
    k = ag.tensor(RNG.standard_normal((2, 2, 2, 2, 3)).astype(np.float32), requires_grad=True)
    for out in (ag.conv3d(x, k), ag.max_pool3d(x, 2, 1), ag.avg_pool3d(x, 2, 1, "same"), ag.upsample3d(x, 2)):
        assert out.dtype == np.float32
        gx = ag.gradients(out.sum(), [x])[0]
        assert gx.dtype == np.float32


def test_upsample3d_repeats_each_voxel():
    x = RNG.standard_normal((2, 2, 3, 1, 4))
    got = ag.upsample3d(x, (2, 1, 3)).numpy()
    want = x.repeat(2, axis=1).repeat(3, axis=3)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("call,match", [
    (lambda: ag.conv3d(np.ones((1, 3, 3, 3)), np.ones((1, 1, 1, 3, 2))), r"x must be 5-d"),
    (lambda: ag.conv3d(np.ones((1, 3, 3, 3, 2)), np.ones((1, 1, 1, 3, 2))), r"expects 3 input channels"),
    (lambda: ag.conv3d(np.ones((1, 3, 3, 3, 2)), np.ones((1, 1, 1, 1, 3)), groups=2), r"divisible by groups"),
    (lambda: ag.conv3d(np.ones((1, 3, 3, 3, 2)), np.ones((1, 1, 1, 2, 2)), strides=(1, 1)), r"strides"),
    (lambda: ag.conv3d(np.ones((1, 2, 3, 3, 2)), np.ones((3, 1, 1, 2, 2))), r"smaller than the \(dilated\) window"),
    (lambda: ag.conv3d(np.ones((1, 3, 3, 3, 2)), np.ones((1, 1, 1, 2, 2)), padding="full"), r"padding"),
    (lambda: ag.conv3d_transpose(np.ones((1, 2, 2, 2, 3)), np.ones((2, 2, 2, 2, 4))), r"expects 4 input channels"),
    (lambda: ag.conv3d_transpose(np.ones((1, 2, 2, 2, 3)), np.ones((2, 2, 2, 2, 3)), strides=2,
                                 output_padding=2), r"output_padding"),
    (lambda: ag.conv3d_transpose(np.ones((1, 2, 2, 2, 3)), np.ones((2, 2, 2, 2, 3)), output_shape=(9, 9, 9)),
     r"inconsistent"),
    (lambda: ag.max_pool3d(np.ones((1, 3, 3, 3)), 2), r"x must be 5-d"),
    (lambda: ag.avg_pool3d(np.ones((1, 3, 3, 3, 1)), 0), r"pool_size must be positive"),
    (lambda: ag.upsample3d(np.ones((1, 3, 3, 3, 1)), (2, 2)), r"size must be an int or a tuple of 3"),
])
def test_3d_ops_name_the_bad_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
