"""Sequence: a dataset of batches that ``fit``, ``evaluate`` and ``predict`` index batch by batch.

Example:
    >>> class Batches(Sequence):
    ...     def __init__(self, x, y, batch_size): self.x, self.y, self.bs = x, y, batch_size
    ...     def __len__(self): return math.ceil(len(self.x) / self.bs)
    ...     def __getitem__(self, i): return self.x[i*self.bs:(i+1)*self.bs], self.y[i*self.bs:(i+1)*self.bs]
    >>> model.fit(Batches(x, y, 32), epochs=2)
"""


class Sequence:
    """Base class for batch datasets: implement ``__getitem__(index)`` (a batch ``(x, y)`` or
    ``(x, y, sample_weight)``) and ``__len__()`` (batches per epoch); ``on_epoch_end`` runs after each epoch.

    Example:
        >>> class Pairs(Sequence):
        ...     def __len__(self): return 2
        ...     def __getitem__(self, i): return np.full((3, 2), i, "float32"), np.zeros((3, 1), "float32")
        >>> len(Pairs()), Pairs()[1][0].shape
        (2, (3, 2))
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index) returning a batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__() returning the number of batches")

    def on_epoch_end(self):
        """Called at the end of every epoch (shuffle here if you want to)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


PyDataset = Sequence
