"""autograd.blas: plain products single-threaded below LARGE_WORK (0 unless set), the convolutions' products
(matmul_single) single-threaded, the thread count restored after, and the policy off when the user chose a
thread count."""
import os
import subprocess
import sys

import numpy as np
import pytest

from autograd import blas

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class FakeLibrary:
    """Stands in for the BLAS library's get/set thread-count functions and records every change."""

    def __init__(self, threads):
        self.threads = threads
        self.calls = []

    def get(self):
        return self.threads

    def set(self, n):
        self.calls.append(n)
        self.threads = n


@pytest.fixture
def fake(monkeypatch):
    lib = FakeLibrary(4)
    monkeypatch.setattr(blas, "_get", lib.get)
    monkeypatch.setattr(blas, "_set", lib.set)
    return lib


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 6)), ((4,), (4, 2)), ((2, 3), (3,)),
                                    ((5, 1, 3, 4), (2, 4, 2))])
def test_matmul_is_numpy_matmul(shapes, fake):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    np.testing.assert_array_equal(blas.matmul(a, b), np.matmul(a, b))
    out = np.empty(np.matmul(a, b).shape, np.float32)
    assert blas.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, np.matmul(a, b))


def test_plain_products_below_four_million_multiply_adds_run_single_threaded(fake, monkeypatch):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRAD_BLAS_LARGE_WORK"}
    out = subprocess.run([sys.executable, "-c", "from autograd import blas; print(blas.LARGE_WORK)"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(4 << 20)
    monkeypatch.setattr(blas, "LARGE_WORK", 4 << 20)
    blas.matmul(np.ones((128, 784), np.float32), np.ones((784, 256), np.float32))        # 25.7 M: library's
    blas.matmul(np.ones((32, 64, 128), np.float32), np.ones((128, 128), np.float32))     # a batch, 33.6 M in all
    assert fake.calls == []
    blas.matmul(np.ones((64, 1600), np.float32), np.ones((1600, 10), np.float32))        # 1 M: one thread
    assert fake.calls == [1, 4]
    blas.matmul_single(np.ones((128, 784), np.float32), np.ones((784, 256), np.float32))
    assert fake.calls == [1, 4, 1, 4]


@pytest.mark.parametrize("single", ["matmul_single", "matmul_below_large_work"])
def test_mid_sized_product_runs_single_threaded_and_restores(fake, monkeypatch, single):
    monkeypatch.setattr(blas, "LARGE_WORK", 256 << 20)
    product = blas.matmul_single if single == "matmul_single" else blas.matmul
    a, b = np.ones((128, 784), np.float32), np.ones((784, 256), np.float32)
    seen = []
    real = np.matmul

    def spy(*args, **kwargs):
        seen.append(fake.threads)
        return real(*args, **kwargs)

    blas.np.matmul = spy
    try:
        product(a, b)
    finally:
        blas.np.matmul = real
    assert seen == [1]
    assert fake.calls == [1, 4] and fake.threads == 4


def test_small_and_large_products_keep_the_library_threads(fake, monkeypatch):
    monkeypatch.setattr(blas, "LARGE_WORK", 256 << 20)
    blas.matmul(np.ones((8, 8)), np.ones((8, 8)))              # OpenBLAS runs it in one thread anyway
    blas.matmul_single(np.ones((8, 8)), np.ones((8, 8)))
    assert fake.calls == []
    m = int(round((blas.LARGE_WORK) ** (1 / 3))) + 1
    assert not blas.single_threaded_product(m, m, m)
    assert blas.single_threaded_product(128, 784, 256)


def test_thread_count_restored_when_the_product_fails(fake):
    with pytest.raises(ValueError):
        blas.matmul_single(np.ones((128, 700)), np.ones((784, 256)))
    assert fake.threads == 4


def test_single_threaded_context(fake):
    with blas.single_threaded():
        assert fake.threads == 1
    assert fake.threads == 4
    fake.threads = 1
    with blas.single_threaded():
        pass
    assert fake.calls == [1, 4]                                  # nothing to switch at one thread


def test_inactive_without_the_library(monkeypatch):
    monkeypatch.setattr(blas, "_get", None)
    monkeypatch.setattr(blas, "_set", None)
    assert not blas.active()
    with blas.single_threaded():
        np.testing.assert_array_equal(blas.matmul(np.eye(3), np.eye(3)), np.eye(3))


@pytest.mark.parametrize("env", [{"OPENBLAS_NUM_THREADS": "2"}, {"OMP_NUM_THREADS": "3"},
                                 {"AUTOGRAD_BLAS_POLICY": "0"}])
def test_user_thread_settings_turn_the_policy_off(env):
    full = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                                                             "OMP_NUM_THREADS", "AUTOGRAD_BLAS_POLICY")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", "from autograd import blas; print(blas.active())"], cwd=ROOT,
                         env=full, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not blas.active(), reason="numpy's BLAS is not a multithreaded OpenBLAS with thread-count "
                                              "functions here (or a thread count was set by the environment)")
def test_real_library_switches_and_restores():
    before = blas._get()
    with blas.single_threaded():
        assert blas._get() == 1
    assert blas._get() == before
    blas.matmul_single(np.ones((128, 784), np.float32), np.ones((784, 256), np.float32))
    assert blas._get() == before


def test_without_threadpoolctl_the_policy_and_the_parallel_pieces_are_off():
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                                                              "OMP_NUM_THREADS", "AUTOGRAD_BLAS_POLICY",
                                                              "AUTOGRAD_NUM_THREADS")}
    code = ("import sys; sys.modules['threadpoolctl'] = None\n"
            "from autograd import blas, parallel\n"
            "print(blas.active(), blas.controllable(), parallel.threads())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False", "1"]


def test_threadpoolctl_finds_the_library_numpy_uses():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    openblas = threadpoolctl.ThreadpoolController().select(internal_api="openblas").lib_controllers
    if not openblas:
        pytest.skip("numpy's BLAS here is not OpenBLAS")
    get, _ = blas._find_openblas()
    assert get is not None and get() == openblas[0].num_threads


def test_a_bad_large_work_setting_is_a_clear_error():
    env = dict(os.environ, AUTOGRAD_BLAS_LARGE_WORK="lots")
    out = subprocess.run([sys.executable, "-c", "import autograd"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "AUTOGRAD_BLAS_LARGE_WORK must be a whole number" in out.stderr and "'lots'" in out.stderr


def test_the_large_work_setting_is_read_from_the_environment():
    env = dict(os.environ, AUTOGRAD_BLAS_LARGE_WORK="1000000")
    out = subprocess.run([sys.executable, "-c", "from autograd import blas; print(blas.LARGE_WORK)"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1000000"


def test_products_right_after_a_parallel_region_run_single_threaded(fake, monkeypatch):
    import time
    monkeypatch.setattr(blas, "LARGE_WORK", 4 << 20)
    a, b = np.ones((128, 784), np.float32), np.ones((784, 256), np.float32)
    monkeypatch.setattr(blas, "_last_region", [time.monotonic()])
    blas.matmul(a, b)
    assert fake.calls == [1, 4]
    monkeypatch.setattr(blas, "_last_region", [time.monotonic() - 10 * blas.REGION_RECENT_SECONDS])
    blas.matmul(a, b)
    assert fake.calls == [1, 4]


def test_a_parallel_region_marks_its_end_for_the_policy(monkeypatch):
    from autograd import parallel
    monkeypatch.setattr(blas, "_last_region", [-1e9])
    monkeypatch.setattr(parallel, "_THREADS", 2)
    parallel.run(lambda s, e: e - s, [(0, 2), (2, 5)])
    assert blas._last_region[0] > 0


def test_the_quick_size_check_keeps_the_work_boundary(fake, monkeypatch):
    # a.size * b.size bounds a product's work: products under the library's own one-thread size skip the work count,
    # and just above that size the work count still decides
    monkeypatch.setattr(blas, "LARGE_WORK", 256 << 20)
    blas.matmul(np.ones((64, 64), np.float32), np.ones((64, 64), np.float32))      # 262 144 = the library's limit
    blas.matmul(np.ones((2, 512), np.float32), np.ones((512, 2), np.float32))      # sizes 1024 * 1024 > the limit
    assert fake.calls == []
    blas.matmul(np.ones((64, 64), np.float32), np.ones((64, 65), np.float32))      # 266 240 multiply-adds
    assert fake.calls == [1, 4]
    blas.matmul_single(np.ones((4, 64, 64), np.float32), np.ones((64, 2), np.float32))   # a batch: 32 768
    assert fake.calls == [1, 4]
