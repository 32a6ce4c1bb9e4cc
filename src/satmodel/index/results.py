"""Index (0-100), impacts and IPMA of a fitted model (``res.index()``, ``res.impacts()``,
``res.ipma()``, ``res.index_weights()``); formulas in :mod:`satmodel.tables.index`
(docs/methods.md §6.1-6.5).

The functions take a fitted result through a small protocol: ``spec``, ``layout``,
``estimate``, ``indicator_mean``/``indicator_std``/``indicator_corr``, ``refit`` and
``survey_rows(verb)``.

Satisfaction-index methods: ``index()``, ``index_weights()``, ``impacts()``, ``ipma()``.

Shared keyword arguments:

fit_metric : {"standardized", "raw"}
    Weight convention (docs/methods.md §6.1). ``"standardized"`` (default; ACSI's
    unstandardized weights, SmartPLS IPMA): the fit's standardized weights divided
    by the item SDs. ``"raw"``: the model refitted on the centred raw items
    (covariance-driven Mode A, LVPLS / plspm ``scaled = FALSE`` + ``rescale()``),
    whose weights are already in the item metric; PLS-PM, no PLSc correction.
scale : (min, max) or dict item -> (min, max), optional
    Theoretical scale end points for items whose ``Indicator`` declares none (a
    pair), or per item (a dict, overriding the spec). Never the observed extremes.
allow_negative : bool
    A construct with a negative unstandardized weight gets no index (``<NA>``) and
    an ``IndexWarning``, as ADANCO leaves it empty; ``True`` computes it anyway.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi_mobile(), sm.datasets.load("ecsi_mobi"))
>>> round(float(res.index()["Satisfaction"]), 1)
72.5
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import report
from ..errors import IndexWarning, OptionError, SatModelError, suggest
from ..moments.core import Moments
from ..moments.treatment import complete_rows
from ..tables import effect_pairs
from ..tables import index as _index
from .aggregate import group_index
from .ipma import IPMA, classify

__all__ = ["index", "index_weights", "impacts", "ipma", "missing_report"]

METRICS = ("standardized", "raw")




def _scales(res, scale: Any) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = [], []
    per_item = scale if isinstance(scale, dict) else {}
    if per_item:
        unknown = [k for k in per_item if k not in res.spec.indicator_names]
        if unknown:
            raise OptionError(f"scale= names {unknown[0]!r}, not an indicator."
                              f"{suggest(unknown[0], res.spec.indicator_names)}")
    default = None if isinstance(scale, dict) or scale is None else tuple(scale)
    for con in res.spec.constructs:
        for ind in con.indicators:
            pair = per_item.get(ind.name)
            if pair is None and ind.scale_min is not None:
                pair = (ind.scale_min, ind.scale_max)
            pair = pair if pair is not None else default
            if pair is None:
                pair = (np.nan, np.nan)
            elif not float(pair[0]) < float(pair[1]):
                raise OptionError(f"scale for item {ind.name!r} is {pair}: min must be below max")
            lo.append(float(pair[0]))
            hi.append(float(pair[1]))
    lo, hi = np.array(lo), np.array(hi)
    _check_within(res, lo, hi)
    return lo, hi


def _check_within(res, lo: np.ndarray, hi: np.ndarray) -> None:
    """Refuse a scale the data leave: observed answers (or, without rows, the item mean)
    outside [min, max] would put the index outside 0-100."""
    survey = getattr(res, "survey", None)
    if survey is not None:
        with np.errstate(invalid="ignore"):
            low, high = np.nanmin(survey.X, axis=0), np.nanmax(survey.X, axis=0)
    else:
        low = high = res.indicator_mean
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero((low < lo - 1e-9) | (high > hi + 1e-9))
    if bad.size:
        k = bad[0]
        raise OptionError(
            f"invalid index option scale: item {res.spec.indicator_names[k]!r} has answers from "
            f"{low[k]:g} to {high[k]:g}, outside its scale {lo[k]:g}-{hi[k]:g}; give the item's "
            "real answer scale (declared codes belong in na_values=)")


def _metric(res, fit_metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Unstandardized weights u (p,) and total effects (J, J) under a convention."""
    if fit_metric == "standardized":
        return res.estimate.weights / res.indicator_std, res.estimate.total
    valid.choice("index", "fit_metric", fit_metric, METRICS)
    cov = res.indicator_corr * np.outer(res.indicator_std, res.indicator_std)
    est = res.refit.with_options(consistent=False, scaled=True).estimate(cov)
    return est.weights, est.total


def _check(verb: str, res, fit_metric: Any, scale: Any, *, target: Any = None,
           **flags: Any) -> None:
    """Validate the options the index verbs share, once, before any work."""
    valid.choice(verb, "fit_metric", fit_metric, METRICS)
    for name, value in flags.items():
        valid.flag(verb, name, value)
    if target is not None:
        valid.member(verb, "target", target, res.constructs, "construct")
    pairs = [] if scale is None else list(scale.values()) if isinstance(scale, dict) else [scale]
    for pair in pairs:
        ok = isinstance(pair, (tuple, list, np.ndarray)) and len(pair) == 2 and all(
            isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
            and np.isfinite(x) for x in pair)
        if not ok:
            raise valid.bad(verb, "scale", scale, "a pair (min, max) of finite numbers, or a "
                            "dict item -> (min, max)")


def _usable(res, u, lo, hi, allow_negative: bool, warn: bool = True) -> np.ndarray:
    """Per construct: True when an index can be computed; warn about the others."""
    M = res.layout.membership
    ok = np.ones(M.shape[1], dtype=bool)
    problems = []
    for j, con in enumerate(res.spec.constructs):
        idx = np.flatnonzero(M[:, j])
        noscale = [res.indicators[k] for k in idx if np.isnan(lo[k])]
        neg = [res.indicators[k] for k in idx if u[k] < 0]
        if noscale:
            ok[j] = False
            problems.append(f"{con.name}: items {noscale} have no declared scale (pass scale=)")
        elif neg and not allow_negative:
            ok[j] = False
            problems.append(f"{con.name}: negative weight on {neg} (an index could leave 0-100; "
                            "check reverse-coded items or Mode B collinearity, or pass "
                            "allow_negative=True)")
    if problems and warn:
        report("no_index", "no index for " + "; ".join(problems), IndexWarning,
               names=[c.name for j, c in enumerate(res.spec.constructs) if not ok[j]])
    return ok


def _filled_rows(res, verb: str) -> tuple[np.ndarray, Any]:
    survey = res.survey_rows(verb)
    mom = Moments(n=res.n_obs, mean=res.indicator_mean, std=res.indicator_std,
                  corr=res.indicator_corr)
    return complete_rows(survey, mom), survey


def missing_report(res) -> pd.DataFrame:
    """Missing answers per item: construct, indicator, missing, share, coded, action.

    ``missing`` counts NaN cells and declared ``na_values`` codes (``coded`` the
    latter), ``share`` is over the input rows. ``.attrs`` holds ``method``,
    ``rows_input``, ``rows_dropped`` (casewise), ``rows_with_missing`` and
    ``cells_missing``.
    """
    survey = res.survey_rows("missing_report")
    out = survey.report.copy()
    out.attrs = dict(survey.report.attrs)
    return out


def index(res, constructs: Any = None, *, fit_metric: str = "standardized",
          scale: Any = None, per_respondent: bool = False, by: Any = None,
          allow_negative: bool = False) -> Any:
    """Satisfaction index scores on 0-100 (docs/methods.md §6.1).

    Parameters
    ----------
    constructs : str or list of str, optional
        Constructs to report (default all).
    fit_metric, scale, allow_negative
        See the module docstring.
    per_respondent : bool
        Return each respondent's 0-100 score (DataFrame, the input's row index).
        Missing cells are filled as for the scores (SurveyOptions.missing), so the
        (weighted) mean of the respondent scores equals the index.
    by : array_like or Series, optional
        Group labels (segment, company): returns the tidy table of
        :func:`satmodel.index.group_index` (group, construct, index, se, n, weight),
        weighted by the sampling weights. Roll groups up with
        :func:`satmodel.index.rollup`.

    Returns
    -------
    Series (construct -> index, ``<NA>`` where no index can be computed) or DataFrame.
    After :meth:`bootstrap`, ``res.table("index")`` holds the index (declared scales,
    default convention) with se, ci_lower and ci_upper.

    Examples
    --------
    >>> import satmodel as sm
    >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    >>> res.index(["SAT", "LOY"]).round(2).tolist()
    [68.5, 71.97]
    """
    _check("index", res, fit_metric, scale, per_respondent=per_respondent,
           allow_negative=allow_negative)
    names = list(res.constructs)
    wanted = names if constructs is None else [constructs] if isinstance(constructs, str) \
        else list(constructs) if isinstance(constructs, (list, tuple)) else None
    if wanted is None:
        raise valid.bad("index", "constructs", constructs, "a construct name or a list of them")
    for c in wanted:
        valid.member("index", "constructs", c, names, "construct")
    u, _ = _metric(res, fit_metric)
    lo, hi = _scales(res, scale)
    ok = _usable(res, u, lo, hi, allow_negative)
    M = res.layout.membership
    if per_respondent or by is not None:
        X, survey = _filled_rows(res, "index(per_respondent=True or by=...)")
        with np.errstate(invalid="ignore"):
            scores = _index.respondent_index(X, u, np.nan_to_num(lo), np.nan_to_num(hi), M)
        frame = pd.DataFrame(scores, index=survey.index.copy(), columns=names)
        frame = frame.astype("Float64")
        for j, c in enumerate(names):
            if not ok[j]:
                frame[c] = pd.NA
        frame = frame[wanted]
        if by is None:
            return frame
        try:
            return group_index(frame, by, survey.weights)
        except OptionError as err:
            raise OptionError(f"invalid index option by=<{type(by).__name__}>: {err}") from None
    with np.errstate(invalid="ignore", divide="ignore"):
        values = _index.block_index(u, res.indicator_mean, lo, hi, M)
    out = pd.Series(values, index=names, name="index", dtype="Float64")
    out[~ok] = pd.NA
    return out[wanted]


def index_weights(res, *, fit_metric: str = "standardized", scale: Any = None) -> pd.DataFrame:
    """Per item: construct, indicator, weight (standardized), unstd_weight (w/sd or the
    raw-fit weight), weight_raw (u/Σu), weight_rescaled (u·range/Σ u·range), mean,
    scale_min, scale_max, performance (item mean on 0-100).

    >>> import satmodel as sm
    >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    >>> t = res.index_weights()
    >>> bool(abs(t.groupby("construct").weight_raw.sum() - 1).max() < 1e-12)
    True
    """
    _check("index_weights", res, fit_metric, scale)
    u, _ = _metric(res, fit_metric)
    lo, hi = _scales(res, scale)
    M = res.layout.membership.astype(float)
    block = res.layout.block_of
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = u / (u @ M)[block]
        resc = u * (hi - lo) / ((u * (hi - lo)) @ M)[block]
        perf = 100 * (res.indicator_mean - lo) / (hi - lo)
    return pd.DataFrame({
        "construct": [res.constructs[b] for b in block], "indicator": list(res.indicators),
        "weight": res.estimate.weights, "unstd_weight": u, "weight_raw": raw,
        "weight_rescaled": resc, "mean": res.indicator_mean, "scale_min": lo,
        "scale_max": hi, "performance": perf})


def impacts(res, target: str | None = None, *, per_points: float = 1.0,
            fit_metric: str = "standardized", scale: Any = None,
            allow_negative: bool = False) -> pd.DataFrame:
    """ACSI impacts: index points of the target per ``per_points`` points of a driver.

    impact = standardized total effect × sd(target 0-100 score) / sd(driver 0-100
    score) × per_points (docs/methods.md §6.3); ACSI states them per 5 points.

    Returns
    -------
    DataFrame: source, target, total (standardized total effect), impact; every pair
    joined by a directed route (only those into ``target`` when given).

    >>> import satmodel as sm
    >>> res = sm.fit_pls(sm.templates.ecsi_mobile(), sm.datasets.load("ecsi_mobi"))
    >>> list(res.impacts("Loyalty", per_points=5).columns)
    ['source', 'target', 'total', 'impact']
    """
    _check("impacts", res, fit_metric, scale, target=target, allow_negative=allow_negative)
    valid.number("impacts", "per_points", per_points, 0.0, np.inf)
    u, total = _metric(res, fit_metric)
    lo, hi = _scales(res, scale)
    ok = _usable(res, u, lo, hi, allow_negative)
    sd = _index.score_sd(u, hi, lo, res.layout.membership)
    pos = {c: i for i, c in enumerate(res.constructs)}
    rows = []
    for s, t in effect_pairs(res.spec):
        if target is not None and t != target:
            continue
        i, j = pos[s], pos[t]
        value = _index.impact(total[i, j], sd[j], sd[i], per_points) if ok[i] and ok[j] else np.nan
        rows.append((s, t, float(total[i, j]), float(value)))
    df = pd.DataFrame(rows, columns=["source", "target", "total", "impact"])
    df["impact"] = df["impact"].astype("Float64").mask(df["impact"].isna(), pd.NA)
    return df


def require_drivers(imp: pd.DataFrame, target: str) -> None:
    """Refuse an IPMA whose target has no drivers, or a driver without an index."""
    if imp.empty:
        raise OptionError(f"construct {target!r} has no drivers (no path leads into it)")
    if imp["impact"].isna().any():
        bad = imp.loc[imp["impact"].isna(), "source"].tolist()
        raise SatModelError(f"IPMA for {target!r} needs an index for every driver; none for "
                            f"{bad} or the target (see the IndexWarning)")


def ipma(res, target: str, *, cut: Any = "mean", fit_metric: str = "standardized",
         scale: Any = None, allow_negative: bool = False) -> IPMA:
    """Importance-performance map for ``target`` (see :mod:`satmodel.index.ipma`).

    Importance = unstandardized total effect on 0-100 scores (:meth:`impacts` with
    per_points=1), performance = the driver's index; item level via the
    rescaled-metric weights. ``cut="mean"`` splits at the drivers' mean importance
    and performance, or give ``(importance, performance)``. The map's ``labels`` are the
    spec's construct labels, so its plot shows them (a construct without one: its name).

    >>> import satmodel as sm
    >>> res = sm.fit_pls(sm.templates.ecsi_mobile(), sm.datasets.load("ecsi_mobi"))
    >>> m = res.ipma("Loyalty")
    >>> list(m.constructs.columns)[:4]
    ['construct', 'importance', 'performance', 'quadrant']
    >>> m.labels["Satisfaction"]
    'Customer satisfaction'
    """
    _check("ipma", res, fit_metric, scale, target=target, allow_negative=allow_negative)
    if target is None:
        raise valid.bad("ipma", "target", target, "a construct name")
    imp = impacts(res, target, fit_metric=fit_metric, scale=scale,
                       allow_negative=allow_negative)
    require_drivers(imp, target)
    perf = index(res, fit_metric=fit_metric, scale=scale, allow_negative=allow_negative)
    cons = pd.DataFrame({"construct": imp["source"].tolist(),
                         "importance": imp["impact"].to_numpy(dtype=float),
                         "performance": [float(perf[c]) for c in imp["source"]]})
    cons = classify(cons, cut)
    w = index_weights(res, fit_metric=fit_metric, scale=scale)
    w = w[w["construct"].isin(cons["construct"])]
    importance = dict(zip(cons["construct"], cons["importance"]))
    items = pd.DataFrame({
        "construct": w["construct"].tolist(), "indicator": w["indicator"].tolist(),
        "weight": w["weight_rescaled"].to_numpy(),
        "importance": w["weight_rescaled"].to_numpy() * w["construct"].map(importance).to_numpy(),
        "performance": w["performance"].to_numpy()})
    items = classify(items.reset_index(drop=True), "mean")
    labels = {c.name: c.label for c in res.spec.constructs if c.label}  # plot shows labels
    return IPMA(target=target, constructs=cons, indicators=items, cut=cons.attrs["cut"],
                labels=labels)
