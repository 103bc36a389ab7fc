"""Activations: values against numpy formulas (tf.keras's definitions), gradients, names and errors."""
import math

import numpy as np
import pytest

import autograd as ag
from kerasfront import activations as A

X = np.array([[-6.0, -2.5, -1.0, -0.1, 0.0, 0.3, 1.0, 2.5, 7.0]], np.float32)
XD = X.astype(np.float64)
erf = np.vectorize(math.erf, otypes=[np.float64])  # the reference erf, independent of scipy (not a test dependency)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


FORMULAS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (np.abs(x) + 1),
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "linear": lambda x: x,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True)) / np.exp(x - x.max(-1, keepdims=True)).sum(-1,
                                                                                                      keepdims=True),
    "log_softmax": lambda x: x - x.max(-1, keepdims=True) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(
        -1, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_values_match_formulas_and_keep_float32(name):
    fn = A.get(name)
    out = fn(ag.tensor(X))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), FORMULAS[name](XD), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish", "gelu",
                                  "hard_sigmoid", "leaky_relu", "mish", "softmax", "log_softmax", "exponential"])
def test_gradients(name):
    fn = A.get(name)
    x = np.array([[-2.3, -0.7, 0.4, 1.9, 3.1]])   # away from kinks
    assert ag.gradcheck(fn, x)


def test_relu_options_follow_tf_keras():
    x = ag.tensor(np.array([-3.0, -1.0, 0.1, 0.5, 2.0, 10.0], np.float32))
    xd = x.numpy().astype(np.float64)
    np.testing.assert_allclose(A.relu(x, alpha=0.1).numpy(), np.where(xd > 0, xd, 0.1 * xd), rtol=1e-6)
    np.testing.assert_allclose(A.relu(x, max_value=1.0).numpy(), np.clip(xd, 0, 1), rtol=1e-6)
    expected = np.where(xd * (xd > 0.2) > 6, 6, xd * (xd > 0.2)) - 0.1 * np.maximum(-xd + 0.2, 0)
    np.testing.assert_allclose(A.relu(x, alpha=0.1, max_value=6.0, threshold=0.2).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(A.elu(x, alpha=0.5).numpy(), np.where(xd > 0, xd, 0.5 * (np.exp(xd) - 1)), rtol=1e-6)
    np.testing.assert_allclose(A.gelu(x, approximate=True).numpy(),
                               0.5 * xd * (1 + np.tanh(np.sqrt(2 / np.pi) * (xd + 0.044715 * xd ** 3))), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(A.leaky_relu(x, alpha=0.3).numpy(), np.where(xd > 0, xd, 0.3 * xd), rtol=1e-6)


def test_softmax_axis_and_rank_check():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    out = A.softmax(ag.tensor(x), axis=1).numpy()
    np.testing.assert_allclose(out.sum(axis=1), np.ones((2, 4)), rtol=1e-6)
    out = A.softmax(ag.tensor(x), axis=(1, 2)).numpy()
    np.testing.assert_allclose(out.sum(axis=(1, 2)), np.ones(2), rtol=1e-6)
    with pytest.raises(ValueError, match="1D"):
        A.softmax(ag.tensor(np.ones(3, np.float32)))


def test_names_serialize_and_resolve():
    assert A.get(None) is A.linear
    assert A.get("relu") is A.relu
    assert A.get("silu") is A.swish and A.serialize(A.get("silu")) == "swish"
    assert A.serialize(A.softmax) == "softmax" and A.serialize(None) == "linear"
    assert A.deserialize("gelu") is A.gelu
    fn = lambda x: x  # noqa: E731
    assert A.get(fn) is fn
    with pytest.raises(ValueError, match="Unknown activation function: 'reluu'.*'relu'"):
        A.get("reluu")
    with pytest.raises(TypeError, match="could not interpret"):
        A.get(3)
    with pytest.raises(ValueError, match="lambda"):
        A.serialize(lambda x: x)
