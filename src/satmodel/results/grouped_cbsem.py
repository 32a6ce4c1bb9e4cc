"""``fit_cbsem(spec, data, by=...)``: a CB-SEM fit per group (company, wave, ...).

A CB-SEM fit is a semopy optimization with no batched form, so the groups are fitted
one after another, each exactly as ``fit_cbsem`` fits that group's rows alone (its own
validation, missing-data treatment and start values). A group with fewer rows than the
minimum, bad data, a model semopy cannot fit on its rows, or no convergence is left out
and listed in ``skipped``; every diagnostic names its group
(:mod:`satmodel.results.grouped_many`).

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"), by="gender")
>>> cb.paths[["gender", "source", "target"]].values.tolist()
[['female', 'A', 'B'], ['male', 'A', 'B']]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..errors import DataError, suggest
from ..groups import batch
from ..spec.model import ModelSpec
from ..survey.adapters import as_table
from .grouped_many import GroupedCBSEMResult, not_converged, run_groups, skipped_frame

__all__ = ["fit_cbsem_groups"]


def _frame(data: Any, columns: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    table = as_table(data, columns)
    return pd.DataFrame({label: np.asarray(table.column(label)) for label in table.labels})


def _by(by: Any) -> tuple[str, ...]:
    cols = (by,) if isinstance(by, str) else tuple(by) if isinstance(by, (list, tuple)) else None
    if not cols or not all(isinstance(c, str) for c in cols) or len(set(cols)) != len(cols):
        raise valid.bad("fit_cbsem", "by", by, "a column name or a list of distinct column names")
    return cols


class _TooFew:
    def __init__(self, n: int, need: int) -> None:
        self.reason = f"{n} rows; a group needs at least {need}"


def _accept(out: Any) -> tuple[str, str] | None:
    return ("too_few_rows", out.reason) if isinstance(out, _TooFew) else not_converged(out)


def fit_cbsem_groups(spec: ModelSpec, data: Any, by: Any, fit: Callable[..., Any], *,
                     columns: Any = None, min_rows: int | None = None,
                     **options: Any) -> GroupedCBSEMResult:
    """Fit ``spec`` to every group of ``data`` with ``fit`` (:func:`satmodel.fit_cbsem`
    without ``by``) and ``options``; see the module docstring."""
    by = _by(by)
    if min_rows is not None:
        valid.integer("fit_cbsem", "min_rows", min_rows, minimum=3)
    frame = _frame(data, columns)
    for name in by:
        if name not in frame.columns:
            raise DataError(f"by= column {name!r} is not a column of the data."
                            f"{suggest(name, [str(c) for c in frame.columns])}")
        if frame[name].isna().any():
            raise DataError(f"by= column {name!r} is missing for {int(frame[name].isna().sum())} "
                            "row(s); give every respondent a group (or drop those rows first)")
    need = batch.minimum_rows(spec, min_rows)
    parts = {tuple(batch.plain(v) for v in (key if isinstance(key, tuple) else (key,))): part
             for key, part in frame.groupby(list(by), sort=True)}
    work = [(key, lambda part=part: _TooFew(len(part), need) if len(part) < need
             else fit(spec, part, **options)) for key, part in parts.items()]
    results, skipped, found = run_groups(by, work, accept=_accept)
    sizes = {k: len(p) for k, p in parts.items()}
    return GroupedCBSEMResult(by, results, skipped_frame(by, skipped, sizes), found)
