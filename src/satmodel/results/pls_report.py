"""The sections of a PLS result's summary (text and HTML render them alike).

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> header(res)[1].startswith("PLS path modelling")
True
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["header", "sections"]


def header(res: Any) -> list[str]:
    o = res.options
    kind = "consistent PLS (PLSc)" if o.consistent else "PLS path modelling"
    status = "converged" if res.converged else "NOT CONVERGED"
    lines = [
        f"satmodel: {res.spec.name}" + (f" ({res.spec.label})" if res.spec.label else ""),
        f"{kind}, {o.scheme} scheme, n = {res.n_obs}, {len(res.constructs)} constructs, "
        f"{len(res.indicators)} indicators",
        f"{status} after {res.n_iter} iterations (stop rule {o.stop}, tol {o.tol:g})",
    ]
    if res.inference is not None:
        inf = res.inference
        lines.append(f"bootstrap: {inf.n_valid} of {inf.n_requested} resamples, {inf.method} "
                     f"intervals at level {inf.level:g}")
    return lines


def sections(res: Any) -> list[tuple[str, pd.DataFrame]]:
    quality = res.quality.copy()
    return [
        ("Path coefficients", res.paths),
        ("R²", res.r2.rename("r2").to_frame().rename_axis("construct").reset_index()),
        ("Outer model", res.outer),
        ("Reliability and convergent validity", quality),
    ] + _assessment(res)


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

