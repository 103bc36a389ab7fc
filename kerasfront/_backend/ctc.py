"""K's CTC functions: ``ctc_batch_cost`` (the loss, differentiable through autograd's ``ctc_loss``
primitive), ``ctc_decode`` (greedy or beam search) and ``ctc_label_dense_to_sparse``.

As tf.keras: ``y_pred`` holds softmax probabilities (batch, time, classes), the last class is the blank, and
both functions work on ``log(y_pred + epsilon())``.

Example:
    >>> import kerasfront.backend as K
    >>> y_pred = K.softmax(K.constant(np.zeros((2, 6, 4))))
    >>> K.int_shape(K.ctc_batch_cost(np.array([[1, 2], [0, 0]]), y_pred, np.array([[6], [6]]),
    ...                              np.array([[2], [1]])))
    (2, 1)
"""
import numpy as np

import autograd as ag

from .. import backend as K
from .sparse import SparseTensor

__all__ = ["ctc_batch_cost", "ctc_decode", "ctc_label_dense_to_sparse"]


def _host(x):
    return np.asarray(x.data if isinstance(x, ag.Tensor) else x)


def _lengths(x, fn, arg):
    """(batch,) ints from (batch, 1) or (batch,) lengths.

    Eagerly an array; while ``autograd.trace`` records (a captured training step), a Tensor's lengths come through
    ops, so that the graph reads each batch's own lengths (as an array they would be the recorded batch's).

    Example:
        >>> _lengths(np.array([[3], [1]]), "ctc_batch_cost", "label_length")
        array([3, 1])
    """
    a = _host(x)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{fn}: `{arg}` must have shape (batch, 1), received {a.shape}")
    if isinstance(x, ag.Tensor) and ag.trace.active() is not None:
        t = ag.reshape(x, (-1,))
        return t if t.dtype == np.int64 else ag.astype(t, np.int64)
    return a.astype(np.int64)


def _log_probs(y_pred):
    y = K._float(y_pred)
    if y.ndim != 3:
        raise ValueError(f"expected y_pred of shape (batch, time, classes), received {y.shape}")
    return ag.log(ag.add(y, np.asarray(K.epsilon(), y.dtype)))


def ctc_label_dense_to_sparse(labels, label_lengths):
    """The first ``label_lengths[b]`` labels of each row of ``labels`` as a SparseTensor.

    Example:
        >>> K.ctc_label_dense_to_sparse(np.array([[1, 2, 3], [4, 5, 6]]), np.array([2, 1]))
        SparseTensor(indices=[[0, 0], [0, 1], [1, 0]], values=[1, 2, 4], dense_shape=(2, 3))
    """
    dense = _host(labels)
    lengths = _host(label_lengths).reshape(-1).astype(np.int64)
    if dense.ndim != 2 or lengths.shape[0] != dense.shape[0]:
        raise ValueError(f"ctc_label_dense_to_sparse: expected labels (batch, max_length) and one length per row, "
                         f"received shapes {dense.shape} and {lengths.shape}")
    keep = np.arange(dense.shape[1])[None, :] < lengths[:, None]
    indices = np.argwhere(keep)
    return SparseTensor(indices, dense[keep], dense.shape)


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """The CTC loss of each batch item, (batch, 1).

    Args:
        y_true: (batch, max_label_length) label indices (padding past each length is ignored).
        y_pred: (batch, time, classes) softmax outputs; the last class is the blank.
        input_length: (batch, 1) how many frames of ``y_pred`` each item uses.
        label_length: (batch, 1) how many labels each item has.

    A label sequence that needs more frames than it has (its repeats need blanks between them) costs ``inf``;
    one longer than its frames is a ValueError, as in TensorFlow. An empty label sequence gives the cost of
    all blanks (TensorFlow raises for it).

    Example:
        >>> y_pred = K.softmax(K.constant(np.zeros((1, 3, 3))))     # 3 frames, classes {0, 1, blank}, uniform
        >>> K.ctc_batch_cost(np.array([[0]]), y_pred, np.array([[3]]), np.array([[1]]))
        Tensor([[1.5040774]], dtype=float32)
    """
    fn = "ctc_batch_cost"
    labels = _host(y_true)
    if labels.ndim != 2:
        raise ValueError(f"{fn}: y_true must be (batch, max_label_length), received shape {labels.shape}")
    logits = _log_probs(y_pred)
    loss = ag.ctc_loss(logits, labels, _lengths(label_length, fn, "label_length"),
                       _lengths(input_length, fn, "input_length"), blank=-1)
    return ag.expand_dims(loss, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Decode softmax outputs: the best class per frame (``greedy``) or TensorFlow's beam search.

    Returns:
        ``(decoded, log_prob)``: decoded, a list of ``top_paths`` (1 when greedy) int64 tensors (batch, time)
        padded with -1, best first; log_prob (batch, top_paths): for beam search each sequence's
        log-probability; greedy gives TensorFlow's negative sum over frames of the best log-probability.

    Example:
        >>> p = np.array([[[0.6, 0.1, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8], [0.1, 0.7, 0.2]]], "float32")
        >>> decoded, log_prob = K.ctc_decode(p, np.array([4]))
        >>> decoded[0]
        Tensor([[ 0,  1, -1, -1]])
    """
    logits = _log_probs(y_pred)
    lengths = _lengths(input_length, "ctc_decode", "input_length")
    if greedy:
        decoded, log_prob = ag.ctc_greedy_decode(logits, lengths, blank=-1)
        return [decoded], log_prob
    return ag.ctc_beam_search_decode(logits, lengths, beam_width=beam_width, top_paths=top_paths, blank=-1)
