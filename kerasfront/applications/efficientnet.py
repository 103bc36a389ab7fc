"""EfficientNetB0-B7 (Tan & Le, 2019) as ``tf.keras.applications.efficientnet``: compound-scaled MBConv networks
with built-in preprocessing (``Rescaling`` to [0, 1], then ``Normalization``), tf.keras's layer names and weight
files.

NOTE (a quirk of tf.keras's ImageNet variant, kept): with ``weights="imagenet"`` the model gets one more step after
the ``Normalization``, a multiplication by ``1 / sqrt([0.229, 0.224, 0.225])`` (a ``tf.math.multiply`` layer),
that ``weights=None`` or a weights path does not have; the pretrained weights were made for it.

Example:
    >>> EfficientNetB0(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 1280)
"""
import math

import numpy as np

from .. import backend, initializers, layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/keras-applications/"
#: md5 of tf.keras's files, by the model name's last two letters: (with the classifier, without)
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
#: the seven stages of B0: (kernel, repeats, filters in, filters out, expansion, stride); all with
#: squeeze-and-excite 0.25 and identity skips
STAGES = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
          (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1))
#: (width, depth, default size, dropout) of B0 ... B7
SCALING = {0: (1.0, 1.0, 224, 0.2), 1: (1.0, 1.1, 240, 0.2), 2: (1.1, 1.2, 260, 0.3), 3: (1.2, 1.4, 300, 0.3),
           4: (1.4, 1.8, 380, 0.4), 5: (1.6, 2.2, 456, 0.4), 6: (1.8, 2.6, 528, 0.5), 7: (2.0, 3.1, 600, 0.5)}
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def conv_kernel_initializer():
    return initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")


def dense_kernel_initializer():
    return initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_out", distribution="uniform")


def mbconv_block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16, kernel_size=3,
                 strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """An inverted residual (MBConv) block: 1x1 expansion, depthwise convolution, squeeze-and-excite, 1x1
    projection; with dropout ("drop connect") on the residual path when the input is added back."""
    axis = _blocks.bn_axis()
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer=conv_kernel_initializer(),
                          name=name + "expand_conv")(inputs)
        x = layers.BatchNormalization(axis=axis, name=name + "expand_bn")(x)
        x = layers.Activation(activation, name=name + "expand_activation")(x)
    else:
        x = inputs
    if strides == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=name + "dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="valid" if strides == 2 else "same",
                               use_bias=False, depthwise_initializer=conv_kernel_initializer(),
                               name=name + "dwconv")(x)
    x = layers.BatchNormalization(axis=axis, name=name + "bn")(x)
    x = layers.Activation(activation, name=name + "activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name, axis)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False, kernel_initializer=conv_kernel_initializer(),
                      name=name + "project_conv")(x)
    x = layers.BatchNormalization(axis=axis, name=name + "project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=name + "drop")(x)
        x = layers.add([x, inputs], name=name + "add")
    return x


def squeeze_excite(x, filters, filters_se, activation, name, axis):
    """Global average pooling, reshaped to 1x1, two 1x1 convolutions (``activation`` then sigmoid), multiplied
    back onto ``x`` (EfficientNet and EfficientNetV2 share it)."""
    se = layers.GlobalAveragePooling2D(name=name + "se_squeeze")(x)
    se = layers.Reshape((filters, 1, 1) if axis == 1 else (1, 1, filters), name=name + "se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=conv_kernel_initializer(), name=name + "se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=conv_kernel_initializer(),
                       name=name + "se_expand")(se)
    return layers.multiply([x, se], name=name + "se_excite")


def build_efficientnet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                       depth_divisor=8, activation="swish", model_name="efficientnet", who="EfficientNet",
                       include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                       classes=1000, classifier_activation="softmax"):
    """An EfficientNet: B0's stages scaled in width and depth."""
    _weights.check(weights, include_top, classes, who)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    ref = None
    if weights == "imagenet":
        fname = model_name + (".h5" if include_top else "_notop.h5")
        ref = _weights.WeightsFile(fname, BASE_URL + fname, WEIGHTS_HASHES[model_name[-2:]][0 if include_top else 1])
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)

    def round_filters(filters):
        return int(_blocks.make_divisible(filters * width_coefficient, depth_divisor))

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    def construct():
        axis = _blocks.bn_axis()
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = layers.Rescaling(1.0 / 255.0)(img_input)
        x = layers.Normalization(axis=axis)(x)
        if weights == "imagenet":
            shape = (1, 3, 1, 1) if axis == 1 else (1, 1, 1, 3)
            x = x * np.reshape([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB], shape).astype(backend.floatx())
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
        x = layers.Conv2D(round_filters(32), 3, strides=2, padding="valid", use_bias=False,
                          kernel_initializer=conv_kernel_initializer(), name="stem_conv")(x)
        x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
        x = layers.Activation(activation, name="stem_activation")(x)
        total = float(sum(round_repeats(stage[1]) for stage in STAGES))
        b = 0
        for i, (kernel, repeats, f_in, f_out, expand, stride) in enumerate(STAGES):
            f_in, f_out = round_filters(f_in), round_filters(f_out)
            for j in range(round_repeats(repeats)):
                x = mbconv_block(x, activation, drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_",
                                 filters_in=f_in if j == 0 else f_out, filters_out=f_out, kernel_size=kernel,
                                 strides=stride if j == 0 else 1, expand_ratio=expand, se_ratio=0.25, id_skip=True)
                b += 1
        x = layers.Conv2D(round_filters(1280), 1, padding="same", use_bias=False,
                          kernel_initializer=conv_kernel_initializer(), name="top_conv")(x)
        x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
        x = layers.Activation(activation, name="top_activation")(x)
        if include_top:
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
            if dropout_rate > 0:
                x = layers.Dropout(dropout_rate, name="top_dropout")(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=dense_kernel_initializer(),
                             name="predictions")(x)
        else:
            x = _blocks.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name=model_name)
    return _weights.build(construct, path)


_DOC_ARGS = """
    Args:
        include_top: end with global average pooling, dropout and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 32x32. Images are floats in [0, 255]: the model rescales
            them itself.
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
        **kwargs: passed on to the builder (tf.keras's ``EfficientNet`` arguments, e.g. ``drop_connect_rate``).
"""


def _make(index):
    width, depth, size, dropout = SCALING[index]
    name = f"EfficientNetB{index}"

    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", **kwargs):
        return build_efficientnet(width, depth, size, dropout, model_name=f"efficientnetb{index}", who=name,
                                  include_top=include_top, weights=weights, input_tensor=input_tensor,
                                  input_shape=input_shape, pooling=pooling, classes=classes,
                                  classifier_activation=classifier_activation, **kwargs)
    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = (f"{name} (width x{width}, depth x{depth}, {size}x{size} images by default).\n{_DOC_ARGS}"
                           f"\n    Example:\n        >>> base = {name}(include_top=False, weights=\"imagenet\", "
                           f"pooling=\"avg\")\n    ")
    return constructor


EfficientNetB0 = _make(0)
EfficientNetB1 = _make(1)
EfficientNetB2 = _make(2)
EfficientNetB3 = _make(3)
EfficientNetB4 = _make(4)
EfficientNetB5 = _make(5)
EfficientNetB6 = _make(6)
EfficientNetB7 = _make(7)


def preprocess_input(x, data_format=None):
    """The identity: EfficientNet models rescale their [0, 255] input themselves.

    Example:
        >>> preprocess_input(np.array([255.0]))
        array([255.])
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
