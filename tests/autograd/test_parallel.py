"""autograd.parallel: pieces run in threads at once, in a fixed split, and the ops that split their work give the
numbers of one piece (exactly where pieces write disjoint rows, within float32 rounding where they are summed)."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import parallel
from autograd.ops import nn as nn_ops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def threads(request, monkeypatch):
    """Run with ``request.param`` threads and pieces as small as one image."""
    before = parallel.threads()
    parallel.set_threads(request.param)
    monkeypatch.setattr(nn_ops, "_PIECE_BYTES", 1)
    yield request.param
    parallel.set_threads(before)


def test_split_is_fixed_and_covers_the_range():
    assert parallel.split(10, 1, parts=3) == [(0, 4), (4, 7), (7, 10)]
    assert parallel.split(10, 6, parts=3) == [(0, 10)]
    assert parallel.split(0, 1, parts=4) == [(0, 0)]
    for n in range(1, 30):
        ranges = parallel.split(n, 2, parts=4)
        assert ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(a < b and b == c for (a, b), (c, _) in zip(ranges, ranges[1:] + [(n, n)]))


@pytest.mark.parametrize("threads", [3], indirect=True)
def test_pieces_run_in_other_threads_at_once(threads):
    barrier = threading.Barrier(3, timeout=10)   # would time out if the pieces ran one after another
    names = parallel.run(lambda a, b: (barrier.wait(), threading.current_thread().name)[1], [(0, 1), (1, 2), (2, 3)])
    assert names[0] == threading.current_thread().name
    assert len(set(names)) == 3


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_an_error_in_a_worker_is_raised_after_every_piece_finished(threads):
    done = []

    def piece(a, b):
        if a:
            raise KeyError("piece 2")
        done.append(a)
        return a
    with pytest.raises(KeyError, match="piece 2"):
        parallel.run(piece, [(0, 1), (1, 2)])
    assert done == [0]
    assert parallel.run(lambda a, b: a + b, [(0, 1), (1, 2)]) == [1, 3]      # the workers still serve


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_a_region_inside_a_piece_runs_in_that_thread(threads):
    def outer(a, b):
        return parallel.run(lambda c, d: threading.current_thread().name, [(0, 1), (1, 2)])
    inner = parallel.run(outer, [(0, 1), (1, 2)])
    assert len(set(inner[1])) == 1                  # the worker's inner pieces ran in the worker


def test_set_threads_checks_its_argument():
    with pytest.raises(ValueError, match="positive int"):
        parallel.set_threads(0)


@pytest.mark.parametrize("env, expected", [({"AUTOGRAD_NUM_THREADS": "3"}, "3"), ({"OMP_NUM_THREADS": "1"}, "1"),
                                           ({"OPENBLAS_NUM_THREADS": "2"}, "2")])
def test_thread_count_from_the_environment(env, expected):
    full = {k: v for k, v in os.environ.items() if k not in ("AUTOGRAD_NUM_THREADS", "OMP_NUM_THREADS",
                                                             "OPENBLAS_NUM_THREADS")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", "from autograd import parallel; print(parallel.threads())"],
                         cwd=ROOT, env=full, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def _conv_step(x, k, b, gy, **kw):
    xt, kt, bt = (ag.tensor(a, requires_grad=True) for a in (x, k, b))
    y = ag.conv2d(xt, kt, bias=bt, **kw)
    y.backward(gy)
    return y.data, xt.grad.data, kt.grad.data, bt.grad.data


@pytest.mark.parametrize("threads", [1, 2, 3], indirect=True)
@pytest.mark.parametrize("channels, activation, padding", [(1, "relu", "valid"), (5, None, "same"),
                                                            (9, "relu", "valid")])
def test_convolution_split_over_the_batch_gives_one_pieces_numbers(threads, channels, activation, padding):
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((7, 9, 8, channels)).astype(np.float32)
    k = rng.standard_normal((3, 3, channels, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    out_shape = ag.conv2d(x, k, padding=padding).shape
    gy = rng.standard_normal(out_shape).astype(np.float32)
    got = _conv_step(x, k, b, gy, activation=activation, padding=padding)
    parallel.set_threads(1)
    want = _conv_step(x, k, b, gy, activation=activation, padding=padding)
    for g, w in zip(got[:2], want[:2]):
        np.testing.assert_array_equal(g, w)                  # disjoint rows: the same numbers
    for g, w in zip(got[2:], want[2:]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)   # summed pieces: float32 rounding


@pytest.mark.parametrize("threads", [1, 2, 3], indirect=True)
def test_tiling_max_pool_split_over_the_batch_gives_one_pieces_numbers(threads, monkeypatch):
    monkeypatch.setattr(nn_ops, "_CHUNK_BYTES", 200)
    rng = np.random.default_rng(6)
    x = np.maximum(rng.integers(-3, 3, (7, 6, 8, 3)), 0).astype(np.float32)
    x[3, 0, 0, 1] = np.nan
    gy = rng.standard_normal((7, 3, 4, 3)).astype(np.float32)

    def run():
        xt = ag.tensor(x, requires_grad=True)
        y = ag.max_pool2d(xt, 2)
        y.backward(gy)
        return y.data, xt.grad.data
    got = run()
    parallel.set_threads(1)
    for g, w in zip(got, run()):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("threads", [1, 3], indirect=True)
@pytest.mark.parametrize("channels", [3, 9])          # the column-major (few channels) and the row patches
@pytest.mark.parametrize("activation", [None, "relu6"])
def test_explicit_pads_equal_zero_padding_then_valid_exactly(threads, channels, activation):
    """Each piece pads its own images (conv patches, depthwise buffers): the same bits as ag.pad, then 'valid'."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 9, 8, channels)).astype(np.float32)
    pads = ((0, 1), (2, 1))
    xp = ag.pad(x, ((0, 0),) + pads + ((0, 0),))
    k = rng.standard_normal((3, 3, channels, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    with ag.no_grad():
        for bias, act in ((None, None), (b, activation)):
            np.testing.assert_array_equal(ag.conv2d(x, k, 2, pads, bias=bias, activation=act).data,
                                          ag.conv2d(xp, k, 2, "valid", bias=bias, activation=act).data)
        dk = rng.standard_normal((3, 3, channels, 1)).astype(np.float32)
        db = rng.standard_normal(channels).astype(np.float32)
        for bias, act in ((None, None), (db, activation)):
            np.testing.assert_array_equal(ag.depthwise_conv2d(x, dk, 2, pads, bias=bias, activation=act).data,
                                          ag.depthwise_conv2d(xp, dk, 2, "valid", bias=bias, activation=act).data)
