"""ag.ctc_loss against a brute-force sum over every alignment, its gradient (first order gradchecked in the
hypothesis table; here: the infeasible case, long sequences, float32), its rules (second order raises by name,
vmap over labels), bad input; the decoders against brute force and their errors."""
import itertools

import numpy as np
import pytest

import autograd as ag


def _collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return tuple(out)


def brute_force(logits, blank):
    """{labelling: probability} over every path of the frames of ``logits`` (time, classes)."""
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    probs = {}
    for path in itertools.product(range(logits.shape[1]), repeat=logits.shape[0]):
        key = _collapse(path, blank)
        probs[key] = probs.get(key, 0.0) + np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return probs


def test_the_loss_is_minus_the_log_of_the_summed_alignments():
    rng = np.random.default_rng(0)
    for blank in (-1, 0, 2):
        logits = rng.normal(size=(4, 5, 4))
        labels = np.array([[1, 1, 0, 0], [3, 1, 3, 0], [0, 0, 0, 0], [1, 3, 1, 3]])
        labels[labels == blank % 4] = (blank % 4 + 1) % 4
        label_lengths = np.array([2, 3, 0, 4])
        logit_lengths = np.array([5, 4, 3, 5])
        got = ag.ctc_loss(logits, labels, label_lengths, logit_lengths, blank=blank).numpy()
        for b in range(4):
            table = brute_force(logits[b, :logit_lengths[b]], blank % 4)
            want = table.get(tuple(labels[b, :label_lengths[b]]), 0.0)
            np.testing.assert_allclose(got[b], -np.log(want) if want else np.inf, rtol=1e-10)


def test_an_impossible_labelling_costs_inf_and_its_gradient_is_the_softmax():
    logits = ag.tensor(np.random.default_rng(1).normal(size=(2, 3, 3)), requires_grad=True)
    # item 0: (0, 0, 0) needs 5 frames (blanks between repeats), it has 3
    loss = ag.ctc_loss(logits, np.array([[0, 0, 0], [1, 0, 0]]), np.array([3, 1]), np.array([3, 3]))
    assert np.isinf(loss.numpy()[0]) and np.isfinite(loss.numpy()[1])
    ag.sum(loss * np.array([1.0, 0.0])).backward()
    soft = np.exp(logits.numpy()[0]) / np.exp(logits.numpy()[0]).sum(-1, keepdims=True)
    np.testing.assert_allclose(logits.grad.numpy()[0], soft, rtol=1e-12)
    np.testing.assert_array_equal(logits.grad.numpy()[1], 0.0)


def test_long_sequences_stay_finite_and_float32_stays_float32():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(2, 400, 6)) * 3.0             # p(labels) ~ e^-1000: zero in any float
    labels = rng.integers(0, 5, (2, 50))
    args = (labels, np.array([50, 30]), np.array([400, 250]))
    loss64 = ag.ctc_loss(logits, *args)
    assert np.all(np.isfinite(loss64.numpy())) and np.all(loss64.numpy() > 300)
    x32 = ag.tensor(logits.astype(np.float32), requires_grad=True)
    loss32 = ag.ctc_loss(x32, *args)
    assert loss32.dtype == np.float32
    np.testing.assert_allclose(loss32.numpy(), loss64.numpy(), rtol=1e-6)
    ag.sum(loss32).backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_array_equal(x32.grad.numpy()[1, 250:], 0.0)       # frames past the length
    # each frame's gradient sums to 0 over classes (softmax minus a posterior that sums to 1)
    np.testing.assert_allclose(x32.grad.numpy()[0].sum(-1), 0.0, atol=1e-5)


def test_hessian_vector_products_match_finite_differences_and_third_order_is_named():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 40, 5)) * 2.0
    labels, lengths = rng.integers(0, 4, (2, 8)), (np.array([8, 5]), np.array([40, 25]))

    def grad(z):
        return ag.grad(lambda w: ag.sum(ag.ctc_loss(w, labels, *lengths)))(z)
    v = rng.normal(size=x.shape)
    numeric = (grad(x + 1e-5 * v).numpy() - grad(x - 1e-5 * v).numpy()) / 2e-5
    forward = ag.jvp(grad, (x,), (v,))[1].numpy()                       # H v by forward over reverse
    reverse = ag.grad(lambda w: ag.sum(grad(w) * v))(x).numpy()         # H^T v by reverse over reverse
    np.testing.assert_allclose(forward, numeric, atol=1e-7)
    np.testing.assert_allclose(reverse, forward, atol=1e-12)
    np.testing.assert_array_equal(forward[1, 25:], 0.0)
    small = rng.normal(size=(1, 4, 3))
    hessian = ag.hessian(lambda w: ag.sum(ag.ctc_loss(w, np.array([[0, 1]]), np.array([2]), np.array([4]))))(small)
    h = hessian.numpy().reshape(12, 12)
    np.testing.assert_allclose(h, h.T, atol=1e-14)
    z = ag.tensor(small, requires_grad=True)
    (g,) = ag.gradients(ag.sum(ag.ctc_loss(z, np.array([[0]]), np.array([1]), np.array([4]))), [z], create_graph=True)
    (hv,) = ag.gradients(ag.sum(g * g), [z], create_graph=True)
    with pytest.raises(NotImplementedError, match="ctc_loss_hvp"):
        ag.gradients(ag.sum(hv), [z])


def test_vmap_over_labels_and_logits_gives_per_example_losses_and_gradients():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 2, 6, 4))                       # 4 examples of a batch of 2
    labels = rng.integers(0, 3, (4, 2, 3))
    lengths = np.array([3, 2])

    def f(x, lab):
        return ag.sum(ag.ctc_loss(x, lab, lengths, np.array([6, 5])))
    got = ag.vmap(f)(logits, labels)
    want = [f(ag.tensor(logits[i]), labels[i]).numpy() for i in range(4)]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    per_example = ag.vmap(ag.grad(f), in_axes=(0, 0))(logits, labels)
    for i in range(4):
        np.testing.assert_allclose(per_example.numpy()[i], ag.grad(f)(logits[i], labels[i]).numpy(), rtol=1e-12)


@pytest.mark.parametrize("args, match", [
    ((np.zeros((2, 3)), [[0]], [1], [3]), "batch, time, classes"),
    ((np.zeros((1, 3, 1)), [[0]], [1], [3]), "at least 2 classes"),
    ((np.zeros((1, 3, 3)), [[2]], [1], [3]), "other than the blank 2"),
    ((np.zeros((1, 3, 3)), [[5]], [1], [3]), r"labels\[0, 0\] is 5"),
    ((np.zeros((1, 3, 3)), [[0, 1, 0, 1]], [4], [3]), "not enough frames"),
    ((np.zeros((1, 3, 3)), [[0]], [1], [4]), "logit_lengths"),
    ((np.zeros((1, 3, 3)), [[0]], [2], [3]), "label_lengths"),
    ((np.zeros((2, 3, 3)), [[0]], [1], [3]), "batch sizes differ"),
    ((np.zeros((1, 3, 3)), [[0.5]], [1], [3]), "must hold integers"),
])
def test_bad_input_is_named(args, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ag.ctc_loss(*[np.asarray(a) for a in args])
    with pytest.raises(TypeError, match="blank"):
        ag.ctc_loss(np.zeros((1, 3, 3)), np.array([[0]]), np.array([1]), np.array([3]), blank=1.0)


# -- decoders ------------------------------------------------------------------------------------------


def test_an_unpruned_beam_search_finds_the_most_probable_labellings():
    rng = np.random.default_rng(4)
    for blank in (-1, 0):
        x = rng.normal(size=(1, 5, 3)) * 1.5
        table = brute_force(x[0], blank % 3)
        best = sorted(table.items(), key=lambda kv: -kv[1])[:4]
        decoded, log_probs = ag.ctc_beam_search_decode(x, np.array([5]), beam_width=200, top_paths=4, blank=blank,
                                                       merge_repeated=False)
        for i, (labelling, p) in enumerate(best):
            row = decoded[i].numpy()[0]
            assert tuple(row[row >= 0]) == labelling
            np.testing.assert_allclose(log_probs.numpy()[0, i], np.log(p), rtol=1e-10)


def test_greedy_takes_the_best_class_per_frame_merging_repeats():
    x = np.log(np.array([[[0.6, 0.1, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1], [0.1, 0.7, 0.2]]]))
    decoded, score = ag.ctc_greedy_decode(x, np.array([5]))
    np.testing.assert_array_equal(decoded.numpy(), [[0, 0, 1, -1, -1]])
    np.testing.assert_allclose(score.numpy(), [[-np.log(0.6 * 0.6 * 0.8 * 0.5 * 0.7)]])
    decoded, _ = ag.ctc_greedy_decode(x, np.array([2]), merge_repeated=False)
    np.testing.assert_array_equal(decoded.numpy(), [[0, 0, -1, -1, -1]])
    decoded, _ = ag.ctc_greedy_decode(x, np.array([5]), blank=0)
    np.testing.assert_array_equal(decoded.numpy(), [[2, 1, -1, -1, -1]])


def test_decoder_errors_are_named():
    x = np.zeros((1, 3, 3))
    with pytest.raises(ValueError, match="top_paths"):
        ag.ctc_beam_search_decode(x, np.array([3]), beam_width=2, top_paths=3)
    with pytest.raises(ValueError, match="beam_width"):
        ag.ctc_beam_search_decode(x, np.array([3]), beam_width=0)
    with pytest.raises(ValueError, match="fewer than top_paths"):
        ag.ctc_beam_search_decode(np.zeros((1, 1, 2)), np.array([1]), beam_width=5, top_paths=3)
    with pytest.raises(ValueError, match="lengths"):
        ag.ctc_greedy_decode(x, np.array([4]))
    with pytest.raises(ValueError, match="blank"):
        ag.ctc_greedy_decode(x, np.array([3]), blank=3)
