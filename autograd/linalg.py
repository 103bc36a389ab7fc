"""``ag.linalg``: numpy's ``np.linalg`` (and scipy's triangular and Cholesky solvers, ``expm``) with
derivatives in both modes and batching rules, batched over leading axes like numpy.

=================  ===========================================================================
inv, solve         inverse, linear systems (``b`` a vector when 1-d)
triangular_solve   ``scipy.linalg.solve_triangular`` (lower=, trans=, unit_diagonal=)
cholesky           lower factor (``upper=True``: the upper one); cho_solve((c, lower), b)
det, slogdet       determinant (gradient: cofactor matrix, at singular matrices too); (sign, logabsdet)
eigh, eigvalsh     symmetric eigendecomposition; svd, svdvals; qr
pinv, lstsq        pseudo-inverse (fixed-rank derivative); least squares
norm               every order of ``np.linalg.norm``; vector_norm, matrix_norm
matrix_power       integer powers (negative: of the inverse); expm (matrix exponential)
trace, diagonal    over the last two axes (as ``np.linalg``)
matmul, outer, tensordot  the products of ``ag`` (re-exported, as numpy 2 does)
=================  ===========================================================================

What each derivative returns where it does not exist (equal eigenvalues, singular matrices) is in each
function's docstring. Complex matrices are not supported by these ops.

Example:
    >>> import numpy as np, autograd as ag
    >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> ag.grad(lambda a: ag.linalg.slogdet(a).logabsdet)(a)      # inv(a)^T
    Tensor([[ 0.66666667, -0.33333333],
            [-0.33333333,  0.66666667]])
"""
from .ops.linalg import matmul, outer, tensordot
from .ops.linalg_decomp import EighResult, QRResult, SVDResult, eigh, eigvalsh, qr, svd, svdvals
from .ops.linalg_functions import expm, matrix_norm, matrix_power, norm, vector_norm
from .ops.linalg_functions import linalg_diagonal as diagonal, linalg_trace as trace
from .ops.linalg_solve import (LstsqResult, SlogdetResult, cho_solve, cholesky, det, inv, lstsq, pinv, slogdet, solve,
                               triangular_solve)
from numpy.linalg import LinAlgError

__all__ = [
    "inv", "solve", "triangular_solve", "cholesky", "cho_solve", "det", "slogdet", "eigh", "eigvalsh", "svd",
    "svdvals", "qr", "pinv", "lstsq", "norm", "vector_norm", "matrix_norm", "matrix_power", "expm", "trace",
    "diagonal", "matmul", "outer", "tensordot", "LinAlgError", "EighResult", "SVDResult", "QRResult",
    "SlogdetResult", "LstsqResult",
]
