"""Neural-network primitives in Keras's layouts (channels_last) and argument names.

Convolution (``conv1d``, ``conv2d`` with groups, ``conv1d_transpose``, ``conv2d_transpose``,
``depthwise_conv2d``, ``separable_conv2d``), pooling (``max_pool1d/2d``, ``avg_pool1d/2d``),
nearest upsampling, dropout with an explicit generator, embedding lookup and fused cross-entropies.

Convolution is im2col: one strided view of the (padded) input copied into a patch matrix, then one
BLAS product; no Python loop runs over pixels (only over the few kernel taps when scattering back).
The three convolution primitives (forward, gradient for the input, gradient for the kernel) are each
other's vjps, so ``create_graph=True`` differentiates through convolutions to any order; pooling and
the losses are likewise differentiable twice.

Example:
    >>> x = ag.tensor(np.random.rand(2, 5, 5, 3), requires_grad=True)
    >>> k = ag.tensor(np.random.rand(3, 3, 3, 4), requires_grad=True)
    >>> ag.conv2d(x, k, padding="same").shape
    (2, 5, 5, 4)
"""
from collections import namedtuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import blas as _blas, parallel
from ..batching import Batched, batch_size, bring, dtype_of, elementwise_rule, peek, shape_of, to_front
from ..modes import STATE
from ..primitive import Primitive, apply, def_linear, defbatch, defjvp, defjvp_argnums, defvjp
from ..tensor import Tensor, make_leaf
from ..trace.graph import register_struct
from ._make import raw
from .elementwise import (_SIGMOID_CONSTANTS, _sigmoid_constants, add, greater_equal, minimum, multiply, negative,
                          relu as _relu, sigmoid, subtract, swish as _swish)
from .random import DRAW_LOG, _shape as _noise_shape, note_draw, random_uniform as _random_uniform
from .reductions import _softmax_np, log_softmax, softmax
from .reductions import sum as _sum
from .shape import astype, broadcast_to, expand_dims, reshape, transpose

__all__ = [
    "conv1d", "conv2d", "conv1d_transpose", "conv2d_transpose", "depthwise_conv2d", "separable_conv2d",
    "scaled_pointwise_conv2d",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "upsample1d", "upsample2d",
    "dropout", "embedding",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy", "sigmoid_cross_entropy",
    "conv_output_length", "deconv_output_length",
]

# -- argument checking ----------------------------------------------------------------------------


def _ints(value, n, fn, arg):
    """``value`` as a tuple of ``n`` positive ints (an int is repeated), or a ValueError naming ``arg``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise TypeError(f"{fn}: {arg} must be an int or a tuple of {n} ints, received {value!r}") from None
        if len(out) != n:
            raise ValueError(f"{fn}: {arg} must be an int or a tuple of {n} ints, received {value!r}")
    if any(v < 1 for v in out):
        raise ValueError(f"{fn}: {arg} must be positive, received {value!r}")
    return out


def _padding(padding, fn, allowed=("valid", "same")):
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in allowed:
        raise ValueError(f"{fn}: padding must be one of {', '.join(repr(a) for a in allowed)}, received {padding!r}")
    return p


#: what a wrapper reads of an argument: its shape and dtype (no values, so that it works inside ag.vmap)
_Meta = namedtuple("_Meta", "shape ndim dtype")


def _rank(x, n, fn, arg, layout):
    shape = tuple(shape_of(x))
    if len(shape) != n:
        raise ValueError(f"{fn}: {arg} must be {n}-d {layout}, received shape {shape}")
    return _Meta(shape, n, dtype_of(x))


def _same_pads(n, k_eff, s):
    """TensorFlow's 'same' padding: total = max((ceil(n/s) - 1) * s + k_eff - n, 0), extra after."""
    total = max((-(-n // s) - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def conv_output_length(length, filter_size, padding, stride=1, dilation=1):
    """Output length of a convolution or pooling window as Keras computes it ('valid', 'same', 'causal').

    Example:
        >>> conv_output_length(10, 3, 'valid', stride=2), conv_output_length(10, 3, 'same', stride=2)
        (4, 5)
    """
    k_eff = (filter_size - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-length // stride)
    return (length - k_eff + stride) // stride


def deconv_output_length(length, filter_size, padding, output_padding=None, stride=1, dilation=1):
    """Output length of a transposed convolution, exactly as Keras's Conv2DTranspose computes it.

    Example:
        >>> deconv_output_length(5, 3, 'valid', stride=2), deconv_output_length(5, 3, 'same', stride=2)
        (11, 10)
    """
    k_eff = (filter_size - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(k_eff - stride, 0)
        return length * stride
    pad = k_eff // 2 if padding == "same" else 0
    return (length - 1) * stride + k_eff - 2 * pad + output_padding


# -- geometry of a 2-d window op ------------------------------------------------------------------
#: kernel (kh, kw), strides (sh, sw), dilation (dh, dw), pads top/bottom/left/right, the input's
#: spatial size and channels (h, w, c), the output's spatial size (oh, ow) and the group count.
_Geom = namedtuple("_Geom", "kh kw sh sw dh dw pt pb pl pr h w c oh ow groups")
register_struct(_Geom, "conv2d_geom")      # a traced graph may hold it (autograd.trace)


def _geom(fn, shape, ksize, strides, dilation, padding, groups=1):
    """The geometry of a window op over an NHWC ``shape``; ``padding`` is 'valid', 'same' or pads."""
    _, h, w, c = shape
    kh, kw = ksize
    sh, sw = strides
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "same":
        pt, pb = _same_pads(h, ekh, sh)
        pl, pr = _same_pads(w, ekw, sw)
    elif padding == "valid":
        pt = pb = pl = pr = 0
    else:
        (pt, pb), (pl, pr) = padding
    oh = (h + pt + pb - ekh) // sh + 1
    ow = (w + pl + pr - ekw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{fn}: the input's spatial size {(h, w)} is smaller than the (dilated) window {(ekh, ekw)}; "
            f"use padding='same' or a larger input")
    return _Geom(kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, h, w, c, oh, ow, groups)


def _has_pad(g):
    return g.pt or g.pb or g.pl or g.pr


def _padded(x, g, fill=0):
    """``x`` with the geometry's padding added (``x`` itself when there is none)."""
    if not _has_pad(g):
        return x
    n, h, w, c = x.shape
    shape = (n, h + g.pt + g.pb, w + g.pl + g.pr, c)
    xp = np.zeros(shape, dtype=x.dtype) if fill == 0 else np.full(shape, fill, dtype=x.dtype)
    xp[:, g.pt:g.pt + h, g.pl:g.pl + w] = x
    return xp


def _unpadded(xp, g):
    if not _has_pad(g):
        return xp
    return np.ascontiguousarray(xp[:, g.pt:g.pt + g.h, g.pl:g.pl + g.w])


def _padded_shape(n, g):
    return (n, g.h + g.pt + g.pb, g.w + g.pl + g.pr, g.c)


def _taps(g):
    """(tap index, row slice, column slice) of the padded input that each kernel tap reads."""
    k = 0
    for i in range(g.kh):
        r0 = i * g.dh
        rows = slice(r0, r0 + (g.oh - 1) * g.sh + 1, g.sh)
        for j in range(g.kw):
            c0 = j * g.dw
            yield k, rows, slice(c0, c0 + (g.ow - 1) * g.sw + 1, g.sw)
            k += 1


def _is_pointwise(g):
    return g.kh == 1 and g.kw == 1 and g.sh == 1 and g.sw == 1 and not _has_pad(g)


# -- convolution: im2col and its adjoint ----------------------------------------------------------


def _view_as(a, shape):
    """``a`` viewed with ``shape`` (splitting axes); raises instead of copying."""
    v = a.view()
    v.shape = shape
    return v


#: the smallest piece of a batch a parallel region gives a thread (autograd.parallel), in bytes of its output
_PIECE_BYTES = 1 << 18


def _image_ranges(n, bytes_per_image):
    """The batch's split for a parallel region (the same for every op of a step that splits this batch)."""
    return parallel.split(n, max(1, _PIECE_BYTES // max(1, bytes_per_image)))


def _patches(x, g, ones=False):
    """The patches buffer of ``x`` for one group and a function filling the rows of images [a, b) (see
    ``_im2col``): (M, width) rows, or with few channels the transposed view of a (width, M) buffer.

    NOTE: each piece pads its own images (``_padded`` of x[a:b]) inside the fill: with a parallel split the
    zeros and the copy run in the pieces' threads, not as a batch-sized array in the calling thread first."""
    n = x.shape[0]
    m = n * g.oh * g.ow
    kk = g.kh * g.kw * g.c
    width = kk + 1 if ones else kk
    if g.c < 8:
        # NOTE: with few channels a pixel-major copy runs a tiny inner loop per pixel (c long). The
        # patches are built column-major instead, (width, M), one (tap, channel) row at a time, each
        # a plain 2-d copy; the transposed view is what matmul gets (BLAS takes either order), and
        # the kernel gradient's cols.T @ g then reads contiguous rows. ~4x faster for c = 1.
        cols_t = np.empty((width, n, g.oh, g.ow), dtype=x.dtype)

        def fill(a, b):
            xp = _padded(x[a:b], g)
            for k, rows, cs in _taps(g):
                for ch in range(g.c):
                    cols_t[k * g.c + ch, a:b] = xp[:, rows, cs, ch]
            if ones:
                cols_t[kk, a:b] = 1
        return cols_t.reshape(width, m).T, fill
    cols = np.empty((m, width), dtype=x.dtype)
    ohw = g.oh * g.ow

    def fill(a, b):
        xp = _padded(x[a:b], g)
        s0, s1, s2, s3 = xp.strides
        part = cols[a * ohw:b * ohw]
        if ones:
            part[:, kk] = 1
        np.copyto(_view_as(part[:, :kk], (b - a, g.oh, g.ow, g.kh, g.kw, g.c)),
                  as_strided(xp, (b - a, g.oh, g.ow, g.kh, g.kw, g.c),
                             (s0, s1 * g.sh, s2 * g.sw, s1 * g.dh, s2 * g.dw, s3), writeable=False))
    return cols, fill


def _im2col(x, g, ones=False):
    """Patches of ``x`` (NHWC): (M, kh*kw*c) for one group, (groups, M, kh*kw*c/groups) otherwise,
    with M = n*oh*ow and the patch laid out (kh, kw, channel) like the kernel. With ``ones`` (one group
    only) a last column of ones is added, so that a bias row appended to the kernel is added by the
    same matmul."""
    n = x.shape[0]
    m = n * g.oh * g.ow
    if _is_pointwise(g) and g.groups == 1 and not ones:
        return x.reshape(m, g.c)
    if g.groups == 1:
        cols, fill = _patches(x, g, ones)
        parallel.run(fill, _image_ranges(n, cols[:m // n].nbytes if n else 1))
        return cols
    xp = _padded(x, g)
    s0, s1, s2, s3 = xp.strides
    cg = g.c // g.groups
    view = as_strided(xp, (g.groups, n, g.oh, g.ow, g.kh, g.kw, cg),
                      (s3 * cg, s0, s1 * g.sh, s2 * g.sw, s1 * g.dh, s2 * g.dw, s3), writeable=False)
    return np.ascontiguousarray(view).reshape(g.groups, m, g.kh * g.kw * cg)


def _patch_product(x, g, w, ones, act, saved, bias=None):
    """(patches of x) @ w for one group, then ``bias`` (filters,) added and the activation ``act`` (None, True or
    "relu", "relu6", "swish": see ``_activate_in_place``) applied in place: each piece of the batch
    (autograd.parallel) fills its rows of the patches, multiplies them and runs that epilogue on its rows, so a
    thread reads back the patches it wrote; the patches go to ``saved["cols"]``. Returns (M, filters)."""
    n = x.shape[0]
    m = n * g.oh * g.ow
    o = w.shape[1]
    act = "relu" if act is True else (act or None)
    if _is_pointwise(g) and not ones:
        cols, fill = x.reshape(m, g.c), None
    else:
        cols, fill = _patches(x, g, ones)
    out = np.empty((m, o), dtype=np.result_type(cols, w))
    ohw = g.oh * g.ow

    def epilogue(part):
        _bias_activate_in_blocks(part, bias, act)

    step = _product_rows(o) if act == "swish" else 0

    def piece(a, b):
        if fill is not None:
            fill(a, b)
        if step:
            _product_then_epilogue(cols[a * ohw:b * ohw], w, out[a * ohw:b * ohw], step, bias, act, np.matmul)
            return
        rows = slice(a * ohw, b * ohw)
        np.matmul(cols[rows], w, out=out[rows])
        epilogue(out[rows])
    ranges = _image_ranges(n, ohw * (cols.shape[1] + o) * out.itemsize)
    if len(ranges) == 1:            # one piece: the whole product under autograd.blas's thread policy
        if fill is not None:
            fill(0, n)
        _blas.matmul_single(cols, w, out=out)
        epilogue(out)
    else:
        parallel.run(piece, ranges)
    if saved is not None:
        saved["cols"] = cols
    return out


def _rows_product_sum(a, b, n):
    """``a.T @ b`` for row-aligned ``a`` (M, p) and ``b`` (M, q), M = n images times a fixed row count: the
    batch's pieces (autograd.parallel) each reduce their rows, then the partial products are added (in a
    fixed order: the same numbers every run)."""
    per = a.shape[0] // n if n else 0
    ranges = _image_ranges(n, per * (a.shape[1] + b.shape[1]) * a.itemsize)
    if len(ranges) == 1:
        return _reduce_rows_matmul(a, b)
    parts = parallel.run(lambda s, e: _reduce_rows_matmul(a[s * per:e * per], b[s * per:e * per]), ranges)
    total = parts[0]
    for p in parts[1:]:
        total += p
    return total


def _grouped_kernel(k, g):
    """(kh, kw, c/groups, out) -> (groups, kh*kw*c/groups, out/groups)."""
    kh, kw, cg, o = k.shape
    return k.reshape(kh * kw * cg, g.groups, o // g.groups).transpose(1, 0, 2)


# -- depthwise convolution (groups == channels): one tap at a time, no patch matrix ---------------------
# NOTE: with one input channel per group, im2col's patch matrix (9x the input, laid out group-major) and the
# batched (M, 9) @ (9, m) products cost ~30x the arithmetic; a tap is instead a broadcast multiply-add of a
# shifted view of the input, done over blocks of output rows (~256 KB) so that the accumulator stays in cache.

def _is_depthwise(g):
    return g.groups > 1 and g.groups == g.c


#: the values in a block of the depthwise forward's output rows (1 MB of float32): each block costs one np.einsum
#: call and one epilogue, so larger blocks save calls while the block stays in L2 (EfficientNetB0 predict in one
#: process: 64 Ki values 1.00, 256 Ki 0.966, 512 Ki 0.957, 1 Mi 0.964; MobileNetV2 256 Ki 0.973)
_FORWARD_BLOCK = 1 << 18


def _row_blocks(g, width, values=1 << 16):
    """Blocks of output rows whose accumulator (``width`` floats a row) holds about ``values`` values (the
    backward's default: 256 KB of float32)."""
    rows = max(1, values // max(1, g.ow * width))
    return [(r, min(rows, g.oh - r)) for r in range(0, g.oh, rows)]


def _tap_view(xp_i, g, t, r, nr):
    """The padded image's pixels that tap ``t`` reads for output rows ``r .. r + nr``: (nr, ow, c)."""
    i, j = divmod(t, g.kw)
    r0 = i * g.dh + r * g.sh
    c0 = j * g.dw
    return xp_i[r0:r0 + (nr - 1) * g.sh + 1:g.sh, c0:c0 + (g.ow - 1) * g.sw + 1:g.sw]


_CLIP_BOUNDS = {}
_MINUS_LOG2E_32 = np.asarray(-np.log2(np.e), np.float32)
_ONE_32 = np.asarray(1, np.float32)


def _clip_bounds(dtype):
    """0-d (0, 6, inf, sigmoid's low clip) of ``dtype``, made once per dtype."""
    hit = _CLIP_BOUNDS.get(dtype)
    if hit is None:
        low, _ = _SIGMOID_CONSTANTS.get(dtype) or _sigmoid_constants(dtype)
        hit = _CLIP_BOUNDS[dtype] = (np.asarray(0, dtype), np.asarray(6, dtype), np.asarray(np.inf, dtype), low)
    return hit


def _flat_taps(img, kt, g, r, nr, acc):
    """The sum over the kernel's taps of one block of output rows (``nr`` rows from ``r``) of a depthwise
    convolution with one filter a channel: ``acc`` (nr, ow, c) gets it. ``img`` is the padded image (h, w, c) and
    ``kt`` the kernel (kh, kw, ow, c), each tap's weights repeated along the row.

    NOTE: the taps are one strided view (kh, kw, nr, ow, c) of the image, and np.einsum sums their products in one
    pass over the block per tap (out += a * b in its inner loop) where a multiply then an add takes two: ~1.6x
    faster. At unit horizontal stride a row's ow * c values are contiguous in the image, the output and the
    repeated kernel, and the view is given as (kh, kw, nr, ow * c): one long inner loop (einsum's iterator does
    not join the two axes itself; with a 5-d view it runs ow loops of c, ~4x slower for c = 32). The products are
    added in the taps' order (kernel rows, then columns), as a multiply-add one tap at a time would."""
    s0, s1, s2 = img.strides
    if g.sw == 1 and s1 == g.c * s2:
        view = as_strided(img[r * g.sh:], (g.kh, g.kw, nr, g.ow * g.c), (g.dh * s0, g.dw * s1, g.sh * s0, s2),
                          writeable=False)
        np.einsum("ijrq,ijq->rq", view, kt.reshape(g.kh, g.kw, -1), out=acc.reshape(nr, -1))
    else:
        view = as_strided(img[r * g.sh:], (g.kh, g.kw, nr, g.ow, g.c),
                          (g.dh * s0, g.dw * s1, g.sh * s0, g.sw * s1, s2), writeable=False)
        np.einsum("ijrxq,ijxq->rxq", view, kt, out=acc)


def _activate_in_place(act, a, scratch):
    """``act`` (None, "relu", "relu6" or "swish") applied to ``a`` in place, ``scratch`` (``a``'s shape) as work
    space for swish: the arithmetic of ag.relu, ag.minimum(ag.relu(a), 6) and ag.swish, so the same numbers (a
    float32 swish excepted: its e**-x is computed as a power of 2, within 4e-6 of ag.swish, see below).

    NOTE: np.clip with two finite bounds runs ~3.5x faster than np.maximum (numpy 2's SIMD clip loop), so the
    relus are clips to [0, inf] / [0, 6]; the one difference is the sign of zero (a -0.0 input stays -0.0, which
    compares equal to maximum's +0.0 and gives the same sums and relu gradient mask)."""
    if act is None:
        return
    zero, six, inf, low = _clip_bounds(a.dtype)
    if act == "swish" and a.dtype == np.float32:
        # NOTE: e**-x as 2**(-x * log2(e)): numpy's float32 exp2 runs ~2x faster than its exp here (14 vs 31 us on
        # 64 Ki values, AVX-512), and an overflow to inf (x < -88.7) gives x / inf = -0 where the clip gave a
        # subnormal: four passes instead of five, ~40% less time. The product's rounding moves the exponent by up
        # to 2**-24 of itself: swish's relative error stays under 4e-7 for |x| < 5 and 4e-6 down to -88 (exp's:
        # 2.3e-7), where float32's rounding of the layers around it is 6e-8 a step; so this fused inference path
        # equals ag.swish within that, not bit for bit (ag.swish, which gradients use, keeps exp).
        np.multiply(a, _MINUS_LOG2E_32, out=scratch)
        with np.errstate(over="ignore"):
            np.exp2(scratch, out=scratch)
        np.add(scratch, _ONE_32, out=scratch)
        np.divide(a, scratch, out=a)
        return
    if act == "swish":
        np.clip(a, low, inf, out=scratch)
        np.negative(scratch, out=scratch)
        np.exp(scratch, out=scratch)
        np.add(scratch, np.asarray(1, a.dtype), out=scratch)
        np.divide(a, scratch, out=a)
        return
    np.clip(a, zero, six if act == "relu6" else inf, out=a)


#: the rows of an epilogue's block (``_bias_activate_in_blocks``) hold about this many values (256 KB of float32)
_EPILOGUE_BLOCK = 1 << 16


def _bias_activate_in_blocks(a, bias, act):
    """``a`` (rows, filters) += ``bias`` (filters,) when given, then ``act`` (see ``_activate_in_place``), in place.

    NOTE: swish makes four or five passes over its array: over a batch's whole output each pass goes to memory, and
    its work space is a fresh batch-sized array. It runs here on blocks of rows of ~256 KB with one reused work
    block, so that its passes after the first read the cache (the same arithmetic on each value: the same
    numbers). One-pass epilogues (a bias, relu, relu6) run over the whole array at once."""
    if act != "swish" or a.shape[0] * a.shape[1] <= _EPILOGUE_BLOCK:
        if bias is not None:
            a += bias
        _activate_in_place(act, a, np.empty_like(a) if act == "swish" else None)
        return
    rows = max(1, _EPILOGUE_BLOCK // max(1, a.shape[1]))
    scratch = np.empty((rows, a.shape[1]), dtype=a.dtype)
    for r in range(0, a.shape[0], rows):
        block = a[r:r + rows]
        if bias is not None:
            block += bias
        _activate_in_place(act, block, scratch[:block.shape[0]])


#: the fewest rows of a product block (``_product_then_epilogue``): BLAS runs short products less well (EfficientNetB0
#: predict, one process: 256 rows 0.979x, 1024 0.940x, 4096 0.945x the unblocked product)
_PRODUCT_MIN_ROWS = 1024


def _product_rows(filters):
    """The rows of a product block whose output holds about ``_EPILOGUE_BLOCK`` values."""
    return max(_PRODUCT_MIN_ROWS, _EPILOGUE_BLOCK // max(1, filters))


def _product_then_epilogue(a, w, out, rows, bias, act, product):
    """``out = act(a @ w + bias)`` a block of ``rows`` rows at a time, each block's epilogue run right after its
    product.

    NOTE: a product over a whole piece of the batch writes megabytes, and its epilogue's first pass then reads them
    back from memory; a block's output (``_product_rows``: 256 KB, or 1024 rows where that is more) is still in
    the cache when its bias and swish run over it. The same arithmetic on every value: the same numbers as the
    product then the epilogue."""
    scratch = np.empty((min(rows, a.shape[0]), out.shape[1]), dtype=out.dtype)
    for r in range(0, a.shape[0], rows):
        block = out[r:r + rows]
        product(a[r:r + rows], w, out=block)
        if bias is not None:
            block += bias
        _activate_in_place(act, block, scratch[:block.shape[0]])


def _depthwise_np(x, k, g, bias=None, act=None):
    """The depthwise convolution, then ``bias`` (c * dm,) and ``act`` (see ``_activate_in_place``) when given.

    NOTE: each block of output rows (``_row_blocks``: ~1 MB, it stays in L2) gets all its taps (one np.einsum
    with one filter a channel, ``_flat_taps``; a multiply and an add a tap otherwise), then the bias and the
    activation, before the next block: the epilogue's passes read the cache, not memory. The taps are summed in
    the same order as one tap at a time over the whole tensor, and the bias after them, so the numbers are those
    of ``depthwise_conv2d(x, k) + bias`` then the activation. The batch's images are split over
    autograd.parallel's threads (disjoint outputs: the same numbers)."""
    n, c = x.shape[0], g.c
    dm = k.shape[3] // c
    kt = k.reshape(g.kh * g.kw, c, dm) if dm > 1 else k.reshape(g.kh * g.kw, c)
    out = np.empty((n, g.oh, g.ow, c, dm) if dm > 1 else (n, g.oh, g.ow, c), dtype=np.result_type(x, k))
    if bias is not None:
        bias = bias.astype(out.dtype, copy=False).reshape(kt.shape[1:])
    blocks = _row_blocks(g, c * dm, _FORWARD_BLOCK)
    padded_shape = _padded_shape(1, g)[1:]
    # NOTE: with one filter a channel the taps run in one np.einsum a block (``_flat_taps``), the kernel repeated
    # along the row; the bias and the activation then run over the block's rows as ow * c long vector loops
    flat = dm == 1
    if flat:
        kt = np.tile(kt, (1, g.ow)).reshape(g.kh, g.kw, g.ow, c)
        if bias is not None:
            bias = np.tile(bias, g.ow)

    def piece(first, stop):
        tmp = np.empty((blocks[0][1],) + out.shape[2:], dtype=out.dtype)
        if flat:
            tmp = tmp.reshape(tmp.shape[0], -1)
        # NOTE: each image is padded into this thread's buffer (its border zeroed once), not the whole batch
        # into a new array first: no batch-sized zeros and copy in the calling thread, and the image is in cache
        xp_b = np.zeros(padded_shape, dtype=x.dtype) if _has_pad(g) else None
        for b in range(first, stop):
            if xp_b is None:
                img = x[b]
            else:
                xp_b[g.pt:g.pt + g.h, g.pl:g.pl + g.w] = x[b]
                img = xp_b
            for r, nr in blocks:
                acc, t_buf = out[b, r:r + nr], tmp[:nr]
                if flat:
                    _flat_taps(img, kt, g, r, nr, acc)
                    acc = acc.reshape(nr, -1)
                else:
                    for t in range(g.kh * g.kw):
                        view = _tap_view(img, g, t, r, nr)[..., None] if dm > 1 else _tap_view(img, g, t, r, nr)
                        if t == 0:
                            np.multiply(view, kt[0], out=acc)
                        else:
                            np.multiply(view, kt[t], out=t_buf)
                            acc += t_buf
                if bias is not None:
                    acc += bias
                _activate_in_place(act, acc, t_buf)
    parallel.run(piece, _image_ranges(n, out[:1].nbytes if n else 1))
    return out.reshape(n, g.oh, g.ow, c * dm)


def _depthwise_dx_np(gy, k, g):
    n, c = gy.shape[0], g.c
    dm = k.shape[3] // c
    kt = k.reshape(g.kh * g.kw, c, dm)
    g5 = gy.reshape(n, g.oh, g.ow, c, dm)
    dxp = np.zeros(_padded_shape(n, g), dtype=np.result_type(gy, k))
    blocks = _row_blocks(g, c * dm)
    tmp = np.empty((blocks[0][1], g.ow, c), dtype=dxp.dtype)
    flat = dm == 1 and g.sw == 1           # NOTE: long vector loops, as in _depthwise_np
    if flat:
        k_flat = np.tile(kt[:, :, 0], (1, g.ow))
        tmp = tmp.reshape(tmp.shape[0], -1)
    for b in range(n):
        for r, nr in blocks:
            gb = g5[b, r:r + nr]
            for t in range(g.kh * g.kw):
                view = _tap_view(dxp[b], g, t, r, nr)
                if flat:
                    view = view.reshape(nr, -1)
                    part = np.multiply(gb.reshape(nr, -1), k_flat[t], out=tmp[:nr])
                elif dm == 1:
                    part = np.multiply(gb[..., 0], kt[t, :, 0], out=tmp[:nr])
                else:
                    part = np.einsum("hwcm,cm->hwc", gb, kt[t], out=tmp[:nr])
                view += part
    return _unpadded(dxp, g)


def _depthwise_dk_np(x, gy, g):
    n, c = x.shape[0], g.c
    dm = gy.shape[3] // c
    g5 = gy.reshape(n, g.oh, g.ow, c, dm)
    xp = _padded(x, g)
    dk = np.zeros((g.kh * g.kw, c, dm), dtype=np.result_type(x, gy))
    for b in range(n):
        for r, nr in _row_blocks(g, c * dm):
            gb = g5[b, r:r + nr]
            for t in range(g.kh * g.kw):
                dk[t] += np.einsum("hwc,hwcm->cm", _tap_view(xp[b], g, t, r, nr), gb)
    return dk.reshape(g.kh, g.kw, 1, c * dm)


def _conv_np(x, k, geom, saved=None):
    g = geom
    if _is_depthwise(g):
        return _depthwise_np(x, k, g)
    n, o = x.shape[0], k.shape[3]
    if g.groups == 1:
        return _patch_product(x, g, k.reshape(-1, o), False, False, saved).reshape(n, g.oh, g.ow, o)
    cols = _im2col(x, g)
    if saved is not None:
        saved["cols"] = cols
    out = np.matmul(cols, _grouped_kernel(k, g)).transpose(1, 0, 2)
    return out.reshape(n, g.oh, g.ow, o)


def _conv_dx_np(gy, k, geom):
    """The gradient of the convolution for its input (also the transposed convolution's forward)."""
    g = geom
    if _is_depthwise(g):
        return _depthwise_dx_np(gy, k, g)
    n, o = gy.shape[0], k.shape[3]
    m = n * g.oh * g.ow
    g2 = gy.reshape(m, o)
    if _is_pointwise(g) and g.groups == 1:
        return _blas.matmul_single(g2, k.reshape(g.c, o).T).reshape(n, g.h, g.w, g.c)
    dxp = np.zeros(_padded_shape(n, g), dtype=np.result_type(gy, k))
    if g.groups == 1:
        # NOTE: patch gradients are computed one tap at a time, (M, c) each, so that each tap's slab is
        # contiguous when added back into the image (the (M, kh*kw*c) layout makes that scatter about
        # 1.5x slower, its inner runs being only c long) and no kh*kw-times-the-input buffer is made.
        kt = k.reshape(g.kh * g.kw, g.c, o)
        ohw = g.oh * g.ow

        def piece(a, b):      # the images [a, b): their rows of g2 and their slabs of dxp
            ga = g2[a * ohw:b * ohw]
            for t, rows, cs in _taps(g):
                dxp[a:b, rows, cs] += _blas.matmul_single(ga, kt[t].T).reshape(b - a, g.oh, g.ow, g.c)
        parallel.run(piece, _image_ranges(n, ohw * (o + g.kh * g.kw * g.c) * dxp.itemsize))
    else:
        cg, og = g.c // g.groups, o // g.groups
        g3 = g2.reshape(m, g.groups, og).transpose(1, 0, 2)
        dcols = np.matmul(g3, _grouped_kernel(k, g).transpose(0, 2, 1))
        dcols = dcols.reshape(g.groups, n, g.oh, g.ow, g.kh, g.kw, cg).transpose(1, 2, 3, 0, 4, 5, 6)
        dx5 = dxp.reshape(dxp.shape[:3] + (g.groups, cg))
        for t, rows, cs in _taps(g):
            dx5[:, rows, cs] += dcols[:, :, :, :, t // g.kw, t % g.kw]
    return _unpadded(dxp, g)


def _conv_dk_np(x, gy, geom, cols=None):
    """The gradient of the convolution for its kernel, shape (kh, kw, c/groups, out)."""
    g = geom
    if _is_depthwise(g):
        return _depthwise_dk_np(x, gy, g)
    if cols is None:
        cols = _im2col(x, g)
    o = gy.shape[3]
    m = gy.shape[0] * g.oh * g.ow
    g2 = gy.reshape(m, o)
    cg = g.c // g.groups
    if g.groups == 1:
        dk = _rows_product_sum(cols, g2, gy.shape[0])
    else:
        g3 = g2.reshape(m, g.groups, o // g.groups).transpose(1, 0, 2)
        dk = np.matmul(cols.transpose(0, 2, 1), g3).transpose(1, 0, 2)
    return dk.reshape(g.kh, g.kw, cg, o)


_conv_prim = Primitive(_conv_np, "conv2d")
_conv_dx_prim = Primitive(_conv_dx_np, "conv2d_input_grad")
_conv_dk_prim = Primitive(_conv_dk_np, "conv2d_kernel_grad")


def _conv(x, k, geom, saved=None):
    return apply(_conv_prim, (x, k), {"geom": geom, "saved": saved})


def _conv_dx(gy, k, geom):
    return apply(_conv_dx_prim, (gy, k), {"geom": geom})


def _conv_dk(x, gy, geom, cols=None):
    return apply(_conv_dk_prim, (x, gy), {"geom": geom, "cols": cols})


# The three are bilinear and each other's adjoints, so every vjp is one of them (any order works).
defvjp(_conv_prim,
       lambda gy, ans, x, k, geom, saved=None: _conv_dx(gy, k, geom),
       lambda gy, ans, x, k, geom, saved=None: _conv_dk(x, gy, geom, saved.get("cols") if saved else None))
defvjp(_conv_dx_prim,
       lambda gx, ans, gy, k, geom: _conv(gx, k, geom),
       lambda gx, ans, gy, k, geom: _conv_dk(gx, gy, geom))
defvjp(_conv_dk_prim,
       lambda gk, ans, x, gy, geom, cols=None: _conv_dx(gy, gk, geom),
       lambda gk, ans, x, gy, geom, cols=None: _conv(x, gk, geom))
# Bilinear, so each jvp is the op itself with the tangent in place of one argument. NOTE: a forward's saved
# patches (``saved``, ``cols``) belong to its own x: a tangent in place of x gets none (they are recomputed).
defjvp(_conv_prim,
       lambda t, ans, x, k, geom, saved=None: _conv(t, k, geom),
       lambda t, ans, x, k, geom, saved=None: _conv(x, t, geom))
def_linear(_conv_dx_prim)
defjvp(_conv_dk_prim,
       lambda t, ans, x, gy, geom, cols=None: _conv_dk(t, gy, geom),
       lambda t, ans, x, gy, geom, cols=None: _conv_dk(x, t, geom, cols))


# -- convolution + bias + relu in one primitive ----------------------------------------------------
# NOTE: fused for speed only (the numbers are the composition's, up to the order of the float32 sums):
# the bias rides in the matmul (a column of ones in the patches, a bias row under the kernel: adding a
# broadcast (filters,) row to the output is a slow short-inner-loop pass), relu is applied in place on
# the product's fresh output, and the backward masks the gradient once for all three arguments and gets
# the bias gradient as the last row of the kernel gradient's matmul.


def _folds_bias(b, geom):
    return b is not None and geom.groups == 1 and not _is_pointwise(geom)


def _conv_bias_act_np(x, k, b, geom, relu, saved=None, memo=None):
    o = k.shape[3]
    if _folds_bias(b, geom):
        w = np.concatenate([k.reshape(-1, o), b.reshape(1, o)])
        return _patch_product(x, geom, w, True, relu, saved).reshape(x.shape[0], geom.oh, geom.ow, o)
    if geom.groups == 1 and _is_pointwise(geom):     # the bias and the activation in the batch's pieces
        return _patch_product(x, geom, k.reshape(-1, o), False, relu, saved, b).reshape(
            x.shape[0], geom.oh, geom.ow, o)
    out = _conv_np(x, k, geom, saved)   # a fresh array, ours to change in place
    _bias_activate_in_blocks(out.reshape(-1, o), b, "relu" if relu is True else (relu or None))
    return out


def _unwatched(fn, *args, **kwargs):
    """``fn`` on the arrays behind ``args``, its result a constant Tensor: for the fused inference kernels (relu6 /
    swish inside a convolution's loops), which run only where nothing watches the ops (``_fusable``: no gradient
    recorded, no tracer or anomaly check, no vmap), so they need no primitive and no rules; elsewhere the
    composition of primitives runs."""
    return make_leaf(fn(*[a if a is None or isinstance(a, (tuple, str)) else raw(a) for a in args], **kwargs))


def _pre_activation_grad(g, ans, relu, memo):
    """The gradient for the pre-activation (conv + bias), computed once per backward and shared by the
    three vjps through ``memo``."""
    if not relu:
        return g
    hit = memo.get("g")
    if hit is not None and hit[0] is g:
        return hit[1]
    gp = multiply(g, ans.data > 0)   # relu's gradient, 0 at 0 (as ag.relu and TensorFlow)
    memo["g"] = (g, gp)
    return gp


def _reduce_rows_matmul(a, b):
    """``a.T @ b`` for tall ``a`` (M, p) and ``b`` (M, q) with a small (p, q) result.

    NOTE: with a small result (a first conv layer's kernel gradient: 10 x 32 over 43 264 pixels) BLAS
    runs one long reduction at ~25 GFLOP/s; splitting the rows into 32 blocks, one batched matmul over
    them and a sum of the 32 partial products is ~35% faster (and sums in a shallower tree)."""
    m, p = a.shape
    q = b.shape[1]
    blocks = 32
    if p * q > 4096 or m < blocks * 512:
        return _blas.matmul_single(a.T, b)
    rows = m // blocks * blocks
    part = np.matmul(a[:rows].reshape(blocks, rows // blocks, p).transpose(0, 2, 1),
                     b[:rows].reshape(blocks, rows // blocks, q)).sum(axis=0)
    if rows < m:
        part += _blas.matmul_single(a[rows:].T, b[rows:])
    return part


def _kernel_grad(g, ans, x, k, b, geom, relu, saved=None, memo=None):
    gp = _pre_activation_grad(g, ans, relu, memo)
    cols = saved.get("cols") if saved else None
    kk = geom.kh * geom.kw * (geom.c // geom.groups)
    if cols is None or cols.shape[-1] == kk:
        return _conv_dk(x, gp, geom, cols)
    if STATE.grad_enabled:            # create_graph: the differentiable op, on the patches without the ones
        return _conv_dk(x, gp, geom, cols[:, :kk])
    gd = raw(gp)
    o = gd.shape[3]
    full = _rows_product_sum(cols, gd.reshape(-1, o), gd.shape[0])  # (kk + 1, filters): the bias's gradient last
    memo["db"] = (g, full[kk])
    return make_leaf(full[:kk].reshape(geom.kh, geom.kw, geom.c // geom.groups, o))


def _bias_grad(g, ans, x, k, b, geom, relu, saved=None, memo=None):
    hit = memo.pop("db", None) if memo is not None else None
    if hit is not None and hit[0] is g and not STATE.grad_enabled:
        return make_leaf(hit[1])
    gp = _pre_activation_grad(g, ans, relu, memo)
    if STATE.grad_enabled:            # create_graph: stay differentiable
        return _sum(gp, axis=(0, 1, 2))
    gd = raw(gp)
    o = gd.shape[3]
    m = gd.size // o
    return make_leaf(np.ones(m, dtype=gd.dtype) @ gd.reshape(m, o))


_conv_bias_act_prim = Primitive(_conv_bias_act_np, "conv2d_bias_relu")
defvjp(_conv_bias_act_prim,
       lambda g, ans, x, k, b, geom, relu, saved=None, memo=None:
           _conv_dx(_pre_activation_grad(g, ans, relu, memo), k, geom),
       _kernel_grad,
       _bias_grad)


def _conv_bias_act_jvp(tangents, ans, args, kwargs):
    # relu(conv(x, k) + b): the three tangents' sum, masked once by relu's derivative (0 at 0, as the vjp)
    tx, tk, tb = tangents
    x, k, _ = args
    geom = kwargs["geom"]
    total = None
    for term in (None if tx is None else _conv(tx, k, geom), None if tk is None else _conv(x, tk, geom), tb):
        if term is not None:
            total = term if total is None else add(total, term)
    return multiply(total, ans.data > 0) if kwargs["relu"] else total


defjvp_argnums(_conv_bias_act_prim, _conv_bias_act_jvp)


def _activation_is_relu(activation, fn):
    """False (none), True (relu, fused with a gradient) or "relu6" / "swish" (fused without one)."""
    if activation is None or activation == "linear":
        return False
    if activation == "relu":
        return True
    if activation in ("relu6", "swish"):
        return activation
    raise ValueError(f"{fn}: activation must be None, 'linear', 'relu', 'relu6' or 'swish' (fused into the "
                     f"convolution), received {activation!r}")


def _fusable(*args):
    """Whether an activation other than relu may run inside the convolution's loops: no gradient recorded, no
    tracer or anomaly check watching, not inside vmap."""
    return not STATE.grad_enabled and not STATE.observe and not any(type(a) is Batched for a in args)


def _conv_checked(fn, x, kernel, strides, padding, dilation_rate, groups, bias=None, activation=None):
    """Validate and run a 2-d convolution (x NHWC, kernel (kh, kw, in/groups, out)), then add ``bias``
    and apply ``activation`` (None, 'relu', 'relu6' or 'swish') when given."""
    relu = _activation_is_relu(activation, fn)
    if isinstance(relu, str) and not _fusable(x, kernel, bias):   # the composition, differentiable
        out = _conv_checked(fn, x, kernel, strides, padding, dilation_rate, groups, bias)
        return _DEPTHWISE_ACTIVATIONS[relu](out)
    xd = _rank(x, 4, fn, "x", "(batch, height, width, channels)")
    kd = _rank(kernel, 4, fn, "kernel", "(kernel_h, kernel_w, in_channels / groups, filters)")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, received {groups!r}")
    groups = int(groups)
    c = xd.shape[3]
    if c % groups or kd.shape[3] % groups:
        raise ValueError(f"{fn}: input channels ({c}) and filters ({kd.shape[3]}) must both be divisible by "
                         f"groups={groups}")
    if kd.shape[2] * groups != c:
        raise ValueError(f"{fn}: kernel shape {kd.shape} expects {kd.shape[2] * groups} input channels "
                         f"(in_channels / groups = {kd.shape[2]}, groups={groups}), but x has {c} (shape {xd.shape})")
    strides = _ints(strides, 2, fn, "strides")
    dilation = _ints(dilation_rate, 2, fn, "dilation_rate")
    if not isinstance(padding, tuple):
        padding = _padding(padding, fn)
    if bias is not None:
        bshape = tuple(shape_of(bias))
        if bshape != (kd.shape[3],):
            raise ValueError(f"{fn}: bias must have shape (filters,) = {(kd.shape[3],)}, received shape {bshape}")
    geom = _geom(fn, xd.shape, kd.shape[:2], strides, dilation, padding, groups)
    save = STATE.grad_enabled and isinstance(kernel, Tensor) and kernel.requires_grad
    if bias is None and not relu:
        return _conv(x, kernel, geom, {} if save else None)
    if bias is not None and dtype_of(bias) != np.result_type(xd.dtype, kd.dtype):
        # a bias of another dtype would promote the sum: the composition gives exactly that
        out = _conv(x, kernel, geom, {} if save else None) + bias
        return _DEPTHWISE_ACTIVATIONS[relu if isinstance(relu, str) else ("relu" if relu else None)](out)
    if isinstance(relu, str):
        return _unwatched(_conv_bias_act_np, x, kernel, bias, geom, relu)
    memo = {} if STATE.grad_enabled else None
    return apply(_conv_bias_act_prim, (x, kernel, bias),
                 {"geom": geom, "relu": relu, "saved": {} if save else None, "memo": memo})


def conv2d(x, kernel, strides=(1, 1), padding="valid", dilation_rate=(1, 1), groups=1, bias=None,
           activation=None):
    """2-d convolution (cross-correlation, as tf.nn.conv2d) of NHWC ``x`` with ``kernel`` of shape
    (kernel_h, kernel_w, in_channels / groups, filters); 'same' pads exactly as TensorFlow does.

    ``bias`` (filters,) and ``activation`` (None or 'relu') are fused into the op: the same numbers as
    ``relu(conv2d(x, kernel) + bias)``, with less memory traffic (Conv2D layers use this).

    Example:
        >>> conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 5)), strides=2, padding="same").shape
        (1, 2, 2, 5)
        >>> conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 5)), bias=-np.arange(5.0) * 9, activation="relu")[0, 0, 0]
        Tensor([18.,  9.,  0.,  0.,  0.])
    """
    return _conv_checked("conv2d", x, kernel, strides, padding, dilation_rate, groups, bias, activation)


def conv1d(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    """1-d convolution of ``x`` (batch, steps, channels) with ``kernel`` (kernel_size, in / groups,
    filters); padding 'valid', 'same' or 'causal' (left padding only, as Keras's Conv1D).

    Example:
        >>> conv1d(np.ones((2, 10, 3)), np.ones((3, 3, 4)), padding="causal").shape
        (2, 10, 4)
    """
    xd = _rank(x, 3, "conv1d", "x", "(batch, steps, channels)")
    kd = _rank(kernel, 3, "conv1d", "kernel", "(kernel_size, in_channels / groups, filters)")
    (s,) = _ints(strides, 1, "conv1d", "strides")
    (d,) = _ints(dilation_rate, 1, "conv1d", "dilation_rate")
    p = _padding(padding, "conv1d", ("valid", "same", "causal"))
    if p == "causal":
        p = ((0, 0), ((kd.shape[0] - 1) * d, 0))
    n, w, c = xd.shape
    out = _conv_checked("conv1d", reshape(x, (n, 1, w, c)), reshape(kernel, (1,) + kd.shape),
                        (1, s), p, (1, d), groups)
    return reshape(out, (n, out.shape[2], out.shape[3]))


#: the activations ``depthwise_conv2d`` fuses, as the composition of autograd ops each stands for
_DEPTHWISE_ACTIVATIONS = {
    None: lambda y: y,
    "linear": lambda y: y,
    "relu": _relu,
    "relu6": lambda y: minimum(_relu(y), 6.0),
    "swish": _swish,
}


def _scaled_pointwise_np(x, scale, k, bias, act):
    """``(x * scale) @ k`` image by image, ``scale`` (n, c) carried by each image's kernel rows, then ``bias`` and
    ``act`` (see ``_bias_activate_in_blocks``): (n, h, w, filters)."""
    n, h, w, c = x.shape
    o = k.shape[3]
    hw = h * w
    k2 = k.reshape(c, o)
    s2 = scale.reshape(n, c)
    out = np.empty((n, h, w, o), dtype=np.result_type(x, scale, k))
    x3, out3 = x.reshape(n, hw, c), out.reshape(n, hw, o)
    ranges = _image_ranges(n, hw * (c + o) * out.itemsize)

    # not in a parallel region (one piece): one BLAS thread, as the convolutions' products
    product = _blas.matmul_single if len(ranges) == 1 else np.matmul
    step = _product_rows(o) if act == "swish" else 0

    def piece(a, b):
        for i in range(a, b):
            kernel = k2 * s2[i][:, None]
            if step:
                _product_then_epilogue(x3[i], kernel, out3[i], step, bias, act, product)
            else:
                product(x3[i], kernel, out=out3[i])
                _bias_activate_in_blocks(out3[i], bias, act)
    parallel.run(piece, ranges)
    return out


def scaled_pointwise_conv2d(x, scale, kernel, bias=None, activation=None):
    """``conv2d(x * scale, kernel, bias=bias, activation=activation)`` for a 1x1 kernel (kernel (1, 1, c, filters))
    and a scale per image and channel (``scale`` (batch, 1, 1, c)): squeeze-and-excitation's product followed by the
    projection (EfficientNet, MobileNetV3).

    NOTE: when no gradient is recorded (and no tracer watches) the scale goes into each image's kernel,
    ``x[i] @ (scale[i][:, None] * kernel)``: the product ``x * scale``, a pass over the whole activation and a
    batch-sized array, is never made. The numbers are the composition's up to float32 rounding (each product is
    rounded once, in the other order). Elsewhere the composition runs, and its gradient.

    Example:
        >>> x, s, k = np.ones((2, 3, 3, 4)), np.full((2, 1, 1, 4), 0.5), np.ones((1, 1, 4, 5))
        >>> ag.scaled_pointwise_conv2d(x, s, k).shape
        (2, 3, 3, 5)
    """
    fn = "scaled_pointwise_conv2d"
    relu = _activation_is_relu(activation, fn)
    xd = _rank(x, 4, fn, "x", "(batch, height, width, channels)")
    kd = _rank(kernel, 4, fn, "kernel", "(1, 1, channels, filters)")
    sd = _rank(scale, 4, fn, "scale", "(batch, 1, 1, channels)")
    n, _, _, c = xd.shape
    if kd.shape[:3] != (1, 1, c):
        raise ValueError(f"{fn}: kernel must have shape (1, 1, {c}, filters) for x of shape {xd.shape}, received "
                         f"shape {kd.shape}")
    if sd.shape != (n, 1, 1, c):
        raise ValueError(f"{fn}: scale must have shape (batch, 1, 1, channels) = {(n, 1, 1, c)} for x of shape "
                         f"{xd.shape}, received shape {sd.shape}")
    if bias is not None and tuple(shape_of(bias)) != (kd.shape[3],):
        raise ValueError(f"{fn}: bias must have shape (filters,) = {(kd.shape[3],)}, received shape "
                         f"{tuple(shape_of(bias))}")
    dtype = np.result_type(xd.dtype, sd.dtype, kd.dtype)
    if (_fusable(x, scale, kernel, bias) and xd.dtype == sd.dtype == kd.dtype
            and (bias is None or dtype_of(bias) == dtype)):
        act = "relu" if relu is True else (relu or None)
        return _unwatched(_scaled_pointwise_np, x, scale, kernel, bias, act)
    return conv2d(multiply(x, scale), kernel, bias=bias, activation=activation)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", dilation_rate=(1, 1), bias=None,
                     activation=None):
    """Depthwise 2-d convolution: each input channel convolved with its own ``depth_multiplier``
    filters; kernel (kernel_h, kernel_w, in_channels, depth_multiplier), output channel
    ``c * depth_multiplier + m`` (tf.nn.depthwise_conv2d's order).

    ``bias`` (in_channels * depth_multiplier,) and ``activation`` (None, 'linear', 'relu', 'relu6' or 'swish')
    give ``activation(depthwise_conv2d(x, k) + bias)``; when no gradient is recorded they are applied block by
    block inside the convolution's loop (the same numbers, one pass over memory instead of three to six).

    Example:
        >>> depthwise_conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 2))).shape
        (1, 3, 3, 6)
        >>> depthwise_conv2d(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), bias=[-1.0], activation="relu6")
        Tensor([[[[6.]]]])
    """
    fn = "depthwise_conv2d"
    if not (activation is None or isinstance(activation, str)) or activation not in _DEPTHWISE_ACTIVATIONS:
        raise ValueError(f"{fn}: activation must be None, 'linear', 'relu', 'relu6' or 'swish', "
                         f"received {activation!r}")
    xd = _rank(x, 4, fn, "x", "(batch, height, width, channels)")
    kd = _rank(depthwise_kernel, 4, fn, "depthwise_kernel", "(kernel_h, kernel_w, in_channels, depth_multiplier)")
    if kd.shape[2] != xd.shape[3]:
        raise ValueError(f"{fn}: depthwise_kernel shape {kd.shape} expects {kd.shape[2]} input channels, "
                         f"x has {xd.shape[3]} (shape {xd.shape})")
    kh, kw, c, dm = kd.shape
    if bias is not None:
        if not isinstance(bias, (Tensor, Batched)):
            bias = np.asarray(bias, dtype=np.result_type(xd.dtype, kd.dtype))
        bshape = tuple(shape_of(bias))
        if bshape != (c * dm,):
            raise ValueError(f"{fn}: bias must have shape (in_channels * depth_multiplier,) = {(c * dm,)}, "
                             f"received shape {bshape}")
    act = None if activation == "linear" else activation
    k = reshape(depthwise_kernel, (kh, kw, 1, c * dm))
    if ((bias is not None or act is not None) and _fusable(x, depthwise_kernel, bias)
            and (bias is None or dtype_of(bias) == np.result_type(xd.dtype, kd.dtype))):
        if not isinstance(padding, tuple):
            padding = _padding(padding, fn)
        geom = _geom(fn, xd.shape, (kh, kw), _ints(strides, 2, fn, "strides"),
                     _ints(dilation_rate, 2, fn, "dilation_rate"), padding, c)
        return _unwatched(_depthwise_np, x, k, geom, bias, act)
    out = _conv_checked(fn, x, k, strides, padding, dilation_rate, c)
    if bias is not None:
        out = out + bias
    return _DEPTHWISE_ACTIVATIONS[activation](out)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     dilation_rate=(1, 1)):
    """Depthwise convolution followed by a 1x1 convolution with ``pointwise_kernel`` of shape
    (1, 1, in_channels * depth_multiplier, filters), as Keras's SeparableConv2D.

    Example:
        >>> separable_conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 2)), np.ones((1, 1, 6, 4))).shape
        (1, 3, 3, 4)
    """
    y = depthwise_conv2d(x, depthwise_kernel, strides, padding, dilation_rate)
    return _conv_checked("separable_conv2d", y, pointwise_kernel, (1, 1), "valid", (1, 1), 1)


def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid", output_padding=None,
                     dilation_rate=(1, 1)):
    """Transposed 2-d convolution (the gradient of conv2d for its input), as Keras's Conv2DTranspose.

    Args:
        x: (batch, height, width, in_channels).
        kernel: (kernel_h, kernel_w, filters, in_channels), Keras's storage order.
        output_shape: (out_h, out_w) or (batch, out_h, out_w, filters); computed as Keras does from
            strides, padding and output_padding when None.

    Example:
        >>> conv2d_transpose(np.ones((1, 3, 3, 4)), np.ones((3, 3, 2, 4)), strides=2, padding="same").shape
        (1, 6, 6, 2)
    """
    fn = "conv2d_transpose"
    xd = _rank(x, 4, fn, "x", "(batch, height, width, in_channels)")
    kd = _rank(kernel, 4, fn, "kernel", "(kernel_h, kernel_w, filters, in_channels)")
    if kd.shape[3] != xd.shape[3]:
        raise ValueError(f"{fn}: kernel shape {kd.shape} expects {kd.shape[3]} input channels (its last axis), "
                         f"x has {xd.shape[3]} (shape {xd.shape})")
    strides = _ints(strides, 2, fn, "strides")
    dilation = _ints(dilation_rate, 2, fn, "dilation_rate")
    padding = _padding(padding, fn)
    n, h, w, _ = xd.shape
    kh, kw, filters, _ = kd.shape
    if output_shape is None:
        ops = (None, None) if output_padding is None else _ints_nonneg(output_padding, fn)
        for op, s, dd in zip(ops, strides, dilation):
            if op is not None and op >= s:
                raise ValueError(f"{fn}: output_padding {output_padding!r} must be smaller than the strides "
                                 f"{strides}")
        out_hw = tuple(deconv_output_length(length, k, padding, op, s, dd)
                       for length, k, op, s, dd in zip((h, w), (kh, kw), ops, strides, dilation))
    else:
        shape = tuple(int(v) for v in output_shape)
        if len(shape) == 4:
            if shape[0] != n or shape[3] != filters:
                raise ValueError(f"{fn}: output_shape {tuple(output_shape)} does not agree with batch {n} and "
                                 f"filters {filters}")
            shape = shape[1:3]
        if len(shape) != 2:
            raise ValueError(f"{fn}: output_shape must be (height, width) or (batch, height, width, filters), "
                             f"received {output_shape!r}")
        out_hw = shape
    geom = _geom(fn, (n,) + tuple(out_hw) + (filters,), (kh, kw), strides, dilation, padding)
    if (geom.oh, geom.ow) != (h, w):
        raise ValueError(f"{fn}: output size {tuple(out_hw)} is inconsistent with the input size {(h, w)}: a "
                         f"convolution of it with these strides and padding gives {(geom.oh, geom.ow)}")
    return _conv_dx(x, kernel, geom)


def _ints_nonneg(value, fn):
    vals = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(vals) != 2 or any(int(v) < 0 for v in vals):
        raise ValueError(f"{fn}: output_padding must be a non-negative int or a pair of them, received {value!r}")
    return tuple(int(v) for v in vals)


def conv1d_transpose(x, kernel, output_shape=None, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed 1-d convolution, x (batch, steps, in_channels), kernel (kernel_size, filters,
    in_channels), as Keras's Conv1DTranspose.

    Example:
        >>> conv1d_transpose(np.ones((1, 4, 3)), np.ones((3, 2, 3)), strides=2).shape
        (1, 9, 2)
    """
    fn = "conv1d_transpose"
    xd = _rank(x, 3, fn, "x", "(batch, steps, in_channels)")
    kd = _rank(kernel, 3, fn, "kernel", "(kernel_size, filters, in_channels)")
    (s,) = _ints(strides, 1, fn, "strides")
    (d,) = _ints(dilation_rate, 1, fn, "dilation_rate")
    n, w, c = xd.shape
    if output_shape is not None:
        shape = tuple(int(v) for v in output_shape)
        output_shape = (1, shape[-1] if len(shape) == 1 else shape[1])
    op = None if output_padding is None else (0, int(np.ravel([output_padding])[0]))
    out = conv2d_transpose(reshape(x, (n, 1, w, c)), reshape(kernel, (1,) + kd.shape), output_shape,
                           (1, s), padding, op, (1, d))
    return reshape(out, (n, out.shape[2], out.shape[3]))


# -- pooling --------------------------------------------------------------------------------------


def _pool_geom(fn, x, pool_size, strides, padding, rank):
    layout = "(batch, height, width, channels)" if rank == 2 else "(batch, steps, channels)"
    xd = _rank(x, rank + 2, fn, "x", layout)
    pool = _ints(pool_size, rank, fn, "pool_size")
    strides = pool if strides is None else _ints(strides, rank, fn, "strides")
    padding = _padding(padding, fn)
    if rank == 1:
        pool, strides = (1,) + pool, (1,) + strides
        shape = (xd.shape[0], 1) + xd.shape[1:]
    else:
        shape = xd.shape
    return _geom(fn, shape, pool, strides, (1, 1), padding), shape


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _tiles(geom):
    """Whether the windows tile the input: stride == window, no padding (MaxPooling2D(2)'s case)."""
    return geom.sh == geom.kh and geom.sw == geom.kw and not _has_pad(geom)


def _tiled(x, geom):
    """(n, oh, kh, ow, kw, c) view of the part of ``x`` the tiling windows cover (a view, no copy)."""
    n, c = x.shape[0], x.shape[3]
    return x[:, :geom.oh * geom.kh, :geom.ow * geom.kw].reshape(n, geom.oh, geom.kh, geom.ow, geom.kw, c)


# NOTE: the tiling max-pool's passes (a compare and a max per tap, then the tap masks; in backward one
# masked write per tap) run over the batch in chunks of about _CHUNK_BYTES of input, so that every pass
# after the first finds the chunk in the core's L2 cache instead of memory: 25-35% faster forward and
# 15-20% backward for MaxPooling2D(2) over a (64, 26, 26, 32) float32 batch on the 2-core benchmark VM.
_CHUNK_BYTES = 1 << 20


def _chunk_images(x):
    """How many samples of ``x`` make about _CHUNK_BYTES (at least one)."""
    return max(1, _CHUNK_BYTES // max(1, x[0].nbytes if x.shape[0] else 1))


def _max_pool_tiled_chunk(x, geom, out, hits):
    """One chunk of _max_pool_tiled_np, written into ``out`` and the tap masks ``hits``."""
    x6 = _tiled(x, geom)
    taps = [x6[:, :, i, :, j] for i in range(geom.kh) for j in range(geom.kw)]
    np.copyto(out, taps[0])
    raised = [None]
    for xt in taps[1:]:
        # NOTE: a tap takes over only when strictly larger than every earlier tap, so after the loop the
        # last tap to take over is the first (row-major) maximum: ties go to the earliest tap.
        raised.append(np.greater(xt, out))
        np.maximum(out, xt, out=out)
    later = np.zeros(out.shape, dtype=bool)       # some later tap took over
    for t in range(len(taps) - 1, 0, -1):
        np.greater(raised[t], later, out=hits[t])  # raised and not later (booleans: a > b is a & ~b)
        later |= raised[t]
    np.logical_not(later, out=hits[0])


def _max_pool_tiled_np(x, geom, saved):
    """Max over tiling windows, saving in ``saved["hits"]`` one boolean mask per tap (row-major) marking
    where that tap is its window's first maximum (the one TensorFlow's MaxPoolGrad routes to)."""
    n = x.shape[0]
    out = np.empty((n, geom.oh, geom.ow, x.shape[3]), dtype=x.dtype)
    hits = [np.empty(out.shape, dtype=bool) for _ in range(geom.kh * geom.kw)]

    def piece(a, b):     # the images [a, b), in cache-sized chunks; whether any of its windows is NaN
        for c0 in range(a, b, _chunk_images(x)):
            sl = slice(c0, min(b, c0 + _chunk_images(x)))
            _max_pool_tiled_chunk(x[sl], geom, out[sl], [h[sl] for h in hits])
        return out.dtype.kind == "f" and bool(np.isnan(out[a:b].sum()))
    if any(parallel.run(piece, _image_ranges(n, x[0].nbytes if n else 1))):
        return out      # NaN windows: the equality masks of the general path decide (no gradient to NaNs)
    saved["hits"] = hits
    return out


def _max_pool_np(x, geom, saved=None, relu_memo=None):
    if saved is not None and _tiles(geom):
        return _max_pool_tiled_np(x, geom, saved)
    xp = _padded(x, geom, _lowest(x.dtype))
    out = None
    for _, rows, cs in _taps(geom):
        if out is None:
            out = xp[:, rows, cs].copy()
        else:
            np.maximum(out, xp[:, rows, cs], out=out)
    return out


def _max_hits(xp, ans, geom):
    """For each tap: where it holds its window's maximum, first tap (row-major) winning ties as in
    TensorFlow's MaxPoolGrad."""
    taken = free = None
    for _, rows, cs in _taps(geom):
        hit = np.equal(xp[:, rows, cs], ans)
        if taken is None:
            taken = hit.copy()
            free = np.empty_like(hit)
        else:
            np.logical_not(taken, out=free)
            hit &= free
            taken |= hit
        yield rows, cs, hit


def _max_pool_grad_tiled_np(gy, x, geom, hits):
    """The max-pool gradient from the forward's tap masks: each tap's slab written once, no search
    (in batch chunks, as the forward)."""
    dx = np.empty(x.shape, dtype=gy.dtype)
    h, w = geom.oh * geom.kh, geom.ow * geom.kw
    if h < geom.h:
        dx[:, h:] = 0            # rows and columns no window covers ('valid' remainders)
    if w < geom.w:
        dx[:, :h, w:] = 0
    def piece(a, b):     # the images [a, b), in cache-sized chunks
        for c0 in range(a, b, _chunk_images(x)):
            sl = slice(c0, min(b, c0 + _chunk_images(x)))
            d6 = _tiled(dx[sl], geom)
            g = gy[sl]
            t = 0
            for i in range(geom.kh):
                for j in range(geom.kw):
                    np.multiply(g, hits[t][sl], out=d6[:, :, i, :, j])
                    t += 1
    parallel.run(piece, _image_ranges(x.shape[0], x[0].nbytes if x.shape[0] else 1))
    return dx


def _max_pool_grad_np(gy, x, ans, geom, hits=None):
    if hits is not None:
        return _max_pool_grad_tiled_np(gy, x, geom, hits)
    xp = _padded(x, geom, _lowest(x.dtype))
    dxp = np.zeros(xp.shape, dtype=gy.dtype)
    # windows that do not overlap write disjoint slabs: no accumulation needed
    disjoint = geom.sh >= geom.kh and geom.sw >= geom.kw
    tmp = None if disjoint else np.empty_like(gy)
    for rows, cs, hit in _max_hits(xp, ans, geom):
        if disjoint:
            np.multiply(gy, hit, out=dxp[:, rows, cs])
        else:
            np.multiply(gy, hit, out=tmp)
            dxp[:, rows, cs] += tmp
    return _unpadded(dxp, geom)


def _max_pool_select_np(gx, x, ans, geom):
    xp = _padded(x, geom, _lowest(x.dtype))
    gp = _padded(gx, geom)
    out = np.zeros(ans.shape, dtype=gx.dtype)
    for rows, cs, hit in _max_hits(xp, ans, geom):
        out += gp[:, rows, cs] * hit
    return out


_max_pool_prim = Primitive(_max_pool_np, "max_pool")
_max_pool_grad_prim = Primitive(_max_pool_grad_np, "max_pool_grad")
_max_pool_select_prim = Primitive(_max_pool_select_np, "max_pool_select")


def _max_pool_vjp(g, ans, x, geom, saved=None, relu_memo=None):
    hits = saved.get("hits") if saved else None
    if relu_memo is None or STATE.grad_enabled:
        return apply(_max_pool_grad_prim, (g, raw(x), ans.data), {"geom": geom, "hits": hits})
    # NOTE: the input is a fused conv+relu's output (>= 0). Relu's mask there, x > 0, equals out > 0 at
    # every window's max, the only places the pool sends gradient to: masking the pooled gradient (a
    # quarter of the size for 2x2 windows) gives the conv its pre-activation gradient directly, handed
    # over through the conv's memo (used only if this very array reaches it, i.e. no other consumer).
    a = ans.data
    gd = raw(g)
    masked = np.empty(gd.shape, np.result_type(gd, a))
    # each piece of the batch masks its rows (autograd.parallel: the same rows as the pool's own pieces)
    parallel.run(lambda s, e: np.multiply(gd[s:e], a[s:e] > 0, out=masked[s:e]),
                 _image_ranges(a.shape[0], a[0].nbytes if a.shape[0] else 1))
    gx = apply(_max_pool_grad_prim, (masked, raw(x), a), {"geom": geom, "hits": hits})
    relu_memo["g"] = (gx, gx)
    return gx


def _relu_conv_memo(x):
    """The memo of the fused conv+relu that produced ``x``, if one did (see _max_pool_vjp)."""
    ctx = x._ctx
    if type(ctx) is tuple and ctx[0] is _conv_bias_act_prim and ctx[2]["relu"]:
        return ctx[2]["memo"]
    return None


defvjp(_max_pool_prim, _max_pool_vjp)
defvjp(_max_pool_grad_prim,
       lambda gg, ans, gy, x, a, geom, hits=None: apply(_max_pool_select_prim, (gg, x, a), {"geom": geom}),
       None, None)
defvjp(_max_pool_select_prim,
       lambda g, ans, gx, x, a, geom: apply(_max_pool_grad_prim, (g, x, a), {"geom": geom}), None, None)
# max pooling's tangent is the input's tangent read at each window's (first) maximum: the selection its
# gradient's vjp already is; the gradient and the selection are linear in their first argument
defjvp(_max_pool_prim, lambda t, ans, x, geom, saved=None, relu_memo=None:
       apply(_max_pool_select_prim, (t, raw(x), ans.data), {"geom": geom}))
def_linear(_max_pool_grad_prim)
def_linear(_max_pool_select_prim)


def _counts(geom):
    """How many real (unpadded) input elements each window covers: (oh, ow, 1) or a scalar."""
    if not _has_pad(geom):
        return geom.kh * geom.kw

    def along(n, k, s, before, o):
        start = np.arange(o) * s - before
        return np.minimum(start + k, n) - np.maximum(start, 0)

    rows = along(geom.h, geom.kh, geom.sh, geom.pt, geom.oh)
    cols = along(geom.w, geom.kw, geom.sw, geom.pl, geom.ow)
    return (rows[:, None] * cols[None, :])[:, :, None]


def _avg_pool_np(x, geom):
    xp = _padded(x, geom)
    out = None
    for _, rows, cs in _taps(geom):
        if out is None:
            out = xp[:, rows, cs].astype(np.result_type(x.dtype, np.float32), copy=True)
        else:
            out += xp[:, rows, cs]
    # NOTE: as TensorFlow's 'same' average pooling, padded positions are not counted in the mean.
    out /= np.asarray(_counts(geom), dtype=out.dtype)
    return out


def _avg_pool_grad_np(gy, geom, n):
    gd = gy / np.asarray(_counts(geom), dtype=gy.dtype)
    dxp = np.zeros(_padded_shape(n, geom), dtype=gy.dtype)
    for _, rows, cs in _taps(geom):
        dxp[:, rows, cs] += gd
    return _unpadded(dxp, geom)


_avg_pool_prim = Primitive(_avg_pool_np, "avg_pool")
_avg_pool_grad_prim = Primitive(_avg_pool_grad_np, "avg_pool_grad")
defvjp(_avg_pool_prim,
       lambda g, ans, x, geom: apply(_avg_pool_grad_prim, (g,), {"geom": geom, "n": raw(x).shape[0]}))
defvjp(_avg_pool_grad_prim, lambda g, ans, gy, geom, n: apply(_avg_pool_prim, (g,), {"geom": geom}))
def_linear(_avg_pool_prim)
def_linear(_avg_pool_grad_prim)


def _pool(prim, fn, x, pool_size, strides, padding, rank):
    geom, shape = _pool_geom(fn, x, pool_size, strides, padding, rank)
    kwargs = {"geom": geom}
    if prim is _max_pool_prim and STATE.grad_enabled and isinstance(x, Tensor) and x.requires_grad:
        kwargs["saved"] = {}     # the forward leaves its tap masks here for the backward
        relu_memo = _relu_conv_memo(x) if rank == 2 else None
        if relu_memo is not None:
            kwargs["relu_memo"] = relu_memo      # for the backward only (see _max_pool_vjp)
    if rank == 2:
        return apply(prim, (x,), kwargs)
    out = apply(prim, (reshape(x, shape),), kwargs)
    return reshape(out, (shape[0], geom.ow, shape[3]))


def max_pool2d(x, pool_size, strides=None, padding="valid"):
    """Max pooling over NHWC ``x`` (strides default to pool_size, as Keras's MaxPooling2D).

    Example:
        >>> max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1), 2)[0, :, :, 0]
        Tensor([[ 5.,  7.], [13., 15.]])
    """
    return _pool(_max_pool_prim, "max_pool2d", x, pool_size, strides, padding, 2)


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling over ``x`` (batch, steps, channels), as Keras's MaxPooling1D.

    Example:
        >>> max_pool1d(np.array([[[1.0], [3.0], [2.0], [0.0]]]))[0, :, 0]
        Tensor([3., 2.])
    """
    return _pool(_max_pool_prim, "max_pool1d", x, pool_size, strides, padding, 1)


def avg_pool2d(x, pool_size, strides=None, padding="valid"):
    """Average pooling over NHWC ``x``; with 'same' padding the padded positions are left out of each
    mean, as in TensorFlow.

    Example:
        >>> avg_pool2d(np.ones((1, 3, 3, 1)), 2, padding="same")[0, :, :, 0]
        Tensor([[1., 1.], [1., 1.]])
    """
    return _pool(_avg_pool_prim, "avg_pool2d", x, pool_size, strides, padding, 2)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling over ``x`` (batch, steps, channels), as Keras's AveragePooling1D.

    Example:
        >>> avg_pool1d(np.array([[[1.0], [3.0], [2.0], [0.0]]]))[0, :, 0]
        Tensor([2., 1.])
    """
    return _pool(_avg_pool_prim, "avg_pool1d", x, pool_size, strides, padding, 1)


# -- upsampling -----------------------------------------------------------------------------------


def upsample2d(x, size=(2, 2), interpolation="nearest"):
    """Repeat rows and columns of NHWC ``x`` ``size`` times (Keras's UpSampling2D, nearest).

    Example:
        >>> upsample2d(np.ones((1, 2, 3, 4)), (2, 3)).shape
        (1, 4, 9, 4)
    """
    fn = "upsample2d"
    if interpolation != "nearest":
        raise ValueError(f"{fn}: only interpolation='nearest' is implemented, received {interpolation!r}")
    xd = _rank(x, 4, fn, "x", "(batch, height, width, channels)")
    sh, sw = _ints(size, 2, fn, "size")
    n, h, w, c = xd.shape
    y = broadcast_to(reshape(x, (n, h, 1, w, 1, c)), (n, h, sh, w, sw, c))
    return reshape(y, (n, h * sh, w * sw, c))


def upsample1d(x, size=2):
    """Repeat each step of ``x`` (batch, steps, channels) ``size`` times (Keras's UpSampling1D).

    Example:
        >>> upsample1d(np.ones((2, 3, 4)), 2).shape
        (2, 6, 4)
    """
    xd = _rank(x, 3, "upsample1d", "x", "(batch, steps, channels)")
    (s,) = _ints(size, 1, "upsample1d", "size")
    n, w, c = xd.shape
    return reshape(broadcast_to(reshape(x, (n, w, 1, c)), (n, w, s, c)), (n, w * s, c))


# -- dropout --------------------------------------------------------------------------------------


def dropout(x, rate, rng, noise_shape=None):
    """Inverted dropout: zero each element with probability ``rate`` and scale the rest by
    1 / (1 - rate), drawing from the numpy Generator ``rng`` (as tf.nn.dropout / Keras's Dropout).

    ``noise_shape`` (None entries take x's size) shares one draw along its size-1 axes.

    Example:
        >>> dropout(np.ones((2, 4)), 0.5, np.random.default_rng(0))      # entries are 0 or 2
        Tensor([[2., 0., 0., 0.],
                [2., 2., 2., 2.]])
    """
    xd = _Meta(tuple(shape_of(x)), len(shape_of(x)), dtype_of(x))
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"dropout: rate must be a number in [0, 1), received {rate!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"dropout: rng must be a numpy random Generator (np.random.default_rng(seed)), "
                        f"received {type(rng).__name__}")
    rate = float(rate)
    if rate == 0.0:
        _noise_shape(xd, noise_shape, "dropout")       # checked all the same
        return x if isinstance(x, (Tensor, Batched)) else make_leaf(np.asarray(x))
    dtype = xd.dtype if xd.dtype.kind == "f" else np.dtype(np.float32)
    if STATE.tracer is not None:
        # NOTE: traced: the mask from autograd ops (a random primitive, a comparison, a cast), so that the graph
        # holds the draw itself, not one particular mask; the numbers are those of the numpy lines below
        draw = _random_uniform(x, rng, noise_shape, dtype=np.float64 if dtype == np.float64 else np.float32)
        return multiply(x, multiply(astype(greater_equal(draw, rate), dtype), dtype.type(1.0 / (1.0 - rate))))
    shape = _noise_shape(xd, noise_shape, "dropout")
    if DRAW_LOG:
        note_draw(rng)
    draw = rng.random(shape, dtype=np.float32 if dtype != np.float64 else np.float64)
    mask = (draw >= rate).astype(dtype)
    mask *= dtype.type(1.0 / (1.0 - rate))
    return multiply(x, mask)


# -- embedding lookup -----------------------------------------------------------------------------


def _embedding_grad_np(gy, ids, vocab):
    out = np.zeros((vocab,) + gy.shape[ids.ndim:], dtype=gy.dtype)
    np.add.at(out, ids.ravel(), gy.reshape((ids.size,) + out.shape[1:]))  # NOTE: repeated ids accumulate
    return out


_embedding_prim = Primitive(lambda params, ids: np.take(params, ids, axis=0), "embedding")
_embedding_grad_prim = Primitive(_embedding_grad_np, "embedding_grad")
defvjp(_embedding_prim, lambda g, ans, params, ids: apply(_embedding_grad_prim, (g, ids, raw(params).shape[0]), {}),
       None)
defvjp(_embedding_grad_prim, lambda g, ans, gy, ids, vocab: apply(_embedding_prim, (g, ids), {}), None, None)
def_linear(_embedding_prim)
def_linear(_embedding_grad_prim)


def embedding(params, ids):
    """Rows of ``params`` (vocab, dim) picked by integer ``ids`` of any shape: output ids.shape + (dim,).

    Float ids are truncated to integers as Keras's Embedding does; ids outside [0, vocab) raise.

    Example:
        >>> embedding(np.eye(3), [[0, 2], [2, 2]]).shape
        (2, 2, 3)
    """
    pshape = tuple(shape_of(params))
    if len(pshape) < 1:
        raise ValueError(f"embedding: params must have a vocabulary axis, received shape {pshape}")
    idd = peek(ids)         # inside ag.vmap: every example's ids, checked at once
    if idd.dtype.kind == "f":
        ids = astype(ids, np.int64)          # an op: a traced graph (and vmap) sees where the ids came from
        idd = peek(ids)
    elif idd.dtype.kind not in "iu":
        raise TypeError(f"embedding: ids must be integers, received dtype {idd.dtype}")
    if idd.size and (idd.min() < 0 or idd.max() >= pshape[0]):
        bad = idd.min() if idd.min() < 0 else idd.max()
        raise ValueError(f"embedding: id {bad} is outside the vocabulary [0, {pshape[0]}) of params with "
                         f"shape {pshape}")
    return apply(_embedding_prim, (params, ids if type(ids) is Batched else idd), {})


# -- fused cross-entropies ------------------------------------------------------------------------


def _array_like(x):
    """Tensors and batched values as they are; anything else (lists, scalars) as a numpy array, once."""
    return x if isinstance(x, (Tensor, Batched, np.ndarray)) else np.asarray(x)


def _class_axis(logits, axis, fn):
    nd = len(shape_of(logits))
    if nd == 0 or not -nd <= axis < nd:
        raise ValueError(f"{fn}: axis {axis} is out of range for logits of shape {shape_of(logits)}")
    return axis % nd


def _softmax_ce_np(logits, labels, axis):
    s = logits - np.max(logits, axis=axis, keepdims=True)
    lse = np.log(np.sum(np.exp(s), axis=axis, keepdims=True))
    # NOTE: -sum(labels * log_softmax) with log_softmax = s - lse computed from shifted logits: every
    # term is finite for logits of any size (a 0 label times a large finite number is 0, never NaN).
    return np.sum(labels * (lse - s), axis=axis)


def _softmax_ce_vjp_logits(g, ans, logits, labels, axis):
    # NOTE: d/dlogits = softmax * sum(labels) - labels; with labels summing to 1 (one-hot, smoothed)
    # that is TensorFlow's softmax - labels, and it stays the exact gradient for any labels.
    ge = expand_dims(g, axis)
    total = _sum(labels, axis=axis, keepdims=True)
    return multiply(ge, subtract(multiply(softmax(logits, axis=axis), total), labels))


_softmax_ce_prim = Primitive(_softmax_ce_np, "softmax_cross_entropy")
defvjp(_softmax_ce_prim, _softmax_ce_vjp_logits,
       lambda g, ans, logits, labels, axis: multiply(expand_dims(g, axis), negative(log_softmax(logits, axis=axis))),
       None)
defjvp(_softmax_ce_prim,
       lambda t, ans, logits, labels, axis: _sum(multiply(t, subtract(multiply(
           softmax(logits, axis=axis), _sum(labels, axis=axis, keepdims=True)), labels)), axis=axis),
       lambda t, ans, logits, labels, axis: _sum(multiply(t, negative(log_softmax(logits, axis=axis))), axis=axis),
       None)


def softmax_cross_entropy(logits, labels, axis=-1):
    """Per-example -sum(labels * log_softmax(logits)) over ``axis``; finite for any finite logits, and
    its gradient is softmax(logits) - labels (for labels that sum to 1).

    Example:
        >>> softmax_cross_entropy([[1e4, -1e4]], [[0.0, 1.0]])
        Tensor([20000.])
    """
    fn = "softmax_cross_entropy"
    logits, labels = _array_like(logits), _array_like(labels)
    lshape, yshape = tuple(shape_of(logits)), tuple(shape_of(labels))
    if lshape != yshape:
        raise ValueError(f"{fn}: logits and labels must have the same shape, received {lshape} and {yshape}")
    axis = _class_axis(logits, axis, fn)
    if dtype_of(logits).kind != "f":
        logits = astype(logits, np.float32)
    if dtype_of(labels) != dtype_of(logits) and not (isinstance(labels, (Tensor, Batched)) and labels.requires_grad):
        labels = astype(labels, dtype_of(logits))
    return apply(_softmax_ce_prim, (logits, labels, axis), {})


def _at_labels(a, labels, axis):
    """The view of ``a`` as (examples, classes) and the index that picks each example's label entry, when the
    class axis is the last one (the common case); None otherwise."""
    if axis != a.ndim - 1 or not a.flags.c_contiguous:
        return None
    flat = a.reshape(-1, a.shape[-1])
    return flat, (np.arange(flat.shape[0]), labels.reshape(-1))


def _sparse_ce_np(logits, labels, axis):
    s = logits - np.max(logits, axis=axis, keepdims=True)
    lse = np.log(np.sum(np.exp(s), axis=axis))
    at = _at_labels(s, labels, axis)
    if at is not None:
        flat, index = at
        return lse - flat[index].reshape(labels.shape)
    picked = np.take_along_axis(s, np.expand_dims(labels, axis), axis=axis)
    return lse - np.squeeze(picked, axis=axis)


def _sparse_ce_vjp(g, ans, logits, labels, axis):
    if not STATE.grad_enabled and type(g) is not Batched and type(logits) is not Batched:
        # NOTE: without a graph of the gradient, the rule below in numpy (softmax as the softmax op computes
        # it, minus 1 at each label, times g): the same numbers, without five op dispatches and a one-hot array
        p = _softmax_np(raw(logits), axis)
        at = _at_labels(p, labels, axis)
        if at is not None:
            flat, index = at
            flat[index] -= 1
        else:
            np.put_along_axis(p, np.expand_dims(labels, axis), np.take_along_axis(
                p, np.expand_dims(labels, axis), axis=axis) - 1, axis=axis)
        return make_leaf(np.multiply(np.expand_dims(raw(g), axis), p))
    ld = raw(logits)
    onehot = np.zeros(ld.shape, dtype=ld.dtype)
    np.put_along_axis(onehot, np.expand_dims(labels, axis), 1, axis=axis)
    return multiply(expand_dims(g, axis), subtract(softmax(logits, axis=axis), onehot))


_sparse_ce_prim = Primitive(_sparse_ce_np, "sparse_softmax_cross_entropy")
defvjp(_sparse_ce_prim, _sparse_ce_vjp, None, None)


def _sparse_ce_jvp(t, ans, logits, labels, axis):
    # <softmax(logits) - one_hot(label), t> over the class axis
    ld = raw(logits)
    onehot = np.zeros(ld.shape, dtype=ld.dtype)
    np.put_along_axis(onehot, np.expand_dims(raw(labels), axis), 1, axis=axis)
    return _sum(multiply(t, subtract(softmax(logits, axis=axis), onehot)), axis=axis)


defjvp(_sparse_ce_prim, _sparse_ce_jvp, None, None)


def sparse_softmax_cross_entropy(logits, labels, axis=-1):
    """Per-example cross-entropy with integer class ``labels`` (logits' shape without ``axis``):
    logsumexp(logits) - logits[label]; gradient softmax(logits) - one_hot(label).

    Example:
        >>> sparse_softmax_cross_entropy([[1e4, -1e4]], [1])
        Tensor([20000.])
    """
    fn = "sparse_softmax_cross_entropy"
    logits = _array_like(logits)
    lshape = tuple(shape_of(logits))
    axis = _class_axis(logits, axis, fn)
    yd = peek(labels)       # inside ag.vmap: every example's labels, checked at once
    batched = type(labels) is Batched
    if yd.dtype.kind == "f":
        if not np.all(np.mod(yd, 1) == 0):
            raise ValueError(f"{fn}: labels must be integer class ids, received non-integral floats")
        yd = yd.astype(np.int64)
        if batched:
            labels = astype(labels, np.int64)
    elif yd.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be integer class ids, received dtype {yd.dtype}")
    yshape = tuple(shape_of(labels)) if batched else yd.shape
    expected = lshape[:axis] + lshape[axis + 1:]
    if yshape != expected:
        raise ValueError(f"{fn}: labels must have the logits' shape without the class axis, {expected}; "
                         f"received labels of shape {yshape} for logits of shape {lshape}")
    n = lshape[axis]
    if yd.size and (yd.min() < 0 or yd.max() >= n):
        bad = yd.min() if yd.min() < 0 else yd.max()
        raise ValueError(f"{fn}: label {bad} is outside the {n} classes [0, {n})")
    if dtype_of(logits).kind != "f":
        logits = astype(logits, np.float32)
    return apply(_sparse_ce_prim, (logits, labels if batched else yd, axis), {})


def _sigmoid_ce_np(logits, labels):
    # NOTE: max(x, 0) - x * z + log1p(exp(-|x|)), TensorFlow's overflow-free form.
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


_sigmoid_ce_prim = Primitive(_sigmoid_ce_np, "sigmoid_cross_entropy")
defvjp(_sigmoid_ce_prim,
       lambda g, ans, logits, labels: multiply(g, subtract(sigmoid(logits), labels)),
       lambda g, ans, logits, labels: multiply(g, negative(logits)))
# elementwise: the vjps read with the tangent in place of g are the jvps
defjvp(_sigmoid_ce_prim,
       lambda t, ans, logits, labels: multiply(t, subtract(sigmoid(logits), labels)),
       lambda t, ans, logits, labels: multiply(t, negative(logits)))


def sigmoid_cross_entropy(logits, labels):
    """Elementwise -z log sigmoid(x) - (1 - z) log(1 - sigmoid(x)) for logits x and labels z of the same
    shape (tf.nn.sigmoid_cross_entropy_with_logits; take the mean over the last axis for Keras's
    binary_crossentropy); finite for any finite logits, gradient sigmoid(x) - z.

    Example:
        >>> sigmoid_cross_entropy([1e4, -1e4], [0.0, 0.0])
        Tensor([10000.,     0.])
    """
    logits, labels = _array_like(logits), _array_like(labels)   # lists and scalars become arrays once, here
    lshape, yshape = tuple(shape_of(logits)), tuple(shape_of(labels))
    if lshape != yshape:
        raise ValueError(f"sigmoid_cross_entropy: logits and labels must have the same shape, received "
                         f"{lshape} and {yshape}")
    if dtype_of(logits).kind != "f":
        logits = astype(logits, np.float32)
    if dtype_of(labels) != dtype_of(logits) and not (isinstance(labels, (Tensor, Batched)) and labels.requires_grad):
        labels = astype(labels, dtype_of(logits))
    return apply(_sigmoid_ce_prim, (logits, labels), {})


# -- batching rules (ag.vmap) ---------------------------------------------------------------------------
# Every example is itself a batch of images (NHWC): examples with a shared kernel are more images (merged
# into the batch axis); per-example kernels (vmap of grad makes the kernel per example) are one grouped
# convolution with examples * groups groups, the examples' channels side by side, as JAX's vmap does.


def _merge(x, dim):
    """(B, n, ...) from ``x`` batched on ``dim``, as one batch of B * n."""
    x = to_front(x, dim)
    s = shape_of(x)
    return reshape(x, (s[0] * s[1],) + tuple(s[2:])), s[0]


def _split_batch(out, size):
    s = shape_of(out)
    return reshape(out, (size, s[0] // size) + tuple(s[1:]))


def _channels_last(x, size):
    """(B, n, h, w, c) -> (n, h, w, B * c): the examples' channels side by side."""
    n, h, w, c = shape_of(x)[1:]
    return reshape(transpose(x, (1, 2, 3, 0, 4)), (n, h, w, size * c))


def _examples_from_channels(out, size):
    """(n, h, w, B * o) -> (n, h, w, B, o): batch axis 3."""
    n, h, w, bo = shape_of(out)
    return reshape(out, (n, h, w, size, bo // size))


def _grouped_geom(geom, size):
    return geom._replace(c=geom.c * size, groups=geom.groups * size)


def _grouped_kernel_batch(k, size):
    """(B, kh, kw, cg, o) -> (kh, kw, cg, B * o): example b's filters form groups b * groups ... ."""
    kh, kw, cg, o = shape_of(k)[1:]
    return reshape(transpose(k, (1, 2, 3, 0, 4)), (kh, kw, cg, size * o))


def _fresh(saved):
    return {} if saved is not None else None


def _conv_batch(args, dims, geom, saved=None):
    (x, k), (dx, dk) = args, dims
    if dk is None:
        xm, size = _merge(x, dx)
        return _split_batch(_conv(xm, k, geom, _fresh(saved)), size), 0
    size = batch_size(args, dims)
    kb = to_front(k, dk)
    if dx is None:
        # shared images, per-example filters: all examples' filters in one convolution (per group)
        kh, kw, cg, o = shape_of(kb)[1:]
        g = geom.groups
        k2 = reshape(transpose(reshape(kb, (size, kh, kw, cg, g, o // g)), (1, 2, 3, 4, 0, 5)), (kh, kw, cg, size * o))
        out = _conv(x, k2, geom, _fresh(saved))                       # (n, oh, ow, groups * B * og)
        n, oh, ow = shape_of(out)[:3]
        out = transpose(reshape(out, (n, oh, ow, g, size, o // g)), (4, 0, 1, 2, 3, 5))
        return reshape(out, (size, n, oh, ow, o)), 0
    out = _conv(_channels_last(to_front(x, dx), size), _grouped_kernel_batch(kb, size), _grouped_geom(geom, size),
                _fresh(saved))
    return _examples_from_channels(out, size), 3


def _conv_dx_batch(args, dims, geom):
    (gy, k), (dg, dk) = args, dims
    if dk is None:
        gm, size = _merge(gy, dg)
        return _split_batch(_conv_dx(gm, k, geom), size), 0
    size = batch_size(args, dims)
    out = _conv_dx(_channels_last(bring(gy, dg, size), size), _grouped_kernel_batch(to_front(k, dk), size),
                   _grouped_geom(geom, size))
    return _examples_from_channels(out, size), 3


def _conv_dk_batch(args, dims, geom, cols=None):
    (x, gy), (dx, dg) = args, dims
    size = batch_size(args, dims)
    out = _conv_dk(_channels_last(bring(x, dx, size), size), _channels_last(bring(gy, dg, size), size),
                   _grouped_geom(geom, size))
    return _examples_from_channels(out, size), 3


def _conv_bias_act_batch(args, dims, geom, relu, saved=None, memo=None):
    (x, k, b), (dx, dk, db) = args, dims
    if dk is None and db is None:
        xm, size = _merge(x, dx)
        out = apply(_conv_bias_act_prim, (xm, k, b), {"geom": geom, "relu": relu, "saved": _fresh(saved),
                                                      "memo": None if memo is None else {}})
        return _split_batch(out, size), 0
    # per-example kernel or bias: the composition relu(conv + bias), the same numbers as the fused op
    size = batch_size(args, dims)
    if dx is None and dk is None:   # only the bias differs between examples
        out = expand_dims(_conv(x, k, geom), 0)
    else:
        out, od = _conv_batch((x, k), (dx, dk), geom, saved)
        out = to_front(out, od)
    if b is not None:
        out = add(out, reshape(bring(b, db, size), (size, 1, 1, 1, -1)))
    return (_relu(out) if relu else out), 0


def _merged_rule(prim, fixed=()):
    """The rule of a pooling op or its gradient: examples merged into the batch of every array argument
    (shared ones broadcast), the op run once; ``fixed`` kwargs are reset (saved state belongs to one call)."""
    def rule(args, dims, **kwargs):
        size = batch_size(args, dims)
        merged = []
        for a, d in zip(args, dims):
            a = bring(a, d, size)
            s = shape_of(a)
            merged.append(reshape(a, (s[0] * s[1],) + tuple(s[2:])))
        for key, value in fixed:
            if key in kwargs:
                kwargs[key] = value(kwargs[key])
        if "n" in kwargs:
            kwargs["n"] = kwargs["n"] * size
        return _split_batch(apply(prim, tuple(merged), kwargs), size), 0
    return rule


defbatch(_conv_prim, _conv_batch)
defbatch(_conv_dx_prim, _conv_dx_batch)
defbatch(_conv_dk_prim, _conv_dk_batch)
defbatch(_conv_bias_act_prim, _conv_bias_act_batch)
defbatch(_max_pool_prim, _merged_rule(_max_pool_prim, (("saved", _fresh), ("relu_memo", lambda m: None))))
defbatch(_max_pool_grad_prim, _merged_rule(_max_pool_grad_prim, (("hits", lambda h: None),)))
defbatch(_max_pool_select_prim, _merged_rule(_max_pool_select_prim))
defbatch(_avg_pool_prim, _merged_rule(_avg_pool_prim))
defbatch(_avg_pool_grad_prim, _merged_rule(_avg_pool_grad_prim))


def _id_offsets(ids, dim, size, vocab):
    """Per-example ids (B, ...) shifted by b * vocab, so that example b reads rows b * vocab ... of the
    examples' tables stacked into one."""
    ids = raw(bring(ids, dim, size) if dim is not None else np.broadcast_to(raw(ids), (size,) + raw(ids).shape))
    return ids + (np.arange(size) * vocab).reshape((size,) + (1,) * (ids.ndim - 1))


def _embedding_batch(args, dims):
    (params, ids), (dp, di) = args, dims
    if dp is None:
        return apply(_embedding_prim, (params, ids), {}), di
    size = batch_size(args, dims)
    params = to_front(params, dp)
    s = shape_of(params)
    if di is None:      # shared ids, per-example tables: the examples become a column of one table
        ids = raw(ids)
        out = apply(_embedding_prim, (transpose(params, (1, 0) + tuple(range(2, len(s)))), ids), {})
        return out, ids.ndim
    table = reshape(params, (s[0] * s[1],) + tuple(s[2:]))
    return apply(_embedding_prim, (table, _id_offsets(ids, di, size, s[1])), {}), 0


def _embedding_grad_batch(args, dims):
    (gy, ids, vocab), (dg, di, _) = args, dims
    size = batch_size(args, dims)
    out = apply(_embedding_grad_prim, (bring(gy, dg, size), _id_offsets(ids, di, size, vocab), size * vocab), {})
    return reshape(out, (size, vocab) + tuple(shape_of(out)[1:])), 0


def _class_axis_rule(prim):
    """The rule of a cross-entropy over a class axis: both arrays with the examples first, the axis shifted."""
    def rule(args, dims):
        logits, labels, axis = args
        size = batch_size(args, dims)
        return apply(prim, (bring(logits, dims[0], size), bring(labels, dims[1], size), axis + 1), {}), 0
    return rule


defbatch(_embedding_prim, _embedding_batch)
defbatch(_embedding_grad_prim, _embedding_grad_batch)
defbatch(_softmax_ce_prim, _class_axis_rule(_softmax_ce_prim))
defbatch(_sparse_ce_prim, _class_axis_rule(_sparse_ce_prim))
defbatch(_sigmoid_ce_prim, elementwise_rule(lambda logits, labels: apply(_sigmoid_ce_prim, (logits, labels), {})))
