"""Index scores by group and their roll-up (docs/methods.md §6.5): segment and company
indices with standard errors, weighted up to industry, sector and national level.

>>> import pandas as pd
>>> t = pd.DataFrame({"industry": ["x", "x"], "index": [70.0, 80.0], "se": [1.0, 2.0],
...                   "n": [100, 300]})
>>> rollup(t, "industry", "n")[["industry", "index"]].values.tolist()
[['x', 77.5]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import OptionError

__all__ = ["group_index", "rollup"]


def _weighted_se(y: np.ndarray, w: np.ndarray) -> float:
    """Linearization SE of a weighted mean (with the m/(m - 1) small-sample factor)."""
    m = y.shape[0]
    if m < 2:
        return float("nan")
    a = w / w.sum()
    ybar = float(a @ y)
    return float(np.sqrt(np.sum(a**2 * (y - ybar) ** 2) * m / (m - 1)))


def group_index(scores: pd.DataFrame, groups: Any, weights: Any = None) -> pd.DataFrame:
    """Index per group (segment, company, wave) from 0-100 respondent scores.

    Parameters
    ----------
    scores : DataFrame
        Respondents x constructs on 0-100 (``res.index(per_respondent=True)``).
    groups : array_like or Series
        Group label of each respondent (a Series is aligned on ``scores.index``).
    weights : array_like, optional
        Respondent (sampling) weights; default equal.

    Returns
    -------
    DataFrame
        Columns group, construct, index (weighted mean score), se (linearization
        standard error of the weighted mean), n (respondents), weight (weight sum);
        groups in order of first appearance.

    Examples
    --------
    >>> s = pd.DataFrame({"SAT": [80.0, 60.0, 50.0, 70.0]})
    >>> group_index(s, ["a", "a", "b", "b"]).loc[:, ["group", "index", "n"]]
      group  index  n
    0     a   70.0  2
    1     b   60.0  2
    """
    if isinstance(groups, pd.Series):
        g = groups.reindex(scores.index)
        if g.isna().any():
            raise OptionError("groups has no label for some respondents of the fit "
                              f"(e.g. row {g.index[g.isna()][0]!r}); give every respondent a group")
        g = g.to_numpy()
    else:
        g = np.asarray(groups)
        if g.shape != (len(scores),):
            raise OptionError(f"groups has {g.size} labels for {len(scores)} respondents; give one "
                              "label per respondent of the fit (or a Series aligned on its rows)")
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)
    rows = []
    for label in pd.unique(g):
        sel = g == label
        for con in scores.columns:
            y = scores.loc[sel, con].to_numpy(dtype=float)
            if np.isnan(y).any():
                continue
            ws = w[sel]
            rows.append((label, con, float(ws @ y / ws.sum()), _weighted_se(y, ws),
                         int(sel.sum()), float(ws.sum())))
    return pd.DataFrame(rows, columns=["group", "construct", "index", "se", "n", "weight"])


def rollup(table: pd.DataFrame, by: str | Sequence[str], weight: str, *,
           value: str = "index", se: str | None = "se") -> pd.DataFrame:
    """Roll company (or industry) indices up to industry (or sector, nation).

    ACSI (docs/methods.md §6.5): industry = revenue-weighted mean of its companies' scores,
    sector = industry-revenue-weighted mean of industries, national = GDP-share-weighted
    mean of sectors. Call once per level. Standard errors combine as
    √(Σ a_i² se_i²) with a_i the normalized weights (company samples independent).

    Parameters
    ----------
    table : DataFrame
        One row per unit, with the ``value`` column, the ``weight`` column (e.g.
        revenue) and the grouping column(s) ``by``; optionally the ``se`` column.
    by, weight, value, se : str
        Column names; ``se=None`` when there are no standard errors.

    Examples
    --------
    >>> companies = pd.DataFrame({"industry": ["banks", "banks", "telecom"],
    ...                           "index": [80.0, 70.0, 65.0], "se": [1.0, 2.0, 1.5],
    ...                           "revenue": [3.0, 1.0, 5.0]})
    >>> rollup(companies, "industry", "revenue").round(4)
      industry  index      se  weight
    0    banks   77.5  0.9014     4.0
    1  telecom   65.0  1.5000     5.0
    """
    keys = [by] if isinstance(by, str) else list(by)
    for col in keys + [weight, value] + ([se] if se else []):
        if col not in table.columns:
            raise OptionError(f"rollup: column {col!r} is not in the table "
                              f"(columns: {', '.join(map(str, table.columns))})")
    if (table[weight] < 0).any() or table[weight].isna().any():
        raise OptionError(f"rollup: weight column {weight!r} needs non-negative numbers")
    out = []
    for key, part in table.groupby(keys, sort=False):
        a = part[weight].to_numpy(dtype=float)
        if a.sum() <= 0:
            raise OptionError(f"rollup: the weights of group {key!r} sum to 0")
        a = a / a.sum()
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row[value] = float(a @ part[value].to_numpy(dtype=float))
        if se:
            row[se] = float(np.sqrt(np.sum(a**2 * part[se].to_numpy(dtype=float) ** 2)))
        row["weight"] = float(part[weight].sum())
        out.append(row)
    return pd.DataFrame(out)


