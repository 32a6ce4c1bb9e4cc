"""Sufficient statistics: one pass, weighted, batched; pairwise and EM; survey treatments.

>>> import numpy as np
>>> from satmodel.moments import compute_moments
>>> compute_moments(np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0]])).n
3.0
"""

from .core import Moments, compute_moments
from .treatment import complete_rows, survey_moments

__all__ = ["Moments", "compute_moments", "complete_rows", "survey_moments"]
