"""TensorBoard: training curves, weight histograms and the Keras model graph as TensorBoard event files.

tf.keras's arguments and directory layout: ``log_dir/train`` and ``log_dir/validation`` each get an event file
per run; epoch scalars are tagged ``epoch_loss``, ``epoch_accuracy``, ... at step ``epoch`` (validation values
go to ``validation`` without their ``val_`` prefix), ``epoch_learning_rate`` when the optimizer follows a
schedule, batch scalars ``batch_loss``, ... every ``update_freq`` batches at the global batch number,
``evaluation_<name>_vs_iterations`` after every evaluation, weight histograms ``<layer>/<weight>_0/histogram``
every ``histogram_freq`` epochs, and the Keras model graph (tag ``keras``, the Graphs tab).

The files are written with the ``tensorboard`` package's own writer and protocol buffers, so no TensorFlow is
needed: ``pip install "kerasfront[tensorboard]"``. What only TensorFlow can make is accepted and said once:
the profile of ``profile_batch``, the op-level graph of the training step, and the TensorFlow checkpoint that
``embeddings_freq`` writes for the projector.

Example:
    >>> tb = kerasfront.callbacks.TensorBoard(log_dir="logs", histogram_freq=1)
    >>> model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[tb])
    >>> # then: tensorboard --logdir logs
"""
import os
import time
import warnings

import numpy as np

import autograd as ag

from .base import Callback

__all__ = ["TensorBoard"]

#: what has been said once in this process (the limits of writing without TensorFlow)
_SAID = set()
_HISTOGRAM_BUCKETS = 30


def _say_once(key, message):
    if key in _SAID:
        return
    _SAID.add(key)
    warnings.warn(message, UserWarning, stacklevel=4)


def _tensorboard_modules():
    """The parts of the ``tensorboard`` package the writer uses (an ImportError naming the extra without it)."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.graph import metadata as graph_metadata
        from tensorboard.plugins.histogram import metadata as histogram_metadata
        from tensorboard.plugins.image import metadata as image_metadata
        from tensorboard.plugins.scalar import metadata as scalar_metadata
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.util import tensor_util
    except ImportError as e:
        raise ImportError(f"kerasfront.callbacks.TensorBoard writes its event files with the `tensorboard` package, "
                          f"which could not be imported ({e}); install it with: pip install \"kerasfront[tensorboard]\" "
                          f"(or pip install tensorboard). TensorFlow itself is not needed.") from None
    return {"event_pb2": event_pb2, "summary_pb2": summary_pb2, "EventFileWriter": EventFileWriter,
            "tensor_util": tensor_util, "scalar": scalar_metadata, "histogram": histogram_metadata,
            "image": image_metadata, "graph": graph_metadata}


class SummaryWriter:
    """One event file in ``logdir`` (what ``tf.summary.create_file_writer`` makes), written with the
    ``tensorboard`` package's ``EventFileWriter`` and summary protocol buffers.

    Example:
        >>> writer = SummaryWriter("logs/train")
        >>> writer.scalar("epoch_loss", 0.25, step=0); writer.close()
    """

    def __init__(self, logdir):
        self._tb = _tensorboard_modules()
        self.logdir = os.fspath(logdir)
        self._writer = self._tb["EventFileWriter"](self.logdir, max_queue_size=100, flush_secs=30,
                                                   filename_suffix=".v2")

    @property
    def path(self):
        """The event file's path."""
        return self._writer._file_name

    def _write(self, tag, tensor, metadata, step):
        summary = self._tb["summary_pb2"].Summary()
        summary.value.add(tag=tag, tensor=tensor, metadata=metadata)
        self._writer.add_event(self._tb["event_pb2"].Event(wall_time=time.time(), step=int(step), summary=summary))

    def scalar(self, tag, value, step):
        """A float32 scalar, as ``tf.summary.scalar``."""
        tensor = self._tb["tensor_util"].make_tensor_proto(np.float32(value), dtype=np.float32)
        meta = self._tb["scalar"].create_summary_metadata(display_name=None, description=None)
        self._write(tag, tensor, meta, step)

    def histogram(self, tag, values, step, buckets=_HISTOGRAM_BUCKETS):
        """``buckets`` equal-width buckets over the values' range as (left, right, count) rows, as
        ``tf.summary.histogram``."""
        data = np.asarray(values, dtype=np.float64).ravel()
        data = data[np.isfinite(data)]
        if data.size == 0:
            rows = np.zeros((buckets, 3))
        else:
            lo, hi = float(data.min()), float(data.max())
            if hi == lo:
                counts = np.zeros(buckets)
                counts[-1] = data.size
                rows = np.stack([np.full(buckets, lo), np.full(buckets, lo), counts], axis=1)
            else:
                width = (hi - lo) / buckets
                index = np.minimum(np.floor((data - lo) / width).astype(np.int64), buckets - 1)
                counts = np.bincount(index, minlength=buckets).astype(np.float64)
                edges = np.linspace(lo, hi, buckets + 1)
                rows = np.stack([edges[:-1], edges[1:], counts], axis=1)
        tensor = self._tb["tensor_util"].make_tensor_proto(rows, dtype=np.float64)
        meta = self._tb["histogram"].create_summary_metadata(display_name=None, description=None)
        self._write(tag, tensor, meta, step)

    def image(self, tag, images, step):
        """uint8 images (k, height, width, channels) as PNG, as ``tf.summary.image`` (needs Pillow)."""
        import io

        from PIL import Image
        blobs = []
        for img in images:
            buf = io.BytesIO()
            Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(buf, format="PNG")
            blobs.append(buf.getvalue())
        h, w = images.shape[1:3]
        tensor = self._tb["tensor_util"].make_tensor_proto([str(w).encode(), str(h).encode()] + blobs,
                                                           dtype=np.object_)
        meta = self._tb["image"].create_summary_metadata(display_name=None, description=None)
        self._write(tag, tensor, meta, step)

    def keras_model(self, tag, model_json, step=0):
        """A model's ``to_json()`` for the Graphs tab, as tf.keras's ``keras_model_summary``."""
        summary_pb2 = self._tb["summary_pb2"]
        tensor = self._tb["tensor_util"].make_tensor_proto([model_json.encode("utf-8")], dtype=np.object_)
        meta = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name=self._tb["graph"].PLUGIN_NAME_KERAS_MODEL, content=b"1"),
            data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE)
        self._write(tag, tensor, meta, step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def _check_freq(value, arg):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"TensorBoard({arg}=...): expected a non-negative int, received {value!r}")
    return int(value)


def _profile_range(profile_batch):
    """``(start, stop)`` from tf.keras's accepted forms: an int, ``"a,b"`` or a pair (0: no profiling)."""
    message = ("TensorBoard(profile_batch=...): profile_batch must be a non-negative integer or 2-tuple of positive "
               f"integers. A pair of positive integers signifies a range of batches to profile. Found: "
               f"{profile_batch!r}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(v) for v in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        if len(value) == 1:
            value = value[0]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        start, stop = int(value[0]), int(value[1])
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _weight_image(w):
    """A weight as tf.keras's ``write_images`` shows it: (k, h, w, channels) float images (a 4-d kernel whose
    last axis is 1, 3 or 4 is shown as it is), or None when no image fits (more dimensions, other channels)."""
    w = np.squeeze(w)
    if w.ndim == 1:                                      # a bias
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:                                    # a dense kernel, the longer side across
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:                                    # a 1-d convolution kernel: one image per channel
        w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    if w.ndim != 4 or w.shape[-1] not in (1, 3, 4):
        return None
    return w


def _to_uint8(img):
    # NOTE: as tf.image.convert_image_dtype(saturate=True): scaled by 255.5 in float32, clipped to [0, 255] and
    # truncated (0.5 -> 127, not 128)
    scaled = img.astype(np.float32) * np.float32(255.5)
    return np.clip(scaled, 0.0, 255.0).astype(np.uint8)


class TensorBoard(Callback):
    """Write TensorBoard logs: epoch and batch scalars, the learning rate, weight histograms and images, and
    the Keras model graph, in tf.keras's layout (``log_dir/train``, ``log_dir/validation``).

    Args:
        log_dir: the directory of the logs (``tensorboard --logdir log_dir`` shows them).
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: write the Keras model graph (functional and Sequential models, as tf.keras).
        write_images: write each layer's weights as images (needs Pillow).
        write_steps_per_second: also log training steps per second.
        update_freq: ``"epoch"``, ``"batch"`` or an int N: batch scalars (``batch_loss``, ...) every N batches,
            at the global batch number. Unlike tf.keras, they are written whether or not another callback
            (the progress bar) asks for batch hooks.
        profile_batch: accepted and validated; profiling needs TensorFlow's profiler, so nothing is written
            (said once).
        embeddings_freq, embeddings_metadata: accepted and validated; the projector reads a TensorFlow
            checkpoint, which kerasfront cannot write (said once).

    Example:
        >>> tb = TensorBoard(log_dir="logs", histogram_freq=1, update_freq=10)
        >>> model.fit(x, y, epochs=3, validation_split=0.2, callbacks=[tb])
    """

    _LEGACY_KWARGS = ("write_grads", "embeddings_layer_names", "embeddings_data", "batch_size")

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None, **kwargs):
        super().__init__()
        unknown = set(kwargs) - set(self._LEGACY_KWARGS)
        if unknown:
            raise ValueError(f"Unrecognized arguments in `TensorBoard` Callback: {sorted(unknown)}. Supported kwargs "
                             f"are: {list(self._LEGACY_KWARGS)}")
        for name in self._LEGACY_KWARGS:
            if kwargs.get(name):
                warnings.warn(f"TensorBoard: `{name}` is ignored (as in TensorFlow 2).", stacklevel=2)
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"TensorBoard(log_dir=...): expected a path (str or os.PathLike), received {log_dir!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_freq(histogram_freq, "histogram_freq")
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer))
                                       or update_freq < 1):
            raise ValueError(f"TensorBoard(update_freq=...): expected 'epoch', 'batch' or a positive int, received "
                             f"{update_freq!r}")
        self.update_freq = update_freq if update_freq == "epoch" else int(update_freq)
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self.embeddings_freq = _check_freq(embeddings_freq, "embeddings_freq")
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise TypeError(f"TensorBoard(embeddings_metadata=...): expected a file name or a dict of layer name -> "
                            f"file name, received {embeddings_metadata!r}")
        self.embeddings_metadata = embeddings_metadata
        _tensorboard_modules()          # fail now, naming the extra, rather than at the first epoch
        self._writers = {}
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._epoch_start_time = None
        self._batch_start_time = None
        if self._start_batch or self._stop_batch:
            _say_once("profile", "TensorBoard(profile_batch=...): profiling needs TensorFlow's profiler; kerasfront "
                                 "accepts the argument but writes no profile (time your steps with the "
                                 "`write_steps_per_second=True` scalars, or Python's cProfile).")
        if self.embeddings_freq:
            _say_once("embeddings", "TensorBoard(embeddings_freq=...): the projector reads a TensorFlow checkpoint, "
                                    "which kerasfront cannot write; no embeddings are written.")

    # -- writers ---------------------------------------------------------------------------------------------
    def _writer(self, key):
        w = self._writers.get(key)
        if w is None:
            w = SummaryWriter(self._train_dir if key == "train" else self._val_dir)
            self._writers[key] = w
        return w

    def _close_writers(self):
        for w in self._writers.values():
            w.close()
        self._writers = {}

    def set_model(self, model):
        """Receive the model; write its Keras graph (functional and Sequential models) when ``write_graph``."""
        self.model = model
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._close_writers()
        if self.write_graph:
            self._write_keras_model_summary()
            _say_once("op_graph", "TensorBoard(write_graph=True): kerasfront writes the Keras model graph (Graphs "
                                  "tab, tag 'keras'); the op-level graph of the training step is TensorFlow's and is "
                                  "not written.")

    def _write_keras_model_summary(self):
        model = self.model
        if not (getattr(model, "_is_graph_network", False) or type(model).__name__ == "Sequential"):
            return
        try:
            text = model.to_json()
        except (NotImplementedError, TypeError, ValueError):
            return
        w = self._writer("train")
        w.keras_model("keras", text, step=0)
        w.flush()

    # -- hooks -----------------------------------------------------------------------------------------------
    def _implements_train_batch_hooks(self):
        return self.update_freq != "epoch" or self.write_steps_per_second

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        w = self._writer("train")
        if self.write_steps_per_second and self._batch_start_time is not None:
            elapsed = time.time() - self._batch_start_time
            w.scalar("batch_steps_per_second", 1.0 / elapsed if elapsed > 0 else 0.0, step)
        for name, value in (logs or {}).items():
            scalar = _scalar(value)
            if scalar is not None:
                w.scalar("batch_" + name, scalar, step)

    def on_test_end(self, logs=None):
        opt = getattr(self.model, "optimizer", None)
        iterations = getattr(opt, "iterations", None) if opt is not None else None
        if iterations is None or not logs:
            return
        step = int(_scalar(iterations))
        w = self._writer("val")
        for name, value in logs.items():
            scalar = _scalar(value)
            if scalar is not None:
                w.scalar("evaluation_" + name + "_vs_iterations", scalar, step)
        w.flush()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for w in self._writers.values():
            w.flush()

    # -- what is written -------------------------------------------------------------------------------------
    def _iterations(self):
        opt = getattr(self.model, "optimizer", None)
        it = getattr(opt, "iterations", None) if opt is not None else None
        return int(_scalar(it)) if it is not None else 0

    def _learning_rate(self):
        """The scheduled learning rate at the current step (tf.keras logs it only for a schedule), or None."""
        from ..optimizers.schedules import LearningRateSchedule
        opt = getattr(self.model, "optimizer", None)
        schedule = getattr(opt, "_learning_rate", None) if opt is not None else None
        if not isinstance(schedule, LearningRateSchedule):
            return None
        return _scalar(schedule(opt.iterations))

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        lr = self._learning_rate()
        if lr is not None:
            train_logs["learning_rate"] = lr
        if self.write_steps_per_second and self._epoch_start_time is not None:
            elapsed = time.time() - self._epoch_start_time
            train_logs["steps_per_second"] = (self._iterations() - self._previous_epoch_iterations) / elapsed \
                if elapsed > 0 else 0.0
        for key, values in (("train", train_logs), ("val", val_logs)):
            if not values:
                continue
            w = self._writer(key)
            for name, value in values.items():
                scalar = _scalar(value)
                if scalar is not None:
                    w.scalar("epoch_" + name, scalar, epoch)

    def _log_weights(self, epoch):
        w = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.name.replace(":", "_")
                values = weight.data if isinstance(weight, ag.Tensor) else np.asarray(weight)
                w.histogram(name + "/histogram", values, epoch)
                if self.write_images:
                    self._log_weight_as_image(w, values, name + "/image", epoch)

    def _log_weight_as_image(self, writer, values, tag, epoch):
        img = _weight_image(values)
        if img is None:
            return
        import importlib.util
        if importlib.util.find_spec("PIL") is None:
            _say_once("images", "TensorBoard(write_images=True): encoding the weight images needs Pillow (pip install "
                                "\"kerasfront[tensorboard]\" or pip install Pillow); no images are written.")
            return
        writer.image(tag, _to_uint8(img)[:3], epoch)


def _scalar(value):
    """A Python float from a log value (Tensors, numpy scalars, 0-d arrays), or None for anything else."""
    if isinstance(value, ag.Tensor):
        value = value.data
    if isinstance(value, (np.ndarray, np.generic)):
        if value.size != 1:
            return None
        value = value.reshape(()).item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
