"""``model.summary()``: Keras 2's table of layers (name and type, output shape, parameter count and, for
branching functional models, the layers each one is connected to), then the parameter totals.

Example:
    >>> model.summary()
    Model: "model"
    _________________________________________________________________
     Layer (type)                Output Shape              Param #
    =================================================================
     input_1 (InputLayer)        [(None, 3)]               0
    ...
"""
import numpy as np


def readable_memory_size(size):
    """``104`` -> ``'104.00 Byte'``, ``2048`` -> ``'2.00 KB'``.

    Example:
        >>> readable_memory_size(2048)
        '2.00 KB'
    """
    for unit in ("Byte", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _count(weights):
    return int(sum(int(np.prod(w.shape, dtype=np.int64)) for w in weights))


def _memory(weights):
    return int(sum(int(np.prod(w.shape, dtype=np.int64)) * w.dtype.itemsize for w in weights))


def _is_sequential_like(model):
    from .sequential import Sequential
    if isinstance(model, Sequential) or not model._is_graph_network:
        return True
    nodes = []
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and len(depth_nodes[0].keras_inputs) > 1):
            return False
        nodes.extend(depth_nodes)
    node_ids = {id(n) for n in nodes}
    for layer in model.layers:
        if sum(1 for n in layer._inbound_nodes if id(n) in node_ids) > 1:
            return False
    return True


def _output_shape(layer):
    from .input_layer import InputLayer
    if isinstance(layer, InputLayer):
        return [tuple(layer._batch_input_shape)]
    try:
        return layer.output_shape
    except AttributeError:
        return "multiple"


def _row(fields, positions, print_fn):
    """Print one row, wrapping each column's text inside its width (breaking after '),' and the like)."""
    left = [str(f) for f in fields]
    last = len(positions) - 1
    while any(left):
        line = ""
        for col in range(len(left)):
            start = positions[col - 1] if col > 0 else 0
            space = 2 if col != last else 0
            cutoff = positions[col] - start - space - (1 if col != last else 0)
            piece = left[col][:cutoff]
            breaks = [piece.find(s) + len(s) for s in ("),", "},", "],", "',") if piece.find(s) >= 0]
            if breaks:
                cutoff = min(breaks)
                piece = piece[:cutoff]
            if col == 0:
                line += " "
            line += piece + " " * space
            left[col] = left[col][cutoff:]
            line += " " * (positions[col] - len(line))
        print_fn(line)


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False):
    """Print ``model``'s summary table with ``print_fn`` (default ``print``).

    Args:
        model: a built model.
        line_length: the table's width (default 65, or 98 for a model that is not a simple stack of layers).
        positions: the column boundaries, as fractions of ``line_length`` or as absolute positions.
        print_fn: called with each line (default ``print``).
        expand_nested: also list the layers inside nested models.
        show_trainable: add a column saying whether each layer is trainable.

    Example:
        >>> model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))], name="m")
        >>> lines = []; print_summary(model, print_fn=lines.append)
        >>> lines[0], lines[-4]
        ('Model: "m"', 'Total params: 9 (36.00 Byte)')
    """
    if print_fn is None:
        print_fn = print
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.3, 0.6, 0.70, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    else:
        positions = list(positions)
    if show_trainable:
        line_length += 11
        positions.append(line_length)
        header.append("Trainable")
    relevant = set()
    if not sequential_like:
        for depth_nodes in model._nodes_by_depth.values():
            relevant.update(id(n) for n in depth_nodes)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    _row(header, positions, print_fn)
    print_fn("=" * line_length)

    def layer_row(layer):
        params = layer.count_params() if (layer.built or getattr(layer, "_is_graph_network", False)) \
            else "0 (unused)"
        fields = [f"{layer.name} ({type(layer).__name__})", _output_shape(layer), params]
        if not sequential_like:
            connections = []
            for node in layer._inbound_nodes:
                if relevant and id(node) not in relevant:
                    continue
                for t in node.keras_inputs:
                    inbound, node_index, tensor_index = t._keras_history
                    connections.append(f"{inbound.name}[{node_index}][{tensor_index}]")
            fields.append(connections)
        if show_trainable:
            fields.append("Y" if layer.trainable else "N")
        _row(fields, positions, print_fn)

    layers = model.layers
    for layer in layers:
        layer_row(layer)
        if expand_nested and getattr(layer, "layers", None):
            for inner in layer.layers:
                layer_row(inner)
        print_fn(" " * line_length)
    print_fn("=" * line_length)
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    t_count, n_count = _count(trainable), _count(non_trainable)
    t_mem, n_mem = _memory(trainable), _memory(non_trainable)
    print_fn(f"Total params: {t_count + n_count} ({readable_memory_size(t_mem + n_mem)})")
    print_fn(f"Trainable params: {t_count} ({readable_memory_size(t_mem)})")
    print_fn(f"Non-trainable params: {n_count} ({readable_memory_size(n_mem)})")
    print_fn("_" * line_length)

