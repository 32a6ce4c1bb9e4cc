"""The fast path of a streamed record batch: the rules of
:func:`satmodel.survey.stream_clean.clean_batch` and the sums of
:func:`satmodel.moments.streaming.batch_sums`, on cache-sized blocks of the batch.

The batch's columns are copied, ``SUB_ROWS`` rows at a time, into one column-major block
(about 1.7 MiB for 27 items, so it stays in cache); on that block every step is one call
over all items: extremes (which also show NaN and infinities), missing codes (only on items
whose range holds a code), casewise deletion, the integer check and counts of the
survey-code rule (one ``bincount`` over all counted items, offset per item), the reverse
recode, the centred (or weighted, centred) cross products by one BLAS call. The blocks'
sums combine exactly (pairwise update). Whatever the plain path would refuse (infinities,
a missing answer under ``missing="error"``, a value off its scale, bad weights, values
beyond ±2^53 or all below 1e-150) or that is unusual (an integer item spanning more than
``WIDE`` values) makes :func:`fast_batch` return None, and the caller runs the plain path,
which says what is wrong. Results equal the plain path's to rounding (tests/test_stream_fast.py).

>>> import numpy as np, satmodel as sm
>>> from satmodel.survey.stream_clean import make_plan
>>> spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
>>> plan = make_plan(spec, sm.SurveyOptions(), None, None)
>>> rng = np.random.default_rng(0)
>>> cols = {k: rng.integers(1, 8, 100).astype(float) for k in plan.items}
>>> sums, tally = fast_batch(plan, cols, 100)
>>> float(sums.n), tally.rows_kept, tally.values[0][0].tolist()
(100.0, 100, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..survey.stream_clean import EXACT, TINY, BatchPlan, Tally, weight_sums
from .streaming import MomentSums

__all__ = ["fast_batch", "SUB_ROWS", "WIDE"]

#: rows of a block (27 items x 8192 rows x 8 bytes = 1.7 MiB: stays in cache)
SUB_ROWS = 8192
#: widest range of an integer item counted densely; wider items take the plain path
WIDE = 4096


class _Counts:
    """Dense counts of integer values per item: item j's window starts at ``base[j]`` and
    spans ``width[j]`` values, at ``offset[j]`` of one flat array (grown when needed)."""

    def __init__(self, p: int) -> None:
        self.base = np.zeros(p, dtype=np.int64)
        self.width = np.zeros(p, dtype=np.int64)
        self.flat = np.zeros(0, dtype=np.int64)

    def fits(self, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Make the windows of items ``cols`` hold [lo, hi]; False when one gets too wide."""
        base, end = self.base[cols], self.base[cols] + self.width[cols]
        if (self.width[cols] > 0).all() and (lo >= base).all() and (hi < end).all():
            return True
        old = [self.item(j) for j in range(len(self.base))]  # (start, counts) per item
        new_lo = np.where(self.width[cols] > 0, np.minimum(base, lo), lo)
        new_hi = np.where(self.width[cols] > 0, np.maximum(end - 1, hi), hi)
        if (new_hi - new_lo + 1 > WIDE).any():
            return False
        self.base[cols], self.width[cols] = new_lo, new_hi - new_lo + 1
        self.flat = np.zeros(int(self.width.sum()), dtype=np.int64)
        for j, (start, counts) in enumerate(old):
            if counts.size:
                at = self.offset[j] + start - self.base[j]
                self.flat[at:at + counts.size] += counts
        return True

    @property
    def offset(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.width)[:-1]])

    def item(self, j: int) -> tuple[int, np.ndarray]:
        at = self.offset[j]
        return int(self.base[j]), self.flat[at:at + self.width[j]]

    def add(self, cols: np.ndarray, K: np.ndarray) -> None:
        """Count the integer values ``K`` (rows, len(cols)) of items ``cols``."""
        K -= (self.base - self.offset)[cols]
        self.flat += np.bincount(K.ravel(order="K"), minlength=self.flat.size)

    def counted(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        start, counts = self.item(j)
        nz = np.flatnonzero(counts)
        return (nz + start).astype(np.float64), counts[nz].copy()


def _code_groups(plan: BatchPlan) -> list[tuple[float, np.ndarray]]:
    """(code, items it applies to) for every missing code of the plan."""
    values = sorted({c for codes in plan.codes for c in codes})
    return [(c, np.array([c in codes for codes in plan.codes])) for c in values]


def fast_batch(plan: BatchPlan, cols: Mapping[Any, np.ndarray], rows: int,
               weights: np.ndarray | None = None) -> tuple[MomentSums, Tally] | None:
    """(sums, tally) of one batch as ``clean_batch`` + ``batch_sums`` give them, or None when
    the plain path must take it (see the module text). ``cols``: column -> float64 array."""
    p = len(plan.items)
    w = weights if weights is not None else cols[plan.weights] if plan.weights else None
    unit = 1.0
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        low_w, unit = float(w.min(initial=np.inf)), float(w.max(initial=-np.inf))
        if rows == 0 or not (np.isfinite(low_w) and np.isfinite(unit) and low_w >= 0
                             and unit > 0):
            return None
    if rows == 0:
        return None
    state = _Batch(plan, p, rows, w, unit)
    arrays = [cols[name] for name in plan.items]
    block = np.empty((min(SUB_ROWS, rows), p), order="F")
    for lo in range(0, rows, SUB_ROWS):
        hi = min(rows, lo + SUB_ROWS)
        B = block[:hi - lo]
        for j, values in enumerate(arrays):
            B[:, j] = values[lo:hi]
        if not state.add(B, lo, hi):
            return None
    return state.result()


class _Batch:
    """The running sums and tallies of one batch's blocks."""

    def __init__(self, plan: BatchPlan, p: int, rows: int, w: np.ndarray | None,
                 unit: float) -> None:
        self.plan, self.p, self.rows, self.w, self.unit = plan, p, rows, w, unit
        self.codes = _code_groups(plan)
        self.scale_lo = np.array([-np.inf if s is None else s[0] for s in plan.scales])
        self.scale_hi = np.array([np.inf if s is None else s[1] for s in plan.scales])
        self.counting = np.array([s is None for s in plan.scales])  # and integer so far
        self.counts = _Counts(p)
        self.missing = np.zeros(p, dtype=np.int64)
        self.coded = np.zeros(p, dtype=np.int64)
        self.with_missing = 0
        self.observed: list[tuple[np.ndarray, np.ndarray]] = []  # extremes, NaN skipped
        self.extremes: list[tuple[np.ndarray, np.ndarray]] = []  # of the kept rows, recoded
        self.keep = None if w is None else np.ones(rows, dtype=bool)
        self.gram = np.zeros((p, p))
        self.parts: list[tuple[float, np.ndarray]] = []  # (weight, mean) of each block
        self.kept = 0

    def add(self, B: np.ndarray, lo: int, hi: int) -> bool:
        """Take one block (rows lo:hi of the batch, modified in place); False: plain path."""
        plan = self.plan
        vmin, vmax = B.min(axis=0), B.max(axis=0)
        nan = None
        if not np.isfinite(vmin.sum() + vmax.sum()):  # NaN or infinities (or huge values)
            if np.isinf(B).any():
                return False
            nan = np.isnan(B)
            vmin, vmax = _nan_extremes(B)
        if self.codes and self._replace_codes(B, vmin, vmax):
            nan = np.isnan(B)
            vmin, vmax = _nan_extremes(B)
        if nan is not None and not nan.any():
            nan = None
        if nan is not None and plan.missing == "error":
            return False
        self.observed.append((vmin, vmax))  # scales and magnitudes: checked in result()
        if self.counting.any() and not self._count(B, nan, vmin, vmax):
            return False
        wk = None if self.w is None else self.w[lo:hi]
        X = B
        if nan is not None or (wk is not None and plan.missing == "casewise"
                               and wk.min() <= 0):
            keep = np.ones(len(B), dtype=bool)
            if nan is not None:
                self.missing += nan.sum(axis=0)
                gone = nan.any(axis=1)
                self.with_missing += int(gone.sum())
                keep &= ~gone
            if wk is not None:
                keep &= wk > 0
                self.keep[lo:hi] = keep
                wk = wk[keep]
            X = B[keep]
            vmin, vmax = (X.min(axis=0), X.max(axis=0)) if len(X) else \
                (np.full(self.p, np.inf), np.full(self.p, -np.inf))
        if plan.reverse:
            vmin, vmax = vmin.copy(), vmax.copy()
        for j in plan.reverse:  # x' = min + max - x
            total = plan.scales[j][0] + plan.scales[j][1]
            X[:, j] = total - X[:, j]
            vmin[j], vmax[j] = total - vmax[j], total - vmin[j]
        self.extremes.append((vmin, vmax))
        self._sum(X, wk)
        return True

    def _replace_codes(self, B: np.ndarray, vmin: np.ndarray, vmax: np.ndarray) -> bool:
        """Missing codes -> NaN, only in items whose range holds the code; True if any."""
        found = False
        for code, applies in self.codes:
            for j in np.flatnonzero(applies & (vmin <= code) & (code <= vmax)):
                hit = B[:, j] == code
                k = int(np.count_nonzero(hit))
                if k:
                    self.coded[j] += k
                    B[hit, j] = np.nan
                    found = True
        return found

    def _count(self, B: np.ndarray, nan: np.ndarray | None, vmin: np.ndarray,
               vmax: np.ndarray) -> bool:
        """Integer check and value counts of the counted items with observed values."""
        cols = np.flatnonzero(self.counting & ~np.isnan(vmin))
        if cols.size == 0:
            return True
        if (np.fmax(-vmin[cols], vmax[cols]) >= EXACT).any():  # not castable to integers
            return False
        V = B if cols.size == self.p else B[:, cols]
        if nan is not None:  # a missing cell counts as the item's smallest value, then is taken off
            V = np.where(nan[:, cols], vmin[cols], V)
        K = V.astype(np.int64)
        whole = (K == V).all(axis=0)
        if not whole.all():  # not integer-valued: the code rule skips the item
            self.counting[cols[~whole]] = False
            cols, K = cols[whole], K[:, whole]
            if cols.size == 0:
                return True
        if not self.counts.fits(cols, vmin[cols].astype(np.int64), vmax[cols].astype(np.int64)):
            return False
        self.counts.add(cols, K)
        if nan is not None:
            fill = nan[:, cols].sum(axis=0)
            at = self.counts.offset[cols] + vmin[cols].astype(np.int64) - self.counts.base[cols]
            np.subtract.at(self.counts.flat, at, fill)
        return True

    def _sum(self, X: np.ndarray, wk: np.ndarray | None) -> None:
        """The block's centred cross products, by one BLAS call."""
        r = len(X)
        self.kept += r
        if r == 0:
            return
        if wk is None:
            mean = X.sum(axis=0) / r
            X -= mean
            self.gram += X.T @ X
            self.parts.append((float(r), mean))
            return
        v = wk / self.unit
        total = float(v.sum())
        if not total > 0:
            return
        mean = (v @ X) / total
        X -= mean
        X *= np.sqrt(v)[:, None]
        self.gram += X.T @ X
        self.parts.append((total, mean))

    def result(self) -> tuple[MomentSums, Tally] | None:
        """The batch's (sums, tally); None when its values need the plain path's checks."""
        observed = np.array(self.observed)  # (blocks, 2, p)
        with np.errstate(invalid="ignore"):
            lo, hi = np.fmin.reduce(observed[:, 0], axis=0), np.fmax.reduce(observed[:, 1], axis=0)
            top = np.fmax(-lo, hi)
            if (lo < self.scale_lo).any() or (hi > self.scale_hi).any() or \
                    (top >= EXACT).any() or ((top > 0) & (top < TINY)).any():
                return None
        kept = np.array(self.extremes)
        low, high = kept[:, 0].min(axis=0), kept[:, 1].max(axis=0)
        p = self.p
        if self.parts:
            t = np.array([part[0] for part in self.parts])
            means = np.array([part[1] for part in self.parts])
            total = float(t.sum())
            mean = (t @ means) / total
            D = means - mean
            m2 = self.gram + (D * t[:, None]).T @ D
            sums = MomentSums(np.array(float(self.kept)), np.array(total), mean, m2,
                              self.unit)
        else:
            sums = MomentSums.empty(p)
        values = tuple(None if s is not None or not self.counting[j] else
                       self.counts.counted(j) for j, s in enumerate(self.plan.scales))
        extra = {} if self.w is None else weight_sums(self.w[self.keep])
        tally = Tally(rows_input=self.rows, rows_kept=self.kept,
                      rows_with_missing=self.with_missing, missing=self.missing,
                      coded=self.coded, low=low, high=high, values=values, **extra)
        return sums, tally


def _nan_extremes(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest observed value per item (NaN: none observed)."""
    with np.errstate(invalid="ignore"):
        return np.fmin.reduce(B, axis=0), np.fmax.reduce(B, axis=0)
