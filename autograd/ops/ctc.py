"""Connectionist temporal classification (CTC, Graves et al. 2006): the loss as one primitive with a
hand-written gradient, and the greedy and beam-search decoders.

``ctc_loss(logits, labels, label_lengths, logit_lengths)`` is the negative log-likelihood of each label
sequence under the per-frame class distributions ``softmax(logits)``, summed over every alignment (blanks
between and around the labels, repeated frames merged). Its forward runs the forward-backward recursion in
log space (``np.logaddexp``: no underflow however long the sequence) over the extended label sequence
``blank l1 blank l2 ... blank``, and saves the gradient

    d loss / d logits[b, t, c] = softmax(logits)[b, t, c] - sum over states s with label c of gamma[b, t, s]

(gamma: the posterior probability of being in state s at frame t; zero for frames past ``logit_lengths``).
A label sequence no alignment can produce (too many repeats for its frames) has loss ``inf`` and the
gradient softmax (gamma zero), as TensorFlow's CTC. Second order: the gradient's jvp and vjp are one
Hessian-vector product (the Hessian is symmetric), computed by pushing a tangent through the same alpha and
beta recursions; a third derivative raises a NotImplementedError naming ``ctc_loss_hvp``.

The decoders follow TensorFlow's: greedy takes the best class per frame, merges repeats and drops blanks;
the beam search is TensorFlow's prefix beam search (a tree of prefixes, each with the log-probability of
ending in a blank and in its last label; the ``beam_width`` most probable prefixes survive each frame).

Example:
    >>> logits = ag.tensor(np.zeros((1, 3, 3)), requires_grad=True)     # 3 frames, classes {0, 1, blank}
    >>> loss = ag.ctc_loss(logits, np.array([[0]]), np.array([1]), np.array([3]))
    >>> np.exp(-loss.numpy())        # 6 of the 27 paths read "0": 0bb, b0b, bb0, 00b, b00, 000
    array([0.22222222])
"""
import heapq

import numpy as np

from ..batching import shape_of, to_front
from ..modes import STATE
from ..primitive import Primitive, apply, defbatch, defjvp, defvjp
from ..tensor import Tensor
from ._make import raw
from .reductions import sum as _sum
from .shape import broadcast_to, expand_dims, reshape

__all__ = ["ctc_loss", "ctc_greedy_decode", "ctc_beam_search_decode"]

_NEG_INF = -np.inf


# -- checking the arguments ---------------------------------------------------------------------------


def _int_array(value, fn, arg, ndim):
    a = np.asarray(value)
    if a.dtype.kind == "f" and np.all(np.mod(a, 1) == 0):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{fn}: `{arg}` must hold integers, received dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{fn}: `{arg}` must be {ndim}-d, received shape {a.shape}")
    return a.astype(np.int64, copy=False)


def _checked(logits, labels, label_lengths, logit_lengths, blank, fn="ctc_loss"):
    """Validated numpy arguments: (logits, labels, label_lengths, logit_lengths, blank as 0..C-1)."""
    if logits.ndim != 3 or logits.dtype.kind != "f":
        raise ValueError(f"{fn}: `logits` must be a float array (batch, time, classes), received shape "
                         f"{logits.shape} and dtype {logits.dtype}")
    n, steps, classes = logits.shape
    if classes < 2:
        raise ValueError(f"{fn}: `logits` needs at least 2 classes (the labels and the blank), received "
                         f"shape {logits.shape}")
    if not -classes <= blank < classes:
        raise ValueError(f"{fn}: `blank` {blank} is not a class index of {classes} classes")
    blank %= classes
    labels = _int_array(labels, fn, "labels", 2)
    label_lengths = _int_array(label_lengths, fn, "label_lengths", 1)
    logit_lengths = _int_array(logit_lengths, fn, "logit_lengths", 1)
    if labels.shape[0] != n or label_lengths.shape[0] != n or logit_lengths.shape[0] != n:
        raise ValueError(f"{fn}: batch sizes differ: logits {logits.shape}, labels {labels.shape}, "
                         f"label_lengths {label_lengths.shape}, logit_lengths {logit_lengths.shape}")
    if np.any(logit_lengths < 0) or np.any(logit_lengths > steps):
        raise ValueError(f"{fn}: `logit_lengths` must lie in [0, {steps}] (the frames of `logits`), received "
                         f"{logit_lengths.tolist()}")
    if np.any(label_lengths < 0) or np.any(label_lengths > labels.shape[1]):
        raise ValueError(f"{fn}: `label_lengths` must lie in [0, {labels.shape[1]}] (the width of `labels`), "
                         f"received {label_lengths.tolist()}")
    used = np.arange(labels.shape[1]) < label_lengths[:, None]
    bad = used & ((labels < 0) | (labels >= classes) | (labels == blank))
    if bad.any():
        b, i = np.argwhere(bad)[0]
        raise ValueError(f"{fn}: labels must be class indices in [0, {classes}) other than the blank {blank}; "
                         f"labels[{b}, {i}] is {labels[b, i]}")
    short = np.nonzero(label_lengths > logit_lengths)[0]
    if short.size:
        b = short[0]
        raise ValueError(f"{fn}: not enough frames for the labels in batch item {b}: {label_lengths[b]} labels, "
                         f"{logit_lengths[b]} frames")
    return labels, label_lengths, logit_lengths, blank


# -- the forward-backward recursion -----------------------------------------------------------------


def _log_softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    z = x - m
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _shift(a, k, fill=_NEG_INF):
    """``a`` moved right by ``k`` along its last axis (k < 0: left), ``fill`` (-inf) filling the gap."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _lattice(logits, labels, label_lengths, logit_lengths, blank):
    """log p (float64), the extended labels and their masks, and log alpha over (batch, time, states)."""
    n, steps, classes = logits.shape
    # NOTE: the recursion runs in float64 whatever the inputs' dtype: a log-probability summed over
    # hundreds of frames keeps 1e-7 relative accuracy in float32 only if every partial sum does.
    logp = _log_softmax(logits.astype(np.float64))
    s_max = 2 * labels.shape[1] + 1
    ext = np.full((n, s_max), blank, np.int64)
    ext[:, 1::2] = np.where(np.arange(labels.shape[1]) < label_lengths[:, None], labels, blank)
    live = np.arange(s_max) < (2 * label_lengths + 1)[:, None]
    skip = np.zeros((n, s_max), bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    emit = np.take_along_axis(logp, np.broadcast_to(ext[:, None, :], (n, steps, s_max)), axis=2)
    emit[~np.broadcast_to(live[:, None, :], emit.shape)] = _NEG_INF
    alpha = np.full((n, steps, s_max), _NEG_INF)
    if steps:
        alpha[:, 0, :2] = emit[:, 0, :2]
    with np.errstate(invalid="ignore"):
        for t in range(1, steps):
            a = alpha[:, t - 1]
            best = np.logaddexp(a, _shift(a, 1))
            best = np.logaddexp(best, np.where(skip, _shift(a, 2), _NEG_INF))
            alpha[:, t] = best + emit[:, t]
    return logp, ext, live, skip, emit, alpha


def _final_states(alpha, label_lengths, logit_lengths):
    """log p(labels | logits) per batch item: alpha at the last frame, in the last blank or last label."""
    n = alpha.shape[0]
    rows = np.arange(n)
    last_t = np.maximum(logit_lengths - 1, 0)
    end = 2 * label_lengths
    at = alpha[rows, last_t]
    log_z = at[rows, end]
    with_label = label_lengths > 0
    log_z[with_label] = np.logaddexp(log_z[with_label], at[rows[with_label], end[with_label] - 1])
    empty = logit_lengths == 0                    # no frames: only the empty label has probability 1
    log_z[empty] = np.where(label_lengths[empty] == 0, 0.0, _NEG_INF)
    return log_z


class _Lattice:
    """The forward-backward quantities of one batch: log p (float64), the extended labels with their masks,
    log alpha and log beta over (batch, time, states), log Z, and the lengths."""

    def __init__(self, logits, labels, label_lengths, logit_lengths, blank):
        labels, label_lengths, logit_lengths, blank = _checked(logits, labels, label_lengths, logit_lengths, blank)
        self.logp, self.ext, self.live, self.skip, self.emit, self.alpha = _lattice(
            logits, labels, label_lengths, logit_lengths, blank)
        self.label_lengths, self.logit_lengths = label_lengths, logit_lengths
        self.classes = logits.shape[2]
        self.log_z = _final_states(self.alpha, label_lengths, logit_lengths)
        self.feasible = np.isfinite(self.log_z)
        self._beta = None

    @property
    def beta(self):
        """log beta: the probability of the rest of the labels after frame t from state s (frame t excluded)."""
        if self._beta is None:
            self._beta = _backward(self.emit, self.skip, self.label_lengths, self.logit_lengths)
        return self._beta

    def gamma(self):
        """The posterior probability of each state at each frame (zero for impossible labellings)."""
        with np.errstate(invalid="ignore"):
            gamma = np.exp(self.alpha + self.beta - np.where(self.feasible, self.log_z, 0.0)[:, None, None])
        gamma[~self.feasible] = 0.0
        gamma[~np.broadcast_to(self.live[:, None, :], gamma.shape)] = 0.0
        return gamma

    def to_classes(self, per_state):
        """(batch, time, states) summed into (batch, time, classes) by each state's label."""
        onehot = (self.ext[:, :, None] == np.arange(self.classes)).astype(np.float64)
        return per_state @ onehot

    def frames(self):
        """(batch, time, 1): True for the counted frames."""
        return (np.arange(self.alpha.shape[1])[None, :] < self.logit_lengths[:, None])[..., None]


def _backward(emit, skip, label_lengths, logit_lengths):
    n, steps, s_max = emit.shape
    rows = np.arange(n)
    beta = np.full_like(emit, _NEG_INF)
    last_t = logit_lengths - 1
    end = 2 * label_lengths
    nxt = np.full((n, s_max), _NEG_INF)           # beta at frame t + 1 (emission at t + 1 excluded)
    skip_next = _shift(skip.astype(np.float64), -2) > 0          # state s may jump to s + 2
    with np.errstate(invalid="ignore"):
        for t in range(steps - 1, -1, -1):
            b = nxt + (emit[:, t + 1] if t + 1 < steps else _NEG_INF)
            cur = np.logaddexp(b, _shift(b, -1))
            cur = np.logaddexp(cur, np.where(skip_next, _shift(b, -2), _NEG_INF))
            start = last_t == t
            cur[start] = _NEG_INF
            cur[rows[start], end[start]] = 0.0
            with_label = start & (label_lengths > 0)
            cur[rows[with_label], end[with_label] - 1] = 0.0
            cur[last_t < t] = _NEG_INF
            beta[:, t] = cur
            nxt = cur
    return beta


def _gradient(lat):
    """d(-log p(labels)) / d logits, (batch, time, classes) float64: softmax minus the label posteriors."""
    grad = np.exp(lat.logp) - lat.to_classes(lat.gamma())
    return np.where(lat.frames(), grad, 0.0)


def _weights(prev, total):
    """exp(prev - total), 0 where either is -inf (a log-sum-exp's share of each term)."""
    with np.errstate(invalid="ignore", over="ignore"):
        w = np.exp(prev - total)
    return np.where(np.isfinite(prev) & np.isfinite(total), w, 0.0)


def _hvp(lat, v):
    """The Hessian of -log p(labels) with respect to the logits times ``v`` (batch, time, classes): the
    derivative of the gradient along ``v``, by pushing a tangent through the same recursions (forward mode
    on alpha and beta: each log-sum-exp passes on its terms' tangents weighted by their shares)."""
    n, steps, s_max = lat.alpha.shape
    p = np.exp(lat.logp)
    v = np.where(lat.frames(), v.astype(np.float64), 0.0)
    dlp = v - np.sum(p * v, axis=2, keepdims=True)                   # tangent of log softmax
    demit = np.take_along_axis(dlp, np.broadcast_to(lat.ext[:, None, :], (n, steps, s_max)), axis=2)
    demit = np.where(lat.live[:, None, :], demit, 0.0)
    alpha, beta, emit, skip = lat.alpha, lat.beta, lat.emit, lat.skip
    dalpha = np.zeros_like(alpha)
    if steps:
        dalpha[:, 0, :2] = demit[:, 0, :2]
    for t in range(1, steps):
        a, da = alpha[:, t - 1], dalpha[:, t - 1]
        with np.errstate(invalid="ignore"):
            total = alpha[:, t] - emit[:, t]          # the log-sum-exp over the predecessors
        acc = _weights(a, total) * da + _weights(_shift(a, 1), total) * _shift(da, 1, 0.0)
        acc = acc + np.where(skip, _weights(_shift(a, 2), total) * _shift(da, 2, 0.0), 0.0)
        dalpha[:, t] = np.where(np.isfinite(alpha[:, t]), acc + demit[:, t], 0.0)
    dbeta = np.zeros_like(beta)
    skip_next = _shift(skip.astype(np.float64), -2) > 0
    last_t = lat.logit_lengths - 1
    for t in range(steps - 2, -1, -1):
        term = beta[:, t + 1] + emit[:, t + 1]
        dterm = dbeta[:, t + 1] + demit[:, t + 1]
        total = beta[:, t]
        acc = _weights(term, total) * dterm + _weights(_shift(term, -1), total) * _shift(dterm, -1, 0.0)
        acc = acc + np.where(skip_next, _weights(_shift(term, -2), total) * _shift(dterm, -2, 0.0), 0.0)
        dbeta[:, t] = np.where((t < last_t)[:, None] & np.isfinite(total), acc, 0.0)
    rows = np.arange(n)
    end = 2 * lat.label_lengths
    at = np.maximum(last_t, 0)
    d_log_z = _weights(alpha[rows, at, end], lat.log_z) * dalpha[rows, at, end]
    has = lat.label_lengths > 0
    d_log_z[has] += (_weights(alpha[rows[has], at[has], end[has] - 1], lat.log_z[has])
                     * dalpha[rows[has], at[has], end[has] - 1])
    dgamma = lat.gamma() * (dalpha + dbeta - d_log_z[:, None, None])
    return np.where(lat.frames(), p * dlp - lat.to_classes(dgamma), 0.0)


def _ctc_loss_np(logits, labels, label_lengths, logit_lengths, blank=-1, saved=None):
    lat = _Lattice(logits, labels, label_lengths, logit_lengths, blank)
    if saved is not None:
        saved["grad"] = _gradient(lat).astype(logits.dtype)
    return (-lat.log_z).astype(logits.dtype)


def _ctc_grad_np(logits, labels, label_lengths, logit_lengths, blank=-1, saved=None):
    if saved is not None and "grad" in saved:
        return saved["grad"]
    return _gradient(_Lattice(logits, labels, label_lengths, logit_lengths, blank)).astype(logits.dtype)


def _ctc_hvp_np(logits, v, labels, label_lengths, logit_lengths, blank=-1):
    lat = _Lattice(logits, labels, label_lengths, logit_lengths, blank)
    return _hvp(lat, np.asarray(v)).astype(np.result_type(logits, v))


_ctc_prim = Primitive(_ctc_loss_np, "ctc_loss")
_ctc_grad_prim = Primitive(_ctc_grad_np, "ctc_loss_grad")
_ctc_hvp_prim = Primitive(_ctc_hvp_np, "ctc_loss_hvp")


def _grad_of(logits, labels, label_lengths, logit_lengths, blank, saved=None):
    return apply(_ctc_grad_prim, (logits, labels, label_lengths, logit_lengths), {"blank": blank, "saved": saved})


def _hvp_of(logits, v, labels, label_lengths, logit_lengths, blank):
    return apply(_ctc_hvp_prim, (logits, v, labels, label_lengths, logit_lengths), {"blank": blank})


def _loss_vjp(g, ans, logits, labels, label_lengths, logit_lengths, blank=-1, saved=None):
    d = _grad_of(logits, labels, label_lengths, logit_lengths, blank, saved)
    return expand_dims(expand_dims(g, -1), -1) * d


def _loss_jvp(t, ans, logits, labels, label_lengths, logit_lengths, blank=-1, saved=None):
    return _sum(_grad_of(logits, labels, label_lengths, logit_lengths, blank, saved) * t, axis=(1, 2))


# NOTE: the gradient map's Jacobian is the Hessian of each item's loss, symmetric, so one Hessian-vector product
# serves as the gradient's jvp (H t) and its vjp (H^T g = H g); the product is linear in the vector, which is
# all it is differentiated in: a third derivative (through the logits) raises a NotImplementedError naming
# 'ctc_loss_hvp'.
def _grad_hvp(v, ans, logits, labels, label_lengths, logit_lengths, blank=-1, saved=None):
    return _hvp_of(logits, v, labels, label_lengths, logit_lengths, blank)


def _hvp_linear(v, ans, logits, u, labels, label_lengths, logit_lengths, blank=-1):
    return _hvp_of(logits, v, labels, label_lengths, logit_lengths, blank)


def _merged_batch(fn):
    """A batching rule: the examples of ``vmap`` become more batch items (each argument's example axis goes to
    the front, shared ones are broadcast, and the example axis merges with the batch axis)."""
    def rule(args, dims, **kwargs):
        kwargs.pop("saved", None)
        size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
        merged = []
        for a, d in zip(args, dims):
            a = broadcast_to(a, (size,) + tuple(shape_of(a))) if d is None else to_front(a, d)
            shape = tuple(shape_of(a))
            merged.append(reshape(a, (size * shape[1],) + shape[2:]))
        out = fn(*merged, **kwargs)
        return reshape(out, (size, -1) + tuple(shape_of(out))[1:]), 0
    return rule


defvjp(_ctc_prim, _loss_vjp, None, None, None)
defjvp(_ctc_prim, _loss_jvp, None, None, None)
defbatch(_ctc_prim, _merged_batch(lambda *a, **k: ctc_loss(*a, **k)))
defvjp(_ctc_grad_prim, _grad_hvp, None, None, None)
defjvp(_ctc_grad_prim, _grad_hvp, None, None, None)
defbatch(_ctc_grad_prim, _merged_batch(lambda *a, **k: _grad_of(*a, **k)))
defvjp(_ctc_hvp_prim, _hvp_linear, argnums=(1,))
defjvp(_ctc_hvp_prim, _hvp_linear, argnums=(1,))
defbatch(_ctc_hvp_prim, _merged_batch(lambda *a, **k: _hvp_of(*a, **k)))


def ctc_loss(logits, labels, label_lengths, logit_lengths, blank=-1):
    """The CTC loss, -log p(labels | logits), one value per batch item; differentiable in ``logits``.

    Args:
        logits: (batch, time, classes) unnormalized log-probabilities (a log-softmax over classes is applied).
        labels: (batch, max_labels) integer class indices, padded past each item's length (padding ignored).
        label_lengths: (batch,) how many labels each item has (0 allowed: the all-blank sequence).
        logit_lengths: (batch,) how many frames of each item count; frames past it get no gradient.
        blank: the blank class (negative counts from the end; -1, the last class, as tf.keras).

    Returns:
        (batch,) in the dtype of ``logits``: ``inf`` where no alignment exists (more repeats than frames
        allow). Labels longer than their frames raise a ValueError, as TensorFlow's CTC does.

    Example:
        >>> logits = ag.tensor(np.random.default_rng(0).normal(size=(2, 5, 4)), requires_grad=True)
        >>> loss = ag.ctc_loss(logits, np.array([[1, 2], [0, 0]]), np.array([2, 2]), np.array([5, 4]))
        >>> loss.shape
        (2,)
        >>> ag.sum(loss).backward(); bool(np.all(logits.grad.numpy()[1, 4] == 0))      # item 1 has 4 frames
        True
    """
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)):
        raise TypeError(f"ctc_loss: `blank` must be an int class index, received {blank!r}")
    save = STATE.grad_enabled and isinstance(logits, Tensor) and logits.requires_grad
    return apply(_ctc_prim, (logits, labels, label_lengths, logit_lengths),
                 {"blank": int(blank), "saved": {} if save else None})


# -- decoding ------------------------------------------------------------------------------------------


def _decode_args(logits, lengths, fn):
    x = np.asarray(raw(logits))
    if x.ndim != 3 or x.dtype.kind != "f":
        raise ValueError(f"{fn}: `logits` must be a float array (batch, time, classes), received shape {x.shape}")
    lengths = _int_array(raw(lengths), fn, "lengths", 1)
    if lengths.shape[0] != x.shape[0] or np.any(lengths < 0) or np.any(lengths > x.shape[1]):
        raise ValueError(f"{fn}: `lengths` must hold {x.shape[0]} frame counts in [0, {x.shape[1]}], received "
                         f"{lengths.tolist()}")
    return x, lengths


def _blank_index(blank, classes, fn):
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) or not -classes <= blank < classes:
        raise ValueError(f"{fn}: `blank` must be a class index of {classes} classes, received {blank!r}")
    return int(blank) % classes


def _dense(paths, steps):
    out = np.full((len(paths), steps), -1, np.int64)
    for b, p in enumerate(paths):
        out[b, :len(p)] = p
    return out


def ctc_greedy_decode(logits, lengths, blank=-1, merge_repeated=True):
    """Best class per frame, repeats merged (``merge_repeated``) and blanks dropped, as
    tf.nn.ctc_greedy_decoder.

    Returns:
        ``(decoded, score)``: decoded (batch, time) int64 padded with -1, and score (batch, 1), minus the
        sum over counted frames of each frame's largest logit (TensorFlow's ``neg_sum_logits``).

    Example:
        >>> logp = np.log(np.array([[[0.6, 0.1, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8], [0.1, 0.7, 0.2]]]))
        >>> decoded, score = ag.ctc_greedy_decode(logp, np.array([4]))
        >>> decoded
        Tensor([[ 0,  1, -1, -1]])
    """
    fn = "ctc_greedy_decode"
    x, lengths = _decode_args(logits, lengths, fn)
    n, steps, classes = x.shape
    blank = _blank_index(blank, classes, fn)
    best = np.argmax(x, axis=2)
    counted = np.arange(steps)[None, :] < lengths[:, None]
    score = -np.sum(np.where(counted, np.max(x, axis=2) if steps else 0.0, 0.0), axis=1, keepdims=True)
    keep = counted & (best != blank)
    if merge_repeated and steps:
        keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    paths = [best[b][keep[b]] for b in range(n)]
    return Tensor(_dense(paths, steps)), Tensor(score.astype(x.dtype))


class _Prefix:
    """A node of the prefix tree: its label, parent, children, and the log-probabilities of the prefix
    ending in a blank / in its last label (and their sum) before (``old_*``) and after the current frame."""

    __slots__ = ("label", "parent", "children", "blank", "last", "total", "old_blank", "old_last", "old_total")

    def __init__(self, label, parent):
        self.label = label
        self.parent = parent
        self.children = {}
        self.blank = self.last = self.total = _NEG_INF
        self.old_blank = self.old_last = self.old_total = _NEG_INF

    def reset(self):
        """Leave the beam (the probabilities after this frame are dropped)."""
        self.blank = self.last = self.total = _NEG_INF

    def forget(self):
        """Leave the beam and drop the probabilities before this frame too."""
        self.reset()
        self.old_blank = self.old_last = self.old_total = _NEG_INF

    def labels(self, merge_repeated):
        out, prev, node = [], -1, self
        while node.parent is not None:
            if not merge_repeated or node.label != prev:
                out.append(node.label)
            prev = node.label
            node = node.parent
        return out[::-1]


class _Beam:
    """The surviving prefixes, at most ``width``: a min-heap on the total log-probability."""

    def __init__(self, width):
        self.width = width
        self.heap = []
        self.count = 0

    def __len__(self):
        return len(self.heap)

    def push(self, node):
        self.count += 1
        item = (node.total, self.count, node)
        if len(self.heap) < self.width:
            heapq.heappush(self.heap, item)
        else:
            heapq.heapreplace(self.heap, item)[2].reset()

    def bottom(self):
        return self.heap[0][0]

    def admits(self, total):
        return total > _NEG_INF and (len(self.heap) < self.width or total > self.heap[0][0])

    def extract(self):
        """The prefixes, most probable first; the beam is left empty."""
        nodes = [item[2] for item in sorted(self.heap, key=lambda item: (-item[0], item[1]))]
        self.heap = []
        return nodes


def _beam_search_one(x, length, beam_width, blank):
    """TensorFlow's prefix beam search over one item's frames ``x[:length]``; returns the final beam."""
    root = _Prefix(-1, None)
    root.total = root.blank = 0.0
    beam = _Beam(beam_width)
    beam.push(root)
    labels = np.array([c for c in range(x.shape[1]) if c != blank])
    for t in range(length):
        frame = x[t]
        m = np.max(frame)
        norm = m + np.log(np.sum(np.exp(frame - m)))
        logp = frame - norm
        branches = beam.extract()
        for node in branches:
            node.old_blank, node.old_last, node.old_total = node.blank, node.last, node.total
        for node in branches:                      # prefixes already in the beam: extend by this frame
            parent = node.parent
            if parent is not None:
                if parent.total != _NEG_INF:       # the parent is still in the beam
                    prev = parent.old_blank if node.label == parent.label else parent.old_total
                    node.last = np.logaddexp(node.last, prev)
                node.last += logp[node.label]
            node.blank = node.old_total + logp[blank]
            node.total = np.logaddexp(node.blank, node.last)
            beam.push(node)
        for node in branches:                      # new prefixes: one more label
            if not beam.admits(node.old_total):
                continue
            child_logp = logp[labels] + node.old_total
            if node.label in labels:
                same = labels == node.label
                child_logp[same] = logp[node.label] + node.old_blank
            threshold = beam.bottom() if len(beam) >= beam.width else _NEG_INF
            above = child_logp > threshold
            # NOTE: labels in order, as TensorFlow tries them: a label under the bottom (which only rises) cannot
            # enter the beam, but its prefix, when it exists outside the beam at that moment, is forgotten (its
            # old probabilities too, so that it is not extended later in this frame), as TensorFlow does
            tried = set(np.nonzero(above)[0].tolist())
            tried.update(c - (c > blank) for c in node.children)
            for i in sorted(tried):
                label = int(labels[i])
                child = node.children.get(label)
                if not above[i]:
                    if child.total == _NEG_INF:
                        child.forget()
                    continue
                if child is None:
                    child = node.children[label] = _Prefix(label, node)
                elif child.total != _NEG_INF:     # in the beam already: extended above
                    continue
                child.blank = _NEG_INF
                child.last = child.total = child_logp[i]
                if beam.admits(child.total):
                    beam.push(child)
                else:
                    child.forget()
    return beam


def ctc_beam_search_decode(logits, lengths, beam_width=100, top_paths=1, blank=-1, merge_repeated=True):
    """The ``top_paths`` most probable label sequences by prefix beam search, as TensorFlow's
    ``tf.compat.v1.nn.ctc_beam_search_decoder`` (the default ``merge_repeated=True`` also merges repeated
    labels of a found sequence, as TensorFlow does).

    Returns:
        ``(decoded, log_probs)``: a list of ``top_paths`` (batch, time) int64 arrays padded with -1, best
        first, and log_probs (batch, top_paths), each sequence's log-probability summed over its
        alignments.

    Example:
        >>> logp = np.log(np.array([[[0.6, 0.1, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8], [0.1, 0.7, 0.2]]]))
        >>> decoded, log_probs = ag.ctc_beam_search_decode(logp, np.array([4]), beam_width=4, top_paths=2)
        >>> decoded[0], decoded[1]
        (Tensor([[ 0,  1, -1, -1]]), Tensor([[ 0, -1, -1, -1]]))
    """
    fn = "ctc_beam_search_decode"
    x, lengths = _decode_args(logits, lengths, fn)
    n, steps, classes = x.shape
    blank = _blank_index(blank, classes, fn)
    for arg, v in (("beam_width", beam_width), ("top_paths", top_paths)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{fn}: `{arg}` must be a positive int, received {v!r}")
    if top_paths > beam_width:
        raise ValueError(f"{fn}: `top_paths` ({top_paths}) must not exceed `beam_width` ({beam_width})")
    x64 = x.astype(np.float64)
    paths = [[] for _ in range(top_paths)]
    log_probs = np.zeros((n, top_paths), x.dtype)
    for b in range(n):
        best = _beam_search_one(x64[b], int(lengths[b]), int(beam_width), blank).extract()
        if len(best) < top_paths:
            raise ValueError(f"{fn}: batch item {b} ends with {len(best)} prefixes in its beam, fewer than "
                             f"top_paths={top_paths} (too few frames or classes)")
        for i in range(top_paths):
            paths[i].append(best[i].labels(merge_repeated))
            log_probs[b, i] = best[i].total
    return [Tensor(_dense(p, steps)) for p in paths], Tensor(log_probs)
