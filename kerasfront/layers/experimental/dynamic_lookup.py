"""``layers.experimental.DynamicLookup``, as tf.keras 2.21: map keys (strings or integers) to indices in a
vocabulary of ``vocabulary_size`` keys, while counting how often the keys it sees occur, so that the vocabulary
can be rebuilt from the most frequent ones (``DynamicEmbedding.update_embeddings``, driven by
``callbacks.experimental.UpdateEmbeddingCallback``).

Two pieces of state, as in tf.keras:

- ``vocabulary`` (``vocabulary_size`` keys): what ``call`` looks keys up in. Index ``i`` for the first
  ``vocabulary[i]`` equal to the key, ``vocabulary_size`` for any other key (the out-of-vocabulary index).
  It changes only when the vocabulary is rebuilt.
- the frequency table (``vocabulary_table_keys`` / ``vocabulary_table_values``, ``floor(1.2 *
  vocabulary_size)`` slots): the keys seen and how many batches each was seen in. Every call with
  ``learn_vocab=True`` (the default, in fit, evaluate and predict alike) learns from its batch with the "LFU"
  (least frequently used) policy: the unseen keys of the batch, in sorted order, take the place of the table's
  least frequent keys (lowest count first, earliest slot first on ties; an evicted key that is in the batch
  is not counted), the table's keys in the batch gain 1, the new ones start at 1. Empty slots hold ``"unk"``
  (strings) or ``-1`` (integers) with a count of -1.

Where the state lives: for integer keys the three arrays are the layer's non-trainable weights, with tf.keras's
names, dtypes and order (so ``get_weights``, ``.h5`` and ``.keras`` files carry them, and tf.keras reads them
back with ``load_weights``). autograd tensors hold numbers only, so for string keys they are host-side arrays;
the layer's config then carries them once they differ from the initial state (keys ``"vocabulary"`` and
``"vocabulary_table"``), so ``model.save`` (``.h5``, ``.keras``, folders) and ``clone_model`` keep a learned
vocabulary. ``save_weights`` files hold only weights: reload a string-keyed model from its model file.
(tf.keras cannot save string-keyed ones to ``.h5`` at all, nor read back the config it writes.)

Differences from tf.keras, each where tf.keras fails: a batch with more unseen keys than the table has slots
keeps the first (sorted) ones that fit, where tf.keras stops with a ``top_k`` error; a key equal to the
padding value (``"unk"``, ``-1``) is a key like any other (tf.keras's table then goes out of step and fails);
``initial_vocabulary`` may be a list or array (a ``tf.Tensor`` in tf.keras) and must hold ``vocabulary_size``
keys (tf.keras fails at the first update otherwise); integer inputs of any integer dtype are looked up by
value; ``get_vocabulary()`` and ``get_top_vocabulary(k)`` return numpy arrays (tf.keras: tensors).

Example:
    >>> layer = DynamicLookup(3, ["apple", "banana", "cherry"])
    >>> layer(np.array([["apple", "kiwi"]])).numpy()
    array([[0, 3]])
    >>> layer.get_top_vocabulary(2).tolist()        # "kiwi" took the slot of the least used key ("apple")
    ['kiwi', 'banana']
"""
import numbers

import numpy as np

import autograd as ag

from ...engine import strings
from ...engine.base_layer import Layer, in_shape_inference
from ...random_state import generator

__all__ = []          # exported from layers.experimental, as in tf.keras

LFU = "LFU"
_EVICTION_POLICIES = (LFU,)
_STRING_PAD, _INT_PAD, _COUNT_PAD = "unk", -1, -1
_INT_DTYPES = ("int32", "int64")


def internal_table_size(vocabulary_size):
    """The frequency table's size: ``floor(1.2 * vocabulary_size)`` computed in float32, as tf.keras does.

    Example:
        >>> internal_table_size(3), internal_table_size(10)
        (3, 12)
    """
    # NOTE: float32 arithmetic as tf.keras (tf.cast(size, float32) * 1.2), so that the two agree on every size
    return int(np.floor(np.float32(vocabulary_size) * np.float32(1.2)))


def _dtype_request(value):
    """``"string"``, ``"int32"`` or ``"int64"`` when ``value`` is a dtype naming one of them, False for any other
    dtype (or string), None when ``value`` is not a dtype (a list of keys)."""
    if isinstance(value, str):
        name = value
    elif isinstance(value, type) and issubclass(value, np.generic):
        name = np.dtype(value).name
    elif isinstance(value, np.dtype):
        name = value.name
    elif not isinstance(value, (list, tuple, np.ndarray, ag.Tensor)) and isinstance(getattr(value, "name", None),
                                                                                    str):
        name = value.name              # a tf.DType-like object (tf.string, tf.int64)
    else:
        return None
    if name in ("string", "str", "object"):
        return strings.STRING
    return name if name in _INT_DTYPES else False


def random_vocabulary(size, dtype):
    """A random initial vocabulary of ``size`` keys (what passing a dtype as ``initial_vocabulary`` gives):
    strings of 10 ASCII letters, or integers in ``[0, size)`` (repeats possible, as in tf.keras). Drawn from
    kerasfront's generator, so ``utils.set_random_seed`` repeats it.

    Example:
        >>> random_vocabulary(3, "int64").shape
        (3,)
    """
    rng = generator()
    if dtype == strings.STRING:
        letters = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        out = np.empty(size, dtype=object)
        for i in range(size):
            out[i] = "".join(letters[rng.integers(0, len(letters), size=10)])
        return out
    return rng.integers(0, size, size=size).astype(dtype)


def _config_token(value):
    """One key as written in a config: tf.keras writes bytes (``b"a"``), in ``.keras`` files as
    ``{"class_name": "__bytes__", "config": {"value": "a"}}``."""
    if isinstance(value, dict) and value.get("class_name") == "__bytes__":
        value = value.get("config", {}).get("value")
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    return value


def vocabulary_array(values, who, arg="initial_vocabulary"):
    """``values`` (a list, array, Tensor or ``tf.Tensor``) as a 1-D numpy array: an object array of ``str`` for
    strings, int32 / int64 for integers (a Python int list becomes int64, as ``tf.constant`` would make int32:
    pass an array to choose).

    Example:
        >>> vocabulary_array([b"a", "b"], "layer").tolist(), vocabulary_array([3, 1], "layer").dtype
        (['a', 'b'], dtype('int64'))
    """
    if isinstance(values, ag.Tensor):
        values = values.data
    elif hasattr(values, "numpy") and not isinstance(values, np.ndarray):
        values = values.numpy()
    if isinstance(values, (list, tuple)):
        values = [_config_token(v) for v in values]
        if values and all(isinstance(v, str) for v in values):
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
        else:
            arr = np.asarray(values)
    else:
        arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{who}: `{arg}` must be a non-empty 1-D list of keys (or one of the dtypes 'string', "
                         f"'int32', 'int64' for a random one), received shape {arr.shape}")
    if arr.dtype.kind in "USO":
        return strings.to_string_array(arr, arg)
    if arr.dtype.kind in "iu" and arr.dtype.name in _INT_DTYPES:
        return arr.copy()
    if arr.dtype.kind in "iu" and np.can_cast(arr.dtype, np.int64):
        return arr.astype(np.int64)
    raise TypeError(f"{who}: `{arg}` must hold strings or int32/int64 integers, received dtype {arr.dtype}")


def _padded(values, size, pad, dtype):
    out = np.empty(size, dtype=object) if dtype == object else np.full(size, pad, dtype=dtype)
    if dtype == object:
        out.fill(pad)
    n = min(len(values), size)
    out[:n] = values[:n]
    return out


def _top_indices(counts, k):
    """Indices of the ``k`` largest counts, lower index first among equals (``tf.nn.top_k``'s order)."""
    return np.argsort(-counts.astype(np.int64), kind="stable")[:k]


def _object_array(values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _unique_sorted(values):
    """The distinct keys, sorted (strings by code point: the byte order of UTF-8, as TensorFlow sorts them)."""
    if values.dtype == object:
        return _object_array(sorted(set(values.tolist())))
    return np.unique(values)


def _isin(values, members):
    """``values[i] in members`` for each i (strings through a hash set: numpy compares object arrays pairwise)."""
    if values.dtype == object or members.dtype == object:
        member_set = set(members.tolist())
        return np.fromiter((k in member_set for k in values.tolist()), dtype=bool, count=len(values))
    return np.isin(values, members)


def lfu_learn(keys, counts, batch_keys, table_size):
    """One LFU step of the frequency table: ``(keys, counts)`` of its filled slots, after seeing ``batch_keys``
    (both 1-D; the result has at most ``table_size`` entries).

    Example:
        >>> k, c = lfu_learn(np.array([5, 3, 9, 1]), np.zeros(4, "int32"), np.array([7, 2, 11, 3]), 4)
        >>> k.tolist(), c.tolist()
        ([1, 2, 7, 11], [0, 1, 1, 1])
    """
    seen = _unique_sorted(batch_keys)              # sorted, as tf.sets.difference orders the new keys
    new = seen[~_isin(seen, keys)] if len(keys) else seen
    n_remove = max(len(keys) - table_size + len(new), 0)
    if n_remove:
        # NOTE: the least frequent keys go, earliest slot first among equal counts (tf.nn.top_k on -counts); a
        # batch with more new keys than the table has slots evicts everything (tf.keras fails there)
        gone = keys[np.argsort(counts.astype(np.int64), kind="stable")[:min(n_remove, len(keys))]]
        keep = ~_isin(keys, gone)
        keys, counts = keys[keep], counts[keep]
    counts = counts + _isin(keys, seen).astype(counts.dtype)
    keys = np.concatenate([keys, new.astype(keys.dtype)])[:table_size]
    counts = np.concatenate([counts, np.ones(len(new), counts.dtype)])[:table_size]
    return keys, counts


class VocabularyIndex:
    """Where each key stands in a vocabulary (its first occurrence), rebuilt only when the vocabulary changes:
    ``indices(keys, oov_index)`` gives int64 indices of ``keys``' shape.

    Example:
        >>> VocabularyIndex(np.array([4, 2, 4])).indices(np.array([[4, 7]]), 3).tolist()
        [[0, 3]]
    """

    def __init__(self, vocabulary):
        self.vocabulary = vocabulary
        self.snapshot = vocabulary.copy()
        if vocabulary.dtype == object:
            row = {}
            for i, key in enumerate(vocabulary.tolist()):
                row.setdefault(key, i)
            self.row = row
        else:
            self.uniq, self.first = np.unique(vocabulary, return_index=True)

    def describes(self, vocabulary):
        """Whether this index is still that of ``vocabulary`` (host arrays are replaced, never written in place;
        weights are compared by value, as files and set_weights write them in place)."""
        if vocabulary.dtype == object:
            return vocabulary is self.vocabulary
        return vocabulary.shape == self.snapshot.shape and np.array_equal(vocabulary, self.snapshot)

    def indices(self, keys, oov_index):
        flat = np.asarray(keys).ravel()
        if self.vocabulary.dtype == object:
            row = self.row
            out = np.fromiter((row.get(k, oov_index) for k in flat.tolist()), dtype=np.int64, count=flat.size)
        elif flat.dtype == object:
            out = np.full(flat.size, oov_index, dtype=np.int64)
        else:
            pos = np.clip(np.searchsorted(self.uniq, flat), 0, len(self.uniq) - 1)
            out = np.where(self.uniq[pos] == flat, self.first[pos], oov_index).astype(np.int64)
        return out.reshape(np.shape(keys))


class DynamicLookup(Layer):
    """Look keys up in a vocabulary that can be rebuilt from the keys seen most often (see the module text).

    Args:
        vocabulary_size: the number of keys in the vocabulary (a positive int); index ``vocabulary_size`` is
            the out-of-vocabulary index.
        initial_vocabulary: ``vocabulary_size`` keys (strings or int32/int64 integers: a list, array or
            tensor), or one of the dtypes ``"string"``, ``"int32"``, ``"int64"`` (also ``tf.string`` and the
            like) for random keys of that type.
        eviction_policy: ``"LFU"`` (least frequently used), the only one tf.keras has.

    Call arguments:
        inputs: keys of any shape (strings, or integers for an integer vocabulary).
        learn_vocab: count the batch's keys in the frequency table (default True).

    Returns: int64 indices of ``inputs``' shape.

    Example:
        >>> layer = DynamicLookup(3, np.array([10, 20, 30]))
        >>> layer(np.array([20, 40])).numpy().tolist()
        [1, 3]
    """

    _accepts_strings = True

    def __init__(self, vocabulary_size, initial_vocabulary, eviction_policy="LFU", **kwargs):
        super().__init__(**kwargs)
        who = f"DynamicLookup layer '{self.name}'"
        if isinstance(vocabulary_size, bool) or not isinstance(vocabulary_size, numbers.Integral) or \
                vocabulary_size <= 0:
            raise ValueError(f"{who}: `vocabulary_size` must be a positive integer, received "
                             f"vocabulary_size={vocabulary_size!r}")
        self.vocabulary_size = int(vocabulary_size)
        if eviction_policy not in _EVICTION_POLICIES:
            raise ValueError(f"{who}: {eviction_policy!r} eviction policy is currently unsupported by DynamicLookup "
                             f"layer. It currently only supports `LFU`")
        self.eviction_policy = eviction_policy
        request = _dtype_request(initial_vocabulary)
        if request is False:
            raise ValueError(f"{who}: `initial_vocabulary` must be a list of keys or one of the dtypes 'string', "
                             f"'int32', 'int64', received {initial_vocabulary!r}")
        if request:
            vocab = random_vocabulary(self.vocabulary_size, request)
        else:
            vocab = vocabulary_array(initial_vocabulary, who)
            if len(vocab) != self.vocabulary_size:
                raise ValueError(f"{who}: `initial_vocabulary` must hold vocabulary_size={self.vocabulary_size} "
                                 f"keys, received {len(vocab)}")
        self.initial_vocabulary = vocab
        self.vocabulary_dtype = strings.STRING if vocab.dtype == object else vocab.dtype.name
        self.internal_table_size = internal_table_size(self.vocabulary_size)
        self._is_string = vocab.dtype == object
        self._pad = _STRING_PAD if self._is_string else _INT_PAD
        self._np_keys = vocab.dtype
        # host-side state (string keys, or integer keys before build); after build integer keys live in weights
        self._host = {"keys": _padded(vocab, self.internal_table_size, self._pad, vocab.dtype),
                      "counts": _padded(np.zeros(len(vocab), np.int32), self.internal_table_size, _COUNT_PAD,
                                        np.int32),
                      "vocabulary": vocab.copy()}
        self._input_dtype = self.vocabulary_dtype
        self._keep_int_inputs = True
        self._autocast = False

    # -- state ---------------------------------------------------------------------------------------------
    def build(self, input_shape=None):
        if not self._is_string:
            # NOTE: tf.keras's names, dtypes and order (keys, values, then vocabulary); the values are int32
            host = self._host
            self.vocabulary_table_keys = self.add_weight("vocabulary_table_keys", (self.internal_table_size,),
                                                         dtype=self.vocabulary_dtype, trainable=False,
                                                         initializer=_constant(host["keys"]))
            self.vocabulary_table_values = self.add_weight("vocabulary_table_values", (self.internal_table_size,),
                                                           dtype="int32", trainable=False,
                                                           initializer=_constant(host["counts"]))
            self.vocabulary = self.add_weight("vocabulary", (self.vocabulary_size,), dtype=self.vocabulary_dtype,
                                              trainable=False, initializer=_constant(host["vocabulary"]))
            self._host = None
        self.built = True

    def _state(self, name):
        """The current ``"keys"``, ``"counts"`` (padded to the table size) or ``"vocabulary"`` array."""
        if self._host is not None:
            return self._host[name]
        var = {"keys": self.vocabulary_table_keys, "counts": self.vocabulary_table_values,
               "vocabulary": self.vocabulary}[name]
        return var.data

    def _set_state(self, name, value):
        if self._host is not None:
            self._host[name] = value
            return
        var = {"keys": self.vocabulary_table_keys, "counts": self.vocabulary_table_values,
               "vocabulary": self.vocabulary}[name]
        var.assign(np.asarray(value, dtype=var.dtype))

    def _filled(self):
        """``(keys, counts)`` of the table's filled slots (a slot is empty when its count is -1)."""
        keys, counts = self._state("keys"), self._state("counts")
        filled = counts != _COUNT_PAD
        return keys[filled], counts[filled]

    def _keys_array(self, inputs, arg="inputs"):
        """The keys in ``inputs`` as a numpy array of the vocabulary's kind (a clear error otherwise)."""
        if isinstance(inputs, ag.Tensor):
            arr = inputs.data
        elif hasattr(inputs, "numpy") and not isinstance(inputs, np.ndarray):
            arr = np.asarray(inputs.numpy())
        else:
            arr = np.asarray(inputs)
        if self._is_string:
            if arr.dtype.kind not in "USO":
                raise TypeError(f"DynamicLookup layer '{self.name}': the vocabulary holds strings, but `{arg}` "
                                f"holds {arr.dtype} values")
            return strings.to_string_array(arr, arg)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"DynamicLookup layer '{self.name}': the vocabulary holds {self.vocabulary_dtype} "
                            f"integers, but `{arg}` holds {'strings' if arr.dtype.kind in 'USO' else arr.dtype}")
        return arr

    def update_internal_vocabulary(self, unique):
        """Learn the keys ``unique`` (one batch's) into the frequency table with the eviction policy."""
        batch = self._keys_array(unique, "unique").ravel()
        keys, counts = self._filled()
        keys, counts = lfu_learn(keys, counts, batch, self.internal_table_size)
        self._set_state("keys", _padded(keys, self.internal_table_size, self._pad, self._np_keys))
        self._set_state("counts", _padded(counts.astype(np.int32), self.internal_table_size, _COUNT_PAD, np.int32))
        return unique

    def call(self, inputs, learn_vocab=True):
        keys = self._keys_array(inputs)
        if learn_vocab and not in_shape_inference():
            self.update_internal_vocabulary(keys)
        vocabulary = self._state("vocabulary")
        index = self.__dict__.get("_index")
        if index is None or not index.describes(vocabulary):
            index = self.__dict__["_index"] = VocabularyIndex(vocabulary)
        return ag.Tensor(index.indices(keys, self.vocabulary_size))

    def _static_output_shape(self, input_shape, dtype):
        return tuple(input_shape), np.dtype(np.int64)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # -- the vocabulary ------------------------------------------------------------------------------------
    def get_top_vocabulary(self, k):
        """The ``k`` most frequent keys of the table (at most its size; earliest slot first on ties; empty
        slots, counted -1, come last).

        Example:
            >>> DynamicLookup(2, ["a", "b"]).get_top_vocabulary(1).tolist()
            ['a']
        """
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0:
            raise ValueError(f"DynamicLookup layer '{self.name}': get_top_vocabulary(k) expects a non-negative "
                             f"integer, received k={k!r}")
        keys = self._state("keys")
        return keys[_top_indices(self._state("counts"), min(int(k), len(keys)))].copy()

    def get_vocabulary(self):
        """The vocabulary ``call`` looks keys up in (a numpy array of ``vocabulary_size`` keys).

        Example:
            >>> DynamicLookup(2, [7, 8]).get_vocabulary().tolist()
            [7, 8]
        """
        return self._state("vocabulary").copy()

    def set_vocabulary(self, vocabulary):
        """Replace the vocabulary ``call`` looks keys up in (``vocabulary_size`` keys of the vocabulary's type);
        what ``DynamicEmbedding.update_embeddings`` does with the table's most frequent keys."""
        who = f"DynamicLookup layer '{self.name}'"
        vocab = vocabulary_array(vocabulary, who, "vocabulary")
        if (vocab.dtype == object) != self._is_string or len(vocab) != self.vocabulary_size:
            raise ValueError(f"{who}: set_vocabulary expects {self.vocabulary_size} keys of type "
                             f"{self.vocabulary_dtype}, received {len(vocab)} of type "
                             f"{strings.dtype_name(vocab.dtype)}")
        self._set_state("vocabulary", vocab)

    # -- config ---------------------------------------------------------------------------------------------
    def _learned_state(self):
        """The state to write into the config: for string keys once it differs from the initial one."""
        if not self._is_string:
            return {}
        initial = self.initial_vocabulary
        keys, counts = self._filled()
        vocab = self._state("vocabulary")
        fresh = (len(keys) == len(initial) and not counts.any() and keys.tolist() == initial.tolist()
                 and vocab.tolist() == initial.tolist())
        if fresh:
            return {}
        return {"vocabulary": vocab.tolist(), "vocabulary_table": {"keys": keys.tolist(), "counts": counts.tolist()}}

    def _restore_learned_state(self, vocabulary, table):
        who = f"DynamicLookup layer '{self.name}'"
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)
        if table is not None:
            if not isinstance(table, dict) or set(table) != {"keys", "counts"} or \
                    len(table["keys"]) != len(table["counts"]) or len(table["keys"]) > self.internal_table_size:
                raise ValueError(f"{who}: `vocabulary_table` must be {{'keys': [...], 'counts': [...]}} of equal "
                                 f"length, at most {self.internal_table_size}, received {table!r:.200}")
            keys = vocabulary_array(table["keys"], who, "vocabulary_table") if len(table["keys"]) else \
                self.initial_vocabulary[:0]
            counts = np.asarray(table["counts"], dtype=np.int64)
            if counts.size and counts.min() < 0:
                raise ValueError(f"{who}: `vocabulary_table` counts must be non-negative")
            self._set_state("keys", _padded(keys, self.internal_table_size, self._pad, self._np_keys))
            self._set_state("counts", _padded(counts.astype(np.int32), self.internal_table_size, _COUNT_PAD,
                                              np.int32))

    def get_config(self):
        config = super().get_config()
        config.update({"vocabulary_size": self.vocabulary_size,
                       "initial_vocabulary": self.initial_vocabulary.tolist(),
                       "eviction_policy": self.eviction_policy})
        config.update(self._learned_state())
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        vocabulary, table = config.pop("vocabulary", None), config.pop("vocabulary_table", None)
        layer = super().from_config(config)
        layer._restore_learned_state(vocabulary, table)
        return layer

    def _save_assets(self):
        """``{"vocabulary.txt": text}``: the vocabulary, one key per line (tf.keras's asset)."""
        return {"vocabulary.txt": "\n".join(str(w) for w in self.get_vocabulary().tolist())}


def _constant(values):
    """An initializer returning a copy of ``values`` (the layer's host state, moved into a weight)."""
    def init(shape, dtype=None):
        return np.array(values, dtype=dtype).reshape(shape)
    return init
