"""plot_history and plot_model / model_to_dot: what is drawn, each rendering path, and the errors."""
import os
import stat
import sys
import textwrap

import numpy as np
import pytest

import kerasfront as keras
from kerasfront.utils import plotting

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(path):
    """(width, height) read from a PNG header; fails unless the file is a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == PNG_MAGIC, f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _branching_model():
    a = keras.Input(shape=(8,), name="a")
    b = keras.Input(shape=(4,), name="b")
    x = keras.layers.Dense(6, activation="relu", name="da")(a)
    y = keras.layers.Dense(6, activation="tanh", name="db")(b)
    z = keras.layers.Lambda(lambda t: t[0] + t[1], name="join")([x, y])
    out = keras.layers.Dense(3, activation="softmax", name="head")(z)
    aux = keras.layers.Dense(1, name="aux")(x)
    return keras.Model([a, b], [out, aux], name="branchy")


def _nested_model():
    inner_in = keras.Input(shape=(6,), name="inner_in")
    inner = keras.Model(inner_in, keras.layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    x_in = keras.Input(shape=(5,), name="outer_in")
    h = keras.layers.Dense(6, name="pre")(x_in)
    out = keras.layers.Dense(1, name="post")(inner(h))
    return keras.Model(x_in, out, name="outer")


# -- plot_history ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((40, 3)).astype("float32")
    y = (x.sum(axis=1) > 1.5).astype("int32")
    model = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0)


def _lines(ax):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()}


def test_plot_history_draws_train_and_validation_per_quantity(history, tmp_path):
    path = tmp_path / "history.png"
    fig = plotting.plot_history(history, path)
    width, height = _png_size(path)
    assert width > 300 and height > 200
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    h = history.history
    for ax, name in zip(axes, ["loss", "accuracy"]):
        lines = _lines(ax)
        assert lines["train"] == ([1, 2, 3], pytest.approx(h[name]))
        assert lines["validation"] == ([1, 2, 3], pytest.approx(h["val_" + name]))
        assert ax.get_xlabel() == "epoch"


def test_plot_history_from_a_dict_without_saving_and_selected_metrics(tmp_path):
    logs = {"accuracy": [0.5, 0.7], "loss": [1.0, 0.5], "mae": [0.3, 0.2]}
    fig = plotting.plot_history(logs, metrics=["mae"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["mae"]
    assert _lines(visible[0]) == {"train": ([1, 2], [0.3, 0.2])}
    fig = plotting.plot_history(logs)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss", "accuracy", "mae"]
    assert list(tmp_path.iterdir()) == []


def test_plot_history_places_sparse_validation_at_the_validated_epochs():
    # validation_freq=2 over 4 epochs logs validation after epochs 2 and 4
    fig = plotting.plot_history({"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [3.5, 1.5]})
    lines = _lines(fig.axes[0])
    assert lines["train"][0] == [1, 2, 3, 4]
    assert lines["validation"] == ([2, 4], [3.5, 1.5])


def test_plot_history_uses_the_epoch_numbers_of_the_history(history):
    class Resumed:
        history = {"loss": [0.4, 0.3]}
        epoch = [5, 6]           # fit(..., initial_epoch=5)
    fig = plotting.plot_history(Resumed())
    assert _lines(fig.axes[0])["train"][0] == [6, 7]


@pytest.mark.parametrize("bad, error, words", [
    ([1, 2], TypeError, "History"),
    ({}, ValueError, "empty"),
    ({"loss": ["a"]}, TypeError, "'loss'"),
])
def test_plot_history_rejects_bad_history(bad, error, words):
    with pytest.raises(error, match=words):
        plotting.plot_history(bad)


def test_plot_history_errors_name_the_argument(tmp_path):
    with pytest.raises(ValueError, match=r"metrics=.*\['acc'\].*\['loss'\]"):
        plotting.plot_history({"loss": [1.0]}, metrics=["acc"])
    missing = tmp_path / "no_such_folder" / "h.png"
    with pytest.raises(ValueError, match="does not exist"):
        plotting.plot_history({"loss": [1.0]}, missing)
    with pytest.raises(TypeError, match="path="):
        plotting.plot_history({"loss": [1.0]}, 3)
    assert not missing.parent.exists()


def test_plot_history_without_matplotlib_says_how_to_install(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"matplotlib.*pip install") as info:
        plotting.plot_history({"loss": [1.0]})
    assert info.value.name == "matplotlib"


# -- the graph -------------------------------------------------------------------------------------------
def test_graph_of_a_branching_functional_model():
    model = _branching_model()
    boxes, edges, clusters = plotting._model_graph(model, show_shapes=True, show_layer_activations=True)
    by_id = {b.id: b for b in boxes}
    assert list(by_id) == [layer.name for layer in model.layers]
    assert sorted(edges) == sorted([("a", "da"), ("b", "db"), ("da", "join"), ("db", "join"), ("join", "head"),
                                    ("da", "aux")])
    assert clusters == {}
    assert by_id["head"].cls == "Dense"
    assert dict(by_id["head"].rows) == {"activation": "softmax", "input": "(None, 6)", "output": "(None, 3)"}
    assert dict(by_id["a"].rows)["output"] == "[(None, 8)]"


def test_graph_of_a_sequential_model_includes_its_input_layer():
    model = keras.Sequential([keras.layers.Dense(4, input_shape=(3,), name="d1"), keras.layers.Dense(2, name="d2")])
    boxes, edges, _ = plotting._model_graph(model, show_dtype=True, show_trainable=True)
    assert [b.id for b in boxes] == ["d1_input", "d1", "d2"]
    assert edges == [("d1_input", "d1"), ("d1", "d2")]
    assert dict(boxes[1].rows) == {"dtype": "float32", "trainable": "Y"}


def test_graph_of_a_nested_model_collapsed_and_expanded():
    model = _nested_model()
    boxes, edges, clusters = plotting._model_graph(model)
    assert [b.id for b in boxes] == ["outer_in", "pre", "inner", "post"]
    assert edges == [("outer_in", "pre"), ("pre", "inner"), ("inner", "post")]
    boxes, edges, clusters = plotting._model_graph(model, expand_nested=True)
    assert clusters == {"inner": "inner (Functional)"}
    assert {b.id: b.cluster for b in boxes}["inner/inner_dense"] == "inner"
    assert sorted(edges) == sorted([("outer_in", "pre"), ("pre", "inner/inner_in"),
                                    ("inner/inner_in", "inner/inner_dense"), ("inner/inner_dense", "post")])


def test_graph_layer_range_keeps_the_layers_between():
    boxes, edges, _ = plotting._model_graph(_branching_model(), layer_range=["da", "join"])
    assert [b.id for b in boxes] == ["da", "db", "join"]
    assert sorted(edges) == [("da", "join"), ("db", "join")]
    with pytest.raises(ValueError, match=r"no layer matches 'nope'"):
        plotting._model_graph(_branching_model(), layer_range=["nope", "join"])
    with pytest.raises(ValueError, match="two layer names"):
        plotting._model_graph(_branching_model(), layer_range="da")


def test_graph_of_a_subclassed_model_is_one_box():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)
    model = Tiny()
    model(np.zeros((1, 3), "float32"))
    boxes, edges, _ = plotting._model_graph(model)
    assert [(b.id, b.cls) for b in boxes] == [("tiny", "Tiny")] and edges == []


def test_graph_of_an_unbuilt_model_is_an_error():
    with pytest.raises(ValueError, match="not been built"):
        plotting.plot_model(keras.Sequential([keras.layers.Dense(2)]), to_file="unused.png")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # pydot's parser on new pyparsing
def test_model_to_dot_is_valid_dot_for_pydot():
    pydot = pytest.importorskip("pydot")
    dot = plotting.model_to_dot(_nested_model(), show_shapes=True, expand_nested=True)
    assert isinstance(dot, pydot.Dot)
    names = {n.get_name().strip('"') for n in dot.get_nodes()}
    names |= {n.get_name().strip('"') for g in dot.get_subgraphs() for n in g.get_nodes()}
    assert {"outer_in", "pre", "inner/inner_in", "inner/inner_dense", "post"} <= names
    assert len(dot.get_edges()) == 4
    assert "output: (None, 2)" in dot.to_string()


def test_model_to_dot_without_pydot_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match="pip install pydot"):
        plotting.model_to_dot(_branching_model())


# -- plot_model: the three ways to a file --------------------------------------------------------------
def test_plot_model_dot_file_needs_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting, "_find_dot", lambda: None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    path = tmp_path / "model.dot"
    assert plotting.plot_model(_branching_model(), to_file=path, show_shapes=True) is None
    text = path.read_text()
    assert text.startswith('digraph "branchy" {') and '"da" -> "join";' in text
    assert "{head (Dense)|input: (None, 6)|output: (None, 3)}" in text


def test_plot_model_runs_graphviz_dot_when_found(tmp_path, monkeypatch):
    # a stand-in for Graphviz's dot that records its arguments and copies the DOT text to the output file
    fake = tmp_path / "dot"
    fake.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        args = sys.argv[1:]
        open(args[args.index("-o") + 1], "w").write(" ".join(args[:1]) + "\\n" + sys.stdin.read())
        """))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(plotting, "_find_dot", lambda: str(fake))
    out = tmp_path / "model.svg"
    plotting.plot_model(_branching_model(), to_file=str(out), rankdir="LR")
    first, source = out.read_text().split("\n", 1)
    assert first == "-Tsvg"
    assert "rankdir=LR" in source and '"a" -> "da";' in source


def test_plot_model_reports_a_failing_dot(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('Format: \"xyz\" not recognized')\n"
                    "sys.exit(1)\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(plotting, "_find_dot", lambda: str(fake))
    with pytest.raises(RuntimeError, match=r"dot failed.*'xyz'.*not recognized"):
        plotting.plot_model(_branching_model(), to_file=str(tmp_path / "m.xyz"))


@pytest.mark.skipif(plotting._find_dot() is None, reason="Graphviz's dot is not installed on this machine")
def test_plot_model_with_real_graphviz(tmp_path):
    path = tmp_path / "model.png"
    plotting.plot_model(_nested_model(), to_file=str(path), show_shapes=True, expand_nested=True)
    width, height = _png_size(path)
    assert height > width > 100


def test_plot_model_draws_with_matplotlib_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting, "_find_dot", lambda: None)
    model = _branching_model()
    tall = tmp_path / "tb.png"
    plotting.plot_model(model, to_file=str(tall))
    wide = tmp_path / "lr.png"
    plotting.plot_model(model, to_file=str(wide), rankdir="LR")
    (tw, th), (ww, wh) = _png_size(tall), _png_size(wide)
    assert th > wh and ww > tw            # four ranks of boxes run down, or across
    shapes = tmp_path / "shapes.png"
    plotting.plot_model(model, to_file=str(shapes), show_shapes=True)
    assert _png_size(shapes)[1] > th      # two more lines of text per box
    nested = tmp_path / "nested.pdf"
    plotting.plot_model(_nested_model(), to_file=str(nested), expand_nested=True)
    assert nested.read_bytes().startswith(b"%PDF")


def test_plot_model_layout_puts_children_below_parents():
    boxes, edges, _ = plotting._model_graph(_branching_model())
    rank, position, n_ranks = plotting._layout(boxes, edges)
    assert n_ranks == 4
    assert rank["a"] == rank["b"] == 0 and rank["join"] == 2 and rank["head"] == 3
    for r in set(rank.values()):     # boxes of a rank at least one cell apart
        pos = sorted(position[i] for i in rank if rank[i] == r)
        assert all(q - p >= 1 - 1e-9 for p, q in zip(pos, pos[1:]))


def test_plot_model_with_neither_graphviz_nor_matplotlib_names_both(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting, "_find_dot", lambda: None)
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    path = tmp_path / "model.png"
    with pytest.raises(ImportError, match=r"Graphviz.*matplotlib") as info:
        plotting.plot_model(_branching_model(), to_file=str(path))
    assert "apt-get install graphviz" in str(info.value) and "pip install" in str(info.value)
    assert not path.exists()


def test_plot_model_argument_errors(tmp_path):
    model = _branching_model()
    with pytest.raises(ValueError, match=r'rankdir=.*"TB".*received \'BT\''):
        plotting.plot_model(model, to_file=str(tmp_path / "m.png"), rankdir="BT")
    with pytest.raises(TypeError, match="expected a kerasfront Model"):
        plotting.plot_model("model", to_file=str(tmp_path / "m.png"))
    with pytest.raises(ValueError, match="does not exist"):
        plotting.plot_model(model, to_file=str(tmp_path / "missing" / "m.png"))
    assert os.listdir(tmp_path) == []


def test_exported_from_kerasfront_utils():
    assert keras.utils.plot_model is plotting.plot_model
    assert keras.utils.plot_history is plotting.plot_history
    assert keras.utils.model_to_dot is plotting.model_to_dot
