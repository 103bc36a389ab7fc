"""``pad_sequences``: a list of variable-length sequences as one 2-D (or higher) array, as tf.keras pads them.

Example:
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
"""
import numpy as np

__all__ = ["pad_sequences"]


def _length(seq, position):
    if isinstance(seq, (str, bytes)):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences (lists or arrays of numbers); the "
                         f"entry at position {position} is the string {seq!r}. Tokenize texts first (e.g. "
                         f"Tokenizer.texts_to_sequences)")
    if isinstance(seq, dict):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences; the entry at position {position} "
                         f"is a dict")
    try:
        return len(seq)
    except TypeError:
        raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; found a non-iterable at position "
                         f"{position}: {seq!r} (of type {type(seq).__name__})") from None


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (and truncate) sequences to one length.

    Args:
        sequences: a list (or array) of sequences: lists or arrays of numbers, or of equally shaped arrays
            (each step may itself be a vector).
        maxlen: the length of the result (default: the longest sequence).
        dtype: the result's dtype (``object`` or a string dtype for sequences of strings).
        padding: ``"pre"`` or ``"post"``: where shorter sequences are padded.
        truncating: ``"pre"`` or ``"post"``: where longer sequences lose values.
        value: the padding value.

    Returns:
        A numpy array of shape ``(len(sequences), maxlen) + step_shape``.

    Raises:
        ValueError: for an entry that is not a sequence (a number, a string), steps of different shapes,
            an unknown ``padding`` / ``truncating``, a bad ``maxlen``, or a string ``value`` with a numeric dtype.
            Nothing is changed.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post", truncating="post", value=-1)
        array([[ 1,  2],
               [ 4, -1]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be iterable (a list of sequences), received "
                         f"{type(sequences).__name__}")
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences(padding=...): Padding type "{padding}" not understood; expected "pre" or '
                         f'"post"')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences(truncating=...): Truncating type "{truncating}" not understood; expected '
                         f'"pre" or "post"')
    if maxlen is not None:
        if isinstance(maxlen, (bool, np.bool_)) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
            raise ValueError(f"pad_sequences(maxlen=...): expected None or an int >= 0, received {maxlen!r}")
        maxlen = int(maxlen)
    lengths = []
    step_shape = None
    for position, seq in enumerate(sequences):
        n = _length(seq, position)
        lengths.append(n)
        if step_shape is None and n:
            try:
                step_shape = np.asarray(seq).shape[1:]
            except ValueError:
                raise ValueError(f"pad_sequences: the sequence at position {position} is ragged (its steps have "
                                 f"different shapes)") from None
    step_shape = step_shape or ()
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    is_text_dtype = np.dtype(dtype).kind in "USO"
    if isinstance(value, str) and not is_text_dtype:
        raise ValueError(f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
                         f"You should set `dtype=object` for variable length strings.")
    out = np.full((len(sequences), maxlen) + tuple(step_shape), value, dtype=dtype)
    for position, seq in enumerate(sequences):
        n = lengths[position]
        if not n or not maxlen:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        try:
            kept = np.asarray(kept, dtype=dtype)
        except (ValueError, TypeError) as e:
            raise ValueError(f"pad_sequences: the sequence at position {position} cannot be read as {dtype} "
                             f"values (is it ragged, or does it hold non-numbers?): {e}") from None
        if kept.shape[1:] != tuple(step_shape):
            raise ValueError(f"pad_sequences: Shape of sample {kept.shape[1:]} of sequence at position {position} "
                             f"is different from expected shape {tuple(step_shape)}")
        if padding == "post":
            out[position, :len(kept)] = kept
        else:
            out[position, maxlen - len(kept):] = kept
    return out
