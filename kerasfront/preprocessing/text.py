"""``keras.preprocessing.text``: ``Tokenizer``, ``tokenizer_from_json``, ``text_to_word_sequence``,
``one_hot`` and ``hashing_trick``, as tf.keras has them (the same word indices, sequences, matrices and JSON).

Example:
    >>> tok = Tokenizer(oov_token="<unk>")
    >>> tok.fit_on_texts(["The cat sat.", "The dog sat!"])
    >>> tok.word_index
    {'<unk>': 1, 'the': 2, 'sat': 3, 'cat': 4, 'dog': 5}
    >>> tok.texts_to_sequences(["the bird sat"])
    [[2, 1, 3]]
"""
import collections
import hashlib
import json
import warnings

import numpy as np

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Split a text into words: lower-cased (with ``lower``), every character of ``filters`` turned into a
    separator, empty pieces dropped.

    Example:
        >>> text_to_word_sequence("Hello, World!  Hi")
        ['hello', 'world', 'hi']
    """
    if not isinstance(input_text, str):
        raise TypeError(f"text_to_word_sequence: expected a str, received {type(input_text).__name__}")
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Each word of ``text`` as an index in ``[1, n)``: ``hash_function(word) % (n - 1) + 1``.

    Args:
        text: the text.
        n: the size of the hashing space (index 0 stays free).
        hash_function: a function of a word, or ``"md5"`` (stable across runs); default Python's ``hash``,
            which changes between runs unless ``PYTHONHASHSEED`` is set.
        filters, lower, split: as ``text_to_word_sequence``.
        analyzer: a function from the text to its words, replacing ``text_to_word_sequence``.

    Example:
        >>> hashing_trick("the cat the", 10, hash_function="md5")
        [6, 3, 6]
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"hashing_trick(n=...): expected an int >= 2 (indices go in [1, n)), received {n!r}")
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split) if analyzer is None \
        else analyzer(text)
    return [hash_function(w) % (n - 1) + 1 for w in words]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """``hashing_trick`` with Python's ``hash`` (so the indices change between runs unless ``PYTHONHASHSEED`` is
    set, as in tf.keras).

    Example:
        >>> len(one_hot("a b c", 5))
        3
    """
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


class Tokenizer:
    """Turns texts into sequences of word indices (or matrices), indexing words by frequency.

    Args:
        num_words: keep only the ``num_words - 1`` most frequent words when converting (the index is built for
            all words).
        filters: characters removed from texts (turned into separators).
        lower: lower-case texts.
        split: the word separator.
        char_level: every character is a token.
        oov_token: a token (index 1) that replaces unknown words when converting; without it they are dropped.
        analyzer: a function from a text to its tokens, replacing the built-in splitting.

    Attributes:
        word_index, index_word: word -> index (1 is the most frequent, or ``oov_token``) and back.
        word_counts: word -> count (in first-seen order); word_docs / index_docs: documents holding each
            word / index; document_count: texts seen.

    Example:
        >>> tok = Tokenizer(num_words=3)
        >>> tok.fit_on_texts(["a a b", "b c a"])
        >>> tok.texts_to_sequences(["a b c"]), tok.texts_to_matrix(["a b c"], mode="count").tolist()
        ([[1, 2]], [[0.0, 1.0, 1.0]])
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.")
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError("Unrecognized keyword arguments: " + str(kwargs))
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, (int, np.integer))
                                      or num_words < 0):
            raise ValueError(f"Tokenizer(num_words=...): expected None or an int >= 0, received {num_words!r}")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        if not isinstance(text, str):
            raise TypeError(f"Tokenizer: expected texts as str (or lists of tokens), received "
                            f"{type(text).__name__}: {text!r}")
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` (strings, or lists of tokens) and rebuild ``word_index``.

        Example:
            >>> tok = Tokenizer(); tok.fit_on_texts(["b a b"]); tok.word_index
            {'b': 1, 'a': 2}
        """
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts: expected a list of texts, received a single str (wrap it in a "
                            "list)")
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for w in tokens:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(tokens):
                self.word_docs[w] += 1
        # NOTE: a stable sort by decreasing count: equal counts keep their first-seen order, as in tf.keras
        ranked = sorted(self.word_counts.items(), key=lambda item: -item[1])
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocabulary, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Count the documents holding each index (for ``tfidf`` matrices) from sequences of indices.

        Example:
            >>> tok = Tokenizer(num_words=4); tok.fit_on_sequences([[1, 2], [2]]); dict(tok.index_docs)
            {1: 1, 2: 2}
        """
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (words beyond ``num_words`` and unknown words become
        ``oov_token``'s index, or are dropped).

        Example:
            >>> tok = Tokenizer(); tok.fit_on_texts(["x y"]); tok.texts_to_sequences(["y x z"])
            [[2, 1]]
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """``texts_to_sequences`` one text at a time."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.texts_to_sequences: expected a list of texts, received a single str (wrap it "
                            "in a list)")
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            seq = []
            for w in self._tokens(text):
                i = self.word_index.get(w)
                if i is not None and not (self.num_words and i >= self.num_words):
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            yield seq

    def sequences_to_texts(self, sequences):
        """Each sequence of indices back as a text (words joined by spaces; indices beyond ``num_words`` or
        unknown become ``oov_token``, or are dropped).

        Example:
            >>> tok = Tokenizer(); tok.fit_on_texts(["x y"]); tok.sequences_to_texts([[2, 1]])
            ['y x']
        """
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """``sequences_to_texts`` one sequence at a time."""
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None and not (self.num_words and num >= self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """``sequences_to_matrix`` of ``texts_to_sequences(texts)``.

        Example:
            >>> tok = Tokenizer(); tok.fit_on_texts(["a b b"]); tok.texts_to_matrix(["b b"], mode="count").tolist()
            [[0.0, 2.0, 0.0]]
        """
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A ``(len(sequences), num_words)`` float64 matrix: per index, ``binary`` presence, ``count``, ``freq``
        (count / length) or ``tfidf`` (``(1 + log count) * log(1 + documents / (1 + documents with it))``).

        Example:
            >>> Tokenizer(num_words=3).sequences_to_matrix([[1, 1, 2]], mode="freq").round(3).tolist()
            [[0.0, 0.667, 0.333]]
        """
        if mode not in ("binary", "count", "tfidf", "freq"):
            raise ValueError(f"Unknown vectorization mode: {mode!r}; expected 'binary', 'count', 'tfidf' or 'freq'")
        if not self.num_words:
            if not self.word_index:
                raise ValueError("Specify a dimension (`num_words` argument), or fit on some text data first.")
            num_words = len(self.word_index) + 1
        else:
            num_words = self.num_words
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not seq:
                continue
            counts = collections.Counter(j for j in seq if j < num_words)
            for j, c in counts.items():
                if mode == "count":
                    x[i, j] = c
                elif mode == "freq":
                    x[i, j] = c / len(seq)
                elif mode == "binary":
                    x[i, j] = 1
                else:
                    tf = 1 + np.log(c)
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i, j] = tf * idf
        return x

    def get_config(self):
        """The tokenizer's settings and counts (the counts as JSON strings, as tf.keras writes them)."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string that ``tokenizer_from_json`` (here or in tf.keras) reads back.

        Example:
            >>> tok = Tokenizer(); tok.fit_on_texts(["a b"])
            >>> tokenizer_from_json(tok.to_json()).word_index
            {'a': 1, 'b': 2}
        """
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A ``Tokenizer`` from ``Tokenizer.to_json()`` (kerasfront's or tf.keras's).

    Example:
        >>> tokenizer_from_json(Tokenizer(num_words=5).to_json()).num_words
        5
    """
    try:
        config = dict(json.loads(json_string)["config"])
        word_counts = json.loads(config.pop("word_counts"))
        word_docs = json.loads(config.pop("word_docs"))
        index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
        index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
        word_index = json.loads(config.pop("word_index"))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"tokenizer_from_json: not a Tokenizer's JSON ({type(e).__name__}: {e})") from None
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = word_docs
    tokenizer.index_docs = index_docs
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer
