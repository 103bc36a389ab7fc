"""The repository holds no leftover merge-conflict markers (a tool script is not imported by other tests)."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
TEXT = (".py", ".md", ".toml", ".txt", ".json", ".cfg", ".sh")


def test_no_conflict_markers():
    found = []
    for top in ("autograd", "kerasfront", "tests", "tools", "benchmarks", "examples", "."):
        base = os.path.join(ROOT, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in ("__pycache__", "fixtures")]
            if top == "." and dirpath != base:
                break
            for name in filenames:
                if name.endswith(TEXT):
                    path = os.path.join(dirpath, name)
                    with open(path, encoding="utf-8", errors="replace") as f:
                        if MARKER.search(f.read()):
                            found.append(os.path.relpath(path, ROOT))
    assert not found, f"merge-conflict markers left in: {sorted(set(found))}"
