"""The 0-100 index, impacts and IPMA: docs/methods.md worked examples (§6.1, §6.4), ADANCO's unstandardized
scores, and exact properties (100 at the top of the scale, 0 at the bottom, item order)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import satmodel as sm
from _oracles import fit_ecsi_adanco, oracle_path
from _oracles import without_scales
from satmodel import index as idx
from satmodel.index.ipma import classify


# ------------------------------------------------------------ docs/methods.md §6.1 worked examples
def test_index_common_scale_worked_example():
    w, sd, mean = [0.40, 0.35, 0.45], [1.5, 2.0, 1.8], [8.0, 7.2, 7.5]
    one_block = np.ones((3, 1))
    index = idx.block_index(np.divide(w, sd), np.array(mean), 1.0, 10.0, one_block)[0]
    assert index == pytest.approx(73.5207496653, abs=1e-10)
    np.testing.assert_allclose(idx.index_weights(w, sd, 1, 10),
                               [0.3855421687, 0.2530120482, 0.3614457831], atol=1e-10)


def test_index_mixed_scales_both_routes():
    w, sd, mean = [0.40, 0.35, 0.45], [1.5, 0.9, 2.1], [8.0, 3.9, 7.1]
    lo, hi = np.array([1.0, 1.0, 0.0]), np.array([10.0, 5.0, 10.0])
    expected = 74.0499739719
    index = idx.block_index(np.divide(w, sd), np.array(mean), lo, hi, np.ones((3, 1)))[0]
    assert index == pytest.approx(expected, abs=1e-10)
    np.testing.assert_allclose(np.array(w) / np.array(sd), [0.266667, 0.388889, 0.214286], atol=1e-6)
    # rescaled route: items on 0-100, rescaled-metric weights
    y = 100 * (np.array(mean) - lo) / (hi - lo)
    np.testing.assert_allclose(y, [77.7778, 72.5, 71.0], atol=1e-4)
    v = idx.index_weights(w, sd, lo, hi, route="rescaled")
    np.testing.assert_allclose(v, [0.3935450, 0.2550755, 0.3513795], atol=1e-7)
    assert float(v @ y) == pytest.approx(expected, abs=1e-10)
    np.testing.assert_allclose(idx.index_weights(w, sd, lo, hi, route="raw"),
                               [0.3065693, 0.4470803, 0.2463504], atol=1e-7)


def test_block_index_is_batched():
    u = np.array([[0.4 / 1.5, 0.35 / 2.0, 0.45 / 1.8]] * 2)
    out = idx.block_index(u, np.array([[8.0, 7.2, 7.5]] * 2), np.ones(3), np.full(3, 10.0),
                          np.ones((3, 1), bool))
    np.testing.assert_allclose(out, [[73.5207496653]] * 2, atol=1e-10)


# ------------------------------------------------------------ docs/methods.md §6.4 IPMA worked example
def test_ipma_worked_example():
    imp = idx.impact([0.60, 0.40, 0.25], 15.0, [18.0, 16.0, 20.0])
    np.testing.assert_allclose(imp, [0.5, 0.375, 0.1875], rtol=0, atol=1e-15)
    table = classify(pd.DataFrame({"construct": ["QUAL", "IMAG", "VAL"], "importance": imp,
                                   "performance": [72.0, 64.0, 61.0]}))
    cut_imp, cut_perf = table.attrs["cut"]
    assert cut_imp == pytest.approx(0.3541667, abs=1e-7)
    assert cut_perf == pytest.approx(65.6667, abs=1e-4)
    assert table["quadrant"].tolist() == ["keep", "fix_first", "later"]
    assert table["quadrant_zh"].tolist() == ["优势区", "修补区", "机会区"]
    assert float(idx.impact(0.60, 15.0, 18.0, per_points=5)) == pytest.approx(2.5, abs=1e-14)
    low_high = classify(pd.DataFrame({"importance": [0.1, 0.9], "performance": [90.0, 10.0]}))
    assert low_high["quadrant"].tolist() == ["maintain", "fix_first"]
    assert low_high["quadrant_zh"].tolist() == ["维持区", "修补区"]


# ------------------------------------------------------------ ADANCO unstandardized scores
def test_respondent_index_matches_adanco_unstandardized_scores():
    """ADANCO: raw items x (weight / sd), block weights summing to 1 (0-10 metric)."""
    df = sm.datasets.load("ecsi_satisfaction")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        res = fit_ecsi_adanco(df)
    ref = pd.read_csv(oracle_path("adanco_unstandardized_scores", "unstandardized_construct_scores.csv"))
    assert list(ref["Case"]) == list(range(1, 251))
    got = res.index(per_respondent=True, scale=(0, 10)) / 10
    cols = list(res.constructs)
    np.testing.assert_allclose(got[cols].to_numpy(dtype=float), ref[cols].to_numpy(), rtol=0, atol=1e-6)


# ------------------------------------------------------------ properties on fits
@pytest.fixture(scope="module")
def mobi():
    return sm.datasets.load("ecsi_mobi")


@pytest.fixture(scope="module")
def mobi_res(mobi):
    return sm.fit_pls(sm.templates.ecsi_mobile(), mobi)


def test_index_is_mean_of_respondent_scores(mobi_res):
    per = mobi_res.index(per_respondent=True)
    np.testing.assert_allclose(per.mean().to_numpy(dtype=float),
                               mobi_res.index().to_numpy(dtype=float), atol=1e-10)
    assert list(per.index) == list(range(250))


def test_top_and_bottom_of_scale(mobi):
    spec = sm.templates.ecsi_mobile()
    for value, expected in ((10, 100.0), (1, 0.0)):
        df = mobi.copy()
        df.iloc[:, :] = value
        res = sm.fit_pls(spec, mobi)
        # the fit's weights on real data, the answers all at one end of the scale
        X = df[list(spec.indicator_names)].to_numpy(float)
        u = res.estimate.weights / res.indicator_std
        lo = np.ones(len(u)); hi = np.full(len(u), 10.0)
        scores = idx.respondent_index(X, u, lo, hi, res.layout.membership)
        np.testing.assert_allclose(scores, expected, atol=1e-10)
        assert idx.block_index(u, X[0], lo, hi, res.layout.membership) == pytest.approx(expected, abs=1e-10)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_index_invariant_to_item_order(seed, mobi, mobi_res):
    rng = np.random.default_rng(seed)
    spec = sm.templates.ecsi_mobile()
    cons = [c.model_copy(update={"indicators": [c.indicators[i] for i in rng.permutation(len(c.indicators))]})
            for c in spec.constructs]
    shuffled = spec.model_copy(update={"constructs": cons})
    res = sm.fit_pls(shuffled, mobi[list(rng.permutation(mobi.columns))])
    pd.testing.assert_series_equal(res.index(), mobi_res.index(), atol=1e-9, rtol=0)


def test_negative_weight_warns_and_gives_no_index(mobi):
    df = mobi.copy()
    df["CUEX3"] = 11 - df["CUEX3"]  # reversed but not declared: negative weight in Mode B
    spec = sm.templates.ecsi_mobile()
    cons = [c.model_copy(update={"mode": "B", "common_factor": False}) if c.name == "Expectation" else c
            for c in spec.constructs]
    res = sm.fit_pls(spec.model_copy(update={"constructs": cons}), df)
    assert (res.outer.set_index("indicator").loc["CUEX3", "weight"]) < 0
    with pytest.warns(sm.SatModelWarning, match=r"Expectation: negative weight on \['CUEX3'\]"):
        out = res.index()
    assert out.isna()["Expectation"] and not out.drop("Expectation").isna().any()
    with pytest.warns(sm.SatModelWarning):
        per = res.index(per_respondent=True)
    assert per["Expectation"].isna().all()
    forced = res.index(allow_negative=True)
    assert not forced.isna().any()


def test_no_scale_warns_and_scale_option(mobi):
    spec = without_scales(sm.templates.ecsi_mobile())
    res = sm.fit_pls(spec, mobi)
    with pytest.warns(sm.SatModelWarning, match="no declared scale"):
        assert res.index().isna().all()
    ref = sm.fit_pls(sm.templates.ecsi_mobile(), mobi).index()
    pd.testing.assert_series_equal(res.index(scale=(1, 10)), ref, atol=1e-12, rtol=0)


def test_impacts_and_ipma_consistent(mobi_res):
    imp = mobi_res.impacts("Satisfaction")
    five = mobi_res.impacts("Satisfaction", per_points=5)
    np.testing.assert_allclose(five["impact"].to_numpy(float), 5 * imp["impact"].to_numpy(float))
    m = mobi_res.ipma("Satisfaction")
    assert m.constructs["construct"].tolist() == ["Image", "Expectation", "Quality", "Value"]
    np.testing.assert_allclose(m.constructs["importance"], imp["impact"].to_numpy(float))
    index = mobi_res.index()
    np.testing.assert_allclose(m.constructs["performance"], [index[c] for c in m.constructs["construct"]])
    # item importances add up to the construct importance (rescaled weights sum to 1)
    sums = m.indicators.groupby("construct", sort=False)["importance"].sum()
    np.testing.assert_allclose(sums.to_numpy(), m.constructs["importance"].to_numpy(), atol=1e-12)


def test_ipma_plot(mobi_res):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    ax = mobi_res.ipma("Loyalty").plot()
    assert ax.get_title() == "IPMA: Customer loyalty"  # the spec's label, not the code (issue 13)
    ax = mobi_res.ipma("Loyalty").plot(level="indicator", chinese=True)
    assert len(ax.collections) == 1


def test_group_index_and_rollup(mobi, mobi_res):
    groups = np.where(np.arange(250) % 3 == 0, "a", "b")
    table = mobi_res.index(by=groups)
    sat = table[table.construct == "Satisfaction"].set_index("group")
    per = mobi_res.index(per_respondent=True)["Satisfaction"].to_numpy(float)
    assert sat.loc["a", "index"] == pytest.approx(per[groups == "a"].mean(), abs=1e-10)
    assert sat.loc["a", "n"] == 84
    # rolling the groups up with their respondent counts gives the overall index
    up = idx.rollup(sat.reset_index().assign(all="x"), "all", "n")
    assert float(up["index"][0]) == pytest.approx(float(mobi_res.index()["Satisfaction"]), abs=1e-10)


def test_fit_metric_raw_differs_and_is_a_valid_index(mobi_res):
    raw = mobi_res.index(fit_metric="raw")
    std = mobi_res.index()
    assert ((raw > 0) & (raw < 100)).all()
    assert abs(float(raw["Satisfaction"] - std["Satisfaction"])) < 5
    with pytest.raises(sm.OptionError, match="fit_metric"):
        mobi_res.index(fit_metric="lvpls")


def test_index_errors_name_the_culprit(mobi_res):
    with pytest.raises(sm.OptionError, match="Satisfacton"):
        mobi_res.index("Satisfacton")
    with pytest.raises(sm.OptionError, match="CUSA9"):
        mobi_res.index(scale={"CUSA9": (1, 10)})
    with pytest.raises(sm.OptionError, match="no drivers"):
        mobi_res.ipma("Image")
