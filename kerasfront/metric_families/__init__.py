"""Metric families that ``kerasfront.metrics`` exports, one file each: F-scores, IoUs, the metrics read at
a point of the sensitivity / specificity / precision / recall curve, R2 and relative errors, MeanTensor and
PyMetric.

They build on the base classes in ``kerasfront.metrics`` (``Metric``, ``Mean``) and keep their state as
host-side float32 Variables, as the metrics there do.

Example:
    >>> from kerasfront.metrics import F1Score
    >>> F1Score(average="macro").get_config()["average"]
    'macro'
"""
