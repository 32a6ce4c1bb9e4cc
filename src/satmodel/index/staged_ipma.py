"""Impacts and the importance-performance map of a staged fit (higher-order constructs;
issue 14), with the item weights of :mod:`satmodel.index.staged_index`.

As for a first-order fit (docs/methods.md §6.3-6.4): impact = standardized total effect
(the last stage's) × sd(target 0-100 score) / sd(driver 0-100 score) × per_points, the
0-100 score's SD being ``100 / Σ u_i (max_i - min_i)``; the map's performance is the
index, its item level the rescaled weights ``u_i (max_i - min_i) / Σ u (max - min)`` times
the construct's importance. A higher-order construct's items are its components' items
(weights by product), so the map shows which items drive it. Interaction terms have no
index, hence no impact, and are left off the map (their effect is the simple slopes').

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
...     PERF =~ QUAL + VAL
...     SAT ~ PERF''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), hoc="two_stage")
>>> m = res.ipma("SAT", scale=(0, 10))
>>> m.constructs.construct.tolist(), sorted(m.indicators.indicator)
(['PERF'], ['QUAL1', 'QUAL2', 'QUAL3', 'VAL1', 'VAL2'])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from .ipma import IPMA, classify
from .results import require_drivers
from .staged_index import blocks, check_options, index

__all__ = ["impacts", "ipma"]


def _sd(b: pd.DataFrame | None) -> float:
    return np.nan if b is None else float(100.0 / (b.u @ (b.scale_max - b.scale_min)))


def impacts(res: Any, target: str | None = None, *, per_points: float = 1.0,
            scale: Any = None, allow_negative: bool = False, **options: Any) -> pd.DataFrame:
    """Columns source, target, total (standardized total effect), impact; every pair of
    the last stage joined by a directed route (into ``target`` when given)."""
    check_options("impacts", scale, allow_negative, options)
    valid.number("impacts", "per_points", per_points, 0.0, np.inf)
    found = blocks(res, scale, allow_negative)
    if target is not None:
        valid.member("impacts", "target", target, list(found), "construct")
    eff = res.effects
    if target is not None:
        eff = eff[eff.target == target]
    rows = [(s, t, float(total), float(total * _sd(found[t]) / _sd(found[s]) * per_points))
            for s, t, total in zip(eff.source, eff.target, eff.total)]
    df = pd.DataFrame(rows, columns=["source", "target", "total", "impact"])
    df["impact"] = df["impact"].astype("Float64").mask(df["impact"].isna(), pd.NA)
    return df.reset_index(drop=True)


def ipma(res: Any, target: str, *, cut: Any = "mean", scale: Any = None,
         allow_negative: bool = False, **options: Any) -> IPMA:
    """The importance-performance map for ``target`` (see the module docstring)."""
    imp = impacts(res, target, scale=scale, allow_negative=allow_negative, **options)
    imp = imp[~imp.source.isin(res.plan.spec.interactions)]  # no performance: not mapped
    require_drivers(imp, target)
    perf = index(res, scale=scale, allow_negative=allow_negative)
    cons = classify(pd.DataFrame({"construct": imp["source"].tolist(),
                                  "importance": imp["impact"].to_numpy(dtype=float),
                                  "performance": [float(perf[c]) for c in imp["source"]]}), cut)
    found = blocks(res, scale, allow_negative)
    parts = []
    for con, importance in zip(cons.construct, cons.importance):
        b = found[con]
        span = b.scale_max - b.scale_min
        rescaled = b.u * span / float(b.u @ span)
        parts.append(pd.DataFrame({"construct": con, "indicator": b.indicator,
                                   "weight": rescaled, "importance": rescaled * importance,
                                   "performance": 100 * (b["mean"] - b.scale_min) / span}))
    items = classify(pd.concat(parts, ignore_index=True), "mean")
    user = res.plan.spec
    labels = {c.name: c.label for c in (*user.constructs, *user.higher_order) if c.label}
    return IPMA(target=target, constructs=cons, indicators=items, cut=cons.attrs["cut"],
                labels=labels)
