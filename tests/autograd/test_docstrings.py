"""The examples in autograd's docstrings run and print what they show."""
import doctest
import importlib

import numpy as np
import pytest

import autograd as ag

MODULES = ["autograd", "autograd.tensor", "autograd.engine", "autograd.primitive", "autograd.transforms",
           "autograd.gradcheck", "autograd.numpy_dispatch", "autograd.modes", "autograd.ops._make",
           "autograd.ops.elementwise", "autograd.ops.reductions", "autograd.ops.shape", "autograd.ops.linalg",
           "autograd.ops.tensor_methods", "autograd.forward_mode", "autograd.batching", "autograd.ops.lstm_fused",
           "autograd.ops.gru_fused", "autograd.ops._fused_rnn", "autograd.ops.nn3d", "autograd.ops.random",
           "autograd.custom", "autograd.trace", "autograd.trace.graph", "autograd.trace.recorder",
           "autograd.trace.codec", "autograd.trace.shapes", "autograd.linalg", "autograd.special", "autograd.fft",
           "autograd.ops._linalg_util", "autograd.ops.linalg_solve", "autograd.ops.linalg_decomp",
           "autograd.ops.linalg_functions", "autograd.ops.special", "autograd.ops.fft",
           "autograd.ops.ctc", "autograd.ops.precision", "autograd.blas", "autograd.parallel"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"ag": ag, "np": np}, report=False,
                             optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (run doctest -v)"
    assert result.attempted > 0
