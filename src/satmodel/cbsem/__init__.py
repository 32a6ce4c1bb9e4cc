"""Covariance-based SEM: the spec fitted by semopy, mapped into satmodel's tables.

>>> from satmodel.cbsem import OBJECTIVES
>>> sorted(OBJECTIVES)
['DWLS', 'GLS', 'ML', 'ULS', 'WLS']
"""

from .engine import OBJECTIVES, CBEstimate, exact_sample, run_semopy
from .fitting import CBFit, fit_cbsem_rows

__all__ = ["CBEstimate", "CBFit", "OBJECTIVES", "exact_sample", "fit_cbsem_rows", "run_semopy"]
