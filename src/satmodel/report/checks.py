"""Rules of thumb for any result, in the columns of :func:`satmodel.assess.assess`.

PLS results use ``res.assess()`` itself; CB-SEM results get the reflective criteria
(loadings, alpha, rho_c, AVE, HTMT) with the same thresholds and sources, plus the
global fit indices of Hu & Bentler (1999).

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> table = checks(cb)
>>> list(table.columns)
['criterion', 'element', 'value', 'threshold', 'verdict', 'source']
>>> table.loc[table.criterion == "cfi", "verdict"].item()
'pass'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..assess.rules import DEFAULTS
from ..results.display import FIT_CUTS

__all__ = ["checks", "summary", "FIT_RULES"]

_HAIR = "Hair et al. (2019, 2021)"
#: CB-SEM fit index -> (direction, threshold, source)
FIT_RULES = {  # cut points from satmodel.results.display (one definition for the display)
    "cfi": (">=", FIT_CUTS["cfi"], "Hu & Bentler (1999)"),
    "tli": (">=", FIT_CUTS["tli"], "Hu & Bentler (1999)"),
    "rmsea": ("<=", FIT_CUTS["rmsea"], "Hu & Bentler (1999)"),
    "srmr": ("<=", FIT_CUTS["srmr"], "Hu & Bentler (1999)"),
}


def _row(criterion: str, element: str, value: Any, op: str, lo: float, hi: float | None,
         source: str) -> tuple:
    if value is None or pd.isna(value):
        return (criterion, element, pd.NA, f"{op} {lo:g} (not defined)", "warn", source)
    v = float(value)
    if op == "range":
        ok, text = lo <= v <= hi, f"{lo:g} - {hi:g}"
    elif op == ">=":
        ok, text = v >= lo, f">= {lo:g}"
    elif op == "<=":
        ok, text = v <= lo, f"<= {lo:g}"
    else:
        ok, text = v < lo, f"< {lo:g}"
    return (criterion, element, v, text, "pass" if ok else "warn", source)


def _cbsem(res: Any) -> pd.DataFrame:
    rows = []
    sizes = {c.name: len(c.indicators) for c in res.spec.constructs}
    sizes |= {h.name: len(h.components) for h in res.spec.higher_order}  # CB-SEM HOC rows
    for r in res.outer.itertuples(index=False):
        if sizes[r.construct] > 1:
            rows.append(_row("loading", f"{r.construct}: {r.indicator}", r.loading, ">=",
                             DEFAULTS["loading"], None, _HAIR))
    lo, hi = DEFAULTS["reliability_min"], DEFAULTS["reliability_max"]
    for r in res.quality.itertuples(index=False):
        if sizes[r.construct] < 2:
            continue
        if r.alpha is not pd.NA:  # not defined for a higher-order factor
            rows.append(_row("alpha", r.construct, r.alpha, "range", lo, hi, _HAIR))
        rows.append(_row("rho_c", r.construct, r.rho_c, "range", lo, hi, _HAIR))
        rows.append(_row("ave", r.construct, r.ave, ">=", DEFAULTS["ave"], None,
                         "Fornell & Larcker (1981)"))
    H = res.htmt
    names = list(H.columns)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            rows.append(_row("htmt", f"{names[a]} ~ {names[b]}", H.iloc[b, a], "<",
                             DEFAULTS["htmt"], None, "Henseler, Ringle & Sarstedt (2015)"))
    for name, (op, cut, source) in FIT_RULES.items():
        rows.append(_row(name, "model", res.fit_indices.get(name), op, cut, None, source))
    df = pd.DataFrame(rows, columns=["criterion", "element", "value", "threshold", "verdict",
                                     "source"])
    df["value"] = df["value"].astype("Float64")
    return df


def checks(res: Any) -> pd.DataFrame:
    """Every criterion of ``res`` against its rule of thumb: criterion, element, value,
    threshold, verdict ("pass"/"warn"), source."""
    if hasattr(res, "assess"):
        return res.assess()
    return _cbsem(res)


def _rule(texts: pd.Series) -> str:
    """The rule shared by a criterion's rows (row-specific cut points dropped)."""
    first = str(texts.iloc[0]).replace(" (not defined)", "")
    return first if texts.nunique() == 1 else first.split(" = ")[0]


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per criterion: the rule, how many values were checked and how many to look at."""
    rule = table.groupby("criterion", sort=False).agg(
        threshold=("threshold", _rule), checked=("verdict", "size"),
        look_at=("verdict", lambda v: int((v == "warn").sum())), source=("source", "first"))
    return rule.reset_index()
