"""``kerasfront.distribute``: data-parallel training over processes and machines, with ``tf.distribute``'s API.

``MultiWorkerMirroredStrategy`` (and ``MirroredStrategy``, its one-machine case) run on MPI through mpi4py
(``pip install "kerasfront[mpi]"``): launch the same script on every worker with ``mpiexec -n 4 python
train.py`` or ``srun``; ``get_strategy()``, ``has_strategy()`` and the default strategy need nothing installed.

Example:
    >>> strategy = kerasfront.distribute.MultiWorkerMirroredStrategy()
    >>> with strategy.scope():
    ...     model = build_model()
    ...     model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> model.fit(x, y, batch_size=256, epochs=5)     # 256: the global batch, shared among the workers
"""
from .distribute_lib import Strategy, get_strategy, has_strategy
from .mirrored import MirroredStrategy, MPIClusterResolver, MultiWorkerMirroredStrategy

__all__ = ["Strategy", "MultiWorkerMirroredStrategy", "MirroredStrategy", "MPIClusterResolver", "get_strategy",
           "has_strategy"]
