"""The parts of ``kerasfront.backend`` (K) grouped by concern; ``kerasfront/backend.py`` re-exports them.

- ``nn``: convolutions, pooling, bias, batch normalization, padding, locally connected products.
- ``tensor_ops``: elementwise and shape functions (sin, cos, cumprod, arange, repeat, reverse, in_top_k).
- ``control_flow``: rnn, map_fn, foldl/foldr, gradients, stop_gradient, function, placeholder, name_scope.
- ``variables``: in-place updates and random variables.
- ``sparse``: the SparseTensor that ctc_label_dense_to_sparse returns; is_sparse, to_dense.
- ``ctc``: ctc_batch_cost, ctc_decode, ctc_label_dense_to_sparse.
- ``experimental``: ``K.experimental`` (the TF random generator switches).
"""
