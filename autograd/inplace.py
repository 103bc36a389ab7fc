"""In-place updates of tensor data, outside any graph: what optimizers use to change weights.

Each bumps the tensor's version, so a graph that saved the old values refuses to backward through them.

Example:
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> ag.assign_sub(w, [0.5, 0.5])  # returns w
    Tensor([0.5, 1.5], requires_grad=True)
"""
import numpy as np

from .modes import STATE
from .tensor import Tensor


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _check(t, value, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor to update, received {type(t).__name__}")
    v = np.asarray(_data(value))
    if v.shape != t.shape and np.broadcast_shapes(v.shape, t.shape) != t.shape:
        raise ValueError(f"{name}: value of shape {v.shape} does not fit the tensor's shape {t.shape}")
    return v


def assign(t, value):
    """Overwrite ``t``'s data with ``value`` (cast to ``t``'s dtype); returns ``t``.

    Example:
        >>> w = ag.tensor([1.0, 2.0]); ag.assign(w, [5.0, 6.0])
        Tensor([5., 6.])
    """
    v = _check(t, value, "assign")
    if STATE.tracer is not None:
        STATE.tracer.record_update("assign", t, value)
    np.copyto(t.data, v, casting="unsafe")
    t._version += 1
    return t


def assign_add(t, value):
    """``t += value`` in place; returns ``t``.

    Example:
        >>> w = ag.tensor([1.0, 2.0]); ag.assign_add(w, 1.0)
        Tensor([2., 3.])
    """
    v = _check(t, value, "assign_add")
    if STATE.tracer is not None:
        STATE.tracer.record_update("assign_add", t, value)
    np.add(t.data, v, out=t.data, casting="unsafe")
    t._version += 1
    return t


def assign_sub(t, value):
    """``t -= value`` in place; returns ``t``.

    Example:
        >>> w = ag.tensor([1.0, 2.0]); ag.assign_sub(w, [0.5, 0.5])
        Tensor([0.5, 1.5])
    """
    v = _check(t, value, "assign_sub")
    if STATE.tracer is not None:
        STATE.tracer.record_update("assign_sub", t, value)
    np.subtract(t.data, v, out=t.data, casting="unsafe")
    t._version += 1
    return t


# -- fused optimizer kernels ----------------------------------------------------------------------------
#
# Each kernel updates a weight and its slot tensors in place with numpy ``out=`` arguments (a couple of
# scratch arrays per call at most) and bumps their versions. Scalars are cast to the weight's dtype first,
# so float32 weights are updated in float32, in the order of operations tf.keras 2.11+ uses.


def _raw(t):
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def _nd(t):
    """The array of ``t`` with at least one axis (a 0-d weight, such as Attention's learned scale, as a view of
    shape (1,)): numpy's ufuncs return scalars, not arrays, for 0-d operands, and scalars take no ``out=``."""
    d = t.data if isinstance(t, Tensor) else np.asarray(t)
    return d.reshape(1) if d.ndim == 0 else d


def _bump(*ts):
    for t in ts:
        if isinstance(t, Tensor):
            t._version += 1


def _scalar(x, dt):
    return dt.type(x)


def sgd_update(var, grad, lr, m=None, momentum=0.0, nesterov=False):
    """SGD as tf.keras: ``m = -g * lr + m * momentum``; ``w += m`` (or ``w += -g * lr + m * momentum`` with
    nesterov). Without a momentum slot ``m``: ``w -= g * lr``.

    Example:
        >>> w = ag.tensor([1.0]); inplace.sgd_update(w, ag.tensor([2.0]), lr=0.1)
        Tensor([0.8])
    """
    w, g = _nd(var), _nd(grad)
    dt = w.dtype
    neg_lr = -_scalar(lr, dt)
    if m is None:
        np.add(w, g * neg_lr, out=w, casting="unsafe")
        _bump(var)
        return var
    md = _nd(m)
    step = np.multiply(g, neg_lr, dtype=dt)
    if momentum:
        mom = _scalar(momentum, dt)
        np.multiply(md, mom, out=md)
        np.add(step, md, out=md)
        if nesterov:
            np.multiply(md, mom, out=step)
            np.subtract(step, g * _scalar(lr, dt), out=step)
            np.add(w, step, out=w)
        else:
            np.add(w, md, out=w)
    else:
        # NOTE: tf.keras keeps a momentum slot even for momentum 0 and sets it to -g * lr each step.
        np.copyto(md, step)
        np.add(w, step, out=w)
    _bump(var, m)
    return var


def adam_update(var, grad, m, v, lr, beta_1, beta_2, epsilon, step, vhat=None):
    """Adam (tf.keras 2.11+): ``m += (g - m)(1 - b1)``; ``v += (g^2 - v)(1 - b2)``;
    ``w -= m * alpha / (sqrt(v) + eps)`` with ``alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)``; ``vhat`` (amsgrad)
    keeps the running maximum of ``v`` and replaces it in the denominator. ``step`` is t (1 for the first).

    Args:
        var: the weight Tensor, updated in place.
        grad: its gradient (Tensor or array).
        m, v: the first- and second-moment slots (Tensors of ``var``'s shape), updated in place.
        lr, beta_1, beta_2, epsilon: the optimizer's hyperparameters (floats).
        step: the 1-based iteration number t.
        vhat: the amsgrad slot, or None.
    Returns:
        ``var``.

    Example:
        >>> w, m, v = ag.tensor([1.0]), ag.tensor([0.0]), ag.tensor([0.0])
        >>> inplace.adam_update(w, ag.tensor([0.5]), m, v, lr=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1)
        Tensor([0.90000063])
    """
    w, g, md, vd = _nd(var), _nd(grad), _nd(m), _nd(v)
    dt = w.dtype
    t = _scalar(step, dt)
    b1, b2 = _scalar(beta_1, dt), _scalar(beta_2, dt)
    one = _scalar(1.0, dt)
    alpha = _scalar(lr, dt) * np.sqrt(one - b2 ** t) / (one - b1 ** t)
    tmp = np.subtract(g, md, dtype=dt)
    np.multiply(tmp, _scalar(1.0 - beta_1, dt), out=tmp)
    np.add(md, tmp, out=md)
    np.multiply(g, g, out=tmp)
    np.subtract(tmp, vd, out=tmp)
    np.multiply(tmp, _scalar(1.0 - beta_2, dt), out=tmp)
    np.add(vd, tmp, out=vd)
    denom_src = vd
    if vhat is not None:
        np.maximum(_nd(vhat), vd, out=_nd(vhat))
        denom_src = _nd(vhat)
        _bump(vhat)
    den = np.sqrt(denom_src)
    np.add(den, _scalar(epsilon, dt), out=den)
    np.multiply(md, alpha, out=tmp)
    np.divide(tmp, den, out=tmp)
    np.subtract(w, tmp, out=w)
    _bump(var, m, v)
    return var


def rmsprop_update(var, grad, velocity, lr, rho, epsilon, momentum=0.0, momentum_slot=None, average_grad=None):
    """RMSprop (tf.keras 2.11+): ``vel = rho * vel + (1 - rho) g^2``; centered: ``avg = rho * avg + (1 - rho) g``
    and ``den = vel - avg^2 + eps``, else ``den = vel + eps``; ``inc = lr * g / sqrt(den)``; with momentum
    ``mom = momentum * mom + inc; w -= mom``, else ``w -= inc``.

    Args:
        var: the weight Tensor, updated in place.
        grad: its gradient.
        velocity: the running mean of ``g^2`` (slot, updated in place).
        lr, rho, epsilon, momentum: the optimizer's hyperparameters.
        momentum_slot: the momentum slot (used when ``momentum > 0``), or None.
        average_grad: the running mean of ``g`` for the centered variant, or None.
    Returns:
        ``var``.

    Example:
        >>> w, vel = ag.tensor([1.0]), ag.tensor([0.0])
        >>> inplace.rmsprop_update(w, ag.tensor([0.5]), vel, lr=0.01, rho=0.75, epsilon=0.0)
        Tensor([0.98])
        >>> vel
        Tensor([0.0625])
    """
    w, g, vel = _nd(var), _nd(grad), _nd(velocity)
    dt = w.dtype
    r = _scalar(rho, dt)
    one_minus_r = _scalar(1.0 - rho, dt)
    np.multiply(vel, r, out=vel)
    tmp = np.multiply(g, g, dtype=dt)
    np.multiply(tmp, one_minus_r, out=tmp)
    np.add(vel, tmp, out=vel)
    if average_grad is not None:
        avg = _nd(average_grad)
        np.multiply(avg, r, out=avg)
        np.multiply(g, one_minus_r, out=tmp)
        np.add(avg, tmp, out=avg)
        np.multiply(avg, avg, out=tmp)
        np.subtract(vel, tmp, out=tmp)
        _bump(average_grad)
    else:
        np.copyto(tmp, vel)
    np.add(tmp, _scalar(epsilon, dt), out=tmp)
    np.sqrt(tmp, out=tmp)
    inc = np.multiply(g, _scalar(lr, dt), dtype=dt)
    np.divide(inc, tmp, out=inc)
    if momentum_slot is not None and momentum > 0:
        mom = _nd(momentum_slot)
        np.multiply(mom, _scalar(momentum, dt), out=mom)
        np.add(mom, inc, out=mom)
        np.subtract(w, mom, out=w)
        _bump(momentum_slot)
    else:
        np.subtract(w, inc, out=w)
    _bump(var, velocity)
    return var


def adagrad_update(var, grad, accumulator, lr, epsilon):
    """Adagrad (tf.keras 2.11+): ``acc += g^2``; ``w -= lr * g / sqrt(acc + eps)``.

    Example:
        >>> w, acc = ag.tensor([1.0]), ag.tensor([0.0])
        >>> inplace.adagrad_update(w, ag.tensor([2.0]), acc, lr=0.1, epsilon=0.0)
        Tensor([0.9])
        >>> acc
        Tensor([4.])
    """
    w, g, acc = _nd(var), _nd(grad), _nd(accumulator)
    dt = w.dtype
    tmp = np.multiply(g, g, dtype=dt)
    np.add(acc, tmp, out=acc)
    np.add(acc, _scalar(epsilon, dt), out=tmp)
    np.sqrt(tmp, out=tmp)
    step = np.multiply(g, _scalar(lr, dt), dtype=dt)
    np.divide(step, tmp, out=step)
    np.subtract(w, step, out=w)
    _bump(var, accumulator)
    return var


def adadelta_update(var, grad, accumulated_grad, accumulated_delta, lr, rho, epsilon):
    """Adadelta (tf.keras 2.11+): ``ag = rho * ag + (1 - rho) g^2``;
    ``d = -sqrt(ad + eps) * g / sqrt(ag + eps)``; ``ad = rho * ad + (1 - rho) d^2``; ``w += lr * d``.

    Example:
        >>> w, acc_g, acc_d = ag.tensor([1.0]), ag.tensor([0.0]), ag.tensor([0.0])
        >>> inplace.adadelta_update(w, ag.tensor([1.0]), acc_g, acc_d, lr=1.0, rho=0.0, epsilon=1.0)
        Tensor([0.29289322])
    """
    w, g, acg, acd = _nd(var), _nd(grad), _nd(accumulated_grad), _nd(accumulated_delta)
    dt = w.dtype
    r, one_minus_r, eps = _scalar(rho, dt), _scalar(1.0 - rho, dt), _scalar(epsilon, dt)
    tmp = np.multiply(g, g, dtype=dt)
    np.multiply(tmp, one_minus_r, out=tmp)
    np.multiply(acg, r, out=acg)
    np.add(acg, tmp, out=acg)
    delta = np.add(acd, eps, dtype=dt)
    np.sqrt(delta, out=delta)
    np.negative(delta, out=delta)
    np.multiply(delta, g, out=delta)
    np.add(acg, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    np.divide(delta, tmp, out=delta)
    np.multiply(delta, delta, out=tmp)
    np.multiply(tmp, one_minus_r, out=tmp)
    np.multiply(acd, r, out=acd)
    np.add(acd, tmp, out=acd)
    np.multiply(delta, _scalar(lr, dt), out=delta)
    np.add(w, delta, out=w)
    _bump(var, accumulated_grad, accumulated_delta)
    return var


def adamax_update(var, grad, m, u, lr, beta_1, beta_2, epsilon, step):
    """Adamax (tf.keras 2.11+): ``m += (g - m)(1 - b1)``; ``u = max(b2 * u, |g|)``;
    ``w -= lr * m / ((1 - b1^t) * (u + eps))``.

    Example:
        >>> w, m, u = ag.tensor([1.0]), ag.tensor([0.0]), ag.tensor([0.0])
        >>> inplace.adamax_update(w, ag.tensor([2.0]), m, u, lr=0.1, beta_1=0.9, beta_2=0.999, epsilon=0.0, step=1)
        Tensor([0.9])
    """
    w, g, md, ud = _nd(var), _nd(grad), _nd(m), _nd(u)
    dt = w.dtype
    b1p = _scalar(beta_1, dt) ** _scalar(step, dt)
    tmp = np.subtract(g, md, dtype=dt)
    np.multiply(tmp, _scalar(1.0 - beta_1, dt), out=tmp)
    np.add(md, tmp, out=md)
    np.multiply(ud, _scalar(beta_2, dt), out=ud)
    np.abs(g, out=tmp)
    np.maximum(ud, tmp, out=ud)
    np.add(ud, _scalar(epsilon, dt), out=tmp)
    np.multiply(tmp, _scalar(1.0, dt) - b1p, out=tmp)
    num = np.multiply(md, _scalar(lr, dt), dtype=dt)
    np.divide(num, tmp, out=num)
    np.subtract(w, num, out=w)
    _bump(var, m, u)
    return var


def nadam_coefficients(step, beta_1, u_product_prev, dtype=np.float32):
    """The momentum-cache scalars of Nadam at step t (1 for the first), in ``dtype``:
    ``u_t = b1 (1 - 0.5 * 0.96^t)``, ``u_t1 = b1 (1 - 0.5 * 0.96^(t+1))``, ``prod_t = prod_prev * u_t``,
    ``prod_t1 = prod_t * u_t1``. Returns ``(u_t, u_t1, prod_t, prod_t1)``.

    Example:
        >>> [round(float(c), 4) for c in inplace.nadam_coefficients(1, 0.9, 1.0)]
        [0.468, 0.4853, 0.468, 0.2271]
    """
    dt = np.dtype(dtype)
    b1 = _scalar(beta_1, dt)
    decay = _scalar(0.96, dt)
    one, half = _scalar(1.0, dt), _scalar(0.5, dt)
    u_t = b1 * (one - half * decay ** _scalar(step, dt))
    u_t1 = b1 * (one - half * decay ** _scalar(step + 1, dt))
    prod_t = _scalar(u_product_prev, dt) * u_t
    return u_t, u_t1, prod_t, prod_t * u_t1


def nadam_update(var, grad, m, v, lr, beta_1, beta_2, epsilon, step, coefficients):
    """Nadam (tf.keras 2.11+) with ``coefficients = nadam_coefficients(...)`` of this step:
    ``m += (g - m)(1 - b1)``; ``v += (g^2 - v)(1 - b2)``;
    ``m_hat = u_t1 * m / (1 - prod_t1) + (1 - u_t) * g / (1 - prod_t)``; ``v_hat = v / (1 - b2^t)``;
    ``w -= m_hat * lr / (sqrt(v_hat) + eps)``.

    Args:
        var: the weight Tensor, updated in place.
        grad: its gradient.
        m, v: the first- and second-moment slots, updated in place.
        lr, beta_1, beta_2, epsilon: the optimizer's hyperparameters.
        step: the 1-based iteration number t.
        coefficients: ``nadam_coefficients(step, beta_1, prod_prev)`` for this step.
    Returns:
        ``var``.

    Example:
        >>> w, m, v = ag.tensor([1.0]), ag.tensor([0.0]), ag.tensor([0.0])
        >>> c = inplace.nadam_coefficients(1, 0.9, 1.0, dtype=np.float64)
        >>> inplace.nadam_update(w, ag.tensor([0.5]), m, v, 0.1, 0.9, 0.999, 1e-7, 1, c)
        Tensor([0.89372124])
        >>> m
        Tensor([0.05])
    """
    w, g, md, vd = _nd(var), _nd(grad), _nd(m), _nd(v)
    dt = w.dtype
    u_t, u_t1, prod_t, prod_t1 = (_scalar(c, dt) for c in coefficients)
    one = _scalar(1.0, dt)
    b2p = _scalar(beta_2, dt) ** _scalar(step, dt)
    tmp = np.subtract(g, md, dtype=dt)
    np.multiply(tmp, _scalar(1.0 - beta_1, dt), out=tmp)
    np.add(md, tmp, out=md)
    np.multiply(g, g, out=tmp)
    np.subtract(tmp, vd, out=tmp)
    np.multiply(tmp, _scalar(1.0 - beta_2, dt), out=tmp)
    np.add(vd, tmp, out=vd)
    m_hat = np.multiply(md, u_t1, dtype=dt)
    np.divide(m_hat, one - prod_t1, out=m_hat)
    np.multiply(g, one - u_t, out=tmp)
    np.divide(tmp, one - prod_t, out=tmp)
    np.add(m_hat, tmp, out=m_hat)
    np.divide(vd, one - b2p, out=tmp)
    np.sqrt(tmp, out=tmp)
    np.add(tmp, _scalar(epsilon, dt), out=tmp)
    np.multiply(m_hat, _scalar(lr, dt), out=m_hat)
    np.divide(m_hat, tmp, out=m_hat)
    np.subtract(w, m_hat, out=w)
    _bump(var, m, v)
    return var


def decay_weights(var, lr, weight_decay):
    """Decoupled weight decay as tf.keras applies it before the update: ``w -= w * wd * lr``.

    Example:
        >>> w = ag.tensor([2.0]); inplace.decay_weights(w, lr=0.5, weight_decay=0.1)
        Tensor([1.9])
    """
    w = _nd(var)
    dt = w.dtype
    np.subtract(w, w * _scalar(weight_decay, dt) * _scalar(lr, dt), out=w)
    _bump(var)
    return var


def ema_update(average, var, momentum):
    """Exponential moving average: ``avg = momentum * avg + (1 - momentum) * w``.

    Example:
        >>> avg = ag.tensor([0.0]); inplace.ema_update(avg, ag.tensor([10.0]), momentum=0.9)
        Tensor([1.])
    """
    a, w = _nd(average), _nd(var)
    dt = a.dtype
    np.multiply(a, _scalar(momentum, dt), out=a)
    np.add(a, w * _scalar(1.0 - momentum, dt), out=a)
    _bump(average)
    return average


# -- gradient clipping (returns new tensors; the inputs are not changed) ----------------------------------


def clip_by_norm(grad, clip_norm):
    """``g * clip_norm / max(||g||, clip_norm)`` (tf.clip_by_norm); a zero gradient stays zero.

    Example:
        >>> inplace.clip_by_norm(ag.tensor([3.0, 4.0]), 1.0)
        Tensor([0.6, 0.8])
    """
    g = _raw(grad)
    dt = g.dtype
    c = _scalar(clip_norm, dt)
    l2sum = np.sum(g * g, dtype=dt)
    norm = np.sqrt(l2sum) if l2sum > 0 else l2sum
    return Tensor(g * c / np.maximum(norm, c))


def global_norm(grads):
    """``sqrt(sum of squares of every entry of every gradient)`` (None entries are skipped).

    Example:
        >>> float(inplace.global_norm([ag.tensor([3.0]), None, ag.tensor([4.0])]))
        5.0
    """
    total = None
    for grad in grads:
        if grad is None:
            continue
        g = _raw(grad)
        # NOTE: as tf.linalg.global_norm: sums of half squares (l2_loss), then sqrt(2 * total).
        half = np.sum(g * g, dtype=g.dtype) / g.dtype.type(2)
        total = half if total is None else total + half
    if total is None:
        return np.float32(0.0)
    return np.sqrt(total * total.dtype.type(2))


def clip_by_global_norm(grads, clip_norm):
    """Scale every gradient by ``clip_norm / max(global_norm, clip_norm)`` (tf.clip_by_global_norm).

    Example:
        >>> inplace.clip_by_global_norm([ag.tensor([3.0]), ag.tensor([4.0])], 1.0)
        [Tensor([0.6]), Tensor([0.8])]
    """
    norm = global_norm(grads)
    dt = np.asarray(norm).dtype
    c = _scalar(clip_norm, dt)
    one = _scalar(1.0, dt)
    with np.errstate(divide="ignore"):
        scale = c * np.minimum(one / norm, one / c)
    return [None if grad is None else Tensor(_raw(grad) * scale.astype(_raw(grad).dtype)) for grad in grads]


def clip_by_value(grad, clip_value):
    """``clip(g, -clip_value, clip_value)``.

    Example:
        >>> inplace.clip_by_value(ag.tensor([-3.0, 0.5, 3.0]), 1.0)
        Tensor([-1. ,  0.5,  1. ])
    """
    g = _raw(grad)
    c = _scalar(clip_value, g.dtype)
    return Tensor(np.clip(g, -c, c))


def flush_subnormals(tensors):
    """Set subnormal (denormal) entries of floating tensors to zero in place, as TensorFlow's CPU kernels do.

    Example:
        >>> m = ag.tensor(np.array([1e-39, 0.5], np.float32)); inplace.flush_subnormals([m]); m
        Tensor([0. , 0.5], dtype=float32)
    """
    # NOTE: optimizer slots decay geometrically where a weight gets no gradient (a dead relu unit): Adam's m
    # by 0.9 a step reaches float32's subnormal range after ~750 steps, and x86 arithmetic on subnormals is
    # ~10x slower (measured: one Adam update of a 784x256 weight, 0.6 ms -> 7.4 ms). TensorFlow runs with
    # flush-to-zero, so zeroing them also keeps our numbers where tf.keras's are (the difference is below
    # float32's smallest normal number). Multiplying by a keep-mask is the fast way (a masked copyto is ~10x
    # slower when many entries are exactly zero).
    for t in tensors:
        d = t.data
        if d.dtype.kind != "f" or d.size == 0:
            continue
        keep = np.greater_equal(np.abs(d), np.finfo(d.dtype).tiny)
        np.multiply(d, keep, out=d)
