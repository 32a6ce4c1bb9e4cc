"""Review fixes: the grouped fit's two-thread path (``groups.batch.in_halves``).

A grouped fit of many groups splits them into two halves on two threads (the pooled
moments and the engine call); each group's estimate is its own fit's, so it must equal a
separate fit of the group's rows. 1e-12: the batched engine's order of operations differs
from a single fit's (observed ~1e-15, rounding), values are of order 1. The thread count
and the group threshold are patched so the threaded path runs on any runner with few
groups (unpatched it needs two usable cores and 128 groups)."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pandas as pd

import satmodel as sm
import satmodel._threads as threads_mod
from satmodel.groups import batch

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")


def _panel(groups=6, n=120, seed=0):
    rng = np.random.default_rng(seed)
    parts = [DF.iloc[rng.integers(0, len(DF), n)].assign(company=f"C{g}") for g in range(groups)]
    out = pd.concat(parts, ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def test_grouped_fit_on_two_threads_equals_separate_fits(monkeypatch):
    threads = []  # the thread each helper half ran on
    real = threads_mod.on_helper

    def counted(fn, *args):
        return real(lambda *a: threads.append(threading.current_thread().name) or fn(*a),
                    *args)

    monkeypatch.setattr(threads_mod, "on_helper", counted)
    monkeypatch.setattr(batch, "MIN_GROUPS_PER_THREAD", 2)  # 6 groups: halves of 3
    monkeypatch.setattr(batch, "usable_cores", lambda: 2)
    panel = _panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grouped = sm.fit_pls(SPEC, panel, by="company")
    # the two-thread path ran: halves on the helper thread (moments, then the engine)
    assert len(threads) == 2 and all(t.startswith("satmodel-helper") for t in threads)
    assert grouped.n_groups == 6
    for name in ("paths", "outer", "effects", "r2", "quality", "htmt_pairs"):
        stacked = grouped.table(name)
        for company in sorted(panel.company.unique()):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sep = sm.fit_pls(SPEC, panel[panel.company == company]).table(name)
            mine = stacked[stacked.company == company].drop(columns=["company"])
            num = sep.select_dtypes("number").columns.difference(["n"])
            np.testing.assert_allclose(mine[num].to_numpy(float), sep[num].to_numpy(float),
                                       rtol=0, atol=1e-12, equal_nan=True)
