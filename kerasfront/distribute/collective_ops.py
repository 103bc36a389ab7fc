"""A differentiable all-reduce inside a training step (what ``BatchNormalization(synchronized=True)`` needs).

``all_reduce_sum(x)`` is the sum of ``x`` over the workers during a data-parallel training step of ``fit``
and ``x`` itself anywhere else (one process, ``predict``, a direct call). Its gradient is the all-reduce of
the incoming gradient: every worker's output is the same sum, so each input receives the sum of the gradients
arriving at all the outputs. Each worker calls it in the same order (the same model, the same graph), forward
and backward.

Example:
    >>> s = all_reduce_sum(ag.tensor([1.0, 2.0]))      # one process: the tensor itself
    >>> s.numpy()
    array([1., 2.])
"""
import numpy as np

import autograd as ag

__all__ = ["all_reduce_sum", "step_reducer"]

_STEP = [None]


def step_reducer():
    """The data-parallel helper of the training step running now (None outside one)."""
    return _STEP[0]


def _all_reduce_sum_forward(x):
    reducer = _STEP[0]
    out = np.array(x, copy=True, order="C")
    return out if reducer is None else reducer.step_all_reduce(out)


all_reduce_sum = ag.primitive(_all_reduce_sum_forward, name="all_reduce_sum")
ag.defvjp(all_reduce_sum, lambda g, ans, x: all_reduce_sum(g))
ag.def_linear(all_reduce_sum)
