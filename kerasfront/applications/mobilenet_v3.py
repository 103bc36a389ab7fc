"""MobileNetV3Small / MobileNetV3Large (Howard et al., 2019) as tf.keras's ``applications.MobileNetV3*``: inverted
residual blocks with squeeze-and-excite and hard-swish, optional built-in [-1, 1] rescaling, tf.keras's layer names
and weight files.

Example:
    >>> MobileNetV3Small(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 576)
"""
import warnings

from .. import backend, layers
from ..engine.keras_tensor import KerasTensor
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
#: md5 of tf.keras's files: {"<type>[_minimalistic]_224_<alpha>_float": (with the classifier, without)}
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}
BN = {"epsilon": 1e-3, "momentum": 0.999}
# the blocks: (expansion, output filters, kernel ("k": 3 when minimalistic, else 5), stride, squeeze-excite,
# activation ("act": relu when minimalistic, else hard-swish))
SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"), (88 / 24, 24, 3, 1, False, "relu"),
         (4, 40, "k", 2, True, "act"), (6, 40, "k", 1, True, "act"), (6, 40, "k", 1, True, "act"),
         (3, 48, "k", 1, True, "act"), (3, 48, "k", 1, True, "act"), (6, 96, "k", 2, True, "act"),
         (6, 96, "k", 1, True, "act"), (6, 96, "k", 1, True, "act"))
LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
         (3, 40, "k", 2, True, "relu"), (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
         (6, 80, 3, 2, False, "act"), (2.5, 80, 3, 1, False, "act"), (2.3, 80, 3, 1, False, "act"),
         (2.3, 80, 3, 1, False, "act"), (6, 112, 3, 1, True, "act"), (6, 112, 3, 1, True, "act"),
         (6, 160, "k", 2, True, "act"), (6, 160, "k", 1, True, "act"), (6, 160, "k", 1, True, "act"))


def relu(x):
    return layers.ReLU()(x)


def hard_sigmoid(x):
    """``ReLU6(x + 3) / 6``, written with the symbolic operators as tf.keras does."""
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return layers.Multiply()([x, hard_sigmoid(x)])


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=prefix + "squeeze_excite/AvgPool")(inputs)
    x = layers.Conv2D(_blocks.make_divisible(filters * se_ratio), kernel_size=1, padding="same",
                      name=prefix + "squeeze_excite/Conv")(x)
    x = layers.ReLU(name=prefix + "squeeze_excite/Relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", name=prefix + "squeeze_excite/Conv_1")(x)
    x = hard_sigmoid(x)
    return layers.Multiply(name=prefix + "squeeze_excite/Mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    shortcut = x
    prefix = "expanded_conv/"
    infilters = backend.int_shape(x)[axis]
    if block_id:
        prefix = f"expanded_conv_{block_id}/"
        x = layers.Conv2D(_blocks.make_divisible(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=prefix + "expand")(x)
        x = layers.BatchNormalization(axis=axis, name=prefix + "expand/BatchNorm", **BN)(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=prefix + "depthwise/pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(axis=axis, name=prefix + "depthwise/BatchNorm", **BN)(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _blocks.make_divisible(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = layers.BatchNormalization(axis=axis, name=prefix + "project/BatchNorm", **BN)(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=prefix + "Add")([shortcut, x])
    return x


def build_mobilenet_v3(blocks, last_point_ch, model_type, who, input_shape=None, alpha=1.0, minimalistic=False,
                       include_top=True, weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                       dropout_rate=0.2, classifier_activation="softmax", include_preprocessing=True):
    """A MobileNetV3 with the block table ``blocks`` (``SMALL`` or ``LARGE``)."""
    _weights.check(weights, include_top, classes, who)
    first = backend.image_data_format() == "channels_first"
    if input_tensor is not None and not isinstance(input_tensor, KerasTensor):
        raise ValueError(f"{who}: input_tensor is not a Keras (symbolic) tensor; Received input_tensor="
                         f"{input_tensor!r:.100}")
    if input_shape is not None and input_tensor is not None:
        given = backend.int_shape(input_tensor)
        if (given[1] if first else given[2]) != input_shape[1]:
            raise ValueError(f"{who}: input_shape[1] must equal backend.int_shape(input_tensor)[{1 if first else 2}]."
                             f"  Received input_shape={input_shape}, backend.int_shape(input_tensor)={given}")
    if input_shape is None and input_tensor is not None:
        given = backend.int_shape(input_tensor)
        rows, cols = (given[2], given[3]) if first else (given[1], given[2])
        input_shape = (3, cols, rows) if first else (cols, rows, 3)     # NOTE: tf.keras swaps rows and cols here
    if input_shape is None:
        input_shape = (3, None, None) if first else (None, None, 3)
    rows, cols = (input_shape[1], input_shape[2]) if first else (input_shape[0], input_shape[1])
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"{who}: input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError(f"{who}: if imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                             f"non minimalistic or `1.0` for minimalistic only. Received alpha={alpha}, "
                             f"minimalistic={minimalistic}")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. Weights for input shape "
                          "(224, 224) will be loaded as the default.", stacklevel=3)
    ref = None
    if weights == "imagenet":
        key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        fname = f"weights_mobilenet_v3_{key}{'.h5' if include_top else '_no_top_v2.h5'}"
        ref = _weights.WeightsFile(fname, BASE_URL + fname, WEIGHTS_HASHES[key][0 if include_top else 1])
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)
    kernel, activation, se_ratio = (3, relu, None) if minimalistic else (5, hard_swish, 0.25)

    def construct():
        axis = 1 if first else -1
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = img_input
        if include_preprocessing:
            x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
        x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="Conv")(x)
        x = layers.BatchNormalization(axis=axis, name="Conv/BatchNorm", **BN)(x)
        x = activation(x)
        for block_id, (expansion, filters, k, stride, se, act) in enumerate(blocks):
            x = _inverted_res_block(x, expansion, _blocks.make_divisible(filters * alpha),
                                    kernel if k == "k" else k, stride, se_ratio if se else None,
                                    activation if act == "act" else relu, block_id)
        last_conv_ch = _blocks.make_divisible(backend.int_shape(x)[axis] * 6)
        last_point = _blocks.make_divisible(last_point_ch * alpha) if alpha > 1.0 else last_point_ch
        x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="Conv_1")(x)
        x = layers.BatchNormalization(axis=axis, name="Conv_1/BatchNorm", **BN)(x)
        x = activation(x)
        if include_top:
            x = layers.GlobalAveragePooling2D(keepdims=True)(x)
            x = layers.Conv2D(last_point, kernel_size=1, padding="same", use_bias=True, name="Conv_2")(x)
            x = activation(x)
            if dropout_rate > 0:
                x = layers.Dropout(dropout_rate)(x)
            x = layers.Conv2D(classes, kernel_size=1, padding="same", name="Logits")(x)
            x = layers.Flatten()(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.Activation(activation=classifier_activation, name="Predictions")(x)
        else:
            x = _blocks.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name="MobilenetV3" + model_type)
    return _weights.build(construct, path)


_DOC_ARGS = """
    Args:
        input_shape: ``(rows, cols, channels)``, at least 32x32 (default: any size; the ImageNet weights are for
            224x224).
        alpha: the width multiplier (ImageNet weights for 0.75 and 1.0, or 1.0 when minimalistic).
        minimalistic: 3x3 kernels, ReLU and no squeeze-and-excite.
        include_top: end with the 1x1-convolution classifier of tf.keras.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        classes: the classifier's size (1000 with ImageNet weights).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        dropout_rate: the dropout rate before the classifier.
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
        include_preprocessing: begin with a ``Rescaling`` from [0, 255] to [-1, 1] (so ``preprocess_input`` is
            the identity).
"""


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True):
    """MobileNetV3Small (2.6M weights at ``alpha=1``).
    {args}
    Example:
        >>> base = MobileNetV3Small(include_top=False, weights="imagenet", input_shape=(224, 224, 3))
    """
    return build_mobilenet_v3(SMALL, 1024, "small", "MobileNetV3Small", input_shape, alpha, minimalistic,
                              include_top, weights, input_tensor, classes, pooling, dropout_rate,
                              classifier_activation, include_preprocessing)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True):
    """MobileNetV3Large (5.5M weights at ``alpha=1``).
    {args}
    Example:
        >>> model = MobileNetV3Large(weights=None, classes=10, input_shape=(64, 64, 3))
    """
    return build_mobilenet_v3(LARGE, 1280, "large", "MobileNetV3Large", input_shape, alpha, minimalistic,
                              include_top, weights, input_tensor, classes, pooling, dropout_rate,
                              classifier_activation, include_preprocessing)


for _fn in (MobileNetV3Small, MobileNetV3Large):
    _fn.__doc__ = _fn.__doc__.format(args=_DOC_ARGS)


def preprocess_input(x, data_format=None):
    """The identity: the models rescale their input themselves (``include_preprocessing=True``).

    Example:
        >>> preprocess_input(np.array([255.0]))
        array([255.])
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
