"""Moments of many groups of one survey at once: a cache-sized chunk of groups at a time,
their rows in one (g, p, n_max) buffer and one batched product (see
:func:`pooled_moments`); :mod:`satmodel.groups.batch` groups the rows.

>>> import satmodel as sm
>>> from satmodel.groups import batch
>>> from satmodel.survey import prepare
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> survey = prepare(sm.templates.ecsi(), df)
>>> groups = batch.split(df, ("gender",), survey)
>>> pooled_moments(survey, list(groups.rows)).corr.shape
(2, 27, 27)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..moments.core import Moments, scales_of
from ..moments.exact import FLOAT32_EXACT, covariances_to_correlations, moments_from_sums
from ..survey import SurveyData
from .batch import in_halves

__all__ = ["pooled_moments"]

_CHUNK_BYTES = 2**20  # centred rows of the groups in one batched product: cache-sized


def pooled_moments(survey: SurveyData, rows: Sequence[np.ndarray]) -> Moments | None:
    """Moments of every group at once for complete, unweighted rows of ordinary magnitude
    (None otherwise, or when padding to the largest group would more than double the
    rows): a cache-sized chunk of groups at a time, their rows in one (g, p, n_max) buffer
    (zero-padded when sizes differ) and one batched product — the numbers of
    :func:`satmodel.moments.compute_moments` on each group's rows, to rounding.

    Survey codes are small integers: when a chunk's values are integers whose products
    sum below 2^24 (|x| <= 10 and 200 rows use 20,000 of it), its products are formed
    in float32, where every partial sum is an integer and so exact, and centred in
    float64 as ``(m X'X - s s') / m`` (integers below 2^53: exact before the division).
    That halves the product's cost and drops the centring pass; other chunks are
    centred and multiplied in float64. Integer-typed codes are read as they are
    (``SurveyData.values``): the float64 matrix ``X`` is never made here.
    """
    X = survey.values  # integer codes as they are (no float64 copy of the whole block)
    sizes = np.array([len(r) for r in rows])
    if survey.weights is not None or not len(rows) or sizes.sum() * 2 < len(rows) * sizes.max():
        return None
    known = survey.extremes if survey.extremes is not None and survey.extremes[2] is X else None
    if known is None and np.isnan(X).any():
        return None
    low, high = (X.min(axis=0).astype(float), X.max(axis=0).astype(float)) if known is None \
        else known[:2]
    scale = scales_of(high, low)
    if np.any(scale != 1.0):  # extreme magnitudes: the per-group path rescales exactly
        return None
    top = float(np.maximum(-low, high).max())
    G, n_max, p = len(rows), int(sizes.max()), X.shape[1]
    exact = "no" if n_max * top * top >= FLOAT32_EXACT else \
        "yes" if known is not None and known[3] else "check"
    mean, std, corr = np.empty((G, p)), np.empty((G, p)), np.empty((G, p, p))
    in_halves(lambda lo, hi: _chunk_moments(X, rows, sizes, lo, hi, mean, std, corr, exact),
              G)
    return Moments(n=sizes.astype(float), mean=mean, std=std, corr=corr)


def _chunk_moments(X, rows, sizes, lo: int, hi: int, mean, std, cov, exact: str) -> None:
    """Means, SDs and correlations of groups ``lo:hi`` into ``mean``, ``std`` and ``cov``,
    a chunk at a time (its centred products become correlations while in cache);
    ``exact``: "yes" (integer values: float32 products), "check" (each chunk's values
    are tested first) or "no" (float64)."""
    n_max, p = int(sizes.max()), X.shape[1]
    step = max(1, _CHUNK_BYTES // (8 * n_max * p))
    g_max = min(step, hi - lo)
    buf = np.empty((g_max, p, n_max))
    small = np.empty((g_max, p + 1, n_max), dtype=np.float32) if exact != "no" else None
    where = np.arange((p + 1) ** 2).reshape(p + 1, p + 1)  # the full (p + 1)² sums
    for a in range(lo, hi, step):
        chunk, m = rows[a:min(a + step, hi)], sizes[a:min(a + step, hi)]
        g = len(chunk)
        V, whole = _chunk_rows(X, chunk, m, n_max)
        if small is not None and (exact == "yes" or _integers(V, buf[:g])):
            P = _integer_products(V, m, whole, small[:g])
            moments_from_sums(P.reshape(g, -1), where, m.astype(float), mean[a:a + g],
                              std[a:a + g], cov[a:a + g])
            continue
        else:
            mean[a:a + g] = V.sum(axis=2) / m[:, None]
            Z = np.subtract(V, mean[a:a + g, :, None], out=buf[:g])
            if not whole:  # the padding is zero again after centring
                Z *= (np.arange(n_max) < m[:, None])[:, None, :]
            np.matmul(Z, Z.transpose(0, 2, 1), out=cov[a:a + g])
        covariances_to_correlations(cov[a:a + g], m.astype(float), std[a:a + g])


def _chunk_rows(X, chunk, m, n_max) -> tuple[np.ndarray, bool]:
    """The rows of a chunk of groups as (g, p, n_max), zero-padded, and whether it is a
    view of ``X`` (sorted rows of equal groups: no copy)."""
    g, p = len(chunk), X.shape[1]
    idx = np.concatenate(chunk)
    if bool((m == n_max).all() and idx[-1] - idx[0] + 1 == idx.size
            and (np.diff(idx) == 1).all()):
        return X[idx[0]:idx[-1] + 1].reshape(g, n_max, p).transpose(0, 2, 1), True
    # each group's rows, then zeros up to n_max (gathered along memory order)
    starts = np.concatenate([[0], np.cumsum(m)[:-1]])
    at = np.repeat(np.arange(g) * n_max - starts, m) + np.arange(m.sum())
    if X.flags.f_contiguous:  # column-major rows (prepare's): gather each column
        pad = np.zeros((p, g, n_max))
        pad.reshape(p, -1)[:, at] = X.T.take(idx, axis=1)
        return pad.transpose(1, 0, 2), False
    pad = np.zeros((g, n_max, p))
    pad.reshape(-1, p)[at] = X.take(idx, axis=0)
    return pad.transpose(0, 2, 1), False


def _integers(V, spare) -> bool:
    """Whether every value of ``V`` is an integer (``spare``: a buffer of V's shape)."""
    return bool(np.array_equal(np.rint(V, out=spare), V))


def _integer_products(V, m, whole: bool, small) -> np.ndarray:
    """Cross products (g, p + 1, p + 1) of integer-valued rows ``V`` (g, p, n_max) and a
    row of ones (the last row: the sums), whose products sum below 2^24: in float32,
    exactly."""
    p, n_max = V.shape[1], V.shape[2]
    np.copyto(small[:, :p], V, casting="same_kind")
    small[:, p] = 1.0 if whole else (np.arange(n_max) < m[:, None])
    return np.matmul(small, small.transpose(0, 2, 1))
