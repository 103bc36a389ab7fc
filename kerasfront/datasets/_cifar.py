"""Reading one batch file of the CIFAR python version (a pickled dict with ``data`` and labels).

The CIFAR files are pickles, as tf.keras reads them; the loaders only read files whose sha256 matched Keras's
(see ``_files.fetch``).
"""
import pickle

import numpy as np


def load_batch(fpath, label_key="labels"):
    """``(data, labels)``: uint8 images ``(n, 3, 32, 32)`` and the list of labels under ``label_key``."""
    with open(fpath, "rb") as f:
        d = pickle.load(f, encoding="bytes")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise ValueError(f"{fpath}: expected a CIFAR batch with the keys 'data' and {label_key!r}, found "
                         f"{sorted(d)}")
    data = np.asarray(d["data"])
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]
