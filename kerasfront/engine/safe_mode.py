"""Safe mode for deserialization: configs never run code from a file (a Lambda's saved bytecode) unless the
user turns safe mode off for one load (``load_model(..., safe_mode=False)``) or for the process.

Example:
    >>> with SafeModeScope(False):
    ...     model = Sequential.from_config(config_with_a_lambda)
"""
import threading

_STATE = threading.local()
_GLOBAL = {"unsafe": False}


def in_safe_mode():
    """True unless a ``SafeModeScope(False)`` is active or unsafe deserialization was enabled globally.

    Example:
        >>> with SafeModeScope(False):
        ...     in_safe_mode()
        False
    """
    stack = getattr(_STATE, "stack", None)
    if stack:
        return stack[-1]
    return not _GLOBAL["unsafe"]


class SafeModeScope:
    """Set safe mode inside a block (``None`` keeps the current setting).

    Args:
        safe_mode: True, False or None.

    Example:
        >>> with SafeModeScope(True):
        ...     in_safe_mode()
        True
    """

    def __init__(self, safe_mode=True):
        if safe_mode is not None and not isinstance(safe_mode, bool):
            raise TypeError(f"safe_mode must be True, False or None, received {safe_mode!r}")
        self.safe_mode = safe_mode

    def __enter__(self):
        if not hasattr(_STATE, "stack"):
            _STATE.stack = []
        _STATE.stack.append(in_safe_mode() if self.safe_mode is None else self.safe_mode)
        return self

    def __exit__(self, *exc):
        _STATE.stack.pop()
        return False


def enable_unsafe_deserialization():
    """Allow loading Lambda bytecode everywhere in this process (Keras 3's ``keras.config`` spelling).

    Only for files you trust: it cannot be undone for the process (a ``SafeModeScope(True)`` still wins
    inside its block).

    Example:
        >>> enable_unsafe_deserialization()  # doctest: +SKIP
    """
    _GLOBAL["unsafe"] = True
