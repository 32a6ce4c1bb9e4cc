"""Moments of validated survey rows under their missing-data treatment and weights.

A resample, a group, or a cross-validation training set is a vector of row weights,
so :func:`survey_moments` with ``row_weights`` of shape ``(..., n)`` gives batched
moments that treat every reweighting exactly as the original fit treats its rows.

>>> import numpy as np, satmodel as sm
>>> from satmodel.survey import prepare
>>> survey = prepare(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> counts = np.random.default_rng(1).multinomial(250, np.full(250, 1 / 250), size=3)
>>> survey_moments(survey, counts).corr.shape
(3, 27, 27)
"""

from __future__ import annotations

import numpy as np

from ..survey.prepare import SurveyData
from .missing import em_moments, impute_conditional, impute_means, mean_imputed_moments, pairwise_moments
from .ordinal import MAX_LEVELS, correlation_moments
from .core import Moments, column_scales, compute_moments, scales_of

__all__ = ["survey_moments", "complete_rows", "combined_weights", "proxy_scores"]

_TREATMENTS = {"mean": mean_imputed_moments, "pairwise": pairwise_moments,
               "em": em_moments}


def combined_weights(survey: SurveyData, row_weights: np.ndarray | None) -> np.ndarray | None:
    """Row weights times the sampling weights, rescaled (as ``prepare`` does for any data)
    to sum to the reweighted number of rows, so a resample equals a fit on its rows."""
    rw = survey.weights
    if row_weights is None:
        return rw
    c = np.asarray(row_weights, dtype=float)
    if rw is None:
        return c
    rw = c * rw
    total = rw.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return rw * np.where(total > 0, c.sum(axis=-1, keepdims=True) / total, 1.0)


def survey_moments(survey: SurveyData, row_weights: np.ndarray | None = None) -> Moments:
    """Moments of ``survey`` reweighted by ``row_weights`` (shape ``(..., n)``, or None).

    Mean replacement, pairwise moments and EM are recomputed on every reweighting (see
    ``SurveyOptions.missing``); complete data take the one-pass path.
    """
    rw = combined_weights(survey, row_weights)
    X = survey.X
    if getattr(survey, "correlation", "pearson") != "pearson":  # complete rows (fit_pls checks)
        return correlation_moments(X, survey.correlation, rw, names=survey.indicators)
    if survey.missing in _TREATMENTS and np.isnan(X).any():
        scale = column_scales(X)  # extreme magnitudes: exactly rescaled (see column_scales)
        if np.all(scale == 1.0):
            return _TREATMENTS[survey.missing](X, rw)
        mom = _TREATMENTS[survey.missing](X / scale, rw)
        return Moments(n=mom.n, mean=mom.mean * scale, std=mom.std * scale, corr=mom.corr)
    known = getattr(survey, "extremes", None)  # from validation, of these very values
    scale = scales_of(known[1], known[0]) if known is not None and known[2] is survey.values \
        else None
    return compute_moments(X, rw, scale=scale)


def complete_rows(survey: SurveyData, mom: Moments) -> np.ndarray:
    """The survey matrix with missing cells filled as the treatment says (for scores).

    ``"mean"`` and ``"pairwise"``: the item mean; ``"em"``: the conditional expectation
    given the respondent's answers under the EM means and covariances.
    """
    X = survey.X
    if not np.isnan(X).any():
        return X
    if survey.missing == "em":
        scale = column_scales(X)  # in rescaled units: std² of 1e200 would overflow
        sd = mom.std / scale
        cov = mom.corr * np.outer(sd, sd)
        return impute_conditional(X / scale, mom.mean / scale, cov) * scale
    return impute_means(X, mom.mean)


def proxy_scores(survey: SurveyData, mom: Moments, W: np.ndarray) -> np.ndarray:
    """Construct scores (n, J): standardized items (missing cells filled by the treatment)
    times the outer weights ``W`` (p, J), without a standardized (n, p) copy.

    Computed as (W' X')' -- for the column-major rows :func:`~satmodel.survey.prepare`
    gives, several times faster than X W with OpenBLAS -- and returned column-major.
    """
    scaled = W / mom.std[:, None]
    S = scaled.T @ complete_rows(survey, mom).T  # (J, n)
    S -= ((mom.mean / mom.std) @ W)[:, None]
    return S.T


def bytes_per_reweighting(survey: SurveyData) -> int:
    """Memory one reweighting allocates in :func:`survey_moments` (for chunking).

    The row weights and the (p, p) sums, plus (n, p) observed-masks and weighted copies
    for mean replacement, pairwise moments and EM; EM's per-pattern work runs in blocks of
    a fixed size per call (``moments.missing.EM_WORK_BYTES``), not per reweighting.
    """
    n, p = survey.values.shape
    base = 8 * (2 * n + 6 * p * p)
    kind = getattr(survey, "correlation", "pearson")
    if kind == "polychoric":  # the contingency tables of all item pairs (moments.ordinal)
        base += 8 * 3 * (p * MAX_LEVELS) ** 2
    elif kind == "spearman":  # the ranks
        base += 8 * 2 * n * p
    if survey.missing not in _TREATMENTS or not np.isnan(survey.values).any():
        return base
    return base + 8 * (3 * n * p + 2 * p * p)
