"""NumPy's own functions on Tensors: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``np.concatenate([t, u])``, ...

``Tensor.__array_ufunc__`` and ``__array_function__`` land here and route each NumPy function to the
autograd op of the same meaning, so the result is a Tensor and stays differentiable. A NumPy function
with no rule raises a TypeError naming it when a gradient would be lost; when no argument is being
differentiated it runs on the plain arrays.

Example:
    >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> np.sum(np.exp(x))
    Tensor(10.10733793, requires_grad=True)
"""
import numpy as np

from . import fft as _fft, linalg as _linalg, ops as O
from .ops import linalg_functions as _linalg_functions
from .modes import STATE
from .ops._make import raw
from .tensor import Tensor, make_leaf

UFUNCS = {
    np.add: O.add, np.subtract: O.subtract, np.multiply: O.multiply, np.divide: O.divide,
    np.true_divide: O.divide, np.power: O.power, np.negative: O.negative, np.positive: O.positive,
    np.exp: O.exp, np.expm1: O.expm1, np.log: O.log, np.log1p: O.log1p, np.log2: O.log2, np.log10: O.log10,
    np.sqrt: O.sqrt, np.square: O.square, np.reciprocal: O.reciprocal, np.absolute: O.abs, np.fabs: O.abs,
    np.sign: O.sign, np.sin: O.sin, np.cos: O.cos, np.tan: O.tan, np.tanh: O.tanh, np.sinh: O.sinh,
    np.cosh: O.cosh, np.arctan: O.arctan, np.maximum: O.maximum, np.minimum: O.minimum, np.matmul: O.matmul,
    np.equal: O.equal, np.not_equal: O.not_equal, np.less: O.less, np.less_equal: O.less_equal,
    np.greater: O.greater, np.greater_equal: O.greater_equal, np.isfinite: O.isfinite, np.isnan: O.isnan,
    np.isinf: O.isinf, np.logical_and: O.logical_and, np.logical_or: O.logical_or,
    np.logical_not: O.logical_not, np.floor: O.floor, np.ceil: O.ceil,
    np.floor_divide: O.floor_divide, np.remainder: O.mod, np.rint: O.round, np.conjugate: O.conj,
}

REDUCE = {np.add: O.sum, np.multiply: O.prod, np.maximum: O.max, np.minimum: O.min}


FUNCTIONS = {
    np.sum: O.sum, np.mean: O.mean, np.var: O.var, np.std: O.std, np.max: O.max, np.min: O.min,
    np.amax: O.max, np.amin: O.min, np.prod: O.prod, np.cumsum: O.cumsum, np.argmax: O.argmax,
    np.argmin: O.argmin, np.reshape: O.reshape, np.transpose: O.transpose, np.swapaxes: O.swapaxes,
    np.moveaxis: O.moveaxis, np.expand_dims: O.expand_dims, np.squeeze: O.squeeze,
    np.broadcast_to: O.broadcast_to, np.concatenate: O.concatenate, np.stack: O.stack, np.split: O.split,
    np.pad: O.pad, np.repeat: O.repeat, np.tile: O.tile, np.flip: O.flip, np.take: O.take,
    np.where: O.where, np.clip: O.clip, np.dot: O.dot, np.matmul: O.matmul, np.tensordot: O.tensordot,
    np.outer: O.outer, np.inner: O.inner, np.abs: O.abs, np.all: O.all, np.any: O.any,
    np.einsum: O.einsum, np.round: O.round, np.around: O.round, np.ravel: O.flatten,
    np.atleast_1d: lambda x: x if raw(x).ndim >= 1 else O.reshape(x, (1,)),
    np.real: O.real, np.imag: O.imag, np.angle: O.angle, np.conj: O.conj, np.trace: _linalg_functions.trace, np.diagonal: O.diagonal,
}
# np.linalg and np.fft on Tensors: the functions of ag.linalg and ag.fft of the same name
FUNCTIONS.update({getattr(np.linalg, n): getattr(_linalg, n) for n in _linalg.__all__
                  if hasattr(np.linalg, n) and callable(getattr(_linalg, n)) and n not in ("LinAlgError",)
                  and not n.endswith("Result")})
FUNCTIONS.update({getattr(np.fft, n): getattr(_fft, n) for n in _fft.__all__ if hasattr(np.fft, n)})

# Functions whose results carry no gradient by nature (shapes, comparisons, indices, predicates): they
# run on the plain arrays and return what numpy returns.
PASSTHROUGH = {
    np.shape, np.ndim, np.size, np.allclose, np.isclose, np.array_equal, np.array_equiv, np.argsort,
    np.count_nonzero, np.nonzero, np.argwhere, np.flatnonzero, np.result_type, np.may_share_memory,
    np.shares_memory, np.iscomplexobj, np.isrealobj, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.searchsorted, np.array2string, np.array_repr, np.array_str, np.save, np.savez, np.savez_compressed,
    np.testing.assert_allclose, np.testing.assert_array_equal, np.testing.assert_array_almost_equal,
    np.testing.assert_equal,
}


def _unwrap(x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(i) for i in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _needs_grad(x):
    if isinstance(x, Tensor):
        return x.requires_grad
    if isinstance(x, (list, tuple)):
        return any(_needs_grad(i) for i in x)
    if isinstance(x, dict):
        return any(_needs_grad(v) for v in x.values())
    return False


def _rewrap(out):
    if isinstance(out, np.ndarray):
        return make_leaf(out)
    if isinstance(out, tuple):
        return tuple(_rewrap(o) for o in out)
    if isinstance(out, list):
        return [_rewrap(o) for o in out]
    return out


def _no_rule(name, args, kwargs):
    if STATE.grad_enabled and (_needs_grad(args) or _needs_grad(kwargs)):
        raise TypeError(
            f"numpy.{name} has no autograd rule, so calling it on a Tensor that requires grad would silently "
            f"drop the gradient; use the autograd op of the same meaning, wrap it with ag.primitive/ag.defvjp, "
            f"or call it on t.detach().numpy()")
    return None


def _write_in_place(ufunc, method, inputs, kwargs, written):
    """A ufunc call that writes into Tensors (``out=`` or ``ufunc.at``): refused when a gradient is involved,
    otherwise run on the arrays with the written tensors' versions bumped."""
    name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if STATE.grad_enabled and (_needs_grad(inputs) or _needs_grad(written)):
        raise TypeError(f"{name} writing into a tensor in place (out= or .at) cannot be recorded for autograd; "
                        f"assign the result instead (or run it under ag.no_grad())")
    res = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
    for t in written:
        if isinstance(t, Tensor):
            t._version += 1
    return res


def array_ufunc(ufunc, method, inputs, kwargs):
    """What ``Tensor.__array_ufunc__`` does: apply ``ufunc`` to inputs some of which are Tensors.

    Args:
        ufunc: the numpy ufunc (``np.exp``, ``np.add``, ...).
        method: the ufunc method numpy asks for (``'__call__'``, ``'reduce'``, ``'at'``, ...).
        inputs: the positional inputs (Tensors, arrays, numbers).
        kwargs: the keyword arguments; ``out=`` writes in place and is refused when a gradient is involved.

    Returns:
        The result of the matching autograd op (differentiable), else numpy's result as Tensors when no
        gradient would be lost.

    Example:
        >>> from autograd.numpy_dispatch import array_ufunc
        >>> array_ufunc(np.add, "__call__", (ag.tensor([1.0], requires_grad=True), 2.0), {})
        Tensor([3.], requires_grad=True)
        >>> array_ufunc(np.add, "reduce", (ag.tensor([1.0, 2.0]),), {"axis": 0})
        Tensor(3.)
    """
    if kwargs.get("out") is not None:
        outs = kwargs["out"]
        res = _write_in_place(ufunc, method, inputs, kwargs, outs)
        if len(outs) == 1:
            return outs[0] if isinstance(outs[0], Tensor) else res
        return tuple(o if isinstance(o, Tensor) else r for o, r in zip(outs, res))
    if method == "at":
        return _write_in_place(ufunc, method, inputs, kwargs, inputs[:1])
    if method == "__call__" and ufunc in UFUNCS and not kwargs:
        return UFUNCS[ufunc](*inputs)
    if method == "reduce" and ufunc in REDUCE and set(kwargs) <= {"axis", "keepdims"}:
        return REDUCE[ufunc](inputs[0], **kwargs)
    _no_rule(f"{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"), inputs, kwargs)
    return _rewrap(getattr(ufunc, method)(*_unwrap(inputs), **kwargs))


def _copyto(dst, src, **kwargs):
    """``np.copyto`` into a Tensor: an in-place write, refused on tensors that require grad (see __setitem__)."""
    if not isinstance(dst, Tensor):
        return np.copyto(dst, _unwrap(src), **_unwrap(kwargs))
    if kwargs:
        raise TypeError(f"numpy.copyto into a Tensor: options {sorted(kwargs)} are not supported")
    dst[...] = src


def array_function(func, types, args, kwargs):
    """What ``Tensor.__array_function__`` does: run the autograd op standing for numpy function ``func``.

    Args:
        func: the numpy function called (``np.concatenate``, ``np.sum``, ...).
        types: the argument types numpy collected (unused).
        args, kwargs: the call's arguments, as numpy passed them.

    Returns:
        The matching autograd op's result; functions with no rule run on the plain arrays when no gradient
        would be lost (a TypeError naming the function otherwise).

    Example:
        >>> from autograd.numpy_dispatch import array_function
        >>> array_function(np.concatenate, (ag.Tensor,), ([ag.tensor([1.0]), ag.tensor([2.0])],), {})
        Tensor([1., 2.])
    """
    if func is np.copyto:
        return _copyto(*args, **kwargs)
    op = FUNCTIONS.get(func)
    if op is not None:
        try:
            return op(*args, **kwargs)
        except TypeError as e:
            if not _needs_grad(args) and "unexpected keyword" in str(e):
                return _rewrap(func(*_unwrap(args), **_unwrap(kwargs)))
            raise TypeError(f"numpy.{func.__name__} on Tensors: {e}") from None
    if func in PASSTHROUGH:
        return func(*_unwrap(args), **_unwrap(kwargs))
    _no_rule(func.__name__, args, kwargs)
    return _rewrap(func(*_unwrap(args), **_unwrap(kwargs)))
