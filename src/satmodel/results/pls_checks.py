"""Checks of a PLS fit that need names: refusals (EstimationError) and diagnostics.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> [d.code for d in res.diagnostics]
[]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..diagnostics import report
from ..engine.admissible import inadmissible
from ..engine.options import PLSOptions
from ..engine.pls import Estimate
from ..errors import (AdmissibilityWarning, ConvergenceWarning, DataError, EstimationError,
                      SatModelWarning, SignWarning)
from ..moments.core import Moments
from ..spec.layout import Layout
from ..spec.model import ModelSpec

__all__ = ["check_moments", "check_blocks", "check_estimate", "check_signs", "check_admissible",
           "SignedPaths", "sign_problems", "effective_n", "judge_effective_n", "check_weights", "check_sample_size"]


def check_moments(spec: ModelSpec, mom: Moments, correlation: str = "pearson") -> None:
    """Finite correlations (else name the constant items); PSD, else a diagnostic whose
    advice fits how the correlations were formed (``correlation=`` of fit_pls)."""
    if not np.all(np.isfinite(mom.corr)):
        flat = [n for n, s in zip(spec.indicator_names, np.atleast_1d(mom.std))
                if not (np.isfinite(s) and s > 0)]
        raise DataError("the indicator correlations are not all finite"
                        + (f": items {flat} have no variance among the respondents used"
                           if flat else " (an item without variance among the respondents used?)")
                        + "; check the data")
    if np.linalg.eigvalsh(mom.corr)[0] < -1e-10:
        advice = ("consider missing='em'" if correlation == "pearson" else
                  f"pairwise {correlation} correlations of ordinal items need not be jointly "
                  "positive semi-definite; consider correlation='pearson' or merging sparse "
                  "categories")
        report("not_psd", f"the pairwise indicator correlation matrix is not positive "
               f"semi-definite; PLS still runs on it, but {advice}", SatModelWarning)


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
    for j in np.flatnonzero(est.singular_block):  # first: it also makes rho_A undefined
        preds = spec.predecessors(names[j])
        raise EstimationError(
            f"the structural regression of {names[j]!r} on {list(preds)} is singular "
            "(perfectly collinear predictor constructs)")
    if options.consistent:
        bad = [names[j] for j in range(len(names))
               if lay.common_factor[j] and not (np.isfinite(est.rho_a[j]) and est.rho_a[j] > 0)]
        if bad:
            raise EstimationError(
                f"PLSc correction is undefined for {bad}: rho_A is not positive (its items "
                "correlate negatively on balance); check reverse-coded items or declare the "
                "construct a composite ('<~')")
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
        check_admissible(spec, lay, est)


def check_admissible(spec: ModelSpec, lay: Layout, est: Estimate) -> None:
    """Name every inadmissible PLSc value (kept as estimated; ``res.admissible`` False)."""
    bad = inadmissible(est, lay)
    names, items = spec.construct_names, spec.indicator_names
    found = [(f"rho_A({names[j]})", est.rho_a[j]) for j in np.flatnonzero(bad["rho_a"])]
    found += [(f"loading {items[k]}", est.loadings[k]) for k in np.flatnonzero(bad["loading"])]
    ave = (est.loadings**2 @ lay.membership) / lay.membership.sum(axis=0)
    found += [(f"AVE({names[j]})", ave[j]) for j in np.flatnonzero(bad["ave"])]
    found += [(f"R²({names[j]})", est.r2[j]) for j in np.flatnonzero(bad["r2"])]
    pairs = list(zip(*np.nonzero(np.triu(bad["construct_corr"]))))
    found += [(f"corr({names[i]}, {names[j]})", est.construct_corr[i, j]) for i, j in pairs]
    if not found:
        return
    listed = "; ".join(f"{what} = {value:.4g}" for what, value in found)
    report("inadmissible",
           f"inadmissible PLSc solution (res.admissible is False): {listed}"
           + ("; a construct correlation exceeds 1 in absolute value" if pairs else "")
           + ". The values are kept as estimated; they cannot be a population's (a weak or "
           "near-collinear block, or too few respondents): check the blocks named, or use "
           "PLS-PM (consistent=False) or CB-SEM",
           AdmissibilityWarning,
           names=[what for what, _ in found] + [f"{names[i]} ~ {names[j]}" for i, j in pairs])


class SignedPaths:
    """The spec's paths with an expected sign, read from (..., p, p) path matrices at once.

    >>> import satmodel as sm
    >>> spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2; B =~ b1 + b2; B ~ A")
    >>> spec = spec.model_copy(update={"paths": [spec.paths[0].model_copy(
    ...     update={"expected_sign": "+"})]})
    >>> signed = SignedPaths(spec, np.array([[[0.0, -0.5], [0.0, 0.0]]]))
    >>> signed.findings(0)
    (['A -> B = -0.500 (expected +)'], ['A -> B'])
    """

    def __init__(self, spec: ModelSpec, paths: np.ndarray) -> None:
        pos = {c: i for i, c in enumerate(spec.construct_names)}
        signed = [p for p in spec.paths if p.expected_sign is not None]
        self.where = [f"{p.source} -> {p.target}" for p in signed]
        self.expected = [p.expected_sign for p in signed]
        self.values = np.asarray(paths)[..., [pos[p.source] for p in signed],
                                        [pos[p.target] for p in signed]]
        plus = np.array([e == "+" for e in self.expected], dtype=bool)
        self.wrong = np.where(plus, self.values < 0, self.values > 0)  # (..., signed paths)

    def findings(self, k: Any = ()) -> tuple[list[str], list[str]]:
        """The described findings and ``source -> target`` names of element ``k``."""
        values, wrong = self.values[k].tolist(), self.wrong[k].tolist()
        hits = [i for i, bad in enumerate(wrong) if bad]
        return ([f"{self.where[i]} = {values[i]:.3f} (expected {self.expected[i]})"
                 for i in hits], [self.where[i] for i in hits])


def sign_problems(spec: ModelSpec, paths: np.ndarray) -> tuple[list[str], list[str]]:
    """Paths of the (p, p) matrix ``paths`` that contradict the spec's expected sign: the
    described findings and the ``source -> target`` names (both empty if none)."""
    return SignedPaths(spec, paths).findings()


SIGN_MESSAGE = "path estimates with the opposite of the expected sign: "


def check_signs(spec: ModelSpec, est: Estimate) -> None:
    """Report path estimates that contradict the spec's expected sign."""
    wrong, where = sign_problems(spec, est.paths)
    if wrong:
        report("sign", SIGN_MESSAGE + "; ".join(wrong), SignWarning, names=where)


def effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw² of sampling weights (scale-free).

    >>> effective_n(np.array([1.0, 1.0, 0.0, 0.0])), effective_n(np.full(4, 1e300))
    (2.0, 4.0)
    """
    w = np.asarray(weights, dtype=float)
    top = w.max(initial=0.0)
    if not top > 0:
        return 0.0
    w = w / top
    return float(w.sum() ** 2 / (w**2).sum())


def check_weights(spec: ModelSpec, weights: np.ndarray | None,
                  min_rows: int | None) -> float | None:
    """Kish's effective sample size of the fit's sampling weights (None: unweighted). Unequal
    sampling weights record it (diagnostic ``effective_n``) and must leave as many
    effective respondents as the data rule asks of rows (3, more than the largest block's
    items, ``min_rows``), else DataError."""
    if weights is None:
        return None
    n, n_eff = weights.size, effective_n(weights)
    if np.ptp(weights) == 0:
        return n_eff
    return judge_effective_n(spec, n_eff, n, int((weights > 0).sum()), min_rows)


def judge_effective_n(spec: ModelSpec, n_eff: float, rows: int, positive: int,
                      min_rows: int | None) -> float:
    """Record Kish's ``n_eff`` of unequal weights over ``rows`` rows (``positive`` with a
    positive weight), or DataError when it is below the data rule (3, more than the largest
    block's items, ``min_rows``); shared by in-memory and streamed fits."""
    block, items = max(spec.blocks.items(), key=lambda kv: len(kv[1]))
    need = max(3, len(items) + 1, min_rows or 0)
    text = (f"the sampling weights leave an effective sample size of {n_eff:.1f} "
            f"(Kish: (Σw)²/Σw²) from {rows} rows ({positive} with a positive weight)")
    if n_eff < need:
        raise DataError(f"{text}; a fit needs at least {need} (3, more than the {len(items)} "
                        f"items of block {block}" + (f", min_rows={min_rows}" if min_rows else "")
                        + "), or its estimates are arbitrary. Check the weights column")
    report("effective_n", text, names=(), count=round(n_eff), severity="info", warn=False)
    return n_eff


def check_sample_size(spec: ModelSpec, lay: Layout, n: float, weighted: bool = False) -> None:
    """Diagnostic ``small_sample`` when ``n`` (``weighted``: Kish's effective sample
    size) is below the '10-times rule':
    10 x the largest number of formative (Mode B) indicators of a construct or of
    structural paths into a construct (Barclay, Higgins & Thompson 1995; Hair et al.
    2017, ch. 1). A floor, not a power analysis."""
    formative = max([len(lay.block(j)) for j in range(lay.n_constructs) if lay.modes[j] == "B"],
                    default=0)
    arrows = int(lay.adjacency.sum(axis=0).max(initial=0))
    need = 10 * max(formative, arrows)
    if not n < need:
        return
    which = "structural paths into one construct" if arrows >= formative else \
        "formative (Mode B) indicators of one construct"
    report("small_sample",
           (f"an effective sample size of {n:.1f} (Kish)" if weighted else f"{n:.0f} respondents")
           + " is below the 10-times rule for this model: "
           f"{need} = 10 x {max(formative, arrows)}, the largest number of {which} (Barclay, "
           "Higgins & Thompson 1995; Hair et al. 2017). Estimates and their standard errors "
           "are unreliable at this size; the rule is a minimum, a power analysis (e.g. the "
           "inverse square root method, Kock & Hadaya 2018) usually asks for more",
           SatModelWarning, count=int(np.ceil(n)))
