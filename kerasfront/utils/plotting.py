"""Pictures of training: ``plot_history`` (loss and metrics per epoch) and ``plot_model`` (the layer graph).

Both are optional extras. ``plot_history`` needs matplotlib (``pip install "kerasfront[plot]"``).
``plot_model`` draws with Graphviz's ``dot`` program when it is on the PATH (as ``keras.utils.plot_model``
does, through pydot), and otherwise draws the same graph itself with matplotlib, so a user without Graphviz
still gets a picture; with neither, it raises an ImportError that names both. A ``to_file`` ending in
``.dot`` gets the Graphviz source text and needs nothing installed. ``model_to_dot`` returns a ``pydot.Dot``,
as in Keras, and so needs pydot.

Example:
    >>> history = model.fit(x, y, validation_split=0.2, epochs=10, verbose=0)
    >>> fig = plot_history(history, "history.png")        # one panel per metric, train and validation
    >>> plot_model(model, to_file="model.png", show_shapes=True)
"""
import math
import numbers
import os
import re
import shutil
import subprocess
import sys

__all__ = ["plot_history", "plot_model", "model_to_dot"]

_MATPLOTLIB_HINT = 'pip install matplotlib (or pip install "kerasfront[plot]")'
_GRAPHVIZ_HINT = ("install Graphviz so that its `dot` program is on the PATH (apt-get install graphviz, "
                  "brew install graphviz or conda install graphviz)")


def _import_matplotlib(what):
    """matplotlib's Figure class, or an ImportError that says how to install matplotlib."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{what} needs matplotlib, which is not installed. Install it with: "
                          f"{_MATPLOTLIB_HINT}.", name="matplotlib") from None
    del matplotlib
    return Figure


def _check_path(path, argument, function):
    """``path`` as a str, after checking its type and that its folder exists (before anything is drawn)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{function}({argument}=...): expected a file path (str or os.PathLike), received "
                        f"{type(path).__name__}: {path!r:.80}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{function}({argument}=...): the folder {folder!r} does not exist (received "
                         f"{argument}={path!r})")
    return path


# ---------------------------------------------------------------------------------------------------------
# plot_history
# ---------------------------------------------------------------------------------------------------------
def _history_dict(history):
    """``(logs, epochs)``: the per-epoch lists of a History (or of a plain dict) and the 1-based epochs."""
    if isinstance(history, dict):
        logs, epochs = history, None
    elif isinstance(getattr(history, "history", None), dict):
        logs, epochs = history.history, getattr(history, "epoch", None)
    else:
        raise TypeError(f"plot_history(history=...): expected the History that model.fit returns, or its "
                        f".history dict, received {type(history).__name__}")
    if not logs:
        raise ValueError("plot_history(history=...): the history is empty (was fit run for at least one epoch, "
                         "and with a History callback?)")
    clean = {}
    for key, values in logs.items():
        if not isinstance(key, str):
            raise TypeError(f"plot_history(history=...): expected metric names (str) as keys, received {key!r}")
        try:
            values = [float(v) for v in values]
        except (TypeError, ValueError):
            raise TypeError(f"plot_history(history=...): expected a list of numbers for {key!r}, received "
                            f"{values!r:.80}") from None
        clean[key] = values
    n = max(len(v) for v in clean.values())
    if epochs is not None and len(epochs) == n and all(isinstance(e, numbers.Integral) for e in epochs):
        epochs = [int(e) + 1 for e in epochs]
    else:
        epochs = list(range(1, n + 1))
    return clean, epochs


def _panels(logs, metrics):
    """Ordered ``[(name, train_key or None, val_key or None)]``: loss first, then metrics as logged."""
    names = []
    for key in logs:
        base = key[4:] if key.startswith("val_") else key
        if base not in names:
            names.append(base)
    if metrics is not None:
        if isinstance(metrics, str):
            metrics = [metrics]
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"plot_history(metrics=...): {unknown} not in the history; it has {names}")
        names = list(metrics)
    elif "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    return [(name, name if name in logs else None, "val_" + name if "val_" + name in logs else None)
            for name in names]


def _epochs_for(values, epochs):
    """The epochs at which ``values`` were logged.

    A validation list shorter than the training list comes from ``validation_freq=k``: Keras validates
    after epochs k, 2k, ..., so those are used when the counts fit; otherwise the last epochs.
    """
    n, m = len(epochs), len(values)
    if m == n:
        return epochs
    if 0 < m < n:
        step = n // m
        if n - step * m < step:
            return [epochs[step * (i + 1) - 1] for i in range(m)]
        return epochs[n - m:]
    return list(range(1, m + 1))


def plot_history(history, path=None, metrics=None, figsize=None, dpi=100):
    """Draw the loss and each metric per epoch, training and validation curves side by side.

    One panel per quantity (``loss`` first, then the metrics in the order fit logged them); the
    validation curve ``val_<name>`` shares its panel. Drawn on a ``matplotlib.figure.Figure`` (not pyplot),
    so it works without a display and leaves pyplot's state alone.

    Args:
        history: the ``History`` that ``model.fit`` returns, or its ``.history`` dict
            (``{"loss": [...], "val_loss": [...], ...}``).
        path: where to save the picture, or None to only return the figure. The format follows the
            extension (``.png``, ``.pdf``, ``.svg``, ...).
        metrics: names to draw (e.g. ``["loss"]``); default: every quantity in the history.
        figsize: ``(width, height)`` in inches; default: 4.8 x 3.6 per panel.
        dpi: resolution of the saved picture.

    Returns:
        The ``matplotlib.figure.Figure`` (shown by Jupyter when it is a cell's result).

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).

    Example:
        >>> history = model.fit(x, y, validation_split=0.2, epochs=10, verbose=0)
        >>> fig = plot_history(history, "history.png")
    """
    logs, epochs = _history_dict(history)
    panels = _panels(logs, metrics)
    if path is not None:
        path = _check_path(path, "path", "plot_history")
    Figure = _import_matplotlib("plot_history")
    from matplotlib.ticker import MaxNLocator

    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=figsize or (4.8 * cols, 3.6 * rows), dpi=dpi, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    style = {"marker": "o" if len(epochs) <= 30 else None, "markersize": 3}
    for ax, (name, train_key, val_key) in zip(axes, panels):
        if train_key is not None:
            ax.plot(_epochs_for(logs[train_key], epochs), logs[train_key], label="train", **style)
        if val_key is not None:
            ax.plot(_epochs_for(logs[val_key], epochs), logs[val_key], label="validation", **style)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


# ---------------------------------------------------------------------------------------------------------
# plot_model: the graph, as plain data
# ---------------------------------------------------------------------------------------------------------
class _Box:
    """One node of the picture: a layer (or a whole model) with its label parts."""

    __slots__ = ("id", "title", "cls", "rows", "cluster")

    def __init__(self, id, title, cls, rows, cluster):
        self.id, self.title, self.cls, self.rows, self.cluster = id, title, cls, rows, cluster


def _shape_or_unknown(layer, attr):
    batch_input_shape = getattr(layer, "_batch_input_shape", None)
    if type(layer).__name__ == "InputLayer" and batch_input_shape is not None:
        return str([tuple(batch_input_shape)])      # Keras shows an InputLayer's shapes as a list
    try:
        return str(getattr(layer, attr))
    except (AttributeError, ValueError, RuntimeError):
        return "?"


def _activation_name(layer):
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    return getattr(act, "__name__", None) or getattr(act, "name", None) or str(act)


def _dtype_name(layer):
    dtype = getattr(layer, "dtype", None)
    return str(getattr(dtype, "name", dtype)) if dtype is not None else "?"


def _is_graph_model(layer):
    return bool(getattr(layer, "_is_graph_network", False)) and hasattr(layer, "_nodes_by_depth")


def _all_layers(model):
    """The model's layers in Keras's order, InputLayers included (Sequential hides its own)."""
    return list(getattr(model, "_layers", None) or model.layers)


def _select_layers(layers, layer_range):
    """The layers from the first matching ``layer_range[0]`` to the last matching ``layer_range[1]``."""
    if layer_range is None:
        return layers
    if (not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2
            or not all(isinstance(p, str) for p in layer_range)):
        raise ValueError(f"plot_model(layer_range=...): expected a list of two layer names (or regex patterns), "
                         f"received {layer_range!r}")
    names = [layer.name for layer in layers]
    starts = [i for i, n in enumerate(names) if re.match(layer_range[0], n)]
    ends = [i for i, n in enumerate(names) if re.match(layer_range[1], n)]
    if not starts or not ends:
        missing = layer_range[0] if not starts else layer_range[1]
        raise ValueError(f"plot_model(layer_range=...): no layer matches {missing!r}; the layers are {names}")
    if starts[0] > ends[-1]:
        raise ValueError(f"plot_model(layer_range=...): {layer_range[0]!r} comes after {layer_range[1]!r} in the "
                         f"model")
    return layers[starts[0]:ends[-1] + 1]


class _GraphBuilder:
    """Walks a model into boxes and edges (ids are stable strings, unique across nested models)."""

    def __init__(self, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable,
                 expand_nested):
        self.opts = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                         show_layer_activations=show_layer_activations, show_trainable=show_trainable)
        self.expand_nested = expand_nested
        self.boxes = []
        self.edges = []
        self.clusters = {}      # cluster id -> title

    def _box(self, layer, box_id, cluster):
        o = self.opts
        rows = []
        if o["show_layer_activations"] and _activation_name(layer) is not None:
            rows.append(("activation", _activation_name(layer)))
        if o["show_dtype"]:
            rows.append(("dtype", _dtype_name(layer)))
        if o["show_shapes"]:
            rows.append(("input", _shape_or_unknown(layer, "input_shape")))
            rows.append(("output", _shape_or_unknown(layer, "output_shape")))
        if o["show_trainable"]:
            rows.append(("trainable", "Y" if layer.trainable else "N"))
        title = layer.name if o["show_layer_names"] else None
        self.boxes.append(_Box(box_id, title, type(layer).__name__, rows, cluster))

    def add_model(self, model, prefix="", cluster=None, layer_range=None):
        """Add ``model``'s layers; returns ``(entries, exits)``: box ids of its inputs and outputs."""
        if not _is_graph_model(model):
            # NOTE: as in Keras, a subclassed model has no graph to walk: it is drawn as one box.
            box_id = prefix + model.name
            self._box(model, box_id, cluster)
            return [box_id], [box_id]
        layers = _select_layers(_all_layers(model), layer_range)
        first_box = len(self.boxes)
        kept = {id(layer) for layer in layers}
        node_ids = {id(n) for depth in model._nodes_by_depth.values() for n in depth}
        entry_of, exit_of = {}, {}
        for layer in layers:
            if self.expand_nested and _is_graph_model(layer):
                sub_cluster = prefix + layer.name
                self.clusters[sub_cluster] = f"{layer.name} ({type(layer).__name__})"
                entries, exits = self.add_model(layer, prefix=sub_cluster + "/", cluster=sub_cluster)
            else:
                box_id = prefix + layer.name
                self._box(layer, box_id, cluster)
                entries, exits = [box_id], [box_id]
            entry_of[id(layer)], exit_of[id(layer)] = entries, exits
        for layer in layers:
            for node in layer._inbound_nodes:
                if id(node) not in node_ids:
                    continue
                for position, t in enumerate(node.keras_inputs):
                    src_layer, _, tensor_index = t._keras_history
                    if id(src_layer) not in kept:
                        continue
                    exits = exit_of[id(src_layer)]
                    entries = entry_of[id(layer)]
                    src = exits[min(tensor_index, len(exits) - 1)]
                    dst = entries[min(position, len(entries) - 1)]
                    if (src, dst) not in self.edges:
                        self.edges.append((src, dst))
        entries = [e for layer in getattr(model, "_input_layers", []) if id(layer) in kept
                   for e in entry_of[id(layer)]]
        exits = []
        for t in getattr(model, "outputs", None) or []:
            layer, _, tensor_index = t._keras_history
            if id(layer) in kept:
                ids = exit_of[id(layer)]
                exits.append(ids[min(tensor_index, len(ids) - 1)])
        return entries or [self.boxes[first_box].id], exits or [self.boxes[-1].id]


def _model_graph(model, show_shapes=False, show_dtype=False, show_layer_names=True, expand_nested=False,
                 layer_range=None, show_layer_activations=False, show_trainable=False):
    """The picture as data: ``(boxes, edges, clusters)``."""
    from ..engine.base_layer import Layer
    if not isinstance(model, Layer):
        raise TypeError(f"plot_model(model=...): expected a kerasfront Model, received {type(model).__name__}")
    if not getattr(model, "built", False) and not _is_graph_model(model):
        raise ValueError(f"plot_model: the model {model.name!r} has not been built yet. Build it first by calling "
                         f"it on data, by calling build(input_shape), or by giving its first layer an input_shape.")
    builder = _GraphBuilder(show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable,
                            expand_nested)
    builder.add_model(model, layer_range=layer_range)
    return builder.boxes, builder.edges, builder.clusters


# ---------------------------------------------------------------------------------------------------------
# plot_model: Graphviz
# ---------------------------------------------------------------------------------------------------------
def _dot_escape(text):
    """Escape text for a Graphviz record label (braces, bars and angle brackets are field syntax)."""
    return re.sub(r'([{}|<>"\\])', r"\\\1", str(text))


def _record_label(box, rankdir):
    # NOTE: record fields stack across the rank direction; "{...}" flips them, so with rankdir TB the
    # outer braces make the parts of a box read top to bottom.
    head = " (".join(filter(None, [_dot_escape(box.title) if box.title else None, _dot_escape(box.cls)]))
    head += ")" if box.title else ""
    parts = [head] + [f"{_dot_escape(k)}: {_dot_escape(v)}" for k, v in box.rows]
    label = "|".join(parts)
    return "{" + label + "}" if rankdir == "TB" else label


def _dot_source(boxes, edges, clusters, rankdir="TB", dpi=96, model_name="model"):
    """The graph in Graphviz's DOT language."""
    def q(s):
        return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [f"digraph {q(model_name)} {{", f"  graph [rankdir={rankdir}, concentrate=true, dpi={int(dpi)}];",
             '  node [shape=record, fontname="Helvetica", fontsize=11];']
    by_cluster = {}
    for box in boxes:
        by_cluster.setdefault(box.cluster, []).append(box)

    def emit(cluster, indent):
        for box in by_cluster.get(cluster, []):
            lines.append(f"{indent}{q(box.id)} [label={q(_record_label(box, rankdir))}];")
        for i, (cid, title) in enumerate(clusters.items()):
            parent = cid.rsplit("/", 1)[0] if "/" in cid else None
            if parent != cluster:
                continue
            lines.append(f"{indent}subgraph {q('cluster_' + cid)} {{")
            lines.append(f"{indent}  label={q(title)}; style=dashed;")
            emit(cid, indent + "  ")
            lines.append(f"{indent}}}")
    emit(None, "  ")
    for src, dst in edges:
        lines.append(f"  {q(src)} -> {q(dst)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _find_dot():
    """The path of Graphviz's ``dot`` program, or None."""
    return shutil.which("dot")


def _render_with_dot(dot_program, source, to_file, fmt):
    try:
        subprocess.run([dot_program, f"-T{fmt}", "-o", to_file], input=source.encode("utf-8"), check=True,
                       capture_output=True, timeout=60)
    except subprocess.CalledProcessError as e:
        message = e.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"plot_model: Graphviz's dot failed to write {to_file!r} as {fmt!r}: {message}") from None


# ---------------------------------------------------------------------------------------------------------
# plot_model: the matplotlib fallback
# ---------------------------------------------------------------------------------------------------------
def _layout(boxes, edges):
    """Rank of each box (longest path from a source) and its offset across the ranks.

    Within a rank, boxes sit at the mean offset of their parents where there is room, at least one cell
    apart, in the order of those means (a one-pass barycentre heuristic, enough for Keras-sized graphs).
    """
    parents = {b.id: [] for b in boxes}
    for src, dst in edges:
        parents[dst].append(src)
    rank = {}
    for b in boxes:                      # boxes are in Keras's (topological) layer order
        rank[b.id] = 1 + max((rank.get(p, 0) for p in parents[b.id]), default=-1)
    levels = {}
    for b in boxes:
        levels.setdefault(rank[b.id], []).append(b.id)
    position = {}
    for r in sorted(levels):
        ids = levels[r]
        default = {i: k - (len(ids) - 1) / 2 for k, i in enumerate(ids)}
        wanted = {}
        for i in ids:
            ps = [position[p] for p in parents[i] if p in position]
            wanted[i] = sum(ps) / len(ps) if ps else default[i]
        ids.sort(key=lambda i: wanted[i])
        placed = []
        for i in ids:
            placed.append(wanted[i] if not placed else max(wanted[i], placed[-1] + 1))
        shift = sum(wanted[i] for i in ids) / len(ids) - sum(placed) / len(placed)
        for i, p in zip(ids, placed):
            position[i] = p + shift
    return rank, position, len(levels)


def _box_text(box):
    head = f"{box.title} ({box.cls})" if box.title else box.cls
    return [head] + [f"{k}: {v}" for k, v in box.rows]


def _draw_with_matplotlib(boxes, edges, clusters, to_file, rankdir, dpi):
    Figure = _import_matplotlib("plot_model (without Graphviz)")
    from matplotlib.patches import FancyBboxPatch

    rank, position, n_ranks = _layout(boxes, edges)
    low, high = min(position.values()), max(position.values())
    n_wide = high - low + 1
    texts = {b.id: _box_text(b) for b in boxes}
    # NOTE: sizes in inches, estimated from character counts (0.075 in per character at 9 pt, 0.17 in per
    # line), so the figure is sized before anything is drawn and no text overflows its box.
    char_w, line_h, pad = 0.075, 0.17, 0.12
    widths = {i: max(len(s) for s in t) * char_w + 2 * pad for i, t in texts.items()}
    heights = {i: len(t) * line_h + 2 * pad for i, t in texts.items()}
    cell_w = max(widths.values()) + 0.4
    cell_h = max(heights.values()) + 0.45
    if rankdir == "TB":
        fig_w, fig_h = max(3.0, n_wide * cell_w), n_ranks * cell_h
    else:
        fig_w, fig_h = n_ranks * cell_w, max(2.0, n_wide * cell_h)
    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.axis("off")

    centre = {}
    for b in boxes:
        if rankdir == "TB":
            x = fig_w / 2 + (position[b.id] - (low + high) / 2) * cell_w
            y = fig_h - (rank[b.id] + 0.5) * cell_h
        else:
            x = (rank[b.id] + 0.5) * cell_w
            y = fig_h / 2 - (position[b.id] - (low + high) / 2) * cell_h
        centre[b.id] = (x, y)

    for cid, title in clusters.items():
        members = [b.id for b in boxes if b.cluster == cid or (b.cluster or "").startswith(cid + "/")]
        if not members:
            continue
        x0 = min(centre[m][0] - widths[m] / 2 for m in members) - 0.1
        x1 = max(centre[m][0] + widths[m] / 2 for m in members) + 0.1
        y0 = min(centre[m][1] - heights[m] / 2 for m in members) - 0.1
        y1 = max(centre[m][1] + heights[m] / 2 for m in members) + 0.22
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.02", fill=False,
                                    linestyle="--", edgecolor="0.5"))
        ax.text(x0 + 0.05, y1 - 0.05, title, fontsize=8, color="0.35", va="top", ha="left",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})

    for src, dst in edges:
        (x0, y0), (x1, y1) = centre[src], centre[dst]
        if rankdir == "TB":
            start, end = (x0, y0 - heights[src] / 2), (x1, y1 + heights[dst] / 2)
        else:
            start, end = (x0 + widths[src] / 2, y0), (x1 - widths[dst] / 2, y1)
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "-|>", "color": "0.25", "shrinkA": 0, "shrinkB": 0, "lw": 1})

    for b in boxes:
        x, y = centre[b.id]
        w, h = widths[b.id], heights[b.id]
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.0,rounding_size=0.06",
                                    facecolor="#eef3fb", edgecolor="#33507a", lw=1))
        lines = texts[b.id]
        top = y + h / 2 - pad - line_h / 2
        for k, line in enumerate(lines):
            ax.text(x, top - k * line_h, line, ha="center", va="center", family="monospace", fontsize=9,
                    fontweight="bold" if k == 0 else "normal")
    fig.savefig(to_file, dpi=dpi)


# ---------------------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------------------
def _check_rankdir(rankdir, function):
    if rankdir not in ("TB", "LR"):
        raise ValueError(f'{function}(rankdir=...): expected "TB" (top to bottom) or "LR" (left to right), '
                         f"received {rankdir!r}")


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=96, subgraph=False, layer_range=None, show_layer_activations=False,
                 show_trainable=False):
    """The model's layer graph as a ``pydot.Dot`` (as ``keras.utils.model_to_dot``); needs pydot.

    Args: as ``plot_model`` (``subgraph`` is accepted for Keras compatibility and ignored).

    Returns:
        A ``pydot.Dot``; ``.to_string()`` gives the DOT source.

    Example:
        >>> print(model_to_dot(model, show_shapes=True).to_string())
    """
    _check_rankdir(rankdir, "model_to_dot")
    boxes, edges, clusters = _model_graph(model, show_shapes, show_dtype, show_layer_names, expand_nested,
                                          layer_range, show_layer_activations, show_trainable)
    try:
        import pydot
    except ImportError:
        raise ImportError("model_to_dot needs pydot, which is not installed: pip install pydot (and, to render "
                          f"the graph, {_GRAPHVIZ_HINT}). plot_model does not need pydot.", name="pydot") from None
    graphs = pydot.graph_from_dot_data(_dot_source(boxes, edges, clusters, rankdir, dpi, model.name))
    return graphs[0]


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=96, layer_range=None, show_layer_activations=False,
               show_trainable=False):
    """Draw the model's layer graph to ``to_file``, as ``keras.utils.plot_model`` does.

    Each layer is a box ("name (Class)", then the optional rows below); arrows follow the tensors. Drawn by
    Graphviz's ``dot`` when it is on the PATH; otherwise by matplotlib (same boxes and arrows, a simpler
    layout: layers placed by their depth in the graph). A file name ending in ``.dot`` gets the DOT source
    and needs neither. A subclassed model has no graph to walk and is drawn as one box, as in Keras.

    Args:
        model: a built kerasfront Model (functional, Sequential or subclassed).
        to_file: the picture's path; the extension picks the format (``.png`` by default, ``.pdf``,
            ``.svg``, ``.dot``).
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's dtype.
        show_layer_names: start each box with the layer's name.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: draw the layers inside nested functional models, framed by a dashed box.
        dpi: resolution of raster pictures.
        layer_range: ``[first, last]`` layer names (regex patterns, matched from the start of the name):
            draw only the layers between them.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: add whether each layer is trainable.

    Returns:
        Inside IPython or Jupyter, an ``IPython.display.Image`` of a PNG, JPEG or GIF picture (so the notebook
        shows it); otherwise None.

    Raises:
        ImportError: neither Graphviz's ``dot`` nor matplotlib is available (the message names both).

    Example:
        >>> plot_model(model, to_file="model.png", show_shapes=True)
    """
    _check_rankdir(rankdir, "plot_model")
    to_file = _check_path(to_file, "to_file", "plot_model")
    boxes, edges, clusters = _model_graph(model, show_shapes, show_dtype, show_layer_names, expand_nested,
                                          layer_range, show_layer_activations, show_trainable)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    source = _dot_source(boxes, edges, clusters, rankdir, dpi, model.name)
    if extension in ("dot", "gv"):
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(source)
        return None
    dot_program = _find_dot()
    if dot_program is not None:
        _render_with_dot(dot_program, source, to_file, extension)
    else:
        try:
            _draw_with_matplotlib(boxes, edges, clusters, to_file, rankdir, dpi)
        except ImportError:
            raise ImportError(f"plot_model needs Graphviz or matplotlib, and neither is installed. Either "
                              f"{_GRAPHVIZ_HINT}, or {_MATPLOTLIB_HINT} to let kerasfront draw the graph itself. "
                              f"(Writing to a .dot file needs neither.)", name="matplotlib") from None
    # NOTE: only inside IPython (already imported there; a plain script does not pay for importing it), and
    # only for the raster formats IPython's Image can embed.
    if extension in ("png", "jpg", "jpeg", "gif") and "IPython" in sys.modules:
        try:
            from IPython import display
            return display.Image(filename=to_file)
        except (ImportError, ValueError):
            return None
    return None
