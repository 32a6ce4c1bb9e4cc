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

For GLS, chi2 = n * F_GLS with F_GLS = 1/2 tr((S^-1 (S - Sigma))^2); loglik, AIC and
BIC are ML quantities and are NaN (not defined) for GLS.

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

__all__ = ["FIT_INDEX_NAMES", "fit_indices", "loglik", "rmsea_ci"]

FIT_INDEX_NAMES = ("chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                   "rmsea_ci_upper", "srmr", "gfi", "agfi", "nfi", "loglik", "aic", "bic")


def _logdet(A: np.ndarray) -> float:
    sign, value = np.linalg.slogdet(A)
    return float(value) if sign > 0 else float("nan")


def f_ml(S: np.ndarray, sigma: np.ndarray) -> float:
    """ML discrepancy ln|Sigma| + tr(S Sigma^-1) - ln|S| - p (0 at a perfect fit)."""
    p = S.shape[0]
    return _logdet(sigma) + float(np.trace(np.linalg.solve(sigma, S))) - _logdet(S) - p


def loglik(S: np.ndarray, sigma: np.ndarray, n: int) -> float:
    """Normal log-likelihood of n rows with ML covariance ``S`` under ``sigma`` (means saturated).

    >>> round(loglik(np.eye(2), np.eye(2), 10), 6)  # -n/2 (p ln 2pi + p)
    -28.378771
    """
    p = S.shape[0]
    return float(-0.5 * n * (p * np.log(2 * np.pi) + _logdet(sigma) + float(np.trace(np.linalg.solve(sigma, S)))))


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


def fit_indices(S: np.ndarray, sigma: np.ndarray, *, n: int, n_free: int,
                estimator: str = "ML") -> pd.Series:
    """All fit indices as a Series indexed by :data:`FIT_INDEX_NAMES` (see module notes)."""
    S, sigma = np.asarray(S, dtype=float), np.asarray(sigma, dtype=float)
    p = S.shape[0]
    df = p * (p + 1) / 2 - n_free
    if estimator == "GLS":
        R = np.linalg.solve(S, S - sigma)
        fmin = 0.5 * float(np.trace(R @ R))
    else:
        fmin = f_ml(S, sigma)
    chi2 = max(n * fmin, 0.0)
    d = np.diag(S)
    chi2_b = n * (float(np.sum(np.log(d))) - _logdet(S))
    df_b = p * (p - 1) / 2
    p_value = float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan")
    denom = max(chi2 - df, chi2_b - df_b, 0.0)
    cfi = 1.0 - max(chi2 - df, 0.0) / denom if denom > 0 else 1.0
    tli = ((chi2_b / df_b) - (chi2 / df)) / ((chi2_b / df_b) - 1.0) if df > 0 else float("nan")
    rmsea = float(np.sqrt(max(chi2 - df, 0.0) / (df * n))) if df > 0 else float("nan")
    lo, hi = rmsea_ci(chi2, df, n)
    scale = np.sqrt(np.outer(d, d))
    rows, cols = np.tril_indices(p)
    srmr = float(np.sqrt(np.mean(((S - sigma) / scale)[rows, cols] ** 2)))
    A = np.linalg.solve(sigma, S)
    E = A - np.eye(p)
    gfi = 1.0 - float(np.trace(E @ E)) / float(np.trace(A @ A))
    agfi = 1.0 - (p * (p + 1) / (2 * df)) * (1.0 - gfi) if df > 0 else float("nan")
    nfi = (chi2_b - chi2) / chi2_b
    if estimator == "ML":
        ll = loglik(S, sigma, n)
        aic, bic = -2 * ll + 2 * n_free, -2 * ll + n_free * np.log(n)
    else:
        ll = aic = bic = float("nan")
    values = [chi2, df, p_value, cfi, tli, rmsea, lo, hi, srmr, gfi, agfi, nfi, ll, aic, bic]
    return pd.Series([float(v) for v in values], index=list(FIT_INDEX_NAMES), name="value", dtype=float)
