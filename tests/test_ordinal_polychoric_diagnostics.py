"""Polychoric pairs that do not converge or end on the bound get a diagnostic naming the
pair; contingency tables on which the unguarded Newton iteration cycled now converge; the
weighted Spearman path is batched over resamples.

Oracle: tests/oracles/polycor_hard_tables (SOURCE.md): two-step polychoric ρ of four
tables (polycor's thresholds and likelihood, the score's root by ``uniroot`` to 1e-14),
tables on which satmodel's earlier iteration jumped between ±0.9999 and returned a value
depending on the iteration count (0.5727 instead of 0.8701 for the 2 x 2 table). Tolerance
1e-10 as for the ECSI tables in tests/test_ordinal.py: both sides solve the same score
equation, ours to |Δρ| < 1e-12.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.diagnostics import collecting
from satmodel.moments import ordinal
from satmodel.moments.core import compute_moments
from _oracles import ORACLES

CASE = ORACLES / "polycor_hard_tables"


@pytest.mark.parametrize("row", pd.read_csv(CASE / "polychoric.csv").to_dict("records"),
                         ids=lambda r: r["table"])
def test_tables_that_cycled_match_polycor(row):
    T = np.array(row["cells"].split(), dtype=float).reshape(row["rows"], row["cols"])
    rho, ok = ordinal.polychoric_status(T)
    assert bool(ok)
    assert float(rho) == pytest.approx(row["tight"], abs=1e-10)
    # polycor's own optimise() stops at ~1.2e-4 on rho
    assert float(rho) == pytest.approx(row["polychor"], abs=1.2e-4)
    # the answer no longer depends on where the iteration stops
    assert ordinal.polychoric(T, max_iter=500) == pytest.approx(row["tight"], abs=1e-10)


def _rare_pair_data() -> pd.DataFrame:
    """RARE is 2 for three respondents, all in SAT1's top level, else 1: its 2 x 11 table
    with SAT1 is ordered without a discordant pair, so the likelihood rises up to ρ = 1."""
    d = sm.datasets.load("ecsi_satisfaction")
    d["RARE"] = 1
    d.loc[d.index[d.SAT1 == d.SAT1.max()][:3], "RARE"] = 2
    return d


SPEC = sm.ModelSpec.from_lavaan("A =~ SAT1 + SAT2 + SAT3\nB =~ LOY1 + LOY2 + RARE\nB ~ A")


def test_almost_empty_pair_is_named_on_the_result():
    d = _rare_pair_data()
    before = d.copy()
    with pytest.warns(sm.SatModelWarning, match="SAT1 ~ RARE is at the bound"):
        res = sm.fit_pls(SPEC, d, correlation="polychoric")
    found = [x for x in res.diagnostics if x.code == "polychoric_at_bound"]
    assert len(found) == 1 and "SAT1 ~ RARE" in found[0].names
    assert found[0].count == len(found[0].names)  # one weighting: one case a pair
    items = list(SPEC.indicator_names)
    assert res.indicator_corr[items.index("SAT1"), items.index("RARE")] == ordinal.MAXCOR
    pd.testing.assert_frame_equal(d, before)
    # the record survives the JSON round trip
    back = sm.PLSResult.from_json(res.to_json())
    assert any(x.code == "polychoric_at_bound" for x in back.diagnostics)


def test_resamples_at_the_bound_are_one_record_with_a_count():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.fit_pls(SPEC, _rare_pair_data(), correlation="polychoric")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = res.bootstrap(n=20, seed=1, progress=False, chunk_size=7)
    bound = [x for x in boot.diagnostics
             if x.code == "polychoric_at_bound" and "bootstrap refits" in x.message]
    assert len(bound) == 1 and "SAT1 ~ RARE" in bound[0].names  # three chunks, one record
    assert bound[0].count >= 1


def test_iteration_limit_is_reported(monkeypatch):
    """A scoring run cut short (max_iter=1) is recorded as not converged, pair by pair."""
    monkeypatch.setattr(ordinal, "polychoric_status",
                        functools.partial(ordinal.polychoric_status, max_iter=1))
    X = sm.datasets.load("ecsi_satisfaction")[["SAT1", "SAT2", "LOY1"]].to_numpy(float)
    with collecting() as found:
        with pytest.warns(sm.ConvergenceWarning, match="did not converge"):
            ordinal.correlation_moments(X, "polychoric", names=["SAT1", "SAT2", "LOY1"])
    stuck = [x for x in found if x.code == "polychoric_not_converged"]
    assert stuck and set(stuck[0].names) == {"SAT1 ~ SAT2", "SAT1 ~ LOY1", "SAT2 ~ LOY1"}


def test_ordinary_items_get_no_polychoric_diagnostic():
    d = sm.datasets.load("ecsi_satisfaction")
    with collecting() as found:
        ordinal.correlation_moments(d[["SAT1", "SAT2", "SAT3", "LOY1"]].to_numpy(float),
                                    "polychoric")
    assert not [x for x in found if x.code.startswith("polychoric")]


def test_batched_weighted_spearman_equals_the_loop():
    """Ranks and correlations per resample: the batched computation against the earlier
    loop over resamples (compute_moments on each resample's own ranks); 1e-12 because both
    are the same sums in a different association order."""
    X = sm.datasets.load("ecsi_satisfaction")[["IMAG1", "SAT1", "SAT2", "LOY1"]].to_numpy(float)
    rng = np.random.default_rng(3)
    w = rng.multinomial(250, np.full(250, 1 / 250), size=(2, 3)).astype(float)  # (2, 3, n)
    w[0, 0, :5] = 0.0
    got = ordinal.correlation_moments(X, "spearman", w).corr
    ranks = ordinal._spearman_ranks(X, w)
    for i in np.ndindex(w.shape[:-1]):
        want = compute_moments(ranks[i], w[i]).corr
        np.testing.assert_allclose(got[i], want, rtol=0, atol=1e-12)
    # a resample of counts equals the replicated rows' Spearman correlation
    rows = np.repeat(np.arange(250), w[1, 2].astype(int))
    ref = pd.DataFrame(X[rows]).corr(method="spearman").to_numpy()
    np.testing.assert_allclose(got[1, 2], ref, rtol=0, atol=1e-12)
