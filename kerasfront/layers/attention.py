"""Attention layers: MultiHeadAttention, Attention (Luong) and AdditiveAttention (Bahdanau), as tf.keras 2.

MultiHeadAttention projects with four EinsumDense sublayers named ``query``, ``key``, ``value`` and
``attention_output`` (kernels (dim, heads, key_dim), ..., (heads, value_dim, dim)), as tf.keras does, so
weights and ``.h5`` files move both ways. Its dot-product attention and Attention's ``score_mode='dot'``
run the fused ``ag.scaled_dot_product_attention``; the score modes that are not a dot product build their
scores from ops and share the masked softmax.

Masks combine as in tf.keras: the Keras masks of query, value and key (from ``Embedding(mask_zero=True)``
or ``Masking``), the causal mask and ``attention_mask`` are ANDed, and masked scores get -1e9 added.

Example:
    >>> x = kerasfront.Input(shape=(8, 16))
    >>> MultiHeadAttention(num_heads=2, key_dim=4)(x, x).shape
    (None, 8, 16)
    >>> Attention()([x, x]).shape
    (None, 8, 16)
"""
import collections.abc
import math
import string
import warnings

import numpy as np

import autograd as ag

from .. import constraints, initializers, random_state, regularizers
from ..engine.base_layer import Layer, get_mask, in_shape_inference, name_scope
from .einsum_dense import EinsumDense

__all__ = ["MultiHeadAttention", "Attention", "AdditiveAttention"]

_LETTERS = string.ascii_lowercase


def _raw(x):
    return x.data if isinstance(x, ag.Tensor) else np.asarray(x)


def _bool_mask(m):
    """A Keras mask (or attention_mask) as a boolean Tensor, through ops: a traced graph sees where it came from."""
    m = m if isinstance(m, ag.Tensor) else ag.Tensor(np.asarray(m))
    return m if m.dtype == np.bool_ else ag.astype(m, np.bool_)


def _mask_bias(keep, dtype):
    """``attention_mask_bias`` from ops: 0 where ``keep`` is True, -1e9 (the dtype's large negative) elsewhere."""
    dtype = np.dtype(dtype)
    from autograd.ops.attention import large_negative
    return ag.where(keep, dtype.type(0), dtype.type(large_negative(dtype)))


def _training(training):
    if training is None:
        from .. import backend
        return backend.learning_phase() == 1
    return bool(_raw(training)) if isinstance(training, ag.Tensor) else bool(training)


def _rate(value, arg, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or \
            not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{who}: `{arg}` must be a float in [0, 1), received {arg}={value!r}")
    return float(value)


def _positive_int(value, arg, who, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{who}: `{arg}` must be a positive integer, received {arg}={value!r}")
    return int(value)


def _flag(value, arg, who):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: `{arg}` must be True or False, received {arg}={value!r}")
    return bool(value)


def _shape_of(x):
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def _proj_equation(free_dims, bound_dims, output_dims):
    """tf.keras's einsum equation for a projection: free axes kept, bound axes contracted, output axes new;
    returns (equation, bias axes, output rank)."""
    ins = _LETTERS[:free_dims]
    bound = _LETTERS[free_dims:free_dims + bound_dims]
    new = _LETTERS[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{ins}{bound},{bound}{new}->{ins}{new}", new, free_dims + output_dims


def _dropout_rng(layer):
    return layer._rng if getattr(layer, "_rng", None) is not None else random_state.generator()


# -- MultiHeadAttention -----------------------------------------------------------------------------------


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017), with tf.keras 2's arguments, weights and masks.

    Args:
        num_heads: number of heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default ``key_dim``).
        dropout: dropout rate on the attention probabilities, in training only.
        use_bias: whether the four projections have biases.
        output_shape: the output's last axes (int or tuple); default the query's last dimension.
        attention_axes: the axes attention runs over (default all but batch, heads and features).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: for the projections.
        softmax_robust_masking: set masked scores to -1e9 rather than adding -1e9 to them.

    Call arguments: ``query`` (B, T, dim), ``value`` (B, S, dim), ``key`` (default ``value``),
    ``attention_mask`` (B, T, S) booleans (True attends), ``return_attention_scores``, ``training``,
    ``use_causal_mask``.

    Example:
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=2)
        >>> out, scores = layer(kerasfront.Input(shape=[8, 16]), kerasfront.Input(shape=[4, 16]),
        ...                     return_attention_scores=True)
        >>> out.shape, scores.shape
        ((None, 8, 16), (None, 2, 8, 4))
        >>> [w.name for w in layer.weights][:2]
        ['multi_head_attention/query/kernel:0', 'multi_head_attention/query/bias:0']
    """

    #: the projections in ``.keras`` / ``.weights.h5`` files: attribute -> Keras 3's name (tf.keras 2 uses the
    #: attribute's; files get both)
    _saved_sublayers = {"_query_dense": "query_dense", "_key_dense": "key_dense", "_value_dense": "value_dense",
                        "_output_dense": "output_dense"}

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, softmax_robust_masking=False, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = f"MultiHeadAttention layer '{self.name}'"
        self.supports_masking = True
        self._num_heads = _positive_int(num_heads, "num_heads", who)
        self._key_dim = _positive_int(key_dim, "key_dim", who)
        self._value_dim = _positive_int(value_dim, "value_dim", who, allow_none=True) or self._key_dim
        self._dropout = _rate(dropout, "dropout", who)
        self._use_bias = _flag(use_bias, "use_bias", who)
        if output_shape is not None:
            dims = [output_shape] if not isinstance(output_shape, collections.abc.Sized) else list(output_shape)
            if not dims or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                                   for d in dims):
                raise ValueError(f"{who}: `output_shape` must be a positive int or a non-empty tuple of them, "
                                 f"received output_shape={output_shape!r}")
            output_shape = int(dims[0]) if not isinstance(output_shape, collections.abc.Sized) else \
                [int(d) for d in dims]
        self._output_shape = output_shape
        if attention_axes is not None:
            axes = (attention_axes,) if not isinstance(attention_axes, collections.abc.Sized) else \
                tuple(attention_axes)
            if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
                raise ValueError(f"{who}: `attention_axes` must be an int or a non-empty tuple of ints, received "
                                 f"attention_axes={attention_axes!r}")
            attention_axes = tuple(int(a) for a in axes)
        self._attention_axes = attention_axes
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._softmax_robust_masking = _flag(softmax_robust_masking, "softmax_robust_masking", who)
        self._built_from_signature = False
        self._query_shape = self._key_shape = self._value_shape = None
        self._rng = None

    # -- building -------------------------------------------------------------------------------------
    def _sublayer_kwargs(self):
        # NOTE: each projection gets its own copy of the initializers, as tf.keras makes them
        return dict(kernel_initializer=initializers.get(initializers.serialize(self._kernel_initializer)),
                    bias_initializer=initializers.get(initializers.serialize(self._bias_initializer)),
                    kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype_policy)

    def _projection(self, name, in_rank, bound, out_dims):
        equation, bias_axes, out_rank = _proj_equation(in_rank - 1, bound, len(out_dims))
        return EinsumDense(equation, output_shape=[None] * (out_rank - 1 - len(out_dims)) + list(out_dims),
                           bias_axes=bias_axes if self._use_bias else None, name=name, **self._sublayer_kwargs())

    def _build_from_signature(self, query, value, key=None):
        """Create the four projections from the shapes (or tensors) of query, value and key."""
        q_shape = tuple(query) if isinstance(query, (list, tuple)) else _shape_of(query)
        v_shape = tuple(value) if isinstance(value, (list, tuple)) else _shape_of(value)
        if key is None:
            k_shape = v_shape
        else:
            k_shape = tuple(key) if isinstance(key, (list, tuple)) else _shape_of(key)
        who = f"MultiHeadAttention layer '{self.name}'"
        for arg, s in (("query", q_shape), ("value", v_shape), ("key", k_shape)):
            if len(s) < 3:
                raise ValueError(f"{who}: `{arg}` must have a batch, at least one attention and a feature axis, "
                                 f"received shape {s}")
            if s[-1] is None:
                raise ValueError(f"{who}: the last dimension of `{arg}` must be known, received shape {s}")
        if len(k_shape) != len(v_shape) or tuple(k_shape[1:-1]) != tuple(v_shape[1:-1]) and None not in \
                tuple(k_shape[1:-1]) + tuple(v_shape[1:-1]):
            raise ValueError(f"{who}: all dimensions of `value` and `key`, except the last one, must be equal. "
                             f"Received {v_shape} and {k_shape}")
        rank = len(q_shape) + 1
        if self._attention_axes is not None:
            axes = tuple(a % rank if a < 0 else a for a in self._attention_axes)
            if any(not 0 < a < rank - 2 for a in axes) or len(set(axes)) != len(axes):
                raise ValueError(f"{who}: `attention_axes` {self._attention_axes} must name distinct axes of the "
                                 f"query other than its batch (0) and feature (last) axes; the query has shape "
                                 f"{q_shape}")
        self._query_shape, self._value_shape, self._key_shape = q_shape, v_shape, k_shape
        self._built_from_signature = True
        with name_scope(self.name):
            self._query_dense = self._projection("query", len(q_shape), 1, [self._num_heads, self._key_dim])
            self._key_dense = self._projection("key", len(k_shape), 1, [self._num_heads, self._key_dim])
            self._value_dense = self._projection("value", len(v_shape), 1, [self._num_heads, self._value_dim])
            if self._output_shape:
                out_dims = list(self._output_shape) if isinstance(self._output_shape, list) else [self._output_shape]
            else:
                out_dims = [q_shape[-1]]
            self._output_dense = self._projection("attention_output", len(q_shape), 2, out_dims)
            for layer, shape in ((self._query_dense, q_shape), (self._key_dense, k_shape),
                                 (self._value_dense, v_shape)):
                with name_scope(layer.name):
                    layer._maybe_build(shape)
            with name_scope(self._output_dense.name):
                self._output_dense._maybe_build(tuple(q_shape[:-1]) + (self._num_heads, self._value_dim))
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(sorted(a % rank if a < 0 else a for a in self._attention_axes))

    def build(self, input_shape):
        self.built = True

    def __call__(self, *args, **kwargs):
        if not self._built_from_signature:
            names = ("query", "value", "key")
            given = dict(zip(names, args))
            for n in names:
                if n in kwargs:
                    given[n] = kwargs[n]
            if "query" not in given and "inputs" in kwargs:
                given["query"] = kwargs["inputs"]
            if "query" not in given or given.get("value") is None:
                raise TypeError(f"MultiHeadAttention layer '{self.name}' must be called as layer(query, value, "
                                f"key=None, ...): `query` and `value` are required")
            self._build_from_signature(given["query"], given["value"], given.get("key"))
        return super().__call__(*args, **kwargs)

    # -- masks --------------------------------------------------------------------------------------------
    def _compute_attention_mask(self, query, value, key=None, attention_mask=None, use_causal_mask=False):
        """The boolean (B, T, S) mask from the Keras masks of query, value and key, the causal mask and
        ``attention_mask``, ANDed as tf.keras does (None when there is none)."""
        auto = None
        q_mask, v_mask = get_mask(query), get_mask(value)
        k_mask = get_mask(key) if key is not None else None
        # NOTE: combined with autograd ops (no gradient flows through booleans), so that a traced graph sees
        # where the masks came from; the booleans are those numpy's & would give
        if q_mask is not None:
            auto = ag.expand_dims(_bool_mask(q_mask), 2)
        for m in (v_mask, k_mask):
            if m is not None:
                m = ag.expand_dims(_bool_mask(m), 1)
                auto = m if auto is None else ag.logical_and(auto, m)
        if use_causal_mask:
            causal = ag.causal_mask(query.shape[1], value.shape[1])[None]
            auto = ag.Tensor(causal) if auto is None else ag.logical_and(auto, causal)
        if auto is not None:
            return auto if attention_mask is None else ag.logical_and(_bool_mask(attention_mask), auto)
        if attention_mask is None:
            return None
        return attention_mask if isinstance(attention_mask, ag.Tensor) else ag.Tensor(np.asarray(attention_mask))

    # -- the attention ------------------------------------------------------------------------------------
    def _compute_attention(self, query, key, value, attention_mask=None, training=None, return_scores=False):
        """Attention over the projected (B, ..., heads, key_dim) tensors; returns (output (B, ..., heads,
        value_dim), scores (batch axes with heads, query attention axes, key attention axes) or None)."""
        rank = query.ndim
        attn = self._attention_axes
        batch = tuple(a for a in range(rank - 1) if a not in attn)
        perm = batch + attn + (rank - 1,)
        identity = perm == tuple(range(rank))

        def heads_first(t):
            t = t if identity else ag.transpose(t, perm)
            if len(attn) > 1:
                t = ag.reshape(t, t.shape[:len(batch)] + (-1, t.shape[-1]))
            return t

        q, k, v = heads_first(query), heads_first(key), heads_first(value)
        q_attn = tuple(query.shape[a] for a in attn)
        k_attn = tuple(key.shape[a] for a in attn)
        mask = None
        if attention_mask is not None:
            mask = attention_mask if isinstance(attention_mask, ag.Tensor) else ag.Tensor(np.asarray(attention_mask))
            n_scores = len(batch) + 2 * len(attn)
            while mask.ndim < n_scores:
                mask = ag.expand_dims(mask, -2 * len(attn) - 1)
            if len(attn) > 1:
                lead = mask.shape[:mask.ndim - 2 * len(attn)]
                mask = ag.reshape(ag.broadcast_to(mask, lead + q_attn + k_attn), lead + (q.shape[-2], k.shape[-2]))
        rate = self._dropout if (self._dropout > 0 and _training(training) and not in_shape_inference()) else 0.0
        rng = _dropout_rng(self) if rate else None
        scale = 1.0 / math.sqrt(float(self._key_dim))
        scores = None
        if self._softmax_robust_masking and mask is not None:
            qs = q * np.asarray(scale, q.dtype)
            logits = ag.where(_bool_mask(mask),
                              ag.matmul(qs, ag.swapaxes(k, -1, -2)), np.asarray(-1e9, q.dtype))
            scores = ag.softmax(logits, axis=-1)
            out = ag.matmul(ag.dropout(scores, rate, rng) if rate else scores, v)
        elif return_scores:
            out, scores = ag.scaled_dot_product_attention(q, k, v, mask=mask, scale=scale, dropout_rate=rate, rng=rng,
                                                          return_weights=True)
        else:
            out = ag.scaled_dot_product_attention(q, k, v, mask=mask, scale=scale, dropout_rate=rate, rng=rng)
        if len(attn) > 1:
            out = ag.reshape(out, out.shape[:len(batch)] + q_attn + (out.shape[-1],))
        if not identity:
            out = ag.transpose(out, tuple(np.argsort(perm)))
        if scores is not None and len(attn) > 1:
            scores = ag.reshape(scores, scores.shape[:len(batch)] + q_attn + k_attn)
        return out, scores

    def call(self, query, value, key=None, attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if key is None:
            key = value
        mask = self._compute_attention_mask(query, value, key=key, attention_mask=attention_mask,
                                            use_causal_mask=use_causal_mask)
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        out, scores = self._compute_attention(q, k, v, mask, training, return_attention_scores)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if self._output_shape:
            extra = self._output_shape if isinstance(self._output_shape, list) else [self._output_shape]
            return tuple(query_shape[:-1]) + tuple(extra)
        return tuple(query_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": self._output_shape,
            "attention_axes": list(self._attention_axes) if self._attention_axes is not None else None,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "query_shape": list(self._query_shape) if self._query_shape is not None else None,
            "key_shape": list(self._key_shape) if self._key_shape is not None else None,
            "value_shape": list(self._value_shape) if self._value_shape is not None else None,
            "softmax_robust_masking": self._softmax_robust_masking,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        shapes = [config.pop(k, None) for k in ("query_shape", "key_shape", "value_shape")]
        layer = super().from_config(config)
        # NOTE: without the shapes (a Keras 3 config) the weights are made on the first call, as Keras 3 does
        if None not in shapes:
            query_shape, key_shape, value_shape = shapes
            layer._build_from_signature(query_shape, value_shape, key_shape)
        return layer


# -- Attention and AdditiveAttention -----------------------------------------------------------------------


class _BaseDenseAttention(Layer):
    """What Attention and AdditiveAttention share (tf.keras's BaseDenseAttention): the list inputs
    [query, value(, key)], masks [query_mask, value_mask], the masked softmax, dropout, the causal mask."""

    def __init__(self, dropout=0.0, **kwargs):
        causal = kwargs.pop("causal", False)
        super().__init__(**kwargs)
        who = f"{type(self).__name__} layer '{self.name}'"
        self.causal = _flag(causal, "causal", who)
        if self.causal:
            warnings.warn("`causal` argument is deprecated. Please use `use_causal_mask` in call() method to specify "
                          "causal masking.", stacklevel=3)
        self.dropout = _rate(dropout, "dropout", who)
        self.supports_masking = True
        self._rng = None

    def _validate_call_args(self, inputs, mask):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or [query, "
                             f"value, key]. Received: {type(inputs).__name__}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, "
                             f"value, key]. Received length: {len(inputs)}.")
        if mask is not None and not (isinstance(mask, (list, tuple)) and all(m is None for m in mask)):
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. Received: "
                                 f"{type(mask).__name__}.")
            if len(mask) < 2 or len(mask) > len(inputs):
                raise ValueError(f"{name} layer mask must be a list of length 2, namely [query_mask, value_mask]. "
                                 f"Received length: {len(mask)}.")

    def _calculate_scores(self, query, key):
        raise NotImplementedError

    def _fused_attention(self, query, key, value, mask, rate, rng, return_scores):
        """The whole attention when the scores are a scaled dot product, else None."""
        return None

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        self._validate_call_args(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        keep = None
        if v_mask is not None:
            keep = ag.expand_dims(_bool_mask(v_mask), -2)                        # (B, 1, Tv)
        if self.causal or use_causal_mask:
            causal = ag.causal_mask(q.shape[-2], k.shape[-2])
            keep = ag.Tensor(causal) if keep is None else ag.logical_and(keep, causal)
        rate = self.dropout if (self.dropout > 0 and _training(training) and not in_shape_inference()) else 0.0
        rng = _dropout_rng(self) if rate else None
        # NOTE: as tf.keras's BaseDenseAttention, the scores returned are the weights after dropout (those that
        # multiplied the values); the fused op returns them before, so it is used only without that combination
        fused = None if (rate and return_attention_scores) else \
            self._fused_attention(q, k, v, keep, rate, rng, return_attention_scores)
        if fused is not None:
            result, weights = fused
        else:
            scores = self._calculate_scores(q, k)
            if keep is not None:
                scores = scores + _mask_bias(keep, scores.dtype)
            weights = ag.softmax(scores, axis=-1)
            if rate:
                weights = ag.dropout(weights, rate, rng)
            result = ag.matmul(weights, v)
        if q_mask is not None:
            result = result * ag.astype(ag.expand_dims(_bool_mask(q_mask), -1), result.dtype)
        if return_attention_scores:
            return result, weights
        return result

    def compute_mask(self, inputs, mask=None):
        self._validate_call_args(inputs, mask)
        if mask:
            return mask[0]
        return None

    def get_config(self):
        config = super().get_config()
        config["dropout"] = self.dropout
        return config


class Attention(_BaseDenseAttention):
    """Dot-product (Luong-style) attention over ``[query, value]`` or ``[query, value, key]``.

    Args:
        use_scale: learn a scalar ``scale`` that multiplies the scores.
        score_mode: ``'dot'`` (query . key) or ``'concat'`` (sum of tanh(query + key), times a learned scalar).
        dropout: dropout rate on the attention probabilities, in training only.

    Call arguments: ``inputs`` [query (B, Tq, dim), value (B, Tv, dim)(, key (B, Tv, dim))], ``mask``
    [query_mask (B, Tq), value_mask (B, Tv)] (taken from the inputs' Keras masks when not given),
    ``training``, ``return_attention_scores``, ``use_causal_mask``.

    Example:
        >>> q, v = kerasfront.Input(shape=(4, 8)), kerasfront.Input(shape=(6, 8))
        >>> out, scores = Attention(use_scale=True)([q, v], return_attention_scores=True)
        >>> out.shape, scores.shape
        ((None, 4, 8), (None, 4, 6))
    """

    def __init__(self, use_scale=False, score_mode="dot", **kwargs):
        super().__init__(**kwargs)
        self.use_scale = _flag(use_scale, "use_scale", f"Attention layer '{self.name}'")
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Received: score_mode={score_mode!r}. Acceptable values are: [\"dot\", \"concat\"]")
        self.score_mode = score_mode

    def build(self, input_shape):
        self.scale = self.add_weight("scale", shape=(), initializer="ones", dtype=self.dtype,
                                     trainable=True) if self.use_scale else None
        self.concat_score_weight = self.add_weight("concat_score_weight", shape=(), initializer="ones",
                                                   dtype=self.dtype, trainable=True) \
            if self.score_mode == "concat" else None
        self.built = True

    def _fused_attention(self, query, key, value, mask, rate, rng, return_scores):
        if self.score_mode != "dot":
            return None
        scale = self.scale if self.scale is not None else 1.0
        out = ag.scaled_dot_product_attention(query, key, value, mask=mask, scale=scale, dropout_rate=rate, rng=rng,
                                              return_weights=return_scores)
        return out if return_scores else (out, None)

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ag.matmul(query, ag.swapaxes(key, -1, -2))
            return scores if self.scale is None else scores * self.scale
        q = ag.expand_dims(query, -2)           # (B, Tq, 1, dim)
        k = ag.expand_dims(key, -3)             # (B, 1, Tv, dim)
        total = q + k
        if self.scale is not None:
            total = self.scale * total
        return self.concat_score_weight * ag.sum(ag.tanh(total), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode})
        return config


class AdditiveAttention(_BaseDenseAttention):
    """Additive (Bahdanau-style) attention: scores sum(scale * tanh(query + key)) over the features.

    Args:
        use_scale: learn a ``scale`` vector of the feature size (glorot-uniform); otherwise the scale is 1.
        dropout: dropout rate on the attention probabilities, in training only.

    Call arguments as ``Attention``.

    Example:
        >>> q, v = kerasfront.Input(shape=(4, 8)), kerasfront.Input(shape=(6, 8))
        >>> AdditiveAttention()([q, v]).shape
        (None, 4, 8)
    """

    def __init__(self, use_scale=True, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = _flag(use_scale, "use_scale", f"AdditiveAttention layer '{self.name}'")

    def build(self, input_shape):
        dim = input_shape[1][-1] if isinstance(input_shape, (list, tuple)) and len(input_shape) > 1 and \
            isinstance(input_shape[1], (list, tuple)) else None
        if self.use_scale:
            if dim is None:
                raise ValueError(f"AdditiveAttention layer '{self.name}': the last dimension of `value` must be "
                                 f"known, received input shapes {input_shape}")
            self.scale = self.add_weight("scale", shape=(int(dim),), initializer="glorot_uniform", dtype=self.dtype,
                                         trainable=True)
        else:
            self.scale = None
        self.built = True

    def _calculate_scores(self, query, key):
        t = ag.tanh(ag.expand_dims(query, -2) + ag.expand_dims(key, -3))     # (B, Tq, Tv, dim)
        if self.scale is not None:
            t = t * self.scale
        return ag.sum(t, axis=-1)

    def get_config(self):
        config = super().get_config()
        config["use_scale"] = self.use_scale
        return config
