"""Rounding to a narrower floating-point format, keeping the array's own dtype: ``round_to_precision(x,
"bfloat16")`` holds the nearest bfloat16 values in float32. It simulates low-precision arithmetic where
numpy has none (bfloat16: ml_dtypes stores it but computes matmul in float32), and is what kerasfront's
mixed_bfloat16 policy computes with. The gradient is that of a cast: the cotangent rounded the same way
(what flows back through a cast to a bfloat16 computation is bfloat16).

Example:
    >>> ag.round_to_precision(np.array([1.0 + 2 ** -9, 3.14159], np.float32), "bfloat16")
    Tensor([1.    , 3.140625], dtype=float32)
"""
import numpy as np

from ..batching import elementwise_rule
from ..primitive import Primitive, apply, defbatch, defjvp, defvjp

__all__ = ["round_to_precision"]


def _narrow_dtype(name):
    """The numpy dtype for ``name`` ("float16", "bfloat16", ...); bfloat16 needs ml_dtypes (an optional extra)."""
    if name in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
        try:
            import ml_dtypes
        except ImportError:
            raise ImportError(f"round_to_precision(dtype={name!r}) needs the ml_dtypes package: "
                              f"pip install \"kerasfront[bfloat16]\"") from None
        return np.dtype(getattr(ml_dtypes, name))
    dtype = np.dtype(name)
    if dtype.kind != "f":
        raise ValueError(f"round_to_precision: dtype must be a floating-point format, received {name!r}")
    return dtype


def _round_np(x, dtype):
    if x.dtype.kind != "f":
        raise TypeError(f"round_to_precision: x must be floating-point, received dtype {x.dtype}")
    return x.astype(_narrow_dtype(dtype)).astype(x.dtype)


_round_prim = Primitive(_round_np, "round_to_precision")
defvjp(_round_prim, lambda g, ans, x, dtype: round_to_precision(g, dtype))
defjvp(_round_prim, lambda t, ans, x, dtype: round_to_precision(t, dtype))
defbatch(_round_prim, lambda args, dims, dtype: (round_to_precision(args[0], dtype), dims[0]))


def round_to_precision(x, dtype):
    """``x`` rounded to the nearest values of the floating format ``dtype`` ("bfloat16", "float16", ...), in
    ``x``'s own dtype; the gradient is rounded the same way.

    Example:
        >>> ag.round_to_precision(np.array([0.1]), "float16")
        Tensor([0.09997559])
    """
    if not isinstance(dtype, str):
        dtype = np.dtype(dtype).name
    _narrow_dtype(dtype)
    return apply(_round_prim, (x,), {"dtype": dtype})
