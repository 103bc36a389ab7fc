"""Tiny structure helpers (lists, tuples, dicts of leaves), the subset of ``tf.nest`` the engine needs.

Dicts flatten in sorted key order, as ``tf.nest`` does, so a model's dict inputs and outputs have a fixed
order.

Example:
    >>> flatten({"b": 1, "a": [2, 3]})
    [2, 3, 1]
    >>> pack_sequence_as({"b": 0, "a": [0, 0]}, [7, 8, 9])
    {'a': [7, 8], 'b': 9}
"""


def is_nested(x):
    """True for the containers this module walks into: list, tuple and dict.

    Example:
        >>> is_nested([1, 2]), is_nested(np.ones(2))
        (True, False)
    """
    return isinstance(x, (list, tuple, dict))


def flatten(x):
    """The leaves of ``x`` in order (dict values by sorted key).

    Example:
        >>> flatten({"b": [1, 2], "a": 3})
        [3, 1, 2]
    """
    if not isinstance(x, (list, tuple, dict)):
        return [x]
    out = []
    stack = [x]
    # iterative walk; push children in reverse so they pop in order
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item[k] for k in sorted(item, reverse=True))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def pack_sequence_as(structure, flat):
    """Rebuild ``structure``'s shape with the leaves taken, in order, from ``flat``.

    Example:
        >>> pack_sequence_as([0, (0, 0)], [1, 2, 3])
        [1, (2, 3)]
    """
    it = iter(flat)

    def build(s):
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        if isinstance(s, list):
            return [build(v) for v in s]
        if isinstance(s, tuple):
            return tuple(build(v) for v in s)
        return next(it)

    return build(structure)


def map_structure(fn, x):
    """Apply ``fn`` to every leaf of ``x``, keeping the structure.

    Example:
        >>> map_structure(lambda v: v * 2, (1, [2]))
        (2, [4])
    """
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    if isinstance(x, list):
        return [map_structure(fn, v) for v in x]
    if isinstance(x, tuple):
        return tuple(map_structure(fn, v) for v in x)
    return fn(x)


def unnest_if_single(x):
    """``[t]`` -> ``t``; anything else unchanged (Keras passes a lone input unwrapped).

    Example:
        >>> unnest_if_single([5]), unnest_if_single([5, 6])
        (5, [5, 6])
    """
    if isinstance(x, (list, tuple)) and len(x) == 1 and not isinstance(x[0], (list, tuple, dict)):
        return x[0]
    return x
