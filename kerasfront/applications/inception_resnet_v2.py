"""InceptionResNetV2 (Szegedy et al., 2016) as ``tf.keras.applications.inception_resnet_v2``: Inception branches
whose output is scaled and added to the block's input, with tf.keras's layer names and weight files.

Example:
    >>> InceptionResNetV2(weights=None, include_top=False, pooling="avg", input_shape=(75, 75, 3)).output_shape
    (None, 1536)
"""
from .. import backend
from ..engine.base_layer import Layer
from ..engine.training import Model
from ..serialization import register_keras_serializable
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
WEIGHTS = {True: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5", "e693bd0210a403b3192acc6073ad2e96"),
           False: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
                   "d19885ff4a710c122648d3b5c3b684e4")}


@register_keras_serializable()
class CustomScaleLayer(Layer):
    """``inputs[0] + inputs[1] * scale``: a residual branch scaled before it is added (as tf.keras's layer).

    Example:
        >>> CustomScaleLayer(0.1)([np.ones((1, 2)), np.ones((1, 2))]).numpy()
        array([[1.1, 1.1]], dtype=float32)
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale})
        return config


def conv2d_bn(x, filters, kernel_size, L, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Convolution, then (without a bias) batch norm without scale, then the activation."""
    x = L.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = L.BatchNormalization(axis=_blocks.bn_axis(), scale=False,
                                 name=None if name is None else name + "_bn")(x)
    if activation is not None:
        x = L.Activation(activation, name=None if name is None else name + "_ac")(x)
    return x


#: the branches of each residual block type: a list of branches, each a list of (filters, kernel size)
_BRANCHES = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


def inception_resnet_block(x, scale, block_type, block_idx, L, activation="relu"):
    """A residual Inception block (``block35``, ``block17`` or ``block8``): the branches are concatenated, projected
    back to the input's width by a 1x1 convolution, scaled by ``scale`` and added to the input."""
    if block_type not in _BRANCHES:
        raise ValueError(f'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", but got: '
                         f"{block_type}")
    branches = []
    for spec in _BRANCHES[block_type]:
        b = x
        for filters, kernel in spec:
            b = conv2d_bn(b, filters, kernel, L)
        branches.append(b)
    name = f"{block_type}_{block_idx}"
    axis = _blocks.bn_axis()
    mixed = L.Concatenate(axis=axis, name=name + "_mixed")(branches)
    up = conv2d_bn(mixed, backend.int_shape(x)[axis], 1, L, activation=None, use_bias=True, name=name + "_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = L.Activation(activation, name=name + "_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                      classes=1000, classifier_activation="softmax", **kwargs):
    """InceptionResNetV2 (55.9M weights, 299x299 images by default).

    Args:
        include_top: end with global average pooling and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 75x75 (default 299x299 with the top).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
        **kwargs: tf.keras's ``layers`` (a module of layer classes) only.

    Example:
        >>> base = InceptionResNetV2(include_top=False, weights="imagenet", input_shape=(150, 150, 3))
    """
    who = "InceptionResNetV2"
    L = _blocks.unknown_kwargs(kwargs, who)
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
        x = conv2d_bn(img_input, 32, 3, L, strides=2, padding="valid")
        x = conv2d_bn(x, 32, 3, L, padding="valid")
        x = conv2d_bn(x, 64, 3, L)
        x = L.MaxPooling2D(3, strides=2)(x)
        x = conv2d_bn(x, 80, 1, L, padding="valid")
        x = conv2d_bn(x, 192, 3, L, padding="valid")
        x = L.MaxPooling2D(3, strides=2)(x)
        # mixed 5b (Inception-A)
        b0 = conv2d_bn(x, 96, 1, L)
        b1 = conv2d_bn(conv2d_bn(x, 48, 1, L), 64, 5, L)
        b2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, L), 96, 3, L), 96, 3, L)
        bp = conv2d_bn(L.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1, L)
        x = L.Concatenate(axis=axis, name="mixed_5b")([b0, b1, b2, bp])
        for i in range(1, 11):
            x = inception_resnet_block(x, 0.17, "block35", i, L)
        # mixed 6a (Reduction-A)
        b0 = conv2d_bn(x, 384, 3, L, strides=2, padding="valid")
        b1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1, L), 256, 3, L), 384, 3, L, strides=2, padding="valid")
        bp = L.MaxPooling2D(3, strides=2, padding="valid")(x)
        x = L.Concatenate(axis=axis, name="mixed_6a")([b0, b1, bp])
        for i in range(1, 21):
            x = inception_resnet_block(x, 0.1, "block17", i, L)
        # mixed 7a (Reduction-B)
        b0 = conv2d_bn(conv2d_bn(x, 256, 1, L), 384, 3, L, strides=2, padding="valid")
        b1 = conv2d_bn(conv2d_bn(x, 256, 1, L), 288, 3, L, strides=2, padding="valid")
        b2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1, L), 288, 3, L), 320, 3, L, strides=2, padding="valid")
        bp = L.MaxPooling2D(3, strides=2, padding="valid")(x)
        x = L.Concatenate(axis=axis, name="mixed_7a")([b0, b1, b2, bp])
        for i in range(1, 10):
            x = inception_resnet_block(x, 0.2, "block8", i, L)
        x = inception_resnet_block(x, 1.0, "block8", 10, L, activation=None)
        x = conv2d_bn(x, 1536, 1, L, name="conv_7b")
        if include_top:
            x = L.GlobalAveragePooling2D(name="avg_pool")(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
        else:
            x = _blocks.pooled(x, pooling)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name="inception_resnet_v2")
    return _weights.build(construct, path)


def preprocess_input(x, data_format=None):
    """Scale pixels to [-1, 1] ("tf" mode), see ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
