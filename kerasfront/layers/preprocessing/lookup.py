"""Vocabulary lookups: ``StringLookup`` and ``IntegerLookup`` map tokens to indices (or back, with
``invert=True``), with a vocabulary given or learned by ``adapt`` (most frequent first, ties broken by the
larger token, as tf.keras sorts them).

Indices: ``0`` is the mask token's (when ``mask_token`` is set and ``output_mode="int"``), then
``num_oov_indices`` indices for out-of-vocabulary tokens (several OOV indices: the token's hash picks one),
then the vocabulary. Other output modes encode a row's indices as ``one_hot``, ``multi_hot``, ``count`` or
``tf_idf`` vectors.

Saving: the config holds the vocabulary (also after ``adapt``, so that ``.h5`` files, which tf.keras cannot
write for adapted lookups, keep it and load in tf.keras); ``.keras`` files also hold it as the
``vocabulary.txt`` asset tf.keras writes, and ``idf_weights`` as tf.keras's ``tf_idf`` weight.

Example:
    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer(np.array([["a", "c"], ["d", "b"]])).numpy()
    array([[1, 3],
           [0, 2]])
"""
import collections
import os

import numpy as np

import autograd as ag

from ... import backend
from ...variables import ResizableVariable
from .base import COUNT, INT, MULTI_HOT, ONE_HOT, TF_IDF, PreprocessingLayer, check_choice, check_no_sparse, \
    encode_categorical, encoded_shape, refuse_tracing, to_array, who

__all__ = ["StringLookup", "IntegerLookup"]


def _listify(x):
    if isinstance(x, ag.Tensor):
        x = x.data
    if isinstance(x, np.ndarray):
        return x.tolist()
    return list(x) if isinstance(x, tuple) else x


class IndexLookup(PreprocessingLayer):
    """What StringLookup and IntegerLookup share (see the module docstring); not used directly."""

    _is_string = True

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False, **kwargs):
        cls = type(self).__name__
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer))
                                       or max_tokens <= 1):
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, (int, np.integer)) \
                or num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if output_mode == "binary":
            output_mode = MULTI_HOT
        if output_mode == "tf-idf":
            output_mode = TF_IDF
        check_choice(output_mode, (INT, ONE_HOT, MULTI_HOT, COUNT, TF_IDF), "output_mode", cls)
        if invert and output_mode != INT:
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: output_mode={output_mode}")
        check_no_sparse(sparse, cls)
        if idf_weights is not None and output_mode != TF_IDF:
            raise ValueError(f"`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                             f"idf_weights={idf_weights} and output_mode={output_mode}")
        self._frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        kwargs.pop("has_static_table", None)
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == INT else backend.floatx()
        super().__init__(**kwargs)
        if output_mode == INT and self._np_dtype.kind not in "iu":
            raise ValueError(f"When `output_mode='int'`, `dtype` should be an integer type. Received: "
                             f"dtype={kwargs['dtype']}")
        self.invert = bool(invert)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = vocabulary_dtype
        self.input_vocabulary = None
        self.input_idf_weights = None
        self._tokens = []          # the vocabulary without special tokens, in index order
        self._index = {}           # token -> index
        self._adapted_vocabulary = False
        self.idf_weights = None
        if output_mode == TF_IDF:
            # NOTE: tf.keras keeps the idf weights in a tf.Variable of shape (None,), saved as the layer's weight
            var = self.add_weight("Variable", (self._token_start_index(),), dtype=self._dtype, initializer="zeros",
                                  trainable=False)
            var.__class__ = ResizableVariable
            self.idf_weights = var
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self._token_counts = None

    # -- indices -----------------------------------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == INT else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included.

        Example:
            >>> StringLookup(vocabulary=["a", "b"]).vocabulary_size()
            3
        """
        return len(self._tokens) + self._token_start_index()

    def vocab_size(self):
        return self.vocabulary_size()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order: with the mask and OOV tokens first (then a token's position is its
        index), or without them.

        Example:
            >>> StringLookup(vocabulary=["a", "b"], mask_token="").get_vocabulary()
            ['', '[UNK]', 'a', 'b']
        """
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == INT:
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return [self._py(v) for v in vocab]

    def _py(self, v):
        return v if self._is_string else (int(v) if v is not None else None)

    # -- setting the vocabulary -----------------------------------------------------------------------------
    def _vocabulary_array(self, vocabulary):
        if isinstance(vocabulary, ag.Tensor):
            vocabulary = vocabulary.data
        if len(vocabulary) == 0:
            raise ValueError(f"Cannot set an empty vocabulary, you passed {_listify(vocabulary)}.")
        if self._is_string:
            arr = to_array(vocabulary, allow_strings=True, what=f"{who(self)} vocabulary")
            if arr.dtype != object:
                raise TypeError(f"{who(self)}: the vocabulary should hold strings, received dtype {arr.dtype}")
        else:
            arr = np.asarray(vocabulary)
            if arr.size and arr.dtype.kind not in "iu":
                raise TypeError(f"{who(self)}: the vocabulary should hold integers, received dtype {arr.dtype}")
            arr = arr.astype(np.int64)
        if arr.ndim != 1:
            raise ValueError(f"{who(self)}: the vocabulary should be a flat list, received shape {arr.shape}")
        return arr

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, a 1-D array, or the path of a text file with one token per line), and
        with ``output_mode="tf_idf"`` the inverse document frequencies. Replaces any vocabulary; a bad one
        (empty, with repeated tokens, special tokens in the wrong place, too long) raises and changes nothing.

        Example:
            >>> layer = StringLookup()
            >>> layer.set_vocabulary(["x", "y"]); layer.get_vocabulary()
            ['[UNK]', 'x', 'y']
        """
        if self.output_mode == TF_IDF:
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is TF_IDF")
        elif idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                             f"output_mode={self.output_mode} and idf_weights={idf_weights}")
        given = vocabulary
        if isinstance(vocabulary, (str, os.PathLike)) and not isinstance(vocabulary, np.ndarray):
            path = os.fspath(vocabulary)
            if not os.path.exists(path):
                raise ValueError(f"Vocabulary file {path} does not exist.")
            if self.output_mode == TF_IDF:
                raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary from file.")
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            if lines and lines[-1] == "":
                lines = lines[:-1]
            vocabulary = lines if self._is_string else [int(v) for v in lines]
        vocab = self._vocabulary_array(vocabulary)
        if vocab.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary, you passed {_listify(vocabulary)}.")
        oov_start, token_start = self._oov_start_index(), self._token_start_index()
        special = [self.mask_token] * oov_start + [self.oov_token] * self.num_oov_indices
        found_special = len(vocab) >= token_start and [self._py(v) for v in vocab[:token_start]] == special
        tokens = vocab[token_start:] if found_special else vocab
        token_list = [self._py(v) for v in tokens]
        counts = collections.Counter(token_list)
        repeated = [t for t, c in counts.items() if c > 1]
        if repeated:
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please uniquify your dataset. The "
                             f"repeated terms are {repeated}")
        if self.mask_token is not None and self.mask_token in counts:
            raise ValueError(f"Found reserved mask token at unexpected location in `vocabulary`. Note that passed "
                             f"`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask "
                             f"and OOV tokens, or include them only at the start of the vocabulary in precisely this "
                             f"order: {special}. Received: mask_token={self.mask_token!r} at vocabulary index "
                             f"{token_list.index(self.mask_token)}")
        if self.oov_token is not None and self.invert and self.oov_token in counts:
            raise ValueError(f"Found reserved OOV token at unexpected location in `vocabulary`. Note that passed "
                             f"`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask "
                             f"and OOV tokens, or include them only at the start of the vocabulary in precisely this "
                             f"order: {special}. Received: oov_token={self.oov_token!r} at vocabulary index "
                             f"{token_list.index(self.oov_token)}")
        new_size = token_start + len(token_list)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. Passed vocab size is "
                             f"{new_size}, max vocab size is {self.max_tokens}.")
        weights = None
        if self.output_mode == TF_IDF and idf_weights is not False:
            idf = np.asarray(idf_weights.data if isinstance(idf_weights, ag.Tensor) else idf_weights, np.float64)
            if idf.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array, but received shape {idf.shape}")
            if len(idf) != len(vocab):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. len(idf_weights) is {len(idf)}, "
                                 f"len(vocabulary) is {len(vocab)}")
            front, front_value = (0, 0.0) if found_special else (token_start, float(np.average(idf)))
            back = self.max_tokens - front - len(idf) if self.pad_to_max_tokens else 0
            weights = np.pad(idf, (front, back), "constant", constant_values=(front_value, 0.0))
        self._check_size_unchanged(new_size)
        # everything checked: now change the layer
        self._tokens = token_list
        self._index = {t: i + token_start for i, t in enumerate(token_list)}
        if weights is not None:
            self.idf_weights.assign(weights.astype(self._np_dtype))
        self.input_vocabulary = _listify(given) if not isinstance(given, os.PathLike) else os.fspath(given)
        self.input_idf_weights = _listify(idf_weights) if idf_weights is not False else None
        self._adapted_vocabulary = False
        self._record_vocabulary_size()

    def _check_size_unchanged(self, new_size):
        if self.output_mode == INT or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is not None and self.built and new_size != self._frozen_vocab_size:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, the "
                               f"vocabulary size cannot be changed after the layer is called. Old vocab size is "
                               f"{self._frozen_vocab_size}, new vocab size is {new_size}")

    def _record_vocabulary_size(self):
        self._frozen_vocab_size = self.vocabulary_size()

    # -- adapt ------------------------------------------------------------------------------------------------
    def _adapt_input(self, batch):
        return self._inputs_array(batch, f"{who(self)}.adapt(data)")

    def _inputs_array(self, x, what):
        if isinstance(x, ag.Tensor):
            x = x.data
        arr = to_array(x, allow_strings=self._is_string, what=what)
        if self._is_string:
            if arr.dtype != object:
                raise TypeError(f"{what}: {type(self).__name__} takes strings, received dtype {arr.dtype}")
            return arr
        if arr.dtype.kind == "f":
            if arr.size and not np.all(arr == np.round(arr)):
                raise TypeError(f"{what}: IntegerLookup takes integers, received non-integer floats")
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "iu":
            raise TypeError(f"{what}: IntegerLookup takes integers, received dtype {arr.dtype}")
        return arr.astype(np.int64, copy=False)

    def reset_state(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def update_state(self, data):
        if self.input_vocabulary is not None:
            raise ValueError(f"Cannot adapt {type(self).__name__} layer after setting a static vocabulary via init "
                             f"argument or `set_vocabulary`.")
        if self._token_counts is None:
            self.reset_state()
        data = self._adapt_input(data)
        if data.ndim == 0:
            data = data.reshape(1)
        if data.ndim == 1:
            data = data[None]       # a 1-D batch is one document (as tf.keras counts it for tf_idf)
        self._count_tokens(data.reshape(-1), self._token_counts)
        if self.output_mode == TF_IDF:
            rows = data.reshape(data.shape[0], -1)
            for row in rows:
                self._document_counts.update(set(row.tolist()))
            self._num_documents += rows.shape[0]

    def _count_tokens(self, flat, counter):
        if self._is_string:
            counter.update(flat.tolist())
        else:
            values, counts = np.unique(flat, return_counts=True)
            counter.update(dict(zip(values.tolist(), counts.tolist())))

    def finalize_state(self):
        if self.input_vocabulary is not None or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._py(special), None)
        # NOTE: tf.keras sorts by count, then by token, both descending (np.lexsort(...)[::-1])
        ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ordered = ordered[:max(self.max_tokens - self._token_start_index(), 0)]
        tokens = [t for t, _ in ordered]
        self._check_size_unchanged(self._token_start_index() + len(tokens))
        self._tokens = tokens
        self._index = {t: i + self._token_start_index() for i, t in enumerate(tokens)}
        if self.output_mode == TF_IDF:
            doc_counts = np.array([self._document_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log(1.0 + self._num_documents / (1.0 + doc_counts)).astype(self._np_dtype)
            idf = np.pad(idf, (self._token_start_index(), 0), constant_values=np.mean(idf) if idf.size else 0)
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size))
            self.idf_weights.assign(idf.astype(self._np_dtype))
        self._adapted_vocabulary = True
        self._token_counts = None
        self._record_vocabulary_size()

    # -- call --------------------------------------------------------------------------------------------------
    def _convert(self, x):
        arr = self._inputs_array(x, f"{who(self)} inputs") if not self.invert else to_array(
            x, what=f"{who(self)} inputs")
        return arr if arr.dtype == object else ag.Tensor(arr)

    def _lookup(self, values):
        """Indices of ``values`` (numpy), with mask and OOV handling."""
        default = -1 if self.num_oov_indices != 1 else self._oov_start_index()
        flat = values.reshape(-1)
        index = self._index
        if self._is_string:
            out = np.fromiter((index.get(t, default) for t in flat.tolist()), dtype=np.int64, count=flat.size)
        elif index:
            cached = getattr(self, "_sorted_index", None)
            if cached is None or cached[0] is not index:
                keys = np.fromiter(index.keys(), dtype=np.int64, count=len(index))
                vals = np.fromiter(index.values(), dtype=np.int64, count=len(index))
                order = np.argsort(keys)
                cached = self._sorted_index = (index, keys[order], vals[order])
            keys, vals = cached[1], cached[2]
            pos = np.clip(np.searchsorted(keys, flat), 0, len(keys) - 1)
            out = np.where(keys[pos] == flat, vals[pos], default)
        else:
            out = np.full(flat.size, default, dtype=np.int64)
        if self.num_oov_indices > 1:
            oov = out == -1
            if oov.any():
                if self._is_string:
                    from .hashing import fingerprint64
                    buckets = (fingerprint64(flat[oov]) % np.uint64(self.num_oov_indices)).astype(np.int64)
                else:
                    buckets = np.mod(flat[oov], self.num_oov_indices)
                out[oov] = buckets + self._oov_start_index()
        if self.mask_token is not None:
            masked = flat == self.mask_token
            if masked.any():
                out[masked] = 0 if self.output_mode == INT else -1
        if self.num_oov_indices == 0:
            bad = out == -1
            if self.mask_token is not None:
                bad &= flat != self.mask_token
            if np.any(bad):
                raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                                 f"{flat[bad][:5].tolist()}, consider setting `num_oov_indices=1`.")
        return out.reshape(values.shape)

    def _invert(self, indices):
        vocab = self.get_vocabulary()
        flat = indices.reshape(-1).astype(np.int64)
        table = np.empty(len(vocab) + 1, dtype=object if self._is_string else np.int64)
        table[:len(vocab)] = vocab
        table[:self._token_start_index()] = self.oov_token
        if self.mask_token is not None:
            table[0] = self.mask_token
        table[len(vocab)] = self.oov_token
        pos = np.where((flat >= 0) & (flat < len(vocab)), flat, len(vocab))
        out = table[pos].reshape(indices.shape)
        return out

    def call(self, inputs):
        refuse_tracing(self)
        if self.output_mode != INT and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must "
                               f"set the layer's vocabulary before calling it. Either pass a `vocabulary` argument to "
                               f"the layer, or call `adapt` with some sample data.")
        values = inputs.data if isinstance(inputs, ag.Tensor) else inputs
        if self.invert:
            if values.dtype.kind not in "iu":
                raise TypeError(f"{who(self)} (invert=True): expected integer indices, received dtype {values.dtype}")
            out = self._invert(values)
            return out if out.dtype == object else ag.Tensor(out)
        indices = self._lookup(values)
        if self.output_mode == INT:
            return ag.Tensor(indices.astype(self._np_dtype, copy=False))
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        idf = self.idf_weights.data if self.output_mode == TF_IDF else None
        return ag.Tensor(encode_categorical(indices, self.output_mode, depth, self._np_dtype, idf_weights=idf,
                                            who_=who(self)))

    def compute_output_shape(self, input_shape):
        if self.output_mode == INT:
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return encoded_shape(input_shape, self.output_mode, depth)

    def _static_output_shape(self, input_shape, dtype):
        # NOTE: a symbolic call gets its shape here, not from a run on placeholder values: those are out of the
        # vocabulary, which a layer with num_oov_indices=0 refuses
        if self.invert:
            return None
        if self.output_mode == INT:
            return tuple(input_shape), self._dtype
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return (encoded_shape(input_shape, self.output_mode, depth), self._dtype) if depth is not None else None

    # -- saving ----------------------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        vocabulary = self.input_vocabulary
        idf = self.input_idf_weights
        if vocabulary is None and self._adapted_vocabulary:
            # NOTE: tf.keras writes None here after adapt (and cannot save such a layer in .h5); the learned
            # vocabulary in the config lets .h5 files and clone_model keep it, and tf.keras loads it
            vocabulary = self.get_vocabulary(include_special_tokens=False)
            if self.output_mode == TF_IDF:
                idf = self.idf_weights.data[self._token_start_index():self.vocabulary_size()].tolist()
        config.update({"invert": self.invert, "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                       "oov_token": self._py(self.oov_token), "mask_token": self._py(self.mask_token),
                       "output_mode": self.output_mode, "sparse": self.sparse,
                       "pad_to_max_tokens": self.pad_to_max_tokens, "vocabulary_dtype": self.vocabulary_dtype,
                       "idf_weights": idf, "vocabulary": vocabulary, "vocabulary_size": self._frozen_vocab_size})
        return config

    def _save_own_variables(self, store):
        """The ``.keras`` file's variables, as tf.keras names them (``idf_weights`` for ``tf_idf``)."""
        if self.output_mode == TF_IDF:
            store["idf_weights"] = self.idf_weights.numpy()

    def _load_own_variables(self, store):
        if self.output_mode == TF_IDF and "idf_weights" in store:
            self.idf_weights.assign(np.asarray(store["idf_weights"], self._np_dtype))
        elif self.output_mode == TF_IDF and "0" in store:
            self.idf_weights.assign(np.asarray(store["0"], self._np_dtype))

    def _save_assets(self):
        """``{"vocabulary.txt": text}``: the vocabulary with its special tokens, one per line (tf.keras's asset)."""
        return {"vocabulary.txt": "\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True))}

    def _load_assets(self, files):
        text = files.get("vocabulary.txt")
        if text is None or self.input_vocabulary is not None:
            return
        lines = text.split("\n")
        values = lines if self._is_string else [int(v) for v in lines]
        if self.output_mode == TF_IDF:
            self.set_vocabulary(values, idf_weights=False)
        else:
            self.set_vocabulary(values)
        self.input_vocabulary = None
        self._adapted_vocabulary = True


class StringLookup(IndexLookup):
    """Map strings to integer indices (or indices back to strings with ``invert=True``).

    Args:
        max_tokens: the largest vocabulary size (special tokens included) ``adapt`` may learn.
        num_oov_indices: indices for out-of-vocabulary strings (default 1; 0 makes them an error).
        mask_token: a string that maps to index 0 (default None: no mask).
        oov_token: the string ``invert=True`` gives for OOV indices (default ``"[UNK]"``).
        vocabulary: a list of strings or a file path (or learn it with ``adapt``).
        idf_weights: with ``output_mode="tf_idf"``, the inverse document frequencies.
        invert: map indices to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: with the vector modes, make vectors of ``max_tokens`` even for a smaller vocabulary.

    Example:
        >>> StringLookup(vocabulary=["a", "b"], invert=True)(np.array([[1, 2, 0]])).tolist()
        [['a', 'b', '[UNK]']]
    """

    _accepts_strings = True
    _is_string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, encoding="utf-8", invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, **kwargs):
        if kwargs.get("dtype") in ("string", "str"):
            del kwargs["dtype"]     # old StringLookup configs set the layer's dtype to string
        kwargs.pop("vocabulary_dtype", None)
        for name, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and not isinstance(token, str):
                raise TypeError(f"StringLookup({name}=...): expected a string or None, received {token!r}")
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary_dtype="string", vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Map integers to contiguous indices (or back with ``invert=True``).

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode, pad_to_max_tokens: as for
            ``StringLookup``.
        mask_token: an integer that maps to index 0 (default None).
        oov_token: the integer ``invert=True`` gives for OOV indices (default -1).
        vocabulary_dtype: the integer dtype of the vocabulary (default ``"int64"``).

    Example:
        >>> IntegerLookup(vocabulary=[12, 36])(np.array([[12, 7, 36]])).numpy()
        array([[1, 0, 2]])
    """

    _accepts_strings = False
    _is_string = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, **kwargs):
        try:
            ok = np.dtype(vocabulary_dtype).kind in "iu"
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"`vocabulary_dtype` must be an integer dtype. Received: {vocabulary_dtype}")
        if output_mode != "int" and kwargs.get("dtype") in ("int64",):
            del kwargs["dtype"]
        for old, new in (("max_values", "max_tokens"), ("mask_value", "mask_token"), ("oov_value", "oov_token")):
            if old in kwargs:
                value = kwargs.pop(old)
                if new == "max_tokens":
                    max_tokens = value
                elif new == "mask_token":
                    mask_token = value
                else:
                    oov_token = value
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer))
                                       or max_tokens <= 1):
            raise ValueError(f"If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: "
                             f"max_tokens={max_tokens}.")
        for name, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and (isinstance(token, bool) or not isinstance(token, (int, np.integer))):
                raise TypeError(f"IntegerLookup({name}=...): expected an int or None, received {token!r}")
        mask_token = None if mask_token is None else int(mask_token)
        oov_token = None if oov_token is None else int(oov_token)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary_dtype=np.dtype(vocabulary_dtype).name, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, **kwargs)
