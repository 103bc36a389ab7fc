"""Sequence (a dataset of batches that ``fit``, ``evaluate`` and ``predict`` index batch by batch) and
``get_file`` (download once into Keras's cache folder).

Example:
    >>> class Batches(Sequence):
    ...     def __init__(self, x, y, batch_size): self.x, self.y, self.bs = x, y, batch_size
    ...     def __len__(self): return math.ceil(len(self.x) / self.bs)
    ...     def __getitem__(self, i): return self.x[i*self.bs:(i+1)*self.bs], self.y[i*self.bs:(i+1)*self.bs]
    >>> model.fit(Batches(x, y, 32), epochs=2)
"""
import hashlib
import os
import tarfile
import urllib.error
import warnings
import zipfile
from urllib.parse import urlsplit
from urllib.request import urlretrieve

from .io_utils import print_msg


class Sequence:
    """Base class for batch datasets: implement ``__getitem__(index)`` (a batch ``(x, y)`` or
    ``(x, y, sample_weight)``) and ``__len__()`` (batches per epoch); ``on_epoch_end`` runs after each epoch.

    Example:
        >>> class Pairs(Sequence):
        ...     def __len__(self): return 2
        ...     def __getitem__(self, i): return np.full((3, 2), i, "float32"), np.zeros((3, 1), "float32")
        >>> len(Pairs()), Pairs()[1][0].shape
        (2, (3, 2))
    """

    def __init__(self, *args, **kwargs):
        # NOTE: tf.keras's Sequence takes no arguments; Keras 3's PyDataset takes these three by keyword.
        if args:
            raise TypeError(f"{type(self).__name__}: Sequence takes no positional arguments (received {len(args)}); "
                            f"workers, use_multiprocessing and max_queue_size go by keyword")
        unknown = sorted(set(kwargs) - {"workers", "use_multiprocessing", "max_queue_size"})
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {unknown}; Sequence accepts "
                            f"workers, use_multiprocessing and max_queue_size")
        self.workers = kwargs.get("workers", 1)
        self.use_multiprocessing = kwargs.get("use_multiprocessing", False)
        self.max_queue_size = kwargs.get("max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index) returning a batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__() returning the number of batches")

    def on_epoch_end(self):
        """Called at the end of every epoch (shuffle here if you want to)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


PyDataset = Sequence


# -- get_file: download once into Keras's cache folder ---------------------------------------------------------

def keras_home():
    """Keras's folder: ``$KERAS_HOME`` when set, otherwise ``~/.keras`` (data sets go to its ``datasets/``).

    Example:
        >>> os.path.join(keras_home(), "datasets", "mnist.npz")    # where mnist.load_data() keeps its file
    """
    home = os.environ.get("KERAS_HOME")
    return os.path.expanduser(home) if home else os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm, file_hash=None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"hash_algorithm={algorithm!r}: expected 'sha256', 'md5' or 'auto'")


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file (``"sha256"`` or ``"md5"``).

    Example:
        >>> hash_file("/data/mnist.npz")[:8]    # doctest: +SKIP
        '731c5ac6'
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """True when the file's hash is ``file_hash`` (``"auto"``: sha256 for a 64-character hash, else md5).

    Example:
        >>> validate_file("/data/mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
        True
    """
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def _inside(path, base):
    path, base = os.path.realpath(path), os.path.realpath(base)
    return path == base or path.startswith(base + os.sep)


def _safe_tar_members(archive, target):
    """The members that stay inside ``target`` once extracted (others are skipped with a warning, as tf.keras
    does: absolute paths, ``..``, links pointing outside)."""
    for member in archive:
        dest = os.path.join(target, member.name)
        ok = _inside(dest, target)
        if ok and (member.issym() or member.islnk()):
            link_base = os.path.dirname(dest) if member.issym() else target
            ok = _inside(os.path.join(link_base, member.linkname), target)
        if ok:
            yield member
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: '{member.name}'.")


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (any compression) or zip file into ``path``; True when it was one of the formats asked for.

    Example:
        >>> extract_archive("photos.tar.gz", "/tmp/photos")    # doctest: +SKIP
        True
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    for fmt in formats:
        if fmt not in ("tar", "zip"):
            raise ValueError(f"archive_format={archive_format!r}: expected 'auto', 'tar', 'zip', None or a list of "
                             f"them")
    file_path, path = os.fspath(file_path), os.fspath(path)
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                members = list(_safe_tar_members(archive, path))
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(path, members=members, filter="data")
                else:       # pragma: no cover - Python < 3.11.4
                    archive.extractall(path, members=members)
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                archive.extractall(path)        # zipfile drops absolute paths and '..' itself
            return True
    return False


class _DownloadProgress:
    """urlretrieve's report hook drawing a Progbar (bytes; unknown total when the server does not say)."""

    def __init__(self):
        self.bar = None
        self.done = False

    def __call__(self, block_num, block_size, total_size):
        from .progbar import Progbar
        if self.bar is None:
            self.bar = Progbar(total_size if total_size and total_size > 0 else None)
        current = block_num * block_size
        if self.bar.target is None or current < self.bar.target:
            self.bar.update(current)
        elif not self.done:
            self.bar.update(self.bar.target)
            self.done = True


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None):
    """A file from ``origin``, downloaded once into Keras's cache folder and reused afterwards (as tf.keras).

    The file goes to ``cache_dir/cache_subdir/fname``; ``cache_dir`` defaults to ``$KERAS_HOME`` or ``~/.keras``
    (``/tmp/.keras`` when that is not writable), so a file tf.keras downloaded before is found here. A cached
    file whose hash differs from ``file_hash`` is downloaded again. ``origin`` may be ``https://``, ``http://``
    or ``file://``. A download shows a progress bar.

    Args:
        fname: the file's name in the cache (default: the last part of ``origin``); an absolute path is used
            as it is.
        origin: the URL to download from.
        untar: (legacy) ``fname`` names a folder that ``<fname>.tar.gz`` extracts to; returns the folder.
        md5_hash: (legacy) an md5 ``file_hash``.
        file_hash: the expected sha256 or md5 hex digest, checked after downloading (and of a cached file).
        cache_subdir: the subfolder of ``cache_dir`` (an absolute path is used as it is).
        hash_algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256 for a 64-character hash).
        extract: extract the file (tar or zip) into the cache subfolder.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, None, or a list.
        cache_dir: the cache folder (default ``$KERAS_HOME`` or ``~/.keras``).

    Returns:
        The path of the file (of the folder with ``untar=True``).

    Raises:
        ValueError: no ``origin``; a downloaded file whose hash is not ``file_hash``.
        OSError: the download failed (offline, missing URL); the message names the file and where to put it by
            hand.

    Example:
        >>> path = get_file("flower_photos.tgz", origin="https://example.com/flower_photos.tgz", extract=True)
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"get_file(hash_algorithm={hash_algorithm!r}): expected 'sha256', 'md5' or 'auto'")
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else keras_home()
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp", ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    fname = os.fspath(fname) if fname is not None else ""
    if not fname:
        fname = os.path.basename(urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. Please specify the "
                             f"`fname` as the input param.")
    if untar:
        if fname.endswith(".tar.gz"):
            fname = fname[:-len(".tar.gz")]
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + ".tar.gz"
    else:
        fpath = os.path.join(datadir, fname)

    download = not os.path.exists(fpath)
    if not download and file_hash is not None and not validate_file(fpath, file_hash, algorithm=hash_algorithm):
        print_msg(f"A local file was found, but it seems to be incomplete or outdated because the {hash_algorithm} "
                  f"file hash does not match the original value of {file_hash} so we will re-download the data.")
        download = True
    if download:
        _download(origin, fpath)
        if file_hash is not None and not validate_file(fpath, file_hash, algorithm=hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected. The {hash_algorithm} file hash of {fpath} "
                             f"(downloaded from {origin}) does not match the provided value of {file_hash}.")
    if untar:
        if not os.path.exists(untar_fpath):
            extract_archive(fpath, datadir, archive_format="tar")
        return untar_fpath
    if extract:
        extract_archive(fpath, datadir, archive_format)
    return fpath


def _download(origin, fpath):
    print_msg(f"Downloading data from {origin}")
    partial = fpath + ".part"
    try:
        urlretrieve(origin, partial, _DownloadProgress())
    except (urllib.error.URLError, OSError, ValueError) as e:
        if os.path.exists(partial):
            os.remove(partial)
        reason = getattr(e, "reason", None) or getattr(e, "msg", None) or e
        code = getattr(e, "code", None)
        detail = f"{code} -- {reason}" if code is not None else f"{reason}"
        raise OSError(f"URL fetch failure on {origin}: {detail}\nThe file {os.path.basename(fpath)} is not in the "
                      f"cache and could not be downloaded. If you have it, put it at {fpath} (the cache folder is "
                      f"$KERAS_HOME or ~/.keras, or pass cache_dir=...).") from e
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    os.replace(partial, fpath)
