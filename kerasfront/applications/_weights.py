"""The ``weights`` argument of every architecture: None, ``"imagenet"`` (tf.keras's own weight files, found in
Keras's cache or downloaded there) or the path of a weights file; and building the model around it.

A model whose weights come from a file is built with deferred weight values (no random initialization of
values about to be overwritten), then loaded.

Example:
    >>> ref = WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ...                   "https://storage.googleapis.com/.../vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ...                   "6d6bbae143d832006294945121d1f1fc")
    >>> path = resolve("imagenet", ref, "VGG16")        # ~/.keras/models/vgg16_..._notop.h5
"""
import collections
import os

from ..engine.base_layer import deferred_weight_values
from ..utils import data_utils

IMAGENET = "imagenet"

WeightsFile = collections.namedtuple("WeightsFile", ["fname", "origin", "file_hash"])
WeightsFile.__doc__ = """One of tf.keras's pretrained weight files: its name in the cache, the URL it is downloaded
from and its md5 or sha256 (None where tf.keras checks none)."""


def is_path(weights):
    """Whether ``weights`` names an existing file (the third accepted kind of ``weights`` value)."""
    return isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)


def check(weights, include_top, classes, who, pretrained=(IMAGENET,), detail=None):
    """Refuse a ``weights`` value that is not None, a pretrained name or an existing file, and a pretrained
    classifier asked for a number of classes other than its 1000.

    Example:
        >>> check("imagnet", True, 1000, "ResNet50")
        Traceback (most recent call last):
        ValueError: ResNet50: the `weights` argument should be either `None` (random initialization), ...
    """
    if not (weights is None or (isinstance(weights, str) and weights in pretrained) or is_path(weights)):
        names = " or ".join(f"`{p}`" for p in pretrained)
        raise ValueError(f"{who}: the `weights` argument should be either `None` (random initialization), {names} "
                         f"(pre-training on ImageNet), or the path to the weights file to be loaded (an existing "
                         f"file). {detail + ' ' if detail else ''}Received: weights={weights!r}")
    if isinstance(weights, str) and weights in pretrained and include_top and classes != 1000:
        raise ValueError(f"{who}: if using `weights` as {weights!r} with `include_top` as true, `classes` should be "
                         f"1000 (the ImageNet classifier). Received: classes={classes}")


def cache_path(fname):
    """Where Keras's cache keeps a pretrained weights file (``$KERAS_HOME/models`` or ``~/.keras/models``).

    Example:
        >>> cache_path("resnet50_weights_tf_dim_ordering_tf_kernels.h5")
        '/home/me/.keras/models/resnet50_weights_tf_dim_ordering_tf_kernels.h5'
    """
    base = data_utils.keras_home()
    if os.path.isdir(base) and not os.access(base, os.W_OK):
        base = os.path.join("/tmp", ".keras")    # NOTE: where get_file falls back to, so the message matches it
    return os.path.join(base, "models", fname)


def fetch(ref, who):
    """The local path of tf.keras's weights file ``ref``: from Keras's cache when there (and its hash matches),
    otherwise downloaded with ``get_file``. Offline, an error names the file and where to put it.

    Example:
        >>> fetch(WeightsFile("nasnet_mobile_no_top.h5", ".../nasnet/NASNet-mobile-no-top.h5",
        ...                   "1ed92395b5b598bdda52abe5c0dbfd63"), "NASNetMobile")
    """
    origin = ref.origin
    try:
        return data_utils.get_file(ref.fname, origin, cache_subdir="models", file_hash=ref.file_hash)
    except OSError as e:
        where = cache_path(ref.fname)
        check = f" ({'sha256' if len(ref.file_hash) == 64 else 'md5'} {ref.file_hash})" if ref.file_hash else ""
        raise OSError(f"{who}(weights='imagenet') needs tf.keras's pretrained weights file '{ref.fname}'{check}. "
                      f"It is not in Keras's cache and could not be downloaded from {origin}: {_reason(e)}\n"
                      f"Download it where there is a network and put it at {where} (the cache folder is "
                      f"$KERAS_HOME/models or ~/.keras/models), or pass weights='<path of the file>'.") from e


def _reason(error):
    first = str(error).split("\n", 1)[0]
    return first if first else type(error).__name__


def resolve(weights, ref, who, pretrained=(IMAGENET,)):
    """The file to load for a ``weights`` value: None for random weights, tf.keras's cached (or downloaded) file
    ``ref`` for a pretrained name (``"imagenet"``), else the given path."""
    if weights is None:
        return None
    if isinstance(weights, str) and weights in pretrained:
        return fetch(ref, who)
    return os.fspath(weights)


def build(construct, path):
    """``construct()`` makes the model; with a weights file, its weights are created without values (deferred)
    and then loaded from ``path``.

    Example:
        >>> model = build(lambda: Model(inputs, outputs, name="vgg16"), "/path/vgg16_weights.h5")
    """
    if path is None:
        return construct()
    with deferred_weight_values():
        model = construct()
    model.load_weights(path)
    return model
