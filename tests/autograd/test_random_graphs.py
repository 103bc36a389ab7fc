"""The engine on drawn graphs: random programs with fan-out, reuse and diamonds, checked against numerical
gradients (first and second order) and against a forward pass evaluated by plain numpy."""
import numpy as np
from hypothesis import given, strategies as st

import autograd as ag

# (name, arity, autograd form, numpy form): smooth everywhere, bounded for moderate inputs
OPS = [
    ("add", 2, lambda a, b: a + b, np.add),
    ("sub", 2, lambda a, b: a - b, np.subtract),
    ("mul", 2, lambda a, b: a * b, np.multiply),
    ("sin", 1, ag.sin, np.sin),
    ("tanh", 1, ag.tanh, np.tanh),
    ("sigmoid", 1, ag.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    ("scale", 1, lambda a: 0.5 * a, lambda a: 0.5 * a),
    ("square", 1, ag.square, np.square),
]

programs = st.lists(
    st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6)),
    min_size=1, max_size=12)


def _run(program, inputs, lib):
    """Evaluate the program: each step applies an op to earlier values (inputs included, reuse allowed)."""
    values = list(inputs)
    for op_index, i, j in program:
        _, arity, ag_form, np_form = OPS[op_index]
        form = ag_form if lib == "ag" else np_form
        args = [values[i % len(values)], values[j % len(values)]][:arity]
        values.append(form(*args))
    tail = values[len(inputs):]
    out = tail[-1]
    for v in tail[:-1:2]:                 # several nodes feed the output: more fan-out
        out = out + v
    return out


@given(program=programs, seed=st.integers(0, 2 ** 32 - 1), n_inputs=st.integers(1, 3))
def test_random_programs_match_numpy_and_numerical_gradients(program, seed, n_inputs):
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1, 1, (2, 3)) for _ in range(n_inputs)]
    out = _run(program, [ag.tensor(x) for x in inputs], "ag")
    np.testing.assert_allclose(out.numpy(), _run(program, inputs, "np"), rtol=1e-10, atol=1e-12)
    assert ag.gradcheck(lambda *xs: _run(program, xs, "ag"), *inputs, order=2)


@given(program=programs, seed=st.integers(0, 2 ** 32 - 1))
def test_backward_and_gradients_agree_and_accumulate(program, seed):
    rng = np.random.default_rng(seed)
    xs = [ag.tensor(rng.uniform(-1, 1, (3,)), requires_grad=True) for _ in range(2)]
    loss = _run(program, xs, "ag").sum()
    if not loss.requires_grad:
        return
    expected = ag.gradients(loss, xs, retain_graph=True)
    loss.backward(retain_graph=True)
    loss.backward()
    for x, g in zip(xs, expected):
        if x.grad is None:                # an input the program never used gets no gradient at all
            assert not g.numpy().any()
        else:
            np.testing.assert_allclose(x.grad.numpy(), 2 * g.numpy(), rtol=1e-12, atol=1e-12)
