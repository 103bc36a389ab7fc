"""Every program in examples/ runs as a user would run it (a subprocess, output to a pipe) and does what it
says: the quickstart reaches >= 95% test accuracy and reloads to the same accuracy, the CNN and the LSTM
learn, the autograd example's checks pass. Short settings (KERASFRONT_EXAMPLE_FAST=1) keep each run to
seconds."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def run_example(name, tmp_path, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["KERASFRONT_EXAMPLE_FAST"] = "1"
    # NOTE: one BLAS thread: on a shared two-core machine, BLAS threads spinning against other processes can
    # make these tiny matrix products ten times slower; the numbers do not depend on it.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def number_after(label, text):
    match = re.search(re.escape(label) + r"\s*(-?\d+\.\d+(?:e-?\d+)?)", text)
    assert match, f"{label!r} not in the output:\n{text[-2000:]}"
    return float(match.group(1))


def test_every_example_has_a_test():
    tested = {"quickstart.py", "digits_cnn.py", "sequence_lstm.py", "custom_research.py", "per_example_gradients.py",
              "gp_regression.py", "transfer_learning.py"}
    assert {f for f in os.listdir(EXAMPLES) if f.endswith(".py")} == tested


def test_quickstart_trains_saves_and_reloads_to_the_same_accuracy(tmp_path):
    out = run_example("quickstart.py", tmp_path, "--save-to", str(tmp_path / "digits.h5"))
    # Keras's progress output, written once per epoch to a pipe, without carriage returns or backspaces
    assert "\r" not in out and "\b" not in out
    assert "Epoch 1/12" in out and "Epoch 12/12" in out and "Epoch 13/12" not in out
    bar = re.compile(r"^41/41 \[=+\] - \d+s \d+(us|ms|s)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} "
                     r"- val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$", re.M)
    assert len(bar.findall(out)) == 12
    # the summary table: 64*128+128 + 128*64+64 + 64*10+10 weights
    assert 'Model: "digits_mlp"' in out and " Layer (type) " in out
    assert "Total params: 17226 " in out and "Non-trainable params: 0 " in out
    accuracy = number_after("Test accuracy:", out)
    reloaded = number_after("Test accuracy (reloaded):", out)
    assert accuracy >= 0.95
    assert reloaded == accuracy
    assert (tmp_path / "digits.h5").stat().st_size > 10_000
    with open(tmp_path / "digits_history.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_digits_cnn_learns_and_its_error_report_adds_up(tmp_path):
    out = run_example("digits_cnn.py", tmp_path, "--out-dir", str(tmp_path))
    accuracy = number_after("Test accuracy:", out)
    assert accuracy >= 0.9
    rows = re.findall(r"^\s+(\d): +(\d+) / (\d+)", out, re.M)
    assert [int(r[0]) for r in rows] == list(range(10))
    wrong, total = sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows)
    assert total == 355
    assert wrong == round((1 - accuracy) * total)
    assert "conv2d_1 (Conv2D)" in out and "(None, 4, 4, 16)" in out and "Total params: 9930 " in out
    with open(tmp_path / "digits_cnn.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_sequence_lstm_beats_the_mean_predictor(tmp_path):
    out = run_example("sequence_lstm.py", tmp_path)
    mse = number_after("Test MSE:", out)
    baseline = number_after("always predicting the mean:", out)
    assert 0.1 < baseline < 0.25            # the variance of a sum of two uniforms is 1/6
    assert mse < baseline / 4
    assert "lstm (LSTM)" in out and "Epoch 6/6" in out


def test_custom_research_checks_pass(tmp_path):
    out = run_example("custom_research.py", tmp_path)
    assert "gradcheck to second order: passed" in out
    assert number_after("composed ops' gradient:", out) < 1e-12
    assert number_after("loss", out.split("stable on logits")[1]) == pytest.approx(2000.0)
    assert number_after("test accuracy:", out) >= 0.9
    assert number_after("relative difference", out) < 1e-5
    assert number_after("(sharpness):", out) > 0
    saliency_rows = re.findall(r"^   (.{8})   (.{8})$", out.split("pixels (left)")[1], re.M)
    assert len(saliency_rows) == 8


def test_per_example_gradients_clip_and_train_with_dp_sgd(tmp_path):
    out = run_example("per_example_gradients.py", tmp_path)
    assert "shapes [(64, 64, 64), (64, 64), (64, 64, 10), (64, 10)]" in out
    assert number_after("max difference from the loop:", out) < 1e-10
    assert number_after("largest norm after clipping to C = 1.0:", out) <= 1.0 + 1e-9
    assert number_after("per-example gradient norms: min", out) > 1.0      # clipping does something here
    assert number_after("DP-SGD test accuracy:", out) >= 0.8
    assert number_after("SGD test accuracy:", out.split("DP-SGD test accuracy:")[-1]) >= 0.9


def test_gp_regression_fits_its_hyperparameters_by_the_cholesky_likelihood_gradient(tmp_path):
    out = run_example("gp_regression.py", tmp_path)
    assert "gradcheck to second order: passed" in out
    assert number_after("dK):", out) < 1e-10                      # reverse mode = the textbook formula
    before, after = re.search(r"likelihood: (-?\d+\.\d+) -> (-?\d+\.\d+)", out).groups()
    assert float(after) < float(before) - 10
    assert 0.07 < number_after("noise std", out) < 0.14             # the data's noise std is 0.1
    assert number_after("fitted   hyperparameters: RMSE", out) < 0.15
    assert number_after("RMSE ratio fitted / initial:", out) < 0.5
    usage = subprocess.run([sys.executable, os.path.join(EXAMPLES, "gp_regression.py"), "--help"], cwd=tmp_path,
                           env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True, timeout=120)
    assert usage.returncode == 0 and "--points" in usage.stdout and "Gaussian-process regression" in usage.stdout


def test_transfer_learning_trains_a_head_on_a_frozen_pretrained_base(tmp_path):
    """weights=None in the tests (no download): the base is pretrained on the digits 0-4, reopened with
    weights=<its file>, frozen, and a new head learns the digits 5-9 from 20 images each."""
    out = run_example("transfer_learning.py", tmp_path)
    assert "Pretraining mobilenetv2_0.35_32 on the digits 0-4" in out
    assert "Base: mobilenetv2_0.35_32 (digits 0-4 weights, 155 layers, 410208 weights, frozen)" in out
    assert re.search(r"Trainable params: 6405 ", out) and re.search(r"Non-trainable params: 410208 ", out)
    frozen = number_after("Test accuracy (frozen base, new head):", out)
    tuned = number_after("Test accuracy (fine-tuned):", out)
    assert frozen >= 0.35 and tuned >= 0.35          # 5 classes: chance is 0.2
    assert "Fine-tuning 41 weight tensors" in out
    number_after("Test accuracy (from scratch, same images):", out)


def test_examples_accept_epochs_from_the_command_line(tmp_path):
    out = run_example("sequence_lstm.py", tmp_path, "--epochs", "1", "--samples", "200")
    assert "Epoch" not in out.split("Model:")[0]
    assert "Epoch 1/" not in out            # one epoch: Keras prints no "Epoch 1/1" line
    assert re.search(r"^6/6 \[=+\]", out, re.M)          # 180 training sequences in batches of 32
