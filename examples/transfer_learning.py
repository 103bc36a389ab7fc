"""Transfer learning with keras.applications: a frozen MobileNetV2 base, a new classifier head, the shipped digits.

The 8x8 digits are upsampled to the base's input size and given three channels, as camera images would be. The
target task is to tell the digits 5-9 apart from only a few labelled images each. The base comes either

- from tf.keras's ImageNet weights (``--imagenet``: ``weights="imagenet"``; the file is read from Keras's cache,
  ~/.keras/models or $KERAS_HOME/models, or downloaded there once; offline, the error says which file to put
  where), or
- without a download (the default, what the tests run): a ``MobileNetV2(weights=None)`` first trained on the
  *other* digits, 0-4, saved with ``save_weights`` and reopened with ``weights=<that file>``.

Then the usual tf.keras recipe runs unchanged: freeze the base (``base.trainable = False``, called with
``training=False`` so its batch norm keeps its statistics), train a Dropout + Dense head, unfreeze the last blocks
and fine-tune with a small learning rate. A base trained from scratch on the few target images is the baseline.

Run:
    python examples/transfer_learning.py                         # base pretrained here on the digits 0-4
    python examples/transfer_learning.py --imagenet --size 96    # ImageNet base (needs tf.keras's weights file)

Set KERASFRONT_EXAMPLE_FAST=1 for a shorter run (what the tests do).
"""
import argparse
import os
import tempfile

import numpy as np

import kerasfront as keras
from kerasfront.applications import mobilenet_v2
from kerasfront.datasets import digits


def to_rgb_images(x, size):
    """(n, 8, 8) digits in 0..16 -> (n, size, size, 3) images in 0..255 (nearest-neighbour upsampling)."""
    scale = max(1, size // 8)
    x = np.kron(x.astype("float32"), np.ones((scale, scale), "float32"))
    if x.shape[1] != size:
        pad = size - x.shape[1]
        x = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (pad // 2, pad - pad // 2)))
    return np.repeat(x[..., np.newaxis] * (255.0 / 16.0), 3, axis=-1)


def classifier(base, size, classes, name, transfer=True):
    """images -> preprocess_input -> base (pooled features) -> Dropout -> Dense. A transferred base runs its batch
    norm in inference mode (``training=False``) even while fine-tuned, as tf.keras's guide does."""
    inputs = keras.Input(shape=(size, size, 3), name="image")
    x = mobilenet_v2.preprocess_input(inputs)          # [0, 255] -> [-1, 1], as the ImageNet weights expect
    x = base(x, training=False) if transfer else base(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def mobilenet(args, weights):
    base = keras.applications.MobileNetV2(input_shape=(args.size, args.size, 3), alpha=args.alpha,
                                          include_top=False, weights=weights, pooling="avg")
    if weights is None:
        # NOTE: MobileNetV2's batch norm averages its statistics with momentum 0.999, made for long ImageNet runs;
        # a run of a few hundred steps needs 0.9 for the statistics kept for inference to be those of its data
        for layer in base.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = 0.9
    return base


def pretrained_base(args, source):
    """The base to transfer: ImageNet weights, or a MobileNetV2 trained here on the source digits (0-4)."""
    if args.imagenet:
        return mobilenet(args, "imagenet")
    (x, y) = source
    base = mobilenet(args, None)
    base.trainable = True
    print(f"Pretraining {base.name} on the digits 0-4 ({len(x)} images)")
    inputs = keras.Input(shape=(args.size, args.size, 3))
    features = base(mobilenet_v2.preprocess_input(inputs))        # batch norm learns its statistics here
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(features))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=args.pretrain_epochs, verbose=2)
    path = os.path.join(tempfile.mkdtemp(), "digits04_mobilenetv2.h5")
    base.save_weights(path)
    return mobilenet(args, path)                 # weights=<path>: a weights file for this architecture


def parse_args(argv):
    fast = os.environ.get("KERASFRONT_EXAMPLE_FAST") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imagenet", action="store_true",
                        help='start from tf.keras\'s ImageNet weights (weights="imagenet"; needs the file)')
    parser.add_argument("--size", type=int, default=32, help="image size fed to the base, at least 32 (default 32)")
    parser.add_argument("--alpha", type=float, default=0.35, help="MobileNetV2 width (default 0.35)")
    parser.add_argument("--pretrain-epochs", type=int, default=3 if fast else 8,
                        help="epochs on the digits 0-4 without --imagenet (default 8)")
    parser.add_argument("--epochs", type=int, default=6 if fast else 15, help="head epochs (default 15)")
    parser.add_argument("--fine-tune-epochs", type=int, default=1 if fast else 5,
                        help="epochs with the last blocks unfrozen (default 5)")
    parser.add_argument("--labels-per-digit", type=int, default=20,
                        help="labelled training images of each target digit (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = to_rgb_images(x_train, args.size), to_rgb_images(x_test, args.size)
    source = (x_train[y_train < 5], y_train[y_train < 5])
    picks = np.concatenate([np.flatnonzero(y_train == d)[:args.labels_per_digit] for d in range(5, 10)])
    x_target, y_target = x_train[picks], y_train[picks] - 5
    x_eval, y_eval = x_test[y_test >= 5], y_test[y_test >= 5] - 5
    print(f"Target task: digits 5-9, {len(x_target)} labelled {x_target.shape[1:]} images, {len(x_eval)} test images")

    base = pretrained_base(args, source)
    base.trainable = False
    model = classifier(base, args.size, 5, "digits_transfer")
    print(f"Base: {base.name} ({'ImageNet' if args.imagenet else 'digits 0-4'} weights, {len(base.layers)} layers, "
          f"{base.count_params()} weights, frozen)")
    model.summary()
    model.fit(x_target, y_target, batch_size=16, epochs=args.epochs, verbose=2)
    print(f"Test accuracy (frozen base, new head): {model.evaluate(x_eval, y_eval, verbose=0)[1]:.4f}")

    # Fine-tuning: unfreeze the last blocks (block_13 on), keep the rest frozen, lower the learning rate.
    base.trainable = True
    first = next(i for i, layer in enumerate(base.layers) if layer.name.startswith("block_13"))
    for layer in base.layers[:first]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    print(f"Fine-tuning {len(model.trainable_weights)} weight tensors")
    model.fit(x_target, y_target, batch_size=16, epochs=args.fine_tune_epochs, verbose=2)
    print(f"Test accuracy (fine-tuned): {model.evaluate(x_eval, y_eval, verbose=0)[1]:.4f}")

    # The baseline: the same network trained from scratch on the few target images alone.
    scratch = mobilenet(args, None)
    baseline = classifier(scratch, args.size, 5, "digits_from_scratch", transfer=False)
    baseline.fit(x_target, y_target, batch_size=16, epochs=args.epochs + args.fine_tune_epochs, verbose=0)
    print(f"Test accuracy (from scratch, same images): {baseline.evaluate(x_eval, y_eval, verbose=0)[1]:.4f}")


if __name__ == "__main__":
    main()
