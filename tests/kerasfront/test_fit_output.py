"""What a user sees from fit, evaluate and summary, end to end in a real process: on a terminal (a pty) the
progress bar is redrawn in place and ends as the same text a log file gets; off a terminal it is written
once per epoch with no control characters; verbose="auto" is verbose=1; summary() prints tf.keras's table."""
import os
import pty
import re
import subprocess
import sys
import textwrap

import kerasfront as keras

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import kerasfront as keras
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((100, 4)).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    verbose = sys.argv[1] if sys.argv[1] == "auto" else int(sys.argv[1])
    model.fit(x, y, epochs=2, batch_size=10, validation_split=0.2, verbose=verbose)
    model.evaluate(x, y, verbose=verbose)
    print("done")
""")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    return env


def _run_piped(verbose):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, verbose], capture_output=True, text=True, env=_env(),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _run_on_a_terminal(verbose):
    """The bytes the script writes to a pseudo-terminal."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, verbose], stdout=terminal, stderr=subprocess.PIPE,
                            env=_env())
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:          # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    proc.stderr.close()
    return b"".join(chunks).decode("utf-8")


def _screen(text):
    """What a terminal shows after ``text``: \\r returns to the line start, \\b steps back, later characters
    overwrite earlier ones."""
    lines, row, col = [[]], 0, 0
    for ch in text:
        if ch == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append([])
        elif ch == "\r":
            col = 0
        elif ch == "\b":
            col = max(0, col - 1)
        else:
            line = lines[row]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = ch
            col += 1
    return ["".join(line).rstrip() for line in lines]


def _without_times(lines):
    return [re.sub(r"\d+(us|ms|s)(/step)?", "T", line) for line in lines if line]


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_as_in_a_log():
    raw = _run_on_a_terminal("auto")
    assert "\r" in raw and "\b" in raw
    assert re.search(r"1/8 \[==>\.+\] - ETA: \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4}", raw)
    screen = _screen(raw.replace("\r\n", "\n"))
    logged = _run_piped("1").splitlines()
    assert _without_times(screen) == _without_times(logged)
    assert screen[0] == "Epoch 1/2"
    assert re.fullmatch(r"8/8 \[=+\] - \d+s \d+(us|ms)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - "
                        r"val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}", screen[1])


def test_off_a_terminal_each_bar_is_written_once_without_control_characters():
    out = _run_piped("auto")
    assert "\r" not in out and "\b" not in out
    lines = out.splitlines()
    assert [line[:10] for line in lines] == ["Epoch 1/2", "8/8 [=====", "Epoch 2/2", "8/8 [=====", "4/4 [=====",
                                             "done"]
    assert "ETA" not in out
    assert _without_times(lines) == _without_times(_run_piped("1").splitlines())


def test_verbose_2_writes_one_line_per_epoch():
    lines = _run_piped("2").splitlines()
    assert lines[0] == "Epoch 1/2"
    assert re.fullmatch(r"8/8 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - "
                        r"val_accuracy: \d\.\d{4} - \d+(us|ms|s)/epoch - \d+(us|ms|s)/step", lines[1])
    assert lines[-1] == "done" and len(lines) == 6


# The text tf.keras 2.21 (tf_keras) prints for the same model, captured once from the real library.
TF_KERAS_SUMMARY = """\
Model: "two"
__________________________________________________________________________________________________
 Layer (type)                Output Shape                 Param #   Connected to
==================================================================================================
 a (InputLayer)              [(None, 8)]                  0         []

 b (InputLayer)              [(None, 4)]                  0         []

 da (Dense)                  (None, 16)                   144       ['a[0][0]']

 db (Dense)                  (None, 16)                   80        ['b[0][0]']

 cat (Concatenate)           (None, 32)                   0         ['da[0][0]',
                                                                     'db[0][0]']

 bn (BatchNormalization)     (None, 32)                   128       ['cat[0][0]']

 o1 (Dense)                  (None, 3)                    99        ['bn[0][0]']

 o2 (Dense)                  (None, 1)                    17        ['da[0][0]']

==================================================================================================
Total params: 468 (1.83 KB)
Trainable params: 404 (1.58 KB)
Non-trainable params: 64 (256.00 Byte)
__________________________________________________________________________________________________"""


def test_summary_of_a_branching_functional_model_matches_tf_keras():
    a = keras.Input(shape=(8,), name="a")
    b = keras.Input(shape=(4,), name="b")
    x = keras.layers.Dense(16, activation="relu", name="da")(a)
    y = keras.layers.Dense(16, activation="relu", name="db")(b)
    z = keras.layers.BatchNormalization(name="bn")(keras.layers.Concatenate(name="cat")([x, y]))
    model = keras.Model([a, b], [keras.layers.Dense(3, name="o1")(z), keras.layers.Dense(1, name="o2")(x)],
                        name="two")
    lines = []
    model.summary(print_fn=lines.append)
    assert [line.rstrip() for line in lines] == TF_KERAS_SUMMARY.splitlines()
