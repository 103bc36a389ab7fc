"""Functional transforms: grad, value_and_grad, vjp, jacobian (jacrev), hessian, hvp, elementwise_grad.

They accept numpy arrays, Python scalars or Tensors, return Tensors, and compose with themselves
(``grad(grad(f))``): when an argument is itself part of an outer recorded computation, the inner
backward pass is recorded (``create_graph``) so the outer one can differentiate through it.

Inside ``ag.vmap`` they differentiate the batched computation directly: the differentiated arguments
are made batched at every running vmap (``batching.to_plain``), so that the gradient of the sum of the
per-example outputs is the stack of per-example gradients. Forward mode (``jvp``) is in forward_mode.py.

Example:
    >>> f = lambda x: x ** 4
    >>> ag.grad(ag.grad(f))(2.0)      # 12 x**2
    Tensor(48.)
"""
import numpy as np

from .batching import Batched, active_levels, from_plain, to_plain
from .engine import gradients
from .modes import STATE
from .ops.elementwise import multiply, positive
from .ops.reductions import sum as _sum
from .ops.shape import reshape, stack
from .tensor import Tensor, constant, make_leaf


def _as_argnums(argnums, nargs, name):
    single = isinstance(argnums, (int, np.integer))
    try:
        nums = (int(argnums),) if single else tuple(int(a) for a in argnums)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: argnums must be an int or a tuple of ints, received {argnums!r}") from None
    if not nums:
        raise ValueError(f"{name}: argnums is empty; name at least one argument to differentiate")
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(f"{name}: argnums {argnums!r} is out of range for a function called with {nargs} "
                             f"positional arguments")
    return single, tuple(a % nargs for a in nums)


def _leafify(x):
    """A fresh input that requires grad; connected to ``x`` when ``x`` is already being differentiated."""
    if isinstance(x, Tensor):
        if x.requires_grad and STATE.grad_enabled:
            return positive(x), True
        data = x.data
    else:
        data = np.asarray(x)
    if data.dtype.kind not in "fc":
        data = data.astype(np.float64)
    return Tensor(data, requires_grad=True), False


def _is_container(x):
    return isinstance(x, (tuple, list, dict))


def _flatten(tree, out):
    """The arrays of a tuple / list / dict (nested; dict keys in sorted order), appended to ``out``."""
    if isinstance(tree, dict):
        for k in sorted(tree):
            _flatten(tree[k], out)
    elif isinstance(tree, (tuple, list)):
        for v in tree:
            _flatten(v, out)
    else:
        out.append(tree)
    return out


def _unflatten(tree, leaves):
    """``tree``'s structure filled from the iterator ``leaves``."""
    if isinstance(tree, dict):
        filled = {k: _unflatten(tree[k], leaves) for k in sorted(tree)}
        return {k: filled[k] for k in tree}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_unflatten(v, leaves) for v in tree)
    return next(leaves)


def _trace(f, args, argnums, name, kwargs=None, trees=False):
    """Run ``f`` on fresh inputs that require grad. Returns ``(single, xs, out, create, levels)``: the plain
    inputs and output (laid out ``(batch sizes of levels..., *one example)`` inside vmap, see
    ``batching.to_plain``), whether to record the backward pass, and the running vmap levels. With
    ``trees``, a differentiated argument may be a tuple / list / dict of arrays (HIPS autograd's and JAX's
    containers): its arrays are inputs, one after the other."""
    if not callable(f):
        raise TypeError(f"{name}(f): expected a callable, received {f!r}")
    single, nums = _as_argnums(argnums, len(args), name)
    args = list(args)
    levels = active_levels()
    xs = []
    nested = False
    for i in nums:
        leaves = _flatten(args[i], []) if trees and _is_container(args[i]) else [args[i]]
        fresh = []
        for leaf in leaves:
            # NOTE: inside vmap an input shared by all examples is broadcast first, so that its gradient is
            # per example rather than summed over the batch.
            x, outer = _leafify(to_plain(leaf, levels) if levels else leaf)
            nested = nested or outer
            fresh.append(from_plain(x, levels))
            xs.append(x)
        args[i] = _unflatten(args[i], iter(fresh)) if trees and _is_container(args[i]) else fresh[0]
    prev = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        out = f(*args, **kwargs) if kwargs else f(*args)
        if levels:
            out = to_plain(out if isinstance(out, (Tensor, Batched)) else _output(out, name), levels)
    finally:
        STATE.grad_enabled = prev
    # Record the backward pass (so an outer differentiation sees through it) when recording is on and the
    # result depends on something outside this transform: a differentiated argument or a closed-over tensor.
    create = prev and (nested or _depends_on_other_leaves(out, xs))
    return single, xs, out, create, levels


def _depends_on_other_leaves(out, xs):
    """Whether ``out``'s graph reaches a leaf that requires grad other than the fresh inputs ``xs``."""
    if not isinstance(out, Tensor) or not out.requires_grad:
        return False
    own = {id(x) for x in xs}
    seen = set()
    stack = [out]
    while stack:
        t = stack.pop()
        ctx = t._ctx
        if ctx is None:
            if id(t) not in own:
                return True
            continue
        if type(ctx) is not tuple:
            continue
        for a in ctx[1]:
            if isinstance(a, Tensor) and a.requires_grad and id(a) not in seen:
                seen.add(id(a))
                stack.append(a)
    return False


def _output(out, name):
    """``f``'s output as a Tensor: a TypeError naming the transform for a dict, None or a string (which would
    otherwise become a constant object array with a zero derivative)."""
    return out if isinstance(out, Tensor) else constant(out, f"{name}: the function must return a Tensor, an array "
                                                             f"or a number")


def _scalar_output(out, name, levels=()):
    out = _output(out, name)
    one = out.shape[len(levels):]
    if int(np.prod(one)) != 1:
        raise TypeError(f"{name}: the function must return a scalar (one element), but it returned shape "
                        f"{one}; for vector outputs use ag.jacobian (or ag.vjp with a cotangent)")
    return out


def _ones_root(out, levels):
    """The cotangent of a plain output: implicit (None) outside vmap, ones over the batch inside."""
    return make_leaf(np.ones(out.shape, out.dtype)) if levels else None


def value_and_grad(f, argnums=0):
    """Return a function computing ``(f(*args), df/d args[argnums])``; ``f`` must return a scalar. An
    argument may be a tuple / list / dict of arrays (model parameters): its gradient has the same structure.

    Example:
        >>> value, g = value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    """

    def wrapped(*args, **kwargs):
        single, xs, out, create, levels = _trace(f, args, argnums, "grad", kwargs, trees=True)
        out = _scalar_output(out, "grad", levels)
        grads = gradients(out, xs, grad_outputs=_ones_root(out, levels), create_graph=create) \
            if out.requires_grad else [make_leaf(np.zeros(x.shape, x.dtype)) for x in xs]
        value = from_plain(out if create else out.detach(), levels)
        flat = iter([from_plain(g, levels) for g in grads])
        nums = _as_argnums(argnums, len(args), "grad")[1]
        # one gradient per differentiated argument, a container's shaped like it
        grads = [_unflatten(args[i], flat) if _is_container(args[i]) else next(flat) for i in nums]
        return value, (grads[0] if single else tuple(grads))

    wrapped.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return wrapped


def grad(f, argnums=0):
    """Return a function computing the gradient of scalar-valued ``f`` with respect to ``args[argnums]``
    (a tuple of gradients when ``argnums`` is a tuple).

    Example:
        >>> grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
        (Tensor(4.), Tensor(3.))
    """
    vg = value_and_grad(f, argnums)

    def wrapped(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return wrapped


def vjp(f, *primals):
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``, where ``vjp_fn(cotangent)`` returns the tuple of
    cotangent-weighted gradients for each primal. ``vjp_fn`` can be called several times.

    Example:
        >>> out, back = vjp(lambda x: x * 2, np.ones(3))
        >>> back(np.arange(3.0))
        (Tensor([0., 2., 4.]),)
    """
    _, xs, out, create, levels = _trace(f, primals, tuple(range(len(primals))), "vjp")
    out = _output(out, "vjp")
    one = out.shape[len(levels):]

    def vjp_fn(cotangent):
        if isinstance(cotangent, (Tensor, Batched)):
            ct_shape = tuple(cotangent.shape)
        else:
            cotangent = np.asarray(cotangent, dtype=out.dtype)
            ct_shape = cotangent.shape
        if ct_shape != one:
            raise ValueError(f"vjp_fn: the cotangent has shape {ct_shape}, expected the output's shape {one}")
        ct = to_plain(cotangent, levels)
        if not out.requires_grad:
            return tuple(from_plain(make_leaf(np.zeros(x.shape, x.dtype)), levels) for x in xs)
        grads = gradients(out, xs, grad_outputs=ct, retain_graph=True, create_graph=create or ct.requires_grad)
        return tuple(from_plain(g, levels) for g in grads)

    return from_plain(out if create else out.detach(), levels), vjp_fn


def jacobian(f, argnums=0):
    """Return a function computing the Jacobian, of shape ``out.shape + arg.shape``, one reverse pass per
    output element.

    Example:
        >>> jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
        Tensor([[2., 0.], [0., 4.]])
    """

    def wrapped(*args, **kwargs):
        single, xs, out, create, levels = _trace(f, args, argnums, "jacobian", kwargs)
        out = _output(out, "jacobian")
        nb = len(levels)   # inside vmap: rows of per-example Jacobians, batch axes first
        batch, one = out.shape[:nb], out.shape[nb:]
        n, m = int(np.prod(batch)), int(np.prod(one))
        flat = reshape(out, (n, m)) if out.requires_grad else out
        ones = make_leaf(np.ones((n,), out.dtype))
        rows = [[] for _ in xs]
        for k in range(m):
            if out.requires_grad:
                gs = gradients(flat[:, k], xs, grad_outputs=ones, retain_graph=True, create_graph=create)
            else:
                gs = [make_leaf(np.zeros(x.shape, x.dtype)) for x in xs]
            for r, g in zip(rows, gs):
                r.append(g)
        jacs = []
        for x, r in zip(xs, rows):
            shape = batch + one + x.shape[nb:]
            j = reshape(stack(r, axis=nb), shape) if r else make_leaf(np.zeros(shape, x.dtype))
            jacs.append(from_plain(j, levels))
        return jacs[0] if single else tuple(jacs)

    wrapped.__name__ = f"jacobian({getattr(f, '__name__', 'f')})"
    return wrapped


jacrev = jacobian
jacrev.__doc__ = jacobian.__doc__


def hessian(f, argnums=0):
    """Return a function computing the Hessian of scalar-valued ``f``: the forward-mode Jacobian of its
    gradient (forward-over-reverse, ``jacfwd(grad(f))``, as JAX's ``hessian``): one batched pass of tangents
    through the recorded backward pass instead of one backward pass per element. A tuple ``argnums``
    gives the blocks ``H[i][j]``.

    Example:
        >>> ag.hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))  # diag(6 x)
        Tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    from .forward_mode import jacfwd
    return jacfwd(grad(f, argnums), argnums)


def elementwise_grad(f, argnum=0):
    """Return a function computing the gradient of ``sum(f(x))``: for an elementwise ``f``, the derivative
    of each output element with respect to its own input element, with the input's shape (HIPS
    autograd's ``elementwise_grad``; one reverse pass). ``argnum`` may be a tuple.

    Example:
        >>> ag.elementwise_grad(ag.tanh)(np.array([0.0, 1.0]))        # 1 - tanh(x)**2
        Tensor([1.        , 0.41997434])
    """
    if not callable(f):
        raise TypeError(f"elementwise_grad(f): expected a callable, received {f!r}")

    def total(*args, **kwargs):
        return _sum(f(*args, **kwargs))

    total.__name__ = getattr(f, "__name__", "f")
    g = grad(total, argnum)
    g.__name__ = f"elementwise_grad({total.__name__})"
    return g


def hvp(f, x, v):
    """The Hessian of scalar-valued ``f`` at ``x`` times ``v``, without forming the Hessian.

    Example:
        >>> hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 0.0]))   # 6 x * v
        Tensor([6., 0.])
    """
    vt = v if isinstance(v, (Tensor, Batched)) else make_leaf(np.asarray(v))

    def directional(x_):
        g = grad(f)(x_)
        if g.shape != vt.shape:
            raise ValueError(f"hvp: v has shape {vt.shape}, expected the shape of x {g.shape}")
        return _sum(multiply(g, vt))

    return grad(directional)(x)
