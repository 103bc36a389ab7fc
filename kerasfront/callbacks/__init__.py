"""Callbacks, as in ``tf.keras.callbacks``: objects whose ``on_*`` hooks ``fit``/``evaluate``/``predict`` call.

One module per heavy callback (``tensorboard``, ``model_checkpoint``, ``backup_and_restore``,
``update_embedding``: ``experimental.UpdateEmbeddingCallback``); the light ones
live in ``basic``, the base class and the list the training loop calls in ``base``. Every name is importable
from ``kerasfront.callbacks`` as before.

Example:
    >>> stop = kerasfront.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    >>> model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[stop])
"""
from .backup_and_restore import BackupAndRestore, BackupDamagedError, experimental
from .base import Callback, CallbackList
from .basic import (BaseLogger, CSVLogger, EarlyStopping, History, LambdaCallback, LearningRateScheduler,
                    ProgbarLogger, ReduceLROnPlateau, RemoteMonitor, TerminateOnNaN)
from .model_checkpoint import ModelCheckpoint
from .tensorboard import TensorBoard
from .update_embedding import UpdateEmbeddingCallback as _UpdateEmbeddingCallback

# tf.keras's callbacks.experimental: the deprecated BackupAndRestore name and UpdateEmbeddingCallback
experimental.UpdateEmbeddingCallback = _UpdateEmbeddingCallback
experimental.__doc__ = "tf.keras's callbacks.experimental: BackupAndRestore, UpdateEmbeddingCallback."

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "LambdaCallback", "EarlyStopping",
           "ModelCheckpoint", "CSVLogger", "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN",
           "BackupAndRestore", "BackupDamagedError", "RemoteMonitor", "BaseLogger", "experimental", "TensorBoard"]
