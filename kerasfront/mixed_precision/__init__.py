"""``kerasfront.mixed_precision``: dtype policies and loss scaling, as tf.keras 2's.

    mixed_precision.set_global_policy("mixed_float16")   # layers compute in float16, keep float32 weights
    model = ...                                          # end with Activation("softmax", dtype="float32")
    model.compile(...)                                   # the optimizer is wrapped in a LossScaleOptimizer

numpy has no float16 BLAS: float16 matrix products run numpy's own loops, several times slower than
float32 ones, so on a CPU mixed precision saves memory, not time (see the README).

Example:
    >>> from kerasfront import mixed_precision
    >>> mixed_precision.global_policy()
    <Policy "float32">
"""
from .loss_scale_optimizer import LossScaleOptimizer
from .policy import Policy, global_policy, set_global_policy

__all__ = ["Policy", "global_policy", "set_global_policy", "LossScaleOptimizer"]
