"""Make the DynamicLookup / DynamicEmbedding / UpdateEmbeddingCallback reference from tf_keras 2.21: the
deterministic parts of their behaviour (what each call returns, the frequency table after it, the vocabulary
after an update, the embedding rows an update keeps, and a short fit with updates at chosen batches).

Run with a Python that has tensorflow-cpu and tf_keras (never the project's environment):
    TF_USE_LEGACY_KERAS=1 /work/tfenv/bin/python tools/make_dynamic_embedding_fixtures.py \
        tests/fixtures/dynamic_embedding

It writes OUT_DIR/reference.json:
  lookups: [{name, vocabulary_size, initial_vocabulary, dtype, steps: [{inputs, learn_vocab, outputs,
      table_keys, table_values, vocabulary, top: {k: keys}}]}] (DynamicLookup calls, one after another);
  embeddings: [{name, input_dim, output_dim, initial_vocabulary, embedding_initializer, embeddings (set before),
      steps: [{inputs, outputs} | {update: true, vocabulary, embeddings, table_keys, table_values}]}]
      (an update's "embeddings" is the whole matrix only with the "zeros" initializer; with "uniform" the rows
      of new keys and the out-of-vocabulary row are random, and "kept_rows" lists the deterministic ones);
  fit: {x, y, initial_weights, batch_size, learning_rate, update_after_batches, history, weights,
      vocabulary, table_keys, table_values, optimizer_variables, predict, table_after_predict};
  int_files: {x, weights (by name), output}: the state of the integer-keyed model tf.keras
      wrote to OUT_DIR/int_vocab_weights.h5 (save_weights) and OUT_DIR/int_vocab_model.h5 (model.save); the
      last output is a call after those files were written (it learns x once more).
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras.callbacks.experimental import UpdateEmbeddingCallback  # noqa: E402
from tf_keras.layers.experimental import DynamicEmbedding, DynamicLookup  # noqa: E402


def py(value):
    """A tensor / array as JSON-able nested lists (bytes decoded)."""
    arr = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    if arr.dtype.kind in "SO":
        return np.vectorize(lambda b: b.decode("utf-8") if isinstance(b, bytes) else b, otypes=[object])(
            arr).tolist()
    return arr.tolist()


def table(layer):
    return {"table_keys": py(layer.vocabulary_table_keys), "table_values": py(layer.vocabulary_table_values),
            "vocabulary": py(layer.vocabulary)}


def lookup_case(name, vocabulary_size, initial, dtype, batches, top_ks=(2, 5, 50)):
    layer = DynamicLookup(vocabulary_size, tf.constant(initial, dtype=dtype))
    steps = []
    for batch, learn in batches:
        out = layer(tf.constant(batch, dtype=dtype), learn_vocab=learn)
        step = {"inputs": batch, "learn_vocab": learn, "outputs": py(out)}
        step.update(table(layer))
        step["top"] = {str(k): py(layer.get_top_vocabulary(k)) for k in top_ks}
        steps.append(step)
    return {"name": name, "vocabulary_size": vocabulary_size, "initial_vocabulary": initial, "dtype": dtype,
            "steps": steps}


def embedding_case(name, input_dim, output_dim, initial, initializer, program):
    layer = DynamicEmbedding(input_dim, output_dim, tf.constant(initial), embedding_initializer=initializer)
    # NOTE: a first call (learning nothing) builds it: tf.keras's DynamicEmbedding.build leaves `built` False, so
    # a matrix assigned after build(None) would be replaced by the first call's second build
    layer(tf.constant([initial[0]]), learn_vocab=False)
    start = np.arange((input_dim + 1) * output_dim, dtype="float32").reshape(input_dim + 1, output_dim) / 10
    layer.embedding_layer.embeddings.assign(start)
    steps = []
    for item in program:
        if item == "update":
            old_vocab = py(layer.dynamic_lookup_layer.vocabulary)
            old = layer.embedding_layer.embeddings.numpy()
            layer.update_embeddings(tf.distribute.get_strategy())
            new_vocab = py(layer.dynamic_lookup_layer.vocabulary)
            new = layer.embedding_layer.embeddings.numpy()
            kept = [i for i, key in enumerate(new_vocab) if key in old_vocab]
            for i in kept:   # the rows the fixture promises: the old row of the key (its last one, if repeated)
                j = len(old_vocab) - 1 - old_vocab[::-1].index(new_vocab[i])
                assert np.array_equal(new[i], old[j])
            step = {"update": True, "kept_rows": kept,
                    "embeddings": new.tolist() if initializer == "zeros" else None,
                    "table_keys": py(layer.dynamic_lookup_layer.vocabulary_table_keys),
                    "table_values": py(layer.dynamic_lookup_layer.vocabulary_table_values)}
            step["vocabulary"] = new_vocab
            step["kept_values"] = new[kept].tolist()
            steps.append(step)
            # continue from a known matrix: tf.keras's random rows replaced by a deterministic pattern
            if initializer != "zeros":
                fixed = new.copy()
                fresh = [i for i in range(len(new)) if i not in kept]
                fixed[fresh] = -np.arange(len(fresh) * output_dim, dtype="float32").reshape(len(fresh), -1) / 10
                layer.embedding_layer.embeddings.assign(fixed)
                step["replaced_rows"] = {str(i): fixed[i].tolist() for i in fresh}
        else:
            out = layer(tf.constant(item))
            steps.append({"inputs": item, "outputs": py(out)})
    return {"name": name, "input_dim": input_dim, "output_dim": output_dim, "initial_vocabulary": initial,
            "embedding_initializer": initializer, "embeddings": start.tolist(), "steps": steps}


def fit_case():
    keras.utils.set_random_seed(0)
    vocab = ["a", "b", "c", "d"]
    x = np.array([["a", "j", "c"], ["a", "h", "i"], ["i", "h", "c"], ["j", "e", "h"], ["b", "h", "j"],
                  ["e", "i", "a"], ["h", "j", "i"], ["c", "d", "h"]])
    y = np.array([0, 1, 2, 1, 0, 2, 1, 0])
    inputs = keras.Input((3,), dtype="string")
    emb = DynamicEmbedding(4, 2, tf.constant(vocab), input_length=3, embedding_initializer="zeros",
                           name="dynamic_embedding")
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(emb(inputs)))
    model = keras.Model(inputs, out)
    construction_table = table(emb.dynamic_lookup_layer)
    rng = np.random.default_rng(3)
    initial = [rng.normal(scale=0.5, size=w.shape).astype("float32") if w.dtype.is_floating else w.numpy()
               for w in model.weights]
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    callback = UpdateEmbeddingCallback(emb, interval=3600)      # its thread is never started
    update_after = [1, 5]                                         # global batch indices (4 batches an epoch)
    seen = {"n": 0}

    def on_batch_end(batch, logs=None):
        if seen["n"] in update_after:
            callback.on_interval()
        seen["n"] += 1

    hooks = keras.callbacks.LambdaCallback(on_train_batch_end=on_batch_end)
    history = model.fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0, callbacks=[callback, hooks])
    result = {"x": x.tolist(), "y": y.tolist(), "initial_vocabulary": vocab, "batch_size": 2, "epochs": 3,
              "learning_rate": 0.05, "update_after_batches": update_after,
              "construction_table": construction_table,
              "initial_weights": [py(w) for w in initial],
              "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
              "weights": [py(w) for w in model.weights],
              "optimizer_variables": {v.name: py(v) for v in model.optimizer.variables()}}
    result.update(table(emb.dynamic_lookup_layer))
    result["predict"] = model.predict(x[:3], verbose=0).tolist()
    result["table_after_predict"] = table(emb.dynamic_lookup_layer)
    return result


def int_files_case(out_dir):
    """An integer-keyed model written by tf.keras (string keys cannot be written to .h5 by tf.keras): its weights
    file and its model file (which tf.keras itself cannot load back: its from_config refuses the list it wrote)."""
    inputs = keras.Input((3,), dtype="int64")
    emb = DynamicEmbedding(4, 2, tf.constant([10, 20, 30, 40], dtype=tf.int64), name="dynamic_embedding")
    out = keras.layers.Dense(1, name="dense")(keras.layers.Flatten()(emb(inputs)))
    model = keras.Model(inputs, out)
    rng = np.random.default_rng(5)
    emb.embedding_layer.embeddings.assign(rng.normal(size=(5, 2)).astype("float32"))
    x = np.array([[10, 50, 60], [50, 60, 20], [70, 50, 10]], dtype="int64")
    model.predict(x, verbose=0)                     # learns 50, 60, 70 into the table
    model.save_weights(os.path.join(out_dir, "int_vocab_weights.h5"))
    model.save(os.path.join(out_dir, "int_vocab_model.h5"))
    return {"x": x.tolist(), "weights": {w.name: py(w) for w in model.weights},
            "output": py(model(tf.constant(x), training=False))}


def main(out_dir):
    s = [["a", "x"], ["b", "a"]]
    lookups = [
        lookup_case("string_lfu", 5, ["a", "b", "c", "d", "e"], "string", [
            (s, True), ([["x", "y", "z"], ["a", "a", "q"]], True), ([["b", "b"], ["x", "c"]], True),
            ([["w", "v"], ["u", "t"]], True), ([["x", "y"], ["q", "z"]], False), ([["x", "Zb"], ["é", "t"]], True),
            ([["a", "b", "c", "d", "e"]], True)]),
        lookup_case("int32_lfu", 4, [5, 3, 9, 1], "int32", [
            ([[7, 2], [11, 3]], True), ([3, 3, 9, 7], True), ([[1, 2, 100]], True), ([[-5, 7], [2, 2]], True),
            (7, True), ([[0, 1], [2, 3]], True)]),
        lookup_case("int64_repeats", 6, [4, 4, 1, 2, 3, 8], "int64", [
            ([[4, 8], [1, 9]], True), ([[9, 10, 11], [12, 4, 8]], True), ([[13, 14], [15, 16]], True)]),
    ]
    embeddings = [
        embedding_case("zeros_init", 4, 3, ["a", "b", "c", "d"], "zeros", [
            [["a", "x"], ["b", "a"]], [["x", "y"], ["z", "x"]], "update", [["a", "x", "y", "b"]],
            [["y", "y"], ["k", "l"]], "update", [["x", "y", "k", "z"]]]),
        embedding_case("uniform_init", 5, 2, ["p", "q", "r", "s", "t"], "uniform", [
            [["p", "u"], ["v", "w"]], "update", [["p", "u", "q"]], [["u", "u", "v"]], "update",
            [["p", "q", "r", "s", "t", "u", "v", "w"]]]),
    ]
    os.makedirs(out_dir, exist_ok=True)
    reference = {"tf_keras_version": keras.__version__, "lookups": lookups, "embeddings": embeddings,
                 "fit": fit_case(), "int_files": int_files_case(out_dir)}
    path = os.path.join(out_dir, "reference.json")
    with open(path, "w") as f:
        json.dump(reference, f, indent=None, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "dynamic_embedding"))
