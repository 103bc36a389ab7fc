"""Products: matmul (batched, vector cases), dot, tensordot, outer.

Example:
    >>> a = ag.tensor(np.ones((5, 2, 3)), requires_grad=True)
    >>> b = ag.tensor(np.ones((3, 4)), requires_grad=True)
    >>> (a @ b).shape          # b broadcasts over the batch; its gradient is summed back
    (5, 2, 4)
"""
import numpy as np


from ._make import binary_op, raw
from .shape import expand_dims, reshape, swapaxes, transpose


def _matmul_vjp_a(g, ans, a, b):
    ad, bd = raw(a), raw(b)
    if bd.ndim == 1:
        # (..., n, k) @ (k,) -> (..., n): ga = g[..., None] * b
        ga = expand_dims(g, -1) * b
        return ga
    if ad.ndim == 1:
        # (k,) @ (..., k, m) -> (..., m): ga = sum over batch of b @ g
        ga = matmul(b, expand_dims(g, -1))[..., 0]
        return ga
    return matmul(g, swapaxes(b, -1, -2))


def _matmul_vjp_b(g, ans, a, b):
    ad, bd = raw(a), raw(b)
    if ad.ndim == 1:
        # (k,) @ (..., k, m): gb = a[:, None] * g[..., None, :]
        return expand_dims(a, -1) * expand_dims(g, -2)
    if bd.ndim == 1:
        # (..., n, k) @ (k,): gb = sum over n of a * g[..., None]
        return matmul(expand_dims(g, -2), a)[..., 0, :]
    return matmul(swapaxes(a, -1, -2), g)


def _matmul_np(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one axis, received shapes {a.shape} and {b.shape}")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"(the last axis of the first must equal the second-to-last of the second)") from None


matmul = binary_op(_matmul_np, "matmul", _matmul_vjp_a, _matmul_vjp_b,
                   "Matrix product with numpy's rules: batched over leading axes, vectors promoted.")


def tensordot(a, b, axes=2):
    """Sum products over the given axes of ``a`` and ``b`` (as ``np.tensordot``), via one matmul."""
    ad, bd = raw(a), raw(b)
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(ad.ndim - int(axes), ad.ndim))
        axes_b = list(range(int(axes)))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = [x % ad.ndim for x in axes_a]
    axes_b = [x % bd.ndim for x in axes_b]
    for i, j in zip(axes_a, axes_b):
        if ad.shape[i] != bd.shape[j]:
            raise ValueError(f"tensordot: axis {i} of a (size {ad.shape[i]}) does not match axis {j} of b "
                             f"(size {bd.shape[j]}); shapes {ad.shape} and {bd.shape}")
    free_a = [i for i in range(ad.ndim) if i not in axes_a]
    free_b = [i for i in range(bd.ndim) if i not in axes_b]
    k = int(np.prod([ad.shape[i] for i in axes_a], dtype=np.int64))
    ma = reshape(transpose(a, free_a + axes_a), (-1, k))
    mb = reshape(transpose(b, axes_b + free_b), (k, -1))
    out_shape = tuple(ad.shape[i] for i in free_a) + tuple(bd.shape[i] for i in free_b)
    return reshape(matmul(ma, mb), out_shape)


def dot(a, b):
    """``np.dot``: inner product of vectors, matrix product, or sum over the last axis of ``a`` and the
    second-to-last of ``b``."""
    ad, bd = raw(a), raw(b)
    if ad.ndim == 0 or bd.ndim == 0:
        from .elementwise import multiply
        return multiply(a, b)
    if ad.ndim <= 2 and bd.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([ad.ndim - 1], [max(bd.ndim - 2, 0)]))


def outer(a, b):
    """Outer product of two vectors (flattened first)."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def inner(a, b):
    """Sum of products over the last axes."""
    return tensordot(a, b, axes=([-1], [-1]))



