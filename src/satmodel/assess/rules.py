"""One table of quality criteria against their usual thresholds, with a verdict.

:func:`assess` returns one row per checked value with the columns ``criterion,
element, value, threshold, verdict, source``; ``verdict`` is ``"pass"`` or ``"warn"``
("warn" = look at it, not "reject the model"). The thresholds are rules of thumb:

=====================  =========================  =====================================
criterion              rule (default)             source
=====================  =========================  =====================================
loading                >= 0.708                   Hair et al. (2019) EBR 31(1); Hair et
                                                  al. (2021) PLS-SEM Using R, ch. 4
alpha, rho_c           0.70 - 0.95                Hair et al. (2019, 2021); Nunnally &
                                                  Bernstein (1994) for the lower bound
rho_a                  0.70 - 0.95                Dijkstra & Henseler (2015); Hair et al.
                                                  (2021)
ave                    >= 0.50                    Fornell & Larcker (1981) JMR 18(1)
htmt                   < 0.90 (0.85 strict)       Henseler, Ringle & Sarstedt (2015)
                                                  JAMS 43(1); Hair et al. (2021)
fornell_larcker        √AVE > max |r| with the    Fornell & Larcker (1981)
                       other constructs
vif (indicators)       < 5 (ideally < 3)          Hair et al. (2019, 2021)
inner_vif              < 5 (ideally < 3)          Hair et al. (2019, 2021)
srmr (saturated)       < 0.08                     Hu & Bentler (1999); Henseler et al.
                                                  (2014) ORM 17(2) for PLS
=====================  =========================  =====================================

Reflective criteria (loading, alpha, rho_a, rho_c, ave, Fornell-Larcker) are checked
for Mode A blocks with at least two items; indicator VIF for every multi-item block
(it matters most for Mode B); HTMT for every pair. Criteria that are not defined for
an element (``<NA>``) get the verdict ``"warn"`` and say so in ``threshold``.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> table = res.assess()
>>> list(table.columns)
['criterion', 'element', 'value', 'threshold', 'verdict', 'source']
>>> sorted(set(table.verdict))
['pass', 'warn']
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..errors import suggest

__all__ = ["assess", "DEFAULTS"]

DEFAULTS = {
    "loading": 0.708,
    "reliability_min": 0.70,
    "reliability_max": 0.95,
    "ave": 0.50,
    "htmt": 0.90,
    "vif": 5.0,
    "srmr": 0.08,
}

_SRC = {
    "loading": "Hair et al. (2019, 2021)",
    "reliability": "Hair et al. (2019, 2021)",
    "rho_a": "Dijkstra & Henseler (2015); Hair et al. (2021)",
    "ave": "Fornell & Larcker (1981)",
    "htmt": "Henseler, Ringle & Sarstedt (2015)",
    "fl": "Fornell & Larcker (1981)",
    "vif": "Hair et al. (2019, 2021)",
    "srmr": "Hu & Bentler (1999); Henseler et al. (2014)",
}


def _row(criterion, element, value, ok, threshold, source):
    v = None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    if v is None:
        return (criterion, element, pd.NA, f"{threshold} (not defined)", "warn", source)
    return (criterion, element, v, threshold, "pass" if ok(v) else "warn", source)


def assess(res, **thresholds: float) -> pd.DataFrame:
    """Check a fitted model's quality criteria against rules of thumb.

    Parameters
    ----------
    res : PLSResult
    **thresholds : float
        Override any of :data:`DEFAULTS`: ``loading`` (0.708), ``reliability_min``
        (0.70), ``reliability_max`` (0.95), ``ave`` (0.50), ``htmt`` (0.90; use 0.85
        for conceptually distinct constructs), ``vif`` (5.0; 3.0 is stricter),
        ``srmr`` (0.08).

    Returns
    -------
    DataFrame
        criterion, element (construct, indicator, "A ~ B" pair or "model"), value
        (nullable Float64), threshold (text), verdict ("pass"/"warn"), source.
    """
    for k, v in thresholds.items():
        if k not in DEFAULTS:
            raise valid.bad("assess", k, v, f"unknown threshold.{suggest(k, DEFAULTS)} "
                            f"Known: {', '.join(DEFAULTS)}")
    t = {**DEFAULTS, **{k: valid.number("assess", k, v, 0.0, np.inf, open_=False)
                        for k, v in thresholds.items()}}
    lay = res.layout
    spec = res.spec
    names = list(spec.construct_names)
    reflective = [j for j, m in enumerate(lay.modes) if m == "A" and (lay.block_of == j).sum() > 1]
    rows = []

    outer = res.outer
    for k, (c, ind, lam) in enumerate(zip(outer.construct, outer.indicator, outer.loading)):
        if lay.block_of[k] in reflective:
            rows.append(_row("loading", f"{c}: {ind}", lam, lambda v: v >= t["loading"],
                             f">= {t['loading']:g}", _SRC["loading"]))
    q = res.quality.set_index("construct")
    lo, hi = t["reliability_min"], t["reliability_max"]
    for j in reflective:
        c = names[j]
        for crit, src in (("alpha", "reliability"), ("rho_a", "rho_a"), ("rho_c", "reliability")):
            rows.append(_row(crit, c, _num(q.loc[c, crit]), lambda v: lo <= v <= hi,
                             f"{lo:g} - {hi:g}", _SRC[src]))
        rows.append(_row("ave", c, _num(q.loc[c, "ave"]), lambda v: v >= t["ave"],
                         f">= {t['ave']:g}", _SRC["ave"]))

    R = np.asarray(res.estimate.construct_corr, dtype=float)
    for j in reflective:
        others = [i for i in range(len(names)) if i != j]
        if not others:
            continue
        ave = _num(q.loc[names[j], "ave"])
        root = math.sqrt(ave) if ave is not None and ave >= 0 else float("nan")
        worst = float(np.max(np.abs(R[j, others])))
        rows.append(_row("fornell_larcker", names[j], root, lambda v, w=worst: v > w,
                         f"sqrt(AVE) > max |r| = {worst:.3f}", _SRC["fl"]))

    H = res.htmt
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            rows.append(_row("htmt", f"{names[a]} ~ {names[b]}", _num(H.iloc[b, a]),
                             lambda v: v < t["htmt"], f"< {t['htmt']:g}", _SRC["htmt"]))

    vif = res.vif
    multi = {j for j in range(len(names)) if (lay.block_of == j).sum() > 1}
    for k, (c, ind, v) in enumerate(zip(vif.construct, vif.indicator, vif.vif)):
        if lay.block_of[k] in multi:
            rows.append(_row("vif", f"{c}: {ind}", _num(v), lambda x: x < t["vif"],
                             f"< {t['vif']:g}", _SRC["vif"]))
    ivif = res.inner_vif
    for s_, tg, v in zip(ivif.source, ivif.target, ivif.vif):
        rows.append(_row("inner_vif", f"{s_} -> {tg}", _num(v), lambda x: x < t["vif"],
                         f"< {t['vif']:g}", _SRC["vif"]))

    fit = res.fit.set_index(["model", "measure"])
    rows.append(_row("srmr", "saturated model", _num(fit.loc[("saturated", "srmr"), "value"]),
                     lambda v: v < t["srmr"], f"< {t['srmr']:g}", _SRC["srmr"]))

    df = pd.DataFrame(rows, columns=["criterion", "element", "value", "threshold", "verdict",
                                     "source"])
    df["value"] = df["value"].astype("Float64")
    return df


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)
