"""``kerasfront.optimizers.legacy``: the pre-2.11 optimizers tf.keras 2.21 still ships (``decay``, the legacy
state layout in ``.h5`` files, TensorFlow's fused update formulas).

A tf.keras ``.h5`` file whose optimizer config has no ``is_legacy_optimizer`` (every file from before 2.11, and
every file saved with a ``legacy`` optimizer) loads with these, and its saved state resumes.

Example:
    >>> opt = kerasfront.optimizers.legacy.Adam(learning_rate=0.01, decay=1e-3)
    >>> kerasfront.optimizers.serialize(opt)["config"]["decay"]
    0.001
"""
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .ftrl import Ftrl
from .gradient_descent import SGD
from .nadam import Nadam
from .optimizer_v2 import OptimizerV2
from .rmsprop import RMSprop

Optimizer = OptimizerV2

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl"]
