"""Permutation test of group differences on the batched path."""

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")


def test_group_estimates_equal_separate_fits():
    out = sm.permutation_test(SPEC, DF, group="gender", n=20, seed=1)
    for label in ("female", "male"):
        sub = sm.fit_pls(SPEC, DF[DF.gender == label])
        np.testing.assert_allclose(out[f"estimate_{label}"], sub.paths.estimate, atol=1e-10)
    np.testing.assert_allclose(out["diff"], out.estimate_female - out.estimate_male)
    assert ((out.p > 0) & (out.p <= 1)).all()


def test_p_values_detect_a_real_difference_and_not_a_fake_one():
    """Group 'b' gets LOY items that ignore SAT: SAT -> LOY differs strongly; a random split
    of identical data gives no small p-values beyond chance."""
    rng = np.random.default_rng(0)
    df = DF.copy()
    labels = np.where(np.arange(len(df)) % 2 == 0, "a", "b")
    for item in ("LOY1", "LOY2", "LOY3", "LOY4"):
        df.loc[labels == "b", item] = rng.permutation(df.loc[labels == "b", item].to_numpy())
    out = sm.permutation_test(SPEC, df, group=labels, n=199, seed=3).set_index(["source", "target"])
    assert out.loc[("SAT", "LOY"), "p"] <= 0.01
    fake = sm.permutation_test(SPEC, DF, group=rng.permutation(labels), n=199, seed=3)
    assert (fake.p > 0.01).all()


def test_reproducible_and_other_tables():
    a = sm.permutation_test(SPEC, DF, group="gender", n=50, seed=9, table="outer", column="loading")
    b = sm.permutation_test(SPEC, DF, group="gender", n=50, seed=9, table="outer", column="loading")
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns[:2]) == ["construct", "indicator"]


def test_errors_name_the_culprit():
    with pytest.raises(sm.DataError, match="genre"):
        sm.permutation_test(SPEC, DF, group="genre", n=10)
    with pytest.raises(sm.DataError, match="2 distinct"):
        sm.permutation_test(SPEC, DF, group=np.arange(250) % 3, n=10)
    with pytest.raises(sm.OptionError, match="table"):
        sm.permutation_test(SPEC, DF, group="gender", n=10, table="nope")


def test_groups_get_the_fit_options_missing_data_and_weights():
    rng = np.random.default_rng(0)
    df = DF.copy()
    df.loc[rng.choice(250, 12, replace=False), "SAT1"] = np.nan
    out = sm.permutation_test(SPEC, df, group="gender", n=20, seed=1, missing="casewise",
                              missing_warn=0.5)
    kept = df.dropna(subset=["SAT1"])
    sub = sm.fit_pls(SPEC, kept[kept.gender == "male"])
    np.testing.assert_allclose(out.estimate_male, sub.paths.estimate, atol=1e-10)
    w = rng.uniform(0.5, 2.0, 250)
    out_w = sm.permutation_test(SPEC, DF, group="gender", n=20, seed=1, weights=w)
    assert not np.allclose(out_w.estimate_male, sm.permutation_test(
        SPEC, DF, group="gender", n=20, seed=1).estimate_male)


def test_index_differences_between_groups():
    out = sm.permutation_test(SPEC, DF, group="gender", n=30, seed=2, table="index")
    for label in ("female", "male"):
        direct = sm.fit_pls(SPEC, DF[DF.gender == label]).index().astype(float)
        np.testing.assert_allclose(out[f"estimate_{label}"], direct.to_numpy(), atol=1e-10)
