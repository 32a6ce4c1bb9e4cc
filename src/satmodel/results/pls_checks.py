"""Checks of a PLS fit that need names: refusals (EstimationError) and diagnostics.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> [d.code for d in res.diagnostics]
[]
"""

from __future__ import annotations

import numpy as np

from ..diagnostics import report
from ..engine.options import PLSOptions
from ..engine.pls import Estimate
from ..errors import (AdmissibilityWarning, ConvergenceWarning, DataError, EstimationError,
                      SatModelWarning, SignWarning)
from ..moments.core import Moments
from ..spec.layout import Layout
from ..spec.model import ModelSpec

__all__ = ["check_moments", "check_blocks", "check_estimate", "check_signs"]


def check_moments(spec: ModelSpec, mom: Moments) -> None:
    """Finite correlations (else name the constant items); PSD, else a diagnostic."""
    if not np.all(np.isfinite(mom.corr)):
        flat = [n for n, s in zip(spec.indicator_names, np.atleast_1d(mom.std))
                if not (np.isfinite(s) and s > 0)]
        raise DataError("the indicator correlations are not all finite"
                        + (f": items {flat} have no variance among the respondents used"
                           if flat else " (an item without variance among the respondents used?)")
                        + "; check the data")
    if np.linalg.eigvalsh(mom.corr)[0] < -1e-10:
        report("not_psd", "the pairwise indicator correlation matrix is not positive "
               "semi-definite; PLS still runs on it, but consider missing='em'", SatModelWarning)


def check_blocks(spec: ModelSpec, lay: Layout, S: np.ndarray) -> None:
    """Mode B blocks must have an invertible correlation matrix."""
    for j, c in enumerate(spec.constructs):
        if lay.modes[j] != "B":
            continue
        idx = lay.block(j)
        eig = np.linalg.eigvalsh(S[np.ix_(idx, idx)])
        if eig[0] <= 1e-10 * max(eig[-1], 1.0):
            raise EstimationError(
                f"construct {c.name!r} (Mode B) has a singular indicator correlation matrix: "
                f"its items {list(c.indicator_names)} are linearly dependent; drop a redundant "
                "item or use mode 'A'")


def check_estimate(spec: ModelSpec, lay: Layout, est: Estimate, options: PLSOptions) -> None:
    """Refuse undefined solutions; report non-convergence and inadmissible PLSc values."""
    names = spec.construct_names
    if options.consistent:
        bad = [names[j] for j in range(len(names))
               if lay.common_factor[j] and not (np.isfinite(est.rho_a[j]) and est.rho_a[j] > 0)]
        if bad:
            raise EstimationError(
                f"PLSc correction is undefined for {bad}: rho_A is not positive (its items "
                "correlate negatively on balance); check reverse-coded items or declare the "
                "construct a composite ('<~')")
    for j in np.flatnonzero(est.singular_block):
        preds = spec.predecessors(names[j])
        raise EstimationError(
            f"the structural regression of {names[j]!r} on {list(preds)} is singular "
            "(perfectly collinear predictor constructs)")
    if not np.all(np.isfinite(est.weights)):
        raise EstimationError("the PLS iteration produced non-finite weights; "
                              "check the data for collinear or degenerate items")
    if not est.converged:
        report("not_converged",
               f"PLS did not converge in max_iter={options.max_iter} iterations "
               f"(stop rule {options.stop}, tol={options.tol:g}); results are the last iterate "
               "and res.converged is False. Raise max_iter or loosen tol.",
               ConvergenceWarning, count=int(est.n_iter))
    if options.consistent:
        over = [names[j] for j in range(len(names)) if lay.common_factor[j] and est.rho_a[j] > 1]
        big = [spec.indicator_names[k] for k in np.flatnonzero(np.abs(est.loadings) > 1)]
        corr_big = np.abs(est.construct_corr - np.eye(len(names))) > 1
        if over or big or corr_big.any():
            pairs = [f"{names[i]} ~ {names[j]}" for i, j in zip(*np.nonzero(np.triu(corr_big)))]
            report("inadmissible",
                   "inadmissible PLSc solution: "
                   + (f"rho_A > 1 for {over}; " if over else "")
                   + (f"|loading| > 1 for {big}; " if big else "")
                   + ("a construct correlation exceeds 1 in absolute value" if corr_big.any() else ""),
                   AdmissibilityWarning, names=over + big + pairs)


def check_signs(spec: ModelSpec, est: Estimate) -> None:
    """Report path estimates that contradict the spec's expected sign."""
    pos = {c: i for i, c in enumerate(spec.construct_names)}
    wrong, where = [], []
    for p in spec.paths:
        if p.expected_sign is None:
            continue
        value = float(est.paths[pos[p.source], pos[p.target]])
        if (value < 0 and p.expected_sign == "+") or (value > 0 and p.expected_sign == "-"):
            wrong.append(f"{p.source} -> {p.target} = {value:.3f} (expected {p.expected_sign})")
            where.append(f"{p.source} -> {p.target}")
    if wrong:
        report("sign", "path estimates with the opposite of the expected sign: "
               + "; ".join(wrong), SignWarning, names=where)
