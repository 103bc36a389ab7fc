"""String data: how text flows through models (``keras.Input(shape=(1,), dtype="string")``).

autograd's Tensors hold numbers only, so a batch of strings travels as a numpy array of dtype ``object``
holding Python ``str`` (bytes are decoded as UTF-8). It never requires grad: nothing differentiates through
text. Symbolic tensors of such data have the dtype name ``"string"`` (tf.keras's ``tf.string``), which is
also what saved configs hold. The layers that take strings (``TextVectorization``, ``StringLookup``,
``Hashing``...) set ``_accepts_strings = True``; other layers refuse them with a clear error.

Example:
    >>> to_string_array(np.array([b"caf\\xc3\\xa9", b"tea"]), "x")
    array(['café', 'tea'], dtype=object)
    >>> is_string_dtype("string"), is_string_dtype("float32")
    (True, False)
"""
import numpy as np

#: the dtype name of string tensors (tf.keras's ``tf.string``)
STRING = "string"


def is_string_dtype(dtype):
    """True for ``"string"``, ``tf.string``-like objects and numpy str / bytes / object dtypes.

    Example:
        >>> is_string_dtype("string"), is_string_dtype(np.dtype("U3")), is_string_dtype("int64")
        (True, True, False)
    """
    if dtype is None:
        return False
    if isinstance(dtype, str):
        if dtype in (STRING, "str", "object"):
            return True
    elif hasattr(dtype, "name") and not isinstance(dtype, np.dtype) and getattr(dtype, "name", None) == STRING:
        return True
    try:
        return np.dtype(dtype).kind in "USO"
    except TypeError:
        return False


def numpy_dtype(dtype):
    """The numpy dtype that holds data of the dtype name ``dtype`` (``object`` for ``"string"``).

    Example:
        >>> numpy_dtype("string"), numpy_dtype("float32")
        (dtype('O'), dtype('float32'))
    """
    if is_string_dtype(dtype):
        return np.dtype(object)
    return np.dtype(dtype)


def dtype_name(dtype):
    """The Keras dtype name: ``"string"`` for text, numpy's name otherwise.

    Example:
        >>> dtype_name(np.dtype(object)), dtype_name(np.dtype("int64"))
        ('string', 'int64')
    """
    if is_string_dtype(dtype):
        return STRING
    return np.dtype(dtype).name


def is_string_array(x):
    """True for a numpy array of str, bytes or objects (the form string batches take).

    Example:
        >>> is_string_array(np.array(["a"])), is_string_array(np.zeros(2))
        (True, False)
    """
    return isinstance(x, np.ndarray) and x.dtype.kind in "USO"


def _decode(value, arg):
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"`{arg}` holds bytes that are not valid UTF-8: {bytes(value)[:40]!r}") from None
    raise TypeError(f"`{arg}` should hold strings, found {type(value).__name__} {value!r:.40}")


def to_string_array(x, arg="inputs"):
    """``x`` (a list, a numpy array of str / bytes / objects, or a str) as an object array of ``str``.

    Numbers are refused (tf.keras does not turn numbers into strings silently), so are ragged lists.

    Example:
        >>> to_string_array([["a"], ["b"]], "x").shape
        (2, 1)
    """
    if isinstance(x, np.ndarray) and x.dtype == object:
        arr = x
    elif isinstance(x, np.ndarray):
        if x.dtype.kind == "U":
            return x.astype(object)
        if x.dtype.kind != "S":
            raise TypeError(f"`{arg}` should hold strings, received an array of dtype {x.dtype}")
        arr = x.astype(object)
    else:
        if hasattr(x, "numpy") and not isinstance(x, (str, bytes)):
            x = x.numpy()
        if isinstance(x, (str, bytes)):
            arr = np.empty((), dtype=object)
            arr[()] = x
        else:
            try:
                arr = np.array(x, dtype=object)
            except ValueError:
                raise ValueError(f"`{arg}` looks like a ragged nested list; expected a rectangular array of "
                                 f"strings") from None
            if arr.ndim and any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.flat):
                raise ValueError(f"`{arg}` looks like a ragged nested list; expected a rectangular array of "
                                 f"strings")
    flat = arr.ravel()
    if all(type(v) is str for v in flat):
        return arr
    out = np.empty(arr.shape, dtype=object)
    out_flat = out.reshape(-1)
    for i, v in enumerate(flat):
        out_flat[i] = _decode(v, arg)
    return out


def placeholder(shape):
    """An array of empty strings of ``shape`` (what symbolic shape inference runs string layers on).

    Example:
        >>> placeholder((2,)).tolist()
        ['', '']
    """
    out = np.empty(shape, dtype=object)
    out.fill("")
    return out
