"""The benchmark harness without timing anything: the numpy lower bound computes the right numbers, the
workload data is fixed, --only parses, targets are judged right, and a tiny run writes RESULTS.md."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.join(REPO, "benchmarks"))     # numpy_reference and workloads by plain name

import numpy_reference as ref  # noqa: E402
import workloads  # noqa: E402
from benchmarks import report, run  # noqa: E402


def numerical_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


# -- the numpy lower bound --------------------------------------------------------------------------

def test_mlp_loss_matches_an_independent_formula():
    mlp = ref.MLP((5, 4, 3), seed=1, dtype=np.float64)
    rng = np.random.RandomState(0)
    x, y = rng.randn(6, 5), np.array([0, 1, 2, 2, 1, 0])
    w1, b1, w2, b2 = mlp.weights
    logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(6), y]))
    loss, _ = mlp.loss_and_grads(x, y)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_mlp_gradients_match_finite_differences():
    mlp = ref.MLP((5, 4, 4, 3), seed=2, dtype=np.float64)
    rng = np.random.RandomState(3)
    x, y = rng.randn(7, 5), rng.randint(0, 3, 7)
    _, grads = mlp.loss_and_grads(x, y)
    for w, g in zip(mlp.weights, grads):
        expected = numerical_grad(lambda: mlp.loss_and_grads(x, y)[0], w)
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-8)


def test_mlp_predict_is_forward_in_batches():
    mlp = ref.MLP((5, 4, 3), seed=1, dtype=np.float64)
    x = np.random.RandomState(0).randn(10, 5)
    w1, b1, w2, b2 = mlp.weights
    np.testing.assert_allclose(mlp.predict(x, batch_size=3), np.maximum(x @ w1 + b1, 0) @ w2 + b2)


def test_adam_two_steps_follow_the_keras_formula():
    p = np.array([1.0, -2.0])
    opt = ref.Adam([p], learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    g1, g2 = np.array([0.5, -1.0]), np.array([0.25, 2.0])
    m = v = np.zeros(2)
    expected = np.array([1.0, -2.0])
    for t, g in enumerate((g1, g2), start=1):
        opt.step([g])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = expected - 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(p, expected, rtol=1e-12)


def test_rmsprop_step_follows_the_keras_formula():
    p = np.array([1.0, -2.0])
    ref.RMSprop([p], learning_rate=0.01, rho=0.9, epsilon=1e-7).step([np.array([3.0, -4.0])])
    a = 0.1 * np.array([9.0, 16.0])
    np.testing.assert_allclose(p, np.array([1.0, -2.0]) - 0.01 * np.array([3.0, -4.0]) / (np.sqrt(a) + 1e-7))


def test_op_chain_value_and_gradient():
    rng = np.random.RandomState(0)
    x, c, d = rng.uniform(-1, 1, (3, 4)), rng.uniform(0.9, 1.1, (3, 4)), rng.uniform(-0.1, 0.1, (3, 4))
    value, grad = ref.ops_chain_value_and_grad(x, c, d, length=10)

    def direct():
        y = x
        for i in range(10):
            y = [lambda t: t * c, lambda t: t + d, np.tanh, np.exp][i % 4](y)
        return y.sum()
    assert value == pytest.approx(direct(), rel=1e-12)
    np.testing.assert_allclose(grad, numerical_grad(direct, x), rtol=1e-6, atol=1e-9)


def test_transformer_gradients_match_finite_differences():
    import numpy_reference_transformer as tref
    model = tref.TransformerClassifier(width=6, heads=2, ff=5, classes=3, seed=4, dtype=np.float64)
    rng = np.random.RandomState(5)
    for p in model.params:                       # away from the initial zeros and ones
        p += rng.uniform(-0.3, 0.3, p.shape)
    x, y = rng.randn(2, 4, 6), np.array([0, 2])
    _, grads = model.loss_and_grads(x, y)
    for w, g in zip(model.params, grads):
        expected = numerical_grad(lambda: model.loss_and_grads(x, y)[0], w)
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-8)


def test_transformer_matches_kerasfront_on_the_same_weights():
    """The numpy lower bound computes the very model the Keras-like systems build (keras_like.transformer_model)."""
    import numpy_reference_transformer as tref
    import kerasfront as keras
    from kerasfront import layers
    model = tref.TransformerClassifier(width=8, heads=2, ff=6, classes=3, seed=1, dtype=np.float64)
    rng = np.random.RandomState(2)
    for p in model.params:
        p += rng.uniform(-0.3, 0.3, p.shape)
    inp = keras.Input(shape=(5, 8), dtype="float64")
    attn = layers.MultiHeadAttention(2, 4, dtype="float64")(inp, inp)
    h = layers.LayerNormalization(dtype="float64")(layers.Add(dtype="float64")([inp, attn]))
    f = layers.Dense(8, dtype="float64")(layers.Dense(6, activation="relu", dtype="float64")(h))
    h = layers.LayerNormalization(dtype="float64")(layers.Add(dtype="float64")([h, f]))
    out = layers.Dense(3, dtype="float64")(layers.GlobalAveragePooling1D(dtype="float64")(h))
    kmodel = keras.Model(inp, out)
    m = model
    kmodel.set_weights([m.wq.reshape(8, 2, 4), m.bq.reshape(2, 4), m.wk.reshape(8, 2, 4), m.bk.reshape(2, 4),
                        m.wv.reshape(8, 2, 4), m.bv.reshape(2, 4), m.wo.reshape(2, 4, 8), m.bo, m.g1, m.b1, m.w1,
                        m.c1, m.w2, m.c2, m.g2, m.b2, m.wh, m.ch])
    x, y = rng.randn(3, 5, 8), np.array([0, 2, 1])
    loss, _ = model.loss_and_grads(x, y)
    logits = kmodel.predict(x, verbose=0)
    expected = np.mean(np.log(np.exp(logits).sum(1)) - logits[np.arange(3), y])
    assert loss == pytest.approx(expected, rel=1e-10)


# -- workload data ------------------------------------------------------------------------------------

def test_workload_data_is_float32_fixed_and_shaped():
    x, y = workloads.mlp_batches()[0]
    assert x.dtype == np.float32 and x.shape == (128, 784) and y.dtype == np.int64
    np.testing.assert_array_equal(x, workloads.mlp_batches()[0][0])
    cx, _ = workloads.cnn_batches()[0]
    lx, _ = workloads.lstm_batches()[0]
    tx, ty = workloads.transformer_batches()[0]
    assert cx.shape == (64, 28, 28, 1) and lx.shape == (64, 50, 32) and tx.shape == (32, 64, 128)
    assert tx.dtype == np.float32 and ty.dtype == np.int64
    assert not np.array_equal(workloads.mlp_batches()[0][0], workloads.mlp_batches()[1][0])


def test_transform_workloads_by_hand_agree_with_the_engine():
    """The numpy lower bound of the jvp and per-example gradient workloads computes what ag.jvp and
    ag.vmap(ag.grad) compute, and the Python loop of ag.grad gives the same gradients."""
    sys.path.append(os.path.join(REPO, "benchmarks", "systems"))
    import kerasfront_system as ours
    import numpy_system as by_hand
    assert float(ours.jvp().run()) == pytest.approx(float(by_hand.jvp().run()), rel=1e-4)
    batched, looped, expected = ours.vmap_grad().run(), ours.grad_loop().run(), by_hand.vmap_grad().run()
    assert [tuple(g.shape) for g in batched] == [e.shape for e in expected] and len(looped) == 32
    for k, (g, e) in enumerate(zip(batched, expected)):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(looped[5][k].numpy(), e[5], rtol=1e-4, atol=1e-5)


def test_chunked_draws_equal_one_draw():
    a = workloads._uniform_float32(np.random.RandomState(5), (50, 3), chunk_rows=7)
    b = np.random.RandomState(5).random_sample((50, 3)).astype(np.float32)
    np.testing.assert_array_equal(a, b)


# -- the runner ---------------------------------------------------------------------------------------

def test_only_splits_workloads_and_systems():
    assert run.select(["mlp,numpy", "tf"]) == (["mlp_step", "mlp_epoch"], ["numpy", "tf.keras"])
    assert run.select(["memory"]) == (["mlp_epoch"], list(run.SYSTEMS))
    assert run.select([]) == (list(workloads.WORKLOADS), list(run.SYSTEMS))
    with pytest.raises(ValueError, match="unknown name 'gpu'"):
        run.select(["gpu"])


def test_python_overrides_and_env(monkeypatch):
    monkeypatch.setenv("BENCH_PYTHON_TORCH", "/opt/torch/bin/python")
    monkeypatch.delenv("BENCH_VENVS", raising=False)
    found = run.interpreters(run.parse_python_overrides(["hips=/opt/hips/bin/python"]))
    assert found["torch"] == "/opt/torch/bin/python"
    assert found["hips-autograd"] == "/opt/hips/bin/python"
    assert found["numpy"] == sys.executable
    with pytest.raises(ValueError, match="SYSTEM=PATH"):
        run.parse_python_overrides(["torch"])


def test_peers_never_see_this_repository_on_pythonpath(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", run.REPO)
    assert "PYTHONPATH" not in run.child_env("hips-autograd")
    assert run.child_env("tf.keras")["TF_USE_LEGACY_KERAS"] == "1"
    assert run.child_env("kerasfront")["PYTHONPATH"] == run.REPO


def test_threads_reach_blas_and_the_frameworks(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    env = run.child_env("torch", threads=1)
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == env["BENCH_THREADS"] == "1"
    assert "OPENBLAS_NUM_THREADS" not in run.child_env("torch")


def test_targets_are_judged_with_the_margin_missed_by():
    ok = lambda s: {"status": "ok", "median_s": s, "peak_rss_mb": 100.0}  # noqa: E731
    results = {"mlp_step": {"kerasfront": ok(0.0030), "numpy": ok(0.0020), "torch": ok(0.004)},
               "cnn_step": {"kerasfront": ok(0.040), "tf.keras": ok(0.050),
                            "keras3-jax": {"status": "not installed"}},
               "mlp_epoch": {"kerasfront": {"status": "failed", "error": "boom"}, "numpy": ok(1.0)}}
    by_key = {t.key: t for t in report.evaluate_targets(results)}
    assert by_key["mlp_step_vs_numpy"].status == "missed"
    assert "over by 20%" in by_key["mlp_step_vs_numpy"].detail          # 3.0 ms vs 1.25 x 2.0 ms
    assert by_key["mlp_step_vs_peers"].status == "partly measured"
    assert by_key["cnn_vs_keras"].status == "partly measured"
    assert by_key["mlp_epoch_vs_numpy"].status == "not measured"
    assert by_key["memory_vs_numpy"].status == "not measured"
    assert "lstm_vs_keras" not in by_key                                  # workload not run at all
    table = report.results_table(results, ["kerasfront", "numpy", "keras3-jax"])
    assert "failed: boom" in table and "not installed" in table and "3.00 ms" in table


def test_no_grad_target_names_each_op_over_the_limit():
    ok = {"status": "ok", "ratios": {"add": {"ratio": 1.2, "autograd_us": 1.2, "numpy_us": 1.0},
                                     "relu": {"ratio": 3.0, "autograd_us": 3.0, "numpy_us": 1.0}}}
    missed = report.no_grad_target(ok)
    assert missed.status == "missed" and "relu 3.00x (over by 100%)" in missed.detail and "add" not in missed.detail
    ok["ratios"].pop("relu")
    assert report.no_grad_target(ok).status == "met"
    assert report.no_grad_target({"status": "n/a", "error": "no bench_ops"}).status == "not measured"


def test_notes_survive_a_rewrite():
    old = f"x\n{report.NOTES_START}\nLSTM misses: the backward is unfused.\n{report.NOTES_END}\n"
    assert report.kept_notes(old) == "LSTM misses: the backward is unfused."
    assert report.kept_notes(None) == report.DEFAULT_NOTES


def test_a_tiny_run_writes_results(tmp_path):
    out, raw = tmp_path / "RESULTS.md", tmp_path / "raw.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "ops,numpy,kerasfront",
                           "--output", str(out), "--json", str(raw)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "QUICK RUN" in text and "## Machine" in text and "ops: at most 10 us per op" in text
    assert "Per-op overhead under no_grad" in text
    data = json.loads(raw.read_text())
    assert data["extras"]["no_grad"]["status"] in ("ok", "n/a")
    for system in ("numpy", "kerasfront"):
        r = data["results"]["ops"][system]
        assert r["status"] == "ok" and r["repeats"] == workloads.WORKLOADS["ops"].quick_repeats
        assert r["median_s"] > 0 and r["peak_rss_mb"] > 0


def test_rounds_interleave_systems_and_combine_to_the_median_of_medians():
    assert run.plan(["cnn_step", "lstm_step"], ["kerasfront", "numpy"], False, rounds=2) == [
        ("kerasfront", ["cnn_step"]), ("numpy", ["cnn_step"]), ("kerasfront", ["cnn_step"]), ("numpy", ["cnn_step"]),
        ("kerasfront", ["lstm_step"]), ("numpy", ["lstm_step"]), ("kerasfront", ["lstm_step"]), ("numpy", ["lstm_step"])]
    assert [s for s, _ in run.plan(["ops"], ["kerasfront", "numpy"], True, rounds=3)] == ["kerasfront", "numpy"] * 3

    def ok(median, rss):
        return {"status": "ok", "median_s": median, "min_s": median / 2, "max_s": median * 2, "repeats": 4,
                "peak_rss_mb": rss, "times_s": [median] * 4, "versions": {"numpy": "x"}}
    r = run.combine_rounds([ok(3.0, 100.0), ok(1.0, 90.0), ok(1.5, 91.0)])     # medians, not means
    assert r["median_s"] == 1.5 and r["round_medians_s"] == [3.0, 1.0, 1.5]
    assert r["min_s"] == 0.5 and r["max_s"] == 6.0 and r["repeats"] == 12 and r["peak_rss_mb"] == 91.0
    failed = {"status": "failed", "error": "boom"}
    assert run.combine_rounds([ok(1.0, 1.0), failed]) is failed
    with pytest.raises(SystemExit):
        run.main(["--rounds", "0", "--no-write"])


def test_the_loading_benchmark_runs_and_times_both_sides():
    from benchmarks import bench_loading
    figures = bench_loading.run(quick=True, sizes=("small",))
    small = figures["small"]
    assert small["bytes"] > 0 and figures["spawn_small_ms"] > 0
    for what in ("load_model_h5", "load_weights_h5", "load_model_keras"):
        assert small[what]["isolated_ms"] > 0 and small[what]["in_process_ms"] > 0
    assert small["save_h5"]["with_checksums_ms"] > 0 and small["save_h5"]["without_ms"] > 0


def test_the_scaling_section_survives_a_rewrite_and_the_measured_table_is_replaced(tmp_path):
    from benchmarks import mpi_scaling
    old = (f"x\n{report.SCALING_START}\nmodel text\n{mpi_scaling.MEASURED_START}\nold table\n{mpi_scaling.MEASURED_END}"
           f"\nmore\n{report.SCALING_END}\n")
    kept = report.kept_scaling(old)
    assert kept.startswith("model text") and "old table" in kept and kept.endswith("more")
    assert report.kept_scaling(None) == report.DEFAULT_SCALING
    path = tmp_path / "RESULTS.md"
    path.write_text(old)
    results = [{"workers": 1, "epoch_s": 2.0, "samples_per_s": 500.0, "mb_per_step": 0.0,
                "allreduce_in_fit_ms_per_step": 0.0, "allreduce_in_fit_share": 0.0, "allreduce_bare_ms": None},
               {"workers": 2, "epoch_s": 1.25, "samples_per_s": 800.0, "mb_per_step": 0.94,
                "allreduce_in_fit_ms_per_step": 0.5, "allreduce_in_fit_share": 0.1, "allreduce_bare_ms": 0.47,
                "allreduce_bare_ms_per_mb": 0.5}]
    table = mpi_scaling.table(results)
    assert "| 2 | 1.25 s | 800 | 1.60x | 0.94 | 0.50 ms | 10% | 0.47 ms (0.50) |" in table
    mpi_scaling.write_measured(table, str(path))
    text = path.read_text()
    assert "old table" not in text and "1.60x" in text and "model text" in text and "more" in text


def test_mpi_scaling_runs_on_two_workers():
    pytest.importorskip("mpi4py", reason='needs the mpi extra: pip install -e ".[mpi]" (in the test extra)')
    from benchmarks import mpi_scaling
    (result,) = mpi_scaling.run([2], samples=512, repeats=1, timeout=240)
    assert result["workers"] == 2 and result["params"] == 235146 and result["epoch_s"] > 0
    assert abs(result["mb_per_step"] - 235146 * 4 / 1e6) < 1e-9 and result["allreduce_bare_ms"] > 0
