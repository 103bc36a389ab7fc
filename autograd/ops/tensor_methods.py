"""Operators and methods of Tensor, each delegating to an op."""
from ..tensor import Tensor
from . import elementwise as E
from . import linalg as L
from . import reductions as R
from . import shape as S


def _reflect(op):
    return lambda self, other: op(other, self)


def _method_shape(op):
    def method(self, *shape):
        return op(self, *shape)
    return method


_ops = {
    "__add__": E.add, "__radd__": _reflect(E.add),
    "__sub__": E.subtract, "__rsub__": _reflect(E.subtract),
    "__mul__": E.multiply, "__rmul__": _reflect(E.multiply),
    "__truediv__": E.divide, "__rtruediv__": _reflect(E.divide),
    "__pow__": E.power, "__rpow__": _reflect(E.power),
    "__matmul__": L.matmul, "__rmatmul__": _reflect(L.matmul),
    "__neg__": E.negative, "__pos__": E.positive, "__abs__": E.abs,
    "__eq__": E.equal, "__ne__": E.not_equal, "__lt__": E.less, "__le__": E.less_equal,
    "__gt__": E.greater, "__ge__": E.greater_equal,
    "__getitem__": S.getitem,
    "exp": E.exp, "log": E.log, "log1p": E.log1p, "expm1": E.expm1, "sqrt": E.sqrt, "square": E.square,
    "abs": E.abs, "sign": E.sign, "sin": E.sin, "cos": E.cos, "tanh": E.tanh, "sigmoid": E.sigmoid,
    "relu": E.relu, "softplus": E.softplus, "clip": E.clip, "maximum": E.maximum, "minimum": E.minimum,
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min, "prod": R.prod,
    "argmax": R.argmax, "argmin": R.argmin, "cumsum": R.cumsum, "logsumexp": R.logsumexp,
    "softmax": R.softmax, "log_softmax": R.log_softmax,
    "transpose": lambda self, *axes: S.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int)
                                                  else (axes or None)),
    "reshape": _method_shape(S.reshape), "swapaxes": S.swapaxes, "expand_dims": S.expand_dims,
    "squeeze": S.squeeze, "flatten": S.flatten, "broadcast_to": S.broadcast_to, "repeat": S.repeat,
    "tile": S.tile, "flip": S.flip, "take": S.take, "astype": S.astype, "dot": L.dot, "matmul": L.matmul,
    "pow": E.power,
}

for _name, _fn in _ops.items():
    setattr(Tensor, _name, _fn)
