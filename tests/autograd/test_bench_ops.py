"""benchmarks/bench_ops.py times the same arithmetic as the numpy lower bound (nothing is timed here)."""
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.append(os.path.join(REPO, "benchmarks"))

import bench_ops  # noqa: E402
import numpy_reference  # noqa: E402
from workloads import OPS_CHAIN_LENGTH, OPS_CYCLE, ops_inputs  # noqa: E402


def test_autograd_chain_computes_what_the_numpy_reference_computes():
    run, forward = bench_ops._autograd_chain()
    value, _ = numpy_reference.ops_chain_value_and_grad(*ops_inputs(), OPS_CHAIN_LENGTH, OPS_CYCLE)
    y = forward()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.item(), value, rtol=1e-5)
    run()                                # one timed unit: forward, backward, gradient reset
    assert bench_ops._per_op_us(OPS_CHAIN_LENGTH * 1e-6) == 1.0


def test_chain_gradient_matches_the_reference():
    import autograd as ag
    x0, c0, d0 = ops_inputs()
    x = ag.Tensor(x0, requires_grad=True)
    c, d = ag.Tensor(c0), ag.Tensor(d0)
    y = x
    for i in range(OPS_CHAIN_LENGTH):
        op = OPS_CYCLE[i % len(OPS_CYCLE)]
        y = {"mul": lambda v: v * c, "add": lambda v: v + d, "tanh": ag.tanh, "exp": ag.exp}[op](y)
    y.sum().backward()
    _, grad = numpy_reference.ops_chain_value_and_grad(x0, c0, d0, OPS_CHAIN_LENGTH, OPS_CYCLE)
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-4, atol=1e-6)
