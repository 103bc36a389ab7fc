"""``WideDeepModel`` (``experimental.WideDeepModel``), as tf.keras: the sum of a linear ("wide") model and a
deep model, through an optional activation; compiled with one optimizer for both, or a list of two (the first
for the linear model, the second for the deep one).

Example:
    >>> linear = kerasfront.premade_models.LinearModel()
    >>> dnn = kerasfront.Sequential([kerasfront.layers.Dense(4, activation="relu"), kerasfront.layers.Dense(1)])
    >>> model = WideDeepModel(linear, dnn)
    >>> model.compile(optimizer=["sgd", "adam"], loss="mse")
    >>> model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0).history["loss"][0] > 0
    True
"""
import autograd as ag
from autograd.tensor import make_leaf

from .. import activations
from ..engine import nest
from ..engine.base_layer import Layer
from ..engine.training import Model

__all__ = ["WideDeepModel"]


class WideDeepModel(Model):
    """Wide & Deep learning (Cheng et al., 2016): ``activation(linear_model(x_wide) + dnn_model(x_deep))``.

    Args:
        linear_model: the wide part (a ``LinearModel`` or any model).
        dnn_model: the deep part.
        activation: applied to the sum (None: the identity).

    Call with one input (fed to both parts) or a pair ``[x_wide, x_deep]``.

    Example:
        >>> model = WideDeepModel(linear, dnn, activation="sigmoid")
    """

    def __init__(self, linear_model, dnn_model, activation=None, **kwargs):
        for arg, value in (("linear_model", linear_model), ("dnn_model", dnn_model)):
            if not isinstance(value, Layer):
                raise TypeError(f"WideDeepModel({arg}=...): expected a kerasfront model, received "
                                f"{type(value).__name__}")
        super().__init__(**kwargs)
        self.linear_model = linear_model
        self.dnn_model = dnn_model
        self.activation = activations.get(activation)

    def call(self, inputs, training=None):
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            linear_inputs = dnn_inputs = inputs
        else:
            linear_inputs, dnn_inputs = inputs
        linear_output = self.linear_model(linear_inputs)
        dnn_output = self.dnn_model(dnn_inputs, training=training)
        summed = [a + b for a, b in zip(nest.flatten(linear_output), nest.flatten(dnn_output))]
        output = nest.pack_sequence_as(linear_output, summed)
        if self.activation is not None:
            return nest.map_structure(self.activation, output)
        return output

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=None, jit_compile=None, **kwargs):
        """As ``Model.compile``; ``optimizer`` may also be a list ``[linear_optimizer, dnn_optimizer]``."""
        if isinstance(optimizer, (list, tuple)):
            if len(optimizer) != 2:
                raise ValueError(f"WideDeepModel.compile(optimizer=...): a list must hold two optimizers (linear, "
                                 f"dnn), received {len(optimizer)}")
            from .. import optimizers
            pair = [optimizers.get(o) for o in optimizer]
            super().compile(pair[0], loss, metrics, loss_weights, weighted_metrics, run_eagerly, steps_per_execution,
                            jit_compile, **kwargs)
            self.optimizer = pair
            self._compile_args["optimizer"] = list(optimizer)
            return
        super().compile(optimizer, loss, metrics, loss_weights, weighted_metrics, run_eagerly, steps_per_execution,
                        jit_compile, **kwargs)

    def _train_step(self, xb, yb, swb):
        x = self._to_model_inputs(xb)
        y = None if yb is None else [None if a is None else make_leaf(a) for a in yb]
        out = self._eager_call(x, (), {"training": True}, False)
        y_pred = self._flatten_outputs(out)
        if not self.compiled_metrics.built or not self.compiled_loss.built:
            self._build_containers(y, y_pred)
        if y is None:
            y = [None] * len(y_pred)
        loss = self.compiled_loss(y, y_pred, swb, self._regularization_losses())
        self.compiled_metrics.update_state(y, y_pred, swb)
        if isinstance(self.optimizer, list):
            linear_vars = self.linear_model.trainable_weights
            dnn_vars = self.dnn_model.trainable_weights
            grads = ag.gradients(loss, linear_vars + dnn_vars)
            self.optimizer[0].apply(grads[:len(linear_vars)], linear_vars)
            self.optimizer[1].apply(grads[len(linear_vars):], dnn_vars)
        else:
            grads = ag.gradients(loss, self._train_vars)
            self.optimizer.apply(grads, self._train_vars)

    def get_config(self):
        from ..layers import serialize
        return {"name": self.name, "trainable": self.trainable, "linear_model": serialize(self.linear_model),
                "dnn_model": serialize(self.dnn_model), "activation": activations.serialize(self.activation)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize
        config = dict(config)
        config["linear_model"] = deserialize(config["linear_model"], custom_objects=custom_objects)
        config["dnn_model"] = deserialize(config["dnn_model"], custom_objects=custom_objects)
        return cls(**config)
