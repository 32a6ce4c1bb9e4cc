"""Endogeneity check by Gaussian copulas (Park & Gupta 2012; Hult et al. 2018).

Park & Gupta (2012), Handling endogenous regressors by joint estimation using copulas,
Marketing Science 31(4); Hult, Hair, Proksch, Sarstedt, Pinkwart & Ringle (2018),
Addressing endogeneity in international marketing applications of partial least
squares structural equation modeling, Journal of International Marketing 26(3).

For a structural equation (``target`` regressed on its predictors' construct scores)
each suspect regressor x gets a copula term c = Φ⁻¹(H(x)) added to the regression,
H the empirical distribution function. satmodel takes H(x) = rank/(n + 1) (R's
``ecdf(x)(x) * n / (n + 1)``; ties share their highest rank), which keeps Φ⁻¹ finite at
the largest value — Park & Gupta leave the boundary open. A copula coefficient
different from 0 indicates that the regressor is correlated with the structural error
(endogeneity); the path of the corrected regression is then the better estimate.

The method is identified only when the regressor is **not** normally distributed:
each regressor's Shapiro-Wilk p-value is reported (``shapiro_p``) and a regressor that
looks normal (p > 0.05) gets a diagnostic. p-values: ``p_method="bootstrap"`` (default:
rows resampled, copula terms recomputed in every resample, SE = SD of the B
coefficients, p = 2Φ(-|estimate/SE|)) or ``"ols"`` (the classical OLS t-test of the
corrected regression, which ignores that the copula term is itself estimated).
``copulas="all"`` fits one regression with the copula terms of all regressors;
``"each"`` one regression per regressor with its term alone.

The regression uses the fit's standardized construct scores (composite scores, also
for PLSc fits), as SmartPLS does.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> out = sm.endogeneity(res, target="LOY", p_method="ols")
>>> out.columns.tolist()
['target', 'copulas', 'term', 'kind', 'estimate', 'se', 't', 'p', 'shapiro_p']
>>> out.term.tolist()
['IMAG', 'SAT', 'copula(IMAG)', 'copula(SAT)']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate as valid
from ..diagnostics import collecting, report
from .._linalg import solve
from ..errors import EstimationError, SatModelWarning
from ..inference import intervals
from ..inference.driver import BootstrapCounts, run

__all__ = ["endogeneity", "copula_term"]

P_METHODS = ("bootstrap", "ols")
COPULAS = ("all", "each")


def copula_term(x: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Φ⁻¹(H(x)), H(x) = (weighted) count of values ≤ x over (N + 1); ``counts`` (..., n).

    >>> np.round(copula_term(np.array([3.0, 1.0, 2.0])), 4).tolist()
    [0.6745, -0.6745, 0.0]
    """
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    last = np.searchsorted(xs, x, side="right") - 1  # highest sorted position of each value
    if counts is None:
        return stats.norm.ppf((last + 1.0) / (x.size + 1.0))
    c = np.asarray(counts, dtype=float)
    cum = np.cumsum(c[..., order], axis=-1)
    total = c.sum(axis=-1, keepdims=True) + 1.0
    # a row left out of a resample (count 0, no weight) may have no value below it
    return stats.norm.ppf(np.clip(cum[..., last], 1.0, None) / total)


def _wls(D: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Least-squares coefficients; D (..., n, k), w (..., n) row weights."""
    if w is None:
        return np.linalg.lstsq(D, y, rcond=None)[0]
    A = np.einsum("...n,...nk,...nl->...kl", w, D, D)
    b = np.einsum("...n,...nk,n->...k", w, D, y)
    return np.linalg.solve(A, b[..., None])[..., 0]


def endogeneity(res: Any, *, target: Any = None, regressors: Any = None, copulas: str = "all",
                p_method: str = "bootstrap", n: int = 1000, seed: Any = None,
                chunk_size: int | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Gaussian-copula endogeneity test of structural equations.

    Parameters
    ----------
    res : PLSResult
        A fit with respondent scores.
    target : str or list of str, optional
        Endogenous constructs to check (default: all).
    regressors : list of str, optional
        Predictors that get a copula term (default: all predictors of the target).
    copulas : {"all", "each"}
    p_method : {"bootstrap", "ols"}
    n : int
        Bootstrap resamples.
    seed : int, optional
    chunk_size : int, optional
        Resamples per batched call (default: as many as fit the memory budget); the draws
        do not depend on it.
    progress : bool, optional
        tqdm bar of the bootstrap (default: only in a notebook or on a terminal), as for
        :meth:`PLSResult.bootstrap`.

    Returns
    -------
    DataFrame
        target, copulas (the regressors with a copula term in that regression), term,
        kind ("path" or "copula"), estimate, se, t, p, shapiro_p (copula rows);
        ``attrs["diagnostics"]`` lists regressors that look normal.
    """
    verb = "endogeneity"
    valid.choice(verb, "copulas", copulas, COPULAS)
    valid.choice(verb, "p_method", p_method, P_METHODS)
    valid.integer(verb, "n", n, minimum=2)
    valid.seed(verb, seed)
    if chunk_size is not None:
        valid.integer(verb, "chunk_size", chunk_size)
    valid.flag(verb, "progress", progress, none=True)
    res.refit_with_rows(verb)  # needs the rows; refused for staged (higher-order) fits
    spec = res.spec
    scores = res.scores
    targets = _names(verb, "target", target, list(spec.endogenous))
    rng = np.random.default_rng(seed)
    rows = []
    with collecting() as found:
        for tgt in targets:
            preds = [p.source for p in spec.paths if p.target == tgt]
            suspects = _names(verb, "regressors", regressors, preds) if regressors is not None \
                else preds
            suspects = [s for s in suspects if s in preds]
            if not suspects:
                raise valid.bad(verb, "regressors", regressors, f"predictors of {tgt}: {preds}")
            groups = [suspects] if copulas == "all" else [[s] for s in suspects]
            for group in groups:
                rows += _one_regression(scores, tgt, preds, group, p_method, n, rng,
                                        (chunk_size, progress))
    out = pd.DataFrame(rows)
    for c in ("se", "t", "p", "shapiro_p"):
        out[c] = out[c].astype("Float64").mask(out[c].isna(), pd.NA)
    out.attrs["diagnostics"] = list(found)
    return out


def _names(verb: str, option: str, given: Any, known: list[str]) -> list[str]:
    if given is None:
        return known
    names = [given] if isinstance(given, str) else list(given)
    for name in names:
        valid.member(verb, option, name, known, "construct")
    return names


def _one_regression(scores, tgt, preds, group, p_method, B, rng, driver) -> list[dict]:
    y = scores[tgt].to_numpy(dtype=float)
    X = scores[preds].to_numpy(dtype=float)
    m = y.size
    C = np.column_stack([copula_term(scores[g].to_numpy(dtype=float)) for g in group])
    D = np.column_stack([np.ones(m), X, C])
    coef = _wls(D, y)
    if not np.all(np.isfinite(coef)) or np.linalg.matrix_rank(D) < D.shape[1]:
        raise EstimationError(f"endogeneity: the copula regression of {tgt} is singular "
                              f"(a copula term of {group} is collinear with the regressors)")
    if p_method == "ols":
        resid = y - D @ coef
        dof = m - D.shape[1]
        cov = resid @ resid / dof * np.linalg.inv(D.T @ D)
        se = np.sqrt(np.diag(cov))
        t = coef / se
        p = 2.0 * stats.t.sf(np.abs(t), dof)
    else:
        se = _bootstrap_se(scores, y, X, group, B, rng, *driver)
        t = coef / se
        p = 2.0 * stats.norm.sf(np.abs(t))
    rows = []
    label = "+".join(group)
    for k, term in enumerate(preds + group):
        is_cop = k >= len(preds)
        shapiro = np.nan
        if is_cop:
            shapiro = _normality(scores[term].to_numpy(dtype=float), term)
        rows.append({"target": tgt, "copulas": label,
                     "term": f"copula({term})" if is_cop else term,
                     "kind": "copula" if is_cop else "path", "estimate": coef[k + 1],
                     "se": se[k + 1], "t": t[k + 1], "p": p[k + 1], "shapiro_p": shapiro})
    return rows


def _bootstrap_se(scores, y, X, group, B, rng, chunk_size, progress) -> np.ndarray:
    """Bootstrap SEs of the copula regression's coefficients: resamples drawn, chunked by
    the memory budget and dropped (singular regressions, counted) by the inference driver;
    the copula terms are recomputed in each resample."""
    m = y.size
    base = np.column_stack([np.ones(m), X])
    terms = [scores[g].to_numpy(dtype=float) for g in group]

    def evaluate(counts: np.ndarray):
        C = np.stack([copula_term(t, counts) for t in terms], -1)
        D = np.concatenate([np.broadcast_to(base, counts.shape + base.shape[1:]), C], axis=-1)
        A = np.einsum("bn,bnk,bnl->bkl", counts, D, D)
        coef = solve(A, np.einsum("bn,bnk,n->bk", counts, D, y))
        return {"copula": {"coef": coef}}, {"singular": ~np.isfinite(coef).all(axis=-1)}

    k = base.shape[1] + len(terms)
    draws = run(BootstrapCounts(B, m, rng), evaluate, 8 * m * (k * 2 + 2), chunk=chunk_size,
                progress=progress)
    if draws.dropped:
        report("bootstrap_dropped",
               f"endogeneity: {B - draws.n_valid} of {B} resamples made the copula regression "
               "singular and were dropped", names=tuple(draws.dropped), count=B - draws.n_valid)
    if draws.n_valid < 2:
        raise EstimationError("endogeneity: the bootstrap resamples make the copula regression "
                              "singular; use p_method='ols'")
    return intervals.sd(draws.values["copula"]["coef"])


def _normality(x: np.ndarray, name: str) -> float:
    p = float(stats.shapiro(x).pvalue) if x.size >= 3 else np.nan
    if not p <= 0.05:
        report("copula_normal_regressor",
               f"the scores of {name} do not depart from normality (Shapiro-Wilk p = {p:.3f}): "
               "its Gaussian copula term is not identified and its test is not informative",
               SatModelWarning, names=(name,), warn=True)
    return p
