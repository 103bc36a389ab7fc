"""EinsumDense: a dense layer whose product is any two-operand einsum of the input and its kernel.

Keras 2's arguments, weight shapes, bias shapes and config. Equations take the three forms tf.keras
takes: ``ab,bc->ac``, ``...ab,bc->...ac`` and ``ab...,bc->ac...``. When the equation is a plain
contraction (every kernel letter either contracted with the input or new in the output, as in every
projection of MultiHeadAttention), the layer computes it as one matrix product of the input folded to
2-d, which is BLAS speed; other equations go through ``ag.einsum``.

Example:
    >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
    >>> layer(kerasfront.Input(shape=(5, 16))).shape
    (None, 5, 4, 8)
    >>> [w.shape for w in layer.get_weights()]
    [(16, 4, 8), (4, 8)]
"""
import re

import numpy as np

import autograd as ag

from .. import activations, constraints, initializers, regularizers
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec

__all__ = ["EinsumDense"]

_FORMS = (
    (re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), None),
    (re.compile(r"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$"), "left"),
    (re.compile(r"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$"), "right"),
)


def parse_equation(equation, who="EinsumDense"):
    """(input letters, kernel letters, output letters, where '...' stands: None, 'left' or 'right').

    Example:
        >>> parse_equation("...ab,bc->...ac")
        ('ab', 'bc', 'ac', 'left')
    """
    if not isinstance(equation, str):
        raise TypeError(f"{who}: `equation` must be a string such as 'ab,bc->ac', received equation={equation!r}")
    eq = equation.replace(" ", "")
    for pattern, elided in _FORMS:
        m = pattern.match(eq)
        if m:
            ins, ker, out = m.groups()
            for c in out:
                if c not in ins and c not in ker:
                    raise ValueError(f"{who}: dimension '{c}' of the output '{out}' in equation={equation!r} is in "
                                     f"neither the input spec '{ins}' nor the weight spec '{ker}'")
            for c in ker:
                if c not in ins and c not in out:
                    raise ValueError(f"{who}: weight dimension '{c}' in equation={equation!r} has no match in the "
                                     f"input spec '{ins}' or the output spec '{out}'; the weight must be fully "
                                     f"specified")
            return ins, ker, out, elided
    raise ValueError(f"{who}: invalid einsum equation={equation!r}. Equations must be in the form [X],[Y]->[Z], "
                     f"...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...")


def analyze(equation, bias_axes, input_shape, output_shape, who="EinsumDense"):
    """(kernel shape, bias shape or None, full output shape with the batch axis) of the layer, as tf.keras
    computes them from the equation, the input shape and the partial ``output_shape``.

    Example:
        >>> analyze("abc,cd->abd", "d", (None, 5, 3), [None, 4])
        ([3, 4], [4], [None, 5, 4])
    """
    ins, ker, out, elided_side = parse_equation(equation, who)
    input_shape = list(input_shape)
    elided = len(input_shape) - len(ins)
    if elided < 0 or (elided > 0 and elided_side is None):
        raise ValueError(f"{who}: the equation {equation!r} expects inputs of rank {len(ins)}"
                         f"{' or more' if elided_side else ''}, received an input of shape {tuple(input_shape)}")
    full = [input_shape[0]] + list(output_shape)
    if elided > 0 and elided_side == "left":
        for i in range(1, elided):
            full.insert(1, input_shape[i])
    elif elided > 0:
        full.extend(input_shape[len(input_shape) - elided:])
    if elided_side == "left":
        in_pos = {c: i + elided - len(input_shape) for i, c in enumerate(ins)}
        out_pos = {c: i + elided for i, c in enumerate(out)}
    else:
        in_pos = {c: i for i, c in enumerate(ins)}
        out_pos = {c: i for i, c in enumerate(out)}
    if len(full) != len(out) + max(elided, 0):
        raise ValueError(f"{who}: `output_shape` {list(output_shape)} does not fit the output spec '{out}' of "
                         f"equation={equation!r} (it lists the output's dimensions after the batch axis, "
                         f"without those '...' stands for)")
    for c in ins:
        if c in out_pos:
            want = full[out_pos[c]]
            have = input_shape[in_pos[c]]
            if want is not None and have is not None and want != have:
                raise ValueError(f"{who}: input shape and output shape do not match at shared dimension '{c}'. "
                                 f"Input shape is {have}, and output shape is {want}.")
    kernel = []
    for c in ker:
        size = input_shape[in_pos[c]] if c in in_pos else full[out_pos[c]]
        if size is None:
            raise ValueError(f"{who}: weight dimension '{c}' of equation={equation!r} is unknown (None) for input "
                             f"shape {tuple(input_shape)} and output_shape={list(output_shape)}")
        kernel.append(size)
    bias = None
    if bias_axes is not None:
        left = elided if elided_side == "left" else 0
        sizes = {c: full[i + left] for i, c in enumerate(out)}
        first = min(out.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in out[first:]]
        if elided_side != "left":
            bias.extend([1] * max(elided, 0))
    return kernel, bias, full


def _matmul_plan(ins, ker, out, elided_side, rank):
    """How to compute the einsum as one matmul, or None: (input permutation, kernel permutation, number of
    free axes, output permutation, number of contracted axes), the permutations None where they are the
    identity."""
    if elided_side is not None:
        extra = "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in ins + ker + out)[:rank - len(ins)]
        if len(extra) != rank - len(ins):
            return None
        ins, out = (extra + ins, extra + out) if elided_side == "left" else (ins + extra, out + extra)
    letters = ins + ker + out
    if any(letters.count(c) != (c in ins) + (c in ker) + (c in out) for c in set(letters)) or \
            any(c in ins and c in ker and c in out for c in set(letters)):
        return None                                         # repeated letters, or batch letters in all three
    contracted = [c for c in ker if c in ins and c not in out]
    if any(c in ins and c not in ker and c not in out for c in ins):
        return None                                         # input axes summed away
    free = [c for c in ins if c in out]
    kout = [c for c in ker if c not in ins]
    in_perm = [ins.index(c) for c in free + contracted]
    ker_perm = [ker.index(c) for c in contracted + kout]
    mid = free + kout
    out_perm = [mid.index(c) for c in out]
    ident = lambda p: None if p == list(range(len(p))) else tuple(p)  # noqa: E731
    return ident(in_perm), ident(ker_perm), len(free), ident(out_perm), len(contracted)


class EinsumDense(Layer):
    """A layer computing ``einsum(equation, inputs, kernel) + bias`` and an activation (tf.keras 2).

    Args:
        equation: ``'ab,bc->ac'``, ``'...ab,bc->...ac'`` or ``'ab...,bc->ac...'`` forms (input, kernel,
            output).
        output_shape: the output's shape after the batch axis, without the axes ``...`` stands for; None for
            a dimension known from the input; an int for one axis.
        activation: name or callable (default: none).
        bias_axes: output letters that get a bias (e.g. ``'de'``); None for no bias.
        kernel_initializer / bias_initializer / kernel_regularizer / bias_regularizer /
        activity_regularizer / kernel_constraint / bias_constraint: as Dense.

    Example:
        >>> layer = EinsumDense("...x,xy->...y", output_shape=64, bias_axes="y")
        >>> layer(kerasfront.Input(shape=(32, 128))).shape
        (None, 32, 64)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = f"EinsumDense layer '{self.name}'"
        ins, ker, out, _ = parse_equation(equation, who)
        self.equation = equation
        if isinstance(output_shape, (int, np.integer)) and not isinstance(output_shape, bool) and output_shape >= 0:
            partial = [int(output_shape)]
        elif isinstance(output_shape, (list, tuple)) and all(
                d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0)
                for d in output_shape):
            partial = [None if d is None else int(d) for d in output_shape]
        else:
            raise ValueError(f"{who}: `output_shape` must be an int or a list of ints (None for a dimension taken "
                             f"from the input), received output_shape={output_shape!r}")
        self.partial_output_shape = partial
        if bias_axes is not None:
            if not isinstance(bias_axes, str) or not bias_axes:
                raise ValueError(f"{who}: `bias_axes` must be a string of output letters or None, received "
                                 f"bias_axes={bias_axes!r}")
            for c in bias_axes:
                if c not in out:
                    raise ValueError(f"{who}: bias dimension '{c}' was requested in bias_axes={bias_axes!r}, but is "
                                     f"not part of the output spec '{out}' of equation={equation!r}")
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._plan = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        kernel_shape, bias_shape, self.full_output_shape = analyze(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape, f"EinsumDense layer '{self.name}'")
        self.kernel = self.add_weight("kernel", shape=tuple(kernel_shape), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      dtype=self.dtype, trainable=True)
        if bias_shape is not None:
            self.bias = self.add_weight("bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        dtype=self.dtype, trainable=True)
        else:
            self.bias = None
        ins, ker, out, elided = parse_equation(self.equation)
        # NOTE: the kernel fixes the size of every input axis it contracts with: a later call with another size
        # gets the InputSpec error naming the axis (the matmul path would fail in a reshape)
        first = len(input_shape) - len(ins) if elided == "left" else 0
        axes = {(first + i) - (len(input_shape) if elided == "left" else 0): input_shape[first + i]
                for i, c in enumerate(ins) if c in ker and input_shape[first + i] is not None}
        self.input_spec = InputSpec(ndim=None if elided else len(input_shape),
                                    min_ndim=len(ins) if elided else None, axes=axes)
        self._plan = _matmul_plan(ins, ker, out, elided, len(input_shape))
        self._plan_rank = len(input_shape)
        self.built = True

    def call(self, inputs):
        if inputs.dtype != self.kernel.dtype:
            inputs = ag.astype(inputs, self.kernel.dtype)
        plan = self._plan if inputs.ndim == self._plan_rank else None
        if plan is None:
            out = ag.einsum(self.equation, inputs, self.kernel)
        else:
            out = self._matmul(inputs, plan)
        if self.bias is not None:
            out = out + self.bias
        if self.activation is not activations.linear:
            out = self.activation(out)
        return out

    def _matmul(self, x, plan):
        in_perm, ker_perm, n_free, out_perm, n_contracted = plan
        kernel = self.kernel
        if in_perm is not None:
            x = ag.transpose(x, in_perm)
        if ker_perm is not None:
            kernel = ag.transpose(kernel, ker_perm)
        free_shape = x.shape[:n_free]
        k_in = int(np.prod(kernel.shape[:n_contracted], dtype=np.int64))
        k_out_shape = kernel.shape[n_contracted:]
        # NOTE: the input folded to (rows, contracted) and the kernel to (contracted, outputs): one GEMM, and
        # the kernel's gradient is one GEMM too (ag.einsum would take numpy's unblocked loops).
        y = ag.matmul(ag.reshape(x, (-1, k_in)), ag.reshape(kernel, (k_in, -1)))
        y = ag.reshape(y, free_shape + k_out_shape)
        if out_perm is not None:
            y = ag.transpose(y, out_perm)
        return y

    def compute_output_shape(self, input_shape):
        _, _, full = analyze(self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape,
                             f"EinsumDense layer '{self.name}'")
        return tuple(full)

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config
