"""K's control flow and graph functions: rnn, map_fn, foldl, foldr, gradients, stop_gradient, function,
placeholder, print_tensor, name_scope and learning_phase_scope.

kerasfront runs eagerly (as tf.keras 2 does by default), so these are plain Python loops over autograd ops
(differentiable end to end), ``map_fn`` is autograd's ``vmap``, and ``gradients`` differentiates the graph
autograd recorded while the loss was computed.

Example:
    >>> import kerasfront.backend as K
    >>> K.foldl(lambda acc, x: acc + x, K.constant([1.0, 2.0, 3.0]))
    Tensor(6., dtype=float32)
"""
import contextlib
import warnings

import numpy as np

import autograd as ag

from .. import backend as K

__all__ = ["rnn", "map_fn", "foldl", "foldr", "gradients", "stop_gradient", "function", "placeholder",
           "print_tensor", "name_scope", "learning_phase_scope", "register_functional_api"]

# -- the functional API, as the engine registers it (the backend imports no models) --------------------
_FUNCTIONAL = {}


def register_functional_api(make_input, make_model):
    """Set how ``placeholder`` makes a symbolic input (``Input(batch_shape=..., dtype=..., name=...)``) and
    how ``function`` makes a model (``Model(inputs, outputs)``); kerasfront's package does this at import.

    Example:
        >>> K.register_functional_api(kerasfront.Input, kerasfront.Model)
    """
    _FUNCTIONAL.update(input=make_input, model=make_model)


def _functional(part):
    if part not in _FUNCTIONAL:
        import kerasfront  # noqa: F401  (importing the package registers the functional API)
    return _FUNCTIONAL[part]


# -- recurrence ---------------------------------------------------------------------------------------


def _mask_array(mask, batch, steps, who="rnn"):
    m = np.asarray(mask.data if isinstance(mask, ag.Tensor) else mask)
    if m.ndim == 3 and m.shape[-1] == 1:
        m = m[..., 0]
    if m.shape != (batch, steps):
        raise ValueError(f"{who}: the mask must have shape (samples, time) = {(batch, steps)} (or with a trailing 1), "
                         f"received {m.shape}")
    return m.astype(bool)


def step_masks(mask, batch, steps, who="rnn"):
    """``keep(t)`` for a (samples, time) ``mask`` (or with a trailing axis of 1): the (samples,) booleans of the
    samples kept at step ``t``, or None where every sample is kept.

    Eagerly the columns are read from the mask's array, and a step that keeps every sample costs nothing. While
    ``autograd.trace`` records (an ONNX export, a saved folder's forward, a captured training step), a Tensor mask
    is read with ops at every step instead: a mask computed from the inputs (Embedding's ``mask_zero``, Masking)
    then stays a part of the graph rather than becoming a constant read from the placeholder data.

    Example:
        >>> keep = step_masks(np.array([[True, False], [True, True]]), 2, 2)
        >>> keep(0), keep(1)
        (None, array([False,  True]))
    """
    if mask is None:
        return lambda t: None
    if isinstance(mask, ag.Tensor) and ag.trace.active() is not None:
        # NOTE: a select of every row gives its input bit for bit, so a replayed step equals the eager one exactly
        m = mask[..., 0] if mask.ndim == 3 and mask.shape[-1] == 1 else mask
        if tuple(m.shape) != (batch, steps):
            raise ValueError(f"{who}: the mask must have shape (samples, time) = {(batch, steps)} (or with a trailing "
                             f"1), received {tuple(mask.shape)}")
        if m.dtype != np.bool_:
            m = ag.astype(m, np.bool_)
        return lambda t: m[:, t]
    keep = _mask_array(mask, batch, steps, who)
    return lambda t: None if keep[:, t].all() else keep[:, t]


def _where_rows(keep, new, old):
    """``new`` where the row's ``keep`` is True, else ``old`` (keep: (batch,) booleans, an array or a Tensor)."""
    shape = (-1,) + (1,) * (len(new.shape) - 1)
    return ag.where(keep.reshape(shape) if isinstance(keep, np.ndarray) else ag.reshape(keep, shape), new, old)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None, unroll=False,
        input_length=None, time_major=False, zero_output_for_mask=False, return_all_outputs=True):
    """Run ``step_function`` over the time axis of ``inputs``, as tf.keras's ``K.rnn``.

    Args:
        step_function: ``(input_t, states) -> (output_t, new_states)``; ``states`` is the tuple of the
            current states followed by ``constants``.
        inputs: (samples, time, ...) (time first with ``time_major``), or a list of such tensors.
        initial_states: the list of initial states.
        go_backwards: read the sequence from its end; the outputs come in processing order.
        mask: (samples, time) booleans (or with a trailing axis of 1): masked steps keep the states and
            repeat the previous output (zeros with ``zero_output_for_mask``).
        constants: extra values passed to every step after the states.
        unroll, input_length: accepted for tf.keras's signature; the loop always runs eagerly.
        return_all_outputs: False keeps only the last output (outputs then has 1 time step).

    Returns:
        ``(last_output, outputs, new_states)``.

    Example:
        >>> def step(x, states):
        ...     h = states[0] + x
        ...     return h, [h]
        >>> last, outputs, states = K.rnn(step, K.ones((2, 3, 4)), [K.zeros((2, 4))])
        >>> K.int_shape(outputs), float(K.get_value(last)[0, 0])
        ((2, 3, 4), 3.0)
    """
    del unroll, input_length
    flat = [K._t(x) for x in inputs] if isinstance(inputs, (list, tuple)) else [K._t(inputs)]
    for x in flat:
        if x.ndim < 3:
            raise ValueError(f"rnn: inputs must be at least 3-d ({'time, samples' if time_major else 'samples, time'}"
                             f", ...), received shape {x.shape}")
    if time_major:
        flat = [ag.swapaxes(x, 0, 1) for x in flat]
    batch, steps = flat[0].shape[:2]
    if steps == 0:
        raise ValueError("rnn: the inputs have no time steps")
    nested = isinstance(inputs, (list, tuple))
    states = tuple(initial_states)
    constants = tuple(constants or ())
    if mask is not None and not states:
        raise ValueError("rnn: a mask needs states (initial_states is empty)")
    keep_at = step_masks(mask, batch, steps)
    by_time = [ag.swapaxes(x, 0, 1) for x in flat]            # time-major: one cheap index per step
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs, prev = [], None
    for t in order:
        x_t = [x[t] for x in by_time]
        out, new = step_function(type(inputs)(x_t) if nested else x_t[0], states + constants)
        new = tuple(new) if isinstance(new, (list, tuple)) else (new,)
        if len(new) != len(states):
            raise ValueError(f"rnn: step_function returned {len(new)} states, expected {len(states)}")
        keep = keep_at(t)
        if keep is not None:
            fill = prev if prev is not None and not zero_output_for_mask else ag.zeros_like(out)
            out = _where_rows(keep, out, fill)
            new = tuple(_where_rows(keep, n, s) for n, s in zip(new, states))
        states, prev = new, out
        if return_all_outputs or t == order[-1]:
            outputs.append(out)
    stacked = ag.stack(outputs, axis=0 if time_major else 1)
    return prev, stacked, list(states)


# -- higher-order functions ---------------------------------------------------------------------------


def _leading(elems, fn_name):
    xs = [K._t(e) for e in elems] if isinstance(elems, (list, tuple)) else [K._t(elems)]
    sizes = {x.shape[0] if x.ndim else None for x in xs}
    if None in sizes or len(sizes) != 1:
        raise ValueError(f"{fn_name}: `elems` must share a leading axis to iterate over, received shapes "
                         f"{[x.shape for x in xs]}")
    return xs, sizes.pop()


def _stack_results(results):
    first = results[0]
    if isinstance(first, (list, tuple)):
        return type(first)(ag.stack([r[i] for r in results]) for i in range(len(first)))
    return ag.stack([K._t(r) for r in results])


def map_fn(fn, elems, name=None, dtype=None):
    """``fn`` applied to each element of ``elems`` along its first axis, the results stacked.

    Computed with ``ag.vmap`` (one call of each op for all elements), falling back to one call of ``fn`` per
    element when ``fn`` uses an op without a batching rule or reads values with Python control flow.

    Example:
        >>> K.map_fn(lambda row: row * 2.0, K.constant([[1.0, 2.0], [3.0, 4.0]]))
        Tensor([[2., 4.],
                [6., 8.]], dtype=float32)
    """
    del name
    xs, n = _leading(elems, "map_fn")
    seq = isinstance(elems, (list, tuple))
    call = (lambda *a: fn(type(elems)(a))) if seq else fn
    try:
        out = ag.vmap(call)(*xs)
    except (NotImplementedError, TypeError):
        # NOTE: an op without a batching rule, or Python control flow on values: run element by element (a real
        # error in `fn` raises again from the loop)
        out = _stack_results([call(*[x[i] for x in xs]) for i in range(n)])
    if dtype is not None:
        cast = lambda t: ag.astype(t, np.dtype(dtype)) if t.dtype != np.dtype(dtype) else t  # noqa: E731
        out = type(out)(cast(t) for t in out) if isinstance(out, (list, tuple)) else cast(out)
    return out


def _fold(fn, elems, initializer, reverse, fn_name):
    xs, n = _leading(elems, fn_name)
    seq = isinstance(elems, (list, tuple))
    items = [type(elems)(x[i] for x in xs) if seq else xs[0][i] for i in range(n)]
    if reverse:
        items = items[::-1]
    if initializer is None:
        if not items:
            raise ValueError(f"{fn_name}: `elems` is empty and no `initializer` was given")
        acc, items = items[0], items[1:]
    else:
        acc = initializer
    for item in items:
        acc = fn(acc, item)
    return acc


def foldl(fn, elems, initializer=None, name=None):
    """``fn(... fn(fn(initializer, elems[0]), elems[1]) ...)`` (the first element starts without
    ``initializer``).

    Example:
        >>> K.foldl(lambda acc, x: acc - x, K.constant([1.0, 2.0, 3.0]))
        Tensor(-4., dtype=float32)
    """
    return _fold(fn, elems, initializer, False, "foldl")


def foldr(fn, elems, initializer=None, name=None):
    """The fold from the last element to the first: ``fn(fn(initializer, elems[-1]), elems[-2]) ...``.

    Example:
        >>> K.foldr(lambda acc, x: acc - x, K.constant([1.0, 2.0, 3.0]))
        Tensor(0., dtype=float32)
    """
    return _fold(fn, elems, initializer, True, "foldr")


# -- gradients ----------------------------------------------------------------------------------------


def gradients(loss, variables):
    """The gradients of ``loss`` (summed over its entries) with respect to each of ``variables``.

    tf.keras allows this only in graph mode; kerasfront records every computation, so it works on any loss
    computed from the variables. The gradients are themselves differentiable (the graph is kept), and a
    variable the loss does not depend on gets zeros (TensorFlow: None).

    Example:
        >>> w = K.variable([1.0, 2.0])
        >>> [K.get_value(g) for g in K.gradients(K.sum(K.square(w)), [w])]
        [array([2., 4.], dtype=float32)]
    """
    single = isinstance(variables, ag.Tensor)
    variables = [variables] if single else list(variables)
    for i, v in enumerate(variables):
        if not isinstance(v, ag.Tensor):
            raise TypeError(f"gradients: variables[{i}] must be a Tensor or Variable, received {type(v).__name__}")
    if not isinstance(loss, ag.Tensor) or not loss.requires_grad:
        return [ag.zeros_like(v) for v in variables]
    return ag.gradients(loss, variables, grad_outputs=np.ones(loss.shape, loss.dtype), create_graph=True)


def stop_gradient(variables):
    """``variables`` (a tensor, or a list of them) with the same values and no gradient flowing back.

    Example:
        >>> w = K.variable([3.0])
        >>> [K.get_value(g) for g in K.gradients(K.sum(w * K.stop_gradient(w)), [w])]
        [array([3.], dtype=float32)]
    """
    # NOTE: autograd's stop_gradient (an identity with zero derivatives: it works under jvp and vmap too); tf.keras
    # returns a `map` object for a list, kerasfront a list
    if isinstance(variables, (list, tuple)):
        return [ag.stop_gradient(K._t(v)) for v in variables]
    return ag.stop_gradient(K._t(variables))


# -- symbolic graphs ------------------------------------------------------------------------------------


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable that runs the functional graph from ``inputs`` to ``outputs`` on arrays and returns numpy
    arrays, as tf.keras's eager ``K.function`` (outputs given as a one-element list come back as a list).

    Example:
        >>> x = kerasfront.Input((3,))
        >>> f = K.function([x], [K.sum(x, axis=1)])
        >>> f([np.ones((2, 3), "float32")])
        [array([3., 3.], dtype=float32)]
    """
    if kwargs:
        raise ValueError("Session keyword arguments are not supported during eager execution. You passed: %s"
                         % (kwargs,))
    if updates:
        raise ValueError("`updates` argument is not supported during eager execution. You passed: %s" % (updates,))
    model = _functional("model")(inputs=inputs, outputs=outputs)
    wrap_outputs = isinstance(outputs, list) and len(outputs) == 1

    def to_numpy(value):
        if isinstance(value, (list, tuple)):
            return [to_numpy(v) for v in value]
        if isinstance(value, dict):
            return {k: to_numpy(v) for k, v in value.items()}
        return value.numpy() if isinstance(value, ag.Tensor) else value

    def func(model_inputs):
        with ag.no_grad():
            outs = model(model_inputs)
        if wrap_outputs:
            outs = [outs]
        return to_numpy(outs)
    func.__name__ = name or "keras_function"
    return func


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None, ragged=False):
    """A symbolic input of the full ``shape`` (batch axis included; or ``ndim`` unknown sizes), as tf.keras's
    eager ``placeholder``: a KerasTensor that ``function`` and ``Model`` take as an input.

    Example:
        >>> K.int_shape(K.placeholder(shape=(None, 4)))
        (None, 4)
    """
    if sparse and ragged:
        raise ValueError("Cannot set both sparse and ragged to True when creating a placeholder.")
    if sparse or ragged:
        raise ValueError(f"placeholder: kerasfront has no {'sparse' if sparse else 'ragged'} tensors; "
                         f"use a dense placeholder")
    if not shape:
        if not ndim:
            raise ValueError("placeholder: give a `shape` (batch axis included) or `ndim`")
        shape = (None,) * int(ndim)
    return _functional("input")(batch_shape=tuple(shape), dtype=dtype or K.floatx(), name=name)


def print_tensor(x, message="", summarize=3):
    """Print ``message`` and the value of ``x`` (the first and last ``summarize`` entries of each axis;
    -1: all) to stdout, and return ``x``.

    Example:
        >>> y = K.print_tensor(K.constant([1.0, 2.0]), message="x:")
        x: [1. 2.]
    """
    value = np.asarray(x.data if isinstance(x, ag.Tensor) else x)
    if summarize is None or summarize < 0:
        text = np.array2string(value, threshold=value.size + 1)
    else:       # axes longer than 2 * summarize are cut in the middle
        text = np.array2string(value, threshold=0, edgeitems=max(int(summarize), 1))
    print(message, text) if message else print(text)
    return x


# -- scopes -------------------------------------------------------------------------------------------

_SCOPES = []


@contextlib.contextmanager
def name_scope(name):
    """A named scope: ``with K.name_scope("block") as scope`` gives ``"block/"`` (nested: ``"outer/block/"``).

    Names of layers and weights are not changed by it (in tf.keras they are only for variables made
    outside a layer).

    Example:
        >>> with K.name_scope("outer"):
        ...     with K.name_scope("inner") as scope:
        ...         print(scope)
        outer/inner/
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name_scope: `name` must be a non-empty string, received {name!r}")
    full = (_SCOPES[-1] if _SCOPES else "") + (name if name.endswith("/") else name + "/")
    _SCOPES.append(full)
    try:
        yield full
    finally:
        _SCOPES.pop()


@contextlib.contextmanager
def learning_phase_scope(value):
    """Set the learning phase to ``value`` (0 or 1) inside the block (deprecated in tf.keras: pass
    ``training=`` to layers and models instead).

    Example:
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     with K.learning_phase_scope(1):
        ...         print(K.learning_phase())
        1
    """
    warnings.warn("`tf.keras.backend.learning_phase_scope` is deprecated and will be removed after 2020-10-11. "
                  "To update it, simply pass a True/False value to the `training` argument of the `__call__` "
                  "method of your layer or model.", stacklevel=3)
    if value not in (0, 1):
        raise ValueError(f"learning_phase_scope(value): expected 0 or 1, received {value!r}")
    previous = K._LEARNING_PHASE[0]
    K._LEARNING_PHASE[0] = int(value)
    try:
        yield
    finally:
        K._LEARNING_PHASE[0] = previous
