"""Helpers about layers and the graph of a functional model: ``get_source_inputs`` and
``warmstart_embedding_matrix``.

Example:
    >>> x = kerasfront.Input(shape=(3,))
    >>> y = kerasfront.layers.Dense(2)(kerasfront.layers.Dense(4)(x))
    >>> get_source_inputs(y)[0] is x
    True
"""
import numpy as np

__all__ = ["get_source_inputs", "warmstart_embedding_matrix"]


def get_source_inputs(tensor, layer=None, node_index=None):
    """The ``Input`` tensors that ``tensor`` was computed from, each once, in the order first met walking back
    through the graph. A tensor that did not come from a layer call is returned as it is.

    Args:
        tensor: a symbolic tensor (the output of a layer call on ``kerasfront.Input`` tensors).
        layer, node_index: start from this layer's ``node_index``-th call instead of the one that made ``tensor``.

    Example:
        >>> a, b = kerasfront.Input(shape=(2,)), kerasfront.Input(shape=(2,))
        >>> s = kerasfront.layers.Add()([a, b])
        >>> [t is u for t, u in zip(get_source_inputs(s), [a, b])]
        [True, True]
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return tensor
    if layer is None or node_index:
        layer, node_index, _ = history
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if node.is_input:
        return list(node.flat_outputs)
    sources = []
    for t in node.keras_inputs:
        parent_layer, parent_index, _ = t._keras_history
        for s in get_source_inputs(t, parent_layer, parent_index):
            if all(s is not seen for seen in sources):
                sources.append(s)
    return sources


def _vocabulary_list(vocab, arg):
    if isinstance(vocab, str):
        with open(vocab, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f]
    if hasattr(vocab, "numpy") and not isinstance(vocab, np.ndarray):
        vocab = vocab.numpy()
    if isinstance(vocab, np.ndarray):
        vocab = vocab.tolist()
    try:
        words = list(vocab)
    except TypeError:
        raise TypeError(f"warmstart_embedding_matrix({arg}=...): expected a list of tokens or a vocabulary file "
                        f"path, received {type(vocab).__name__}") from None
    return [w.decode("utf-8") if isinstance(w, bytes) else w for w in words]


def warmstart_embedding_matrix(base_vocabulary, new_vocabulary, base_embeddings,
                               new_embeddings_initializer="uniform"):
    """An embedding matrix for ``new_vocabulary`` that keeps the trained rows of the tokens it shares with
    ``base_vocabulary`` and draws the others from ``new_embeddings_initializer`` (so a model can grow its
    vocabulary without losing what it learned).

    Args:
        base_vocabulary: the tokens of ``base_embeddings``' rows (a list, array, or a file with one per line).
        new_vocabulary: the tokens of the new matrix's rows.
        base_embeddings: the trained matrix, shape ``(len(base_vocabulary), dim)``.
        new_embeddings_initializer: initializer for the rows of new tokens (default ``"uniform"``).

    Returns:
        An autograd Tensor of shape ``(len(new_vocabulary), dim)`` and ``base_embeddings``' dtype (``.numpy()``
        gives the array); pass it to ``initializers.Constant`` or ``layer.embeddings.assign``.

    Example:
        >>> new = warmstart_embedding_matrix(["a", "b"], ["b", "c"], np.array([[1.0], [2.0]], "float32"))
        >>> float(new.numpy()[0, 0])
        2.0
    """
    from .. import initializers
    base = list(_vocabulary_list(base_vocabulary, "base_vocabulary"))
    new = list(_vocabulary_list(new_vocabulary, "new_vocabulary"))
    matrix = base_embeddings.numpy() if hasattr(base_embeddings, "numpy") else np.asarray(base_embeddings)
    if matrix.ndim != 2:
        raise ValueError(f"warmstart_embedding_matrix(base_embeddings=...): expected a 2-D matrix (vocabulary, dim), "
                         f"received shape {matrix.shape}")
    if matrix.shape[0] != len(base):
        raise ValueError(f"warmstart_embedding_matrix: base_embeddings has {matrix.shape[0]} rows but base_vocabulary "
                         f"has {len(base)} tokens; expected one row per token")
    init = initializers.get(new_embeddings_initializer)
    out = init(shape=(len(new), matrix.shape[1]), dtype=matrix.dtype)
    values = np.array(out.numpy() if hasattr(out, "numpy") else out, dtype=matrix.dtype)
    row_of = {token: i for i, token in enumerate(base)}
    for i, token in enumerate(new):
        j = row_of.get(token)
        if j is not None:
            values[i] = matrix[j]
    from autograd import Tensor
    return Tensor(values)
