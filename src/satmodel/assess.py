"""Reliability and convergent validity from the indicator correlations and a fit.

Formulas: METHODS.md section 3. Cronbach's alpha is the standardized alpha on the
correlation matrix; rho_C and AVE use the reported loadings (PLSc-corrected for
common factors in a consistent fit); rho_A is Dijkstra & Henseler's (1 for Mode B,
unit-weight and single-item blocks).

>>> import numpy as np
>>> round(cronbach_alpha(np.array([[1.0, 0.5], [0.5, 1.0]])), 6)
0.666667
"""

from __future__ import annotations

import numpy as np


def cronbach_alpha(S_block: np.ndarray) -> float:
    """Standardized alpha k/(k-1) (1 - k / 1'S1); 1.0 for a single item."""
    k = S_block.shape[0]
    if k < 2:
        return 1.0
    return float(k / (k - 1) * (1.0 - k / S_block.sum()))


def composite_reliability(loadings: np.ndarray) -> float:
    """rho_C = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))."""
    s = loadings.sum() ** 2
    return float(s / (s + np.sum(1.0 - loadings**2)))


def average_variance_extracted(loadings: np.ndarray) -> float:
    """AVE = mean squared loading."""
    return float(np.mean(loadings**2))


def adjusted_r2(r2: float, n: float, k: int) -> float:
    """1 - (1 - R²)(n - 1)/(n - k - 1) for k predictors."""
    return 1.0 - (1.0 - r2) * (n - 1.0) / (n - k - 1.0)
