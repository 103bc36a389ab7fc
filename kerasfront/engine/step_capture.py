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
three tries), and ``model._jit_fallbacks`` says why (a warning when ``jit_compile=True`` was asked for). A step that
reads one of its values into Python (``bool``, ``float``, ``int``, ``item``: a branch on the data) is not recorded
at all (eager, with the reason). A change of structure (layers added, ``trainable`` toggled, a metric added) or a
new ``compile`` starts over, and so does a change of a plain Python value in a layer's or loss's attribute (a
Dropout's ``rate``, a Dense's ``activation``: ``ATTRIBUTE_VERSION`` moves, then ``python_values`` are compared
with the recordings'); one that changes ``_MAX_ATTRIBUTE_CHANGES`` times leaves every step eager. A value changed
inside a list or dict attribute, or a global a layer reads, is not seen.

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

from .base_layer import ATTRIBUTE_VERSION, METRICS_VERSION, STRUCTURE_VERSION, is_plain_value, set_mask
from ..variables import live_variables

__all__ = ["TrainStepCapture", "capture_enabled"]

#: how many times a signature's two recordings may differ before it stays eager
_MAX_TRIES = 3
#: how many times the layers' Python values may change under the captured steps before every step stays eager
_MAX_ATTRIBUTE_CHANGES = 8
#: attributes a training step does not read (fit sets them)
_UNWATCHED = frozenset({"stop_training", "_loss_epoch"})


def python_values(model):
    """The plain Python values (numbers, strings, bools, None, tuples of them, functions) held in the attributes of the
    model's layers and of its compiled losses: what a recorded step may have read as constants.

    Example:
        >>> dict(python_values(model))[("dropout", "rate")]
        0.5
    """
    out = []
    for layer in model._flatten_layers():
        for k, v in layer.__dict__.items():
            if k not in _UNWATCHED and is_plain_value(v):
                out.append(((layer.name, k), v))
    compiled = model.compiled_loss
    for i, loss in enumerate(getattr(compiled, "losses", None) or ()):
        for k, v in getattr(loss, "__dict__", {}).items():
            if is_plain_value(v):
                out.append(((f"loss {i}", k), v))
            elif type(v) is dict:
                out.extend(((f"loss {i}", f"{k}[{kk!r}]"), vv) for kk, vv in v.items() if is_plain_value(vv))
    return out


def _first_change(before, after):
    old = dict(before)
    for key, value in after:
        if key not in old or type(old[key]) is not type(value) or not _equal(old[key], value):
            return f"{key[0]}.{key[1]}"
    return "an attribute was removed"


def _equal(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


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
        self._attribute_version = None
        self._values = None
        self._changes = 0
        self.off = None

    def __deepcopy__(self, memo):
        # a copy of the model starts with no captured steps (a replay reads the original's Variables)
        import copy
        return TrainStepCapture(copy.deepcopy(self.model, memo), self.explicit)

    def __getstate__(self):
        return {"model": self.model, "explicit": self.explicit, "entries": {}, "_ready": False, "_warned": set(),
                "_attribute_version": None, "_values": None, "_changes": 0, "off": None}

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
            return self._eager(xb, yb, swb)
        if self.off is not None:
            return model._train_compute(xb, yb, swb)
        if ATTRIBUTE_VERSION[0] != self._attribute_version:
            self._check_python_values()
            if self.off is not None:
                return model._train_compute(xb, yb, swb)
        flat = list(xb) + ([] if yb is None else list(yb)) + ([] if swb is None else list(swb))
        key = self._key(flat)
        entry = self.entries.get(key)
        if entry is None:
            if len(self.entries) >= 64 or any(a is not None and a.dtype == object for a in flat):
                return self._eager(xb, yb, swb)
            entry = self.entries[key] = _Entry()
        if entry.replay is not None:
            return entry.layout.unflatten(entry.replay([a for a in flat if a is not None], check=False))
        if entry.reason is not None:
            return self._eager(xb, yb, swb)
        arrays = [a for a in flat if a is not None]
        if entry.inputs is not None and all(a.shape == b.shape and np.array_equal(a, b)
                                            for a, b in zip(arrays, entry.inputs)):
            # the same data again: a second recording would not show what depends on the data
            return self._eager(xb, yb, swb)
        held = []

        def step(*_):
            held.append(model._train_compute(xb, yb, swb))
            return _Layout.flatten(held[0])
        before = self._values
        _, captured = ag.trace.capture(step, arrays, state=live_variables())
        self._sync_python_values()
        result = held[0]
        if captured.failure is not None:
            self._give_up(entry, key, captured.failure)
            return result
        # NOTE: a step that changes a layer's Python value (a counter a layer keeps) has an effect a replay, which
        # runs no layer code, would not have: recorded again, and eager if it does so every time
        reason = (None if before is None or before == self._values else
                  f"the step sets {_first_change(before, self._values)} (a Python effect a replay would not have)")
        if reason is None and entry.captured is None:
            entry.captured, entry.inputs, entry.layout = captured, [a.copy() for a in arrays], _Layout(result)
            return result
        if reason is None:
            reason = entry.captured.differs(captured)
        if reason is None:
            entry.replay = captured.compile()
            entry.captured = entry.inputs = None
            return result
        entry.tries += 1
        if entry.tries >= _MAX_TRIES:
            self._give_up(entry, key, reason)
        elif before == self._values:
            entry.captured, entry.inputs, entry.layout = captured, [a.copy() for a in arrays], _Layout(result)
        else:
            entry.captured = entry.inputs = None
        return result

    def _eager(self, xb, yb, swb):
        """An eager step (what it sets in the layers is the steps' own business: the values are taken again)."""
        result = self.model._train_compute(xb, yb, swb)
        if ATTRIBUTE_VERSION[0] != self._attribute_version:
            self._sync_python_values()
        return result

    def _sync_python_values(self):
        self._attribute_version = ATTRIBUTE_VERSION[0]
        self._values = python_values(self.model)

    def _check_python_values(self):
        """A layer's (or loss's) plain attribute was set: if any value differs from the recordings', they are
        stale (a recorded step read its constants), so every signature is recorded again; after
        ``_MAX_ATTRIBUTE_CHANGES`` such changes every step stays eager."""
        self._attribute_version = ATTRIBUTE_VERSION[0]
        values = python_values(self.model)
        if self._values is None or values == self._values:
            self._values = values
            return
        where = _first_change(self._values, values)
        self._values = values
        if any(e.replay is not None or e.captured is not None for e in self.entries.values()):
            self._changes += 1
        self.entries = {}
        if self._changes >= _MAX_ATTRIBUTE_CHANGES:
            self.off = (f"the Python value {where} changed under the captured steps {self._changes} times (a "
                        f"recorded step reads such values as constants)")
            self._give_up(_Entry(), (None, None, None, "all signatures"), self.off)

    def _give_up(self, entry, key, reason):
        entry.reason = reason
        entry.captured = entry.inputs = None
        fallbacks = self.model.__dict__.setdefault("_jit_fallbacks", {})
        fallbacks[key[3]] = reason
        if self.explicit and reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(f"compile(jit_compile=True): the training step of model '{self.model.name}' cannot be "
                          f"captured for inputs {[s for s in key[3]]}, so it runs eagerly: {reason}", stacklevel=4)
