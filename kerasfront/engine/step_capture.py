"""The training step captured once per input signature and replayed: what ``compile(jit_compile=...)`` turns on.

``fit`` and ``train_on_batch`` compute each step's losses, outputs and gradients with ``Model._train_compute`` (the
eager step, the reference). With capture on (``jit_compile`` True, or None / ``"auto"``: the default; off with
``jit_compile=False`` or ``run_eagerly=True``), ``TrainStepCapture`` records that computation with
``autograd.trace.capture`` while it runs and replays it for later batches of the same signature (the shapes and dtypes
of x, y and sample weights; the step is always ``training=True``): one generated function calling the same numpy
functions and vjps in the same order, with no layer code, no Tensor graph and no backward scheduling. What follows
the computation stays eager, captured or not: the loss trackers, the gradient reduction seam
(``Model._reduce_gradients``), the optimizer's update (fused, in place; learning-rate schedules, callbacks that
change the learning rate, clipping, loss scaling, constraints all see every step) and the compiled metrics.

When a signature is captured: never on a model's first step after ``compile`` (it builds the model and the
containers); the first step of a signature is recorded, then the next step of that signature on other data is
recorded again and the two recordings are compared: the same ops with the same constants (nothing computed with
numpy from the data, no branch on the data) make the signature replayable; a difference leaves it eager (after
three tries), and ``model._jit_fallbacks`` says why (a warning when ``jit_compile=True`` was asked for). A change of
structure (layers added, ``trainable`` toggled, a metric added) or a new ``compile`` starts over.

Numbers: a replay runs the eager step's numpy calls in the eager step's order on the same arrays, so a replayed
step equals the eager one exactly (the tests check bitwise equality over several steps, dropout included: masks
are drawn from the same generators, in the same order).

Example:
    >>> model.compile(optimizer="adam", loss="mse")            # captured by default
    >>> model.fit(x, y, epochs=3, verbose=0)
    >>> model.compile(optimizer="adam", loss="mse", jit_compile=False)   # every step eager
"""
import warnings

import numpy as np

import autograd as ag
from autograd.modes import STATE

from .base_layer import METRICS_VERSION, STRUCTURE_VERSION, set_mask
from ..variables import live_variables

__all__ = ["TrainStepCapture", "capture_enabled"]

#: how many times a signature's two recordings may differ before it stays eager
_MAX_TRIES = 3


def capture_enabled(jit_compile, run_eagerly):
    """Whether compile's arguments ask for a captured step (``jit_compile`` None and ``"auto"`` mean yes).

    Example:
        >>> capture_enabled(None, None), capture_enabled(False, None), capture_enabled(True, True)
        (True, False, False)
    """
    if run_eagerly:
        return False
    return jit_compile is None or jit_compile is True or jit_compile == "auto"


class StepResult:
    """One training step's computation: the total loss, the loss trackers' parts, the outputs (and their masks),
    the gradients (None when nothing is trained)."""

    __slots__ = ("total", "parts", "batch", "y_pred", "grads")

    def __init__(self, total, parts, batch, y_pred, grads):
        self.total, self.parts, self.batch, self.y_pred, self.grads = total, parts, batch, y_pred, grads


class _Entry:
    """One signature: recordings so far, the replay once proven, or why it stays eager."""

    __slots__ = ("captured", "inputs", "layout", "replay", "reason", "tries")

    def __init__(self):
        self.captured = self.inputs = self.layout = self.replay = self.reason = None
        self.tries = 0


class _Layout:
    """How a step's flat outputs map back to a ``StepResult`` (the structure is fixed per signature)."""

    __slots__ = ("parts", "batch", "n_pred", "masks", "n_grads")

    def __init__(self, result):
        self.parts = [(i, n, w, f) for i, _, n, w, f in result.parts]
        self.batch = result.batch
        self.n_pred = len(result.y_pred)
        from .base_layer import get_mask
        self.masks = [get_mask(t) is not None for t in result.y_pred]
        self.n_grads = None if result.grads is None else len(result.grads)

    @staticmethod
    def flatten(result):
        from .base_layer import get_mask
        out = [result.total] + [p[1] for p in result.parts] + list(result.y_pred)
        out += [get_mask(t) for t in result.y_pred if get_mask(t) is not None]
        return out + (list(result.grads) if result.grads is not None else [])

    def unflatten(self, flat):
        k = 1
        parts = []
        for i, n, w, f in self.parts:
            parts.append((i, flat[k], n, w, f))
            k += 1
        y_pred = flat[k:k + self.n_pred]
        k += self.n_pred
        for t, has in zip(y_pred, self.masks):
            if has:
                set_mask(t, flat[k])
                k += 1
        grads = None if self.n_grads is None else flat[k:k + self.n_grads]
        return StepResult(flat[0], parts, self.batch, y_pred, grads)


class TrainStepCapture:
    """A model's captured training steps, by signature (made by ``compile``; see the module docstring)."""

    def __init__(self, model, explicit):
        self.model = model
        self.explicit = bool(explicit)
        self.entries = {}
        self._ready = False
        self._warned = set()

    def __deepcopy__(self, memo):
        # a copy of the model starts with no captured steps (a replay reads the original's Variables)
        import copy
        return TrainStepCapture(copy.deepcopy(self.model, memo), self.explicit)

    def __getstate__(self):
        return {"model": self.model, "explicit": self.explicit, "entries": {}, "_ready": False, "_warned": set()}

    def _key(self, arrays):
        # NOTE: data parallelism's share of the global batch (a Python number the loss reads) is part of the key
        return (STRUCTURE_VERSION[0], METRICS_VERSION[0], id(self.model.optimizer),
                tuple(None if a is None else (a.shape, a.dtype.str) for a in arrays),
                self.model.compiled_loss.replica_share)

    def train_step(self, xb, yb, swb):
        """The ``StepResult`` of one training step on these batch arrays (replayed, recorded, or eager)."""
        model = self.model
        if not self._ready or STATE.anomaly or STATE.tracer is not None:
            # the model's first step after compile builds it and its containers: eager, not recorded
            self._ready = model.compiled_loss.built and model.compiled_metrics.built
            return model._train_compute(xb, yb, swb)
        flat = list(xb) + ([] if yb is None else list(yb)) + ([] if swb is None else list(swb))
        key = self._key(flat)
        entry = self.entries.get(key)
        if entry is None:
            if len(self.entries) >= 64 or any(a is not None and a.dtype == object for a in flat):
                return model._train_compute(xb, yb, swb)
            entry = self.entries[key] = _Entry()
        if entry.replay is not None:
            return entry.layout.unflatten(entry.replay([a for a in flat if a is not None], check=False))
        if entry.reason is not None:
            return model._train_compute(xb, yb, swb)
        arrays = [a for a in flat if a is not None]
        if entry.inputs is not None and all(a.shape == b.shape and np.array_equal(a, b)
                                            for a, b in zip(arrays, entry.inputs)):
            # the same data again: a second recording would not show what depends on the data
            return model._train_compute(xb, yb, swb)
        held = []

        def step(*_):
            held.append(model._train_compute(xb, yb, swb))
            return _Layout.flatten(held[0])
        _, captured = ag.trace.capture(step, arrays, state=live_variables())
        result = held[0]
        if captured.failure is not None:
            self._give_up(entry, key, captured.failure)
        elif entry.captured is None:
            entry.captured, entry.inputs, entry.layout = captured, [a.copy() for a in arrays], _Layout(result)
        else:
            reason = entry.captured.differs(captured)
            if reason is None:
                entry.replay = captured.compile()
                entry.captured = entry.inputs = None
            else:
                entry.tries += 1
                if entry.tries >= _MAX_TRIES:
                    self._give_up(entry, key, reason)
                else:
                    entry.captured, entry.inputs, entry.layout = captured, [a.copy() for a in arrays], \
                        _Layout(result)
        return result

    def _give_up(self, entry, key, reason):
        entry.reason = reason
        entry.captured = entry.inputs = None
        fallbacks = self.model.__dict__.setdefault("_jit_fallbacks", {})
        fallbacks[key[3]] = reason
        if self.explicit and reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(f"compile(jit_compile=True): the training step of model '{self.model.name}' cannot be "
                          f"captured for inputs {[s for s in key[3]]}, so it runs eagerly: {reason}", stacklevel=4)
