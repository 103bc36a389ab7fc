"""The examples in kerasfront's docstrings run and print what they show, for the modules whose examples are
self-contained (given numpy as ``np`` and a small compiled-or-not ``model``)."""
import doctest
import importlib

import numpy as np
import pytest

import autograd as ag
import kerasfront

MODULES = ["kerasfront.losses", "kerasfront.metrics", "kerasfront.optimizers.schedules", "kerasfront.layers.core",
           "kerasfront.layers.merge", "kerasfront.activations", "kerasfront.initializers", "kerasfront.regularizers",
           "kerasfront.constraints", "kerasfront.backend", "kerasfront.metric_families.f_score",
           "kerasfront.metric_families.iou", "kerasfront.metric_families.sensitivity",
           "kerasfront.metric_families.regression", "kerasfront.metric_families.mean_tensor",
           "kerasfront._backend.nn", "kerasfront._backend.tensor_ops", "kerasfront._backend.control_flow",
           "kerasfront._backend.variables", "kerasfront._backend.sparse", "kerasfront._backend.ctc",
           "kerasfront.mixed_precision.policy", "kerasfront.mixed_precision.autocast",
           "kerasfront.mixed_precision.loss_scale_optimizer"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    model = kerasfront.Sequential([kerasfront.layers.Dense(3, input_shape=(2,))])
    kerasfront.backend.clear_session()          # layer names in the examples start from "dense" again
    result = doctest.testmod(module, extraglobs={"np": np, "ag": ag, "K": kerasfront.backend, "kerasfront": kerasfront,
                                                     "model": model},
                             report=False, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (run doctest -v)"
    assert result.attempted >= (5 if name.startswith(("kerasfront._backend.", "kerasfront.mixed_precision")) else 10)


DATA_MODULES = ["kerasfront.utils.dataset", "kerasfront.utils.sequence_utils", "kerasfront.utils.np_utils",
                "kerasfront.utils.batches", "kerasfront.utils.image_resize", "kerasfront.utils.layer_utils",
                "kerasfront.utils.io_utils", "kerasfront.utils.timeseries_dataset", "kerasfront.preprocessing.sequence",
                "kerasfront.preprocessing.text", "kerasfront.datasets.reuters", "kerasfront.utils.feature_space"]


@pytest.mark.parametrize("name", DATA_MODULES)
def test_data_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np, "kerasfront": kerasfront}, report=False,
                             optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (run doctest -v)"
    assert result.attempted >= 2
