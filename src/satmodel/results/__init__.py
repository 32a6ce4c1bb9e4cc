"""Results: one base (tables, diagnostics, summary, JSON) for PLS and CB-SEM results,
and the public verbs that build them.

>>> from satmodel.results import PLSResult
>>> "paths" in PLSResult.TABLE_NAMES
True
"""

from .cbsem import CBSEMResult
from .fitting import fit_pls, fit_pls_moments, permutation_test
from .pls import PLSResult

__all__ = ["CBSEMResult", "PLSResult", "fit_pls", "fit_pls_moments", "permutation_test"]
