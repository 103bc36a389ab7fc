"""Hypothesis strategies for the linear-algebra, special-function, FFT and complex rows of the gradient table.

Like strategies.py, each draws ``(arrays, kwargs)``: shapes and options from hypothesis, values from a
numpy generator seeded by a drawn integer. Matrices are built inside the domain where the derivative
exists and finite differences are meaningful: singular values and eigenvalues bounded away from zero and
from each other, a triangle that the op does not read filled with unrelated values (so that a gradient
leaking into it would show).
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .strategies import seeds, shapes, values

lead_shapes = st.lists(st.integers(1, 3), max_size=2).map(tuple)
sides = st.integers(1, 4)


def _orthogonal(rng, lead, n):
    q, r = np.linalg.qr(rng.standard_normal(lead + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _spread(rng, lead, k, low=0.5, gap=0.5):
    """k values per matrix, at least ``gap`` apart and at least ``low``, in random order."""
    base = low + gap * np.argsort(rng.random(lead + (k,)), axis=-1)
    return base + 0.2 * gap * rng.random(lead + (k,))


def _with_junk(rng, a, lower):
    """``a`` with the triangle that a routine reading the ``lower`` (or upper) one ignores replaced by noise."""
    n = a.shape[-1]
    unread = np.triu(np.ones((n, n), bool), 1) if lower else np.tril(np.ones((n, n), bool), -1)
    return np.where(unread, rng.standard_normal(a.shape), a)


def general_matrices(rng, lead, n):
    """Well-conditioned square matrices: singular values in [0.5, 2], either sign of determinant."""
    s = 0.5 + 1.5 * rng.random(lead + (n,))
    return (_orthogonal(rng, lead, n) * s[..., None, :]) @ np.swapaxes(_orthogonal(rng, lead, n), -1, -2)


def rect_matrices(rng, lead, m, n):
    """(m, n) matrices with singular values >= 0.5 that are >= 0.5 apart (distinct: the SVD is smooth)."""
    k = min(m, n)
    u = _orthogonal(rng, lead, m)[..., :, :k]
    v = _orthogonal(rng, lead, n)[..., :, :k]
    return (u * _spread(rng, lead, k)[..., None, :]) @ np.swapaxes(v, -1, -2)


@st.composite
def square(draw, kind="general", option=None):
    """One stack of square matrices (..., n, n). ``kind``: 'general' (well conditioned), 'spd' (positive
    definite, eigenvalues >= 0.5), 'distinct' (symmetric, eigenvalues 0.5 apart, either sign), 'expm'
    (normal entries scaled by 0.2, 1 or 3). ``option``: 'upper' (cholesky's) or 'UPLO' (eigh's) is drawn,
    and the triangle not read is filled with noise."""
    lead, n = draw(lead_shapes), draw(sides)
    rng = np.random.default_rng(draw(seeds))
    kw = {}
    if kind == "general":
        a = general_matrices(rng, lead, n)
    elif kind == "expm":
        a = rng.standard_normal(lead + (n, n)) * draw(st.sampled_from([0.2, 1.0, 3.0]))
    else:
        q = _orthogonal(rng, lead, n)
        w = _spread(rng, lead, n) if kind == "spd" else _spread(rng, lead, n, low=-0.3 * n)
        a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
        a = (a + np.swapaxes(a, -1, -2)) / 2
    if option == "upper":
        kw["upper"] = draw(st.booleans())
        a = _with_junk(rng, a, not kw["upper"])
    elif option == "UPLO":
        kw["UPLO"] = draw(st.sampled_from(["L", "U"]))
        a = _with_junk(rng, a, kw["UPLO"] == "L")
    return (a,), kw


@st.composite
def _rhs(draw, rng, lead, n):
    """A right-hand side for (lead..., n, n): a vector (n,) or a stack (..., n, k) broadcasting with lead."""
    if draw(st.booleans()):
        return rng.standard_normal((n,))
    other = draw(hnp.broadcastable_shapes(lead, max_dims=2, max_side=3)) if lead else draw(lead_shapes)
    return rng.standard_normal(other + (n, draw(st.integers(1, 3))))


@st.composite
def solve_args(draw):
    lead, n = draw(lead_shapes), draw(sides)
    rng = np.random.default_rng(draw(seeds))
    return (general_matrices(rng, lead, n), draw(_rhs(rng, lead, n))), {}


@st.composite
def triangular_args(draw):
    """a with both triangles filled (diagonal entries of magnitude >= 1), b, and lower / trans / unit_diagonal."""
    lead, n = draw(lead_shapes), draw(sides)
    rng = np.random.default_rng(draw(seeds))
    a = 0.5 * rng.standard_normal(lead + (n, n))
    d = np.sign(rng.standard_normal(lead + (n,))) * (1.0 + rng.random(lead + (n,)))
    a = a * (1 - np.eye(n)) + d[..., None] * np.eye(n)
    kw = {"lower": draw(st.booleans()), "trans": draw(st.sampled_from([0, 1, 2, "N", "T", "C"])),
          "unit_diagonal": draw(st.booleans())}
    return (a, draw(_rhs(rng, lead, n))), kw


@st.composite
def cho_solve_args(draw):
    """A Cholesky factor (lower, or upper) with noise in its other triangle, and a right-hand side."""
    lead, n = draw(lead_shapes), draw(sides)
    rng = np.random.default_rng(draw(seeds))
    q = _orthogonal(rng, lead, n)
    c = np.linalg.cholesky((q * _spread(rng, lead, n)[..., None, :]) @ np.swapaxes(q, -1, -2))
    lower = draw(st.booleans())
    c = c if lower else np.swapaxes(c, -1, -2)
    return (_with_junk(rng, c, lower), draw(_rhs(rng, lead, n))), {"lower": lower}


@st.composite
def rect(draw, option=None, tall=False):
    """A stack of (m, n) matrices with distinct singular values >= 0.5; ``option`` 'full_matrices' or 'mode'
    is drawn; ``tall`` keeps m >= n."""
    lead, m, n = draw(lead_shapes), draw(sides), draw(sides)
    if tall and m < n:
        m, n = n, m
    rng = np.random.default_rng(draw(seeds))
    kw = {}
    if option == "full_matrices":
        kw["full_matrices"] = draw(st.booleans())
    elif option == "mode":
        kw["mode"] = draw(st.sampled_from(["reduced", "complete", "r"]))
    return (rect_matrices(rng, lead, m, n),), kw


@st.composite
def lstsq_args(draw):
    """A full-rank (m, n) matrix and b: a vector (m,) or a matrix (m, k)."""
    m, n = draw(sides), draw(sides)
    rng = np.random.default_rng(draw(seeds))
    b = rng.standard_normal((m,) if draw(st.booleans()) else (m, draw(st.integers(1, 3))))
    return (rect_matrices(rng, (), m, n), b), {}


@st.composite
def norm_args(draw):
    """An array with an order and axes numpy accepts, values with distinct magnitudes >= 0.25 (no kinks, no
    ties in max / min), singular values distinct for the spectral orders."""
    rng = np.random.default_rng(draw(seeds))
    kind = draw(st.sampled_from(["vector", "matrix", "flat"]))
    keepdims = draw(st.booleans())
    if kind == "flat":
        shape = draw(shapes(0, 3, 1))
        x = values(shape, "away0", draw(seeds))
        return (x,), {"ord": None, "axis": None, "keepdims": keepdims}
    if kind == "vector":
        shape = draw(shapes(1, 3, 1))
        size = int(np.prod(shape))
        mags = 0.5 + 0.37 * rng.permutation(size).reshape(shape) + 0.05 * rng.random(shape)
        x = mags * np.sign(rng.standard_normal(shape))
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        order = draw(st.sampled_from([None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1.5]))
        if len(shape) == 1 and draw(st.booleans()):
            axis = None
        return (x,), {"ord": order, "axis": axis, "keepdims": keepdims}
    lead, m, n = draw(lead_shapes), draw(sides), draw(sides)
    order = draw(st.sampled_from([None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]))
    if order in (1, -1, np.inf, -np.inf):
        mags = 0.5 + 0.37 * rng.permutation(int(np.prod(lead + (m, n)))).reshape(lead + (m, n))
        x = (mags + 0.05 * rng.random(mags.shape)) * np.sign(rng.standard_normal(mags.shape))
    else:
        x = rect_matrices(rng, lead, m, n)
    nd = x.ndim
    pos = draw(st.permutations(range(nd)))
    x = np.moveaxis(x, (nd - 2, nd - 1), (pos[0], pos[1]))
    axis = (pos[0], pos[1]) if draw(st.booleans()) else (pos[0] - nd, pos[1])
    if nd == 2 and draw(st.booleans()):
        x = np.moveaxis(x, (pos[0], pos[1]), (0, 1))
        axis = None
    return (x,), {"ord": order, "axis": axis, "keepdims": keepdims}


@st.composite
def matrix_power_args(draw):
    lead, n = draw(lead_shapes), draw(sides)
    rng = np.random.default_rng(draw(seeds))
    return (general_matrices(rng, lead, n),), {"n": draw(st.integers(-3, 5))}


@st.composite
def diagonal_args(draw, last_two=False):
    """An array of rank >= 2, an offset (past the edges too) and two distinct axes (unless ``last_two``)."""
    shape = draw(shapes(2, 4, 1))
    nd = len(shape)
    kw = {"offset": draw(st.integers(-3, 3))}
    if not last_two:
        a1, a2 = draw(st.permutations(range(nd)))[:2]
        kw["axis1"] = a1 - nd if draw(st.booleans()) else a1
        kw["axis2"] = a2
    return (values(shape, "real", draw(seeds)),), kw


# -- special functions ----------------------------------------------------------------------------------
SPECIAL_DOMAINS = {
    "gamma": lambda z, rng: 0.05 + 6.0 * np.abs(np.tanh(z)) + 20.0 * (z > 1.5),     # (0.05, 26)
    # digamma / polygamma: positive, or negative at least 0.15 from the poles
    "psi": lambda z, rng: np.where(z > -1.0, 0.05 + 6.0 * np.abs(np.tanh(z)),
                                   np.floor(-3 * rng.random(z.shape)) - 0.15 - 0.7 * rng.random(z.shape)),
    "open_unit": lambda z, rng: 0.98 * np.tanh(z),                                    # (-0.98, 0.98)
    "probability": lambda z, rng: 0.01 + 0.98 / (1.0 + np.exp(-2.0 * z)),             # (0.01, 0.99)
    "wide": lambda z, rng: 12.0 * z,                                                  # log_ndtr's tails
}


def _special_values(shape, domain, seed):
    rng = np.random.default_rng(seed)
    return np.asarray(SPECIAL_DOMAINS[domain](rng.standard_normal(shape), rng), dtype=np.float64)


@st.composite
def special_unary(draw, domain, **kwargs):
    """One array (empty shapes included) with values in one of SPECIAL_DOMAINS; ``kwargs`` fixed options,
    or strategies for options (drawn)."""
    shape = draw(shapes(0, 3, 0))
    kw = {k: draw(v) if isinstance(v, st.SearchStrategy) else v for k, v in kwargs.items()}
    return (_special_values(shape, domain, draw(seeds)),), kw


@st.composite
def logsumexp_args(draw, signed=False):
    """a, and weights b broadcasting against it (positive; any sign but away from 0 with ``signed``), with
    axis and keepdims."""
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, min_side=1, max_side=3))
    a = values(bs.input_shapes[0], "real", draw(seeds))
    b = values(bs.input_shapes[1], "away0" if signed else "positive", draw(seeds))
    nd = len(bs.result_shape)
    axis = draw(st.none() | st.integers(-nd, nd - 1))
    return (a, b), {"axis": axis, "keepdims": draw(st.booleans())}


# -- complex values and FFTs ----------------------------------------------------------------------------
@st.composite
def complex_parts(draw, base, domain="real"):
    """The real and imaginary parts of the arrays drawn by ``base`` (a strategy of (arrays, kwargs)): each
    array becomes two, the drawn one as the real part and a fresh one of the same shape as the imaginary."""
    arrays, kw = draw(base)
    out = []
    for a in arrays:
        out += [a, values(a.shape, domain, draw(seeds))]
    return tuple(out), kw


@st.composite
def fft_args(draw, complex_input=True, two_d=False, half_spectrum=False):
    """An array (real and imaginary parts when ``complex_input``) with n (or s), axis (or axes) and norm;
    with ``half_spectrum`` (irfft's input) axes of at least 2 entries (numpy's default length is 2 (m - 1))."""
    shape = draw(shapes(2 if two_d else 1, 3, 2 if half_spectrum else 1, 5))
    nd = len(shape)
    kw = {"norm": draw(st.sampled_from([None, "backward", "ortho", "forward"]))}
    if two_d:
        a1, a2 = draw(st.permutations(range(nd)))[:2]
        kw["axes"] = (a1, a2 - nd)
        kw["s"] = draw(st.none() | st.tuples(st.integers(1, 5), st.integers(1, 5)))
    else:
        kw["axis"] = draw(st.integers(-nd, nd - 1))
        kw["n"] = draw(st.none() | st.integers(1, 6))
    parts = (values(shape, "real", draw(seeds)),)
    if complex_input:
        parts += (values(shape, "real", draw(seeds)),)
    return parts, kw
