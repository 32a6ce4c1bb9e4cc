"""Index change between waves and league tables of units, from a tidy index table with
bootstrap standard errors (``GroupedPLSResult.index()``; docs/methods.md §4.4, §6.5).

Change between two waves (or any two values of a key column) of the same unit, from
**independent samples** (a unit's respondents in wave a and in wave b are different
people, each wave bootstrapped on its own): Δ = I_b − I_a, SE = √(SE_a² + SE_b²),
z = Δ / SE, two-sided p = 2 Φ(−|z|), CI = Δ ± z_{1−α/2} SE (normal approximation; a
panel with the same respondents in both waves would need the covariance, not given here).

League table: units ranked by index (1 = highest) with intervals, and each unit against
the unweighted mean of the units compared: d = I_g − Ī with, for independent units,
Var(d) = (1 − 2/G) SE_g² + Σ_h SE_h² / G²; "above"/"below" when |d / SE(d)| > z_{1−α/2}.
Rank intervals come from the bootstrap draws: in resample b every unit is ranked on its
b-th draw (the units' draws are independent), and the interval is the (α/2, 1 − α/2)
range of those ranks.

>>> import pandas as pd
>>> t = pd.DataFrame({"company": ["A", "A"], "wave": [1, 2], "construct": ["SAT"] * 2,
...                   "index": [70.0, 73.0], "se": [1.2, 1.6]})
>>> out = index_change(t, "wave", 1, 2, keys=["company", "wave"])
>>> out[["company", "index_1", "index_2", "change", "se"]].round(3).values.tolist()
[['A', 70.0, 73.0, 3.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate as valid
from ..diagnostics import report
from ..errors import OptionError, suggest

__all__ = ["index_change", "league_table"]


def _level(verb: str, level: float) -> float:
    return valid.number(verb, "level", level, 0.0, 1.0)


def index_change(table: pd.DataFrame, key: str, a: Any, b: Any, *, keys: Sequence[str],
                 level: float = 0.95, value: str = "index", se: str = "se") -> pd.DataFrame:
    """Change of the index from ``key == a`` to ``key == b`` for every unit and construct.

    Parameters
    ----------
    table : DataFrame
        Tidy index table: the ``keys`` columns, ``construct``, ``value`` and ``se``.
    key : str
        The column the two samples differ in (e.g. ``"wave"``); one of ``keys``.
    a, b : values of ``key``
        From ``a`` to ``b``.
    level : float
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        The other key columns, construct, ``index_<a>``, ``index_<b>``, change (b − a),
        se, z, p, ci_lower, ci_upper. Units observed in only one of the two are left
        out (and reported).
    """
    level = _level("index_change", level)
    keys = list(keys)
    if key not in keys:
        raise OptionError(f"index_change: key {key!r} is not a group column.{suggest(key, keys)} "
                          f"Group columns: {keys}")
    for col in [value, se, "construct"]:
        if col not in table.columns:
            raise OptionError(f"index_change needs a {col!r} column (bootstrap first for se)")
    for v in (a, b):
        if not (table[key] == v).any():
            raise OptionError(f"index_change: no group has {key}={v!r}; values: "
                              f"{sorted(pd.unique(table[key]).tolist(), key=str)[:10]}")
    others = [c for c in keys if c != key] + ["construct"]
    cols = others + [value, se]
    left = table.loc[table[key] == a, cols]
    right = table.loc[table[key] == b, cols]
    merged = left.merge(right, on=others, how="outer", suffixes=("_a", "_b"), indicator=True)
    alone = merged[merged["_merge"] != "both"]
    if len(alone):
        units = sorted({str(tuple(r)) for r in alone[others[:-1]].itertuples(index=False)})
        report("index_change_unmatched", f"index_change: {len(units)} unit(s) have no index in "
               f"both {key}={a!r} and {key}={b!r} and are left out: {units[:5]}",
               names=units, count=len(units))
    m = merged[merged["_merge"] == "both"].reset_index(drop=True)
    ia, ib = (m[f"{value}_{s}"].to_numpy(dtype=float, na_value=np.nan) for s in "ab")
    sa, sb = (m[f"{se}_{s}"].to_numpy(dtype=float, na_value=np.nan) for s in "ab")
    change = ib - ia
    s = np.sqrt(sa**2 + sb**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = change / s
    zq = stats.norm.ppf(0.5 + level / 2)
    out = m[others].copy()
    out[f"{value}_{a}"], out[f"{value}_{b}"] = ia, ib
    out["change"], out["se"], out["z"] = change, s, z
    out["p"] = 2 * stats.norm.sf(np.abs(z))
    out["ci_lower"], out["ci_upper"] = change - zq * s, change + zq * s
    num = out.columns[len(others):]
    if out[num].isna().any().any():
        out = out.astype({c: "Float64" for c in num})
    out.attrs.update({"key": key, "from": a, "to": b, "level": level})
    return out


def _rank_draws(draws: list[np.ndarray]) -> np.ndarray | None:
    """Ranks (1 = highest) of the units in each resample, (m, G): the first m draws of
    each unit (m = the fewest any unit kept), resamples with a missing index left out."""
    if any(d is None for d in draws) or not draws:
        return None
    m = min(len(d) for d in draws)
    D = np.stack([np.asarray(d, dtype=float)[:m] for d in draws], axis=1)
    D = D[np.isfinite(D).all(axis=1)]  # a resample without an index for some unit
    if not len(D):
        return None
    m = len(D)
    order = np.argsort(-D, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(m)[:, None]
    ranks[rows, order] = np.arange(1, D.shape[1] + 1)[None, :]
    return ranks


def league_table(table: pd.DataFrame, construct: str, *, keys: Sequence[str],
                 level: float = 0.95, within: Any = None,
                 draws: Mapping[tuple, np.ndarray] | None = None) -> pd.DataFrame:
    """Units ranked by their index of ``construct`` (see the module docstring).

    Parameters
    ----------
    table : DataFrame
        Tidy index table (``keys``, construct, index, se).
    construct : str
    keys : list of str
        The group columns of ``table``.
    within : str or list of str, optional
        Key columns to rank within (e.g. ``"wave"``: one league per wave).
    draws : dict, optional
        Bootstrap draws of the index per unit, keyed by the tuple of its ``keys``
        values: percentile intervals and rank intervals come from them (else normal
        intervals and no rank interval).

    Returns
    -------
    DataFrame
        keys, rank, index, se, ci_lower, ci_upper, rank_lower, rank_upper, diff_mean,
        p_mean, vs_mean ("above", "below" or "not different"), sorted by rank.
    """
    level = _level("league_table", level)
    keys = list(keys)
    names = sorted(pd.unique(table["construct"]).tolist(), key=str)
    if construct not in names:
        raise OptionError(f"league_table: no index for construct {construct!r}."
                          f"{suggest(construct, names)}")
    part_cols = [] if within is None else ([within] if isinstance(within, str) else list(within))
    for c in part_cols:
        if c not in keys:
            raise OptionError(f"league_table: within={c!r} is not a group column {keys}")
    rows = table[table["construct"] == construct].dropna(subset=["index"]).reset_index(drop=True)
    if "se" not in rows.columns:
        raise OptionError("league_table needs standard errors: bootstrap first")
    alpha = 1.0 - level
    zq = stats.norm.ppf(1 - alpha / 2)
    pieces = []
    for _, part in (rows.groupby(part_cols, sort=True) if part_cols else [(None, rows)]):
        part = part.reset_index(drop=True)
        I = part["index"].to_numpy(dtype=float)
        se = part["se"].to_numpy(dtype=float, na_value=np.nan)
        G = len(part)
        unit = [tuple(r) for r in part[keys].itertuples(index=False)]
        d = I - I.mean()
        se_d = np.sqrt(np.maximum((1 - 2 / G) * se**2 + np.sum(se**2) / G**2, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = d / se_d
        p = 2 * stats.norm.sf(np.abs(z))
        out = part[keys].copy()
        out["rank"] = pd.Series(-I).rank(method="min").astype(int).to_numpy()
        out["index"], out["se"] = I, se
        unit_draws = None if draws is None else [draws.get(u) for u in unit]
        if unit_draws is not None and all(x is not None for x in unit_draws):
            out["ci_lower"] = [np.quantile(x, alpha / 2) for x in unit_draws]
            out["ci_upper"] = [np.quantile(x, 1 - alpha / 2) for x in unit_draws]
        else:
            out["ci_lower"], out["ci_upper"] = I - zq * se, I + zq * se
        ranks = None if unit_draws is None else _rank_draws(unit_draws)
        out["rank_lower"] = np.nan if ranks is None else \
            np.quantile(ranks, alpha / 2, axis=0, method="lower")
        out["rank_upper"] = np.nan if ranks is None else \
            np.quantile(ranks, 1 - alpha / 2, axis=0, method="higher")
        out["diff_mean"], out["p_mean"] = d, p
        out["vs_mean"] = np.where(np.abs(z) > zq, np.where(d > 0, "above", "below"),
                                  "not different")
        pieces.append(out.sort_values(["rank"] + keys, kind="stable"))
    out = pd.concat(pieces, ignore_index=True)
    out.attrs.update({"construct": construct, "level": level})
    return out
