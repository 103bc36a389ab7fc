"""ImageNet helpers shared by the applications: ``preprocess_input`` (the caffe / tf / torch pixel scalings),
``decode_predictions`` (class names of a 1000-way prediction) and the input-shape checks every architecture runs.

Example:
    >>> x = np.full((1, 2, 2, 3), 255.0, "float32")
    >>> preprocess_input(x, mode="tf")[0, 0, 0]
    array([1., 1., 1.], dtype=float32)
"""
import json
import warnings

import numpy as np

import autograd as ag

from .. import activations, backend
from ..utils import data_utils

#: tf.keras's ImageNet class index (``{"0": ["n01440764", "tench"], ...}``), its md5 and where get_file finds it
CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
CLASS_INDEX = None

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_MODES = ("caffe", "tf", "torch")


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of RGB images with values in [0, 255] as an ImageNet model expects.

    Args:
        x: a float numpy array (3-d or 4-d, 3 channels), scaled in place as tf.keras does (``np.copy`` it first
            to keep it); an integer array is converted to floatx first. A symbolic tensor (``keras.Input``)
            gives a symbolic result, an autograd Tensor a Tensor.
        data_format: ``"channels_last"`` / ``"channels_first"`` (default ``backend.image_data_format()``).
        mode: ``"caffe"`` (RGB to BGR, minus the ImageNet mean, no scaling), ``"tf"`` (to [-1, 1]) or
            ``"torch"`` (to [0, 1], then minus mean and over std per channel).

    Returns:
        The preprocessed images (float).

    Raises:
        ValueError: an unknown ``mode`` or ``data_format``.

    Example:
        >>> preprocess_input(np.zeros((1, 1, 1, 3)), mode="caffe")[0, 0, 0]
        array([-103.939, -116.779, -123.68 ])
    """
    if mode not in _MODES:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode!r}")
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Expected data_format to be one of `channels_first` or `channels_last`. Received: "
                         f"data_format={data_format!r}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _preprocess_numpy(x, data_format, mode):
    # NOTE: in place where the dtype allows, as tf.keras (its callers rely on either behaviour)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    first = data_format == "channels_first"
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        if first:
            x = x[::-1, ...] if x.ndim == 3 else x[:, ::-1, ...]
        else:
            x = x[..., ::-1]
        mean, std = _CAFFE_MEAN_BGR, None
    for c in range(3):
        index = ((c,) if x.ndim == 3 else (slice(None), c)) if first else (Ellipsis, c)
        x[index] -= mean[c]
        if std is not None:
            x[index] /= std[c]
    return x


def _channel_constant(values, data_format, ndim, dtype):
    shape = ((3, 1, 1) if ndim == 3 else (1, 3, 1, 1)) if data_format == "channels_first" else (3,)
    return np.asarray(values, dtype=dtype).reshape(shape)


def _preprocess_tensor(x, data_format, mode):
    from ..engine.keras_tensor import KerasTensor
    if not isinstance(x, KerasTensor) and not isinstance(x, ag.Tensor):
        x = ag.Tensor(np.asarray(x, dtype=backend.floatx()))
    dtype = np.dtype(getattr(x, "dtype", backend.floatx()))
    if dtype.kind != "f":
        raise TypeError(f"preprocess_input: expected floating-point images, received a tensor of dtype {dtype} "
                        f"(cast it first)")
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        if data_format == "channels_first":
            x = x[::-1, ...] if ndim == 3 else x[:, ::-1, ...]
        else:
            x = x[..., ::-1]
        mean, std = _CAFFE_MEAN_BGR, None
    x = x + _channel_constant([-m for m in mean], data_format, ndim, dtype)
    if std is not None:
        x = x / _channel_constant(std, data_format, ndim, dtype)
    return x


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        path = data_utils.get_file(CLASS_INDEX_FILE, CLASS_INDEX_PATH, cache_subdir="models",
                                   file_hash=CLASS_INDEX_HASH)
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    return CLASS_INDEX


def decode_predictions(preds, top=5):
    """The ``top`` classes of each row of a batch of ImageNet predictions.

    The class names come from tf.keras's ``imagenet_class_index.json``, read from Keras's cache
    (``$KERAS_HOME/models`` or ``~/.keras/models``) or downloaded there once.

    Args:
        preds: a ``(samples, 1000)`` array of scores.
        top: how many classes per sample.

    Returns:
        One list per sample of ``(class_name, class_description, score)`` tuples, best first.

    Raises:
        ValueError: ``preds`` is not of shape ``(samples, 1000)``.

    Example:
        >>> decode_predictions(model.predict(images))[0][0]
        ('n02504458', 'African_elephant', 0.87)
    """
    preds = np.asarray(preds.data if isinstance(preds, ag.Tensor) else preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Found array with shape: {preds.shape}")
    index = _class_index()
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        row = [tuple(index[str(i)]) + (pred[i],) for i in best]
        row.sort(key=lambda item: item[2], reverse=True)
        results.append(row)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The model's input shape: ``input_shape`` checked against the architecture, or its default.

    Args:
        input_shape: None or a 3-tuple given by the user.
        default_size: the architecture's usual image size.
        min_size: the smallest size it accepts.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        require_flatten: the classifier needs a fixed size (``include_top=True``).
        weights: None, ``"imagenet"`` (3 channels and, with a classifier, exactly the default size) or a path.

    Example:
        >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
        (None, None, 3)
    """
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(f"This model usually expects 1 or 3 input channels. However, it was passed an input_shape "
                          f"with {channels} input channels.", stacklevel=3)
        default_shape = (channels, default_size, default_size) if first else (default_size, default_size, channels)
    else:
        default_shape = (3, default_size, default_size) if first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` weights, `input_shape` should "
                             f"be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be a tuple of three integers. Received: input_shape={input_shape}")
        channels = input_shape[0] if first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        rows, cols = (input_shape[1], input_shape[2]) if first else (input_shape[0], input_shape[1])
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
        input_shape = tuple(input_shape)
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(f"If `include_top` is True, you should specify a static `input_shape`. Received: "
                         f"input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The zero padding ``((top, bottom), (left, right))`` before a stride-2 'valid' convolution that makes it
    behave as TensorFlow's 'same' one.

    Example:
        >>> correct_pad(keras.Input((224, 224, 3)), 3)
        ((0, 1), (0, 1))
    """
    first = backend.image_data_format() == "channels_first"
    size = tuple(inputs.shape[2:4] if first else inputs.shape[1:3])
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """With pretrained weights, only ``softmax`` or no activation may end the classifier.

    Example:
        >>> validate_activation("relu", "imagenet")
        Traceback (most recent call last):
        ValueError: Only `None` and `softmax` activations are allowed ...
    """
    if weights is None:
        return
    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(f"Only `None` and `softmax` activations are allowed for the `classifier_activation` argument "
                         f"when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


__all__ = ["preprocess_input", "decode_predictions"]
