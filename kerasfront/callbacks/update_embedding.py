"""``callbacks.experimental.UpdateEmbeddingCallback``, as tf.keras 2.21: rebuild a ``DynamicEmbedding``'s
vocabulary every ``interval`` seconds while ``fit`` runs, and zero the optimizer's slots of its embeddings
(tf.keras: "any existing slot variables associated with the optimizer will likely be discarded").

It is a ``utils.TimedThread`` and a ``Callback`` at once, used as in tf.keras::

    callback = UpdateEmbeddingCallback(model.layers[0], interval=60)
    with callback:                         # starts the timer thread (stops it on leaving)
        model.fit(x, y, callbacks=[callback])

How the timer meets the training loop (where kerasfront differs from tf.keras on purpose): tf.keras's timer
thread updates the layer and the optimizer itself, under a ``tf.CriticalSection``, at whatever moment it
fires. Here the timer thread never touches the model: each tick only marks an update as due (a
``threading.Event``), and the thread running ``fit`` carries it out at the end of the next training batch,
after the optimizer's step. So no step sees a half-rebuilt vocabulary or a matrix being remapped, nothing
needs a lock, and the result depends on the clock only through *which* batch end the update lands on. Ticks
while no ``fit`` runs (the first one comes as the thread starts) wait for the first batch of the next one.

For updates at chosen steps (tests, exact reruns), leave the thread unstarted and call ``on_interval()``
yourself: called from any thread other than the timer's, it updates at once, e.g. every 100 batches::

    every_100 = kerasfront.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batch % 100 == 99 and callback.on_interval())

The optimizer variables zeroed are those of the layer's embedding matrix (its Adam ``m``/``v``, ...), matched
by the matrix's name as tf.keras matches ``"dynamic_embedding"`` in theirs. Under a multi-worker strategy each
worker would rebuild its own vocabulary from its own share of the data, so the callback refuses to run there
(tf.keras sums the workers' tables under ``ParameterServerStrategy``; kerasfront has no such strategy).

Example:
    >>> callback = UpdateEmbeddingCallback(model.get_layer("dynamic_embedding"), interval=1)
    >>> with callback:
    ...     model.fit(train_data, train_labels, epochs=100, batch_size=1, callbacks=[callback])
"""
import logging
import threading

import numpy as np

from ..utils.timed_threads import TimedThread
from .base import Callback

__all__ = ["UpdateEmbeddingCallback"]


class UpdateEmbeddingCallback(TimedThread, Callback):
    """Update a ``DynamicEmbedding``'s vocabulary and embeddings every ``interval`` seconds of training.

    Args:
        dynamic_embedding_layer: the ``layers.experimental.DynamicEmbedding`` to update.
        interval: seconds between updates (a positive number). The first update is due as the thread starts.

    Example:
        >>> callback = UpdateEmbeddingCallback(layer, interval=30)
        >>> with callback:
        ...     model.fit(x, y, epochs=10, callbacks=[callback])
    """

    def __init__(self, dynamic_embedding_layer, interval):
        from ..layers.experimental.dynamic_embedding import DynamicEmbedding
        if not isinstance(dynamic_embedding_layer, DynamicEmbedding):
            raise TypeError(f"UpdateEmbeddingCallback(dynamic_embedding_layer=...): expected a "
                            f"layers.experimental.DynamicEmbedding, received {type(dynamic_embedding_layer).__name__}")
        self._epoch = 0
        TimedThread.__init__(self, interval)
        Callback.__init__(self)
        self._dynamic_embedding_layer = dynamic_embedding_layer
        self._update_due = threading.Event()
        self.updates = 0        # how many updates were carried out

    # -- the timer's side -----------------------------------------------------------------------------------
    def on_interval(self):
        """Update the layer: at once when called directly; on the timer thread, mark the update as due for the
        thread running ``fit`` (see the module text)."""
        if self.thread is not None and threading.current_thread() is self.thread:
            self._update_due.set()
            return
        self._update()

    # -- the training loop's side ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        dp = self.model._data_parallel() if self.model is not None and hasattr(self.model, "_data_parallel") \
            else None
        if dp is not None and getattr(getattr(dp, "comm", None), "size", 1) > 1:
            raise ValueError("UpdateEmbeddingCallback: training under a multi-worker strategy is not supported "
                             "(each worker would rebuild the vocabulary from its own share of the data); train "
                             "the DynamicEmbedding model in one process")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._update_due.is_set():
            self._update_due.clear()
            self._update()

    def _update(self):
        layer = self._dynamic_embedding_layer
        if not layer.built:
            logging.getLogger("kerasfront").info(
                "UpdateEmbeddingCallback: layer %s is not built yet; nothing to update", layer.name)
            return
        layer.update_embeddings(None)
        self._reset_optimizer()
        self.updates += 1

    def _reset_optimizer(self):
        """Zero the optimizer variables of the layer's embedding matrix (their values no longer match its rows)."""
        optimizer = getattr(self.model, "optimizer", None) if self.model is not None else None
        if optimizer is None:
            return
        variables = optimizer.variables
        variables = variables() if callable(variables) and not isinstance(variables, list) else variables
        path = self._dynamic_embedding_layer.embedding_layer.embeddings.name.rsplit(":", 1)[0]
        for var in variables:
            name = getattr(var, "name", "")
            # NOTE: new optimizers name slots "<opt>/<slot>/<path>:0", legacy ones "<opt>/<path>/<slot>:0"
            if f"/{path}:" in name or f"/{path}/" in name:
                var.assign(np.zeros(var.shape, dtype=var.dtype))
