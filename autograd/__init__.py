"""autograd: reverse-mode automatic differentiation over numpy arrays.

Example:
    >>> import autograd as ag
    >>> x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (ag.exp(x) * x).sum()
    >>> y.backward()
    >>> x.grad                     # (1 + x) e**x
    Tensor([ 5.43656366, 22.1671683 , 80.34214769])

Note: the import name ``autograd`` is also HIPS autograd's; the two cannot share one environment.
"""
import numpy as _np

from .tensor import Tensor, tensor, as_tensor
from .modes import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, detect_anomaly
from .primitive import (Primitive, primitive, defvjp, defvjp_argnum, defjvp, defjvp_argnums, def_linear, defbatch,
                        REGISTRY)
from .engine import backward, gradients, unbroadcast
from .tape import GradientTape
from .ops import *  # noqa: F401,F403
from .ops import abs, all, any, max, min, round, sum  # noqa: F401
from .transforms import grad, value_and_grad, vjp, jacobian, jacrev, hessian, hvp, elementwise_grad
from .forward_mode import jvp, jacfwd, linearize
from .batching import vmap
from .custom import custom_vjp, custom_jvp, checkpoint, stop_gradient
from . import fft, linalg, special  # noqa: F401  (np.fft, np.linalg, scipy.special with derivatives)
from . import batching  # noqa: F401  (helpers for batching rules: ag.batching.elementwise_rule, ...)
from . import trace  # noqa: F401  (ag.trace.trace / trace_batched: a computation as a graph of primitives)
from .gradcheck import gradcheck, GradcheckError
from .inplace import assign, assign_add, assign_sub
from . import numpy_dispatch  # noqa: F401
from . import malloc_tuning as _malloc_tuning

_malloc_tuning.tune()

__version__ = "0.1.0"


def zeros(shape, dtype=float, requires_grad=False):
    """A tensor of zeros: ``ag.zeros((2, 3), dtype="float32")``.

    Example:
        >>> ag.zeros((2, 3), dtype='float32')
        Tensor([[0., 0., 0.],
                [0., 0., 0.]], dtype=float32)
    """
    return Tensor(_np.zeros(shape, dtype), requires_grad=requires_grad)


def ones(shape, dtype=float, requires_grad=False):
    """A tensor of ones.

    Example:
        >>> ag.ones(2, requires_grad=True)
        Tensor([1., 1.], requires_grad=True)
    """
    return Tensor(_np.ones(shape, dtype), requires_grad=requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    """Zeros with the shape (and dtype) of ``x``.

    Example:
        >>> ag.zeros_like(ag.tensor([[1, 2]]))
        Tensor([[0, 0]])
    """
    d = x.data if isinstance(x, Tensor) else _np.asarray(x)
    return Tensor(_np.zeros(d.shape, dtype or d.dtype), requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    """Ones with the shape (and dtype) of ``x``.

    Example:
        >>> ag.ones_like(ag.tensor([1.0, 2.0]), dtype='float32')
        Tensor([1., 1.], dtype=float32)
    """
    d = x.data if isinstance(x, Tensor) else _np.asarray(x)
    return Tensor(_np.ones(d.shape, dtype or d.dtype), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    """A tensor filled with ``fill_value``.

    Example:
        >>> ag.full((2,), 7.5)
        Tensor([7.5, 7.5])
    """
    return Tensor(_np.full(shape, fill_value, dtype), requires_grad=requires_grad)


def eye(n, m=None, dtype=float, requires_grad=False):
    """The identity matrix (n x m).

    Example:
        >>> ag.eye(2)
        Tensor([[1., 0.],
                [0., 1.]])
    """
    return Tensor(_np.eye(n, m, dtype=dtype), requires_grad=requires_grad)


def arange(*args, dtype=None, requires_grad=False):
    """Evenly spaced values, as ``np.arange``: ``ag.arange(5)``, ``ag.arange(0.0, 1.0, 0.25)``.

    Example:
        >>> ag.arange(0.0, 1.0, 0.25)
        Tensor([0.  , 0.25, 0.5 , 0.75])
    """
    return Tensor(_np.arange(*args, dtype=dtype), requires_grad=requires_grad)
