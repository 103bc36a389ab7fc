"""BackupAndRestore: back up the training state at each epoch end, resume from it when fit starts again (and
``callbacks.experimental.BackupAndRestore``, its deprecated name).

Example:
    >>> model.fit(x, y, epochs=10, callbacks=[BackupAndRestore("/tmp/backup")])
"""
import os
import sys
import tempfile
import time
import types
import warnings
import zlib

import numpy as np

import autograd as ag

from .base import Callback


class BackupDamagedError(ValueError):
    """A ``BackupAndRestore`` backup file that cannot be read back exactly (damaged on disk, or cut short).

    Example:
        >>> issubclass(BackupDamagedError, ValueError)
        True
    """


def _backup_checksum(arrays):
    """CRC-32 over every array's name, dtype, shape and bytes, in name order."""
    crc = 0
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        head = f"{name}|{value.dtype.str}|{value.shape}|".encode("utf-8")
        crc = zlib.crc32(head, crc)
        crc = zlib.crc32(memoryview(value.reshape(-1).view(np.uint8)), crc)
    return f"{crc:08x}"


def _read_backup(path):
    """The arrays of one backup file, checked against the checksum written with them."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as e:  # noqa: BLE001 - whatever a damaged zip raises, it is reported as damage
        raise BackupDamagedError(f"{type(e).__name__}: {e}") from None
    recorded = arrays.pop("checksum", None)
    if recorded is None:
        raise BackupDamagedError("its checksum is missing")
    if str(recorded) != _backup_checksum(arrays):
        raise BackupDamagedError("its contents do not match the checksum written with them")
    for key in ("num_weights", "num_optimizer_variables", "epoch"):
        if key not in arrays or arrays[key].shape != () or arrays[key].dtype.kind not in "iu":
            raise BackupDamagedError(f"'{key}' is missing or not an integer")
    n_w, n_o = int(arrays["num_weights"]), int(arrays["num_optimizer_variables"])
    missing = [k for k in [f"w{i}" for i in range(n_w)] + [f"o{i}" for i in range(n_o)] if k not in arrays]
    if missing:
        raise BackupDamagedError(f"arrays {missing[:4]} are missing")
    return arrays


class BackupAndRestore(Callback):
    """Back up the training state at each epoch end and restore it when ``fit`` starts again.

    The backup (weights, optimizer variables and host state, last finished epoch, the state of
    ``kerasfront.random_state`` so that the resumed epochs shuffle as they would have, a CRC-32 of all of them) is
    one ``.npz`` file in ``backup_dir``, written to a temporary file, flushed to disk and renamed into place.
    The backup it replaces is kept beside it as the previous one, so ``backup_dir`` holds two backups: the
    latest (``training_state.npz``) and the one before (``training_state.previous.npz``). On
    ``on_train_begin`` the latest is read back and checked; if it is damaged, a warning names it and what is
    wrong and the previous one is used (training then repeats one epoch, whose backup replaces the damaged one
    while the good previous one stays); if both are damaged it is an error,
    never a silent start from scratch or from wrong numbers. The epoch to resume from is published as
    ``model._resume_from_epoch`` (fit starts there). With ``delete_checkpoint`` both backups are removed when
    training finishes normally.

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[BackupAndRestore("/tmp/backup")])
    """

    _FILE = "training_state.npz"
    _PREVIOUS = "training_state.previous.npz"
    #: how many backups are kept: the latest and the previous one
    KEPT = 2

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True, save_before_preemption=False):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore(backup_dir=...): an empty backup directory was given")
        if save_freq != "epoch":
            raise NotImplementedError("BackupAndRestore: only save_freq='epoch' is supported")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.save_before_preemption = save_before_preemption
        self._path = os.path.join(self.backup_dir, self._FILE)
        self._previous_path = os.path.join(self.backup_dir, self._PREVIOUS)
        self._latest_damaged = False          # the latest backup was found damaged: never rotate it

    def _optimizer(self):
        return getattr(self.model, "optimizer", None)

    def _optimizer_variables(self):
        opt = self._optimizer()
        return list(getattr(opt, "variables", None) or []) if opt is not None else []

    def _readable_backup(self):
        """``(path, arrays)`` of the newest backup that reads back exactly; warns about each damaged one."""
        damaged = []
        for path in (self._path, self._previous_path):
            if not os.path.exists(path):
                continue
            try:
                arrays = _read_backup(path)
            except BackupDamagedError as e:
                damaged.append(f"'{path}' ({e})")
                continue
            if damaged:
                warnings.warn(f"BackupAndRestore: the latest backup {damaged[0]} is damaged; resuming from the "
                              f"previous backup '{path}' (epoch {int(arrays['epoch']) + 1}) instead", stacklevel=3)
                self._latest_damaged = True
            return path, arrays
        if damaged:
            raise BackupDamagedError(
                f"BackupAndRestore: every backup in '{self.backup_dir}' is damaged: {'; '.join(damaged)}. Training "
                f"cannot resume from them; delete the folder to start again from the beginning.")
        return None, None

    def on_train_begin(self, logs=None):
        self._latest_damaged = False
        path, arrays = self._readable_backup()
        if arrays is None:
            return
        n_w = int(arrays["num_weights"])
        self.model.set_weights([arrays[f"w{i}"] for i in range(n_w)])
        n_o = int(arrays["num_optimizer_variables"])
        opt_vars = self._optimizer_variables()
        if n_o:
            opt = self._optimizer()
            if len(opt_vars) != n_o and hasattr(opt, "build"):
                trainable = getattr(self.model, "trainable_variables", None) or \
                    getattr(self.model, "trainable_weights", [])
                opt.build(list(trainable))
                opt_vars = self._optimizer_variables()
            if len(opt_vars) == n_o:
                for i, v in enumerate(opt_vars):
                    ag.assign(v, arrays[f"o{i}"])
            else:
                warnings.warn(f"BackupAndRestore: the backup '{path}' has {n_o} optimizer variables but the "
                              f"optimizer has {len(opt_vars)}; the optimizer state was not restored", stacklevel=2)
        restore = getattr(self._optimizer(), "set_host_state", None)
        if "optimizer_host_state" in arrays and callable(restore):
            restore(str(arrays["optimizer_host_state"]))
        if "random_state" in arrays:
            from .. import random_state
            random_state.set_state(str(arrays["random_state"]))
        self.model._resume_from_epoch = int(arrays["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        arrays = {f"w{i}": np.asarray(w) for i, w in enumerate(self.model.get_weights())}
        opt_vars = self._optimizer_variables()
        arrays.update({f"o{i}": np.asarray(v.data if isinstance(v, ag.Tensor) else v) for i, v in enumerate(opt_vars)})
        # optimizer state kept in Python (Nadam's momentum-cache product), as JSON text: no pickle
        host_state = getattr(self._optimizer(), "get_host_state", None)
        host = host_state() if callable(host_state) else None
        if host is not None:
            arrays["optimizer_host_state"] = np.array(host)
        from .. import random_state
        arrays["random_state"] = np.array(random_state.get_state())
        arrays.update(num_weights=np.asarray(len(self.model.weights)), epoch=np.asarray(epoch),
                      num_optimizer_variables=np.asarray(len(opt_vars)), saved_at=np.asarray(time.time()))
        arrays["checksum"] = np.array(_backup_checksum(arrays))
        fd, tmp = tempfile.mkstemp(dir=self.backup_dir, suffix=".tmp.npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            if self._latest_damaged:
                self._latest_damaged = False                      # overwritten: the good previous one stays
            elif os.path.exists(self._path):
                os.replace(self._path, self._previous_path)      # the latest becomes the previous backup
            os.replace(tmp, self._path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            for path in (self._path, self._previous_path):
                if os.path.exists(path):
                    os.remove(path)
            try:
                os.rmdir(self.backup_dir)  # only when nothing else is in it
            except OSError:
                pass
        if hasattr(self.model, "_resume_from_epoch"):
            try:
                del self.model._resume_from_epoch
            except AttributeError:
                pass


class _BackupAndRestoreExperimental(BackupAndRestore):
    """``callbacks.experimental.BackupAndRestore``: the deprecated name of ``BackupAndRestore``.

    Example:
        >>> cb = experimental.BackupAndRestore("/tmp/backup")     # doctest: +SKIP
    """

    def __init__(self, *args, **kwargs):
        warnings.warn("`tf.keras.callbacks.experimental.BackupAndRestore` endpoint is deprecated and will be "
                      "removed in a future release. Please use `tf.keras.callbacks.BackupAndRestore`.",
                      DeprecationWarning, stacklevel=2)
        super().__init__(*args, **kwargs)


_BackupAndRestoreExperimental.__name__ = _BackupAndRestoreExperimental.__qualname__ = "BackupAndRestore"

#: ``kerasfront.callbacks.experimental`` (tf.keras's ``callbacks.experimental``: ``BackupAndRestore``).
experimental = types.ModuleType("kerasfront.callbacks.experimental", "tf.keras's callbacks.experimental: BackupAndRestore.")
experimental.BackupAndRestore = _BackupAndRestoreExperimental
sys.modules[experimental.__name__] = experimental
