"""The light callbacks: History, ProgbarLogger, LambdaCallback, EarlyStopping, CSVLogger, ReduceLROnPlateau,
LearningRateScheduler, TerminateOnNaN, RemoteMonitor, BaseLogger.

Example:
    >>> stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
"""
import collections
import csv
import inspect
import math
import os
import warnings

import numpy as np

import autograd as ag

from ..utils.progbar import Progbar
from .base import Callback, _get_lr, _print, _process_logs, _set_lr, _to_python


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]`` is one value per epoch; ``history.epoch``
    lists the epoch indices. ``fit`` returns it and sets ``model.history``.

    Example:
        >>> history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
        >>> history.epoch, sorted(history.history)
        ([0, 1, 2], ['loss', 'val_loss'])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints Keras's progress: ``Epoch 1/5`` then ``32/32 [====...] - 0s 4ms/step - loss: 0.1234``.

    ``verbose=1`` draws the bar (redrawn in place on a terminal; elsewhere the final state of each
    epoch's bar is printed once); ``verbose=2`` prints one line per epoch. ``Epoch i/N`` is printed when
    there is more than one epoch, as in tf.keras.

    Args:
        count_mode: ``"steps"`` (what fit uses) or ``"samples"``.
        stateful_metrics: names displayed as given; every logged value is already a running result in
            fit and evaluate, so all of them are shown as given.

    Example:
        >>> model.fit(x, y, epochs=2)        # verbose="auto": fit adds a ProgbarLogger itself
        Epoch 1/2
        4/4 [==============================] - 0s 2ms/step - loss: 0.6934
    """

    def __init__(self, count_mode="samples", stateful_metrics=None):
        super().__init__()
        if count_mode not in ("samples", "steps"):
            raise ValueError(f'ProgbarLogger(count_mode=...): expected "samples" or "steps", received '
                             f'{count_mode!r}')
        self.use_steps = count_mode == "steps"
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._call_batch_hooks = True
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        if self.use_steps and params.get("steps") is not None:
            self.target = params["steps"]
        elif not self.use_steps and params.get("samples") is not None:
            self.target = params["samples"]
        else:
            self.target = None
        self._call_batch_hooks = self.verbose == 1

    def _implements_train_batch_hooks(self):
        return self._call_batch_hooks

    def _implements_test_batch_hooks(self):
        return self._call_batch_hooks

    def _implements_predict_batch_hooks(self):
        return self._call_batch_hooks

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            _print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._batch_update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(None)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, stateful_metrics=self.stateful_metrics,
                                   unit_name="step" if self.use_steps else "sample")

    def _items(self, logs):
        # NOTE: an array value (F1Score(average=None)) shows its mean, as in tf.keras.
        items = [(k, v) for k, v in _process_logs(logs).items() if not isinstance(v, (list, dict))]
        self.progbar._update_stateful_metrics({k for k, _ in items})
        return items

    def _batch_update_progbar(self, batch, logs=None):
        logs = dict(logs or {})
        self._maybe_init_progbar()
        if self.use_steps:
            self.seen = batch + 1
        else:
            size = logs.pop("size", 0)
            num_steps = logs.pop("num_steps", 1)
            logs.pop("batch", None)
            self.seen += num_steps * size
        if self.verbose == 1:
            self.progbar.update(self.seen, self._items(logs), finalize=False)

    def _finalize_progbar(self, logs):
        if self.verbose == 0:
            return
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        logs = dict(logs or {})
        for k in ("size", "num_steps", "batch", "outputs"):
            logs.pop(k, None)
        self.progbar.update(self.target, self._items(logs), finalize=True)


class LambdaCallback(Callback):
    """A callback from plain functions, called positionally as in Keras:
    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_batch_begin(batch, logs)``,
    ``on_batch_end(batch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``; other hooks
    (``on_test_begin=...``) may be given as keyword arguments too.

    Example:
        >>> LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    _HOOKS = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_begin", "on_train_end",
              "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin",
              "on_test_batch_end", "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
              "on_predict_batch_end")

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_batch_begin=on_batch_begin,
                     on_batch_end=on_batch_end, on_train_begin=on_train_begin, on_train_end=on_train_end)
        for k, v in kwargs.items():
            if k not in self._HOOKS:
                raise TypeError(f"LambdaCallback: unexpected argument {k!r}; expected hook names such as "
                                f"on_epoch_end, on_batch_end, on_train_begin")
            hooks[k] = v
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback({name}=...): expected a callable, received {fn!r}")
            setattr(self, name, fn)


def _monitor_mode(mode, monitor, who):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{who} mode {mode} is unknown, fallback to auto mode.", stacklevel=3)
        mode = "auto"
    return mode


class EarlyStopping(Callback):
    """Stop training (``model.stop_training = True``) when ``monitor`` stops improving.

    Args:
        monitor: the logged quantity (``"val_loss"``).
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when stopping and restoring.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for names ending in acc/accuracy/auc).
        baseline: the monitored value must beat this to reset the patience counter.
        restore_best_weights: put back the weights of the best epoch at the end.
        start_from_epoch: epochs to wait before monitoring.

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> history = model.fit(x, y, epochs=100, validation_split=0.2, callbacks=[stop], verbose=0)
        >>> len(history.epoch) < 100         # stopped once val_loss had not improved for 3 epochs
        True
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping(patience=...): expected a non-negative integer, received {patience!r}")
        self.monitor = monitor
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        mode = _monitor_mode(mode, monitor, "EarlyStopping")
        if mode == "min":
            self.monitor_op = np.less
        elif mode == "max":
            self.monitor_op = np.greater
        elif monitor.endswith("acc") or monitor.endswith("accuracy") or monitor.endswith("auc"):
            self.monitor_op = np.greater
        else:
            self.monitor_op = np.less
        if self.monitor_op is np.less:
            self.min_delta *= -1
        self.best = np.inf if self.monitor_op is np.less else -np.inf
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value from ``logs`` (None, with a warning, when it is missing)."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. Available "
                          f"metrics are: {','.join(logs.keys())}", stacklevel=2)
        return value

    def _is_improvement(self, monitor_value, reference_value):
        return self.monitor_op(monitor_value - self.min_delta, reference_value)


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: an ``epoch`` column, then the log keys sorted.

    Args:
        filename: the CSV path.
        separator: the field separator (``","``).
        append: append to an existing file (the header is written only if it is empty).

    Example:
        >>> model.fit(x, y, epochs=3, callbacks=[CSVLogger("training.csv")], verbose=0)
        >>> open("training.csv").readline()      # val_ columns too, as in tf.keras (NA without validation)
        'epoch,loss,val_loss\n'
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"CSVLogger(filename=...): expected a path string, received {filename!r}")
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = _process_logs(logs or {})

        def handle_value(k):
            if isinstance(k, str):
                return k
            if isinstance(k, collections.abc.Iterable) and not (isinstance(k, np.ndarray) and k.ndim == 0):
                return f'"[{", ".join(map(str, k))}]"'
            return k

        if self.keys is None:
            self.keys = sorted(logs.keys())
            if not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(["val_" + k for k in self.keys])
        if self.writer is None:
            sep = self.sep

            class _Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=_Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    Adds ``lr`` to each epoch's logs, as tf.keras does.

    Args:
        monitor, mode, min_delta: what counts as an improvement (mode auto: max when "acc" is in the name).
        factor: the multiplier (< 1).
        patience: epochs without improvement before reducing.
        cooldown: epochs to wait after a reduction.
        min_lr: the lower bound.

    Example:
        >>> reduce = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5)
        >>> model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[reduce], verbose=0)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Got {factor}")
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected argument(s) {sorted(kwargs)}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0
        self.mode = mode
        self.monitor_op = None
        self._reset()

    def _reset(self):
        self.mode = _monitor_mode(self.mode, self.monitor, "ReduceLROnPlateau")
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["lr"] = _get_lr(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs.keys())}", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(self.model.optimizer)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _set_lr(self.model.optimizer, new_lr)
                    if self.verbose > 0:
                        _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


def _positional_arity(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return 2
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (or ``schedule(epoch)``).

    Adds ``lr`` to each epoch's logs.

    Example:
        >>> LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler(schedule=...): expected a callable, received {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = _get_lr(optimizer)
        arity = _positional_arity(self.schedule)
        if arity is None:
            try:
                new_lr = self.schedule(epoch, lr)
            except TypeError:  # a schedule of the epoch only (old Keras style)
                new_lr = self.schedule(epoch)
        else:
            new_lr = self.schedule(epoch, lr) if arity >= 2 else self.schedule(epoch)
        if isinstance(new_lr, ag.Tensor):
            if new_lr.dtype.kind != "f" or new_lr.size != 1:
                raise ValueError(f"The dtype of `lr` Tensor should be float. Got: {new_lr.dtype}")
            new_lr = float(new_lr.data)
        if isinstance(new_lr, bool) or not isinstance(new_lr, (float, np.floating)):
            raise ValueError(f'The output of the "schedule" function should be float. Got: {new_lr!r}')
        if not math.isfinite(new_lr):
            raise ValueError(f'The output of the "schedule" function should be a finite float. Got: {new_lr!r}')
        _set_lr(optimizer, new_lr)
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = _get_lr(self.model.optimizer)


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite (and say which batch).

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])   # stops at the first batch with a NaN loss
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = _to_python(loss)
        if np.isnan(loss) or np.isinf(loss):
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class RemoteMonitor(Callback):
    """POST each epoch's logs to a server as JSON (tf.keras's ``RemoteMonitor``), with the standard library's
    ``urllib`` (tf.keras uses ``requests``).

    The request goes to ``root + path``: with ``send_as_json`` the body is the JSON of ``{"epoch": ..., logs}``,
    otherwise a form with ``field`` set to that JSON. A server that cannot be reached gives a warning, not an
    error, and training goes on.

    Args:
        root: the server's root URL (``http://localhost:9000``).
        path: the path the data goes to (``/publish/epoch/end/``).
        field: the form field holding the JSON (when not ``send_as_json``).
        headers: extra HTTP headers (a dict).
        send_as_json: send the body as ``application/json``.

    Example:
        >>> monitor = RemoteMonitor(root="http://localhost:9000", send_as_json=True)
        >>> model.fit(x, y, epochs=3, callbacks=[monitor])             # doctest: +SKIP
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):
        super().__init__()
        for arg, value in (("root", root), ("path", path), ("field", field)):
            if not isinstance(value, str):
                raise TypeError(f"RemoteMonitor({arg}=...): expected a string, received {value!r}")
        if headers is not None and not isinstance(headers, dict):
            raise TypeError(f"RemoteMonitor(headers=...): expected a dict or None, received {headers!r}")
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        import json
        import urllib.error
        import urllib.parse
        import urllib.request
        send = {"epoch": epoch}
        for k, v in (logs or {}).items():
            if isinstance(v, ag.Tensor):
                v = v.data
            send[k] = v.item() if isinstance(v, (np.ndarray, np.generic)) and np.size(v) == 1 else \
                (v.tolist() if isinstance(v, np.ndarray) else v)
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Warning: could not reach RemoteMonitor root server at {self.root}", stacklevel=2)


class BaseLogger(Callback):
    """Average the batch logs over each epoch (tf.keras's ``BaseLogger``; ``fit`` already logs these means).

    Values named in ``stateful_metrics`` are taken as they are at the epoch's last batch instead.

    Example:
        >>> model.fit(x, y, epochs=2, callbacks=[BaseLogger()])          # doctest: +SKIP
    """

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        batch_size = logs.get("size", 0)
        num_steps = logs.get("num_steps", 1)
        self.seen += batch_size * num_steps
        for k, v in logs.items():
            if k in self.stateful_metrics:
                self.totals[k] = v
            elif k in self.totals:
                self.totals[k] += v * batch_size
            else:
                self.totals[k] = v * batch_size

    def on_epoch_end(self, epoch, logs=None):
        # NOTE: fit's batch logs carry no "size" (they already hold running means, as in tf.keras 2): with nothing
        # counted, the epoch logs are left as they are.
        if logs is None or not self.seen:
            return
        names = (self.params or {}).get("metrics", list(self.totals))
        for k in names:
            if k not in self.totals or k in ("size", "batch", "num_steps"):
                continue
            logs[k] = self.totals[k] if k in self.stateful_metrics else self.totals[k] / max(self.seen, 1)
