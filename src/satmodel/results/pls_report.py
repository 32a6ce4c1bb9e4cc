"""The sections of a PLS result's summary (text and HTML render them alike).

After a bootstrap the tables carry se, p and the interval (not t, to stay within 100
columns; ``res.paths`` has everything); the index is shown when every item declares
its scale; the last lines say what to look at next.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> header(res)[1].startswith("PLS path modelling")
True
>>> [title for title, _ in sections(res)][-1]
'Index (0-100)'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..diagnostics import collecting, quiet

__all__ = ["header", "sections", "next_steps", "compact"]

_INF = ("se", "p", "ci_lower", "ci_upper")


def header(res: Any) -> list[str]:
    o = res.options
    kind = "consistent PLS (PLSc)" if o.consistent else "PLS path modelling"
    status = "converged" if res.converged else "NOT CONVERGED"
    lines = [
        f"satmodel: {res.spec.name}" + (f" ({res.spec.label})" if res.spec.label else ""),
        f"{kind}, {o.scheme} scheme, n = {res.n_obs}, {len(res.constructs)} constructs, "
        f"{len(res.indicators)} indicators",
        f"{status} after {res.n_iter} iterations (stop rule {o.stop}, tol {o.tol:g})"
        + ("" if res.admissible else "; admissible: no (see the diagnostics)"),
    ]
    if res.survey_options.correlation != "pearson":
        lines.append(f"fitted to {res.survey_options.correlation} item correlations "
                     "(ordinal items)")
    if res.inference is not None:
        inf = res.inference
        lines.append(f"bootstrap: {inf.n_valid} of {inf.n_requested} resamples, {inf.method} "
                     f"intervals at level {inf.level:g}")
    return lines


def compact(df: pd.DataFrame, values: list[str], parts: tuple[str, ...] = _INF) -> pd.DataFrame:
    """Key columns, each value and its ``parts`` (prefixed when the table has several)."""
    keys = [c for c in df.columns if df[c].dtype == object or c in ("construct", "indicator",
                                                                    "source", "target")]
    cols = list(dict.fromkeys(keys))
    for v in values:
        cols.append(v)
        for part in parts:
            for name in (f"{v}_{part}", part if len(values) == 1 else None):
                if name and name in df.columns and name not in cols:
                    cols.append(name)
                    break
    return df[[c for c in cols if c in df.columns]]


def _scales_known(res: Any) -> bool:
    return all(i.scale_min is not None for c in res.spec.constructs for i in c.indicators)


def sections(res: Any) -> list[tuple[str, pd.DataFrame]]:
    base = ["construct", "alpha", "rho_a", "rho_c", "ave", "r2", "r2_adj"]
    quality = res.quality[[c for c in base if c in res.quality.columns]]
    outer = res.outer
    cols = ["construct", "indicator", "weight", "loading", "loading_se", "loading_ci_lower",
            "loading_ci_upper"]
    out = [
        ("Path coefficients", compact(res.paths, ["estimate"])),
        ("R²", res.r2.rename("r2").to_frame().rename_axis("construct").reset_index()),
        ("Outer model", outer[[c for c in cols if c in outer.columns]]),
        ("Reliability and convergent validity", quality),
    ] + _assessment(res)
    if _scales_known(res):
        with collecting(), quiet():
            idx = res.table("index") if res.inference is not None else \
                res.index().rename("index").rename_axis("construct").reset_index()
        out.append(("Index (0-100)", compact(idx, ["index"], ("se", "ci_lower", "ci_upper"))))
    return out


def _assessment(res: Any) -> list[tuple[str, pd.DataFrame]]:
    """HTMT, fit and the rule-of-thumb assessment (``res.assess()``) in brief."""
    htmt = res.htmt.rename_axis("construct").reset_index()
    fit = res.fit
    fit = fit[fit["measure"].isin(["srmr", "d_uls", "d_g"])]
    table = res.assess()
    counts = (table.assign(warn=table["verdict"].eq("warn"))
              .groupby("criterion", sort=False)
              .agg(checked=("verdict", "size"), warn=("warn", "sum")).reset_index())
    warn = table.loc[table["verdict"].eq("warn"), ["criterion", "element", "value", "threshold"]]
    out = [("Discriminant validity (HTMT)", htmt), ("Model fit", fit),
           ("Assessment against rules of thumb (res.assess())", counts)]
    if len(warn):
        out.append(("Assessment: values outside their usual thresholds", warn))
    return out


def next_steps(res: Any) -> list[str]:
    """Hints on what to look at next, given what the result holds."""
    hints = []
    if res.inference is None:
        hints.append("res.bootstrap(n=5000, seed=1): p-values and intervals for every table")
    n_warn = int(res.assess()["verdict"].eq("warn").sum())
    if n_warn:
        hints.append(f"res.assess(): {n_warn} values outside their rule of thumb, with sources")
    outcomes = [c for c in res.spec.endogenous if c not in {p.source for p in res.spec.paths}]
    if _scales_known(res) and outcomes:
        hints.append(f"res.ipma({outcomes[-1]!r}).plot(): which drivers to improve first")
    elif not _scales_known(res):
        hints.append("declare item scales (scale_min/scale_max) for 0-100 index scores")
    hints.append("sm.plot_paths(res); sm.to_html(res, 'report.html'); "
                 "sm.to_excel(res, 'report.xlsx')")
    return hints
