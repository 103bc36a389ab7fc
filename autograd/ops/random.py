"""Random draws shaped like a tensor: the noise of dropout and of the noise layers, as primitives.

They take the numpy Generator as an argument, so a traced graph (``autograd.trace``) holds the draw itself
(replayed with the generator given to ``Graph.run``), not one particular draw. They have no gradient.

Example:
    >>> x = ag.ones((2, 3), dtype="float32")
    >>> random_uniform(x, np.random.default_rng(0)).shape
    (2, 3)
    >>> random_normal(x, np.random.default_rng(0), noise_shape=(None, 1)).shape
    (2, 1)
"""
import numpy as np

from ..batching import to_front
from ..primitive import Primitive, apply, defbatch, defjvp, defvjp
from ._make import raw

__all__ = ["random_uniform", "random_normal"]


def _shape(xd, noise_shape, fn):
    if noise_shape is None:
        return xd.shape
    ns = tuple(noise_shape)
    if len(ns) != xd.ndim:
        raise ValueError(f"{fn}: noise_shape {noise_shape!r} must have one entry per axis of x {xd.shape}")
    shape = tuple(xd.shape[i] if s is None else int(s) for i, s in enumerate(ns))
    for i, s in enumerate(shape):
        if s not in (1, xd.shape[i]):
            raise ValueError(f"{fn}: noise_shape {noise_shape!r} must broadcast to x's shape {xd.shape}")
    return shape


def _dtype(xd, dtype):
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"random draw: dtype must be a floating dtype, received {dtype}")
        return dtype
    return xd.dtype if xd.dtype.kind == "f" else np.dtype(np.float32)


#: one dict per ``ag.checkpoint`` whose forward is running: id(generator) -> (generator, its state before its
#: first draw there), so that backward's recomputation draws the same numbers (autograd/custom.py)
DRAW_LOG = []


def note_draw(rng):
    """Remember ``rng``'s state before a draw for each running checkpoint (every op that draws calls this first).

    Example:
        >>> from autograd.ops.random import note_draw
        >>> note_draw(np.random.default_rng(0))        # no checkpoint is running: nothing to remember
    """
    for log in DRAW_LOG:
        if id(rng) not in log:
            log[id(rng)] = (rng, rng.bit_generator.state)


def _draw_shape(x, noise_shape, shape, fn):
    if shape is not None:
        return tuple(int(d) for d in shape)
    return _shape(x, noise_shape, fn)


def _uniform_np(x, rng, noise_shape=None, dtype=None, shape=None):
    dt = _dtype(x, dtype)
    if DRAW_LOG:
        note_draw(rng)
    draw = rng.random(_draw_shape(x, noise_shape, shape, "random_uniform"),
                      dtype=np.float64 if dt == np.float64 else np.float32)
    return draw.astype(dt, copy=False)


def _normal_np(x, rng, noise_shape=None, dtype=None, shape=None):
    dt = _dtype(x, dtype)
    if DRAW_LOG:
        note_draw(rng)
    draw = rng.standard_normal(_draw_shape(x, noise_shape, shape, "random_normal"),
                               dtype=np.float64 if dt == np.float64 else np.float32)
    return draw.astype(dt, copy=False)


_uniform_prim = Primitive(_uniform_np, "random_uniform")
_normal_prim = Primitive(_normal_np, "random_normal")


def _batch_rule(prim):
    # NOTE: every example gets its own draws (the whole batch is drawn at once); a shared generator cannot give
    # the numbers a Python loop over the examples would, which is inherent to random draws, not to the rule.
    def rule(args, dims, noise_shape=None, dtype=None, shape=None):
        x = to_front(args[0], dims[0])
        ns = None if noise_shape is None else (None,) + tuple(noise_shape)
        full = None if shape is None else (x.shape[0],) + tuple(shape)
        return apply(prim, (x, args[1]), {"noise_shape": ns, "dtype": dtype, "shape": full}), 0
    return rule


for _p in (_uniform_prim, _normal_prim):
    defvjp(_p, None, None)
    defjvp(_p, None, None)
    defbatch(_p, _batch_rule(_p))


def _check_shapes(xd, noise_shape, shape, fn):
    if shape is None:
        _shape(xd, noise_shape, fn)
    elif noise_shape is not None:
        raise ValueError(f"{fn}: give noise_shape or shape, not both")
    elif not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ValueError(f"{fn}: shape must hold non-negative ints, received {shape!r}")


def _options(noise_shape, dtype, shape):
    opts = {"noise_shape": None if noise_shape is None else tuple(noise_shape),
            "dtype": None if dtype is None else np.dtype(dtype)}
    if shape is not None:
        opts["shape"] = tuple(int(d) for d in shape)
    return opts


def _check_rng(rng, fn):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fn}: rng must be a numpy random Generator (np.random.default_rng(seed)), received "
                        f"{type(rng).__name__}")


def random_uniform(x, rng, noise_shape=None, dtype=None, shape=None):
    """Uniform draws in [0, 1) with ``x``'s shape (``noise_shape``: None entries take x's size, others 1 or x's;
    or ``shape`` given outright), of ``dtype`` (default x's floating dtype, else float32), drawn from the numpy
    Generator ``rng``.

    Example:
        >>> u = random_uniform(np.zeros((4, 2)), np.random.default_rng(1))
        >>> bool((u.numpy() >= 0).all() and (u.numpy() < 1).all())
        True
    """
    _check_rng(rng, "random_uniform")
    _check_shapes(raw(x), noise_shape, shape, "random_uniform")
    return apply(_uniform_prim, (x, rng), _options(noise_shape, dtype, shape))


def random_normal(x, rng, noise_shape=None, dtype=None, shape=None):
    """Standard normal draws with ``x``'s shape (see ``random_uniform`` for ``noise_shape`` and ``dtype``).

    Example:
        >>> random_normal(np.zeros((3, 2), np.float32), np.random.default_rng(0)).dtype
        dtype('float32')
    """
    _check_rng(rng, "random_normal")
    _check_shapes(raw(x), noise_shape, shape, "random_normal")
    return apply(_normal_prim, (x, rng), _options(noise_shape, dtype, shape))

