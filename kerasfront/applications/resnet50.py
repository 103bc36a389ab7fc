"""``keras.applications.resnet50``: ResNet50 and its preprocessing, as tf.keras exports them under this name too.

Example:
    >>> from kerasfront.applications.resnet50 import ResNet50, preprocess_input
"""
from .resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
