"""EfficientNetV2B0-B3/S/M/L (Tan & Le, 2021) as ``tf.keras.applications.efficientnet_v2``: Fused-MBConv and
MBConv stages, built-in preprocessing, tf.keras's layer names and weight files.

Example:
    >>> EfficientNetV2B0(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 1280)
"""
import math

from .. import backend, initializers, layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils
from .efficientnet import conv_kernel_initializer, dense_kernel_initializer, squeeze_excite

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
#: md5 of tf.keras's files, by the model name's last two characters: (with the classifier, without)
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
# stages: (fused, kernel, repeats, filters in, filters out, expansion, squeeze-excite ratio, stride)
_B = ((True, 3, 1, 32, 16, 1, 0, 1), (True, 3, 2, 16, 32, 4, 0, 2), (True, 3, 2, 32, 48, 4, 0, 2),
      (False, 3, 3, 48, 96, 4, 0.25, 2), (False, 3, 5, 96, 112, 6, 0.25, 1), (False, 3, 8, 112, 192, 6, 0.25, 2))
STAGES = {
    "b": _B,
    "s": ((True, 3, 2, 24, 24, 1, 0, 1), (True, 3, 4, 24, 48, 4, 0, 2), (True, 3, 4, 48, 64, 4, 0, 2),
          (False, 3, 6, 64, 128, 4, 0.25, 2), (False, 3, 9, 128, 160, 6, 0.25, 1),
          (False, 3, 15, 160, 256, 6, 0.25, 2)),
    "m": ((True, 3, 3, 24, 24, 1, 0, 1), (True, 3, 5, 24, 48, 4, 0, 2), (True, 3, 5, 48, 80, 4, 0, 2),
          (False, 3, 7, 80, 160, 4, 0.25, 2), (False, 3, 14, 160, 176, 6, 0.25, 1),
          (False, 3, 18, 176, 304, 6, 0.25, 2), (False, 3, 5, 304, 512, 6, 0.25, 1)),
    "l": ((True, 3, 4, 32, 32, 1, 0, 1), (True, 3, 7, 32, 64, 4, 0, 2), (True, 3, 7, 64, 96, 4, 0, 2),
          (False, 3, 10, 96, 192, 4, 0.25, 2), (False, 3, 19, 192, 224, 6, 0.25, 1),
          (False, 3, 25, 224, 384, 6, 0.25, 2), (False, 3, 7, 384, 640, 6, 0.25, 1)),
}
#: (width, depth, default size) by variant
SCALING = {"b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
           "s": (1.0, 1.0, 384), "m": (1.0, 1.0, 480), "l": (1.0, 1.0, 480)}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters`` scaled by the width and rounded to a multiple of ``depth_divisor`` (no 90% floor, unlike v1)."""
    filters *= width_coefficient
    minimum = min_depth or depth_divisor
    return int(max(minimum, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def _residual(x, inputs, input_filters, output_filters, strides, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            # NOTE: tf.keras passes the survival probability as the dropout *rate*; kept for its weights' sake
            x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=name + "drop")(x)
        x = layers.add([x, inputs], name=name + "add")
    return x


def mbconv_block(inputs, input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                 bn_momentum=0.9, activation="swish", survival_probability=0.8, name=""):
    """MBConv: 1x1 expansion, depthwise convolution ('same' padding), squeeze-and-excite, 1x1 projection."""
    axis = _blocks.bn_axis()
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters=filters, kernel_size=1, strides=1, kernel_initializer=conv_kernel_initializer(),
                          padding="same", use_bias=False, name=name + "expand_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=name + "expand_bn")(x)
        x = layers.Activation(activation, name=name + "expand_activation")(x)
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides, depthwise_initializer=conv_kernel_initializer(),
                               padding="same", use_bias=False, name=name + "dwconv2")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=name + "bn")(x)
    x = layers.Activation(activation, name=name + "activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name, axis)
    x = layers.Conv2D(filters=output_filters, kernel_size=1, strides=1, kernel_initializer=conv_kernel_initializer(),
                      padding="same", use_bias=False, name=name + "project_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=name + "project_bn")(x)
    return _residual(x, inputs, input_filters, output_filters, strides, survival_probability, name)


def fused_mbconv_block(inputs, input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1,
                       se_ratio=0.0, bn_momentum=0.9, activation="swish", survival_probability=0.8, name=""):
    """Fused-MBConv: one full kxk convolution in place of the expansion and the depthwise one."""
    axis = _blocks.bn_axis()
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides,
                          kernel_initializer=conv_kernel_initializer(), padding="same", use_bias=False,
                          name=name + "expand_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=name + "expand_bn")(x)
        x = layers.Activation(activation=activation, name=name + "expand_activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name, axis)
    x = layers.Conv2D(output_filters, kernel_size=1 if expand_ratio != 1 else kernel_size,
                      strides=1 if expand_ratio != 1 else strides, kernel_initializer=conv_kernel_initializer(),
                      padding="same", use_bias=False, name=name + "project_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=name + "project_bn")(x)
    if expand_ratio == 1:
        x = layers.Activation(activation=activation, name=name + "project_activation")(x)
    return _residual(x, inputs, input_filters, output_filters, strides, survival_probability, name)


def build_efficientnet_v2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                          drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish",
                          stages=None, model_name="efficientnetv2", who="EfficientNetV2", include_top=True,
                          weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
                          classifier_activation="softmax", include_preprocessing=True):
    """An EfficientNetV2 of the stage table ``stages``."""
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

    def rf(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    def construct():
        axis = _blocks.bn_axis()
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = img_input
        if include_preprocessing:
            channels = input_shape[axis - 1]
            if model_name.split("-")[-1].startswith("b") and channels == 3:
                x = layers.Rescaling(scale=1.0 / 255)(x)
                x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                         axis=axis)(x)
            else:
                x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
        x = layers.Conv2D(filters=rf(stages[0][3]), kernel_size=3, strides=2,
                          kernel_initializer=conv_kernel_initializer(), padding="same", use_bias=False,
                          name="stem_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="stem_bn")(x)
        x = layers.Activation(activation, name="stem_activation")(x)
        # NOTE: the drop rates divide by the unscaled number of blocks, as tf.keras does
        total = float(sum(stage[2] for stage in stages))
        b = 0
        for i, (fused, kernel, repeats, f_in, f_out, expand, se, stride) in enumerate(stages):
            f_in, f_out = rf(f_in), rf(f_out)
            block = fused_mbconv_block if fused else mbconv_block
            for j in range(int(math.ceil(depth_coefficient * repeats))):
                x = block(x, f_in if j == 0 else f_out, f_out, expand_ratio=expand, kernel_size=kernel,
                          strides=stride if j == 0 else 1, se_ratio=se, bn_momentum=bn_momentum,
                          activation=activation, survival_probability=drop_connect_rate * b / total,
                          name=f"block{i + 1}{chr(j + 97)}_")
                b += 1
        x = layers.Conv2D(filters=rf(1280), kernel_size=1, strides=1, kernel_initializer=conv_kernel_initializer(),
                          padding="same", use_bias=False, name="top_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="top_bn")(x)
        x = layers.Activation(activation=activation, name="top_activation")(x)
        if include_top:
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
            if dropout_rate > 0:
                x = layers.Dropout(dropout_rate, name="top_dropout")(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=dense_kernel_initializer(),
                             bias_initializer=initializers.Constant(0), name="predictions")(x)
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
        input_shape: ``(rows, cols, channels)``, at least 32x32.
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
        include_preprocessing: begin with the rescaling of [0, 255] images (B0-B3: to [0, 1] and normalized with
            the ImageNet mean and std; S/M/L: to [-1, 1]).
"""


def _make(variant):
    width, depth, size = SCALING[variant]
    name = f"EfficientNetV2{variant.upper()}"
    model_name = f"efficientnetv2-{variant}"
    stages = STAGES[variant[0]]

    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", include_preprocessing=True):
        return build_efficientnet_v2(width, depth, size, stages=stages, model_name=model_name, who=name,
                                     include_top=include_top, weights=weights, input_tensor=input_tensor,
                                     input_shape=input_shape, pooling=pooling, classes=classes,
                                     classifier_activation=classifier_activation,
                                     include_preprocessing=include_preprocessing)
    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = (f"{name} (width x{width}, depth x{depth}, {size}x{size} images by default).\n{_DOC_ARGS}"
                           f"\n    Example:\n        >>> base = {name}(include_top=False, weights=\"imagenet\", "
                           f"pooling=\"avg\")\n    ")
    return constructor


EfficientNetV2B0 = _make("b0")
EfficientNetV2B1 = _make("b1")
EfficientNetV2B2 = _make("b2")
EfficientNetV2B3 = _make("b3")
EfficientNetV2S = _make("s")
EfficientNetV2M = _make("m")
EfficientNetV2L = _make("l")


def preprocess_input(x, data_format=None):
    """The identity: EfficientNetV2 models rescale their [0, 255] input themselves.

    Example:
        >>> preprocess_input(np.array([255.0]))
        array([255.])
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
