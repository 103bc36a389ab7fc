"""``ag.fft``: numpy's ``np.fft`` with derivatives in both modes and batching rules.

fft, ifft, rfft, irfft are primitives; fft2, ifft2, fftn, ifftn, rfft2, irfft2, rfftn, irfftn are built
from them; fftshift / ifftshift are rolls; fftfreq / rfftfreq are constants. Gradients of real losses of
complex values follow HIPS autograd's convention (README, "Complex numbers").

Example:
    >>> import numpy as np, autograd as ag
    >>> ag.fft.irfft(ag.fft.rfft(ag.tensor([1.0, 2.0, 3.0, 4.0])))
    Tensor([1., 2., 3., 4.])
"""
from .ops.fft import (fft, fft2, fftfreq, fftn, fftshift, ifft, ifft2, ifftn, ifftshift, irfft, irfft2, irfftn, rfft,
                      rfft2, rfftfreq, rfftn)

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn",
           "fftshift", "ifftshift", "fftfreq", "rfftfreq"]
