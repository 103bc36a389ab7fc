"""InputSpec: what a layer accepts (rank, feature sizes), checked before any computation.

Example:
    >>> spec = InputSpec(min_ndim=2, axes={-1: 4})
    >>> assert_input_compatibility(spec, [(None, 3)], "dense")   # raises ValueError naming both shapes
"""


class InputSpec:
    """Rank, shape and axis-size constraints on one input of a layer (Keras's ``InputSpec``).

    Args:
        dtype: expected dtype name (not enforced: inputs are cast to the layer's dtype).
        shape: full expected shape; ``None`` entries match anything.
        ndim, max_ndim, min_ndim: constraints on the rank.
        axes: ``{axis: size}`` for axes whose size is fixed (negative axes count from the end).
        allow_last_axis_squeeze: accept an extra or missing trailing axis of size 1.
        name: the input's name, for messages.

    Example:
        >>> spec = InputSpec(ndim=2, axes={-1: 3})
        >>> spec
        InputSpec(ndim=2, axes={-1: 3})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.optional = optional
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"InputSpec: axis {max(self.axes)} is out of range for rank {max_dim + 1}")

    def __repr__(self):
        parts = [f"{k}={getattr(self, k)}" for k in ("dtype", "shape", "ndim", "max_ndim", "min_ndim")
                 if getattr(self, k) is not None]
        if self.axes:
            parts.append(f"axes={self.axes}")
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def assert_input_compatibility(input_spec, shapes, layer_name):
    """Raise a ValueError naming the layer, the expected and the received shape when ``shapes`` (one tuple
    per input) do not satisfy ``input_spec`` (an InputSpec or a list of them).

    Example:
        >>> assert_input_compatibility(InputSpec(ndim=2), [(4, 3, 2)], "dense")
        Traceback (most recent call last):
        ValueError: Input 0 of layer "dense" is incompatible with the layer: expected ndim=2, found ndim=3. ...
    """
    if input_spec is None:
        return
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    if len(specs) != len(shapes) and not all(s is None for s in specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(shapes)} '
                         f"input tensors. Received shapes: {[_fmt(s) for s in shapes]}")
    for i, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None:
            continue
        rank = len(shape)
        head = f'Input {i} of layer "{layer_name}" is incompatible with the layer: '
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and rank != spec.ndim:
            raise ValueError(head + f"expected ndim={spec.ndim}, found ndim={rank}. Full shape received: "
                             f"{_fmt(shape)}")
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(head + f"expected max_ndim={spec.max_ndim}, found ndim={rank}. Full shape "
                             f"received: {_fmt(shape)}")
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(head + f"expected min_ndim={spec.min_ndim}, found ndim={rank}. Full shape "
                             f"received: {_fmt(shape)}")
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if not -rank <= axis < rank:
                raise ValueError(head + f"expected an axis {axis} of size {value}, but the input has rank {rank}. "
                                 f"Full shape received: {_fmt(shape)}")
            got = shape[axis]
            if got is not None and got not in (value if isinstance(value, (list, tuple)) else (value,)):
                raise ValueError(head + f"expected axis {axis} of input shape to have value {value}, but received "
                                 f"input with shape {_fmt(shape)}")
        if spec.shape is not None:
            expected = spec.shape
            got_shape = shape
            if spec.allow_last_axis_squeeze:
                if got_shape and got_shape[-1] == 1:
                    got_shape = got_shape[:-1]
                if expected and expected[-1] == 1:
                    expected = expected[:-1]
            if len(expected) != len(got_shape) or any(
                    e is not None and g is not None and e != g for e, g in zip(expected, got_shape)):
                raise ValueError(head + f"expected shape={_fmt(spec.shape)}, found shape={_fmt(shape)}")
