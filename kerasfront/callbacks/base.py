"""The callback base class and the list the training loop calls: ``Callback`` and ``CallbackList``.

``CallbackList`` is what the training loop uses: it wraps the user's callbacks, adds ``History`` and
``ProgbarLogger`` when asked, hands every callback the model and the params, and calls each hook on each
callback (batch hooks only when some callback implements them, so an unused hook costs nothing).

Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
"""


import numpy as np

import autograd as ag

from ..utils.io_utils import print_msg


def _print(message):
    print_msg(message)


def _to_python(value):
    """A Tensor or numpy scalar in logs becomes a Python float (arrays become numpy arrays)."""
    if isinstance(value, ag.Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _process_logs(logs):
    if not logs:
        return {} if logs is None else logs
    for k, v in logs.items():
        if isinstance(v, (ag.Tensor, np.ndarray, np.generic)):
            return {k2: _to_python(v2) for k2, v2 in logs.items()}
    return logs


def _get_lr(optimizer):
    lr = getattr(optimizer, "learning_rate", None)
    if lr is None:
        lr = getattr(optimizer, "lr", None)
    if lr is None:
        raise ValueError('Optimizer must have a "learning_rate" (or "lr") attribute.')
    return float(lr.data if isinstance(lr, ag.Tensor) else lr)


def _set_lr(optimizer, value):
    current = getattr(optimizer, "learning_rate", None)
    if isinstance(current, ag.Tensor):
        ag.assign(current, np.asarray(value, dtype=current.dtype))
    else:
        optimizer.learning_rate = float(value)


class Callback:
    """Base class: override the hooks you need; each receives Keras's arguments.

    Hooks: ``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
    ``on_train_batch_begin/end(batch, logs)`` (alias ``on_batch_begin/end``),
    ``on_test_begin/end(logs)``, ``on_test_batch_begin/end(batch, logs)``, ``on_predict_begin/end(logs)``,
    ``on_predict_batch_begin/end(batch, logs)``. ``self.model`` and ``self.params`` are set before training.

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, logs["loss"])
    """

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}

    def set_params(self, params):
        """Receive the training parameters (``verbose``, ``epochs``, ``steps``)."""
        self.params = params

    def set_model(self, model):
        """Receive the model being trained."""
        self.model = model

    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin`` (kept for Keras 1 callbacks)."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with the epoch's metrics (``val_*`` included)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch with the running metrics."""
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch in ``evaluate`` (and validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch in ``evaluate`` (and validation)."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch in ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch in ``predict`` (``logs["outputs"]`` holds the batch's outputs)."""

    def on_train_begin(self, logs=None):
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called once at the end of ``fit``."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` (and of each validation run)."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` (and of each validation run)."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""

    def _overrides(self, *names):
        cls = type(self)
        for name in names:
            if name in self.__dict__:  # set on the instance (LambdaCallback)
                return True
            if getattr(cls, name, None) is not getattr(Callback, name):
                return True
        return False

    def _implements_train_batch_hooks(self):
        return self._overrides("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")

    def _implements_test_batch_hooks(self):
        return self._overrides("on_test_batch_begin", "on_test_batch_end")

    def _implements_predict_batch_hooks(self):
        return self._overrides("on_predict_batch_begin", "on_predict_batch_end")


class CallbackList:
    """A container calling every hook on every callback, as the training loop needs.

    Args:
        callbacks: a list of Callback objects (or None).
        add_history: add a ``History`` unless one is in the list (it becomes ``model.history``).
        add_progbar: add a ``ProgbarLogger(count_mode="steps")`` unless one is in the list.
        model: the model to hand to every callback.
        **params: ``verbose``, ``epochs``, ``steps``, ... handed to ``set_params``.

    Example:
        >>> cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
        ...                    verbose=verbose, epochs=epochs, steps=steps_per_epoch)
        >>> cbs.on_train_begin()
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, CallbackList):
            callbacks = list(callbacks.callbacks)
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        else:
            callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected kerasfront.callbacks.Callback objects, received "
                                f"{type(cb).__name__} ({cb!r}); subclass Callback or use LambdaCallback")
        self.callbacks = callbacks
        self._add_default_callbacks(add_history, add_progbar)
        self.model = None
        self.params = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._refresh_hook_flags()

    def _add_default_callbacks(self, add_history, add_progbar):
        from .basic import History, ProgbarLogger
        self._progbar = None
        self._history = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger(count_mode="steps")
            self.callbacks.append(self._progbar)

    def _refresh_hook_flags(self):
        self._train_batch = any(cb._implements_train_batch_hooks() for cb in self.callbacks)
        self._test_batch = any(cb._implements_test_batch_hooks() for cb in self.callbacks)
        self._predict_batch = any(cb._implements_predict_batch_hooks() for cb in self.callbacks)

    def append(self, callback):
        """Add a callback (it gets the model and params already set)."""
        if not isinstance(callback, Callback):
            raise TypeError(f"CallbackList.append: expected a Callback, received {type(callback).__name__}")
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._refresh_hook_flags()

    def set_params(self, params):
        """Hand ``params`` to every callback."""
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)
        self._refresh_hook_flags()

    def set_model(self, model):
        """Hand ``model`` to every callback; the History (if any) becomes ``model.history``."""
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def _each(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    # batch hooks (skipped when no callback implements them)
    def on_batch_begin(self, batch, logs=None):
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        if self._train_batch:
            self._each("on_train_batch_begin", batch, _process_logs(logs))

    def on_train_batch_end(self, batch, logs=None):
        if self._train_batch:
            self._each("on_train_batch_end", batch, _process_logs(logs))

    def on_test_batch_begin(self, batch, logs=None):
        if self._test_batch:
            self._each("on_test_batch_begin", batch, _process_logs(logs))

    def on_test_batch_end(self, batch, logs=None):
        if self._test_batch:
            self._each("on_test_batch_end", batch, _process_logs(logs))

    def on_predict_batch_begin(self, batch, logs=None):
        if self._predict_batch:
            self._each("on_predict_batch_begin", batch, logs if logs is not None else {})

    def on_predict_batch_end(self, batch, logs=None):
        if self._predict_batch:
            self._each("on_predict_batch_end", batch, logs if logs is not None else {})

    # epoch and run hooks
    def on_epoch_begin(self, epoch, logs=None):
        self._each("on_epoch_begin", epoch, _process_logs(logs))

    def on_epoch_end(self, epoch, logs=None):
        self._each("on_epoch_end", epoch, _process_logs(logs))

    def on_train_begin(self, logs=None):
        self._each("on_train_begin", _process_logs(logs))

    def on_train_end(self, logs=None):
        self._each("on_train_end", _process_logs(logs))

    def on_test_begin(self, logs=None):
        self._each("on_test_begin", _process_logs(logs))

    def on_test_end(self, logs=None):
        self._each("on_test_end", _process_logs(logs))

    def on_predict_begin(self, logs=None):
        self._each("on_predict_begin", _process_logs(logs))

    def on_predict_end(self, logs=None):
        self._each("on_predict_end", _process_logs(logs))
