"""PLS-PM / PLSc on arrays only (no pandas, no names), its options and the one Refit.

>>> from satmodel.engine import PLSOptions
>>> PLSOptions().scheme
'path'
"""

from ..spec.layout import Layout
from .options import PLSOptions
from .pls import Estimate, estimate
from .refit import Refit, Refitted

__all__ = ["Estimate", "Layout", "PLSOptions", "Refit", "Refitted", "estimate"]
