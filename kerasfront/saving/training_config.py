"""The ``training_config`` of a model file: what ``compile`` was given, written as tf.keras 2.x writes it, and
read back into ``compile`` arguments.

tf.keras writes the loss as given (a name, or ``{"class_name", "config"}`` for a Loss object), the metrics
as the metric objects compile made from them (one list per output:
``[[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "fn": "categorical_accuracy", ...}}]]``,
``[null]`` for an output without metrics), the loss weights, and the optimizer as
``{"class_name": "Custom>Adam", "config": {...}}``. Reading gives the same names back, so a reloaded model's
history has the keys the original run had (``accuracy``, ``cls_accuracy``).

Example:
    >>> config = training_config_of(model)                  # a JSON-able dict, or None when not compiled
    >>> model2.compile(**compile_args_from_training_config(config, output_names=model2.output_names))
"""
import numpy as np

from ..serialization import serialize_keras_object

__all__ = ["training_config_of", "compile_args_from_training_config", "optimizer_config_of"]


def _serialize_nested(value):
    """Names and numbers as they are; functions as their name; objects as ``{"class_name", "config"}``."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, dict):
        return {k: _serialize_nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_nested(v) for v in value]
    return serialize_keras_object(value)


def optimizer_config_of(optimizer):
    """``{"class_name": "Custom>Adam", "config": optimizer.get_config()}`` as tf.keras 2.11+ writes it (a class
    registered by the user keeps its own registration name; a legacy optimizer is ``"Adam"``).

    Example:
        >>> optimizer_config_of(kerasfront.optimizers.SGD())["class_name"]
        'Custom>SGD'
    """
    from ..optimizers import legacy
    data = serialize_keras_object(optimizer)
    name = data["class_name"]
    fixed = getattr(optimizer, "_tf_keras_class_name", None)      # LossScaleOptimizer: "LossScaleOptimizerV3"
    if fixed is not None:
        return {"class_name": fixed, "config": data["config"]}
    if ">" not in name and not isinstance(optimizer, legacy.Optimizer):
        # NOTE: a legacy optimizer is written by its plain name, without is_legacy_optimizer, as tf.keras does.
        name = f"Custom>{name}"
    return {"class_name": name, "config": data["config"]}


def _serialized_metric(m):
    data = serialize_keras_object(m)
    fn = data.get("config", {}).get("fn") if isinstance(data, dict) else None
    if isinstance(fn, str) and fn.startswith("<"):
        raise ValueError(f"metric '{m.name}' wraps an anonymous function")
    return data


def _built_metrics(per_output):
    """tf.keras's ``compiled_metrics._metrics``: one list per output, ``[None]`` for an output without any."""
    return [[_serialized_metric(m) for m in ms if m is not None] or [None] for ms in per_output]


def training_config_of(model):
    """The ``training_config`` dict of a compiled model (None when it is not compiled).

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> config = training_config_of(model); config["loss"], config["metrics"]
        ('mse', ['mae'])
    """
    if not getattr(model, "_is_compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    args = dict(getattr(model, "_compile_args", {}))
    metrics = args.get("metrics")
    weighted = args.get("weighted_metrics")
    container = getattr(model, "compiled_metrics", None)
    if container is not None and getattr(container, "built", False):
        try:
            if metrics is not None:
                metrics = _built_metrics(container._per_output)
            if weighted is not None:
                weighted = _built_metrics(container._per_output_weighted)
        except ValueError:
            metrics, weighted = args.get("metrics"), args.get("weighted_metrics")
    return {
        "loss": _serialize_nested(args.get("loss")),
        "metrics": _serialize_nested(metrics),
        "weighted_metrics": _serialize_nested(weighted),
        "loss_weights": _serialize_nested(args.get("loss_weights")),
        "optimizer_config": optimizer_config_of(model.optimizer),
    }


# -- reading ---------------------------------------------------------------------------------------------------

def _is_object_config(value):
    return isinstance(value, dict) and "class_name" in value and isinstance(value.get("class_name"), str)


def _deserialize_leaves(value, fn):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if _is_object_config(value):
        return fn(value)
    if isinstance(value, dict):
        return {k: _deserialize_leaves(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_deserialize_leaves(v, fn) for v in value]
    return value


def _strip_output_prefix(metrics, output_names):
    """A multi-output model's saved metric names carry the output's name (``cls_accuracy``); compile adds it
    again, so it is removed here to keep the history keys as they were."""
    if not output_names or len(output_names) < 2 or not isinstance(metrics, list) or len(metrics) != len(output_names):
        return metrics
    if not all(isinstance(ms, list) or ms is None for ms in metrics):
        return metrics
    for out_name, ms in zip(output_names, metrics):
        for m in ms or []:
            name = getattr(m, "name", None)
            if isinstance(name, str) and name.startswith(out_name + "_"):
                m.name = name[len(out_name) + 1:]
    return metrics


def _drop_none_lists(metrics):
    """``[[m], [None]]`` -> ``[[m], []]`` (compile wants empty lists for outputs without metrics)."""
    if not isinstance(metrics, list):
        return metrics
    if any(isinstance(ms, list) for ms in metrics) and all(isinstance(ms, list) or ms is None for ms in metrics):
        return [[x for x in ms or [] if x is not None] for ms in metrics]
    return [x for x in metrics if x is not None]


def compile_args_from_training_config(training_config, custom_objects=None, output_names=None):
    """``compile`` keyword arguments from a ``training_config`` dict (``Custom>Adam`` and ``Adam`` both
    resolve; unknown names raise a ValueError naming them).

    Args:
        training_config: the parsed ``training_config`` dict.
        custom_objects: classes and functions it names that are not built in.
        output_names: the model's output names, to strip the output prefix from saved metric names.

    Returns:
        A dict with ``optimizer``, ``loss``, ``metrics``, ``loss_weights`` and ``weighted_metrics``.

    Example:
        >>> args = compile_args_from_training_config({"loss": "mse", "optimizer_config": {
        ...     "class_name": "Custom>Adam", "config": {"learning_rate": 0.01}}})
        >>> type(args["optimizer"]).__name__, args["loss"]
        ('Adam', 'mse')
    """
    from .. import losses as losses_mod
    from .. import metrics as metrics_mod
    from .. import optimizers
    if not isinstance(training_config, dict):
        raise ValueError(f"training_config: expected a JSON object, received {type(training_config).__name__}")
    opt_config = training_config.get("optimizer_config")
    if opt_config is None:
        raise ValueError("training_config has no 'optimizer_config'")
    optimizer = optimizers.deserialize(opt_config, custom_objects=custom_objects)
    loss = _deserialize_leaves(training_config.get("loss"),
                               lambda c: losses_mod.deserialize(c, custom_objects=custom_objects))

    def metric(c):
        return metrics_mod.deserialize(c, custom_objects=custom_objects)

    metrics = _deserialize_leaves(training_config.get("metrics"), metric)
    weighted = _deserialize_leaves(training_config.get("weighted_metrics"), metric)
    metrics = _drop_none_lists(_strip_output_prefix(metrics, output_names))
    weighted = _drop_none_lists(_strip_output_prefix(weighted, output_names))
    return {"optimizer": optimizer, "loss": loss, "metrics": metrics, "weighted_metrics": weighted,
            "loss_weights": training_config.get("loss_weights")}
