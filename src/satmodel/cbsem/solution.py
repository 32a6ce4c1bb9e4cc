"""The completely standardized solution of a CB-SEM fit, and the tables built from it.

Everything here is a function of a :class:`~satmodel.cbsem.engine.CBEstimate` (and,
for alpha and HTMT, of the sample correlations), so a fit and each bootstrap
resample go through the same code. Standardization is lavaan's ``std.all``:
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
import pandas as pd

from .engine import CBEstimate
from ..spec.model import ModelSpec
from ..tables.base import effect_pairs

__all__ = ["Solution", "standardize", "table_values", "alpha", "htmt", "TABLE_KEYS"]


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
    """lavaan ``std.all`` solution of ``est``."""
    J = est.beta.shape[0]
    inv = np.linalg.inv(np.eye(J) - est.beta)
    cov_eta = inv @ est.psi @ inv.T
    var_eta = np.diag(cov_eta).copy()
    sd_eta = np.sqrt(np.clip(var_eta, 0.0, None))
    sd_x = np.sqrt(np.diag(est.sigma))
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = est.loadings * sd_eta[None, :] / sd_x[:, None]
        beta = est.beta * sd_eta[None, :] / sd_eta[:, None]
        beta = np.where(est.beta == 0, 0.0, beta)
        total = np.linalg.inv(np.eye(J) - beta) - np.eye(J)
        endo = np.any(est.beta != 0, axis=1)
        r2 = np.where(endo, 1.0 - np.diag(est.psi) / var_eta, np.nan)
        corr = cov_eta / np.outer(sd_eta, sd_eta)
        resid = np.diag(est.theta) / np.diag(est.sigma)
    return Solution(loadings=lam, beta=beta, total=total, r2=r2, construct_corr=corr,
                    residual_var=resid, construct_var=var_eta)


def _block(spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
    pos = {c: j for j, c in enumerate(spec.construct_names)}
    cols = np.array([pos[c.name] for c in spec.constructs for _ in c.indicators])
    return np.arange(len(cols)), cols


#: key columns of each table, from the spec
TABLE_KEYS = {
    "paths": lambda spec: pd.DataFrame([(p.source, p.target) for p in spec.paths], columns=["source", "target"]),
    "outer": lambda spec: pd.DataFrame([(c.name, i.name) for c in spec.constructs for i in c.indicators],
                                       columns=["construct", "indicator"]),
    "effects": lambda spec: pd.DataFrame(effect_pairs(spec), columns=["source", "target"]),
    "r2": lambda spec: pd.DataFrame({"construct": list(spec.endogenous)}),
}


def table_values(spec: ModelSpec, est: CBEstimate, sol: Solution) -> dict[str, dict[str, np.ndarray]]:
    """Value columns of the tables ``paths``, ``outer``, ``effects``, ``r2`` (standardized and raw)."""
    pos = {c: j for j, c in enumerate(spec.construct_names)}
    src = np.array([pos[p.source] for p in spec.paths], dtype=int)
    tgt = np.array([pos[p.target] for p in spec.paths], dtype=int)
    rows, cols = _block(spec)
    pairs = effect_pairs(spec)
    es = np.array([pos[s] for s, _ in pairs], dtype=int)
    et = np.array([pos[t] for _, t in pairs], dtype=int)
    direct = sol.beta[et, es]
    total = sol.total[et, es]
    endo = np.array([pos[c] for c in spec.endogenous], dtype=int)
    return {
        "paths": {"estimate": sol.beta[tgt, src], "estimate_unstd": est.beta[tgt, src]},
        "outer": {"loading": sol.loadings[rows, cols], "loading_unstd": est.loadings[rows, cols],
                  "residual_var": sol.residual_var, "residual_var_unstd": np.diag(est.theta).copy()},
        "effects": {"direct": direct, "indirect": total - direct, "total": total},
        "r2": {"r2": sol.r2[endo]},
    }


def alpha(spec: ModelSpec, R: np.ndarray) -> np.ndarray:
    """Standardized Cronbach's alpha per construct from the item correlations ``R`` (1 for single items).

    >>> import satmodel as sm
    >>> spec = sm.ModelSpec.from_lavaan("F =~ a + b")
    >>> alpha(spec, np.array([[1.0, 0.5], [0.5, 1.0]])).round(6).tolist()
    [0.666667]
    """
    rows, cols = _block(spec)
    out = []
    for j in range(len(spec.constructs)):
        idx = rows[cols == j]
        k = len(idx)
        out.append(1.0 if k == 1 else k / (k - 1) * (1 - k / R[np.ix_(idx, idx)].sum()))
    return np.array(out)


def htmt(spec: ModelSpec, R: np.ndarray) -> pd.DataFrame:
    """Heterotrait-monotrait ratio (absolute correlations, arithmetic means), square table.

    The diagonal is 1; pairs involving a single-item construct use its within-block
    mean of 1 (as seminr).

    >>> import satmodel as sm
    >>> spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2; B =~ b1 + b2; B ~ A")
    >>> R = np.array([[1, .6, .3, .3], [.6, 1, .3, .3], [.3, .3, 1, .6], [.3, .3, .6, 1]])
    >>> float(htmt(spec, R).loc["A", "B"])
    0.5
    """
    rows, cols = _block(spec)
    names = list(spec.construct_names)
    A = np.abs(R)
    blocks = [rows[cols == j] for j in range(len(names))]

    def within(idx: np.ndarray) -> float:
        if len(idx) < 2:
            return 1.0
        sub = A[np.ix_(idx, idx)]
        return float(sub[np.triu_indices(len(idx), 1)].mean())

    mono = [within(b) for b in blocks]
    out = np.eye(len(names))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            hetero = float(A[np.ix_(blocks[i], blocks[j])].mean())
            out[i, j] = out[j, i] = hetero / np.sqrt(mono[i] * mono[j])
    return pd.DataFrame(out, index=names, columns=names)


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
