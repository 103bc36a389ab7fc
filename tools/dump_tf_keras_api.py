"""List tf_keras's public API: every public name of every public module, with its arguments and defaults.

Run with the throwaway Python that has tensorflow + tf_keras (never the project's):
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/dump_tf_keras_api.py \
        tests/fixtures/tf_keras_api.json

The modules are those ``tf_keras`` exposes (``tf_keras.layers``, ``tf_keras.optimizers.legacy``, ...), found by
walking the package's public attributes; ``__internal__`` and ``src`` are left out. For each module the JSON
holds ``{name: entry}`` where an entry is

    {"kind": "class" | "function" | "module" | "value",
     "params": [parameter, ...]}      (classes: ``__init__`` without ``self``; functions)

A parameter is written ``"name"`` when it is required, ``["name", default]`` when it has a default; the name
carries its kind: ``"*args"`` / ``"**kwargs"`` for the variadic ones (their own names), ``"kw:name"`` for
keyword-only and ``"/name"`` for positional-only parameters. ``default`` is a JSON value for None, booleans,
numbers, strings and (nested) tuples or lists of those, and ``{"repr": "<type name>"}`` for any other object.
tests/kerasfront/test_api_coverage.py checks kerasfront against this file.
"""
import inspect
import json
import os
import sys
import types

_SKIP = {"__internal__", "src", "protobuf", "api"}
_PREFIX = {inspect.Parameter.POSITIONAL_ONLY: "/", inspect.Parameter.POSITIONAL_OR_KEYWORD: "",
           inspect.Parameter.KEYWORD_ONLY: "kw:", inspect.Parameter.VAR_POSITIONAL: "*",
           inspect.Parameter.VAR_KEYWORD: "**"}


def default_of(value):
    """A parameter default as JSON (plain values as themselves, other objects by their type's name)."""
    plain = _plain(value)
    return plain if plain is not _NOT_PLAIN else {"repr": type(value).__name__}


_NOT_PLAIN = object()


def _plain(value):
    """``value`` as JSON when it is None, a bool, number or string, or a (nested) tuple or list of those."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        return _NOT_PLAIN if any(v is _NOT_PLAIN for v in items) else items
    return _NOT_PLAIN


def params_of(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    out = []
    for i, p in enumerate(sig.parameters.values()):
        if inspect.isclass(obj) and i == 0 and p.name == "self":
            continue
        name = _PREFIX[p.kind] + p.name
        if p.default is inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            out.append(name)
        else:
            out.append([name, default_of(p.default)])
    return out


def entry_of(obj):
    if isinstance(obj, types.ModuleType):
        return {"kind": "module"}
    if inspect.isclass(obj):
        return {"kind": "class", "params": params_of(obj)}
    if callable(obj):
        return {"kind": "function", "params": params_of(obj)}
    return {"kind": "value"}


def walk(module, path, out):
    names = {}
    for name in sorted(dir(module)):
        if name.startswith("_") or name in _SKIP:
            continue
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            if not obj.__name__.startswith("tf_keras") or obj.__name__.startswith("tf_keras.src"):
                continue
            names[name] = {"kind": "module"}
            walk(obj, f"{path}.{name}" if path else name, out)
        else:
            names[name] = entry_of(obj)
    out[path or "<top>"] = names


def main(out_path):
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tf_keras
    api = {}
    walk(tf_keras, "", api)
    data = {"tf_keras_version": tf_keras.__version__,
            "made_by": "tools/dump_tf_keras_api.py (inspect.signature over tf_keras's public modules)",
            "modules": {k: api[k] for k in sorted(api)}}
    # NOTE: one line per name, so that a change in tf_keras shows as a one-line diff.
    lines = ["{", f'"tf_keras_version": {json.dumps(data["tf_keras_version"])},',
             f'"made_by": {json.dumps(data["made_by"])},', '"modules": {']
    modules = list(data["modules"].items())
    for i, (module, names) in enumerate(modules):
        lines.append(f"{json.dumps(module)}: {{")
        items = list(names.items())
        for j, (name, entry) in enumerate(items):
            lines.append(f"  {json.dumps(name)}: {json.dumps(entry)}" + ("," if j < len(items) - 1 else ""))
        lines.append("}" + ("," if i < len(modules) - 1 else ""))
    lines += ["}", "}"]
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    total = sum(len(v) for v in api.values())
    print(f"{len(api)} modules, {total} names -> {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
