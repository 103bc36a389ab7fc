"""kerasfront.utils.Dataset: the tf.data-like methods tf.keras programs call (map, batch, unbatch, shuffle,
take, skip, repeat, cache, prefetch, shard, cardinality), and fit/evaluate/predict taking Datasets."""
import numpy as np
import pytest

import kerasfront as keras
from kerasfront.utils import AUTOTUNE, Dataset


def ints(ds):
    return [int(v) for v in ds.as_numpy_iterator()]


def test_from_tensor_slices_structures():
    ds = Dataset.from_tensor_slices({"a": np.arange(3), "b": np.ones((3, 2))})
    first = next(ds.as_numpy_iterator())
    assert set(first) == {"a", "b"} and first["b"].shape == (2,)
    pairs = list(Dataset.from_tensor_slices((np.arange(2), np.arange(2) * 2)).as_numpy_iterator())
    assert [(int(a), int(b)) for a, b in pairs] == [(0, 0), (1, 2)]
    as_list = list(Dataset.from_tensor_slices([[1, 2], [3, 4]]).as_numpy_iterator())
    assert [a.tolist() for a in as_list] == [[1, 2], [3, 4]]       # a list is one array, as in tf.data
    with pytest.raises(ValueError, match="first dimensions"):
        Dataset.from_tensor_slices((np.arange(3), np.arange(4)))
    with pytest.raises(ValueError, match="scalar"):
        Dataset.from_tensor_slices(np.float32(1.0))


def test_batch_unbatch_padded_batch():
    ds = Dataset.from_tensor_slices(np.arange(7))
    assert [b.tolist() for b in ds.batch(3).as_numpy_iterator()] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in ds.batch(3, drop_remainder=True).as_numpy_iterator()] == [[0, 1, 2], [3, 4, 5]]
    assert int(ds.batch(3).cardinality()) == 3 and int(ds.batch(3, drop_remainder=True).cardinality()) == 2
    assert ints(ds.batch(3).unbatch()) == list(range(7))
    ragged = ds.take(3).map(lambda n: np.full(int(n) + 1, int(n)))
    with pytest.raises(ValueError, match="padded_batch"):
        list(ragged.batch(3).as_numpy_iterator())
    padded = next(ragged.padded_batch(3, padding_values=-1).as_numpy_iterator())
    assert padded.tolist() == [[0, -1, -1], [1, 1, -1], [2, 2, 2]]
    wide = next(ragged.padded_batch(3, padded_shapes=[5]).as_numpy_iterator())
    assert wide.shape == (3, 5)


def test_map_filter_take_skip_repeat_shard():
    ds = Dataset.from_tensor_slices((np.arange(6), np.arange(6) * 10))
    mapped = ds.map(lambda x, y: (x + y, y), num_parallel_calls=AUTOTUNE)
    assert [int(a) for a, _ in mapped.as_numpy_iterator()] == [0, 11, 22, 33, 44, 55]
    single = Dataset.from_tensor_slices(np.arange(6))
    assert ints(single.filter(lambda v: v % 2 == 1)) == [1, 3, 5]
    assert int(single.filter(lambda v: v > 2).cardinality()) == -2
    assert ints(single.take(2)) == [0, 1] and ints(single.skip(4)) == [4, 5]
    assert ints(single.take(-1)) == list(range(6)) and ints(single.skip(-1)) == []
    assert ints(single.repeat(2)) == list(range(6)) * 2
    forever = single.repeat()
    assert int(forever.cardinality()) == -1 and ints(forever.take(8)) == [0, 1, 2, 3, 4, 5, 0, 1]
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    assert ints(single.shard(4, 1)) == [1, 5] and int(single.shard(4, 1).cardinality()) == 2
    assert ints(single.filter(lambda v: True).shard(2, 0)) == [0, 2, 4]
    with pytest.raises(ValueError, match="index"):
        single.shard(2, 2)
    assert len(single) == 6 and int(single.cardinality()) == 6


def test_shard_by_batch_index_reads_only_its_own_elements():
    reads = []

    def load(i):
        reads.append(int(i))
        return i * 2
    ds = Dataset.from_tensor_slices(np.arange(10)).map(load).batch(2)
    shard = ds.shard(num_shards=3, index=1)
    assert [b.tolist() for b in shard.as_numpy_iterator()] == [[4, 6], [16, 18]]
    assert sorted(reads) == [2, 3, 8, 9]


def test_shuffle_buffer_seeded_reshuffled_each_epoch():
    ds = Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=4)
    first, second = ints(ds), ints(ds)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second and first != list(range(20))
    again = Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=4)
    assert ints(again) == first                # the same seed, the same sequence of orders
    fixed = Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=4, reshuffle_each_iteration=False)
    assert ints(fixed) == ints(fixed)
    local = ints(Dataset.from_tensor_slices(np.arange(100)).shuffle(2, seed=0))
    assert max(abs(v - i) for i, v in enumerate(local)) < 100      # a small buffer only moves elements a little
    assert all(v <= i + 2 for i, v in enumerate(local))


def test_cache_replays_the_first_pass():
    calls = []
    ds = Dataset.from_tensor_slices(np.arange(3)).map(lambda v: calls.append(1) or v).cache()
    assert ints(ds) == ints(ds) == [0, 1, 2]
    assert len(calls) == 3
    with pytest.raises(ValueError, match="memory"):
        ds.cache("file.cache")


def test_iteration_gives_numpy_like_tensors():
    ds = Dataset.from_tensor_slices((np.arange(4.0).reshape(2, 2), np.arange(2))).batch(2)
    x, y = next(iter(ds))
    assert x.numpy().tolist() == [[0.0, 1.0], [2.0, 3.0]] and type(x.numpy()) is np.ndarray
    assert ds.cardinality().numpy() == 1
    plain_x, _ = next(ds.as_numpy_iterator())
    assert type(plain_x) is np.ndarray


def _model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def test_fit_evaluate_predict_on_a_dataset_equal_the_arrays():
    rng = np.random.RandomState(0)
    x, y = rng.rand(20, 3).astype("float32"), rng.rand(20, 1).astype("float32")
    a, b = _model(), _model()
    h1 = a.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    h2 = b.fit(Dataset.from_tensor_slices((x, y)).batch(5), epochs=2, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-6)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)
    ds = Dataset.from_tensor_slices((x, y)).batch(8)
    np.testing.assert_allclose(b.evaluate(ds, verbose=0), b.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(b.predict(ds, verbose=0), b.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(b.predict(Dataset.from_tensor_slices(x).batch(7), verbose=0), b.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-7)


def test_fit_with_validation_dataset_sample_weights_and_steps():
    rng = np.random.RandomState(1)
    x, y, sw = rng.rand(12, 3), rng.rand(12, 1), rng.rand(12)
    model = _model()
    train = Dataset.from_tensor_slices((x, y, sw)).batch(4)
    history = model.fit(train, validation_data=Dataset.from_tensor_slices((x, y)).batch(6), epochs=2, verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    history = model.fit(train.repeat(), steps_per_epoch=2, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(train, steps_per_epoch=2, epochs=3, verbose=0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(y=np.zeros((4, 1))), "`y` argument is not supported"),
    (dict(batch_size=2), "batch_size"),
    (dict(validation_split=0.5), "validation_split"),
    (dict(sample_weight=np.ones(4)), "sample_weight"),
])
def test_fit_on_a_dataset_rejects_array_arguments(kwargs, match):
    ds = Dataset.from_tensor_slices((np.zeros((4, 3)), np.zeros((4, 1)))).batch(2)
    with pytest.raises(ValueError, match=match):
        _model().fit(ds, verbose=0, **kwargs)


def test_infinite_dataset_needs_steps():
    ds = Dataset.from_tensor_slices((np.zeros((4, 3)), np.zeros((4, 1)))).batch(2).repeat()
    with pytest.raises(ValueError, match="infinite dataset"):
        _model().fit(ds, verbose=0)
    with pytest.raises(ValueError, match="infinite dataset"):
        _model().predict(ds.map(lambda x, y: x), verbose=0)
    assert _model().predict(ds.map(lambda x, y: x), steps=3, verbose=0).shape == (6, 1)
