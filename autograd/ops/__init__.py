"""All ops, gathered; importing this also gives Tensor its operator and method forms."""
import types as _types

from .elementwise import *  # noqa: F401,F403
from .elementwise import abs, round  # noqa: F401  (names that shadow builtins are exported on purpose)
from .linalg import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .reductions import all, any, max, min, sum  # noqa: F401
from .shape import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .nn3d import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .image import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .precision import *  # noqa: F401,F403
from .fused_dense import *  # noqa: F401,F403
from . import elementwise as _elementwise, linalg as _linalg, reductions as _reductions, shape as _shape
from . import nn as _nn, nn3d as _nn3d, recurrent as _recurrent, attention as _attention
from . import normalization as _normalization, image as _image, random as _random
from .linalg_functions import *  # noqa: F401,F403
from . import linalg_functions as _linalg_functions, linalg_solve as _linalg_solve  # noqa: F401
from . import linalg_decomp as _linalg_decomp  # noqa: F401
from . import ctc as _ctc
from . import precision as _precision
from . import fused_dense as _fused_dense
from . import tensor_methods  # noqa: F401  (attaches operators and methods to Tensor)

_HELPERS = {"raw", "unary_op", "binary_op"}


def _public(mod):
    """A module's ``__all__``, or else the public ops it defines (not what it imported)."""
    names = getattr(mod, "__all__", None)
    if names is not None:
        return list(names)
    return [n for n, v in vars(mod).items()
            if not n.startswith("_") and n not in _HELPERS and not isinstance(v, _types.ModuleType)
            and str(getattr(v, "__module__", mod.__name__)).startswith("autograd.ops")]


__all__ = [n for m in (_elementwise, _linalg, _reductions, _shape, _nn, _nn3d, _recurrent, _attention, _normalization,
                       _image, _random, _linalg_functions, _ctc, _precision, _fused_dense)
           for n in _public(m)]
