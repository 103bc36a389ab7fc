"""Weight constraints, as in ``tf.keras.constraints``: ``c(w) -> Tensor`` projected back into the allowed set.

The optimizer applies a variable's constraint after each update (``variable.assign(constraint(variable))``).

Example:
    >>> c = kerasfront.constraints.get("non_neg")
    >>> c(ag.tensor([-1.0, 2.0])).numpy().tolist()
    [-0.0, 2.0]
"""
import numpy as np

import autograd as ag

from .serialization import deserialize_keras_object, serialize_keras_object, tags_identifier_errors

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg", "unit_norm",
           "min_max_norm", "RadialConstraint", "radial_constraint", "get", "serialize", "deserialize"]


def _norms(w, axis):
    # NOTE: as tf.keras: sqrt of the sum of squares (clipped at 0 by backend.sqrt), keepdims for broadcasting.
    return ag.sqrt(ag.sum(ag.square(w), axis=axis, keepdims=True))


def _eps(w):
    from . import backend
    return np.asarray(backend.epsilon(), w.dtype)


def _t(w):
    return w if isinstance(w, ag.Tensor) else ag.as_tensor(np.asarray(w, np.float32))


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained weight (the identity here).

    Example:
        >>> class Clip(Constraint):
        ...     def __call__(self, w):
        ...         return kerasfront.backend.clip(w, -1.0, 1.0)
        >>> layer = kerasfront.layers.Dense(3, kernel_constraint=Clip())
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild from ``get_config()``'s dict."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescale each slice along ``axis`` whose L2 norm exceeds ``max_value`` down to ``max_value``.

    Example:
        >>> np.round(MaxNorm(1.0)(ag.tensor([[3.0], [4.0]])).numpy(), 6).tolist()     # column norm 5 -> 1
        [[0.6], [0.8]]
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _t(w)
        norms = _norms(w, self.axis)
        desired = ag.clip(norms, np.asarray(0, w.dtype), np.asarray(self.max_value, w.dtype))
        return ag.multiply(w, ag.divide(desired, ag.add(norms, _eps(w))))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zero the negative entries.

    Example:
        >>> NonNeg()(np.array([[3.0, -1.0], [4.0, 0.0]], dtype="float32"))
        Tensor([[ 3., -0.],
                [ 4.,  0.]], dtype=float32)
    """

    def __call__(self, w):
        w = _t(w)
        return ag.multiply(w, (w.data >= 0).astype(w.dtype))


class UnitNorm(Constraint):
    """Scale each slice along ``axis`` to unit L2 norm.

    Example:
        >>> UnitNorm(axis=0)(np.array([[3.0, -1.0], [4.0, 0.0]], dtype="float32"))      # each column scaled to norm 1
        Tensor([[ 0.6      , -0.9999999],
                [ 0.8      ,  0.       ]], dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _t(w)
        return ag.divide(w, ag.add(_norms(w, self.axis), _eps(w)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each slice's L2 norm into [min_value, max_value], a fraction ``rate`` of the way.

    Example:
        >>> MinMaxNorm(min_value=0.0, max_value=1.0, axis=0)(np.array([[3.0, -1.0], [4.0, 0.0]], dtype="float32"))
        Tensor([[ 0.6      , -0.9999999],
                [ 0.8      ,  0.       ]], dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if max_value < min_value:
            raise ValueError(f"MinMaxNorm: max_value ({max_value}) must be >= min_value ({min_value})")
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _t(w)
        norms = _norms(w, self.axis)
        clipped = ag.clip(norms, np.asarray(self.min_value, w.dtype), np.asarray(self.max_value, w.dtype))
        desired = ag.add(ag.multiply(clipped, np.asarray(self.rate, w.dtype)),
                         ag.multiply(norms, np.asarray(1 - self.rate, w.dtype)))
        return ag.multiply(w, ag.divide(desired, ag.add(norms, _eps(w))))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class RadialConstraint(Constraint):
    """Make every (height, width) slice of a Conv2D kernel the same along each ring around its centre, as
    tf.keras's ``RadialConstraint`` does.

    The kernel is ``(k, k, channels, filters)``; each ring is filled from one diagonal entry: for an odd ``k =
    2s + 1`` the centre takes ``kernel[s - 1, s - 1]`` and ring ``m`` takes ``kernel[s + m - 1, s + m - 1]``; for an
    even ``k = 2s`` the middle 2 x 2 block takes ``kernel[s - 1, s - 1]`` and ring ``m`` takes ``kernel[s + m,
    s + m]`` (tf.keras's choice of entries, kept). A 1 x 1 kernel is returned unchanged.

    Example:
        >>> w = np.arange(16, dtype="float32").reshape(4, 4, 1, 1)
        >>> RadialConstraint()(w)[:, :, 0, 0]
        Tensor([[15., 15., 15., 15.],
                [15.,  5.,  5., 15.],
                [15.,  5.,  5., 15.],
                [15., 15., 15., 15.]], dtype=float32)
    """

    def __call__(self, w):
        w = _t(w)
        if w.ndim != 4:
            raise ValueError(f"The weight tensor must have rank 4. Received weight tensor with shape: {w.shape}")
        k, width = w.shape[0], w.shape[1]
        if k != width:
            raise ValueError(f"RadialConstraint: the kernel must be square, received height {k} and width {width}")
        if k == 1:
            return w
        s = k // 2
        idx = np.arange(k)
        if k % 2:
            ring = np.abs(idx - s)
            rings = np.maximum(ring[:, None], ring[None, :])
            source = np.where(rings == 0, s - 1, s + rings - 1)
        else:
            dist = np.where(idx < s - 1, s - 1 - idx, np.where(idx > s, idx - s, 0))
            rings = np.maximum(dist[:, None], dist[None, :])
            source = np.where(rings == 0, s - 1, s + rings)
        return ag.getitem(w, (source, source))


max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm
radial_constraint = RadialConstraint

_BUILTINS = {"Constraint": Constraint, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
             "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
             "min_max_norm": MinMaxNorm, "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm,
             "RadialConstraint": RadialConstraint, "radial_constraint": RadialConstraint}


def serialize(constraint, use_legacy_format=False):
    """``{"class_name": ..., "config": ...}`` for a constraint (None stays None).
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> serialize(MaxNorm(2.0))["class_name"]
        'MaxNorm'
    """
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    """Rebuild a constraint from a name or config dict (unknown names list close matches).
    ``use_legacy_format`` is accepted as in tf.keras; both config forms are read either way.

    Example:
        >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3.0}}).max_value
        3.0
    """
    return deserialize_keras_object(config, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="constraint", instantiate=True)


@tags_identifier_errors
def get(identifier):
    """A constraint from a name (``'max_norm'``), a config dict or a callable; ``None`` stays None.

    Example:
        >>> type(get("max_norm")).__name__
        'MaxNorm'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"constraints.get: could not interpret constraint identifier {identifier!r} "
                     f"(expected a name, a config dict or a callable)")
