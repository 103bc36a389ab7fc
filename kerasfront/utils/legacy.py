"""``kerasfront.utils.legacy``: tf.keras's pre-2.13 ``serialize_keras_object`` / ``deserialize_keras_object``.

Example:
    >>> from kerasfront.utils import legacy
    >>> legacy.serialize_keras_object(kerasfront.regularizers.L1(0.1))["config"]["l1"]
    0.1
"""
from ..saving.serialization_lib import legacy_deserialize_keras_object as deserialize_keras_object  # noqa: F401
from ..saving.serialization_lib import legacy_serialize_keras_object as serialize_keras_object  # noqa: F401

__all__ = ["serialize_keras_object", "deserialize_keras_object"]
