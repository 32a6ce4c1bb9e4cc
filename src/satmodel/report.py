"""Text and HTML summaries of a fitted model.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> "Path coefficients" in res.summary()
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .results import PLSResult


def _header(res: PLSResult) -> list[str]:
    o = res.options
    kind = "consistent PLS (PLSc)" if o.consistent else "PLS path modelling"
    status = "converged" if res.converged else "NOT CONVERGED"
    return [
        f"satmodel: {res.spec.name}" + (f" ({res.spec.label})" if res.spec.label else ""),
        f"{kind}, {o.scheme} scheme, n = {res.n_obs}, {len(res.constructs)} constructs, "
        f"{len(res.indicators)} indicators",
        f"{status} after {res.n_iter} iterations (stop rule {o.stop}, tol {o.tol:g})",
    ]


def _sections(res: PLSResult) -> list[tuple[str, pd.DataFrame]]:
    quality = res.quality.copy()
    return [
        ("Path coefficients", res.paths),
        ("R²", res.r2.rename("r2").to_frame().rename_axis("construct").reset_index()),
        ("Outer model", res.outer),
        ("Reliability and convergent validity", quality),
    ] + _assessment_sections(res)


def _assessment_sections(res: PLSResult) -> list[tuple[str, pd.DataFrame]]:
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


def summary_text(res: PLSResult) -> str:
    """Plain-text report of settings, paths, R², outer model and reliability."""
    lines = _header(res)
    for title, df in _sections(res):
        lines += ["", title, "-" * len(title),
                  df.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-")]
    return "\n".join(lines)


def summary_html(res: PLSResult) -> str:
    """HTML version of :func:`summary_text` for Jupyter."""
    parts = ["<div class='satmodel-summary'>", "<p>" + "<br>".join(_header(res)) + "</p>"]
    for title, df in _sections(res):
        parts.append(f"<h4>{title}</h4>")
        parts.append(df.to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-"))
    parts.append("</div>")
    return "\n".join(parts)
