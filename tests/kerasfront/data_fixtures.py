"""The data-utility fixtures made by real tf.keras (``tools/make_data_fixtures.py``): arrays, JSON entries and
the small class-folder trees (images, texts, WAV audio) they were made from."""
import json
import os

import numpy as np

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "data_utils")
TREES = os.path.join(FIXTURES, "trees")
REF = np.load(os.path.join(FIXTURES, "reference.npz"), allow_pickle=False)
with open(os.path.join(FIXTURES, "reference.json"), encoding="utf-8") as _f:
    INFO = json.load(_f)


def tree(name):
    return os.path.join(TREES, name)


def rel(paths):
    """File paths relative to ``TREES`` with ``/`` separators, as the fixtures store them."""
    return [os.path.relpath(p, TREES).replace(os.sep, "/") for p in paths]
