"""Products: matmul (batched, vector cases), dot, tensordot, outer, inner, einsum.

Example:
    >>> a = ag.tensor(np.ones((5, 2, 3)), requires_grad=True)
    >>> b = ag.tensor(np.ones((3, 4)), requires_grad=True)
    >>> (a @ b).shape          # b broadcasts over the batch; its gradient is summed back
    (5, 2, 4)
"""
import string

import numpy as np

from .. import blas as _blas
from ..batching import Batched, shape_of, to_front
from ..primitive import Primitive, apply, defbatch, defjvp_argnums, defvjp_argnum
from ..tensor import Tensor, make_leaf
from ._make import binary_op, raw
from .elementwise import multiply
from .shape import broadcast_to, expand_dims, reshape, swapaxes, transpose

__all__ = [
    "matmul", "tensordot", "dot", "outer", "inner", "einsum",
]


def _matmul_vjp_a(g, ans, a, b):
    ad, bd = raw(a), raw(b)
    if bd.ndim == 1:
        # (..., n, k) @ (k,) -> (..., n): ga = g[..., None] * b
        ga = expand_dims(g, -1) * b
        return ga
    if ad.ndim == 1:
        # (k,) @ (..., k, m) -> (..., m): ga = sum over batch of b @ g
        ga = matmul(b, expand_dims(g, -1))[..., 0]
        return ga
    if bd.shape[-1] == 1:
        return multiply(g, swapaxes(b, -1, -2))      # an outer product (see _matmul_vjp_b)
    return matmul(g, swapaxes(b, -1, -2))


def _matmul_vjp_b(g, ans, a, b):
    ad, bd = raw(a), raw(b)
    if ad.ndim == 1:
        if bd.ndim == 1:
            # (k,) @ (k,) -> (): gb = g * a
            return g * a
        # (k,) @ (..., k, m): gb = a[:, None] * g[..., None, :]
        return expand_dims(a, -1) * expand_dims(g, -2)
    if bd.ndim == 1:
        # (..., n, k) @ (k,): gb = sum over n of a * g[..., None]
        return matmul(expand_dims(g, -2), a)[..., 0, :]
    if ad.shape[-2] == 1:
        # NOTE: one row (a per-example weight gradient under vmap): a^T g is an outer product, which numpy
        # computes 2-3x faster as a broadcast multiply than as a stack of inner-dimension-1 matmuls
        return multiply(swapaxes(a, -1, -2), g)
    return matmul(swapaxes(a, -1, -2), g)


def _matmul_batch(args, dims):
    # Each operand as a stack of matrices: a vector becomes a row (a) or a column (b), removed again at the
    # end; a batched operand gets its examples on axis 0 and size-1 axes up to the other's stack depth, so
    # that matmul's own broadcasting pairs example i of a with example i of b (or with the shared operand).
    logical = [shape_of(x)[:d] + shape_of(x)[d + 1:] if d is not None else shape_of(x) for x, d in zip(args, dims)]
    if 0 in (len(s) for s in logical):
        raise ValueError(f"matmul: an operand is 0-d (shapes {logical[0]} and {logical[1]} per example)")
    mats = [s if len(s) >= 2 else ((1,) + s if i == 0 else s + (1,)) for i, s in enumerate(logical)]
    depth = max(len(m) for m in mats) - 2
    ops, size = [], None
    for x, d, s, m in zip(args, dims, logical, mats):
        if d is None:
            ops.append(x if m == s else reshape(x, m))
            continue
        x = to_front(x, d)
        size = shape_of(x)[0]
        full = (size,) + (1,) * (depth + 2 - len(m)) + m
        ops.append(x if shape_of(x) == full else reshape(x, full))
    out = matmul(ops[0], ops[1])
    s = shape_of(out)
    keep = s[:-2] + ((s[-2],) if len(logical[0]) >= 2 else ()) + ((s[-1],) if len(logical[1]) >= 2 else ())
    return (out if keep == s else reshape(out, keep)), 0


# NOTE: the forward is np.matmul under autograd.blas's thread policy (one BLAS thread for mid-sized
# products); its ValueError for shapes that do not align or 0-d operands comes back from binary_op with the
# op's name and both shapes.
matmul = binary_op(_blas.matmul, "matmul", _matmul_vjp_a, _matmul_vjp_b,
                   "Matrix product with numpy's rules: batched over leading axes, vectors promoted.",
                   jvp_a=lambda t, ans, a, b: matmul(t, b), jvp_b=lambda t, ans, a, b: matmul(a, t),
                   batch=_matmul_batch)


def tensordot(a, b, axes=2):
    """Sum products over the given axes of ``a`` and ``b`` (as ``np.tensordot``), via one matmul.

    Example:
        >>> ag.tensordot(ag.ones((2, 3)), ag.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    sa, sb = shape_of(a), shape_of(b)   # shapes only: a batched value (vmap) works too
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(len(sa) - int(axes), len(sa)))
        axes_b = list(range(int(axes)))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = [x % len(sa) for x in axes_a]
    axes_b = [x % len(sb) for x in axes_b]
    for i, j in zip(axes_a, axes_b):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: axis {i} of a (size {sa[i]}) does not match axis {j} of b "
                             f"(size {sb[j]}); shapes {sa} and {sb}")
    free_a = [i for i in range(len(sa)) if i not in axes_a]
    free_b = [i for i in range(len(sb)) if i not in axes_b]
    k = int(np.prod([sa[i] for i in axes_a], dtype=np.int64))
    ma = reshape(transpose(a, free_a + axes_a), (-1, k))
    mb = reshape(transpose(b, axes_b + free_b), (k, -1))
    out_shape = tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b)
    return reshape(matmul(ma, mb), out_shape)


def dot(a, b):
    """``np.dot``: inner product of vectors, matrix product, or sum over the last axis of ``a`` and the
    second-to-last of ``b``.

    Example:
        >>> ag.dot(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0]))
        Tensor(11.)
    """
    sa, sb = shape_of(a), shape_of(b)   # shapes only: a batched value (vmap) works too
    if len(sa) == 0 or len(sb) == 0:
        from .elementwise import multiply
        return multiply(a, b)
    if len(sa) <= 2 and len(sb) <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([len(sa) - 1], [max(len(sb) - 2, 0)]))


def outer(a, b):
    """Outer product of two vectors (flattened first).

    Example:
        >>> ag.outer(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 10.0]))
        Tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def inner(a, b):
    """Sum of products over the last axes (a plain product when either is 0-d), as ``np.inner``.

    Example:
        >>> ag.inner(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0]))
        Tensor(11.)
    """
    if len(shape_of(a)) == 0 or len(shape_of(b)) == 0:
        from .elementwise import multiply
        return multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


# -- einsum ---------------------------------------------------------------------------------------
_LETTERS = string.ascii_letters


def _parse_einsum(subscripts, shapes):
    """Normalize an einsum spec to explicit form without ellipsis: (input letter strings, output string).

    Implicit mode (no ``->``) gives the output letters that appear once, in alphabetical order (after the
    broadcast ``...`` axes), as numpy does.
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum(subscripts): expected a string such as 'ij,jk->ik', received {subscripts!r}")
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        lhs, out = spec.split("->", 1)
        explicit = True
    else:
        lhs, out, explicit = spec, "", False
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: the subscripts {subscripts!r} name {len(ins)} operands, but {len(shapes)} "
                         f"were given")
    for part in ins + [out]:
        rest = part.replace("...", "")
        if "." in rest or any(c not in _LETTERS for c in rest):
            raise ValueError(f"einsum: invalid subscripts {subscripts!r} (letters, ',' '->' and '...' only)")
    used = set(lhs.replace("...", "").replace(",", "")) | set(out.replace("...", ""))
    free = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for part, shape in zip(ins, shapes):
        if "..." in part:
            n_ell = max(n_ell, len(shape) - (len(part) - 3))
    ell = "".join(free[:n_ell])
    norm = []
    for k, (part, shape) in enumerate(zip(ins, shapes)):
        if "..." in part:
            n = len(shape) - (len(part) - 3)
            if n < 0:
                raise ValueError(f"einsum: operand {k} has {len(shape)} axes, fewer than its subscripts "
                                 f"{part!r} name")
            part = part.replace("...", ell[n_ell - n:] if n else "")
        if len(part) != len(shape):
            raise ValueError(f"einsum: operand {k} has shape {shape} ({len(shape)} axes) but its subscripts "
                             f"{part!r} name {len(part)}")
        norm.append(part)
    if explicit:
        if n_ell and "..." not in out:
            raise ValueError(f"einsum: the operands of {subscripts!r} have {n_ell} broadcast axes ('...') but the "
                             f"output does not name '...'; add it to the output (as numpy requires)")
        out = out.replace("...", ell)
    else:
        counts = {}
        for part in norm:
            for c in part:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    for c in out:
        if out.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} repeated in {subscripts!r}")
        if not any(c in part for part in norm):
            raise ValueError(f"einsum: output subscript {c!r} does not appear in any operand of {subscripts!r}")
    return norm, out


def _einsum_np(*operands, spec):
    return np.einsum(spec, *operands)


_einsum_prim = Primitive(_einsum_np, "einsum")


def _letter_sizes(ins, args):
    sizes = {}
    for part, a in zip(ins, args):
        for c, n in zip(part, raw(a).shape):
            if n != 1 or c not in sizes:
                sizes[c] = n
    return sizes


def _einsum_vjp(k, g, ans, args, kwargs):
    # NOTE: the gradient for operand k is another einsum: the output cotangent contracted with every other
    # operand onto operand k's letters. Letters of operand k found nowhere else were summed in the forward
    # pass, so the gradient is broadcast along them; a letter repeated within operand k (a diagonal,
    # 'ii->i') is written back onto the diagonal through identity matrices.
    spec = kwargs["spec"]
    lhs, out = spec.split("->")
    ins = lhs.split(",")
    target = ins[k]
    sizes = _letter_sizes(ins, args)
    others = [(p, a) for j, (p, a) in enumerate(zip(ins, args)) if j != k]
    avail = set(out).union(*[set(p) for p, _ in others]) if others else set(out)
    uniq = "".join(dict.fromkeys(target))
    keep = "".join(c for c in uniq if c in avail)
    sub = ",".join([out] + [p for p, _ in others]) + "->" + keep
    h = einsum(sub, g, *[a for _, a in others])
    if keep != uniq:
        shape = tuple(sizes[c] if c in keep else 1 for c in uniq)
        h = reshape(h, shape) if h.shape != shape else h
        h = broadcast_to(h, tuple(sizes[c] for c in uniq))
    if uniq == target:
        return h
    fresh = iter(c for c in _LETTERS if c not in lhs)
    renamed, eyes, seen = "", [], set()
    for c in target:
        if c in seen:
            d = next(fresh)
            eyes.append((c + d, make_leaf(np.eye(sizes[c], dtype=raw(g).dtype))))
            renamed += d
        else:
            seen.add(c)
            renamed += c
    sub = ",".join([uniq] + [s for s, _ in eyes]) + "->" + renamed
    return einsum(sub, h, *[e for _, e in eyes])


defvjp_argnum(_einsum_prim, _einsum_vjp)


def _einsum_jvp(tangents, ans, args, kwargs):
    # multilinear: one einsum per operand with a tangent, that operand replaced by its tangent
    total = None
    for i, t in enumerate(tangents):
        if t is not None:
            term = apply(_einsum_prim, args[:i] + (t,) + args[i + 1:], kwargs)
            total = term if total is None else total + term
    return total


defjvp_argnums(_einsum_prim, _einsum_jvp)


def _sublist_letters(sub):
    try:
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)
    except (IndexError, TypeError, ValueError):
        raise ValueError(f"einsum: sublist {sub!r} must hold integers in [0, 52) or Ellipsis") from None


def einsum(subscripts, *operands, optimize=False):
    """Einstein summation as ``np.einsum``: ``einsum('ij,jk->ik', a, b)``; implicit mode ('ij,jk'),
    ellipsis ('...ij,...jk->...ik'), repeated letters (traces, diagonals) and numpy's interleaved form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` work, with a gradient for every operand.

    Example:
        >>> a, b = ag.tensor(np.ones((2, 3))), ag.tensor(np.ones((3, 4)))
        >>> ag.einsum('ij,jk->ik', a, b).shape
        (2, 4)
    """
    if not isinstance(subscripts, str):
        items = (subscripts,) + operands
        ops, subs = list(items[0::2]), list(items[1::2])
        out = None
        if len(items) % 2 == 1:
            out = ops.pop()
            subs_out = _sublist_letters(out)
        subscripts = ",".join(_sublist_letters(s) for s in subs) + ("->" + subs_out if out is not None else "")
        operands = tuple(ops)
    if not operands:
        raise ValueError("einsum: expected at least one operand")
    shapes = [tuple(shape_of(o)) for o in operands]
    ins, out = _parse_einsum(subscripts, shapes)
    spec = ",".join(ins) + "->" + out
    if optimize and len(operands) > 2:
        # NOTE: contract pairwise in numpy's chosen order, so each step (and its gradient) stays cheap.
        path = np.einsum_path(spec, *[np.broadcast_to(np.zeros(()), sh) for sh in shapes], optimize=optimize)[0][1:]
        parts, ops = list(ins), list(operands)
        for pair in path:
            pair = sorted(pair, reverse=True)
            picked = [(parts.pop(i), ops.pop(i)) for i in pair]
            rest = "".join(parts) + out
            letters = "".join(dict.fromkeys(c for p, _ in picked for c in p if c in rest))
            res = einsum(",".join(p for p, _ in picked) + "->" + letters, *[o for _, o in picked])
            parts.append(letters)
            ops.append(res)
        return einsum(",".join(parts) + "->" + out, *ops)
    operands = tuple(o if isinstance(o, (Tensor, Batched)) else np.asarray(o) for o in operands)
    try:
        return apply(_einsum_prim, operands, {"spec": spec})
    except ValueError as e:
        raise ValueError(f"einsum {subscripts!r} on shapes {shapes}: {e}") from None


def _einsum_batch(args, dims, spec):
    # the examples get a letter of their own, first in every batched operand and in the output
    lhs, out = spec.split("->")
    b = next(c for c in _LETTERS if c not in spec)
    ins = [(b + p if d is not None else p) for p, d in zip(lhs.split(","), dims)]
    ops = [to_front(a, d) if d is not None else a for a, d in zip(args, dims)]
    return apply(_einsum_prim, tuple(ops), {"spec": ",".join(ins) + "->" + b + out}), 0


defbatch(_einsum_prim, _einsum_batch)
