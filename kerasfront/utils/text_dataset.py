"""``text_dataset_from_directory``: a batched Dataset of texts (and labels) from a folder of class folders.

Texts come as numpy object arrays of ``bytes`` (as ``tf.string`` batches come out of tf.keras), read from each
``.txt`` file when its batch is asked for; ``max_length`` keeps the first that many bytes.

Example:
    >>> train, val = text_dataset_from_directory("aclImdb/train", validation_split=0.2, subset="both", seed=42)
    >>> texts, labels = next(iter(train))
    >>> texts.shape, labels.dtype
    ((32,), dtype('int32'))
"""
import numpy as np

from . import dataset_utils

__all__ = ["text_dataset_from_directory"]


def _read_text(path, max_length):
    with open(path, "rb") as f:
        data = f.read() if max_length is None else f.read(max_length)
    out = np.empty((), dtype=object)
    out[()] = data
    return out


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False):
    """A Dataset of text batches (and labels) from the ``.txt`` files of ``directory``, as
    ``tf.keras.utils.text_dataset_from_directory``.

    Args:
        directory: the folder; with ``labels="inferred"`` each subfolder is a class (texts may be nested).
        labels: ``"inferred"``, None (texts only), or a list of integer labels in sorted file-path order.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None.
        class_names: the class folders, in label order.
        batch_size: texts per batch; None yields single texts.
        max_length: keep at most this many bytes of each text.
        shuffle, seed, validation_split, subset, follow_links: as ``image_dataset_from_directory``.

    Returns:
        A ``kerasfront.utils.Dataset`` with ``class_names`` and ``file_paths`` (two for ``subset="both"``), of
        ``(texts, labels)`` batches: texts a 1-D object array of ``bytes``.

    Example:
        >>> ds = text_dataset_from_directory("reviews", batch_size=8, shuffle=False, max_length=200)
    """
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer))
                                   or max_length < 0):
        raise ValueError(f"text_dataset_from_directory(max_length=...): expected None or an int >= 0, received "
                         f"{max_length!r}")

    def load(path):
        return _read_text(path, max_length)
    return dataset_utils.make_directory_datasets(
        "text_dataset_from_directory", "text", "text files", directory, labels, label_mode, class_names, batch_size,
        shuffle, seed, validation_split, subset, follow_links, (".txt",), load)
