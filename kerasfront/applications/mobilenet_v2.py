"""MobileNetV2 (Sandler et al., 2018) as ``tf.keras.applications.mobilenet_v2``: inverted residual blocks with
linear bottlenecks, a width multiplier ``alpha``, tf.keras's layer names (``block_1_expand`` ...) and weight files.

Example:
    >>> MobileNetV2(weights=None, alpha=0.35, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 1280)
"""
import warnings

from .. import backend
from ..engine.keras_tensor import KerasTensor
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
#: (output filters, stride, expansion) of the 17 inverted residual blocks
BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
          (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
          (320, 1, 6))
IMAGENET_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
IMAGENET_SIZES = (96, 128, 160, 192, 224)
BN = {"epsilon": 1e-3, "momentum": 0.999}


def weights_file(alpha, rows, include_top):
    """tf.keras's file: ``mobilenet_v2_weights_tf_dim_ordering_tf_kernels_<alpha>_<rows>[_no_top].h5`` (no hash
    is checked)."""
    fname = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
             f"{'' if include_top else '_no_top'}.h5")
    return _weights.WeightsFile(fname, BASE_URL + fname, None)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id, L):
    """Expand (1x1, except block 0), 3x3 depthwise (stride), project (1x1, linear); added to the input when the
    shapes allow."""
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    in_channels = backend.int_shape(inputs)[axis]
    pointwise_filters = _blocks.make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = L.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False, activation=None,
                     name=prefix + "expand")(x)
        x = L.BatchNormalization(axis=axis, name=prefix + "expand_BN", **BN)(x)
        x = L.ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = L.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=prefix + "pad")(x)
    x = L.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                          padding="same" if stride == 1 else "valid", name=prefix + "depthwise")(x)
    x = L.BatchNormalization(axis=axis, name=prefix + "depthwise_BN", **BN)(x)
    x = L.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = L.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False, activation=None,
                 name=prefix + "project")(x)
    x = L.BatchNormalization(axis=axis, name=prefix + "project_BN", **BN)(x)
    if in_channels == pointwise_filters and stride == 1:
        return L.Add(name=prefix + "add")([inputs, x])
    return x


def _square_size(shape, first):
    rows, cols = (shape[1], shape[2]) if first else (shape[0], shape[1])
    return rows if rows == cols and rows in IMAGENET_SIZES else 224


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", **kwargs):
    """MobileNetV2 (3.5M weights at ``alpha=1``).

    Args:
        input_shape: ``(rows, cols, channels)``, at least 32x32 (default 224x224 with the top; ImageNet weights
            exist for square 96, 128, 160, 192 and 224 images, others get the 224 ones with a warning).
        alpha: the width multiplier (ImageNet weights for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4).
        include_top: end with global average pooling and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
        **kwargs: tf.keras's ``layers`` (a module of layer classes) only.

    Example:
        >>> base = MobileNetV2(include_top=False, weights="imagenet", input_shape=(96, 96, 3))
    """
    who = "MobileNetV2"
    L = _blocks.unknown_kwargs(kwargs, who)
    _weights.check(weights, include_top, classes, who)
    first = backend.image_data_format() == "channels_first"
    if input_tensor is not None and not isinstance(input_tensor, KerasTensor):
        raise ValueError(f"{who}: input_tensor is not a Keras (symbolic) tensor; Received `input_tensor="
                         f"{input_tensor!r:.100}`")
    if input_shape is not None and input_tensor is not None:
        given = backend.int_shape(input_tensor)
        if (given[1] if first else given[2]) != input_shape[1]:
            raise ValueError(f"{who}: input_shape[1] must equal shape(input_tensor)[{1 if first else 2}]; Received "
                             f"`input_tensor.shape={tuple(given)}`, `input_shape={input_shape}`")
    if input_shape is None and input_tensor is not None:
        default_size = _square_size(backend.int_shape(input_tensor)[1:], first)
    elif input_shape is None:
        default_size = 224
    else:
        default_size = _square_size(input_shape, first)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    rows, cols = (input_shape[1], input_shape[2]) if first else (input_shape[0], input_shape[1])
    if weights == "imagenet":
        if alpha not in IMAGENET_ALPHAS:
            raise ValueError(f"{who}: if imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                             f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`")
        if rows != cols or rows not in IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [96, 128, 160, 192, 224]. "
                          "Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)
    ref = weights_file(alpha, rows, include_top) if weights == "imagenet" else None
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)

    def construct():
        axis = 1 if first else -1
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = L.Conv2D(_blocks.make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
                     use_bias=False, name="Conv1")(img_input)
        x = L.BatchNormalization(axis=axis, name="bn_Conv1", **BN)(x)
        x = L.ReLU(6.0, name="Conv1_relu")(x)
        for block_id, (filters, stride, expansion) in enumerate(BLOCKS):
            x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id, L)
        last = _blocks.make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
        x = L.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
        x = L.BatchNormalization(axis=axis, name="Conv_1_bn", **BN)(x)
        x = L.ReLU(6.0, name="out_relu")(x)
        if include_top:
            x = L.GlobalAveragePooling2D()(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
        else:
            x = _blocks.pooled(x, pooling)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name=f"mobilenetv2_{alpha:0.2f}_{rows}")
    return _weights.build(construct, path)


def preprocess_input(x, data_format=None):
    """Scale pixels to [-1, 1] ("tf" mode), see ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
