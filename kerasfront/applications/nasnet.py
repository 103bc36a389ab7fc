"""NASNetMobile / NASNetLarge (Zoph et al., 2018) as ``tf.keras.applications.nasnet``: the NASNet-A normal and
reduction cells found by architecture search, with tf.keras's layer names and weight files. channels_last only
(as tf.keras: it switches the data format for the build, with a warning).

Example:
    >>> NASNetMobile(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 1056)
"""
import warnings

from .. import backend, layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
#: {(default size, include_top): (cache file name, file name at the URL, md5)}
WEIGHTS = {
    (224, True): ("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
    (224, False): ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5", "1ed92395b5b598bdda52abe5c0dbfd63"),
    (331, True): ("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
    (331, False): ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5"),
}
BN = {"momentum": 0.9997, "epsilon": 1e-3}
_AXIS = -1      # NASNet is built channels_last


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """ReLU, separable convolution (strided ones padded by hand), batch norm; twice."""
    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        conv_pad = "valid"
    else:
        conv_pad = "same"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, name=f"separable_conv_1_{block_id}",
                               padding=conv_pad, use_bias=False, kernel_initializer="he_normal")(x)
    x = layers.BatchNormalization(axis=_AXIS, name=f"separable_conv_1_bn_{block_id}", **BN)(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same",
                               use_bias=False, kernel_initializer="he_normal")(x)
    return layers.BatchNormalization(axis=_AXIS, name=f"separable_conv_2_bn_{block_id}", **BN)(x)


def _adjust_block(p, ip, filters, block_id=None):
    """Bring the previous cell's output ``p`` to the size and width of ``ip``: a factorized reduction when the
    sizes differ, a 1x1 projection when only the widths do."""
    if p is None:
        return ip
    p_shape, ip_shape = backend.int_shape(p), backend.int_shape(ip)
    if p_shape[-2] != ip_shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_1_{block_id}",
                           kernel_initializer="he_normal")(p1)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_2_{block_id}",
                           kernel_initializer="he_normal")(p2)
        p = layers.concatenate([p1, p2], axis=_AXIS)
        return layers.BatchNormalization(axis=_AXIS, name=f"adjust_bn_{block_id}", **BN)(p)
    if p_shape[_AXIS] != filters:
        p = layers.Activation("relu")(p)
        p = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=f"adjust_conv_projection_{block_id}",
                          use_bias=False, kernel_initializer="he_normal")(p)
        return layers.BatchNormalization(axis=_AXIS, name=f"adjust_bn_{block_id}", **BN)(p)
    return p


def _squeeze(ip, filters, kind, block_id):
    h = layers.Activation("relu")(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=f"{kind}_conv_1_{block_id}",
                      use_bias=False, kernel_initializer="he_normal")(h)
    return layers.BatchNormalization(axis=_AXIS, name=f"{kind}_bn_1_{block_id}", **BN)(h)


def _normal_a_cell(ip, p, filters, block_id=None):
    """A normal cell: five pairs of operations on the two previous outputs, concatenated. Returns (out, ip)."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "normal", block_id)
    x1 = layers.add([_separable_conv_block(h, filters, kernel_size=(5, 5), block_id=f"normal_left1_{block_id}"),
                     _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([_separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                     _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_left3_{block_id}")(h)
    x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
    x4 = layers.add([layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                             name=f"normal_left4_{block_id}")(p),
                     layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                             name=f"normal_right4_{block_id}")(p)],
                    name=f"normal_add_4_{block_id}")
    x5 = _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}")
    x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=_AXIS, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    """A reduction cell: halves the grid. Returns (out, ip)."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    x1 = layers.add([_separable_conv_block(h, filters, (5, 5), strides=(2, 2),
                                           block_id=f"reduction_left1_{block_id}"),
                     _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                           block_id=f"reduction_right1_{block_id}")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_left2_{block_id}")(h3),
                     _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                           block_id=f"reduction_right2_{block_id}")],
                    name=f"reduction_add_2_{block_id}")
    x3 = layers.add([layers.AveragePooling2D((3, 3), strides=(2, 2), padding="valid",
                                             name=f"reduction_left3_{block_id}")(h3),
                     _separable_conv_block(p, filters, (5, 5), strides=(2, 2),
                                           block_id=f"reduction_right3_{block_id}")],
                    name=f"reduction_add3_{block_id}")
    x4 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"reduction_left4_{block_id}")(x1)
    x4 = layers.add([x2, x4])
    x5 = layers.add([_separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
                     layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_right5_{block_id}")(h3)],
                    name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=_AXIS, name=f"reduction_concat_{block_id}")
    return x, ip


def build_nasnet(who, input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                 skip_reduction=True, filter_multiplier=2, include_top=True, weights="imagenet", input_tensor=None,
                 pooling=None, classes=1000, default_size=None, classifier_activation="softmax"):
    """A NASNet-A network: a stem, two stem reduction cells, then three stages of ``num_blocks`` normal cells
    separated by reduction cells; ``penultimate_filters`` sets the width."""
    _weights.check(weights, include_top, classes, who)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(f"{who}: when specifying the input shape of a NASNet and loading `ImageNet` weights, the "
                         f"input_shape argument must be static (no None entries). Got: `input_shape={input_shape}`.")
    default_size = 331 if default_size is None else default_size
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    if penultimate_filters % (24 * filter_multiplier ** 2) != 0:
        raise ValueError(f"{who}: for NASNet-A models, the `penultimate_filters` must be a multiple of 24 * "
                         f"(`filter_multiplier` ** 2). Current value: {penultimate_filters}")
    ref = None
    if weights == "imagenet":
        if (default_size, True) not in WEIGHTS:
            raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile")
        fname, url_name, md5 = WEIGHTS[(default_size, bool(include_top))]
        # NOTE: tf.keras downloads NASNet-mobile.h5 (say) into the cache as nasnet_mobile.h5
        ref = _weights.WeightsFile(fname, BASE_URL + url_name, md5)
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)
    restore = None
    if backend.image_data_format() != "channels_last":
        warnings.warn('The NASNet family of models is only available for the input data format "channels_last" '
                      '(width, height, channels). However your settings specify the default data format '
                      '"channels_first" (channels, width, height). The model being returned right now will expect '
                      'inputs to follow the "channels_last" data format.', stacklevel=3)
        restore = backend.image_data_format()
        backend.set_image_data_format("channels_last")
    filters = penultimate_filters // 24

    def construct():
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False,
                          name="stem_conv1", kernel_initializer="he_normal")(img_input)
        x = layers.BatchNormalization(axis=_AXIS, name="stem_bn1", **BN)(x)
        p = None
        x, p = _reduction_a_cell(x, p, filters // filter_multiplier ** 2, block_id="stem_1")
        x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
        for stage in range(3):
            width = filters * filter_multiplier ** stage
            if stage:
                x, p0 = _reduction_a_cell(x, p, width, block_id=f"reduce_{stage * num_blocks}")
                p = p0 if not skip_reduction else p
            for i in range(num_blocks):
                block_id = i if stage == 0 else stage * num_blocks + i + 1
                x, p = _normal_a_cell(x, p, width, block_id=f"{block_id}")
        x = layers.Activation("relu")(x)
        if include_top:
            x = layers.GlobalAveragePooling2D()(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
        else:
            x = _blocks.pooled(x, pooling)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name="NASNet")
    try:
        return _weights.build(construct, path)
    finally:
        if restore:
            backend.set_image_data_format(restore)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                 classes=1000, classifier_activation="softmax"):
    """NASNet-A Mobile (4 @ 1056; 5.3M weights, 224x224 images by default).

    Args:
        input_shape: ``(rows, cols, 3)``, at least 32x32 (224x224 with the top and ImageNet weights).
        include_top: end with global average pooling and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).

    Example:
        >>> base = NASNetMobile(include_top=False, weights="imagenet", input_shape=(224, 224, 3))
    """
    return build_nasnet("NASNetMobile", input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                        skip_reduction=False, filter_multiplier=2, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, pooling=pooling, classes=classes, default_size=224,
                        classifier_activation=classifier_activation)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """NASNet-A Large (6 @ 4032; 88.9M weights, 331x331 images by default); the arguments are NASNetMobile's.

    Example:
        >>> model = NASNetLarge(weights=None, include_top=False, input_shape=(64, 64, 3))
    """
    return build_nasnet("NASNetLarge", input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                        skip_reduction=True, filter_multiplier=2, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, pooling=pooling, classes=classes, default_size=331,
                        classifier_activation=classifier_activation)


def preprocess_input(x, data_format=None):
    """Scale pixels to [-1, 1] ("tf" mode), see ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
