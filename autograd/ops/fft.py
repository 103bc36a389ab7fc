"""Discrete Fourier transforms with derivatives: fft, ifft, rfft, irfft (primitives) and the 2-d / n-d
transforms built from them (fft2, ifft2, fftn, ifftn, rfft2, irfft2, rfftn, irfftn), as ``np.fft``
(``n`` / ``s`` padding or cropping, ``axis`` / ``axes``, ``norm``).

Gradients follow HIPS autograd's convention for complex values (see README, "Complex numbers"): the
cotangent of a complex value is dL/dx - i dL/dy. The DFT matrix is symmetric, so the vjp of ``fft`` is
``fft`` of the cotangent (cropped or padded back to the input's length), that of ``ifft`` is ``ifft``;
``rfft``'s keeps the real part of the fft of the zero-padded cotangent; ``irfft``'s weighs the ifft of the
cotangent by 1 at the zero (and Nyquist) frequency and 2 elsewhere, since irfft reads each other
frequency twice (once through its mirror image). All four are linear, so their jvps are themselves.

Example:
    >>> x = np.array([1.0, 2.0, 0.0, -1.0])
    >>> ag.grad(lambda x: ag.sum(ag.abs(ag.fft.fft(x)) ** 2))(x)       # Parseval: 2 n x
    Tensor([ 8., 16.,  0., -8.])
"""
import numpy as np

from ..batching import shape_of, to_front
from ..primitive import Primitive, apply, def_linear, defbatch, defvjp
from ._linalg_util import const, dtype_of
from .elementwise import multiply, real
from .shape import getitem, pad

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn",
           "fftshift", "ifftshift", "fftfreq", "rfftfreq"]

_NORMS = (None, "backward", "ortho", "forward")


def _resize(x, length, axis):
    """``x`` cropped or zero-padded to ``length`` along ``axis`` (negative): the adjoint of numpy's ``n=``."""
    nd = len(shape_of(x))
    cur = shape_of(x)[axis]
    if cur == length:
        return x
    if cur > length:
        index = [slice(None)] * nd
        index[axis] = slice(0, length)
        return getitem(x, tuple(index))
    widths = [(0, 0)] * nd
    widths[axis] = (0, length - cur)
    return pad(x, widths)


def _kwargs(n, axis, norm):
    return {"n": n, "axis": axis, "norm": norm}


def _fft_np(a, n=None, axis=-1, norm=None):
    return np.fft.fft(a, n=n, axis=axis, norm=norm)


def _ifft_np(a, n=None, axis=-1, norm=None):
    return np.fft.ifft(a, n=n, axis=axis, norm=norm)


def _rfft_np(a, n=None, axis=-1, norm=None):
    return np.fft.rfft(a, n=n, axis=axis, norm=norm)


def _irfft_np(a, n=None, axis=-1, norm=None):
    return np.fft.irfft(a, n=n, axis=axis, norm=norm)


_fft_prim = Primitive(_fft_np, "fft")
_ifft_prim = Primitive(_ifft_np, "ifft")
_rfft_prim = Primitive(_rfft_np, "rfft")
_irfft_prim = Primitive(_irfft_np, "irfft")


def _fft_vjp(g, ans, a, n=None, axis=-1, norm=None):
    return _resize(apply(_fft_prim, (g,), _kwargs(None, axis, norm)), shape_of(a)[axis], axis)


def _ifft_vjp(g, ans, a, n=None, axis=-1, norm=None):
    return _resize(apply(_ifft_prim, (g,), _kwargs(None, axis, norm)), shape_of(a)[axis], axis)


def _rfft_vjp(g, ans, a, n=None, axis=-1, norm=None):
    size = shape_of(a)[axis] if n is None else n
    full = apply(_fft_prim, (_resize(g, size, axis),), _kwargs(None, axis, norm))
    return _resize(real(full), shape_of(a)[axis], axis)


def _irfft_vjp(g, ans, a, n=None, axis=-1, norm=None):
    size = shape_of(g)[axis]                              # the output length n
    half = size // 2 + 1
    spectrum = _resize(apply(_ifft_prim, (g,), _kwargs(None, axis, norm)), half, axis)
    weight = np.full(half, 2.0)
    weight[0] = 1.0
    if size % 2 == 0:
        weight[-1] = 1.0
    nd = len(shape_of(g))
    weight = weight.reshape((half,) + (1,) * (-axis - 1)) if nd else weight
    return _resize(multiply(spectrum, const(weight, dtype_of(g))), shape_of(a)[axis], axis)


for _prim, _vjp in ((_fft_prim, _fft_vjp), (_ifft_prim, _ifft_vjp), (_rfft_prim, _rfft_vjp),
                    (_irfft_prim, _irfft_vjp)):
    defvjp(_prim, _vjp)
    def_linear(_prim)


def _batch_rule(prim):
    # ``axis`` is kept negative, so moving the examples to the front leaves it valid
    def rule(args, dims, **kwargs):
        return apply(prim, (to_front(args[0], dims[0]),), kwargs), 0
    return rule


for _prim in (_fft_prim, _ifft_prim, _rfft_prim, _irfft_prim):
    defbatch(_prim, _batch_rule(_prim))


def _check(name, a, n, axis, norm):
    """The op's argument and options, checked: (a, n, negative axis, norm)."""
    if norm not in _NORMS:
        raise ValueError(f"fft.{name}: norm must be None, 'backward', 'ortho' or 'forward', received {norm!r}")
    if not hasattr(a, "requires_grad"):
        a = np.asarray(a)
        if a.dtype.kind in "biu":
            a = a.astype(np.float64)
    nd = len(shape_of(a))
    if nd == 0:
        raise ValueError(f"fft.{name}: expected an array of at least 1 dimension, received a 0-d value")
    if not -nd <= int(axis) < nd:
        raise ValueError(f"fft.{name}: axis {axis} is out of bounds for an array of {nd} dimensions")
    if n is not None and (int(n) != n or n < 1):
        raise ValueError(f"fft.{name}: n must be a positive integer, received {n!r}")
    return a, (None if n is None else int(n)), int(axis) % nd - nd, norm


def fft(a, n=None, axis=-1, norm=None):
    """The 1-d discrete Fourier transform along ``axis``, as ``np.fft.fft`` (real or complex input).

    Example:
        >>> ag.fft.fft(ag.tensor([1.0, 0.0, 0.0, 0.0]))
        Tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j], dtype=complex128)
    """
    a, n, axis, norm = _check("fft", a, n, axis, norm)
    return apply(_fft_prim, (a,), _kwargs(n, axis, norm))


def ifft(a, n=None, axis=-1, norm=None):
    """The 1-d inverse discrete Fourier transform along ``axis``, as ``np.fft.ifft``.

    Example:
        >>> ag.fft.ifft(ag.tensor([4.0, 0.0, 0.0, 0.0]))
        Tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j], dtype=complex128)
    """
    a, n, axis, norm = _check("ifft", a, n, axis, norm)
    return apply(_ifft_prim, (a,), _kwargs(n, axis, norm))


def rfft(a, n=None, axis=-1, norm=None):
    """The 1-d transform of real input, keeping the n // 2 + 1 non-negative frequencies, as ``np.fft.rfft``.

    Example:
        >>> ag.fft.rfft(ag.tensor([1.0, 1.0, 1.0, 1.0]))
        Tensor([4.+0.j, 0.+0.j, 0.+0.j], dtype=complex128)
    """
    a, n, axis, norm = _check("rfft", a, n, axis, norm)
    if dtype_of(a).kind == "c":
        raise TypeError("fft.rfft: expected real input, received a complex array (use fft.fft)")
    return apply(_rfft_prim, (a,), _kwargs(n, axis, norm))


def irfft(a, n=None, axis=-1, norm=None):
    """The inverse of rfft: a real signal of length ``n`` (default 2 (m - 1)) from its m non-negative
    frequencies, as ``np.fft.irfft`` (the imaginary parts of the zero and Nyquist frequencies are ignored,
    and get no gradient).

    Example:
        >>> ag.fft.irfft(ag.tensor([4.0 + 0j, 0.0, 0.0]))
        Tensor([1., 1., 1., 1.])
    """
    a, n, axis, norm = _check("irfft", a, n, axis, norm)
    return apply(_irfft_prim, (a,), _kwargs(n, axis, norm))


def _axes_and_sizes(name, a, s, axes, default_axes):
    nd = len(shape_of(a))
    if axes is None:
        axes = default_axes if default_axes is not None else (
            tuple(range(-len(s), 0)) if s is not None else tuple(range(-nd, 0)))
    axes = tuple(int(ax) for ax in axes)
    if s is None:
        s = [None] * len(axes)
    elif len(s) != len(axes):
        raise ValueError(f"fft.{name}: s and axes must have the same length, received s={s!r}, axes={axes!r}")
    for ax in axes:
        if not -nd <= ax < nd:
            raise ValueError(f"fft.{name}: axis {ax} is out of bounds for an array of {nd} dimensions")
    if len(set(ax % nd for ax in axes)) != len(axes):
        raise ValueError(f"fft.{name}: repeated axes {axes!r}")
    return list(s), list(axes)


def fftn(a, s=None, axes=None, norm=None):
    """The n-d discrete Fourier transform over ``axes`` (all by default), as ``np.fft.fftn``: 1-d transforms,
    the last axis first.

    Example:
        >>> ag.fft.fftn(ag.tensor(np.ones((2, 2))))
        Tensor([[4.+0.j, 0.+0.j],
                [0.+0.j, 0.+0.j]], dtype=complex128)
    """
    s, axes = _axes_and_sizes("fftn", a, s, axes, None)
    for size, ax in reversed(list(zip(s, axes))):
        a = fft(a, size, ax, norm)
    return a


def ifftn(a, s=None, axes=None, norm=None):
    """The n-d inverse transform, as ``np.fft.ifftn``.

    Example:
        >>> ag.fft.ifftn(ag.tensor([[4.0, 0.0], [0.0, 0.0]]))
        Tensor([[1.+0.j, 1.+0.j],
                [1.+0.j, 1.+0.j]], dtype=complex128)
    """
    s, axes = _axes_and_sizes("ifftn", a, s, axes, None)
    for size, ax in reversed(list(zip(s, axes))):
        a = ifft(a, size, ax, norm)
    return a


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """The 2-d discrete Fourier transform over ``axes``, as ``np.fft.fft2``.

    Example:
        >>> ag.fft.fft2(ag.tensor(np.ones((2, 2)))).shape
        (2, 2)
    """
    return fftn(a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """The 2-d inverse transform, as ``np.fft.ifft2``.

    Example:
        >>> ag.fft.ifft2(ag.fft.fft2(ag.tensor(np.eye(2)))).real
        Tensor([[1., 0.],
                [0., 1.]])
    """
    return ifftn(a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    """The n-d transform of real input (rfft over the last axis, fft over the others), as ``np.fft.rfftn``.

    Example:
        >>> ag.fft.rfftn(ag.tensor(np.ones((2, 4)))).shape
        (2, 3)
    """
    s, axes = _axes_and_sizes("rfftn", a, s, axes, None)
    a = rfft(a, s[-1], axes[-1], norm)
    for size, ax in reversed(list(zip(s[:-1], axes[:-1]))):
        a = fft(a, size, ax, norm)
    return a


def irfftn(a, s=None, axes=None, norm=None):
    """The inverse of rfftn, as ``np.fft.irfftn`` (ifft over all axes but the last, then irfft).

    Example:
        >>> ag.fft.irfftn(ag.fft.rfftn(ag.tensor(np.ones((2, 4))))).shape
        (2, 4)
    """
    s, axes = _axes_and_sizes("irfftn", a, s, axes, None)
    for size, ax in zip(s[:-1], axes[:-1]):
        a = ifft(a, size, ax, norm)
    return irfft(a, s[-1], axes[-1], norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """The 2-d transform of real input, as ``np.fft.rfft2``.

    Example:
        >>> ag.fft.rfft2(ag.tensor(np.ones((2, 4)))).shape
        (2, 3)
    """
    return rfftn(a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """The inverse of rfft2, as ``np.fft.irfft2``.

    Example:
        >>> ag.fft.irfft2(ag.fft.rfft2(ag.tensor(np.ones((2, 4))))).shape
        (2, 4)
    """
    return irfftn(a, s, axes, norm)


def _roll(x, shift, axis):
    from .shape import concatenate
    size = shape_of(x)[axis]
    shift %= size if size else 1
    if not shift:
        return x
    nd = len(shape_of(x))
    lo = [slice(None)] * nd
    hi = [slice(None)] * nd
    lo[axis], hi[axis] = slice(size - shift, None), slice(0, size - shift)
    return concatenate([getitem(x, tuple(lo)), getitem(x, tuple(hi))], axis=axis)


def fftshift(x, axes=None):
    """The zero frequency moved to the centre, as ``np.fft.fftshift`` (a roll: differentiable).

    Example:
        >>> ag.fft.fftshift(ag.tensor([0.0, 1.0, 2.0, -2.0, -1.0]))
        Tensor([-2., -1.,  0.,  1.,  2.])
    """
    nd = len(shape_of(x))
    axes = tuple(range(nd)) if axes is None else ((axes,) if isinstance(axes, (int, np.integer)) else tuple(axes))
    for ax in axes:
        x = _roll(x, shape_of(x)[ax] // 2, ax)
    return x


def ifftshift(x, axes=None):
    """The inverse of fftshift, as ``np.fft.ifftshift``.

    Example:
        >>> ag.fft.ifftshift(ag.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]))
        Tensor([ 0.,  1.,  2., -2., -1.])
    """
    nd = len(shape_of(x))
    axes = tuple(range(nd)) if axes is None else ((axes,) if isinstance(axes, (int, np.integer)) else tuple(axes))
    for ax in axes:
        x = _roll(x, -(shape_of(x)[ax] // 2), ax)
    return x


def fftfreq(n, d=1.0):
    """The sample frequencies of fft, as ``np.fft.fftfreq`` (a constant).

    Example:
        >>> ag.fft.fftfreq(4)
        Tensor([ 0.  ,  0.25, -0.5 , -0.25])
    """
    from ..tensor import make_leaf
    return make_leaf(np.fft.fftfreq(n, d))


def rfftfreq(n, d=1.0):
    """The sample frequencies of rfft, as ``np.fft.rfftfreq`` (a constant).

    Example:
        >>> ag.fft.rfftfreq(4)
        Tensor([0.  , 0.25, 0.5 ])
    """
    from ..tensor import make_leaf
    return make_leaf(np.fft.rfftfreq(n, d))

