"""ResNetRS50-420 (Bello et al., 2021: ResNet-RS) as ``tf.keras.applications.resnet_rs``: ResNet-D stems and
downsampling, squeeze-and-excite bottlenecks, built-in ImageNet normalization, tf.keras's layer names and weight
files (several image sizes for some depths: ``weights="imagenet-i192"``; ``"imagenet"`` is the largest).

Example:
    >>> ResNetRS50(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 2048)
"""
from .. import backend, initializers, layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet_rs/"
#: md5 of tf.keras's files, by file name
WEIGHT_HASHES = {
    "resnet-rs-101-i160.h5": "544b3434d00efc199d66e9058c7f3379",
    "resnet-rs-101-i160_notop.h5": "82d5b90c5ce9d710da639d6216d0f979",
    "resnet-rs-101-i192.h5": "eb285be29ab42cf4835ff20a5e3b5d23",
    "resnet-rs-101-i192_notop.h5": "f9a0f6b85faa9c3db2b6e233c4eebb5b",
    "resnet-rs-152-i192.h5": "8d72a301ed8a6f11a47c4ced4396e338",
    "resnet-rs-152-i192_notop.h5": "5fbf7ac2155cb4d5a6180ee9e3aa8704",
    "resnet-rs-152-i224.h5": "31a46a92ab21b84193d0d71dd8c3d03b",
    "resnet-rs-152-i224_notop.h5": "dc8b2cba2005552eafa3167f00dc2133",
    "resnet-rs-152-i256.h5": "ba6271b99bdeb4e7a9b15c05964ef4ad",
    "resnet-rs-152-i256_notop.h5": "fa79794252dbe47c89130f65349d654a",
    "resnet-rs-200-i256.h5": "a76930b741884e09ce90fa7450747d5f",
    "resnet-rs-200-i256_notop.h5": "bbdb3994718dfc0d1cd45d7eff3f3d9c",
    "resnet-rs-270-i256.h5": "20d575825ba26176b03cb51012a367a8",
    "resnet-rs-270-i256_notop.h5": "2c42ecb22e35f3e23d2f70babce0a2aa",
    "resnet-rs-350-i256.h5": "f4a039dc3c421321b7fc240494574a68",
    "resnet-rs-350-i256_notop.h5": "6e44b55025bbdff8f51692a023143d66",
    "resnet-rs-350-i320.h5": "7ccb858cc738305e8ceb3c0140bee393",
    "resnet-rs-350-i320_notop.h5": "ab0c1f9079d2f85a9facbd2c88aa6079",
    "resnet-rs-420-i320.h5": "ae0eb9bed39e64fc8d7e0db4018dc7e8",
    "resnet-rs-420-i320_notop.h5": "fe6217c32be8305b1889657172b98884",
    "resnet-rs-50-i160.h5": "69d9d925319f00a8bdd4af23c04e4102",
    "resnet-rs-50-i160_notop.h5": "90daa68cd26c95aa6c5d25451e095529",
}
#: image sizes of the ImageNet weights of each depth
DEPTH_TO_WEIGHT_VARIANTS = {50: (160,), 101: (160, 192), 152: (192, 224, 256), 200: (256,), 270: (256,),
                            350: (256, 320), 420: (320,)}
#: bottleneck blocks per stage (the stages have 64, 128, 256 and 512 filters)
BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3), 200: (3, 24, 36, 3), 270: (4, 29, 53, 4),
          350: (4, 36, 72, 4), 420: (4, 44, 87, 4)}
#: (drop connect rate, dropout rate) by depth
RATES = {50: (0.0, 0.25), 101: (0.0, 0.25), 152: (0.0, 0.25), 200: (0.1, 0.25), 270: (0.1, 0.25), 350: (0.1, 0.4),
         420: (0.1, 0.4)}


def conv_kernel_initializer():
    return initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")


def conv2d_fixed_padding(x, filters, kernel_size, strides, name):
    """A convolution whose strided form pads explicitly (``(k - 1) // 2`` before, the rest after), as ResNet-RS."""
    if strides > 1:
        total = kernel_size - 1
        before = total // 2
        x = layers.ZeroPadding2D(padding=((before, total - before), (before, total - before)))(x)
    return layers.Conv2D(filters=filters, kernel_size=kernel_size, strides=strides,
                         padding="same" if strides == 1 else "valid", use_bias=False,
                         kernel_initializer=conv_kernel_initializer(), name=name)(x)


def _bn(x, name, momentum, epsilon):
    return layers.BatchNormalization(axis=_blocks.bn_axis(), momentum=momentum, epsilon=epsilon, name=name)(x)


def stem(x, bn_momentum=0.0, bn_epsilon=1e-5, activation="relu"):
    """Four 3x3 convolutions (32, 32, 64, 64 filters; the first and last strided), each with batch norm and
    ``activation``; named ``stem_<n>_...`` by a session counter, as tf.keras."""
    name = f"stem_{backend.get_uid('stem_')}"
    for k, (filters, strides) in enumerate(((32, 2), (32, 1), (64, 1), (64, 2)), start=1):
        x = conv2d_fixed_padding(x, filters, 3, strides, name=f"{name}_stem_conv_{k}")
        x = _bn(x, f"{name}_stem_batch_norm_{k}", bn_momentum, bn_epsilon)
        x = layers.Activation(activation, name=f"{name}_stem_act_{k}")(x)
    return x


def squeeze_excite(inputs, in_filters, se_ratio=0.25, expand_ratio=1, name=None):
    x = layers.GlobalAveragePooling2D(name=name + "_se_squeeze")(inputs)
    shape = (x.shape[-1], 1, 1) if _blocks.bn_axis() == 1 else (1, 1, x.shape[-1])
    x = layers.Reshape(shape, name=name + "_se_reshape")(x)
    x = layers.Conv2D(filters=max(1, int(in_filters * 4 * se_ratio)), kernel_size=[1, 1], strides=[1, 1],
                      kernel_initializer=conv_kernel_initializer(), padding="same", use_bias=True, activation="relu",
                      name=name + "_se_reduce")(x)
    x = layers.Conv2D(filters=4 * in_filters * expand_ratio, kernel_size=[1, 1], strides=[1, 1],
                      kernel_initializer=conv_kernel_initializer(), padding="same", use_bias=True,
                      activation="sigmoid", name=name + "_se_expand")(x)
    return layers.multiply([inputs, x], name=name + "_se_excite")


def bottleneck_block(inputs, filters, strides, use_projection, bn_momentum=0.0, bn_epsilon=1e-5, activation="relu",
                     se_ratio=0.25, survival_probability=0.8, name=None):
    """1x1, 3x3 (stride), 1x1 (4x filters) convolutions with batch norm, squeeze-and-excite and (rate
    ``survival_probability``, as tf.keras) dropout, added to the input (or its average-pooled 1x1 projection)."""
    shortcut = inputs
    if use_projection:
        if strides == 2:
            shortcut = layers.AveragePooling2D(pool_size=(2, 2), strides=(2, 2), padding="same",
                                               name=name + "_projection_pooling")(inputs)
            shortcut = conv2d_fixed_padding(shortcut, filters * 4, 1, 1, name=name + "_projection_conv")
        else:
            shortcut = conv2d_fixed_padding(inputs, filters * 4, 1, strides, name=name + "_projection_conv")
        shortcut = _bn(shortcut, name + "_projection_batch_norm", bn_momentum, bn_epsilon)
    x = conv2d_fixed_padding(inputs, filters, 1, 1, name=name + "_conv_1")
    x = _bn(x, name + "batch_norm_1", bn_momentum, bn_epsilon)      # NOTE: tf.keras's name has no underscore here
    x = layers.Activation(activation, name=name + "_act_1")(x)
    x = conv2d_fixed_padding(x, filters, 3, strides, name=name + "_conv_2")
    x = _bn(x, name + "_batch_norm_2", bn_momentum, bn_epsilon)
    x = layers.Activation(activation, name=name + "_act_2")(x)
    x = conv2d_fixed_padding(x, filters * 4, 1, 1, name=name + "_conv_3")
    x = _bn(x, name + "_batch_norm_3", bn_momentum, bn_epsilon)
    if 0 < se_ratio < 1:
        x = squeeze_excite(x, filters, se_ratio=se_ratio, name=name + "_se")
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=name + "_drop")(x)
    x = layers.Add()([x, shortcut])
    return layers.Activation(activation, name=name + "_output_act")(x)


def build_resnet_rs(depth, who, input_shape=None, bn_momentum=0.0, bn_epsilon=1e-5, activation="relu",
                    se_ratio=0.25, dropout_rate=0.25, drop_connect_rate=0.2, include_top=True, model_name="resnet-rs",
                    pooling=None, weights="imagenet", input_tensor=None, classes=1000,
                    classifier_activation="softmax", include_preprocessing=True):
    """A ResNet-RS of ``depth`` (50 ... 420)."""
    sizes = DEPTH_TO_WEIGHT_VARIANTS[depth]
    if weights == "imagenet":
        weights = f"imagenet-i{max(sizes)}"
    allowed = tuple(f"imagenet-i{s}" for s in sizes)
    _weights.check(weights, include_top, classes, who, pretrained=allowed,
                   detail=f"For {who} the ImageNet weight variants are {list(allowed)} ('imagenet' is the largest).")
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    ref = None
    if weights in allowed:
        fname = f"{model_name}-{weights.split('-')[-1]}{'' if include_top else '_notop'}.h5"
        ref = _weights.WeightsFile(fname, BASE_URL + fname, WEIGHT_HASHES[fname])
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who, pretrained=allowed)

    def construct():
        axis = _blocks.bn_axis()
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = img_input
        if include_preprocessing:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            if input_shape[axis - 1] == 3:
                x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                         axis=axis)(x)
        x = stem(x, bn_momentum=bn_momentum, bn_epsilon=bn_epsilon, activation=activation)
        groups = BLOCKS[depth]
        for i, repeats in enumerate(groups):
            survival = drop_connect_rate * float(i + 2) / (len(groups) + 1)
            name = f"BlockGroup{i + 2}_"
            filters = 64 * 2 ** i
            x = bottleneck_block(x, filters, 1 if i == 0 else 2, True, bn_momentum, bn_epsilon, activation, se_ratio,
                                 survival, name=name + "_block_0_")
            for k in range(1, repeats):
                x = bottleneck_block(x, filters, 1, False, bn_momentum, bn_epsilon, activation, se_ratio, survival,
                                     name=f"{name}_block_{k}_")
        if include_top:
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
            if dropout_rate > 0:
                x = layers.Dropout(dropout_rate, name="top_dropout")(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
        else:
            x = _blocks.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name=model_name)
    return _weights.build(construct, path)


_DOC_ARGS = """
    Args:
        include_top: end with global average pooling, dropout and the ``classes``-way classifier.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file for the largest image size), one of
            ``"imagenet-i<size>"`` (the sizes in ``DEPTH_TO_WEIGHT_VARIANTS``), or the path of a weights file.
        classes: the classifier's size (1000 with ImageNet weights).
        input_shape: ``(rows, cols, channels)``, at least 32x32 (default 224x224 with the top).
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
        include_preprocessing: begin with the rescaling of [0, 255] images to [0, 1] and their normalization by
            the ImageNet mean and std.
"""


def _make(depth):
    name = f"ResNetRS{depth}"
    drop_connect_rate, dropout_rate = RATES[depth]

    def constructor(include_top=True, weights="imagenet", classes=1000, input_shape=None, input_tensor=None,
                    pooling=None, classifier_activation="softmax", include_preprocessing=True):
        return build_resnet_rs(depth, name, include_top=include_top, drop_connect_rate=drop_connect_rate,
                               dropout_rate=dropout_rate, weights=weights, classes=classes, input_shape=input_shape,
                               input_tensor=input_tensor, pooling=pooling,
                               classifier_activation=classifier_activation, model_name=f"resnet-rs-{depth}",
                               include_preprocessing=include_preprocessing)
    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = (f"{name}: bottleneck stages of {', '.join(map(str, BLOCKS[depth]))} blocks; ImageNet "
                           f"weights for {', '.join(f'{s}x{s}' for s in DEPTH_TO_WEIGHT_VARIANTS[depth])} images."
                           f"\n{_DOC_ARGS}\n    Example:\n        >>> base = {name}(include_top=False, "
                           f"weights=\"imagenet\", pooling=\"avg\")\n    ")
    return constructor


ResNetRS50 = _make(50)
ResNetRS101 = _make(101)
ResNetRS152 = _make(152)
ResNetRS200 = _make(200)
ResNetRS270 = _make(270)
ResNetRS350 = _make(350)
ResNetRS420 = _make(420)


def preprocess_input(x, data_format=None):
    """The identity: ResNet-RS models rescale and normalize their [0, 255] input themselves.

    Example:
        >>> preprocess_input(np.array([255.0]))
        array([255.])
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
