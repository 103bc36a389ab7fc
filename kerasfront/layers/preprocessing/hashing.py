"""Hashing layers: ``Hashing`` (a value to one of ``num_bins`` bins) and ``HashedCrossing`` (a tuple of
feature values to one bin), giving the same bins as tf.keras for the same inputs and salt.

tf.keras hashes strings with FarmHash's ``Fingerprint64`` (``tf.strings.to_hash_bucket_fast``) or, with a
salt, with SipHash-2-4 keyed by the two salt integers (``to_hash_bucket_strong``); integers are turned into
their decimal strings first. ``HashedCrossing`` chains per-feature hashes as ``tf.sparse.cross_hashed``
does: ``FingerprintCat64`` from the key ``0xDECAFCAFFE`` over each feature's hash (``Fingerprint64`` of a
string, the integer itself for an integer feature), then modulo ``num_bins``. The hash functions come from
maintained packages, ``pyfarmhash`` and ``siphashc`` (``pip install "kerasfront[hashing]"``).

Example:
    >>> Hashing(num_bins=1000)(np.array([["a"], ["hello"]])).numpy().ravel()    # as tf.keras: 939, 296
    array([939, 296])
"""
import struct

import numpy as np

import autograd as ag

from ... import backend
from .base import COUNT, INT, MULTI_HOT, ONE_HOT, PreprocessingLayer, check_choice, check_no_sparse, \
    encode_categorical, encoded_shape, refuse_tracing, to_array, who

__all__ = ["Hashing", "HashedCrossing"]

_EXTRA = 'pip install "kerasfront[hashing]"'


def _farmhash():
    try:
        import farmhash
    except ImportError:
        raise ImportError(f"Hashing strings as tf.keras does needs FarmHash's Fingerprint64 from the 'pyfarmhash' "
                          f"package: {_EXTRA} (or pip install pyfarmhash)") from None
    return farmhash


def _siphash():
    try:
        import siphashc
    except ImportError:
        raise ImportError(f"Hashing with a salt as tf.keras does needs SipHash-2-4 from the 'siphashc' package: "
                          f"{_EXTRA} (or pip install siphashc)") from None
    return siphashc


def _as_strings(values):
    """Each value as the string tf.keras hashes: strings as they are, integers as decimal strings."""
    if values.dtype == object:
        return values
    if values.dtype.kind in "iu":
        return values.astype(str).astype(object)
    if values.dtype.kind == "b":
        raise TypeError("Hashing: boolean inputs cannot be hashed; cast them to int or str first")
    raise TypeError(f"Hashing: expected string or integer inputs, received dtype {values.dtype} (tf.keras hashes only "
                    f"strings and integers; cast floats to str or round them to ints first)")


def fingerprint64(values):
    """FarmHash ``Fingerprint64`` of each string in an object array, as uint64 (TensorFlow's string hash).

    Example:
        >>> int(fingerprint64(np.array(["a"], dtype=object))[0])
        12917804110809363939
    """
    fp = _farmhash().fingerprint64
    uniques, inverse = np.unique(values.reshape(-1), return_inverse=True)
    hashed = np.fromiter((fp(s.encode("utf-8")) for s in uniques), dtype=np.uint64, count=len(uniques))
    return hashed[inverse].reshape(values.shape)


def siphash64(values, key):
    """SipHash-2-4 of each string keyed by the two 64-bit integers ``key`` (TensorFlow's strong hash).

    Example:
        >>> int(siphash64(np.array(["a"], dtype=object), (133, 133))[0]) % 1000
        997
    """
    sip = _siphash().siphash
    key_bytes = struct.pack("<QQ", int(key[0]) & 0xFFFFFFFFFFFFFFFF, int(key[1]) & 0xFFFFFFFFFFFFFFFF)
    uniques, inverse = np.unique(values.reshape(-1), return_inverse=True)
    hashed = np.fromiter((sip(key_bytes, s.encode("utf-8")) for s in uniques), dtype=np.uint64, count=len(uniques))
    return hashed[inverse].reshape(values.shape)


def hash_to_bins(values, num_bins, salt=None):
    """The bin in ``[0, num_bins)`` of each string or integer, as ``tf.strings.to_hash_bucket_fast``
    (no salt) or ``to_hash_bucket_strong`` (salt: two ints) compute it.

    Example:
        >>> hash_to_bins(np.array([1, -5]), 1000)
        array([849, 816])
    """
    values = _as_strings(np.asarray(values))
    hashed = fingerprint64(values) if salt is None else siphash64(values, salt)
    return (hashed % np.uint64(num_bins)).astype(np.int64)


_KMUL = np.uint64(0xC6A4A7935BD1E995)
_CROSS_KEY = 0xDECAFCAFFE


def _shift_mix(v):
    return v ^ (v >> np.uint64(47))


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's ``FingerprintCat64``: combine two 64-bit fingerprints (uint64 arrays, wrapping arithmetic).

    Example:
        >>> int(fingerprint_cat64(np.array([1], np.uint64), np.array([2], np.uint64))[0]) > 0
        True
    """
    with np.errstate(over="ignore"):
        result = fp1 ^ _KMUL
        result = result ^ (_shift_mix(fp2 * _KMUL) * _KMUL)
        result = result * _KMUL
        result = _shift_mix(result) * _KMUL
        return _shift_mix(result)


def _feature_hash(values):
    # NOTE: as tf.sparse.cross_hashed: a string feature hashes to its Fingerprint64, an integer feature is
    # its own hash (its 64-bit two's complement), not the hash of its decimal string
    if values.dtype == object:
        return fingerprint64(values)
    if values.dtype.kind in "iu":
        return values.astype(np.int64).view(np.uint64)
    raise TypeError(f"All `HashedCrossing` inputs should have an integer or string dtype. Received dtype "
                    f"{values.dtype}")


def _int_dtype_default(kwargs, output_mode, cls):
    if kwargs.get("dtype") is None:
        kwargs["dtype"] = "int64" if output_mode == INT else backend.floatx()
    elif output_mode == INT:
        name = getattr(kwargs["dtype"], "name", kwargs["dtype"])
        try:
            if np.dtype(str(name)).kind not in "iu":
                kwargs["dtype"] = "int64"
        except TypeError:
            raise TypeError(f"{cls}(dtype=...): expected a dtype name, received {kwargs['dtype']!r}") from None


class Hashing(PreprocessingLayer):
    """Hash strings or integers into ``num_bins`` bins, the same bins tf.keras gives.

    Args:
        num_bins: the number of bins (including the mask bin when ``mask_value`` is set).
        mask_value: a value that always goes to bin 0 (the others then hash into bins 1..num_bins-1).
        salt: an int or a pair of ints: hash with keyed SipHash instead of FarmHash.
        output_mode: ``"int"`` (bin ids), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.

    Example:
        >>> Hashing(num_bins=1000, salt=133)(np.array([["a"], ["hello"]])).numpy().ravel()   # tf.keras: 997, 590
        array([997, 590])
    """

    _accepts_strings = True

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        cls = type(self).__name__
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) \
                or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                             f"num_bins={num_bins}.")
        check_choice(output_mode, (INT, ONE_HOT, MULTI_HOT, COUNT), "output_mode", cls)
        _int_dtype_default(kwargs, output_mode, cls)
        super().__init__(**kwargs)
        if output_mode == INT and self._np_dtype.kind not in "iu":
            raise ValueError(f'When `output_mode="int"`, `dtype` should be an integer type. Received: '
                             f'dtype={kwargs["dtype"]}')
        check_no_sparse(sparse, cls)
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = False
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(
                    isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in salt):
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                self.salt = [int(salt), int(salt)]
            else:
                raise ValueError(f"The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a "
                                 f"single integer. Received: salt={salt}.")
        # fail now, not on the first call, when the hash package is missing
        _farmhash() if self.salt is None else _siphash()

    def call(self, inputs):
        refuse_tracing(self)
        values = inputs.data if isinstance(inputs, ag.Tensor) else inputs
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        out = hash_to_bins(values, bins, self.salt)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return ag.Tensor(encode_categorical(out, self.output_mode, self.num_bins, self._np_dtype, who_=who(self)))

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                       "output_mode": self.output_mode, "sparse": self.sparse})
        return config


class HashedCrossing(PreprocessingLayer):
    """Cross features by hashing each combination of their values into ``num_bins`` bins, as tf.keras does
    (``tf.sparse.cross_hashed``).

    Args:
        num_bins: the number of bins.
        output_mode: ``"int"`` (bin ids) or ``"one_hot"``.

    Called on a list or tuple of at least two inputs of equal shape ``()``, ``(batch,)`` or ``(batch, 1)``,
    each of strings or integers.

    Example:
        >>> HashedCrossing(num_bins=1000)((np.array(["a", "b"]), np.array([1, 2]))).numpy()   # tf.keras: 485, 357
        array([485, 357])
    """

    _accepts_strings = True
    _takes_list = True

    def __init__(self, num_bins, output_mode="int", sparse=False, **kwargs):
        cls = type(self).__name__
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) \
                or num_bins <= 0:
            raise ValueError(f"{cls}: `num_bins` must be a positive int, received num_bins={num_bins!r}")
        check_choice(output_mode, (INT, ONE_HOT), "output_mode", cls)
        _int_dtype_default(kwargs, output_mode, cls)
        super().__init__(**kwargs)
        if output_mode == INT and self._np_dtype.kind not in "iu":
            raise ValueError(f"When `output_mode='int'`, `dtype` should be an integer type. Received: "
                             f"dtype={kwargs['dtype']}")
        check_no_sparse(sparse, cls)
        self.num_bins = int(num_bins)
        self.output_mode = output_mode
        self.sparse = False
        _farmhash()

    def _convert(self, x):
        if not isinstance(x, (list, tuple)):
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of inputs. Received: "
                             f"inputs={x!r:.100}")
        return type(x)(v if isinstance(v, ag.Tensor) else (lambda a: a if a.dtype == object else ag.Tensor(a))(
            to_array(v, allow_strings=True, what=f"{who(self)} inputs")) for v in x)

    def call(self, inputs):
        refuse_tracing(self)
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of inputs. Received: "
                             f"inputs={inputs!r:.100}")
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. Received: {len(inputs)} "
                             f"input(s)")
        arrays = [x.data if isinstance(x, ag.Tensor) else x for x in inputs]
        first = arrays[0].shape
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(f"All `HashedCrossing` inputs should have shape `[]`, `[batch_size]` or `[batch_size, 1]`. "
                             f"Received shapes: {[a.shape for a in arrays]}")
        if any(a.shape != first for a in arrays[1:]):
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received shapes: "
                             f"{[a.shape for a in arrays]}")
        hashed = np.full(first, _CROSS_KEY, dtype=np.uint64)
        for a in arrays:
            hashed = fingerprint_cat64(hashed, _feature_hash(a))
        out = (hashed % np.uint64(self.num_bins)).astype(np.int64)
        return ag.Tensor(encode_categorical(out, self.output_mode, self.num_bins, self._np_dtype, who_=who(self)))

    def compute_output_shape(self, input_shapes):
        return encoded_shape(input_shapes[0], self.output_mode, self.num_bins)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse})
        return config
