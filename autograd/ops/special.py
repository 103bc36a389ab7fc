"""Special functions with derivatives, in numpy alone (scipy is not needed at run time): gammaln, digamma,
polygamma, erfinv, erfc, log_ndtr, ndtr, ndtri, logit, expit, xlogy, xlog1py, and logsumexp with scipy's
``b=`` / ``return_sign=``.

Accuracy (float64, checked against scipy.special in tests/autograd/test_special.py): within 1e-10
relative over the stated domains: gammaln for x > 0 (within 1e-3 of its zeros at 1 and 2, where scipy keeps
only absolute accuracy, it matches the Taylor series to 1e-9 relative) and negative non-integers (absolute
1e-12 there); digamma for x > 0, next to its zero at x = 1.4616... too (negative non-integers: 1e-9, from
the reflection); polygamma for x > 0 and negative non-integers; erfinv on (-1, 1) up to 1 - 1e-16; erfc;
log_ndtr from -40 (and below) to 37; ndtri; logit on (0, 1), near 1/2 too.
float32 inputs are computed in float64 and rounded back.

Derivatives: gammaln' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' = polygamma(n + 1, .),
erfinv' = sqrt(pi) / 2 exp(erfinv^2), log_ndtr' = phi / Phi (computed as exp(-x^2/2 - log_ndtr) / sqrt(2 pi),
finite for very negative x); each primitive has its vjp, jvp (elementwise) and batching rule.

Example:
    >>> ag.grad(lambda x: ag.special.gammaln(x))(3.0)        # digamma(3) = 1.5 - euler_gamma
    Tensor(0.92278434)
"""
import math
from fractions import Fraction

import numpy as np

from ..batching import shape_of
from ._make import binary_op, raw, unary_op
from .elementwise import (abs as _abs, add, divide, equal, exp, isfinite, log, log1p, multiply, negative, sigmoid,
                          sign as _sign, square, subtract, where)
from .reductions import max as _max, sum as _sum
from .shape import reshape

__all__ = ["gammaln", "digamma", "psi", "polygamma", "erfinv", "erfc", "log_ndtr", "ndtr", "ndtri", "logit", "expit",
           "xlogy", "xlog1py", "logsumexp", "zeta"]

_EULER = 0.57721566490153286060651209008240243
_LOG_2PI = math.log(2.0 * math.pi)


def _f64(x):
    """(x as float64, the dtype to return): float32 is computed in float64 and rounded back."""
    x = np.asarray(x)
    out = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return x.astype(np.float64), out


def _flat64(fn):
    """``fn`` written for a 1-d float64 array, applied to any array: float32 is computed in float64 and
    rounded back, 0-d and n-d arrays are flattened and reshaped."""
    def wrapper(x, **options):
        x = np.asarray(x)
        dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        out = fn(x.astype(np.float64).reshape(-1), **options)
        return np.asarray(out).reshape(x.shape).astype(dt, copy=False)
    wrapper.__name__ = fn.__name__
    return wrapper


# -- Bernoulli numbers and the Hurwitz zeta function -----------------------------------------------------
def _bernoulli_even(count):
    """B_2, B_4, ..., B_2count as Fractions (Akiyama-Tanigawa)."""
    n_max = 2 * count
    out, a = {}, [Fraction(0)] * (n_max + 1)
    for m in range(n_max + 1):
        a[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out[m] = a[0]
    return [out[2 * k] for k in range(1, count + 1)]


_B2K = _bernoulli_even(14)
#: B_2j / (2j)! for the Euler-Maclaurin tail of the Hurwitz zeta function
_EM = [float(b / math.factorial(2 * j)) for j, b in enumerate(_B2K, start=1)]


def _hurwitz(s, q):
    """zeta(s, q) = sum_{k >= 0} (q + k)^-s for s > 1 (an integer s also for negative non-integer q),
    vectorized: the first terms summed directly until q + N >= max(12, s), then Euler-Maclaurin."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    if s.size == 0:
        return np.zeros(s.shape)
    n = int(math.ceil(max(12.0, float(np.max(s)) + 2.0, 12.0 - float(np.min(q)))))
    total = np.zeros(s.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k in range(n):
            total += np.power(q + k, -s)
        a = q + n
        total += np.power(a, 1.0 - s) / (s - 1.0) + 0.5 * np.power(a, -s)
        rising = s.copy()                                 # s (s+1) ... (s + 2j - 2)
        apow = np.power(a, -s - 1.0)
        inv_a2 = 1.0 / (a * a)
        for j, c in enumerate(_EM, start=1):
            total += c * rising * apow
            rising = rising * (s + 2 * j - 1) * (s + 2 * j)
            apow = apow * inv_a2
    return total


def zeta(x, q):
    """The Hurwitz zeta function sum_{k >= 0} (q + k)^-x for x > 1, q > 0 (no gradient), as
    ``scipy.special.zeta(x, q)``.

    Example:
        >>> ag.special.zeta(2.0, 1.0)          # pi^2 / 6
        Tensor(1.64493407)
    """
    from ..tensor import make_leaf
    xd, out = _f64(raw(x))
    return make_leaf(_hurwitz(xd, raw(q)).astype(out))


# -- gammaln ------------------------------------------------------------------------------------------
#: coefficients of log Gamma(2 + e) = sum_k c_k e^k: c_1 = 1 - gamma, c_k = (-1)^k (zeta(k) - 1) / k
_LG2 = np.array([0.0, 1.0 - _EULER] + [(-1) ** k * float(_hurwitz(float(k), 2.0)) / k for k in range(2, 40)])
_STIRLING = [float(b / (2 * j * (2 * j - 1))) for j, b in enumerate(_B2K[:10], start=1)]


def _poly(coefs, e):
    out = np.zeros_like(e)
    for c in coefs[::-1]:
        out = out * e + c
    return out


def _lgamma_pos(x):
    """log Gamma(x) for x > 0, accurate relative to its value (also next to its zeros at 1 and 2)."""
    out = np.empty_like(x)
    big = x >= 12.0
    if big.any():
        z = x[big]
        inv = 1.0 / z
        inv2 = inv * inv
        corr = np.zeros_like(z)
        for c in _STIRLING[::-1]:
            corr = corr * inv2 + c
        out[big] = (z - 0.5) * np.log(z) - z + 0.5 * _LOG_2PI + corr * inv
    small = ~big
    if small.any():
        # log Gamma(z) = G2(e) + res, G2 the series of log Gamma(2 + e), e in [-0.5, 0.5): below 1.5 by the
        # recurrence upwards (e = z or z - 1, exact), from 2.5 downwards (z - k is exact there)
        z = x[small]
        e = np.empty_like(z)
        res = np.zeros_like(z)
        tiny = z < 0.5
        e[tiny] = z[tiny]
        res[tiny] = -np.log(z[tiny]) - np.log1p(z[tiny])
        one = (z >= 0.5) & (z < 1.5)
        e[one] = z[one] - 1.0
        res[one] = -np.log1p(e[one])
        rest = z >= 1.5
        w = z[rest]
        acc = np.zeros_like(w)
        down = w >= 2.5
        while down.any():
            w[down] -= 1.0
            acc[down] += np.log(w[down])
            down = w >= 2.5
        e[rest] = w - 2.0
        res[rest] = acc
        out[small] = _poly(_LG2, e) + res
    return out


@_flat64
def _gammaln_np(x):
    out = np.full(x.shape, np.inf)
    pos = (x > 0) & (x < np.inf)
    if pos.any():
        out[pos] = _lgamma_pos(x[pos])
    neg = (x < 0) & (x != np.floor(x))
    if neg.any():
        z = x[neg]
        frac = z - np.floor(z)                       # |sin(pi z)| = sin(pi frac)
        out[neg] = math.log(math.pi) - np.log(np.sin(math.pi * frac)) - _lgamma_pos(1.0 - z)
    out[x == np.inf] = np.inf
    out[np.isnan(x)] = np.nan
    return out


# -- digamma / polygamma ------------------------------------------------------------------------------
_ROOT_HI = 1.4616321449683623
_ROOT_LO = float(Fraction("1.461632144968362341262659542325721325") - Fraction(_ROOT_HI))
#: digamma(x0 + d) = sum_k c_k d^k around its positive zero: c_k = (-1)^(k+1) zeta(k + 1, x0)
_PSI_ROOT = np.array([0.0] + [(-1) ** (k + 1) * float(_hurwitz(k + 1.0, _ROOT_HI + _ROOT_LO)) for k in range(1, 32)])
_ASYM_PSI = [float(b / (2 * j)) for j, b in enumerate(_B2K[:10], start=1)]


@_flat64
def _digamma_np(x):
    out = np.empty_like(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        neg = x < 0
        z = np.where(neg, 1.0 - x, x)                # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
        res = np.zeros_like(z)
        w = z.copy()
        low = w < 12.0
        while low.any():
            res[low] -= 1.0 / w[low]
            w[low] += 1.0
            low = w < 12.0
        inv2 = 1.0 / (w * w)
        corr = np.zeros_like(w)
        for c in _ASYM_PSI[::-1]:
            corr = corr * inv2 + c
        out = np.log(w) - 0.5 / w - corr * inv2 + res
        d = (z - _ROOT_HI) - _ROOT_LO
        near = np.abs(d) < 0.25
        if near.any():
            out[near] = _poly(_PSI_ROOT, d[near])
        if neg.any():
            frac = x[neg] - np.floor(x[neg])
            out[neg] = out[neg] - math.pi / np.tan(math.pi * frac)
            out[neg & (x == np.floor(x))] = np.nan
        out[x == 0] = np.where(np.signbit(x[x == 0]), np.inf, -np.inf)
    return out


@_flat64
def _polygamma_np(x, n=0):
    if n == 0:
        return _digamma_np(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (-1.0) ** (n + 1) * math.factorial(n) * _hurwitz(float(n + 1), x)
        poles = (x <= 0) & (x == np.floor(x))
        out = np.where(poles, np.inf if n % 2 else np.nan, out) if poles.any() else out
    return out


polygamma_op = unary_op(_polygamma_np, "polygamma",
                        lambda g, ans, x, n=0: multiply(g, polygamma_op(x, n=n + 1)),
                        "The n-th derivative of digamma at x (n an option).")


def polygamma(n, x):
    """The n-th derivative of the digamma function, as ``scipy.special.polygamma(n, x)`` (n = 0: digamma);
    ``n`` a non-negative integer (no gradient), ``x`` differentiable.

    Example:
        >>> ag.special.polygamma(1, ag.tensor(1.0))      # pi^2 / 6
        Tensor(1.64493407)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        arr = np.asarray(n)
        if arr.ndim == 0 and arr.dtype.kind in "iuf" and float(arr) == int(arr) and arr >= 0:
            n = int(arr)
        else:
            raise ValueError(f"special.polygamma: n must be a non-negative integer, received {n!r}")
    return polygamma_op(x, n=int(n))


def digamma(x):
    """The digamma function psi = d/dx log Gamma, as ``scipy.special.digamma`` (-inf at 0, NaN at negative
    integers).

    Example:
        >>> ag.special.digamma(ag.tensor(1.0))          # -euler_gamma
        Tensor(-0.57721566)
    """
    return polygamma_op(x, n=0)


psi = digamma

gammaln = unary_op(_gammaln_np, "gammaln", lambda g, ans, x: multiply(g, polygamma_op(x, n=0)),
                   """log |Gamma(x)|, as ``scipy.special.gammaln`` (+inf at 0 and the negative integers); its
    derivative is digamma.

    Example:
        >>> ag.special.gammaln(ag.tensor([1.0, 5.0]))      # log 0! and log 4!
        Tensor([0.        , 3.17805383])
    """)


# -- erfc, erfinv, ndtr, log_ndtr, ndtri --------------------------------------------------------------
_SQRT_PI = math.sqrt(math.pi)
_SERIES_TERMS = 80
_CF_DEPTH = 90


def _erf_series(z):
    """erf(z) = 2/sqrt(pi) exp(-z^2) sum 2^n z^(2n+1) / (2n+1)!! (all terms positive: no cancellation), 0 <= z < 1.5."""
    term = z.copy()
    total = z.copy()
    z2 = z * z
    for n in range(1, _SERIES_TERMS):
        term = term * (2.0 * z2 / (2 * n + 1))
        total += term
    return 2.0 / _SQRT_PI * np.exp(-z2) * total


def _erfc_cf(z):
    """sqrt(pi) exp(z^2) erfc(z) for z >= 1.5, from the continued fraction 1 / (z + (1/2) / (z + 1 / (z + ...)))."""
    f = z.copy()
    for k in range(_CF_DEPTH, 0, -1):
        f = z + (0.5 * k) / f
    return 1.0 / f


def _erfc64(z):
    a = np.abs(z)
    far = a >= 1.5
    e = np.empty_like(a)
    e[far] = np.exp(-a[far] * a[far]) * _erfc_cf(a[far]) / _SQRT_PI
    e[~far] = 1.0 - _erf_series(a[~far])
    return np.where(z < 0, 2.0 - e, e)


@_flat64
def _erfc_np(x):
    out = _erfc64(x)
    out[np.isnan(x)] = np.nan
    return out


erfc = unary_op(_erfc_np, "erfc",
                lambda g, ans, x: multiply(g, multiply(exp(negative(square(x))), -2.0 / _SQRT_PI)),
                """The complementary error function 1 - erf(x), accurate where it is tiny (large x).

    Example:
        >>> ag.special.erfc(ag.tensor(0.0))
        Tensor(1.)
    """)


@_flat64
def _log_ndtr_np(x):
    out = np.empty_like(x)
    z = -x / math.sqrt(2.0)                             # Phi(x) = erfc(z) / 2
    far = z >= 1.5
    if far.any():
        zf = z[far]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[far] = -zf * zf + np.log(_erfc_cf(zf) / _SQRT_PI) - math.log(2.0)
    pos = x > 0
    if pos.any():
        out[pos] = np.log1p(-0.5 * _erfc64(-z[pos]))
    mid = ~far & ~pos
    if mid.any():
        out[mid] = np.log(0.5 * _erfc64(z[mid]))
    out[np.isnan(x)] = np.nan
    return out


def _log_ndtr_vjp(g, ans, x):
    # phi(x) / Phi(x) = exp(-x^2 / 2 - log Phi(x)) / sqrt(2 pi): finite where phi and Phi both underflow
    return multiply(g, exp(subtract(multiply(square(x), -0.5), add(ans, 0.5 * _LOG_2PI))))


log_ndtr = unary_op(_log_ndtr_np, "log_ndtr", _log_ndtr_vjp,
                    """log of the standard normal CDF, as ``scipy.special.log_ndtr``, accurate far into the left
    tail (log_ndtr(-40) = -804.6...) and where it is tiny (large x); derivative phi(x) / Phi(x).

    Example:
        >>> ag.special.log_ndtr(ag.tensor(0.0))           # log 1/2
        Tensor(-0.69314718)
    """)


def ndtr(x):
    """The standard normal CDF Phi(x), as ``scipy.special.ndtr`` (exp of log_ndtr).

    Example:
        >>> ag.special.ndtr(ag.tensor(0.0))
        Tensor(0.5)
    """
    return exp(log_ndtr(x))


_AS241 = {
    "a": [3.3871328727963666080, 1.3314166789178437745e+2, 1.9715909503065514427e+3, 1.3731693765509461125e+4,
          4.5921953931549871457e+4, 6.7265770927008700853e+4, 3.3430575583588128105e+4, 2.5090809287301226727e+3],
    "b": [1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
          2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4, 5.2264952788528545610e+3],
    "c": [1.42343711074968357734, 4.63033784615654529590, 5.76949722146069140550, 3.64784832476320460504,
          1.27045825245236838258, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4],
    "d": [1.0, 2.05319162663775882187, 1.67638483018380384940, 6.89767334985100004550e-1,
          1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9],
    "e": [6.65790464350110377720, 5.46378491116411436990, 1.78482653991729133580, 2.96560571828504891230e-1,
          2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7],
    "f": [1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
          7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15],
}


def _ppnd(q, tail):
    """The standard normal quantile (Wichura's AS241, about 16 digits) given q = p - 1/2 and the smaller tail
    probability min(p, 1 - p), each passed exactly (so that p near 1 loses nothing)."""
    c = _AS241
    out = np.empty_like(q)
    central = np.abs(q) <= 0.425
    if central.any():
        qc = q[central]
        r = 0.180625 - qc * qc
        out[central] = qc * _poly(c["a"], r) / _poly(c["b"], r)
    rest = ~central
    if rest.any():
        with np.errstate(divide="ignore"):
            r = np.sqrt(-np.log(tail[rest]))
        val = np.where(r <= 5.0, _poly(c["c"], r - 1.6) / _poly(c["d"], r - 1.6),
                       _poly(c["e"], r - 5.0) / _poly(c["f"], r - 5.0))
        out[rest] = np.where(q[rest] < 0, -val, val)
    return out


@_flat64
def _erfinv_np(y):
    with np.errstate(invalid="ignore"):
        # p = (1 + y) / 2: q = y / 2 and the tail (1 - |y|) / 2, both exact in floating point
        out = _ppnd(0.5 * y, 0.5 * (1.0 - np.abs(y))) / math.sqrt(2.0)
        out[np.abs(y) == 1] = np.copysign(np.inf, y[np.abs(y) == 1])
        out[(np.abs(y) > 1) | np.isnan(y)] = np.nan
    return out


erfinv = unary_op(_erfinv_np, "erfinv",
                  lambda g, ans, x: multiply(g, multiply(exp(square(ans)), _SQRT_PI / 2.0)),
                  """The inverse error function on (-1, 1) (+-inf at +-1), as ``scipy.special.erfinv``,
    accurate up to 1 - 1e-16; derivative sqrt(pi) / 2 exp(erfinv(y)^2).

    Example:
        >>> ag.special.erfinv(ag.tensor(0.5))
        Tensor(0.47693628)
    """)


@_flat64
def _ndtri_np(p):
    with np.errstate(invalid="ignore"):
        out = _ppnd(p - 0.5, np.minimum(p, 1.0 - p))
        out[p == 0] = -np.inf
        out[p == 1] = np.inf
        out[(p < 0) | (p > 1) | np.isnan(p)] = np.nan
    return out


ndtri = unary_op(_ndtri_np, "ndtri",
                 lambda g, ans, x: multiply(g, exp(add(multiply(square(ans), 0.5), 0.5 * _LOG_2PI))),
                 """The standard normal quantile (inverse of ndtr) on (0, 1), as ``scipy.special.ndtri``;
    derivative 1 / phi(ndtri(p)).

    Example:
        >>> ag.special.ndtri(ag.tensor(0.5))
        Tensor(0.)
    """)


# -- logit, expit, xlogy ------------------------------------------------------------------------------
@_flat64
def _logit_np(p):
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = (p > 0.25) & (p < 0.75)
        # NOTE: log1p((2p - 1) / (1 - p)) near 1/2 (2p - 1 is exact there), where log(p / (1 - p)) cancels
        out = np.where(mid, np.log1p((2.0 * p - 1.0) / (1.0 - p)), np.log(p / (1.0 - p)))
    return out


logit = unary_op(_logit_np, "logit",
                 lambda g, ans, x: divide(g, multiply(x, subtract(1.0, x))),
                 """log(p / (1 - p)), as ``scipy.special.logit`` (accurate near 1/2 as well); derivative
    1 / (p (1 - p)).

    Example:
        >>> ag.special.logit(ag.tensor([0.5, 0.75]))
        Tensor([0.        , 1.09861229])
    """)


def expit(x):
    """The logistic function 1 / (1 + exp(-x)), as ``scipy.special.expit`` (``ag.sigmoid``).

    Example:
        >>> ag.special.expit(ag.tensor(0.0))
        Tensor(0.5)
    """
    return sigmoid(x)


def _xlogy_np(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where(x == 0, np.zeros((), out.dtype), out)


def _xlogy_vjp_x(g, ans, x, y):
    # NOTE: d/dx x log y = log y, taken as 0 where y == 0 (x log y is then 0 at x == 0 and infinite elsewhere)
    if np.all(raw(y) != 0):
        return multiply(g, log(y))
    zero = equal(y, 0.0)
    return where(zero, 0.0, multiply(g, log(where(zero, 1.0, y))))


def _xlogy_vjp_y(g, ans, x, y):
    # x / y, taken as 0 where x == 0
    if np.all(raw(x) != 0):
        return multiply(g, divide(x, y))
    zero = equal(x, 0.0)
    return where(zero, 0.0, multiply(g, divide(x, where(zero, 1.0, y))))


xlogy = binary_op(_xlogy_np, "xlogy", _xlogy_vjp_x, _xlogy_vjp_y,
                  """x * log(y), 0 where x == 0 (even at y == 0), as ``scipy.special.xlogy``; gradients log(y)
    and x / y (each 0 where x == 0 and y == 0).

    Example:
        >>> ag.special.xlogy(ag.tensor([0.0, 2.0]), ag.tensor([0.0, np.e]))
        Tensor([0., 2.])
    """)


def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0, as ``scipy.special.xlog1py`` (a composition: where, multiply, log1p).

    Example:
        >>> ag.special.xlog1py(ag.tensor(2.0), ag.tensor(np.e - 1.0))
        Tensor(2.)
    """
    zero = equal(x, 0.0)
    return where(zero, 0.0, multiply(x, log1p(where(zero, 0.0, y))))


# -- logsumexp with weights ---------------------------------------------------------------------------
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis``, without overflow, as ``scipy.special.logsumexp``: with weights
    ``b`` (broadcast against ``a``; negative weights allowed) and ``return_sign`` (then returns
    ``(log|sum|, sign)``; without it a negative sum gives NaN, as scipy). Differentiable in ``a`` and ``b``.

    Example:
        >>> ag.special.logsumexp(ag.tensor([0.0, 0.0]), b=ag.tensor([1.0, 3.0]))       # log 4
        Tensor(1.38629436)
    """
    from .reductions import logsumexp as _lse
    if b is None and not return_sign:
        return _lse(a, axis=axis, keepdims=keepdims)
    return weighted_logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def weighted_logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """The composition behind ``logsumexp(..., b=, return_sign=)``: a shift by the (constant) maximum, the
    weighted sum, and its log, so its derivatives come from those ops."""
    nd = len(shape_of(a))
    if b is not None:
        nd = max(nd, len(shape_of(b)))
        shape = np.broadcast_shapes(tuple(shape_of(a)), tuple(shape_of(b)))
        if tuple(shape_of(a)) != shape:
            from .shape import broadcast_to
            a = broadcast_to(a, shape)
    axes = None if axis is None else axis
    m = _max(a, axis=axes, keepdims=True).detach()
    m = where(isfinite(m), m, 0.0)
    e = exp(subtract(a, m))
    s = _sum(e if b is None else multiply(b, e), axis=axes, keepdims=True)
    out = add(log(_abs(s) if return_sign else s), m)
    sgn = _sign(s)
    if not keepdims:
        ax = tuple(range(nd)) if axes is None else tuple(
            int(i) % nd for i in ((axes,) if isinstance(axes, (int, np.integer)) else axes))
        keep = tuple(n for i, n in enumerate(shape_of(out)) if i not in ax)
        out = reshape(out, keep)
        sgn = reshape(sgn, keep)
    return (out, sgn) if return_sign else out
