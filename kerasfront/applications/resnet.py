"""ResNet50/101/152 (He et al., 2015) as ``tf.keras.applications.resnet``, and the residual stacks that
``resnet_v2`` shares: the same layers, names and weight files as tf.keras.

Example:
    >>> model = ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
    >>> model.output_shape
    (None, 2048)
"""
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
#: md5 of tf.keras's weight files: {model name: (with the classifier, without)}
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
BN_EPSILON = 1.001e-5


def weights_file(model_name, include_top):
    """tf.keras's weight file for a ResNet: ``<name>_weights_tf_dim_ordering_tf_kernels[_notop].h5``."""
    suffix = "" if include_top else "_notop"
    fname = f"{model_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return _weights.WeightsFile(fname, BASE_URL + fname, WEIGHTS_HASHES[model_name][0 if include_top else 1])


def build_resnet(stacks, preact, use_bias, model_name, who, include_top=True, weights="imagenet", input_tensor=None,
                 input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", **kwargs):
    """A ResNet: a 7x7 stride-2 stem, 3x3 max pooling, ``stacks(x, L)`` (the residual stages) and the end.

    Args:
        stacks: ``(x, layers_module) -> x``, the residual stages.
        preact: v2 (pre-activation) layout: no batch norm in the stem, one after the last stage.
        use_bias: the stem convolution has a bias.
        model_name: the model's name and the key of its weight file.
        who: the constructor's name, for messages.
    """
    L = _blocks.unknown_kwargs(kwargs, who)
    _weights.check(weights, include_top, classes, who)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=_blocks.backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    ref = weights_file(model_name, include_top) if model_name in WEIGHTS_HASHES else None
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)
    axis = _blocks.bn_axis()

    def construct():
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = L.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
        x = L.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
        if not preact:
            x = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name="conv1_bn")(x)
            x = L.Activation("relu", name="conv1_relu")(x)
        x = L.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
        x = L.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
        x = stacks(x, L)
        if preact:
            x = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name="post_bn")(x)
            x = L.Activation("relu", name="post_relu")(x)
        if include_top:
            x = L.GlobalAveragePooling2D(name="avg_pool")(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
        elif pooling == "avg":
            x = L.GlobalAveragePooling2D(name="avg_pool")(x)
        elif pooling == "max":
            x = L.GlobalMaxPooling2D(name="max_pool")(x)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name=model_name)
    return _weights.build(construct, path)


def bottleneck(x, filters, L, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """ResNet v1's bottleneck: 1x1 (stride), kxk, 1x1 (4x filters) convolutions with batch norm, added to the input
    (or to its 1x1 projection), then ReLU."""
    axis = _blocks.bn_axis()
    if conv_shortcut:
        shortcut = L.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = L.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_1_bn")(x)
    x = L.Activation("relu", name=name + "_1_relu")(x)
    x = L.Conv2D(filters, kernel_size, padding="SAME", name=name + "_2_conv")(x)
    x = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_2_bn")(x)
    x = L.Activation("relu", name=name + "_2_relu")(x)
    x = L.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_3_bn")(x)
    x = L.Add(name=name + "_add")([shortcut, x])
    return L.Activation("relu", name=name + "_out")(x)


def stack_v1(x, filters, blocks, L, stride1=2, name=None):
    """``blocks`` v1 bottlenecks; the first projects its input and strides by ``stride1``."""
    x = bottleneck(x, filters, L, stride=stride1, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = bottleneck(x, filters, L, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def preact_bottleneck(x, filters, L, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """ResNet v2's pre-activation bottleneck: batch norm and ReLU first, the stride on the 3x3 convolution."""
    axis = _blocks.bn_axis()
    preact = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_preact_bn")(x)
    preact = L.Activation("relu", name=name + "_preact_relu")(preact)
    if conv_shortcut:
        shortcut = L.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(preact)
    else:
        shortcut = L.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = L.Conv2D(filters, 1, strides=1, use_bias=False, name=name + "_1_conv")(preact)
    x = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_1_bn")(x)
    x = L.Activation("relu", name=name + "_1_relu")(x)
    x = L.ZeroPadding2D(padding=((1, 1), (1, 1)), name=name + "_2_pad")(x)
    x = L.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=name + "_2_conv")(x)
    x = L.BatchNormalization(axis=axis, epsilon=BN_EPSILON, name=name + "_2_bn")(x)
    x = L.Activation("relu", name=name + "_2_relu")(x)
    x = L.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    return L.Add(name=name + "_out")([shortcut, x])


def stack_v2(x, filters, blocks, L, stride1=2, name=None):
    """``blocks`` v2 bottlenecks: the first projects its input, the last strides by ``stride1``."""
    x = preact_bottleneck(x, filters, L, conv_shortcut=True, name=name + "_block1")
    for i in range(2, blocks):
        x = preact_bottleneck(x, filters, L, name=f"{name}_block{i}")
    return preact_bottleneck(x, filters, L, stride=stride1, name=f"{name}_block{blocks}")


def _v1_stacks(depths):
    def stacks(x, L):
        x = stack_v1(x, 64, depths[0], L, stride1=1, name="conv2")
        x = stack_v1(x, 128, depths[1], L, name="conv3")
        x = stack_v1(x, 256, depths[2], L, name="conv4")
        return stack_v1(x, 512, depths[3], L, name="conv5")
    return stacks


_DOC_ARGS = """
    Args:
        include_top: end with global average pooling and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 32x32 (default 224x224 with the top, else any size).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        **kwargs: ``classifier_activation`` (default ``"softmax"``) and tf.keras's ``layers`` (a module of layer
            classes); nothing else.
"""


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             **kwargs):
    """ResNet50: 16 bottleneck blocks in stages of 3, 4, 6 and 3 (25.6M weights).
    {args}
    Example:
        >>> base = ResNet50(include_top=False, weights="imagenet", pooling="avg")
    """
    return build_resnet(_v1_stacks((3, 4, 6, 3)), False, True, "resnet50", "ResNet50", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              **kwargs):
    """ResNet101: bottleneck stages of 3, 4, 23 and 3 blocks (44.7M weights).
    {args}
    Example:
        >>> model = ResNet101(weights=None, classes=10, input_shape=(64, 64, 3))
    """
    return build_resnet(_v1_stacks((3, 4, 23, 3)), False, True, "resnet101", "ResNet101", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              **kwargs):
    """ResNet152: bottleneck stages of 3, 8, 36 and 3 blocks (60.4M weights).
    {args}
    Example:
        >>> model = ResNet152(weights=None, include_top=False, input_shape=(64, 64, 3))
    """
    return build_resnet(_v1_stacks((3, 8, 36, 3)), False, True, "resnet152", "ResNet152", include_top, weights,
                        input_tensor, input_shape, pooling, classes, **kwargs)


for _fn in (ResNet50, ResNet101, ResNet152):
    _fn.__doc__ = _fn.__doc__.format(args=_DOC_ARGS)


def preprocess_input(x, data_format=None):
    """Caffe-style preprocessing (RGB to BGR, minus the ImageNet channel means), see
    ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
