"""Missing codes, scales, reverse items, missing-data treatments and sampling weights
(issue 6, parts 2-4): exact properties and the bootstrap contract of survey_moments."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import satmodel as sm
from _oracles import without_scales
from satmodel.survey import prepare
from satmodel.moments import survey_moments
from satmodel.moments import compute_moments

SPEC = sm.templates.ecsi_mobile()
DF = sm.datasets.load("ecsi_mobi")
ITEMS = list(SPEC.indicator_names)
BASE = sm.fit_pls(SPEC, DF)


def _same(a, b, atol=1e-12, scores=True):
    for name in ("paths", "outer", "effects"):
        ta, tb = getattr(a, name), getattr(b, name)
        num = ta.select_dtypes("number").columns
        np.testing.assert_allclose(ta[num].to_numpy(float), tb[num].to_numpy(float), atol=atol, rtol=0)
    np.testing.assert_allclose(a.r2.to_numpy(), b.r2.to_numpy(), atol=atol, rtol=0)
    q = ["alpha", "rho_a", "rho_c", "ave"]
    np.testing.assert_allclose(a.quality[q].to_numpy(float), b.quality[q].to_numpy(float), atol=atol, rtol=0)
    np.testing.assert_allclose(a.indicator_mean, b.indicator_mean, atol=atol, rtol=0)
    np.testing.assert_allclose(a.index().to_numpy(float), b.index().to_numpy(float), atol=atol, rtol=0)
    if scores:
        np.testing.assert_allclose(a.scores.to_numpy(), b.scores.to_numpy(), atol=atol, rtol=0)


# ------------------------------------------------------------------ sampling weights
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_integer_weights_equal_replicated_rows(seed):
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 4, size=len(DF))
    weighted = sm.fit_pls(SPEC, DF, weights=w)
    replicated = sm.fit_pls(SPEC, DF.loc[DF.index.repeat(w)].reset_index(drop=True))
    # every standardized estimate, the means and the index; not SDs or n_obs: weights are
    # rescaled to sum to the number of respondents (PLSOptions.weights)
    _same(weighted, replicated, atol=1e-12, scores=False)
    per_w = weighted.index(per_respondent=True).to_numpy(float)
    per_r = replicated.index(per_respondent=True).to_numpy(float)
    np.testing.assert_allclose(np.repeat(per_w, w, axis=0), per_r, atol=1e-10, rtol=0)


@settings(max_examples=10, deadline=None)
@given(c=st.floats(0.01, 100.0))
def test_equal_weights_equal_unweighted(c):
    res = sm.fit_pls(SPEC, DF, weights=np.full(len(DF), c))
    _same(res, BASE, atol=1e-12)
    np.testing.assert_allclose(res.indicator_std, BASE.indicator_std, rtol=1e-13)
    assert res.n_obs == BASE.n_obs


def test_weights_by_column_name_and_errors():
    df = DF.assign(w=np.linspace(0.5, 1.5, len(DF)))
    res = sm.fit_pls(SPEC, df, weights="w")
    assert res.survey_options.weights == "w"
    arr = sm.fit_pls(SPEC, DF, weights=df["w"].to_numpy())
    assert arr.survey_options.weights == "<array>"
    _same(res, arr, atol=0)
    assert abs(res.paths.estimate - BASE.paths.estimate).max() > 1e-4  # weights matter
    with pytest.raises(sm.DataError, match="'wt'"):
        sm.fit_pls(SPEC, df, weights="wt")
    bad = df.copy()
    bad.loc[3, "w"] = -1
    with pytest.raises(sm.DataError, match="negative"):
        sm.fit_pls(SPEC, bad, weights="w")
    bad.loc[3, "w"] = np.nan
    with pytest.raises(sm.DataError, match=r"missing or infinite value\(s\), in row 4 \(counting from 1\)"):
        sm.fit_pls(SPEC, bad, weights="w")
    with pytest.raises(sm.DataError, match="one weight per respondent"):
        sm.fit_pls(SPEC, DF, weights=np.ones(3))


def test_weighted_bootstrap_moments_carry_the_weights():
    w = np.random.default_rng(3).uniform(0.5, 2, len(DF))
    res = sm.fit_pls(SPEC, DF, weights=w)
    counts = np.random.default_rng(4).multinomial(len(DF), np.full(len(DF), 1 / len(DF)), size=2)
    mom = survey_moments(res.survey, counts)
    wn = w * len(w) / w.sum()
    for b in range(2):
        direct = compute_moments(DF[ITEMS].to_numpy(float), counts[b] * wn)
        np.testing.assert_allclose(mom.corr[b], direct.corr, atol=1e-13)


# ------------------------------------------------------------------ missing data
def _holes(seed, share=0.05):
    rng = np.random.default_rng(seed)
    df = DF.copy()
    mask = rng.random((len(df), len(ITEMS))) < share
    vals = df[ITEMS].to_numpy(float).copy()
    vals[mask] = np.nan
    df[ITEMS] = vals
    return df


def test_complete_data_treatments_equal_complete_fit():
    for missing in ("casewise", "mean", "pairwise", "em"):
        _same(sm.fit_pls(SPEC, DF, missing=missing), BASE, atol=1e-12)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), missing=st.sampled_from(["mean", "pairwise", "em"]))
def test_bootstrap_moments_repeat_the_treatment(seed, missing):
    """survey_moments(counts) == the treatment applied to the replicated rows."""
    df = _holes(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        res = sm.fit_pls(SPEC, df, missing=missing)
    counts = np.random.default_rng(seed).multinomial(len(df), np.full(len(df), 1 / len(df)))
    batched = survey_moments(res.survey, counts[None])
    rows = df.loc[df.index.repeat(counts)].reset_index(drop=True)
    direct = survey_moments(prepare(SPEC, rows, missing=missing))
    np.testing.assert_allclose(batched.corr[0], direct.corr, atol=1e-9)
    np.testing.assert_allclose(batched.mean[0], direct.mean, atol=1e-9)


def test_mean_replacement_equals_imputing_first():
    df = _holes(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        res = sm.fit_pls(SPEC, df, missing="mean")
    imputed = df.fillna(df[ITEMS].mean())
    _same(res, sm.fit_pls(SPEC, imputed), atol=1e-12)


def test_pairwise_equals_pandas_pairwise_correlations():
    df = _holes(8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        res = sm.fit_pls(SPEC, df, missing="pairwise")
    np.testing.assert_allclose(res.indicator_corr, df[ITEMS].corr().to_numpy(), atol=1e-13)
    np.testing.assert_allclose(res.indicator_std, df[ITEMS].std().to_numpy(), atol=1e-13)


def test_em_on_monotone_bivariate_closed_form():
    """Monotone pattern (x complete, y partly missing): the ML estimates are closed-form
    (Anderson 1957): mu_y = ybar_c + b (xbar - xbar_c), b from the complete pairs."""
    from satmodel.moments.missing import em_moments
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    y = 0.6 * x + rng.normal(size=60)
    y[40:] = np.nan
    m = em_moments(np.column_stack([x, y]))
    c = ~np.isnan(y)
    b = np.cov(x[c], y[c], bias=True)[0, 1] / np.var(x[c])
    mu_y = y[c].mean() + b * (x.mean() - x[c].mean())
    s_yy_c = np.var(y[c]) - b**2 * np.var(x[c])
    var_y = s_yy_c + b**2 * np.var(x)
    assert m.mean[1] == pytest.approx(mu_y, abs=1e-8)
    assert m.std[1] ** 2 * 59 / 60 == pytest.approx(var_y, abs=1e-8)
    assert m.corr[0, 1] == pytest.approx(b * np.var(x) / np.sqrt(var_y * np.var(x)), abs=1e-8)


def test_casewise_drops_rows_and_reports():
    df = _holes(9, share=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        res = sm.fit_pls(SPEC, df, missing="casewise")
    complete = df.dropna(subset=ITEMS)
    _same(res, sm.fit_pls(SPEC, complete), atol=1e-12)
    rep = res.missing_report
    assert rep.attrs["rows_dropped"] == len(df) - len(complete)
    assert rep["missing"].tolist() == df[ITEMS].isna().sum().tolist()
    assert list(res.scores.index) == list(complete.index)


def test_missing_share_warning_and_threshold():
    df = _holes(10, share=0.08)
    with pytest.warns(sm.SatModelWarning, match="missing_warn=0.05"):
        sm.fit_pls(SPEC, df, missing="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SatModelWarning)
        sm.fit_pls(SPEC, df, missing="mean", missing_warn=0.5)


def test_na_codes_per_item_and_global():
    df = DF.copy()
    df.loc[[2, 5], "CUSA1"] = 99
    df.loc[[7], "PERQ3"] = -9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        res = sm.fit_pls(SPEC, df, na_values={"CUSA1": 99, "PERQ3": [-9]}, missing="mean")
    rep = res.missing_report.set_index("indicator")
    assert rep.loc["CUSA1", "coded"] == 2 and rep.loc["PERQ3", "coded"] == 1
    assert rep["missing"].sum() == 3
    with pytest.raises(sm.DataError, match=r"CUSA1 .*outside its scale 1-10 \(99\), in rows 3, 6 \(counting from 1\)"):
        sm.fit_pls(SPEC, df, na_values={"PERQ3": [-9]}, missing="mean")
    with pytest.raises(sm.OptionError, match="CUSA9"):
        sm.fit_pls(SPEC, df, na_values={"CUSA9": 99})
    with pytest.raises(sm.DataError, match="missing='error'"):
        sm.fit_pls(SPEC, df, na_values=[99, -9])


def test_caller_data_unchanged():
    df = _holes(11)
    df.loc[0, "CUSA1"] = -99
    before = df.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        sm.fit_pls(SPEC, df, missing="em", na_values=-99, reverse=["CUEX3"],
                   weights=np.ones(len(df)))
    pd.testing.assert_frame_equal(df, before)


# ------------------------------------------------------------------ reverse-coded items
@settings(max_examples=6, deadline=None)
@given(items=st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4, unique=True),
       missing=st.sampled_from(["error", "mean", "em"]))
def test_reverse_coded_and_declared_changes_nothing(items, missing):
    df = DF if missing == "error" else _holes(12)
    flipped = df.copy()
    flipped[items] = 11 - flipped[items]  # 1-10 scale: x' = 1 + 10 - x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        a = sm.fit_pls(SPEC, df, missing=missing)
        b = sm.fit_pls(SPEC, flipped, missing=missing, reverse=items)
    _same(a, b, atol=1e-11)


def test_reverse_needs_a_scale():
    spec = without_scales(SPEC)
    with pytest.raises(sm.OptionError, match="CUEX3.*no declared scale"):
        sm.fit_pls(spec, DF, reverse=["CUEX3"])
    with pytest.raises(sm.OptionError, match="CUEX4"):
        sm.fit_pls(SPEC, DF, reverse=["CUEX4"])


def test_expected_sign_warning():
    df = DF.copy()
    df["CUSCO"] = 11 - df["CUSCO"]  # complaint handling reversed: Satisfaction -> Complaints < 0
    with pytest.warns(sm.SatModelWarning, match=r"Satisfaction -> Complaints = -0\.\d+ \(expected \+\)"):
        sm.fit_pls(SPEC, df)
