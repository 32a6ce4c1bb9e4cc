"""The completely standardized solution of a CB-SEM fit, and its factor scores.

Everything here is a function of a :class:`~satmodel.cbsem.engine.CBEstimate`, so a
fit and each bootstrap resample go through the same code (the tables built from it
are in :mod:`satmodel.cbsem.tables`). Standardization is lavaan's ``std.all``:
model-implied variances of constructs and items.

Example
-------
>>> import numpy as np, satmodel as sm
>>> from satmodel.cbsem.engine import run_semopy, exact_sample
>>> spec = sm.ModelSpec.from_lavaan("F =~ a + b + c")
>>> S = np.array([[1, .48, .42], [.48, 1, .56], [.42, .56, 1]])
>>> sol = standardize(run_semopy(spec, exact_sample(S, 200)))
>>> np.round(sol.loadings[:, 0], 6).tolist()
[0.6, 0.8, 0.7]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import CBEstimate
from .. import _linalg

__all__ = ["Solution", "standardize", "factor_scores", "check_arrays"]


@dataclass(frozen=True, eq=False)
class Solution:
    """Standardized arrays (spec order): ``loadings`` (p x J), ``beta`` (J x J, [target,
    source]), ``total`` (J x J, [target, source]), ``r2`` (J, NaN if exogenous),
    ``construct_corr`` (J x J), ``residual_var`` (p, standardized residual variances)."""

    loadings: np.ndarray
    beta: np.ndarray
    total: np.ndarray
    r2: np.ndarray
    construct_corr: np.ndarray
    residual_var: np.ndarray
    construct_var: np.ndarray


def standardize(est: CBEstimate) -> Solution:
    """lavaan ``std.all`` solution of ``est`` (NaN entries where it is not defined)."""
    J = est.beta.shape[0]
    inv = _linalg.inv(np.eye(J) - est.beta)  # NaN (never an exception) where I - B is singular
    cov_eta = inv @ est.psi @ inv.T
    var_eta = np.diag(cov_eta).copy()
    sd_eta = np.sqrt(np.clip(var_eta, 0.0, None))
    sd_x = np.sqrt(np.diag(est.sigma))
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = est.loadings * sd_eta[None, :] / sd_x[:, None]
        beta = est.beta * sd_eta[None, :] / sd_eta[:, None]
        beta = np.where(est.beta == 0, 0.0, beta)
        total = _linalg.inv(np.eye(J) - beta) - np.eye(J)
        endo = np.any(est.beta != 0, axis=1)
        r2 = np.where(endo, 1.0 - np.diag(est.psi) / var_eta, np.nan)
        corr = cov_eta / np.outer(sd_eta, sd_eta)
        resid = np.diag(est.theta) / np.diag(est.sigma)
    return Solution(loadings=lam, beta=beta, total=total, r2=r2, construct_corr=corr,
                    residual_var=resid, construct_var=var_eta)


def factor_scores(X: np.ndarray, mean: np.ndarray, est: CBEstimate) -> np.ndarray:
    """Regression (Thurstone) factor scores, each column standardized (SD divisor n - 1).

    F = (X - mean) Sigma^-1 Lambda Phi with Sigma and Phi (construct covariances) implied by
    the fit; standardizing makes them comparable with PLS's standardized scores. A row with
    missing items (FIML) uses its observed items only: (x_o - mean_o) Sigma_oo^-1 (Lambda Phi)_o,
    the conditional expectation of the constructs given the answers.
    """
    J = est.beta.shape[0]
    inv = np.linalg.inv(np.eye(J) - est.beta)
    cross = est.loadings @ (inv @ est.psi @ inv.T)
    D = X - mean
    obs = ~np.isnan(D)
    if obs.all():
        F = D @ np.linalg.solve(est.sigma, cross)
    else:
        F = np.zeros((X.shape[0], J))
        patterns, inverse = np.unique(obs, axis=0, return_inverse=True)
        for g, pat in enumerate(patterns):
            rows = np.ravel(inverse) == g
            if pat.any():
                F[rows] = D[rows][:, pat] @ np.linalg.solve(est.sigma[np.ix_(pat, pat)], cross[pat])
    sd = F.std(axis=0, ddof=1)
    return F / np.where(sd > 0, sd, 1.0)


def check_arrays(sample_cov: np.ndarray, *, loadings: np.ndarray, beta: np.ndarray,
                 psi: np.ndarray, theta: np.ndarray, sigma: np.ndarray) -> None:
    """Raise ValueError unless the arrays can be one fit (for a record read from JSON):
    symmetric covariance matrices with non-negative variances, and ``sigma`` the
    covariance implied by loadings, beta, psi and theta.

    >>> check_arrays(np.eye(1), loadings=np.eye(1), beta=np.zeros((1, 1)), psi=np.eye(1),
    ...              theta=np.zeros((1, 1)), sigma=np.eye(1))
    """
    named = {"sample_cov": sample_cov, "estimate.psi": psi, "estimate.theta": theta,
             "estimate.sigma": sigma}
    for name, A in named.items():
        if not np.allclose(A, A.T, atol=1e-10) or (np.diag(A) < 0).any():
            raise ValueError(f"{name} must be a symmetric covariance matrix")
    inv = _linalg.inv(np.eye(beta.shape[0]) - beta)
    implied = loadings @ inv @ psi @ inv.T @ loadings.T + theta
    if not np.allclose(implied, sigma, rtol=1e-8, atol=1e-10 * np.abs(sigma).max()):
        raise ValueError("estimate.sigma disagrees with the loadings, beta, psi and theta of "
                         "the same record")
