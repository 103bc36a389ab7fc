"""Global recording modes: gradient recording on/off and anomaly detection.

Example:
    >>> import autograd as ag
    >>> with ag.no_grad():
    ...     y = ag.tensor([1.0], requires_grad=True) * 2   # records nothing
    >>> y.requires_grad
    False
"""
import functools


class _State:
    """``grad_enabled``, ``anomaly``; ``tracer``: the active ``autograd.trace`` recorder (None); ``observe``: whether
    the ops must report each result (anomaly mode or a tracer), the one flag their fast paths test."""

    __slots__ = ("grad_enabled", "_anomaly", "_tracer", "observe")

    def __init__(self):
        self.grad_enabled = True
        self._anomaly = False
        self._tracer = None
        self.observe = False

    @property
    def anomaly(self):
        return self._anomaly

    @anomaly.setter
    def anomaly(self, value):
        self._anomaly = value
        self.observe = bool(value) or self._tracer is not None

    @property
    def tracer(self):
        return self._tracer

    @tracer.setter
    def tracer(self, value):
        self._tracer = value
        self.observe = bool(self._anomaly) or value is not None


STATE = _State()


def is_grad_enabled():
    """Return True when operations on tensors that require grad are recorded.

    Example:
        >>> ag.is_grad_enabled()
        True
        >>> with ag.no_grad():
        ...     print(ag.is_grad_enabled())
        False
    """
    return STATE.grad_enabled


class _GradMode:
    """Context manager and decorator that sets gradient recording to a fixed value."""

    _value = True

    def __enter__(self):
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self._value
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        value = self._value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = STATE.grad_enabled
            STATE.grad_enabled = value
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.grad_enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Record nothing inside: ops cost what numpy costs and results do not require grad.

    Example:
        >>> x = ag.tensor([1.0], requires_grad=True)
        >>> with no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _value = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block.

    Example:
        >>> x = ag.tensor([1.0], requires_grad=True)
        >>> with ag.no_grad():
        ...     with ag.enable_grad():
        ...         y = x * 2
        >>> y.requires_grad
        True
    """

    _value = True


class set_grad_enabled(_GradMode):
    """Set recording on or off: ``with set_grad_enabled(False): ...`` or as a plain call.

    Example:
        >>> x = ag.tensor([1.0], requires_grad=True)
        >>> with ag.set_grad_enabled(False):
        ...     y = x * 2
        >>> y.requires_grad, ag.is_grad_enabled()
        (False, True)
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode): expected a bool, received {mode!r}")
        self._prev = STATE.grad_enabled
        self._value = mode
        STATE.grad_enabled = mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self._prev
        return False


class detect_anomaly:
    """Raise at the first op whose forward or backward produces NaN or inf, naming the op
    and the line of user code that created it.

    Example:
        >>> with detect_anomaly(), np.errstate(invalid="ignore"):
        ...     ag.log(ag.tensor([-1.0], requires_grad=True))
        Traceback (most recent call last):
        FloatingPointError: autograd anomaly: forward of op 'log' produced NaN or inf ...
    """

    def __init__(self, enabled=True):
        self._enabled = bool(enabled)

    def __enter__(self):
        self._prev = STATE.anomaly
        STATE.anomaly = self._enabled
        return self

    def __exit__(self, *exc):
        STATE.anomaly = self._prev
        return False
