"""satmodel: customer-satisfaction index models (ACSI, ECSI, CCSI, ...).

Describe a model with pydantic schemas, fit it by PLS path modelling or consistent
PLS, and read tidy result tables.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> round(float(res.r2["SAT"]), 3) > 0
True
"""

from __future__ import annotations

from . import companion, datasets, index, ipma, screening, templates
from .errors import (
    AdmissibilityWarning,
    ConvergenceWarning,
    DataError,
    EstimationError,
    HeywoodWarning,
    IndexWarning,
    MissingDataWarning,
    OptionError,
    SatModelError,
    SatModelWarning,
    SignWarning,
    SpecError,
)
from .cbsem import fit_cbsem
from .cbsem_results import CBSEMResult
from .compare import compare
from .fit import fit_pls, fit_pls_moments
from .groups import permutation_test
from .options import PLSOptions
from .results import PLSResult
from .spec import Construct, Indicator, ModelSpec, Path

__version__ = "0.1.0"

__all__ = [
    "AdmissibilityWarning", "Construct", "ConvergenceWarning", "DataError", "EstimationError",
    "Indicator", "ModelSpec", "OptionError", "PLSOptions", "PLSResult", "Path",
    "SatModelError", "SatModelWarning", "SpecError", "datasets", "fit_pls",
    "fit_pls_moments", "permutation_test", "templates",
    "CBSEMResult", "HeywoodWarning", "compare", "fit_cbsem",
    "IndexWarning", "MissingDataWarning", "SignWarning", "companion", "index", "ipma", "screening",
]
