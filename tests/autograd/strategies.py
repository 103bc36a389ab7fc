"""Hypothesis strategies for the gradient property tests: drawn shapes, values inside an op's domain.

Each strategy draws ``(arrays, kwargs)``: the float64 inputs of an op and its non-array options.
Shapes come from hypothesis (so they shrink); values come from a numpy generator seeded by a drawn
integer and are mapped into the op's domain (see ``DOMAINS``), away from kinks where the op is not
differentiable, so that central differences are meaningful.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 4


def _grid(z, offset):
    # multiples of 0.5 shifted by ``offset``: two grids with different offsets never come closer than 0.25
    return np.round(z * 2.0) / 2.0 + offset


#: name -> map from standard-normal draws into the op's domain
DOMAINS = {
    "real": lambda z, rng: z,
    "positive": lambda z, rng: np.exp(0.5 * z),                      # (0, inf), not near 0
    "unit": lambda z, rng: 0.9 * np.tanh(z),                         # (-0.9, 0.9)
    "away0": lambda z, rng: np.sign(z + (z == 0)) * (0.25 + np.abs(z)),  # |x| >= 0.25: kinks at 0
    "grid_a": lambda z, rng: _grid(z, 0.25),                         # 0.25 away from grid_b and k/2
    "grid_b": lambda z, rng: _grid(z, 0.0),
    "distinct": lambda z, rng: (rng.permutation(z.size).reshape(z.shape) * 0.5 - z.size / 4.0
                                + 0.01 * np.tanh(z)),                # no ties, gaps >= 0.48
}


def values(shape, domain, seed):
    """An array of ``shape`` with values in ``domain``, determined by ``seed``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(shape)
    return np.asarray(DOMAINS[domain](z, rng), dtype=np.float64)


seeds = st.integers(0, 2 ** 32 - 1)


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@st.composite
def unary(draw, domain="real", min_dims=0, max_dims=3, min_side=0, **kwargs):
    """One array (empty shapes included unless ``min_side`` is 1); ``kwargs`` are fixed options."""
    shape = draw(shapes(min_dims, max_dims, min_side))
    return (values(shape, domain, draw(seeds)),), dict(kwargs)


@st.composite
def nary(draw, *domains, min_side=0, max_dims=3):
    """Arrays with mutually broadcastable shapes (0-d, size-1 axes and empty axes drawn)."""
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=len(domains), min_dims=0, max_dims=max_dims,
                                                min_side=min_side, max_side=MAX_SIDE))
    return tuple(values(s, d, draw(seeds)) for s, d in zip(bs.input_shapes, domains)), {}


def binary(domain_a="real", domain_b="real", min_side=0):
    return nary(domain_a, domain_b, min_side=min_side)


@st.composite
def reduction(draw, domain="real", min_side=1, ddof=False, min_dims=0):
    """An array with ``axis`` (None, an int or a tuple, negative allowed) and ``keepdims``."""
    shape = draw(shapes(min_dims, 3, min_side))
    nd = len(shape)
    axis_st = st.none()
    if nd:
        axis_st = st.one_of(st.none(), st.integers(-nd, nd - 1),
                            st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple))
    kw = {"axis": draw(axis_st), "keepdims": draw(st.booleans())}
    if ddof:
        kw["ddof"] = draw(st.integers(0, 1))
    return (values(shape, domain, draw(seeds)),), kw


@st.composite
def along_axis(draw, domain="real", min_dims=1):
    """An array of rank >= ``min_dims`` with one ``axis`` (negative allowed)."""
    shape = draw(shapes(min_dims, 3, 1))
    return (values(shape, domain, draw(seeds)),), {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


@st.composite
def new_axis(draw):
    """An array (0-d included) and a position for a new axis."""
    shape = draw(shapes(0, 3, 1))
    return (values(shape, "real", draw(seeds)),), {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}


@st.composite
def inner_pair(draw):
    """Operands of ``inner``: equal last axes (or a 0-d operand)."""
    k = draw(st.integers(1, MAX_SIDE))
    lead = st.lists(st.integers(1, 3), max_size=2).map(tuple)
    a = draw(st.just(()) | lead.map(lambda t: t + (k,)))
    b = draw(lead.map(lambda t: t + (k,)))
    return (values(a, "real", draw(seeds)), values(b, "real", draw(seeds))), {}


@st.composite
def permutation(draw):
    shape = draw(shapes(0, 4, 1))
    return (values(shape, "real", draw(seeds)),), {"axes": tuple(draw(st.permutations(range(len(shape)))))}


@st.composite
def two_axes(draw):
    shape = draw(shapes(1, 4, 1))
    nd = len(shape)
    return (values(shape, "real", draw(seeds)),), {"a": draw(st.integers(-nd, nd - 1)),
                                                   "b": draw(st.integers(-nd, nd - 1))}


@st.composite
def reshaped(draw):
    """An array and a new shape with the same size (one -1 sometimes)."""
    shape = draw(shapes(0, 3, 1))
    size = int(np.prod(shape))
    factors = [d for d in range(1, size + 1) if size % d == 0]
    first = draw(st.sampled_from(factors))
    new = (first, size // first) if draw(st.booleans()) else (size,)
    if len(new) == 2 and draw(st.booleans()):
        new = (-1, new[1])
    return (values(shape, "real", draw(seeds)),), {"shape": new}


@st.composite
def broadcast_target(draw):
    """An array and a shape it broadcasts to."""
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1,
                                                max_side=MAX_SIDE))
    return (values(bs.input_shapes[0], "real", draw(seeds)),), {"shape": bs.result_shape}


@st.composite
def summed_to(draw):
    """A broadcast-shaped array and the smaller shape to sum it down to."""
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1,
                                                max_side=MAX_SIDE))
    return (values(bs.result_shape, "real", draw(seeds)),), {"shape": bs.input_shapes[0]}


@st.composite
def joined(draw, n_max=3, same_shape=False):
    """2..n_max arrays that agree except along ``axis`` (or everywhere, for stack)."""
    base = list(draw(shapes(1, 3, 1)))
    nd = len(base)
    axis = draw(st.integers(-nd, nd - 1))
    arrays = []
    for _ in range(draw(st.integers(2, n_max))):
        shape = list(base)
        if not same_shape:
            shape[axis] = draw(st.integers(0, MAX_SIDE))
        arrays.append(values(tuple(shape), "real", draw(seeds)))
    return tuple(arrays), {"axis": draw(st.integers(-nd - 1, nd)) if same_shape else axis}


@st.composite
def padded(draw):
    shape = draw(shapes(1, 3, 1))
    widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape)
    return (values(shape, "real", draw(seeds)),), {"pad_width": widths}


@st.composite
def repeated(draw):
    shape = draw(shapes(0, 3, 1))
    nd = len(shape)
    axis = draw(st.none() | st.integers(-nd, nd - 1)) if nd else None
    n = int(np.prod(shape)) if axis is None else shape[axis]
    scalar = st.integers(0, 3)
    per_item = st.lists(st.integers(0, 3), min_size=n, max_size=n)
    return (values(shape, "real", draw(seeds)),), {"repeats": draw(scalar | per_item), "axis": axis}


@st.composite
def tiled(draw):
    shape = draw(shapes(0, 3, 1))
    reps = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=3)))
    return (values(shape, "real", draw(seeds)),), {"reps": reps or (2,)}


@st.composite
def flipped(draw):
    shape = draw(shapes(1, 3, 1))
    nd = len(shape)
    axis = draw(st.none() | st.integers(-nd, nd - 1)
                | st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple))
    return (values(shape, "real", draw(seeds)),), {"axis": axis}


@st.composite
def taken(draw):
    """An array, integer indices (repeats and negatives included) and an axis (None flattens)."""
    shape = draw(shapes(1, 3, 1))
    nd = len(shape)
    axis = draw(st.none() | st.integers(-nd, nd - 1))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    ind_shape = draw(shapes(0, 2, 0, 5))
    rng = np.random.default_rng(draw(seeds))
    indices = rng.integers(-n, n, size=ind_shape)
    return (values(shape, "real", draw(seeds)),), {"indices": indices, "axis": axis}


@st.composite
def basic_index(draw):
    """An array and a basic index: ints, slices (negative steps too), Ellipsis and None."""
    shape = draw(shapes(1, 3, 1))
    items = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            items.append(slice(draw(st.none() | st.integers(-n, n)), draw(st.none() | st.integers(-n, n)),
                               draw(st.sampled_from([None, 1, 2, -1]))))
        else:
            items.append(slice(None))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    if draw(st.booleans()) and items:
        items[-1] = Ellipsis
    return (values(shape, "real", draw(seeds)),), {"index": tuple(items)}


@st.composite
def advanced_index(draw):
    """An array and an integer-array index (with repeats) or a boolean mask, mixed with slices."""
    shape = draw(shapes(1, 3, 1))
    rng = np.random.default_rng(draw(seeds))
    kind = draw(st.sampled_from(["ints", "mask", "mixed", "full_mask"]))
    if kind == "ints":
        index = rng.integers(-shape[0], shape[0], size=draw(st.integers(0, 6)))
    elif kind == "mask":
        index = rng.random(shape[:1]) < 0.5
    elif kind == "full_mask":
        index = rng.random(shape) < 0.5
    else:
        index = (slice(None),) * (len(shape) - 1) + (rng.integers(0, shape[-1], size=4),)
    return (values(shape, "real", draw(seeds)),), {"index": index}


@st.composite
def matmul_pair(draw):
    """Operands for matmul: batched with broadcasting batch axes, or 1-d vectors on either side."""
    n, k, m = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    ba, bb = bs.input_shapes
    a_shape = draw(st.sampled_from([(k,), ba + (n, k)]))
    b_shape = draw(st.sampled_from([(k,), bb + (k, m)]))
    return (values(a_shape, "real", draw(seeds)), values(b_shape, "real", draw(seeds))), {}


@st.composite
def dot_pair(draw):
    k = draw(st.integers(1, MAX_SIDE))
    a_shape = draw(st.sampled_from([(), (k,), (2, k), (3, 2, k)]))
    if a_shape == ():
        b_shape = draw(shapes(0, 2, 1))
    else:
        b_shape = draw(st.sampled_from([(k,), (k, 3), (2, k, 3)]))
    return (values(a_shape, "real", draw(seeds)), values(b_shape, "real", draw(seeds))), {}


@st.composite
def tensordot_pair(draw):
    sizes = [draw(st.integers(1, 3)) for _ in range(4)]
    spec = draw(st.sampled_from(["int0", "int1", "int2", "pairs"]))
    if spec == "pairs":
        a = (sizes[0], sizes[1], sizes[2])
        b = (sizes[2], sizes[3], sizes[0])
        axes = ([0, 2], [2, 0])
    else:
        n = int(spec[-1])
        a = tuple(sizes[:2]) + tuple(sizes[2:2 + n])
        b = tuple(sizes[2:2 + n]) + (sizes[3],)
        axes = n
    return (values(a, "real", draw(seeds)), values(b, "real", draw(seeds))), {"axes": axes}


EINSUM_SPECS = [
    ("ij,jk->ik", "ij", "jk"), ("ij,jk", "ij", "jk"), ("i,i->", "i", "i"), ("i,j->ij", "i", "j"),
    ("bij,bjk->bik", "bij", "bjk"), ("ij->ji", "ij", None), ("ij->", "ij", None), ("ij->j", "ij", None),
    ("ii->i", "ii", None), ("ii", "ii", None), ("iij,jk->ik", "iij", "jk"),
    ("...ij,...jk->...ik", "...ij", "...jk"), ("...i,...i", "...i", "...i"), ("i...->...i", "i...", None),
]


@st.composite
def einsum_case(draw):
    """An einsum spec with operands of matching sizes (ellipsis axes broadcast against each other)."""
    spec, *subs = draw(st.sampled_from(EINSUM_SPECS))
    sizes = {c: draw(st.integers(1, 3)) for c in "bijk"}
    ell = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    arrays = []
    for n, sub in enumerate(s for s in subs if s is not None):
        shape = []
        for part in sub.split("..."):
            shape.append(tuple(sizes[c] for c in part))
        shape = shape[0] + (ell.input_shapes[n] + shape[1] if len(shape) == 2 else ())
        arrays.append(values(shape, "real", draw(seeds)))
    return tuple(arrays), {"spec": spec}


@st.composite
def where_args(draw):
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0,
                                                max_side=MAX_SIDE))
    rng = np.random.default_rng(draw(seeds))
    cond = rng.random(bs.input_shapes[0]) < 0.5
    return (values(bs.input_shapes[1], "real", draw(seeds)), values(bs.input_shapes[2], "real", draw(seeds))), \
        {"cond": cond}


@st.composite
def split_args(draw):
    shape = draw(shapes(1, 3, 1))
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    if draw(st.booleans()):
        sections = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    else:
        sections = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return (values(shape, "real", draw(seeds)),), {"sections": sections, "axis": axis}


def _window3(draw, size, padding, max_k=3, dilation=(1, 1, 1)):
    """A 3-d window that fits ``size`` ('valid') or any small one ('same')."""
    if padding == "same":
        return tuple(draw(st.integers(1, max_k)) for _ in size)
    return tuple(draw(st.integers(1, min(max_k, (n - 1) // d + 1))) for n, d in zip(size, dilation))


@st.composite
def depthwise_conv2d_args(draw):
    """NHWC input and depthwise kernel (kh, kw, channels, depth_multiplier) with strides, padding, dilation."""
    c, dm = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    size = tuple(draw(st.integers(1, 4)) for _ in range(2))
    padding = draw(st.sampled_from(["valid", "same"]))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(2))
    dilation = (1, 1)
    if strides == (1, 1) and draw(st.booleans()):
        dilation = tuple(draw(st.integers(1, 2)) for _ in range(2))
    k = _window3(draw, size, padding, dilation=dilation)
    x = values((draw(st.integers(1, 2)),) + size + (c,), "real", draw(seeds))
    kernel = values(k + (c, dm), "real", draw(seeds))
    return (x, kernel), {"strides": strides, "padding": padding, "dilation_rate": dilation}


@st.composite
def conv3d_args(draw):
    """NDHWC input and kernel (kd, kh, kw, in / groups, out) with strides, padding, dilation and groups."""
    groups = draw(st.integers(1, 2))
    c, o = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    size = tuple(draw(st.integers(1, 3)) for _ in range(3))
    padding = draw(st.sampled_from(["valid", "same"]))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(3))
    dilation = (1, 1, 1)
    if strides == (1, 1, 1) and draw(st.booleans()):
        dilation = tuple(draw(st.integers(1, 2)) for _ in range(3))
    k = _window3(draw, size, padding, dilation=dilation)
    x = values((draw(st.integers(1, 2)),) + size + (c,), "real", draw(seeds))
    kernel = values(k + (c // groups, o), "real", draw(seeds))
    return (x, kernel), {"strides": strides, "padding": padding, "dilation_rate": dilation, "groups": groups}


@st.composite
def conv3d_transpose_args(draw):
    """Input, kernel (kd, kh, kw, filters, in) and the output size of a transposed 3-d convolution."""
    size = tuple(draw(st.integers(1, 4)) for _ in range(3))      # the output's (the convolution's input's)
    padding = draw(st.sampled_from(["valid", "same"]))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(3))
    k = _window3(draw, size, padding)
    if padding == "same":
        out = tuple(-(-n // s) for n, s in zip(size, strides))
    else:
        out = tuple((n - kk) // s + 1 for n, kk, s in zip(size, k, strides))
    filters, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    x = values((draw(st.integers(1, 2)),) + out + (c,), "real", draw(seeds))
    kernel = values(k + (filters, c), "real", draw(seeds))
    return (x, kernel), {"output_shape": size, "strides": strides, "padding": padding}


@st.composite
def pool3d_args(draw, domain="real"):
    """NDHWC input with pool_size, strides (None: the pool size) and padding."""
    size = tuple(draw(st.integers(1, 4)) for _ in range(3))
    padding = draw(st.sampled_from(["valid", "same"]))
    pool = _window3(draw, size, padding)
    strides = draw(st.none() | st.tuples(*(st.integers(1, 2) for _ in range(3))))
    x = values((draw(st.integers(1, 2)),) + size + (draw(st.integers(1, 2)),), domain, draw(seeds))
    return (x,), {"pool_size": pool, "strides": strides, "padding": padding}


@st.composite
def upsample3d_args(draw):
    size = tuple(draw(st.integers(1, 3)) for _ in range(3))
    x = values((draw(st.integers(1, 2)),) + tuple(draw(st.integers(1, 3)) for _ in range(3)) + (2,), "real",
               draw(seeds))
    return (x,), {"size": size}


@st.composite
def attention_args(draw, with_scale_input=False):
    """query (..., Tq, d), key (..., Tk, d), value (..., Tk, dv) [and a 0-d scale] with options: a boolean
    ``mask`` broadcastable to (..., Tq, Tk) that leaves key 0 open in every row (a fully masked row's
    gradient is not resolvable by central differences around -1e9), ``causal`` and a fixed ``scale``."""
    lead = draw(shapes(0, 2, 1, 3))
    tq, tk, d, dv = (draw(st.integers(1, MAX_SIDE)) for _ in range(4))
    arrays = [values(lead + (tq, d), "real", draw(seeds)), values(lead + (tk, d), "real", draw(seeds)),
              values(lead + (tk, dv), "real", draw(seeds))]
    kw = {"causal": draw(st.booleans())}
    if draw(st.booleans()):
        mshape = tuple(draw(st.sampled_from([1, s])) for s in lead + (tq, tk))
        mshape = mshape[draw(st.integers(0, len(lead))):]
        mask = np.random.default_rng(draw(seeds)).random(mshape) < 0.6
        mask[..., 0] = True
        kw["mask"] = mask
    if with_scale_input:
        arrays.append(np.asarray(values((), "positive", draw(seeds))))
    elif draw(st.booleans()):
        kw["scale"] = float(values((), "positive", draw(seeds)))
    return tuple(arrays), kw


@st.composite
def layer_norm_args(draw):
    """x with 1 to 3 axes, normalized over its last 1 or 2 axes, with gamma and beta of those axes' shape
    (each may be absent) and epsilon."""
    shape = draw(shapes(1, 3, 2))
    n = draw(st.integers(1, min(2, len(shape))))
    norm = shape[len(shape) - n:]
    arrays = [values(shape, "real", draw(seeds))]
    kw = {"axis": tuple(range(-n, 0)) if n > 1 or draw(st.booleans()) else -1,
          "epsilon": draw(st.sampled_from([1e-3, 0.5]))}
    for name in ("gamma", "beta"):
        if draw(st.booleans()):
            arrays.append(values(norm, "real", draw(seeds)))
            kw["has_" + name] = True
    return tuple(arrays), kw


@st.composite
def resized(draw):
    """Images ``(batch, h, w, c)`` and a target size and method for ``ag.resize``."""
    shape = draw(hnp.array_shapes(min_dims=4, max_dims=4, min_side=1, max_side=MAX_SIDE))
    size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    method = draw(st.sampled_from(["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                                   "mitchellcubic"]))
    return (values(shape, "real", draw(seeds)),), {"size": size, "method": method}


@st.composite
def transformed(draw):
    """Images and a random affine map with a fill mode and interpolation for ``ag.image_transform``."""
    shape = draw(hnp.array_shapes(min_dims=4, max_dims=4, min_side=1, max_side=MAX_SIDE))
    rng = np.random.default_rng(draw(seeds))
    transforms = np.concatenate([np.eye(3)[:2].ravel() + rng.normal(0, 0.4, 6), np.zeros(2)])
    transforms[[2, 5]] = rng.normal(0, 1.5, 2)
    return (values(shape, "real", draw(seeds)),), {
        "transforms": transforms, "interpolation": draw(st.sampled_from(["bilinear", "nearest"])),
        "fill_mode": draw(st.sampled_from(["reflect", "wrap", "constant", "nearest"])),
        "fill_value": draw(st.sampled_from([0.0, 0.5]))}


# -- neural-network ops (NHWC images, small so that second-order checks stay fast) -------------------


@st.composite
def window_geometry(draw, max_kernel=3, allow_dilation=True):
    """kernel size, strides, dilation, padding and an image size (h, w) the window fits in."""
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (1, 1)
    if allow_dilation and strides == (1, 1):
        dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["valid", "same"]))
    h = draw(st.integers((kh - 1) * dilation[0] + 1, 5))
    w = draw(st.integers((kw - 1) * dilation[1] + 1, 5))
    return (kh, kw), strides, dilation, padding, (h, w)


@st.composite
def dense_args(draw):
    """x (n, in), kernel (in, units) and bias (units,) for ag.dense, away from relu's kink."""
    n, i, u = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    return tuple(values(s, "away0", draw(seeds)) for s in ((n, i), (i, u), (u,))), {}


@st.composite
def conv_args(draw, bias=False, domain="real"):
    """Image (n, h, w, groups * cg), kernel (kh, kw, cg, groups * og) [, bias], and conv2d's options."""
    (kh, kw), strides, dilation, padding, (h, w) = draw(window_geometry())
    groups = draw(st.sampled_from([1, 2]))
    cg, og, n = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    arrays = [values((n, h, w, groups * cg), domain, draw(seeds)),
              values((kh, kw, cg, groups * og), domain, draw(seeds))]
    if bias:
        arrays.append(values((groups * og,), domain, draw(seeds)))
    return tuple(arrays), {"strides": strides, "padding": padding, "dilation_rate": dilation, "groups": groups}


def conv_output_shape(n, h, w, ksize, strides, dilation, padding, filters):
    from autograd.ops.nn import conv_output_length
    return (n, conv_output_length(h, ksize[0], padding, strides[0], dilation[0]),
            conv_output_length(w, ksize[1], padding, strides[1], dilation[1]), filters)


@st.composite
def conv_grad_args(draw, first="image"):
    """The arguments of a convolution's backward primitive: (image, output cotangent) for the kernel's
    gradient, (output cotangent, kernel) for the input's (``first='cotangent'``); options name the geometry."""
    ksize, strides, dilation, padding, (h, w) = draw(window_geometry())
    c, o, n = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    gy = values(conv_output_shape(n, h, w, ksize, strides, dilation, padding, o), "real", draw(seeds))
    opts = {"ksize": ksize, "strides": strides, "dilation": dilation, "padding": padding, "hw": (h, w), "c": c}
    if first == "image":
        return (values((n, h, w, c), "real", draw(seeds)), gy), opts
    return (gy, values(ksize + (c, o), "real", draw(seeds))), opts


@st.composite
def pool_args(draw, domain="distinct", cotangent=False):
    """An image (and a cotangent of the pooled output's shape) with pool_size, strides and padding."""
    ksize, strides, _, padding, (h, w) = draw(window_geometry(allow_dilation=False))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    arrays = [values((n, h, w, c), domain, draw(seeds))]
    if cotangent:
        arrays.append(values(conv_output_shape(n, h, w, ksize, strides, (1, 1), padding, c), "real", draw(seeds)))
    return tuple(arrays), {"pool_size": ksize, "strides": strides, "padding": padding}


@st.composite
def embedding_args(draw, cotangent=False):
    """A table (vocab, dim) or the cotangent of a lookup (ids.shape + (dim,)), with integer ids (repeats)."""
    vocab, dim = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    ids = np.random.default_rng(draw(seeds)).integers(0, vocab, size=draw(shapes(0, 2, 0, 3)))
    if cotangent:
        return (values(ids.shape + (dim,), "real", draw(seeds)),), {"ids": ids, "vocab": vocab}
    return (values((vocab, dim), "real", draw(seeds)),), {"ids": ids}


@st.composite
def class_scores(draw, labels="dense"):
    """Logits (classes along ``axis``) with dense labels (any reals: the loss is exact for them), integer
    class ids, or 0/1-ish targets for the sigmoid form."""
    shape = draw(shapes(1, 3, 1))
    nd = len(shape)
    logits = values(shape, "real", draw(seeds))
    if labels == "sigmoid":
        return (logits, np.random.default_rng(draw(seeds)).random(shape)), {}
    axis = draw(st.integers(-nd, nd - 1))
    if labels == "sparse":
        ids = np.random.default_rng(draw(seeds)).integers(0, shape[axis], size=np.delete(shape, axis % nd))
        return (logits,), {"labels": ids, "axis": axis}
    return (logits, values(shape, "real", draw(seeds))), {"axis": axis}


@st.composite
def sequence_args(draw, gates, bias_shape=None, masked=False):
    """x (n, T, F), kernel, recurrent kernel and bias of a recurrent layer with ``gates`` gate blocks (small
    weights keep the recurrence smooth), with go_backwards and, when ``masked``, a step mask that skips a step."""
    n, f, u = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    steps = draw(st.integers(2 if masked else 1, 3))
    bias_shape = (gates * u,) if bias_shape is None else bias_shape(u)
    arrays = (values((n, steps, f), "real", draw(seeds)), 0.5 * values((f, gates * u), "real", draw(seeds)),
              0.5 * values((u, gates * u), "real", draw(seeds)), 0.5 * values(bias_shape, "real", draw(seeds)))
    opts = {"go_backwards": draw(st.booleans())}
    if masked:
        mask = np.random.default_rng(draw(seeds)).random((n, steps)) < 0.7
        mask[:, 0] = True
        mask[-1, -1] = False      # a step really skipped: an all-True mask would take the unmasked (fused) path
        opts["mask"] = mask
    return arrays, opts


@st.composite
def ctc_args(draw):
    """CTC logits (batch, time, classes) with integer labels, label and frame counts as options: every
    label sequence fits its frames (repeats need a blank between them), lengths of 0 and of the whole
    width included, and the blank drawn among the classes."""
    n, steps, classes = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(2, 4))
    blank = draw(st.integers(-1, classes - 1))
    rng = np.random.default_rng(draw(seeds))
    others = [c for c in range(classes) if c != blank % classes]
    labels = rng.choice(others, size=(n, steps))
    label_lengths, logit_lengths = [], []
    for b in range(n):
        frames = draw(st.integers(0, steps))
        # the longest prefix of labels[b] whose labels plus repeats fit `frames`
        length, need = 0, 0
        while length < steps and need + 1 + (length > 0 and labels[b, length] == labels[b, length - 1]) <= frames:
            need += 1 + (length > 0 and labels[b, length] == labels[b, length - 1])
            length += 1
        label_lengths.append(draw(st.integers(0, length)))
        logit_lengths.append(frames)
    kw = {"labels": labels, "label_lengths": np.array(label_lengths), "logit_lengths": np.array(logit_lengths),
          "blank": blank}
    return (values((n, steps, classes), "real", draw(seeds)),), kw
