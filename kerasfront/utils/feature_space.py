"""FeatureSpace: tf.keras's one-stop preprocessing of structured data (a table of numeric, integer and string
columns) into the vectors a model trains on, built from the preprocessing layers.

Each feature (column) gets a kind, which picks its preprocessing layer: ``float`` (Identity),
``float_rescaled`` (Rescaling), ``float_normalized`` (Normalization), ``float_discretized`` (Discretization),
``integer_categorical`` (IntegerLookup), ``string_categorical`` (StringLookup), ``integer_hashed`` and
``string_hashed`` (Hashing), or ``FeatureSpace.feature(dtype, preprocessor, output_mode)`` for any layer. Crosses
hash pairs (or more) of preprocessed features together (HashedCrossing). Discrete outputs are one-hot encoded
(CategoryEncoding) unless their ``output_mode`` is ``"int"``; the results are concatenated (``"concat"``) or
returned by name (``"dict"``).

``adapt`` takes a ``kerasfront.utils.Dataset`` of feature dicts (batched or not, as tf.keras takes a
``tf.data.Dataset``) or a dict of columns (arrays with one row per sample); it reads the data once. Calling the
FeatureSpace on a dict of columns (or of single values) gives the encoded features; ``get_inputs()`` and
``get_encoded_features()`` give the symbolic Inputs and outputs for a functional model. ``save("x.keras")``
writes tf.keras's ``.keras`` file, which ``kerasfront.models.load_model`` (and tf.keras) reads back.

Differences from tf.keras 2.21, each a fix: a dict of columns is accepted by ``adapt``; bad data is an error that
names the feature and changes nothing; a Discretization with given boundaries (or a lookup with a given
vocabulary) is not adapted again; an unknown or missing column in a call is an error naming it.

Example:
    >>> data = {"price": np.array([1.0, 2.0, 3.0]), "color": np.array(["red", "blue", "red"])}
    >>> fs = FeatureSpace({"price": "float_normalized", "color": "string_categorical"})
    >>> fs.adapt(data)
    >>> fs(data).numpy().round(3)
    array([[ 0.   ,  1.   ,  0.   , -1.225],
           [ 0.   ,  0.   ,  1.   ,  0.   ],
           [ 0.   ,  1.   ,  0.   ,  1.225]], dtype=float32)
"""
import numpy as np

import autograd as ag

from .. import layers as _layers
from ..engine import strings
from ..engine.base_layer import Layer, unique_object_name
from ..engine.keras_tensor import KerasTensor
from ..layers.preprocessing.base import PreprocessingLayer, restore_state, snapshot_state, to_array
from .dataset import INFINITE_CARDINALITY, Dataset

__all__ = ["FeatureSpace", "Feature", "Cross"]

#: the module tf.keras's configs name for Feature and Cross entries (kept, so that tf.keras reads these files)
CONFIG_MODULE = "tf_keras.src.utils.feature_space"
#: the feature kinds a string can name, with the FeatureSpace argument that sizes them
KINDS = ("float", "float_rescaled", "float_normalized", "float_discretized", "integer_categorical",
         "string_categorical", "integer_hashed", "string_hashed")
#: as tf.keras: ``adapt`` batches a dataset of single samples in 32s (Discretization's bins depend on it)
ADAPT_BATCH_SIZE = 32
_FEATURE_OUTPUT_MODES = ("int", "one_hot", "float")
_CROSS_OUTPUT_MODES = ("int", "one_hot")


def _positive_int(value, arg, who="FeatureSpace"):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: `{arg}` must be a positive int, received {value!r}")
    return int(value)


def _config_entry(obj):
    """tf.keras's serialized form of a Feature or a Cross."""
    name = type(obj).__name__
    return {"module": CONFIG_MODULE, "class_name": name, "config": obj.get_config(), "registered_name": name}


def _from_entry(entry, cls, where):
    """A Feature or Cross from its serialized form (only these two class names are accepted)."""
    if not isinstance(entry, dict) or entry.get("class_name") != cls.__name__ or \
            not isinstance(entry.get("config"), dict):
        raise ValueError(f"FeatureSpace config: {where} should be a serialized {cls.__name__} "
                         f"({{'class_name': '{cls.__name__}', 'config': {{...}}}}), received {str(entry)[:160]}")
    return cls.from_config(entry["config"])


class Cross:
    """A feature cross: the named (preprocessed) features hashed together into ``crossing_dim`` bins
    (``FeatureSpace.cross(...)`` makes one).

    Example:
        >>> Cross(("color", "size"), crossing_dim=16).name
        'color_X_size'
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in _CROSS_OUTPUT_MODES:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {{'int', 'one_hot'}}. "
                             f"Received: output_mode={output_mode}")
        if isinstance(feature_names, str) or not isinstance(feature_names, (list, tuple)) or \
                len(feature_names) < 2 or not all(isinstance(n, str) for n in feature_names):
            raise ValueError(f"FeatureSpace.cross: `feature_names` must be a tuple of at least two feature names, "
                             f"received {feature_names!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = _positive_int(crossing_dim, "crossing_dim", "FeatureSpace.cross")
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Cross {self.name} crossing_dim={self.crossing_dim} output_mode={self.output_mode!r}>"


class Feature:
    """One feature: the dtype of its column, the layer that preprocesses it and how its output is encoded
    (``"one_hot"`` for integer indices, ``"int"`` to keep them, ``"float"`` for values used as they are).

    Example:
        >>> f = Feature("float32", kerasfront.layers.Rescaling(0.5), "float")
        >>> f.get_config()["preprocessor"]["class_name"]
        'Rescaling'
    """

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in _FEATURE_OUTPUT_MODES:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {{'int', 'one_hot', "
                             f"'float'}}. Received: output_mode={output_mode}")
        try:
            self.dtype = strings.dtype_name(dtype)
        except TypeError:
            raise ValueError(f"FeatureSpace.feature: `dtype` must name a dtype ('float32', 'int64', 'string'...), "
                             f"received {dtype!r}") from None
        if isinstance(preprocessor, dict):
            preprocessor = _layers.deserialize(preprocessor)
        if not isinstance(preprocessor, Layer):
            raise TypeError(f"FeatureSpace.feature: `preprocessor` must be a Keras layer, received "
                            f"{type(preprocessor).__name__}")
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        from ..serialization import serialize_keras_object
        return {"dtype": self.dtype, "preprocessor": serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Feature dtype={self.dtype} preprocessor={self.preprocessor.name} output_mode={self.output_mode!r}>"


def _is_adaptable(layer):
    """Whether ``adapt`` should fit ``layer`` to data: it has state to adapt that was not given to it."""
    if isinstance(layer, _layers.Normalization) and layer.input_mean is not None:
        return False            # mean and variance were given
    if isinstance(layer, _layers.Discretization) and layer.input_bin_boundaries is not None:
        return False            # NOTE: tf.keras 2.21 adapts these too, which fails; the boundaries were given
    if getattr(layer, "input_vocabulary", None) is not None:
        return False            # a lookup (or TextVectorization) with a given vocabulary
    if isinstance(layer, PreprocessingLayer):
        return type(layer).update_state is not PreprocessingLayer.update_state
    return callable(getattr(layer, "adapt", None))


def _cardinality(layer):
    """The number of values a preprocessing layer's integer output takes (None when it is not known)."""
    if isinstance(layer, (_layers.IntegerLookup, _layers.StringLookup)):
        return layer.vocabulary_size()
    if isinstance(layer, _layers.CategoryEncoding):
        return layer.num_tokens
    if isinstance(layer, _layers.Discretization):
        return layer.num_bins if layer.num_bins is not None else len(layer.bin_boundaries) + 1
    if isinstance(layer, (_layers.HashedCrossing, _layers.Hashing)):
        return layer.num_bins
    return None


def _gives_indices(layer):
    """True for the built-in layers whose output is integer indices (lookups, hashing, discretization in 'int')."""
    if isinstance(layer, (_layers.IntegerLookup, _layers.StringLookup, _layers.Hashing, _layers.Discretization)):
        return getattr(layer, "output_mode", "int") == "int"
    return False


def _kind_of_dtype(dtype):
    return strings.numpy_dtype(dtype).kind


class FeatureSpace(Layer):
    """One-stop preprocessing and encoding of structured data (tf.keras's ``keras.utils.FeatureSpace``).

    Args:
        features: ``{column name: kind}``, the kind a name from ``KINDS`` (with this FeatureSpace's defaults) or a
            ``FeatureSpace.<kind>(...)`` / ``FeatureSpace.feature(...)`` object.
        output_mode: ``"concat"`` (one vector per sample: the features by sorted name, then the crosses by sorted
            name) or ``"dict"`` (each encoded feature and cross by name).
        crosses: features to hash together: tuples of names (each crossed into ``crossing_dim`` bins) or
            ``FeatureSpace.cross(...)`` objects.
        crossing_dim: the default number of bins of a cross.
        hashing_dim: the number of bins of ``"integer_hashed"`` and ``"string_hashed"`` features named by string.
        num_discretization_bins: the number of bins of ``"float_discretized"`` features named by string.

    Attributes: ``features``, ``crosses``, ``preprocessors`` (``{name: layer}``), ``crossers`` (``{cross name:
    HashedCrossing}``), ``one_hot_encoders`` (``{name: CategoryEncoding}``, after ``adapt``).

    Example:
        >>> fs = FeatureSpace({"age": FeatureSpace.float_rescaled(scale=0.5),
        ...                    "city": FeatureSpace.string_hashed(num_bins=4)}, output_mode="dict")
        >>> out = fs({"age": [30.0, 50.0], "city": ["Paris", "Oslo"]})
        >>> out["age"].numpy().ravel(), out["city"].shape
        (array([15., 25.], dtype=float32), (2, 4))
    """

    #: saved as tf.keras 2 saves it (see ``saving/keras_zip.write_weights_h5``)
    _saved_in_keras2_form = True

    # -- feature kinds ---------------------------------------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A cross of ``feature_names`` hashed into ``crossing_dim`` bins.

        Example:
            >>> FeatureSpace.cross(("a", "b"), crossing_dim=8).name
            'a_X_b'
        """
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature preprocessed by any layer (``output_mode``: ``"float"``, ``"int"`` or ``"one_hot"``).

        Example:
            >>> FeatureSpace.feature("float32", kerasfront.layers.Rescaling(2.0), "float").output_mode
            'float'
        """
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """Float values used as they are.

        Example:
            >>> FeatureSpace.float(name="x").preprocessor.name
            'x_preprocessor'
        """
        name = name or unique_object_name("float", zero_based=False)
        return Feature("float32", _layers.Identity(dtype="float32", name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values times ``scale`` plus ``offset``.

        Example:
            >>> FeatureSpace.float_rescaled(scale=0.5).preprocessor.scale
            0.5
        """
        name = name or unique_object_name("float_rescaled", zero_based=False)
        return Feature("float32", _layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized with the mean and variance ``adapt`` measures.

        Example:
            >>> type(FeatureSpace.float_normalized().preprocessor).__name__
            'Normalization'
        """
        name = name or unique_object_name("float_normalized", zero_based=False)
        return Feature("float32", _layers.Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """Float values bucketed into ``num_bins`` bins (boundaries from ``adapt``'s quantiles, or given).

        Example:
            >>> FeatureSpace.float_discretized(num_bins=4).preprocessor.num_bins
            4
        """
        name = name or unique_object_name("float_discretized", zero_based=False)
        layer = _layers.Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """Integer categories indexed by the vocabulary ``adapt`` finds.

        Example:
            >>> type(FeatureSpace.integer_categorical().preprocessor).__name__
            'IntegerLookup'
        """
        name = name or unique_object_name("integer_categorical", zero_based=False)
        layer = _layers.IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                      num_oov_indices=num_oov_indices)
        return Feature("int64", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """String categories indexed by the vocabulary ``adapt`` finds.

        Example:
            >>> FeatureSpace.string_categorical(max_tokens=10).preprocessor.max_tokens
            10
        """
        name = name or unique_object_name("string_categorical", zero_based=False)
        layer = _layers.StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                     num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Strings hashed into ``num_bins`` bins.

        Example:
            >>> FeatureSpace.string_hashed(num_bins=8).preprocessor.num_bins
            8
        """
        name = name or unique_object_name("string_hashed", zero_based=False)
        return Feature("string", _layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integers hashed into ``num_bins`` bins.

        Example:
            >>> FeatureSpace.integer_hashed(num_bins=8).dtype
            'int64'
        """
        name = name or unique_object_name("integer_hashed", zero_based=False)
        return Feature("int64", _layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    # -- construction ----------------------------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32):
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if not isinstance(features, dict):
            raise TypeError(f"FeatureSpace: `features` must be a dict {{name: feature kind}}, received "
                            f"{type(features).__name__}")
        for name, value in features.items():
            if not isinstance(name, str) or not name or "/" in name:
                raise ValueError(f"FeatureSpace: feature names must be non-empty strings without '/', received "
                                 f"{name!r}")
            if isinstance(value, str) and value not in KINDS:
                raise ValueError(f"Invalid feature type: {value!r} (feature {name!r}); expected one of "
                                 f"{list(KINDS)}, or a FeatureSpace.<kind>(...) / FeatureSpace.feature(...) object")
            if not isinstance(value, (str, dict, Feature)):
                raise TypeError(f"FeatureSpace: feature {name!r} must be a kind name, a Feature or its config, "
                                f"received {type(value).__name__}")
        if output_mode not in ("dict", "concat"):
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {{'dict', 'concat'}}. "
                             f"Received: output_mode={output_mode}")
        hashing_dim = _positive_int(hashing_dim, "hashing_dim")
        num_discretization_bins = _positive_int(num_discretization_bins, "num_discretization_bins")
        if crossing_dim is not None:
            crossing_dim = _positive_int(crossing_dim, "crossing_dim")
        if crosses is not None and not isinstance(crosses, (list, tuple)):
            raise TypeError(f"FeatureSpace: `crosses` must be a list of crosses, received {type(crosses).__name__}")
        super().__init__()
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {name: self._standardize_feature(name, value) for name, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or []]
        self.crosses_by_name = {}
        for cross in self.crosses:
            if cross.name in self.features or cross.name in self.crosses_by_name:
                raise ValueError(f"FeatureSpace: the cross {cross.name!r} has the name of another feature or cross")
            self.crosses_by_name[cross.name] = cross
        self._check_layers_are_distinct()
        self._check_concatenable()
        self.inputs = {name: _layers.Input(shape=(1,), dtype=f.dtype, name=name) for name, f in self.features.items()}
        self.preprocessors = {name: f.preprocessor for name, f in self.features.items()}
        self.encoded_features = None
        self.crossers = {c.name: _layers.HashedCrossing(c.crossing_dim, name=c.name) for c in self.crosses}
        self.one_hot_encoders = {}
        self.concat = None
        self._is_adapted = False
        self._preprocessed_features_names = None
        self._crossed_features_names = None

    def _standardize_feature(self, name, value):
        if isinstance(value, Feature):
            return value
        if isinstance(value, dict):
            return _from_entry(value, Feature, f"feature {name!r}")
        if value == "float":
            return self.float(name=name)
        if value == "float_normalized":
            return self.float_normalized(name=name)
        if value == "float_rescaled":
            return self.float_rescaled(name=name)
        if value == "float_discretized":
            return self.float_discretized(self.num_discretization_bins, name=name)
        if value == "integer_categorical":
            return self.integer_categorical(name=name)
        if value == "string_categorical":
            return self.string_categorical(name=name)
        if value == "integer_hashed":
            return self.integer_hashed(self.hashing_dim, name=name)
        return self.string_hashed(self.hashing_dim, name=name)

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = _from_entry(cross, Cross, "a cross")
        elif not isinstance(cross, Cross):
            if self.crossing_dim is None:
                raise ValueError("When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                                 "crossing space) should be specified as well.")
            if isinstance(cross, str) or not isinstance(cross, (list, tuple)):
                raise TypeError(f"FeatureSpace: each cross must be a tuple of feature names or a FeatureSpace.cross"
                                f"(...), received {cross!r}")
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [n for n in cross.feature_names if n not in self.features]
        if unknown:
            raise ValueError(f"All features referenced in the `crosses` argument should be present in the "
                             f"`features` dict. Received unknown features: {unknown} in the cross "
                             f"{cross.feature_names}; the features are {list(self.features)}")
        return cross

    def _check_layers_are_distinct(self):
        seen = {}
        for name, feature in self.features.items():
            other = seen.setdefault(id(feature.preprocessor), name)
            if other != name:
                raise ValueError(f"FeatureSpace: features {other!r} and {name!r} share one preprocessor layer "
                                 f"({feature.preprocessor.name}); give each feature its own")

    def _check_concatenable(self):
        """In concat mode, integer indices that are not one-hot encoded cannot join the vector: said now, not after
        ``adapt`` (tf.keras says it then)."""
        if self.output_mode != "concat":
            return
        for name, feature in self.features.items():
            if feature.output_mode == "int" and _gives_indices(feature.preprocessor):
                raise ValueError(f"Cannot concatenate features because feature {name!r} has not been encoded (its "
                                 f"output_mode is 'int': integer indices). Consider using `output_mode='dict'`, or "
                                 f"output_mode='one_hot' for this feature.")
        for cross in self.crosses:
            if cross.output_mode == "int":
                raise ValueError(f"Cannot concatenate features because the cross {cross.name!r} has not been encoded "
                                 f"(its output_mode is 'int'). Consider using `output_mode='dict'`.")

    # -- adapt -----------------------------------------------------------------------------------------------
    def _adaptable_names(self):
        return [name for name in self.features if _is_adaptable(self.preprocessors[name])]

    def adapt(self, dataset):
        """Fit each feature's preprocessing state (vocabularies, means and variances, bin boundaries) to data.

        Args:
            dataset: a ``kerasfront.utils.Dataset`` whose elements are dicts of features (batched or single
                samples; a dataset of ``(features, label)`` pairs must be mapped to its features first), or a
                dict of columns (arrays or lists, one row per sample).

        Bad data (empty, a missing column, a column of the wrong type) raises an error naming the feature and
        leaves the FeatureSpace as it was.

        Example:
            >>> fs = FeatureSpace({"n": "integer_categorical"})
            >>> fs.adapt(kerasfront.utils.Dataset.from_tensor_slices({"n": np.array([4, 4, 9])}))
            >>> fs.preprocessors["n"].get_vocabulary()
            [-1, 4, 9]
        """
        names = self._adaptable_names()
        batches = self._adapt_batches(dataset, names)
        saved = [snapshot_state(self.preprocessors[name]) for name in names]
        own_state = dict(self.__dict__)
        try:
            for name in names:
                data = batches[name]
                try:
                    self.preprocessors[name].adapt(Dataset(lambda data=data: iter(data), len(data)))
                except (ValueError, TypeError) as e:
                    raise type(e)(f"FeatureSpace.adapt: feature {name!r}: {e}") from None
            self._is_adapted = True
            self.encoded_features = None        # built again with the new vocabulary sizes
            self.get_encoded_features()
            self.built = True
        except BaseException:
            for snapshot in saved:
                restore_state(snapshot)
            self.__dict__.clear()
            self.__dict__.update(own_state)
            raise

    def _adapt_batches(self, dataset, names):
        """``{feature name: [batch arrays]}``: the batches tf.keras would give each preprocessor's ``adapt`` (single
        samples batched in 32s, a last axis of 1 added to rank-1 batches), all read and checked first."""
        where = "FeatureSpace.adapt"
        if isinstance(dataset, dict):
            columns = self._adapt_columns(dataset, names)
            elements = None
        elif isinstance(dataset, Dataset):
            if dataset._cardinality == INFINITE_CARDINALITY:
                raise ValueError(f"{where}: the dataset is infinite (it was repeated); adapt on a finite one "
                                 f"(dataset.take(n))")
            elements = {name: [] for name in names}
            count = 0
            for element in dataset:
                if not isinstance(element, dict):
                    hint = (" (it yields (features, label) pairs: pass dataset.map(lambda x, y: x))"
                            if isinstance(element, tuple) else "")
                    raise TypeError(f"{where}: expected a dataset of feature dicts, received elements of type "
                                    f"{type(element).__name__}{hint}")
                missing = [name for name in names if name not in element]
                if missing:
                    raise ValueError(f"{where}: the data has no column for the feature(s) {missing}; its columns "
                                     f"are {sorted(element)}")
                for name in names:
                    elements[name].append(np.asarray(element[name]))
                count += 1
            if count == 0:
                raise ValueError(f"{where}: received no data (the dataset is empty); adapt needs at least one sample")
            columns = None
        else:
            raise TypeError(f"{where}: expected a kerasfront.utils.Dataset of feature dicts or a dict of columns "
                            f"(arrays), received {type(dataset).__name__}")
        out = {}
        for name in names:
            if columns is not None:
                column = columns[name]
                # NOTE: as Dataset.from_tensor_slices(columns): rows of a 1-D column are single samples
                batches = ([column[i:i + ADAPT_BATCH_SIZE] for i in range(0, len(column), ADAPT_BATCH_SIZE)]
                           if column.ndim == 1 else list(column))
            else:
                items = elements[name]
                if items[0].ndim == 0:
                    batches = [np.stack(items[i:i + ADAPT_BATCH_SIZE]) for i in range(0, len(items), ADAPT_BATCH_SIZE)]
                else:
                    batches = items
            converted = []
            for batch in batches:
                try:
                    batch = to_array(batch, allow_strings=True, what=f"{where}: feature {name!r}")
                except (ValueError, TypeError) as e:
                    raise type(e)(str(e)) from None
                converted.append(batch[..., None] if batch.ndim <= 1 else batch)
            out[name] = converted
        return out

    def _adapt_columns(self, data, names):
        where = "FeatureSpace.adapt"
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"{where}: the data has no column for the feature(s) {missing}; its columns are "
                             f"{sorted(map(str, data))}")
        columns = {}
        for name in names:
            value = data[name]
            if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
                value = value.numpy()
            try:
                column = np.asarray(value)
            except ValueError:
                raise ValueError(f"{where}: feature {name!r}: cannot turn the column into an array (ragged rows?)") \
                    from None
            if column.ndim == 0:
                raise ValueError(f"{where}: feature {name!r}: expected a column (one row per sample), received the "
                                 f"single value {value!r}")
            columns[name] = column
        lengths = {name: len(column) for name, column in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{where}: the columns have different lengths {lengths}; expected one row per sample in "
                             f"each")
        if lengths and not next(iter(lengths.values())):
            raise ValueError(f"{where}: received no data (the columns are empty); adapt needs at least one sample")
        return columns

    # -- building --------------------------------------------------------------------------------------------
    def _check_if_adapted(self):
        if not self._is_adapted:
            if not self._adaptable_names():
                self._is_adapted = True
            else:
                raise ValueError(f"You need to call `.adapt(dataset)` on the FeatureSpace before you can start using "
                                 f"it (the features {self._adaptable_names()} learn their state from data).")

    def _check_if_built(self):
        if not self.built:
            self._check_if_adapted()
            self.get_encoded_features()
            self.built = True

    def get_inputs(self):
        """``{feature name: Input}``: the symbolic inputs of a functional model (``get_encoded_features()`` are its
        outputs).

        Example:
            >>> FeatureSpace({"x": "float"}).get_inputs()["x"].dtype
            'float32'
        """
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The symbolic encoded features computed from ``get_inputs()``: one tensor in concat mode, a dict in dict
        mode.

        Example:
            >>> FeatureSpace({"x": "float", "y": "float"}).get_encoded_features().shape
            (None, 2)
        """
        self._check_if_adapted()
        if self.encoded_features is None:
            self._build()
        return self.encoded_features

    def _build(self):
        """Make the one-hot encoders and the concatenation from a symbolic pass over ``inputs``; everything is
        checked before anything is kept."""
        preprocessed = self._preprocess_features(self.inputs)
        crossed = self._cross_features(preprocessed)
        feature_names, cross_names = sorted(preprocessed), sorted(crossed)
        encoders, encoded = {}, {}
        for name in feature_names + cross_names:
            tensor = preprocessed[name] if name in preprocessed else crossed[name]
            spec = self.features.get(name) or self.crosses_by_name[name]
            layer = self.preprocessors.get(name) or self.crossers.get(name)
            if spec.output_mode == "one_hot":
                if _kind_of_dtype(tensor.dtype) not in "iu":
                    raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor should "
                                     f"return an int64 dtype. Instead it returns a {tensor.dtype} dtype.")
                depth = _cardinality(layer)
                if depth is None:
                    raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard "
                                     f"feature and the dimensionality of its output space is not known, thus it "
                                     f"cannot be one-hot encoded. Try using `output_mode='int'`.")
                encoders[name] = _layers.CategoryEncoding(num_tokens=depth, output_mode="multi_hot")
                tensor = encoders[name](tensor)
            if self.output_mode == "concat" and _kind_of_dtype(tensor.dtype) not in "f":
                raise ValueError(f"Cannot concatenate features because feature '{name}' has not been encoded (it has "
                                 f"dtype {tensor.dtype}). Consider using `output_mode='dict'`.")
            encoded[name] = tensor
        order = feature_names + cross_names
        if self.output_mode == "concat":
            concat = _layers.Concatenate(axis=-1)
            result = concat([encoded[name] for name in order])
        else:
            concat = None
            result = {name: encoded[name] for name in order}
        self.one_hot_encoders = encoders
        self.concat = concat
        self._preprocessed_features_names = feature_names
        self._crossed_features_names = cross_names
        self.encoded_features = result

    def _preprocess_features(self, features):
        out = {}
        for name, value in features.items():
            try:
                out[name] = self.preprocessors[name](value)
            except (ValueError, TypeError) as e:
                raise type(e)(f"FeatureSpace: feature {name!r}: {e}") from None
        return out

    def _cross_features(self, features):
        return {cross.name: self.crossers[cross.name]([features[name] for name in cross.feature_names])
                for cross in self.crosses}

    def _merge_features(self, preprocessed, crossed):
        encoded = {}
        for name in self._preprocessed_features_names + self._crossed_features_names:
            tensor = preprocessed[name] if name in preprocessed else crossed[name]
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(tensor) if encoder is not None else tensor
        if self.output_mode == "dict":
            return encoded
        return self.concat(list(encoded.values()))

    # -- calling ---------------------------------------------------------------------------------------------
    def __call__(self, data):
        """Encode a dict of columns (batched: one row per sample) or of single values (gives one unbatched
        result); symbolic inputs (``Input``s) give symbolic outputs.

        Example:
            >>> fs = FeatureSpace({"x": "float", "y": FeatureSpace.float_rescaled(scale=2.0)})
            >>> fs({"x": 1.0, "y": 3.0}).numpy()
            array([1., 6.], dtype=float32)
        """
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: data={str(data)[:120]} (of "
                             f"type {type(data).__name__})")
        unknown = [name for name in data if name not in self.features]
        missing = [name for name in self.features if name not in data]
        if unknown or missing:
            parts = ([f"unknown feature name(s) {unknown}"] if unknown else []) + \
                ([f"no column for the feature(s) {missing}"] if missing else [])
            raise ValueError(f"FeatureSpace: {' and '.join(parts)}; the features are {list(self.features)}")
        if any(isinstance(v, KerasTensor) for v in data.values()):
            if not all(isinstance(v, KerasTensor) for v in data.values()):
                raise TypeError("FeatureSpace: mix of symbolic (Input) and concrete values; call it on one kind")
            preprocessed = self._preprocess_features(data)
            return self._merge_features(preprocessed, self._cross_features(preprocessed))
        columns, rebatched = {}, False
        for name, value in data.items():
            column = self._column(name, value)
            if column.ndim == 0:
                column = column.reshape(1, 1)
                rebatched = True
            elif column.ndim == 1:
                column = column[:, None]
            columns[name] = column if column.dtype == object else ag.Tensor(column)
        preprocessed = self._preprocess_features(columns)
        merged = self._merge_features(preprocessed, self._cross_features(preprocessed))
        if rebatched:
            if self.output_mode == "concat":
                return merged[0]
            return {name: (x[0] if x.ndim == 2 and x.shape[0] == 1 else x) for name, x in merged.items()}
        return merged

    def _column(self, name, value):
        """One column as numpy, numbers in the feature's dtype (text as an object array of str)."""
        what = f"FeatureSpace: feature {name!r}"
        if isinstance(value, ag.Tensor):
            value = value.data
        try:
            column = to_array(value, allow_strings=True, what=what)
        except (ValueError, TypeError) as e:
            raise type(e)(str(e)) from None
        kind = _kind_of_dtype(self.features[name].dtype)
        if column.dtype == object or kind == "O":
            return column
        if kind == "f":
            return column.astype(strings.numpy_dtype(self.features[name].dtype), copy=False)
        if kind in "iu" and column.dtype.kind == "f":
            if not np.all(np.isfinite(column)) or np.any(column != np.round(column)):
                raise TypeError(f"{what}: expected integers (the feature's dtype is {self.features[name].dtype}), "
                                f"received non-integer floats")
        if kind in "iu":
            return column.astype(strings.numpy_dtype(self.features[name].dtype), copy=False)
        return column

    # -- serialization ---------------------------------------------------------------------------------------
    def get_config(self):
        return {"features": {name: _config_entry(f) for name, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [_config_entry(c) for c in self.crosses],
                "crossing_dim": self.crossing_dim,
                "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        if not isinstance(config, dict):
            raise ValueError(f"FeatureSpace.from_config: expected a dict, received {type(config).__name__}")
        return cls(**config)

    def get_build_config(self):
        """``{feature name: {"input_shape": shape}}`` for the built preprocessors (None for the others)."""
        out = {}
        for name, layer in self.preprocessors.items():
            shape = layer._build_input_shape if layer.built else None
            out[name] = {"input_shape": [None if d is None else int(d) for d in shape]} \
                if isinstance(shape, (tuple, list)) else None
        return out

    def build_from_config(self, config):
        """Build the preprocessors as ``get_build_config`` saw them (a loaded file's variables then fill them)."""
        if not isinstance(config, dict):
            raise ValueError(f"FeatureSpace.build_from_config: expected a dict, received {type(config).__name__}")
        unknown = [name for name in config if name not in self.preprocessors]
        if unknown:
            raise ValueError(f"FeatureSpace.build_from_config: unknown feature name(s) {unknown}")
        built_any = False
        for name, entry in config.items():
            shape = entry.get("input_shape") if isinstance(entry, dict) else None
            if isinstance(shape, (list, tuple)):
                self.preprocessors[name]._maybe_build(tuple(None if d is None else int(d) for d in shape))
                built_any = True
        if built_any or not config:
            self._is_adapted = True

    def save(self, filepath):
        """Save the FeatureSpace (its features, crosses and adapted state) to a ``.keras`` file, which
        ``kerasfront.models.load_model`` reads back.

        Example:
            >>> fs.save("myfeaturespace.keras")        # doctest: +SKIP
            >>> fs2 = kerasfront.models.load_model("myfeaturespace.keras")     # doctest: +SKIP
        """
        import os
        path = os.fspath(filepath)
        if not path.endswith(".keras"):
            raise ValueError(f"Invalid filepath extension for saving. Please add the `.keras` extension. Received: "
                             f"filepath={path}")
        from ..saving.keras_zip import save_model_to_keras_file
        save_model_to_keras_file(self, path)

    def __repr__(self):
        return (f"<FeatureSpace features={list(self.features)} crosses={[c.name for c in self.crosses]} "
                f"output_mode={self.output_mode!r}>")
