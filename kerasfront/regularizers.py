"""Weight regularizers, as in ``tf.keras.regularizers``: ``reg(weight) -> scalar ag.Tensor`` penalty.

The penalty is an autograd expression of the weight, so it is differentiated with the loss.

Example:
    >>> reg = kerasfront.regularizers.get("l2")        # L2(l2=0.01)
    >>> round(float(reg(ag.tensor([[1.0, 2.0]]))), 6)   # 0.01 * (1 + 4)
    0.05
"""
import math

import numpy as np

import autograd as ag

from .serialization import deserialize_keras_object, serialize_keras_object, tags_identifier_errors

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2", "get", "serialize",
           "deserialize"]


def _penalty(value, arg, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{who}({arg}=...): expected an int or float penalty, received {value!r}")
    if math.isinf(value) or math.isnan(value):
        raise ValueError(f"{who}({arg}=...): the penalty must be finite, received {value!r}")
    # NOTE: tf.keras stores the factor as float32 (cast_to_floatx), so get_config reports 0.009999999776...
    return np.float32(value)


def _as_float(x):
    x = x if isinstance(x, ag.Tensor) else ag.as_tensor(np.asarray(x, np.float32))
    return x


class Regularizer:
    """Base class: ``__call__(x)`` returns the penalty; subclasses define ``get_config``.

    Example:
        >>> class Sparse(Regularizer):
        ...     def __call__(self, w):
        ...         return 0.01 * kerasfront.backend.sum(kerasfront.backend.abs(w))
        >>> layer = kerasfront.layers.Dense(3, kernel_regularizer=Sparse())
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        """Rebuild from ``get_config()``'s dict."""
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)`` (both default to 0 here; ``l1_l2()`` uses 0.01 each).

    Example:
        >>> round(float(L1L2(l1=0.1, l2=0.1)(ag.tensor([1.0, -2.0]))), 6)   # 0.1 * 3 + 0.1 * 5
        0.8
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _penalty(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _penalty(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x):
        x = _as_float(x)
        reg = None
        if self.l1:
            reg = ag.multiply(ag.sum(ag.abs(x)), self.l1.astype(x.dtype))
        if self.l2:
            term = _l2_term(x, self.l2)
            reg = term if reg is None else ag.add(reg, term)
        if reg is None:
            return ag.Tensor(np.zeros((), x.dtype))
        return reg

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


def _l2_term(x, factor):
    # NOTE: tf.keras computes 2 * l2 * tf.nn.l2_loss(x) with l2_loss = sum(x**2) / 2; same order here.
    half_sq = ag.multiply(ag.sum(ag.square(x)), np.asarray(0.5, x.dtype))
    return ag.multiply(half_sq, np.asarray(2.0 * factor, x.dtype))


class L1(Regularizer):
    """``l1 * sum(|x|)`` (default factor 0.01).

    Example:
        >>> L1(0.01)(np.array([[1.0, -2.0]], dtype="float32"))                      # 0.01 * (1 + 2)
        Tensor(0.03, dtype=float32)
    """

    def __init__(self, l1=0.01, **kwargs):
        l1 = kwargs.pop("l", l1)
        if kwargs:
            raise TypeError(f"L1: argument(s) not recognized: {sorted(kwargs)}")
        self.l1 = _penalty(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x):
        x = _as_float(x)
        return ag.multiply(ag.sum(ag.abs(x)), self.l1.astype(x.dtype))

    def get_config(self):
        return {"l1": float(self.l1)}


class L2(Regularizer):
    """``l2 * sum(x**2)`` (default factor 0.01).

    Example:
        >>> L2(0.01)(np.array([[1.0, -2.0]], dtype="float32"))                      # 0.01 * (1 + 4)
        Tensor(0.05, dtype=float32)
        >>> layer = kerasfront.layers.Dense(3, kernel_regularizer=L2(0.01))
    """

    def __init__(self, l2=0.01, **kwargs):
        l2 = kwargs.pop("l", l2)
        if kwargs:
            raise TypeError(f"L2: argument(s) not recognized: {sorted(kwargs)}")
        self.l2 = _penalty(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x):
        return _l2_term(_as_float(x), self.l2)

    def get_config(self):
        return {"l2": float(self.l2)}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2-d weight: ``factor * mean |cos(angle)|`` over pairs.

    Example:
        >>> layer = kerasfront.layers.Dense(8, kernel_regularizer=OrthogonalRegularizer(factor=0.01, mode="rows"))
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _penalty(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer(mode=...): expected 'rows' or 'columns', received {mode!r}")
        self.mode = mode

    def __call__(self, x):
        from . import backend as K
        x = _as_float(x)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer: inputs must have rank 2, received shape {x.shape}")
        if self.mode == "rows":
            x = K.l2_normalize(x, axis=1)
            product = ag.matmul(x, ag.transpose(x))
            size = x.shape[0]
        else:
            x = K.l2_normalize(x, axis=0)
            product = ag.matmul(ag.transpose(x), x)
            size = x.shape[1]
        off_diag = ag.multiply(product, (1.0 - np.eye(size)).astype(x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return ag.divide(ag.multiply(ag.sum(ag.abs(off_diag)), np.asarray(self.factor * 0.5, x.dtype)),
                         np.asarray(num_pairs, x.dtype))

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


def l1_l2(l1=0.01, l2=0.01):
    """``L1L2`` with Keras 2's default factors 0.01 and 0.01.

    Example:
        >>> l1_l2(l1=0.01, l2=0.01)(np.array([[1.0, -2.0]], dtype="float32"))
        Tensor(0.08, dtype=float32)
    """
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer

_BUILTINS = {"Regularizer": Regularizer, "L1L2": L1L2, "L1": L1, "L2": L2,
             "OrthogonalRegularizer": OrthogonalRegularizer, "l1": L1, "l2": L2,
             "orthogonal_regularizer": OrthogonalRegularizer, "l1_l2": l1_l2}


def serialize(regularizer, use_legacy_format=False):
    """``{"class_name": ..., "config": ...}`` for a regularizer (None stays None).
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> serialize(L2(0.01))["class_name"]
        'L2'
    """
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    """Rebuild a regularizer from a name or config dict (unknown names list close matches).
    ``use_legacy_format`` is accepted as in tf.keras; both config forms are read either way.

    Example:
        >>> type(deserialize({"class_name": "L1", "config": {"l1": 0.1}})).__name__
        'L1'
    """
    if config == "l1_l2":
        return L1L2(l1=0.01, l2=0.01)
    return deserialize_keras_object(config, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="regularizer", instantiate=True)


@tags_identifier_errors
def get(identifier):
    """A regularizer from a name (``'l2'``), a config dict or a callable; ``None`` stays None.

    Example:
        >>> get("l1").get_config()
        {'l1': 0.009999999776482582}
    """
    if identifier is None:
        return None
    if isinstance(identifier, (dict, str)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"regularizers.get: could not interpret regularizer identifier {identifier!r} "
                     f"(expected a name, a config dict or a callable)")
