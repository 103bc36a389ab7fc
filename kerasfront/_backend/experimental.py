"""``K.experimental``: tf.keras's switch between TensorFlow's stateless random ops and ``tf.random.Generator``
for its initializers and dropout. kerasfront draws from numpy Generators either way (seeded by
``kerasfront.utils.set_random_seed``); the switch is kept so that programs setting it run unchanged.

Example:
    >>> from kerasfront.backend import experimental
    >>> experimental.is_tf_random_generator_enabled()
    False
"""
__all__ = ["enable_tf_random_generator", "disable_tf_random_generator", "is_tf_random_generator_enabled"]

_ENABLED = [False]


def enable_tf_random_generator():
    """Turn the generator-based random ops on (off by default, as in tf.keras 2.21).

    Example:
        >>> enable_tf_random_generator(); is_tf_random_generator_enabled()
        True
        >>> disable_tf_random_generator()
    """
    _ENABLED[0] = True


def disable_tf_random_generator():
    """Turn the generator-based random ops off (the default; numbers are drawn the same way in kerasfront).

    Example:
        >>> disable_tf_random_generator(); is_tf_random_generator_enabled()
        False
    """
    _ENABLED[0] = False


def is_tf_random_generator_enabled():
    """Whether the generator-based random ops are on.

    Example:
        >>> is_tf_random_generator_enabled()
        False
    """
    return _ENABLED[0]
