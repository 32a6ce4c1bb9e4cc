"""The estimate sections of a report (measurement, discriminant validity, structural
model, effects, fit, index and IPMA) for PLS and CB-SEM results.

>>> import satmodel as sm
>>> from satmodel.report import checks
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> [s.title for s in sections(res, None, checks.checks(res), figures=False)][:2]
['Measurement model', 'Discriminant validity']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import SatModelError
import satmodel.report.checks as checks
import satmodel.report.marks as marks
import satmodel.report.pathplot as pathplot
import satmodel.report.plots as plots
from .blocks import Figure, Section, shown, table

__all__ = ["sections", "outcomes", "scales_known"]


def _stars(df: pd.DataFrame, values: list[str], alpha: float | None) -> pd.DataFrame:
    for v in values:
        prefixed = f"{v}_p" in df.columns
        df = marks.add_stars(df, v, alpha, column=f"{v}_sig" if prefixed else "sig")
    return df


_CI = ("ci_lower", "ci_upper")


def _view(df: pd.DataFrame, values: list[str], alpha: float | None, stars: bool = True,
          parts: tuple[str, ...] = ("se", "p", "sig") + _CI) -> pd.DataFrame:
    df = _stars(df, values, alpha) if stars else df
    return df[shown(df, values, parts)].reset_index(drop=True)


def _labels(res: Any) -> dict[str, str]:
    return {c.name: c.label for c in res.spec.constructs if c.label}


def _measurement(res: Any, alpha: float | None, rules: pd.DataFrame) -> Section:
    pls = hasattr(res, "options")
    outer = _view(res.outer, ["weight", "loading"] if pls else ["loading"], alpha, stars=False,
                  parts=("se",) + _CI)
    cols = ["construct", "alpha", "rho_a", "rho_c", "ave"]
    quality = res.quality[[c for c in cols if c in res.quality.columns]]
    blocks = [table("Outer model: weights and loadings", outer, rule="outer",
                    note=f"highlighted: loading below {marks.DEFAULTS['loading']:g}"),
              table("Reliability and convergent validity", quality, rule="quality",
                    note="highlighted: reliability outside 0.70-0.95, AVE below 0.50")]
    if pls:
        vif = res.vif[["construct", "indicator", "vif"]]
        blocks.append(table("Indicator collinearity (VIF)", vif, rule="vif",
                            note="highlighted: VIF of 5 or more"))
    summary = checks.summary(rules)
    blocks.append(table("Rules of thumb applied, with their sources", summary))
    warn = rules[rules["verdict"].eq("warn")].drop(columns=["verdict"]).reset_index(drop=True)
    if len(warn):
        blocks.append(table("Values outside their usual thresholds (look at them, not a verdict "
                            "on the model)", warn))
    text = [f"{int(summary['look_at'].sum())} of {int(summary['checked'].sum())} checked values "
            "lie outside their rule of thumb."]
    return Section("measurement", "Measurement model", text, blocks)


def _discriminant(res: Any) -> Section:
    H = res.htmt
    lower = H.where(np.tril(np.ones(H.shape, dtype=bool), k=-1))
    lower = lower.rename_axis("construct").reset_index()
    blocks = [table("HTMT (heterotrait-monotrait ratio)", lower, rule="htmt",
                    note=f"highlighted: {marks.DEFAULTS['htmt']:g} or more "
                         "(Henseler, Ringle & Sarstedt 2015)")]
    if hasattr(res, "fornell_larcker"):
        fl = res.fornell_larcker.rename_axis("construct").reset_index()
        blocks.append(table("Fornell-Larcker: AVE on the diagonal, squared correlations off it",
                            fl))
    pairs = res.table("htmt_pairs")
    if "htmt_ci_upper" in pairs.columns or "ci_upper" in pairs.columns:
        view = _view(pairs, ["htmt"], None, stars=False, parts=_CI)
        blocks.append(table("HTMT with bootstrap intervals (an upper bound below 1 supports "
                            "discriminant validity)", view, rule="htmt_pairs"))
    return Section("discriminant", "Discriminant validity", [], blocks)


def _structural(res: Any, alpha: float | None, items: bool, figures: bool) -> Section:
    blocks: list[Any] = []
    if figures:
        blocks.append(Figure("Path diagram", lambda fig: pathplot.plot_paths(
            res, ax=fig, level=None if alpha is None else 1 - alpha, items=items),
            "path diagram with coefficients, significance stars and R²"))
    if figures and res.inference is not None:
        level = None if alpha is None else 1 - alpha
        blocks.append(Figure("Bootstrap distributions of the path coefficients",
                             lambda fig: plots.plot_bootstrap(res, level=level, fig=fig),
                             "histograms of the bootstrap draws of each path"))
    paths = _view(res.paths, ["estimate"], alpha)
    note = marks.legend(alpha) if alpha is not None else \
        "no bootstrap: significance not tested (res.bootstrap(n=5000, seed=...))"
    if "estimate_unstd" in res.paths.columns and res.inference is None:  # CB-SEM, ML tests
        paths.insert(3, "estimate_unstd", res.paths["estimate_unstd"].to_numpy())
        note += "; se and p are the ML test of estimate_unstd"
    blocks.append(table("Path coefficients (standardized)", paths, note=note))
    q = res.table("quality")
    r2cols = [c for c in q.columns if c == "construct" or c.startswith("r2")]
    r2 = q[r2cols][q["r2"].notna()].reset_index(drop=True)
    blocks.append(table("R² of the endogenous constructs",
                        _view(r2, ["r2", "r2_adj"], None, stars=False, parts=_CI)))
    if hasattr(res, "f2"):
        f2 = res.f2()[["source", "target", "f2"]].copy()
        f2["size"] = pd.cut(f2["f2"].astype(float), [-np.inf, 0.02, 0.15, 0.35, np.inf],
                            right=False, labels=["none", "small", "medium", "large"]).astype(str)
        blocks.append(table("Effect sizes f² (Cohen 1988: 0.02 small, 0.15 medium, 0.35 large)",
                            f2))
        blocks.append(table("Structural collinearity (inner VIF)",
                            res.inner_vif[["source", "target", "vif"]], rule="inner_vif"))
    return Section("structural", "Structural model", [], blocks)


def _effects(res: Any, alpha: float | None) -> Section:
    eff = res.effects
    values = ["direct", "indirect", "total"]
    view = _view(eff, values, alpha, parts=("p", "sig") + _CI)
    drop = [c for c in view.columns if c.startswith("direct_")]  # direct = the paths table
    view = view.drop(columns=drop)
    return Section("effects", "Direct, indirect and total effects",
                   ["Direct effects with their tests are in the path table."],
                   [table("Effects (standardized)", view,
                          note=marks.legend(alpha) if alpha is not None else "")])


def _fit(res: Any) -> Section:
    if hasattr(res, "fit_indices"):
        fi = res.fit_indices
        rows = []
        for name, value in fi.items():
            rule = checks.FIT_RULES.get(name)
            rows.append((name, value, f"{rule[0]} {rule[1]:g}" if rule else "",
                         rule[2] if rule else ""))
        df = pd.DataFrame(rows, columns=["measure", "value", "threshold", "source"])
        df["value"] = df["value"].astype("Float64")
        ok = checks.checks(res)
        bad = set(ok.loc[ok["verdict"].eq("warn") & ok["element"].eq("model"), "criterion"])
        t = table("Global fit", df)
        flags = pd.DataFrame(False, index=df.index, columns=df.columns)
        flags["value"] = df["measure"].isin(bad).to_numpy()
        t = type(t)(t.caption, df, flags if flags.to_numpy().any() else None,
                    "highlighted: outside the Hu & Bentler (1999) cut-offs")
        return Section("fit", "Model fit", [], [t])
    fit = res.fit
    wide = fit.pivot(index="measure", columns="model", values="value")
    order = list(dict.fromkeys(fit["measure"]))
    wide = wide.loc[order, [c for c in ("saturated", "estimated") if c in wide.columns]]
    wide = wide.reset_index().rename_axis(None, axis=1)
    flags = pd.DataFrame(False, index=wide.index, columns=wide.columns)
    if "saturated" in wide.columns:
        flags["saturated"] = (wide["measure"].eq("srmr") &
                              (wide["saturated"].astype(float) > marks.DEFAULTS["srmr"])).to_numpy()
    t = table("Model fit (d_G in log10)", wide)
    t = type(t)(t.caption, wide, flags if flags.to_numpy().any() else None,
                "SRMR of the saturated model below 0.08 (Henseler et al. 2014); the others "
                "are for comparison with SmartPLS/ADANCO; res.fit_test() gives HI95/HI99")
    return Section("fit", "Model fit", [], [t])


def scales_known(res: Any) -> bool:
    """True when every item declares its answer scale (needed for 0-100 indices)."""
    return all(i.scale_min is not None for c in res.spec.constructs for i in c.indicators)


def outcomes(res: Any) -> list[str]:
    """Endogenous constructs that no path leaves (the model's outcomes)."""
    sources = {p.source for p in res.spec.paths}
    return [c for c in res.spec.endogenous if c not in sources]


def _index(res: Any, ipma: Any, figures: bool) -> Section:
    if not hasattr(res, "ipma"):
        return Section("index", "Index and importance-performance", [
            "0-100 indices and IPMA are computed from PLS weights: fit the model with "
            "sm.fit_pls for them."])
    if not scales_known(res):
        return Section("index", "Index and importance-performance", [
            "Items without a declared answer scale: no 0-100 index. Declare scale_min/"
            "scale_max in the spec (or fit with scales=...)."])
    idx = res.table("index")
    if "se" not in idx.columns:
        idx = res.index().rename("index").rename_axis("construct").reset_index()
    blocks: list[Any] = [table("Index scores (0-100)",
                               _view(idx, ["index"], None, stars=False, parts=("se",) + _CI))]
    text = []
    targets = outcomes(res)[:2] if ipma is None else [ipma] if isinstance(ipma, str) \
        else list(ipma)
    labels = _labels(res)
    for target in targets:
        try:
            m = res.ipma(target)
        except SatModelError as err:
            text.append(f"No IPMA for {target}: {err}")
            continue
        cons = m.constructs[["construct", "importance", "performance", "quadrant", "action"]]
        cons.insert(1, "label", [labels.get(c, "") for c in cons["construct"]])
        name = labels.get(target, target)
        blocks.append(table(f"IPMA of {name}: importance (index points per point) and "
                            "performance", cons))
        if figures:
            blocks.append(Figure(f"IPMA of {name}: drivers", lambda fig, m=m: m.plot(
                ax=fig, labels=labels), f"importance-performance map of {name}"))
            blocks.append(Figure(f"IPMA of {name}: items", lambda fig, m=m: m.plot(
                level="indicator", ax=fig, labels=labels),
                f"item-level importance-performance map of {name}"))
    return Section("index", "Index and importance-performance", text, blocks)


def sections(res: Any, alpha: float | None, rules: pd.DataFrame, *, ipma: Any = None,
             items: bool = False, figures: bool = True) -> list[Section]:
    """The estimate sections of ``res`` (see the module docstring)."""
    return [_measurement(res, alpha, rules), _discriminant(res),
            _structural(res, alpha, items, figures), _effects(res, alpha), _fit(res),
            _index(res, ipma, figures)]
