"""DenseNet121/169/201 (Huang et al., 2017) as ``tf.keras.applications.densenet``: dense blocks whose layers see
every earlier feature map, with tf.keras's layer names (``conv2_block1_0_bn`` ...) and weight files.

Example:
    >>> DenseNet121(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 1024)
"""
from .. import backend, layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
#: {model name: (blocks per dense block, md5 with the classifier, md5 without)}
CONFIGS = {
    "densenet121": ((6, 12, 24, 16), "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ((6, 12, 32, 32), "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ((6, 12, 48, 32), "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
BN_EPSILON = 1.001e-5


def conv_block(x, growth_rate, name):
    """Batch norm, ReLU, 1x1 convolution (4x growth), batch norm, ReLU, 3x3 convolution (growth); concatenated to
    the input."""
    axis = _blocks.bn_axis()
    y = layers.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_0_bn")(x)
    y = layers.Activation("relu", name=name + "_0_relu")(y)
    y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=name + "_1_conv")(y)
    y = layers.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_1_bn")(y)
    y = layers.Activation("relu", name=name + "_1_relu")(y)
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=name + "_2_conv")(y)
    return layers.Concatenate(axis=axis, name=name + "_concat")([x, y])


def dense_block(x, blocks, name):
    """``blocks`` conv blocks of growth rate 32."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """Batch norm, ReLU, a 1x1 convolution to ``reduction`` of the channels, 2x2 average pooling."""
    axis = _blocks.bn_axis()
    x = layers.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_bn")(x)
    x = layers.Activation("relu", name=name + "_relu")(x)
    x = layers.Conv2D(int(backend.int_shape(x)[axis] * reduction), 1, use_bias=False, name=name + "_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=name + "_pool")(x)


def build_densenet(model_name, who, include_top, weights, input_tensor, input_shape, pooling, classes,
                   classifier_activation):
    """A DenseNet of ``CONFIGS[model_name]``."""
    blocks, md5_top, md5_notop = CONFIGS[model_name]
    _weights.check(weights, include_top, classes, who)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    suffix = "" if include_top else "_notop"
    fname = f"{model_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    ref = _weights.WeightsFile(fname, BASE_URL + fname, md5_top if include_top else md5_notop)
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)

    def construct():
        axis = _blocks.bn_axis()
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
        x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1/conv")(x)
        x = layers.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name="conv1/bn")(x)
        x = layers.Activation("relu", name="conv1/relu")(x)
        x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
        x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
        for stage, count in enumerate(blocks, start=2):
            x = dense_block(x, count, name=f"conv{stage}")
            if stage < 5:
                x = transition_block(x, 0.5, name=f"pool{stage}")
        x = layers.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name="bn")(x)
        x = layers.Activation("relu", name="relu")(x)
        if include_top:
            x = _blocks.classifier(x, classes, classifier_activation, weights)
        else:
            x = _blocks.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name=model_name)
    return _weights.build(construct, path)


_DOC_ARGS = """
    Args:
        include_top: end with global average pooling and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 32x32 (default 224x224 with the top).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
"""


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """DenseNet121: dense blocks of 6, 12, 24 and 16 layers (8.1M weights).
    {args}
    Example:
        >>> base = DenseNet121(include_top=False, weights="imagenet", pooling="avg")
    """
    return build_densenet("densenet121", "DenseNet121", include_top, weights, input_tensor, input_shape, pooling,
                          classes, classifier_activation)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """DenseNet169: dense blocks of 6, 12, 32 and 32 layers (14.3M weights).
    {args}
    Example:
        >>> model = DenseNet169(weights=None, classes=10, input_shape=(64, 64, 3))
    """
    return build_densenet("densenet169", "DenseNet169", include_top, weights, input_tensor, input_shape, pooling,
                          classes, classifier_activation)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """DenseNet201: dense blocks of 6, 12, 48 and 32 layers (20.2M weights).
    {args}
    Example:
        >>> model = DenseNet201(weights=None, include_top=False, input_shape=(64, 64, 3))
    """
    return build_densenet("densenet201", "DenseNet201", include_top, weights, input_tensor, input_shape, pooling,
                          classes, classifier_activation)


for _fn in (DenseNet121, DenseNet169, DenseNet201):
    _fn.__doc__ = _fn.__doc__.format(args=_DOC_ARGS)


def preprocess_input(x, data_format=None):
    """Scale pixels to [0, 1], then normalize each channel with the ImageNet mean and std ("torch" mode), see
    ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
