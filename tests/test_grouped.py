"""Grouped fits (``fit_pls(..., by=...)``), their bootstrap, indices per group, index
change, league tables, roll-up, fixed-weight scoring and sample sizes.

Numbers are checked against separate fits on each group's rows (the definition of a
grouped fit), against hand computations from per-group results, and against closed forms.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.tables import TABLES

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")


def panel(seed=0, companies=("A", "B", "C"), waves=(2025, 2026), n=120):
    """Company x wave survey resampled from ecsi_satisfaction (rows shuffled together)."""
    rng = np.random.default_rng(seed)
    parts = []
    for c in companies:
        for w in waves:
            part = DF.iloc[rng.integers(0, len(DF), n)].copy()
            part["company"], part["wave"] = c, w
            parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


PANEL = panel()


def values(df):
    num = df.select_dtypes("number").columns.difference(["wave", "n"])
    return df[num].to_numpy(dtype=float, na_value=np.nan)


def close(a, b, tol=1e-12, rtol=1e-12):
    """Equal to rounding: 1e-12 absolute on values of order one, relative on large ones
    (the fit table's chi-square is ~1e3: the grouped moments' exact integer products and a
    single fit's centred float64 products differ in their last bits)."""
    a, b = values(a), values(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=rtol, atol=tol, equal_nan=True)


@pytest.fixture(scope="module")
def grouped():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.fit_pls(SPEC, PANEL, by=["company", "wave"])


@pytest.fixture(scope="module")
def boot(grouped):
    return grouped.bootstrap(n=60, seed=7, tables=["paths", "outer", "index", "quality"])


def test_grouped_fit_equals_separate_fits_in_every_table(grouped):
    assert grouped.n_groups == 6 and len(grouped.skipped) == 0
    for (company, wave), res in grouped.items():
        rows = PANEL[(PANEL.company == company) & (PANEL.wave == wave)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sep = sm.fit_pls(SPEC, rows)
        assert res.n_obs == sep.n_obs == len(rows)
        assert res.diagnostics == sep.diagnostics
        for name in TABLES:
            close(res.table(name), sep.table(name))
            stacked = grouped.table(name)
            mine = stacked[(stacked.company == company) & (stacked.wave == wave)]
            close(mine.drop(columns=["company", "wave"]), sep.table(name))
        close(res.scores, sep.scores)
        pd.testing.assert_index_equal(res.scores.index, sep.scores.index)
        close(res.index(per_respondent=True), sep.index(per_respondent=True))


def test_stacked_tables_lead_with_the_keys(grouped):
    assert grouped.paths.columns.tolist() == ["company", "wave", "source", "target", "estimate"]
    assert grouped.paths[["company", "wave"]].drop_duplicates().shape[0] == 6
    assert grouped.r2.columns.tolist()[:3] == ["company", "wave", "construct"]
    assert isinstance(grouped["B", 2026], sm.PLSResult)
    with pytest.raises(sm.SatModelError, match="no group"):
        grouped["Z", 2026]
    assert "grouped by company, wave" in grouped.summary()


def test_weights_and_missing_data_are_treated_per_group():
    df = PANEL.copy()
    rng = np.random.default_rng(3)
    df.loc[rng.choice(len(df), 40, replace=False), "SAT1"] = np.nan
    df["w"] = rng.uniform(0.5, 2.0, len(df))
    for missing in ("mean", "casewise", "em"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.fit_pls(SPEC, df, by="company", missing=missing, weights="w")
            for (company,), r in res.items():
                rows = df[df.company == company]
                sep = sm.fit_pls(SPEC, rows, missing=missing, weights="w")
                for name in ("paths", "outer", "quality", "index"):
                    close(r.table(name), sep.table(name), tol=1e-10)
                close(r.scores, sep.scores, tol=1e-10)


def test_unfittable_groups_are_reported_and_left_out():
    df = PANEL.copy()
    df.loc[(df.company == "B") & (df.wave == 2025), "SAT2"] = 6.0  # constant in one group
    small = df.index[(df.company == "C") & (df.wave == 2026)][4:]
    df = df.drop(small)  # 4 rows left: fewer than a block's items + 1
    with pytest.warns(sm.SatModelWarning, match="2 of 6 groups could not be fitted"):
        res = sm.fit_pls(SPEC, df, by=["company", "wave"])
    assert res.n_groups == 4
    assert res.skipped[["company", "wave", "code"]].values.tolist() == [
        ["B", 2025, "constant_item"], ["C", 2026, "too_few_rows"]]
    assert "SAT2" in res.skipped.reason[0]
    with pytest.raises(sm.SatModelError, match="not fitted"):
        res["B", 2025]
    named = [d for d in res.diagnostics if d.code == "group_skipped"]
    assert [d.names[0] for d in named] == ["company='B', wave=2025", "company='C', wave=2026"]
    sep = sm.fit_pls(SPEC, df[(df.company == "A") & (df.wave == 2026)])
    close(res["A", 2026].paths, sep.paths)


def test_non_convergence_leaves_the_group_out_and_names_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.fit_pls(SPEC, PANEL, by=["company", "wave"], max_iter=7)
        converged = {(c, w): sm.fit_pls(SPEC, part, max_iter=7).converged
                     for (c, w), part in PANEL.groupby(["company", "wave"])}
    assert set(res.skipped.code) == {"not_converged"}
    left_out = {tuple(k) for k in res.skipped[["company", "wave"]].values.tolist()}
    assert left_out == {k for k, ok in converged.items() if not ok} and 0 < len(left_out) < 6
    assert all(d.names[0].startswith("company=") for d in res.diagnostics)
    with pytest.raises(sm.SatModelError, match="no group could be fitted"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sm.fit_pls(SPEC, PANEL, by=["company", "wave"], max_iter=3)


def test_group_diagnostics_name_the_group(grouped):
    for d in grouped.diagnostics:
        assert d.message.startswith("company=") and d.names[0].startswith("company=")
    for key, res in grouped.items():
        assert all(not d.message.startswith("company=") for d in res.diagnostics)


def test_options_are_validated():
    with pytest.raises(sm.OptionError, match="standardize"):
        sm.fit_pls(SPEC, PANEL, by="company", standardize="pooled")
    with pytest.raises(sm.OptionError, match="by"):
        sm.fit_pls(SPEC, PANEL, by=3)
    with pytest.raises(sm.DataError, match="compnay"):
        sm.fit_pls(SPEC, PANEL, by="compnay")
    df = PANEL.copy()
    df.loc[0, "company"] = None
    with pytest.raises(sm.DataError, match="missing for 1 row"):
        sm.fit_pls(SPEC, df, by="company")
    with pytest.raises(sm.OptionError, match="seed"):
        sm.fit_pls(SPEC, PANEL, by="company").bootstrap(n=10, seed="x")


def test_grouped_bootstrap_equals_per_group_bootstraps_with_the_same_draws(grouped, boot):
    for key, res in grouped.items():
        seed = grouped.group_seed(key, 7)
        same = boot.group_seed(key)
        assert (seed.entropy, seed.spawn_key) == (same.entropy, same.spawn_key)
        sep = res.bootstrap(n=60, seed=seed, tables=["paths", "outer", "index", "quality"])
        for name in ("paths", "outer", "index", "quality"):
            stacked = boot.table(name)
            mine = stacked[(stacked.company == key[0]) & (stacked.wave == key[1])]
            close(mine.drop(columns=["company", "wave"]), sep.table(name))
            close(boot[key].table(name), sep.table(name))
        # the same resamples; a stacked engine call may round differently from a single
        # one (a (B, p) @ (p, J) product's blocking depends on B): 1e-13, not bit-equal
        np.testing.assert_allclose(boot[key].draws("paths").to_numpy(),
                                   sep.draws("paths").to_numpy(), rtol=0, atol=1e-13)


def test_grouped_bootstrap_draws_do_not_depend_on_chunks_or_other_groups(grouped, boot):
    chunked = grouped.bootstrap(n=60, seed=7, tables=["paths"], chunk_size=7)
    close(chunked.paths, boot.paths)
    only_a = sm.fit_pls(SPEC, PANEL[PANEL.company == "A"], by=["company", "wave"])
    alone = only_a.bootstrap(n=60, seed=7, tables=["paths"])
    close(alone.paths, boot.paths[boot.paths.company == "A"].reset_index(drop=True))


def test_grouped_bootstrap_chunks_on_two_threads_equal_one(grouped, boot, monkeypatch):
    """The group-major chunks carry their groups, so two run at once in threads (as a
    single bootstrap's): the same numbers as on one thread."""
    from _pools import count_pools
    from satmodel.inference import driver

    pools = count_pools(monkeypatch, driver)
    monkeypatch.setattr(driver, "usable_cores", lambda: 1)
    one = grouped.bootstrap(n=60, seed=7, tables=["paths"])
    assert pools == []  # one thread: no pool
    monkeypatch.setattr(driver, "usable_cores", lambda: 2)
    two = grouped.bootstrap(n=60, seed=7, tables=["paths"])
    assert pools == [1]  # the threaded path ran: one helper thread beside the calling one
    close(two.paths, one.paths)


def test_index_per_group_with_bootstrap_se(grouped, boot):
    assert grouped.index().columns.tolist() == ["company", "wave", "construct", "index", "n"]
    idx = boot.index("SAT")
    assert idx.columns.tolist() == ["company", "wave", "construct", "index", "se", "ci_lower",
                                    "ci_upper", "n"]
    for row in idx.itertuples():
        own = boot[row.company, row.wave].table("index").set_index("construct").loc["SAT"]
        assert row.index == pytest.approx(own["index"], abs=1e-12)
        assert row.se == pytest.approx(own["se"], abs=1e-12)


def test_index_change_is_the_hand_computation_from_per_group_results(boot):
    out = boot.index_change("wave", 2025, 2026, level=0.90)
    assert out.columns.tolist() == ["company", "construct", "index_2025", "index_2026", "change",
                                    "se", "z", "p", "ci_lower", "ci_upper"]
    from scipy import stats
    for row in out.itertuples():
        a = boot[row.company, 2025].table("index").set_index("construct").loc[row.construct]
        b = boot[row.company, 2026].table("index").set_index("construct").loc[row.construct]
        d, se = b["index"] - a["index"], np.sqrt(a["se"] ** 2 + b["se"] ** 2)
        assert row.change == pytest.approx(d, abs=1e-12)
        assert row.se == pytest.approx(se, abs=1e-12)
        assert row.p == pytest.approx(2 * stats.norm.sf(abs(d / se)), abs=1e-12)
        assert row.ci_upper - row.change == pytest.approx(1.6448536269514722 * se, abs=1e-9)
    with pytest.raises(sm.SatModelError, match="bootstrap"):
        sm.fit_pls(SPEC, PANEL, by=["company", "wave"]).index_change("wave", 2025, 2026)


def test_league_table_closed_form():
    t = pd.DataFrame({"company": ["A", "B", "C"], "construct": "SAT",
                      "index": [80.0, 70.0, 72.0], "se": [1.0, 1.0, 2.0]})
    out = sm.index.change.league_table(t, "SAT", keys=["company"])
    assert out.company.tolist() == ["A", "C", "B"] and out["rank"].tolist() == [1, 2, 3]
    mean = 74.0
    se_a = np.sqrt((1 - 2 / 3) * 1.0 + (1 + 1 + 4) / 9)
    a = out.set_index("company").loc["A"]
    assert a.diff_mean == pytest.approx(80 - mean) and a.vs_mean == "above"
    assert a.p_mean == pytest.approx(2 * (1 - __import__("scipy").stats.norm.cdf(6 / se_a)))


def test_league_table_from_a_grouped_bootstrap(boot):
    out = boot.league_table("SAT", within="wave")
    assert len(out) == 6 and set(out.groupby("wave")["rank"].max()) == {3}
    assert ((out.rank_lower <= out["rank"]) | out.rank_lower.isna()).all()
    assert set(out.vs_mean) <= {"above", "below", "not different"}


def test_roll_up_weights_and_se_closed_form():
    t = pd.DataFrame({"company": ["A", "B", "C"], "construct": "SAT",
                      "index": [80.0, 70.0, 65.0], "se": [1.0, 2.0, 1.5]})
    w = pd.DataFrame({"company": ["A", "B", "C"], "industry": ["bank", "bank", "tel"],
                      "sector": ["fin", "fin", "com"], "revenue": [3.0, 1.0, 5.0]})
    out = sm.roll_up(t, w, ["industry", "sector", ], level_weights={"sector": {"fin": 0.2,
                                                                               "com": 0.8}})
    bank = out[(out.level == "industry") & (out.unit == "bank")].iloc[0]
    assert bank["index"] == pytest.approx(0.75 * 80 + 0.25 * 70)
    assert bank["se"] == pytest.approx(np.sqrt(0.75**2 * 1 + 0.25**2 * 4))
    assert bank["weight"] == 4.0 and bank["units"] == 2
    assert bank["ci_upper"] - bank["index"] == pytest.approx(1.959963984540054 * bank["se"])
    nat = sm.roll_up(t.assign(nation="X"), w, ["industry", "sector", "nation"],
                     level_weights={"sector": {"fin": 0.2, "com": 0.8}})
    top = nat[nat.level == "nation"].iloc[0]
    assert top["index"] == pytest.approx(0.2 * 77.5 + 0.8 * 65.0)
    assert top["se"] == pytest.approx(np.sqrt(0.2**2 * 0.8125 + 0.8**2 * 1.5**2))


def test_roll_up_of_a_grouped_index(boot):
    w = pd.DataFrame({"company": ["A", "B", "C"], "industry": ["x", "x", "y"],
                      "revenue": [2.0, 1.0, 1.0]})
    out = sm.roll_up(boot.index(), w, ["industry"])
    assert {"wave", "construct"} <= set(out.columns)
    row = out[(out.unit == "x") & (out.wave == 2026) & (out.construct == "SAT")].iloc[0]
    idx = boot.index("SAT").set_index(["company", "wave"])
    want = (2 * idx.loc[("A", 2026), "index"] + idx.loc[("B", 2026), "index"]) / 3
    assert row["index"] == pytest.approx(want, abs=1e-12)


def test_score_of_the_training_rows_equals_the_fit():
    res = sm.fit_pls(SPEC, DF)
    close(res.score(DF), res.index(per_respondent=True))
    close(res.score(DF, what="scores"), res.scores)
    pd.testing.assert_index_equal(res.score(DF.iloc[::-1]).index, DF.index[::-1])
    one = res.score(DF.iloc[[5]])  # a single respondent is scored too
    close(one, res.index(per_respondent=True).iloc[[5]])


def test_score_uses_the_frozen_fit_not_the_new_data():
    res = sm.fit_pls(SPEC, DF.iloc[:150])
    new = DF.iloc[150:]
    z = (new[list(SPEC.indicator_names)] - res.indicator_mean) / res.indicator_std
    W = res.outer.weight.to_numpy()[:, None] * res.layout.membership
    np.testing.assert_allclose(res.score(new, what="scores").to_numpy(), z.to_numpy() @ W,
                               atol=1e-12)
    with pytest.raises(sm.DataError, match="SAT1"):
        res.score(new.drop(columns="SAT1"))


def test_grouped_score_uses_each_group_s_weights(grouped):
    out = grouped.score(PANEL)
    assert out.columns.tolist()[:2] == ["company", "wave"]
    pd.testing.assert_index_equal(out.index, PANEL.index)
    mine = out[(out.company == "C") & (out.wave == 2025)].drop(columns=["company", "wave"])
    close(mine, grouped["C", 2025].index(per_respondent=True))


def test_sample_size_closed_forms():
    assert sm.sample_size(2.0, sd=16.0) == 246  # (1.96 * 16 / 2)² = 245.9
    assert sm.sample_size(2.0, sd=[1.2, 1.8], scale=(1, 10)) == 385  # 20 points on 0-100
    assert sm.sample_size(2.0, sd=16.0, deff=1.5) == 369
    res = sm.fit_pls(SPEC, DF)
    n = sm.sample_size(2.0, pilot=res)
    sd = res.index(per_respondent=True).astype(float).std()  # the pilot's score SDs
    np.testing.assert_array_equal(n.to_numpy(dtype=float),
                                  np.ceil((1.959963984540054 * sd.to_numpy() / 2.0) ** 2))
    with pytest.raises(sm.OptionError):
        sm.sample_size(2.0)


def test_sample_size_per_group(grouped):
    out = sm.sample_size(3.0, pilot=grouped, constructs="SAT")
    assert out.columns.tolist() == ["company", "wave", "construct", "sd", "n"] and len(out) == 6


def test_plsc_and_bootstrap_options_per_group_equal_separate_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # PLSc here is inadmissible (paths far above 1), so agreement is relative: 1e-12
        res = sm.fit_pls(SPEC, PANEL, by="company", consistent=True, scheme="factorial")
        boot = res.bootstrap(n=30, seed=2, tables=["paths", "outer"], signs="construct", ci="bca")
        for key, r in res.items():
            rows = PANEL[PANEL.company == key[0]]
            sep = sm.fit_pls(SPEC, rows, consistent=True, scheme="factorial")
            assert r.diagnostics == sep.diagnostics
            for name in ("paths", "outer", "quality", "htmt_pairs"):
                close(r.table(name), sep.table(name), rtol=1e-12)
            sb = sep.bootstrap(n=30, seed=res.group_seed(key, 2), tables=["paths", "outer"],
                               signs="construct", ci="bca")
            for name in ("paths", "outer"):
                close(boot[key].table(name), sb.table(name), rtol=1e-12)
                mine = boot.table(name)
                close(mine[mine.company == key[0]].drop(columns="company"), sb.table(name),
                      rtol=1e-12)


def test_unequal_group_sizes_and_a_skewed_group_equal_separate_fits():
    rng = np.random.default_rng(5)
    df = PANEL.drop(rng.choice(len(PANEL), 200, replace=False))
    big = panel(seed=9, companies=("D",), waves=(2025,), n=900)  # padding would be costly
    for data in (df, pd.concat([df, big], ignore_index=True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.fit_pls(SPEC, data, by=["company", "wave"])
            for (c, w), r in res.items():
                sep = sm.fit_pls(SPEC, data[(data.company == c) & (data.wave == w)])
                for name in ("paths", "outer", "quality", "index", "htmt_pairs"):
                    close(r.table(name), sep.table(name))
