"""LocallyConnected1D / 2D in the three implementations: tf.keras's weight layouts, the shared layer test, every
implementation against a plain dense-matrix reference built from its own kernel, and argument errors.
(Numbers against real tf.keras, channels_first included: test_reference_layers3d.py.)"""
import itertools

import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.kerasfront.layer_test_utils import layer_test

RNG = np.random.default_rng(17)


def _out_len(n, k, s, padding):
    return -(-n // s) if padding == "same" else (n - k) // s + 1


def _reads(spatial, kernel, strides, padding):
    """{output position: [input positions]}, by tf.keras's documented rule: a window of k read from the
    position times the stride ('valid'), or centred k // 2 before it ('same'), cut at the borders."""
    out = [_out_len(n, k, s, padding) for n, k, s in zip(spatial, kernel, strides)]
    table = {}
    for pos in itertools.product(*map(range, out)):
        axes = []
        for p, n, k, s in zip(pos, spatial, kernel, strides):
            start = p * s - (0 if padding == "valid" else k // 2)
            axes.append([i for i in range(start, start + k) if 0 <= i < n])
        table[pos] = list(itertools.product(*axes))
    return table, tuple(out)


def _dense_reference(layer, x):
    """The layer as one dense (inputs, outputs) matrix W built from its kernel, then x @ W (channels_last)."""
    spatial, c = x.shape[1:-1], x.shape[-1]
    f = layer.filters
    table, out = _reads(spatial, layer.kernel_size, layer.strides, layer.padding)
    kernel = layer.kernel.numpy()
    w = np.zeros(spatial + (c,) + out + (f,))
    pairs = []
    for p, (pos, cells) in enumerate(table.items()):
        for k, (q, ch) in enumerate((q, ch) for q in cells for ch in range(c)):
            if layer.implementation == 1:
                w[q + (ch,) + pos] = kernel[p, k]
            elif layer.implementation == 2:
                w[q + (ch,) + pos] = kernel[q + (ch,) + pos]
            else:
                for fi in range(f):
                    pairs.append((np.ravel_multi_index(pos + (fi,), out + (f,)),
                                  np.ravel_multi_index(q + (ch,), spatial + (c,)), q + (ch,) + pos + (fi,)))
    for j, (_, _, where) in enumerate(sorted(pairs)):
        w[where] = kernel[j]
    y = x.reshape(len(x), -1) @ w.reshape(x[0].size, -1)
    return y.reshape((len(x),) + out + (f,)) + layer.bias.numpy()


_GEOMETRIES = [(1, 3, 1, "valid"), (1, 2, 2, "valid"), (1, 4, 3, "same"), (2, (2, 3), (1, 2), "valid"),
               (2, 3, 2, "same"), (2, (2, 2), 1, "same")]


@pytest.mark.parametrize("implementation,rank,kernel,strides,padding",
                         [(i,) + g for i in (1, 2, 3) for g in _GEOMETRIES if i > 1 or g[3] == "valid"])
def test_every_implementation_is_its_dense_connection_matrix(implementation, rank, kernel, strides, padding):
    cls = layers.LocallyConnected1D if rank == 1 else layers.LocallyConnected2D
    layer = cls(2, kernel, strides=strides, padding=padding, implementation=implementation,
                bias_initializer="random_normal")
    x = RNG.standard_normal((3, 7, 3) if rank == 1 else (3, 5, 6, 2))
    y = layer(x.astype("float32")).numpy()
    np.testing.assert_allclose(y, _dense_reference(layer, x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("implementation,kernel_shape", [(1, (4, 9, 2)), (2, (6, 3, 4, 2)), (3, (72,))])
def test_weight_layouts_are_tf_keras(implementation, kernel_shape):
    layer = layers.LocallyConnected1D(2, 3, implementation=implementation)
    layer(np.zeros((1, 6, 3), "float32"))
    assert [tuple(w.shape) for w in layer.weights] == [kernel_shape, (4, 2)]
    layer2 = layers.LocallyConnected2D(2, 3, implementation=implementation, data_format="channels_first")
    layer2(np.zeros((1, 3, 5, 6), "float32"))
    shapes2 = {1: (12, 27, 2), 2: (3, 5, 6, 2, 3, 4), 3: (648,)}
    assert [tuple(w.shape) for w in layer2.weights] == [shapes2[implementation], (3, 4, 2)]


@pytest.mark.parametrize("implementation", [1, 2, 3])
def test_shared_layer_test(implementation):
    same = "valid" if implementation == 1 else "same"
    layer_test(layers.LocallyConnected1D, {"filters": 2, "kernel_size": 2, "implementation": implementation,
                                           "bias_initializer": "random_normal"},
               input_shape=(2, 5, 3), expected_output_shape=(None, 4, 2))
    layer_test(layers.LocallyConnected2D, {"filters": 2, "kernel_size": 2, "implementation": implementation,
                                           "padding": same, "activation": "tanh"},
               input_shape=(2, 4, 3, 2),
               expected_output_shape=(None, 3, 2, 2) if same == "valid" else (None, 4, 3, 2))
    layer_test(layers.LocallyConnected2D, {"filters": 2, "kernel_size": (2, 1), "implementation": implementation,
                                           "data_format": "channels_first", "use_bias": False},
               input_shape=(2, 2, 3, 3), expected_output_shape=(None, 2, 2, 3))


def test_trains_and_round_trips_through_h5(tmp_path):
    model = keras.Sequential([
        layers.LocallyConnected2D(3, 2, input_shape=(4, 4, 1)),
        layers.LocallyConnected2D(2, 2, padding="same", implementation=2),
        layers.LocallyConnected2D(1, 2, implementation=3),
        layers.Flatten(),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    x, y = RNG.standard_normal((8, 4, 4, 1)).astype("float32"), RNG.standard_normal((8, 1)).astype("float32")
    history = model.fit(x, y, epochs=4, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "lc.h5")
    back = keras.models.load_model(tmp_path / "lc.h5")
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.LocallyConnected1D(2, 3, padding="same"), r"only \"valid\" is supported if implementation is 1"),
    (lambda: layers.LocallyConnected2D(2, 3, implementation=4), r"implementation"),
    (lambda: layers.LocallyConnected2D(2, 3, padding="causal", implementation=2), r"padding"),
    (lambda: layers.LocallyConnected1D(0, 3), r"filters"),
    (lambda: layers.LocallyConnected2D(2, (3, 3, 3)), r"kernel_size"),
    (lambda: layers.LocallyConnected2D(2, 3, strides=0), r"strides"),
    (lambda: layers.LocallyConnected1D(2, 3, data_format="NWC"), r"data_format"),
    (lambda: layers.LocallyConnected2D(2, 3, use_bias="no"), r"`use_bias` must be True or False"),   # was bool("no")
    (lambda: layers.LocallyConnected1D(2, 3, bias_initializer="nope"), r"`bias_initializer`='nope': Unknown"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_input_shapes_it_cannot_take():
    with pytest.raises(ValueError, match=r"fully defined"):
        layers.LocallyConnected1D(2, 3)(keras.Input((None, 3)))
    with pytest.raises(ValueError, match=r"output is <= 0"):
        layers.LocallyConnected2D(2, 4)(keras.Input((3, 5, 1)))
    layer = layers.LocallyConnected1D(2, 3)
    layer(np.zeros((1, 6, 3), "float32"))
    with pytest.raises(ValueError, match=r"axis -1|incompatible"):
        layer(np.zeros((1, 6, 4), "float32"))
