"""Every public name of tf_keras 2.21, with its arguments and defaults, exists in kerasfront, or stands in the
checked-in "not provided" list with a reason.

tests/fixtures/tf_keras_api.json is made by tools/dump_tf_keras_api.py from a tf_keras install (inspect.signature
over every public module). tests/fixtures/tf_keras_api_not_provided.txt lists, one per line, ``module.Name | reason``
where the reason says the name needs TensorFlow itself (``needs TensorFlow: ...``) or that another open issue owns
it (``owned by issue N, pending: ...``, ``issue 13, in progress: ...``). The list must stay honest: a listed name
that kerasfront now has fails the test, so the line goes when the name lands.

Arguments: a class is compared by its ``__init__``, a function by itself. kerasfront's parameters start with
tf_keras's named ones, in order, of the same kind and with the same defaults; ``*args`` and ``**kwargs`` are where
tf_keras has them. Only where tf_keras takes ``**kwargs`` may kerasfront name more parameters (with defaults) after
tf_keras's: those are what tf_keras reads from its ``**kwargs`` (or Keras 3's spelling of an argument).

    python tests/kerasfront/test_api_coverage.py        prints the counts per module (present / listed / missing)
"""
import importlib.util
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
API_FILE = os.path.join(ROOT, "tests", "fixtures", "tf_keras_api.json")
NOT_PROVIDED_FILE = os.path.join(ROOT, "tests", "fixtures", "tf_keras_api_not_provided.txt")
REASON_PREFIXES = ("needs TensorFlow:", "owned by issue ", "issue 13, in progress:")
if __name__ == "__main__":
    sys.path.insert(0, os.path.abspath(ROOT))


def _load_tool():
    spec = importlib.util.spec_from_file_location("dump_tf_keras_api", os.path.join(ROOT, "tools",
                                                                                      "dump_tf_keras_api.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


TOOL = _load_tool()          # the same parameter encoding as the file (the tool imports no TensorFlow)
with open(API_FILE) as _f:
    API = json.load(_f)["modules"]


def read_not_provided(path=NOT_PROVIDED_FILE):
    """``{qualified name: reason}`` from the list (``#`` starts a comment line)."""
    out = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, reason = (part.strip() for part in line.partition("|"))
            if not sep or not reason:
                raise ValueError(f"{path}:{number}: expected 'module.Name | reason', found {line!r}")
            if name in out:
                raise ValueError(f"{path}:{number}: {name} is listed twice")
            out[name] = reason
    return out


NOT_PROVIDED = read_not_provided()


def qualified(module, name):
    return name if module == "<top>" else f"{module}.{name}"


_MISSING = object()


def kerasfront_object(module, name):
    """The kerasfront object tf_keras's ``module.name`` corresponds to (``_MISSING`` when there is none)."""
    import kerasfront
    obj = kerasfront
    for part in ([] if module == "<top>" else module.split(".")) + [name]:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return _MISSING
    return obj


def _split(params):
    positional, kwonly, varargs, varkw = [], {}, False, False
    for p in params:
        name = p if isinstance(p, str) else p[0]
        if name.startswith("**"):
            varkw = True
        elif name.startswith("*"):
            varargs = True
        elif name.startswith("kw:"):
            kwonly[name[3:]] = p
        else:
            positional.append(p)
    return positional, kwonly, varargs, varkw


def _same_default(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_default(x, y) for x, y in zip(a, b))
    return a == b


def _same_param(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a[0] == b[0] and _same_default(a[1], b[1])


def signature_difference(tf_params, kf_params):
    """None when kerasfront's parameters fit tf_keras's (see the module docstring), else what differs."""
    if tf_params is None:
        return None
    if kf_params is None:
        return "kerasfront's signature cannot be read"
    tp, tk, ta, tw = _split(tf_params)
    kp, kk, ka, kw = _split(kf_params)
    for i, p in enumerate(tp):
        if i >= len(kp) or not _same_param(p, kp[i]):
            return f"parameter {i}: tf_keras {p!r}, kerasfront {kp[i] if i < len(kp) else 'none'!r}"
    extra = kp[len(tp):] + [p for n, p in kk.items() if n not in tk]
    if extra and not tw:
        return f"kerasfront has more parameters than tf_keras: {extra}"
    if any(isinstance(p, str) for p in extra):
        return f"kerasfront's extra parameters need defaults: {extra}"
    for n, p in tk.items():
        if n not in kk or not _same_param(p, kk[n]):
            return f"keyword-only {n}: tf_keras {p!r}, kerasfront {kk.get(n)!r}"
    if (ta, tw) != (ka, kw):
        return f"*args/**kwargs: tf_keras {(ta, tw)}, kerasfront {(ka, kw)}"
    return None


def survey():
    """``{module: {"present": [...], "listed": [...], "missing": [...], "mismatched": {name: why}}}``."""
    out = {}
    for module, names in API.items():
        row = {"present": [], "listed": [], "missing": [], "mismatched": {}, "listed_but_present": []}
        for name, entry in names.items():
            q = qualified(module, name)
            obj = kerasfront_object(module, name)
            if obj is _MISSING:
                row["listed" if q in NOT_PROVIDED else "missing"].append(q)
                continue
            row["present"].append(q)
            if q in NOT_PROVIDED:
                row["listed_but_present"].append(q)
            if entry["kind"] in ("class", "function"):
                try:
                    mine = TOOL.params_of(obj)
                except Exception as e:  # noqa: BLE001 - report any failure to read a signature
                    mine = None
                    row["mismatched"][q] = f"cannot read the signature: {e}"
                    continue
                why = signature_difference(entry.get("params"), mine)
                if why:
                    row["mismatched"][q] = why
        out[module] = row
    return out


SURVEY = survey()


def test_every_tf_keras_name_exists_in_kerasfront_or_is_listed_with_a_reason():
    missing = [q for row in SURVEY.values() for q in row["missing"]]
    assert not missing, (f"{len(missing)} tf_keras name(s) are neither in kerasfront nor in "
                         f"{os.path.basename(NOT_PROVIDED_FILE)}: {missing}")


def test_the_not_provided_list_holds_only_missing_names_with_allowed_reasons():
    present = [q for row in SURVEY.values() for q in row["listed_but_present"]]
    assert not present, (f"these names are in kerasfront now; remove them from "
                         f"{os.path.basename(NOT_PROVIDED_FILE)}: {present}")
    known = {qualified(m, n) for m, names in API.items() for n in names}
    stale = sorted(set(NOT_PROVIDED) - known)
    assert not stale, f"listed names that tf_keras 2.21 does not have: {stale}"
    bad = {q: r for q, r in NOT_PROVIDED.items() if not r.startswith(REASON_PREFIXES)}
    assert not bad, f"reasons must start with one of {REASON_PREFIXES}: {bad}"


def test_arguments_and_defaults_match_tf_keras():
    mismatched = {q: why for row in SURVEY.values() for q, why in row["mismatched"].items()}
    assert not mismatched, "\n".join(f"{q}: {why}" for q, why in sorted(mismatched.items()))


@pytest.mark.parametrize("tf_params,kf_params,ok", [
    ([["a", 1], "**kwargs"], [["a", 1], ["b", 2], "**kwargs"], True),       # extra after tf's, tf has **kwargs
    ([["a", 1]], [["a", 1], ["b", 2]], False),                             # extra without **kwargs in tf_keras
    ([["a", 1], "**kwargs"], [["a", 2], "**kwargs"], False),               # another default
    ([["a", 1], ["b", 2]], [["b", 2], ["a", 1]], False),                   # another order
    ([["a", True]], [["a", 1]], False),                                    # a bool is not a number
    ([["a", 0]], [["a", 0.0]], True),
    ([["a", 1], "**kwargs"], [["a", 1]], False),                           # kerasfront must take **kwargs too
    ([["a", 1], "**kwargs"], [["a", 1], "b", "**kwargs"], False),          # an extra must have a default
    (["*args", "**kwargs"], [["x", None], "**kwargs"], False),
])
def test_the_signature_rule(tf_params, kf_params, ok):
    assert (signature_difference(tf_params, kf_params) is None) == ok


def counts():
    """Rows ``(module, present, listed, missing, mismatched, total)`` for the report."""
    return [(m, len(r["present"]), len(r["listed"]), len(r["missing"]), len(r["mismatched"]),
             len(API[m])) for m, r in SURVEY.items()]


if __name__ == "__main__":
    width = max(len(m) for m in API)
    print(f"{'module':{width}s}  present  listed  missing  arg-mismatch  total")
    totals = [0, 0, 0, 0, 0]
    for module, present, listed, missing, mismatched, total in counts():
        print(f"{module:{width}s}  {present:7d}  {listed:6d}  {missing:7d}  {mismatched:12d}  {total:5d}")
        for i, v in enumerate((present, listed, missing, mismatched, total)):
            totals[i] += v
    print(f"{'all':{width}s}  {totals[0]:7d}  {totals[1]:6d}  {totals[2]:7d}  {totals[3]:12d}  {totals[4]:5d}")
