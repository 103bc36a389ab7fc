"""``kerasfront.preprocessing``: tf.keras's legacy data preprocessing (``sequence``, ``text``, ``image``), plus
the dataset utilities tf.keras also exposes here.

These work on numpy arrays and Python lists, as in tf.keras. New code can prefer the ``kerasfront.utils``
loaders and the preprocessing layers.

Example:
    >>> from kerasfront.preprocessing.text import Tokenizer
    >>> from kerasfront.preprocessing.sequence import pad_sequences
    >>> tok = Tokenizer(num_words=100); tok.fit_on_texts(["the cat sat", "the dog"])
    >>> pad_sequences(tok.texts_to_sequences(["the cat"]), maxlen=3).tolist()
    [[0, 1, 2]]
"""
from ..utils.image_dataset import image_dataset_from_directory  # noqa: F401
from ..utils.text_dataset import text_dataset_from_directory  # noqa: F401
from ..utils.timeseries_dataset import timeseries_dataset_from_array  # noqa: F401
from . import sequence, text  # noqa: F401


def __getattr__(name):
    if name == "image":       # imports Pillow/scipy lazily, only when used
        import importlib
        return importlib.import_module(f"{__name__}.image")
    raise AttributeError(f"module 'kerasfront.preprocessing' has no attribute '{name}'")
