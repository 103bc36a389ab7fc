"""Progbar: Keras's progress bar, ``32/32 [==============================] - 0s 4ms/step - loss: 0.1234``.

On a terminal (or in a notebook) the bar is redrawn in place with ``\\b``/``\\r``. Elsewhere (a file, a pipe,
a CI log) nothing is drawn until the bar is finalized, and then the final state is written once, with no
``\\b`` or ``\\r``. ``verbose=2`` writes only one summary line when finalized.

Example:
    >>> bar = Progbar(target=3)
    >>> for step in range(1, 4):
    ...     bar.update(step, [("loss", 0.5)])
"""
import os
import sys
import time

import numpy as np

from .io_utils import is_interactive_logging_enabled, print_msg

__all__ = ["Progbar"]


def _dynamic_display(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except (ValueError, OSError):  # a closed or detached stream
        return False
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _format_value(avg, two_sided=True):
    big = abs(avg) > 0.001 if two_sided else avg > 0.001
    return f" {avg:.4f}" if big else f" {avg:.4e}"


def _format_time(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


class Progbar:
    """A progress bar for a task of ``target`` steps (``None`` when unknown).

    Args:
        target: total number of steps, or None.
        width: width of the bar in characters.
        verbose: 1 draws the bar, 2 prints one line when finalized, 0 prints nothing.
        interval: minimum seconds between redraws on a terminal.
        stateful_metrics: names whose values are shown as given (not averaged over steps).
        unit_name: ``"step"`` or ``"sample"``, used in the time per unit.

    Example:
        >>> bar = Progbar(2, verbose=2)
        >>> bar.update(1, [("loss", 0.5)]); bar.update(2, [("loss", 0.3)])  # doctest: +ELLIPSIS
        2/2 - ... - loss: 0.4000 - ...
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step"):
        if target is not None and (isinstance(target, bool) or int(target) != target or target < 0):
            raise ValueError(f"Progbar(target=...): expected a non-negative integer or None, received {target!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar(verbose=...): expected 0, 1 or 2, received {verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None
        self._time_after_first_step = None

    def _update_stateful_metrics(self, stateful_metrics):
        self.stateful_metrics = self.stateful_metrics.union(stateful_metrics)

    def _write(self, text):
        print_msg(text, line_break=False)

    def _bar(self, current):
        if self.target is None or self.target == 0:
            return "%7d/Unknown" % current
        numdigits = int(np.log10(self.target)) + 1
        bar = ("%" + str(numdigits) + "d/%d [") % (current, self.target)
        prog_width = int(self.width * float(current) / self.target)
        if prog_width > 0:
            bar += "=" * (prog_width - 1)
            bar += ">" if current < self.target else "="
        bar += "." * (self.width - prog_width)
        return bar + "]"

    def _estimate_step_duration(self, current, now):
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit

    def _average(self, k):
        total, count = self._values[k]
        return float(np.mean(total / max(1, count)))

    def update(self, current, values=None, finalize=None):
        """Set the progress to ``current`` steps with ``values``, a list of ``(name, value)`` pairs.

        Values not in ``stateful_metrics`` are averaged over the steps seen; ``finalize`` (default:
        ``current >= target``) ends the bar with a newline.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if k not in self.stateful_metrics:
                base = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current
        now = time.time()
        if current == self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            self._draw(current, now, finalize)
        elif self.verbose == 2 and finalize:
            self._summary_line(current, now)
        self._last_update = now

    def _draw(self, current, now, finalize):
        dynamic = is_interactive_logging_enabled() and _dynamic_display(sys.stdout)
        if not finalize and (not dynamic or now - self._last_update < self.interval):
            return
        prev_total_width = self._total_width
        message = ("\b" * prev_total_width + "\r") if dynamic else ""
        bar = self._bar(current)
        self._total_width = len(bar)
        per_unit = self._estimate_step_duration(current, now)
        if self.target is None or finalize:
            info = f" - {now - self._start:.0f}s" + _format_time(per_unit, self.unit_name)
        else:
            eta = per_unit * (self.target - current)
            if eta > 3600:
                eta_format = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
            elif eta > 60:
                eta_format = "%d:%02d" % (eta // 60, eta % 60)
            else:
                eta_format = "%ds" % eta
            info = f" - ETA: {eta_format}"
        for k in self._values_order:
            info += f" - {k}:" + _format_value(self._average(k))
        self._total_width += len(info)
        if dynamic and prev_total_width > self._total_width:
            info += " " * (prev_total_width - self._total_width)
        if finalize:
            info += "\n"
        self._write(message + bar + info)

    def _summary_line(self, current, now):
        target = self.target if self.target else max(current, 1)
        numdigits = int(np.log10(target)) + 1
        info = ("%" + str(numdigits) + "d/%d") % (current, target) + f" - {now - self._start:.0f}s"
        for k in self._values_order:
            info += f" - {k}:" + _format_value(self._average(k), two_sided=False)
        if self._time_at_epoch_end:
            per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
            self._time_at_epoch_start = now
            self._time_at_epoch_end = None
            info += " -" + _format_time(per_epoch, "epoch")
            info += " -" + _format_time(per_epoch / target, self.unit_name)
        self._write(info + "\n")

    def add(self, n, values=None):
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)
