"""``TextVectorization``: raw strings to token indices or to bag-of-words vectors, as tf.keras does it.

The steps: standardize (``lower_and_strip_punctuation`` by default: ASCII lower case, as
``tf.strings.lower``, then tf.keras's punctuation class removed; or ``lower``, ``strip_punctuation``,
None, or a callable on a numpy array of strings), split (on ASCII whitespace, into characters, None, or a
callable returning a list of tokens per string), n-grams (joined with a space, shorter widths first), then
a ``StringLookup`` with the empty string as mask (index 0) and ``[UNK]`` as index 1.

Example:
    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["The cat sat.", "The dog ran!"])
    >>> layer(np.array([["the cat ran"]])).numpy()
    array([[2, 6, 4, 0]])
"""
import re

import numpy as np

import autograd as ag

from .base import COUNT, INT, MULTI_HOT, TF_IDF, PreprocessingLayer, check_choice, check_no_sparse, refuse_tracing, \
    to_array, who
from .lookup import StringLookup

__all__ = ["TextVectorization"]

LOWER_AND_STRIP_PUNCTUATION = "lower_and_strip_punctuation"
STRIP_PUNCTUATION = "strip_punctuation"
LOWER = "lower"
WHITESPACE = "whitespace"
CHARACTER = "character"

#: tf.keras's ``DEFAULT_STRIP_REGEX``: ASCII punctuation
DEFAULT_STRIP_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_PUNCTUATION = "".join(c for c in map(chr, range(128)) if re.fullmatch(DEFAULT_STRIP_REGEX, c))
_STRIP_TABLE = str.maketrans("", "", _PUNCTUATION)
_LOWER_TABLE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_LOWER_STRIP_TABLE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", _PUNCTUATION)
# NOTE: tf.strings.split splits on ASCII whitespace only; str.split() would also split on Unicode spaces
_ASCII_SPACE = re.compile(r"[ \t\n\v\f\r]+")


def _split_whitespace(text):
    if text.isascii():
        return text.split()
    return [t for t in _ASCII_SPACE.split(text) if t]


def _ngrams(tokens, widths):
    out = []
    for n in widths:
        if n == 1:
            out.extend(tokens)
        elif n > 1:
            out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def _resolve(value, arg, choices):
    """``standardize`` / ``split`` as given: a known name, None, a callable, or the saved name of a registered
    function (a string or a ``{"class_name": "function", "config": name}`` dict, as configs hold them)."""
    if value is None or callable(value) or (isinstance(value, str) and value in choices):
        return value
    name = value
    if isinstance(value, dict):
        name = value.get("config") if isinstance(value.get("config"), str) else value.get("class_name")
    if isinstance(name, str):
        from ...serialization import get_registered_object
        fn = get_registered_object(name)
        if fn is not None:
            return fn
        raise ValueError(f"TextVectorization: unknown `{arg}` {name!r}: expected one of {list(choices)}, None, a "
                         f"callable, or the name of a function registered with "
                         f"@kerasfront.utils.register_keras_serializable() (or passed in custom_objects)")
    raise ValueError(f"TextVectorization: `{arg}` must be one of {list(choices)}, None or a callable, received "
                     f"{value!r}")


class TextVectorization(PreprocessingLayer):
    """Turn strings into token index sequences (``output_mode="int"``) or into ``multi_hot``, ``count`` or
    ``tf_idf`` vectors over a vocabulary given or learned with ``adapt``.

    Args:
        max_tokens: the largest vocabulary (index 0 for padding and 1 for ``[UNK]`` included).
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``, ``"strip_punctuation"``, None, or
            a callable taking and returning a numpy array of strings.
        split: ``"whitespace"`` (default), ``"character"``, None, or a callable taking one string and returning
            its tokens.
        ngrams: None, an int n (all widths 1..n) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: with ``"int"``, pad or cut each sequence to this length (else to the longest in
            the batch).
        pad_to_max_tokens: with the vector modes, output ``max_tokens`` wide vectors.
        vocabulary, idf_weights: a given vocabulary (list or file) and idf weights.

    Example:
        >>> layer = TextVectorization(max_tokens=5, output_mode="count", vocabulary=["a", "b"])
        >>> layer(np.array(["a b a c"])).numpy()
        array([[1., 2., 1.]], dtype=float32)
    """

    _accepts_strings = True
    _accepts_numbers = False

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", **kwargs):
        cls = type(self).__name__
        if kwargs.get("dtype") not in (None, "string"):
            raise ValueError(f"`TextVectorization` may only have a dtype of string. Received dtype: {kwargs['dtype']}.")
        kwargs["dtype"] = "string"
        standardize = _resolve(standardize, "standardize", (LOWER_AND_STRIP_PUNCTUATION, LOWER, STRIP_PUNCTUATION))
        split = _resolve(split, "split", (WHITESPACE, CHARACTER))
        if output_mode == "binary":
            output_mode = MULTI_HOT
        if output_mode == "tf-idf":
            output_mode = TF_IDF
        if output_mode is not None:
            check_choice(output_mode, (INT, COUNT, MULTI_HOT, TF_IDF), "output_mode", cls)
        if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool)) or
                (isinstance(ngrams, (tuple, list)) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == INT and not (output_sequence_length is None or (
                isinstance(output_sequence_length, int) and not isinstance(output_sequence_length, bool))):
            raise ValueError(f"`output_sequence_length` must be either None or an integer when `output_mode` is 'int'. "
                             f"Received: output_sequence_length={output_sequence_length}")
        if output_mode != INT and output_sequence_length is not None:
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        if output_sequence_length is not None and output_sequence_length < 1:
            raise ValueError(f"{cls}: `output_sequence_length` must be positive, received {output_sequence_length}")
        check_no_sparse(ragged, cls, "ragged")
        check_no_sparse(sparse, cls)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(**kwargs)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = list(ngrams) if isinstance(ngrams, list) else ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else \
            (tuple(ngrams) if ngrams is not None else None)
        self._ragged = False
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="",
                                          output_mode=output_mode if output_mode is not None else INT,
                                          encoding=encoding, vocabulary_size=vocabulary_size)

    # -- vocabulary ---------------------------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order (``''`` and ``'[UNK]'`` first unless ``include_special_tokens=False``).

        Example:
            >>> TextVectorization(vocabulary=["a"]).get_vocabulary()
            ['', '[UNK]', 'a']
        """
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The vocabulary size, padding and OOV indices included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and ``idf_weights`` for ``tf_idf``) directly instead of adapting (see
        ``StringLookup.set_vocabulary``)."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- text processing -------------------------------------------------------------------------------------
    def _standardized(self, texts):
        std = self._standardize
        if std == LOWER_AND_STRIP_PUNCTUATION:
            table = _LOWER_STRIP_TABLE
        elif std == LOWER:
            table = _LOWER_TABLE
        elif std == STRIP_PUNCTUATION:
            table = _STRIP_TABLE
        else:
            table = None
        if table is not None:
            flat = texts.reshape(-1)
            out = np.empty(flat.shape, dtype=object)
            out[:] = [t.translate(table) for t in flat.tolist()]
            texts = out.reshape(texts.shape)
        elif callable(std):
            result = std(texts)
            texts = to_array(result.data if isinstance(result, ag.Tensor) else result, allow_strings=True,
                             what=f"{who(self)}: the standardize function's result")
            if texts.dtype != object:
                raise TypeError(f"{who(self)}: the standardize function should return strings, returned dtype "
                                f"{texts.dtype}")
        return texts

    def _tokens(self, texts):
        """The standardized, split and n-grammed tokens: a list of token lists (one per string), or the
        standardized array itself when ``split`` is None."""
        texts = self._standardized(texts)
        if self._split is None:
            return texts
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(f"When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                                 f"the last shape dimension must be 1. Received: inputs.shape={texts.shape} with "
                                 f"rank={texts.ndim}")
            texts = texts[..., 0]
        flat = texts.reshape(-1).tolist()
        if self._split == WHITESPACE:
            rows = [_split_whitespace(t) for t in flat]
        elif self._split == CHARACTER:
            rows = [list(t) for t in flat]
        else:
            rows = []
            for t in flat:
                got = self._split(t)
                if isinstance(got, ag.Tensor):
                    got = got.data
                rows.append([str(v) for v in (got.tolist() if isinstance(got, np.ndarray) else list(got))])
        if self._ngrams is not None:
            rows = [_ngrams(r, self._ngrams) for r in rows]
        if texts.ndim == 0:
            return rows[0]
        return rows

    def _inputs(self, x, what):
        arr = x.data if isinstance(x, ag.Tensor) else x
        arr = to_array(arr, allow_strings=True, what=what)
        if arr.dtype != object:
            raise TypeError(f"{what}: TextVectorization takes strings, received dtype {arr.dtype}")
        return arr

    # -- adapt ---------------------------------------------------------------------------------------------------
    def _adapt_input(self, batch):
        return self._inputs(batch, f"{who(self)}.adapt(data)")

    def reset_state(self):
        self._lookup_layer.reset_state()

    def update_state(self, data):
        data = self._adapt_input(data)
        lookup = self._lookup_layer
        if lookup.input_vocabulary is not None:
            raise ValueError("Cannot adapt TextVectorization layer after setting a static vocabulary via init argument "
                             "or `set_vocabulary`.")
        if lookup._token_counts is None:
            lookup.reset_state()
        tokens = self._tokens(data)
        if self._split is None:
            arr = tokens
            if arr.ndim == 0:
                arr = arr.reshape(1, 1)
            elif arr.ndim == 1:
                arr = arr[:, None] if self._output_mode == TF_IDF else arr[None]
            lookup._token_counts.update(arr.reshape(-1).tolist())
            rows = arr.reshape(arr.shape[0], -1).tolist()
        else:
            rows = tokens if isinstance(tokens[0] if tokens else [], list) else [tokens]
            counts = lookup._token_counts
            for r in rows:
                counts.update(r)
        if lookup.output_mode == TF_IDF:
            for r in rows:
                lookup._document_counts.update(set(r))
            lookup._num_documents += len(rows)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    # -- call ----------------------------------------------------------------------------------------------------
    def _convert(self, x):
        return self._inputs(x, f"{who(self)} inputs")

    def call(self, inputs):
        refuse_tracing(self)
        texts = self._inputs(inputs, f"{who(self)} inputs")
        tokens = self._tokens(texts)
        if self._output_mode is None:
            return tokens if isinstance(tokens, np.ndarray) else _rows_to_array(tokens, "")
        lookup = self._lookup_layer
        if self._split is None:
            return lookup._eager_call(tokens, (), {}, False)
        rows = tokens if (not tokens or isinstance(tokens[0], list)) else [tokens]
        if self._output_mode == INT:
            length = self._output_sequence_length
            if length is None:
                length = max((len(r) for r in rows), default=0)
            flat = [t for r in rows for t in r[:length]]
            ids = lookup._lookup(np.array(flat, dtype=object)) if flat else np.zeros(0, np.int64)
            out = np.zeros((len(rows), length), dtype=np.int64)
            lengths = np.fromiter((min(len(r), length) for r in rows), dtype=np.int64, count=len(rows))
            mask = np.arange(length)[None, :] < lengths[:, None]
            out[mask] = ids
            if not isinstance(tokens[0] if tokens else [], list):
                out = out[0]
            else:
                out = out.reshape(texts.shape[:-1] + (length,) if texts.ndim > 1 else (len(rows), length))
            return ag.Tensor(out)
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        if depth is None:
            lookup.call(np.zeros((1,), dtype=object))   # raises tf.keras's "set the vocabulary first" error
        width = max((len(r) for r in rows), default=0)
        padded = np.empty((len(rows), width), dtype=object)
        padded.fill("")
        for i, r in enumerate(rows):
            padded[i, :len(r)] = r
        out = lookup._eager_call(padded, (), {}, False)
        if not isinstance(tokens[0] if tokens else [], list):
            out = ag.Tensor(out.data[0])
        return out

    def compute_output_shape(self, input_shape):
        if self._output_mode == INT:
            return (input_shape[0], self._output_sequence_length)
        lookup = self._lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        return (input_shape[0], depth)

    # -- saving ------------------------------------------------------------------------------------------------
    def get_config(self):
        from ...serialization import serialize_keras_object
        lookup = self._lookup_layer
        lookup_config = lookup.get_config()

        def fn_config(fn):
            if fn is None or isinstance(fn, str):
                return fn
            return serialize_keras_object(fn)

        config = super().get_config()
        config.update({"max_tokens": lookup.max_tokens, "standardize": fn_config(self._standardize),
                       "split": fn_config(self._split), "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                       "output_sequence_length": self._output_sequence_length,
                       "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False, "ragged": False,
                       "vocabulary": lookup_config["vocabulary"], "idf_weights": lookup_config["idf_weights"],
                       "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()})
        return config

    # Keras saves the lookup under its private attribute name (see saving/keras_zip.py's _children)
    _saved_sublayers = {"_lookup_layer": "_lookup_layer"}

    def _save_own_variables(self, store):
        self._lookup_layer._save_own_variables(store)

    def _load_own_variables(self, store):
        self._lookup_layer._load_own_variables(store)

    def _save_assets(self):
        return self._lookup_layer._save_assets()

    def _load_assets(self, files):
        self._lookup_layer._load_assets(files)


def _rows_to_array(rows, fill):
    width = max((len(r) for r in rows), default=0)
    out = np.empty((len(rows), width), dtype=object)
    out.fill(fill)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out
