"""Helpers for tests that edit saved ``.h5`` files by hand with h5py, as a crafted file (or one changed by
someone else) would come: without kerasfront's checksums, which an edit would otherwise break (a kerasfront
file changed after saving is refused as damaged; see ``tests/kerasfront/test_saving_checksums.py``).

Example:
    >>> with h5py.File(path, "r+") as f:
    ...     f.attrs["model_config"] = edited
    ...     strip_checksums(f)
"""
import h5py

from kerasfront.saving.checksums import CHECKSUM_ATTR


def strip_checksums(f):
    """Delete kerasfront's checksum attribute(s) from the root of ``f`` (an h5py file open for writing, or a
    path); returns how many were deleted.

    Example:
        >>> strip_checksums("model.h5")
        1
    """
    if not isinstance(f, h5py.File):
        with h5py.File(f, "r+") as g:
            return strip_checksums(g)
    names = [n for n in f.attrs if n == CHECKSUM_ATTR or (n.startswith(CHECKSUM_ATTR)
                                                          and n[len(CHECKSUM_ATTR):].isdigit())]
    for n in names:
        del f.attrs[n]
    return len(names)
