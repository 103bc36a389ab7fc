"""Model folders from others (``load_model("my_model")``): the graphs apply only primitives autograd registers,
with checked arguments and shapes; every array's declared size is checked before it is read; nothing in the
folder runs. Each hostile folder is refused with an error naming what it found (and the folder), and the ones
declaring absurd sizes are loaded under a hard address-space limit (tests/reliability/_hostile_loader.py), as
the hostile .h5 files are in test_untrusted_files.py.

Example:
    >>> keras.models.load_model("from_a_stranger")
    ValueError: Folder 'from_a_stranger', graphs.json: graph file: node 3 applies op 'os_system', which autograd ...
"""
import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

import kerasfront as keras
from kerasfront import layers
from tests.reliability import _hostile_loader as loader

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADROOM_MB = 768


def _model():
    """A model whose class is not available when loading (so the graphs are what runs), with convolutions,
    a tile-free path and a constant."""
    keras.utils.set_random_seed(61)

    class Local(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(2, 3, padding="same", activation="relu")
            self.dense = layers.Dense(3)

        def call(self, x):
            return self.dense(layers.Flatten()(self.conv(x)) * np.linspace(0.0, 1.0, 32, dtype="float32"))

    model = Local()
    model.compile("adam", "mse")
    model.fit(np.zeros((2, 4, 4, 1), "float32"), np.zeros((2, 3), "float32"), verbose=0)   # optimizer slots
    return model


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("src") / "model")
    _model().save(path)
    return path


def _copy(source, dst):
    shutil.copytree(source, dst)
    return str(dst)


def _edit_graph(folder, edit):
    path = os.path.join(folder, "graphs.json")
    doc = json.load(open(path))
    edit(doc["forwards"][0]["inference"]["graph"])
    json.dump(doc, open(path, "w"))
    return folder


def _nodes(graph, op):
    return [n for n in graph["nodes"] if n["op"] == op]


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return keras.models.load_model(path)


def _refused(path, *fragments):
    with pytest.raises((ValueError, TypeError)) as err:
        _load(path)
    message = str(err.value)
    assert os.path.basename(path) in message, message
    for f in fragments:
        assert f in message, message
    return message


# -- graphs: ops, arguments, references, shapes --------------------------------------------------------------

def test_the_untouched_folder_loads_and_predicts(source):
    model = _load(source)
    assert type(model).__name__ == "RevivedModel"
    assert model.predict(np.ones((3, 4, 4, 1), "float32"), verbose=0).shape == (3, 3)


GRAPH_EDITS = {
    "unknown_op": (lambda g: g["nodes"][0].update(op="os_system"), ["os_system", "does not register"]),
    "op_without_a_shape_rule": (lambda g: g["nodes"][0].update(op="conv2d_kernel_grad"),
                                ["conv2d_kernel_grad", "shape rule"]),
    "python_object_argument": (lambda g: g["nodes"][0]["kwargs"].update(evil={"__class__": "os.system"}),
                               ["__class__"]),
    "unregistered_struct": (lambda g: _nodes(g, "conv2d_bias_relu")[0]["kwargs"].update(
        geom={"$struct": "pickle_loads", "fields": []}), ["pickle_loads"]),
    "reference_before_definition": (lambda g: g["nodes"][0]["args"].__setitem__(0, {"$v": len(g["values"]) - 1}),
                                    ["before it is defined"]),
    "reference_out_of_range": (lambda g: g["nodes"][0]["args"].__setitem__(0, {"$v": 10 ** 9}), ["integer in"]),
    "object_dtype": (lambda g: g["values"][0].update(dtype="object"), ["object"]),
    "absurd_declared_shape": (lambda g: g["values"][-1].update(shape=[10 ** 6, 10 ** 6]), ["elements"]),
    "huge_integer": (lambda g: g["nodes"][-1]["args"].append(10 ** 30), ["integer in"]),
    "lying_geometry": (lambda g: _nodes(g, "conv2d_bias_relu")[0]["kwargs"]["geom"]["fields"].__setitem__(13, 10 ** 5),
                       ["geometry"]),
    "lying_reshape": (lambda g: _nodes(g, "reshape")[0]["args"].__setitem__(1, {"$t": [-1, 10 ** 7]}), ["reshape"]),
    "deep_nesting": (lambda g: g["nodes"][0]["kwargs"].update(x=json.loads("[" * 50 + "]" * 50)), ["deeper"]),
    "constant_missing": (lambda g: next(v for v in g["values"] if v["kind"] == "const").update(array="nope"),
                         ["nope"]),
}


@pytest.mark.parametrize("case", sorted(GRAPH_EDITS))
def test_hostile_graphs_are_refused_naming_what_they_hold(source, tmp_path, case):
    edit, fragments = GRAPH_EDITS[case]
    path = _edit_graph(_copy(source, tmp_path / case), edit)
    _refused(path, *fragments)


def test_a_tile_by_a_billion_is_refused_before_it_runs(source, tmp_path):
    """A node's arguments may ask for far more than its declared shape: the shape rule runs first."""
    def edit(g):
        node = _nodes(g, "multiply")[0]
        node.update(op="tile", args=[node["args"][0], {"$t": [1, 10 ** 9]}], kwargs={})
    path = _edit_graph(_copy(source, tmp_path / "tile"), edit)
    _refused(path, "op 'tile'", "would give shape")


# -- arrays: declared sizes are checked before anything is read (under a memory limit) -------------------------

def _absurd_npz(path, key):
    """Replace member ``key`` of an .npz by a header declaring 10**12 float32 followed by a few bytes of data."""
    import io
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (10 ** 6, 10 ** 6)})
    members[key + ".npy"] = buf.getvalue() + b"\0" * 64
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


@pytest.fixture(scope="module")
def hostile_folder_results(source, tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile_folders")
    weights = _copy(source, d / "weights_absurd")
    _absurd_npz(os.path.join(weights, "weights.npz"), "w0")
    manifest = json.load(open(os.path.join(weights, "kerasfront_model.json")))
    manifest["weights"][0]["shape"] = [10 ** 6, 10 ** 6]            # the description agrees with the header
    json.dump(manifest, open(os.path.join(weights, "kerasfront_model.json"), "w"))
    consts = _copy(source, d / "constant_absurd")
    graphs = json.load(open(os.path.join(consts, "graphs.json")))
    graph = graphs["forwards"][0]["inference"]["graph"]
    const = next(v for v in graph["values"] if v["kind"] == "const")
    const["shape"] = [10 ** 6, 10 ** 6]
    const["dtype"] = "float32"
    json.dump(graphs, open(os.path.join(consts, "graphs.json"), "w"))
    _absurd_npz(os.path.join(consts, "graph_constants.npz"), const["array"])
    optimizer = _copy(source, d / "optimizer_absurd")
    _absurd_npz(os.path.join(optimizer, "optimizer.npz"), "o1")
    manifest = json.load(open(os.path.join(optimizer, "kerasfront_model.json")))
    manifest["optimizer"]["variables"][1]["shape"] = [10 ** 6, 10 ** 6]
    json.dump(manifest, open(os.path.join(optimizer, "kerasfront_model.json"), "w"))
    cases = {"weights": weights, "constant": consts, "optimizer": optimizer}
    cases_path = d / "cases.json"
    cases_path.write_text(json.dumps([["model", p] for p in cases.values()]))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "tests.reliability._hostile_loader", str(HEADROOM_MB),
                           str(cases_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    by_path = {json.loads(line)["path"]: json.loads(line) for line in proc.stdout.splitlines()}
    return {name: by_path[p] for name, p in cases.items()}


@pytest.mark.parametrize("case", ["weights", "constant"])
def test_absurd_array_sizes_are_refused_before_any_allocation(hostile_folder_results, case):
    result = hostile_folder_results[case]
    assert result["outcome"] == "refused", result
    assert "1000000" in result["message"] or "1e+12" in result["message"], result


def test_an_absurd_optimizer_variable_never_reaches_an_allocation(hostile_folder_results):
    """It does not match the model's optimizer, so the state is skipped with a warning (as for .h5 files);
    under the memory limit, reading it would have crashed."""
    assert hostile_folder_results["optimizer"]["outcome"] in ("loaded", "refused"), hostile_folder_results


def test_an_array_whose_header_disagrees_with_the_description_is_refused(source, tmp_path):
    path = _copy(source, tmp_path / "mismatch")
    manifest = json.load(open(os.path.join(path, "kerasfront_model.json")))
    manifest["weights"][0]["shape"] = [5, 5, 5]
    json.dump(manifest, open(os.path.join(path, "kerasfront_model.json"), "w"))
    _refused(path, "weights.npz", "'w0'")


def test_pickled_arrays_are_never_unpickled(source, tmp_path):
    path = _copy(source, tmp_path / "pickled")
    payload = np.empty(1, dtype=object)
    np.savez(os.path.join(path, "weights.npz"), w0=payload, allow_pickle=True)
    _refused(path, "not a numeric dtype")


def test_a_nested_or_huge_description_is_refused(source, tmp_path):
    path = _copy(source, tmp_path / "nested")
    with open(os.path.join(path, "graphs.json"), "w") as f:
        f.write("[" * 100000 + "]" * 100000)
    _refused(path, "graphs.json")


# -- nothing in a folder runs --------------------------------------------------------------------------------

def test_lambda_bytecode_in_a_folder_runs_only_with_safe_mode_false(tmp_path):
    marker = tmp_path / "code_from_the_folder_ran"
    touch = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x * 2.0)[1]")   # noqa: S307
    inp = keras.Input(shape=(2,))
    model = keras.Model(inp, layers.Lambda(touch)(inp))
    model(np.ones((1, 2), "float32"))
    path = str(tmp_path / "lambda")
    model.save(path)                               # tracing runs it (in this process, the author's)
    marker.unlink()
    with pytest.warns(UserWarning, match="revived from its traced graphs"):
        revived = keras.models.load_model(path)    # safe mode: the graph, not the bytecode
    np.testing.assert_array_equal(revived.predict(np.ones((3, 2), "float32"), verbose=0), np.full((3, 2), 2.0))
    assert not marker.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.models.load_model(path, safe_mode=False)(np.ones((1, 2), "float32"))
    assert marker.exists()                          # the marker does detect execution


def test_names_in_a_folder_are_never_imported(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    imported = tmp_path / "evil_module_was_imported"
    (site / "kerasfront_evil_folder_plugin.py").write_text(
        f"import pathlib\npathlib.Path({str(imported)!r}).touch()\nclass Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(site))
    model = loader.build()
    path = str(tmp_path / "dense")
    model.save(path)
    manifest_path = os.path.join(path, "kerasfront_model.json")
    manifest = json.load(open(manifest_path))
    manifest["model_config"]["config"]["layers"][1].update(
        class_name="Evil", module="kerasfront_evil_folder_plugin",
        registered_name="kerasfront_evil_folder_plugin>Evil")
    json.dump(manifest, open(manifest_path, "w"))
    with pytest.warns(UserWarning, match="Evil"):
        revived = keras.models.load_model(path, safe_mode=False)
    assert type(revived).__name__ == "RevivedModel"
    assert not imported.exists() and "kerasfront_evil_folder_plugin" not in sys.modules
