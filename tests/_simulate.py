"""Survey data simulated from a spec (for plots and reports of models without shipped
data: ACSI, a 15-construct model). Not for numeric checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

BIG = """
IMG =~ IMG1 + IMG2 + IMG3
EXP =~ EXP1 + EXP2 + EXP3
PQ_PROD =~ PQP1 + PQP2 + PQP3
PQ_SERV =~ PQS1 + PQS2 + PQS3
PQ_STAFF =~ PQT1 + PQT2 + PQT3
PQ_DIGITAL =~ PQD1 + PQD2 + PQD3
PRICE =~ PRI1 + PRI2 + PRI3
VAL =~ VAL1 + VAL2 + VAL3
SAT =~ SAT1 + SAT2 + SAT3
COMP =~ COMP1 + COMP2 + COMP3
TRUST =~ TRU1 + TRU2 + TRU3
COMMIT =~ COM1 + COM2 + COM3
LOY =~ LOY1 + LOY2 + LOY3
WOM =~ WOM1 + WOM2 + WOM3
CHURN =~ CHU1 + CHU2 + CHU3
EXP ~ IMG
PQ_PROD ~ EXP
PQ_SERV ~ EXP
PQ_STAFF ~ EXP
PQ_DIGITAL ~ EXP
VAL ~ PQ_PROD + PQ_SERV + PRICE + EXP
SAT ~ IMG + EXP + PQ_PROD + PQ_SERV + PQ_STAFF + PQ_DIGITAL + VAL
COMP ~ SAT
TRUST ~ SAT + IMG
COMMIT ~ TRUST + SAT
LOY ~ SAT + COMP + COMMIT + IMG
WOM ~ LOY + SAT
CHURN ~ LOY
"""


def simulate(spec, n: int = 400, seed: int = 1) -> pd.DataFrame:
    """Items on their declared scales (else 1-10) from a recursive model: paths 0.6/k for k predecessors, loadings 0.8."""
    rng = np.random.default_rng(seed)
    lv: dict[str, np.ndarray] = {}
    todo = list(spec.construct_names)
    while todo:
        for c in list(todo):
            preds = spec.predecessors(c)
            if all(p in lv for p in preds):
                eta = sum((0.6 / len(preds)) * lv[p] for p in preds) if preds else 0.0
                lv[c] = eta + rng.standard_normal(n) * (0.7 if preds else 1.0)
                lv[c] = (lv[c] - lv[c].mean()) / lv[c].std()
                todo.remove(c)
    cols = {}
    for con in spec.constructs:
        for ind in con.indicators:
            lo, hi = (ind.scale_min, ind.scale_max) if ind.scale_min is not None else (1, 10)
            x = 0.8 * lv[con.name] + 0.6 * rng.standard_normal(n)
            cols[ind.name] = np.clip(np.round((lo + hi) / 2 + (hi - lo) / 5 * x), lo, hi)
    return pd.DataFrame(cols)
