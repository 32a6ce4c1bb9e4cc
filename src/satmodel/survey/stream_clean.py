"""What every batch of streamed survey rows goes through, and the tallies that add up.

The rules are :func:`satmodel.survey.prepare`'s, applied batch by batch: missing codes
(``na_values``) become missing, observed values are checked against declared scales,
missing answers are refused (``missing="error"``) or their rows dropped
(``"casewise"``, which also drops zero-weight rows), reverse items recoded, sampling
weights checked. What needs every row -- constant items, values that look like survey
codes, the row count, the missing-data report -- is judged at the end (:func:`finish`)
from a :class:`Tally`, which batches (and Dask partitions) merge in any order.

>>> import numpy as np, satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
>>> plan = make_plan(spec, sm.SurveyOptions(na_values=-99, missing="casewise"), None, None)
>>> cols = {"a1": np.array([1.0, 2, 3]), "a2": np.array([2.0, -99, 1]),
...         "b1": np.array([3.0, 4, 5]), "b2": np.array([1.0, 1, 2])}
>>> out = clean_batch(plan, cols, 3, start=0)
>>> out.X.tolist(), out.tally.rows_kept, out.tally.coded.tolist()
([[1.0, 2.0, 3.0, 1.0], [3.0, 1.0, 5.0, 2.0]], 2, [0, 1, 0, 0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError, NotAvailableError, suggest
from . import coding
from .adapters import row_text
from .checks import check_rows, constant, raise_all, subnormal
from .codes import HIGH_CODES, LOW_CODES, codes_in_counts

if TYPE_CHECKING:
    from ..spec.model import ModelSpec
    from .options import SurveyOptions

__all__ = ["BatchPlan", "Tally", "Cleaned", "make_plan", "clean_batch", "finish", "empty_tally",
           "STREAMED_MISSING", "weight_sums", "EXACT", "TINY"]

#: the missing-data treatments of streamed data (one pass over the rows)
STREAMED_MISSING = ("error", "casewise")
_MAX_DISTINCT = 4096  # distinct values kept per item for the survey-code check
EXACT = 2.0**53  # beyond this float64 loses integers (IDs, codes): refused
TINY = 1e-150  # below this the squares underflow: refused


@dataclass(frozen=True)
class BatchPlan:
    """The per-batch rules (picklable: Dask workers get it): items in spec order, their
    constructs, missing codes, declared scales, reverse items, which items are judged for
    survey codes (those without a declared scale), the weights column and ``missing``."""

    items: tuple[str, ...]
    blocks: tuple[str, ...]
    codes: tuple[tuple[float, ...], ...]
    scales: tuple[tuple[float, float] | None, ...]
    reverse: tuple[int, ...]
    weights: str | None
    missing: str

    @property
    def columns(self) -> list[str]:
        """The columns a batch is read with."""
        return list(self.items) + ([self.weights] if self.weights is not None else [])


def make_plan(spec: ModelSpec, options: SurveyOptions, weights: str | None,
              columns: Sequence[Any] | None) -> BatchPlan:
    """The rules of ``options`` for ``spec`` (``weights``: a column of ``columns``)."""
    if options.missing not in STREAMED_MISSING:
        raise NotAvailableError(
            f"missing={options.missing!r} is not available for streamed data (a file path, "
            "pyarrow Dataset or Dask DataFrame): it needs the rows more than once. Use "
            "missing='casewise', or read the data into memory (sm.read_table) to fit them")
    codes = coding.codes_per_item(spec, options.na_values)
    coding.reverse_items(spec, {}, options.reverse)  # names and scales checked
    if weights is not None and columns is not None:
        if weights not in columns:
            raise DataError(f"weights={weights!r} is not a column of the data."
                            f"{suggest(weights, [str(x) for x in columns])}")
        if weights in spec.indicator_names:
            raise DataError(f"weights={weights!r} is an indicator of the model; sampling "
                            "weights must be a separate column.")
    pairs = [(c.name, i) for c in spec.constructs for i in c.indicators]
    items = tuple(i.name for _, i in pairs)
    return BatchPlan(items=items, blocks=tuple(c for c, _ in pairs),
                     codes=tuple(codes[name] for name in items),
                     scales=tuple(None if i.scale_min is None else (i.scale_min, i.scale_max)
                                  for _, i in pairs),
                     reverse=tuple(items.index(name) for name in options.reverse),
                     weights=weights, missing=options.missing)


Counted = tuple[np.ndarray, np.ndarray]  # distinct values (sorted) and their counts


@dataclass(frozen=True)
class Tally:
    """What the end-of-stream checks need, summed over batches (:meth:`merge`).

    Rows read, kept and with a missing answer; per item the missing cells, the coded ones,
    the smallest and largest kept value, and (items without a declared scale, while
    integer-valued) distinct values with counts; sampling weights' sum and sum of squares
    in units of ``w_unit`` (overflow-safe), extremes and number positive.
    """

    rows_input: int
    rows_kept: int
    rows_with_missing: int
    missing: np.ndarray
    coded: np.ndarray
    low: np.ndarray
    high: np.ndarray
    values: tuple[Counted | None, ...]
    w_unit: float = 0.0
    w_sum: float = 0.0
    w_sq: float = 0.0
    w_low: float = np.inf
    w_high: float = -np.inf
    w_positive: int = 0

    def merge(self, other: Tally) -> Tally:
        unit = max(self.w_unit, other.w_unit)
        a = self.w_unit / unit if unit > 0 else 0.0
        b = other.w_unit / unit if unit > 0 else 0.0
        return Tally(
            rows_input=self.rows_input + other.rows_input,
            rows_kept=self.rows_kept + other.rows_kept,
            rows_with_missing=self.rows_with_missing + other.rows_with_missing,
            missing=self.missing + other.missing, coded=self.coded + other.coded,
            low=np.minimum(self.low, other.low), high=np.maximum(self.high, other.high),
            values=tuple(_merge_counts(x, y) for x, y in zip(self.values, other.values)),
            w_unit=unit, w_sum=self.w_sum * a + other.w_sum * b,
            w_sq=self.w_sq * a * a + other.w_sq * b * b,
            w_low=min(self.w_low, other.w_low), w_high=max(self.w_high, other.w_high),
            w_positive=self.w_positive + other.w_positive)

    @property
    def effective_n(self) -> float:
        """Kish's (Σw)²/Σw² of the kept rows' sampling weights."""
        return self.w_sum**2 / self.w_sq if self.w_sq > 0 else 0.0


@dataclass(frozen=True)
class Cleaned:
    """A cleaned batch: kept rows ``X`` (a fresh float64 array, spec order), sampling ``weights``
    (None: unweighted), ``keep`` (the batch rows kept; None: all) and its :class:`Tally`."""

    X: np.ndarray
    weights: np.ndarray | None
    keep: np.ndarray | None
    tally: Tally


def clean_batch(plan: BatchPlan, cols: Mapping[Any, np.ndarray], rows: int, *,
                start: int | None = None, index: pd.Index | None = None,
                weights: np.ndarray | None = None, where: str = "") -> Cleaned:
    """Apply ``plan`` to one batch: ``cols`` maps columns to float64 arrays of ``rows``
    values; rows are named by their position ``start + k`` in the whole data, or by
    ``index`` labels within the part ``where`` names (a Dask partition). ``weights``:
    this batch's slice of a weights array. Raises DataError naming item, rows and fix."""
    p = len(plan.items)
    if rows == 0:  # an empty partition
        return Cleaned(X=np.empty((0, p)), weights=None, keep=None, tally=empty_tally(plan))
    X = np.empty((rows, p), order="F")
    for j, name in enumerate(plan.items):
        X[:, j] = cols[name]
    if index is None:
        index = pd.RangeIndex(start, start + rows)
        positions = np.arange(start, start + rows)
    else:
        positions = None

    def rows_of(hits: np.ndarray) -> str:
        return row_text(index, hits, positions) + where

    w = weights if weights is not None else cols[plan.weights] if plan.weights else None
    if w is not None:
        _check_weights(np.asarray(w, dtype=float), rows_of)
    coded = np.zeros(p, dtype=np.int64)
    for j, codes in enumerate(plan.codes):
        if codes:
            hit = np.isin(X[:, j], codes)
            coded[j] = int(hit.sum())
            X[hit, j] = np.nan
    lo, hi = X.min(axis=0), X.max(axis=0)  # NaN and inf show in both: two passes
    nan = None
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        nan = np.isnan(X)
        _check_missing(plan, X, nan, rows_of)
        with np.errstate(invalid="ignore"):
            lo, hi = np.fmin.reduce(X, axis=0), np.fmax.reduce(X, axis=0)  # NaN skipped
    missing = np.zeros(p, dtype=np.int64) if nan is None else nan.sum(axis=0)
    _check_values(plan, X, lo, hi, rows_of)
    values = tuple(_counted(X[:, j] if nan is None or not nan[:, j].any() else
                            X[~nan[:, j], j], lo[j], hi[j]) if plan.scales[j] is None else None
                   for j in range(p))
    keep = None
    if plan.missing == "casewise" and (nan is not None or (w is not None and (w <= 0).any())):
        keep = np.ones(rows, dtype=bool) if nan is None else ~nan.any(axis=1)
        if w is not None:
            keep &= np.asarray(w) > 0
        X, w = X[keep], None if w is None else np.asarray(w)[keep]
        lo, hi = (X.min(axis=0), X.max(axis=0)) if len(X) else (np.full(p, np.inf),
                                                                  np.full(p, -np.inf))
    lo, hi = np.where(np.isnan(lo), np.inf, lo), np.where(np.isnan(hi), -np.inf, hi)
    for j in plan.reverse:  # x' = min + max - x, after the scale check
        total = plan.scales[j][0] + plan.scales[j][1]
        X[:, j] = total - X[:, j]
        lo[j], hi[j] = total - hi[j], total - lo[j]
    tally = Tally(rows_input=rows, rows_kept=len(X),
                  rows_with_missing=0 if nan is None else int(nan.any(axis=1).sum()),
                  missing=missing, coded=coded, low=lo, high=hi, values=values,
                  **({} if w is None else weight_sums(np.asarray(w, dtype=float))))
    return Cleaned(X=X, weights=None if w is None else np.asarray(w, dtype=float), keep=keep,
                   tally=tally)


def _check_weights(w: np.ndarray, rows_of: Any) -> None:
    bad = ~np.isfinite(w)
    if bad.any():
        raise DataError(f"sampling weights have missing or infinite value(s), e.g. in "
                        f"{rows_of(bad)}; give every respondent a weight.")
    if (w < 0).any():
        raise DataError(f"sampling weights have negative value(s), e.g. in {rows_of(w < 0)}; "
                        "weights must be >= 0.")


def _check_missing(plan: BatchPlan, X: np.ndarray, nan: np.ndarray, rows_of: Any) -> None:
    inf = np.isinf(X)
    if inf.any():
        j = int(np.flatnonzero(inf.any(axis=0))[0])
        raise DataError(f"item {plan.items[j]} has infinite value(s), e.g. in "
                        f"{rows_of(inf[:, j])}; replace them with valid scale values or drop "
                        "those rows.")
    if plan.missing == "error" and nan.any():
        j = int(np.flatnonzero(nan.any(axis=0))[0])
        raise DataError(
            f"item {plan.items[j]} has missing value(s), e.g. in {rows_of(nan[:, j])}; with "
            "missing='error' (the default) satmodel does not handle missing data: pass "
            "missing='casewise' (the treatment of streamed data; and na_values= for codes "
            "such as -99), or drop them first.")


def _check_values(plan: BatchPlan, X: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  rows_of: Any) -> None:
    """Declared scales, then magnitudes a one-pass sum cannot hold (prepare rescales them)."""
    for j, scale in enumerate(plan.scales):
        if scale is not None and (lo[j] < scale[0] or hi[j] > scale[1]):
            with np.errstate(invalid="ignore"):
                bad = (X[:, j] < scale[0]) | (X[:, j] > scale[1])
            shown = ", ".join(f"{v:g}" for v in np.unique(X[bad, j])[:5])
            raise DataError(
                f"item {plan.items[j]} (construct {plan.blocks[j]}) has value(s) outside its "
                f"scale {scale[0]:g}-{scale[1]:g} (e.g. {shown}, in {rows_of(bad)}); declare "
                "don't-know/refusal codes with na_values=, or correct the item's scale.")
    top = np.maximum(-lo, hi)
    for j in np.flatnonzero(top >= EXACT):
        raise DataError(
            f"item {plan.items[j]} holds values as large as {top[j]:.6g} (beyond ±2^53, where "
            "float64 loses digits): check the column (an ID or a code?), or rescale it")
    for j in np.flatnonzero((top > 0) & (top < TINY)):
        raise NotAvailableError(
            f"item {plan.items[j]} has only values below {TINY:g} in magnitude in a batch "
            f"(largest {top[j]:.3g}); streamed sums would lose digits: rescale the item")


def _counted(x: np.ndarray, lo: float, hi: float) -> Counted | None:
    """Distinct values and counts of an item's observed values; None when not integer-valued
    (the survey-code rule judges integer items only)."""
    if x.size == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    if not (np.floor(x) == x).all():
        return None
    if hi - lo < 65536:  # a bounded integer range: one counting pass
        counts = np.bincount((x - lo).astype(np.intp))
        nz = np.flatnonzero(counts)
        return nz + lo, counts[nz].astype(np.int64)
    values, counts = np.unique(x, return_counts=True)
    return _compress(values, counts.astype(np.int64))


def _merge_counts(a: Counted | None, b: Counted | None) -> Counted | None:
    if a is None or b is None:
        return None
    values, inverse = np.unique(np.concatenate([a[0], b[0]]), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([a[1], b[1]]), minlength=len(values))
    return _compress(values, counts.astype(np.int64))


def _compress(values: np.ndarray, counts: np.ndarray) -> Counted:
    """At most about ``_MAX_DISTINCT`` values: the usual codes are kept, and the other values
    of each sign collapse into their smallest and largest (what the code rule reads of them:
    extremes and total share), so the rule's verdict is unchanged."""
    if len(values) <= _MAX_DISTINCT:
        return values, counts
    usual = np.isin(values, sorted(LOW_CODES | HIGH_CODES))
    out_v, out_c = [values[usual]], [counts[usual]]
    for part in (~usual & (values < 0), ~usual & (values >= 0)):
        if part.any():
            v, c = values[part], counts[part]
            out_v.append(np.array([v[0], v[-1]]) if len(v) > 1 else v)
            out_c.append(np.array([c.sum() - c[-1], c[-1]]) if len(v) > 1 else c)
    v, c = np.concatenate(out_v), np.concatenate(out_c)
    order = np.argsort(v)
    return v[order], c[order]


def weight_sums(w: np.ndarray) -> dict[str, Any]:
    """The :class:`Tally` fields of the kept rows' sampling weights ``w``."""
    unit = float(w.max(initial=0.0))
    r = w / unit if unit > 0 else w
    return dict(w_unit=unit, w_sum=float(r.sum()), w_sq=float((r * r).sum()),
                w_low=float(w.min(initial=np.inf)), w_high=float(w.max(initial=-np.inf)),
                w_positive=int((w > 0).sum()))


def empty_tally(plan: BatchPlan) -> Tally:
    """The tally of no rows (the start of a merge)."""
    p = len(plan.items)
    zeros = np.zeros(p, dtype=np.int64)
    return Tally(0, 0, 0, zeros, zeros.copy(), np.full(p, np.inf), np.full(p, -np.inf),
                 tuple((np.empty(0), np.empty(0, dtype=np.int64)) if s is None else None
                       for s in plan.scales))


def finish(spec: ModelSpec, plan: BatchPlan, tally: Tally, min_rows: int | None,
           missing_warn: float, weighted: bool) -> pd.DataFrame:
    """The end-of-stream checks (rows, constant items, survey codes, weights); returns the
    missing-data report (``PLSResult.missing_report``'s columns and attrs)."""
    check_rows(spec, tally.rows_input, min_rows)
    if plan.missing == "casewise":
        check_rows(spec, tally.rows_kept, min_rows, n_input=tally.rows_input)
    problems = []
    for j, name in enumerate(plan.items):
        if tally.low[j] > tally.high[j]:
            problems.append(f"item {name} has no observed value (every answer is missing); "
                            "remove it from the spec.")
        elif tally.low[j] == tally.high[j]:
            problems.append(constant(name, tally.low[j]))
        elif (text := subnormal(name, max(-tally.low[j], tally.high[j]))) is not None:
            problems.append(text)
    raise_all(problems)
    raise_all(code_problems(plan, tally))
    if weighted and tally.w_positive == 0:
        raise DataError("every sampling weight is 0; at least one respondent needs a "
                        "positive weight.")
    report = pd.DataFrame({
        "construct": list(plan.blocks), "indicator": list(plan.items),
        "missing": tally.missing.astype(int), "share": tally.missing / max(tally.rows_input, 1),
        "coded": tally.coded.astype(int),
        "action": [coding.ACTIONS[plan.missing] if k else "none missing" for k in tally.missing]})
    report.attrs.update({"method": plan.missing, "rows_input": tally.rows_input,
                         "rows_dropped": tally.rows_input - tally.rows_kept,
                         "rows_with_missing": tally.rows_with_missing,
                         "cells_missing": int(tally.missing.sum())})
    coding.warn_shares(report, missing_warn)
    return report


def code_problems(plan: BatchPlan, tally: Tally) -> list[str]:
    """One message per item without a declared scale whose values look like survey codes
    (:func:`satmodel.survey.codes.codes_in_counts`, the in-memory rule on the counts)."""
    problems = []
    for j, counted in enumerate(tally.values):
        if counted is None or counted[0].size == 0:
            continue
        found = codes_in_counts(*counted)
        if not found:
            continue
        name, shown = plan.items[j], dict(zip(counted[0].tolist(), counted[1].tolist()))
        listed = "[" + ", ".join(f"{v:g}" for v in found) + "]"
        counts = ", ".join(f"{v:g} ({shown[v]}x)" for v in found)
        problems.append(
            f"item {name} (construct {plan.blocks[j]}) has value(s) that look like survey "
            f"codes (don't know, refusal), not answers: {counts}. If they are codes, pass "
            f"na_values={listed} (with missing='casewise'); if they are real answers, "
            f"declare the item's scale: scales={{'{name}': (MIN, MAX)}} or "
            f"'# satmodel: {name} scale=MIN..MAX' in the lavaan text.")
    return problems
