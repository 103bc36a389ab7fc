"""layers.experimental.DynamicLookup / DynamicEmbedding and callbacks.experimental.UpdateEmbeddingCallback:
the shared layer test, tf_keras 2.21's behaviour (tests/fixtures/dynamic_embedding/, made by
tools/make_dynamic_embedding_fixtures.py), saving, the timer's meeting with fit, and the errors."""
import doctest
import importlib
import json
import os
import threading
import time

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.callbacks.experimental import UpdateEmbeddingCallback
from kerasfront.layers.experimental import DynamicEmbedding, DynamicLookup
from tests.kerasfront.layer_test_utils import layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "dynamic_embedding")
with open(os.path.join(FIXTURES, "reference.json")) as _f:
    REF = json.load(_f)


def keys(values, dtype=None):
    """Keys as kerasfront takes them: an object array for strings, an integer array otherwise."""
    if dtype in (None, "string"):
        arr = np.asarray(values)
        return arr.astype(object) if arr.dtype.kind in "US" else arr
    return np.asarray(values, dtype=dtype)


# -- the shared layer test ---------------------------------------------------------------------------------------

def test_dynamic_lookup_layer_test():
    x = keys([["a", "x", "b"], ["c", "a", "z"]])
    out = layer_test(DynamicLookup, {"vocabulary_size": 3, "initial_vocabulary": ["a", "b", "c"]}, input_data=x,
                     expected_output_shape=(None, 3), expected_output_dtype="int64", expected_num_weights=0,
                     gradcheck=False)
    np.testing.assert_array_equal(out, [[0, 3, 1], [2, 0, 3]])
    out = layer_test(DynamicLookup, {"vocabulary_size": 3, "initial_vocabulary": np.array([4, 5, 6], "int32")},
                     input_data=np.array([[4, 7], [6, 6]]), expected_output_shape=(None, 2),
                     expected_output_dtype="int64", expected_weight_shapes=[(3,), (3,), (3,)], gradcheck=False)
    np.testing.assert_array_equal(out, [[0, 3], [2, 2]])


def test_dynamic_embedding_layer_test():
    x = keys([["a", "x", "b"], ["c", "a", "z"]])
    layer_test(DynamicEmbedding, {"input_dim": 3, "output_dim": 2, "initial_vocabulary": ["a", "b", "c"]},
               input_data=x, expected_output_shape=(None, 3, 2), expected_weight_shapes=[(4, 2)],
               expected_num_trainable_weights=1)
    layer_test(DynamicEmbedding, {"input_dim": 3, "output_dim": 2, "initial_vocabulary": [4, 5, 6],
                                  "input_length": 2}, input_data=np.array([[4, 7], [6, 6]]),
               expected_output_shape=(None, 2, 2), expected_weight_shapes=[(4, 2), (3,), (3,), (3,)],
               expected_num_trainable_weights=1)


def test_weights_are_named_and_ordered_as_tf_keras():
    layer = DynamicEmbedding(4, 2, np.array([1, 2, 3, 4], "int64"), name="dynamic_embedding")
    layer(np.array([[1, 9]]))
    names = [w.name for w in layer.weights]
    tf_names = list(REF["int_files"]["weights"])[:4]   # tf.keras: keys and values unscoped, the rest scoped
    assert [n.rsplit("/", 1)[-1] for n in names] == [n.rsplit("/", 1)[-1] for n in tf_names]
    assert [w.dtype.name for w in layer.weights] == ["float32", "int64", "int32", "int64"]
    assert [w.trainable for w in layer.weights] == [True, False, False, False]


# -- behaviour against tf_keras ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", REF["lookups"], ids=lambda c: c["name"])
def test_lookup_calls_match_tf_keras(case):
    dtype = case["dtype"]
    layer = DynamicLookup(case["vocabulary_size"], keys(case["initial_vocabulary"], dtype))
    for i, step in enumerate(case["steps"]):
        out = layer(keys(step["inputs"], dtype), learn_vocab=step["learn_vocab"])
        assert out.numpy().tolist() == step["outputs"], f"step {i}: outputs"
        assert out.numpy().dtype == np.int64
        assert layer._state("keys").tolist() == step["table_keys"], f"step {i}: table keys"
        assert layer._state("counts").tolist() == step["table_values"], f"step {i}: table counts"
        assert layer.get_vocabulary().tolist() == step["vocabulary"]
        for k, expected in step["top"].items():
            assert layer.get_top_vocabulary(int(k)).tolist() == expected, f"step {i}: top {k}"


@pytest.mark.parametrize("case", REF["embeddings"], ids=lambda c: c["name"])
def test_embedding_updates_match_tf_keras(case):
    layer = DynamicEmbedding(case["input_dim"], case["output_dim"], case["initial_vocabulary"],
                             embedding_initializer=case["embedding_initializer"])
    layer(keys([case["initial_vocabulary"][0]]), learn_vocab=False)      # builds it, as the fixture's maker did
    layer.embedding_layer.embeddings.assign(np.array(case["embeddings"], "float32"))
    matrix = layer.embedding_layer.embeddings
    for i, step in enumerate(case["steps"]):
        if not step.get("update"):
            out = layer(keys(step["inputs"]))
            np.testing.assert_allclose(out.numpy(), step["outputs"], rtol=1e-6, err_msg=f"step {i}")
            continue
        layer.update_embeddings()
        assert layer.get_vocabulary().tolist() == step["vocabulary"], f"step {i}: vocabulary"
        assert layer.dynamic_lookup_layer._state("keys").tolist() == step["table_keys"]
        assert layer.dynamic_lookup_layer._state("counts").tolist() == step["table_values"]
        np.testing.assert_array_equal(matrix.numpy()[step["kept_rows"]], np.array(step["kept_values"], "float32"))
        if step["embeddings"] is not None:       # "zeros": the new rows and the out-of-vocabulary row too
            np.testing.assert_array_equal(matrix.numpy(), np.array(step["embeddings"], "float32"))
        fresh = [r for r in range(matrix.shape[0]) if r not in step["kept_rows"]]
        if case["embedding_initializer"] == "uniform":
            new_rows = matrix.numpy()[fresh]
            assert np.all(np.abs(new_rows) <= 0.05) and np.all(new_rows != 0)
            values = matrix.numpy()
            for r, row in step["replaced_rows"].items():   # continue from tf.keras's (replaced) matrix
                values[int(r)] = row
            matrix.assign(values)


def _fit_model(ref):
    inputs = keras.Input((3,), dtype="string")
    emb = DynamicEmbedding(4, 2, ref["initial_vocabulary"], input_length=3, embedding_initializer="zeros",
                           name="dynamic_embedding")
    out = keras.layers.Dense(3, activation="softmax", name="dense")(keras.layers.Flatten()(emb(inputs)))
    model = keras.Model(inputs, out)
    model.set_weights([np.array(w, "float32") for w in ref["initial_weights"] if isinstance(w[0], list)
                       or isinstance(w[0], float)])
    model.compile(optimizer=keras.optimizers.Adam(ref["learning_rate"]), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, emb


def test_fit_with_updates_at_chosen_batches_matches_tf_keras():
    ref = REF["fit"]
    model, emb = _fit_model(ref)
    table = emb.dynamic_lookup_layer
    construction = ref["construction_table"]          # building the model learned nothing
    assert table._state("keys").tolist() == construction["table_keys"]
    assert table._state("counts").tolist() == construction["table_values"]
    callback = UpdateEmbeddingCallback(emb, interval=3600)        # its thread is never started
    seen = {"n": 0}

    def on_batch_end(batch, logs=None):
        if seen["n"] in ref["update_after_batches"]:
            callback.on_interval()                     # a direct call updates at once
        seen["n"] += 1

    history = model.fit(keys(ref["x"]), np.array(ref["y"]), batch_size=ref["batch_size"], epochs=ref["epochs"],
                        shuffle=False, verbose=0,
                        callbacks=[callback, keras.callbacks.LambdaCallback(on_train_batch_end=on_batch_end)])
    assert callback.updates == len(ref["update_after_batches"])
    for key, values in ref["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-4, atol=1e-5, err_msg=key)
    expected = [np.array(w, "float32") for w in ref["weights"] if isinstance(w[0], (list, float))]
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert emb.get_vocabulary().tolist() == ref["vocabulary"]
    assert table._state("keys").tolist() == ref["table_keys"]
    assert table._state("counts").tolist() == ref["table_values"]
    slots = {v.name: v.numpy() for v in model.optimizer.variables}
    for name, value in ref["optimizer_variables"].items():
        np.testing.assert_allclose(slots[name], np.array(value, slots[name].dtype), rtol=1e-4, atol=1e-5,
                                   err_msg=name)
    np.testing.assert_allclose(model.predict(keys(ref["x"][:3]), verbose=0), ref["predict"], rtol=1e-4, atol=1e-5)
    after = ref["table_after_predict"]                 # predict learns too, as in tf.keras
    assert table._state("keys").tolist() == after["table_keys"]
    assert table._state("counts").tolist() == after["table_values"]


def test_update_zeroes_the_optimizer_slots_of_the_embeddings_only():
    ref = REF["fit"]
    model, emb = _fit_model(ref)
    callback = UpdateEmbeddingCallback(emb, interval=3600)
    model.fit(keys(ref["x"]), np.array(ref["y"]), batch_size=2, epochs=1, verbose=0, callbacks=[callback])
    slots = {v.name: v for v in model.optimizer.variables}
    before = {n: v.numpy() for n, v in slots.items()}
    assert np.any(before["Adam/m/dynamic_embedding/embeddings:0"] != 0)
    callback.on_interval()
    for name, var in slots.items():
        if "dynamic_embedding/embeddings" in name:
            assert not var.numpy().any(), name
        else:
            np.testing.assert_array_equal(var.numpy(), before[name])


def test_int_keyed_updates_work_where_tf_keras_fails():
    # tf.keras's update joins the integer vocabulary with the string "UNK" and stops; here it works
    layer = DynamicEmbedding(3, 2, np.array([1, 2, 3]), embedding_initializer="zeros")
    layer.build(None)
    start = np.arange(8, dtype="float32").reshape(4, 2) + 1
    layer.embedding_layer.embeddings.assign(start)
    layer(np.array([[3, 7], [7, 8]]))          # table: 8 evicts 1 (LFU, earliest first), 3 +1, 7 and 8 new
    layer.update_embeddings()
    assert layer.get_vocabulary().tolist() == [3, 7, 8]
    np.testing.assert_array_equal(layer.embedding_layer.embeddings.numpy(),
                                  [start[2], [0, 0], [0, 0], [0, 0]])     # 3 keeps its row; OOV redrawn


# -- learning rules where tf.keras fails -------------------------------------------------------------------------

def test_more_new_keys_than_table_slots_keeps_the_first_sorted():
    layer = DynamicLookup(3, ["d", "c", "b"])         # table of 3 slots; tf.keras fails with a top_k error
    layer(keys([["z", "y", "x", "w", "v"]]))
    assert layer._state("keys").tolist() == ["v", "w", "x"]
    assert layer._state("counts").tolist() == [1, 1, 1]


def test_padding_value_is_an_ordinary_key():
    layer = DynamicLookup(5, ["unk", "b", "c", "d", "e"])     # tf.keras's table goes out of step and fails
    layer(keys([["b", "q"]]))
    assert layer._state("keys").tolist() == ["unk", "b", "c", "d", "e", "q"]
    assert layer._state("counts").tolist() == [0, 1, 0, 0, 0, 1]
    assert layer(keys(["unk"]), learn_vocab=False).numpy().tolist() == [0]


def test_random_initial_vocabulary_repeats_with_the_seed():
    keras.utils.set_random_seed(3)
    a = DynamicLookup(6, "string").get_vocabulary()
    keras.utils.set_random_seed(3)
    b = DynamicEmbedding(6, 2, "string").get_vocabulary()
    assert a.tolist() == b.tolist() and all(len(k) == 10 and k.isalpha() for k in a)
    ints = DynamicLookup(6, np.int32).get_vocabulary()
    assert ints.dtype == np.int32 and ints.min() >= 0 and ints.max() < 6
    # the config holds the drawn keys, so a rebuilt layer has the same vocabulary
    clone = DynamicLookup.from_config(DynamicLookup(4, "int64").get_config())
    assert clone.get_vocabulary().dtype == np.int64


# -- configs and files ------------------------------------------------------------------------------------------

def test_config_round_trip_keeps_the_learned_string_vocabulary():
    layer = DynamicEmbedding(3, 2, ["a", "b", "c"], embedding_initializer="zeros")
    fresh = layer.get_config()
    assert set(fresh) >= {"input_dim", "output_dim", "initial_vocabulary", "eviction_policy", "input_length",
                          "embedding_initializer", "num_oov_indices"}
    assert "vocabulary" not in fresh and fresh["input_dim"] == 3
    layer(keys([["x", "y"], ["x", "a"]]))
    layer.update_embeddings()
    config = json.loads(json.dumps(layer.get_config()))
    clone = DynamicEmbedding.from_config(config)
    assert clone.get_vocabulary().tolist() == layer.get_vocabulary().tolist()
    assert clone.dynamic_lookup_layer._state("keys").tolist() == layer.dynamic_lookup_layer._state("keys").tolist()
    assert clone.dynamic_lookup_layer._state("counts").tolist() == \
        layer.dynamic_lookup_layer._state("counts").tolist()
    assert clone.get_config() == config


def test_reads_the_config_tf_keras_writes():
    # tf.keras writes input_dim + num_oov_indices and the keys as bytes (in .keras files as __bytes__ objects)
    config = {"name": "dynamic_embedding", "trainable": True, "dtype": "float32", "input_dim": 5, "output_dim": 2,
              "input_length": None, "eviction_policy": "LFU",
              "initial_vocabulary": [b"a", {"class_name": "__bytes__", "config": {"value": "b"}}, b"c", b"d"],
              "embedding_initializer": "uniform", "num_oov_indices": 1}
    layer = keras.layers.deserialize({"class_name": "DynamicEmbedding", "config": config})
    assert layer.get_vocabulary().tolist() == ["a", "b", "c", "d"]
    assert layer.get_config()["input_dim"] == 4
    lookup = keras.layers.deserialize({"class_name": "DynamicLookup", "config": {
        "name": "dl", "vocabulary_size": 2, "initial_vocabulary": [b"p", b"q"], "eviction_policy": "LFU"}})
    assert lookup(keys(["q", "r"])).numpy().tolist() == [1, 2]


def test_loads_the_int_keyed_files_tf_keras_writes():
    ref = REF["int_files"]
    expected = list(ref["weights"].values())
    model = keras.models.load_model(os.path.join(FIXTURES, "int_vocab_model.h5"), compile=False)
    emb = model.get_layer("dynamic_embedding")
    assert isinstance(emb, DynamicEmbedding)
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(model(np.array(ref["x"])).numpy(), ref["output"], rtol=1e-5)
    inputs = keras.Input((3,), dtype="int64")
    emb = DynamicEmbedding(4, 2, np.array([1, 2, 3, 4], "int64"), name="dynamic_embedding")
    fresh = keras.Model(inputs, keras.layers.Dense(1, name="dense")(keras.layers.Flatten()(emb(inputs))))
    fresh.load_weights(os.path.join(FIXTURES, "int_vocab_weights.h5"))
    assert emb.get_vocabulary().tolist() == ref["weights"]["dynamic_embedding/vocabulary:0"]
    assert emb.dynamic_lookup_layer._state("keys").tolist() == ref["weights"]["vocabulary_table_keys:0"]
    np.testing.assert_allclose(fresh(np.array(ref["x"])).numpy(), ref["output"], rtol=1e-5)


@pytest.mark.parametrize("vocab", [["a", "b", "c", "d"], [1, 2, 3, 4]], ids=["string", "int"])
@pytest.mark.parametrize("ext", ["h5", "keras", "folder"])
def test_saved_models_keep_the_learned_vocabulary(tmp_path, vocab, ext):
    string = isinstance(vocab[0], str)
    x = keys([["a", "x", "y"], ["x", "y", "b"], ["x", "q", "r"]]) if string else \
        np.array([[1, 7, 8], [7, 8, 2], [7, 9, 10]])
    inputs = keras.Input((3,), dtype="string" if string else "int64")
    emb = DynamicEmbedding(4, 2, vocab)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(emb(inputs))))
    model.compile("adam", "mse")
    model.fit(x, np.zeros((3, 1)), verbose=0)
    emb.update_embeddings()
    lookup = emb.dynamic_lookup_layer
    state = (emb.get_vocabulary().tolist(), lookup._state("keys").tolist(), lookup._state("counts").tolist())
    assert state[0] != vocab
    path = str(tmp_path / ("model" if ext == "folder" else f"model.{ext}"))
    with pytest.warns(UserWarning) if ext == "folder" else _nothing():
        model.save(path)
    loaded = keras.models.load_model(path)
    emb2 = [la for la in loaded.layers if isinstance(la, DynamicEmbedding)][0]
    lookup2 = emb2.dynamic_lookup_layer
    assert (emb2.get_vocabulary().tolist(), lookup2._state("keys").tolist(),
            lookup2._state("counts").tolist()) == state
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_save_weights_carries_an_int_vocabulary(tmp_path):
    def build():
        inputs = keras.Input((2,), dtype="int64")
        emb = DynamicEmbedding(3, 2, np.array([1, 2, 3]), name="dynamic_embedding")
        return keras.Model(inputs, keras.layers.Flatten()(emb(inputs))), emb

    model, emb = build()
    model(np.array([[5, 6], [5, 1]]))
    emb.update_embeddings()
    model.save_weights(str(tmp_path / "w.h5"))
    other, emb2 = build()
    other.load_weights(str(tmp_path / "w.h5"))
    assert emb2.get_vocabulary().tolist() == emb.get_vocabulary().tolist() == [5, 6, 3]


# -- the timer and the fit loop ---------------------------------------------------------------------------------

def _small_model():
    inputs = keras.Input((2,), dtype="string")
    emb = DynamicEmbedding(3, 2, ["a", "b", "c"])
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(emb(inputs))))
    model.compile("sgd", "mse")
    return model, emb


def test_timer_ticks_update_only_at_batch_ends_on_the_fit_thread():
    model, emb = _small_model()
    where = []
    original = emb.update_embeddings

    def recording(strategy=None):
        where.append((threading.current_thread(), phase["now"]))
        original(strategy)

    emb.update_embeddings = recording
    phase = {"now": "idle"}

    class Phase(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            phase["now"] = "step"
            time.sleep(0.003)                        # leave the timer time to tick during steps

        def on_train_batch_end(self, batch, logs=None):
            phase["now"] = "batch end"

    callback = UpdateEmbeddingCallback(emb, interval=0.001)
    x = keys([["a", "x"], ["y", "z"], ["x", "q"], ["q", "r"]] * 4)
    with callback:
        time.sleep(0.02)                             # ticks before fit: due, not carried out
        assert where == [] and callback.updates == 0
        model.fit(x, np.zeros((16, 1)), batch_size=2, epochs=2, verbose=0, callbacks=[Phase(), callback])
    assert not callback.is_alive() or callback.thread_stop_event.is_set()
    assert callback.updates == len(where) >= 2
    assert all(thread is threading.main_thread() and at == "batch end" for thread, at in where)


def test_without_a_started_thread_nothing_updates():
    model, emb = _small_model()
    callback = UpdateEmbeddingCallback(emb, interval=0.001)
    model.fit(keys([["x", "y"]] * 4), np.zeros((4, 1)), batch_size=1, verbose=0, callbacks=[callback])
    assert callback.updates == 0 and emb.get_vocabulary().tolist() == ["a", "b", "c"]


def test_refuses_a_multi_worker_fit():
    model, emb = _small_model()

    class TwoWorkers:
        class comm:
            size = 2

    model._data_parallel = lambda: TwoWorkers()
    callback = UpdateEmbeddingCallback(emb, interval=60)
    callback.set_model(model)
    with pytest.raises(ValueError, match="multi-worker"):
        callback.on_train_begin()


@pytest.mark.parametrize("name", ["kerasfront.layers.experimental.dynamic_lookup",
                                  "kerasfront.layers.experimental.dynamic_embedding"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), extraglobs={"np": np, "kerasfront": keras},
                             report=False, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 5, result


# -- errors ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"vocabulary_size": 0, "initial_vocabulary": ["a"]}, "vocabulary_size"),
    ({"vocabulary_size": 2, "initial_vocabulary": ["a"]}, "must hold vocabulary_size=2"),
    ({"vocabulary_size": 1, "initial_vocabulary": ["a"], "eviction_policy": "LRU"}, "LRU"),
    ({"vocabulary_size": 2, "initial_vocabulary": "float32"}, "initial_vocabulary"),
    ({"vocabulary_size": 2, "initial_vocabulary": np.array([0.5, 1.5])}, "initial_vocabulary"),
    ({"vocabulary_size": 2, "initial_vocabulary": [["a", "b"]]}, "1-D"),
])
def test_lookup_arguments_are_checked(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DynamicLookup(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"input_dim": 0}, "input_dim"), ({"num_oov_indices": 0}, "num_oov_indices"),
    ({"embedding_initializer": "no_such"}, "embedding_initializer"), ({"output_dim": -1}, "output_dim"),
])
def test_embedding_arguments_are_checked(kwargs, match):
    args = dict({"input_dim": 2, "output_dim": 2, "initial_vocabulary": ["a", "b"]}, **kwargs)
    with pytest.raises(ValueError, match=match):
        DynamicEmbedding(**args)


def test_mismatched_keys_and_unbuilt_updates_are_errors_that_change_nothing():
    layer = DynamicLookup(2, np.array([1, 2]))
    with pytest.raises(TypeError, match="int64 integers, but `inputs` holds strings"):
        layer(keys(["a"]))
    assert layer._state("counts").tolist() == [0, 0]
    with pytest.raises(TypeError, match="holds strings"):
        DynamicLookup(2, ["a", "b"])(np.array([1, 2]))
    with pytest.raises(ValueError, match="needs the layer built"):
        DynamicEmbedding(2, 2, ["a", "b"]).update_embeddings()
    with pytest.raises(TypeError, match="DynamicEmbedding"):
        UpdateEmbeddingCallback(keras.layers.Embedding(3, 2), interval=1)
    with pytest.raises(ValueError, match="interval"):
        UpdateEmbeddingCallback(DynamicEmbedding(2, 2, ["a", "b"]), interval=0)
