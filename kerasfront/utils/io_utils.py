"""Interactive logging: whether kerasfront's messages (progress bars, ``Epoch 1/3``, "Found 8 files ...") go to
standard output, or to Python's ``logging`` (logger ``"kerasfront"``, level INFO), as in tf.keras.

The switch is per thread, on by default.

Example:
    >>> disable_interactive_logging(); is_interactive_logging_enabled()
    False
    >>> enable_interactive_logging()
"""
import logging
import sys
import threading

__all__ = ["disable_interactive_logging", "enable_interactive_logging", "is_interactive_logging_enabled",
           "print_msg"]

_STATE = threading.local()
_LOGGER = logging.getLogger("kerasfront")


def enable_interactive_logging():
    """Send messages to standard output (the default).

    Example:
        >>> enable_interactive_logging()
    """
    _STATE.enabled = True


def disable_interactive_logging():
    """Send messages to the ``"kerasfront"`` logger at level INFO instead of standard output.

    Example:
        >>> disable_interactive_logging()
    """
    _STATE.enabled = False


def is_interactive_logging_enabled():
    """True when messages go to standard output.

    Example:
        >>> is_interactive_logging_enabled()
        True
    """
    return getattr(_STATE, "enabled", True)


def print_msg(message, line_break=True):
    """Write ``message`` to standard output (with a newline unless ``line_break=False``), or log it when
    interactive logging is disabled.

    Example:
        >>> print_msg("Found 3 files.")
        Found 3 files.
    """
    if is_interactive_logging_enabled():
        sys.stdout.write(message + "\n" if line_break else message)
        sys.stdout.flush()
    else:
        _LOGGER.info(message)
