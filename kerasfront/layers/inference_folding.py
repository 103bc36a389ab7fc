"""Inference-time folding of ``BatchNormalization`` into the convolution before it, as TensorFlow's graph
optimizer does for prediction: ``Conv2D / DepthwiseConv2D -> BatchNormalization [-> ReLU / ReLU6 / swish]`` runs as
one convolution whose kernel and bias carry the normalization, the activation applied in place on its fresh
output.

A functional model uses the folded plan (through ``engine.functional.register_inference_rewriter``, the seam
that keeps the engine ignorant of layer kinds) only when nothing can tell the difference: no gradient is being
recorded, not training, and the intermediate tensors are read by nothing else (not another layer, not an output).
The folded kernels are cached and recomputed when a weight changes. The numbers are the unfolded layers' up to the
float32 rounding of the folded products.

A ``ZeroPadding2D`` whose only reader is such a convolution with ``padding="valid"`` (keras.applications' stride-2
blocks: MobileNetV2's ``block_*_pad``, EfficientNet's ``*dwconv_pad`` and ``stem_conv_pad``, ResNet50's
``conv1_pad``) joins the step: its amounts go to the convolution as explicit pads, so the depthwise forward pads
each image into its thread's buffer instead of a padded copy of the batch being made first. Zeros are zeros: the
numbers are exactly those with the padding layer run on its own.

Example:
    >>> with ag.no_grad():
    ...     y = model(x)          # a ResNet: its conv/batch-norm/relu triples run as single convolutions
"""
import numpy as np

import autograd as ag
from autograd.modes import STATE

from .. import activations
from ..engine import functional
from ..engine.base_layer import get_mask
from .conv import Conv2D, DepthwiseConv2D
from .core import Activation, ReLU
from .merge import Multiply
from .normalization import BatchNormalization
from .reshaping import ZeroPadding2D

#: whether a ZeroPadding2D feeding a folded "valid" convolution joins its step (tests switch it off to compare)
FOLD_PADDING = True


def _plain_conv(layer):
    if type(layer) is Conv2D:
        return layer.built and not layer._channels_first and layer.activation is activations.linear
    if type(layer) is DepthwiseConv2D:
        return layer.built and not layer._channels_first and layer.activation is activations.linear
    return False


def _plain_pad(layer):
    return type(layer) is ZeroPadding2D and layer.built and layer.data_format == "channels_last"


def _plain_bn(layer, rank=4):
    return type(layer) is BatchNormalization and layer.built and list(layer.axis) in ([rank - 1], [-1])


def _activation_kind(layer):
    """The in-place activation a layer amounts to: ("relu", None), ("relu", max_value), ("swish", None) or None."""
    if type(layer) is Activation:
        if layer.activation is activations.relu:
            return ("relu", None)
        if layer.activation is activations.swish:
            return ("swish", None)
        return None
    if type(layer) is ReLU and layer.negative_slope == 0.0 and layer.threshold == 0.0:
        return ("relu", layer.max_value)
    return None


def _apply_in_place(kind, d):
    """The activation on ``d``, overwriting it (``d`` is a fresh output nothing else reads: inference only)."""
    name, cap = kind
    if name == "relu":
        np.maximum(d, 0, out=d)
        if cap is not None:
            np.minimum(d, np.asarray(cap, d.dtype), out=d)
        return
    # swish: d / (1 + exp(-d)), with the exponent bounded as autograd's sigmoid bounds it
    t = np.maximum(d, np.asarray(-88.0 if d.dtype == np.float32 else -708.0, d.dtype))
    np.negative(t, out=t)
    np.exp(t, out=t)
    t += 1
    np.divide(d, t, out=d)


def _fused_activation(kind):
    """The name ``ag.conv2d`` / ``ag.depthwise_conv2d`` fuse for an activation kind, or None (then applied after)."""
    return {("relu", None): "relu", ("relu", 6.0): "relu6", ("swish", None): "swish"}.get(kind)


class FoldedConvBatchNorm:
    """A plan step standing for ``[zero padding ->] conv -> bn [-> relu]`` (see the module docstring)."""

    def __init__(self, conv, bn, act_layer=None, pad_layer=None):
        self.conv, self.bn, self.act_layer, self.pad_layer = conv, bn, act_layer, pad_layer
        self.act = _activation_kind(act_layer) if act_layer is not None else None
        self.name = conv.name
        self._key = None
        self._folded = None

    def _weights(self):
        conv, bn = self.conv, self.bn
        kernel = conv.depthwise_kernel if type(conv) is DepthwiseConv2D else conv.kernel
        variables = [kernel, conv.bias, bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance]
        key = tuple((id(v.data), v._version) if v is not None else None for v in variables)
        if key != self._key:
            k, b, gamma, beta, mm, mv = (None if v is None else v.data for v in variables)
            # NOTE: the scale is BatchNormalization's own inference formula, in its dtype
            scale = (mv + np.asarray(bn.epsilon, mv.dtype)) ** np.asarray(-0.5, mv.dtype)
            if gamma is not None:
                scale = scale * gamma
            shift = -(mm * scale) if b is None else (b - mm) * scale
            if beta is not None:
                shift = shift + beta
            if type(conv) is DepthwiseConv2D:
                kernel = k * scale.reshape(k.shape[2:])
            else:
                kernel = k * scale
            self._folded = (ag.Tensor(kernel.astype(k.dtype)), ag.Tensor(shift.astype(k.dtype)))
            self._key = key
        return self._folded

    def _unfoldable(self, x):
        # NOTE: the layers themselves run when a mask flows, a gradient is recorded, a tracer or the anomaly check
        # watches the ops (the folded path changes arrays in place, unseen by them), or a mixed policy computes in
        # float16 (the folded kernel is float32)
        return (get_mask(x) is not None or ag.is_grad_enabled() or STATE.observe
                or getattr(self.conv, "_mixed", False) or getattr(self.bn, "_mixed", False))

    def _eager_call(self, x, args, kwargs, check):
        if self._unfoldable(x):
            if self.pad_layer is not None:
                x = self.pad_layer._eager_call(x, (), {}, check)
            out = self.conv._eager_call(x, (), {}, check)
            out = self.bn._eager_call(out, (), {}, check)
            return self.act_layer._eager_call(out, (), {}, check) if self.act_layer is not None else out
        kernel, shift = self._weights()
        conv = self.conv
        if x.dtype != kernel.dtype:
            x = ag.astype(x, kernel.dtype)
        # the shift and the activation ride in the convolution's loops (a block or a piece of the batch at a time)
        fused = _fused_activation(self.act)
        # the padding layer's amounts as the convolution's own pads (its padding is "valid": nothing else to add)
        padding = conv.padding if self.pad_layer is None else tuple(map(tuple, self.pad_layer.padding))
        if type(conv) is DepthwiseConv2D:
            out = ag.depthwise_conv2d(x, kernel, conv.strides, padding, conv.dilation_rate, bias=shift,
                                      activation=fused)
        else:
            out = ag.conv2d(x, kernel, conv.strides, padding, conv.dilation_rate, conv.groups, bias=shift,
                            activation=fused)
        if self.act is not None and fused is None:
            _apply_in_place(self.act, out.data)
        return out


def _pointwise(conv):
    """Whether a Conv2D is a 1x1 product over channels (stride 1, one group: padding and dilation change nothing)."""
    return (type(conv) is Conv2D and tuple(conv.kernel_size) == (1, 1) and tuple(conv.strides) == (1, 1)
            and conv.groups == 1)


class FoldedScaledPointwiseConv:
    """A plan step standing for ``multiply([x, scale]) -> 1x1 conv -> bn [-> activation]``: squeeze-and-excitation's
    rescaling and the projection after it (EfficientNet's ``se_excite`` and ``project_conv``/``project_bn``).

    NOTE: the scale, one per image and channel, goes into each image's folded kernel (``ag.scaled_pointwise_conv2d``):
    the rescaled activation, a pass over the block's largest tensor and a batch-sized array, is never made. The
    numbers are the layers' up to float32 rounding. Anything else (another shape, a mask, a gradient, a tracer, a
    mixed policy) runs the multiply layer, then the folded convolution step."""

    def __init__(self, multiply, folded):
        self.multiply, self.folded = multiply, folded
        self.name = folded.name

    def _split(self, inputs):
        """(x, scale) when ``inputs`` are an activation (n, h, w, c) and a scale (n, 1, 1, c) of one dtype, else
        None."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            return None
        a, b = inputs
        if not (isinstance(a, ag.Tensor) and isinstance(b, ag.Tensor)) or a.ndim != 4 or b.ndim != 4:
            return None
        for x, scale in ((a, b), (b, a)):
            n, _, _, c = x.shape
            if scale.shape == (n, 1, 1, c) and x.dtype == scale.dtype and get_mask(scale) is None:
                return x, scale
        return None

    def _eager_call(self, inputs, args, kwargs, check):
        pair = None if args or kwargs else self._split(inputs)
        if pair is None or self.folded._unfoldable(pair[0]) or getattr(self.multiply, "_mixed", False):
            out = self.multiply._eager_call(inputs, args, kwargs, check)
            return self.folded._eager_call(out, (), {}, check)
        x, scale = pair
        kernel, shift = self.folded._weights()
        if x.dtype != kernel.dtype:
            x, scale = ag.astype(x, kernel.dtype), ag.astype(scale, kernel.dtype)
        fused = _fused_activation(self.folded.act)
        out = ag.scaled_pointwise_conv2d(x, scale, kernel, bias=shift, activation=fused)
        if self.folded.act is not None and fused is None:
            _apply_in_place(self.folded.act, out.data)
        return out


def _slots_read(step):
    _, single, packed_args, packed_kwargs, _, _ = step
    if single is not None:
        found = [single]
    else:
        found = []
    for part in (packed_args, packed_kwargs):
        if part is None:
            continue
        stack = [part]
        while stack:
            item = stack.pop()
            if isinstance(item, tuple) and len(item) == 2 and item[0] == "__slot__":
                found.append(item[1])
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
    return found


def _readers_and_producers(plan):
    """``({slot: [indices of the steps reading it]}, {slot: index of the step writing it})`` of a plan."""
    readers, producer = {}, {}
    for i, step in enumerate(plan):
        for slot in _slots_read(step):
            readers.setdefault(slot, []).append(i)
        for slot in step[4]:
            producer[slot] = i
    return readers, producer


def fold_plan(plan, output_slots):
    """The plan with every foldable ``[zero padding ->] conv -> bn [-> relu]`` chain replaced by one
    FoldedConvBatchNorm step."""
    readers, producer = _readers_and_producers(plan)
    outputs = set(output_slots)

    def only_reader(slot):
        found = readers.get(slot, [])
        return found[0] if len(found) == 1 and slot not in outputs else None

    def simple(step):
        _, single, _, packed_kwargs, out_slots, out_structure = step
        return single is not None and not packed_kwargs and out_structure is None and len(out_slots) == 1

    folded, skip, absorbed = [], set(), set()
    for i, step in enumerate(plan):
        if i in skip:
            continue
        layer = step[0]
        j = only_reader(step[4][0]) if simple(step) and _plain_conv(layer) else None
        if j is None or not simple(plan[j]) or not _plain_bn(plan[j][0]):
            folded.append((i, step))
            continue
        last, act = j, None
        r = only_reader(plan[j][4][0])
        if r is not None and simple(plan[r]) and _activation_kind(plan[r][0]) is not None:
            last, act = r, plan[r][0]
        skip.update({j, last})
        pad_layer, source = None, step[1]
        p = producer.get(step[1])
        if (FOLD_PADDING and layer.padding == "valid" and p is not None and simple(plan[p])
                and _plain_pad(plan[p][0]) and only_reader(step[1]) == i):
            pad_layer, source = plan[p][0], plan[p][1]
            absorbed.add(p)
        fused = FoldedConvBatchNorm(layer, plan[j][0], act, pad_layer)
        folded.append((i, (fused, source, None, None, plan[last][4], None)))
    # a padding step comes before its convolution: it is dropped once the convolution's step has taken it
    return _fold_scaling([step for i, step in folded if i not in absorbed], outputs)


def _fold_scaling(plan, outputs):
    """The plan with every ``multiply -> folded 1x1 convolution`` pair, where the product is read by the convolution
    alone, replaced by one FoldedScaledPointwiseConv step (see its docstring)."""
    readers, producer = _readers_and_producers(plan)
    merged, dropped = {}, set()
    for i, step in enumerate(plan):
        fused = step[0]
        if type(fused) is not FoldedConvBatchNorm or fused.pad_layer is not None or not _pointwise(fused.conv):
            continue
        p = producer.get(step[1])
        if p is None or readers.get(step[1]) != [i] or step[1] in outputs:
            continue
        mult = plan[p]
        if (type(mult[0]) is not Multiply or mult[1] is not None or mult[3] or mult[5] is not None
                or len(mult[4]) != 1 or len(_slots_read(mult)) != 2):
            continue
        merged[i] = (FoldedScaledPointwiseConv(mult[0], fused), None, mult[2], None, step[4], None)
        dropped.add(p)
    return [merged.get(i, step) for i, step in enumerate(plan) if i not in dropped]


functional.register_inference_rewriter(fold_plan)
