"""Multigroup analysis (compare_groups) and MICOM against cSEM's testMGD / testMICOM.

The references are CSV files in ``tests/oracles/csem_mga_gender/`` (two groups: gender)
and ``tests/oracles/csem_mga_three/`` (three groups), made by the R script beside them;
their SOURCE.md gives the settings and argues every tolerance used here:

- deterministic numbers (group estimates, Chin's differences, Klesel's distances,
  MICOM's c, mean differences and log variance ratios): 1e-6;
- cSEM's formulas applied to cSEM's own bootstrap draws (Henseler's probability,
  Sarstedt's F, Keil's and Nitzl's t, df and p; R's p.adjust): 1e-10;
- Monte-Carlo p-values: Z = 4.5 standard deviations of the difference of two independent
  resampling estimates (binomial for permutation shares, a U-statistic bound for
  Henseler's probability, the delta method through the bootstrap SEs for the t tests).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _oracles import ECSI_SATISFACTION, read_oracle
from scipy import stats

import satmodel as sm
from satmodel.groups import compare_groups, micom
from satmodel.groups.mga_stats import (
    henseler_probability,
    keil_t,
    nitzl_t,
    p_adjust,
    sarstedt_f,
    t_p_value,
)

Z = 4.5  # standard deviations of Monte-Carlo error allowed
B_R = 2000  # permutations / bootstrap draws per group of the R main runs
B_PERM = 500  # permutations here
B_BOOT = 2000  # bootstrap draws per group here (Sarstedt's F grows with B: same B as R)
B_MICOM = 1000
OPTIONS = {"tol": 1e-12, "max_iter": 1000}  # cSEM ran with .tolerance = 1e-12
CASES = {"csem_mga_gender": "gender", "csem_mga_three": "three"}
SPEC = sm.ModelSpec.from_lavaan(ECSI_SATISFACTION)


def labels_of(case: str) -> np.ndarray:
    gender = sm.datasets.load("ecsi_satisfaction").gender.to_numpy()
    if CASES[case] == "gender":
        return gender
    k = np.cumsum(gender == "female")  # as the R script: women alternately a / b
    return np.where(gender == "male", "male", np.where(k % 2 == 1, "female_a", "female_b"))


@pytest.fixture(scope="module")
def pooled():
    data = sm.datasets.load("ecsi_satisfaction").drop(columns=["gender"])
    return sm.fit_pls(SPEC, data, **OPTIONS)


@pytest.fixture(scope="module", params=list(CASES))
def case(request, pooled):
    name = request.param
    out = compare_groups(pooled.spec, pooled.refit, labels_of(name), n=B_PERM, n_boot=B_BOOT,
                         seed=11, correction="holm")
    out["key"] = out.group_1.fillna("") + "_" + out.group_2.fillna("")
    out.loc[out.comparison == "all", "key"] = "all"
    ref = read_oracle(name, "mgd.csv")
    ref["method"] = ref.test.str.lower()
    return name, out, ref


def merged(out: pd.DataFrame, ref: pd.DataFrame, method: str) -> pd.DataFrame:
    mine = out[out.method == method].set_index(["key", "name"])
    theirs = ref[ref.method == method].set_index(["comparison", "name"])
    theirs.index.names = ["key", "name"]
    assert len(mine) == len(theirs) and set(mine.index) == set(theirs.index)
    return mine.join(theirs, how="inner", suffixes=("", "_r"))


def mc_tolerance(p: np.ndarray, b_1: float, b_2: float) -> np.ndarray:
    """Z SDs of the difference of two independent binomial shares (p floored at 1/B)."""
    q = np.clip(p, 1.0 / b_2, 1 - 1.0 / b_2)
    return Z * np.sqrt(q * (1 - q) * (1 / b_1 + 1 / b_2)) + 1.0 / b_2


# ------------------------------------------------------------------ deterministic numbers

def test_group_estimates_match_csem(case, pooled):
    name, _, _ = case
    out = compare_groups(pooled.spec, pooled.refit, labels_of(name), method="chin", n=2,
                         parameters=("paths", "loadings", "weights"))
    ref = read_oracle(name, "group_estimates.csv")
    for group, part in ref.groupby("group"):
        mine = out.drop_duplicates("name").set_index("name")[f"estimate_{group}"]
        np.testing.assert_allclose(mine.loc[part.name].to_numpy(), part.estimate, rtol=0,
                                   atol=1e-6, err_msg=f"{name} {group}")


def test_chin_differences_and_klesel_distances_match_csem(case):
    _, out, ref = case
    for method in ("chin", "klesel"):
        m = merged(out, ref, method)
        np.testing.assert_allclose(m.statistic, m.statistic_r, rtol=0, atol=1e-6)
    chin = merged(out, ref, "chin")
    np.testing.assert_allclose(chin["diff"], chin.statistic_r, rtol=0, atol=1e-6)


def test_keil_df_matches_csem(case):
    _, out, ref = case
    m = merged(out, ref, "keil").dropna(subset=["df_r"])
    assert len(m) and (m.df == m.df_r).all()


# ------------------------------------------------------------------ cSEM's formulas on cSEM's draws

@pytest.mark.parametrize("name", list(CASES))
def test_formulas_reproduce_csem_from_its_own_draws(name):
    draws = read_oracle(name, "formula_bootstrap_paths.csv")
    est = read_oracle(name, "group_estimates.csv").set_index(["group", "name"]).estimate
    ref = read_oracle(name, "formula_mgd.csv")
    groups = sorted(draws.group.unique())
    params = [c for c in draws.columns if c not in ("group", "draw")]
    boot = {g: draws[draws.group == g][params].to_numpy() for g in groups}
    theta = {g: est.loc[g].loc[params].to_numpy() for g in groups}
    n_obs = dict(zip(*np.unique(labels_of(name), return_counts=True)))

    sar = ref[ref.test == "Sarstedt"].set_index("name").loc[params]
    stacked = np.concatenate([boot[g] for g in groups])
    ids = np.repeat(np.arange(len(groups)), [len(boot[g]) for g in groups])
    np.testing.assert_allclose(sarstedt_f(stacked, ids, len(groups)), sar.statistic, rtol=1e-10)
    for a_i, a in enumerate(groups):
        for b in groups[a_i + 1:]:
            key = f"{a}_{b}"
            diff = theta[a] - theta[b]
            se_a, se_b = boot[a].std(0, ddof=1), boot[b].std(0, ddof=1)
            for test, fn in (("Keil", keil_t), ("Nitzl", nitzl_t)):
                r = ref[(ref.test == test) & (ref.comparison == key)].set_index("name").loc[params]
                t, df = fn(diff, se_a, se_b, n_obs[a], n_obs[b])
                np.testing.assert_allclose(t, r.statistic, rtol=1e-10, err_msg=f"{test} {key}")
                np.testing.assert_allclose(t_p_value(t, df), r.p_none, rtol=1e-9, atol=1e-14)
                if r.df.notna().all():
                    np.testing.assert_array_equal(np.broadcast_to(df, t.shape), r.df)
            centred = {g: boot[g] - (boot[g].mean(0) - theta[g]) for g in (a, b)}
            r = ref[(ref.test == "Henseler") & (ref.comparison == key)].set_index("name").loc[params]
            np.testing.assert_allclose(henseler_probability(centred[a], centred[b]), r.statistic,
                                       rtol=0, atol=1e-12)


def test_p_adjust_matches_r():
    ref = read_oracle("csem_mga_gender", "p_adjust.csv")
    for method in ("bonferroni", "holm", "hochberg", "hommel", "BH", "BY"):
        np.testing.assert_allclose(p_adjust(ref.p.to_numpy(), method), ref[method], rtol=1e-12,
                                   err_msg=method)


def test_corrections_grouped_as_csem(case):
    """Holm over all comparisons x parameters (Chin, Keil, Nitzl), over parameters (Sarstedt)."""
    _, _, ref = case
    for test in ("Chin", "Keil", "Nitzl", "Sarstedt"):
        r = ref[ref.test == test]
        np.testing.assert_allclose(p_adjust(r.p_none.to_numpy(), "holm"), r.p_holm, atol=1e-12)


# ------------------------------------------------------------------ Monte-Carlo agreement

def test_permutation_p_values_within_monte_carlo_error(case):
    _, out, ref = case
    for method in ("chin", "klesel", "sarstedt"):
        m = merged(out, ref, method)
        tol = mc_tolerance(m.p_none.to_numpy(), B_R, B_PERM)
        assert (np.abs(m.p - m.p_none) <= tol).all(), (method, (m.p - m.p_none).abs().max())


def test_henseler_probability_within_monte_carlo_error(case):
    _, out, ref = case
    m = merged(out, ref, "henseler")
    P = np.clip(m.statistic_r.to_numpy(), 1 / B_BOOT, 1 - 1 / B_BOOT)
    tol = Z * np.sqrt(P * (1 - P) * (2 / B_R + 2 / B_BOOT))
    assert (np.abs(m.statistic - m.statistic_r) <= tol).all()


@pytest.mark.parametrize("method", ["keil", "nitzl"])
def test_t_tests_within_monte_carlo_error(case, method):
    """t depends on the data through the bootstrap SEs: relative MC SD of an SE from B
    draws <= sqrt(1/B) (kurtosis up to 5), so t within Z sqrt(1/B_R + 1/B) relatively and
    p within 2 f(t) |t| times that (delta method)."""
    _, out, ref = case
    m = merged(out, ref, method)
    rel = Z * np.sqrt(1 / B_R + 1 / B_BOOT)
    np.testing.assert_allclose(m.statistic, m.statistic_r, rtol=rel)
    df = m.df.to_numpy()
    t = np.abs(m.statistic_r.to_numpy())
    tol = 2 * stats.t.pdf(t, df) * t * rel + 1e-12
    assert (np.abs(m.p - m.p_none) <= tol).all()


@pytest.mark.parametrize("name", list(CASES))
def test_group_bootstrap_se_within_monte_carlo_error(name, pooled):
    """Within-group resampling: each group's SEs as cSEM's (relative SD of an SE from B
    draws <= sqrt(1/B) for kurtosis up to 5)."""
    from satmodel.groups.draws import GroupBootstrap, group_codes
    from satmodel.groups.mga import _bootstrap_evaluator
    from satmodel.groups.parameters import select_parameters
    from satmodel.inference.driver import run

    levels, codes = group_codes(labels_of(name), "test")
    params = select_parameters(SPEC, ("paths", "loadings"), "test")
    draws = run(GroupBootstrap(B_BOOT, codes, len(levels), np.random.default_rng(8)),
                _bootstrap_evaluator(SPEC, pooled.refit, params, len(levels)),
                pooled.refit.bytes_per_fit)
    se = draws.values["boot"]["v"].std(axis=0, ddof=1)  # (G, k)
    ref = read_oracle(name, "bootstrap_se.csv")
    for g, level in enumerate(levels):
        part = ref[ref.group == level].set_index("name").se.loc[params.keys.name]
        np.testing.assert_allclose(se[g], part, rtol=Z * np.sqrt(1 / B_R + 1 / B_BOOT))


def test_resampling_draws_do_not_depend_on_chunks():
    """The group bootstrap and the group shuffles give the same draws however the driver
    chunks them (so parallel chunks and chunk_size= never change a seeded result)."""
    from satmodel.groups.draws import GroupBootstrap, GroupShuffles

    codes = np.repeat([0, 1, 2], [5, 7, 4])
    for kind in (GroupBootstrap, GroupShuffles):
        whole = kind(6, codes, 3, np.random.default_rng(4)).draw(6)
        parts = kind(6, codes, 3, np.random.default_rng(4))
        a, b = parts.draw(2), parts.draw(4)
        # group-major chunks (G * size, n): regroup to (size, G, n) before joining
        def draws(x, size):
            return np.swapaxes(x.reshape(3, size, -1), 0, 1)
        np.testing.assert_array_equal(np.concatenate([draws(a, 2), draws(b, 4)]),
                                      draws(whole, 6))


def test_compare_groups_and_micom_same_on_one_or_two_threads(monkeypatch):
    """The stateless evaluators run two chunks at once (parallel=True): the same numbers
    as one thread (1e-12: a chunk's batched engine call may round differently)."""
    from satmodel.inference import driver

    df = sm.datasets.load("ecsi_satisfaction")
    tables = {}
    for cores in (1, 2):
        monkeypatch.setattr(driver, "usable_cores", lambda c=cores: c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mga = sm.compare_groups(SPEC, df, group="gender", method="all", n=60, seed=2)
            mic = sm.micom(SPEC, df, group="gender", n=60, seed=2)
        tables[cores] = [mga, mic.compositional, mic.means, mic.variances]
    for a, b in zip(tables[1], tables[2]):
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float),
                                   rtol=0, atol=1e-12, equal_nan=True)


# ------------------------------------------------------------------ MICOM

@pytest.fixture(scope="module", params=list(CASES))
def micom_case(request, pooled):
    name = request.param
    out = micom(pooled.spec, pooled.refit, labels_of(name), n=B_MICOM, seed=3)
    ref = read_oracle(name, "micom.csv")
    levels = sorted(set(labels_of(name)))
    ref["comparison"] = [_pair(key, levels) for key in ref.comparison]
    return name, out, ref.set_index(["comparison", "construct"])


def _pair(key: str, levels: list[str]) -> str:
    """cSEM's "a_b" as "a vs b" (labels may hold "_" themselves)."""
    for a in levels:
        if key.startswith(a + "_") and key[len(a) + 1:] in levels:
            return f"{a} vs {key[len(a) + 1:]}"
    raise AssertionError(key)


def test_micom_statistics_match_csem(micom_case):
    _, out, ref = micom_case
    comp = out.compositional.set_index(["comparison", "construct"]).loc[ref.index]
    means = out.means.set_index(["comparison", "construct"]).loc[ref.index]
    var = out.variances.set_index(["comparison", "construct"]).loc[ref.index]
    np.testing.assert_allclose(comp.c, ref.c, rtol=0, atol=1e-6)
    np.testing.assert_allclose(means["diff"], ref.mean_diff, rtol=0, atol=1e-6)
    np.testing.assert_allclose(var.log_ratio, ref.log_var_ratio, rtol=0, atol=1e-6)
    assert out.configural.usable.all()


def test_micom_p_values_and_quantile_within_monte_carlo_error(micom_case):
    _, out, ref = micom_case
    tables = {"p_c": out.compositional, "p_mean": out.means, "p_var": out.variances}
    for col, table in tables.items():
        mine = table.set_index(["comparison", "construct"]).loc[ref.index]
        tol = mc_tolerance(ref[col].to_numpy(), B_R, B_MICOM)
        assert (np.abs(mine.p - ref[col]) <= tol).all(), col
    # R's 5 % quantile of c* sits between our quantiles at 5 % -/+ Z binomial SDs
    half = Z * np.sqrt(0.05 * 0.95 * (1 / B_R + 1 / B_MICOM))
    ref_c = out.reference["c"]
    keys = out.compositional.set_index(["comparison", "construct"]).index
    lo = pd.Series(np.quantile(ref_c, max(0.0, 0.05 - half), axis=0).ravel(), index=keys)
    hi = pd.Series(np.quantile(ref_c, 0.05 + half, axis=0).ravel(), index=keys)
    q = ref.c_quantile_05
    assert ((lo.loc[ref.index] <= q) & (q <= hi.loc[ref.index])).all()


def test_micom_verdicts_equal_csem_where_decided(micom_case):
    """Verdicts agree wherever every p-value behind them is clear of alpha by more than
    its Monte-Carlo tolerance (elsewhere the p-value test above is what can be asserted)."""
    _, out, ref = micom_case
    mine = out.invariance.set_index(["comparison", "construct"]).loc[ref.index].verdict
    clear = np.ones(len(ref), dtype=bool)
    for col in ("p_c", "p_mean", "p_var"):
        clear &= np.abs(ref[col] - 0.05).to_numpy() > mc_tolerance(ref[col].to_numpy(), B_R, B_MICOM)
    assert clear.sum() >= len(ref) // 2
    assert (mine[clear] == ref.verdict[clear]).all()
    assert out.verdict == min(mine, key=("none", "partial", "full").index)


# ------------------------------------------------------------------ properties

def test_grouped_batched_fit_equals_separate_fits(pooled):
    df = sm.datasets.load("ecsi_satisfaction")
    labels = labels_of("csem_mga_three")
    out = compare_groups(pooled.spec, pooled.refit, labels, method="chin", n=2,
                         parameters=("paths", "loadings", "weights"))
    first = out[out.comparison == out.comparison.iloc[0]].set_index("name")
    for group in ("female_a", "female_b", "male"):
        sub = sm.fit_pls(SPEC, df[labels == group].drop(columns="gender"), **OPTIONS)
        paths = {f"{t} ~ {s}": v for s, t, v in sub.paths.itertuples(index=False)}
        load = {f"{c} =~ {i}": v for c, i, _, v in sub.outer.itertuples(index=False)}
        weight = {f"{c} <~ {i}": v for c, i, v, _ in sub.outer.itertuples(index=False)}
        expected = pd.Series({**paths, **load, **weight})
        np.testing.assert_allclose(first[f"estimate_{group}"].loc[expected.index], expected,
                                   rtol=0, atol=1e-12, err_msg=group)


def test_three_groups_give_every_pair_and_one_omnibus(case):
    name, out, _ = case
    n_groups = len(np.unique(labels_of(name)))
    pairs = n_groups * (n_groups - 1) // 2
    for method in ("chin", "keil", "nitzl", "henseler"):
        assert out[out.method == method].comparison.nunique() == pairs
    assert (out[out.method.isin(["sarstedt", "klesel"])].comparison == "all").all()
    assert out.attrs["n_permutations"] == B_PERM and out.attrs["n_bootstrap"] == B_BOOT


def test_identical_groups_give_large_p_values():
    """The same respondents twice, labelled a and b: every difference is ~0."""
    data = sm.datasets.load("ecsi_satisfaction").drop(columns="gender")
    twice = pd.concat([data, data], ignore_index=True)
    labels = np.repeat(["a", "b"], len(data))
    res = sm.fit_pls(SPEC, twice, **OPTIONS)
    out = compare_groups(res.spec, res.refit, labels, n=99, n_boot=99, seed=2,
                         method=("chin", "klesel", "keil", "nitzl", "henseler"))
    assert np.abs(out["diff"].dropna()).max() < 1e-10
    assert (out.p > 0.9).all(), out.groupby("method").p.min()
    assert not out.reject.any()
    mic = micom(res.spec, res.refit, labels, n=99, seed=2)
    assert np.allclose(mic.compositional.c, 1.0) and mic.verdict == "full"


def test_real_difference_is_detected():
    """Group b's LOY items are shuffled within b: LOY ~ SAT differs strongly."""
    rng = np.random.default_rng(0)
    df = sm.datasets.load("ecsi_satisfaction").drop(columns="gender")
    labels = np.where(np.arange(len(df)) % 2 == 0, "a", "b")
    for item in ("LOY1", "LOY2", "LOY3", "LOY4"):
        df.loc[labels == "b", item] = rng.permutation(df.loc[labels == "b", item].to_numpy())
    res = sm.fit_pls(SPEC, df)
    out = compare_groups(res.spec, res.refit, labels, n=199, n_boot=199, seed=1,
                         parameters="paths").set_index(["method", "name"])
    for method in ("chin", "keil", "nitzl", "henseler"):
        assert out.loc[(method, "LOY ~ SAT"), "reject"], method


def test_reproducible_and_raw_permutation(pooled):
    labels = labels_of("csem_mga_gender")
    kw = {"method": "chin", "n": 60, "seed": 4, "parameters": "paths"}
    a = compare_groups(pooled.spec, pooled.refit, labels, **kw)
    pd.testing.assert_frame_equal(a, compare_groups(pooled.spec, pooled.refit, labels, **kw))
    raw = compare_groups(pooled.spec, pooled.refit, labels, permute="raw", **kw)
    np.testing.assert_allclose(raw["diff"], a["diff"])
    assert ((raw.p >= 0) & (raw.p <= 1)).all()


def test_other_tables_can_be_compared(pooled):
    out = compare_groups(pooled.spec, pooled.refit, labels_of("csem_mga_gender"), method="chin",
                         n=20, seed=1, parameters=("effects.total", "r2.r2"))
    assert set(out.parameter) == {"effects.total", "r2.r2"}
    assert out.p.between(0, 1).all()


def test_errors_name_the_culprit(pooled):
    labels = labels_of("csem_mga_gender")
    with pytest.raises(sm.OptionError, match="method"):
        compare_groups(pooled.spec, pooled.refit, labels, method="anova")
    with pytest.raises(sm.OptionError, match="correction"):
        compare_groups(pooled.spec, pooled.refit, labels, correction="sidak")
    with pytest.raises(sm.OptionError, match="parameters"):
        compare_groups(pooled.spec, pooled.refit, labels, parameters=("paths.nope",))
    with pytest.raises(sm.DataError, match="labels for 250"):
        compare_groups(pooled.spec, pooled.refit, labels[:10])
    with pytest.raises(sm.DataError, match="at least 2 groups"):
        micom(pooled.spec, pooled.refit, np.zeros(250))
    tiny = np.where(np.arange(250) < 3, "x", "y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(sm.DataError, match="group 'x'"):
            compare_groups(pooled.spec, pooled.refit, tiny, n=5)
