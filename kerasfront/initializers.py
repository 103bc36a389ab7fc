"""Weight initializers, as in ``tf.keras.initializers``: ``init(shape, dtype='float32') -> ag.Tensor``.

Fans follow Keras: for a kernel of shape ``(..., in, out)`` the receptive field (product of the leading
dimensions) multiplies both ``in`` and ``out``. Random draws come from ``kerasfront.random_state``: an
initializer with a ``seed`` gives the same values on every call; one without draws from the global
generator (reset by ``kerasfront.utils.set_random_seed``). The numbers are not TensorFlow's.

Example:
    >>> init = kerasfront.initializers.get("glorot_uniform")
    >>> init((3, 4)).shape
    (3, 4)
"""
import math

import numpy as np

import autograd as ag

from . import random_state
from .serialization import deserialize_keras_object, serialize_keras_object, tags_identifier_errors

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
           "LecunUniform", "Orthogonal", "Identity", "get", "serialize", "deserialize"]


def _shape(shape, who):
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: shape must be a tuple of ints, received {shape!r}") from None
    if any(s < 0 for s in shape) or any(s is None for s in shape):
        raise ValueError(f"{who}: shape must be fully defined with non-negative sizes, received {shape}")
    return shape


def _float_dtype(dtype, who):
    dt = np.dtype(dtype or "float32")
    if dt.kind != "f":
        raise ValueError(f"{who}: expected a floating dtype, received {dt.name}")
    return dt


def _compute_fans(shape):
    """``(fan_in, fan_out)`` as Keras computes them (conv kernels: receptive field times channels)."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config()``.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None, **kwargs):
        ...         return np.full(shape, 0.5, dtype=dtype or "float32")
        >>> layer = kerasfront.layers.Dense(3, kernel_initializer=Halves())
    """

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self):
        """The constructor arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild from ``get_config()``'s dict."""
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"{type(self).__name__}(seed=...): expected an int or None, received {seed!r}")
        self.seed = None if seed is None else int(seed)

    def _generator(self):
        return random_state.make_generator(self.seed) if self.seed is not None else random_state.generator()


class Zeros(Initializer):
    """All zeros.

    Example:
        >>> Zeros()((2,))
        Tensor([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None, **kwargs):
        dt = np.dtype(dtype or "float32")
        return ag.Tensor(np.zeros(_shape(shape, "Zeros"), dt))


class Ones(Initializer):
    """All ones.

    Example:
        >>> Ones()(shape=(2, 2))
        Tensor([[1., 1.],
                [1., 1.]], dtype=float32)
        >>> layer = kerasfront.layers.Dense(2, bias_initializer=Ones())
    """

    def __call__(self, shape, dtype=None, **kwargs):
        dt = np.dtype(dtype or "float32")
        return ag.Tensor(np.ones(_shape(shape, "Ones"), dt))


class Constant(Initializer):
    """Every entry equal to ``value`` (a scalar, or an array broadcastable to the shape).

    Example:
        >>> Constant(0.5)((2,))
        Tensor([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        dt = np.dtype(dtype or "float32")
        shape = _shape(shape, "Constant")
        v = np.asarray(self.value, dtype=dt)
        try:
            return ag.Tensor(np.array(np.broadcast_to(v, shape), dtype=dt))
        except ValueError:
            raise ValueError(f"Constant: value of shape {v.shape} cannot fill a weight of shape {shape}") from None

    def get_config(self):
        value = self.value
        if isinstance(value, np.ndarray):
            value = value.tolist()
        return {"value": value}


class RandomNormal(_Seeded):
    """Normal draws with ``mean`` and ``stddev`` (defaults 0.0 and 0.05).

    Example:
        >>> init = RandomNormal(mean=0.0, stddev=0.05, seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=RandomNormal(mean=0.0, stddev=0.05, seed=1))
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None, **kwargs):
        dt = _float_dtype(dtype, "RandomNormal")
        vals = self._generator().normal(self.mean, self.stddev, size=_shape(shape, "RandomNormal"))
        return ag.Tensor(vals.astype(dt))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    """Uniform draws in [minval, maxval) (defaults -0.05 and 0.05).

    Example:
        >>> init = RandomUniform(minval=-0.05, maxval=0.05, seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=RandomUniform(minval=-0.05, maxval=0.05, seed=1))
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _shape(shape, "RandomUniform")
        dt = np.dtype(dtype or "float32")
        gen = self._generator()
        if dt.kind in "iu":
            return ag.Tensor(gen.integers(self.minval, self.maxval, size=shape).astype(dt))
        return ag.Tensor(gen.uniform(self.minval, self.maxval, size=shape).astype(dt))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_standard_normal(gen, shape):
    # NOTE: as tf.random.truncated_normal: values beyond two standard deviations are redrawn.
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out


class TruncatedNormal(_Seeded):
    """Normal draws with ``mean`` and ``stddev``, redrawn beyond two standard deviations.

    Example:
        >>> init = TruncatedNormal(stddev=0.05, seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> float(abs(w).max()) <= 2 * 0.05
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=TruncatedNormal(stddev=0.05, seed=1))
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None, **kwargs):
        dt = _float_dtype(dtype, "TruncatedNormal")
        vals = _truncated_standard_normal(self._generator(), _shape(shape, "TruncatedNormal"))
        return ag.Tensor((vals * self.stddev + self.mean).astype(dt))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(_Seeded):
    """Draws scaled to the weight's fans: variance ``scale / n``.

    ``mode``: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'`` picks n; ``distribution``:
    ``'truncated_normal'`` (stddev ``sqrt(scale / n) / 0.8796...``), ``'untruncated_normal'`` or
    ``'uniform'`` (limit ``sqrt(3 * scale / n)``).

    Example:
        >>> VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=1)((64, 32)).shape
        (64, 32)
    """

    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform", "normal")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if not isinstance(scale, (int, float, np.floating, np.integer)) or scale <= 0.0:
            raise ValueError(f"VarianceScaling(scale=...): expected a positive float, received {scale!r}")
        mode = str(mode).lower()
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling(mode=...): expected 'fan_in', 'fan_out' or 'fan_avg', "
                             f"received {mode!r}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling(distribution=...): expected 'truncated_normal', "
                             f"'untruncated_normal' or 'uniform', received {distribution!r}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape, dtype=None, **kwargs):
        name = type(self).__name__
        shape = _shape(shape, name)
        dt = _float_dtype(dtype, name)
        fan_in, fan_out = _compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        gen = self._generator()
        if self.distribution == "truncated_normal":
            # NOTE: 0.8796... is the stddev of a standard normal truncated to [-2, 2]; dividing by it makes
            # the truncated draws have the requested variance.
            stddev = math.sqrt(scale) / 0.87962566103423978
            vals = _truncated_standard_normal(gen, shape) * stddev
        elif self.distribution == "untruncated_normal":
            vals = gen.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            vals = gen.uniform(-limit, limit, size=shape)
        return ag.Tensor(vals.astype(dt))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class _Preset(VarianceScaling):
    _PRESET = (1.0, "fan_avg", "uniform")

    def __init__(self, seed=None):
        scale, mode, dist = self._PRESET
        super().__init__(scale=scale, mode=mode, distribution=dist, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Keras's default kernel init).

    Example:
        >>> init = GlorotUniform(seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=GlorotUniform(seed=1))
    """
    _PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> init = GlorotNormal(seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=GlorotNormal(seed=1))
    """
    _PRESET = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)``.

    Example:
        >>> init = HeNormal(seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=HeNormal(seed=1))
    """
    _PRESET = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    """Uniform with ``limit = sqrt(6 / fan_in)``.

    Example:
        >>> init = HeUniform(seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=HeUniform(seed=1))
    """
    _PRESET = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """Truncated normal with ``stddev = sqrt(1 / fan_in)``.

    Example:
        >>> init = LecunNormal(seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=LecunNormal(seed=1))
    """
    _PRESET = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """Uniform with ``limit = sqrt(3 / fan_in)``.

    Example:
        >>> init = LecunUniform(seed=1)
        >>> w = init(shape=(100, 50))
        >>> w.shape, w.dtype
        ((100, 50), dtype('float32'))
        >>> bool((init(shape=(100, 50)) == w).all())      # seeded: the same values on every call
        True
        >>> layer = kerasfront.layers.Dense(50, kernel_initializer=LecunUniform(seed=1))
    """
    _PRESET = (1.0, "fan_in", "uniform")


class Orthogonal(_Seeded):
    """An orthogonal matrix (from the QR decomposition of normal draws) times ``gain``.

    Shapes of rank > 2 are treated as ``(prod(shape[:-1]), shape[-1])`` matrices.

    Example:
        >>> w = Orthogonal(seed=0)((4, 4)).numpy(); np.allclose(w @ w.T, np.eye(4), atol=1e-6)
        True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _shape(shape, "Orthogonal")
        dt = _float_dtype(dtype, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least two dimensions, received {shape}")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = self._generator().standard_normal(flat)
        q, r = np.linalg.qr(a)
        d = np.sign(np.diag(r))
        d[d == 0] = 1.0
        q = q * d
        if rows < cols:
            q = q.T
        return ag.Tensor((self.gain * q.reshape(shape)).astype(dt))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-d shapes only).

    Example:
        >>> Identity()((2, 2)).numpy().tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity: the shape must have exactly two dimensions, received {shape}")
        dt = _float_dtype(dtype, "Identity")
        return ag.Tensor((self.gain * np.eye(*shape)).astype(dt))

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = [Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, GlorotUniform,
            GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal, Identity]


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


_BUILTINS = {}
for _cls in _CLASSES:
    _BUILTINS[_cls.__name__] = _cls
    _BUILTINS[_snake(_cls.__name__)] = _cls
_BUILTINS.update({"normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros})

# lower-case function-style aliases, as tf.keras exports them
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
identity = Identity


def serialize(initializer, use_legacy_format=False):
    """``{"class_name": ..., "config": ...}`` for an initializer.
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> serialize(GlorotUniform())
        {'class_name': 'GlorotUniform', 'config': {'seed': None}}
    """
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    """Rebuild an initializer from a name or a config dict (unknown names list close matches).
    ``use_legacy_format`` is accepted as in tf.keras; both config forms are read either way.

    Example:
        >>> type(deserialize({"class_name": "HeNormal", "config": {"seed": 1}})).__name__
        'HeNormal'
    """
    return deserialize_keras_object(config, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="initializer", instantiate=True)


@tags_identifier_errors
def get(identifier):
    """An initializer instance from a name (``'he_normal'``), a config dict, an instance, a class or a callable.

    Example:
        >>> get("zeros")((2,))
        Tensor([0., 0.], dtype=float32)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"initializers.get: could not interpret initializer identifier {identifier!r} "
                     f"(expected a name, a config dict or a callable)")
