"""ConvNeXtTiny/Small/Base/Large/XLarge (Liu et al., 2022) as ``tf.keras.applications.convnext``: 7x7 depthwise
convolutions, layer norm, inverted-bottleneck MLPs and layer scale, built-in ImageNet normalization, tf.keras's
layer names and weight files.

Example:
    >>> ConvNeXtTiny(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
    (None, 768)
"""
import numpy as np


from .. import backend, initializers, layers, random_state
from ..engine.base_layer import Layer
from ..engine.sequential import Sequential
from ..engine.training import Model
from . import _blocks, _weights, imagenet_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
#: sha256 of tf.keras's files: {model name: (with the classifier, without)}
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
#: (blocks per stage, widths per stage) by size
CONFIGS = {"tiny": ((3, 3, 9, 3), (96, 192, 384, 768)), "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
           "base": ((3, 3, 27, 3), (128, 256, 512, 1024)), "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
           "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048))}


class StochasticDepth(Layer):
    """Drop the whole residual branch of a sample with probability ``drop_path_rate`` in training (scaling the kept
    ones by ``1 / (1 - rate)``); the identity at inference.

    Example:
        >>> StochasticDepth(0.1)(np.ones((2, 3)), training=False).numpy()
        array([[1., 1., 1.], [1., 1., 1.]], dtype=float32)
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if training:
            keep = 1.0 - self.drop_path_rate
            shape = (x.shape[0],) + (1,) * (x.ndim - 1)
            mask = np.floor(keep + random_state.generator().uniform(0.0, 1.0, shape)).astype(x.dtype)
            return x / keep * mask
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"drop_path_rate": self.drop_path_rate})
        return config


class LayerScale(Layer):
    """Multiply by a learned per-channel ``gamma`` (initialized to ``init_values``).

    Example:
        >>> LayerScale(1e-6, 4)(np.ones((1, 4))).shape
        (1, 4)
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(name="gamma", shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values), trainable=True)
        self.built = True

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


def convnext_block(inputs, projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """7x7 depthwise convolution, layer norm, a 4x-wide two-layer MLP with GELU, layer scale; added to the input."""
    x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                      name=name + "_depthwise_conv")(inputs)
    x = layers.LayerNormalization(epsilon=1e-6, name=name + "_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=name + "_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=name + "_gelu")(x)
    x = layers.Dense(projection_dim, name=name + "_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, projection_dim, name=name + "_layer_scale")(x)
    if drop_path_rate:
        last = StochasticDepth(drop_path_rate, name=name + "_stochastic_depth")
    else:
        last = layers.Activation("linear", name=name + "_identity")
    return inputs + last(x)


def build_convnext(depths, projection_dims, who, drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=224,
                   model_name="convnext", include_preprocessing=True, include_top=True, weights=None,
                   input_tensor=None, input_shape=None, pooling=None, classes=1000, classifier_activation="softmax"):
    """A ConvNeXt: a 4x4 patchify stem, four stages of blocks separated by 2x2 downsampling, and the end."""
    _weights.check(weights, include_top, classes, who)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    ref = None
    if weights == "imagenet":
        fname = model_name + (".h5" if include_top else "_notop.h5")
        ref = _weights.WeightsFile(fname, BASE_URL + fname, WEIGHTS_HASHES[model_name][0 if include_top else 1])
    if include_top:       # before any download, as tf.keras checks it while building
        imagenet_utils.validate_activation(classifier_activation, weights)
    path = _weights.resolve(weights, ref, who)

    def construct():
        img_input = _blocks.image_input(input_tensor, input_shape)
        # NOTE: as tf.keras, a given input_tensor is replaced by the Input it came from
        inputs = _blocks.model_inputs(input_tensor, img_input)
        inputs = inputs[0] if isinstance(inputs, list) else inputs
        x = inputs
        if include_preprocessing and input_shape[_blocks.bn_axis() - 1] == 3:
            x = layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                     variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
                                     name=model_name + "_prestem_normalization")(x)
        downsampling = [Sequential([
            layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=model_name + "_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=model_name + "_stem_layernorm")], name=model_name + "_stem")]
        for i in range(3):
            downsampling.append(Sequential([
                layers.LayerNormalization(epsilon=1e-6, name=f"{model_name}_downsampling_layernorm_{i}"),
                layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                              name=f"{model_name}_downsampling_conv_{i}")], name=f"{model_name}_downsampling_block_{i}"))
        rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
        done = 0
        for i in range(4):
            x = downsampling[i](x)
            for j in range(depths[i]):
                x = convnext_block(x, projection_dims[i], rates[done + j], layer_scale_init_value,
                                   name=f"{model_name}_stage_{i}_block_{j}")
            done += depths[i]
        if include_top:
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.GlobalAveragePooling2D(name=model_name + "_head_gap")(x)
            x = layers.LayerNormalization(epsilon=1e-6, name=model_name + "_head_layernorm")(x)
            x = layers.Dense(classes, activation=classifier_activation, name=model_name + "_head_dense")(x)
        else:
            x = _blocks.pooled(x, pooling)
            x = layers.LayerNormalization(epsilon=1e-6)(x)
        return Model(inputs=inputs, outputs=x, name=model_name)
    return _weights.build(construct, path)


_DOC_ARGS = """
    Args:
        model_name: the model's name (also the prefix of its layers' names and the key of its weight file).
        include_top: end with global average pooling, layer norm and the ``classes``-way classifier.
        include_preprocessing: begin with a ``Normalization`` of [0, 255] images by the ImageNet mean and std.
        weights: None (random), ``"imagenet"`` (tf.keras's pretrained file, from Keras's cache or downloaded) or
            the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 32x32 (default 224x224 with the top).
        pooling: without the top: None (the 4-d feature map), ``"avg"`` or ``"max"`` (then layer norm).
        classes: the classifier's size (1000 with ImageNet weights).
        classifier_activation: the classifier's activation (``softmax`` or None with pretrained weights).
"""


def _make(size):
    depths, dims = CONFIGS[size]
    name = "ConvNeXt" + ("XLarge" if size == "xlarge" else size.capitalize())

    def constructor(model_name=f"convnext_{size}", include_top=True, include_preprocessing=True, weights="imagenet",
                    input_tensor=None, input_shape=None, pooling=None, classes=1000, classifier_activation="softmax"):
        return build_convnext(depths, dims, name, drop_path_rate=0.0, layer_scale_init_value=1e-6,
                              default_size=224, model_name=model_name, include_top=include_top,
                              include_preprocessing=include_preprocessing, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation)
    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = (f"{name}: stages of {', '.join(map(str, depths))} blocks, {dims[0]} to {dims[-1]} "
                           f"channels.\n{_DOC_ARGS}\n    Example:\n        >>> base = {name}(include_top=False, "
                           f"weights=\"imagenet\", pooling=\"avg\")\n    ")
    return constructor


ConvNeXtTiny = _make("tiny")
ConvNeXtSmall = _make("small")
ConvNeXtBase = _make("base")
ConvNeXtLarge = _make("large")
ConvNeXtXLarge = _make("xlarge")


def preprocess_input(x, data_format=None):
    """The identity: ConvNeXt models normalize their [0, 255] input themselves.

    Example:
        >>> preprocess_input(np.array([255.0]))
        array([255.])
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
