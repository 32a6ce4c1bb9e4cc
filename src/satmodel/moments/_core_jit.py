"""The numba-compiled step of :func:`satmodel.moments.core.compute_moments` for batches
of weight vectors (imported through :class:`satmodel._compiled.Compiled` only;
importing this module imports numba)."""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def correlations_from_triangle(tri, where, n, mean_s, std, corr):
    """Per weight vector b: ``tri[b]`` holds the weighted sums Σ c x_j x_k (j <= k, at
    column ``where[j, k]``) of centred rows, ``mean_s[b]`` their weighted means and
    ``n[b]`` the weights' sum. SDs and correlations into ``std`` and ``corr`` with the
    operations of the numpy steps, in their order: ``(tri - (n m_j) m_k) / (n - 1)``
    for every (j, k), SDs from its diagonal (negative: 0), divided by ``s_j s_k``, unit
    diagonal."""
    B, p = corr.shape[0], corr.shape[1]
    for b in range(B):
        nb = n[b]
        for j in range(p):
            nm = nb * mean_s[b, j]
            for k in range(p):
                c = tri[b, where[j, k]] - nm * mean_s[b, k]
                corr[b, j, k] = c / (nb - 1.0)
        covariances_to_correlations(corr[b], std[b])


@njit(cache=True, nogil=True, error_model="numpy")
def covariances_to_correlations(cov, std):
    """A (p, p) covariance matrix to correlations in place and its SDs into ``std``, as
    the numpy steps do it: SDs from the diagonal (negative: 0), each entry divided by
    ``s_j s_k``, unit diagonal."""
    p = cov.shape[0]
    for j in range(p):
        d = cov[j, j]
        std[j] = math.sqrt(0.0 if d < 0.0 else d)
    for j in range(p):
        for k in range(p):
            cov[j, k] = cov[j, k] / (std[j] * std[k])
        cov[j, j] = 1.0
