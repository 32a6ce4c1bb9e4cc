"""Sufficient statistics of a survey matrix: n, means, standard deviations, correlations.

Everything PLS path modelling estimates (except respondent scores) is a function of
the indicator correlation matrix; unstandardized outputs need the means and
standard deviations too. This module computes them in one pass, optionally with
row (frequency or sampling) weights and over a leading batch axis, so that B
bootstrap resamples are B weight vectors and one call.

Example
-------
>>> import numpy as np
>>> from satmodel.moments import compute_moments
>>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0]])
>>> m = compute_moments(X)
>>> m.n, m.mean.tolist(), round(float(m.corr[0, 1]), 6)
(3.0, [2.0, 2.3333333333333335], 0.654654)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from .._compiled import MIN_BATCH, Compiled
from .exact import weighted_moments


@dataclass(frozen=True)
class Moments:
    """Moments of a (possibly batched) data matrix.

    Attributes
    ----------
    n : float or ndarray, shape (...)
        Sum of the row weights (number of rows when unweighted).
    mean : ndarray, shape (..., p)
    std : ndarray, shape (..., p)
        Standard deviations with divisor ``n - 1``.
    corr : ndarray, shape (..., p, p)
        Correlation matrix (unit diagonal exactly).
    """

    n: float | np.ndarray
    mean: np.ndarray
    std: np.ndarray
    corr: np.ndarray


def compute_moments(X: np.ndarray, row_weights: np.ndarray | None = None, *,
                    scale: np.ndarray | None = None) -> Moments:
    """Compute n, means, SDs (divisor n - 1) and correlations of ``X``.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        The data matrix (rows are respondents).
    row_weights : ndarray, shape (..., n), optional
        Frequency weights per row; a leading batch axis gives one set of moments per
        weight vector (a bootstrap resample is the vector of multinomial counts).
        Weighted moments use ``n = sum(weights)`` and divisor ``n - 1``, so integer
        weights give exactly the moments of the replicated rows.
    scale : ndarray, shape (p,), optional
        :func:`column_scales` of ``X`` when the caller knows it already (a pass over
        ``X`` saved); computed otherwise.

    Returns
    -------
    Moments
        With leading batch axes taken from ``row_weights``.
    """
    X = np.asarray(X, dtype=float)
    scale = column_scales(X) if scale is None else scale
    if np.any(scale != 1.0):  # extreme magnitudes: work on exactly rescaled columns
        mom = compute_moments(X / scale, row_weights)
        return Moments(n=mom.n, mean=mom.mean * scale, std=mom.std * scale, corr=mom.corr)
    if row_weights is None:
        n = float(X.shape[0])
        mean = X.mean(axis=0)
        cov = np.zeros((X.shape[1], X.shape[1]))
        for start in range(0, X.shape[0], _ROWS_PER_CHUNK):  # bounded temporaries
            centred = X[start:start + _ROWS_PER_CHUNK] - mean
            cov += centred.T @ centred
        cov /= n - 1.0
    else:
        c = np.asarray(row_weights, dtype=float)
        exact = _exact_moments(c, X)
        if exact is not None:
            return exact
        shift = X.mean(axis=0)  # centring first keeps the cross-product formula accurate
        Xs = X - shift
        n = c.sum(axis=-1)
        mean_s = (c @ Xs) / n[..., None]
        fast = _compiled_moments(c, Xs, n, mean_s)
        if fast is not None:
            return Moments(n=n, mean=mean_s + shift, std=fast[0], corr=fast[1])
        # sum_r c_r (x_r - m)(x_r - m)' = X' diag(c) X - n m m'
        cov = _weighted_cross(c, Xs)  # a fresh array: the steps below work in place
        outer = n[..., None, None] * mean_s[..., :, None] * mean_s[..., None, :]
        cov -= outer  # (``outer`` is reused below for the SDs' products)
        with np.errstate(divide="ignore", invalid="ignore"):  # one row: NaN, as compiled
            cov /= n[..., None, None] - 1.0
        mean = mean_s + shift
    var = np.diagonal(cov, axis1=-2, axis2=-1)
    std = np.sqrt(np.clip(var, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        sd2 = np.multiply(std[..., :, None], std[..., None, :],
                          out=outer if row_weights is not None else None)
        corr = np.divide(cov, sd2, out=cov)  # std is apart
    idx = np.arange(X.shape[1])
    corr[..., idx, idx] = 1.0
    return Moments(n=n, mean=mean, std=std, corr=corr)


_EXTREME = 2.0**50  # columns whose largest |value| is beyond 2^±50 are rescaled


def column_scales(X: np.ndarray) -> np.ndarray:
    """A power of two per column that brings its largest |value| into [1, 2) when that
    lies outside [2^-50, 2^50], else 1 (also for a column of zeros or NaN).

    Dividing by a power of two is exact, so moments are scale-free: squares of 1e200
    would overflow and those of 1e-160 lose digits, while ordinary survey columns are
    left as they are (bit for bit).

    >>> s = column_scales(np.array([[1e200, 3.0], [2e200, 7.0]]))
    >>> float(s[1]), bool(1.0 <= 2e200 / s[0] < 2.0), float(np.log2(s[0])).is_integer()
    (1.0, True, True)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        return np.ones(X.shape[-1] if X.ndim else 0)
    # two reductions that skip NaN, without an (n, p) temporary
    return scales_of(np.fmax.reduce(X, axis=0), np.fmin.reduce(X, axis=0))


def scales_of(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """:func:`column_scales` from each column's largest and smallest value (NaN skipped).

    >>> s = scales_of(np.array([3.0, 2e200]), np.array([-1.0, 1e200]))
    >>> float(s[0]), bool(1.0 <= 2e200 / s[1] < 2.0)
    (1.0, True)
    """
    top = np.maximum(np.asarray(high, dtype=float), -np.asarray(low, dtype=float))
    _, expo = np.frexp(np.where(np.isfinite(top), top, 1.0))  # top = m 2^expo, m in [0.5, 1)
    ordinary = ~np.isfinite(top) | (top == 0) | ((top >= 1.0 / _EXTREME) & (top <= _EXTREME))
    return np.where(ordinary, 1.0, np.ldexp(1.0, expo - 1))


_OUTER_BUDGET = 64 * 2**20  # bytes for the row-wise outer products
_ROWS_PER_CHUNK = 1 << 16  # rows centred at a time for unweighted moments
_BLOCK_BYTES = 16 * 2**20  # row blocks of the products when n p² is over _OUTER_BUDGET


def _weighted_cross(c: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Σ_r c_r x_r x_r' for every weight vector in ``c`` (..., n): shape (..., p, p).

    Small n p²: one GEMM of the weights against all row-wise outer products. Otherwise
    in blocks of rows (``_BLOCK_BYTES`` each, so temporaries stay bounded whatever n):
    many weight vectors (bootstrap counts, permutation masks) get one GEMM against the
    block's products x_j x_k, j <= k (half of them: the sums are symmetric); fewer
    vectors than items get a GEMM X_b' (c_b x_b) each. Either way B n p² flops in BLAS.

    >>> X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> _weighted_cross(np.array([[1.0, 0.0, 2.0]]), X).tolist()
    [[[51.0, 62.0], [62.0, 76.0]]]
    """
    n, p = X.shape
    lead = c.shape[:-1]
    c2 = c.reshape(-1, n)
    if n * p * p * 8 <= _OUTER_BUDGET and c2.shape[0] < p:  # few vectors: one small GEMM
        outer = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
        return (c @ outer).reshape(lead + (p, p))
    if c2.shape[0] < p:
        out = np.zeros((c2.shape[0], p, p))
        rows = max(1, _BLOCK_BYTES // (8 * p))
        for start in range(0, n, rows):
            Xb = X[start:start + rows]
            for b in range(c2.shape[0]):
                out[b] += Xb.T @ (c2[b, start:start + rows, None] * Xb)
        return out.reshape(lead + (p, p))
    tri, where = _triangle_sums(c2, X)
    return tri.take(where.ravel(), axis=1).reshape(lead + (p, p))  # one gather


def _triangle_sums(c2: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ_r c_r x_rj x_rk for j <= k (B, p (p + 1) / 2) for the weight vectors ``c2``
    (B, n), and the column ``where[j, k]`` (p, p) of each entry (both orders): the
    products of j <= k only (half the flops of all p² products; the sums are
    symmetric), a block of rows at a time."""
    n, p = X.shape
    j, k = np.triu_indices(p)
    rows = max(1, _BLOCK_BYTES // (8 * j.size))
    if n <= rows:  # one block (a bootstrap of survey size): no running sum
        tri = c2 @ (X[:, j] * X[:, k])
    else:
        tri = np.zeros((c2.shape[0], j.size))
        for start in range(0, n, rows):
            Xb = X[start:start + rows]
            tri += c2[:, start:start + rows] @ (Xb[:, j] * Xb[:, k])
    where = np.empty((p, p), dtype=np.int64)  # entry (j, k) and (k, j): column of j <= k
    where[j, k] = where[k, j] = np.arange(j.size)
    return tri, where


#: the steps of compute_moments after the triangle sums, compiled (batches of weights)
_FROM_TRIANGLE = Compiled("satmodel.moments._core_jit", "correlations_from_triangle",
                          "moments step")


def _compiled_moments(c: np.ndarray, Xs: np.ndarray, n: np.ndarray, mean_s: np.ndarray):
    """SDs and correlations of many weight vectors ``c`` (..., n) from their triangle
    sums in one compiled pass (no (B, p, p) temporaries), or None (few vectors, numba
    not loaded): :func:`compute_moments`'s numbers, bit for bit."""
    rows, p = Xs.shape
    c2 = c.reshape(-1, rows)
    if c2.shape[0] < max(MIN_BATCH, p) or "numba" not in sys.modules:
        return None
    tri, where = _triangle_sums(c2, Xs)
    B = c2.shape[0]
    std, corr = np.empty((B, p)), np.empty((B, p, p))
    ran, _ = _FROM_TRIANGLE.call(tri, where, np.ascontiguousarray(n, dtype=float).reshape(B),
                                 np.ascontiguousarray(mean_s).reshape(B, p), std, corr,
                                 numba_loaded=True)
    if not ran:
        return None
    lead = c.shape[:-1]
    return std.reshape(lead + (p,)), corr.reshape(lead + (p, p))


def _exact_moments(c: np.ndarray, X: np.ndarray) -> Moments | None:
    """The moments of many weight vectors ``c`` (..., n) from exact float32 sums
    (:mod:`satmodel.moments.exact`: integer codes and integer weights, such as bootstrap
    counts), or None (few vectors, or sums that would not be exact)."""
    rows, p = X.shape
    c2 = c.reshape(-1, rows)
    if c2.shape[0] < max(MIN_BATCH, p):
        return None
    found = weighted_moments(c2, X)
    if found is None:
        return None
    lead = c.shape[:-1]
    n, mean, std, corr = found
    return Moments(n=n.reshape(lead), mean=mean.reshape(lead + (p,)),
                   std=std.reshape(lead + (p,)), corr=corr.reshape(lead + (p, p)))


#: public name of :func:`_weighted_cross` (the streamed moment sums use it)
weighted_cross = _weighted_cross
