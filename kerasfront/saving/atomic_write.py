"""Write a file so that a crash never leaves a damaged file where a good one was.

The data goes to a temporary file in the destination folder; once it is complete it is flushed to disk
(``fsync``) and renamed over the destination with ``os.replace``, which is atomic on POSIX and Windows. A
process killed at any moment leaves either the previous file or the new one (plus, at worst, a stray
``.<name>.*.tmp`` file next to it).

Example:
    >>> if confirm_overwrite("model.h5", overwrite=False):
    ...     with atomic_write("model.h5") as tmp_path:
    ...         write_everything_to(tmp_path)
"""
import contextlib
import os
import sys
import tempfile

__all__ = ["atomic_write", "confirm_overwrite", "ask_to_proceed_with_overwrite", "OverwriteRefusedError"]


class OverwriteRefusedError(FileExistsError, ValueError):
    """Raised when ``overwrite=False``, the file exists and there is no terminal to ask the user.

    Example:
        >>> issubclass(OverwriteRefusedError, FileExistsError), issubclass(OverwriteRefusedError, ValueError)
        (True, True)
    """


def ask_to_proceed_with_overwrite(filepath):
    """Ask on the terminal whether to overwrite ``filepath``; True to proceed.

    Raises ``OverwriteRefusedError`` when standard input is not a terminal (a script, a notebook kernel, a
    test run), because nobody could answer.

    Example:
        >>> ask_to_proceed_with_overwrite("model.h5")   # prompts "[WARNING] model.h5 already exists ..."
    """
    stdin = sys.stdin
    try:
        interactive = stdin is not None and stdin.isatty()
    except (AttributeError, ValueError, OSError):
        interactive = False
    if not interactive:
        raise OverwriteRefusedError(
            f"Not saving to '{filepath}': the file already exists and overwrite=False, and there is no terminal "
            f"to ask whether to replace it. Pass overwrite=True to replace it, or choose another path.")
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        print("[TIP] Next time specify overwrite=True!")
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def confirm_overwrite(filepath, overwrite):
    """True when it is fine to write ``filepath``: it does not exist, ``overwrite`` is True, or the user said
    yes on the terminal. A directory in the way is an error.

    Args:
        filepath: the destination path.
        overwrite: whether an existing file may be replaced without asking.

    Returns:
        True to go ahead, False when the user answered "n".

    Example:
        >>> import os, tempfile
        >>> confirm_overwrite(os.path.join(tempfile.mkdtemp(), "model.h5"), overwrite=False)   # nothing there yet
        True
    """
    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to '{filepath}': it is a directory; pass a file path such as "
                                f"'{os.path.join(filepath, 'model.h5')}'")
    if not isinstance(overwrite, (bool, int)):
        raise TypeError(f"overwrite: expected True or False, received {overwrite!r}")
    if overwrite or not os.path.exists(filepath):
        return True
    return ask_to_proceed_with_overwrite(filepath)


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # NOTE: some platforms (Windows) cannot open a directory; the rename is still atomic there.
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _final_mode(filepath):
    """The permission bits the file would get if created normally (or keeps, if it exists)."""
    try:
        return os.stat(filepath).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(filepath):
    """Yield a temporary path next to ``filepath``; when the block ends without error, fsync it and rename it
    over ``filepath``. On error the temporary file is removed and ``filepath`` is untouched. Missing parent
    folders are created (as tf.keras does).

    Example:
        >>> with atomic_write("ckpt/model.h5") as tmp:
        ...     h5py.File(tmp, "w").close()
    """
    filepath = os.path.abspath(os.fspath(filepath))
    folder = os.path.dirname(filepath)
    os.makedirs(folder, exist_ok=True)
    mode = _final_mode(filepath)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(filepath) + ".", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(folder)
