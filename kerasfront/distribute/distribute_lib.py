"""The strategy base, the default (one-process) strategy and the scope stack, spelled as ``tf.distribute``.

``get_strategy()`` is the strategy whose ``scope()`` is open, or the default strategy (one replica, nothing to
install); ``has_strategy()`` says whether a non-default one is open. A model compiled inside a scope keeps that
strategy for ``fit``, ``evaluate`` and ``predict``.

Example:
    >>> strategy = kerasfront.distribute.get_strategy()
    >>> strategy.num_replicas_in_sync, kerasfront.distribute.has_strategy()
    (1, False)
"""
import contextlib
import threading

__all__ = ["Strategy", "get_strategy", "has_strategy"]

_STACK = threading.local()


def _stack():
    stack = getattr(_STACK, "value", None)
    if stack is None:
        stack = _STACK.value = []
    return stack


class _DefaultClusterResolver:
    """One task, ``worker`` 0: what the default strategy reports."""

    task_type = "worker"
    task_id = 0
    rpc_layer = None
    environment = ""

    def cluster_spec(self):
        return {"worker": ["localhost"]}

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {}


class Strategy:
    """What every strategy offers: ``scope()``, ``num_replicas_in_sync``, ``cluster_resolver``.

    Custom training loops (``run``, ``experimental_distribute_dataset``, ``reduce``) are not provided: data
    parallelism happens inside ``Model.fit``, ``evaluate`` and ``predict``.

    Example:
        >>> with strategy.scope():
        ...     model = build_model()
        ...     model.compile(optimizer="adam", loss="mse")
    """

    def __init__(self):
        self._cluster_resolver = _DefaultClusterResolver()

    # -- what tf.distribute spells ------------------------------------------------------------------------
    @property
    def num_replicas_in_sync(self):
        """How many replicas take a share of every global batch (1 here)."""
        return 1

    @property
    def cluster_resolver(self):
        """``task_type`` (``"worker"``) and ``task_id`` (this process's rank) of this worker."""
        return self._cluster_resolver

    @property
    def extended(self):
        return self

    @property
    def should_checkpoint(self):
        """True on the worker that writes checkpoints (worker 0, the chief)."""
        return self._is_chief

    should_save_summary = should_checkpoint

    @property
    def _is_chief(self):
        return True

    def scope(self):
        """A context in which models (and their compile) belong to this strategy.

        Example:
            >>> with strategy.scope():
            ...     model.compile(optimizer="sgd", loss="mse")
        """
        return _scope(self)

    def _not_provided(self, what):
        raise NotImplementedError(f"{type(self).__name__}.{what}: custom training loops are not provided; kerasfront "
                                  f"distributes Model.fit, evaluate and predict (compile the model inside "
                                  f"strategy.scope() and call fit)")

    def run(self, fn, args=(), kwargs=None, options=None):
        self._not_provided("run")

    def experimental_distribute_dataset(self, dataset, options=None):
        self._not_provided("experimental_distribute_dataset")

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        self._not_provided("distribute_datasets_from_function")

    def experimental_distribute_values_from_function(self, value_fn):
        self._not_provided("experimental_distribute_values_from_function")

    def reduce(self, reduce_op, value, axis):
        self._not_provided("reduce")

    def gather(self, value, axis):
        self._not_provided("gather")

    def experimental_local_results(self, value):
        self._not_provided("experimental_local_results")

    # -- the seam for training (kerasfront.distribute.data_parallel) ---------------------------------------
    def _data_parallel(self, model):
        """The helper ``fit``/``evaluate``/``predict`` use, or None when there is one replica."""
        return None

    def __repr__(self):
        return f"<kerasfront.distribute.{type(self).__name__} num_replicas_in_sync={self.num_replicas_in_sync}>"


class _DefaultStrategy(Strategy):
    """The strategy in effect when no scope is open: one replica, this process."""


_DEFAULT = _DefaultStrategy()


@contextlib.contextmanager
def _scope(strategy):
    stack = _stack()
    if stack and stack[-1] is not strategy and not isinstance(strategy, _DefaultStrategy):
        raise ValueError(f"Mixing different tf.distribute.Strategy objects: {strategy!r} is not {stack[-1]!r}: close "
                         f"the scope of the first strategy before opening another's")
    stack.append(strategy)
    try:
        yield strategy
    finally:
        stack.pop()


def get_strategy():
    """The strategy whose ``scope()`` is open, else the default strategy (one replica).

    Example:
        >>> with strategy.scope():
        ...     assert kerasfront.distribute.get_strategy() is strategy
    """
    stack = _stack()
    return stack[-1] if stack else _DEFAULT


def has_strategy():
    """True inside the ``scope()`` of a strategy other than the default one.

    Example:
        >>> kerasfront.distribute.has_strategy()
        False
    """
    stack = _stack()
    return bool(stack) and not isinstance(stack[-1], _DefaultStrategy)

