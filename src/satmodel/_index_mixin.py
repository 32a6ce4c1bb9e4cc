"""Index (0-100), impacts and IPMA methods of :class:`~satmodel.results.PLSResult`.

Kept in its own module so the index layer grows without touching results.py. The
formulas are in :mod:`satmodel.index` and :mod:`satmodel.ipma` (METHODS.md 6.1-6.5).

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi_mobile(), sm.datasets.load("ecsi_mobi"))
>>> round(float(res.index()["Satisfaction"]), 1)
72.5
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from . import index as _index
from .errors import IndexWarning, OptionError, SatModelError, suggest
from .ipma import IPMA, classify

_METRICS = ("standardized", "raw")


class IndexMixin:
    """Satisfaction-index methods: ``index()``, ``index_weights()``, ``impacts()``, ``ipma()``.

    Shared keyword arguments:

    fit_metric : {"standardized", "raw"}
        Weight convention (METHODS.md 6.1). ``"standardized"`` (default; ACSI's
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
    """

    # ------------------------------------------------------------- helpers
    def _scales(self, scale: Any) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = [], []
        per_item = scale if isinstance(scale, dict) else {}
        if per_item:
            unknown = [k for k in per_item if k not in self.spec.indicator_names]
            if unknown:
                raise OptionError(f"scale= names {unknown[0]!r}, not an indicator."
                                  f"{suggest(unknown[0], self.spec.indicator_names)}")
        default = None if isinstance(scale, dict) or scale is None else tuple(scale)
        for con in self.spec.constructs:
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
        return np.array(lo), np.array(hi)

    def _metric(self, fit_metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Unstandardized weights u (p,) and total effects (J, J) under a convention."""
        if fit_metric == "standardized":
            return self.estimate.weights / self.indicator_std, self.estimate.total
        if fit_metric != "raw":
            raise OptionError(f"fit_metric={fit_metric!r}: choose one of {_METRICS}")
        from .pls import estimate

        cov = self.indicator_corr * np.outer(self.indicator_std, self.indicator_std)
        o = self.options
        est = estimate(cov, self.layout, scheme=o.scheme, consistent=False, tol=o.tol,
                       max_iter=o.max_iter, stop=o.stop)
        return est.weights, est.total

    def _usable(self, u, lo, hi, allow_negative: bool, warn: bool = True) -> np.ndarray:
        """Per construct: True when an index can be computed; warn about the others."""
        M = self.layout.membership
        ok = np.ones(M.shape[1], dtype=bool)
        problems = []
        for j, con in enumerate(self.spec.constructs):
            idx = np.flatnonzero(M[:, j])
            noscale = [self.indicators[k] for k in idx if np.isnan(lo[k])]
            neg = [self.indicators[k] for k in idx if u[k] < 0]
            if noscale:
                ok[j] = False
                problems.append(f"{con.name}: items {noscale} have no declared scale (pass scale=)")
            elif neg and not allow_negative:
                ok[j] = False
                problems.append(f"{con.name}: negative weight on {neg} (an index could leave 0-100; "
                                "check reverse-coded items or Mode B collinearity, or pass "
                                "allow_negative=True)")
        if problems and warn:
            warnings.warn("no index for " + "; ".join(problems), IndexWarning, stacklevel=3)
        return ok

    def _filled_rows(self) -> np.ndarray:
        if self._data is None:
            raise SatModelError("this result has no respondent rows (read from JSON or fitted "
                                "on moments); refit with sm.fit_pls(spec, data)")
        from .fit import complete_rows
        from .moments import Moments

        mom = Moments(n=self.n_obs, mean=self.indicator_mean, std=self.indicator_std,
                      corr=self.indicator_corr)
        return complete_rows(self._data, mom)

    # ------------------------------------------------------------- public
    @property
    def missing_report(self) -> pd.DataFrame:
        """Missing answers per item: construct, indicator, missing, share, coded, action.

        ``missing`` counts NaN cells and declared ``na_values`` codes (``coded`` the
        latter), ``share`` is over the input rows. ``.attrs`` holds ``method``,
        ``rows_input``, ``rows_dropped`` (casewise), ``rows_with_missing`` and
        ``cells_missing``.
        """
        if self._data is None or self._data.report is None:
            raise SatModelError("this result has no missing-data report (read from JSON or "
                                "fitted on moments)")
        report = self._data.report.copy()
        report.attrs = dict(self._data.report.attrs)
        return report

    def index(self, constructs: Any = None, *, fit_metric: str = "standardized",
              scale: Any = None, per_respondent: bool = False, by: Any = None,
              allow_negative: bool = False) -> Any:
        """Satisfaction index scores on 0-100 (METHODS.md 6.1).

        Parameters
        ----------
        constructs : str or list of str, optional
            Constructs to report (default all).
        fit_metric, scale, allow_negative
            See :class:`IndexMixin`.
        per_respondent : bool
            Return each respondent's 0-100 score (DataFrame, the input's row index).
            Missing cells are filled as for the scores (PLSOptions.missing), so the
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
        u, _ = self._metric(fit_metric)
        lo, hi = self._scales(scale)
        names = list(self.constructs)
        wanted = names if constructs is None else ([constructs] if isinstance(constructs, str)
                                                   else list(constructs))
        for c in wanted:
            if c not in names:
                raise OptionError(f"unknown construct {c!r}.{suggest(c, names)}")
        ok = self._usable(u, lo, hi, allow_negative)
        M = self.layout.membership
        if per_respondent or by is not None:
            X = self._filled_rows()
            with np.errstate(invalid="ignore"):
                scores = _index.respondent_index(X, u, np.nan_to_num(lo), np.nan_to_num(hi), M)
            frame = pd.DataFrame(scores, index=self._data.index.copy(), columns=names)
            frame = frame.astype("Float64")
            for j, c in enumerate(names):
                if not ok[j]:
                    frame[c] = pd.NA
            frame = frame[wanted]
            if by is None:
                return frame
            return _index.group_index(frame, by, self._data.weights)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = _index.block_index(u, self.indicator_mean, lo, hi, M)
        out = pd.Series(values, index=names, name="index", dtype="Float64")
        out[~ok] = pd.NA
        return out[wanted]

    def index_weights(self, *, fit_metric: str = "standardized", scale: Any = None) -> pd.DataFrame:
        """Per item: construct, indicator, weight (standardized), unstd_weight (w/sd or the
        raw-fit weight), weight_raw (u/Σu), weight_rescaled (u·range/Σ u·range), mean,
        scale_min, scale_max, performance (item mean on 0-100).

        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
        >>> t = res.index_weights()
        >>> bool(abs(t.groupby("construct").weight_raw.sum() - 1).max() < 1e-12)
        True
        """
        u, _ = self._metric(fit_metric)
        lo, hi = self._scales(scale)
        M = self.layout.membership.astype(float)
        block = self.layout.block_of
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = u / (u @ M)[block]
            resc = u * (hi - lo) / ((u * (hi - lo)) @ M)[block]
            perf = 100 * (self.indicator_mean - lo) / (hi - lo)
        return pd.DataFrame({
            "construct": [self.constructs[b] for b in block], "indicator": list(self.indicators),
            "weight": self.estimate.weights, "unstd_weight": u, "weight_raw": raw,
            "weight_rescaled": resc, "mean": self.indicator_mean, "scale_min": lo,
            "scale_max": hi, "performance": perf})

    def impacts(self, target: str | None = None, *, per_points: float = 1.0,
                fit_metric: str = "standardized", scale: Any = None,
                allow_negative: bool = False) -> pd.DataFrame:
        """ACSI impacts: index points of the target per ``per_points`` points of a driver.

        impact = standardized total effect × sd(target 0-100 score) / sd(driver 0-100
        score) × per_points (METHODS.md 6.3); ACSI states them per 5 points.

        Returns
        -------
        DataFrame: source, target, total (standardized total effect), impact; every pair
        joined by a directed route (only those into ``target`` when given).

        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi_mobile(), sm.datasets.load("ecsi_mobi"))
        >>> list(res.impacts("Loyalty", per_points=5).columns)
        ['source', 'target', 'total', 'impact']
        """
        from .tables import effect_pairs

        u, total = self._metric(fit_metric)
        lo, hi = self._scales(scale)
        ok = self._usable(u, lo, hi, allow_negative)
        if target is not None and target not in self.constructs:
            raise OptionError(f"unknown target {target!r}.{suggest(target, self.constructs)}")
        sd = _index.score_sd(u, hi, lo, self.layout.membership)
        pos = {c: i for i, c in enumerate(self.constructs)}
        rows = []
        for s, t in effect_pairs(self.spec):
            if target is not None and t != target:
                continue
            i, j = pos[s], pos[t]
            value = _index.impact(total[i, j], sd[j], sd[i], per_points) if ok[i] and ok[j] else np.nan
            rows.append((s, t, float(total[i, j]), float(value)))
        df = pd.DataFrame(rows, columns=["source", "target", "total", "impact"])
        df["impact"] = df["impact"].astype("Float64").mask(df["impact"].isna(), pd.NA)
        return df

    def ipma(self, target: str, *, cut: Any = "mean", fit_metric: str = "standardized",
             scale: Any = None, allow_negative: bool = False) -> IPMA:
        """Importance-performance map for ``target`` (see :mod:`satmodel.ipma`).

        Importance = unstandardized total effect on 0-100 scores (:meth:`impacts` with
        per_points=1), performance = the driver's index; item level via the
        rescaled-metric weights. ``cut="mean"`` splits at the drivers' mean importance
        and performance, or give ``(importance, performance)``.

        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi_mobile(), sm.datasets.load("ecsi_mobi"))
        >>> m = res.ipma("Loyalty")
        >>> list(m.constructs.columns)[:4]
        ['construct', 'importance', 'performance', 'quadrant']
        """
        imp = self.impacts(target, fit_metric=fit_metric, scale=scale,
                           allow_negative=allow_negative)
        if imp.empty:
            raise OptionError(f"construct {target!r} has no drivers (no path leads into it)")
        if imp["impact"].isna().any():
            bad = imp.loc[imp["impact"].isna(), "source"].tolist()
            raise SatModelError(f"IPMA for {target!r} needs an index for every driver; none for "
                                f"{bad} or the target (see the IndexWarning)")
        perf = self.index(fit_metric=fit_metric, scale=scale, allow_negative=allow_negative)
        cons = pd.DataFrame({"construct": imp["source"].tolist(),
                             "importance": imp["impact"].to_numpy(dtype=float),
                             "performance": [float(perf[c]) for c in imp["source"]]})
        cons = classify(cons, cut)
        w = self.index_weights(fit_metric=fit_metric, scale=scale)
        w = w[w["construct"].isin(cons["construct"])]
        importance = dict(zip(cons["construct"], cons["importance"]))
        items = pd.DataFrame({
            "construct": w["construct"].tolist(), "indicator": w["indicator"].tolist(),
            "weight": w["weight_rescaled"].to_numpy(),
            "importance": w["weight_rescaled"].to_numpy() * w["construct"].map(importance).to_numpy(),
            "performance": w["performance"].to_numpy()})
        items = classify(items.reset_index(drop=True), "mean")
        return IPMA(target=target, constructs=cons, indicators=items, cut=cons.attrs["cut"])
