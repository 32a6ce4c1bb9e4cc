"""Roll unit indices up a hierarchy (company -> industry -> sector -> nation) with
propagated standard errors (docs/methods.md §6.5, ACSI "Building the Cross-Industry Index").

At each level the index is the weighted mean of the indices one level down,
I_L = Σ a_i I_i with a_i = w_i / Σ w_i, and, the units' samples being independent,
SE_L = √(Σ a_i² SE_i²) (:func:`satmodel.index.rollup` per level). A unit's weight
(e.g. company revenue) comes from ``weights``; a higher unit's weight is the sum of its
members' weights (industry revenue) unless ``level_weights`` gives it (GDP shares of
sectors). Every unit belongs to exactly one unit of the next level, so the higher-level
indices are independent again and the formula applies level by level.

>>> import pandas as pd
>>> t = pd.DataFrame({"company": ["A", "B", "C"], "construct": "SAT",
...                   "index": [80.0, 70.0, 65.0], "se": [1.0, 2.0, 1.5]})
>>> w = pd.DataFrame({"company": ["A", "B", "C"], "industry": ["bank", "bank", "tel"],
...                   "revenue": [3.0, 1.0, 5.0]})
>>> roll_up(t, w, ["industry"], ci=None)[["unit", "index", "se", "weight"]].round(4).values.tolist()
[['bank', 77.5, 0.9014, 4.0], ['tel', 65.0, 1.5, 5.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from scipy import stats

from .. import _validate as valid
from ..diagnostics import report
from ..errors import IndexWarning, OptionError
from .aggregate import rollup

__all__ = ["STATISTICS", "roll_up"]

#: columns of an index table that are statistics, not keys to roll up within
STATISTICS = ("index", "se", "t", "p", "z", "ci_lower", "ci_upper", "n", "weight", "units")


def _weights_frame(weights: Any, table: pd.DataFrame, levels: list[str],
                   weight: str | None) -> tuple[pd.DataFrame, list[str], str]:
    """The unit weights as a frame: unit key columns, level columns, one weight column."""
    if isinstance(weights, pd.Series):
        name = weights.index.name
        if name is None or name not in table.columns:
            raise OptionError("roll_up: a weights Series needs an index named after the unit "
                              f"column of the table (one of {list(table.columns)})")
        frame = weights.rename(weight or "weight").reset_index()
    elif isinstance(weights, pd.DataFrame):
        frame = weights.copy()
    else:
        raise OptionError("roll_up: weights= must be a DataFrame (unit keys, level columns, a "
                          "weight column) or a Series indexed by unit, got "
                          f"{type(weights).__name__}")
    units = [c for c in frame.columns if c in table.columns and c not in STATISTICS
             and c not in levels]
    if not units:
        raise OptionError("roll_up: weights= shares no unit column with the table "
                          f"(table columns {list(table.columns)})")
    if weight is None:
        rest = [c for c in frame.columns if c not in units and c not in levels
                and pd.api.types.is_numeric_dtype(frame[c])]
        if len(rest) != 1:
            raise OptionError(f"roll_up: say which column of weights= holds the weights "
                              f"(weight=...); candidates {rest}")
        weight = rest[0]
    if weight not in frame.columns:
        raise OptionError(f"roll_up: weight column {weight!r} is not in weights=")
    if frame.duplicated(units).any():
        raise OptionError(f"roll_up: weights= lists a unit twice (unit columns {units})")
    return frame, units, weight


def roll_up(table: pd.DataFrame, weights: Any, levels: Sequence[str], *,
            weight: str | None = None, level_weights: Mapping[str, Any] | None = None,
            value: str = "index", se: str = "se", ci: float | None = 0.95) -> pd.DataFrame:
    """Indices of higher levels with standard errors (see the module docstring).

    Parameters
    ----------
    table : DataFrame
        One row per unit (and wave, construct, ...): unit key column(s), ``value`` and
        ``se`` (e.g. ``GroupedPLSResult.index()``). Columns that are neither unit keys,
        levels nor statistics (wave, construct) are rolled up separately.
    weights : DataFrame or Series
        Per unit: its key column(s), the ``levels`` columns not already in ``table``
        and the weight (e.g. revenue); or a Series of weights indexed by unit.
    levels : list of str
        Level columns, lowest first, e.g. ``["industry", "sector"]``.
    weight : str, optional
        The weight column of ``weights`` (default: its only other numeric column).
    level_weights : dict level -> Series, optional
        Weights of a level's units when rolled into the next level (e.g. sector GDP
        shares), indexed by the level's labels; default: sums of the members' weights.
    ci : float or None
        Add a normal interval index ± z SE at this level.

    Returns
    -------
    DataFrame
        level, unit, the other key columns, index, se, (ci_lower, ci_upper), weight
        (the weight the unit carries into the next level: its members' sum, or
        ``level_weights``), units (members rolled up); levels in the order given.
    """
    levels = [levels] if isinstance(levels, str) else list(levels)
    if not levels:
        raise OptionError("roll_up: give at least one level, e.g. levels=['industry']")
    frame, units, weight = _weights_frame(weights, table, levels, weight)
    for col in (value, se):
        if col not in table.columns:
            raise OptionError(f"roll_up: the table has no {col!r} column")
    data = table.merge(frame, on=units, how="left", validate="many_to_one")
    missing = data[weight].isna()
    if missing.any():
        bad = sorted({str(v) for v in data.loc[missing, units[0]]})
        raise OptionError(f"roll_up: no weight for unit(s) {bad[:5]}; give every unit a weight")
    for lv in levels:
        if lv not in data.columns:
            raise OptionError(f"roll_up: level {lv!r} is neither a column of the table nor of "
                              "weights=")
    within = [c for c in table.columns if c not in units + levels + [value, se]
              and c not in STATISTICS and c not in frame.columns]
    empty = data[value].isna()
    if empty.any():
        bad = sorted({str(v) for v in data.loc[empty, units[0]]})
        report("rollup_no_index", f"roll_up: {len(bad)} unit(s) have no index and are left out "
               f"(the weights of the others are renormalized): {bad[:5]}", IndexWarning,
               names=bad, count=len(bad))
        data = data[~empty]
    data = data.assign(**{value: data[value].astype(float), se: data[se].astype(float)})
    out, current = [], data.rename(columns={weight: "_w"})
    for k, lv in enumerate(levels):
        higher = levels[k + 1:]
        _check_nested(current, lv, higher)
        part = rollup(current, [lv] + within, "_w", value=value, se=se)
        counts = current.groupby([lv] + within, sort=False).size().to_numpy()
        part["units"] = counts
        if higher:
            parents = current.drop_duplicates(lv).set_index(lv)[higher]
            part = part.join(parents, on=lv)
        part = part.rename(columns={"weight": "_w"})
        if level_weights and lv in level_weights:
            given = pd.Series(level_weights[lv])
            if part[lv].map(given).isna().any():
                raise OptionError(f"roll_up: level_weights[{lv!r}] gives no weight to "
                                  f"{sorted(set(part[lv]) - set(given.index))[:5]}")
            part["_w"] = part[lv].map(given).astype(float)
        out.append(part.assign(level=lv, unit=part[lv]))
        current = part
    res = pd.concat(out, ignore_index=True)
    res["weight"] = res.pop("_w")
    cols = ["level", "unit", *within, value, se]
    if ci is not None:
        ci = valid.number("roll_up", "ci", ci, 0.0, 1.0)
        z = stats.norm.ppf(0.5 + ci / 2)
        res["ci_lower"], res["ci_upper"] = res[value] - z * res[se], res[value] + z * res[se]
        cols += ["ci_lower", "ci_upper"]
    return res[cols + ["weight", "units"]].reset_index(drop=True)


def _check_nested(data: pd.DataFrame, level: str, higher: list[str]) -> None:
    """Each unit of ``level`` belongs to one unit of every higher level."""
    for h in higher:
        spread = data.groupby(level)[h].nunique()
        if (spread > 1).any():
            lab = spread[spread > 1].index[0]
            raise OptionError(f"roll_up: {level} {lab!r} belongs to several {h} values; levels "
                              "must nest (each unit in one unit of the next level)")
