"""Learning-rate schedules, as in ``tf.keras.optimizers.schedules``: ``schedule(step) -> learning rate``.

An optimizer given a schedule evaluates it at its ``iterations`` before each update. Values are computed
in float32 in the order tf.keras uses (these are host-side scalars, not tensors of the model).

Example:
    >>> sched = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(sched(10)), 6)
    0.05
"""
import math

import numpy as np

import autograd as ag

from ..serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
           "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize"]

_f32 = np.float32


def _step(step):
    """The step as a float32 scalar (accepts ints, numpy scalars and Tensors such as ``iterations``)."""
    if isinstance(step, ag.Tensor):
        step = step.data
    return _f32(np.asarray(step))


def _out(value):
    return ag.Tensor(np.asarray(value, dtype=np.float32))


def _positive(value, arg, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value <= 0:
        raise ValueError(f"{who}({arg}=...): expected a positive number, received {value!r}")


class LearningRateSchedule:
    """Base class: implement ``__call__(step)`` and ``get_config()``.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 * 0.5 ** (step // 1000)
        ...     def get_config(self):
        ...         return {}
        >>> model.compile(optimizer=kerasfront.optimizers.SGD(learning_rate=Halving()), loss="mse")
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override __call__(step)")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override get_config()")

    @classmethod
    def from_config(cls, config):
        """Rebuild from ``get_config()``'s dict."""
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """Shared by the schedules of ``(initial_learning_rate, decay_steps, decay_rate, staircase)``: subclasses
    give ``_decayed(p)`` for the progress ``p = step / decay_steps`` (floored with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        _positive(decay_steps, "decay_steps", type(self).__name__)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = _step(step) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _out(self._decayed(p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent floored with ``staircase``).

    Example:
        >>> schedule = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
        >>> round(float(schedule(100)), 4)    # 0.1 * 0.5 ** (100 / 100)
        0.05
        >>> model.compile(optimizer=kerasfront.optimizers.Adam(learning_rate=schedule), loss="mse")
    """

    def _decayed(self, p):
        return _f32(self.initial_learning_rate) * _f32(self.decay_rate) ** p


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``,
    ``values[-1]`` after the last boundary.

    Example:
        >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]); [round(float(s(t)), 6) for t in (10, 11, 21)]
        [1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name=None):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length {len(boundaries)}, and "
                             f"values={values} of length {len(values)}.")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        s = np.asarray(step.data if isinstance(step, ag.Tensor) else step)
        for b, v in zip(self.boundaries, self.values):
            if s <= b:
                return _out(v)
        return _out(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end`` (step capped, or cycles with ``cycle``).

    Example:
        >>> round(float(PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.01)(50)), 4)
        0.055
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name=None):
        _positive(decay_steps, "decay_steps", "PolynomialDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        s = _step(step)
        decay_steps = _f32(self.decay_steps)
        if self.cycle:
            mult = _f32(1.0) if s == 0 else _f32(np.ceil(s / decay_steps))
            decay_steps = decay_steps * mult
        else:
            s = min(s, decay_steps)
        p = s / decay_steps
        init, end = _f32(self.initial_learning_rate), _f32(self.end_learning_rate)
        return _out((init - end) * (_f32(1.0) - p) ** _f32(self.power) + end)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored with ``staircase``).

    Example:
        >>> round(float(InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)(10)), 4)   # 0.1 / (1 + 10 / 10)
        0.05
    """

    def _decayed(self, p):
        return _f32(self.initial_learning_rate) / (_f32(1.0) + _f32(self.decay_rate) * p)


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` to ``alpha * initial`` over ``decay_steps``, with an optional
    linear warmup to ``warmup_target`` over ``warmup_steps`` first.

    Example:
        >>> round(float(CosineDecay(1.0, decay_steps=10)(5)), 6)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
                 warmup_steps=0):
        _positive(decay_steps, "decay_steps", "CosineDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, s, decay_steps, from_lr):
        completed = s / decay_steps
        cosine = _f32(0.5) * (_f32(1.0) + np.cos(_f32(math.pi) * completed))
        decayed = _f32(1 - self.alpha) * cosine + _f32(self.alpha)
        return from_lr * decayed

    def __call__(self, step):
        init = _f32(self.initial_learning_rate)
        decay_steps = _f32(self.decay_steps)
        s = _step(step)
        if self.warmup_target is None:
            return _out(self._decay(min(s, decay_steps), decay_steps, init))
        target = _f32(self.warmup_target)
        warmup = _f32(self.warmup_steps)
        s = min(s, decay_steps + warmup)
        if s < warmup:
            return _out((target - init) * (s / warmup) + init)
        return _out(self._decay(s - warmup, decay_steps, target))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by ``t_mul``, peaks shrink by ``m_mul``.

    Example:
        >>> round(float(CosineDecayRestarts(0.1, first_decay_steps=100)(50)), 4)        # half way down the first cosine
        0.05
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name=None):
        _positive(first_decay_steps, "first_decay_steps", "CosineDecayRestarts")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        completed = _step(step) / _f32(self.first_decay_steps)
        t_mul, m_mul, one = _f32(self._t_mul), _f32(self._m_mul), _f32(1.0)
        if t_mul == one:
            i_restart = np.floor(completed)
            completed = completed - i_restart
        else:
            i_restart = np.floor(np.log(one - completed * (one - t_mul)) / np.log(t_mul))
            sum_r = (one - t_mul ** i_restart) / (one - t_mul)
            completed = (completed - sum_r) / t_mul ** i_restart
        cosine = _f32(0.5) * m_mul ** i_restart * (one + np.cos(_f32(math.pi) * completed))
        decayed = _f32(1 - self.alpha) * cosine + _f32(self.alpha)
        return _out(_f32(self.initial_learning_rate) * decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self._t_mul, "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_BUILTINS = {c.__name__: c for c in (LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay,
                                     PolynomialDecay, InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule, use_legacy_format=False):
    """``{"class_name": ..., "config": ...}`` for a schedule.
    ``use_legacy_format`` is accepted as in tf.keras; the ``{class_name, config}`` form is written either way.

    Example:
        >>> serialize(ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5))["class_name"]
        'ExponentialDecay'
    """
    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    """Rebuild a schedule from its config dict (unknown names list close matches).
    ``use_legacy_format`` is accepted as in tf.keras; both config forms are read either way.

    Example:
        >>> deserialize(serialize(ExponentialDecay(0.1, 100, 0.5))).decay_rate
        0.5
    """
    return deserialize_keras_object(config, module_objects=_BUILTINS, custom_objects=custom_objects,
                                    printable_module_name="learning rate schedule")
