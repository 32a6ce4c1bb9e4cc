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
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..engine.refit import Refit
from ..errors import EstimationError, NotAvailableError, OptionError
from ..inference.driver import BootstrapCounts, drop_reasons, run
from ..tables import Context
from ..tables import model_fit

MODELS = ("saturated", "estimated")


def _sqrt_psd(A: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh(A)
    if vals[0] <= 1e-12 * max(vals[-1], 1.0):
        raise EstimationError("the correlation matrix is not positive definite; the Bollen-Stine "
                            "transformation is not defined")
    power = -0.5 if inverse else 0.5
    return (vecs * vals**power) @ vecs.T


def _implied_not_psd(S, est, layout, model: str) -> np.ndarray:
    """cSEM's verify(): an implied correlation matrix that is not positive semi-definite."""
    Sigma = model_fit.implied_corr(S, est, layout, model)
    with np.errstate(invalid="ignore"):
        low = np.linalg.eigvalsh(np.nan_to_num(Sigma, nan=0.0))[..., 0]
    return ~(low >= -1e-10) | ~np.isfinite(Sigma).all((-1, -2))


def _distances(S, est, layout, log: str) -> dict[tuple[str, str], np.ndarray]:
    out = {}
    for model in MODELS:
        Sigma = model_fit.implied_corr(S, est, layout, model)
        out[(model, "srmr")] = model_fit.srmr(S, Sigma)
        out[(model, "d_uls")] = model_fit.d_uls(S, Sigma)
        out[(model, "d_g")] = model_fit.d_g(S, Sigma, log=log)
    return out


def check_complete(X: np.ndarray, missing: str) -> None:
    """Refuse rows with missing cells, saying why for each treatment: the test rotates
    complete rows so that their correlations equal the model-implied ones."""
    cells = int(np.isnan(X).sum())
    if not cells:
        return
    if missing == "mean":
        raise OptionError(
            f"fit_test refuses a fit with missing='mean' ({cells} cells replaced by item "
            "means): the Bollen-Stine test rotates the rows so that their correlations equal "
            "the model-implied ones and resamples them, but mean replacement shrinks the "
            "correlations of the fit (the discrepancy then measures the imputation as well as "
            "the model) and the rotation would spread the filled-in means over every item as "
            "if they were answers, so HI95/HI99 and p would not describe exact fit. Refit with "
            "missing='casewise' to test exact fit on the complete rows, or read res.fit "
            "(SRMR, d_ULS, d_G) without a test")
    raise NotAvailableError(
        f"fit_test with missing={missing!r} ({cells} cells missing) is not offered: the "
        "Bollen-Stine test rotates complete rows, and pairwise or EM moments are not the "
        "moments of rows that could be rotated (a missing-data version, Enders 2001, is "
        "not implemented); refit with missing='casewise' to test exact fit on complete rows")


def check_options(n: Any, quantiles: Any, log: Any, inadmissible: Any, *, seed: Any = None,
                  chunk_size: Any = None, progress: Any = None) -> None:
    """Validate the fit-test options once (one message format)."""
    valid.integer("fit_test", "n", n, minimum=2)
    valid.seed("fit_test", seed)
    valid.choice("fit_test", "inadmissible", inadmissible, ("drop", "keep"))
    valid.choice("fit_test", "log", log, ("log10", "ln"))
    if not isinstance(quantiles, (tuple, list, np.ndarray)) or len(quantiles) != 2:
        raise valid.bad("fit_test", "quantiles", quantiles, "two probabilities, e.g. (0.95, 0.99)")
    for q in quantiles:
        valid.number("fit_test", "quantiles", q, 0.0, 1.0)
    if chunk_size is not None:
        valid.integer("fit_test", "chunk_size", chunk_size)
    valid.flag("fit_test", "progress", progress, none=True)


def fit_test(refit: Refit, original: Context, n: int = 1000, seed: Any = None, *,
             quantiles: tuple[float, float] = (0.95, 0.99), log: str = "log10",
             inadmissible: str = "drop", chunk_size: int | None = None,
             progress: bool | None = None) -> pd.DataFrame:
    """Bollen-Stine bootstrap of SRMR, d_ULS and d_G for both implied matrices.

    ``refit`` carries the fit's rows and options, ``original`` its context. Returns
    model, measure, value, hi95, hi99 (the ``quantiles`` of the bootstrap distribution)
    and p = (1 + #{d* >= d}) / (1 + B). Resamples that do not converge, are singular,
    or (``inadmissible="drop"``) inadmissible — PLSc values out of range, or an implied
    correlation matrix that is not positive semi-definite — are dropped, as in
    :meth:`PLSResult.bootstrap`; the largest count over the six measures is reported in
    ``DataFrame.attrs["dropped"]``.
    """
    check_options(n, quantiles, log, inadmissible, seed=seed, chunk_size=chunk_size,
                  progress=progress)
    survey = refit.survey
    check_complete(survey.X, survey.missing)
    S0, est0, layout = original.S, original.est, refit.layout
    mean, std = original.mean, original.std
    observed = _distances(S0, est0, layout, log)
    Z = (survey.X - mean) / std
    root_inv = _sqrt_psd(S0, inverse=True)
    rotated = {}
    for model in MODELS:
        Sigma = model_fit.implied_corr(S0, est0, layout, model)
        # back to the items' metric, so an unstandardized (scaled=False) fit sees the
        # same item variances; correlations are unaffected
        Zr = Z @ root_inv @ _sqrt_psd(Sigma)
        rotated[model] = refit.with_survey(dataclasses.replace(survey, values=mean + Zr * std))

    def evaluate(counts: np.ndarray):
        values = {}
        for model in MODELS:
            fitted = rotated[model].fit(counts)
            d = _distances(fitted.corr, fitted.estimate, layout, log)
            bad = np.zeros(counts.shape[0], dtype=bool)
            for reason, mask in drop_reasons(fitted, refit.options.consistent).items():
                if reason != "inadmissible" or inadmissible == "drop":
                    bad |= mask
            if inadmissible == "drop":
                bad |= _implied_not_psd(fitted.corr, fitted.estimate, layout, model)
            for measure in ("srmr", "d_uls", "d_g"):
                values[f"{model}/{measure}"] = {"d": np.where(bad, np.nan, d[(model, measure)])}
        return values, {}  # dropped per measure below, as the NaN entries

    counts = BootstrapCounts(n, refit.n_rows, np.random.default_rng(seed), desc="fit test")
    draws = run(counts, evaluate, len(MODELS) * refit.bytes_per_fit, chunk=chunk_size,
                progress=progress, parallel=True).values  # evaluate shares no state
    rows_out, dropped = [], 0
    for (model, measure), value in observed.items():
        d = draws[f"{model}/{measure}"]["d"]
        ok = np.isfinite(d)
        dropped = max(dropped, int((~ok).sum()))
        d = d[ok]
        hi = np.quantile(d, quantiles)
        pval = (1.0 + np.sum(d >= value)) / (1.0 + d.size)
        rows_out.append((model, measure, float(value), float(hi[0]), float(hi[1]), float(pval)))
    out = pd.DataFrame(rows_out, columns=["model", "measure", "value", "hi95", "hi99", "p"])
    out.attrs["dropped"] = dropped
    return out
