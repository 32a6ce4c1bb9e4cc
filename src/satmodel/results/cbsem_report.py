"""The sections and next steps of a CB-SEM result's summary.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> [title for title, _ in sections(cb)]
['Paths', 'Outer model', 'Quality', 'Discriminant validity (HTMT)']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["sections", "next_steps"]


def _pick(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[[c for c in cols if c in df.columns]]


def sections(res: Any) -> list[tuple[str, pd.DataFrame]]:
    inf = ["se", "p", "ci_lower", "ci_upper"]
    paths = _pick(res.paths, ["source", "target", "estimate", "estimate_unstd"] + inf)
    outer = _pick(res.outer, ["construct", "indicator", "loading", "loading_unstd"] + inf)
    quality = _pick(res.quality, ["construct", "alpha", "rho_c", "ave", "r2"])
    htmt = ("Discriminant validity (HTMT)", res.htmt.rename_axis("construct").reset_index())
    if not len(paths):  # a measurement-only model (CFA): its construct correlations instead
        corr = res.construct_correlations.rename_axis("construct").reset_index()
        return [("Outer model", outer), ("Quality", quality), ("Construct correlations", corr), htmt]
    return [("Paths", paths), ("Outer model", outer), ("Quality", quality), htmt]


def next_steps(res: Any) -> list[str]:
    hints = []
    if res.inference is None:
        hints.append("res.bootstrap(n=500, seed=1): bootstrap intervals of the standardized "
                     f"estimates (se and p above are {res.estimator}'s, of estimate_unstd)")
    hints.append("res.parameters: every parameter as lavaan lists it; res.fit_indices")
    if res.spec.paths:
        hints.append("sm.compare(sm.fit_pls(spec, data), res): PLS beside CB-SEM; "
                     "sm.to_html(res, 'report.html')")
    else:
        hints.append("a measurement-only model (CFA): add the structural paths ('~') to fit "
                     "the full model; sm.to_html(res, 'report.html')")
    return hints
