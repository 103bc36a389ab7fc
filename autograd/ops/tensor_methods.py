"""Operators and methods of Tensor, each delegating to an op (attached to the class at import).

Example:
    >>> t = ag.tensor([[1.0, -2.0]], requires_grad=True)
    >>> (2 - t).relu().sum(axis=1)
    Tensor([5.], requires_grad=True)
"""
from ..batching import Batched
from ..tensor import Tensor
from . import elementwise as E
from . import linalg as L
from . import reductions as R
from . import shape as S


def _shape_method(op):
    """``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` both work, as in numpy."""
    def method(self, *shape):
        return op(self, shape[0] if len(shape) == 1 else shape)
    method.__name__ = op.__name__
    method.__doc__ = op.__doc__
    return method


def _transpose(self, *axes):
    """``t.transpose()``, ``t.transpose(1, 0)`` or ``t.transpose((1, 0))``, as in numpy."""
    if not axes:
        return S.transpose(self)
    if len(axes) == 1 and not isinstance(axes[0], int):
        return S.transpose(self, axes[0])
    return S.transpose(self, axes)


def _concatenate(self, others, axis=0):
    """``t.concatenate([u, v], axis)``: ``ag.concatenate([t, u, v], axis)``."""
    return S.concatenate([self, *others], axis=axis)


def _stack(self, others, axis=0):
    """``t.stack([u, v], axis)``: ``ag.stack([t, u, v], axis)``."""
    return S.stack([self, *others], axis=axis)


def _einsum(self, subscripts, *others, **kwargs):
    """``t.einsum('ij,jk->ik', u)``: ``ag.einsum('ij,jk->ik', t, u)`` (this tensor is the first operand)."""
    return L.einsum(subscripts, self, *others, **kwargs)


def _where(self, condition, other):
    """``t.where(condition, other)``: self where condition holds, else other."""
    return E.where(condition, self, other)


_ops = {
    # arithmetic operators (reflected forms swap the operands inside the op, no extra call)
    "__add__": E.add, "__radd__": E.add.reflected,
    "__sub__": E.subtract, "__rsub__": E.subtract.reflected,
    "__mul__": E.multiply, "__rmul__": E.multiply.reflected,
    "__truediv__": E.divide, "__rtruediv__": E.divide.reflected,
    "__floordiv__": E.floor_divide, "__rfloordiv__": E.floor_divide.reflected,
    "__mod__": E.mod, "__rmod__": E.mod.reflected,
    "__pow__": E.power, "__rpow__": E.power.reflected,
    "__matmul__": L.matmul, "__rmatmul__": L.matmul.reflected,
    "__neg__": E.negative, "__pos__": E.positive, "__abs__": E.abs,
    # comparisons (no gradient)
    "__eq__": E.equal, "__ne__": E.not_equal, "__lt__": E.less, "__le__": E.less_equal,
    "__gt__": E.greater, "__ge__": E.greater_equal,
    "__getitem__": S.getitem,
    # elementwise
    "exp": E.exp, "log": E.log, "log1p": E.log1p, "expm1": E.expm1, "log2": E.log2, "log10": E.log10,
    "sqrt": E.sqrt, "square": E.square, "reciprocal": E.reciprocal, "abs": E.abs, "sign": E.sign,
    "sin": E.sin, "cos": E.cos, "tan": E.tan, "tanh": E.tanh, "sinh": E.sinh, "cosh": E.cosh,
    "arctan": E.arctan, "erf": E.erf,
    "sigmoid": E.sigmoid, "relu": E.relu, "softplus": E.softplus, "elu": E.elu, "selu": E.selu,
    "leaky_relu": E.leaky_relu, "gelu": E.gelu, "swish": E.swish,
    "clip": E.clip, "maximum": E.maximum, "minimum": E.minimum, "power": E.power, "pow": E.power,
    "where": _where, "floor": E.floor, "ceil": E.ceil, "round": E.round,
    "isfinite": E.isfinite, "isnan": E.isnan, "conj": E.conj, "conjugate": E.conj,
    # reductions
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min, "prod": R.prod,
    "argmax": R.argmax, "argmin": R.argmin, "cumsum": R.cumsum, "logsumexp": R.logsumexp,
    "softmax": R.softmax, "log_softmax": R.log_softmax, "norm": R.norm, "all": R.all, "any": R.any,
    # shape
    "transpose": _transpose, "reshape": _shape_method(S.reshape), "broadcast_to": _shape_method(S.broadcast_to),
    "swapaxes": S.swapaxes, "moveaxis": S.moveaxis, "expand_dims": S.expand_dims, "squeeze": S.squeeze,
    "flatten": S.flatten, "ravel": S.flatten, "repeat": S.repeat, "tile": S.tile, "flip": S.flip,
    "take": S.take, "split": S.split, "pad": S.pad, "astype": S.astype, "sum_to": S.sum_to,
    "concatenate": _concatenate, "stack": _stack, "one_hot": S.one_hot, "getitem": S.getitem,
    # products
    "dot": L.dot, "matmul": L.matmul, "tensordot": L.tensordot, "outer": L.outer, "inner": L.inner,
    "einsum": _einsum,
}

for _name, _fn in _ops.items():
    setattr(Tensor, _name, _fn)
    setattr(Batched, _name, _fn)   # a batched value inside ag.vmap has the same methods and operators

# numpy's attribute spellings of the complex parts: ``t.real``, ``t.imag`` (differentiable)
for _cls in (Tensor, Batched):
    _cls.real = property(E.real, doc="The real part (differentiable), as ``ndarray.real``.")
    _cls.imag = property(E.imag, doc="The imaginary part (differentiable), as ``ndarray.imag``.")
