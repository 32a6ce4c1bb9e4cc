"""A grouped fit runs a single fit's sample checks on every group (issue 11, grouped parts).

Each check is compared with what a separate fit of the group's rows does (refusal,
diagnostic code), and the grouped record must name the group. The cases are built so
the expected outcome is known without running satmodel: items never answered together
in one group, sampling weights with a known Kish effective n ((Σw)²/Σw²), a group below
the 10-times rule, and bootstraps with fewer resamples than the interval level needs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import satmodel as sm
from satmodel.errors import DataError

DF = sm.datasets.load("ecsi_satisfaction")
SPEC = sm.templates.ecsi()


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_em_group_with_items_never_answered_together_is_left_out_naming_items_and_group():
    df = DF.copy()
    male = np.flatnonzero(df.gender == "male")
    half = male[: len(male) // 2]
    df.loc[half, "SAT1"] = np.nan  # within the men, SAT1 and SAT2 never answered together
    df.loc[np.setdiff1d(male, half), "SAT2"] = np.nan
    df.loc[np.flatnonzero(df.gender == "female")[:5], "SAT1"] = np.nan  # women: fine
    with pytest.warns(sm.SatModelWarning, match="could not be fitted"):
        res = sm.fit_pls(SPEC, df, by="gender", missing="em")
    assert res.keys.gender.tolist() == ["female"]
    row = res.skipped.iloc[0]
    assert row.gender == "male" and row.code == "missing_pairs"
    assert "SAT1" in row.reason and "SAT2" in row.reason and "never answered together" in row.reason
    skipped = [d for d in res.diagnostics if d.code == "group_skipped"]
    assert skipped and "gender='male'" in skipped[0].message
    with pytest.raises(DataError, match="never answered together"):  # as a separate fit
        sm.fit_pls(SPEC, df[df.gender == "male"], missing="em")


def test_em_pairs_weighted_out_count_as_never_answered():
    """A pair answered together only by rows of weight 0 has no estimate either."""
    df = DF.assign(w=1.0)
    male = np.flatnonzero(df.gender == "male")
    df.loc[male[:50], "SAT1"] = np.nan
    df.loc[male[50:], "SAT2"] = np.nan
    df.loc[male[:2], ["SAT1", "SAT2"]] = [5.0, 5.0]  # both answered, but weight 0
    df.loc[male[:2], "w"] = 0.0
    with pytest.warns(sm.SatModelWarning):
        res = sm.fit_pls(SPEC, df, by="gender", missing="em", weights="w")
    assert res.skipped.code.tolist() == ["missing_pairs"]


def test_kish_effective_n_per_group_recorded_and_too_small_left_out():
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 2.0, len(DF))
    male = np.flatnonzero(DF.gender == "male")
    w[male] = 1e-9
    w[male[:3]] = 1.0  # Kish n_eff of the men ≈ 3 < 6 (more than the largest block's 5 items)
    df = DF.assign(w=w)
    with pytest.warns(sm.SatModelWarning):
        res = sm.fit_pls(SPEC, df, by="gender", weights="w")
    assert res.skipped.code.tolist() == ["too_few_effective"]
    assert "effective sample size" in res.skipped.reason.iloc[0]
    female = df[df.gender == "female"]
    expected = w[DF.gender == "female"].sum() ** 2 / (w[DF.gender == "female"] ** 2).sum()
    eff = [d for d in res.diagnostics if d.code == "effective_n"]
    assert len(eff) == 1 and "gender='female'" in eff[0].message
    assert eff[0].count == round(expected) and eff[0].severity == "info"
    sep = _quiet(sm.fit_pls, SPEC, female, weights="w")
    assert res["female"].diagnostics == sep.diagnostics
    with pytest.raises(DataError, match="effective sample size"):
        _quiet(sm.fit_pls, SPEC, df[df.gender == "male"], weights="w")


def test_small_group_reports_the_ten_times_rule_naming_the_group():
    df = DF.copy()
    keep = np.r_[np.flatnonzero(df.gender == "female"), np.flatnonzero(df.gender == "male")[:30]]
    df = df.iloc[keep]  # 30 men < 40 = 10 x the 4 paths into SAT
    with pytest.warns(sm.SatModelWarning, match="10-times rule"):
        res = sm.fit_pls(SPEC, df, by="gender")
    small = [d for d in res.diagnostics if d.code == "small_sample"]
    assert len(small) == 1 and small[0].message.startswith("gender='male'")
    sep = _quiet(sm.fit_pls, SPEC, df[df.gender == "male"])
    assert res["male"].diagnostics == sep.diagnostics
    assert "small_sample" in [d.code for d in sep.diagnostics]


def test_bootstrap_too_few_resamples_per_group_as_a_single_bootstrap():
    res = _quiet(sm.fit_pls, SPEC, DF, by="gender")
    with pytest.warns(sm.SatModelWarning, match="too few"):
        boot = res.bootstrap(n=40, seed=1, tables=["paths"])
    few = [d for d in boot.diagnostics if d.code == "too_few_resamples"]
    assert sorted(d.names[0] for d in few) == ["gender='female'", "gender='male'"]
    single = _quiet(res["male"].bootstrap, 40, seed=res.group_seed("male", 1), tables=["paths"])
    assert "too_few_resamples" in [d.code for d in single.diagnostics]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = res.bootstrap(n=100, seed=1, tables=["paths"])  # 100 suffice at 95 %
    assert "too_few_resamples" not in [d.code for d in ok.diagnostics]
    with pytest.warns(sm.SatModelWarning, match="too few"):
        strict = ok.conf_int(level=0.99)  # 500 needed at 99 %
    assert sum(d.code == "too_few_resamples" for d in strict.diagnostics) == 2


def test_pooled_standardization_is_refused_because_it_changes_nothing():
    """The reason given is checked: a per-group fit of items standardized with the pooled
    means and SDs equals the within-group fit (exact invariance of correlations under an
    affine map; 1e-12 allows for rounding in the rescaled data)."""
    with pytest.raises(sm.OptionError, match="change nothing"):
        sm.fit_pls(SPEC, DF, by="gender", standardize="pooled")
    items = list(SPEC.indicator_names)
    pooled = DF.copy()
    pooled[items] = (DF[items] - DF[items].mean()) / DF[items].std()
    res = _quiet(sm.fit_pls, SPEC, DF, by="gender")
    for g in ("female", "male"):
        z = _quiet(sm.fit_pls, SPEC, pooled[pooled.gender == g], scales={i: (-50, 50) for i in items})
        np.testing.assert_allclose(z.paths.estimate, res[g].paths.estimate, rtol=0, atol=1e-12)
        np.testing.assert_allclose(z.outer[["weight", "loading"]], res[g].outer[["weight", "loading"]],
                                   rtol=0, atol=1e-12)


def test_sign_diagnostics_of_each_group_equal_a_separate_fit():
    """Paths with the opposite of their expected sign (every ECSI path is expected '+',
    and EXPE -> SAT is near 0, so some of 16 random groups of ~60 rows turn negative)."""
    assert all(p.expected_sign == "+" for p in SPEC.paths)
    df = DF.assign(unit=np.random.default_rng(4).integers(0, 16, len(DF)))
    res = _quiet(sm.fit_pls, SPEC, df, by="unit")
    flagged = 0
    for unit in res.keys.unit:
        own = _quiet(sm.fit_pls, SPEC, df[df.unit == unit])
        mine = [(d.message, d.names) for d in res[unit].diagnostics if d.code == "sign"]
        theirs = [(d.message, d.names) for d in own.diagnostics if d.code == "sign"]
        assert mine == theirs
        flagged += bool(theirs)
    assert 0 < flagged < len(res.keys)  # the case tests both branches
