"""satmodel: customer-satisfaction index models (ACSI, ECSI, CCSI, ...).

Describe a model with pydantic schemas, fit it by PLS path modelling, consistent
PLS or CB-SEM, and read tidy result tables. This module only re-exports the public
API; the layers live in their folders (see README "Layout").

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> round(float(res.r2["SAT"]), 3) > 0
True
"""

from __future__ import annotations

from . import datasets, index, templates
from .assess.cvpat import cvpat
from .assess.endogeneity import endogeneity
from .diagnostics import Diagnostic
from .engine import PLSOptions
from .errors import (
    AdmissibilityWarning,
    ConvergenceWarning,
    DataError,
    EstimationError,
    HeywoodWarning,
    IndexWarning,
    MissingDataWarning,
    NotAvailableError,
    OptionError,
    SatModelError,
    SatModelWarning,
    SignWarning,
    SpecError,
)
from .index import companion, ipma
from .index.hierarchy import roll_up
from .index.score import sample_size
from .index.slopes_plot import plot_slopes
from .report import compare, plot_bootstrap, plot_index, plot_paths, to_dot, to_excel, to_html
from .results import CBSEMResult, PLSResult, fit_pls, fit_pls_moments, permutation_test
from .results.cbsem_fit import fit_cbsem
from .results.group_verbs import compare_groups, micom
from .results.grouped import GroupedPLSResult
from .results.staged import StagedPLSResult
from .groups.micom import MICOMResult
from .spec import Construct, Covariance, Indicator, ModelSpec, Path
from .survey import SurveyOptions, screening

__version__ = "0.1.0"

__all__ = [
    "AdmissibilityWarning", "CBSEMResult", "Construct", "ConvergenceWarning", "Covariance",
    "DataError", "Diagnostic", "EstimationError", "GroupedPLSResult", "HeywoodWarning", "Indicator",
    "IndexWarning", "MissingDataWarning", "ModelSpec", "NotAvailableError", "OptionError",
    "PLSOptions", "PLSResult", "Path", "SatModelError", "SatModelWarning", "SignWarning",
    "SpecError", "SurveyOptions", "companion", "compare", "datasets", "fit_cbsem", "fit_pls",
    "fit_pls_moments", "compare_groups", "micom", "MICOMResult", "index", "ipma",
    "permutation_test", "plot_bootstrap", "plot_index", "plot_paths", "roll_up", "sample_size", "screening", "templates",
    "to_dot", "to_excel", "to_html",
    "cvpat", "endogeneity",
    "plot_slopes", "StagedPLSResult",
]
