"""The 0-100 satisfaction index (METHODS.md 6.1, 6.3, 6.5): formula, impacts, roll-up.

For construct j with items i, standardized outer weights w_i, item SDs s_i, item means
x̄_i and theoretical scale end points [min_i, max_i]::

    u_i   = w_i / s_i                                   (unstandardized weight)
    index = 100 · Σ u_i (x̄_i − min_i) / Σ u_i (max_i − min_i)

The same number is the weighted mean of the items rescaled to 0-100,
100 (x̄_i − min_i)/(max_i − min_i), with the *rescaled-metric* weights
u_i (max_i − min_i) / Σ u_k (max_k − min_k); on mixed scales these differ from the
*raw-metric* normalized weights u_i / Σ u_k (:func:`index_weights` gives both).
Per respondent the score is the same formula on the respondent's answers; with
complete data the index is the (weighted) mean of the respondent scores.

The functions here take arrays (batched over leading axes where stated) and know no
results; :class:`~satmodel.results.PLSResult` calls them through ``res.index()``,
``res.impacts()`` and ``res.ipma()``.

Examples
--------
The worked example of METHODS.md 6.1 (1-10 scale):

>>> round(csi_index([0.40, 0.35, 0.45], [1.5, 2.0, 1.8], [8.0, 7.2, 7.5], 1, 10), 10)
73.5207496653
>>> [round(float(v), 10) for v in index_weights([0.40, 0.35, 0.45], [1.5, 2.0, 1.8], 1, 10)]
[0.3855421687, 0.2530120482, 0.3614457831]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import OptionError

__all__ = ["csi_index", "index_weights", "block_index", "respondent_index", "score_sd",
           "impact", "group_index", "rollup"]


def _arrays(*values: Any) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def index_weights(weights: Any, std: Any, scale_min: Any, scale_max: Any,
                  route: str = "raw") -> np.ndarray:
    """Normalized unstandardized weights of one block (they sum to 1).

    Parameters
    ----------
    weights, std : array_like
        Standardized outer weights and item SDs.
    scale_min, scale_max : float or array_like
        Theoretical scale end points per item.
    route : {"raw", "rescaled"}
        ``"raw"``: u_i / Σu (weights of the items in their own metric, ACSI's
        "unstandardized weights"); ``"rescaled"``: u_i (max_i − min_i) / Σ u (max − min),
        the weights of the items rescaled to 0-100 (SmartPLS IPMA).

    Examples
    --------
    Mixed scales of METHODS.md 6.1:

    >>> w = index_weights([0.40, 0.35, 0.45], [1.5, 0.9, 2.1], [1, 1, 0], [10, 5, 10], "rescaled")
    >>> [round(float(v), 7) for v in w]
    [0.393545, 0.2550755, 0.3513795]
    """
    w, s, lo, hi = _arrays(weights, std, scale_min, scale_max)
    u = w / s
    if route == "rescaled":
        u = u * (hi - lo)
    elif route != "raw":
        raise OptionError(f"route={route!r}: choose 'raw' or 'rescaled'")
    return u / u.sum(axis=-1, keepdims=True)


def csi_index(weights: Any, std: Any, mean: Any, scale_min: Any, scale_max: Any) -> float:
    """Index (0-100) of one construct from standardized weights, item SDs and means.

    >>> round(csi_index([0.40, 0.35, 0.45], [1.5, 0.9, 2.1], [8.0, 3.9, 7.1],
    ...                 [1, 1, 0], [10, 5, 10]), 10)
    74.0499739719
    """
    w, s, m, lo, hi = _arrays(weights, std, mean, scale_min, scale_max)
    u = w / s
    return float(100.0 * np.sum(u * (m - lo)) / np.sum(u * (hi - lo)))


def block_index(u: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                membership: np.ndarray) -> np.ndarray:
    """Index of every block at once, batched: u, mean (..., p); lo, hi (p,) -> (..., J).

    ``u`` are unstandardized weights (w / sd), ``membership`` the (p, J) block matrix.
    """
    M = np.asarray(membership, dtype=float)
    return 100.0 * ((u * (mean - lo)) @ M) / ((u * (hi - lo)) @ M)


def score_sd(u: np.ndarray, hi: np.ndarray, lo: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """SD of each block's 0-100 respondent score, (..., J).

    A proxy Σ w_i z_i has unit variance, so Σ u_i x_i has SD 1 and the 0-100 score
    100 Σ u_i (x_i − min_i) / Σ u_i (max_i − min_i) has SD 100 / Σ u_i (max_i − min_i).
    """
    M = np.asarray(membership, dtype=float)
    return 100.0 / ((u * (hi - lo)) @ M)


def respondent_index(X: np.ndarray, u: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                     membership: np.ndarray) -> np.ndarray:
    """0-100 score of every respondent (rows of ``X``, no NaN) on every block, (n, J).

    >>> M = np.ones((2, 1), dtype=bool)
    >>> respondent_index(np.array([[10.0, 10.0], [1.0, 1.0]]), np.array([1.0, 2.0]),
    ...                  np.array([1.0, 1.0]), np.array([10.0, 10.0]), M).ravel().tolist()
    [100.0, 0.0]
    """
    M = np.asarray(membership, dtype=float)
    return 100.0 * ((np.asarray(X) - lo) * u) @ M / ((u * (hi - lo)) @ M)


def impact(total: Any, sd_target: Any, sd_driver: Any, per_points: float = 1.0) -> np.ndarray:
    """ACSI impact: index points of the target per ``per_points`` points of the driver.

    impact = standardized total effect · sd(target score) / sd(driver score), both on
    0-100 (the unstandardized total effect, IPMA's importance), times ``per_points``.

    >>> impact([0.60, 0.40, 0.25], 15.0, [18.0, 16.0, 20.0]).tolist()
    [0.5, 0.375, 0.1875]
    >>> float(impact(0.60, 15.0, 18.0, per_points=5))
    2.5
    """
    t, st, sd = _arrays(total, sd_target, sd_driver)
    return t * st / sd * float(per_points)


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

    ACSI (METHODS.md 6.5): industry = revenue-weighted mean of its companies' scores,
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


# ------------------------------------------------------------------ bootstrap table

def _declared_scales(spec) -> tuple[np.ndarray, np.ndarray]:
    """Scale end points per indicator from the spec (NaN where none is declared)."""
    lo = [np.nan if i.scale_min is None else i.scale_min for c in spec.constructs for i in c.indicators]
    hi = [np.nan if i.scale_max is None else i.scale_max for c in spec.constructs for i in c.indicators]
    return np.array(lo, dtype=float), np.array(hi, dtype=float)


def _index_values(ctx) -> np.ndarray:
    """Index of every construct, batched; NaN (not defined) where an item has no declared
    scale or the block has a negative weight (METHODS.md 6.2)."""
    lo, hi = _declared_scales(ctx.spec)
    M = ctx.layout.membership.astype(float)
    u = ctx.est.weights / ctx.std
    with np.errstate(invalid="ignore", divide="ignore"):
        values = block_index(u, ctx.mean, np.nan_to_num(lo), np.nan_to_num(hi), M)
    negative = ((u < 0) @ M) > 0
    undeclared = (np.isnan(lo) @ M) > 0
    return np.where(negative | undeclared, np.nan, values)


def _register() -> None:
    from .tables import TABLES, TableDef, construct_keys

    TABLES["index"] = TableDef(construct_keys, {"index": _index_values}, nullable=("index",))


_register()
