"""K's neural-network functions: convolutions, pooling, bias, batch normalization, padding and locally
connected products, each a thin layer over autograd's ops (conv2d, max_pool2d, ...) that handles
``data_format`` as tf.keras does (channels_first inputs are transposed to channels_last and back).

Example:
    >>> import kerasfront.backend as K
    >>> K.int_shape(K.conv2d(K.ones((1, 5, 5, 2)), K.ones((3, 3, 2, 4)), padding="same"))
    (1, 5, 5, 4)
"""
import itertools

import numpy as np

import autograd as ag

from .. import backend as K

__all__ = ["conv1d", "conv2d", "conv2d_transpose", "separable_conv2d", "depthwise_conv2d", "conv3d", "pool2d",
           "pool3d", "bias_add", "batch_normalization", "normalize_batch_in_training", "temporal_padding",
           "spatial_2d_padding", "spatial_3d_padding", "local_conv1d", "local_conv2d", "resize_volumes"]


def _data_format(data_format):
    if data_format is None:
        data_format = K.image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Unknown data_format: " + str(data_format))
    return data_format


def _tensor(x):
    return x if isinstance(x, ag.Tensor) else ag.as_tensor(np.asarray(x, dtype=K.floatx()))


def _to_last(x, data_format):
    """channels_first -> channels_last (the layout autograd's window ops take)."""
    x = _tensor(x)
    if data_format == "channels_first":
        return ag.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    return x


def _from_last(x, data_format):
    if data_format == "channels_first":
        return ag.transpose(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))
    return x


def _padding(padding):
    if padding not in ("same", "valid"):
        raise ValueError("Invalid padding: " + str(padding))
    return padding


def _pair(value, n, fn, arg):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"{fn}: `{arg}` must be a tuple of {n} integers, received {value!r}")
    return value


# -- convolutions -----------------------------------------------------------------------------------


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-d convolution; ``padding`` 'valid', 'same' or 'causal' (left padding, for temporal models).

    Example:
        >>> K.int_shape(K.conv1d(K.ones((2, 8, 3)), K.ones((3, 3, 4)), padding="causal"))
        (2, 8, 4)
    """
    data_format = _data_format(data_format)
    if padding not in ("same", "valid", "causal"):
        raise ValueError("Invalid padding: " + str(padding))
    x = _to_last(x, data_format)
    out = ag.conv1d(x, kernel, strides=strides, padding=padding, dilation_rate=dilation_rate)
    return _from_last(out, data_format)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2-d convolution of ``x`` with ``kernel`` (kernel_h, kernel_w, in_channels, filters).

    Example:
        >>> K.int_shape(K.conv2d(K.ones((1, 6, 6, 2)), K.ones((3, 3, 2, 4)), strides=(2, 2)))
        (1, 2, 2, 4)
    """
    data_format = _data_format(data_format)
    out = ag.conv2d(_to_last(x, data_format), kernel, strides=strides, padding=_padding(padding),
                    dilation_rate=dilation_rate)
    return _from_last(out, data_format)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """Transposed 2-d convolution; ``kernel`` (kernel_h, kernel_w, filters, in_channels) and ``output_shape``
    the full 4-d output shape in ``data_format`` (its batch entry may be None).

    Example:
        >>> K.int_shape(K.conv2d_transpose(K.ones((1, 3, 3, 4)), K.ones((3, 3, 2, 4)), (1, 6, 6, 2),
        ...                                strides=(2, 2), padding="same"))
        (1, 6, 6, 2)
    """
    data_format = _data_format(data_format)
    x = _to_last(x, data_format)
    shape = tuple(output_shape)
    if len(shape) != 4:
        raise ValueError(f"conv2d_transpose: `output_shape` must have 4 entries (batch, ...), received {shape!r}")
    if data_format == "channels_first":
        shape = (shape[0], shape[2], shape[3], shape[1])
    shape = (x.shape[0] if shape[0] is None else shape[0],) + tuple(shape[1:])
    out = ag.conv2d_transpose(x, kernel, output_shape=shape, strides=strides, padding=_padding(padding),
                              dilation_rate=dilation_rate)
    return _from_last(out, data_format)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """Depthwise convolution, then a 1x1 convolution with ``pointwise_kernel`` (1, 1, in * multiplier, filters).

    Example:
        >>> K.int_shape(K.separable_conv2d(K.ones((1, 5, 5, 3)), K.ones((3, 3, 3, 2)), K.ones((1, 1, 6, 4))))
        (1, 3, 3, 4)
    """
    data_format = _data_format(data_format)
    strides = _pair(strides, 2, "separable_conv2d", "strides")
    out = ag.separable_conv2d(_to_last(x, data_format), depthwise_kernel, pointwise_kernel, strides=strides,
                              padding=_padding(padding), dilation_rate=dilation_rate)
    return _from_last(out, data_format)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """Depthwise 2-d convolution, kernel (kernel_h, kernel_w, in_channels, depth_multiplier).

    Example:
        >>> K.int_shape(K.depthwise_conv2d(K.ones((1, 5, 5, 3)), K.ones((3, 3, 3, 2))))
        (1, 3, 3, 6)
    """
    data_format = _data_format(data_format)
    out = ag.depthwise_conv2d(_to_last(x, data_format), depthwise_kernel, strides=strides,
                              padding=_padding(padding), dilation_rate=dilation_rate)
    return _from_last(out, data_format)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    """3-d convolution of ``x`` with ``kernel`` (kernel_d, kernel_h, kernel_w, in_channels, filters).

    Example:
        >>> K.int_shape(K.conv3d(K.ones((1, 4, 4, 4, 2)), K.ones((3, 3, 3, 2, 5)), padding="same"))
        (1, 4, 4, 4, 5)
    """
    data_format = _data_format(data_format)
    out = ag.conv3d(_to_last(x, data_format), kernel, strides=strides, padding=_padding(padding),
                    dilation_rate=dilation_rate)
    return _from_last(out, data_format)


# -- pooling ----------------------------------------------------------------------------------------


def _pool(x, pool_size, strides, padding, data_format, pool_mode, rank):
    data_format = _data_format(data_format)
    if len(tuple(pool_size)) != rank:
        raise ValueError(f"`pool_size` must be a tuple of {rank} integers.")
    if len(tuple(strides)) != rank:
        raise ValueError(f"`strides` must be a tuple of {rank} integers.")
    if pool_mode not in ("max", "avg"):
        raise ValueError("Invalid pooling mode: " + str(pool_mode))
    ops = {(2, "max"): ag.max_pool2d, (2, "avg"): ag.avg_pool2d, (3, "max"): ag.max_pool3d,
           (3, "avg"): ag.avg_pool3d}
    out = ops[rank, pool_mode](_to_last(x, data_format), tuple(pool_size), strides=tuple(strides),
                               padding=_padding(padding))
    return _from_last(out, data_format)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2-d max or average pooling (``pool_mode`` 'max' or 'avg'); strides default to 1, not to the pool size.

    Example:
        >>> K.pool2d(K.reshape(K.arange(16, dtype="float32"), (1, 4, 4, 1)), (2, 2), strides=(2, 2))[0, :, :, 0]
        Tensor([[ 5.,  7.],
                [13., 15.]], dtype=float32)
    """
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    """3-d max or average pooling.

    Example:
        >>> K.int_shape(K.pool3d(K.ones((1, 4, 4, 4, 2)), (2, 2, 2), strides=(2, 2, 2), pool_mode="avg"))
        (1, 2, 2, 2, 2)
    """
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


# -- bias and normalization -------------------------------------------------------------------------


def bias_add(x, bias, data_format=None):
    """``x`` plus ``bias``: a 1-d bias along the channel axis, or a bias with the shape of one sample.

    Example:
        >>> K.bias_add(K.constant(np.zeros((1, 2, 3))), K.constant([1.0, 2.0, 3.0]))[0, 0]
        Tensor([1., 2., 3.], dtype=float32)
    """
    data_format = _data_format(data_format)
    x, bias = _tensor(x), _tensor(bias)
    if bias.ndim != 1 and bias.ndim != x.ndim - 1:
        raise ValueError("Unexpected bias dimensions %d, expect to be 1 or %d dimensions" % (bias.ndim, x.ndim - 1))
    if bias.ndim == 1:
        if x.shape[1 if data_format == "channels_first" else -1] != bias.shape[0]:
            raise ValueError(f"bias_add: bias of shape {bias.shape} does not match the channels of x {x.shape} "
                             f"({data_format})")
        if data_format == "channels_first" and x.ndim > 2:
            return ag.add(x, ag.reshape(bias, (1, -1) + (1,) * (x.ndim - 2)))
        return ag.add(x, bias)
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"bias_add: a {bias.ndim}-d bias needs a 3-, 4- or 5-d x, received shape {x.shape}")
    if data_format == "channels_first":
        return ag.add(x, ag.reshape(bias, (1, bias.shape[-1]) + tuple(bias.shape[:-1])))
    return ag.add(x, ag.reshape(bias, (1,) + tuple(bias.shape)))


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` (beta and gamma may be None), computed as
    TensorFlow's ``x * inv + (beta - mean * inv)`` with ``inv = gamma / sqrt(var + epsilon)``.

    Example:
        >>> K.batch_normalization(K.constant([[1.0, 3.0]]), K.constant([1.0, 1.0]), K.constant([4.0, 4.0]),
        ...                       None, None, epsilon=0.0)
        Tensor([[0., 1.]], dtype=float32)
    """
    x = _tensor(x)
    mean, var = _tensor(mean), _tensor(var)
    if x.ndim == 4 and axis in (1, -3, 3, -1):
        # NOTE: tf.keras's fused path flattens broadcastable (1, C, 1, 1) statistics to (C,) along `axis`
        shape = (1, -1, 1, 1) if axis in (1, -3) else (-1,)
        mean, var = (ag.reshape(v, shape) for v in (mean, var))
        beta = None if beta is None else ag.reshape(_tensor(beta), shape)
        gamma = None if gamma is None else ag.reshape(_tensor(gamma), shape)
    return _normalize(x, mean, var, beta, gamma, epsilon)


def _normalize(x, mean, var, beta, gamma, epsilon):
    """tf.nn.batch_normalization's formula, all statistics broadcastable to ``x``."""
    inv = ag.divide(1.0, ag.sqrt(ag.add(var, np.asarray(epsilon, var.dtype))))
    if gamma is not None:
        inv = ag.multiply(inv, _tensor(gamma))
    shift = ag.negative(ag.multiply(mean, inv))
    if beta is not None:
        shift = ag.add(shift, _tensor(beta))
    return ag.add(ag.multiply(x, inv), shift)


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """Normalize ``x`` with the mean and variance over ``reduction_axes``; returns
    ``(normalized, mean, variance)``, the statistics with the reduced axes removed.

    tf.keras's fused path (a 4-d ``x`` reduced over (0, 1, 2) or (0, 2, 3)) returns the unbiased
    (Bessel-corrected) variance, as TensorFlow's fused batch norm does; the other paths the biased one.

    Example:
        >>> y, m, v = K.normalize_batch_in_training(K.constant([[1.0], [3.0]]), None, None, [0], epsilon=0.0)
        >>> y, m, v
        (Tensor([[-1.],
                [ 1.]], dtype=float32), Tensor([2.], dtype=float32), Tensor([1.], dtype=float32))
    """
    x = _tensor(x)
    axes = tuple(int(a) % x.ndim for a in reduction_axes)
    mean = ag.mean(x, axis=axes)
    var = ag.mean(ag.square(ag.subtract(x, ag.mean(x, axis=axes, keepdims=True))), axis=axes)
    kept = tuple(1 if a in axes else x.shape[a] for a in range(x.ndim))
    bm, bv = ag.reshape(mean, kept), ag.reshape(var, kept)
    bg = None if gamma is None else ag.reshape(_tensor(gamma), kept)
    bb = None if beta is None else ag.reshape(_tensor(beta), kept)
    normed = _normalize(x, bm, bv, bb, bg, epsilon)
    if x.ndim == 4 and list(axes) in ([0, 1, 2], [0, 2, 3]):
        count = int(np.prod([x.shape[a] for a in axes]))
        var = ag.multiply(var, np.asarray(count / max(count - 1, 1), var.dtype))
    return normed, mean, var


# -- padding and resizing ---------------------------------------------------------------------------


def _pad_pairs(padding, n, fn):
    try:
        pairs = tuple((int(a), int(b)) for a, b in padding)
    except (TypeError, ValueError):
        pairs = ()
    if len(pairs) != n:
        raise ValueError(f"{fn}: `padding` must be {n} pairs of ints, received {padding!r}")
    return pairs


def temporal_padding(x, padding=(1, 1)):
    """Zeros before and after the time axis of a 3-d ``x``.

    Example:
        >>> K.int_shape(K.temporal_padding(K.ones((2, 3, 4)), (1, 2)))
        (2, 6, 4)
    """
    if len(tuple(padding)) != 2:
        raise ValueError(f"temporal_padding: `padding` must be a pair of ints, received {padding!r}")
    return ag.pad(_tensor(x), ((0, 0), (int(padding[0]), int(padding[1])), (0, 0)))


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zeros around the two spatial axes of a 4-d ``x``.

    Example:
        >>> K.int_shape(K.spatial_2d_padding(K.ones((1, 2, 2, 3))))
        (1, 4, 4, 3)
    """
    data_format = _data_format(data_format)
    pairs = _pad_pairs(padding, 2, "spatial_2d_padding")
    pattern = ((0, 0), (0, 0)) + pairs if data_format == "channels_first" else ((0, 0),) + pairs + ((0, 0),)
    return ag.pad(_tensor(x), pattern)


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zeros around the three spatial axes of a 5-d ``x``.

    Example:
        >>> K.int_shape(K.spatial_3d_padding(K.ones((1, 2, 2, 2, 3))))
        (1, 4, 4, 4, 3)
    """
    data_format = _data_format(data_format)
    pairs = _pad_pairs(padding, 3, "spatial_3d_padding")
    pattern = ((0, 0), (0, 0)) + pairs if data_format == "channels_first" else ((0, 0),) + pairs + ((0, 0),)
    return ag.pad(_tensor(x), pattern)


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """Repeat the three spatial axes of a 5-d ``x`` by whole factors (nearest neighbour).

    Example:
        >>> K.int_shape(K.resize_volumes(K.ones((1, 2, 2, 2, 3)), 2, 3, 1, "channels_last"))
        (1, 4, 6, 2, 3)
    """
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("Invalid data_format: " + str(data_format))
    first = 2 if data_format == "channels_first" else 1
    out = _tensor(x)
    for axis, factor in zip(range(first, first + 3), (depth_factor, height_factor, width_factor)):
        out = ag.repeat(out, int(factor), axis=axis)
    return out


# -- locally connected ------------------------------------------------------------------------------


def _local_conv(inputs, kernel, kernel_size, strides, output_shape, data_format):
    data_format = _data_format(data_format)
    x, kernel = _tensor(inputs), _tensor(kernel)
    output_shape = tuple(int(v) for v in output_shape)
    rank = len(output_shape)
    kernel_size, strides = tuple(kernel_size), tuple(strides)
    if kernel.ndim != 3 or kernel.shape[0] != int(np.prod(output_shape)):
        raise ValueError(f"local_conv: kernel must be (output positions = {int(np.prod(output_shape))}, features, "
                         f"filters), received shape {kernel.shape}")
    cf = data_format == "channels_first"
    spatial = tuple(x.shape[2:]) if cf else tuple(x.shape[1:-1])
    c = x.shape[1] if cf else x.shape[-1]
    # NOTE: each output position reads its window in the order of a slice of the input reshaped flat:
    # (window..., channel) for channels_last, (channel, window...) for channels_first, as tf.keras does
    for n_out, k, st, size in zip(output_shape, kernel_size, strides, spatial):
        if (n_out - 1) * st + k > size:
            raise ValueError(f"local_conv: an output of {output_shape} with kernel_size {kernel_size} and strides "
                             f"{strides} reads past the input's spatial shape {spatial}")
    rows = []
    for pos in itertools.product(*map(range, output_shape)):
        cells = list(itertools.product(*[range(p * s, p * s + k) for p, s, k in zip(pos, strides, kernel_size)]))
        axes = np.array(cells, dtype=np.int64).reshape(-1, rank)
        if cf:
            idx = [np.repeat(np.arange(c), len(cells))] + [np.tile(axes[:, a], c) for a in range(rank)]
            rows.append(np.ravel_multi_index(idx, (c,) + spatial))
        else:
            idx = [np.repeat(axes[:, a], c) for a in range(rank)] + [np.tile(np.arange(c), len(cells))]
            rows.append(np.ravel_multi_index(idx, spatial + (c,)))
    index = np.stack(rows)                                               # (positions, features)
    if index.shape[1] != kernel.shape[1]:
        raise ValueError(f"local_conv: each window holds {index.shape[1]} features, the kernel expects "
                         f"{kernel.shape[1]} (shape {kernel.shape})")
    n = x.shape[0]
    patches = ag.take(ag.reshape(x, (n, -1)), index, axis=1)             # (batch, positions, features)
    out = ag.matmul(ag.transpose(patches, (1, 0, 2)), kernel)            # (positions, batch, filters)
    out = ag.reshape(out, output_shape + (n, kernel.shape[2]))
    perm = (rank, rank + 1) + tuple(range(rank)) if cf else (rank,) + tuple(range(rank)) + (rank + 1,)
    return ag.transpose(out, perm)


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """A 1-d convolution with unshared weights: ``kernel`` (output_length, kernel_size * channels, filters).

    Example:
        >>> K.int_shape(K.local_conv1d(K.ones((2, 5, 3)), K.ones((3, 9, 4)), (3,), (1,)))
        (2, 3, 4)
    """
    kernel = _tensor(kernel)
    return _local_conv(inputs, kernel, kernel_size, strides, (kernel.shape[0],), data_format)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """A 2-d convolution with unshared weights: ``kernel`` (out_h * out_w, kh * kw * channels, filters).

    Example:
        >>> K.int_shape(K.local_conv2d(K.ones((2, 4, 4, 3)), K.ones((9, 12, 5)), (2, 2), (1, 1), (3, 3)))
        (2, 3, 3, 5)
    """
    return _local_conv(inputs, kernel, kernel_size, strides, output_shape, data_format)
