"""The one reader the data set loaders share: a file from Keras's cache folder, downloaded once from Keras's
URL (through ``kerasfront.utils.get_file``, hash checked) when missing.

The cache is the one tf.keras uses (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``), so a machine that ever
ran Keras has the files. Offline and missing, the error names the file, its URL and where to put it.

Example:
    >>> path = fetch("mnist.npz", BASE_URL + "mnist.npz", file_hash=None, who="mnist.load_data")  # doctest: +SKIP
"""
import os

from ..utils.data_utils import get_file, keras_home

__all__ = ["BASE_URL", "fetch"]

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def fetch(fname, origin, file_hash=None, cache_dir=None, cache_subdir="datasets", untar=False, who="load_data"):
    """The local path of ``fname`` (a folder with ``untar``: an already extracted folder is used as it is),
    downloading it from ``origin`` into the cache when it is missing or its hash is not ``file_hash``.

    Raises:
        FileNotFoundError: the file is missing and could not be downloaded; the message says where to put it.
    """
    if cache_dir:
        cache_dir = os.path.expanduser(os.fspath(cache_dir))
        os.makedirs(cache_dir, exist_ok=True)
    base = cache_dir or keras_home()
    where = os.path.join(base, cache_subdir, fname + (".tar.gz" if untar else ""))
    if untar:
        folder = os.path.join(base, cache_subdir, fname)
        if os.path.isdir(folder) and not os.path.exists(where):
            return folder
    try:
        return get_file(fname, origin=origin, file_hash=file_hash, cache_subdir=cache_subdir, untar=untar,
                        cache_dir=cache_dir)
    except OSError as e:
        raise FileNotFoundError(
            f"{who}: {os.path.basename(where)} is not in Keras's cache folder and could not be downloaded from "
            f"{origin} ({e.__cause__ or e}).\nDownload it where there is a network (tf.keras downloads the same "
            f"file) and put it at {where} (the cache folder is $KERAS_HOME, default ~/.keras, or cache_dir=...)."
        ) from None
