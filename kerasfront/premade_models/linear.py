"""``LinearModel`` (``experimental.LinearModel``), as tf.keras: ``activation(sum_i x_i @ W_i + b)``.

The input may be one tensor, a list of tensors or a dict of tensors; each gets its own bias-free ``Dense``
(named after the key for a dict, whose keys are taken in sorted order), and one bias is added to the sum.

Example:
    >>> model = LinearModel(units=1)
    >>> model.compile("sgd", "mse")
    >>> model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0).history["loss"]
    [1.0]
"""
import numbers

from .. import activations, initializers, regularizers
from ..engine.training import Model
from ..layers.core import Dense

__all__ = ["LinearModel"]


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, numbers.Integral) for d in value)


class LinearModel(Model):
    """A linear (or generalized linear, with ``activation``) model of one or several inputs.

    Args:
        units: the number of outputs.
        activation: applied to the sum (None: the identity).
        use_bias: add a bias.
        kernel_initializer, bias_initializer: initializers (default zeros, as tf.keras).
        kernel_regularizer, bias_regularizer: regularizers.

    Example:
        >>> model = LinearModel(units=3, activation="softmax", kernel_regularizer="l2")
    """

    def __init__(self, units=1, activation=None, use_bias=True, kernel_initializer="zeros", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units < 1:
            raise ValueError(f"LinearModel(units=...): expected a positive integer, received {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        super().__init__(**kwargs)

    def _dense(self, name=None):
        return Dense(units=self.units, use_bias=False, kernel_initializer=self.kernel_initializer,
                     kernel_regularizer=self.kernel_regularizer, name=name)

    def build(self, input_shape):
        if isinstance(input_shape, dict):
            names = sorted(input_shape)
            layers = [self._dense(name) for name in names]
            shapes = [input_shape[name] for name in names]
        elif isinstance(input_shape, (tuple, list)) and input_shape and not _is_shape(input_shape):
            shapes = list(input_shape)
            layers = [self._dense() for _ in shapes]
        else:
            shapes, layers = [input_shape], [self._dense()]
        for layer, shape in zip(layers, shapes):
            layer.build(tuple(shape))
        self.dense_layers = layers
        self.bias = self.add_weight("bias", shape=(self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, dtype=self.dtype,
                                    trainable=True) if self.use_bias else None
        self.built = True

    def call(self, inputs):
        if isinstance(inputs, dict):
            names = [layer.name for layer in self.dense_layers]
            missing = set(names) - set(inputs)
            if missing:
                raise ValueError(f"The `inputs` dictionary does not match the structure expected by the model.\n\t"
                                 f"Expected keys: {set(names)}\n\tReceived keys: {set(inputs)}\n\tMissing keys: "
                                 f"{missing}")
            inputs = [inputs[name] for name in names]
        elif not isinstance(inputs, (tuple, list)):
            inputs = [inputs]
        result = None
        for x, layer in zip(inputs, self.dense_layers):
            out = layer(x)
            result = out if result is None else result + out
        if self.use_bias:
            result = result + self.bias
        if self.activation is not None:
            return self.activation(result)
        return result

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
