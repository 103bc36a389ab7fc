"""The collectives data parallelism needs, on MPI through mpi4py (imported here only, when a strategy is made).

Arrays travel as contiguous numpy buffers (``Allreduce`` in place, ``Bcast``, ``Allgatherv``); only small
setup records (the consistency checks, a shuffle order's presence) are pickled.

Example:
    >>> comm = Communicator()            # MPI.COMM_WORLD; one process without mpiexec
    >>> buf = np.ones(3, np.float32); comm.allreduce_(buf); buf
    array([1., 1., 1.], dtype=float32)
"""
import numpy as np

__all__ = ["Communicator", "import_mpi", "INSTALL_HINT"]

INSTALL_HINT = ('pip install "kerasfront[mpi]" (mpi4py and the MPICH wheel), or pip install mpi4py built against '
                'the system MPI')


def import_mpi():
    """``mpi4py.MPI``, or an ImportError that says what to install.

    Example:
        >>> MPI = import_mpi(); MPI.COMM_WORLD.Get_size() >= 1
        True
    """
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"kerasfront.distribute's MultiWorkerMirroredStrategy and MirroredStrategy run on MPI "
                          f"through mpi4py, which is not installed ({e}). Install it with: {INSTALL_HINT}; then "
                          f"launch the script with `mpiexec -n 4 python train.py` (or srun).") from None
    return MPI


class Communicator:
    """A thin layer over an mpi4py communicator: the in-place collectives on numpy arrays that training uses.

    Args:
        comm: an ``mpi4py.MPI.Comm`` (default ``MPI.COMM_WORLD``).

    Example:
        >>> comm = Communicator(); comm.rank, comm.size
        (0, 1)
    """

    def __init__(self, comm=None):
        self.MPI = import_mpi()
        self.comm = comm if comm is not None else self.MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()

    def allreduce_(self, array):
        """Sum ``array`` (contiguous numpy) over all workers, in place; returns it."""
        if self.size > 1:
            self.comm.Allreduce(self.MPI.IN_PLACE, array, op=self.MPI.SUM)
        return array

    def allreduce_max(self, value):
        """The largest of every worker's integer ``value``."""
        if self.size == 1:
            return int(value)
        buf = np.array([int(value)], np.int64)
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.MAX)
        return int(buf[0])

    def bcast_(self, array, root=0):
        """Overwrite ``array`` (contiguous numpy) with worker ``root``'s, in place; returns it."""
        if self.size > 1:
            self.comm.Bcast(array, root=root)
        return array

    def bcast_obj(self, obj, root=0):
        """Worker ``root``'s small picklable ``obj`` (setup records only)."""
        return obj if self.size == 1 else self.comm.bcast(obj, root=root)

    def allgather_obj(self, obj):
        """Every worker's small picklable ``obj``, in rank order (setup records only)."""
        return [obj] if self.size == 1 else self.comm.allgather(obj)

    def allgatherv(self, array):
        """Every worker's ``array`` joined along axis 0 in rank order (the trailing shapes must agree)."""
        array = np.ascontiguousarray(array)
        if self.size == 1:
            return array
        counts = self.comm.allgather(int(array.shape[0]))
        row = int(np.prod(array.shape[1:], dtype=np.int64))
        out = np.empty((sum(counts),) + array.shape[1:], array.dtype)
        sizes = [c * row for c in counts]
        displs = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64).tolist()
        self.comm.Allgatherv(array.reshape(-1), [out.reshape(-1), (sizes, displs)])
        return out

    def abort(self, code=1):
        """End every worker of the job (the launcher kills them all)."""
        self.comm.Abort(code)
