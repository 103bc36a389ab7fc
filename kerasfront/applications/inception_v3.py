"""InceptionV3 (Szegedy et al., 2015) as ``tf.keras.applications.inception_v3``: the same mixed blocks, layer
names (``mixed0`` ... ``mixed10``) and weight files.

Example:
    >>> InceptionV3(weights=None, include_top=False, pooling="avg", input_shape=(75, 75, 3)).output_shape
    (None, 2048)
"""
from .. import layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS = {True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
           False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63")}


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), batch norm without scale, ReLU."""
    conv_name = None if name is None else name + "_conv"
    bn_name = None if name is None else name + "_bn"
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=conv_name)(x)
    x = layers.BatchNormalization(axis=_blocks.bn_axis(), scale=False, name=bn_name)(x)
    return layers.Activation("relu", name=name)(x)


def _avg_branch(x, filters):
    pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pooled, filters, 1, 1)


def _block_35(x, pool_filters, name):
    """1x1; 1x1 then 5x5; 1x1 then two 3x3; pooled 1x1."""
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    bp = _avg_branch(x, pool_filters)
    return layers.concatenate([b1, b5, b3, bp], axis=_blocks.bn_axis(), name=name)


def _block_17(x, mid, name):
    """1x1; factorized 7x7; twice factorized 7x7; pooled 1x1 (``mid`` channels inside the 7x7 branches)."""
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(x, mid, 1, 1)
    b7 = conv2d_bn(b7, mid, 1, 7)
    b7 = conv2d_bn(b7, 192, 7, 1)
    b77 = conv2d_bn(x, mid, 1, 1)
    b77 = conv2d_bn(b77, mid, 7, 1)
    b77 = conv2d_bn(b77, mid, 1, 7)
    b77 = conv2d_bn(b77, mid, 7, 1)
    b77 = conv2d_bn(b77, 192, 1, 7)
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b7, b77, bp], axis=_blocks.bn_axis(), name=name)


def _block_8(x, index):
    """1x1; 1x1 split into 1x3 and 3x1; 3x3 split likewise; pooled 1x1."""
    axis = _blocks.bn_axis()
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = layers.concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], axis=axis,
                            name=f"mixed9_{index}")
    b33 = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    b33 = layers.concatenate([conv2d_bn(b33, 384, 1, 3), conv2d_bn(b33, 384, 3, 1)], axis=axis)
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b3, b33, bp], axis=axis, name=f"mixed{9 + index}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax"):
    """InceptionV3 (23.9M weights, 299x299 images by default).

    Args:
        include_top: end with global average pooling and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 75x75 (default 299x299 with the top).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).

    Example:
        >>> base = InceptionV3(include_top=False, weights="imagenet", input_shape=(150, 150, 3))
    """
    who = "InceptionV3"
    _weights.check(weights, include_top, classes, who)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=75,
                                                    data_format=_blocks.backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    fname, md5 = WEIGHTS[bool(include_top)]
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, _weights.WeightsFile(fname, BASE_URL + fname, md5), who)

    def construct():
        axis = _blocks.bn_axis()
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
        x = conv2d_bn(x, 32, 3, 3, padding="valid")
        x = conv2d_bn(x, 64, 3, 3)
        x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
        x = conv2d_bn(x, 80, 1, 1, padding="valid")
        x = conv2d_bn(x, 192, 3, 3, padding="valid")
        x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
        x = _block_35(x, 32, "mixed0")
        x = _block_35(x, 64, "mixed1")
        x = _block_35(x, 64, "mixed2")
        # mixed3: the grid shrinks to 17x17
        b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
        b33 = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
        b33 = conv2d_bn(b33, 96, 3, 3, strides=(2, 2), padding="valid")
        bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
        x = layers.concatenate([b3, b33, bp], axis=axis, name="mixed3")
        x = _block_17(x, 128, "mixed4")
        x = _block_17(x, 160, "mixed5")
        x = _block_17(x, 160, "mixed6")
        x = _block_17(x, 192, "mixed7")
        # mixed8: the grid shrinks to 8x8
        b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
        b7 = conv2d_bn(x, 192, 1, 1)
        b7 = conv2d_bn(b7, 192, 1, 7)
        b7 = conv2d_bn(b7, 192, 7, 1)
        b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
        bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
        x = layers.concatenate([b3, b7, bp], axis=axis, name="mixed8")
        x = _block_8(x, 0)
        x = _block_8(x, 1)
        if include_top:
            x = _blocks.classifier(x, classes, classifier_activation, weights)
        else:
            x = _blocks.pooled(x, pooling)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name="inception_v3")
    return _weights.build(construct, path)


def preprocess_input(x, data_format=None):
    """Scale pixels to [-1, 1] ("tf" mode), see ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
