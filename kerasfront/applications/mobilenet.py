"""MobileNet (Howard et al., 2017) as ``tf.keras.applications.mobilenet``: depthwise-separable convolutions with a
width multiplier ``alpha``, tf.keras's layer names (``conv_dw_1`` ...) and weight files (one per alpha and size).

Example:
    >>> MobileNet(weights=None, alpha=0.25, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 256)
"""
import warnings

from .. import backend
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
#: (pointwise filters, stride) of the 13 depthwise-separable blocks
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
          (512, 1), (1024, 2), (1024, 1))
IMAGENET_ALPHAS = (0.25, 0.50, 0.75, 1.0)
IMAGENET_SIZES = (128, 160, 192, 224)


def weights_file(alpha, rows, include_top):
    """tf.keras's file for ``alpha`` and image size ``rows``: ``mobilenet_<alpha>_<rows>_tf[_no_top].h5`` (no hash
    is checked)."""
    alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}.get(alpha, "2_5")
    fname = f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    return _weights.WeightsFile(fname, BASE_URL + fname, None)


def _conv_block(inputs, filters, alpha, L, kernel=(3, 3), strides=(1, 1)):
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    x = L.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides, name="conv1")(inputs)
    x = L.BatchNormalization(axis=axis, name="conv1_bn")(x)
    return L.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_filters, alpha, depth_multiplier, L, strides=(1, 1), block_id=1):
    """3x3 depthwise convolution (padded by hand when strided, as tf.keras), batch norm, ReLU6, then 1x1
    pointwise convolution, batch norm, ReLU6."""
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    if strides == (1, 1):
        x = inputs
    else:
        x = L.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(inputs)
    x = L.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid", depth_multiplier=depth_multiplier,
                          strides=strides, use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = L.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = L.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = L.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
                 name=f"conv_pw_{block_id}")(x)
    x = L.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return L.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights="imagenet",
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", **kwargs):
    """MobileNet v1 (4.3M weights at ``alpha=1``).

    Args:
        input_shape: ``(rows, cols, channels)``, at least 32x32 (default 224x224 with the top; ImageNet weights
            exist for square 128, 160, 192 and 224 images, others get the 224 ones with a warning).
        alpha: the width multiplier (ImageNet weights for 0.25, 0.5, 0.75 and 1.0).
        depth_multiplier: the depthwise convolutions' channel multiplier (1 with ImageNet weights).
        dropout: the dropout rate before the classifier.
        include_top: end with the 1x1-convolution classifier of tf.keras.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
        **kwargs: tf.keras's ``layers`` (a module of layer classes) only.

    Example:
        >>> base = MobileNet(alpha=0.5, include_top=False, weights="imagenet", input_shape=(128, 128, 3))
    """
    who = "MobileNet"
    L = _blocks.unknown_kwargs(kwargs, who)
    _weights.check(weights, include_top, classes, who)
    first = backend.image_data_format() == "channels_first"
    default_size = 224
    if input_shape is not None:
        rows, cols = (input_shape[1], input_shape[2]) if first else (input_shape[0], input_shape[1])
        if rows == cols and rows in IMAGENET_SIZES:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    rows, cols = (input_shape[1], input_shape[2]) if first else (input_shape[0], input_shape[1])
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(f"{who}: if imagenet weights are being loaded, depth multiplier must be 1.  Received "
                             f"depth_multiplier={depth_multiplier}")
        if alpha not in IMAGENET_ALPHAS:
            raise ValueError(f"{who}: if imagenet weights are being loaded, alpha can be one of `0.25`, `0.50`, "
                             f"`0.75` or `1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [128, 160, 192, 224]. "
                          "Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)
    ref = weights_file(alpha, rows, include_top) if weights == "imagenet" else None
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)

    def construct():
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = _conv_block(img_input, 32, alpha, L, strides=(2, 2))
        for block_id, (filters, stride) in enumerate(BLOCKS, start=1):
            x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, L, strides=(stride, stride),
                                      block_id=block_id)
        if include_top:
            x = L.GlobalAveragePooling2D(keepdims=True)(x)
            x = L.Dropout(dropout, name="dropout")(x)
            x = L.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
            x = L.Reshape((classes,), name="reshape_2")(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = L.Activation(activation=classifier_activation, name="predictions")(x)
        else:
            x = _blocks.pooled(x, pooling)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name=f"mobilenet_{alpha:0.2f}_{rows}")
    return _weights.build(construct, path)


def preprocess_input(x, data_format=None):
    """Scale pixels to [-1, 1] ("tf" mode), see ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
