"""Where Keras 3 and tf.keras 2.13+ (``tf_keras`` 2.21) put each object's variables in a ``.weights.h5`` file.

Both write ``<path>/vars/0``, ``1``, ... groups and find the paths by walking an object's attributes (``dir()``,
properties included); the first path that reaches an object is its path, and a list's items are named after their
class (``dense``, ``dense_1``). They differ in the order of that walk, and in the names of a list's items met
before: Keras 3 gives them a name (``dense_3`` below counts the three Dense layers met before), tf.keras 2 skips them
(they take no index):

- Keras 3 visits a subclassed model's public attributes in alphabetical order, its ``layers`` property among them
  (its metrics are not saved): ``d1/vars``, ``blocks/dense/vars``, but ``layers/dense_3/vars`` for an attribute
  ``out`` (``"out" > "layers"``).
- tf.keras 2 visits them in reverse alphabetical order, its ``layers`` and ``metrics`` properties among them:
  ``out/vars``, but ``layers/dense/vars`` for ``d1``, ``layers/sequential/...`` for a nested model ``inner``,
  ``metrics/mean/vars`` for a tracker ``loss_tracker`` and ``tracker/vars`` for one named ``tracker``.

Sequential and functional models get the same layout from both (``layers/<class>`` in order).

Example:
    >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
    >>> [path for path, obj in tf_keras_paths(model)]
    ['', 'layers/dense']
"""
from .keras_zip import _children as _keras3_children
from .keras_zip import _snake

#: attributes tf.keras 2 never walks (its ``ATTR_SKIPLIST``) and kerasfront's bookkeeping of graph nodes
_SKIP = frozenset({"_inbound_nodes", "_outbound_nodes", "inbound_nodes", "outbound_nodes", "_self_tracked_trackables",
                   "_output_layers", "_input_layers", "submodules"})


def _is_trackable(value, metrics=True):
    from ..engine.base_layer import Layer
    from ..metrics import Metric
    return isinstance(value, (Layer, Metric) if metrics else Layer)


def _as_items(value, metrics=True):
    """The trackables a container holds (a dict's values), or None when it holds none."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)) and value and any(_is_trackable(v, metrics) for v in value):
        return [v for v in value if _is_trackable(v, metrics)]
    return None


def _is_subclassed_model(obj):
    from ..engine.training import Model
    return isinstance(obj, Model) and not (getattr(obj, "_is_graph_network", False) or hasattr(obj, "_seq_layers"))


def _public_children(obj, metrics):
    found = {}
    for attr, value in vars(obj).items():
        if attr.startswith("_") or attr in _SKIP:
            continue
        if _is_trackable(value, metrics):
            found[attr] = value
        else:
            items = _as_items(value, metrics)
            if items:
                found[attr] = items
    return found


def _tf_keras_children(obj):
    """``(attribute, trackable or [trackables])`` in the order tf.keras 2 visits them (names reverse-sorted).

    A model's ``layers`` and ``metrics`` properties count as attributes; its private attributes come after
    ``layers`` (``_`` sorts below lowercase letters), so every layer they hold is already placed and they are left
    out. A plain layer's private sublayers (``self._inner``) are walked under their attribute names, as tf.keras 2
    does."""
    from ..engine.training import Model
    if isinstance(obj, Model):
        found = _public_children(obj, metrics=True)
        found["layers"] = list(obj.layers)
        metrics = [m for m in getattr(obj, "metrics", []) if _is_trackable(m)]
        if metrics:
            found["metrics"] = metrics
    else:
        found = {}
        for attr, value in vars(obj).items():
            if attr in _SKIP or attr.startswith("__"):
                continue
            items = value if _is_trackable(value) else _as_items(value)
            if items:
                found[attr] = items
    return [(attr, found[attr]) for attr in sorted(found, reverse=True)]


def _keras3_exact_children(obj):
    """Keras 3's walk: as kerasfront writes it, except that a subclassed model's ``layers`` property sorts among its
    public attributes (an attribute named after ``"layers"`` is reached through it)."""
    if not _is_subclassed_model(obj):
        return [(name, child) for name, child, _ in _keras3_children(obj)]
    found = _public_children(obj, metrics=False)
    found["layers"] = list(obj.layers)
    return [(attr, found[attr]) for attr in sorted(found)]


def _walk(model, children, name_seen_items):
    out, seen = [], set()

    def visit(obj, path):
        seen.add(id(obj))
        out.append((path, obj))
        for attr, child in children(obj):
            base = f"{path}/{attr}" if path else attr
            if not isinstance(child, list):
                if id(child) not in seen:
                    visit(child, base)
                continue
            used = {}
            for item in child:
                if id(item) in seen and not name_seen_items:
                    continue
                name = _snake(type(item).__name__)
                if name in used:
                    used[name] += 1
                    name = f"{name}_{used[name]}"
                else:
                    used[name] = 0
                if id(item) not in seen:
                    visit(item, f"{base}/{name}")

    visit(model, "")
    return out


def tf_keras_paths(model):
    """``[(path, object)]`` for the model and every layer and metric in it, with tf.keras 2.21's ``.weights.h5``
    paths (``""`` for the model itself).

    Example:
        >>> [path for path, obj in tf_keras_paths(subclassed_model)]     # d1, blocks=[Dense], tracker=Mean()
        ['', 'tracker', 'layers/dense', 'layers/dense_1']
    """
    return _walk(model, _tf_keras_children, name_seen_items=False)


def keras3_paths(model):
    """``[(path, layer)]`` with Keras 3's ``.weights.h5`` paths, where a subclassed model's attributes named after
    ``"layers"`` sit under ``layers/<class>``.

    Example:
        >>> [path for path, obj in keras3_paths(subclassed_model)]       # d1, out
        ['', 'd1', 'layers/dense_1']              # "dense" is d1, met before: it takes the first name
    """
    return _walk(model, _keras3_exact_children, name_seen_items=True)
