"""GradientTape: TensorFlow's spelling of reverse-mode gradients (``with tape: ...; tape.gradient(loss, vars)``).

autograd records every op on a Tensor that requires grad, whether or not a tape is open, so the tape itself
records nothing: it names the sources that get gradients (``watch``, ``watch_accessed_variables``) and
enforces TF's one-use rule for a non-persistent tape (whose graph is freed by its ``gradient`` call).

Example:
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> with ag.GradientTape() as tape:
    ...     loss = (w * w).sum()
    >>> tape.gradient(loss, [w])
    [Tensor([2., 4.])]
"""
import numpy as np

from .engine import run_backward
from .tensor import Tensor, make_leaf

__all__ = ["GradientTape"]

#: the tapes whose ``with`` block is open now (a gradient taken inside another tape records its own graph, so
#: that the outer tape can differentiate it again: second derivatives)
_ACTIVE = []


def _flatten(value, what):
    """The Tensors of a Tensor or nested list/tuple/dict, and a function packing a flat list the same way."""
    if isinstance(value, Tensor):
        return [value], lambda flat: flat[0]
    if isinstance(value, (list, tuple)):
        parts = [_flatten(v, what) for v in value]
        sizes = [len(p[0]) for p in parts]

        def pack(flat):
            out, i = [], 0
            for (_, sub), n in zip(parts, sizes):
                out.append(sub(flat[i:i + n]))
                i += n
            return type(value)(out) if isinstance(value, list) else tuple(out)
        return [t for p in parts for t in p[0]], pack
    if isinstance(value, dict):
        keys = list(value)
        flat_pack = _flatten([value[k] for k in keys], what)
        return flat_pack[0], lambda flat: dict(zip(keys, flat_pack[1](flat)))
    raise TypeError(f"GradientTape.gradient: `{what}` must be a Tensor (a Variable) or a nested list, tuple or dict "
                    f"of them, received {type(value).__name__}")


class GradientTape:
    """Gradients of a target with respect to sources, as ``tf.GradientTape`` computes them.

    Args:
        persistent: allow several ``gradient`` calls (the graph is kept); by default a second call is an error.
        watch_accessed_variables: when False, only sources passed to ``watch`` get gradients (others get None).

    Differences from TF: ops are recorded on every Tensor that requires grad (a trainable Variable, or a
    Tensor given to ``watch``), inside the ``with`` block or not; a constant Tensor must be watched before the
    ops that use it run.

    Example:
        >>> x = ag.tensor(3.0)
        >>> with ag.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> float(tape.gradient(y, x).data)
        6.0
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._watched = {}
        self._used = False

    def __enter__(self):
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc):
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        return False

    def watch(self, tensor):
        """Differentiate with respect to ``tensor`` (a Tensor or a nested list of them): a constant Tensor
        starts recording the ops that use it from now on."""
        flat, _ = _flatten(tensor, "tensor")
        for t in flat:
            if not t.requires_grad:
                if t.data.dtype.kind not in "fc":
                    raise ValueError(f"GradientTape.watch: only floating-point Tensors can be watched, received "
                                     f"dtype {t.data.dtype}")
                if t._ctx is None:
                    t.requires_grad_(True)
            self._watched[id(t)] = t

    def watched_variables(self):
        """The Tensors passed to ``watch`` (in order)."""
        return list(self._watched.values())

    def reset(self):
        """Forget what was watched (the recorded graph is the Tensors' own and stays)."""
        self._watched = {}

    def stop_recording(self):
        """A context in which ops are not recorded (``ag.no_grad``)."""
        from .modes import no_grad
        return no_grad()

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """The gradients of ``target`` (a Tensor or nested list; a non-scalar target's sum, as TF) with respect
        to ``sources`` (a Tensor/Variable or nested list/dict), in the structure of ``sources``; None for a
        source the target does not depend on (``unconnected_gradients="zero"``: zeros).

        Example:
            >>> grads = tape.gradient(loss, model.trainable_variables)
        """
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients (or "
                               "jacobians): create the tape with GradientTape(persistent=True) to call gradient() "
                               "again")
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"GradientTape.gradient(unconnected_gradients=...): expected 'none' or 'zero', received "
                             f"{unconnected_gradients!r}")
        if target is None:
            raise TypeError("GradientTape.gradient: `target` is None; pass the Tensor to differentiate (the loss)")
        targets, _ = _flatten(target, "target")
        srcs, pack = _flatten(sources, "sources")
        if output_gradients is None:
            cotangents = [None] * len(targets)
        else:
            cotangents, _ = _flatten(output_gradients, "output_gradients")
            if len(cotangents) != len(targets):
                raise ValueError(f"GradientTape.gradient: {len(targets)} target(s) but {len(cotangents)} "
                                 f"output_gradients")
        roots, root_grads = [], []
        for t, c in zip(targets, cotangents):
            if t.data.dtype.kind not in "fc":
                raise ValueError(f"GradientTape.gradient: the target must be a floating-point Tensor, received dtype "
                                 f"{t.data.dtype}")
            if c is not None and tuple(c.shape) != tuple(t.shape):
                raise ValueError(f"GradientTape.gradient: output_gradients of shape {tuple(c.shape)} for a target of "
                                 f"shape {tuple(t.shape)}")
            if t.requires_grad:
                roots.append(t)
                # NOTE: as TF, a non-scalar target is differentiated as the sum of its elements
                root_grads.append(c if c is not None else make_leaf(np.ones(t.shape, dtype=t.dtype)))
        self._used = True
        outer = any(tape is not self for tape in _ACTIVE)
        grads = (run_backward(roots, root_grads, srcs, retain_graph=self._persistent or outer, create_graph=outer)
                 if roots else [None] * len(srcs))
        out = []
        for s, g in zip(srcs, grads):
            if not self._watch_accessed_variables and id(s) not in self._watched:
                g = None
            if g is None and unconnected_gradients == "zero":
                g = make_leaf(np.zeros(s.shape, dtype=s.dtype))
            out.append(g)
        return pack(out)
