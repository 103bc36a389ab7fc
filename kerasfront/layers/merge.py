"""Merge layers: combine a list of tensors elementwise (Add, Subtract, Multiply, Average, Maximum, Minimum), by
concatenation (Concatenate) or by per-sample dot products (Dot), plus the functional forms ``add``,
``concatenate``, ... (Keras 2 names, shapes, masks and configs).

Elementwise merges broadcast as Keras does: inputs of lower rank get size-1 axes inserted after the batch axis.

Example:
    >>> a, b = kerasfront.Input((4,)), kerasfront.Input((4,))
    >>> add([a, b]).shape, concatenate([a, b]).shape, dot([a, b], axes=1).shape
    ((None, 4), (None, 8), (None, 1))
"""
import numpy as np

import autograd as ag

from .. import backend
from ..engine.base_layer import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add", "subtract",
           "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


def _is_shape_list(input_shape):
    return isinstance(input_shape, (list, tuple)) and len(input_shape) > 0 and \
        all(isinstance(s, (list, tuple)) for s in input_shape)


class _Merge(Layer):
    """Base of the elementwise merge layers: checks the shapes broadcast, aligns ranks, merges, and ANDs the
    masks."""

    _min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _who(self):
        return f"{type(self).__name__} layer '{self.name}'"

    def _check_list(self, input_shape):
        if not _is_shape_list(input_shape):
            raise ValueError(f"A merge layer should be called on a list of inputs. {self._who()} received an input "
                             f"of shape {tuple(input_shape) if input_shape is not None else None} (not a list of "
                             f"shapes)")
        if len(input_shape) < self._min_inputs:
            raise ValueError(f"{self._who()} should be called on a list of at least {self._min_inputs} inputs. Got "
                             f"{len(input_shape)} inputs. Full input shapes received: "
                             f"{[tuple(s) for s in input_shape]}")

    def _broadcast_shape(self, shape1, shape2, all_shapes):
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        out = list(shape1[:len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise ValueError(f"{self._who()}: inputs have incompatible shapes. Received shapes "
                                 f"{[tuple(s) for s in all_shapes]}")
        return tuple(out)

    def build(self, input_shape):
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        batches = {s[0] for s in shapes if s} - {None}
        if len(batches) > 1:
            raise ValueError(f"{self._who()}: cannot merge tensors with different batch sizes. Got tensors with "
                             f"shapes {shapes}")
        out = shapes[0][1:]
        for s in shapes[1:]:
            out = self._broadcast_shape(out, s[1:], shapes)
        self._reshape_required = len({len(s) for s in shapes}) != 1
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. {self._who()} received one "
                             f"tensor of shape {tuple(inputs.shape)}")
        inputs = list(inputs)
        if len({x.ndim for x in inputs}) > 1:
            # NOTE: Keras inserts the missing axes right after the batch axis, so (N, C) meets (N, T, C) as (N, 1, C)
            top = max(x.ndim for x in inputs)
            inputs = [ag.reshape(x, (x.shape[0],) + (1,) * (top - x.ndim) + tuple(x.shape[1:])) for x in inputs]
        return self._merge_function(inputs)

    def _merge_function(self, inputs):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f"{self._who()}: `mask` should be a list. Received: mask={mask}")
        masks = [m for m in mask if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = ag.logical_and(out, m)
        return out


class Add(_Merge):
    """Sum a list of same-shape tensors: ``Add()([x1, x2])``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> Add()([a, b])
        Tensor([[4., 7.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` for exactly two inputs.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> Subtract()([a, b])
        Tensor([[-2.,  3.]], dtype=float32)
    """

    _min_inputs = 2

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer ('{self.name}') should be called on exactly 2 inputs. Received: "
                             f"input_shape={[tuple(s) for s in input_shape]}")

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer ('{self.name}') should be called on exactly 2 inputs. Received "
                             f"{len(inputs)} inputs")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Elementwise product of a list of tensors.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> Multiply()([a, b])
        Tensor([[ 3., 10.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """Elementwise mean of a list of tensors.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> Average()([a, b])
        Tensor([[2. , 3.5]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / np.asarray(len(inputs), dtype=out.dtype)


class Maximum(_Merge):
    """Elementwise maximum of a list of tensors.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> Maximum()([a, b])
        Tensor([[3., 5.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ag.maximum(out, x)
        return out


class Minimum(_Merge):
    """Elementwise minimum of a list of tensors.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> Minimum()([a, b])
        Tensor([[1., 2.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ag.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Join a list of tensors along ``axis`` (default -1); the other axes must match.

    Example:
        >>> Concatenate(axis=1)([np.ones((2, 2, 5)), np.ones((2, 1, 5))]).shape
        (2, 3, 5)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Concatenate layer '{self.name}': `axis` must be an int, received axis={axis!r}")
        self.axis = int(axis)

    def build(self, input_shape):
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        ranks = {len(s) for s in shapes}
        err = (f"A `Concatenate` layer ('{self.name}') requires inputs with matching shapes except for the "
               f"concatenation axis {self.axis}. Received: input_shape={shapes}")
        if len(ranks) != 1:
            raise ValueError(err)
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"Concatenate layer '{self.name}': axis {self.axis} is out of range for inputs of rank "
                             f"{rank}. Received: input_shape={shapes}")
        axis = self.axis % rank
        for i in range(rank):
            if i == axis:
                continue
            dims = {s[i] for s in shapes} - {None}
            if len(dims) > 1:
                raise ValueError(err)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A `Concatenate` layer ('{self.name}') should be called on a list of inputs, received "
                             f"one tensor of shape {tuple(inputs.shape)}")
        return ag.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f"Concatenate layer '{self.name}': `mask` should be a list. Received: mask={mask}")
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(ag.Tensor(np.ones(x.shape, dtype=bool)))
            elif m.ndim < x.ndim:
                masks.append(ag.expand_dims(m, -1))
            else:
                masks.append(m)
        # NOTE: as Keras: concatenate the (broadcast) masks along the axis, then reduce the last axis with AND
        masks = [ag.broadcast_to(m, x.shape) if tuple(m.shape) != tuple(x.shape) and m.shape[-1] == 1 and
                 self.axis not in (-1, x.ndim - 1) else m for m, x in zip(masks, inputs)]
        return ag.all(ag.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """Per-sample dot product of two tensors along ``axes`` (an int, or one axis per input); with
    ``normalize=True`` the samples are L2-normalized first (cosine similarity).

    Example:
        >>> Dot(axes=1)([np.ones((3, 4)), np.ones((3, 4))]).shape
        (3, 1)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Dot layer '{self.name}': `axes` should contain two elements. Received: "
                                 f"axes={axes!r}")
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
                raise ValueError(f"Dot layer '{self.name}': the two elements of `axes` should be integers. "
                                 f"Received: axes={axes!r}")
            axes = [int(a) for a in axes]
        elif isinstance(axes, bool) or not isinstance(axes, (int, np.integer)):
            raise TypeError(f"Dot layer '{self.name}': `axes` should be an int or a list of two ints. Received: "
                            f"axes={axes!r}")
        else:
            axes = int(axes)
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _axes_for(self, ranks):
        if isinstance(self.axes, int):
            return [self.axes % r if self.axes < 0 else self.axes for r in ranks]
        return [a % r if a < 0 else a for a, r in zip(self.axes, ranks)]

    def build(self, input_shape):
        if not _is_shape_list(input_shape) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer ('{self.name}') should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        s1, s2 = tuple(input_shape[0]), tuple(input_shape[1])
        a1, a2 = self._axes_for([len(s1), len(s2)])
        if a1 >= len(s1) or a2 >= len(s2) or a1 == 0 or a2 == 0:
            raise ValueError(f"Dot layer '{self.name}': axes {self.axes} are out of range (or the batch axis) for "
                             f"input shapes {s1} and {s2}")
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(f"Dot layer '{self.name}': incompatible input shapes: axis values {s1[a1]} (at axis "
                             f"{a1}) != {s2[a2]} (at axis {a2}). Full input shapes: {s1}, {s2}")
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"A `Dot` layer ('{self.name}') should be called on exactly 2 inputs")
        x1, x2 = inputs
        a1, a2 = self._axes_for([x1.ndim, x2.ndim])
        if self.normalize:
            x1 = backend.l2_normalize(x1, axis=a1)
            x2 = backend.l2_normalize(x2, axis=a2)
        return backend.batch_dot(x1, x2, (a1, a2))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> add([a, b])
        Tensor([[4., 7.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``: ``subtract([x1, x2])``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> subtract([a, b])
        Tensor([[-2.,  3.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> multiply([a, b])
        Tensor([[ 3., 10.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> average([a, b])
        Tensor([[2. , 3.5]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> maximum([a, b])
        Tensor([[3., 5.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> minimum([a, b])
        Tensor([[1., 2.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([x1, x2], axis=1)``.

    Example:
        >>> concatenate([kerasfront.Input((4,)), kerasfront.Input((2,))]).shape
        (None, 6)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional form of ``Dot``: ``dot([x1, x2], axes=1)``.

    Example:
        >>> a, b = np.array([[1.0, 5.0]], dtype="float32"), np.array([[3.0, 2.0]], dtype="float32")
        >>> dot([a, b], axes=1)                  # 1*3 + 5*2
        Tensor([[13.]], dtype=float32)
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
