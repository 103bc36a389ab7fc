"""Optimizer slots never stay subnormal: tf.keras runs with flush-to-zero, and subnormal arithmetic is slow."""
import numpy as np

import autograd as ag
from autograd import inplace
from kerasfront import optimizers
from kerasfront.variables import Variable

TINY32 = np.finfo(np.float32).tiny


def _subnormal_count(a):
    a = np.abs(np.asarray(a))
    return int(np.count_nonzero((a > 0) & (a < TINY32)))


def test_flush_zeroes_subnormals_and_keeps_everything_else():
    values = np.array([1e-39, -3e-42, 0.0, TINY32, -TINY32, 0.5, -2.0, 1e-30], np.float32)
    t = ag.tensor(values)
    inplace.flush_subnormals([t])
    np.testing.assert_array_equal(t.numpy(), np.where(np.abs(values) < TINY32, 0.0, values).astype(np.float32))
    assert _subnormal_count(t.numpy()) == 0
    ints = ag.tensor(np.array([1, 0, 3]))
    inplace.flush_subnormals([ints])  # integer tensors are left alone
    np.testing.assert_array_equal(ints.numpy(), [1, 0, 3])


def test_adam_slots_of_a_weight_without_gradient_leave_the_subnormal_range():
    w = Variable(np.ones((4, 3), np.float32), name="w")
    opt = optimizers.Adam(learning_rate=0.01)
    opt.apply_gradients([(ag.tensor(np.full((4, 3), 1e-3, np.float32)), w)])
    # From then on the weight gets zero gradients: m decays by 0.9 per step into the subnormal range.
    zero = ag.tensor(np.zeros((4, 3), np.float32))
    seen, run, longest = 0, 0, 0
    for step in range(2, 1100):
        opt.apply_gradients([(zero, w)])
        m = opt.variables[1].numpy()
        if _subnormal_count(m):
            seen += 1
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    assert seen > 0, "the scenario should have produced subnormals between flushes"
    assert longest <= 8, f"slots stayed subnormal for {longest} consecutive steps"
    assert np.all(opt.variables[1].numpy() == 0)
