"""Check analytic gradients against central differences, in float64, along random directions.

Complex inputs and outputs are checked with HIPS autograd's convention: for a complex output ``f`` the
function checked is ``L = Re(sum(u * f))`` with a random complex ``u``, and the gradient ``g`` of ``L`` with
respect to a complex input ``z = x + iy`` is ``dL/dx - i dL/dy``, so that along a complex direction ``v``
the directional derivative is ``Re(sum(g * v))``.

Example:
    >>> gradcheck(lambda x: ag.tanh(x) * x, np.random.randn(3, 2))
    True
"""
import numpy as np

from .engine import gradients
from .ops.elementwise import multiply, real
from .ops.reductions import sum as _sum
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when analytic and numerical gradients disagree.

    Example:
        >>> wrong_sin = ag.primitive(np.sin, name="wrong_sin")
        >>> _ = ag.defvjp(wrong_sin, lambda g, ans, x: g)          # should be g * cos(x)
        >>> ag.gradcheck(lambda x: wrong_sin(x).sum(), np.array([1.0]))
        Traceback (most recent call last):
        ...
        autograd.gradcheck.GradcheckError: gradcheck failed: along a random direction the analytic ...
    """


def _to64(x):
    d = x.data if isinstance(x, Tensor) else np.asarray(x)
    return np.array(d, dtype=np.float64 if d.dtype.kind != "c" else np.complex128)


def _random(rng, shape, dtype):
    """A standard normal direction (complex for a complex dtype)."""
    r = rng.standard_normal(shape)
    return r + 1j * rng.standard_normal(shape) if np.dtype(dtype).kind == "c" else r


def _pair(a, v):
    """Re(sum(a * v)): the pairing of a gradient with a direction."""
    return float(np.real(np.sum(a * v)))


def _call(f, arrays):
    out = f(*[Tensor(a) for a in arrays])
    return out.data if isinstance(out, Tensor) else np.asarray(out, dtype=np.float64)


def gradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, n_directions=3, order=1, seed=0):
    """Compare the vjp of ``f`` with a central finite difference along ``n_directions`` random directions.

    Args:
        f: a function of Tensors returning a Tensor.
        inputs: the point (arrays or Tensors), converted to float64.
        eps: the finite-difference step.
        atol, rtol: allowed mismatch |analytic - numeric| <= atol + rtol * |numeric|.
        order: 2 also checks the gradient of the gradient (second order).

    Returns:
        True; raises GradcheckError naming the worst mismatch otherwise.

    Example:
        >>> ag.gradcheck(lambda x: (x ** 2).sum(), np.array([1.0, -2.0]))
        True
        >>> ag.gradcheck(lambda x: ag.tanh(x).sum(), np.array([0.5]), order=2)
        True
        >>> ag.gradcheck(lambda z: ag.abs(ag.exp(z) * z), np.array([1.0 + 2.0j]), order=2)    # complex
        True
    """
    rng = np.random.default_rng(seed)
    xs = [_to64(x) for x in inputs]
    out0 = _call(f, xs)
    if out0.dtype.kind not in "fc":
        raise TypeError(f"gradcheck: f must return floating values, it returned dtype {out0.dtype}")
    u = _random(rng, out0.shape, out0.dtype)
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    out = f(*leaves)
    if isinstance(out, Tensor) and out.requires_grad:
        analytic = [g.data for g in gradients(_sum(multiply(out, u)), leaves)]
    else:
        analytic = [np.zeros_like(x) for x in xs]
    worst = None
    for _ in range(n_directions):
        vs = [_random(rng, x.shape, x.dtype) for x in xs]
        plus = _call(f, [x + eps * v for x, v in zip(xs, vs)])
        minus = _call(f, [x - eps * v for x, v in zip(xs, vs)])
        numeric = _pair(u, plus - minus) / (2 * eps)
        ana = sum(_pair(a, v) for a, v in zip(analytic, vs))
        err = abs(ana - numeric)
        tol = atol + rtol * abs(numeric)
        if err > tol and (worst is None or err - tol > worst[0]):
            worst = (err - tol, ana, numeric, err)
    if worst is not None:
        _, ana, numeric, err = worst
        raise GradcheckError(
            f"gradcheck failed: along a random direction the analytic directional derivative is {ana:.10g} but "
            f"the numerical one is {numeric:.10g} (|difference| {err:.3g} > atol {atol} + rtol {rtol} * |numeric|); "
            f"input shapes {[x.shape for x in xs]}, output shape {out0.shape}")
    if order >= 2:
        def first_order(*args):
            ls = list(args)
            o = f(*ls)
            gs = gradients(_sum(multiply(o, u)), ls, create_graph=True)
            return sum(real(_sum(multiply(g, w))) for g, w in zip(gs, ws))

        ws = [_random(rng, x.shape, x.dtype) for x in xs]

        def wrapped(*args):
            ls = [a if a.requires_grad else Tensor(a.data, requires_grad=True) for a in args]
            return first_order(*ls)

        gradcheck(wrapped, *xs, eps=eps, atol=atol, rtol=rtol, n_directions=n_directions, order=order - 1,
                  seed=seed + 1)
    return True
