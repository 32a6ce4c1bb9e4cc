"""The least-squares family of CB-SEM estimators (GLS, WLS, ULS, DWLS) as lavaan defines it.

Each minimizes F = (s - sigma)' V (s - sigma) over the p(p + 1)/2 distinct moments
(``s = vech S``, lower triangle in ``numpy.tril_indices`` order) with its weight V:

- GLS: the normal-theory weight at the sample covariance, V = 1/2 D'(S^-1 (x) S^-1) D
  (D the duplication matrix), so F = 1/2 tr((S^-1 (S - Sigma))^2);
- WLS: V = Gamma^-1, Gamma Browne's ADF matrix (:func:`~satmodel.cbsem.engine.adf_gamma`);
- DWLS: V = diag(Gamma)^-1;
- ULS: V = I (each distinct moment once; LISREL's tr((S - Sigma)^2) counts an off-diagonal
  twice; the estimates are the same whenever every item's residual variance is free).

lavaan's conventions, followed here: the test statistic is **(n - 1) F** (lavaan scales
its objective by (n - 1)/n for these estimators); the baseline (independence) model is
refitted by the same estimator, i.e. F minimized over diagonal Sigma
(:func:`baseline_discrepancy`); GFI = 1 - e'Ve / s'Vs with the estimator's own weight;
standard errors are ``(D'VD)^-1 / (n - 1)`` ("standard", lavaan ``se="standard"``) or the
sandwich ``(D'VD)^-1 D'V Gamma V D (D'VD)^-1 / (n - 1)`` ("robust", lavaan
``se="robust.sem"``), D = d vech(Sigma) / d theta.

Example
-------
>>> import numpy as np
>>> S = np.array([[2.0, 0.5], [0.5, 1.0]])
>>> V = weight("GLS", S)
>>> float(discrepancy(S, np.diag(np.diag(S)), V))  # 1/2 tr((S^-1 (S - diag S))^2)
0.18367346938775508
>>> round(float(baseline_discrepancy(S, V)), 6)  # the GLS independence model does better
0.111111
"""

from __future__ import annotations

import numpy as np

__all__ = ["weight", "vech", "discrepancy", "baseline_discrepancy", "acov", "LS_ESTIMATORS"]

#: estimators of this family
LS_ESTIMATORS = ("GLS", "WLS", "ULS", "DWLS")


def vech(A: np.ndarray) -> np.ndarray:
    """Lower triangle of a square matrix, diagonal included (``numpy.tril_indices`` order)."""
    return A[np.tril_indices(A.shape[0])]


def weight(estimator: str, S: np.ndarray, gamma: np.ndarray | None = None) -> np.ndarray:
    """The weight matrix V of ``estimator`` on the distinct moments (module notes)."""
    p = S.shape[0]
    rows, cols = np.tril_indices(p)
    if estimator == "ULS":
        return np.eye(len(rows))
    if estimator == "DWLS":
        return np.diag(1.0 / np.diag(gamma))
    if estimator == "WLS":
        return np.linalg.inv(gamma)
    A = np.linalg.inv(S)
    twice = np.where(rows == cols, 1.0, 2.0)  # an off-diagonal moment stands for two cells
    V = 0.25 * (A[np.ix_(rows, rows)] * A[np.ix_(cols, cols)]
                + A[np.ix_(rows, cols)] * A[np.ix_(cols, rows)])
    return V * np.outer(twice, twice)


def discrepancy(S: np.ndarray, sigma: np.ndarray, V: np.ndarray) -> float:
    """F = e'Ve with e = vech(S - Sigma)."""
    e = vech(S - sigma)
    return float(e @ V @ e)


def baseline_discrepancy(S: np.ndarray, V: np.ndarray) -> float:
    """Minimum of F over diagonal Sigma (the independence model refitted by the estimator):
    a linear least-squares problem in the p variances."""
    p = S.shape[0]
    rows, cols = np.tril_indices(p)
    K = np.zeros((len(rows), p))
    K[np.flatnonzero(rows == cols), np.arange(p)] = 1.0
    s = vech(S)
    psi = np.linalg.solve(K.T @ V @ K, K.T @ V @ s)
    e = s - K @ psi
    return float(e @ V @ e)


def acov(D: np.ndarray, V: np.ndarray, n: int, gamma: np.ndarray | None = None) -> np.ndarray:
    """Covariance matrix of the estimates: standard ``(D'VD)^-1 / (n - 1)``, or with
    ``gamma`` the sandwich ``(D'VD)^-1 D'V Gamma V D (D'VD)^-1 / (n - 1)`` (lavaan)."""
    bread = np.linalg.inv(D.T @ V @ D)
    if gamma is None:
        return bread / (n - 1)
    VD = V @ D
    return bread @ (VD.T @ gamma @ VD) @ bread / (n - 1)
