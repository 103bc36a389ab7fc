"""A model revived from its traced graphs alone, when its class or config cannot be used (tf.keras's revived
SavedModel): ``predict``, ``__call__``, ``evaluate`` and ``fit`` (fine-tuning its weights) work; ``get_config``
does not (there is no architecture to describe, only the computation).

Each saved input signature holds two graphs: the inference forward and the training forward (Dropout's draws,
BatchNormalization's batch statistics and its moving-average updates). The graphs read the model's weights as
parameters, so gradients reach them and ``fit`` trains them as the original model would; losses the original
added in ``call`` (activity and weight regularization) are extra graph outputs, added again with ``add_loss``.

Example:
    >>> model = kerasfront.models.load_model("my_model")     # its class was deleted
    >>> type(model).__name__
    'RevivedModel'
    >>> model.predict(x).shape
    (100, 10)
"""
import numpy as np

import autograd as ag

from .. import random_state
from ..engine import nest
from ..engine.training import Model
from ..engine.traced_forward import flatten_spec, spec_key
from ..variables import Variable

__all__ = ["RevivedModel"]


class RevivedModel(Model):
    """A model whose forward pass is a traced graph of autograd primitives (see the module docstring).

    Args:
        name: the original model's name.
        weights: ``[(name, keras name, array, trainable)]`` in the original ``model.weights`` order.
        forwards: ``[{"spec": signature, "inference": TracedForward, "training": TracedForward}]``.
        original_class: the original model's class name (for messages).
    """

    def __init__(self, name, weights, forwards, original_class="Model"):
        super().__init__(name=name)
        self._original_class = original_class
        self._params = {}
        self._saved_order = []
        for pname, keras_name, value, trainable in weights:
            var = Variable(np.array(value, copy=True), name=keras_name, trainable=bool(trainable))
            (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
            self._params[pname] = var
            self._saved_order.append(var)
        self._forwards = list(forwards)
        self._by_key = {spec_key(f["spec"]): f for f in self._forwards}
        # its saved signatures are its call signatures: saving it to a folder again traces them
        self.__dict__["_call_signatures"] = dict(self._by_key and {k: f["spec"] for k, f in self._by_key.items()})
        first = self._forwards[0]["inference"]
        self._probed_output_names = list(first.output_names)
        self.built = True

    @property
    def weights(self):
        """The weights in the original model's order (so ``get_weights`` / ``set_weights`` match it)."""
        return list(self._saved_order)

    variables = weights

    @property
    def saved_signatures(self):
        """The input signatures the model was saved with: structures of ``(per-sample shape, dtype)``."""
        return [f["spec"] for f in self._forwards]

    def _match(self, inputs):
        """The saved forward for ``inputs`` and the inputs as a flat list of Tensors of its dtypes."""
        flat = [inputs] if isinstance(inputs, ag.Tensor) else nest.flatten(inputs)
        for f in self._forwards:
            leaves = flatten_spec(f["spec"])
            if len(leaves) != len(flat) or type(f["spec"]) is dict and not isinstance(inputs, dict):
                continue
            if isinstance(inputs, dict) and (not isinstance(f["spec"], dict) or sorted(inputs) != sorted(f["spec"])):
                continue
            ok = True
            cast = []
            for t, (shape, dtype) in zip(flat, leaves):
                if not isinstance(t, ag.Tensor) or tuple(t.shape[1:]) != tuple(shape):
                    ok = False
                    break
                dt = np.dtype(dtype)
                if t.dtype != dt:
                    if t.dtype.kind != dt.kind and not (t.dtype.kind in "iu" and dt.kind in "iu"):
                        if not (t.dtype.kind in "iub" and dt.kind == "f"):
                            ok = False
                            break
                    t = ag.astype(t, dt)
                cast.append(t)
            if ok:
                return f, cast
        got = [(tuple(t.shape[1:]), t.dtype.name) if isinstance(t, ag.Tensor) else type(t).__name__ for t in flat]
        raise ValueError(f"Model '{self.name}' (revived from its traced graphs; the original class "
                         f"{self._original_class} was not available) can only be called on the input signatures it "
                         f"was saved with: {self.saved_signatures} (per-sample shape, dtype). Received {got}. Save "
                         f"the original model after calling it on inputs of this shape.")

    def call(self, inputs, training=None):
        if training is None:
            from .. import backend
            training = backend.learning_phase() == 1
        forward, flat = self._match(inputs)
        traced = forward["training" if training else "inference"]
        if traced is None:
            raise ValueError(f"Model '{self.name}' was revived from its traced graphs without a training-mode graph "
                             f"(it could not be traced when it was saved: {forward.get('training_unavailable')}); it "
                             f"predicts and evaluates but cannot be called with training=True or trained. Load it "
                             f"with its classes (custom_objects) to train it.")
        outs = traced.graph.run(flat, params=self._params, rng=random_state.generator(), apply_updates=bool(training))
        n_out = len(outs) - traced.n_losses
        for loss in outs[n_out:]:
            self.add_loss(loss)
        outs = outs[:n_out]
        if traced.outputs is None:
            return outs[0]
        if traced.outputs[0] == "dict":
            return dict(zip(traced.outputs[1], outs))
        return list(outs)

    def get_config(self):
        raise NotImplementedError(f"Model '{self.name}' was revived from its traced graphs (its class "
                                  f"{self._original_class} was not available when it was loaded), so it has no config; "
                                  f"save it to a folder again with model.save('path'), or load it with its class in "
                                  f"custom_objects to get the original model back")
