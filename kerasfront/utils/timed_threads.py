"""``TimedThread``: call ``on_interval()`` every ``interval`` seconds in a background thread, as tf.keras's
``utils.TimedThread`` (for logging or checks beside a running ``fit``).

Example:
    >>> class Ticks(TimedThread):
    ...     def on_interval(self):
    ...         self.count = getattr(self, "count", 0) + 1
    >>> with Ticks(interval=0.01) as t:
    ...     time.sleep(0.05)
    >>> t.count >= 1
    True
"""
import threading
import warnings

__all__ = ["TimedThread"]


class TimedThread:
    """A thread calling ``on_interval`` right away and then every ``interval`` seconds until ``stop()``.

    Args:
        interval: seconds between calls (a positive number).
        **kwargs: ``daemon`` (default True) and any other ``threading.Thread`` keyword.

    Example:
        >>> ticks = Ticks(interval=5); ticks.start(); ticks.stop()            # doctest: +SKIP
    """

    def __init__(self, interval, **kwargs):
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise ValueError(f"TimedThread(interval=...): expected a positive number of seconds, received "
                             f"{interval!r}")
        self.interval = interval
        self.daemon = kwargs.pop("daemon", True)
        self.thread_kwargs = kwargs
        self.thread = None
        self.thread_stop_event = None

    def _call_on_interval(self):
        while not self.thread_stop_event.is_set():
            self.on_interval()
            self.thread_stop_event.wait(self.interval)

    def start(self):
        """Start the thread (a warning, and nothing else, when it is already running)."""
        if self.thread and self.thread.is_alive():
            warnings.warn("Thread is already running.", stacklevel=2)
            return
        self.thread = threading.Thread(target=self._call_on_interval, daemon=self.daemon, **self.thread_kwargs)
        self.thread_stop_event = threading.Event()
        self.thread.start()

    def stop(self):
        """Ask the thread to stop (it ends after the current call)."""
        if self.thread_stop_event:
            self.thread_stop_event.set()

    def is_alive(self):
        """True while the thread runs."""
        return bool(self.thread and self.thread.is_alive())

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *args, **kwargs):
        self.stop()

    def on_interval(self):
        """What runs every ``interval`` seconds (implement in subclasses)."""
        raise NotImplementedError("Runs every x interval seconds. Needs to be implemented in subclasses of "
                                  "`TimedThread`")
