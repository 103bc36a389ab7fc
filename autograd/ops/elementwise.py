"""Elementwise ops: arithmetic, exp/log family, trigonometry and activations.

Each op is a numpy forward plus its vjp, written with these same ops so it can be differentiated again.

Example:
    >>> import autograd as ag
    >>> x = ag.tensor([0.5, 2.0], requires_grad=True)
    >>> ag.exp(x).sum().backward(); x.grad       # d/dx exp(x) = exp(x)
    Tensor([1.64872127, 7.3890561 ])
"""
import math

import numpy as np

from ..batching import Batched, align, dtype_of, elementwise_rule
from ..modes import STATE
from ..primitive import Primitive, apply, defbatch, defjvp, defvjp, observed
from ..tensor import Tensor, make_leaf
from ._make import binary_op, raw, unary_op

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "power", "negative", "positive", "maximum",
    "minimum", "floor_divide", "mod", "remainder", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt",
    "square", "reciprocal", "abs", "absolute", "sign", "real", "imag", "conj", "conjugate", "angle", "sin", "cos",
    "tan", "tanh", "sinh", "cosh", "arctan",
    "sigmoid", "relu", "softplus", "leaky_relu", "elu", "selu", "erf", "gelu", "swish", "silu",
    "hard_sigmoid", "clip", "where", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "isfinite", "isnan", "isinf", "logical_and", "logical_or", "logical_not", "floor", "ceil", "round",
]

# -- helpers ------------------------------------------------------------------------------------


def _zero_where_g_zero(g, r):
    # NOTE: ops whose derivative is singular somewhere (sqrt at 0, log at 0, division by 0) give
    # 0 * inf = NaN when no gradient flows (g == 0), e.g. through the branch ``where`` did not take.
    # Only when the result is not finite do we pay for the mask that turns those back into zeros.
    d = r.data
    if d.dtype.kind == "f" and not np.isfinite(d).all():
        gd = g.data if isinstance(g, Tensor) else np.asarray(g)
        return where(gd == 0, make_leaf(np.zeros((), d.dtype)), r)
    return r


# -- arithmetic ---------------------------------------------------------------------------------
add = binary_op(np.add, "add", lambda g, ans, a, b: g, lambda g, ans, a, b: g,
                "Elementwise a + b with broadcasting.")
subtract = binary_op(np.subtract, "subtract", lambda g, ans, a, b: g, lambda g, ans, a, b: negative(g),
                     "Elementwise a - b with broadcasting.")
multiply = binary_op(np.multiply, "multiply", lambda g, ans, a, b: multiply(g, b),
                     lambda g, ans, a, b: multiply(g, a), "Elementwise a * b with broadcasting.")
divide = binary_op(
    np.true_divide, "divide",
    lambda g, ans, a, b: _zero_where_g_zero(g, divide(g, b)),
    lambda g, ans, a, b: _zero_where_g_zero(g, negative(divide(multiply(g, ans), b))),
    "Elementwise a / b with broadcasting.")
true_divide = divide


def _pow_vjp_a(g, ans, a, b):
    bd = raw(b)
    if np.ndim(bd) == 0 and bd == 0:
        return None
    return _zero_where_g_zero(g, multiply(g, multiply(b, power(a, subtract(b, 1)))))


def _pow_vjp_b(g, ans, a, b):
    ad = raw(a)
    if ad.dtype.kind == "c":      # the principal branch of log a, away from 0
        return multiply(g, multiply(ans, log(where(ad != 0, a, make_leaf(np.ones((), ad.dtype))))))
    safe_log = log(where(ad > 0, a, make_leaf(np.ones((), ad.dtype if ad.dtype.kind == "f" else np.float64))))
    return multiply(g, multiply(ans, safe_log))


power = binary_op(np.power, "power", _pow_vjp_a, _pow_vjp_b,
                  "Elementwise a ** b (the gradient for b is taken where a > 0).")
negative = unary_op(np.negative, "negative", lambda g, ans, x: negative(g), "Elementwise -x.")
positive = unary_op(np.positive, "positive", lambda g, ans, x: g, "Elementwise +x.")


def _max_mask(ad, bd, dtype):
    # NOTE: at ties (a == b) each side gets half the gradient, so the two halves sum to the whole.
    m = (ad > bd).astype(dtype)
    tie = ad == bd
    if tie.any():
        m += 0.5 * tie
    return m


maximum = binary_op(
    np.maximum, "maximum",
    lambda g, ans, a, b: multiply(g, _max_mask(raw(a), raw(b), g.dtype)),
    lambda g, ans, a, b: multiply(g, _max_mask(raw(b), raw(a), g.dtype)),
    "Elementwise maximum; ties split the gradient in half.")
minimum = binary_op(
    np.minimum, "minimum",
    lambda g, ans, a, b: multiply(g, _max_mask(raw(b), raw(a), g.dtype)),
    lambda g, ans, a, b: multiply(g, _max_mask(raw(a), raw(b), g.dtype)),
    "Elementwise minimum; ties split the gradient in half.")


def _floor_divide_np(a, b):
    return np.floor_divide(a, b)


floor_divide = binary_op(_floor_divide_np, "floor_divide", lambda g, ans, a, b: None, lambda g, ans, a, b: None,
                         "Elementwise a // b (piecewise constant: no gradient flows).")


def _mod_vjp_b(g, ans, a, b):
    return negative(multiply(g, np.floor_divide(raw(a), raw(b))))


mod = binary_op(np.remainder, "mod", lambda g, ans, a, b: g, _mod_vjp_b,
                "Elementwise a % b with Python's sign convention (gradient 1 for a, -floor(a / b) for b).")
remainder = mod

# -- exp / log family ---------------------------------------------------------------------------
exp = unary_op(np.exp, "exp", lambda g, ans, x: multiply(g, ans), "Elementwise e**x.")
expm1 = unary_op(np.expm1, "expm1", lambda g, ans, x: multiply(g, add(ans, 1.0)), "Elementwise e**x - 1.")
log = unary_op(np.log, "log", lambda g, ans, x: _zero_where_g_zero(g, divide(g, x)), "Natural logarithm.")
log1p = unary_op(np.log1p, "log1p", lambda g, ans, x: _zero_where_g_zero(g, divide(g, add(x, 1.0))),
                 "Elementwise log(1 + x), accurate for small x.")
log2 = unary_op(np.log2, "log2", lambda g, ans, x: _zero_where_g_zero(g, divide(g, multiply(x, math.log(2.0)))),
                "Base-2 logarithm.")
log10 = unary_op(np.log10, "log10",
                 lambda g, ans, x: _zero_where_g_zero(g, divide(g, multiply(x, math.log(10.0)))),
                 "Base-10 logarithm.")
sqrt = unary_op(np.sqrt, "sqrt", lambda g, ans, x: _zero_where_g_zero(g, divide(g, multiply(ans, 2.0))),
                "Elementwise square root.")
square = unary_op(np.square, "square", lambda g, ans, x: multiply(g, multiply(x, 2.0)), "Elementwise x**2.")
reciprocal = unary_op(np.reciprocal, "reciprocal",
                      lambda g, ans, x: _zero_where_g_zero(g, negative(multiply(g, square(ans)))),
                      "Elementwise 1 / x.")
def _unit_conj(x, ans):
    """conj(x) / |x| for complex x (0 where x == 0): the gradient of |x|."""
    zero = raw(ans) == 0
    if not zero.any():
        return divide(conj(x), ans)
    z = make_leaf(zero)
    return where(z, make_leaf(np.zeros((), raw(x).dtype)), divide(conj(x), where(z, 1.0, ans)))


def _abs_vjp(g, ans, x):
    xd = raw(x)
    if xd.dtype.kind == "c":
        return multiply(g, _unit_conj(x, ans))
    return multiply(g, np.sign(xd))


def _abs_jvp(t, ans, x):
    xd = raw(x)
    if xd.dtype.kind == "c":
        return real(multiply(t, _unit_conj(x, ans)))
    return multiply(t, np.sign(xd))


abs = unary_op(np.abs, "abs", _abs_vjp,
               "Elementwise |x| (gradient 0 at 0; for complex x the gradient is conj(x) / |x|).", jvp=_abs_jvp)
absolute = abs
sign = unary_op(np.sign, "sign", lambda g, ans, x: None, "Elementwise sign (no gradient).")

# -- trigonometry -------------------------------------------------------------------------------
sin = unary_op(np.sin, "sin", lambda g, ans, x: multiply(g, cos(x)), "Elementwise sine.")
cos = unary_op(np.cos, "cos", lambda g, ans, x: negative(multiply(g, sin(x))), "Elementwise cosine.")
tan = unary_op(np.tan, "tan", lambda g, ans, x: multiply(g, add(square(ans), 1.0)), "Elementwise tangent.")
def _tanh_vjp(g, ans, x):
    # NOTE: first-order backward (nothing recorded) takes a plain-numpy shortcut; with create_graph the same
    # formula is built from ops so it can be differentiated again. gradcheck order 1 and 2 cover both.
    if not STATE.grad_enabled:
        a = ans.data
        return make_leaf(g.data * (1 - a * a))
    return multiply(g, subtract(1.0, square(ans)))


def _sigmoid_vjp(g, ans, x):
    if not STATE.grad_enabled:
        a = ans.data
        return make_leaf(g.data * (a - a * a))
    return multiply(g, multiply(ans, subtract(1.0, ans)))


tanh = unary_op(np.tanh, "tanh", _tanh_vjp,
                "Elementwise hyperbolic tangent.")
sinh = unary_op(np.sinh, "sinh", lambda g, ans, x: multiply(g, cosh(x)), "Elementwise hyperbolic sine.")
cosh = unary_op(np.cosh, "cosh", lambda g, ans, x: multiply(g, sinh(x)), "Elementwise hyperbolic cosine.")
arctan = unary_op(np.arctan, "arctan", lambda g, ans, x: divide(g, add(square(x), 1.0)), "Elementwise arctan.")

# -- complex parts ------------------------------------------------------------------------------
# NOTE: the convention for complex values is HIPS autograd's: the cotangent carried by a complex value z is
# dL/dx - i dL/dy (z = x + iy, L the real loss), so a holomorphic op's vjp is g * f'(z) with no conjugate and
# the gradient of a real loss is the conjugate of the steepest-ascent direction. The non-holomorphic ops
# below have their own rules; a complex cotangent reaching a real input keeps its real part (engine._fit).
real = unary_op(lambda x: np.real(x).copy(), "real", lambda g, ans, x: g,
                "The real part of x (x itself, as a copy, for real x).", jvp=lambda t, ans, x: real(t))
imag = unary_op(lambda x: np.imag(x).copy(), "imag", lambda g, ans, x: multiply(g, -1j),
                "The imaginary part of x (zeros for real x).", jvp=lambda t, ans, x: imag(t))
conj = unary_op(np.conjugate, "conj", lambda g, ans, x: conj(g), "The complex conjugate (x itself for real x).",
                jvp=lambda t, ans, x: conj(t))
conjugate = conj


def _angle_vjp(g, ans, x):
    # d angle = Im(dz / z): the cotangent -i g / z (0 for real x, whose angle is piecewise constant)
    if raw(x).dtype.kind != "c":
        return None
    return multiply(g, divide(-1j, x))


angle = unary_op(lambda x: np.angle(x), "angle", _angle_vjp,
                 "The argument of complex x (0 or pi for real x, no gradient there).",
                 jvp=lambda t, ans, x: imag(divide(t, x)) if raw(x).dtype.kind == "c" else None)

# -- activations --------------------------------------------------------------------------------


def _sigmoid_constants(dtype):
    # 0-d arrays of the input's dtype: numpy handles them faster than Python floats (NEP 50 scalars)
    lim = {"float16": 11.0, "float32": 88.0}.get(dtype.name, 708.0)
    return np.array(-lim, dtype), np.array(1.0, dtype)


_SIGMOID_CONSTANTS = {np.dtype(d): _sigmoid_constants(np.dtype(d)) for d in ("float16", "float32", "float64")}


def _sigmoid_np(x):
    # NOTE: 1 / (1 + e**-x) with x clipped from below so e**-x cannot overflow (no warning, no inf): under
    # the clip (x < -88 in float32, -708 in float64) the true value is below the dtype's smallest normal
    # number anyway. Computed in place in one buffer with 0-d constants of x's dtype, about as fast as
    # scipy's expit on small arrays.
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    consts = _SIGMOID_CONSTANTS.get(x.dtype)
    if consts is None:
        consts = _SIGMOID_CONSTANTS[x.dtype] = _sigmoid_constants(x.dtype)
    low, one = consts
    if x.ndim == 0:
        return _sigmoid_np(x.reshape(1)).reshape(())
    t = np.maximum(x, low)
    np.negative(t, t)
    np.exp(t, t)
    np.add(t, one, t)
    return np.reciprocal(t, t)


sigmoid = unary_op(_sigmoid_np, "sigmoid", _sigmoid_vjp,
                   "Logistic sigmoid 1 / (1 + e**-x), computed without overflow.")


def _relu_np(x):
    return np.maximum(x, 0)  # a Python 0 keeps x's dtype (float32 stays float32)


relu = unary_op(_relu_np, "relu", lambda g, ans, x: multiply(g, raw(x) > 0),
                "max(x, 0); gradient 0 at 0, as in TensorFlow.")


def _softplus_np(x):
    return np.logaddexp(x, 0).astype(x.dtype, copy=False)


softplus = unary_op(_softplus_np, "softplus", lambda g, ans, x: multiply(g, sigmoid(x)),
                    "log(1 + e**x), finite for large |x|.")


def _leaky_np(x, alpha=0.2):
    return np.where(x > 0, x, x * np.asarray(alpha, x.dtype))


_leaky = unary_op(_leaky_np, "leaky_relu",
                  lambda g, ans, x, alpha=0.2: multiply(g, np.where(raw(x) > 0, 1.0, alpha).astype(raw(x).dtype)))


def leaky_relu(x, alpha=0.2):
    """x for x > 0, alpha * x otherwise (tf.nn.leaky_relu's default alpha 0.2).

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.leaky_relu(z, alpha=0.1)
        Tensor([-0.1,  0. ,  2. ])
    """
    return _leaky(x, alpha=float(alpha))


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (e**x - 1) otherwise.

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.elu(z)
        Tensor([-0.63212056,  0.        ,  2.        ])
    """
    zero = make_leaf(np.zeros((), dtype_of(x)))
    neg = expm1(minimum(x, zero))
    if alpha != 1.0:
        neg = multiply(neg, alpha)
    # the choice is made with ops (greater, where), not by reading x's values, so that it works under vmap
    return where(greater(x, zero), x, neg)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled ELU with the self-normalizing constants of Klambauer et al.

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.selu(z)
        Tensor([-1.11133074,  0.        ,  2.10140197])
    """
    return multiply(elu(x, _SELU_ALPHA), _SELU_SCALE)


def _erf_np(x):
    try:
        from scipy.special import erf as _erf
        return _erf(x).astype(x.dtype, copy=False)
    except ImportError:  # scipy is optional: math.erf element by element (exact, slower on big arrays)
        return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=x.dtype)


erf = unary_op(_erf_np, "erf",
               lambda g, ans, x: multiply(g, multiply(exp(negative(square(x))), 2.0 / math.sqrt(math.pi))),
               "The error function.")


def gelu(x, approximate=False):
    """Gaussian error linear unit: x * Phi(x) (tanh approximation when ``approximate``).

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.gelu(z)
        Tensor([-0.15865525,  0.        ,  1.95449974])
    """
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        inner = multiply(add(x, multiply(power(x, 3), 0.044715)), c)
        return multiply(multiply(x, 0.5), add(tanh(inner), 1.0))
    return multiply(multiply(x, 0.5), add(erf(multiply(x, 1.0 / math.sqrt(2.0))), 1.0))


def _swish_np(x):
    # NOTE: fused for speed (one buffer instead of two): x / (1 + e**-x), the sigmoid's guarded form times x
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim == 0:
        return _swish_np(x.reshape(1)).reshape(())
    low, one = _SIGMOID_CONSTANTS.get(x.dtype) or _sigmoid_constants(x.dtype)
    t = np.maximum(x, low)
    np.negative(t, t)
    np.exp(t, t)
    np.add(t, one, t)
    return np.divide(x, t, out=t)


def _swish_vjp(g, ans, x):
    # d/dx x * s(x) = s + x * s * (1 - s) = s * (1 + x - ans), with s = sigmoid(x), ans = x * s
    s = sigmoid(x)
    return multiply(g, multiply(s, subtract(add(x, 1.0), ans)))


_swish = unary_op(_swish_np, "swish", _swish_vjp, "x * sigmoid(x), fused.")


def swish(x):
    """x * sigmoid(x) (also called silu).

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.swish(z)
        Tensor([-0.26894142,  0.        ,  1.76159416])
    """
    return _swish(x)


silu = swish


def hard_sigmoid(x):
    """Keras 2's piecewise-linear sigmoid: clip(0.2 * x + 0.5, 0, 1).

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.hard_sigmoid(z)
        Tensor([0.3, 0.5, 0.9])
    """
    return clip(add(multiply(x, 0.2), 0.5), 0.0, 1.0)


# -- selection ----------------------------------------------------------------------------------


def _clip_np(x, lo, hi):
    out = x
    if lo is not None:
        out = np.maximum(out, lo)
    if hi is not None:
        if out is not x and isinstance(out, np.ndarray) and out.dtype == np.result_type(out, hi):
            np.minimum(out, hi, out=out)        # NOTE: in place on the fresh array: one allocation, not two
        else:
            out = np.minimum(out, hi)
    return np.asarray(out, dtype=x.dtype)


def _clip_vjp(g, ans, x, lo, hi):
    # NOTE: like tf.clip_by_value, the gradient passes where lo <= x <= hi (bounds included).
    xd = raw(x)
    mask = np.ones(xd.shape, bool)
    if lo is not None:
        mask &= xd >= raw(lo)
    if hi is not None:
        mask &= xd <= raw(hi)
    return multiply(g, mask)


_clip_prim = Primitive(_clip_np, "clip")
defvjp(_clip_prim, _clip_vjp, None, None)
defjvp(_clip_prim, _clip_vjp, None, None)   # elementwise: the vjp's mask applies to a tangent as well


def clip(x, a_min, a_max):
    """Limit values to [a_min, a_max] (either may be None); gradient 1 inside, bounds included.

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.clip(z, -0.5, 1.0)
        Tensor([-0.5,  0. ,  1. ])
    """
    return apply(_clip_prim, (x, a_min, a_max), {})


def _where_np(cond, a, b):
    return np.where(cond, a, b)


_where_prim = Primitive(_where_np, "where")


def _where_vjp_a(g, ans, cond, a, b):
    return where(raw(cond), g, make_leaf(np.zeros((), g.dtype)))


def _where_vjp_b(g, ans, cond, a, b):
    return where(raw(cond), make_leaf(np.zeros((), g.dtype)), g)


defvjp(_where_prim, None, _where_vjp_a, _where_vjp_b)
defjvp(_where_prim, None, _where_vjp_a, _where_vjp_b)   # elementwise: the same selection of a tangent


def where(condition, x=None, y=None):
    """Pick from ``x`` where ``condition`` holds, else from ``y``; no gradient leaks from the branch
    not taken. With only ``condition``, returns the indices like ``np.where``.

    Example:
        >>> z = ag.tensor([-1.0, 0.0, 2.0])
        >>> ag.where(z > 0, z, ag.zeros_like(z))
        Tensor([0., 0., 2.])
    """
    if x is None and y is None:
        return tuple(make_leaf(i) for i in np.where(raw(condition)))
    if isinstance(condition, Tensor):
        condition = condition.data
    return apply(_where_prim, (condition, x, y), {})


defbatch(_clip_prim, elementwise_rule(lambda x, lo, hi: apply(_clip_prim, (x, lo, hi), {})))
defbatch(_where_prim, elementwise_rule(lambda cond, a, b: where(cond, a, b)))


# -- stop_gradient as a primitive (what a trace records for Tensor.detach / ag.stop_gradient) ---------------
#: the identity with no gradient and no tangent: ``Tensor.detach()`` stays a cheap view outside a trace; inside one
#: it is recorded as this primitive, so that a replayed graph stops the gradient where the original did
_stop_gradient_prim = Primitive(lambda x: x, "stop_gradient")
defvjp(_stop_gradient_prim, None)
defjvp(_stop_gradient_prim, None)
defbatch(_stop_gradient_prim, lambda args, dims: (apply(_stop_gradient_prim, args, {}), dims[0]))


# -- comparisons and predicates (no gradient) ----------------------------------------------------


def _nodiff(fun, example, shows):
    """A no-gradient op applying ``fun``; ``example`` and what it ``shows`` go into its docstring.

    It is a primitive (registered under numpy's name, no vjp, a zero jvp, the elementwise batching rule) so
    that a tracer (``autograd.trace``) sees masks and comparisons computed from traced values; outside a
    trace it costs what the numpy call costs.
    """
    nargs = fun.nin if isinstance(fun, np.ufunc) else 1
    prim = Primitive(fun, fun.__name__)
    defvjp(prim, *([None] * nargs))
    defjvp(prim, *([None] * nargs))

    def batched(args, kwargs):      # inside ag.vmap: all examples at once
        level = max(a.level for a in args if type(a) is Batched)
        dims = [a.bdim if type(a) is Batched and a.level == level else None for a in args]
        vals = [a.val if d is not None else a for a, d in zip(args, dims)]
        return Batched(op(*align(vals, dims), **kwargs), 0, level)

    def op(*args, **kwargs):
        for a in args:      # NOTE: a loop, not any(genexpr), on the path every comparison takes
            if type(a) is Batched:
                return batched(args, kwargs)
        out = make_leaf(np.asarray(fun(*(raw(a) if isinstance(a, Tensor) else a for a in args), **kwargs)))
        if STATE.observe:
            observed(prim, args, kwargs or None, out)
        return out
    op.__name__ = fun.__name__
    op.__doc__ = (f"``np.{fun.__name__}`` on tensor data; the result carries no gradient.\n\n"
                  f"Example:\n    >>> {example}\n    {shows}\n")
    op.primitive = prim
    defbatch(prim, elementwise_rule(op))
    return op


equal = _nodiff(np.equal, "ag.equal(ag.tensor([1.0, 2.0]), 2.0)", "Tensor([False,  True])")
not_equal = _nodiff(np.not_equal, "ag.not_equal(ag.tensor([1.0, 2.0]), 2.0)", "Tensor([ True, False])")
less = _nodiff(np.less, "ag.less(ag.tensor([1.0, 2.0]), 2.0)", "Tensor([ True, False])")
less_equal = _nodiff(np.less_equal, "ag.less_equal(ag.tensor([1.0, 2.0]), 2.0)", "Tensor([ True,  True])")
greater = _nodiff(np.greater, "ag.greater(ag.tensor([1.0, 2.0]), 1.0)", "Tensor([False,  True])")
greater_equal = _nodiff(np.greater_equal, "ag.greater_equal(ag.tensor([1.0, 2.0]), 2.0)", "Tensor([False,  True])")
isfinite = _nodiff(np.isfinite, "ag.isfinite(ag.tensor([1.0, np.inf, np.nan]))", "Tensor([ True, False, False])")
isnan = _nodiff(np.isnan, "ag.isnan(ag.tensor([1.0, np.inf, np.nan]))", "Tensor([False, False,  True])")
isinf = _nodiff(np.isinf, "ag.isinf(ag.tensor([1.0, -np.inf, np.nan]))", "Tensor([False,  True, False])")
logical_and = _nodiff(np.logical_and, "ag.logical_and(ag.tensor([True, True]), ag.tensor([True, False]))",
                      "Tensor([ True, False])")
logical_or = _nodiff(np.logical_or, "ag.logical_or(ag.tensor([True, False]), ag.tensor([False, False]))",
                     "Tensor([ True, False])")
logical_not = _nodiff(np.logical_not, "ag.logical_not(ag.tensor([True, False]))", "Tensor([False,  True])")
floor = _nodiff(np.floor, "ag.floor(ag.tensor([-1.5, 1.5]))", "Tensor([-2.,  1.])")
ceil = _nodiff(np.ceil, "ag.ceil(ag.tensor([-1.5, 1.5]))", "Tensor([-1.,  2.])")
round = _nodiff(np.round, "ag.round(ag.tensor([0.5, 1.5, 2.25]))", "Tensor([0., 2., 2.])")
