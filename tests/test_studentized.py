"""Studentized (bootstrap-t) intervals by a double bootstrap (issues 11 and 15).

The reference is cSEM 0.4.0.9000 run in R on the very resamples satmodel draws
(``oracles/csem_studentized_fixed_resamples``): cSEM's ``csem()`` estimates every outer
and inner resample and cSEM's own ``TStatCIResample()`` (behind
``infer(.quantity = "CI_t_interval")``) turns them into intervals — a direct double
loop, deterministic because the row counts are fixed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.inference import intervals
from satmodel.inference.driver import BootstrapCounts
from satmodel.inference.studentized import NestedCounts, generator_state

from _oracles import ORACLES

CASE = ORACLES / "csem_studentized_fixed_resamples"
SEED, N, B, M = 20261202, 60, 40, 30  # as make_counts.py
MODEL = """
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4
SAT  =~ SAT1 + SAT2 + SAT3
LOY  =~ LOY1 + LOY2 + LOY3
SAT ~ IMAG
LOY ~ IMAG + SAT
"""
DF = sm.datasets.load("ecsi_satisfaction")


def _fit():
    spec = sm.ModelSpec.from_lavaan(MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)  # n = 60: small-sample notes
        return sm.fit_pls(spec, DF.iloc[:N], tol=1e-12, max_iter=1000)


def _ours(method: str) -> pd.DataFrame:
    """Our intervals keyed by cSEM's names ('SAT ~ IMAG', 'IMAG =~ IMAG1', 'IMAG <~ IMAG1')."""
    res = _fit().bootstrap(n=B, seed=SEED, ci=method, n_inner=M, progress=False,
                           tables=["paths", "outer"])
    p = res.paths
    rows = [(f"{r.target} ~ {r.source}", r.estimate, r.se, r.ci_lower, r.ci_upper)
            for r in p.itertuples()]
    for r in res.outer.itertuples():
        rows.append((f"{r.construct} =~ {r.indicator}", r.loading, r.loading_se,
                     r.loading_ci_lower, r.loading_ci_upper))
        rows.append((f"{r.construct} <~ {r.indicator}", r.weight, r.weight_se,
                     r.weight_ci_lower, r.weight_ci_upper))
    out = pd.DataFrame(rows, columns=["name", "estimate", "se", "lower", "upper"])
    out.attrs["res"] = res
    return out.set_index("name")


def test_the_oracle_resamples_are_ours():
    """counts.csv (the resamples cSEM estimated) is what satmodel draws for this seed:
    outer resamples from the bootstrap's generator, inner ones from their rows."""
    ref = pd.read_csv(CASE / "counts.csv")
    counts = NestedCounts(B, M, N, generator_state(np.random.default_rng(SEED))).draw(B * (M + 1))
    np.testing.assert_array_equal(counts, ref.filter(regex=r"^r\d+$").to_numpy())
    outer = BootstrapCounts(B, N, np.random.default_rng(SEED)).draw(B)
    np.testing.assert_array_equal(counts[:: M + 1], outer)
    inner = counts.reshape(B, M + 1, N)
    assert (inner.sum(axis=2) == N).all()
    assert ((inner[:, 1:] > 0) <= (inner[:, :1] > 0)).all()  # inner rows come from the outer's


@pytest.mark.parametrize(("method", "suffix"), [("studentized", "textbook"),
                                                ("studentized_csem", "csem")])
def test_intervals_equal_csem_on_the_same_resamples(method, suffix):
    """Every resample converged to 1e-12 in both packages, so estimates agree to ~1e-12
    and t* = (θ* − θ̂)/SE* (SE* ~ 0.05) to ~1e-10; bounds to 1e-9 leaves room for that,
    far below a Monte-Carlo difference (a different resample moves a bound by ~1e-2)."""
    ref = pd.read_csv(CASE / "intervals.csv").set_index("name")
    ours = _ours(method).loc[ref.index]
    np.testing.assert_allclose(ours.estimate, ref.estimate, atol=1e-10, rtol=0)
    np.testing.assert_allclose(ours.se, ref.se, atol=1e-10, rtol=0)
    np.testing.assert_allclose(ours.lower, ref[f"lower_{suffix}"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(ours.upper, ref[f"upper_{suffix}"], atol=1e-9, rtol=0)
    if method == "studentized":  # the studentized draws themselves, resample by resample
        tstar = pd.read_csv(CASE / "tstar.csv")
        inf = ours.attrs["res"].inference
        np.testing.assert_allclose(inf.tstar["paths"]["estimate"],
                                   tstar[list(ref.index[:3])].to_numpy(), atol=1e-8, rtol=0)


def test_same_seed_same_intervals_whatever_the_chunk_size():
    """Chunks split outer resamples between batched calls; only the last bits of the
    batched linear algebra may differ (as for the plain bootstrap, 1e-13)."""
    res = _fit()
    a = res.bootstrap(n=12, seed=3, ci="studentized", n_inner=9, progress=False, tables=["paths"])
    b = res.bootstrap(n=12, seed=3, ci="studentized", n_inner=9, progress=False, tables=["paths"],
                      chunk_size=7)
    np.testing.assert_allclose(a.inference.tstar["paths"]["estimate"],
                               b.inference.tstar["paths"]["estimate"], atol=1e-11, rtol=0)
    pd.testing.assert_frame_equal(a.paths, b.paths, atol=1e-12, rtol=0)


def test_unseeded_bootstrap_replays_its_resamples():
    """seed=None: the generator's starting state is kept, so conf_int replays the same
    outer resamples (their draws equal the stored ones, t* signs agree with θ* − θ̂)."""
    rng = np.random.default_rng()
    state = generator_state(rng)
    outer = BootstrapCounts(5, N, rng).draw(5)
    np.testing.assert_array_equal(NestedCounts(5, 3, N, state).draw(20)[::4], outer)
    res = _fit().bootstrap(n=15, progress=False, tables=["paths"])
    stud = res.conf_int(method="studentized", n_inner=8)
    d = res.inference.draws["paths"]["estimate"] - res.inference.original["paths"]["estimate"]
    t = stud.inference.tstar["paths"]["estimate"]
    assert t.shape == d.shape and (np.sign(t) == np.sign(d)).all()
    again = stud.conf_int(level=0.9, method="studentized", n_inner=8)  # no new double bootstrap
    assert again.inference.tstar is stud.inference.tstar


def test_formula_on_given_draws():
    """Closed form (Davison & Hinkley 1997, eq. 5.7): [θ̂ − t*_(0.975) SE, θ̂ − t*_(0.025) SE]."""
    rng = np.random.default_rng(0)
    draws = rng.normal(1.0, 0.2, size=(200, 2))
    t = rng.standard_t(5, size=(200, 2))
    theta = np.array([1.0, 2.0])
    out = intervals.summarize(theta, draws, method="studentized", tstar=t)
    se = draws.std(axis=0, ddof=1)
    np.testing.assert_allclose(out["ci_lower"], theta - np.quantile(t, 0.975, axis=0) * se)
    np.testing.assert_allclose(out["ci_upper"], theta - np.quantile(t, 0.025, axis=0) * se)
    csem = intervals.summarize(theta, draws, method="studentized_csem", tstar=t)
    centre = 2 * theta - draws.mean(axis=0)
    np.testing.assert_allclose(csem["ci_lower"], centre - np.quantile(t, 0.975, axis=0) * se)
    # a value that does not vary (a single item's weight): the interval is the point
    const = intervals.summarize(theta, np.ones((200, 2)) * theta, method="studentized",
                                tstar=np.full((200, 2), np.nan))
    np.testing.assert_array_equal(const["ci_lower"], theta)


def test_where_studentized_is_not_offered():
    res = _fit()
    with pytest.raises(sm.OptionError, match="n_inner"):
        res.bootstrap(n=5, ci="studentized", n_inner=1, progress=False)
    boot = res.bootstrap(n=5, seed=1, progress=False, tables=["paths"])
    back = sm.PLSResult.from_json(boot.to_json(draws=True))
    with pytest.raises(sm.SatModelError, match="generator state"):
        back.conf_int(method="studentized")
    cb = sm.fit_cbsem(sm.ModelSpec.from_lavaan(MODEL), DF)
    with pytest.raises(sm.NotAvailableError, match="double bootstrap"):
        cb.bootstrap(n=2, ci="studentized", progress=False)


def test_double_bootstrap_chunks_follow_the_memory_budget(monkeypatch):
    """Inner resamples are rows of the batch: with a budget of 4 refits, no batched call
    holds more than 4, an outer resample's 11 fits are split across calls, and the
    intervals equal those of one unconstrained call."""
    from satmodel.engine.refit import Refit
    from satmodel.inference import driver

    res = _fit()
    boot = res.bootstrap(n=6, seed=5, progress=False, tables=["paths"])
    free = boot.conf_int(method="studentized", n_inner=10)
    seen, fit = [], Refit.fit

    def spy(self, row_weights=None, **kw):
        seen.append(np.shape(row_weights)[0])
        return fit(self, row_weights, **kw)

    monkeypatch.setattr(Refit, "fit", spy)
    monkeypatch.setattr(driver, "MEMORY_BUDGET", 4 * res.refit.bytes_per_fit)
    tight = boot.conf_int(method="studentized", n_inner=10)
    assert max(seen) == 4 and sum(seen) == 6 * 11
    pd.testing.assert_frame_equal(tight.paths, free.paths, atol=1e-12, rtol=0)


@pytest.mark.parametrize("draws", [False, True])
def test_studentized_intervals_survive_json(draws):
    """The record keeps the intervals (the t draws are not written, the summaries are)."""
    res = _fit().bootstrap(n=10, seed=2, ci="studentized_csem", n_inner=5, progress=False,
                           tables=["paths"])
    back = sm.PLSResult.from_json(res.to_json(draws=draws))
    assert back.inference.method == "studentized_csem"
    pd.testing.assert_frame_equal(back.paths, res.paths, check_exact=True)
