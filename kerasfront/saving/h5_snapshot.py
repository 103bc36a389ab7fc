"""An HDF5 file as plain Python objects, decoded from the frame ``h5_reader`` writes: what loading reads
instead of the file itself.

``Group`` and ``Dataset`` answer the part of h5py's API that loading uses (``attrs``, ``name``, ``keys``,
``get(name, getlink=True)``, ``in``, ``[]``, ``visititems``, ``shape``, ``dtype``, ``ds[()]``), so the loaders
work on a snapshot or on an open h5py file alike. Nothing here calls HDF5: attributes come from the frame,
and the values of contiguous datasets are read from the file's bytes at the offset the reader reported, after
checking that they lie inside the file.

Anything the reader could not read (a damaged object, attribute or link) is kept as an error and raised as
a ``SavedFileError`` naming the file and the object when loading touches it.

Example:
    >>> with open_snapshot("model.h5") as root:
    ...     print(root.attrs["keras_version"], root["model_weights"].attrs["layer_names"])
"""
import contextlib
import json
import os
import re
import struct
from collections.abc import Mapping

import numpy as np

from .h5_reader import MAGIC
from .h5_utils import SavedFileError

__all__ = ["Group", "Dataset", "decode_frame", "DataSource", "open_snapshot"]

_DTYPE = re.compile(r"^[<>|=][biufcSU][0-9]{1,6}$")
_MAX_SOFT_LINK_HOPS = 16   # as HDF5's own limit on followed links


class FrameError(Exception):
    """The frame is not one ``h5_reader`` writes (a reader that misbehaved): never trusted."""


class DataSource:
    """The file's bytes, for reading contiguous datasets at the offsets the reader gave.

    Args:
        path: the file's path (opened now and kept open, so the bytes read are those of the file described).
        data: the file's bytes instead (a member of a ``.keras`` archive).

    Example:
        >>> DataSource(data=b"0123").read(1, 2)
        b'12'
    """

    def __init__(self, path=None, data=None):
        self.path = path
        self._data = memoryview(data) if data is not None else None
        self._fh = open(path, "rb") if data is None else None
        self._map = None
        self.size = len(self._data) if data is not None else os.fstat(self._fh.fileno()).st_size

    def stat(self):
        """``[device, inode, size]`` of the open file (None for bytes)."""
        if self._fh is None:
            return None
        st = os.fstat(self._fh.fileno())
        return [st.st_dev, st.st_ino, st.st_size]

    def read_into(self, offset, out):
        """Fill the writable byte buffer ``out`` from ``offset``; False when the file is too short."""
        n = len(out)
        if offset < 0 or offset + n > self.size:
            return False
        if self._data is not None:
            out[:] = self._data[offset:offset + n]
            return True
        self._fh.seek(offset)
        return self._fh.readinto(out) == n

    def read(self, offset, nbytes):
        """``nbytes`` bytes at ``offset`` (bytes), or None when they lie outside the file."""
        buf = bytearray(nbytes)
        return bytes(buf) if self.read_into(offset, memoryview(buf)) else None

    def view(self, offset, nbytes):
        """A read-only buffer over ``nbytes`` bytes at ``offset`` without copying them (the file is mapped into
        memory), or None when they lie outside the file."""
        if offset < 0 or offset + nbytes > self.size:
            return None
        if self._data is not None:
            return self._data[offset:offset + nbytes]
        if self._map is None:
            import mmap
            self._map = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ) if self.size else b""
        return memoryview(self._map)[offset:offset + nbytes]

    def close(self):
        """Close the file (nothing for bytes)."""
        if self._map is not None and not isinstance(self._map, bytes):
            try:
                self._map.close()
            except BufferError:              # a view is still alive: the map closes when it is collected
                pass
        self._map = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class _Frame:
    def __init__(self, blobs, path, source):
        self.blobs = blobs
        self.path = path
        self.source = source

    def blob(self, ref, where):
        if not (isinstance(ref, list) and len(ref) == 2 and all(isinstance(x, int) and x >= 0 for x in ref)) or \
                ref[0] + ref[1] > len(self.blobs):
            raise self.bad(f"a bad reference to the bytes of {where}")
        return self.blobs[ref[0]:ref[0] + ref[1]]

    def bad(self, reason):
        return SavedFileError(f"Cannot load '{self.path}': the isolated HDF5 reader's description of it is "
                              f"inconsistent ({reason}); refusing it")

    def damaged(self, what, reason):
        error = SavedFileError(f"File '{self.path}': cannot read {what} ({reason}); the file is damaged")
        error.reason = reason
        return error


def _checked_dtype(text, where):
    if not isinstance(text, str) or not _DTYPE.match(text):
        raise FrameError(f"a bad dtype for {where}")
    dtype = np.dtype(text)
    if dtype.hasobject:
        raise FrameError(f"a bad dtype for {where}")
    return dtype


def _checked_shape(shape, where):
    if not isinstance(shape, list) or len(shape) > 64 or \
            not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise FrameError(f"a bad shape for {where}")
    return tuple(shape)


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def decode_value(meta, blob, where):
    """The attribute value a ``(meta, blob)`` pair from ``h5_reader.encode_value`` describes.

    Example:
        >>> decode_value({"t": "str"}, b"adam", "attribute 'x'")
        'adam'
    """
    kind = meta.get("t") if isinstance(meta, dict) else None
    blob = bytes(blob)
    if kind == "str":
        return blob.decode("utf-8", "surrogatepass")
    if kind == "bytes":
        return blob
    if kind == "empty":
        from .h5_utils import h5py
        return h5py().Empty(_checked_dtype(meta.get("dtype"), where))
    if kind in ("array", "scalar"):
        dtype = _checked_dtype(meta.get("dtype"), where)
        shape = _checked_shape(meta.get("shape"), where)
        if _count(shape) * dtype.itemsize != len(blob):
            raise FrameError(f"a size mismatch in {where}")
        arr = np.frombuffer(blob, dtype=dtype).reshape(shape)
        return arr[()] if kind == "scalar" else arr
    if kind == "strings":
        shape = _checked_shape(meta.get("shape"), where)
        items = meta.get("items")
        if not isinstance(items, list) or len(items) != _count(shape):
            raise FrameError(f"a bad string list in {where}")
        out, pos = [], 0
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and item[0] in ("s", "b") and isinstance(item[1], int)
                    and 0 <= item[1] <= len(blob) - pos):
                raise FrameError(f"a bad string list in {where}")
            data = blob[pos:pos + item[1]]
            pos += item[1]
            out.append(data.decode("utf-8", "surrogatepass") if item[0] == "s" else data)
        if pos != len(blob):
            raise FrameError(f"a size mismatch in {where}")
        arr = np.empty(len(out), dtype=object)
        arr[:] = out
        return arr.reshape(shape)
    raise FrameError(f"an unknown value kind in {where}")


class Attrs(Mapping):
    """The attributes of one object: decoded on first access, errors raised as ``SavedFileError``."""

    def __init__(self, owner, entries, frame):
        self._owner = owner
        self._frame = frame
        self._error = entries.get("__error__") if isinstance(entries, dict) and "attrs" not in entries else None
        raw = entries.get("attrs", {}) if isinstance(entries, dict) else {}
        if not isinstance(raw, dict):
            raise frame.bad(f"bad attributes of '{owner}'")
        self._raw = raw
        self._values = {}

    def _check(self):
        if self._error is not None:
            raise self._frame.damaged(f"the attributes of '{self._owner}'", self._error)

    def __contains__(self, name):
        self._check()
        return name in self._raw

    def __iter__(self):
        self._check()
        return iter(list(self._raw))

    def __len__(self):
        self._check()
        return len(self._raw)

    def canonical(self, name):
        """``(meta, blob)`` of attribute ``name`` as the reader encoded it (what checksums cover)."""
        self._check()
        entry = self._raw[name]
        where = f"attribute '{name}' of '{self._owner}'"
        if not isinstance(entry, dict):
            raise self._frame.bad(f"a bad entry for {where}")
        if "error" in entry:
            raise self._frame.damaged(where, entry["error"])
        return entry.get("meta"), self._frame.blob(entry.get("blob"), where)

    def __getitem__(self, name):
        self._check()
        if name not in self._values:
            meta, blob = self.canonical(name)
            try:
                self._values[name] = decode_value(meta, blob, f"attribute '{name}' of '{self._owner}'")
            except FrameError as e:
                raise self._frame.bad(str(e)) from None
        return self._values[name]


class _Node:
    def __init__(self, name, entry, frame):
        self.name = name
        self._entry = entry
        self._frame = frame
        self.attrs = Attrs(name, entry, frame)

    @property
    def filename(self):
        """The path of the file this object was read from."""
        return self._frame.path


class Dataset(_Node):
    """A dataset: ``shape``, ``dtype``, storage flags, and its values through ``ds[()]``.

    Example:
        >>> ds = root["model_weights/dense/dense/kernel:0"]
        >>> ds.shape, ds.dtype, ds[()].sum()
    """

    def __init__(self, name, entry, frame):
        super().__init__(name, entry, frame)
        self.error = entry.get("error")
        where = f"dataset '{name}'"
        if self.error is None:
            shape = entry.get("shape")
            self.shape = None if shape is None else _checked_shape(shape, where)
            dtype_text = entry.get("dtype")
            if isinstance(dtype_text, str) and dtype_text in ("|O",):
                self.dtype = np.dtype(object)
            elif isinstance(dtype_text, str) and dtype_text.startswith("|V") and dtype_text[2:].isdigit():
                self.dtype = np.dtype(f"V{max(1, int(dtype_text[2:]))}")
            else:
                self.dtype = _checked_dtype(dtype_text, where)
            self.dtype_text = str(entry.get("dtype_text", self.dtype))
            self.external = [("external storage",)] if entry.get("external") else None
            self.is_virtual = bool(entry.get("virtual"))
            self.nfilters = int(entry.get("nfilters") or 0)
            self.compression = entry.get("compression") if isinstance(entry.get("compression"), str) else None
            self.layout = entry.get("layout")
        else:
            self.shape, self.dtype, self.external, self.is_virtual, self.nfilters = (), np.dtype("V1"), None, False, 0
            self.compression, self.layout, self.dtype_text = None, None, "unknown"
        self._value = None

    @property
    def size(self):
        """The number of elements."""
        return _count(self.shape or ())

    @property
    def ndim(self):
        return len(self.shape or ())

    def stored_view(self):
        """The dataset's bytes as they lie in the file (a buffer over the mapped file, no copy), or None when it
        is not stored as plain bytes there (then ``read()`` gives its values)."""
        raw = self._entry.get("raw")
        if self.error is not None or not (isinstance(raw, list) and len(raw) == 2) or \
                raw[1] != self.size * self.dtype.itemsize:
            return None
        return self._frame.source.view(raw[0], raw[1])

    def read(self):
        """The dataset's values as stored (the file's dtype), read once and kept until ``ds[()]`` takes them."""
        if self._value is None:
            self._value = self._read()
        return self._value

    def _read(self):
        entry, frame, where = self._entry, self._frame, f"dataset '{self.name}'"
        if self.error is not None:
            raise frame.damaged(where, self.error)
        if "read_error" in entry:
            raise frame.damaged(where, entry["read_error"])
        if "unread" in entry:
            raise SavedFileError(f"File '{frame.path}': {where} {entry['unread']} (it is stored compressed or "
                                 f"chunked, so it is read in the isolated reader); pass isolate=False to read it "
                                 f"in this process if the file is trusted")
        if self.external or self.is_virtual or self.shape is None or self.dtype.kind not in "biufc":
            raise SavedFileError(f"File '{frame.path}': {where} holds no readable numeric data")
        nbytes = self.size * self.dtype.itemsize
        if "raw" in entry:
            raw = entry["raw"]
            if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, int) and x >= 0 for x in raw)) \
                    or raw[1] != nbytes:
                raise frame.bad(f"a bad offset for {where}")
            if raw[0] + nbytes > frame.source.size:
                raise SavedFileError(f"File '{frame.path}': {where} should lie at bytes {raw[0]}..{raw[0] + nbytes} "
                                     f"but the file has {frame.source.size} bytes; the file is truncated or damaged")
            out = np.empty(self.shape, dtype=self.dtype)
            if nbytes and not frame.source.read_into(raw[0], memoryview(out.reshape(-1).view(np.uint8))):
                raise SavedFileError(f"File '{frame.path}': cannot read the {nbytes} bytes of {where}; the file is "
                                     f"truncated or damaged")
            return out
        if "data" in entry:
            blob = frame.blob(entry["data"], where)
            if len(blob) != nbytes:
                raise frame.bad(f"a size mismatch in {where}")
            out = np.empty(self.shape, dtype=self.dtype)
            if nbytes:
                memoryview(out.reshape(-1).view(np.uint8))[:] = blob
            return out
        raise frame.bad(f"no data for {where}")

    def __getitem__(self, key):
        if key == () or key is Ellipsis:
            value, self._value = self.read(), None          # handed over: a second ds[()] reads again
            return value if self.shape else value[()]
        raise TypeError(f"a snapshot dataset is read whole (ds[()]), not with {key!r}")

    def __repr__(self):
        return f"<snapshot dataset {self.name!r} shape={self.shape} dtype={self.dtype}>"


class Group(_Node):
    """A group: its links by name (hard links to groups and datasets, soft links, links to other files).

    Example:
        >>> "model_weights" in root, list(root["model_weights"].keys())[:2]
    """

    def __init__(self, name, entry, frame, root=None):
        super().__init__(name, entry, frame)
        self.error = entry.get("error")
        links = entry.get("links", {})
        if not isinstance(links, dict):
            raise frame.bad(f"bad links in '{name}'")
        self._links = links
        self._children = {}
        self._root = root or self

    @property
    def file(self):
        """The root group."""
        return self._root

    def _check(self):
        if self.error is not None and not self._links:
            raise self._frame.damaged(f"group '{self.name}'", self.error)

    def keys(self):
        self._check()
        return list(self._links)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def _child_path(self, name):
        return self.name.rstrip("/") + "/" + name

    def _link(self, name):
        """``(kind, entry)`` of the link ``name`` (a single component)."""
        self._check()
        entry = self._links.get(name)
        if entry is None:
            return None, None
        if not isinstance(entry, dict):
            raise self._frame.bad(f"a bad link '{name}'")
        return entry.get("kind"), entry

    def _open(self, name, hops=0):
        kind, entry = self._link(name)
        path = self._child_path(name)
        if kind is None:
            return None
        if name in self._children:
            return self._children[name]
        if kind == "group":
            obj = Group(path, entry, self._frame, self._root)
        elif kind == "dataset":
            try:
                obj = Dataset(path, entry, self._frame)
            except (FrameError, TypeError, ValueError) as e:
                raise self._frame.bad(str(e)) from None
        elif kind in ("soft", "same"):
            if hops >= _MAX_SOFT_LINK_HOPS:
                raise self._frame.damaged(f"link '{path}'", "too many soft links in a row")
            target = entry.get("target")
            if not isinstance(target, str):
                raise self._frame.bad(f"a bad link target for '{path}'")
            base = self._root if target.startswith("/") else self
            obj = base._resolve(target, hops + 1)
            if obj is None:
                raise self._frame.damaged(f"link '{path}'", f"it points to '{target}', which does not exist")
            return obj
        elif kind == "external":
            raise SavedFileError(f"File '{self._frame.path}': '{path}' is a link to another file "
                                 f"('{entry.get('file')}'); refusing to follow it")
        elif kind == "error":
            raise self._frame.damaged(f"'{path}'", entry.get("error"))
        else:
            raise self._frame.bad(f"an unknown link kind for '{path}'")
        self._children[name] = obj
        return obj

    def _resolve(self, path, hops=0):
        current = self
        for part in [p for p in path.split("/") if p and p != "."]:
            if not isinstance(current, Group):
                return None
            current = current._open(part, hops)
            if current is None:
                return None
        return current

    def get(self, name, default=None, getlink=False):
        """The object at ``name`` (a path; None when absent), or with ``getlink`` the h5py link class of the
        last component (``HardLink``, ``SoftLink``, ``ExternalLink``)."""
        parts = [p for p in name.split("/") if p]
        if not getlink:
            obj = self._resolve(name)
            return default if obj is None else obj
        parent = self._resolve("/".join(parts[:-1])) if len(parts) > 1 else self
        if not isinstance(parent, Group) or not parts:
            return default
        kind, entry = parent._link(parts[-1])
        from .h5_utils import h5py
        hp = h5py()
        if kind is None:
            return default
        if kind == "soft":
            return hp.SoftLink(str(entry.get("target")))
        if kind == "external":
            return hp.ExternalLink(str(entry.get("file")), str(entry.get("target")))
        return hp.HardLink()

    def __contains__(self, name):
        parts = [p for p in name.split("/") if p]
        parent = self._resolve("/".join(parts[:-1])) if len(parts) > 1 else self
        if not isinstance(parent, Group) or not parts:
            return False
        return parent._link(parts[-1])[0] is not None

    def __getitem__(self, name):
        obj = self._resolve(name)
        if obj is None:
            raise KeyError(f"'{name}' is not in '{self.name}' of file '{self._frame.path}'")
        return obj

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def values(self):
        return [self[k] for k in self.keys()]

    def visititems(self, func):
        """Call ``func(relative_name, obj)`` for every group and dataset below this group, each once (hard
        links only, as h5py does); stop when it returns something other than None."""
        stack = [(self, "")]
        while stack:
            group, prefix = stack.pop()
            for name in group.keys():
                kind, _ = group._link(name)
                if kind not in ("group", "dataset", "error"):
                    continue
                obj = group._open(name)
                rel = prefix + name
                result = func(rel, obj)
                if result is not None:
                    return result
                if isinstance(obj, Group):
                    stack.append((obj, rel + "/"))
        return None

    def iter_objects(self):
        """Every ``(absolute_path, object)`` below and including this group (hard links only)."""
        out = [(self.name, self)]
        self.visititems(lambda rel, obj: out.append((obj.name, obj)) and None)
        return out

    def __repr__(self):
        return f"<snapshot group {self.name!r} ({len(self._links)} members)>"


def decode_frame(data, path, source, what="file"):
    """The root ``Group`` of a frame, or a ``SavedFileError`` naming ``path`` for an error frame.

    Args:
        data: the frame's bytes.
        path: the file's path, for the error messages.
        source: a ``DataSource`` over the file's bytes.

    Example:
        >>> root = decode_frame(describe_source("w.h5"), "w.h5", DataSource("w.h5"))
    """
    try:
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
            raise FrameError("no frame")
        (n,) = struct.unpack_from("<Q", data, len(MAGIC))
        start = len(MAGIC) + 8
        if start + n > len(data):
            raise FrameError("a short frame")
        header = json.loads(bytes(data[start:start + n]).decode("utf-8"))
        if not isinstance(header, dict):
            raise FrameError("a bad header")
    except (FrameError, ValueError, UnicodeDecodeError, RecursionError) as e:
        raise SavedFileError(f"Cannot load the {what} from '{path}': the isolated HDF5 reader gave no usable "
                             f"description of it ({e})") from None
    if "error" in header:
        reason = str(header["error"])
        if header.get("memory"):
            raise SavedFileError(f"Cannot load the {what} from '{path}': reading its HDF5 structure needs more memory "
                                 f"than the isolated reader may use ({reason}); the file is damaged or hostile (for a "
                                 f"trusted file, raise kerasfront.saving.limits.ISOLATED_READ_MEMORY_BYTES or pass "
                                 f"isolate=False)")
        reason = reason.split("(", 1)[-1].rstrip(")") if "(" in reason else reason
        raise SavedFileError(f"Cannot load the {what} from '{path}': the HDF5 file is truncated or damaged ({reason})")
    stat = header.get("stat")
    if stat is not None and source.stat() is not None and list(stat) != list(source.stat()):
        raise SavedFileError(f"Cannot load the {what} from '{path}': the file changed while it was being read; try "
                             f"again")
    frame = _Frame(memoryview(data)[start + n:], path, source)
    root = header.get("root")
    if not isinstance(root, dict):
        raise SavedFileError(f"Cannot load the {what} from '{path}': the isolated HDF5 reader gave no usable "
                             f"description of it")
    return _Root("/", root, frame)


class _Root(Group):
    """The root group of a snapshot; ``close()`` releases the file."""

    def close(self):
        """Close the file the weights are read from."""
        self._frame.source.close()


@contextlib.contextmanager
def open_snapshot(path, data=None, what="file", isolate=None, name=None):
    """The root ``Group`` of the HDF5 file at ``path`` (or of ``data``, an HDF5 file's bytes that ``path`` names
    in messages), read in a child process unless ``isolate`` is False, with kerasfront's checksums verified
    when the file carries them.

    Args:
        path: the file's path.
        data: the file's bytes instead (a member of a ``.keras`` archive).
        what: what the file should hold ("model", "weights"), for the error messages.
        isolate: read the HDF5 structure in a child process (None: ``limits.ISOLATE_BY_DEFAULT``).
        name: how messages name the file (default ``path``: an archive's member is named by the archive).

    Example:
        >>> with open_snapshot("model.h5") as root:
        ...     config = root.attrs["model_config"]
    """
    from . import limits
    from .checksums import verify_checksums
    from .isolation import read_frame
    if isolate is None:
        isolate = limits.ISOLATE_BY_DEFAULT
    if not isinstance(isolate, (bool, np.bool_)):
        raise TypeError(f"isolate: expected True or False (or None for the default), received {isolate!r}")
    source = DataSource(path=path) if data is None else DataSource(data=data)
    name = name or path
    try:
        frame = read_frame(path, data=data, isolate=bool(isolate), name=name)
        root = decode_frame(frame, name, source, what)
        verify_checksums(root, name)
        yield root
    finally:
        source.close()
