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
