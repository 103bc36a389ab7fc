"""List tf_keras's public API: every public name of every public module, with its arguments and defaults.

Run with the throwaway Python that has tensorflow + tf_keras (never the project's):
    TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 /work/tfenv/bin/python tools/dump_tf_keras_api.py \
        tests/fixtures/tf_keras_api.json

The modules are those ``tf_keras`` exposes (``tf_keras.layers``, ``tf_keras.optimizers.legacy``, ...), found by
walking the package's public attributes; ``__internal__`` and ``src`` are left out. For each module the JSON
holds ``{name: entry}`` where an entry is

    {"kind": "class" | "function" | "module" | "value",
     "params": [[name, kind, default], ...]}      (classes: ``__init__`` without ``self``; functions)

``kind`` of a parameter is ``"pos"`` (positional or keyword), ``"posonly"``, ``"kwonly"``, ``"*args"`` or
``"**kwargs"``; ``default`` is ``{"required": true}`` when there is none, a JSON value for None, booleans,
numbers, strings and tuples/lists of those, and ``{"repr": "<type name>"}`` for any other object (a dtype, a
sentinel). tests/kerasfront/test_api_coverage.py checks kerasfront against this file.
"""
import inspect
import json
import os
import sys
import types

_SKIP = {"__internal__", "src", "protobuf", "api"}
_KINDS = {inspect.Parameter.POSITIONAL_ONLY: "posonly", inspect.Parameter.POSITIONAL_OR_KEYWORD: "pos",
          inspect.Parameter.KEYWORD_ONLY: "kwonly", inspect.Parameter.VAR_POSITIONAL: "*args",
          inspect.Parameter.VAR_KEYWORD: "**kwargs"}


def default_of(value):
    """A parameter default as JSON (plain values as themselves, other objects by their type's name)."""
    if value is inspect.Parameter.empty:
        return {"required": True}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return list(value)
    return {"repr": type(value).__name__}


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
        out.append([p.name, _KINDS[p.kind], default_of(p.default)])
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
    with open(out_path, "w") as f:
        json.dump(data, f, indent=0, sort_keys=False)
        f.write("\n")
    total = sum(len(v) for v in api.values())
    print(f"{len(api)} modules, {total} names -> {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
