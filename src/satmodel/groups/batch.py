"""Many groups of one survey (companies x waves) fitted in one batched engine call.

A group is the set of rows with one value of the ``by=`` key columns. Its moments are
those of its own rows — exactly what a 0/1 row-weight mask on the pooled rows gives,
but computed on the group's rows only (O(n p²) for all groups together instead of
O(G n p²) for G full-length masks) — so each group is standardized with its own means
and SDs (cSEM, SmartPLS); :func:`satmodel.groups.pooled.pooled_moments` computes them
for all groups at once. The G moment matrices are stacked on the leading batch axis
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
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import errors
from .._threads import in_two, usable_cores
from ..diagnostics import Diagnostic, collecting, report
from ..errors import DataError, SatModelError, suggest
from ..moments.core import Moments
from ..moments.treatment import survey_moments
from ..spec.model import ModelSpec
from ..survey import SurveyData, coding
from ..survey.adapters import as_table

__all__ = [
    "Groups",
    "code_keys",
    "concat",
    "group_moments",
    "in_halves",
    "key_text",
    "label_of",
    "minimum_rows",
    "plain",
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
    if len(by) == 1:  # the common case, without a generator (many groups are named)
        return f"{by[0]}={plain(key[0])!r}"
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


def _key_column(table, name: str, n: int | None) -> pd.Series:
    if name not in table.labels:
        raise DataError(f"by= column {name!r} is not a column of the data."
                        f"{suggest(name, [str(c) for c in table.labels])}")
    column = table.column(name)  # a pandas column stays one: no object-array copy
    values = column.reset_index(drop=True) if isinstance(column, pd.Series) \
        else pd.Series(np.asarray(column))
    if values.ndim != 1 or (n is not None and len(values) != n):
        raise DataError(f"by= column {name!r} has {values.size} values for {n} rows")
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"by= column {name!r} is missing for {int(missing.sum())} row(s); "
                        "give every respondent a group (or drop those rows first)")
    return values


def code_keys(data: Any, by: Sequence[str], *, columns: Any = None
              ) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``by`` columns of ``data`` and each input row's group code (0, 1, ... in the
    sorted order of the keys). It reads only the key columns, so it can run while the
    items are validated (:func:`split` takes its result as ``coded``)."""
    table = as_table(data, columns)
    first = _key_column(table, by[0], None)
    frame = pd.DataFrame({name: first if name == by[0] else _key_column(table, name, len(first))
                          for name in by})
    if len(by) == 1:
        return frame, pd.factorize(frame[by[0]], sort=True)[0]
    return frame, frame.groupby(list(by), sort=True).ngroup().to_numpy()


def split(data: Any, by: Sequence[str], survey: SurveyData, *, columns: Any = None,
          coded: tuple[pd.DataFrame, np.ndarray] | None = None) -> Groups:
    """Group the rows of ``survey`` (validated from ``data``) by the ``by`` columns
    (``coded``: :func:`code_keys` of the same data, when already at hand)."""
    n_all = int(survey.report.attrs["rows_input"]) if survey.report is not None else survey.n
    frame, codes_all = code_keys(data, by, columns=columns) if coded is None else coded
    if len(codes_all) != n_all:
        raise DataError(f"by= column {by[0]!r} has {len(codes_all)} values for {n_all} rows")
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
    X = survey.values[rows]  # integer codes stay codes until the group's X is read
    w = None
    if survey.weights is not None:
        w = survey.weights[rows]
        w = w * (len(w) / w.sum())
    original = rows if survey.rows is None else survey.rows[rows]
    return SurveyData(values=X, index=survey.index[rows], indicators=survey.indicators, weights=w,
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
    """``fn(lo, hi)`` on consecutive parts of ``range(G)``, results in order: two parts,
    the first on the helper thread (:func:`satmodel._threads.on_helper`) and the second in
    the caller, when the process may use two cores and each part has at least
    :data:`MIN_GROUPS_PER_THREAD` groups (numpy and BLAS release the GIL), else one
    call ``fn(0, G)``. For work where each group's numbers do not depend on the others'.

    >>> in_halves(lambda lo, hi: (lo, hi), 10)
    [(0, 10)]
    """
    return in_two(fn, G, G >= 2 * MIN_GROUPS_PER_THREAD and usable_cores() >= 2)


def group_moments(surveys: Sequence[SurveyData]) -> Moments:
    """Each group's moments (its own rows, missing-data treatment and weights), stacked
    on a leading axis of length G."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return stack_moments([survey_moments(s) for s in surveys])


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
