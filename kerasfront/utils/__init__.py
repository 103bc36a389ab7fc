"""``kerasfront.utils``: to_categorical, set_random_seed, Sequence, Progbar, the serialization registry, and the
data utilities (pad_sequences, the ``*_dataset_from_directory`` loaders and their ``Dataset``, get_file, image
files, enqueuers, ``FeatureSpace`` for structured data).

Example:
    >>> kerasfront.utils.set_random_seed(0)
    >>> y = kerasfront.utils.to_categorical([0, 1, 1])
"""
from ..random_state import set_seed as _set_seed
from ..serialization import (CustomObjectScope, custom_object_scope, get_custom_objects,  # noqa: F401
                             get_registered_name, get_registered_object, register_keras_serializable)
from .audio_dataset import audio_dataset_from_directory  # noqa: F401
from .batches import pack_x_y_sample_weight, unpack_x_y_sample_weight  # noqa: F401
from .data_utils import PyDataset, Sequence, get_file, validate_file  # noqa: F401
from .dataset import AUTOTUNE, Dataset  # noqa: F401
from .dataset_utils import split_dataset  # noqa: F401
from .enqueuers import GeneratorEnqueuer, OrderedEnqueuer, SequenceEnqueuer  # noqa: F401
from .image_dataset import image_dataset_from_directory  # noqa: F401
from .image_utils import array_to_img, img_to_array, load_img, save_img, smart_resize  # noqa: F401
from .io_utils import (disable_interactive_logging, enable_interactive_logging,  # noqa: F401
                       is_interactive_logging_enabled)
from .layer_utils import get_source_inputs, warmstart_embedding_matrix  # noqa: F401
from .np_utils import normalize, to_categorical, to_ordinal  # noqa: F401
from .sequence_utils import pad_sequences  # noqa: F401
from .text_dataset import text_dataset_from_directory  # noqa: F401
from .timeseries_dataset import timeseries_dataset_from_array  # noqa: F401
from .plotting import model_to_dot, plot_history, plot_model  # noqa: F401
from .timed_threads import TimedThread  # noqa: F401


def set_random_seed(seed):
    """Seed every generator kerasfront uses (initializers, dropout, shuffling) and Python's and numpy's, so two
    identical runs give identical weights and history.

    Example:
        >>> set_random_seed(42)
    """
    _set_seed(seed)


def __getattr__(name):
    if name == "Progbar":
        from .progbar import Progbar
        return Progbar
    if name == "FeatureSpace":
        # NOTE: imported on first use: the engine imports this package before the layers FeatureSpace builds on exist
        from .feature_space import FeatureSpace
        return FeatureSpace
    if name in ("serialize_keras_object", "deserialize_keras_object"):
        from ..saving import serialization_lib
        return getattr(serialization_lib, name)
    if name == "legacy":
        import importlib
        return importlib.import_module(f"{__name__}.legacy")
    raise AttributeError(f"module 'kerasfront.utils' has no attribute '{name}'")
