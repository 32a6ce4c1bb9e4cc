"""How numbers are shown: one set of rules for the text summary, the HTML report and the
Excel workbook.

- **Counts print as integers**: a column named like a count (``df``, ``n``, ``checked``
  ...) or a row whose ``measure``/``criterion`` is one (the ``df`` row of a fit table)
  shows ``309``, never ``309.00``.
- **A value is never rounded onto or across its threshold.** A cell judged against a
  rule of thumb (loading >= 0.708, reliability 0.70-0.95, AVE >= 0.50, HTMT < 0.90,
  VIF < 5, SRMR <= 0.08, CFI/TLI >= 0.95, RMSEA <= 0.06, or the threshold written beside
  the value in an assessment table) gets more decimals where the usual rounding would
  put it on the other side of (or exactly on) a cut point: a loading of 0.70797 is shown
  as 0.70797, not 0.708 or 0.7080. Why this rule and not "flag the rounded value": the
  flag keeps the verdict of ``res.assess()`` and of the literature's cut points (computed
  on the exact value), so the report, the workbook and ``res.assess()`` always agree, and
  the reader sees why a value that looks like the threshold is flagged; only the few
  cells within rounding of a cut point get the extra digits.
- Missing values show as ``-`` (``<NA>`` never prints).

>>> decimals(0.70797, 3, (0.708,)), decimals(0.7084, 3, (0.708,)), decimals(0.712, 3, (0.708,))
(5, 4, 3)
>>> import pandas as pd
>>> fit = pd.DataFrame({"measure": ["srmr", "df"], "value": [0.07999, 309.0]})
>>> summary_frame(fit)["value"].tolist()
['0.07999', '309']
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from ..assess.rules import DEFAULTS

__all__ = ["COUNT_NAMES", "COLUMN_CUTS", "FIT_CUTS", "cut_points", "decimals", "count_cells",
           "is_missing", "plain_cell", "summary_cell", "summary_frame"]

#: names of columns (or of rows, by their measure/criterion) that hold counts (or codes)
COUNT_NAMES = frozenset({"df", "n", "n_obs", "n_valid", "n_requested", "checked", "look_at",
                         "warn", "missing", "coded", "count", "rows", "resamples", "answers",
                         "code"})
#: column -> the cut points of its rule of thumb (Hair et al.; Henseler et al. 2015)
COLUMN_CUTS: dict[str, tuple[float, ...]] = {
    "loading": (DEFAULTS["loading"],),
    "alpha": (DEFAULTS["reliability_min"], DEFAULTS["reliability_max"]),
    "rho_a": (DEFAULTS["reliability_min"], DEFAULTS["reliability_max"]),
    "rho_c": (DEFAULTS["reliability_min"], DEFAULTS["reliability_max"]),
    "ave": (DEFAULTS["ave"],),
    "vif": (DEFAULTS["vif"],),
    "htmt": (DEFAULTS["htmt"],),
}
#: fit measure -> cut point (SRMR: Henseler et al. 2014; the others Hu & Bentler 1999)
FIT_CUTS: dict[str, float] = {"srmr": DEFAULTS["srmr"], "cfi": 0.95, "tli": 0.95,
                              "rmsea": 0.06}
_MAX_DECIMALS = 10
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def is_missing(value: Any) -> bool:
    """None, NaN, NaT or pd.NA (strings never)."""
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _side(x: float, cut: float) -> int:
    tol = 1e-12 * max(1.0, abs(cut))
    return 0 if abs(x - cut) <= tol else (1 if x > cut else -1)


def decimals(value: float, base: int, cuts: tuple[float, ...]) -> int:
    """Decimals to show ``value`` with: ``base``, or more until the rounded value lies on
    the same side of every cut point as the value itself (at most 10)."""
    d = base
    if not math.isfinite(value):
        return d
    while d < _MAX_DECIMALS and any(_side(round(value, d), c) != _side(value, c) for c in cuts):
        d += 1
    return d


def _row_names(df: pd.DataFrame) -> list[str] | None:
    for key in ("measure", "criterion"):
        if key in df.columns:
            return [str(v) for v in df[key].tolist()]
    return None


def cut_points(df: pd.DataFrame, matrix: float | None = None) -> dict[str, list[tuple]]:
    """Column -> one tuple of cut points per row: by column name (:data:`COLUMN_CUTS`),
    by the row's fit measure (:data:`FIT_CUTS`, in every value column), from an
    assessment's ``threshold`` text (for ``value``), and ``matrix`` for every numeric
    cell of a square matrix (HTMT)."""
    n = len(df)
    out: dict[str, list[tuple]] = {str(c): [()] * n for c in df.columns}
    rows = _row_names(df)
    for col in df.columns:
        name = str(col)
        if name in COLUMN_CUTS:
            out[name] = [COLUMN_CUTS[name]] * n
        elif matrix is not None and pd.api.types.is_numeric_dtype(df[col]):
            out[name] = [(matrix,)] * n
        elif rows is not None and pd.api.types.is_numeric_dtype(df[col]):
            out[name] = [(FIT_CUTS[r],) if r in FIT_CUTS else () for r in rows]
    if "threshold" in df.columns and "value" in df.columns:
        out["value"] = [tuple(float(x) for x in _NUMBER.findall(str(t))) if
                        not is_missing(t) else () for t in df["threshold"].tolist()]
    return out


def count_cells(df: pd.DataFrame) -> dict[str, list[bool]]:
    """Column -> per row: does the cell hold a count (shown as an integer when whole)?"""
    rows = _row_names(df)
    out = {}
    for col in df.columns:
        name = str(col)
        if name in COUNT_NAMES or pd.api.types.is_integer_dtype(df[col]):
            out[name] = [True] * len(df)
        elif rows is not None:
            out[name] = [r in COUNT_NAMES for r in rows]
        else:
            out[name] = [False] * len(df)
    return out


def plain_cell(value: Any, missing: str = "-", infinity: tuple[str, str] = ("inf", "-inf")
               ) -> str | None:
    """The text of a cell every format writes alike (missing, yes/no, an integer, ±inf);
    None for a finite float or other value, which each format rounds its own way.

    >>> plain_cell(None), plain_cell(np.bool_(True)), plain_cell(3), plain_cell(0.5)
    ('-', 'yes', '3', None)
    """
    if is_missing(value):
        return missing
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and math.isinf(value):
        return infinity[0] if value > 0 else infinity[1]
    return None


def summary_cell(value: Any, cuts: tuple = (), count: bool = False) -> str:
    """A cell of the text summary: 4 decimals (4 significant digits from 1e5), counts as
    integers, more decimals near a cut point, ``-`` when missing."""
    plain = plain_cell(value)
    if plain is not None:
        return plain
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if (count and v.is_integer()) or (v.is_integer() and abs(v) >= 1e5):
            return str(int(v))
        if abs(v) >= 1e5:
            return f"{v:.4g}"
        return f"{v:.{decimals(v, 4, cuts)}f}"
    return str(value)


def summary_frame(df: pd.DataFrame, matrix: float | None = None) -> pd.DataFrame:
    """Every cell of ``df`` as summary text (same shape, string columns)."""
    cuts, counts = cut_points(df, matrix), count_cells(df)
    out = pd.DataFrame({str(c): [summary_cell(v, k, n) for v, k, n in zip(
        df[c].tolist(), cuts[str(c)], counts[str(c)])] for c in df.columns}, index=df.index)
    return out
