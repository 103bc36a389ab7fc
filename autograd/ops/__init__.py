"""All ops, gathered; importing this also gives Tensor its operator and method forms."""
from .elementwise import *  # noqa: F401,F403
from .elementwise import abs, round  # noqa: F401  (names that shadow builtins are exported on purpose)
from .linalg import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .reductions import all, any, max, min, sum  # noqa: F401
from .shape import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from . import tensor_methods  # noqa: F401  (attaches operators and methods to Tensor)
