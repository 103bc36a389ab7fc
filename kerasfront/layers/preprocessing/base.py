"""What every preprocessing layer shares: ``adapt`` (state computed from data before training), input
conversion (text stays a numpy object array of str, numbers keep their dtype), and the categorical
encodings (``one_hot``, ``multi_hot``, ``count``, ``tf_idf``) that CategoryEncoding, Hashing, the lookups
and TextVectorization output.

A layer with state implements tf.keras's protocol: ``reset_state()``, ``update_state(batch)`` (called for
each batch) and ``finalize_state()``. ``adapt`` checks all the data first and restores the layer when
anything fails, so bad input changes nothing.

Example:
    >>> layer = kerasfront.layers.Normalization(axis=None)
    >>> layer.adapt(np.array([0.0, 2.0]))
    >>> layer(np.array([0.0, 1.0, 2.0])).numpy()
    array([-1.,  0.,  1.], dtype=float32)
"""
import copy

import numpy as np

import autograd as ag

from ...engine import strings
from ...engine.base_layer import Layer

INT = "int"
ONE_HOT = "one_hot"
MULTI_HOT = "multi_hot"
COUNT = "count"
TF_IDF = "tf_idf"


def who(layer):
    """``"ClassName 'name'"`` for error messages."""
    return f"{type(layer).__name__} '{getattr(layer, '_name', '?')}'"


def check_choice(value, allowed, arg, cls_name):
    """``value`` when it is one of ``allowed``, else a ValueError naming ``arg``.

    Example:
        >>> check_choice("int", ("int", "count"), "output_mode", "Hashing")
        'int'
    """
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{cls_name}: unknown `{arg}` {value!r}; expected one of {list(allowed)}")
    return value


def check_no_sparse(sparse, cls_name, arg="sparse"):
    """kerasfront has no sparse tensors: ``sparse=True`` (or ``ragged=True``) is refused by name."""
    if sparse:
        raise ValueError(f"{cls_name}({arg}=True): kerasfront has no {arg} tensors; use {arg}=False (the dense output "
                         f"holds the same values)")


def to_array(x, allow_strings=False, what="inputs"):
    """A layer input as numpy: text as an object array of str, numbers with their dtype (Python floats as
    float32, as TensorFlow converts them).

    Example:
        >>> to_array([1.5, 2.0]).dtype, to_array(["a"], allow_strings=True).dtype
        (dtype('float32'), dtype('O'))
    """
    if isinstance(x, ag.Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if hasattr(x, "numpy") and not isinstance(x, (str, bytes)):
            x = x.numpy()
        try:
            arr = np.asarray(x)
        except ValueError:
            raise ValueError(f"{what}: cannot turn the data into an array (ragged nested lists?)") from None
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
    if arr.dtype.kind in "USO":
        if not allow_strings:
            raise TypeError(f"{what}: expected numbers, received an array of dtype {arr.dtype}")
        return strings.to_string_array(arr, what)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{what}: expected numbers or strings, received an array of dtype {arr.dtype}")
    return arr


def _batches_of(data, batch_size, steps, what):
    """The batches ``adapt`` reads: an array cut in ``batch_size`` rows (or whole when None), or the items
    of a generator / iterable of batches (``steps`` of them at most)."""
    if isinstance(data, dict):
        raise TypeError(f"{what}: expected an array or an iterable of batches, received a dict")
    if isinstance(data, (np.ndarray, ag.Tensor, list, tuple, str, bytes)) or hasattr(data, "__array__"):
        if steps is not None:
            raise ValueError(f"{what}: `steps` is not supported with array inputs (use batch_size)")
        return [data] if batch_size is None else _split(data, batch_size, what)
    if batch_size is not None:
        raise ValueError(f"{what}: do not give `batch_size` when the data is a generator or dataset (it yields "
                         f"batches)")
    try:
        iterator = iter(data)
    except TypeError:
        raise TypeError(f"{what}: expected a numpy array, a list, or an iterable of batches, received "
                        f"{type(data).__name__}") from None
    out = []
    for item in iterator:
        out.append(item)
        if steps is not None and len(out) >= steps:
            break
    return out


def _split(data, batch_size, what):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{what}: batch_size must be a positive int, received {batch_size!r}")
    arr = data.data if isinstance(data, ag.Tensor) else data
    if not isinstance(arr, np.ndarray):
        try:
            arr = np.asarray(arr)
        except ValueError:
            raise ValueError(f"{what}: cannot turn the data into an array (ragged nested lists?)") from None
    if arr.ndim == 0:
        return [arr]
    return [arr[i:i + batch_size] for i in range(0, arr.shape[0], batch_size)]


def snapshot_state(layer):
    """What ``restore_state`` needs to put ``layer`` back as it is now (its attributes and its weights' values):
    ``adapt`` takes one before changing anything, so that a failure changes nothing.

    Example:
        >>> layer = kerasfront.layers.Normalization(); saved = snapshot_state(layer)
        >>> layer.adapt(np.array([[1.0], [3.0]])); restore_state(saved); layer.is_adapted, layer.built, layer.weights
        (False, False, [])
    """
    # NOTE: lists, dicts and sets are copied (one level): building appends weights to lists in place
    attributes = {k: copy.copy(v) if isinstance(v, (list, dict, set)) else v for k, v in layer.__dict__.items()}
    return layer, attributes, [(w, w.numpy()) for w in layer.weights]


def restore_state(snapshot):
    """Put a layer back as ``snapshot_state`` found it."""
    layer, attributes, weights = snapshot
    layer.__dict__.clear()
    layer.__dict__.update(attributes)
    for w, value in weights:
        w.assign(value)


class PreprocessingLayer(Layer):
    """Base class of layers whose state is computed from data before training (``adapt``), not by it.

    Subclasses with state implement ``reset_state``, ``update_state(batch)`` and ``finalize_state``; the
    state is fixed during training (no trainable weights).

    Example:
        >>> layer = kerasfront.layers.StringLookup()
        >>> layer.adapt(np.array([["a"], ["b"], ["a"]]))
        >>> layer.is_adapted, layer.get_vocabulary()
        (True, ['[UNK]', 'a', 'b'])
    """

    #: batch the data of ``adapt`` as tf.keras does (32 rows) only where the result depends on the batches
    _adapt_batch_size = None
    _accepts_numbers = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._is_adapted = False

    @property
    def is_adapted(self):
        """Whether ``adapt`` has fit the layer's state to data."""
        return self._is_adapted

    def update_state(self, data):
        """Accumulate statistics from one batch (called by ``adapt``)."""
        raise NotImplementedError(f"{type(self).__name__} has no state to adapt")

    def reset_state(self):
        """Forget the statistics gathered so far."""
        raise NotImplementedError(f"{type(self).__name__} has no state to adapt")

    def finalize_state(self):
        """Turn the gathered statistics into the state ``call`` uses (end of ``adapt``)."""

    def compile(self, run_eagerly=None, steps_per_execution=None):
        """Accepted for tf.keras compatibility: ``adapt`` always runs eagerly here."""
        if steps_per_execution is not None and (isinstance(steps_per_execution, bool) or
                                                not isinstance(steps_per_execution, (int, np.integer)) or
                                                steps_per_execution < 1):
            raise ValueError(f"{who(self)}.compile: steps_per_execution must be a positive int, received "
                             f"{steps_per_execution!r}")

    def _adapt_input(self, batch):
        """One batch of adapt data as numpy (subclasses check dtypes here)."""
        return to_array(batch, allow_strings=self._accepts_strings, what=f"{who(self)}.adapt(data)")

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the layer's state (mean and variance, vocabulary, bin boundaries...) from ``data``.

        Args:
            data: a numpy array, list or Tensor, or an iterable / generator of batches (a dataset).
            batch_size: rows per state update for array data (tf.keras's default 32 where the result
                depends on it, as for ``Discretization``; otherwise the whole array at once).
            steps: the number of batches to read from an iterable.

        Bad data (empty, wrong dtype, ragged) raises an error and leaves the layer as it was.

        Example:
            >>> layer = kerasfront.layers.Normalization()
            >>> layer.adapt(np.array([[1.0, 2.0], [3.0, 6.0]]))
            >>> layer.mean.numpy().ravel()
            array([2., 4.], dtype=float32)
        """
        what = f"{who(self)}.adapt(data)"
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1):
            raise ValueError(f"{what}: steps must be a positive int, received {steps!r}")
        if batch_size is None and isinstance(data, (np.ndarray, ag.Tensor, list, tuple)):
            batch_size = self._adapt_batch_size
        batches = [self._adapt_input(b) for b in _batches_of(data, batch_size, steps, what)]
        if not batches or all(b.size == 0 for b in batches):
            raise ValueError(f"{what}: received no data (an empty array or an empty iterable); adapt needs at least "
                             f"one value")
        batches = [b for b in batches if b.size]
        snapshot = snapshot_state(self)
        try:
            if not self.built:
                self._maybe_build((None,) + tuple(batches[0].shape[1:]) if batches[0].ndim else ())
            self.reset_state()
            for b in batches:
                self.update_state(b)
            self.finalize_state()
        except BaseException:
            restore_state(snapshot)
            raise
        self._is_adapted = True

    # -- calls -----------------------------------------------------------------------------------------------
    def _convert(self, x):
        """Inputs keep their dtype (no autocast): text as object arrays, numbers as Tensors."""
        if isinstance(x, ag.Tensor):
            return x
        if isinstance(x, (list, tuple)) and x and isinstance(x[0], (ag.Tensor, np.ndarray, list, tuple)) \
                and getattr(self, "_takes_list", False):
            return type(x)(self._convert(v) for v in x)
        arr = to_array(x, allow_strings=self._accepts_strings, what=f"{who(self)} inputs")
        return arr if arr.dtype == object else ag.Tensor(arr)


def refuse_tracing(layer):
    """Raise ``autograd.trace.TraceError`` naming ``layer`` while ``autograd.trace`` records: lookups, hashing,
    bucketing and the categorical encodings compute on the host with numpy, which a graph of autograd primitives
    (a model folder's traced forward, an ONNX file) cannot hold. Without this check a tracer would take their
    output on its placeholder data for a constant (an IntegerLookup maps every placeholder id to OOV).

    Example:
        >>> refuse_tracing(kerasfront.layers.IntegerLookup())      # nothing outside a trace
    """
    if ag.trace.active() is not None:
        raise ag.trace.TraceError(
            f"layer '{layer.name}' ({type(layer).__name__}) computes on the host with numpy (lookups, hashing, "
            f"bucketing and category encodings do), so it cannot be traced into a graph of autograd primitives; "
            f"apply it to the data before the model (dataset.map), or save the model as '.keras' or '.h5'")


def host(x):
    """The numpy array behind a Tensor, an array, or array-like data."""
    if isinstance(x, ag.Tensor):
        return x.data
    return np.asarray(x)


def encode_categorical(indices, output_mode, depth, dtype="float32", count_weights=None, idf_weights=None,
                       who_="layer"):
    """One-hot, multi-hot, count or tf-idf encoding of integer ``indices`` into ``depth`` bins, as tf.keras's
    ``encode_categorical_inputs`` (values outside ``[0, depth)`` are dropped, as ``tf.math.bincount``
    drops them).

    Example:
        >>> encode_categorical(np.array([[0, 2, 2]]), "count", 4)
        array([[1., 0., 2., 0.]], dtype=float32)
    """
    indices = np.asarray(indices)
    if output_mode == INT:
        return indices.astype(dtype)
    original_shape = indices.shape
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == ONE_HOT and indices.shape[-1] != 1:
        indices = indices[..., None]
    if indices.ndim > 2:
        raise ValueError(f"{who_}: when output_mode is not 'int', the maximum supported output rank is 2. Received "
                         f"output_mode={output_mode!r} and input shape {original_shape}, which would result in "
                         f"output rank {indices.ndim}.")
    rows = indices if indices.ndim == 2 else indices.reshape(1, -1)
    n = rows.shape[0]
    idx = rows.astype(np.int64)
    keep = (idx >= 0) & (idx < depth)
    flat = (np.arange(n)[:, None] * depth + idx)[keep]
    if output_mode == COUNT and count_weights is not None:
        w = np.broadcast_to(np.asarray(count_weights, np.float64).reshape(rows.shape), rows.shape)[keep]
        out = np.bincount(flat, weights=w, minlength=n * depth)
    else:
        out = np.bincount(flat, minlength=n * depth).astype(np.float64)
    out = out.reshape(n, depth)
    if output_mode in (ONE_HOT, MULTI_HOT):
        out = np.minimum(out, 1.0)
    if output_mode == TF_IDF:
        if idf_weights is None:
            raise ValueError(f"{who_}: output_mode='tf_idf' needs idf_weights")
        out = out * np.asarray(idf_weights, np.float64)[:depth]
    out = out.astype(dtype)
    return out if indices.ndim == 2 else out.reshape(depth)


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``encode_categorical`` for inputs of ``input_shape`` (as tf.keras computes it).

    Example:
        >>> encoded_shape((None, 3), "multi_hot", 10), encoded_shape((None,), "one_hot", 4)
        ((None, 10), (None, 4))
    """
    shape = list(input_shape)
    if output_mode == INT:
        return tuple(shape)
    if not shape:
        return (depth,)
    if output_mode == ONE_HOT and shape[-1] != 1:
        return tuple(shape + [depth])
    return tuple(shape[:-1] + [depth])
