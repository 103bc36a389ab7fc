"""Enqueuers: read batches ahead of training, in worker threads or processes, from a ``Sequence`` or a generator.

``fit`` / ``evaluate`` / ``predict`` use them for ``workers > 1`` (threads) or ``use_multiprocessing=True``
(processes), with up to ``max_queue_size`` batches read ahead, as tf.keras does.

- ``OrderedEnqueuer(sequence, use_multiprocessing=False, shuffle=False)``: batches come out in index order (a
  new random order each epoch with ``shuffle``), however many workers read them; after each epoch it calls
  ``sequence.on_epoch_end()`` (and, with processes, hands the updated sequence to a new pool).
- ``GeneratorEnqueuer(generator, use_multiprocessing=False, random_seed=None)``: workers call ``next`` on the
  generator. With threads the generator must be thread-safe; with processes each process has its own copy of
  it, so batches may repeat (a ``Sequence`` is the safe way to use processes).

Example:
    >>> enqueuer = OrderedEnqueuer(my_sequence, use_multiprocessing=False)
    >>> enqueuer.start(workers=4, max_queue_size=10)
    >>> batches = enqueuer.get()          # an endless generator, epoch after epoch
    >>> x, y = next(batches)
    >>> enqueuer.stop()
"""
import multiprocessing
import multiprocessing.pool
import queue
import random
import threading

import numpy as np

__all__ = ["GeneratorEnqueuer", "OrderedEnqueuer", "SequenceEnqueuer"]

# What a worker process reads from: set by the pool's initializer (inherited on fork, pickled on spawn).
_WORKER_SOURCE = None


def _init_worker(source, random_seed=None):
    global _WORKER_SOURCE
    _WORKER_SOURCE = source
    if random_seed is not None:
        np.random.seed((random_seed + multiprocessing.current_process().ident) % (2 ** 32))


def _worker_getitem(index):
    return _WORKER_SOURCE[index]


def _worker_next():
    return next(_WORKER_SOURCE)


def _check_start_args(workers, max_queue_size):
    for name, value, minimum in (("workers", workers, 1), ("max_queue_size", max_queue_size, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"start({name}=...): expected an int >= {minimum}, received {value!r}")


class SequenceEnqueuer:
    """Base class: a producer thread keeps a bounded queue of pending batches that ``get()`` yields from.

    Subclasses implement ``_produce()`` (the producer loop) and ``get()``.

    Example:
        >>> enqueuer.start(workers=2, max_queue_size=4); enqueuer.is_running()
        True
    """

    def __init__(self, sequence, use_multiprocessing=False):
        self.sequence = sequence
        self.use_multiprocessing = bool(use_multiprocessing)
        self.workers = 0
        self.queue = None
        self.stop_signal = None
        self.run_thread = None
        self._pool = None

    def is_running(self):
        """True between ``start()`` and ``stop()``."""
        return self.stop_signal is not None and not self.stop_signal.is_set()

    def start(self, workers=1, max_queue_size=10):
        """Start ``workers`` threads (or processes) keeping up to ``max_queue_size`` batches ready."""
        _check_start_args(workers, max_queue_size)
        if self.is_running():
            raise RuntimeError(f"{type(self).__name__}.start(): already running; call stop() first")
        self.workers = int(workers)
        self.queue = queue.Queue(int(max_queue_size))
        self.stop_signal = threading.Event()
        self._pool = self._make_pool()
        self.run_thread = threading.Thread(target=self._run_guarded, daemon=True,
                                           name=f"kerasfront-{type(self).__name__}")
        self.run_thread.start()

    def _make_pool(self, source=None):
        if self.use_multiprocessing:
            return multiprocessing.Pool(self.workers, initializer=_init_worker,
                                        initargs=self._init_args(source))
        return multiprocessing.pool.ThreadPool(self.workers)

    def _init_args(self, source):
        return (self.sequence if source is None else source,)

    def _run_guarded(self):
        try:
            self._produce()
        except Exception as e:        # surface producer failures to the consumer
            if not self.stop_signal.is_set():
                self._put(_Failed(e))

    def _put(self, item):
        """Put into the bounded queue, giving up when stopped."""
        while not self.stop_signal.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _take(self):
        """The next pending item, waiting for it; None once stopped."""
        while self.is_running():
            try:
                return self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
        return None

    def stop(self, timeout=None):
        """Stop the workers and the producer; pending batches are dropped."""
        if self.stop_signal is None:
            return
        self.stop_signal.set()
        while True:            # unblock a producer waiting on a full queue or on queue.join()
            try:
                self.queue.get_nowait()
                self.queue.task_done()
            except queue.Empty:
                break
            except ValueError:
                break
        if self.run_thread is not None and self.run_thread is not threading.current_thread():
            self.run_thread.join(timeout)
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self.run_thread = None

    def __del__(self):
        try:
            if self.is_running():
                self.stop(timeout=1.0)
        except Exception:
            pass

    def _produce(self):
        raise NotImplementedError

    def get(self):
        raise NotImplementedError


class _Failed:
    """A producer-side exception passed through the queue."""

    def __init__(self, error):
        self.error = error


class OrderedEnqueuer(SequenceEnqueuer):
    """Reads a ``Sequence``'s batches ahead, in order (see the module docstring).

    Args:
        sequence: a ``kerasfront.utils.Sequence``.
        use_multiprocessing: worker processes instead of threads (the sequence must survive being copied into
            them: inherited on Linux, pickled where processes are spawned).
        shuffle: visit the batches in a new random order each epoch.

    Example:
        >>> enqueuer = OrderedEnqueuer(seq, shuffle=False); enqueuer.start(workers=2)
        >>> first_epoch = [next(enqueuer.get()) for _ in range(len(seq))]; enqueuer.stop()
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        super().__init__(sequence, use_multiprocessing)
        self.shuffle = bool(shuffle)

    def _fetch(self, index):
        if self.use_multiprocessing:
            return self._pool.apply_async(_worker_getitem, (index,))
        return self._pool.apply_async(self.sequence.__getitem__, (index,))

    def _produce(self):
        while not self.stop_signal.is_set():
            order = list(range(len(self.sequence)))
            if self.shuffle:
                random.shuffle(order)
            for index in order:
                if not self._put(self._fetch(index)):
                    return
            # every batch of the epoch has been handed out before the sequence may change
            while not self.stop_signal.is_set():
                with self.queue.all_tasks_done:
                    if not self.queue.unfinished_tasks:
                        break
                    self.queue.all_tasks_done.wait(0.1)
            if self.stop_signal.is_set():
                return
            self.sequence.on_epoch_end()
            if self.use_multiprocessing:       # the workers hold a copy: give them the updated sequence
                old, self._pool = self._pool, self._make_pool()
                old.close()
                old.join()

    def get(self):
        """An endless generator of batches, epoch after epoch, in order."""
        while self.is_running():
            item = self._take()
            if item is None:
                return
            if isinstance(item, _Failed):
                self.stop()
                raise item.error
            try:
                batch = item.get()
            except Exception:
                self.stop()
                raise
            self.queue.task_done()
            yield batch


class GeneratorEnqueuer(SequenceEnqueuer):
    """Reads a generator's batches ahead with several workers (see the module docstring).

    Args:
        generator: a generator (thread-safe when ``workers > 1`` threads read it).
        use_multiprocessing: worker processes instead of threads (each has its own copy of the generator).
        random_seed: seeds numpy in each worker process (offset by its process id).

    Example:
        >>> enqueuer = GeneratorEnqueuer(batches()); enqueuer.start(workers=1)
        >>> x, y = next(enqueuer.get()); enqueuer.stop()
    """

    def __init__(self, generator, use_multiprocessing=False, random_seed=None):
        super().__init__(generator, use_multiprocessing)
        self.random_seed = random_seed

    def _init_args(self, source):
        return (self.sequence, self.random_seed)

    def _produce(self):
        while not self.stop_signal.is_set():
            if self.use_multiprocessing:
                future = self._pool.apply_async(_worker_next)
            else:
                future = self._pool.apply_async(next, (self.sequence,))
            if not self._put(future):
                return

    def get(self):
        """Batches until the generator ends."""
        while self.is_running():
            item = self._take()
            if item is None:
                return
            if isinstance(item, _Failed):
                self.stop()
                raise item.error
            try:
                batch = item.get()
            except StopIteration:
                self.stop()
                return
            except ValueError as e:
                self.stop()
                if "generator already executing" in str(e):
                    raise RuntimeError("Your generator is NOT thread-safe: several worker threads called next() on "
                                       "it at once. Keras requires a thread-safe generator when "
                                       "`use_multiprocessing=False, workers > 1`; use workers=1, or a "
                                       "kerasfront.utils.Sequence") from e
                raise
            except Exception:
                self.stop()
                raise
            self.queue.task_done()
            yield batch
