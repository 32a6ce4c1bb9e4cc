"""The numba-compiled step of :func:`satmodel.moments.core.compute_moments` for batches
of weight vectors (imported through :class:`satmodel._compiled.Compiled` only;
importing this module imports numba)."""

from __future__ import annotations

import math

import numpy as np
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


@njit(cache=True, nogil=True, error_model="numpy")
def correlations_from_sums(P, where, m, mean, std, corr):
    """Per element g of ``m[g]`` (weighted) rows: ``P[g, where[i, j]]`` holds the exact
    cross products of the items and a column of ones (index p: the sums). Means, SDs
    and correlations into ``mean``, ``std`` and ``corr`` with the operations of the
    numpy steps: the exact centred sums ``t = m X'X - s s'``, SDs
    ``sqrt(t_ii / (m (m - 1)))``, correlations ``t_ij (u_i u_j)`` with
    ``u_i = 1 / sqrt(t_ii)``, unit diagonal: the numpy steps' bits. Each operation is
    symmetric in (i, j), so the matrix is exactly symmetric; it is written a whole row
    at a time (gathered products, then one pass a row: contiguous, vectorized)."""
    G, p = corr.shape[0], corr.shape[1]
    s, u = np.empty(p), np.empty(p)
    for g in range(G):
        mf = m[g]
        d = mf * (mf - 1.0)
        sums, out = P[g], corr[g]
        for j in range(p):
            s[j] = float(sums[where[p, j]])
            mean[g, j] = s[j] / mf
        for i in range(p):
            t = float(sums[where[i, i]]) * mf - s[i] * s[i]
            std[g, i] = math.sqrt(t / d)
            u[i] = 1.0 / math.sqrt(t)
        for i in range(p):
            for j in range(p):
                out[i, j] = float(sums[where[i, j]]) * mf
        for i in range(p):
            si, ui = s[i], u[i]
            for j in range(p):
                out[i, j] = (out[i, j] - si * s[j]) * (ui * u[j])
            out[i, i] = 1.0


@njit(cache=True, nogil=True)
def integer_weights(c, out, limit):
    """``c`` (B, n) into ``out`` (B, >= n; float32 or uint8, zeros past n) when every
    weight is an integer in [0, ``limit``) (2^24: exact in float32; 256: a byte); the
    largest row sum, or -1.0 when a weight is not such an integer (``out`` is then
    unusable)."""
    B, n = c.shape
    top = 0.0
    for b in range(B):
        s = 0.0
        for r in range(n):
            v = c[b, r]
            if not (v >= 0.0 and v < limit) or v != math.floor(v):
                return -1.0
            out[b, r] = v
            s += v
        for r in range(n, out.shape[1]):
            out[b, r] = 0
        top = max(top, s)
    return top
