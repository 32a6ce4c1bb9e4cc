"""Moments of data read in batches: mergeable sums, one pass, batched over reweightings.

A batch's sums are its total weight, weighted means and centred cross products
Σ v (x - m)(x - m)'; two batches merge by the pairwise update of Chan, Golub & LeVeque
(1979), which, unlike raw sums of squares, keeps full precision however many rows are
added. Weights are carried in units of their largest value (sums of weights of 1e300
do not overflow). A leading axis holds B reweightings at once (Poisson bootstrap counts,
:mod:`satmodel.moments.poisson`). The merged sums give the same :class:`Moments` as
:func:`satmodel.moments.compute_moments` on all rows at once.

>>> import numpy as np
>>> from satmodel.moments import compute_moments
>>> X = np.random.default_rng(1).normal(size=(100, 3))
>>> sums = MomentSums.of_rows(X[:37]).merge(MomentSums.of_rows(X[37:]))
>>> bool(np.allclose(sums.moments().corr, compute_moments(X).corr, rtol=0, atol=1e-14))
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..survey.stream_clean import Cleaned, Tally
from .core import Moments, weighted_cross
from .poisson import BLOCK, poisson_counts

__all__ = ["MomentSums", "batch_sums", "merge_all", "BOOT_BYTES"]

#: bytes of bootstrap counts (B x rows) held at a time
BOOT_BYTES = 32 * 2**20


@dataclass(frozen=True)
class MomentSums:
    """Mergeable moment sums, with leading axes (...) for several reweightings.

    ``n``: Σ counts (rows when unweighted); ``weight``: Σ v in units of ``unit`` (v =
    counts x sampling weights); ``mean``: Σ v x / Σ v (..., p); ``m2``: Σ v (x - mean)(x -
    mean)' in units of ``unit`` (..., p, p).
    """

    n: np.ndarray
    weight: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    unit: float

    @classmethod
    def empty(cls, p: int, lead: tuple[int, ...] = ()) -> MomentSums:
        return cls(np.zeros(lead), np.zeros(lead), np.zeros(lead + (p,)),
                   np.zeros(lead + (p, p)), 0.0)

    @classmethod
    def of_rows(cls, X: np.ndarray, weights: np.ndarray | None = None,
                counts: np.ndarray | None = None, *, overwrite: bool = False) -> MomentSums:
        """Sums of the rows of ``X`` (rows, p) with sampling ``weights`` (rows,) and/or
        resample ``counts`` (B, rows); ``overwrite``: ``X`` may be centred in place."""
        rows, p = X.shape
        lead = () if counts is None else counts.shape[:-1]
        if rows == 0:
            return cls.empty(p, lead)
        unit = 1.0
        v = None
        if weights is not None:
            unit = float(weights.max())
            if not unit > 0:
                return cls.empty(p, lead)
            v = weights / unit
        if counts is None and v is None:  # plain rows: centred, one symmetric product
            mean = X.mean(axis=0)
            centred = np.subtract(X, mean, out=X if overwrite else None)
            return cls(np.array(float(rows)), np.array(float(rows)), mean,
                       centred.T @ centred, unit)
        if counts is None:
            total = v.sum()
            mean = (v @ X) / total
            centred = np.subtract(X, mean, out=X if overwrite else None)
            return cls(np.array(float(rows)), np.array(total), mean,
                       centred.T @ (v[:, None] * centred), unit)
        c = counts if v is None else counts * v
        n = counts.sum(axis=-1)
        total = c.sum(axis=-1)
        shift = X.mean(axis=0)  # a common centre keeps the cross-product formula accurate
        Xs = X - shift
        with np.errstate(invalid="ignore", divide="ignore"):
            ms = np.where(total[..., None] > 0, (c @ Xs) / total[..., None], 0.0)
        m2 = weighted_cross(c, Xs)
        m2 -= total[..., None, None] * ms[..., :, None] * ms[..., None, :]
        return cls(n, total, ms + shift, m2, unit)

    def merge(self, other: MomentSums) -> MomentSums:
        """The sums of both sets of rows (Chan et al.'s pairwise update)."""
        unit = max(self.unit, other.unit)
        if unit == 0.0:
            return self
        a = self.weight * (self.unit / unit)
        b = other.weight * (other.unit / unit)
        total = a + b
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(total > 0, b / total, 0.0)
        delta = other.mean - self.mean
        mean = self.mean + delta * frac[..., None]
        m2 = self.m2 * (self.unit / unit) + other.m2 * (other.unit / unit)
        m2 += (a * frac)[..., None, None] * delta[..., :, None] * delta[..., None, :]
        return MomentSums(self.n + other.n, total, mean, m2, unit)

    def moments(self) -> Moments:
        """n, means, SDs (divisor n - 1) and correlations, as :func:`compute_moments` gives
        them for the rows with weights rescaled to sum to n."""
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = self.m2 * (n / (self.weight * (n - 1.0)))[..., None, None]
            var = np.diagonal(cov, axis1=-2, axis2=-1)
            std = np.sqrt(np.clip(var, 0.0, None))
            corr = cov / (std[..., :, None] * std[..., None, :])
        idx = np.arange(self.mean.shape[-1])
        corr[..., idx, idx] = 1.0
        return Moments(n=float(n) if np.ndim(n) == 0 else n, mean=self.mean.copy(), std=std,
                       corr=corr)


def merge_all(parts: Iterable[tuple[MomentSums, Tally]]) -> tuple[MomentSums, Tally]:
    """Merge (sums, tally) pairs left to right."""
    out = None
    for sums, tally in parts:
        out = (sums, tally) if out is None else (out[0].merge(sums), out[1].merge(tally))
    if out is None:  # pragma: no cover - callers pass at least one part
        raise ValueError("nothing to merge")
    return out


def batch_sums(cleaned: Cleaned, start: int | None, boot: tuple[np.ndarray, int] | None,
               ) -> MomentSums:
    """Sums of a cleaned batch whose first row is at position ``start`` of the whole data;
    ``boot`` (key, B): B Poisson bootstrap reweightings, counts from the rows' positions."""
    if boot is None:  # the cleaned rows are a copy of our own: centred in place
        return MomentSums.of_rows(cleaned.X, cleaned.weights, overwrite=True)
    key, B = boot
    rows = len(cleaned.keep) if cleaned.keep is not None else len(cleaned.X)
    kept = np.arange(rows) if cleaned.keep is None else np.flatnonzero(cleaned.keep)
    step = max(BLOCK, (BOOT_BYTES // (8 * B)) // BLOCK * BLOCK)
    out = MomentSums.empty(cleaned.X.shape[1], (B,))
    for lo in range(0, rows, step):  # bounded (B, rows) counts
        hi = min(rows, lo + step)
        sel = slice(np.searchsorted(kept, lo), np.searchsorted(kept, hi))
        counts = poisson_counts(key, start + lo, start + hi, B)[:, kept[sel] - lo]
        w = None if cleaned.weights is None else cleaned.weights[sel]
        out = out.merge(MomentSums.of_rows(cleaned.X[sel], w, counts))
    return out
