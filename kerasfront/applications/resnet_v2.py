"""ResNet50V2/101V2/152V2 (He et al., 2016: identity mappings, pre-activation blocks) as
``tf.keras.applications.resnet_v2``.

Example:
    >>> ResNet50V2(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3)).output_shape
    (None, 2048)
"""
from . import imagenet_utils
from .resnet import build_resnet, stack_v2


def _v2_stacks(depths):
    def stacks(x, L):
        x = stack_v2(x, 64, depths[0], L, name="conv2")
        x = stack_v2(x, 128, depths[1], L, name="conv3")
        x = stack_v2(x, 256, depths[2], L, name="conv4")
        return stack_v2(x, 512, depths[3], L, stride1=1, name="conv5")
    return stacks


def _build(depths, model_name, who, include_top, weights, input_tensor, input_shape, pooling, classes,
           classifier_activation):
    return build_resnet(_v2_stacks(depths), True, True, model_name, who, include_top, weights, input_tensor,
                        input_shape, pooling, classes, classifier_activation=classifier_activation)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
               classifier_activation="softmax"):
    """ResNet50V2: pre-activation bottlenecks in stages of 3, 4, 6 and 3 (25.6M weights); the arguments are
    ResNet50's, with ``classifier_activation`` named.

    Example:
        >>> base = ResNet50V2(include_top=False, weights="imagenet", pooling="avg")
    """
    return _build((3, 4, 6, 3), "resnet50v2", "ResNet50V2", include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """ResNet101V2: stages of 3, 4, 23 and 3 pre-activation bottlenecks.

    Example:
        >>> model = ResNet101V2(weights=None, classes=10, input_shape=(64, 64, 3))
    """
    return _build((3, 4, 23, 3), "resnet101v2", "ResNet101V2", include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """ResNet152V2: stages of 3, 8, 36 and 3 pre-activation bottlenecks.

    Example:
        >>> model = ResNet152V2(weights=None, include_top=False, input_shape=(64, 64, 3))
    """
    return _build((3, 8, 36, 3), "resnet152v2", "ResNet152V2", include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """Scale pixels to [-1, 1] ("tf" mode), see ``imagenet_utils.preprocess_input``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
