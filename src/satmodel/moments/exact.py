"""Exact moment sums of integer survey codes: float32 (or byte) products, float64 centring.

Survey answers are small integers. When the values and the row weights (bootstrap
counts, jackknife and permutation masks) are integers whose weighted products sum
below 2^24, every partial sum of a float32 product is an integer and so exact: the
cross products cost half of float64's, and the centred sums ``m X'X - s s'`` are
exact too (integers below 2^53), so each correlation takes one product and no
division. Where the CPU has AVX-512 VNNI and the weights and codes fit in bytes
(counts up to 255, codes up to 11 in magnitude), the same sums are made in 32-bit
integers (:mod:`satmodel.moments._bytes_jit`): the same numbers, faster. The grouped fit
(:mod:`satmodel.groups.pooled`) and batched reweightings (:func:`weighted_moments`)
use it.

>>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0]])
>>> n, mean, std, corr = weighted_moments(np.ones((4, 3)), X)
>>> n.tolist(), mean[0].tolist(), round(float(corr[0, 0, 1]), 6)
([3.0, 3.0, 3.0, 3.0], [2.0, 2.3333333333333335], 0.654654)
"""

from __future__ import annotations

import numpy as np

from .._compiled import Compiled

__all__ = ["FLOAT32_EXACT", "moments_from_sums", "weighted_moments"]

FLOAT32_EXACT = 2.0**24  # integers up to this magnitude add up exactly in float32
BLOCK_BYTES = 16 * 2**20  # row-wise products of one block of rows

#: :func:`moments_from_sums`'s numpy steps, compiled
_FROM_SUMS = Compiled("satmodel.moments._core_jit", "correlations_from_sums",
                      "moments from exact sums")
#: the sums of :func:`weighted_moments` in bytes with AVX-512 VNNI (when the CPU has it)
_BYTE_SUMS = Compiled("satmodel.moments._bytes_jit", "byte_sums", "byte cross products")
#: the weights' check and float32 copy of :func:`weighted_moments`, compiled
_INTEGER_WEIGHTS = Compiled("satmodel.moments._core_jit", "integer_weights",
                            "integer weight check")


def moments_from_sums(P: np.ndarray, where: np.ndarray, m: np.ndarray, mean: np.ndarray,
                      std: np.ndarray, corr: np.ndarray) -> None:
    """Means, SDs and correlations of G elements into ``mean``, ``std`` (G, p) and
    ``corr`` (G, p, p) from exact sums ``P`` (G, K): entry (i, j) of the cross products
    of the items and a column of ones (index p: the sums) is column ``where[i, j]``;
    ``m`` (G,) the weights' sums. The centred sums ``t = m X'X - s s'`` are exact, so
    the correlations ``t_ij / sqrt(t_ii t_jj)`` take one product each,
    ``t_ij (u_i u_j)`` with ``u_i = 1 / sqrt(t_ii)``, and no division. Compiled, or the
    same operations in numpy (the same bits)."""
    ran, _ = _FROM_SUMS.call(P, where, m, mean, std, corr, numba_loaded=True)
    if ran:
        return
    p = corr.shape[1]
    full = P.take(where.ravel(), axis=1).reshape(-1, p + 1, p + 1).astype(np.float64)
    s = full[:, p, :p]
    t = np.multiply(full[:, :p, :p], m[:, None, None], out=corr)
    t -= s[:, :, None] * s[:, None, :]  # exact: integers below 2^53
    diag = np.diagonal(t, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):  # one row: NaN, as compiled
        mean[:] = s / m[:, None]
        std[:] = np.sqrt(diag / (m * (m - 1.0))[:, None])
        u = 1.0 / np.sqrt(diag)
        t *= u[:, :, None] * u[:, None, :]
    t[:, np.arange(p), np.arange(p)] = 1.0


def _to_correlations(cov: np.ndarray, std: np.ndarray) -> None:
    """Covariances ``cov`` (G, p, p) to correlations in place, their SDs into ``std``:
    SDs from the diagonal (negative: 0), each entry divided by s_j s_k, unit diagonal."""
    with np.errstate(invalid="ignore", divide="ignore"):  # one row: NaN, as compiled
        std[:] = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
        np.divide(cov, std[:, :, None] * std[:, None, :], out=cov)
    cov[:, np.arange(cov.shape[1]), np.arange(cov.shape[1])] = 1.0


def covariances_to_correlations(cov: np.ndarray, m: np.ndarray, std: np.ndarray) -> None:
    """Centred cross products ``cov`` (G, p, p) of ``m`` (G,) weighted rows to
    correlations in place and their SDs into ``std``, as
    :func:`~satmodel.moments.compute_moments` does it: divisor m - 1, then
    :func:`_to_correlations`."""
    with np.errstate(invalid="ignore", divide="ignore"):  # one row: NaN
        cov /= (m - 1.0)[:, None, None]
    _to_correlations(cov, std)


def weighted_moments(c: np.ndarray, X: np.ndarray) -> tuple | None:
    """``(n, mean, std, corr)`` of the rows of ``X`` (n_rows, p) under each weight vector
    of ``c`` (B, n_rows) from exact sums (32-bit integers by AVX-512 VNNI where the CPU
    has it and weights and products fit in bytes, else float32: the same numbers), or
    None when they would not be exact:
    a value of ``X`` or a weight that is not an integer, a negative weight, or weighted
    products that could reach 2^24 (the largest sum of a weight vector times
    max(|x|, 1)²). The row-wise products are formed a block of rows at a time
    (``BLOCK_BYTES`` each), so the temporaries stay bounded whatever the rows."""
    X = np.asarray(X)
    top = float(np.abs(X).max(initial=0.0)) if X.size else 0.0
    if not np.isfinite(top) or not np.array_equal(np.rint(X), X):
        return None
    rows, p = X.shape
    j, k = np.triu_indices(p + 1)
    big = max(top, 1.0)
    ran, sums = _BYTE_SUMS.call(c, X, j, k, big, FLOAT32_EXACT, numba_loaded=True)
    if not ran or sums is None:
        sums = _float32_sums(c, X, j, k, big)
    if sums is None:
        return None
    where = np.empty((p + 1, p + 1), dtype=np.int64)
    where[j, k] = where[k, j] = np.arange(j.size)
    B = c.shape[0]
    n = sums[:, where[p, p]].astype(np.float64)
    mean, std, corr = np.empty((B, p)), np.empty((B, p)), np.empty((B, p, p))
    moments_from_sums(sums, where, n, mean, std, corr)
    return n, mean, std, corr


def _float32_sums(c: np.ndarray, X: np.ndarray, j: np.ndarray, k: np.ndarray,
                  big: float) -> np.ndarray | None:
    """The sums of :func:`weighted_moments` as a float32 product, or None when they
    would not be exact (weights not integers in [0, 2^24), or reaching 2^24)."""
    c32 = np.empty(c.shape, dtype=np.float32)
    ran, most = _INTEGER_WEIGHTS.call(c, c32, FLOAT32_EXACT, numba_loaded=True)
    if not ran:
        whole = c.size == 0 or (c.min() >= 0.0 and c.max() < FLOAT32_EXACT
                                and np.array_equal(np.rint(c), c))
        most = float(c.sum(axis=1).max(initial=0.0)) if whole else -1.0
        if whole:
            c32[:] = c
    if most < 0.0 or most * big * big >= FLOAT32_EXACT:
        return None
    rows, p = X.shape
    step = max(1, BLOCK_BYTES // (4 * j.size))
    sums = np.empty((c.shape[0], j.size), dtype=np.float32)
    for start in range(0, max(rows, 1), step):  # every partial sum an integer < 2^24: exact
        X1 = np.empty((min(step, rows - start), p + 1), dtype=np.float32)
        X1[:, :p], X1[:, p] = X[start:start + step], 1.0
        products = X1[:, j] * X1[:, k]
        if start:
            sums += c32[:, start:start + step] @ products
        else:
            np.matmul(c32[:, :step], products, out=sums)
    return sums
