"""Plain-loop numpy references for the convolution and pooling layer tests: one output pixel at a time, with
TensorFlow's 'same' padding written out, so they share nothing with autograd's im2col code.

Example:
    >>> y = conv2d_ref(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), (1, 1), "same", (1, 1), 1)
    >>> y.shape
    (1, 4, 4, 2)
"""
import numpy as np


def same_pad(n, k, s, d=1):
    """(before, after) padding of TensorFlow's 'same' for length n, kernel k, stride s, dilation d."""
    k_eff = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def _pads(shape, ksize, strides, padding, dilation):
    if padding == "valid":
        return [(0, 0)] * len(ksize)
    if padding == "causal":
        return [((ksize[0] - 1) * dilation[0], 0)]
    return [same_pad(n, k, s, d) for n, k, s, d in zip(shape, ksize, strides, dilation)]


def conv2d_ref(x, k, strides, padding, dilation, groups):
    """x (n, h, w, c), k (kh, kw, c / groups, f)."""
    n, h, w, c = x.shape
    kh, kw, cg, f = k.shape
    (pt, pb), (pl, pr) = _pads((h, w), (kh, kw), strides, padding, dilation)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (h + pt + pb - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (w + pl + pr - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    fg = f // groups
    out = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            rows = i * strides[0] + np.arange(kh) * dilation[0]
            cols = j * strides[1] + np.arange(kw) * dilation[1]
            patch = xp[:, rows][:, :, cols]                      # (n, kh, kw, c)
            for g in range(groups):
                out[:, i, j, g * fg:(g + 1) * fg] = np.einsum(
                    "nabc,abcf->nf", patch[..., g * cg:(g + 1) * cg], k[..., g * fg:(g + 1) * fg])
    return out


def conv1d_ref(x, k, stride, padding, dilation, groups):
    """x (n, w, c), k (kw, c / groups, f); padding 'valid', 'same' or 'causal'."""
    if padding == "causal":
        x = np.pad(x, ((0, 0), ((k.shape[0] - 1) * dilation, 0), (0, 0)))
        padding = "valid"
    return conv2d_ref(x[:, None], k[None], (1, stride), padding, (1, dilation), groups)[:, 0]


def conv2d_transpose_ref(x, k, strides, padding, output_padding=None):
    """The transposed convolution as a scatter: x (n, h, w, c), k (kh, kw, f, c); Keras's output size."""
    n, h, w, c = x.shape
    kh, kw, f, _ = k.shape
    sizes = []
    for length, kk, s, i in zip((h, w), (kh, kw), strides, range(2)):
        if output_padding is None:
            sizes.append(length * s if padding == "same" else length * s + max(kk - s, 0))
        else:
            pad = kk // 2 if padding == "same" else 0
            sizes.append((length - 1) * s + kk - 2 * pad + output_padding[i])
    full = np.zeros((n, (h - 1) * strides[0] + kh + sizes[0], (w - 1) * strides[1] + kw + sizes[1], f))
    for i in range(h):
        for j in range(w):
            full[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw] += np.einsum(
                "nc,abfc->nabf", x[:, i, j], k)
    # the forward convolution of an output-sized image pads it by `before`; the transposed one crops it off
    pt = same_pad(sizes[0], kh, strides[0])[0] if padding == "same" else 0
    pl = same_pad(sizes[1], kw, strides[1])[0] if padding == "same" else 0
    return full[:, pt:pt + sizes[0], pl:pl + sizes[1]]


def depthwise_conv2d_ref(x, k, strides, padding, dilation):
    """x (n, h, w, c), k (kh, kw, c, m) -> output channel c * m + j."""
    c, m = k.shape[2], k.shape[3]
    outs = [conv2d_ref(x[..., ci:ci + 1], k[:, :, ci:ci + 1, :], strides, padding, dilation, 1) for ci in range(c)]
    return np.concatenate(outs, axis=-1).reshape(outs[0].shape[:3] + (c * m,))


def pool2d_ref(x, pool, strides, padding, kind):
    """Max or average pooling of x (n, h, w, c); 'same' averages count only real (unpadded) entries."""
    n, h, w, c = x.shape
    (pt, _), (pl, _) = _pads((h, w), pool, strides, padding, (1, 1))
    if padding == "same":
        oh, ow = -(-h // strides[0]), -(-w // strides[1])
    else:
        oh, ow = (h - pool[0]) // strides[0] + 1, (w - pool[1]) // strides[1] + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - pt, j * strides[1] - pl
            win = x[:, max(r0, 0):min(r0 + pool[0], h), max(c0, 0):min(c0 + pool[1], w)]
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out
