"""The README stays true: its two commands are there verbatim, its Python snippets run, and the classes its
table of implemented API names exist."""
import os
import re
import subprocess
import sys

import pytest

import kerasfront

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as _f:
    README = _f.read()

SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_the_two_commands_come_first():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    assert [b.strip() for b in blocks[:2]] == ['pip install -e . && python examples/quickstart.py',
                                               'pip install -e ".[test]" && pytest']
    assert README.index("pip install -e . && python examples/quickstart.py") < README.index("## autograd in 20")


def test_the_readme_credits_the_digits_and_warns_about_hips_autograd():
    assert "E. Alpaydin and C. Kaynak" in README and "CC BY 4.0" in README and "UCI" in README
    assert "HIPS" in README and "virtual environment" in README


@pytest.mark.parametrize("index", range(len(SNIPPETS)), ids=lambda i: SNIPPETS[i].splitlines()[0][:40])
def test_python_snippet_runs(index, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", SNIPPETS[index]], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if "keras.models.load_model" in SNIPPETS[index]:
        assert (tmp_path / "digits.h5").exists() and (tmp_path / "history.png").exists()
        assert re.search(r"'accuracy': 0\.9\d", proc.stdout)


def test_there_are_quickstarts_for_both_packages():
    assert any("import autograd as ag" in s for s in SNIPPETS)
    assert any("import kerasfront as keras" in s for s in SNIPPETS)


def _table_names(module_cell):
    row = next(line for line in README.splitlines() if line.startswith(f"| {module_cell} |"))
    names = []
    for token in re.findall(r"`([A-Za-z][A-Za-z0-9_/]*)`", row.split("|")[2]):
        if "/" in token:        # MaxPooling1D/2D -> MaxPooling1D, MaxPooling2D
            first, *rest = token.split("/")
            stem = first[:-2]
            names += [first] + [stem + r for r in rest]
        else:
            names.append(token)
    return names


@pytest.mark.parametrize("cell, module", [
    ("`layers`: core", "layers"), ("`layers`: convolution and pooling", "layers"),
    ("`layers`: recurrent", "layers"), ("`layers`: others", "layers"),
    ("`callbacks`", "callbacks"), ("`metrics`", "metrics"), ("`optimizers`", "optimizers"),
])
def test_the_api_table_names_exist(cell, module):
    mod = getattr(kerasfront, module)
    names = [n for n in _table_names(cell) if n[0].isupper()]
    assert len(names) >= 5
    missing = [n for n in names if not hasattr(mod, n) and not hasattr(getattr(mod, "schedules", None), n)]
    assert missing == []


@pytest.mark.parametrize("cell, module", [("`utils`", "utils"), ("`datasets`", "datasets"),
                                          ("`preprocessing`", "preprocessing")])
def test_the_data_rows_name_what_exists(cell, module):
    """Each name is in the module, in one of its submodules (``imdb.get_word_index``, ``text.Tokenizer``), or a
    method of a class named there (``ImageDataGenerator.flow``)."""
    mod = getattr(kerasfront, module)
    names = _table_names(cell)
    assert len(names) >= 5
    homes = [mod] + [getattr(mod, n) for n in names if hasattr(mod, n) and hasattr(getattr(mod, n), "__name__")]
    homes += [getattr(h, n) for h in list(homes) for n in names if isinstance(getattr(h, n, None), type)]
    missing = [n for n in names if not any(hasattr(h, n) for h in homes)]
    assert missing == []


@pytest.mark.parametrize("namespace", ["ag.linalg", "ag.special", "ag.fft"])
def test_the_autograd_namespace_table_names_what_exists(namespace):
    import autograd as ag
    module = getattr(ag, namespace.split(".")[1])
    names = _table_names(f"`{namespace}`")
    assert len(names) >= 10
    for name in names:
        assert name in ("b", "return_sign", "n", "s", "axis", "axes", "norm") or \
            hasattr(module, name) or hasattr(ag, name), f"README lists {namespace}.{name}, which does not exist"
