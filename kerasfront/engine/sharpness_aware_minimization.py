"""``models.experimental.SharpnessAwareMinimization`` (Foret et al., 2021), as tf.keras 2.21 trains it.

Each training step, for every split of the batch: the loss gradient ``g`` at the weights ``w`` gives the
ascent step ``e = rho * g / ||g||`` (the norm over all gradients together); the gradient is taken again at
``w + e`` (with ``training=True``) and ``e`` is taken back. The second gradients, summed over the splits, go to
the optimizer; the metrics see the predictions of the first pass. As in tf.keras, the first pass runs with
``training`` unset (dropout off), the loss has no regularization terms, and both passes update the loss tracker.

Example:
    >>> inner = kerasfront.Sequential([kerasfront.layers.Dense(1, input_shape=(3,))])
    >>> sam = SharpnessAwareMinimization(inner, rho=0.05)
    >>> sam.compile(optimizer="sgd", loss="mse")
    >>> sam.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0).history["loss"][0] > 0
    True
"""
import numbers

import numpy as np

import autograd as ag
from autograd.tensor import make_leaf

from .base_layer import Layer
from .training import Model

__all__ = ["SharpnessAwareMinimization"]


def _split(arrays, n, what):
    if arrays is None:
        return [None] * n
    out = [[] for _ in range(n)]
    for a in arrays:
        if a is None:
            for part in out:
                part.append(None)
            continue
        if len(a) % n:
            raise ValueError(f"SharpnessAwareMinimization(num_batch_splits={n}): the batch of {len(a)} {what} does "
                             f"not split into {n} equal parts")
        for part, piece in zip(out, np.split(np.asarray(a), n)):
            part.append(piece)
    return out


class SharpnessAwareMinimization(Model):
    """Train ``model`` with sharpness-aware minimization.

    Args:
        model: the model to train (its weights are the ones updated).
        rho: the radius of the ascent step (default 0.05).
        num_batch_splits: split each batch into this many equal parts, one ascent step each (None: one).
        name: the model's name.

    Example:
        >>> sam = SharpnessAwareMinimization(model, rho=0.1, num_batch_splits=2)
    """

    def __init__(self, model, rho=0.05, num_batch_splits=None, name=None):
        if not isinstance(model, Layer):
            raise TypeError(f"SharpnessAwareMinimization(model=...): expected a kerasfront Model, received "
                            f"{type(model).__name__}")
        if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not np.isfinite(rho) or rho < 0:
            raise ValueError(f"SharpnessAwareMinimization(rho=...): expected a non-negative number, received {rho!r}")
        if num_batch_splits is not None and (isinstance(num_batch_splits, bool) or
                                             not isinstance(num_batch_splits, numbers.Integral) or
                                             num_batch_splits < 1):
            raise ValueError(f"SharpnessAwareMinimization(num_batch_splits=...): expected a positive integer or "
                             f"None, received {num_batch_splits!r}")
        super().__init__(name=name)
        self.model = model
        self.rho = rho
        self.num_batch_splits = num_batch_splits

    def call(self, inputs, **kwargs):
        return self.model(inputs, **kwargs)

    def _forward_loss(self, x, y, sw, training):
        out = self._eager_call(x, (), {} if training is None else {"training": training}, False)
        y_pred = self._flatten_outputs(out)
        if not self.compiled_metrics.built or not self.compiled_loss.built:
            self._build_containers(y, y_pred)
        return y_pred, self.compiled_loss(y, y_pred, sw)

    def _train_step(self, xb, yb, swb):
        n = self.num_batch_splits or 1
        variables = self.model.trainable_weights
        summed = None
        predictions = []
        for x_part, y_part, sw_part in zip(_split(xb, n, "inputs"), _split(yb, n, "targets"),
                                           _split(swb, n, "sample weights")):
            x = self._to_model_inputs(x_part)
            y = None if y_part is None else [None if a is None else make_leaf(a) for a in y_part]
            y_pred, loss = self._forward_loss(x, y, sw_part, None)
            predictions.append([p.data for p in y_pred])
            grads = ag.gradients(loss, variables)
            with ag.no_grad():
                norms = [np.sqrt(np.sum(np.square(g.data))) for g in grads if g is not None]
                norm = np.sqrt(np.sum(np.square(np.asarray(norms, dtype=np.float32))))
                scale = np.float32(self.rho) / (norm + np.float32(1e-12))
                epsilons = [None if g is None else (g.data * scale).astype(v.dtype) for g, v in zip(grads, variables)]
                for v, e in zip(variables, epsilons):
                    if e is not None:
                        ag.assign_add(v, e)
            _, loss = self._forward_loss(x, y, sw_part, True)
            grads = ag.gradients(loss, variables)
            with ag.no_grad():
                for v, e in zip(variables, epsilons):
                    if e is not None:
                        ag.assign_sub(v, e)
            grads = [None if g is None else g.data for g in grads]
            summed = grads if summed is None else [a if b is None else (b if a is None else a + b)
                                                   for a, b in zip(summed, grads)]
        self.optimizer.apply([None if g is None else ag.Tensor(g) for g in summed], variables)
        y_full = None if yb is None else [None if a is None else make_leaf(a) for a in yb]
        y_pred_full = [ag.Tensor(np.concatenate([p[i] for p in predictions], axis=0))
                       for i in range(len(predictions[0]))]
        self.compiled_metrics.update_state(y_full if y_full is not None else [None] * len(y_pred_full), y_pred_full,
                                           swb)

    def get_config(self):
        from ..layers import serialize
        return {"name": self.name, "trainable": self.trainable, "model": serialize(self.model), "rho": self.rho,
                "num_batch_splits": self.num_batch_splits}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize
        config = dict(config)
        config.pop("trainable", None)
        config["model"] = deserialize(config["model"], custom_objects=custom_objects)
        return cls(**config)
