"""Keras 3 operation nodes in ``.keras`` files: Keras 3 records a ``keras.ops`` call on symbolic tensors (the
``ops.not_equal(ids, 0)`` of ``Embedding(mask_zero=True)``'s mask, the ``ops.logical_or`` with which ``Add`` merges
masks, a user's ``ops.equal(x, 0)``) as a node of an operation, an entry with ``"module": "keras.src.ops.numpy"``
and the op's class name (``NotEqual``). kerasfront reads such an entry as a ``Keras3Operation`` layer that
computes the same elementwise op, and writes it back in Keras 3's form.

Example:
    >>> op = Keras3Operation(op="NotEqual")
    >>> op(np.array([[3, 0]]), 0).numpy()
    array([[ True, False]])
"""
import autograd as ag

from ..engine.base_layer import Layer

__all__ = ["Keras3Operation", "KERAS3_OPS", "is_keras3_operation_entry", "operation_entry_from_keras3",
           "operation_entry_to_keras3"]

#: Keras 3 op class name -> (number of tensor arguments, the autograd function)
KERAS3_OPS = {
    "NotEqual": (2, ag.not_equal), "Equal": (2, ag.equal), "Greater": (2, ag.greater), "Less": (2, ag.less),
    "GreaterEqual": (2, ag.greater_equal), "LessEqual": (2, ag.less_equal),
    "LogicalAnd": (2, ag.logical_and), "LogicalOr": (2, ag.logical_or), "LogicalNot": (1, ag.logical_not),
}
_OPS_MODULE = "keras.src.ops.numpy"


class Keras3Operation(Layer):
    """One elementwise Keras 3 op (``op``: its Keras 3 class name, e.g. ``"NotEqual"``) as a layer of a
    functional model: ``call(x1, x2=None)``, no weights, output dtype as the op gives (bool for comparisons).

    Example:
        >>> Keras3Operation(op="LogicalOr")(np.array([True, False]), np.array([False, False])).numpy()
        array([ True, False])
    """

    def __init__(self, op, **kwargs):
        if op not in KERAS3_OPS:
            raise ValueError(f"Keras3Operation(op=...): the Keras 3 operation {op!r} is not supported by kerasfront; "
                             f"supported: {', '.join(sorted(KERAS3_OPS))}")
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.op = op
        self._arity, self._fn = KERAS3_OPS[op]

    def call(self, x1, x2=None):
        if self._arity == 1:
            if x2 is not None:
                raise ValueError(f"Keras 3 operation {self.op!r} takes one argument, received two")
            return self._fn(x1)
        if x2 is None:
            raise ValueError(f"Keras 3 operation {self.op!r} takes two arguments, received one")
        return self._fn(x1, x2)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {"name": self.name, "op": self.op}


def is_keras3_operation_entry(entry):
    """True for a Keras 3 config entry of an operation (``"module": "keras.src.ops..."`` or ``"keras.ops..."``)."""
    module = entry.get("module") if isinstance(entry, dict) else None
    return isinstance(module, str) and (module.startswith("keras.src.ops") or module.startswith("keras.ops"))


def operation_entry_from_keras3(entry):
    """A Keras 3 op entry as a ``Keras3Operation`` layer entry; an op kerasfront lacks is refused by name."""
    op = entry.get("class_name")
    if op not in KERAS3_OPS:
        raise ValueError(f"the file holds the Keras 3 operation {op!r} (module {entry.get('module')!r}, layer "
                         f"{entry.get('name')!r}), which kerasfront does not support; supported operations: "
                         f"{', '.join(sorted(KERAS3_OPS))}")
    name = (entry.get("config") or {}).get("name", entry.get("name"))
    rest = {k: v for k, v in entry.items() if k not in ("module", "class_name", "config", "registered_name")}
    return dict(rest, class_name="Keras3Operation", config={"name": name, "op": op})


def operation_entry_to_keras3(entry):
    """A ``Keras3Operation`` layer entry back in Keras 3's form (the inverse of ``operation_entry_from_keras3``)."""
    cfg = entry.get("config") or {}
    rest = {k: v for k, v in entry.items() if k not in ("module", "class_name", "config", "registered_name")}
    return {"module": _OPS_MODULE, "class_name": cfg["op"], "config": {"name": cfg.get("name")},
            "registered_name": cfg["op"], **rest}
