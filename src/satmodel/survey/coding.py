"""Item coding at the data boundary: missing codes, scale checks, reverse items, weights.

Helpers of :func:`satmodel.survey.prepare` (docs/methods.md §6.2, §6.6, §6.7). Each works on the
float columns already converted by ``prepare`` and raises
:class:`~satmodel.errors.DataError` / :class:`~satmodel.errors.OptionError` naming the
item, option or row at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..diagnostics import report as report_diagnostic
from .adapters import row_text, to_float
from ..errors import DataError, MissingDataWarning, OptionError, suggest

if TYPE_CHECKING:
    from ..spec.model import ModelSpec

ACTIONS = {
    "error": "none missing",
    "casewise": "respondent dropped",
    "mean": "replaced by the item mean",
    "pairwise": "pairwise deletion",
    "em": "EM-estimated moments",
}


def codes_per_item(spec: ModelSpec, na_values: Any) -> dict[str, tuple[float, ...]]:
    """``na_values`` (tuple for every item, or dict item -> tuple) as a per-item dict."""
    items = spec.indicator_names
    if isinstance(na_values, Mapping):
        unknown = [k for k in na_values if k not in items]
        if unknown:
            raise OptionError(
                f"na_values names {unknown[0]!r}, which is not an indicator of model "
                f"{spec.name!r}.{suggest(unknown[0], items)} Use indicator names as keys.")
        return {k: tuple(na_values.get(k, ())) for k in items}
    return dict.fromkeys(items, tuple(na_values))


def apply_codes(converted: dict[str, np.ndarray], codes: dict[str, tuple[float, ...]]
                ) -> dict[str, int]:
    """Replace declared missing codes by NaN in fresh copies (the converted columns may be
    views of the caller's data); count them per item."""
    counts: dict[str, int] = {}
    for name, col in list(converted.items()):
        hit = np.isin(col, codes.get(name, ())) if codes.get(name) else np.zeros(col.shape, bool)
        counts[name] = int(hit.sum())
        if counts[name]:
            converted[name] = np.where(hit, np.nan, col)
    return counts


def scale_problems(spec: ModelSpec, converted: dict[str, np.ndarray], index: pd.Index) -> list[str]:
    """Observed values outside an item's declared scale, one message per item."""
    problems = []
    for con in spec.constructs:
        for ind in con.indicators:
            col = converted.get(ind.name)
            if col is None or ind.scale_min is None:
                continue
            with np.errstate(invalid="ignore"):
                bad = (col < ind.scale_min) | (col > ind.scale_max)
            if bad.any():
                values = sorted(set(col[bad].tolist()))
                shown = ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")
                problems.append(
                    f"item {ind.name} (construct {con.name}) has {int(bad.sum())} value(s) outside "
                    f"its scale {ind.scale_min:g}-{ind.scale_max:g} ({shown}), in "
                    f"{row_text(index, bad)}; declare don't-know/refusal codes with "
                    "na_values=, or correct the item's scale_min/scale_max in the spec.")
    return problems


def reverse_items(spec: ModelSpec, converted: dict[str, np.ndarray], reverse: Sequence[str]) -> None:
    """Reverse-code items in place: x' = scale_min + scale_max - x."""
    scales = {i.name: (i.scale_min, i.scale_max) for c in spec.constructs for i in c.indicators}
    for name in reverse:
        if name not in scales:
            raise OptionError(
                f"reverse= names {name!r}, which is not an indicator of model "
                f"{spec.name!r}.{suggest(name, scales)}")
        lo, hi = scales[name]
        if lo is None:
            raise OptionError(
                f"reverse= names item {name!r}, which has no declared scale; reverse coding "
                "needs the scale end points: set scale_min/scale_max on the indicator.")
        if name in converted:
            converted[name] = lo + hi - converted[name]


def read_weights(weights: Any, table, n: int, items: Sequence[str]) -> tuple[np.ndarray, str]:
    """Sampling weights from a column name or an array: finite, >= 0, not all zero."""
    if isinstance(weights, str):
        if weights not in table.labels:
            raise DataError(f"weights={weights!r} is not a column of the data."
                            f"{suggest(weights, [str(x) for x in table.labels])}")
        if weights in items:
            raise DataError(f"weights={weights!r} is an indicator of the model; sampling "
                            "weights must be a separate column.")
        values, problem = to_float(weights, table.column(weights))
        label = weights
    else:
        values, problem = to_float("weights", np.asarray(weights))
        label = "<array>"
    if problem is not None:
        raise DataError(f"sampling weights: {problem}")
    if len(values) != n:
        raise DataError(f"weights has {len(values)} values but the data have {n} rows; give "
                        "one weight per respondent.")
    return np.array(values, dtype=float), label


def check_weights(w: np.ndarray, index: pd.Index) -> None:
    bad = ~np.isfinite(w)
    if bad.any():
        raise DataError(f"sampling weights have {int(bad.sum())} missing or infinite value(s), "
                        f"in {row_text(index, bad)}; give every respondent a weight.")
    neg = w < 0
    if neg.any():
        raise DataError(f"sampling weights have {int(neg.sum())} negative value(s), "
                        f"in {row_text(index, neg)}; weights must be >= 0.")
    if not (w > 0).any():
        raise DataError("every sampling weight is 0; at least one respondent needs a positive weight.")


def missing_report(spec: ModelSpec, X: np.ndarray, coded: dict[str, int], method: str,
                   rows_dropped: int, n_input: int) -> pd.DataFrame:
    """Per item: missing cells (NaN or code), share, codes among them, what was done."""
    block_of = {i: c for c, items in spec.blocks.items() for i in items}
    miss = np.isnan(X).sum(axis=0)
    df = pd.DataFrame({
        "construct": [block_of[i] for i in spec.indicator_names],
        "indicator": list(spec.indicator_names),
        "missing": miss.astype(int),
        "share": miss / max(n_input, 1),
        "coded": [coded.get(i, 0) for i in spec.indicator_names],
        "action": [ACTIONS[method] if k else "none missing" for k in miss],
    })
    df.attrs.update({"method": method, "rows_input": int(n_input),
                     "rows_dropped": int(rows_dropped),
                     "rows_with_missing": int(np.isnan(X).any(axis=1).sum()),
                     "cells_missing": int(miss.sum())})
    return df


def warn_shares(report: pd.DataFrame, limit: float) -> None:
    over = report[report["share"] > limit]
    if len(over):
        listed = ", ".join(f"{r.indicator} {r.share:.1%}" for r in over.itertuples())
        report_diagnostic("missing_share", f"missing answers above missing_warn={limit:g}: "
                          f"{listed}; treatment: {report.attrs['method']}", MissingDataWarning,
                          names=list(over["indicator"]), count=len(over))


def check_pairs(spec: ModelSpec, X: np.ndarray, missing: str,
                weights: np.ndarray | None = None, *, em: bool = False) -> None:
    """Pairwise moments need every pair of items answered together by >= 3 respondents.
    With ``em=True`` (a grouped fit, on each group's rows) ``missing="em"`` is checked
    too: EM needs every pair answered together by someone (of positive ``weights``),
    else their covariance has no estimate. (``prepare`` leaves EM out: CB-SEM passes
    "em" to keep missing cells for FIML; fit_pls checks its pooled rows itself.)"""
    if missing not in (("pairwise", "em") if em else ("pairwise",)) or not np.isnan(X).any():
        return
    O = ~np.isnan(X)
    if weights is not None:
        O = O & (np.asarray(weights) > 0)[:, None]
    O = O.astype(float)
    joint = O.T @ O
    k, l = np.unravel_index(np.argmin(joint), joint.shape)
    names = spec.indicator_names
    if missing == "em" and joint[k, l] < 1:
        raise DataError(
            f"items {names[k]} and {names[l]} are never answered together (no respondent "
            "answers both), so EM (missing='em') cannot estimate their correlation, as "
            "pairwise deletion cannot. Drop one of the items, or use missing='mean'")
    if missing == "pairwise" and joint[k, l] < 3:
        raise DataError(
            f"items {names[k]} and {names[l]} are answered together by only "
            f"{int(joint[k, l])} respondent(s); pairwise deletion needs at least 3. "
            "Use missing='em' or 'mean', or drop one of the items.")
