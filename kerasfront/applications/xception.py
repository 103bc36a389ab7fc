"""Xception (Chollet, 2017) as ``tf.keras.applications.xception``: depthwise-separable convolutions in an entry,
a middle (8 repeated blocks) and an exit flow, with tf.keras's layer names and weight files.

Example:
    >>> Xception(weights=None, include_top=False, pooling="avg", input_shape=(71, 71, 3)).output_shape
    (None, 2048)
"""
from .. import layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS = {True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
           False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97")}


def _sepconv_bn(x, filters, prefix, index, axis, relu_first=True):
    if relu_first:
        x = layers.Activation("relu", name=f"{prefix}_sepconv{index}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=f"{prefix}_sepconv{index}")(x)
    return layers.BatchNormalization(axis=axis, name=f"{prefix}_sepconv{index}_bn")(x)


def _downsampling_block(x, filters, prefix, axis, first_relu=True):
    """Two separable convolutions and stride-2 max pooling, added to a strided 1x1 projection of the input."""
    residual = layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = layers.BatchNormalization(axis=axis)(residual)
    if first_relu:
        x = layers.Activation("relu", name=f"{prefix}_sepconv1_act")(x)
    x = layers.SeparableConv2D(filters[0], (3, 3), padding="same", use_bias=False, name=f"{prefix}_sepconv1")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{prefix}_sepconv1_bn")(x)
    x = _sepconv_bn(x, filters[1], prefix, 2, axis)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"{prefix}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax"):
    """Xception (22.9M weights, 299x299 images by default).

    Args:
        include_top: end with global average pooling and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 71x71 (default 299x299 with the top).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).

    Example:
        >>> base = Xception(include_top=False, weights="imagenet", input_shape=(150, 150, 3))
    """
    who = "Xception"
    _weights.check(weights, include_top, classes, who)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=71,
                                                    data_format=_blocks.backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    fname, md5 = WEIGHTS[bool(include_top)]
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, _weights.WeightsFile(fname, BASE_URL + fname, md5), who)
    axis = 1 if _blocks.backend.image_data_format() == "channels_first" else -1

    def construct():
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
        x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
        x = layers.Activation("relu", name="block1_conv1_act")(x)
        x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
        x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
        x = layers.Activation("relu", name="block1_conv2_act")(x)
        # NOTE: tf.keras names block 2's second activation "block2_sepconv2_act" and gives it no first one
        x = _downsampling_block(x, (128, 128), "block2", axis, first_relu=False)
        x = _downsampling_block(x, (256, 256), "block3", axis)
        x = _downsampling_block(x, (728, 728), "block4", axis)
        for i in range(5, 13):           # the middle flow
            residual = x
            for k in (1, 2, 3):
                x = _sepconv_bn(x, 728, f"block{i}", k, axis)
            x = layers.add([x, residual])
        x = _downsampling_block(x, (728, 1024), "block13", axis)
        for k, filters in ((1, 1536), (2, 2048)):
            x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False,
                                       name=f"block14_sepconv{k}")(x)
            x = layers.BatchNormalization(axis=axis, name=f"block14_sepconv{k}_bn")(x)
            x = layers.Activation("relu", name=f"block14_sepconv{k}_act")(x)
        if include_top:
            x = _blocks.classifier(x, classes, classifier_activation, weights)
        else:
            x = _blocks.pooled(x, pooling)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name="xception")
    return _weights.build(construct, path)


def preprocess_input(x, data_format=None):
    """Scale pixels to [-1, 1] ("tf" mode), see ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
