"""Checksums of everything in a kerasfront ``.h5`` file, so that accidental damage is an error and never a
model with other numbers.

HDF5 keeps no checksum of a dataset's bytes or of a variable-length string (where tf.keras's name lists and
JSON configurations live), so one flipped byte on disk can change a weight or turn ``"mse"`` into ``"mae"``
without a word. kerasfront's files therefore carry, as the root attribute ``kerasfront_checksums`` (a list of
strings, split into ``kerasfront_checksums0``, ``1``, ... over 64 KB as tf.keras splits its attributes), one
CRC-32 per dataset (its dtype, shape and bytes) and per attribute of every group and dataset: every weight,
the optimizer's weights, ``model_config``, ``training_config``, ``layer_names`` and ``weight_names``.

kerasfront also writes its ``.h5`` files in HDF5's 1.8 format (``libver="v108"``), whose object headers carry
HDF5's own checksums, so the attribute that holds these checksums cannot disappear unnoticed either.
tf.keras reads such files and ignores the extra attribute; files from tf.keras carry none and load as before.

Loading verifies every entry when the attribute is present and names each object that does not match.

# NOTE: this catches accidental damage (a bad disk, a cut download), not a crafted file: whoever crafts a
# file can write matching checksums. Isolated reading and safe mode are what protect against those.

Example:
    >>> with h5py.File("model.h5", "w", libver=LIBVER) as f:
    ...     write_everything(f)
    ...     add_checksums(f)
    >>> verify_checksums(snapshot_root, "model.h5")     # True, or SavedFileError naming what changed
    True
"""
import json
import zlib

import numpy as np

from . import h5_reader
from .h5_utils import SavedFileError, read_str_list, write_str_list

__all__ = ["CHECKSUM_ATTR", "LIBVER", "add_checksums", "verify_checksums", "has_checksums"]

CHECKSUM_ATTR = "kerasfront_checksums"
#: the HDF5 format kerasfront writes .h5 files in: 1.8's, whose metadata carries checksums (HDF5 >= 1.8 reads it)
LIBVER = ("v108", "v108")
_HEADER = ["kerasfront-checksums", 1, "crc32"]


def _is_checksum_attr(name):
    return name == CHECKSUM_ATTR or (name.startswith(CHECKSUM_ATTR) and name[len(CHECKSUM_ATTR):].isdigit())


def _crc(parts):
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return f"{crc:08x}"


def attribute_digest(meta, blob):
    """CRC-32 of an attribute value in ``h5_reader.encode_value``'s canonical form.

    Example:
        >>> attribute_digest(*h5_reader.encode_value("mse")) != attribute_digest(*h5_reader.encode_value("mae"))
        True
    """
    return _crc([json.dumps(meta, sort_keys=True, separators=(",", ":")).encode("utf-8"), b"\0", bytes(blob)])


def array_digest(array, stored=None):
    """CRC-32 of an array's dtype, shape and bytes (as stored); ``stored``: those bytes, when ``array`` only
    stands for the dtype and shape.

    Example:
        >>> array_digest(np.zeros(2, "<f4")) != array_digest(np.zeros((1, 2), "<f4"))
        True
    """
    head = json.dumps([np.dtype(array.dtype).str, [int(d) for d in array.shape]],
                      separators=(",", ":")).encode("utf-8")
    if stored is None:
        array = np.ascontiguousarray(array)
        stored = memoryview(array.reshape(-1).view(np.uint8))
    return _crc([head, b"\0", stored])


def _objects(root):
    return root.iter_objects()


def _entries(root):
    """``[kind, object path, (attribute name,) digest]`` for every attribute and dataset under ``root``; a
    dataset stored as plain bytes is summed where it lies in the file (mapped, not copied)."""
    from .h5_snapshot import Dataset
    out = []
    for path, obj in _objects(root):
        for name in obj.attrs:
            if path == "/" and _is_checksum_attr(name):
                continue
            out.append(["a", path, name, attribute_digest(*obj.attrs.canonical(name))])
        if isinstance(obj, Dataset):
            stored = obj.stored_view()
            out.append(["d", path, array_digest(obj, stored) if stored is not None else array_digest(obj.read())])
            del stored
    return out


def add_checksums(f):
    """Add the ``kerasfront_checksums`` attribute to the root of ``f`` (an h5py file open for writing), covering
    every attribute and dataset the file holds now, as the reader will see them.

    Example:
        >>> with h5py.File(path, "w", libver=LIBVER) as f:
        ...     f["w"] = np.ones(3); add_checksums(f)
    """
    from .h5_snapshot import DataSource, decode_frame
    for name in [n for n in f.attrs if _is_checksum_attr(n)]:
        del f.attrs[name]                                  # a record written before (it may have had more parts)
    f.flush()                                              # every byte is in the file: read it as a loader will
    header, blobs = h5_reader.describe(f)
    source = DataSource(path=f.filename)
    try:
        root = decode_frame(h5_reader.frame(header, blobs), f.filename, source)
        lines = [json.dumps(_HEADER)] + [json.dumps(e, ensure_ascii=True) for e in _entries(root)]
    finally:
        source.close()
    write_str_list(f, CHECKSUM_ATTR, lines)


def has_checksums(root):
    """True when the file's root carries kerasfront's checksum attribute.

    Example:
        >>> has_checksums(snapshot_root)
        True
    """
    return any(_is_checksum_attr(name) for name in root.attrs)


def _parse(root, path):
    lines = read_str_list(root, CHECKSUM_ATTR, path)
    try:
        entries = [json.loads(line) for line in lines]
    except (ValueError, RecursionError):
        entries = None
    if not entries or entries[0] != _HEADER or not all(
            isinstance(e, list) and all(isinstance(x, str) for x in e) and
            ((len(e) == 4 and e[0] == "a") or (len(e) == 3 and e[0] == "d")) for e in entries[1:]):
        raise SavedFileError(f"File '{path}' is damaged: its checksum record (the '{CHECKSUM_ATTR}' attribute "
                             f"kerasfront writes) cannot be read, so its contents cannot be verified")
    return entries[1:]


def verify_checksums(root, path):
    """Check every checksum recorded in the file; False when it has none (a tf.keras file), True when all match.
    A ``SavedFileError`` lists the objects that are missing, unreadable or changed.

    Args:
        root: the root ``Group`` of the file's snapshot.
        path: the file's path, for the messages.

    Example:
        >>> verify_checksums(root, "model.h5")
        True
    """
    from .h5_snapshot import Dataset
    if not has_checksums(root):
        return False
    problems = []
    for entry in _parse(root, path):
        kind, where = entry[0], entry[1]
        what = f"dataset '{where}'" if kind == "d" else f"attribute '{entry[2]}' of '{where}'"
        try:
            obj = root.get(where)
            if obj is None or (kind == "d" and not isinstance(obj, Dataset)):
                problems.append(f"{what} (missing)")
                continue
            if kind == "a":
                if entry[2] not in obj.attrs:
                    problems.append(f"{what} (missing)")
                    continue
                digest = attribute_digest(*obj.attrs.canonical(entry[2]))
            else:
                digest = array_digest(obj.read())
        except SavedFileError as e:
            problems.append(f"{what} (unreadable: {str(getattr(e, 'reason', e))[:160]})")
            continue
        if digest != entry[-1]:
            problems.append(f"{what} (changed: its checksum does not match)")
    if problems:
        shown = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
        raise SavedFileError(f"File '{path}' is damaged: {len(problems)} part(s) do not match the checksums "
                             f"kerasfront wrote when saving it: {shown}. Its numbers cannot be trusted; use a "
                             f"backup or save the model again. (If you changed the file on purpose with h5py, "
                             f"delete its '{CHECKSUM_ATTR}' attribute.)")
    return True
