"""keras.preprocessing.text and .sequence against tf.keras 2.21: Tokenizer (word index, counts, sequences,
matrices, JSON both ways), text_to_word_sequence, hashing_trick, skipgrams, make_sampling_table and
TimeseriesGenerator."""
import json
import random

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.preprocessing import sequence, text

from .data_fixtures import INFO, REF

CONFIGS = INFO["tok_configs"]


def _decoded(tokenizer_json):
    """The tokenizer JSON with its nested JSON strings decoded (their key order follows Python's set order)."""
    outer = json.loads(tokenizer_json)
    config = outer["config"]
    for key in ("word_counts", "word_docs", "index_docs", "index_word", "word_index"):
        config[key] = json.loads(config[key])
    return outer


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_tokenizer_equals_tf_keras(name):
    expected = INFO["tok"][name]
    tok = text.Tokenizer(**CONFIGS[name])
    tok.fit_on_texts(INFO["tok_texts"])
    assert tok.word_index == expected["word_index"]
    assert [list(item) for item in tok.word_index.items()] == expected["word_index_items"]
    assert [list(item) for item in tok.word_counts.items()] == expected["word_counts_items"]
    assert dict(tok.word_docs) == expected["word_docs"]
    assert {str(k): v for k, v in tok.index_docs.items()} == expected["index_docs"]
    assert tok.document_count == expected["document_count"]
    seqs = tok.texts_to_sequences(INFO["tok_new"])
    assert seqs == expected["sequences"]
    assert tok.texts_to_sequences(INFO["tok_texts"]) == expected["fit_sequences"]
    assert tok.sequences_to_texts(seqs + [[1, 2, 99, 3]]) == expected["texts_back"]
    for mode in ("binary", "count", "tfidf", "freq"):
        np.testing.assert_allclose(tok.texts_to_matrix(INFO["tok_new"], mode=mode), REF[f"tok_{name}_{mode}"],
                                   rtol=1e-12)
    assert _decoded(tok.to_json()) == _decoded(expected["json"])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_tokenizer_reads_tf_keras_json(name):
    expected = INFO["tok"][name]
    tok = text.tokenizer_from_json(expected["json"])
    assert tok.texts_to_sequences(INFO["tok_new"]) == expected["sequences"]
    for mode in ("binary", "tfidf"):
        np.testing.assert_allclose(tok.texts_to_matrix(INFO["tok_new"], mode=mode), REF[f"tok_{name}_{mode}"],
                                   rtol=1e-12)
    assert keras.preprocessing.text.tokenizer_from_json(tok.to_json()).word_index == tok.word_index


def test_tokenizer_on_token_lists_and_sequences():
    tok = text.Tokenizer()
    tok.fit_on_texts([["Hello", "World"], ["hello", "there"]])
    assert tok.word_index == INFO["tok"]["lists"]["word_index"]
    assert tok.texts_to_sequences([["HELLO", "x"]]) == INFO["tok"]["lists"]["sequences"]
    tok = text.Tokenizer(num_words=6)
    tok.fit_on_sequences([[1, 2, 2], [3], [2, 5, 5, 1]])
    np.testing.assert_allclose(tok.sequences_to_matrix([[1, 2, 3, 4, 5, 5], [2]], mode="tfidf"), REF["tok_seq_tfidf"])


def test_tokenizer_errors():
    tok = text.Tokenizer()
    with pytest.raises(ValueError, match="fit on some text"):
        tok.texts_to_matrix(["a"])
    with pytest.raises(ValueError, match="tfidf"):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    tok.fit_on_texts(["a b"])
    with pytest.raises(ValueError, match="vectorization mode"):
        tok.texts_to_matrix(["a"], mode="onehot")
    with pytest.raises(TypeError, match="single str"):
        tok.fit_on_texts("a b c")
    with pytest.raises(TypeError, match="Unrecognized"):
        text.Tokenizer(words=3)
    with pytest.raises(ValueError, match="not a Tokenizer"):
        text.tokenizer_from_json('{"config": {}}')


def test_text_to_word_sequence_and_hashing_equal_tf_keras():
    entry = INFO["t2ws"]
    assert text.text_to_word_sequence(entry["text"]) == entry["default"]
    assert text.text_to_word_sequence(entry["text"], lower=False) == entry["nolower"]
    assert text.text_to_word_sequence(entry["text"], filters="!", split="-") == entry["custom"]
    assert text.hashing_trick(entry["text"], 17, hash_function="md5") == INFO["hashing_md5"]
    hashed = text.one_hot(entry["text"], 9)
    assert len(hashed) == len(entry["default"]) and all(1 <= h < 9 for h in hashed)
    with pytest.raises(ValueError, match="n=..."):
        text.hashing_trick("a", 1)


def test_make_sampling_table_equals_tf_keras():
    np.testing.assert_allclose(sequence.make_sampling_table(12, sampling_factor=0.05), REF["sampling_table"])


@pytest.mark.parametrize("index", range(4))
def test_skipgrams_equal_tf_keras_for_the_same_python_seed(index):
    case = INFO["skipgrams"][index]
    random.seed(case["python_seed"])
    couples, labels = sequence.skipgrams(INFO["skipgrams_sentence"], vocabulary_size=8, **case["kwargs"])
    assert couples == case["couples"]
    assert labels == case["labels"]


@pytest.mark.parametrize("name", ["basic", "stride_rate", "range_reverse", "shuffle"])
def test_timeseries_generator_equals_tf_keras(name):
    gen = sequence.TimeseriesGenerator(REF["tsg_data"], REF["tsg_targets"], **INFO["tsg_configs"][name])
    assert len(gen) == int(REF[f"tsg_{name}_len"])
    np.random.seed(21)
    for i in range(len(gen)):
        x, y = gen[i]
        np.testing.assert_array_equal(x, REF[f"tsg_{name}_{i}_x"])
        np.testing.assert_array_equal(y, REF[f"tsg_{name}_{i}_y"])


def test_timeseries_generator_json_and_errors():
    data, targets = np.arange(12).reshape(6, 2), np.arange(6) * 3
    gen = sequence.TimeseriesGenerator(data.tolist(), targets.tolist(), length=2)
    assert json.loads(gen.to_json()) == INFO["tsg_json"]
    with pytest.raises(ValueError, match="same length"):
        sequence.TimeseriesGenerator(data, targets[:3], length=2)
    with pytest.raises(ValueError, match="disallowed"):
        sequence.TimeseriesGenerator(data, targets, length=6)
    with pytest.raises(ValueError, match="length"):
        sequence.TimeseriesGenerator(data, targets, length=0)


def test_timeseries_generator_trains_a_model():
    series = np.sin(np.arange(100) / 4.0).astype("float32")[:, None]
    gen = sequence.TimeseriesGenerator(series, series, length=4, batch_size=8)
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 1)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    assert len(model.fit(gen, epochs=2, verbose=0).history["loss"]) == 2
