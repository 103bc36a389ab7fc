"""ag.scaled_dot_product_attention beyond the gradient table (test_op_gradients.py): tf.keras's masking (-1e9
added, a fully masked row attends evenly in float32), what the primitive keeps for backward, the create_graph
path against the saved one, dropout, return_weights, and errors that name the argument."""
import numpy as np
import pytest

import autograd as ag


def _inputs(shape_q=(2, 3, 4, 5), tk=6, dv=3, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    lead, tq, d = shape_q[:-2], shape_q[-2], shape_q[-1]
    return (rng.standard_normal(shape_q).astype(dtype), rng.standard_normal(lead + (tk, d)).astype(dtype),
            rng.standard_normal(lead + (tk, dv)).astype(dtype))


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_matches_the_formula_with_mask_scale_and_causal():
    q, k, v = _inputs()
    mask = np.random.default_rng(1).random((2, 1, 4, 6)) < 0.5
    mask[..., 0] = True
    out = ag.scaled_dot_product_attention(q, k, v, mask=mask, scale=0.7, causal=True)
    s = 0.7 * q @ np.swapaxes(k, -1, -2)
    keep = mask & np.tri(4, 6, dtype=bool)
    np.testing.assert_allclose(out.numpy(), _softmax(np.where(keep, s, s - 1e9)) @ v, rtol=1e-12, atol=1e-12)


def test_default_scale_is_one_over_sqrt_of_the_key_size():
    q, k, v = _inputs()
    np.testing.assert_allclose(ag.scaled_dot_product_attention(q, k, v).numpy(),
                               _softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(5)) @ v, rtol=1e-12)


def test_fully_masked_row_attends_evenly_in_float32_as_tf_keras():
    q, k, v = _inputs(dtype=np.float32)
    mask = np.ones((4, 6), bool)
    mask[1] = False
    out = ag.scaled_dot_product_attention(q, k, v, mask=mask).numpy()
    np.testing.assert_allclose(out[..., 1, :], v.mean(axis=-2), rtol=1e-5, atol=1e-6)


def test_numeric_masks_add_one_minus_mask_times_minus_1e9():
    q, k, v = _inputs()
    soft = np.random.default_rng(2).random((4, 6))
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(5)
    np.testing.assert_allclose(ag.scaled_dot_product_attention(q, k, v, mask=soft).numpy(),
                               _softmax(s + (1 - soft) * -1e9) @ v, rtol=1e-10)


def test_float32_in_float32_out_and_float16_masks_with_its_lowest_value():
    q, k, v = _inputs(dtype=np.float32)
    assert ag.scaled_dot_product_attention(q, k, v).dtype == np.float32
    assert ag.attention_mask_bias(np.array([True, False]), np.float16).tolist() == [0.0, -65504.0]


def test_backward_keeps_only_the_probabilities_and_frees_them():
    q, k, v = (ag.tensor(a, requires_grad=True) for a in _inputs())
    out = ag.scaled_dot_product_attention(q, k, v, causal=True)
    saved = out._ctx[2]["saved"]
    assert sorted(saved) == ["PT", "k", "qs", "v"] and saved["PT"].shape == (2, 3, 6, 4)      # P key-major
    assert saved["k"] is k.data and saved["v"] is v.data                         # no copies of contiguous inputs
    out.sum().backward()
    assert out._ctx is ag.scaled_dot_product_attention.__globals__["_sdpa_prim"].freed
    with ag.no_grad():
        assert ag.scaled_dot_product_attention(q, k, v)._ctx is None


@pytest.mark.parametrize("with_mask", [False, True])
def test_saved_and_create_graph_backward_agree(with_mask):
    arrays = _inputs()
    mask = np.tri(4, 6, dtype=bool) if with_mask else None
    g = np.random.default_rng(3).standard_normal((2, 3, 4, 3))
    results = []
    for create in (False, True):
        q, k, v = (ag.tensor(a, requires_grad=True) for a in arrays)
        s = ag.tensor(0.6, requires_grad=True)
        out = ag.scaled_dot_product_attention(q, k, v, mask=mask, scale=s)
        results.append([t.numpy() for t in ag.gradients(out, [q, k, v, s], grad_outputs=g, create_graph=create)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_hessian_vector_product_matches_the_composed_ops():
    q, k, v = _inputs((2, 3, 2), tk=4, dv=2)

    def loss(fused):
        def f(x):
            if fused:
                out = ag.scaled_dot_product_attention(x, k, v, causal=True)
            else:
                out = ag.scaled_dot_product_attention(x, k, v, causal=True, return_weights=True)[0]
            return (out * out).sum()
        return f

    u = np.random.default_rng(4).standard_normal(q.shape)
    np.testing.assert_allclose(ag.hvp(loss(True), q, u).numpy(), ag.hvp(loss(False), q, u).numpy(), rtol=1e-10)


def test_dropout_drops_probabilities_and_scales_the_rest():
    q, k, v = _inputs()
    out = ag.scaled_dot_product_attention(q, k, v, dropout_rate=0.5, rng=np.random.default_rng(7))
    draw = np.random.default_rng(7).random((2, 3, 4, 6))
    keep = (draw >= 0.5) * 2.0
    p = _softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(5))
    np.testing.assert_allclose(out.numpy(), (p * keep) @ v, rtol=1e-12)


def test_return_weights_gives_the_probabilities_with_gradients():
    q, k, v = (ag.tensor(a, requires_grad=True) for a in _inputs())
    out, p = ag.scaled_dot_product_attention(q, k, v, causal=True, return_weights=True)
    np.testing.assert_allclose(out.numpy(), ag.scaled_dot_product_attention(q, k, v, causal=True).numpy(), rtol=1e-12)
    np.testing.assert_allclose(p.numpy().sum(-1), 1.0)
    assert np.all(np.triu(p.numpy(), 1)[..., :3, :3] == 0)
    (gq,) = ag.gradients((p * p).sum(), [q])
    assert np.abs(gq.numpy()).sum() > 0


@pytest.mark.parametrize("call, match", [
    (lambda q, k, v: ag.scaled_dot_product_attention(q[0, 0, 0], k, v), "`query` must have at least 2 axes"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k[..., :2], v), "feature size"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k, v[..., :4, :]), "same length"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k[:1], v[:1]), "leading"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k.astype(np.float32), v), "dtype"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q.astype(int), k, v), "floating"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k, v, mask=np.ones((3, 6), bool)), "`mask`"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k, v, mask=np.ones((5, 2, 3, 4, 6), bool)), "`mask`"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k, v, scale="2"), "`scale`"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k, v, scale=ag.tensor([1.0, 2.0])), "0-d"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k, v, dropout_rate=1.0), "dropout_rate"),
    (lambda q, k, v: ag.scaled_dot_product_attention(q, k, v, dropout_rate=0.1), "rng"),
])
def test_errors_name_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(*_inputs())
