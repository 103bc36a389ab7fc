"""The weighting rules of ``kerasfront.utils.losses_utils``, one by one: tf.keras's two alignment rules (the
compile path's ``match_dtype_and_rank`` and the direct call's ``squeeze_or_expand_dimensions``), masks,
reductions, metric weights and class weights. The tables in test_weighting_tables.py check the same rules
end to end against tf.keras; these name each rule so that a failure says which one broke."""
import numpy as np
import pytest

import autograd as ag
import kerasfront as keras
from kerasfront import layers
from kerasfront.utils import losses_utils as lu


def _shapes(*xs):
    return tuple(None if x is None else tuple(np.shape(x.data if isinstance(x, ag.Tensor) else x)) for x in xs)


def test_compile_rule_expands_1d_labels_and_weights_for_rank_2_predictions_only():
    y1, sw1 = ag.tensor(np.zeros(4, "float32")), np.ones(4, "float32")
    y_t, y_p, sw = lu.match_dtype_and_rank(y1, ag.tensor(np.zeros((4, 1), "float32")), sw1)
    assert _shapes(y_t, y_p, sw) == ((4, 1), (4, 1), (4, 1))
    y_t, y_p, sw = lu.match_dtype_and_rank(y1, ag.tensor(np.zeros((4, 3), "float32")), sw1)   # sparse labels too
    assert _shapes(y_t, sw) == ((4, 1), (4, 1))
    y_t, y_p, sw = lu.match_dtype_and_rank(ag.tensor(np.zeros((4, 2))), ag.tensor(np.zeros((4, 2, 1), "float32")),
                                           np.ones(4))
    assert _shapes(y_t, sw) == ((4, 2), (4,))                       # only rank 1 against rank 2
    assert y_t.dtype == np.float32 and sw.dtype == np.float32        # float labels and weights take y_pred's dtype
    y_int, _, _ = lu.match_dtype_and_rank(ag.tensor(np.zeros(4, "int64")), ag.tensor(np.zeros((4, 3), "float32")),
                                          None)
    assert y_int.dtype == np.int64                                    # integer labels stay integers


def test_direct_rule_squeezes_a_size_1_axis_and_matches_weights_to_the_given_rank():
    p, y = ag.tensor(np.zeros((4, 1))), ag.tensor(np.zeros(4))
    y_p, y_t = lu.squeeze_or_expand_dimensions(p, y)
    assert _shapes(y_p, y_t) == ((4,), (4,))
    y_p, y_t = lu.squeeze_or_expand_dimensions(ag.tensor(np.zeros((4, 3))), y)   # sparse labels: nothing to do
    assert _shapes(y_p, y_t) == ((4, 3), (4,))
    y_p, y_t = lu.squeeze_or_expand_dimensions(ag.tensor(np.zeros(4)), ag.tensor(np.zeros((4, 1))))
    assert _shapes(y_t) == ((4,),)
    # NOTE: tf.keras compares the weights with y_pred's rank before the squeeze
    _, _, sw = lu.squeeze_or_expand_dimensions(p, y, np.ones(4))
    assert _shapes(sw) == ((4, 1),)
    _, _, sw = lu.squeeze_or_expand_dimensions(ag.tensor(np.zeros(4)), None, np.ones((4, 1)))
    assert _shapes(sw) == ((4,),)
    _, _, sw = lu.squeeze_or_expand_dimensions(ag.tensor(np.zeros(4)), None, np.float32(3.0))
    assert _shapes(sw) == ((),)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(4,\).*last axis.*size 4, not 1"):
        lu.squeeze_or_expand_dimensions(ag.tensor(np.zeros(())), None, np.ones(4))


def test_compute_weighted_loss_divides_by_the_number_of_loss_elements_not_the_weights():
    losses = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    sw = np.array([1.0, 0.0], "float32")
    assert float(lu.compute_weighted_loss(losses, sw).data) == pytest.approx((1 + 2) / 4)
    assert float(lu.compute_weighted_loss(losses, sw, "sum").data) == pytest.approx(3.0)
    np.testing.assert_allclose(lu.compute_weighted_loss(losses, sw, "none").data, [[1, 2], [0, 0]])
    with pytest.raises(ValueError, match="cannot be broadcast"):
        lu.compute_weighted_loss(losses, np.ones((2, 3), "float32"))
    w = ag.tensor(np.array([1.0, 2.0], "float32"), requires_grad=True)        # weights as a Tensor stay in the graph
    total = lu.compute_weighted_loss(np.array([3.0, 5.0], "float32"), w, "sum")
    total.backward()
    np.testing.assert_allclose(w.grad.data, [3.0, 5.0])


def test_metric_weights_broadcast_under_tf_rules_and_reduce_extra_axes():
    values = np.arange(12, dtype="float32").reshape(2, 3, 2)
    weighted, w = lu.weight_metric_values(values, np.array([1.0, 0.0], "float32"),
                                          lambda v, axes: v.mean(axis=axes))
    # (2,) weights against (2, 3, 2) values: not broadcastable as tf allows, so the values are averaged first
    np.testing.assert_allclose(weighted, [values[0].mean(), 0.0])
    np.testing.assert_allclose(w, [1.0, 0.0])
    with pytest.raises(ValueError, match="cannot be broadcast"):
        lu.broadcast_weights(np.ones(3), (3, 3))       # numpy would broadcast this; tf's rule does not


def test_loss_called_directly_honours_the_output_mask_as_tf_keras():
    inp = keras.Input(shape=(4, 2))
    out = layers.TimeDistributed(layers.Dense(1, kernel_initializer="ones"))(layers.Masking(0.0)(inp))
    model = keras.Model(inp, out)
    x = np.ones((2, 4, 2), "float32")
    x[0, 2:] = 0.0                                     # the first sample's last two steps are masked
    y = np.zeros((2, 4, 1), "float32")
    pred = model(x)
    per_step = (pred.data[..., 0] - 0.0) ** 2
    valid = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    expected = per_step[valid].mean()
    assert float(keras.losses.MeanSquaredError()(ag.tensor(y), pred).data) == pytest.approx(expected, rel=1e-6)
    model.compile("sgd", "mse")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-6)


def test_class_weight_rules():
    cw = {0: 1.0, 1: 2.0, 2: 4.0}
    np.testing.assert_allclose(lu.class_weight_to_sample_weight(cw, np.array([0.0, 1.4, 1.6])), [1, 2, 4])
    onehot = np.eye(3)[[2, 0]]
    np.testing.assert_allclose(lu.class_weight_to_sample_weight(cw, onehot), [4, 1])
    seq = np.eye(3)[[[0, 2], [1, 1]]]                          # (N, T, k): temporal class weights
    np.testing.assert_allclose(lu.class_weight_to_sample_weight(cw, seq, np.array([1.0, 0.5])), [[1, 4], [1, 1]])
    binary = np.array([[0.2], [0.9]])                          # (N, 1): rounded
    np.testing.assert_allclose(lu.class_weight_to_sample_weight({0: 1.0, 1: 3.0}, binary, np.ones((2, 1))), [1, 3])
    with pytest.raises(ValueError, match="keys from 0 to one less than the number of classes"):
        lu.class_weight_to_sample_weight({0: 1.0, 2: 1.0}, np.array([0, 2]))
    with pytest.raises(TypeError, match="must be a dict"):
        lu.class_weight_to_sample_weight([1.0, 2.0], np.array([0, 1]))
