"""Moments of survey data with missing cells (NaN): mean replacement, pairwise, EM.

Every function takes the data ``X`` (n, p) with NaN for missing answers and optional
row weights of shape ``(..., n)`` (sampling weights times bootstrap counts), and
returns :class:`~satmodel.moments.Moments` with the leading batch axes of the weights,
like :func:`~satmodel.moments.compute_moments`. So a bootstrap resample is treated
exactly as the original fit: the replacement means, the pairwise moments and the EM
estimates are recomputed on each resample. numpy only (no pandas).

Conventions (docs/methods.md §6.7): n = sum of the weights over all rows; SDs and
covariances use divisor n - 1 (pairwise: the pair's weight sum minus 1); on complete
data all three equal :func:`~satmodel.moments.compute_moments` exactly.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 4.0], [4.0, 3.0]])
>>> m = mean_imputed_moments(X)
>>> m.mean.tolist()
[2.5, 3.0]
>>> round(float(m.corr[0, 1]), 6)  # the cell is replaced by 3.0, the observed mean
0.632456
"""

from __future__ import annotations

import numpy as np

from .core import Moments

__all__ = ["mean_imputed_moments", "pairwise_moments", "em_moments", "impute_conditional",
           "impute_means"]

EM_TOL = 1e-10  # max |change| of means and covariances (on the items' own scale)
EM_MAX_ITER = 5000


def _batch(X: np.ndarray, rw: np.ndarray | None):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    c = np.ones(n) if rw is None else np.asarray(rw, dtype=float)
    shape = c.shape[:-1]
    return X, c.reshape(-1, n), shape


def _finish(shape, N, mean, cov) -> Moments:
    p = mean.shape[-1]
    var = np.diagonal(cov, axis1=-2, axis2=-1)
    std = np.sqrt(np.clip(var, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (std[..., :, None] * std[..., None, :])
    idx = np.arange(p)
    corr[..., idx, idx] = 1.0
    n = N.reshape(shape) if shape else float(N[0])
    return Moments(n=n, mean=mean.reshape(shape + (p,)), std=std.reshape(shape + (p,)),
                   corr=corr.reshape(shape + (p, p)))


def _observed(X: np.ndarray):
    O = ~np.isnan(X)
    shift = np.array([X[O[:, k], k].mean() if O[:, k].any() else 0.0 for k in range(X.shape[1])])
    D = np.where(O, X - shift, 0.0)  # centred observed values, 0 where missing
    return O.astype(float), D, shift


def mean_imputed_moments(X: np.ndarray, row_weights: np.ndarray | None = None) -> Moments:
    """Moments after replacing each missing cell by the weighted mean of the observed values.

    Computed without building the imputed matrix: a replaced cell sits exactly at the
    item mean, so it adds nothing to the cross-products and the item mean is unchanged.
    """
    X, c, shape = _batch(X, row_weights)
    O, D, shift = _observed(X)
    N = c.sum(-1)
    m = (c @ D) / (c @ O)  # weighted observed means (centred), (B, p)
    A1 = np.einsum("br,rp,rq->bpq", c, D, D, optimize=True)
    A2 = np.einsum("br,rp,rq->bpq", c, D, O, optimize=True)  # sum c O_k O_l x_k
    A3 = np.einsum("br,rp,rq->bpq", c, O, O, optimize=True)
    cross = (A1 - m[:, None, :] * A2 - m[:, :, None] * np.swapaxes(A2, 1, 2)
             + m[:, :, None] * m[:, None, :] * A3)
    cov = cross / (N - 1.0)[:, None, None]
    return _finish(shape, N, m + shift, cov)


def pairwise_moments(X: np.ndarray, row_weights: np.ndarray | None = None) -> Moments:
    """Pairwise-deletion moments: each correlation over the rows that answered both items.

    The correlation of items k and l is Pearson's r over their jointly observed rows
    (pair-specific means and SDs, as R's ``cor(use = "pairwise.complete.obs")``); item
    means and SDs use every observed value of the item. A pair with fewer than two
    jointly observed rows gives NaN (the data layer refuses such data).
    """
    X, c, shape = _batch(X, row_weights)
    O, D, shift = _observed(X)
    N = c.sum(-1)
    Nkl = np.einsum("br,rp,rq->bpq", c, O, O, optimize=True)
    Skl = np.einsum("br,rp,rq->bpq", c, D, O, optimize=True)  # sum of x_k over pair (k, l)
    Qkl = np.einsum("br,rp,rq->bpq", c, D * D, O, optimize=True)
    Pkl = np.einsum("br,rp,rq->bpq", c, D, D, optimize=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mk = Skl / Nkl
        ml = np.swapaxes(mk, 1, 2)
        cov = Pkl - Nkl * mk * ml
        vk = Qkl - Nkl * mk * mk
        vl = np.swapaxes(vk, 1, 2)
        corr = cov / np.sqrt(vk * vl)
        diagN = np.diagonal(Nkl, axis1=1, axis2=2)
        mean = np.diagonal(Skl, axis1=1, axis2=2) / diagN
        var = (np.diagonal(Qkl, axis1=1, axis2=2) - diagN * mean**2) / (diagN - 1.0)
    std = np.sqrt(np.clip(var, 0.0, None))
    p = X.shape[1]
    idx = np.arange(p)
    corr[:, idx, idx] = 1.0
    n = N.reshape(shape) if shape else float(N[0])
    return Moments(n=n, mean=(mean + shift).reshape(shape + (p,)), std=std.reshape(shape + (p,)),
                   corr=corr.reshape(shape + (p, p)))


def _patterns(O: np.ndarray) -> list[np.ndarray]:
    """Row indices grouped by missingness pattern (deterministic order)."""
    _, inverse = np.unique(O.astype(np.uint8), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    return [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]


def em_moments(X: np.ndarray, row_weights: np.ndarray | None = None, *,
               tol: float = EM_TOL, max_iter: int = EM_MAX_ITER) -> Moments:
    """EM estimates (multivariate normal) of the means and covariances, batched.

    Starts from the mean-replacement moments; iterates the E step (per missingness
    pattern, all patterns and batch elements in one solve) and the weighted M step
    until means and covariances change by less than ``tol``. The ML covariance is
    rescaled by n/(n - 1), so on complete data the result equals
    :func:`~satmodel.moments.compute_moments` exactly. Memory: batch x patterns x p^2.
    """
    X, c, shape = _batch(X, row_weights)
    O, D, shift = _observed(X)
    B, p = c.shape[0], X.shape[1]
    N = c.sum(-1)
    start = mean_imputed_moments(X, c)
    mu = start.mean.reshape(B, p) - shift
    sigma = (start.corr * start.std[..., :, None] * start.std[..., None, :]).reshape(B, p, p)
    sigma = sigma * ((N - 1.0) / N)[:, None, None]
    groups = _patterns(O > 0)
    obs = np.array([O[rows[0]] > 0 for rows in groups])  # (P, p)
    Cg = np.stack([c[:, rows].sum(-1) for rows in groups], axis=1)  # (B, P)
    S1 = np.stack([c[:, rows] @ D[rows] for rows in groups], axis=1)  # (B, P, p)
    S2 = np.stack([np.einsum("br,rp,rq->bpq", c[:, rows], D[rows], D[rows], optimize=True)
                   for rows in groups], axis=1)  # (B, P, p, p)
    mask = obs[:, :, None] & obs[:, None, :]
    eye_m = np.eye(p)[None] * (~obs)[:, None, :]  # identity on the missing coordinates
    for _ in range(max_iter):
        A = sigma[:, None] * mask + eye_m  # Sigma_oo on the observed block, I elsewhere
        Q = np.linalg.inv(A) * mask  # Sigma_oo^-1 on the observed block, zero elsewhere
        SQ = sigma[:, None] @ Q  # (B, P, p, p)
        a = mu[:, None, :] - (SQ @ (mu[:, None, :] * obs)[..., None])[..., 0]
        b = (SQ @ S1[..., None])[..., 0]
        cond = sigma[:, None] - SQ @ sigma[:, None]
        T1 = np.einsum("bg,bgp->bp", Cg, a) + b.sum(1)
        Ca = Cg[..., None] * a
        ab = np.swapaxes(a, 1, 2) @ b  # sum over patterns of a b'
        T2 = (np.swapaxes(Ca, 1, 2) @ a + np.einsum("bg,bgpq->bpq", Cg, cond)
              + ab + np.swapaxes(ab, 1, 2)
              + (SQ @ S2 @ np.swapaxes(SQ, -1, -2)).sum(1))
        mu_new = T1 / N[:, None]
        sigma_new = T2 / N[:, None, None] - mu_new[:, :, None] * mu_new[:, None, :]
        sigma_new = (sigma_new + np.swapaxes(sigma_new, 1, 2)) / 2
        change = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sigma_new - sigma)))
        mu, sigma = mu_new, sigma_new
        if not np.isfinite(change) or change < tol:
            break
    cov = sigma * (N / (N - 1.0))[:, None, None]
    return _finish(shape, N, mu + shift, cov)


def impute_means(X: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """A copy of ``X`` with each NaN replaced by its column's ``mean``.

    >>> impute_means(np.array([[1.0, np.nan], [3.0, 4.0]]), np.array([2.0, 4.0])).tolist()
    [[1.0, 4.0], [3.0, 4.0]]
    """
    return np.where(np.isnan(X), mean, X)


def impute_conditional(X: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """A copy of ``X`` with NaN cells replaced by E[missing | observed] under N(mean, cov).

    >>> X = np.array([[1.0, np.nan], [2.0, 2.0]])
    >>> impute_conditional(X, np.array([0.0, 0.0]), np.array([[1.0, 0.5], [0.5, 1.0]])).tolist()
    [[1.0, 0.5], [2.0, 2.0]]
    """
    X = np.asarray(X, dtype=float)
    out = X.copy()
    O = ~np.isnan(X)
    for rows in _patterns(O):
        obs = O[rows[0]]
        if obs.all():
            continue
        o, m = np.flatnonzero(obs), np.flatnonzero(~obs)
        dev = X[np.ix_(rows, o)] - mean[o]
        if o.size:
            K = np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, m)]).T
            out[np.ix_(rows, m)] = mean[m] + dev @ K.T
        else:
            out[np.ix_(rows, m)] = mean[m]
    return out
