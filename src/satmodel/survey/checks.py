"""Checks of survey data against a model, each raising (or returning) a message that
names the column, item or row at fault and says what to do (used by
:func:`satmodel.survey.prepare`).

>>> import numpy as np, pandas as pd
>>> value_problem("SAT1", np.array([3.0, 3.0, 3.0]), pd.RangeIndex(3))[:21]
'item SAT1 is constant'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .adapters import Table, row_text
from ..errors import DataError, suggest

if TYPE_CHECKING:
    from ..spec.model import ModelSpec

__all__ = ["raise_all", "check_columns", "check_rows", "value_problem"]

_SHOW_PROBLEMS = 12  # problems listed per error message



def fmt_label(label: Any) -> str:
    """A column label as the user wrote it: 'SAT1' quoted, 0 or 1.5 bare."""
    return repr(label) if isinstance(label, str) else str(label)


def raise_all(problems: list[str]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise DataError(problems[0])
    lines = problems[:_SHOW_PROBLEMS]
    more = len(problems) - len(lines)
    text = "\n".join(f"  - {p}" for p in lines)
    if more:
        text += f"\n  ... and {more} more"
    raise DataError(f"the survey data have {len(problems)} problems:\n{text}")


def check_columns(spec: ModelSpec, table: Table) -> None:
    counts: dict[Any, int] = {}
    for label in table.labels:
        counts[label] = counts.get(label, 0) + 1
    block_of = {
        item: construct for construct, items in spec.blocks.items() for item in items
    }
    problems = [
        f"column {name!r} (indicator of {block_of.get(name, '?')}) appears "
        f"{counts[name]} times in the data; rename or drop the duplicates."
        for name in spec.indicator_names
        if counts.get(name, 0) > 1
    ]
    raise_all(problems)
    available = [fmt_label(label) for label in counts]
    missing = [name for name in spec.indicator_names if name not in counts]
    if not missing:
        return
    # suggest only columns the spec does not already use, shown as given (a label 0 is
    # the integer 0, never the text '0'): an exact match up to case first (imag1 ->
    # IMAG1), then the closest spelling among the text labels
    unused = [label for label in counts if label not in block_of]
    texts = [label for label in unused if isinstance(label, str)]
    by_lower = {label.lower(): label for label in texts}
    others = {str(label): label for label in unused if not isinstance(label, str)}

    def hint(name: str) -> str:
        if name in others:
            label = others[name]
            return (f" Column {fmt_label(label)} is the {type(label).__name__} {label!r}, "
                    f"not the text {name!r}: rename it (e.g. df.columns = df.columns.map(str)).")
        if name.lower() in by_lower:
            return f" Did you mean {by_lower[name.lower()]!r}?"
        return suggest(name, texts)

    listed = "\n".join(
        f"  - {name} (block {block_of.get(name, '?')}).{hint(name)}"
        for name in missing[:_SHOW_PROBLEMS]
    )
    if len(missing) > _SHOW_PROBLEMS:
        listed += f"\n  ... and {len(missing) - _SHOW_PROBLEMS} more"
    shown = ", ".join(available[:15]) + (", ..." if len(available) > 15 else "")
    unnamed = ""
    if not any(isinstance(label, str) for label in counts):
        kinds = sorted({type(label).__name__ for label in unused})
        unnamed = (f"The data's columns are labelled by {' and '.join(kinds)} values, not by "
                   "name: give them the indicator names (e.g. pd.DataFrame(X, columns=[...])). ")
    raise DataError(
        f"{len(missing)} indicator(s) of model {spec.name!r} are not columns of the "
        f"data ({table.kind} with columns: {shown or 'none'}):\n{listed}\n{unnamed}"
        "Rename the columns to the spec's indicator names (names are "
        "case-sensitive), or change the spec."
    )


def check_rows(spec: ModelSpec, n: int, min_rows: int | None, n_input: int | None = None) -> None:
    """Enough rows; ``n_input``: the rows before casewise deletion (the message says so)."""
    what = "the survey data have"
    if n_input is not None:
        what = (f"casewise deletion (missing='casewise') dropped {n_input - n} of {n_input} "
                "rows (each with a missing answer or a zero weight), leaving")
    fix = (" Use missing='em', 'pairwise' or 'mean', which keep the rows." if n_input is not None
           else "")
    if n < 3:
        raise DataError(
            f"{what} {n} row(s); at least 3 respondents are needed "
            f"(and more respondents than items in the largest block).{fix}"
        )
    block, size = max(spec.blocks.items(), key=lambda kv: len(kv[1]))
    size = len(size)
    if n <= size:
        raise DataError(
            f"{what} {n} rows but block {block} has {size} indicators; "
            f"PLS needs more respondents than items in every block (at least "
            f"{size + 1} rows). Collect more data or use a smaller block.{fix}"
        )
    if min_rows is not None and n < min_rows:
        raise DataError(f"{what} {n} rows but min_rows={min_rows} were required.{fix}")


def value_problem(name: str, col: np.ndarray, index: pd.Index,
                   missing: str = "error", positions: Any = None) -> str | None:
    """Missing, infinite, constant or subnormal values in one numeric column, or None."""
    if np.isfinite(col).all():  # the common case, in two passes over the column
        lo, hi = (col.min(), col.max()) if col.size else (0.0, 0.0)
        if col.size and lo == hi:
            return constant(name, col[0])
        return subnormal(name, max(-lo, hi))
    nan = np.isnan(col)
    if nan.any() and missing == "error":
        return (
            f"item {name} has {int(nan.sum())} missing value(s), in {row_text(index, nan, positions)}; "
            "with missing='error' (the default) satmodel does not handle missing data: "
            "drop or impute them first, or pass missing='casewise', 'mean', 'pairwise' "
            "or 'em' (and na_values= for codes such as -99)."
        )
    if nan.all():
        return f"item {name} has no observed value (every answer is missing); remove it from the spec."
    if (~nan).sum() < 2:
        return f"item {name} has only one observed value; remove it from the spec."
    inf = np.isinf(col)
    if inf.any():
        return (
            f"item {name} has {int(inf.sum())} infinite value(s), in {row_text(index, inf, positions)}; "
            "replace them with valid scale values or drop those rows."
        )
    obs = col[~nan]
    if obs.size and (obs == obs[0]).all():
        return constant(name, obs[0])
    return subnormal(name, float(np.max(np.abs(obs))))


def subnormal(name: str, top: float) -> str | None:
    """Every value below float64's normal range (|x| < 2.2e-308) has lost digits already."""
    if 0.0 < top < np.finfo(np.float64).tiny:
        return (f"item {name} has only values below 2.2e-308 in magnitude (largest {top:.3g}), "
                "where float64 keeps fewer digits; rescale the item (e.g. multiply it by "
                "1e300) before fitting.")
    return None


def constant(name: str, value: float) -> str:
    return (f"item {name} is constant (every value is {float(value)!r}); a "
            "constant item carries no information: remove it from the spec.")
