"""Bootstrap test of exact model fit (Bollen-Stine; SmartPLS/ADANCO HI95/HI99, cSEM testOMF).

The standardized data are rotated so that their correlation matrix equals the
model-implied one, Z S^{-1/2} Σ̂^{1/2}; resampling those rows gives the distribution of
each discrepancy (SRMR, d_ULS, d_G) under the hypothesis that the model holds. HI95 and
HI99 are its 95 % and 99 % quantiles; exact fit is rejected when the observed value
exceeds them. Batched like the bootstrap: B resamples are B moment matrices.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> out = res.fit_test(n=100, seed=1, progress=False)
>>> list(out.columns)
['model', 'measure', 'value', 'hi95', 'hi99', 'p']
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import fitmeasures
from .errors import OptionError, SatModelError
from .fit import engine_options, survey_moments
from .inference import _chunk_size, _draw_counts, _progress, _valid_mask
from .pls import estimate

if TYPE_CHECKING:  # pragma: no cover
    from .results import PLSResult

MODELS = ("saturated", "estimated")


def _sqrt_psd(A: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh(A)
    if vals[0] <= 1e-12 * max(vals[-1], 1.0):
        raise SatModelError("the correlation matrix is not positive definite; the Bollen-Stine "
                            "transformation is not defined")
    power = -0.5 if inverse else 0.5
    return (vecs * vals**power) @ vecs.T


def _implied_not_psd(S, est, layout, model: str) -> np.ndarray:
    """cSEM's verify(): an implied correlation matrix that is not positive semi-definite."""
    Sigma = fitmeasures.implied_corr(S, est, layout, model)
    with np.errstate(invalid="ignore"):
        low = np.linalg.eigvalsh(np.nan_to_num(Sigma, nan=0.0))[..., 0]
    return ~(low >= -1e-10) | ~np.isfinite(Sigma).all((-1, -2))


def _distances(S, est, layout, log: str) -> dict[tuple[str, str], np.ndarray]:
    out = {}
    for model in MODELS:
        Sigma = fitmeasures.implied_corr(S, est, layout, model)
        out[(model, "srmr")] = fitmeasures.srmr(S, Sigma)
        out[(model, "d_uls")] = fitmeasures.d_uls(S, Sigma)
        out[(model, "d_g")] = fitmeasures.d_g(S, Sigma, log=log)
    return out


def fit_test(res: PLSResult, n: int = 1000, seed: Any = None, *,
             quantiles: tuple[float, float] = (0.95, 0.99), log: str = "log10",
             inadmissible: str = "drop", chunk_size: int | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Bollen-Stine bootstrap of SRMR, d_ULS and d_G for both implied matrices.

    Returns model, measure, value, hi95, hi99 (the ``quantiles`` of the bootstrap
    distribution) and p = (1 + #{d* >= d}) / (1 + B). Resamples that do not converge, are
    singular, or (``inadmissible="drop"``) inadmissible — PLSc values out of range, or
    an implied correlation matrix that is not positive semi-definite — are dropped, as in
    :meth:`PLSResult.bootstrap`; the largest count over the six measures is reported in
    ``DataFrame.attrs["dropped"]``.
    """
    if res._data is None:
        raise SatModelError("fit_test needs the respondent rows: refit with sm.fit_pls")
    survey = res._data
    if np.isnan(survey.X).any():
        raise NotImplementedError(
            "the Bollen-Stine test needs complete rows; it is not implemented for "
            f"missing={survey.missing!r} when cells are missing (refit with missing='casewise')")
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise OptionError(f"n={n!r}: the number of resamples must be an integer >= 2")
    if inadmissible not in ("drop", "keep"):
        raise OptionError(f"inadmissible={inadmissible!r}: 'drop' or 'keep'")
    o = res.options
    observed = _distances(res.indicator_corr, res.estimate, res.layout, log)
    Z = (survey.X - res.indicator_mean) / res.indicator_std
    rotated = {}
    root_inv = _sqrt_psd(res.indicator_corr, inverse=True)
    for model in MODELS:
        Sigma = fitmeasures.implied_corr(res.indicator_corr, res.estimate, res.layout, model)
        # back to the items' metric, so an unstandardized (scaled=False) fit sees the
        # same item variances; correlations are unaffected
        Zr = Z @ root_inv @ _sqrt_psd(Sigma)
        rotated[model] = dataclasses.replace(
            survey, X=res.indicator_mean + Zr * res.indicator_std)
    rng = np.random.default_rng(seed)
    rows, p = Z.shape
    size = _chunk_size(rows, p, chunk_size)
    draws: dict[tuple[str, str], list] = {k: [] for k in observed}
    bar = _progress(n * len(MODELS), progress)
    done = 0
    while done < n:
        c = min(size, n - done)
        counts = _draw_counts(rng, c, rows)
        for model in MODELS:
            mom = survey_moments(rotated[model], o, counts)
            S = mom.corr
            est = estimate(S, res.layout, **engine_options(o, mom.n, mom.std))
            d = _distances(S, est, res.layout, log)
            bad = np.zeros(c, dtype=bool)
            for reason, mask in _valid_mask(est, o.consistent, res.layout).items():
                if reason != "inadmissible" or inadmissible == "drop":
                    bad |= mask
            if inadmissible == "drop":
                bad |= _implied_not_psd(S, est, res.layout, model)
            for measure in ("srmr", "d_uls", "d_g"):
                draws[(model, measure)].append(np.where(bad, np.nan, d[(model, measure)]))
        done += c
        if bar is not None:
            bar.update(c * len(MODELS))
    if bar is not None:
        bar.close()
    rows_out, dropped = [], 0
    for (model, measure), value in observed.items():
        d = np.concatenate(draws[(model, measure)])
        ok = np.isfinite(d)
        dropped = max(dropped, int((~ok).sum()))
        d = d[ok]
        hi = np.quantile(d, quantiles)
        pval = (1.0 + np.sum(d >= value)) / (1.0 + d.size)
        rows_out.append((model, measure, float(value), float(hi[0]), float(hi[1]), float(pval)))
    out = pd.DataFrame(rows_out, columns=["model", "measure", "value", "hi95", "hi99", "p"])
    out.attrs["dropped"] = dropped
    return out
