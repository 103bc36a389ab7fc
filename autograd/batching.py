"""Batching: ``ag.vmap`` and the batching rules of primitives.

Inside ``vmap(f)``, each mapped argument reaches ``f`` as a ``Batched`` value: one Tensor ``val`` holding
every example along axis ``bdim``, which ``f`` sees with the shape of a single example. When an op meets
a Batched argument it runs its primitive's batching rule (``defbatch``) instead of the forward:
``rule(args, dims, **kwargs) -> (out, out_dim)`` computes all examples at once with autograd ops on the
``val``s, so one primitive call serves the whole batch. Nested vmaps give each a ``level``; a rule
unwraps only the innermost level, and its ops on values batched at outer levels batch again.

Differentiation inside ``vmap`` runs on the batched Tensors themselves (the graph the rules recorded):
``grad`` makes its inputs batched at every active vmap level, so that the gradient of the summed
per-example outputs is the stack of per-example gradients (see transforms.py).

Example:
    >>> import autograd as ag
    >>> w = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> ag.vmap(lambda x: ag.tanh(x @ w).sum())(np.ones((3, 2)))        # one matmul for 3 examples
    Tensor([1.99931701, 1.99931701, 1.99931701])
"""
import itertools

import numpy as np

from .tensor import Tensor, constant, make_leaf

_levels = itertools.count(1)
#: level -> batch size, for every ag.vmap now running (inner vmaps have higher levels)
_ACTIVE = {}
#: the vmap level of each batching rule now running, innermost last (for ``batched_call``)
_RULE_LEVELS = []


class Batched:
    """A value inside ``ag.vmap``: ``val`` holds every example along axis ``bdim``, at vmap ``level``.

    It has the shape, dtype and methods of one example; its ops run their primitives' batching rules.
    Reading its values directly (``np.asarray``, ``float``, ``if x > 0:``) is an error: under vmap the
    values are many, so control flow must be written with ops (``ag.where``).

    Example:
        >>> def f(x):
        ...     print(type(x).__name__, x.shape)
        ...     return x * 2
        >>> ag.vmap(f)(np.ones((5, 3)))
        Batched (3,)
        Tensor([[2., 2., 2.], ...
    """

    __slots__ = ("val", "bdim", "level")
    __array_priority__ = 2000.0
    __array_ufunc__ = None    # numpy hands `ndarray + batched` to our reflected operators

    def __init__(self, val, bdim, level):
        self.val = val
        self.bdim = bdim
        self.level = level

    @property
    def shape(self):
        s = shape_of(self.val)
        return s[:self.bdim] + s[self.bdim + 1:]

    @property
    def ndim(self):
        return len(shape_of(self.val)) - 1

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self):
        return self.val.dtype

    @property
    def requires_grad(self):
        return self.val.requires_grad

    @property
    def T(self):
        from .ops.shape import transpose
        return transpose(self)

    def detach(self):
        return Batched(self.val.detach(), self.bdim, self.level)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        return f"Batched(shape={self.shape}, dtype={self.dtype}, batch axis {self.bdim} of {shape_of(self.val)}, " \
               f"vmap level {self.level})"

    def _values(self, *args, **kwargs):
        raise TypeError(
            f"autograd: the values of a batched tensor (shape {self.shape} per example, inside ag.vmap) were read "
            f"directly (np.asarray, float, bool, a Python 'if' or an op that reads raw data); under vmap they are "
            f"many, one per example: compute with autograd ops instead (ag.where for choices), or give the op "
            f"reading them a batching rule")

    __array__ = __bool__ = __float__ = __int__ = __index__ = item = numpy = tolist = _values

    def backward(self, *args, **kwargs):
        raise RuntimeError("backward() inside ag.vmap: use ag.grad (or ag.value_and_grad) on a function of "
                           "one example; vmap(grad(f)) gives per-example gradients")

    __hash__ = object.__hash__


def shape_of(x):
    """The shape of ``x`` (a Tensor, a Batched value seen as one example, an array or a scalar).

    Example:
        >>> from autograd.batching import shape_of
        >>> shape_of(ag.ones((2, 3))), shape_of(1.0)
        ((2, 3), ())
    """
    if isinstance(x, (Tensor, Batched)):
        return x.shape
    return np.shape(x)


def batch_apply(prim, args, kwargs):
    """Run ``prim``'s batching rule on ``args``, at least one of them Batched (called by the ops).

    Example:
        >>> from autograd.batching import Batched, batch_apply, vmap
        >>> vmap(lambda x: batch_apply(ag.exp.primitive, (x,), None))(np.zeros(2))
        Tensor([1., 1.])
    """
    level = max(a.level for a in args if type(a) is Batched)
    if level not in _ACTIVE:
        raise RuntimeError(
            f"autograd: op '{prim.name}' received a batched value whose ag.vmap has already returned (it escaped "
            f"through a closure, a global or an attribute); return it from the vmapped function instead")
    vals, dims = [], []
    for a in args:
        if type(a) is Batched and a.level == level:
            vals.append(a.val)
            dims.append(a.bdim)
        else:
            vals.append(a)
            dims.append(None)
    rule = prim.batch
    if rule is None:
        raise NotImplementedError(
            f"autograd: op '{prim.name}' has no batching rule, so it cannot run inside ag.vmap; define one with "
            f"ag.defbatch({prim.name}, rule), rule(args, dims, **kwargs) -> (out, out_dim) (see README 'How to add "
            f"an op')")
    _RULE_LEVELS.append(level)
    try:
        out, out_dim = rule(tuple(vals), tuple(dims), **kwargs) if kwargs else rule(tuple(vals), tuple(dims))
    finally:
        _RULE_LEVELS.pop()
    if out_dim is None:
        return out
    return Batched(out, out_dim, level)


# -- helpers for writing batching rules ----------------------------------------------------------


def peek(x):
    """The numpy data behind ``x`` (a Tensor, an array-like, or a Batched value: then every example's data
    at once, batch axes included), for a wrapper's argument checks (dtype, integer ranges), never for
    computing a result.

    Example:
        >>> from autograd.batching import peek
        >>> peek(ag.tensor([1, 2])), peek([3])
        (array([1, 2]), array([3]))
    """
    while type(x) is Batched:
        x = x.val
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def dtype_of(x):
    """The dtype of ``x`` (a Tensor, a Batched value or an array-like).

    Example:
        >>> from autograd.batching import dtype_of
        >>> dtype_of(ag.ones(2, dtype='float32')), dtype_of(1.0)
        (dtype('float32'), dtype('float64'))
    """
    if isinstance(x, (Tensor, Batched)):
        return x.dtype
    return np.asarray(x).dtype


def batch_size(args, dims):
    """The number of examples: the size of the first batched argument's batch axis.

    Example:
        >>> from autograd.batching import batch_size
        >>> batch_size((ag.ones(3), ag.ones((2, 5))), (None, 1))
        5
    """
    for a, d in zip(args, dims):
        if d is not None:
            return shape_of(a)[d]
    raise ValueError("batch_size: no argument is batched")


def bring(x, dim, size):
    """``x`` with the examples on axis 0: its batch axis moved there, or, for an argument shared by all
    examples (``dim`` None), broadcast along a new axis 0 of ``size``.

    Example:
        >>> from autograd.batching import bring
        >>> bring(ag.ones((2, 5)), 1, 5).shape, bring(ag.ones(3), None, 4).shape
        ((5, 2), (4, 3))
    """
    if dim is not None:
        return to_front(x, dim)
    from .ops.shape import broadcast_to, expand_dims
    return broadcast_to(expand_dims(x, 0), (size,) + tuple(shape_of(x)))


def batched_call(fn, args, dims):
    """Inside a batching rule: run ``fn``, a composition of ops written for one example, on ``args``
    batched along ``dims`` at the rule's own vmap level (each op then runs its own batching rule once for
    the whole batch), and return ``(out, out_dim)`` as a rule does. For primitives that are a fused form
    of such a composition (a recurrence with per-example weights): no loop over the examples.

    Example:
        >>> from autograd.batching import batched_call
        >>> twice = ag.primitive(lambda x: 2 * x, name='twice_b')
        >>> _ = ag.defbatch(twice, lambda args, dims: batched_call(lambda x: x * 2.0, args, dims))
        >>> ag.vmap(twice)(np.ones((3, 2))).shape
        (3, 2)
    """
    level = _RULE_LEVELS[-1]
    out = fn(*[Batched(a, d, level) if d is not None else a for a, d in zip(args, dims)])
    if type(out) is Batched and out.level == level:
        return out.val, out.bdim
    return out, None


def to_front(x, dim):
    """``x`` with its batch axis ``dim`` moved to axis 0 (unchanged when it is there already).

    Example:
        >>> from autograd.batching import to_front
        >>> to_front(ag.ones((2, 5, 3)), 1).shape
        (5, 2, 3)
    """
    if dim == 0:
        return x
    from .ops.shape import transpose
    nd = len(shape_of(x))
    return transpose(x, (dim,) + tuple(i for i in range(nd) if i != dim))


def align(args, dims):
    """Batched arguments with their batch axis first and padded with size-1 axes so that numpy's
    broadcasting lines examples up with examples; arguments without a batch axis are left as they are
    (broadcasting from the right then applies them to every example).

    Example:
        >>> from autograd.batching import align
        >>> [a.shape for a in align((ag.ones((3, 5)), ag.ones((4, 1))), (1, None))]   # 5 examples of (3,)
        [(5, 1, 3), (4, 1)]
    """
    n = max((len(shape_of(a)) - (d is not None) for a, d in zip(args, dims)), default=0)
    out = []
    for a, d in zip(args, dims):
        if d is not None:
            a = to_front(a, d)
            s = shape_of(a)
            if len(s) - 1 < n:
                from .ops.shape import reshape
                a = reshape(a, s[:1] + (1,) * (n - len(s) + 1) + s[1:])
        out.append(a)
    return out


def elementwise_rule(op):
    """The batching rule of an elementwise op: one batched argument keeps its axis; several are aligned
    (``align``) and the result has the examples on axis 0.

    Example:
        >>> from autograd.batching import elementwise_rule
        >>> rule = elementwise_rule(ag.add)
        >>> out, dim = rule((ag.ones((3, 2)), ag.ones(3)), (1, None))      # 2 examples of (3,) plus (3,)
        >>> out.shape, dim
        ((2, 3), 0)
    """
    def rule(args, dims, **kwargs):
        if len(args) == 1:
            return op(args[0], **kwargs), dims[0]
        return op(*align(args, dims), **kwargs), 0
    rule.__name__ = f"batch_{getattr(op, '__name__', 'op')}"
    return rule


def reduction_rule(op):
    """The batching rule of a reduction ``op(x, axis=None, keepdims=False)`` (``axis`` a tuple of
    non-negative axes of one example, or None for all): the same reduction over the shifted axes.

    Example:
        >>> from autograd.batching import reduction_rule
        >>> rule = reduction_rule(ag.sum)
        >>> out, dim = rule((ag.ones((4, 2, 3)),), (0,), axis=(1,), keepdims=False)
        >>> out.shape, dim
        ((4, 2), 0)
    """
    def rule(args, dims, axis=None, keepdims=False, **kwargs):
        x = to_front(args[0], dims[0])
        n = len(shape_of(x)) - 1
        axes = tuple(range(1, n + 1)) if axis is None else tuple(a + 1 for a in axis)
        return op(x, axis=axes, keepdims=keepdims, **kwargs), 0
    rule.__name__ = f"batch_{getattr(op, '__name__', 'op')}"
    return rule


# -- ag.vmap --------------------------------------------------------------------------------------


def active_levels():
    """The levels of the vmaps now running, outermost first."""
    return sorted(_ACTIVE)


def levels_of(x):
    """The vmap levels at which ``x`` is batched."""
    out = []
    while type(x) is Batched:
        out.append(x.level)
        x = x.val
    return out


def to_plain(x, levels):
    """``x`` as one plain Tensor laid out ``(size of levels[0], ..., size of levels[-1], *one example)``:
    batch axes moved to the front in level order, and broadcast where ``x`` is the same for every example
    of a level. With ``levels`` empty, ``x`` must be plain and is returned as a Tensor.

    Example:
        >>> from autograd.batching import to_plain
        >>> to_plain(ag.ones(3), []).shape
        (3,)
    """
    from .ops.shape import broadcast_to, expand_dims, moveaxis
    for level in reversed(levels):
        if type(x) is Batched and x.level == level:
            x = x.val if x.bdim == 0 else moveaxis(x.val, x.bdim, 0)
        else:
            if type(x) is Batched and x.level > level:
                raise RuntimeError(f"autograd: a value batched at vmap level {x.level} met a transform that expected "
                                   f"levels {levels}")
            x = broadcast_to(expand_dims(x, 0), (_ACTIVE[level],) + tuple(shape_of(x)))
    if type(x) is Batched:
        raise RuntimeError(f"autograd: a value batched at vmap level {x.level} met a transform that expected levels "
                           f"{levels}")
    if not isinstance(x, Tensor):
        x = constant(x, "autograd: expected a Tensor, an array or a number")
    return x


def from_plain(x, levels):
    """The inverse of ``to_plain``: a plain Tensor laid out ``(sizes of levels..., *one example)`` seen
    as one example, batched on axis 0 at each level.

    Example:
        >>> from autograd.batching import from_plain
        >>> from_plain(ag.ones(3), []).shape
        (3,)
    """
    for level in levels:
        x = Batched(x, 0, level)
    return x


def _tree_map(fn, tree, spec):
    """Apply ``fn(leaf, axis)`` over tuples / lists / dicts; ``spec`` is one axis or a matching tree."""
    if isinstance(tree, (tuple, list)):
        specs = spec if isinstance(spec, (tuple, list)) else [spec] * len(tree)
        if len(specs) != len(tree):
            raise ValueError(f"vmap: in_axes/out_axes entry {spec!r} does not match a sequence of {len(tree)}")
        return type(tree)(_tree_map(fn, t, s) for t, s in zip(tree, specs))
    if isinstance(tree, dict):
        specs = spec if isinstance(spec, dict) else {k: spec for k in tree}
        return {k: _tree_map(fn, v, specs[k]) for k, v in tree.items()}
    return fn(tree, spec)


def _leaves(tree, spec, out):
    _tree_map(lambda leaf, axis: out.append((leaf, axis)), tree, spec)
    return out


def _check_axis(axis, what):
    if axis is not None and not isinstance(axis, (int, np.integer)):
        raise TypeError(f"vmap({what}): expected an int or None for each argument, received {axis!r}")


def vmap(f, in_axes=0, out_axes=0):
    """Vectorize ``f`` over an axis of its arguments: ``vmap(f)(xs)`` equals stacking ``f(x)`` for each
    ``x`` in ``xs``, computed with one call per primitive for the whole batch (each primitive's batching
    rule), as JAX's ``vmap``. Composes with ``grad``, ``jvp`` and itself.

    Args:
        f: a function of Tensors (one example's worth) returning a Tensor or a tuple / list / dict of them.
        in_axes: the batch axis of each positional argument (an int, or None for an argument shared by all
            examples), one value for all or a tuple with one entry per argument (an entry applies to every
            array inside a tuple / list / dict argument). Keyword arguments are not named in ``in_axes``:
            arrays and Tensors among them are mapped over their axis 0 (as in JAX), other values (flags,
            numbers, None) are passed to every example unchanged.
        out_axes: where the batch axis goes in each output (an int, or None for an output that must be the
            same for all examples).

    Returns:
        a function taking the batched arguments.

    Example:
        >>> def loss(w, x, y):
        ...     return ag.sum((x @ w - y) ** 2)
        >>> w, xs, ys = np.ones((3, 1)), np.ones((5, 3)), np.zeros((5, 1))
        >>> ag.vmap(ag.grad(loss), in_axes=(None, 0, 0))(w, xs, ys).shape     # per-example gradients
        (5, 3, 1)
    """
    if not callable(f):
        raise TypeError(f"vmap(f): expected a callable, received {f!r}")
    for spec, what in ((in_axes, "in_axes"), (out_axes, "out_axes")):
        if isinstance(spec, (tuple, list)):
            for s in spec:
                if not isinstance(s, (tuple, list, dict)):
                    _check_axis(s, what)
        elif not isinstance(spec, dict):
            _check_axis(spec, what)

    def wrapped(*args, **kwargs):
        if isinstance(in_axes, (tuple, list)) and len(in_axes) != len(args):
            raise ValueError(f"vmap(in_axes={in_axes!r}): {len(in_axes)} entries for a call with {len(args)} "
                             f"positional arguments")
        spec = tuple(in_axes) if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        # keyword arguments: arrays are mapped over their axis 0 (as JAX does), other values passed as they are
        kw_spec = {k: 0 if isinstance(v, (np.ndarray, Tensor, Batched)) else None for k, v in kwargs.items()}
        sizes = {}
        for leaf, axis in _leaves(list(args) + [kwargs], list(spec) + [kw_spec], []):
            if axis is None:
                continue
            shape = shape_of(leaf)
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"vmap: in_axes {axis} is out of range for an argument of shape {tuple(shape)}")
            sizes.setdefault(shape[axis], tuple(shape))
        if not sizes:
            raise ValueError("vmap: no argument is mapped (every in_axes is None); map at least one argument")
        if len(sizes) > 1:
            raise ValueError(f"vmap: mapped arguments disagree on the batch size: sizes {sorted(sizes)} from "
                             f"arguments of shapes {list(sizes.values())}")
        size = next(iter(sizes))
        level = next(_levels)

        def wrap(leaf, axis):
            if axis is None:
                return leaf
            if not isinstance(leaf, (Tensor, Batched)):
                leaf = make_leaf(np.asarray(leaf))
            return Batched(leaf, axis % len(shape_of(leaf)), level)

        _ACTIVE[level] = size
        try:
            out = f(*_tree_map(wrap, list(args), list(spec)), **_tree_map(wrap, kwargs, kw_spec))
            return _tree_map(lambda o, axis: _unbatch(o, axis, level, size), out, out_axes)
        finally:
            del _ACTIVE[level]

    wrapped.__name__ = f"vmap({getattr(f, '__name__', 'f')})"
    return wrapped


def _unbatch(out, axis, level, size):
    """One output of a vmapped function with the batch axis of ``level`` at ``axis`` (None stays None, as in JAX,
    where it is an empty tree)."""
    if out is None:
        return None
    from .ops.shape import broadcast_to, expand_dims, moveaxis
    if type(out) is Batched and out.level == level:
        if axis is None:
            raise ValueError(f"vmap(out_axes=None): an output (shape {out.shape} per example) differs between "
                             f"examples; give it an out_axes")
        nd = out.ndim + 1
        if not -nd <= axis < nd:
            raise ValueError(f"vmap: out_axes {axis} is out of range for an output of {nd - 1} dimensions per example")
        return out.val if out.bdim == axis % nd else moveaxis(out.val, out.bdim, axis)
    if not isinstance(out, (Tensor, Batched)):
        out = constant(out, "vmap: the function must return a Tensor, an array or a number (or a tuple, list or dict "
                            "of them)")
    if axis is None:
        return out
    shape = tuple(shape_of(out))
    nd = len(shape) + 1
    if not -nd <= axis < nd:
        raise ValueError(f"vmap: out_axes {axis} is out of range for an output of {nd - 1} dimensions per example")
    axis %= nd
    return broadcast_to(expand_dims(out, axis), shape[:axis] + (size,) + shape[axis:])
