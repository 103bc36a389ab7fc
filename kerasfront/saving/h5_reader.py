"""Read an HDF5 file's whole structure (groups, links, attributes, dataset layouts) into one flat byte string.

This module is the only place where loading calls the HDF5 library on a file, and it is written to run in a
child process (``isolation.py``) as well as in-process: it imports nothing but the standard library, numpy
and h5py, and runs as a script (``python h5_reader.py FILE``) where the child cannot be forked.

The result (a *frame*) is ``MAGIC``, the length of a JSON header, the header, then the bytes of attribute
values and of the datasets the reader had to read itself. The header holds no Python objects, only JSON:
the parent decodes it without unpickling anything, so a child that a hostile file got to misbehave can at
worst describe a wrong file, never run code in the parent.

Contiguous, unfiltered numeric datasets (everything tf.keras and kerasfront write) are not read here: the
header gives their byte offset and the parent reads those bytes itself, without HDF5. Chunked, compressed
and compact datasets are read here, within the memory budget.

Example:
    >>> with h5py.File("model.h5", "r") as f:
    ...     header, blobs = describe(f)
    >>> header["root"]["attrs"]["keras_version"]["meta"]
    {'t': 'str'}
"""
import json
import os
import struct
import sys

import h5py
import numpy as np

__all__ = ["MAGIC", "describe", "describe_source", "encode_value", "frame", "limit_memory", "main"]

MAGIC = b"KFH5STRUCT1\n"
#: what the script writes first, once its imports are done
READY = b"R"
#: what the isolated reader writes (before the frame) each time it makes progress
PROGRESS = b"."
#: groups deeper than this are not descended into (Keras files are a few levels deep)
MAX_DEPTH = 64
#: objects (groups, datasets, links) described at most; a file with more is refused by the parent
MAX_OBJECTS = 1_000_000
#: how many objects (or chunks) between two progress reports
PROGRESS_EVERY = 32
_NUMERIC_KINDS = "biufc"


def encode_value(value):
    """``(meta, blob)``: a JSON-able description of an attribute value and its bytes.

    The same encoding is what kerasfront's checksums are computed over (``checksums.py``), on writing and on
    reading, so both sides see one canonical form of each value.

    Example:
        >>> encode_value("adam")
        ({'t': 'str'}, b'adam')
        >>> encode_value(np.arange(2, dtype="<i4"))
        ({'t': 'array', 'dtype': '<i4', 'shape': [2]}, b'\\x00\\x00\\x00\\x00\\x01\\x00\\x00\\x00')
    """
    if isinstance(value, h5py.Empty):
        return {"t": "empty", "dtype": np.dtype(value.dtype).str}, b""
    if isinstance(value, str):
        return {"t": "str"}, value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, np.bytes_)):
        return {"t": "bytes"}, bytes(value)
    if isinstance(value, (bool, int, float, complex)):
        value = np.asarray(value)
    if isinstance(value, np.generic):
        meta, blob = encode_value(np.asarray(value))
        meta["t"] = "scalar"
        return meta, blob
    if not isinstance(value, np.ndarray):
        raise TypeError(f"an attribute value of type {type(value).__name__} (kerasfront reads strings and arrays)")
    dtype = value.dtype
    if dtype.fields is not None or dtype.subdtype is not None:
        raise TypeError(f"an attribute of compound type {dtype}")
    if dtype.kind in _NUMERIC_KINDS + "SU":
        return ({"t": "array", "dtype": dtype.str, "shape": list(value.shape)},
                np.ascontiguousarray(value).tobytes())
    if dtype.kind == "O":
        kinds, parts = [], []
        for item in value.reshape(-1).tolist():
            if isinstance(item, str):
                data, kind = item.encode("utf-8", "surrogatepass"), "s"
            elif isinstance(item, bytes):
                data, kind = item, "b"
            else:
                raise TypeError(f"an attribute array holding {type(item).__name__} values")
            kinds.append([kind, len(data)])
            parts.append(data)
        return {"t": "strings", "shape": list(value.shape), "items": kinds}, b"".join(parts)
    raise TypeError(f"an attribute of type {dtype}")


class _Writer:
    """Collects the header tree and the blob bytes, counting objects and reporting progress."""

    def __init__(self, read_all, memory_budget, progress):
        self.read_all = read_all
        self.memory_budget = memory_budget
        self.progress = progress
        self.blobs = []
        self.offset = 0
        self.objects = 0
        self.seen = {}

    def blob(self, data):
        ref = [self.offset, len(data)]
        self.blobs.append(data)
        self.offset += len(data)
        return ref

    def count(self):
        self.objects += 1
        if self.objects > MAX_OBJECTS:
            raise _TooManyObjects()
        if self.progress is not None and self.objects % PROGRESS_EVERY == 0:
            self.progress()


class _TooManyObjects(Exception):
    pass


def _text(name):
    """A name as JSON can hold it (h5py gives bytes for a name that is not UTF-8)."""
    return name.decode("utf-8", "surrogateescape") if isinstance(name, bytes) else str(name)


def _error(e):
    """The library's message for a failure (h5py's KeyError / OSError / RuntimeError carry HDF5's own)."""
    if isinstance(e, (KeyError, OSError, RuntimeError)) and e.args and isinstance(e.args[0], str):
        text = e.args[0]
    else:
        text = f"{type(e).__name__}: {e}"
    return text[:2000]


def _attrs(obj, out, count=None):
    """``{"attrs": {name: {"meta", "blob"} or {"error"}}}``, or ``{"__error__": ...}`` when they cannot be
    listed; ``count`` (from the object header) skips the listing when it is 0."""
    if count == 0:
        return {"attrs": {}}
    try:
        manager = obj.attrs
        names = list(manager.keys())
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - any failure of the library is a property of the file
        return {"__error__": _error(e)}
    attrs = {}
    for name in names:
        out.count()
        try:
            meta, data = encode_value(manager[name])
            attrs[_text(name)] = {"meta": meta, "blob": out.blob(data)}
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001
            attrs[_text(name)] = {"error": _error(e)}
    return {"attrs": attrs}


def _layout_name(layout):
    return {h5py.h5d.CONTIGUOUS: "contiguous", h5py.h5d.CHUNKED: "chunked", h5py.h5d.COMPACT: "compact",
            getattr(h5py.h5d, "VIRTUAL", -1): "virtual"}.get(layout, str(layout))


def _read_values(ds, dtype, shape, out):
    """The dataset's values, read chunk by chunk (with progress between) when it is chunked."""
    if not shape or ds.chunks is None:
        return np.asarray(ds[()])
    values = np.empty(shape, dtype=dtype)
    done = 0
    for selection in ds.iter_chunks():
        values[selection] = ds[selection]
        done += 1
        if out.progress is not None and done % PROGRESS_EVERY == 0:
            out.progress()
    return values


def _dataset(dsid, out, num_attrs):
    ds = h5py.Dataset(dsid)
    entry = {"kind": "dataset"}
    entry.update(_attrs(ds, out, num_attrs))
    try:
        shape = dsid.shape
        entry["shape"] = None if shape is None else [int(d) for d in shape]
        dtype = dsid.dtype
        plain = dtype.kind in _NUMERIC_KINDS and dtype.fields is None and dtype.subdtype is None
        entry["dtype"] = dtype.str if plain else ("|O" if dtype.kind == "O" else "|V" + str(dtype.itemsize))
        entry["dtype_text"] = str(dtype)
        plist = dsid.get_create_plist()
        entry["layout"] = _layout_name(plist.get_layout())
        entry["nfilters"] = int(plist.get_nfilters())
        entry["external"] = plist.get_external_count() > 0
        entry["virtual"] = entry["layout"] == "virtual"
        entry["compression"] = ds.compression if entry["nfilters"] else None
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001
        entry["error"] = _error(e)
        return entry
    if entry["external"] or entry["virtual"] or not plain or entry["shape"] is None:
        return entry                                       # never read: refused or described by the parent
    count = 1
    for d in entry["shape"]:
        count *= d
    nbytes = count * dtype.itemsize
    entry["nbytes"] = nbytes
    try:
        offset = dsid.get_offset()
        storage = dsid.get_storage_size()
    except Exception:  # noqa: BLE001
        offset, storage = None, None
    if not out.read_all and entry["layout"] == "contiguous" and entry["nfilters"] == 0 and offset is not None \
            and storage == nbytes and dtype.byteorder in "<|=":
        entry["raw"] = [int(offset), int(nbytes)]          # the parent reads these bytes itself
        return entry
    if nbytes > out.memory_budget:
        entry["unread"] = f"declares {nbytes} bytes, more than the {out.memory_budget} bytes the reader may use"
        return entry
    try:
        data = _read_values(ds, dtype, tuple(entry["shape"]), out)
        entry["data"] = out.blob(np.ascontiguousarray(data, dtype=dtype).tobytes())
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001
        entry["read_error"] = _error(e)
    return entry


def _group(gid, path, depth, out, num_attrs=None):
    entry = {"kind": "group", "path": path}
    entry.update(_attrs(h5py.Group(gid), out, num_attrs))
    if depth >= MAX_DEPTH:
        entry["error"] = f"nested more than {MAX_DEPTH} groups deep"
        return entry
    try:
        names = list(gid)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001
        entry["error"] = _error(e)
        return entry
    links = {}
    for raw_name in names:
        out.count()
        name = _text(raw_name)
        child_path = path.rstrip("/") + "/" + name
        try:
            kind = gid.links.get_info(raw_name).type
            if kind == h5py.h5l.TYPE_SOFT:
                links[name] = {"kind": "soft", "target": _text(gid.links.get_val(raw_name))}
                continue
            if kind == h5py.h5l.TYPE_EXTERNAL:
                filename, target = gid.links.get_val(raw_name)
                links[name] = {"kind": "external", "file": _text(filename), "target": _text(target)}
                continue
            if kind != h5py.h5l.TYPE_HARD:
                links[name] = {"kind": "error", "error": f"a link of unknown kind ({kind})"}
                continue
            oid = h5py.h5o.open(gid, raw_name)
            info = h5py.h5o.get_info(oid)
            key, otype, num = (int(info.fileno), int(info.addr)), info.type, int(info.num_attrs)
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001
            links[name] = {"kind": "error", "error": _error(e)}
            continue
        if key in out.seen:                                  # a second hard link to an object already described
            links[name] = {"kind": "same", "target": out.seen[key]}
            continue
        out.seen[key] = child_path
        if otype == h5py.h5o.TYPE_GROUP:
            links[name] = _group(oid, child_path, depth + 1, out, num)
        elif otype == h5py.h5o.TYPE_DATASET:
            links[name] = _dataset(oid, out, num)
        else:
            links[name] = {"kind": "error", "error": f"an object of another kind ({otype})"}
    entry["links"] = links
    return entry


def describe(f, read_all=False, memory_budget=2 ** 62, progress=None):
    """``(header, blobs)`` for an open h5py file: every group, link, attribute and dataset layout.

    Args:
        f: an open ``h5py.File``.
        read_all: read every dataset's values here (else contiguous ones get an offset for the parent).
        memory_budget: datasets declaring more bytes than this are described, not read.
        progress: called now and then while the reading goes on (the isolated reader reports it, so that
            only a reader that stops making progress is stopped).

    Example:
        >>> with h5py.File("w.h5", "r") as f:
        ...     header, blobs = describe(f)
    """
    out = _Writer(read_all, memory_budget, progress)
    try:
        info = h5py.h5o.get_info(f.id)
        out.seen[(int(info.fileno), int(info.addr))] = "/"
        root = _group(f.id, "/", 0, out, int(info.num_attrs))
    except _TooManyObjects:
        return {"error": f"the file holds more than {MAX_OBJECTS} objects"}, []
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - the root object itself cannot be read
        return {"error": _error(e)}, []
    return {"root": root}, out.blobs


def frame(header, blobs):
    """The bytes ``MAGIC``, header length (8 bytes, little-endian), header JSON, blobs.

    Example:
        >>> frame({"error": "x"}, [])[:12]
        b'KFH5STRUCT1\\n'
    """
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return b"".join([MAGIC, struct.pack("<Q", len(text)), text, *blobs])


def _open(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        import io
        return h5py.File(io.BytesIO(bytes(source)), "r")
    return h5py.File(source, "r")


def describe_source(source, memory_budget=2 ** 62, progress=None):
    """The frame for a file path or the bytes of a file; a file HDF5 cannot open gives an error frame.

    Example:
        >>> describe_source("model.h5")[:12]
        b'KFH5STRUCT1\\n'
    """
    try:
        stat = os.stat(source) if isinstance(source, str) else None
        f = _open(source)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001
        return frame({"error": _error(e), "open_failed": True}, [])
    try:
        header, blobs = describe(f, memory_budget=memory_budget, progress=progress)
    finally:
        try:
            f.close()
        except Exception:  # noqa: BLE001
            pass
    if stat is not None:
        header["stat"] = [stat.st_dev, stat.st_ino, stat.st_size]
    return frame(header, blobs)


def limit_memory(budget):
    """Cap this process's address space at what it uses now plus ``budget`` bytes (where the OS allows).

    Example:
        >>> limit_memory(2 ** 30)   # in a child process only: the cap cannot be raised again
    """
    try:
        import resource
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + int(budget)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError, AttributeError):
        pass                                                # no /proc or no RLIMIT_AS: the time limit remains


def main(argv=None):
    """Script entry (the child when it cannot be forked): ``h5_reader.py FILE MEMORY_BUDGET`` writes ``READY``
    once its imports are done (the parent's time limit starts then), then the frame, to standard output.

    Example:
        $ python kerasfront/saving/h5_reader.py model.h5 1073741824 > frame.bin
    """
    argv = sys.argv[1:] if argv is None else argv
    budget = int(argv[1])
    sys.stdout.buffer.write(READY)
    sys.stdout.buffer.flush()
    limit_memory(budget)
    out = sys.stdout.buffer

    def progress():
        out.write(PROGRESS)
        out.flush()

    try:
        data = describe_source(argv[0], memory_budget=budget // 2, progress=progress)
    except MemoryError:
        data = frame({"error": "MemoryError: the reader ran out of its memory budget", "memory": True}, [])
    except Exception as e:  # noqa: BLE001 - reported to the parent, which names the file
        data = frame({"error": f"{type(e).__name__}: {e}"[:2000]}, [])
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
