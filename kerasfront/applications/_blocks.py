"""Pieces every architecture of ``keras.applications`` shares: the image input, the classifier-or-pooling end,
the channel axis, the width rounding of the mobile families.

Example:
    >>> x = image_input(None, (224, 224, 3))
    >>> y = pooled(layers.Conv2D(8, 3)(x), "avg")
    >>> y.shape
    (None, 8)
"""
from .. import backend, layers
from ..engine.keras_tensor import KerasTensor
from ..utils.layer_utils import get_source_inputs
from . import imagenet_utils


def channels_last():
    """Whether images are ``(rows, cols, channels)`` (``backend.image_data_format()``)."""
    return backend.image_data_format() == "channels_last"


def bn_axis():
    """The channel axis of a 4-d image batch: 3 (channels_last) or 1 (channels_first)."""
    return 3 if channels_last() else 1


def image_input(input_tensor, input_shape):
    """The model's image input: a new ``Input(shape=input_shape)``, or ``input_tensor`` when given.

    Raises:
        ValueError: ``input_tensor`` is not a symbolic tensor (``keras.Input`` or a layer's output).
    """
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(f"`input_tensor` should be a symbolic tensor (keras.Input(...) or the output of a layer "
                         f"called on one), received {type(input_tensor).__name__}: {input_tensor!r:.100}")
    return input_tensor


def model_inputs(input_tensor, img_input):
    """What the model takes: the Inputs ``input_tensor`` came from, or the new image input."""
    return get_source_inputs(input_tensor) if input_tensor is not None else img_input


def pooled(x, pooling, avg_name=None, max_name=None):
    """``include_top=False``'s end: global average or max pooling, or the feature map itself (``pooling=None``).

    Example:
        >>> pooled(features, "max", max_name="max_pool")
    """
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def classifier(x, classes, classifier_activation, weights, name="predictions", pool_name="avg_pool", **dense_kwargs):
    """``include_top=True``'s usual end: global average pooling and a ``Dense(classes)`` classifier."""
    x = layers.GlobalAveragePooling2D(name=pool_name)(x)
    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name=name, **dense_kwargs)(x)


def make_divisible(value, divisor=8, min_value=None):
    """``value`` rounded to a multiple of ``divisor`` (at least ``min_value``, and not below 90% of ``value``): the
    channel counts of the width-scaled mobile families.

    Example:
        >>> make_divisible(32 * 0.35), make_divisible(1280 * 1.4)
        (16, 1792)
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def unknown_kwargs(kwargs, who):
    """tf.keras accepts ``layers=`` (a module of layer classes) for backward compatibility and refuses the rest."""
    kwargs = dict(kwargs)
    module = kwargs.pop("layers", None) or layers
    if kwargs:
        raise ValueError(f"{who}: Unknown argument(s): {kwargs}")
    return module
