"""An LSTM trained with RMSprop on the "adding problem", a classic test of memory in recurrent networks.

Each input is a sequence of T steps with two features: a random number in [0, 1) and a marker that is 1 at
exactly two steps and 0 elsewhere. The target is the sum of the two marked numbers. A model that ignores
the markers can do no better than predicting the average sum (mean squared error about 0.17); the LSTM
has to learn to remember the marked numbers until the end of the sequence.
(Hochreiter and Schmidhuber, "Long Short-Term Memory", 1997.)

Run:
    python examples/sequence_lstm.py
    python examples/sequence_lstm.py --steps 20 --epochs 20      # longer sequences are harder

Set KERASFRONT_EXAMPLE_FAST=1 for a shorter run (what the tests do).
"""
import argparse
import os
import sys

import numpy as np

import kerasfront as keras


def adding_problem(n, steps, rng):
    """``n`` sequences of shape ``(steps, 2)`` (value, marker) and their targets, shape ``(n, 1)``."""
    values = rng.random((n, steps)).astype("float32")
    markers = np.zeros((n, steps), dtype="float32")
    # two distinct marked steps per sequence: the two smallest of ``steps`` random keys
    marked = np.argsort(rng.random((n, steps)), axis=1)[:, :2]
    np.put_along_axis(markers, marked, 1.0, axis=1)
    x = np.stack([values, markers], axis=-1)
    y = (values * markers).sum(axis=1, keepdims=True)
    return x, y


def build_model(steps, units):
    return keras.Sequential([
        keras.Input(shape=(steps, 2), name="sequence"),
        keras.layers.LSTM(units, name="lstm"),          # reads the sequence, returns its last state
        keras.layers.Dense(1, name="sum"),
    ], name="adding_lstm")


def parse_args(argv):
    fast = os.environ.get("KERASFRONT_EXAMPLE_FAST") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="sequence length T (default: 10)")
    parser.add_argument("--samples", type=int, default=5000, help="training sequences (default: 5000)")
    parser.add_argument("--epochs", type=int, default=6 if fast else 10, help="training epochs (default: 10)")
    parser.add_argument("--units", type=int, default=32, help="LSTM units (default: 32)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = adding_problem(args.samples, args.steps, rng)
    x_test, y_test = adding_problem(1000, args.steps, rng)
    print(f"Adding problem: {len(x_train)} training sequences of {args.steps} steps, inputs {x_train.shape[1:]}")
    print("One sequence (value, marker):")
    print("  " + "  ".join(f"{v:.2f}{'*' if m else ' '}" for v, m in x_test[0]) + f"  -> sum {y_test[0, 0]:.3f}")

    model = build_model(args.steps, args.units)
    model.summary()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=3e-3), loss="mse", metrics=["mae"])
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1)

    baseline = float(np.mean((y_test - y_train.mean()) ** 2))
    test_mse, test_mae = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nTest MSE: {test_mse:.4f}  (always predicting the mean: {baseline:.4f}), test MAE: {test_mae:.4f}")
    predictions = model.predict(x_test[:5], verbose=0)[:, 0]
    for p, t in zip(predictions, y_test[:5, 0]):
        print(f"  predicted {p:.3f}   true {t:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
