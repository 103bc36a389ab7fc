"""What the ``*_dataset_from_directory`` utilities share (listing a directory of class folders, labels, the
training/validation split), and ``split_dataset``.

The listing follows tf.keras exactly, so the same directory and ``seed`` give the same ``file_paths``, labels
and ``class_names``: class folders in sorted order (hidden ones skipped), each walked recursively in sorted
order, files kept by extension (case-insensitive), then shuffled with ``np.random.RandomState(seed)``.

Example:
    >>> paths, labels, class_names = index_directory("photos", "inferred", formats=(".png",), shuffle=False)
"""
import os
import random

import numpy as np

from .dataset import Dataset
from .io_utils import print_msg

__all__ = ["index_directory", "split_dataset"]


def check_common_args(labels, label_mode, class_names, who, what):
    """Validate ``labels`` / ``label_mode`` / ``class_names`` as tf.keras does; returns ``(labels, label_mode)``
    with both None when either is None."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f"{who}: the `labels` argument should be a list/tuple of integer labels, of the same "
                             f"size as the number of {what} files in the target directory. If you wish to infer the "
                             f'labels from the subdirectory names in the target directory, pass `labels="inferred"`. '
                             f"If you wish to get a dataset that only contains {what} samples (no labels), pass "
                             f"`labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError(f'{who}: you can only pass `class_names` if `labels="inferred"`. Received: '
                             f"labels={labels}, and class_names={class_names}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'{who}: the `label_mode` argument must be one of "int", "categorical", "binary", or None. '
                         f"Received: label_mode={label_mode}")
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """The errors tf.keras gives for inconsistent ``validation_split`` / ``subset`` / ``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, to "
                         "make sure that there is no overlap between the training and validation subset.")


def _valid_files(directory, follow_links, formats):
    walk = sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0])
    for root, _, files in walk:
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False):
    """List the files of ``directory`` with their labels, as tf.keras does.

    Args:
        directory: the folder; with ``labels="inferred"`` each subfolder is a class.
        labels: ``"inferred"``, None, or a list of integer labels (one per file, in sorted path order).
        formats: the file extensions to keep, lower case (e.g. ``(".png", ".jpg")``).
        class_names: the class folders in label order (default: sorted); must name exactly the subfolders.
        shuffle: shuffle files and labels together with ``np.random.RandomState(seed)``; otherwise sorted.
        seed: the shuffle's seed (default: drawn from numpy's global generator, as tf.keras).
        follow_links: descend into symbolic links to folders.

    Returns:
        ``(file_paths, labels, class_names)``: paths under ``directory``, an int32 array (or the given labels,
        reordered), the class names.

    Example:
        >>> paths, labels, names = index_directory("texts", "inferred", formats=(".txt",), shuffle=False)
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"The directory {directory!r} does not exist or is not a folder")
    if labels != "inferred":
        subdirs = [""]
        class_names = subdirs
    else:
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if not class_names:
            class_names = subdirs
        else:
            class_names = list(class_names)
            if set(class_names) != set(subdirs):
                raise ValueError(f"The `class_names` passed did not match the names of the subdirectories of the "
                                 f"target directory. Expected: {subdirs}, but received: {class_names}")
    class_indices = {name: i for i, name in enumerate(class_names)}
    filenames, label_list = [], []
    for subdir in subdirs:
        folder = os.path.join(directory, subdir)
        for root, name in _valid_files(folder, follow_links, formats):
            filenames.append(os.path.join(subdir, os.path.relpath(os.path.join(root, name), folder)))
            label_list.append(class_indices[subdir])
    if labels not in ("inferred", None):
        if len(labels) != len(filenames):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in the target "
                             f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files in "
                             f"directory {directory}.")
        class_names = sorted(set(labels))
        labels = list(labels)        # the caller's list is never reordered
    else:
        labels = np.asarray(label_list, dtype="int32")
    if labels is None:
        print_msg(f"Found {len(filenames)} files.")
    else:
        print_msg(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, list(class_names)


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The training part (all but the last ``int(validation_split * n)``) or the validation part (that last
    fraction) of ``samples`` and ``labels``; everything without ``validation_split``."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - num_val} files for training.")
        return samples[:len(samples) - num_val], None if labels is None else labels[:len(samples) - num_val]
    if subset == "validation":
        print_msg(f"Using {num_val} files for validation.")
        return samples[len(samples) - num_val:], None if labels is None else labels[len(samples) - num_val:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def encode_labels(labels, label_mode, num_classes):
    """The label array of a directory dataset: int as given (int32), ``binary`` float32 of shape ``(n, 1)``,
    ``categorical`` one-hot float32."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "iub":
        labels = labels.astype("int32")
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if label_mode == "categorical":
        out = np.zeros((len(labels), num_classes), dtype="float32")
        out[np.arange(len(labels)), labels.astype("int64")] = 1.0
        return out
    return labels


def files_dataset(file_paths, labels, label_mode, num_classes, load):
    """A Dataset of ``load(path)`` (or ``(load(path), label)``) elements, reading each file when asked for."""
    paths = list(file_paths)
    data = Dataset.from_tensor_slices(np.arange(len(paths))).map(lambda i: load(paths[int(i)]))
    if label_mode:
        return Dataset.zip((data, Dataset.from_tensor_slices(encode_labels(labels, label_mode, num_classes))))
    return data


def batch_and_shuffle(dataset, batch_size, shuffle, seed):
    """As the directory utilities finish: a shuffle buffer of ``8 * batch_size`` (1024 unbatched), then the
    batches."""
    if batch_size is not None:
        if shuffle:
            dataset = dataset.shuffle(buffer_size=batch_size * 8, seed=seed)
        return dataset.batch(batch_size)
    if shuffle:
        dataset = dataset.shuffle(buffer_size=1024, seed=seed)
    return dataset


def check_batch_size(batch_size, who):
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                   or batch_size < 1):
        raise ValueError(f"{who}(batch_size=...): expected a positive int or None, received {batch_size!r}")


def make_directory_datasets(who, what, found, directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                            validation_split, subset, follow_links, formats, load, finish=None):
    """The common body of the ``*_dataset_from_directory`` utilities: list, split, load lazily, shuffle, batch;
    one Dataset, or ``[train, validation]`` for ``subset="both"``. Each gets ``class_names`` and
    ``file_paths``. ``what`` is the kind of sample ("image"), ``found`` the files' name ("images")."""
    labels, label_mode = check_common_args(labels, label_mode, class_names, who, what)
    check_batch_size(batch_size, who)
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, labels, class_names = index_directory(directory, labels, formats=formats, class_names=class_names,
                                                      shuffle=shuffle, seed=seed, follow_links=follow_links)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f"class_names={class_names}")
    allowed = ", ".join(formats)
    parts = [("training", shuffle), ("validation", False)] if subset == "both" else [(subset, shuffle)]
    out = []
    for part, part_shuffle in parts:
        paths, part_labels = get_training_or_validation_split(file_paths, labels, validation_split, part)
        if not paths:
            kind = f"{part} " if subset == "both" else ""
            folders = "" if labels is None else " (its class folders hold none)"
            raise ValueError(f"No {kind}{found} found in directory {directory}{folders}. Allowed format(s): "
                             f"{allowed}")
        ds = files_dataset(paths, part_labels, label_mode, len(class_names), load)
        ds = finish(ds, batch_size, part_shuffle, seed) if finish else batch_and_shuffle(ds, batch_size,
                                                                                         part_shuffle, seed)
        ds.class_names = list(class_names)
        ds.file_paths = list(paths)
        out.append(ds)
    return out if subset == "both" else out[0]


# -- split_dataset ---------------------------------------------------------------------------------------------

def _split_sizes(left_size, right_size, total):
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                                                     np.floating))):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: type({name})="
                            f"{type(value)}")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. Received: "
                         "left_size=None and right_size=None")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the split sizes must be "
                         "non-zero.")
    sizes = {}
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is None:
            sizes[name] = None
            continue
        if isinstance(value, (int, np.integer)):
            if value <= 0 or value >= total:
                raise ValueError(f"`{name}` should be either a positive integer smaller than {total}, or a float "
                                 f"within the range `[0, 1]`. Received: {name}={value}")
            sizes[name] = int(value)
        else:
            if value <= 0 or value >= 1:
                raise ValueError(f"`{name}` should be either a positive integer smaller than {total}, or a float "
                                 f"within the range `[0, 1]`. Received: {name}={value}")
            sizes[name] = round(float(value) * total)
    if isinstance(left_size, float) and isinstance(right_size, float) and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal "
                         "to 1.")
    left, right = sizes["left_size"], sizes["right_size"]
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total}. Received: "
                         f"left_size + right_size = {left + right} and total_length = {total}")
    for side, size in (("left", left), ("right", right)):
        if size == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}. "
                             f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned "
                             f"parameters")
    return left, right


def _samples_of(dataset):
    """The samples of ``dataset`` as a list (a batched Dataset is unbatched), and a function that packs a list
    of samples back into the arrays ``Dataset.from_tensor_slices`` takes."""
    if isinstance(dataset, Dataset):
        source = dataset.unbatch() if dataset._batch_size is not None else dataset
        samples = list(source.as_numpy_iterator())
        if not samples:
            raise ValueError("Received an empty Dataset. `dataset` must be a non-empty list/tuple of `numpy.ndarray` "
                             "objects or a Dataset.")
        first = samples[0]
        if isinstance(first, dict):
            return samples, lambda part: {k: np.stack([s[k] for s in part]) for k in first}
        if isinstance(first, tuple):
            return samples, lambda part: tuple(np.stack(column) for column in zip(*part))
        return samples, lambda part: np.stack(part)
    if isinstance(dataset, np.ndarray):
        if dataset.ndim == 0 or len(dataset) == 0:
            raise ValueError("Received an empty array; `dataset` must hold at least one sample")
        return list(dataset), lambda part: np.stack(part)
    if isinstance(dataset, (list, tuple)):
        kind = type(dataset).__name__
        if len(dataset) == 0:
            raise ValueError(f"Received an empty {kind} dataset. Please provide a non-empty {kind} of arrays.")
        arrays = [np.asarray(a) for a in dataset]
        if not isinstance(dataset[0], np.ndarray):
            raise ValueError(f"Expected a {kind} of `numpy.ndarray` objects, Received: {type(dataset[0])}")
        for i, a in enumerate(arrays):
            if a.ndim == 0 or a.shape[0] != arrays[0].shape[0]:
                raise ValueError(f"Received a {kind} of NumPy arrays with different lengths. Mismatch found at index "
                                 f"{i}, Expected shape={arrays[0].shape} Received shape={a.shape}. Please provide a "
                                 f"{kind} of NumPy arrays with the same length.")
        samples = list(zip(*arrays))
        return samples, lambda part: tuple(np.stack(column) for column in zip(*part))
    raise TypeError(f"The `dataset` argument must be either a Dataset object or a list/tuple of arrays (or an "
                    f"array). Received: dataset={dataset!r} of type {type(dataset)}")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split a dataset (a Dataset, an array, or a list/tuple of arrays of one length) into a left and a right
    Dataset, as tf.keras does: sizes as counts (ints) or fractions (floats, rounded), an optional shuffle
    first (Python's ``random`` seeded with ``seed``, so the split equals tf.keras's), and the batch size of a
    batched Dataset kept.

    Example:
        >>> left, right = split_dataset(np.random.random((1000, 4)), left_size=0.8)
        >>> int(left.cardinality()), int(right.cardinality())
        (800, 200)
    """
    samples, pack = _samples_of(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.seed(seed)
        random.shuffle(samples)
    left, right = _split_sizes(left_size, right_size, len(samples))
    left_ds = Dataset.from_tensor_slices(pack(samples[:left]))
    right_ds = Dataset.from_tensor_slices(pack(samples[len(samples) - right:]))
    if isinstance(dataset, Dataset) and dataset._batch_size is not None:
        left_ds, right_ds = left_ds.batch(dataset._batch_size), right_ds.batch(dataset._batch_size)
    return left_ds, right_ds
