"""``MultiWorkerMirroredStrategy`` and ``MirroredStrategy``: synchronous data parallelism over MPI processes.

One process is one worker (one replica): ``mpiexec -n 4 python train.py`` (or ``srun``) starts four, on one
machine or several. Every worker holds the whole model; ``fit`` gives each its share of every global batch and
all-reduces the gradients, so that every worker makes the update one process would make on the whole batch.
``MirroredStrategy`` is the one-machine case of the same thing (tf.distribute's name for replicas on one host).

Example:
    >>> strategy = kerasfront.distribute.MultiWorkerMirroredStrategy()
    >>> with strategy.scope():
    ...     model = build_model()
    ...     model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> model.fit(x, y, batch_size=256, epochs=5)      # 256 samples per step over all workers together
"""
import os
import socket

from .communicator import Communicator
from .distribute_lib import Strategy

__all__ = ["MultiWorkerMirroredStrategy", "MirroredStrategy", "MPIClusterResolver"]


class MPIClusterResolver:
    """Where this worker stands in the MPI job: ``task_type`` ``"worker"``, ``task_id`` its rank (0 is the chief).

    Args:
        comm: an ``mpi4py.MPI.Comm`` (default ``MPI.COMM_WORLD``).

    Example:
        >>> resolver = MPIClusterResolver(); resolver.task_type, resolver.task_id
        ('worker', 0)
    """

    task_type = "worker"
    rpc_layer = "mpi"
    environment = ""

    def __init__(self, comm=None):
        self._communicator = Communicator(comm)
        self._hosts = None

    @property
    def task_id(self):
        """This worker's rank in the job."""
        return self._communicator.rank

    @property
    def num_workers(self):
        return self._communicator.size

    def _table(self):
        if self._hosts is None:
            self._hosts = self._communicator.allgather_obj((socket.gethostname(), os.getpid()))
        return self._hosts

    def cluster_spec(self):
        """``{"worker": ["host/pid", ...]}`` in rank order (a collective: every worker calls it together)."""
        return {"worker": [f"{host}/{pid}" for host, pid in self._table()]}

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {}

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        return ""


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous data parallelism over the processes of an MPI job (one replica per process).

    Args:
        cluster_resolver: an ``MPIClusterResolver`` (default: one over ``MPI.COMM_WORLD``).
        communication_options: accepted for tf.distribute's signature; the gradients always travel as one
            MPI ``Allreduce`` per step.

    What is reduced: the gradients (one flat buffer per step, each worker's weighted by its share of the global
    batch), the metrics' state (sums, counts, confusion matrices), the moving statistics of BatchNormalization
    (averaged) and the ``stop_training`` decision. Initial weights come from worker 0; files are written by
    worker 0 only.

    Example:
        >>> strategy = MultiWorkerMirroredStrategy()
        >>> strategy.num_replicas_in_sync, strategy.cluster_resolver.task_id
        (1, 0)
    """

    def __init__(self, cluster_resolver=None, communication_options=None):
        super().__init__()
        if cluster_resolver is None:
            cluster_resolver = MPIClusterResolver()
        if not isinstance(cluster_resolver, MPIClusterResolver):
            raise TypeError(f"{type(self).__name__}(cluster_resolver=...): expected a kerasfront.distribute."
                            f"MPIClusterResolver (the workers are the processes of the MPI job), received "
                            f"{type(cluster_resolver).__name__}")
        self._cluster_resolver = cluster_resolver
        self._communicator = cluster_resolver._communicator
        self._communication_options = communication_options
        if self._communicator.size > 1:
            from .failures import watch_this_worker
            watch_this_worker(self._communicator, cluster_resolver._table())

    @property
    def num_replicas_in_sync(self):
        return self._communicator.size

    @property
    def _is_chief(self):
        return self._communicator.rank == 0

    def _data_parallel(self, model):
        if self._communicator.size == 1:
            return None
        helper = model.__dict__.get("_data_parallel_helper")
        if helper is None or helper.strategy is not self:
            from .data_parallel import DataParallel
            helper = DataParallel(self, model)
            model.__dict__["_data_parallel_helper"] = helper
        return helper


class MirroredStrategy(MultiWorkerMirroredStrategy):
    """``MultiWorkerMirroredStrategy`` on one machine: every process of the MPI job must run on this host.

    Args:
        devices: None, or one device name per process (``["/cpu:0", "/cpu:1"]``): its length must equal the
            number of processes ``mpiexec -n`` started.
        cross_device_ops: accepted for tf.distribute's signature (the gradients travel by MPI ``Allreduce``).

    Example:
        >>> strategy = MirroredStrategy()        # mpiexec -n 2 python train.py gives 2 replicas
    """

    def __init__(self, devices=None, cross_device_ops=None):
        super().__init__()
        table = self._cluster_resolver._table()
        hosts = sorted({host for host, _ in table})
        if len(hosts) > 1:
            raise ValueError(f"MirroredStrategy runs on one machine, but the MPI job spans {len(hosts)} hosts "
                             f"{hosts}; use MultiWorkerMirroredStrategy for several machines")
        if devices is not None:
            devices = [devices] if isinstance(devices, str) else list(devices)
            if len(devices) != self.num_replicas_in_sync:
                raise ValueError(f"MirroredStrategy(devices=...): kerasfront runs one replica per process, and this "
                                 f"job has {self.num_replicas_in_sync} process(es) but {len(devices)} device(s) "
                                 f"were named {devices}; launch with `mpiexec -n {len(devices)} python ...`")
        self._devices = tuple(devices) if devices is not None else tuple(
            f"/job:worker/task:{i}/device:CPU:0" for i in range(self.num_replicas_in_sync))
        self._cross_device_ops = cross_device_ops

    @property
    def devices(self):
        return self._devices
