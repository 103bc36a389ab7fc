"""The primitives still without a forward-mode (jvp) or a batching rule: the rule contract's to-do list.

Every primitive provides forward, vjp, jvp and a batching rule (autograd/primitive.py). A primitive
listed here lacks one of the two newer rules; ``ag.jvp`` / ``ag.vmap`` raise a NotImplementedError naming
it. tests/autograd/test_rule_contract.py fails when a primitive outside these lists lacks a rule (give it
its rules, or, for now, add its name here) and when a listed one has gained its rule (remove the name),
so the lists only shrink.
"""

PENDING_JVP = frozenset({
    # reductions and normalisations
    "prod", "logsumexp", "softmax", "log_softmax", "norm",
    # fused losses
    "softmax_cross_entropy", "sparse_softmax_cross_entropy", "sigmoid_cross_entropy",
    # convolution and pooling, with their backward primitives
    "conv2d", "conv2d_bias_relu", "conv2d_input_grad", "conv2d_kernel_grad",
    "max_pool", "max_pool_grad", "max_pool_select", "avg_pool", "avg_pool_grad",
    "conv3d", "conv3d_input_grad", "conv3d_kernel_grad", "max_pool3d", "max_pool3d_grad", "max_pool3d_select",
    "avg_pool3d", "avg_pool3d_grad",
    "embedding", "embedding_grad",
    # fused recurrent layers
    "simple_rnn_sequence", "lstm_sequence", "gru_sequence",
    # fused attention and layer normalization
    "scaled_dot_product_attention", "layer_norm",
})

PENDING_BATCH = PENDING_JVP | frozenset({
    # shape and indexing (their jvps are linear and done)
    "getitem", "index_add", "take", "segment_sum", "concatenate", "pad", "repeat", "tile", "flip",
    "cumsum", "einsum",
})
