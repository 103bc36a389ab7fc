"""Record the weight images tf.keras's ``TensorBoard(write_images=True)`` writes, for the kerasfront tests.

Run with a Python that has tensorflow-cpu, tf_keras and tensorboard installed (never the project's venv):
    TF_USE_LEGACY_KERAS=1 python tools/make_tensorboard_image_fixtures.py tests/fixtures/tensorboard/weight_images.json

For each weight below (a bias, dense kernels both ways round, a Conv1D kernel, Conv2D kernels with 1, 3 and 16
filters, a Conv3D kernel; values spread over and beyond [0, 1] so that the float-to-uint8 rounding and clipping
show), it calls tf.keras's ``TensorBoard._log_weight_as_image`` inside a summary writer, reads the event file
back and stores the decoded images (or that none was written).
"""
import glob
import io
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from PIL import Image  # noqa: E402
from tensorboard.backend.event_processing import event_file_loader  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

#: name -> shape; the values are ``weight_values(shape)`` (the test computes the same)
SHAPES = {"bias": [5], "dense_wide": [3, 6], "dense_tall": [6, 3], "conv1d": [3, 2, 4], "conv2d_1": [3, 3, 2, 1],
          "conv2d_3": [2, 3, 4, 3], "conv2d_16": [3, 3, 2, 16], "conv3d": [2, 2, 2, 2, 1], "squeezed": [1, 4, 1, 3]}


def weight_values(shape):
    """Values from -0.25 to 1.25 in steps that hit the roundings: the same as the test's."""
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float32) * np.float32(1.5 / max(n - 1, 1)) - np.float32(0.25)).reshape(shape)


def main(out_path):
    tb = keras.callbacks.TensorBoard()
    out = {}
    with tempfile.TemporaryDirectory() as log_dir:
        writer = tf.summary.create_file_writer(log_dir)
        with writer.as_default():
            for name, shape in SHAPES.items():
                tb._log_weight_as_image(tf.constant(weight_values(shape)), name, 0)
        writer.close()
        (path,) = glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))
        for event in event_file_loader.EventFileLoader(path).Load():
            if event.WhichOneof("what") != "summary":
                continue
            for value in event.summary.value:
                blobs = tensor_util.make_ndarray(value.tensor)
                images = [np.asarray(Image.open(io.BytesIO(b))).tolist() for b in blobs[2:]]
                out[value.tag] = {"width": int(blobs[0]), "height": int(blobs[1]), "images": images}
    result = {name: out.get(name) for name in SHAPES}
    with open(out_path, "w") as f:
        json.dump({"made_by": f"tf_keras {keras.__version__}", "shapes": SHAPES, "images": result}, f)
        f.write("\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/tensorboard/weight_images.json")
