"""``layers.experimental.DynamicEmbedding``, as tf.keras 2.21: an ``Embedding`` whose vocabulary follows the
data. Keys (strings or integers) go through a ``DynamicLookup`` (which counts them) to indices, and the indices
through an ``Embedding`` of ``input_dim + num_oov_indices`` rows (the last rows for unknown keys).

``update_embeddings()`` rebuilds the vocabulary from the ``input_dim`` most frequent keys of the lookup's
table and moves the embedding rows with it: a key still in the vocabulary keeps its trained row (at its new
index), a key new to the vocabulary gets a fresh row from ``embedding_initializer``. As tf.keras does, the
out-of-vocabulary rows are drawn afresh too. ``callbacks.experimental.UpdateEmbeddingCallback`` calls it
during ``fit``; without it the layer behaves as a plain ``Embedding`` over its initial vocabulary.

Differences from tf.keras, each where tf.keras fails: integer vocabularies can be updated (tf.keras's update
joins them with the string ``"UNK"`` and stops); ``get_config`` writes ``input_dim`` as given (tf.keras writes
``input_dim + num_oov_indices``, which its own ``from_config`` cannot read back; ``from_config`` here reads
both); the config of a string-keyed layer carries its learned vocabulary (see ``DynamicLookup``).

Example:
    >>> layer = DynamicEmbedding(input_dim=3, output_dim=2, initial_vocabulary=["a", "b", "c"])
    >>> layer(np.array([["a", "z"]])).shape
    (1, 2, 2)
"""
import numbers

import numpy as np

import autograd as ag

from ... import initializers
from ...engine import strings
from ...engine.base_layer import Layer
from ..embedding import Embedding
from .dynamic_lookup import DynamicLookup, _top_indices

__all__ = []          # exported from layers.experimental, as in tf.keras


class _OutOfVocabulary:
    """The token of an out-of-vocabulary row when the matrix is remapped: equal to no key, so its row is new."""

    def __repr__(self):
        return "<out of vocabulary>"


class DynamicEmbedding(Layer):
    """An embedding over a vocabulary rebuilt from the most frequent keys (see the module text).

    Args:
        input_dim: the number of keys in the vocabulary (a positive int).
        output_dim: the size of each embedding vector.
        initial_vocabulary: ``input_dim`` keys (strings or int32/int64 integers), or one of the dtypes
            ``"string"``, ``"int32"``, ``"int64"`` for random keys.
        eviction_policy: ``"LFU"``, the only one tf.keras has.
        input_length: the fixed length of the key sequences, when known (as ``Embedding``'s).
        embedding_initializer: initializer of the embedding matrix and of the rows of keys new to the
            vocabulary (default ``"uniform"``).
        num_oov_indices: the number of out-of-vocabulary rows (default 1; keys outside the vocabulary all use
            the first).

    Call arguments:
        inputs: keys of any shape. learn_vocab: count the batch's keys (default True).

    Example:
        >>> model = kerasfront.Sequential([kerasfront.Input((5,), dtype="string"),
        ...     DynamicEmbedding(5, 2, ["a", "b", "c", "d", "e"]), kerasfront.layers.Flatten(),
        ...     kerasfront.layers.Dense(3, activation="softmax")])
    """

    _accepts_strings = True

    def __init__(self, input_dim, output_dim, initial_vocabulary, eviction_policy="LFU", input_length=None,
                 embedding_initializer="uniform", num_oov_indices=1, **kwargs):
        super().__init__(**kwargs)
        who = f"DynamicEmbedding layer '{self.name}'"
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, numbers.Integral) or \
                num_oov_indices <= 0:
            raise ValueError(f"{who}: `num_oov_indices` must be a positive integer, received "
                             f"num_oov_indices={num_oov_indices!r}")
        if isinstance(input_dim, bool) or not isinstance(input_dim, numbers.Integral) or input_dim <= 0:
            raise ValueError(f"{who}: `input_dim` must be a positive integer, received input_dim={input_dim!r}")
        try:
            initializer = initializers.get(embedding_initializer)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{who}: `embedding_initializer` could not be interpreted: {e}") from None
        sub = {"dtype": kwargs["dtype"]} if kwargs.get("dtype") is not None else {}
        self.embedding_layer = Embedding(input_dim=int(input_dim) + int(num_oov_indices), output_dim=output_dim,
                                         embeddings_initializer=initializer, input_length=input_length, **sub)
        self.dynamic_lookup_layer = DynamicLookup(vocabulary_size=int(input_dim),
                                                  initial_vocabulary=initial_vocabulary,
                                                  eviction_policy=eviction_policy, **sub)
        self.embedding_initializer = embedding_initializer
        self.num_oov_indices = int(num_oov_indices)
        self._input_dtype = self.dynamic_lookup_layer.vocabulary_dtype
        self._keep_int_inputs = True
        self._autocast = False

    def build(self, input_shape=None):
        if input_shape is None:             # tf.keras builds without a shape too
            length = self.embedding_layer.input_length
            input_shape = (None,) + (tuple(length) if isinstance(length, list) else (length,))
        self.embedding_layer.build(input_shape)
        self.dynamic_lookup_layer.build(input_shape)
        self.built = True

    def call(self, inputs, learn_vocab=True):
        indices = self.dynamic_lookup_layer(inputs, learn_vocab=learn_vocab)
        return self.embedding_layer(indices)

    def _static_output_shape(self, input_shape, dtype):
        return tuple(input_shape) + (self.embedding_layer.output_dim,), self._np_dtype

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embedding_layer.output_dim,)

    # -- the vocabulary ------------------------------------------------------------------------------------
    def get_vocabulary(self):
        """The current vocabulary (a numpy array of ``input_dim`` keys; row ``i`` of the embeddings is key ``i``).

        Example:
            >>> DynamicEmbedding(2, 3, [4, 9]).get_vocabulary().tolist()
            [4, 9]
        """
        return self.dynamic_lookup_layer.get_vocabulary()

    def get_top_vocabulary(self, keys, values, k):
        """The keys of the ``k`` largest ``values`` (at most ``len(keys)``; earlier first among equals).

        Example:
            >>> DynamicEmbedding(2, 3, [4, 9]).get_top_vocabulary(np.array([4, 9, 5]), np.array([1, 3, 1]), 2)
            array([9, 4])
        """
        keys, values = np.asarray(keys), np.asarray(values)
        return keys[_top_indices(values, min(int(k), len(keys)))]

    def aggregate_lookup_table(self, keys_list, values_list):
        """Several frequency tables (one per worker, stacked) as one: each key once, in order of first
        appearance, with its counts summed. Returns ``(keys, values)``.

        Example:
            >>> DynamicEmbedding(2, 3, [4, 9]).aggregate_lookup_table([[4, 9], [9, 5]], [[1, 2], [3, 1]])
            (array([4, 9, 5]), array([1, 5, 1]))
        """
        keys = np.asarray(keys_list, dtype=object if strings.is_string_dtype(
            self.dynamic_lookup_layer.vocabulary_dtype) else None).ravel()
        values = np.asarray(values_list).ravel()
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")             # first-appearance order, as tf.unique
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        summed = np.zeros(len(uniq), dtype=values.dtype)
        np.add.at(summed, rank[inverse.ravel()], values)
        return uniq[order], summed

    def update_embeddings(self, strategy=None):
        """Rebuild the vocabulary from the ``input_dim`` most frequent keys of the lookup's table and remap the
        embedding matrix (kept rows for surviving keys; new keys and the out-of-vocabulary rows drawn from
        ``embedding_initializer``). ``strategy`` is accepted for tf.keras's signature (one process here).

        Example:
            >>> layer = DynamicEmbedding(2, 1, ["a", "b"], embedding_initializer="zeros")
            >>> _ = layer(np.array(["c", "c", "b"])); layer.update_embeddings(); layer.get_vocabulary().tolist()
            ['b', 'c']
        """
        if not self.built:
            raise ValueError(f"DynamicEmbedding layer '{self.name}': update_embeddings() needs the layer built; call "
                             f"it on a batch of keys first")
        lookup = self.dynamic_lookup_layer
        old_vocab = lookup.get_vocabulary()
        new_vocab = self.get_top_vocabulary(lookup._state("keys"), lookup._state("counts"), lookup.vocabulary_size)
        embeddings = self.embedding_layer.embeddings
        size = lookup.vocabulary_size
        oov = [_OutOfVocabulary() for _ in range(self.num_oov_indices)]
        from ...utils.layer_utils import warmstart_embedding_matrix
        # NOTE: as tf.keras: the rows of the old vocabulary move with their keys (a key held twice takes its
        # last row), and the out-of-vocabulary rows are not carried over (tf.keras's old vocabulary lacks them)
        matrix = warmstart_embedding_matrix(base_vocabulary=old_vocab.tolist(),
                                            new_vocabulary=new_vocab.tolist() + oov,
                                            base_embeddings=embeddings.numpy()[:size],
                                            new_embeddings_initializer=self.embedding_initializer)
        lookup.set_vocabulary(new_vocab)
        embeddings.assign(np.asarray(matrix.numpy(), dtype=embeddings.dtype))

    # -- config ---------------------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        lookup = self.dynamic_lookup_layer
        init = self.embedding_initializer
        config.update({"input_dim": lookup.vocabulary_size,
                       "output_dim": self.embedding_layer.output_dim,
                       "input_length": self.embedding_layer.input_length,
                       "eviction_policy": lookup.eviction_policy,
                       "initial_vocabulary": lookup.initial_vocabulary.tolist(),
                       "embedding_initializer": init if isinstance(init, str) else initializers.serialize(
                           initializers.get(init)),
                       "num_oov_indices": self.num_oov_indices})
        config.update(lookup._learned_state())
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        vocab = config.get("initial_vocabulary")
        oov = config.get("num_oov_indices", 1)
        if isinstance(vocab, (list, tuple)) and isinstance(config.get("input_dim"), numbers.Integral) and \
                isinstance(oov, numbers.Integral) and config["input_dim"] == len(vocab) + oov:
            # NOTE: tf.keras's get_config writes input_dim + num_oov_indices (the embedding's row count)
            config["input_dim"] = len(vocab)
        vocabulary, table = config.pop("vocabulary", None), config.pop("vocabulary_table", None)
        layer = super().from_config(config)
        layer.dynamic_lookup_layer._restore_learned_state(vocabulary, table)
        return layer

    def _save_assets(self):
        """``{"initial_vocabulary.txt": text}``: the initial vocabulary, one key per line (tf.keras's asset)."""
        return {"initial_vocabulary.txt": "\n".join(str(w) for w in
                                                    self.dynamic_lookup_layer.initial_vocabulary.tolist())}
