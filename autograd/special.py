"""``ag.special``: the special functions of ``scipy.special`` that research code differentiates, in numpy
alone (scipy is not needed at run time), each with vjp, jvp and batching rules.

=============================  ==============================================================
gammaln, digamma (psi)         log |Gamma(x)| and its derivative
polygamma(n, x)                the n-th derivative of digamma; zeta(x, q) (Hurwitz, no gradient)
erfinv, erfc                   the inverse and complementary error functions
ndtr, log_ndtr, ndtri          the normal CDF, its log (accurate to x = -40 and beyond), its inverse
logit, expit                   log(p / (1 - p)) and the logistic function
xlogy, xlog1py                 x log(y) and x log1p(y), 0 where x == 0
logsumexp                      with scipy's ``b=`` weights and ``return_sign=``
=============================  ==============================================================

Accuracy and domains are in autograd/ops/special.py's docstring (within 1e-10 relative of scipy in
float64, checked by tests/autograd/test_special.py).

Example:
    >>> import autograd as ag
    >>> ag.grad(ag.special.log_ndtr)(-30.0)         # phi / Phi, close to -x for very negative x
    Tensor(30.03325967)
"""
from .ops.special import (digamma, erfc, erfinv, expit, gammaln, log_ndtr, logit, logsumexp, ndtr, ndtri, polygamma,
                          psi, xlog1py, xlogy, zeta)

__all__ = ["gammaln", "digamma", "psi", "polygamma", "zeta", "erfinv", "erfc", "ndtr", "log_ndtr", "ndtri", "logit",
           "expit", "xlogy", "xlog1py", "logsumexp"]
