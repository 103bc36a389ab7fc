"""VGG19 as ``tf.keras.applications.vgg19``: VGG16 with four convolutions in each of the last three blocks.

Example:
    >>> VGG19(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    20024384
"""
from .vgg16 import build_vgg, decode_predictions, preprocess_input  # noqa: F401


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax"):
    """VGG19: 16 convolutions in 5 blocks and 3 dense layers; the arguments are VGG16's.

    Example:
        >>> model = VGG19(weights=None, classes=10, input_shape=(64, 64, 3))
    """
    return build_vgg("vgg19", (2, 2, 4, 4, 4), "VGG19", include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation)
