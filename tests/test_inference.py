"""Batched bootstrap: exactness against direct fits, reproducibility, CIs, degenerate cases."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import satmodel as sm
from satmodel.inference import intervals as ci_methods
from satmodel.inference.driver import BootstrapCounts, chunk_size


def _draw_counts(rng, size, n):
    """The bootstrap's row counts of ``size`` resamples (the driver's generator)."""
    return BootstrapCounts(size, n, rng).draw(size)
from satmodel.tables import TABLES

from _oracles import read_oracle

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
RES = sm.fit_pls(SPEC, DF)


@pytest.mark.parametrize("consistent", [False, True])
def test_each_resample_equals_a_direct_fit_on_its_rows(consistent):
    """The batched path (counts -> weighted moments -> batched engine -> table functions)
    equals fitting the replicated rows directly, for every table and column, to 1e-10."""
    res = sm.fit_pls(SPEC, DF, scheme="centroid", consistent=consistent)
    boot = res.bootstrap(n=6, seed=42, progress=False, inadmissible="keep")
    assert boot.inference.n_valid == 6
    counts = _draw_counts(np.random.default_rng(42), 6, len(DF)).astype(int)
    for b in (0, 3, 5):
        direct = sm.fit_pls(SPEC, DF.loc[DF.index.repeat(counts[b])], scheme="centroid",
                            consistent=consistent)
        ctx = direct.context
        for table, spec in boot.inference.draws.items():
            for column, draws in spec.items():
                # relative 1e-10 too: PLSc resamples can have ill-conditioned structural
                # systems (EXPE/QUAL ~0.98) with paths near 100, where the last bits scale
                np.testing.assert_allclose(draws[b], TABLES[table].values(ctx, column),
                                           atol=1e-10, rtol=1e-10, err_msg=f"{table}.{column}")


def test_same_seed_same_draws_whatever_the_chunking():
    a = RES.bootstrap(n=50, seed=7, progress=False)
    b = RES.bootstrap(n=50, seed=7, progress=False, chunk_size=7)
    c = RES.bootstrap(n=50, seed=8, progress=False)
    pd.testing.assert_frame_equal(a.draws("paths"), b.draws("paths"), atol=1e-13, rtol=0)
    assert not np.allclose(a.draws("paths"), c.draws("paths"))


def test_original_result_unchanged_and_tables_annotated():
    boot = RES.bootstrap(n=30, seed=1, progress=False)
    assert RES.inference is None and "se" not in RES.paths.columns
    assert list(boot.paths.columns) == ["source", "target", "estimate", "se", "t", "p",
                                        "ci_lower", "ci_upper"]
    assert {"weight_se", "loading_ci_upper"} <= set(boot.outer.columns)
    assert {"indirect_se", "total_p"} <= set(boot.effects.columns)
    assert {"rho_a_se", "ave_ci_lower"} <= set(boot.quality.columns)
    pd.testing.assert_frame_equal(boot.paths[["source", "target", "estimate"]], RES.paths)
    # t = estimate / se and the two-sided p of seminr (Student t, B - 1 df)
    p = boot.paths
    np.testing.assert_allclose(p.t, p.estimate / p.se, rtol=1e-12)
    np.testing.assert_allclose(p.p, 2 * stats.t.sf(np.abs(p.t), df=29), rtol=1e-12)


def test_se_is_sd_of_draws_and_percentile_interval_is_type7():
    boot = RES.bootstrap(n=200, seed=3, progress=False)
    d = boot.draws("paths").to_numpy()
    np.testing.assert_allclose(boot.paths.se, d.std(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(boot.paths.ci_lower, np.quantile(d, 0.025, axis=0), rtol=1e-12)
    np.testing.assert_allclose(boot.paths.ci_upper, np.quantile(d, 0.975, axis=0), rtol=1e-12)


@pytest.mark.parametrize("method", ["percentile", "BCa", "basic"])
def test_intervals_agree_with_scipy_given_the_same_draws(method):
    """scipy.stats.bootstrap resamples with rng.integers(0, n, (B, n)); feed ours the same
    draws and the same jackknife and the intervals must agree."""
    x = np.random.default_rng(11).gamma(2.0, size=40)
    B = 999
    ref = stats.bootstrap((x,), np.mean, n_resamples=B, method=method, confidence_level=0.9,
                          rng=np.random.default_rng(5))
    idx = np.random.default_rng(5).integers(0, 40, (B, 40))
    draws = x[idx].mean(axis=1)[:, None]
    jack = np.array([np.delete(x, i).mean() for i in range(40)])[:, None]
    ours = ci_methods.summarize(np.array([x.mean()]), draws, level=0.9,
                                method=method.lower(), jackknife=jack)
    np.testing.assert_allclose([ours["ci_lower"][0], ours["ci_upper"][0]],
                               [ref.confidence_interval.low, ref.confidence_interval.high],
                               rtol=1e-10)
    np.testing.assert_allclose(ours["se"][0], ref.standard_error, rtol=1e-12)


def test_conf_int_recomputes_without_resampling():
    boot = RES.bootstrap(n=100, seed=2, progress=False)
    bca = boot.conf_int(level=0.9, method="bca")
    assert bca.inference.draws is boot.inference.draws
    assert bca.inference.jackknife["paths"]["estimate"].shape == (250, 10)
    assert not np.allclose(bca.paths.ci_lower, boot.paths.ci_lower)
    np.testing.assert_allclose(bca.paths.se, boot.paths.se)
    normal = boot.conf_int(method="normal")
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(normal.paths.ci_upper, normal.paths.estimate + z * normal.paths.se)
    stud = boot.conf_int(method="studentized", n_inner=10)  # a double bootstrap, same draws
    assert stud.inference.draws is boot.inference.draws and stud.inference.n_inner == 10
    np.testing.assert_allclose(stud.paths.se, boot.paths.se)
    with pytest.raises(sm.OptionError, match="level"):
        boot.conf_int(level=95)


def test_agrees_with_seminr_seeded_bootstrap_within_sampling_error():
    """seminr 500 resamples, seed 123 (different RNG): original estimates exactly, bootstrap SDs
    within 15 % and percentile bounds within one SD (tests/oracles/seminr_bootstrap_seeded)."""
    spec = sm.ModelSpec(constructs=[
        sm.Construct(name="Image", indicators=[f"IMAG{i}" for i in range(1, 6)], common_factor=False),
        sm.Construct(name="Expectation", indicators=["CUEX1", "CUEX2", "CUEX3"], common_factor=False),
        sm.Construct(name="Value", indicators=["PERV1", "PERV2"], common_factor=False),
        sm.Construct(name="Satisfaction", indicators=["CUSA1", "CUSA2", "CUSA3"], common_factor=False),
    ], paths=[("Image", "Satisfaction"), ("Expectation", "Satisfaction"), ("Value", "Satisfaction")])
    res = sm.fit_pls(spec, sm.datasets.load("ecsi_mobi"), stop="sum_abs", tol=1e-7, max_iter=300)
    boot = res.bootstrap(n=2000, seed=123, progress=False)
    ref = read_oracle("seminr_bootstrap_seeded", "boot_report_paths.csv", index_col=0)
    ours = boot.paths.set_index(boot.paths.source + "  ->  " + boot.paths.target).loc[ref.index]
    np.testing.assert_allclose(ours.estimate, ref["Original Est."], atol=1e-8, rtol=0)
    np.testing.assert_allclose(ours.se, ref["Bootstrap SD"], rtol=0.15)
    np.testing.assert_allclose(ours.ci_lower, ref["2.5% CI"], atol=float(ref["Bootstrap SD"].max()))
    np.testing.assert_allclose(ours.ci_upper, ref["97.5% CI"], atol=float(ref["Bootstrap SD"].max()))
    w = read_oracle("seminr_bootstrap_seeded", "boot_report_weights", index_col=0)
    mine = boot.outer.set_index(boot.outer.indicator + "  ->  " + boot.outer.construct).loc[w.index]
    np.testing.assert_allclose(mine.weight, w["Original Est."], atol=1e-8, rtol=0)
    np.testing.assert_allclose(mine.weight_se, w["Bootstrap SD"], rtol=0.2)


def _tiny_with_rare_value(n=30):
    rng = np.random.default_rng(0)
    f = rng.normal(size=n)
    df = pd.DataFrame({"a1": f + rng.normal(size=n), "a2": f + rng.normal(size=n),
                       "b1": f + rng.normal(size=n), "b2": np.zeros(n)})
    df.loc[0, "b2"] = 1.0  # constant in every resample that misses row 0 (~36 %)
    return df


def test_constant_item_resamples_are_dropped_and_counted():
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")
    res = sm.fit_pls(spec, _tiny_with_rare_value())
    with pytest.warns(sm.SatModelWarning, match="dropped"):
        boot = res.bootstrap(n=300, seed=1, progress=False)
    inf = boot.inference
    assert 60 < inf.dropped["constant_item"] < 160
    assert inf.n_valid == 300 - inf.dropped["constant_item"]  # the only reason here
    assert np.isfinite(boot.paths.se).all()


def test_non_converged_resamples_are_dropped_and_counted():
    import dataclasses

    res = sm.fit_pls(SPEC, DF)
    strict = dataclasses.replace(res, options=res.options.model_copy(update={"max_iter": 2}))
    with pytest.warns(sm.SatModelWarning, match="not_converged"):
        with pytest.raises(sm.SatModelError, match="only 0 of 20"):
            strict.bootstrap(n=20, seed=1, progress=False)


def test_plsc_inadmissible_resamples_drop_or_keep():
    """Satisfaction PLSc: EXPE and QUAL correlate ~0.98 after correction, so some resamples
    exceed 1: dropped by default, kept on request, counted either way."""
    res = sm.fit_pls(SPEC, DF, scheme="centroid", consistent=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        dropped = res.bootstrap(n=300, seed=4, progress=False)
        kept = res.bootstrap(n=300, seed=4, progress=False, inadmissible="keep")
    n_bad = dropped.inference.dropped.get("inadmissible", 0)
    assert n_bad > 0
    assert dropped.inference.n_valid == 300 - n_bad
    assert kept.inference.n_valid == 300 and "inadmissible" not in kept.inference.dropped


def test_sign_options():
    boot = RES.bootstrap(n=100, seed=5, progress=False, signs="individual")
    est = RES.outer.loading.to_numpy()
    d = boot.draws("outer", "loading").to_numpy()
    assert np.all(np.sign(d) == np.sign(est))
    cons = RES.bootstrap(n=100, seed=5, progress=False, signs="construct")
    none = RES.bootstrap(n=100, seed=5, progress=False, signs="none")
    # with positively correlated items no block flips: the options agree here
    pd.testing.assert_frame_equal(cons.draws("paths"), none.draws("paths"))
    with pytest.raises(sm.OptionError, match="signs"):
        RES.bootstrap(n=10, signs="flip")


def test_construct_level_sign_change_reorients_a_flipped_block():
    """A block whose items are coded opposite to the reference: the engine rule orients it
    one way, the construct-level option re-orients it to the original loadings."""
    lam_ref = RES.outer.loading.to_numpy()
    S = RES.indicator_corr
    est_ref = sm.engine.estimate(S, RES.layout, sign_reference=-lam_ref)
    est_def = sm.engine.estimate(S, RES.layout)
    np.testing.assert_allclose(est_ref.weights, -est_def.weights, atol=1e-14)


def test_bad_options_and_results_without_rows():
    with pytest.raises(sm.OptionError, match="n="):
        RES.bootstrap(n=1)
    with pytest.raises(sm.OptionError, match="ci="):
        RES.bootstrap(n=10, ci="magic")
    back = sm.PLSResult.from_json(RES.to_json())
    with pytest.raises(sm.SatModelError, match="respondent rows"):
        back.bootstrap(n=10)
    with pytest.raises(sm.SatModelError, match="bootstrap"):
        RES.draws("paths")


def test_memory_is_bounded_by_chunking():
    """A 100-item model with B = 10 000 never holds more than ~256 MB of resample arrays."""
    size = chunk_size(8 * (2 * 250 + 6 * 100 * 100))
    assert 0 < size < 10_000
    assert size * 8 * (2 * 250 + 6 * 100 * 100) <= 256 * 2**20


def test_one_and_two_sided_tests():
    boot = RES.bootstrap(n=200, seed=6, progress=False)
    two = boot.test("paths")
    np.testing.assert_allclose(two.p, boot.paths.p, rtol=1e-12)
    less = boot.test("quality", "rho_a", value=1.0, alternative="less")
    greater = boot.test("quality", "rho_a", value=1.0, alternative="greater")
    np.testing.assert_allclose(less.p + greater.p, 1.0, rtol=1e-12)
    assert (less.p < 0.001).all()  # every rho_A is clearly below 1 here
    with pytest.raises(sm.OptionError, match="alternative"):
        boot.test("paths", alternative="both")


def test_table_selection():
    only = RES.bootstrap(n=20, seed=1, progress=False, tables=["paths"])
    assert list(only.inference.draws) == ["paths"]
    assert "se" in only.paths.columns and "weight_se" not in only.outer.columns
    full = RES.bootstrap(n=20, seed=1, progress=False, tables="all")
    assert set(full.inference.draws) == set(sm.tables.TABLES)
    pd.testing.assert_frame_equal(only.draws("paths"), full.draws("paths"))
    with pytest.raises(sm.OptionError, match="nope"):
        RES.bootstrap(n=20, tables=["nope"])


def test_index_gets_a_bootstrap_interval():
    """The 0-100 index is a registered table: its draws equal res.index() of direct fits on
    the resampled rows (exactness test above covers every table), and its SE is of the size
    docs/methods.md §6.2 predicts for n = 250 (item SD ~20 points -> SE ~1.3)."""
    boot = RES.bootstrap(n=300, seed=9, progress=False)
    idx = boot.table("index").set_index("construct")
    pd.testing.assert_series_equal(idx["index"].astype(float), RES.index().astype(float),
                                   check_names=False)
    assert ((idx.ci_lower < idx["index"]) & (idx["index"] < idx.ci_upper)).all()
    assert ((idx.se > 0.5) & (idx.se < 2.0)).all()
    counts = _draw_counts(np.random.default_rng(9), 1, len(DF)).astype(int)[0]
    direct = sm.fit_pls(SPEC, DF.loc[DF.index.repeat(counts)])
    np.testing.assert_allclose(boot.draws("index").iloc[0].to_numpy(),
                               direct.index().to_numpy(dtype=float), atol=1e-10)


def test_unscaled_fits_resample_with_their_own_metric():
    """plspm's scaled=FALSE variant: each resample is the unstandardized fit of its rows."""
    res = sm.fit_pls(SPEC, DF, scaled=False, scheme="centroid")
    boot = res.bootstrap(n=3, seed=5, progress=False)
    counts = _draw_counts(np.random.default_rng(5), 3, len(DF)).astype(int)
    direct = sm.fit_pls(SPEC, DF.loc[DF.index.repeat(counts[1])], scaled=False, scheme="centroid")
    np.testing.assert_allclose(boot.draws("paths").iloc[1], direct.paths.estimate, atol=1e-10)
    assert not np.allclose(direct.paths.estimate,
                           sm.fit_pls(SPEC, DF.loc[DF.index.repeat(counts[1])],
                                      scheme="centroid").paths.estimate, atol=1e-4)
    with pytest.raises(sm.OptionError, match="scaled"):
        sm.fit_pls(SPEC, DF, scaled=False, consistent=True)


@pytest.mark.parametrize("missing", ["pairwise", "mean"])
def test_weighted_resample_with_missing_data_equals_a_direct_fit_on_its_rows(missing):
    """Regression: resample row weights counts * w were not rescaled to sum to the rows (as
    ``prepare`` does), so n (r2_adj) and pairwise SDs (index, scaled=False weights) of a
    resample differed from the fit of its rows."""
    df = DF.copy()
    names = list(SPEC.indicator_names)
    rng = np.random.default_rng(3)
    values = df[names].to_numpy(float, copy=True)
    values[rng.random(values.shape) < 0.04] = np.nan
    df[names] = values
    df["w"] = rng.uniform(0.3, 3.0, len(df))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.fit_pls(SPEC, df, missing=missing, weights="w", scaled=False)
        boot = res.bootstrap(n=2, seed=1, progress=False)
        counts = _draw_counts(np.random.default_rng(1), 2, len(df)).astype(int)
        direct = sm.fit_pls(SPEC, df.loc[df.index.repeat(counts[1])], missing=missing,
                            weights="w", scaled=False)
    ctx = direct.context
    for table, column in [("outer", "weight"), ("quality", "r2_adj"), ("index", "index")]:
        np.testing.assert_allclose(boot.inference.draws[table][column][1],
                                   TABLES[table].values(ctx, column), atol=1e-10,
                                   err_msg=f"{table}.{column}")


def test_agrees_with_r_plspm_bootstrap_within_sampling_error():
    """R plspm (scaled = FALSE, centroid) bootstrap of the paths: original estimates to 1e-10
    with plspm's loop; SEs within 25 % and percentile bounds within one SE (different RNG;
    tests/oracles/satisfaction_plspm_R/SOURCE.md)."""
    res = sm.fit_pls(SPEC, DF, scaled=False, scheme="centroid", stop="sum_sq", tol=1e-6,
                     max_iter=100)
    boot = res.bootstrap(n=2000, seed=11, progress=False)
    ref = read_oracle("satisfaction_plspm_R", "plspm_boot_paths.csv", index_col=0)
    ours = boot.paths.set_index(boot.paths.source + " -> " + boot.paths.target).loc[ref.index]
    np.testing.assert_allclose(ours.estimate, ref.original, atol=1e-10, rtol=0)
    # plspm's default is 100 resamples: its SEs carry ~7 % Monte-Carlo error (SD/sqrt(2B)),
    # ours (B = 2000) 1.6 %; 25 % is ~3.5 SDs of the difference for each of the 10 paths
    np.testing.assert_allclose(ours.se, ref["std.error"], rtol=0.25)
    np.testing.assert_allclose(ours.ci_lower, ref["perc.025"], atol=float(ref["std.error"].max()))
    np.testing.assert_allclose(ours.ci_upper, ref["perc.975"], atol=float(ref["std.error"].max()))


@pytest.mark.parametrize("scaled", [True, False])
def test_seminr_f2_by_reestimation_is_bootstrapped_on_request(scaled):
    """f² with the model re-estimated without each path (seminr): not in the default
    bootstrap (a refit per path), exact against direct fits when asked for."""
    res = sm.fit_pls(SPEC, DF, scaled=scaled)
    assert "f2_reestimated" not in res.bootstrap(n=3, seed=1, progress=False).inference.draws
    boot = res.bootstrap(n=3, seed=4, progress=False, tables=["f2_reestimated"])
    np.testing.assert_allclose(boot.table("f2_reestimated").f2.astype(float),
                               res.f2(method="reestimate").f2.astype(float), atol=1e-12)
    counts = _draw_counts(np.random.default_rng(4), 3, len(DF)).astype(int)
    direct = sm.fit_pls(SPEC, DF.loc[DF.index.repeat(counts[2])], scaled=scaled)
    np.testing.assert_allclose(boot.draws("f2_reestimated").iloc[2].to_numpy(),
                               direct.f2(method="reestimate").f2.to_numpy(dtype=float),
                               atol=1e-10)


@pytest.mark.parametrize("chunk", [None, 7])
def test_kept_draws_are_the_usable_resamples_in_order(chunk):
    """The driver writes each chunk's values at its offset and removes the dropped draws
    once at the end: the kept rows are the usable resamples' own estimates (each refitted
    alone here, on the same seeded counts), in draw order, for parallel chunks and for
    many small serial ones. Tolerance 1e-12: batched and single estimates round apart."""
    from satmodel.inference.driver import BootstrapCounts

    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")
    res = sm.fit_pls(spec, _tiny_with_rare_value())
    with pytest.warns(sm.SatModelWarning, match="dropped"):
        boot = res.bootstrap(n=60, seed=3, progress=False, chunk_size=chunk)
    refit = res.refit_with_rows("bootstrap")
    counts = BootstrapCounts(60, refit.n_rows, np.random.default_rng(3)).draw(60)
    usable = [c for c in counts if np.isfinite(refit.moments(c).corr).all()]
    expected = np.array([refit.fit(c).estimate.paths[0, 1] for c in usable])
    got = boot.inference.draws["paths"]["estimate"][:, 0]
    assert 0 < 60 - len(usable) == boot.inference.dropped["constant_item"]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_a_chunk_with_other_rows_than_draws_is_an_error():
    """The driver writes each chunk at its offset: an evaluation giving another number of
    rows, or other columns, than the first chunk is refused, never written half."""
    from satmodel.inference.driver import run

    def evaluate(w):
        rows = w.shape[0] - (1 if w.shape[0] < 10 else 0)  # the last, short chunk: one short
        return {"t": {"v": np.ones(rows)}}, {}
    with pytest.raises(sm.errors.EstimationError, match="other tables, shapes or dtypes"):
        run(BootstrapCounts(25, 30, np.random.default_rng(1)), evaluate, 8, chunk=10)
    ok = run(BootstrapCounts(20, 30, np.random.default_rng(1)), evaluate, 8, chunk=10)
    assert ok.values["t"]["v"].shape == (20,) and ok.n_valid == 20
