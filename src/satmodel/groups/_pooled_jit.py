"""The numba-compiled step of :func:`satmodel.groups.pooled.pooled_moments` from exact
integer sums to means, SDs and correlations (imported through
:class:`satmodel._compiled.Compiled` only; importing this module imports numba)."""

from __future__ import annotations

from numba import njit

from ..moments._core_jit import covariances_to_correlations


@njit(cache=True, nogil=True, error_model="numpy")
def correlations_from_sums(P, m, mean, std, corr):
    """Per group g of ``m[g]`` rows: ``P[g]`` (p + 1, p + 1) holds the cross products of
    the items and a row of ones (its last row: the sums). Means, SDs and correlations
    into ``mean``, ``std`` and ``corr`` with the operations of the numpy steps, in their
    order: ``(m X'X - s s') / m / (m - 1)``, SDs from its diagonal (negative: 0), then
    divided by the SDs, unit diagonal."""
    G, p = corr.shape[0], corr.shape[1]
    for g in range(G):
        mf = m[g]
        for j in range(p):
            mean[g, j] = float(P[g, p, j]) / mf
        for i in range(p):
            si = float(P[g, p, i])
            for j in range(p):
                c = float(P[g, i, j]) * mf
                c -= si * float(P[g, p, j])
                c /= mf
                corr[g, i, j] = c / (mf - 1.0)
        covariances_to_correlations(corr[g], std[g])
