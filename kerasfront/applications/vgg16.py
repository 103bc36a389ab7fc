"""VGG16 (Simonyan & Zisserman, 2014) as ``tf.keras.applications.vgg16``: the same layers, names and weight
files. ``vgg19`` builds on the same stack.

Example:
    >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape
    (None, 512)
"""
from .. import layers
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
#: tf.keras's weight files: {(name, include_top): (file name, md5)}
WEIGHTS = {
    ("vgg16", True): ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
    ("vgg16", False): ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
    ("vgg19", True): ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
    ("vgg19", False): ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"),
}


def build_vgg(name, convs_per_block, who, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation):
    """A VGG network: five blocks of 3x3 convolutions (``convs_per_block`` each) with 2x2 max pooling between,
    then either two 4096-unit layers and the classifier, or the pooling choice."""
    _weights.check(weights, include_top, classes, who)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=_blocks.backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    fname, md5 = WEIGHTS[(name, bool(include_top))]
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, _weights.WeightsFile(fname, f"{BASE_URL}{name}/{fname}", md5), who)

    def construct():
        img_input = _blocks.image_input(input_tensor, input_shape)
        x = img_input
        for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), start=1):
            for conv in range(1, convs + 1):
                x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                                  name=f"block{block}_conv{conv}")(x)
            x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
        if include_top:
            x = layers.Flatten(name="flatten")(x)
            x = layers.Dense(4096, activation="relu", name="fc1")(x)
            x = layers.Dense(4096, activation="relu", name="fc2")(x)
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
        else:
            x = _blocks.pooled(x, pooling)
        return Model(_blocks.model_inputs(input_tensor, img_input), x, name=name)
    return _weights.build(construct, path)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax"):
    """VGG16: 13 convolutions in 5 blocks and 3 dense layers (138M weights with the classifier, 14.7M without).

    Args:
        include_top: end with the 3 dense layers (the input must then be of fixed size, 224x224 for ImageNet).
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, 3)``, at least 32x32 (default 224x224, or any size without the top).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"``.
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).

    Example:
        >>> base = VGG16(include_top=False, weights="imagenet", input_shape=(160, 160, 3))
        >>> base.trainable = False
    """
    return build_vgg("vgg16", (2, 2, 3, 3, 3), "VGG16", include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """Caffe-style preprocessing (RGB to BGR, minus the ImageNet channel means), see
    ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
