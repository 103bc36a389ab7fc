"""``audio_dataset_from_directory``: a batched Dataset of WAV audio (and labels) from a folder of class folders.

WAV files are read with Python's standard ``wave`` module (16-bit PCM, as ``tf.audio.decode_wav`` requires) and
scaled to float32 in [-1, 1) by 1/32768; an element is ``(samples, channels)``. Without
``output_sequence_length`` a batch is padded with zeros to its longest clip (as tf.keras's ``padded_batch``);
with it, every clip is cut or zero-padded to that length.

Example:
    >>> train = audio_dataset_from_directory("speech_commands", batch_size=16, output_sequence_length=16000,
    ...                                      seed=0)
    >>> audio, labels = next(iter(train))
    >>> audio.shape
    (16, 16000, 1)
"""
import wave

import numpy as np

from . import dataset_utils

__all__ = ["audio_dataset_from_directory", "read_wav"]

ALLOWED_FORMATS = (".wav",)


def read_wav(path, desired_samples=-1):
    """A WAV file as float32 ``(samples, channels)`` in [-1, 1), and its sampling rate, as
    ``tf.audio.decode_wav`` reads it (16-bit PCM; ``desired_samples`` cuts or zero-pads).

    Example:
        >>> audio, rate = read_wav("yes.wav")         # doctest: +SKIP
    """
    try:
        with wave.open(path, "rb") as f:
            width, channels, rate = f.getsampwidth(), f.getnchannels(), f.getframerate()
            frames = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"Could not read the WAV file {path}: {e} (expected a 16-bit PCM WAV file)") from None
    if width != 2:
        raise ValueError(f"Could not read the WAV file {path}: it holds {8 * width}-bit samples; only 16-bit PCM "
                         f"is supported, as tf.audio.decode_wav")
    samples = np.frombuffer(frames, dtype="<i2")
    samples = samples[:len(samples) - len(samples) % channels].reshape(-1, channels)
    audio = samples.astype(np.float32) / np.float32(32768.0)
    if desired_samples is not None and desired_samples >= 0:
        if len(audio) >= desired_samples:
            audio = audio[:desired_samples]
        else:
            audio = np.concatenate([audio, np.zeros((desired_samples - len(audio), channels), np.float32)])
    return audio, rate


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False):
    """A Dataset of audio batches (and labels) from the ``.wav`` files of ``directory``, as
    ``tf.keras.utils.audio_dataset_from_directory``.

    Args:
        directory: the folder; with ``labels="inferred"`` each subfolder is a class.
        labels, label_mode, class_names, batch_size, shuffle, seed, validation_split, subset, follow_links:
            as ``image_dataset_from_directory``.
        sampling_rate: not supported (tf.keras needs tensorflow-io to resample); an error names it.
        output_sequence_length: cut or zero-pad every clip to this many samples.
        ragged: not supported (kerasfront has no ragged arrays): an error names it; without
            ``output_sequence_length`` batches are zero-padded to their longest clip instead.

    Returns:
        A ``kerasfront.utils.Dataset`` with ``class_names`` and ``file_paths`` (two for ``subset="both"``), of
        ``(audio, labels)`` batches, audio float32 ``(batch, samples, channels)``.

    Example:
        >>> ds = audio_dataset_from_directory("clips", output_sequence_length=8000, batch_size=4, shuffle=False)
    """
    if ragged:
        if output_sequence_length is not None:
            raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
        raise ValueError("audio_dataset_from_directory(ragged=True): kerasfront has no ragged arrays; leave "
                         "ragged=False to get batches zero-padded to their longest clip, or set "
                         "output_sequence_length")
    if sampling_rate is not None:
        raise ValueError(f"audio_dataset_from_directory(sampling_rate={sampling_rate!r}): resampling is not "
                         f"supported (tf.keras does it with tensorflow-io); resample the files beforehand and leave "
                         f"sampling_rate=None")
    if output_sequence_length is not None and (isinstance(output_sequence_length, bool) or not isinstance(
            output_sequence_length, (int, np.integer)) or output_sequence_length < 1):
        raise ValueError(f"audio_dataset_from_directory(output_sequence_length=...): expected None or a positive "
                         f"int, received {output_sequence_length!r}")
    desired = -1 if output_sequence_length is None else int(output_sequence_length)

    def load(path):
        return read_wav(path, desired)[0]

    def finish(ds, batch_size, shuffle, seed):
        if batch_size is None:
            return dataset_utils.batch_and_shuffle(ds, None, shuffle, seed)
        if shuffle:
            ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
        return ds.padded_batch(batch_size) if output_sequence_length is None else ds.batch(batch_size)
    return dataset_utils.make_directory_datasets(
        "audio_dataset_from_directory", "audio", "audio files", directory, labels, label_mode, class_names,
        batch_size, shuffle, seed, validation_split, subset, follow_links, ALLOWED_FORMATS, load, finish=finish)
