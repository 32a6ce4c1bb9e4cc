"""Every table name of a staged result (higher-order constructs, interaction terms) gives
the user's model or a clear NotAvailableError (issue 14): ``table("index")`` is the
staged index (higher-order constructs through their components' items, checked against a
hand computation in tests/test_hoc_index.py), not the last stage's index of component
scores; ``gof`` is refused; every other table names only constructs of the user's model,
as the user wrote them, and equals the matching property."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

DF = sm.datasets.load("ecsi_satisfaction")
TEXT = """
    QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
    IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
    PERF =~ QUAL + VAL
    SAT ~ PERF + IMAG; LOY ~ SAT + IMAG + SAT:IMAG"""
SCALED = "\n".join(f"# satmodel: {c} scale=0..10" for c in ("QUAL", "VAL", "SAT", "IMAG", "LOY"))


@pytest.fixture(scope="module", params=["two_stage", "repeated_indicators"])
def staged(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = sm.ModelSpec.from_lavaan(TEXT + "\n" + SCALED)
        res = sm.fit_pls(spec, DF, hoc=request.param, interaction="two_stage")
        return res, res.bootstrap(n=50, seed=1, progress=False)


def _user_names(res) -> set[str]:
    user = res.plan.spec
    return {*user.construct_names, *(h.name for h in user.higher_order), *user.interactions}


def test_index_table_is_the_users_index(staged):
    for res in staged:
        tab = res.table("index")
        idx = res.index()
        assert list(tab.construct) == list(idx.index)  # QUAL, VAL and PERF, SAT:IMAG too
        assert {"QUAL", "VAL", "PERF", "SAT:IMAG"} <= set(tab.construct)
        np.testing.assert_array_equal(tab["index"].to_numpy(dtype=float, na_value=np.nan),
                                      idx.to_numpy(dtype=float, na_value=np.nan))
        assert 0 < float(idx["PERF"]) < 100 and pd.isna(idx["SAT:IMAG"])
        assert list(tab.columns) == ["construct", "index"]  # no bootstrap columns (below)
    with pytest.raises(sm.NotAvailableError, match="'index'"):
        staged[1].draws("index")


def test_gof_refused(staged):
    for res in staged:
        with pytest.raises(sm.NotAvailableError, match="gof"):
            res.table("gof")
        with pytest.raises(sm.NotAvailableError, match="gof"):
            res.gof


@pytest.mark.parametrize("name", [n for n in sm.PLSResult.TABLE_NAMES if n not in ("index", "gof")])
def test_other_tables_use_the_users_constructs(staged, name):
    users = _user_names(staged[0])
    for res in staged:
        tab = res.table(name)
        assert len(tab)
        for col in ("source", "target", "construct"):
            if col in tab.columns:
                assert set(tab[col]) <= users, (name, col, set(tab[col]) - users)
        if name in ("paths", "outer", "effects", "quality", "vif", "inner_vif", "fit"):
            pd.testing.assert_frame_equal(getattr(res, name).reset_index(drop=True), tab)


# ------------------------------------------------------------ components' rows (seminr)
PLAIN = """
    QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
    IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
    PERF =~ QUAL + VAL
    SAT ~ PERF + IMAG; LOY ~ SAT + IMAG"""


def test_measurement_tables_add_the_components_as_seminr_does():
    """seminr's final outer/quality/vif of a two-stage model hold the components' stage-1
    rows (tests/test_hoc_seminr.py compares them with seminr); cSEM's hold the second
    stage only (tests/test_hoc_csem.py); repeated indicators need no addition."""
    spec = sm.ModelSpec.from_lavaan(PLAIN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seminr = sm.fit_pls(spec, DF, hoc="two_stage")
        csem = sm.fit_pls(spec, DF, hoc="two_stage", hoc_convention="csem")
    for name in ("outer", "quality", "vif"):
        tab = seminr.table(name)
        assert list(dict.fromkeys(tab.construct)) == ["QUAL", "VAL", "SAT", "IMAG", "LOY",
                                                     "PERF"]  # the user's order
        first = seminr.stages[0].table(name)
        for comp in ("QUAL", "VAL"):
            pd.testing.assert_frame_equal(tab[tab.construct == comp].reset_index(drop=True),
                                          first[first.construct == comp].reset_index(drop=True))
        assert not {"QUAL", "VAL"} & set(csem.table(name).construct)


def test_components_rows_are_bootstrapped_on_the_same_resamples():
    """The components' rows after a bootstrap are stage 1's bootstrap on the resamples of
    the staged one: the same seed gives the same row weights, so they equal (to rounding)
    the bootstrap of stage 1 fitted as an ordinary first-order model with that seed."""
    spec = sm.ModelSpec.from_lavaan(PLAIN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.fit_pls(spec, DF, hoc="two_stage")
        boot = res.bootstrap(n=60, seed=5, progress=False)
        plain = sm.fit_pls(res.stages[0].spec, DF).bootstrap(n=60, seed=5, progress=False,
                                                               tables=["outer"])
    ours = boot.outer.set_index(["construct", "indicator"]).loc[["QUAL", "VAL"]]
    theirs = plain.outer.set_index(["construct", "indicator"]).loc[["QUAL", "VAL"]]
    for col in ("loading", "loading_se", "weight_ci_lower", "weight_ci_upper"):
        np.testing.assert_allclose(ours[col].to_numpy(float), theirs[col].to_numpy(float),
                                   rtol=0, atol=1e-12)
    bca = boot.conf_int(0.9, "bca")  # stage 1's intervals follow the new method and level
    first = bca.outer.set_index(["construct", "indicator"]).loc[("QUAL", "QUAL1")]
    ref = plain.conf_int(0.9, "bca").outer.set_index(["construct", "indicator"]).loc[
        ("QUAL", "QUAL1")]
    assert abs(first.loading_ci_lower - ref.loading_ci_lower) < 1e-12
    back = sm.StagedPLSResult.from_json(boot.to_json())  # the rows' summaries travel too
    pd.testing.assert_frame_equal(back.outer, boot.outer)
