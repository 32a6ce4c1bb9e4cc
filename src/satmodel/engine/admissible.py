"""Admissibility of a (PLSc) estimate: the values that cannot be a population's, batched.

Consistent PLS corrects correlations for attenuation, so on a small or awkward sample it
can return rho_A above 1, loadings above 1 in absolute value (hence AVE above 1),
construct correlations beyond ±1 and R² above 1 (Dijkstra & Henseler 2015). The fit
keeps the numbers as estimated and marks them; a bootstrap drops (or keeps) such
resamples. One definition serves both.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> bool(admissible(res.estimate, res.layout)), int(inadmissible(res.estimate, res.layout)["r2"].sum())
(True, 0)
"""

from __future__ import annotations

import numpy as np

from ..spec.layout import Layout
from .pls import Estimate

__all__ = ["admissible", "inadmissible"]


def inadmissible(est: Estimate, layout: Layout) -> dict[str, np.ndarray]:
    """Masks of the inadmissible values, by kind (leading axes as the estimate's):
    ``rho_a`` (..., J) rho_A > 1 of a common factor; ``loading`` (..., p) |loading| > 1;
    ``ave`` (..., J) AVE > 1; ``r2`` (..., J) R² > 1; ``construct_corr`` (..., J, J)
    an off-diagonal construct correlation beyond ±1."""
    M = layout.membership.astype(float)
    J = layout.n_constructs
    with np.errstate(invalid="ignore"):
        ave = (est.loadings**2 @ M) / M.sum(axis=0)
        return {
            "rho_a": layout.common_factor & (est.rho_a > 1),
            "loading": np.abs(est.loadings) > 1,
            "ave": ave > 1,
            "r2": layout.adjacency.any(axis=0) & (est.r2 > 1),
            "construct_corr": np.abs(est.construct_corr - np.eye(J)) > 1,
        }


def admissible(est: Estimate, layout: Layout) -> np.ndarray:
    """True (per batch element) where no value is inadmissible (see :func:`inadmissible`)."""
    bad = inadmissible(est, layout)
    out = ~bad["rho_a"].any(-1) & ~bad["loading"].any(-1) & ~bad["ave"].any(-1) \
        & ~bad["r2"].any(-1) & ~bad["construct_corr"].any((-1, -2))
    return out
