"""The JSON record of a grouped result (:class:`~satmodel.results.grouped.GroupedPLSResult`).

One record holds what is shared once (spec, estimator and survey options, the ``by``
columns) and, per fitted group, its key values and the record of its own
:class:`~satmodel.PLSResult` (:class:`~satmodel.results.record.PLSRecord` without the
shared fields and without tables): moments, labelled estimates, the group's
diagnostics and its bootstrap (summaries; draws with ``draws=True``). Groups left out
travel as ``skipped`` (key, n, code, reason). The stacked tables (key columns first)
are stored under ``tables`` for consumers that read JSON only; ``from_json`` rebuilds
them from the estimates. No survey rows are stored, so a result read back can be
indexed, tabulated and summarized but not bootstrapped again.

Validation is that of the single record, group by group: a malformed or hostile
record raises a SatModelError naming the group and the field.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"), by="gender")
>>> back = sm.GroupedPLSResult.from_json(res.to_json())
>>> back.paths.equals(res.paths), back["male"].n_obs
(True, 102)
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, PrivateAttr, StrictBool, StrictInt, ValidationError, \
    model_validator

from ..engine.options import PLSOptions
from ..errors import SatModelError
from ..groups import batch
from ..spec.model import ModelSpec
from ..survey.options import SurveyOptions
from ..tables import TABLES
import satmodel.results.pls_record as pls_record
import satmodel.results.record as rec

__all__ = ["GroupedPLSRecord", "from_record", "grouped_schema", "key_value", "to_record"]

FORMAT = "satmodel.GroupedPLSResult"
#: fields of a group's PLSRecord that the grouped record holds once
SHARED = ("format", "version", "satmodel_version", "spec", "options", "survey_options")
MAX_KEY_TEXT = 1000

#: a group key value: text, an integer, a finite number or a boolean (JSON scalars)
KeyValue = Union[StrictBool, StrictInt, Annotated[float, Field(allow_inf_nan=False)],
                 Annotated[str, Field(max_length=MAX_KEY_TEXT)]]


def key_value(value: Any, by: str) -> Any:
    """A key value as a JSON scalar, or a SatModelError naming the ``by`` column."""
    item = value.item() if hasattr(value, "item") else value
    if isinstance(item, (bool, int, str)) or (isinstance(item, float) and math.isfinite(item)):
        if isinstance(item, str) and len(item) > MAX_KEY_TEXT:
            raise SatModelError(f"to_json: a value of by= column {by!r} is longer than "
                                f"{MAX_KEY_TEXT} characters")
        return item
    raise SatModelError(f"to_json: the by= column {by!r} holds {type(item).__name__} values "
                        f"({item!r}); a record keeps text, integers, finite numbers or booleans "
                        "as keys: convert the column (e.g. dates to text) before fitting")


class GroupEntry(rec._Strict):
    """A fitted group: its key values, rows in the input, and its PLS record."""

    key: list[KeyValue]
    n_input: int = Field(ge=0, le=10**12, strict=True)
    record: dict[str, Any]


class SkippedEntry(rec._Strict):
    """A group left out: its key values, rows, and why."""

    key: list[KeyValue]
    n: int = Field(ge=0, le=10**12, strict=True)
    code: str = Field(max_length=200)
    reason: str = Field(max_length=20000)


class GroupedInferenceRecord(rec._Strict):
    """Settings of the grouped bootstrap (each group's own record holds its draws)."""

    level: float = Field(gt=0, lt=1)
    method: Literal["percentile", "basic", "normal", "bc", "bca"] = "percentile"
    entropy: Optional[str] = Field(None, pattern=r"^[0-9]{1,80}$")


class GroupedPLSRecord(rec._Strict):
    """The JSON record of a :class:`~satmodel.results.grouped.GroupedPLSResult`."""

    format: Literal["satmodel.GroupedPLSResult"]
    version: Literal[2]
    satmodel_version: str = Field(max_length=100)
    spec: ModelSpec
    options: PLSOptions
    survey_options: SurveyOptions
    by: list[Annotated[str, Field(min_length=1, max_length=MAX_KEY_TEXT)]] = \
        Field(min_length=1, max_length=50)
    groups: list[GroupEntry] = Field(min_length=1)
    skipped: list[SkippedEntry] = []
    diagnostics: list[rec.DiagnosticRecord] = []
    inference: Optional[GroupedInferenceRecord] = None
    tables: dict[str, rec.TableRecord] = {}
    _records: list[rec.PLSRecord] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _groups_valid(self) -> GroupedPLSRecord:
        if len(set(self.by)) != len(self.by):
            raise ValueError("by must name distinct columns")
        seen: set[tuple] = set()
        for where, entries in (("groups", self.groups), ("skipped", self.skipped)):
            for i, entry in enumerate(entries):
                if len(entry.key) != len(self.by):
                    raise ValueError(f"{where}[{i}].key must hold {len(self.by)} value(s), one "
                                     f"per by column {self.by}")
                key = tuple((type(v).__name__, v) for v in entry.key)
                if key in seen:
                    raise ValueError(f"{where}[{i}].key {entry.key} names a group twice")
                seen.add(key)
        shared = {"format": "satmodel.PLSResult", "version": rec.FORMAT_VERSION,
                  "satmodel_version": self.satmodel_version, "spec": self.spec,
                  "options": self.options, "survey_options": self.survey_options}
        records = []
        for i, entry in enumerate(self.groups):
            label = batch.label_of(self.by, entry.key)
            clash = sorted(set(entry.record) & set(SHARED + ("tables",)))
            if clash:
                raise ValueError(f"groups[{i}] ({label}).record must not hold {clash}")
            try:
                one = rec.PLSRecord.model_validate({**entry.record, **shared})
            except ValidationError as err:
                first = err.errors()[0]
                loc = ".".join(str(x) for x in first["loc"]) or "record"
                raise ValueError(f"groups[{i}] ({label}).record.{loc}: "
                                 f"{first['msg'].removeprefix('Value error, ')}") from None
            if entry.n_input < one.n_obs:
                raise ValueError(f"groups[{i}] ({label}): n_input {entry.n_input} is below the "
                                 f"{one.n_obs} rows fitted")
            if (one.inference is not None) and self.inference is None:
                raise ValueError(f"groups[{i}] ({label}) has a bootstrap but the record has no "
                                 "inference settings")
            records.append(one)
        for i, one in enumerate(records):  # the tables a grouped result stacks them into
            for t, cols in ({} if one.inference is None else one.inference.original).items():
                if t not in TABLES:
                    raise ValueError(f"groups[{i}].record.inference: {t!r} is not a table")
                rows = len(TABLES[t].keys(self.spec))
                for c, v in cols.items():
                    if c not in TABLES[t].columns or len(v) != rows:
                        raise ValueError(f"groups[{i}].record.inference.original[{t!r}][{c!r}] "
                                         f"must be a column of {t!r} with {rows} values")
        if self.inference is not None:
            inferred = [r.inference for r in records if r.inference is not None]
            if not inferred:
                raise ValueError("inference is set but no group has a bootstrap")
            def shape(r):  # tables, columns and rows of a group's bootstrap
                return r.n_requested, {t: {c: len(v) for c, v in cols.items()}
                                       for t, cols in r.original.items()}
            first = shape(inferred[0])
            if any(shape(r) != first for r in inferred[1:]):
                raise ValueError("the groups' bootstraps differ in resamples, tables or rows")
        self._records = records
        return self

    def group_records(self) -> list[rec.PLSRecord]:
        """Each fitted group's validated PLS record (in ``groups`` order)."""
        return list(self._records)


rec.RECORDS["GroupedPLSResult"] = GroupedPLSRecord


def to_record(res: Any, *, draws: bool = False) -> dict[str, Any]:
    """The JSON-ready record of a grouped result (see the module docstring)."""
    by = list(res.by)
    groups = []
    for g, key in enumerate(res.groups.labels):
        one = pls_record.to_record(res._result(g, rows=False), draws=draws, tables=False)
        one["diagnostics"] = [d.to_dict() for d in res.group_diagnostics[g]] \
            if res.group_diagnostics else []
        for name in SHARED + ("tables",):
            one.pop(name)
        groups.append({"key": [key_value(v, b) for b, v in zip(by, key)],
                       "n_input": int(res.groups.n_input[g]), "record": one})
    skipped = [{"key": [key_value(v, b) for b, v in zip(by, row[:len(by)])],
                "n": int(row.n), "code": str(row.code), "reason": str(row.reason)}
               for row in res.skipped.itertuples(index=False)]
    inf = res.inference
    inference = None if inf is None else {
        "level": inf.level, "method": inf.method,
        "entropy": None if inf.entropy is None else str(int(inf.entropy))}
    inferred = () if inf is None else inf.tables
    tables = {name: rec.table_record(res.table(name)) for name in res.TABLE_NAMES
              if name != "f2_reestimated" or name in inferred}
    return {"format": FORMAT, "version": rec.FORMAT_VERSION,
            "satmodel_version": rec.package_version(),
            "spec": res.spec.model_dump(mode="json"),
            "options": res.options.model_dump(mode="json"),
            "survey_options": res.survey_options.model_dump(mode="json"),
            "by": by, "groups": groups, "skipped": skipped,
            "diagnostics": [d.to_dict() for d in res.diagnostics],
            "inference": inference, "tables": tables}


def from_record(cls: type, r: GroupedPLSRecord) -> Any:
    """Rebuild a grouped result from a validated record (no respondent rows)."""
    import numpy as np
    import pandas as pd

    from ..groups.batch import Groups, stack_moments
    from ..inference.grouped import GroupedInference
    from ..moments.core import Moments
    from .pls import PLSResult

    singles = [pls_record.from_record(PLSResult, one) for one in r.group_records()]
    moments = stack_moments([Moments(n=float(x.n_obs), mean=x.indicator_mean,
                                     std=x.indicator_std, corr=x.indicator_corr)
                             for x in singles])
    estimate = type(singles[0].estimate)(**{
        f: np.stack([np.asarray(getattr(x.estimate, f)) for x in singles])
        for f in singles[0].estimate.__dataclass_fields__})
    by = tuple(r.by)
    keys = pd.DataFrame([e.key for e in r.groups], columns=list(by))
    groups = Groups(by, keys, (), np.array([e.n_input for e in r.groups]),
                    np.array([x.n_obs for x in singles]))
    skipped = pd.DataFrame([e.key for e in r.skipped], columns=list(by))
    skipped["n"] = [e.n for e in r.skipped]
    skipped["code"] = [e.code for e in r.skipped]
    skipped["reason"] = [e.reason for e in r.skipped]
    inference = None
    if r.inference is not None:
        entropy = None if r.inference.entropy is None else int(r.inference.entropy)
        inference = GroupedInference(tuple(x.inference for x in singles),
                                     level=r.inference.level, method=r.inference.method,
                                     entropy=entropy)
    return cls(spec=r.spec, options=r.options, survey_options=r.survey_options, by=by,
               groups=groups, moments=moments, estimate=estimate, survey=None,
               group_diagnostics=tuple(x.diagnostics for x in singles), skipped=skipped,
               diagnostics=tuple(d.diagnostic() for d in r.diagnostics), inference=inference)


def grouped_schema() -> dict[str, Any]:
    """JSON Schema of the grouped PLS result record."""
    return GroupedPLSRecord.model_json_schema()
