"""Issue 11, parts 8-10: memory bounds, degenerate designs and inference edge cases.

Every expected value comes from an invariance, a closed form or an equivalent
computation (never from a stored run of satmodel itself).
"""

from __future__ import annotations

import dataclasses
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.diagnostics import collecting
from satmodel.engine.admissible import admissible, inadmissible
from satmodel.engine.refit import Refit
from satmodel.inference import bootstrap as boot
from satmodel.inference import driver, intervals
from satmodel.moments import missing

from _oracles import ECSI_SATISFACTION

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
ITEMS = list(SPEC.indicator_names)
TWO = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _holes(n: int, share: float, seed: int = 1) -> np.ndarray:
    """ECSI rows resampled to ``n``, each cell missing with probability ``share``."""
    rng = np.random.default_rng(seed)
    X = DF[ITEMS].to_numpy(float)[rng.integers(0, len(DF), size=n)]
    X[rng.random(X.shape) < share] = np.nan
    return X


def _codes(res) -> list[str]:
    return [d.code for d in res.diagnostics]


# ---------------------------------------------------------------------------- part 8: memory
def _peak(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("batch", [1, 6])
def test_em_memory_does_not_grow_with_the_missingness_patterns(monkeypatch, batch):
    """~2000 distinct patterns: a (p, p) system per pattern and reweighting would be
    ~5 x 2000 x 27² x 8 B = 58 MB a reweighting; EM works in blocks of EM_WORK_BYTES."""
    monkeypatch.setattr(missing, "EM_WORK_BYTES", 2**20, raising=False)
    X = _holes(2000, 0.15)
    n, p = X.shape
    patterns = len(np.unique(np.isnan(X), axis=0))
    w = None if batch == 1 else np.random.default_rng(2).poisson(1.0, (batch, n)).astype(float)
    peak = _peak(lambda: _quiet(missing.em_moments, X, w, max_iter=3))
    # the documented budget (em_bytes): E-step blocks + 4 n p fixed + n p + 2 n + 4 p² a reweighting
    bound = 2**20 + 8 * (4 * n * p + batch * (n * p + 2 * n + 4 * p * p))
    assert peak <= bound, (peak, bound)
    assert missing.em_bytes(n, p, batch) == bound
    assert 5 * batch * patterns * p * p * 8 > 4 * bound  # the per-pattern layout would not fit


def test_em_blocks_give_the_unblocked_estimates(monkeypatch):
    """Blocking is bookkeeping: tiny blocks and one block give the same moments."""
    X = _holes(300, 0.2, seed=4)
    w = np.random.default_rng(3).poisson(1.0, (3, 300)).astype(float)
    whole = _quiet(missing.em_moments, X, w, max_iter=40)
    monkeypatch.setattr(missing, "EM_WORK_BYTES", 1)
    tiny = _quiet(missing.em_moments, X, w, max_iter=40)
    np.testing.assert_allclose(tiny.corr, whole.corr, atol=1e-12)
    np.testing.assert_allclose(tiny.mean, whole.mean, atol=1e-12)


def test_em_reweighting_costs_no_more_than_the_driver_counts():
    """A chunk of k EM refits allocates at most k x bytes_per_fit plus the fixed working
    set (the data and EM's block budget), so the driver's chunks keep the budget."""
    res = _quiet(sm.fit_pls, SPEC, pd.DataFrame(_holes(1500, 0.1), columns=ITEMS), missing="em")
    n, p = res.survey.X.shape
    k = 5
    w = np.random.default_rng(0).poisson(1.0, (k, n)).astype(float)
    peak = _peak(lambda: _quiet(res.refit.fit, w))
    fixed = getattr(missing, "EM_WORK_BYTES", 32 * 2**20) + 8 * 4 * n * p
    assert peak <= k * res.refit.bytes_per_fit + fixed, (peak, res.refit.bytes_per_fit)


def test_em_at_its_iteration_limit_is_recorded(monkeypatch):
    df = pd.DataFrame(_holes(250, 0.1), columns=ITEMS)
    monkeypatch.setattr(missing, "EM_MAX_ITER", 3)
    res = _quiet(sm.fit_pls, SPEC, df, missing="em")
    rec = [d for d in res.diagnostics if d.code == "em_not_converged"]
    assert len(rec) == 1 and rec[0].category == "ConvergenceWarning" and "(3)" in rec[0].message
    # in a bootstrap: one record for the whole run, counting every resample, whatever the chunks
    out = _quiet(res.bootstrap, n=12, seed=1, chunk_size=5, progress=False, tables=["paths"])
    rec = [d for d in out.diagnostics[len(res.diagnostics):] if d.code == "em_not_converged"]
    assert len(rec) == 1 and rec[0].count == 12


def test_em_refuses_items_never_answered_together():
    df = DF.copy().astype({c: float for c in ITEMS})
    df.loc[df.index[:125], "SAT1"] = np.nan
    df.loc[df.index[125:], "LOY2"] = np.nan
    with pytest.raises(sm.DataError, match="SAT1 and LOY2 are never answered together"):
        _quiet(sm.fit_pls, SPEC, df, missing="em")
    m = _quiet(missing.em_moments, df[ITEMS].to_numpy())  # the moments say so too: NaN
    k, l = ITEMS.index("SAT1"), ITEMS.index("LOY2")
    assert np.isnan(m.corr[k, l]) and np.isfinite(np.delete(m.corr[k], l)).all()


def test_permutation_chunks_follow_the_memory_budget(monkeypatch):
    seen = []
    fit = Refit.fit

    def spy(self, row_weights=None, **kw):
        seen.append(0 if row_weights is None else np.shape(row_weights)[0])
        return fit(self, row_weights, **kw)

    free = sm.permutation_test(SPEC, DF, "gender", n=40, seed=3)
    monkeypatch.setattr(Refit, "fit", spy)
    bytes_per_fit = sm.fit_pls(SPEC, DF).refit.bytes_per_fit
    monkeypatch.setattr(driver, "MEMORY_BUDGET", 3 * 2 * bytes_per_fit)
    tight = sm.permutation_test(SPEC, DF, "gender", n=40, seed=3)
    assert max(seen[1:]) <= 6  # 3 permutations (2 masks each) a chunk, not 500
    pd.testing.assert_frame_equal(tight, free, atol=1e-12, rtol=0)  # same draws


# ---------------------------------------------------------------------------- part 9: designs
def test_sampling_weights_with_two_positive_rows_are_refused():
    w = np.zeros(120)
    w[[3, 50]] = 1.0
    with pytest.raises(sm.DataError, match=r"effective sample size of 2\.0"):
        sm.fit_pls(SPEC, DF.iloc[:120], weights=w)


def test_effective_sample_size_is_recorded():
    w = np.random.default_rng(1).exponential(size=250)
    res = sm.fit_pls(SPEC, DF, weights=w)
    rec = [d for d in res.diagnostics if d.code == "effective_n"]
    assert len(rec) == 1 and rec[0].count == round(w.sum() ** 2 / (w**2).sum())
    assert "effective_n" not in _codes(sm.fit_pls(SPEC, DF, weights=np.full(250, 3.0)))


def test_permutation_group_smaller_than_the_model_needs_is_refused():
    labels = np.array(["big"] * 248 + ["tiny"] * 2)
    with pytest.raises(sm.DataError, match=r"group 'tiny' has 2 rows.*at least 6"):
        sm.permutation_test(SPEC, DF, labels, n=20, seed=1)


def test_small_sample_follows_the_ten_times_rule():
    """ECSI: at most 4 arrows into a construct (SAT), no formative block: 10 x 4 = 40."""
    arrows = max(sum(p.target == c for p in SPEC.paths) for c in SPEC.construct_names)
    assert arrows == 4
    small = _quiet(sm.fit_pls, SPEC, DF.iloc[:6])
    rec = [d for d in small.diagnostics if d.code == "small_sample"]
    assert len(rec) == 1 and "40 = 10 x 4" in rec[0].message and "Barclay" in rec[0].message
    assert "small_sample" not in _codes(sm.fit_pls(SPEC, DF.iloc[:40]))
    assert "small_sample" in _codes(_quiet(sm.fit_pls, SPEC, DF.iloc[:39]))


def test_too_few_resamples_for_the_interval_are_recorded():
    res = sm.fit_pls(SPEC, DF)
    few = _quiet(res.bootstrap, n=10, seed=1, progress=False, tables=["paths"])
    rec = [d for d in few.diagnostics if d.code == "too_few_resamples"]
    assert len(rec) == 1 and "n >= 100" in rec[0].message and "2.5%" in rec[0].message
    enough = res.bootstrap(n=100, seed=1, progress=False, tables=["paths"])
    assert "too_few_resamples" not in _codes(enough)
    wide = _quiet(res.bootstrap, n=200, seed=1, progress=False, tables=["paths"], level=0.99)
    assert "too_few_resamples" in _codes(wide)  # 99 %: 0.5 % tails need 500
    assert intervals.draws_needed(0.95) == 100 and intervals.draws_needed(0.99) == 500


#: a weak block (items correlate 0.1) related to a reliable one: PLSc corrects the
#: construct correlation to 0.7107/sqrt(0.889 x 0.182) > 1, so R²(B) = corr² > 1 too
WEAK = np.array([[1, .8, .5, .5], [.8, 1, .5, .5], [.5, .5, 1, .1], [.5, .5, .1, 1]])


def test_inadmissible_plsc_values_are_each_named():
    res = _quiet(sm.fit_pls_moments, TWO, WEAK, n_obs=100, consistent=True)
    rec = [d for d in res.diagnostics if d.code == "inadmissible"]
    assert len(rec) == 1
    corr = float(res.construct_correlations.loc["A", "B"])
    r2 = float(res.r2["B"])
    assert corr > 1 and r2 == pytest.approx(corr**2, rel=1e-12)
    assert f"R²(B) = {r2:.4g}" in rec[0].message and f"corr(A, B) = {corr:.4g}" in rec[0].message
    assert {"R²(B)", "corr(A, B)", "A ~ B"} <= set(rec[0].names)
    assert not admissible(res.estimate, res.layout)
    fine = sm.fit_pls(SPEC, DF, consistent=True, scheme="centroid")
    assert admissible(fine.estimate, fine.layout)


def test_admissibility_names_every_kind():
    res = sm.fit_pls(SPEC, DF, consistent=True)
    est, lay = res.estimate, res.layout
    bad = dataclasses.replace(est, rho_a=np.where(np.arange(6) == 2, 5.9, est.rho_a),
                              r2=np.where(np.arange(6) == 5, 3.24, est.r2),
                              loadings=np.where(np.arange(27) == 0, 1.8, est.loadings))
    found = inadmissible(bad, lay)
    assert np.flatnonzero(found["rho_a"]).tolist() == [2]
    assert np.flatnonzero(found["r2"]).tolist() == [5]
    assert np.flatnonzero(found["loading"]).tolist() == [0]
    # AVE of IMAG = mean of its squared loadings, one of them 1.8
    ave = (1.8**2 + (est.loadings[1:5] ** 2).sum()) / 5
    assert found["ave"].tolist() == [ave > 1] + [False] * 5
    with collecting() as recs:
        _quiet(sm.results.pls_checks.check_admissible, SPEC, lay, bad)
    assert {"rho_A(QUAL)", "R²(LOY)", "loading IMAG1"} <= set(recs[0].names)
    assert "rho_A(QUAL) = 5.9" in recs[0].message and "R²(LOY) = 3.24" in recs[0].message


def test_result_carries_an_admissible_flag():
    res = _quiet(sm.fit_pls_moments, TWO, WEAK, n_obs=100, consistent=True)
    assert res.admissible is False and "admissible" in res.summary().lower()
    assert sm.fit_pls(SPEC, DF).admissible is True


# ---------------------------------------------------------------------------- part 10: inference
def test_bca_acceleration_leaves_failed_jackknife_fits_out():
    rng = np.random.default_rng(0)
    jack = rng.gamma(2.0, size=(40, 3))
    broken = jack.copy()
    broken[7] = np.nan
    kept = np.delete(jack, 7, axis=0)
    a = intervals.acceleration(broken)
    np.testing.assert_allclose(a, intervals.acceleration(kept), rtol=1e-14)
    assert np.all(a != 0)  # not coerced to BC
    theta, draws = jack.mean(0), rng.gamma(2.0, size=(500, 3))
    lo, hi = intervals.interval(theta, draws, level=0.95, method="bca", jackknife=broken)
    lo2, hi2 = intervals.interval(theta, draws, level=0.95, method="bca", jackknife=kept)
    np.testing.assert_array_equal(lo, lo2)
    np.testing.assert_array_equal(hi, hi2)
    # fewer than two usable leave-outs: no acceleration, no BCa bound (NaN), never BC
    lo, _ = intervals.interval(theta, draws, level=0.95, method="bca",
                               jackknife=np.full((5, 3), np.nan))
    assert np.isnan(lo).all()


def _rare_value(n: int = 40) -> pd.DataFrame:
    """b2 varies only through row 0: the leave-one-out fit without row 0 fails."""
    rng = np.random.default_rng(0)
    f = rng.normal(size=n)
    df = pd.DataFrame({"a1": f + rng.normal(size=n), "a2": f + rng.normal(size=n),
                       "b1": f + rng.normal(size=n), "b2": np.zeros(n)})
    df.loc[0, "b2"] = 1.0
    return df


def test_failed_jackknife_fit_is_dropped_with_a_record():
    res = _quiet(sm.fit_pls, TWO, _rare_value())
    with collecting() as found:
        jack = _quiet(boot.jackknife, TWO, res.refit, ["paths"])
    d = jack["paths"]["estimate"]
    assert np.isnan(d[0]).all() and np.isfinite(d[1:]).all()
    assert [(r.code, r.count) for r in found] == [("jackknife_dropped", 1)]


def _htmt2_draws(chunk):
    res = sm.fit_pls(SPEC, DF)
    out = res.bootstrap(n=200, seed=7, chunk_size=chunk, progress=False, tables=["htmt_pairs"])
    return out.inference.draws["htmt_pairs"]["htmt2"]


def test_htmt2_draws_do_not_depend_on_the_chunk_size():
    np.testing.assert_allclose(_htmt2_draws(1), _htmt2_draws(None), rtol=0, atol=1e-12)


def test_index_undefined_in_some_resamples_is_summarized_over_the_others():
    """QUAL formative with a nearly irrelevant item: its weight, ~0, turns negative in many
    resamples, where the index is not defined."""
    spec = sm.ModelSpec.from_lavaan(SPEC.to_lavaan().replace("QUAL =~", "QUAL <~"))
    df = DF.copy()
    rng = np.random.default_rng(3)
    df["QUAL3"] = np.where(rng.random(len(df)) < 0.12, df["QUAL3"],
                           rng.permutation(df["QUAL3"].to_numpy()))
    res = sm.fit_pls(spec, df)
    out = _quiet(res.bootstrap, n=200, seed=1, progress=False, tables=["index"])
    d = out.inference.draws["index"]["index"]
    j = list(res.constructs).index("QUAL")
    undefined = int(np.isnan(d[:, j]).sum())
    assert 0 < undefined < 200 and np.isfinite(np.delete(d, j, axis=1)).all()
    table = out.table("index").set_index("construct")
    direct = intervals.summarize(np.array([out.inference.original["index"]["index"][j]]),
                                 d[np.isfinite(d[:, j])][:, [j]])
    for col in ("se", "ci_lower", "ci_upper"):
        assert float(table.loc["QUAL", col]) == pytest.approx(float(direct[col][0]), rel=1e-12)
    rec = [r for r in out.diagnostics if r.code == "bootstrap_undefined"]
    assert len(rec) == 1 and rec[0].names == ("index.index",) and rec[0].count == undefined


@pytest.mark.parametrize("option", [
    {"means": np.zeros(5)}, {"means": np.full(27, np.nan)}, {"stds": np.r_[0.0, np.ones(26)]},
    {"stds": np.r_[np.nan, np.ones(26)]}, {"stds": np.r_[-1.0, np.ones(26)]},
    {"n_obs": float("nan")}, {"n_obs": "100"}, {"n_obs": 100.7}, {"n_obs": True}, {"n_obs": 2}])
def test_fit_pls_moments_refuses_bad_moments(option):
    kwargs = {"n_obs": 250, **option}
    with pytest.raises(sm.OptionError, match=next(iter(option))):
        sm.fit_pls_moments(SPEC, sm.fit_pls(SPEC, DF).indicator_corr, **kwargs)


# ------------------------------------------------- issue 11 acceptance: numerical faults in resampling
#: the ECSI model without declared scales (the template's 0-10 scale refuses a rescaled item)
FREE = sm.ModelSpec.from_lavaan(ECSI_SATISFACTION)

def test_conf_int_records_failed_jackknife_fits():
    """BCa after the bootstrap: the failed leave-out fit (without row 0, b2 is constant) is
    counted on the inference and recorded on the result, not only warned."""
    res = _quiet(sm.fit_pls, TWO, _rare_value())
    b = _quiet(res.bootstrap, n=100, seed=1, progress=False, tables=["paths"])
    bca = _quiet(b.conf_int, method="bca")
    assert bca.inference.jackknife_dropped == 1 and b.inference.jackknife_dropped == 0
    rec = [d for d in bca.diagnostics if d.code == "jackknife_dropped"]
    assert len(rec) == 1 and rec[0].count == 1 and "1 of 40" in rec[0].message
    assert np.isfinite(bca.paths[["ci_lower", "ci_upper"]].to_numpy()).all()


def test_bca_without_two_usable_jackknife_fits_is_reported_by_name():
    """Fewer than 2 usable leave-outs: no acceleration, so no BCa bound — NaN with a
    record naming the column, never BC in disguise and never a silent NaN."""
    inf = boot.BootstrapInference(
        draws={"paths": {"estimate": np.random.default_rng(0).normal(size=(300, 2))}},
        original={"paths": {"estimate": np.array([0.1, 0.2])}}, n_requested=300, n_valid=300,
        dropped={}, seed=0, signs="none", method="bca",
        jackknife={"paths": {"estimate": np.full((30, 2), np.nan)}})
    with collecting() as found:
        _quiet(boot.report_undefined_bounds, inf)
    assert [(d.code, d.names, d.count) for d in found] == [
        ("interval_undefined", ("paths.estimate",), 2)]
    assert "jackknife" in found[0].message


def test_conf_int_rechecks_the_resamples_for_a_new_level():
    res = sm.fit_pls(SPEC, DF)
    b = res.bootstrap(n=200, seed=1, progress=False, tables=["paths"])
    assert "too_few_resamples" not in _codes(b)
    wide = _quiet(b.conf_int, level=0.99)  # 0.5 % tails need 500 kept resamples
    rec = [d for d in wide.diagnostics if d.code == "too_few_resamples"]
    assert len(rec) == 1 and "n >= 500" in rec[0].message and rec[0].count == 200


def test_cbsem_bootstrap_reports_too_few_usable_resamples(monkeypatch):
    """As the PLS bootstrap: counted after the failed refits (3 of 5 fail: 2 left)."""
    from satmodel.cbsem import mlboot

    small = sm.fit_cbsem(sm.ModelSpec.from_lavaan(
        "IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ SAT1 + SAT2 + SAT3\nSAT ~ IMAG"), DF)
    real, calls = mlboot.refit, []  # an ML resample's refit (on its moments; in this process)

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) in (1, 3, 4):
            raise sm.EstimationError("singular item covariance on this resample")
        return real(*args, **kw)

    monkeypatch.setattr(mlboot, "refit", flaky)
    out = _quiet(small.bootstrap, n=5, seed=2, progress=False, n_jobs=1)
    assert out.inference.n_valid == 2
    rec = {d.code: d for d in out.diagnostics}
    assert rec["bootstrap_dropped"].count == 3 and rec["too_few_resamples"].count == 2


@pytest.mark.parametrize("missing", ["error", "mean", "pairwise"])
@pytest.mark.parametrize("factor", [1e-300, 1e-160, 1e160, 1e300])
def test_resampling_does_not_depend_on_an_items_scale(factor, missing):
    """Overflow/underflow through the reweighted moments: the bootstrap draws and the BCa
    jackknife of IMAG1 x 1e±300 equal those of the unscaled item (same seed), to 1e-10 —
    PLS is scale-free, so the exact answer is the unscaled one."""
    data = DF[ITEMS].astype(float)
    if missing != "error":
        data.loc[[3, 17], "SAT2"] = np.nan
    runs = []
    for f in (1.0, factor):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", sm.SatModelWarning)
            res = sm.fit_pls(FREE, data.assign(IMAG1=data["IMAG1"] * f), missing=missing)
            runs.append(res.bootstrap(n=30, seed=4, ci="bca", progress=False,
                                      tables=["paths", "outer"]))
    base, scaled = runs
    assert scaled.inference.n_valid == base.inference.n_valid == 30
    for table in ("paths", "outer"):
        a, b = base.table(table), scaled.table(table)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(b[num].to_numpy(float), a[num].to_numpy(float), atol=1e-10)


def test_fit_test_does_not_depend_on_an_items_scale():
    data = DF[ITEMS].astype(float)
    base = sm.fit_pls(FREE, data).fit_test(n=20, seed=3, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        big = sm.fit_pls(FREE, data.assign(IMAG1=data["IMAG1"] * 1e300)).fit_test(
            n=20, seed=3, progress=False)
    np.testing.assert_allclose(big[["value", "hi95", "hi99", "p"]].to_numpy(),
                               base[["value", "hi95", "hi99", "p"]].to_numpy(), rtol=1e-8)


def _near_singular_mode_b(eps: float) -> tuple[sm.ModelSpec, pd.DataFrame]:
    """A formative block whose second item is the first plus noise of size ``eps``."""
    spec = sm.ModelSpec.from_lavaan("A <~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ A")
    rng = np.random.default_rng(7)
    n = 120
    f = rng.normal(size=n)
    a1 = f + rng.normal(size=n)
    df = pd.DataFrame({"a1": a1, "a2": a1 + eps * rng.normal(size=n),
                       "a3": f + rng.normal(size=n),
                       **{f"b{i}": 0.6 * f + rng.normal(size=n) for i in (1, 2, 3)}})
    return spec, df


@pytest.mark.parametrize("eps", [1e-3, 1e-4])
def test_near_singular_formative_block_resamples_are_finite_or_counted(eps):
    """Mode B weights solve the block's nearly singular system: every kept resample is
    finite and equals a direct fit on its rows; whatever is dropped is counted by reason."""
    spec, df = _near_singular_mode_b(eps)
    res = _quiet(sm.fit_pls, spec, df)
    out = _quiet(res.bootstrap, n=40, seed=2, progress=False, tables=["paths"])
    inf = out.inference
    assert inf.n_valid + sum(inf.dropped.values()) >= 40 and inf.n_valid >= 2
    d = inf.draws["paths"]["estimate"]
    assert np.isfinite(d).all()
    counts = driver.BootstrapCounts(40, len(df), np.random.default_rng(2)).draw(40).astype(int)
    if not inf.dropped:  # the path is a construct correlation: well-conditioned in the end
        direct = _quiet(sm.fit_pls, spec, df.loc[df.index.repeat(counts[5])])
        np.testing.assert_allclose(d[5], direct.paths.estimate, atol=1e-8)


@pytest.mark.parametrize("eps", [0.0, 1e-7])
def test_singular_formative_block_is_refused_naming_it(eps):
    """Exactly, or to 1e-10 of its largest eigenvalue, singular: refused, naming 'A'."""
    spec, df = _near_singular_mode_b(eps)
    with pytest.raises(sm.EstimationError, match="'A'"):
        _quiet(sm.fit_pls, spec, df)


def test_constant_inner_resamples_of_the_double_bootstrap_are_counted():
    """b2 varies only through row 0: outer resamples without it are dropped (constant
    item), inner ones without it are left out of their resample's SE and recorded."""
    res = _quiet(sm.fit_pls, TWO, _rare_value())
    b = _quiet(res.bootstrap, n=60, seed=1, progress=False, tables=["paths"])
    s = _quiet(b.conf_int, method="studentized", n_inner=20)
    rec = [d for d in s.diagnostics if d.code == "studentized_dropped"]
    assert len(rec) == 1 and rec[0].count > 0
    t = s.inference.tstar["paths"]["estimate"]
    assert t.shape[0] == b.inference.n_valid and np.isfinite(t).sum() >= 2
    assert np.isfinite(s.paths[["ci_lower", "ci_upper"]].to_numpy()).all()


@pytest.mark.parametrize("method", ["percentile", "basic", "normal", "bc", "bca", "studentized",
                                    "studentized_csem"])
@pytest.mark.parametrize("scale", [1e-300, 1e-160, 2.0**-60, 2.0**60, 1e160, 1e300])
def test_intervals_of_statistics_of_any_magnitude(method, scale):
    """Statistics in an item's own metric (scaled=False fits, index points, ...) can be of
    any size; every interval is equivariant, se and bounds scale with the statistic and t,
    p do not (exact answer: the unscaled summary times ``scale``). Squares of 1e160 or cubes
    of 1e-160 would overflow or underflow without the power-of-2 rescaling."""
    rng = np.random.default_rng(9)
    theta = np.array([0.3, -1.2, 0.0])
    draws = theta + rng.gamma(2.0, 0.1, size=(400, 3))
    jack = theta + rng.gamma(2.0, 0.01, size=(60, 3))
    tstar = rng.standard_t(6, size=(400, 3))
    base = intervals.summarize(theta, draws, method=method, jackknife=jack, tstar=tstar)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow, no 0/0
        big = intervals.summarize(theta * scale, draws * scale, method=method,
                                  jackknife=jack * scale, tstar=tstar)
    for k in ("se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(big[k] / scale, base[k], rtol=1e-12, err_msg=k)
    for k in ("t", "p"):
        np.testing.assert_allclose(big[k], base[k], rtol=1e-12, err_msg=k)
