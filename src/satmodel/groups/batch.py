"""Many groups of one survey (companies x waves) fitted in one batched engine call.

A group is the set of rows with one value of the ``by=`` key columns. Its moments are
those of its own rows — exactly what a 0/1 row-weight mask on the pooled rows gives,
but computed on the group's rows only (O(n p²) for all groups together instead of
O(G n p²) for G full-length masks) — so each group is standardized with its own means
and SDs (cSEM, SmartPLS). The G moment matrices are stacked on the leading batch axis
and :meth:`satmodel.engine.Refit.on_moments` fits them in ONE call; converged elements
are frozen, so every group's numbers equal a fit on that group's rows alone.

>>> import satmodel as sm
>>> from satmodel.survey import prepare
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> survey = prepare(sm.templates.ecsi(), df)
>>> groups = split(df, ("gender",), survey)
>>> groups.keys["gender"].tolist(), [len(r) for r in groups.rows]
(['female', 'male'], [148, 102])
>>> group_moments(groups.surveys(survey)).corr.shape
(2, 27, 27)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from ..diagnostics import Diagnostic, collecting, report
from ..errors import DataError, SatModelError, suggest
from ..inference.driver import usable_cores
from ..moments.core import Moments, scales_of
from ..moments.treatment import survey_moments
from ..spec.model import ModelSpec
from ..survey import SurveyData, coding
from ..survey.adapters import as_table

__all__ = [
    "Groups",
    "concat",
    "group_moments",
    "in_halves",
    "key_text",
    "label_of",
    "minimum_rows",
    "plain",
    "pooled_moments",
    "record_for",
    "split",
    "stack_moments",
    "sub_survey",
    "take",
    "warn_once",
    "with_report",
]


def plain(value: Any) -> Any:
    """A key value as a plain Python scalar (numpy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value


def label_of(by: tuple[str, ...], key: tuple) -> str:
    """``company='Bank A', wave=2026``: how diagnostics name a group.

    >>> label_of(("company", "wave"), ("Bank A", np.int64(2026)))
    "company='Bank A', wave=2026"
    """
    return ", ".join(f"{b}={plain(v)!r}" for b, v in zip(by, key))


def key_text(key: tuple) -> str:
    """A stable text of a group key (seeds are derived from it)."""
    return "\x1f".join(repr(plain(v)) for v in key)


def minimum_rows(spec: ModelSpec, min_rows: int | None) -> int:
    """Fewest rows a group needs: 3, more than the largest block, and ``min_rows``."""
    largest = max(len(items) for items in spec.blocks.values())
    return max(3, largest + 1, int(min_rows or 0))


@dataclass(frozen=True, eq=False)
class Groups:
    """The groups of a pooled survey.

    ``keys`` holds one row per group (the ``by`` columns, sorted), ``rows[g]`` the
    positions of group g's rows in the pooled survey matrix (input order) and
    ``n_input[g]`` its rows in the input before any casewise deletion.
    """

    by: tuple[str, ...]
    keys: pd.DataFrame
    rows: tuple[np.ndarray, ...]
    n_input: np.ndarray
    n_rows: np.ndarray | None = None  # rows fitted, when ``rows`` are not kept (from JSON)

    @property
    def sizes(self) -> list[int]:
        """Rows fitted per group."""
        if self.n_rows is not None:
            return [int(m) for m in self.n_rows]
        return [len(r) for r in self.rows]

    @cached_property
    def labels(self) -> list[tuple]:
        """Group keys as tuples of plain Python values."""
        columns = [self.keys[c].tolist() for c in self.keys.columns]  # plain values
        return [tuple(plain(v) for v in row) for row in zip(*columns)]

    @cached_property
    def _lookup(self) -> dict[tuple, int]:
        return {k: g for g, k in enumerate(self.labels)}

    def position(self, key: Any) -> int:
        """Position of a group given its key (a scalar when there is one key column)."""
        wanted = key if isinstance(key, tuple) else (key,)
        lookup = self._lookup
        if len(wanted) != len(self.by) or wanted not in lookup:
            shown = [k[0] if len(k) == 1 else k for k in self.labels]
            hint = suggest(str(wanted[0]), [str(k[0]) for k in self.labels]) \
                if len(wanted) == 1 else ""
            raise SatModelError(
                f"no group {key!r} (keys are values of {', '.join(self.by)}).{hint} "
                f"Groups: {shown[:8]}{' ...' if len(shown) > 8 else ''}")
        return lookup[wanted]

    def surveys(self, survey: SurveyData) -> list[SurveyData]:
        """Each group's rows as its own validated survey (without the missing-data report:
        :func:`with_report` adds it)."""
        return [sub_survey(survey, r) for r in self.rows]

    def take(self, positions: Sequence[int]) -> Groups:
        """The listed groups only (this object itself when that is every group, in order)."""
        pos = list(positions)
        if pos == list(range(len(self.keys))):
            return self
        return Groups(self.by, self.keys.iloc[pos].reset_index(drop=True),
                      tuple(self.rows[g] for g in pos) if self.rows else (), self.n_input[pos],
                      None if self.n_rows is None else self.n_rows[pos])


def _key_column(table, name: str, n: int) -> pd.Series:
    if name not in table.labels:
        raise DataError(f"by= column {name!r} is not a column of the data."
                        f"{suggest(name, [str(c) for c in table.labels])}")
    column = table.column(name)  # a pandas column stays one: no object-array copy
    values = column.reset_index(drop=True) if isinstance(column, pd.Series) \
        else pd.Series(np.asarray(column))
    if values.ndim != 1 or len(values) != n:
        raise DataError(f"by= column {name!r} has {values.size} values for {n} rows")
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"by= column {name!r} is missing for {int(missing.sum())} row(s); "
                        "give every respondent a group (or drop those rows first)")
    return values


def split(data: Any, by: Sequence[str], survey: SurveyData, *, columns: Any = None) -> Groups:
    """Group the rows of ``survey`` (validated from ``data``) by the ``by`` columns."""
    table = as_table(data, columns)
    n_all = int(survey.report.attrs["rows_input"]) if survey.report is not None else survey.n
    frame = pd.DataFrame({name: _key_column(table, name, n_all) for name in by})
    if len(by) == 1:
        codes_all = pd.factorize(frame[by[0]], sort=True)[0]
    else:
        codes_all = frame.groupby(list(by), sort=True).ngroup().to_numpy()
    order = np.argsort(codes_all, kind="stable")  # adaptive: sorted input costs one pass
    counts = n_input = np.bincount(codes_all)
    keys = frame.iloc[order[np.cumsum(counts) - counts]].reset_index(drop=True)  # first rows
    if survey.rows is not None and len(survey.rows) < n_all:  # rows dropped (casewise)
        kept = codes_all[survey.rows]
        order = np.argsort(kept, kind="stable")
        counts = np.bincount(kept, minlength=len(keys))
    ends = np.cumsum(counts)
    starts = np.concatenate([[0], ends[:-1]])
    rows = tuple(order[a:b] for a, b in zip(starts.tolist(), ends.tolist()))  # stable: sorted
    return Groups(tuple(by), keys, rows, n_input)


def sub_survey(survey: SurveyData, rows: np.ndarray) -> SurveyData:
    """The rows ``rows`` of ``survey`` as a survey of their own: sampling weights rescaled
    to sum to the group's rows (as ``prepare`` does for any data)."""
    X = survey.X[rows]
    w = None
    if survey.weights is not None:
        w = survey.weights[rows]
        w = w * (len(w) / w.sum())
    original = rows if survey.rows is None else survey.rows[rows]
    return SurveyData(X=X, index=survey.index[rows], indicators=survey.indicators, weights=w,
                      missing=survey.missing, rows=original)


def with_report(spec: ModelSpec, survey: SurveyData, n_input: int) -> SurveyData:
    """A group's survey with its missing-data report: missing cells of its kept rows
    (declared codes counted as missing, not apart), rows dropped = input rows − kept."""
    report = coding.missing_report(spec, survey.X, {}, survey.missing, n_input - survey.n,
                                   n_input)
    return dataclasses.replace(survey, report=report)


def take(obj: Any, idx: Any) -> Any:
    """Element(s) ``idx`` of every array field of a batched dataclass (Moments, Estimate);
    ``obj`` itself when ``idx`` lists every element in order (nothing to copy)."""
    if isinstance(idx, np.ndarray) and idx.ndim == 1 and idx.dtype.kind in "iu":
        size = np.shape(getattr(obj, dataclasses.fields(obj)[0].name))[:1]
        if size == (idx.size,) and (idx == np.arange(idx.size)).all():
            return obj
    return dataclasses.replace(obj, **{f.name: np.asarray(getattr(obj, f.name))[idx]
                                       for f in dataclasses.fields(obj)})


def concat(parts: Sequence[Any]) -> Any:
    """Batched dataclasses (Estimate, Moments) of consecutive groups joined on the leading
    axis (the one part itself when there is one)."""
    if len(parts) == 1:
        return parts[0]
    return dataclasses.replace(parts[0], **{
        f.name: np.concatenate([np.asarray(getattr(q, f.name)) for q in parts])
        for f in dataclasses.fields(parts[0])})


def stack_moments(parts: Sequence[Moments]) -> Moments:
    """Moments of several (batched or single) fits concatenated on the leading axis."""
    def cat(values, tail: int) -> np.ndarray:
        arrays = [np.asarray(v, dtype=float) for v in values]
        return np.concatenate([a.reshape((-1,) + a.shape[a.ndim - tail:]) for a in arrays])
    return Moments(n=cat([m.n for m in parts], 0), mean=cat([m.mean for m in parts], 1),
                   std=cat([m.std for m in parts], 1), corr=cat([m.corr for m in parts], 2))


#: fewest groups per thread worth a second thread (below: one call)
MIN_GROUPS_PER_THREAD = 64


def in_halves(fn: Callable[[int, int], Any], G: int) -> list:
    """``fn(lo, hi)`` on consecutive parts of ``range(G)``, results in order: two parts on
    two threads when the process may use two cores and each part has at least
    :data:`MIN_GROUPS_PER_THREAD` groups (numpy and BLAS release the GIL), else one
    call ``fn(0, G)``. For work where each group's numbers do not depend on the others'.

    >>> in_halves(lambda lo, hi: (lo, hi), 10)
    [(0, 10)]
    """
    parts = min(2, usable_cores()) if G >= 2 * MIN_GROUPS_PER_THREAD else 1
    if parts == 1:
        return [fn(0, G)]
    cut = G // 2
    with ThreadPoolExecutor(parts) as pool:
        return list(pool.map(lambda ab: fn(*ab), [(0, cut), (cut, G)]))


def group_moments(surveys: Sequence[SurveyData]) -> Moments:
    """Each group's moments (its own rows, missing-data treatment and weights), stacked
    on a leading axis of length G."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return stack_moments([survey_moments(s) for s in surveys])


_CHUNK_BYTES = 2**20  # centred rows of the groups in one batched product: cache-sized
_FLOAT32_EXACT = 2.0**24  # integers up to this magnitude add up exactly in float32


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
    centred and multiplied in float64.
    """
    X = survey.X
    sizes = np.array([len(r) for r in rows])
    if survey.weights is not None or not len(rows) or sizes.sum() * 2 < len(rows) * sizes.max():
        return None
    known = survey.extremes if survey.extremes is not None and survey.extremes[2] is X else None
    if known is None and np.isnan(X).any():
        return None
    low, high = (X.min(axis=0), X.max(axis=0)) if known is None else known[:2]
    scale = scales_of(high, low)
    if np.any(scale != 1.0):  # extreme magnitudes: the per-group path rescales exactly
        return None
    top = float(np.maximum(-low, high).max())
    G, n_max, p = len(rows), int(sizes.max()), X.shape[1]
    exact = "no" if n_max * top * top >= _FLOAT32_EXACT else \
        "yes" if known is not None and known[3] else "check"
    mean, cov = np.empty((G, p)), np.empty((G, p, p))
    in_halves(lambda lo, hi: _centred_products(X, rows, sizes, lo, hi, mean, cov, exact), G)
    # as compute_moments does it (so a group's correlations are its own fit's, to rounding)
    cov /= (sizes - 1.0)[:, None, None]
    std = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.divide(cov, std[:, :, None] * std[:, None, :], out=cov)
    corr[:, np.arange(p), np.arange(p)] = 1.0
    return Moments(n=sizes.astype(float), mean=mean, std=std, corr=corr)


def _centred_products(X, rows, sizes, lo: int, hi: int, mean, cov, exact: str = "no") -> None:
    """Means and centred cross products of groups ``lo:hi`` into ``mean`` and ``cov``;
    ``exact``: "yes" (integer values: float32 products), "check" (each chunk's values
    are tested first) or "no" (float64)."""
    n_max, p = int(sizes.max()), X.shape[1]
    step = max(1, _CHUNK_BYTES // (8 * n_max * p))
    g_max = min(step, hi - lo)
    buf = np.empty((g_max, p, n_max))
    small = np.empty((g_max, p + 1, n_max), dtype=np.float32) if exact != "no" else None
    for a in range(lo, hi, step):
        chunk, m = rows[a:min(a + step, hi)], sizes[a:min(a + step, hi)]
        g = len(chunk)
        V, whole = _chunk_rows(X, chunk, m, n_max)
        if small is not None and (exact == "yes" or _integers(V, buf[:g])):
            _integer_products(V, m, whole, small[:g], mean[a:a + g], cov[a:a + g])
            continue
        mean[a:a + g] = V.sum(axis=2) / m[:, None]
        Z = np.subtract(V, mean[a:a + g, :, None], out=buf[:g])
        if not whole:  # the padding is zero again after centring
            Z *= (np.arange(n_max) < m[:, None])[:, None, :]
        np.matmul(Z, Z.transpose(0, 2, 1), out=cov[a:a + g])


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


def _integer_products(V, m, whole: bool, small, mean, cov) -> None:
    """Means and centred cross products of integer-valued rows ``V`` (g, p, n_max), whose
    products sum below 2^24, exactly: float32 products of the rows and a row of ones (the
    sums), then ``(m X'X - s s') / m`` in float64."""
    p, n_max = V.shape[1], V.shape[2]
    np.copyto(small[:, :p], V, casting="same_kind")
    small[:, p] = 1.0 if whole else (np.arange(n_max) < m[:, None])
    P = np.matmul(small, small.transpose(0, 2, 1)).astype(np.float64)
    s, mf = P[:, p, :p], m.astype(float)
    mean[:] = s / mf[:, None]
    num = np.multiply(P[:, :p, :p], mf[:, None, None], out=cov)
    num -= s[:, :, None] * s[:, None, :]
    num /= mf[:, None, None]


def record_for(label: str, d: Diagnostic) -> Diagnostic:
    """Record a group's diagnostic under its name (``company='A': ...``) without a warning."""
    category = getattr(errors, d.category, errors.SatModelWarning)
    return report(d.code, f"{label}: {d.message}", category, names=(label,) + d.names,
                  count=d.count, severity=d.severity, warn=False)


def warn_once(records: Sequence[tuple[str, Diagnostic]], total: int) -> None:
    """One warning per code for the diagnostics of many groups (their records are kept
    elsewhere: these summaries are not recorded again)."""
    by_code: dict[str, list[tuple[str, Diagnostic]]] = {}
    for label, d in records:
        by_code.setdefault(d.code, []).append((label, d))
    with collecting():
        for code, items in by_code.items():
            label, d = items[0]
            more = f" (and {len(items) - 1} more; see res.diagnostics)" if len(items) > 1 else ""
            report(code, f"{len(items)} of {total} groups: {label}: {d.message}{more}",
                   getattr(errors, d.category, errors.SatModelWarning))
