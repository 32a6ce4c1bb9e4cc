"""Fit indices of a CB-SEM solution from the sample and implied covariance matrices.

Conventions (those of lavaan's default ``sem()`` output, estimator ML):

- ``S`` is the sample covariance with divisor **n** (the ML estimate);
- F_ML = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p; **chi2 = n * F_ML** (lavaan's
  convention; EQS/LISREL-style ``(n - 1) * F`` would be ``chi2 * (n - 1) / n``);
- baseline: the independence model (diagonal Sigma = diag S), chi2_b = n * F_b on
  p(p - 1)/2 degrees of freedom; CFI, TLI and NFI against it;
- RMSEA = sqrt(max(chi2 - df, 0) / (df * n)) with its 90% interval from the
  noncentral chi-square distribution (lavaan uses n, not n - 1);
- SRMR is Bentler's: residuals (s_ij - sigma_ij) / sqrt(s_ii s_jj) over the
  p(p + 1)/2 lower-triangle elements including the diagonal;
- GFI = 1 - tr((Sigma^-1 S - I)^2) / tr((Sigma^-1 S)^2) (ML weight), AGFI = 1 -
  p(p + 1) / (2 df) * (1 - GFI);
- loglik is the **true** multivariate-normal log-likelihood at the estimates
  (means saturated): -n/2 [p ln(2 pi) + ln|Sigma| + tr(S Sigma^-1)]; AIC = -2 loglik
  + 2q, BIC = -2 loglik + q ln n with q free parameters (no mean parameters, as
  lavaan without ``meanstructure``). semopy's own AIC/BIC use its objective value
  instead of a log-likelihood and are not comparable across programs.

Other estimators (every index not defined for an estimator is ``<NA>``, never NaN;
the Series has pandas' nullable ``Float64`` dtype) follow lavaan's definitions
(:mod:`satmodel.cbsem.lsq`): with F = (s - sigma)' V (s - sigma) the estimator's
discrepancy,

- GLS, WLS: **chi2 = (n - 1) F** (lavaan's convention for these estimators); the baseline
  is the independence model refitted by the same estimator (F minimized over diagonal
  Sigma), chi2_b = (n - 1) F_b; GFI = 1 - e'Ve / s'Vs with the estimator's weight (GLS:
  1 - tr((S^-1 (S - Sigma))^2) / p); RMSEA and its interval use n - 1 in place of n (as
  lavaan for these estimators); loglik, AIC, BIC are ML quantities: ``<NA>``.
- ULS, DWLS: their minima are not chi-square distributed without a scaling correction,
  so chi2, p_value, CFI, TLI, RMSEA and its interval, and NFI are ``<NA>`` unless
  ``unscaled_test=True``: then they are lavaan's unscaled ``test="standard"`` values
  ((n - 1) F and the indices built on it; ULS has no p value, as in lavaan). SRMR and
  the ULS / DWLS-weighted GFI and AGFI are always given (ULS weighs each distinct
  moment once, as lavaan).
- FIML (:func:`fiml_indices`): the model log-likelihood is the casewise (observed
  items of each row) normal log-likelihood at the model-implied means and covariance;
  **chi2 = 2 (loglik_sat - loglik)** against the saturated model, whose means and
  covariance are the EM (FIML) estimates of an unrestricted normal model (lavaan's
  ``h1``); df = p(p + 1)/2 + p - (q + p) with the p item intercepts among the q + p
  free parameters; the baseline is the independence model with free means and
  variances, whose FIML estimates are each item's observed mean and variance (divisor
  its number of answers); RMSEA uses n = all rows; SRMR and GFI compare Sigma with the
  EM covariance (covariance part: SRMR is lavaan's ``srmr_bentler_nomean``; with
  ``srmr_means=True`` the mean residuals join, lavaan's ``srmr``; lavaan's GFI under
  ``missing="ml"`` also weighs the means, with a pattern-dependent weight not reproduced); AIC/BIC count the
  p intercepts (as lavaan with ``missing="ml"``), so on complete data AIC is 2p and BIC
  p ln n above the ML fit's while loglik and chi2 are equal.

Example
-------
>>> import numpy as np
>>> S = np.array([[1.0, 0.5], [0.5, 1.0]])
>>> fit = fit_indices(S, S, n=100, n_free=3)
>>> float(fit["chi2"]), float(fit["df"]), float(fit["srmr"])
(0.0, 0.0, 0.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .lsq import baseline_discrepancy, discrepancy as lsq_discrepancy, weight as lsq_weight
from .._linalg import logdet

__all__ = ["FIT_INDEX_NAMES", "fit_indices", "indices_series", "fiml_indices", "casewise_loglik",
           "loglik", "rmsea_ci"]

FIT_INDEX_NAMES = ("chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                   "rmsea_ci_upper", "srmr", "gfi", "agfi", "nfi", "loglik", "aic", "bic")


def f_ml(S: np.ndarray, sigma: np.ndarray) -> float:
    """ML discrepancy ln|Sigma| + tr(S Sigma^-1) - ln|S| - p (0 at a perfect fit)."""
    p = S.shape[0]
    return float(logdet(sigma)) + float(np.trace(np.linalg.solve(sigma, S))) - float(logdet(S)) - p


def loglik(S: np.ndarray, sigma: np.ndarray, n: int) -> float:
    """Normal log-likelihood of n rows with ML covariance ``S`` under ``sigma`` (means saturated).

    >>> round(loglik(np.eye(2), np.eye(2), 10), 6)  # -n/2 (p ln 2pi + p)
    -28.378771
    """
    p = S.shape[0]
    quad = float(np.trace(np.linalg.solve(sigma, S)))
    return float(-0.5 * n * (p * np.log(2 * np.pi) + float(logdet(sigma)) + quad))


def rmsea_ci(chi2: float, df: float, n: int, level: float = 0.90) -> tuple[float, float]:
    """RMSEA confidence interval by inverting the noncentral chi-square (lavaan's rule).

    The lower (upper) limit uses the noncentrality lambda at which chi2 is the
    (1 + level)/2 ((1 - level)/2) quantile; RMSEA = sqrt(lambda / (df * n)).
    """
    if df <= 0:
        return float("nan"), float("nan")
    hi_q, lo_q = (1 + level) / 2, (1 - level) / 2

    def limit(q: float) -> float:
        f = lambda lam: stats.ncx2.cdf(chi2, df, lam) - q  # noqa: E731  (decreasing in lam)
        if stats.chi2.cdf(chi2, df) < q:
            return 0.0
        upper = max(chi2, 1.0)
        while f(upper) > 0:
            upper *= 2
        return optimize.brentq(f, 1e-12, upper, xtol=1e-12)

    return float(np.sqrt(limit(hi_q) / (df * n))), float(np.sqrt(limit(lo_q) / (df * n)))


def _na(value: float, defined: bool = True):
    return value if defined and np.isfinite(value) else pd.NA


def indices_series(values: dict) -> pd.Series:
    """Fit indices as a nullable ``Float64`` Series in :data:`FIT_INDEX_NAMES` order
    (``pd.NA``, None and non-finite values become ``<NA>``).

    >>> int(indices_series({"chi2": 1.0}).isna().sum())
    14
    """
    out = [values.get(k) for k in FIT_INDEX_NAMES]
    out = [pd.NA if v is None or v is pd.NA else _na(float(v)) for v in out]
    return pd.Series(pd.array(out, dtype="Float64"), index=list(FIT_INDEX_NAMES), name="value")


def _incremental(chi2, df, chi2_b, df_b, n) -> dict:
    """p value, CFI, TLI, NFI, RMSEA and its interval from the two test statistics."""
    if chi2 is pd.NA:
        return dict.fromkeys(("p_value", "cfi", "tli", "nfi", "rmsea", "rmsea_ci_lower",
                              "rmsea_ci_upper"), pd.NA)
    denom = max(chi2 - df, chi2_b - df_b, 0.0)
    lo, hi = rmsea_ci(chi2, df, n)
    return {
        "p_value": float(stats.chi2.sf(chi2, df)) if df > 0 else pd.NA,
        "cfi": 1.0 - max(chi2 - df, 0.0) / denom if denom > 0 else 1.0,
        "tli": ((chi2_b / df_b) - (chi2 / df)) / ((chi2_b / df_b) - 1.0) if df > 0 else pd.NA,
        "nfi": (chi2_b - chi2) / chi2_b,
        "rmsea": float(np.sqrt(max(chi2 - df, 0.0) / (df * n))) if df > 0 else pd.NA,
        "rmsea_ci_lower": lo, "rmsea_ci_upper": hi,
    }


def _residual_fit(S, sigma, df, estimator: str, V=None) -> dict:
    """SRMR, GFI, AGFI (GFI weighted as the estimator's discrepancy, V its weight)."""
    p = S.shape[0]
    d = np.diag(S)
    rows, cols = np.tril_indices(p)
    srmr = float(np.sqrt(np.mean(((S - sigma) / np.sqrt(np.outer(d, d)))[rows, cols] ** 2)))
    if estimator in ("ML", "FIML"):
        A = np.linalg.solve(sigma, S)
        E = A - np.eye(p)
        gfi = 1.0 - float(np.trace(E @ E)) / float(np.trace(A @ A))
    else:
        gfi = 1.0 - lsq_discrepancy(S, sigma, V) / lsq_discrepancy(S, np.zeros_like(S), V)
    agfi = 1.0 - (p * (p + 1) / (2 * df)) * (1.0 - gfi) if df > 0 else pd.NA
    return {"srmr": srmr, "gfi": gfi, "agfi": agfi}


def fit_indices(S: np.ndarray, sigma: np.ndarray, *, n: int, n_free: int,
                estimator: str = "ML", gamma: np.ndarray | None = None,
                unscaled_test: bool = False) -> pd.Series:
    """All fit indices as a ``Float64`` Series indexed by :data:`FIT_INDEX_NAMES`
    (see module notes); ``gamma`` (:func:`~satmodel.cbsem.engine.adf_gamma`) for WLS/DWLS."""
    S, sigma = np.asarray(S, dtype=float), np.asarray(sigma, dtype=float)
    p = S.shape[0]
    df = p * (p + 1) / 2 - n_free
    df_b = p * (p - 1) / 2
    V = None
    if estimator == "ML":
        chi2 = max(n * f_ml(S, sigma), 0.0)
        chi2_b = n * (float(np.sum(np.log(np.diag(S)))) - float(logdet(S)))
    else:
        V = lsq_weight(estimator, S, gamma)
        chi2 = max((n - 1) * lsq_discrepancy(S, sigma, V), 0.0)
        chi2_b = (n - 1) * baseline_discrepancy(S, V)
        if estimator in ("ULS", "DWLS") and not unscaled_test:
            chi2 = chi2_b = pd.NA
    n_rmsea = n if estimator == "ML" else n - 1  # lavaan: RMSEA of (n - 1) F on n - 1
    values = {"chi2": chi2, "df": df, **_incremental(chi2, df, chi2_b, df_b, n_rmsea),
              **_residual_fit(S, sigma, df, estimator, V)}
    if estimator == "ULS":
        values["p_value"] = pd.NA  # lavaan: no reference distribution for the ULS statistic
    if estimator == "ML":
        ll = loglik(S, sigma, n)
        values.update(loglik=ll, aic=-2 * ll + 2 * n_free, bic=-2 * ll + n_free * np.log(n))
    else:
        values.update(loglik=pd.NA, aic=pd.NA, bic=pd.NA)
    return indices_series(values)


def casewise_loglik(X: np.ndarray, mean: np.ndarray, sigma: np.ndarray) -> float:
    """Normal log-likelihood of the rows of ``X`` (NaN = missing), each over its observed items.

    >>> X = np.array([[0.0, np.nan], [1.0, 1.0]])
    >>> round(float(casewise_loglik(X, np.zeros(2), np.eye(2))), 6)  # -(3 ln 2pi + 0 + 2) / 2
    -3.756816
    """
    obs = ~np.isnan(X)
    patterns, inverse = np.unique(obs, axis=0, return_inverse=True)
    total = 0.0
    for g, pat in enumerate(patterns):
        if not pat.any():
            continue
        D = X[np.ravel(inverse) == g][:, pat] - mean[pat]
        sub = sigma[np.ix_(pat, pat)]
        quad = float(np.sum(D * np.linalg.solve(sub, D.T).T))
        total += -0.5 * (D.shape[0] * (pat.sum() * np.log(2 * np.pi) + float(logdet(sub))) + quad)
    return float(total)


def fiml_indices(X: np.ndarray, mean: np.ndarray, sigma: np.ndarray, *, n_free: int,
                 sat_mean: np.ndarray, sat_cov: np.ndarray, srmr_means: bool = False) -> pd.Series:
    """Fit indices of a FIML fit (module notes): ``X`` rows with NaN, the model's implied
    ``mean`` and ``sigma`` (``n_free`` parameters, intercepts included), the saturated (EM) ``sat_mean``
    and ``sat_cov`` (divisor n). ``srmr_means``: SRMR over the p(p + 1)/2 covariance and the
    p mean residuals, each mean residual divided by the item's SD (lavaan's ``srmr`` with a
    mean structure); else covariances only (lavaan's ``srmr_bentler_nomean``)."""
    n, p = X.shape
    ll = casewise_loglik(X, mean, sigma)
    ll_sat = casewise_loglik(X, sat_mean, sat_cov)
    m_j, v_j = np.nanmean(X, axis=0), np.nanvar(X, axis=0)
    ll_b = casewise_loglik(X, m_j, np.diag(v_j))
    df = p * (p + 1) / 2 + p - n_free
    chi2, chi2_b = max(2 * (ll_sat - ll), 0.0), 2 * (ll_sat - ll_b)
    values = {"chi2": chi2, "df": df, **_incremental(chi2, df, chi2_b, p * (p - 1) / 2, n),
              **_residual_fit(sat_cov, sigma, df, "FIML"),
              "loglik": ll, "aic": -2 * ll + 2 * n_free, "bic": -2 * ll + n_free * np.log(n)}
    if srmr_means:
        sd = np.sqrt(np.diag(sat_cov))
        rows, cols = np.tril_indices(p)
        r = np.concatenate([((sat_cov - sigma) / np.outer(sd, sd))[rows, cols], (sat_mean - mean) / sd])
        values["srmr"] = float(np.sqrt(np.mean(r**2)))
    return indices_series(values)
